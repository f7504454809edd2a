//! One file's outcomes row by row — labels and predictions as codes into one dictionary of
//! classes, numbers for regression, the positive class's scores — read from a frame or taken
//! from the workspace's coded columns, and for two classes the per-row flags and score order
//! that every slice's metrics are summed from.

use super::*;

/// One file's labels, predictions and scores, row by row: what performance is measured from.
pub(super) struct Outcomes {
    /// Per row, the class of the label and of the prediction as a code into `classes` (one
    /// dictionary for both, so equal classes have equal codes): no string per row.
    pub(super) label: columns::Codes,
    pub(super) pred: columns::Codes,
    pub(super) classes: Vec<String>,
    /// As numbers, for regression only (empty for classification).
    pub(super) label_num: Vec<Option<f64>>,
    pub(super) pred_num: Vec<Option<f64>>,
    /// Shared with the frame or the workspace when the score column is floats without nulls.
    pub(super) score: Option<columns::Values>,
}

impl Outcomes {
    pub(super) fn rows(&self) -> usize {
        self.label.len()
    }

    pub(super) fn class(&self, code: Option<u32>) -> Option<&str> {
        self.classes.get(code? as usize).map(String::as_str)
    }

    pub(super) fn label_of(&self, r: usize) -> Option<&str> {
        self.class(self.label.get(r))
    }

    pub(super) fn pred_of(&self, r: usize) -> Option<&str> {
        self.class(self.pred.get(r))
    }

    /// The positive class of the labels present ([`positive_class`]).
    pub(super) fn positive_class(&self) -> Option<String> {
        let mut present = vec![false; self.classes.len()];
        for c in self.label.iter().flatten() {
            if let Some(p) = present.get_mut(c as usize) {
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
    pub(super) fn of_strings(
        labels: &[Option<String>],
        predictions: &[Option<String>],
        score: Option<Vec<Option<f64>>>,
    ) -> Self {
        let mut dict = Dictionary::default();
        let mut codes = |v: &[Option<String>]| -> columns::Codes {
            v.iter()
                .map(|x| x.as_deref().map(|x| dict.code(x)))
                .collect()
        };
        let (label, pred) = (codes(labels), codes(predictions));
        let score = score.map(|s| columns::Values::from_options(&s));
        Self::classes(label, pred, dict.labels, score)
    }

    /// A classification's outcomes: coded labels and predictions, no numbers.
    fn classes(
        label: columns::Codes,
        pred: columns::Codes,
        classes: Vec<String>,
        score: Option<columns::Values>,
    ) -> Self {
        Self {
            label,
            pred,
            classes,
            label_num: Vec::new(),
            pred_num: Vec::new(),
            score,
        }
    }
}

/// One file's outcomes read from its frame; `None` when a column cannot be read, or once `state`
/// is cancelled (looked at every [`CANCEL_EVERY`] rows and between the columns).
pub(super) fn side(
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
    let score = score.and_then(|s| columns::numeric_column(frame, s).ok());
    go_on()?;
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
pub(super) fn outcomes_coded(
    prepared: &[Prepared],
    (label, prediction, score): (&str, &str, Option<&str>),
    frame: &polars::prelude::DataFrame,
    state: &JobState,
) -> Option<Outcomes> {
    use crate::analysis::workspace::ColumnData;
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
    let renumber = |dict: &mut Dictionary, (labels, codes): (&Vec<String>, &columns::Codes)| {
        let mut table: Vec<Option<u32>> = vec![None; labels.len()];
        let mut out = columns::Codes::with_capacity(codes.len());
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
            Some(ColumnData::Numeric { current, .. }) => Some(current.clone()),
            _ => columns::numeric_column(frame, s).ok(),
        },
    );
    if state.is_cancelled() {
        return None;
    }
    Some(Outcomes::classes(label, pred, dict.labels, score))
}

/// For two classes: `1`, `True` or `yes` if present, else the last label in sort order.
pub(super) fn positive_class<S: AsRef<str>>(labels: &[Option<S>]) -> Option<String> {
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

/// Per row, for two classes: whether label and prediction are both there, whether each is the
/// positive class, and the score when there is one — the string comparisons done once per row
/// instead of once per slice the row is in.
pub(super) struct BinaryRows {
    pub(super) both: Vec<bool>,
    pub(super) correct: Vec<bool>,
    pub(super) pos_label: Vec<bool>,
    pub(super) pos_pred: Vec<bool>,
    /// Per row: its log loss when it has both and a score (NaN otherwise), computed once.
    pub(super) loss: Vec<f64>,
    /// The rows with both and a score, by score: a large slice takes its rows in this order
    /// (one pass) instead of sorting them again.
    pub(super) by_score: Vec<u32>,
}

impl BinaryRows {
    /// The rows' flags and the scored rows in score order; `None` once `state` is cancelled
    /// (looked at every 65,536 rows).
    pub(super) fn of(s: &Outcomes, positive: &str, state: &JobState) -> Option<Self> {
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
            if let (Some(l), Some(p)) = (s.label.get(r), s.pred.get(r)) {
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

/// Row `r`'s score, when it has one.
pub(super) fn score_of(s: &Outcomes, r: usize) -> Option<f64> {
    s.score.as_ref().and_then(|v| v.get(r))
}
