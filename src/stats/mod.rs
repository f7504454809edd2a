//! Pure numerics: no I/O, no state, no polars. Every function here equals a reference
//! implementation (scipy 1.17, numpy 2.3) to the digit, and its doc comment says which and how;
//! `tests/reference_stats.rs` checks them against values scipy computed.

pub mod binning;
pub mod chi2;
pub mod divergence;
pub mod ks;
pub mod profile;
pub mod summary;
pub mod wasserstein;

/// Sorts finite values ascending (NaN never reaches here: missing values are dropped before).
pub fn sorted(values: &[f64]) -> Vec<f64> {
    let mut v = values.to_vec();
    v.sort_unstable_by(f64::total_cmp);
    v
}

/// `numpy.searchsorted(sorted, x, side='right')`: how many values are ≤ x.
pub fn count_le(sorted: &[f64], x: f64) -> usize {
    sorted.partition_point(|&v| v <= x)
}

/// `numpy.searchsorted(sorted, x, side='left')`: how many values are < x.
pub fn count_lt(sorted: &[f64], x: f64) -> usize {
    sorted.partition_point(|&v| v < x)
}
