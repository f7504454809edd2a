//! The drift report: every analysed column overall, per segment value (against the whole baseline
//! and against the same segment of the baseline), the segment mix, the dataset verdict, data
//! quality, time windows, performance and latency — everything `driftscope report` writes.

use std::collections::HashMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::columns::Groups;
use super::drift::{ColumnDrift, ColumnKind, DriftSettings, Method, Preset};
use super::profiles::{EntryRequest, LogValues, StoredValues, exact_entries};
use super::workspace::{
    LogSource, PreparedRef, Reference, SegmentRef, SegmentSlice, Side, Workspace, unmeasured,
};
use super::{latency, performance, quality, windows};
use crate::data::{Inputs, Role};
use crate::jobs::JobState;
use crate::stats::{binning, divergence};

mod entries;
mod params;
use entries::entries_from_profiles;
pub(crate) use entries::{entry_templates, templates_for};
pub use params::{DriftParams, MAX_BINS};

/// One column's drift for one slice, as listed in the report's `features`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeatureDrift {
    #[serde(flatten)]
    pub drift: ColumnDrift,
    pub role: Role,
    pub segment: Option<SegmentRef>,
    pub reference: Reference,
}

/// The dataset verdict: how many features drifted overall.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatasetVerdict {
    pub drifted_columns: usize,
    pub columns: usize,
    pub drifted_share: f64,
    pub share_threshold: f64,
    pub drifted: bool,
}

impl DatasetVerdict {
    /// "1 of 7 features drifted (14.3 %): no dataset drift".
    pub fn describe(&self) -> String {
        format!(
            "{} of {} features drifted ({}): {} (threshold {})",
            self.drifted_columns,
            self.columns,
            crate::format::pct(self.drifted_share),
            if self.drifted {
                "dataset drift"
            } else {
                "no dataset drift"
            },
            crate::format::pct(self.share_threshold)
        )
    }
}

/// One segment value's share of rows on each side.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SegmentShare {
    pub value: String,
    pub baseline_rows: Option<usize>,
    pub current_rows: usize,
    pub baseline_share: Option<f64>,
    pub current_share: f64,
    /// Sends traffic now but never appears in the baseline.
    pub absent_from_baseline: bool,
}

/// How the traffic splits over one segment column, baseline vs log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SegmentMix {
    pub column: String,
    pub role: Role,
    pub in_baseline: bool,
    pub values: Vec<SegmentShare>,
    /// Jensen–Shannon distance (base 2) between the two mixes, where the baseline has the column.
    pub js_distance: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DriftReport {
    pub params: DriftParams,
    pub dataset: DatasetVerdict,
    /// Overall entries first (in column order), then per segment.
    pub features: Vec<FeatureDrift>,
    pub segments: Vec<SegmentMix>,
    pub windows: Option<windows::WindowsReport>,
    pub data_quality: Vec<quality::QualityAlert>,
    pub performance: Option<performance::PerformanceReport>,
    pub latency: Option<latency::LatencyReport>,
    /// How much of each change the segment mix explains (from the cells; `None` without them or
    /// while the report is still measured).
    #[serde(default)]
    pub decomposition: Option<crate::analysis::decomposition::Decomposition>,
    /// Since when each per-window series changed, largest first (empty without windows).
    #[serde(default)]
    pub onsets: Vec<crate::analysis::onsets::Onset>,
    /// The slices that explain most of each change, best first (from the cells).
    #[serde(default)]
    pub discoveries: Vec<crate::analysis::discovery::Discovery>,
    /// What could not be measured, or was folded, and why.
    #[serde(default)]
    pub notes: Vec<String>,
    /// Parts still being measured: a report handed out before it is finished (see
    /// [`report_in_parts`]) has them empty or `None`; a finished one has none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<ReportPart>,
}

/// The parts of a report that reach the screen one after another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportPart {
    Segments,
    Windows,
    Performance,
    Latency,
}

impl ReportPart {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportPart::Segments => "segments",
            ReportPart::Windows => "time windows",
            ReportPart::Performance => "performance",
            ReportPart::Latency => "latency",
        }
    }
}

impl DriftReport {
    /// The columns whose drift the mix-against-within sentences explain: those that drift over
    /// the whole log (worst first), then those a discovery found drifting inside a slice.
    pub fn explained_columns(&self) -> Vec<&str> {
        let mut overall: Vec<&FeatureDrift> = self.overall().filter(|f| f.drift.drifted).collect();
        overall.sort_by(|a, b| b.drift.badness().total_cmp(&a.drift.badness()));
        let mut out: Vec<&str> = overall.iter().map(|f| f.drift.column.as_str()).collect();
        for d in self.discoveries.iter().filter(|d| d.objective == "drift") {
            if !out.contains(&d.column.as_str()) {
                out.push(&d.column);
            }
        }
        out
    }

    /// The discoveries grouped into incidents, at most `n` (see
    /// [`crate::analysis::discovery::incidents`]).
    pub fn incidents(&self, n: usize) -> Vec<crate::analysis::discovery::Incident<'_>> {
        crate::analysis::discovery::incidents(&self.discoveries, n)
    }

    /// The onsets worth a line, at most `n` (see [`crate::analysis::onsets::headlines`]).
    pub fn onset_headlines(&self, n: usize) -> Vec<&crate::analysis::onsets::Onset> {
        let versions: Vec<&str> = self
            .segments
            .iter()
            .filter(|m| m.role == Role::ModelVersion)
            .map(|m| m.column.as_str())
            .collect();
        crate::analysis::onsets::headlines(&self.onsets, &versions, n)
    }

    /// The overall (unsliced) entries.
    pub fn overall(&self) -> impl Iterator<Item = &FeatureDrift> {
        self.features.iter().filter(|f| f.segment.is_none())
    }
}

/// Runs the whole report. `state` carries progress and cancellation; a cancelled run returns
/// `None`.
pub fn run_drift_report(
    inputs: &Inputs,
    params: &DriftParams,
    state: &JobState,
) -> Option<DriftReport> {
    run_drift_report_with_workspace(inputs, params, state).map(|(report, _)| report)
}

/// The report and the workspace it was measured in (kept by the app for slice analyses).
pub fn run_drift_report_with_workspace(
    inputs: &Inputs,
    params: &DriftParams,
    state: &JobState,
) -> Option<(DriftReport, Workspace)> {
    run_drift_report_parts(inputs, params, state, None)
}

/// [`run_drift_report_with_workspace`], handing each part of the report to `on_part` (when
/// given) as it is ready (see [`report_in_parts`]).
pub fn run_drift_report_parts(
    inputs: &Inputs,
    params: &DriftParams,
    state: &JobState,
    on_part: Option<&dyn Fn(DriftReport)>,
) -> Option<(DriftReport, Workspace)> {
    state.plan(&REPORT_SHARES);
    state.part(1, REPORT_PARTS);
    let workspace = Workspace::new(inputs, params, state);
    let report = (!state.is_cancelled())
        .then(|| report_in_parts(&workspace, inputs, params, state, on_part))
        .flatten();
    match report {
        Some(report) => Some((report, workspace)),
        // Cancelled: returns now, the workspace's memory given back meanwhile.
        None => {
            crate::jobs::drop_in_background(workspace);
            None
        }
    }
}

/// The parts a report's progress is told in: the workspace's columns read (part 1) and its cells
/// profiled (part 2, begun by [`Workspace::new`]), the overall entries, the segments, the time
/// windows, performance and latency, data quality.
const REPORT_PARTS: u64 = 7;

/// The parts' usual shares of a report's time (for the time left on the status bar), measured
/// with `--timings` at 10,000,000 log rows with daily windows (BENCHMARKS.md, 2026-12-07):
/// reading 4.2 s, profiling 8.2 s, entries 4.0 s, segments 0.9 s, windows 0.4 s, performance
/// and latency 4.6 s, the rest 0.2 s.
const REPORT_SHARES: [f64; REPORT_PARTS as usize] = [4.2, 8.2, 4.0, 0.9, 0.4, 4.6, 0.2];

/// A segment value, its log rows (when at hand) and its baseline rows (when the baseline has it).
type SliceRows<'a> = (&'a String, Option<&'a [usize]>, Option<&'a Vec<usize>>);

/// What a report says of a column whose log side is only a profile that does not hold it.
const NOT_IN_PROFILE: &str = "not measured: the profile holds no cells for this column";

/// The report measured in a workspace: from the log's rows, or from a profile of them
/// ([`Workspace::log_rows`] says which) — the same numbers either way, except that what only the
/// rows can answer (an undecided interval made exact, performance, latency) is said missing.
pub fn report_in(
    workspace: &Workspace,
    inputs: &Inputs,
    params: &DriftParams,
    state: &JobState,
) -> Option<DriftReport> {
    report_in_parts(workspace, inputs, params, state, None)
}

/// [`report_in`], handing out the report as its parts are ready — the overall entries, the
/// dataset verdict and their data-quality alerts first, then the segments, then the time
/// windows — each with `pending` naming what is still measured; the finished report is returned.
pub fn report_in_parts(
    workspace: &Workspace,
    inputs: &Inputs,
    params: &DriftParams,
    state: &JobState,
    on_part: Option<&dyn Fn(DriftReport)>,
) -> Option<DriftReport> {
    let settings = &params.settings;
    let rows = workspace.log_rows();
    let (prepared, whole) = (&workspace.prepared, &workspace.whole);
    let mut notes = Vec::new();

    state.part(3, REPORT_PARTS);
    state.stage("overall and segment entries", prepared.len() as u64);
    let entries = entries_from_profiles(workspace, state);
    // Cancelled entries are empty: the rows would be asked for every one of them.
    if state.is_cancelled() {
        return None;
    }
    // An entry the profiles leave undecided is measured from the rows when they are at hand.
    let usable = |d: &ColumnDrift| !(rows && d.undecided());
    let mut features: Vec<FeatureDrift> = prepared
        .par_iter()
        .zip(whole)
        .enumerate()
        .map(|(i, (p, r))| {
            state.advance(1);
            let from_cells = entries
                .get(i)
                .and_then(|e| e.overall.clone())
                .filter(usable);
            FeatureDrift {
                drift: from_cells.unwrap_or_else(|| {
                    if rows {
                        p.drift(r, None, settings)
                    } else {
                        unmeasured(&p.name, p.kind(), NOT_IN_PROFILE)
                    }
                }),
                role: p.role,
                segment: None,
                reference: Reference::Baseline,
            }
        })
        .collect();
    if state.is_cancelled() {
        return None;
    }
    let part = |features: &[FeatureDrift],
                mixes: &[SegmentMix],
                windows: Option<&windows::WindowsReport>,
                notes: &[String],
                pending: &[ReportPart]| {
        let Some(on_part) = on_part else {
            return;
        };
        let features = features.to_vec();
        let data_quality = quality::alerts(inputs, &features, mixes, windows, settings);
        on_part(DriftReport {
            params: params.clone(),
            dataset: dataset_verdict(&features, params),
            features,
            segments: mixes.to_vec(),
            windows: windows.cloned(),
            data_quality,
            performance: None,
            latency: None,
            decomposition: None,
            onsets: Vec::new(),
            discoveries: Vec::new(),
            notes: notes.to_vec(),
            pending: pending.to_vec(),
        });
    };
    use ReportPart::{Latency, Performance, Segments, Windows};
    part(
        &features,
        &[],
        None,
        &notes,
        &[Segments, Windows, Performance, Latency],
    );

    let segment_columns: Vec<(&str, Role)> = inputs
        .roles
        .columns
        .iter()
        .filter(|c| matches!(c.role, Role::Segment | Role::ModelVersion))
        .filter(|c| inputs.current.frame.column(&c.column).is_ok())
        .map(|c| (c.column.as_str(), c.role))
        .collect();
    state.part(4, REPORT_PARTS);
    let mut mixes = Vec::new();
    // Every segment value's rows, grouped once and shared with performance and latency.
    let mut segment_rows: Vec<SegmentSlice> = Vec::new();
    // Without rows: every segment value, for performance and latency from the cells.
    let mut profiled_slices: Vec<(SegmentRef, Role)> = Vec::new();
    for (seg, role) in &segment_columns {
        if state.is_cancelled() {
            return None;
        }
        state.stage(format!("segments of {seg}"), 0);
        let base_groups = workspace.groups.get(inputs, Side::Baseline, seg).ok();
        let base_counts = base_groups.as_deref().map(group_counts);
        // The log's values of the column and their rows: from the rows, or from the cells.
        // This column's values' slices start here in `segment_rows` (when the rows are at hand).
        let first = segment_rows.len();
        let log_values: Vec<(String, usize)> = if rows {
            let Ok(cur_groups) = workspace.groups.get(inputs, Side::Log, seg) else {
                continue;
            };
            let by_group = cur_groups.rows_by_group_until(&|| state.is_cancelled())?;
            segment_rows.extend(cur_groups.values.iter().zip(by_group).map(|(value, rows)| {
                SegmentSlice {
                    segment: SegmentRef {
                        column: (*seg).to_owned(),
                        value: value.clone(),
                    },
                    role: *role,
                    rows,
                }
            }));
            segment_rows[first..]
                .iter()
                .map(|s| (s.segment.value.clone(), s.rows.len()))
                .collect()
        } else {
            match profiled_segment_rows(workspace, seg) {
                Some(v) => {
                    profiled_slices.extend(v.iter().map(|(value, _)| {
                        let segment = SegmentRef {
                            column: (*seg).to_owned(),
                            value: value.clone(),
                        };
                        (segment, *role)
                    }));
                    v
                }
                None => {
                    notes.push(format!(
                        "segment column {seg} not measured: the profile's cells are not cut by it"
                    ));
                    continue;
                }
            }
        };
        mixes.push(segment_mix(seg, *role, &log_values, base_counts.as_deref()));
        let base_rows_all = base_groups.as_ref().map(|bg| (bg, bg.rows_by_group()));
        let slices: Vec<SliceRows> = log_values
            .iter()
            .enumerate()
            .map(|(k, (value, _))| {
                let base_rows = base_rows_all
                    .as_ref()
                    .and_then(|(bg, all)| bg.index_of(value).map(|i| &all[i as usize]));
                let log_rows = segment_rows.get(first + k).map(|s| s.rows.as_slice());
                (value, log_rows, base_rows)
            })
            .collect();
        let per_slice: Vec<Vec<FeatureDrift>> = slices
            .par_iter()
            .map(|&(value, log_rows, base_rows)| {
                if state.is_cancelled() {
                    return Vec::new();
                }
                let segment = SegmentRef {
                    column: (*seg).to_owned(),
                    value: value.clone(),
                };
                let mut out = Vec::new();
                for (i, (p, whole_ref)) in prepared.iter().zip(whole).enumerate() {
                    if p.name == *seg {
                        continue;
                    }
                    let key = ((*seg).to_owned(), value.clone());
                    let from_cells = entries
                        .get(i)
                        .and_then(|e| e.segment(&key, base_rows.is_some()))
                        .filter(|(a, b)| usable(a) && b.as_ref().is_none_or(usable));
                    let (vs_whole, vs_segment) = from_cells.unwrap_or_else(|| match log_rows {
                        Some(log_rows) => {
                            let seg_ref =
                                base_rows.as_ref().map(|b| p.reference(Some(b), settings));
                            p.drift_pair(whole_ref, seg_ref.as_ref(), log_rows, settings)
                        }
                        None => {
                            let missing = unmeasured(&p.name, p.kind(), NOT_IN_PROFILE);
                            (missing.clone(), base_rows.map(|_| missing))
                        }
                    });
                    out.push(FeatureDrift {
                        drift: vs_whole,
                        role: p.role,
                        segment: Some(segment.clone()),
                        reference: Reference::Baseline,
                    });
                    if let Some(d) = vs_segment {
                        out.push(FeatureDrift {
                            drift: d,
                            role: p.role,
                            segment: Some(segment.clone()),
                            reference: Reference::BaselineSegment,
                        });
                    }
                }
                out
            })
            .collect();
        features.extend(per_slice.into_iter().flatten());
        if state.is_cancelled() {
            return None;
        }
    }

    let dataset = dataset_verdict(&features, params);

    if state.is_cancelled() {
        return None;
    }
    part(
        &features,
        &mixes,
        None,
        &notes,
        &[Windows, Performance, Latency],
    );
    state.part(5, REPORT_PARTS);
    state.stage("time windows", 0);
    let windows = windows::run_windows(workspace, state);
    if let Some(e) = workspace
        .cells
        .as_ref()
        .and_then(|c| c.window_error.clone())
    {
        notes.push(format!("no time windows: {e}"));
    }
    if state.is_cancelled() {
        return None;
    }
    state.part(6, REPORT_PARTS);
    let (performance, latency) = if rows {
        if let Some((w, _)) = &windows {
            part(&features, &mixes, Some(w), &notes, &[Performance, Latency]);
        }
        state.stage("performance", 0);
        let performance = performance::run_performance(
            inputs,
            prepared,
            params,
            &segment_rows,
            windows
                .as_ref()
                .map(|(report, rows)| (report, rows.as_slice())),
            state,
        );
        if state.is_cancelled() {
            return None;
        }
        state.stage("latency", 0);
        let latency = latency::run_latency(inputs, &segment_rows, state);
        // A cancelled latency is `None` as a log without latency is: not a finished report.
        if state.is_cancelled() {
            return None;
        }
        (performance, latency)
    } else {
        performance::from_profile(
            workspace,
            inputs,
            params,
            &profiled_slices,
            windows.as_ref().map(|(report, _)| report),
            &mut notes,
        )
    };
    let windows = windows.map(|(report, _)| report);
    state.part(7, REPORT_PARTS);
    state.stage("data quality", 0);
    let data_quality = quality::alerts(inputs, &features, &mixes, windows.as_ref(), settings);
    state.stage("mix against within", 0);
    let decomposition = crate::analysis::decomposition::decompose(workspace);
    let mut report = DriftReport {
        params: params.clone(),
        dataset,
        features,
        segments: mixes,
        windows,
        data_quality,
        performance,
        latency,
        decomposition,
        onsets: Vec::new(),
        discoveries: Vec::new(),
        notes,
        pending: Vec::new(),
    };
    state.stage("since when", 0);
    report.onsets = crate::analysis::onsets::onsets(workspace, inputs, &report);
    state.stage("what changed where", 0);
    report.discoveries =
        crate::analysis::discovery::discover(workspace, rows.then_some(inputs), &report, state);
    let blocked = match (&report.performance, rows) {
        (_, true) => performance::misses_blocked(inputs, prepared),
        (Some(p), false) => Some(
            performance::misses_blocked_for(inputs, (&p.label, &p.prediction), p.task)
                .unwrap_or_else(|| {
                    "error rates are not searched by slice: the log is a profile file, and they are read from the rows"
                        .to_owned()
                }),
        ),
        (None, false) => None,
    };
    report.notes.extend(blocked);
    // Cancelled while the error rates' rows were read: not a finished report.
    if state.is_cancelled() {
        return None;
    }
    state.stage("done", 0);
    Some(report)
}

/// The dataset verdict: the share of features whose overall entry drifted.
fn dataset_verdict(features: &[FeatureDrift], params: &DriftParams) -> DatasetVerdict {
    let feature_entries: Vec<&FeatureDrift> = features
        .iter()
        .filter(|f| f.segment.is_none() && f.role == Role::Feature)
        .collect();
    let drifted_columns = feature_entries.iter().filter(|f| f.drift.drifted).count();
    let columns = feature_entries.len();
    let drifted_share = if columns == 0 {
        0.0
    } else {
        drifted_columns as f64 / columns as f64
    };
    DatasetVerdict {
        drifted_columns,
        columns,
        drifted_share,
        share_threshold: params.dataset_share,
        drifted: columns > 0 && drifted_share >= params.dataset_share,
    }
}

/// Each value of a segment column and its log rows, from the untimed cells of a profile
/// (`None` when they are not cut by the column), values in label order.
fn profiled_segment_rows(ws: &Workspace, column: &str) -> Option<Vec<(String, usize)>> {
    let level = ws.cells.as_ref()?.untimed();
    let index = &level.log.index;
    let k = index.segments.iter().position(|s| s == column)?;
    // Every column of a cell counts its rows; the first profiled one is read.
    let cells = level.log.columns.iter().find(|c| !c.is_empty())?;
    let mut rows: std::collections::BTreeMap<String, usize> = Default::default();
    for (t, tuple) in index.tuples.iter().enumerate() {
        if let Some(Some(v)) = tuple.get(k) {
            let n: u64 = (0..index.slots).map(|s| cells.rows(index.cell(t, s))).sum();
            *rows.entry(v.clone()).or_default() += n as usize;
        }
    }
    Some(rows.into_iter().filter(|(_, n)| *n > 0).collect())
}

/// Rows per group, in the groups' (label) order.
fn group_counts(g: &Groups) -> Vec<(String, usize)> {
    let mut counts = vec![0usize; g.values.len()];
    for v in g.row_group.iter().flatten() {
        counts[v as usize] += 1;
    }
    g.values.iter().cloned().zip(counts).collect()
}

fn segment_mix(
    column: &str,
    role: Role,
    current: &[(String, usize)],
    baseline: Option<&[(String, usize)]>,
) -> SegmentMix {
    let c_total: usize = current.iter().map(|(_, n)| n).sum();
    let b_total: Option<usize> = baseline.map(|b| b.iter().map(|(_, n)| n).sum());
    let rows_of = |side: &[(String, usize)], v: &str| {
        side.iter()
            .find(|(value, _)| value == v)
            .map_or(0, |(_, n)| *n)
    };
    // Union of values, sorted: a baseline value with no current traffic shows as 0 %.
    let mut values: Vec<&String> = current.iter().map(|(v, _)| v).collect();
    values.extend(baseline.into_iter().flatten().map(|(v, _)| v));
    values.sort();
    values.dedup();
    let shares: Vec<SegmentShare> = values
        .iter()
        .map(|v| {
            let current_rows = rows_of(current, v);
            let baseline_rows = baseline.map(|b| rows_of(b, v));
            SegmentShare {
                value: (*v).clone(),
                baseline_rows,
                current_rows,
                baseline_share: baseline_rows
                    .zip(b_total)
                    .map(|(r, t)| if t == 0 { 0.0 } else { r as f64 / t as f64 }),
                current_share: if c_total == 0 {
                    0.0
                } else {
                    current_rows as f64 / c_total as f64
                },
                absent_from_baseline: baseline_rows == Some(0) && current_rows > 0,
            }
        })
        .collect();
    let js_distance = baseline.map(|_| {
        let pb: Vec<u64> = shares
            .iter()
            .map(|s| s.baseline_rows.unwrap_or(0) as u64)
            .collect();
        let pc: Vec<u64> = shares.iter().map(|s| s.current_rows as u64).collect();
        divergence::jensen_shannon(
            &binning::proportions(&pb),
            &binning::proportions(&pc),
            Some(2.0),
        )
    });
    SegmentMix {
        column: column.to_owned(),
        role,
        in_baseline: baseline.is_some(),
        values: shares,
        js_distance,
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    /// Cancelled at any of its looks at the flag — between the stages and inside every long
    /// pass (the unit tests look every 64 rows) — a report returns nothing (the app keeps what
    /// it showed) and never panics on the half-built state it leaves.
    #[test]
    fn a_report_cancelled_at_any_look_at_the_flag_returns_nothing() {
        let inputs = crate::data::sample_inputs();
        let params = super::DriftParams::default();
        let whole = crate::jobs::JobState::default();
        assert!(super::run_drift_report_parts(&inputs, &params, &whole, None).is_some());
        let looks = whole.looks();
        assert!(looks > 100, "{looks} looks");
        // Every one of the first looks, then a spread over the rest up to the last.
        let mut at: Vec<u64> = (1..=40).collect();
        at.extend((1..=40).map(|k| 40 + k * (looks - 40) / 40));
        for n in at {
            let state = crate::jobs::JobState::default();
            state.cancel_at_look(n);
            let report = super::run_drift_report_parts(&inputs, &params, &state, None);
            assert!(
                report.is_none(),
                "cancelled at look {n} of {looks}, during '{}': a report came back",
                state.stage_text()
            );
        }
    }

    use super::*;
    use crate::data::{OverrideLayers, load_inputs};

    /// Continuous values past what a grid holds, four regions, ten days.
    fn inputs(dir: &std::path::Path) -> Inputs {
        let mut seed = 9u64;
        let mut u = move || {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let regions = ["north", "south", "east", "west"];
        let mut base = String::from("income,plan,region\n");
        for i in 0..9_000 {
            let plan = ["a", "b", "c"][i % 3];
            let _ = writeln!(base, "{},{plan},{}", u() * 900.0, regions[i % 4]);
        }
        let mut log = String::from("timestamp,income,plan,region\n");
        for i in 0..8_000 {
            let plan = ["a", "b", "c", "d"][i % 4];
            let shift = if i % 4 == 1 { 80.0 } else { 0.0 };
            let _ = writeln!(
                log,
                "2026-05-{:02}T{:02}:00:00Z,{},{plan},{}",
                i / 800 + 1,
                i % 24,
                u() * 900.0 + shift,
                regions[i % 4]
            );
        }
        let (b, l) = (dir.join("b.csv"), dir.join("l.csv"));
        std::fs::write(&b, base).unwrap();
        std::fs::write(&l, log).unwrap();
        load_inputs(&b, &l, &OverrideLayers::default()).unwrap()
    }

    #[test]
    fn every_overall_and_segment_entry_comes_from_the_profiles() {
        let dir = tempfile::tempdir().unwrap();
        let inputs = inputs(dir.path());
        let params = DriftParams::default();
        let ws = Workspace::new(&inputs, &params, &JobState::default());
        let entries = entries_from_profiles(&ws, &JobState::default());
        assert_eq!(entries.len(), ws.prepared.len());
        for ((p, whole), e) in ws.prepared.iter().zip(&ws.whole).zip(&entries) {
            let overall = e.overall.as_ref().expect("overall from profiles");
            let rows = p.drift(whole, None, &ws.settings);
            assert_eq!(
                overall.stats.ks_statistic, rows.stats.ks_statistic,
                "{}",
                p.name
            );
            assert_eq!(
                overall.stats.current_summary.as_ref().map(|s| s.median),
                rows.stats.current_summary.as_ref().map(|s| s.median)
            );
            if p.name == "region" {
                continue;
            }
            for value in ["north", "south", "east", "west"] {
                let key = ("region".to_owned(), value.to_owned());
                let (_, vs_segment) = e
                    .segment(&key, true)
                    .unwrap_or_else(|| panic!("{} in {value} from profiles", p.name));
                assert!(vs_segment.is_some());
            }
        }
    }
}
