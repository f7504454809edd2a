//! driftscope: investigate machine-learning models in production.
//!
//! The engine — `data` (reading files, roles), `stats` (the statistics), `analysis` (profiles,
//! drift, segments, windows, performance), `replay` (ONNX models), `export` (reports), `session`
//! (investigation files) and `jobs` (background work) — is headless and never names egui; `ui`
//! draws it and `cli` runs it from the command line. See ARCHITECTURE.md for the dependency rule.

pub mod analysis;
pub mod cli;
pub mod data;
pub mod export;
pub mod format;
pub mod fsutil;
pub mod jobs;
pub mod replay;
pub mod sample;
pub mod session;
pub mod stats;
pub mod ui;

/// The version written into every report and investigation file.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
