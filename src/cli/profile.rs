//! `driftscope profile`: the log's cells profiled on the grid its baseline fixes, written as one
//! Parquet file (`docs/profile.md`).

use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use super::ProfileArgs;
use crate::analysis::Workspace;
use crate::analysis::profile_file::{InputFile, LogProfile};
use crate::data::{RoleOverrides, load_inputs};
use crate::fsutil::same_file;

pub fn run(args: &ProfileArgs) -> Result<ExitCode> {
    if [&args.baseline, &args.input]
        .iter()
        .any(|input| same_file(&args.output, input))
    {
        bail!(
            "{}: refusing to overwrite an input file with the profile; choose another output path",
            args.output.display()
        );
    }
    let params = args.drift.params(Default::default())?;
    eprintln!(
        "loading {} and {}",
        args.baseline.display(),
        args.input.display()
    );
    let inputs = load_inputs(
        &args.baseline,
        &args.input,
        &args.roles.layers(RoleOverrides::default()),
    )?;
    let file = |path: &std::path::Path, rows: usize| -> Result<InputFile> {
        Ok(InputFile {
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            sha256: super::report::hash(path)?,
            rows,
        })
    };
    let (baseline, log) = rayon::join(
        || file(&args.baseline, inputs.baseline.rows()),
        || file(&args.input, inputs.current.rows()),
    );
    eprintln!("profiling");
    let ws = Workspace::new(&inputs, &params, &crate::jobs::JobState::default());
    let profile = LogProfile::of(&ws, baseline?, log?, &inputs, &params, args.exact_values)
        .context("the log could not be cut into cells")?;
    profile
        .write(&args.output, &[&args.baseline, &args.input])
        .map_err(anyhow::Error::msg)?;
    let h = &profile.header;
    let cells = |l: &crate::analysis::profile_file::ProfiledLevel| l.index.cells();
    println!(
        "{}: {} log rows in {} cells ({} segment tuples{}), {} columns",
        args.output.display(),
        h.log.rows,
        cells(&profile.timed),
        profile.untimed.index.tuples.len(),
        h.windows
            .as_ref()
            .map(|w| format!(" × {} windows", w.windows.len()))
            .unwrap_or_default(),
        h.columns.len()
    );
    println!(
        "  {} log values stored for exact overall and per-segment answers",
        profile.stored_values()
    );
    for c in &h.columns {
        if let Some(why) = &c.unprofiled {
            println!("  `{}` left out: {why}", c.name);
        }
        let e = &c.exact_values;
        if e.stored < e.needed {
            println!(
                "  `{}`: {} of the {} values exact answers need stored (--exact-values {}): \
                 {} comparison(s) will give intervals",
                c.name, e.stored, e.needed, args.exact_values, e.comparisons_left_out
            );
        }
    }
    if !h.folded.is_empty() {
        println!(
            "  cells not cut by {} (too many segment combinations)",
            h.folded.join(", ")
        );
    }
    if let Some(e) = &h.window_error {
        println!("  no time windows: {e}");
    }
    Ok(ExitCode::SUCCESS)
}
