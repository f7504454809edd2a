//! The drift objective: each column inside a slice against the baseline's same slice (its
//! conditions on the columns the baseline has), and how much of the column's whole drift goes
//! without it. Searched to two conditions.

use super::rates::{Objective, Tally};
use super::{
    Conditions, Discovery, Evaluated, MAX_EVALUATED, MIN_ROWS, MIN_SHARE, Search, matches, named,
    onset,
};
use crate::analysis::onsets;
use crate::analysis::profiles::{self, CellProfiles, ColumnProfile};
use crate::data::Role;

/// The untimed profile of `column` in log tuple `t` (every slot merged).
fn profile_of(cells: &CellProfiles, column: usize, t: usize) -> Option<ColumnProfile> {
    let col = cells.columns.get(column).filter(|c| !c.is_empty())?;
    let mut out = None;
    for s in 0..cells.index.slots {
        col.merge_into(cells.index.cell(t, s), &mut out);
    }
    out
}

/// The profiles of the tuples `keep` holds, merged.
fn merged(of: &[Option<ColumnProfile>], keep: impl Fn(usize) -> bool) -> Option<ColumnProfile> {
    let mut out: Option<ColumnProfile> = None;
    for (t, q) in of.iter().enumerate() {
        if let Some(q) = q.as_ref().filter(|_| keep(t)) {
            match &mut out {
                Some(o) => o.merge(q),
                None => out = Some(q.clone()),
            }
        }
    }
    out
}

/// Every drifting column's slices (a drift objective each, appended to `objectives`).
pub(super) fn search(
    search: &Search,
    objectives: &mut Vec<Objective>,
    evaluated: &mut Vec<Evaluated>,
) {
    let (log, ubase, segments) = (search.log, search.ubase, search.segments);
    let log_rows: f64 = log.columns.first().map_or(0.0, |_| {
        (0..log.index.tuples.len())
            .map(|t| profile_of(log, 0, t).map_or(0.0, |p| p.rows() as f64))
            .sum()
    });
    let settings = &search.ws.settings;
    for (i, p) in search.ws.prepared.iter().enumerate() {
        if evaluated.len() >= MAX_EVALUATED {
            break;
        }
        let whole_base = search
            .untimed
            .whole_baseline
            .get(i)
            .and_then(Option::as_ref);
        let (Some(whole_base), false) = (
            whole_base,
            segments.contains(&p.name) || p.role == Role::Label,
        ) else {
            continue;
        };
        let grid = search.untimed.grids.get(i).and_then(Option::as_ref);
        let per_tuple: Vec<Option<ColumnProfile>> = (0..log.index.tuples.len())
            .map(|t| profile_of(log, i, t))
            .collect();
        let Some(whole_log) = merged(&per_tuple, |_| true) else {
            continue;
        };
        let d_all =
            profiles::drift_score_from_profiles(p, grid, None, whole_base, &whole_log, settings);
        let Some(all_score) = d_all.score.filter(|s| *s > 0.0) else {
            continue;
        };
        let base_tuples: Vec<Option<ColumnProfile>> = (0..ubase.index.tuples.len())
            .map(|t| profile_of(ubase, i, t))
            .collect();
        let o = objectives.len();
        objectives.push(Objective {
            name: "drift",
            column: p.name.clone(),
            sign: 1.0,
            baseline: 0.0,
            refs: Vec::new(),
            tallies: Vec::new(),
            timed: Vec::new(),
            share: false,
            drift: true,
            baseline_sd: None,
        });
        let min_rows = (MIN_ROWS as f64).max(log_rows * 0.01);
        let mut level: Vec<Conditions> = vec![Vec::new()];
        for _depth in 0..2 {
            let mut next = Vec::new();
            for parent in &level {
                let last = parent.last().map_or(0, |c| c.0 + 1);
                for (k, offered) in search.values.iter().enumerate().skip(last) {
                    if segments[k] == p.name {
                        continue;
                    }
                    for v in offered {
                        if evaluated.len() >= MAX_EVALUATED {
                            break;
                        }
                        let mut c = parent.clone();
                        c.push((k, v.clone()));
                        let Some(inside) = merged(&per_tuple, |t| {
                            matches(&log.index.tuples[t], &c, &search.at_untimed)
                        }) else {
                            continue;
                        };
                        if (inside.rows() as f64) < min_rows {
                            continue;
                        }
                        // The baseline's same slice, on the conditions it can hold.
                        let held: Conditions = c
                            .iter()
                            .filter(|(k, _)| search.base_at[*k] != usize::MAX)
                            .cloned()
                            .collect();
                        let reference = merged(&base_tuples, |t| {
                            matches(&ubase.index.tuples[t], &held, &search.base_at)
                        })
                        .filter(|r| r.rows() >= MIN_ROWS);
                        let reference = reference.as_ref().unwrap_or(whole_base);
                        let d_in = profiles::drift_score_from_profiles(
                            p, grid, None, reference, &inside, settings,
                        );
                        let rest = whole_log.without(&inside, grid);
                        let d_rest = profiles::drift_score_from_profiles(
                            p, grid, None, whole_base, &rest, settings,
                        );
                        let (Some(s_in), Some(s_rest)) = (d_in.score, d_rest.score) else {
                            continue;
                        };
                        let share = ((all_score - s_rest) / all_score).clamp(0.0, 1.0);
                        let pv = d_in
                            .stats
                            .ks_pvalue
                            .or(d_in.stats.chi2_pvalue)
                            .unwrap_or(if d_in.drifted { 0.0 } else { 1.0 });
                        evaluated.push(Evaluated {
                            objective: o,
                            conditions: c.clone(),
                            range: None,
                            inside: Tally::rows(inside.rows() as f64),
                            outside: Tally::rows(rest.rows() as f64),
                            share,
                            p: pv,
                            drift: Some((s_in, s_rest, d_in.threshold, d_in.drifted)),
                            reference: 0.0,
                            reference_profile: (d_in.drifted && share >= MIN_SHARE)
                                .then(|| reference.clone()),
                        });
                        if share >= MIN_SHARE || d_in.drifted {
                            next.push(c);
                        }
                    }
                }
            }
            level = next;
        }
    }
}

/// A kept drift slice as a result, its onset from the per-window drift of the slice (the timed
/// cells against the slice's own baseline, else the whole baseline).
pub(super) fn result(
    search: &Search,
    obj: &Objective,
    e: &Evaluated,
    (inside, rest, threshold, _): (f64, f64, f64, bool),
    q: f64,
) -> Discovery {
    let ws = search.ws;
    let windows = search.report.windows.as_ref();
    let reference = e.reference_profile.as_ref();
    let from = ws.cells.as_ref().and_then(|cells| {
        let timed = cells.timed();
        let i = ws.prepared.iter().position(|p| p.name == obj.column)?;
        let p = &ws.prepared[i];
        let grid = timed.grids.get(i)?.as_ref();
        // The slice's own baseline on the timed grid (the untimed grid's slots mapped onto it),
        // as the slice's score was measured; else the whole baseline.
        let own = reference.map(|r| match (r, &cells.untimed, grid) {
            (ColumnProfile::Numeric(n), Some(u), Some(g)) => {
                match u.maps.get(i).and_then(Option::as_ref) {
                    Some(map) => ColumnProfile::Numeric(n.remapped(map, &g.grid)),
                    None => r.clone(),
                }
            }
            _ => r.clone(),
        });
        let whole = match &own {
            Some(r) => r,
            None => timed.whole_baseline.get(i)?.as_ref()?,
        };
        let keep: Vec<bool> = timed
            .log
            .index
            .tuples
            .iter()
            .map(|t| matches(t, &e.conditions, &search.at_timed))
            .collect();
        let per_slot = timed.log.per_slot(i, &keep);
        let n = windows?.windows.len();
        let series: Vec<Option<f64>> = per_slot
            .iter()
            .take(n)
            .map(|cur| {
                (cur.rows() >= onsets::MIN_WINDOW_ROWS).then(|| {
                    profiles::drift_score_from_profiles(p, grid, None, whole, cur, &ws.settings)
                        .score
                })?
            })
            .collect();
        let w = onset(&series, onsets::min_effect("drift_score", Some(threshold)))?;
        search.start(w)
    });
    Discovery {
        objective: "drift".to_owned(),
        column: obj.column.clone(),
        conditions: named(&e.conditions, search.segments),
        from,
        rows: e.inside.n as u64,
        share_explained: e.share,
        effect_inside: inside,
        effect_outside: Some(rest),
        baseline: threshold,
        q_value: q,
    }
}
