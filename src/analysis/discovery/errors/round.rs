//! One round of the error rates' search: every slice of the rows left, level-wise, and the
//! one-sided test of a slice's excess.

use statrs::distribution::{ContinuousCDF, Normal};

use super::{Errors, MAX_ROUND, Range, Tallies};
use crate::analysis::discovery::rates::Tally;
use crate::analysis::discovery::{
    Conditions, Evaluated, MAX_CONDITIONS, MIN_ROWS, MIN_SHARE, Search, matches,
};

impl Errors<'_> {
    /// One round: every slice of the rows `left`, level-wise to [`MAX_CONDITIONS`] conditions.
    pub(super) fn round(
        &self,
        search: &Search,
        o: usize,
        left: &Tallies,
        totals: &[f64],
        evaluated: &mut Vec<Evaluated>,
    ) {
        let tuples = &search.tlog.index.tuples;
        let nt = tuples.len();
        let excess = |x: &Tally, r: f64| x.sum - x.n * r;
        let mut all = Tally::default();
        left.tuples.iter().for_each(|t| all.add(t));
        let family = self.families(left);
        let min_rows = (MIN_ROWS as f64).max(all.n * 0.001);
        let start = evaluated.len();
        let full = |evaluated: &Vec<Evaluated>| evaluated.len() - start >= MAX_ROUND;
        let push = |evaluated: &mut Vec<Evaluated>,
                    conditions: &Conditions,
                    range: Option<Range>,
                    inside: Tally,
                    excess_and_var: (f64, f64)| {
            evaluated.push(measured(
                (o, conditions.clone(), range),
                inside,
                excess_and_var,
                (&all, &family),
                totals,
            ));
        };
        // Per ranged feature and tuple, the positive excess of its bins: a range's bound.
        let range_pos: Vec<Vec<f64>> = self
            .ranged
            .iter()
            .zip(&left.bins)
            .map(|(r, bins)| {
                (0..nt)
                    .map(|t| r.positive_excess(t, &bins[t], false))
                    .collect()
            })
            .collect();
        let worth = |x: f64, range: Option<usize>| {
            x / totals[range.map_or(0, |j| j + 1)].max(f64::MIN_POSITIVE) >= MIN_SHARE
        };
        // A slice to extend: its conditions, and whether its segment children could be worth it.
        let mut level: Vec<(Conditions, bool)> = vec![(Vec::new(), true)];
        while !level.is_empty() {
            let mut next = Vec::new();
            for (parent, segments_worth) in &level {
                let within: Vec<bool> = tuples
                    .iter()
                    .map(|t| matches(t, parent, &search.at_timed))
                    .collect();
                // Its ranges, on each ranged feature whose bound allows.
                for (j, r) in self.ranged.iter().enumerate() {
                    let bound: f64 = (0..nt)
                        .filter(|&t| within[t])
                        .map(|t| range_pos[j][t])
                        .sum();
                    if !worth(bound, Some(j)) {
                        continue;
                    }
                    let bins = r.bins();
                    let mut by_bin = vec![Tally::default(); bins];
                    let mut ex_bin = vec![(0.0, 0.0); bins];
                    for t in (0..nt).filter(|&t| within[t]) {
                        for b in 0..bins {
                            let (x, q) = (&left.bins[j][t][b], &r.refs[t][b]);
                            by_bin[b].add(x);
                            ex_bin[b].0 += excess(x, q.rate);
                            ex_bin[b].1 += x.n * x.n * q.var;
                        }
                    }
                    for (lo, hi) in r.intervals() {
                        if full(evaluated) {
                            break;
                        }
                        let mut inside = Tally::default();
                        by_bin[lo..hi].iter().for_each(|x| inside.add(x));
                        if inside.n < min_rows {
                            continue;
                        }
                        let e = ex_bin[lo..hi]
                            .iter()
                            .fold((0.0, 0.0), |a, x| (a.0 + x.0, a.1 + x.1));
                        push(
                            evaluated,
                            parent,
                            Some(Range { column: j, lo, hi }),
                            inside,
                            e,
                        );
                    }
                }
                if !segments_worth {
                    continue;
                }
                // Its children on another segment column, as the rates' search.
                let last = parent.last().map_or(0, |c| c.0 + 1);
                for (k, offered) in search.values.iter().enumerate().skip(last) {
                    for v in offered {
                        if full(evaluated) {
                            break;
                        }
                        let mut c = parent.clone();
                        c.push((k, v.clone()));
                        let (mut inside, mut bound, mut slice_excess, mut var) =
                            (Tally::default(), 0.0, 0.0, 0.0);
                        let mut range_bound = vec![0.0; self.ranged.len()];
                        for (t, tuple) in tuples.iter().enumerate() {
                            if matches(tuple, &c, &search.at_timed) {
                                let x = excess(&left.tuples[t], self.refs[t].rate);
                                let n = left.tuples[t].n;
                                var += n * n * self.refs[t].var;
                                inside.add(&left.tuples[t]);
                                bound += x.max(0.0);
                                slice_excess += x;
                                for (b, pos) in range_bound.iter_mut().zip(&range_pos) {
                                    *b += pos[t];
                                }
                            }
                        }
                        if inside.n < min_rows {
                            continue;
                        }
                        push(evaluated, &c, None, inside, (slice_excess, var));
                        // Extended while a child or a range inside could hold a share worth
                        // a result (the positive excess inside bounds either's).
                        let ranges_worth =
                            (range_bound.iter().enumerate()).any(|(j, &b)| worth(b, Some(j)));
                        if c.len() < MAX_CONDITIONS && (worth(bound, None) || ranges_worth) {
                            next.push((c, worth(bound, None)));
                        }
                    }
                }
            }
            level = next;
        }
    }
}

/// An evaluated slice of the rows left (`all`, and per kind of slice their excess and its
/// variance, as [`Errors::families`]): its share of the change (`totals`), its p-value against
/// the rest of those rows, its baseline rate.
pub(super) fn measured(
    (objective, conditions, range): (usize, Conditions, Option<Range>),
    inside: Tally,
    (excess, var): (f64, f64),
    (all, family): (&Tally, &[(f64, f64)]),
    totals: &[f64],
) -> Evaluated {
    let (all_excess, all_var) = family
        .get(range.map_or(0, |r| r.column + 1))
        .copied()
        .unwrap_or_default();
    let outside = Tally {
        n: all.n - inside.n,
        sum: all.sum - inside.sum,
        m2: 0.0,
    };
    Evaluated {
        objective,
        conditions,
        range,
        inside,
        outside,
        share: (excess / total_of(totals, range)).min(1.0),
        p: excess_p(
            (&inside, excess, var),
            (&outside, all_excess - excess, (all_var - var).max(0.0)),
        ),
        drift: None,
        reference: (inside.sum - excess) / inside.n.max(f64::MIN_POSITIVE),
        reference_profile: None,
    }
}

/// The change a slice's share is of: the finest cells' positive excess for its kind (index 0:
/// the tuples; `j + 1`: the tuples' deciles of ranged feature `j`).
pub(super) fn total_of(totals: &[f64], range: Option<Range>) -> f64 {
    totals
        .get(range.map_or(0, |r| r.column + 1))
        .copied()
        .unwrap_or(0.0)
        .max(f64::MIN_POSITIVE)
}

/// One-sided p-value of the excess rate inside (misses beyond expected, per row) above zero
/// and above the rest's — the larger of the two — by z-tests: each side's binomial variance,
/// and its expected misses' (the variance of its baseline rates' estimates, `Σ n² r (1 − r) /
/// N` over its cells).
pub(super) fn excess_p(
    (inside, excess_in, ref_in): (&Tally, f64, f64),
    (outside, excess_out, ref_out): (&Tally, f64, f64),
) -> f64 {
    let Ok(normal) = Normal::new(0.0, 1.0) else {
        return 1.0;
    };
    if inside.n < 2.0 || outside.n < 2.0 {
        return 1.0;
    }
    let var = |t: &Tally, reference: f64| {
        let p = t.sum / t.n;
        p * (1.0 - p) / t.n + reference / (t.n * t.n)
    };
    let above = |diff: f64, se: f64| {
        if se.is_nan() || se <= 0.0 {
            return if diff > 0.0 { 0.0 } else { 1.0 };
        }
        (1.0 - normal.cdf(diff / se)).clamp(0.0, 1.0)
    };
    // Above its own baseline: a log whose error rate fell everywhere else does not make a
    // slice that held still a rise.
    let own = above(excess_in / inside.n, var(inside, ref_in).sqrt());
    let rest = above(
        excess_in / inside.n - excess_out / outside.n,
        (var(inside, ref_in) + var(outside, ref_out)).sqrt(),
    );
    own.max(rest)
}
