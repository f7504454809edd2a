//! Data-quality alerts: missing values that appear (overall, in one segment, from one window on),
//! new categories, values outside the baseline's range, columns gone constant, schema changes.
//! Missingness is a signal of its own — an upstream change that blanks a field is an incident even
//! when the values that remain look normal.

use serde::{Deserialize, Serialize};

use super::drift::{ColumnKind, DriftSettings};
use super::report::{FeatureDrift, SegmentMix};
use super::windows::WindowsReport;
use super::workspace::{Reference, SegmentRef};
use crate::data::{Inputs, Role};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QualityKind {
    NullRateChange,
    NewCategories,
    OutOfRange,
    BecameConstant,
    TypeChange,
    OnlyInBaseline,
    OnlyInLog,
    NewSegment,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QualityAlert {
    pub kind: QualityKind,
    pub severity: Severity,
    pub column: String,
    pub segment: Option<SegmentRef>,
    /// The baseline's and the current side's value of the measure (a rate), where there is one.
    pub baseline: Option<f64>,
    pub current: Option<f64>,
    /// First time window where it shows, for null-rate changes.
    pub since: Option<String>,
    pub message: String,
}

use crate::format::pct;

impl QualityAlert {
    /// An alert with no measured values yet; set `baseline`, `current`, `since` where known.
    fn new(
        kind: QualityKind,
        severity: Severity,
        column: &str,
        segment: Option<SegmentRef>,
        message: String,
    ) -> Self {
        Self {
            kind,
            severity,
            column: column.to_owned(),
            segment,
            baseline: None,
            current: None,
            since: None,
            message,
        }
    }

    fn values(mut self, baseline: Option<f64>, current: Option<f64>) -> Self {
        self.baseline = baseline;
        self.current = current;
        self
    }
}

/// Critical at or above `critical`, else `below`.
fn graded(value: f64, critical: f64, below: Severity) -> Severity {
    if value >= critical {
        Severity::Critical
    } else {
        below
    }
}

fn where_(segment: &Option<SegmentRef>) -> String {
    match segment {
        Some(s) => format!(" where {} = {}", s.column, s.value),
        None => String::new(),
    }
}

/// All alerts, most severe first.
pub fn alerts(
    inputs: &Inputs,
    features: &[FeatureDrift],
    mixes: &[SegmentMix],
    windows: Option<&WindowsReport>,
    settings: &DriftSettings,
) -> Vec<QualityAlert> {
    use QualityKind as K;
    let mut out = Vec::new();
    for f in features {
        // Per segment, judge against the whole baseline: the question is "is this slice worse".
        if f.reference != Reference::Baseline {
            continue;
        }
        let d = &f.drift;
        let s = &d.stats;
        let overall = f.segment.is_none();
        let change = s.null_rate_current - s.null_rate_baseline;
        // Labels arrive late: their missing share is coverage (reported with performance), not
        // a defect.
        if f.role != Role::Label && change.abs() >= settings.null_rate_change {
            let mut a = QualityAlert::new(
                K::NullRateChange,
                graded(change.abs(), 0.2, Severity::Warning),
                &d.column,
                f.segment.clone(),
                format!(
                    "`{}` is missing in {} of rows{} (baseline {})",
                    d.column,
                    pct(s.null_rate_current),
                    where_(&f.segment),
                    pct(s.null_rate_baseline)
                ),
            )
            .values(Some(s.null_rate_baseline), Some(s.null_rate_current));
            if overall {
                a.since = null_since(windows, &d.column, s.null_rate_baseline, settings);
            }
            out.push(a);
        }
        if !overall {
            continue;
        }
        if !s.new_categories.is_empty() {
            let rate = s.new_category_rate.unwrap_or(0.0);
            let shown: Vec<&str> = s
                .new_categories
                .iter()
                .take(5)
                .map(String::as_str)
                .collect();
            let more = s.new_categories.len() - shown.len();
            let more = if more > 0 {
                format!(", {more} more")
            } else {
                String::new()
            };
            out.push(
                QualityAlert::new(
                    K::NewCategories,
                    graded(rate, 0.05, Severity::Warning),
                    &d.column,
                    None,
                    format!(
                        "`{}` has {} value(s) the baseline never had ({}{more}), {} of rows",
                        d.column,
                        s.new_categories.len(),
                        shown.join(", "),
                        pct(rate)
                    ),
                )
                .values(Some(0.0), Some(rate)),
            );
        }
        if let Some(rate) = s.out_of_range_rate
            && rate >= 0.01
        {
            let severity = if rate >= 0.05 {
                Severity::Warning
            } else {
                Severity::Info
            };
            out.push(
                QualityAlert::new(
                    K::OutOfRange,
                    severity,
                    &d.column,
                    None,
                    format!(
                        "{} of `{}` values lie outside the baseline's range",
                        pct(rate),
                        d.column
                    ),
                )
                .values(None, Some(rate)),
            );
        }
        let numeric_constant = matches!(
            (&s.baseline_summary, &s.current_summary),
            (Some(b), Some(c)) if b.min < b.max && c.min == c.max && c.count > 1
        );
        let categorical_constant = d.kind == ColumnKind::Categorical
            && s.baseline_counts.iter().filter(|&&c| c > 0).count() > 1
            && s.current_counts.iter().filter(|&&c| c > 0).count() == 1
            && d.n_current > 1;
        if numeric_constant || categorical_constant {
            out.push(QualityAlert::new(
                K::BecameConstant,
                Severity::Critical,
                &d.column,
                None,
                format!(
                    "`{}` has a single value in the log but several in the baseline",
                    d.column
                ),
            ));
        }
    }
    for mix in mixes {
        for v in mix.values.iter().filter(|v| v.absent_from_baseline) {
            let segment = SegmentRef {
                column: mix.column.clone(),
                value: v.value.clone(),
            };
            out.push(
                QualityAlert::new(
                    K::NewSegment,
                    graded(v.current_share, 0.05, Severity::Warning),
                    &mix.column,
                    Some(segment),
                    format!(
                        "{} = {} sends {} of traffic ({} rows) but never appears in the baseline",
                        mix.column,
                        v.value,
                        pct(v.current_share),
                        v.current_rows
                    ),
                )
                .values(Some(0.0), Some(v.current_share)),
            );
        }
    }
    for change in &inputs.schema.type_changes {
        let severity = if change.compatible {
            Severity::Info
        } else {
            Severity::Critical
        };
        out.push(QualityAlert::new(
            K::TypeChange,
            severity,
            &change.column,
            None,
            format!(
                "`{}` is {} in the baseline but {} in the log",
                change.column, change.baseline, change.current
            ),
        ));
    }
    for (columns, kind, side) in [
        (
            &inputs.schema.only_baseline,
            K::OnlyInBaseline,
            "only in the baseline",
        ),
        (&inputs.schema.only_current, K::OnlyInLog, "only in the log"),
    ] {
        for column in columns {
            // Log-only context columns (time, ids, versions, latency) are expected.
            let expected = matches!(
                inputs.roles.role_of(column),
                Some(
                    Role::Timestamp | Role::Id | Role::ModelVersion | Role::Latency | Role::Ignored
                )
            );
            let severity = if expected {
                Severity::Info
            } else {
                Severity::Warning
            };
            out.push(QualityAlert::new(
                kind,
                severity,
                column,
                None,
                format!("`{column}` is {side}"),
            ));
        }
    }
    out.sort_by_key(|a| std::cmp::Reverse(a.severity));
    out
}

/// The first window whose null rate of `column` is above the baseline's by the alert margin.
fn null_since(
    windows: Option<&WindowsReport>,
    column: &str,
    baseline_rate: f64,
    settings: &DriftSettings,
) -> Option<String> {
    let w = windows?;
    let series = w.series.iter().find(|s| s.column == column)?;
    let i = series
        .null_rates
        .iter()
        .position(|r| (r - baseline_rate).abs() >= settings.null_rate_change)?;
    w.windows[i]
        .start
        .clone()
        .or_else(|| Some(format!("window {}", i + 1)))
}
