//! An ONNX model file: what it takes and gives (the inspector's view) and sessions to run it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ort::session::Session;
use ort::value::{TensorElementType, ValueType};
use serde::{Deserialize, Serialize};

use super::external;
use super::runtime;

/// One input or output as the model declares it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IoInfo {
    pub name: String,
    /// "tensor", "sequence of maps", "map", "sequence", "optional".
    pub kind: String,
    /// Element type of a tensor ("float32", "int64", "string", ...), or "int64 -> float32" for
    /// maps.
    pub element: String,
    /// Dimensions: numbers, or the symbolic name ("N", "batch") or "?" where free.
    pub shape: Vec<String>,
}

impl IoInfo {
    /// "float32[N, 1]".
    pub fn describe(&self) -> String {
        if self.kind == "tensor" {
            format!("{}[{}]", self.element, self.shape.join(", "))
        } else {
            format!("{} ({})", self.kind, self.element)
        }
    }
}

/// What `driftscope inspect MODEL.onnx` prints.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    pub path: PathBuf,
    pub producer: Option<String>,
    pub graph: Option<String>,
    pub domain: Option<String>,
    pub description: Option<String>,
    pub version: Option<i64>,
    /// The default-domain opset (and the ai.onnx.ml one, where used).
    pub opset: Option<u32>,
    pub ml_opset: Option<u32>,
    pub metadata: BTreeMap<String, String>,
    pub inputs: Vec<IoInfo>,
    pub outputs: Vec<IoInfo>,
    /// The runtime library used.
    pub runtime: PathBuf,
}

impl ModelInfo {
    /// The feature order for a single `[N, F]` input, from the model's metadata
    /// (`driftscope.feature_order`, or `feature_names`, comma-separated).
    pub fn feature_order(&self) -> Option<Vec<String>> {
        ["driftscope.feature_order", "feature_names", "features"]
            .iter()
            .find_map(|k| self.metadata.get(*k))
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
    }
}

pub fn element_name(t: TensorElementType) -> String {
    match t {
        TensorElementType::Float32 => "float32".into(),
        TensorElementType::Float64 => "float64".into(),
        TensorElementType::Int64 => "int64".into(),
        TensorElementType::Int32 => "int32".into(),
        TensorElementType::String => "string".into(),
        TensorElementType::Bool => "bool".into(),
        other => format!("{other:?}").to_lowercase(),
    }
}

fn io_info(name: &str, t: &ValueType) -> IoInfo {
    let (kind, element, shape) = match t {
        ValueType::Tensor {
            ty,
            shape,
            dimension_symbols,
        } => {
            let dims = shape
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    if *d >= 0 {
                        d.to_string()
                    } else {
                        dimension_symbols
                            .get(i)
                            .filter(|s| !s.is_empty())
                            .cloned()
                            .unwrap_or_else(|| "?".to_owned())
                    }
                })
                .collect();
            ("tensor", element_name(*ty), dims)
        }
        ValueType::Sequence(inner) => match inner.as_ref() {
            ValueType::Map { key, value } => (
                "sequence of maps",
                format!("{} -> {}", element_name(*key), element_name(*value)),
                Vec::new(),
            ),
            other => ("sequence", format!("{other:?}"), Vec::new()),
        },
        ValueType::Map { key, value } => (
            "map",
            format!("{} -> {}", element_name(*key), element_name(*value)),
            Vec::new(),
        ),
        ValueType::Optional(inner) => ("optional", format!("{inner:?}"), Vec::new()),
    };
    IoInfo {
        name: name.to_owned(),
        kind: kind.to_owned(),
        element,
        shape,
    }
}

/// A model opened for replay: its description, and sessions made on demand (one per worker).
#[derive(Clone, Debug)]
pub struct Model {
    pub info: ModelInfo,
    pub path: PathBuf,
    /// The model with its ZipMap's input as an output, when it has a ZipMap (see `zipmap`).
    pub(crate) unzipped: Option<super::zipmap::Unzipped>,
}

/// Why a model cannot be opened or run, in words that say what to do.
fn session_error(path: &Path, e: &ort::Error) -> String {
    let msg = e.message();
    let p = path.display();
    if let Some(at) = msg.find("Could not find an implementation for ") {
        let rest = &msg[at + "Could not find an implementation for ".len()..];
        let op: String = rest
            .chars()
            .take_while(|c| *c != '(' && *c != ' ')
            .collect();
        return format!(
            "{p}: this ONNX Runtime has no implementation of the operator {op} the model uses ({msg}); a newer onnxruntime may have it"
        );
    }
    if msg.contains("No opset import for domain") || msg.contains("is not a registered function/op")
    {
        return format!("{p}: the model uses an operator this ONNX Runtime does not know: {msg}");
    }
    if msg.contains("Protobuf parsing failed") || msg.contains("Load model") {
        return format!("{p}: not a readable ONNX model (damaged or truncated?): {msg}");
    }
    format!("{p}: ONNX Runtime cannot load the model: {msg}")
}

impl Model {
    /// Opens a model file: checks it, loads the runtime, reads what the model declares.
    pub fn open(path: &Path, runtime_path: Option<&Path>) -> Result<Self, String> {
        let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
        if meta.is_dir() {
            return Err(format!(
                "{}: is a folder, not an ONNX model file",
                path.display()
            ));
        }
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        // External data is read by ONNX Runtime from paths written in the model: refuse any that
        // leave the model's folder before the runtime follows them.
        external::check(path, &bytes)?;
        let (_, runtime) = runtime::environment(runtime_path)?;
        // Models without external data are loaded from memory, edited to skip their ZipMap;
        // should the edited model not load, the file is used as it is. One load either way.
        let edited = external::locations(&bytes)
            .is_empty()
            .then(|| super::zipmap::unzip(&bytes))
            .flatten()
            .and_then(|u| new_session(path, 1, Some(&u)).ok().map(|s| (u, s)));
        let (unzipped, session) = match edited {
            Some((u, s)) => (Some(u), s),
            None => (None, new_session(path, 1, None)?),
        };
        // The inspector shows what the file declares, not the output added for reading.
        let added = unzipped.as_ref().map(|u| u.probabilities.as_str());
        let metadata = session
            .metadata()
            .map_err(|e| format!("{}: cannot read the model's metadata: {e}", path.display()))?;
        let mut custom = BTreeMap::new();
        if let Ok(keys) = metadata.custom_keys() {
            for k in keys {
                if let Some(v) = metadata.custom(&k) {
                    custom.insert(k, v);
                }
            }
        }
        let info = ModelInfo {
            path: path.to_owned(),
            producer: metadata.producer(),
            graph: metadata.name(),
            domain: metadata.domain().filter(|d| !d.is_empty()),
            description: metadata.description().filter(|d| !d.is_empty()),
            version: metadata.version(),
            opset: session.opset_for_domain(""),
            ml_opset: session.opset_for_domain("ai.onnx.ml"),
            metadata: custom,
            inputs: session
                .inputs()
                .iter()
                .map(|o| io_info(o.name(), o.dtype()))
                .collect(),
            outputs: session
                .outputs()
                .iter()
                .filter(|o| Some(o.name()) != added)
                .map(|o| io_info(o.name(), o.dtype()))
                .collect(),
            runtime: runtime.clone(),
        };
        drop(metadata);
        Ok(Self {
            info,
            path: path.to_owned(),
            unzipped,
        })
    }

    /// A session of this model for one worker.
    pub fn session(&self, threads: usize) -> Result<Session, String> {
        new_session(&self.path, threads, self.unzipped.as_ref())
    }
}

fn new_session(
    path: &Path,
    threads: usize,
    unzipped: Option<&super::zipmap::Unzipped>,
) -> Result<Session, String> {
    let (env, _) = runtime::environment(None)?;
    let mut builder = Session::builder(env).map_err(|e| session_error(path, &e))?;
    builder = builder
        .with_intra_threads(threads.max(1))
        .map_err(|e| session_error(path, &e.into()))?;
    match unzipped {
        Some(u) => builder.commit_from_memory(&u.bytes),
        None => builder.commit_from_file(path),
    }
    .map_err(|e| session_error(path, &e))
}
