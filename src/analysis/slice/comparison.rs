//! Slice A against slice B, every analysed column, from the cell profiles or the rows.

use super::*;
use crate::analysis::profiles::ColumnProfile;

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
    if !ws.log_rows() {
        // A profile: the cells' answer is the answer (intervals where they leave one).
        return match compare_preview(ws, inputs, a, b, state) {
            Some(c) => Ok(Some(c)),
            None if state.is_cancelled() => Ok(None),
            None => Err(Workspace::without_rows("Measuring this slice")),
        };
    }
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
    let constrained = constrained_by(a, b);
    state.stage("comparing slices", ws.prepared.len() as u64);
    let from_cells = profiles
        .then(|| compare_from_profiles(ws, inputs, (a, b), &constrained, true, state))
        .flatten();
    let (columns, a_rows, b_rows) = match from_cells {
        Some(answer) => answer,
        None => {
            let a_rows = slice_rows_cached(inputs, a, &ws.groups)?;
            let b_rows = slice_rows_cached(inputs, b, &ws.groups)?;
            let columns = compare_rows_of(
                ws,
                (a, a_rows.as_deref()),
                (b, b_rows.as_deref()),
                &constrained,
                state,
            );
            let count = |side: Side, rows: &Option<Vec<usize>>| {
                rows.as_ref()
                    .map_or_else(|| table(inputs, side).rows(), Vec::len)
            };
            (columns, count(a.side, &a_rows), count(b.side, &b_rows))
        }
    };
    if state.is_cancelled() {
        return Ok(None);
    }
    Ok(Some(assemble(
        ws,
        (a, b),
        &constrained,
        columns,
        (a_rows, b_rows),
    )))
}

/// A quick first answer to [`compare`], from the cell profiles alone (no pass over rows): every
/// statistic exact where the grid resolves it and an interval where not (`exact: false`, the
/// verdict left open when the interval straddles the threshold) — what a slice shows within
/// milliseconds while [`compare`] makes it exact. `None` when the cells cannot answer.
pub fn compare_preview(
    ws: &Workspace,
    inputs: &Inputs,
    a: &SliceDef,
    b: &SliceDef,
    state: &JobState,
) -> Option<SliceComparison> {
    let constrained = constrained_by(a, b);
    let (columns, a_rows, b_rows) =
        compare_from_profiles(ws, inputs, (a, b), &constrained, false, state)?;
    Some(assemble(
        ws,
        (a, b),
        &constrained,
        columns,
        (a_rows, b_rows),
    ))
}

/// The columns a predicate constrains (their drift is the slice's definition: left out).
fn constrained_by<'a>(a: &'a SliceDef, b: &'a SliceDef) -> BTreeSet<&'a str> {
    a.predicates
        .iter()
        .chain(&b.predicates)
        .filter_map(Predicate::column)
        .collect()
}

/// The comparison of measured columns, ranked, with its counts.
fn assemble(
    ws: &Workspace,
    (a, b): (&SliceDef, &SliceDef),
    constrained: &BTreeSet<&str>,
    mut columns: Vec<SliceColumn>,
    (a_rows, b_rows): (usize, usize),
) -> SliceComparison {
    rank(&mut columns);
    let features: Vec<&SliceColumn> = columns.iter().filter(|c| c.role == Role::Feature).collect();
    SliceComparison {
        a_rows,
        b_rows,
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
    }
}

/// Every column of [`compare`] from the rows of both slices.
fn compare_rows_of(
    ws: &Workspace,
    (a, a_rows): (&SliceDef, Option<&[usize]>),
    (b, b_rows): (&SliceDef, Option<&[usize]>),
    constrained: &BTreeSet<&str>,
    state: &JobState,
) -> Vec<SliceColumn> {
    let settings = &ws.settings;
    ws.prepared
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
                own = p.reference_on(b.side, b_rows, settings);
                &own
            };
            let out = match reference {
                PreparedRef::Numeric(r) => {
                    let values = p.values_on(a.side, a_rows);
                    let sample = drift::NumericSample::new(&values);
                    let d = drift::numeric_drift_sample(&p.name, r, &sample, settings);
                    SliceColumn {
                        role: p.role,
                        drift: d,
                        ecdf: Some((Ecdf::of_sorted(&r.sorted), Ecdf::of_sorted(&sample.sorted))),
                    }
                }
                PreparedRef::Categorical(_) => SliceColumn {
                    role: p.role,
                    drift: p.drift_on(reference, a.side, a_rows, settings),
                    ecdf: None,
                },
            };
            state.advance(1);
            Some(out)
        })
        .collect()
}

/// Every column of [`compare`] from the cell profiles, when slice A is a union of log cells and
/// B is the whole baseline or one baseline segment value (whose bins the grid holds): the merged
/// profiles, made exact by one gathering pass over the slices' rows — the numbers the report
/// gives for the same rows — with both sides' row counts. Over the whole time range the rows are
/// those of the cells (no list of rows is made); a time range lists A's rows. Without `exact`,
/// the profiles alone answer (intervals where the grid does not resolve a statistic, verdicts
/// left open), with no pass over rows. `None` when the cells cannot answer.
fn compare_from_profiles(
    ws: &Workspace,
    inputs: &Inputs,
    (a, b): (&SliceDef, &SliceDef),
    constrained: &BTreeSet<&str>,
    exact: bool,
    state: &JobState,
) -> Option<(Vec<SliceColumn>, usize, usize)> {
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
    // A baseline segment is cut on the untimed level (the timed baseline cells are chunks only);
    // with a time range its profile is placed on the timed grid through the level's slot map.
    let (base, remap) = match (&segment, a.time(), &all.untimed) {
        (Some(_), Some(_), Some(u)) => (&u.baseline, Some(&u.maps)),
        _ => (cells.baseline, None),
    };
    let base_tuples = match &segment {
        None => None,
        Some((column, value)) => Some(
            base.index
                .tuples_where(column, std::slice::from_ref(value))?,
        ),
    };
    // A time range cuts A's cells by slot, which the kept slots do not say: its rows are listed.
    // B's baseline segment is a union of the untimed baseline cells whenever `base` is them.
    let a_rows = match a.time() {
        Some(_) if exact => slice_rows_cached(inputs, a, &ws.groups).ok()?,
        _ => None,
    };
    let b_rows = match (&base_tuples, remap) {
        (Some(_), Some(_)) if exact => slice_rows_cached(inputs, b, &ws.groups).ok()?,
        _ => None,
    };
    let stop = || state.is_cancelled();
    let columns: Option<Vec<(SliceColumn, u64, u64)>> = ws
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
                    {
                        let reference = base.merged(i, |t, _| keep[t])?;
                        let map = remap.and_then(|m| m.get(i)).and_then(Option::as_ref);
                        match (map, reference, grid) {
                            (Some(map), ColumnProfile::Numeric(n), Some(g)) => {
                                ColumnProfile::Numeric(n.remapped(map, &g.grid))
                            }
                            (_, reference, _) => reference,
                        }
                    },
                    match grid {
                        Some(g) => Some(g.segments.get(key)?),
                        None => None,
                    },
                ),
                _ => (cells.whole_baseline[i].clone()?, None),
            };
            let reference_values = match (&base_tuples, &ws.whole[i]) {
                // The whole baseline's values are sorted in its reference already.
                (None, PreparedRef::Numeric(r)) => profiles::SideValues::Sorted(&r.sorted),
                (Some(keep), _) if remap.is_none() => profiles::SideValues::Cells {
                    cells: base,
                    column: i,
                    keep,
                },
                _ => profiles::SideValues::Rows(b_rows.as_deref()),
            };
            let current_values = match a.time() {
                None => profiles::SideValues::Cells {
                    cells: log,
                    column: i,
                    keep: &keep_tuples,
                },
                Some(_) => profiles::SideValues::Rows(a_rows.as_deref()),
            };
            let drift = if exact {
                profiles::drift_exact(
                    p,
                    grid,
                    bins,
                    &reference,
                    &current,
                    (reference_values, current_values),
                    settings,
                    &stop,
                )
            } else {
                profiles::drift_from_profiles(p, grid, bins, &reference, &current, settings)
            };
            if exact && drift.undecided() {
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
            Some((
                SliceColumn {
                    role: p.role,
                    drift,
                    ecdf,
                },
                current.rows(),
                reference.rows(),
            ))
        })
        .collect();
    let columns = columns?;
    // Every profile of a side counts all of its rows (missing values included).
    let (a_count, b_count) = match columns.first() {
        Some(&(_, a, b)) => (a as usize, b as usize),
        None => return None,
    };
    Some((
        columns.into_iter().map(|(c, _, _)| c).collect(),
        a_count,
        b_count,
    ))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::report::{DriftParams, run_drift_report_with_workspace};
    use crate::data::{OverrideLayers, load_inputs};

    /// A day of the log against one baseline region: measured from the cells — the timed
    /// baseline cells are chunks only, so the region's profile comes from the untimed level,
    /// placed on the timed grid — with the numbers the rows give.
    #[test]
    fn a_time_slice_against_a_baseline_segment_is_measured_from_the_cells() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data");
        let inputs = load_inputs(
            &dir.join("baseline.parquet"),
            &dir.join("predictions.parquet"),
            &OverrideLayers::default(),
        )
        .unwrap();
        let (report, ws) =
            run_drift_report_with_workspace(&inputs, &DriftParams::default(), &JobState::default())
                .unwrap();
        let cells = ws.cells().unwrap();
        assert!(cells.untimed.is_some(), "two levels of cells");
        assert_eq!(cells.baseline.index.tuples.len(), 1, "chunks only");
        let region = inputs.baseline.frame.column("region").unwrap();
        let value = region.str().unwrap().get(0).unwrap().to_owned();
        let win = &report.windows.as_ref().unwrap().windows[2];
        let a = SliceDef::whole(Side::Log).with(Predicate::Time {
            start_micros: win.start_micros.unwrap(),
            end_micros: win.end_micros.unwrap(),
        });
        let b = SliceDef::whole(Side::Baseline).with(Predicate::OneOf {
            column: "region".into(),
            values: vec![value],
        });
        let constrained = BTreeSet::from(["region"]);
        let (from_cells, a_rows, b_rows) = compare_from_profiles(
            &ws,
            &inputs,
            (&a, &b),
            &constrained,
            true,
            &JobState::default(),
        )
        .expect("the cells answer a time slice against a baseline segment");
        let rows = compare_rows(&ws, &inputs, &a, &b, &JobState::default())
            .unwrap()
            .unwrap();
        let close = |x: Option<f64>, y: Option<f64>| match (x, y) {
            (Some(x), Some(y)) => (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0),
            (x, y) => x == y,
        };
        assert_eq!((a_rows, b_rows), (rows.a_rows, rows.b_rows), "row counts");
        assert_eq!(from_cells.len(), rows.columns.len());
        for c in &from_cells {
            let r = &rows.column(&c.drift.column).unwrap().drift;
            let (d, name) = (&c.drift, &c.drift.column);
            assert!(
                close(d.score, r.score),
                "{name}: {:?} {:?}",
                d.score,
                r.score
            );
            assert_eq!(d.drifted, r.drifted, "{name}");
            assert!(close(d.stats.ks_pvalue, r.stats.ks_pvalue), "{name}: KS p");
            assert!(
                close(d.stats.wasserstein, r.stats.wasserstein),
                "{name}: W1"
            );
            assert_eq!(d.stats.baseline_counts, r.stats.baseline_counts, "{name}");
        }
    }
}
