//! The Evidently preset against Evidently 0.7.23 itself (tests/reference/make_evidently_reference.py):
//! per column the test chosen, its score and the verdict; per case the dataset's drifted share.
//! Each case goes the way a user's files go: written to Parquet (pandas' dtypes kept: an integer
//! column without missing values stays integer), loaded, roles resolved, `run_drift_report` with
//! `--preset evidently` (and `--column COL:method=M` where the case forces Evidently's stattest).

// Tests panic on purpose when something is off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/json_values.rs"]
mod json_values;

use std::path::Path;

use driftscope::analysis::evidently::EvidentlyTest;
use driftscope::analysis::{Decider, DriftParams, Method, Preset, run_drift_report};
use driftscope::data::{OverrideLayers, Role, RoleOverrides, load_inputs};
use driftscope::jobs::JobState;
use polars::prelude::*;
use serde_json::Value;

/// One side of a case as a Parquet file: floats (with nulls) as Float64, all-integer columns as
/// Int64, strings as String.
fn write_side(case: &Value, side: &str, path: &Path) {
    let columns: Vec<Column> = case["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|column| {
            let name = column["name"].as_str().unwrap();
            let items = column[side].as_array().unwrap();
            let all_ints = |side: &str| column[side].as_array().unwrap().iter().all(Value::is_i64);
            if column["type"] == "categorical" {
                Column::new(name.into(), json_values::as_labels(items))
            } else if all_ints("reference") && all_ints("current") {
                let v: Vec<i64> = items.iter().map(|x| x.as_i64().unwrap()).collect();
                Column::new(name.into(), v)
            } else {
                let v: Vec<Option<f64>> = items.iter().map(Value::as_f64).collect();
                Column::new(name.into(), v)
            }
        })
        .collect();
    let mut frame = DataFrame::new_infer_height(columns).unwrap();
    let file = std::fs::File::create(path).unwrap();
    ParquetWriter::new(file).finish(&mut frame).unwrap();
}

#[test]
fn the_evidently_preset_reproduces_evidentlys_verdicts() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/fixtures/evidently.json");
    let doc: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    assert_eq!(doc["versions"]["evidently"], "0.7.23");
    let dir = tempfile::tempdir().unwrap();
    for case in doc["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (baseline, current) = (dir.path().join("b.parquet"), dir.path().join("c.parquet"));
        write_side(case, "reference", &baseline);
        write_side(case, "current", &current);
        // Every column is a feature, as Evidently's column mapping says; the rest is inferred.
        let mut user = RoleOverrides::default();
        let mut params = DriftParams {
            window: None,
            ..DriftParams::default()
        };
        params.settings.preset = Preset::Evidently;
        let forced: Option<Method> = case["method"].as_str().map(|m| match m {
            "psi" => Method::Psi,
            "kl_div" => Method::Kl,
            "jensenshannon" => Method::JensenShannon,
            "hellinger" => Method::Hellinger,
            other => panic!("{name}: no driftscope method for Evidently's {other}"),
        });
        for column in case["columns"].as_array().unwrap() {
            let col = column["name"].as_str().unwrap().to_owned();
            user.roles.insert(col.clone(), Role::Feature);
            if let Some(m) = forced {
                params.settings.columns.entry(col).or_default().method = Some(m);
            }
        }
        let layers = OverrideLayers {
            user,
            user_source: "by the test".to_owned(),
            ..OverrideLayers::default()
        };
        let inputs = load_inputs(&baseline, &current, &layers).unwrap();
        let report = run_drift_report(&inputs, &params, &JobState::default()).unwrap();
        let expected = case["expected"]["columns"].as_array().unwrap();
        assert_eq!(report.dataset.columns, expected.len(), "{name}");
        for want in expected {
            let col = want["name"].as_str().unwrap();
            let got = report
                .features
                .iter()
                .find(|f| f.segment.is_none() && f.drift.column == col)
                .unwrap_or_else(|| panic!("{name}/{col}: not in the report"));
            let got = &got.drift;
            let Decider::Evidently(Some(test)) = got.method else {
                panic!("{name}/{col}: method {}", got.method)
            };
            let want_method = want["method"].as_str().unwrap();
            let method_ok = match forced {
                Some(m) => EvidentlyTest::of_method(m) == Some(test),
                None => test.display_name() == want_method,
            };
            assert!(
                method_ok,
                "{name}/{col}: method {} vs Evidently's {want_method}",
                got.method
            );
            let score = got.score.unwrap();
            let want_score = want["score"].as_f64().unwrap();
            let tolerance = if test.is_pvalue() { 1e-6 } else { 1e-9 };
            let ok = if want_score < 1e-12 {
                (score - want_score).abs() <= 1e-12
            } else {
                ((score - want_score) / want_score).abs() <= tolerance
            };
            assert!(
                ok,
                "{name}/{col} ({}): score {score} vs Evidently's {want_score}",
                got.method
            );
            assert_eq!(
                got.threshold,
                want["threshold"].as_f64().unwrap(),
                "{name}/{col}: threshold"
            );
            assert_eq!(
                got.drifted,
                want["drifted"].as_bool().unwrap(),
                "{name}/{col}: verdict"
            );
        }
        let d = &report.dataset;
        assert_eq!(
            d.drifted_columns as f64,
            case["expected"]["drifted_count"].as_f64().unwrap(),
            "{name}"
        );
        let share = case["expected"]["share"].as_f64().unwrap();
        assert!((d.drifted_share - share).abs() < 1e-12, "{name}");
        assert_eq!(
            d.drifted,
            case["expected"]["dataset_drift"].as_bool().unwrap(),
            "{name}"
        );
    }
}
