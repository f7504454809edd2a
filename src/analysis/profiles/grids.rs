//! The grid of every numeric column and where every reference's bins fall on it.

use super::*;

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
