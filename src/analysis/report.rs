//! The drift report: every analysed column overall, per segment value (against the whole baseline
//! and against the same segment of the baseline), the segment mix, the dataset verdict, data
//! quality, time windows, performance and latency — everything `driftscope report` writes.

use std::collections::HashSet;

use polars::prelude::DataFrame;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::columns::{self, Dictionary, Groups};
use super::drift::{
    self, CategoricalReference, ColumnDrift, ColumnKind, DriftSettings, NumericReference,
};
use super::slice::Side;
use super::{latency, performance, quality, windows};
use crate::data::{Inputs, Role, ValueKind};
use crate::jobs::JobState;
use crate::stats::{binning, divergence};

/// Everything that decides a drift report; a report re-runs only when these change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DriftParams {
    pub settings: DriftSettings,
    /// Time windows, or none.
    pub window: Option<windows::WindowSpec>,
    /// A relative drop of a performance metric by at least this much is an alert.
    pub performance_drop: f64,
    /// The dataset drifts when at least this share of its features drift.
    pub dataset_share: f64,
}

impl Default for DriftParams {
    fn default() -> Self {
        Self {
            settings: DriftSettings::default(),
            window: Some(windows::WindowSpec::Period {
                seconds: 86_400,
                label: "1d".to_owned(),
            }),
            performance_drop: 0.05,
            dataset_share: 0.5,
        }
    }
}

/// A segment value: the current-side slice `column = value`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentRef {
    pub column: String,
    pub value: String,
}

/// What the current side is compared against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reference {
    /// The whole baseline.
    Baseline,
    /// The same segment value in the baseline.
    BaselineSegment,
}

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
}

impl DriftReport {
    /// The overall (unsliced) entries.
    pub fn overall(&self) -> impl Iterator<Item = &FeatureDrift> {
        self.features.iter().filter(|f| f.segment.is_none())
    }
}

/// Values of one analysed column on both sides.
pub(crate) enum ColumnData {
    Numeric {
        baseline: Vec<Option<f64>>,
        current: Vec<Option<f64>>,
        /// Integer dtype on both sides.
        integer: bool,
    },
    Categorical {
        labels: Vec<String>,
        baseline: Vec<Option<u32>>,
        current: Vec<Option<u32>>,
    },
}

pub(crate) struct Prepared {
    pub name: String,
    pub role: Role,
    pub data: ColumnData,
}

impl Prepared {
    pub fn kind(&self) -> ColumnKind {
        match self.data {
            ColumnData::Numeric { .. } => ColumnKind::Numeric,
            ColumnData::Categorical { .. } => ColumnKind::Categorical,
        }
    }

    /// The reference prepared from some baseline rows (all rows when `rows` is `None`).
    pub fn reference(&self, rows: Option<&[usize]>, settings: &DriftSettings) -> PreparedRef {
        self.reference_on(Side::Baseline, rows, settings)
    }

    /// The reference prepared from some rows of either side (all rows when `rows` is `None`).
    pub fn reference_on(
        &self,
        side: Side,
        rows: Option<&[usize]>,
        settings: &DriftSettings,
    ) -> PreparedRef {
        match &self.data {
            ColumnData::Numeric {
                baseline,
                current,
                integer,
            } => {
                let all = if side == Side::Baseline {
                    baseline
                } else {
                    current
                };
                let values = rows.map_or_else(|| all.clone(), |r| columns::take(all, r));
                let mut reference =
                    NumericReference::new(&values, &settings.column(&self.name), settings.bins);
                reference.integer = *integer && values.iter().all(Option::is_some);
                PreparedRef::Numeric(reference)
            }
            ColumnData::Categorical {
                labels,
                baseline,
                current,
            } => {
                let all = if side == Side::Baseline {
                    baseline
                } else {
                    current
                };
                let codes = rows.map_or_else(|| all.clone(), |r| columns::take(all, r));
                PreparedRef::Categorical(CategoricalReference::new(&codes, labels.len()))
            }
        }
    }

    /// A numeric column's values on one side (all rows when `rows` is `None`); empty for a
    /// categorical column.
    pub fn values_on(&self, side: Side, rows: Option<&[usize]>) -> Vec<Option<f64>> {
        match &self.data {
            ColumnData::Numeric {
                baseline, current, ..
            } => {
                let all = if side == Side::Baseline {
                    baseline
                } else {
                    current
                };
                rows.map_or_else(|| all.clone(), |r| columns::take(all, r))
            }
            ColumnData::Categorical { .. } => Vec::new(),
        }
    }

    /// This column's drift for some current rows (all when `rows` is `None`).
    pub fn drift(
        &self,
        reference: &PreparedRef,
        rows: Option<&[usize]>,
        settings: &DriftSettings,
    ) -> ColumnDrift {
        self.drift_on(reference, Side::Log, rows, settings)
    }

    /// This column's drift for some current rows against the whole baseline and, when given, a
    /// baseline segment — the slice's values taken and sorted once for both.
    pub fn drift_pair(
        &self,
        whole: &PreparedRef,
        segment: Option<&PreparedRef>,
        rows: &[usize],
        settings: &DriftSettings,
    ) -> (ColumnDrift, Option<ColumnDrift>) {
        match (&self.data, whole) {
            (ColumnData::Numeric { current, .. }, PreparedRef::Numeric(w)) => {
                let sample = drift::NumericSample::new(&columns::take(current, rows));
                let one = |r: &NumericReference| {
                    drift::numeric_drift_sample(&self.name, r, &sample, settings)
                };
                let second = match segment {
                    Some(PreparedRef::Numeric(seg)) => Some(one(seg)),
                    Some(other) => Some(self.drift(other, Some(rows), settings)),
                    None => None,
                };
                (one(w), second)
            }
            _ => (
                self.drift(whole, Some(rows), settings),
                segment.map(|seg| self.drift(seg, Some(rows), settings)),
            ),
        }
    }

    /// The drift of some *baseline* rows against a reference (for data-driven thresholds).
    pub fn drift_of_baseline_rows(
        &self,
        reference: &PreparedRef,
        rows: &[usize],
        settings: &DriftSettings,
    ) -> ColumnDrift {
        self.drift_on(reference, Side::Baseline, Some(rows), settings)
    }

    /// This column's drift for some rows of either side (all when `rows` is `None`).
    pub fn drift_on(
        &self,
        reference: &PreparedRef,
        side: Side,
        rows: Option<&[usize]>,
        settings: &DriftSettings,
    ) -> ColumnDrift {
        match (&self.data, reference) {
            (
                ColumnData::Numeric {
                    baseline, current, ..
                },
                PreparedRef::Numeric(r),
            ) => {
                let side = if side == Side::Baseline {
                    baseline
                } else {
                    current
                };
                let values = rows.map_or_else(|| side.clone(), |rows| columns::take(side, rows));
                drift::numeric_drift(&self.name, r, &values, settings)
            }
            (
                ColumnData::Categorical {
                    labels,
                    baseline,
                    current,
                },
                PreparedRef::Categorical(r),
            ) => {
                let side = if side == Side::Baseline {
                    baseline
                } else {
                    current
                };
                let codes = rows.map_or_else(|| side.clone(), |rows| columns::take(side, rows));
                drift::categorical_drift(&self.name, r, &codes, labels, settings)
            }
            _ => unreachable_drift(&self.name),
        }
    }
}

fn unreachable_drift(name: &str) -> ColumnDrift {
    // References are built from the column they are used with, so kinds always agree; should
    // that ever break, the column is reported without a verdict rather than panicking.
    ColumnDrift {
        column: name.to_owned(),
        kind: ColumnKind::Numeric,
        n_baseline: 0,
        n_current: 0,
        method: drift::Method::JensenShannon.as_str().to_owned(),
        score: None,
        threshold: 0.0,
        lower_is_drift: false,
        drifted: false,
        note: Some("internal error: reference of another kind".to_owned()),
        stats: drift::DriftStats::default(),
    }
}

pub(crate) enum PreparedRef {
    Numeric(NumericReference),
    Categorical(CategoricalReference),
}

/// Roles whose columns get a drift verdict.
fn analysed(role: Role) -> bool {
    matches!(
        role,
        Role::Feature | Role::Prediction | Role::Score | Role::ClassProbability | Role::Label
    )
}

/// Numbers with few whole values in a prediction or label column are classes, not quantities.
fn looks_like_classes(values: &[Option<f64>]) -> bool {
    let mut seen = HashSet::new();
    for v in values.iter().flatten() {
        if v.fract() != 0.0 {
            return false;
        }
        seen.insert(*v as i64);
        if seen.len() > 50 {
            return false;
        }
    }
    true
}

fn prepare(inputs: &Inputs) -> Vec<Prepared> {
    let (b, c) = (&inputs.baseline.frame, &inputs.current.frame);
    inputs
        .roles
        .columns
        .par_iter()
        .filter(|col| {
            analysed(col.role) && b.column(&col.column).is_ok() && c.column(&col.column).is_ok()
        })
        .filter_map(|col| {
            let categorical = |b: &DataFrame, c: &DataFrame| {
                let mut dict = Dictionary::default();
                let baseline = columns::label_codes(b, &col.column, &mut dict).ok()?;
                let current = columns::label_codes(c, &col.column, &mut dict).ok()?;
                Some(ColumnData::Categorical {
                    labels: dict.labels,
                    baseline,
                    current,
                })
            };
            let data = match col.kind {
                ValueKind::Numeric => {
                    let baseline = columns::numeric_values(b, &col.column).ok()?;
                    let current = columns::numeric_values(c, &col.column).ok()?;
                    let classes = matches!(col.role, Role::Prediction | Role::Label)
                        && looks_like_classes(&baseline)
                        && looks_like_classes(&current);
                    if classes {
                        categorical(b, c)?
                    } else {
                        let int = |f: &DataFrame| {
                            f.column(&col.column).is_ok_and(|c| c.dtype().is_integer())
                        };
                        ColumnData::Numeric {
                            integer: int(b) && int(c),
                            baseline,
                            current,
                        }
                    }
                }
                ValueKind::Categorical => categorical(b, c)?,
                ValueKind::Datetime | ValueKind::Other => return None,
            };
            Some(Prepared {
                name: col.column.clone(),
                role: col.role,
                data,
            })
        })
        .collect()
}

/// The analysed columns of a pair of inputs, each column's values taken out of the frames once
/// and its whole-baseline reference (sorted values, bins) built once — shared by the report and
/// by every slice analysis afterwards, so that changing a slice costs only the slice's own work.
pub struct Workspace {
    pub(crate) prepared: Vec<Prepared>,
    pub(crate) whole: Vec<PreparedRef>,
    pub settings: DriftSettings,
    pub window: Option<windows::WindowSpec>,
    /// Row groups by segment column, filled by the report and by slices.
    pub groups: super::slice::GroupCache,
}

impl Workspace {
    pub fn new(inputs: &Inputs, params: &DriftParams) -> Self {
        let prepared = prepare(inputs);
        let whole = prepared
            .par_iter()
            .map(|p| p.reference(None, &params.settings))
            .collect();
        Self {
            prepared,
            whole,
            settings: params.settings.clone(),
            window: params.window.clone(),
            groups: super::slice::GroupCache::default(),
        }
    }

    /// The analysed columns: name, role and kind, in column order.
    pub fn columns(&self) -> impl Iterator<Item = (&str, Role, ColumnKind)> {
        self.prepared
            .iter()
            .map(|p| (p.name.as_str(), p.role, p.kind()))
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
    let settings = &params.settings;
    state.stage("preparing columns", 0);
    let workspace = Workspace::new(inputs, params);
    if state.is_cancelled() {
        return None;
    }
    let (prepared, whole) = (&workspace.prepared, &workspace.whole);

    state.stage("overall drift", prepared.len() as u64);
    let mut features: Vec<FeatureDrift> = prepared
        .par_iter()
        .zip(whole)
        .map(|(p, r)| {
            state.advance(1);
            FeatureDrift {
                drift: p.drift(r, None, settings),
                role: p.role,
                segment: None,
                reference: Reference::Baseline,
            }
        })
        .collect();
    if state.is_cancelled() {
        return None;
    }

    let segment_columns: Vec<(&str, Role)> = inputs
        .roles
        .columns
        .iter()
        .filter(|c| matches!(c.role, Role::Segment | Role::ModelVersion))
        .filter(|c| inputs.current.frame.column(&c.column).is_ok())
        .map(|c| (c.column.as_str(), c.role))
        .collect();
    let mut mixes = Vec::new();
    // Every segment value's rows, grouped once and shared with performance and latency.
    let mut segment_rows: Vec<SegmentSlice> = Vec::new();
    for (seg, role) in &segment_columns {
        if state.is_cancelled() {
            return None;
        }
        state.stage(format!("segments of {seg}"), 0);
        let Ok(cur_groups) = workspace.groups.get(inputs, Side::Log, seg) else {
            continue;
        };
        let base_groups = workspace.groups.get(inputs, Side::Baseline, seg).ok();
        mixes.push(segment_mix(seg, *role, &cur_groups, base_groups.as_deref()));
        let base_rows_all = base_groups.as_ref().map(|bg| (bg, bg.rows_by_group()));
        let slices: Vec<(String, Vec<usize>, Option<Vec<usize>>)> = cur_groups
            .values
            .iter()
            .zip(cur_groups.rows_by_group())
            .map(|(value, rows)| {
                let base_rows = base_rows_all
                    .as_ref()
                    .and_then(|(bg, all)| bg.index_of(value).map(|i| all[i as usize].clone()));
                (value.clone(), rows, base_rows)
            })
            .collect();
        segment_rows.extend(slices.iter().map(|(value, rows, _)| SegmentSlice {
            segment: SegmentRef {
                column: (*seg).to_owned(),
                value: value.clone(),
            },
            role: *role,
            rows: rows.clone(),
        }));
        let per_slice: Vec<Vec<FeatureDrift>> = slices
            .par_iter()
            .map(|(value, rows, base_rows)| {
                let segment = SegmentRef {
                    column: (*seg).to_owned(),
                    value: value.clone(),
                };
                let mut out = Vec::new();
                for (p, whole_ref) in prepared.iter().zip(whole) {
                    if p.name == *seg {
                        continue;
                    }
                    let seg_ref = base_rows.as_ref().map(|b| p.reference(Some(b), settings));
                    let (vs_whole, vs_segment) =
                        p.drift_pair(whole_ref, seg_ref.as_ref(), rows, settings);
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
    }

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
    let dataset = DatasetVerdict {
        drifted_columns,
        columns,
        drifted_share,
        share_threshold: params.dataset_share,
        drifted: columns > 0 && drifted_share >= params.dataset_share,
    };

    if state.is_cancelled() {
        return None;
    }
    state.stage("time windows", 0);
    let windows = params
        .window
        .as_ref()
        .and_then(|spec| windows::run_windows(inputs, prepared, whole, spec, settings));
    state.stage("performance", 0);
    let performance = performance::run_performance(
        inputs,
        prepared,
        params,
        &segment_rows,
        windows
            .as_ref()
            .map(|(report, rows)| (report, rows.as_slice())),
    );
    state.stage("latency", 0);
    let latency = latency::run_latency(inputs, &segment_rows);
    let windows = windows.map(|(report, _)| report);
    state.stage("data quality", 0);
    let data_quality = quality::alerts(inputs, &features, &mixes, windows.as_ref(), settings);
    state.stage("done", 0);

    let report = DriftReport {
        params: params.clone(),
        dataset,
        features,
        segments: mixes,
        windows,
        data_quality,
        performance,
        latency,
    };
    Some((report, workspace))
}

/// One segment value of the log: the slice, its column's role and its rows.
pub(crate) struct SegmentSlice {
    pub segment: SegmentRef,
    pub role: Role,
    pub rows: Vec<usize>,
}

fn segment_mix(
    column: &str,
    role: Role,
    current: &Groups,
    baseline: Option<&Groups>,
) -> SegmentMix {
    let count = |g: &Groups| {
        let mut counts = vec![0usize; g.values.len()];
        for v in g.row_group.iter().flatten() {
            counts[*v as usize] += 1;
        }
        counts
    };
    let c_counts = count(current);
    let c_total: usize = c_counts.iter().sum();
    let b_counts = baseline.map(|b| (b, count(b)));
    let b_total: Option<usize> = b_counts.as_ref().map(|(_, c)| c.iter().sum());
    // Union of values, sorted: a baseline value with no current traffic shows as 0 %.
    let mut values: Vec<String> = current.values.clone();
    if let Some((b, _)) = &b_counts {
        values.extend(b.values.iter().cloned());
    }
    values.sort();
    values.dedup();
    let shares: Vec<SegmentShare> = values
        .iter()
        .map(|v| {
            let current_rows = current.index_of(v).map_or(0, |i| c_counts[i as usize]);
            let baseline_rows = b_counts
                .as_ref()
                .map(|(b, counts)| b.index_of(v).map_or(0, |i| counts[i as usize]));
            SegmentShare {
                value: v.clone(),
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
    let js_distance = b_counts.as_ref().map(|_| {
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
