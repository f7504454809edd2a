//! What an exact answer needs from the rows, and the values gathered for it.

use super::{Grid, NumericProfile};

/// The finite values of some slots of one side, gathered from its rows in one extra pass and
/// sorted within each slot: what turns a profile's interval into the exact answer. Shared, so
/// that the many comparisons that use one side's gathered values clone a pointer, not them.
#[derive(Clone, Debug, Default)]
pub struct SlotValues {
    values: std::sync::Arc<SlotMap>,
}

type SlotMap = std::collections::HashMap<usize, Vec<f64>>;

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
        Self::from_slots(values)
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
        Self {
            values: std::sync::Arc::new(values),
        }
    }

    /// Values gathered by slot, each slot's already sorted.
    pub fn from_sorted_slots(values: SlotMap) -> Self {
        debug_assert!(
            values
                .values()
                .all(|v| v.is_sorted_by(|a, b| a.total_cmp(b).is_le()))
        );
        Self {
            values: std::sync::Arc::new(values),
        }
    }

    /// Values already gathered by slot; each slot's values are sorted here.
    pub fn from_slots(mut values: SlotMap) -> Self {
        for v in values.values_mut() {
            v.sort_unstable_by(f64::total_cmp);
        }
        Self {
            values: std::sync::Arc::new(values),
        }
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
    pub(super) fn both(&self, slot: usize) -> Option<(&[f64], &[f64])> {
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
