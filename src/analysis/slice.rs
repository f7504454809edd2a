//! Slices: any set of rows of the baseline or the log picked by predicates (segment values, a
//! time range, a numeric range), and the analyses the GUI runs on them — every column's drift of
//! slice A against slice B, the segment × feature heatmap within a slice, and one column over time
//! within a slice, per segment value. All reuse the [`Workspace`] prepared for the report, so a
//! new slice costs only its own rows.

use std::collections::BTreeSet;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::columns;
use super::drift::{self, ColumnDrift, ColumnKind};
use super::profiles;
use super::windows::{self, Window, WindowSpec};
use super::workspace::{GroupCache, PreparedRef, Reference, Side, Workspace, no_column, table};
use crate::data::timestamps::format_micros;
use crate::data::{Inputs, Role};
use crate::jobs::JobState;
use crate::stats::profile::{Grid, NumericProfile};
use crate::stats::{sorted, summary::quantile_sorted};

/// One condition on a row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Predicate {
    /// The column's value (as text, the way segments are listed) is one of these.
    OneOf { column: String, values: Vec<String> },
    /// The timestamp falls in `[start, end)` (microseconds since the epoch, UTC).
    Time { start_micros: i64, end_micros: i64 },
    /// The numeric column lies in `[min, max]`; an open end is unbounded. Missing values are out.
    Range {
        column: String,
        min: Option<f64>,
        max: Option<f64>,
    },
}

impl Predicate {
    /// The column this predicate constrains (`None` for time, which constrains the timestamp).
    pub fn column(&self) -> Option<&str> {
        match self {
            Predicate::OneOf { column, .. } | Predicate::Range { column, .. } => Some(column),
            Predicate::Time { .. } => None,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Predicate::OneOf { column, values } if values.len() == 1 => {
                format!("{column} = {}", values[0])
            }
            Predicate::OneOf { column, values } => format!("{column} in {{{}}}", values.join(", ")),
            Predicate::Time {
                start_micros,
                end_micros,
            } => format!(
                "time from {} to {}",
                format_micros(*start_micros),
                format_micros(*end_micros)
            ),
            Predicate::Range { column, min, max } => match (min, max) {
                (Some(lo), Some(hi)) => format!("{column} in [{lo}, {hi}]"),
                (Some(lo), None) => format!("{column} >= {lo}"),
                (None, Some(hi)) => format!("{column} <= {hi}"),
                (None, None) => format!("{column} present"),
            },
        }
    }

    /// Two predicates on the same thing: a new one replaces the old.
    fn same_target(&self, other: &Predicate) -> bool {
        match (self, other) {
            (Predicate::Time { .. }, Predicate::Time { .. }) => true,
            (Predicate::OneOf { column: a, .. }, Predicate::OneOf { column: b, .. })
            | (Predicate::Range { column: a, .. }, Predicate::Range { column: b, .. }) => a == b,
            _ => false,
        }
    }
}

/// A slice: the rows of one side that meet every predicate (all rows without predicates).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SliceDef {
    pub side: Side,
    pub predicates: Vec<Predicate>,
}

impl SliceDef {
    pub fn whole(side: Side) -> Self {
        Self {
            side,
            predicates: Vec::new(),
        }
    }

    pub fn is_whole(&self) -> bool {
        self.predicates.is_empty()
    }

    /// This slice with `p` added, replacing a predicate on the same column (or time).
    pub fn with(mut self, p: Predicate) -> Self {
        self.predicates.retain(|q| !q.same_target(&p));
        self.predicates.push(p);
        self
    }

    /// This slice without its time predicate.
    pub fn without_time(&self) -> Self {
        Self {
            side: self.side,
            predicates: self
                .predicates
                .iter()
                .filter(|p| !matches!(p, Predicate::Time { .. }))
                .cloned()
                .collect(),
        }
    }

    pub fn time(&self) -> Option<(i64, i64)> {
        self.predicates.iter().find_map(|p| match p {
            Predicate::Time {
                start_micros,
                end_micros,
            } => Some((*start_micros, *end_micros)),
            _ => None,
        })
    }

    /// "log where region = us-west and time from … to …", or "whole log".
    pub fn describe(&self) -> String {
        if self.predicates.is_empty() {
            return format!("whole {}", self.side.as_str());
        }
        let parts: Vec<String> = self.predicates.iter().map(Predicate::describe).collect();
        format!("{} where {}", self.side.as_str(), parts.join(" and "))
    }
}

/// The rows of a slice, ascending; `None` means every row (no predicate), so that callers can
/// use the prepared whole-side data as is.
pub fn slice_rows(inputs: &Inputs, slice: &SliceDef) -> Result<Option<Vec<usize>>, String> {
    slice_rows_cached(inputs, slice, &GroupCache::default())
}

/// [`slice_rows`] with the row groups of a workspace.
pub fn slice_rows_cached(
    inputs: &Inputs,
    slice: &SliceDef,
    cache: &GroupCache,
) -> Result<Option<Vec<usize>>, String> {
    if slice.predicates.is_empty() {
        return Ok(None);
    }
    let t = table(inputs, slice.side);
    let mut keep = vec![true; t.rows()];
    for p in &slice.predicates {
        match p {
            Predicate::OneOf { column, values } => {
                let groups = cache.get(inputs, slice.side, column)?;
                let wanted: BTreeSet<u32> =
                    values.iter().filter_map(|v| groups.index_of(v)).collect();
                for (k, g) in keep.iter_mut().zip(&groups.row_group) {
                    *k = *k && g.is_some_and(|g| wanted.contains(&g));
                }
            }
            Predicate::Range { column, min, max } => {
                let Ok(c) = t.frame.column(column) else {
                    return Err(no_column(inputs, slice.side, column));
                };
                let not_numeric = || format!("`{column}` is not numeric: a range needs numbers");
                if !c.dtype().is_primitive_numeric() {
                    return Err(not_numeric());
                }
                let values =
                    columns::numeric_values(&t.frame, column).map_err(|_| not_numeric())?;
                for (k, v) in keep.iter_mut().zip(&values) {
                    *k = *k
                        && v.is_some_and(|v| {
                            min.is_none_or(|lo| v >= lo) && max.is_none_or(|hi| v <= hi)
                        });
                }
            }
            Predicate::Time {
                start_micros,
                end_micros,
            } => {
                let ts = inputs
                    .roles
                    .with_role(Role::Timestamp)
                    .first()
                    .map(|s| (*s).to_owned())
                    .filter(|ts| t.frame.column(ts).is_ok())
                    .ok_or_else(|| {
                        format!(
                            "the {} has no timestamp column, so it cannot be cut by time (give a column the timestamp role)",
                            slice.side.as_str()
                        )
                    })?;
                let micros =
                    columns::numeric_values(&t.frame, &ts).map_err(|e| format!("`{ts}`: {e}"))?;
                let (lo, hi) = (*start_micros as f64, *end_micros as f64);
                for (k, m) in keep.iter_mut().zip(&micros) {
                    *k = *k && m.is_some_and(|m| m >= lo && m < hi);
                }
            }
        }
    }
    Ok(Some(
        keep.iter()
            .enumerate()
            .filter_map(|(i, k)| k.then_some(i))
            .collect(),
    ))
}

/// Points of an empirical CDF, thinned to at most a few hundred steps for drawing.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Ecdf {
    /// (value, share of values ≤ value), ascending.
    pub points: Vec<[f64; 2]>,
}

const ECDF_POINTS: usize = 400;

impl Ecdf {
    /// From a profile: the cumulative share at the end of its slots (the grid's edges), thinned
    /// the same way.
    fn of_profile(grid: &Grid, p: &NumericProfile) -> Self {
        let n = p.n();
        if n == 0 {
            return Self::default();
        }
        let step = 1.0 / ECDF_POINTS as f64;
        let mut points = vec![[p.min, 0.0]];
        let (mut seen, mut next) = (0u64, step);
        for (slot, &c) in p.counts.iter().enumerate() {
            if c == 0 {
                continue;
            }
            seen += c;
            let share = seen as f64 / n as f64;
            if share >= next || seen == n {
                let (_, hi) = grid.bounds(slot);
                points.push([hi.min(p.max), share]);
                next = share + step;
            }
        }
        Self { points }
    }

    fn of_sorted(sorted: &[f64]) -> Self {
        let n = sorted.len();
        if n == 0 {
            return Self::default();
        }
        let step = n.div_ceil(ECDF_POINTS).max(1);
        let mut points: Vec<[f64; 2]> = (step - 1..n)
            .step_by(step)
            .map(|i| [sorted[i], (i + 1) as f64 / n as f64])
            .collect();
        if points.last().is_none_or(|p| p[1] < 1.0) {
            points.push([sorted[n - 1], 1.0]);
        }
        points.insert(0, [sorted[0], 0.0]);
        Self { points }
    }
}

/// One column of a slice comparison.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SliceColumn {
    pub role: Role,
    pub drift: ColumnDrift,
    /// Numeric columns: the ECDF of B (reference) and of A.
    pub ecdf: Option<(Ecdf, Ecdf)>,
}

/// Every analysed column of slice A measured against slice B.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SliceComparison {
    pub a: SliceDef,
    pub b: SliceDef,
    pub a_rows: usize,
    pub b_rows: usize,
    /// Ranked: drifted first, then by how far over its threshold.
    pub columns: Vec<SliceColumn>,
    /// Columns a predicate constrains are left out (their drift is the slice's definition).
    pub left_out: Vec<String>,
    pub drifted_features: usize,
    pub features: usize,
}

impl SliceComparison {
    pub fn column(&self, name: &str) -> Option<&SliceColumn> {
        self.columns.iter().find(|c| c.drift.column == name)
    }

    /// "3 of 9 features drift between A and B".
    pub fn describe(&self) -> String {
        format!(
            "{} of {} features drift: {} ({} rows) against {} ({} rows)",
            self.drifted_features,
            self.features,
            self.a.describe(),
            crate::format::group_thousands(self.a_rows),
            self.b.describe(),
            crate::format::group_thousands(self.b_rows),
        )
    }
}

/// Drift of every analysed column of slice `a` against slice `b` (the reference). `None` when
/// cancelled.
pub fn compare(
    ws: &Workspace,
    inputs: &Inputs,
    a: &SliceDef,
    b: &SliceDef,
    state: &JobState,
) -> Result<Option<SliceComparison>, String> {
    compare_on(ws, inputs, (a, b), true, state)
}

/// [`compare`] from the rows alone, never the cell profiles: the slow path `compare` falls back
/// to, and the independent check that the profiles give the rows' numbers.
pub fn compare_rows(
    ws: &Workspace,
    inputs: &Inputs,
    a: &SliceDef,
    b: &SliceDef,
    state: &JobState,
) -> Result<Option<SliceComparison>, String> {
    compare_on(ws, inputs, (a, b), false, state)
}

fn compare_on(
    ws: &Workspace,
    inputs: &Inputs,
    (a, b): (&SliceDef, &SliceDef),
    profiles: bool,
    state: &JobState,
) -> Result<Option<SliceComparison>, String> {
    let a_rows = slice_rows_cached(inputs, a, &ws.groups)?;
    let b_rows = slice_rows_cached(inputs, b, &ws.groups)?;
    let count = |side: Side, rows: &Option<Vec<usize>>| {
        rows.as_ref()
            .map_or_else(|| table(inputs, side).rows(), Vec::len)
    };
    let constrained: BTreeSet<&str> = a
        .predicates
        .iter()
        .chain(&b.predicates)
        .filter_map(Predicate::column)
        .collect();
    state.stage("comparing slices", ws.prepared.len() as u64);
    let settings = &ws.settings;
    let from_cells = profiles
        .then(|| {
            compare_from_profiles(
                ws,
                (a, a_rows.as_deref()),
                (b, b_rows.as_deref()),
                &constrained,
                state,
            )
        })
        .flatten();
    let mut columns: Vec<SliceColumn> = match from_cells {
        Some(columns) => columns,
        None => ws
            .prepared
            .par_iter()
            .zip(&ws.whole)
            .filter(|(p, _)| !constrained.contains(p.name.as_str()))
            .filter_map(|(p, whole)| {
                if state.is_cancelled() {
                    return None;
                }
                let own;
                let reference = if b.side == Side::Baseline && b_rows.is_none() {
                    whole
                } else {
                    own = p.reference_on(b.side, b_rows.as_deref(), settings);
                    &own
                };
                let out = match reference {
                    PreparedRef::Numeric(r) => {
                        let values = p.values_on(a.side, a_rows.as_deref());
                        let sample = drift::NumericSample::new(&values);
                        let d = drift::numeric_drift_sample(&p.name, r, &sample, settings);
                        SliceColumn {
                            role: p.role,
                            drift: d,
                            ecdf: Some((
                                Ecdf::of_sorted(&r.sorted),
                                Ecdf::of_sorted(&sample.sorted),
                            )),
                        }
                    }
                    PreparedRef::Categorical(_) => SliceColumn {
                        role: p.role,
                        drift: p.drift_on(reference, a.side, a_rows.as_deref(), settings),
                        ecdf: None,
                    },
                };
                state.advance(1);
                Some(out)
            })
            .collect(),
    };
    if state.is_cancelled() {
        return Ok(None);
    }
    rank(&mut columns);
    let features: Vec<&SliceColumn> = columns.iter().filter(|c| c.role == Role::Feature).collect();
    Ok(Some(SliceComparison {
        a_rows: count(a.side, &a_rows),
        b_rows: count(b.side, &b_rows),
        a: a.clone(),
        b: b.clone(),
        drifted_features: features.iter().filter(|c| c.drift.drifted).count(),
        features: features.len(),
        left_out: ws
            .prepared
            .iter()
            .filter(|p| constrained.contains(p.name.as_str()))
            .map(|p| p.name.clone())
            .collect(),
        columns,
    }))
}

/// Every column of [`compare`] from the cell profiles, when slice A is a union of log cells and
/// B is the whole baseline or one baseline segment value (whose bins the grid holds): the merged
/// profiles, made exact by one gathering pass over the slices' rows — the numbers the report
/// gives for the same rows. `None` when the cells cannot answer.
fn compare_from_profiles(
    ws: &Workspace,
    (a, a_rows): (&SliceDef, Option<&[usize]>),
    (b, b_rows): (&SliceDef, Option<&[usize]>),
    constrained: &BTreeSet<&str>,
    state: &JobState,
) -> Option<Vec<SliceColumn>> {
    let all = ws.cells.as_ref()?;
    let settings = &ws.settings;
    if settings.preset == drift::Preset::Evidently
        || a.side != Side::Log
        || b.side != Side::Baseline
    {
        return None;
    }
    // Over the whole time range the untimed level's finer grid answers; a time range needs
    // the windows' cells.
    let (cells, keep_slots) = match a.time() {
        None => {
            let level = all.untimed();
            (level, vec![true; level.log.index.slots])
        }
        Some(_) => (all.timed(), slots_of(all, a)?),
    };
    let log = cells.log;
    let keep_tuples = tuples_of(&log.index, a)?;
    // B: the whole baseline, or one value of one segment column.
    let segment = match b.predicates.as_slice() {
        [] => None,
        [Predicate::OneOf { column, values }] if values.len() == 1 => {
            Some((column.clone(), values[0].clone()))
        }
        _ => return None,
    };
    let base = cells.baseline;
    let base_tuples = match &segment {
        None => None,
        Some((column, value)) => Some(
            base.index
                .tuples_where(column, std::slice::from_ref(value))?,
        ),
    };
    let columns: Option<Vec<SliceColumn>> = ws
        .prepared
        .par_iter()
        .enumerate()
        .filter(|(_, p)| !constrained.contains(p.name.as_str()))
        .map(|(i, p)| {
            if state.is_cancelled() {
                return None;
            }
            let grid = cells.grids[i].as_ref();
            let current = log.merged(i, |t, s| keep_tuples[t] && keep_slots[s])?;
            let (reference, bins) = match (&base_tuples, &segment) {
                (Some(keep), Some(key)) => (
                    base.merged(i, |t, _| keep[t])?,
                    match grid {
                        Some(g) => Some(g.segments.get(key)?),
                        None => None,
                    },
                ),
                _ => (cells.whole_baseline[i].clone()?, None),
            };
            // The whole baseline's values are sorted in its reference already.
            let reference_values = match (&segment, &ws.whole[i]) {
                (None, PreparedRef::Numeric(r)) => profiles::ReferenceValues::Sorted(&r.sorted),
                _ => profiles::ReferenceValues::Rows(b_rows),
            };
            let drift = profiles::drift_exact(
                p,
                grid,
                bins,
                &reference,
                &current,
                reference_values,
                a_rows,
                settings,
            );
            if drift.undecided() {
                return None;
            }
            let ecdf = match (&reference, &current, grid) {
                (
                    profiles::ColumnProfile::Numeric(r),
                    profiles::ColumnProfile::Numeric(c),
                    Some(g),
                ) => Some((Ecdf::of_profile(&g.grid, r), Ecdf::of_profile(&g.grid, c))),
                _ => None,
            };
            state.advance(1);
            Some(SliceColumn {
                role: p.role,
                drift,
                ecdf,
            })
        })
        .collect();
    columns
}

fn rank(columns: &mut [SliceColumn]) {
    columns.sort_by(|x, y| {
        y.drift
            .drifted
            .cmp(&x.drift.drifted)
            .then(severity(&y.drift).total_cmp(&severity(&x.drift)))
    });
}

/// How far a score is over its threshold on one scale for every method: 1 at the threshold,
/// 0 for no difference, larger is worse (p-values on a log scale). `None` without a verdict.
pub fn severity(d: &ColumnDrift) -> f64 {
    let Some(s) = d.score else { return -1.0 };
    if d.lower_is_drift {
        let t = d.threshold.clamp(1e-300, 1.0 - 1e-12);
        s.max(1e-300).ln() / t.ln()
    } else if d.threshold > 0.0 {
        s / d.threshold
    } else {
        s
    }
}

/// One cell of the heatmap: one column in one segment value's rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HeatCell {
    pub score: Option<f64>,
    pub threshold: f64,
    pub method: String,
    pub drifted: bool,
    /// [`severity`]: 1 at the threshold.
    pub severity: f64,
    pub rows: usize,
    pub note: Option<String>,
}

/// Segment value × column, coloured by drift.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Heatmap {
    pub segment: String,
    pub reference: Reference,
    pub within: SliceDef,
    /// Segment values with their log rows (within the slice).
    pub values: Vec<(String, usize)>,
    pub columns: Vec<String>,
    /// `cells[value][column]`.
    pub cells: Vec<Vec<HeatCell>>,
}

impl Heatmap {
    /// Drifted columns per segment value.
    pub fn row_totals(&self) -> Vec<usize> {
        self.cells
            .iter()
            .map(|r| r.iter().filter(|c| c.drifted).count())
            .collect()
    }

    /// Segment values in which each column drifts.
    pub fn column_totals(&self) -> Vec<usize> {
        (0..self.columns.len())
            .map(|j| self.cells.iter().filter(|r| r[j].drifted).count())
            .collect()
    }

    /// Row order with the worst segment value first (most drifted columns, then highest
    /// severity).
    pub fn worst_first(&self) -> Vec<usize> {
        let totals = self.row_totals();
        let max_sev = |i: usize| {
            self.cells[i]
                .iter()
                .map(|c| c.severity)
                .fold(f64::NEG_INFINITY, f64::max)
        };
        let mut order: Vec<usize> = (0..self.values.len()).collect();
        order.sort_by(|&x, &y| {
            totals[y]
                .cmp(&totals[x])
                .then(max_sev(y).total_cmp(&max_sev(x)))
        });
        order
    }

    /// The worst cell: (value index, column index).
    pub fn worst_cell(&self) -> Option<(usize, usize)> {
        let mut best: Option<(usize, usize, f64)> = None;
        for (i, row) in self.cells.iter().enumerate() {
            for (j, c) in row.iter().enumerate() {
                if best.is_none_or(|(_, _, s)| c.severity > s) {
                    best = Some((i, j, c.severity));
                }
            }
        }
        best.map(|(i, j, _)| (i, j))
    }
}

/// Every column's drift within each value of `segment`, restricted to the log slice `within`,
/// against the whole baseline or the same segment value of the baseline.
pub fn heatmap(
    ws: &Workspace,
    inputs: &Inputs,
    within: &SliceDef,
    segment: &str,
    reference: Reference,
    state: &JobState,
) -> Result<Option<Heatmap>, String> {
    if reference == Reference::Baseline
        && let Some(h) = heatmap_from_profiles(ws, inputs, within, segment, state)
    {
        return Ok((!state.is_cancelled()).then_some(h));
    }
    let within_rows = slice_rows_cached(inputs, within, &ws.groups)?;
    let log = table(inputs, Side::Log);
    if log.frame.column(segment).is_err() {
        return Err(no_column(inputs, Side::Log, segment));
    }
    let groups = ws.groups.get(inputs, Side::Log, segment)?;
    let mut by_group = groups.rows_by_group();
    if let Some(rows) = &within_rows {
        let mut inside = vec![false; log.rows()];
        for &r in rows {
            inside[r] = true;
        }
        for g in &mut by_group {
            g.retain(|&r| inside[r]);
        }
    }
    let base_groups = if reference == Reference::BaselineSegment {
        let b = table(inputs, Side::Baseline);
        if b.frame.column(segment).is_err() {
            return Err(format!(
                "the baseline has no column `{segment}`: compare against the whole baseline instead"
            ));
        }
        let g = ws.groups.get(inputs, Side::Baseline, segment)?;
        let rows = g.rows_by_group();
        Some((g, rows))
    } else {
        None
    };
    let cols: Vec<usize> = (0..ws.prepared.len())
        .filter(|&i| ws.prepared[i].name != segment)
        .collect();
    state.stage(format!("heatmap of {segment}"), groups.values.len() as u64);
    let settings = &ws.settings;
    let cells: Vec<Vec<HeatCell>> = groups
        .values
        .par_iter()
        .zip(&by_group)
        .map(|(value, rows)| {
            if state.is_cancelled() {
                return Vec::new();
            }
            let base_rows = base_groups
                .as_ref()
                .map(|(g, all)| g.index_of(value).map(|i| all[i as usize].as_slice()));
            let row = cols
                .iter()
                .map(|&i| {
                    let p = &ws.prepared[i];
                    let d = match base_rows {
                        None => p.drift(&ws.whole[i], Some(rows), settings),
                        Some(Some(b)) => {
                            let r = p.reference(Some(b), settings);
                            p.drift(&r, Some(rows), settings)
                        }
                        Some(None) => absent_from_baseline(&p.name, rows.len()),
                    };
                    HeatCell {
                        severity: if d.note.is_some() { -1.0 } else { severity(&d) },
                        score: d.score.filter(|_| d.note.is_none()),
                        threshold: d.threshold,
                        method: d.method,
                        drifted: d.drifted,
                        rows: rows.len(),
                        note: d.note,
                    }
                })
                .collect();
            state.advance(1);
            row
        })
        .collect();
    if state.is_cancelled() {
        return Ok(None);
    }
    Ok(Some(Heatmap {
        segment: segment.to_owned(),
        reference,
        within: within.clone(),
        values: groups
            .values
            .iter()
            .cloned()
            .zip(by_group.iter().map(Vec::len))
            .collect(),
        columns: cols.iter().map(|&i| ws.prepared[i].name.clone()).collect(),
        cells,
    }))
}

/// Which of the log's time slots (windows, then the rows outside every window) a slice's time
/// condition keeps; `None` when it cuts through a window (then the rows decide).
fn slots_of(cells: &super::workspace::Cells, slice: &SliceDef) -> Option<Vec<bool>> {
    let slots = cells.log.index.slots;
    let Some((t0, t1)) = slice.time() else {
        return Some(vec![true; slots]);
    };
    let windows = &cells.windows.as_ref()?.windows;
    let mut keep = vec![false; slots];
    for (k, w) in keep.iter_mut().zip(windows) {
        let (start, end) = (w.start_micros?, w.end_micros?);
        if start >= t0 && end <= t1 {
            *k = true;
        } else if start < t1 && end > t0 && w.rows > 0 {
            return None;
        }
    }
    Some(keep)
}

/// The heatmap against the whole baseline from the cell profiles, when `within` is a union of
/// cells and the cells are cut by `segment`; `None` otherwise.
fn heatmap_from_profiles(
    ws: &Workspace,
    inputs: &Inputs,
    within: &SliceDef,
    segment: &str,
    state: &JobState,
) -> Option<Heatmap> {
    let cells = ws.cells.as_ref()?;
    if within.side != Side::Log {
        return None;
    }
    let index = &cells.log.index;
    let k = index.segments.iter().position(|s| s == segment)?;
    let keep_tuples = tuples_of(index, within)?;
    let keep_slots = slots_of(cells, within)?;
    let groups = ws.groups.get(inputs, Side::Log, segment).ok()?;
    let cols: Vec<usize> = (0..ws.prepared.len())
        .filter(|&i| ws.prepared[i].name != segment)
        .collect();
    // Every column needs its profiles; one left unprofiled sends the heatmap to the rows.
    let whole: Vec<&profiles::ColumnProfile> = cols
        .iter()
        .map(|&i| cells.whole_baseline[i].as_ref())
        .collect::<Option<_>>()?;
    state.stage(format!("heatmap of {segment}"), groups.values.len() as u64);
    let settings = &ws.settings;
    let rows_and_cells: Vec<(usize, Vec<HeatCell>)> = groups
        .values
        .par_iter()
        .map(|value| {
            let keep = |t: usize, s: usize| {
                keep_tuples[t] && keep_slots[s] && index.tuples[t][k].as_deref() == Some(value)
            };
            let mut rows = 0usize;
            let row = cols
                .iter()
                .zip(&whole)
                .map(|(&i, whole)| {
                    let p = &ws.prepared[i];
                    let current = cells.log.merged(i, keep);
                    let d = match &current {
                        Some(cur) => profiles::drift_from_profiles(
                            p,
                            cells.grids[i].as_ref(),
                            None,
                            whole,
                            cur,
                            settings,
                        ),
                        None => absent_from_baseline(&p.name, 0),
                    };
                    rows = current.as_ref().map_or(0, |c| c.rows() as usize);
                    HeatCell {
                        severity: if d.note.is_some() { -1.0 } else { severity(&d) },
                        score: d.score.filter(|_| d.note.is_none()),
                        threshold: d.threshold,
                        method: d.method,
                        drifted: d.drifted,
                        rows,
                        note: d.note,
                    }
                })
                .collect();
            state.advance(1);
            (rows, row)
        })
        .collect();
    Some(Heatmap {
        segment: segment.to_owned(),
        reference: Reference::Baseline,
        within: within.clone(),
        values: groups
            .values
            .iter()
            .cloned()
            .zip(rows_and_cells.iter().map(|(r, _)| *r))
            .collect(),
        columns: cols.iter().map(|&i| ws.prepared[i].name.clone()).collect(),
        cells: rows_and_cells.into_iter().map(|(_, c)| c).collect(),
    })
}

fn absent_from_baseline(column: &str, rows: usize) -> ColumnDrift {
    ColumnDrift {
        column: column.to_owned(),
        kind: ColumnKind::Numeric,
        n_baseline: 0,
        n_current: rows,
        method: String::new(),
        score: None,
        threshold: 0.0,
        lower_is_drift: false,
        drifted: false,
        note: Some("this segment value never appears in the baseline".to_owned()),
        exact: true,
        score_interval: None,
        stats: drift::DriftStats::default(),
    }
}

/// One line of a timeline: a column's drift score and missing share per window, for some rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimelineLine {
    /// "all rows" or "region = us-west".
    pub label: String,
    pub scores: Vec<Option<f64>>,
    pub null_rates: Vec<Option<f64>>,
    pub rows: Vec<usize>,
}

/// One column over time within a slice, overall and per segment value, with what else moves over
/// time: the score's distribution and latency.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    pub column: String,
    pub within: SliceDef,
    pub windows: Vec<Window>,
    pub method: String,
    pub lower_is_drift: bool,
    pub lines: Vec<TimelineLine>,
    /// The score column's 10th, 50th and 90th percentiles per window.
    pub score_column: Option<String>,
    pub score_quantiles: Vec<Option<[f64; 3]>>,
    /// Latency p50 and p95 per window.
    pub latency_column: Option<String>,
    pub latency: Vec<Option<[f64; 2]>>,
}

/// The log's cell tuples inside a slice, when the slice is a union of cells: its conditions are
/// all on segment columns the cells are cut by (a time condition is left to the caller).
/// `None` otherwise.
pub(crate) fn tuples_of(index: &profiles::CellIndex, slice: &SliceDef) -> Option<Vec<bool>> {
    let mut keep = vec![true; index.tuples.len()];
    for p in &slice.predicates {
        match p {
            Predicate::OneOf { column, values } => {
                let inside = index.tuples_where(column, values)?;
                for (k, i) in keep.iter_mut().zip(inside) {
                    *k = *k && i;
                }
            }
            Predicate::Time { .. } => {}
            Predicate::Range { .. } => return None,
        }
    }
    Some(keep)
}

/// At most this many segment values get their own line (the largest ones).
const TIMELINE_SEGMENTS: usize = 8;

/// `column` per window within the log slice `within` (its time range ignored: the timeline shows
/// every window), overall and for the largest values of `segment`.
pub fn timeline(
    ws: &Workspace,
    inputs: &Inputs,
    spec: &WindowSpec,
    column: &str,
    within: &SliceDef,
    segment: Option<&str>,
    state: &JobState,
) -> Result<Option<Timeline>, String> {
    let Some(i) = ws.prepared.iter().position(|p| p.name == column) else {
        return Err(format!("`{column}` is not an analysed column"));
    };
    let (p, whole) = (&ws.prepared[i], &ws.whole[i]);
    let own;
    let assignment = match ws.cells.as_ref().and_then(|c| c.windows.as_ref()) {
        Some(a) if ws.window.as_ref() == Some(spec) => a,
        _ => {
            own = windows::assign_windows(inputs, spec)?;
            &own
        }
    };
    let (assigned, windows) = (&assignment.assigned, assignment.windows.clone());
    let within = within.without_time();
    let inside = slice_rows_cached(inputs, &within, &ws.groups)?;
    let mut per_window = vec![Vec::new(); windows.len()];
    let mut push = |row: usize| {
        if let Some(w) = assigned[row] {
            per_window[w].push(row);
        }
    };
    match &inside {
        Some(rows) => rows.iter().copied().for_each(&mut push),
        None => (0..assigned.len()).for_each(&mut push),
    }
    state.stage(format!("{column} over time"), 0);
    let settings = &ws.settings;
    // From the cell profiles when the windows are the workspace's and the slice is a union of
    // cells; from the rows otherwise.
    let profiled = ws
        .cells
        .as_ref()
        .filter(|c| c.windows.is_some() && ws.window.as_ref() == Some(spec))
        .and_then(|c| Some((c, tuples_of(&c.log.index, &within)?)));
    let from_rows = |label: String, rows_per_window: &[Vec<usize>]| {
        let results: Vec<ColumnDrift> = rows_per_window
            .par_iter()
            .map(|rows| p.drift(whole, Some(rows), settings))
            .collect();
        TimelineLine {
            label,
            scores: results
                .iter()
                .map(|d| d.score.filter(|_| d.note.is_none()))
                .collect(),
            null_rates: results
                .iter()
                .zip(rows_per_window)
                .map(|(d, r)| (!r.is_empty()).then_some(d.stats.null_rate_current))
                .collect(),
            rows: rows_per_window.iter().map(Vec::len).collect(),
        }
    };
    let from_profiles = |label: String, keep: &[bool]| {
        let (c, _) = profiled.as_ref()?;
        let whole_baseline = c.whole_baseline[i].as_ref()?;
        let per_slot = c.log.per_slot(i, keep);
        let grid = c.grids[i].as_ref();
        let results: Vec<(ColumnDrift, u64)> = per_slot
            .iter()
            .take(windows.len())
            .map(|cur| {
                (
                    profiles::drift_from_profiles(p, grid, None, whole_baseline, cur, settings),
                    cur.rows(),
                )
            })
            .collect();
        Some(TimelineLine {
            label,
            scores: results
                .iter()
                .map(|(d, _)| d.score.filter(|_| d.note.is_none()))
                .collect(),
            null_rates: results
                .iter()
                .map(|(d, r)| (*r > 0).then_some(d.stats.null_rate_current))
                .collect(),
            rows: results.iter().map(|(_, r)| *r as usize).collect(),
        })
    };
    let mut lines = vec![match &profiled {
        Some((_, keep)) => from_profiles("all rows".to_owned(), keep)
            .unwrap_or_else(|| from_rows("all rows".to_owned(), &per_window)),
        None => from_rows("all rows".to_owned(), &per_window),
    }];
    let (method, _) = settings.verdict_rule(column, p.kind());
    if let Some(seg) = segment.filter(|s| *s != column) {
        let log = &inputs.current.frame;
        if log.column(seg).is_err() {
            return Err(no_column(inputs, Side::Log, seg));
        }
        let groups = ws.groups.get(inputs, Side::Log, seg)?;
        let by_cells = profiled.as_ref().and_then(|(c, keep)| {
            let k = c.log.index.segments.iter().position(|s| s == seg)?;
            Some((c, keep, k))
        });
        if let Some((c, keep, k)) = by_cells {
            let per_value: Vec<Vec<bool>> = groups
                .values
                .iter()
                .map(|v| {
                    c.log
                        .index
                        .tuples
                        .iter()
                        .zip(keep.iter())
                        .map(|(t, &kept)| kept && t[k].as_deref() == Some(v.as_str()))
                        .collect()
                })
                .collect();
            let mut built: Vec<TimelineLine> = Vec::new();
            for (g, keep_v) in per_value.iter().enumerate() {
                if state.is_cancelled() {
                    return Ok(None);
                }
                if let Some(l) = from_profiles(format!("{seg} = {}", groups.values[g]), keep_v) {
                    built.push(l);
                }
            }
            built.sort_by_key(|l| std::cmp::Reverse(l.rows.iter().sum::<usize>()));
            lines.extend(built.into_iter().take(TIMELINE_SEGMENTS));
        } else {
            let mut split: Vec<Vec<Vec<usize>>> =
                vec![vec![Vec::new(); windows.len()]; groups.values.len()];
            for (w, rows) in per_window.iter().enumerate() {
                for &r in rows {
                    if let Some(g) = groups.row_group[r] {
                        split[g as usize][w].push(r);
                    }
                }
            }
            let mut order: Vec<usize> = (0..groups.values.len()).collect();
            let size = |g: usize| split[g].iter().map(Vec::len).sum::<usize>();
            order.sort_by_key(|&g| std::cmp::Reverse(size(g)));
            for g in order.into_iter().take(TIMELINE_SEGMENTS) {
                if state.is_cancelled() {
                    return Ok(None);
                }
                lines.push(from_rows(
                    format!("{seg} = {}", groups.values[g]),
                    &split[g],
                ));
            }
        }
    }
    let numeric_per_window = |col: &str| -> Option<Vec<Vec<f64>>> {
        let values = columns::numeric_values(&inputs.current.frame, col).ok()?;
        Some(
            per_window
                .iter()
                .map(|rows| sorted(&rows.iter().filter_map(|&r| values[r]).collect::<Vec<_>>()))
                .collect(),
        )
    };
    let score_column = inputs
        .roles
        .with_role(Role::Score)
        .first()
        .map(|s| (*s).to_owned());
    let score_quantiles = score_column
        .as_deref()
        .and_then(numeric_per_window)
        .map(|w| {
            w.iter()
                .map(|s| {
                    Some([
                        quantile_sorted(s, 0.1)?,
                        quantile_sorted(s, 0.5)?,
                        quantile_sorted(s, 0.9)?,
                    ])
                })
                .collect()
        })
        .unwrap_or_default();
    let latency_column = inputs
        .roles
        .with_role(Role::Latency)
        .first()
        .map(|s| (*s).to_owned());
    let latency = latency_column
        .as_deref()
        .and_then(numeric_per_window)
        .map(|w| {
            w.iter()
                .map(|s| Some([quantile_sorted(s, 0.5)?, quantile_sorted(s, 0.95)?]))
                .collect()
        })
        .unwrap_or_default();
    if state.is_cancelled() {
        return Ok(None);
    }
    Ok(Some(Timeline {
        column: column.to_owned(),
        within,
        windows,
        method: method.as_str().to_owned(),
        lower_is_drift: method.is_pvalue(),
        lines,
        score_column,
        score_quantiles,
        latency_column,
        latency,
    }))
}
