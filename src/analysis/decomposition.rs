//! Mix against within: how much of a change the log's segment mix explains, from the untimed
//! cells alone (no row is read, so a log held as a profile has it too).
//!
//! *Drift.* For a column and a segment column, the log's distribution is compared with the
//! baseline's, and with the baseline *reweighted to the log's mix*: each baseline segment's
//! distribution weighted by that segment's share of the log. Segment values the baseline does not
//! have cannot be reweighted: their rows are left out of the adjusted comparison and their share
//! of the log is said (`absent_share`). `mix_share = 1 − adjusted / unadjusted`, clipped to
//! [0, 1]: 1 when the mix explains all of it, 0 when the change is inside the segments. Both
//! scores are the same distance, so the ratio means something whatever test decides the column's
//! verdict: the Kolmogorov–Smirnov D on the profile's grid for numbers (every bucket edge a point
//! of the ECDFs: exact where the grid holds each baseline value, a lower bound of D otherwise —
//! the same estimator on both sides), the Jensen–Shannon distance (base 2) for categories.
//!
//! *Rates.* A rate over the log (a column's missing share, the mean score) is a mix-weighted sum
//! of the segments' rates, so its change splits exactly in two (Kitagawa 1955; the two-part
//! Oaxaca–Blinder form): with shares `w` and rates `r`, baseline unprimed,
//! `Δ = Σ (w′ − w)(r′ + r)/2 + Σ (r′ − r)(w′ + w)/2` — the mix part and the within part, which
//! add up to the total change to rounding. A segment value only one side has takes the other
//! side's rate as its own, so all of its contribution is mix (a new region *is* a mix change).

use serde::{Deserialize, Serialize};

use super::drift::ColumnKind;
use super::profiles::{CellProfiles, ColumnProfile};
use super::workspace::Workspace;
use crate::data::Role;
use crate::stats::divergence::jensen_shannon;

/// How a missing segment value is named.
pub const MISSING_VALUE: &str = "(missing)";

/// The share of one column's drift, against one segment column, that the log's mix explains.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MixDrift {
    pub column: String,
    pub segment_column: String,
    /// The distance both scores are: `ks_d` (numbers) or `jensen_shannon` (categories).
    pub method: String,
    pub score_vs_baseline: f64,
    pub score_vs_mix_adjusted: f64,
    /// `None` when the log does not differ from the baseline at all (nothing to explain).
    pub mix_share: Option<f64>,
    /// The log's share in segment values the baseline does not have (left out of the adjusted
    /// comparison).
    pub absent_share: f64,
}

/// One segment value's part of a rate's change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SegmentPart {
    pub value: String,
    pub baseline_share: f64,
    pub log_share: f64,
    /// `None`: no rows (or no values) of it on that side.
    pub baseline_rate: Option<f64>,
    pub log_rate: Option<f64>,
    pub mix_part: f64,
    pub within_part: f64,
}

/// A rate's change split into the part the mix explains and the part inside the segments.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RateChange {
    /// `missing_share` (of `column`'s rows) or `mean` (of `column`'s finite values).
    pub metric: String,
    pub column: String,
    pub segment_column: String,
    pub baseline_rate: f64,
    pub log_rate: f64,
    pub total_change: f64,
    pub mix_part: f64,
    pub within_part: f64,
    /// Largest contribution (|mix| + |within|) first.
    pub per_segment: Vec<SegmentPart>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Decomposition {
    /// Per analysed column and segment column, the column's order, then the segments'.
    pub drift: Vec<MixDrift>,
    /// Rates whose total change is not zero, the largest change first.
    pub rates: Vec<RateChange>,
}

impl Decomposition {
    /// The entry of `column` against `segment_column`.
    pub fn drift_of(&self, column: &str, segment_column: &str) -> Option<&MixDrift> {
        self.drift
            .iter()
            .find(|d| d.column == column && d.segment_column == segment_column)
    }
}

/// A rate's change of at least this much (a share: one percentage point; a mean score: 0.01) is
/// worth a sentence.
const RATE_WORTH_SAYING: f64 = 0.01;

/// One sentence of what the mix explains, and the column it is about (to open).
#[derive(Clone, Debug, PartialEq)]
pub struct Explained {
    pub column: String,
    pub text: String,
}

impl Decomposition {
    /// What the mix explains, in sentences: for each of `columns` (the drifted ones, worst
    /// first), the segment column whose mix explains most of its drift — or, when none explains
    /// half, that the change is inside the segments; then every rate change worth saying, with
    /// the segment value it is most in.
    pub fn explain(&self, columns: &[&str]) -> Vec<Explained> {
        let mut out = Vec::new();
        for &column in columns {
            let best = self
                .drift
                .iter()
                .filter(|d| d.column == column && d.mix_share.is_some())
                .max_by(|a, b| {
                    a.mix_share
                        .unwrap_or(0.0)
                        .total_cmp(&b.mix_share.unwrap_or(0.0))
                });
            let Some(d) = best else { continue };
            let share = d.mix_share.unwrap_or(0.0);
            let scores = format!(
                "{} {:.3} against the baseline, {:.3} against it at the log's {} mix",
                match d.method.as_str() {
                    "ks_d" => "KS D",
                    _ => "Jensen–Shannon",
                },
                d.score_vs_baseline,
                d.score_vs_mix_adjusted,
                d.segment_column
            );
            let absent = if d.absent_share > 0.0 {
                format!(
                    "; {} of the log is in {} values the baseline lacks",
                    crate::format::pct(d.absent_share),
                    d.segment_column
                )
            } else {
                String::new()
            };
            let text = if share >= 0.5 {
                format!(
                    "{} of {column}'s drift is the {} mix ({scores}){absent}",
                    crate::format::pct(share),
                    d.segment_column
                )
            } else {
                format!(
                    "{column}'s drift is inside the segments: the {} mix explains {} ({scores}){absent}",
                    d.segment_column,
                    crate::format::pct(share)
                )
            };
            out.push(Explained {
                column: column.to_owned(),
                text,
            });
        }
        // Per metric and column, the segment column whose largest part is largest.
        let mut said: Vec<(&str, &str)> = Vec::new();
        let top = |r: &RateChange| {
            r.per_segment
                .first()
                .map_or(0.0, |p| p.mix_part.abs() + p.within_part.abs())
        };
        let mut rates: Vec<&RateChange> = self
            .rates
            .iter()
            .filter(|r| r.total_change.abs() >= RATE_WORTH_SAYING)
            .collect();
        rates.sort_by(|a, b| top(b).total_cmp(&top(a)));
        for r in rates {
            if said.contains(&(r.metric.as_str(), r.column.as_str())) {
                continue;
            }
            said.push((&r.metric, &r.column));
            fn points(x: f64) -> String {
                format!("{:+.1} pp", x * 100.0)
            }
            fn plain(x: f64) -> String {
                format!("{x:+.3}")
            }
            let (what, amount): (String, fn(f64) -> String) = match r.metric.as_str() {
                "missing_share" => (format!("the missing share of {}", r.column), points),
                _ => (format!("the mean {}", r.column), plain),
            };
            let most = r
                .per_segment
                .first()
                .map(|p| {
                    format!(
                        " (most in {} = {}: {} within, {} mix)",
                        r.segment_column,
                        p.value,
                        amount(p.within_part),
                        amount(p.mix_part)
                    )
                })
                .unwrap_or_default();
            out.push(Explained {
                column: r.column.clone(),
                text: format!(
                    "{what} changed {}: {} inside {} values, {} the {} mix{most}",
                    amount(r.total_change),
                    amount(r.within_part),
                    r.segment_column,
                    amount(r.mix_part),
                    r.segment_column
                ),
            });
        }
        out
    }
}

/// A column's profile per segment value on one side: values in the order of `values`.
fn by_value(
    cells: &CellProfiles,
    column: usize,
    segment: usize,
    values: &[Option<String>],
) -> Vec<Option<ColumnProfile>> {
    let mut out: Vec<Option<ColumnProfile>> = vec![None; values.len()];
    let Some(cells_of) = cells.columns.get(column).filter(|c| !c.is_empty()) else {
        return out;
    };
    for (t, tuple) in cells.index.tuples.iter().enumerate() {
        let v = tuple.get(segment).cloned().flatten();
        let Some(k) = values.iter().position(|x| *x == v) else {
            continue;
        };
        for s in 0..cells.index.slots {
            cells_of.merge_into(cells.index.cell(t, s), &mut out[k]);
        }
    }
    out
}

/// What a side's profile of one segment value contributes to a distribution: per bucket (or
/// category) counts, and how many rows they are.
fn counts_of(p: &ColumnProfile) -> (Vec<f64>, f64) {
    match p {
        ColumnProfile::Numeric(n) => (
            n.counts.iter().map(|&c| c as f64).collect(),
            n.values as f64,
        ),
        ColumnProfile::Categorical(c) => {
            let counts: Vec<f64> = c.counts.iter().map(|&x| x as f64).collect();
            let total = counts.iter().sum();
            (counts, total)
        }
    }
}

/// The distance between two distributions given as counts (normalised here).
fn distance(kind: ColumnKind, a: &[f64], b: &[f64]) -> Option<f64> {
    let (sa, sb): (f64, f64) = (a.iter().sum(), b.iter().sum());
    if sa <= 0.0 || sb <= 0.0 || a.len() != b.len() {
        return None;
    }
    Some(match kind {
        ColumnKind::Numeric => {
            let (mut ca, mut cb, mut d) = (0.0, 0.0, 0.0f64);
            for (x, y) in a.iter().zip(b) {
                ca += x / sa;
                cb += y / sb;
                d = d.max((ca - cb).abs());
            }
            d
        }
        ColumnKind::Categorical => jensen_shannon(a, b, Some(2.0)),
    })
}

/// `acc += w · xs` elementwise.
fn add_scaled(acc: &mut Vec<f64>, xs: &[f64], w: f64) {
    if acc.len() < xs.len() {
        acc.resize(xs.len(), 0.0);
    }
    for (a, x) in acc.iter_mut().zip(xs) {
        *a += w * x;
    }
}

/// One column's drift against one segment column, unadjusted and adjusted to the log's mix.
fn mix_drift(
    kind: ColumnKind,
    log: &[Option<ColumnProfile>],
    base: &[Option<ColumnProfile>],
) -> Option<(f64, f64, f64)> {
    let side = |ps: &[Option<ColumnProfile>]| -> Vec<(Vec<f64>, f64)> {
        ps.iter()
            .map(|p| p.as_ref().map_or((Vec::new(), 0.0), counts_of))
            .collect()
    };
    let (log, base) = (side(log), side(base));
    let mut log_all = Vec::new();
    let mut base_all = Vec::new();
    let mut log_kept = Vec::new();
    let mut mixture = Vec::new();
    let total_log: f64 = log.iter().map(|(_, n)| n).sum();
    let kept_log: f64 = log
        .iter()
        .zip(&base)
        .filter(|(_, (_, nb))| *nb > 0.0)
        .map(|((_, n), _)| n)
        .sum();
    for ((lc, ln), (bc, bn)) in log.iter().zip(&base) {
        add_scaled(&mut log_all, lc, 1.0);
        add_scaled(&mut base_all, bc, 1.0);
        if *bn > 0.0 && *ln > 0.0 {
            add_scaled(&mut log_kept, lc, 1.0);
            // The baseline segment's distribution, weighted by the segment's share of the log.
            add_scaled(&mut mixture, bc, ln / kept_log / bn);
        }
    }
    let len = log_all.len().max(base_all.len());
    for v in [&mut log_all, &mut base_all, &mut log_kept, &mut mixture] {
        v.resize(len, 0.0);
    }
    let unadjusted = distance(kind, &base_all, &log_all)?;
    let adjusted = distance(kind, &mixture, &log_kept).unwrap_or(0.0);
    let absent = if total_log > 0.0 {
        1.0 - kept_log / total_log
    } else {
        0.0
    };
    Some((unadjusted, adjusted, absent))
}

/// The Kitagawa split of a rate given per segment value as `(rows, rate)` on each side.
fn kitagawa(
    values: &[Option<String>],
    log: &[(f64, Option<f64>)],
    base: &[(f64, Option<f64>)],
) -> Option<(f64, f64, f64, f64, Vec<SegmentPart>)> {
    let (nl, nb): (f64, f64) = (
        log.iter().map(|x| x.0).sum(),
        base.iter().map(|x| x.0).sum(),
    );
    if nl <= 0.0 || nb <= 0.0 {
        return None;
    }
    let mut parts = Vec::new();
    let (mut rate_l, mut rate_b) = (0.0, 0.0);
    for (k, v) in values.iter().enumerate() {
        let (wl, rl) = (log[k].0 / nl, log[k].1);
        let (wb, rb) = (base[k].0 / nb, base[k].1);
        if wl == 0.0 && wb == 0.0 {
            continue;
        }
        // A value only one side has takes the other side's rate: all of it is mix.
        let (r1, r0) = match (rl, rb) {
            (Some(a), Some(b)) => (a, b),
            (Some(a), None) => (a, a),
            (None, Some(b)) => (b, b),
            (None, None) => continue,
        };
        rate_l += wl * r1;
        rate_b += wb * r0;
        parts.push(SegmentPart {
            value: v.clone().unwrap_or_else(|| MISSING_VALUE.to_owned()),
            baseline_share: wb,
            log_share: wl,
            baseline_rate: rb,
            log_rate: rl,
            mix_part: (wl - wb) * (r1 + r0) / 2.0,
            within_part: (r1 - r0) * (wl + wb) / 2.0,
        });
    }
    let mix: f64 = parts.iter().map(|p| p.mix_part).sum();
    let within: f64 = parts.iter().map(|p| p.within_part).sum();
    parts.sort_by(|a, b| {
        let size = |p: &SegmentPart| p.mix_part.abs() + p.within_part.abs();
        size(b).total_cmp(&size(a))
    });
    Some((rate_b, rate_l, mix, within, parts))
}

/// Every column against every segment column (segment and model-version roles) the cells are
/// cut by on both sides; `None` without cells.
pub fn decompose(ws: &Workspace) -> Option<Decomposition> {
    let cells = ws.cells.as_ref()?;
    let level = cells.untimed();
    let (log, base) = (level.log, level.baseline);
    let segment_columns: Vec<(String, usize, usize)> = log
        .index
        .segments
        .iter()
        .enumerate()
        .filter_map(|(k, s)| {
            let kb = base.index.segments.iter().position(|x| x == s)?;
            Some((s.clone(), k, kb))
        })
        .collect();
    let mut out = Decomposition::default();
    for (segment, k, kb) in &segment_columns {
        let mut values: Vec<Option<String>> = Vec::new();
        for t in log
            .index
            .tuples
            .iter()
            .map(|t| t.get(*k).cloned().flatten())
            .chain(
                base.index
                    .tuples
                    .iter()
                    .map(|t| t.get(*kb).cloned().flatten()),
            )
        {
            if !values.contains(&t) {
                values.push(t);
            }
        }
        values.sort();
        for (i, p) in ws.prepared.iter().enumerate() {
            if p.name == *segment {
                continue;
            }
            let (lp, bp) = (
                by_value(log, i, *k, &values),
                by_value(base, i, *kb, &values),
            );
            if let Some((unadjusted, adjusted, absent)) = mix_drift(p.kind(), &lp, &bp) {
                out.drift.push(MixDrift {
                    column: p.name.clone(),
                    segment_column: segment.clone(),
                    method: match p.kind() {
                        ColumnKind::Numeric => "ks_d",
                        ColumnKind::Categorical => "jensen_shannon",
                    }
                    .to_owned(),
                    score_vs_baseline: unadjusted,
                    score_vs_mix_adjusted: adjusted,
                    mix_share: (unadjusted > 0.0)
                        .then(|| (1.0 - adjusted / unadjusted).clamp(0.0, 1.0)),
                    absent_share: absent,
                });
            }
            // Rates: the missing share of every column but the label (a label arrives late:
            // its missing share is the labels' delay, which performance says); the mean of the
            // model's score.
            let missing = |ps: &[Option<ColumnProfile>]| -> Vec<(f64, Option<f64>)> {
                ps.iter()
                    .map(|p| match p {
                        Some(p) if p.rows() > 0 => {
                            (p.rows() as f64, Some(p.missing() as f64 / p.rows() as f64))
                        }
                        _ => (0.0, None),
                    })
                    .collect()
            };
            let mut rates = Vec::new();
            if p.role != Role::Label {
                rates.push(("missing_share", missing(&lp), missing(&bp)));
            }
            if p.role == Role::Score {
                let mean = |ps: &[Option<ColumnProfile>]| -> Vec<(f64, Option<f64>)> {
                    ps.iter()
                        .map(|p| match p {
                            Some(ColumnProfile::Numeric(n)) if n.values > 0 => {
                                (n.values as f64, Some(n.mean))
                            }
                            _ => (0.0, None),
                        })
                        .collect()
                };
                rates.push(("mean", mean(&lp), mean(&bp)));
            }
            for (metric, l, b) in rates {
                let Some((rate_b, rate_l, mix, within, parts)) = kitagawa(&values, &l, &b) else {
                    continue;
                };
                if rate_l == rate_b && parts.iter().all(|p| p.mix_part == 0.0) {
                    continue;
                }
                out.rates.push(RateChange {
                    metric: metric.to_owned(),
                    column: p.name.clone(),
                    segment_column: segment.clone(),
                    baseline_rate: rate_b,
                    log_rate: rate_l,
                    total_change: rate_l - rate_b,
                    mix_part: mix,
                    within_part: within,
                    per_segment: parts,
                });
            }
        }
    }
    out.rates
        .sort_by(|a, b| b.total_change.abs().total_cmp(&a.total_change.abs()));
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The two parts add up to the total change, a value only the log has is all mix, and a
    /// change inside one segment at an unchanged mix is all within.
    #[test]
    fn kitagawa_parts_sum_to_the_total_change() {
        let values = vec![
            Some("a".to_owned()),
            Some("b".to_owned()),
            Some("c".to_owned()),
        ];
        let base = [(600.0, Some(0.1)), (400.0, Some(0.3)), (0.0, None)];
        let log = [(200.0, Some(0.1)), (500.0, Some(0.5)), (300.0, Some(0.2))];
        let (rb, rl, mix, within, parts) = kitagawa(&values, &log, &base).unwrap();
        assert!((rb - 0.18).abs() < 1e-12);
        assert!((rl - (0.02 + 0.25 + 0.06)).abs() < 1e-12);
        assert!((mix + within - (rl - rb)).abs() < 1e-12);
        let c = parts.iter().find(|p| p.value == "c").unwrap();
        assert_eq!(c.within_part, 0.0);
        assert!((c.mix_part - 0.3 * 0.2).abs() < 1e-12);
        // The same mix on both sides: all of the change is within.
        let same_mix = [(600.0, Some(0.1)), (400.0, Some(0.6)), (0.0, None)];
        let (_, _, mix, within, _) = kitagawa(&values, &same_mix, &base).unwrap();
        assert!(mix.abs() < 1e-12);
        assert!((within - 0.4 * 0.3).abs() < 1e-12);
    }

    /// A log that is the baseline's segments in another mix: unadjusted drift, none once the
    /// baseline is reweighted to the log's mix.
    #[test]
    fn a_pure_mix_change_is_explained_by_the_mix() {
        use crate::stats::profile::CategoricalProfile;
        let cat = |counts: Vec<u64>| {
            Some(ColumnProfile::Categorical(CategoricalProfile {
                rows: counts.iter().sum(),
                missing: 0,
                counts,
            }))
        };
        let base = vec![cat(vec![90, 10]), cat(vec![10, 90])];
        // Segment 1 is 90 % of the log instead of half: the same distributions inside.
        let log = vec![cat(vec![9, 1]), cat(vec![9, 81])];
        let (unadjusted, adjusted, absent) =
            mix_drift(ColumnKind::Categorical, &log, &base).unwrap();
        assert!(unadjusted > 0.2, "{unadjusted}");
        assert!(adjusted < 1e-9, "{adjusted}");
        assert_eq!(absent, 0.0);
    }
}
