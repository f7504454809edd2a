//! Reports for the postmortem: the sample investigation's Markdown and JSON reports as snapshots,
//! hostile names and values escaped in HTML and Markdown and neutralised in CSV, and an HTML
//! report that needs nothing from the network.

// Tests panic on purpose when something is off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use driftscope::analysis::{DriftParams, Predicate, SliceDef, run_drift_report};
use driftscope::data::{OverrideLayers, load_inputs};
use driftscope::export;
use driftscope::jobs::JobState;
use driftscope::session::Investigation;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Volatile parts out: the checkout's location, export times, the version.
fn redact(text: &str) -> String {
    let mut out = text.replace(&repo().display().to_string(), "<repo>");
    for key in ["exported ", "\"pinned\": \"", "\"exported_at\": \""] {
        let mut from = 0;
        while let Some(at) = out[from..].find(key) {
            let start = from + at + key.len();
            // A timestamp: 2026-11-24 19:37:00 UTC
            let end = start + "2026-11-24 19:37:00 UTC".len();
            if out.get(start..end).is_some_and(|s| s.ends_with("UTC")) {
                out.replace_range(start..end, "<time>");
            }
            from = start;
        }
    }
    out.replace(driftscope::VERSION, "<version>")
}

/// Floats to 9 significant digits, so the snapshot pins the numbers and not the last bits a
/// different libm or summation order may move.
fn round_floats(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(n) if n.is_f64() => {
            if let Some(x) = n.as_f64() {
                let rounded: f64 = format!("{x:.8e}").parse().unwrap();
                if let Some(r) = serde_json::Number::from_f64(rounded) {
                    *n = r;
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(round_floats),
        serde_json::Value::Object(map) => map.values_mut().for_each(round_floats),
        _ => {}
    }
}

fn sample_document() -> (Investigation, export::Document, serde_json::Value) {
    let mut inv = Investigation::load(&repo().join("sample-data/sample.driftscope.ron")).unwrap();
    inv.replay.runtime = Some(common::runtime().to_owned());
    let inputs = load_inputs(
        inv.baseline.as_ref().unwrap(),
        inv.current.as_ref().unwrap(),
        &OverrideLayers::default(),
    )
    .unwrap();
    let report = run_drift_report(&inputs, &inv.drift, &JobState::default()).unwrap();
    let study = driftscope::replay::study::study(
        &inputs.current.frame,
        &inputs.roles,
        (0..inputs.current.rows()).collect(),
        &inv.replay,
        86_400_000_000,
        &JobState::default(),
    )
    .unwrap()
    .unwrap();
    let doc = export::document(&inv, &inputs, &report, Some(&study));
    let json = driftscope::export::json::build_report_json(&inputs, Some(&report)).unwrap();
    (inv, doc, json)
}

#[test]
fn the_sample_reports_read_as_recorded() {
    let (_, doc, json) = sample_document();
    // The executive summary says what changed, where, since when and what the replay found.
    let summary = doc.summary.join("\n");
    assert!(summary.contains("region = ap-southeast"), "{summary}");
    assert!(summary.contains("1,565 of 10,500 rows give a different score than logged"));
    let (md, charts) = export::markdown(&doc, "report_charts");
    assert!(!charts.is_empty());
    insta::assert_snapshot!("sample_report_md", redact(&md));
    // The JSON: the contract's sections (per-column statistics are checked by the report tests)
    // with the findings and the summary.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.json");
    export::write(&doc, Some(&json), &out, &[]).unwrap();
    let mut written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let obj = written.as_object_mut().unwrap();
    // Every section of the contract, whole: a change that moves any number shows in review.
    for section in [
        "features",
        "windows",
        "data_quality",
        "performance",
        "latency",
        "segments",
    ] {
        assert!(obj.contains_key(section), "{section}");
    }
    obj.remove("generated_at");
    round_floats(&mut written);
    let text = serde_json::to_string_pretty(&written).unwrap();
    insta::assert_snapshot!("sample_report_json", redact(&text));
}

#[test]
fn the_html_report_is_self_contained_and_small() {
    let (_, doc, _) = sample_document();
    let html = export::html(&doc).unwrap();
    // No script, no stylesheet or image fetched, no link that leaves the page.
    let lower = html.to_lowercase();
    for forbidden in [
        "<script", "<link", "<iframe", "<img", "src=", "href=", "@import", "url(",
    ] {
        assert!(!lower.contains(forbidden), "{forbidden}");
    }
    assert!(lower.contains("<svg"), "charts are inline SVG");
    assert!(lower.contains("<style>"), "the CSS is embedded");
    assert!(html.len() < 400_000, "{} bytes", html.len());
    // Provenance: both inputs with their SHA-256, the models too.
    let inv = Investigation::load(&repo().join("sample-data/sample.driftscope.ron")).unwrap();
    let sha = driftscope::fsutil::sha256_file(inv.baseline.as_ref().unwrap()).unwrap();
    assert!(html.contains(&sha));
    let model_sha = driftscope::fsutil::sha256_file(inv.replay.model.as_ref().unwrap()).unwrap();
    assert!(html.contains(&model_sha));
}

#[test]
fn hostile_names_and_values_are_escaped_and_neutralised() {
    let dir = tempfile::tempdir().unwrap();
    let column = "<script>alert(1)</script>";
    let attr = "\"><img src=x onerror=alert(1)>";
    let mut csv = format!("\"{}\",amount,\"{}\"\n", column, attr.replace('"', "\"\""));
    for i in 0..300 {
        let value = if i % 2 == 0 {
            "<script>steal()</script>"
        } else {
            "plain"
        };
        let cell = if i % 3 == 0 {
            "=HYPERLINK(\"http://evil.example\",\"x\")"
        } else {
            "ok"
        };
        csv.push_str(&format!(
            "{value},{},\"{}\"\n",
            i as f64 * if i > 150 { 3.0 } else { 1.0 },
            cell.replace('"', "\"\"")
        ));
    }
    let baseline = dir.path().join("baseline.csv");
    let log = dir.path().join("log.csv");
    std::fs::write(&baseline, &csv).unwrap();
    std::fs::write(&log, csv.replace(",plain,", ",other,")).unwrap();
    let inputs = load_inputs(&baseline, &log, &OverrideLayers::default()).unwrap();
    let report = run_drift_report(&inputs, &DriftParams::default(), &JobState::default()).unwrap();
    let mut inv = Investigation {
        notes: format!("note with {column}"),
        findings: export::findings::automatic(&report, None),
        ..Investigation::default()
    };
    // A pinned finding about the hostile column, with the hostile value in its slice.
    let feature = report
        .overall()
        .find(|f| f.drift.column == column)
        .expect("the hostile column is analysed");
    let slice = SliceDef::default().with(Predicate::OneOf {
        column: column.into(),
        values: vec!["<script>steal()</script>".into()],
    });
    let mut pinned =
        export::findings::feature_finding(&feature.drift, &slice, &SliceDef::default());
    pinned.note = attr.to_owned();
    pinned.owner = column.to_owned();
    inv.findings.push(pinned);
    let doc = export::document(&inv, &inputs, &report, None);

    let html = export::html(&doc).unwrap();
    for raw in [column, attr, "<script>steal()</script>", "<img"] {
        assert!(!html.contains(raw), "{raw} is in the HTML as is");
    }
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    let (md, charts) = export::markdown(&doc, "charts");
    for raw in [column, attr, "<script>steal()</script>", "<img"] {
        assert!(!md.contains(raw), "{raw} is in the Markdown as is");
    }
    for (_, svg) in charts {
        assert!(!svg.contains("<script"), "a chart carries a script");
    }

    // CSV: formulas neutralised in cells and in the header, other text kept.
    let bytes = export::slice_csv(&inputs, &SliceDef::default()).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.contains("'=HYPERLINK("), "{}", &text[..200]);
    assert!(
        !text
            .lines()
            .any(|l| l.split(',').any(|c| c.trim_matches('"').starts_with('=')))
    );
    assert!(
        text.contains("<script>steal()</script>"),
        "CSV keeps text as it is"
    );
    assert_eq!(export::neutralise("-2+3"), "'-2+3");
    assert_eq!(export::neutralise("@SUM(A1)"), "'@SUM(A1)");
    assert_eq!(export::neutralise("+1"), "'+1");
    assert_eq!(export::neutralise("plain"), "plain");
    // A report's kind comes from its extension: a .csv path is refused as such, and the file
    // there is left as it was.
    let before = std::fs::read(&log).unwrap();
    let err = export::write(&doc, None, &log, &[&baseline]).unwrap_err();
    assert!(err.contains("a report is .html, .md or .json"), "{err}");
    assert!(err.contains(&log.display().to_string()), "{err}");
    assert_eq!(std::fs::read(&log).unwrap(), before);
    // An input is never overwritten by a report, whatever its extension.
    let html_path = dir.path().join("r.html");
    std::fs::copy(&log, &html_path).unwrap();
    let before = std::fs::read(&html_path).unwrap();
    let err = export::write(&doc, None, &html_path, &[&html_path]).unwrap_err();
    assert!(err.contains("refusing to overwrite an input file"), "{err}");
    assert_eq!(std::fs::read(&html_path).unwrap(), before);
    let json_path = dir.path().join("r.json");
    std::fs::copy(&log, &json_path).unwrap();
    let err = export::write(&doc, None, &json_path, &[&baseline, &json_path]).unwrap_err();
    assert!(err.contains("refusing to overwrite an input file"), "{err}");
    assert_eq!(
        std::fs::read(&json_path).unwrap(),
        std::fs::read(&log).unwrap()
    );
}
