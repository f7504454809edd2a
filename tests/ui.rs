//! The app's behaviour without a display: kittest drives the real app state and its widgets.

// Tests panic on purpose when something is off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use driftscope::data::Role;
use driftscope::jobs::Executor;
use driftscope::ui::{AppCommand, AppConfig, DriftscopeApp, Launch, Panel};
use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

fn sample_investigation() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/sample.driftscope.ron")
}

/// The app with its own (temporary) folder for recent files and autosaves.
fn app_in(launch: Launch, state_dir: Option<&Path>) -> Harness<'static, DriftscopeApp> {
    let config = AppConfig {
        state_dir: state_dir.map(Path::to_owned),
        frame_times: false,
        autosave_every: std::time::Duration::ZERO,
    };
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1360.0, 860.0))
        .build_eframe(move |cc| DriftscopeApp::new(&cc.egui_ctx, launch, Executor::Inline, config));
    harness.run();
    harness
}

/// The app keeping nothing between runs.
fn app(launch: Launch) -> Harness<'static, DriftscopeApp> {
    app_in(launch, None)
}

#[test]
fn opens_the_sample_investigation_on_the_overview_with_drift_measured() {
    let harness = app(Launch::Investigation(sample_investigation()));
    let state = harness.state();
    assert_eq!(state.panel(), Panel::Overview);
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
    assert_eq!(state.panel(), Panel::Data);
    assert_eq!(state.error(), None);
    let inputs = state.inputs().expect("the sample is loaded");
    assert_eq!(inputs.current.rows(), 10_500);
    assert_eq!(inputs.roles.role_of("region"), Some(Role::Segment));
    // What a person sees: the files, the columns and why each has its role.
    harness.get_by_label("predictions.jsonl");
    harness.get_by_label("baseline.parquet");
    harness.get_by_label("region");
    harness.get_by_label("named like a latency; numbers, over 1,000 distinct values");
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
    assert_eq!(column.reason, "set in the app");
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
    let state_dir = tempfile::tempdir().unwrap();
    let mut harness = app_in(
        Launch::Investigation(sample_investigation()),
        Some(state_dir.path()),
    );
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.jsonl");
    std::fs::write(&broken, "{\"a\": 1}\nnot json\n").unwrap();
    // A role set in the app before the failing open.
    run_command(
        &mut harness,
        AppCommand::SetRole {
            column: "merchant_category".into(),
            role: Role::Segment,
        },
    );
    let before = harness.state().investigation().clone();
    let recent_before = harness.state().recent().clone();
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
    // Nothing else changed: roles, view, files and path as they were, the broken pair not in
    // Recent files.
    let state = harness.state();
    assert_eq!(state.investigation(), &before);
    assert_eq!(state.path(), Some(sample_investigation().as_path()));
    assert_eq!(state.recent(), &recent_before);
    assert_eq!(
        state.inputs().unwrap().roles.role_of("merchant_category"),
        Some(Role::Segment)
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

fn run_command(harness: &mut Harness<'static, DriftscopeApp>, command: AppCommand) {
    let ctx = harness.ctx.clone();
    harness.state_mut().apply(&ctx, command);
    harness.run();
}

/// The Overview's incident on small amounts (an error rate, found on a numeric range) opens its
/// slice and the performance over time, where the rise shows.
#[test]
fn an_error_rate_incident_opens_its_range_and_the_performance_over_time() {
    let mut harness = app(Launch::Investigation(sample_investigation()));
    harness
        .get_by_label_contains("error rate higher where amount <")
        .click();
    harness.run();
    let state = harness.state();
    assert_eq!(state.panel(), Panel::Time);
    let slice = state.investigation().view.slice.describe();
    assert!(slice.starts_with("log where amount < "), "{slice}");
}

/// Every discovery, those an incident folds in too, is listed under the incidents with its own
/// Pin: the new region's error rate, folded into its incident, is pinned as a finding.
#[test]
fn every_discovery_is_listed_and_pinned_from_the_overview() {
    let mut harness = app(Launch::Investigation(sample_investigation()));
    let (all, incidents) = {
        let report = harness.state().report().unwrap();
        (report.discoveries.len(), report.incidents(6).len())
    };
    harness
        .get_by_label(&format!("Every discovery ({all})"))
        .click();
    harness.run();
    let row = harness
        .state()
        .report()
        .unwrap()
        .discoveries
        .iter()
        .position(|d| {
            d.objective == "error_rate_increase"
                && d.describe_conditions() == "region = ap-southeast"
        })
        .expect("the new region's error rate is a discovery");
    // The row's Pin: the Pin buttons in order, after the incidents'.
    let pins: Vec<_> = harness.get_all_by_label("Pin").collect();
    assert_eq!(pins.len(), incidents + all);
    pins[incidents + row].click();
    harness.run();
    let findings = &harness.state().investigation().findings;
    assert_eq!(findings.len(), 1);
    assert!(
        findings[0]
            .title
            .starts_with("error rate higher where region = ap-southeast"),
        "{}",
        findings[0].title
    );
}

#[test]
fn segments_heatmap_worst_cell_opens_the_feature_for_that_slice() {
    let mut harness = app(Launch::Investigation(sample_investigation()));
    harness.get_by_label("Segments").click();
    harness.run();
    assert_eq!(harness.state().panel(), Panel::Segments);
    let (value, column, text) = {
        let heatmap = harness
            .state()
            .focus()
            .and_then(|f| f.heatmap.as_ref())
            .expect("the heatmap is measured");
        assert_eq!(heatmap.segment, "region");
        let (row, col) = heatmap.worst_cell().unwrap();
        let cell = &heatmap.cells[row][col];
        (
            heatmap.values[row].0.clone(),
            heatmap.columns[col].clone(),
            driftscope::format::score(cell.score, 3),
        )
    };
    // The new region is the worst segment; its row label shows its rows.
    assert_eq!(value, "ap-southeast");
    harness.get_by_label_contains("ap-southeast (");
    // Under the heatmap, how much of each column's drift the region mix explains.
    harness.get_by_label("Mix against within: region");
    harness.get_by_label_contains("of the log is in region values the baseline lacks");
    // Click the worst cell as a person would: the button showing its score.
    harness.get_all_by_label(&text).next().unwrap().click();
    harness.run();
    let state = harness.state();
    assert_eq!(state.panel(), Panel::Feature);
    let view = &state.investigation().view;
    assert_eq!(view.feature.as_deref(), Some(column.as_str()));
    assert_eq!(view.slice.describe(), "log where region = ap-southeast");
    let focus = state.focus().unwrap();
    assert_eq!(focus.comparison.a, view.slice);
    assert!(focus.comparison.column(&column).unwrap().drift.drifted);
    // The feature panel: the verdict, the slice against the baseline, the bins.
    harness.get_by_label_contains(&format!("{column}: "));
    harness.get_by_label_contains("log where region = ap-southeast (");
    harness.get_by_label("Statistics");
}

#[test]
fn the_feature_panel_shows_ks_location_and_bins_for_a_number() {
    let mut harness = app(Launch::Investigation(sample_investigation()));
    run_command(
        &mut harness,
        AppCommand::SelectFeature("distance_from_home_km".into()),
    );
    run_command(&mut harness, AppCommand::ShowPanel(Panel::Feature));
    harness.get_by_label_contains("The curves are furthest apart at");
    harness.get_by_label("Bins");
    harness.get_by_label_contains("Edges: ");
    // Whole log against the whole baseline: the same numbers as the overview.
    let state = harness.state();
    let col = state
        .focus()
        .unwrap()
        .comparison
        .column("distance_from_home_km")
        .unwrap();
    let overall = state
        .report()
        .unwrap()
        .overall()
        .find(|f| f.drift.column == "distance_from_home_km")
        .unwrap();
    assert_eq!(col.drift, overall.drift);
}

#[test]
fn brushing_the_time_chart_makes_that_range_the_slice() {
    let mut harness = app(Launch::Investigation(sample_investigation()));
    run_command(
        &mut harness,
        AppCommand::SelectFeature("account_age_days".into()),
    );
    harness.get_by_label("Time").click();
    harness.run();
    assert!(harness.state().timeline().is_some());
    harness.get_by_label_contains("account_age_days drift per window");
    // Drag across the middle of the first chart, below its title.
    let title = harness
        .get_by_label_contains("account_age_days drift per window")
        .rect();
    let y = title.bottom() + 120.0;
    let (x0, x1) = (title.left() + 420.0, title.left() + 700.0);
    harness.event(egui::Event::PointerMoved(egui::pos2(x0, y)));
    harness.step();
    harness.event(egui::Event::PointerButton {
        pos: egui::pos2(x0, y),
        button: egui::PointerButton::Primary,
        pressed: true,
        modifiers: egui::Modifiers::NONE,
    });
    harness.step();
    for k in 1..=10 {
        let x = x0 + (x1 - x0) * k as f32 / 10.0;
        harness.event(egui::Event::PointerMoved(egui::pos2(x, y)));
        harness.step();
    }
    harness.event(egui::Event::PointerButton {
        pos: egui::pos2(x1, y),
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: egui::Modifiers::NONE,
    });
    harness.run();
    let state = harness.state();
    let (start, end) = state
        .investigation()
        .view
        .slice
        .time()
        .expect("the brushed range is the slice");
    // The range is snapped to whole windows (days) of the log.
    let day = 86_400_000_000i64;
    assert_eq!(start % day, 0);
    assert_eq!(end % day, 0);
    assert!(end > start);
    // Everything updates: the slice comparison is measured on those rows.
    let focus = state.focus().unwrap();
    assert_eq!(focus.comparison.a, state.investigation().view.slice);
    assert!(focus.comparison.a_rows < 10_500);
    harness.get_by_label_contains("time from ");
}

#[test]
fn two_slices_defined_in_the_compare_panel_are_compared() {
    let mut harness = app(Launch::Investigation(sample_investigation()));
    harness.get_by_label("Compare").click();
    harness.run();
    // The quick start: the two newest model versions.
    harness
        .get_by_label("fraud-gbm-3.1 against fraud-gbm-3.0")
        .click();
    harness.run();
    // Narrow A by typing a condition: device is mobile.
    harness
        .get_by_label("Column of the condition for slice A")
        .click();
    harness.run();
    harness.get_by_label("device").click();
    harness.run();
    harness
        .get_by_label("values, comma-separated (slice A)")
        .focus();
    harness.run();
    harness
        .get_by_label("values, comma-separated (slice A)")
        .type_text("mobile");
    harness.run();
    // Slice A's editor is the left one: its "Add condition" comes first.
    harness
        .get_all_by_label("Add condition")
        .next()
        .unwrap()
        .click();
    harness.run();
    harness.get_by_label("Compare A against B").click();
    harness.run();
    let state = harness.state();
    let c = state.compared().expect("A is compared against B");
    assert_eq!(
        c.a.describe(),
        "log where model_version = fraud-gbm-3.1 and device = mobile"
    );
    assert_eq!(c.b.describe(), "log where model_version = fraud-gbm-3.0");
    // The mobile rows of the release with the cents bug: the score moves.
    assert!(c.column("score").unwrap().drift.drifted);
    harness.get_by_label_contains("features drift: log where model_version = fraud-gbm-3.1");
    // The same detail views for any column of the comparison.
    harness.get_all_by_label("score").next().unwrap().click();
    harness.run();
    assert_eq!(harness.state().panel(), Panel::Feature);
    harness.get_by_label("Showing slice A against slice B of the Compare panel.");
}

#[test]
fn settings_applied_in_the_panel_measure_again() {
    let mut harness = app(Launch::Investigation(sample_investigation()));
    harness.get_by_label("Settings").click();
    harness.run();
    let field = "Threshold for every column (empty: each method's default: 0.1 for distances, 0.05 for p-values)";
    harness.get_by_label(field).focus();
    harness.run();
    harness.get_by_label(field).type_text("0.5");
    harness.run();
    harness.get_by_label("Apply and measure again").click();
    harness.run();
    let state = harness.state();
    assert_eq!(state.investigation().drift.settings.threshold, Some(0.5));
    let report = state.report().unwrap();
    assert_eq!(report.params.settings.threshold, Some(0.5));
    assert!(report.overall().all(|f| f.drift.threshold == 0.5));
}

/// Under Evidently's preset the global methods do not decide: the panel says who does and the
/// method boxes cannot be changed; the report's columns are decided by Evidently's tests.
#[test]
fn under_the_evidently_preset_the_global_methods_are_not_offered() {
    use egui_kittest::kittest::NodeT;
    let mut harness = app(Launch::Investigation(sample_investigation()));
    harness.get_by_label("Settings").click();
    harness.run();
    let disabled = |h: &Harness<'_, DriftscopeApp>, label: &str| {
        h.get_by_label(label).accesskit_node().is_disabled()
    };
    assert!(!disabled(&harness, "Method for numeric columns"));
    harness.get_by_label("Evidently 0.7").click();
    harness.run();
    assert!(disabled(&harness, "Method for numeric columns"));
    assert!(disabled(&harness, "Method for categorical columns"));
    assert_eq!(
        harness
            .get_all_by_label_contains("Evidently chooses: KS / chi² under 1000 rows")
            .count(),
        2
    );
    harness.get_by_label("Apply and measure again").click();
    harness.run();
    let report = harness.state().report().unwrap();
    assert!(
        report
            .overall()
            .all(|f| matches!(f.drift.method, driftscope::analysis::Decider::Evidently(_))),
        "every column decided by Evidently's test"
    );
}

#[test]
fn a_threshold_out_of_its_range_is_refused_in_the_settings_panel() {
    let mut harness = app(Launch::Investigation(sample_investigation()));
    harness.get_by_label("Settings").click();
    harness.run();
    let field = "Threshold for every column (empty: each method's default: 0.1 for distances, 0.05 for p-values)";
    harness.get_by_label(field).focus();
    harness.run();
    harness.get_by_label(field).type_text("7");
    harness.run();
    // What a person sees: why, in the panel; and nothing to apply.
    harness.get_by_label_contains("the threshold 7 does not fit jensen_shannon");
    harness.get_by_label("Apply and measure again").click();
    harness.run();
    assert_eq!(
        harness.state().investigation().drift.settings.threshold,
        None
    );
}

#[test]
fn an_investigation_saved_and_reopened_shows_the_same_view() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("incident.driftscope.ron");
    let slice =
        driftscope::analysis::SliceDef::default().with(driftscope::analysis::Predicate::OneOf {
            column: "region".into(),
            values: vec!["us-west".into()],
        });
    {
        let mut harness = app_in(
            Launch::Investigation(sample_investigation()),
            Some(dir.path()),
        );
        run_command(&mut harness, AppCommand::SetSlice(slice.clone()));
        run_command(
            &mut harness,
            AppCommand::SelectFeature("account_age_days".into()),
        );
        run_command(
            &mut harness,
            AppCommand::SetRole {
                column: "merchant_category".into(),
                role: Role::Segment,
            },
        );
        run_command(&mut harness, AppCommand::ShowPanel(Panel::Time));
        assert!(harness.state().is_dirty());
        run_command(&mut harness, AppCommand::SaveAs(saved.clone()));
        assert_eq!(harness.state().error(), None);
        assert!(!harness.state().is_dirty());
        assert_eq!(harness.state().path(), Some(saved.as_path()));
    }
    // A new window on the saved file: files, roles, settings and the view come back.
    let harness = app_in(Launch::Investigation(saved.clone()), Some(dir.path()));
    let state = harness.state();
    assert_eq!(state.error(), None);
    let view = &state.investigation().view;
    assert_eq!(view.panel, Panel::Time);
    assert_eq!(view.slice, slice);
    assert_eq!(view.feature.as_deref(), Some("account_age_days"));
    assert_eq!(
        state.inputs().unwrap().roles.role_of("merchant_category"),
        Some(Role::Segment)
    );
    assert_eq!(state.focus().unwrap().comparison.a, slice);
    // Remembered among the recent files.
    assert_eq!(
        state.recent().items[0],
        driftscope::session::local::RecentItem::Investigation(saved)
    );
}

#[test]
fn unsaved_changes_survive_a_crash_and_can_be_restored() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut harness = app_in(
            Launch::Investigation(sample_investigation()),
            Some(dir.path()),
        );
        run_command(&mut harness, AppCommand::ShowPanel(Panel::Segments));
        run_command(&mut harness, AppCommand::SelectFeature("hour".into()));
        // The harness is dropped without a clean exit, as in a crash.
    }
    let mut harness = app_in(Launch::Empty, Some(dir.path()));
    let recovered = harness
        .state()
        .recovered()
        .expect("the autosave is offered");
    assert_eq!(
        recovered.investigation.view.feature.as_deref(),
        Some("hour")
    );
    harness.get_by_label_contains("driftscope closed without saving changes to");
    harness.get_by_label("Restore them").click();
    harness.run();
    let state = harness.state();
    assert_eq!(state.panel(), Panel::Segments);
    assert_eq!(state.investigation().view.feature.as_deref(), Some("hour"));
    assert_eq!(state.inputs().unwrap().current.rows(), 10_500);
    assert!(state.is_dirty());
}

#[test]
fn a_damaged_investigation_is_explained_in_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let damaged = dir.path().join("damaged.driftscope.ron");
    std::fs::write(&damaged, "Investigation(format_version: 1, title: ").unwrap();
    let newer = dir.path().join("newer.driftscope.ron");
    std::fs::write(&newer, "Investigation(format_version: 99)").unwrap();
    let mut harness = app(Launch::Investigation(sample_investigation()));
    run_command(&mut harness, AppCommand::OpenInvestigation(damaged));
    let error = harness.state().error().unwrap().to_owned();
    assert!(
        error.contains("the investigation file is damaged at line 1"),
        "{error}"
    );
    run_command(&mut harness, AppCommand::OpenInvestigation(newer));
    let error = harness.state().error().unwrap().to_owned();
    assert!(error.contains("written by a newer driftscope"), "{error}");
    harness.get_by_label_contains("Update driftscope to open it");
    assert_eq!(harness.state().inputs().unwrap().current.rows(), 10_500);
}

/// A file as the window system hands it over when dropped.
#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

fn dropped(path: PathBuf) -> egui::DroppedFileHandle {
    std::sync::Arc::new(Dropped(path))
}

#[test]
fn files_dropped_on_the_window_open() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data");
    let mut harness = app(Launch::Empty);
    // Dropped in either order: the file named like a baseline is the baseline.
    harness.input_mut().dropped_files = vec![
        dropped(data.join("predictions.parquet")),
        dropped(data.join("baseline.parquet")),
    ];
    harness.run();
    let state = harness.state();
    assert_eq!(state.error(), None);
    let inputs = state.inputs().expect("the dropped files are open");
    assert_eq!(inputs.baseline.file_name(), "baseline.parquet");
    assert_eq!(inputs.current.file_name(), "predictions.parquet");
    assert!(state.report().is_some());
    // A dropped investigation opens as such.
    harness.input_mut().dropped_files = vec![dropped(sample_investigation())];
    harness.run();
    assert_eq!(
        harness.state().path(),
        Some(sample_investigation().as_path())
    );
}

#[test]
fn keyboard_shortcuts_switch_panels() {
    let mut harness = app(Launch::Investigation(sample_investigation()));
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num2);
    harness.run();
    assert_eq!(harness.state().panel(), Panel::Segments);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num4);
    harness.run();
    assert_eq!(harness.state().panel(), Panel::Time);
}

#[test]
fn the_replay_panel_finds_the_skew_and_answers_what_if() {
    let mut harness = app(Launch::Investigation(sample_investigation()));
    // Where ONNX Runtime is on this machine, and the sample model's imputer takes NaN.
    let settings = driftscope::replay::study::ReplaySettings {
        runtime: Some(common::runtime().to_owned()),
        mapping: driftscope::replay::MappingSpec {
            nulls: driftscope::replay::NullPolicy::Nan,
            ..Default::default()
        },
        ..Default::default()
    };
    run_command(&mut harness, AppCommand::SetReplay(settings));
    harness.get_by_label("Replay").click();
    harness.run();
    assert_eq!(harness.state().panel(), Panel::Replay);
    harness.get_by_label_contains("Choose the production model to start");
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/models/fraud_gbm_v3.onnx");
    let field = "Production model (path to a .onnx file)";
    harness.get_by_label(field).focus();
    harness.run();
    harness
        .get_by_label(field)
        .type_text(model.to_str().unwrap());
    harness.run();
    // The button in the panel (the tab of the same name comes first).
    harness.get_all_by_label("Replay").nth(1).unwrap().click();
    harness.run();
    let state = harness.state();
    assert_eq!(state.error(), None);
    let study = state.replay_study().expect("the log is replayed");
    let skew = study.skew.as_ref().unwrap();
    assert_eq!(skew.beyond_tolerance_rows, 1565);
    assert_eq!(
        skew.first_window_beyond.as_deref(),
        Some("2026-11-06 00:00:00 UTC")
    );
    assert_eq!(
        state.investigation().replay.model.as_deref(),
        Some(model.as_path())
    );
    harness.get_by_label_contains("logged `score` against replayed: 1,565 of 10,500 rows differ");
    // What if: the most divergent row, with its amount as the serving bug sent it (in cents).
    let (row, amount) = {
        let top = &skew.most_divergent[0];
        (top.row, top.inputs["amount"].clone())
    };
    harness.get_all_by_label("What if").next().unwrap().click();
    harness.run();
    assert_eq!(harness.state().replay_error(), None);
    let (prod, _) = harness.state().what_if().expect("both models answered");
    let replayed = harness.state().replay_study().unwrap().production.scores[harness
        .state()
        .replay_study()
        .unwrap()
        .rows
        .iter()
        .position(|r| *r == row)
        .unwrap()];
    assert!((prod.scores[0] - replayed).abs() < 1e-6);
    let cents: f64 = amount.parse::<f64>().unwrap() * 100.0;
    let field = format!("amount of row {row}");
    harness.get_by_label(&field).focus();
    harness.run();
    // Clear the field as a person would, then type the amount in cents.
    harness.key_press(egui::Key::End);
    for _ in 0..24 {
        harness.key_press(egui::Key::Backspace);
    }
    harness.run();
    harness.get_by_label(&field).type_text(&cents.to_string());
    harness.run();
    assert_eq!(
        harness.get_by_label(&field).value().as_deref(),
        Some(cents.to_string().as_str())
    );
    harness
        .get_by_label("Run both models on this row")
        .scroll_to_me();
    harness.run();
    harness.get_by_label("Run both models on this row").click();
    harness.run();
    let (edited, _) = harness.state().what_if().unwrap();
    // Sending the amount in cents reproduces what was logged.
    let logged = harness
        .state()
        .replay_study()
        .unwrap()
        .skew
        .as_ref()
        .unwrap()
        .most_divergent[0]
        .first;
    assert!(
        (edited.scores[0] - logged).abs() < 1e-4,
        "{} vs {logged}",
        edited.scores[0]
    );
}

#[test]
fn three_pinned_findings_are_edited_reordered_and_exported() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(Launch::Investigation(sample_investigation()));
    // Pin from the feature panel: the new region's amounts.
    run_command(
        &mut harness,
        AppCommand::OpenCell {
            segment: "region".into(),
            value: "ap-southeast".into(),
            column: "amount".into(),
        },
    );
    harness.get_by_label("Pin").click();
    harness.run();
    // From the segments heatmap.
    run_command(&mut harness, AppCommand::SetSlice(Default::default()));
    run_command(&mut harness, AppCommand::ShowPanel(Panel::Segments));
    harness.get_by_label("Pin").click();
    harness.run();
    // From the time view.
    run_command(
        &mut harness,
        AppCommand::SelectFeature("account_age_days".into()),
    );
    run_command(&mut harness, AppCommand::ShowPanel(Panel::Time));
    harness.get_by_label("Pin").click();
    harness.run();
    let findings = &harness.state().investigation().findings;
    assert_eq!(findings.len(), 3);
    assert!(
        findings[0]
            .title
            .starts_with("amount drifts in log where region = ap-southeast"),
        "{}",
        findings[0].title
    );
    assert_eq!(findings[1].source, "segments");
    assert_eq!(findings[2].column.as_deref(), Some("account_age_days"));
    // The findings panel: a note, and the time finding moved first.
    harness.get_by_label("Findings").click();
    harness.run();
    harness.get_by_label("Note of finding 1").focus();
    harness.run();
    harness
        .get_by_label("Note of finding 1")
        .type_text("Route ap-southeast to a fallback until retrained.");
    harness.run();
    harness.get_all_by_label("Up").nth(2).unwrap().click();
    harness.run();
    let findings = &harness.state().investigation().findings;
    assert_eq!(findings[1].column.as_deref(), Some("account_age_days"));
    assert_eq!(
        findings[0].note,
        "Route ap-southeast to a fallback until retrained."
    );
    // Export: the report has the three findings in this order, with the note.
    let html = dir.path().join("postmortem.html");
    run_command(&mut harness, AppCommand::Export(html.clone()));
    assert_eq!(harness.state().error(), None);
    let text = std::fs::read_to_string(&html).unwrap();
    let first = text.find("1. amount drifts").unwrap();
    let second = text.find("2. account_age_days").unwrap();
    assert!(first < second);
    assert!(text.contains("Route ap-southeast to a fallback until retrained."));
    let md = dir.path().join("postmortem.md");
    run_command(&mut harness, AppCommand::Export(md.clone()));
    assert!(
        std::fs::read_to_string(&md)
            .unwrap()
            .contains("### 3. Per region")
    );
    assert!(dir.path().join("postmortem_charts/finding-1.svg").is_file());
    // The slice's rows as CSV.
    run_command(
        &mut harness,
        AppCommand::SetSlice(driftscope::analysis::SliceDef::default().with(
            driftscope::analysis::Predicate::OneOf {
                column: "region".into(),
                values: vec!["ap-southeast".into()],
            },
        )),
    );
    let csv = dir.path().join("slice.csv");
    run_command(&mut harness, AppCommand::ExportSlice(csv.clone()));
    assert_eq!(
        std::fs::read_to_string(&csv).unwrap().lines().count(),
        866 + 1
    );
    // Saved with the investigation.
    let saved = dir.path().join("inv.driftscope.ron");
    run_command(&mut harness, AppCommand::SaveAs(saved.clone()));
    let back = driftscope::session::Investigation::load(&saved).unwrap();
    assert_eq!(back.findings, harness.state().investigation().findings);
}

#[test]
fn a_role_that_cannot_be_applied_changes_nothing() {
    let mut harness = app(Launch::Investigation(sample_investigation()));
    let before = harness.state().investigation().clone();
    run_command(
        &mut harness,
        AppCommand::SetRole {
            column: "amount".into(),
            role: Role::Timestamp,
        },
    );
    let state = harness.state();
    let error = state.error().expect("the refusal is shown").to_owned();
    assert!(error.contains("amount"), "{error}");
    assert_eq!(state.investigation(), &before, "the role was not recorded");
    assert_eq!(
        state.inputs().unwrap().roles.role_of("amount"),
        Some(Role::Feature)
    );
    assert!(!state.is_dirty());
}

/// A profile file opened as the log (`driftscope profile`, or a log too large for memory read
/// in batches): the report and every slice its cells answer work as from the rows, the files
/// panel says what the log is, and what reads rows (a numeric range, replay, a role change)
/// says so instead of measuring an empty table.
#[test]
fn a_profile_opened_as_the_log_answers_from_its_cells_and_says_what_needs_rows() {
    let dir = tempfile::tempdir().unwrap();
    let sample = |f: &str| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("sample-data")
            .join(f)
    };
    let (baseline, log) = (sample("baseline.parquet"), sample("predictions.jsonl"));
    let profile = dir.path().join("log.profile.parquet");
    let made = std::process::Command::new(env!("CARGO_BIN_EXE_driftscope"))
        .args(["profile", "--baseline"])
        .arg(&baseline)
        .arg("--input")
        .arg(&log)
        .arg("--output")
        .arg(&profile)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let open = |current: &Path| {
        app(Launch::Files {
            baseline: baseline.clone(),
            current: current.to_owned(),
            roles: Default::default(),
        })
    };
    let rows = open(&log);
    let mut held = open(&profile);
    {
        let state = held.state();
        assert_eq!(state.error(), None);
        let h = state.held_profile().expect("the log is held as a profile");
        assert_eq!(h.profile.header.log.rows, 10_500);
        // The report from the cells is the report from the rows.
        let (a, b) = (state.report().unwrap(), rows.state().report().unwrap());
        let entries = |r: &driftscope::analysis::DriftReport| {
            r.features
                .iter()
                .map(|f| {
                    (
                        f.drift.column.clone(),
                        f.segment.clone(),
                        f.drift.score,
                        f.drift.drifted,
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(entries(a), entries(b));
        assert_eq!(
            (a.dataset.drifted_columns, a.dataset.drifted),
            (b.dataset.drifted_columns, b.dataset.drifted)
        );
    }
    // What a person sees: the log is a profile of the sample's log, with its rows.
    held.get_by_label_contains("driftscope profile · 10,500 rows");
    held.get_by_label_contains("10.5 k log rows (as a profile)");

    // The heatmap of the region and a slice of one region: unions of cells, as from the rows.
    run_command(&mut held, AppCommand::ShowPanel(Panel::Segments));
    let heat = |h: &Harness<'static, DriftscopeApp>| {
        let f = h.state().focus().expect("the heatmap is measured");
        let m = f.heatmap.as_ref().unwrap();
        (
            m.values.clone(),
            m.cells
                .iter()
                .map(|r| r.iter().map(|c| c.score).collect::<Vec<_>>())
                .collect::<Vec<_>>(),
        )
    };
    let mut rows = rows;
    run_command(&mut rows, AppCommand::ShowPanel(Panel::Segments));
    assert_eq!(heat(&held), heat(&rows));
    let region =
        driftscope::analysis::SliceDef::default().with(driftscope::analysis::Predicate::OneOf {
            column: "region".into(),
            values: vec!["ap-southeast".into()],
        });
    run_command(&mut held, AppCommand::SetSlice(region.clone()));
    run_command(&mut rows, AppCommand::SetSlice(region));
    let drift_of = |h: &Harness<'static, DriftscopeApp>, c: &str| {
        h.state()
            .focus()
            .unwrap()
            .comparison
            .column(c)
            .unwrap()
            .drift
            .clone()
    };
    let (a, b) = (drift_of(&held, "hour"), drift_of(&rows, "hour"));
    assert_eq!((a.score, a.drifted), (b.score, b.drifted));

    // A numeric range cuts inside the cells: said, not measured on nothing.
    let range =
        driftscope::analysis::SliceDef::default().with(driftscope::analysis::Predicate::Range {
            column: "amount".into(),
            min: Some(10.0),
            max: None,
        });
    run_command(&mut held, AppCommand::SetSlice(range));
    run_command(&mut held, AppCommand::ShowPanel(Panel::Feature));
    held.get_by_label_contains("reads the log's rows, and the log is held as a profile");

    // Replay reads rows; so does a role change.
    run_command(&mut held, AppCommand::ShowPanel(Panel::Replay));
    held.get_by_label_contains("Replay and what-if reads the log's rows, and the log is a profile");
    run_command(
        &mut held,
        AppCommand::SetRole {
            column: "hour".into(),
            role: Role::Ignored,
        },
    );
    let error = held.state().error().unwrap_or_default().to_owned();
    assert!(error.contains("roles are fixed when it is made"), "{error}");
    assert_eq!(
        held.state().inputs().unwrap().roles.role_of("hour"),
        Some(Role::Feature)
    );
}
