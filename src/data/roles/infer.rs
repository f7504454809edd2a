//! Roles inferred from the profiles: one column at a time (`infer_one`), and the whole table
//! with the timestamp chosen once (`infer_roles`).

use super::*;

/// Infers a role for one column from its profile. `timestamp_taken` is set once a column has
/// been chosen as the timestamp, so a second time column is not also one.
pub(super) fn infer_one(
    p: &ColumnProfile,
    timestamp_taken: Option<&str>,
) -> (Role, String, Option<String>) {
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
            crate::data::timestamps::is_time_name(&p.name)
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
