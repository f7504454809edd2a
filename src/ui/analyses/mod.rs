//! The background analyses: loading, the report (handed out part by part), every panel's
//! analysis as a keyed [`Derived`](crate::jobs::Derived) result, exports — started, polled and applied only when they
//! succeed.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use eframe::egui::{self};

use crate::analysis::Workspace;
use crate::analysis::profile_file::{Held, HeldProfile};
use crate::analysis::slice::{self, Heatmap, SliceComparison};
use crate::analysis::{
    DriftParams, DriftReport, Reference, Side, SliceDef, run_drift_report_parts,
};
use crate::data::{Inputs, OverrideLayers, Role, RoleOverrides, resolve_with};
use crate::jobs::{Job, JobPoll, JobState};
use crate::session::Investigation;
use crate::session::local::{Autosave, RecentItem};

use super::DriftscopeApp;

mod replay;

pub(crate) use replay::ReplayJobs;

/// A load's investigation and inputs, with the log's profile when it is held as one.
pub(super) type LoadResult = Result<(Investigation, Inputs, Option<HeldProfile>), String>;

/// The report and its workspace (`None`: cancelled), or why it could not be measured (a log held
/// as a profile cut for other settings).
pub(super) type ReportResult = Result<Option<(DriftReport, Workspace)>, String>;

/// The current slice against the baseline, and the heatmap within it.
pub struct Focus {
    pub comparison: SliceComparison,
    pub heatmap: Option<Heatmap>,
}

/// What a focus result was computed for.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct FocusKey {
    pub(super) generation: u64,
    pub(super) slice: SliceDef,
    pub(super) segment: Option<String>,
    pub(super) reference: Reference,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) struct TimelineKey {
    pub(super) generation: u64,
    pub(super) column: String,
    pub(super) within: SliceDef,
    pub(super) segment: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) struct CompareKey {
    pub(super) generation: u64,
    pub(super) a: SliceDef,
    pub(super) b: SliceDef,
}

/// Wakes the UI from a worker when its result is ready.
pub(super) fn repaint(ctx: &egui::Context) -> impl Fn() + Send + 'static {
    let ctx = ctx.clone();
    move || ctx.request_repaint()
}

/// What a load changes when, and only when, it succeeds: until then the files, roles, view,
/// path and Recent files of what is open stay as they are, and a failure leaves them so.
#[derive(Default)]
pub(super) struct PendingLoad {
    /// An investigation file being opened: it becomes the one saved to and goes to Recent.
    pub(super) opened: Option<PathBuf>,
    /// Other data files: the previous files' derived results are dropped and the pair goes to
    /// Recent.
    pub(super) files: Option<(PathBuf, PathBuf)>,
    /// The path the investigation will have (`None`: unchanged).
    pub(super) path: Option<Option<PathBuf>>,
    /// The roles set in the app once the load lands.
    pub(super) app_roles: RoleOverrides,
    /// An autosave being restored: offered again if the load fails.
    pub(super) restored: Option<Autosave>,
}

/// The report being measured: its job, the settings it measures with (the investigation's only
/// once it lands) and the latest part it has handed out, not yet on screen.
pub(super) struct ReportJob {
    pub(super) job: Job<ReportResult>,
    pub(super) params: DriftParams,
    pub(super) part: Arc<Mutex<Option<DriftReport>>>,
    /// The finished report that was on screen before: back on screen if this one never
    /// finishes (cancelled or failed), so no half-measured report of unapplied settings stays.
    pub(super) previous: Option<Arc<DriftReport>>,
}

impl DriftscopeApp {
    /// Measures drift on the loaded inputs in the background; a running measurement of older
    /// inputs is cancelled (dropping its job cancels it).
    pub(super) fn start_report(&mut self, ctx: &egui::Context, params: DriftParams) {
        let Some(inputs) = self.inputs.clone() else {
            return;
        };
        let held = self.held.clone();
        if let Some(h) = &held
            && matches!(h.how, Held::Batched { .. })
            && h.profile.header.params.window != params.window
        {
            // A log read in batches was cut into the old windows: read again for the new ones.
            let mut base = self.investigation.clone();
            base.drift = params;
            self.start_load(ctx, base, PendingLoad::default());
            return;
        }
        let wake_ctx = ctx.clone();
        let part_ctx = ctx.clone();
        let asked = params.clone();
        let part: Arc<Mutex<Option<DriftReport>>> = Arc::default();
        let slot = Arc::clone(&part);
        let job = Job::spawn(
            self.executor,
            "drift report",
            move || wake_ctx.request_repaint(),
            move |state| {
                // Each part replaces the one before; the UI shows the latest at its next frame.
                let hand_out = |report: DriftReport| {
                    if let Ok(mut s) = slot.lock() {
                        *s = Some(report);
                    }
                    part_ctx.request_repaint();
                };
                match &held {
                    None => Ok(run_drift_report_parts(
                        &inputs,
                        &asked,
                        state,
                        Some(&hand_out),
                    )),
                    Some(h) => crate::analysis::profile_file::report_from_held(
                        &h.profile,
                        &inputs,
                        &asked,
                        state,
                        Some(&hand_out),
                    ),
                }
            },
        );
        let previous = match self.report_job.take() {
            // Replacing a report that had not finished: the one before it is still the last
            // finished one.
            Some(running) => running.previous,
            None => self.report.clone(),
        };
        self.report_job = Some(ReportJob {
            job,
            params,
            part,
            previous,
        });
        self.report_current = false;
    }

    /// The report on screen answers an older question (other files or settings) while a new
    /// report is measured and has shown nothing yet.
    pub fn report_is_stale(&self) -> bool {
        self.report.is_some() && !self.report_current
    }

    /// The settings of the report being measured, or else of the one on screen.
    pub(super) fn measuring(&self) -> &DriftParams {
        self.report_job
            .as_ref()
            .map_or(&self.investigation.drift, |r| &r.params)
    }

    /// The role layers of `inv` as the app knows them: the file's, then the command line's, then
    /// those set in the app, each said as such in the roles' reasons.
    pub(super) fn layers(&self, inv: &Investigation, app_roles: &RoleOverrides) -> OverrideLayers {
        let mut file = inv.roles.clone();
        for column in self.launch_roles.roles.keys().chain(app_roles.roles.keys()) {
            file.roles.remove(column);
        }
        OverrideLayers {
            file,
            user: self.launch_roles.clone(),
            user_source: "by --role".to_owned(),
            app: app_roles.clone(),
        }
    }

    /// Loads `base` (or the investigation file `pending.opened` names) and its files in the
    /// background. Nothing on screen changes until the load succeeds (see [`PendingLoad`]).
    pub(super) fn start_load(
        &mut self,
        ctx: &egui::Context,
        base: Investigation,
        pending: PendingLoad,
    ) {
        let layers = self.layers(&base, &pending.app_roles);
        let opened = pending.opened.clone();
        let wake_ctx = ctx.clone();
        self.job = Some(Job::spawn(
            self.executor,
            "load",
            move || wake_ctx.request_repaint(),
            move |state| {
                let (inv, layers) = match &opened {
                    Some(path) => {
                        state.stage(format!("reading {}", path.display()), 0);
                        let inv = Investigation::load(path).map_err(|e| e.to_string())?;
                        let layers = OverrideLayers {
                            file: inv.roles.clone(),
                            ..OverrideLayers::default()
                        };
                        (inv, layers)
                    }
                    None => (base, layers),
                };
                let (Some(b), Some(c)) = (inv.baseline.clone(), inv.current.clone()) else {
                    return Err("the investigation names no baseline and log; open files with File, Open baseline and log…".to_owned());
                };
                let (inputs, held) =
                    crate::analysis::profile_file::open_log((&b, &c), &layers, &inv.drift, state)?;
                Ok((inv, inputs, held))
            },
        ));
        self.pending = Some(pending);
    }

    /// Other data files: roles, view and path start afresh once they load.
    pub(super) fn start_opening_files(
        &mut self,
        ctx: &egui::Context,
        mut base: Investigation,
        baseline: PathBuf,
        current: PathBuf,
    ) {
        base.view = crate::session::ViewState::default();
        base.baseline = Some(baseline.clone());
        base.current = Some(current.clone());
        let pending = PendingLoad {
            files: Some((baseline, current)),
            path: Some(None),
            ..PendingLoad::default()
        };
        self.start_load(ctx, base, pending);
    }

    /// Re-resolves roles on the tables already in memory (a role changed): no file is read
    /// again, and the roles change only if they resolve.
    pub(super) fn start_resolve(
        &mut self,
        ctx: &egui::Context,
        inputs: &Inputs,
        inv: Investigation,
        app_roles: RoleOverrides,
    ) {
        if let Some(held) = &self.held {
            self.error = Some(format!(
                "{}; a profile's roles are fixed when it is made (`driftscope profile --role`)",
                held.needs_rows("Changing a role")
            ));
            return;
        }
        let layers = self.layers(&inv, &app_roles);
        let (baseline, current) = (inputs.baseline.clone(), inputs.current.clone());
        let wake_ctx = ctx.clone();
        self.job = Some(Job::spawn(
            self.executor,
            "resolve roles",
            move || wake_ctx.request_repaint(),
            move |state| {
                let inputs =
                    resolve_with(baseline, current, &layers, state).map_err(|e| e.to_string())?;
                Ok((inv, inputs, None))
            },
        ));
        self.pending = Some(PendingLoad {
            app_roles,
            ..PendingLoad::default()
        });
    }

    /// Writes the report (or the current slice's rows) in the background: hashing the inputs
    /// for the provenance reads them whole.
    pub(super) fn start_export(&mut self, ctx: &egui::Context, path: PathBuf, slice_rows: bool) {
        let Some(inputs) = self.inputs.clone() else {
            self.error = Some("open a baseline and a log first".to_owned());
            return;
        };
        let inv = self.investigation.clone();
        let report = self.report.clone();
        let study = self.replay.study_shared();
        let held = self.held.clone();
        let wake = ctx.clone();
        self.export_job = Some(Job::spawn(
            self.executor,
            "export",
            move || wake.request_repaint(),
            move |state| {
                let input_paths = [
                    inputs.baseline.path.as_path(),
                    inputs.current.path.as_path(),
                ];
                if slice_rows {
                    if let Some(held) = &held {
                        return Err(held.needs_rows("Exporting a slice's rows"));
                    }
                    state.stage("writing the slice's rows", 0);
                    let bytes = crate::export::slice_csv(&inputs, &inv.view.slice)?;
                    crate::fsutil::write_atomic(&path, &bytes, &input_paths)
                        .map_err(|e| e.to_string())?;
                    return Ok(vec![path]);
                }
                let report = report.ok_or("the drift report is not ready yet")?;
                state.stage("writing the report", 0);
                let mut doc = crate::export::document(&inv, &inputs, &report, study.as_deref());
                let mut json = crate::export::json::build_report_json(&inputs, Some(&report))
                    .map_err(|e| e.to_string())?;
                if let Some(held) = &held {
                    // The log it was made from, not the empty table the analysis read.
                    let files = match held.how {
                        Held::File => vec![(
                            inputs.current.path.display().to_string(),
                            json["inputs"]["current"]["sha256"]
                                .as_str()
                                .unwrap_or_default()
                                .to_owned(),
                        )],
                        Held::Batched { .. } => Vec::new(),
                    };
                    crate::export::restate_profiled_log(
                        Some(&mut doc),
                        Some(&mut json),
                        &held.profile.header,
                        &held.how(),
                        &files,
                    );
                }
                crate::export::write(&doc, Some(&json), &path, &input_paths)
            },
        ));
    }

    pub(super) fn poll_jobs(&mut self, ctx: &egui::Context) {
        if let Some(job) = &mut self.export_job {
            match job.poll() {
                JobPoll::Running => {}
                JobPoll::Done(result) => {
                    self.export_job = None;
                    match result {
                        Ok(written) => {
                            self.notice = Some(format!(
                                "Wrote {}",
                                written
                                    .first()
                                    .map(|p| p.display().to_string())
                                    .unwrap_or_default()
                            ))
                        }
                        Err(e) => self.error = Some(e),
                    }
                }
                JobPoll::Lost => {
                    let why = job.lost_message();
                    self.export_job = None;
                    self.error = Some(format!("{why} (an internal error); nothing was written"));
                }
            }
        }
        if let Some(r) = &mut self.report_job {
            match r.job.poll() {
                JobPoll::Running => {
                    // A part is ready: on screen now, the rest still measured.
                    if let Some(part) = r.part.lock().ok().and_then(|mut p| p.take()) {
                        self.report = Some(Arc::new(part));
                        self.report_current = true;
                    }
                }
                JobPoll::Done(result) => {
                    let Some(done) = self.report_job.take() else {
                        return;
                    };
                    self.report_current = true;
                    match result {
                        Ok(Some((report, workspace))) => {
                            self.investigation.drift = done.params;
                            self.on_report(report, workspace);
                        }
                        // Cancelled: the previous report and its settings stay.
                        Ok(None) => self.report = done.previous,
                        Err(e) => {
                            self.report = done.previous;
                            self.error = Some(format!("{e}; the previous results are still shown"));
                        }
                    }
                }
                JobPoll::Lost => {
                    let why = r.job.lost_message();
                    if let Some(lost) = self.report_job.take() {
                        self.report = lost.previous;
                    }
                    self.report_current = true;
                    self.error = Some(format!(
                        "{why} (an internal error); the previous results are still shown"
                    ));
                }
            }
        }
        self.focus.poll();
        self.timeline.poll();
        self.compared.poll();
        self.replay.poll();
        let Some(job) = &mut self.job else { return };
        let result = match job.poll() {
            JobPoll::Running => return,
            JobPoll::Done(result) => result,
            JobPoll::Lost => Err(format!("{} (an internal error)", job.lost_message())),
        };
        self.job = None;
        let pending = self.pending.take().unwrap_or_default();
        match result {
            Ok((inv, inputs, held)) => self.on_loaded(ctx, inv, (inputs, held), pending),
            Err(e) => {
                // Nothing changed: what was open stays, and a restore is offered again.
                self.error = Some(format!("{e}; what was open before is still shown"));
                if pending.restored.is_some() {
                    self.recovered = pending.restored;
                }
            }
        }
    }

    /// A load succeeded: only now does it change what is open (see [`PendingLoad`]).
    pub(super) fn on_loaded(
        &mut self,
        ctx: &egui::Context,
        inv: Investigation,
        (inputs, held): (Inputs, Option<HeldProfile>),
        pending: PendingLoad,
    ) {
        if let Some(path) = pending.opened {
            self.saved = inv.clone();
            self.remember(RecentItem::Investigation(path.clone()));
            self.path = Some(path);
        }
        if let Some(path) = pending.path {
            self.path = path;
        }
        if let Some((baseline, current)) = pending.files {
            // Other files: results of the previous ones would mislead.
            self.focus.clear();
            self.timeline.clear();
            self.compared.clear();
            self.replay.clear();
            self.drafts.replay.forget_row();
            self.remember(RecentItem::Files { baseline, current });
        }
        self.app_roles = pending.app_roles;
        let params = inv.drift.clone();
        self.investigation = inv;
        if let Some(old) = self.inputs.replace(Arc::new(inputs)) {
            crate::jobs::drop_in_background(old);
        }
        self.held = held.map(Arc::new);
        self.inputs_generation += 1;
        self.error = None;
        self.drafts.settings = None;
        self.start_report(ctx, params);
    }

    pub(super) fn on_report(&mut self, report: DriftReport, workspace: Workspace) {
        // Filling in the view's defaults is not a change the user made.
        let was_clean = !self.is_dirty();
        self.fill_view_defaults(&report, &workspace);
        if was_clean {
            self.saved = self.investigation.clone();
        }
        self.report = Some(Arc::new(report));
        // The old workspace may be gigabytes in millions of pieces: given back off this frame.
        if let Some(old) = self.workspace.replace(Arc::new(workspace)) {
            crate::jobs::drop_in_background(old);
        }
        self.generation += 1;
    }

    pub(super) fn fill_view_defaults(&mut self, report: &DriftReport, workspace: &Workspace) {
        let view = &mut self.investigation.view;
        let columns: Vec<&str> = workspace.columns().map(|(n, _, _)| n).collect();
        if view
            .feature
            .as_deref()
            .is_none_or(|f| !columns.contains(&f))
        {
            // The worst feature first: what the analyst most likely wants to see.
            view.feature = report
                .overall()
                .filter(|f| f.role == Role::Feature)
                .max_by(|a, b| {
                    a.drift
                        .drifted
                        .cmp(&b.drift.drifted)
                        .then(slice::severity(&a.drift).total_cmp(&slice::severity(&b.drift)))
                })
                .or_else(|| report.overall().next())
                .map(|f| f.drift.column.clone());
        }
        if view
            .segment
            .as_deref()
            .is_none_or(|s| !report.segments.iter().any(|m| m.column == s))
        {
            // The segment column whose mix moved most (a value new to the baseline first): where
            // the analyst is most likely to look.
            let moved = |m: &crate::analysis::report::SegmentMix| {
                (
                    m.values.iter().any(|v| v.absent_from_baseline),
                    m.js_distance.unwrap_or(0.0),
                )
            };
            view.segment = report
                .segments
                .iter()
                .filter(|m| m.role == Role::Segment)
                .max_by(|a, b| {
                    let (na, ja) = moved(a);
                    let (nb, jb) = moved(b);
                    na.cmp(&nb).then(ja.total_cmp(&jb))
                })
                .or_else(|| report.segments.first())
                .map(|m| m.column.clone());
        }
    }

    /// Starts the analyses the view needs and does not have yet.
    pub(super) fn schedule(&mut self, ctx: &egui::Context) {
        let (Some(inputs), Some(ws)) = (self.inputs.clone(), self.workspace.clone()) else {
            return;
        };
        if self.job.is_some() || self.report_job.is_some() {
            // New inputs or settings are coming: wait for their workspace.
            return;
        }
        let window_micros = match &ws.window {
            Some(crate::analysis::windows::WindowSpec::Period { seconds, .. }) => {
                seconds * 1_000_000
            }
            _ => 86_400_000_000,
        };
        if self.held.is_none() {
            self.replay.schedule(
                ctx,
                self.executor,
                &inputs,
                self.inputs_generation,
                replay::Request {
                    settings: &self.investigation.replay,
                    slice: &self.investigation.view.slice,
                    window_micros,
                },
            );
        }
        let view = &self.investigation.view;
        let key = FocusKey {
            generation: self.generation,
            slice: view.slice.clone(),
            segment: view.segment.clone(),
            reference: view.reference,
        };
        if self.focus.wanted(&key) {
            let (inputs, ws, k) = (inputs.clone(), ws.clone(), key.clone());
            self.focus.start_previewed(
                key,
                self.executor,
                "slice",
                repaint(ctx),
                move |state, preview| {
                    let baseline = SliceDef::whole(Side::Baseline);
                    // The cells' answer first (milliseconds), then the exact one from the rows;
                    // the heatmap is the same in both.
                    let quick = slice::compare_preview(&ws, &inputs, &k.slice, &baseline, state);
                    let heatmap = match &k.segment {
                        Some(seg) => {
                            match slice::heatmap(&ws, &inputs, &k.slice, seg, k.reference, state)? {
                                Some(h) => Some(h),
                                None => return Ok(None),
                            }
                        }
                        None => None,
                    };
                    match quick {
                        // Every column exact from the cells already: nothing left to measure.
                        Some(comparison) if comparison.columns.iter().all(|c| c.drift.exact) => {
                            return Ok(Some(Focus {
                                comparison,
                                heatmap,
                            }));
                        }
                        Some(comparison) => preview.show(Focus {
                            comparison,
                            heatmap: heatmap.clone(),
                        }),
                        None => {}
                    }
                    let Some(comparison) =
                        slice::compare(&ws, &inputs, &k.slice, &baseline, state)?
                    else {
                        return Ok(None);
                    };
                    Ok(Some(Focus {
                        comparison,
                        heatmap,
                    }))
                },
            );
        }
        if let (Some(column), Some(spec)) = (view.feature.clone(), ws.window.clone()) {
            let key = TimelineKey {
                generation: self.generation,
                column,
                within: view.slice.without_time(),
                segment: view.segment.clone(),
            };
            if self.timeline.wanted(&key) {
                let (inputs, ws, k) = (inputs.clone(), ws.clone(), key.clone());
                self.timeline.start_previewed(
                    key,
                    self.executor,
                    "timeline",
                    repaint(ctx),
                    move |state, preview| {
                        let (column, segment) = (k.column.as_str(), k.segment.as_deref());
                        // The drift lines from the cells first, then the score and latency bands.
                        if let Ok(Some(t)) = slice::timeline_preview(
                            &ws, &inputs, &spec, column, &k.within, segment, state,
                        ) {
                            preview.show(t);
                        }
                        slice::timeline(&ws, &inputs, &spec, column, &k.within, segment, state)
                    },
                );
            }
        }
        let (a, b) = (&view.compare_a, &view.compare_b);
        // A comparison of the whole log against the whole baseline is the overview: the compare
        // panel runs only once slices are defined.
        if !(a.is_whole() && b.is_whole()) {
            let key = CompareKey {
                generation: self.generation,
                a: a.clone(),
                b: b.clone(),
            };
            if self.compared.wanted(&key) {
                let k = key.clone();
                self.compared
                    .start(key, self.executor, "compare", repaint(ctx), move |state| {
                        slice::compare(&ws, &inputs, &k.a, &k.b, state)
                    });
            }
        }
    }

    /// The running job to show in the status bar: loading first, then the report, then slices.
    pub(super) fn running(&self) -> Option<(&JobState, Duration)> {
        fn of<T: Send + 'static>(j: &Job<T>) -> (&JobState, Duration) {
            (j.state(), j.elapsed())
        }
        self.job
            .as_ref()
            .map(|j| (j.state(), j.elapsed()))
            .or_else(|| {
                self.report_job
                    .as_ref()
                    .map(|r| (r.job.state(), r.job.elapsed()))
            })
            .or_else(|| self.focus.running().map(of))
            .or_else(|| self.timeline.running().map(of))
            .or_else(|| self.compared.running().map(of))
            .or_else(|| self.replay.running().map(of))
            .or_else(|| self.export_job.as_ref().map(of))
    }
}
