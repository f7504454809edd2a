//! What outlives a session: saving the investigation, Recent files, the autosave, the window
//! title that says whether there are unsaved changes.

use std::path::PathBuf;
use std::time::Instant;

use crate::data::RoleOverrides;
use crate::jobs::{Job, JobPoll};
use crate::session::local::{Autosave, RecentItem};

use super::DriftscopeApp;

impl DriftscopeApp {
    pub(super) fn remember(&mut self, item: RecentItem) {
        self.recent.push(item);
        if let Some(dir) = &self.config.state_dir
            && let Err(e) = self.recent.save(dir)
        {
            self.notice = Some(format!("cannot remember recent files: {e}"));
        }
    }

    pub(super) fn save_to(&mut self, path: PathBuf) {
        match self.investigation.save(&path) {
            Ok(()) => {
                self.saved = self.investigation.clone();
                // The roles set in the app are the file's now.
                self.app_roles = RoleOverrides::default();
                self.path = Some(path.clone());
                self.notice = Some(format!("Saved {}", path.display()));
                if let Some(dir) = &self.config.state_dir {
                    Autosave::clear(dir);
                }
                self.autosaved = None;
                self.remember(RecentItem::Investigation(path));
            }
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    /// Writes the autosave when the investigation changed since the last one (at most every two
    /// seconds; it is a small file).
    pub(super) fn autosave(&mut self) {
        let Some(dir) = self.config.state_dir.clone() else {
            return;
        };
        if self.recovered.is_some() || self.last_autosave.elapsed() < self.config.autosave_every {
            // An unanswered recovery offer must not be overwritten.
            return;
        }
        self.last_autosave = Instant::now();
        if let Some(job) = &mut self.autosave_job {
            match job.poll() {
                JobPoll::Running => return,
                JobPoll::Done(Ok(())) => {}
                JobPoll::Done(Err(e)) => {
                    self.notice = Some(format!("autosave failed: {e}"));
                    self.autosaved = None;
                }
                JobPoll::Lost => self.autosaved = None,
            }
            self.autosave_job = None;
        }
        if !self.is_dirty() || self.autosaved.as_ref() == Some(&self.investigation) {
            return;
        }
        // Written off the UI thread: the file is small, but a synced write can stall on a busy disk.
        let (inv, path) = (self.investigation.clone(), self.path.clone());
        self.autosaved = Some(inv.clone());
        self.autosave_job = Some(Job::spawn(
            self.executor,
            "autosave",
            || {},
            move |_state| Autosave::write(&dir, path.as_deref(), &inv),
        ));
    }

    pub(super) fn title(&self) -> String {
        let name = self
            .path
            .as_ref()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "unsaved investigation".to_owned());
        format!(
            "driftscope - {name}{}",
            if self.is_dirty() { " (modified)" } else { "" }
        )
    }
}
