//! Column roles: what each column *is* in a prediction log — a timestamp, the model's output, a
//! feature, a segment to slice by — inferred from types, names and value counts, each with a
//! one-line reason a person can check, and overridable from the command line or an investigation
//! file.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use polars::prelude::*;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::error::DataError;

/// What a column is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Timestamp,
    Id,
    ModelVersion,
    Prediction,
    /// The model's score or the probability of the positive class.
    Score,
    /// One class's probability among several (`proba_<class>`).
    ClassProbability,
    Label,
    Latency,
    Segment,
    Feature,
    Ignored,
}

impl Role {
    pub const ALL: [Role; 11] = [
        Role::Timestamp,
        Role::Id,
        Role::ModelVersion,
        Role::Prediction,
        Role::Score,
        Role::ClassProbability,
        Role::Label,
        Role::Latency,
        Role::Segment,
        Role::Feature,
        Role::Ignored,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Timestamp => "timestamp",
            Role::Id => "id",
            Role::ModelVersion => "model_version",
            Role::Prediction => "prediction",
            Role::Score => "score",
            Role::ClassProbability => "class_probability",
            Role::Label => "label",
            Role::Latency => "latency",
            Role::Segment => "segment",
            Role::Feature => "feature",
            Role::Ignored => "ignored",
        }
    }

    /// What the role means for the analyses, in words.
    pub fn explain(self) -> &'static str {
        match self {
            Role::Timestamp => "orders rows in time; time windows are cut on it",
            Role::Id => "identifies a row; never compared",
            Role::ModelVersion => "which model answered; a segment of its own",
            Role::Prediction => "what the model answered (label or value)",
            Role::Score => "the model's score or positive-class probability",
            Role::ClassProbability => "the probability of one class",
            Role::Label => "the ground truth, where it has arrived",
            Role::Latency => "how long the model took",
            Role::Segment => "slices the data (region, device, ...)",
            Role::Feature => "a model input; its drift is measured",
            Role::Ignored => "left out of every analysis",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key = s.trim().to_ascii_lowercase().replace('-', "_");
        let role = match key.as_str() {
            "probability" | "proba" | "class_proba" => Role::ClassProbability,
            "version" => Role::ModelVersion,
            "time" | "ts" => Role::Timestamp,
            "target" | "ground_truth" => Role::Label,
            "ignore" | "none" => Role::Ignored,
            _ => {
                return Role::ALL
                    .into_iter()
                    .find(|r| r.as_str() == key)
                    .ok_or_else(|| {
                        format!(
                            "unknown role '{s}'; roles are: {}",
                            Role::ALL.map(Role::as_str).join(", ")
                        )
                    });
            }
        };
        Ok(role)
    }
}

/// How a column's values compare: as numbers or as labels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueKind {
    Numeric,
    Categorical,
    Datetime,
    /// Nested lists, binary and other values no statistic reads.
    Other,
}

/// Where a role came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoleSource {
    Inferred,
    /// Set by the user: on the command line, in the app, or in an investigation file.
    Override(String),
}

/// One column's resolved role and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ColumnRole {
    pub column: String,
    pub role: Role,
    pub kind: ValueKind,
    /// The polars type, as text (`i64`, `str`, `datetime[μs, UTC]`).
    pub dtype: String,
    /// "`region`: segment — text, 6 distinct values".
    pub reason: String,
    pub source: RoleSource,
    /// For [`Role::ClassProbability`]: the class this column is the probability of.
    pub class: Option<String>,
}

/// Facts about a column that role inference reads.
#[derive(Clone, Debug)]
pub struct ColumnProfile {
    pub name: String,
    pub dtype: DataType,
    pub rows: usize,
    pub nulls: usize,
    /// Distinct non-missing values; for numbers counted up to [`NUMERIC_DISTINCT_CAP`] + 1 only
    /// (see `distinct_capped`).
    pub distinct: usize,
    /// For numbers: there are more than [`NUMERIC_DISTINCT_CAP`] distinct values (`distinct` is
    /// then that cap + 1, not the count).
    pub distinct_capped: bool,
    /// For numbers: smallest and largest value.
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// For numbers: all values are whole.
    pub integral: bool,
}

impl ColumnProfile {
    pub fn of(column: &Column) -> Self {
        let series = column.as_materialized_series();
        let rows = series.len();
        let nulls = series.null_count();
        let (mut min, mut max, mut integral) = (None, None, false);
        let mut numeric_distinct = None;
        if series.dtype().is_primitive_numeric()
            && let Ok(floats) = series.cast(&DataType::Float64)
            && let Ok(ca) = floats.f64()
        {
            min = ca.min();
            max = ca.max();
            integral = series.dtype().is_integer() || ca.iter().flatten().all(|v| v.fract() == 0.0);
            // No rule reads more than "a few dozen" or "over a thousand" of a number column's
            // distinct values, so counting stops there: a continuous column of ten million
            // rows costs a thousand hash inserts, not ten million.
            let mut seen = std::collections::HashSet::new();
            for v in ca.iter().flatten() {
                let v = if v == 0.0 { 0.0 } else { v };
                seen.insert(v.to_bits());
                if seen.len() > NUMERIC_DISTINCT_CAP {
                    break;
                }
            }
            numeric_distinct = Some(seen.len());
        }
        let distinct = numeric_distinct.unwrap_or_else(|| {
            series
                .drop_nulls()
                .n_unique()
                .unwrap_or(rows.saturating_sub(nulls))
        });
        let distinct_capped = distinct > NUMERIC_DISTINCT_CAP && numeric_distinct.is_some();
        Self {
            name: series.name().to_string(),
            dtype: series.dtype().clone(),
            rows,
            nulls,
            distinct,
            distinct_capped,
            min,
            max,
            integral,
        }
    }

    pub fn kind(&self) -> ValueKind {
        match &self.dtype {
            d if d.is_primitive_numeric() => ValueKind::Numeric,
            DataType::Decimal(_, _) => ValueKind::Numeric,
            DataType::String | DataType::Boolean | DataType::Categorical(_, _) => {
                ValueKind::Categorical
            }
            DataType::Enum(_, _) => ValueKind::Categorical,
            DataType::Datetime(_, _) | DataType::Date => ValueKind::Datetime,
            _ => ValueKind::Other,
        }
    }

    fn non_null(&self) -> usize {
        self.rows - self.nulls
    }

    /// "text, 6 distinct values" / "numbers (f64), 812 distinct values, 0.00–1.00".
    fn describe(&self) -> String {
        let what = match &self.dtype {
            DataType::String => "text".to_owned(),
            DataType::Boolean => "true/false".to_owned(),
            DataType::Categorical(_, _) | DataType::Enum(_, _) => "categories".to_owned(),
            d if d.is_integer() => "whole numbers".to_owned(),
            d if d.is_primitive_numeric() || matches!(d, DataType::Decimal(_, _)) => {
                "numbers".to_owned()
            }
            d => d.to_string(),
        };
        let values = if self.distinct_capped {
            format!(
                "over {} distinct values",
                group_thousands(NUMERIC_DISTINCT_CAP)
            )
        } else {
            plural(self.distinct, "distinct value")
        };
        let nulls = if self.nulls > 0 {
            format!(", {} missing", percent(self.nulls, self.rows))
        } else {
            String::new()
        };
        format!("{what}, {values}{nulls}")
    }
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{} {noun}s", group_thousands(n))
    }
}

pub use crate::format::group_thousands;

fn percent(part: usize, whole: usize) -> String {
    if whole == 0 {
        return "0 %".to_owned();
    }
    let p = part as f64 / whole as f64 * 100.0;
    if p < 0.1 && part > 0 {
        "<0.1 %".to_owned()
    } else {
        format!("{p:.1} %")
    }
}

/// Distinct values of a number column are counted up to this many (and one more).
pub const NUMERIC_DISTINCT_CAP: usize = 1_000;

/// Most distinct values a text column may have to be a segment.
pub const MAX_SEGMENT_VALUES: usize = 50;
/// Most distinct values a text column may have to be compared as categories.
pub const MAX_CATEGORY_VALUES: usize = 1000;

/// Lower-case name split into words on `_`, `-`, `.`, spaces and camelCase.
fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn joined(name: &str) -> String {
    words(name).join("_")
}

fn is_id_name(name: &str) -> bool {
    let w = words(name);
    let last = w.last().map(String::as_str);
    matches!(last, Some("id" | "uuid" | "guid" | "key"))
        || matches!(joined(name).as_str(), "request" | "trace" | "span")
}

fn is_model_version_name(name: &str) -> bool {
    let w = words(name);
    let j = w.join("_");
    matches!(
        j.as_str(),
        "model_version"
            | "model"
            | "version"
            | "model_ver"
            | "modelversion"
            | "model_name"
            | "model_id"
            | "model_tag"
            | "deployment"
            | "model_release"
    ) || (w.iter().any(|x| x == "model") && w.iter().any(|x| x == "version" || x == "ver"))
}

fn is_prediction_name(name: &str) -> bool {
    matches!(
        joined(name).as_str(),
        "prediction"
            | "predictions"
            | "predicted"
            | "pred"
            | "y_pred"
            | "ypred"
            | "yhat"
            | "y_hat"
            | "predicted_label"
            | "predicted_class"
            | "prediction_label"
            | "predicted_value"
            | "output"
            | "decision"
            | "model_output"
            | "prediction_value"
    )
}

fn is_score_name(name: &str) -> bool {
    let j = joined(name);
    matches!(
        j.as_str(),
        "score"
            | "scores"
            | "probability"
            | "proba"
            | "prob"
            | "confidence"
            | "y_score"
            | "y_prob"
            | "y_proba"
            | "prediction_score"
            | "prediction_probability"
            | "predicted_probability"
            | "model_score"
    ) || (j.ends_with("_score") && !j.starts_with("credit"))
}

/// `proba_fraud`, `prob_1`, `probability_cat`, `p_1`, `fraud_proba` → the class name.
fn class_probability_name(name: &str) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    for prefix in ["probability_", "proba_", "prob_", "p_", "score_"] {
        if let Some(class) = lower.strip_prefix(prefix) {
            let start = name.len() - class.len();
            return (!class.is_empty()).then(|| name[start..].to_owned());
        }
    }
    for suffix in ["_probability", "_proba", "_prob"] {
        if let Some(class) = lower.strip_suffix(suffix) {
            return (!class.is_empty()).then(|| name[..class.len()].to_owned());
        }
    }
    None
}

fn is_label_name(name: &str) -> bool {
    matches!(
        joined(name).as_str(),
        "label"
            | "labels"
            | "target"
            | "y"
            | "y_true"
            | "ytrue"
            | "ground_truth"
            | "groundtruth"
            | "actual"
            | "actuals"
            | "truth"
            | "true_label"
            | "true_value"
            | "observed"
            | "outcome"
            | "gt"
    )
}

fn is_latency_name(name: &str) -> bool {
    let w = words(name);
    let j = w.join("_");
    w.iter().any(|x| x == "latency" || x == "latencies")
        || matches!(
            j.as_str(),
            "duration_ms"
                | "duration"
                | "elapsed_ms"
                | "elapsed"
                | "response_time"
                | "response_time_ms"
                | "inference_ms"
                | "inference_time_ms"
                | "response_ms"
                | "processing_time_ms"
                | "processing_ms"
                | "took_ms"
                | "rtt_ms"
        )
}

const SEGMENT_WORDS: &[&str] = &[
    "region",
    "country",
    "state",
    "city",
    "province",
    "continent",
    "geo",
    "zone",
    "market",
    "locale",
    "language",
    "lang",
    "device",
    "platform",
    "os",
    "browser",
    "channel",
    "segment",
    "cohort",
    "tier",
    "plan",
    "store",
    "site",
    "source",
    "client",
    "tenant",
    "carrier",
    "network",
    "bucket",
    "experiment",
    "variant",
    "arm",
    "app",
    "shard",
    "datacenter",
    "dc",
    "cluster",
];

fn is_segment_name(name: &str) -> bool {
    words(name)
        .iter()
        .any(|w| SEGMENT_WORDS.contains(&w.as_str()))
}

/// Infers a role for one column from its profile. `timestamp_taken` is set once a column has
/// been chosen as the timestamp, so a second time column is not also one.
fn infer_one(p: &ColumnProfile, timestamp_taken: Option<&str>) -> (Role, String, Option<String>) {
    let name = &p.name;
    let kind = p.kind();
    let described = p.describe();
    let numeric = kind == ValueKind::Numeric;
    if p.non_null() == 0 {
        return (Role::Ignored, "every value is missing".to_owned(), None);
    }
    if kind == ValueKind::Datetime {
        return match timestamp_taken {
            None => (Role::Timestamp, "date/time values".to_owned(), None),
            Some(ts) => (
                Role::Ignored,
                format!("date/time values; `{ts}` is the timestamp"),
                None,
            ),
        };
    }
    if kind == ValueKind::Other {
        return (
            Role::Ignored,
            format!("{} values, which no statistic compares", p.dtype),
            None,
        );
    }
    if is_model_version_name(name) && p.distinct <= MAX_SEGMENT_VALUES {
        return (
            Role::ModelVersion,
            format!("named like a model version; {described}"),
            None,
        );
    }
    if is_id_name(name) && !matches!(p.dtype, DataType::Float32 | DataType::Float64) {
        return (
            Role::Id,
            format!("named like an identifier; {described}"),
            None,
        );
    }
    if is_prediction_name(name) {
        return (
            Role::Prediction,
            format!("named like a prediction; {described}"),
            None,
        );
    }
    if numeric && is_score_name(name) {
        return (
            Role::Score,
            format!("named like a score; {described}"),
            None,
        );
    }
    if numeric
        && p.min.is_some_and(|m| m >= 0.0)
        && p.max.is_some_and(|m| m <= 1.0)
        && let Some(class) = class_probability_name(name)
    {
        return (
            Role::ClassProbability,
            format!("named like the probability of class '{class}'; {described}"),
            Some(class),
        );
    }
    if is_label_name(name) {
        return (
            Role::Label,
            format!("named like a ground-truth label; {described}"),
            None,
        );
    }
    if numeric && is_latency_name(name) {
        return (
            Role::Latency,
            format!("named like a latency; {described}"),
            None,
        );
    }
    if kind == ValueKind::Categorical {
        let nearly_unique = p.non_null() >= 20 && p.distinct * 10 >= p.non_null() * 9;
        if nearly_unique && p.dtype == DataType::String {
            return (
                Role::Id,
                format!("{described} — nearly one per row, so an identifier"),
                None,
            );
        }
        if p.distinct > MAX_CATEGORY_VALUES {
            return (
                Role::Ignored,
                format!(
                    "{described} — too many to compare as categories (more than {MAX_CATEGORY_VALUES}); set its role to feature to compare it anyway"
                ),
                None,
            );
        }
        if (2..=MAX_SEGMENT_VALUES).contains(&p.distinct) && is_segment_name(name) {
            return (Role::Segment, described, None);
        }
        return (
            Role::Feature,
            format!("categorical feature — {described}"),
            None,
        );
    }
    let constant = if p.distinct == 1 { " (constant)" } else { "" };
    (
        Role::Feature,
        format!("numeric feature — {described}{constant}"),
        None,
    )
}

/// Role overrides, by column name, with where they came from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RoleOverrides {
    pub roles: BTreeMap<String, Role>,
}

impl RoleOverrides {
    /// Parses `col=role` as given to `--role`.
    pub fn parse_assignment(text: &str) -> Result<(String, Role), String> {
        let (column, role) = text
            .rsplit_once('=')
            .ok_or_else(|| format!("'{text}' is not COLUMN=ROLE (e.g. region=segment)"))?;
        if column.is_empty() {
            return Err(format!("'{text}': the column name is empty"));
        }
        Ok((column.to_owned(), role.parse()?))
    }

    pub fn set(&mut self, column: impl Into<String>, role: Role) {
        self.roles.insert(column.into(), role);
    }
}

/// The roles of every column of a baseline and a log.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RoleSet {
    /// Log columns first, in file order, then columns only in the baseline.
    pub columns: Vec<ColumnRole>,
}

impl RoleSet {
    pub fn get(&self, column: &str) -> Option<&ColumnRole> {
        self.columns.iter().find(|c| c.column == column)
    }

    pub fn role_of(&self, column: &str) -> Option<Role> {
        self.get(column).map(|c| c.role)
    }

    /// The columns with a role, in order.
    pub fn with_role(&self, role: Role) -> Vec<&str> {
        self.columns
            .iter()
            .filter(|c| c.role == role)
            .map(|c| c.column.as_str())
            .collect()
    }

    /// `column → role` as the JSON contract has it, sorted by column.
    pub fn as_map(&self) -> BTreeMap<String, Role> {
        self.columns
            .iter()
            .map(|c| (c.column.clone(), c.role))
            .collect()
    }
}

/// Profiles every column of a frame, in parallel.
pub fn profile_frame(frame: &DataFrame) -> Vec<ColumnProfile> {
    profile_frame_with(frame, &|| {})
}

/// [`profile_frame`], calling `done()` after each column.
pub fn profile_frame_with(frame: &DataFrame, done: &(dyn Fn() + Sync)) -> Vec<ColumnProfile> {
    frame
        .columns()
        .par_iter()
        .map(|c| {
            let p = ColumnProfile::of(c);
            done();
            p
        })
        .collect()
}

/// Infers roles for the columns of a log and a baseline. A column present in both is judged on the
/// log (it has the production values); a column only in the baseline on the baseline.
pub fn infer_roles(current: &[ColumnProfile], baseline: &[ColumnProfile]) -> RoleSet {
    let mut columns = Vec::new();
    let mut timestamp: Option<String> = None;
    // The best-named time column wins the timestamp role, whatever its position.
    let time_columns: Vec<&ColumnProfile> = current
        .iter()
        .filter(|p| p.kind() == ValueKind::Datetime && p.non_null() > 0)
        .collect();
    if let Some(best) = time_columns
        .iter()
        .find(|p| {
            super::timestamps::is_time_name(&p.name)
                && !p.name.to_ascii_lowercase().contains("label")
        })
        .or_else(|| time_columns.first())
    {
        timestamp = Some(best.name.clone());
    }
    let baseline_only = baseline
        .iter()
        .filter(|b| !current.iter().any(|c| c.name == b.name));
    for p in current.iter().chain(baseline_only) {
        let taken = timestamp.as_deref().filter(|t| *t != p.name);
        let (role, reason, class) = infer_one(p, taken);
        columns.push(ColumnRole {
            column: p.name.clone(),
            role,
            kind: p.kind(),
            dtype: p.dtype.to_string(),
            reason,
            source: RoleSource::Inferred,
            class,
        });
    }
    RoleSet { columns }
}

/// Applies overrides; an override naming a column that exists nowhere is an error that suggests
/// the closest name.
pub fn apply_overrides(
    roles: &mut RoleSet,
    overrides: &RoleOverrides,
    source: &str,
) -> Result<(), DataError> {
    for (column, &role) in &overrides.roles {
        let Some(entry) = roles.columns.iter_mut().find(|c| &c.column == column) else {
            let names: Vec<&str> = roles.columns.iter().map(|c| c.column.as_str()).collect();
            return Err(DataError::UnknownColumn {
                column: column.clone(),
                place: "the baseline or the log".to_owned(),
                suggestion: closest(column, &names),
            });
        };
        if entry.role == role && entry.source == RoleSource::Inferred {
            continue;
        }
        if role == Role::Timestamp && entry.kind != ValueKind::Datetime {
            return Err(DataError::Column {
                column: column.clone(),
                message: format!(
                    "cannot be the timestamp: it holds {} values that did not read as times",
                    entry.dtype
                ),
            });
        }
        entry.role = role;
        entry.reason = format!("set {source}");
        entry.source = RoleSource::Override(source.to_owned());
        if role == Role::ClassProbability && entry.class.is_none() {
            entry.class = Some(class_probability_name(column).unwrap_or_else(|| column.clone()));
        }
    }
    // One timestamp: a timestamp set by hand demotes an inferred one.
    let chosen: Vec<usize> = roles
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.role == Role::Timestamp && matches!(c.source, RoleSource::Override(_)))
        .map(|(i, _)| i)
        .collect();
    if let Some(&keep) = chosen.first() {
        let kept = roles.columns[keep].column.clone();
        for (i, c) in roles.columns.iter_mut().enumerate() {
            if i != keep && c.role == Role::Timestamp {
                c.role = Role::Ignored;
                c.reason = format!("date/time values; `{kept}` is the timestamp");
            }
        }
    }
    Ok(())
}

/// The name closest to `wanted` by edit distance, when close enough to be a typo.
pub fn closest(wanted: &str, names: &[&str]) -> Option<String> {
    names
        .iter()
        .map(|n| {
            (
                strsim::levenshtein(&wanted.to_lowercase(), &n.to_lowercase()),
                *n,
            )
        })
        .filter(|(d, n)| *d <= 2.max(n.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(name: &str, column: Column) -> ColumnProfile {
        ColumnProfile::of(&column.with_name(name.into()))
    }

    fn role_of(name: &str, column: Column) -> (Role, String) {
        let p = profile(name, column);
        let set = infer_roles(&[p], &[]);
        (set.columns[0].role, set.columns[0].reason.clone())
    }

    #[test]
    fn names_split_into_words() {
        assert_eq!(words("modelVersion"), ["model", "version"]);
        assert_eq!(words("latency-ms"), ["latency", "ms"]);
        assert_eq!(words("Request.ID"), ["request", "id"]);
    }

    #[test]
    fn region_is_a_segment_with_a_readable_reason() {
        let regions: Vec<&str> = ["FL", "NY", "CA", "TX", "WA", "OR"]
            .iter()
            .cycle()
            .take(60)
            .copied()
            .collect();
        let (role, reason) = role_of("region", Column::new("x".into(), regions));
        assert_eq!(role, Role::Segment);
        assert_eq!(reason, "text, 6 distinct values");
    }

    #[test]
    fn text_that_is_not_segment_named_is_a_categorical_feature() {
        let merchants: Vec<&str> = ["grocery", "fuel", "travel"]
            .iter()
            .cycle()
            .take(30)
            .copied()
            .collect();
        let (role, reason) = role_of("merchant_category", Column::new("x".into(), merchants));
        assert_eq!(role, Role::Feature);
        assert!(reason.starts_with("categorical feature"), "{reason}");
    }

    #[test]
    fn unique_text_is_an_id_even_without_an_id_name() {
        let ids: Vec<String> = (0..100).map(|i| format!("tok{i:04}")).collect();
        assert_eq!(role_of("token", Column::new("x".into(), ids)).0, Role::Id);
    }

    #[test]
    fn output_columns_are_recognised_by_name() {
        let ints = || Column::new("x".into(), &[0i64, 1, 0, 1]);
        let floats = || Column::new("x".into(), &[0.1f64, 0.9, 0.2, 0.7]);
        assert_eq!(role_of("prediction", ints()).0, Role::Prediction);
        assert_eq!(role_of("y_pred", ints()).0, Role::Prediction);
        assert_eq!(role_of("score", floats()).0, Role::Score);
        assert_eq!(role_of("label", ints()).0, Role::Label);
        assert_eq!(role_of("latency_ms", floats()).0, Role::Latency);
        assert_eq!(
            role_of("modelVersion", Column::new("x".into(), &["v1", "v2"])).0,
            Role::ModelVersion
        );
        assert_eq!(
            role_of("request_id", Column::new("x".into(), &["a", "b"])).0,
            Role::Id
        );
        let set = infer_roles(&[profile("proba_fraud", floats())], &[]);
        assert_eq!(set.columns[0].role, Role::ClassProbability);
        assert_eq!(set.columns[0].class.as_deref(), Some("fraud"));
        // A float named like an id is a measurement, not an identifier.
        assert_eq!(role_of("sensor_id", floats()).0, Role::Feature);
        // A "proba_" column outside [0, 1] is no probability.
        assert_eq!(
            role_of("proba_x", Column::new("x".into(), &[3.0f64, 5.0])).0,
            Role::Feature
        );
    }

    #[test]
    fn distinct_numbers_are_counted_only_as_far_as_a_rule_reads() {
        let many: Vec<f64> = (0..50_000).map(|i| i as f64 * 0.37).collect();
        let p = profile("amount", Column::new("x".into(), &many));
        assert!(p.distinct_capped);
        let (role, reason) = role_of("amount", Column::new("x".into(), &many));
        assert_eq!(role, Role::Feature);
        assert_eq!(
            reason,
            "numeric feature — numbers, over 1,000 distinct values"
        );
        // Up to the cap the count is exact, so a model version with few values is still one.
        let few: Vec<i64> = (0..5000).map(|i| i % 1000).collect();
        let p = profile("x", Column::new("x".into(), &few));
        assert_eq!((p.distinct, p.distinct_capped), (1000, false));
        let versions: Vec<i64> = (0..5000).map(|i| 3 + i % 2).collect();
        assert_eq!(
            role_of("model_version", Column::new("x".into(), &versions)).0,
            Role::ModelVersion
        );
    }

    #[test]
    fn numbers_are_numeric_features_and_empty_columns_are_ignored() {
        let (role, reason) = role_of("amount", Column::new("x".into(), &[1.5f64, 2.5, 3.5]));
        assert_eq!(role, Role::Feature);
        assert_eq!(reason, "numeric feature — numbers, 3 distinct values");
        let nulls = Series::full_null("x".into(), 4, &DataType::Float64).into_column();
        assert_eq!(role_of("amount", nulls).0, Role::Ignored);
        let (role, reason) = role_of("flag", Column::new("x".into(), &[7i64, 7, 7]));
        assert_eq!(role, Role::Feature);
        assert!(reason.ends_with("(constant)"), "{reason}");
    }

    #[test]
    fn missing_values_are_counted_in_the_reason() {
        let (_, reason) = role_of(
            "age",
            Column::new("x".into(), &[Some(1i64), None, Some(3), None]),
        );
        assert_eq!(
            reason,
            "numeric feature — whole numbers, 2 distinct values, 50.0 % missing"
        );
    }

    #[test]
    fn overrides_apply_and_unknown_columns_suggest_a_name() {
        let mut set = infer_roles(
            &[
                profile(
                    "merchant_category",
                    Column::new("x".into(), &["a", "b", "a"]),
                ),
                profile("amount", Column::new("x".into(), &[1.0f64, 2.0, 3.0])),
            ],
            &[],
        );
        let mut overrides = RoleOverrides::default();
        overrides.set("merchant_category", Role::Segment);
        apply_overrides(&mut set, &overrides, "by --role").unwrap();
        let c = set.get("merchant_category").unwrap();
        assert_eq!(c.role, Role::Segment);
        assert_eq!(c.reason, "set by --role");
        assert_eq!(c.source, RoleSource::Override("by --role".into()));

        let mut typo = RoleOverrides::default();
        typo.set("ammount", Role::Ignored);
        let err = apply_overrides(&mut set, &typo, "by --role").unwrap_err();
        assert_eq!(
            err.to_string(),
            "no column `ammount` in the baseline or the log (did you mean `amount`?)"
        );

        let mut bad_ts = RoleOverrides::default();
        bad_ts.set("amount", Role::Timestamp);
        assert!(apply_overrides(&mut set, &bad_ts, "by --role").is_err());
    }

    #[test]
    fn role_assignments_parse_with_aliases_and_clear_errors() {
        assert_eq!(
            RoleOverrides::parse_assignment("region=segment").unwrap(),
            ("region".to_owned(), Role::Segment)
        );
        assert_eq!(
            RoleOverrides::parse_assignment("a=b=model-version").unwrap(),
            ("a=b".to_owned(), Role::ModelVersion)
        );
        let err = RoleOverrides::parse_assignment("region=segmnt").unwrap_err();
        assert!(
            err.contains("unknown role 'segmnt'") && err.contains("segment"),
            "{err}"
        );
        assert!(RoleOverrides::parse_assignment("region").is_err());
    }
}
