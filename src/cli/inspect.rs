//! `driftscope inspect FILE...`: what a file holds and what driftscope makes of each column.

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::Result;

use super::InspectArgs;
use crate::data::roles::{self, group_thousands};
use crate::data::timestamps::format_micros;
use crate::data::{RoleSet, Table, load_table, schema};

pub fn run(args: &InspectArgs) -> Result<ExitCode> {
    let is_model = |p: &std::path::PathBuf| {
        p.extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("onnx"))
    };
    if args.files.iter().all(is_model) {
        return super::replay::inspect_models(&args.files, None);
    }
    if args.files.iter().any(is_model) {
        anyhow::bail!("inspect either data files or ONNX models, not both at once");
    }
    let overrides = args.roles.overrides();
    let mut tables = Vec::new();
    for path in &args.files {
        eprintln!("reading {}", path.display());
        tables.push(load_table(path)?);
    }
    // An override must name a column of at least one file.
    for column in overrides.roles.keys() {
        if !tables.iter().any(|t| t.frame.column(column).is_ok()) {
            let names: Vec<String> = tables.iter().flat_map(Table::column_names).collect();
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            return Err(crate::data::DataError::UnknownColumn {
                column: column.clone(),
                place: "the given files".to_owned(),
                suggestion: roles::closest(column, &refs),
            }
            .into());
        }
    }
    let mut out = String::new();
    for (i, table) in tables.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let mut roles = roles::infer_roles(&roles::profile_frame(&table.frame), &[]);
        let mine = crate::data::RoleOverrides {
            roles: overrides
                .roles
                .iter()
                .filter(|(c, _)| table.frame.column(c).is_ok())
                .map(|(c, r)| (c.clone(), *r))
                .collect(),
        };
        roles::apply_overrides(&mut roles, &mine, "by --role/--segment")?;
        describe_table(&mut out, table, &roles);
    }
    if let Some((first, rest)) = tables.split_first() {
        for other in rest {
            let _ = writeln!(
                out,
                "\nschema: {} (as baseline) vs {}",
                first.file_name(),
                other.file_name()
            );
            match schema::diff_schemas(first, other) {
                Ok(diff) => describe_diff(&mut out, &diff),
                Err(e) => {
                    let _ = writeln!(out, "  {e}");
                }
            }
        }
    }
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

pub(super) fn describe_table(out: &mut String, table: &Table, roles: &RoleSet) {
    let _ = writeln!(
        out,
        "{} — {}, {} rows, {} columns",
        table.path.display(),
        table.format.name(),
        group_thousands(table.rows()),
        table.frame.width()
    );
    if let Some(ts) = roles.with_role(crate::data::Role::Timestamp).first()
        && let Some((start, end)) = table.time_range(ts)
    {
        let _ = writeln!(
            out,
            "  time range: {} to {} (`{ts}`)",
            format_micros(start),
            format_micros(end)
        );
    }
    if !table.flattened.is_empty() {
        let parents: std::collections::BTreeSet<&str> = table
            .flattened
            .values()
            .filter_map(|p| p.rsplit_once('.').map(|(parent, _)| parent))
            .collect();
        let _ = writeln!(
            out,
            "  flattened: {} nested field(s) from {}",
            table.flattened.len(),
            parents.into_iter().collect::<Vec<_>>().join(", ")
        );
    }
    for warning in &table.warnings {
        let _ = writeln!(out, "  warning: {warning}");
    }
    let headers = ["column", "type", "role", "reason"];
    let rows: Vec<[String; 4]> = roles
        .columns
        .iter()
        .map(|c| {
            let mut reason = c.reason.clone();
            if let Some(source) = table.time_columns.get(&c.column) {
                reason = format!("{reason} (parsed from {})", source.describe());
            }
            if let Some(path) = table.flattened.get(&c.column) {
                reason = format!("{reason}; from `{path}`");
            }
            [
                c.column.clone(),
                c.dtype.clone(),
                c.role.to_string(),
                reason,
            ]
        })
        .collect();
    let width = |i: usize| {
        rows.iter()
            .map(|r| r[i].chars().count())
            .chain([headers[i].len()])
            .max()
            .unwrap_or(0)
    };
    let (w0, w1, w2) = (width(0), width(1), width(2));
    let _ = writeln!(
        out,
        "\n  {:w0$}  {:w1$}  {:w2$}  {}",
        headers[0], headers[1], headers[2], headers[3]
    );
    for r in rows {
        let _ = writeln!(out, "  {:w0$}  {:w1$}  {:w2$}  {}", r[0], r[1], r[2], r[3]);
    }
}

pub(super) fn describe_diff(out: &mut String, diff: &schema::SchemaDiff) {
    let _ = writeln!(out, "  {} column(s) in common", diff.common.len());
    if !diff.only_baseline.is_empty() {
        let _ = writeln!(
            out,
            "  only in the baseline: {}",
            diff.only_baseline.join(", ")
        );
    }
    if !diff.only_current.is_empty() {
        let _ = writeln!(out, "  only in the log: {}", diff.only_current.join(", "));
    }
    for change in &diff.type_changes {
        let note = if change.compatible {
            " (both numbers: still compared)"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  type changed: `{}` {} in the baseline, {} in the log{note}",
            change.column, change.baseline, change.current
        );
    }
}
