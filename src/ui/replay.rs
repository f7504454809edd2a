//! Replay: the log's rows (the current slice) run again through the production model and a
//! candidate. Logged against replayed (skew), candidate against production (shadow), per segment,
//! model version and window, the most divergent rows — and what-if: edit one row's inputs and see
//! both models answer.

use eframe::egui::{self, RichText};
use egui_plot::{Legend, Line, Plot, PlotPoints};

use super::analyses::ReplayJobs;
use super::{AppCommand, PanelCtx};
use crate::format::{group_thousands, pct, score};
use crate::replay::Outputs;
use crate::replay::analysis::Comparison;
use crate::replay::study::ReplaySettings;

/// Fields being edited.
#[derive(Default)]
pub(crate) struct ReplayDraft {
    model: String,
    candidate: String,
    synced: Option<ReplaySettings>,
    /// The what-if row and its inputs as edited (column, text).
    row: Option<usize>,
    edits: Vec<(String, String)>,
}

impl ReplayDraft {
    /// The files changed: the row being edited may no longer exist.
    pub fn forget_row(&mut self) {
        self.row = None;
    }
}

fn path_row(
    ui: &mut egui::Ui,
    label: &str,
    text: &mut String,
    candidate: bool,
    commands: &mut Vec<AppCommand>,
) -> bool {
    let mut apply = false;
    ui.horizontal(|ui| {
        ui.label(label);
        let r = ui
            .add(
                egui::TextEdit::singleline(text)
                    .hint_text("path to a .onnx file")
                    .desired_width(420.0),
            )
            .on_hover_text(format!("{label} (path to a .onnx file)"));
        if r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
            apply = true;
        }
        if ui
            .button("Choose…")
            .on_hover_text(format!("Choose the {label}"))
            .clicked()
        {
            commands.push(AppCommand::PickModel { candidate });
        }
    });
    apply
}

/// What the model file declares: producer, opset, inputs and outputs with types and shapes,
/// metadata.
fn model_info_ui(ui: &mut egui::Ui, info: &crate::replay::ModelInfo) {
    egui::CollapsingHeader::new(format!(
        "Model: {} inputs, {} outputs, produced by {}, opset {}",
        info.inputs.len(),
        info.outputs.len(),
        info.producer.as_deref().unwrap_or("unknown"),
        info.opset.map_or("?".to_owned(), |o| o.to_string())
    ))
    .id_salt("model info")
    .show(ui, |ui| {
        egui::Grid::new("model io").striped(true).show(ui, |ui| {
            for (kind, list) in [("input", &info.inputs), ("output", &info.outputs)] {
                for io in list {
                    ui.label(kind);
                    ui.label(RichText::new(&io.name).monospace());
                    ui.label(io.describe());
                    ui.end_row();
                }
            }
            for (k, v) in &info.metadata {
                ui.label("metadata");
                ui.label(RichText::new(k).monospace());
                ui.label(v);
                ui.end_row();
            }
            ui.label("runtime");
            ui.label("");
            ui.label(info.runtime.display().to_string());
            ui.end_row();
        });
    });
}

/// Which log column feeds each model input: by name unless changed, or the column order of a
/// single `[N, F]` input (from the model's metadata unless typed), with the count checked.
fn mapping_ui(
    ui: &mut egui::Ui,
    p: &PanelCtx,
    info: &crate::replay::ModelInfo,
    mapping: &mut crate::replay::MappingSpec,
) {
    let columns: Vec<&str> = p
        .inputs
        .current
        .frame
        .get_column_names()
        .into_iter()
        .map(|c| c.as_str())
        .collect();
    let wide =
        info.inputs.len() == 1 && info.inputs[0].shape.len() == 2 && info.inputs[0].shape[1] != "1";
    egui::CollapsingHeader::new(format!("Mapping: log columns to the model's {} inputs", info.inputs.len()))
        .id_salt("mapping")
        .show(ui, |ui| {
            if wide {
                let input = &info.inputs[0];
                let mut text = mapping
                    .features
                    .clone()
                    .or_else(|| info.feature_order())
                    .unwrap_or_default()
                    .join(", ");
                ui.label(format!(
                    "`{}` is one {} tensor: its columns, in order (from the model's metadata unless typed here)",
                    input.name,
                    input.describe()
                ));
                if ui
                    .add(egui::TextEdit::singleline(&mut text).desired_width(520.0))
                    .on_hover_text(format!("Columns of {}, comma-separated", input.name))
                    .changed()
                {
                    let list: Vec<String> = text
                        .split(',')
                        .map(|c| c.trim().to_owned())
                        .filter(|c| !c.is_empty())
                        .collect();
                    mapping.features = Some(list);
                }
                let n = mapping
                    .features
                    .as_ref()
                    .or(info.feature_order().as_ref())
                    .map_or(0, Vec::len);
                if let Ok(width) = input.shape[1].parse::<usize>()
                    && width != n
                {
                    ui.colored_label(
                        p.palette.error,
                        format!("{} takes {width} columns; {n} are listed", input.name),
                    );
                }
                return;
            }
            egui::Grid::new("mapping grid").striped(true).show(ui, |ui| {
                for h in ["Model input", "Type", "Log column"] {
                    ui.label(RichText::new(h).strong());
                }
                ui.end_row();
                for input in &info.inputs {
                    ui.label(RichText::new(&input.name).monospace());
                    ui.label(input.describe());
                    let current = mapping
                        .map
                        .get(&input.name)
                        .cloned()
                        .unwrap_or_else(|| input.name.clone());
                    let mut chosen = current.clone();
                    let missing = !columns.contains(&current.as_str());
                    egui::ComboBox::from_id_salt(("map", &input.name))
                        .selected_text(if missing {
                            format!("{current} (not in the log)")
                        } else {
                            current.clone()
                        })
                        .show_ui(ui, |ui| {
                            for c in &columns {
                                ui.selectable_value(&mut chosen, (*c).to_owned(), *c);
                            }
                        })
                        .response
                        .on_hover_text(format!("Log column for {}", input.name));
                    if chosen != current {
                        if chosen == input.name {
                            mapping.map.remove(&input.name);
                        } else {
                            mapping.map.insert(input.name.clone(), chosen);
                        }
                    }
                    ui.end_row();
                }
            });
        });
}

fn comparison_ui(ui: &mut egui::Ui, id: &str, c: &Comparison, p: &PanelCtx) {
    let colour = if c.beyond_tolerance > 0.0 {
        p.palette.warning
    } else {
        p.palette.ok
    };
    ui.colored_label(
        colour,
        RichText::new(format!(
            "{}: {} of {} rows differ by more than {} ({}){}",
            c.what,
            group_thousands(c.beyond_tolerance_rows),
            group_thousands(c.rows),
            c.tolerance,
            pct(c.beyond_tolerance),
            c.label_disagreement
                .map(|d| format!("; labels differ in {}", pct(d)))
                .unwrap_or_default()
        ))
        .strong(),
    );
    ui.label(format!(
        "|difference|: median {}, 95th percentile {}, 99th {}, largest {}{}",
        score(Some(c.diff.p50_abs), 4),
        score(Some(c.diff.p95_abs), 4),
        score(Some(c.diff.p99_abs), 4),
        score(Some(c.diff.max_abs), 4),
        c.first_window_beyond
            .as_ref()
            .map(|w| format!("; first window with differences: {w}"))
            .unwrap_or_default()
    ));
    ui.columns(2, |cols| {
        egui::ScrollArea::vertical()
            .id_salt((id, "groups"))
            .max_height(220.0)
            .show(&mut cols[0], |ui| {
                egui::Grid::new((id, "groups grid"))
                    .striped(true)
                    .num_columns(4)
                    .show(ui, |ui| {
                        for h in ["Group", "Rows", "Beyond tolerance", "Labels differ"] {
                            ui.label(RichText::new(h).strong());
                        }
                        ui.end_row();
                        for g in &c.by_group {
                            ui.label(&g.group);
                            ui.label(group_thousands(g.rows));
                            let share = pct(g.beyond_tolerance);
                            if g.beyond_tolerance > 0.01 {
                                ui.colored_label(p.palette.warning, share);
                            } else {
                                ui.label(share);
                            }
                            ui.label(g.label_disagreement.map_or("–".to_owned(), pct));
                            ui.end_row();
                        }
                    });
            });
        let points: Vec<[f64; 2]> = c
            .by_window
            .iter()
            .enumerate()
            .map(|(i, w)| [i as f64, w.beyond_tolerance * 100.0])
            .collect();
        let labels: Vec<String> = c
            .by_window
            .iter()
            .map(|w| w.group.chars().take(10).collect())
            .collect();
        Plot::new((id, "by window"))
            .height(200.0)
            .legend(Legend::default())
            .allow_drag(false)
            .allow_scroll(false)
            .y_axis_label("% of rows beyond the tolerance")
            .x_axis_formatter(super::slices::index_labels(labels, 10))
            .show(&mut cols[1], |plot| {
                plot.line(
                    Line::new("beyond the tolerance, per window", PlotPoints::from(points))
                        .color(p.palette.warning)
                        .width(2.0),
                );
            });
    });
}

pub(crate) fn replay_ui(
    ui: &mut egui::Ui,
    p: &PanelCtx,
    settings: &ReplaySettings,
    jobs: &ReplayJobs,
    d: &mut ReplayDraft,
    commands: &mut Vec<AppCommand>,
) {
    let palette = p.palette;
    if let Some(held) = p.held {
        ui.add_space(10.0);
        ui.colored_label(palette.warning, held.needs_rows("Replay and what-if"));
        return;
    }
    if d.synced.as_ref() != Some(settings) {
        d.model = settings
            .model
            .as_ref()
            .map(|m| m.display().to_string())
            .unwrap_or_default();
        d.candidate = settings
            .candidate
            .as_ref()
            .map(|m| m.display().to_string())
            .unwrap_or_default();
        d.synced = Some(settings.clone());
    }
    ui.label("Run the logged inputs of the current slice again through the model file: rows whose replayed score differs from the logged one point at a serving-side transform, a feature-pipeline or a model-version difference. A candidate model is run on the same rows (shadow mode).");
    let mut apply = path_row(ui, "Production model", &mut d.model, false, commands);
    apply |= path_row(ui, "Candidate model", &mut d.candidate, true, commands);
    let mut next = settings.clone();
    ui.horizontal(|ui| {
        ui.label("Missing values");
        ui.radio_value(
            &mut next.mapping.nulls,
            crate::replay::NullPolicy::Refuse,
            "refuse",
        )
        .on_hover_text("Stop and say which column has how many missing values");
        ui.radio_value(
            &mut next.mapping.nulls,
            crate::replay::NullPolicy::Nan,
            "send NaN",
        )
        .on_hover_text("What serving sends for a missing number; right for models with an imputer");
        ui.separator();
        ui.label("Tolerance");
        ui.add(
            egui::DragValue::new(&mut next.tolerance)
                .range(0.0..=1.0)
                .speed(1e-5),
        )
        .on_hover_text("Scores further apart than this count as different");
        if ui.button("Replay").clicked() {
            apply = true;
        }
    });
    if let Some(info) = jobs.model_info() {
        model_info_ui(ui, info);
        mapping_ui(ui, p, info, &mut next.mapping);
    } else if let Some(e) = jobs.model_error() {
        ui.colored_label(palette.error, e);
        // Where the runtime is, when driftscope does not find it by itself.
        let mut lib = next
            .runtime
            .as_ref()
            .map(|r| r.display().to_string())
            .unwrap_or_default();
        ui.horizontal(|ui| {
            ui.label("ONNX Runtime library");
            if ui
                .add(
                    egui::TextEdit::singleline(&mut lib)
                        .hint_text("path to libonnxruntime.so")
                        .desired_width(420.0),
                )
                .on_hover_text("ONNX Runtime library (path to libonnxruntime.so)")
                .lost_focus()
            {
                next.runtime =
                    (!lib.trim().is_empty()).then(|| std::path::PathBuf::from(lib.trim()));
            }
        });
    }
    let path = |t: &str| (!t.trim().is_empty()).then(|| std::path::PathBuf::from(t.trim()));
    if apply {
        next.model = path(&d.model);
        next.candidate = path(&d.candidate);
    }
    if next != *settings {
        commands.push(AppCommand::SetReplay(next));
    }
    if settings.model.is_none() {
        ui.add_space(10.0);
        ui.label("Choose the production model to start. The sample investigation's models are in sample-data/models/.");
        return;
    }
    if let Some(e) = jobs.study_error() {
        ui.colored_label(palette.error, e);
    }
    let Some(s) = jobs.study_shared() else {
        if jobs.is_replaying() {
            ui.horizontal(|ui| {
                crate::ui::theme::spinner(ui);
                ui.label("Replaying…");
            });
        }
        return;
    };
    if jobs.is_replaying() {
        ui.horizontal(|ui| {
            crate::ui::theme::spinner(ui);
            ui.label("Replaying again; the previous result is shown meanwhile");
        });
    }
    egui::ScrollArea::vertical().show(ui, |ui| {
        ui.label(format!(
            "{} rows of the {} through {} ({} inputs){}",
            group_thousands(s.rows.len()),
            p.view.slice.describe(),
            s.model.path.display(),
            s.mapping.len(),
            s.candidate
                .as_ref()
                .map(|c| format!(", and {}", c.path.display()))
                .unwrap_or_default()
        ))
        .on_hover_text(
            s.mapping
                .iter()
                .map(|(i, c)| format!("{i} <- {}", c.join(", ")))
                .collect::<Vec<_>>()
                .join("\n"),
        );
        if let Some(c) = &s.skew {
            ui.add_space(6.0);
            ui.horizontal(|ui| {
                ui.heading("Logged against replayed");
                if ui
                    .button("Pin")
                    .on_hover_text("Keep the skew as a finding for the report")
                    .clicked()
                {
                    commands.push(AppCommand::Pin(Box::new(
                        crate::export::findings::replay_finding(c, &p.view.slice),
                    )));
                }
            });
            comparison_ui(ui, "skew", c, p);
            ui.add_space(4.0);
            ui.label(RichText::new("Most divergent rows").strong());
            egui::Grid::new("divergent").striped(true).show(ui, |ui| {
                ui.label(RichText::new("Row").strong());
                ui.label(RichText::new("Logged").strong());
                ui.label(RichText::new("Replayed").strong());
                ui.label(RichText::new("Inputs").strong());
                ui.label("");
                ui.end_row();
                for r in c.most_divergent.iter().take(12) {
                    ui.label(r.row.to_string());
                    ui.label(score(Some(r.first), 4));
                    ui.label(score(Some(r.second), 4));
                    let inputs: Vec<String> =
                        r.inputs.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    ui.label(RichText::new(inputs.join(", ")).small());
                    if ui
                        .small_button("What if")
                        .on_hover_text(format!("Edit row {} and run both models on it", r.row))
                        .clicked()
                    {
                        d.row = Some(r.row);
                        d.edits = r
                            .inputs
                            .iter()
                            .map(|(k, v)| {
                                (
                                    k.clone(),
                                    if v == "(missing)" {
                                        String::new()
                                    } else {
                                        v.clone()
                                    },
                                )
                            })
                            .collect();
                        commands.push(AppCommand::WhatIf {
                            row: r.row,
                            edits: d.edits.clone(),
                        });
                    }
                    ui.end_row();
                }
            });
        }
        if let Some(c) = &s.shadow {
            ui.add_space(10.0);
            ui.horizontal(|ui| {
                ui.heading("Candidate against production");
                if ui
                    .button("Pin")
                    .on_hover_text("Keep the candidate's differences as a finding for the report")
                    .clicked()
                {
                    commands.push(AppCommand::Pin(Box::new(
                        crate::export::findings::replay_finding(c, &p.view.slice),
                    )));
                }
            });
            comparison_ui(ui, "shadow", c, p);
        }
        if let Some((prod, cand)) = &s.performance {
            ui.add_space(6.0);
            let m = |x: &Option<crate::analysis::performance::Metrics>| {
                x.as_ref().map_or("–".to_owned(), |m| {
                    format!(
                        "accuracy {}, recall {}, ROC AUC {} ({} labelled rows)",
                        score(m.accuracy, 3),
                        score(m.recall, 3),
                        score(m.roc_auc, 3),
                        group_thousands(m.rows)
                    )
                })
            };
            ui.label(format!("Production on the labelled rows: {}", m(prod)));
            if s.candidate.is_some() {
                ui.label(format!("Candidate on the same rows: {}", m(cand)));
            }
        }
        what_if_ui(ui, p, jobs, d, commands);
    });
}

fn what_if_ui(
    ui: &mut egui::Ui,
    p: &PanelCtx,
    jobs: &ReplayJobs,
    d: &mut ReplayDraft,
    commands: &mut Vec<AppCommand>,
) {
    ui.add_space(10.0);
    ui.heading("What if");
    ui.horizontal(|ui| {
        ui.label("Row");
        let mut row = d.row.unwrap_or(0);
        if ui
            .add(
                egui::DragValue::new(&mut row).range(0..=p.inputs.current.rows().saturating_sub(1)),
            )
            .on_hover_text("Row of the log to edit")
            .changed()
            || (d.row.is_none() && ui.button("Edit this row").clicked())
        {
            d.row = Some(row);
            d.edits = jobs
                .study()
                .map(|s| {
                    s.mapping
                        .iter()
                        .flat_map(|(_, c)| c.clone())
                        .map(|c| {
                            let v = p
                                .inputs
                                .current
                                .frame
                                .column(&c)
                                .ok()
                                .and_then(|col| col.get(row).ok())
                                .and_then(|v| crate::analysis::columns::label_of(&v))
                                .unwrap_or_default();
                            (c, v)
                        })
                        .collect()
                })
                .unwrap_or_default();
            commands.push(AppCommand::WhatIf {
                row,
                edits: d.edits.clone(),
            });
        }
    });
    let Some(row) = d.row else {
        ui.label("Pick a row (or \"What if\" on a divergent row), change its inputs, and see both models answer.");
        return;
    };
    egui::Grid::new("what-if inputs")
        .num_columns(2)
        .show(ui, |ui| {
            for (column, value) in &mut d.edits {
                ui.label(RichText::new(column.as_str()).monospace());
                ui.add(egui::TextEdit::singleline(value).desired_width(160.0))
                    .on_hover_text(format!("{column} of row {row}"));
                ui.end_row();
            }
        });
    if ui.button("Run both models on this row").clicked() {
        commands.push(AppCommand::WhatIf {
            row,
            edits: d.edits.clone(),
        });
    }
    if let Some(e) = jobs.what_if_error() {
        ui.colored_label(p.palette.error, e);
    }
    if let Some((prod, cand)) = jobs.what_if() {
        let answer = |o: &Outputs| {
            format!(
                "{}score {}",
                o.labels
                    .first()
                    .map(|l| format!("label {l}, "))
                    .unwrap_or_default(),
                score(o.scores.first().copied(), 4)
            )
        };
        ui.label(RichText::new(format!("Production: {}", answer(prod))).strong());
        if let Some(c) = cand {
            ui.label(RichText::new(format!("Candidate: {}", answer(c))).strong());
        }
    }
}
