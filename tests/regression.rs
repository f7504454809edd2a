//! One test per fixed bug, named after it (as ripgrep's `tests/regression.rs`).

// Tests panic on purpose when something is off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[path = "common/sample.rs"]
mod sample;

/// Runs the binary with a time limit: a hang is a failure, not a stuck test run.
fn driftscope_within(limit: Duration, args: &[&str]) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_driftscope"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if let Some(_status) = child.try_wait().unwrap() {
            break;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("driftscope {args:?} still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A baseline and a log of `days` days with `per_day` rows a day, plus extra timestamps.
fn write_pair(dir: &Path, days: usize, per_day: usize, extra_ts: &[&str]) -> (String, String) {
    let mut base = String::from("amount,channel\n");
    for i in 0..2000 {
        writeln!(
            base,
            "{},{}",
            (i * 37 % 1000) as f64 / 10.0,
            ["web", "app"][i % 2]
        )
        .unwrap();
    }
    let mut log = String::from("ts,amount,channel\n");
    let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    for d in 0..days {
        let day = start + chrono::Days::new(d as u64);
        for k in 0..per_day {
            let i = d * per_day + k;
            writeln!(
                log,
                "{}T{:02}:{:02}:00Z,{},{}",
                day,
                (k * 24 / per_day.max(1)) % 24,
                k % 60,
                (i * 53 % 1000) as f64 / 10.0,
                ["web", "app"][i % 2]
            )
            .unwrap();
        }
    }
    for ts in extra_ts {
        writeln!(log, "{ts},50.0,web").unwrap();
    }
    let (b, l) = (dir.join("baseline.csv"), dir.join("log.csv"));
    std::fs::write(&b, base).unwrap();
    std::fs::write(&l, log).unwrap();
    (
        b.to_string_lossy().into_owned(),
        l.to_string_lossy().into_owned(),
    )
}

fn report_json(dir: &Path, baseline: &str, log: &str) -> serde_json::Value {
    let json = dir.join("report.json");
    let (ok, _, stderr) = driftscope_within(
        Duration::from_secs(60),
        &[
            "report",
            "--baseline",
            baseline,
            "--current",
            log,
            "--json",
            json.to_str().unwrap(),
        ],
    );
    assert!(ok, "{stderr}");
    serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap()
}

#[test]
fn a_stray_timestamp_in_9999_or_1970_no_longer_makes_millions_of_windows() {
    let dir = tempfile::tempdir().unwrap();
    let (b, l) = write_pair(
        dir.path(),
        7,
        300,
        &["9999-12-31T23:00:00Z", "1970-01-01T00:00:00Z"],
    );
    let r = report_json(dir.path(), &b, &l);
    let w = &r["windows"];
    let count = w["windows"].as_array().unwrap().len();
    assert!(count <= 30, "{count} windows for a week of logs");
    assert_eq!(w["rows_outside"], 2);
    let notes = w["notes"].as_array().unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n.as_str().unwrap().contains("far from the rest")),
        "{notes:?}"
    );
}

#[test]
fn a_data_driven_threshold_never_exceeds_the_range_of_a_bounded_distance() {
    // A year with a couple of dozen rows a day: every window is small, the chunk scores noisy.
    let dir = tempfile::tempdir().unwrap();
    let (b, l) = write_pair(dir.path(), 365, 24, &[]);
    let r = report_json(dir.path(), &b, &l);
    for s in r["windows"]["series"].as_array().unwrap() {
        if let Some(t) = s["data_threshold"].as_f64() {
            assert!(t <= 1.0, "{}: threshold {t}", s["column"]);
        }
    }
}

#[test]
fn windows_that_cannot_be_made_are_said_not_silently_absent() {
    let dir = tempfile::tempdir().unwrap();
    let (b, _) = write_pair(dir.path(), 1, 10, &[]);
    let log = dir.path().join("no_time.csv");
    std::fs::write(&log, "amount,channel\n1.0,web\n2.0,app\n").unwrap();
    let r = report_json(dir.path(), &b, log.to_str().unwrap());
    assert!(r["windows"].is_null());
    let notes = r["notes"].as_array().unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n.as_str().unwrap().contains("no time windows")),
        "{notes:?}"
    );
}

#[test]
fn absurd_settings_are_refused_with_a_message_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let (b, l) = write_pair(dir.path(), 2, 100, &[]);
    for (flags, says) in [
        (vec!["--threshold", "NaN"], "threshold NaN"),
        (vec!["--threshold", "7"], "from 0 to 1"),
        (
            vec!["--method", "ks", "--threshold", "1.5"],
            "strictly between 0 and 1",
        ),
        (vec!["--bins", "1"], "not in 2..=1000"),
        (vec!["--bins", "60000"], "not in 2..=1000"),
        (
            vec!["--column", "amount:bins=5000"],
            "`amount`: bins is 5000",
        ),
        (vec!["--column", "amount:edges=3,1"], "edges must increase"),
        (
            vec!["--column", "amount:edges=1,inf"],
            "not a finite number",
        ),
        (
            vec!["--column", "amount:threshold=-1"],
            "`amount`: the threshold -1",
        ),
    ] {
        let mut args = vec!["report", "--baseline", &b, "--current", &l];
        args.extend(flags.iter());
        let (ok, _, stderr) = driftscope_within(Duration::from_secs(60), &args);
        assert!(!ok, "{flags:?} accepted");
        assert!(stderr.contains(says), "{flags:?}: {stderr}");
    }
    // The investigation file goes through the same check, and the message names the file.
    let file = dir.path().join("bad.driftscope.ron");
    std::fs::write(
        &file,
        format!(
            "Investigation(format_version: 1, title: \"x\", baseline: Some({b:?}), current: Some({l:?}), drift: (dataset_share: 3.0))"
        ),
    )
    .unwrap();
    let (ok, _, stderr) = driftscope_within(
        Duration::from_secs(60),
        &["report", "--investigation", file.to_str().unwrap()],
    );
    assert!(!ok);
    assert!(
        stderr.contains("bad.driftscope.ron") && stderr.contains("dataset drift share is 3"),
        "{stderr}"
    );
}

#[test]
fn a_feature_with_tens_of_thousands_of_categories_is_compared_without_counting_them_per_cell() {
    // 20,000 distinct codes, a year of daily windows and two channels: counting every code in
    // every cell would take hundreds of megabytes; the column is compared from its rows instead.
    let dir = tempfile::tempdir().unwrap();
    let mut base = String::from("code,channel\n");
    for i in 0..4000 {
        writeln!(base, "c{},{}", i * 7 % 20_000, ["web", "app"][i % 2]).unwrap();
    }
    let mut log = String::from("ts,code,channel\n");
    let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    for i in 0..21_900 {
        let day = start + chrono::Days::new((i / 60) as u64);
        writeln!(
            log,
            "{day}T{:02}:00:00Z,c{},{}",
            i % 24,
            i * 13 % 20_000,
            ["web", "app"][i % 2]
        )
        .unwrap();
    }
    let (b, l) = (dir.path().join("b.csv"), dir.path().join("l.csv"));
    std::fs::write(&b, base).unwrap();
    std::fs::write(&l, log).unwrap();
    let json = dir.path().join("r.json");
    let (ok, _, stderr) = driftscope_within(
        Duration::from_secs(120),
        &[
            "report",
            "--baseline",
            b.to_str().unwrap(),
            "--current",
            l.to_str().unwrap(),
            "--role",
            "code=feature",
            "--segment",
            "channel",
            "--json",
            json.to_str().unwrap(),
        ],
    );
    assert!(ok, "{stderr}");
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let code: Vec<&serde_json::Value> = r["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["column"] == "code")
        .collect();
    // Overall, and each channel against the whole baseline and against its own.
    assert_eq!(code.len(), 5, "{code:?}");
    for f in code {
        assert!(f["score"].is_number(), "{f}");
        assert_eq!(f["exact"], true);
    }
    let series = r["windows"]["series"].as_array().unwrap();
    let s = series.iter().find(|s| s["column"] == "code").unwrap();
    assert_eq!(s["scores"].as_array().unwrap().len(), 365);
}

/// Profiles of two parts of one log were refused as "roles differ" when only the reasons' counts
/// did (a segment with 3 distinct values in one part, 4 in the other): parts are compared by
/// each column's role, not by the wording of why.
#[test]
fn parts_whose_role_reasons_quote_other_counts_still_merge() {
    use driftscope::analysis::Workspace;
    use driftscope::analysis::profile_file::{DEFAULT_VALUE_BUDGET, InputFile, LogProfile};
    use driftscope::analysis::report::DriftParams;
    use driftscope::data::{OverrideLayers, load_inputs};
    use driftscope::jobs::JobState;
    let dir = tempfile::tempdir().unwrap();
    let mut base = String::from("amount,region\n");
    for i in 0..400 {
        writeln!(base, "{},{}", i % 97, ["a", "b", "c", "d"][i % 4]).unwrap();
    }
    let b = dir.path().join("b.csv");
    std::fs::write(&b, base).unwrap();
    let part = |name: &str, regions: usize, offset: usize| {
        let mut log = String::from("timestamp,amount,region\n");
        for i in 0..300 {
            writeln!(
                log,
                "2026-03-0{}T{:02}:00:00Z,{},{}",
                1 + offset + i % 2,
                i % 24,
                (i * 7) % 101,
                ["a", "b", "c", "d"][i % regions]
            )
            .unwrap();
        }
        let l = dir.path().join(name);
        std::fs::write(&l, log).unwrap();
        let inputs = load_inputs(&b, &l, &OverrideLayers::default()).unwrap();
        let params = DriftParams::default();
        let ws = Workspace::new(&inputs, &params, &JobState::default());
        let file = |name: &str, rows| InputFile {
            name: name.to_owned(),
            sha256: "0".repeat(64),
            rows,
        };
        LogProfile::of(
            &ws,
            file("b.csv", inputs.baseline.rows()),
            file(name, inputs.current.rows()),
            &inputs,
            &params,
            DEFAULT_VALUE_BUDGET,
        )
        .unwrap()
    };
    let (first, second) = (part("one.csv", 3, 0), part("two.csv", 4, 2));
    let reason = |p: &LogProfile| p.header.roles.get("region").unwrap().reason.clone();
    assert_ne!(reason(&first), reason(&second), "the reasons differ");
    let merged = LogProfile::merge(vec![first, second]).unwrap();
    assert_eq!(merged.header.log.rows, 600);
}

/// A log of exactly `--batch-rows` rows was read as two batches (the second empty): planned,
/// profiled and re-read for its values instead of profiled in one pass.
#[test]
fn a_log_of_exactly_one_batch_is_profiled_in_one_pass() {
    let dir = tempfile::tempdir().unwrap();
    let (baseline, log) = write_pair(dir.path(), 10, 150, &[]);
    let out = dir.path().join("p.parquet");
    let profile = |batch_rows: &str| {
        let (ok, stdout, stderr) = driftscope_within(
            Duration::from_secs(60),
            &[
                "profile",
                "--baseline",
                &baseline,
                "--input",
                &log,
                "--output",
                out.to_str().unwrap(),
                "--batch-rows",
                batch_rows,
            ],
        );
        assert!(ok, "{stderr}");
        (stdout, stderr)
    };
    // 1,500 rows in batches of 1,500: one pass — nothing planned, no values re-read.
    let (stdout, stderr) = profile("1500");
    assert!(!stderr.contains("planning"), "{stderr}");
    assert!(!stderr.contains("gathering values"), "{stderr}");
    assert!(!stdout.contains("batches of"), "{stdout}");
    // One row fewer a batch: two batches, planned.
    let (stdout, stderr) = profile("1499");
    assert!(stderr.contains("planning: batch 2"), "{stderr}");
    assert!(
        stdout.contains("read in 2 batches of 1499 rows"),
        "{stdout}"
    );
}

#[test]
/// The Evidently preset ignored `--method` and `--column COL:method=M` without a word.
fn the_evidently_preset_ignored_the_method_a_user_asked_for() {
    let sample = |name: &str| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("sample-data")
            .join(name)
    };
    let (b, c) = (sample("baseline.parquet"), sample("predictions.parquet"));
    let (b, c) = (b.to_str().unwrap(), c.to_str().unwrap());
    let (ok, _, stderr) = driftscope_within(
        Duration::from_secs(60),
        &[
            "report",
            "--baseline",
            b,
            "--current",
            c,
            "--preset",
            "evidently",
            "--method",
            "psi",
        ],
    );
    assert!(!ok);
    assert!(
        stderr.contains("--method psi is not used by the Evidently preset")
            && stderr.contains("--column COLUMN:method=psi"),
        "{stderr}"
    );
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let (ok, _, stderr) = driftscope_within(
        Duration::from_secs(60),
        &[
            "report",
            "--baseline",
            b,
            "--current",
            c,
            "--preset",
            "evidently",
            "--window",
            "none",
            "--column",
            "amount:method=psi",
            "--column",
            "merchant_category:method=l_infinity",
            "--json",
            json.to_str().unwrap(),
        ],
    );
    assert!(ok, "{stderr}");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let overall = |column: &str| {
        doc["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["column"] == column && f["segment"].is_null())
            .unwrap_or_else(|| panic!("{column} overall"))
            .clone()
    };
    assert_eq!(overall("amount")["method"], "evidently:psi");
    let merchant = overall("merchant_category");
    assert!(merchant["score"].is_null(), "{merchant}");
    assert!(
        merchant["note"]
            .as_str()
            .is_some_and(|n| n.contains("Evidently has no l_infinity test")),
        "{merchant}"
    );
}

/// A heatmap cell of a segment value the baseline never saw (against the same segment of the
/// baseline) named no method and had threshold 0: its tooltip read " – (threshold 0)". It now
/// carries the method and threshold that would have decided, and says why there is no score.
#[test]
fn a_heatmap_cell_of_a_segment_value_the_baseline_never_saw_named_no_method() {
    use driftscope::analysis::slice::{self, SliceDef};
    use driftscope::analysis::{ColumnKind, Decider, Reference};
    let s = sample::sample();
    let h = slice::heatmap(
        &s.ws,
        &s.inputs,
        &SliceDef::default(),
        "region",
        Reference::BaselineSegment,
        &driftscope::jobs::JobState::default(),
    )
    .unwrap()
    .unwrap();
    let new = h
        .values
        .iter()
        .position(|(v, _)| v == "ap-southeast")
        .unwrap();
    let settings = &s.report.params.settings;
    for (column, cell) in h.columns.iter().zip(&h.cells[new]) {
        let kind = s
            .report
            .overall()
            .find(|f| &f.drift.column == column)
            .map_or(ColumnKind::Numeric, |f| f.drift.kind);
        let (method, threshold) = settings.verdict_rule(column, kind);
        assert_eq!(cell.method, Decider::Method(method), "{column}");
        assert_eq!(cell.threshold, threshold, "{column}");
        assert!(cell.score.is_none() && !cell.drifted, "{column}");
        assert_eq!(
            cell.note.as_deref(),
            Some("this segment value never appears in the baseline")
        );
    }
}

/// A slice that could not be measured (here: a column the log does not have) left the feature
/// panel showing "Updating to the new slice" with a spinner forever over the previous slice,
/// never saying why; it now says the error above the previous result.
#[test]
fn a_slice_that_fails_says_why_instead_of_updating_forever() {
    use driftscope::analysis::{Predicate, SliceDef};
    use driftscope::ui::{AppCommand, AppConfig, DriftscopeApp, Launch, Panel};
    use egui_kittest::kittest::Queryable;
    let config = AppConfig {
        state_dir: None,
        frame_times: false,
        autosave_every: Duration::ZERO,
    };
    let launch = Launch::Investigation(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/sample.driftscope.ron"),
    );
    let mut harness = egui_kittest::Harness::builder()
        .with_size(eframe::egui::vec2(1360.0, 860.0))
        .build_eframe(move |cc| {
            DriftscopeApp::new(
                &cc.egui_ctx,
                launch,
                driftscope::jobs::Executor::Inline,
                config,
            )
        });
    harness.run();
    let mut run = |command: AppCommand| {
        let ctx = harness.ctx.clone();
        harness.state_mut().apply(&ctx, command);
        harness.run();
    };
    let one = |column: &str, value: &str| {
        SliceDef::default().with(Predicate::OneOf {
            column: column.into(),
            values: vec![value.into()],
        })
    };
    run(AppCommand::SetSlice(one("region", "ap-southeast")));
    run(AppCommand::SelectFeature("hour".into()));
    run(AppCommand::ShowPanel(Panel::Feature));
    run(AppCommand::SetSlice(one("no_such_column", "x")));
    harness.get_by_label_contains("the previous result (log where region = ap-southeast) is shown");
    assert!(
        harness
            .query_by_label_contains("Updating to the new slice")
            .is_none()
    );
}

/// The Jensen–Shannon distance of two equal distributions given on different scales summed to a
/// hair below zero after rounding, and its square root was NaN (the mix-adjusted drift of a log
/// that is exactly the baseline's segments in another mix showed NaN).
#[test]
fn jensen_shannon_of_equal_distributions_is_zero_not_nan() {
    use driftscope::stats::divergence::jensen_shannon;
    let d = jensen_shannon(&[0.18, 0.82], &[18.0, 82.0], Some(2.0));
    assert_eq!(d, 0.0);
    let d = jensen_shannon(&[0.09 + 0.09, 0.01 + 0.81], &[18.0, 82.0], None);
    assert_eq!(d, 0.0);
}
