//! The replay's background work: what the model file declares, the replay of the current slice,
//! and a what-if row — each a keyed [`Derived`] result, started by the app from the settings and
//! the slice (the panel only draws them and sends commands).

use std::path::PathBuf;
use std::sync::Arc;

use eframe::egui;

use crate::analysis::SliceDef;
use crate::analysis::slice::slice_rows;
use crate::data::Inputs;
use crate::jobs::{Derived, Executor, Job, JobState};
use crate::replay::study::{self, ReplaySettings, ReplayStudy};
use crate::replay::{ModelInfo, Outputs};

use super::repaint;

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ReplayKey {
    inputs: u64,
    settings: ReplaySettings,
    slice: SliceDef,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct WhatIfKey {
    inputs: u64,
    row: usize,
    edits: Vec<(String, String)>,
    settings: ReplaySettings,
}

/// What the view asks the replay for.
pub(crate) struct Request<'a> {
    pub settings: &'a ReplaySettings,
    pub slice: &'a SliceDef,
    /// Window length for the per-window groups.
    pub window_micros: i64,
}

#[derive(Default)]
pub(crate) struct ReplayJobs {
    /// What the production model declares, for the mapping editor.
    info: Derived<(PathBuf, Option<PathBuf>), ModelInfo>,
    study: Derived<ReplayKey, ReplayStudy>,
    what_if: Derived<WhatIfKey, (Outputs, Option<Outputs>)>,
    /// The what-if row asked for, with its edited inputs (column, text).
    asked: Option<(usize, Vec<(String, String)>)>,
}

impl ReplayJobs {
    pub fn model_info(&self) -> Option<&ModelInfo> {
        self.info.value()
    }

    /// Why the model file could not be opened.
    pub fn model_error(&self) -> Option<&str> {
        self.info.error()
    }

    pub fn study(&self) -> Option<&ReplayStudy> {
        self.study.value()
    }

    /// The study, shared (for a background export: no copy of its per-row answers).
    pub fn study_shared(&self) -> Option<Arc<ReplayStudy>> {
        self.study.shared()
    }

    pub fn study_error(&self) -> Option<&str> {
        self.study.error()
    }

    pub fn is_replaying(&self) -> bool {
        self.study.is_running()
    }

    pub fn what_if(&self) -> Option<&(Outputs, Option<Outputs>)> {
        self.what_if.value()
    }

    pub fn what_if_error(&self) -> Option<&str> {
        self.what_if.error()
    }

    /// Why the last replay or what-if failed, if it did.
    pub fn error(&self) -> Option<&str> {
        self.study.error().or(self.what_if.error())
    }

    /// Runs both models on `row` with these inputs (at the next schedule).
    pub fn ask_what_if(&mut self, row: usize, edits: Vec<(String, String)>) {
        self.asked = Some((row, edits));
    }

    pub fn is_busy(&self) -> bool {
        self.study.is_running() || self.what_if.is_running() || self.info.is_running()
    }

    pub fn running(&self) -> Option<&Job<Result<Option<ReplayStudy>, String>>> {
        self.study.running()
    }

    pub fn poll(&mut self) {
        self.info.poll();
        self.study.poll();
        self.what_if.poll();
    }

    pub fn cancel(&mut self) {
        self.study.cancel();
        self.what_if.cancel();
    }

    /// The files changed: no replay or what-if of the old ones is kept.
    pub fn clear(&mut self) {
        self.study.clear();
        self.what_if.clear();
        self.asked = None;
    }

    /// Starts the replay the settings and the slice ask for, and a requested what-if.
    pub fn schedule(
        &mut self,
        ctx: &egui::Context,
        executor: Executor,
        inputs: &Arc<Inputs>,
        generation: u64,
        request: Request<'_>,
    ) {
        let Request {
            settings,
            slice,
            window_micros,
        } = request;
        let Some(model) = settings.model.clone() else {
            return;
        };
        let key = (model, settings.runtime.clone());
        if self.info.wanted(&key) {
            let k = key.clone();
            self.info.start(
                key,
                executor,
                "model",
                repaint(ctx),
                move |_state: &JobState| {
                    crate::replay::Model::open(&k.0, k.1.as_deref()).map(|m| Some(m.info))
                },
            );
        }
        let key = ReplayKey {
            inputs: generation,
            settings: settings.clone(),
            slice: slice.clone(),
        };
        if self.study.wanted(&key) {
            let (inputs, k) = (inputs.clone(), key.clone());
            self.study.start(
                key,
                executor,
                "replay",
                repaint(ctx),
                move |state: &JobState| {
                    let rows = slice_rows(&inputs, &k.slice)?
                        .unwrap_or_else(|| (0..inputs.current.rows()).collect());
                    study::study(
                        &inputs.current.frame,
                        &inputs.roles,
                        rows,
                        &k.settings,
                        window_micros,
                        state,
                    )
                },
            );
        }
        if let Some((row, edits)) = self.asked.clone() {
            let key = WhatIfKey {
                inputs: generation,
                row,
                edits,
                settings: settings.clone(),
            };
            if self.what_if.wanted(&key) {
                let (inputs, k) = (inputs.clone(), key.clone());
                self.what_if.start(
                    key,
                    executor,
                    "what-if",
                    repaint(ctx),
                    move |_state: &JobState| {
                        study::what_if(&inputs.current.frame, k.row, &k.edits, &k.settings)
                            .map(Some)
                    },
                );
            }
        }
    }
}
