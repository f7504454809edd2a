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
mod metrics;
mod outcomes;
pub use cells::{PerfCell, PerfProfile, PerfSpec, RegressionSums};
pub(crate) use cells::{from_profile, perf_profile};
use metrics::{Rows, class_counts, loss, metrics, ratio};
pub use metrics::{classification_metrics, regression_metrics, roc_auc};
use outcomes::{BinaryRows, outcomes_coded, side};

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
    Some(metrics(
        &b,
        Rows::All(b.rows()),
        task,
        positive,
        None,
        &|| state.is_cancelled(),
    ))
}

/// Why the log's labels and predictions give no misses to search by slice (`None`: they do, or
/// the log has none): a regression, or a baseline without them (its error rates are the
/// reference).
pub(crate) fn misses_blocked(inputs: &Inputs, prepared: &[Prepared]) -> Option<String> {
    let (label, prediction, _, task) = roles_of(inputs, prepared)?;
    misses_blocked_for(inputs, (label, prediction), task)
}

/// [`misses_blocked`] for a log whose label and prediction columns and task are known (a
/// profile's).
pub(crate) fn misses_blocked_for(
    inputs: &Inputs,
    (label, prediction): (&str, &str),
    task: Task,
) -> Option<String> {
    if task != Task::Classification {
        return Some(format!(
            "error rates are not searched by slice: `{label}` is a regression target"
        ));
    }
    let base = &inputs.baseline.frame;
    let lacks: Vec<&str> = [label, prediction]
        .into_iter()
        .filter(|c| base.column(c).is_err())
        .collect();
    (!lacks.is_empty()).then(|| {
        format!(
            "error rates are not searched by slice: the baseline has no `{}` (its error rates are the reference)",
            lacks.join("` or `")
        )
    })
}

/// Per row of the log and of the baseline, whether the prediction missed the label.
pub(crate) struct Misses {
    /// The label column.
    pub label: String,
    /// Per log row: `None` without a label or a prediction (labels arrive late).
    pub log: Vec<Option<bool>>,
    pub baseline: Vec<Option<bool>>,
}

/// The misses of a classification whose log and baseline both have labels and predictions
/// (`None` otherwise, for regression, or once `state` is cancelled).
pub(crate) fn misses(inputs: &Inputs, prepared: &[Prepared], state: &JobState) -> Option<Misses> {
    let (label, prediction, _, task) = roles_of(inputs, prepared)?;
    if misses_blocked_for(inputs, (label, prediction), task).is_some() {
        return None;
    }
    let base = &inputs.baseline.frame;
    let frame = &inputs.current.frame;
    let cur = outcomes_coded(prepared, (label, prediction, None), frame, state)
        .or_else(|| side(frame, (label, prediction, None), task, state))?;
    let b = side(base, (label, prediction, None), task, state)?;
    // A side's labels and predictions are codes into one dictionary: equal classes, equal codes.
    let of = |o: &outcomes::Outcomes| -> Vec<Option<bool>> {
        o.label
            .iter()
            .zip(o.pred.iter())
            .map(|(l, p)| Some(l? != p?))
            .collect()
    };
    Some(Misses {
        label: label.to_owned(),
        log: of(&cur),
        baseline: of(&b),
    })
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
    let overall = metrics(
        &cur,
        Rows::All(cur.rows()),
        task,
        positive.as_deref(),
        binary,
        &stop,
    );
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
            metrics(
                &cur,
                Rows::Listed(rows),
                task,
                positive.as_deref(),
                binary,
                &stop,
            )
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

#[cfg(test)]
mod tests {
    use super::metrics::{binary_classification, classification};
    use super::outcomes::{Outcomes, positive_class};
    use super::*;

    /// The log's classes taken from the workspace's codes are the ones read from the frame: the
    /// same classes in the same order, the same code on every row.
    #[test]
    fn outcomes_from_the_workspace_codes_equal_those_read_from_the_frame() {
        let inputs = crate::data::sample_inputs();
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
                binary_classification(&side, &binary, Rows::Listed(&rows), &|| false),
                classification(&side, Rows::Listed(&rows), Some("1")),
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
