//! Errors of loading and resolving data: each names the file, and the line or column where known,
//! because the person reading it has to go and fix that file.

use std::path::{Path, PathBuf};

/// Anything that can go wrong between a path and a ready [`super::Table`].
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("{}: no such file", .path.display())]
    NotFound { path: PathBuf },

    #[error("{}: is a directory, not a data file", .path.display())]
    IsDirectory { path: PathBuf },

    #[error("{}: cannot read: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("{}: the file is empty", .path.display())]
    Empty { path: PathBuf },

    #[error("{}: has a header but no data rows", .path.display())]
    HeaderOnly { path: PathBuf },

    #[error("{}: contains no rows", .path.display())]
    NoRows { path: PathBuf },

    #[error(
        "{}: unknown file type{}: driftscope reads CSV (.csv, .tsv), Parquet (.parquet) and JSON lines (.jsonl, .ndjson, .json)",
        .path.display(),
        .extension.as_ref().map(|e| format!(" '.{e}'")).unwrap_or_default()
    )]
    UnknownFormat {
        path: PathBuf,
        extension: Option<String>,
    },

    #[error("{}: line {line}: {message}", .path.display())]
    AtLine {
        path: PathBuf,
        line: usize,
        message: String,
    },

    #[error("{}: {message}", .path.display())]
    Invalid { path: PathBuf, message: String },

    #[error(
        "{} and {} have no column in common: is one of them the wrong file?\n  baseline columns: {}\n  log columns: {}",
        .baseline.display(), .current.display(), .baseline_columns, .current_columns
    )]
    NoCommonColumns {
        baseline: PathBuf,
        current: PathBuf,
        baseline_columns: String,
        current_columns: String,
    },

    #[error("no column `{column}` in {}{}", .place, .suggestion.as_ref().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default())]
    UnknownColumn {
        column: String,
        place: String,
        suggestion: Option<String>,
    },

    #[error("column `{column}`: {message}")]
    Column { column: String, message: String },
}

impl DataError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        if source.kind() == std::io::ErrorKind::NotFound {
            Self::NotFound {
                path: path.to_owned(),
            }
        } else {
            Self::Io {
                path: path.to_owned(),
                source,
            }
        }
    }

    pub(crate) fn invalid(path: &Path, message: impl Into<String>) -> Self {
        Self::Invalid {
            path: path.to_owned(),
            message: message.into(),
        }
    }

    pub(crate) fn at_line(path: &Path, line: usize, message: impl Into<String>) -> Self {
        Self::AtLine {
            path: path.to_owned(),
            line,
            message: message.into(),
        }
    }
}
