//! Performance and latency from a profile: per timed cell of the log (segment tuple × window),
//! what the metrics need, mergeable by addition — the confusion counts of (label, prediction),
//! the positive class's log-loss sum, the regression errors' sums and the labels' moments — and,
//! within a budget, the positive class's scores by true class (ROC AUC) and the latency values
//! (percentiles), both exact from them. Any slice that is a union of cells (a segment value, a
//! window, everything) is measured by merging its cells.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::{
    Metrics, Names, PerformanceReport, SliceMetrics, Task, baseline_metrics, class_counts, finish,
    loss, ratio, roc_auc, roles_of, side,
};
use crate::analysis::columns;
use crate::analysis::latency::LatencyReport;
use crate::analysis::report::DriftParams;
use crate::analysis::windows::WindowsReport;
use crate::analysis::workspace::{LogSource, Prepared, SegmentRef, Workspace};
use crate::data::{Inputs, Role};
use crate::jobs::JobState;

/// A regression slice's sums: errors (absolute, squared, relative) and the labels' count, mean
/// and sum of squared deviations (Chan's merge).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RegressionSums {
    pub n: u64,
    pub abs: f64,
    pub sq: f64,
    pub ape: f64,
    pub mean: f64,
    pub m2: f64,
}

impl RegressionSums {
    fn add(&mut self, y: f64, p: f64) {
        self.n += 1;
        let e = (y - p).abs();
        self.abs += e;
        self.sq += (y - p) * (y - p);
        self.ape += e / y.abs().max(f64::EPSILON);
        let delta = y - self.mean;
        self.mean += delta / self.n as f64;
        self.m2 += delta * (y - self.mean);
    }

    fn merge(&mut self, o: &RegressionSums) {
        if o.n == 0 {
            return;
        }
        if self.n == 0 {
            *self = o.clone();
            return;
        }
        let (na, nb) = (self.n as f64, o.n as f64);
        let n = na + nb;
        let delta = o.mean - self.mean;
        self.m2 += o.m2 + delta * delta * na * nb / n;
        self.mean += delta * nb / n;
        self.n += o.n;
        self.abs += o.abs;
        self.sq += o.sq;
        self.ape += o.ape;
    }
}

/// One cell's share of the performance metrics and latency.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PerfCell {
    /// Rows with a label, predicted or not (the labelled share).
    pub labelled: u64,
    /// Rows with both a label and a prediction, by (label, prediction).
    pub confusion: BTreeMap<(String, String), u64>,
    /// Of those, rows with a score (two classes): their log loss summed.
    pub scored: u64,
    pub log_loss: f64,
    /// Their scores, by whether the label is the positive class (ROC AUC).
    pub positive_scores: Vec<f64>,
    pub negative_scores: Vec<f64>,
    pub regression: RegressionSums,
    /// The latency column's values.
    pub latency: Vec<f64>,
}

impl PerfCell {
    pub fn merge(&mut self, o: &PerfCell) {
        self.labelled += o.labelled;
        for (k, n) in &o.confusion {
            *self.confusion.entry(k.clone()).or_default() += n;
        }
        self.scored += o.scored;
        self.log_loss += o.log_loss;
        self.positive_scores.extend_from_slice(&o.positive_scores);
        self.negative_scores.extend_from_slice(&o.negative_scores);
        self.regression.merge(&o.regression);
        self.latency.extend_from_slice(&o.latency);
    }
}

/// What the performance cells are about.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PerfSpec {
    pub task: Task,
    pub label: String,
    pub prediction: String,
    pub score: Option<String>,
    pub positive_class: Option<String>,
    /// The latency column, when the log has one.
    pub latency: Option<String>,
    /// Every scored row's score is stored (else ROC AUC is not measured from the profile).
    pub scores_complete: bool,
    /// Every latency value is stored (else latency is not measured from the profile).
    pub latency_complete: bool,
}

/// A log's performance cells: one per timed cell.
#[derive(Clone, Debug, PartialEq)]
pub struct PerfProfile {
    pub spec: PerfSpec,
    pub cells: Vec<PerfCell>,
}

impl PerfProfile {
    /// The cells `keep` selects, merged.
    pub fn merged(&self, keep: impl Fn(usize) -> bool) -> PerfCell {
        let mut out = PerfCell::default();
        for (i, c) in self.cells.iter().enumerate() {
            if keep(i) {
                out.merge(c);
            }
        }
        out
    }
}

/// The log's performance cells, each row in the timed cell `cell_of_row` names; scores and
/// latency values kept only while each stays within `budget` values. `None` without labels and
/// predictions or a latency column.
pub(crate) fn perf_profile(
    inputs: &Inputs,
    prepared: &[Prepared],
    cell_of_row: &[u32],
    cells: usize,
    budget: usize,
) -> Option<PerfProfile> {
    let frame = &inputs.current.frame;
    let latency_column = inputs
        .roles
        .with_role(Role::Latency)
        .into_iter()
        .find(|c| frame.column(c).is_ok());
    let roles = roles_of(inputs, prepared);
    if roles.is_none() && latency_column.is_none() {
        return None;
    }
    let mut out: Vec<PerfCell> = vec![PerfCell::default(); cells];
    let cell = |r: usize| {
        cell_of_row
            .get(r)
            .map(|&c| c as usize)
            .filter(|&c| c < cells)
    };
    let mut spec = PerfSpec {
        task: Task::Classification,
        label: String::new(),
        prediction: String::new(),
        score: None,
        positive_class: None,
        latency: latency_column.map(str::to_owned),
        scores_complete: true,
        latency_complete: true,
    };
    if let Some((label, prediction, score, task)) = roles
        // Profiling a batch is not cancelled part way (its caller stops between batches).
        && let Some(cur) = side(frame, (label, prediction, score), task, &JobState::default())
    {
        let positive = cur.positive_class();
        // Classes as codes: one lookup per row, strings once per cell at the end.
        let mut classes = Classes::default();
        let mut confusion: Vec<HashMap<(u32, u32), u64>> = vec![HashMap::new(); cells];
        let mut scores = 0usize;
        for r in 0..cur.rows() {
            let Some(c) = cell(r) else { continue };
            let cellp = &mut out[c];
            let l = cur.label_of(r);
            cellp.labelled += u64::from(l.is_some());
            match task {
                Task::Classification => {
                    let (Some(l), Some(p)) = (l, cur.pred_of(r)) else {
                        continue;
                    };
                    *confusion[c]
                        .entry((classes.code(l), classes.code(p)))
                        .or_default() += 1;
                    let (Some(pos), Some(sc)) = (
                        positive.as_deref(),
                        cur.score.as_ref().and_then(|v| v.get(r)),
                    ) else {
                        continue;
                    };
                    let y = l == pos;
                    cellp.scored += 1;
                    cellp.log_loss += loss(y, sc);
                    if y {
                        cellp.positive_scores.push(sc);
                    } else {
                        cellp.negative_scores.push(sc);
                    }
                    scores += 1;
                }
                Task::Regression => {
                    if let (Some(y), Some(p)) = (
                        cur.label_num.get(r).copied().flatten(),
                        cur.pred_num.get(r).copied().flatten(),
                    ) {
                        cellp.regression.add(y, p);
                    }
                }
            }
        }
        for (cellp, counts) in out.iter_mut().zip(confusion) {
            cellp.confusion = counts
                .into_iter()
                .map(|((l, p), n)| {
                    (
                        (
                            classes.names[l as usize].to_owned(),
                            classes.names[p as usize].to_owned(),
                        ),
                        n,
                    )
                })
                .collect();
        }
        if scores > budget {
            spec.scores_complete = false;
            for c in &mut out {
                c.positive_scores = Vec::new();
                c.negative_scores = Vec::new();
            }
        }
        spec.task = task;
        spec.label = label.to_owned();
        spec.prediction = prediction.to_owned();
        spec.score = score.map(str::to_owned);
        spec.positive_class = positive;
    }
    if let Some(column) = latency_column
        && let Ok(values) = columns::numeric_values(frame, column)
    {
        let present = values.iter().filter(|v| v.is_some()).count();
        if present > budget {
            spec.latency_complete = false;
        } else {
            for (r, v) in values.iter().enumerate() {
                if let (Some(v), Some(c)) = (v, cell(r)) {
                    out[c].latency.push(*v);
                }
            }
        }
    }
    Some(PerfProfile { spec, cells: out })
}

/// Class labels as codes, in order of appearance.
#[derive(Default)]
struct Classes<'a> {
    names: Vec<&'a str>,
    codes: HashMap<&'a str, u32>,
}

impl<'a> Classes<'a> {
    fn code(&mut self, v: &'a str) -> u32 {
        if let Some(&c) = self.codes.get(v) {
            return c;
        }
        self.names.push(v);
        let c = self.names.len() as u32 - 1;
        self.codes.insert(v, c);
        c
    }
}

/// The metrics of one merged slice, as the rows would give them: the same counts, so the same
/// ratios; log loss and the regression metrics from sums (equal to the rows' to rounding).
fn metrics_of(c: &PerfCell, spec: &PerfSpec) -> Metrics {
    match spec.task {
        Task::Regression => {
            let r = &c.regression;
            let mut m = Metrics {
                rows: r.n as usize,
                ..Metrics::default()
            };
            if r.n == 0 {
                return m;
            }
            let n = r.n as f64;
            m.mae = Some(r.abs / n);
            m.rmse = Some((r.sq / n).sqrt());
            m.mape = Some(r.ape / n);
            m.r2 = (r.m2 > 0.0).then(|| 1.0 - r.sq / r.m2);
            m
        }
        Task::Classification => {
            let n: u64 = c.confusion.values().sum();
            let correct: u64 = c
                .confusion
                .iter()
                .filter(|((l, p), _)| l == p)
                .map(|(_, n)| n)
                .sum();
            let n = n as usize;
            let mut m = Metrics {
                rows: n,
                accuracy: ratio(correct as usize, n),
                ..Metrics::default()
            };
            let count = |f: &dyn Fn(&str, &str) -> bool| -> usize {
                c.confusion
                    .iter()
                    .filter(|((l, p), _)| f(l, p))
                    .map(|(_, n)| *n as usize)
                    .sum()
            };
            let classes: Vec<&str> = c
                .confusion
                .keys()
                .flat_map(|(l, p)| [l.as_str(), p.as_str()])
                .collect();
            let positive = spec.positive_class.as_deref();
            class_counts(&mut m, n, positive, classes, &count);
            if positive.is_some() {
                m.log_loss = (c.scored > 0).then(|| c.log_loss / c.scored as f64);
                if spec.scores_complete {
                    let scored: Vec<(bool, f64)> = c
                        .positive_scores
                        .iter()
                        .map(|&s| (true, s))
                        .chain(c.negative_scores.iter().map(|&s| (false, s)))
                        .collect();
                    m.roc_auc = roc_auc(&scored);
                }
            }
            m
        }
    }
}

/// The performance report from a profile's cells: overall, per segment value (`segments`: each
/// slice's cells) and per window (`windows`: each window's cells), the baseline's metrics from
/// its rows, the tripwire as for rows.
pub(crate) fn run_performance_from(
    perf: &PerfProfile,
    inputs: &Inputs,
    params: &DriftParams,
    log_rows: usize,
    segments: &[(SegmentRef, Vec<usize>)],
    windows: Option<(&WindowsReport, Vec<Vec<usize>>)>,
) -> Option<PerformanceReport> {
    let spec = &perf.spec;
    if spec.label.is_empty() {
        return None;
    }
    let of = |cells: &[usize]| {
        let mut keep = vec![false; perf.cells.len()];
        for &c in cells {
            if let Some(k) = keep.get_mut(c) {
                *k = true;
            }
        }
        metrics_of(&perf.merged(|i| keep[i]), spec)
    };
    let all = perf.merged(|_| true);
    let overall = metrics_of(&all, spec);
    let baseline = baseline_metrics(
        inputs,
        (&spec.label, &spec.prediction, spec.score.as_deref()),
        spec.task,
        spec.positive_class.as_deref(),
        &JobState::default(),
    );
    let mut slices: Vec<SliceMetrics> = segments
        .iter()
        .map(|(segment, cells)| SliceMetrics {
            segment: Some(segment.clone()),
            window: None,
            metrics: of(cells),
        })
        .collect();
    if let Some((_, cells)) = &windows {
        slices.extend(cells.iter().enumerate().map(|(i, cells)| SliceMetrics {
            segment: None,
            window: Some(i),
            metrics: of(cells),
        }));
    }
    finish(
        Names {
            task: spec.task,
            label: &spec.label,
            prediction: &spec.prediction,
            score: spec.score.as_deref(),
            positive: spec.positive_class.clone(),
        },
        (baseline, overall),
        if log_rows == 0 {
            0.0
        } else {
            all.labelled as f64 / log_rows as f64
        },
        slices,
        params,
        windows.map(|(w, _)| w),
    )
}

/// The latency report from a profile's cells (`segments`: each slice's role and cells), exact
/// from the stored values; `None` when they were not all stored.
pub(crate) fn run_latency_from(
    perf: &PerfProfile,
    segments: &[(SegmentRef, Role, Vec<usize>)],
) -> Option<crate::analysis::latency::LatencyReport> {
    let column = perf.spec.latency.as_ref()?;
    if !perf.spec.latency_complete {
        return None;
    }
    let values = |cells: &[usize]| -> Vec<f64> {
        cells
            .iter()
            .filter_map(|&c| perf.cells.get(c))
            .flat_map(|c| c.latency.iter().copied())
            .collect()
    };
    let everything: Vec<f64> = perf
        .cells
        .iter()
        .flat_map(|c| c.latency.iter().copied())
        .collect();
    crate::analysis::latency::latency_report(
        column,
        everything,
        segments
            .iter()
            .map(|(s, role, cells)| (s.clone(), *role, values(cells)))
            .collect(),
        // A profile stores a bounded number of latency values: quick, so never stopped.
        &JobState::default(),
    )
}

/// Performance and latency from a profile's timed cells: each segment value's cells, each
/// window's; what the profile cannot answer is said in `notes`.
pub(crate) fn from_profile(
    workspace: &Workspace,
    inputs: &Inputs,
    params: &DriftParams,
    slices: &[(SegmentRef, Role)],
    windows: Option<&WindowsReport>,
    notes: &mut Vec<String>,
) -> (Option<PerformanceReport>, Option<LatencyReport>) {
    let has = |role: Role| !inputs.roles.with_role(role).is_empty();
    let perf = match &workspace.log {
        LogSource::Profile { perf: Some(p), .. } => Some(p),
        _ => None,
    };
    let (Some(perf), Some(cells)) = (perf, workspace.cells.as_ref()) else {
        if has(Role::Label) && has(Role::Prediction) {
            notes.push(
                "performance not measured: the profile holds no labels × predictions; run the \
                 report on the log's rows"
                    .to_owned(),
            );
        }
        if has(Role::Latency) {
            notes.push(
                "latency not measured: the profile holds no latency values; run the report on \
                 the log's rows"
                    .to_owned(),
            );
        }
        return (None, None);
    };
    let level = cells.timed();
    let index = &level.log.index;
    let mut segments: Vec<(SegmentRef, Role, Vec<usize>)> = Vec::new();
    for (segment, role) in slices {
        let Some(tuples) =
            index.tuples_where(&segment.column, std::slice::from_ref(&segment.value))
        else {
            notes.push(format!(
                "performance and latency of {} = {} not measured: the profile's timed cells are \
                 not cut by {}",
                segment.column, segment.value, segment.column
            ));
            continue;
        };
        let cells: Vec<usize> = (0..index.tuples.len())
            .filter(|&t| tuples[t])
            .flat_map(|t| (0..index.slots).map(move |w| (t, w)))
            .map(|(t, w)| index.cell(t, w))
            .collect();
        segments.push((segment.clone(), *role, cells));
    }
    let window_cells = windows.map(|w| {
        let cells: Vec<Vec<usize>> = (0..w.windows.len())
            .map(|i| (0..index.tuples.len()).map(|t| index.cell(t, i)).collect())
            .collect();
        (w, cells)
    });
    let log_rows: u64 = level
        .log
        .columns
        .iter()
        .find(|c| !c.is_empty())
        .map_or(0, |c| c.total_rows());
    let by_segment: Vec<(SegmentRef, Vec<usize>)> = segments
        .iter()
        .map(|(s, _, c)| (s.clone(), c.clone()))
        .collect();
    let performance = run_performance_from(
        perf,
        inputs,
        params,
        log_rows as usize,
        &by_segment,
        window_cells,
    );
    if performance.is_some() && !perf.spec.scores_complete {
        notes.push(
            "ROC AUC not measured: the profile stores no scores (more than `--exact-values`)"
                .to_owned(),
        );
    }
    let latency = run_latency_from(perf, &segments);
    if perf.spec.latency.is_some() && !perf.spec.latency_complete {
        notes.push(
            "latency not measured: the profile stores no latency values (more than \
             `--exact-values`)"
                .to_owned(),
        );
    }
    (performance, latency)
}
