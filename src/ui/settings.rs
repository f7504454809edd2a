//! Settings: how drift is measured — preset, methods, threshold, bins, minimum rows, windows,
//! tripwires — globally and per column. Edits stay a draft until applied; applying re-runs the
//! report and is saved with the investigation.

use std::collections::BTreeMap;

use eframe::egui::{self, RichText};

use super::{AppCommand, PanelCtx};
use crate::analysis::drift::ColumnSettings;
use crate::analysis::{ColumnKind, DriftParams, Method, Preset};

/// The settings being edited, with the text fields as typed.
#[derive(Clone, Debug)]
pub struct SettingsDraft {
    params: DriftParams,
    threshold: String,
    window: String,
    /// Per column: method (None = global), threshold, bins and edges as typed.
    columns: BTreeMap<String, ColumnDraft>,
}

#[derive(Clone, Debug, Default)]
struct ColumnDraft {
    method: Option<Method>,
    threshold: String,
    bins: String,
    edges: String,
}

fn text(x: Option<impl ToString>) -> String {
    x.map(|v| v.to_string()).unwrap_or_default()
}

impl SettingsDraft {
    pub fn new(params: &DriftParams) -> Self {
        let s = &params.settings;
        Self {
            params: params.clone(),
            threshold: text(s.threshold),
            window: match &params.window {
                None => String::new(),
                Some(crate::analysis::windows::WindowSpec::Period { label, .. }) => label.clone(),
                Some(crate::analysis::windows::WindowSpec::Rows(n)) => format!("{n}rows"),
            },
            columns: s
                .columns
                .iter()
                .map(|(k, c)| {
                    (
                        k.clone(),
                        ColumnDraft {
                            method: c.method,
                            threshold: text(c.threshold),
                            bins: text(c.bins),
                            edges: c
                                .edges
                                .as_ref()
                                .map(|e| {
                                    e.iter().map(f64::to_string).collect::<Vec<_>>().join(", ")
                                })
                                .unwrap_or_default(),
                        },
                    )
                })
                .collect(),
        }
    }

    /// The parameters the draft describes, or what is wrong with it (naming the field).
    fn build(&self) -> Result<DriftParams, String> {
        let mut params = self.params.clone();
        let number = |t: &str, what: &str| -> Result<Option<f64>, String> {
            let t = t.trim();
            if t.is_empty() {
                return Ok(None);
            }
            t.parse::<f64>()
                .map(Some)
                .map_err(|_| format!("{what}: '{t}' is not a number"))
        };
        params.settings.threshold = number(&self.threshold, "threshold")?;
        params.window = if self.window.trim().is_empty() {
            None
        } else {
            Some(self.window.parse().map_err(|e| format!("window: {e}"))?)
        };
        let mut columns = BTreeMap::new();
        for (name, c) in &self.columns {
            let bins = number(&c.bins, &format!("{name} bins"))?
                .map(|b| {
                    if b >= 2.0 && b.fract() == 0.0 {
                        Ok(b as usize)
                    } else {
                        Err(format!("{name} bins: use a whole number of at least 2"))
                    }
                })
                .transpose()?;
            let edges = if c.edges.trim().is_empty() {
                None
            } else {
                Some(
                    c.edges
                        .split(',')
                        .map(|e| {
                            e.trim().parse::<f64>().map_err(|_| {
                                format!("{name} edges: '{}' is not a number", e.trim())
                            })
                        })
                        .collect::<Result<Vec<f64>, String>>()?,
                )
            };
            let settings = ColumnSettings {
                method: c.method,
                threshold: number(&c.threshold, &format!("{name} threshold"))?,
                bins,
                edges,
            };
            if settings != ColumnSettings::default() {
                columns.insert(name.clone(), settings);
            }
        }
        params.settings.columns = columns;
        params.validate()?;
        Ok(params)
    }
}

fn method_box(ui: &mut egui::Ui, id: &str, method: &mut Method, kind: ColumnKind) {
    egui::ComboBox::from_id_salt(id)
        .selected_text(method.as_str())
        .show_ui(ui, |ui| {
            for m in Method::ALL.into_iter().filter(|m| m.applies_to(kind)) {
                ui.selectable_value(method, m, m.as_str())
                    .on_hover_text(m.definition());
            }
        })
        .response
        .on_hover_text(id.to_owned());
}

pub fn settings_ui(
    ui: &mut egui::Ui,
    p: &PanelCtx,
    applied: &DriftParams,
    draft: &mut SettingsDraft,
    commands: &mut Vec<AppCommand>,
) {
    let palette = p.palette;
    egui::ScrollArea::vertical().show(ui, |ui| {
        ui.heading("How drift is measured");
        let s = &mut draft.params.settings;
        egui::Grid::new("global settings")
            .num_columns(3)
            .spacing([12.0, 6.0])
            .show(ui, |ui| {
                ui.label("Rules");
                ui.horizontal(|ui| {
                    ui.radio_value(&mut s.preset, Preset::Driftscope, "driftscope")
                        .on_hover_text("The methods and thresholds below");
                    ui.radio_value(&mut s.preset, Preset::Evidently, "Evidently 0.7")
                        .on_hover_text("Evidently's DataDriftPreset, column by column: KS / chi² under 1000 rows, else Wasserstein (numbers) and Jensen–Shannon (categories)");
                });
                ui.label("");
                ui.end_row();
                // Under Evidently's preset Evidently chooses each column's test; only a column's
                // own method (its `stattest`) changes it.
                let own = s.preset == Preset::Driftscope;
                let chosen = "Evidently chooses: KS / chi² under 1000 rows, else Wasserstein / Jensen–Shannon; set a column's test below";
                ui.label("Numbers");
                ui.add_enabled_ui(own, |ui| {
                    method_box(ui, "Method for numeric columns", &mut s.numeric_method, ColumnKind::Numeric);
                });
                ui.label(RichText::new(if own { s.numeric_method.definition() } else { chosen }).small());
                ui.end_row();
                ui.label("Categories");
                ui.add_enabled_ui(own, |ui| {
                    method_box(ui, "Method for categorical columns", &mut s.categorical_method, ColumnKind::Categorical);
                });
                ui.label(RichText::new(if own { s.categorical_method.definition() } else { chosen }).small());
                ui.end_row();
                ui.label("Threshold");
                ui.add(egui::TextEdit::singleline(&mut draft.threshold).hint_text("each method's default").desired_width(120.0))
                    .on_hover_text("Threshold for every column (empty: each method's default: 0.1 for distances, 0.05 for p-values)");
                ui.label(RichText::new("empty: the method's default").small());
                ui.end_row();
                ui.label("Bins");
                ui.add(egui::DragValue::new(&mut s.bins).range(2..=100))
                    .on_hover_text("Equal-frequency bins of the baseline for numbers (10 = deciles)");
                ui.label(RichText::new("equal-frequency bins of the baseline").small());
                ui.end_row();
                ui.label("Minimum rows");
                ui.add(egui::DragValue::new(&mut s.min_rows).range(1..=1_000_000))
                    .on_hover_text("Fewer non-missing rows on either side: statistics shown, no verdict");
                ui.label(RichText::new("below this on either side: no verdict").small());
                ui.end_row();
                ui.label("Missing-share alert");
                let mut pct = s.null_rate_change * 100.0;
                if ui
                    .add(egui::DragValue::new(&mut pct).range(0.1..=100.0).suffix(" %").speed(0.5))
                    .on_hover_text("A change of a column's missing share by at least this much is a data-quality alert")
                    .changed()
                {
                    s.null_rate_change = pct / 100.0;
                }
                ui.label(RichText::new("change of a column's missing share").small());
                ui.end_row();
                ui.label("Windows");
                ui.add(egui::TextEdit::singleline(&mut draft.window).hint_text("off").desired_width(120.0))
                    .on_hover_text("Window size: 1d, 6h, 30m, 1w, or 10000rows; empty: no windows");
                ui.label(RichText::new("1d, 6h, 30m, 1w or 10000rows; empty: off").small());
                ui.end_row();
                ui.label("Dataset drift");
                let mut share = draft.params.dataset_share * 100.0;
                if ui
                    .add(egui::DragValue::new(&mut share).range(1.0..=100.0).suffix(" %"))
                    .on_hover_text("The dataset drifts when at least this share of its features drift")
                    .changed()
                {
                    draft.params.dataset_share = share / 100.0;
                }
                ui.label(RichText::new("share of features that must drift").small());
                ui.end_row();
                ui.label("Performance tripwire");
                let mut drop = draft.params.performance_drop * 100.0;
                if ui
                    .add(egui::DragValue::new(&mut drop).range(0.5..=100.0).suffix(" %"))
                    .on_hover_text("A relative fall of a metric by at least this much is an alert")
                    .changed()
                {
                    draft.params.performance_drop = drop / 100.0;
                }
                ui.label(RichText::new("relative fall of a metric").small());
                ui.end_row();
            });

        ui.add_space(10.0);
        ui.heading("Per column");
        ui.label("Leave a field empty to use the global setting. Edges pin the bins of a number column (comma-separated inner edges).");
        egui::Grid::new("column settings")
            .striped(true)
            .num_columns(5)
            .spacing([10.0, 4.0])
            .show(ui, |ui| {
                for h in ["Column", "Method", "Threshold", "Bins", "Edges"] {
                    ui.label(RichText::new(h).strong());
                }
                ui.end_row();
                for f in p.report.overall() {
                    let name = &f.drift.column;
                    let kind = f.drift.kind;
                    let c = draft.columns.entry(name.clone()).or_default();
                    ui.label(RichText::new(name).monospace());
                    egui::ComboBox::from_id_salt(("method", name))
                        .selected_text(c.method.map_or("global", Method::as_str))
                        .show_ui(ui, |ui| {
                            ui.selectable_value(&mut c.method, None, "global");
                            for m in Method::ALL.into_iter().filter(|m| m.applies_to(kind)) {
                                ui.selectable_value(&mut c.method, Some(m), m.as_str())
                                    .on_hover_text(m.definition());
                            }
                        })
                        .response
                        .on_hover_text(format!("Method for {name}"));
                    ui.add(egui::TextEdit::singleline(&mut c.threshold).desired_width(70.0))
                        .on_hover_text(format!("Threshold for {name}"));
                    if kind == ColumnKind::Numeric {
                        ui.add(egui::TextEdit::singleline(&mut c.bins).desired_width(50.0))
                            .on_hover_text(format!("Bins for {name}"));
                        ui.add(egui::TextEdit::singleline(&mut c.edges).desired_width(220.0))
                            .on_hover_text(format!("Bin edges for {name}"));
                    } else {
                        ui.label("");
                        ui.label("");
                    }
                    ui.end_row();
                }
            });
        ui.add_space(10.0);
        let built = draft.build();
        ui.horizontal(|ui| {
            let changed = built.as_ref().is_ok_and(|b| b != applied);
            if ui
                .add_enabled(changed, egui::Button::new("Apply and measure again"))
                .clicked()
                && let Ok(params) = &built
            {
                commands.push(AppCommand::SetParams(params.clone()));
            }
            if ui.button("Undo edits").clicked() {
                *draft = SettingsDraft::new(applied);
            }
            if ui.button("Defaults").on_hover_text("driftscope's defaults (apply to use them)").clicked() {
                *draft = SettingsDraft::new(&DriftParams::default());
            }
        });
        if let Err(e) = &built {
            ui.colored_label(palette.error, e);
        }
    });
}
