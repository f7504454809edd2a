//! Slice discovery: the conjunctions of up to three conditions — segment values (segment
//! columns and the model version, every value the cells hold) and, for error rates, a numeric
//! range of a feature on the baseline's deciles or a categorical feature's value — that explain
//! most of a change. Found on the
//! cell profiles — every segment candidate is a union of cells, measured without touching a
//! row — but for error rates, which are tallied from the rows once per tuple and decile.
//!
//! *Objectives.* A column's missing share rising (every analysed column but the label, whose
//! missing share is the labels' delay), the mean score rising or falling, the error rate rising
//! (labelled rows, predictions and labels on both sides: `errors/`); a column's drift
//! (inside the slice against the baseline's same slice, and `share_explained` the part of the
//! whole log's drift score that goes without the slice). For a rate, a log cell's *excess* is
//! what it has beyond the baseline's rate in the same segment values (the whole baseline's where
//! it has too few rows of them) — `missing − rows · r_B`, or `Σ score − n · μ_B` — so that a
//! segment that always had a higher rate is no change, and the excesses of disjoint slices add
//! up; a slice's
//! `share_explained` is its excess over the log's total excess in that direction (the positive
//! excesses of the finest cells added up, so that a rise in one segment is not hidden by a fall in
//! another: a change too small to show in the whole log still has its share).
//!
//! *Search.* Level-wise as SliceLine (Sagadeeva & Boehm, SIGMOD 2021): single conditions, then
//! each kept slice joined with a condition on another column, to three. A slice needs
//! [`MIN_ROWS`] rows (and 0.1 % of the log); its children are not searched when even all of its
//! positive excess — the upper bound of any child's — is under [`MIN_SHARE`] of the total. Every
//! evaluated slice gets a p-value (inside against outside: a two-proportion z-test, or Welch's z
//! on the means from the cells' moments), and Benjamini–Hochberg q-values over all of them.
//! Kept: `q ≤ 0.05` and at least [`MIN_SHARE`] of the change; a child is dropped when it explains
//! less than 90 % of what its parent does (it says no more), and a parent when a child explains
//! at least 90 % of it (the child is the sharper description). Each result's onset (`from`) is
//! the largest rise of its per-window series ([`crate::analysis::onsets::changes`]).
//!
//! Drift is searched to two conditions, each column's best slice kept. Feature conditions for
//! the cells' objectives (missing shares, means, drift), and the objectives that read models or
//! latency (replay skew, candidate disagreement, p95 latency), are not searched here yet.

mod drift;
mod errors;
mod rates;

use serde::{Deserialize, Serialize};

pub use errors::{MAX_RANGED, RANGE_BINS};
pub use rates::MIN_STANDARDIZED;

use super::onsets;
use super::profiles::{CellIndex, CellProfiles, ColumnProfile};
use super::report::DriftReport;
use super::workspace::{Level, LogSource, Workspace};
use crate::data::Inputs;
use crate::jobs::JobState;

/// A slice has at least this many log rows.
pub const MIN_ROWS: u64 = 30;
/// A slice explains at least this share of its objective's change.
pub const MIN_SHARE: f64 = 0.05;
/// At most this many conditions.
pub const MAX_CONDITIONS: usize = 3;
/// At most this many values a segment column offers (the largest).
pub const MAX_VALUES: usize = 50;
/// At most this many slices evaluated, all objectives together.
pub const MAX_EVALUATED: usize = 50_000;
/// At most this many results an objective.
pub const PER_OBJECTIVE: usize = 3;
/// At most this many results in all.
pub const MAX_RESULTS: usize = 20;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Condition {
    pub column: String,
    /// `=` a segment value; `<`, `>=` or `between` a numeric range (`between`'s value
    /// `[lo, hi)`; missing values are in no range).
    pub op: String,
    pub value: String,
}

/// Where a discovery's evidence shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Evidence<'a> {
    /// An analysed column's distribution or rate (the Feature panel).
    Column(&'a str),
    /// The segments' traffic (the Segments panel).
    Traffic,
    /// The model's performance over time (the Time panel).
    Performance,
}

/// A slice that explains a change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Discovery {
    /// `drift` (a column's distribution; `effect_inside` and `effect_outside` are its drift
    /// scores inside the slice against the baseline's same slice and in the rest of the log
    /// against the whole baseline, `baseline` the method's threshold), `missing_share_increase`,
    /// `mean_increase`, `mean_decrease`, `error_rate_increase` (`column` the label; `rows` the
    /// labelled rows) or `absent_from_baseline` (traffic from a segment value the baseline
    /// never had).
    pub objective: String,
    pub column: String,
    pub conditions: Vec<Condition>,
    /// The start of the window from which the slice's series rose (`None`: no onset found); an
    /// error rate's slice may hold from there only (its rows and effects then count from it).
    pub from: Option<String>,
    pub rows: u64,
    pub share_explained: f64,
    /// The objective's rate (missing share, mean, error rate) inside the slice and in the rest
    /// of the log (an error rate's: of the rows its round searched, those no result before it
    /// explained).
    pub effect_inside: f64,
    /// `None`: the slice is the whole log.
    pub effect_outside: Option<f64>,
    /// The baseline's rate for the slice (its segment values' own, weighted by the slice's log
    /// rows); a drift's threshold.
    pub baseline: f64,
    pub q_value: f64,
}

impl Discovery {
    /// "region = us-west and device = mobile".
    pub fn describe_conditions(&self) -> String {
        self.conditions
            .iter()
            .map(|c| format!("{} {} {}", c.column, c.op, c.value))
            .collect::<Vec<_>>()
            .join(" and ")
    }

    /// The slice as the app and the investigation file hold it (a range's upper end, open
    /// here, as the largest number below it: the slices' ranges are closed).
    pub fn slice(&self) -> crate::analysis::SliceDef {
        use crate::analysis::Predicate;
        let mut slice = crate::analysis::SliceDef::default();
        let number = |s: &str| s.trim().parse::<f64>().ok();
        for c in &self.conditions {
            let range = |min: Option<f64>, max: Option<f64>| Predicate::Range {
                column: c.column.clone(),
                min,
                max: max.map(f64::next_down),
            };
            let predicate = match c.op.as_str() {
                "<" => range(None, number(&c.value)),
                ">=" => range(number(&c.value), None),
                "between" => {
                    let inner = c.value.trim_start_matches('[').trim_end_matches(')');
                    let (lo, hi) = inner.split_once(',').unwrap_or((inner, ""));
                    range(number(lo), number(hi))
                }
                _ => Predicate::OneOf {
                    column: c.column.clone(),
                    values: vec![c.value.clone()],
                },
            };
            slice = slice.with(predicate);
        }
        slice
    }

    /// Where its evidence shows.
    pub fn evidence(&self) -> Evidence<'_> {
        match self.objective.as_str() {
            "absent_from_baseline" => Evidence::Traffic,
            errors::NAME => Evidence::Performance,
            _ => Evidence::Column(&self.column),
        }
    }

    /// The analysed column whose evidence shows it (`None`: traffic, performance).
    pub fn evidence_column(&self) -> Option<&str> {
        match self.evidence() {
            Evidence::Column(c) => Some(c),
            Evidence::Traffic | Evidence::Performance => None,
        }
    }

    /// In words, for the Overview and the summaries.
    pub fn describe(&self) -> String {
        let (what, fmt): (String, fn(f64) -> String) = match self.objective.as_str() {
            "missing_share_increase" => (format!("{} missing", self.column), crate::format::pct),
            errors::NAME => ("error rate higher".to_owned(), crate::format::pct),
            "drift" => {
                return format!(
                    "{} drifts where {}{}: score {:.3} inside (threshold {:.3}), {:.3} in the rest of the log; {} of its drift, {} rows",
                    self.column,
                    self.describe_conditions(),
                    self.from
                        .as_ref()
                        .map(|f| format!(" from {f}"))
                        .unwrap_or_default(),
                    self.effect_inside,
                    self.baseline,
                    self.effect_outside.unwrap_or(f64::NAN),
                    crate::format::pct(self.share_explained),
                    crate::format::group_thousands(self.rows as usize)
                );
            }
            "absent_from_baseline" => {
                return format!(
                    "traffic the baseline never had: {}{} sends {} of the log ({} rows)",
                    self.describe_conditions(),
                    self.from
                        .as_ref()
                        .map(|f| format!(" from {f}"))
                        .unwrap_or_default(),
                    crate::format::pct(self.effect_inside),
                    crate::format::group_thousands(self.rows as usize)
                );
            }
            "mean_increase" => (format!("{} higher", self.column), |x| format!("{x:.3}")),
            _ => (format!("{} lower", self.column), |x| format!("{x:.3}")),
        };
        let from = self
            .from
            .as_ref()
            .map(|f| format!(" from {f}"))
            .unwrap_or_default();
        format!(
            "{what} where {}{from}: {} inside against {} outside (baseline {}), {} of the change, {} {}",
            self.describe_conditions(),
            fmt(self.effect_inside),
            self.effect_outside.map_or_else(|| "–".to_owned(), fmt),
            fmt(self.baseline),
            crate::format::pct(self.share_explained),
            crate::format::group_thousands(self.rows as usize),
            if self.objective == errors::NAME {
                "labelled rows"
            } else {
                "rows"
            }
        )
    }
}

/// A candidate: its conditions as `(segment index, value)` pairs.
type Conditions = Vec<(usize, String)>;

/// A candidate's conditions as the results name them.
fn named(conditions: &Conditions, segments: &[String]) -> Vec<Condition> {
    conditions
        .iter()
        .map(|(k, v)| Condition {
            column: segments[*k].clone(),
            op: "=".to_owned(),
            value: v.clone(),
        })
        .collect()
}

/// Per tuple of `log`, the tuple of `base` with the same segment values (`None`: the baseline
/// has none such, or is cut by a segment column the log is not).
fn baseline_tuples(log: &CellIndex, base: &CellIndex) -> Vec<Option<usize>> {
    let ids = base.tuple_ids();
    let at: Vec<Option<usize>> = base
        .segments
        .iter()
        .map(|s| log.segments.iter().position(|x| x == s))
        .collect();
    log.tuples
        .iter()
        .map(|tuple| {
            let key: Option<Vec<Option<String>>> = at
                .iter()
                .map(|k| Some(tuple.get((*k)?).cloned().flatten()))
                .collect();
            ids.get(&key?).copied()
        })
        .collect()
}

fn matches(tuple: &[Option<String>], conditions: &Conditions, at: &[usize]) -> bool {
    conditions.iter().all(|(k, v)| {
        at.get(*k)
            .and_then(|&j| tuple.get(j))
            .and_then(|x| x.as_deref())
            == Some(v.as_str())
    })
}

/// What every search reads: the cells at both levels, where each untimed segment column is at
/// the other levels, and the values each segment column offers.
struct Search<'a> {
    ws: &'a Workspace,
    report: &'a DriftReport,
    untimed: Level<'a>,
    /// The untimed log cells (one per tuple), the timed ones, the untimed baseline's.
    log: &'a CellProfiles,
    tlog: &'a CellProfiles,
    ubase: &'a CellProfiles,
    segments: &'a [String],
    /// Each untimed segment column's position in the timed log's, the untimed's own, and the
    /// baseline's (`usize::MAX`: not there).
    at_timed: Vec<usize>,
    at_untimed: Vec<usize>,
    base_at: Vec<usize>,
    windows: usize,
    /// The values each segment column offers, the largest first (at most [`MAX_VALUES`]).
    values: Vec<Vec<String>>,
}

impl Search<'_> {
    /// The start of window `w`.
    fn start(&self, w: usize) -> Option<String> {
        self.report.windows.as_ref()?.windows.get(w)?.start.clone()
    }
}

/// One evaluated slice of one objective.
struct Evaluated {
    objective: usize,
    conditions: Conditions,
    /// A numeric range besides the segment conditions (error rates only).
    range: Option<errors::Range>,
    inside: rates::Tally,
    outside: rates::Tally,
    share: f64,
    p: f64,
    /// A drift objective's scores: inside, in the rest of the log, the threshold, and whether
    /// the slice drifts.
    drift: Option<(f64, f64, f64, bool)>,
    /// A rate's baseline for the slice: its tuples' own baseline rates, weighted by their log
    /// rows.
    reference: f64,
    /// A drift result's reference (the baseline's same slice), for its onset.
    reference_profile: Option<ColumnProfile>,
}

/// Every objective's slices, best first (see the module's description); empty without cells.
/// `inputs`: the rows, when the log is held as rows (error rates are read from them).
pub fn discover(
    ws: &Workspace,
    inputs: Option<&Inputs>,
    report: &DriftReport,
    state: &JobState,
) -> Vec<Discovery> {
    let Some(cells) = ws.cells.as_ref() else {
        return Vec::new();
    };
    let untimed = cells.untimed();
    let (log, tlog, ubase) = (untimed.log, cells.timed().log, untimed.baseline);
    let segments = &log.index.segments;
    let position_in = |of: &CellProfiles| -> Vec<usize> {
        segments
            .iter()
            .map(|s| {
                of.index
                    .segments
                    .iter()
                    .position(|x| x == s)
                    .unwrap_or(usize::MAX)
            })
            .collect()
    };
    let mut search = Search {
        ws,
        report,
        untimed,
        log,
        tlog,
        ubase,
        segments,
        at_timed: position_in(tlog),
        at_untimed: (0..segments.len()).collect(),
        base_at: position_in(ubase),
        windows: report.windows.as_ref().map_or(0, |w| w.windows.len()),
        values: Vec::new(),
    };

    let mut objectives = rates::objectives(&search);
    search.values = offered_values(log, objectives.first());
    let mut evaluated = Vec::new();
    rates::search(&search, &objectives, &mut evaluated);
    drift::search(&search, &mut objectives, &mut evaluated);
    let mut errors = inputs
        .filter(|_| matches!(ws.log, LogSource::Rows))
        .and_then(|inputs| crate::analysis::performance::misses(inputs, &ws.prepared, state))
        .and_then(|m| errors::Errors::new(&search, m));
    if let Some(e) = &mut errors {
        e.search(&search, &mut objectives, &mut evaluated);
    }
    let q = q_values(&evaluated);

    let mut out = Vec::new();
    for (o, obj) in objectives.iter().enumerate() {
        let kept = match &errors {
            // The error rate's rounds are its results.
            Some(errors) if obj.name == errors::NAME => errors
                .picks()
                .into_iter()
                .filter(|&i| q[i] <= 0.05)
                .collect(),
            _ => selected(&evaluated, &q, o, obj),
        };
        for i in kept {
            let e = &evaluated[i];
            out.push(match (e.drift, &errors) {
                (Some(scores), _) => drift::result(&search, obj, e, scores, q[i]),
                (None, Some(errors)) if obj.name == errors::NAME => {
                    errors.result(&search, obj, i, e, q[i])
                }
                (None, _) => rates::result(&search, obj, e, q[i]),
            });
        }
    }
    out.extend(absent_from_baseline(
        &search,
        objectives.first(),
        evaluated.len(),
    ));
    rank(&mut out);
    out.truncate(MAX_RESULTS);
    out
}

/// The values each segment column offers, the largest (by the first objective's rows) first.
fn offered_values(log: &CellProfiles, first: Option<&rates::Objective>) -> Vec<Vec<String>> {
    (0..log.index.segments.len())
        .map(|k| {
            let mut rows: std::collections::BTreeMap<String, f64> = Default::default();
            let n_of = |t: usize| first.map_or(1.0, |o| o.tallies.get(t).map_or(0.0, |x| x.n));
            for (t, tuple) in log.index.tuples.iter().enumerate() {
                if let Some(Some(v)) = tuple.get(k) {
                    *rows.entry(v.clone()).or_default() += n_of(t);
                }
            }
            let mut v: Vec<(String, f64)> = rows.into_iter().collect();
            v.sort_by(|a, b| b.1.total_cmp(&a.1));
            v.truncate(MAX_VALUES);
            v.into_iter().map(|(v, _)| v).collect()
        })
        .collect()
}

/// Benjamini–Hochberg q-values over every evaluated slice.
fn q_values(evaluated: &[Evaluated]) -> Vec<f64> {
    let m = evaluated.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| evaluated[a].p.total_cmp(&evaluated[b].p));
    let mut q = vec![1.0; m];
    let mut running: f64 = 1.0;
    for (rank, &i) in order.iter().enumerate().rev() {
        running = running.min(evaluated[i].p * m as f64 / (rank + 1) as f64);
        q[i] = running.min(1.0);
    }
    q
}

/// Objective `o`'s kept slices, the largest share first: significant, large enough, not a child
/// that says no more than its parent nor a parent a child says as sharply.
fn selected(evaluated: &[Evaluated], q: &[f64], o: usize, obj: &rates::Objective) -> Vec<usize> {
    // `a`'s slice holds `b`'s: fewer conditions, each of them `b`'s.
    let parent_of = |a: &Evaluated, b: &Evaluated| {
        a.conditions.len() < b.conditions.len()
            && a.conditions.iter().all(|x| b.conditions.contains(x))
    };
    let mut kept: Vec<usize> = (0..evaluated.len())
        .filter(|&i| {
            let e = &evaluated[i];
            e.objective == o
                && q[i] <= 0.05
                && e.share >= MIN_SHARE
                && e.drift.is_none_or(|(_, _, _, drifted)| drifted)
                && obj.baseline_sd.is_none_or(|sd| {
                    (e.inside.sum / e.inside.n - e.reference).abs() >= rates::MIN_STANDARDIZED * sd
                })
        })
        .collect();
    let share = |i: usize| evaluated[i].share;
    let snapshot = kept.clone();
    kept.retain(|&i| {
        let e = &evaluated[i];
        let weaker_child = snapshot
            .iter()
            .any(|&j| parent_of(&evaluated[j], e) && share(i) < 0.9 * share(j));
        let sharper_child = snapshot
            .iter()
            .any(|&j| parent_of(e, &evaluated[j]) && share(j) >= 0.9 * share(i));
        !weaker_child && !sharper_child
    });
    kept.sort_by(|&a, &b| share(b).total_cmp(&share(a)));
    // A column's drift: its one slice that explains most.
    kept.truncate(if obj.drift { 1 } else { PER_OBJECTIVE });
    kept
}

/// Traffic from segment values the baseline never had: each value its own result, its onset
/// the first window it has rows in; `tests` slices were tested in all (its p-value is corrected
/// for them).
fn absent_from_baseline(
    search: &Search,
    first: Option<&rates::Objective>,
    tests: usize,
) -> Vec<Discovery> {
    let tlog = search.tlog;
    let first_window = |column: &str, value: &str| -> Option<String> {
        let k = tlog.index.segments.iter().position(|s| s == column)?;
        let w = (0..search.windows).find(|&w| {
            tlog.index.tuples.iter().enumerate().any(|(t, tuple)| {
                tuple.get(k).and_then(|v| v.as_deref()) == Some(value)
                    && first
                        .and_then(|o| o.timed.get(t)?.get(w))
                        .is_some_and(|x| x.n > 0.0)
            })
        })?;
        search.start(w)
    };
    let mut out = Vec::new();
    for mix in &search.report.segments {
        let absent: Vec<_> = mix
            .values
            .iter()
            .filter(|v| v.absent_from_baseline)
            .collect();
        let absent_rows: f64 = absent.iter().map(|v| v.current_rows as f64).sum();
        let baseline_rows: f64 = mix
            .values
            .iter()
            .filter_map(|v| v.baseline_rows)
            .sum::<usize>() as f64;
        for v in absent {
            // Under one shared share s, a baseline of n rows has none of it with (1 − s)^n.
            let p = (1.0 - v.current_share).powf(baseline_rows).clamp(0.0, 1.0);
            out.push(Discovery {
                objective: "absent_from_baseline".to_owned(),
                column: mix.column.clone(),
                conditions: vec![Condition {
                    column: mix.column.clone(),
                    op: "=".to_owned(),
                    value: v.value.clone(),
                }],
                from: first_window(&mix.column, &v.value),
                rows: v.current_rows as u64,
                share_explained: v.current_rows as f64 / absent_rows.max(1.0),
                effect_inside: v.current_share,
                effect_outside: None,
                baseline: 0.0,
                q_value: (p * (tests.max(1) as f64)).min(1.0),
            });
        }
    }
    out
}

/// Best first: how far inside is from the baseline, in what is worth saying, times the share.
fn rank(out: &mut [Discovery]) {
    let size = |d: &Discovery| {
        if d.objective == "drift" {
            // How far past its threshold inside, in tenths of it, times the share.
            return (d.effect_inside / d.baseline.max(1e-9) - 1.0).max(0.0)
                * 10.0
                * d.share_explained;
        }
        (d.effect_inside - d.baseline).abs() / onsets::min_effect("mean", None) * d.share_explained
    };
    out.sort_by(|a, b| size(b).total_cmp(&size(a)));
}

/// The window of a per-window series from which it rose most; else, for a slice that only began
/// after the first window (a new version), its first window with a value.
fn onset(series: &[Option<f64>], min_effect: f64) -> Option<usize> {
    onsets::changes(series, min_effect)
        .into_iter()
        .filter(|(_, before, after)| after > before)
        .max_by(|a, b| (a.2 - a.1).total_cmp(&(b.2 - b.1)))
        .map(|(w, _, _)| w)
        .or_else(|| series.iter().position(Option::is_some).filter(|&w| w > 0))
}

/// One incident: the discoveries about one slice (the same conditions, or more specific ones),
/// led by the best of them.
#[derive(Clone, Debug)]
pub struct Incident<'a> {
    pub lead: &'a Discovery,
    pub also: Vec<&'a Discovery>,
}

impl Incident<'_> {
    /// The lead's sentence, and what else changed in the same slice.
    pub fn describe(&self) -> String {
        let mut text = self.lead.describe();
        if !self.also.is_empty() {
            let others: Vec<String> = self
                .also
                .iter()
                .take(4)
                .map(|d| match d.objective.as_str() {
                    "drift" => format!("{} drifts", d.column),
                    "missing_share_increase" => format!("{} missing", d.column),
                    "mean_increase" => format!("{} higher", d.column),
                    "mean_decrease" => format!("{} lower", d.column),
                    errors::NAME => "error rate higher".to_owned(),
                    _ => "traffic the baseline never had".to_owned(),
                })
                .collect();
            let more = self.also.len().saturating_sub(4);
            text.push_str(&format!(
                "; also {}{}",
                others.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ));
        }
        text
    }
}

/// The discoveries (best first) grouped into incidents: a discovery joins the first incident
/// whose slice its own contains or is contained in (a more specific slice of the same incident),
/// else begins one. At most `n` incidents.
pub fn incidents(discoveries: &[Discovery], n: usize) -> Vec<Incident<'_>> {
    let within = |a: &[Condition], b: &[Condition]| a.iter().all(|c| b.contains(c));
    let mut out: Vec<Incident> = Vec::new();
    for d in discoveries {
        let joined = out.iter().position(|i| {
            within(&i.lead.conditions, &d.conditions) || within(&d.conditions, &i.lead.conditions)
        });
        match joined {
            Some(k) => out[k].also.push(d),
            None if out.len() < n => out.push(Incident {
                lead: d,
                also: Vec::new(),
            }),
            None => {}
        }
    }
    out
}
