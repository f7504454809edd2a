//! How one column's cell profiles are held: one dense profile per cell, or — for the many small
//! cells of a timed level (a year of daily windows × every segment tuple) — a sparse form that
//! keeps each cell's scalars and only the slots it has values in. A dense cell costs its grid's
//! slots whether it holds 20 values or 20,000; a sparse one costs what it holds, and builds
//! without an allocation per cell.

use std::borrow::Cow;

use super::ColumnProfile;
use crate::jobs::CANCEL_EVERY;
use crate::stats::profile::NumericProfile;

/// One column's profiles, cell by cell (equal when every cell's profile is, whatever the form).
#[derive(Clone, Debug)]
pub enum CellColumn {
    Dense(Vec<ColumnProfile>),
    Sparse(SparseCells),
}

impl PartialEq for CellColumn {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && (0..self.len()).all(|c| self.get(c) == other.get(c))
    }
}

impl Default for CellColumn {
    fn default() -> Self {
        CellColumn::Dense(Vec::new())
    }
}

/// One slot of a cell: the slot, its count and its sum.
pub type Entry = (u32, u64, f64);

/// Numeric cells holding only their non-empty slots: cell `c`'s are the entries
/// `starts[c]..starts[c + 1]`, in slot order.
#[derive(Clone, Debug, PartialEq)]
pub struct SparseCells {
    /// The grid's slots.
    slots: usize,
    /// Per cell: rows, missing and non-finite values, extremes and moments (no slots).
    heads: Vec<NumericProfile>,
    starts: Vec<usize>,
    slot: Vec<u32>,
    count: Vec<u64>,
    sum: Vec<f64>,
}

impl CellColumn {
    /// Cells profiled (0: the column is not profiled per cell).
    pub fn len(&self) -> usize {
        match self {
            CellColumn::Dense(cells) => cells.len(),
            CellColumn::Sparse(s) => s.heads.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// One cell's profile (a sparse cell made dense).
    pub fn get(&self, cell: usize) -> Option<Cow<'_, ColumnProfile>> {
        match self {
            CellColumn::Dense(cells) => cells.get(cell).map(Cow::Borrowed),
            CellColumn::Sparse(s) => {
                let mut out = None;
                s.merge_into(cell, &mut out);
                out.map(Cow::Owned)
            }
        }
    }

    /// Rows in one cell.
    pub fn rows(&self, cell: usize) -> u64 {
        match self {
            CellColumn::Dense(cells) => cells.get(cell).map_or(0, ColumnProfile::rows),
            CellColumn::Sparse(s) => s.heads.get(cell).map_or(0, |h| h.rows),
        }
    }

    /// Rows in every cell.
    pub fn total_rows(&self) -> u64 {
        (0..self.len()).map(|c| self.rows(c)).sum()
    }

    /// Finite values of one cell in `slot` of the grid (numeric columns).
    pub fn count_at(&self, cell: usize, slot: usize) -> u64 {
        match self {
            CellColumn::Dense(cells) => match cells.get(cell) {
                Some(ColumnProfile::Numeric(n)) => n.counts.get(slot).copied().unwrap_or(0),
                _ => 0,
            },
            CellColumn::Sparse(s) => s.count_at(cell, slot),
        }
    }

    /// Adds one cell's profile to `out` (set to it when `None`).
    pub fn merge_into(&self, cell: usize, out: &mut Option<ColumnProfile>) {
        match self {
            CellColumn::Dense(cells) => {
                if let Some(p) = cells.get(cell) {
                    match out {
                        Some(o) => o.merge(p),
                        None => *out = Some(p.clone()),
                    }
                }
            }
            CellColumn::Sparse(s) => s.merge_into(cell, out),
        }
    }

    /// An empty profile of this column's kind and grid.
    pub fn empty(&self) -> Option<ColumnProfile> {
        match self {
            CellColumn::Dense(cells) => cells.first().map(super::empty_like),
            CellColumn::Sparse(s) => {
                Some(ColumnProfile::Numeric(NumericProfile::with_slots(s.slots)))
            }
        }
    }

    /// One dense profile per cell (what a profile file holds).
    pub fn into_dense(self) -> Vec<ColumnProfile> {
        match self {
            CellColumn::Dense(cells) => cells,
            sparse => (0..sparse.len())
                .filter_map(|c| sparse.get(c).map(Cow::into_owned))
                .collect(),
        }
    }
}

impl SparseCells {
    /// Profiles the rows of every cell: `order` lists the rows cell by cell, cell `c`'s being
    /// `order[bounds[c]..bounds[c + 1]]`; `slot_of(row)` is the slot of a row with a finite
    /// value. Moments are kept as sums shifted by `shift` (see
    /// [`NumericProfile::update_shifted`]). Once `cancelled()` says so (looked at every 64
    /// cells) the cells built so far are returned, for the caller to throw away.
    pub fn build(
        slots: usize,
        (order, bounds): (&[u32], &[usize]),
        value_of: impl Fn(usize) -> Option<f64>,
        slot_of: impl Fn(usize, f64) -> usize,
        shift: f64,
        cancelled: impl Fn() -> bool,
    ) -> Self {
        let cells = bounds.len().saturating_sub(1);
        let mut out = Self::with_capacity(slots, cells);
        // One cell at a time into a dense scratch, then its touched slots in order.
        let mut counts = vec![0u64; slots];
        let mut sums = vec![0.0f64; slots];
        let mut touched: Vec<u32> = Vec::new();
        for c in 0..cells {
            if c % 64 == 0 && cancelled() {
                break;
            }
            let mut head = NumericProfile::with_slots(0);
            for &row in &order[bounds[c]..bounds[c + 1]] {
                let row = row as usize;
                if let Some(x) = head.update_shifted_head(value_of(row), shift) {
                    let s = slot_of(row, x).min(slots.saturating_sub(1));
                    if counts[s] == 0 {
                        touched.push(s as u32);
                    }
                    counts[s] += 1;
                    sums[s] += x;
                }
            }
            head.finish_shifted(shift);
            touched.sort_unstable();
            for &s in &touched {
                let s = s as usize;
                out.slot.push(s as u32);
                out.count.push(counts[s]);
                out.sum.push(sums[s]);
                counts[s] = 0;
                sums[s] = 0.0;
            }
            touched.clear();
            out.heads.push(head);
            out.starts.push(out.slot.len());
        }
        out
    }

    /// No cells yet, room for `cells`.
    fn with_capacity(slots: usize, cells: usize) -> Self {
        let mut starts = Vec::with_capacity(cells + 1);
        starts.push(0);
        Self {
            slots,
            heads: Vec::with_capacity(cells),
            starts,
            slot: Vec::new(),
            count: Vec::new(),
            sum: Vec::new(),
        }
    }

    /// Cells from their parts: each cell's scalars (slots empty) and its (slot, count, sum)
    /// entries in slot order. A slot out of the grid, or not after the one before it (given
    /// twice), is an error.
    pub fn from_parts(
        slots: usize,
        cells: Vec<(NumericProfile, Vec<Entry>)>,
    ) -> Result<Self, String> {
        let mut out = Self::with_capacity(slots, cells.len());
        for (head, entries) in cells {
            for (i, &(s, n, x)) in entries.iter().enumerate() {
                if s as usize >= slots {
                    return Err(format!("slot {s} of {slots}"));
                }
                if i > 0 && entries[i - 1].0 >= s {
                    return Err(format!("slot {s} twice or out of order"));
                }
                out.slot.push(s);
                out.count.push(n);
                out.sum.push(x);
            }
            out.heads.push(head);
            out.starts.push(out.slot.len());
        }
        Ok(out)
    }

    fn entries(&self, cell: usize) -> std::ops::Range<usize> {
        match (self.starts.get(cell), self.starts.get(cell + 1)) {
            (Some(&a), Some(&b)) => a..b,
            _ => 0..0,
        }
    }

    fn count_at(&self, cell: usize, slot: usize) -> u64 {
        let range = self.entries(cell);
        let slots = &self.slot[range.clone()];
        match slots.binary_search(&(slot as u32)) {
            Ok(i) => self.count[range.start + i],
            Err(_) => 0,
        }
    }

    fn merge_into(&self, cell: usize, out: &mut Option<ColumnProfile>) {
        let Some(head) = self.heads.get(cell) else {
            return;
        };
        let o = out
            .get_or_insert_with(|| ColumnProfile::Numeric(NumericProfile::with_slots(self.slots)));
        let ColumnProfile::Numeric(o) = o else {
            return;
        };
        // The scalars merge as any profile's (the head's slots are empty); then the slots.
        o.merge(head);
        for i in self.entries(cell) {
            let s = self.slot[i] as usize;
            if let (Some(c), Some(x)) = (o.counts.get_mut(s), o.sums.get_mut(s)) {
                *c += self.count[i];
                *x += self.sum[i];
            }
        }
    }
}

/// The rows of one side listed cell by cell (a counting sort of `cell_of_row`): the order and
/// each cell's bounds in it.
pub fn rows_by_cell(
    cell_of_row: &[u32],
    cells: usize,
    stop: &dyn Fn() -> bool,
) -> Option<(Vec<u32>, Vec<usize>)> {
    let mut bounds = vec![0usize; cells + 1];
    for (row, &c) in cell_of_row.iter().enumerate() {
        if row % CANCEL_EVERY == CANCEL_EVERY - 1 && stop() {
            return None;
        }
        if let Some(b) = bounds.get_mut(c as usize + 1) {
            *b += 1;
        }
    }
    for c in 0..cells {
        bounds[c + 1] += bounds[c];
    }
    let mut next = bounds.clone();
    let mut order = vec![0u32; bounds[cells]];
    for (row, &c) in cell_of_row.iter().enumerate() {
        if row % CANCEL_EVERY == CANCEL_EVERY - 1 && stop() {
            return None;
        }
        if let Some(at) = next.get_mut(c as usize) {
            order[*at] = row as u32;
            *at += 1;
        }
    }
    Some((order, bounds))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::profile::Grid;

    #[test]
    fn a_sparse_cell_is_the_dense_profile_of_its_rows() {
        let grid = Grid::new(&[1.0, 2.0, 3.0, 5.0, 8.0], &[], 16);
        let values: Vec<Option<f64>> = vec![
            Some(2.0),
            None,
            Some(4.5),
            Some(f64::INFINITY),
            Some(9.0),
            Some(2.0),
            Some(0.5),
            Some(f64::NAN),
        ];
        let cell_of_row = [1u32, 0, 1, 2, 2, 1, 0, 2];
        let shift = 2.0;
        let (order, bounds) = rows_by_cell(&cell_of_row, 3, &|| false).unwrap();
        let sparse = CellColumn::Sparse(SparseCells::build(
            grid.slots(),
            (&order, &bounds),
            |row| values[row],
            |_, x| grid.slot(x),
            shift,
            || false,
        ));
        let mut dense = vec![NumericProfile::empty(&grid); 3];
        for (v, &c) in values.iter().zip(&cell_of_row) {
            let slot = v.filter(|x| x.is_finite()).map_or(0, |x| grid.slot(x));
            dense[c as usize].update_shifted(slot, *v, shift);
        }
        for p in &mut dense {
            p.finish_shifted(shift);
        }
        let dense: Vec<ColumnProfile> = dense.into_iter().map(ColumnProfile::Numeric).collect();
        assert_eq!(sparse.len(), 3);
        for (c, d) in dense.iter().enumerate() {
            assert_eq!(sparse.get(c).as_deref(), Some(d), "cell {c}");
            assert_eq!(sparse.rows(c), d.rows());
        }
        assert_eq!(sparse.count_at(1, grid.slot(2.0)), 2);
        assert_eq!(sparse.count_at(0, grid.slot(2.0)), 0);
        assert_eq!(sparse.clone().into_dense(), dense);
        // Merging cells equals merging their dense profiles.
        let (mut a, mut b) = (None, None);
        for c in [0, 2] {
            sparse.merge_into(c, &mut a);
            CellColumn::Dense(dense.clone()).merge_into(c, &mut b);
        }
        assert_eq!(a, b);
        // Put together from parts (as a profile file is read), the same cells.
        let CellColumn::Sparse(built) = &sparse else {
            panic!("sparse")
        };
        let parts = (0..3)
            .map(|c| {
                let entries = built
                    .entries(c)
                    .map(|i| (built.slot[i], built.count[i], built.sum[i]));
                (built.heads[c].clone(), entries.collect())
            })
            .collect();
        let from_parts = CellColumn::Sparse(SparseCells::from_parts(grid.slots(), parts).unwrap());
        assert_eq!(from_parts, sparse);
        let twice = vec![(
            NumericProfile::with_slots(0),
            vec![(1, 1, 1.0), (1, 1, 1.0)],
        )];
        assert!(SparseCells::from_parts(grid.slots(), twice).is_err());
        let outside = vec![(
            NumericProfile::with_slots(0),
            vec![(grid.slots() as u32, 1, 1.0)],
        )];
        assert!(SparseCells::from_parts(grid.slots(), outside).is_err());
    }
}
