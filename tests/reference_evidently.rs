//! The Evidently preset against Evidently 0.7.23 itself (tests/reference/make_evidently_reference.py):
//! per column the test chosen, its score and the verdict; per case the dataset's drifted share.

// Tests panic on purpose when something is off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use driftscope::analysis::ColumnKind;
use driftscope::analysis::evidently::{EvidentlyTest, Values, evaluate};
use serde_json::Value;

/// One side of a column as pandas saw it: an integer column without missing values keeps an
/// integer dtype.
fn values(v: &Value, kind: ColumnKind, integer: bool) -> Values {
    let items = v.as_array().unwrap().iter().filter(|x| !x.is_null());
    match kind {
        ColumnKind::Numeric if integer => {
            Values::Integers(items.map(|x| x.as_f64().unwrap()).collect())
        }
        ColumnKind::Numeric => Values::Numeric(items.map(|x| x.as_f64().unwrap()).collect()),
        ColumnKind::Categorical => Values::Categorical(
            items
                .map(|x| match x {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect(),
        ),
    }
}

#[test]
fn the_evidently_preset_reproduces_evidentlys_verdicts() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/fixtures/evidently.json");
    let doc: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    assert_eq!(doc["versions"]["evidently"], "0.7.23");
    for case in doc["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let forced: Option<EvidentlyTest> = case["method"].as_str().map(|m| m.parse().unwrap());
        let mut drifted = 0usize;
        let expected = case["expected"]["columns"].as_array().unwrap();
        for column in case["columns"].as_array().unwrap() {
            let col = column["name"].as_str().unwrap();
            let kind = if column["type"] == "numerical" {
                ColumnKind::Numeric
            } else {
                ColumnKind::Categorical
            };
            let all_ints = |side: &str| column[side].as_array().unwrap().iter().all(Value::is_i64);
            let integer = all_ints("reference") && all_ints("current");
            let reference = values(&column["reference"], kind, integer);
            let current = values(&column["current"], kind, integer);
            let got = evaluate(kind, &reference, &current, forced, None).unwrap();
            let want = expected.iter().find(|e| e["name"] == col).unwrap();
            let want_method = want["method"].as_str().unwrap();
            let method_ok = got.method == want_method || forced.is_some_and(|f| f == got.test);
            assert!(
                method_ok,
                "{name}/{col}: method {} vs Evidently's {want_method}",
                got.method
            );
            let want_score = want["score"].as_f64().unwrap();
            let tolerance = if got.test.is_pvalue() { 1e-6 } else { 1e-9 };
            let ok = if want_score == 0.0 || want_score < 1e-12 {
                (got.score - want_score).abs() <= 1e-12
            } else {
                ((got.score - want_score) / want_score).abs() <= tolerance
            };
            assert!(
                ok,
                "{name}/{col} ({}): score {} vs Evidently's {want_score}",
                got.method, got.score
            );
            assert_eq!(
                got.drifted,
                want["drifted"].as_bool().unwrap(),
                "{name}/{col}: verdict"
            );
            drifted += usize::from(got.drifted);
        }
        let n = expected.len();
        assert_eq!(
            drifted as f64,
            case["expected"]["drifted_count"].as_f64().unwrap(),
            "{name}"
        );
        let share = drifted as f64 / n as f64;
        assert!(
            (share - case["expected"]["share"].as_f64().unwrap()).abs() < 1e-12,
            "{name}"
        );
        assert_eq!(
            share >= 0.5,
            case["expected"]["dataset_drift"].as_bool().unwrap(),
            "{name}"
        );
    }
}
