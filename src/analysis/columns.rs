//! Column values out of polars frames, in the two shapes the statistics read: numbers (missing
//! kept as `None`, NaN counted as missing) and labels (categorical values as text labels, coded
//! against a dictionary shared by baseline and current so counting is an array index).

use crate::jobs::CANCEL_EVERY;
use polars::prelude::*;
use polars_buffer::Buffer;

/// A column as 64-bit floats: times as their physical integers, booleans as 0/1.
pub(crate) fn as_floats(frame: &DataFrame, column: &str) -> PolarsResult<Float64Chunked> {
    let series = frame.column(column)?.as_materialized_series();
    let physical = match series.dtype() {
        DataType::Datetime(_, _) | DataType::Date | DataType::Duration(_) => {
            series.to_physical_repr().into_owned()
        }
        DataType::Boolean => series.cast(&DataType::UInt8)?,
        _ => series.clone(),
    };
    Ok(physical.cast(&DataType::Float64)?.f64()?.clone())
}

/// Numeric values of a column, one per row; `None` for missing (null or NaN).
pub fn numeric_values(frame: &DataFrame, column: &str) -> PolarsResult<Vec<Option<f64>>> {
    Ok(numeric_values_until(frame, column, &|| false)?.unwrap_or_default())
}

/// [`numeric_values`], given up (`None`) once `stop()` says so: it is asked every
/// [`CANCEL_EVERY`] rows, so that a cancelled report does not first read ten million more.
pub fn numeric_values_until(
    frame: &DataFrame,
    column: &str,
    stop: &dyn Fn() -> bool,
) -> PolarsResult<Option<Vec<Option<f64>>>> {
    let floats = as_floats(frame, column)?;
    let mut out = Vec::with_capacity(floats.len());
    for (k, v) in floats.iter().enumerate() {
        if k % CANCEL_EVERY == CANCEL_EVERY - 1 && stop() {
            return Ok(None);
        }
        out.push(v.filter(|x| !x.is_nan()));
    }
    Ok(Some(out))
}

/// A numeric column's values, one per row, a missing value (null or NaN) stored as NaN: half the
/// memory of `Vec<Option<f64>>`, which is what the row paths read (`get`, `iter`, `take`). A
/// float column without nulls in one chunk is already that form: its values are shared with the
/// frame (an Arrow buffer, reference-counted), not copied.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Values(Buffer<f64>);

impl Values {
    pub fn from_options(values: &[Option<f64>]) -> Self {
        Self(Buffer::from(
            values
                .iter()
                .map(|v| v.unwrap_or(f64::NAN))
                .collect::<Vec<_>>(),
        ))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Row `i`'s value; `None` when missing (or past the end).
    pub fn get(&self, i: usize) -> Option<f64> {
        self.0.get(i).copied().filter(|v| !v.is_nan())
    }

    pub fn iter(&self) -> impl Iterator<Item = Option<f64>> + '_ {
        self.0.iter().map(|&v| (!v.is_nan()).then_some(v))
    }

    /// The values of some rows.
    pub fn take(&self, rows: &[usize]) -> Vec<Option<f64>> {
        rows.iter().map(|&r| self.get(r)).collect()
    }

    /// Every value.
    pub fn to_options(&self) -> Vec<Option<f64>> {
        self.iter().collect()
    }
}

/// A numeric column as [`Values`], read straight into the NaN-for-missing form.
/// A float column with no nulls in one chunk is shared with the frame, not copied.
pub fn numeric_column(frame: &DataFrame, column: &str) -> PolarsResult<Values> {
    let floats = as_floats(frame, column)?;
    if floats.null_count() == 0
        && floats.chunks().len() == 1
        && let Some(array) = floats.downcast_iter().next()
    {
        return Ok(Values(array.values().clone()));
    }
    Ok(Values(Buffer::from(
        floats
            .iter()
            .map(|v| v.unwrap_or(f64::NAN))
            .collect::<Vec<_>>(),
    )))
}

/// The text label of one value: integers as `1` (not `1.0`), booleans as `True`/`False`, text as
/// itself, whole floats as integers (a label column read as float still says `1`).
pub fn label_of(value: &AnyValue) -> Option<String> {
    match value {
        AnyValue::Null => None,
        AnyValue::Boolean(b) => Some(if *b { "True" } else { "False" }.to_owned()),
        AnyValue::String(s) => Some((*s).to_owned()),
        AnyValue::StringOwned(s) => Some(s.to_string()),
        AnyValue::Float64(f) => float_label(*f),
        AnyValue::Float32(f) => float_label(f64::from(*f)),
        other => {
            let text = other.to_string();
            Some(text.trim_matches('"').to_owned())
        }
    }
}

fn float_label(f: f64) -> Option<String> {
    if f.is_nan() {
        None
    } else if f.fract() == 0.0 && f.abs() < 1e15 {
        Some(format!("{}", f as i64))
    } else {
        Some(f.to_string())
    }
}

/// Categorical values coded against a dictionary: `codes[row]` indexes `Dictionary::labels`.
#[derive(Clone, Debug, Default)]
pub struct Dictionary {
    pub labels: Vec<String>,
    /// polars' hasher (fast; the labels come from our own files, not from an adversary).
    index: PlHashMap<String, u32>,
}

impl Dictionary {
    /// A dictionary that codes these labels first, in this order.
    pub fn from_labels(labels: &[String]) -> Self {
        let mut d = Self::default();
        for l in labels {
            d.code(l);
        }
        d
    }

    pub fn code(&mut self, label: &str) -> u32 {
        if let Some(&c) = self.index.get(label) {
            return c;
        }
        let c = self.labels.len() as u32;
        self.labels.push(label.to_owned());
        self.index.insert(label.to_owned(), c);
        c
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Codes in label order (`order[i]` = the code of the i-th label sorted by text).
    pub fn sorted_codes(&self) -> Vec<u32> {
        let mut codes: Vec<u32> = (0..self.labels.len() as u32).collect();
        codes.sort_by(|&a, &b| self.labels[a as usize].cmp(&self.labels[b as usize]));
        codes
    }
}

/// Small indices, one per row — category codes, a row's window — a missing one stored as
/// [`Codes::MISSING`]: half the memory of `Vec<Option<u32>>` (40 MB for ten million rows, not
/// 80; a `Vec<Option<usize>>` would be 160).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Codes(Vec<u32>);

impl Codes {
    /// The stored form of a missing value (no dictionary reaches this many labels).
    pub const MISSING: u32 = u32::MAX;

    pub fn with_capacity(n: usize) -> Self {
        Self(Vec::with_capacity(n))
    }

    pub fn push(&mut self, code: Option<u32>) {
        self.0.push(code.unwrap_or(Self::MISSING));
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Row `i`'s code; `None` when missing (or past the end).
    pub fn get(&self, i: usize) -> Option<u32> {
        self.0.get(i).copied().filter(|&c| c != Self::MISSING)
    }

    pub fn iter(&self) -> impl Iterator<Item = Option<u32>> + Clone + '_ {
        self.0.iter().map(|&c| (c != Self::MISSING).then_some(c))
    }

    /// Every code renumbered through `f` (missing stays missing).
    pub fn map_in_place(&mut self, mut f: impl FnMut(u32) -> Option<u32>) {
        for c in &mut self.0 {
            if *c != Self::MISSING {
                *c = f(*c).unwrap_or(Self::MISSING);
            }
        }
    }
}

impl FromIterator<Option<u32>> for Codes {
    fn from_iter<I: IntoIterator<Item = Option<u32>>>(iter: I) -> Self {
        Self(
            iter.into_iter()
                .map(|c| c.unwrap_or(Self::MISSING))
                .collect(),
        )
    }
}

/// Codes of a column's values against `dict` (which grows with labels not seen before).
pub fn label_codes(frame: &DataFrame, column: &str, dict: &mut Dictionary) -> PolarsResult<Codes> {
    Ok(label_codes_until(frame, column, dict, &|| false)?.unwrap_or_default())
}

/// [`label_codes`], given up (`None`) once `stop()` says so: it is asked every 65,536 rows, so
/// that a cancelled report does not code ten million more values first.
pub fn label_codes_until(
    frame: &DataFrame,
    column: &str,
    dict: &mut Dictionary,
    stop: &dyn Fn() -> bool,
) -> PolarsResult<Option<Codes>> {
    let series = frame.column(column)?.as_materialized_series();
    let until = |codes: &mut dyn Iterator<Item = Option<u32>>| {
        let mut out = Codes::with_capacity(series.len());
        for (k, c) in codes.enumerate() {
            if k % CANCEL_EVERY == CANCEL_EVERY - 1 && stop() {
                return None;
            }
            out.push(c);
        }
        Some(out)
    };
    Ok(match series.dtype() {
        DataType::String => {
            // Fast path: text needs no conversion.
            let ca = series.str()?;
            until(&mut ca.iter().map(|v| v.map(|s| dict.code(s))))
        }
        DataType::Boolean => {
            let ca = series.bool()?;
            until(
                &mut ca
                    .iter()
                    .map(|v| v.map(|b| dict.code(if b { "True" } else { "False" }))),
            )
        }
        dt if dt.is_integer() => {
            let ints = series.cast(&DataType::Int64)?;
            let mut cache: PlHashMap<i64, u32> = PlHashMap::default();
            until(
                &mut ints.i64()?.iter().map(|v| {
                    v.map(|i| *cache.entry(i).or_insert_with(|| dict.code(&i.to_string())))
                }),
            )
        }
        _ => until(
            &mut series
                .iter()
                .map(|value| label_of(&value).map(|l| dict.code(&l))),
        ),
    })
}

/// Rows of a frame split into groups by the value of a segment column.
#[derive(Clone, Debug, Default)]
pub struct Groups {
    /// The segment values, sorted by label; `(missing)` is not a group.
    pub values: Vec<String>,
    /// For each row, its group index (missing when the segment value is).
    pub row_group: Codes,
}

impl Groups {
    pub fn of(frame: &DataFrame, column: &str) -> PolarsResult<Self> {
        Ok(Self::of_until(frame, column, &|| false)?.unwrap_or_default())
    }

    /// [`Groups::of`], given up (`None`) once `stop()` says so (see [`label_codes_until`]).
    pub fn of_until(
        frame: &DataFrame,
        column: &str,
        stop: &dyn Fn() -> bool,
    ) -> PolarsResult<Option<Self>> {
        let mut dict = Dictionary::default();
        let Some(mut codes) = label_codes_until(frame, column, &mut dict, stop)? else {
            return Ok(None);
        };
        let order = dict.sorted_codes();
        let mut rank = vec![0u32; order.len()];
        for (r, &c) in order.iter().enumerate() {
            rank[c as usize] = r as u32;
        }
        // Renumbered in place, in label order (quick: no cancel check needed).
        codes.map_in_place(|c| rank.get(c as usize).copied());
        if stop() {
            return Ok(None);
        }
        Ok(Some(Self {
            values: order
                .iter()
                .map(|&c| dict.labels[c as usize].clone())
                .collect(),
            row_group: codes,
        }))
    }

    pub fn index_of(&self, value: &str) -> Option<u32> {
        self.values
            .iter()
            .position(|v| v == value)
            .map(|i| i as u32)
    }

    /// The rows of every group, in one pass over the rows (`[g]` = rows of `values[g]`).
    pub fn rows_by_group(&self) -> Vec<Vec<usize>> {
        self.rows_by_group_until(&|| false).unwrap_or_default()
    }

    /// [`Groups::rows_by_group`], given up (`None`) once `stop()` says so (asked every
    /// [`CANCEL_EVERY`] rows).
    pub fn rows_by_group_until(&self, stop: &dyn Fn() -> bool) -> Option<Vec<Vec<usize>>> {
        let mut out = vec![Vec::new(); self.values.len()];
        for (row, g) in self.row_group.iter().enumerate() {
            if row % CANCEL_EVERY == CANCEL_EVERY - 1 && stop() {
                return None;
            }
            if let Some(g) = g {
                out[g as usize].push(row);
            }
        }
        Some(out)
    }
}

/// Picks rows out of a column.
pub fn take<T: Clone>(values: &[T], rows: &[usize]) -> Vec<T> {
    rows.iter().map(|&r| values[r].clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A float column without nulls is the frame's own buffer (no copy of a 10 M-row column);
    /// with nulls, or integers, it is read into a buffer of its own — NaN for missing either way.
    #[test]
    fn float_columns_without_nulls_are_shared_with_the_frame() {
        let df = df!(
            "x" => [1.0, f64::NAN, 3.0],
            "y" => [Some(1.0), None, Some(2.0)],
            "n" => [1i64, 2, 3],
        )
        .unwrap();
        let first = |name: &str| {
            let s = df.column(name).unwrap().as_materialized_series().clone();
            s.cast(&DataType::Float64)
                .unwrap()
                .f64()
                .unwrap()
                .downcast_iter()
                .next()
                .unwrap()
                .values()
                .as_ptr()
        };
        let x = numeric_column(&df, "x").unwrap();
        assert!(std::ptr::eq(x.0.as_ptr(), first("x")), "shared");
        assert_eq!(x.to_options(), [Some(1.0), None, Some(3.0)]);
        let y = numeric_column(&df, "y").unwrap();
        assert_eq!(y.to_options(), [Some(1.0), None, Some(2.0)]);
        let n = numeric_column(&df, "n").unwrap();
        assert_eq!(n.to_options(), [Some(1.0), Some(2.0), Some(3.0)]);
        assert_eq!(n.get(3), None, "past the end");
    }
}
