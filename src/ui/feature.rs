//! Feature detail: one column of a comparison (the current slice against the baseline, or A
//! against B) — overlaid histograms on the bins the test actually used, the ECDFs with the
//! Kolmogorov–Smirnov distance marked where it occurs, side-by-side bars for categories with new
//! ones highlighted, every statistic with its definition, and the bin table.

use eframe::egui::{self, RichText};
use egui_plot::{Bar, BarChart, Legend, Line, Plot, VLine};

use super::{AppCommand, PanelCtx};
use crate::analysis::ColumnKind;
use crate::analysis::slice::{SliceColumn, SliceComparison};
use crate::export::findings::shares;
use crate::format::{group_thousands, human_count, pct, score, score_within};
use crate::session::DetailSource;

pub fn feature_ui(ui: &mut egui::Ui, p: &PanelCtx, commands: &mut Vec<AppCommand>) {
    let palette = p.palette;
    let columns: Vec<&str> = p
        .report
        .overall()
        .map(|f| f.drift.column.as_str())
        .collect();
    let Some(column) = p.view.feature.clone() else {
        ui.label("Choose a column in the overview or the segments heatmap.");
        return;
    };
    let source = p.view.detail;
    ui.horizontal(|ui| {
        ui.label("Column");
        if let Some(chosen) = super::slices::pick(ui, "feature", "Column shown", &column, &columns)
        {
            commands.push(AppCommand::SelectFeature(chosen));
        }
        ui.separator();
        if source == DetailSource::Compare {
            ui.label("Showing slice A against slice B of the Compare panel.");
            if ui.button("Show the current slice instead").clicked() {
                commands.push(AppCommand::SelectFeature(column.clone()));
            }
        } else if p.compared.is_some() && ui.button("Show A against B").clicked() {
            commands.push(AppCommand::ShowCompared(column.clone()));
        }
    });
    let (comparison, error) = match source {
        DetailSource::Slice => (p.focus.map(|f| &f.comparison), p.focus_error),
        DetailSource::Compare => (p.compared, p.compared_error),
    };
    let Some(cmp) = comparison else {
        match error {
            Some(e) => ui.colored_label(palette.error, e),
            None => ui.label("Measuring…"),
        };
        return;
    };
    if let Some(e) = error {
        // The new question failed: why, above the previous answer still shown.
        ui.colored_label(
            palette.error,
            format!("{e}; the previous result ({}) is shown", cmp.a.describe()),
        );
    } else if source == DetailSource::Slice && cmp.a != p.view.slice {
        ui.horizontal(|ui| {
            crate::ui::theme::spinner(ui);
            ui.label("Updating to the new slice; the previous one is shown meanwhile");
        });
    } else if source == DetailSource::Slice && p.focus_preview {
        ui.horizontal(|ui| {
            crate::ui::theme::spinner(ui);
            ui.label("From the cell profiles (a score between two values is not resolved yet); the exact numbers are being measured from the rows");
        });
    }
    let Some(col) = cmp.column(&column) else {
        if cmp.left_out.contains(&column) {
            ui.label(format!("{column} defines the slice ({}), so its drift within the slice says nothing: choose another column.", cmp.a.describe()));
        } else {
            ui.label(format!("{column} is not measured in this comparison."));
        }
        return;
    };
    // The whole log on the same bins, when the comparison is a log slice against the whole
    // baseline (then the bins are the whole baseline's, as in the overview).
    let whole_log = (source == DetailSource::Slice && !cmp.a.is_whole() && cmp.b.is_whole())
        .then(|| p.report.overall().find(|f| f.drift.column == column))
        .flatten()
        .filter(|f| f.drift.stats.bin_labels == col.drift.stats.bin_labels)
        .map(|f| &f.drift);

    let d = &col.drift;
    let verdict = match (&d.note, d.drifted) {
        (Some(note), _) => format!("no verdict: {note}"),
        (None, true) => "drifted".to_owned(),
        (None, false) => "no drift".to_owned(),
    };
    let colour = if d.drifted { palette.error } else { palette.ok };
    ui.label(
        RichText::new(format!(
            "{column}: {} {} (threshold {}), {verdict}",
            d.method,
            score_within(d.score, d.score_interval.filter(|_| !d.exact), 4),
            score(Some(d.threshold), 3)
        ))
        .heading()
        .color(colour),
    )
    .on_hover_text(d.method.definition());
    ui.horizontal(|ui| {
        ui.label(format!(
            "{} ({} rows) against {} ({} rows)",
            cmp.a.describe(),
            human_count(cmp.a_rows),
            cmp.b.describe(),
            human_count(cmp.b_rows)
        ));
        if ui
            .button("Pin")
            .on_hover_text(
                "Keep this column's verdict, numbers and distribution as a finding for the report",
            )
            .clicked()
        {
            commands.push(AppCommand::Pin(Box::new(
                crate::export::findings::feature_finding(d, &cmp.a, &cmp.b),
            )));
        }
    });
    ui.add_space(4.0);
    egui::ScrollArea::vertical().show(ui, |ui| {
        ui.columns(2, |cols| {
            histogram(&mut cols[0], cmp, col, whole_log, p);
            match (&col.ecdf, d.kind) {
                (Some(_), ColumnKind::Numeric) => ecdf(&mut cols[1], cmp, col, p),
                _ => {
                    cols[1].label(RichText::new("Categories").strong());
                    cols[1].label("Bars: share of each category in the reference and in the slice. New categories (never in the reference) are marked in the table below.");
                    if !d.stats.new_categories.is_empty() {
                        cols[1].colored_label(
                            palette.error,
                            format!("New categories: {}", d.stats.new_categories.join(", ")),
                        );
                    }
                    if !d.stats.missing_categories.is_empty() {
                        cols[1].colored_label(
                            palette.warning,
                            format!("Gone: {}", d.stats.missing_categories.join(", ")),
                        );
                    }
                }
            }
        });
        ui.add_space(8.0);
        ui.columns(2, |cols| {
            statistics(&mut cols[0], col);
            bins_table(&mut cols[1], col, whole_log, p);
        });
    });
}

fn histogram(
    ui: &mut egui::Ui,
    cmp: &SliceComparison,
    col: &SliceColumn,
    whole_log: Option<&crate::analysis::ColumnDrift>,
    p: &PanelCtx,
) {
    let palette = p.palette;
    let s = &col.drift.stats;
    ui.label(RichText::new("Distribution on the bins the test used").strong())
        .on_hover_text("Share of rows per bin (numbers: the reference's deciles unless set in Settings) or per category");
    let labels = s.bin_labels.clone();
    let b = shares(&s.baseline_counts);
    let a = shares(&s.current_counts);
    let w = whole_log.map(|d| shares(&d.stats.current_counts));
    let series = if w.is_some() { 3.0 } else { 2.0 };
    let width = 0.8 / series;
    let offset = |k: f64| -0.4 + width * (k + 0.5);
    let new: Vec<bool> = labels
        .iter()
        .map(|l| s.new_categories.contains(l))
        .collect();
    let bars = |values: &[f64], k: f64, name: &str, colour| {
        let bars: Vec<Bar> = values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let mut bar = Bar::new(i as f64 + offset(k), v * 100.0)
                    .width(width)
                    .name(labels.get(i).cloned().unwrap_or_default());
                if k > 0.0 && new.get(i).copied().unwrap_or(false) {
                    bar = bar.fill(palette.error);
                }
                bar
            })
            .collect();
        BarChart::new(name, bars).color(colour)
    };
    let reference_name = format!("reference: {}", cmp.b.describe());
    let slice_name = cmp.a.describe();
    let axis_labels = labels.clone();
    Plot::new(("histogram", &col.drift.column))
        .height(260.0)
        .legend(Legend::default())
        .allow_drag(false)
        .allow_scroll(false)
        .y_axis_label("% of rows")
        .x_axis_formatter(super::slices::index_labels(axis_labels, 24))
        .show(ui, |plot| {
            plot.bar_chart(bars(&b, 0.0, &reference_name, palette.baseline));
            if let Some(w) = &w {
                plot.bar_chart(bars(w, 1.0, "whole log", palette.current));
                plot.bar_chart(bars(&a, 2.0, &slice_name, palette.slice));
            } else {
                plot.bar_chart(bars(&a, 1.0, &slice_name, palette.current));
            }
        });
}

fn ecdf(ui: &mut egui::Ui, cmp: &SliceComparison, col: &SliceColumn, p: &PanelCtx) {
    let palette = p.palette;
    let Some((reference, current)) = &col.ecdf else {
        return;
    };
    let s = &col.drift.stats;
    ui.label(RichText::new("Cumulative distribution (ECDF)").strong())
        .on_hover_text("Share of rows at or below each value. The Kolmogorov–Smirnov statistic D is the largest vertical gap between the two curves, marked where it occurs.");
    Plot::new(("ecdf", &col.drift.column))
        .height(260.0)
        .legend(Legend::default())
        .allow_drag(false)
        .allow_scroll(false)
        .y_axis_label("share of rows at or below")
        .show(ui, |plot| {
            plot.line(
                Line::new(
                    format!("reference: {}", cmp.b.describe()),
                    step(&reference.points),
                )
                .color(palette.baseline)
                .width(2.0),
            );
            plot.line(
                Line::new(cmp.a.describe(), step(&current.points))
                    .color(palette.current)
                    .width(2.0),
            );
            if let (Some(x), Some(dist)) = (s.ks_location, s.ks_statistic) {
                plot.vline(
                    VLine::new(
                        format!(
                            "KS distance D = {} at {}",
                            score(Some(dist), 4),
                            score(Some(x), 4)
                        ),
                        x,
                    )
                    .color(palette.error)
                    .width(1.5),
                );
            }
        });
    if let (Some(x), Some(dist)) = (s.ks_location, s.ks_statistic) {
        ui.label(format!(
            "The curves are furthest apart at {}: D = {} (p = {}).",
            score(Some(x), 4),
            score(Some(dist), 4),
            score(s.ks_pvalue, 3)
        ));
    }
}

/// ECDF points drawn as steps.
fn step(points: &[[f64; 2]]) -> Vec<[f64; 2]> {
    let mut out = Vec::with_capacity(points.len() * 2);
    let mut last_y = 0.0;
    for p in points {
        out.push([p[0], last_y]);
        out.push(*p);
        last_y = p[1];
    }
    out
}

fn statistics(ui: &mut egui::Ui, col: &SliceColumn) {
    let d = &col.drift;
    let s = &d.stats;
    ui.label(RichText::new("Statistics").strong());
    let rows: Vec<(&str, String, &str)> = vec![
        (
            "rows (reference, slice)",
            format!(
                "{}, {}",
                group_thousands(d.n_baseline),
                group_thousands(d.n_current)
            ),
            "Rows on each side, missing values included",
        ),
        (
            "missing (reference, slice)",
            format!(
                "{}, {}",
                pct(s.null_rate_baseline),
                pct(s.null_rate_current)
            ),
            "Share of missing values on each side; measured apart from the distribution of present values",
        ),
        (
            "Kolmogorov–Smirnov D",
            score(s.ks_statistic, 4),
            "Largest gap between the two ECDFs (scipy's ks_2samp statistic)",
        ),
        (
            "Kolmogorov–Smirnov p",
            score(s.ks_pvalue, 3),
            "p-value of the two-sample KS test (exact up to 10,000 rows, as scipy's method='auto')",
        ),
        (
            "chi-square p",
            score(s.chi2_pvalue, 3),
            "p-value of the chi-square test of the category counts (scipy's chi2_contingency)",
        ),
        (
            "Jensen–Shannon distance",
            score(s.js_distance, 4),
            crate::analysis::Method::JensenShannon.definition(),
        ),
        (
            "PSI",
            score(s.psi, 4),
            crate::analysis::Method::Psi.definition(),
        ),
        (
            "Wasserstein",
            score(s.wasserstein, 4),
            "Wasserstein-1 distance: the area between the two CDFs, in the column's units",
        ),
        (
            "Wasserstein (normed)",
            score(s.wasserstein_normed, 4),
            crate::analysis::Method::WassersteinNormed.definition(),
        ),
        (
            "KL divergence, slice from reference",
            score(s.kl_current_baseline, 4),
            crate::analysis::Method::Kl.definition(),
        ),
        (
            "KL divergence, reference from slice",
            score(s.kl_baseline_current, 4),
            "Kullback–Leibler divergence of the reference from the slice",
        ),
        (
            "Hellinger",
            score(s.hellinger, 4),
            crate::analysis::Method::Hellinger.definition(),
        ),
        (
            "L-infinity",
            score(s.l_infinity, 4),
            crate::analysis::Method::LInfinity.definition(),
        ),
        (
            "outside the reference range",
            s.out_of_range_rate.map_or("–".to_owned(), pct),
            "Share of the slice's values below the reference's minimum or above its maximum",
        ),
        (
            "new categories",
            s.new_category_rate.map_or("–".to_owned(), pct),
            "Share of the slice's rows whose category never appears in the reference",
        ),
    ];
    egui::Grid::new(("stats", &d.column))
        .striped(true)
        .num_columns(2)
        .show(ui, |ui| {
            for (name, value, definition) in rows {
                ui.label(name).on_hover_text(definition);
                ui.label(value).on_hover_text(definition);
                ui.end_row();
            }
            if let (Some(b), Some(c)) = (&s.baseline_summary, &s.current_summary) {
                for (name, vb, vc) in [
                    ("mean", b.mean, c.mean),
                    ("min", b.min, c.min),
                    ("25 %", b.q25, c.q25),
                    ("median", b.median, c.median),
                    ("75 %", b.q75, c.q75),
                    ("max", b.max, c.max),
                ] {
                    ui.label(format!("{name} (reference, slice)"));
                    ui.label(format!("{}, {}", score(Some(vb), 4), score(Some(vc), 4)));
                    ui.end_row();
                }
            }
        });
}

fn bins_table(
    ui: &mut egui::Ui,
    col: &SliceColumn,
    whole_log: Option<&crate::analysis::ColumnDrift>,
    p: &PanelCtx,
) {
    let s = &col.drift.stats;
    let title = if s.bin_edges.is_some() {
        "Bins"
    } else {
        "Categories"
    };
    ui.label(RichText::new(title).strong()).on_hover_text(
        "The bins the test used: the reference's deciles unless bins or edges are set in Settings; values outside fall in the open end bins",
    );
    let b = shares(&s.baseline_counts);
    let a = shares(&s.current_counts);
    let w = whole_log.map(|d| {
        (
            shares(&d.stats.current_counts),
            d.stats.current_counts.clone(),
        )
    });
    egui::ScrollArea::vertical()
        .id_salt("bins")
        .max_height(360.0)
        .show(ui, |ui| {
            egui::Grid::new(("bins", &col.drift.column))
                .striped(true)
                .spacing([12.0, 2.0])
                .show(ui, |ui| {
                    ui.label(RichText::new(title.trim_end_matches('s')).strong());
                    ui.label(RichText::new("reference").strong());
                    if w.is_some() {
                        ui.label(RichText::new("whole log").strong());
                    }
                    ui.label(RichText::new("slice").strong());
                    ui.end_row();
                    for (i, label) in s.bin_labels.iter().enumerate() {
                        let is_new = s.new_categories.contains(label);
                        if is_new {
                            ui.colored_label(p.palette.error, format!("{label} (new)"));
                        } else {
                            ui.label(RichText::new(label).monospace());
                        }
                        let cell = |count: u64, share: f64| {
                            format!("{} ({})", group_thousands(count as usize), pct(share))
                        };
                        ui.label(cell(
                            s.baseline_counts.get(i).copied().unwrap_or(0),
                            b.get(i).copied().unwrap_or(0.0),
                        ));
                        if let Some((ws, wc)) = &w {
                            ui.label(cell(
                                wc.get(i).copied().unwrap_or(0),
                                ws.get(i).copied().unwrap_or(0.0),
                            ));
                        }
                        ui.label(cell(
                            s.current_counts.get(i).copied().unwrap_or(0),
                            a.get(i).copied().unwrap_or(0.0),
                        ));
                        ui.end_row();
                    }
                });
        });
    if let Some(edges) = &s.bin_edges {
        let text: Vec<String> = edges.iter().map(|e| score(Some(*e), 6)).collect();
        ui.label(format!("Edges: {}", text.join(", ")))
            .on_hover_text("Inner bin edges; set your own per column in Settings");
    }
}
