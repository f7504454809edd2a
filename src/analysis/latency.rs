//! Latency percentiles (p50, p95, p99; numpy's linear quantiles) overall, per segment value and
//! per model version, where the log has a latency column. A slow new region or a slower release
//! shows here before anyone files a ticket.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::columns;
use super::workspace::{SegmentRef, SegmentSlice};
use crate::data::{Inputs, Role};
use crate::jobs::JobState;
use crate::stats::summary::quantiles_unsorted;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    pub rows: usize,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SliceLatency {
    pub segment: SegmentRef,
    pub role: Role,
    pub latency: Percentiles,
    /// This slice's p95 over the overall p95.
    pub p95_ratio: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LatencyReport {
    pub column: String,
    pub overall: Percentiles,
    /// Per segment value and per model version, slowest p95 first.
    pub slices: Vec<SliceLatency>,
}

/// The percentiles of these values (reordered in place: no copy of a 10 M-value column).
fn percentiles(mut v: Vec<f64>) -> Option<Percentiles> {
    let q = quantiles_unsorted(&mut v, &[0.50, 0.95, 0.99])?;
    Some(Percentiles {
        rows: v.len(),
        p50: q[0],
        p95: q[1],
        p99: q[2],
        max: v.iter().copied().max_by(f64::total_cmp)?,
    })
}

/// The latency report from the log's rows; `None` without a latency column, or once `state` is
/// cancelled (looked at between the slices).
pub(crate) fn run_latency(
    inputs: &Inputs,
    segments: &[SegmentSlice],
    state: &JobState,
) -> Option<LatencyReport> {
    let frame = &inputs.current.frame;
    let column = inputs
        .roles
        .with_role(Role::Latency)
        .into_iter()
        .find(|c| frame.column(c).is_ok())?;
    // Shared with the frame when the column is floats without nulls.
    let values = columns::numeric_column(frame, column).ok()?;
    if state.is_cancelled() {
        return None;
    }
    let present: Vec<f64> = values.iter().flatten().collect();
    // Every slice's values gathered side by side (the slices of one column cover the log).
    let slices = segments
        .par_iter()
        .map(|s| {
            (!state.is_cancelled()).then(|| {
                let v: Vec<f64> = s.rows.iter().filter_map(|&r| values.get(r)).collect();
                (s.segment.clone(), s.role, v)
            })
        })
        .collect::<Option<Vec<_>>>()?;
    latency_report(column, present, slices, state)
}

/// The report from the values of the whole log and of each slice (rows or a profile's cells).
pub(crate) fn latency_report(
    column: &str,
    all: Vec<f64>,
    slices: Vec<(SegmentRef, Role, Vec<f64>)>,
    state: &JobState,
) -> Option<LatencyReport> {
    let overall = percentiles(all)?;
    if state.is_cancelled() {
        return None;
    }
    let mut slices: Vec<SliceLatency> = slices
        .into_par_iter()
        .filter_map(|(segment, role, v)| {
            let p = percentiles(v).filter(|_| !state.is_cancelled())?;
            Some(SliceLatency {
                segment,
                role,
                p95_ratio: if overall.p95 > 0.0 {
                    p.p95 / overall.p95
                } else {
                    1.0
                },
                latency: p,
            })
        })
        .collect();
    if state.is_cancelled() {
        return None;
    }
    slices.sort_by(|a, b| b.latency.p95.total_cmp(&a.latency.p95));
    Some(LatencyReport {
        column: column.to_owned(),
        overall,
        slices,
    })
}
