//! Performance metrics against scikit-learn's (tests/reference/make_metrics_reference.py).

// Tests panic on purpose when something is off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use driftscope::analysis::performance::{Metrics, classification_metrics, regression_metrics};
use serde_json::Value;

fn check(case: &str, metric: &str, got: Option<f64>, want: &Value) {
    let want = want.as_f64().unwrap();
    let got = got.unwrap_or_else(|| panic!("{case}: {metric} missing"));
    assert!(
        ((got - want) / want).abs() <= 1e-9,
        "{case}: {metric} {got} vs scikit-learn {want}"
    );
}

#[test]
fn metrics_equal_scikit_learn() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/fixtures/metrics.json");
    let doc: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    for case in doc["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let e = &case["expected"];
        let nums = |k: &str| -> Vec<Option<f64>> {
            case[k]
                .as_array()
                .unwrap()
                .iter()
                .map(Value::as_f64)
                .collect()
        };
        let labels = |k: &str| -> Vec<Option<String>> {
            case[k]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| Some(v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
                .collect()
        };
        let m: Metrics = match case["kind"].as_str() {
            Some("classification") => {
                let scores = nums("score");
                classification_metrics(
                    &labels("label"),
                    &labels("prediction"),
                    Some(&scores),
                    Some("1"),
                )
            }
            Some("multiclass") => {
                classification_metrics(&labels("label"), &labels("prediction"), None, None)
            }
            _ => regression_metrics(&nums("label"), &nums("prediction")),
        };
        for (metric, got) in [
            ("accuracy", m.accuracy),
            ("precision", m.precision),
            ("recall", m.recall),
            ("f1", m.f1),
            ("roc_auc", m.roc_auc),
            ("log_loss", m.log_loss),
            ("mae", m.mae),
            ("rmse", m.rmse),
            ("mape", m.mape),
            ("r2", m.r2),
        ] {
            if !e[metric].is_null() {
                check(name, metric, got, &e[metric]);
            }
        }
    }
}
