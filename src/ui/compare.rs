//! Compare slices: slice A and slice B from any predicates — segment values, a time range, a
//! model version, a numeric range, on either file — and every column's drift of A against B,
//! with the feature panel's views for any column. "What changed between before and after", "what
//! differs between v2.1 and v2.3".

use eframe::egui::{self, RichText};

use super::slices::{SliceDraft, TableRow, drift_table, slice_editor};
use super::{AppCommand, PanelCtx};
use crate::analysis::{Predicate, Side, SliceDef};
use crate::data::Role;

/// The two slices being edited.
#[derive(Clone, Debug, Default)]
pub struct CompareDraft {
    pub a: SliceDraft,
    pub b: SliceDraft,
    /// The applied slices the drafts were last taken from (re-synced when they change).
    synced: Option<(SliceDef, SliceDef)>,
}

pub fn compare_ui(
    ui: &mut egui::Ui,
    p: &PanelCtx,
    draft: &mut CompareDraft,
    commands: &mut Vec<AppCommand>,
) {
    let palette = p.palette;
    let applied = (p.view.compare_a.clone(), p.view.compare_b.clone());
    if draft.synced.as_ref() != Some(&applied) {
        draft.a = SliceDraft::new(applied.0.clone());
        draft.b = SliceDraft::new(applied.1.clone());
        draft.synced = Some(applied);
    }
    let columns: Vec<String> = p
        .inputs
        .roles
        .columns
        .iter()
        .filter(|c| c.role != Role::Timestamp && c.role != Role::Ignored)
        .map(|c| c.column.clone())
        .collect();
    ui.label("Define two slices and measure every column of A against B (B is the reference). Conditions: a column's values (segments, model version, categories), a time range, or a numeric range; on the log or the baseline.");
    ui.horizontal_wrapped(|ui| {
        ui.label("Start from:");
        if let Some(versions) = p
            .report
            .segments
            .iter()
            .find(|m| m.role == Role::ModelVersion)
            .filter(|m| m.values.len() >= 2)
        {
            let mut present: Vec<&str> = versions
                .values
                .iter()
                .filter(|v| v.current_rows > 0)
                .map(|v| v.value.as_str())
                .collect();
            present.sort();
            if let [.., older, newer] = present.as_slice()
                && ui
                    .button(format!("{newer} against {older}"))
                    .on_hover_text("The two newest model versions in the log")
                    .clicked()
            {
                let one = |v: &str| {
                    SliceDef::whole(Side::Log).with(Predicate::OneOf {
                        column: versions.column.clone(),
                        values: vec![v.to_owned()],
                    })
                };
                draft.a = SliceDraft::new(one(newer));
                draft.b = SliceDraft::new(one(older));
            }
        }
        if let Some((start, end)) = p.view.slice.time()
            && let Some(first) = p
                .inputs
                .roles
                .with_role(Role::Timestamp)
                .first()
                .and_then(|ts| p.inputs.current.time_range(ts))
            && ui
                .button("The slice's time range against the time before it")
                .on_hover_text("After against before: what changed when the incident began")
                .clicked()
        {
            draft.a = SliceDraft::new(SliceDef::whole(Side::Log).with(Predicate::Time {
                start_micros: start,
                end_micros: end,
            }));
            draft.b = SliceDraft::new(SliceDef::whole(Side::Log).with(Predicate::Time {
                start_micros: first.0,
                end_micros: start,
            }));
        }
        if ui
            .button("The current slice against the whole baseline")
            .clicked()
        {
            draft.a = SliceDraft::new(p.view.slice.clone());
            draft.b = SliceDraft::new(SliceDef::whole(Side::Baseline));
        }
    });
    ui.add_space(4.0);
    ui.columns(2, |cols| {
        cols[0].label(RichText::new("Slice A").strong().color(palette.current));
        slice_editor(&mut cols[0], "A", &mut draft.a, &columns, palette);
        cols[1].label(
            RichText::new("Slice B (reference)")
                .strong()
                .color(palette.baseline),
        );
        slice_editor(&mut cols[1], "B", &mut draft.b, &columns, palette);
    });
    ui.horizontal(|ui| {
        let both_whole = draft.a.slice.is_whole() && draft.b.slice.is_whole();
        let same = draft.a.slice == draft.b.slice;
        let enabled = !both_whole && !same;
        let r = ui.add_enabled(enabled, egui::Button::new("Compare A against B"));
        if !enabled {
            r.on_disabled_hover_text(if same {
                "A and B are the same rows"
            } else {
                "The whole log against the whole baseline is the overview: add a condition"
            });
        } else if r.clicked() {
            commands.push(AppCommand::RunCompare {
                a: draft.a.slice.clone(),
                b: draft.b.slice.clone(),
            });
        }
    });
    ui.separator();
    if let Some(e) = p.compared_error {
        ui.colored_label(palette.error, e);
    }
    let Some(c) = p.compared else {
        if p.compared_error.is_none()
            && !(p.view.compare_a.is_whole() && p.view.compare_b.is_whole())
        {
            ui.horizontal(|ui| {
                crate::ui::theme::spinner(ui);
                ui.label("Comparing…");
            });
        }
        return;
    };
    if let Some(e) = p.compared_error {
        // The new slices failed: why, above the previous result still shown.
        ui.colored_label(palette.error, format!("{e}; the previous result is shown"));
    } else if c.a != p.view.compare_a || c.b != p.view.compare_b {
        ui.horizontal(|ui| {
            crate::ui::theme::spinner(ui);
            ui.label("Comparing the new slices; the previous result is shown meanwhile");
        });
    }
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(c.describe()).strong());
        if ui
            .button("Pin")
            .on_hover_text("Keep this comparison as a finding for the report")
            .clicked()
        {
            commands.push(AppCommand::Pin(Box::new(
                crate::export::findings::comparison_finding(c),
            )));
        }
    });
    if !c.left_out.is_empty() {
        ui.label(
            RichText::new(format!(
                "Left out because a condition constrains them: {}",
                c.left_out.join(", ")
            ))
            .italics(),
        );
    }
    let rows: Vec<TableRow> = c
        .columns
        .iter()
        .map(|col| TableRow {
            role: col.role,
            drift: &col.drift,
        })
        .collect();
    egui::ScrollArea::vertical().show(ui, |ui| {
        if let Some(column) = drift_table(
            ui,
            "compared",
            ("B", "A"),
            &rows,
            p.report.params.settings.null_rate_change,
            palette,
        ) {
            commands.push(AppCommand::ShowCompared(column));
        }
    });
}
