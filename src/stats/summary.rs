//! Summary statistics as numpy computes them: mean, std with ddof = 1, min, max and quantiles with
//! numpy's default `linear` method.

use serde::{Deserialize, Serialize};

/// `numpy.quantile(sorted, q)` with `method='linear'` on already sorted values; `None` when empty.
///
/// numpy's rule: position `h = q·(n−1)`, `lo = ⌊h⌋`, `t = h − lo`, and the value is
/// `a + (b−a)·t`, except that for `t ≥ 0.5` numpy computes `b − (b−a)·(1−t)` (its `_lerp`, which is
/// monotone and exact at the ends); we do the same so results agree to the last bit.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let h = q * (n - 1) as f64;
    let lo = h.floor();
    let lo_idx = (lo as usize).min(n - 1);
    let hi_idx = (lo_idx + 1).min(n - 1);
    let t = h - lo;
    Some(interpolate(sorted[lo_idx], sorted[hi_idx], t))
}

/// numpy's linear interpolation between two neighbouring order statistics.
fn interpolate(a: f64, b: f64, t: f64) -> f64 {
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

/// [`quantile_sorted`] for each of `qs` on values that are not sorted (and are reordered here):
/// each quantile's two order statistics are found by selection, O(n) instead of a sort.
pub fn quantiles_unsorted(values: &mut [f64], qs: &[f64]) -> Option<Vec<f64>> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    // Smallest quantile first: once the k-th value is in place every value after it is at least
    // as large, so a larger quantile is selected among those alone (p50, p95, p99 of ten million
    // values: one full selection and two of the upper half, not three full ones).
    let mut order: Vec<usize> = (0..qs.len()).collect();
    order.sort_by(|&a, &b| qs[a].total_cmp(&qs[b]));
    let mut out = vec![f64::NAN; qs.len()];
    let mut from = 0;
    for i in order {
        let h = qs[i] * (n - 1) as f64;
        let lo = h.floor();
        let lo_idx = (lo as usize).min(n - 1).max(from);
        let (_, a, above) = values[from..].select_nth_unstable_by(lo_idx - from, f64::total_cmp);
        let a = *a;
        // The next order statistic is the smallest value above the selected one.
        let b = above.iter().copied().min_by(f64::total_cmp).unwrap_or(a);
        out[i] = interpolate(a, b, h - lo);
        from = lo_idx;
    }
    Some(out)
}

/// Mean, spread and quartiles of one side's non-missing values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub count: usize,
    pub mean: f64,
    /// Sample standard deviation (ddof = 1); `None` for a single value.
    pub std: Option<f64>,
    pub min: f64,
    pub max: f64,
    pub q25: f64,
    pub median: f64,
    pub q75: f64,
}

/// numpy's mean: a pairwise sum over the values, divided by n.
pub fn mean(values: &[f64]) -> f64 {
    pairwise_sum(values) / values.len() as f64
}

/// Population (ddof = 0) or sample (ddof = 1) standard deviation, as `numpy.std`:
/// sqrt(Σ(x − mean)² / (n − ddof)).
pub fn std(values: &[f64], ddof: usize) -> Option<f64> {
    let n = values.len();
    if n <= ddof {
        return None;
    }
    let m = mean(values);
    let squares: Vec<f64> = values.iter().map(|x| (x - m) * (x - m)).collect();
    Some((pairwise_sum(&squares) / (n - ddof) as f64).sqrt())
}

/// numpy's pairwise summation (blocks of 8 unrolled, split in halves above 128 values), so sums
/// of millions of values agree with numpy's to the last bits.
pub fn pairwise_sum(values: &[f64]) -> f64 {
    let n = values.len();
    if n < 8 {
        let mut s = -0.0;
        for &v in values {
            s += v;
        }
        return s;
    }
    if n <= 128 {
        let mut r = [0.0f64; 8];
        r.copy_from_slice(&values[..8]);
        let mut i = 8;
        while i + 8 <= n {
            for (k, acc) in r.iter_mut().enumerate() {
                *acc += values[i + k];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &v in &values[i..] {
            res += v;
        }
        return res;
    }
    let mut half = n / 2;
    half -= half % 8;
    pairwise_sum(&values[..half]) + pairwise_sum(&values[half..])
}

/// Summary of sorted, non-missing values; `None` when there are none.
pub fn summarize_sorted(sorted: &[f64]) -> Option<Summary> {
    let (&min, &max) = (sorted.first()?, sorted.last()?);
    Some(Summary {
        count: sorted.len(),
        mean: mean(sorted),
        std: std(sorted, 1),
        min,
        max,
        q25: quantile_sorted(sorted, 0.25)?,
        median: quantile_sorted(sorted, 0.5)?,
        q75: quantile_sorted(sorted, 0.75)?,
    })
}

/// Share of current values outside the baseline's [min, max].
pub fn out_of_range_rate(baseline_sorted: &[f64], current: &[f64]) -> Option<f64> {
    let (&lo, &hi) = (baseline_sorted.first()?, baseline_sorted.last()?);
    if current.is_empty() {
        return None;
    }
    let outside = current.iter().filter(|&&x| x < lo || x > hi).count();
    Some(outside as f64 / current.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_follow_numpy_linear() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile_sorted(&v, 0.0), Some(1.0));
        assert_eq!(quantile_sorted(&v, 1.0), Some(4.0));
        assert_eq!(quantile_sorted(&v, 0.5), Some(2.5));
        assert_eq!(quantile_sorted(&v, 0.25), Some(1.75));
        assert_eq!(quantile_sorted(&[7.0], 0.3), Some(7.0));
        assert_eq!(quantile_sorted(&[], 0.3), None);
    }

    #[test]
    fn quantiles_by_selection_equal_those_of_the_sorted_values() {
        // Ties, a few values, and thousands in a shuffled order.
        let mut seed = 7u64;
        let mut next = move || {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 40) as f64
        };
        let cases: Vec<Vec<f64>> = vec![
            vec![5.0],
            vec![2.0, 1.0],
            vec![3.0, 1.0, 3.0, 3.0, 2.0],
            (0..5000).map(|_| next() % 97.0).collect(),
            (0..4001).map(|_| next() / 7.0).collect(),
        ];
        // In order, out of order and repeated: each answer in the place its quantile was asked.
        let asked: [&[f64]; 3] = [
            &[0.0, 0.01, 0.25, 0.5, 0.95, 0.99, 1.0],
            &[0.99, 0.5, 0.0, 0.95, 0.25],
            &[0.5, 0.5, 0.25, 0.5],
        ];
        for values in cases {
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            for qs in asked {
                let expected: Vec<f64> = qs
                    .iter()
                    .filter_map(|&q| quantile_sorted(&sorted, q))
                    .collect();
                let mut shuffled = values.clone();
                assert_eq!(
                    quantiles_unsorted(&mut shuffled, qs),
                    Some(expected),
                    "{} values, {qs:?}",
                    values.len()
                );
            }
        }
        assert_eq!(quantiles_unsorted(&mut [], &[0.5]), None);
    }

    #[test]
    fn std_needs_more_values_than_ddof() {
        assert_eq!(std(&[3.0], 1), None);
        assert_eq!(std(&[3.0], 0), Some(0.0));
        assert_eq!(std(&[1.0, 3.0], 1), Some(2f64.sqrt()));
    }

    #[test]
    fn pairwise_sum_is_exact_on_integers() {
        let v: Vec<f64> = (1..=1000).map(f64::from).collect();
        assert_eq!(pairwise_sum(&v), 500_500.0);
    }
}
