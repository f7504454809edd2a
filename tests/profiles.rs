//! The profile path against the row path on the sample investigation: windows, data-driven
//! thresholds, heatmap and timelines are evaluated from merged cell profiles, and must give what
//! the rows give — exactly for the binned statistics, inside the stated interval for the rest.

// Tests panic on purpose when something is off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::OnceLock;

use driftscope::analysis::drift::{DriftSettings, Method};
use driftscope::analysis::report::DriftReport;
use driftscope::analysis::slice::{self, Predicate, SliceDef};
use driftscope::analysis::{
    DriftParams, Reference, Side, Workspace, run_drift_report_with_workspace,
};
use driftscope::data::{Inputs, OverrideLayers, load_inputs};
use driftscope::jobs::JobState;

struct Sample {
    inputs: Inputs,
    report: DriftReport,
    ws: Workspace,
}

fn sample() -> &'static Sample {
    static SAMPLE: OnceLock<Sample> = OnceLock::new();
    SAMPLE.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data");
        let inputs = load_inputs(
            &dir.join("baseline.parquet"),
            &dir.join("predictions.jsonl"),
            &OverrideLayers::default(),
        )
        .unwrap();
        let (report, ws) =
            run_drift_report_with_workspace(&inputs, &DriftParams::default(), &JobState::default())
                .unwrap();
        Sample { inputs, report, ws }
    })
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
}

/// Every window's score from profiles equals the score of that window's rows (a time slice of
/// the log measured against the whole baseline by the row path).
#[test]
fn window_scores_from_profiles_equal_the_rows() {
    let s = sample();
    let w = s.report.windows.as_ref().unwrap();
    assert_eq!(w.windows.len(), 7, "a week of daily windows");
    let whole = SliceDef::whole(Side::Baseline);
    for win in &w.windows {
        let a = SliceDef::whole(Side::Log).with(Predicate::Time {
            start_micros: win.start_micros.unwrap(),
            end_micros: win.end_micros.unwrap(),
        });
        let rows = slice::compare(&s.ws, &s.inputs, &a, &whole, &JobState::default())
            .unwrap()
            .unwrap();
        for series in &w.series {
            let by_rows = rows.column(&series.column).unwrap();
            let from_profile = series.scores[win.index];
            match (from_profile, by_rows.drift.note.is_none()) {
                (Some(p), true) => assert!(
                    close(p, by_rows.drift.score.unwrap()),
                    "{} in window {}: profile {p}, rows {:?}",
                    series.column,
                    win.index,
                    by_rows.drift.score
                ),
                (None, false) => {}
                (p, _) => panic!(
                    "{} in window {}: profile {p:?}, rows {:?} ({:?})",
                    series.column, win.index, by_rows.drift.score, by_rows.drift.note
                ),
            }
            let null_rate = series.null_rates[win.index];
            assert!(close(null_rate, by_rows.drift.stats.null_rate_current));
        }
    }
}

/// The data-driven thresholds are learnt and stay within a bounded method's range.
#[test]
fn data_driven_thresholds_exist_and_stay_in_range() {
    let s = sample();
    let w = s.report.windows.as_ref().unwrap();
    assert!(w.chunk_rows >= 100);
    for series in &w.series {
        let t = series
            .data_threshold
            .unwrap_or_else(|| panic!("{}: no data-driven threshold", series.column));
        assert!(
            (0.0..=1.0).contains(&t),
            "{}: threshold {t} outside [0, 1]",
            series.column
        );
    }
    // The planted null spike (us-west, from 2026-11-04 09:00) shows in the missing share of
    // `account_age_days` from the third day on, and not before.
    let age = w
        .series
        .iter()
        .find(|s| s.column == "account_age_days")
        .unwrap();
    assert_eq!(age.null_rates[0], 0.0);
    assert_eq!(age.null_rates[1], 0.0);
    assert!(age.null_rates[3] > 0.02, "{:?}", age.null_rates);
}

/// The heatmap against the whole baseline from profiles equals slice comparisons by rows, cell
/// by cell, within the whole log and within a window-aligned time slice.
#[test]
fn heatmap_from_profiles_equals_the_rows() {
    let s = sample();
    let w = s.report.windows.as_ref().unwrap();
    let (t0, t1) = (
        w.windows[3].start_micros.unwrap(),
        w.windows[6].end_micros.unwrap(),
    );
    for within in [
        SliceDef::whole(Side::Log),
        SliceDef::whole(Side::Log).with(Predicate::Time {
            start_micros: t0,
            end_micros: t1,
        }),
    ] {
        let h = slice::heatmap(
            &s.ws,
            &s.inputs,
            &within,
            "region",
            Reference::Baseline,
            &JobState::default(),
        )
        .unwrap()
        .unwrap();
        for (i, (value, rows)) in h.values.iter().enumerate() {
            let a = within.clone().with(Predicate::OneOf {
                column: "region".into(),
                values: vec![value.clone()],
            });
            let by_rows = slice::compare(
                &s.ws,
                &s.inputs,
                &a,
                &SliceDef::whole(Side::Baseline),
                &JobState::default(),
            )
            .unwrap()
            .unwrap();
            assert_eq!(*rows, by_rows.a_rows, "{value}: rows");
            for (j, column) in h.columns.iter().enumerate() {
                let cell = &h.cells[i][j];
                let d = &by_rows.column(column).unwrap().drift;
                assert_eq!(cell.drifted, d.drifted, "{value} × {column}");
                match (cell.score, d.score.filter(|_| d.note.is_none())) {
                    (Some(a), Some(b)) => assert!(close(a, b), "{value} × {column}: {a} vs {b}"),
                    (None, None) => {}
                    other => panic!("{value} × {column}: {other:?}"),
                }
            }
        }
    }
}

/// The timeline per segment value from profiles equals the rows of each segment value in each
/// window.
#[test]
fn timeline_lines_from_profiles_equal_the_rows() {
    let s = sample();
    let spec = s.ws.window.clone().unwrap();
    let within = SliceDef::whole(Side::Log).with(Predicate::OneOf {
        column: "device".into(),
        values: vec!["mobile".into()],
    });
    let t = slice::timeline(
        &s.ws,
        &s.inputs,
        &spec,
        "amount",
        &within,
        Some("region"),
        &JobState::default(),
    )
    .unwrap()
    .unwrap();
    assert!(t.lines.len() > 2);
    for line in &t.lines[1..] {
        let value = line.label.strip_prefix("region = ").unwrap();
        for (k, win) in t.windows.iter().enumerate() {
            let a = within
                .clone()
                .with(Predicate::OneOf {
                    column: "region".into(),
                    values: vec![value.into()],
                })
                .with(Predicate::Time {
                    start_micros: win.start_micros.unwrap(),
                    end_micros: win.end_micros.unwrap(),
                });
            let by_rows = slice::compare(
                &s.ws,
                &s.inputs,
                &a,
                &SliceDef::whole(Side::Baseline),
                &JobState::default(),
            )
            .unwrap()
            .unwrap();
            assert_eq!(line.rows[k], by_rows.a_rows, "{value} window {k}");
            let d = &by_rows.column("amount").unwrap().drift;
            match (line.scores[k], d.score.filter(|_| d.note.is_none())) {
                (Some(a), Some(b)) => assert!(close(a, b), "{value} window {k}: {a} vs {b}"),
                (None, None) => {}
                other => panic!("{value} window {k}: {other:?}"),
            }
        }
    }
}

/// With KS deciding, a window's verdict from an interval is refined from the rows: the windows'
/// KS p-values equal the rows'.
#[test]
fn ks_windows_are_refined_from_the_rows_where_the_profile_cannot_decide() {
    let s = sample();
    let params = DriftParams {
        settings: DriftSettings {
            numeric_method: Method::Ks,
            ..DriftSettings::default()
        },
        ..DriftParams::default()
    };
    let (report, ws) =
        run_drift_report_with_workspace(&s.inputs, &params, &JobState::default()).unwrap();
    let w = report.windows.as_ref().unwrap();
    let amount = w.series.iter().find(|c| c.column == "amount").unwrap();
    assert_eq!(amount.method, Method::Ks);
    for win in &w.windows {
        let a = SliceDef::whole(Side::Log).with(Predicate::Time {
            start_micros: win.start_micros.unwrap(),
            end_micros: win.end_micros.unwrap(),
        });
        let rows = slice::compare(
            &ws,
            &s.inputs,
            &a,
            &SliceDef::whole(Side::Baseline),
            &JobState::default(),
        )
        .unwrap()
        .unwrap();
        let d = &rows.column("amount").unwrap().drift;
        let want_drift = d.drifted;
        assert_eq!(
            amount.drifted[win.index], want_drift,
            "window {}: KS verdict",
            win.index
        );
    }
}
