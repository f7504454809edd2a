//! The overview: the dataset verdict, columns ranked by drift, data-quality alerts, the segment
//! mix (new segments first), performance and latency tripwires — what an analyst reads first.
//! Everything names a column or a segment and opens it when clicked.

use eframe::egui::{self, RichText};

use super::slices::{TableRow, drift_table};
use super::{AppCommand, Panel, PanelCtx};
use crate::analysis::SegmentRef;
use crate::analysis::quality::Severity;
use crate::analysis::{Predicate, ReportPart};
use crate::format::{pct, score};

fn num(x: Option<f64>) -> String {
    score(x, 3)
}

/// A spinner where a part of the report is still being measured; `true` when it is.
pub(super) fn measuring(
    ui: &mut egui::Ui,
    report: &crate::analysis::DriftReport,
    part: ReportPart,
) -> bool {
    let pending = report.pending.contains(&part);
    if pending {
        ui.horizontal(|ui| {
            crate::ui::theme::spinner(ui);
            ui.label(format!("Measuring {}…", part.as_str()));
        });
    }
    pending
}

fn open_feature(commands: &mut Vec<AppCommand>, column: &str) {
    commands.push(AppCommand::SelectFeature(column.to_owned()));
    commands.push(AppCommand::ShowPanel(Panel::Feature));
}

fn narrow_to(commands: &mut Vec<AppCommand>, segment: &SegmentRef) {
    commands.push(AppCommand::Narrow(Predicate::OneOf {
        column: segment.column.clone(),
        values: vec![segment.value.clone()],
    }));
}

/// One discovery: its sentence, opening its slice and evidence, and Pin.
fn discovery_row(
    ui: &mut egui::Ui,
    p: &PanelCtx,
    found: &crate::analysis::discovery::Discovery,
    text: String,
    commands: &mut Vec<AppCommand>,
) {
    ui.horizontal_wrapped(|ui| {
        let colour = if found.share_explained >= 0.5 {
            p.palette.error
        } else {
            p.palette.warning
        };
        if ui
            .link(RichText::new(text).color(colour))
            .on_hover_text("Open this slice and its evidence")
            .clicked()
        {
            commands.push(AppCommand::SetSlice(found.slice()));
            use crate::analysis::discovery::Evidence;
            match found.evidence() {
                Evidence::Column(column) => open_feature(commands, column),
                Evidence::Performance => commands.push(AppCommand::ShowPanel(Panel::Time)),
                Evidence::Traffic => commands.push(AppCommand::ShowPanel(Panel::Segments)),
            }
        }
        if ui
            .small_button("Pin")
            .on_hover_text("Keep it as a finding for the report")
            .clicked()
        {
            commands.push(AppCommand::Pin(Box::new(
                crate::export::findings::discovery_finding(found),
            )));
        }
    });
}

pub fn overview_ui(ui: &mut egui::Ui, p: &PanelCtx, commands: &mut Vec<AppCommand>) {
    let report = p.report;
    let palette = p.palette;
    if !report.discoveries.is_empty() {
        ui.label(RichText::new("What changed, where, since when").heading())
            .on_hover_text("The slices that explain most of each change, found on the cell profiles (segment values, model versions, numeric ranges; missing shares, the mean score, error rates, traffic the baseline never had), best first");
        for (k, incident) in report.incidents(6).iter().enumerate() {
            let text = format!("{}. {}", k + 1, incident.describe());
            discovery_row(ui, p, incident.lead, text, commands);
        }
        // Every result, the ones the incidents fold in too, each with its own Pin.
        let all = report.discoveries.len();
        egui::CollapsingHeader::new(format!("Every discovery ({all})"))
            .id_salt("every discovery")
            .default_open(false)
            .show(ui, |ui| {
                for (k, found) in report.discoveries.iter().enumerate() {
                    let text = format!("{}. {}", k + 1, found.describe());
                    discovery_row(ui, p, found, text, commands);
                }
            });
        ui.add_space(6.0);
    }
    let d = &report.dataset;
    let colour = if d.drifted { palette.error } else { palette.ok };
    ui.label(RichText::new(d.describe()).color(colour).strong());
    if !report.pending.is_empty() {
        let parts: Vec<&str> = report.pending.iter().map(|p| p.as_str()).collect();
        ui.horizontal(|ui| {
            crate::ui::theme::spinner(ui);
            ui.label(format!(
                "Still measuring {}; what is shown is final",
                parts.join(", ")
            ));
        });
    }
    ui.add_space(6.0);
    let null_change = report.params.settings.null_rate_change;
    let analysed: Vec<&str> = report.overall().map(|f| f.drift.column.as_str()).collect();

    egui::ScrollArea::vertical().show(ui, |ui| {
        if !p.view.slice.is_whole() {
            ui.heading("The current slice against the baseline");
            match p.focus.filter(|f| f.comparison.a == p.view.slice) {
                Some(f) => {
                    ui.label(f.comparison.describe());
                    if p.focus_preview {
                        ui.horizontal(|ui| {
                            crate::ui::theme::spinner(ui);
                            ui.label("From the cell profiles; the exact numbers are being measured from the rows");
                        });
                    }
                    let rows: Vec<TableRow> = f
                        .comparison
                        .columns
                        .iter()
                        .map(|c| TableRow {
                            role: c.role,
                            drift: &c.drift,
                        })
                        .collect();
                    if let Some(c) = drift_table(ui, "slice ranked", ("baseline", "slice"), &rows, null_change, palette) {
                        open_feature(commands, &c);
                    }
                }
                None => match p.focus_error {
                    Some(e) => {
                        ui.colored_label(palette.error, e);
                    }
                    None => {
                        ui.horizontal(|ui| {
                            crate::ui::theme::spinner(ui);
                            ui.label("Measuring the slice…");
                        });
                    }
                },
            }
            ui.add_space(10.0);
        }

        ui.heading("Columns, whole log against baseline");
        let mut overall: Vec<_> = report.overall().collect();
        overall.sort_by(|a, b| {
            b.drift.drifted.cmp(&a.drift.drifted).then(
                crate::analysis::slice::severity(&b.drift)
                    .total_cmp(&crate::analysis::slice::severity(&a.drift)),
            )
        });
        let rows: Vec<TableRow> = overall
            .iter()
            .map(|f| TableRow {
                role: f.role,
                drift: &f.drift,
            })
            .collect();
        if let Some(c) = drift_table(ui, "ranked", ("baseline", "log"), &rows, null_change, palette) {
            commands.push(AppCommand::SetSlice(Default::default()));
            open_feature(commands, &c);
        }

        if let Some(d) = &report.decomposition {
            let lines = d.explain(&report.explained_columns());
            if !lines.is_empty() {
                ui.add_space(10.0);
                ui.heading("Mix against within")
                    .on_hover_text("How much of each change the segment mix explains: the drift against the baseline reweighted to the log's mix of each segment column, and rates split into a mix and a within part (Kitagawa)");
                for e in lines.iter().take(8) {
                    if ui.link(&e.text).on_hover_text(format!("Open {}", e.column)).clicked() {
                        open_feature(commands, &e.column);
                    }
                }
            }
        }

        if !report.onsets.is_empty() {
            ui.add_space(10.0);
            ui.heading("Since when")
                .on_hover_text("Changes of the per-window series (drift score, missing share, traffic share, mean score), found by binary segmentation on their mean; largest first");
            for o in report.onset_headlines(8) {
                let text = o.describe();
                match &o.column {
                    Some(column) if analysed.contains(&column.as_str()) => {
                        if ui.link(text).on_hover_text(format!("Open {column} over time")).clicked() {
                            if let Some(s) = &o.segment {
                                narrow_to(commands, &crate::analysis::SegmentRef { column: s.column.clone(), value: s.value.clone() });
                            }
                            commands.push(AppCommand::SelectFeature(column.clone()));
                            commands.push(AppCommand::ShowPanel(crate::ui::Panel::Time));
                        }
                    }
                    _ => {
                        ui.label(text);
                    }
                }
            }
        }

        let alerts: Vec<_> = report
            .data_quality
            .iter()
            .filter(|a| a.severity >= Severity::Warning)
            .collect();
        ui.add_space(10.0);
        ui.heading("Data quality");
        if !report.pending.is_empty() {
            ui.label("Alerts of the parts measured so far:");
        }
        if alerts.is_empty() {
            ui.colored_label(palette.ok, "No data-quality alerts.");
        }
        for a in alerts {
            let colour = if a.severity == Severity::Critical {
                palette.error
            } else {
                palette.warning
            };
            let since = a
                .since
                .as_ref()
                .map(|s| format!(" (since {s})"))
                .unwrap_or_default();
            let text = RichText::new(format!("{}{since}", a.message)).color(colour);
            let clickable = analysed.contains(&a.column.as_str()) || a.segment.is_some();
            if clickable {
                let hint = match &a.segment {
                    Some(s) => format!("Open {} within {} = {}", a.column, s.column, s.value),
                    None => format!("Open {}", a.column),
                };
                if ui.link(text).on_hover_text(hint).clicked() {
                    if let Some(s) = &a.segment {
                        narrow_to(commands, s);
                    }
                    if analysed.contains(&a.column.as_str()) {
                        open_feature(commands, &a.column);
                    }
                }
            } else {
                ui.label(text);
            }
        }

        ui.add_space(10.0);
        ui.heading("Segment mix");
        measuring(ui, report, ReportPart::Segments);
        for mix in &report.segments {
            let js = mix
                .js_distance
                .map(|j| format!(", Jensen–Shannon distance {}", num(Some(j))))
                .unwrap_or_default();
            ui.label(RichText::new(format!("{} ({}){js}", mix.column, mix.role)).strong());
            egui::Grid::new(("mix", &mix.column))
                .striped(true)
                .num_columns(3)
                .spacing([14.0, 2.0])
                .show(ui, |ui| {
                    ui.label("value");
                    ui.label("baseline");
                    ui.label("log");
                    ui.end_row();
                    for v in &mix.values {
                        let text = if v.absent_from_baseline {
                            RichText::new(format!("{} (new)", v.value)).color(palette.error)
                        } else {
                            RichText::new(&v.value)
                        };
                        if v.current_rows > 0 {
                            if ui
                                .link(text)
                                .on_hover_text(format!(
                                    "Make {} = {} the current slice",
                                    mix.column, v.value
                                ))
                                .clicked()
                            {
                                narrow_to(
                                    commands,
                                    &SegmentRef {
                                        column: mix.column.clone(),
                                        value: v.value.clone(),
                                    },
                                );
                                commands.push(AppCommand::ShowPanel(Panel::Segments));
                            }
                        } else {
                            ui.label(text);
                        }
                        ui.label(v.baseline_share.map_or("–".to_owned(), pct));
                        ui.label(pct(v.current_share));
                        ui.end_row();
                    }
                });
            ui.add_space(4.0);
        }

        if report.pending.contains(&ReportPart::Performance) {
            ui.add_space(10.0);
            ui.heading("Performance");
            measuring(ui, report, ReportPart::Performance);
        }
        if let Some(perf) = &report.performance {
            ui.add_space(10.0);
            ui.heading("Performance");
            let m = &perf.overall;
            ui.label(format!(
                "{} of log rows labelled; accuracy {}, precision {}, recall {}, ROC AUC {} (against the {})",
                pct(perf.labelled_share),
                num(m.accuracy),
                num(m.precision),
                num(m.recall),
                num(m.roc_auc),
                perf.reference.describe()
            ));
            for a in perf.alerts.iter().take(8) {
                match &a.segment {
                    Some(s) => {
                        if ui
                            .link(RichText::new(&a.message).color(palette.warning))
                            .on_hover_text(format!("Make {} = {} the current slice", s.column, s.value))
                            .clicked()
                        {
                            narrow_to(commands, s);
                            commands.push(AppCommand::ShowPanel(Panel::Segments));
                        }
                    }
                    None => {
                        if ui
                            .link(RichText::new(&a.message).color(palette.warning))
                            .on_hover_text("See performance over time")
                            .clicked()
                        {
                            commands.push(AppCommand::ShowPanel(Panel::Time));
                        }
                    }
                }
            }
            if perf.alerts.len() > 8 {
                ui.label(format!("{} more in the report", perf.alerts.len() - 8));
            }
        }
        if report.pending.contains(&ReportPart::Latency) {
            ui.add_space(10.0);
            ui.heading("Latency");
            measuring(ui, report, ReportPart::Latency);
        }
        if let Some(l) = &report.latency {
            ui.add_space(10.0);
            ui.heading("Latency");
            ui.label(format!(
                "{}: p50 {:.1}, p95 {:.1}, p99 {:.1}",
                l.column, l.overall.p50, l.overall.p95, l.overall.p99
            ));
            for s in l.slices.iter().take(3) {
                let text = format!(
                    "{} = {}: p95 {:.1} ({:.2}x overall)",
                    s.segment.column, s.segment.value, s.latency.p95, s.p95_ratio
                );
                if ui
                    .link(text)
                    .on_hover_text(format!(
                        "Make {} = {} the current slice",
                        s.segment.column, s.segment.value
                    ))
                    .clicked()
                {
                    narrow_to(commands, &s.segment);
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;
    use std::sync::Mutex;

    use crate::analysis::{DriftParams, DriftReport, run_drift_report_parts};
    use crate::data::Inputs;
    use crate::jobs::JobState;
    use crate::session::ViewState;

    fn draw(inputs: &Inputs, report: &DriftReport) -> Harness<'static> {
        draw_with(inputs, report, ViewState::default(), None)
    }

    /// The overview with a slice in view and its focus (`preview`: the cells' quick answer).
    fn draw_with(
        inputs: &Inputs,
        report: &DriftReport,
        view: ViewState,
        focus: Option<(crate::ui::analyses::Focus, bool)>,
    ) -> Harness<'static> {
        let (inputs, report) = (inputs.clone(), report.clone());
        let palette = crate::ui::theme::palette(false);
        Harness::new_ui(move |ui| {
            let p = PanelCtx {
                inputs: &inputs,
                report: &report,
                view: &view,
                focus: focus.as_ref().map(|(f, _)| f),
                focus_error: None,
                focus_preview: focus.as_ref().is_some_and(|(_, preview)| *preview),
                timeline: None,
                timeline_error: None,
                timeline_preview: false,
                compared: None,
                compared_error: None,
                held: None,
                palette: &palette,
            };
            overview_ui(ui, &p, &mut Vec::new());
        })
    }

    /// The first part of the report is on screen with the verdict, and every part still measured
    /// says so where it will appear; the finished report says nothing of the kind.
    #[test]
    fn the_overview_shows_the_first_part_and_says_what_is_still_measured() {
        let inputs = crate::data::sample_inputs();
        let parts: Mutex<Vec<DriftReport>> = Mutex::default();
        let keep = |r: DriftReport| parts.lock().unwrap().push(r);
        let (done, _) = run_drift_report_parts(
            &inputs,
            &DriftParams::default(),
            &JobState::default(),
            Some(&keep),
        )
        .unwrap();
        let first = parts.lock().unwrap()[0].clone();
        assert!(first.pending.contains(&ReportPart::Segments));
        let in_place = [
            ReportPart::Segments,
            ReportPart::Performance,
            ReportPart::Latency,
        ];
        let harness = draw(&inputs, &first);
        harness.get_by_label(&first.dataset.describe());
        harness.get_by_label_contains("Still measuring segments, time windows");
        for part in in_place {
            harness.get_by_label(&format!("Measuring {}…", part.as_str()));
        }
        let harness = draw(&inputs, &done);
        assert!(done.pending.is_empty());
        harness.get_by_label(&done.dataset.describe());
        assert!(harness.query_by_label_contains("Still measuring").is_none());
        for part in in_place {
            let text = format!("Measuring {}…", part.as_str());
            assert!(harness.query_by_label(&text).is_none(), "{text}");
        }
    }

    /// A slice's quick answer from the cell profiles is shown at once and says that the exact
    /// figures are on their way; the exact answer that replaces it says nothing of the kind.
    #[test]
    fn a_slice_from_the_cell_profiles_says_it_is_being_made_exact() {
        use crate::analysis::slice::{self, Predicate, SliceDef};
        use crate::analysis::{Side, run_drift_report_with_workspace};
        use crate::ui::analyses::Focus;
        let inputs = crate::data::sample_inputs();
        let state = JobState::default();
        let (report, ws) =
            run_drift_report_with_workspace(&inputs, &DriftParams::default(), &state).unwrap();
        let a = SliceDef::whole(Side::Log).with(Predicate::OneOf {
            column: "region".into(),
            values: vec!["us-west".into()],
        });
        let b = SliceDef::whole(Side::Baseline);
        let view = ViewState {
            slice: a.clone(),
            ..ViewState::default()
        };
        let note = "From the cell profiles; the exact numbers are being measured from the rows";
        let preview = slice::compare_preview(&ws, &inputs, &a, &b, &state).unwrap();
        let described = preview.describe();
        let focus = Focus {
            comparison: preview,
            heatmap: None,
        };
        let harness = draw_with(&inputs, &report, view.clone(), Some((focus, true)));
        harness.get_by_label(&described);
        harness.get_by_label(note);
        let exact = slice::compare(&ws, &inputs, &a, &b, &state)
            .unwrap()
            .unwrap();
        assert_eq!(exact.describe(), described, "the same rows either way");
        let focus = Focus {
            comparison: exact,
            heatmap: None,
        };
        let harness = draw_with(&inputs, &report, view, Some((focus, false)));
        harness.get_by_label(&described);
        assert!(harness.query_by_label(note).is_none());
    }
}
