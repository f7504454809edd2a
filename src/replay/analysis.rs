//! What a replay says: logged against replayed (skew — does the model still give what was
//! logged?) and candidate against production on the same rows (shadow), overall, per segment value,
//! per model version and per time window, with the most divergent rows and their inputs.

use std::collections::BTreeMap;

use polars::prelude::DataFrame;
use serde::{Deserialize, Serialize};

use super::run::Outputs;
use crate::analysis::columns::{self, Dictionary, Groups};
use crate::analysis::performance::{self, Metrics};
use crate::data::timestamps::format_micros;
use crate::stats::{sorted, summary::quantile_sorted};

/// Absolute differences, summarised.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    pub rows: usize,
    pub mean_abs: f64,
    pub p50_abs: f64,
    pub p95_abs: f64,
    pub p99_abs: f64,
    pub max_abs: f64,
}

fn spread(diffs: &[f64]) -> Spread {
    let abs: Vec<f64> = sorted(
        &diffs
            .iter()
            .map(|d| d.abs())
            .filter(|d| !d.is_nan())
            .collect::<Vec<_>>(),
    );
    let q = |p| quantile_sorted(&abs, p).unwrap_or(0.0);
    Spread {
        rows: abs.len(),
        mean_abs: if abs.is_empty() {
            0.0
        } else {
            abs.iter().sum::<f64>() / abs.len() as f64
        },
        p50_abs: q(0.5),
        p95_abs: q(0.95),
        p99_abs: q(0.99),
        max_abs: abs.last().copied().unwrap_or(0.0),
    }
}

/// One group of rows (a segment value, a model version, a window).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupDiff {
    /// "region = us-west", "2026-11-06 00:00:00 UTC".
    pub group: String,
    pub rows: usize,
    /// Share of rows whose labels differ (logged vs replayed, or production vs candidate).
    pub label_disagreement: Option<f64>,
    /// Share of rows whose scores differ by more than the tolerance.
    pub beyond_tolerance: f64,
    pub mean_abs_diff: f64,
}

/// A row where the two answers differ most, with its inputs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DivergentRow {
    /// Row number in the input file (0-based).
    pub row: usize,
    pub first: f64,
    pub second: f64,
    pub diff: f64,
    pub inputs: BTreeMap<String, String>,
}

/// Two answers per row compared: logged vs replayed, or production vs candidate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// What is compared: "logged `score` against replayed", "candidate against production".
    pub what: String,
    pub rows: usize,
    pub tolerance: f64,
    pub label_disagreement: Option<f64>,
    pub beyond_tolerance: f64,
    pub beyond_tolerance_rows: usize,
    pub diff: Spread,
    pub by_group: Vec<GroupDiff>,
    pub by_window: Vec<GroupDiff>,
    /// The first window with more than 1 % of its rows beyond the tolerance.
    pub first_window_beyond: Option<String>,
    pub most_divergent: Vec<DivergentRow>,
}

/// Where the rows come from, for grouping and for showing inputs.
pub struct Context<'a> {
    pub frame: &'a DataFrame,
    /// Rows of the frame that were replayed, in order.
    pub rows: &'a [usize],
    /// Segment and model-version columns to group by.
    pub groups: Vec<String>,
    /// Timestamp column and window length (µs), for per-window groups.
    pub time: Option<(String, i64)>,
    /// Columns shown with the most divergent rows.
    pub input_columns: Vec<String>,
}

const DIVERGENT: usize = 20;

fn group_diff(
    name: String,
    idx: &[usize],
    diffs: &[f64],
    disagree: Option<&[bool]>,
    tolerance: f64,
) -> GroupDiff {
    let n = idx.len().max(1) as f64;
    let beyond = idx
        .iter()
        .filter(|&&i| diffs[i].abs() > tolerance || diffs[i].is_nan())
        .count();
    GroupDiff {
        group: name,
        rows: idx.len(),
        label_disagreement: disagree.map(|d| idx.iter().filter(|&&i| d[i]).count() as f64 / n),
        beyond_tolerance: beyond as f64 / n,
        mean_abs_diff: idx
            .iter()
            .map(|&i| diffs[i].abs())
            .filter(|d| !d.is_nan())
            .sum::<f64>()
            / n,
    }
}

/// Compares two answers per replayed row. `first`/`second` are scores; `labels` the two label
/// lists, where both sides have labels.
pub fn compare(
    what: String,
    ctx: &Context,
    first: &[f64],
    second: &[f64],
    labels: Option<(&[Option<String>], &[String])>,
    tolerance: f64,
) -> Comparison {
    let n = first.len();
    let diffs: Vec<f64> = first.iter().zip(second).map(|(a, b)| b - a).collect();
    let disagree: Option<Vec<bool>> = labels.map(|(a, b)| {
        a.iter()
            .zip(b)
            .map(|(x, y)| x.as_deref().is_some_and(|x| !same_label(x, y)))
            .collect()
    });
    let beyond_rows = diffs
        .iter()
        .filter(|d| d.abs() > tolerance || d.is_nan())
        .count();
    let mut by_group = Vec::new();
    for col in &ctx.groups {
        let Ok(g) = Groups::of(ctx.frame, col) else {
            continue;
        };
        let mut idx: Vec<Vec<usize>> = vec![Vec::new(); g.values.len()];
        for (i, &r) in ctx.rows.iter().enumerate() {
            if let Some(v) = g.row_group.get(r) {
                idx[v as usize].push(i);
            }
        }
        for (v, rows) in g.values.iter().zip(&idx) {
            if !rows.is_empty() {
                by_group.push(group_diff(
                    format!("{col} = {v}"),
                    rows,
                    &diffs,
                    disagree.as_deref(),
                    tolerance,
                ));
            }
        }
    }
    by_group.sort_by(|a, b| b.beyond_tolerance.total_cmp(&a.beyond_tolerance));
    let mut by_window = Vec::new();
    if let Some((ts, period)) = &ctx.time
        && let Ok(micros) = columns::numeric_values(ctx.frame, ts)
    {
        let mut windows: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
        for (i, &r) in ctx.rows.iter().enumerate() {
            if let Some(m) = micros[r] {
                windows
                    .entry((m as i64).div_euclid(*period))
                    .or_default()
                    .push(i);
            }
        }
        for (w, rows) in windows {
            by_window.push(group_diff(
                format_micros(w * period),
                &rows,
                &diffs,
                disagree.as_deref(),
                tolerance,
            ));
        }
    }
    let first_window_beyond = by_window
        .iter()
        .find(|w| w.beyond_tolerance > 0.01)
        .map(|w| w.group.clone());
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| diffs[b].abs().total_cmp(&diffs[a].abs()));
    let texts: Vec<(String, columns::Codes, Dictionary)> = ctx
        .input_columns
        .iter()
        .filter_map(|c| {
            let mut d = Dictionary::default();
            let codes = columns::label_codes(ctx.frame, c, &mut d).ok()?;
            Some((c.clone(), codes, d))
        })
        .collect();
    let most_divergent = order
        .into_iter()
        .take(DIVERGENT)
        .filter(|&i| diffs[i].abs() > tolerance || diffs[i].is_nan())
        .map(|i| DivergentRow {
            row: ctx.rows[i],
            first: first[i],
            second: second[i],
            diff: diffs[i],
            inputs: texts
                .iter()
                .map(|(c, codes, d)| {
                    (
                        c.clone(),
                        codes.get(ctx.rows[i]).map_or_else(
                            || "(missing)".to_owned(),
                            |k| d.labels[k as usize].clone(),
                        ),
                    )
                })
                .collect(),
        })
        .collect();
    Comparison {
        what,
        rows: n,
        tolerance,
        label_disagreement: disagree
            .as_ref()
            .map(|d| d.iter().filter(|x| **x).count() as f64 / n.max(1) as f64),
        beyond_tolerance: beyond_rows as f64 / n.max(1) as f64,
        beyond_tolerance_rows: beyond_rows,
        diff: spread(&diffs),
        by_group,
        by_window,
        first_window_beyond,
        most_divergent,
    }
}

/// `1`, `1.0`, `True` and `true` are the same label.
fn same_label(a: &str, b: &str) -> bool {
    let norm = |s: &str| match s.trim().to_lowercase().as_str() {
        "true" => "1".to_owned(),
        "false" => "0".to_owned(),
        t => t
            .parse::<f64>()
            .map_or_else(|_| t.to_owned(), |v| v.to_string()),
    };
    norm(a) == norm(b)
}

/// Performance of the replayed answers where the rows have labels.
pub fn performance(labels: &[Option<String>], out: &Outputs) -> Option<Metrics> {
    if out.regression || labels.iter().all(Option::is_none) {
        return None;
    }
    let preds: Vec<Option<String>> = out.labels.iter().map(|l| Some(l.clone())).collect();
    let scores: Vec<Option<f64>> = out.scores.iter().map(|s| Some(*s)).collect();
    let positive = (out.classes.len() == 2).then(|| out.classes[1].clone());
    // Labels in the log may read `1.0` where the model says `1`.
    let labels: Vec<Option<String>> = labels
        .iter()
        .map(|l| {
            l.as_ref().map(|l| {
                out.classes
                    .iter()
                    .find(|c| same_label(c, l))
                    .cloned()
                    .unwrap_or_else(|| l.clone())
            })
        })
        .collect();
    Some(performance::classification_metrics(
        &labels,
        &preds,
        Some(&scores),
        positive.as_deref(),
    ))
}
