//! Mergeable profiles of one column: what a set of rows holds, as counts on a bucket grid fixed
//! by the baseline, so that any union of rows is measured by adding counts — the accumulator
//! pattern of a query engine (`update` per value or batch, `merge` of partial states, `evaluate`
//! at the end; DataFusion's `Accumulator`).
//!
//! **The grid.** A numeric column's grid is a sorted list of distinct edges `e_0 < … < e_{k-1}`:
//! every cut point any reference bins on, the baseline's minimum and maximum, and either every
//! distinct baseline value (when there are few enough) or baseline order statistics at evenly
//! spaced ranks. A value falls in one of `2k + 1` slots: the open gaps `(-inf, e_0)`,
//! `(e_0, e_1)`, …, `(e_{k-1}, +inf)` and the points `e_i` themselves (slot `2i + 1`). Each slot
//! holds a count and a sum.
//!
//! **What is exact.** Every binned statistic (PSI, both KLs, Jensen–Shannon, Hellinger, L∞, the
//! bin counts) is exact from the profile, since every cut is an edge. The ECDFs of both sides are
//! exact at every edge, so the Kolmogorov–Smirnov D is exact unless both sides have values inside
//! the same gap, where it can lie above what the edges show; then D is an interval, and so is its
//! p-value (which depends on D, n and m alone). Wasserstein-1 is exact on every gap where the two
//! ECDFs do not cross (the integral of an ECDF over a gap follows from the count and sum of the
//! values in it), an interval elsewhere. When the grid holds every distinct baseline value, the
//! baseline has no value inside a gap, so KS is always exact, and Wasserstein is exact except on
//! gaps where the current ECDF crosses the baseline's level. Quantiles are exact when the order
//! statistic lies on an edge, at the extremes, or alone in its gap; otherwise they are estimated
//! inside their gap and said to be. Mean, standard deviation (Chan et al.'s pairwise update),
//! minimum, maximum, missing and non-finite counts are exact (up to rounding order).

mod categorical;
mod compare;
mod gather;
mod grid;
mod numeric;

pub use categorical::CategoricalProfile;
pub use compare::{Bounded, KsBounds, ks_from_profiles, out_of_range, wasserstein_from_profiles};
pub use gather::{Gathered, SlotValues, exact_needs};
pub use grid::Grid;
pub use numeric::NumericProfile;

#[cfg(test)]
mod tests;
