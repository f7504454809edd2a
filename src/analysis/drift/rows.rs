//! Drift from a column's rows: numeric values against a prepared reference (every statistic
//! exact), categorical counts against the baseline's.

use super::*;

/// A numeric column: current values against the prepared reference.
pub fn numeric_drift(
    column: &str,
    reference: &NumericReference,
    current: &[Option<f64>],
    settings: &DriftSettings,
) -> ColumnDrift {
    numeric_drift_sample(column, reference, &NumericSample::new(current), settings)
}

/// The current side of a numeric comparison, sorted once so that it can be compared with several
/// references.
#[derive(Clone, Debug)]
pub struct NumericSample {
    pub sorted: Vec<f64>,
    /// All rows, missing ones included.
    pub rows: usize,
    /// Rows holding ±inf (not in `sorted`).
    pub non_finite: usize,
}

impl NumericSample {
    pub fn new(values: &[Option<f64>]) -> Self {
        let present: Vec<f64> = values.iter().flatten().copied().collect();
        let non_finite = present.iter().filter(|v| v.is_infinite()).count();
        let present: Vec<f64> = present.into_iter().filter(|v| v.is_finite()).collect();
        Self {
            sorted: sorted(&present),
            rows: values.len(),
            non_finite,
        }
    }
}

/// [`numeric_drift`] of an already prepared current side.
pub fn numeric_drift_sample(
    column: &str,
    reference: &NumericReference,
    current: &NumericSample,
    settings: &DriftSettings,
) -> ColumnDrift {
    let cur = &current.sorted;
    let b = &reference.sorted;
    let mut stats = DriftStats {
        null_rate_baseline: rate(
            reference.rows - b.len() - reference.non_finite,
            reference.rows,
        ),
        null_rate_current: rate(current.rows - cur.len() - current.non_finite, current.rows),
        non_finite_rate_baseline: rate(reference.non_finite, reference.rows),
        non_finite_rate_current: rate(current.non_finite, current.rows),
        baseline_summary: reference.summary.clone(),
        current_summary: summary::summarize_sorted(cur),
        bin_edges: Some(reference.cuts.clone()),
        bin_labels: (0..=reference.cuts.len())
            .map(|i| bin_label(&reference.cuts, i))
            .collect(),
        baseline_counts: reference.counts.clone(),
        ..DriftStats::default()
    };
    stats.current_counts = binning::bin_counts_sorted(cur, &reference.cuts);
    if !b.is_empty() && !cur.is_empty() {
        if let Some(r) = ks::ks_2samp(b, cur) {
            stats.ks_statistic = Some(r.statistic);
            stats.ks_pvalue = Some(r.pvalue);
            stats.ks_method = Some(r.method);
            stats.ks_location = Some(r.location);
        }
        stats.wasserstein = wasserstein::wasserstein_sorted(b, cur);
        stats.wasserstein_normed = match (stats.wasserstein, reference.std0) {
            (Some(w), Some(s)) => Some(wasserstein::wasserstein_normed(w, s)),
            _ => None,
        };
        let pb = binning::proportions(&reference.counts);
        let pc = binning::proportions(&stats.current_counts);
        fill_binned(&mut stats, &pb, &pc);
        stats.out_of_range_rate = summary::out_of_range_rate(b, cur);
    }
    let sides = (settings.preset == Preset::Evidently).then(|| {
        let wrap = |v: &Vec<f64>| {
            if reference.integer && cur.len() == current.rows {
                evidently::Values::Integers(v.clone())
            } else {
                evidently::Values::Numeric(v.clone())
            }
        };
        (wrap(b), wrap(cur))
    });
    finish(
        column,
        ColumnKind::Numeric,
        b.len(),
        cur.len(),
        settings,
        stats,
        sides,
    )
}

pub(crate) fn fill_binned(stats: &mut DriftStats, pb: &[f64], pc: &[f64]) {
    stats.psi = Some(divergence::psi(pb, pc));
    stats.kl_current_baseline = Some(divergence::kl(pc, pb));
    stats.kl_baseline_current = Some(divergence::kl(pb, pc));
    stats.js_distance = Some(divergence::jensen_shannon(pb, pc, Some(2.0)));
    stats.hellinger = Some(divergence::hellinger(pb, pc));
    stats.l_infinity = Some(divergence::l_infinity(pb, pc));
}

/// A categorical column: current codes against the reference counts, over a shared dictionary.
pub fn categorical_drift(
    column: &str,
    reference: &CategoricalReference,
    current: impl IntoIterator<Item = Option<u32>>,
    labels: &[String],
    settings: &DriftSettings,
) -> ColumnDrift {
    let current = CategoricalReference::of(current, labels.len());
    categorical_drift_counts(
        column,
        &reference.counts,
        reference.rows,
        &current.counts,
        current.rows,
        labels,
        settings,
    )
}

/// [`categorical_drift`] from counts per dictionary code (`*_rows` include missing values): the
/// one path for rows and for profiles.
pub fn categorical_drift_counts(
    column: &str,
    reference_counts: &[u64],
    reference_rows: usize,
    cur_counts: &[u64],
    current_rows: usize,
    labels: &[String],
    settings: &DriftSettings,
) -> ColumnDrift {
    let count_at = |c: &[u64], i: usize| c.get(i).copied().unwrap_or(0);
    // Only labels seen on either side, ordered by label.
    let mut order: Vec<usize> = (0..labels.len())
        .filter(|&i| count_at(reference_counts, i) + count_at(cur_counts, i) > 0)
        .collect();
    order.sort_by(|&a, &b| labels[a].cmp(&labels[b]));
    let cb: Vec<u64> = order
        .iter()
        .map(|&i| count_at(reference_counts, i))
        .collect();
    let cc: Vec<u64> = order.iter().map(|&i| count_at(cur_counts, i)).collect();
    let (nb, nc) = (
        cb.iter().sum::<u64>() as usize,
        cc.iter().sum::<u64>() as usize,
    );
    let mut stats = DriftStats {
        null_rate_baseline: rate(reference_rows.saturating_sub(nb), reference_rows),
        null_rate_current: rate(current_rows.saturating_sub(nc), current_rows),
        bin_labels: order.iter().map(|&i| labels[i].clone()).collect(),
        ..DriftStats::default()
    };
    if nb > 0 && nc > 0 {
        let test = chi2::contingency(&cb, &cc);
        stats.chi2_statistic = Some(test.statistic);
        stats.chi2_pvalue = Some(test.pvalue);
        stats.chi2_dof = Some(test.dof);
        let pb = binning::proportions(&cb);
        let pc = binning::proportions(&cc);
        fill_binned(&mut stats, &pb, &pc);
        let new_rows: u64 = cb
            .iter()
            .zip(&cc)
            .filter(|(b, _)| **b == 0)
            .map(|(_, c)| *c)
            .sum();
        stats.new_category_rate = Some(new_rows as f64 / nc as f64);
    }
    for (k, (&b, &c)) in cb.iter().zip(&cc).enumerate() {
        if b == 0 && c > 0 {
            stats.new_categories.push(stats.bin_labels[k].clone());
        }
        if c == 0 && b > 0 {
            stats.missing_categories.push(stats.bin_labels[k].clone());
        }
    }
    let sides = (settings.preset == Preset::Evidently).then(|| {
        let side = |counts: &[u64]| {
            evidently::Values::Counts(
                stats
                    .bin_labels
                    .iter()
                    .cloned()
                    .zip(counts.iter().copied())
                    .filter(|(_, c)| *c > 0)
                    .collect(),
            )
        };
        (side(&cb), side(&cc))
    });
    stats.baseline_counts = cb;
    stats.current_counts = cc;
    finish(
        column,
        ColumnKind::Categorical,
        nb,
        nc,
        settings,
        stats,
        sides,
    )
}
