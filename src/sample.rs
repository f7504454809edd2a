//! Where the sample investigation lives: `driftscope` with no arguments opens it.

use std::path::PathBuf;

/// The sample investigation's file name inside `sample-data/`.
pub const SAMPLE_INVESTIGATION: &str = "sample.driftscope.ron";

/// Finds `sample-data/`: `$DRIFTSCOPE_SAMPLE_DIR`, then beside the executable (an installed copy),
/// then the source tree it was built from (`cargo run`).
pub fn sample_dir() -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(dir) = std::env::var_os("DRIFTSCOPE_SAMPLE_DIR") {
        candidates.push(PathBuf::from(dir));
    }
    if let Ok(exe) = std::env::current_exe()
        && let Some(dir) = exe.parent()
    {
        candidates.push(dir.join("sample-data"));
    }
    candidates.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-data"));
    candidates
        .into_iter()
        .find(|d| d.join(SAMPLE_INVESTIGATION).is_file())
}

/// The sample investigation file, or a message saying where it was looked for.
pub fn sample_investigation() -> Result<PathBuf, String> {
    sample_dir()
        .map(|d| d.join(SAMPLE_INVESTIGATION))
        .ok_or_else(|| {
            format!(
                "the sample investigation ({SAMPLE_INVESTIGATION}) was not found; set DRIFTSCOPE_SAMPLE_DIR to the sample-data folder of a driftscope checkout, or open your own files: driftscope open BASELINE LOG"
            )
        })
}
