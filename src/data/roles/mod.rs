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

mod infer;
mod names;
mod profile;
pub use infer::infer_roles;
use names::*;
pub use profile::{ColumnProfile, profile_frame, profile_frame_with};

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

pub use crate::format::group_thousands;

/// Distinct values of a number column are counted up to this many (and one more).
pub const NUMERIC_DISTINCT_CAP: usize = 1_000;

/// Most distinct values a text column may have to be a segment.
pub const MAX_SEGMENT_VALUES: usize = 50;
/// Most distinct values a text column may have to be compared as categories.
pub const MAX_CATEGORY_VALUES: usize = 1000;

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
