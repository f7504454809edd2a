//! Drift of one comparison evaluated from two profiles, made exact from gathered values.

use super::*;
use crate::analysis::drift::Method;

/// One column's drift of a current profile against a reference profile, every statistic of
/// the row path evaluated from counts: exact where the grid resolves it, an interval where it
/// does not (see `stats::profile`), and the verdict given only when the deciding score's
/// interval lies on one side of the threshold. Bins are the whole baseline's.
pub(crate) fn drift_from_profiles(
    p: &Prepared,
    grid: Option<&ColumnGrid>,
    bins: Option<&Bins>,
    reference: &ColumnProfile,
    current: &ColumnProfile,
    settings: &DriftSettings,
) -> ColumnDrift {
    drift_gathered(p, grid, bins, reference, current, None, settings)
}

/// [`drift_from_profiles`] computing only what a verdict needs — the deciding method's score
/// (with its interval), the null rates and the bin counts — for the many comparisons of windows,
/// heatmap cells and timeline points, whose panels show the score and not every statistic.
pub(crate) fn drift_score_from_profiles(
    p: &Prepared,
    grid: Option<&ColumnGrid>,
    bins: Option<&Bins>,
    reference: &ColumnProfile,
    current: &ColumnProfile,
    settings: &DriftSettings,
) -> ColumnDrift {
    match (reference, current, grid) {
        (ColumnProfile::Numeric(r), ColumnProfile::Numeric(c), Some(g)) => {
            let (method, _) = settings.verdict_rule(&p.name, ColumnKind::Numeric);
            let bins = bins.unwrap_or(&g.whole);
            numeric_from_profiles(&p.name, &g.grid, bins, r, c, None, settings, Some(method))
        }
        _ => drift_gathered(p, grid, bins, reference, current, None, settings),
    }
}

/// Which rows of a side a comparison covers (`None`: all of them).
pub(crate) type RowsOf<'a> = Option<&'a [usize]>;

/// Where one side's values come from for the gathering pass.
#[derive(Clone, Copy)]
pub(crate) enum SideValues<'a> {
    /// These rows of the side (`None`: all).
    Rows(RowsOf<'a>),
    /// The rows of the cells whose tuple `keep` marks: gathered by the slots kept while
    /// profiling, with neither a list of rows nor a grid lookup per value (a slice that is a
    /// union of cells).
    Cells {
        cells: &'a CellProfiles,
        column: usize,
        keep: &'a [bool],
    },
    /// The whole baseline, already sorted (its prepared reference): no pass needed.
    Sorted(&'a [f64]),
}

impl SideValues<'_> {
    fn gather(self, grid: &Grid, values: &Values, wanted: &[bool], stop: &Stop) -> SlotValues {
        match self {
            Self::Rows(Some(rows)) => {
                SlotValues::gather(grid, wanted, rows.iter().filter_map(|&i| values.get(i)))
            }
            Self::Rows(None) => SlotValues::gather(grid, wanted, values.iter().flatten()),
            Self::Cells {
                cells,
                column,
                keep,
            } => super::exact::gather_cells(grid, values, cells, column, keep, wanted, stop),
            Self::Sorted(sorted) => SlotValues::from_sorted(grid, wanted, sorted),
        }
    }
}

/// A cancellation check for the passes over rows.
pub(crate) type Stop<'a> = dyn Fn() -> bool + Sync + 'a;

/// [`drift_from_profiles`] made exact from the rows at hand: the profiles say which few slots an
/// exact KS D, Wasserstein distance and quartiles need, one extra pass over the rows of each side
/// gathers the values in them, and the statistics are evaluated again with those values.
#[allow(clippy::too_many_arguments)]
pub(crate) fn drift_exact(
    p: &Prepared,
    grid: Option<&ColumnGrid>,
    bins: Option<&Bins>,
    reference: &ColumnProfile,
    current: &ColumnProfile,
    (reference_values, current_values): (SideValues, SideValues),
    settings: &DriftSettings,
    stop: &Stop,
) -> ColumnDrift {
    let gathered = match (&p.data, reference, current, grid) {
        (
            ColumnData::Numeric {
                baseline, current, ..
            },
            ColumnProfile::Numeric(r),
            ColumnProfile::Numeric(c),
            Some(g),
        ) => exact_needs(&g.grid, r, c).map(|(wb, wc)| Gathered {
            baseline: reference_values.gather(&g.grid, baseline, &wb, stop),
            current: current_values.gather(&g.grid, current, &wc, stop),
        }),
        _ => None,
    };
    drift_gathered(
        p,
        grid,
        bins,
        reference,
        current,
        gathered.as_ref(),
        settings,
    )
}

pub(super) fn drift_gathered(
    p: &Prepared,
    grid: Option<&ColumnGrid>,
    bins: Option<&Bins>,
    reference: &ColumnProfile,
    current: &ColumnProfile,
    gathered: Option<&Gathered>,
    settings: &DriftSettings,
) -> ColumnDrift {
    match (&p.data, reference, current, grid) {
        (
            ColumnData::Categorical { labels, .. },
            ColumnProfile::Categorical(r),
            ColumnProfile::Categorical(c),
            _,
        ) => drift::categorical_drift_counts(
            &p.name,
            &r.counts,
            r.rows as usize,
            &c.counts,
            c.rows as usize,
            labels,
            settings,
        ),
        (_, ColumnProfile::Numeric(r), ColumnProfile::Numeric(c), Some(g)) => {
            let bins = bins.unwrap_or(&g.whole);
            numeric_from_profiles(&p.name, &g.grid, bins, r, c, gathered, settings, None)
        }
        _ => drift::finish(
            &p.name,
            p.kind(),
            0,
            0,
            settings,
            DriftStats::default(),
            None,
        ),
    }
}

/// Every statistic of a numeric comparison from its profiles, or with `only` a method just
/// that method's score (see [`drift_score_from_profiles`]).
#[allow(clippy::too_many_arguments)]
fn numeric_from_profiles(
    column: &str,
    grid: &Grid,
    g: &Bins,
    r: &NumericProfile,
    c: &NumericProfile,
    gathered: Option<&Gathered>,
    settings: &DriftSettings,
    only: Option<Method>,
) -> ColumnDrift {
    let (nb, nc) = (r.n(), c.n());
    let rate = |part: u64, whole: u64| drift::rate(part as usize, whole as usize);
    let wants = |m: Method| only.is_none_or(|o| o == m);
    let binned = only.is_none_or(|o| !matches!(o, Method::Ks | Method::WassersteinNormed));
    let (baseline_summary, current_summary) = if only.is_none() {
        (
            r.summary(grid, gathered.map(|g| &g.baseline)),
            c.summary(grid, gathered.map(|g| &g.current)),
        )
    } else {
        (None, None)
    };
    let mut intervals = StatIntervals {
        quantiles_estimated: !baseline_summary.as_ref().is_none_or(|s| s.1)
            || !current_summary.as_ref().is_none_or(|s| s.1),
        ..StatIntervals::default()
    };
    let mut stats = DriftStats {
        null_rate_baseline: rate(r.missing, r.rows),
        null_rate_current: rate(c.missing, c.rows),
        non_finite_rate_baseline: rate(r.non_finite, r.rows),
        non_finite_rate_current: rate(c.non_finite, c.rows),
        baseline_summary: baseline_summary.map(|s| s.0),
        current_summary: current_summary.map(|s| s.0),
        bin_edges: only.is_none().then(|| g.cuts.clone()),
        bin_labels: if only.is_none() {
            (0..=g.cuts.len())
                .map(|i| drift::bin_label(&g.cuts, i))
                .collect()
        } else {
            Vec::new()
        },
        baseline_counts: r.bin_counts(&g.boundaries),
        current_counts: c.bin_counts(&g.boundaries),
        ..DriftStats::default()
    };
    if nb > 0 && nc > 0 {
        if wants(Method::Ks)
            && let Some(ks) = ks_from_profiles(grid, r, c, gathered)
        {
            stats.ks_statistic = Some(ks.statistic.value);
            stats.ks_pvalue = Some(ks.pvalue.value);
            stats.ks_method = Some(ks.method);
            stats.ks_location = Some(ks.location);
            if !ks.statistic.is_exact() {
                intervals.ks_statistic = Some([ks.statistic.lo, ks.statistic.hi]);
                intervals.ks_pvalue = Some([ks.pvalue.lo, ks.pvalue.hi]);
            }
        }
        if wants(Method::WassersteinNormed)
            && let Some(w) = wasserstein_from_profiles(grid, r, c, gathered)
        {
            stats.wasserstein = Some(w.value);
            if let Some(s0) = r.std(0) {
                stats.wasserstein_normed = Some(wasserstein::wasserstein_normed(w.value, s0));
                if !w.is_exact() {
                    intervals.wasserstein_normed = Some([
                        wasserstein::wasserstein_normed(w.lo, s0),
                        wasserstein::wasserstein_normed(w.hi, s0),
                    ]);
                }
            }
            if !w.is_exact() {
                intervals.wasserstein = Some([w.lo, w.hi]);
            }
        }
        if binned {
            let pb = binning::proportions(&stats.baseline_counts);
            let pc = binning::proportions(&stats.current_counts);
            drift::fill_binned(&mut stats, &pb, &pc);
        }
        if only.is_none() {
            let (lo, hi) = out_of_range(grid, r, c, gathered);
            stats.out_of_range_rate = Some(lo as f64 / nc as f64);
            if hi > lo {
                intervals.out_of_range_rate = Some([lo as f64 / nc as f64, hi as f64 / nc as f64]);
            }
        }
    }
    if intervals != StatIntervals::default() {
        stats.intervals = Some(intervals);
    }
    drift::finish_bounded(
        column,
        ColumnKind::Numeric,
        nb as usize,
        nc as usize,
        settings,
        stats,
    )
}

/// Quantiles of one side's values from its profile (for timelines: the score's percentiles per
/// window), estimated inside buckets where the grid does not resolve them.
pub fn quantiles(p: &ColumnProfile, grid: Option<&ColumnGrid>, qs: &[f64]) -> Option<Vec<f64>> {
    let (ColumnProfile::Numeric(p), Some(g)) = (p, grid) else {
        return None;
    };
    qs.iter()
        .map(|&q| p.quantile(&g.grid, q, None).map(|(v, _)| v))
        .collect()
}
