//! The Evidently-compatible preset: Evidently 0.7's `DataDriftPreset`, column by column, so a team
//! moving from it gets the same verdicts (checked against Evidently 0.7.23 itself in
//! `tests/reference_evidently.rs`).
//!
//! - Test choice by baseline size (≤ 1000 rows or more), column type and the number of distinct
//!   values over both sides: small numerical data with > 5 values → KS; ≤ 5 values → chi-square
//!   (3–5 values) or two-proportion z (≤ 2); small categorical → chi-square / z the same way; large
//!   numerical with > 5 values → Wasserstein (normed), else Jensen–Shannon; large categorical →
//!   Jensen–Shannon.
//! - Binning for the binned tests: numerical columns with more than 20 distinct baseline values
//!   get Sturges edges over baseline and current combined (`numpy.histogram_bin_edges`); others
//!   one bin per value. PSI and KL fill empty bins with min(non-zero)/10⁶ when that minimum is
//!   ≤ 1e-4, else 1e-4; Jensen–Shannon uses natural logs and no fill.
//! - Chi-square is a goodness-of-fit test (expected = baseline counts scaled to the current size).
//! - Thresholds: 0.05 for p-values (KS drifts at p ≤ 0.05, chi-square and z at p < 0.05), 0.1 for
//!   distances (drift at ≥ 0.1); the dataset drifts when at least half its columns do.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

use super::drift::ColumnKind;
use crate::stats::{chi2, divergence, ks, sorted, summary, wasserstein};

/// Evidently's tests, by their registry names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidentlyTest {
    Ks,
    Chisquare,
    Z,
    Wasserstein,
    Jensenshannon,
    Psi,
    KlDiv,
    Hellinger,
}

impl EvidentlyTest {
    /// The name in Evidently's registry (its `stattest`), as the JSON writes it.
    pub fn registry_name(self) -> &'static str {
        match self {
            Self::Ks => "ks",
            Self::Chisquare => "chisquare",
            Self::Z => "z",
            Self::Wasserstein => "wasserstein",
            Self::Jensenshannon => "jensenshannon",
            Self::Psi => "psi",
            Self::KlDiv => "kl_div",
            Self::Hellinger => "hellinger",
        }
    }

    /// The name Evidently's reports show.
    pub fn display_name(self) -> &'static str {
        match self {
            Self::Ks => "K-S p_value",
            Self::Chisquare => "chi-square p_value",
            Self::Z => "Z-test p_value",
            Self::Wasserstein => "Wasserstein distance (normed)",
            Self::Jensenshannon => "Jensen-Shannon distance",
            Self::Psi => "PSI",
            Self::KlDiv => "Kullback-Leibler divergence",
            Self::Hellinger => "Hellinger distance",
        }
    }

    pub fn is_pvalue(self) -> bool {
        matches!(self, Self::Ks | Self::Chisquare | Self::Z)
    }

    pub fn default_threshold(self) -> f64 {
        if self.is_pvalue() { 0.05 } else { 0.1 }
    }

    /// Evidently's test for one of driftscope's methods (its `stattest`), or `None` where
    /// Evidently has no such test (the largest share difference).
    pub fn of_method(method: super::drift::Method) -> Option<Self> {
        use super::drift::Method;
        Some(match method {
            Method::Ks => Self::Ks,
            Method::Chi2 => Self::Chisquare,
            Method::WassersteinNormed => Self::Wasserstein,
            Method::JensenShannon => Self::Jensenshannon,
            Method::Psi => Self::Psi,
            Method::Kl => Self::KlDiv,
            Method::Hellinger => Self::Hellinger,
            Method::LInfinity => return None,
        })
    }
}

impl std::str::FromStr for EvidentlyTest {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "ks" => Self::Ks,
            "chisquare" | "chi2" => Self::Chisquare,
            "z" => Self::Z,
            "wasserstein" => Self::Wasserstein,
            "jensenshannon" => Self::Jensenshannon,
            "psi" => Self::Psi,
            "kl_div" => Self::KlDiv,
            "hellinger" => Self::Hellinger,
            _ => return Err(format!("unknown Evidently test '{s}'")),
        })
    }
}

/// One side's non-missing values of a column.
#[derive(Clone, Debug)]
pub enum Values {
    Numeric(Vec<f64>),
    /// Numbers from an integer column with no missing values (numpy then keeps bins ≥ 1 wide).
    Integers(Vec<f64>),
    Categorical(Vec<String>),
    /// Categories as (label, count): what the tests read, without a row per value.
    Counts(Vec<(String, u64)>),
}

impl Values {
    fn len(&self) -> usize {
        match self {
            Values::Numeric(v) | Values::Integers(v) => v.len(),
            Values::Categorical(v) => v.len(),
            Values::Counts(v) => v.iter().map(|(_, c)| *c as usize).sum(),
        }
    }
}

/// A value as a map key: numbers by their bits (so 1.0 and 1.0 meet), text as itself.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Num(i64),
    Text(String),
}

/// Numbers keyed so that key order is numeric order (the usual total-order trick on the bits).
fn num_key(x: f64) -> Key {
    let bits = x.to_bits() as i64;
    Key::Num(bits ^ ((((bits >> 63) as u64) >> 1) as i64))
}

fn counts(values: &Values) -> BTreeMap<Key, u64> {
    let mut m = BTreeMap::new();
    match values {
        Values::Numeric(v) | Values::Integers(v) => {
            for &x in v {
                *m.entry(num_key(if x == 0.0 { 0.0 } else { x }))
                    .or_default() += 1;
            }
        }
        Values::Categorical(v) => {
            for x in v {
                *m.entry(Key::Text(x.clone())).or_default() += 1;
            }
        }
        Values::Counts(v) => {
            for (x, c) in v {
                *m.entry(Key::Text(x.clone())).or_default() += c;
            }
        }
    }
    m
}

fn n_unique(a: &Values, b: &Values) -> usize {
    let mut keys = counts(a);
    for (k, c) in counts(b) {
        *keys.entry(k).or_default() += c;
    }
    keys.len()
}

/// The test Evidently picks for a column (`_get_default_stattest`).
pub fn default_test(kind: ColumnKind, reference: &Values, current: &Values) -> EvidentlyTest {
    let n_values = n_unique(reference, current);
    let small = reference.len() <= 1000;
    match (small, kind) {
        (true, ColumnKind::Numeric) if n_values > 5 => EvidentlyTest::Ks,
        (true, _) if n_values > 2 => EvidentlyTest::Chisquare,
        (true, _) => EvidentlyTest::Z,
        (false, ColumnKind::Numeric) if n_values > 5 => EvidentlyTest::Wasserstein,
        (false, _) => EvidentlyTest::Jensenshannon,
    }
}

/// Evidently's verdict on one column.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvidentlyVerdict {
    pub test: EvidentlyTest,
    pub method: String,
    pub score: f64,
    pub threshold: f64,
    pub drifted: bool,
}

/// Runs `test` (or Evidently's default choice) on one column.
pub fn evaluate(
    kind: ColumnKind,
    reference: &Values,
    current: &Values,
    test: Option<EvidentlyTest>,
    threshold: Option<f64>,
) -> Option<EvidentlyVerdict> {
    if reference.len() == 0 || current.len() == 0 {
        return None;
    }
    let test = test.unwrap_or_else(|| default_test(kind, reference, current));
    let threshold = threshold.unwrap_or_else(|| test.default_threshold());
    let score = match test {
        EvidentlyTest::Ks => match (reference.numbers(), current.numbers()) {
            (Some((a, _)), Some((b, _))) => ks::ks_2samp(&sorted(a), &sorted(b))?.pvalue,
            _ => return None,
        },
        EvidentlyTest::Wasserstein => match (reference.numbers(), current.numbers()) {
            (Some((a, _)), Some((b, _))) => {
                let (a, b) = (sorted(a), sorted(b));
                let w = wasserstein::wasserstein_sorted(&a, &b)?;
                wasserstein::wasserstein_normed(w, summary::std(&a, 0)?)
            }
            _ => return None,
        },
        EvidentlyTest::Chisquare => chi_square(reference, current),
        EvidentlyTest::Z => z_test(reference, current),
        EvidentlyTest::Jensenshannon => {
            let (r, c) = binned(kind, reference, current, false);
            divergence::jensen_shannon(&r, &c, None)
        }
        EvidentlyTest::Psi => {
            let (r, c) = binned(kind, reference, current, true);
            let terms: Vec<f64> = r
                .iter()
                .zip(&c)
                .map(|(r, c)| (r - c) * (r / c).ln())
                .collect();
            summary::pairwise_sum(&terms)
        }
        EvidentlyTest::KlDiv => {
            let (r, c) = binned(kind, reference, current, true);
            entropy(&r, &c)
        }
        EvidentlyTest::Hellinger => hellinger(kind, reference, current),
    };
    let drifted = match test {
        EvidentlyTest::Ks => score <= threshold,
        t if t.is_pvalue() => score < threshold,
        _ => score >= threshold,
    };
    Some(EvidentlyVerdict {
        test,
        method: test.display_name().to_owned(),
        score,
        threshold,
        drifted,
    })
}

/// `scipy.stats.entropy(p, q)`: both normalised to sum 1, Σ p·ln(p/q).
fn entropy(p: &[f64], q: &[f64]) -> f64 {
    let sp = summary::pairwise_sum(p);
    let sq = summary::pairwise_sum(q);
    let terms: Vec<f64> = p
        .iter()
        .zip(q)
        .map(|(&a, &b)| divergence::rel_entr(a / sp, b / sq))
        .collect();
    summary::pairwise_sum(&terms)
}

fn chi_square(reference: &Values, current: &Values) -> f64 {
    let (rc, cc) = (counts(reference), counts(current));
    let keys: Vec<&Key> = {
        let mut k: Vec<&Key> = rc.keys().chain(cc.keys()).collect();
        k.sort();
        k.dedup();
        k
    };
    let b: Vec<u64> = keys
        .iter()
        .map(|k| rc.get(k).copied().unwrap_or(0))
        .collect();
    let c: Vec<u64> = keys
        .iter()
        .map(|k| cc.get(k).copied().unwrap_or(0))
        .collect();
    if b.contains(&0) {
        // An expected count of zero: scipy's statistic is infinite and its p-value 0.
        return 0.0;
    }
    chi2::goodness_of_fit(&b, &c).pvalue
}

fn z_test(reference: &Values, current: &Values) -> f64 {
    let (rc, cc) = (counts(reference), counts(current));
    if rc.len() == 1 && cc.len() == 1 && rc.keys().next() == cc.keys().next() {
        return 1.0;
    }
    let first = rc.keys().chain(cc.keys()).min().cloned();
    let other = |m: &BTreeMap<Key, u64>| -> f64 {
        m.iter()
            .filter(|(k, _)| Some(*k) != first.as_ref())
            .map(|(_, c)| *c as f64)
            .sum()
    };
    let (n1, n2) = (reference.len() as f64, current.len() as f64);
    let (p1, p2) = (other(&rc) / n1, other(&cc) / n2);
    let p = (p1 * n1 + p2 * n2) / (n1 + n2);
    let z = (p1 - p2) / (p * (1.0 - p) * (1.0 / n1 + 1.0 / n2)).sqrt();
    match Normal::new(0.0, 1.0) {
        Ok(n) => 2.0 * (1.0 - n.cdf(z.abs())),
        Err(_) => f64::NAN,
    }
}

impl Values {
    fn numbers(&self) -> Option<(&[f64], bool)> {
        match self {
            Values::Numeric(v) => Some((v, false)),
            Values::Integers(v) => Some((v, true)),
            _ => None,
        }
    }
}

/// `numpy.histogram_bin_edges(values, bins='sturges')`; for integer data numpy keeps the bin
/// width at least 1.
fn sturges_edges(values: &[f64], integer: bool) -> Vec<f64> {
    let (mut lo, mut hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &x| {
            (l.min(x), h.max(x))
        });
    if lo == hi {
        lo -= 0.5;
        hi += 0.5;
    }
    let ptp = values.iter().fold(f64::NEG_INFINITY, |m, &x| m.max(x))
        - values.iter().fold(f64::INFINITY, |m, &x| m.min(x));
    let mut width = ptp / ((values.len() as f64).log2() + 1.0);
    if integer && width > 0.0 && width < 1.0 {
        width = 1.0;
    }
    let n_bins = if width > 0.0 {
        ((hi - lo) / width).ceil() as usize
    } else {
        1
    };
    linspace(lo, hi, n_bins + 1)
}

/// `numpy.linspace(start, stop, num)`: i·step + start, the last point exactly `stop`.
fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    let div = (num - 1) as f64;
    let step = (stop - start) / div;
    let mut out: Vec<f64> = (0..num).map(|i| i as f64 * step + start).collect();
    if let Some(last) = out.last_mut() {
        *last = stop;
    }
    out
}

/// `numpy.histogram(values, edges)` counts: [e_i, e_{i+1}), the last bin closed.
fn histogram(values: &[f64], edges: &[f64]) -> Vec<u64> {
    let s = sorted(values);
    let k = edges.len() - 1;
    let mut cum: Vec<usize> = edges[..k]
        .iter()
        .map(|&e| crate::stats::count_lt(&s, e))
        .collect();
    cum.push(crate::stats::count_le(&s, edges[k]));
    cum.windows(2).map(|w| (w[1] - w[0]) as u64).collect()
}

/// Evidently's `get_binned_data`: shares per bin of each side, with its zero fill when `fill`.
fn binned(
    kind: ColumnKind,
    reference: &Values,
    current: &Values,
    fill: bool,
) -> (Vec<f64>, Vec<f64>) {
    let (nr, nc) = (reference.len() as f64, current.len() as f64);
    let (mut r, mut c): (Vec<f64>, Vec<f64>) = match (kind, reference.numbers(), current.numbers())
    {
        (ColumnKind::Numeric, Some((a, ia)), Some((b, ib))) if counts(reference).len() > 20 => {
            let combined: Vec<f64> = a.iter().chain(b).copied().collect();
            let edges = sturges_edges(&combined, ia && ib);
            (
                histogram(a, &edges)
                    .iter()
                    .map(|&x| x as f64 / nr)
                    .collect(),
                histogram(b, &edges)
                    .iter()
                    .map(|&x| x as f64 / nc)
                    .collect(),
            )
        }
        _ => {
            let (rc, cc) = (counts(reference), counts(current));
            let mut keys: Vec<&Key> = rc.keys().chain(cc.keys()).collect();
            keys.sort();
            keys.dedup();
            (
                keys.iter()
                    .map(|k| rc.get(k).copied().unwrap_or(0) as f64 / nr)
                    .collect(),
                keys.iter()
                    .map(|k| cc.get(k).copied().unwrap_or(0) as f64 / nc)
                    .collect(),
            )
        }
    };
    if fill {
        for side in [&mut r, &mut c] {
            let min = side
                .iter()
                .copied()
                .filter(|&x| x != 0.0)
                .fold(f64::INFINITY, f64::min);
            let filler = if min <= 1e-4 { min / 1e6 } else { 1e-4 };
            for x in side.iter_mut().filter(|x| **x == 0.0) {
                *x = filler;
            }
        }
    }
    (r, c)
}

/// Evidently's Hellinger: sqrt(1 − Bhattacharyya coefficient), on shares per value for
/// categories, or on Sturges densities over the distinct values for numbers.
fn hellinger(kind: ColumnKind, reference: &Values, current: &Values) -> f64 {
    let bc = match (kind, reference.numbers(), current.numbers()) {
        (ColumnKind::Numeric, Some((a, ia)), Some((b, ib))) => {
            let mut keys: Vec<f64> = a.iter().chain(b).copied().collect();
            keys.sort_by(f64::total_cmp);
            keys.dedup();
            let edges = sturges_edges(&keys, ia && ib);
            let density = |v: &[f64]| -> Vec<f64> {
                let h = histogram(v, &edges);
                let total: u64 = h.iter().sum();
                h.iter()
                    .zip(edges.windows(2))
                    .map(|(&c, w)| c as f64 / total as f64 / (w[1] - w[0]))
                    .collect()
            };
            let (h1, h2) = (density(a), density(b));
            let width = (edges[edges.len() - 1] - edges[0]) / (edges.len() - 1) as f64;
            h1.iter()
                .zip(&h2)
                .map(|(p, q)| (p * q).sqrt() * width)
                .sum::<f64>()
        }
        _ => {
            let (rc, cc) = (counts(reference), counts(current));
            let (nr, nc) = (reference.len() as f64, current.len() as f64);
            rc.iter()
                .map(|(k, &c)| {
                    ((c as f64 / nr) * (cc.get(k).copied().unwrap_or(0) as f64 / nc)).sqrt()
                })
                .sum::<f64>()
        }
    };
    (1.0 - bc.clamp(0.0, 1.0)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linspace_and_sturges_follow_numpy() {
        assert_eq!(linspace(0.0, 1.0, 5), [0.0, 0.25, 0.5, 0.75, 1.0]);
        // 8 values: log2(8) + 1 = 4 bins over [0, 7].
        let e = sturges_edges(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], false);
        assert_eq!(e, [0.0, 1.75, 3.5, 5.25, 7.0]);
        // Integers: bins at least 1 wide, so 3 values make 2 bins.
        assert_eq!(sturges_edges(&[0.0, 1.0, 2.0], true), [0.0, 1.0, 2.0]);
        assert_eq!(histogram(&[0.0, 1.75, 7.0, 3.0], &e), [1, 2, 0, 1]);
    }

    #[test]
    fn the_default_test_follows_size_type_and_distinct_values() {
        let n = |k: usize, m: usize| Values::Numeric((0..m).map(|i| (i % k) as f64).collect());
        assert_eq!(
            default_test(ColumnKind::Numeric, &n(10, 500), &n(10, 500)),
            EvidentlyTest::Ks
        );
        assert_eq!(
            default_test(ColumnKind::Numeric, &n(4, 500), &n(4, 500)),
            EvidentlyTest::Chisquare
        );
        assert_eq!(
            default_test(ColumnKind::Numeric, &n(2, 500), &n(2, 500)),
            EvidentlyTest::Z
        );
        assert_eq!(
            default_test(ColumnKind::Numeric, &n(10, 2000), &n(10, 500)),
            EvidentlyTest::Wasserstein
        );
        assert_eq!(
            default_test(ColumnKind::Numeric, &n(3, 2000), &n(3, 500)),
            EvidentlyTest::Jensenshannon
        );
        let c = Values::Categorical(vec!["a".into(); 2000]);
        assert_eq!(
            default_test(ColumnKind::Categorical, &c, &c),
            EvidentlyTest::Jensenshannon
        );
    }
}
