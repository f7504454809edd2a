//! Findings made from what a panel shows (the app's "Pin" buttons) and the automatic findings of
//! a headless report: the dataset verdict, the worst features and segments, data quality,
//! performance and replay.

use crate::analysis::quality::Severity;
use crate::analysis::slice::{SliceComparison, Timeline, severity};
use crate::analysis::{ColumnDrift, DriftReport, Predicate, SliceDef};
use crate::data::Role;
use crate::format::{group_thousands, pct, score};
use crate::replay::analysis::Comparison;
use crate::session::findings::{Chart, Finding, FindingSeverity, now};

/// The log rows of one segment value.
fn segment_slice(s: &crate::analysis::SegmentRef) -> SliceDef {
    SliceDef::default().with(Predicate::OneOf {
        column: s.column.clone(),
        values: vec![s.value.clone()],
    })
}

/// Counts as shares of their total (all zero when the total is).
pub fn shares(counts: &[u64]) -> Vec<f64> {
    let total: u64 = counts.iter().sum();
    counts
        .iter()
        .map(|c| {
            if total == 0 {
                0.0
            } else {
                *c as f64 / total as f64
            }
        })
        .collect()
}

fn severity_of(d: &ColumnDrift) -> FindingSeverity {
    match (d.drifted, severity(d)) {
        (true, s) if s >= 2.0 => FindingSeverity::Critical,
        (true, _) => FindingSeverity::Warning,
        _ => FindingSeverity::Info,
    }
}

/// The reference and the slice on the bins the test used.
pub fn drift_chart(d: &ColumnDrift, slice: &str, against: &str) -> Chart {
    Chart::Bars {
        title: format!("{}: share of rows per bin", d.column),
        categories: d.stats.bin_labels.clone(),
        series: vec![
            (against.to_owned(), shares(&d.stats.baseline_counts)),
            (slice.to_owned(), shares(&d.stats.current_counts)),
        ],
    }
}

/// One column of a comparison: its verdict, its numbers, its distribution.
pub fn feature_finding(d: &ColumnDrift, slice: &SliceDef, against: &SliceDef) -> Finding {
    let s = &d.stats;
    let verdict = if d.drifted {
        "drifts"
    } else {
        "does not drift"
    };
    let mut numbers = vec![
        ("method".to_owned(), d.method.to_string()),
        ("score".to_owned(), score(d.score, 4)),
        ("threshold".to_owned(), score(Some(d.threshold), 4)),
        (
            "rows (reference, slice)".to_owned(),
            format!(
                "{}, {}",
                group_thousands(d.n_baseline),
                group_thousands(d.n_current)
            ),
        ),
        (
            "missing (reference, slice)".to_owned(),
            format!(
                "{}, {}",
                pct(s.null_rate_baseline),
                pct(s.null_rate_current)
            ),
        ),
    ];
    if let Some(p) = s.ks_pvalue.or(s.chi2_pvalue) {
        numbers.push(("KS / chi-square p".to_owned(), score(Some(p), 3)));
    }
    if !s.new_categories.is_empty() {
        numbers.push(("new categories".to_owned(), s.new_categories.join(", ")));
    }
    Finding {
        title: format!(
            "{} {verdict} in {} ({} {})",
            d.column,
            slice.describe(),
            d.method,
            score(d.score, 3)
        ),
        severity: severity_of(d),
        source: "feature".to_owned(),
        slice: slice.clone(),
        against: against.describe(),
        column: Some(d.column.clone()),
        numbers,
        chart: Some(drift_chart(d, &slice.describe(), &against.describe())),
        pinned: now(),
        ..Finding::default()
    }
}

/// A whole A-against-B comparison: how many features drift and which.
pub fn comparison_finding(c: &SliceComparison) -> Finding {
    let drifted: Vec<&crate::analysis::slice::SliceColumn> =
        c.columns.iter().filter(|x| x.drift.drifted).collect();
    let numbers = c
        .columns
        .iter()
        .take(8)
        .map(|x| {
            (
                x.drift.column.clone(),
                format!(
                    "{} {}{}",
                    x.drift.method,
                    score(x.drift.score, 3),
                    if x.drift.drifted { " (drifted)" } else { "" }
                ),
            )
        })
        .collect();
    Finding {
        title: format!(
            "{} of {} features drift between {} and {}{}",
            c.drifted_features,
            c.features,
            c.a.describe(),
            c.b.describe(),
            drifted
                .first()
                .map(|d| format!("; most: {}", d.drift.column))
                .unwrap_or_default()
        ),
        severity: if c.drifted_features > 0 {
            FindingSeverity::Warning
        } else {
            FindingSeverity::Info
        },
        source: "compare".to_owned(),
        slice: c.a.clone(),
        against: c.b.describe(),
        numbers,
        chart: drifted
            .first()
            .map(|d| drift_chart(&d.drift, &c.a.describe(), &c.b.describe())),
        pinned: now(),
        ..Finding::default()
    }
}

/// The segments heatmap: how many columns drift in each segment value, the worst cell of each.
pub fn heatmap_finding(h: &crate::analysis::slice::Heatmap) -> Finding {
    let totals = h.row_totals();
    let order = h.worst_first();
    let numbers = order
        .iter()
        .map(|&i| {
            let worst = h.cells[i]
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.severity.total_cmp(&b.1.severity))
                .map(|(j, c)| {
                    format!(
                        "; most: {} ({} {})",
                        h.columns[j],
                        c.method,
                        score(c.score, 3)
                    )
                })
                .unwrap_or_default();
            (
                format!("{} = {}", h.segment, h.values[i].0),
                format!("{} of {} columns drift{worst}", totals[i], h.columns.len()),
            )
        })
        .collect();
    let worst = order.first().map(|&i| (&h.values[i].0, totals[i]));
    Finding {
        title: match worst {
            Some((v, n)) if n > 0 => format!(
                "Per {}: {} = {v} is the worst, {n} columns drift",
                h.segment, h.segment
            ),
            _ => format!("No column drifts in any value of {}", h.segment),
        },
        severity: if worst.is_some_and(|(_, n)| n > 0) {
            FindingSeverity::Warning
        } else {
            FindingSeverity::Info
        },
        source: "segments".to_owned(),
        slice: h.within.clone(),
        against: match h.reference {
            crate::analysis::Reference::Baseline => "the whole baseline".to_owned(),
            crate::analysis::Reference::BaselineSegment => {
                "the same segment of the baseline".to_owned()
            }
        },
        numbers,
        chart: Some(Chart::Bars {
            title: format!("Columns that drift, per value of {}", h.segment),
            categories: order.iter().map(|&i| h.values[i].0.clone()).collect(),
            series: vec![(
                "share of columns that drift".to_owned(),
                order
                    .iter()
                    .map(|&i| totals[i] as f64 / h.columns.len().max(1) as f64)
                    .collect(),
            )],
        }),
        pinned: now(),
        ..Finding::default()
    }
}

/// A column over time within a slice.
pub fn timeline_finding(t: &Timeline, threshold: Option<f64>) -> Finding {
    let x: Vec<String> = t
        .windows
        .iter()
        .map(|w| w.start.clone().unwrap_or_else(|| format!("#{}", w.index)))
        .collect();
    let over = |s: &Option<f64>| {
        s.zip(threshold)
            .is_some_and(|(s, th)| if t.lower_is_drift { s < th } else { s >= th })
    };
    let first = t.lines.first().and_then(|l| l.scores.iter().position(over));
    Finding {
        title: match first {
            Some(i) => format!(
                "{} drifts from the window starting {} ({})",
                t.column,
                x[i],
                t.within.describe()
            ),
            None => format!("{} over time ({})", t.column, t.within.describe()),
        },
        severity: if first.is_some() {
            FindingSeverity::Warning
        } else {
            FindingSeverity::Info
        },
        source: "time".to_owned(),
        slice: t.within.clone(),
        against: "the whole baseline".to_owned(),
        column: Some(t.column.clone()),
        numbers: vec![("method".to_owned(), t.method.as_str().to_owned())],
        chart: Some(Chart::Lines {
            title: format!("{} drift per window ({})", t.column, t.method.as_str()),
            x,
            series: t
                .lines
                .iter()
                .map(|l| (l.label.clone(), l.scores.clone()))
                .collect(),
            thresholds: threshold
                .map(|th| ("threshold".to_owned(), th))
                .into_iter()
                .collect(),
        }),
        pinned: now(),
        ..Finding::default()
    }
}

/// Replayed against logged (or candidate against production).
pub fn replay_finding(c: &Comparison, slice: &SliceDef) -> Finding {
    let worst = c.by_group.first().filter(|g| g.beyond_tolerance > 0.0);
    let mut numbers = vec![
        (
            "rows beyond the tolerance".to_owned(),
            format!(
                "{} of {} ({})",
                group_thousands(c.beyond_tolerance_rows),
                group_thousands(c.rows),
                pct(c.beyond_tolerance)
            ),
        ),
        ("tolerance".to_owned(), c.tolerance.to_string()),
        (
            "largest |difference|".to_owned(),
            score(Some(c.diff.max_abs), 4),
        ),
    ];
    if let Some(d) = c.label_disagreement {
        numbers.push(("labels differ".to_owned(), pct(d)));
    }
    if let Some(w) = &c.first_window_beyond {
        numbers.push(("first window with differences".to_owned(), w.clone()));
    }
    for g in c
        .by_group
        .iter()
        .filter(|g| g.beyond_tolerance > 0.01)
        .take(4)
    {
        numbers.push((
            g.group.clone(),
            format!("{} beyond", pct(g.beyond_tolerance)),
        ));
    }
    Finding {
        title: format!(
            "{}: {} of rows differ{}{}",
            c.what,
            pct(c.beyond_tolerance),
            worst
                .map(|g| format!(", most in {}", g.group))
                .unwrap_or_default(),
            c.first_window_beyond
                .as_ref()
                .map(|w| format!(", since {w}"))
                .unwrap_or_default()
        ),
        severity: if c.beyond_tolerance > 0.05 {
            FindingSeverity::Critical
        } else if c.beyond_tolerance > 0.0 {
            FindingSeverity::Warning
        } else {
            FindingSeverity::Info
        },
        source: "replay".to_owned(),
        slice: slice.clone(),
        against: c.what.clone(),
        numbers,
        chart: Some(Chart::Lines {
            title: "Share of rows beyond the tolerance, per window".to_owned(),
            x: c.by_window.iter().map(|w| w.group.clone()).collect(),
            series: vec![(
                "beyond the tolerance".to_owned(),
                c.by_window
                    .iter()
                    .map(|w| Some(w.beyond_tolerance))
                    .collect(),
            )],
            thresholds: Vec::new(),
        }),
        pinned: now(),
        ..Finding::default()
    }
}

/// The findings a headless report proposes: the dataset verdict, the worst features overall, the
/// worst segment values, data-quality alerts, performance alerts and the replay's skew.
pub fn automatic(report: &DriftReport, replay: Option<&Comparison>) -> Vec<Finding> {
    // The incidents found first; the dataset verdict below them.
    let mut out: Vec<Finding> = report
        .incidents(4)
        .iter()
        .map(|i| {
            let mut f = discovery_finding(i.lead);
            f.title = i.describe();
            f
        })
        .collect();
    let whole_log = SliceDef::default();
    let baseline = SliceDef::whole(crate::analysis::Side::Baseline);
    let d = &report.dataset;
    out.push(Finding {
        title: d.describe(),
        severity: if d.drifted {
            FindingSeverity::Critical
        } else {
            FindingSeverity::Info
        },
        source: "overview".to_owned(),
        against: "the whole baseline".to_owned(),
        numbers: report
            .overall()
            .map(|f| {
                (
                    f.drift.column.clone(),
                    format!(
                        "{} {}{}",
                        f.drift.method,
                        score(f.drift.score, 3),
                        if f.drift.drifted { " (drifted)" } else { "" }
                    ),
                )
            })
            .collect(),
        pinned: now(),
        ..Finding::default()
    });
    let mut overall: Vec<_> = report.overall().filter(|f| f.drift.drifted).collect();
    overall.sort_by(|a, b| severity(&b.drift).total_cmp(&severity(&a.drift)));
    for f in overall.into_iter().take(3) {
        out.push(feature_finding(&f.drift, &whole_log, &baseline));
    }
    // Segment values by how many features drift in them (against the whole baseline).
    let mut by_segment: Vec<(String, String, usize, f64, &ColumnDrift)> = Vec::new();
    for f in report
        .features
        .iter()
        .filter(|f| f.reference == crate::analysis::Reference::Baseline && f.role == Role::Feature)
    {
        let Some(seg) = &f.segment else { continue };
        if !f.drift.drifted {
            continue;
        }
        match by_segment
            .iter_mut()
            .find(|(c, v, ..)| *c == seg.column && *v == seg.value)
        {
            Some(entry) => {
                entry.2 += 1;
                if severity(&f.drift) > entry.3 {
                    entry.3 = severity(&f.drift);
                    entry.4 = &f.drift;
                }
            }
            None => by_segment.push((
                seg.column.clone(),
                seg.value.clone(),
                1,
                severity(&f.drift),
                &f.drift,
            )),
        }
    }
    by_segment.sort_by(|a, b| b.2.cmp(&a.2).then(b.3.total_cmp(&a.3)));
    for (column, value, n, _, worst) in by_segment.into_iter().take(3) {
        let slice = SliceDef::default().with(Predicate::OneOf {
            column: column.clone(),
            values: vec![value.clone()],
        });
        let mut f = feature_finding(worst, &slice, &baseline);
        f.title = format!(
            "{n} features drift in {column} = {value}; most: {} ({} {})",
            worst.column,
            worst.method,
            score(worst.score, 3)
        );
        f.source = "segments".to_owned();
        out.push(f);
    }
    for a in report
        .data_quality
        .iter()
        .filter(|a| a.severity >= Severity::Warning)
        .take(5)
    {
        out.push(Finding {
            title: match &a.since {
                Some(s) => format!("{} (since {s})", a.message),
                None => a.message.clone(),
            },
            severity: if a.severity == Severity::Critical {
                FindingSeverity::Critical
            } else {
                FindingSeverity::Warning
            },
            source: "data quality".to_owned(),
            slice: a.segment.as_ref().map(segment_slice).unwrap_or_default(),
            against: "the whole baseline".to_owned(),
            column: Some(a.column.clone()),
            numbers: [
                a.baseline
                    .map(|b| ("baseline".to_owned(), score(Some(b), 4))),
                a.current.map(|c| ("log".to_owned(), score(Some(c), 4))),
            ]
            .into_iter()
            .flatten()
            .collect(),
            pinned: now(),
            ..Finding::default()
        });
    }
    if let Some(p) = &report.performance {
        for a in p.alerts.iter().take(3) {
            out.push(Finding {
                title: a.message.clone(),
                severity: FindingSeverity::Warning,
                source: "performance".to_owned(),
                slice: a.segment.as_ref().map(segment_slice).unwrap_or_default(),
                against: format!("the {}", p.reference.describe()),
                numbers: vec![
                    (a.metric.clone(), score(Some(a.value), 3)),
                    ("reference".to_owned(), score(Some(a.reference), 3)),
                    ("relative drop".to_owned(), pct(a.relative_drop)),
                    ("rows".to_owned(), group_thousands(a.rows)),
                ],
                pinned: now(),
                ..Finding::default()
            });
        }
    }
    if let Some(c) = replay {
        out.push(replay_finding(c, &whole_log));
    }
    out
}

/// A discovered slice as a finding: what changed, where, since when, how much of it.
pub fn discovery_finding(d: &crate::analysis::discovery::Discovery) -> Finding {
    let rate = |x: f64| {
        if d.objective.starts_with("mean") {
            format!("{x:.3}")
        } else {
            crate::format::pct(x)
        }
    };
    let mut numbers = vec![
        (
            "rows".to_owned(),
            crate::format::group_thousands(d.rows as usize),
        ),
        (
            "share of the change".to_owned(),
            crate::format::pct(d.share_explained),
        ),
        ("inside".to_owned(), rate(d.effect_inside)),
    ];
    if let Some(o) = d.effect_outside {
        numbers.push(("outside".to_owned(), rate(o)));
    }
    numbers.push(("baseline".to_owned(), rate(d.baseline)));
    numbers.push(("q-value".to_owned(), score(Some(d.q_value), 3)));
    if let Some(f) = &d.from {
        numbers.push(("since".to_owned(), f.clone()));
    }
    Finding {
        title: d.describe(),
        severity: if d.share_explained >= 0.5 {
            FindingSeverity::Critical
        } else {
            FindingSeverity::Warning
        },
        source: "overview".to_owned(),
        slice: d.slice(),
        against: "the whole baseline".to_owned(),
        column: d.evidence_column().map(str::to_owned),
        numbers,
        pinned: crate::session::findings::now(),
        ..Finding::default()
    }
}
