//! Latency percentiles (p50, p95, p99; numpy's linear quantiles) overall, per segment value and
//! per model version, where the log has a latency column. A slow new region or a slower release
//! shows here before anyone files a ticket.

use serde::{Deserialize, Serialize};

use super::columns;
use super::workspace::{SegmentRef, SegmentSlice};
use crate::data::{Inputs, Role};
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

fn percentiles(values: &[f64]) -> Option<Percentiles> {
    let mut v = values.to_vec();
    let q = quantiles_unsorted(&mut v, &[0.50, 0.95, 0.99])?;
    Some(Percentiles {
        rows: v.len(),
        p50: q[0],
        p95: q[1],
        p99: q[2],
        max: v.iter().copied().max_by(f64::total_cmp)?,
    })
}

pub(crate) fn run_latency(inputs: &Inputs, segments: &[SegmentSlice]) -> Option<LatencyReport> {
    let frame = &inputs.current.frame;
    let column = inputs
        .roles
        .with_role(Role::Latency)
        .into_iter()
        .find(|c| frame.column(c).is_ok())?;
    let values = columns::numeric_values(frame, column).ok()?;
    let present: Vec<f64> = values.iter().flatten().copied().collect();
    latency_report(
        column,
        &present,
        segments
            .iter()
            .map(|s| {
                let v: Vec<f64> = s.rows.iter().filter_map(|&r| values[r]).collect();
                (s.segment.clone(), s.role, v)
            })
            .collect(),
    )
}

/// The report from the values of the whole log and of each slice (rows or a profile's cells).
pub(crate) fn latency_report(
    column: &str,
    all: &[f64],
    slices: Vec<(SegmentRef, Role, Vec<f64>)>,
) -> Option<LatencyReport> {
    let overall = percentiles(all)?;
    let mut slices: Vec<SliceLatency> = slices
        .into_iter()
        .filter_map(|(segment, role, v)| {
            let p = percentiles(&v)?;
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
    slices.sort_by(|a, b| b.latency.p95.total_cmp(&a.latency.p95));
    Some(LatencyReport {
        column: column.to_owned(),
        overall,
        slices,
    })
}
