//! The data panel: the files that are open and every column's role with its reason; the role is a
//! dropdown, and changing it re-resolves the investigation.

use eframe::egui::{self, RichText};

use super::AppCommand;
use super::theme::Palette;
use crate::analysis::profile_file::{Held, HeldProfile};
use crate::data::roles::group_thousands;
use crate::data::timestamps::format_micros;
use crate::data::{Inputs, Role, RoleSource, Table};

/// The left side: one block per file (the log's as its profile when it is held so).
pub fn files_ui(ui: &mut egui::Ui, inputs: &Inputs, held: Option<&HeldProfile>, palette: &Palette) {
    let ts = inputs.roles.with_role(Role::Timestamp).first().copied();
    ui.heading("Baseline");
    file_ui(ui, &inputs.baseline, ts, palette);
    ui.add_space(8.0);
    ui.heading("Log");
    match held {
        Some(held) => held_ui(ui, &inputs.current, held, palette),
        None => file_ui(ui, &inputs.current, ts, palette),
    }
    ui.add_space(8.0);
}

/// A log held as a profile: what it was made from, its cells and time range, and what it
/// cannot do.
fn held_ui(ui: &mut egui::Ui, table: &Table, held: &HeldProfile, palette: &Palette) {
    let h = &held.profile.header;
    ui.label(RichText::new(table.file_name()).strong())
        .on_hover_text(table.path.display().to_string());
    ui.label(format!(
        "{} · {} rows · {} columns",
        match held.how {
            Held::File => "driftscope profile",
            Held::Batched { .. } => "read in batches",
        },
        group_thousands(h.log.rows),
        h.log_columns.len()
    ));
    let span = h.windows.as_ref().and_then(|w| {
        Some((
            w.windows.first()?.start_micros?,
            w.windows.last()?.end_micros?,
        ))
    });
    if let Some((start, end)) = span {
        ui.label(format!(
            "{} to\n{}",
            format_micros(start),
            format_micros(end)
        ));
    }
    ui.colored_label(palette.warning, held.describe());
}

fn file_ui(ui: &mut egui::Ui, table: &Table, ts: Option<&str>, palette: &Palette) {
    ui.label(RichText::new(table.file_name()).strong())
        .on_hover_text(table.path.display().to_string());
    ui.label(format!(
        "{} · {} rows · {} columns",
        table.format.name(),
        group_thousands(table.rows()),
        table.frame.width()
    ));
    if let Some((start, end)) = ts.and_then(|t| table.time_range(t)) {
        ui.label(format!(
            "{} to\n{}",
            format_micros(start),
            format_micros(end)
        ));
    }
    for warning in &table.warnings {
        ui.colored_label(palette.warning, format!("Warning: {warning}"));
    }
}

/// The centre: schema differences, then the roles table.
pub fn roles_ui(
    ui: &mut egui::Ui,
    inputs: &Inputs,
    palette: &Palette,
    commands: &mut Vec<AppCommand>,
) {
    let schema = &inputs.schema;
    if schema.is_clean() {
        ui.colored_label(
            palette.ok,
            "Baseline and log have the same columns and types.",
        );
    } else {
        if !schema.only_current.is_empty() {
            ui.colored_label(
                palette.one_sided,
                format!("Only in the log: {}", schema.only_current.join(", ")),
            );
        }
        if !schema.only_baseline.is_empty() {
            ui.colored_label(
                palette.one_sided,
                format!("Only in the baseline: {}", schema.only_baseline.join(", ")),
            );
        }
        for change in &schema.type_changes {
            ui.colored_label(
                palette.warning,
                format!(
                    "Type changed: {} is {} in the baseline, {} in the log",
                    change.column, change.baseline, change.current
                ),
            );
        }
    }
    ui.add_space(6.0);
    egui::ScrollArea::both().show(ui, |ui| {
        egui::Grid::new("roles")
            .num_columns(4)
            .striped(true)
            .spacing([16.0, 4.0])
            .show(ui, |ui| {
                for h in ["Column", "Type", "Role", "Why"] {
                    ui.label(RichText::new(h).strong());
                }
                ui.end_row();
                for c in &inputs.roles.columns {
                    let in_b = inputs.baseline.frame.column(&c.column).is_ok();
                    let in_c = inputs.current.frame.column(&c.column).is_ok();
                    let name = RichText::new(&c.column).monospace();
                    let name = if in_b && in_c {
                        name
                    } else {
                        name.color(palette.one_sided)
                    };
                    let where_ = match (in_b, in_c) {
                        (true, true) => "in the baseline and the log",
                        (true, false) => "only in the baseline",
                        _ => "only in the log",
                    };
                    ui.label(name).on_hover_text(where_);
                    ui.label(RichText::new(&c.dtype).color(palette.muted));
                    let mut role = c.role;
                    egui::ComboBox::from_id_salt(("role", &c.column))
                        .selected_text(role.as_str())
                        .show_ui(ui, |ui| {
                            for r in Role::ALL {
                                ui.selectable_value(&mut role, r, r.as_str())
                                    .on_hover_text(r.explain());
                            }
                        })
                        .response
                        .on_hover_text(format!("Role of {}", c.column));
                    if role != c.role {
                        commands.push(AppCommand::SetRole {
                            column: c.column.clone(),
                            role,
                        });
                    }
                    let reason = match c.source {
                        RoleSource::Inferred => RichText::new(&c.reason),
                        RoleSource::Override(_) => RichText::new(&c.reason).italics(),
                    };
                    ui.label(reason);
                    ui.end_row();
                }
            });
    });
}
