//! The readable summary `driftscope report` prints: dataset verdict, ranked drifted features,
//! worst segments, data-quality, performance and latency alerts — what a person on call reads
//! first.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::FailOn;
use crate::analysis::DriftReport;
use crate::analysis::Reference;
use crate::analysis::quality::Severity;
use crate::format::{pct, score};

fn num(x: Option<f64>) -> String {
    score(x, 4)
}

/// Prints rows of cells with columns padded to their widest cell.
fn table(out: &mut String, rows: &[Vec<String>]) {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for r in rows {
        let mut line = String::from("  ");
        for (i, cell) in r.iter().enumerate() {
            if i + 1 == r.len() {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:w$}  ", w = widths[i]);
            }
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

pub fn describe_report(out: &mut String, r: &DriftReport) {
    if !r.discoveries.is_empty() {
        let _ = writeln!(out, "what changed, where, since when (best first):");
        for (k, incident) in r.incidents(10).iter().enumerate() {
            let _ = writeln!(out, "  {}. {}", k + 1, incident.describe());
        }
        out.push('\n');
    }
    let _ = writeln!(out, "dataset: {}", r.dataset.describe());
    let mut overall: Vec<_> = r.overall().collect();
    overall.sort_by(|a, b| {
        b.drift
            .drifted
            .cmp(&a.drift.drifted)
            .then(b.drift.badness().total_cmp(&a.drift.badness()))
    });
    let _ = writeln!(out, "\ncolumns, log vs baseline (most drifted first):");
    let mut rows = vec![vec![
        "column".to_owned(),
        "role".into(),
        "method".into(),
        "score".into(),
        "threshold".into(),
        "drift".into(),
        "KS/chi² p".into(),
        "missing (base → log)".into(),
    ]];
    for f in &overall {
        let s = &f.drift.stats;
        rows.push(vec![
            f.drift.column.clone(),
            f.role.to_string(),
            f.drift.method.to_string(),
            num(f.drift.score),
            num(Some(f.drift.threshold)),
            if f.drift.drifted {
                "DRIFT".to_owned()
            } else if let Some(note) = &f.drift.note {
                format!("({note})")
            } else {
                "-".to_owned()
            },
            num(s.ks_pvalue.or(s.chi2_pvalue)),
            format!(
                "{} → {}",
                pct(s.null_rate_baseline),
                pct(s.null_rate_current)
            ),
        ]);
    }
    table(out, &rows);

    // Worst segments: by how many columns drift against the whole baseline, then the worst score.
    let mut by_segment: BTreeMap<(String, String), Vec<(String, f64)>> = BTreeMap::new();
    for f in r
        .features
        .iter()
        .filter(|f| f.reference == Reference::Baseline)
    {
        if let Some(seg) = &f.segment
            && f.drift.drifted
        {
            by_segment
                .entry((seg.column.clone(), seg.value.clone()))
                .or_default()
                .push((f.drift.column.clone(), f.drift.badness()));
        }
    }
    let mut worst: Vec<_> = by_segment.into_iter().collect();
    worst.sort_by_key(|w| std::cmp::Reverse(w.1.len()));
    if !worst.is_empty() {
        let _ = writeln!(
            out,
            "\nsegments with drifted columns (vs the whole baseline):"
        );
        for ((col, value), mut cols) in worst.into_iter().take(10) {
            cols.sort_by(|a, b| b.1.total_cmp(&a.1));
            let names: Vec<String> = cols
                .iter()
                .take(6)
                .map(|(c, s)| format!("{c} {s:.3}"))
                .collect();
            let _ = writeln!(
                out,
                "  {col} = {value}: {} drifted — {}",
                cols.len(),
                names.join(", ")
            );
        }
    }
    for mix in &r.segments {
        for v in mix.values.iter().filter(|v| v.absent_from_baseline) {
            let _ = writeln!(
                out,
                "  new segment: {} = {} ({} of log rows, absent from the baseline)",
                mix.column,
                v.value,
                pct(v.current_share)
            );
        }
    }

    if let Some(d) = &r.decomposition {
        let lines = d.explain(&r.explained_columns());
        if !lines.is_empty() {
            let _ = writeln!(
                out,
                "\nmix against within (how much the segment mix explains):"
            );
            for e in lines.iter().take(12) {
                let _ = writeln!(out, "  {}", e.text);
            }
        }
    }

    if !r.onsets.is_empty() {
        let _ = writeln!(
            out,
            "\nsince when (changes of the per-window series, largest first):"
        );
        for o in r.onset_headlines(10) {
            let _ = writeln!(out, "  {}", o.describe());
        }
    }

    let window_notes = r.windows.iter().flat_map(|w| w.notes.iter());
    let notes: Vec<&String> = r.notes.iter().chain(window_notes).collect();
    if !notes.is_empty() {
        let _ = writeln!(out, "\nnotes:");
        for n in notes {
            let _ = writeln!(out, "  {n}");
        }
    }

    if let Some(w) = &r.windows {
        let when = |i: usize| {
            w.windows
                .get(i)
                .and_then(|w| w.start.clone())
                .unwrap_or_else(|| format!("window {}", i + 1))
        };
        let mut lines = Vec::new();
        for s in &w.series {
            match (s.first_drift_window, s.first_data_drift_window) {
                (Some(i), _) => lines.push(format!(
                    "  {} from {} (over {})",
                    s.column,
                    when(i),
                    num(Some(s.threshold))
                )),
                (None, Some(i)) => lines.push(format!(
                    "  {} from {} (over its data-driven threshold {})",
                    s.column,
                    when(i),
                    num(s.data_threshold)
                )),
                (None, None) => {}
            }
        }
        if !lines.is_empty() {
            let _ = writeln!(
                out,
                "\nfirst window where a column drifts ({} windows):",
                w.windows.len()
            );
            for line in lines {
                let _ = writeln!(out, "{line}");
            }
        }
    }

    let alerts: Vec<_> = r
        .data_quality
        .iter()
        .filter(|a| a.severity >= Severity::Warning)
        .collect();
    if !alerts.is_empty() {
        let _ = writeln!(out, "\ndata quality:");
        for a in alerts {
            let since = a
                .since
                .as_ref()
                .map(|s| format!(" since {s}"))
                .unwrap_or_default();
            let _ = writeln!(out, "  [{:?}] {}{since}", a.severity, a.message);
        }
    }

    if let Some(p) = &r.performance {
        let m = &p.overall;
        let _ = writeln!(
            out,
            "\nperformance ({}; {} of log rows labelled): accuracy {}, precision {}, recall {}, F1 {}, ROC AUC {}",
            format!("{:?}", p.task).to_lowercase(),
            pct(p.labelled_share),
            num(m.accuracy),
            num(m.precision),
            num(m.recall),
            num(m.f1),
            num(m.roc_auc)
        );
        for a in p.alerts.iter().take(10) {
            let _ = writeln!(out, "  {}", a.message);
        }
        if p.alerts.len() > 10 {
            let _ = writeln!(
                out,
                "  … {} more performance alerts in the JSON report",
                p.alerts.len() - 10
            );
        }
    }

    if let Some(l) = &r.latency {
        let o = &l.overall;
        let _ = writeln!(
            out,
            "\nlatency `{}`: p50 {:.1}, p95 {:.1}, p99 {:.1}",
            l.column, o.p50, o.p95, o.p99
        );
        for s in l.slices.iter().filter(|s| s.p95_ratio >= 1.25).take(5) {
            let _ = writeln!(
                out,
                "  slower: {} = {}: p95 {:.1} ({:.1}× overall)",
                s.segment.column, s.segment.value, s.latency.p95, s.p95_ratio
            );
        }
    }
}

/// Which `--fail-on` conditions tripped.
pub fn tripped(r: &DriftReport, fail_on: &[FailOn]) -> Vec<&'static str> {
    let mut out = Vec::new();
    for f in fail_on {
        match f {
            FailOn::Drift if r.overall().any(|f| f.drift.drifted) => out.push("drift"),
            FailOn::Quality
                if r.data_quality
                    .iter()
                    .any(|a| a.severity >= Severity::Warning) =>
            {
                out.push("quality");
            }
            FailOn::Performance if r.performance.as_ref().is_some_and(|p| !p.alerts.is_empty()) => {
                out.push("performance");
            }
            _ => {}
        }
    }
    out.dedup();
    out
}
