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

use std::collections::HashMap;
use std::sync::Arc;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::columns::{Groups, Values};
use super::drift::{
    self, ColumnDrift, ColumnKind, DriftSettings, DriftStats, NumericReference, StatIntervals,
};
use super::workspace::{ColumnData, Prepared, PreparedRef};
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

/// A reference's bins: its cut points and where they fall in the grid's slot order.
#[derive(Clone, Debug, PartialEq)]
pub struct Bins {
    pub cuts: Vec<f64>,
    pub boundaries: Vec<usize>,
}

/// The grid of a numeric column and where the bins of every reference fall on it: the whole
/// baseline's, and each baseline segment value's own (its deciles), so that a segment of the log
/// is measured against the same segment of the baseline on the bins the row path would use.
#[derive(Clone, Debug)]
pub struct ColumnGrid {
    pub grid: Grid,
    pub whole: Bins,
    /// `(segment column, value)` → that baseline segment's bins.
    pub segments: HashMap<(String, String), Bins>,
}

impl ColumnGrid {
    pub fn new(
        reference: &NumericReference,
        segment_cuts: HashMap<(String, String), Vec<f64>>,
        max_edges: usize,
    ) -> Self {
        let mut all_cuts = reference.cuts.clone();
        all_cuts.extend(segment_cuts.values().flatten().copied());
        let grid = Grid::new(&reference.sorted, &all_cuts, max_edges);
        // Every cut was added as an edge, so every boundary exists; an empty baseline has none.
        let bins = |cuts: Vec<f64>| Bins {
            boundaries: grid.bin_boundaries(&cuts).unwrap_or_default(),
            cuts,
        };
        let whole = bins(reference.cuts.clone());
        let segments = segment_cuts
            .into_iter()
            .map(|(k, cuts)| (k, bins(cuts)))
            .collect();
        Self {
            grid,
            whole,
            segments,
        }
    }

    /// The bins of the whole baseline (`cuts`) and of its segments on a grid made elsewhere (read
    /// from a profile file). `Err` names the first cut that is not an edge of the grid: the grid
    /// was made for other bins.
    pub fn on(
        grid: Grid,
        cuts: &[f64],
        segment_cuts: HashMap<(String, String), Vec<f64>>,
    ) -> Result<Self, String> {
        let bins = |cuts: Vec<f64>| match grid.bin_boundaries(&cuts) {
            Some(boundaries) => Ok(Bins { cuts, boundaries }),
            None => Err(cuts
                .iter()
                .copied()
                .find(|c| grid.bin_boundaries(&[*c]).is_none())
                .unwrap_or(f64::NAN)),
        };
        let whole = bins(cuts.to_vec()).map_err(|c| format!("the cut {c} is not an edge"))?;
        let segments = segment_cuts
            .into_iter()
            .map(|((column, value), cuts)| {
                bins(cuts)
                    .map(|b| ((column.clone(), value.clone()), b))
                    .map_err(|c| format!("the cut {c} of {column} = {value} is not an edge"))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            grid,
            whole,
            segments,
        })
    }
}

impl ColumnGrid {
    /// The same bins on a coarser grid whose edges are some of this one's (every cut kept), and
    /// for each slot of this grid the coarse slot that holds it: one lookup on the fine grid
    /// places a value on both.
    pub fn coarsened(&self, max_edges: usize) -> (Self, Vec<u32>) {
        let mut cuts = self.whole.cuts.clone();
        cuts.extend(self.segments.values().flat_map(|b| b.cuts.iter().copied()));
        let grid = self.grid.coarsen(&cuts, max_edges);
        let map = self.grid.slot_map(&grid);
        let bins = |b: &Bins| Bins {
            boundaries: grid.bin_boundaries(&b.cuts).unwrap_or_default(),
            cuts: b.cuts.clone(),
        };
        let coarse = Self {
            whole: bins(&self.whole),
            segments: self
                .segments
                .iter()
                .map(|(k, b)| (k.clone(), bins(b)))
                .collect(),
            grid,
        };
        (coarse, map)
    }
}

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
        let rows = slot_of_row.len();
        let mut segments = segments;
        let mut folded = Vec::new();
        loop {
            let index = Self::try_build(&segments, slot_of_row, slots, rows);
            if index.cells() <= MAX_CELLS || segments.is_empty() {
                let mut index = index;
                index.folded = folded;
                return index;
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
    ) -> Self {
        let mut key_to_tuple: polars::prelude::PlHashMap<Vec<u32>, u32> = Default::default();
        let mut tuples: Vec<Vec<Option<String>>> = Vec::new();
        let mut cell_of_row = Vec::with_capacity(rows);
        let mut key = vec![0u32; segments.len()];
        let mut last: Option<(Vec<u32>, u32)> = None;
        for (row, &slot) in slot_of_row.iter().enumerate() {
            for (k, (_, g)) in segments.iter().enumerate() {
                key[k] = g.row_group.get(row).copied().flatten().map_or(0, |c| c + 1);
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
        Self {
            segments: segments.iter().map(|(s, _)| s.clone()).collect(),
            tuples,
            slots,
            folded: Vec::new(),
            cell_of_row,
        }
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
) -> (CellProfiles, CellProfiles) {
    let (fine_cells, coarse_cells) = (fine_index.cells(), coarse_index.cells());
    let columns: Vec<(Vec<ColumnProfile>, Vec<ColumnProfile>)> = prepared
        .par_iter()
        .enumerate()
        .map(|(i, p)| {
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
                    let mut coarse = vec![NumericProfile::empty(&cg.grid); coarse_cells];
                    for ((v, &f), &k) in values.iter().zip(fine_of).zip(coarse_of) {
                        let slot = v.filter(|x| x.is_finite()).map_or(0, |x| fg.grid.slot(x));
                        fine[f as usize].update_at(slot, v);
                        coarse[k as usize].update_at(map[slot] as usize, v);
                    }
                    (
                        fine.into_iter().map(ColumnProfile::Numeric).collect(),
                        coarse.into_iter().map(ColumnProfile::Numeric).collect(),
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
                        return (Vec::new(), Vec::new());
                    }
                    let codes = if baseline { b } else { c };
                    let mut fine = vec![CategoricalProfile::empty(labels.len()); fine_cells];
                    let mut coarse = vec![CategoricalProfile::empty(labels.len()); coarse_cells];
                    for ((v, &f), &k) in codes.iter().zip(fine_of).zip(coarse_of) {
                        fine[f as usize].update(*v);
                        coarse[k as usize].update(*v);
                    }
                    (
                        fine.into_iter().map(ColumnProfile::Categorical).collect(),
                        coarse.into_iter().map(ColumnProfile::Categorical).collect(),
                    )
                }
                _ => (Vec::new(), Vec::new()),
            }
        })
        .collect();
    let (fine, coarse): (Vec<_>, Vec<_>) = columns.into_iter().unzip();
    (
        CellProfiles {
            index: fine_index,
            columns: fine,
        },
        CellProfiles {
            index: coarse_index,
            columns: coarse,
        },
    )
}

/// Every analysed column's profile in every cell of one side: `columns[column][cell]`.
#[derive(Clone, Debug)]
pub struct CellProfiles {
    pub index: CellIndex,
    pub columns: Vec<Vec<ColumnProfile>>,
}

impl CellProfiles {
    /// Profiles the rows of one side (`baseline` or not) cell by cell, every column in parallel.
    pub(crate) fn build(
        prepared: &[Prepared],
        grids: &[Option<ColumnGrid>],
        baseline: bool,
        index: CellIndex,
    ) -> Self {
        let cells = index.cells();
        let columns = prepared
            .par_iter()
            .zip(grids)
            .map(|(p, grid)| {
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
                        for (v, &cell) in values.iter().zip(cell_of_row) {
                            out[cell as usize].update(&g.grid, v);
                        }
                        out.into_iter().map(ColumnProfile::Numeric).collect()
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
                            return Vec::new();
                        }
                        let codes = if baseline { b } else { c };
                        let mut out = vec![CategoricalProfile::empty(labels.len()); cells];
                        for (v, &cell) in codes.iter().zip(cell_of_row) {
                            out[cell as usize].update(*v);
                        }
                        out.into_iter().map(ColumnProfile::Categorical).collect()
                    }
                    // A numeric column always has a grid.
                    _ => Vec::new(),
                }
            })
            .collect();
        Self { index, columns }
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
                if !keep(t, s) {
                    continue;
                }
                let p = &cells[self.index.cell(t, s)];
                match &mut out {
                    Some(o) => o.merge(p),
                    None => out = Some(p.clone()),
                }
            }
        }
        out.or_else(|| cells.first().map(empty_like))
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

/// One segment column of the baseline: its name and the baseline rows of each of its values.
pub(crate) type BaselineSegment = (String, Vec<(String, Vec<usize>)>);

/// The grid of every numeric column (`None` for categorical ones): the whole baseline's cuts and
/// every baseline segment value's cuts as edges, plus at most `max_edges` baseline values.
/// `baseline_segments` holds, per segment column, the baseline rows of each of its values.
pub(crate) fn grids_for(
    prepared: &[Prepared],
    whole: &[PreparedRef],
    baseline_segments: &[BaselineSegment],
    settings: &DriftSettings,
    max_edges: usize,
) -> Vec<Option<ColumnGrid>> {
    prepared
        .par_iter()
        .zip(whole)
        .map(|(p, r)| match r {
            PreparedRef::Numeric(r) => Some(ColumnGrid::new(
                r,
                segment_cuts(p, baseline_segments, settings)?,
                max_edges,
            )),
            PreparedRef::Categorical(_) => None,
        })
        .collect()
}

/// A numeric column's cut points in every baseline segment value (its own bins, for the log's
/// same segment); `None` for a categorical column.
pub(crate) fn segment_cuts(
    p: &Prepared,
    baseline_segments: &[BaselineSegment],
    settings: &DriftSettings,
) -> Option<HashMap<(String, String), Vec<f64>>> {
    let ColumnData::Numeric { baseline, .. } = &p.data else {
        return None;
    };
    let column = settings.column(&p.name);
    let mut cuts = HashMap::new();
    for (segment, values) in baseline_segments {
        if *segment == p.name {
            continue;
        }
        for (value, rows) in values {
            let values: Vec<Option<f64>> = baseline.take(rows);
            let reference = NumericReference::new(&values, &column, settings.bins);
            cuts.insert((segment.clone(), value.clone()), reference.cuts);
        }
    }
    Some(cuts)
}

/// One column's drift of a current profile against a reference profile, every statistic of
/// the row path evaluated from counts: exact where the grid resolves it, an interval where it
/// does not (see `stats::profile`), and the verdict given only when the deciding score's
/// interval lies on one side of the threshold. Bins are the whole baseline's.
pub(crate) fn drift_from_profiles(
    p: &Prepared,
    grid: Option<&ColumnGrid>,
    bins: Option<&Bins>,
    reference: &ColumnProfile,
    current: &ColumnProfile,
    settings: &DriftSettings,
) -> ColumnDrift {
    drift_gathered(p, grid, bins, reference, current, None, settings)
}

/// Which rows of a side a comparison covers (`None`: all of them).
pub(crate) type RowsOf<'a> = Option<&'a [usize]>;

/// Where the reference side's values come from for the gathering pass.
#[derive(Clone, Copy)]
pub(crate) enum ReferenceValues<'a> {
    /// These baseline rows (`None`: all).
    Rows(RowsOf<'a>),
    /// The whole baseline, already sorted (its prepared reference): no pass needed.
    Sorted(&'a [f64]),
}

/// [`drift_from_profiles`] made exact from the rows at hand: the profiles say which few slots an
/// exact KS D, Wasserstein distance and quartiles need, one extra pass over the rows of each side
/// gathers the values in them, and the statistics are evaluated again with those values.
#[allow(clippy::too_many_arguments)]
pub(crate) fn drift_exact(
    p: &Prepared,
    grid: Option<&ColumnGrid>,
    bins: Option<&Bins>,
    reference: &ColumnProfile,
    current: &ColumnProfile,
    reference_values: ReferenceValues,
    current_rows: RowsOf,
    settings: &DriftSettings,
) -> ColumnDrift {
    let gathered = match (&p.data, reference, current, grid) {
        (
            ColumnData::Numeric {
                baseline, current, ..
            },
            ColumnProfile::Numeric(r),
            ColumnProfile::Numeric(c),
            Some(g),
        ) => exact_needs(&g.grid, r, c).map(|(wb, wc)| {
            let gather = |values: &Values, wanted: &[bool], rows: RowsOf| match rows {
                Some(rows) => {
                    SlotValues::gather(&g.grid, wanted, rows.iter().filter_map(|&i| values.get(i)))
                }
                None => SlotValues::gather(&g.grid, wanted, values.iter().flatten()),
            };
            Gathered {
                baseline: match reference_values {
                    ReferenceValues::Rows(rows) => gather(baseline, &wb, rows),
                    ReferenceValues::Sorted(sorted) => {
                        SlotValues::from_sorted(&g.grid, &wb, sorted)
                    }
                },
                current: gather(current, &wc, current_rows),
            }
        }),
        _ => None,
    };
    drift_gathered(
        p,
        grid,
        bins,
        reference,
        current,
        gathered.as_ref(),
        settings,
    )
}

fn drift_gathered(
    p: &Prepared,
    grid: Option<&ColumnGrid>,
    bins: Option<&Bins>,
    reference: &ColumnProfile,
    current: &ColumnProfile,
    gathered: Option<&Gathered>,
    settings: &DriftSettings,
) -> ColumnDrift {
    match (&p.data, reference, current, grid) {
        (
            ColumnData::Categorical { labels, .. },
            ColumnProfile::Categorical(r),
            ColumnProfile::Categorical(c),
            _,
        ) => drift::categorical_drift_counts(
            &p.name,
            &r.counts,
            r.rows as usize,
            &c.counts,
            c.rows as usize,
            labels,
            settings,
        ),
        (_, ColumnProfile::Numeric(r), ColumnProfile::Numeric(c), Some(g)) => {
            let bins = bins.unwrap_or(&g.whole);
            numeric_from_profiles(&p.name, &g.grid, bins, r, c, gathered, settings)
        }
        _ => drift::finish(
            &p.name,
            p.kind(),
            0,
            0,
            settings,
            DriftStats::default(),
            None,
        ),
    }
}

fn numeric_from_profiles(
    column: &str,
    grid: &Grid,
    g: &Bins,
    r: &NumericProfile,
    c: &NumericProfile,
    gathered: Option<&Gathered>,
    settings: &DriftSettings,
) -> ColumnDrift {
    let (nb, nc) = (r.n(), c.n());
    let rate = |part: u64, whole: u64| drift::rate(part as usize, whole as usize);
    let baseline_summary = r.summary(grid, gathered.map(|g| &g.baseline));
    let current_summary = c.summary(grid, gathered.map(|g| &g.current));
    let mut intervals = StatIntervals {
        quantiles_estimated: !baseline_summary.as_ref().is_none_or(|s| s.1)
            || !current_summary.as_ref().is_none_or(|s| s.1),
        ..StatIntervals::default()
    };
    let mut stats = DriftStats {
        null_rate_baseline: rate(r.missing, r.rows),
        null_rate_current: rate(c.missing, c.rows),
        non_finite_rate_baseline: rate(r.non_finite, r.rows),
        non_finite_rate_current: rate(c.non_finite, c.rows),
        baseline_summary: baseline_summary.map(|s| s.0),
        current_summary: current_summary.map(|s| s.0),
        bin_edges: Some(g.cuts.clone()),
        bin_labels: (0..=g.cuts.len())
            .map(|i| drift::bin_label(&g.cuts, i))
            .collect(),
        baseline_counts: r.bin_counts(&g.boundaries),
        current_counts: c.bin_counts(&g.boundaries),
        ..DriftStats::default()
    };
    if nb > 0 && nc > 0 {
        if let Some(ks) = ks_from_profiles(grid, r, c, gathered) {
            stats.ks_statistic = Some(ks.statistic.value);
            stats.ks_pvalue = Some(ks.pvalue.value);
            stats.ks_method = Some(ks.method);
            stats.ks_location = Some(ks.location);
            if !ks.statistic.is_exact() {
                intervals.ks_statistic = Some([ks.statistic.lo, ks.statistic.hi]);
                intervals.ks_pvalue = Some([ks.pvalue.lo, ks.pvalue.hi]);
            }
        }
        if let Some(w) = wasserstein_from_profiles(grid, r, c, gathered) {
            stats.wasserstein = Some(w.value);
            if let Some(s0) = r.std(0) {
                stats.wasserstein_normed = Some(wasserstein::wasserstein_normed(w.value, s0));
                if !w.is_exact() {
                    intervals.wasserstein_normed = Some([
                        wasserstein::wasserstein_normed(w.lo, s0),
                        wasserstein::wasserstein_normed(w.hi, s0),
                    ]);
                }
            }
            if !w.is_exact() {
                intervals.wasserstein = Some([w.lo, w.hi]);
            }
        }
        let pb = binning::proportions(&stats.baseline_counts);
        let pc = binning::proportions(&stats.current_counts);
        drift::fill_binned(&mut stats, &pb, &pc);
        let (lo, hi) = out_of_range(grid, r, c, gathered);
        stats.out_of_range_rate = Some(lo as f64 / nc as f64);
        if hi > lo {
            intervals.out_of_range_rate = Some([lo as f64 / nc as f64, hi as f64 / nc as f64]);
        }
    }
    if intervals != StatIntervals::default() {
        stats.intervals = Some(intervals);
    }
    drift::finish_bounded(
        column,
        ColumnKind::Numeric,
        nb as usize,
        nc as usize,
        settings,
        stats,
    )
}

/// Quantiles of one side's values from its profile (for timelines: the score's percentiles per
/// window), estimated inside buckets where the grid does not resolve them.
pub fn quantiles(p: &ColumnProfile, grid: Option<&ColumnGrid>, qs: &[f64]) -> Option<Vec<f64>> {
    let (ColumnProfile::Numeric(p), Some(g)) = (p, grid) else {
        return None;
    };
    qs.iter()
        .map(|&q| p.quantile(&g.grid, q, None).map(|(v, _)| v))
        .collect()
}

/// One comparison of the report's entries, on the untimed level: the log tuples of the current
/// side, the baseline tuples of the reference (`None`: the whole baseline) and the key of the
/// reference's own bins (`None`: the whole baseline's).
pub(crate) struct EntryRequest {
    pub current: Vec<bool>,
    pub reference: Option<Vec<bool>>,
    pub bins: Option<(String, String)>,
}

/// Values a profile file stored for exact answers: per (untimed tuple, slot), every finite log
/// value of that slot — complete when there are as many as the slot's count.
pub type StoredValues = HashMap<(u32, u32), Vec<f64>>;

/// Where the log side's values for the gathering pass come from.
#[derive(Clone, Copy)]
pub(crate) enum LogValues<'a> {
    /// The log's rows, each in the untimed cell its index names.
    Rows,
    /// The values a profile file stored for this column.
    Stored(&'a StoredValues),
}

/// The comparisons of one column resolved to profiles: each distinct tuple set merged once (the
/// comparisons of one segment value share it) and the slots each side must gather to be exact.
struct Plan<'a> {
    grid: Option<&'a ColumnGrid>,
    current_sets: Vec<&'a [bool]>,
    reference_sets: Vec<&'a [bool]>,
    /// Per request: its current set, and its reference set (`None`: the whole baseline).
    sides: Vec<(usize, Option<usize>)>,
    currents: Vec<Option<ColumnProfile>>,
    references: Vec<Option<ColumnProfile>>,
    whole: Option<&'a ColumnProfile>,
    bins: Vec<Option<Option<&'a Bins>>>,
}

impl<'a> Plan<'a> {
    fn new(
        level: super::workspace::Level<'a>,
        column: usize,
        requests: &[&'a EntryRequest],
    ) -> Self {
        let grid = level.grids.get(column).and_then(Option::as_ref);
        let merged_of = |cells: &CellProfiles, keep: &[bool]| {
            cells.merged(column, |t, _| keep.get(t).copied().unwrap_or(false))
        };
        let mut current_sets: Vec<&[bool]> = Vec::new();
        let mut reference_sets: Vec<&[bool]> = Vec::new();
        let mut sides = Vec::new();
        for r in requests {
            let c = position_or_push(&mut current_sets, &r.current);
            let b = r
                .reference
                .as_deref()
                .map(|keep| position_or_push(&mut reference_sets, keep));
            sides.push((c, b));
        }
        let currents = current_sets
            .iter()
            .map(|keep| merged_of(level.log, keep))
            .collect();
        let references = reference_sets
            .iter()
            .map(|keep| merged_of(level.baseline, keep))
            .collect();
        // A request's bins: the whole baseline's (`Some(None)`), a segment's, or missing (`None`).
        let bins = requests
            .iter()
            .map(|r| match (&r.bins, grid) {
                (Some(key), Some(g)) => g.segments.get(key).map(Some),
                _ => Some(None),
            })
            .collect();
        Self {
            grid,
            current_sets,
            reference_sets,
            sides,
            currents,
            references,
            whole: level.whole_baseline.get(column).and_then(Option::as_ref),
            bins,
        }
    }

    /// Request `k`'s (reference, current, bins), when the cells hold both sides.
    fn resolved(&self, k: usize) -> Option<(&ColumnProfile, &ColumnProfile, Option<&'a Bins>)> {
        let (c, b) = self.sides[k];
        let current = self.currents[c].as_ref()?;
        let reference = match b {
            Some(b) => self.references[b].as_ref()?,
            None => self.whole?,
        };
        Some((reference, current, self.bins[k]?))
    }

    /// Per current set, per reference set and for the whole baseline: the slots to gather.
    fn wanted(&self) -> (Vec<Vec<bool>>, Vec<Vec<bool>>, Vec<bool>) {
        let slots = self.grid.map_or(0, |g| g.grid.slots());
        let mut want_current = vec![vec![false; slots]; self.current_sets.len()];
        let mut want_reference = vec![vec![false; slots]; self.reference_sets.len()];
        let mut want_whole = vec![false; slots];
        let Some(g) = self.grid else {
            return (want_current, want_reference, want_whole);
        };
        for (k, &(c, b)) in self.sides.iter().enumerate() {
            let Some((ColumnProfile::Numeric(rp), ColumnProfile::Numeric(cp), _)) =
                self.resolved(k)
            else {
                continue;
            };
            let Some((wb, wc)) = exact_needs(&g.grid, rp, cp) else {
                continue;
            };
            or_into(&mut want_current[c], &wc);
            match b {
                Some(b) => or_into(&mut want_reference[b], &wb),
                None => or_into(&mut want_whole, &wb),
            }
        }
        (want_current, want_reference, want_whole)
    }
}

/// Per untimed log tuple, the slots of column `column` whose values the comparisons `requests`
/// need to be exact: what a profile file stores so that a report from it is exact too.
pub(crate) fn log_needs(
    column: usize,
    level: super::workspace::Level,
    requests: &[&EntryRequest],
) -> Vec<Vec<bool>> {
    let plan = Plan::new(level, column, requests);
    let (want_current, _, _) = plan.wanted();
    let slots = plan.grid.map_or(0, |g| g.grid.slots());
    let mut per_tuple = vec![vec![false; slots]; level.log.index.tuples.len()];
    for (set, want) in plan.current_sets.iter().zip(&want_current) {
        for (t, _) in set.iter().enumerate().filter(|(_, inside)| **inside) {
            if let Some(w) = per_tuple.get_mut(t) {
                or_into(w, want);
            }
        }
    }
    per_tuple
}

/// Many comparisons of one column made exact together: every comparison's profiles merged from
/// its tuples, what each needs to be exact worked out from them, and then **one** pass over the
/// column's log rows (or the values a profile stored) and one over its baseline rows gathers the
/// values for all of them at once (a row is looked up on the grid once, whatever the number of
/// comparisons it is in). `None` for a comparison the cells cannot answer; a result whose values
/// could not all be gathered keeps its interval (and may be undecided).
pub(crate) fn exact_entries(
    p: &Prepared,
    column: usize,
    (level, whole_sorted): (super::workspace::Level, Option<&[f64]>),
    requests: &[&EntryRequest],
    log_values: LogValues,
    settings: &DriftSettings,
) -> Vec<Option<ColumnDrift>> {
    let plan = Plan::new(level, column, requests);
    let grid = plan.grid;
    let (
        ColumnData::Numeric {
            baseline, current, ..
        },
        Some(g),
    ) = (&p.data, grid)
    else {
        // Categorical columns are exact from their counts.
        return (0..requests.len())
            .map(|k| {
                plan.resolved(k).map(|(reference, current, bins)| {
                    drift_from_profiles(p, grid, bins, reference, current, settings)
                })
            })
            .collect();
    };
    let (want_current, want_reference, want_whole) = plan.wanted();
    let gathered_current = match log_values {
        LogValues::Rows => gather_sets(
            &g.grid,
            current,
            &level.log.index.cell_of_row,
            level.log.index.slots,
            &plan.current_sets,
            &want_current,
        ),
        LogValues::Stored(stored) => {
            stored_sets(level.log, column, stored, &plan.current_sets, &want_current)
        }
    };
    let mut gathered_base = gather_sets(
        &g.grid,
        baseline,
        &level.baseline.index.cell_of_row,
        level.baseline.index.slots,
        &plan.reference_sets,
        &want_reference,
    );
    // The whole baseline's values are already sorted in its reference: no pass needed.
    let whole_values = match whole_sorted {
        Some(sorted) => SlotValues::from_sorted(&g.grid, &want_whole, sorted),
        None => SlotValues::gather(&g.grid, &want_whole, baseline.iter().flatten()),
    };
    gathered_base.push(whole_values);
    let whole_index = gathered_base.len() - 1;
    (0..requests.len())
        .map(|k| {
            let (reference, current, bins) = plan.resolved(k)?;
            let (c, b) = plan.sides[k];
            let gathered = Gathered {
                baseline: gathered_base[b.unwrap_or(whole_index)].clone(),
                current: gathered_current[c].clone(),
            };
            Some(drift_gathered(
                p,
                grid,
                bins,
                reference,
                current,
                Some(&gathered),
                settings,
            ))
        })
        .collect()
}

/// The values a profile stored, per tuple set: a wanted slot is gathered only when every tuple
/// of the set with values in it stored all of them (a merged profile may lack some: that slot's
/// statistics then keep their interval).
fn stored_sets(
    log: &CellProfiles,
    column: usize,
    stored: &StoredValues,
    sets: &[&[bool]],
    wanted: &[Vec<bool>],
) -> Vec<SlotValues> {
    let cells = log.columns.get(column).map_or(&[][..], Vec::as_slice);
    sets.iter()
        .zip(wanted)
        .map(|(set, want)| {
            let mut out = HashMap::new();
            'slot: for (slot, _) in want.iter().enumerate().filter(|(_, w)| **w) {
                let mut values = Vec::new();
                for (t, _) in set.iter().enumerate().filter(|(_, inside)| **inside) {
                    // The tuple's values in the slot, over all its time slots.
                    let count: u64 = (0..log.index.slots)
                        .map(|s| match cells.get(log.index.cell(t, s)) {
                            Some(ColumnProfile::Numeric(n)) => {
                                n.counts.get(slot).copied().unwrap_or(0)
                            }
                            _ => 0,
                        })
                        .sum();
                    if count == 0 {
                        continue;
                    }
                    match stored.get(&(t as u32, slot as u32)) {
                        Some(v) if v.len() as u64 == count => values.extend_from_slice(v),
                        _ => continue 'slot,
                    }
                }
                out.insert(slot, values);
            }
            SlotValues::from_slots(out)
        })
        .collect()
}

fn position_or_push<'a>(sets: &mut Vec<&'a [bool]>, set: &'a [bool]) -> usize {
    match sets.iter().position(|s| *s == set) {
        Some(i) => i,
        None => {
            sets.push(set);
            sets.len() - 1
        }
    }
}

fn or_into(into: &mut [bool], from: &[bool]) {
    for (a, b) in into.iter_mut().zip(from) {
        *a |= *b;
    }
}

/// One pass over a side's rows: each row's value, looked up on the grid once, goes to every
/// tuple set that holds the row's tuple and wants that slot.
fn gather_sets(
    grid: &Grid,
    values: &Values,
    cell_of_row: &[u32],
    slots_per_tuple: usize,
    sets: &[&[bool]],
    wanted: &[Vec<bool>],
) -> Vec<SlotValues> {
    let tuples = sets.first().map_or(0, |s| s.len());
    // Per tuple, the sets that hold it and want anything.
    let mut sets_of_tuple: Vec<Vec<usize>> = vec![Vec::new(); tuples];
    for (k, (set, want)) in sets.iter().zip(wanted).enumerate() {
        if !want.iter().any(|&w| w) {
            continue;
        }
        for (t, &inside) in set.iter().enumerate() {
            if inside {
                sets_of_tuple[t].push(k);
            }
        }
    }
    // Per set, per slot: the values gathered (a vector indexed by slot, no hashing per value).
    let mut out: Vec<Vec<Vec<f64>>> = wanted.iter().map(|w| vec![Vec::new(); w.len()]).collect();
    let any = sets_of_tuple.iter().any(|s| !s.is_empty());
    for (v, &cell) in values.iter().zip(cell_of_row).filter(|_| any) {
        let Some(x) = v else { continue };
        if !x.is_finite() {
            continue;
        }
        let t = cell as usize / slots_per_tuple.max(1);
        let Some(sets) = sets_of_tuple.get(t) else {
            continue;
        };
        if sets.is_empty() {
            continue;
        }
        let slot = grid.slot(x);
        for &k in sets {
            if wanted[k][slot] {
                out[k][slot].push(x);
            }
        }
    }
    out.into_iter()
        .zip(wanted)
        .map(|(per_slot, want)| {
            SlotValues::from_slots(
                per_slot
                    .into_iter()
                    .enumerate()
                    .filter(|(s, _)| want[*s])
                    .collect(),
            )
        })
        .collect()
}
