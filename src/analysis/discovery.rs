//! Slice discovery: the conjunctions of up to three segment conditions (segment columns and the
//! model version, every value the cells hold) that explain most of a change, found on the cell
//! profiles — every candidate is a union of cells, measured without touching a row.
//!
//! *Objectives.* A column's missing share rising (every analysed column but the label, whose
//! missing share is the labels' delay), and the mean score rising or falling; a column's drift
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
//! Drift is searched to two conditions, each column's best slice kept. Numeric-range and
//! categorical-feature conditions, and the objectives that read rows or models (error rate by
//! label, replay skew, latency), are not searched here yet.

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
    /// `drift` (a column's distribution; `effect_inside` and `effect_outside` are its drift
    /// scores inside the slice against the baseline's same slice and in the rest of the log
    /// against the whole baseline, `baseline` the method's threshold), `missing_share_increase`,
    /// `mean_increase`, `mean_decrease` or `absent_from_baseline` (traffic from a segment value
    /// the baseline never had).
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
    /// Per untimed log tuple, the baseline's rate in the same segment values (the whole
    /// baseline's where it has too few rows of them): a tuple's excess is over its own
    /// baseline, so that a segment that always had a higher rate is not a change.
    refs: Vec<f64>,
    /// Per timed log tuple and window.
    timed: Vec<Vec<Tally>>,
    /// Whether a rate is a share (a proportions test) or a mean.
    share: bool,
    /// The column's drift (its results come from [`drift_result`]), not a rate.
    drift: bool,
    /// A mean's baseline standard deviation: a slice's mean must differ from the baseline's by
    /// at least [`MIN_STANDARDIZED`] of it (a small effect, in Cohen's terms).
    baseline_sd: Option<f64>,
}

/// The smallest standardized difference of means worth a result.
pub const MIN_STANDARDIZED: f64 = 0.2;

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

/// The untimed profile of `column` in log tuple `t` (every slot merged).
fn profile_of(cells: &CellProfiles, column: usize, t: usize) -> Option<ColumnProfile> {
    let col = cells.columns.get(column).filter(|c| !c.is_empty())?;
    let mut out = None;
    for s in 0..cells.index.slots {
        col.merge_into(cells.index.cell(t, s), &mut out);
    }
    out
}

/// A drift result: the slice's conditions, its scores, and its onset from the per-window drift
/// of the slice (the timed cells against the whole baseline).
fn drift_result(
    ws: &Workspace,
    report: &DriftReport,
    obj: &Objective,
    (conditions, segments, at_timed): (&Conditions, &[String], &[usize]),
    reference: Option<&ColumnProfile>,
    (inside, rest, threshold, _): (f64, f64, f64, bool),
    (rows, share, q): (f64, f64, f64),
) -> Discovery {
    let windows = report.windows.as_ref();
    let from = ws.cells.as_ref().and_then(|cells| {
        let timed = cells.timed();
        let i = ws.prepared.iter().position(|p| p.name == obj.column)?;
        let p = &ws.prepared[i];
        let grid = timed.grids.get(i)?.as_ref();
        // The slice's own baseline on the timed grid (the untimed grid's slots mapped onto it),
        // as the slice's score was measured; else the whole baseline.
        let own = reference.map(|r| match (r, &cells.untimed, grid) {
            (ColumnProfile::Numeric(n), Some(u), Some(g)) => {
                match u.maps.get(i).and_then(Option::as_ref) {
                    Some(map) => ColumnProfile::Numeric(n.remapped(map, &g.grid)),
                    None => r.clone(),
                }
            }
            _ => r.clone(),
        });
        let whole = match &own {
            Some(r) => r,
            None => timed.whole_baseline.get(i)?.as_ref()?,
        };
        let keep: Vec<bool> = timed
            .log
            .index
            .tuples
            .iter()
            .map(|t| matches(t, conditions, at_timed))
            .collect();
        let per_slot = timed.log.per_slot(i, &keep);
        let n = windows?.windows.len();
        let series: Vec<Option<f64>> = per_slot
            .iter()
            .take(n)
            .map(|cur| {
                (cur.rows() >= onsets::MIN_WINDOW_ROWS).then(|| {
                    super::profiles::drift_score_from_profiles(
                        p,
                        grid,
                        None,
                        whole,
                        cur,
                        &ws.settings,
                    )
                    .score
                })?
            })
            .collect();
        let w = onsets::changes(&series, onsets::min_effect("drift_score", Some(threshold)))
            .into_iter()
            .filter(|(_, before, after)| after > before)
            .max_by(|a, b| (a.2 - a.1).total_cmp(&(b.2 - b.1)))
            .map(|(w, _, _)| w)
            .or_else(|| series.iter().position(Option::is_some).filter(|&w| w > 0))?;
        windows?.windows.get(w)?.start.clone()
    });
    Discovery {
        objective: "drift".to_owned(),
        column: obj.column.clone(),
        conditions: named(conditions, segments),
        from,
        rows: rows as u64,
        share_explained: share,
        effect_inside: inside,
        effect_outside: Some(rest),
        baseline: threshold,
        q_value: q,
    }
}

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

    let ubase = untimed.baseline;
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
            if per_tuple.len() != log.index.tuples.len() {
                // Not profiled per cell (too many categories): its rows answer, not the cells.
                return;
            }
            let whole_rate = base.sum / base.n;
            // The baseline's tallies by the segment values of its own cells.
            let mut by_values: std::collections::HashMap<&[Option<String>], Tally> =
                Default::default();
            for (t, slots) in tallies(ubase, i, share).iter().enumerate() {
                let entry = by_values
                    .entry(ubase.index.tuples[t].as_slice())
                    .or_default();
                slots.iter().for_each(|x| entry.add(x));
            }
            let refs: Vec<f64> = log
                .index
                .tuples
                .iter()
                .map(|tuple| {
                    let key: Option<Vec<Option<String>>> = ubase
                        .index
                        .segments
                        .iter()
                        .map(|s| {
                            let k = segments.iter().position(|x| x == s)?;
                            Some(tuple.get(k).cloned().flatten())
                        })
                        .collect();
                    key.and_then(|k| by_values.get(k.as_slice()).copied())
                        .filter(|t| t.n >= MIN_ROWS as f64)
                        .map_or(whole_rate, |t| t.sum / t.n)
                })
                .collect();
            objectives.push(Objective {
                name,
                column: p.name.clone(),
                sign,
                baseline: whole_rate,
                refs,
                tallies: per_tuple,
                timed: tallies(tlog, i, share),
                share,
                drift: false,
                baseline_sd: (!share && base.n > 1.0).then(|| (base.m2 / (base.n - 1.0)).sqrt()),
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
        /// A drift objective's scores: inside, in the rest of the log, the threshold, and
        /// whether the slice drifts.
        drift: Option<(f64, f64, f64, bool)>,
        /// A rate's baseline for the slice: its tuples' own baseline rates, weighted by their
        /// log rows.
        reference: f64,
        /// A drift result's reference (the baseline's same slice), for its onset.
        reference_profile: Option<ColumnProfile>,
    }
    let mut evaluated: Vec<Evaluated> = Vec::new();
    for (o, obj) in objectives.iter().enumerate() {
        let excess_of = |t: usize| {
            let x = &obj.tallies[t];
            obj.sign * (x.sum - x.n * obj.refs.get(t).copied().unwrap_or(obj.baseline))
        };
        let total_pos: f64 = (0..obj.tallies.len()).map(|t| excess_of(t).max(0.0)).sum();
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
                        let (mut bound, mut slice_excess, mut expected) = (0.0, 0.0, 0.0);
                        for (t, tuple) in log.index.tuples.iter().enumerate() {
                            if matches(tuple, &c, &at_untimed) {
                                inside.add(&obj.tallies[t]);
                                let x = excess_of(t);
                                bound += x.max(0.0);
                                slice_excess += x;
                                expected += obj.tallies[t].n
                                    * obj.refs.get(t).copied().unwrap_or(obj.baseline);
                            } else {
                                outside.add(&obj.tallies[t]);
                            }
                        }
                        if inside.n < min_rows {
                            continue;
                        }
                        let share = slice_excess / total_pos;
                        let p = p_value(&inside, &outside, obj.share);
                        evaluated.push(Evaluated {
                            objective: o,
                            conditions: c.clone(),
                            inside,
                            outside,
                            share,
                            p,
                            drift: None,
                            reference: expected / inside.n.max(f64::MIN_POSITIVE),
                            reference_profile: None,
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

    // Drift: each column inside a slice against the baseline's same slice (its conditions on
    // the columns the baseline has), and how much of the column's drift goes without it.
    let ugrids = untimed.grids;
    let log_rows: f64 = log.columns.first().map_or(0.0, |_| {
        (0..log.index.tuples.len())
            .map(|t| profile_of(log, 0, t).map_or(0.0, |p| p.rows() as f64))
            .sum()
    });
    let base_at: Vec<usize> = segments
        .iter()
        .map(|s| {
            ubase
                .index
                .segments
                .iter()
                .position(|x| x == s)
                .unwrap_or(usize::MAX)
        })
        .collect();
    for (i, p) in ws.prepared.iter().enumerate() {
        if evaluated.len() >= MAX_EVALUATED {
            break;
        }
        let whole_base = untimed.whole_baseline.get(i).and_then(Option::as_ref);
        let (Some(whole_base), false) = (
            whole_base,
            segments.contains(&p.name) || p.role == Role::Label,
        ) else {
            continue;
        };
        let grid = ugrids.get(i).and_then(Option::as_ref);
        let per_tuple: Vec<Option<ColumnProfile>> = (0..log.index.tuples.len())
            .map(|t| profile_of(log, i, t))
            .collect();
        let merge = |keep: &dyn Fn(usize) -> bool, of: &[Option<ColumnProfile>]| {
            let mut out: Option<ColumnProfile> = None;
            for (t, q) in of.iter().enumerate() {
                if let Some(q) = q.as_ref().filter(|_| keep(t)) {
                    match &mut out {
                        Some(o) => o.merge(q),
                        None => out = Some(q.clone()),
                    }
                }
            }
            out
        };
        let Some(whole_log) = merge(&|_| true, &per_tuple) else {
            continue;
        };
        let settings = &ws.settings;
        let d_all = super::profiles::drift_score_from_profiles(
            p, grid, None, whole_base, &whole_log, settings,
        );
        let Some(all_score) = d_all.score.filter(|s| *s > 0.0) else {
            continue;
        };
        let base_tuples: Vec<Option<ColumnProfile>> = (0..ubase.index.tuples.len())
            .map(|t| profile_of(ubase, i, t))
            .collect();
        let o = objectives.len();
        objectives.push(Objective {
            name: "drift",
            column: p.name.clone(),
            sign: 1.0,
            baseline: 0.0,
            refs: Vec::new(),
            tallies: Vec::new(),
            timed: Vec::new(),
            share: false,
            drift: true,
            baseline_sd: None,
        });
        let min_rows = (MIN_ROWS as f64).max(log_rows * 0.01);
        let mut level: Vec<Conditions> = vec![Vec::new()];
        for _depth in 0..2 {
            let mut next = Vec::new();
            for parent in &level {
                let last = parent.last().map_or(0, |c| c.0 + 1);
                for (k, offered) in values.iter().enumerate().skip(last) {
                    if segments[k] == p.name {
                        continue;
                    }
                    for v in offered {
                        if evaluated.len() >= MAX_EVALUATED {
                            break;
                        }
                        let mut c = parent.clone();
                        c.push((k, v.clone()));
                        let Some(inside) = merge(
                            &|t| matches(&log.index.tuples[t], &c, &at_untimed),
                            &per_tuple,
                        ) else {
                            continue;
                        };
                        if (inside.rows() as f64) < min_rows {
                            continue;
                        }
                        // The baseline's same slice, on the conditions it can hold.
                        let held: Conditions = c
                            .iter()
                            .filter(|(k, _)| base_at[*k] != usize::MAX)
                            .cloned()
                            .collect();
                        let reference = merge(
                            &|t| matches(&ubase.index.tuples[t], &held, &base_at),
                            &base_tuples,
                        )
                        .filter(|r| r.rows() >= MIN_ROWS);
                        let reference = reference.as_ref().unwrap_or(whole_base);
                        let d_in = super::profiles::drift_score_from_profiles(
                            p, grid, None, reference, &inside, settings,
                        );
                        let rest = whole_log.without(&inside, grid);
                        let d_rest = super::profiles::drift_score_from_profiles(
                            p, grid, None, whole_base, &rest, settings,
                        );
                        let (Some(s_in), Some(s_rest)) = (d_in.score, d_rest.score) else {
                            continue;
                        };
                        let share = ((all_score - s_rest) / all_score).clamp(0.0, 1.0);
                        let pv = d_in
                            .stats
                            .ks_pvalue
                            .or(d_in.stats.chi2_pvalue)
                            .unwrap_or(if d_in.drifted { 0.0 } else { 1.0 });
                        evaluated.push(Evaluated {
                            objective: o,
                            conditions: c.clone(),
                            inside: Tally {
                                n: inside.rows() as f64,
                                sum: 0.0,
                                m2: 0.0,
                            },
                            outside: Tally {
                                n: rest.rows() as f64,
                                sum: 0.0,
                                m2: 0.0,
                            },
                            share,
                            p: pv,
                            drift: Some((s_in, s_rest, d_in.threshold, d_in.drifted)),
                            reference: 0.0,
                            reference_profile: (d_in.drifted && share >= MIN_SHARE)
                                .then(|| reference.clone()),
                        });
                        if share >= MIN_SHARE || d_in.drifted {
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
                let e = &evaluated[i];
                e.objective == o
                    && q[i] <= 0.05
                    && e.share >= MIN_SHARE
                    && e.drift.is_none_or(|(_, _, _, drifted)| drifted)
                    && obj.baseline_sd.is_none_or(|sd| {
                        (e.inside.sum / e.inside.n - e.reference).abs() >= MIN_STANDARDIZED * sd
                    })
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
        // A column's drift: its one slice that explains most.
        kept.truncate(if obj.drift { 1 } else { PER_OBJECTIVE });
        for i in kept {
            let e = &evaluated[i];
            if let Some(scores) = e.drift {
                out.push(drift_result(
                    ws,
                    report,
                    obj,
                    (&e.conditions, segments, &at_timed),
                    e.reference_profile.as_ref(),
                    scores,
                    (e.inside.n, e.share, q[i]),
                ));
                continue;
            }
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
            // The largest rise; else, for a slice that only began after the first window (a
            // new version), its first window.
            let start = |w: usize| report.windows.as_ref()?.windows.get(w)?.start.clone();
            let from = onsets::changes(&series, onsets::min_effect("mean", None))
                .into_iter()
                .filter(|(_, before, after)| after > before)
                .max_by(|a, b| (a.2 - a.1).total_cmp(&(b.2 - b.1)))
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
                conditions: named(&e.conditions, segments),
                from,
                rows: e.inside.n as u64,
                share_explained: e.share,
                effect_inside: e.inside.sum / e.inside.n,
                effect_outside: (e.outside.n > 0.0).then(|| e.outside.sum / e.outside.n),
                baseline: e.reference,
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
        if d.objective == "drift" {
            // How far past its threshold inside, in tenths of it, times the share.
            return (d.effect_inside / d.baseline.max(1e-9) - 1.0).max(0.0)
                * 10.0
                * d.share_explained;
        }
        (d.effect_inside - d.baseline).abs() / onsets::min_effect("mean", None) * d.share_explained
    };
    out.sort_by(|a, b| size(b).total_cmp(&size(a)));
    out.truncate(MAX_RESULTS);
    out
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
