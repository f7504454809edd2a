//! Drift over time: the log cut into windows (by period on the timestamp, or by row count), each
//! column's drift score per window against the whole baseline, with two thresholds side by side —
//! the fixed one of the method, and a data-driven one in the manner of NannyML: the baseline cut
//! into chunks of a typical window's size, each scored against the rest of the baseline,
//! threshold = mean + 3σ of those scores (mean − 3σ for p-values). The first window over a
//! threshold is "since when". Scores come from the workspace's cell profiles
//! (`analysis::profiles`), so a year of daily windows costs merges of counts, not sorts of rows.
//! The number of windows is bounded ([`MAX_WINDOWS`]); stray timestamps far from the rest are
//! counted and left out of the grid, with a note.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::columns::{self, Codes};
use super::drift::{ColumnDrift, ColumnKind, Method};
use super::profiles::drift_score_from_profiles;
use super::workspace::{Workspace, unmeasured};
use crate::data::timestamps::format_micros;
use crate::data::{Inputs, Role};
use crate::jobs::{CANCEL_EVERY, JobState};
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

fn all_exact(intervals: &[Option<[f64; 2]>]) -> bool {
    intervals.iter().all(Option::is_none)
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
    /// Per window, `[lo, hi]` where the score is known only to lie in an interval (from the
    /// window's profile; the verdict is given only when the interval is on one side of the
    /// threshold); absent when every score is exact.
    #[serde(default, skip_serializing_if = "all_exact")]
    pub score_intervals: Vec<Option<[f64; 2]>>,
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
    /// Rows left out because their timestamp lies far from the rest (a stray year 1970 or 9999).
    #[serde(default)]
    pub rows_outside: usize,
    /// What was left out or folded, in words.
    #[serde(default)]
    pub notes: Vec<String>,
    /// The baseline chunk size the data-driven thresholds were learnt on.
    #[serde(default)]
    pub chunk_rows: usize,
}

/// At most this many windows: a log whose span needs more is cut into fewer by the caller
/// (with a message) instead of creating millions of windows.
pub const MAX_WINDOWS: usize = 10_000;

/// Which window each log row falls in, and the windows.
#[derive(Clone, Debug, PartialEq)]
pub struct WindowAssignment {
    /// Per log row: its window (missing: no timestamp, or one far from the rest), 4 bytes a row
    /// — windows are at most [`MAX_WINDOWS`].
    pub assigned: Codes,
    pub windows: Vec<Window>,
    /// The timestamp column (period windows).
    pub timestamp: Option<String>,
    pub rows_without_time: usize,
    pub rows_outside: usize,
    pub notes: Vec<String>,
}

/// The window of every log row, and the windows; an error says why there are none.
pub fn assign_windows(inputs: &Inputs, spec: &WindowSpec) -> Result<WindowAssignment, String> {
    assign_windows_in(inputs, spec, None)
}

/// The period buckets (`floor(µs / period)`) of every log row with a time, for the window spec:
/// what the windows of a log read in batches are planned from. `None` for windows of rows.
pub fn period_buckets(
    inputs: &Inputs,
    spec: &WindowSpec,
) -> Option<Result<Vec<Option<i64>>, String>> {
    let WindowSpec::Period { seconds, label } = spec else {
        return None;
    };
    buckets_of(inputs, *seconds, label, &|| false).map(|r| r.map(|(_, b)| b))
}

/// The timestamp column and the period bucket (`floor(µs / period)`) of every row.
type Buckets = (String, Vec<Option<i64>>);

/// [`Buckets`] of the log; `None` once `stop()` says so (asked every [`CANCEL_EVERY`] rows).
fn buckets_of(
    inputs: &Inputs,
    seconds: i64,
    label: &str,
    stop: &dyn Fn() -> bool,
) -> Option<Result<Buckets, String>> {
    let Some(ts) = inputs
        .roles
        .with_role(Role::Timestamp)
        .first()
        .map(|s| (*s).to_owned())
    else {
        return Some(Err(format!(
            "windows of {label} need a timestamp, and the log has no column with the timestamp role: give one that role, or use windows of rows (e.g. 10000rows)"
        )));
    };
    let micros = match columns::as_floats(&inputs.current.frame, &ts) {
        Ok(m) => m,
        Err(e) => {
            return Some(Err(format!(
                "the timestamp column `{ts}` cannot be read: {e}"
            )));
        }
    };
    let period = seconds.max(1) as f64 * 1e6;
    let mut buckets = Vec::with_capacity(micros.len());
    for (k, m) in micros.iter().enumerate() {
        if k % CANCEL_EVERY == CANCEL_EVERY - 1 && stop() {
            return None;
        }
        buckets.push(
            m.filter(|m| m.is_finite())
                .map(|m| (m / period).floor() as i64),
        );
    }
    Some(Ok((ts, buckets)))
}

/// [`assign_windows`] with the windows' bucket range fixed (`range`: first and last bucket, as
/// [`window_range_of`] chose it for the whole log) instead of chosen from these rows: every
/// batch of a log read in batches gets the same windows.
pub fn assign_windows_in(
    inputs: &Inputs,
    spec: &WindowSpec,
    range: Option<(i64, i64)>,
) -> Result<WindowAssignment, String> {
    assign_windows_until(inputs, spec, range, &|| false).unwrap_or_else(|| Err("cancelled".into()))
}

/// [`assign_windows_in`], given up (`None`) once `stop()` says so: it is asked between its
/// passes over the rows, so that a cancelled report does not first place ten million rows.
pub(crate) fn assign_windows_until(
    inputs: &Inputs,
    spec: &WindowSpec,
    range: Option<(i64, i64)>,
    stop: &dyn Fn() -> bool,
) -> Option<Result<WindowAssignment, String>> {
    // Each pass below is a few tens of milliseconds on ten million rows.
    let go_on = || (!stop()).then_some(());
    let n = inputs.current.rows();
    match spec {
        WindowSpec::Rows(size) => {
            let size = (*size).max(n.div_ceil(MAX_WINDOWS)).max(1);
            let count = n.div_ceil(size);
            let mut notes = Vec::new();
            if let WindowSpec::Rows(asked) = spec
                && *asked != size
            {
                notes.push(format!(
                    "windows of {asked} rows would make more than {MAX_WINDOWS} windows: windows of {size} rows are used"
                ));
            }
            let windows = (0..count)
                .map(|i| Window {
                    index: i,
                    start: None,
                    end: None,
                    start_micros: None,
                    end_micros: None,
                    rows: size.min(n - i * size),
                })
                .collect();
            Some(Ok(WindowAssignment {
                assigned: (0..n).map(|r| u32::try_from(r / size).ok()).collect(),
                windows,
                timestamp: None,
                rows_without_time: 0,
                rows_outside: 0,
                notes,
            }))
        }
        WindowSpec::Period { seconds, label } => {
            let (ts, buckets) = match buckets_of(inputs, *seconds, label, stop)? {
                Ok(b) => b,
                Err(e) => return Some(Err(e)),
            };
            let period = (*seconds).max(1) as f64 * 1e6;
            let rows_without_time = buckets.iter().filter(|b| b.is_none()).count();
            let (first, last, rows_outside) = match range {
                Some((first, last)) => {
                    let outside = buckets
                        .iter()
                        .flatten()
                        .filter(|&&b| b < first || b > last)
                        .count();
                    (first, last, outside)
                }
                None => match window_range(&buckets) {
                    Some(r) => r,
                    None => {
                        return Some(Err(format!(
                            "the timestamp column `{ts}` has no value: the log cannot be cut into windows of {label}"
                        )));
                    }
                },
            };
            go_on()?;
            let count = (last - first + 1) as usize;
            let mut rows = vec![0usize; count];
            let mut assigned = Codes::with_capacity(buckets.len());
            for (k, b) in buckets.iter().enumerate() {
                if k % CANCEL_EVERY == CANCEL_EVERY - 1 && stop() {
                    return None;
                }
                assigned.push(b.filter(|b| (first..=last).contains(b)).and_then(|b| {
                    let i = (b - first) as usize;
                    rows[i] += 1;
                    u32::try_from(i).ok()
                }));
            }
            let mut notes = Vec::new();
            if rows_outside > 0 {
                // The time of the first row left out, read again (a rare case).
                let first_out = buckets
                    .iter()
                    .position(|b| b.is_some_and(|b| b < first || b > last))
                    .and_then(|row| {
                        columns::as_floats(&inputs.current.frame, &ts)
                            .ok()?
                            .get(row)
                    });
                notes.push(format!(
                    "{rows_outside} rows have a timestamp far from the rest of the log (the first: {}) and are left out of the windows",
                    first_out.map_or_else(String::new, |m| format_micros(m as i64))
                ));
            }
            if rows_without_time > 0 {
                notes.push(format!(
                    "{rows_without_time} rows have no timestamp and are left out of the windows"
                ));
            }
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
            go_on()?;
            Some(Ok(WindowAssignment {
                assigned,
                windows,
                timestamp: Some(ts),
                rows_without_time,
                rows_outside,
                notes,
            }))
        }
    }
}

/// The first and last window to make, and the rows left outside. Every window between the
/// first and the last timestamp is made when that is at most [`MAX_WINDOWS`]; otherwise the
/// windows cover the central 99 % of the rows widened by its own span on each side (so a stray
/// timestamp in 1970 or 9999 does not stretch the grid), cut to [`MAX_WINDOWS`] around its
/// middle.
fn window_range(buckets: &[Option<i64>]) -> Option<(i64, i64, usize)> {
    // Counted in a hash map (a year of days is a few hundred keys), then ordered once: a tree
    // walked for every one of ten million rows costs ten times as much.
    let mut counts: polars::prelude::PlHashMap<i64, usize> = Default::default();
    for b in buckets.iter().flatten() {
        *counts.entry(*b).or_default() += 1;
    }
    window_range_of(&counts.into_iter().collect())
}

/// The windows' first and last bucket from how many rows each bucket holds, and the rows left
/// outside: every bucket when they span at most [`MAX_WINDOWS`]; else the range around the bulk
/// of the rows (the 0.5 % and 99.5 % quantiles, widened by their span), so that a stray
/// timestamp in 1970 or 9999 does not make millions of windows.
pub fn window_range_of(
    counts: &std::collections::BTreeMap<i64, usize>,
) -> Option<(i64, i64, usize)> {
    let first = *counts.keys().next()?;
    let last = *counts.keys().next_back()?;
    let max = MAX_WINDOWS as i64;
    if last.saturating_sub(first) < max {
        return Some((first, last, 0));
    }
    let n: usize = counts.values().sum();
    // The bucket of the k-th row in time order.
    let at = |k: usize| {
        let mut seen = 0;
        for (&b, &c) in counts {
            seen += c;
            if seen > k {
                return b;
            }
        }
        last
    };
    let lo = at(n / 200);
    let hi = at((n - 1) - n / 200);
    let span = hi.saturating_sub(lo).saturating_add(1);
    let (mut a, mut b) = (
        lo.saturating_sub(span).max(first),
        hi.saturating_add(span).min(last),
    );
    if b.saturating_sub(a) >= max {
        let mid = lo / 2 + hi / 2;
        a = mid.saturating_sub(max / 2).max(first);
        b = a.saturating_add(max - 1).min(last);
    }
    let outside = counts
        .range(..a)
        .chain(counts.range(b.saturating_add(1)..))
        .map(|(_, c)| c)
        .sum();
    Some((a, b, outside))
}

/// The rows of every window, in one pass; `None` once `stop()` says so (asked every
/// [`CANCEL_EVERY`] rows).
pub(crate) fn rows_by_window(
    assigned: &Codes,
    count: usize,
    stop: &dyn Fn() -> bool,
) -> Option<Vec<Vec<usize>>> {
    let mut out = vec![Vec::new(); count];
    for (row, w) in assigned.iter().enumerate() {
        if row % CANCEL_EVERY == CANCEL_EVERY - 1 && stop() {
            return None;
        }
        if let Some(w) = w.and_then(|w| out.get_mut(w as usize)) {
            w.push(row);
        }
    }
    Some(out)
}

/// Each column's drift per window from the workspace's cell profiles, against the whole
/// baseline, with the data-driven threshold learnt on the baseline's chunks. When the deciding
/// score is only an interval that straddles its threshold, that window is measured from its
/// rows (they are at hand).
pub(crate) fn run_windows(
    ws: &Workspace,
    state: &JobState,
) -> Option<(WindowsReport, Vec<Vec<usize>>)> {
    let cells = ws.cells.as_ref()?;
    let assignment = cells.windows.as_ref()?;
    let spec = ws.window.as_ref()?;
    let settings = &ws.settings;
    let windows = &assignment.windows;
    let per_window = rows_by_window(&assignment.assigned, windows.len(), &|| {
        state.is_cancelled()
    })?;
    let all_tuples = vec![true; cells.log.index.tuples.len()];
    state.stage("time windows", ws.prepared.len() as u64);
    let series = ws
        .prepared
        .par_iter()
        .enumerate()
        .map(|(i, p)| {
            let grid = cells.grids[i].as_ref();
            let whole = cells.whole_baseline[i].as_ref();
            let per_slot = cells.log.per_slot(i, &all_tuples);
            let results: Vec<ColumnDrift> = (0..windows.len())
                .map(|w| {
                    let from_cells = whole.zip(per_slot.get(w)).map(|(whole, current)| {
                        drift_score_from_profiles(p, grid, None, whole, current, settings)
                    });
                    match from_cells {
                        // Decided, or only a profile of the log at hand: the interval stands.
                        Some(d) if !d.undecided() || !ws.log_rows() => d,
                        // Not profiled per cell, or undecided: the window's rows.
                        _ if ws.log_rows() => p.drift(&ws.whole[i], Some(&per_window[w]), settings),
                        _ => unmeasured(
                            &p.name,
                            p.kind(),
                            "not measured: the profile holds no cells for this column",
                        ),
                    }
                })
                .collect();
            let (method, threshold) = settings.verdict_rule(&p.name, p.kind());
            let data_threshold = data_driven_threshold(ws, i, method);
            let scores: Vec<Option<f64>> = results
                .iter()
                .map(|d| if d.note.is_none() { d.score } else { None })
                .collect();
            let score_intervals: Vec<Option<[f64; 2]>> = results
                .iter()
                .map(|d| d.score_interval.filter(|_| d.note.is_none()))
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
            state.advance(1);
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
                score_intervals,
            }
        })
        .collect();
    let mut notes = assignment.notes.clone();
    if !cells.log.index.folded.is_empty() {
        notes.push(format!(
            "the log's cells are not cut by {} (too many segment combinations × windows)",
            cells.log.index.folded.join(", ")
        ));
    }
    let report = WindowsReport {
        spec: spec.clone(),
        timestamp: assignment.timestamp.clone(),
        windows: windows.clone(),
        series,
        rows_without_time: assignment.rows_without_time,
        rows_outside: assignment.rows_outside,
        notes,
        chunk_rows: cells.chunk_rows,
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

/// mean + 3σ (distances, clipped to the method's range) or mean − 3σ (p-values, at least 0) of
/// the scores of the baseline's chunks, each against the rest of the baseline (leaving the chunk
/// out, so that its score is not biased low by comparing it with itself) on the whole baseline's
/// bins — the bins the windows are scored on. From the cell profiles: the rest is the whole
/// baseline's profile minus the chunk's, so no chunk re-sorts the baseline.
fn data_driven_threshold(ws: &Workspace, column: usize, method: Method) -> Option<f64> {
    let cells = ws.cells.as_ref()?;
    let base = &cells.baseline;
    // The last slot holds the rows after the last whole chunk.
    let chunks = base.index.slots.saturating_sub(1);
    if chunks < 2 {
        return None;
    }
    let p = &ws.prepared[column];
    let grid = cells.grids[column].as_ref();
    let whole = cells.whole_baseline[column].as_ref()?;
    let all = vec![true; base.index.tuples.len()];
    let per_chunk = base.per_slot(column, &all);
    let scores: Vec<f64> = per_chunk
        .iter()
        .take(chunks)
        .filter_map(|chunk| {
            let rest = whole.without(chunk, grid);
            let d = drift_score_from_profiles(p, grid, None, &rest, chunk, &ws.settings);
            d.score
        })
        .collect();
    let mean = summary::mean(&scores);
    let sd = summary::std(&scores, 1)?;
    Some(if method.is_pvalue() {
        (mean - 3.0 * sd).max(0.0)
    } else {
        let t = mean + 3.0 * sd;
        method.upper_bound().map_or(t, |b| t.min(b))
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
