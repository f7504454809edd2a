//! `driftscope report`: load a baseline and a log, resolve roles, and write the JSON contract of
//! DESIGN.md (inputs with SHA-256, roles, schema) plus a readable summary on stdout.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use super::ReportArgs;
use super::inspect::{describe_diff, describe_table};
use crate::analysis::{DriftReport, run_drift_report};
use crate::data::{Inputs, RoleOverrides, Table, load_inputs};
use crate::export::json::{hash, hash_inputs, report_json};
use crate::fsutil::write_atomic;
use crate::session::Investigation;

pub fn run(args: &ReportArgs) -> Result<ExitCode> {
    let investigation = args
        .investigation
        .as_deref()
        .map(Investigation::load)
        .transpose()?;
    let file_roles = investigation
        .as_ref()
        .map(|i| i.roles.clone())
        .unwrap_or_else(RoleOverrides::default);
    let pick = |given: &Option<PathBuf>, from_file: Option<&PathBuf>, what: &str| {
        given
            .clone()
            .or_else(|| from_file.cloned())
            .with_context(|| format!("no {what} given: pass --{what} FILE"))
    };
    let baseline = pick(
        &args.baseline,
        investigation.as_ref().and_then(|i| i.baseline.as_ref()),
        "baseline",
    )?;
    if !args.current_profile.is_empty() {
        return from_profiles(args, &baseline, investigation);
    }
    let current = pick(
        &args.current,
        investigation.as_ref().and_then(|i| i.current.as_ref()),
        "current",
    )?;
    for out in [&args.json, &args.html, &args.md].into_iter().flatten() {
        if [&baseline, &current]
            .iter()
            .any(|input| crate::fsutil::same_file(out, input))
        {
            bail!(
                "{}: refusing to overwrite an input file with the report; choose another output path",
                out.display()
            );
        }
    }

    let params = args.drift.params(
        investigation
            .as_ref()
            .map(|i| i.drift.clone())
            .unwrap_or_default(),
    )?;
    // A log whose report from rows would not fit in memory is read in batches unless something
    // needs its rows whole (replay, the Evidently preset), which is then said.
    let batch_rows = args.batch_rows.or_else(|| {
        let replays = investigation
            .as_ref()
            .is_some_and(|i| i.replay.model.is_some());
        batches_if_too_large(args, (&baseline, &current), &params, replays)
    });
    if let Some(batch_rows) = batch_rows {
        return from_batches(
            args,
            (&baseline, &current),
            investigation,
            (&params, &args.roles.layers(file_roles)),
            batch_rows,
        );
    }
    eprintln!("loading {} and {}", baseline.display(), current.display());
    let loading = std::time::Instant::now();
    let inputs = load_inputs(&baseline, &current, &args.roles.layers(file_roles))?;
    let loaded = loading.elapsed();
    eprintln!("measuring drift");
    let hashing = hash_inputs(&inputs);
    let progress = Progress::start();
    let analysis = run_drift_report(&inputs, &params, &progress.state);
    if args.timings {
        eprintln!("timings:\n  loading: {:.3} s", loaded.as_secs_f64());
        for (stage, took) in progress.state.stage_times() {
            eprintln!("  {stage}: {:.3} s", took.as_secs_f64());
        }
    }
    progress.stop();
    let analysis = analysis.context("the analysis was cancelled")?;
    let hashes = hashing
        .join()
        .map_err(|_| anyhow::anyhow!("hashing the inputs stopped unexpectedly"))?;
    let report = report_json(&inputs, Some(&analysis), hashes)?;

    let mut summary = String::new();
    describe_table(
        &mut summary,
        &inputs.baseline,
        &only_columns_of(&inputs, &inputs.baseline),
    );
    summary.push('\n');
    describe_table(
        &mut summary,
        &inputs.current,
        &only_columns_of(&inputs, &inputs.current),
    );
    summary.push_str("\nschema: baseline vs log\n");
    describe_diff(&mut summary, &inputs.schema);
    summary.push('\n');
    super::summary::describe_report(&mut summary, &analysis);
    print!("{summary}");

    let mut inv = investigation.unwrap_or_default();
    inv.baseline = Some(baseline.clone());
    inv.current = Some(current.clone());
    if let Some(m) = &args.model {
        inv.replay.model = Some(m.clone());
    }
    if let Some(c) = &args.candidate {
        inv.replay.candidate = Some(c.clone());
    }
    let mut replay_note = None;
    let replayed = match &inv.replay.model {
        Some(model) => {
            eprintln!("replaying the log through {}", model.display());
            let rows: Vec<usize> = (0..inputs.current.rows()).collect();
            let window = match &params.window {
                Some(crate::analysis::windows::WindowSpec::Period { seconds, .. }) => {
                    seconds * 1_000_000
                }
                _ => 86_400_000_000,
            };
            match crate::replay::study::study(
                &inputs.current.frame,
                &inputs.roles,
                rows,
                &inv.replay,
                window,
                &crate::jobs::JobState::default(),
            ) {
                Ok(study) => study,
                // Asked for on the command line: an error. Named in the investigation file: the
                // drift report still comes, with the reason the replay is missing.
                Err(e) if args.model.is_some() => return Err(anyhow::anyhow!(e)),
                Err(e) => {
                    eprintln!("driftscope: warning: replay not run: {e}");
                    replay_note = Some(format!("Replay not run: {e}"));
                    None
                }
            }
        }
        None => None,
    };
    let document = || {
        let mut doc = crate::export::document(&inv, &inputs, &analysis, replayed.as_ref());
        doc.summary.extend(replay_note.clone());
        doc
    };
    write_outputs(args, document, &report, &analysis, &[&baseline, &current])
}

/// Writes the report's files (when asked for: the document is made only then), never over an
/// input, and gives the exit code `--fail-on` asks for.
fn write_outputs(
    args: &ReportArgs,
    document: impl FnOnce() -> crate::export::Document,
    report: &Value,
    analysis: &DriftReport,
    inputs: &[&Path],
) -> Result<ExitCode> {
    if args.json.is_some() || args.html.is_some() || args.md.is_some() {
        let doc = document();
        for out in [&args.json, &args.html, &args.md].into_iter().flatten() {
            let written = crate::export::write(&doc, Some(report), out, inputs)
                .map_err(|e| anyhow::anyhow!(e))?;
            for w in written {
                eprintln!("wrote {}", w.display());
            }
        }
    }
    let tripped = super::summary::tripped(analysis, &args.drift.fail_on);
    if !tripped.is_empty() {
        eprintln!("driftscope: --fail-on tripped: {}", tripped.join(", "));
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// `report --current-profile`: the report from profiles of the log (merged when several),
/// against the baseline's rows.
/// Where a report's log side came from when it is a profile.
enum LogSide {
    /// Profile files, merged.
    Files(Vec<PathBuf>),
    /// The log itself, profiled here in batches.
    Batched {
        path: PathBuf,
        batches: usize,
        batch_rows: usize,
    },
}

fn from_profiles(
    args: &ReportArgs,
    baseline: &Path,
    investigation: Option<Investigation>,
) -> Result<ExitCode> {
    use crate::analysis::profile_file::LogProfile;
    let profiles = &args.current_profile;
    if !args.roles.roles.is_empty() || !args.roles.segments.is_empty() {
        bail!(
            "--role and --segment shape a profile's cells: give them to `driftscope profile`, \
             not to a report from profiles"
        );
    }
    refuse_without_rows(args, "use --current LOG, not a profile")?;
    let inputs_of_report: Vec<&Path> = std::iter::once(baseline)
        .chain(profiles.iter().map(PathBuf::as_path))
        .collect();
    refuse_overwrite(args, &inputs_of_report)?;
    eprintln!("reading {} profile(s)", profiles.len());
    let parts = profiles
        .iter()
        .map(|p| LogProfile::read(p).map_err(anyhow::Error::msg))
        .collect::<Result<Vec<_>>>()?;
    let profile = LogProfile::merge(parts).map_err(anyhow::Error::msg)?;
    // The profile's settings, then the command line's on top (the bins must still be edges).
    let params = args.drift.params(profile.header.params.clone())?;
    report_from_profile(
        args,
        (baseline, investigation),
        profile,
        &params,
        LogSide::Files(profiles.clone()),
    )
}

/// What needs the log's rows and so a report from a profile refuses: replay and the Evidently
/// preset (checked on the settings in [`report_from_profile`]).
fn refuse_without_rows(args: &ReportArgs, instead: &str) -> Result<()> {
    if args.model.is_some() || args.candidate.is_some() {
        bail!("replaying through a model needs the log's rows: {instead}");
    }
    Ok(())
}

/// No output over one of the report's inputs.
fn refuse_overwrite(args: &ReportArgs, inputs: &[&Path]) -> Result<()> {
    for out in [&args.json, &args.html, &args.md].into_iter().flatten() {
        if inputs
            .iter()
            .any(|input| crate::fsutil::same_file(out, input))
        {
            bail!(
                "{}: refusing to overwrite an input file with the report; choose another output path",
                out.display()
            );
        }
    }
    Ok(())
}

/// The batch size when a report from the log's rows would not fit in the memory this process may
/// use (`data::memory`), said on stderr; `None` when it fits or cannot be told. With a model or
/// the Evidently preset the rows are needed whole: a warning instead.
fn batches_if_too_large(
    args: &ReportArgs,
    (baseline, current): (&Path, &Path),
    params: &crate::analysis::report::DriftParams,
    replays: bool,
) -> Option<usize> {
    use crate::data::memory;
    let (log_bytes, rows) = memory::estimated_size(current)?;
    let (base_bytes, _) = memory::estimated_size(baseline)?;
    let too = memory::batches_needed(log_bytes, rows, base_bytes, memory::available_bytes()?)?;
    let whole = replays
        || args.model.is_some()
        || args.candidate.is_some()
        || params.settings.preset == crate::analysis::Preset::Evidently;
    if whole {
        eprintln!(
            "warning: {}: {}; replay and the Evidently preset need the rows whole, so it is \
             loaded whole and may not fit",
            current.display(),
            too.describe()
        );
        return None;
    }
    eprintln!(
        "{}: {}: reading it in batches of {} rows (--batch-rows sets the size)",
        current.display(),
        too.describe(),
        too.batch_rows
    );
    Some(too.batch_rows)
}

/// `report --current LOG --batch-rows N`: the log profiled batch by batch (memory of one batch),
/// then the report from that profile.
fn from_batches(
    args: &ReportArgs,
    (baseline, current): (&Path, &Path),
    investigation: Option<Investigation>,
    (params, roles): (
        &crate::analysis::report::DriftParams,
        &crate::data::OverrideLayers,
    ),
    batch_rows: usize,
) -> Result<ExitCode> {
    use crate::analysis::profile_file::{DEFAULT_VALUE_BUDGET, profile_in_batches};
    refuse_without_rows(args, "leave out --batch-rows")?;
    refuse_overwrite(args, &[baseline, current])?;
    eprintln!(
        "profiling {} in batches of {batch_rows} rows",
        current.display()
    );
    let (b, c) = rayon::join(|| input_file(baseline), || input_file(current));
    let batched = profile_in_batches(
        (baseline, current),
        (b?, c?),
        roles,
        params,
        (batch_rows, DEFAULT_VALUE_BUDGET),
        &|message| {
            eprintln!("  {message}");
            true
        },
    )
    .map_err(anyhow::Error::msg)?;
    report_from_profile(
        args,
        (baseline, investigation),
        batched.profile,
        params,
        LogSide::Batched {
            path: current.to_path_buf(),
            batches: batched.batches,
            batch_rows: batched.batch_rows,
        },
    )
}

/// An input as a profile's header names it: the file name (no folder) and its SHA-256; the
/// rows are filled in when it is read.
pub(super) fn input_file(path: &Path) -> Result<crate::analysis::profile_file::InputFile> {
    Ok(crate::analysis::profile_file::InputFile {
        name: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        sha256: hash(path)?,
        rows: 0,
    })
}

/// The report from a log's profile: the baseline checked against it and cut on its grids,
/// every analysis from the cells, the log side named as it came.
fn report_from_profile(
    args: &ReportArgs,
    (baseline, investigation): (&Path, Option<Investigation>),
    profile: crate::analysis::profile_file::LogProfile,
    params: &crate::analysis::report::DriftParams,
    side: LogSide,
) -> Result<ExitCode> {
    let params = params.clone();
    if params.settings.preset == crate::analysis::Preset::Evidently {
        bail!(
            "the Evidently preset runs Evidently's tests on the log's values: use --current LOG \
             without a profile or --batch-rows"
        );
    }
    let log_paths: Vec<PathBuf> = match &side {
        LogSide::Files(p) => p.clone(),
        LogSide::Batched { path, .. } => vec![path.clone()],
    };
    let inputs_of_report: Vec<&Path> = std::iter::once(baseline)
        .chain(log_paths.iter().map(PathBuf::as_path))
        .collect();
    eprintln!("loading {}", baseline.display());
    let table = crate::data::load_table(baseline)?;
    let sha = hash(baseline)?;
    profile
        .check_baseline(&sha, &baseline.display().to_string())
        .map_err(anyhow::Error::msg)?;
    let profile_hashes = match &side {
        LogSide::Files(p) => p.iter().map(|p| hash(p)).collect::<Result<Vec<_>>>()?,
        LogSide::Batched { .. } => Vec::new(),
    };
    let first_log = log_paths.first().context("no profile given")?;
    let inputs = profile
        .inputs(table, first_log)
        .map_err(anyhow::Error::msg)?;
    let header = profile.header.clone();
    eprintln!("measuring drift");
    let progress = Progress::start();
    let analysis = profile
        .into_workspace(&inputs, &params)
        .map_err(anyhow::Error::msg)
        .map(|ws| crate::analysis::report::report_in(&ws, &inputs, &params, &progress.state));
    if args.timings {
        for (stage, took) in progress.state.stage_times() {
            eprintln!("  {stage}: {:.3} s", took.as_secs_f64());
        }
    }
    progress.stop();
    let mut analysis = analysis?.context("the analysis was cancelled")?;
    crate::analysis::profile_file::note_inexact(&mut analysis);
    let mut report = report_json(&inputs, Some(&analysis), (Ok(sha), Ok(String::new())))?;
    // The log side is the profiles: what they were made from, and the files themselves.
    let how = match &side {
        LogSide::Files(_) => "driftscope profile".to_owned(),
        LogSide::Batched {
            batches,
            batch_rows,
            ..
        } => format!("read in {batches} batch(es) of {batch_rows} rows and profiled"),
    };
    let profile_files: Vec<(String, String)> = log_paths
        .iter()
        .zip(&profile_hashes)
        .map(|(p, h)| (p.display().to_string(), h.clone()))
        .collect();
    crate::export::restate_profiled_log(None, Some(&mut report), &header, &how, &profile_files);

    let mut summary = String::new();
    describe_table(
        &mut summary,
        &inputs.baseline,
        &only_columns_of(&inputs, &inputs.baseline),
    );
    summary.push_str(&match &side {
        LogSide::Files(p) => format!(
            "\nlog: a profile of {} ({} rows, {} columns) in {} file(s)\n",
            header.log.name,
            header.log.rows,
            header.log_columns.len(),
            p.len()
        ),
        LogSide::Batched {
            batches,
            batch_rows,
            ..
        } => format!(
            "\nlog: {} ({} rows, {} columns), read in {batches} batch(es) of {batch_rows} rows\n",
            header.log.name,
            header.log.rows,
            header.log_columns.len()
        ),
    });
    summary.push_str("\nschema: baseline vs log\n");
    describe_diff(&mut summary, &inputs.schema);
    summary.push('\n');
    super::summary::describe_report(&mut summary, &analysis);
    print!("{summary}");

    let document = || {
        let mut inv = investigation.unwrap_or_default();
        inv.baseline = Some(baseline.to_path_buf());
        inv.current = None;
        let mut doc = crate::export::document(&inv, &inputs, &analysis, None);
        crate::export::restate_profiled_log(Some(&mut doc), None, &header, &how, &[]);
        doc
    };
    write_outputs(args, document, &report, &analysis, &inputs_of_report)
}

/// Progress of a long analysis on stderr, at most about once a second, from a named thread.
struct Progress {
    state: std::sync::Arc<crate::jobs::JobState>,
    done: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Progress {
    fn start() -> Self {
        use std::sync::atomic::{AtomicBool, Ordering};
        let state = std::sync::Arc::new(crate::jobs::JobState::default());
        let done = std::sync::Arc::new(AtomicBool::new(false));
        let thread = {
            let (state, done) = (state.clone(), done.clone());
            std::thread::Builder::new()
                .name("progress".to_owned())
                .spawn(move || {
                    let start = std::time::Instant::now();
                    let mut last = String::new();
                    while !done.load(Ordering::Relaxed) {
                        std::thread::sleep(std::time::Duration::from_millis(200));
                        let stage = state.stage_text();
                        if start.elapsed().as_secs() >= 1 && stage != last {
                            eprintln!("  {stage} ({:.1} s)", start.elapsed().as_secs_f32());
                            last = stage;
                        }
                    }
                })
                .ok()
        };
        Self {
            state,
            done,
            thread,
        }
    }

    fn stop(mut self) {
        self.done.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The resolved roles restricted to one table's columns, for its description.
fn only_columns_of(inputs: &Inputs, table: &Table) -> crate::data::RoleSet {
    crate::data::RoleSet {
        columns: inputs
            .roles
            .columns
            .iter()
            .filter(|c| table.frame.column(&c.column).is_ok())
            .cloned()
            .collect(),
    }
}

/// `driftscope export-slice`: the rows of a slice as CSV.
pub fn export_slice(args: &super::ExportSliceArgs) -> Result<ExitCode> {
    use crate::analysis::{Predicate, Side, SliceDef};
    let table = crate::data::load_table(&args.input)?;
    let mut slice = SliceDef::whole(Side::Log);
    for c in &args.conditions {
        let (column, values) = c
            .split_once('=')
            .filter(|(col, v)| !col.is_empty() && !v.is_empty())
            .with_context(|| format!("--where '{c}' is not COLUMN=VALUE[,VALUE...]"))?;
        slice = slice.with(Predicate::OneOf {
            column: column.to_owned(),
            values: values.split(',').map(str::to_owned).collect(),
        });
    }
    for r in &args.ranges {
        let (column, range) = r
            .split_once('=')
            .and_then(|(c, r)| Some((c, r.split_once("..")?)))
            .with_context(|| format!("--range '{r}' is not COLUMN=MIN..MAX"))?;
        let bound = |t: &str| -> Result<Option<f64>> {
            if t.trim().is_empty() {
                Ok(None)
            } else {
                Ok(Some(t.trim().parse().with_context(|| {
                    format!("--range '{r}': '{t}' is not a number")
                })?))
            }
        };
        slice = slice.with(Predicate::Range {
            column: column.to_owned(),
            min: bound(range.0)?,
            max: bound(range.1)?,
        });
    }
    if args.from.is_some() || args.to.is_some() {
        let time = |t: &Option<String>, default: i64, what: &str| -> Result<i64> {
            match t {
                None => Ok(default),
                Some(t) => crate::data::timestamps::parse_iso_micros(t)
                    .with_context(|| format!("--{what} '{t}' is not a date or time")),
            }
        };
        slice = slice.with(Predicate::Time {
            start_micros: time(&args.from, i64::MIN, "from")?,
            end_micros: time(&args.to, i64::MAX, "to")?,
        });
    }
    // The slice machinery reads roles (the timestamp) from a pair of inputs: the file is both.
    let inputs = crate::data::resolve(
        table.clone(),
        table,
        &crate::data::OverrideLayers::default(),
    )?;
    let bytes = crate::export::slice_csv(&inputs, &slice).map_err(|e| anyhow::anyhow!(e))?;
    write_atomic(&args.output, &bytes, &[&args.input])?;
    eprintln!(
        "wrote {} ({})",
        args.output.display(),
        slice.describe().replacen("log", "rows", 1)
    );
    Ok(ExitCode::SUCCESS)
}
