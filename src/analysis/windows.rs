//! Drift over time: the log cut into windows (by period on the timestamp, or by row count), each
//! column's drift score per window against the whole baseline, with two thresholds side by side —
//! the fixed one of the method, and a data-driven one in the manner of NannyML: the baseline cut
//! into chunks of the same size, each scored against the whole baseline, threshold = mean + 3σ of
//! those scores (mean − 3σ for p-values). The first window over a threshold is "since when".

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::columns;
use super::drift::{ColumnKind, DriftSettings, Method};
use super::report::{Prepared, PreparedRef};
use crate::data::timestamps::format_micros;
use crate::data::{Inputs, Role};
use crate::stats::summary;

/// How the log is cut into windows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowSpec {
    /// Calendar periods in UTC (aligned to the epoch: days start at 00:00 UTC).
    Period { seconds: i64, label: String },
    /// Consecutive runs of this many rows, in file order.
    Rows(usize),
}

impl std::str::FromStr for WindowSpec {
    type Err = String;

    /// `1d`, `6h`, `30m`, `1w`, `10000rows`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        let bad = || {
            format!(
                "'{s}' is not a window: use a period such as 1d, 6h, 30m, 1w, or a row count such as 10000rows"
            )
        };
        if let Some(n) = t.strip_suffix("rows") {
            let n: usize = n.trim().parse().map_err(|_| bad())?;
            return if n == 0 {
                Err(bad())
            } else {
                Ok(WindowSpec::Rows(n))
            };
        }
        let split = t.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let (num, unit) = t.split_at(split);
        let n: i64 = num.parse().map_err(|_| bad())?;
        let unit_secs = match unit {
            "m" | "min" => 60,
            "h" => 3600,
            "d" => 86_400,
            "w" => 7 * 86_400,
            _ => return Err(bad()),
        };
        if n <= 0 {
            return Err(bad());
        }
        Ok(WindowSpec::Period {
            seconds: n * unit_secs,
            label: format!("{n}{unit}"),
        })
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Window {
    pub index: usize,
    /// Start and end (exclusive), for period windows.
    pub start: Option<String>,
    pub end: Option<String>,
    pub start_micros: Option<i64>,
    pub end_micros: Option<i64>,
    pub rows: usize,
}

/// One column over the windows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ColumnSeries {
    pub column: String,
    pub role: Role,
    pub kind: ColumnKind,
    pub method: Method,
    pub threshold: f64,
    /// mean ± 3σ of the score over baseline chunks; `None` with fewer than two chunks.
    pub data_threshold: Option<f64>,
    /// Score per window (`None`: too few rows in that window for a verdict).
    pub scores: Vec<Option<f64>>,
    pub null_rates: Vec<f64>,
    /// Over the method's (fixed) threshold, per window.
    pub drifted: Vec<bool>,
    /// Over the data-driven threshold, per window.
    pub over_data_threshold: Vec<bool>,
    /// First window over the fixed threshold: "since when".
    pub first_drift_window: Option<usize>,
    /// First window over the data-driven threshold.
    pub first_data_drift_window: Option<usize>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WindowsReport {
    pub spec: WindowSpec,
    pub timestamp: Option<String>,
    pub windows: Vec<Window>,
    pub series: Vec<ColumnSeries>,
    /// Rows left out because their timestamp is missing.
    pub rows_without_time: usize,
}

/// Which window each log row falls in (`None`: no timestamp), the windows, and the timestamp
/// column used.
pub type WindowAssignment = (Vec<Option<usize>>, Vec<Window>, Option<String>);

/// The window of every log row, and the windows.
pub fn assign_windows(inputs: &Inputs, spec: &WindowSpec) -> Option<WindowAssignment> {
    let n = inputs.current.rows();
    match spec {
        WindowSpec::Rows(size) => {
            let count = n.div_ceil(*size);
            let windows = (0..count)
                .map(|i| Window {
                    index: i,
                    start: None,
                    end: None,
                    start_micros: None,
                    end_micros: None,
                    rows: (*size).min(n - i * size),
                })
                .collect();
            Some(((0..n).map(|r| Some(r / size)).collect(), windows, None))
        }
        WindowSpec::Period { seconds, .. } => {
            let ts = inputs
                .roles
                .with_role(Role::Timestamp)
                .first()
                .map(|s| (*s).to_owned())?;
            let micros = columns::numeric_values(&inputs.current.frame, &ts).ok()?;
            let period = *seconds as f64 * 1e6;
            let buckets: Vec<Option<i64>> = micros
                .iter()
                .map(|m| m.map(|m| (m / period).floor() as i64))
                .collect();
            let first = buckets.iter().flatten().min().copied()?;
            let last = buckets.iter().flatten().max().copied()?;
            let count = (last - first + 1) as usize;
            let mut rows = vec![0usize; count];
            let assigned: Vec<Option<usize>> = buckets
                .iter()
                .map(|b| {
                    b.map(|b| {
                        let i = (b - first) as usize;
                        rows[i] += 1;
                        i
                    })
                })
                .collect();
            let windows = (0..count)
                .map(|i| {
                    let start = ((first + i as i64) as f64 * period) as i64;
                    let end = start + (period as i64);
                    Window {
                        index: i,
                        start: Some(format_micros(start)),
                        end: Some(format_micros(end)),
                        start_micros: Some(start),
                        end_micros: Some(end),
                        rows: rows[i],
                    }
                })
                .collect();
            Some((assigned, windows, Some(ts)))
        }
    }
}

fn rows_by_window(assigned: &[Option<usize>], count: usize) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new(); count];
    for (row, w) in assigned.iter().enumerate() {
        if let Some(w) = w {
            out[*w].push(row);
        }
    }
    out
}

pub(crate) fn run_windows(
    inputs: &Inputs,
    prepared: &[Prepared],
    whole: &[PreparedRef],
    spec: &WindowSpec,
    settings: &DriftSettings,
) -> Option<(WindowsReport, Vec<Vec<usize>>)> {
    let (assigned, windows, timestamp) = assign_windows(inputs, spec)?;
    let rows_without_time = assigned.iter().filter(|w| w.is_none()).count();
    let per_window = rows_by_window(&assigned, windows.len());
    // Baseline chunks as large as a typical window.
    let mut sizes: Vec<f64> = windows
        .iter()
        .filter(|w| w.rows > 0)
        .map(|w| w.rows as f64)
        .collect();
    sizes.sort_by(f64::total_cmp);
    let chunk = summary::quantile_sorted(&sizes, 0.5)
        .map_or(0, |m| m as usize)
        .max(settings.min_rows);
    let base_rows = inputs.baseline.rows();
    let chunks: Vec<Vec<usize>> = match base_rows.checked_div(chunk) {
        Some(count) => (0..count)
            .map(|i| (i * chunk..(i + 1) * chunk).collect())
            .collect(),
        None => Vec::new(),
    };

    let series = prepared
        .par_iter()
        .zip(whole)
        .map(|(p, reference)| {
            let results: Vec<_> = per_window
                .iter()
                .map(|rows| p.drift(reference, Some(rows), settings))
                .collect();
            let (method, threshold) = settings.verdict_rule(&p.name, p.kind());
            let data_threshold = data_driven_threshold(p, &chunks, base_rows, settings, method);
            let scores: Vec<Option<f64>> = results
                .iter()
                .map(|d| if d.note.is_none() { d.score } else { None })
                .collect();
            let drifted: Vec<bool> = scores
                .iter()
                .map(|s| s.is_some_and(|s| over(method, s, threshold)))
                .collect();
            let over_data: Vec<bool> = scores
                .iter()
                .map(|s| match (s, data_threshold) {
                    (Some(s), Some(t)) => over(method, *s, t),
                    _ => false,
                })
                .collect();
            ColumnSeries {
                column: p.name.clone(),
                role: p.role,
                kind: p.kind(),
                method,
                threshold,
                data_threshold,
                null_rates: results.iter().map(|d| d.stats.null_rate_current).collect(),
                first_drift_window: drifted.iter().position(|d| *d),
                first_data_drift_window: over_data.iter().position(|d| *d),
                drifted,
                over_data_threshold: over_data,
                scores,
            }
        })
        .collect();
    let report = WindowsReport {
        spec: spec.clone(),
        timestamp,
        windows,
        series,
        rows_without_time,
    };
    // The rows of each window go back with the report, so later analyses need not cut again.
    Some((report, per_window))
}

fn over(method: Method, score: f64, threshold: f64) -> bool {
    if method.is_pvalue() {
        score < threshold
    } else {
        score >= threshold
    }
}

/// mean + 3σ (distances) or mean − 3σ (p-values) of the scores of baseline chunks, each against
/// the rest of the baseline (leaving the chunk out, so that its score is not biased low by
/// comparing it with itself).
fn data_driven_threshold(
    p: &Prepared,
    chunks: &[Vec<usize>],
    base_rows: usize,
    settings: &DriftSettings,
    method: Method,
) -> Option<f64> {
    if chunks.len() < 2 {
        return None;
    }
    let scores: Vec<f64> = chunks
        .iter()
        .filter_map(|rows| {
            let (lo, hi) = (rows.first()?, rows.last()?);
            let rest: Vec<usize> = (0..base_rows).filter(|r| r < lo || r > hi).collect();
            let reference = p.reference(Some(&rest), settings);
            p.drift_of_baseline_rows(&reference, rows, settings).score
        })
        .collect();
    let mean = summary::mean(&scores);
    let sd = summary::std(&scores, 1)?;
    Some(if method.is_pvalue() {
        (mean - 3.0 * sd).max(0.0)
    } else {
        mean + 3.0 * sd
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_specs_parse_with_clear_errors() {
        assert_eq!(
            "1d".parse::<WindowSpec>(),
            Ok(WindowSpec::Period {
                seconds: 86_400,
                label: "1d".into()
            })
        );
        assert_eq!(
            "6h".parse::<WindowSpec>(),
            Ok(WindowSpec::Period {
                seconds: 21_600,
                label: "6h".into()
            })
        );
        assert_eq!(
            "10000rows".parse::<WindowSpec>(),
            Ok(WindowSpec::Rows(10_000))
        );
        assert!("0rows".parse::<WindowSpec>().is_err());
        let err = "1y".parse::<WindowSpec>().unwrap_err();
        assert!(err.contains("1d, 6h"), "{err}");
    }
}
