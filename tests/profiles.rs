//! The profile path against the row path on the sample investigation: windows, data-driven
//! thresholds, heatmap and timelines are evaluated from merged cell profiles, and must give what
//! the rows give — exactly for the binned statistics, inside the stated interval for the rest.

// Tests panic on purpose when something is off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/json.rs"]
mod json;
#[path = "common/rng.rs"]
mod rng;
#[path = "common/sample.rs"]
mod sample;

use driftscope::analysis::drift::{ColumnDrift, DriftSettings, Method};
use driftscope::analysis::report::DriftReport;
use driftscope::analysis::slice::{self, Predicate, SliceDef};
use driftscope::analysis::{
    DriftParams, Reference, Side, Workspace, run_drift_report_with_workspace,
};
use driftscope::data::{Inputs, OverrideLayers, load_inputs};
use driftscope::jobs::JobState;
use sample::sample;

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
        let rows = slice::compare_rows(&s.ws, &s.inputs, &a, &whole, &JobState::default())
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
            let by_rows = slice::compare_rows(
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
            let by_rows = slice::compare_rows(
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
        let rows = window_by_rows(&ws, &s.inputs, win);
        let d = &rows.column("amount").unwrap().drift;
        let want_drift = d.drifted;
        assert_eq!(
            amount.drifted[win.index], want_drift,
            "window {}: KS verdict",
            win.index
        );
        // Where the window's p-value is an interval, the rows' p-value lies in it.
        if let Some(Some([lo, hi])) = amount.score_intervals.get(win.index) {
            let p = d.score.unwrap();
            assert!(
                *lo <= p * (1.0 + 1e-9) && p <= hi * (1.0 + 1e-9),
                "window {}: p {p} outside [{lo}, {hi}]",
                win.index
            );
        }
    }
    assert_eq!(amount.score_intervals.len(), w.windows.len());
}

/// One window of the log against the whole baseline, measured from the rows.
fn window_by_rows(
    ws: &Workspace,
    inputs: &Inputs,
    win: &driftscope::analysis::windows::Window,
) -> driftscope::analysis::slice::SliceComparison {
    let a = SliceDef::whole(Side::Log).with(Predicate::Time {
        start_micros: win.start_micros.unwrap(),
        end_micros: win.end_micros.unwrap(),
    });
    slice::compare_rows(
        ws,
        inputs,
        &a,
        &SliceDef::whole(Side::Baseline),
        &JobState::default(),
    )
    .unwrap()
    .unwrap()
}

/// Windows compute only their deciding score: whatever the method, a window's score equals the
/// score of its rows, or (when the grid leaves it an interval) the rows' score lies inside it,
/// and a decided verdict is the rows' verdict.
#[test]
fn window_scores_for_every_method_agree_with_the_rows() {
    let s = sample();
    for method in [
        Method::Psi,
        Method::WassersteinNormed,
        Method::Hellinger,
        Method::Kl,
        Method::LInfinity,
    ] {
        let params = DriftParams {
            settings: DriftSettings {
                numeric_method: method,
                ..DriftSettings::default()
            },
            ..DriftParams::default()
        };
        let (report, ws) =
            run_drift_report_with_workspace(&s.inputs, &params, &JobState::default()).unwrap();
        let w = report.windows.as_ref().unwrap();
        let mut compared = 0;
        for win in &w.windows {
            let rows = window_by_rows(&ws, &s.inputs, win);
            for series in w.series.iter().filter(|c| c.method == method) {
                let d = &rows.column(&series.column).unwrap().drift;
                let (Some(p), Some(r)) = (series.scores[win.index], d.score) else {
                    continue;
                };
                compared += 1;
                match series.score_intervals[win.index] {
                    Some([lo, hi]) => assert!(
                        lo - 1e-12 <= r && r <= hi + 1e-12,
                        "{method:?} {} window {}: rows {r} outside [{lo}, {hi}]",
                        series.column,
                        win.index
                    ),
                    None => {
                        assert!(
                            close(p, r),
                            "{method:?} {} window {}: profile {p}, rows {r}",
                            series.column,
                            win.index
                        );
                        assert_eq!(series.drifted[win.index], d.drifted);
                    }
                }
            }
        }
        assert!(compared > 20, "{method:?}: only {compared} window scores");
    }
}

/// Every statistic of one entry from profiles against the same comparison by the rows.
fn assert_same(what: &str, p: &ColumnDrift, r: &ColumnDrift) {
    assert!(p.exact, "{what}: not exact ({:?})", p.stats.intervals);
    assert_eq!(p.drifted, r.drifted, "{what}: verdict");
    assert_eq!(
        (p.n_baseline, p.n_current),
        (r.n_baseline, r.n_current),
        "{what}"
    );
    let (a, b) = (&p.stats, &r.stats);
    let opt = |name: &str, x: Option<f64>, y: Option<f64>, tol: f64| match (x, y) {
        (Some(x), Some(y)) => assert!(
            (x - y).abs() <= tol * x.abs().max(y.abs()).max(1e-300) || x == y,
            "{what}: {name} {x:e} vs rows {y:e}"
        ),
        (None, None) => {}
        other => panic!("{what}: {name} {other:?}"),
    };
    opt("score", p.score, r.score, 1e-9);
    match (a.ks_statistic, b.ks_statistic) {
        (Some(x), Some(y)) => assert!((x - y).abs() <= 1e-12, "{what}: D {x} vs {y}"),
        other => assert_eq!(other.0, other.1, "{what}: D"),
    }
    opt("ks_pvalue", a.ks_pvalue, b.ks_pvalue, 1e-6);
    opt("wasserstein", a.wasserstein, b.wasserstein, 1e-9);
    opt(
        "wasserstein_normed",
        a.wasserstein_normed,
        b.wasserstein_normed,
        1e-9,
    );
    opt("psi", a.psi, b.psi, 1e-9);
    opt("js", a.js_distance, b.js_distance, 1e-9);
    opt("chi2_pvalue", a.chi2_pvalue, b.chi2_pvalue, 1e-6);
    opt(
        "out_of_range",
        a.out_of_range_rate,
        b.out_of_range_rate,
        1e-12,
    );
    assert_eq!(
        a.baseline_counts, b.baseline_counts,
        "{what}: baseline bins"
    );
    assert_eq!(a.current_counts, b.current_counts, "{what}: current bins");
    assert!(close(a.null_rate_current, b.null_rate_current), "{what}");
    for (side, x, y) in [
        ("baseline", &a.baseline_summary, &b.baseline_summary),
        ("current", &a.current_summary, &b.current_summary),
    ] {
        match (x, y) {
            (Some(x), Some(y)) => {
                assert_eq!(
                    (x.min, x.q25, x.median, x.q75, x.max),
                    (y.min, y.q25, y.median, y.q75, y.max),
                    "{what}: {side} quartiles"
                );
                opt("mean", Some(x.mean), Some(y.mean), 1e-9);
                opt("std", x.std, y.std, 1e-9);
            }
            (None, None) => {}
            other => panic!("{what}: {side} summary {other:?}"),
        }
    }
}

/// The report's overall and per-segment entries (from profiles, made exact by one gathering
/// pass) against the row path's comparison of the same rows.
fn entries_equal_the_rows(inputs: &Inputs, report: &DriftReport, ws: &Workspace) {
    let compare = |a: &SliceDef, b: &SliceDef| {
        slice::compare_rows(ws, inputs, a, b, &JobState::default())
            .unwrap()
            .unwrap()
    };
    let whole = compare(
        &SliceDef::whole(Side::Log),
        &SliceDef::whole(Side::Baseline),
    );
    let mut segments = 0;
    for f in &report.features {
        let by_rows = match &f.segment {
            None => whole.column(&f.drift.column).unwrap().drift.clone(),
            Some(seg) => {
                segments += 1;
                let only = |side| {
                    SliceDef::whole(side).with(Predicate::OneOf {
                        column: seg.column.clone(),
                        values: vec![seg.value.clone()],
                    })
                };
                let reference = match f.reference {
                    Reference::Baseline => SliceDef::whole(Side::Baseline),
                    _ => only(Side::Baseline),
                };
                let c = compare(&only(Side::Log), &reference);
                c.column(&f.drift.column).unwrap().drift.clone()
            }
        };
        let what = format!(
            "{} {:?} vs {:?}",
            f.drift.column,
            f.segment.as_ref().map(|s| &s.value),
            f.reference
        );
        assert_same(&what, &f.drift, &by_rows);
    }
    assert!(segments > 0, "segment entries");
}

#[test]
fn overall_and_segment_entries_from_profiles_equal_the_rows() {
    let s = sample();
    entries_equal_the_rows(&s.inputs, &s.report, &s.ws);
}

/// The same on continuous values: a baseline with more distinct values than a grid holds, so
/// every numeric comparison needs the gathering pass.
#[test]
fn entries_equal_the_rows_on_continuous_values_past_the_grid() {
    let dir = tempfile::tempdir().unwrap();
    let (b, l) = continuous_pair(dir.path(), 0..9_000);
    let inputs = load_inputs(&b, &l, &OverrideLayers::default()).unwrap();
    let (report, ws) =
        run_drift_report_with_workspace(&inputs, &DriftParams::default(), &JobState::default())
            .unwrap();
    let grid_edges = ws.cells().unwrap().grids[..]
        .iter()
        .flatten()
        .map(|g| g.grid.edges.len())
        .max()
        .unwrap();
    assert!(grid_edges < 12_000, "the grid must not hold every value");
    entries_equal_the_rows(&inputs, &report, &ws);
}

/// Slices that are unions of log cells, as the app's Slices panel asks for them: `compare`
/// (the cell profiles, gathered cell by cell to be exact) equals the rows' comparison, counts and
/// every statistic; `compare_preview` (profiles only) is exact where it says so, holds the rows'
/// score inside its interval where not, and never contradicts a verdict it gives.
/// Returns how many preview columns were exact and how many intervals.
fn slices_of_cells_equal_the_rows(
    inputs: &Inputs,
    ws: &Workspace,
    column: &str,
    values: &[&str],
) -> (usize, usize) {
    let one = |side, values: &[&str]| {
        SliceDef::whole(side).with(Predicate::OneOf {
            column: column.into(),
            values: values.iter().map(|v| (*v).to_owned()).collect(),
        })
    };
    let mut previews_exact = 0;
    let mut previews_open = 0;
    for (a, b) in [
        (
            one(Side::Log, &values[..1]),
            SliceDef::whole(Side::Baseline),
        ),
        (
            one(Side::Log, &values[..1]),
            one(Side::Baseline, &values[..1]),
        ),
        (one(Side::Log, values), SliceDef::whole(Side::Baseline)),
    ] {
        let what = format!("{} vs {}", a.describe(), b.describe());
        let state = JobState::default();
        let cells = slice::compare(ws, inputs, &a, &b, &state).unwrap().unwrap();
        let rows = slice::compare_rows(ws, inputs, &a, &b, &state)
            .unwrap()
            .unwrap();
        let preview = slice::compare_preview(ws, inputs, &a, &b, &state)
            .unwrap_or_else(|| panic!("{what}: no preview"));
        for c in [&cells, &preview] {
            assert_eq!((c.a_rows, c.b_rows), (rows.a_rows, rows.b_rows), "{what}");
            assert_eq!(c.columns.len(), rows.columns.len(), "{what}");
        }
        for r in &rows.columns {
            let name = format!("{what}: {}", r.drift.column);
            let c = cells.column(&r.drift.column).unwrap();
            assert_same(&name, &c.drift, &r.drift);
            let p = &preview.column(&r.drift.column).unwrap().drift;
            if p.exact {
                previews_exact += 1;
                assert_same(&format!("{name} (preview)"), p, &r.drift);
                continue;
            }
            previews_open += 1;
            let score = r.drift.score.unwrap();
            let interval = p.method.method().zip(p.stats.intervals.as_ref());
            if let Some([lo, hi]) = interval.and_then(|(m, i)| i.of_method(m)) {
                let slack = 1e-9 * score.abs().max(1e-300);
                assert!(
                    lo - slack <= score && score <= hi + slack,
                    "{name}: rows {score} outside the preview's [{lo}, {hi}]"
                );
            }
            if !p.undecided() {
                assert_eq!(p.drifted, r.drift.drifted, "{name}: preview verdict");
            }
        }
    }
    (previews_exact, previews_open)
}

#[test]
fn slices_of_cells_from_profiles_equal_the_rows_on_the_sample() {
    let s = sample();
    let (exact, _) =
        slices_of_cells_equal_the_rows(&s.inputs, &s.ws, "region", &["us-west", "eu-central"]);
    assert!(exact > 0, "the sample's grid resolves some previews");
}

/// On continuous values the grid cannot hold every baseline value: the exact answers need the
/// values gathered from the slice's cells, and the previews are intervals.
#[test]
fn slices_of_cells_equal_the_rows_on_continuous_values_past_the_grid() {
    let dir = tempfile::tempdir().unwrap();
    let (b, l) = continuous_pair(dir.path(), 0..9_000);
    let inputs = load_inputs(&b, &l, &OverrideLayers::default()).unwrap();
    let (_, ws) =
        run_drift_report_with_workspace(&inputs, &DriftParams::default(), &JobState::default())
            .unwrap();
    let (_, open) =
        slices_of_cells_equal_the_rows(&inputs, &ws, "region", &["east", "north", "south"]);
    assert!(open > 0, "past the grid some previews are intervals");
}

fn sample_profile() -> driftscope::analysis::profile_file::LogProfile {
    use driftscope::analysis::profile_file::{InputFile, LogProfile};
    let s = sample();
    let file = |name: &str, rows| InputFile {
        name: name.to_owned(),
        sha256: "0".repeat(64),
        rows,
    };
    LogProfile::of(
        &s.ws,
        file("baseline.parquet", s.inputs.baseline.rows()),
        file("predictions.jsonl", s.inputs.current.rows()),
        &s.inputs,
        &DriftParams::default(),
        driftscope::analysis::profile_file::DEFAULT_VALUE_BUDGET,
    )
    .unwrap()
}

/// `driftscope profile` writes the log's cells at both levels; reading the file back gives the
/// same profiles, bit for bit (edges and sums are doubles in the file, not decimal text).
#[test]
fn a_profile_file_reads_back_as_the_profiles_it_was_written_from() {
    use driftscope::analysis::profile_file::LogProfile;
    let profile = sample_profile();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.profile.parquet");
    profile.write(&path, &[]).unwrap();
    let back = LogProfile::read(&path).unwrap();
    assert_eq!(back.header, profile.header);
    assert_eq!(back.untimed.index, profile.untimed.index);
    assert_eq!(back.timed.index, profile.timed.index);
    assert_eq!(back.untimed.edges, profile.untimed.edges);
    assert_eq!(back.timed.columns, profile.timed.columns);
    assert_eq!(back.untimed.columns, profile.untimed.columns);
    assert_eq!(back, profile);
    // The sample's week of daily windows and its segment tuples are all there.
    let windows = back.header.windows.as_ref().unwrap();
    assert_eq!(windows.windows.len(), 7);
    assert_eq!(back.timed.index.slots, 8);
    let rows: u64 = back.untimed.columns[0].total_rows();
    assert_eq!(rows as usize, sample().inputs.current.rows());
}

/// A file that is not a profile, or a profile whose records contradict its header, is refused
/// with a message naming what is wrong — never a panic.
#[test]
fn a_broken_profile_is_refused_with_a_clear_message() {
    use driftscope::analysis::profile_file::LogProfile;
    use polars::prelude::*;
    let profile = sample_profile();
    let frame = profile.to_frame().unwrap();

    let err = LogProfile::from_frame(&frame.drop("record").unwrap()).unwrap_err();
    assert!(err.contains("no column `record`"), "{err}");

    // A slot past the grid.
    let records = frame.column("record").unwrap().str().unwrap().clone();
    let slots = frame.column("slots").unwrap().list().unwrap().clone();
    let first_cell = (0..frame.height())
        .find(|&i| slots.get_as_series(i).is_some_and(|s| !s.is_empty()))
        .unwrap();
    let broken = edit_list(&frame, "slots", first_cell, |s| {
        let mut v: Vec<u32> = s.u32().unwrap().into_no_null_iter().collect();
        v[0] = 1 << 30;
        Series::new("".into(), v)
    });
    let err = LogProfile::from_frame(&broken).unwrap_err();
    assert!(err.contains(&format!("row {first_cell}: slot")), "{err}");

    // Lists of different lengths.
    let broken = edit_list(&frame, "counts", first_cell, |s| s.slice(1, s.len()));
    let err = LogProfile::from_frame(&broken).unwrap_err();
    assert!(err.contains("of different lengths"), "{err}");

    // A column the header does not know.
    let columns = frame.column("column").unwrap().str().unwrap().clone();
    let renamed: Vec<Option<String>> = columns
        .iter()
        .map(|c| c.map(|c| format!("{c}_x")))
        .collect();
    let mut broken = frame.clone();
    broken
        .with_column(Column::new("column".into(), renamed))
        .unwrap();
    let err = LogProfile::from_frame(&broken).unwrap_err();
    assert!(err.contains("is not in the header"), "{err}");

    // The same cell twice (an engine's query that double counts).
    let first_cell = records.iter().position(|r| r == Some("cell")).unwrap();
    let doubled = frame.vstack(&frame.slice(first_cell as i64, 1)).unwrap();
    let err = LogProfile::from_frame(&doubled).unwrap_err();
    assert!(err.contains("a second cell record"), "{err}");

    // A stored value outside the slot it names (a value record that would bend an answer).
    let first_value = records.iter().position(|r| r == Some("value")).unwrap();
    let broken = edit_list(&frame, "values", first_value, |s| {
        let mut v: Vec<f64> = s.f64().unwrap().into_no_null_iter().collect();
        v[0] = 1e300;
        Series::new("".into(), v)
    });
    let err = LogProfile::from_frame(&broken).unwrap_err();
    assert!(
        err.starts_with(&format!("row {first_value}: the value 1"))
            && err.contains("does not lie in slot"),
        "{err}"
    );

    // The same slot's values twice.
    let doubled = frame.vstack(&frame.slice(first_value as i64, 1)).unwrap();
    let err = LogProfile::from_frame(&doubled).unwrap_err();
    assert!(err.contains("a second value record"), "{err}");

    // Not Parquet at all.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.parquet");
    std::fs::write(&path, "a,b\n1,2\n").unwrap();
    let err = LogProfile::read(&path).unwrap_err();
    assert!(
        err.contains("p.parquet") && err.contains("not a Parquet profile"),
        "{err}"
    );
}

/// `frame` with row `row` of the list column `name` replaced by `edit` of it.
fn edit_list(
    frame: &polars::prelude::DataFrame,
    name: &str,
    row: usize,
    edit: impl Fn(polars::prelude::Series) -> polars::prelude::Series,
) -> polars::prelude::DataFrame {
    use polars::prelude::*;
    let lists = frame.column(name).unwrap().list().unwrap().clone();
    let edited: ListChunked = (0..lists.len())
        .map(|i| {
            let s = lists.get_as_series(i);
            if i == row { s.map(&edit) } else { s }
        })
        .collect();
    let mut out = frame.clone();
    out.with_column(edited.with_name(name.into()).into_series().into_column())
        .unwrap();
    out
}

/// The long form an engine's `GROUP BY` gives without list aggregation: a `slot` record per
/// non-empty slot and a `category` record per category, the cells' lists null.
fn to_long_form(frame: &polars::prelude::DataFrame) -> polars::prelude::DataFrame {
    use polars::prelude::*;
    let names: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    let n = frame.height();
    let null_lists = |name: &str, inner: DataType, len: usize| {
        Column::full_null(name.into(), len, &DataType::List(Box::new(inner)))
    };
    let nulls =
        |name: &str, dtype: &DataType, len: usize| Column::full_null(name.into(), len, dtype);
    // Only the cells' lists have a long form (performance records keep theirs).
    let is_cell = frame.column("record").unwrap().str().unwrap().equal("cell");
    let mut parts = Vec::new();
    for (lists, long, record) in [
        (
            ["slots", "counts", "sums"].as_slice(),
            ["slot", "count", "sum"].as_slice(),
            "slot",
        ),
        (
            ["labels", "counts"].as_slice(),
            ["label", "count"].as_slice(),
            "category",
        ),
    ] {
        let mask = frame.column(lists[0]).unwrap().is_not_null() & is_cell.clone();
        let mut part = frame.filter(&mask).unwrap();
        for l in long {
            part = part.drop(l).unwrap();
        }
        let mut part = part
            .explode(
                lists.iter().copied(),
                ExplodeOptions {
                    empty_as_null: false,
                    keep_nulls: false,
                },
            )
            .unwrap();
        for (l, to) in lists.iter().zip(long) {
            part.rename(l, (*to).into()).unwrap();
        }
        let len = part.height();
        part.with_column(Column::new("record".into(), vec![record; len]))
            .unwrap();
        for c in [
            "rows",
            "missing",
            "non_finite",
            "min",
            "max",
            "mean",
            "m2",
            "sum",
            "label",
            "slot",
        ] {
            // The cell's own fields, and the other form's, are not the slot's or category's.
            if !long.contains(&c) {
                let dtype = frame.column(c).unwrap().dtype().clone();
                part.with_column(nulls(c, &dtype, len)).unwrap();
            }
        }
        for (l, inner) in [
            ("slots", DataType::UInt32),
            ("counts", DataType::UInt64),
            ("sums", DataType::Float64),
            ("labels", DataType::String),
        ] {
            part.with_column(null_lists(l, inner, len)).unwrap();
        }
        let part = part.select(names.iter().map(String::as_str)).unwrap();
        let part = part
            .columns()
            .iter()
            .map(|c| c.cast(frame.column(c.name()).unwrap().dtype()).unwrap())
            .collect::<Vec<_>>();
        parts.push(DataFrame::new_infer_height(part).unwrap());
    }
    let mut cells = frame.clone();
    for (l, inner) in [
        ("slots", DataType::UInt32),
        ("counts", DataType::UInt64),
        ("sums", DataType::Float64),
        ("labels", DataType::String),
    ] {
        let kept = frame.column(l).unwrap().as_materialized_series();
        let nulled = null_lists(l, inner, n);
        let mixed = kept
            .zip_with(&!is_cell.clone(), nulled.as_materialized_series())
            .unwrap();
        cells.with_column(mixed.into_column()).unwrap();
    }
    for p in parts {
        cells.vstack_mut(&p).unwrap();
    }
    cells
}

/// The long form (a record per slot and per category, what an engine writes without list
/// aggregation) reads back as the same profile as the lists `driftscope profile` writes.
#[test]
fn the_long_form_of_a_profile_reads_back_as_the_same_profile() {
    use driftscope::analysis::profile_file::LogProfile;
    let profile = sample_profile();
    let frame = profile.to_frame().unwrap();
    let long = to_long_form(&frame);
    let records = long.column("record").unwrap().str().unwrap().clone();
    let slot_records = records.iter().filter(|r| *r == Some("slot")).count();
    assert!(slot_records > 1000, "{slot_records} slot records");
    assert!(records.iter().any(|r| r == Some("category")));
    assert_eq!(LogProfile::from_frame(&long).unwrap(), profile);
    // The same slot twice, once in each form, is refused.
    let twice = frame.vstack(&long.slice(frame.height() as i64, 1)).unwrap();
    let err = LogProfile::from_frame(&twice).unwrap_err();
    assert!(err.contains("a second slot record"), "{err}");
}

/// The report measured from a profile alone: written, read back, merged with nothing, the
/// baseline cut on the file's grids, the log's side only cells and stored values.
fn report_from_profile(
    profile: driftscope::analysis::profile_file::LogProfile,
    baseline: &std::path::Path,
    params: &DriftParams,
) -> DriftReport {
    use driftscope::analysis::profile_file::LogProfile;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.profile.parquet");
    profile.write(&path, &[]).unwrap();
    let back = LogProfile::merge(vec![LogProfile::read(&path).unwrap()]).unwrap();
    let inputs = back
        .inputs(driftscope::data::load_table(baseline).unwrap(), &path)
        .unwrap();
    assert_eq!(inputs.current.rows(), 0, "no log rows at hand");
    let ws = back.into_workspace(&inputs, params).unwrap();
    assert!(!ws.log_rows());
    driftscope::analysis::report::report_in(&ws, &inputs, params, &JobState::default()).unwrap()
}

/// Every part of the report that a profile holds is the rows' report, to the bit: the dataset
/// verdict, every overall and per-segment entry, the segment mixes, the windows with their
/// data-driven thresholds and the data-quality alerts. What only rows answer is said missing.
fn assert_same_report(rows: &DriftReport, from_profile: &DriftReport) {
    let json = |v: &dyn erased::Serialize| v.to_json();
    assert_eq!(
        json(&from_profile.dataset),
        json(&rows.dataset),
        "dataset verdict"
    );
    assert_eq!(from_profile.features.len(), rows.features.len(), "entries");
    for (p, r) in from_profile.features.iter().zip(&rows.features) {
        assert_eq!(
            json(p),
            json(r),
            "{} {:?} {:?}",
            r.drift.column,
            r.segment,
            r.reference
        );
    }
    assert_eq!(
        json(&from_profile.segments),
        json(&rows.segments),
        "segment mix"
    );
    assert_eq!(json(&from_profile.windows), json(&rows.windows), "windows");
    assert_eq!(
        json(&from_profile.data_quality),
        json(&rows.data_quality),
        "data quality"
    );
    for note in &rows.notes {
        assert!(from_profile.notes.contains(note), "note {note}");
    }
    // Performance from the cells' counts and sums: the counts' ratios to the bit, log loss and
    // the regression metrics to rounding (sums added in another order); latency exact.
    assert!(rows.performance.is_some() == from_profile.performance.is_some());
    json::close_json(
        &json(&from_profile.performance),
        &json(&rows.performance),
        "performance",
    );
    assert_eq!(json(&from_profile.latency), json(&rows.latency), "latency");
}

mod erased {
    pub trait Serialize {
        fn to_json(&self) -> serde_json::Value;
    }
    impl<T: serde::Serialize> Serialize for T {
        fn to_json(&self) -> serde_json::Value {
            serde_json::to_value(self).unwrap()
        }
    }
}

#[test]
fn a_report_from_the_profile_equals_the_report_from_the_rows() {
    let s = sample();
    let baseline =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/baseline.parquet");
    let from_profile = report_from_profile(sample_profile(), &baseline, &DriftParams::default());
    assert_same_report(&s.report, &from_profile);
    assert!(from_profile.features.iter().all(|f| f.drift.exact));
}

/// Continuous values past the grid: every numeric entry needs values from inside buckets, which
/// the profile stores for the comparisons the report makes.
#[test]
fn a_report_from_the_profile_is_exact_on_continuous_values_past_the_grid() {
    let dir = tempfile::tempdir().unwrap();
    let (b, l) = continuous_pair(dir.path(), 0..9_000);
    let inputs = load_inputs(&b, &l, &OverrideLayers::default()).unwrap();
    let params = DriftParams::default();
    let (report, ws) =
        run_drift_report_with_workspace(&inputs, &params, &JobState::default()).unwrap();
    let profile = log_profile(&ws, &inputs, &params);
    let stored = profile.stored_values();
    assert!(stored > 0, "values stored for the exact answers");
    assert!(
        stored < inputs.current.rows(),
        "only the few values needed: {stored}"
    );
    let from_profile = report_from_profile(profile, &b, &params);
    assert_same_report(&report, &from_profile);
}

/// Profiles of two parts of a log (its first four days and the rest, profiled separately, as
/// two machines would) merge into the whole log's: the same cells, and a report whose every
/// entry is the rows' answer or an interval holding it.
#[test]
fn profiles_of_parts_of_a_log_merge_into_the_whole_logs() {
    parts_merge_into_the_whole(1_000);
}

/// Parts over five years of daily windows: so many cells that each part's timed grid is sized by
/// its own cell count — the grids differ and the merge coarsens them to their shared edges.
#[test]
fn profiles_of_parts_with_different_grids_merge_on_their_shared_edges() {
    parts_merge_into_the_whole(5);
}

/// Profiles the log's first 4,000 rows and the rest apart, merges them, and checks the merged
/// profile against the whole log's profile and its report against the rows' report.
fn parts_merge_into_the_whole(per_day: usize) {
    use driftscope::analysis::profile_file::LogProfile;
    let dir = tempfile::tempdir().unwrap();
    let (b, whole) = continuous_pair_over(dir.path(), 0..9_000, per_day);
    let params = DriftParams::default();
    let part = |name: &str, rows: std::ops::Range<usize>| {
        let sub = dir.path().join(name);
        std::fs::create_dir(&sub).unwrap();
        let (_, l) = continuous_pair_over(&sub, rows, per_day);
        let inputs = load_inputs(&b, &l, &OverrideLayers::default()).unwrap();
        let ws = Workspace::new(&inputs, &params, &JobState::default());
        log_profile(&ws, &inputs, &params)
    };
    let (pa, pb) = (part("a", 0..4_000), part("b", 4_000..9_000));
    let grids_differ = pa.timed.edges != pb.timed.edges;
    assert_eq!(
        grids_differ,
        per_day < 1_000,
        "grids differ only over a year"
    );
    let merged = LogProfile::merge(vec![pa.clone(), pb.clone()]).unwrap();
    // Every merged grid's edges are edges of both parts' grids, and every cell's values add up.
    for part in [&pa, &pb] {
        for (m, p) in merged.timed.edges.iter().zip(&part.timed.edges) {
            if let (Some(m), Some(p)) = (m, p) {
                assert!(m.iter().all(|e| p.contains(e)));
            }
        }
    }
    let inputs = load_inputs(&b, &whole, &OverrideLayers::default()).unwrap();
    let (report, ws) =
        run_drift_report_with_workspace(&inputs, &params, &JobState::default()).unwrap();
    let one = log_profile(&ws, &inputs, &params);
    // The same windows, and the same rows in every cell of both levels.
    assert_eq!(merged.header.windows, one.header.windows);
    assert_eq!(merged.header.log.rows, one.header.log.rows);
    for (m, o) in [(&merged.untimed, &one.untimed), (&merged.timed, &one.timed)] {
        let rows = |l: &driftscope::analysis::profile_file::ProfiledLevel| {
            let mut cells: Vec<(Vec<Option<String>>, usize, u64)> = Vec::new();
            for (t, tuple) in l.index.tuples.iter().enumerate() {
                for s in 0..l.index.slots {
                    cells.push((tuple.clone(), s, l.columns[0].rows(l.index.cell(t, s))));
                }
            }
            cells.sort();
            cells
        };
        assert_eq!(rows(m), rows(o));
    }
    let from_parts = report_from_profile(merged, &b, &params);
    entries_hold_the_rows_answers(&from_parts, &report);
    assert_eq!(
        serde_json::to_value(&from_parts.segments).unwrap(),
        serde_json::to_value(&report.segments).unwrap()
    );
    let (wp, wr) = (
        from_parts.windows.as_ref().unwrap(),
        report.windows.as_ref().unwrap(),
    );
    assert_eq!(wp.windows, wr.windows);
    // Performance and latency from the parts' cells, moved to the merged cells and added up.
    let json = |v: &dyn erased::Serialize| v.to_json();
    assert!(report.performance.is_some());
    json::close_json(
        &json(&from_parts.performance),
        &json(&report.performance),
        "performance",
    );
    assert_eq!(json(&from_parts.latency), json(&report.latency), "latency");
}

/// Every entry of a report from profiles is the rows' answer (to 1e-9) or an interval holding
/// it, with the rows' verdict when decided. Returns how many were exact in every statistic.
fn entries_hold_the_rows_answers(from_profile: &DriftReport, report: &DriftReport) -> usize {
    assert_eq!(from_profile.features.len(), report.features.len());
    let mut exact = 0;
    for (p, r) in from_profile.features.iter().zip(&report.features) {
        let what = format!("{} {:?} {:?}", r.drift.column, r.segment, r.reference);
        assert_eq!(
            (p.drift.n_current, p.drift.n_baseline),
            (r.drift.n_current, r.drift.n_baseline),
            "{what}"
        );
        let (Some(score), Some(truth)) = (p.drift.score, r.drift.score) else {
            panic!("{what}: no score");
        };
        match p.drift.score_interval {
            None => assert!(
                (score - truth).abs() <= 1e-9 * truth.abs().max(1.0),
                "{what}: {score} vs {truth}"
            ),
            Some([lo, hi]) => assert!(
                lo <= truth + 1e-12 && truth <= hi + 1e-12,
                "{what}: {truth} outside [{lo}, {hi}]"
            ),
        }
        if !p.drift.undecided() {
            assert_eq!(p.drift.drifted, r.drift.drifted, "{what}: verdict");
        }
        if p.drift.exact {
            // Moments merged from parts (Chan) equal the rows' to rounding.
            json::close_json(
                &serde_json::to_value(&p.drift.stats).unwrap(),
                &serde_json::to_value(&r.drift.stats).unwrap(),
                &format!("{what}: exact statistics"),
            );
            exact += 1;
        } else {
            assert!(
                p.drift.stats.intervals.is_some(),
                "{what}: an inexact entry says how"
            );
        }
    }
    exact
}

/// With a budget too small for every exact answer, `profile` stores the values of the
/// comparisons with the most rows — the overall entries stay exact — and says what it left out;
/// the entries left out are intervals holding the rows' answers, never guesses.
#[test]
fn a_profile_within_a_value_budget_keeps_the_largest_comparisons_exact() {
    use driftscope::analysis::profile_file::LogProfile;
    let dir = tempfile::tempdir().unwrap();
    let (b, l) = continuous_pair(dir.path(), 0..9_000);
    let inputs = load_inputs(&b, &l, &OverrideLayers::default()).unwrap();
    let params = DriftParams::default();
    let (report, ws) =
        run_drift_report_with_workspace(&inputs, &params, &JobState::default()).unwrap();
    let full = log_profile(&ws, &inputs, &params);
    let needed: usize = full
        .header
        .columns
        .iter()
        .map(|c| c.exact_values.needed)
        .sum();
    assert_eq!(
        needed,
        full.stored_values(),
        "no budget reached: all stored"
    );
    let column = full
        .header
        .columns
        .iter()
        .max_by_key(|c| c.exact_values.needed)
        .unwrap();
    let budget = column.exact_values.needed / 2;
    let file = |name: &str, rows| driftscope::analysis::profile_file::InputFile {
        name: name.to_owned(),
        sha256: "0".repeat(64),
        rows,
    };
    let small = LogProfile::of(
        &ws,
        file("b.csv", inputs.baseline.rows()),
        file("l.csv", inputs.current.rows()),
        &inputs,
        &params,
        budget,
    )
    .unwrap();
    let limited = small
        .header
        .columns
        .iter()
        .find(|c| c.name == column.name)
        .unwrap();
    assert!(limited.exact_values.stored <= budget);
    assert!(limited.exact_values.stored < limited.exact_values.needed);
    assert!(limited.exact_values.comparisons_left_out > 0);
    for (c, values) in small.header.columns.iter().zip(&small.untimed.values) {
        let stored: usize = values.values().map(Vec::len).sum();
        assert_eq!(stored, c.exact_values.stored, "{}", c.name);
        assert!(stored <= budget, "{}: {stored}", c.name);
    }
    let from_profile = report_from_profile(small, &b, &params);
    let exact = entries_hold_the_rows_answers(&from_profile, &report);
    assert!(exact < report.features.len(), "some entries are intervals");
    // The overall entries (the most rows) are the ones kept exact.
    for (p, r) in from_profile.features.iter().zip(&report.features) {
        if r.segment.is_none() {
            assert!(p.drift.exact, "{}: overall exact", r.drift.column);
        }
    }
}

fn log_profile(
    ws: &Workspace,
    inputs: &Inputs,
    params: &DriftParams,
) -> driftscope::analysis::profile_file::LogProfile {
    use driftscope::analysis::profile_file::{InputFile, LogProfile};
    let file = |name: &str, rows| InputFile {
        name: name.to_owned(),
        sha256: "0".repeat(64),
        rows,
    };
    LogProfile::of(
        ws,
        file("b.csv", inputs.baseline.rows()),
        file("l.csv", inputs.current.rows()),
        inputs,
        params,
        driftscope::analysis::profile_file::DEFAULT_VALUE_BUDGET,
    )
    .unwrap()
}

/// A baseline of continuous values (more distinct ones than a grid holds) in four regions, and
/// the rows `rows` of a nine-day log in which east drifts upwards from the fifth day on.
fn continuous_pair(
    dir: &std::path::Path,
    rows: std::ops::Range<usize>,
) -> (std::path::PathBuf, std::path::PathBuf) {
    continuous_pair_over(dir, rows, 1_000)
}

/// [`continuous_pair`] with `per_day` log rows a day (1,000: nine days; 5: five years).
fn continuous_pair_over(
    dir: &std::path::Path,
    rows: std::ops::Range<usize>,
    per_day: usize,
) -> (std::path::PathBuf, std::path::PathBuf) {
    use std::fmt::Write as _;
    let mut u = rng::uniform(5);
    let regions = ["north", "south", "east", "west"];
    let mut base = String::from("income,age,region\n");
    for i in 0..12_000 {
        let r = i % 4;
        writeln!(
            base,
            "{},{},{}",
            u() * 1000.0 + r as f64 * 50.0,
            u() * 60.0 + 18.0,
            regions[r]
        )
        .unwrap();
    }
    // A label on about a third of the rows (labels arrive late), a prediction, a score and a
    // latency on every row: performance and latency are measured too.
    let mut log = String::from("timestamp,income,age,region,score,prediction,label,latency_ms\n");
    for i in 0..9_000 {
        let r = i % 4;
        let day = i / 1_000;
        let shift = if r == 2 && day >= 4 { 120.0 } else { 0.0 };
        let (income, age) = (u() * 1000.0 + r as f64 * 50.0 + shift, u() * 60.0 + 18.0);
        let score = (income / 1300.0 + u() * 0.3).min(1.0);
        let label = if u() < 0.35 {
            u8::from(u() < score).to_string()
        } else {
            String::new()
        };
        let latency = 5.0 + u() * u() * 200.0;
        if rows.contains(&i) {
            let date = chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()
                + chrono::Days::new((i / per_day) as u64);
            writeln!(
                log,
                "{}T{:02}:00:00Z,{income},{age},{},{score},{},{label},{latency}",
                date.format("%Y-%m-%d"),
                i % 24,
                regions[r],
                u8::from(score >= 0.5),
            )
            .unwrap();
        }
    }
    let (b, l) = (dir.join("b.csv"), dir.join("l.csv"));
    std::fs::write(&b, base).unwrap();
    std::fs::write(&l, log).unwrap();
    (b, l)
}

/// A log read in batches (`driftscope profile --batch-rows`): planned over all batches, every
/// batch cut into the same cells and added up, the values exact answers need gathered from each
/// batch — the same cells as the whole log read at once, and a report equal to the rows'.
fn batched_equals_whole(baseline: &std::path::Path, log: &std::path::Path, batch_rows: usize) {
    use driftscope::analysis::profile_file::{InputFile, profile_in_batches};
    let params = DriftParams::default();
    let file = |name: &str| InputFile {
        name: name.to_owned(),
        sha256: "0".repeat(64),
        rows: 0,
    };
    let read = |rows: usize| {
        profile_in_batches(
            (baseline, log),
            (file("b"), file("l")),
            &OverrideLayers::default(),
            &params,
            (
                rows,
                driftscope::analysis::profile_file::DEFAULT_VALUE_BUDGET,
            ),
            &|_| true,
        )
        .unwrap()
    };
    let (batched, whole) = (read(batch_rows), read(usize::MAX / 2));
    assert!(batched.batches > 2, "{} batches", batched.batches);
    assert_eq!(whole.batches, 1);
    let (b, w) = (&batched.profile, &whole.profile);
    assert_eq!(b.header.log.rows, w.header.log.rows);
    assert_eq!(b.header.windows, w.header.windows, "the same windows");
    assert_eq!(b.header.segments, w.header.segments);
    // The same grids, and the same rows and counts in every cell of both levels.
    assert_eq!(b.timed.edges, w.timed.edges, "the same timed grids");
    assert_eq!(b.untimed.edges, w.untimed.edges, "the same untimed grids");
    for (lb, lw) in [(&b.untimed, &w.untimed), (&b.timed, &w.timed)] {
        let cells = |l: &driftscope::analysis::profile_file::ProfiledLevel| {
            let mut out = Vec::new();
            for (t, tuple) in l.index.tuples.iter().enumerate() {
                for s in 0..l.index.slots {
                    let counts: Vec<String> = l
                        .columns
                        .iter()
                        .filter_map(|c| c.get(l.index.cell(t, s)))
                        .map(|p| match &*p {
                            driftscope::analysis::profiles::ColumnProfile::Numeric(p) => {
                                format!("{} {:?}", p.rows, p.counts)
                            }
                            driftscope::analysis::profiles::ColumnProfile::Categorical(p) => {
                                format!("{} {:?}", p.rows, p.counts)
                            }
                        })
                        .collect();
                    out.push((tuple.clone(), s, counts));
                }
            }
            out.sort();
            out
        };
        assert_eq!(cells(lb), cells(lw));
    }
    assert_eq!(
        b.stored_values(),
        w.stored_values(),
        "the same values stored"
    );
    // The report from the batched profile: the rows' answers.
    let inputs = load_inputs(baseline, log, &OverrideLayers::default()).unwrap();
    let (report, _) =
        run_drift_report_with_workspace(&inputs, &params, &JobState::default()).unwrap();
    let from_batches = report_from_profile(batched.profile, baseline, &params);
    let exact = entries_hold_the_rows_answers(&from_batches, &report);
    assert_eq!(exact, report.features.len(), "every entry exact");
    let json = |v: &dyn erased::Serialize| v.to_json();
    json::close_json(
        &json(&from_batches.performance),
        &json(&report.performance),
        "performance",
    );
    assert_eq!(
        json(&from_batches.latency),
        json(&report.latency),
        "latency"
    );
    json::close_json(
        &json(&from_batches.windows),
        &json(&report.windows),
        "windows",
    );
}

#[test]
fn a_log_read_in_batches_gives_the_cells_and_report_of_the_whole_csv() {
    let dir = tempfile::tempdir().unwrap();
    let (b, l) = continuous_pair(dir.path(), 0..9_000);
    batched_equals_whole(&b, &l, 2_000);
}

#[test]
fn a_log_read_in_batches_gives_the_cells_and_report_of_the_whole_nested_json_lines() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data");
    batched_equals_whole(
        &dir.join("baseline.parquet"),
        &dir.join("predictions.jsonl"),
        3_000,
    );
}

/// What the app does with a log too large for memory: read in batches and held as a profile
/// (`open_in_batches`), its report measured from a copy of the profile (`report_from_held`) —
/// the rows' answers — and the slices its cells answer as from the rows, while one that cuts
/// inside them (a numeric range) is refused with why; a cancel stops the reading.
#[test]
fn a_log_held_as_a_profile_answers_as_its_rows_and_refuses_what_needs_them() {
    use driftscope::analysis::profile_file::{Held, open_in_batches, report_from_held};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data");
    let (baseline, log) = (dir.join("baseline.parquet"), dir.join("predictions.jsonl"));
    let params = DriftParams::default();
    let layers = OverrideLayers::default();
    let state = JobState::default();
    let (inputs, held) = open_in_batches(
        (&baseline, &log),
        &layers,
        &params,
        (3_000, "too large (a test)".to_owned()),
        &state,
    )
    .unwrap();
    assert!(
        matches!(held.how, Held::Batched { batches: 4, .. }),
        "{:?}",
        held.how
    );
    assert_eq!(held.profile.header.log.rows, 10_500);
    assert!(
        held.describe().contains("10,500 rows"),
        "{}",
        held.describe()
    );
    let (report, ws) = report_from_held(&held.profile, &inputs, &params, &state, None)
        .unwrap()
        .unwrap();
    assert!(!ws.log_rows());
    let s = sample();
    let exact = entries_hold_the_rows_answers(&report, &s.report);
    assert_eq!(exact, s.report.features.len(), "every entry exact");

    // A region against the baseline, and the heatmap by region: the rows' numbers.
    let region = SliceDef::whole(Side::Log).with(Predicate::OneOf {
        column: "region".into(),
        values: vec!["ap-southeast".into()],
    });
    let whole = SliceDef::whole(Side::Baseline);
    let from_cells = slice::compare(&ws, &inputs, &region, &whole, &state)
        .unwrap()
        .unwrap();
    let from_rows = slice::compare_rows(&s.ws, &s.inputs, &region, &whole, &state)
        .unwrap()
        .unwrap();
    assert_eq!(from_cells.a_rows, from_rows.a_rows);
    for c in &from_rows.columns {
        let d = &from_cells.column(&c.drift.column).unwrap().drift;
        assert_eq!(d.drifted, c.drift.drifted, "{}", c.drift.column);
        assert!(
            close(d.score.unwrap(), c.drift.score.unwrap()),
            "{}",
            c.drift.column
        );
    }
    let heat = |ws: &Workspace, inputs: &Inputs| {
        let h = slice::heatmap(
            ws,
            inputs,
            &SliceDef::whole(Side::Log),
            "region",
            Reference::Baseline,
            &state,
        )
        .unwrap()
        .unwrap();
        (
            h.values.clone(),
            h.cells
                .iter()
                .map(|r| r.iter().map(|c| c.drifted).collect::<Vec<_>>())
                .collect::<Vec<_>>(),
        )
    };
    assert_eq!(heat(&ws, &inputs), heat(&s.ws, &s.inputs));

    // A numeric range is not a union of cells: refused, never measured on an empty table.
    let range = SliceDef::whole(Side::Log).with(Predicate::Range {
        column: "amount".into(),
        min: Some(10.0),
        max: None,
    });
    let refused = slice::compare(&ws, &inputs, &range, &whole, &state).unwrap_err();
    assert!(refused.contains("reads the log's rows"), "{refused}");

    // Cancelled while reading: stops with "cancelled".
    let cancelled = JobState::default();
    cancelled.cancel();
    let err = open_in_batches(
        (&baseline, &log),
        &layers,
        &params,
        (3_000, "a test".to_owned()),
        &cancelled,
    )
    .unwrap_err();
    assert_eq!(err, driftscope::analysis::profile_file::CANCELLED);
}
