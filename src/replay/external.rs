//! ONNX models can keep large tensors in "external data" files, named by a path written inside the
//! model. ONNX Runtime opens whatever path it finds there; a model from someone else could name
//! `../../.ssh/id_rsa` or `/etc/shadow`. Before a model is handed to the runtime, every external
//! data location in it is read here (a small walk of the protobuf: model → graph → initializers,
//! sparse initializers, node attributes and subgraphs) and refused unless it stays inside the
//! model's folder.

use std::path::{Component, Path};

/// One protobuf field: number and, for length-delimited fields, the bytes.
pub(crate) struct Field<'a> {
    number: u64,
    bytes: Option<&'a [u8]>,
}

pub(crate) fn varint(buf: &[u8], pos: &mut usize) -> Option<u64> {
    let mut out = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *buf.get(*pos)?;
        *pos += 1;
        out |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(out);
        }
    }
    None
}

/// The fields of one message; `None` when the bytes are not a valid message.
pub(crate) fn fields(buf: &[u8]) -> Option<Vec<Field<'_>>> {
    let mut pos = 0;
    let mut out = Vec::new();
    while pos < buf.len() {
        let key = varint(buf, &mut pos)?;
        let number = key >> 3;
        match key & 7 {
            0 => {
                varint(buf, &mut pos)?;
                out.push(Field {
                    number,
                    bytes: None,
                });
            }
            1 => pos = pos.checked_add(8).filter(|p| *p <= buf.len())?,
            2 => {
                let len = usize::try_from(varint(buf, &mut pos)?).ok()?;
                let end = pos.checked_add(len).filter(|e| *e <= buf.len())?;
                out.push(Field {
                    number,
                    bytes: Some(&buf[pos..end]),
                });
                pos = end;
            }
            5 => pos = pos.checked_add(4).filter(|p| *p <= buf.len())?,
            _ => return None,
        }
    }
    Some(out)
}

pub(crate) fn sub<'a>(fields: &[Field<'a>], number: u64) -> impl Iterator<Item = &'a [u8]> {
    fields
        .iter()
        .filter(move |f| f.number == number)
        .filter_map(|f| f.bytes)
}

/// External data locations of a TensorProto (field 13: key/value entries, key "location").
fn tensor_locations(tensor: &[u8], out: &mut Vec<String>) {
    let Some(f) = fields(tensor) else { return };
    for entry in sub(&f, 13) {
        let Some(e) = fields(entry) else { continue };
        let key = sub(&e, 1).next().map(String::from_utf8_lossy);
        let value = sub(&e, 2).next().map(String::from_utf8_lossy);
        if let (Some(k), Some(v)) = (key, value)
            && k == "location"
        {
            out.push(v.into_owned());
        }
    }
}

fn graph_locations(graph: &[u8], out: &mut Vec<String>, depth: usize) {
    if depth > 32 {
        return;
    }
    let Some(g) = fields(graph) else { return };
    // initializer (5), sparse_initializer (15: values 1, indices 2)
    for t in sub(&g, 5) {
        tensor_locations(t, out);
    }
    for s in sub(&g, 15) {
        if let Some(sf) = fields(s) {
            for t in sub(&sf, 1).chain(sub(&sf, 2)) {
                tensor_locations(t, out);
            }
        }
    }
    // node (1) → attribute (5) → t (5), tensors (10), g (6), graphs (11)
    for node in sub(&g, 1) {
        let Some(n) = fields(node) else { continue };
        for attr in sub(&n, 5) {
            let Some(a) = fields(attr) else { continue };
            for t in sub(&a, 5).chain(sub(&a, 10)) {
                tensor_locations(t, out);
            }
            for sg in sub(&a, 6).chain(sub(&a, 11)) {
                graph_locations(sg, out, depth + 1);
            }
        }
    }
}

/// Every external data location named in a model (ModelProto: graph is field 7).
pub fn locations(model: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(m) = fields(model) {
        for g in sub(&m, 7) {
            graph_locations(g, &mut out, 0);
        }
    }
    out
}

/// Refuses a model whose external data would be read from outside its folder.
pub fn check(model_path: &Path, bytes: &[u8]) -> Result<(), String> {
    let dir = model_path.parent().unwrap_or(Path::new("."));
    for loc in locations(bytes) {
        let p = Path::new(&loc);
        let escapes = p.is_absolute()
            || p.components().any(|c| {
                matches!(
                    c,
                    Component::ParentDir | Component::RootDir | Component::Prefix(_)
                )
            });
        // A symbolic link inside the folder may still point out of it.
        let resolved_outside = match (dir.join(p).canonicalize(), dir.canonicalize()) {
            (Ok(full), Ok(base)) => !full.starts_with(base),
            _ => false,
        };
        if escapes || resolved_outside {
            return Err(format!(
                "{}: the model reads external data from `{loc}`, which is outside the model's folder; refusing to load it (move the data file next to the model and name it relatively)",
                model_path.display()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(number: u64, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![((number << 3) | 2) as u8];
        out.push(payload.len() as u8);
        out.extend_from_slice(payload);
        out
    }

    fn model_with_location(loc: &str) -> Vec<u8> {
        let entry = [field(1, b"location"), field(2, loc.as_bytes())].concat();
        let tensor = [field(8, b"w"), field(13, &entry)].concat();
        let graph = field(5, &tensor);
        field(7, &graph)
    }

    #[test]
    fn external_data_outside_the_model_folder_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let model = dir.path().join("m.onnx");
        assert_eq!(locations(&model_with_location("w.bin")), vec!["w.bin"]);
        assert!(check(&model, &model_with_location("w.bin")).is_ok());
        assert!(check(&model, &model_with_location("data/w.bin")).is_ok());
        for bad in ["../w.bin", "/etc/shadow", "data/../../w.bin"] {
            let err = check(&model, &model_with_location(bad)).unwrap_err();
            assert!(err.contains("outside the model's folder"), "{bad}: {err}");
            assert!(err.contains(bad), "{err}");
        }
    }

    #[test]
    fn junk_is_not_mistaken_for_locations() {
        assert!(locations(b"").is_empty());
        assert!(locations(&[0xff, 0xff, 0xff]).is_empty());
        assert!(locations(b"not a protobuf at all").is_empty());
    }
}
