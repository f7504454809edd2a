//! Replay through ONNX Runtime: the fixtures' answers equal onnxruntime-Python's to 1e-5, the
//! sample's planted cents-transform skew is found where it was planted, and every bad model or
//! mapping gets a clear message.

// Tests panic on purpose when something is off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use common::runtime;

use driftscope::data::load_table;
use driftscope::jobs::JobState;
use driftscope::replay::{self, MappingSpec, Model, NullPolicy};
use polars::prelude::{IntoLazy, col, lit};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/replay/fixtures")
}

fn open(path: &Path) -> Model {
    Model::open(path, Some(runtime())).unwrap()
}

#[test]
fn fixtures_equal_onnxruntime_python() {
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("expected.json")).unwrap())
            .unwrap();
    let table = load_table(&fixtures().join("rows.csv")).unwrap();
    let rows: Vec<usize> = (0..table.rows()).collect();
    let tensor = MappingSpec {
        features: Some(vec!["x0".into(), "x1".into(), "x2".into(), "x3".into()]),
        ..MappingSpec::default()
    };
    let named = MappingSpec {
        nulls: NullPolicy::Nan,
        ..MappingSpec::default()
    };
    let models = expected["models"].as_object().unwrap();
    assert_eq!(models.len(), 10);
    for (name, want) in models {
        let model = open(&fixtures().join(format!("{name}.onnx")));
        let spec = if name == "pipeline_named_inputs" {
            &named
        } else {
            &tensor
        };
        let (_, out) = replay::replay(&model, &table.frame, &rows, spec, 64, &JobState::default())
            .unwrap()
            .unwrap();
        assert_eq!(out.rows(), 300, "{name}");
        if let Some(labels) = want.get("labels") {
            let labels: Vec<String> = serde_json::from_value(labels.clone()).unwrap();
            assert_eq!(out.labels, labels, "{name}");
        }
        if let Some(probs) = want.get("probabilities") {
            let classes: Vec<String> = serde_json::from_value(want["classes"].clone()).unwrap();
            assert_eq!(out.classes, classes, "{name}");
            let probs: Vec<Vec<f64>> = serde_json::from_value(probs.clone()).unwrap();
            for (r, row) in probs.iter().enumerate() {
                for (k, p) in row.iter().enumerate() {
                    let got = f64::from(out.proba(r, k).unwrap());
                    assert!(
                        (got - p).abs() <= 1e-5,
                        "{name} row {r} class {k}: {got} vs {p}"
                    );
                }
            }
        }
        if let Some(values) = want.get("values") {
            let values: Vec<f64> = serde_json::from_value(values.clone()).unwrap();
            assert!(out.regression, "{name}");
            for (r, v) in values.iter().enumerate() {
                assert!((out.scores[r] - v).abs() <= 1e-5, "{name} row {r}");
            }
        }
    }
}

#[test]
fn the_model_inspector_shows_inputs_outputs_and_metadata() {
    let model =
        open(&Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/models/fraud_gbm_v3.onnx"));
    let info = &model.info;
    assert_eq!(info.producer.as_deref(), Some("skl2onnx"));
    assert!(info.opset.is_some());
    assert_eq!(info.inputs.len(), 9);
    let amount = info.inputs.iter().find(|i| i.name == "amount").unwrap();
    assert_eq!(amount.describe(), "float32[?, 1]");
    let region = info.inputs.iter().find(|i| i.name == "region").unwrap();
    assert_eq!(region.element, "string");
    let proba = info
        .outputs
        .iter()
        .find(|o| o.name == "output_probability")
        .unwrap();
    assert_eq!(proba.describe(), "sequence of maps (int64 -> float32)");
    // Only what the file declares: not the tensor added to read the probabilities.
    assert_eq!(info.outputs.len(), 2);
    assert_eq!(
        info.feature_order().unwrap()[..3],
        ["amount", "account_age_days", "hour"]
    );
    let forest = open(&fixtures().join("forest_multiclass.onnx"));
    assert_eq!(forest.info.inputs[0].describe(), "float32[?, 4]");
    // A symbolic batch dimension is shown by its name.
    let nn = open(&fixtures().join("nn_softmax.onnx"));
    assert_eq!(nn.info.inputs[0].describe(), "float32[batch, 4]");
    assert_eq!(nn.info.outputs[0].describe(), "float32[batch, 3]");
    assert_eq!(nn.info.feature_order().unwrap(), ["x0", "x1", "x2", "x3"]);
}

#[test]
fn replaying_the_sample_finds_the_cents_transform_skew_where_it_was_planted() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data");
    let table = load_table(&data.join("predictions.parquet")).unwrap();
    let model = open(&data.join("models/fraud_gbm_v3.onnx"));
    let rows: Vec<usize> = (0..table.rows()).collect();
    let spec = MappingSpec {
        nulls: NullPolicy::Nan,
        ..MappingSpec::default()
    };
    let (_, out) = replay::replay(
        &model,
        &table.frame,
        &rows,
        &spec,
        1024,
        &JobState::default(),
    )
    .unwrap()
    .unwrap();
    let logged = driftscope::analysis::columns::numeric_values(&table.frame, "score").unwrap();
    let text = |c: &str| {
        let mut d = driftscope::analysis::columns::Dictionary::default();
        let codes = driftscope::analysis::columns::label_codes(&table.frame, c, &mut d).unwrap();
        codes
            .iter()
            .map(|k| d.labels[k.unwrap() as usize].clone())
            .collect::<Vec<_>>()
    };
    let (version, device) = (text("model_version"), text("device"));
    for r in rows {
        let differs = (out.scores[r] - logged[r].unwrap()).abs() > 1e-4;
        let planted = version[r] == "fraud-gbm-3.1" && device[r] == "mobile";
        assert_eq!(
            differs, planted,
            "row {r}: {} vs {:?}",
            out.scores[r], logged[r]
        );
    }
}

#[test]
fn bad_models_and_mappings_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(fixtures().join("logistic.onnx")).unwrap();
    let truncated = dir.path().join("truncated.onnx");
    std::fs::write(&truncated, &good[..good.len() / 2]).unwrap();
    let err = Model::open(&truncated, Some(runtime())).unwrap_err();
    assert!(err.contains("truncated.onnx"), "{err}");
    assert!(
        err.contains("not a readable ONNX model") || err.contains("cannot load"),
        "{err}"
    );
    let garbage = dir.path().join("garbage.onnx");
    std::fs::write(&garbage, b"this is not a model").unwrap();
    let err = Model::open(&garbage, Some(runtime())).unwrap_err();
    assert!(err.contains("garbage.onnx"), "{err}");
    let err = Model::open(dir.path(), Some(runtime())).unwrap_err();
    assert!(err.contains("is a folder"), "{err}");
    let err = Model::open(&dir.path().join("missing.onnx"), Some(runtime())).unwrap_err();
    assert!(err.contains("missing.onnx"), "{err}");

    // An operator the runtime lacks is named.
    let err = Model::open(&fixtures().join("unknown_operator.onnx"), Some(runtime())).unwrap_err();
    assert!(err.contains("NoSuchOperator"), "{err}");
    assert!(err.contains("unknown_operator.onnx"), "{err}");

    let table = load_table(&fixtures().join("rows.csv")).unwrap();
    let rows: Vec<usize> = (0..table.rows()).collect();
    let run = |model: &Model, spec: &MappingSpec| {
        replay::replay(model, &table.frame, &rows, spec, 64, &JobState::default()).unwrap_err()
    };
    // A tensor input without a feature order.
    let logistic = open(&fixtures().join("logistic.onnx"));
    let err = run(&logistic, &MappingSpec::default());
    assert!(err.contains("give it with --features"), "{err}");
    // The wrong number of features.
    let err = run(
        &logistic,
        &MappingSpec {
            features: Some(vec!["x0".into(), "x1".into()]),
            ..MappingSpec::default()
        },
    );
    assert!(err.contains("takes 4 columns but 2 are listed"), "{err}");
    // A named input with no column.
    let pipeline = open(&fixtures().join("pipeline_named_inputs.onnx"));
    let mut spec = MappingSpec {
        nulls: NullPolicy::Nan,
        ..MappingSpec::default()
    };
    spec.map.insert("cat".into(), "colour".into());
    let err = run(&pipeline, &spec);
    assert!(
        err.contains("input `cat`") && err.contains("--map"),
        "{err}"
    );
    // A text column where the model takes numbers.
    let mut wrong = MappingSpec {
        nulls: NullPolicy::Nan,
        ..MappingSpec::default()
    };
    wrong.map.insert("num2".into(), "cat".into());
    let err = run(&pipeline, &wrong);
    assert!(
        err.contains("`cat` is not numeric, but the model takes numbers"),
        "{err}"
    );
    // Missing values are refused with their column and count unless told otherwise.
    let err = run(&pipeline, &MappingSpec::default());
    assert!(
        err.contains("`num1` is missing in 18 of the replayed rows"),
        "{err}"
    );
    // A fill value is used instead.
    let mut fill = MappingSpec::default();
    fill.fill.insert("num1".into(), "10".into());
    let (_, out) = replay::replay(
        &pipeline,
        &table.frame,
        &rows,
        &fill,
        64,
        &JobState::default(),
    )
    .unwrap()
    .unwrap();
    assert_eq!(out.rows(), 300);
    // ...and it is the value the model sees: the same scores as a log whose `num1` holds 10
    // where it was missing, and other scores than the missing values read as NaN.
    let filled = table
        .frame
        .clone()
        .lazy()
        .with_column(col("num1").fill_null(lit(10.0)))
        .collect()
        .unwrap();
    let nan = MappingSpec {
        nulls: NullPolicy::Nan,
        ..MappingSpec::default()
    };
    let replay_all = |frame: &polars::prelude::DataFrame| {
        replay::replay(&pipeline, frame, &rows, &nan, 64, &JobState::default())
            .unwrap()
            .unwrap()
            .1
    };
    assert_eq!(out.scores, replay_all(&filled).scores);
    let as_nan = replay_all(&table.frame);
    let missing = table.frame.column("num1").unwrap().is_null();
    let changed = (0..300)
        .filter(|&r| (out.scores[r] - as_nan.scores[r]).abs() > 1e-9)
        .count();
    assert!(changed > 0, "the fill changed no score");
    for r in 0..300 {
        if !missing.get(r).unwrap() {
            assert_eq!(out.scores[r], as_nan.scores[r], "row {r} had a value");
        }
    }
}
