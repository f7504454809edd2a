//! Slices: any set of rows of the baseline or the log picked by predicates (segment values, a
//! time range, a numeric range), and the analyses the GUI runs on them — every column's drift of
//! slice A against slice B, the segment × feature heatmap within a slice, and one column over time
//! within a slice, per segment value. All reuse the [`Workspace`] prepared for the report, so a
//! new slice costs only its own rows.

use std::collections::BTreeSet;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::columns;
use super::drift::{self, ColumnDrift};
use super::profiles;
use super::windows::{self, Window, WindowSpec};
use super::workspace::{GroupCache, PreparedRef, Reference, Side, Workspace, no_column, table};
use crate::data::timestamps::format_micros;
use crate::data::{Inputs, Role};
use crate::jobs::JobState;
use crate::stats::profile::{Grid, NumericProfile};

mod comparison;
mod heat;
mod over_time;

pub use comparison::*;
pub use heat::*;
pub use over_time::*;

/// One condition on a row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Predicate {
    /// The column's value (as text, the way segments are listed) is one of these.
    OneOf { column: String, values: Vec<String> },
    /// The timestamp falls in `[start, end)` (microseconds since the epoch, UTC).
    Time { start_micros: i64, end_micros: i64 },
    /// The numeric column lies in `[min, max]`; an open end is unbounded. Missing values are out.
    Range {
        column: String,
        min: Option<f64>,
        max: Option<f64>,
    },
}

impl Predicate {
    /// The column this predicate constrains (`None` for time, which constrains the timestamp).
    pub fn column(&self) -> Option<&str> {
        match self {
            Predicate::OneOf { column, .. } | Predicate::Range { column, .. } => Some(column),
            Predicate::Time { .. } => None,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Predicate::OneOf { column, values } if values.len() == 1 => {
                format!("{column} = {}", values[0])
            }
            Predicate::OneOf { column, values } => format!("{column} in {{{}}}", values.join(", ")),
            Predicate::Time {
                start_micros,
                end_micros,
            } => format!(
                "time from {} to {}",
                format_micros(*start_micros),
                format_micros(*end_micros)
            ),
            Predicate::Range { column, min, max } => {
                // An upper end just below a shorter number (a range open at it, as a discovered
                // one is) reads as that number, open: the same values.
                let open = max
                    .map(f64::next_up)
                    .filter(|up| max.is_some_and(|m| format!("{up}").len() < format!("{m}").len()));
                match (min, max, open) {
                    (Some(lo), _, Some(up)) => format!("{column} in [{lo}, {up})"),
                    (None, _, Some(up)) => format!("{column} < {up}"),
                    (Some(lo), Some(hi), None) => format!("{column} in [{lo}, {hi}]"),
                    (Some(lo), None, None) => format!("{column} >= {lo}"),
                    (None, Some(hi), None) => format!("{column} <= {hi}"),
                    (None, None, _) => format!("{column} present"),
                }
            }
        }
    }

    /// Two predicates on the same thing: a new one replaces the old.
    fn same_target(&self, other: &Predicate) -> bool {
        match (self, other) {
            (Predicate::Time { .. }, Predicate::Time { .. }) => true,
            (Predicate::OneOf { column: a, .. }, Predicate::OneOf { column: b, .. })
            | (Predicate::Range { column: a, .. }, Predicate::Range { column: b, .. }) => a == b,
            _ => false,
        }
    }
}

/// A slice: the rows of one side that meet every predicate (all rows without predicates).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SliceDef {
    pub side: Side,
    pub predicates: Vec<Predicate>,
}

impl SliceDef {
    pub fn whole(side: Side) -> Self {
        Self {
            side,
            predicates: Vec::new(),
        }
    }

    pub fn is_whole(&self) -> bool {
        self.predicates.is_empty()
    }

    /// This slice with `p` added, replacing a predicate on the same column (or time).
    pub fn with(mut self, p: Predicate) -> Self {
        self.predicates.retain(|q| !q.same_target(&p));
        self.predicates.push(p);
        self
    }

    /// This slice without its time predicate.
    pub fn without_time(&self) -> Self {
        Self {
            side: self.side,
            predicates: self
                .predicates
                .iter()
                .filter(|p| !matches!(p, Predicate::Time { .. }))
                .cloned()
                .collect(),
        }
    }

    pub fn time(&self) -> Option<(i64, i64)> {
        self.predicates.iter().find_map(|p| match p {
            Predicate::Time {
                start_micros,
                end_micros,
            } => Some((*start_micros, *end_micros)),
            _ => None,
        })
    }

    /// "log where region = us-west and time from … to …", or "whole log".
    pub fn describe(&self) -> String {
        if self.predicates.is_empty() {
            return format!("whole {}", self.side.as_str());
        }
        let parts: Vec<String> = self.predicates.iter().map(Predicate::describe).collect();
        format!("{} where {}", self.side.as_str(), parts.join(" and "))
    }
}

/// The rows of a slice, ascending; `None` means every row (no predicate), so that callers can
/// use the prepared whole-side data as is.
pub fn slice_rows(inputs: &Inputs, slice: &SliceDef) -> Result<Option<Vec<usize>>, String> {
    slice_rows_cached(inputs, slice, &GroupCache::default())
}

/// [`slice_rows`] with the row groups of a workspace.
pub fn slice_rows_cached(
    inputs: &Inputs,
    slice: &SliceDef,
    cache: &GroupCache,
) -> Result<Option<Vec<usize>>, String> {
    if slice.predicates.is_empty() {
        return Ok(None);
    }
    let t = table(inputs, slice.side);
    let mut keep = vec![true; t.rows()];
    for p in &slice.predicates {
        match p {
            Predicate::OneOf { column, values } => {
                let groups = cache.get(inputs, slice.side, column)?;
                let wanted: BTreeSet<u32> =
                    values.iter().filter_map(|v| groups.index_of(v)).collect();
                for (k, g) in keep.iter_mut().zip(groups.row_group.iter()) {
                    *k = *k && g.is_some_and(|g| wanted.contains(&g));
                }
            }
            Predicate::Range { column, min, max } => {
                let Ok(c) = t.frame.column(column) else {
                    return Err(no_column(inputs, slice.side, column));
                };
                let not_numeric = || format!("`{column}` is not numeric: a range needs numbers");
                if !c.dtype().is_primitive_numeric() {
                    return Err(not_numeric());
                }
                let values =
                    columns::numeric_values(&t.frame, column).map_err(|_| not_numeric())?;
                for (k, v) in keep.iter_mut().zip(&values) {
                    *k = *k
                        && v.is_some_and(|v| {
                            min.is_none_or(|lo| v >= lo) && max.is_none_or(|hi| v <= hi)
                        });
                }
            }
            Predicate::Time {
                start_micros,
                end_micros,
            } => {
                let ts = inputs
                    .roles
                    .with_role(Role::Timestamp)
                    .first()
                    .map(|s| (*s).to_owned())
                    .filter(|ts| t.frame.column(ts).is_ok())
                    .ok_or_else(|| {
                        format!(
                            "the {} has no timestamp column, so it cannot be cut by time (give a column the timestamp role)",
                            slice.side.as_str()
                        )
                    })?;
                let micros =
                    columns::numeric_values(&t.frame, &ts).map_err(|e| format!("`{ts}`: {e}"))?;
                let (lo, hi) = (*start_micros as f64, *end_micros as f64);
                for (k, m) in keep.iter_mut().zip(&micros) {
                    *k = *k && m.is_some_and(|m| m >= lo && m < hi);
                }
            }
        }
    }
    Ok(Some(
        keep.iter()
            .enumerate()
            .filter_map(|(i, k)| k.then_some(i))
            .collect(),
    ))
}

/// The log's cell tuples inside a slice, when the slice is a union of cells: its conditions are
/// all on segment columns the cells are cut by (a time condition is left to the caller).
/// `None` otherwise.
pub(crate) fn tuples_of(index: &profiles::CellIndex, slice: &SliceDef) -> Option<Vec<bool>> {
    let mut keep = vec![true; index.tuples.len()];
    for p in &slice.predicates {
        match p {
            Predicate::OneOf { column, values } => {
                let inside = index.tuples_where(column, values)?;
                for (k, i) in keep.iter_mut().zip(inside) {
                    *k = *k && i;
                }
            }
            Predicate::Time { .. } => {}
            Predicate::Range { .. } => return None,
        }
    }
    Some(keep)
}

/// Which of the log's time slots (windows, then the rows outside every window) a slice's time
/// condition keeps; `None` when it cuts through a window (then the rows decide).
pub(super) fn slots_of(
    cells: &crate::analysis::workspace::Cells,
    slice: &SliceDef,
) -> Option<Vec<bool>> {
    let slots = cells.log.index.slots;
    let Some((t0, t1)) = slice.time() else {
        return Some(vec![true; slots]);
    };
    let windows = &cells.windows.as_ref()?.windows;
    let mut keep = vec![false; slots];
    for (k, w) in keep.iter_mut().zip(windows) {
        let (start, end) = (w.start_micros?, w.end_micros?);
        if start >= t0 && end <= t1 {
            *k = true;
        } else if start < t1 && end > t0 && w.rows > 0 {
            return None;
        }
    }
    Some(keep)
}
