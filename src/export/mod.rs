//! Reports for the postmortem: one document — an executive summary, the findings with their
//! charts, method notes and provenance — written as self-contained HTML (inline SVG, embedded
//! CSS, no script, nothing fetched), Markdown (charts as SVG files beside it), JSON (the DESIGN.md
//! contract with the findings) and CSV of any slice's rows. Every string that comes from data is
//! escaped; CSV cells that a spreadsheet would run as a formula are neutralised; files are written
//! atomically and never over an input.

pub mod findings;
pub mod json;
mod svg;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::analysis::{DriftReport, Method, SliceDef};
use crate::data::Inputs;
use crate::data::timestamps::format_micros;
use crate::format::{group_thousands, pct, score};
use crate::fsutil::{sha256_file, write_atomic};
use crate::replay::study::ReplayStudy;
use crate::session::Investigation;
use crate::session::findings::Finding;

/// A finding as the report shows it.
#[derive(Clone, Debug, Serialize)]
pub struct FindingView {
    pub number: usize,
    pub finding: Finding,
    pub slice: String,
    /// The chart as an SVG document (escaped text inside).
    pub svg: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct InputFile {
    pub role: String,
    pub path: String,
    pub sha256: String,
    pub rows: String,
    pub time_range: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Provenance {
    pub inputs: Vec<InputFile>,
    pub roles: Vec<(String, String, String)>,
    pub settings: String,
    /// Column → method, threshold, bin edges.
    pub columns: Vec<(String, String, String, String)>,
    pub models: Vec<(String, String)>,
    pub version: String,
    pub exported_at: String,
}

/// Everything a report says, before it is written in one format or another.
#[derive(Clone, Debug, Serialize)]
pub struct Document {
    pub title: String,
    pub notes: String,
    pub summary: Vec<String>,
    pub findings: Vec<FindingView>,
    pub methods: Vec<(String, String)>,
    pub provenance: Provenance,
}

fn hash(path: &Path) -> String {
    sha256_file(path).unwrap_or_else(|e| format!("unreadable: {e}"))
}

/// The executive summary: what changed, where, since when, how bad, what the replay says.
fn summary(report: &DriftReport, replay: Option<&ReplayStudy>) -> Vec<String> {
    // The incidents first, then the dataset verdict.
    let mut out: Vec<String> = report
        .incidents(5)
        .iter()
        .map(|i| format!("Found: {}.", i.describe()))
        .collect();
    out.push(report.dataset.describe());
    let mut drifted: Vec<_> = report
        .overall()
        .filter(|f| f.drift.drifted)
        .map(|f| f.drift.column.clone())
        .collect();
    drifted.truncate(5);
    if !drifted.is_empty() {
        out.push(format!("Drifted overall: {}.", drifted.join(", ")));
    }
    if let Some(d) = &report.decomposition {
        for e in d.explain(&report.explained_columns()).into_iter().take(4) {
            out.push(format!("Mix against within: {}.", e.text));
        }
    }
    for o in report.onset_headlines(4) {
        out.push(format!("Since when: {}.", o.describe()));
    }
    for mix in &report.segments {
        for v in mix.values.iter().filter(|v| v.absent_from_baseline) {
            out.push(format!(
                "New segment: {} = {} sends {} of the traffic and never appears in the baseline.",
                mix.column,
                v.value,
                pct(v.current_share)
            ));
        }
    }
    if let Some(w) = &report.windows {
        let mut firsts: Vec<(usize, &str)> = w
            .series
            .iter()
            .filter_map(|s| Some((s.first_drift_window?, s.column.as_str())))
            .collect();
        firsts.sort();
        if let Some((i, _)) = firsts.first()
            && let Some(win) = w.windows.get(*i)
        {
            let cols: Vec<&str> = firsts
                .iter()
                .filter(|(j, _)| j == i)
                .map(|(_, c)| *c)
                .collect();
            out.push(format!(
                "Since: {} first drift in the window starting {}.",
                cols.join(", "),
                win.start
                    .clone()
                    .unwrap_or_else(|| format!("#{}", win.index))
            ));
        }
    }
    let critical = report
        .data_quality
        .iter()
        .filter(|a| a.severity == crate::analysis::quality::Severity::Critical)
        .count();
    let warnings = report
        .data_quality
        .iter()
        .filter(|a| a.severity == crate::analysis::quality::Severity::Warning)
        .count();
    if critical + warnings > 0 {
        out.push(format!(
            "Data quality: {critical} critical and {warnings} warning alerts; the worst: {}.",
            report
                .data_quality
                .iter()
                .max_by_key(|a| a.severity)
                .map(|a| a.message.clone())
                .unwrap_or_default()
        ));
    }
    if let Some(p) = &report.performance
        && let Some(a) = p.alerts.first()
    {
        out.push(format!(
            "Performance: {} alerts; {}.",
            p.alerts.len(),
            a.message
        ));
    }
    if let Some(s) = replay {
        if let Some(c) = &s.skew {
            out.push(format!(
                "Replay: {} of {} rows give a different score than logged ({}){}{}.",
                group_thousands(c.beyond_tolerance_rows),
                group_thousands(c.rows),
                pct(c.beyond_tolerance),
                c.by_group
                    .first()
                    .filter(|g| g.beyond_tolerance > 0.0)
                    .map(|g| format!(", most in {}", g.group))
                    .unwrap_or_default(),
                c.first_window_beyond
                    .as_ref()
                    .map(|w| format!(", from {w}"))
                    .unwrap_or_default()
            ));
        }
        if let Some(c) = &s.shadow {
            out.push(format!(
                "Candidate: labels differ from production in {} of rows; scores move by {} at the median.",
                c.label_disagreement.map_or("–".to_owned(), pct),
                score(Some(c.diff.p50_abs), 3)
            ));
        }
    }
    out
}

/// A report whose log is a profile of it (a profile file, or the log read in batches): the log
/// it was made from stands in the JSON's `inputs.current` and the document's provenance — its
/// name, SHA-256, rows and time range, and `how` it came — with the profile files that held it
/// (path and SHA-256), instead of the empty table of columns the analysis read.
pub fn restate_profiled_log(
    doc: Option<&mut Document>,
    json: Option<&mut serde_json::Value>,
    header: &crate::analysis::profile_file::ProfileHeader,
    how: &str,
    profiles: &[(String, String)],
) {
    let span = header.windows.as_ref().and_then(|w| {
        Some((
            w.timestamp.clone(),
            w.windows.first()?.start.clone()?,
            w.windows.last()?.end.clone()?,
        ))
    });
    if let Some(json) = json {
        json["inputs"]["current"] = serde_json::json!({
            "path": header.log.name,
            "sha256": header.log.sha256,
            "rows": header.log.rows,
            "columns": header.log_columns.len(),
            "format": how,
            "time_range": span.as_ref().map(|(column, start, end)| serde_json::json!({
                "column": column,
                "start": start,
                "end": end,
            })),
            "profiles": profiles.iter().map(|(path, sha)| serde_json::json!({
                "path": path,
                "sha256": sha,
            })).collect::<Vec<_>>(),
            "warnings": [],
        });
    }
    let Some(doc) = doc else { return };
    let log = InputFile {
        role: "log".to_owned(),
        path: header.log.name.clone(),
        sha256: header.log.sha256.clone(),
        rows: group_thousands(header.log.rows),
        time_range: span.map(|(_, start, end)| format!("{start} to {end}")),
    };
    match doc.provenance.inputs.iter_mut().find(|f| f.role == "log") {
        Some(f) => *f = log,
        None => doc.provenance.inputs.push(log),
    }
    doc.summary.push(format!(
        "The log is a profile of {} ({} rows, {how}), not its rows: measured from its cells; \
         replay needs the rows.",
        header.log.name,
        group_thousands(header.log.rows)
    ));
}

/// Builds the document of an investigation: its findings (or, when it has none, the automatic
/// ones), and everything needed to reproduce the numbers.
pub fn document(
    inv: &Investigation,
    inputs: &Inputs,
    report: &DriftReport,
    replay: Option<&ReplayStudy>,
) -> Document {
    let findings: Vec<Finding> = if inv.findings.is_empty() {
        findings::automatic(report, replay.and_then(|s| s.skew.as_ref()))
    } else {
        inv.findings.clone()
    };
    let views = findings
        .into_iter()
        .enumerate()
        .map(|(i, f)| FindingView {
            number: i + 1,
            slice: f.slice.describe(),
            svg: f.chart.as_ref().map(svg::render),
            finding: f,
        })
        .collect();
    let ts = inputs
        .roles
        .with_role(crate::data::Role::Timestamp)
        .first()
        .map(|s| (*s).to_owned());
    let file = |role: &str, t: &crate::data::Table| InputFile {
        role: role.to_owned(),
        path: t.path.display().to_string(),
        sha256: hash(&t.path),
        rows: group_thousands(t.rows()),
        time_range: ts
            .as_deref()
            .and_then(|c| t.time_range(c))
            .map(|(a, b)| format!("{} to {}", format_micros(a), format_micros(b))),
    };
    let mut models = Vec::new();
    for p in [&inv.replay.model, &inv.replay.candidate]
        .into_iter()
        .flatten()
    {
        models.push((p.display().to_string(), hash(p)));
    }
    let settings = &report.params.settings;
    let columns = report
        .overall()
        .map(|f| {
            let (method, threshold) = settings.verdict_rule(&f.drift.column, f.drift.kind);
            (
                f.drift.column.clone(),
                method.as_str().to_owned(),
                score(Some(threshold), 4),
                f.drift
                    .stats
                    .bin_edges
                    .as_ref()
                    .map(|e| {
                        e.iter()
                            .map(|x| score(Some(*x), 6))
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_else(|| "categories".to_owned()),
            )
        })
        .collect();
    Document {
        title: if inv.title.is_empty() {
            format!("Drift report: {}", inputs.current.file_name())
        } else {
            inv.title.clone()
        },
        notes: inv.notes.clone(),
        summary: summary(report, replay),
        findings: views,
        methods: Method::ALL
            .iter()
            .map(|m| (m.as_str().to_owned(), m.definition().to_owned()))
            .chain([
                ("bins".to_owned(), format!("numbers are binned at the baseline's {}-quantiles (duplicates removed, open end bins) unless bins or edges are set per column; categories are compared as they are", settings.bins)),
                ("minimum rows".to_owned(), format!("fewer than {} non-missing rows on a side: statistics without a verdict", settings.min_rows)),
                ("missing values".to_owned(), format!("a change of a column's missing share by {} or more is a data-quality alert", pct(settings.null_rate_change))),
                ("dataset drift".to_owned(), format!("at least {} of the features drift", pct(report.params.dataset_share))),
                ("data-driven threshold".to_owned(), "the baseline cut into chunks of a window's size, each scored against the rest of the baseline; mean + 3 standard deviations (mean - 3 for p-values)".to_owned()),
            ])
            .collect(),
        provenance: Provenance {
            inputs: vec![file("baseline", &inputs.baseline), file("log", &inputs.current)],
            roles: inputs
                .roles
                .columns
                .iter()
                .map(|c| (c.column.clone(), c.role.as_str().to_owned(), c.reason.clone()))
                .collect(),
            settings: serde_json::to_string_pretty(&report.params).unwrap_or_default(),
            columns,
            models,
            version: crate::VERSION.to_owned(),
            exported_at: crate::session::findings::now(),
        },
    }
}

const TEMPLATE: &str = include_str!("report.html");

/// The document as one self-contained HTML file.
pub fn html(doc: &Document) -> Result<String, String> {
    let mut env = minijinja::Environment::new();
    // The template's name ends in .html: minijinja escapes every value unless marked safe.
    env.add_template("report.html", TEMPLATE)
        .map_err(|e| format!("the report template: {e}"))?;
    let t = env
        .get_template("report.html")
        .map_err(|e| format!("the report template: {e}"))?;
    t.render(minijinja::context! { doc => doc })
        .map_err(|e| format!("cannot write the HTML report: {e}"))
}

/// Markdown text that shows as written: characters with a meaning in Markdown or HTML escaped.
pub fn md_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// The document as Markdown; the charts as `(file name, SVG)` to write beside it, in a folder
/// named after the report.
pub fn markdown(doc: &Document, charts_dir: &str) -> (String, Vec<(String, String)>) {
    use std::fmt::Write as _;
    let mut md = String::new();
    let mut charts = Vec::new();
    let _ = writeln!(md, "# {}\n", md_escape(&doc.title));
    if !doc.notes.is_empty() {
        let _ = writeln!(md, "{}\n", md_escape(&doc.notes));
    }
    let _ = writeln!(md, "## Summary\n");
    for s in &doc.summary {
        let _ = writeln!(md, "- {}", md_escape(s));
    }
    let _ = writeln!(md, "\n## Findings\n");
    for f in &doc.findings {
        let x = &f.finding;
        let _ = writeln!(
            md,
            "### {}. {} ({})\n",
            f.number,
            md_escape(&x.title),
            x.severity.as_str()
        );
        let _ = writeln!(
            md,
            "Slice: {}; against: {}{}{}\n",
            md_escape(&f.slice),
            md_escape(&x.against),
            if x.owner.is_empty() {
                String::new()
            } else {
                format!("; owner: {}", md_escape(&x.owner))
            },
            if x.source.is_empty() {
                String::new()
            } else {
                format!("; from the {} panel", md_escape(&x.source))
            }
        );
        if !x.numbers.is_empty() {
            let _ = writeln!(md, "| | |\n|---|---|");
            for (k, v) in &x.numbers {
                let _ = writeln!(md, "| {} | {} |", md_escape(k), md_escape(v));
            }
            md.push('\n');
        }
        if let Some(svg) = &f.svg {
            let name = format!("finding-{}.svg", f.number);
            let _ = writeln!(
                md,
                "![chart of finding {}]({charts_dir}/{name})\n",
                f.number
            );
            charts.push((name, svg.clone()));
        }
        if !x.note.is_empty() {
            let _ = writeln!(md, "> {}\n", md_escape(&x.note));
        }
    }
    let _ = writeln!(md, "## Method\n");
    for (k, v) in &doc.methods {
        let _ = writeln!(md, "- **{}**: {}", md_escape(k), md_escape(v));
    }
    let p = &doc.provenance;
    let _ = writeln!(md, "\n## Provenance\n");
    let _ = writeln!(
        md,
        "| input | path | rows | time range | SHA-256 |\n|---|---|---|---|---|"
    );
    for i in &p.inputs {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            i.role,
            md_escape(&i.path),
            i.rows,
            md_escape(i.time_range.as_deref().unwrap_or("-")),
            i.sha256
        );
    }
    for (path, sha) in &p.models {
        let _ = writeln!(md, "\nModel {}: SHA-256 {sha}", md_escape(path));
    }
    let _ = writeln!(md, "\n| column | role | why |\n|---|---|---|");
    for (c, r, why) in &p.roles {
        let _ = writeln!(md, "| {} | {} | {} |", md_escape(c), r, md_escape(why));
    }
    let _ = writeln!(
        md,
        "\n| column | method | threshold | bin edges |\n|---|---|---|---|"
    );
    for (c, m, t, e) in &p.columns {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} |",
            md_escape(c),
            m,
            t,
            md_escape(e)
        );
    }
    let _ = writeln!(
        md,
        "\nSettings:\n\n```json\n{}\n```\n",
        p.settings.replace("```", "'''")
    );
    let _ = writeln!(md, "driftscope {}, exported {}.", p.version, p.exported_at);
    (md, charts)
}

/// Writes the report in the format its extension names (.html, .md, .json); the Markdown's charts
/// go to `<name>_charts/`. Never over an input file.
pub fn write(
    doc: &Document,
    json: Option<&serde_json::Value>,
    path: &Path,
    inputs: &[&Path],
) -> Result<Vec<PathBuf>, String> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let mut written = vec![path.to_owned()];
    match ext.as_str() {
        "html" | "htm" => {
            write_atomic(path, html(doc)?.as_bytes(), inputs).map_err(|e| e.to_string())?;
        }
        "md" | "markdown" => {
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "report".to_owned());
            let dir_name = format!("{stem}_charts");
            let (text, charts) = markdown(doc, &dir_name);
            if !charts.is_empty() {
                let dir = path.parent().unwrap_or(Path::new(".")).join(&dir_name);
                std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
                for (name, svg) in charts {
                    let p = dir.join(name);
                    write_atomic(&p, svg.as_bytes(), inputs).map_err(|e| e.to_string())?;
                    written.push(p);
                }
            }
            write_atomic(path, text.as_bytes(), inputs).map_err(|e| e.to_string())?;
        }
        "json" => {
            let mut value = json.cloned().unwrap_or_else(|| serde_json::json!({}));
            if let Some(obj) = value.as_object_mut() {
                obj.insert(
                    "findings".to_owned(),
                    serde_json::to_value(
                        doc.findings.iter().map(|f| &f.finding).collect::<Vec<_>>(),
                    )
                    .unwrap_or_default(),
                );
                obj.insert(
                    "summary".to_owned(),
                    serde_json::to_value(&doc.summary).unwrap_or_default(),
                );
            }
            let bytes = serde_json::to_vec_pretty(&value).map_err(|e| e.to_string())?;
            write_atomic(path, &bytes, inputs).map_err(|e| e.to_string())?;
        }
        _ => {
            return Err(format!(
                "{}: a report is .html, .md or .json",
                path.display()
            ));
        }
    }
    Ok(written)
}

/// A CSV cell a spreadsheet would not run: text starting with `=`, `+`, `-`, `@`, a tab or a
/// carriage return gets a leading `'`.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// The rows of a slice as CSV: every column, text cells neutralised for spreadsheets.
pub fn slice_csv(inputs: &Inputs, slice: &SliceDef) -> Result<Vec<u8>, String> {
    use polars::prelude::*;
    let table = match slice.side {
        crate::analysis::Side::Baseline => &inputs.baseline,
        crate::analysis::Side::Log => &inputs.current,
    };
    let rows = crate::analysis::slice::slice_rows(inputs, slice)?;
    let mut frame = match rows {
        Some(rows) => {
            let idx: Vec<IdxSize> = rows.iter().map(|&r| r as IdxSize).collect();
            table
                .frame
                .take(&IdxCa::from_vec("idx".into(), idx))
                .map_err(|e| e.to_string())?
        }
        None => table.frame.clone(),
    };
    let names: Vec<PlSmallStr> = frame
        .columns()
        .iter()
        .filter(|c| c.dtype() == &DataType::String)
        .map(|c| c.name().clone())
        .collect();
    for name in names {
        let col = frame
            .column(&name)
            .map_err(|e| e.to_string())?
            .as_materialized_series()
            .clone();
        let ca = col.str().map_err(|e| e.to_string())?;
        let fixed: StringChunked = ca
            .iter()
            .map(|v| v.map(|s| neutralise(s).into_owned()))
            .collect();
        frame
            .with_column(fixed.with_name(name.clone()).into_column())
            .map_err(|e| e.to_string())?;
    }
    // Nested values cannot be cells: they go as their text.
    let nested: Vec<PlSmallStr> = frame
        .columns()
        .iter()
        .filter(|c| c.dtype().is_nested())
        .map(|c| c.name().clone())
        .collect();
    if !nested.is_empty() {
        frame = frame.drop_many(nested);
    }
    // Header cells too: a column may be named like a formula.
    let renames: Vec<(PlSmallStr, String)> = frame
        .get_column_names()
        .into_iter()
        .filter(|n| neutralise(n.as_str()) != n.as_str())
        .map(|n| (n.clone(), neutralise(n.as_str()).into_owned()))
        .collect();
    for (old, new) in renames {
        frame
            .rename(old.as_str(), new.as_str().into())
            .map_err(|e| e.to_string())?;
    }
    let mut out = Vec::new();
    CsvWriter::new(&mut out)
        .include_header(true)
        .finish(&mut frame)
        .map_err(|e| e.to_string())?;
    Ok(out)
}
