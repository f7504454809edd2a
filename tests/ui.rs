//! The app's behaviour without a display: kittest drives the real app state and its widgets.

// Tests panic on purpose when something is off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use driftscope::data::Role;
use driftscope::jobs::Executor;
use driftscope::ui::{AppCommand, DriftscopeApp, Launch, Tab};
use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

fn sample_investigation() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/sample.driftscope.ron")
}

fn app(launch: Launch) -> Harness<'static, DriftscopeApp> {
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |cc| DriftscopeApp::new(&cc.egui_ctx, launch, Executor::Inline));
    harness.run();
    harness
}

#[test]
fn opens_the_sample_investigation_on_the_overview_with_drift_measured() {
    let harness = app(Launch::Investigation(sample_investigation()));
    let state = harness.state();
    assert_eq!(state.tab(), Tab::Overview);
    let report = state.report().expect("drift is measured after loading");
    assert!(
        report
            .overall()
            .any(|f| f.drift.column == "score" && f.drift.drifted)
    );
    // What a person sees first: the verdict, the ranked columns, the new region.
    harness.get_by_label_contains("features drifted");
    harness.get_by_label("distance_from_home_km");
    harness.get_by_label_contains("region = ap-southeast sends");
    harness.get_by_label("ap-southeast (new)");
}

#[test]
fn the_data_tab_lists_files_and_roles() {
    let mut harness = app(Launch::Investigation(sample_investigation()));
    harness.get_by_label("Data").click();
    harness.run();
    let state = harness.state();
    assert_eq!(state.tab(), Tab::Data);
    assert_eq!(state.error(), None);
    let inputs = state.inputs().expect("the sample is loaded");
    assert_eq!(inputs.current.rows(), 10_500);
    assert_eq!(inputs.roles.role_of("region"), Some(Role::Segment));
    // What a person sees: the files, the columns and why each has its role.
    harness.get_by_label("predictions.jsonl");
    harness.get_by_label("baseline.parquet");
    harness.get_by_label("region");
    harness.get_by_label("named like a latency; numbers, 2,953 distinct values");
    harness.get_by_label("Only in the log: ts, request_id, model_version, latency_ms");
}

#[test]
fn a_role_changed_in_the_app_sticks_and_is_marked() {
    let mut harness = app(Launch::Investigation(sample_investigation()));
    let ctx = harness.ctx.clone();
    harness.state_mut().apply(
        &ctx,
        AppCommand::SetRole {
            column: "merchant_category".into(),
            role: Role::Segment,
        },
    );
    harness.run();
    let inputs = harness.state().inputs().unwrap();
    // The drift report was measured again with the new role: merchant_category is now a segment.
    let report = harness.state().report().unwrap();
    assert!(
        report
            .segments
            .iter()
            .any(|m| m.column == "merchant_category")
    );
    let column = inputs.roles.get("merchant_category").unwrap();
    assert_eq!(column.role, Role::Segment);
    assert_eq!(column.reason, "set in the investigation file");
    assert_eq!(
        harness
            .state()
            .investigation()
            .roles
            .roles
            .get("merchant_category"),
        Some(&Role::Segment)
    );
}

#[test]
fn a_bad_file_shows_an_error_and_keeps_what_was_open() {
    let mut harness = app(Launch::Investigation(sample_investigation()));
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.jsonl");
    std::fs::write(&broken, "{\"a\": 1}\nnot json\n").unwrap();
    let ctx = harness.ctx.clone();
    harness.state_mut().apply(
        &ctx,
        AppCommand::OpenFiles {
            baseline: Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/baseline.parquet"),
            current: broken.clone(),
        },
    );
    harness.run();
    let error = harness
        .state()
        .error()
        .expect("an error is shown")
        .to_owned();
    assert!(
        error.contains("broken.jsonl: line 2: invalid JSON"),
        "{error}"
    );
    assert_eq!(
        harness.state().inputs().unwrap().current.rows(),
        10_500,
        "the sample is still open"
    );
    harness.get_by_label_contains("line 2: invalid JSON");
    harness.get_by_label("Dismiss").click();
    harness.run();
    assert_eq!(harness.state().error(), None);
}

#[test]
fn without_files_the_window_says_what_to_do() {
    let harness = app(Launch::Empty);
    harness.get_by_label("No investigation open");
    harness.get_by_label("Open baseline and log…");
}
