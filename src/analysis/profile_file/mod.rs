//! The log's profile as a file (`driftscope profile`): every cell of the log — segment tuple at
//! the untimed level, segment tuple × window at the timed level — with, per analysed column, its
//! counts, sums and moments on the grid the baseline fixed, or its category counts. One long
//! Parquet table that any engine can write (the schema is in `docs/profile.md`): a `header`
//! record (JSON: format version, inputs and their SHA-256, roles, settings, windows, columns),
//! `edge` records (each grid's edges as doubles, so they round-trip bit for bit), `cell`
//! records (rows, missing, non-finite, finite values, min, max, mean, M2), `slot` records (the
//! non-empty slots: count and sum), `category` records (label and count) and `value` records (the
//! log values an exact answer needs, per untimed tuple and slot).

mod held;
mod open;
mod read;
mod stream;
mod write;

pub use held::{
    Held, HeldProfile, is_profile_file, note_inexact, open_in_batches, open_log, report_from_held,
};
pub use stream::{Batched, CANCELLED, profile_in_batches};

use serde::{Deserialize, Serialize};

use rayon::prelude::*;

use super::drift::ColumnKind;
pub use super::performance::{PerfCell, PerfSpec};
use super::profiles::{self, CellColumn, CellIndex, EntryRequest, StoredValues};
use super::report::{DriftParams, entry_templates, templates_for};
use super::windows::Window;
use super::workspace::{ColumnData, Level, Workspace};
use crate::data::{RoleSet, SchemaDiff};

/// The format's name in the header; a file without it is not a profile.
pub const FORMAT: &str = "driftscope-profile";
/// The format version this build writes and reads.
pub const VERSION: u32 = 2;
/// Column names of segment values carry this prefix (`segment:region`).
pub const SEGMENT_PREFIX: &str = "segment:";

/// One input file as the header records it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InputFile {
    /// The file name (no folder: profiles travel between machines).
    pub name: String,
    pub sha256: String,
    pub rows: usize,
}

/// One analysed column as profiled.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProfiledColumn {
    pub name: String,
    pub kind: ColumnKind,
    /// Integer values on both sides (a numeric column).
    pub integer: bool,
    /// Every distinct baseline value is an edge of the untimed grid (exact KS D).
    pub every_baseline_value: bool,
    /// Why the column has no cells (too many categories to count per cell).
    pub unprofiled: Option<String>,
    /// A categorical column's labels in the order its codes were given (baseline first).
    #[serde(default)]
    pub labels: Vec<String>,
    /// The log values stored for exact answers (numeric columns).
    #[serde(default)]
    pub exact_values: ExactValues,
}

/// How many of the log values that exact answers need a profile stores for one column.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ExactValues {
    /// Values every overall and per-segment entry together needs to be exact.
    pub needed: usize,
    /// Values stored: all needed when within the budget, else those of the largest comparisons.
    pub stored: usize,
    /// Comparisons (sets of log tuples) whose values did not fit: their entries are intervals.
    pub comparisons_left_out: usize,
}

/// The log's time windows as profiled.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProfiledWindows {
    pub timestamp: Option<String>,
    pub windows: Vec<Window>,
    pub rows_without_time: usize,
    pub rows_outside: usize,
    pub notes: Vec<String>,
}

/// What a profile was made from and how: enough to check it against a baseline and settings
/// before it is used, and to name its sources in a report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProfileHeader {
    pub format: String,
    pub version: u32,
    /// The driftscope version that wrote it.
    pub driftscope: String,
    pub baseline: InputFile,
    pub log: InputFile,
    /// The log's columns and their types (for the schema comparison).
    pub log_columns: Vec<(String, String)>,
    pub roles: RoleSet,
    /// The settings the grids were made for (bins and cuts are edges).
    pub params: DriftParams,
    pub columns: Vec<ProfiledColumn>,
    /// The segment columns the timed cells are cut by, and those folded to keep cells bounded.
    pub segments: Vec<String>,
    pub folded: Vec<String>,
    /// The same for the untimed cells (fewer cells: fewer columns folded).
    pub untimed_segments: Vec<String>,
    pub untimed_folded: Vec<String>,
    pub windows: Option<ProfiledWindows>,
    pub window_error: Option<String>,
    /// Baseline vs log: columns on one side only, types that changed.
    #[serde(default)]
    pub schema: SchemaDiff,
    /// What the performance and latency cells (timed level) are about, when the log has labels
    /// and predictions or a latency column.
    #[serde(default)]
    pub performance: Option<PerfSpec>,
}

/// One level of the log's cells.
#[derive(Clone, Debug, PartialEq)]
pub struct ProfiledLevel {
    pub index: CellIndex,
    /// Per column: the grid's edges (numeric columns).
    pub edges: Vec<Option<Vec<f64>>>,
    /// `columns[column][cell]`, empty for an unprofiled column; category codes index the
    /// header's `labels` of the column.
    pub columns: Vec<CellColumn>,
    /// Per column: the log values the report's exact answers need, by (tuple, slot) — the
    /// untimed level only (empty elsewhere and for categorical columns).
    pub values: Vec<StoredValues>,
}

/// The log's side of a report, without its rows.
#[derive(Clone, Debug, PartialEq)]
pub struct LogProfile {
    pub header: ProfileHeader,
    pub untimed: ProfiledLevel,
    pub timed: ProfiledLevel,
    /// Per timed cell: what performance and latency need (`header.performance` says of what).
    pub performance: Option<Vec<PerfCell>>,
}

/// At most this many log values a column `driftscope profile` stores for exact answers, unless
/// `--exact-values` says otherwise: 1 M doubles (8 MB) a column.
pub const DEFAULT_VALUE_BUDGET: usize = 1 << 20;

/// At most this many categories a column when a profile is read: the cells of every category
/// must fit in memory.
pub const MAX_LABELS: usize = 100_000;

pub(super) const LEVELS: [&str; 2] = ["untimed", "timed"];

impl LogProfile {
    /// How many log values the profile stores for exact answers.
    pub fn stored_values(&self) -> usize {
        self.untimed
            .values
            .iter()
            .flat_map(|v| v.values())
            .map(Vec::len)
            .sum()
    }

    /// The log's cells of a workspace the report built (`None` without cells).
    pub fn of(
        ws: &Workspace,
        baseline: InputFile,
        log: InputFile,
        inputs: &crate::data::Inputs,
        params: &DriftParams,
        value_budget: usize,
    ) -> Option<Self> {
        Self::of_within(
            ws,
            (baseline, log),
            inputs,
            params,
            (Some(value_budget), value_budget),
            None,
        )
    }

    /// [`LogProfile::of`] with separate budgets for the values exact entries need (`None`: not
    /// worked out — a batch, whose values the merged profile gathers) and for the scores and
    /// latency values; `timed_columns`, when given, are the workspace's timed log cells taken
    /// out of it (a batch's: moved, not copied).
    pub(crate) fn of_within(
        ws: &Workspace,
        (baseline, log): (InputFile, InputFile),
        inputs: &crate::data::Inputs,
        params: &DriftParams,
        (value_budget, perf_budget): (Option<usize>, usize),
        timed_columns: Option<Vec<CellColumn>>,
    ) -> Option<Self> {
        let cells = ws.cells()?;
        let (mut stored, summaries): (Vec<StoredValues>, Vec<ExactValues>) = match value_budget {
            Some(budget) => needed_values(ws, cells.untimed(), budget)
                .into_iter()
                .unzip(),
            None => (
                vec![StoredValues::new(); ws.prepared.len()],
                vec![ExactValues::default(); ws.prepared.len()],
            ),
        };
        let mut timed_columns = timed_columns;
        let mut level = |l: Level, untimed: bool| {
            // No finer untimed grid: the untimed cells are the timed ones merged over time.
            let merge_time = untimed && l.log.index.slots > 1;
            let i = &l.log.index;
            let index = CellIndex {
                segments: i.segments.clone(),
                tuples: i.tuples.clone(),
                slots: if merge_time { 1 } else { i.slots },
                folded: i.folded.clone(),
                cell_of_row: Vec::new(),
            };
            let columns = if merge_time {
                (0..l.log.columns.len())
                    .map(|c| {
                        CellColumn::Dense(
                            (0..index.tuples.len())
                                .filter_map(|t| l.log.merged(c, |tuple, _| tuple == t))
                                .collect(),
                        )
                    })
                    .collect()
            } else if !untimed && let Some(taken) = timed_columns.take() {
                taken
            } else {
                l.log.columns.clone()
            };
            ProfiledLevel {
                index,
                edges: l
                    .grids
                    .iter()
                    .map(|g| g.as_ref().map(|g| g.grid.edges.clone()))
                    .collect(),
                values: if untimed {
                    std::mem::take(&mut stored)
                } else {
                    vec![StoredValues::new(); l.grids.len()]
                },
                columns,
            }
        };
        let (untimed, timed) = (level(cells.untimed(), true), level(cells.timed(), false));
        let timed_index = &cells.timed().log.index;
        let performance = super::performance::perf_profile(
            inputs,
            &ws.prepared,
            &timed_index.cell_of_row,
            timed_index.cells(),
            perf_budget,
        );
        let fine = cells.untimed();
        let columns = ws
            .prepared
            .iter()
            .enumerate()
            .map(|(i, p)| ProfiledColumn {
                name: p.name.clone(),
                kind: p.kind(),
                integer: matches!(p.data, ColumnData::Numeric { integer: true, .. }),
                every_baseline_value: fine
                    .grids
                    .get(i)
                    .and_then(Option::as_ref)
                    .is_some_and(|g| g.grid.every_baseline_value),
                unprofiled: untimed.columns[i]
                    .is_empty()
                    .then(|| "too many categories to count per cell".to_owned()),
                labels: match &p.data {
                    ColumnData::Categorical { labels, .. } => labels.clone(),
                    ColumnData::Numeric { .. } => Vec::new(),
                },
                exact_values: summaries.get(i).cloned().unwrap_or_default(),
            })
            .collect();
        let header = ProfileHeader {
            format: FORMAT.to_owned(),
            version: VERSION,
            driftscope: env!("CARGO_PKG_VERSION").to_owned(),
            baseline,
            log,
            log_columns: inputs
                .current
                .frame
                .columns()
                .iter()
                .map(|c| (c.name().to_string(), c.dtype().to_string()))
                .collect(),
            roles: inputs.roles.clone(),
            params: params.clone(),
            columns,
            segments: timed.index.segments.clone(),
            folded: timed.index.folded.clone(),
            untimed_segments: untimed.index.segments.clone(),
            untimed_folded: untimed.index.folded.clone(),
            windows: cells.windows.as_ref().map(|a| ProfiledWindows {
                timestamp: a.timestamp.clone(),
                windows: a.windows.clone(),
                rows_without_time: a.rows_without_time,
                rows_outside: a.rows_outside,
                notes: a.notes.clone(),
            }),
            window_error: cells.window_error.clone(),
            schema: inputs.schema.clone(),
            performance: performance.as_ref().map(|p| p.spec.clone()),
        };
        Some(Self {
            header,
            untimed,
            timed,
            performance: performance.map(|p| p.cells),
        })
    }
}

/// Per column, the log values that the report's overall and per-segment entries need to be
/// exact (see `profiles::exact_entries`), by untimed tuple and slot — at most `budget` values a
/// column, the comparisons with the most rows first — gathered from the rows in one pass per
/// column, so that a report from the profile alone is exact as well.
fn needed_values(ws: &Workspace, level: Level, budget: usize) -> Vec<(StoredValues, ExactValues)> {
    let index = &level.log.index;
    let slots = index.slots.max(1);
    value_needs(ws, level, budget)
        .into_par_iter()
        .zip(ws.prepared.par_iter())
        .enumerate()
        .map(|(i, (needs, p))| {
            let (Some(needs), ColumnData::Numeric { current, .. }, Some(Some(g))) =
                (needs, &p.data, level.grids.get(i))
            else {
                return (StoredValues::new(), ExactValues::default());
            };
            let summary = needs.summary();
            if needs.stored == 0 {
                return (StoredValues::new(), summary);
            }
            let mut out = StoredValues::new();
            for (v, &cell) in current.iter().zip(&index.cell_of_row) {
                let Some(x) = v.filter(|x| x.is_finite()) else {
                    continue;
                };
                let tuple = cell as usize / slots;
                let slot = g.grid.slot(x);
                if needs.per_tuple.get(tuple).is_some_and(|w| w[slot]) {
                    out.entry((tuple as u32, slot as u32)).or_default().push(x);
                }
            }
            (out, summary)
        })
        .collect()
}

/// Per column, which log values its overall and per-segment entries need to be exact, within
/// `budget` values (`None`: not a numeric column with a grid).
pub(crate) fn value_needs(
    ws: &Workspace,
    level: Level,
    budget: usize,
) -> Vec<Option<profiles::Needs>> {
    let templates = entry_templates(level);
    ws.prepared
        .par_iter()
        .enumerate()
        .map(|(i, p)| {
            if !matches!(p.data, ColumnData::Numeric { .. })
                || !matches!(level.grids.get(i), Some(Some(_)))
            {
                return None;
            }
            let requests: Vec<&EntryRequest> = templates_for(&templates, &p.name)
                .into_iter()
                .map(|(_, _, r)| r)
                .collect();
            Some(profiles::log_needs(i, level, &requests, budget))
        })
        .collect()
}

impl profiles::Needs {
    fn summary(&self) -> ExactValues {
        ExactValues {
            needed: self.needed,
            stored: self.stored,
            comparisons_left_out: self.left_out,
        }
    }
}
