//! Two profiles compared: KS, Wasserstein and out-of-range, exact or as rigorous intervals.

use serde::{Deserialize, Serialize};

use super::{Gathered, Grid, NumericProfile};
use crate::stats::ks;

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
    let lo = crate::stats::summary::pairwise_sum(&lo_terms);
    let hi = crate::stats::summary::pairwise_sum(&hi_terms);
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
    crate::stats::summary::pairwise_sum(&terms)
}
