//! One categorical column's profile: counts per dictionary code.

use serde::{Deserialize, Serialize};

/// One categorical column over some rows: counts per dictionary code.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CategoricalProfile {
    pub rows: u64,
    pub missing: u64,
    pub counts: Vec<u64>,
}

impl CategoricalProfile {
    pub fn empty(codes: usize) -> Self {
        Self {
            rows: 0,
            missing: 0,
            counts: vec![0; codes],
        }
    }

    pub fn update(&mut self, code: Option<u32>) {
        self.rows += 1;
        match code {
            Some(c) if (c as usize) < self.counts.len() => self.counts[c as usize] += 1,
            Some(_) => {
                // A code past the dictionary this profile was sized for: grow (bounded by the
                // dictionary's own cap upstream).
                let c = code.map_or(0, |c| c as usize);
                self.counts.resize(c + 1, 0);
                self.counts[c] += 1;
            }
            None => self.missing += 1,
        }
    }

    pub fn merge(&mut self, other: &CategoricalProfile) {
        self.rows += other.rows;
        self.missing += other.missing;
        if other.counts.len() > self.counts.len() {
            self.counts.resize(other.counts.len(), 0);
        }
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
    }

    pub fn without(&self, part: &CategoricalProfile) -> CategoricalProfile {
        let mut out = self.clone();
        out.rows -= part.rows.min(out.rows);
        out.missing -= part.missing.min(out.missing);
        for (a, b) in out.counts.iter_mut().zip(&part.counts) {
            *a -= (*b).min(*a);
        }
        out
    }
}
