//! The overview: the dataset verdict, columns ranked by drift, data-quality alerts, the segment
//! mix (new segments first), performance and latency tripwires — what an analyst reads first.

use eframe::egui::{self, RichText};

use super::theme::Palette;
use crate::analysis::DriftReport;
use crate::analysis::quality::Severity;
use crate::format::{pct, score};

fn num(x: Option<f64>) -> String {
    score(x, 3)
}

pub fn overview_ui(ui: &mut egui::Ui, report: &DriftReport, palette: &Palette) {
    let d = &report.dataset;
    let verdict = d.describe();
    let colour = if d.drifted { palette.error } else { palette.ok };
    ui.label(RichText::new(verdict).heading().color(colour));
    ui.add_space(6.0);

    egui::ScrollArea::vertical().show(ui, |ui| {
        ui.heading("Columns, log against baseline");
        let mut overall: Vec<_> = report.overall().collect();
        overall.sort_by(|a, b| {
            b.drift.drifted.cmp(&a.drift.drifted).then(
                b.drift.badness().total_cmp(&a.drift.badness()),
            )
        });
        egui::Grid::new("ranked")
            .striped(true)
            .num_columns(7)
            .spacing([14.0, 4.0])
            .show(ui, |ui| {
                for h in ["Column", "Role", "Method", "Score", "Threshold", "KS / chi² p", "Missing (baseline, log)"] {
                    ui.label(RichText::new(h).strong());
                }
                ui.end_row();
                for f in overall {
                    let name = RichText::new(&f.drift.column).monospace();
                    let name = if f.drift.drifted { name.color(palette.error).strong() } else { name };
                    ui.label(name);
                    ui.label(f.role.as_str());
                    ui.label(&f.drift.method);
                    let score = ui.label(num(f.drift.score));
                    if let Some(note) = &f.drift.note {
                        score.on_hover_text(note);
                    }
                    ui.label(num(Some(f.drift.threshold)));
                    let s = &f.drift.stats;
                    ui.label(num(s.ks_pvalue.or(s.chi2_pvalue)));
                    let missing = format!("{}, {}", pct(s.null_rate_baseline), pct(s.null_rate_current));
                    // Labels arrive late: their missing share is coverage, not an alert.
                    if f.role != crate::data::Role::Label
                        && (s.null_rate_current - s.null_rate_baseline).abs()
                            >= report.params.settings.null_rate_change
                    {
                        ui.colored_label(palette.warning, missing);
                    } else {
                        ui.label(missing);
                    }
                    ui.end_row();
                }
            });

        let alerts: Vec<_> = report
            .data_quality
            .iter()
            .filter(|a| a.severity >= Severity::Warning)
            .collect();
        ui.add_space(10.0);
        ui.heading("Data quality");
        if alerts.is_empty() {
            ui.colored_label(palette.ok, "No data-quality alerts.");
        }
        for a in alerts {
            let colour = if a.severity == Severity::Critical { palette.error } else { palette.warning };
            let since = a.since.as_ref().map(|s| format!(" (since {s})")).unwrap_or_default();
            ui.colored_label(colour, format!("{}{since}", a.message));
        }

        ui.add_space(10.0);
        ui.heading("Segment mix");
        for mix in &report.segments {
            ui.label(RichText::new(format!("{} ({})", mix.column, mix.role)).strong());
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
                        if v.absent_from_baseline {
                            ui.colored_label(palette.error, format!("{} (new)", v.value));
                        } else {
                            ui.label(&v.value);
                        }
                        ui.label(v.baseline_share.map_or("–".to_owned(), pct));
                        ui.label(pct(v.current_share));
                        ui.end_row();
                    }
                });
            ui.add_space(4.0);
        }

        if let Some(p) = &report.performance {
            ui.add_space(10.0);
            ui.heading("Performance");
            let m = &p.overall;
            ui.label(format!(
                "{} of log rows labelled; accuracy {}, precision {}, recall {}, ROC AUC {} (against the {})",
                pct(p.labelled_share),
                num(m.accuracy),
                num(m.precision),
                num(m.recall),
                num(m.roc_auc),
                p.reference.replace('_', " ")
            ));
            for a in p.alerts.iter().take(8) {
                ui.colored_label(palette.warning, &a.message);
            }
            if p.alerts.len() > 8 {
                ui.label(format!("{} more in the report", p.alerts.len() - 8));
            }
        }
        if let Some(l) = &report.latency {
            ui.add_space(10.0);
            ui.heading("Latency");
            ui.label(format!(
                "`{}`: p50 {:.1}, p95 {:.1}, p99 {:.1}",
                l.column, l.overall.p50, l.overall.p95, l.overall.p99
            ));
            for s in l.slices.iter().take(3) {
                ui.label(format!(
                    "{} = {}: p95 {:.1} ({:.2}× overall)",
                    s.segment.column, s.segment.value, s.latency.p95, s.p95_ratio
                ));
            }
        }
    });
}
