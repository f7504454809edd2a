//! Reading a classifier's probabilities without its ZipMap. scikit-learn exports end in a ZipMap
//! node that turns the probability tensor into one map per row; reading a million maps back costs
//! as much as running the model. The model is loaded with the ZipMap's input added as a graph
//! output (one field appended to the graph in the model's protobuf, in memory — the file is not
//! touched) and only that tensor and the label are asked for; the class names come from the
//! ZipMap's `classlabels_*` attribute, in its column order.

use super::external::{Field, fields, sub, varint};

/// A model whose ZipMap's input tensor is also an output.
#[derive(Clone, Debug)]
pub struct Unzipped {
    /// The edited model, for `commit_from_memory`.
    pub bytes: std::sync::Arc<Vec<u8>>,
    /// The probability tensor now an output, and the ZipMap output to leave unrequested.
    pub probabilities: String,
    pub zipmap_output: String,
    pub classes: Vec<String>,
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn key(number: u64, wire: u64, out: &mut Vec<u8>) {
    put_varint((number << 3) | wire, out);
}

fn put_varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Byte range of the first length-delimited top-level field `number`: (field start, payload).
fn span(buf: &[u8], number: u64) -> Option<(usize, std::ops::Range<usize>)> {
    let mut pos = 0;
    while pos < buf.len() {
        let start = pos;
        let k = varint(buf, &mut pos)?;
        match k & 7 {
            0 => {
                varint(buf, &mut pos)?;
            }
            1 => pos = pos.checked_add(8)?,
            2 => {
                let len = usize::try_from(varint(buf, &mut pos)?).ok()?;
                let end = pos.checked_add(len).filter(|e| *e <= buf.len())?;
                if k >> 3 == number {
                    return Some((start, pos..end));
                }
                pos = end;
            }
            5 => pos = pos.checked_add(4)?,
            _ => return None,
        }
    }
    None
}

/// Class labels of a ZipMap node's attributes, in column order.
fn classes(node: &[Field<'_>]) -> Option<Vec<String>> {
    for attr in sub(node, 5) {
        let a = fields(attr)?;
        let name = sub(&a, 1).next().map(text)?;
        match name.as_str() {
            "classlabels_int64s" => {
                let mut out = Vec::new();
                // Repeated int64: packed (one length-delimited field) or one varint each.
                for packed in sub(&a, 8) {
                    let mut pos = 0;
                    while pos < packed.len() {
                        out.push((varint(packed, &mut pos)? as i64).to_string());
                    }
                }
                if out.is_empty() {
                    let mut pos = 0;
                    while pos < attr.len() {
                        let k = varint(attr, &mut pos)?;
                        let v = match k & 7 {
                            0 => varint(attr, &mut pos)?,
                            2 => {
                                let len = usize::try_from(varint(attr, &mut pos)?).ok()?;
                                pos = pos.checked_add(len)?;
                                continue;
                            }
                            1 => {
                                pos += 8;
                                continue;
                            }
                            5 => {
                                pos += 4;
                                continue;
                            }
                            _ => return None,
                        };
                        if k >> 3 == 8 {
                            out.push((v as i64).to_string());
                        }
                    }
                }
                return Some(out);
            }
            "classlabels_strings" => return Some(sub(&a, 9).map(text).collect()),
            _ => {}
        }
    }
    None
}

/// The model with its ZipMap's input added as an output, or `None` when it has no (single)
/// ZipMap or the bytes are not a model this can edit.
pub fn unzip(model: &[u8]) -> Option<Unzipped> {
    let (graph_start, graph) = span(model, 7)?;
    let g = fields(&model[graph.clone()])?;
    let zipmaps: Vec<Vec<Field<'_>>> = sub(&g, 1)
        .filter_map(fields)
        .filter(|n| sub(n, 4).next() == Some(b"ZipMap".as_slice()))
        .collect();
    let [node] = zipmaps.as_slice() else {
        return None;
    };
    let probabilities = sub(node, 1).next().map(text)?;
    let zipmap_output = sub(node, 2).next().map(text)?;
    let classes = classes(node)?;
    // ValueInfoProto { name: 1 } as a graph output (field 12).
    let mut value_info = Vec::new();
    key(1, 2, &mut value_info);
    put_varint(probabilities.len() as u64, &mut value_info);
    value_info.extend_from_slice(probabilities.as_bytes());
    let mut new_graph = model[graph.clone()].to_vec();
    key(12, 2, &mut new_graph);
    put_varint(value_info.len() as u64, &mut new_graph);
    new_graph.extend_from_slice(&value_info);
    let mut out = Vec::with_capacity(model.len() + 64);
    out.extend_from_slice(&model[..graph_start]);
    key(7, 2, &mut out);
    put_varint(new_graph.len() as u64, &mut out);
    out.extend_from_slice(&new_graph);
    out.extend_from_slice(&model[graph.end..]);
    Some(Unzipped {
        bytes: std::sync::Arc::new(out),
        probabilities,
        zipmap_output,
        classes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/replay/fixtures")
                .join(name),
        )
        .unwrap()
    }

    #[test]
    fn a_zipmap_gives_its_input_tensor_and_class_names() {
        let u = unzip(&fixture("logistic.onnx")).expect("a ZipMap");
        assert_eq!(u.classes, ["0", "1"]);
        assert_eq!(u.zipmap_output, "output_probability");
        assert!(u.bytes.len() > fixture("logistic.onnx").len());
        let text = unzip(&fixture("text_classes.onnx")).expect("a ZipMap");
        assert_eq!(text.classes, ["fraud", "legit"]);
        let sample = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("sample-data/models/fraud_gbm_v3.onnx"),
        )
        .unwrap();
        assert_eq!(unzip(&sample).expect("a ZipMap").classes, ["0", "1"]);
    }

    #[test]
    fn models_without_a_zipmap_are_left_alone() {
        assert!(unzip(&fixture("forest_multiclass.onnx")).is_none());
        assert!(unzip(&fixture("gbm_regressor.onnx")).is_none());
        assert!(unzip(b"not a model").is_none());
    }
}
