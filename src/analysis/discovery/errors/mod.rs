//! The error-rate objective (labels and predictions on both sides, a classification): the share
//! of labelled rows whose prediction missed the label, rising — on segment values, on numeric
//! ranges of the analysed features, cut on the baseline's deciles (a range is a run of
//! neighbouring deciles: `amount < 14.2`, `amount >= 310`, `amount between [9.1, 14.2)`), and on
//! the commonest values of categorical features (`merchant_category = travel`); one feature
//! condition a slice, beside its segment conditions.
//!
//! A row's expected misses are the baseline's rate in the same segment values and the same
//! decile (the segment's rate where the baseline has too few labelled rows of the decile there,
//! the decile's where it has too few of the segment, the whole baseline's else), so that a range
//! the model always missed more often is no change; a slice's excess is its misses beyond them.
//!
//! *Search.* One change can hide another: a release that misses most of one device's rows
//! raises the error rate everywhere a range cuts, and hides a rise of a fifth as large on small
//! amounts. So the search goes in rounds, as an explanation table: each round searches the rows
//! no earlier round explained, level-wise as the rates' (segment conditions, and on a slice
//! without a range every range of every feature its positive excess — the bound of any range
//! inside it — allows), and explains the slice whose excess is the most concentrated (the
//! largest excess² / rows, among those significant at 0.05 over the round's slices and worth
//! [`MIN_SHARE`], its error rate at least [`MIN_RISE`] and [`MIN_RELATIVE_RISE`] above its
//! baseline's); its rows leave the next round. A slice's p-value is one-sided — the larger of
//! its excess rate against zero and against the rest's, each counting the baseline rates' own
//! uncertainty — so a range holding nine tenths of the rows is never more concentrated than the
//! tenth it leaves out, and a slice that held still while the rest of the log fell is no rise.
//! A share is over the first round's positive excess of the finest cells of its kind: the
//! tuples for a slice on segment values, the tuples' bins of its feature for one with a feature
//! condition (so each share is at most 1; shares of different kinds need not add up).
//! Each round's slice is then sharpened: from the window on which its excess is most
//! concentrated (its `from`, its rows and effects counted from there), and without a segment
//! condition that says nothing once the time is given (a release standing in for the day it
//! shipped). The rounds' slices are the results, at most [`MAX_ROUNDS`]; a result's
//! `effect_outside` is the error rate of the rows its round searched, outside it.
//!
//! Read from the rows: the cells hold errors per tuple, not per feature value, so a log held
//! as a profile file is not searched for error rates.

mod cut;
mod round;

use rayon::prelude::*;

use cut::{Cut, Ranged, commonest_values, decile_edges};
use round::measured;

use super::rates::{Objective, Tally};
use super::{
    Conditions, Discovery, Evaluated, MAX_EVALUATED, MIN_ROWS, MIN_SHARE, Search, baseline_tuples,
    matches, named, onset,
};
use crate::analysis::onsets;
use crate::analysis::performance::Misses;
use crate::analysis::workspace::ColumnData;
use crate::data::Role;

/// The objective's name.
pub const NAME: &str = "error_rate_increase";
/// Bins per ranged column: the baseline's deciles (fewer where values repeat).
pub const RANGE_BINS: usize = 10;
/// At most this many values of a categorical feature offered as conditions (its commonest).
pub const MAX_VALUE_BINS: usize = 20;
/// At most this many features offer conditions (the first analysed).
pub const MAX_RANGED: usize = 24;
/// A slice's error rate is above its baseline's by at least this much, and by at least
/// [`MIN_RELATIVE_RISE`] of it: on ten million rows a rise of a tenth of a point is significant,
/// and no incident.
pub const MIN_RISE: f64 = 0.01;
pub const MIN_RELATIVE_RISE: f64 = 0.2;
/// At most this many rounds, each one result.
pub const MAX_ROUNDS: usize = 4;
/// At most this many slices evaluated in a round.
const MAX_ROUND: usize = MAX_EVALUATED / 2 / MAX_ROUNDS;

/// A feature condition: bins `lo..hi` of ranged feature `column` (a run of deciles, never all
/// of them; or one value).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Range {
    pub column: usize,
    pub lo: usize,
    pub hi: usize,
}

/// Per row of one side, its tuple (`None` when the index does not cover every row).
fn tuples_of_rows(index: &crate::analysis::profiles::CellIndex, rows: usize) -> Option<Vec<u32>> {
    let slots = index.slots.max(1) as u32;
    (index.cell_of_row.len() == rows).then(|| index.cell_of_row.iter().map(|c| c / slots).collect())
}

/// How concentrated an excess is: excess² / rows (a slice twice the rows must explain √2 times
/// the excess to be as sharp).
fn concentration(excess: f64, rows: f64) -> f64 {
    if excess <= 0.0 {
        return 0.0;
    }
    excess * excess / rows.max(1.0)
}

/// A baseline rate and the variance of its estimate, `r (1 − r) / N` of its `N` labelled rows:
/// a slice's expected misses are uncertain by as much as the log's are where its cells hold
/// as many log rows as baseline rows.
#[derive(Clone, Copy, Debug, Default)]
struct Reference {
    rate: f64,
    var: f64,
}

/// The reference from a tally with enough rows, else `None`.
fn rate(t: &Tally) -> Option<Reference> {
    (t.n >= MIN_ROWS as f64).then(|| {
        let r = t.sum / t.n;
        Reference {
            rate: r,
            var: r * (1.0 - r) / t.n,
        }
    })
}

/// One labelled row more, missed or not.
fn count(t: &mut Tally, missed: bool) {
    t.n += 1.0;
    t.sum += f64::from(u8::from(missed));
}

/// Rows an earlier round explained: the tuples of its slice, within its range, from window
/// `from` on (`0`: all of them).
#[derive(Clone)]
struct Explained {
    within: Vec<bool>,
    range: Option<Range>,
    from: usize,
}

/// A round's slice: the evaluated slice it is, the rows explained before it, and the window
/// from which it holds.
struct Pick {
    evaluated: usize,
    before: Vec<Explained>,
    from: usize,
}

/// A slice's labelled rows and misses, and its misses beyond the expected.
#[derive(Clone, Copy, Default)]
struct SliceTally {
    inside: Tally,
    excess: f64,
}

impl SliceTally {
    fn sharpness(&self) -> f64 {
        concentration(self.excess, self.inside.n)
    }
}

/// One round's tallies of the rows left: per log tuple, and per ranged feature, tuple and bin.
struct Tallies {
    tuples: Vec<Tally>,
    bins: Vec<Vec<Vec<Tally>>>,
}

/// What the search and its results read: the misses, each log row's tuple, the tuples' baseline
/// rates, the ranged features.
pub(super) struct Errors<'a> {
    misses: Misses,
    /// Per log row, its timed cell (tuple × slot).
    cell_of_row: &'a [u32],
    /// The log's labelled rows (with a prediction), in order.
    labelled: Vec<u32>,
    slots: usize,
    windows: usize,
    /// Per log tuple, the baseline's rate in its segment values.
    refs: Vec<Reference>,
    whole_rate: f64,
    ranged: Vec<Ranged>,
    /// The rounds' slices (indices into the evaluated slices), each with the rows explained
    /// before it; filled by [`Errors::search`].
    picks: Vec<Pick>,
}

impl<'a> Errors<'a> {
    /// `None` without misses on both sides, without enough labelled baseline rows, or when the
    /// cells do not index every row.
    pub fn new(search: &Search<'a>, misses: Misses) -> Option<Self> {
        let cells = search.ws.cells.as_ref()?;
        let (tlog, tbase) = (search.tlog, &cells.timed().baseline);
        if tlog.index.cell_of_row.len() != misses.log.len() {
            return None;
        }
        let base_tuple = tuples_of_rows(&tbase.index, misses.baseline.len())?;
        let labelled: Vec<u32> = (0..misses.log.len() as u32)
            .filter(|&r| misses.log[r as usize].is_some())
            .collect();
        let (nt, nbt) = (tlog.index.tuples.len(), tbase.index.tuples.len());
        let mut base = vec![Tally::default(); nbt];
        for (m, &t) in misses.baseline.iter().zip(&base_tuple) {
            if let (Some(m), Some(x)) = (m, base.get_mut(t as usize)) {
                count(x, *m);
            }
        }
        let mut whole = Tally::default();
        base.iter().for_each(|t| whole.add(t));
        let whole_rate = rate(&whole)?;
        let to_base = baseline_tuples(&tlog.index, &tbase.index);
        let refs: Vec<Reference> = to_base
            .iter()
            .map(|bt| bt.and_then(|bt| rate(&base[bt])).unwrap_or(whole_rate))
            .collect();

        let features: Vec<&'a ColumnData> = search
            .ws
            .prepared
            .iter()
            .filter(|p| p.role == Role::Feature && !search.segments.contains(&p.name))
            .filter(|p| match &p.data {
                ColumnData::Numeric {
                    baseline, current, ..
                } => current.len() == misses.log.len() && baseline.len() == misses.baseline.len(),
                ColumnData::Categorical {
                    baseline, current, ..
                } => current.len() == misses.log.len() && baseline.len() == misses.baseline.len(),
            })
            .take(MAX_RANGED)
            .map(|p| &p.data)
            .collect();
        let names: Vec<&str> = search
            .ws
            .prepared
            .iter()
            .filter(|p| features.iter().any(|f| std::ptr::eq(*f, &p.data)))
            .map(|p| p.name.as_str())
            .collect();
        let ranged: Vec<Ranged> = features
            .par_iter()
            .zip(names.par_iter())
            .filter_map(|(&data, &name)| {
                let cut = match data {
                    ColumnData::Numeric { baseline, .. } => Cut::Deciles(decile_edges(baseline)),
                    ColumnData::Categorical {
                        labels, current, ..
                    } => commonest_values(labels, current, &labelled),
                };
                let mut r = Ranged {
                    name: name.to_owned(),
                    cut,
                    bins_of: Vec::new(),
                    refs: Vec::new(),
                };
                // One bin is the whole column: nothing to cut.
                if r.bins() < 2 {
                    return None;
                }
                // At most `RANGE_BINS` + 1 or `MAX_VALUE_BINS` + 2 bins: a byte each.
                let (bin_log, bin_base): (Vec<u8>, Vec<usize>) = match data {
                    ColumnData::Numeric {
                        baseline, current, ..
                    } => (
                        labelled
                            .iter()
                            .map(|&row| r.bin_of(current.get(row as usize)) as u8)
                            .collect(),
                        (0..baseline.len())
                            .map(|row| r.bin_of(baseline.get(row)))
                            .collect(),
                    ),
                    ColumnData::Categorical {
                        baseline, current, ..
                    } => (
                        labelled
                            .iter()
                            .map(|&row| r.bin_of_code(current.get(row as usize)) as u8)
                            .collect(),
                        baseline.iter().map(|c| r.bin_of_code(c)).collect(),
                    ),
                };
                r.bins_of = bin_log;
                let bins = r.bins() + 1;
                let mut own = vec![vec![Tally::default(); bins]; nbt];
                for ((m, &t), &b) in misses.baseline.iter().zip(&base_tuple).zip(&bin_base) {
                    if let (Some(m), Some(x)) = (m, own.get_mut(t as usize)) {
                        count(&mut x[b], *m);
                    }
                }
                let mut whole_bins = vec![Tally::default(); bins];
                for t in &own {
                    for (w, x) in whole_bins.iter_mut().zip(t) {
                        w.add(x);
                    }
                }
                r.refs = (0..nt)
                    .map(|t| {
                        let own = to_base[t].map(|bt| &own[bt]);
                        (0..bins)
                            .map(|b| {
                                own.and_then(|o| rate(&o[b]))
                                    .or_else(|| rate(&whole_bins[b]))
                                    .unwrap_or(refs[t])
                            })
                            .collect()
                    })
                    .collect();
                Some(r)
            })
            .collect();
        Some(Self {
            misses,
            cell_of_row: &tlog.index.cell_of_row,
            labelled,
            slots: tlog.index.slots.max(1),
            windows: search.windows,
            refs,
            whole_rate: whole_rate.rate,
            ranged,
            picks: Vec::new(),
        })
    }

    /// Log row `row`'s tuple and slot.
    fn at(&self, row: usize) -> (usize, usize) {
        let c = self.cell_of_row[row] as usize;
        (c / self.slots, c % self.slots)
    }

    /// The bin of the `k`-th labelled row on ranged feature `j`.
    fn bin(&self, j: usize, k: usize) -> usize {
        usize::from(self.ranged[j].bins_of[k])
    }

    /// Whether the `k`-th labelled row is in a slice of `explained`.
    fn explained(&self, k: usize, explained: &[Explained]) -> bool {
        let (t, w) = self.at(self.labelled[k] as usize);
        explained.iter().any(|x| {
            x.within.get(t).copied().unwrap_or(false)
                && (x.from == 0 || (x.from..self.windows).contains(&w))
                && x.range
                    .is_none_or(|r| (r.lo..r.hi).contains(&self.bin(r.column, k)))
        })
    }

    /// The labelled rows no slice of `explained` holds, tallied (each feature in parallel).
    fn tallies(&self, tuples: usize, explained: &[Explained]) -> Tallies {
        // (position among the labelled rows, missed, tuple) of every labelled row left.
        let left: Vec<(u32, bool, u32)> = (0..self.labelled.len())
            .filter(|&k| !self.explained(k, explained))
            .filter_map(|k| {
                let r = self.labelled[k] as usize;
                Some((k as u32, self.misses.log[r]?, self.at(r).0 as u32))
            })
            .collect();
        let rows = || left.iter().map(|&(k, m, t)| (k as usize, m, t as usize));
        let mut per_tuple = vec![Tally::default(); tuples];
        for (_, m, t) in rows() {
            if let Some(x) = per_tuple.get_mut(t) {
                count(x, m);
            }
        }
        let bins = self
            .ranged
            .par_iter()
            .map(|ranged| {
                let mut out = vec![vec![Tally::default(); ranged.bins() + 1]; tuples];
                for (k, m, t) in rows() {
                    if let Some(x) = out.get_mut(t) {
                        count(&mut x[usize::from(ranged.bins_of[k])], m);
                    }
                }
                out
            })
            .collect();
        Tallies {
            tuples: per_tuple,
            bins,
        }
    }

    /// The objective, appended to `objectives`, and its slices, round by round (see the
    /// module's description).
    pub fn search(
        &mut self,
        search: &Search,
        objectives: &mut Vec<Objective>,
        evaluated: &mut Vec<Evaluated>,
    ) {
        let tuples = search.tlog.index.tuples.len();
        let first = self.tallies(tuples, &[]);
        // The change: the positive excesses of the finest cells — the tuples for a slice on
        // segment values, the tuples' bins of the feature a feature condition is on.
        let mut totals: Vec<f64> = vec![
            (first.tuples.iter().zip(&self.refs))
                .map(|(x, r)| (x.sum - x.n * r.rate).max(0.0))
                .sum(),
        ];
        for (r, bins) in self.ranged.iter().zip(&first.bins) {
            totals.push(
                (0..tuples)
                    .map(|t| r.positive_excess(t, &bins[t], true))
                    .sum(),
            );
        }
        if totals[0] <= 0.0 {
            return;
        }
        let o = objectives.len();
        objectives.push(Objective {
            name: NAME,
            column: self.misses.label.clone(),
            sign: 1.0,
            baseline: self.whole_rate,
            refs: Vec::new(),
            tallies: Vec::new(),
            timed: Vec::new(),
            share: true,
            drift: false,
            baseline_sd: None,
        });
        let mut explained: Vec<Explained> = Vec::new();
        let mut left = first;
        for _round in 0..MAX_ROUNDS {
            let start = evaluated.len();
            self.round(search, o, &left, &totals, evaluated);
            let m = (evaluated.len() - start).max(1) as f64;
            let sharpness =
                |e: &Evaluated| concentration(e.inside.sum - e.reference * e.inside.n, e.inside.n);
            let large = |e: &Evaluated| {
                let rise = e.inside.sum / e.inside.n.max(1.0) - e.reference;
                rise >= MIN_RISE.max(MIN_RELATIVE_RISE * e.reference)
            };
            let best = (start..evaluated.len())
                .filter(|&i| {
                    let e = &evaluated[i];
                    e.share >= MIN_SHARE && e.p * m <= 0.05 && large(e)
                })
                .max_by(|&a, &b| sharpness(&evaluated[a]).total_cmp(&sharpness(&evaluated[b])));
            let Some(best) = best else { break };
            let (conditions, range) = (evaluated[best].conditions.clone(), evaluated[best].range);
            let (conditions, from, slice) = self.refine(search, conditions, range, &explained);
            let pick = if from == 0 && conditions == evaluated[best].conditions {
                best
            } else {
                // The sharpened slice, measured against the rest of the rows left.
                let mut all = Tally::default();
                left.tuples.iter().for_each(|x| all.add(x));
                let var = self.reference_variance(search, &conditions, range, from, &explained);
                evaluated.push(measured(
                    (o, conditions.clone(), range),
                    slice.inside,
                    (slice.excess, var),
                    (&all, &self.families(&left)),
                    &totals,
                ));
                evaluated.len() - 1
            };
            self.picks.push(Pick {
                evaluated: pick,
                before: explained.clone(),
                from,
            });
            explained.push(Explained {
                within: self.within(search, &conditions),
                range,
                from,
            });
            left = self.tallies(tuples, &explained);
        }
    }

    /// The tuples a slice's segment conditions hold.
    fn within(&self, search: &Search, conditions: &Conditions) -> Vec<bool> {
        search
            .tlog
            .index
            .tuples
            .iter()
            .map(|t| matches(t, conditions, &search.at_timed))
            .collect()
    }

    /// The rounds' slices, first round first.
    pub fn picks(&self) -> Vec<usize> {
        self.picks.iter().map(|p| p.evaluated).collect()
    }

    /// A slice (rows not in `before`) per window: labelled rows and misses, and the excess.
    /// The last entry: rows in no window.
    fn per_window(
        &self,
        within: &[bool],
        range: Option<Range>,
        before: &[Explained],
    ) -> Vec<(Tally, f64)> {
        let mut out = vec![(Tally::default(), 0.0); self.windows + 1];
        for (k, &row) in self.labelled.iter().enumerate() {
            let row = row as usize;
            let Some(m) = self.misses.log[row] else {
                continue;
            };
            let (t, w) = self.at(row);
            if !within.get(t).copied().unwrap_or(false) {
                continue;
            }
            let expected = match range {
                Some(r) => {
                    let b = self.bin(r.column, k);
                    if !(r.lo..r.hi).contains(&b) {
                        continue;
                    }
                    self.ranged[r.column].refs[t][b].rate
                }
                None => self.refs[t].rate,
            };
            if self.explained(k, before) {
                continue;
            }
            let x = &mut out[w.min(self.windows)];
            count(&mut x.0, m);
            x.1 += f64::from(u8::from(m)) - expected;
        }
        out
    }

    /// Of a slice from each window on, the one whose excess is most concentrated (the earliest
    /// of equals; `0`: all of it, the rows in no window too).
    fn best_start(
        &self,
        within: &[bool],
        range: Option<Range>,
        before: &[Explained],
    ) -> (usize, SliceTally) {
        let per_window = self.per_window(within, range, before);
        let mut best = (0, SliceTally::default());
        let mut from_here = SliceTally::default();
        for w in (0..=self.windows).rev() {
            from_here.inside.add(&per_window[w].0);
            from_here.excess += per_window[w].1;
            // From window `w` on: the windows alone (the rows in no window only in all of it).
            let candidate = if w == 0 {
                from_here
            } else {
                SliceTally {
                    inside: Tally {
                        n: from_here.inside.n - per_window[self.windows].0.n,
                        sum: from_here.inside.sum - per_window[self.windows].0.sum,
                        m2: 0.0,
                    },
                    excess: from_here.excess - per_window[self.windows].1,
                }
            };
            if w == self.windows || candidate.inside.n < MIN_ROWS as f64 {
                continue;
            }
            if candidate.sharpness() >= best.1.sharpness() {
                best = (w, candidate);
            }
        }
        best
    }

    /// A round's slice sharpened: from the window on which its excess is most concentrated,
    /// and without each segment condition that says nothing once the time is given (≥ 95 % of
    /// the concentration without it: a release standing in for the day it shipped).
    fn refine(
        &self,
        search: &Search,
        mut conditions: Conditions,
        range: Option<Range>,
        before: &[Explained],
    ) -> (Conditions, usize, SliceTally) {
        let (mut from, mut slice) =
            self.best_start(&self.within(search, &conditions), range, before);
        loop {
            let mut better: Option<(Conditions, usize, SliceTally)> = None;
            for k in 0..conditions.len() {
                let mut fewer = conditions.clone();
                fewer.remove(k);
                if fewer.is_empty() && range.is_none() {
                    continue;
                }
                let (w, s) = self.best_start(&self.within(search, &fewer), range, before);
                if s.sharpness() >= 0.95 * slice.sharpness()
                    && better
                        .as_ref()
                        .is_none_or(|b| s.sharpness() > b.2.sharpness())
                {
                    better = Some((fewer, w, s));
                }
            }
            match better {
                Some((c, w, s)) => (conditions, from, slice) = (c, w, s),
                None => return (conditions, from, slice),
            }
        }
    }

    /// Per kind of slice (as the totals: the tuples, then each ranged feature's deciles), the
    /// excess of the rows `left` and its expected misses' variance.
    fn families(&self, left: &Tallies) -> Vec<(f64, f64)> {
        let cell = |acc: (f64, f64), x: &Tally, r: &Reference| {
            (acc.0 + x.sum - x.n * r.rate, acc.1 + x.n * x.n * r.var)
        };
        let mut out =
            vec![(left.tuples.iter().zip(&self.refs)).fold((0.0, 0.0), |a, (x, r)| cell(a, x, r))];
        for (ranged, bins) in self.ranged.iter().zip(&left.bins) {
            let mut acc = (0.0, 0.0);
            for (t, per_bin) in bins.iter().enumerate() {
                for (x, r) in per_bin.iter().zip(&ranged.refs[t]) {
                    acc = cell(acc, x, r);
                }
            }
            out.push(acc);
        }
        out
    }

    /// The variance of a slice's expected misses (from window `from` on, the rows `before`
    /// explained left out): `Σ n² r (1 − r) / N` over its cells (tuple, or tuple × decile).
    fn reference_variance(
        &self,
        search: &Search,
        conditions: &Conditions,
        range: Option<Range>,
        from: usize,
        before: &[Explained],
    ) -> f64 {
        let this = Explained {
            within: self.within(search, conditions),
            range,
            from,
        };
        let bins = range.map_or(1, |r| self.ranged[r.column].bins() + 1);
        let mut n = vec![0.0; self.refs.len() * bins];
        for k in 0..self.labelled.len() {
            if self.explained(k, std::slice::from_ref(&this)) && !self.explained(k, before) {
                let t = self.at(self.labelled[k] as usize).0;
                let b = range.map_or(0, |r| self.bin(r.column, k));
                n[t * bins + b] += 1.0;
            }
        }
        n.iter()
            .enumerate()
            .map(|(k, n)| {
                let (t, b) = (k / bins, k % bins);
                let r = match range {
                    Some(r) => self.ranged[r.column].refs[t][b],
                    None => self.refs[t],
                };
                n * n * r.var
            })
            .sum()
    }

    /// A round's slice as a result, its onset the largest rise of its per-window error rate on
    /// the rows the round searched (the rows read once).
    pub fn result(
        &self,
        search: &Search,
        obj: &Objective,
        i: usize,
        e: &Evaluated,
        q: f64,
    ) -> Discovery {
        let pick = self.picks.iter().find(|p| p.evaluated == i);
        let (before, from) = pick.map_or((&[][..], 0), |p| (p.before.as_slice(), p.from));
        let per_window = self.per_window(&self.within(search, &e.conditions), e.range, before);
        let series: Vec<Option<f64>> = per_window
            .iter()
            .take(self.windows)
            .map(|(t, _)| (t.n >= onsets::MIN_WINDOW_ROWS as f64).then(|| t.sum / t.n))
            .collect();
        // A slice from a window on starts there; else where its error rate rose most.
        let start = if from > 0 {
            Some(from)
        } else {
            onset(&series, onsets::min_effect("error_rate", None))
        };
        let mut conditions = named(&e.conditions, search.segments);
        if let Some(r) = e.range {
            conditions.push(self.ranged[r.column].condition(&r));
        }
        super::rates::discovery(obj, e, conditions, start.and_then(|w| search.start(w)), q)
    }
}
