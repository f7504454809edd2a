//! Model performance where ground truth exists: classification (accuracy, precision, recall, F1,
//! ROC AUC, log loss) or regression (MAE, RMSE, MAPE, R²) — overall, per segment value, per time
//! window — and a tripwire on a relative drop against the baseline (when it has predictions and
//! labels) or else against the first window. Only rows with a label count: labels arrive late.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::columns::{self, Dictionary};
use super::report::DriftParams;
use super::windows::WindowsReport;
use super::workspace::{Prepared, SegmentRef, SegmentSlice};
use crate::data::{Inputs, Role};
use crate::jobs::{CANCEL_EVERY, JobState};
use crate::stats::summary;

mod cells;
pub use cells::{PerfCell, PerfProfile, PerfSpec, RegressionSums};
pub(crate) use cells::{from_profile, perf_profile};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    Classification,
    Regression,
}

/// Metrics of one slice; `None` where undefined (no positives, a single class, …).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub rows: usize,
    /// Labelled rows of the positive class, and rows predicted positive (binary tasks).
    pub positives: Option<usize>,
    pub predicted_positives: Option<usize>,
    pub accuracy: Option<f64>,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub f1: Option<f64>,
    pub roc_auc: Option<f64>,
    pub log_loss: Option<f64>,
    pub mae: Option<f64>,
    pub rmse: Option<f64>,
    pub mape: Option<f64>,
    pub r2: Option<f64>,
}

impl Metrics {
    /// The metrics watched by the tripwire: (name, value, higher is better). A metric computed
    /// from fewer than [`MIN_ALERT_ROWS`] rows (positives for recall and AUC, predicted positives
    /// for precision) is too noisy to trip it and is left out.
    pub fn watched(&self, task: Task) -> Vec<(&'static str, Option<f64>, bool)> {
        let enough =
            |n: Option<usize>, v: Option<f64>| v.filter(|_| n.unwrap_or(0) >= MIN_ALERT_ROWS);
        let both = self.positives.min(self.predicted_positives);
        match task {
            Task::Classification => vec![
                ("accuracy", self.accuracy, true),
                ("recall", enough(self.positives, self.recall), true),
                (
                    "precision",
                    enough(self.predicted_positives, self.precision),
                    true,
                ),
                ("f1", enough(both, self.f1), true),
                ("roc_auc", enough(self.positives, self.roc_auc), true),
            ],
            Task::Regression => vec![
                ("r2", self.r2, true),
                ("mae", self.mae, false),
                ("rmse", self.rmse, false),
            ],
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SliceMetrics {
    pub segment: Option<SegmentRef>,
    pub window: Option<usize>,
    pub metrics: Metrics,
}

/// A metric that fell by at least the tripwire's share.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PerformanceAlert {
    pub metric: String,
    pub segment: Option<SegmentRef>,
    pub window: Option<usize>,
    pub reference: f64,
    pub value: f64,
    pub relative_drop: f64,
    pub rows: usize,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PerformanceReport {
    pub task: Task,
    pub label: String,
    pub prediction: String,
    pub score: Option<String>,
    pub positive_class: Option<String>,
    /// What the metrics are compared with.
    pub reference: PerformanceReference,
    pub drop_threshold: f64,
    pub baseline: Option<Metrics>,
    pub overall: Metrics,
    pub labelled_share: f64,
    pub slices: Vec<SliceMetrics>,
    pub alerts: Vec<PerformanceAlert>,
}

/// What performance is compared with: the baseline's labelled rows, or — when the baseline has
/// none — the first window with enough of them. Written `"baseline"` / `"first_window"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PerformanceReference {
    Baseline,
    FirstWindow,
}

impl PerformanceReference {
    /// As a sentence says it: "against 0.91 on the first window".
    pub fn describe(self) -> &'static str {
        match self {
            PerformanceReference::Baseline => "baseline",
            PerformanceReference::FirstWindow => "first window",
        }
    }
}

/// The slice with fewer labelled rows than this gets metrics but no alert.
const MIN_ALERT_ROWS: usize = 50;

/// One file's labels, predictions and scores, row by row: what performance is measured from.
struct Outcomes {
    /// Per row, the class of the label and of the prediction as a code into `classes` (one
    /// dictionary for both, so equal classes have equal codes): no string per row.
    label: Vec<Option<u32>>,
    pred: Vec<Option<u32>>,
    classes: Vec<String>,
    /// As numbers, for regression only (empty for classification).
    label_num: Vec<Option<f64>>,
    pred_num: Vec<Option<f64>>,
    score: Option<Vec<Option<f64>>>,
}

impl Outcomes {
    fn rows(&self) -> usize {
        self.label.len()
    }

    fn class(&self, code: Option<u32>) -> Option<&str> {
        self.classes.get(code? as usize).map(String::as_str)
    }

    fn label_of(&self, r: usize) -> Option<&str> {
        self.class(self.label.get(r).copied().flatten())
    }

    fn pred_of(&self, r: usize) -> Option<&str> {
        self.class(self.pred.get(r).copied().flatten())
    }

    /// The positive class of the labels present ([`positive_class`]).
    fn positive_class(&self) -> Option<String> {
        let mut present = vec![false; self.classes.len()];
        for c in self.label.iter().flatten() {
            if let Some(p) = present.get_mut(*c as usize) {
                *p = true;
            }
        }
        let labels: Vec<Option<&str>> = self
            .classes
            .iter()
            .zip(&present)
            .filter(|(_, p)| **p)
            .map(|(c, _)| Some(c.as_str()))
            .collect();
        positive_class(&labels)
    }

    /// A side from labels and predictions given as strings.
    fn of_strings(
        labels: &[Option<String>],
        predictions: &[Option<String>],
        score: Option<Vec<Option<f64>>>,
    ) -> Self {
        let mut dict = Dictionary::default();
        let mut codes = |v: &[Option<String>]| -> Vec<Option<u32>> {
            v.iter()
                .map(|x| x.as_deref().map(|x| dict.code(x)))
                .collect()
        };
        let (label, pred) = (codes(labels), codes(predictions));
        Outcomes {
            label,
            pred,
            classes: dict.labels,
            label_num: Vec::new(),
            pred_num: Vec::new(),
            score,
        }
    }
}

/// One file's outcomes read from its frame; `None` when a column cannot be read, or once `state`
/// is cancelled (looked at every [`CANCEL_EVERY`] rows and between the columns).
fn side(
    frame: &polars::prelude::DataFrame,
    (label, pred, score): (&str, &str, Option<&str>),
    task: Task,
    state: &JobState,
) -> Option<Outcomes> {
    let mut dict = Dictionary::default();
    let stop = || state.is_cancelled();
    let go_on = || (!stop()).then_some(());
    let label_codes = columns::label_codes_until(frame, label, &mut dict, &stop).ok()??;
    let pred_codes = columns::label_codes_until(frame, pred, &mut dict, &stop).ok()??;
    let numbers = |col: &str| match task {
        Task::Regression => columns::numeric_values(frame, col).unwrap_or_default(),
        Task::Classification => Vec::new(),
    };
    go_on()?;
    let label_num = numbers(label);
    go_on()?;
    let pred_num = numbers(pred);
    go_on()?;
    let score = match score.map(|s| columns::numeric_values_until(frame, s, &stop)) {
        Some(Ok(values)) => Some(values?),
        _ => None,
    };
    Some(Outcomes {
        label: label_codes,
        pred: pred_codes,
        classes: dict.labels,
        label_num,
        pred_num,
        score,
    })
}

/// The log's classes from the workspace's coded label and prediction columns (no value hashed a
/// second time), renumbered into one dictionary in the order [`side`] gives them — first seen in
/// the labels, then in the predictions — so that every metric is summed in the same order.
fn outcomes_coded(
    prepared: &[Prepared],
    (label, prediction, score): (&str, &str, Option<&str>),
    frame: &polars::prelude::DataFrame,
    state: &JobState,
) -> Option<Outcomes> {
    use super::workspace::ColumnData;
    let coded = |name: &str| {
        prepared
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| match &p.data {
                ColumnData::Categorical {
                    labels, current, ..
                } => Some((labels, current)),
                ColumnData::Numeric { .. } => None,
            })
    };
    let mut dict = Dictionary::default();
    // Cancelled: `None` (the report is thrown away), looked at every [`CANCEL_EVERY`] rows.
    let renumber = |dict: &mut Dictionary, (labels, codes): (&Vec<String>, &Vec<Option<u32>>)| {
        let mut table: Vec<Option<u32>> = vec![None; labels.len()];
        let mut out = Vec::with_capacity(codes.len());
        for (k, c) in codes.iter().enumerate() {
            if k % CANCEL_EVERY == CANCEL_EVERY - 1 && state.is_cancelled() {
                return None;
            }
            out.push(c.and_then(|c| {
                let merged = table.get_mut(c as usize)?;
                Some(*merged.get_or_insert_with(|| dict.code(&labels[c as usize])))
            }));
        }
        Some(out)
    };
    // A column the workspace did not code (a prediction only in the log is not analysed) is
    // coded from the frame into the same dictionary, in the same row order.
    let mut codes_of = |name: &str| match coded(name) {
        Some(c) => renumber(&mut dict, c),
        None => columns::label_codes_until(frame, name, &mut dict, &|| state.is_cancelled())
            .ok()
            .flatten(),
    };
    let label = codes_of(label)?;
    let pred = codes_of(prediction)?;
    // The score is an analysed column as a rule: its values are already read.
    let score = score.and_then(
        |s| match prepared.iter().find(|p| p.name == s).map(|p| &p.data) {
            Some(ColumnData::Numeric { current, .. }) => Some(Some(current.iter().collect())),
            _ => columns::numeric_values_until(frame, s, &|| state.is_cancelled()).ok(),
        },
    );
    // Cancelled while reading the score.
    let score = match score {
        Some(None) => return None,
        Some(Some(values)) => Some(values),
        None => None,
    };
    Some(Outcomes {
        label,
        pred,
        classes: dict.labels,
        label_num: Vec::new(),
        pred_num: Vec::new(),
        score,
    })
}

/// The label, prediction and score columns of the log, and the task the label's kind implies.
fn roles_of<'a>(
    inputs: &'a Inputs,
    prepared: &[Prepared],
) -> Option<(&'a str, &'a str, Option<&'a str>, Task)> {
    let present = |role: Role| {
        inputs
            .roles
            .with_role(role)
            .into_iter()
            .find(|c| inputs.current.frame.column(c).is_ok())
    };
    let (label, prediction) = (present(Role::Label)?, present(Role::Prediction)?);
    let task = match prepared
        .iter()
        .find(|p| p.name == label)
        .map(Prepared::kind)
    {
        Some(super::drift::ColumnKind::Numeric) => Task::Regression,
        _ => Task::Classification,
    };
    Some((label, prediction, present(Role::Score), task))
}

/// The baseline's metrics, when it has labels and predictions.
fn baseline_metrics(
    inputs: &Inputs,
    (label, prediction, score): (&str, &str, Option<&str>),
    task: Task,
    positive: Option<&str>,
    state: &JobState,
) -> Option<Metrics> {
    let frame = &inputs.baseline.frame;
    if frame.column(label).is_err() || frame.column(prediction).is_err() {
        return None;
    }
    let b = side(
        frame,
        (label, prediction, score.filter(|s| frame.column(s).is_ok())),
        task,
        state,
    )?;
    let rows: Vec<usize> = (0..b.rows()).collect();
    Some(metrics(&b, &rows, task, positive, None, &|| {
        state.is_cancelled()
    }))
}

pub(crate) fn run_performance(
    inputs: &Inputs,
    prepared: &[Prepared],
    params: &DriftParams,
    segments: &[SegmentSlice],
    windows: Option<(&WindowsReport, &[Vec<usize>])>,
    state: &JobState,
) -> Option<PerformanceReport> {
    let (label, prediction, score, task) = roles_of(inputs, prepared)?;
    let frame = &inputs.current.frame;
    let cur = match task {
        Task::Classification => outcomes_coded(prepared, (label, prediction, score), frame, state),
        Task::Regression => None,
    };
    if state.is_cancelled() {
        return None;
    }
    let cur = cur.or_else(|| side(frame, (label, prediction, score), task, state))?;
    if state.is_cancelled() {
        return None;
    }
    let positive = cur.positive_class();
    // Ten million rows' worth of fresh memory takes a while to fault in: filled with a look at
    // the flag every [`CANCEL_EVERY`] rows, as the passes below.
    let mut all: Vec<usize> = Vec::with_capacity(cur.rows());
    for r in 0..cur.rows() {
        if r % CANCEL_EVERY == CANCEL_EVERY - 1 && state.is_cancelled() {
            return None;
        }
        all.push(r);
    }
    state.stage("performance: scores in order", 0);
    let binary = match (task, positive.as_deref()) {
        (Task::Classification, Some(pos)) => Some(BinaryRows::of(&cur, pos, state)?),
        _ => None,
    };
    let binary = binary.as_ref();
    if state.is_cancelled() {
        return None;
    }
    state.stage("performance: the whole log", 0);
    let stop = || state.is_cancelled();
    let overall = metrics(&cur, &all, task, positive.as_deref(), binary, &stop);
    let labelled = cur.label.iter().filter(|l| l.is_some()).count();
    state.stage("performance: the baseline", 0);
    let baseline = baseline_metrics(
        inputs,
        (label, prediction, score),
        task,
        positive.as_deref(),
        state,
    );

    // Cancelled: the slices left are not measured (the report is thrown away).
    let measure = |rows: &[usize]| {
        if state.is_cancelled() {
            Metrics::default()
        } else {
            metrics(&cur, rows, task, positive.as_deref(), binary, &stop)
        }
    };
    state.stage("performance: segments and windows", 0);
    let mut slices: Vec<SliceMetrics> = segments
        .par_iter()
        .map(|s| SliceMetrics {
            segment: Some(s.segment.clone()),
            window: None,
            metrics: measure(&s.rows),
        })
        .collect();
    if let Some((_, window_rows)) = windows {
        let per_window: Vec<SliceMetrics> = window_rows
            .par_iter()
            .enumerate()
            .map(|(i, rows)| SliceMetrics {
                segment: None,
                window: Some(i),
                metrics: measure(rows),
            })
            .collect();
        slices.extend(per_window);
    }

    finish(
        Names {
            task,
            label,
            prediction,
            score,
            positive,
        },
        (baseline, overall),
        if cur.label.is_empty() {
            0.0
        } else {
            labelled as f64 / cur.label.len() as f64
        },
        slices,
        params,
        windows.map(|(w, _)| w),
    )
}

/// What a performance report is about.
pub(crate) struct Names<'a> {
    pub task: Task,
    pub label: &'a str,
    pub prediction: &'a str,
    pub score: Option<&'a str>,
    pub positive: Option<String>,
}

/// The report from its metrics: the reference (the baseline's, else the first window with
/// enough rows) and the tripwire's alerts — one rule for the rows and the profiles.
pub(crate) fn finish(
    names: Names,
    (baseline, overall): (Option<Metrics>, Metrics),
    labelled_share: f64,
    slices: Vec<SliceMetrics>,
    params: &DriftParams,
    windows: Option<&WindowsReport>,
) -> Option<PerformanceReport> {
    let Names {
        task,
        label,
        prediction,
        score,
        positive,
    } = names;
    let (reference_name, reference) = match &baseline {
        Some(b) if b.rows > 0 => (PerformanceReference::Baseline, b.clone()),
        _ => {
            let first = slices
                .iter()
                .find(|s| s.window.is_some() && s.metrics.rows >= MIN_ALERT_ROWS)
                .map(|s| s.metrics.clone())
                .unwrap_or_default();
            (PerformanceReference::FirstWindow, first)
        }
    };
    let mut alerts = Vec::new();
    let window_label = |i: usize| {
        windows
            .and_then(|w| w.windows.get(i))
            .and_then(|w| w.start.clone())
            .unwrap_or_else(|| format!("window {}", i + 1))
    };
    for (segment, window, m) in std::iter::once((None, None, &overall)).chain(
        slices
            .iter()
            .map(|s| (s.segment.clone(), s.window, &s.metrics)),
    ) {
        if m.rows < MIN_ALERT_ROWS {
            continue;
        }
        let all_reference = Metrics {
            positives: Some(usize::MAX),
            predicted_positives: Some(usize::MAX),
            ..reference.clone()
        };
        for ((name, value, higher_better), (_, ref_value, _)) in
            m.watched(task).into_iter().zip(all_reference.watched(task))
        {
            let (Some(v), Some(r)) = (value, ref_value) else {
                continue;
            };
            if r == 0.0 {
                continue;
            }
            let drop = if higher_better {
                (r - v) / r.abs()
            } else {
                (v - r) / r.abs()
            };
            if drop >= params.performance_drop && beyond_noise(name, r, v, m) {
                let scope = match (&segment, window) {
                    (Some(s), _) => format!(" where {} = {}", s.column, s.value),
                    (None, Some(i)) => format!(" in the window from {}", window_label(i)),
                    _ => String::new(),
                };
                alerts.push(PerformanceAlert {
                    metric: name.to_owned(),
                    segment: segment.clone(),
                    window,
                    reference: r,
                    value: v,
                    relative_drop: drop,
                    rows: m.rows,
                    message: format!(
                        "{name} is {v:.3}{scope} against {r:.3} on the {} ({:.1} % worse, {} labelled rows)",
                        reference_name.describe(),
                        drop * 100.0,
                        m.rows
                    ),
                });
            }
        }
    }
    alerts.sort_by(|a, b| b.relative_drop.total_cmp(&a.relative_drop));
    Some(PerformanceReport {
        task,
        label: label.to_owned(),
        prediction: prediction.to_owned(),
        score: score.map(str::to_owned),
        positive_class: positive,
        reference: reference_name,
        drop_threshold: params.performance_drop,
        baseline,
        overall,
        labelled_share,
        slices,
        alerts,
    })
}

/// A proportion metric (accuracy, precision, recall) trips only when it lies more than two
/// binomial standard errors below the reference — a 5 % drop measured on 60 rows is noise. Other
/// metrics pass (they already need enough rows to be watched).
fn beyond_noise(name: &str, reference: f64, value: f64, m: &Metrics) -> bool {
    let n = match name {
        "accuracy" => Some(m.rows),
        "precision" => m.predicted_positives,
        "recall" => m.positives,
        _ => return true,
    };
    let Some(n) = n.filter(|n| *n > 0) else {
        return false;
    };
    let se = (reference * (1.0 - reference) / n as f64).sqrt();
    (reference - value).abs() > 2.0 * se
}

/// For two classes: `1`, `True` or `yes` if present, else the last label in sort order.
fn positive_class<S: AsRef<str>>(labels: &[Option<S>]) -> Option<String> {
    let classes: Vec<&str> = labels
        .iter()
        .flatten()
        .map(AsRef::as_ref)
        .collect::<std::collections::BTreeSet<&str>>()
        .into_iter()
        .collect();
    if classes.len() > 2 {
        return None;
    }
    for p in ["1", "True", "true", "yes", "positive"] {
        if classes.contains(&p) {
            return Some(p.to_owned());
        }
    }
    classes.last().map(|c| (*c).to_owned())
}

/// Classification metrics of labels against predictions (and positive-class scores, for ROC AUC
/// and log loss); rows where either is missing are left out.
pub fn classification_metrics(
    labels: &[Option<String>],
    predictions: &[Option<String>],
    scores: Option<&[Option<f64>]>,
    positive: Option<&str>,
) -> Metrics {
    let side = Outcomes::of_strings(labels, predictions, scores.map(<[Option<f64>]>::to_vec));
    let rows: Vec<usize> = (0..labels.len()).collect();
    classification(&side, &rows, positive)
}

/// Regression metrics of true values against predicted ones.
pub fn regression_metrics(truth: &[Option<f64>], predicted: &[Option<f64>]) -> Metrics {
    let side = Outcomes {
        label: Vec::new(),
        pred: Vec::new(),
        classes: Vec::new(),
        label_num: truth.to_vec(),
        pred_num: predicted.to_vec(),
        score: None,
    };
    let rows: Vec<usize> = (0..truth.len()).collect();
    regression(&side, &rows)
}

fn metrics(
    s: &Outcomes,
    rows: &[usize],
    task: Task,
    positive: Option<&str>,
    binary: Option<&BinaryRows>,
    stop: &dyn Fn() -> bool,
) -> Metrics {
    match (task, binary) {
        (Task::Classification, Some(b)) => binary_classification(s, b, rows, stop),
        (Task::Classification, None) => classification(s, rows, positive),
        (Task::Regression, _) => regression(s, rows),
    }
}

fn ratio(a: usize, b: usize) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// Per row, for two classes: whether label and prediction are both there, whether each is the
/// positive class, and the score when there is one — the string comparisons done once per row
/// instead of once per slice the row is in.
struct BinaryRows {
    both: Vec<bool>,
    correct: Vec<bool>,
    pos_label: Vec<bool>,
    pos_pred: Vec<bool>,
    /// Per row: its log loss when it has both and a score (NaN otherwise), computed once.
    loss: Vec<f64>,
    /// The rows with both and a score, by score: a large slice takes its rows in this order
    /// (one pass) instead of sorting them again.
    by_score: Vec<u32>,
}

impl BinaryRows {
    /// The rows' flags and the scored rows in score order; `None` once `state` is cancelled
    /// (looked at every 65,536 rows).
    fn of(s: &Outcomes, positive: &str, state: &JobState) -> Option<Self> {
        let n = s.rows();
        let positive = s
            .classes
            .iter()
            .position(|c| c == positive)
            .map(|c| c as u32);
        // Filled row by row (not allocated filled), so that faulting in the memory is also
        // done between looks at the flag.
        let mut out = Self {
            both: Vec::with_capacity(n),
            correct: Vec::with_capacity(n),
            pos_label: Vec::with_capacity(n),
            pos_pred: Vec::with_capacity(n),
            loss: Vec::with_capacity(n),
            by_score: Vec::new(),
        };
        let mut scored: Vec<(f64, u32)> = Vec::new();
        for r in 0..n {
            if r % CANCEL_EVERY == 0 && state.is_cancelled() {
                return None;
            }
            let (mut both, mut correct, mut pos_label, mut pos_pred) = (false, false, false, false);
            let mut row_loss = f64::NAN;
            if let (Some(&Some(l)), Some(&Some(p))) = (s.label.get(r), s.pred.get(r)) {
                both = true;
                correct = l == p;
                pos_label = Some(l) == positive;
                pos_pred = Some(p) == positive;
                if let Some(sc) = score_of(s, r) {
                    row_loss = loss(pos_label, sc);
                    scored.push((sc, r as u32));
                }
            }
            out.both.push(both);
            out.correct.push(correct);
            out.pos_label.push(pos_label);
            out.pos_pred.push(pos_pred);
            out.loss.push(row_loss);
        }
        if state.is_cancelled() {
            return None;
        }
        // Tied scores need no order among themselves: ROC AUC takes a run of equal scores as
        // one group (their average rank), and the losses are summed in row order.
        scored.par_sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        out.by_score = scored.into_iter().map(|(_, r)| r).collect();
        Some(out)
    }
}

/// [`classification`] for two classes from [`BinaryRows`]: the same counts and the same sums
/// in the same order, so the same numbers.
/// Once `stop()` says so (looked at every 65,536 rows) the metrics are left empty: the caller
/// throws them away.
fn binary_classification(
    s: &Outcomes,
    b: &BinaryRows,
    rows: &[usize],
    stop: &dyn Fn() -> bool,
) -> Metrics {
    let (mut n, mut correct, mut tp, mut fp, mut fneg) = (0usize, 0usize, 0usize, 0usize, 0usize);
    let mut scored: Vec<(bool, f64)> = Vec::new();
    let mut losses: Vec<f64> = Vec::new();
    for (k, &r) in rows.iter().enumerate() {
        if k % CANCEL_EVERY == CANCEL_EVERY - 1 && stop() {
            return Metrics::default();
        }
        if !b.both.get(r).copied().unwrap_or(false) {
            continue;
        }
        n += 1;
        let (l, p) = (b.pos_label[r], b.pos_pred[r]);
        correct += usize::from(b.correct[r]);
        tp += usize::from(l && p);
        fp += usize::from(!l && p);
        fneg += usize::from(l && !p);
        if let Some(sc) = score_of(s, r) {
            scored.push((l, sc));
            losses.push(b.loss[r]);
        }
    }
    // A slice with many scored rows takes them in score order from the whole log's (a pass)
    // rather than sorting them (n log n); small slices sort.
    let k = scored.len() as f64;
    let in_order = if k * k.log2().max(1.0) > 4.0 * b.by_score.len() as f64 {
        let mut inside = vec![false; b.both.len()];
        for (k, &r) in rows.iter().enumerate() {
            if k % CANCEL_EVERY == CANCEL_EVERY - 1 && stop() {
                return Metrics::default();
            }
            if let Some(x) = inside.get_mut(r) {
                *x = true;
            }
        }
        let mut sorted = Vec::with_capacity(scored.len());
        for (k, &r) in b.by_score.iter().enumerate() {
            if k % CANCEL_EVERY == CANCEL_EVERY - 1 && stop() {
                return Metrics::default();
            }
            if inside[r as usize] {
                sorted.push((
                    b.pos_label[r as usize],
                    score_of(s, r as usize).unwrap_or(f64::NAN),
                ));
            }
        }
        Some(sorted)
    } else {
        None
    };
    let mut m = Metrics {
        rows: n,
        accuracy: ratio(correct, n),
        ..Metrics::default()
    };
    m.positives = Some(tp + fneg);
    m.predicted_positives = Some(tp + fp);
    m.precision = ratio(tp, tp + fp);
    m.recall = ratio(tp, tp + fneg);
    m.f1 = ratio(2 * tp, 2 * tp + fp + fneg);
    m.roc_auc = match in_order {
        Some(sorted) => roc_auc_sorted(&sorted),
        None => roc_auc(&scored),
    };
    m.log_loss = (!losses.is_empty()).then(|| summary::mean(&losses));
    m
}

/// Row `r`'s score, when it has one.
fn score_of(s: &Outcomes, r: usize) -> Option<f64> {
    s.score.as_ref().and_then(|v| v.get(r).copied().flatten())
}

/// One row's log loss: its positive-class score clipped as scikit-learn clips it.
pub(super) fn loss(positive: bool, score: f64) -> f64 {
    let p = score.clamp(f64::EPSILON, 1.0 - f64::EPSILON);
    if positive { -p.ln() } else { -(1.0 - p).ln() }
}

/// Mean log loss of positive-class scores, clipped as scikit-learn clips them.
fn log_loss(scored: &[(bool, f64)]) -> Option<f64> {
    if scored.is_empty() {
        return None;
    }
    let losses: Vec<f64> = scored.iter().map(|&(y, p)| loss(y, p)).collect();
    Some(summary::mean(&losses))
}

fn classification(s: &Outcomes, rows: &[usize], positive: Option<&str>) -> Metrics {
    let pairs: Vec<(&str, &str, Option<f64>)> = rows
        .iter()
        .filter_map(|&r| {
            let l = s.label_of(r)?;
            let p = s.pred_of(r)?;
            let score = s.score.as_ref().and_then(|v| v.get(r).copied().flatten());
            Some((l, p, score))
        })
        .collect();
    let n = pairs.len();
    let mut m = Metrics {
        rows: n,
        accuracy: ratio(pairs.iter().filter(|(l, p, _)| l == p).count(), n),
        ..Metrics::default()
    };
    let classes: Vec<&str> = pairs.iter().flat_map(|(l, p, _)| [*l, *p]).collect();
    let count = |f: &dyn Fn(&str, &str) -> bool| pairs.iter().filter(|(l, p, _)| f(l, p)).count();
    class_counts(&mut m, n, positive, classes, &count);
    if let Some(pos) = positive {
        let scored: Vec<(bool, f64)> = pairs
            .iter()
            .filter_map(|(l, _, sc)| sc.map(|sc| (*l == pos, sc)))
            .collect();
        m.roc_auc = roc_auc(&scored);
        m.log_loss = log_loss(&scored);
    }
    m
}

/// How many (label, prediction) pairs a condition holds for.
pub(super) type PairCount<'a> = dyn Fn(&dyn Fn(&str, &str) -> bool) -> usize + 'a;

/// Precision, recall and F1 from how many (label, prediction) pairs a condition holds for: for
/// two classes, of the positive class (and its positives and predicted positives); for more,
/// macro averages over every class seen in labels or predictions (scikit-learn's
/// average='macro', a class never predicted counting 0 precision). One rule for the rows and the
/// profiles' confusion counts.
pub(super) fn class_counts(
    m: &mut Metrics,
    n: usize,
    positive: Option<&str>,
    mut classes: Vec<&str>,
    count: &PairCount,
) {
    match positive {
        None if n > 0 => {
            classes.sort_unstable();
            classes.dedup();
            let (mut ps, mut rs, mut fs) = (0.0, 0.0, 0.0);
            for c in &classes {
                let tp = count(&|l, p| l == *c && p == *c);
                let fp = count(&|l, p| l != *c && p == *c);
                let fneg = count(&|l, p| l == *c && p != *c);
                ps += ratio(tp, tp + fp).unwrap_or(0.0);
                rs += ratio(tp, tp + fneg).unwrap_or(0.0);
                fs += ratio(2 * tp, 2 * tp + fp + fneg).unwrap_or(0.0);
            }
            let k = classes.len() as f64;
            m.precision = Some(ps / k);
            m.recall = Some(rs / k);
            m.f1 = Some(fs / k);
        }
        None => {}
        Some(pos) => {
            let tp = count(&|l, p| l == pos && p == pos);
            let fp = count(&|l, p| l != pos && p == pos);
            let fneg = count(&|l, p| l == pos && p != pos);
            m.positives = Some(tp + fneg);
            m.predicted_positives = Some(tp + fp);
            m.precision = ratio(tp, tp + fp);
            m.recall = ratio(tp, tp + fneg);
            m.f1 = ratio(2 * tp, 2 * tp + fp + fneg);
        }
    }
}

/// ROC AUC as the Mann–Whitney statistic with tied scores counted half (equals scikit-learn's
/// `roc_auc_score`); `None` without both classes.
pub fn roc_auc(scored: &[(bool, f64)]) -> Option<f64> {
    let pos = scored.iter().filter(|(y, _)| *y).count();
    let neg = scored.len() - pos;
    if pos == 0 || neg == 0 {
        return None;
    }
    // Sort the pairs themselves (not indices into them): on millions of rows an indirect sort
    // spends its time on cache misses.
    let mut sorted = scored.to_vec();
    sorted.sort_unstable_by(|a, b| a.1.total_cmp(&b.1));
    roc_auc_sorted(&sorted)
}

/// [`roc_auc`] of pairs already sorted by score.
fn roc_auc_sorted(sorted: &[(bool, f64)]) -> Option<f64> {
    let pos = sorted.iter().filter(|(y, _)| *y).count();
    let neg = sorted.len() - pos;
    if pos == 0 || neg == 0 {
        return None;
    }
    // Average ranks over ties.
    let mut rank_sum_pos = 0.0;
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j + 1 < sorted.len() && sorted[j + 1].1 == sorted[i].1 {
            j += 1;
        }
        let avg_rank = (i + j) as f64 / 2.0 + 1.0;
        let positives = sorted[i..=j].iter().filter(|(y, _)| *y).count();
        rank_sum_pos += avg_rank * positives as f64;
        i = j + 1;
    }
    let (p, n) = (pos as f64, neg as f64);
    Some((rank_sum_pos - p * (p + 1.0) / 2.0) / (p * n))
}

fn regression(s: &Outcomes, rows: &[usize]) -> Metrics {
    let pairs: Vec<(f64, f64)> = rows
        .iter()
        .filter_map(|&r| {
            Some((
                s.label_num.get(r).copied().flatten()?,
                s.pred_num.get(r).copied().flatten()?,
            ))
        })
        .collect();
    let n = pairs.len();
    let mut m = Metrics {
        rows: n,
        ..Metrics::default()
    };
    if n == 0 {
        return m;
    }
    let abs: Vec<f64> = pairs.iter().map(|(y, p)| (y - p).abs()).collect();
    let sq: Vec<f64> = pairs.iter().map(|(y, p)| (y - p) * (y - p)).collect();
    m.mae = Some(summary::mean(&abs));
    m.rmse = Some(summary::mean(&sq).sqrt());
    let ape: Vec<f64> = pairs
        .iter()
        .map(|(y, p)| (y - p).abs() / y.abs().max(f64::EPSILON))
        .collect();
    m.mape = Some(summary::mean(&ape));
    let ys: Vec<f64> = pairs.iter().map(|(y, _)| *y).collect();
    let mean = summary::mean(&ys);
    let ss_tot: f64 = ys.iter().map(|y| (y - mean) * (y - mean)).sum();
    let ss_res: f64 = sq.iter().sum();
    m.r2 = (ss_tot > 0.0).then(|| 1.0 - ss_res / ss_tot);
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The log's classes taken from the workspace's codes are the ones read from the frame: the
    /// same classes in the same order, the same code on every row.
    #[test]
    fn outcomes_from_the_workspace_codes_equal_those_read_from_the_frame() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data");
        let inputs = crate::data::load_inputs(
            &dir.join("baseline.parquet"),
            &dir.join("predictions.jsonl"),
            &crate::data::OverrideLayers::default(),
        )
        .unwrap();
        let prepared = super::super::workspace::prepare(&inputs, &JobState::default());
        let (label, prediction, score, task) = roles_of(&inputs, &prepared).unwrap();
        assert_eq!(task, Task::Classification);
        let frame = &inputs.current.frame;
        let read = side(
            frame,
            (label, prediction, score),
            task,
            &JobState::default(),
        )
        .unwrap();
        assert!(read.label.iter().flatten().count() > 1000);
        // With every column coded by the workspace, and with the prediction (or the label) not
        // analysed — coded from the frame into the same dictionary.
        for leave_out in [None, Some(prediction), Some(label)] {
            let kept: Vec<Prepared> =
                super::super::workspace::prepare(&inputs, &JobState::default())
                    .into_iter()
                    .filter(|p| Some(p.name.as_str()) != leave_out)
                    .collect();
            assert!(kept.iter().any(|p| Some(p.name.as_str()) == score));
            let coded = outcomes_coded(
                &kept,
                (label, prediction, score),
                frame,
                &JobState::default(),
            )
            .unwrap();
            assert_eq!(coded.classes, read.classes, "{leave_out:?}");
            assert_eq!(coded.label, read.label, "{leave_out:?}");
            assert_eq!(coded.pred, read.pred, "{leave_out:?}");
            assert_eq!(coded.score, read.score, "{leave_out:?}");
        }
    }

    /// The JSON keeps the names the reference always had.
    #[test]
    fn the_performance_reference_keeps_its_json_names() {
        for (r, name) in [
            (PerformanceReference::Baseline, "baseline"),
            (PerformanceReference::FirstWindow, "first_window"),
        ] {
            assert_eq!(serde_json::to_value(r).unwrap(), name);
            assert_eq!(
                serde_json::from_value::<PerformanceReference>(name.into()).unwrap(),
                r
            );
        }
    }

    #[test]
    fn two_class_metrics_from_per_row_flags_equal_the_general_path() {
        let mut seed = 41u64;
        let mut u = move || {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let class = |x: f64| -> Option<String> {
            if x < 0.1 {
                None
            } else if x < 0.6 {
                Some("0".to_owned())
            } else {
                Some("1".to_owned())
            }
        };
        let n = 5000;
        let labels: Vec<Option<String>> = (0..n).map(|_| class(u())).collect();
        let predictions: Vec<Option<String>> = (0..n).map(|_| class(u())).collect();
        let scores = (0..n).map(|_| (u() > 0.05).then(&mut u)).collect();
        let side = Outcomes::of_strings(&labels, &predictions, Some(scores));
        let binary = BinaryRows::of(&side, "1", &JobState::default()).unwrap();
        for step in [1usize, 3, 7, 50] {
            let rows: Vec<usize> = (0..n).step_by(step).collect();
            assert_eq!(
                binary_classification(&side, &binary, &rows, &|| false),
                classification(&side, &rows, Some("1")),
                "every {step}th row"
            );
        }
    }

    #[test]
    fn auc_counts_ties_half() {
        assert_eq!(roc_auc(&[(false, 0.1), (true, 0.9)]), Some(1.0));
        assert_eq!(roc_auc(&[(true, 0.1), (false, 0.9)]), Some(0.0));
        assert_eq!(roc_auc(&[(true, 0.5), (false, 0.5)]), Some(0.5));
        // sklearn: roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
        assert_eq!(
            roc_auc(&[(false, 0.1), (false, 0.4), (true, 0.35), (true, 0.8)]),
            Some(0.75)
        );
        assert_eq!(roc_auc(&[(true, 0.5)]), None);
    }

    #[test]
    fn the_positive_class_is_one_or_true_or_the_last_label() {
        let l = |v: &[&str]| v.iter().map(|s| Some((*s).to_owned())).collect::<Vec<_>>();
        assert_eq!(positive_class(&l(&["0", "1"])).as_deref(), Some("1"));
        assert_eq!(
            positive_class(&l(&["False", "True"])).as_deref(),
            Some("True")
        );
        assert_eq!(
            positive_class(&l(&["ham", "spam"])).as_deref(),
            Some("spam")
        );
        assert_eq!(positive_class(&l(&["a", "b", "c"])), None);
    }
}
