//! One numeric column's profile: counts and sums per slot, moments, extremes, order statistics.

use serde::{Deserialize, Serialize};

use super::{Grid, SlotValues};
use crate::stats::summary::Summary;

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
        Self::with_slots(grid.slots())
    }

    /// An empty profile of `slots` slots (0: the scalars alone, as the head of a sparse cell).
    pub fn with_slots(slots: usize) -> Self {
        Self {
            rows: 0,
            missing: 0,
            non_finite: 0,
            values: 0,
            counts: vec![0; slots],
            sums: vec![0.0; slots],
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            mean: 0.0,
            m2: 0.0,
        }
    }

    /// The same profile on a coarser grid: `map[slot]` is the coarse slot holding each slot of
    /// this one ([`Grid::slot_map`]); counts and sums add up, moments and extremes stay.
    pub fn remapped(&self, map: &[u32], coarse: &Grid) -> Self {
        let mut out = Self {
            counts: vec![0; coarse.slots()],
            sums: vec![0.0; coarse.slots()],
            ..self.clone()
        };
        for ((&c, &s), &to) in self.counts.iter().zip(&self.sums).zip(map) {
            if let (Some(count), Some(sum)) = (
                out.counts.get_mut(to as usize),
                out.sums.get_mut(to as usize),
            ) {
                *count += c;
                *sum += s;
            }
        }
        out
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
    #[inline]
    pub fn update_at(&mut self, slot: usize, value: Option<f64>) {
        self.rows += 1;
        match value {
            None => self.missing += 1,
            Some(x) if x.is_nan() => self.missing += 1,
            Some(x) if !x.is_finite() => self.non_finite += 1,
            Some(x) => {
                self.add_finite(slot, x);
                // Welford's update.
                let n = self.values as f64;
                let delta = x - self.mean;
                self.mean += delta / n;
                self.m2 += delta * (x - self.mean);
            }
        }
    }

    /// Adds one row like [`Self::update_at`], but with the moments kept as sums of `x − shift`
    /// and of its square (no division per value, twice as fast in the profiling loop): call
    /// [`Self::finish_shifted`] with the same `shift` once every row is in. A shift near the
    /// data (its first value) keeps the sums as accurate as Welford's update.
    #[inline]
    pub fn update_shifted(&mut self, slot: usize, value: Option<f64>, shift: f64) {
        if let Some(x) = self.update_shifted_head(value, shift) {
            self.counts[slot] += 1;
            self.sums[slot] += x;
        }
    }

    /// [`Self::update_shifted`] but for the slot's count and sum: returns the finite value
    /// whose count and sum the caller keeps (a sparse cell keeps them apart).
    #[inline]
    pub fn update_shifted_head(&mut self, value: Option<f64>, shift: f64) -> Option<f64> {
        self.rows += 1;
        match value {
            None => self.missing += 1,
            Some(x) if x.is_nan() => self.missing += 1,
            Some(x) if !x.is_finite() => self.non_finite += 1,
            Some(x) => {
                self.count_finite(x);
                let d = x - shift;
                self.mean += d;
                self.m2 += d * d;
                return Some(x);
            }
        }
        None
    }

    /// A finite value's count, sum and extremes (the moments are the caller's).
    #[inline]
    fn add_finite(&mut self, slot: usize, x: f64) {
        self.counts[slot] += 1;
        self.sums[slot] += x;
        self.count_finite(x);
    }

    /// A finite value counted in the scalars: how many, and the extremes.
    #[inline]
    fn count_finite(&mut self, x: f64) {
        self.min = self.min.min(x);
        self.max = self.max.max(x);
        self.values += 1;
    }

    /// Turns the shifted sums of [`Self::update_shifted`] into the mean and the sum of squared
    /// deviations.
    pub fn finish_shifted(&mut self, shift: f64) {
        if self.values == 0 {
            self.mean = 0.0;
            self.m2 = 0.0;
            return;
        }
        let n = self.values as f64;
        let (s1, s2) = (self.mean, self.m2);
        self.mean = shift + s1 / n;
        self.m2 = (s2 - s1 * s1 / n).max(0.0);
    }

    /// Adds another profile on the same grid.
    pub fn merge(&mut self, other: &NumericProfile) {
        let (na, nb) = (self.n() as f64, other.n() as f64);
        if nb > 0.0 && na == 0.0 {
            // Into an empty profile: the other's moments, as they are.
            self.mean = other.mean;
            self.m2 = other.m2;
        } else if nb > 0.0 {
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
