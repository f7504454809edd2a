//! What changed, where, since when: the mix-against-within decomposition and the onsets, on
//! generated logs whose change is only the segment mix or only inside one segment from a date
//! on, and on the sample's planted incidents, through the report a user runs.

// Tests panic on purpose when something is off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use driftscope::analysis::decomposition::Decomposition;
use driftscope::analysis::{DriftParams, run_drift_report};
use driftscope::data::{OverrideLayers, load_inputs};
use driftscope::jobs::JobState;
use sample::sample;

#[path = "common/rng.rs"]
mod rng;
#[path = "common/sample.rs"]
mod sample;

/// A baseline of two regions whose `income` and `plan` differ by region (and an `age` that does
/// not), 50/50; the log is `log_north` of north (the rest south), with `inside_shift` added to
/// south's income.
fn pair(dir: &Path, log_north: f64, inside_shift: f64) -> (PathBuf, PathBuf) {
    pair_over_days(dir, log_north, inside_shift, None)
}

/// [`pair`] with a timestamp on every log row when `days` is `(days, from)`: the rows spread
/// over that many days (interleaved, so every day has both regions) and south's change only from
/// day `from` on (0-based).
fn pair_over_days(
    dir: &Path,
    log_north: f64,
    inside_shift: f64,
    days: Option<(usize, usize)>,
) -> (PathBuf, PathBuf) {
    let mut u = rng::uniform(11);
    let mut row = |out: &mut String, north: bool, shift: f64, missing_age: bool| {
        let income = if north { 300.0 } else { 900.0 } + u() * 400.0 + shift;
        let plan = if (u() < 0.8) == north {
            "basic"
        } else {
            "premium"
        };
        let age = if missing_age {
            String::new()
        } else {
            format!("{}", 18.0 + u() * 60.0)
        };
        let region = if north { "north" } else { "south" };
        writeln!(out, "{income},{age},{plan},{region}").unwrap();
    };
    let header = "income,age,plan,region\n";
    let mut base = String::from(header);
    for i in 0..20_000 {
        row(&mut base, i % 2 == 0, 0.0, false);
    }
    let mut log = String::from(if days.is_some() { "ts," } else { "" });
    log.push_str(header);
    let n = 20_000;
    for i in 0..n {
        let north = (i as f64) < log_north * n as f64;
        let changed = match days {
            Some((days, from)) => {
                let day = i % days;
                write!(log, "2026-03-{:02}T{:02}:00:00Z,", day + 1, (i / days) % 24).unwrap();
                day >= from
            }
            None => true,
        };
        // South's age goes missing a fifth of the time when south is shifted.
        let shifted = !north && changed && inside_shift != 0.0;
        let missing = shifted && (i / 10) % 5 == 0;
        row(
            &mut log,
            north,
            if shifted { inside_shift } else { 0.0 },
            missing,
        );
    }
    let (b, l) = (dir.join("baseline.csv"), dir.join("log.csv"));
    std::fs::write(&b, base).unwrap();
    std::fs::write(&l, log).unwrap();
    (b, l)
}

fn decomposition_of(b: &Path, l: &Path) -> Decomposition {
    let params = DriftParams {
        window: None,
        ..DriftParams::default()
    };
    report_of(b, l, params)
        .decomposition
        .expect("the report decomposes the drift")
}

fn report_of(b: &Path, l: &Path, params: DriftParams) -> driftscope::analysis::DriftReport {
    let mut overrides = OverrideLayers::default();
    overrides
        .user
        .roles
        .insert("region".into(), driftscope::data::Role::Segment);
    overrides
        .user
        .roles
        .insert("plan".into(), driftscope::data::Role::Feature);
    let inputs = load_inputs(b, l, &overrides).unwrap();
    run_drift_report(&inputs, &params, &JobState::default()).unwrap()
}

/// Only the mix moved (north 90 % of the log instead of half): the columns that differ between
/// regions drift, and the mix explains it; the one that does not differ barely drifts.
#[test]
fn a_pure_mix_change_is_explained_by_the_mix() {
    let dir = tempfile::tempdir().unwrap();
    let (b, l) = pair(dir.path(), 0.9, 0.0);
    let d = decomposition_of(&b, &l);
    for column in ["income", "plan"] {
        let e = d.drift_of(column, "region").unwrap();
        assert!(e.score_vs_baseline > 0.2, "{column}: {e:?}");
        assert!(e.mix_share.unwrap() >= 0.8, "{column}: {e:?}");
        assert_eq!(e.absent_share, 0.0);
    }
    let age = d.drift_of("age", "region").unwrap();
    assert!(age.score_vs_baseline < 0.05, "{age:?}");
}

/// The mix held (half and half) and south's income moved: the drift is inside a segment, the
/// mix explains none of it; south's missing ages are all within, and the rate parts add up.
#[test]
fn a_change_inside_one_segment_is_not_the_mix() {
    let dir = tempfile::tempdir().unwrap();
    let (b, l) = pair(dir.path(), 0.5, 150.0);
    let d = decomposition_of(&b, &l);
    let income = d.drift_of("income", "region").unwrap();
    assert!(income.score_vs_baseline > 0.05, "{income:?}");
    assert!(income.mix_share.unwrap() <= 0.2, "{income:?}");
    let missing = d
        .rates
        .iter()
        .find(|r| r.metric == "missing_share" && r.column == "age" && r.segment_column == "region")
        .expect("the missing share of age changed");
    assert!((missing.total_change - 0.1).abs() < 1e-12, "{missing:?}");
    assert!(
        (missing.mix_part + missing.within_part - missing.total_change).abs() < 1e-12,
        "{missing:?}"
    );
    assert!(missing.mix_part.abs() < 1e-12, "{missing:?}");
    assert_eq!(missing.per_segment[0].value, "south");
}

/// The sample: a region absent from the baseline is counted apart, and the null spike of
/// `account_age_days` is inside `us-west`, not its share of the traffic; the JSON carries both
/// kinds of entry under the names of the contract.
#[test]
fn the_samples_null_spike_is_within_us_west_and_the_new_region_is_apart() {
    let (inputs, report) = (&sample().inputs, &sample().report);
    let d = report.decomposition.as_ref().unwrap();
    let hour = d.drift_of("hour", "region").unwrap();
    assert!(hour.absent_share > 0.05, "{hour:?}");
    let nulls = d
        .rates
        .iter()
        .find(|r| {
            r.metric == "missing_share"
                && r.column == "account_age_days"
                && r.segment_column == "region"
        })
        .unwrap();
    assert!(nulls.total_change > 0.0);
    assert!(nulls.within_part > nulls.mix_part.abs(), "{nulls:?}");
    assert_eq!(nulls.per_segment[0].value, "us-west", "{nulls:?}");
    let sum: f64 = nulls
        .per_segment
        .iter()
        .map(|p| p.mix_part + p.within_part)
        .sum();
    assert!((sum - nulls.total_change).abs() < 1e-12);

    let json = driftscope::export::json::build_report_json(inputs, Some(report)).unwrap();
    let entries = json["decomposition"].as_array().unwrap();
    let drift = entries.iter().find(|e| e["kind"] == "drift").unwrap();
    for key in [
        "column",
        "segment_column",
        "score_vs_baseline",
        "score_vs_mix_adjusted",
        "mix_share",
        "method",
    ] {
        assert!(drift.get(key).is_some(), "{key} in {drift}");
    }
    let rate = entries.iter().find(|e| e["kind"] == "rate").unwrap();
    for key in [
        "metric",
        "segment_column",
        "total_change",
        "mix_part",
        "within_part",
        "per_segment",
    ] {
        assert!(rate.get(key).is_some(), "{key} in {rate}");
    }
}

/// The sample's planted incidents have their onsets within one window of when they were
/// planted — the `account_age_days` nulls in us-west from 2026-11-04 09:00, ap-southeast from
/// 2026-11-05, the 3.1 release on mobile from 2026-11-06 14:00 — and nothing starts in the
/// first two days.
#[test]
fn the_samples_incidents_start_when_they_were_planted() {
    let (inputs, report) = (&sample().inputs, &sample().report);
    let windows = &report.windows.as_ref().unwrap().windows;
    let day = |d: u32| {
        windows
            .iter()
            .position(|w| {
                w.start
                    .as_deref()
                    .is_some_and(|s| s.starts_with(&format!("2026-11-{d:02}")))
            })
            .unwrap()
    };
    let find = |metric: &str, column: Option<&str>, segment: (&str, &str)| {
        report
            .onsets
            .iter()
            .find(|o| {
                o.metric == metric
                    && o.column.as_deref() == column
                    && o.segment
                        .as_ref()
                        .is_some_and(|s| s.column == segment.0 && s.value == segment.1)
            })
            .unwrap_or_else(|| {
                panic!(
                    "no onset of {metric} {column:?} in {segment:?}: {:#?}",
                    report.onsets
                )
            })
    };
    let nulls = find(
        "missing_share",
        Some("account_age_days"),
        ("region", "us-west"),
    );
    assert!(nulls.window.abs_diff(day(4)) <= 1, "{nulls:?}");
    assert!(nulls.before < 0.01 && nulls.after > 0.2, "{nulls:?}");
    let new_region = find("traffic_share", None, ("region", "ap-southeast"));
    assert!(new_region.window.abs_diff(day(5)) <= 1, "{new_region:?}");
    assert_eq!(new_region.before, 0.0);
    let skew = find("mean", Some("score"), ("device", "mobile"));
    assert!(skew.window.abs_diff(day(6)) <= 1, "{skew:?}");
    assert!(skew.after > skew.before);
    assert!(
        skew.model_version_switch
            .as_deref()
            .is_some_and(|v| v.contains("fraud-gbm-3.1")),
        "{skew:?}"
    );
    assert!(
        report.onsets.iter().all(|o| o.window >= day(4)),
        "{:#?}",
        report.onsets
    );
    // The JSON's names.
    let json = driftscope::export::json::build_report_json(inputs, Some(report)).unwrap();
    let first = &json["onsets"][0];
    for key in [
        "metric",
        "column",
        "segment",
        "at",
        "before",
        "after",
        "model_version_switch",
    ] {
        assert!(first.get(key).is_some(), "{key} in {first}");
    }
}

/// A change inside one segment from a date on: found with its segment and its onset, the mix
/// explaining none of it.
#[test]
fn a_change_inside_one_segment_from_a_date_is_found_with_its_onset() {
    let dir = tempfile::tempdir().unwrap();
    let (b, l) = pair_over_days(dir.path(), 0.5, 150.0, Some((10, 6)));
    let report = report_of(&b, &l, DriftParams::default());
    let onset = report
        .onsets
        .iter()
        .find(|o| {
            o.metric == "missing_share" && o.column.as_deref() == Some("age") && o.segment.is_some()
        })
        .unwrap_or_else(|| panic!("{:#?}", report.onsets));
    let segment = onset.segment.as_ref().unwrap();
    assert_eq!(
        (segment.column.as_str(), segment.value.as_str()),
        ("region", "south")
    );
    assert_eq!(
        onset.at.as_deref().map(|s| &s[..10]),
        Some("2026-03-07"),
        "{onset:?}"
    );
    assert!(
        onset.before < 0.01 && (onset.after - 0.2).abs() < 0.02,
        "{onset:?}"
    );
    let d = report.decomposition.as_ref().unwrap();
    let income = d.drift_of("income", "region").unwrap();
    assert!(income.mix_share.unwrap() <= 0.2, "{income:?}");
}

/// A discovery's conditions as `column{op}value`, sorted, joined by ` & `.
fn conditions(d: &driftscope::analysis::discovery::Discovery) -> String {
    let mut c: Vec<String> = d
        .conditions
        .iter()
        .map(|c| format!("{}{}{}", c.column, c.op, c.value))
        .collect();
    c.sort();
    c.join(" & ")
}

/// The baseline's decile edges of `column`, as the discovery cuts it.
fn baseline_deciles(inputs: &driftscope::data::Inputs, column: &str) -> Vec<f64> {
    let series = inputs.baseline.frame.column(column).unwrap();
    let series = series.cast(&polars::prelude::DataType::Float64).unwrap();
    let mut v: Vec<f64> = series.f64().unwrap().iter().flatten().collect();
    v.sort_by(f64::total_cmp);
    let mut edges: Vec<f64> = (1..10).map(|k| v[k * v.len() / 10]).collect();
    edges.dedup();
    edges
}

/// The sample's planted incidents are the top incidents, each with its conditions and an onset
/// within a window of when it was planted: the 3.1 release on mobile (both conditions) from
/// 2026-11-06, ap-southeast (absent from the baseline) from 2026-11-05, the `account_age_days`
/// nulls in us-west from 2026-11-04, the error rate on small amounts (below an edge within one
/// baseline decile of $15) from 2026-11-07; nothing from the first two days; and the report and
/// the summary lead with them.
#[test]
fn the_samples_incidents_are_the_top_discoveries() {
    let (inputs, report) = (&sample().inputs, &sample().report);
    let incidents = report.incidents(4);
    // The concept shift: small amounts turn fraudulent from 2026-11-07, the model misses them.
    let small = incidents
        .iter()
        .find(|i| i.lead.conditions.iter().any(|c| c.column == "amount"))
        .unwrap_or_else(|| panic!("no incident on amount: {:#?}", report.discoveries));
    let lead = small.lead;
    assert_eq!(lead.objective, "error_rate_increase", "{lead:?}");
    assert_eq!(lead.column, "label");
    assert_eq!(lead.conditions.len(), 1, "{lead:?}");
    assert_eq!(lead.conditions[0].op, "<", "{lead:?}");
    let upper: f64 = lead.conditions[0].value.parse().unwrap();
    let edges = baseline_deciles(inputs, "amount");
    // The decile the edge stands for (the discovery writes it shorter, cutting the same rows).
    let at = edges.iter().position(|&e| e >= upper).unwrap();
    let above_15 = edges.iter().position(|&e| e > 15.0).unwrap();
    assert!(at.abs_diff(above_15) <= 1, "{upper} against {edges:?}");
    assert_eq!(lead.from.as_deref().map(|f| &f[..10]), Some("2026-11-07"));
    assert!(lead.effect_inside > 2.0 * lead.baseline, "{lead:?}");
    // The slice a click opens holds exactly the amounts below the edge.
    let slice = lead.slice();
    assert_eq!(
        slice.predicates,
        vec![driftscope::analysis::Predicate::Range {
            column: "amount".to_owned(),
            min: None,
            max: Some(upper.next_down()),
        }]
    );
    // Named as the discovery names it, not as the float below the edge.
    assert_eq!(slice.predicates[0].describe(), format!("amount < {upper}"));
    // Nothing starts in the first two days.
    for d in &report.discoveries {
        assert!(d.from.as_deref().is_none_or(|f| f >= "2026-11-04"), "{d:?}");
    }
    let mut top: Vec<(String, Option<String>)> = incidents
        .iter()
        .filter(|i| !std::ptr::eq(i.lead, lead))
        .map(|i| {
            (
                conditions(i.lead),
                i.lead.from.as_ref().map(|f| f[..10].to_owned()),
            )
        })
        .collect();
    top.sort();
    let expect = |c: &str, from: &str| (c.to_owned(), Some(from.to_owned()));
    assert_eq!(
        top,
        vec![
            expect("device=mobile & model_version=fraud-gbm-3.1", "2026-11-06"),
            expect("region=ap-southeast", "2026-11-05"),
            expect("region=us-west", "2026-11-04"),
        ],
        "{:#?}",
        report.discoveries
    );
    // The us-west incident is the nulls; ap-southeast's includes its traffic being new; the
    // release's includes the score moving.
    let of = |c: &str| incidents.iter().find(|i| conditions(i.lead) == c).unwrap();
    let all = |i: &driftscope::analysis::discovery::Incident| {
        std::iter::once(i.lead)
            .chain(i.also.iter().copied())
            .map(|d| (d.objective.clone(), d.column.clone()))
            .collect::<Vec<_>>()
    };
    let nulls = of("region=us-west").lead;
    assert_eq!(
        (nulls.objective.as_str(), nulls.column.as_str()),
        ("missing_share_increase", "account_age_days")
    );
    assert!(
        nulls.share_explained > 0.9 && nulls.q_value < 1e-6,
        "{nulls:?}"
    );
    assert!(
        all(of("region=ap-southeast"))
            .contains(&("absent_from_baseline".to_owned(), "region".to_owned()))
    );
    assert!(
        all(of("device=mobile & model_version=fraud-gbm-3.1"))
            .contains(&("mean_increase".to_owned(), "score".to_owned()))
    );
    // Measured again on the same cells: the same results (the search has no order effects).
    assert_eq!(
        driftscope::analysis::discovery::discover(
            &sample().ws,
            Some(inputs),
            report,
            &JobState::default()
        ),
        report.discoveries
    );
    // Every result explains a real share of its change and is significant.
    for d in &report.discoveries {
        assert!(d.share_explained >= 0.05 && d.q_value <= 0.05, "{d:?}");
    }
    // The JSON's names.
    let json = driftscope::export::json::build_report_json(inputs, Some(report)).unwrap();
    let first = &json["discoveries"][0];
    for key in [
        "objective",
        "column",
        "conditions",
        "from",
        "rows",
        "share_explained",
        "effect_inside",
        "effect_outside",
        "q_value",
    ] {
        assert!(first.get(key).is_some(), "{key} in {first}");
    }
    assert_eq!(first["conditions"][0]["op"], "=");
    // The report's summary and findings lead with the incidents, the dataset verdict after.
    let doc = driftscope::export::document(
        &driftscope::session::Investigation::default(),
        inputs,
        report,
        None,
    );
    assert!(doc.summary[0].starts_with("Found: "), "{:?}", doc.summary);
    let verdict = doc
        .summary
        .iter()
        .position(|l| !l.starts_with("Found: "))
        .unwrap();
    assert!(
        verdict >= 3 && doc.summary[verdict].contains("features drifted"),
        "{:?}",
        doc.summary
    );
    assert_eq!(doc.findings[0].finding.title, incidents[0].describe());
}

/// A baseline and a ten-day log of a classifier, 5 % of its predictions wrong, except — in both
/// — 30 % where `x < 10` (a range it always missed more: no change); in the log, from day 3, 70 %
/// on `device = b` in `region = south` (a release gone wrong), and from day 7, 40 % where `x` is
/// in `[40, 50)` (hidden under the first: it raises the error rate less than a fifth as much);
/// and from day 5, 30 % on `channel = phone` (a categorical feature, not a segment).
/// A tenth of the labels are missing.
fn classifier_logs(dir: &Path) -> (PathBuf, PathBuf) {
    let mut u = rng::uniform(5);
    let mut row = |out: &mut String, day: Option<usize>| {
        let x = u() * 100.0;
        let w = u() * 10.0;
        let region = if u() < 0.5 { "north" } else { "south" };
        let device = if u() < 0.5 { "a" } else { "b" };
        let channel = ["web", "app", "store", "phone"][((u() * 4.0) as usize).min(3)];
        let mut error = if x < 10.0 { 0.3 } else { 0.05 };
        if let Some(day) = day {
            if day >= 3 && region == "south" && device == "b" {
                error = 0.7;
            }
            if day >= 7 && (40.0..50.0).contains(&x) {
                error = 0.4;
            }
            if day >= 5 && channel == "phone" {
                error = 0.3;
            }
        }
        let label = u8::from(u() < 0.2);
        let prediction = if u() < error { 1 - label } else { label };
        let label = if u() < 0.1 {
            String::new()
        } else {
            label.to_string()
        };
        writeln!(
            out,
            "{x:.4},{w:.4},{channel},{region},{device},{prediction},{label}"
        )
        .unwrap();
    };
    // (`w`, not `y`: a column named `y` is taken for a label.)
    let header = "x,w,channel,region,device,prediction,label\n";
    let mut base = String::from(header);
    for _ in 0..20_000 {
        row(&mut base, None);
    }
    let mut log = format!("ts,{header}");
    for i in 0..30_000 {
        let day = i % 10;
        write!(log, "2026-03-{:02}T{:02}:00:00Z,", day + 1, (i / 10) % 24).unwrap();
        row(&mut log, Some(day));
    }
    let (b, l) = (dir.join("baseline.csv"), dir.join("log.csv"));
    std::fs::write(&b, base).unwrap();
    std::fs::write(&l, log).unwrap();
    (b, l)
}

/// The report on [`classifier_logs`], `region` and `device` its segments, `channel` a feature.
fn classifier_report(b: &Path, l: &Path) -> driftscope::analysis::DriftReport {
    use driftscope::data::Role;
    let mut overrides = OverrideLayers::default();
    for (column, role) in [
        ("region", Role::Segment),
        ("device", Role::Segment),
        ("channel", Role::Feature),
    ] {
        overrides.user.roles.insert(column.into(), role);
    }
    let inputs = load_inputs(b, l, &overrides).unwrap();
    run_drift_report(&inputs, &DriftParams::default(), &JobState::default()).unwrap()
}

/// The error rate's rounds find both changes, each with its onset — the release's segments, and
/// the hidden one's range within a decile of `[40, 50)` — and not the range the model always
/// missed more; the release explains most of the change.
#[test]
fn an_error_rate_rise_hidden_under_a_larger_one_is_found_with_its_range() {
    let dir = tempfile::tempdir().unwrap();
    let (b, l) = classifier_logs(dir.path());
    let report = classifier_report(&b, &l);
    let errors: Vec<_> = report
        .discoveries
        .iter()
        .filter(|d| d.objective == "error_rate_increase")
        .collect();
    let release = errors
        .iter()
        .find(|d| conditions(d) == "device=b & region=south")
        .unwrap_or_else(|| panic!("{errors:#?}"));
    assert_eq!(
        release.from.as_deref().map(|f| &f[..10]),
        Some("2026-03-04")
    );
    assert!(
        release.effect_inside > 0.6 && release.baseline < 0.15,
        "{release:?}"
    );
    let hidden = errors
        .iter()
        .find(|d| d.conditions.iter().any(|c| c.column == "x"))
        .unwrap_or_else(|| panic!("{errors:#?}"));
    assert_eq!(hidden.conditions.len(), 1, "{hidden:?}");
    let c = &hidden.conditions[0];
    assert_eq!(c.op, "between", "{hidden:?}");
    let bounds: Vec<f64> = c
        .value
        .trim_matches(|ch| ch == '[' || ch == ')')
        .split(',')
        .map(|v| v.trim().parse().unwrap())
        .collect();
    assert!(
        (bounds[0] - 40.0).abs() <= 10.5 && (bounds[1] - 50.0).abs() <= 10.5,
        "{hidden:?}"
    );
    assert_eq!(hidden.from.as_deref().map(|f| &f[..10]), Some("2026-03-08"));
    // The range the model always missed more is no change.
    for d in &errors {
        assert!(
            !d.conditions
                .iter()
                .any(|c| c.column == "x" && c.op == "<" && c.value.parse::<f64>().unwrap() <= 11.0),
            "{d:?}"
        );
    }
    // The categorical feature's value, found as a condition of its own from its day.
    let phone = errors
        .iter()
        .find(|d| conditions(d) == "channel=phone")
        .unwrap_or_else(|| panic!("{errors:#?}"));
    assert_eq!(phone.from.as_deref().map(|f| &f[..10]), Some("2026-03-06"));
    // The release explains most of the change, the hidden one a small part.
    assert!(release.share_explained > 0.6, "{release:?}");
    assert!(
        hidden.share_explained > 0.05 && hidden.share_explained < 0.2,
        "{hidden:?}"
    );
}

/// A baseline without predictions has no error rates to compare with: the report says so, and
/// finds no error-rate slice.
#[test]
fn without_predictions_in_the_baseline_the_report_says_why_error_rates_are_not_searched() {
    let dir = tempfile::tempdir().unwrap();
    let (b, l) = classifier_logs(dir.path());
    // The baseline's `prediction` (its sixth column) dropped.
    let text = std::fs::read_to_string(&b).unwrap();
    let dropped: String = text
        .lines()
        .map(|line| {
            let mut fields: Vec<&str> = line.split(',').collect();
            fields.remove(5);
            format!("{}\n", fields.join(","))
        })
        .collect();
    std::fs::write(&b, dropped).unwrap();
    let report = classifier_report(&b, &l);
    assert!(
        report.notes.iter().any(|n| n
            .contains("error rates are not searched by slice: the baseline has no `prediction`")),
        "{:?}",
        report.notes
    );
    assert!(
        report
            .discoveries
            .iter()
            .all(|d| d.objective != "error_rate_increase")
    );
}
