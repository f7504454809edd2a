//! The report's entries made exact together: one plan per column, one gathering pass over the
//! rows (or the values a profile stored) for all of its comparisons.

use super::*;

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
        level: crate::analysis::workspace::Level<'a>,
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

/// What a profile stores of one column's values for exact answers.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Needs {
    /// Per untimed log tuple, the slots whose values are stored.
    pub per_tuple: Vec<Vec<bool>>,
    /// Values every exact answer together needs, and those stored within the budget.
    pub needed: usize,
    pub stored: usize,
    /// Comparisons (by their log tuples) left with intervals because the budget was spent.
    pub left_out: usize,
}

/// Per untimed log tuple, the slots of column `column` whose values the comparisons `requests`
/// need to be exact: what a profile file stores so that a report from it is exact too. At most
/// `budget` values: the comparisons with the most log rows first (the overall entry, then the
/// largest segments); a comparison whose values do not fit is left with its interval.
pub(crate) fn log_needs(
    column: usize,
    level: crate::analysis::workspace::Level,
    requests: &[&EntryRequest],
    budget: usize,
) -> Needs {
    let plan = Plan::new(level, column, requests);
    let (want_current, _, _) = plan.wanted();
    let slots = plan.grid.map_or(0, |g| g.grid.slots());
    let tuples = level.log.index.tuples.len();
    // Per tuple, its slot counts over all of its time slots.
    let index = &level.log.index;
    let counts: Vec<Vec<u64>> = (0..tuples)
        .map(|t| {
            let mut total = None;
            if let Some(cells) = level.log.columns.get(column) {
                for w in 0..index.slots.max(1) {
                    cells.merge_into(index.cell(t, w), &mut total);
                }
            }
            match total {
                Some(ColumnProfile::Numeric(p)) => p.counts,
                _ => vec![0u64; slots],
            }
        })
        .collect();
    let count = |t: usize, s: usize| counts[t].get(s).copied().unwrap_or(0) as usize;
    let rows_of = |set: &[bool]| -> u64 {
        (0..tuples)
            .filter(|&t| set.get(t).copied().unwrap_or(false))
            .map(|t| counts[t].iter().sum::<u64>())
            .sum()
    };
    let mut order: Vec<usize> = (0..plan.current_sets.len()).collect();
    order.sort_by_key(|&k| std::cmp::Reverse(rows_of(plan.current_sets[k])));
    let mut out = Needs {
        per_tuple: vec![vec![false; slots]; tuples],
        ..Needs::default()
    };
    let mut all = vec![vec![false; slots]; tuples];
    for k in order {
        let (set, want) = (plan.current_sets[k], &want_current[k]);
        let inside: Vec<usize> = (0..tuples)
            .filter(|&t| set.get(t).copied().unwrap_or(false))
            .collect();
        let wanted = || want.iter().enumerate().filter(|(_, w)| **w).map(|(s, _)| s);
        let mut cost = 0;
        for &t in &inside {
            for s in wanted() {
                if !all[t][s] {
                    all[t][s] = true;
                    out.needed += count(t, s);
                }
                if !out.per_tuple[t][s] {
                    cost += count(t, s);
                }
            }
        }
        if cost == 0 {
            continue;
        }
        if out.stored + cost > budget {
            out.left_out += 1;
            continue;
        }
        out.stored += cost;
        for &t in &inside {
            for s in wanted() {
                out.per_tuple[t][s] = true;
            }
        }
    }
    out
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
    (level, whole_sorted): (crate::analysis::workspace::Level, Option<&[f64]>),
    requests: &[&EntryRequest],
    log_values: LogValues,
    settings: &DriftSettings,
    stop: &(dyn Fn() -> bool + Sync),
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
            (current, level.log.row_slots.get(column)),
            &level.log.index.cell_of_row,
            level.log.index.slots,
            &plan.current_sets,
            &want_current,
            stop,
        ),
        LogValues::Stored(stored) => {
            stored_sets(level.log, column, stored, &plan.current_sets, &want_current)
        }
    };
    let mut gathered_base = gather_sets(
        &g.grid,
        (baseline, level.baseline.row_slots.get(column)),
        &level.baseline.index.cell_of_row,
        level.baseline.index.slots,
        &plan.reference_sets,
        &want_reference,
        stop,
    );
    // The whole baseline's values are already sorted in its reference: no pass needed.
    let whole_values = match whole_sorted {
        Some(sorted) => SlotValues::from_sorted(&g.grid, &want_whole, sorted),
        None => SlotValues::gather(&g.grid, &want_whole, baseline.iter().flatten()),
    };
    gathered_base.push(whole_values);
    let whole_index = gathered_base.len() - 1;
    // Cancelled: what was gathered is partial, and the entries left are not measured (the
    // report is thrown away).
    (0..requests.len())
        .map(|k| {
            if stop() {
                return None;
            }
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
    let empty = CellColumn::default();
    let cells = log.columns.get(column).unwrap_or(&empty);
    sets.iter()
        .zip(wanted)
        .map(|(set, want)| {
            let mut out = HashMap::new();
            'slot: for (slot, _) in want.iter().enumerate().filter(|(_, w)| **w) {
                let mut values = Vec::new();
                for (t, _) in set.iter().enumerate().filter(|(_, inside)| **inside) {
                    // The tuple's values in the slot, over all its time slots.
                    let count: u64 = (0..log.index.slots)
                        .map(|s| cells.count_at(log.index.cell(t, s), slot))
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

/// The values in the slots `wanted` marks among the rows of the cells whose tuple `keep` marks
/// (one set of [`gather_sets`]): a slice that is a union of cells, gathered without a list of its
/// rows and, where the slots were kept while profiling, without a grid lookup per value.
pub(super) fn gather_cells(
    grid: &Grid,
    values: &Values,
    cells: &CellProfiles,
    column: usize,
    keep: &[bool],
    wanted: &[bool],
    stop: &(dyn Fn() -> bool + Sync),
) -> SlotValues {
    gather_sets(
        grid,
        (values, cells.row_slots.get(column)),
        &cells.index.cell_of_row,
        cells.index.slots,
        &[keep],
        &[wanted.to_vec()],
        stop,
    )
    .pop()
    .unwrap_or_default()
}

/// One pass over a side's rows: each row's value, looked up on the grid once, goes to its
/// tuple's bucket for that slot when any set holding the tuple wants the slot; each set's slot
/// is then its tuples' buckets, sorted once and merged (a value is pushed once, not once per
/// set that holds it).
fn gather_sets(
    grid: &Grid,
    (values, row_slots): (&Values, Option<&Vec<u16>>),
    cell_of_row: &[u32],
    slots_per_tuple: usize,
    sets: &[&[bool]],
    wanted: &[Vec<bool>],
    stop: &(dyn Fn() -> bool + Sync),
) -> Vec<SlotValues> {
    let tuples = sets.first().map_or(0, |s| s.len());
    let slots = wanted.first().map_or(0, Vec::len);
    // Per tuple, the slots any set holding it wants.
    let mut tuple_wants = vec![vec![false; slots]; tuples];
    for (set, want) in sets.iter().zip(wanted) {
        if !want.iter().any(|&w| w) {
            continue;
        }
        for (t, &inside) in set.iter().enumerate() {
            if inside && let Some(tw) = tuple_wants.get_mut(t) {
                or_into(tw, want);
            }
        }
    }
    // The slots wanted anywhere, numbered: bucket (tuple, w) holds a tuple's values in the
    // `w`-th of them.
    let mut number = vec![u32::MAX; slots];
    let mut wanted_slots = 0usize;
    for slot in 0..slots {
        if tuple_wants.iter().any(|tw| tw[slot]) {
            number[slot] = wanted_slots as u32;
            wanted_slots += 1;
        }
    }
    let mut buckets: Vec<Vec<f64>> = vec![Vec::new(); tuples * wanted_slots];
    let mut add = |x: f64, slot: usize, cell: u32| {
        let t = cell as usize / slots_per_tuple.max(1);
        if tuple_wants.get(t).is_some_and(|tw| tw[slot]) {
            buckets[t * wanted_slots + number[slot] as usize].push(x);
        }
    };
    if wanted_slots == 0 {
        // Nothing to gather.
    } else if let Some(row_slots) = row_slots.filter(|s| s.len() == values.len()) {
        for (k, ((v, &slot), &cell)) in values.iter().zip(row_slots).zip(cell_of_row).enumerate() {
            if k % CANCEL_EVERY == CANCEL_EVERY - 1 && stop() {
                break;
            }
            if slot == NO_SLOT || number[slot as usize] == u32::MAX {
                continue;
            }
            if let Some(x) = v {
                add(x, slot as usize, cell);
            }
        }
    } else {
        for (k, (v, &cell)) in values.iter().zip(cell_of_row).enumerate() {
            if k % CANCEL_EVERY == CANCEL_EVERY - 1 && stop() {
                break;
            }
            let Some(x) = v.filter(|x| x.is_finite()) else {
                continue;
            };
            let slot = grid.slot(x);
            if number[slot] != u32::MAX {
                add(x, slot, cell);
            }
        }
    }
    // Cancelled: the buckets left unsorted and the sets left empty (the report is thrown away).
    buckets.par_iter_mut().for_each(|b| {
        if !stop() {
            b.sort_unstable_by(f64::total_cmp);
        }
    });
    sets.iter()
        .zip(wanted)
        .map(|(set, want)| {
            if stop() {
                return SlotValues::default();
            }
            let members: Vec<usize> = (0..tuples)
                .filter(|&t| set.get(t).copied().unwrap_or(false))
                .collect();
            let per_slot = want
                .iter()
                .enumerate()
                .filter(|&(_, &w)| w)
                .map(|(slot, _)| {
                    // A slot no member tuple wants has no values here (an empty set).
                    let w = number[slot] as usize;
                    let runs: Vec<&Vec<f64>> = members
                        .iter()
                        .filter_map(|&t| buckets.get(t * wanted_slots + w))
                        .filter(|b| !b.is_empty())
                        .collect();
                    let mut merged: Vec<f64> =
                        Vec::with_capacity(runs.iter().map(|b| b.len()).sum());
                    for run in &runs {
                        merged.extend_from_slice(run);
                    }
                    if runs.len() > 1 {
                        // Sorted runs: the stable sort merges them.
                        merged.sort_by(f64::total_cmp);
                    }
                    (slot, merged)
                })
                .collect();
            SlotValues::from_sorted_slots(per_slot)
        })
        .collect()
}
