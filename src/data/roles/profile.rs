//! What role inference reads of a column: its profile (kind, missing values, distinct values
//! counted up to a cap, range), computed for every column of a frame in parallel.

use super::*;

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

    pub(super) fn non_null(&self) -> usize {
        self.rows - self.nulls
    }

    /// "text, 6 distinct values" / "numbers (f64), 812 distinct values, 0.00–1.00".
    pub(super) fn describe(&self) -> String {
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

pub(super) fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{} {noun}s", group_thousands(n))
    }
}

pub(super) fn percent(part: usize, whole: usize) -> String {
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
