//! Onsets: since when a per-window series changed — a column's drift score and missing share
//! over the whole log, and per segment value its share of the traffic, each column's missing
//! share and the mean score — found by binary segmentation on the series' mean, from the report's
//! windows and the timed cells (no row is read).
//!
//! *The method.* Binary segmentation (Scott & Knott 1974; Killick & Eckley's `changepoint`
//! package) with the squared-error cost of a change in mean: the split that lowers the cost most is
//! kept when the drop exceeds the penalty `2 σ² ln n` (the BIC penalty of a normal mean change,
//! σ estimated from the median absolute first difference, robust to the change itself), and each
//! side is searched again, to at most [`MAX_CHANGES`] changes. A change must also be worth saying
//! — a share moving by at least a percentage point, a drift score by a tenth of its threshold, a
//! mean score by 0.01 — and leave at least [`MIN_SEGMENT`] windows on each side, so one odd
//! window is not an onset. Windows with fewer than [`MIN_WINDOW_ROWS`] rows of the series are
//! skipped. A crate was not used: the maintained change-point crates are Bayesian online
//! detectors for long streams (`changepoint`, with its `rv` dependency), while these series are a
//! few hundred points at most and the split that is wanted is the plain mean shift.

use serde::{Deserialize, Serialize};

use super::profiles::{CellProfiles, ColumnProfile};
use super::report::DriftReport;
use super::workspace::Workspace;
use crate::data::{Inputs, Role};

/// At most this many changes a series.
pub const MAX_CHANGES: usize = 3;
/// Windows on each side of a change, at least.
pub const MIN_SEGMENT: usize = 2;
/// A window with fewer rows of the series is left out of it.
pub const MIN_WINDOW_ROWS: u64 = 30;
/// At most this many onsets are kept (the largest).
pub const MAX_ONSETS: usize = 200;

/// A change in a per-window series.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Onset {
    /// `drift_score`, `missing_share`, `traffic_share` or `mean`.
    pub metric: String,
    /// The column the metric is of (`None` for a segment value's traffic share).
    pub column: Option<String>,
    /// `column = value` the series is within (`None`: the whole log).
    pub segment: Option<SegmentValue>,
    /// The first window after the change: its start, and its index.
    pub at: Option<String>,
    pub window: usize,
    /// The series' mean before and after the change.
    pub before: f64,
    pub after: f64,
    /// A model version's first rows fall in the window of the change.
    pub model_version_switch: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentValue {
    pub column: String,
    pub value: String,
}

impl Onset {
    /// How large the change is against what is worth saying for its metric.
    pub fn size(&self, min_effect: f64) -> f64 {
        (self.after - self.before).abs() / min_effect.max(f64::MIN_POSITIVE)
    }

    /// In words: "the missing share of amount within region = us-west rose from 0.4 % to 30.1 %
    /// from 2026-11-04".
    pub fn describe(&self) -> String {
        let share = |x: f64| crate::format::pct(x);
        let (what, before, after) = match (self.metric.as_str(), &self.column) {
            ("traffic_share", _) => (
                "the share of traffic".to_owned(),
                share(self.before),
                share(self.after),
            ),
            ("missing_share", Some(c)) => (
                format!("the missing share of {c}"),
                share(self.before),
                share(self.after),
            ),
            ("drift_score", Some(c)) => (
                format!("{c}'s drift score"),
                format!("{:.3}", self.before),
                format!("{:.3}", self.after),
            ),
            (_, Some(c)) => (
                format!("the mean {c}"),
                format!("{:.3}", self.before),
                format!("{:.3}", self.after),
            ),
            (m, None) => (
                m.to_owned(),
                format!("{:.3}", self.before),
                format!("{:.3}", self.after),
            ),
        };
        let within = self
            .segment
            .as_ref()
            .map(|s| format!(" of {} = {}", s.column, s.value))
            .unwrap_or_default();
        let verb = if self.after > self.before {
            "rose"
        } else {
            "fell"
        };
        let when = self
            .at
            .clone()
            .unwrap_or_else(|| format!("window {}", self.window + 1));
        let switch = self
            .model_version_switch
            .as_ref()
            .map(|v| format!(", when {v} began"))
            .unwrap_or_default();
        format!("{what}{within} {verb} from {before} to {after} from {when}{switch}")
    }
}

/// The onsets worth a line, at most `n`: one per series — its earliest change, ranked by the
/// largest change of the series — leaving out a model version's traffic share falling (the
/// release that replaces it says the same, rising).
pub fn headlines<'a>(onsets: &'a [Onset], versions: &[&str], n: usize) -> Vec<&'a Onset> {
    let same = |a: &Onset, b: &Onset| {
        a.metric == b.metric && a.column == b.column && a.segment == b.segment
    };
    let mut out: Vec<&Onset> = Vec::new();
    for o in onsets {
        if out.len() >= n {
            break;
        }
        let version_falls = o.metric == "traffic_share"
            && o.after < o.before
            && o.segment
                .as_ref()
                .is_some_and(|s| versions.contains(&s.column.as_str()));
        if version_falls || out.iter().any(|x| same(x, o)) {
            continue;
        }
        let earliest = onsets
            .iter()
            .filter(|x| same(x, o))
            .min_by_key(|x| x.window)
            .unwrap_or(o);
        out.push(earliest);
    }
    out
}

/// What change of a metric is worth saying.
pub fn min_effect(metric: &str, threshold: Option<f64>) -> f64 {
    match metric {
        "drift_score" => threshold.map_or(0.05, |t| (t * 0.1).max(1e-3)),
        _ => 0.01,
    }
}

/// The changes of one series (`None`: a window left out), as `(first window after, before,
/// after)`, earliest first.
pub fn changes(series: &[Option<f64>], min_effect: f64) -> Vec<(usize, f64, f64)> {
    let points: Vec<(usize, f64)> = series
        .iter()
        .enumerate()
        .filter_map(|(i, x)| Some((i, (*x)?)))
        .filter(|(_, x)| x.is_finite())
        .collect();
    let n = points.len();
    if n < 2 * MIN_SEGMENT {
        return Vec::new();
    }
    let xs: Vec<f64> = points.iter().map(|p| p.1).collect();
    // σ from the median absolute first difference (a step moves one difference only).
    let mut diffs: Vec<f64> = xs.windows(2).map(|w| (w[1] - w[0]).abs()).collect();
    diffs.sort_by(f64::total_cmp);
    let mad = diffs[diffs.len() / 2];
    let sigma = (mad / (0.6745 * std::f64::consts::SQRT_2)).max(min_effect / 2.0);
    let penalty = 2.0 * sigma * sigma * (n as f64).ln();
    let mut found: Vec<usize> = Vec::new();
    let mut todo = vec![(0usize, n)];
    while let Some((lo, hi)) = todo.pop() {
        if found.len() >= MAX_CHANGES || hi - lo < 2 * MIN_SEGMENT {
            continue;
        }
        let seg = &xs[lo..hi];
        let total: f64 = seg.iter().sum();
        let mut left = 0.0;
        let mut best: Option<(usize, f64)> = None;
        for k in 1..seg.len() {
            left += seg[k - 1];
            if k < MIN_SEGMENT || seg.len() - k < MIN_SEGMENT {
                continue;
            }
            let (n1, n2) = (k as f64, (seg.len() - k) as f64);
            let (m1, m2) = (left / n1, (total - left) / n2);
            // The drop in squared error from splitting at k.
            let gain = n1 * n2 / (n1 + n2) * (m1 - m2) * (m1 - m2);
            if (m1 - m2).abs() >= min_effect && best.is_none_or(|(_, g)| gain > g) {
                best = Some((k, gain));
            }
        }
        if let Some((k, gain)) = best
            && gain > penalty
        {
            found.push(lo + k);
            todo.push((lo, lo + k));
            todo.push((lo + k, hi));
        }
    }
    found.sort_unstable();
    let mean = |a: usize, b: usize| xs[a..b].iter().sum::<f64>() / (b - a) as f64;
    let mut bounds = vec![0];
    bounds.extend(&found);
    bounds.push(n);
    // Each change placed again between its neighbours: next to another change one window a
    // side is enough (a window that is half before and half after a switch sits between two
    // changes); at the series' ends the minimum segment holds.
    for j in 1..bounds.len() - 1 {
        let (a, b) = (bounds[j - 1], bounds[j + 1]);
        let first = if a == 0 { a + MIN_SEGMENT } else { a + 1 };
        let last = if b == n {
            b.saturating_sub(MIN_SEGMENT)
        } else {
            b - 1
        };
        let gain = |k: usize| {
            let (n1, n2) = ((k - a) as f64, (b - k) as f64);
            let d = mean(a, k) - mean(k, b);
            n1 * n2 / (n1 + n2) * d * d
        };
        if let Some(k) = (first..=last).max_by(|&x, &y| gain(x).total_cmp(&gain(y))) {
            bounds[j] = k;
        }
    }
    // A change must move the median too: one odd window moves a mean, never a median.
    let median = |a: usize, b: usize| {
        let mut v = xs[a..b].to_vec();
        v.sort_by(f64::total_cmp);
        let m = v.len() / 2;
        if v.len() % 2 == 1 {
            v[m]
        } else {
            (v[m - 1] + v[m]) / 2.0
        }
    };
    while let Some(j) = (1..bounds.len() - 1).find(|&j| {
        (median(bounds[j - 1], bounds[j]) - median(bounds[j], bounds[j + 1])).abs() < min_effect
    }) {
        bounds.remove(j);
    }
    // Up and back down (or down and back up) around fewer than MIN_SEGMENT windows: a spike,
    // not an onset.
    while let Some(j) = (1..bounds.len().saturating_sub(2)).find(|&j| {
        let (a, b, c, d) = (bounds[j - 1], bounds[j], bounds[j + 1], bounds[j + 2]);
        c - b < MIN_SEGMENT
            && (mean(b, c) - mean(a, b)).signum() != (mean(c, d) - mean(b, c)).signum()
    }) {
        bounds.drain(j..j + 2);
    }
    let found: Vec<usize> = bounds[1..bounds.len() - 1].to_vec();
    found
        .iter()
        .enumerate()
        .map(|(j, &k)| {
            let before = mean(bounds[j], k);
            let after = mean(k, bounds[j + 2]);
            (points[k].0, before, after)
        })
        .collect()
}

/// Per window (slot), the merged profile of `column` over the tuples where `keep`.
fn per_window(
    cells: &CellProfiles,
    column: usize,
    keep: &[bool],
    windows: usize,
) -> Vec<Option<ColumnProfile>> {
    let mut out: Vec<Option<ColumnProfile>> = vec![None; windows];
    let Some(cells_of) = cells.columns.get(column).filter(|c| !c.is_empty()) else {
        return out;
    };
    for (t, &kept) in keep.iter().enumerate() {
        if !kept {
            continue;
        }
        for (w, slot) in out.iter_mut().enumerate() {
            cells_of.merge_into(cells.index.cell(t, w), slot);
        }
    }
    out
}

/// Every onset of the report's series and of each segment value's, largest first, bounded by
/// [`MAX_ONSETS`].
pub fn onsets(ws: &Workspace, inputs: &Inputs, report: &DriftReport) -> Vec<Onset> {
    let Some(w) = &report.windows else {
        return Vec::new();
    };
    let n = w.windows.len();
    let at = |i: usize| w.windows.get(i).and_then(|w| w.start.clone());
    let mut out: Vec<(f64, Onset)> = Vec::new();
    let mut push = |metric: &str,
                    column: Option<&str>,
                    segment: Option<SegmentValue>,
                    series: &[Option<f64>],
                    effect: f64| {
        for (i, before, after) in changes(series, effect) {
            let onset = Onset {
                metric: metric.to_owned(),
                column: column.map(str::to_owned),
                segment: segment.clone(),
                at: at(i),
                window: i,
                before,
                after,
                model_version_switch: None,
            };
            out.push((onset.size(effect), onset));
        }
    };
    // The whole log: each column's drift score and missing share.
    for s in &w.series {
        let effect = min_effect("drift_score", Some(s.threshold));
        push("drift_score", Some(&s.column), None, &s.scores, effect);
        if s.role == Role::Label {
            // A label's missing share is the labels' delay, which performance says.
            continue;
        }
        let nulls: Vec<Option<f64>> = s
            .null_rates
            .iter()
            .zip(&w.windows)
            .map(|(r, win)| (win.rows as u64 >= MIN_WINDOW_ROWS).then_some(*r))
            .collect();
        push(
            "missing_share",
            Some(&s.column),
            None,
            &nulls,
            min_effect("missing_share", None),
        );
    }
    // Each segment value: its traffic share, each column's missing share, the mean score.
    let mut switches: Vec<(usize, String)> = Vec::new();
    if let Some(cells) = ws.cells.as_ref().filter(|c| c.windows.is_some()) {
        let log = &cells.timed().log;
        let index = &log.index;
        let window_rows: Vec<u64> = w.windows.iter().map(|x| x.rows as u64).collect();
        // Rows per tuple and window, from the first column (every column counts every row).
        let rows_of = |keep: &[bool]| -> Vec<u64> {
            per_window(log, 0, keep, n)
                .iter()
                .map(|p| p.as_ref().map_or(0, ColumnProfile::rows))
                .collect()
        };
        for (k, segment) in index.segments.iter().enumerate() {
            let mut values: Vec<String> = index
                .tuples
                .iter()
                .filter_map(|t| t.get(k).cloned().flatten())
                .collect();
            values.sort();
            values.dedup();
            let is_version = inputs.roles.role_of(segment) == Some(Role::ModelVersion);
            for value in values {
                let keep: Vec<bool> = index
                    .tuples
                    .iter()
                    .map(|t| t.get(k).and_then(|v| v.as_deref()) == Some(value.as_str()))
                    .collect();
                let rows = rows_of(&keep);
                if is_version && let Some(first) = rows.iter().position(|&r| r > 0) {
                    switches.push((first, format!("{segment} = {value}")));
                }
                let sv = SegmentValue {
                    column: segment.clone(),
                    value: value.clone(),
                };
                let share: Vec<Option<f64>> = rows
                    .iter()
                    .zip(&window_rows)
                    .map(|(&r, &all)| (all >= MIN_WINDOW_ROWS).then(|| r as f64 / all as f64))
                    .collect();
                push(
                    "traffic_share",
                    None,
                    Some(sv.clone()),
                    &share,
                    min_effect("traffic_share", None),
                );
                for (i, p) in ws.prepared.iter().enumerate() {
                    if p.name == *segment {
                        continue;
                    }
                    let profiles = per_window(log, i, &keep, n);
                    let missing: Vec<Option<f64>> = profiles
                        .iter()
                        .map(|q| {
                            let q = q.as_ref().filter(|q| q.rows() >= MIN_WINDOW_ROWS)?;
                            Some(q.missing() as f64 / q.rows() as f64)
                        })
                        .collect();
                    if p.role != Role::Label {
                        push(
                            "missing_share",
                            Some(&p.name),
                            Some(sv.clone()),
                            &missing,
                            min_effect("missing_share", None),
                        );
                    }
                    if p.role == Role::Score {
                        let means: Vec<Option<f64>> = profiles
                            .iter()
                            .map(|q| match q {
                                Some(ColumnProfile::Numeric(q)) if q.values >= MIN_WINDOW_ROWS => {
                                    Some(q.mean)
                                }
                                _ => None,
                            })
                            .collect();
                        push(
                            "mean",
                            Some(&p.name),
                            Some(sv.clone()),
                            &means,
                            min_effect("mean", None),
                        );
                    }
                }
            }
        }
    }
    // A version that was there from the first window is no switch; one that began inside a
    // window shows its full effect in the next, so both windows coincide with it.
    switches.retain(|(w, _)| *w > 0);
    let versions: Vec<&str> = inputs.roles.with_role(Role::ModelVersion);
    for (_, o) in &mut out {
        // A version's own traffic share rising when it begins says nothing more.
        if o.segment
            .as_ref()
            .is_some_and(|s| versions.contains(&s.column.as_str()))
        {
            continue;
        }
        o.model_version_switch = switches
            .iter()
            .filter(|(w, _)| o.window == *w || o.window == w + 1)
            .map(|(_, v)| v.clone())
            .reduce(|a, b| format!("{a}, {b}"));
    }
    out.sort_by(|a, b| b.0.total_cmp(&a.0));
    out.truncate(MAX_ONSETS);
    out.into_iter().map(|(_, o)| o).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A step is found at its window with the levels on each side; noise, one odd window and a
    /// step too small to matter are not onsets.
    #[test]
    fn a_step_is_found_and_noise_is_not() {
        let noise = [0.02, 0.021, 0.019, 0.02, 0.022, 0.018, 0.02, 0.021];
        assert!(changes(&noise.map(Some), 0.01).is_empty());
        let mut step = noise.map(Some);
        for x in step.iter_mut().skip(5) {
            *x = x.map(|v| v + 0.3);
        }
        let found = changes(&step, 0.01);
        assert_eq!(found.len(), 1, "{found:?}");
        let (at, before, after) = found[0];
        assert_eq!(at, 5);
        assert!(
            (before - 0.0204).abs() < 1e-3 && (after - 0.3197).abs() < 1e-3,
            "{found:?}"
        );
        let mut spike = noise.map(Some);
        spike[3] = Some(0.5);
        assert!(
            changes(&spike, 0.01).is_empty(),
            "one odd window is no onset"
        );
        let mut small = noise.map(Some);
        for x in small.iter_mut().skip(4) {
            *x = x.map(|v| v + 0.005);
        }
        assert!(changes(&small, 0.01).is_empty());
        // A missing window is skipped, not read as zero.
        let mut gap = step;
        gap[2] = None;
        assert_eq!(changes(&gap, 0.01)[0].0, 5);
    }
}
