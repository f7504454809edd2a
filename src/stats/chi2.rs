//! Chi-square tests on category counts.
//!
//! - [`contingency`]: `scipy.stats.chi2_contingency` on the 2 × k table (baseline counts; current
//!   counts): expected = row total · column total / grand total, Yates' continuity correction when
//!   dof = 1, Pearson's statistic, p = chi2.sf(statistic, k − 1). k = 1 gives statistic 0, p 1.
//! - [`goodness_of_fit`]: `scipy.stats.chisquare(current, expected)` with expected = baseline
//!   counts scaled to the current total (Evidently's chi-square test).

use statrs::distribution::{ChiSquared, ContinuousCDF};

use super::summary::pairwise_sum;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChiSquare {
    pub statistic: f64,
    pub pvalue: f64,
    pub dof: usize,
}

/// Upper tail of the chi-square distribution (`scipy.stats.chi2.sf`).
pub fn chi2_sf(x: f64, dof: usize) -> f64 {
    if dof == 0 {
        return 1.0;
    }
    match ChiSquared::new(dof as f64) {
        Ok(d) => d.sf(x),
        Err(_) => f64::NAN,
    }
}

/// 2 × k contingency test of baseline vs current counts per category.
pub fn contingency(baseline: &[u64], current: &[u64]) -> ChiSquare {
    let k = baseline.len().min(current.len());
    let dof = k.saturating_sub(1);
    if dof == 0 {
        return ChiSquare {
            statistic: 0.0,
            pvalue: 1.0,
            dof,
        };
    }
    let rows = [&baseline[..k], &current[..k]];
    let row_sums: Vec<f64> = rows
        .iter()
        .map(|r| pairwise_sum(&r.iter().map(|&c| c as f64).collect::<Vec<_>>()))
        .collect();
    let col_sums: Vec<f64> = (0..k)
        .map(|j| baseline[j] as f64 + current[j] as f64)
        .collect();
    let total = pairwise_sum(&row_sums);
    let mut terms = Vec::with_capacity(2 * k);
    for (i, row) in rows.iter().enumerate() {
        for (j, &obs) in row.iter().enumerate() {
            let expected = row_sums[i] * col_sums[j] / total;
            let mut observed = obs as f64;
            if dof == 1 {
                let diff = expected - observed;
                observed += diff.abs().min(0.5) * diff.signum_or_zero();
            }
            terms.push((observed - expected).powi(2) / expected);
        }
    }
    let statistic = pairwise_sum(&terms);
    ChiSquare {
        statistic,
        pvalue: chi2_sf(statistic, dof),
        dof,
    }
}

/// Pearson goodness of fit of current counts to the baseline's proportions.
pub fn goodness_of_fit(baseline: &[u64], current: &[u64]) -> ChiSquare {
    let nb: f64 = baseline.iter().map(|&c| c as f64).sum();
    let nc: f64 = current.iter().map(|&c| c as f64).sum();
    let terms: Vec<f64> = baseline
        .iter()
        .zip(current)
        .map(|(&b, &c)| {
            let expected = b as f64 * nc / nb;
            (c as f64 - expected).powi(2) / expected
        })
        .collect();
    let dof = baseline.len().saturating_sub(1);
    let statistic = pairwise_sum(&terms);
    ChiSquare {
        statistic,
        pvalue: chi2_sf(statistic, dof),
        dof,
    }
}

trait SignumOrZero {
    fn signum_or_zero(self) -> f64;
}

impl SignumOrZero for f64 {
    /// numpy's sign: 0 for 0 (Rust's `signum` gives ±1 for ±0).
    fn signum_or_zero(self) -> f64 {
        if self == 0.0 { 0.0 } else { self.signum() }
    }
}
