//! Sources → polars frames: CSV, Parquet and JSON lines (nested objects flattened, timestamps
//! parsed to UTC), column roles with reasons, and the schema diff between a baseline and a log.

mod error;
pub mod load;
pub mod memory;
pub mod roles;
pub mod schema;
pub mod timestamps;

use std::path::Path;

use serde::Serialize;

use crate::jobs::JobState;

pub use error::DataError;
pub use load::{Format, Table, load_table, load_table_slice};
pub use roles::{ColumnRole, Role, RoleOverrides, RoleSet, RoleSource, ValueKind};
pub use schema::{SchemaDiff, TypeChange};

/// A baseline and a log, loaded, with resolved roles: what every analysis starts from.
#[derive(Clone, Debug)]
pub struct Inputs {
    pub baseline: Table,
    pub current: Table,
    pub roles: RoleSet,
    pub schema: SchemaDiff,
}

/// Where role overrides come from, as shown in the reason ("set by --role").
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct OverrideLayers {
    /// From an investigation file: applied first.
    pub file: RoleOverrides,
    /// From the command line or the app: applied last, so they win.
    pub user: RoleOverrides,
    /// How to name the user layer in reasons ("by --role").
    pub user_source: String,
    /// Set in the app since the investigation was opened or saved: applied after the others,
    /// and said as "set in the app".
    pub app: RoleOverrides,
}

/// Unit tests: the sample investigation's baseline and log (`sample-data/`), loaded.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) fn sample_inputs() -> Inputs {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data");
    load_inputs(
        &dir.join("baseline.parquet"),
        &dir.join("predictions.jsonl"),
        &OverrideLayers::default(),
    )
    .unwrap()
}

/// Loads both files (in parallel), diffs their schemas and resolves roles.
pub fn load_inputs(
    baseline: &Path,
    current: &Path,
    overrides: &OverrideLayers,
) -> Result<Inputs, DataError> {
    load_inputs_with(baseline, current, overrides, &JobState::default())
}

/// [`load_inputs`], telling `state` how far it is: part 1 of 2 reads the files (a file is read
/// in one call, so its progress is estimated from its size and this machine's reading pace,
/// see [`load::expected_read_time`]), part 2 profiles the columns for their roles (counted
/// column by column).
pub fn load_inputs_with(
    baseline: &Path,
    current: &Path,
    overrides: &OverrideLayers,
    state: &JobState,
) -> Result<Inputs, DataError> {
    let name = |p: &Path| {
        p.file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned()
    };
    // Read side by side: the slower of the two sets the time.
    let expected = load::expected_read_time(baseline).max(load::expected_read_time(current));
    state.plan(&[0.5, 0.5]);
    state.part(1, 2);
    state.stage_expected(
        format!("reading {} and {}", name(baseline), name(current)),
        expected,
    );
    let started = std::time::Instant::now();
    let (b, c) = rayon::join(|| load_table(baseline), || load_table(current));
    let (b, c) = (b?, c?);
    let took = started.elapsed();
    load::learn_read_pace(expected, took);
    // Now that the sizes are known, the parts' shares: the read as it went, the roles at about
    // 17 ns a cell on two cores (10 M rows × 24 columns: 4.4 s; BENCHMARKS.md).
    let cells = |t: &Table| (t.frame.height() * t.frame.width()) as f64;
    state.plan(&[
        took.as_secs_f64(),
        (cells(&b) + cells(&c)) * 17e-9 * load::read_pace(),
    ]);
    state.part(2, 2);
    resolve_with(b, c, overrides, state)
}

/// Schema diff and roles for two loaded tables.
pub fn resolve(
    baseline: Table,
    current: Table,
    overrides: &OverrideLayers,
) -> Result<Inputs, DataError> {
    resolve_with(baseline, current, overrides, &JobState::default())
}

/// [`resolve`], counting the columns profiled on `state`.
pub fn resolve_with(
    baseline: Table,
    current: Table,
    overrides: &OverrideLayers,
    state: &JobState,
) -> Result<Inputs, DataError> {
    let schema = schema::diff_schemas(&baseline, &current)?;
    state.stage(
        "profiling the columns for their roles",
        (current.frame.width() + baseline.frame.width()) as u64,
    );
    let (c_prof, b_prof) = rayon::join(
        || roles::profile_frame_with(&current.frame, &|| state.advance(1)),
        || roles::profile_frame_with(&baseline.frame, &|| state.advance(1)),
    );
    let mut roles = roles::infer_roles(&c_prof, &b_prof);
    roles::apply_overrides(&mut roles, &overrides.file, "in the investigation file")?;
    let source = if overrides.user_source.is_empty() {
        "by the user"
    } else {
        overrides.user_source.as_str()
    };
    roles::apply_overrides(&mut roles, &overrides.user, source)?;
    roles::apply_overrides(&mut roles, &overrides.app, "in the app")?;
    Ok(Inputs {
        baseline,
        current,
        roles,
        schema,
    })
}
