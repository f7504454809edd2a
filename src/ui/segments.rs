//! Segments: a heatmap of segment value × column coloured by how far each drift score is over
//! its threshold, with the numbers on hover, totals per row and column, sorted worst first. A
//! click on a cell makes that segment value the current slice and opens the column.

use eframe::egui::{self, RichText, vec2};

use super::{AppCommand, PanelCtx};
use crate::analysis::{Reference, ReportPart};
use crate::format::{human_count, score};

pub fn segments_ui(ui: &mut egui::Ui, p: &PanelCtx, commands: &mut Vec<AppCommand>) {
    let palette = p.palette;
    let segment_columns: Vec<&str> = p
        .report
        .segments
        .iter()
        .map(|m| m.column.as_str())
        .collect();
    if segment_columns.is_empty() && p.report.pending.contains(&ReportPart::Segments) {
        ui.add_space(20.0);
        ui.horizontal(|ui| {
            crate::ui::theme::spinner(ui);
            ui.label("Measuring segments…");
        });
        return;
    }
    if segment_columns.is_empty() {
        ui.add_space(20.0);
        ui.label("No segment columns: give a column such as region or model_version the segment role in the Data panel to see drift per segment.");
        return;
    }
    let current = p.view.segment.clone().unwrap_or_default();
    ui.horizontal(|ui| {
        ui.label("Segment column");
        if let Some(chosen) =
            super::slices::pick(ui, "segment column", "Segment column", &current, &segment_columns)
        {
            commands.push(AppCommand::SetSegment(chosen));
        }
        ui.separator();
        ui.label("Compared with");
        let mut reference = p.view.reference;
        ui.radio_value(&mut reference, Reference::Baseline, "the whole baseline")
            .on_hover_text("Each segment value of the log against all of the baseline: shows where the log differs from what the model was trained on");
        ui.radio_value(&mut reference, Reference::BaselineSegment, "the same segment of the baseline")
            .on_hover_text("Each segment value against the same value in the baseline: shows change within a segment, apart from the segment mix");
        if reference != p.view.reference {
            commands.push(AppCommand::SetReference(reference));
        }
    });
    ui.add_space(4.0);
    let Some(focus) = p.focus else {
        waiting(ui, p.focus_error, palette);
        return;
    };
    let Some(h) = &focus.heatmap else {
        waiting(ui, p.focus_error, palette);
        return;
    };
    let stale = h.segment != current || h.reference != p.view.reference || h.within != p.view.slice;
    if let Some(e) = p.focus_error {
        ui.colored_label(palette.error, e);
    } else if stale {
        ui.horizontal(|ui| {
            crate::ui::theme::spinner(ui);
            ui.label("Updating; the previous heatmap is shown meanwhile");
        });
    }
    ui.label(format!(
        "Drift of every column within each value of {} ({}), against {}. Colour: how far the score is past its threshold (amber at the threshold, red at twice it). Click a cell to open that column for that segment.",
        h.segment,
        h.within.describe(),
        match h.reference {
            Reference::Baseline => "the whole baseline",
            Reference::BaselineSegment => "the same segment of the baseline",
        }
    ));
    if ui
        .button("Pin")
        .on_hover_text("Keep this heatmap's verdicts per segment value as a finding for the report")
        .clicked()
    {
        commands.push(AppCommand::Pin(Box::new(
            crate::export::findings::heatmap_finding(h),
        )));
    }
    ui.add_space(4.0);
    let order = h.worst_first();
    let row_totals = h.row_totals();
    let col_totals = h.column_totals();
    egui::ScrollArea::both().show(ui, |ui| {
        egui::Grid::new("heatmap")
            .spacing([3.0, 3.0])
            .min_col_width(64.0)
            .show(ui, |ui| {
                ui.label(RichText::new(format!("{} (rows)", h.segment)).strong());
                for (j, c) in h.columns.iter().enumerate() {
                    ui.label(RichText::new(c).monospace().small())
                        .on_hover_text(format!("{c}: drifts in {} segment values", col_totals[j]));
                }
                ui.label(RichText::new("drifted").strong())
                    .on_hover_text("Columns that drift in this segment value");
                ui.end_row();
                for &i in &order {
                    let (value, rows) = &h.values[i];
                    ui.label(format!("{value} ({})", human_count(*rows)));
                    for (j, cell) in h.cells[i].iter().enumerate() {
                        let text = match (&cell.note, cell.score) {
                            (None, Some(s)) => score(Some(s), 3),
                            _ => "–".to_owned(),
                        };
                        let button = egui::Button::new(
                            RichText::new(text).color(palette.heat_text()).monospace(),
                        )
                        .fill(palette.heat(cell.severity))
                        .min_size(vec2(64.0, 22.0));
                        let hover = match &cell.note {
                            Some(note) => format!("{} in {} = {value}: {note}", h.columns[j], h.segment),
                            None => format!(
                                "{} in {} = {value} ({} rows)\n{} {} (threshold {}){}\nClick to open it",
                                h.columns[j],
                                h.segment,
                                human_count(cell.rows),
                                cell.method,
                                score(cell.score, 4),
                                score(Some(cell.threshold), 3),
                                if cell.drifted { ": drifted" } else { "" }
                            ),
                        };
                        let response = ui.add(button).on_hover_text(hover);
                        if response.clicked() {
                            commands.push(AppCommand::OpenCell {
                                segment: h.segment.clone(),
                                value: value.clone(),
                                column: h.columns[j].clone(),
                            });
                        }
                    }
                    let total = row_totals[i];
                    let t = RichText::new(total.to_string()).strong();
                    if total > 0 {
                        ui.colored_label(palette.error, t);
                    } else {
                        ui.label(t);
                    }
                    ui.end_row();
                }
                ui.label(RichText::new("segments drifted").strong());
                for (j, total) in col_totals.iter().enumerate() {
                    let t = RichText::new(total.to_string()).strong();
                    let r = if *total > 0 {
                        ui.colored_label(palette.error, t)
                    } else {
                        ui.label(t)
                    };
                    r.on_hover_text(format!("Segment values in which {} drifts", h.columns[j]));
                }
                ui.end_row();
            });
        mix_ui(ui, p, &current);
    });
}

/// How much of each column's drift the mix of this segment column explains.
fn mix_ui(ui: &mut egui::Ui, p: &PanelCtx, segment: &str) {
    let Some(d) = &p.report.decomposition else {
        return;
    };
    let rows: Vec<_> = d
        .drift
        .iter()
        .filter(|e| e.segment_column == segment)
        .collect();
    if rows.is_empty() {
        return;
    }
    ui.add_space(10.0);
    ui.label(RichText::new(format!("Mix against within: {segment}")).strong())
        .on_hover_text(format!("Each column's drift against the baseline, and against the baseline reweighted to the log's mix of {segment}: what is left is the change inside the segments"));
    egui::Grid::new(("mix within", segment))
        .striped(true)
        .num_columns(5)
        .spacing([14.0, 2.0])
        .show(ui, |ui| {
            for h in [
                "column",
                "distance",
                "vs baseline",
                "vs the log's mix",
                "the mix explains",
            ] {
                ui.label(RichText::new(h).strong());
            }
            ui.end_row();
            for e in rows {
                ui.label(&e.column);
                ui.label(&e.method);
                ui.label(score(Some(e.score_vs_baseline), 3));
                ui.label(score(Some(e.score_vs_mix_adjusted), 3));
                ui.label(
                    e.mix_share
                        .map_or_else(|| "–".to_owned(), crate::format::pct),
                );
                ui.end_row();
            }
        });
    if let Some(e) = d
        .drift
        .iter()
        .find(|e| e.segment_column == segment && e.absent_share > 0.0)
    {
        ui.label(format!(
            "{} of the log is in {segment} values the baseline lacks: left out of the adjusted comparison",
            crate::format::pct(e.absent_share)
        ));
    }
}

fn waiting(ui: &mut egui::Ui, error: Option<&str>, palette: &super::theme::Palette) {
    match error {
        Some(e) => {
            ui.colored_label(palette.error, e);
        }
        None => {
            ui.horizontal(|ui| {
                crate::ui::theme::spinner(ui);
                ui.label("Measuring every segment value…");
            });
        }
    }
}
