//! `driftscope profile`: the log's cells profiled on the grid its baseline fixes, written as one
//! Parquet file (`docs/profile.md`).

use std::process::ExitCode;

use anyhow::{Result, bail};

use super::ProfileArgs;
use crate::analysis::profile_file::profile_in_batches;
use crate::data::RoleOverrides;
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
    let input_file = super::report::input_file;
    let (baseline, log) = rayon::join(|| input_file(&args.baseline), || input_file(&args.input));
    eprintln!(
        "profiling {} against {}, {} rows at a time",
        args.input.display(),
        args.baseline.display(),
        args.batch_rows
    );
    let batched = profile_in_batches(
        (&args.baseline, &args.input),
        (baseline?, log?),
        &args.roles.layers(RoleOverrides::default()),
        &params,
        (args.batch_rows, args.exact_values),
        &|message| {
            eprintln!("  {message}");
            true
        },
    )
    .map_err(anyhow::Error::msg)?;
    let profile = batched.profile;
    let (timed_cells, tuples, stored) = (
        profile.timed.index.cells(),
        profile.untimed.index.tuples.len(),
        profile.stored_values(),
    );
    let header = profile
        .write_into(&args.output, &[&args.baseline, &args.input])
        .map_err(anyhow::Error::msg)?;
    let h = &header;
    println!(
        "{}: {} log rows in {} cells ({} segment tuples{}), {} columns",
        args.output.display(),
        h.log.rows,
        timed_cells,
        tuples,
        h.windows
            .as_ref()
            .map(|w| format!(" × {} windows", w.windows.len()))
            .unwrap_or_default(),
        h.columns.len()
    );
    if batched.batches > 1 {
        println!(
            "  read in {} batches of {} rows",
            batched.batches, batched.batch_rows
        );
    }
    println!(
        "  {} log values stored for exact overall and per-segment answers",
        stored
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
