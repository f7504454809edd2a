//! The rate objectives — a column's missing share rising, the mean score rising or falling —
//! their per-tuple tallies and baselines, and their level-wise search.

use statrs::distribution::{ContinuousCDF, Normal};

use super::{
    Conditions, Discovery, Evaluated, MAX_CONDITIONS, MAX_EVALUATED, MIN_ROWS, MIN_SHARE, Search,
    baseline_tuples, matches, named, onset,
};
use crate::analysis::onsets;
use crate::analysis::profiles::{CellProfiles, ColumnProfile};
use crate::data::Role;

/// The smallest standardized difference of means worth a result.
pub const MIN_STANDARDIZED: f64 = 0.2;

/// Per log tuple (untimed cell), what an objective adds up: rows, the sum it is a rate of, the
/// sum of squares about its mean (means only).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Tally {
    pub n: f64,
    pub sum: f64,
    pub m2: f64,
}

impl Tally {
    /// Rows alone (a drift slice's size).
    pub fn rows(n: f64) -> Self {
        Self {
            n,
            sum: 0.0,
            m2: 0.0,
        }
    }

    pub fn add(&mut self, o: &Tally) {
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

pub(super) struct Objective {
    pub name: &'static str,
    pub column: String,
    /// +1: a rise is the change; −1: a fall.
    pub sign: f64,
    pub baseline: f64,
    /// Per untimed log tuple.
    pub tallies: Vec<Tally>,
    /// Per untimed log tuple, the baseline's rate in the same segment values (the whole
    /// baseline's where it has too few rows of them): a tuple's excess is over its own
    /// baseline, so that a segment that always had a higher rate is not a change.
    pub refs: Vec<f64>,
    /// Per timed log tuple and window.
    pub timed: Vec<Vec<Tally>>,
    /// Whether a rate is a share (a proportions test) or a mean.
    pub share: bool,
    /// The column's drift (its results come from [`super::drift::result`]), not a rate.
    pub drift: bool,
    /// A mean's baseline standard deviation: a slice's mean must differ from the baseline's by
    /// at least [`MIN_STANDARDIZED`] of it (a small effect, in Cohen's terms).
    pub baseline_sd: Option<f64>,
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

/// The rate objectives with their per-tuple tallies and baselines: every analysed column's
/// missing share (but the label's and the segment columns'), the score's mean both ways.
pub(super) fn objectives(search: &Search) -> Vec<Objective> {
    let (log, ubase, segments) = (search.log, search.ubase, search.segments);
    let to_base = baseline_tuples(&log.index, &ubase.index);
    let mut objectives = Vec::new();
    for (i, p) in search.ws.prepared.iter().enumerate() {
        let whole = search
            .untimed
            .whole_baseline
            .get(i)
            .and_then(Option::as_ref);
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
            // The baseline's tallies per tuple of its own cells.
            let base_tallies: Vec<Tally> = tallies(ubase, i, share)
                .iter()
                .map(|slots| {
                    let mut t = Tally::default();
                    slots.iter().for_each(|x| t.add(x));
                    t
                })
                .collect();
            let refs: Vec<f64> = to_base
                .iter()
                .map(|bt| {
                    bt.and_then(|bt| base_tallies.get(bt))
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
                timed: tallies(search.tlog, i, share),
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
    objectives
}

/// Every rate objective's slices, level-wise to [`MAX_CONDITIONS`] conditions; a slice's
/// children are searched while its positive excess (their upper bound) is at least
/// [`MIN_SHARE`] of the objective's.
pub(super) fn search(search: &Search, objectives: &[Objective], evaluated: &mut Vec<Evaluated>) {
    let log = search.log;
    for (o, obj) in objectives.iter().enumerate() {
        let reference = |t: usize| obj.refs.get(t).copied().unwrap_or(obj.baseline);
        let excess_of = |t: usize| {
            let x = &obj.tallies[t];
            obj.sign * (x.sum - x.n * reference(t))
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
                for (k, offered) in search.values.iter().enumerate().skip(last) {
                    for v in offered {
                        if evaluated.len() >= MAX_EVALUATED {
                            break;
                        }
                        let mut c = parent.clone();
                        c.push((k, v.clone()));
                        let (mut inside, mut outside) = (Tally::default(), Tally::default());
                        let (mut bound, mut slice_excess, mut expected) = (0.0, 0.0, 0.0);
                        for (t, tuple) in log.index.tuples.iter().enumerate() {
                            if matches(tuple, &c, &search.at_untimed) {
                                inside.add(&obj.tallies[t]);
                                let x = excess_of(t);
                                bound += x.max(0.0);
                                slice_excess += x;
                                expected += obj.tallies[t].n * reference(t);
                            } else {
                                outside.add(&obj.tallies[t]);
                            }
                        }
                        if inside.n < min_rows {
                            continue;
                        }
                        evaluated.push(Evaluated {
                            objective: o,
                            conditions: c.clone(),
                            range: None,
                            inside,
                            outside,
                            share: slice_excess / total_pos,
                            p: p_value(&inside, &outside, obj.share),
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
}

/// p-value of inside against outside: a two-proportion z-test for a share, Welch's z on the
/// means from the moments for a mean.
pub(super) fn p_value(inside: &Tally, outside: &Tally, share: bool) -> f64 {
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

/// A kept rate slice as a result, its onset the largest rise of its per-window rate.
pub(super) fn result(search: &Search, obj: &Objective, e: &Evaluated, q: f64) -> Discovery {
    let series: Vec<Option<f64>> = (0..search.windows)
        .map(|w| {
            let mut t = Tally::default();
            for (tt, tuple) in search.tlog.index.tuples.iter().enumerate() {
                if matches(tuple, &e.conditions, &search.at_timed)
                    && let Some(x) = obj.timed.get(tt).and_then(|s| s.get(w))
                {
                    t.add(x);
                }
            }
            (t.n >= onsets::MIN_WINDOW_ROWS as f64).then(|| obj.sign * t.sum / t.n)
        })
        .collect();
    discovery(
        obj,
        e,
        named(&e.conditions, search.segments),
        onset(&series, onsets::min_effect("mean", None)).and_then(|w| search.start(w)),
        q,
    )
}

/// A rate slice as a result: its rate inside and in the rest, its baseline, its share.
pub(super) fn discovery(
    obj: &Objective,
    e: &Evaluated,
    conditions: Vec<super::Condition>,
    from: Option<String>,
    q: f64,
) -> Discovery {
    Discovery {
        objective: obj.name.to_owned(),
        column: obj.column.clone(),
        conditions,
        from,
        rows: e.inside.n as u64,
        share_explained: e.share,
        effect_inside: e.inside.sum / e.inside.n,
        effect_outside: (e.outside.n > 0.0).then(|| e.outside.sum / e.outside.n),
        baseline: e.reference,
        q_value: q,
    }
}
