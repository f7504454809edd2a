//! The drift engine on the sample investigation: every planted incident (sample-data/README.md)
//! is found where it was planted, and nothing is invented where nothing was planted.

// Tests panic on purpose when something is off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::OnceLock;

use driftscope::analysis::Reference;
use driftscope::analysis::performance::PerformanceReference;
use driftscope::analysis::quality::QualityKind;
use driftscope::analysis::{DriftParams, DriftReport, run_drift_report};
use driftscope::data::{OverrideLayers, load_inputs};
use driftscope::jobs::JobState;

fn report() -> &'static DriftReport {
    static REPORT: OnceLock<DriftReport> = OnceLock::new();
    REPORT.get_or_init(|| {
        run_drift_report(
            &sample_inputs(),
            &DriftParams::default(),
            &JobState::default(),
        )
        .unwrap()
    })
}

/// The sample's baseline and log, loaded with inferred roles.
fn sample_inputs() -> driftscope::data::Inputs {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data");
    load_inputs(
        &dir.join("baseline.parquet"),
        &dir.join("predictions.jsonl"),
        &OverrideLayers::default(),
    )
    .unwrap()
}

fn segment_drift(
    column: &str,
    seg: &str,
    value: &str,
) -> &'static driftscope::analysis::report::FeatureDrift {
    report()
        .features
        .iter()
        .find(|f| {
            f.drift.column == column
                && f.reference == Reference::Baseline
                && f.segment
                    .as_ref()
                    .is_some_and(|s| s.column == seg && s.value == value)
        })
        .unwrap_or_else(|| panic!("no entry for {column} where {seg} = {value}"))
}

#[test]
fn the_new_region_is_found_as_a_segment_absent_from_the_baseline() {
    let mix = report()
        .segments
        .iter()
        .find(|m| m.column == "region")
        .unwrap();
    let new: Vec<&str> = mix
        .values
        .iter()
        .filter(|v| v.absent_from_baseline)
        .map(|v| v.value.as_str())
        .collect();
    assert_eq!(new, ["ap-southeast"]);
    let ap = mix
        .values
        .iter()
        .find(|v| v.value == "ap-southeast")
        .unwrap();
    assert_eq!(ap.baseline_share, Some(0.0));
    assert!(
        (0.05..0.12).contains(&ap.current_share),
        "{}",
        ap.current_share
    );
    // Its traffic looks different from what the model was trained on.
    for column in [
        "amount",
        "distance_from_home_km",
        "account_age_days",
        "merchant_category",
    ] {
        assert!(
            segment_drift(column, "region", "ap-southeast")
                .drift
                .drifted,
            "{column}"
        );
    }
    assert!(
        report()
            .data_quality
            .iter()
            .any(|a| a.kind == QualityKind::NewSegment)
    );
}

#[test]
fn the_null_spike_is_found_in_its_region_only() {
    let alerts: Vec<_> = report()
        .data_quality
        .iter()
        .filter(|a| a.kind == QualityKind::NullRateChange && a.column == "account_age_days")
        .collect();
    assert!(
        alerts
            .iter()
            .any(|a| a.segment.as_ref().is_some_and(|s| s.value == "us-west")),
        "{alerts:#?}"
    );
    // No other region has it.
    for region in ["us-east", "us-central", "eu-west", "eu-central"] {
        assert!(
            !alerts
                .iter()
                .any(|a| a.segment.as_ref().is_some_and(|s| s.value == region)),
            "{region}"
        );
    }
    let us_west = segment_drift("account_age_days", "region", "us-west");
    assert!(us_west.drift.stats.null_rate_current > 0.1);
    assert_eq!(us_west.drift.stats.null_rate_baseline, 0.0);
}

#[test]
fn the_release_with_the_cents_bug_moves_scores_from_its_day_on() {
    let r = report();
    assert!(
        segment_drift("score", "model_version", "fraud-gbm-3.1")
            .drift
            .drifted
    );
    assert!(
        !segment_drift("score", "model_version", "fraud-gbm-3.0")
            .drift
            .drifted
    );
    let w = r.windows.as_ref().unwrap();
    let score = w.series.iter().find(|s| s.column == "score").unwrap();
    let first = score.first_drift_window.unwrap();
    assert_eq!(
        w.windows[first].start.as_deref(),
        Some("2026-11-06 00:00:00 UTC")
    );
}

#[test]
fn the_concept_shift_shows_in_performance_not_in_feature_drift() {
    let p = report().performance.as_ref().unwrap();
    assert_eq!(p.positive_class.as_deref(), Some("1"));
    assert_eq!(p.reference, PerformanceReference::Baseline);
    let w = report().windows.as_ref().unwrap();
    let day = |i: usize| w.windows[i].start.clone().unwrap();
    let accuracy_alert_days: Vec<String> = p
        .alerts
        .iter()
        .filter(|a| a.metric == "accuracy" && a.window.is_some())
        .map(|a| day(a.window.unwrap()))
        .collect();
    assert!(
        accuracy_alert_days.contains(&"2026-11-07 00:00:00 UTC".to_owned()),
        "{accuracy_alert_days:?}"
    );
    assert!(
        !accuracy_alert_days.contains(&"2026-11-02 00:00:00 UTC".to_owned()),
        "{accuracy_alert_days:?}"
    );
    // Amount itself did not drift overall: the inputs look the same, the labels changed.
    let amount = r_overall("amount");
    assert!(!amount.drift.drifted);
}

fn r_overall(column: &str) -> &'static driftscope::analysis::report::FeatureDrift {
    report()
        .overall()
        .find(|f| f.drift.column == column)
        .unwrap()
}

#[test]
fn before_the_incidents_nothing_drifts() {
    let w = report().windows.as_ref().unwrap();
    for s in &w.series {
        assert!(
            !s.drifted[0] && !s.drifted[1],
            "{} drifts in the first two days: {:?}",
            s.column,
            s.scores
        );
    }
}

#[test]
fn latency_is_reported_per_segment_with_the_new_region_slowest() {
    let l = report().latency.as_ref().unwrap();
    assert_eq!(l.column, "latency_ms");
    let slowest = &l.slices[0];
    assert_eq!(
        (
            slowest.segment.column.as_str(),
            slowest.segment.value.as_str()
        ),
        ("region", "ap-southeast")
    );
    let v31 = l
        .slices
        .iter()
        .find(|s| s.segment.value == "fraud-gbm-3.1")
        .unwrap();
    let v30 = l
        .slices
        .iter()
        .find(|s| s.segment.value == "fraud-gbm-3.0")
        .unwrap();
    assert!(v31.latency.p50 > v30.latency.p50);
}

#[test]
fn every_segment_value_is_compared_with_its_own_baseline_slice_where_it_has_one() {
    let r = report();
    let has = |value: &str, reference: Reference| {
        r.features.iter().any(|f| {
            f.reference == reference
                && f.segment
                    .as_ref()
                    .is_some_and(|s| s.column == "region" && s.value == value)
        })
    };
    assert!(has("us-west", Reference::BaselineSegment));
    assert!(has("ap-southeast", Reference::Baseline));
    assert!(
        !has("ap-southeast", Reference::BaselineSegment),
        "no baseline rows to compare with"
    );
}

#[test]
fn quality_alerts_name_constant_columns_new_categories_and_type_changes() {
    let dir = tempfile::tempdir().unwrap();
    let mut baseline = String::from("x,colour,code\n");
    let mut log = String::from("x,colour,code\n");
    for i in 0..300 {
        baseline.push_str(&format!(
            "{},{},{}\n",
            i % 17,
            ["red", "green"][i % 2],
            i % 5
        ));
        log.push_str(&format!(
            "7,{},c{}\n",
            ["red", "green", "blue"][i % 3],
            i % 5
        ));
    }
    let (b, l) = (dir.path().join("b.csv"), dir.path().join("l.csv"));
    std::fs::write(&b, baseline).unwrap();
    std::fs::write(&l, log).unwrap();
    let inputs = load_inputs(&b, &l, &OverrideLayers::default()).unwrap();
    let r = run_drift_report(&inputs, &DriftParams::default(), &JobState::default()).unwrap();
    let kinds = |column: &str| -> Vec<QualityKind> {
        r.data_quality
            .iter()
            .filter(|a| a.column == column)
            .map(|a| a.kind)
            .collect()
    };
    assert!(
        kinds("x").contains(&QualityKind::BecameConstant),
        "{:?}",
        r.data_quality
    );
    assert!(kinds("colour").contains(&QualityKind::NewCategories));
    assert!(kinds("code").contains(&QualityKind::TypeChange));
    let new = r
        .data_quality
        .iter()
        .find(|a| a.kind == QualityKind::NewCategories)
        .unwrap();
    assert!(new.message.contains("blue"), "{}", new.message);
}

/// The app shows the report as its parts are ready: the overall entries and the verdict first —
/// already final —, then the segments, then the time windows; the finished report has nothing
/// pending and equals the report measured in one go.
#[test]
fn the_report_is_handed_out_part_by_part_and_each_part_is_final() {
    use driftscope::analysis::{ReportPart, run_drift_report_parts};
    use std::sync::Mutex;
    let inputs = sample_inputs();
    let parts: Mutex<Vec<DriftReport>> = Mutex::default();
    let keep = |r: DriftReport| parts.lock().unwrap().push(r);
    let state = JobState::default();
    let (done, _) =
        run_drift_report_parts(&inputs, &DriftParams::default(), &state, Some(&keep)).unwrap();
    let parts = parts.into_inner().unwrap();
    use ReportPart::{Latency, Performance, Segments, Windows};
    let pending: Vec<&[ReportPart]> = parts.iter().map(|p| p.pending.as_slice()).collect();
    assert_eq!(
        pending,
        [
            &[Segments, Windows, Performance, Latency][..],
            &[Windows, Performance, Latency][..],
            &[Performance, Latency][..],
        ]
    );
    assert!(done.pending.is_empty());
    assert_eq!(&done, report(), "the same report as measured in one go");
    // First: every overall entry and the verdict as they end up; no segment yet.
    let first = &parts[0];
    assert_eq!(first.dataset, done.dataset);
    let overall = |r: &DriftReport| r.overall().cloned().collect::<Vec<_>>();
    assert_eq!(overall(first), overall(&done));
    assert!(first.features.iter().all(|f| f.segment.is_none()));
    assert!(first.segments.is_empty() && first.windows.is_none());
    // Then the segments, whole; then the windows.
    assert_eq!(parts[1].segments, done.segments);
    assert_eq!(parts[1].features, done.features);
    assert!(parts[1].windows.is_none());
    assert_eq!(parts[2].windows, done.windows);
    assert!(
        parts
            .iter()
            .all(|p| p.performance.is_none() && p.latency.is_none())
    );
    // The progress said which of the report's parts ran last.
    assert_eq!(state.part_of(), Some((7, 7)));
}

/// A cancelled report gives nothing (the app keeps what it showed), whenever the cancel came.
#[test]
fn a_cancelled_report_gives_no_report() {
    let inputs = sample_inputs();
    let state = JobState::default();
    state.cancel();
    assert!(run_drift_report(&inputs, &DriftParams::default(), &state).is_none());
}
