//! A whole replay study — production model and candidate on the same rows, with the skew,
//! shadow and performance analyses — as the app and `driftscope replay` both run it.

use std::path::PathBuf;

use polars::prelude::DataFrame;
use serde::{Deserialize, Serialize};

use super::analysis::{self, Comparison, Context};
use super::model::{Model, ModelInfo};
use super::run::{MappingSpec, Outputs, replay};
use crate::analysis::columns::{self, Dictionary};
use crate::analysis::performance::Metrics;
use crate::data::{Role, RoleSet};
use crate::jobs::JobState;

/// What to replay and how; saved in the investigation file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReplaySettings {
    pub model: Option<PathBuf>,
    pub candidate: Option<PathBuf>,
    pub mapping: MappingSpec,
    /// Scores further apart than this count as different.
    pub tolerance: f64,
    /// Rows per model call.
    pub batch: usize,
    /// The ONNX Runtime library, when it is not found by itself.
    pub runtime: Option<PathBuf>,
}

impl Default for ReplaySettings {
    fn default() -> Self {
        Self {
            model: None,
            candidate: None,
            mapping: MappingSpec::default(),
            tolerance: 1e-4,
            batch: 4096,
            runtime: None,
        }
    }
}

/// Both models' answers on the same rows and what they say.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplayStudy {
    pub model: ModelInfo,
    pub candidate: Option<ModelInfo>,
    /// Model input → the columns that feed it.
    pub mapping: Vec<(String, Vec<String>)>,
    /// The replayed rows of the log.
    pub rows: Vec<usize>,
    pub production: Outputs,
    pub candidate_outputs: Option<Outputs>,
    /// Logged score (and label) against replayed, where the log has a score.
    pub skew: Option<Comparison>,
    /// Candidate against production.
    pub shadow: Option<Comparison>,
    /// Where the log has labels: metrics of production and candidate.
    pub performance: Option<(Option<Metrics>, Option<Metrics>)>,
    /// Wall time of the production model's replay (preparing the inputs and the model calls).
    pub seconds: f64,
}

fn text_of(frame: &DataFrame, column: &str) -> Option<Vec<Option<String>>> {
    let mut d = Dictionary::default();
    let codes = columns::label_codes(frame, column, &mut d).ok()?;
    Some(
        codes
            .iter()
            .map(|c| c.map(|c| d.labels[c as usize].clone()))
            .collect(),
    )
}

fn take<T: Clone>(all: &[T], rows: &[usize]) -> Vec<T> {
    rows.iter().map(|&r| all[r].clone()).collect()
}

/// Replays `rows` of `frame` through the model (and the candidate), then compares. `None` when
/// cancelled.
pub fn study(
    frame: &DataFrame,
    roles: &RoleSet,
    rows: Vec<usize>,
    settings: &ReplaySettings,
    window_micros: i64,
    state: &JobState,
) -> Result<Option<ReplayStudy>, String> {
    let model_path = settings
        .model
        .as_ref()
        .ok_or("choose the production model (.onnx) to replay the log through")?;
    let runtime = settings.runtime.as_deref();
    let model = Model::open(model_path, runtime)?;
    let candidate = settings
        .candidate
        .as_ref()
        .map(|c| Model::open(c, runtime))
        .transpose()?;
    let started = std::time::Instant::now();
    let Some((plan, production)) = replay(
        &model,
        frame,
        &rows,
        &settings.mapping,
        settings.batch,
        state,
    )?
    else {
        return Ok(None);
    };
    let seconds = started.elapsed().as_secs_f64();
    let candidate_outputs = match &candidate {
        Some(c) => match replay(c, frame, &rows, &settings.mapping, settings.batch, state)? {
            Some((_, out)) => Some(out),
            None => return Ok(None),
        },
        None => None,
    };
    state.stage("comparing answers", 0);
    let ctx = Context {
        frame,
        rows: &rows,
        groups: roles
            .columns
            .iter()
            .filter(|c| matches!(c.role, Role::Segment | Role::ModelVersion))
            .map(|c| c.column.clone())
            .collect(),
        time: roles
            .with_role(Role::Timestamp)
            .first()
            .map(|t| ((*t).to_owned(), window_micros)),
        input_columns: plan
            .description
            .iter()
            .flat_map(|(_, c)| c.clone())
            .collect(),
    };
    let first = |role: Role| roles.with_role(role).first().map(|s| (*s).to_owned());
    let skew = match first(Role::Score) {
        Some(col) => {
            let logged: Vec<f64> = columns::numeric_values(frame, &col)
                .map_err(|e| format!("`{col}`: {e}"))?
                .into_iter()
                .map(|v| v.unwrap_or(f64::NAN))
                .collect();
            let logged = take(&logged, &rows);
            let labels = first(Role::Prediction)
                .and_then(|p| text_of(frame, &p))
                .map(|l| take(&l, &rows));
            Some(analysis::compare(
                format!("logged `{col}` against replayed"),
                &ctx,
                &logged,
                &production.scores,
                labels
                    .as_deref()
                    .filter(|_| !production.labels.is_empty())
                    .map(|l| (l, production.labels.as_slice())),
                settings.tolerance,
            ))
        }
        None => None,
    };
    let prod_labels: Vec<Option<String>> =
        production.labels.iter().map(|l| Some(l.clone())).collect();
    let shadow = candidate_outputs.as_ref().map(|c| {
        analysis::compare(
            "candidate against production".to_owned(),
            &ctx,
            &production.scores,
            &c.scores,
            (!production.labels.is_empty() && !c.labels.is_empty())
                .then_some((prod_labels.as_slice(), c.labels.as_slice())),
            settings.tolerance,
        )
    });
    let performance = first(Role::Label)
        .and_then(|l| text_of(frame, &l))
        .map(|t| take(&t, &rows))
        .map(|t| {
            (
                analysis::performance(&t, &production),
                candidate_outputs
                    .as_ref()
                    .and_then(|c| analysis::performance(&t, c)),
            )
        });
    Ok(Some(ReplayStudy {
        model: model.info,
        candidate: candidate.map(|c| c.info),
        mapping: plan.description,
        rows,
        production,
        candidate_outputs,
        skew,
        shadow,
        performance,
        seconds,
    }))
}

/// One row's answers from both models, for the what-if editor: the row's inputs as edited (column
/// → text), run through the same mapping.
pub fn what_if(
    frame: &DataFrame,
    row: usize,
    edits: &[(String, String)],
    settings: &ReplaySettings,
) -> Result<(Outputs, Option<Outputs>), String> {
    use polars::prelude::{Column, DataType, IntoColumn as _, NamedFrom as _, Series};
    let one = frame.slice(row as i64, 1);
    let mut edited = one.clone();
    for (column, text) in edits {
        let Ok(original) = one.column(column) else {
            return Err(format!("no column `{column}` in the log"));
        };
        let t = text.trim();
        let series = if original.dtype() == &DataType::Boolean {
            let v: Option<bool> = match t.to_lowercase().as_str() {
                "" => None,
                "true" | "1" | "yes" => Some(true),
                "false" | "0" | "no" => Some(false),
                _ => return Err(format!("`{column}`: '{t}' is not true or false")),
            };
            Series::new(column.as_str().into(), [v])
        } else if original.dtype().is_primitive_numeric() {
            let v: Option<f64> = if t.is_empty() {
                None
            } else {
                Some(
                    t.parse()
                        .map_err(|_| format!("`{column}`: '{t}' is not a number"))?,
                )
            };
            Series::new(column.as_str().into(), [v])
        } else {
            let v: Option<&str> = if text.is_empty() {
                None
            } else {
                Some(text.as_str())
            };
            Series::new(column.as_str().into(), [v])
        };
        let col: Column = series.into_column();
        edited
            .with_column(col)
            .map_err(|e| format!("`{column}`: {e}"))?;
    }
    let runtime = settings.runtime.as_deref();
    let state = JobState::default();
    let model_path = settings.model.as_ref().ok_or("choose a model first")?;
    let model = Model::open(model_path, runtime)?;
    let prod = replay(&model, &edited, &[0], &settings.mapping, 1, &state)?
        .ok_or("cancelled")?
        .1;
    let cand = match &settings.candidate {
        Some(c) => {
            let m = Model::open(c, runtime)?;
            Some(
                replay(&m, &edited, &[0], &settings.mapping, 1, &state)?
                    .ok_or("cancelled")?
                    .1,
            )
        }
        None => None,
    };
    Ok((prod, cand))
}
