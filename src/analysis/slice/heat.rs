//! Segment value × column within a slice, coloured by drift.

use super::*;

/// One cell of the heatmap: one column in one segment value's rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HeatCell {
    pub score: Option<f64>,
    pub threshold: f64,
    pub method: drift::Decider,
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
    if !ws.log_rows() {
        return Err(Workspace::without_rows(&format!(
            "This heatmap of {segment}{}",
            match reference {
                Reference::Baseline => "",
                _ => " against each baseline segment",
            }
        )));
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
                        Some(None) => absent_from_baseline(p, rows.len(), settings),
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
                        Some(cur) => profiles::drift_score_from_profiles(
                            p,
                            cells.grids[i].as_ref(),
                            None,
                            whole,
                            cur,
                            settings,
                        ),
                        None => absent_from_baseline(p, 0, settings),
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

/// A segment value the baseline never saw: no score, under the method that would have decided.
fn absent_from_baseline(
    p: &super::super::workspace::Prepared,
    rows: usize,
    settings: &drift::DriftSettings,
) -> ColumnDrift {
    let kind = p.kind();
    let (method, threshold) = settings.verdict_rule(&p.name, kind);
    ColumnDrift {
        column: p.name.clone(),
        kind,
        n_baseline: 0,
        n_current: rows,
        method: drift::Decider::Method(method),
        score: None,
        threshold,
        lower_is_drift: false,
        drifted: false,
        note: Some("this segment value never appears in the baseline".to_owned()),
        exact: true,
        score_interval: None,
        stats: drift::DriftStats::default(),
    }
}
