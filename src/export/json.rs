//! The report as JSON — the contract of DESIGN.md: the inputs with their SHA-256, the roles with
//! their reasons and who set them, the schema diff, and every statistic of the analysis. The CLI's
//! `--json`, the app's export and the tests all build it here.

use std::path::Path;

use anyhow::{Context, Result};
use serde_json::{Value, json};

use crate::analysis::DriftReport;
use crate::data::{Inputs, Role, Table};
use crate::fsutil::sha256_file;

/// The JSON schema version written in every report.
pub const SCHEMA_VERSION: u32 = 1;

fn input_json(table: &Table, sha256: String, timestamp: Option<&str>) -> Value {
    let time_range = timestamp
        .and_then(|ts| table.time_range(ts))
        .map(|(start, end)| {
            json!({
                "column": timestamp,
                "start": crate::data::timestamps::format_micros(start),
                "end": crate::data::timestamps::format_micros(end),
            })
        });
    json!({
        "path": table.path.display().to_string(),
        "sha256": sha256,
        "rows": table.rows(),
        "columns": table.frame.width(),
        "format": table.format.name(),
        "time_range": time_range,
        "warnings": table.warnings,
    })
}

pub(crate) fn hash(path: &Path) -> Result<String> {
    sha256_file(path).with_context(|| format!("{}: cannot read to hash it", path.display()))
}

/// The report as the JSON contract of DESIGN.md: inputs, roles (with reasons), the schema, and
/// the analysis when there is one.
pub fn build_report_json(inputs: &Inputs, analysis: Option<&DriftReport>) -> Result<Value> {
    let hashes = rayon::join(
        || hash(&inputs.baseline.path),
        || hash(&inputs.current.path),
    );
    report_json(inputs, analysis, hashes)
}

/// Hashes both inputs on a thread of their own, to run beside the analysis.
pub(crate) fn hash_inputs(
    inputs: &Inputs,
) -> std::thread::JoinHandle<(Result<String>, Result<String>)> {
    let (b, c) = (inputs.baseline.path.clone(), inputs.current.path.clone());
    std::thread::spawn(move || (hash(&b), hash(&c)))
}

/// [`build_report_json`] with the inputs' SHA-256 already computed.
pub(crate) fn report_json(
    inputs: &Inputs,
    analysis: Option<&DriftReport>,
    (b_hash, c_hash): (Result<String>, Result<String>),
) -> Result<Value> {
    let timestamp = inputs.roles.with_role(Role::Timestamp).first().copied();
    let columns: Vec<Value> = inputs
        .roles
        .columns
        .iter()
        .map(|c| {
            json!({
                "column": c.column,
                "role": c.role,
                "kind": c.kind,
                "dtype": c.dtype,
                "reason": c.reason,
                "source": match &c.source {
                    crate::data::RoleSource::Inferred => "inferred".to_owned(),
                    crate::data::RoleSource::Override(s) => format!("set {s}"),
                },
                "class": c.class,
                "in_baseline": inputs.baseline.frame.column(&c.column).is_ok(),
                "in_current": inputs.current.frame.column(&c.column).is_ok(),
            })
        })
        .collect();
    let mut out = json!({
        "schema_version": SCHEMA_VERSION,
        "driftscope_version": crate::VERSION,
        "generated_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "inputs": {
            "baseline": input_json(&inputs.baseline, b_hash?, timestamp),
            "current": input_json(&inputs.current, c_hash?, timestamp),
        },
        "roles": inputs.roles.as_map(),
        "columns": columns,
        "schema": inputs.schema,
    });
    if let (Some(a), Some(map)) = (analysis, out.as_object_mut()) {
        map.insert("settings".into(), serde_json::to_value(&a.params)?);
        map.insert("dataset".into(), serde_json::to_value(&a.dataset)?);
        map.insert("features".into(), serde_json::to_value(&a.features)?);
        map.insert("segments".into(), serde_json::to_value(&a.segments)?);
        map.insert("windows".into(), serde_json::to_value(&a.windows)?);
        map.insert(
            "data_quality".into(),
            serde_json::to_value(&a.data_quality)?,
        );
        map.insert("performance".into(), serde_json::to_value(&a.performance)?);
        map.insert("latency".into(), serde_json::to_value(&a.latency)?);
        map.insert("decomposition".into(), decomposition_json(a)?);
        map.insert("onsets".into(), serde_json::to_value(&a.onsets)?);
        map.insert("discoveries".into(), serde_json::to_value(&a.discoveries)?);
        map.insert("notes".into(), serde_json::to_value(&a.notes)?);
    }
    Ok(out)
}

/// `decomposition`: one list, the columns' drift against the mix-adjusted baseline first
/// (`"kind": "drift"`), then the rates split into mix and within (`"kind": "rate"`).
fn decomposition_json(a: &DriftReport) -> Result<Value> {
    let Some(d) = &a.decomposition else {
        return Ok(Value::Array(Vec::new()));
    };
    let tagged = |v: Value, kind: &str| {
        let mut v = v;
        if let Some(m) = v.as_object_mut() {
            m.insert("kind".into(), Value::from(kind));
        }
        v
    };
    let mut out = Vec::with_capacity(d.drift.len() + d.rates.len());
    for e in &d.drift {
        out.push(tagged(serde_json::to_value(e)?, "drift"));
    }
    for e in &d.rates {
        out.push(tagged(serde_json::to_value(e)?, "rate"));
    }
    Ok(Value::Array(out))
}
