//! Files → polars frames. The format is chosen by extension and checked against the content;
//! polars' lazy readers do the reading. When polars refuses a file we look again ourselves to name
//! the line that is wrong, because polars' messages rarely do.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use polars::prelude::*;

use super::error::DataError;
use super::timestamps::{self, TimeSource};

/// The file formats driftscope reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Csv { separator: u8 },
    Parquet,
    JsonLines,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Self::Csv { separator: b'\t' } => "TSV",
            Self::Csv { .. } => "CSV",
            Self::Parquet => "Parquet",
            Self::JsonLines => "JSON lines",
        }
    }
}

/// A loaded file: the frame plus what loading did to it, so it can be explained.
#[derive(Clone, Debug)]
pub struct Table {
    pub path: std::path::PathBuf,
    pub format: Format,
    pub frame: DataFrame,
    /// Columns that came out of nested objects: column name → path in the source (`features.age`).
    pub flattened: BTreeMap<String, String>,
    /// Columns turned into UTC timestamps, and what they were before.
    pub time_columns: BTreeMap<String, TimeSource>,
    /// First and last time of each of those columns, computed once at load (panels show it every
    /// frame).
    pub time_ranges: BTreeMap<String, (i64, i64)>,
    /// Things a person should know about the file that did not stop it loading.
    pub warnings: Vec<String>,
}

impl Table {
    pub fn rows(&self) -> usize {
        self.frame.height()
    }

    /// First and last time (µs since the epoch, UTC) of a timestamp column.
    pub fn time_range(&self, column: &str) -> Option<(i64, i64)> {
        self.time_ranges.get(column).copied()
    }

    /// The file's name without its folder, for titles.
    pub fn file_name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.path.display().to_string())
    }

    pub fn column_names(&self) -> Vec<String> {
        self.frame
            .get_column_names()
            .into_iter()
            .map(|n| n.to_string())
            .collect()
    }
}

const PARQUET_MAGIC: &[u8; 4] = b"PAR1";

/// Reads a CSV, Parquet or JSON-lines file into a [`Table`]: nested objects flattened, timestamp
/// columns parsed to UTC.
pub fn load_table(path: &Path) -> Result<Table, DataError> {
    load_part(path, None)
}

/// About how long [`load_table`] takes on `path`, for a progress estimate: its size over a
/// reading pace per format measured on a 2-core machine (BENCHMARKS.md, "Opening a log":
/// Parquet ~100 MB/s of file, CSV ~110 MB/s, JSON lines ~90 MB/s, flattening and timestamps
/// included), scaled by how this machine's last reads compared ([`learn_read_pace`]).
pub fn expected_read_time(path: &Path) -> std::time::Duration {
    let bytes = std::fs::metadata(path).map_or(0, |m| m.len()) as f64;
    let per_second = match detect_format(path) {
        Ok(Format::Parquet) => 100e6,
        Ok(Format::Csv { .. }) => 110e6,
        Ok(Format::JsonLines) | Err(_) => 90e6,
    };
    std::time::Duration::from_secs_f64(bytes / per_second * read_pace())
}

/// This machine's reading time over the expected one, learnt from the reads of this run
/// (1 before any): kept as `f64` bits.
static READ_PACE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

pub(crate) fn read_pace() -> f64 {
    match READ_PACE.load(std::sync::atomic::Ordering::Relaxed) {
        0 => 1.0,
        bits => f64::from_bits(bits),
    }
}

/// Learns from a read that was expected to take `expected` (at today's pace) and took `took`:
/// the next estimates move halfway towards this machine's pace. Reads too short to time
/// (under 50 ms) teach nothing.
pub fn learn_read_pace(expected: std::time::Duration, took: std::time::Duration) {
    if expected.as_secs_f64() < 0.05 || took.as_secs_f64() < 0.05 {
        return;
    }
    let seen = read_pace() * took.as_secs_f64() / expected.as_secs_f64();
    let pace = ((read_pace() + seen) / 2.0).clamp(0.05, 20.0);
    READ_PACE.store(pace.to_bits(), std::sync::atomic::Ordering::Relaxed);
}

/// Rows `offset..offset + len` of a file, read and prepared as [`load_table`] prepares the
/// whole (flattened, timestamps parsed), holding only those rows in memory: how a log larger
/// than memory is read batch by batch. The file's lines are checked with the first batch. A
/// slice past the end is an empty table.
pub fn load_table_slice(path: &Path, offset: usize, len: usize) -> Result<Table, DataError> {
    load_part(path, Some((offset, len)))
}

fn load_part(path: &Path, slice: Option<(usize, usize)>) -> Result<Table, DataError> {
    let meta = std::fs::metadata(path).map_err(|e| DataError::io(path, e))?;
    if meta.is_dir() {
        return Err(DataError::IsDirectory {
            path: path.to_owned(),
        });
    }
    if meta.len() == 0 {
        return Err(DataError::Empty {
            path: path.to_owned(),
        });
    }
    let format = detect_format(path)?;
    let frame = match format {
        Format::Csv { separator } => read_csv(path, separator, slice)?,
        Format::Parquet => read_parquet(path, meta.len(), slice)?,
        Format::JsonLines => read_json_lines(path, slice)?,
    };
    if frame.height() == 0 && slice.is_none_or(|(offset, _)| offset == 0) {
        return Err(match format {
            Format::Csv { .. } => DataError::HeaderOnly {
                path: path.to_owned(),
            },
            _ => DataError::NoRows {
                path: path.to_owned(),
            },
        });
    }
    let (mut frame, flattened) = flatten(frame).map_err(|e| polars_error(path, &e))?;
    let mut warnings = Vec::new();
    let time_columns = timestamps::parse_time_columns(&mut frame, &mut warnings)
        .map_err(|e| polars_error(path, &e))?;
    contiguous_floats(&mut frame).map_err(|e| polars_error(path, &e))?;
    let time_ranges = time_columns
        .keys()
        .filter_map(|name| {
            let series = frame.column(name).ok()?.as_materialized_series();
            let physical = series.to_physical_repr();
            let micros = physical.i64().ok()?;
            Some((name.clone(), (micros.min()?, micros.max()?)))
        })
        .collect();
    Ok(Table {
        path: path.to_owned(),
        format,
        frame,
        flattened,
        time_columns,
        time_ranges,
        warnings,
    })
}

/// Every float column in one chunk (a Parquet file's row groups and the streaming engine's
/// morsels arrive as many), one column at a time so that only one column is ever held twice:
/// the analysis then reads a float column without nulls straight from the frame's buffer instead
/// of copying it (`analysis::columns::numeric_column`), and row lookups need no chunk search.
fn contiguous_floats(frame: &mut DataFrame) -> PolarsResult<()> {
    let chunked: Vec<PlSmallStr> = frame
        .columns()
        .iter()
        .filter(|c| c.dtype() == &DataType::Float64 && c.n_chunks() > 1)
        .map(|c| c.name().clone())
        .collect();
    for name in chunked {
        let whole = frame.column(&name)?.rechunk();
        frame.with_column(whole)?;
    }
    Ok(())
}

/// Decides the format from the extension, checked against the first bytes of the file.
pub fn detect_format(path: &Path) -> Result<Format, DataError> {
    let head = read_head(path, 8192)?;
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let sniffed = sniff(&head);
    let unknown = || DataError::UnknownFormat {
        path: path.to_owned(),
        extension: extension.clone(),
    };
    let by_extension = match extension.as_deref() {
        Some("parquet" | "pq" | "parq") => Some(Format::Parquet),
        Some("jsonl" | "ndjson" | "json") => Some(Format::JsonLines),
        Some("csv") => Some(Format::Csv {
            separator: csv_separator(&head).unwrap_or(b','),
        }),
        Some("tsv" | "tab") => Some(Format::Csv { separator: b'\t' }),
        _ => None,
    };
    match (by_extension, sniffed) {
        // The content decides when it is unambiguous: a Parquet file named .csv is still Parquet.
        (_, Some(Sniffed::Parquet)) => Ok(Format::Parquet),
        (Some(Format::Parquet), _) => Err(DataError::invalid(
            path,
            "not a Parquet file (it does not start with the Parquet magic bytes 'PAR1')",
        )),
        (Some(format), _) => Ok(format),
        (None, Some(Sniffed::Json)) => Ok(Format::JsonLines),
        (None, Some(Sniffed::Text)) => csv_separator(&head)
            .map(|separator| Format::Csv { separator })
            .ok_or_else(unknown),
        (None, None) => Err(unknown()),
    }
}

enum Sniffed {
    Parquet,
    Json,
    Text,
}

fn sniff(head: &[u8]) -> Option<Sniffed> {
    if head.starts_with(PARQUET_MAGIC) {
        return Some(Sniffed::Parquet);
    }
    let text = match std::str::from_utf8(head) {
        Ok(t) => t,
        // The head may end inside a multi-byte character.
        Err(e) if e.valid_up_to() + 4 >= head.len() && e.valid_up_to() > 0 => {
            std::str::from_utf8(&head[..e.valid_up_to()]).ok()?
        }
        Err(_) => return None,
    };
    if text.contains('\0') {
        return None;
    }
    match text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .chars()
        .next()
    {
        Some('{') => Some(Sniffed::Json),
        Some(_) => Some(Sniffed::Text),
        None => None,
    }
}

/// The separator of a delimited text file: the candidate seen most often, outside quotes, on the
/// first line.
fn csv_separator(head: &[u8]) -> Option<u8> {
    let first_line = head.split(|&b| b == b'\n').next()?;
    let mut counts = [0usize; 4];
    let candidates = [b',', b'\t', b';', b'|'];
    let mut quoted = false;
    for &b in first_line {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(i) = candidates.iter().position(|&c| c == b) {
            counts[i] += 1;
        }
    }
    let (best, &count) = counts.iter().enumerate().max_by_key(|&(_, c)| *c)?;
    if count == 0 {
        // A single-column file has no separator; a comma is as good as any.
        return (!first_line.is_empty()).then_some(b',');
    }
    Some(candidates[best])
}

fn read_head(path: &Path, len: usize) -> Result<Vec<u8>, DataError> {
    let file = File::open(path).map_err(|e| DataError::io(path, e))?;
    let mut head = Vec::with_capacity(len);
    file.take(len as u64)
        .read_to_end(&mut head)
        .map_err(|e| DataError::io(path, e))?;
    Ok(head)
}

fn pl_path(path: &Path) -> Result<PlRefPath, DataError> {
    PlRefPath::try_from_path(path).map_err(|e| polars_error(path, &e))
}

/// The rows a slice asks for, or all of them.
fn sliced(lazy: LazyFrame, slice: Option<(usize, usize)>) -> LazyFrame {
    match slice {
        Some((offset, len)) => lazy.slice(offset as i64, len.min(u32::MAX as usize) as IdxSize),
        None => lazy,
    }
}

/// Whether this read checks the file's lines: a whole read, or a slice's first batch.
fn checks_lines(slice: Option<(usize, usize)>) -> bool {
    slice.is_none_or(|(offset, _)| offset == 0)
}

fn read_csv(
    path: &Path,
    separator: u8,
    slice: Option<(usize, usize)>,
) -> Result<DataFrame, DataError> {
    let result = LazyCsvReader::new(pl_path(path)?)
        .with_has_header(true)
        .with_separator(separator)
        .with_infer_schema_length(Some(10_000))
        .with_missing_is_null(true)
        .with_raise_if_empty(false)
        .finish()
        .map(|lazy| sliced(lazy, slice))
        .and_then(LazyFrame::collect);
    match result {
        Ok(frame) => {
            // polars fills short rows with nulls; a log with short rows is broken, say where.
            if checks_lines(slice)
                && let Some(err) = diagnose_delimited(path, separator, frame.width())?
            {
                return Err(err);
            }
            Ok(frame)
        }
        Err(e) => {
            Err(diagnose_delimited(path, separator, 0)?.unwrap_or_else(|| polars_error(path, &e)))
        }
    }
}

/// Walks a delimited file record by record: the first invalid UTF-8 byte or the first record whose
/// field count differs from the header's, with its line number. `expected_fields` = 0 takes the
/// header's count.
fn diagnose_delimited(
    path: &Path,
    separator: u8,
    expected_fields: usize,
) -> Result<Option<DataError>, DataError> {
    let file = File::open(path).map_err(|e| DataError::io(path, e))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut line = Vec::new();
    let mut line_no = 0usize;
    let mut record_start = 1usize;
    let mut fields = 1usize;
    let mut quoted = false;
    let mut expected = (expected_fields > 0).then_some(expected_fields);
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| DataError::io(path, e))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        if let Err(e) = std::str::from_utf8(&line) {
            return Ok(Some(DataError::at_line(
                path,
                line_no,
                format!(
                    "not valid UTF-8 text (byte {} of the line); save the file as UTF-8",
                    e.valid_up_to() + 1
                ),
            )));
        }
        let body = line.strip_suffix(b"\n").unwrap_or(&line);
        let body = body.strip_suffix(b"\r").unwrap_or(body);
        if !quoted && body.is_empty() {
            continue;
        }
        for &b in body {
            if b == b'"' {
                quoted = !quoted;
            } else if b == separator && !quoted {
                fields += 1;
            }
        }
        if quoted {
            // The record goes on past this line break.
            continue;
        }
        match expected {
            None => expected = Some(fields),
            Some(want) if want != fields => {
                let sep = if separator == b'\t' {
                    "tab".to_owned()
                } else {
                    format!("'{}'", separator as char)
                };
                let place = if record_start == line_no {
                    String::new()
                } else {
                    format!(" (record starting on line {record_start})")
                };
                return Ok(Some(DataError::at_line(
                    path,
                    line_no,
                    format!(
                        "has {fields} fields but the header has {want}{place}; fields are separated by {sep}"
                    ),
                )));
            }
            Some(_) => {}
        }
        fields = 1;
        record_start = line_no + 1;
    }
    if quoted {
        return Ok(Some(DataError::at_line(
            path,
            record_start,
            "a quoted field is never closed",
        )));
    }
    Ok(None)
}

fn read_parquet(
    path: &Path,
    len: u64,
    slice: Option<(usize, usize)>,
) -> Result<DataFrame, DataError> {
    let mut file = File::open(path).map_err(|e| DataError::io(path, e))?;
    let mut tail = [0u8; 4];
    let footer_ok = len >= 12
        && file.seek(SeekFrom::End(-4)).is_ok()
        && file.read_exact(&mut tail).is_ok()
        && &tail == PARQUET_MAGIC;
    if !footer_ok {
        return Err(DataError::invalid(
            path,
            "truncated or corrupt Parquet file: the footer is missing (was the copy interrupted?)",
        ));
    }
    LazyFrame::scan_parquet(pl_path(path)?, ScanArgsParquet::default())
        .map(|lazy| sliced(lazy, slice))
        .and_then(LazyFrame::collect)
        .map_err(|e| {
            DataError::invalid(
                path,
                format!("corrupt Parquet file: {}", polars_message(&e)),
            )
        })
}

fn read_json_lines(path: &Path, slice: Option<(usize, usize)>) -> Result<DataFrame, DataError> {
    // Check the lines first: polars' own errors do not say which line is wrong, and a log with
    // one broken line is common (a process killed mid-write).
    if checks_lines(slice)
        && let Some(err) = diagnose_json_lines(path)?
    {
        return Err(err);
    }
    LazyJsonLineReader::new(pl_path(path)?)
        .with_infer_schema_length(std::num::NonZeroUsize::new(10_000))
        .finish()
        .map(|lazy| sliced(lazy, slice))
        .and_then(LazyFrame::collect)
        .map_err(|e| polars_error(path, &e))
}

/// The first line that is not a JSON object, or not UTF-8.
fn diagnose_json_lines(path: &Path) -> Result<Option<DataError>, DataError> {
    let file = File::open(path).map_err(|e| DataError::io(path, e))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut line = Vec::new();
    let mut line_no = 0usize;
    let mut objects = 0usize;
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| DataError::io(path, e))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let text = match std::str::from_utf8(&line) {
            Ok(t) => t.trim_start_matches('\u{feff}').trim(),
            Err(e) => {
                return Ok(Some(DataError::at_line(
                    path,
                    line_no,
                    format!(
                        "not valid UTF-8 text (byte {} of the line); save the file as UTF-8",
                        e.valid_up_to() + 1
                    ),
                )));
            }
        };
        if text.is_empty() {
            continue;
        }
        match serde_json::from_str::<serde::de::IgnoredAny>(text) {
            Ok(_) if text.starts_with('{') => objects += 1,
            Ok(_) => {
                return Ok(Some(DataError::at_line(
                    path,
                    line_no,
                    "is valid JSON but not an object; each line of a JSON-lines log must be one {...} object",
                )));
            }
            Err(e) => {
                return Ok(Some(DataError::at_line(
                    path,
                    line_no,
                    format!("invalid JSON: {e}"),
                )));
            }
        }
    }
    if objects == 0 {
        return Ok(Some(DataError::NoRows {
            path: path.to_owned(),
        }));
    }
    Ok(None)
}

/// Replaces every struct column by its fields, recursively. A field keeps its own name unless that
/// name is taken (by another column or by a field of another struct); then it is prefixed with its
/// parent's path, `parent.field`.
pub fn flatten(frame: DataFrame) -> PolarsResult<(DataFrame, BTreeMap<String, String>)> {
    let mut flattened = BTreeMap::new();
    let mut leaves: Vec<(Vec<String>, Column)> = Vec::new();
    for column in frame.into_columns() {
        collect_leaves(vec![column.name().to_string()], column, &mut leaves)?;
    }
    // A leaf's short name is its last path element; it is only used when unique.
    let mut short_counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (path, _) in &leaves {
        if let Some(last) = path.last() {
            *short_counts.entry(last.as_str()).or_default() += 1;
        }
    }
    let mut taken: BTreeSet<String> = BTreeSet::new();
    let mut named = Vec::with_capacity(leaves.len());
    for (path, column) in &leaves {
        let short = path.last().cloned().unwrap_or_default();
        let mut name = if short_counts.get(short.as_str()) == Some(&1) {
            short
        } else {
            path.join(".")
        };
        while taken.contains(&name) {
            name.push('_');
        }
        taken.insert(name.clone());
        if path.len() > 1 {
            flattened.insert(name.clone(), path.join("."));
        }
        named.push(column.clone().with_name(name.into()));
    }
    Ok((DataFrame::new_infer_height(named)?, flattened))
}

fn collect_leaves(
    path: Vec<String>,
    column: Column,
    out: &mut Vec<(Vec<String>, Column)>,
) -> PolarsResult<()> {
    if matches!(column.dtype(), DataType::Struct(_)) {
        let series = column.as_materialized_series().clone();
        let fields = series.struct_()?.fields_as_series();
        for field in fields {
            let mut child = path.clone();
            child.push(field.name().to_string());
            collect_leaves(child, field.into_column(), out)?;
        }
    } else {
        out.push((path, column));
    }
    Ok(())
}

pub(crate) fn polars_message(e: &PolarsError) -> String {
    // polars' messages carry a backtrace hint and an "Error originated just after this operation"
    // plan dump on some errors; the first line is the part a person can act on.
    let msg = e.to_string();
    msg.lines().next().unwrap_or_default().trim().to_owned()
}

pub(crate) fn polars_error(path: &Path, e: &PolarsError) -> DataError {
    DataError::invalid(path, polars_message(e))
}
