//! Reference fixtures' JSON values as the text a log would hold: strings as they are, numbers and
//! booleans as written, null as missing (shared by the reference tests).

use serde_json::Value;

pub fn as_labels(items: &[Value]) -> Vec<Option<String>> {
    items
        .iter()
        .map(|x| match x {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        })
        .collect()
}
