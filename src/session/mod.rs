//! The investigation file (`.driftscope.ron`): which files, which roles, and (as later parts land)
//! settings, selections and findings. It is what a person saves, mails to a colleague and reopens
//! next week, so a damaged file or one from a newer driftscope gets a clear message, and paths are
//! stored relative to the file so an investigation folder can be moved.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::analysis::{DriftParams, Reference, SliceDef};
use crate::data::RoleOverrides;
use crate::fsutil::{self, WriteError};

pub mod findings;
pub mod local;

/// The newest investigation format this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// The persisted part of an investigation. Every field has a default, so a file written by an
/// older build (with fewer fields) still opens.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Investigation {
    pub format_version: u32,
    pub title: String,
    /// The training baseline; relative paths are relative to the investigation file.
    pub baseline: Option<PathBuf>,
    /// The production log.
    pub current: Option<PathBuf>,
    /// Roles the user set; every other column's role is inferred on load.
    pub roles: RoleOverrides,
    /// How drift is measured: methods, thresholds, bins, windows, per-column settings.
    pub drift: DriftParams,
    /// Free text for whoever opens the investigation next.
    pub notes: String,
    /// What was on screen: the panel, the feature, the segment column, the slices.
    pub view: ViewState,
    /// The models the log is replayed through, and how columns feed them.
    pub replay: crate::replay::study::ReplaySettings,
    /// What the analyst pinned, in report order.
    pub findings: Vec<findings::Finding>,
}

/// The app's panels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Panel {
    #[default]
    Overview,
    Segments,
    Feature,
    Time,
    Compare,
    Data,
    Settings,
    Replay,
    Findings,
}

impl Panel {
    pub const ALL: [Panel; 9] = [
        Panel::Overview,
        Panel::Segments,
        Panel::Feature,
        Panel::Time,
        Panel::Compare,
        Panel::Replay,
        Panel::Findings,
        Panel::Data,
        Panel::Settings,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Panel::Overview => "Overview",
            Panel::Segments => "Segments",
            Panel::Feature => "Feature",
            Panel::Time => "Time",
            Panel::Compare => "Compare",
            Panel::Data => "Data",
            Panel::Settings => "Settings",
            Panel::Replay => "Replay",
            Panel::Findings => "Findings",
        }
    }
}

/// Which comparison the feature panel shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DetailSource {
    /// The current slice of the log against the baseline.
    #[default]
    Slice,
    /// Slice A against slice B of the Compare panel.
    Compare,
}

/// The view, saved with the investigation so that reopening it shows the same thing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ViewState {
    /// The panel on screen (`view` in earlier files, still read).
    #[serde(alias = "view")]
    pub panel: Panel,
    /// The feature shown in the feature and time panels.
    pub feature: Option<String>,
    /// The segment column of the heatmap and of the time panel's lines.
    pub segment: Option<String>,
    /// The heatmap's reference: the whole baseline or the same segment of it.
    pub reference: Reference,
    /// The current slice of the log: everything in the feature, segment and time panels is
    /// measured on it.
    pub slice: SliceDef,
    pub compare_a: SliceDef,
    pub compare_b: SliceDef,
    pub detail: DetailSource,
}

impl Default for ViewState {
    fn default() -> Self {
        Self {
            panel: Panel::Overview,
            feature: None,
            segment: None,
            reference: Reference::Baseline,
            slice: SliceDef::default(),
            compare_a: SliceDef::default(),
            compare_b: SliceDef::whole(crate::analysis::Side::Baseline),
            detail: DetailSource::Slice,
        }
    }
}

impl Default for Investigation {
    fn default() -> Self {
        Self {
            format_version: FORMAT_VERSION,
            title: String::new(),
            baseline: None,
            current: None,
            roles: RoleOverrides::default(),
            drift: DriftParams::default(),
            notes: String::new(),
            view: ViewState::default(),
            replay: crate::replay::study::ReplaySettings::default(),
            findings: Vec::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("{}: cannot read the investigation file: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: the investigation file is damaged at line {line}, column {col}: {message}", .path.display())]
    Damaged {
        path: PathBuf,
        line: usize,
        col: usize,
        message: String,
    },
    #[error(
        "{}: written by a newer driftscope (investigation format {found}; this build reads up to {FORMAT_VERSION}). Update driftscope to open it.",
        .path.display()
    )]
    TooNew { path: PathBuf, found: u32 },
    #[error("{}: the investigation's drift settings are invalid: {message}", .path.display())]
    Invalid { path: PathBuf, message: String },
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("cannot encode the investigation: {0}")]
    Encode(String),
}

impl Investigation {
    /// Reads an investigation file; relative input paths become paths relative to the file's
    /// folder.
    pub fn load(path: &Path) -> Result<Self, SessionError> {
        let text = std::fs::read_to_string(path).map_err(|source| SessionError::Io {
            path: path.to_owned(),
            source,
        })?;
        // Read the version first: a newer file may not parse as this build's struct at all, and
        // "update driftscope" is the message that helps then.
        if let Some(found) = format_version_of(&text)
            && found > FORMAT_VERSION
        {
            return Err(SessionError::TooNew {
                path: path.to_owned(),
                found,
            });
        }
        let mut inv: Investigation = ron::from_str(&text).map_err(|e| SessionError::Damaged {
            path: path.to_owned(),
            line: e.span.start.line,
            col: e.span.start.col,
            message: e.code.to_string(),
        })?;
        if inv.format_version > FORMAT_VERSION {
            return Err(SessionError::TooNew {
                path: path.to_owned(),
                found: inv.format_version,
            });
        }
        inv.drift
            .validate()
            .map_err(|message| SessionError::Invalid {
                path: path.to_owned(),
                message,
            })?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let r = &mut inv.replay;
        for p in [
            &mut inv.baseline,
            &mut inv.current,
            &mut r.model,
            &mut r.candidate,
        ]
        .into_iter()
        .flatten()
        {
            if p.is_relative() {
                *p = dir.join(&*p);
            }
        }
        Ok(inv)
    }

    /// Writes the investigation atomically; input paths under the file's folder are stored
    /// relative to it.
    pub fn save(&self, path: &Path) -> Result<(), SessionError> {
        let dir = path
            .parent()
            .map(|d| d.canonicalize().unwrap_or_else(|_| d.to_owned()));
        let mut out = self.clone();
        out.format_version = FORMAT_VERSION;
        let inputs: Vec<PathBuf> = [&self.baseline, &self.current]
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        let r = &mut out.replay;
        for p in [
            &mut out.baseline,
            &mut out.current,
            &mut r.model,
            &mut r.candidate,
        ]
        .into_iter()
        .flatten()
        {
            if let (Some(dir), Ok(abs)) = (&dir, p.canonicalize())
                && let Ok(rel) = abs.strip_prefix(dir)
            {
                *p = rel.to_owned();
            }
        }
        let pretty = ron::ser::PrettyConfig::new()
            .depth_limit(4)
            .struct_names(true);
        let text = ron::ser::to_string_pretty(&out, pretty)
            .map_err(|e| SessionError::Encode(e.to_string()))?;
        let input_refs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
        fsutil::write_atomic(path, text.as_bytes(), &input_refs)?;
        Ok(())
    }
}

/// The `format_version` field of any RON struct, if the text parses as RON at all.
fn format_version_of(text: &str) -> Option<u32> {
    let ron::Value::Map(map) = ron::from_str::<ron::Value>(text).ok()? else {
        return None;
    };
    map.iter().find_map(|(k, v)| match (k, v) {
        (ron::Value::String(k), ron::Value::Number(n)) if k == "format_version" => {
            n.into_f64().to_string().parse::<u32>().ok()
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Role;

    /// Files saved before the field was called `panel` open on the panel they were saved on.
    #[test]
    fn an_investigation_saved_with_view_opens_on_its_panel() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("old.driftscope.ron");
        std::fs::write(&file, "(format_version: 1, view: (view: Segments))").unwrap();
        let inv = Investigation::load(&file).unwrap();
        assert_eq!(inv.view.panel, Panel::Segments);
        let mut saved = inv.clone();
        saved.view.panel = Panel::Time;
        saved.save(&file).unwrap();
        assert_eq!(Investigation::load(&file).unwrap().view.panel, Panel::Time);
    }

    #[test]
    fn round_trips_with_paths_relative_to_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        std::fs::write(data.join("base.csv"), "a\n1\n").unwrap();
        std::fs::write(data.join("log.csv"), "a\n2\n").unwrap();
        let mut inv = Investigation {
            title: "checkout incident".into(),
            baseline: Some(data.join("base.csv")),
            current: Some(data.join("log.csv")),
            ..Investigation::default()
        };
        inv.roles.set("a", Role::Segment);
        inv.drift.settings.threshold = Some(0.2);
        inv.drift.settings.columns.insert(
            "a".into(),
            crate::analysis::ColumnSettings {
                edges: Some(vec![1.0, 5.0]),
                ..Default::default()
            },
        );
        let file = dir.path().join("incident.driftscope.ron");
        inv.save(&file).unwrap();
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains("\"data/base.csv\""), "{text}");
        // Move the whole folder: the investigation still finds its files.
        let moved = tempfile::tempdir().unwrap();
        let target = moved.path().join("inv");
        std::fs::rename(dir.path(), &target).unwrap_or_else(|_| {
            // Different filesystems: copy instead.
            std::fs::create_dir_all(target.join("data")).unwrap();
            for f in ["base.csv", "log.csv"] {
                std::fs::copy(data.join(f), target.join("data").join(f)).unwrap();
            }
            std::fs::copy(&file, target.join("incident.driftscope.ron")).unwrap();
        });
        let back = Investigation::load(&target.join("incident.driftscope.ron")).unwrap();
        assert_eq!(back.title, "checkout incident");
        assert_eq!(back.roles.roles.get("a"), Some(&Role::Segment));
        assert_eq!(back.drift, inv.drift);
        assert!(back.baseline.unwrap().ends_with("data/base.csv"));
        assert!(back.current.unwrap().exists());
    }

    #[test]
    fn damaged_and_newer_files_say_so() {
        let dir = tempfile::tempdir().unwrap();
        let damaged = dir.path().join("a.ron");
        std::fs::write(
            &damaged,
            "Investigation(\n  title: \"x\",\n  baseline: Some(\"b.csv\"\n",
        )
        .unwrap();
        let err = Investigation::load(&damaged).unwrap_err().to_string();
        assert!(err.contains("damaged at line"), "{err}");

        let newer = dir.path().join("b.ron");
        std::fs::write(
            &newer,
            "(format_version: 7, title: \"x\", a_field_from_the_future: 3)",
        )
        .unwrap();
        let err = Investigation::load(&newer).unwrap_err().to_string();
        assert!(
            err.contains("newer driftscope") && err.contains("format 7"),
            "{err}"
        );

        let missing = Investigation::load(&dir.path().join("nope.ron"))
            .unwrap_err()
            .to_string();
        assert!(missing.contains("nope.ron"), "{missing}");
    }

    #[test]
    fn an_older_file_with_fewer_fields_opens() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("old.ron");
        std::fs::write(&old, "(baseline: Some(\"b.parquet\"))").unwrap();
        let inv = Investigation::load(&old).unwrap();
        assert_eq!(inv.baseline, Some(dir.path().join("b.parquet")));
        assert_eq!(inv.current, None);
    }
}
