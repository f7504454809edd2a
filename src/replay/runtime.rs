//! Finding and loading ONNX Runtime. driftscope links it at run time (`ort`'s `load-dynamic`), so
//! the binary builds and starts without it and says exactly what is missing when a model is
//! opened. The library is looked for, in order:
//!
//! 1. a path set by the user (the app's setting, `--onnxruntime`),
//! 2. `ORT_DYLIB_PATH`,
//! 3. next to the executable (`libonnxruntime.so*`, `lib/`, `onnxruntime/capi/`), and in a
//!    checkout the one `cargo test` installed in `target/tmp`,
//! 4. the `onnxruntime` Python package: of `$VIRTUAL_ENV`, of `.venv`/`venv` in the working folder,
//!    of the user's and the system's site-packages, and of the `python3` on `PATH`,
//! 5. the system library folders and `LD_LIBRARY_PATH`.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// The library file names ONNX Runtime ships under, per platform.
#[cfg(target_os = "windows")]
const NAMES: &[&str] = &["onnxruntime.dll"];
#[cfg(target_os = "macos")]
const NAMES: &[&str] = &["libonnxruntime.dylib"];
#[cfg(not(any(target_os = "windows", target_os = "macos")))]
const NAMES: &[&str] = &["libonnxruntime.so"];

/// How to get ONNX Runtime, for messages.
pub const HOW_TO_GET: &str = "install it with `pip install onnxruntime` (driftscope finds the Python package), or set ORT_DYLIB_PATH to the libonnxruntime file";

/// A library file of ONNX Runtime in `dir`: the plain name, or a versioned one (`.so.1.23.2`).
fn in_dir(dir: &Path) -> Option<PathBuf> {
    let entries = std::fs::read_dir(dir).ok()?;
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name().is_some_and(|n| {
                let n = n.to_string_lossy();
                NAMES
                    .iter()
                    .any(|base| *n == **base || n.starts_with(&format!("{base}.")))
            })
        })
        .filter(|p| p.is_file())
        .collect();
    // The shortest name is the plain or the least specific one; any of them is the same library.
    found.sort_by_key(|p| p.as_os_str().len());
    found.into_iter().next()
}

/// `site-packages` folders under a Python prefix (`lib/python3.*/site-packages`).
fn site_packages(prefix: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for lib in ["lib", "lib64"] {
        if let Ok(entries) = std::fs::read_dir(prefix.join(lib)) {
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().starts_with("python3") {
                    out.push(e.path().join("site-packages"));
                    out.push(e.path().join("dist-packages"));
                }
            }
        }
    }
    out
}

/// The folders searched, in order, with why each is searched (for the "not found" message).
pub fn search_path(user: Option<&Path>) -> Vec<(PathBuf, &'static str)> {
    let mut dirs: Vec<(PathBuf, &'static str)> = Vec::new();
    if let Some(p) = user {
        dirs.push((p.to_owned(), "the path set in driftscope"));
    }
    if let Some(p) = std::env::var_os("ORT_DYLIB_PATH").filter(|p| !p.is_empty()) {
        dirs.push((PathBuf::from(p), "ORT_DYLIB_PATH"));
    }
    if let Some(exe_dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_owned))
    {
        dirs.push((exe_dir.clone(), "next to the executable"));
        dirs.push((exe_dir.join("lib"), "next to the executable"));
        dirs.push((exe_dir.join("onnxruntime/capi"), "next to the executable"));
        // A checkout's build: `cargo test` installs onnxruntime into target/tmp when it finds
        // none, and `cargo run` then finds the same one.
        if let Some(target) = exe_dir.parent()
            && let Ok(entries) = std::fs::read_dir(target.join("tmp"))
        {
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().starts_with("onnxruntime-") {
                    dirs.push((
                        e.path().join("onnxruntime/capi"),
                        "this checkout's target/tmp",
                    ));
                }
            }
        }
    }
    let mut prefixes: Vec<PathBuf> = Vec::new();
    if let Some(v) = std::env::var_os("VIRTUAL_ENV").filter(|v| !v.is_empty()) {
        prefixes.push(PathBuf::from(v));
    }
    if let Ok(cwd) = std::env::current_dir() {
        prefixes.push(cwd.join(".venv"));
        prefixes.push(cwd.join("venv"));
    }
    if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        prefixes.push(PathBuf::from(home).join(".local"));
    }
    prefixes.push(PathBuf::from("/usr/local"));
    prefixes.push(PathBuf::from("/usr"));
    for prefix in prefixes {
        for sp in site_packages(&prefix) {
            dirs.push((
                sp.join("onnxruntime/capi"),
                "the onnxruntime Python package",
            ));
        }
    }
    if let Some(dir) = python_package_dir() {
        dirs.push((dir, "the onnxruntime Python package of python3"));
    }
    if let Some(paths) = std::env::var_os("LD_LIBRARY_PATH") {
        for p in std::env::split_paths(&paths) {
            dirs.push((p, "LD_LIBRARY_PATH"));
        }
    }
    for p in [
        "/usr/local/lib",
        "/usr/lib",
        "/usr/lib/x86_64-linux-gnu",
        "/usr/lib/aarch64-linux-gnu",
        "/opt/homebrew/lib",
    ] {
        dirs.push((PathBuf::from(p), "the system library folders"));
    }
    dirs
}

/// `onnxruntime/capi` of the `python3` on PATH, if it has the package (asked once).
fn python_package_dir() -> Option<PathBuf> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        let out = std::process::Command::new("python3")
            .args([
                "-c",
                "import importlib.util as u; s = u.find_spec('onnxruntime'); print(s.submodule_search_locations[0] if s else '')",
            ])
            .stderr(std::process::Stdio::null())
            .output()
            .ok()?;
        let text = String::from_utf8(out.stdout).ok()?;
        let dir = text.trim();
        (!dir.is_empty()).then(|| PathBuf::from(dir).join("capi"))
    })
    .clone()
}

/// The ONNX Runtime library to load: the first found along [`search_path`].
pub fn find(user: Option<&Path>) -> Result<PathBuf, String> {
    let searched = search_path(user);
    for (place, _) in &searched {
        if place.is_file() {
            return Ok(place.clone());
        }
        if let Some(found) = in_dir(place) {
            return Ok(found);
        }
    }
    let mut seen: Vec<&str> = searched.iter().map(|(_, why)| *why).collect();
    seen.dedup();
    Err(format!(
        "ONNX Runtime is not installed where driftscope looks ({}): {HOW_TO_GET}",
        seen.join(", ")
    ))
}

/// The process's ONNX Runtime: loaded from the first library found, once (ONNX Runtime allows
/// one environment per process). A failure is not remembered: installing the runtime, or setting
/// its path in the app, and trying again works without a restart.
pub fn environment(
    user: Option<&Path>,
) -> Result<&'static (ort::environment::Environment, PathBuf), String> {
    static ENV: OnceLock<(ort::environment::Environment, PathBuf)> = OnceLock::new();
    static INIT: Mutex<()> = Mutex::new(());
    if let Some(env) = ENV.get() {
        return Ok(env);
    }
    let _guard = INIT
        .lock()
        .map_err(|_| "ONNX Runtime failed to start in another thread".to_owned())?;
    if let Some(env) = ENV.get() {
        return Ok(env);
    }
    let path = find(user)?;
    let builder = ort::init_from(&path).map_err(|e| {
        format!(
            "{}: cannot load ONNX Runtime from this file: {e}. {HOW_TO_GET}",
            path.display()
        )
    })?;
    let env = builder
        .with_name("driftscope")
        .with_telemetry(false)
        .build()
        .map_err(|e| format!("{}: ONNX Runtime did not start: {e}", path.display()))?;
    let _ = ENV.set((env, path));
    ENV.get()
        .ok_or_else(|| "ONNX Runtime did not start".to_owned())
}
