//! `driftscope replay`: logged inputs run again through a model (and a candidate); writes the rows
//! with the replayed answers, and a JSON summary of logged-vs-replayed skew and of the candidate's
//! differences.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use polars::prelude::{Column, CsvWriter, DataFrame, ParquetWriter, SerWriter as _};
use serde_json::json;

use super::ReplayArgs;
use crate::data::{Role, load_table, roles};
use crate::fsutil::{sha256_file, write_atomic};
use crate::jobs::JobState;
use crate::replay::analysis::Comparison;
use crate::replay::study::{ReplaySettings, study};
use crate::replay::{MappingSpec, Model, Outputs};

fn parse_pairs(items: &[String], flag: &str) -> Result<Vec<(String, String)>> {
    items
        .iter()
        .map(|s| {
            s.rsplit_once('=')
                .filter(|(a, b)| !a.is_empty() && !b.is_empty())
                .map(|(a, b)| (a.to_owned(), b.to_owned()))
                .ok_or_else(|| anyhow!("{flag} '{s}' is not LEFT=RIGHT"))
        })
        .collect()
}

/// The answers as columns: `<prefix>label`, `<prefix>score`, `<prefix>proba_<class>`.
fn output_columns(out: &Outputs, prefix: &str) -> Vec<Column> {
    let mut cols = Vec::new();
    if !out.labels.is_empty() {
        cols.push(Column::new(
            format!("{prefix}label").into(),
            out.labels.clone(),
        ));
    }
    cols.push(Column::new(
        format!("{prefix}score").into(),
        out.scores.clone(),
    ));
    for (k, class) in out.classes.iter().enumerate() {
        let values: Vec<f32> = (0..out.rows())
            .map(|r| out.proba(r, k).unwrap_or(f32::NAN))
            .collect();
        cols.push(Column::new(format!("{prefix}proba_{class}").into(), values));
    }
    cols
}

fn write_rows(frame: &mut DataFrame, path: &Path, input: &Path) -> Result<()> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let mut bytes = Vec::new();
    match ext.as_str() {
        "parquet" | "pq" => {
            ParquetWriter::new(&mut bytes)
                .finish(frame)
                .context("cannot write Parquet")?;
        }
        "csv" => {
            // Nested columns cannot go to CSV: those are written as their text.
            CsvWriter::new(&mut bytes)
                .include_header(true)
                .finish(frame)
                .context("cannot write CSV")?;
        }
        _ => bail!("{}: --output must end in .csv or .parquet", path.display()),
    }
    write_atomic(path, &bytes, &[input])?;
    Ok(())
}

fn comparison_text(out: &mut String, c: &Comparison) {
    let _ = writeln!(
        out,
        "{}: {} of {} rows differ by more than {} ({:.2} %){}",
        c.what,
        c.beyond_tolerance_rows,
        c.rows,
        c.tolerance,
        c.beyond_tolerance * 100.0,
        c.label_disagreement
            .map(|d| format!("; labels differ in {:.2} %", d * 100.0))
            .unwrap_or_default()
    );
    let _ = writeln!(
        out,
        "  |difference|: median {:.3e}, p95 {:.3e}, p99 {:.3e}, max {:.3e}",
        c.diff.p50_abs, c.diff.p95_abs, c.diff.p99_abs, c.diff.max_abs
    );
    for g in c
        .by_group
        .iter()
        .filter(|g| g.beyond_tolerance > 0.0)
        .take(6)
    {
        let _ = writeln!(
            out,
            "  {}: {:.1} % of {} rows beyond the tolerance",
            g.group,
            g.beyond_tolerance * 100.0,
            g.rows
        );
    }
    if let Some(w) = &c.first_window_beyond {
        let _ = writeln!(out, "  first window with differences: {w}");
    }
}

pub fn run(args: &ReplayArgs) -> Result<ExitCode> {
    eprintln!("reading {}", args.input.display());
    let table = load_table(&args.input)?;
    let frame = &table.frame;
    let mut roleset = roles::infer_roles(&roles::profile_frame(frame), &[]);
    let mut overrides = crate::data::RoleOverrides::default();
    for s in &args.segments {
        overrides.set(s.clone(), Role::Segment);
    }
    roles::apply_overrides(&mut roleset, &overrides, "by --segment")?;
    let mut spec = MappingSpec {
        nulls: args.nulls,
        features: args.features.clone(),
        ..MappingSpec::default()
    };
    for (column, input) in parse_pairs(&args.map, "--map")? {
        spec.map.insert(input, column);
    }
    for (column, value) in parse_pairs(&args.fill, "--fill")? {
        spec.fill.insert(column, value);
    }
    let settings = ReplaySettings {
        model: Some(args.model.clone()),
        candidate: args.candidate.clone(),
        mapping: spec,
        tolerance: args.tolerance,
        batch: args.batch,
        runtime: args.onnxruntime.clone(),
    };
    let rows: Vec<usize> = (0..table.rows()).collect();
    eprintln!("replaying {} rows", rows.len());
    let s = study(
        frame,
        &roleset,
        rows,
        &settings,
        86_400_000_000,
        &JobState::default(),
    )
    .map_err(|e| anyhow!(e))?
    .ok_or_else(|| anyhow!("cancelled"))?;
    let mut out_frame = frame.clone();
    for col in output_columns(&s.production, "replay_").into_iter().chain(
        s.candidate_outputs
            .iter()
            .flat_map(|c| output_columns(c, "candidate_")),
    ) {
        out_frame
            .with_column(col)
            .context("cannot add the replayed columns")?;
    }
    write_rows(&mut out_frame, &args.output, &args.input)?;
    eprintln!("wrote {}", args.output.display());

    let mut text = String::new();
    let _ = writeln!(
        text,
        "replayed {} rows through {} ({})",
        s.rows.len(),
        args.model.display(),
        s.mapping
            .iter()
            .map(|(i, c)| if c.len() == 1 && c[0] == *i {
                i.clone()
            } else {
                format!("{i} <- {}", c.join(", "))
            })
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        text,
        "the model answered in {:.2} s ({:.0} rows/s; {:.2} s with preparing the inputs)",
        s.production.model_seconds,
        s.rows.len() as f64 / s.production.model_seconds.max(1e-9),
        s.seconds,
    );
    for c in s.skew.iter().chain(&s.shadow) {
        comparison_text(&mut text, c);
    }
    print!("{text}");

    if let Some(path) = &args.json {
        let model_json = |m: &crate::replay::ModelInfo| {
            json!({
                "info": m,
                "sha256": sha256_file(&m.path).ok(),
            })
        };
        let summary = json!({
            "driftscope_version": crate::VERSION,
            "input": { "path": args.input, "rows": s.rows.len(), "sha256": sha256_file(&args.input).ok() },
            "model": model_json(&s.model),
            "candidate": s.candidate.as_ref().map(model_json),
            "mapping": s.mapping.iter().map(|(i, c)| json!({"input": i, "columns": c})).collect::<Vec<_>>(),
            "nulls": settings.mapping.nulls,
            "fill": settings.mapping.fill,
            "tolerance": settings.tolerance,
            "classes": s.production.classes,
            "skew": s.skew,
            "shadow": s.shadow,
            "performance": s.performance.as_ref().map(|(p, c)| json!({"production": p, "candidate": c})),
        });
        let bytes = serde_json::to_vec_pretty(&summary)?;
        write_atomic(path, &bytes, &[&args.input])?;
        eprintln!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// `driftscope inspect MODEL.onnx`: inputs, outputs, producer, opset, metadata.
pub fn inspect_models(paths: &[std::path::PathBuf], runtime: Option<&Path>) -> Result<ExitCode> {
    let mut out = String::new();
    for path in paths {
        let m = Model::open(path, runtime).map_err(|e| anyhow!(e))?;
        let i = &m.info;
        let _ = writeln!(out, "{}", path.display());
        let _ = writeln!(
            out,
            "  producer {}, graph {}, opset {}{}",
            i.producer.as_deref().unwrap_or("unknown"),
            i.graph.as_deref().unwrap_or("unnamed"),
            i.opset.map_or("?".to_owned(), |o| o.to_string()),
            i.ml_opset
                .map(|o| format!(", ai.onnx.ml opset {o}"))
                .unwrap_or_default()
        );
        let _ = writeln!(out, "  inputs:");
        for io in &i.inputs {
            let _ = writeln!(out, "    {:<28} {}", io.name, io.describe());
        }
        let _ = writeln!(out, "  outputs:");
        for io in &i.outputs {
            let _ = writeln!(out, "    {:<28} {}", io.name, io.describe());
        }
        if !i.metadata.is_empty() {
            let _ = writeln!(out, "  metadata:");
            for (k, v) in &i.metadata {
                let _ = writeln!(out, "    {k} = {v}");
            }
        }
        let _ = writeln!(out, "  ONNX Runtime: {}", i.runtime.display());
    }
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}
