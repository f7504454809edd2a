//! The bucket grid: edges, slots, the lookup that places a value, coarsening.

use serde::{Deserialize, Serialize};

/// The bucket grid of one numeric column.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    /// Sorted, distinct, finite edges.
    pub edges: Vec<f64>,
    /// Every distinct baseline value is an edge.
    pub every_baseline_value: bool,
    /// A lookup of where to start searching for a value: `lookup[b]` edges lie below bucket `b`
    /// of equal-width buckets between the first and the last edge (rebuilt, not stored).
    #[serde(skip)]
    lookup: Vec<u32>,
    /// Lookup buckets per unit of value.
    #[serde(skip)]
    scale: f64,
}

/// Equal-width lookup buckets per edge.
const LOOKUP_PER_EDGE: usize = 4;

impl Grid {
    /// A grid for a sorted baseline: `cuts` (every reference's cut points) plus at most
    /// `max_edges` baseline values (all distinct values when there are no more than that).
    pub fn new(baseline_sorted: &[f64], cuts: &[f64], max_edges: usize) -> Self {
        let finite: Vec<f64> = baseline_sorted
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .collect();
        let mut distinct = finite.clone();
        distinct.dedup();
        let every = distinct.len() <= max_edges.max(2);
        let mut edges: Vec<f64> = if every {
            distinct
        } else {
            // Order statistics at evenly spaced ranks, the extremes included.
            let n = finite.len();
            let k = max_edges.max(2);
            (0..k).map(|i| finite[(i * (n - 1)) / (k - 1)]).collect()
        };
        edges.extend(cuts.iter().copied().filter(|c| c.is_finite()));
        edges.sort_by(f64::total_cmp);
        edges.dedup();
        Self::from_edges(edges, every)
    }

    /// A grid on given sorted, distinct, finite edges (as read back from a file).
    pub fn from_edges(edges: Vec<f64>, every_baseline_value: bool) -> Self {
        let mut grid = Self {
            edges,
            every_baseline_value,
            lookup: Vec::new(),
            scale: 0.0,
        };
        if let (Some(&lo), Some(&hi)) = (grid.edges.first(), grid.edges.last())
            && hi > lo
            && (hi - lo).is_finite()
        {
            let buckets = grid.edges.len() * LOOKUP_PER_EDGE;
            let width = (hi - lo) / buckets as f64;
            grid.scale = buckets as f64 / (hi - lo);
            grid.lookup = (0..=buckets)
                .map(|b| grid.edges.partition_point(|&e| e < lo + width * b as f64) as u32)
                .collect();
        }
        grid
    }

    /// How many edges lie below `x` (`partition_point(e < x)`), from the lookup when it holds.
    #[inline]
    fn edges_below(&self, x: f64) -> usize {
        let e = &self.edges;
        if self.lookup.len() >= 2
            && let (Some(&lo), Some(&hi)) = (e.first(), e.last())
            && x > lo
            && x <= hi
        {
            let buckets = self.lookup.len() - 1;
            let b = ((x - lo) * self.scale) as usize;
            let b = b.min(buckets - 1);
            let start = (self.lookup[b] as usize).saturating_sub(1);
            let end = (self.lookup[b + 1] as usize + 1).min(e.len());
            let i = start + e[start..end].partition_point(|&v| v < x);
            // The bucket is a hint: confirm it, else search the whole grid.
            if (i == 0 || e[i - 1] < x) && (i == e.len() || e[i] >= x) {
                return i;
            }
        }
        e.partition_point(|&v| v < x)
    }

    /// A coarser grid whose edges are some of these: the first and last, every one in `keep`
    /// (cut points), and every `m`-th of the rest so that about `max_edges` remain. Every slot of
    /// this grid then lies inside one slot of the coarser one ([`Grid::slot_map`]).
    pub fn coarsen(&self, keep: &[f64], max_edges: usize) -> Grid {
        let n = self.edges.len();
        let step = n.div_ceil(max_edges.max(2)).max(1);
        if step == 1 {
            return self.clone();
        }
        let edges: Vec<f64> = self
            .edges
            .iter()
            .enumerate()
            .filter(|&(i, e)| i == 0 || i + 1 == n || i % step == 0 || keep.contains(e))
            .map(|(_, &e)| e)
            .collect();
        Grid::from_edges(edges, false)
    }

    /// For every slot of this grid, the slot of `coarse` (made by [`Grid::coarsen`]) holding it.
    pub fn slot_map(&self, coarse: &Grid) -> Vec<u32> {
        (0..self.slots())
            .map(|slot| {
                let (lo, hi) = self.bounds(slot);
                let inside = if slot % 2 == 1 {
                    lo
                } else if lo.is_finite() && hi.is_finite() {
                    lo / 2.0 + hi / 2.0
                } else if hi.is_finite() {
                    hi - hi.abs().max(1.0)
                } else if lo.is_finite() {
                    lo + lo.abs().max(1.0)
                } else {
                    0.0
                };
                coarse.slot(inside) as u32
            })
            .collect()
    }

    /// Number of slots: the gaps and the points.
    pub fn slots(&self) -> usize {
        2 * self.edges.len() + 1
    }

    /// The slot of a finite value.
    #[inline]
    pub fn slot(&self, x: f64) -> usize {
        let i = self.edges_below(x);
        if i < self.edges.len() && self.edges[i] == x {
            2 * i + 1
        } else {
            2 * i
        }
    }

    /// Where the bin boundaries of `cuts` (each an edge) fall in slot order: bin `j` holds the
    /// slots from `boundaries[j-1]` (or 0) up to, not including, `boundaries[j]` — a value on a
    /// cut belongs to the bin above it, as `searchsorted(cuts, x, side='right')` puts it.
    /// `None` when a cut is not an edge of this grid.
    pub fn bin_boundaries(&self, cuts: &[f64]) -> Option<Vec<usize>> {
        cuts.iter()
            .map(|&c| {
                let i = self.edges.partition_point(|&e| e < c);
                (i < self.edges.len() && self.edges[i] == c).then_some(2 * i + 1)
            })
            .collect()
    }

    /// The open interval of a gap slot (`-inf`/`+inf` at the ends), or the point of a point slot.
    pub fn bounds(&self, slot: usize) -> (f64, f64) {
        let k = self.edges.len();
        if slot % 2 == 1 {
            let e = self.edges[slot / 2];
            return (e, e);
        }
        let i = slot / 2;
        let lo = if i == 0 {
            f64::NEG_INFINITY
        } else {
            self.edges[i - 1]
        };
        let hi = if i == k { f64::INFINITY } else { self.edges[i] };
        (lo, hi)
    }
}
