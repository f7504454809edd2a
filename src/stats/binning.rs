//! Binning for PSI, KL, Jensen–Shannon and Hellinger.
//!
//! Default (DESIGN.md): cut points are the 9 inner deciles of the baseline
//! (`numpy.quantile(baseline, [0.1 … 0.9])`, linear), duplicates removed; a value goes to bin
//! `searchsorted(cuts, x, side='right')`, so the bins are `(-inf, c1), [c1, c2), …, [ck, +inf)`:
//! open-ended, current values outside the baseline's range land in the end bins.

use super::summary::quantile_sorted;

/// Cut points from `bins` equal-frequency bins of the sorted baseline (`bins − 1` inner quantiles),
/// deduplicated. `bins = 10` gives the deciles.
pub fn quantile_cuts(baseline_sorted: &[f64], bins: usize) -> Vec<f64> {
    let mut cuts: Vec<f64> = (1..bins.max(1))
        .filter_map(|i| quantile_sorted(baseline_sorted, i as f64 / bins as f64))
        .collect();
    cuts.sort_by(f64::total_cmp);
    cuts.dedup();
    cuts
}

/// Counts per bin of sorted values: `cuts.len() + 1` bins, bin i = `searchsorted(cuts, x, 'right')`.
pub fn bin_counts_sorted(sorted: &[f64], cuts: &[f64]) -> Vec<u64> {
    let mut counts = Vec::with_capacity(cuts.len() + 1);
    let mut prev = 0usize;
    for &c in cuts {
        // Values < c are in bins before this cut.
        let upto = sorted.partition_point(|&v| v < c);
        counts.push((upto - prev) as u64);
        prev = upto;
    }
    counts.push((sorted.len() - prev) as u64);
    counts
}

/// Counts per bin of unsorted values.
pub fn bin_counts(values: &[f64], cuts: &[f64]) -> Vec<u64> {
    let mut counts = vec![0u64; cuts.len() + 1];
    for &x in values {
        counts[super::count_le(cuts, x)] += 1;
    }
    counts
}

/// Counts as proportions of their total (all zero when the total is zero).
pub fn proportions(counts: &[u64]) -> Vec<f64> {
    let total: u64 = counts.iter().sum();
    counts
        .iter()
        .map(|&c| {
            if total == 0 {
                0.0
            } else {
                c as f64 / total as f64
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_on_a_cut_go_to_the_bin_above() {
        let cuts = [1.0, 2.0];
        assert_eq!(bin_counts(&[0.5, 1.0, 1.5, 2.0, 9.0], &cuts), [1, 2, 2]);
        assert_eq!(
            bin_counts_sorted(&[0.5, 1.0, 1.5, 2.0, 9.0], &cuts),
            [1, 2, 2]
        );
    }

    #[test]
    fn constant_baseline_gives_one_cut_and_two_bins() {
        let cuts = quantile_cuts(&[5.0; 20], 10);
        assert_eq!(cuts, [5.0]);
        assert_eq!(bin_counts(&[4.0, 5.0, 6.0], &cuts), [1, 2]);
    }
}
