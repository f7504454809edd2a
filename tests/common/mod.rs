//! Shared by the test files that run models.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use driftscope::replay;

/// ONNX Runtime for the tests: the one driftscope finds, else installed here from PyPI (the same
/// version the fixtures were made with) — a missing dependency is installed, not skipped.
pub fn runtime() -> &'static Path {
    static LIB: OnceLock<PathBuf> = OnceLock::new();
    LIB.get_or_init(|| {
        if let Ok(found) = replay::runtime::find(None) {
            return found;
        }
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("onnxruntime-1.23.2");
        let capi = dir.join("onnxruntime/capi");
        if !capi.is_dir() {
            let status = Command::new("python3")
                .args(["-m", "pip", "install", "--quiet", "--no-deps", "--target"])
                .arg(&dir)
                .arg("onnxruntime==1.23.2")
                .status()
                .expect("python3 runs (needed to install ONNX Runtime for the tests)");
            assert!(status.success(), "pip could not install onnxruntime");
        }
        replay::runtime::find(Some(&capi)).expect("the installed ONNX Runtime is found")
    })
}
