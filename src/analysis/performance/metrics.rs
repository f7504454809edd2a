//! The metrics themselves: classification (accuracy, precision, recall, F1, ROC AUC, log loss
//! as scikit-learn computes them) and regression (MAE, RMSE, MAPE, R²), from outcomes and a
//! slice's rows.

use super::outcomes::{BinaryRows, Outcomes, score_of};
use super::*;

/// Classification metrics of labels against predictions (and positive-class scores, for ROC AUC
/// and log loss); rows where either is missing are left out.
pub fn classification_metrics(
    labels: &[Option<String>],
    predictions: &[Option<String>],
    scores: Option<&[Option<f64>]>,
    positive: Option<&str>,
) -> Metrics {
    let side = Outcomes::of_strings(labels, predictions, scores.map(<[Option<f64>]>::to_vec));
    classification(&side, Rows::All(labels.len()), positive)
}

/// Regression metrics of true values against predicted ones.
pub fn regression_metrics(truth: &[Option<f64>], predicted: &[Option<f64>]) -> Metrics {
    let side = Outcomes {
        label: columns::Codes::default(),
        pred: columns::Codes::default(),
        classes: Vec::new(),
        label_num: truth.to_vec(),
        pred_num: predicted.to_vec(),
        score: None,
    };
    regression(&side, Rows::All(truth.len()))
}

/// The rows a metric is measured on: all of a side's (no list of ten million indices made for
/// the whole log), or these.
#[derive(Clone, Copy, Debug)]
pub(super) enum Rows<'a> {
    All(usize),
    Listed(&'a [usize]),
}

impl<'a> Rows<'a> {
    pub(super) fn iter(self) -> impl Iterator<Item = usize> + 'a {
        let (all, listed) = match self {
            Rows::All(n) => (0..n, &[][..]),
            Rows::Listed(rows) => (0..0, rows),
        };
        all.chain(listed.iter().copied())
    }
}

pub(super) fn metrics(
    s: &Outcomes,
    rows: Rows,
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

pub(super) fn ratio(a: usize, b: usize) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// [`classification`] for two classes from [`BinaryRows`]: the same counts and the same sums
/// in the same order, so the same numbers.
/// Once `stop()` says so (looked at every 65,536 rows) the metrics are left empty: the caller
/// throws them away.
pub(super) fn binary_classification(
    s: &Outcomes,
    b: &BinaryRows,
    rows: Rows,
    stop: &dyn Fn() -> bool,
) -> Metrics {
    let (mut n, mut correct, mut tp, mut fp, mut fneg) = (0usize, 0usize, 0usize, 0usize, 0usize);
    let mut scored: Vec<(bool, f64)> = Vec::new();
    let mut losses: Vec<f64> = Vec::new();
    for (k, r) in rows.iter().enumerate() {
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
        for (k, r) in rows.iter().enumerate() {
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

/// One row's log loss: its positive-class score clipped as scikit-learn clips it.
pub(super) fn loss(positive: bool, score: f64) -> f64 {
    let p = score.clamp(f64::EPSILON, 1.0 - f64::EPSILON);
    if positive { -p.ln() } else { -(1.0 - p).ln() }
}

/// Mean log loss of positive-class scores, clipped as scikit-learn clips them.
pub(super) fn log_loss(scored: &[(bool, f64)]) -> Option<f64> {
    if scored.is_empty() {
        return None;
    }
    let losses: Vec<f64> = scored.iter().map(|&(y, p)| loss(y, p)).collect();
    Some(summary::mean(&losses))
}

pub(super) fn classification(s: &Outcomes, rows: Rows, positive: Option<&str>) -> Metrics {
    let pairs: Vec<(&str, &str, Option<f64>)> = rows
        .iter()
        .filter_map(|r| {
            let l = s.label_of(r)?;
            let p = s.pred_of(r)?;
            let score = s.score.as_ref().and_then(|v| v.get(r));
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
pub(super) fn roc_auc_sorted(sorted: &[(bool, f64)]) -> Option<f64> {
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

pub(super) fn regression(s: &Outcomes, rows: Rows) -> Metrics {
    let pairs: Vec<(f64, f64)> = rows
        .iter()
        .filter_map(|r| {
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
