//! How a feature's values fall into the bins its conditions are made of: a number's baseline
//! deciles (written short), a category's commonest values.

use super::{MAX_VALUE_BINS, RANGE_BINS, Range, Reference};
use crate::analysis::columns::{Codes, Values};
use crate::analysis::discovery::MIN_ROWS;
use crate::analysis::discovery::rates::Tally;

/// How a feature's values fall into bins.
pub(super) enum Cut {
    /// A number: bin `b` is `[edges[b − 1], edges[b])`, open at both ends (ascending, distinct
    /// edges); a range is a run of bins.
    Deciles(Vec<f64>),
    /// A category: one bin a value of `labels` (the log's commonest), then one for the rest; a
    /// condition is one value.
    Values {
        labels: Vec<String>,
        /// Per code of the column's dictionary, its bin.
        bin_of_code: Vec<u8>,
    },
}

/// A feature cut into bins, and per log tuple and bin the baseline's rate (the last bin:
/// missing values, in no range).
pub(super) struct Ranged {
    pub(super) name: String,
    pub(super) cut: Cut,
    /// Per labelled log row (as [`Errors::labelled`] lists them), its bin.
    pub(super) bins_of: Vec<u8>,
    pub(super) refs: Vec<Vec<Reference>>,
}

impl Ranged {
    /// Bins a range can take (the missing values' is one more).
    pub(super) fn bins(&self) -> usize {
        match &self.cut {
            Cut::Deciles(edges) => edges.len() + 1,
            Cut::Values { labels, .. } => labels.len() + 1,
        }
    }

    /// A number's bin (a category's: [`Ranged::bin_of_code`]).
    pub(super) fn bin_of(&self, v: Option<f64>) -> usize {
        match (&self.cut, v) {
            (Cut::Deciles(edges), Some(v)) if v.is_finite() => edges.partition_point(|e| *e <= v),
            _ => self.bins(),
        }
    }

    pub(super) fn bin_of_code(&self, code: Option<u32>) -> usize {
        match (&self.cut, code) {
            (Cut::Values { bin_of_code, .. }, Some(c)) => bin_of_code
                .get(c as usize)
                .map_or(self.bins() - 1, |b| usize::from(*b)),
            _ => self.bins(),
        }
    }

    /// One tuple's bins' positive excess over their baseline rates (with the missing values'
    /// bin or without: a range never holds it).
    pub(super) fn positive_excess(&self, t: usize, bins: &[Tally], with_missing: bool) -> f64 {
        let n = if with_missing {
            self.bins() + 1
        } else {
            self.bins()
        };
        bins.iter()
            .zip(&self.refs[t])
            .take(n)
            .map(|(x, r)| (x.sum - x.n * r.rate).max(0.0))
            .sum()
    }

    /// The slices a search tries on it, as bins `lo..hi`: every run of deciles but all of
    /// them; every kept value alone.
    pub(super) fn intervals(&self) -> Vec<(usize, usize)> {
        let bins = self.bins();
        match &self.cut {
            Cut::Deciles(_) => (0..bins)
                .flat_map(|lo| (lo + 1..=bins).map(move |hi| (lo, hi)))
                .filter(|&(lo, hi)| !(lo == 0 && hi == bins))
                .collect(),
            Cut::Values { labels, .. } => (0..labels.len()).map(|b| (b, b + 1)).collect(),
        }
    }

    /// The range as a condition on the column.
    pub(super) fn condition(&self, r: &Range) -> crate::analysis::discovery::Condition {
        let edges = match &self.cut {
            Cut::Deciles(edges) => edges,
            Cut::Values { labels, .. } => {
                return crate::analysis::discovery::Condition {
                    column: self.name.clone(),
                    op: "=".to_owned(),
                    value: labels.get(r.lo).cloned().unwrap_or_default(),
                };
            }
        };
        let lo = r.lo.checked_sub(1).map(|b| edges[b]);
        let hi = (r.hi < self.bins()).then(|| edges[r.hi - 1]);
        let (op, value) = match (lo, hi) {
            (None, Some(hi)) => ("<", format!("{hi}")),
            (Some(lo), None) => (">=", format!("{lo}")),
            (Some(lo), Some(hi)) => ("between", format!("[{lo}, {hi})")),
            (None, None) => ("between", "(all)".to_owned()),
        };
        crate::analysis::discovery::Condition {
            column: self.name.clone(),
            op: op.to_owned(),
            value,
        }
    }
}

/// The baseline's decile edges of one column's values (distinct, ascending, above its least
/// value; empty for a single value).
pub(super) fn decile_edges(values: &Values) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().flatten().filter(|x| x.is_finite()).collect();
    if v.len() < 2 {
        return Vec::new();
    }
    v.sort_unstable_by(f64::total_cmp);
    let mut edges: Vec<f64> = (1..RANGE_BINS)
        .map(|k| k * v.len() / RANGE_BINS)
        .filter(|&i| v[i] > v[0])
        .map(|i| {
            // The baseline value below the decile's, and the shortest number above it and at
            // most the decile's: the same cut of the baseline, read as a person writes it.
            let below = v[..i].iter().rev().find(|x| **x < v[i]).copied();
            below.map_or(v[i], |lo| shortest_in(lo, v[i]))
        })
        .collect();
    edges.dedup();
    edges
}

/// A category's commonest values among the log's labelled rows (at most [`MAX_VALUE_BINS`], each
/// on at least [`MIN_ROWS`] rows), a bin each; the rest one bin more.
pub(super) fn commonest_values(labels: &[String], current: &Codes, labelled: &[u32]) -> Cut {
    let mut counts = vec![0u64; labels.len()];
    for &row in labelled {
        if let Some(c) = current.get(row as usize)
            && let Some(n) = counts.get_mut(c as usize)
        {
            *n += 1;
        }
    }
    let mut order: Vec<usize> = (0..labels.len())
        .filter(|&c| counts[c] >= MIN_ROWS)
        .collect();
    order.sort_by(|&a, &b| counts[b].cmp(&counts[a]).then(a.cmp(&b)));
    order.truncate(MAX_VALUE_BINS);
    let mut bin_of_code = vec![order.len() as u8; labels.len()];
    for (b, &c) in order.iter().enumerate() {
        bin_of_code[c] = b as u8;
    }
    Cut::Values {
        labels: order.iter().map(|&c| labels[c].clone()).collect(),
        bin_of_code,
    }
}

/// The number of fewest significant digits in `(lo, hi]` (`hi` itself when none is shorter).
pub(super) fn shortest_in(lo: f64, hi: f64) -> f64 {
    for digits in 1..17 {
        let Ok(rounded) = format!("{:.*e}", digits - 1, hi).parse::<f64>() else {
            continue;
        };
        // Rounded up past `hi`: one step of the last digit down.
        let step = 10f64.powi(hi.abs().log10().floor() as i32 - digits as i32 + 1);
        let candidate = if rounded > hi {
            format!("{:.*e}", digits - 1, rounded - step)
                .parse::<f64>()
                .unwrap_or(hi)
        } else {
            rounded
        };
        if candidate > lo && candidate <= hi {
            return candidate;
        }
    }
    hi
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The edges are the baseline's deciles as a person writes them: each cuts the baseline
    /// where its decile value does, with no more digits than it needs.
    #[test]
    fn decile_edges_cut_the_baseline_at_its_deciles_in_short_numbers() {
        let mut seed = 3u64;
        let mut u = || {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let values: Vec<f64> = (0..5000)
            .map(|_| (u() * 300.0 - 50.0).exp2() % 977.0)
            .collect();
        let edges = decile_edges(&Values::from_options(
            &values.iter().map(|v| Some(*v)).collect::<Vec<_>>(),
        ));
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        assert_eq!(edges.len(), RANGE_BINS - 1);
        for (k, e) in edges.iter().enumerate() {
            let decile = sorted[(k + 1) * sorted.len() / RANGE_BINS];
            let below = |x: f64| sorted.iter().filter(|v| **v < x).count();
            assert_eq!(below(*e), below(decile), "edge {e} against decile {decile}");
            assert!(
                format!("{e}").len() <= format!("{decile}").len(),
                "{e} {decile}"
            );
        }
        assert_eq!(shortest_in(13.87, 13.88), 13.88);
        assert_eq!(shortest_in(13.8712, 13.8856), 13.88);
        assert_eq!(shortest_in(-3.3, -3.2), -3.2);
        assert_eq!(shortest_in(99.2, 140.5), 100.0);
    }
}
