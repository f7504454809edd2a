//! `driftscope profile` of a log read in batches, so that a log larger than memory is profiled
//! in memory bounded by one batch: a plan pass reads the batches for the segment tuples and the
//! time buckets (the whole log's windows and cell count, so every batch is cut alike), a
//! profile pass cuts each batch into cells on the grids those fix and adds them up
//! ([`LogProfile::merge`]), and a value pass gathers, from each batch, the log values the merged
//! profile's exact answers need. A log that fits in one batch is profiled in one pass.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use super::{InputFile, LogProfile, StoredValues};
use crate::analysis::profiles::CellColumn;
use crate::analysis::report::DriftParams;
use crate::analysis::windows::{self, WindowSpec};
use crate::analysis::workspace::{
    self, ColumnData, GroupCache, Side, Sizing, Workspace, chunk_rows_for,
};
use crate::data::{Inputs, OverrideLayers, Table, load_table, load_table_slice, resolve};
use crate::jobs::JobState;

/// How a log was read.
#[derive(Clone, Debug, PartialEq)]
pub struct Batched {
    pub profile: LogProfile,
    /// Batches read (1: the log fit in one).
    pub batches: usize,
    pub batch_rows: usize,
}

/// What [`profile_in_batches`] returns when its `say` asks it to stop.
pub const CANCELLED: &str = "cancelled";

/// Batches of fewer rows than this are refused: every batch is a scan of the file.
pub const MIN_BATCH_ROWS: usize = 1_000;

/// At most this many distinct time buckets while planning: beyond, the timestamps are spread
/// over too many windows to plan (a stray timestamp alone is one bucket).
const MAX_PLANNED_BUCKETS: usize = 1_000_000;

/// The log at `log` profiled against `baseline`, read `batch_rows` rows at a time. `files` names
/// both inputs as the header records them (their `rows` are filled in here).
pub fn profile_in_batches(
    (baseline_path, log_path): (&Path, &Path),
    files: (InputFile, InputFile),
    overrides: &OverrideLayers,
    params: &DriftParams,
    (batch_rows, value_budget): (usize, usize),
    say: &dyn Fn(String) -> bool,
) -> Result<Batched, String> {
    // `say` answers whether to go on: the app's cancel.
    let say = |message: String| -> Result<(), String> {
        if say(message) {
            Ok(())
        } else {
            Err(CANCELLED.to_owned())
        }
    };
    if batch_rows < MIN_BATCH_ROWS {
        return Err(format!(
            "--batch-rows {batch_rows}: at least {MIN_BATCH_ROWS} rows a batch (each batch is a \
             scan of the file)"
        ));
    }
    let (baseline_file, log_file) = files;
    let baseline = load_table(baseline_path).map_err(|e| e.to_string())?;
    let batch = |k: usize| -> Result<Table, String> {
        load_table_slice(log_path, k * batch_rows, batch_rows).map_err(|e| e.to_string())
    };
    let first = batch(0)?;
    // A log of exactly `batch_rows` rows is one batch too (one more row is read to know).
    let one_batch = first.rows() < batch_rows
        || load_table_slice(log_path, batch_rows, 1).is_ok_and(|t| t.rows() == 0);
    let inputs = resolve(baseline.clone(), first, overrides).map_err(|e| e.to_string())?;
    let files_with = |log_rows: usize| {
        (
            InputFile {
                rows: baseline.rows(),
                ..baseline_file.clone()
            },
            InputFile {
                rows: log_rows,
                ..log_file.clone()
            },
        )
    };
    if one_batch {
        let ws = Workspace::new(&inputs, params, &JobState::default());
        let profile = LogProfile::of_within(
            &ws,
            files_with(inputs.current.rows()),
            &inputs,
            params,
            (Some(value_budget), value_budget),
            None,
        )
        .ok_or("the log could not be cut into cells")?;
        return Ok(Batched {
            profile,
            batches: 1,
            batch_rows,
        });
    }
    if matches!(params.window, Some(WindowSpec::Rows(_))) {
        return Err(format!(
            "windows of a number of rows cannot be planned over a log read in batches of \
             {batch_rows} rows: use a period (--window 1d) or a larger --batch-rows"
        ));
    }
    // Every batch is read with the first batch's roles.
    let (roles, schema) = (inputs.roles.clone(), inputs.schema.clone());
    let batch_inputs = |current: Table| Inputs {
        baseline: baseline.clone(),
        current,
        roles: roles.clone(),
        schema: schema.clone(),
    };
    let mut first = Some(inputs);
    let mut next = |k: usize| -> Result<Option<Inputs>, String> {
        let inputs = match (k, first.take()) {
            (0, Some(inputs)) => inputs,
            _ => batch_inputs(batch(k)?),
        };
        Ok((inputs.current.rows() > 0).then_some(inputs))
    };

    // The plan: segment tuples and time buckets over the whole log.
    let mut tuples: HashSet<Vec<Option<String>>> = HashSet::new();
    let mut buckets: BTreeMap<i64, usize> = BTreeMap::new();
    let mut rows = 0usize;
    let mut k = 0;
    while let Some(inputs) = next(k)? {
        say(format!(
            "planning: batch {} ({} rows)",
            k + 1,
            inputs.current.rows()
        ))?;
        rows += inputs.current.rows();
        tuples.extend(tuples_of(&inputs));
        if tuples.len() > crate::analysis::profiles::MAX_CELLS {
            return Err(format!(
                "the log has over {} combinations of segment values (by batch {}): profile fewer \
                 segment columns (--segment, --role COL=feature)",
                crate::analysis::profiles::MAX_CELLS,
                k + 1
            ));
        }
        if let Some(spec) = &params.window
            && let Some(Ok(b)) = windows::period_buckets(&inputs, spec)
        {
            for b in b.into_iter().flatten() {
                *buckets.entry(b).or_default() += 1;
            }
            if buckets.len() > MAX_PLANNED_BUCKETS {
                return Err(format!(
                    "the log's timestamps fall in more than {MAX_PLANNED_BUCKETS} windows: give \
                     a longer --window"
                ));
            }
        }
        k += 1;
    }
    let batches = k;
    let range = windows::window_range_of(&buckets);
    let window_rows: Vec<windows::Window> = range
        .map(|(a, b, _)| {
            (a..=b)
                .map(|i| windows::Window {
                    index: 0,
                    start: None,
                    end: None,
                    start_micros: None,
                    end_micros: None,
                    rows: buckets.get(&i).copied().unwrap_or(0),
                })
                .collect()
        })
        .unwrap_or_default();
    let slots = if range.is_some() {
        window_rows.len() + 1
    } else {
        1
    };
    let cells = tuples.len().max(1) * slots;
    if cells > crate::analysis::profiles::MAX_CELLS {
        return Err(format!(
            "the log has {} segment tuples × {} time slots = {cells} cells, over the {} a profile \
             read in batches holds: profile fewer segment columns (--segment, --role COL=feature) \
             or with a longer --window",
            tuples.len(),
            slots,
            crate::analysis::profiles::MAX_CELLS
        ));
    }
    let sizing = Sizing {
        log_cells: Some((cells, tuples.len().max(1))),
        window_range: range.map(|(a, b, _)| (a, b)),
        chunk_rows: Some(chunk_rows_for(
            range.is_some().then_some(window_rows.as_slice()),
            params.settings.min_rows,
            baseline.rows(),
        )),
    };

    // The profile: every batch cut alike, added up.
    let mut merged: Option<LogProfile> = None;
    for k in 0..batches {
        let Some(inputs) = next(k)? else { break };
        say(format!("profiling: batch {} of {batches}", k + 1))?;
        let mut ws = Workspace::new_sized(&inputs, params, &JobState::default(), &sizing);
        // The timed log cells move into the part (unless the untimed ones are made from them).
        let taken = match ws.cells.as_mut() {
            Some(c) if c.untimed.is_some() => Some(std::mem::take(&mut c.log.columns)),
            _ => None,
        };
        let part = LogProfile::of_within(
            &ws,
            files_with(inputs.current.rows()),
            &inputs,
            params,
            (None, value_budget),
            taken,
        )
        .ok_or("a batch of the log could not be cut into cells")?;
        // The batch's rows and workspace go before the merge: one batch in memory at a time.
        drop(ws);
        drop(inputs);
        merged = Some(match merged {
            None => part,
            Some(m) => {
                LogProfile::merge(vec![m, part]).map_err(|e| format!("batch {}: {e}", k + 1))?
            }
        });
        if let Some(m) = &mut merged {
            bound_perf_values(m, value_budget);
        }
    }
    let mut profile = merged.ok_or("the log has no rows")?;
    let (baseline_file, log_file) = files_with(rows);
    profile.header.baseline = baseline_file;
    profile.header.log = log_file;
    if let Some(w) = &mut profile.header.windows {
        restate_window_notes(w);
    }

    // The values exact answers need, gathered batch by batch.
    if value_budget > 0 {
        gather_values(
            &mut profile,
            &baseline,
            log_path,
            params,
            value_budget,
            |k| {
                let inputs = next(k)?;
                if inputs.is_some() {
                    say(format!("gathering values: batch {} of {batches}", k + 1))?;
                }
                Ok(inputs)
            },
        )?;
    }
    Ok(Batched {
        profile,
        batches,
        batch_rows,
    })
}

/// Every segment tuple of one batch, by the values of its segment columns (the cells' order).
fn tuples_of(inputs: &Inputs) -> HashSet<Vec<Option<String>>> {
    let groups = workspace::segment_groups(
        inputs,
        &GroupCache::default(),
        Side::Log,
        &JobState::default(),
    );
    let mut keys: HashSet<Vec<Option<u32>>> = HashSet::new();
    for row in 0..inputs.current.rows() {
        keys.insert(groups.iter().map(|(_, g)| g.row_group.get(row)).collect());
    }
    keys.into_iter()
        .map(|key| {
            key.iter()
                .zip(&groups)
                .map(|(c, (_, g))| c.and_then(|c| g.values.get(c as usize).cloned()))
                .collect()
        })
        .collect()
}

/// Scores and latency values kept only while the whole log's stay within the budget.
fn bound_perf_values(profile: &mut LogProfile, budget: usize) {
    let (Some(spec), Some(cells)) = (&mut profile.header.performance, &mut profile.performance)
    else {
        return;
    };
    let scores: usize = cells
        .iter()
        .map(|c| c.positive_scores.len() + c.negative_scores.len())
        .sum();
    if scores > budget || !spec.scores_complete {
        spec.scores_complete = false;
        for c in cells.iter_mut() {
            c.positive_scores = Vec::new();
            c.negative_scores = Vec::new();
        }
    }
    let latency: usize = cells.iter().map(|c| c.latency.len()).sum();
    if latency > budget || !spec.latency_complete {
        spec.latency_complete = false;
        for c in cells.iter_mut() {
            c.latency = Vec::new();
        }
    }
}

/// The batches' notes about rows left out of the windows, said once for the whole log.
fn restate_window_notes(w: &mut super::ProfiledWindows) {
    w.notes.retain(|n| {
        !(n.contains("rows have a timestamp far from the rest")
            || n.contains("rows have no timestamp"))
    });
    if w.rows_outside > 0 {
        w.notes.push(format!(
            "{} rows have a timestamp far from the rest of the log and are left out of the windows",
            w.rows_outside
        ));
    }
    if w.rows_without_time > 0 {
        w.notes.push(format!(
            "{} rows have no timestamp and are left out of the windows",
            w.rows_without_time
        ));
    }
}

/// The value pass: what the merged profile's overall and per-segment entries need to be exact
/// (within `budget` values a column), gathered from every batch's rows.
fn gather_values(
    profile: &mut LogProfile,
    baseline: &Table,
    log_path: &Path,
    params: &DriftParams,
    budget: usize,
    mut next: impl FnMut(usize) -> Result<Option<Inputs>, String>,
) -> Result<(), String> {
    let inputs = profile.inputs(baseline.clone(), log_path)?;
    // The needs are worked out on the untimed level: when it has its own grid, the timed log
    // cells are not needed and not copied.
    let light = if !profile.one_level() {
        LogProfile {
            header: profile.header.clone(),
            untimed: profile.untimed.clone(),
            timed: super::ProfiledLevel {
                index: profile.timed.index.clone(),
                edges: profile.timed.edges.clone(),
                columns: profile
                    .timed
                    .columns
                    .iter()
                    .map(|cells| {
                        CellColumn::Dense(
                            cells.get(0).map(|p| p.into_owned()).into_iter().collect(),
                        )
                    })
                    .collect(),
                values: Vec::new(),
            },
            performance: None,
        }
    } else {
        profile.clone()
    };
    let ws = light.into_workspace(&inputs, params)?;
    let Some(cells) = ws.cells() else {
        return Ok(());
    };
    let level = cells.untimed();
    let needs = super::value_needs(&ws, level, budget);
    if needs.iter().flatten().all(|n| n.stored == 0) {
        for (c, n) in profile.header.columns.iter_mut().zip(&needs) {
            c.exact_values = n.as_ref().map(|n| n.summary()).unwrap_or_default();
        }
        return Ok(());
    }
    // A level tuple's id in the profile's untimed tuples, by its segment values.
    let level_index = &level.log.index;
    let untimed_id = profile.untimed.index.tuple_ids();
    let level_tuple: HashMap<Vec<Option<String>>, usize> = level_index
        .tuples
        .iter()
        .enumerate()
        .map(|(t, tuple)| (tuple.clone(), t))
        .collect();
    let grids: Vec<Option<&crate::stats::profile::Grid>> = (0..ws.prepared.len())
        .map(|i| level.grids.get(i).and_then(Option::as_ref).map(|g| &g.grid))
        .collect();
    let names: Vec<String> = ws.prepared.iter().map(|p| p.name.clone()).collect();
    let mut stored: Vec<StoredValues> = vec![StoredValues::new(); names.len()];
    let mut k = 0;
    while let Some(inputs) = next(k)? {
        k += 1;
        // Each row's tuple in the level, from its segment values.
        let groups = workspace::segment_groups(
            &inputs,
            &GroupCache::default(),
            Side::Log,
            &JobState::default(),
        );
        let values_of = |row: usize| -> Vec<Option<String>> {
            level_index
                .segments
                .iter()
                .map(|s| {
                    let (_, g) = groups.iter().find(|(name, _)| name == s)?;
                    let code = g.row_group.get(row)?;
                    g.values.get(code as usize).cloned()
                })
                .collect()
        };
        let mut key_cache: HashMap<Vec<Option<u32>>, Option<usize>> = HashMap::new();
        let tuple_of_row: Vec<Option<usize>> = (0..inputs.current.rows())
            .map(|row| {
                let key: Vec<Option<u32>> =
                    groups.iter().map(|(_, g)| g.row_group.get(row)).collect();
                *key_cache
                    .entry(key)
                    .or_insert_with(|| level_tuple.get(&values_of(row)).copied())
            })
            .collect();
        let prepared = workspace::prepare(&inputs, &JobState::default());
        let tuples = level_index.tuples.len();
        for (i, name) in names.iter().enumerate() {
            let (Some(Some(need)), Some(grid)) = (needs.get(i), grids[i]) else {
                continue;
            };
            if need.stored == 0 {
                continue;
            }
            let Some(ColumnData::Numeric { current, .. }) =
                prepared.iter().find(|p| &p.name == name).map(|p| &p.data)
            else {
                continue;
            };
            // Per (level tuple, slot), indexed rather than hashed per value.
            let slots = grid.slots();
            let mut batch: Vec<Vec<f64>> = vec![Vec::new(); tuples * slots];
            for (v, t) in current.iter().zip(&tuple_of_row) {
                let (Some(x), Some(t)) = (v.filter(|x| x.is_finite()), t) else {
                    continue;
                };
                let slot = grid.slot(x);
                if !need.per_tuple.get(*t).is_some_and(|w| w[slot]) {
                    continue;
                }
                if let Some(into) = batch.get_mut(t * slots + slot) {
                    into.push(x);
                }
            }
            for (k, xs) in batch.into_iter().enumerate() {
                let (t, slot) = (k / slots, k % slots);
                let Some(&id) = level_index
                    .tuples
                    .get(t)
                    .and_then(|tuple| untimed_id.get(tuple))
                else {
                    continue;
                };
                if !xs.is_empty() {
                    stored[i]
                        .entry((id as u32, slot as u32))
                        .or_default()
                        .extend(xs);
                }
            }
        }
    }
    // The level's grids are the untimed grids the profile stores (its one-level form has the
    // timed ones, which are then the same).
    profile.untimed.values = stored;
    for (c, n) in profile.header.columns.iter_mut().zip(&needs) {
        c.exact_values = n.as_ref().map(|n| n.summary()).unwrap_or_default();
    }
    Ok(())
}
