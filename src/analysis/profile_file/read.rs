//! The profile file read back: every record checked against the header (cells, slots and
//! categories as lists or in the long form an engine writes, stored values, performance records),
//! text columns borrowed, a cell's records found by its tuple once.

use std::collections::HashMap;
use std::path::Path;

use polars::prelude::*;

use super::{
    FORMAT, LogProfile, MAX_LABELS, PerfCell, ProfileHeader, ProfiledLevel, SEGMENT_PREFIX, VERSION,
};
use crate::analysis::drift::ColumnKind;
use crate::analysis::profiles::{CellColumn, CellIndex, ColumnProfile, SparseCells, StoredValues};
use crate::stats::profile::{CategoricalProfile, Grid, NumericProfile};

impl LogProfile {
    /// Reads a profile written by [`LogProfile::write`] (or by an engine, to the same schema).
    pub fn read(path: &Path) -> Result<Self, String> {
        let at = |e: String| format!("{}: {e}", path.display());
        let file = std::fs::File::open(path).map_err(|e| at(e.to_string()))?;
        let frame = ParquetReader::new(file)
            .finish()
            .map_err(|e| at(format!("not a Parquet profile: {e}")))?;
        Self::from_frame(&frame).map_err(at)
    }

    /// The profile from its long table, every record checked against the header. Text columns
    /// are read borrowed (no string per record), a cell's records found by its tuple once.
    pub fn from_frame(frame: &DataFrame) -> Result<Self, String> {
        let cast = |name: &str, dtype: DataType| -> Result<Column, String> {
            frame
                .column(name)
                .map_err(|_| format!("no column `{name}`: not a driftscope profile"))?
                .cast(&dtype)
                .map_err(|e| format!("column `{name}`: {e}"))
        };
        let float = |name: &str| -> Result<Vec<Option<f64>>, String> {
            let c = cast(name, DataType::Float64)?;
            Ok(c.f64().map_err(|e| e.to_string())?.iter().collect())
        };
        let uint = |name: &str| -> Result<Vec<Option<u64>>, String> {
            let c = cast(name, DataType::UInt64)?;
            Ok(c.u64().map_err(|e| e.to_string())?.iter().collect())
        };
        let record_c = cast("record", DataType::String)?;
        let record = strings(&record_c)?;
        let text_c = cast("text", DataType::String)?;
        let header_text = record
            .iter()
            .position(|r| *r == Some("header"))
            .and_then(|i| strings(&text_c).ok()?.get(i).copied().flatten())
            .ok_or("no header record: not a driftscope profile")?;
        let header: ProfileHeader = serde_json::from_str(header_text)
            .map_err(|e| format!("the header record cannot be read: {e}"))?;
        if header.format != FORMAT {
            return Err(format!("the header names format `{}`", header.format));
        }
        if header.version != VERSION {
            return Err(format!(
                "profile format version {} (this driftscope reads version {VERSION})",
                header.version
            ));
        }
        let (level_c, column_c, label_c) = (
            cast("level", DataType::String)?,
            cast("column", DataType::String)?,
            cast("label", DataType::String)?,
        );
        let (level, column, label) = (strings(&level_c)?, strings(&column_c)?, strings(&label_c)?);
        let (window, slot, count) = (uint("window")?, uint("slot")?, uint("count")?);
        let (sum, value) = (float("sum")?, float("value")?);
        let (rows, missing, non_finite) = (uint("rows")?, uint("missing")?, uint("non_finite")?);
        let (min, max, mean, m2) = (float("min")?, float("max")?, float("mean")?, float("m2")?);
        // The list columns; a file that writes the long forms (or no values) may leave them out.
        let slots = flat(frame, "slots", DataType::UInt32, |s| {
            Ok(s.u32()
                .map_err(|e| e.to_string())?
                .iter()
                .map(|v| v.map(u64::from))
                .collect())
        })?;
        let counts = flat(frame, "counts", DataType::UInt64, |s| {
            Ok(s.u64().map_err(|e| e.to_string())?.iter().collect())
        })?;
        let floats = |s: &Series| -> Result<Vec<Option<f64>>, String> {
            Ok(s.f64().map_err(|e| e.to_string())?.iter().collect())
        };
        let sums = flat(frame, "sums", DataType::Float64, floats)?;
        let stored = flat(frame, "values", DataType::Float64, floats)?;
        let texts = |s: &Series| -> Result<Vec<Option<String>>, String> {
            Ok(s.str()
                .map_err(|e| e.to_string())?
                .iter()
                .map(|v| v.map(str::to_owned))
                .collect())
        };
        let predictions = flat(frame, "predictions", DataType::String, texts)?;
        let labels_of = flat(frame, "labels", DataType::String, |s| {
            Ok(s.str()
                .map_err(|e| e.to_string())?
                .iter()
                .map(|v| v.map(str::to_owned))
                .collect())
        })?;
        let segment_columns = |names: &[String]| -> Result<Vec<Column>, String> {
            names
                .iter()
                .map(|s| cast(&format!("{SEGMENT_PREFIX}{s}"), DataType::String))
                .collect()
        };
        let segment_columns = [
            segment_columns(&header.untimed_segments)?,
            segment_columns(&header.segments)?,
        ];
        let segment_values: Vec<Vec<Vec<Option<&str>>>> = segment_columns
            .iter()
            .map(|cs| cs.iter().map(strings).collect::<Result<_, _>>())
            .collect::<Result<_, _>>()?;
        let column_of: HashMap<&str, usize> = header
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name.as_str(), i))
            .collect();
        let n_windows = header.windows.as_ref().map_or(0, |w| w.windows.len());
        let mut levels: Vec<LevelBuilder> = (0..2)
            .map(|l| {
                if l == 0 {
                    LevelBuilder::new(
                        &header,
                        (&header.untimed_segments, &header.untimed_folded),
                        1,
                    )
                } else {
                    LevelBuilder::new(&header, (&header.segments, &header.folded), n_windows + 1)
                }
            })
            .collect();
        // Edges first: the profiles are sized by them.
        for i in 0..record.len() {
            if record[i] != Some("edge") {
                continue;
            }
            let (l, c) = locate(i, &level, &column, &column_of)?;
            let k = slot[i].ok_or_else(|| format!("row {i}: an edge without its index"))?;
            let e = value[i]
                .filter(|v| v.is_finite())
                .ok_or_else(|| format!("row {i}: an edge that is not a finite number"))?;
            levels[l].edges[c].push((k, e));
        }
        for b in &mut levels {
            b.finish_edges()?;
        }
        let mut labels = Labels::new(&header);
        let mut seen_cells = std::collections::HashSet::new();
        let mut tuple: Vec<Option<&str>> = Vec::new();
        let mut perf: HashMap<usize, PerfCell> = HashMap::new();
        for i in 0..record.len() {
            let kind = record[i].unwrap_or("");
            if PERF_RECORDS.contains(&kind) {
                if level[i] != Some("timed") {
                    return Err(format!("row {i}: a {kind} record not on the timed level"));
                }
                let b = &mut levels[1];
                tuple.clear();
                tuple.extend(segment_values[1].iter().map(|v| v[i]));
                let w = window_of(i, window[i], n_windows)?;
                let cell = b.cell(&tuple, w);
                let lists = PerfLists {
                    labels: row_of(&labels_of, i),
                    predictions: row_of(&predictions, i),
                    counts: row_of(&counts, i),
                    sums: row_of(&sums, i),
                    values: row_of(&stored, i),
                };
                let scalars = [rows[i], count[i]];
                let floats = [sum[i], mean[i], m2[i]];
                perf_record(perf.entry(cell).or_default(), kind, &lists, scalars, floats)
                    .map_err(|e| format!("row {i}: a {kind} record {e}"))?;
                continue;
            }
            if !matches!(kind, "cell" | "slot" | "category" | "value") {
                continue;
            }
            let (l, c) = locate(i, &level, &column, &column_of)?;
            tuple.clear();
            tuple.extend(segment_values[l].iter().map(|v| v[i]));
            let w = if l == 1 {
                window_of(i, window[i], n_windows)?
            } else {
                0
            };
            let b = &mut levels[l];
            let cell = b.cell(&tuple, w);
            if kind == "value" {
                let list = stored
                    .as_ref()
                    .and_then(|f| f.row(i))
                    .ok_or_else(|| format!("row {i}: a value record without its `values`"))?;
                b.values(c, cell, slot[i], list.iter().copied())
                    .map_err(|e| format!("row {i}: {e}"))?;
                continue;
            }
            let code = if kind == "category" {
                let name =
                    label[i].ok_or_else(|| format!("row {i}: a category without its label"))?;
                Some(labels.code(c, name)?)
            } else {
                None
            };
            if kind == "cell" && !seen_cells.insert((l, c, cell)) {
                return Err(format!("row {i}: a second cell record for the same cell"));
            }
            let (p, entries, grid_slots) = b.profile(c, cell)?;
            let twice = || format!("row {i}: a second {kind} record for the same cell");
            let need = |v: Option<u64>, what: &str| {
                v.ok_or_else(|| format!("row {i}: a {kind} record without `{what}`"))
            };
            match (kind, p) {
                ("cell", ColumnProfile::Numeric(p)) => {
                    p.rows = need(rows[i], "rows")?;
                    p.missing = need(missing[i], "missing")?;
                    p.non_finite = need(non_finite[i], "non_finite")?;
                    p.values = need(count[i], "count")?;
                    p.min = min[i].unwrap_or(f64::INFINITY);
                    p.max = max[i].unwrap_or(f64::NEG_INFINITY);
                    p.mean = mean[i].unwrap_or(0.0);
                    p.m2 = m2[i].unwrap_or(0.0);
                    if let Some(at) = row_of(&slots, i) {
                        let (n, sum) = (row_of(&counts, i), row_of(&sums, i));
                        let (Some(n), Some(sum)) = (n, sum) else {
                            return Err(format!("row {i}: `slots` without `counts` and `sums`"));
                        };
                        if n.len() != at.len() || sum.len() != at.len() {
                            return Err(format!(
                                "row {i}: `slots`, `counts` and `sums` of different lengths"
                            ));
                        }
                        for ((s, n), sum) in at.iter().zip(n).zip(sum) {
                            let (Some(s), Some(n)) = (*s, *n) else {
                                return Err(format!("row {i}: a null slot or count"));
                            };
                            if s as usize >= grid_slots {
                                return Err(format!("row {i}: slot {s} of {grid_slots}"));
                            }
                            entries.push((s as u32, n, sum.unwrap_or(0.0), i));
                        }
                    }
                }
                ("cell", ColumnProfile::Categorical(p)) => {
                    p.rows = need(rows[i], "rows")?;
                    p.missing = need(missing[i], "missing")?;
                    if let Some(names) = row_of(&labels_of, i) {
                        let Some(n) = row_of(&counts, i).filter(|n| n.len() == names.len()) else {
                            return Err(format!("row {i}: `labels` without as many `counts`"));
                        };
                        for (name, n) in names.iter().zip(n) {
                            let (Some(name), Some(n)) = (name, *n) else {
                                return Err(format!("row {i}: a null label or count"));
                            };
                            let code = labels.code(c, name)?;
                            if p.counts.len() <= code {
                                p.counts.resize(code + 1, 0);
                            }
                            if p.counts[code] != 0 {
                                return Err(format!("row {i}: category `{name}` twice"));
                            }
                            p.counts[code] = n;
                        }
                    }
                }
                ("slot", ColumnProfile::Numeric(_)) => {
                    let s = need(slot[i], "slot")? as usize;
                    if s >= grid_slots {
                        return Err(format!("row {i}: slot {s} of {grid_slots}"));
                    }
                    // A slot given twice is found when the cell is put together.
                    entries.push((s as u32, need(count[i], "count")?, sum[i].unwrap_or(0.0), i));
                }
                ("category", ColumnProfile::Categorical(p)) => {
                    let code = code.unwrap_or_default();
                    if p.counts.len() <= code {
                        p.counts.resize(code + 1, 0);
                    }
                    if p.counts[code] != 0 {
                        return Err(twice());
                    }
                    p.counts[code] = need(count[i], "count")?;
                }
                _ => {
                    return Err(format!(
                        "row {i}: a {kind} record for a column of another kind"
                    ));
                }
            }
        }
        let mut built = levels
            .into_iter()
            .map(|b| b.finish(&labels))
            .collect::<Result<Vec<_>, String>>()?
            .into_iter();
        let performance = header.performance.as_ref().map(|_| perf);
        let (Some(untimed), Some(timed)) = (built.next(), built.next()) else {
            return Err("internal error: two levels".to_owned());
        };
        let mut header = header;
        for (column, labels) in header.columns.iter_mut().zip(labels.labels) {
            column.labels = labels;
        }
        let performance = performance.map(|mut perf| {
            (0..timed.index.cells())
                .map(|c| perf.remove(&c).unwrap_or_default())
                .collect()
        });
        Ok(Self {
            header,
            untimed,
            timed,
            performance,
        })
    }
}

/// A list column read once: every row's values in one vector, per row its range (`None`: a null
/// list).
struct Flat<T> {
    ranges: Vec<Option<(usize, usize)>>,
    values: Vec<Option<T>>,
}

impl<T> Flat<T> {
    fn row(&self, i: usize) -> Option<&[Option<T>]> {
        let (start, end) = (*self.ranges.get(i)?)?;
        self.values.get(start..end)
    }
}

/// A timed record's window: present, and one of the header's (or the slot past them).
fn window_of(i: usize, window: Option<u64>, n_windows: usize) -> Result<usize, String> {
    let w = window.ok_or_else(|| format!("row {i}: a timed record without window"))?;
    usize::try_from(w)
        .ok()
        .filter(|&w| w <= n_windows)
        .ok_or_else(|| format!("row {i}: window {w} of {n_windows}"))
}

/// One record's list columns, for the performance records.
struct PerfLists<'a> {
    labels: Option<&'a [Option<String>]>,
    predictions: Option<&'a [Option<String>]>,
    counts: Option<&'a [Option<u64>]>,
    sums: Option<&'a [Option<f64>]>,
    values: Option<&'a [Option<f64>]>,
}

/// A performance record into its cell: `[rows, count]` and `[sum, mean, m2]` are its scalars.
fn perf_record(
    p: &mut PerfCell,
    kind: &str,
    lists: &PerfLists,
    [rows, count]: [Option<u64>; 2],
    [sum, mean, m2]: [Option<f64>; 3],
) -> Result<(), String> {
    match kind {
        "confusion" => {
            let (Some(l), Some(pr), Some(n)) = (lists.labels, lists.predictions, lists.counts)
            else {
                return Err("without `labels`, `predictions` and `counts`".to_owned());
            };
            if l.len() != pr.len() || l.len() != n.len() {
                return Err("with lists of different lengths".to_owned());
            }
            for ((l, pr), n) in l.iter().zip(pr).zip(n) {
                let (Some(l), Some(pr), Some(n)) = (l, pr, n) else {
                    return Err("with a null label, prediction or count".to_owned());
                };
                if p.confusion.insert((l.clone(), pr.clone()), *n).is_some() {
                    return Err("naming a (label, prediction) pair twice".to_owned());
                }
            }
        }
        "perf" => {
            p.labelled = rows.ok_or("without `rows`")?;
            p.scored = count.unwrap_or(0);
            p.log_loss = sum.unwrap_or(0.0);
        }
        "regression" => {
            let r = &mut p.regression;
            r.n = count.ok_or("without `count`")?;
            let Some([Some(abs), Some(sq), Some(ape)]) = lists
                .sums
                .and_then(|v| <[Option<f64>; 3]>::try_from(v).ok())
            else {
                return Err("without its three `sums`".to_owned());
            };
            (r.abs, r.sq, r.ape) = (abs, sq, ape);
            r.mean = mean.unwrap_or(0.0);
            r.m2 = m2.unwrap_or(0.0);
        }
        _ => {
            let values: Vec<f64> = lists
                .values
                .ok_or("without `values`")?
                .iter()
                .map(|v| v.filter(|v| !v.is_nan()).ok_or("with a null value"))
                .collect::<Result<_, _>>()?;
            match kind {
                "positive_scores" => p.positive_scores = values,
                "negative_scores" => p.negative_scores = values,
                _ => p.latency = values,
            }
        }
    }
    Ok(())
}

/// Row `i` of a list column the frame may lack.
fn row_of<T>(f: &Option<Flat<T>>, i: usize) -> Option<&[Option<T>]> {
    f.as_ref()?.row(i)
}

/// The list column `name` of items of type `inner`, when the frame has it.
fn flat<T>(
    frame: &DataFrame,
    name: &str,
    inner: DataType,
    items: impl Fn(&Series) -> Result<Vec<Option<T>>, String>,
) -> Result<Option<Flat<T>>, String> {
    let Ok(c) = frame.column(name) else {
        return Ok(None);
    };
    let c = c
        .cast(&DataType::List(Box::new(inner)))
        .map_err(|e| format!("column `{name}`: {e}"))?;
    let lists = c.list().map_err(|e| format!("column `{name}`: {e}"))?;
    let mut out = Flat {
        ranges: Vec::with_capacity(lists.len()),
        values: Vec::new(),
    };
    for list in lists.amortized_iter() {
        match list {
            Some(s) => {
                let start = out.values.len();
                out.values
                    .extend(items(s.as_ref()).map_err(|e| format!("column `{name}`: {e}"))?);
                out.ranges.push(Some((start, out.values.len())));
            }
            None => out.ranges.push(None),
        }
    }
    Ok(Some(out))
}

/// A text column's values, borrowed.
fn strings(c: &Column) -> Result<Vec<Option<&str>>, String> {
    Ok(c.str().map_err(|e| e.to_string())?.iter().collect())
}

/// Record kinds of the performance cells (timed level, no analysed column).
const PERF_RECORDS: [&str; 6] = [
    "confusion",
    "perf",
    "regression",
    "positive_scores",
    "negative_scores",
    "latency",
];

/// The level and column a record names.
fn locate(
    i: usize,
    level: &[Option<&str>],
    column: &[Option<&str>],
    column_of: &HashMap<&str, usize>,
) -> Result<(usize, usize), String> {
    let l = match level[i] {
        Some("untimed") => 0,
        Some("timed") => 1,
        other => {
            return Err(format!(
                "row {i}: level {other:?} is neither untimed nor timed"
            ));
        }
    };
    let name = column[i].ok_or_else(|| format!("row {i}: a record without its column"))?;
    let c = *column_of
        .get(name)
        .ok_or_else(|| format!("row {i}: column `{name}` is not in the header"))?;
    Ok((l, c))
}

/// A numeric cell's slot as read: slot, count, sum and the record's row (for errors).
type SlotRecord = (u32, u64, f64, usize);

/// A cell as read: its profile (a numeric one with its scalars only) and its slots.
type ReadCell = (ColumnProfile, Vec<SlotRecord>);

/// A level read back record by record.
struct LevelBuilder {
    segments: Vec<String>,
    folded: Vec<String>,
    slots: usize,
    kinds: Vec<ColumnKind>,
    edges: Vec<Vec<(u64, f64)>>,
    grids: Vec<Option<Grid>>,
    tuples: Vec<Vec<Option<String>>>,
    tuple_of: HashMap<Vec<Option<String>>, usize>,
    /// The tuple of the previous record.
    last: Option<usize>,
    /// Per column, per cell: its profile (a numeric one with its scalars only) and, for a
    /// numeric column, its (slot, count, sum) entries.
    cells: Vec<Vec<Option<ReadCell>>>,
    /// Per column: `value` records by (cell, slot).
    values: Vec<StoredValues>,
}

impl LevelBuilder {
    fn new(
        header: &ProfileHeader,
        (segments, folded): (&[String], &[String]),
        slots: usize,
    ) -> Self {
        let n = header.columns.len();
        Self {
            segments: segments.to_vec(),
            folded: folded.to_vec(),
            slots,
            kinds: header.columns.iter().map(|c| c.kind).collect(),
            edges: vec![Vec::new(); n],
            grids: vec![None; n],
            tuples: Vec::new(),
            tuple_of: HashMap::new(),
            last: None,
            cells: vec![Vec::new(); n],
            values: vec![StoredValues::new(); n],
        }
    }

    fn finish_edges(&mut self) -> Result<(), String> {
        for (c, edges) in self.edges.iter_mut().enumerate() {
            if self.kinds[c] != ColumnKind::Numeric {
                continue;
            }
            edges.sort_by_key(|(k, _)| *k);
            let values: Vec<f64> = edges.iter().map(|(_, e)| *e).collect();
            if values.windows(2).any(|w| w[0] >= w[1])
                || edges.iter().enumerate().any(|(i, (k, _))| *k != i as u64)
            {
                return Err("a grid's edges are not numbered 0, 1, … and increasing".to_owned());
            }
            self.grids[c] = Some(Grid::from_edges(values, false));
        }
        Ok(())
    }

    /// The cell of a tuple's slot; a run of records of one tuple looks it up once.
    fn cell(&mut self, tuple: &[Option<&str>], slot: usize) -> usize {
        let same = |known: &[Option<String>]| {
            known.len() == tuple.len() && known.iter().zip(tuple).all(|(a, b)| a.as_deref() == *b)
        };
        let t = match self.last {
            Some(t) if same(&self.tuples[t]) => t,
            _ => {
                let owned: Vec<Option<String>> =
                    tuple.iter().map(|v| v.map(str::to_owned)).collect();
                let next = self.tuples.len();
                let t = *self.tuple_of.entry(owned.clone()).or_insert(next);
                if t == next {
                    self.tuples.push(owned);
                }
                t
            }
        };
        self.last = Some(t);
        t * self.slots + slot
    }
}

/// Every categorical column's labels, shared by both levels: the header's (baseline first), and
/// labels only the records name appended.
struct Labels {
    names: Vec<String>,
    labels: Vec<Vec<String>>,
    /// Per column: label → code, built on first use.
    codes: Vec<HashMap<String, usize>>,
}

impl Labels {
    fn new(header: &ProfileHeader) -> Self {
        Self {
            names: header.columns.iter().map(|c| c.name.clone()).collect(),
            labels: header.columns.iter().map(|c| c.labels.clone()).collect(),
            codes: vec![HashMap::new(); header.columns.len()],
        }
    }

    /// The code of a category label, new labels (log-only values) appended — bounded.
    fn code(&mut self, column: usize, label: &str) -> Result<usize, String> {
        let labels = &mut self.labels[column];
        let codes = &mut self.codes[column];
        if codes.len() != labels.len() {
            *codes = labels
                .iter()
                .enumerate()
                .map(|(i, l)| (l.clone(), i))
                .collect();
        }
        if let Some(&code) = codes.get(label) {
            return Ok(code);
        }
        if labels.len() >= MAX_LABELS {
            return Err(format!(
                "column `{}` has over {MAX_LABELS} categories",
                self.names[column]
            ));
        }
        labels.push(label.to_owned());
        codes.insert(label.to_owned(), labels.len() - 1);
        Ok(labels.len() - 1)
    }
}

impl LevelBuilder {
    /// A `value` record: the log values of an untimed cell's slot, each of which must lie in it.
    fn values(
        &mut self,
        column: usize,
        cell: usize,
        slot: Option<u64>,
        values: impl Iterator<Item = Option<f64>>,
    ) -> Result<(), String> {
        if self.slots != 1 {
            return Err("a value record on the timed level".to_owned());
        }
        let Some(grid) = &self.grids[column] else {
            return Err("a value record for a column without grid".to_owned());
        };
        let slot = slot.ok_or("a value record without its slot")?;
        let stored = self.values[column]
            .entry((cell as u32, slot as u32))
            .or_default();
        if !stored.is_empty() {
            return Err(format!("a second value record for slot {slot}"));
        }
        for x in values {
            let x = x
                .filter(|v| v.is_finite())
                .ok_or("a stored value that is not a finite number")?;
            if grid.slot(x) as u64 != slot {
                return Err(format!("the value {x} does not lie in slot {slot}"));
            }
            stored.push(x);
        }
        Ok(())
    }

    /// A cell's profile, its slot entries and the grid's slots (0 for a categorical column).
    fn profile(
        &mut self,
        column: usize,
        cell: usize,
    ) -> Result<(&mut ColumnProfile, &mut Vec<SlotRecord>, usize), String> {
        let cells = &mut self.cells[column];
        if cells.len() <= cell {
            cells.resize(cell + 1, None);
        }
        let (p, slots) = match (self.kinds[column], &self.grids[column]) {
            (ColumnKind::Numeric, Some(g)) => (
                ColumnProfile::Numeric(NumericProfile::with_slots(0)),
                g.slots(),
            ),
            (ColumnKind::Numeric, None) => {
                return Err("a numeric column without grid edges".to_owned());
            }
            (ColumnKind::Categorical, _) => {
                (ColumnProfile::Categorical(CategoricalProfile::empty(0)), 0)
            }
        };
        let (p, entries) = cells[cell].get_or_insert((p, Vec::new()));
        Ok((p, entries, slots))
    }

    fn finish(self, labels: &Labels) -> Result<ProfiledLevel, String> {
        let tuples = if self.tuples.is_empty() {
            vec![vec![None; self.segments.len()]]
        } else {
            self.tuples
        };
        let n_cells = tuples.len() * self.slots;
        let timed = self.slots > 1;
        let columns = self
            .cells
            .into_iter()
            .enumerate()
            .map(|(c, mut cells)| {
                if cells.iter().all(Option::is_none) {
                    // Written as unprofiled (or an empty log): no cells.
                    if self.kinds[c] == ColumnKind::Categorical {
                        return Ok(CellColumn::default());
                    }
                }
                cells.resize(n_cells, None);
                let (name, n_labels) = (&labels.names[c], labels.labels[c].len());
                if let Some(g) = &self.grids[c] {
                    // Numeric: each cell's scalars and entries; the timed level's many small
                    // cells stay sparse.
                    let parts = cells
                        .into_iter()
                        .map(|p| match p {
                            Some((ColumnProfile::Numeric(head), mut entries)) => {
                                entries.sort_unstable_by_key(|e| (e.0, e.3));
                                if let Some(w) = entries.windows(2).find(|w| w[0].0 == w[1].0) {
                                    return Err(format!(
                                        "row {}: a second slot record for the same cell (slot {})",
                                        w[1].3, w[1].0
                                    ));
                                }
                                Ok((
                                    head,
                                    entries.into_iter().map(|(s, n, x, _)| (s, n, x)).collect(),
                                ))
                            }
                            Some(_) => Err("a category record for a numeric column".to_owned()),
                            None => Ok((NumericProfile::with_slots(0), Vec::new())),
                        })
                        .collect::<Result<Vec<_>, String>>()?;
                    let sparse = SparseCells::from_parts(g.slots(), parts)
                        .map_err(|e| format!("column `{name}`: {e}"))?;
                    let column = CellColumn::Sparse(sparse);
                    return Ok(if timed {
                        column
                    } else {
                        CellColumn::Dense(column.into_dense())
                    });
                }
                Ok(CellColumn::Dense(
                    cells
                        .into_iter()
                        .map(|p| match p {
                            Some((ColumnProfile::Categorical(mut p), _)) => {
                                p.counts.resize(n_labels, 0);
                                ColumnProfile::Categorical(p)
                            }
                            Some((p, _)) => p,
                            None => ColumnProfile::Categorical(CategoricalProfile::empty(n_labels)),
                        })
                        .collect(),
                ))
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(ProfiledLevel {
            index: CellIndex {
                segments: self.segments,
                tuples,
                slots: self.slots,
                folded: self.folded,
                cell_of_row: Vec::new(),
            },
            edges: self
                .grids
                .iter()
                .map(|g| g.as_ref().map(|g| g.edges.clone()))
                .collect(),
            columns,
            values: self.values,
        })
    }
}
