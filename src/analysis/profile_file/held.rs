//! A log the app holds as a profile instead of its rows: a profile file opened as the log, or a
//! log too large for the memory the process may use, read in batches as it opens. Everything the
//! cells answer works as with rows (the report, slices that are unions of cells, the heatmap,
//! the timeline's drift lines); what reads rows (a numeric-range slice, replay, the slice's rows
//! exported) says it needs them.

use std::path::Path;

use super::{DEFAULT_VALUE_BUDGET, InputFile, LogProfile, profile_in_batches};
use crate::analysis::Workspace;
use crate::analysis::report::{DriftParams, DriftReport, report_in_parts};
use crate::data::load::detect_format;
use crate::data::{Format, Inputs, OverrideLayers, load_inputs_with, load_table};
use crate::jobs::JobState;

/// How the log came to be held as a profile.
#[derive(Clone, Debug, PartialEq)]
pub enum Held {
    /// A profile file (`driftscope profile`, or an engine writing its schema).
    File,
    /// The log itself, read in batches because its rows would not fit.
    Batched {
        batches: usize,
        batch_rows: usize,
        /// Why: the memory estimate.
        reason: String,
    },
}

/// The log's profile and how it came; the app measures every report of it from a copy.
#[derive(Clone, Debug)]
pub struct HeldProfile {
    pub profile: LogProfile,
    pub how: Held,
}

impl HeldProfile {
    /// One line for the data panel and the status bar.
    pub fn describe(&self) -> String {
        let log = &self.profile.header.log;
        let rows = crate::format::group_thousands(log.rows);
        match &self.how {
            Held::File => format!(
                "a profile of {} ({rows} rows): what needs the log's rows is not available",
                log.name
            ),
            Held::Batched {
                batches,
                batch_rows,
                reason,
            } => format!(
                "{} ({rows} rows) read in {batches} batches of {} rows and held as a profile \
                 ({reason}): what needs the log's rows is not available",
                log.name,
                crate::format::group_thousands(*batch_rows)
            ),
        }
    }

    /// How the log came, as a report's inputs say it.
    pub fn how(&self) -> String {
        match &self.how {
            Held::File => "driftscope profile".to_owned(),
            Held::Batched {
                batches,
                batch_rows,
                ..
            } => format!("read in {batches} batch(es) of {batch_rows} rows and profiled"),
        }
    }

    /// What a feature that reads the log's rows says instead.
    pub fn needs_rows(&self, what: &str) -> String {
        match &self.how {
            Held::File => format!(
                "{what} reads the log's rows, and the log is a profile: open the log it was made \
                 from ({}) instead",
                self.profile.header.log.name
            ),
            Held::Batched { .. } => format!(
                "{what} reads the log's rows, and the log is too large for memory: it is held as \
                 a profile (cut it with `driftscope report --current … --segment`, or open a \
                 part of it)"
            ),
        }
    }
}

/// The log is a driftscope profile (a Parquet file of its records), not a log of rows.
pub fn is_profile_file(path: &Path) -> bool {
    if !matches!(detect_format(path), Ok(Format::Parquet)) {
        return false;
    }
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    use polars::prelude::SerReader;
    let mut reader = polars::prelude::ParquetReader::new(file);
    let Ok(schema) = reader.schema() else {
        return false;
    };
    ["record", "level", "m2", "text"]
        .iter()
        .all(|c| schema.contains(c))
}

/// The size of a batch when a report from the log's rows would not fit (with why), else `None`.
fn too_large(baseline: &Path, current: &Path) -> Option<(usize, String)> {
    use crate::data::memory;
    let (log_bytes, rows) = memory::estimated_size(current)?;
    let (base_bytes, _) = memory::estimated_size(baseline)?;
    let too = memory::batches_needed(log_bytes, rows, base_bytes, memory::available_bytes()?)?;
    Some((too.batch_rows, too.describe()))
}

/// The inputs the app opens: the rows of both files, or — when the log is a profile file or too
/// large for memory — the baseline's rows and the log's profile (made with `params`: its windows
/// and bins).
pub fn open_log(
    (baseline, current): (&Path, &Path),
    layers: &OverrideLayers,
    params: &DriftParams,
    state: &JobState,
) -> Result<(Inputs, Option<HeldProfile>), String> {
    if is_profile_file(current) {
        state.stage(format!("reading the profile {}", current.display()), 0);
        let profile = LogProfile::read(current)?;
        state.stage(format!("reading {}", baseline.display()), 0);
        let table = load_table(baseline).map_err(|e| e.to_string())?;
        let sha = crate::fsutil::sha256_file(baseline)
            .map_err(|e| format!("{}: {e}", baseline.display()))?;
        profile.check_baseline(&sha, &baseline.display().to_string())?;
        let inputs = profile.inputs(table, current)?;
        return Ok((
            inputs,
            Some(HeldProfile {
                profile,
                how: Held::File,
            }),
        ));
    }
    let Some(batches) = too_large(baseline, current) else {
        return load_inputs_with(baseline, current, layers, state)
            .map(|inputs| (inputs, None))
            .map_err(|e| e.to_string());
    };
    let (inputs, held) = open_in_batches((baseline, current), layers, params, batches, state)?;
    Ok((inputs, Some(held)))
}

/// The log read `batch_rows` rows at a time and held as its profile (made with `params`), said
/// to be so because of `reason`; the baseline's rows loaded.
pub fn open_in_batches(
    (baseline, current): (&Path, &Path),
    layers: &OverrideLayers,
    params: &DriftParams,
    (batch_rows, reason): (usize, String),
    state: &JobState,
) -> Result<(Inputs, HeldProfile), String> {
    let file = |path: &Path| -> Result<InputFile, String> {
        Ok(InputFile {
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            sha256: crate::fsutil::sha256_file(path)
                .map_err(|e| format!("{}: {e}", path.display()))?,
            rows: 0,
        })
    };
    state.stage(format!("{}: {reason}", current.display()), 0);
    let batched = profile_in_batches(
        (baseline, current),
        (file(baseline)?, file(current)?),
        layers,
        params,
        (batch_rows, DEFAULT_VALUE_BUDGET),
        &|message| {
            state.stage(format!("{}: {message}", current.display()), 0);
            !state.is_cancelled()
        },
    )?;
    let table = load_table(baseline).map_err(|e| e.to_string())?;
    let inputs = batched.profile.inputs(table, current)?;
    Ok((
        inputs,
        HeldProfile {
            profile: batched.profile,
            how: Held::Batched {
                batches: batched.batches,
                batch_rows: batched.batch_rows,
                reason,
            },
        },
    ))
}

/// The report of a log held as a profile (the app's report job): measured in a workspace made
/// from a copy of the profile, handing out its parts as they are ready. `Ok(None)`: cancelled;
/// an error when the settings ask for what the profile was not cut for (other windows or bins)
/// or for the Evidently preset, which reads the rows.
pub fn report_from_held(
    profile: &LogProfile,
    inputs: &Inputs,
    params: &DriftParams,
    state: &JobState,
    on_part: Option<&dyn Fn(DriftReport)>,
) -> Result<Option<(DriftReport, Workspace)>, String> {
    if params.settings.preset == crate::analysis::Preset::Evidently {
        return Err(
            "the Evidently preset runs Evidently's tests on the log's values, and the log is \
             held as a profile"
                .to_owned(),
        );
    }
    state.stage("the profile's cells", 0);
    let workspace = profile.clone().into_workspace_with(inputs, params, state)?;
    let Some(mut report) = report_in_parts(&workspace, inputs, params, state, on_part) else {
        crate::jobs::drop_in_background(workspace);
        return Ok(None);
    };
    note_inexact(&mut report);
    Ok(Some((report, workspace)))
}

/// Says how many of a report's entries are intervals (a report from a profile), and why.
pub fn note_inexact(report: &mut DriftReport) {
    let inexact = report.features.iter().filter(|f| !f.drift.exact).count();
    if inexact > 0 {
        report.notes.push(format!(
            "{inexact} of {} entries are intervals, not exact values: the profile holds too few \
             of the log's values for them (`driftscope profile --exact-values` sets how many it \
             stores; parts merged on different grids keep none)",
            report.features.len()
        ));
    }
}
