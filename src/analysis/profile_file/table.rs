//! The profile file's long table: writing the records, and reading them back checked against
//! the header.

use std::collections::HashMap;
use std::path::Path;

use polars::prelude::*;

use super::{
    FORMAT, LEVELS, LogProfile, MAX_LABELS, PerfCell, ProfileHeader, ProfiledLevel, SEGMENT_PREFIX,
    VERSION,
};
use crate::analysis::drift::ColumnKind;
use crate::analysis::profiles::{CellIndex, ColumnProfile, StoredValues};
use crate::stats::profile::{CategoricalProfile, Grid, NumericProfile};

impl LogProfile {
    /// The profile as one long table (the records of `docs/profile.md`), built column by column:
    /// a record names its tuple and column by index, and the segment and column names are filled
    /// in once at the end.
    pub fn to_frame(&self) -> Result<DataFrame, String> {
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
        for (name, level) in LEVELS.iter().zip([&self.untimed, &self.timed]) {
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
                        let Some(p) = level.columns.get(c).and_then(|cells| cells.get(cell)) else {
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
                let w =
                    window[i].ok_or_else(|| format!("row {i}: a {kind} record without window"))?;
                let w = usize::try_from(w)
                    .ok()
                    .filter(|&w| w <= n_windows)
                    .ok_or_else(|| format!("row {i}: window {w} of {n_windows}"))?;
                let cell = b.cell(&tuple, w);
                let p = perf.entry(cell).or_default();
                let at = |e: &str| format!("row {i}: a {kind} record {e}");
                match kind {
                    "confusion" => {
                        let (Some(l), Some(pr), Some(n)) = (
                            row_of(&labels_of, i),
                            row_of(&predictions, i),
                            row_of(&counts, i),
                        ) else {
                            return Err(at("without `labels`, `predictions` and `counts`"));
                        };
                        if l.len() != pr.len() || l.len() != n.len() {
                            return Err(at("with lists of different lengths"));
                        }
                        for ((l, pr), n) in l.iter().zip(pr).zip(n) {
                            let (Some(l), Some(pr), Some(n)) = (l, pr, n) else {
                                return Err(at("with a null label, prediction or count"));
                            };
                            if p.confusion.insert((l.clone(), pr.clone()), *n).is_some() {
                                return Err(at("naming a (label, prediction) pair twice"));
                            }
                        }
                    }
                    "perf" => {
                        p.labelled = rows[i].ok_or_else(|| at("without `rows`"))?;
                        p.scored = count[i].unwrap_or(0);
                        p.log_loss = sum[i].unwrap_or(0.0);
                    }
                    "regression" => {
                        let r = &mut p.regression;
                        r.n = count[i].ok_or_else(|| at("without `count`"))?;
                        let Some([Some(abs), Some(sq), Some(ape)]) =
                            row_of(&sums, i).and_then(|v| <[Option<f64>; 3]>::try_from(v).ok())
                        else {
                            return Err(at("without its three `sums`"));
                        };
                        (r.abs, r.sq, r.ape) = (abs, sq, ape);
                        r.mean = mean[i].unwrap_or(0.0);
                        r.m2 = m2[i].unwrap_or(0.0);
                    }
                    _ => {
                        let values = row_of(&stored, i).ok_or_else(|| at("without `values`"))?;
                        let values: Vec<f64> = values
                            .iter()
                            .map(|v| {
                                v.filter(|v| !v.is_nan())
                                    .ok_or_else(|| at("with a null value"))
                            })
                            .collect::<Result<_, _>>()?;
                        match kind {
                            "positive_scores" => p.positive_scores = values,
                            "negative_scores" => p.negative_scores = values,
                            _ => p.latency = values,
                        }
                    }
                }
                continue;
            }
            if !matches!(kind, "cell" | "slot" | "category" | "value") {
                continue;
            }
            let (l, c) = locate(i, &level, &column, &column_of)?;
            tuple.clear();
            tuple.extend(segment_values[l].iter().map(|v| v[i]));
            let w = if l == 1 {
                let w = window[i].ok_or_else(|| format!("row {i}: a timed cell without window"))?;
                usize::try_from(w)
                    .ok()
                    .filter(|&w| w <= n_windows)
                    .ok_or_else(|| format!("row {i}: window {w} of {n_windows}"))?
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
            let p = b.profile(c, cell)?;
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
                            let s = s as usize;
                            if s >= p.counts.len() {
                                return Err(format!("row {i}: slot {s} of {}", p.counts.len()));
                            }
                            if p.counts[s] != 0 {
                                return Err(format!("row {i}: slot {s} twice"));
                            }
                            p.counts[s] = n;
                            p.sums[s] = sum.unwrap_or(0.0);
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
                ("slot", ColumnProfile::Numeric(p)) => {
                    let s = need(slot[i], "slot")? as usize;
                    if s >= p.counts.len() {
                        return Err(format!("row {i}: slot {s} of {}", p.counts.len()));
                    }
                    if p.counts[s] != 0 {
                        return Err(twice());
                    }
                    p.counts[s] = need(count[i], "count")?;
                    p.sums[s] = sum[i].unwrap_or(0.0);
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
        let mut built = levels.into_iter().map(|b| b.finish(&labels));
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
    /// Per column, per cell.
    cells: Vec<Vec<Option<ColumnProfile>>>,
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

    fn profile(&mut self, column: usize, cell: usize) -> Result<&mut ColumnProfile, String> {
        let cells = &mut self.cells[column];
        if cells.len() <= cell {
            cells.resize(cell + 1, None);
        }
        let p = match (self.kinds[column], &self.grids[column]) {
            (ColumnKind::Numeric, Some(g)) => ColumnProfile::Numeric(NumericProfile::empty(g)),
            (ColumnKind::Numeric, None) => {
                return Err("a numeric column without grid edges".to_owned());
            }
            (ColumnKind::Categorical, _) => {
                ColumnProfile::Categorical(CategoricalProfile::empty(0))
            }
        };
        Ok(cells[cell].get_or_insert(p))
    }

    fn finish(self, labels: &Labels) -> ProfiledLevel {
        let tuples = if self.tuples.is_empty() {
            vec![vec![None; self.segments.len()]]
        } else {
            self.tuples
        };
        let n_cells = tuples.len() * self.slots;
        let columns = self
            .cells
            .into_iter()
            .enumerate()
            .map(|(c, mut cells)| {
                if cells.iter().all(Option::is_none) {
                    // Written as unprofiled (or an empty log): no cells.
                    if self.kinds[c] == ColumnKind::Categorical {
                        return Vec::new();
                    }
                }
                cells.resize(n_cells, None);
                let labels = labels.labels[c].len();
                cells
                    .into_iter()
                    .map(|p| match (p, &self.grids[c]) {
                        (Some(ColumnProfile::Categorical(mut p)), _) => {
                            p.counts.resize(labels, 0);
                            ColumnProfile::Categorical(p)
                        }
                        (Some(p), _) => p,
                        (None, Some(g)) => ColumnProfile::Numeric(NumericProfile::empty(g)),
                        (None, None) => {
                            ColumnProfile::Categorical(CategoricalProfile::empty(labels))
                        }
                    })
                    .collect()
            })
            .collect();
        ProfiledLevel {
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
        }
    }
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
