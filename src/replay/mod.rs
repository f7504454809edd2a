//! Replay: logged inputs run again through a local ONNX model (ONNX Runtime via `ort`, loaded at
//! run time) — to see whether the model still gives what was logged, and how a candidate would
//! have answered the same traffic.

pub mod analysis;
pub mod external;
pub mod model;
pub mod run;
pub mod runtime;
pub mod study;
pub mod zipmap;

pub use model::{Model, ModelInfo};
pub use run::{MappingSpec, NullPolicy, Outputs, replay};
