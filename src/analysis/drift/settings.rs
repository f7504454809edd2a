//! The settings a drift report is measured with: global method and thresholds, per-column
//! overrides, the preset (driftscope's own or Evidently's).

use super::*;

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
