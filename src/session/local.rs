//! What driftscope keeps on this machine between runs, in one folder of its own: the recent files
//! and the autosave of the open investigation (so that a crash loses nothing). The folder is
//! `$DRIFTSCOPE_STATE_DIR`, else `$XDG_STATE_HOME/driftscope`, else `~/.local/state/driftscope`.
//! Nothing here ever leaves the machine.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Investigation;
use crate::fsutil;

/// The folder for recent files and the autosave, if one can be found.
pub fn default_state_dir() -> Option<PathBuf> {
    let from = |var: &str| {
        std::env::var_os(var)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    from("DRIFTSCOPE_STATE_DIR")
        .or_else(|| from("XDG_STATE_HOME").map(|d| d.join("driftscope")))
        .or_else(|| from("HOME").map(|h| h.join(".local/state/driftscope")))
}

/// Something opened recently.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecentItem {
    Investigation(PathBuf),
    Files { baseline: PathBuf, current: PathBuf },
}

impl RecentItem {
    pub fn label(&self) -> String {
        let name = |p: &Path| {
            p.file_name().map_or_else(
                || p.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            )
        };
        match self {
            RecentItem::Investigation(p) => name(p),
            RecentItem::Files { baseline, current } => {
                format!("{} against {}", name(current), name(baseline))
            }
        }
    }

    pub fn full(&self) -> String {
        match self {
            RecentItem::Investigation(p) => p.display().to_string(),
            RecentItem::Files { baseline, current } => {
                format!("log {}\nbaseline {}", current.display(), baseline.display())
            }
        }
    }
}

/// The most recent first, at most [`Recent::MAX`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Recent {
    pub items: Vec<RecentItem>,
}

impl Recent {
    pub const MAX: usize = 10;
    const FILE: &'static str = "recent.ron";

    /// The list in `dir`; an unreadable or damaged list is an empty one (it is only a
    /// convenience).
    pub fn load(dir: &Path) -> Self {
        std::fs::read_to_string(dir.join(Self::FILE))
            .ok()
            .and_then(|t| ron::from_str(&t).ok())
            .unwrap_or_default()
    }

    pub fn push(&mut self, item: RecentItem) {
        self.items.retain(|i| *i != item);
        self.items.insert(0, item);
        self.items.truncate(Self::MAX);
    }

    pub fn save(&self, dir: &Path) -> Result<(), String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let text = ron::ser::to_string_pretty(self, ron::ser::PrettyConfig::new())
            .map_err(|e| e.to_string())?;
        fsutil::write_atomic(&dir.join(Self::FILE), text.as_bytes(), &[]).map_err(|e| e.to_string())
    }
}

/// The autosaved investigation: where it was saved last (if ever) and its unsaved state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Autosave {
    pub path: Option<PathBuf>,
    pub investigation: Investigation,
    /// When it was written (UTC, ISO-8601).
    pub written: String,
}

impl Autosave {
    const FILE: &'static str = "autosave.driftscope.ron";

    pub fn file(dir: &Path) -> PathBuf {
        dir.join(Self::FILE)
    }

    pub fn write(dir: &Path, path: Option<&Path>, inv: &Investigation) -> Result<(), String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let record = Autosave {
            path: path.map(Path::to_owned),
            investigation: inv.clone(),
            written: chrono::Utc::now()
                .format("%Y-%m-%d %H:%M:%S UTC")
                .to_string(),
        };
        let text = ron::ser::to_string_pretty(&record, ron::ser::PrettyConfig::new())
            .map_err(|e| e.to_string())?;
        let inputs: Vec<&Path> = [&inv.baseline, &inv.current]
            .into_iter()
            .flatten()
            .map(PathBuf::as_path)
            .collect();
        fsutil::write_atomic(&Self::file(dir), text.as_bytes(), &inputs).map_err(|e| e.to_string())
    }

    /// The autosave left by a run that did not end cleanly, if any.
    pub fn read(dir: &Path) -> Option<Self> {
        let text = std::fs::read_to_string(Self::file(dir)).ok()?;
        ron::from_str(&text).ok()
    }

    /// Called after a save or a clean exit: nothing is left to recover.
    pub fn clear(dir: &Path) {
        // A missing file is fine: there was nothing to recover.
        let _ = std::fs::remove_file(Self::file(dir));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_items_are_unique_newest_first_and_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let mut recent = Recent::default();
        for i in 0..12 {
            recent.push(RecentItem::Investigation(PathBuf::from(format!("{i}.ron"))));
        }
        recent.push(RecentItem::Investigation(PathBuf::from("5.ron")));
        assert_eq!(recent.items.len(), Recent::MAX);
        assert_eq!(recent.items[0], RecentItem::Investigation("5.ron".into()));
        assert_eq!(
            recent.items.iter().filter(|i| i.label() == "5.ron").count(),
            1
        );
        recent.save(dir.path()).unwrap();
        assert_eq!(Recent::load(dir.path()), recent);
    }

    #[test]
    fn an_autosave_round_trips_and_is_cleared() {
        let dir = tempfile::tempdir().unwrap();
        let inv = Investigation {
            title: "unsaved".into(),
            ..Investigation::default()
        };
        Autosave::write(dir.path(), Some(Path::new("x.ron")), &inv).unwrap();
        let back = Autosave::read(dir.path()).unwrap();
        assert_eq!(back.investigation, inv);
        assert_eq!(back.path.as_deref(), Some(Path::new("x.ron")));
        Autosave::clear(dir.path());
        assert!(Autosave::read(dir.path()).is_none());
    }
}
