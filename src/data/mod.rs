//! Sources → polars frames: CSV, Parquet and JSON lines (nested objects flattened, timestamps
//! parsed to UTC), column roles with reasons, and the schema diff between a baseline and a log.

mod error;
pub mod load;
pub mod roles;
pub mod schema;
pub mod timestamps;

use std::path::Path;

use serde::Serialize;

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

/// Loads both files (in parallel), diffs their schemas and resolves roles.
pub fn load_inputs(
    baseline: &Path,
    current: &Path,
    overrides: &OverrideLayers,
) -> Result<Inputs, DataError> {
    let (b, c) = rayon::join(|| load_table(baseline), || load_table(current));
    resolve(b?, c?, overrides)
}

/// Schema diff and roles for two loaded tables.
pub fn resolve(
    baseline: Table,
    current: Table,
    overrides: &OverrideLayers,
) -> Result<Inputs, DataError> {
    let schema = schema::diff_schemas(&baseline, &current)?;
    let (c_prof, b_prof) = rayon::join(
        || roles::profile_frame(&current.frame),
        || roles::profile_frame(&baseline.frame),
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
