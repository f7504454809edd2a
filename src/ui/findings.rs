//! Findings: what was pinned from the panels, shown as the report will show it — reorder, edit
//! (title, severity, note, owner), delete — and File, Export report.

use eframe::egui::{self, RichText};
use egui_plot::{Bar, BarChart, HLine, Legend, Line, Plot, PlotPoints};

use super::{AppCommand, PanelCtx};
use crate::session::findings::{Chart, Finding, FindingSeverity};

/// A chart of a finding, drawn on screen from the same data the export renders.
pub fn chart_ui(ui: &mut egui::Ui, id: usize, chart: &Chart, p: &PanelCtx) {
    match chart {
        Chart::Bars {
            title,
            categories,
            series,
        } => {
            ui.label(RichText::new(title).small());
            let k = series.len().max(1) as f64;
            let width = 0.8 / k;
            let labels = categories.clone();
            Plot::new(("finding chart", id))
                .height(170.0)
                .legend(Legend::default())
                .allow_drag(false)
                .allow_scroll(false)
                .x_axis_formatter(super::slices::index_labels(labels, 24))
                .show(ui, |plot| {
                    for (s, (name, values)) in series.iter().enumerate() {
                        let bars = values
                            .iter()
                            .enumerate()
                            .map(|(i, v)| {
                                Bar::new(i as f64 - 0.4 + width * (s as f64 + 0.5), v * 100.0)
                                    .width(width)
                            })
                            .collect();
                        plot.bar_chart(
                            BarChart::new(name.clone(), bars).color(p.palette.series(s)),
                        );
                    }
                });
        }
        Chart::Lines {
            title,
            x,
            series,
            thresholds,
        } => {
            ui.label(RichText::new(title).small());
            let labels = x.clone();
            Plot::new(("finding chart", id))
                .height(170.0)
                .legend(Legend::default())
                .allow_drag(false)
                .allow_scroll(false)
                .x_axis_formatter(super::slices::index_labels(labels, 10))
                .show(ui, |plot| {
                    for (s, (name, values)) in series.iter().enumerate() {
                        let pts: Vec<[f64; 2]> = values
                            .iter()
                            .enumerate()
                            .filter_map(|(i, v)| Some([i as f64, (*v)?]))
                            .collect();
                        plot.line(
                            Line::new(name.clone(), PlotPoints::from(pts))
                                .color(p.palette.series(s)),
                        );
                    }
                    for (name, t) in thresholds {
                        plot.hline(HLine::new(name.clone(), *t).color(p.palette.error));
                    }
                });
        }
    }
}

pub fn findings_ui(
    ui: &mut egui::Ui,
    p: &PanelCtx,
    findings: &[Finding],
    commands: &mut Vec<AppCommand>,
) {
    ui.horizontal(|ui| {
        ui.heading(format!("Findings ({})", findings.len()));
        if ui
            .button("Export report…")
            .on_hover_text("HTML, Markdown or JSON, with the findings in this order")
            .clicked()
        {
            commands.push(AppCommand::PickExport);
        }
        if findings.is_empty() && ui.button("Propose findings").on_hover_text("The dataset verdict, the worst features and segments, data quality, performance and replay, as the command line's report has them").clicked() {
            commands.push(AppCommand::ProposeFindings);
        }
    });
    if findings.is_empty() {
        ui.label("Nothing pinned yet. Pin what you see with the \"Pin\" buttons of the Feature, Time, Compare and Replay panels, or let driftscope propose findings. An export without findings has the proposed ones.");
        return;
    }
    egui::ScrollArea::vertical().show(ui, |ui| {
        for (i, f) in findings.iter().enumerate() {
            let mut edited = f.clone();
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.set_width(ui.available_width());
                ui.horizontal(|ui| {
                    ui.label(RichText::new(format!("{}.", i + 1)).strong());
                    ui.add(
                        egui::TextEdit::singleline(&mut edited.title)
                            .desired_width(ui.available_width() - 330.0),
                    )
                    .on_hover_text(format!("Title of finding {}", i + 1));
                    egui::ComboBox::from_id_salt(("severity", i))
                        .selected_text(edited.severity.as_str())
                        .show_ui(ui, |ui| {
                            for s in FindingSeverity::ALL {
                                ui.selectable_value(&mut edited.severity, s, s.as_str());
                            }
                        })
                        .response
                        .on_hover_text(format!("Severity of finding {}", i + 1));
                    if ui
                        .add_enabled(i > 0, egui::Button::new("Up"))
                        .on_hover_text("Earlier in the report")
                        .clicked()
                    {
                        commands.push(AppCommand::MoveFinding { from: i, to: i - 1 });
                    }
                    if ui
                        .add_enabled(i + 1 < findings.len(), egui::Button::new("Down"))
                        .on_hover_text("Later in the report")
                        .clicked()
                    {
                        commands.push(AppCommand::MoveFinding { from: i, to: i + 1 });
                    }
                    if ui
                        .button("Delete")
                        .on_hover_text(format!("Delete finding {}", i + 1))
                        .clicked()
                    {
                        commands.push(AppCommand::DeleteFinding(i));
                    }
                });
                let colour = match f.severity {
                    FindingSeverity::Critical => p.palette.error,
                    FindingSeverity::Warning => p.palette.warning,
                    FindingSeverity::Info => p.palette.muted,
                };
                ui.colored_label(
                    colour,
                    format!(
                        "Slice: {}; against: {}; from the {} panel; pinned {}",
                        f.slice.describe(),
                        f.against,
                        f.source,
                        f.pinned
                    ),
                );
                ui.columns(2, |cols| {
                    egui::Grid::new(("numbers", i))
                        .striped(true)
                        .show(&mut cols[0], |ui| {
                            for (k, v) in &f.numbers {
                                ui.label(k);
                                ui.label(v);
                                ui.end_row();
                            }
                        });
                    if let Some(chart) = &f.chart {
                        chart_ui(&mut cols[1], i, chart, p);
                    }
                });
                ui.horizontal(|ui| {
                    ui.label("Owner");
                    ui.add(egui::TextEdit::singleline(&mut edited.owner).desired_width(160.0))
                        .on_hover_text(format!("Owner of finding {}", i + 1));
                });
                ui.add(
                    egui::TextEdit::multiline(&mut edited.note)
                        .hint_text("What this means, what to do")
                        .desired_rows(2)
                        .desired_width(f32::INFINITY),
                )
                .on_hover_text(format!("Note of finding {}", i + 1));
            });
            if edited != *f {
                commands.push(AppCommand::UpdateFinding(i, Box::new(edited)));
            }
            ui.add_space(6.0);
        }
    });
}
