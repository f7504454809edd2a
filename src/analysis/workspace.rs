//! The shared ground of every analysis: the two sides, the analysed columns taken out of the
//! frames once (`Prepared`), their whole-baseline references, the row groups of segment columns,
//! and the cell profiles (`profiles`) — built once per pair of inputs and settings and used by the
//! report, the slices, the heatmap and the timelines.

use std::collections::HashSet;

use polars::prelude::DataFrame;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::columns::{self, Codes, Dictionary, Groups};
use super::drift::{
    self, CategoricalReference, ColumnDrift, ColumnKind, DriftSettings, NumericReference,
};
use super::profiles::{self, CellIndex, CellProfiles, ColumnGrid, ColumnProfile};
use super::report::DriftParams;
use super::windows;
use crate::data::roles::closest;
use crate::data::{ColumnRole, Inputs, Role, Table, ValueKind};
use crate::jobs::JobState;

/// Which file a slice takes its rows from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Baseline,
    #[default]
    Log,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Baseline => "baseline",
            Side::Log => "log",
        }
    }
}

/// A segment value: the current-side slice `column = value`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentRef {
    pub column: String,
    pub value: String,
}

/// What the current side is compared against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reference {
    /// The whole baseline.
    Baseline,
    /// The same segment value in the baseline.
    BaselineSegment,
}

/// Values of one analysed column on both sides.
pub(crate) enum ColumnData {
    Numeric {
        baseline: columns::Values,
        current: columns::Values,
        /// Integer dtype on both sides.
        integer: bool,
    },
    Categorical {
        labels: Vec<String>,
        baseline: Codes,
        current: Codes,
    },
}

pub(crate) struct Prepared {
    pub name: String,
    pub role: Role,
    pub data: ColumnData,
}

impl Prepared {
    pub fn kind(&self) -> ColumnKind {
        match self.data {
            ColumnData::Numeric { .. } => ColumnKind::Numeric,
            ColumnData::Categorical { .. } => ColumnKind::Categorical,
        }
    }

    /// The reference prepared from some baseline rows (all rows when `rows` is `None`).
    pub fn reference(&self, rows: Option<&[usize]>, settings: &DriftSettings) -> PreparedRef {
        self.reference_on(Side::Baseline, rows, settings)
    }

    /// The reference prepared from some rows of either side (all rows when `rows` is `None`).
    pub fn reference_on(
        &self,
        side: Side,
        rows: Option<&[usize]>,
        settings: &DriftSettings,
    ) -> PreparedRef {
        match &self.data {
            ColumnData::Numeric {
                baseline,
                current,
                integer,
            } => {
                let all = if side == Side::Baseline {
                    baseline
                } else {
                    current
                };
                let values = rows.map_or_else(|| all.to_options(), |r| all.take(r));
                let mut reference =
                    NumericReference::new(&values, &settings.column(&self.name), settings.bins);
                reference.integer = *integer && values.iter().all(Option::is_some);
                PreparedRef::Numeric(reference)
            }
            ColumnData::Categorical {
                labels,
                baseline,
                current,
            } => {
                let all = if side == Side::Baseline {
                    baseline
                } else {
                    current
                };
                PreparedRef::Categorical(match rows {
                    None => CategoricalReference::of(all.iter(), labels.len()),
                    Some(r) => {
                        CategoricalReference::of(r.iter().map(|&i| all.get(i)), labels.len())
                    }
                })
            }
        }
    }

    /// A numeric column's values on one side (all rows when `rows` is `None`); empty for a
    /// categorical column.
    pub fn values_on(&self, side: Side, rows: Option<&[usize]>) -> Vec<Option<f64>> {
        match &self.data {
            ColumnData::Numeric {
                baseline, current, ..
            } => {
                let all = if side == Side::Baseline {
                    baseline
                } else {
                    current
                };
                rows.map_or_else(|| all.to_options(), |r| all.take(r))
            }
            ColumnData::Categorical { .. } => Vec::new(),
        }
    }

    /// This column's drift for some current rows (all when `rows` is `None`).
    pub fn drift(
        &self,
        reference: &PreparedRef,
        rows: Option<&[usize]>,
        settings: &DriftSettings,
    ) -> ColumnDrift {
        self.drift_on(reference, Side::Log, rows, settings)
    }

    /// This column's drift for some current rows against the whole baseline and, when given, a
    /// baseline segment — the slice's values taken and sorted once for both.
    pub fn drift_pair(
        &self,
        whole: &PreparedRef,
        segment: Option<&PreparedRef>,
        rows: &[usize],
        settings: &DriftSettings,
    ) -> (ColumnDrift, Option<ColumnDrift>) {
        match (&self.data, whole) {
            (ColumnData::Numeric { current, .. }, PreparedRef::Numeric(w)) => {
                let sample = drift::NumericSample::new(&current.take(rows));
                let one = |r: &NumericReference| {
                    drift::numeric_drift_sample(&self.name, r, &sample, settings)
                };
                let second = match segment {
                    Some(PreparedRef::Numeric(seg)) => Some(one(seg)),
                    Some(other) => Some(self.drift(other, Some(rows), settings)),
                    None => None,
                };
                (one(w), second)
            }
            _ => (
                self.drift(whole, Some(rows), settings),
                segment.map(|seg| self.drift(seg, Some(rows), settings)),
            ),
        }
    }

    /// This column's drift for some rows of either side (all when `rows` is `None`).
    pub fn drift_on(
        &self,
        reference: &PreparedRef,
        side: Side,
        rows: Option<&[usize]>,
        settings: &DriftSettings,
    ) -> ColumnDrift {
        match (&self.data, reference) {
            (
                ColumnData::Numeric {
                    baseline, current, ..
                },
                PreparedRef::Numeric(r),
            ) => {
                let side = if side == Side::Baseline {
                    baseline
                } else {
                    current
                };
                let values = rows.map_or_else(|| side.to_options(), |rows| side.take(rows));
                drift::numeric_drift(&self.name, r, &values, settings)
            }
            (
                ColumnData::Categorical {
                    labels,
                    baseline,
                    current,
                },
                PreparedRef::Categorical(r),
            ) => {
                let side = if side == Side::Baseline {
                    baseline
                } else {
                    current
                };
                match rows {
                    None => drift::categorical_drift(&self.name, r, side.iter(), labels, settings),
                    Some(rows) => {
                        let codes = rows.iter().map(|&i| side.get(i));
                        drift::categorical_drift(&self.name, r, codes, labels, settings)
                    }
                }
            }
            // References are built from the column they are used with, so kinds always agree;
            // should that ever break, the column is reported without a verdict, not a panic.
            _ => unmeasured(
                &self.name,
                self.kind(),
                "internal error: reference of another kind",
            ),
        }
    }
}

/// A column that could not be measured, with the reason: no score, no verdict.
pub(crate) fn unmeasured(name: &str, kind: ColumnKind, why: &str) -> ColumnDrift {
    ColumnDrift {
        column: name.to_owned(),
        kind,
        n_baseline: 0,
        n_current: 0,
        method: drift::Decider::Method(drift::Method::JensenShannon),
        score: None,
        threshold: 0.0,
        lower_is_drift: false,
        drifted: false,
        note: Some(why.to_owned()),
        exact: true,
        score_interval: None,
        stats: drift::DriftStats::default(),
    }
}

pub(crate) enum PreparedRef {
    Numeric(NumericReference),
    Categorical(CategoricalReference),
}

/// Roles whose columns get a drift verdict.
fn analysed(role: Role) -> bool {
    matches!(
        role,
        Role::Feature | Role::Prediction | Role::Score | Role::ClassProbability | Role::Label
    )
}

/// Numbers with few whole values in a prediction or label column are classes, not quantities.
fn looks_like_classes(values: &columns::Values) -> bool {
    let mut seen = HashSet::new();
    for v in values.iter().flatten() {
        if v.fract() != 0.0 {
            return false;
        }
        seen.insert(v as i64);
        if seen.len() > 50 {
            return false;
        }
    }
    true
}

/// Advances a job's count when dropped: one unit of work done, however it ended.
pub(crate) struct Counted<'a>(pub &'a JobState);

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.0.advance(1);
    }
}

/// Every analysed column's values read out of both frames (none more once `state` is
/// cancelled: the caller throws them away).
pub(crate) fn prepare(inputs: &Inputs, state: &JobState) -> Vec<Prepared> {
    let (b, c) = (&inputs.baseline.frame, &inputs.current.frame);
    let wanted = |col: &&ColumnRole| {
        analysed(col.role) && b.column(&col.column).is_ok() && c.column(&col.column).is_ok()
    };
    state.stage(
        "reading columns",
        inputs.roles.columns.iter().filter(wanted).count() as u64,
    );
    inputs
        .roles
        .columns
        .par_iter()
        .filter(wanted)
        .filter_map(|col| {
            if state.is_cancelled() {
                return None;
            }
            // Counted when it ends, whichever way.
            let _counted = Counted(state);
            let categorical = |b: &DataFrame, c: &DataFrame| {
                let mut dict = Dictionary::default();
                let stop = || state.is_cancelled();
                let baseline =
                    columns::label_codes_until(b, &col.column, &mut dict, &stop).ok()??;
                let current =
                    columns::label_codes_until(c, &col.column, &mut dict, &stop).ok()??;
                Some(ColumnData::Categorical {
                    labels: dict.labels,
                    baseline,
                    current,
                })
            };
            let data = match col.kind {
                ValueKind::Numeric => {
                    let baseline = columns::numeric_column(b, &col.column).ok()?;
                    let current = columns::numeric_column(c, &col.column).ok()?;
                    let classes = matches!(col.role, Role::Prediction | Role::Label)
                        && looks_like_classes(&baseline)
                        && looks_like_classes(&current);
                    if classes {
                        categorical(b, c)?
                    } else {
                        let int = |f: &DataFrame| {
                            f.column(&col.column).is_ok_and(|c| c.dtype().is_integer())
                        };
                        ColumnData::Numeric {
                            integer: int(b) && int(c),
                            baseline,
                            current,
                        }
                    }
                }
                ValueKind::Categorical => categorical(b, c)?,
                ValueKind::Datetime | ValueKind::Other => return None,
            };
            Some(Prepared {
                name: col.column.clone(),
                role: col.role,
                data,
            })
        })
        .collect()
}

/// The analysed columns of a pair of inputs, each column's values taken out of the frames once
/// and its whole-baseline reference (sorted values, bins) built once — shared by the report and
/// by every slice analysis afterwards, so that changing a slice costs only the slice's own work.
pub struct Workspace {
    pub(crate) prepared: Vec<Prepared>,
    pub(crate) whole: Vec<PreparedRef>,
    pub settings: DriftSettings,
    pub window: Option<windows::WindowSpec>,
    /// Row groups by segment column, filled by the report and by slices.
    pub groups: GroupCache,
    /// Every analysed column profiled per cell of both sides.
    pub(crate) cells: Option<Cells>,
    /// Where the log's side comes from: its rows, or a profile file's cells.
    pub(crate) log: LogSource,
}

/// Where a workspace's log side comes from.
pub(crate) enum LogSource {
    /// The log's rows: every analysis can read them.
    Rows,
    /// A profile file (`driftscope profile`): cells only, and per column the values it stored so
    /// that the overall and per-segment entries are exact.
    Profile {
        values: Vec<profiles::StoredValues>,
        perf: Option<super::performance::PerfProfile>,
    },
}

/// At most this many baseline chunks for the data-driven thresholds; the baseline rows after
/// the last chunk form the rest.
pub const MAX_CHUNKS: usize = 256;

/// One level of profiles: the grids and both sides' cells.
#[derive(Clone, Copy)]
pub struct Level<'a> {
    pub grids: &'a [Option<ColumnGrid>],
    pub log: &'a CellProfiles,
    pub baseline: &'a CellProfiles,
    pub whole_baseline: &'a [Option<ColumnProfile>],
}

/// Profiles cut by segment tuple alone (one cell per tuple, no time), on a finer grid than the
/// timed cells can afford: what whole-time comparisons (the overall and per-segment entries, a
/// slice without a time range) are measured from, so the values an exact answer gathers from the
/// rows are few.
pub struct Untimed {
    pub grids: Vec<Option<ColumnGrid>>,
    /// Per numeric column, the timed grid's slot holding each slot of this level's grid: a
    /// profile of this level placed on the timed grid ([`NumericProfile::remapped`]).
    ///
    /// [`NumericProfile::remapped`]: crate::stats::profile::NumericProfile::remapped
    pub maps: Vec<Option<Vec<u32>>>,
    pub log: CellProfiles,
    pub baseline: CellProfiles,
    pub whole_baseline: Vec<Option<ColumnProfile>>,
}

/// How a batch of a log read in batches is cut: as the whole log would be.
#[derive(Clone, Debug, Default)]
pub struct Sizing {
    /// The whole log's timed and untimed cells: the grids are sized for them.
    pub log_cells: Option<(usize, usize)>,
    /// The whole log's first and last window bucket.
    pub window_range: Option<(i64, i64)>,
    /// Rows per baseline chunk, as the whole log's windows set it.
    pub chunk_rows: Option<usize>,
}

/// The cell profiles of both sides and what they were cut by.
pub struct Cells {
    pub grids: Vec<Option<ColumnGrid>>,
    pub log: CellProfiles,
    pub baseline: CellProfiles,
    /// Per column: the whole baseline's profile (every baseline cell merged); `None` for a
    /// column left unprofiled (too many categories to count per cell), whose comparisons read
    /// the rows.
    pub whole_baseline: Vec<Option<ColumnProfile>>,
    /// The log's windows (`None` without a window spec, or when they cannot be made).
    pub windows: Option<windows::WindowAssignment>,
    /// Why there are no windows although a spec was given.
    pub window_error: Option<String>,
    /// Rows per baseline chunk (the data-driven thresholds' unit).
    pub chunk_rows: usize,
    /// The untimed level, when its grid is finer than the timed one's.
    pub untimed: Option<Untimed>,
}

impl Cells {
    /// The cells cut by time (windows, baseline chunks).
    pub fn timed(&self) -> Level<'_> {
        Level {
            grids: &self.grids,
            log: &self.log,
            baseline: &self.baseline,
            whole_baseline: &self.whole_baseline,
        }
    }

    /// The finest profiles for comparisons over the whole time range.
    pub fn untimed(&self) -> Level<'_> {
        match &self.untimed {
            Some(u) => Level {
                grids: &u.grids,
                log: &u.log,
                baseline: &u.baseline,
                whole_baseline: &u.whole_baseline,
            },
            None => self.timed(),
        }
    }

    fn build(
        inputs: &Inputs,
        prepared: &[Prepared],
        whole: &[PreparedRef],
        params: &DriftParams,
        groups: &GroupCache,
        sizing: &Sizing,
        state: &JobState,
    ) -> Option<Self> {
        // Each step below is a pass over the rows: a cancelled build stops between them.
        let go_on = || (!state.is_cancelled()).then_some(());
        let stop = || state.is_cancelled();
        let (windows, window_error) = match &params.window {
            Some(spec) => {
                match windows::assign_windows_until(inputs, spec, sizing.window_range, &stop)? {
                    Ok(a) => (Some(a), None),
                    Err(e) => (None, Some(e)),
                }
            }
            None => (None, None),
        };
        let (n_log, n_base) = (inputs.current.rows(), inputs.baseline.rows());
        let (log_slot, log_slots): (Vec<usize>, usize) = match &windows {
            Some(a) => (
                a.assigned
                    .iter()
                    .map(|w| w.map_or(a.windows.len(), |w| w as usize))
                    .collect(),
                a.windows.len() + 1,
            ),
            None => (vec![0; n_log], 1),
        };
        let chunk_rows = sizing.chunk_rows.unwrap_or_else(|| {
            chunk_rows_for(
                windows.as_ref().map(|a| a.windows.as_slice()),
                params.settings.min_rows,
                n_base,
            )
        });
        let (chunks, base_slot) = baseline_chunks(n_base, chunk_rows);
        let groups_of = |side: Side| segment_groups(inputs, groups, side, state);
        go_on()?;
        let log_index = CellIndex::build_until(groups_of(Side::Log), &log_slot, log_slots, &stop)?;
        let base_index =
            CellIndex::build_until(groups_of(Side::Baseline), &base_slot, chunks + 1, &stop)?;
        let numeric = prepared
            .iter()
            .filter(|p| p.kind() == ColumnKind::Numeric)
            .count();
        let (log_cells, fine_log_cells) = sizing.log_cells.unwrap_or((0, 0));
        let max_edges = profiles::max_edges_for(
            log_index.cells().max(log_cells) + base_index.cells(),
            numeric,
        );
        let baseline_segments = baseline_segments(inputs, groups);
        // The untimed level: one cell per tuple, so a finer grid fits. When it is finer than the
        // timed one, the timed grid is coarsened from it (its edges a subset), and one pass with
        // one lookup per value profiles both levels.
        // Its index follows from the timed one (same tuples, time dropped) unless the timed one
        // had to fold a segment column.
        let fine_index = (
            untimed_index(&log_index, || groups_of(Side::Log), n_log),
            untimed_index(&base_index, || groups_of(Side::Baseline), n_base),
        );
        go_on()?;
        let fine_edges = profiles::max_edges_for(
            fine_index.0.cells().max(fine_log_cells) + fine_index.1.cells(),
            numeric,
        );
        let grids = profiles::grids_for(
            prepared,
            whole,
            &baseline_segments,
            &params.settings,
            fine_edges.max(max_edges),
        );
        let whole_of = |cells: &CellProfiles| whole_of(cells, prepared.len());
        let (untimed, grids, log, baseline) = if fine_edges > max_edges {
            let (coarse, maps): (Vec<Option<ColumnGrid>>, Vec<Option<Vec<u32>>>) = grids
                .iter()
                .map(|g| match g {
                    Some(g) => {
                        let (c, m) = g.coarsened(max_edges);
                        (Some(c), Some(m))
                    }
                    None => (None, None),
                })
                .unzip();
            let (fine_log, log) = profiles::build_levels(
                prepared,
                &grids,
                &coarse,
                &maps,
                false,
                (fine_index.0, log_index),
                state,
            );
            go_on()?;
            // The baseline's timed cells are its chunks alone: the data-driven thresholds merge
            // every segment tuple of a chunk, and a segment of the baseline is read from the
            // untimed level (remapped to the timed grid) — a year of daily chunks × every
            // segment tuple would be half the timed cells' memory for nothing.
            let chunk_index = CellIndex::build(Vec::new(), &base_slot, chunks + 1);
            let (fine_base, baseline) = profiles::build_levels(
                prepared,
                &grids,
                &coarse,
                &maps,
                true,
                (fine_index.1, chunk_index),
                state,
            );
            let untimed = Untimed {
                whole_baseline: whole_of(&fine_base),
                maps,
                grids,
                log: fine_log,
                baseline: fine_base,
            };
            (Some(untimed), coarse, log, baseline)
        } else {
            let log = CellProfiles::build(prepared, &grids, false, log_index, state);
            go_on()?;
            let baseline = CellProfiles::build(prepared, &grids, true, base_index, state);
            (None, grids, log, baseline)
        };
        go_on()?;
        let whole_baseline = whole_of(&baseline);
        Some(Self {
            untimed,
            grids,
            log,
            baseline,
            whole_baseline,
            windows,
            window_error,
            chunk_rows,
        })
    }
}

/// Rows per baseline chunk (the data-driven thresholds' unit): as many as a typical window
/// holds, at least `min_rows`; the whole baseline without windows.
pub(crate) fn chunk_rows_for(
    windows: Option<&[windows::Window]>,
    min_rows: usize,
    n_base: usize,
) -> usize {
    match windows {
        Some(windows) => {
            let mut sizes: Vec<usize> = windows.iter().map(|w| w.rows).filter(|&r| r > 0).collect();
            sizes.sort_unstable();
            sizes
                .get(sizes.len() / 2)
                .copied()
                .unwrap_or(0)
                .max(min_rows)
                .max(1)
        }
        None => n_base.max(1),
    }
}

/// The number of whole baseline chunks and each baseline row's chunk (the rows after the last
/// whole chunk in one more). A few hundred chunks estimate the chunk scores' spread well; more
/// would only cost cells (a million-row baseline against hourly windows would make thousands).
pub(crate) fn baseline_chunks(n_base: usize, chunk_rows: usize) -> (usize, Vec<usize>) {
    let chunks = (n_base / chunk_rows.max(1)).min(MAX_CHUNKS);
    let slot = (0..n_base)
        .map(|r| (r / chunk_rows.max(1)).min(chunks))
        .collect();
    (chunks, slot)
}

/// The row groups of every segment column (and the model version) one side has (those coded
/// so far, once `state` is cancelled).
pub(crate) fn segment_groups(
    inputs: &Inputs,
    groups: &GroupCache,
    side: Side,
    state: &JobState,
) -> Vec<(String, std::sync::Arc<Groups>)> {
    inputs
        .roles
        .columns
        .iter()
        .filter(|c| matches!(c.role, Role::Segment | Role::ModelVersion))
        .filter_map(|c| {
            groups
                .get_until(inputs, side, &c.column, state)
                .ok()
                .map(|g| (c.column.clone(), g))
        })
        .collect()
}

/// The baseline rows of every segment value, for the segments' own bins.
pub(crate) fn baseline_segments(
    inputs: &Inputs,
    groups: &GroupCache,
) -> Vec<profiles::BaselineSegment> {
    segment_groups(inputs, groups, Side::Baseline, &JobState::default())
        .into_iter()
        .map(|(s, g)| {
            let rows = g.rows_by_group();
            (s, g.values.iter().cloned().zip(rows).collect())
        })
        .collect()
}

/// The untimed index of a side from its timed one (same tuples, time dropped), unless the timed
/// one had to fold a segment column: then built again from the groups.
pub(crate) fn untimed_index(
    timed: &CellIndex,
    groups: impl FnOnce() -> Vec<(String, std::sync::Arc<Groups>)>,
    rows: usize,
) -> CellIndex {
    if timed.folded.is_empty() {
        timed.untimed()
    } else {
        CellIndex::build(groups(), &vec![0; rows], 1)
    }
}

/// Per column, every cell of `cells` merged.
pub(crate) fn whole_of(cells: &CellProfiles, columns: usize) -> Vec<Option<ColumnProfile>> {
    (0..columns).map(|i| cells.merged(i, |_, _| true)).collect()
}

impl Workspace {
    /// The cell profiles of both sides, when the report built them.
    pub fn cells(&self) -> Option<&Cells> {
        self.cells.as_ref()
    }

    pub fn new(inputs: &Inputs, params: &DriftParams, state: &JobState) -> Self {
        Self::new_sized(inputs, params, state, &Sizing::default())
    }

    /// [`Workspace::new`] on one batch of a log read in batches: the windows and the grids'
    /// sizes come from the plan of the whole log, so that every batch's cells are cut alike
    /// and merge by addition.
    pub fn new_sized(
        inputs: &Inputs,
        params: &DriftParams,
        state: &JobState,
        sizing: &Sizing,
    ) -> Self {
        let prepared = prepare(inputs, state);
        state.stage("baseline references", 0);
        let whole: Vec<PreparedRef> = prepared
            .par_iter()
            .map(|p| p.reference(None, &params.settings))
            .collect();
        let groups = GroupCache::default();
        // Each column is profiled once per side: the next part of a job that has a plan.
        state.next_part();
        state.stage("profiling cells", 2 * prepared.len() as u64);
        // A cancelled workspace is thrown away: no cells for it.
        let cells = (!state.is_cancelled())
            .then(|| Cells::build(inputs, &prepared, &whole, params, &groups, sizing, state))
            .flatten();
        Self {
            prepared,
            whole,
            settings: params.settings.clone(),
            window: params.window.clone(),
            groups,
            cells,
            log: LogSource::Rows,
        }
    }

    /// The log's rows are at hand (not only a profile of them): an answer the cells leave as an
    /// interval can be made exact from them.
    pub fn log_rows(&self) -> bool {
        matches!(self.log, LogSource::Rows)
    }

    /// Why `what` cannot be answered in a workspace without the log's rows: only unions of its
    /// cells can.
    pub fn without_rows(what: &str) -> String {
        format!(
            "{what} reads the log's rows, and the log is held as a profile: its cells answer \
             slices of segment values and time windows against the baseline (or one baseline \
             segment), not a range of a numeric column"
        )
    }

    /// The analysed columns: name, role and kind, in column order.
    pub fn columns(&self) -> impl Iterator<Item = (&str, Role, ColumnKind)> {
        self.prepared
            .iter()
            .map(|p| (p.name.as_str(), p.role, p.kind()))
    }
}

/// One segment value of the log: the slice, its column's role and its rows.
pub(crate) struct SegmentSlice {
    pub segment: SegmentRef,
    pub role: Role,
    pub rows: Vec<usize>,
}

pub(crate) fn table(inputs: &Inputs, side: Side) -> &Table {
    match side {
        Side::Baseline => &inputs.baseline,
        Side::Log => &inputs.current,
    }
}

pub(crate) fn no_column(inputs: &Inputs, side: Side, column: &str) -> String {
    let names: Vec<&str> = table(inputs, side)
        .frame
        .get_column_names()
        .into_iter()
        .map(|n| n.as_str())
        .collect();
    let hint = closest(column, &names)
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default();
    format!("no column `{column}` in the {}{hint}", side.as_str())
}

/// Rows grouped by the value of a column, per side, computed once per workspace: grouping ten
/// million rows by a text column is most of what a new slice would otherwise cost.
#[derive(Default)]
pub struct GroupCache(
    std::sync::Mutex<std::collections::HashMap<(Side, String), std::sync::Arc<Groups>>>,
);

impl GroupCache {
    pub fn insert(&self, side: Side, column: &str, groups: std::sync::Arc<Groups>) {
        if let Ok(mut map) = self.0.lock() {
            map.insert((side, column.to_owned()), groups);
        }
    }

    /// The groups of `column` on `side`, from the cache or computed (and kept).
    pub fn get(
        &self,
        inputs: &Inputs,
        side: Side,
        column: &str,
    ) -> Result<std::sync::Arc<Groups>, String> {
        self.get_until(inputs, side, column, &JobState::default())
    }

    /// [`GroupCache::get`] for work that may be cancelled: a cancelled coding keeps nothing and
    /// says so.
    pub fn get_until(
        &self,
        inputs: &Inputs,
        side: Side,
        column: &str,
        state: &JobState,
    ) -> Result<std::sync::Arc<Groups>, String> {
        let key = (side, column.to_owned());
        if let Some(g) = self.0.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(g);
        }
        let t = table(inputs, side);
        if t.frame.column(column).is_err() {
            return Err(no_column(inputs, side, column));
        }
        let g = Groups::of_until(&t.frame, column, &|| state.is_cancelled())
            .map_err(|e| format!("`{column}`: {e}"))?
            .ok_or_else(|| "cancelled".to_owned())?;
        let g = std::sync::Arc::new(g);
        self.insert(side, column, g.clone());
        Ok(g)
    }
}
