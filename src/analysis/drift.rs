//! Drift of one column between a reference sample and a current sample: every statistic of
//! DESIGN.md, and a verdict by the chosen method and threshold.
//!
//! The reference side is prepared once ([`NumericReference`], [`CategoricalReference`]: sorted
//! values, bin edges, counts) and reused for every slice compared against it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::evidently;
use crate::stats::{binning, chi2, divergence, ks, sorted, summary, wasserstein};

/// How a column's values compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    Numeric,
    Categorical,
}

/// The statistic that decides whether a column drifted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Jensen–Shannon distance, base 2, on the bins (numbers) or categories; drift at ≥ threshold.
    JensenShannon,
    /// Population stability index on the same bins; drift at ≥ threshold.
    Psi,
    /// Wasserstein-1 divided by the baseline's population std (numbers only); drift at ≥ threshold.
    WassersteinNormed,
    /// Hellinger distance on the bins or categories; drift at ≥ threshold.
    Hellinger,
    /// KL(current ‖ baseline) on the bins or categories; drift at ≥ threshold.
    Kl,
    /// Largest difference of category shares (or bin shares); drift at ≥ threshold.
    LInfinity,
    /// Two-sample Kolmogorov–Smirnov p-value (numbers only); drift when p < threshold.
    Ks,
    /// Chi-square contingency p-value (categories only); drift when p < threshold.
    Chi2,
}

impl Method {
    pub const ALL: [Method; 8] = [
        Method::JensenShannon,
        Method::Psi,
        Method::WassersteinNormed,
        Method::Hellinger,
        Method::Kl,
        Method::LInfinity,
        Method::Ks,
        Method::Chi2,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::JensenShannon => "jensen_shannon",
            Method::Psi => "psi",
            Method::WassersteinNormed => "wasserstein_normed",
            Method::Hellinger => "hellinger",
            Method::Kl => "kl",
            Method::LInfinity => "l_infinity",
            Method::Ks => "ks",
            Method::Chi2 => "chi2",
        }
    }

    /// The threshold used when none is set.
    pub fn default_threshold(self) -> f64 {
        match self {
            Method::JensenShannon | Method::Hellinger | Method::WassersteinNormed => 0.1,
            Method::Psi => 0.2,
            Method::Kl => 0.1,
            Method::LInfinity => 0.1,
            Method::Ks | Method::Chi2 => 0.05,
        }
    }

    /// The largest value the statistic can take, for the bounded ones.
    pub fn upper_bound(self) -> Option<f64> {
        match self {
            Method::JensenShannon | Method::Hellinger | Method::LInfinity => Some(1.0),
            Method::Ks | Method::Chi2 => Some(1.0),
            Method::Psi | Method::WassersteinNormed | Method::Kl => None,
        }
    }

    /// p-value methods drift when the value is *below* the threshold.
    pub fn is_pvalue(self) -> bool {
        matches!(self, Method::Ks | Method::Chi2)
    }

    pub fn applies_to(self, kind: ColumnKind) -> bool {
        match self {
            Method::WassersteinNormed | Method::Ks => kind == ColumnKind::Numeric,
            Method::Chi2 => kind == ColumnKind::Categorical,
            _ => true,
        }
    }

    /// One line for a tooltip or the report's method notes.
    pub fn definition(self) -> &'static str {
        match self {
            Method::JensenShannon => {
                "Jensen–Shannon distance (base 2) between the binned distributions, sqrt of the mean KL of each side to their average; 0 = identical, 1 = disjoint"
            }
            Method::Psi => {
                "Population stability index, Σ (p_c − p_b)·ln(p_c/p_b) over bins, empty bins counted as 1e-4"
            }
            Method::WassersteinNormed => {
                "Wasserstein-1 distance (area between the two CDFs) divided by the baseline's standard deviation (ddof 0, at least 0.001)"
            }
            Method::Hellinger => {
                "Hellinger distance, sqrt(Σ (√p_b − √p_c)²)/√2; 0 = identical, 1 = disjoint"
            }
            Method::Kl => {
                "Kullback–Leibler divergence of the log from the baseline, Σ p_c·ln(p_c/p_b), empty bins counted as 1e-4"
            }
            Method::LInfinity => {
                "Largest absolute difference between a bin's or category's share in the baseline and in the log"
            }
            Method::Ks => {
                "Two-sample Kolmogorov–Smirnov test p-value (scipy's ks_2samp, exact up to 10,000 rows); drift when p is below the threshold"
            }
            Method::Chi2 => {
                "Chi-square test of the 2 × k table of category counts (scipy's chi2_contingency, Yates-corrected for 2 categories); drift when p is below the threshold"
            }
        }
    }
}

impl std::str::FromStr for Method {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key = s.trim().to_ascii_lowercase().replace('-', "_");
        let m = match key.as_str() {
            "js" | "jensenshannon" | "jensen_shannon" => Method::JensenShannon,
            "psi" => Method::Psi,
            "wasserstein" | "wasserstein_normed" | "emd" => Method::WassersteinNormed,
            "hellinger" => Method::Hellinger,
            "kl" | "kl_div" | "kl_divergence" => Method::Kl,
            "linf" | "l_infinity" | "l_inf" => Method::LInfinity,
            "ks" | "kolmogorov_smirnov" => Method::Ks,
            "chi2" | "chisquare" | "chi_square" => Method::Chi2,
            _ => {
                return Err(format!(
                    "unknown method '{s}'; methods are: {}",
                    Method::ALL.map(Method::as_str).join(", ")
                ));
            }
        };
        Ok(m)
    }
}

/// What decided a column's verdict: one of driftscope's methods, or under the Evidently preset
/// Evidently's test (`None` where no test ran). The JSON keeps the names it always had:
/// `"psi"`, `"evidently:psi"`, `"evidently"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Decider {
    Method(Method),
    Evidently(Option<evidently::EvidentlyTest>),
}

impl Decider {
    /// The method, when one of driftscope's decided.
    pub fn method(self) -> Option<Method> {
        match self {
            Decider::Method(m) => Some(m),
            Decider::Evidently(_) => None,
        }
    }

    /// One line for a tooltip.
    pub fn definition(self) -> &'static str {
        match self {
            Decider::Method(m) => m.definition(),
            Decider::Evidently(Some(t)) => t.display_name(),
            Decider::Evidently(None) => "no Evidently test ran for this column",
        }
    }
}

impl std::fmt::Display for Decider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Decider::Method(m) => f.write_str(m.as_str()),
            Decider::Evidently(None) => f.write_str("evidently"),
            Decider::Evidently(Some(t)) => write!(f, "evidently:{}", t.registry_name()),
        }
    }
}

impl From<Decider> for String {
    fn from(d: Decider) -> String {
        d.to_string()
    }
}

impl TryFrom<String> for Decider {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl std::str::FromStr for Decider {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.split_once(':') {
            _ if s == "evidently" => Ok(Decider::Evidently(None)),
            Some(("evidently", test)) => Ok(Decider::Evidently(Some(test.parse()?))),
            _ => s.parse().map(Decider::Method),
        }
    }
}

/// Settings of one column, overriding the global ones.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ColumnSettings {
    pub method: Option<Method>,
    pub threshold: Option<f64>,
    /// Equal-frequency bins of the baseline (numbers).
    pub bins: Option<usize>,
    /// Pinned inner bin edges (numbers): used as given instead of quantiles.
    pub edges: Option<Vec<f64>>,
}

/// How drift is measured: one method for numbers, one for categories, a threshold, bins, and
/// per-column exceptions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DriftSettings {
    pub numeric_method: Method,
    pub categorical_method: Method,
    /// Overrides the methods' default thresholds when set.
    pub threshold: Option<f64>,
    /// Equal-frequency bins of the baseline for numbers (10 = deciles).
    pub bins: usize,
    /// Fewer non-missing rows than this on either side: statistics are reported, no verdict.
    pub min_rows: usize,
    /// A change of the missing-value share by at least this much (absolute) is an alert.
    pub null_rate_change: f64,
    pub columns: BTreeMap<String, ColumnSettings>,
    /// `Evidently` reproduces Evidently 0.7's DataDriftPreset verdicts instead of the above.
    pub preset: Preset,
}

/// Whose rules decide drift.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    /// driftscope's defaults and the settings above.
    #[default]
    Driftscope,
    /// Evidently 0.7's DataDriftPreset, column by column.
    Evidently,
}

impl Default for DriftSettings {
    fn default() -> Self {
        Self {
            numeric_method: Method::JensenShannon,
            categorical_method: Method::JensenShannon,
            threshold: None,
            bins: 10,
            min_rows: 100,
            null_rate_change: 0.05,
            columns: BTreeMap::new(),
            preset: Preset::Driftscope,
        }
    }
}

impl DriftSettings {
    pub fn column(&self, column: &str) -> ColumnSettings {
        self.columns.get(column).cloned().unwrap_or_default()
    }

    /// The method and threshold that decide for a column of this kind.
    pub fn verdict_rule(&self, column: &str, kind: ColumnKind) -> (Method, f64) {
        let col = self.column(column);
        let global = match kind {
            ColumnKind::Numeric => self.numeric_method,
            ColumnKind::Categorical => self.categorical_method,
        };
        let method =
            col.method
                .filter(|m| m.applies_to(kind))
                .unwrap_or(if global.applies_to(kind) {
                    global
                } else {
                    Method::JensenShannon
                });
        let threshold = col
            .threshold
            .or(self.threshold)
            .unwrap_or_else(|| method.default_threshold());
        (method, threshold)
    }
}

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
        Self {
            counts: count_codes(codes, dict_len),
            rows: codes.len(),
        }
    }
}

pub fn count_codes(codes: &[Option<u32>], dict_len: usize) -> Vec<u64> {
    let mut counts = vec![0u64; dict_len];
    for c in codes.iter().flatten() {
        counts[*c as usize] += 1;
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

/// An enum's serde name (`KlDiv` → `kl_div`).
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
    current: &[Option<u32>],
    labels: &[String],
    settings: &DriftSettings,
) -> ColumnDrift {
    let cur_counts = count_codes(current, labels.len());
    categorical_drift_counts(
        column,
        &reference.counts,
        reference.rows,
        &cur_counts,
        current.len(),
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
        let d = categorical_drift("c", &reference, &cur, &labels, &DriftSettings::default());
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
