//! Drift of one column between a reference sample and a current sample: every statistic of
//! DESIGN.md, and a verdict by the chosen method and threshold.
//!
//! The reference side is prepared once ([`NumericReference`], [`CategoricalReference`]: sorted
//! values, bin edges, counts) and reused for every slice compared against it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::evidently;
use crate::stats::{binning, chi2, divergence, ks, sorted, summary, wasserstein};

mod method;
mod rows;
mod settings;
pub use method::{ColumnKind, Decider, Method};
pub(crate) use rows::fill_binned;
pub use rows::{
    NumericSample, categorical_drift, categorical_drift_counts, numeric_drift, numeric_drift_sample,
};
pub use settings::{ColumnSettings, DriftSettings, Preset};

/// Every statistic of one comparison; `None` where it does not apply. Names follow the JSON
/// contract of DESIGN.md.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DriftStats {
    pub ks_statistic: Option<f64>,
    pub ks_pvalue: Option<f64>,
    pub ks_method: Option<ks::KsMethod>,
    pub ks_location: Option<f64>,
    pub wasserstein: Option<f64>,
    pub wasserstein_normed: Option<f64>,
    pub psi: Option<f64>,
    pub kl_current_baseline: Option<f64>,
    pub kl_baseline_current: Option<f64>,
    pub js_distance: Option<f64>,
    pub hellinger: Option<f64>,
    pub chi2_statistic: Option<f64>,
    pub chi2_pvalue: Option<f64>,
    pub chi2_dof: Option<usize>,
    pub l_infinity: Option<f64>,
    pub null_rate_baseline: f64,
    pub null_rate_current: f64,
    /// Share of rows holding +inf or −inf: counted apart and left out of every other statistic.
    #[serde(default)]
    pub non_finite_rate_baseline: f64,
    #[serde(default)]
    pub non_finite_rate_current: f64,
    /// `None` when every statistic is exact; from a profile, the intervals of those that are not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intervals: Option<StatIntervals>,
    pub out_of_range_rate: Option<f64>,
    pub new_category_rate: Option<f64>,
    /// Inner bin edges (numbers): bins are (-inf, e1), [e1, e2), …, [ek, +inf).
    pub bin_edges: Option<Vec<f64>>,
    /// The bins' or categories' labels, and counts on each side, in the same order.
    pub bin_labels: Vec<String>,
    pub baseline_counts: Vec<u64>,
    pub current_counts: Vec<u64>,
    pub new_categories: Vec<String>,
    pub missing_categories: Vec<String>,
    pub baseline_summary: Option<summary::Summary>,
    pub current_summary: Option<summary::Summary>,
}

/// Statistics known only to lie in an interval, when they were evaluated from a profile whose
/// grid does not resolve them (see `stats::profile`); `[lo, hi]`, `None` where exact.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StatIntervals {
    pub ks_statistic: Option<[f64; 2]>,
    pub ks_pvalue: Option<[f64; 2]>,
    pub wasserstein: Option<[f64; 2]>,
    pub wasserstein_normed: Option<[f64; 2]>,
    /// The share of current values outside the reference's range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_of_range_rate: Option<[f64; 2]>,
    /// The current side's quartiles are estimated inside their buckets.
    pub quantiles_estimated: bool,
}

impl StatIntervals {
    /// The interval of the statistic a method decides by, when it is not exact.
    pub fn of_method(&self, method: Method) -> Option<[f64; 2]> {
        match method {
            Method::Ks => self.ks_pvalue,
            Method::WassersteinNormed => self.wasserstein_normed,
            _ => None,
        }
    }
}

fn exact_default() -> bool {
    true
}

/// One column compared between two samples.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ColumnDrift {
    pub column: String,
    pub kind: ColumnKind,
    pub n_baseline: usize,
    pub n_current: usize,
    /// The deciding statistic: a [`Method`], or Evidently's test under the Evidently preset.
    pub method: Decider,
    /// The deciding statistic's value (a distance, or a p-value for KS/chi-square).
    pub score: Option<f64>,
    pub threshold: f64,
    /// True for p-values: drift when the score is below the threshold.
    pub lower_is_drift: bool,
    pub drifted: bool,
    /// Why there is no verdict, when there is none.
    pub note: Option<String>,
    /// Every statistic is exact: computed from the rows, or from a profile that resolves it.
    #[serde(default = "exact_default")]
    pub exact: bool,
    /// The deciding score's interval when it is not exact; the verdict is then given only when
    /// the whole interval lies on one side of the threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_interval: Option<[f64; 2]>,
    pub stats: DriftStats,
}

/// How the note of a verdict a profile's intervals cannot give begins.
const UNDECIDED: &str = "undecided from the profile";

impl ColumnDrift {
    /// No verdict because the score's interval from a profile straddles the threshold: the rows
    /// must decide (see [`finish_bounded`]).
    pub fn undecided(&self) -> bool {
        !self.exact
            && self
                .note
                .as_deref()
                .is_some_and(|n| n.starts_with(UNDECIDED))
    }

    /// The score on one scale where larger means more drifted (p-values flip), for ranking.
    pub fn badness(&self) -> f64 {
        match self.score {
            None => f64::NEG_INFINITY,
            Some(s) if self.lower_is_drift => 1.0 - s,
            Some(s) => s,
        }
    }
}

/// The reference side of a numeric column, prepared once.
#[derive(Clone, Debug)]
pub struct NumericReference {
    pub sorted: Vec<f64>,
    pub rows: usize,
    /// Rows holding ±inf (not in `sorted`).
    pub non_finite: usize,
    pub cuts: Vec<f64>,
    pub counts: Vec<u64>,
    pub std0: Option<f64>,
    pub summary: Option<summary::Summary>,
    /// The column holds integers with no missing values on either side (Evidently's binning
    /// treats such columns differently, as numpy does).
    pub integer: bool,
}

impl NumericReference {
    pub fn new(values: &[Option<f64>], settings: &ColumnSettings, default_bins: usize) -> Self {
        let present: Vec<f64> = values.iter().flatten().copied().collect();
        let non_finite = present.iter().filter(|v| v.is_infinite()).count();
        let present: Vec<f64> = present.into_iter().filter(|v| v.is_finite()).collect();
        let sorted = sorted(&present);
        let cuts = match &settings.edges {
            Some(edges) => {
                let mut e = edges.clone();
                e.sort_by(f64::total_cmp);
                e.dedup();
                e
            }
            None => binning::quantile_cuts(&sorted, settings.bins.unwrap_or(default_bins)),
        };
        let counts = binning::bin_counts_sorted(&sorted, &cuts);
        Self {
            std0: summary::std(&sorted, 0),
            summary: summary::summarize_sorted(&sorted),
            rows: values.len(),
            non_finite,
            sorted,
            cuts,
            counts,
            integer: false,
        }
    }
}

/// The reference side of a categorical column: counts per dictionary code.
#[derive(Clone, Debug)]
pub struct CategoricalReference {
    pub counts: Vec<u64>,
    pub rows: usize,
}

impl CategoricalReference {
    pub fn new(codes: &[Option<u32>], dict_len: usize) -> Self {
        Self::of(codes.iter().copied(), dict_len)
    }

    /// The reference of these codes (rows counted, missing ones included).
    pub fn of(codes: impl IntoIterator<Item = Option<u32>>, dict_len: usize) -> Self {
        let mut rows = 0;
        let counts = count_codes_of(codes.into_iter().inspect(|_| rows += 1), dict_len);
        Self { counts, rows }
    }
}

pub fn count_codes(codes: &[Option<u32>], dict_len: usize) -> Vec<u64> {
    count_codes_of(codes.iter().copied(), dict_len)
}

/// Counts per dictionary code (a code past the dictionary is not counted).
pub fn count_codes_of(codes: impl IntoIterator<Item = Option<u32>>, dict_len: usize) -> Vec<u64> {
    let mut counts = vec![0u64; dict_len];
    for c in codes.into_iter().flatten() {
        if let Some(n) = counts.get_mut(c as usize) {
            *n += 1;
        }
    }
    counts
}

pub(crate) fn rate(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

pub(crate) fn bin_label(cuts: &[f64], i: usize) -> String {
    let fmt = |x: f64| format!("{}", (x * 1e6).round() / 1e6);
    match (i.checked_sub(1).and_then(|j| cuts.get(j)), cuts.get(i)) {
        (None, Some(hi)) => format!("< {}", fmt(*hi)),
        (Some(lo), Some(hi)) => format!("[{}, {})", fmt(*lo), fmt(*hi)),
        (Some(lo), None) => format!("≥ {}", fmt(*lo)),
        (None, None) => "all".to_owned(),
    }
}

/// The verdict of a score against a threshold.
fn decide(method: Method, score: Option<f64>, threshold: f64) -> bool {
    match score {
        Some(s) if method.is_pvalue() => s < threshold,
        Some(s) => s >= threshold,
        None => false,
    }
}

fn score_of(method: Method, s: &DriftStats) -> Option<f64> {
    match method {
        Method::JensenShannon => s.js_distance,
        Method::Psi => s.psi,
        Method::WassersteinNormed => s.wasserstein_normed,
        Method::Hellinger => s.hellinger,
        Method::Kl => s.kl_current_baseline,
        Method::LInfinity => s.l_infinity,
        Method::Ks => s.ks_pvalue,
        Method::Chi2 => s.chi2_pvalue,
    }
}

pub(crate) fn finish(
    column: &str,
    kind: ColumnKind,
    n_baseline: usize,
    n_current: usize,
    settings: &DriftSettings,
    stats: DriftStats,
    evidently_sides: Option<(evidently::Values, evidently::Values)>,
) -> ColumnDrift {
    if settings.preset == Preset::Evidently
        && let Some((reference, current)) = evidently_sides
    {
        let col = settings.column(column);
        // A column's method is its `stattest`, as `per_column_stattest` sets it in Evidently.
        let asked = col.method.filter(|m| m.applies_to(kind));
        let test = asked.map(evidently::EvidentlyTest::of_method);
        // No verdict under the preset: the statistics with a note saying why.
        let unmeasured = |stats: DriftStats, note: String| ColumnDrift {
            column: column.to_owned(),
            kind,
            n_baseline,
            n_current,
            method: Decider::Evidently(None),
            score: None,
            threshold: 0.0,
            lower_is_drift: false,
            drifted: false,
            note: Some(note),
            exact: true,
            score_interval: None,
            stats,
        };
        if let Some(None) = test {
            let method = asked.map_or("", Method::as_str);
            return unmeasured(
                stats,
                format!("Evidently has no {method} test: choose another method for this column"),
            );
        }
        let verdict = evidently::evaluate(
            kind,
            &reference,
            &current,
            test.flatten(),
            col.threshold.or(settings.threshold),
        );
        return match verdict {
            Some(v) => ColumnDrift {
                column: column.to_owned(),
                kind,
                n_baseline,
                n_current,
                method: Decider::Evidently(Some(v.test)),
                score: Some(v.score),
                threshold: v.threshold,
                lower_is_drift: v.test.is_pvalue(),
                drifted: v.drifted,
                note: None,
                exact: true,
                score_interval: None,
                stats,
            },
            None => unmeasured(stats, "no values on one side".to_owned()),
        };
    }
    let (method, threshold) = settings.verdict_rule(column, kind);
    let score = score_of(method, &stats);
    let min = settings.min_rows.max(1);
    let note = if n_baseline == 0 || n_current == 0 {
        Some("no values on one side".to_owned())
    } else if n_baseline < min || n_current < min {
        Some(format!(
            "too few values for a verdict ({n_baseline} baseline, {n_current} log; at least {min} needed)"
        ))
    } else {
        None
    };
    ColumnDrift {
        column: column.to_owned(),
        kind,
        n_baseline,
        n_current,
        method: Decider::Method(method),
        score,
        threshold,
        lower_is_drift: method.is_pvalue(),
        drifted: note.is_none() && decide(method, score, threshold),
        note,
        exact: true,
        score_interval: None,
        stats,
    }
}

/// [`finish`] for statistics that may hold intervals (from a profile): `exact` says whether all
/// are exact, and when the deciding score is an interval the verdict is given only when the whole
/// interval lies on one side of the threshold — otherwise there is none, and the note says why.
pub(crate) fn finish_bounded(
    column: &str,
    kind: ColumnKind,
    n_baseline: usize,
    n_current: usize,
    settings: &DriftSettings,
    stats: DriftStats,
) -> ColumnDrift {
    let intervals = stats.intervals.clone();
    let mut d = finish(column, kind, n_baseline, n_current, settings, stats, None);
    let Some(iv) = intervals else {
        return d;
    };
    d.exact = false;
    let Some(method) = d.method.method() else {
        return d;
    };
    if let Some([lo, hi]) = iv.of_method(method) {
        d.score_interval = Some([lo, hi]);
        if d.note.is_none() {
            let (a, b) = (
                decide(method, Some(lo), d.threshold),
                decide(method, Some(hi), d.threshold),
            );
            if a == b {
                d.drifted = a;
            } else {
                d.drifted = false;
                d.note = Some(format!(
                    "{UNDECIDED}: the score lies in [{lo:.4}, {hi:.4}], across the threshold {}",
                    d.threshold
                ));
            }
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The JSON names a report's `method` has always had, read back as what wrote them.
    #[test]
    fn a_decider_is_written_with_its_stable_name_and_read_back() {
        use evidently::EvidentlyTest as T;
        let tests = [
            T::Ks,
            T::Chisquare,
            T::Z,
            T::Wasserstein,
            T::Jensenshannon,
            T::Psi,
            T::KlDiv,
            T::Hellinger,
        ];
        let mut all: Vec<Decider> = Method::ALL.map(Decider::Method).to_vec();
        all.push(Decider::Evidently(None));
        all.extend(tests.map(|t| Decider::Evidently(Some(t))));
        for d in all {
            let json = serde_json::to_value(d).unwrap();
            let name = json.as_str().unwrap();
            let want = match d {
                Decider::Method(m) => m.as_str().to_owned(),
                Decider::Evidently(None) => "evidently".to_owned(),
                // The registry name is the one serde gives the test.
                Decider::Evidently(Some(t)) => format!(
                    "evidently:{}",
                    serde_json::to_value(t).unwrap().as_str().unwrap()
                ),
            };
            assert_eq!(name, want);
            assert_eq!(serde_json::from_value::<Decider>(json).unwrap(), d);
        }
        assert!(serde_json::from_value::<Decider>("evidently:nope".into()).is_err());
        assert!(serde_json::from_value::<Decider>("nope".into()).is_err());
    }

    #[test]
    fn a_shifted_numeric_column_drifts_and_an_identical_one_does_not() {
        let base: Vec<Option<f64>> = (0..1000).map(|i| Some(f64::from(i))).collect();
        let shifted: Vec<Option<f64>> = (0..1000).map(|i| Some(f64::from(i) + 400.0)).collect();
        let settings = DriftSettings::default();
        let reference = NumericReference::new(&base, &ColumnSettings::default(), 10);
        let same = numeric_drift("x", &reference, &base, &settings);
        assert_eq!(same.score, Some(0.0));
        assert!(!same.drifted);
        let moved = numeric_drift("x", &reference, &shifted, &settings);
        assert!(moved.drifted, "{moved:?}");
        assert_eq!(moved.method, Decider::Method(Method::JensenShannon));
        assert_eq!(moved.stats.bin_edges.as_ref().map(Vec::len), Some(9));
        assert!((moved.stats.out_of_range_rate.unwrap() - 0.4).abs() < 1e-12);
    }

    #[test]
    fn nulls_are_counted_not_dropped_silently() {
        let base: Vec<Option<f64>> = (0..200).map(|i| Some(f64::from(i % 50))).collect();
        let mut cur = base.clone();
        for v in cur.iter_mut().step_by(4) {
            *v = None;
        }
        let reference = NumericReference::new(&base, &ColumnSettings::default(), 10);
        let d = numeric_drift("x", &reference, &cur, &DriftSettings::default());
        assert_eq!(d.stats.null_rate_baseline, 0.0);
        assert_eq!(d.stats.null_rate_current, 0.25);
        assert_eq!(d.n_current, 150);
    }

    #[test]
    fn small_samples_get_statistics_but_no_verdict() {
        let base: Vec<Option<f64>> = (0..50).map(|i| Some(f64::from(i))).collect();
        let cur: Vec<Option<f64>> = (0..50).map(|i| Some(f64::from(i) + 100.0)).collect();
        let reference = NumericReference::new(&base, &ColumnSettings::default(), 10);
        let d = numeric_drift("x", &reference, &cur, &DriftSettings::default());
        assert!(!d.drifted);
        assert!(d.note.as_deref().unwrap_or("").contains("too few values"));
        assert_eq!(d.stats.ks_statistic, Some(1.0));
    }

    #[test]
    fn new_and_missing_categories_are_named() {
        let labels: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let base: Vec<Option<u32>> = (0..300).map(|i| Some(i % 2)).collect();
        let cur: Vec<Option<u32>> = (0..300)
            .map(|i| Some(if i % 3 == 0 { 2 } else { 0 }))
            .collect();
        let reference = CategoricalReference::new(&base, labels.len());
        let d = categorical_drift("c", &reference, cur, &labels, &DriftSettings::default());
        assert_eq!(d.stats.new_categories, ["c"]);
        assert_eq!(d.stats.missing_categories, ["b"]);
        assert!((d.stats.new_category_rate.unwrap() - 1.0 / 3.0).abs() < 1e-12);
        assert!(d.drifted);
    }

    #[test]
    fn pinned_edges_and_bin_counts_are_used_as_given() {
        let base: Vec<Option<f64>> = (0..1000).map(|i| Some(f64::from(i % 100))).collect();
        let pinned = ColumnSettings {
            edges: Some(vec![50.0, 10.0, 50.0]),
            ..ColumnSettings::default()
        };
        let reference = NumericReference::new(&base, &pinned, 10);
        let d = numeric_drift("x", &reference, &base, &DriftSettings::default());
        assert_eq!(d.stats.bin_edges, Some(vec![10.0, 50.0]));
        assert_eq!(d.stats.baseline_counts, [100, 400, 500]);
        assert_eq!(d.stats.bin_labels, ["< 10", "[10, 50)", "≥ 50"]);
        let quartiles = ColumnSettings {
            bins: Some(4),
            ..ColumnSettings::default()
        };
        let reference = NumericReference::new(&base, &quartiles, 10);
        assert_eq!(reference.cuts.len(), 3);
    }

    #[test]
    fn per_column_settings_win_over_global_ones() {
        let mut settings = DriftSettings {
            threshold: Some(0.3),
            ..DriftSettings::default()
        };
        assert_eq!(
            settings.verdict_rule("a", ColumnKind::Numeric),
            (Method::JensenShannon, 0.3)
        );
        settings.columns.insert(
            "a".into(),
            ColumnSettings {
                method: Some(Method::Ks),
                threshold: Some(0.01),
                ..ColumnSettings::default()
            },
        );
        assert_eq!(
            settings.verdict_rule("a", ColumnKind::Numeric),
            (Method::Ks, 0.01)
        );
        // KS cannot judge categories: the global method does.
        assert_eq!(
            settings.verdict_rule("a", ColumnKind::Categorical),
            (Method::JensenShannon, 0.01)
        );
    }
}
