//! Time: the selected column's drift score per window — for the current slice and for the largest
//! values of the segment column — with the fixed and the data-driven thresholds, the missing
//! share, the score's distribution, performance and latency over the same windows. Dragging across
//! any chart (brushing) makes that time range part of the current slice.

use eframe::egui::{self, RichText};
use egui_plot::{HLine, Legend, Line, LineStyle, Plot, PlotPoints, Span};

use super::{AppCommand, PanelCtx};
use crate::analysis::Predicate;
use crate::analysis::windows::Window;
use crate::data::timestamps::{format_micros, parse_iso_micros};
use crate::format::score;

/// A brush being dragged, and the typed range.
#[derive(Clone, Debug, Default)]
pub struct TimeDraft {
    /// Plot x (hours since the epoch) where the drag started and where it is now.
    pub brush: Option<(f64, f64)>,
    pub from: String,
    pub to: String,
    pub error: Option<String>,
}

const HOUR_MICROS: f64 = 3.6e9;

fn hours(micros: i64) -> f64 {
    micros as f64 / HOUR_MICROS
}

/// The x of each window's middle: hours since the epoch for period windows, else the index.
fn window_x(w: &Window) -> f64 {
    match (w.start_micros, w.end_micros) {
        (Some(s), Some(e)) => (hours(s) + hours(e)) / 2.0,
        _ => w.index as f64,
    }
}

fn format_hours(x: f64) -> String {
    let micros = (x * HOUR_MICROS) as i64;
    chrono::DateTime::from_timestamp_micros(micros)
        .map(|d| d.format("%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// Grid lines on window boundaries (fewer when zoomed out), so that every label is a boundary.
fn window_marks(input: egui_plot::GridInput, period: f64) -> Vec<egui_plot::GridMark> {
    let (lo, hi) = input.bounds;
    if period <= 0.0 || hi <= lo {
        return Vec::new();
    }
    let mut step = period;
    while (hi - lo) / step > 12.0 {
        step *= 2.0;
    }
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last)
        .map(|k| egui_plot::GridMark {
            value: k as f64 * step,
            step_size: step,
        })
        .collect()
}

/// The windows a brushed x range touches, as a time range on window boundaries.
fn snap(windows: &[Window], x0: f64, x1: f64) -> Option<(i64, i64)> {
    let (lo, hi) = (x0.min(x1), x0.max(x1));
    let touched: Vec<(i64, i64)> = windows
        .iter()
        .filter_map(|w| Some((w.start_micros?, w.end_micros?)))
        .filter(|(s, e)| hours(*e) > lo && hours(*s) < hi)
        .collect();
    Some((touched.first()?.0, touched.last()?.1))
}

pub fn time_ui(
    ui: &mut egui::Ui,
    p: &PanelCtx,
    draft: &mut TimeDraft,
    commands: &mut Vec<AppCommand>,
) {
    let palette = p.palette;
    let Some(spec) = &p.report.params.window else {
        ui.label(
            "Time windows are off: choose a window size (e.g. 1d, 6h or 10000rows) in Settings.",
        );
        return;
    };
    let columns: Vec<&str> = p
        .report
        .overall()
        .map(|f| f.drift.column.as_str())
        .collect();
    let column = p.view.feature.clone().unwrap_or_default();
    ui.horizontal_wrapped(|ui| {
        ui.label("Column");
        if let Some(chosen) =
            super::slices::pick(ui, "time column", "Column over time", &column, &columns)
        {
            commands.push(AppCommand::SelectFeature(chosen));
        }
        ui.separator();
        ui.label("Lines per");
        let segments: Vec<&str> = p
            .report
            .segments
            .iter()
            .map(|m| m.column.as_str())
            .collect();
        let current = p.view.segment.clone().unwrap_or_default();
        if let Some(chosen) = super::slices::pick(
            ui,
            "time segment",
            "Segment column of the lines",
            &current,
            &segments,
        ) {
            commands.push(AppCommand::SetSegment(chosen));
        }
        ui.separator();
        ui.label(format!(
            "windows: {}",
            match spec {
                crate::analysis::windows::WindowSpec::Period { label, .. } => label.clone(),
                crate::analysis::windows::WindowSpec::Rows(n) => format!("{n} rows"),
            }
        ));
    });
    ui.horizontal_wrapped(|ui| {
        ui.label("Time range of the slice");
        ui.add(
            egui::TextEdit::singleline(&mut draft.from)
                .hint_text("from, e.g. 2026-11-04 09:00")
                .desired_width(170.0),
        )
        .on_hover_text("Start of the time range");
        ui.add(
            egui::TextEdit::singleline(&mut draft.to)
                .hint_text("to")
                .desired_width(170.0),
        )
        .on_hover_text("End of the time range");
        if ui.button("Apply range").clicked() {
            let parse = |t: &str| parse_iso_micros(t.trim().trim_end_matches(" UTC"));
            match (parse(&draft.from), parse(&draft.to)) {
                (Some(s), Some(e)) if e > s => {
                    draft.error = None;
                    commands.push(AppCommand::Narrow(Predicate::Time {
                        start_micros: s,
                        end_micros: e,
                    }));
                }
                (Some(_), Some(_)) => {
                    draft.error = Some("the end must come after the start".to_owned())
                }
                _ => {
                    draft.error = Some(
                        "type dates or times such as 2026-11-04 or 2026-11-04 09:00 (UTC)"
                            .to_owned(),
                    )
                }
            }
        }
        ui.label(RichText::new("or drag across a chart").italics());
    });
    if let Some(e) = &draft.error {
        ui.colored_label(palette.error, e);
    }
    let Some(t) = p.timeline else {
        match p.timeline_error {
            Some(e) => ui.colored_label(palette.error, e),
            None => ui.label("Measuring over time…"),
        };
        return;
    };
    if let Some(e) = p.timeline_error {
        ui.colored_label(palette.error, e);
    } else if t.column != column || t.within != p.view.slice.without_time() {
        ui.horizontal(|ui| {
            crate::ui::theme::spinner(ui);
            ui.label("Updating; the previous charts are shown meanwhile");
        });
    } else if p.timeline_preview {
        ui.horizontal(|ui| {
            crate::ui::theme::spinner(ui);
            ui.label("Drift per window from the cell profiles; the score and latency bands are being measured from the rows");
        });
    }
    // The report's windows bring the thresholds and "since when"; its performance the metrics
    // per window. Until they land the charts show what the slice's timeline has.
    use crate::analysis::ReportPart;
    super::overview::measuring(ui, p.report, ReportPart::Windows);
    super::overview::measuring(ui, p.report, ReportPart::Performance);
    let series = p
        .report
        .windows
        .as_ref()
        .and_then(|w| w.series.iter().find(|s| s.column == t.column));
    if ui
        .button("Pin")
        .on_hover_text("Keep this column's drift over time as a finding for the report")
        .clicked()
    {
        commands.push(AppCommand::Pin(Box::new(
            crate::export::findings::timeline_finding(t, series.map(|s| s.threshold)),
        )));
    }
    let selected = p.view.slice.time().map(|(s, e)| (hours(s), hours(e)));
    let periods = t.windows.iter().all(|w| w.start_micros.is_some());
    let period_hours = t
        .windows
        .first()
        .and_then(|w| Some(hours(w.end_micros?) - hours(w.start_micros?)))
        .unwrap_or(24.0);
    let mut brushed = None;
    egui::ScrollArea::vertical().show(ui, |ui| {
        let chart = |ui: &mut egui::Ui, id: &str, title: &str, height: f32, brush: &mut TimeDraft, add: &dyn Fn(&mut egui_plot::PlotUi)| -> Option<(f64, f64)> {
            ui.label(RichText::new(title).strong());
            let mut plot = Plot::new(id)
                .height(height)
                .legend(
                    Legend::default()
                        .text_style(egui::TextStyle::Small)
                        .background_alpha(0.6)
                        .follow_insertion_order(true),
                )
                .allow_drag(false)
                .allow_boxed_zoom(false)
                .allow_scroll(false)
                .link_axis(egui::Id::unique("time axis"), [true, false])
                .link_cursor(egui::Id::unique("time cursor"), [true, false]);
            if periods {
                plot = plot
                    .x_axis_formatter(|mark, _| format_hours(mark.value))
                    .x_grid_spacer(move |input| window_marks(input, period_hours));
            }
            let live = brush.brush;
            let shown = plot.show(ui, |plot| {
                add(plot);
                if let Some((s, e)) = selected {
                    plot.span(Span::new("slice", s..=e).fill(palette.brush));
                }
                if let Some((a, b)) = live {
                    plot.span(Span::new("brush", a.min(b)..=a.max(b)).fill(palette.brush));
                }
            });
            let r = &shown.response;
            if !periods {
                return None;
            }
            let x = r
                .interact_pointer_pos()
                .map(|pos| shown.transform.value_from_position(pos).x);
            if r.drag_started()
                && let Some(x) = x
            {
                brush.brush = Some((x, x));
            } else if r.dragged()
                && let (Some((a, _)), Some(x)) = (brush.brush, x)
            {
                brush.brush = Some((a, x));
            }
            if r.drag_stopped()
                && let Some((a, b)) = brush.brush.take()
                && (a - b).abs() > 1e-9
            {
                return Some((a, b));
            }
            None
        };
        let lines = |plot: &mut egui_plot::PlotUi, values: &dyn Fn(&crate::analysis::slice::TimelineLine) -> Vec<Option<f64>>| {
            for (i, line) in t.lines.iter().enumerate() {
                let points: Vec<[f64; 2]> = t
                    .windows
                    .iter()
                    .zip(values(line))
                    .filter_map(|(w, v)| Some([window_x(w), v?]))
                    .collect();
                let colour = if i == 0 { palette.current } else { palette.series(i) };
                plot.line(
                    Line::new(line.label.clone(), PlotPoints::from(points))
                        .color(colour)
                        .width(if i == 0 { 2.5 } else { 1.2 }),
                );
            }
        };
        let title = format!(
            "{} drift per window ({}{}), against the whole baseline",
            t.column,
            t.method.as_str(),
            if t.lower_is_drift { ": drift below the threshold" } else { "" }
        );
        let add_scores = |plot: &mut egui_plot::PlotUi| {
            lines(plot, &|l| l.scores.clone());
            if let Some(s) = series {
                plot.hline(HLine::new(format!("threshold {}", score(Some(s.threshold), 3)), s.threshold).color(palette.error).style(LineStyle::dashed_loose()));
                if let Some(d) = s.data_threshold {
                    plot.hline(HLine::new(format!("data-driven threshold {} (baseline chunks, mean ± 3 sd)", score(Some(d), 3)), d).color(palette.warning).style(LineStyle::dotted_loose()));
                }
            }
        };
        brushed = brushed.or(chart(ui, "drift over time", &title, 280.0, draft, &add_scores));
        if let Some(s) = series
            && let Some(first) = s.first_drift_window.and_then(|i| t.windows.get(i))
        {
            ui.label(format!(
                "Whole log: first over the threshold in the window from {}",
                first.start.clone().unwrap_or_else(|| format!("#{}", first.index))
            ));
        }
        let add_nulls = |plot: &mut egui_plot::PlotUi| {
            lines(plot, &|l| l.null_rates.iter().map(|v| v.map(|v| v * 100.0)).collect());
        };
        brushed = brushed.or(chart(ui, "missing", &format!("{} missing, % of rows per window", t.column), 160.0, draft, &add_nulls));
        if !t.score_quantiles.is_empty() {
            let add = |plot: &mut egui_plot::PlotUi| {
                for (k, name) in ["10th percentile", "median", "90th percentile"].iter().enumerate() {
                    let pts: Vec<[f64; 2]> = t
                        .windows
                        .iter()
                        .zip(&t.score_quantiles)
                        .filter_map(|(w, q)| Some([window_x(w), q.as_ref()?[k]]))
                        .collect();
                    plot.line(Line::new(*name, PlotPoints::from(pts)).color(palette.series(k)));
                }
            };
            let title = format!("{} distribution per window (all rows of the slice)", t.score_column.clone().unwrap_or_default());
            brushed = brushed.or(chart(ui, "score over time", &title, 160.0, draft, &add));
        }
        if let Some(perf) = &p.report.performance {
            let per_window: Vec<(usize, &crate::analysis::performance::Metrics)> = perf
                .slices
                .iter()
                .filter(|s| s.segment.is_none())
                .filter_map(|s| Some((s.window?, &s.metrics)))
                .collect();
            if !per_window.is_empty() {
                let add = |plot: &mut egui_plot::PlotUi| {
                    type Metric = fn(&crate::analysis::performance::Metrics) -> Option<f64>;
                    let metrics: [(&str, Metric); 4] = [
                        ("accuracy", |m| m.accuracy),
                        ("recall", |m| m.recall),
                        ("ROC AUC", |m| m.roc_auc),
                        ("R²", |m| m.r2),
                    ];
                    for (k, (name, get)) in metrics.iter().enumerate() {
                        let pts: Vec<[f64; 2]> = per_window
                            .iter()
                            .filter_map(|(w, m)| Some([window_x(t.windows.get(*w)?), get(m)?]))
                            .collect();
                        if !pts.is_empty() {
                            plot.line(Line::new(*name, PlotPoints::from(pts)).color(palette.series(k)));
                        }
                    }
                };
                brushed = brushed.or(chart(ui, "performance over time", "Performance per window (whole log, labelled rows)", 160.0, draft, &add));
            }
        }
        if !t.latency.is_empty() {
            let add = |plot: &mut egui_plot::PlotUi| {
                for (k, name) in ["p50", "p95"].iter().enumerate() {
                    let pts: Vec<[f64; 2]> = t
                        .windows
                        .iter()
                        .zip(&t.latency)
                        .filter_map(|(w, q)| Some([window_x(w), q.as_ref()?[k]]))
                        .collect();
                    plot.line(Line::new(*name, PlotPoints::from(pts)).color(palette.series(k)));
                }
            };
            let title = format!("{} per window (all rows of the slice)", t.latency_column.clone().unwrap_or_default());
            brushed = brushed.or(chart(ui, "latency over time", &title, 160.0, draft, &add));
        }
    });
    if let Some((a, b)) = brushed
        && let Some((start, end)) = snap(&t.windows, a, b)
    {
        draft.from = format_micros(start);
        draft.to = format_micros(end);
        commands.push(AppCommand::Narrow(Predicate::Time {
            start_micros: start,
            end_micros: end,
        }));
    }
}
