//! Data-quality alerts: missing values that appear (overall, in one segment, from one window on),
//! new categories, values outside the baseline's range, columns gone constant, schema changes.
//! Missingness is a signal of its own — an upstream change that blanks a field is an incident even
//! when the values that remain look normal.

use serde::{Deserialize, Serialize};

use super::drift::DriftSettings;
use super::report::{FeatureDrift, Reference, SegmentMix, SegmentRef};
use super::windows::WindowsReport;
use crate::data::Inputs;

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
    let mut out = Vec::new();
    for f in features {
        // Per segment, judge against the whole baseline: the question is "is this slice worse".
        if f.reference != Reference::Baseline {
            continue;
        }
        let d = &f.drift;
        let s = &d.stats;
        let change = s.null_rate_current - s.null_rate_baseline;
        // Labels arrive late: their missing share is coverage (reported with performance), not
        // a defect.
        if f.role != crate::data::Role::Label
            && change.abs() >= settings.null_rate_change
            && d.n_current + d.n_baseline > 0
        {
            let since = if f.segment.is_none() {
                null_since(windows, &d.column, s.null_rate_baseline, settings)
            } else {
                None
            };
            out.push(QualityAlert {
                kind: QualityKind::NullRateChange,
                severity: if change.abs() >= 0.2 {
                    Severity::Critical
                } else {
                    Severity::Warning
                },
                column: d.column.clone(),
                segment: f.segment.clone(),
                baseline: Some(s.null_rate_baseline),
                current: Some(s.null_rate_current),
                message: format!(
                    "`{}` is missing in {} of rows{} (baseline {})",
                    d.column,
                    pct(s.null_rate_current),
                    where_(&f.segment),
                    pct(s.null_rate_baseline)
                ),
                since,
            });
        }
        if f.segment.is_none() && !s.new_categories.is_empty() {
            let rate = s.new_category_rate.unwrap_or(0.0);
            let shown: Vec<&str> = s
                .new_categories
                .iter()
                .take(5)
                .map(String::as_str)
                .collect();
            let more = s.new_categories.len().saturating_sub(shown.len());
            out.push(QualityAlert {
                kind: QualityKind::NewCategories,
                severity: if rate >= 0.05 {
                    Severity::Critical
                } else {
                    Severity::Warning
                },
                column: d.column.clone(),
                segment: None,
                baseline: Some(0.0),
                current: Some(rate),
                since: None,
                message: format!(
                    "`{}` has {} value(s) the baseline never had ({}{}), {} of rows",
                    d.column,
                    s.new_categories.len(),
                    shown.join(", "),
                    if more > 0 {
                        format!(", {more} more")
                    } else {
                        String::new()
                    },
                    pct(rate)
                ),
            });
        }
        if f.segment.is_none()
            && let Some(rate) = s.out_of_range_rate
            && rate >= 0.01
        {
            out.push(QualityAlert {
                kind: QualityKind::OutOfRange,
                severity: if rate >= 0.05 {
                    Severity::Warning
                } else {
                    Severity::Info
                },
                column: d.column.clone(),
                segment: None,
                baseline: None,
                current: Some(rate),
                since: None,
                message: format!(
                    "{} of `{}` values lie outside the baseline's range",
                    pct(rate),
                    d.column
                ),
            });
        }
        if f.segment.is_none()
            && let (Some(b), Some(c)) = (&s.baseline_summary, &s.current_summary)
            && b.min < b.max
            && c.min == c.max
            && c.count > 1
        {
            out.push(QualityAlert {
                kind: QualityKind::BecameConstant,
                severity: Severity::Critical,
                column: d.column.clone(),
                segment: None,
                baseline: None,
                current: Some(c.min),
                since: None,
                message: format!(
                    "`{}` is constant ({}) in the log but varies in the baseline",
                    d.column, c.min
                ),
            });
        }
        if f.segment.is_none()
            && s.baseline_counts.len() > 1
            && s.current_counts.iter().filter(|&&c| c > 0).count() == 1
            && d.n_current > 1
            && d.kind == super::drift::ColumnKind::Categorical
        {
            out.push(QualityAlert {
                kind: QualityKind::BecameConstant,
                severity: Severity::Critical,
                column: d.column.clone(),
                segment: None,
                baseline: None,
                current: None,
                since: None,
                message: format!(
                    "`{}` has a single value in the log but several in the baseline",
                    d.column
                ),
            });
        }
    }
    for mix in mixes {
        for v in mix.values.iter().filter(|v| v.absent_from_baseline) {
            out.push(QualityAlert {
                kind: QualityKind::NewSegment,
                severity: if v.current_share >= 0.05 {
                    Severity::Critical
                } else {
                    Severity::Warning
                },
                column: mix.column.clone(),
                segment: Some(SegmentRef {
                    column: mix.column.clone(),
                    value: v.value.clone(),
                }),
                baseline: Some(0.0),
                current: Some(v.current_share),
                since: None,
                message: format!(
                    "{} = {} sends {} of traffic ({} rows) but never appears in the baseline",
                    mix.column,
                    v.value,
                    pct(v.current_share),
                    v.current_rows
                ),
            });
        }
    }
    for change in &inputs.schema.type_changes {
        out.push(QualityAlert {
            kind: QualityKind::TypeChange,
            severity: if change.compatible {
                Severity::Info
            } else {
                Severity::Critical
            },
            column: change.column.clone(),
            segment: None,
            baseline: None,
            current: None,
            since: None,
            message: format!(
                "`{}` is {} in the baseline but {} in the log",
                change.column, change.baseline, change.current
            ),
        });
    }
    for (columns, kind, side) in [
        (
            &inputs.schema.only_baseline,
            QualityKind::OnlyInBaseline,
            "only in the baseline",
        ),
        (
            &inputs.schema.only_current,
            QualityKind::OnlyInLog,
            "only in the log",
        ),
    ] {
        for column in columns {
            let role = inputs.roles.role_of(column);
            // Log-only context columns (time, ids, versions, latency) are expected.
            let expected = matches!(
                role,
                Some(
                    crate::data::Role::Timestamp
                        | crate::data::Role::Id
                        | crate::data::Role::ModelVersion
                        | crate::data::Role::Latency
                        | crate::data::Role::Ignored
                )
            );
            out.push(QualityAlert {
                kind,
                severity: if expected {
                    Severity::Info
                } else {
                    Severity::Warning
                },
                column: column.clone(),
                segment: None,
                baseline: None,
                current: None,
                since: None,
                message: format!("`{column}` is {side}"),
            });
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
