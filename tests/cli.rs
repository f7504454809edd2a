//! The command line as scripts and CI use it: exit codes, messages, and the JSON report.

// Tests panic on purpose when something is off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/json.rs"]
mod json;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sha2::{Digest, Sha256};

fn driftscope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_driftscope"))
        .args(args)
        .output()
        .expect("the driftscope binary runs")
}

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample-data")
        .join(name)
}

/// A file's SHA-256 as lower-case hex, as the report and the profile header record it.
fn sha256_hex(p: &Path) -> String {
    Sha256::digest(std::fs::read(p).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The role column of `inspect`'s table for one column.
fn inspected_role(stdout: &str, column: &str) -> Option<String> {
    // Cells are separated by two or more spaces (a type such as `datetime[μs, UTC]` has one).
    stdout.lines().find_map(|line| {
        let cells: Vec<&str> = line
            .split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        (cells.first() == Some(&column))
            .then(|| cells.get(2).copied().unwrap_or_default().to_owned())
    })
}

#[test]
fn inspect_gives_every_sample_log_column_the_right_role() {
    let out = driftscope(&["inspect", sample("predictions.jsonl").to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout.contains("JSON lines, 10,500 rows, 16 columns"),
        "{stdout}"
    );
    assert!(stdout.contains("time range: 2026-11-02"), "{stdout}");
    assert!(
        stdout.contains("flattened: 9 nested field(s) from features"),
        "{stdout}"
    );
    let expected = [
        ("ts", "timestamp"),
        ("request_id", "id"),
        ("model_version", "model_version"),
        ("amount", "feature"),
        ("merchant_category", "feature"),
        ("device", "segment"),
        ("account_age_days", "feature"),
        ("hour", "feature"),
        ("region", "segment"),
        ("distance_from_home_km", "feature"),
        ("txn_count_24h", "feature"),
        ("card_present", "feature"),
        ("prediction", "prediction"),
        ("score", "score"),
        ("latency_ms", "latency"),
        ("label", "label"),
    ];
    for (column, role) in expected {
        assert_eq!(
            inspected_role(&stdout, column).as_deref(),
            Some(role),
            "role of {column} in\n{stdout}"
        );
    }
    // The reason is there for a person to read.
    assert!(stdout.contains("text, 6 distinct values"), "{stdout}");
}

#[test]
fn inspect_of_two_files_shows_the_schema_diff() {
    let out = driftscope(&[
        "inspect",
        sample("baseline.parquet").to_str().unwrap(),
        sample("predictions.parquet").to_str().unwrap(),
    ]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout.contains("only in the log: ts, request_id, model_version, latency_ms"),
        "{stdout}"
    );
}

#[test]
fn report_writes_inputs_with_hashes_and_roles() {
    let dir = tempfile::tempdir().unwrap();
    let json_path = dir.path().join("report.json");
    let baseline = sample("baseline.parquet");
    let current = sample("predictions.jsonl");
    let out = driftscope(&[
        "report",
        "--baseline",
        baseline.to_str().unwrap(),
        // The app's word for it; `--current` names the same file.
        "--log",
        current.to_str().unwrap(),
        "--segment",
        "merchant_category",
        "--role",
        "hour=ignored",
        "--json",
        json_path.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json_path).unwrap()).unwrap();
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["driftscope_version"], env!("CARGO_PKG_VERSION"));
    let sha = sha256_hex;
    assert_eq!(report["inputs"]["baseline"]["sha256"], sha(&baseline));
    assert_eq!(report["inputs"]["current"]["sha256"], sha(&current));
    assert_eq!(report["inputs"]["baseline"]["rows"], 12_000);
    assert_eq!(report["inputs"]["current"]["rows"], 10_500);
    assert_eq!(report["roles"]["region"], "segment");
    assert_eq!(report["roles"]["merchant_category"], "segment");
    assert_eq!(report["roles"]["hour"], "ignored");
    assert_eq!(report["roles"]["ts"], "timestamp");
    let hour = report["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["column"] == "hour")
        .unwrap();
    assert_eq!(hour["source"], "set by --role/--segment");
    assert_eq!(
        report["schema"]["only_current"],
        serde_json::json!(["ts", "request_id", "model_version", "latency_ms"])
    );
}

#[test]
fn report_takes_files_and_roles_from_an_investigation() {
    let out = driftscope(&[
        "report",
        "--investigation",
        sample("sample.driftscope.ron").to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("predictions.jsonl") && stdout.contains("baseline.parquet"),
        "{stdout}"
    );
}

#[test]
fn an_unknown_column_in_role_flags_is_an_error_with_a_suggestion() {
    let out = driftscope(&[
        "report",
        "--baseline",
        sample("baseline.parquet").to_str().unwrap(),
        "--current",
        sample("predictions.parquet").to_str().unwrap(),
        "--segment",
        "regoin",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("no column `regoin`") && stderr.contains("did you mean `region`?"),
        "{stderr}"
    );
}

#[test]
fn a_bad_role_name_is_a_usage_error() {
    let out = driftscope(&[
        "inspect",
        "--role",
        "region=segmnt",
        sample("baseline.parquet").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unknown role 'segmnt'"));
}

#[test]
fn bad_input_exits_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.jsonl");
    std::fs::write(&broken, "{\"a\": 1}\n{oops}\n").unwrap();
    let out = driftscope(&["inspect", broken.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("broken.jsonl: line 2: invalid JSON"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");

    let out = driftscope(&[
        "report",
        "--baseline",
        "nope.csv",
        "--current",
        broken.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("nope.csv: no such file"));
}

#[test]
fn report_refuses_to_overwrite_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log.jsonl");
    std::fs::copy(sample("predictions.jsonl"), &log).unwrap();
    let before = std::fs::read(&log).unwrap();
    let out = driftscope(&[
        "report",
        "--baseline",
        sample("baseline.parquet").to_str().unwrap(),
        "--current",
        log.to_str().unwrap(),
        "--json",
        log.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("refusing to overwrite an input"));
    assert_eq!(std::fs::read(&log).unwrap(), before);
}

#[test]
fn every_command_explains_itself() {
    for args in [
        &["--help"][..],
        &["open", "--help"],
        &["inspect", "--help"],
        &["report", "--help"],
    ] {
        let out = driftscope(args);
        assert!(out.status.success(), "{args:?}");
        let stdout = text(&out.stdout);
        assert!(stdout.contains("Usage: driftscope"), "{args:?}: {stdout}");
    }
    let report_help = text(&driftscope(&["report", "--help"]).stdout);
    assert!(
        report_help.contains("--segment <COLUMN>") && report_help.contains("--json <OUT.json>")
    );
    let out = driftscope(&["open", "only-one.csv"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn report_json_has_the_contracts_drift_sections_and_fail_on_gates() {
    let dir = tempfile::tempdir().unwrap();
    let json_path = dir.path().join("r.json");
    let base = sample("baseline.parquet");
    let log = sample("predictions.parquet");
    let args = |extra: &[&str]| {
        let mut a = vec![
            "report",
            "--baseline",
            base.to_str().unwrap(),
            "--current",
            log.to_str().unwrap(),
        ];
        a.extend_from_slice(extra);
        a.iter().map(|s| (*s).to_owned()).collect::<Vec<String>>()
    };
    let run = |extra: &[&str]| {
        let a = args(extra);
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        driftscope(&refs)
    };
    let out = run(&["--json", json_path.to_str().unwrap(), "--window", "1d"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&json_path).unwrap()).unwrap();
    for key in [
        "dataset",
        "features",
        "segments",
        "windows",
        "data_quality",
        "performance",
        "latency",
    ] {
        assert!(!r[key].is_null(), "{key} missing");
    }
    let amount = r["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["column"] == "amount" && f["segment"].is_null())
        .unwrap();
    for stat in [
        "ks_statistic",
        "ks_pvalue",
        "wasserstein",
        "wasserstein_normed",
        "psi",
        "js_distance",
        "hellinger",
        "bin_edges",
    ] {
        assert!(
            amount["stats"][stat].is_number() || amount["stats"][stat].is_array(),
            "{stat}"
        );
    }
    assert!(amount["stats"]["chi2_statistic"].is_null());
    assert_eq!(amount["method"], "jensen_shannon");
    assert_eq!(amount["reference"], "baseline");
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("new segment: region = ap-southeast"),
        "{stdout}"
    );

    // Gates: quality trips (the new region, the null spike); a lenient threshold does not drift.
    assert_eq!(run(&["--fail-on", "quality"]).status.code(), Some(1));
    assert_eq!(
        run(&["--fail-on", "drift", "--threshold", "0.9"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        run(&[
            "--fail-on",
            "drift",
            "--method",
            "psi",
            "--threshold",
            "0.0001"
        ])
        .status
        .code(),
        Some(1)
    );
    // The Evidently preset names Evidently's tests in the verdicts.
    let out = run(&[
        "--preset",
        "evidently",
        "--window",
        "none",
        "--json",
        json_path.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&json_path).unwrap()).unwrap();
    let score = r["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["column"] == "score" && f["segment"].is_null())
        .unwrap();
    assert_eq!(score["method"], "evidently:wasserstein");
    assert_eq!(score["drifted"], true);
    assert!(r["windows"].is_null());
    let bad = run(&["--method", "magic"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("unknown method 'magic'"));
    let bad = run(&["--window", "1y"]);
    assert_eq!(bad.status.code(), Some(2));
    let bad = run(&["--column", "amount:colour=red"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("KEY is one of method, threshold, bins, edges"));
}

fn ort_flag() -> String {
    common::runtime().display().to_string()
}

#[test]
fn replay_writes_the_rows_with_replayed_answers_and_a_summary_of_skew_and_shadow() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("replayed.csv");
    let summary = dir.path().join("replay.json");
    let ort = ort_flag();
    let model = sample("models/fraud_gbm_v3.onnx");
    let candidate = sample("models/fraud_gbm_v4_candidate.onnx");
    let input = sample("predictions.jsonl");
    let o = driftscope(&[
        "replay",
        "--model",
        model.to_str().unwrap(),
        "--candidate",
        candidate.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
        "--nulls",
        "nan",
        "--output",
        out.to_str().unwrap(),
        "--json",
        summary.to_str().unwrap(),
        "--onnxruntime",
        &ort,
    ]);
    let stdout = text(&o.stdout);
    assert!(o.status.success(), "{}{}", stdout, text(&o.stderr));
    assert!(
        stdout.contains("logged `score` against replayed: 1565 of 10500 rows differ"),
        "{stdout}"
    );
    // The rows, with the replayed and the candidate's answers.
    let csv = std::fs::read_to_string(&out).unwrap();
    let header = csv.lines().next().unwrap();
    for col in [
        "replay_label",
        "replay_score",
        "replay_proba_0",
        "replay_proba_1",
        "candidate_label",
        "candidate_score",
        "candidate_proba_1",
    ] {
        assert!(header.split(',').any(|h| h == col), "{col} in {header}");
    }
    assert_eq!(csv.lines().count(), 10_501);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    let skew = &json["skew"];
    assert_eq!(skew["beyond_tolerance_rows"], 1565);
    assert_eq!(skew["first_window_beyond"], "2026-11-06 00:00:00 UTC");
    // The worst groups are the release and the device the bug is in.
    let worst: Vec<&str> = skew["by_group"]
        .as_array()
        .unwrap()
        .iter()
        .take(3)
        .map(|g| g["group"].as_str().unwrap())
        .collect();
    assert!(
        worst.contains(&"model_version = fraud-gbm-3.1"),
        "{worst:?}"
    );
    assert!(worst.contains(&"device = mobile"), "{worst:?}");
    let divergent = skew["most_divergent"].as_array().unwrap();
    assert_eq!(divergent.len(), 20);
    assert_eq!(divergent[0]["inputs"]["device"], "mobile");
    // The candidate differs everywhere a little, and flips few labels.
    let shadow = &json["shadow"];
    assert!(shadow["label_disagreement"].as_f64().unwrap() < 0.05);
    assert!(
        json["performance"]["candidate"]["roc_auc"]
            .as_f64()
            .is_some()
    );
    assert_eq!(json["model"]["info"]["producer"], "skl2onnx");
    assert_eq!(json["model"]["sha256"].as_str().unwrap().len(), 64);
}

#[test]
fn inspect_of_a_model_prints_its_inputs_and_outputs() {
    let model = sample("models/fraud_gbm_v3.onnx");
    let dir = tempfile::tempdir().unwrap();
    // The runtime is found next to nothing here: point at it the way a user would.
    let o = Command::new(env!("CARGO_BIN_EXE_driftscope"))
        .args(["inspect", model.to_str().unwrap()])
        .env("ORT_DYLIB_PATH", ort_flag())
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stdout = text(&o.stdout);
    assert!(o.status.success(), "{stdout}{}", text(&o.stderr));
    assert!(stdout.contains("producer skl2onnx"), "{stdout}");
    assert!(
        stdout.contains("amount") && stdout.contains("float32[?, 1]"),
        "{stdout}"
    );
    assert!(
        stdout.contains("output_probability")
            && stdout.contains("sequence of maps (int64 -> float32)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("driftscope.feature_order = amount,"),
        "{stdout}"
    );
}

#[test]
fn replay_errors_name_the_problem_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.onnx");
    std::fs::write(&broken, b"\x08\x07garbage").unwrap();
    let out = dir.path().join("out.csv");
    let input = sample("predictions.jsonl");
    let ort = ort_flag();
    let o = driftscope(&[
        "replay",
        "--model",
        broken.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
        "--onnxruntime",
        &ort,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("broken.onnx"),
        "{}",
        text(&o.stderr)
    );
    // Missing values are refused by default, naming the column.
    let model = sample("models/fraud_gbm_v3.onnx");
    let o = driftscope(&[
        "replay",
        "--model",
        model.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
        "--onnxruntime",
        &ort,
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains("`account_age_days` is missing in"), "{err}");
    assert!(!out.exists(), "nothing is written on error");
    // The output may not overwrite the input.
    let copy = dir.path().join("log.parquet");
    std::fs::copy(sample("predictions.parquet"), &copy).unwrap();
    let before = std::fs::read(&copy).unwrap();
    let o = driftscope(&[
        "replay",
        "--model",
        model.to_str().unwrap(),
        "--input",
        copy.to_str().unwrap(),
        "--nulls",
        "nan",
        "--output",
        copy.to_str().unwrap(),
        "--onnxruntime",
        &ort,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("refusing to overwrite an input file"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(std::fs::read(&copy).unwrap(), before);
}

#[test]
fn report_writes_html_and_markdown_with_automatic_findings() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("r.html");
    let md = dir.path().join("r.md");
    let investigation = sample("sample.driftscope.ron");
    // The investigation names the models; ONNX Runtime is pointed at as a user would.
    let o = Command::new(env!("CARGO_BIN_EXE_driftscope"))
        .args([
            "report",
            "--investigation",
            investigation.to_str().unwrap(),
            "--html",
            html.to_str().unwrap(),
            "--md",
            md.to_str().unwrap(),
        ])
        .env("ORT_DYLIB_PATH", ort_flag())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("1,565 of 10,500 rows give a different score than logged"));
    assert!(page.contains("New segment: region = ap-southeast"));
    assert!(page.contains("<svg"));
    let markdown = std::fs::read_to_string(&md).unwrap();
    assert!(markdown.contains("## Provenance"));
    assert!(dir.path().join("r_charts").is_dir());
}

#[test]
fn export_slice_writes_the_rows_of_a_slice() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rows.csv");
    let input = sample("predictions.parquet");
    let o = driftscope(&[
        "export-slice",
        "--input",
        input.to_str().unwrap(),
        "--where",
        "model_version=fraud-gbm-3.1",
        "--where",
        "device=mobile",
        "--range",
        "amount=..1000",
        "--from",
        "2026-11-07",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let csv = std::fs::read_to_string(&out).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (device, version, ts, amount) = (
        col("device"),
        col("model_version"),
        col("ts"),
        col("amount"),
    );
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert!(!rows.is_empty());
    for r in &rows {
        assert_eq!(r[device], "mobile");
        assert_eq!(r[version], "fraud-gbm-3.1");
        assert!(r[ts] >= "2026-11-07", "{}", r[ts]);
        let a: f64 = r[amount].parse().unwrap();
        assert!(a <= 1000.0, "amount {a} is outside ..1000");
    }
    // A bad condition names itself.
    let o = driftscope(&[
        "export-slice",
        "--input",
        input.to_str().unwrap(),
        "--where",
        "regoin=us-west",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("did you mean `region`"),
        "{}",
        text(&o.stderr)
    );
}

/// `driftscope profile` on the sample writes a profile file that reads back, records the
/// inputs' SHA-256, and refuses to write over an input.
#[test]
fn profile_writes_the_logs_cells_and_never_over_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("log.profile.parquet");
    let baseline = sample("baseline.parquet");
    let log = sample("predictions.jsonl");
    let profile_to = |output: &Path| {
        driftscope(&[
            "profile",
            "--baseline",
            baseline.to_str().unwrap(),
            "--input",
            log.to_str().unwrap(),
            "--output",
            output.to_str().unwrap(),
        ])
    };
    let o = profile_to(&out);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("× 7 windows"),
        "{}",
        text(&o.stdout)
    );
    let profile = driftscope::analysis::profile_file::LogProfile::read(&out).unwrap();
    let sha = sha256_hex;
    assert_eq!(profile.header.log.sha256, sha(&log));
    assert_eq!(profile.header.baseline.sha256, sha(&baseline));
    assert_eq!(profile.header.log.name, "predictions.jsonl");

    // The report from the profile is the report from the rows.
    let report = |log_side: &[&str], json: &Path, extra: &[&str]| {
        let mut args = vec!["report", "--baseline", baseline.to_str().unwrap()];
        args.extend_from_slice(log_side);
        args.extend_from_slice(&["--json", json.to_str().unwrap()]);
        args.extend_from_slice(extra);
        driftscope(&args)
    };
    let (from_rows, from_profile) = (dir.path().join("rows.json"), dir.path().join("p.json"));
    let o = report(&["--current", log.to_str().unwrap()], &from_rows, &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = report(
        &["--current-profile", out.to_str().unwrap()],
        &from_profile,
        &[],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("log: a profile of predictions.jsonl"));
    let read = |p: &Path| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
    };
    let (rows, prof) = (read(&from_rows), read(&from_profile));
    for key in [
        "dataset",
        "features",
        "segments",
        "windows",
        "data_quality",
        "roles",
        "schema",
    ] {
        assert_eq!(prof[key], rows[key], "{key}");
    }
    assert_eq!(
        prof["inputs"]["current"]["rows"],
        rows["inputs"]["current"]["rows"]
    );
    assert_eq!(prof["inputs"]["current"]["sha256"], sha(&log));
    assert_eq!(
        prof["inputs"]["current"]["profiles"][0]["sha256"],
        sha(&out)
    );
    // Performance from the cells' confusion counts and sums, latency from their values.
    assert!(prof["performance"].is_object());
    json::close_json(&prof["performance"], &rows["performance"], "performance");
    assert_eq!(prof["latency"], rows["latency"], "latency");
    // Read in batches of 3,000 rows: the same report (statistics from merged moments to
    // rounding); windows of a number of rows cannot be planned across batches.
    let batched = dir.path().join("batched.profile.parquet");
    let profile_args = |output: &Path, extra: &[&str]| {
        let mut args = vec![
            "profile",
            "--baseline",
            baseline.to_str().unwrap(),
            "--input",
            log.to_str().unwrap(),
            "--output",
            output.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        driftscope(&args)
    };
    let o = profile_args(&batched, &["--batch-rows", "3000"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("read in 4 batches of 3000 rows"),
        "{}",
        text(&o.stdout)
    );
    let from_batched = dir.path().join("batched.json");
    let o = report(
        &["--current-profile", batched.to_str().unwrap()],
        &from_batched,
        &[],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let batched_report = read(&from_batched);
    for key in [
        "dataset",
        "features",
        "segments",
        "windows",
        "performance",
        "latency",
    ] {
        json::close_json(&batched_report[key], &rows[key], key);
    }
    // `report --batch-rows`: the same, in one command, the log named as read in batches.
    let in_batches = dir.path().join("in_batches.json");
    let o = report(
        &["--current", log.to_str().unwrap()],
        &in_batches,
        &["--batch-rows", "3000"],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("read in 4 batch(es) of 3000 rows"),
        "{}",
        text(&o.stdout)
    );
    let in_batches = read(&in_batches);
    for key in [
        "dataset",
        "features",
        "segments",
        "windows",
        "performance",
        "latency",
    ] {
        json::close_json(&in_batches[key], &rows[key], key);
    }
    assert_eq!(in_batches["inputs"]["current"]["sha256"], sha(&log));
    let o = report(
        &["--current", log.to_str().unwrap()],
        &dir.path().join("x.json"),
        &["--batch-rows", "3000", "--preset", "evidently"],
    );
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("Evidently preset"),
        "{}",
        text(&o.stderr)
    );
    let o = profile_args(
        &dir.path().join("rows.profile.parquet"),
        &["--batch-rows", "3000", "--window", "1000rows"],
    );
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("windows of a number of rows cannot be planned"),
        "{}",
        text(&o.stderr)
    );
    let o = profile_args(&dir.path().join("tiny.parquet"), &["--batch-rows", "10"]);
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("--batch-rows 10: at least 1000 rows"),
        "{}",
        text(&o.stderr)
    );
    // With no values stored (--exact-values 0) the profile says what it left out, and the
    // report from it says which entries are intervals.
    let bare = dir.path().join("bare.profile.parquet");
    let o = driftscope(&[
        "profile",
        "--baseline",
        baseline.to_str().unwrap(),
        "--input",
        log.to_str().unwrap(),
        "--output",
        bare.to_str().unwrap(),
        "--exact-values",
        "0",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let said = text(&o.stdout);
    assert!(
        said.contains("0 log values stored")
            && said.contains("values exact answers need stored (--exact-values 0)"),
        "{said}"
    );
    assert!(std::fs::metadata(&bare).unwrap().len() < std::fs::metadata(&out).unwrap().len());
    let from_bare = dir.path().join("bare.json");
    let o = report(
        &["--current-profile", bare.to_str().unwrap()],
        &from_bare,
        &[],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let bare_report = read(&from_bare);
    let inexact = bare_report["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["exact"] == false)
        .count();
    assert!(inexact > 0, "entries without their values are intervals");
    let note = format!("{inexact} of ");
    assert!(
        bare_report["notes"].as_array().unwrap().iter().any(|n| n
            .as_str()
            .unwrap()
            .starts_with(&note)
            && n.as_str().unwrap().contains("--exact-values")),
        "{}",
        bare_report["notes"]
    );
    // Without stored scores and latency values: the counts' metrics stay, AUC and latency are
    // said missing.
    let notes = bare_report["notes"].to_string();
    assert!(rows["latency"].is_object() && bare_report["latency"].is_null());
    assert!(notes.contains("latency not measured"), "{notes}");
    assert_eq!(
        bare_report["performance"]["overall"]["accuracy"],
        rows["performance"]["overall"]["accuracy"]
    );
    if rows["performance"]["overall"]["roc_auc"].is_number() {
        assert!(bare_report["performance"]["overall"]["roc_auc"].is_null());
        assert!(notes.contains("ROC AUC not measured"), "{notes}");
    }
    // Settings the profile was not made with, and another baseline, are refused by name.
    let refused = |args: &[&str], baseline_file: &Path, message: &str| {
        let mut all = vec![
            "report",
            "--baseline",
            baseline_file.to_str().unwrap(),
            "--current-profile",
            out.to_str().unwrap(),
        ];
        all.extend_from_slice(args);
        let o = driftscope(&all);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            text(&o.stderr).contains(message),
            "{args:?}: {}",
            text(&o.stderr)
        );
    };
    refused(&["--bins", "20"], &baseline, "made with other bins");
    refused(
        &["--window", "1h"],
        &baseline,
        "the profile was cut into windows of 1d",
    );
    refused(&[], &log, "was made against the baseline baseline.parquet");
    refused(
        &["--segment", "region"],
        &baseline,
        "give them to `driftscope profile`",
    );

    let before = std::fs::read(&log).unwrap();
    let o = profile_to(&log);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("refusing to overwrite"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(std::fs::read(&log).unwrap(), before);
}
