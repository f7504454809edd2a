//! The profile file's long table: writing the records, and reading them back checked against
//! the header.

use std::collections::HashMap;
use std::path::Path;

use polars::prelude::*;

use super::{
    FORMAT, LEVELS, LogProfile, MAX_LABELS, ProfileHeader, ProfiledLevel, SEGMENT_PREFIX, VERSION,
};
use crate::analysis::drift::ColumnKind;
use crate::analysis::profiles::{CellIndex, ColumnProfile, StoredValues};
use crate::stats::profile::{CategoricalProfile, Grid, NumericProfile};

impl LogProfile {
    /// The profile as one long table (the records of `docs/profile.md`).
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
        for (name, level) in LEVELS.iter().zip([&self.untimed, &self.timed]) {
            for (c, column) in self.header.columns.iter().enumerate() {
                if let Some(Some(edges)) = level.edges.get(c) {
                    for (k, &e) in edges.iter().enumerate() {
                        let i = r.push("edge", Some(name), None, None, Some(&column.name));
                        r.slot[i] = Some(k as u32);
                        r.value[i] = Some(e);
                    }
                }
            }
            let slots = level.index.slots.max(1);
            // A tuple's values under the union of both levels' segment columns.
            let tuple_values = |tuple: &[Option<String>]| -> Vec<Option<String>> {
                segments
                    .iter()
                    .map(|s| {
                        let k = level.index.segments.iter().position(|x| x == s)?;
                        tuple.get(k).cloned().flatten()
                    })
                    .collect()
            };
            for (t, tuple) in level.index.tuples.iter().enumerate() {
                let values = tuple_values(tuple);
                for s in 0..slots {
                    let cell = level.index.cell(t, s);
                    let window = (*name == "timed").then_some(s as u32);
                    for (c, column) in self.header.columns.iter().enumerate() {
                        let Some(p) = level.columns.get(c).and_then(|cells| cells.get(cell)) else {
                            continue;
                        };
                        let at = (Some(values.as_slice()), window, Some(column.name.as_str()));
                        r.profile(name, at, p, &column.labels);
                    }
                }
            }
            for (c, column) in self.header.columns.iter().enumerate() {
                let Some(stored) = level.values.get(c) else {
                    continue;
                };
                // In a fixed order, so that the same profile makes the same file.
                let mut keys: Vec<&(u32, u32)> = stored.keys().collect();
                keys.sort_unstable();
                for key in keys {
                    let Some(tuple) = level.index.tuples.get(key.0 as usize) else {
                        continue;
                    };
                    let values = tuple_values(tuple);
                    for &v in &stored[key] {
                        let at = Some(values.as_slice());
                        let i = r.push("value", Some(name), at, None, Some(&column.name));
                        r.slot[i] = Some(key.1);
                        r.value[i] = Some(v);
                    }
                }
            }
        }
        r.frame(&segments)
    }

    /// Writes the profile as Parquet, atomically, never over one of `inputs`.
    pub fn write(&self, path: &Path, inputs: &[&Path]) -> Result<(), String> {
        let mut frame = self.to_frame()?;
        let mut bytes = Vec::new();
        ParquetWriter::new(&mut bytes)
            .finish(&mut frame)
            .map_err(|e| format!("{}: cannot write Parquet: {e}", path.display()))?;
        crate::fsutil::write_atomic(path, &bytes, inputs).map_err(|e| e.to_string())
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

    /// The profile from its long table, every record checked against the header.
    pub fn from_frame(frame: &DataFrame) -> Result<Self, String> {
        let cast = |name: &str, dtype: DataType| -> Result<Column, String> {
            frame
                .column(name)
                .map_err(|_| format!("no column `{name}`: not a driftscope profile"))?
                .cast(&dtype)
                .map_err(|e| format!("column `{name}`: {e}"))
        };
        let text = |name: &str| -> Result<Vec<Option<String>>, String> {
            let c = cast(name, DataType::String)?;
            let s = c.str().map_err(|e| e.to_string())?;
            Ok(s.iter().map(|v| v.map(str::to_owned)).collect())
        };
        let float = |name: &str| -> Result<Vec<Option<f64>>, String> {
            let c = cast(name, DataType::Float64)?;
            Ok(c.f64().map_err(|e| e.to_string())?.iter().collect())
        };
        let uint = |name: &str| -> Result<Vec<Option<u64>>, String> {
            let c = cast(name, DataType::UInt64)?;
            Ok(c.u64().map_err(|e| e.to_string())?.iter().collect())
        };
        let record = text("record")?;
        let header_text = record
            .iter()
            .position(|r| r.as_deref() == Some("header"))
            .and_then(|i| text("text").ok()?.get(i).cloned().flatten())
            .ok_or("no header record: not a driftscope profile")?;
        let header: ProfileHeader = serde_json::from_str(&header_text)
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
        let (level, column, label) = (text("level")?, text("column")?, text("label")?);
        let (window, slot, count) = (uint("window")?, uint("slot")?, uint("count")?);
        let (sum, value) = (float("sum")?, float("value")?);
        let (rows, missing, non_finite) = (uint("rows")?, uint("missing")?, uint("non_finite")?);
        let (min, max, mean, m2) = (float("min")?, float("max")?, float("mean")?, float("m2")?);
        let read_segments = |names: &[String]| -> Result<Vec<Vec<Option<String>>>, String> {
            names
                .iter()
                .map(|s| text(&format!("{SEGMENT_PREFIX}{s}")))
                .collect()
        };
        let segment_values = [
            read_segments(&header.untimed_segments)?,
            read_segments(&header.segments)?,
        ];
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
            if record[i].as_deref() != Some("edge") {
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
        for i in 0..record.len() {
            let kind = record[i].as_deref().unwrap_or("");
            if !matches!(kind, "cell" | "slot" | "category" | "value") {
                continue;
            }
            let (l, c) = locate(i, &level, &column, &column_of)?;
            let tuple: Vec<Option<String>> =
                segment_values[l].iter().map(|v| v[i].clone()).collect();
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
            let cell = b.cell(tuple, w);
            if kind == "value" {
                b.value(c, cell, slot[i], value[i])
                    .map_err(|e| format!("row {i}: {e}"))?;
                continue;
            }
            let code = if kind == "category" {
                let name = label[i]
                    .as_deref()
                    .ok_or_else(|| format!("row {i}: a category without its label"))?;
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
                }
                ("cell", ColumnProfile::Categorical(p)) => {
                    p.rows = need(rows[i], "rows")?;
                    p.missing = need(missing[i], "missing")?;
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
        let (Some(untimed), Some(timed)) = (built.next(), built.next()) else {
            return Err("internal error: two levels".to_owned());
        };
        let mut header = header;
        for (column, labels) in header.columns.iter_mut().zip(labels.labels) {
            column.labels = labels;
        }
        Ok(Self {
            header,
            untimed,
            timed,
        })
    }
}

/// The level and column a record names.
fn locate(
    i: usize,
    level: &[Option<String>],
    column: &[Option<String>],
    column_of: &HashMap<&str, usize>,
) -> Result<(usize, usize), String> {
    let l = match level[i].as_deref() {
        Some("untimed") => 0,
        Some("timed") => 1,
        other => {
            return Err(format!(
                "row {i}: level {other:?} is neither untimed nor timed"
            ));
        }
    };
    let name = column[i]
        .as_deref()
        .ok_or_else(|| format!("row {i}: a record without its column"))?;
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

    fn cell(&mut self, tuple: Vec<Option<String>>, slot: usize) -> usize {
        let next = self.tuples.len();
        let t = *self.tuple_of.entry(tuple.clone()).or_insert(next);
        if t == next {
            self.tuples.push(tuple);
        }
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
    /// A `value` record: one log value of an untimed cell's slot, which it must lie in.
    fn value(
        &mut self,
        column: usize,
        cell: usize,
        slot: Option<u64>,
        value: Option<f64>,
    ) -> Result<(), String> {
        if self.slots != 1 {
            return Err("a value record on the timed level".to_owned());
        }
        let Some(grid) = &self.grids[column] else {
            return Err("a value record for a column without grid".to_owned());
        };
        let (Some(slot), Some(x)) = (slot, value.filter(|v| v.is_finite())) else {
            return Err("a value record without its slot or a finite value".to_owned());
        };
        if grid.slot(x) as u64 != slot {
            return Err(format!("the value {x} does not lie in slot {slot}"));
        }
        self.values[column]
            .entry((cell as u32, slot as u32))
            .or_default()
            .push(x);
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

/// The long table under construction, one vector per column.
#[derive(Default)]
struct Records {
    record: Vec<&'static str>,
    level: Vec<Option<&'static str>>,
    tuple: Vec<Option<Vec<Option<String>>>>,
    window: Vec<Option<u32>>,
    column: Vec<Option<String>>,
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
    label: Vec<Option<String>>,
    value: Vec<Option<f64>>,
    text: Vec<Option<String>>,
}

/// Where a record sits: the tuple's segment values, the window, the column.
type At<'a> = (Option<&'a [Option<String>]>, Option<u32>, Option<&'a str>);

impl Records {
    fn push(
        &mut self,
        record: &'static str,
        level: Option<&'static str>,
        tuple: Option<&[Option<String>]>,
        window: Option<u32>,
        column: Option<&str>,
    ) -> usize {
        self.record.push(record);
        self.level.push(level);
        self.tuple.push(tuple.map(<[_]>::to_vec));
        self.window.push(window);
        self.column.push(column.map(str::to_owned));
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
        self.label.push(None);
        self.text.push(None);
        self.record.len() - 1
    }

    /// A cell's record and its slot or category records (only the non-empty ones).
    fn profile(&mut self, level: &'static str, at: At, p: &ColumnProfile, labels: &[String]) {
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
                for (s, (&n, &sum)) in p.counts.iter().zip(&p.sums).enumerate() {
                    if n > 0 {
                        let j = self.push("slot", Some(level), tuple, window, column);
                        self.slot[j] = Some(s as u32);
                        self.count[j] = Some(n);
                        self.sum[j] = Some(sum);
                    }
                }
            }
            ColumnProfile::Categorical(p) => {
                self.rows[i] = Some(p.rows);
                self.missing[i] = Some(p.missing);
                for (code, &n) in p.counts.iter().enumerate() {
                    if n > 0 {
                        let j = self.push("category", Some(level), tuple, window, column);
                        self.label[j] = labels.get(code).cloned();
                        self.count[j] = Some(n);
                    }
                }
            }
        }
    }

    fn frame(self, segments: &[String]) -> Result<DataFrame, String> {
        let mut columns = vec![
            Column::new("record".into(), self.record),
            Column::new("level".into(), self.level),
        ];
        for (k, s) in segments.iter().enumerate() {
            let values: Vec<Option<String>> = self
                .tuple
                .iter()
                .map(|t| t.as_ref().and_then(|t| t.get(k).cloned().flatten()))
                .collect();
            columns.push(Column::new(format!("{SEGMENT_PREFIX}{s}").into(), values));
        }
        columns.extend([
            Column::new("window".into(), self.window),
            Column::new("column".into(), self.column),
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
            Column::new("label".into(), self.label),
            Column::new("value".into(), self.value),
            Column::new("text".into(), self.text),
        ]);
        DataFrame::new_infer_height(columns).map_err(|e| e.to_string())
    }
}
