//! Mergeable profiles of one column: what a set of rows holds, as counts on a bucket grid fixed
//! by the baseline, so that any union of rows is measured by adding counts — the accumulator
//! pattern of a query engine (`update` per value or batch, `merge` of partial states, `evaluate`
//! at the end; DataFusion's `Accumulator`).
//!
//! **The grid.** A numeric column's grid is a sorted list of distinct edges `e_0 < … < e_{k-1}`:
//! every cut point any reference bins on, the baseline's minimum and maximum, and either every
//! distinct baseline value (when there are few enough) or baseline order statistics at evenly
//! spaced ranks. A value falls in one of `2k + 1` slots: the open gaps `(-inf, e_0)`,
//! `(e_0, e_1)`, …, `(e_{k-1}, +inf)` and the points `e_i` themselves (slot `2i + 1`). Each slot
//! holds a count and a sum.
//!
//! **What is exact.** Every binned statistic (PSI, both KLs, Jensen–Shannon, Hellinger, L∞, the
//! bin counts) is exact from the profile, since every cut is an edge. The ECDFs of both sides are
//! exact at every edge, so the Kolmogorov–Smirnov D is exact unless both sides have values inside
//! the same gap, where it can lie above what the edges show; then D is an interval, and so is its
//! p-value (which depends on D, n and m alone). Wasserstein-1 is exact on every gap where the two
//! ECDFs do not cross (the integral of an ECDF over a gap follows from the count and sum of the
//! values in it), an interval elsewhere. When the grid holds every distinct baseline value, the
//! baseline has no value inside a gap, so KS is always exact, and Wasserstein is exact except on
//! gaps where the current ECDF crosses the baseline's level. Quantiles are exact when the order
//! statistic lies on an edge, at the extremes, or alone in its gap; otherwise they are estimated
//! inside their gap and said to be. Mean, standard deviation (Chan et al.'s pairwise update),
//! minimum, maximum, missing and non-finite counts are exact (up to rounding order).

use serde::{Deserialize, Serialize};

use super::ks;
use super::summary::Summary;

/// The bucket grid of one numeric column.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    /// Sorted, distinct, finite edges.
    pub edges: Vec<f64>,
    /// Every distinct baseline value is an edge.
    pub every_baseline_value: bool,
    /// A lookup of where to start searching for a value: `lookup[b]` edges lie below bucket `b`
    /// of equal-width buckets between the first and the last edge (rebuilt, not stored).
    #[serde(skip)]
    lookup: Vec<u32>,
}

/// Equal-width lookup buckets per edge.
const LOOKUP_PER_EDGE: usize = 4;

impl Grid {
    /// A grid for a sorted baseline: `cuts` (every reference's cut points) plus at most
    /// `max_edges` baseline values (all distinct values when there are no more than that).
    pub fn new(baseline_sorted: &[f64], cuts: &[f64], max_edges: usize) -> Self {
        let finite: Vec<f64> = baseline_sorted
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .collect();
        let mut distinct = finite.clone();
        distinct.dedup();
        let every = distinct.len() <= max_edges.max(2);
        let mut edges: Vec<f64> = if every {
            distinct
        } else {
            // Order statistics at evenly spaced ranks, the extremes included.
            let n = finite.len();
            let k = max_edges.max(2);
            (0..k).map(|i| finite[(i * (n - 1)) / (k - 1)]).collect()
        };
        edges.extend(cuts.iter().copied().filter(|c| c.is_finite()));
        edges.sort_by(f64::total_cmp);
        edges.dedup();
        Self::from_edges(edges, every)
    }

    /// A grid on given sorted, distinct, finite edges (as read back from a file).
    pub fn from_edges(edges: Vec<f64>, every_baseline_value: bool) -> Self {
        let mut grid = Self {
            edges,
            every_baseline_value,
            lookup: Vec::new(),
        };
        if let (Some(&lo), Some(&hi)) = (grid.edges.first(), grid.edges.last())
            && hi > lo
            && (hi - lo).is_finite()
        {
            let buckets = grid.edges.len() * LOOKUP_PER_EDGE;
            let width = (hi - lo) / buckets as f64;
            grid.lookup = (0..=buckets)
                .map(|b| grid.edges.partition_point(|&e| e < lo + width * b as f64) as u32)
                .collect();
        }
        grid
    }

    /// How many edges lie below `x` (`partition_point(e < x)`), from the lookup when it holds.
    fn edges_below(&self, x: f64) -> usize {
        let e = &self.edges;
        if self.lookup.len() >= 2
            && let (Some(&lo), Some(&hi)) = (e.first(), e.last())
            && x > lo
            && x <= hi
        {
            let buckets = self.lookup.len() - 1;
            let b = (((x - lo) / (hi - lo)) * buckets as f64) as usize;
            let b = b.min(buckets - 1);
            let start = (self.lookup[b] as usize).saturating_sub(1);
            let end = (self.lookup[b + 1] as usize + 1).min(e.len());
            let i = start + e[start..end].partition_point(|&v| v < x);
            // The bucket is a hint: confirm it, else search the whole grid.
            if (i == 0 || e[i - 1] < x) && (i == e.len() || e[i] >= x) {
                return i;
            }
        }
        e.partition_point(|&v| v < x)
    }

    /// A coarser grid whose edges are some of these: the first and last, every one in `keep`
    /// (cut points), and every `m`-th of the rest so that about `max_edges` remain. Every slot of
    /// this grid then lies inside one slot of the coarser one ([`Grid::slot_map`]).
    pub fn coarsen(&self, keep: &[f64], max_edges: usize) -> Grid {
        let n = self.edges.len();
        let step = n.div_ceil(max_edges.max(2)).max(1);
        if step == 1 {
            return self.clone();
        }
        let edges: Vec<f64> = self
            .edges
            .iter()
            .enumerate()
            .filter(|&(i, e)| i == 0 || i + 1 == n || i % step == 0 || keep.contains(e))
            .map(|(_, &e)| e)
            .collect();
        Grid::from_edges(edges, false)
    }

    /// For every slot of this grid, the slot of `coarse` (made by [`Grid::coarsen`]) holding it.
    pub fn slot_map(&self, coarse: &Grid) -> Vec<u32> {
        (0..self.slots())
            .map(|slot| {
                let (lo, hi) = self.bounds(slot);
                let inside = if slot % 2 == 1 {
                    lo
                } else if lo.is_finite() && hi.is_finite() {
                    lo / 2.0 + hi / 2.0
                } else if hi.is_finite() {
                    hi - hi.abs().max(1.0)
                } else if lo.is_finite() {
                    lo + lo.abs().max(1.0)
                } else {
                    0.0
                };
                coarse.slot(inside) as u32
            })
            .collect()
    }

    /// Number of slots: the gaps and the points.
    pub fn slots(&self) -> usize {
        2 * self.edges.len() + 1
    }

    /// The slot of a finite value.
    pub fn slot(&self, x: f64) -> usize {
        let i = self.edges_below(x);
        if i < self.edges.len() && self.edges[i] == x {
            2 * i + 1
        } else {
            2 * i
        }
    }

    /// Where the bin boundaries of `cuts` (each an edge) fall in slot order: bin `j` holds the
    /// slots from `boundaries[j-1]` (or 0) up to, not including, `boundaries[j]` — a value on a
    /// cut belongs to the bin above it, as `searchsorted(cuts, x, side='right')` puts it.
    /// `None` when a cut is not an edge of this grid.
    pub fn bin_boundaries(&self, cuts: &[f64]) -> Option<Vec<usize>> {
        cuts.iter()
            .map(|&c| {
                let i = self.edges.partition_point(|&e| e < c);
                (i < self.edges.len() && self.edges[i] == c).then_some(2 * i + 1)
            })
            .collect()
    }

    /// The open interval of a gap slot (`-inf`/`+inf` at the ends), or the point of a point slot.
    pub fn bounds(&self, slot: usize) -> (f64, f64) {
        let k = self.edges.len();
        if slot % 2 == 1 {
            let e = self.edges[slot / 2];
            return (e, e);
        }
        let i = slot / 2;
        let lo = if i == 0 {
            f64::NEG_INFINITY
        } else {
            self.edges[i - 1]
        };
        let hi = if i == k { f64::INFINITY } else { self.edges[i] };
        (lo, hi)
    }
}

/// One numeric column over some rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NumericProfile {
    /// All rows, missing ones included.
    pub rows: u64,
    /// Null or NaN.
    pub missing: u64,
    /// +inf or −inf: counted, and left out of every other statistic.
    pub non_finite: u64,
    /// Finite values (the sum of `counts`).
    pub values: u64,
    /// Per slot of the grid: how many finite values, and their sum.
    pub counts: Vec<u64>,
    pub sums: Vec<f64>,
    /// Of the finite values (`+inf`/`-inf` when there are none).
    pub min: f64,
    pub max: f64,
    /// Mean and sum of squared deviations of the finite values.
    pub mean: f64,
    pub m2: f64,
}

impl NumericProfile {
    pub fn empty(grid: &Grid) -> Self {
        Self {
            rows: 0,
            missing: 0,
            non_finite: 0,
            values: 0,
            counts: vec![0; grid.slots()],
            sums: vec![0.0; grid.slots()],
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            mean: 0.0,
            m2: 0.0,
        }
    }

    /// Finite values profiled.
    pub fn n(&self) -> u64 {
        self.values
    }

    /// Adds one row (`None` = missing).
    pub fn update(&mut self, grid: &Grid, value: Option<f64>) {
        let slot = value.filter(|x| x.is_finite()).map_or(0, |x| grid.slot(x));
        self.update_at(slot, value);
    }

    /// Adds one row whose value (when finite) lies in `slot` of this profile's grid.
    pub fn update_at(&mut self, slot: usize, value: Option<f64>) {
        self.rows += 1;
        match value {
            None => self.missing += 1,
            Some(x) if x.is_nan() => self.missing += 1,
            Some(x) if !x.is_finite() => self.non_finite += 1,
            Some(x) => {
                let s = slot;
                self.counts[s] += 1;
                self.sums[s] += x;
                self.min = self.min.min(x);
                self.max = self.max.max(x);
                self.values += 1;
                // Welford's update.
                let n = self.values as f64;
                let delta = x - self.mean;
                self.mean += delta / n;
                self.m2 += delta * (x - self.mean);
            }
        }
    }

    /// Adds another profile on the same grid.
    pub fn merge(&mut self, other: &NumericProfile) {
        let (na, nb) = (self.n() as f64, other.n() as f64);
        if nb > 0.0 {
            // Chan, Golub and LeVeque's pairwise combination.
            let n = na + nb;
            let delta = other.mean - self.mean;
            self.mean += delta * nb / n;
            self.m2 += other.m2 + delta * delta * na * nb / n;
        }
        self.rows += other.rows;
        self.missing += other.missing;
        self.non_finite += other.non_finite;
        self.values += other.values;
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        for (a, b) in self.sums.iter_mut().zip(&other.sums) {
            *a += b;
        }
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// This profile without the rows of `part` (a profile of a subset of its rows): counts,
    /// sums and moments subtract exactly; the extremes are taken from the slots that remain.
    pub fn without(&self, part: &NumericProfile, grid: &Grid) -> NumericProfile {
        let mut out = self.clone();
        let (n, nb) = (self.n() as f64, part.n() as f64);
        out.rows -= part.rows.min(out.rows);
        out.missing -= part.missing.min(out.missing);
        out.non_finite -= part.non_finite.min(out.non_finite);
        for (a, b) in out.counts.iter_mut().zip(&part.counts) {
            *a -= (*b).min(*a);
        }
        out.values = out.counts.iter().sum();
        for ((a, b), c) in out.sums.iter_mut().zip(&part.sums).zip(&out.counts) {
            *a = if *c == 0 { 0.0 } else { *a - b };
        }
        let na = n - nb;
        if na > 0.0 {
            let mean_a = (self.mean * n - part.mean * nb) / na;
            let delta = part.mean - mean_a;
            out.mean = mean_a;
            out.m2 = (self.m2 - part.m2 - delta * delta * na * nb / n).max(0.0);
        } else {
            out.mean = 0.0;
            out.m2 = 0.0;
        }
        // Extremes: an edge bounds them; where the slot that held the extreme is gone, the
        // nearest remaining slot's bound is used (exact on points, a bound in gaps).
        let first = out.counts.iter().position(|&c| c > 0);
        let last = out.counts.iter().rposition(|&c| c > 0);
        match (first, last) {
            (Some(f), Some(l)) => {
                let (flo, fhi) = grid.bounds(f);
                let (llo, lhi) = grid.bounds(l);
                out.min = if f % 2 == 1 {
                    flo
                } else {
                    self.min.max(flo).min(fhi)
                };
                out.max = if l % 2 == 1 {
                    lhi
                } else {
                    self.max.min(lhi).max(llo)
                };
            }
            _ => {
                out.min = f64::INFINITY;
                out.max = f64::NEG_INFINITY;
            }
        }
        out
    }

    /// Counts on the bins whose boundaries [`Grid::bin_boundaries`] gave.
    pub fn bin_counts(&self, boundaries: &[usize]) -> Vec<u64> {
        let mut out = Vec::with_capacity(boundaries.len() + 1);
        let mut start = 0usize;
        for &b in boundaries {
            out.push(self.counts[start..b.max(start)].iter().sum());
            start = b.max(start);
        }
        out.push(self.counts[start..].iter().sum());
        out
    }

    /// Sample standard deviation (ddof = 1) and population one (ddof = 0).
    pub fn std(&self, ddof: u64) -> Option<f64> {
        let n = self.n();
        (n > ddof).then(|| (self.m2 / (n - ddof) as f64).sqrt())
    }

    /// The summary (mean, std, extremes, quartiles); quartiles exact or estimated, see
    /// [`Self::quantile`]. `None` without values. The flag says whether all of it is exact.
    pub fn summary(&self, grid: &Grid, gathered: Option<&SlotValues>) -> Option<(Summary, bool)> {
        let n = self.n();
        if n == 0 {
            return None;
        }
        let q = |p: f64| self.quantile(grid, p, gathered);
        let (q25, e25) = q(0.25)?;
        let (median, e50) = q(0.5)?;
        let (q75, e75) = q(0.75)?;
        Some((
            Summary {
                count: n as usize,
                mean: self.mean,
                std: self.std(1),
                min: self.min,
                max: self.max,
                q25,
                median,
                q75,
            },
            e25 && e50 && e75,
        ))
    }

    /// The `k`-th smallest finite value (0-based) and whether it is exact: exact on a point slot,
    /// at the extremes, alone in its gap (its sum is the value), or in a gap whose values were
    /// gathered; otherwise the `j`-th of `g` values in a gap `(a, b)` is placed at
    /// `a + (b − a)(j + ½)/g`, clamped to the extremes.
    pub fn order_statistic(
        &self,
        grid: &Grid,
        k: u64,
        gathered: Option<&SlotValues>,
    ) -> Option<(f64, bool)> {
        let n = self.n();
        if k >= n {
            return None;
        }
        if k == 0 {
            return Some((self.min, true));
        }
        if k == n - 1 {
            return Some((self.max, true));
        }
        let mut before = 0u64;
        for (slot, &c) in self.counts.iter().enumerate() {
            if k < before + c {
                let (lo, hi) = grid.bounds(slot);
                if slot % 2 == 1 {
                    return Some((lo, true));
                }
                if c == 1 {
                    return Some((self.sums[slot], true));
                }
                if let Some(v) = gathered
                    .and_then(|g| g.get(slot))
                    .and_then(|v| v.get((k - before) as usize))
                {
                    return Some((*v, true));
                }
                let (lo, hi) = (lo.max(self.min), hi.min(self.max));
                let j = (k - before) as f64;
                let x = lo + (hi - lo) * (j + 0.5) / c as f64;
                return Some((x.clamp(self.min, self.max), false));
            }
            before += c;
        }
        None
    }

    /// The slot that holds the `k`-th smallest finite value (0-based).
    pub fn slot_of_rank(&self, k: u64) -> Option<usize> {
        let mut before = 0u64;
        for (slot, &c) in self.counts.iter().enumerate() {
            if k < before + c {
                return Some(slot);
            }
            before += c;
        }
        None
    }

    /// `numpy.quantile(values, q)` (linear), from the order statistics it interpolates.
    pub fn quantile(
        &self,
        grid: &Grid,
        q: f64,
        gathered: Option<&SlotValues>,
    ) -> Option<(f64, bool)> {
        let n = self.n();
        if n == 0 {
            return None;
        }
        let h = q * (n - 1) as f64;
        let lo = h.floor();
        let lo_idx = (lo as u64).min(n - 1);
        let hi_idx = (lo_idx + 1).min(n - 1);
        let t = h - lo;
        let (a, ea) = self.order_statistic(grid, lo_idx, gathered)?;
        let (b, eb) = self.order_statistic(grid, hi_idx, gathered)?;
        let diff = b - a;
        let v = if t >= 0.5 {
            b - diff * (1.0 - t)
        } else {
            a + diff * t
        };
        Some((v, ea && (eb || t == 0.0)))
    }
}

/// A value that is known exactly, or only to lie in `[lo, hi]`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bounded {
    /// The value when exact; the interval's midpoint otherwise.
    pub value: f64,
    pub lo: f64,
    pub hi: f64,
}

impl Bounded {
    pub fn exact(value: f64) -> Self {
        Self {
            value,
            lo: value,
            hi: value,
        }
    }

    pub fn between(lo: f64, hi: f64) -> Self {
        if lo == hi {
            return Self::exact(lo);
        }
        Self {
            value: 0.5 * (lo + hi),
            lo,
            hi,
        }
    }

    pub fn is_exact(&self) -> bool {
        self.lo == self.hi
    }
}

/// The two-sample KS test from two profiles on one grid, as `ks_2samp(baseline, current)` would
/// give from the rows: D, its p-value, and the location of D (an edge; within a gap, its upper
/// edge). `None` when a side has no values.
pub struct KsBounds {
    pub statistic: Bounded,
    pub pvalue: Bounded,
    pub method: ks::KsMethod,
    pub location: f64,
}

pub fn ks_from_profiles(
    grid: &Grid,
    baseline: &NumericProfile,
    current: &NumericProfile,
    gathered: Option<&Gathered>,
) -> Option<KsBounds> {
    let (n1, n2) = (baseline.n(), current.n());
    if n1 == 0 || n2 == 0 {
        return None;
    }
    let (fa, fb) = (n1 as f64, n2 as f64);
    let diff = |i: u64, j: u64| i as f64 / fa - j as f64 / fb;
    let (mut i, mut j) = (0u64, 0u64);
    let mut d_lo = 0.0f64;
    let mut d_hi = 0.0f64;
    let mut location = grid.edges.first().copied().unwrap_or(0.0);
    for (slot, (&cb, &cc)) in baseline.counts.iter().zip(&current.counts).enumerate() {
        if cb == 0 && cc == 0 {
            continue;
        }
        let (i0, j0) = (i, j);
        i += cb;
        j += cc;
        let d = diff(i, j).abs();
        if d > d_lo {
            d_lo = d;
            let (_, hi) = grid.bounds(slot);
            location = if hi.is_finite() {
                hi
            } else {
                current.max.max(baseline.max)
            };
        }
        if slot % 2 == 0 && cb > 0 && cc > 0 {
            // Both sides inside one gap: the ECDFs may part further between the edges — by
            // how much, the gathered values of the gap say exactly; else it is bounded.
            match gathered.and_then(|g| g.both(slot)) {
                Some((vb, vc)) => {
                    if let Some((d, x)) = gap_sup(vb, vc, i0, j0, &diff)
                        && d > d_lo
                    {
                        d_lo = d;
                        location = x;
                    }
                }
                None => d_hi = d_hi.max(diff(i, j0)).max(-diff(i0, j)),
            }
        }
    }
    let d_hi = d_hi.max(d_lo).min(1.0);
    let (n1, n2) = (n1 as usize, n2 as usize);
    let (lo_d, p_at_lo, method) = ks::pvalue_of_statistic(n1, n2, d_lo);
    if d_hi == d_lo {
        return Some(KsBounds {
            statistic: Bounded::exact(lo_d),
            pvalue: Bounded::exact(p_at_lo),
            method,
            location,
        });
    }
    let (hi_d, p_at_hi, _) = ks::pvalue_of_statistic(n1, n2, d_hi);
    Some(KsBounds {
        statistic: Bounded::between(lo_d, hi_d),
        pvalue: Bounded::between(p_at_hi, p_at_lo),
        method,
        location,
    })
}

/// The largest ECDF distance at the values inside one gap, from both sides' sorted values there
/// and the counts below the gap, with the value where it is reached.
fn gap_sup(
    vb: &[f64],
    vc: &[f64],
    i0: u64,
    j0: u64,
    diff: &impl Fn(u64, u64) -> f64,
) -> Option<(f64, f64)> {
    let (mut a, mut b) = (0usize, 0usize);
    let mut best: Option<(f64, f64)> = None;
    while a < vb.len() || b < vc.len() {
        let x = match (vb.get(a), vc.get(b)) {
            (Some(&p), Some(&q)) => p.min(q),
            (Some(&p), None) => p,
            (None, Some(&q)) => q,
            (None, None) => break,
        };
        while vb.get(a).is_some_and(|&v| v <= x) {
            a += 1;
        }
        while vc.get(b).is_some_and(|&v| v <= x) {
            b += 1;
        }
        let d = diff(i0 + a as u64, j0 + b as u64).abs();
        if best.is_none_or(|(bd, _)| d > bd) {
            best = Some((d, x));
        }
    }
    best
}

/// Wasserstein-1 between two profiles on one grid: the area between the ECDFs, exact on every
/// gap where they do not cross, bounded elsewhere. `None` when a side has no values.
pub fn wasserstein_from_profiles(
    grid: &Grid,
    baseline: &NumericProfile,
    current: &NumericProfile,
    gathered: Option<&Gathered>,
) -> Option<Bounded> {
    let (n1, n2) = (baseline.n(), current.n());
    if n1 == 0 || n2 == 0 {
        return None;
    }
    let (fa, fb) = (n1 as f64, n2 as f64);
    let lowest = baseline.min.min(current.min);
    let highest = baseline.max.max(current.max);
    let (mut i, mut j) = (0u64, 0u64);
    let (mut lo_terms, mut hi_terms) = (Vec::new(), Vec::new());
    for slot in 0..grid.slots() {
        let (cb, cc) = (baseline.counts[slot], current.counts[slot]);
        if slot % 2 == 1 {
            i += cb;
            j += cc;
            continue;
        }
        let (a, b) = grid.bounds(slot);
        let (a, b) = (a.max(lowest), b.min(highest));
        let (b0, c0) = (i as f64 / fa, j as f64 / fb);
        i += cb;
        j += cc;
        if b <= a {
            continue;
        }
        let width = b - a;
        let (b1, c1) = (i as f64 / fa, j as f64 / fb);
        // ∫ over the gap of each ECDF: its level at the start times the width, plus (b − v)/n
        // for every value v inside.
        let area_b = b0 * width + (cb as f64 * b - baseline.sums[slot]) / fa;
        let area_c = c0 * width + (cc as f64 * b - current.sums[slot]) / fb;
        let signed = area_b - area_c;
        let no_crossing = (b0 >= c1) || (c0 >= b1);
        if !no_crossing && let Some((vb, vc)) = gathered.and_then(|g| g.both(slot)) {
            let exact = gap_area(vb, vc, a, b, b0, c0, fa, fb);
            lo_terms.push(exact);
            hi_terms.push(exact);
        } else if no_crossing {
            lo_terms.push(signed.abs());
            hi_terms.push(signed.abs());
        } else {
            lo_terms.push(signed.abs());
            let spread_b = area_b - b0 * width;
            let spread_c = area_c - c0 * width;
            let by_parts = width * (b0 - c0).abs() + spread_b + spread_c;
            let by_box = width * (b1 - c0).max(c1 - b0);
            hi_terms.push(by_parts.min(by_box).max(signed.abs()));
        }
    }
    let lo = super::summary::pairwise_sum(&lo_terms);
    let hi = super::summary::pairwise_sum(&hi_terms);
    Some(Bounded::between(lo, hi.max(lo)))
}

/// How many current values lie below the reference's minimum or above its maximum, as an
/// interval: exact when the extremes are edges (the whole baseline's always are) or the gaps that
/// hold them were gathered; otherwise the current values in those gaps may lie on either side.
pub fn out_of_range(
    grid: &Grid,
    reference: &NumericProfile,
    current: &NumericProfile,
    gathered: Option<&Gathered>,
) -> (u64, u64) {
    if reference.n() == 0 {
        return (0, 0);
    }
    let (lo, hi) = (grid.slot(reference.min), grid.slot(reference.max));
    let counts = &current.counts;
    let below: u64 = counts[..lo.min(counts.len())].iter().sum();
    let above: u64 = counts[(hi + 1).min(counts.len())..].iter().sum();
    let mut exact = below + above;
    let mut unsure = 0u64;
    let outside = |v: f64| v < reference.min || v > reference.max;
    let gaps = if lo == hi { vec![lo] } else { vec![lo, hi] };
    for slot in gaps {
        if slot % 2 == 1 || counts.get(slot).is_none_or(|&c| c == 0) {
            continue;
        }
        match gathered.and_then(|g| g.current.get(slot)) {
            Some(values) => exact += values.iter().filter(|&&v| outside(v)).count() as u64,
            None => unsure += counts[slot],
        }
    }
    (exact, exact + unsure)
}

/// ∫ |F_b − F_c| over the gap `(a, b)` from both sides' sorted values inside it and their ECDF
/// levels `b0`, `c0` at its start.
#[allow(clippy::too_many_arguments)]
fn gap_area(vb: &[f64], vc: &[f64], a: f64, b: f64, b0: f64, c0: f64, fa: f64, fb: f64) -> f64 {
    let (mut i, mut j) = (0usize, 0usize);
    let mut x = a;
    let mut terms = Vec::with_capacity(vb.len() + vc.len() + 1);
    loop {
        let next = match (vb.get(i), vc.get(j)) {
            (Some(&p), Some(&q)) => p.min(q),
            (Some(&p), None) => p,
            (None, Some(&q)) => q,
            (None, None) => b,
        };
        let next = next.min(b);
        let level = (b0 + i as f64 / fa - c0 - j as f64 / fb).abs();
        terms.push(level * (next - x));
        if next >= b {
            break;
        }
        while vb.get(i).is_some_and(|&v| v <= next) {
            i += 1;
        }
        while vc.get(j).is_some_and(|&v| v <= next) {
            j += 1;
        }
        x = next;
    }
    super::summary::pairwise_sum(&terms)
}

/// The finite values of some slots of one side, gathered from its rows in one extra pass and
/// sorted within each slot: what turns a profile's interval into the exact answer.
#[derive(Clone, Debug, Default)]
pub struct SlotValues {
    values: std::collections::HashMap<usize, Vec<f64>>,
}

impl SlotValues {
    /// The values of `rows` that fall in the slots `wanted` marks (indexed by slot).
    pub fn gather(grid: &Grid, wanted: &[bool], rows: impl Iterator<Item = f64>) -> Self {
        let mut values: std::collections::HashMap<usize, Vec<f64>> = wanted
            .iter()
            .enumerate()
            .filter(|(_, w)| **w)
            .map(|(s, _)| (s, Vec::new()))
            .collect();
        if values.is_empty() {
            return Self::default();
        }
        // The wanted slots as sorted value ranges: a value is looked up among these few, not
        // in the whole grid.
        let mut ranges: Vec<(f64, f64, usize)> = values
            .keys()
            .map(|&slot| {
                let (lo, hi) = grid.bounds(slot);
                (lo, hi, slot)
            })
            .collect();
        ranges.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut buckets: Vec<Vec<f64>> = vec![Vec::new(); ranges.len()];
        for x in rows {
            // The last range starting at or below x; a point slot holds only its edge, a gap
            // only what lies strictly inside.
            let k = ranges.partition_point(|r| r.0 <= x);
            for k in [k.wrapping_sub(1), k.wrapping_sub(2)] {
                let Some(&(lo, hi, slot)) = ranges.get(k) else {
                    continue;
                };
                let inside = if slot % 2 == 1 {
                    x == lo
                } else {
                    x > lo && x < hi
                };
                if inside {
                    buckets[k].push(x);
                    break;
                }
            }
        }
        for ((_, _, slot), b) in ranges.iter().zip(buckets) {
            values.insert(*slot, b);
        }
        for v in values.values_mut() {
            v.sort_unstable_by(f64::total_cmp);
        }
        Self { values }
    }

    /// The values of the slots `wanted` marks, from values already sorted (a reference's): each
    /// slot is a contiguous run of them, found by two binary searches — no pass over the rows.
    pub fn from_sorted(grid: &Grid, wanted: &[bool], sorted: &[f64]) -> Self {
        let values = wanted
            .iter()
            .enumerate()
            .filter(|(_, w)| **w)
            .map(|(slot, _)| {
                let (lo, hi) = grid.bounds(slot);
                let (start, end) = if slot % 2 == 1 {
                    (
                        sorted.partition_point(|&v| v < lo),
                        sorted.partition_point(|&v| v <= lo),
                    )
                } else {
                    (
                        sorted.partition_point(|&v| v <= lo),
                        sorted.partition_point(|&v| v < hi),
                    )
                };
                (slot, sorted[start..end.max(start)].to_vec())
            })
            .collect();
        Self { values }
    }

    /// Values already gathered by slot; each slot's values are sorted here.
    pub fn from_slots(mut values: std::collections::HashMap<usize, Vec<f64>>) -> Self {
        for v in values.values_mut() {
            v.sort_unstable_by(f64::total_cmp);
        }
        Self { values }
    }

    /// The sorted values of one slot, when it was gathered.
    pub fn get(&self, slot: usize) -> Option<&[f64]> {
        self.values.get(&slot).map(Vec::as_slice)
    }

    /// How many values were gathered.
    pub fn len(&self) -> usize {
        self.values.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Both sides' gathered values for one comparison.
#[derive(Clone, Debug, Default)]
pub struct Gathered {
    pub baseline: SlotValues,
    pub current: SlotValues,
}

impl Gathered {
    fn both(&self, slot: usize) -> Option<(&[f64], &[f64])> {
        Some((self.baseline.get(slot)?, self.current.get(slot)?))
    }
}

/// Which slots of each side an exact answer needs: the gaps where KS D may lie above what the
/// edges show, the gaps where the ECDFs cross (Wasserstein), and the gaps holding an order
/// statistic the quartiles interpolate. `None` when the profiles are exact as they are.
pub fn exact_needs(
    grid: &Grid,
    baseline: &NumericProfile,
    current: &NumericProfile,
) -> Option<(Vec<bool>, Vec<bool>)> {
    let (n1, n2) = (baseline.n(), current.n());
    let slots = grid.slots();
    let mut wb = vec![false; slots];
    let mut wc = vec![false; slots];
    if n1 > 0 && n2 > 0 {
        let (fa, fb) = (n1 as f64, n2 as f64);
        let diff = |i: u64, j: u64| i as f64 / fa - j as f64 / fb;
        // KS: D at the edges first, then the gaps whose bound exceeds it.
        let (mut i, mut j) = (0u64, 0u64);
        let mut d_lo = 0.0f64;
        let mut bounds = Vec::new();
        for (slot, (&cb, &cc)) in baseline.counts.iter().zip(&current.counts).enumerate() {
            let (i0, j0) = (i, j);
            i += cb;
            j += cc;
            d_lo = d_lo.max(diff(i, j).abs());
            let (b0, c0, b1, c1) = (i0 as f64 / fa, j0 as f64 / fb, i as f64 / fa, j as f64 / fb);
            if slot % 2 == 0 && (cb > 0 || cc > 0) {
                if cb > 0 && cc > 0 {
                    bounds.push((slot, diff(i, j0).max(-diff(i0, j))));
                }
                let crossing = !((b0 >= c1) || (c0 >= b1));
                if crossing {
                    wb[slot] = true;
                    wc[slot] = true;
                }
            }
        }
        for (slot, up) in bounds {
            if up > d_lo {
                wb[slot] = true;
                wc[slot] = true;
            }
        }
    }
    // Out of range: the current values in the gaps that hold the reference's extremes.
    if n1 > 0 {
        for x in [baseline.min, baseline.max] {
            let slot = grid.slot(x);
            if slot.is_multiple_of(2) && current.counts.get(slot).is_some_and(|&c| c > 0) {
                wc[slot] = true;
            }
        }
    }
    for (p, w) in [(baseline, &mut wb), (current, &mut wc)] {
        let n = p.n();
        if n < 3 {
            continue;
        }
        for q in [0.25, 0.5, 0.75] {
            let h = q * (n - 1) as f64;
            let k = h.floor() as u64;
            for k in [k, (k + 1).min(n - 1)] {
                if let Some(slot) = p.slot_of_rank(k)
                    && slot % 2 == 0
                    && p.counts[slot] > 1
                {
                    w[slot] = true;
                }
            }
        }
    }
    (wb.iter().any(|&x| x) || wc.iter().any(|&x| x)).then_some((wb, wc))
}

/// One categorical column over some rows: counts per dictionary code.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CategoricalProfile {
    pub rows: u64,
    pub missing: u64,
    pub counts: Vec<u64>,
}

impl CategoricalProfile {
    pub fn empty(codes: usize) -> Self {
        Self {
            rows: 0,
            missing: 0,
            counts: vec![0; codes],
        }
    }

    pub fn update(&mut self, code: Option<u32>) {
        self.rows += 1;
        match code {
            Some(c) if (c as usize) < self.counts.len() => self.counts[c as usize] += 1,
            Some(_) => {
                // A code past the dictionary this profile was sized for: grow (bounded by the
                // dictionary's own cap upstream).
                let c = code.map_or(0, |c| c as usize);
                self.counts.resize(c + 1, 0);
                self.counts[c] += 1;
            }
            None => self.missing += 1,
        }
    }

    pub fn merge(&mut self, other: &CategoricalProfile) {
        self.rows += other.rows;
        self.missing += other.missing;
        if other.counts.len() > self.counts.len() {
            self.counts.resize(other.counts.len(), 0);
        }
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
    }

    pub fn without(&self, part: &CategoricalProfile) -> CategoricalProfile {
        let mut out = self.clone();
        out.rows -= part.rows.min(out.rows);
        out.missing -= part.missing.min(out.missing);
        for (a, b) in out.counts.iter_mut().zip(&part.counts) {
            *a -= (*b).min(*a);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{sorted, summary, wasserstein};

    fn profile(grid: &Grid, values: &[f64]) -> NumericProfile {
        let mut p = NumericProfile::empty(grid);
        for &v in values {
            p.update(grid, Some(v));
        }
        p
    }

    fn lcg(seed: &mut u64) -> f64 {
        *seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (*seed >> 11) as f64 / (1u64 << 53) as f64
    }

    #[test]
    fn ks_and_wasserstein_are_exact_when_every_baseline_value_is_an_edge() {
        let mut seed = 7;
        let base: Vec<f64> = (0..3000).map(|_| (lcg(&mut seed) * 50.0).round()).collect();
        let cur: Vec<f64> = (0..2500).map(|_| lcg(&mut seed) * 55.0 - 2.0).collect();
        let (bs, cs) = (sorted(&base), sorted(&cur));
        let grid = Grid::new(&bs, &[], 10_000);
        assert!(grid.every_baseline_value);
        let (pb, pc) = (profile(&grid, &base), profile(&grid, &cur));
        let want = ks::ks_2samp(&bs, &cs).unwrap();
        let got = ks_from_profiles(&grid, &pb, &pc, None).unwrap();
        assert!(got.statistic.is_exact());
        assert_eq!(got.statistic.value, want.statistic);
        assert_eq!(got.pvalue.value, want.pvalue);
        let w = wasserstein::wasserstein_sorted(&bs, &cs).unwrap();
        let gw = wasserstein_from_profiles(&grid, &pb, &pc, None).unwrap();
        assert!(
            gw.lo <= w * (1.0 + 1e-12) && w <= gw.hi * (1.0 + 1e-12),
            "{gw:?} {w}"
        );
    }

    #[test]
    fn intervals_contain_the_exact_values_on_a_coarse_grid() {
        let mut seed = 11;
        for shift in [0.0, 0.05, 0.3] {
            let base: Vec<f64> = (0..4000).map(|_| lcg(&mut seed)).collect();
            let cur: Vec<f64> = (0..3000).map(|_| lcg(&mut seed) + shift).collect();
            let (bs, cs) = (sorted(&base), sorted(&cur));
            let grid = Grid::new(&bs, &[0.25, 0.5], 40);
            assert!(!grid.every_baseline_value);
            let (pb, pc) = (profile(&grid, &base), profile(&grid, &cur));
            let want = ks::ks_2samp(&bs, &cs).unwrap();
            let got = ks_from_profiles(&grid, &pb, &pc, None).unwrap();
            assert!(
                got.statistic.lo <= want.statistic + 1e-12
                    && want.statistic <= got.statistic.hi + 1e-12,
                "shift {shift}: D {} not in {:?}",
                want.statistic,
                got.statistic
            );
            assert!(got.pvalue.lo <= want.pvalue * (1.0 + 1e-9) + 1e-300);
            assert!(want.pvalue <= got.pvalue.hi * (1.0 + 1e-9) + 1e-300);
            let w = wasserstein::wasserstein_sorted(&bs, &cs).unwrap();
            let gw = wasserstein_from_profiles(&grid, &pb, &pc, None).unwrap();
            assert!(
                gw.lo <= w + 1e-12 && w <= gw.hi + 1e-12,
                "shift {shift}: W {w} not in {gw:?}"
            );
            for q in [0.1, 0.25, 0.5, 0.9] {
                let (v, _) = pc.quantile(&grid, q, None).unwrap();
                let exact = summary::quantile_sorted(&cs, q).unwrap();
                // An estimate stays inside the gap that holds the true order statistic.
                let (a, b) = grid.bounds(grid.slot(exact));
                assert!(v >= a.min(exact) - 1e-12 && v <= b.max(exact) + 1e-12);
            }
        }
    }

    #[test]
    fn gathered_values_make_a_coarse_grid_exact() {
        let mut seed = 19;
        for shift in [0.0, 0.02, 0.3] {
            let base: Vec<f64> = (0..5000).map(|_| lcg(&mut seed)).collect();
            let cur: Vec<f64> = (0..4000).map(|_| lcg(&mut seed) + shift).collect();
            let (bs, cs) = (sorted(&base), sorted(&cur));
            let grid = Grid::new(&bs, &[0.25, 0.5], 64);
            let (pb, pc) = (profile(&grid, &base), profile(&grid, &cur));
            let (wb, wc) = exact_needs(&grid, &pb, &pc).unwrap();
            let g = Gathered {
                baseline: SlotValues::gather(&grid, &wb, base.iter().copied()),
                current: SlotValues::gather(&grid, &wc, cur.iter().copied()),
            };
            // One extra pass keeps only a part of the rows.
            assert!(g.baseline.len() + g.current.len() < base.len() + cur.len());
            let want = ks::ks_2samp(&bs, &cs).unwrap();
            let got = ks_from_profiles(&grid, &pb, &pc, Some(&g)).unwrap();
            assert!(
                got.statistic.is_exact() && got.pvalue.is_exact(),
                "shift {shift}"
            );
            assert_eq!(got.statistic.value, want.statistic, "shift {shift}");
            assert_eq!(got.pvalue.value, want.pvalue, "shift {shift}");
            let w = wasserstein::wasserstein_sorted(&bs, &cs).unwrap();
            let gw = wasserstein_from_profiles(&grid, &pb, &pc, Some(&g)).unwrap();
            assert!(gw.is_exact(), "shift {shift}: {gw:?}");
            assert!(
                (gw.value - w).abs() <= 1e-12 * w.max(1e-300),
                "{gw:?} vs {w}"
            );
            for (p, sorted, values) in [(&pb, &bs, &g.baseline), (&pc, &cs, &g.current)] {
                let (s, exact) = p.summary(&grid, Some(values)).unwrap();
                let want = summary::summarize_sorted(sorted).unwrap();
                assert!(exact, "shift {shift}");
                assert_eq!((s.q25, s.median, s.q75), (want.q25, want.median, want.q75));
            }
        }
    }

    #[test]
    fn values_from_a_sorted_reference_equal_a_gathering_pass() {
        let mut seed = 31;
        let base: Vec<f64> = (0..6000)
            .map(|_| (lcg(&mut seed) * 80.0).round() / 4.0)
            .collect();
        let bs = sorted(&base);
        let grid = Grid::new(&bs, &[5.0], 50);
        let wanted: Vec<bool> = (0..grid.slots()).map(|s| s % 3 != 1).collect();
        let a = SlotValues::gather(&grid, &wanted, base.iter().copied());
        let b = SlotValues::from_sorted(&grid, &wanted, &bs);
        for slot in 0..grid.slots() {
            assert_eq!(a.get(slot), b.get(slot), "slot {slot}");
        }
        assert!(a.len() > 1000);
    }

    #[test]
    fn merged_profiles_equal_the_profile_of_the_union() {
        let mut seed = 3;
        let base: Vec<f64> = (0..1000).map(|_| lcg(&mut seed) * 10.0).collect();
        let grid = Grid::new(&sorted(&base), &[2.5, 5.0], 64);
        for split in [1usize, 10, 333, 999] {
            let all: Vec<f64> = (0..1000).map(|_| lcg(&mut seed) * 12.0 - 1.0).collect();
            let whole = profile(&grid, &all);
            let mut a = profile(&grid, &all[..split]);
            let b = profile(&grid, &all[split..]);
            a.merge(&b);
            assert_eq!(a.counts, whole.counts);
            assert_eq!((a.rows, a.min, a.max), (whole.rows, whole.min, whole.max));
            assert!((a.mean - whole.mean).abs() < 1e-12);
            assert!((a.m2 - whole.m2).abs() < 1e-9 * whole.m2);
            let back = whole.without(&b, &grid);
            assert_eq!(back.counts, profile(&grid, &all[..split]).counts);
        }
    }

    #[test]
    fn a_coarsened_grid_holds_every_slot_of_the_fine_one() {
        let mut seed = 29;
        let base: Vec<f64> = (0..30_000).map(|_| lcg(&mut seed) * 100.0 - 20.0).collect();
        let cuts = [3.25, 50.0];
        let fine = Grid::new(&sorted(&base), &cuts, 4096);
        let coarse = fine.coarsen(&cuts, 150);
        assert!(coarse.edges.len() <= 160 && coarse.edges.len() > 100);
        assert!(cuts.iter().all(|c| coarse.edges.contains(c)));
        assert!(coarse.edges.iter().all(|e| fine.edges.contains(e)));
        let map = fine.slot_map(&coarse);
        let probes = (0..50_000)
            .map(|_| lcg(&mut seed) * 140.0 - 40.0)
            .chain(fine.edges.iter().copied());
        for x in probes {
            assert_eq!(map[fine.slot(x)] as usize, coarse.slot(x), "{x}");
        }
    }

    #[test]
    fn the_lookup_finds_the_slot_a_full_search_finds() {
        let mut seed = 23;
        // Skewed values: most edges crowd one end, as with amounts or latencies.
        let base: Vec<f64> = (0..20_000).map(|_| lcg(&mut seed).powi(6) * 1e4).collect();
        let grid = Grid::new(&sorted(&base), &[0.5, 17.0], 300);
        let plain = |x: f64| {
            let i = grid.edges.partition_point(|&e| e < x);
            if i < grid.edges.len() && grid.edges[i] == x {
                2 * i + 1
            } else {
                2 * i
            }
        };
        let probes = (0..50_000)
            .map(|_| lcg(&mut seed).powi(6) * 1.2e4 - 10.0)
            .chain(grid.edges.iter().copied())
            .chain([f64::MIN, f64::MAX, -0.0, 0.0]);
        for x in probes {
            assert_eq!(grid.slot(x), plain(x), "{x}");
        }
    }

    /// Property: for random data and random splits into several parts, merging the parts'
    /// profiles in any order gives the profile of the whole — numeric and categorical.
    #[test]
    fn merging_any_split_equals_profiling_the_union() {
        let mut seed = 37;
        for round in 0..40 {
            let n = 50 + (lcg(&mut seed) * 3000.0) as usize;
            let base: Vec<f64> = (0..500).map(|_| lcg(&mut seed) * 10.0).collect();
            let grid = Grid::new(&sorted(&base), &[2.0, 7.5], 16 + round * 8);
            let values: Vec<Option<f64>> = (0..n)
                .map(|_| match (lcg(&mut seed) * 20.0) as u32 {
                    0 => None,
                    1 => Some(f64::INFINITY),
                    _ => Some(lcg(&mut seed) * 14.0 - 2.0),
                })
                .collect();
            let codes: Vec<Option<u32>> = (0..n)
                .map(|_| (lcg(&mut seed) > 0.1).then(|| (lcg(&mut seed) * 7.0) as u32))
                .collect();
            let mut cuts: Vec<usize> = (0..(1 + round % 5))
                .map(|_| (lcg(&mut seed) * n as f64) as usize)
                .collect();
            cuts.extend([0, n]);
            cuts.sort_unstable();
            let mut whole = NumericProfile::empty(&grid);
            let mut whole_c = CategoricalProfile::empty(7);
            for (v, c) in values.iter().zip(&codes) {
                whole.update(&grid, *v);
                whole_c.update(*c);
            }
            // Parts merged last to first: the order must not matter.
            let mut merged = NumericProfile::empty(&grid);
            let mut merged_c = CategoricalProfile::empty(7);
            for w in cuts.windows(2).rev() {
                let mut part = NumericProfile::empty(&grid);
                let mut part_c = CategoricalProfile::empty(7);
                for i in w[0]..w[1] {
                    part.update(&grid, values[i]);
                    part_c.update(codes[i]);
                }
                merged.merge(&part);
                merged_c.merge(&part_c);
            }
            assert_eq!(merged.counts, whole.counts, "round {round}");
            assert_eq!(
                (
                    merged.rows,
                    merged.missing,
                    merged.non_finite,
                    merged.values
                ),
                (whole.rows, whole.missing, whole.non_finite, whole.values)
            );
            assert_eq!((merged.min, merged.max), (whole.min, whole.max));
            assert!((merged.mean - whole.mean).abs() <= 1e-12 * whole.mean.abs().max(1.0));
            assert!((merged.m2 - whole.m2).abs() <= 1e-9 * whole.m2.max(1.0));
            for (a, b) in merged.sums.iter().zip(&whole.sums) {
                assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0));
            }
            assert_eq!(merged_c, whole_c, "round {round}");
        }
    }

    #[test]
    fn a_value_on_a_cut_falls_in_the_bin_above() {
        let grid = Grid::new(&[0.0, 1.0, 2.0, 3.0], &[1.5], 10);
        let p = profile(&grid, &[0.5, 1.5, 1.6, 3.0, 9.0]);
        let bounds = grid.bin_boundaries(&[1.5]).unwrap();
        assert_eq!(p.bin_counts(&bounds), [1, 4]);
        assert!(grid.bin_boundaries(&[1.7]).is_none());
    }

    #[test]
    fn non_finite_and_missing_values_are_counted_apart() {
        let grid = Grid::new(&[0.0, 1.0], &[], 10);
        let mut p = NumericProfile::empty(&grid);
        for v in [
            Some(0.5),
            None,
            Some(f64::NAN),
            Some(f64::INFINITY),
            Some(-1.0),
        ] {
            p.update(&grid, v);
        }
        assert_eq!((p.rows, p.missing, p.non_finite, p.n()), (5, 2, 1, 2));
    }
}
