//! The profile file written: the records of `docs/profile.md` built column by column (tuples
//! and columns by index, a cell's slots and categories as lists) and streamed as Parquet into an
//! atomic write.

use std::path::Path;

use polars::prelude::*;

use super::{LEVELS, LogProfile, PerfCell, ProfileHeader, SEGMENT_PREFIX};
use crate::analysis::profiles::ColumnProfile;
use crate::stats::profile::{CategoricalProfile, NumericProfile};

impl LogProfile {
    /// The profile as one long table (the records of `docs/profile.md`), built column by column:
    /// a record names its tuple and column by index, and the segment and column names are filled
    /// in once at the end.
    pub fn to_frame(&self) -> Result<DataFrame, String> {
        // Every cell as a dense profile the records borrow (a sparse level made dense here).
        let dense: Vec<Vec<Vec<std::borrow::Cow<ColumnProfile>>>> = [&self.untimed, &self.timed]
            .iter()
            .map(|l| {
                l.columns
                    .iter()
                    .map(|col| (0..col.len()).filter_map(|i| col.get(i)).collect())
                    .collect()
            })
            .collect();
        let mut r = Records::default();
        let header = serde_json::to_string(&self.header).map_err(|e| format!("the header: {e}"))?;
        r.push("header", None, None, None, None);
        r.text[0] = Some(header);
        let mut segments = self.header.untimed_segments.clone();
        for s in &self.header.segments {
            if !segments.contains(s) {
                segments.push(s.clone());
            }
        }
        // Every tuple of both levels under the union of their segment columns.
        let mut tuples: Vec<Vec<Option<String>>> = Vec::new();
        for ((name, level), cells_of) in LEVELS.iter().zip([&self.untimed, &self.timed]).zip(&dense)
        {
            for (c, _) in self.header.columns.iter().enumerate() {
                if let Some(Some(edges)) = level.edges.get(c) {
                    for (k, &e) in edges.iter().enumerate() {
                        let i = r.push("edge", Some(name), None, None, Some(c as u32));
                        r.slot[i] = Some(k as u32);
                        r.value[i] = Some(e);
                    }
                }
            }
            let first = tuples.len() as u32;
            tuples.extend(level.index.tuples.iter().map(|tuple| {
                segments
                    .iter()
                    .map(|s| {
                        let k = level.index.segments.iter().position(|x| x == s)?;
                        tuple.get(k).cloned().flatten()
                    })
                    .collect()
            }));
            let slots = level.index.slots.max(1);
            for t in 0..level.index.tuples.len() {
                let id = first + t as u32;
                for s in 0..slots {
                    let cell = level.index.cell(t, s);
                    let window = (*name == "timed").then_some(s as u32);
                    for c in 0..self.header.columns.len() {
                        let Some(p) = cells_of.get(c).and_then(|cells| cells.get(cell)) else {
                            continue;
                        };
                        r.cell(
                            name,
                            (Some(id), window, Some(c as u32)),
                            p,
                            &self.header.columns[c].labels,
                        );
                    }
                }
            }
            if *name == "timed"
                && let Some(perf) = &self.performance
            {
                for t in 0..level.index.tuples.len() {
                    for w in 0..slots {
                        if let Some(p) = perf.get(level.index.cell(t, w)) {
                            r.perf((Some(first + t as u32), Some(w as u32), None), p);
                        }
                    }
                }
            }
            for c in 0..self.header.columns.len() {
                let Some(stored) = level.values.get(c) else {
                    continue;
                };
                // In a fixed order, so that the same profile makes the same file.
                let mut keys: Vec<&(u32, u32)> = stored.keys().collect();
                keys.sort_unstable();
                for key in keys {
                    if key.0 as usize >= level.index.tuples.len() {
                        continue;
                    }
                    let at = Some(first + key.0);
                    let i = r.push("value", Some(name), at, None, Some(c as u32));
                    r.slot[i] = Some(key.1);
                    r.lists.push((i, RecordLists::Values(&stored[key])));
                }
            }
        }
        r.frame(&self.header, &segments, &tuples)
    }

    /// Writes the profile as Parquet, atomically, never over one of `inputs`.
    pub fn write(&self, path: &Path, inputs: &[&Path]) -> Result<(), String> {
        write_frame(self.to_frame()?, path, inputs)
    }

    /// [`LogProfile::write`], the cells dropped once their records are built (a large profile
    /// is not held twice), returning the header.
    pub fn write_into(self, path: &Path, inputs: &[&Path]) -> Result<ProfileHeader, String> {
        let frame = self.to_frame()?;
        let LogProfile {
            header,
            untimed,
            timed,
            performance,
        } = self;
        drop((untimed, timed, performance));
        write_frame(frame, path, inputs)?;
        Ok(header)
    }
}

/// The records as Parquet, streamed into the temporary file of an atomic write.
fn write_frame(mut frame: DataFrame, path: &Path, inputs: &[&Path]) -> Result<(), String> {
    crate::fsutil::write_atomic_with(path, inputs, |file| {
        ParquetWriter::new(file)
            .finish(&mut frame)
            .map(|_| ())
            .map_err(std::io::Error::other)
    })
    .map_err(|e| e.to_string())
}

/// The long table under construction, one vector per column; tuples and columns by index.
#[derive(Default)]
struct Records<'a> {
    record: Vec<&'static str>,
    level: Vec<Option<&'static str>>,
    tuple: Vec<Option<u32>>,
    window: Vec<Option<u32>>,
    column: Vec<Option<u32>>,
    slot: Vec<Option<u32>>,
    count: Vec<Option<u64>>,
    sum: Vec<Option<f64>>,
    rows: Vec<Option<u64>>,
    missing: Vec<Option<u64>>,
    non_finite: Vec<Option<u64>>,
    min: Vec<Option<f64>>,
    max: Vec<Option<f64>>,
    mean: Vec<Option<f64>>,
    m2: Vec<Option<f64>>,
    value: Vec<Option<f64>>,
    /// The list columns of `cell` and `value` records, by record (in record order).
    lists: Vec<(usize, RecordLists<'a>)>,
    text: Vec<Option<String>>,
}

/// What a record carries in the list columns.
enum RecordLists<'a> {
    /// A numeric cell's non-empty slots: `slots`, `counts`, `sums`.
    Slots(&'a NumericProfile),
    /// A categorical cell's non-empty categories: `labels` (of the column), `counts`.
    Categories(&'a CategoricalProfile, &'a [String]),
    /// A `value` record's `values`.
    Values(&'a [f64]),
    /// A `confusion` record's `labels`, `predictions` and `counts`.
    Confusion(&'a std::collections::BTreeMap<(String, String), u64>),
    /// A `regression` record's `sums`: absolute, squared and relative errors.
    Sums([f64; 3]),
}

/// Where a record sits: the tuple, the window, the column.
type At = (Option<u32>, Option<u32>, Option<u32>);

impl<'a> Records<'a> {
    fn push(
        &mut self,
        record: &'static str,
        level: Option<&'static str>,
        tuple: Option<u32>,
        window: Option<u32>,
        column: Option<u32>,
    ) -> usize {
        self.record.push(record);
        self.level.push(level);
        self.tuple.push(tuple);
        self.window.push(window);
        self.column.push(column);
        self.slot.push(None);
        for v in [
            &mut self.count,
            &mut self.rows,
            &mut self.missing,
            &mut self.non_finite,
        ] {
            v.push(None);
        }
        for v in [
            &mut self.sum,
            &mut self.min,
            &mut self.max,
            &mut self.mean,
            &mut self.m2,
            &mut self.value,
        ] {
            v.push(None);
        }
        self.text.push(None);
        self.record.len() - 1
    }

    /// A timed cell's performance records: only those it has something for.
    fn perf(&mut self, at: At, p: &'a PerfCell) {
        let (tuple, window, _) = at;
        let level = Some("timed");
        if !p.confusion.is_empty() {
            let i = self.push("confusion", level, tuple, window, None);
            self.lists.push((i, RecordLists::Confusion(&p.confusion)));
        }
        if p.labelled > 0 || p.scored > 0 {
            let i = self.push("perf", level, tuple, window, None);
            self.rows[i] = Some(p.labelled);
            self.count[i] = Some(p.scored);
            self.sum[i] = Some(p.log_loss);
        }
        let r = &p.regression;
        if r.n > 0 {
            let i = self.push("regression", level, tuple, window, None);
            self.count[i] = Some(r.n);
            self.mean[i] = Some(r.mean);
            self.m2[i] = Some(r.m2);
            self.lists
                .push((i, RecordLists::Sums([r.abs, r.sq, r.ape])));
        }
        for (kind, values) in [
            ("positive_scores", &p.positive_scores),
            ("negative_scores", &p.negative_scores),
            ("latency", &p.latency),
        ] {
            if !values.is_empty() {
                let i = self.push(kind, level, tuple, window, None);
                self.lists.push((i, RecordLists::Values(values)));
            }
        }
    }

    /// A cell's record, its non-empty slots or categories as lists.
    fn cell(&mut self, level: &'static str, at: At, p: &'a ColumnProfile, labels: &'a [String]) {
        let (tuple, window, column) = at;
        let i = self.push("cell", Some(level), tuple, window, column);
        match p {
            ColumnProfile::Numeric(p) => {
                self.rows[i] = Some(p.rows);
                self.missing[i] = Some(p.missing);
                self.non_finite[i] = Some(p.non_finite);
                self.count[i] = Some(p.values);
                if p.values > 0 {
                    self.min[i] = Some(p.min);
                    self.max[i] = Some(p.max);
                    self.mean[i] = Some(p.mean);
                    self.m2[i] = Some(p.m2);
                }
                self.lists.push((i, RecordLists::Slots(p)));
            }
            ColumnProfile::Categorical(p) => {
                self.rows[i] = Some(p.rows);
                self.missing[i] = Some(p.missing);
                self.lists.push((i, RecordLists::Categories(p, labels)));
            }
        }
    }

    fn frame(
        self,
        header: &ProfileHeader,
        segments: &[String],
        tuples: &[Vec<Option<String>>],
    ) -> Result<DataFrame, String> {
        let n = self.record.len();
        let [slots, counts, sums, labels, values, predictions] = self.list_columns(n);
        let mut columns = vec![
            Column::new("record".into(), self.record),
            Column::new("level".into(), self.level),
        ];
        for (k, s) in segments.iter().enumerate() {
            let values: Vec<Option<&str>> = self
                .tuple
                .iter()
                .map(|t| {
                    let tuple = tuples.get((*t)? as usize)?;
                    tuple.get(k)?.as_deref()
                })
                .collect();
            columns.push(Column::new(format!("{SEGMENT_PREFIX}{s}").into(), values));
        }
        let names: Vec<&str> = header.columns.iter().map(|c| c.name.as_str()).collect();
        let column: Vec<Option<&str>> = self
            .column
            .iter()
            .map(|c| names.get((*c)? as usize).copied())
            .collect();
        columns.extend([
            Column::new("window".into(), self.window),
            Column::new("column".into(), column),
            Column::new("slot".into(), self.slot),
            Column::new("count".into(), self.count),
            Column::new("sum".into(), self.sum),
            Column::new("rows".into(), self.rows),
            Column::new("missing".into(), self.missing),
            Column::new("non_finite".into(), self.non_finite),
            Column::new("min".into(), self.min),
            Column::new("max".into(), self.max),
            Column::new("mean".into(), self.mean),
            Column::new("m2".into(), self.m2),
            // The long forms an engine may write instead of the lists: none here.
            Column::new("label".into(), vec![None::<&str>; n]),
            Column::new("value".into(), self.value),
            slots,
            counts,
            sums,
            labels,
            values,
            predictions,
            Column::new("text".into(), self.text),
        ]);
        DataFrame::new_infer_height(columns).map_err(|e| e.to_string())
    }
}

impl Records<'_> {
    /// The list columns, one row per record (null where a record has no list).
    fn list_columns(&self, n: usize) -> [Column; 6] {
        let (mut slot_values, mut value_values) = (0, 0);
        for (_, l) in &self.lists {
            match l {
                RecordLists::Slots(p) => slot_values += p.counts.iter().filter(|&&c| c > 0).count(),
                RecordLists::Categories(p, _) => {
                    slot_values += p.counts.iter().filter(|&&c| c > 0).count();
                }
                RecordLists::Values(v) => value_values += v.len(),
                RecordLists::Confusion(m) => slot_values += m.len(),
                RecordLists::Sums(v) => value_values += v.len(),
            }
        }
        let mut slots = ListPrimitiveChunkedBuilder::<UInt32Type>::new(
            "slots".into(),
            n,
            slot_values,
            DataType::UInt32,
        );
        let mut counts = ListPrimitiveChunkedBuilder::<UInt64Type>::new(
            "counts".into(),
            n,
            slot_values,
            DataType::UInt64,
        );
        let mut sums = ListPrimitiveChunkedBuilder::<Float64Type>::new(
            "sums".into(),
            n,
            slot_values,
            DataType::Float64,
        );
        let mut labels = ListStringChunkedBuilder::new("labels".into(), n, slot_values);
        let mut predictions = ListStringChunkedBuilder::new("predictions".into(), n, 0);
        let mut values = ListPrimitiveChunkedBuilder::<Float64Type>::new(
            "values".into(),
            n,
            value_values,
            DataType::Float64,
        );
        let mut next = self.lists.iter().peekable();
        for i in 0..n {
            let here = match next.peek() {
                Some((at, l)) if *at == i => {
                    next.next();
                    Some(l)
                }
                _ => None,
            };
            let (mut s, mut c, mut u, mut l, mut v, mut p) =
                (false, false, false, false, false, false);
            match here {
                Some(RecordLists::Slots(p)) => {
                    let non_empty = || p.counts.iter().enumerate().filter(|(_, n)| **n > 0);
                    slots.append_values_iter(non_empty().map(|(k, _)| k as u32));
                    counts.append_values_iter(non_empty().map(|(_, &n)| n));
                    sums.append_values_iter(non_empty().map(|(k, _)| p.sums[k]));
                    (s, c, u) = (true, true, true);
                }
                Some(RecordLists::Categories(p, names)) => {
                    let non_empty = || p.counts.iter().enumerate().filter(|(_, n)| **n > 0);
                    labels.append_values_iter(
                        non_empty().map(|(k, _)| names.get(k).map_or("", String::as_str)),
                    );
                    counts.append_values_iter(non_empty().map(|(_, &n)| n));
                    (l, c) = (true, true);
                }
                Some(RecordLists::Values(x)) => {
                    values.append_slice(x);
                    v = true;
                }
                Some(RecordLists::Confusion(m)) => {
                    labels.append_values_iter(m.keys().map(|(l, _)| l.as_str()));
                    predictions.append_values_iter(m.keys().map(|(_, p)| p.as_str()));
                    counts.append_values_iter(m.values().copied());
                    (l, p, c) = (true, true, true);
                }
                Some(RecordLists::Sums(x)) => {
                    sums.append_slice(x);
                    u = true;
                }
                None => {}
            }
            for (written, b) in [
                (s, &mut slots as &mut dyn ListBuilderTrait),
                (c, &mut counts),
                (u, &mut sums),
                (l, &mut labels),
                (v, &mut values),
                (p, &mut predictions),
            ] {
                if !written {
                    b.append_null();
                }
            }
        }
        let column = |mut b: Box<dyn ListBuilderTrait + '_>| b.finish().into_series().into_column();
        [
            column(Box::new(slots)),
            column(Box::new(counts)),
            column(Box::new(sums)),
            column(Box::new(labels)),
            column(Box::new(values)),
            column(Box::new(predictions)),
        ]
    }
}
