//! Schema diff between a baseline and a log: columns only on one side and type changes. A
//! serving-side schema change (a column renamed, a number logged as text) is often the incident
//! itself, so it is shown, not papered over.

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::error::DataError;
use super::load::Table;

/// A column whose type differs between baseline and log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TypeChange {
    pub column: String,
    pub baseline: String,
    pub current: String,
    /// Both sides are numbers (e.g. integers in training, floats in the log): values still
    /// compare, but the change may mean the pipeline changed.
    pub compatible: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SchemaDiff {
    /// Columns present on both sides, in log order.
    pub common: Vec<String>,
    pub only_baseline: Vec<String>,
    pub only_current: Vec<String>,
    pub type_changes: Vec<TypeChange>,
}

impl SchemaDiff {
    pub fn is_clean(&self) -> bool {
        self.only_baseline.is_empty()
            && self.only_current.is_empty()
            && self.type_changes.is_empty()
    }
}

fn both_numeric(a: &DataType, b: &DataType) -> bool {
    let numeric = |d: &DataType| d.is_primitive_numeric() || matches!(d, DataType::Decimal(_, _));
    numeric(a) && numeric(b)
}

/// Compares the columns of a baseline and a log; two files with no column in common are an error,
/// because nothing could be compared.
pub fn diff_schemas(baseline: &Table, current: &Table) -> Result<SchemaDiff, DataError> {
    let b = baseline.frame.schema();
    let c = current.frame.schema();
    let mut diff = SchemaDiff::default();
    for (name, c_dtype) in c.iter() {
        match b.get(name) {
            Some(b_dtype) => {
                diff.common.push(name.to_string());
                if b_dtype != c_dtype {
                    diff.type_changes.push(TypeChange {
                        column: name.to_string(),
                        baseline: b_dtype.to_string(),
                        current: c_dtype.to_string(),
                        compatible: both_numeric(b_dtype, c_dtype),
                    });
                }
            }
            None => diff.only_current.push(name.to_string()),
        }
    }
    diff.only_baseline = b
        .iter_names()
        .filter(|n| c.get(n.as_str()).is_none())
        .map(|n| n.to_string())
        .collect();
    if diff.common.is_empty() {
        let list = |t: &Table| {
            let names = t.column_names();
            let shown: Vec<&str> = names.iter().take(12).map(String::as_str).collect();
            let more = names.len().saturating_sub(shown.len());
            if more > 0 {
                format!("{}, ... ({more} more)", shown.join(", "))
            } else {
                shown.join(", ")
            }
        };
        return Err(DataError::NoCommonColumns {
            baseline: baseline.path.clone(),
            current: current.path.clone(),
            baseline_columns: list(baseline),
            current_columns: list(current),
        });
    }
    Ok(diff)
}
