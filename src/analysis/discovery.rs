//! Slice discovery: the conjunctions of up to three segment conditions (segment columns and the
//! model version, every value the cells hold) that explain most of a change, found on the cell
//! profiles — every candidate is a union of cells, measured without touching a row.
//!
//! *Objectives.* A column's missing share rising (every analysed column but the label, whose
//! missing share is the labels' delay), and the mean score rising or falling. For each, a log
//! cell's *excess* is what it has beyond the whole baseline's rate — `missing − rows · r_B`, or
//! `Σ score − n · μ_B` — so that the excesses of disjoint slices add up; a slice's
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
//! the earliest rise of its per-window series ([`crate::analysis::onsets::changes`]).
//!
//! Numeric-range and categorical-feature conditions, and the objectives that read rows or
//! models (error rate by label, replay skew, latency), are not searched here yet.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

use super::onsets;
use super::profiles::{CellProfiles, ColumnProfile};
use super::report::DriftReport;
use super::workspace::Workspace;
use crate::data::Role;

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
    /// `=` (the only operator the cells' conditions need; `in`, `>=`, `<` and `between` are
    /// the contract's for value sets and ranges).
    pub op: String,
    pub value: String,
}

/// A slice that explains a change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Discovery {
    /// `missing_share_increase`, `mean_increase`, `mean_decrease` or `absent_from_baseline`
    /// (traffic from a segment value the baseline never had).
    pub objective: String,
    pub column: String,
    pub conditions: Vec<Condition>,
    /// The start of the window from which the slice's series rose (`None`: no onset found).
    pub from: Option<String>,
    pub rows: u64,
    pub share_explained: f64,
    /// The objective's rate (missing share, mean) inside the slice and in the rest of the log.
    pub effect_inside: f64,
    /// `None`: the slice is the whole log.
    pub effect_outside: Option<f64>,
    /// The whole baseline's.
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

    /// The slice as the app and the investigation file hold it.
    pub fn slice(&self) -> crate::analysis::SliceDef {
        let mut slice = crate::analysis::SliceDef::default();
        for c in &self.conditions {
            slice = slice.with(crate::analysis::Predicate::OneOf {
                column: c.column.clone(),
                values: vec![c.value.clone()],
            });
        }
        slice
    }

    /// The analysed column whose evidence shows it (`None` for traffic alone).
    pub fn evidence_column(&self) -> Option<&str> {
        (self.objective != "absent_from_baseline").then_some(self.column.as_str())
    }

    /// In words, for the Overview and the summaries.
    pub fn describe(&self) -> String {
        let (what, fmt): (String, fn(f64) -> String) = match self.objective.as_str() {
            "missing_share_increase" => (format!("{} missing", self.column), crate::format::pct),
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
            "{what} where {}{from}: {} inside against {} outside (baseline {}), {} of the change, {} rows",
            self.describe_conditions(),
            fmt(self.effect_inside),
            self.effect_outside.map_or_else(|| "–".to_owned(), fmt),
            fmt(self.baseline),
            crate::format::pct(self.share_explained),
            crate::format::group_thousands(self.rows as usize)
        )
    }
}

/// Per log tuple (untimed cell), what an objective adds up: rows, the sum it is a rate of, the
/// sum of squares about its mean (means only), and its excess over the baseline.
#[derive(Clone, Copy, Debug, Default)]
struct Tally {
    n: f64,
    sum: f64,
    m2: f64,
}

impl Tally {
    fn add(&mut self, o: &Tally) {
        if o.n == 0.0 {
            return;
        }
        if self.n == 0.0 {
            *self = *o;
            return;
        }
        // Chan's parallel update of the moments, on sums.
        let (na, nb) = (self.n, o.n);
        let delta = o.sum / nb - self.sum / na;
        self.m2 += o.m2 + delta * delta * na * nb / (na + nb);
        self.n += nb;
        self.sum += o.sum;
    }
}

struct Objective {
    name: &'static str,
    column: String,
    /// +1: a rise is the change; −1: a fall.
    sign: f64,
    baseline: f64,
    /// Per untimed log tuple.
    tallies: Vec<Tally>,
    /// Per timed log tuple and window.
    timed: Vec<Vec<Tally>>,
    /// Whether a rate is a share (a proportions test) or a mean.
    share: bool,
}

fn tally_of(p: &ColumnProfile, share: bool) -> Tally {
    if share {
        return Tally {
            n: p.rows() as f64,
            sum: p.missing() as f64,
            m2: 0.0,
        };
    }
    match p {
        ColumnProfile::Numeric(q) if q.values > 0 => Tally {
            n: q.values as f64,
            sum: q.mean * q.values as f64,
            m2: q.m2,
        },
        _ => Tally::default(),
    }
}

/// Per tuple of `cells`, per slot, the tally of `column`.
fn tallies(cells: &CellProfiles, column: usize, share: bool) -> Vec<Vec<Tally>> {
    let Some(col) = cells.columns.get(column).filter(|c| !c.is_empty()) else {
        return Vec::new();
    };
    (0..cells.index.tuples.len())
        .map(|t| {
            (0..cells.index.slots)
                .map(|s| {
                    let mut out = None;
                    col.merge_into(cells.index.cell(t, s), &mut out);
                    out.map_or_else(Tally::default, |p| tally_of(&p, share))
                })
                .collect()
        })
        .collect()
}

/// A candidate: its conditions as `(segment index, value)` pairs.
type Conditions = Vec<(usize, String)>;

fn matches(tuple: &[Option<String>], conditions: &Conditions, at: &[usize]) -> bool {
    conditions.iter().all(|(k, v)| {
        at.get(*k)
            .and_then(|&j| tuple.get(j))
            .and_then(|x| x.as_deref())
            == Some(v.as_str())
    })
}

/// p-value of inside against outside.
fn p_value(inside: &Tally, outside: &Tally, share: bool) -> f64 {
    let Ok(normal) = Normal::new(0.0, 1.0) else {
        return 1.0;
    };
    if inside.n < 2.0 || outside.n < 2.0 {
        return 1.0;
    }
    let (ra, rb) = (inside.sum / inside.n, outside.sum / outside.n);
    let se = if share {
        let pooled = (inside.sum + outside.sum) / (inside.n + outside.n);
        (pooled * (1.0 - pooled) * (1.0 / inside.n + 1.0 / outside.n)).sqrt()
    } else {
        (inside.m2 / (inside.n - 1.0) / inside.n + outside.m2 / (outside.n - 1.0) / outside.n)
            .sqrt()
    };
    if se.is_nan() || se <= 0.0 {
        return if ra == rb { 1.0 } else { 0.0 };
    }
    let z = ((ra - rb) / se).abs();
    (2.0 * (1.0 - normal.cdf(z))).clamp(0.0, 1.0)
}

/// Every objective's slices, best first (see the module's description); empty without cells.
pub fn discover(ws: &Workspace, report: &DriftReport) -> Vec<Discovery> {
    let Some(cells) = ws.cells.as_ref() else {
        return Vec::new();
    };
    let untimed = cells.untimed();
    let timed = cells.timed();
    let (log, tlog) = (untimed.log, timed.log);
    let segments = &log.index.segments;
    // The timed level's position of each untimed segment column.
    let at_timed: Vec<usize> = segments
        .iter()
        .map(|s| {
            tlog.index
                .segments
                .iter()
                .position(|x| x == s)
                .unwrap_or(usize::MAX)
        })
        .collect();
    let at_untimed: Vec<usize> = (0..segments.len()).collect();
    let windows = report.windows.as_ref().map_or(0, |w| w.windows.len());

    // The objectives, with their per-tuple tallies.
    let mut objectives = Vec::new();
    for (i, p) in ws.prepared.iter().enumerate() {
        let whole = untimed.whole_baseline.get(i).and_then(Option::as_ref);
        let Some(whole) = whole else { continue };
        let mut push = |name: &'static str, sign: f64, share: bool| {
            let base = tally_of(whole, share);
            if base.n == 0.0 {
                return;
            }
            let per_tuple: Vec<Tally> = tallies(log, i, share)
                .into_iter()
                .map(|slots| {
                    let mut t = Tally::default();
                    slots.iter().for_each(|s| t.add(s));
                    t
                })
                .collect();
            objectives.push(Objective {
                name,
                column: p.name.clone(),
                sign,
                baseline: base.sum / base.n,
                tallies: per_tuple,
                timed: tallies(tlog, i, share),
                share,
            });
        };
        if p.role != Role::Label && !segments.contains(&p.name) {
            push("missing_share_increase", 1.0, true);
        }
        if p.role == Role::Score {
            push("mean_increase", 1.0, false);
            push("mean_decrease", -1.0, false);
        }
    }

    // The values each segment column offers, the largest first.
    let values: Vec<Vec<String>> = (0..segments.len())
        .map(|k| {
            let mut rows: std::collections::BTreeMap<String, f64> = Default::default();
            let n_of = |t: usize| {
                objectives
                    .first()
                    .map_or(1.0, |o| o.tallies.get(t).map_or(0.0, |x| x.n))
            };
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
        .collect();

    struct Evaluated {
        objective: usize,
        conditions: Conditions,
        inside: Tally,
        outside: Tally,
        share: f64,
        p: f64,
    }
    let mut evaluated: Vec<Evaluated> = Vec::new();
    for (o, obj) in objectives.iter().enumerate() {
        let excess = |t: &Tally| obj.sign * (t.sum - t.n * obj.baseline);
        let total_pos: f64 = obj.tallies.iter().map(|t| excess(t).max(0.0)).sum();
        let all_rows: f64 = obj.tallies.iter().map(|t| t.n).sum();
        let min_rows = (MIN_ROWS as f64).max(all_rows * 0.001);
        if total_pos <= 0.0 {
            continue;
        }
        let mut level: Vec<Conditions> = vec![Vec::new()];
        for _depth in 0..MAX_CONDITIONS {
            let mut next = Vec::new();
            for parent in &level {
                let last = parent.last().map_or(0, |c| c.0 + 1);
                for (k, offered) in values.iter().enumerate().skip(last) {
                    for v in offered {
                        if evaluated.len() >= MAX_EVALUATED {
                            break;
                        }
                        let mut c = parent.clone();
                        c.push((k, v.clone()));
                        let (mut inside, mut outside) = (Tally::default(), Tally::default());
                        let mut bound = 0.0;
                        for (t, tuple) in log.index.tuples.iter().enumerate() {
                            if matches(tuple, &c, &at_untimed) {
                                inside.add(&obj.tallies[t]);
                                bound += excess(&obj.tallies[t]).max(0.0);
                            } else {
                                outside.add(&obj.tallies[t]);
                            }
                        }
                        if inside.n < min_rows {
                            continue;
                        }
                        let share = excess(&inside) / total_pos;
                        let p = p_value(&inside, &outside, obj.share);
                        evaluated.push(Evaluated {
                            objective: o,
                            conditions: c.clone(),
                            inside,
                            outside,
                            share,
                            p,
                        });
                        // No child can explain more than the slice's positive excess.
                        if bound / total_pos >= MIN_SHARE {
                            next.push(c);
                        }
                    }
                }
            }
            level = next;
        }
    }

    // Benjamini–Hochberg over every evaluated slice.
    let m = evaluated.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| evaluated[a].p.total_cmp(&evaluated[b].p));
    let mut q = vec![1.0; m];
    let mut running: f64 = 1.0;
    for (rank, &i) in order.iter().enumerate().rev() {
        running = running.min(evaluated[i].p * m as f64 / (rank + 1) as f64);
        q[i] = running.min(1.0);
    }

    let subset =
        |a: &Conditions, b: &Conditions| a.len() < b.len() && a.iter().all(|x| b.contains(x));
    let mut out = Vec::new();
    for (o, obj) in objectives.iter().enumerate() {
        let mut kept: Vec<usize> = (0..m)
            .filter(|&i| {
                evaluated[i].objective == o && q[i] <= 0.05 && evaluated[i].share >= MIN_SHARE
            })
            .collect();
        let share = |i: usize| evaluated[i].share;
        // A child that says no more than its parent goes; so does a parent a child says as
        // sharply.
        let snapshot = kept.clone();
        kept.retain(|&i| {
            let c = &evaluated[i].conditions;
            let weaker_child = snapshot
                .iter()
                .any(|&j| subset(&evaluated[j].conditions, c) && share(i) < 0.9 * share(j));
            let sharper_child = snapshot
                .iter()
                .any(|&j| subset(c, &evaluated[j].conditions) && share(j) >= 0.9 * share(i));
            !weaker_child && !sharper_child
        });
        kept.sort_by(|&a, &b| share(b).total_cmp(&share(a)));
        kept.truncate(PER_OBJECTIVE);
        for i in kept {
            let e = &evaluated[i];
            let series: Vec<Option<f64>> = (0..windows)
                .map(|w| {
                    let mut t = Tally::default();
                    for (tt, tuple) in tlog.index.tuples.iter().enumerate() {
                        if matches(tuple, &e.conditions, &at_timed)
                            && let Some(x) = obj.timed.get(tt).and_then(|s| s.get(w))
                        {
                            t.add(x);
                        }
                    }
                    (t.n >= onsets::MIN_WINDOW_ROWS as f64).then(|| obj.sign * t.sum / t.n)
                })
                .collect();
            // The earliest rise; else, for a slice that only began after the first window (a
            // new version), its first window.
            let start = |w: usize| report.windows.as_ref()?.windows.get(w)?.start.clone();
            let from = onsets::changes(&series, onsets::min_effect("mean", None))
                .into_iter()
                .find(|(_, before, after)| after > before)
                .and_then(|(w, _, _)| start(w))
                .or_else(|| {
                    series
                        .iter()
                        .position(Option::is_some)
                        .filter(|&w| w > 0)
                        .and_then(start)
                });
            out.push(Discovery {
                objective: obj.name.to_owned(),
                column: obj.column.clone(),
                conditions: e
                    .conditions
                    .iter()
                    .map(|(k, v)| Condition {
                        column: segments[*k].clone(),
                        op: "=".to_owned(),
                        value: v.clone(),
                    })
                    .collect(),
                from,
                rows: e.inside.n as u64,
                share_explained: e.share,
                effect_inside: e.inside.sum / e.inside.n,
                effect_outside: (e.outside.n > 0.0).then(|| e.outside.sum / e.outside.n),
                baseline: obj.baseline,
                q_value: q[i],
            });
        }
    }
    // Traffic from segment values the baseline never had: each value its own result.
    let first_window = |column: &str, value: &str| -> Option<String> {
        let k = tlog.index.segments.iter().position(|s| s == column)?;
        let w = (0..windows).find(|&w| {
            tlog.index.tuples.iter().enumerate().any(|(t, tuple)| {
                tuple.get(k).and_then(|v| v.as_deref()) == Some(value)
                    && objectives
                        .first()
                        .and_then(|o| o.timed.get(t)?.get(w))
                        .is_some_and(|x| x.n > 0.0)
            })
        })?;
        report.windows.as_ref()?.windows.get(w)?.start.clone()
    };
    for mix in &report.segments {
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
                q_value: (p * (m.max(1) as f64)).min(1.0),
            });
        }
    }
    // Best first: how far inside is from the baseline, in what is worth saying, times the share.
    let size = |d: &Discovery| {
        (d.effect_inside - d.baseline).abs() / onsets::min_effect("mean", None) * d.share_explained
    };
    out.sort_by(|a, b| size(b).total_cmp(&size(a)));
    out.truncate(MAX_RESULTS);
    out
}
