//! Files we write are written atomically (a temporary file beside the target, then a rename), so a
//! crash never leaves half a report or investigation; and we never write over an input.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{}: cannot write: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: refusing to overwrite an input file; choose another output path", .path.display())]
    WouldOverwriteInput { path: PathBuf },
}

/// Writes `bytes` to `path` atomically, refusing to replace any of `inputs`.
pub fn write_atomic(path: &Path, bytes: &[u8], inputs: &[&Path]) -> Result<(), WriteError> {
    write_atomic_with(path, inputs, |file| file.write_all(bytes))
}

/// Writes to `path` atomically what `write` streams into the temporary file (nothing held in
/// memory), refusing to replace any of `inputs`.
pub fn write_atomic_with(
    path: &Path,
    inputs: &[&Path],
    write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> Result<(), WriteError> {
    let io = |source| WriteError::Io {
        path: path.to_owned(),
        source,
    };
    if inputs.iter().any(|input| same_file(path, input)) {
        return Err(WriteError::WouldOverwriteInput {
            path: path.to_owned(),
        });
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".driftscope-").suffix(".tmp");
    // A report is for others to read: the usual mode of a new file, not the temp file's 0600.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    let mut tmp = builder.tempfile_in(&dir).map_err(io)?;
    write(tmp.as_file_mut()).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

/// True when both paths name the same existing file (after resolving links and `..`).
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// SHA-256 of a file, as lowercase hex.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_atomically_and_refuses_to_overwrite_inputs() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("log.csv");
        std::fs::write(&input, "a\n1\n").unwrap();
        let out = dir.path().join("report.json");
        write_atomic(&out, b"{}", &[&input]).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), b"{}");
        write_atomic(&out, b"{\"v\":2}", &[&input]).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), b"{\"v\":2}");
        // The input is named through another spelling of the same path.
        let sneaky = dir.path().join(".").join("log.csv");
        let err = write_atomic(&sneaky, b"x", &[&input]).unwrap_err();
        assert!(matches!(err, WriteError::WouldOverwriteInput { .. }));
        assert_eq!(std::fs::read(&input).unwrap(), b"a\n1\n");
        // No temporary files are left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[test]
    fn sha256_matches_the_known_digest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("abc.txt");
        std::fs::write(&path, "abc").unwrap();
        assert_eq!(
            sha256_file(&path).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
