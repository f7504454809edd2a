//! Cell profiles: every analysed column profiled (`stats::profile`) per **cell** — a combination
//! of segment values (every segment column and the model version) × a time window on the log,
//! × a chunk of rows on the baseline. Any slice that is a union of cells (a window, a segment
//! value, a segment value within a window range, a baseline chunk or everything but one) is
//! measured by merging the cells' profiles, without touching a row: the report's windows and
//! data-driven thresholds, the heatmap and the timelines are evaluated this way, at a cost that
//! depends on the number of cells and the grid, not on the rows.
//!
//! Sizes are bounded: at most [`MAX_CELLS`] cells a side (segment columns are folded, the one
//! with the most values first, until the cells fit, and the report says which), and a grid of at
//! most [`MAX_EDGES`] edges a column, fewer when many cells must share a memory budget of
//! [`SLOT_BUDGET`] slots.

mod cells;
mod evaluate;
mod exact;
mod grids;

pub use cells::{CellColumn, SparseCells};

use evaluate::drift_gathered;
pub use evaluate::quantiles;
pub(crate) use evaluate::{
    SideValues, drift_exact, drift_from_profiles, drift_score_from_profiles,
};
pub use exact::StoredValues;
pub(crate) use exact::{EntryRequest, LogValues, Needs, exact_entries, log_needs};
pub(crate) use grids::{BaselineSegment, grids_for, segment_cuts};
pub use grids::{Bins, ColumnGrid};

use std::collections::HashMap;
use std::sync::Arc;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::columns::{Groups, Values};
use super::drift::{
    self, ColumnDrift, ColumnKind, DriftSettings, DriftStats, NumericReference, StatIntervals,
};
use super::workspace::{ColumnData, Prepared, PreparedRef};
use crate::jobs::{CANCEL_EVERY, JobState};
use crate::stats::profile::{
    CategoricalProfile, Gathered, Grid, NumericProfile, SlotValues, exact_needs, ks_from_profiles,
    out_of_range, wasserstein_from_profiles,
};
use crate::stats::{binning, wasserstein};

/// At most this many cells on one side.
pub const MAX_CELLS: usize = 100_000;
/// At most this many edges in a column's grid (the exact case when the baseline has no more
/// distinct values).
pub const MAX_EDGES: usize = 4096;
/// Slots (a count and a sum each, 16 bytes) shared by every numeric cell profile of both sides:
/// 8 M slots = 128 MB.
pub const SLOT_BUDGET: usize = 8 << 20;

/// One column's profile over some rows.
#[derive(Clone, Debug, PartialEq)]
pub enum ColumnProfile {
    Numeric(NumericProfile),
    Categorical(CategoricalProfile),
}

impl ColumnProfile {
    pub fn merge(&mut self, other: &ColumnProfile) {
        match (self, other) {
            (ColumnProfile::Numeric(a), ColumnProfile::Numeric(b)) => a.merge(b),
            (ColumnProfile::Categorical(a), ColumnProfile::Categorical(b)) => a.merge(b),
            // Profiles of one column always share a kind.
            _ => {}
        }
    }

    pub fn without(&self, part: &ColumnProfile, grid: Option<&ColumnGrid>) -> ColumnProfile {
        match (self, part, grid) {
            (ColumnProfile::Numeric(a), ColumnProfile::Numeric(b), Some(g)) => {
                ColumnProfile::Numeric(a.without(b, &g.grid))
            }
            (ColumnProfile::Categorical(a), ColumnProfile::Categorical(b), _) => {
                ColumnProfile::Categorical(a.without(b))
            }
            _ => self.clone(),
        }
    }

    pub fn rows(&self) -> u64 {
        match self {
            ColumnProfile::Numeric(p) => p.rows,
            ColumnProfile::Categorical(p) => p.rows,
        }
    }

    /// Rows with a missing value (null or NaN).
    pub fn missing(&self) -> u64 {
        match self {
            ColumnProfile::Numeric(p) => p.missing,
            ColumnProfile::Categorical(p) => p.missing,
        }
    }
}

/// Which cell each row of one side is in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CellIndex {
    /// The segment columns the cells are cut by.
    pub segments: Vec<String>,
    /// Per tuple, per segment column: its value (`None`: missing, or no such column here).
    pub tuples: Vec<Vec<Option<String>>>,
    /// Time slots per tuple: the windows plus one for rows outside every window (log), or the
    /// baseline's chunks plus one for the rows after the last whole chunk.
    pub slots: usize,
    /// Segment columns left out of the cells to keep them under [`MAX_CELLS`].
    pub folded: Vec<String>,
    #[serde(skip)]
    pub cell_of_row: Vec<u32>,
}

impl CellIndex {
    pub fn cells(&self) -> usize {
        self.tuples.len() * self.slots
    }

    pub fn cell(&self, tuple: usize, slot: usize) -> usize {
        tuple * self.slots + slot
    }

    /// Each tuple's index, by its segment values.
    pub fn tuple_ids(&self) -> HashMap<&Vec<Option<String>>, usize> {
        self.tuples
            .iter()
            .enumerate()
            .map(|(t, tuple)| (tuple, t))
            .collect()
    }

    /// The tuples whose value of `column` is one of `values` (`None` when the cells are not cut
    /// by that column).
    pub fn tuples_where(&self, column: &str, values: &[String]) -> Option<Vec<bool>> {
        let k = self.segments.iter().position(|s| s == column)?;
        Some(
            self.tuples
                .iter()
                .map(|t| t[k].as_ref().is_some_and(|v| values.contains(v)))
                .collect(),
        )
    }

    /// The same tuples with time dropped: one cell per tuple.
    pub fn untimed(&self) -> Self {
        let slots = self.slots.max(1) as u32;
        Self {
            segments: self.segments.clone(),
            tuples: self.tuples.clone(),
            slots: 1,
            folded: self.folded.clone(),
            cell_of_row: self.cell_of_row.iter().map(|&c| c / slots).collect(),
        }
    }

    /// Builds the index from each segment column's row groups and each row's time slot.
    pub fn build(
        segments: Vec<(String, Arc<Groups>)>,
        slot_of_row: &[usize],
        slots: usize,
    ) -> Self {
        let Some(index) = Self::build_until(segments, slot_of_row, slots, &|| false) else {
            unreachable!("an index that is never stopped is always built")
        };
        index
    }

    /// [`CellIndex::build`], given up (`None`) once `stop()` says so (asked every
    /// [`CANCEL_EVERY`] rows).
    pub fn build_until(
        segments: Vec<(String, Arc<Groups>)>,
        slot_of_row: &[usize],
        slots: usize,
        stop: &dyn Fn() -> bool,
    ) -> Option<Self> {
        let rows = slot_of_row.len();
        let mut segments = segments;
        let mut folded = Vec::new();
        loop {
            let index = Self::try_build(&segments, slot_of_row, slots, rows, stop)?;
            if index.cells() <= MAX_CELLS || segments.is_empty() {
                let mut index = index;
                index.folded = folded;
                return Some(index);
            }
            // Fold the segment column with the most values.
            if let Some((i, _)) = segments
                .iter()
                .enumerate()
                .max_by_key(|(_, (_, g))| g.values.len())
            {
                folded.push(segments.remove(i).0);
            }
        }
    }

    fn try_build(
        segments: &[(String, Arc<Groups>)],
        slot_of_row: &[usize],
        slots: usize,
        rows: usize,
        stop: &dyn Fn() -> bool,
    ) -> Option<Self> {
        let mut key_to_tuple: polars::prelude::PlHashMap<Vec<u32>, u32> = Default::default();
        let mut tuples: Vec<Vec<Option<String>>> = Vec::new();
        let mut cell_of_row = Vec::with_capacity(rows);
        let mut key = vec![0u32; segments.len()];
        let mut last: Option<(Vec<u32>, u32)> = None;
        for (row, &slot) in slot_of_row.iter().enumerate() {
            if row % CANCEL_EVERY == CANCEL_EVERY - 1 && stop() {
                return None;
            }
            for (k, (_, g)) in segments.iter().enumerate() {
                key[k] = g.row_group.get(row).map_or(0, |c| c + 1);
            }
            let tuple = match &last {
                Some((k, t)) if *k == key => *t,
                _ => {
                    let next = tuples.len() as u32;
                    let t = *key_to_tuple.entry(key.clone()).or_insert(next);
                    if t == next {
                        tuples.push(
                            segments
                                .iter()
                                .zip(&key)
                                .map(|((_, g), &c)| {
                                    c.checked_sub(1)
                                        .and_then(|c| g.values.get(c as usize).cloned())
                                })
                                .collect(),
                        );
                    }
                    last = Some((key.clone(), t));
                    t
                }
            };
            cell_of_row.push((tuple as usize * slots + slot.min(slots - 1)) as u32);
            if tuples.len() * slots > MAX_CELLS && !segments.is_empty() {
                break;
            }
        }
        if tuples.is_empty() {
            tuples.push(vec![None; segments.len()]);
        }
        Some(Self {
            segments: segments.iter().map(|(s, _)| s.clone()).collect(),
            tuples,
            slots,
            folded: Vec::new(),
            cell_of_row,
        })
    }
}

/// Both levels of one side profiled in one pass: each value is looked up once on the fine grid
/// and its coarse slot read from `maps` (see [`ColumnGrid::coarsened`]). Returns (fine, coarse).
pub(crate) fn build_levels(
    prepared: &[Prepared],
    fine_grids: &[Option<ColumnGrid>],
    coarse_grids: &[Option<ColumnGrid>],
    maps: &[Option<Vec<u32>>],
    baseline: bool,
    (fine_index, coarse_index): (CellIndex, CellIndex),
    state: &JobState,
) -> (CellProfiles, CellProfiles) {
    let (fine_cells, coarse_cells) = (fine_index.cells(), coarse_index.cells());
    // The coarse (timed) level is sparse: its rows listed cell by cell, once for every column.
    // Cancelled: no rows listed, and every column below returns at once.
    let by_cell = cells::rows_by_cell(&coarse_index.cell_of_row, coarse_cells, &|| {
        state.is_cancelled()
    })
    .unwrap_or_default();
    let by_cell = (&by_cell.0[..], &by_cell.1[..]);
    let columns: Vec<(CellColumn, CellColumn, Vec<u16>)> = prepared
        .par_iter()
        .enumerate()
        .map(|(i, p)| {
            let _counted = crate::analysis::workspace::Counted(state);
            // Cancelled: the cells are thrown away, so the rest is not profiled.
            if state.is_cancelled() {
                return Default::default();
            }
            let (fine_of, coarse_of) = (&fine_index.cell_of_row, &coarse_index.cell_of_row);
            match (&p.data, &fine_grids[i], &coarse_grids[i], &maps[i]) {
                (
                    ColumnData::Numeric {
                        baseline: b,
                        current: c,
                        ..
                    },
                    Some(fg),
                    Some(cg),
                    Some(map),
                ) => {
                    let values = if baseline { b } else { c };
                    let mut fine = vec![NumericProfile::empty(&fg.grid); fine_cells];
                    // Each value's fine slot is kept for the coarse level and for the pass that
                    // gathers values for exact answers, so that no value is looked up again.
                    let keep = fg.grid.slots() < NO_SLOT as usize;
                    let mut slots = Vec::with_capacity(if keep { values.len() } else { 0 });
                    let shift = first_finite(values);
                    for (k, (v, &f)) in values.iter().zip(fine_of).enumerate() {
                        if k % CANCEL_EVERY == 0 && state.is_cancelled() {
                            break;
                        }
                        let finite = v.filter(|x| x.is_finite());
                        let slot = finite.map_or(0, |x| fg.grid.slot(x));
                        fine[f as usize].update_shifted(slot, v, shift);
                        if keep {
                            slots.push(finite.map_or(NO_SLOT, |_| slot as u16));
                        }
                    }
                    for p in &mut fine {
                        p.finish_shifted(shift);
                    }
                    if state.is_cancelled() {
                        return Default::default();
                    }
                    let coarse = SparseCells::build(
                        cg.grid.slots(),
                        by_cell,
                        |row| values.get(row),
                        |row, x| {
                            let fine_slot = match slots.get(row) {
                                Some(&s) if s != NO_SLOT => s as usize,
                                _ => fg.grid.slot(x),
                            };
                            map.get(fine_slot).map_or(0, |&m| m as usize)
                        },
                        shift,
                        || state.is_cancelled(),
                    );
                    (
                        CellColumn::Dense(fine.into_iter().map(ColumnProfile::Numeric).collect()),
                        CellColumn::Sparse(coarse),
                        slots,
                    )
                }
                (
                    ColumnData::Categorical {
                        labels,
                        baseline: b,
                        current: c,
                    },
                    _,
                    _,
                    _,
                ) => {
                    if labels.len().saturating_mul(fine_cells + coarse_cells) > SLOT_BUDGET {
                        return Default::default();
                    }
                    let codes = if baseline { b } else { c };
                    let mut fine = vec![CategoricalProfile::empty(labels.len()); fine_cells];
                    let mut coarse = vec![CategoricalProfile::empty(labels.len()); coarse_cells];
                    for ((v, &f), &k) in codes.iter().zip(fine_of).zip(coarse_of) {
                        fine[f as usize].update(v);
                        coarse[k as usize].update(v);
                    }
                    (
                        CellColumn::Dense(
                            fine.into_iter().map(ColumnProfile::Categorical).collect(),
                        ),
                        CellColumn::Dense(
                            coarse.into_iter().map(ColumnProfile::Categorical).collect(),
                        ),
                        Vec::new(),
                    )
                }
                _ => Default::default(),
            }
        })
        .collect();
    let (mut fine, mut coarse, mut row_slots) = (Vec::new(), Vec::new(), Vec::new());
    for (f, c, s) in columns {
        fine.push(f);
        coarse.push(c);
        row_slots.push(s);
    }
    (
        CellProfiles {
            index: fine_index,
            columns: fine,
            row_slots,
        },
        CellProfiles {
            index: coarse_index,
            columns: coarse,
            row_slots: Vec::new(),
        },
    )
}

/// Every analysed column's profile in every cell of one side: `columns[column][cell]`.
#[derive(Clone, Debug)]
pub struct CellProfiles {
    pub index: CellIndex,
    /// Per column, its cells' profiles (no cells: not profiled per cell; the rows answer).
    pub columns: Vec<CellColumn>,
    /// Per column, per row: the slot of its grid the row's value is in ([`NO_SLOT`]: missing
    /// or not finite), when it was kept while profiling; empty otherwise.
    pub row_slots: Vec<Vec<u16>>,
}

/// A row with no finite value in [`CellProfiles::row_slots`].
pub const NO_SLOT: u16 = u16::MAX;

impl CellProfiles {
    /// Profiles the rows of one side (`baseline` or not) cell by cell, every column in parallel.
    pub(crate) fn build(
        prepared: &[Prepared],
        grids: &[Option<ColumnGrid>],
        baseline: bool,
        index: CellIndex,
        state: &JobState,
    ) -> Self {
        let cells = index.cells();
        let columns: Vec<(CellColumn, Vec<u16>)> = prepared
            .par_iter()
            .zip(grids)
            .map(|(p, grid)| {
                let _counted = crate::analysis::workspace::Counted(state);
                if state.is_cancelled() {
                    return Default::default();
                }
                let cell_of_row = &index.cell_of_row;
                match (&p.data, grid) {
                    (
                        ColumnData::Numeric {
                            baseline: b,
                            current: c,
                            ..
                        },
                        Some(g),
                    ) => {
                        let values = if baseline { b } else { c };
                        let mut out = vec![NumericProfile::empty(&g.grid); cells];
                        let shift = first_finite(values);
                        // The slots are kept for the gathering pass, as in [`build_levels`].
                        let keep = g.grid.slots() < NO_SLOT as usize;
                        let mut slots = Vec::with_capacity(if keep { values.len() } else { 0 });
                        for (k, (v, &cell)) in values.iter().zip(cell_of_row).enumerate() {
                            if k % CANCEL_EVERY == 0 && state.is_cancelled() {
                                break;
                            }
                            let finite = v.filter(|x| x.is_finite());
                            let slot = finite.map_or(0, |x| g.grid.slot(x));
                            out[cell as usize].update_shifted(slot, v, shift);
                            if keep {
                                slots.push(finite.map_or(NO_SLOT, |_| slot as u16));
                            }
                        }
                        for p in &mut out {
                            p.finish_shifted(shift);
                        }
                        (
                            CellColumn::Dense(
                                out.into_iter().map(ColumnProfile::Numeric).collect(),
                            ),
                            slots,
                        )
                    }
                    (
                        ColumnData::Categorical {
                            labels,
                            baseline: b,
                            current: c,
                        },
                        _,
                    ) => {
                        // A column with very many categories is not profiled per cell (it
                        // would not fit); its comparisons read the rows.
                        if labels.len().saturating_mul(cells) > SLOT_BUDGET {
                            return Default::default();
                        }
                        let codes = if baseline { b } else { c };
                        let mut out = vec![CategoricalProfile::empty(labels.len()); cells];
                        for (v, &cell) in codes.iter().zip(cell_of_row) {
                            out[cell as usize].update(v);
                        }
                        (
                            CellColumn::Dense(
                                out.into_iter().map(ColumnProfile::Categorical).collect(),
                            ),
                            Vec::new(),
                        )
                    }
                    // A numeric column always has a grid.
                    _ => Default::default(),
                }
            })
            .collect();
        let (columns, row_slots) = columns.into_iter().unzip();
        Self {
            index,
            columns,
            row_slots,
        }
    }

    /// The merged profile of column `column` over the cells for which `keep(tuple, slot)`.
    pub fn merged(
        &self,
        column: usize,
        mut keep: impl FnMut(usize, usize) -> bool,
    ) -> Option<ColumnProfile> {
        // A column left unprofiled has no cells: the rows answer for it.
        let cells = self.columns.get(column).filter(|c| !c.is_empty())?;
        let mut out: Option<ColumnProfile> = None;
        for t in 0..self.index.tuples.len() {
            for s in 0..self.index.slots {
                if keep(t, s) {
                    cells.merge_into(self.index.cell(t, s), &mut out);
                }
            }
        }
        out.or_else(|| cells.empty())
    }

    /// Per time slot, the merged profile of `column` over the tuples for which `keep_tuple`.
    pub fn per_slot(&self, column: usize, keep_tuple: &[bool]) -> Vec<ColumnProfile> {
        (0..self.index.slots)
            .filter_map(|s| {
                self.merged(column, |t, slot| {
                    slot == s && keep_tuple.get(t).copied().unwrap_or(true)
                })
            })
            .collect()
    }
}

/// The first finite value of a column (0 without one): the shift of its moments' sums.
fn first_finite(values: &Values) -> f64 {
    values
        .iter()
        .flatten()
        .find(|x| x.is_finite())
        .unwrap_or(0.0)
}

/// An empty profile of the same kind and grid.
pub(crate) fn empty_like(p: &ColumnProfile) -> ColumnProfile {
    match p {
        ColumnProfile::Numeric(n) => {
            let mut e = n.clone();
            e.counts.iter_mut().for_each(|c| *c = 0);
            e.sums.iter_mut().for_each(|s| *s = 0.0);
            e.rows = 0;
            e.missing = 0;
            e.non_finite = 0;
            e.values = 0;
            e.min = f64::INFINITY;
            e.max = f64::NEG_INFINITY;
            e.mean = 0.0;
            e.m2 = 0.0;
            ColumnProfile::Numeric(e)
        }
        ColumnProfile::Categorical(c) => {
            ColumnProfile::Categorical(CategoricalProfile::empty(c.counts.len()))
        }
    }
}

/// The grid size that keeps every numeric cell profile of both sides within [`SLOT_BUDGET`].
pub fn max_edges_for(cells: usize, numeric_columns: usize) -> usize {
    let per_profile = SLOT_BUDGET / (cells.max(1) * numeric_columns.max(1));
    (per_profile / 2).clamp(32, MAX_EDGES)
}
