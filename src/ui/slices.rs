//! Pieces shared by panels: the current-slice bar, the ranked drift table with its small
//! histograms, and the slice editor of the compare panel.

use eframe::egui::{self, RichText, Sense, vec2};

use super::theme::Palette;
use super::{AppCommand, Focus};
use crate::analysis::slice::severity;
use crate::analysis::{ColumnDrift, Predicate, Side, SliceDef};
use crate::data::Role;
use crate::format::{human_count, pct, score, score_within};

/// "Slice: whole log" or the predicates of the current slice, each removable.
pub fn slice_bar(
    ui: &mut egui::Ui,
    slice: &SliceDef,
    focus: Option<&Focus>,
    palette: &Palette,
    commands: &mut Vec<AppCommand>,
) {
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("Slice:").strong())
            .on_hover_text("Every panel measures this part of the log against the baseline. Click a heatmap cell, a segment value or brush a time range to narrow it.");
        if slice.is_whole() {
            ui.label("whole log");
        }
        for (i, p) in slice.predicates.iter().enumerate() {
            ui.label(RichText::new(p.describe()).color(palette.slice));
            if ui
                .small_button("x")
                .on_hover_text(format!("Remove \"{}\" from the slice", p.describe()))
                .clicked()
            {
                commands.push(AppCommand::RemovePredicate(i));
            }
        }
        if !slice.is_whole() && ui.button("Whole log").clicked() {
            commands.push(AppCommand::SetSlice(SliceDef::default()));
        }
        if let Some(f) = focus.filter(|f| f.comparison.a == *slice) {
            let c = &f.comparison;
            ui.separator();
            ui.label(format!(
                "{} rows; {} of {} features drift",
                human_count(c.a_rows),
                c.drifted_features,
                c.features
            ));
        }
    });
}

/// A tiny histogram of the reference (outline) and the other side (filled) on the same bins.
pub fn mini_hist(ui: &mut egui::Ui, d: &ColumnDrift, palette: &Palette) -> egui::Response {
    let (rect, response) = ui.allocate_exact_size(vec2(96.0, 20.0), Sense::hover());
    let s = &d.stats;
    let tb: u64 = s.baseline_counts.iter().sum();
    let tc: u64 = s.current_counts.iter().sum();
    let n = s.baseline_counts.len().max(s.current_counts.len());
    if n == 0 || tb == 0 || tc == 0 {
        return response;
    }
    let share = |c: &[u64], i: usize, t: u64| c.get(i).copied().unwrap_or(0) as f32 / t as f32;
    let max = (0..n)
        .map(|i| share(&s.baseline_counts, i, tb).max(share(&s.current_counts, i, tc)))
        .fold(0.0f32, f32::max)
        .max(1e-6);
    let w = rect.width() / n as f32;
    let painter = ui.painter_at(rect);
    for i in 0..n {
        let x = rect.left() + i as f32 * w;
        let hc = share(&s.current_counts, i, tc) / max * rect.height();
        let hb = share(&s.baseline_counts, i, tb) / max * rect.height();
        painter.rect_filled(
            egui::Rect::from_min_max(
                egui::pos2(x + 0.5, rect.bottom() - hc),
                egui::pos2(x + w - 0.5, rect.bottom()),
            ),
            0.0,
            palette.current.gamma_multiply(0.7),
        );
        painter.line_segment(
            [
                egui::pos2(x, rect.bottom() - hb),
                egui::pos2(x + w, rect.bottom() - hb),
            ],
            egui::Stroke::new(1.5, palette.baseline),
        );
    }
    response
}

/// One row of a ranked drift table.
pub struct TableRow<'a> {
    pub role: Role,
    pub drift: &'a ColumnDrift,
}

/// Columns ranked by drift; a click on a name reports it.
pub fn drift_table(
    ui: &mut egui::Ui,
    id: &str,
    sides: (&str, &str),
    rows: &[TableRow],
    null_rate_change: f64,
    palette: &Palette,
) -> Option<String> {
    let mut clicked = None;
    egui::Grid::new(id)
        .striped(true)
        .num_columns(8)
        .spacing([14.0, 4.0])
        .show(ui, |ui| {
            let heads = [
                ("Column", "Click a column to see its distributions"),
                ("Role", "What the column is to the model"),
                ("Distribution", "Reference (line) and compared rows (bars) on the bins the test used"),
                ("Method", "The statistic that decides drift for this column"),
                ("Score", "The method's value: a distance (drift when at or above the threshold) or a p-value (drift when below)"),
                ("Threshold", "Where the method's verdict flips"),
                ("KS / chi² p", "The Kolmogorov–Smirnov (numbers) or chi-square (categories) test p-value, shown for reference; with many rows it is tiny for any difference"),
            ];
            for (h, tip) in heads {
                ui.label(RichText::new(h).strong()).on_hover_text(tip);
            }
            ui.label(RichText::new(format!("Missing ({}, {})", sides.0, sides.1)).strong())
                .on_hover_text("Share of missing values on each side");
            ui.end_row();
            for row in rows {
                let d = row.drift;
                let name = RichText::new(&d.column).monospace();
                let name = if d.drifted {
                    name.color(palette.error).strong()
                } else {
                    name
                };
                if ui
                    .link(name)
                    .on_hover_text(format!("Open {} in the feature panel", d.column))
                    .clicked()
                {
                    clicked = Some(d.column.clone());
                }
                ui.label(row.role.as_str());
                mini_hist(ui, d, palette);
                ui.label(d.method.to_string())
                    .on_hover_text(d.method.definition());
                let s = ui.label(score_within(
                    d.score,
                    d.score_interval.filter(|_| !d.exact),
                    3,
                ));
                if let Some(note) = &d.note {
                    s.on_hover_text(note);
                } else if !d.exact {
                    s.on_hover_text("From the cell profiles: the score lies in this interval, which is on one side of the threshold");
                } else {
                    s.on_hover_text(format!(
                        "{:.2} times the threshold",
                        severity(d).max(0.0)
                    ));
                }
                ui.label(score(Some(d.threshold), 3));
                let st = &d.stats;
                ui.label(score(st.ks_pvalue.or(st.chi2_pvalue), 3));
                let missing = format!(
                    "{}, {}",
                    pct(st.null_rate_baseline),
                    pct(st.null_rate_current)
                );
                // Labels arrive late: their missing share is coverage, not an alert.
                if row.role != Role::Label
                    && (st.null_rate_current - st.null_rate_baseline).abs() >= null_rate_change
                {
                    ui.colored_label(palette.warning, missing);
                } else {
                    ui.label(missing);
                }
                ui.end_row();
            }
        });
    clicked
}

/// A slice being edited in the compare panel.
#[derive(Clone, Debug, Default)]
pub struct SliceDraft {
    pub slice: SliceDef,
    pub kind: PredicateKind,
    pub column: String,
    /// Comma-separated values, or the bounds of a range, or ISO times.
    pub first: String,
    pub second: String,
    pub error: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PredicateKind {
    #[default]
    Values,
    Time,
    Range,
}

impl PredicateKind {
    fn title(self) -> &'static str {
        match self {
            PredicateKind::Values => "column is one of",
            PredicateKind::Time => "time range",
            PredicateKind::Range => "number between",
        }
    }
}

impl SliceDraft {
    pub fn new(slice: SliceDef) -> Self {
        Self {
            slice,
            ..Self::default()
        }
    }

    /// The predicate described by the entry fields, or what is wrong with them.
    fn predicate(&self) -> Result<Predicate, String> {
        let column = self.column.trim().to_owned();
        match self.kind {
            PredicateKind::Values => {
                let values: Vec<String> = self
                    .first
                    .split(',')
                    .map(|v| v.trim().to_owned())
                    .filter(|v| !v.is_empty())
                    .collect();
                if column.is_empty() || values.is_empty() {
                    return Err(
                        "choose a column and type one or more values, separated by commas"
                            .to_owned(),
                    );
                }
                Ok(Predicate::OneOf { column, values })
            }
            PredicateKind::Time => {
                let parse = |t: &str, what: &str| {
                    crate::data::timestamps::parse_iso_micros(t.trim_end_matches(" UTC")).ok_or_else(|| {
                        format!("the {what} '{t}' is not a date or time (e.g. 2026-11-04 or 2026-11-04 09:00)")
                    })
                };
                let start = parse(&self.first, "start")?;
                let end = parse(&self.second, "end")?;
                if end <= start {
                    return Err("the end of the time range must come after its start".to_owned());
                }
                Ok(Predicate::Time {
                    start_micros: start,
                    end_micros: end,
                })
            }
            PredicateKind::Range => {
                let bound = |t: &str, what: &str| -> Result<Option<f64>, String> {
                    let t = t.trim();
                    if t.is_empty() {
                        return Ok(None);
                    }
                    t.parse::<f64>()
                        .map(Some)
                        .map_err(|_| format!("the {what} '{t}' is not a number"))
                };
                if column.is_empty() {
                    return Err("choose a numeric column".to_owned());
                }
                Ok(Predicate::Range {
                    column,
                    min: bound(&self.first, "minimum")?,
                    max: bound(&self.second, "maximum")?,
                })
            }
        }
    }
}

/// Edits one slice: its side, its predicates (removable) and a row to add one more.
pub fn slice_editor(
    ui: &mut egui::Ui,
    id: &str,
    draft: &mut SliceDraft,
    columns: &[String],
    palette: &Palette,
) {
    ui.horizontal(|ui| {
        ui.label("Rows of the");
        egui::ComboBox::from_id_salt((id, "side"))
            .selected_text(draft.slice.side.as_str())
            .show_ui(ui, |ui| {
                for side in [Side::Log, Side::Baseline] {
                    ui.selectable_value(&mut draft.slice.side, side, side.as_str());
                }
            })
            .response
            .on_hover_text(format!("Side of slice {id}"));
    });
    if draft.slice.predicates.is_empty() {
        ui.label(RichText::new("all rows (add conditions below)").italics());
    }
    let mut remove = None;
    for (i, p) in draft.slice.predicates.iter().enumerate() {
        ui.horizontal(|ui| {
            ui.label(RichText::new(p.describe()).color(palette.slice));
            if ui
                .small_button("x")
                .on_hover_text(format!("Remove condition {} of slice {id}", i + 1))
                .clicked()
            {
                remove = Some(i);
            }
        });
    }
    if let Some(i) = remove {
        draft.slice.predicates.remove(i);
    }
    ui.horizontal_wrapped(|ui| {
        egui::ComboBox::from_id_salt((id, "kind"))
            .selected_text(draft.kind.title())
            .show_ui(ui, |ui| {
                for k in [
                    PredicateKind::Values,
                    PredicateKind::Time,
                    PredicateKind::Range,
                ] {
                    ui.selectable_value(&mut draft.kind, k, k.title());
                }
            })
            .response
            .on_hover_text(format!("Kind of condition for slice {id}"));
        if draft.kind != PredicateKind::Time {
            egui::ComboBox::from_id_salt((id, "column"))
                .selected_text(if draft.column.is_empty() {
                    "column"
                } else {
                    draft.column.as_str()
                })
                .show_ui(ui, |ui| {
                    for c in columns {
                        ui.selectable_value(&mut draft.column, c.clone(), c);
                    }
                })
                .response
                .on_hover_text(format!("Column of the condition for slice {id}"));
        }
        let (first_hint, second_hint) = match draft.kind {
            PredicateKind::Values => ("values, comma-separated", ""),
            PredicateKind::Time => ("from, e.g. 2026-11-04 09:00", "to"),
            PredicateKind::Range => ("minimum (empty: none)", "maximum"),
        };
        ui.add(
            egui::TextEdit::singleline(&mut draft.first)
                .hint_text(first_hint)
                .desired_width(170.0),
        )
        .on_hover_text(format!("{first_hint} (slice {id})"));
        if draft.kind != PredicateKind::Values {
            ui.add(
                egui::TextEdit::singleline(&mut draft.second)
                    .hint_text(second_hint)
                    .desired_width(150.0),
            )
            .on_hover_text(format!("{second_hint} (slice {id})"));
        }
        if ui
            .button("Add condition")
            .on_hover_text(format!("Add this condition to slice {id}"))
            .clicked()
        {
            match draft.predicate() {
                Ok(p) => {
                    draft.slice = std::mem::take(&mut draft.slice).with(p);
                    draft.first.clear();
                    draft.second.clear();
                    draft.error = None;
                }
                Err(e) => draft.error = Some(e),
            }
        }
    });
    if let Some(e) = &draft.error {
        ui.colored_label(palette.error, e);
    }
}

/// An x-axis formatter naming whole-number positions by `labels` (bins, categories, windows),
/// at most `chars` characters each.
pub fn index_labels(
    labels: Vec<String>,
    chars: usize,
) -> impl Fn(egui_plot::GridMark, &std::ops::RangeInclusive<f64>) -> String {
    move |mark, _| {
        let i = mark.value.round();
        if (mark.value - i).abs() < 1e-6 && i >= 0.0 {
            labels
                .get(i as usize)
                .map(|l| l.chars().take(chars).collect())
                .unwrap_or_default()
        } else {
            String::new()
        }
    }
}

/// A drop-down of names; `Some(name)` when another one is picked.
pub fn pick(
    ui: &mut egui::Ui,
    id: &str,
    hover: &str,
    current: &str,
    options: &[&str],
) -> Option<String> {
    let mut chosen = current.to_owned();
    egui::ComboBox::from_id_salt(id)
        .selected_text(&chosen)
        .show_ui(ui, |ui| {
            for o in options {
                ui.selectable_value(&mut chosen, (*o).to_owned(), *o);
            }
        })
        .response
        .on_hover_text(hover);
    (chosen != current).then_some(chosen)
}
