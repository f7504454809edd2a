//! One column over the windows within a slice, overall and per segment value.

use super::*;
use crate::analysis::workspace::ColumnData;
use crate::jobs::CANCEL_EVERY;
use crate::stats::summary::quantiles_unsorted;

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
    pub method: drift::Method,
    pub lower_is_drift: bool,
    pub lines: Vec<TimelineLine>,
    /// The score column's 10th, 50th and 90th percentiles per window.
    pub score_column: Option<String>,
    pub score_quantiles: Vec<Option<[f64; 3]>>,
    /// Latency p50 and p95 per window.
    pub latency_column: Option<String>,
    pub latency: Vec<Option<[f64; 2]>>,
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
    if !ws.log_rows() {
        // A profile: the drift lines from the cells, no score or latency bands.
        return match timeline_with(ws, inputs, (spec, column, within, segment), false, state)? {
            Some(t) => Ok(Some(t)),
            None if state.is_cancelled() => Ok(None),
            None => Err(Workspace::without_rows("This timeline")),
        };
    }
    timeline_with(ws, inputs, (spec, column, within, segment), true, state)
}

/// A quick first [`timeline`] from the cell profiles alone: the drift lines, without the score
/// and latency bands (which read values). `Ok(None)` when the cells cannot answer it (or it was
/// cancelled).
pub fn timeline_preview(
    ws: &Workspace,
    inputs: &Inputs,
    spec: &WindowSpec,
    column: &str,
    within: &SliceDef,
    segment: Option<&str>,
    state: &JobState,
) -> Result<Option<Timeline>, String> {
    timeline_with(ws, inputs, (spec, column, within, segment), false, state)
}

/// [`timeline`], with the score and latency bands (`bands`) or from the cells alone.
fn timeline_with(
    ws: &Workspace,
    inputs: &Inputs,
    (spec, column, within, segment): (&WindowSpec, &str, &SliceDef, Option<&str>),
    bands: bool,
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
    // The slice's rows per window, listed only when something reads rows (the cells answer the
    // drift lines of a slice that is a union of cells; the score and latency lines read values
    // cell by cell).
    let listed = std::cell::OnceCell::new();
    let per_window = || -> Result<&Vec<Vec<usize>>, String> {
        listed
            .get_or_init(|| {
                let inside = slice_rows_cached(inputs, &within, &ws.groups)?;
                let mut per_window = vec![Vec::new(); windows.len()];
                let mut push = |row: usize| {
                    if let Some(w) = assigned
                        .get(row)
                        .and_then(|w| per_window.get_mut(w as usize))
                    {
                        w.push(row);
                    }
                };
                match &inside {
                    Some(rows) => rows.iter().copied().for_each(&mut push),
                    None => (0..assigned.len()).for_each(&mut push),
                }
                Ok(per_window)
            })
            .as_ref()
            .map_err(String::clone)
    };
    // Counted line by line: the whole log's, then each segment value's.
    state.stage(format!("{column} over time"), 1);
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
                    profiles::drift_score_from_profiles(
                        p,
                        grid,
                        None,
                        whole_baseline,
                        cur,
                        settings,
                    ),
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
    let all_rows = profiled
        .as_ref()
        .and_then(|(_, keep)| from_profiles("all rows".to_owned(), keep));
    let mut lines = vec![match all_rows {
        Some(line) => line,
        None if !bands => return Ok(None),
        None => from_rows("all rows".to_owned(), per_window()?),
    }];
    state.advance(1);
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
            state.stage(
                format!("{column} over time by {seg}"),
                per_value.len() as u64,
            );
            for (g, keep_v) in per_value.iter().enumerate() {
                if state.is_cancelled() {
                    return Ok(None);
                }
                if let Some(l) = from_profiles(format!("{seg} = {}", groups.values[g]), keep_v) {
                    built.push(l);
                }
                state.advance(1);
            }
            built.sort_by_key(|l| std::cmp::Reverse(l.rows.iter().sum::<usize>()));
            lines.extend(built.into_iter().take(TIMELINE_SEGMENTS));
        } else if !bands {
            return Ok(None);
        } else {
            let mut split: Vec<Vec<Vec<usize>>> =
                vec![vec![Vec::new(); windows.len()]; groups.values.len()];
            for (w, rows) in per_window()?.iter().enumerate() {
                for &r in rows {
                    if let Some(g) = groups.row_group.get(r) {
                        split[g as usize][w].push(r);
                    }
                }
            }
            let mut order: Vec<usize> = (0..groups.values.len()).collect();
            let size = |g: usize| split[g].iter().map(Vec::len).sum::<usize>();
            order.sort_by_key(|&g| std::cmp::Reverse(size(g)));
            order.truncate(TIMELINE_SEGMENTS);
            state.stage(format!("{column} over time by {seg}"), order.len() as u64);
            for g in order {
                if state.is_cancelled() {
                    return Ok(None);
                }
                lines.push(from_rows(
                    format!("{seg} = {}", groups.values[g]),
                    &split[g],
                ));
                state.advance(1);
            }
        }
    }
    // A column's values per window within the slice: by the timed cells' tuples when the slice
    // is a union of them (one pass, no list of rows), else from the listed rows.
    let numeric_per_window = |col: &str| -> Result<Option<Vec<Vec<f64>>>, String> {
        let own;
        let values = match ws.prepared.iter().find(|p| p.name == col).map(|p| &p.data) {
            Some(ColumnData::Numeric { current, .. }) => current,
            _ => match columns::numeric_column(&inputs.current.frame, col) {
                Ok(v) => {
                    own = v;
                    &own
                }
                Err(_) => return Ok(None),
            },
        };
        let mut out = vec![Vec::new(); windows.len()];
        match &profiled {
            Some((c, keep)) if c.log.index.cell_of_row.len() == assigned.len() => {
                let slots = c.log.index.slots.max(1);
                let rows = c.log.index.cell_of_row.iter().zip(assigned.iter());
                for (r, (&cell, w)) in rows.enumerate() {
                    if r % CANCEL_EVERY == 0 && state.is_cancelled() {
                        return Ok(None);
                    }
                    if let (Some(w), true) = (w, keep[cell as usize / slots])
                        && let (Some(x), Some(o)) = (values.get(r), out.get_mut(w as usize))
                    {
                        o.push(x);
                    }
                }
            }
            _ => {
                for (w, rows) in per_window()?.iter().enumerate() {
                    out[w].extend(rows.iter().filter_map(|&r| values.get(r)));
                }
            }
        }
        Ok(Some(out))
    };
    // Quantiles of each window's values by selection (the values are reordered, not sorted).
    let quantiles_per_window = |col: &str, qs: &[f64]| -> Result<Vec<Option<Vec<f64>>>, String> {
        Ok(numeric_per_window(col)?
            .map(|mut w| {
                w.par_iter_mut()
                    .map(|v| quantiles_unsorted(v, qs))
                    .collect()
            })
            .unwrap_or_default())
    };
    let score_column = inputs
        .roles
        .with_role(Role::Score)
        .first()
        .map(|s| (*s).to_owned());
    let score_quantiles = match score_column.as_deref().filter(|_| bands) {
        Some(col) => quantiles_per_window(col, &[0.1, 0.5, 0.9])?
            .into_iter()
            .map(|q| q.and_then(|q| Some([*q.first()?, *q.get(1)?, *q.get(2)?])))
            .collect(),
        None => Vec::new(),
    };
    let latency_column = inputs
        .roles
        .with_role(Role::Latency)
        .first()
        .map(|s| (*s).to_owned());
    let latency = match latency_column.as_deref().filter(|_| bands) {
        Some(col) => quantiles_per_window(col, &[0.5, 0.95])?
            .into_iter()
            .map(|q| q.and_then(|q| Some([*q.first()?, *q.get(1)?])))
            .collect(),
        None => Vec::new(),
    };
    if state.is_cancelled() {
        return Ok(None);
    }
    Ok(Some(Timeline {
        column: column.to_owned(),
        within,
        windows,
        method,
        lower_is_drift: method.is_pvalue(),
        lines,
        score_column,
        score_quantiles,
        latency_column,
        latency,
    }))
}
