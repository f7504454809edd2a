//! The desktop app (eframe). Panels draw the current state and return commands; the app applies
//! them once per frame. Every analysis runs as a background job keyed by what it depends on: when
//! the view asks for something the last result does not answer (another slice, another segment
//! column, another feature), a new job starts and the previous one is dropped (cancelled), while
//! the previous result stays on screen until the new one arrives. An error never throws away what
//! is loaded.

mod compare;
mod data_panel;
mod feature;
mod findings;
mod overview;
mod replay;
mod segments;
mod settings;
mod slices;
pub mod theme;
mod time;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use eframe::egui::{self, RichText};

use crate::analysis::Workspace;
use crate::analysis::slice::{self, Heatmap, SliceComparison, Timeline};
use crate::analysis::{
    DriftParams, DriftReport, Predicate, Reference, Side, SliceDef, run_drift_report_parts,
};
use crate::data::{Inputs, OverrideLayers, Role, RoleOverrides, load_inputs, resolve};
use crate::jobs::{Executor, Job, JobPoll, JobState};
use crate::session::local::{Autosave, Recent, RecentItem, default_state_dir};
use crate::session::{DetailSource, Investigation, View};

/// The panels (the same as the investigation file's `View`).
pub type Tab = View;

/// What to open at start.
#[derive(Clone, Debug)]
pub enum Launch {
    /// An investigation file (the sample one when started without arguments).
    Investigation(PathBuf),
    /// A baseline and a log, with role overrides from the command line.
    Files {
        baseline: PathBuf,
        current: PathBuf,
        roles: RoleOverrides,
    },
    /// Nothing: an empty window that says how to open files.
    Empty,
}

/// Where the app keeps recent files and its autosave (`None`: nowhere, nothing is kept).
#[derive(Clone, Debug)]
pub struct AppConfig {
    pub state_dir: Option<PathBuf>,
    /// Show the frame-time overlay from the start (`DRIFTSCOPE_FRAME_TIMES=1`).
    pub frame_times: bool,
    /// How often unsaved changes are written to the autosave, at most.
    pub autosave_every: Duration,
}

impl Default for AppConfig {
    fn default() -> Self {
        Self {
            state_dir: default_state_dir(),
            frame_times: std::env::var_os("DRIFTSCOPE_FRAME_TIMES").is_some_and(|v| v == "1"),
            autosave_every: Duration::from_secs(2),
        }
    }
}

/// Something a panel asks the app to do.
#[derive(Clone, Debug, PartialEq)]
pub enum AppCommand {
    OpenInvestigation(PathBuf),
    OpenFiles {
        baseline: PathBuf,
        current: PathBuf,
    },
    OpenRecent(RecentItem),
    PickInvestigation,
    PickFiles,
    /// Files dropped onto the window.
    Dropped(Vec<PathBuf>),
    Save,
    SaveAs(PathBuf),
    PickSaveAs,
    RestoreAutosave,
    DiscardAutosave,
    Reload,
    SetRole {
        column: String,
        role: Role,
    },
    SetParams(DriftParams),
    CancelJob,
    DismissError,
    ToggleTheme,
    ToggleFrameTimes,
    ShowTab(Tab),
    /// Show a column in the feature panel (measured on the current slice).
    SelectFeature(String),
    SetSegment(String),
    SetReference(Reference),
    /// Replace the current slice of the log.
    SetSlice(SliceDef),
    /// Add a predicate to the current slice (replacing one on the same column, or time).
    Narrow(Predicate),
    RemovePredicate(usize),
    /// A heatmap cell: the slice becomes that segment value, the feature panel shows the column.
    OpenCell {
        segment: String,
        value: String,
        column: String,
    },
    /// Compare slice A against slice B.
    RunCompare {
        a: SliceDef,
        b: SliceDef,
    },
    /// Show a column of the A-vs-B comparison in the feature panel.
    ShowCompared(String),
    /// The models and mapping of the replay panel.
    SetReplay(crate::replay::study::ReplaySettings),
    /// Choose the production (or candidate) model file with a dialog.
    PickModel {
        candidate: bool,
    },
    /// Add a finding (from a panel's "Pin" button).
    Pin(Box<crate::session::findings::Finding>),
    UpdateFinding(usize, Box<crate::session::findings::Finding>),
    MoveFinding {
        from: usize,
        to: usize,
    },
    DeleteFinding(usize),
    /// Add the findings a headless report would propose.
    ProposeFindings,
    /// Export the report (HTML, Markdown or JSON by the extension).
    Export(PathBuf),
    PickExport,
    /// Write the current slice's rows as CSV.
    ExportSlice(PathBuf),
    PickExportSlice,
}

type LoadResult = Result<(Investigation, Inputs), String>;
type ReportResult = Option<(DriftReport, Workspace)>;
type SliceResult<T> = Result<Option<T>, String>;

/// The current slice against the baseline, and the heatmap within it.
pub struct Focus {
    pub comparison: SliceComparison,
    pub heatmap: Option<Heatmap>,
}

/// What a focus result was computed for.
#[derive(Clone, Debug, PartialEq)]
struct FocusKey {
    generation: u64,
    slice: SliceDef,
    segment: Option<String>,
    reference: Reference,
}

#[derive(Clone, Debug, PartialEq)]
struct TimelineKey {
    generation: u64,
    column: String,
    within: SliceDef,
    segment: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
struct CompareKey {
    generation: u64,
    a: SliceDef,
    b: SliceDef,
}

/// A result kept on screen, the job computing its successor, and what each was asked for.
struct Derived<K, T> {
    shown: Option<(K, Arc<T>)>,
    job: Option<(K, Job<SliceResult<T>>)>,
    error: Option<(K, String)>,
}

impl<K: PartialEq + Clone, T> Default for Derived<K, T> {
    fn default() -> Self {
        Self {
            shown: None,
            job: None,
            error: None,
        }
    }
}

impl<K: PartialEq + Clone, T: Send + 'static> Derived<K, T> {
    fn value(&self) -> Option<&T> {
        self.shown.as_ref().map(|(_, v)| v.as_ref())
    }

    /// The shown result answers `key` exactly (not a previous question).
    fn is_current(&self, key: &K) -> bool {
        self.shown.as_ref().is_some_and(|(k, _)| k == key)
    }

    fn wanted(&self, key: &K) -> bool {
        !self.is_current(key)
            && self.job.as_ref().is_none_or(|(k, _)| k != key)
            && self.error.as_ref().is_none_or(|(k, _)| k != key)
    }

    fn start(
        &mut self,
        key: K,
        executor: Executor,
        name: &str,
        ctx: &egui::Context,
        work: impl FnOnce(&JobState) -> SliceResult<T> + Send + 'static,
    ) {
        let wake = ctx.clone();
        self.error = None;
        self.job = Some((
            key,
            Job::spawn(executor, name, move || wake.request_repaint(), work),
        ));
    }

    fn poll(&mut self) {
        let Some((_, job)) = &mut self.job else {
            return;
        };
        let done = match job.poll() {
            JobPoll::Running => return,
            JobPoll::Done(result) => result,
            JobPoll::Lost => Err(format!("{} (an internal error)", job.lost_message())),
        };
        let Some((key, _)) = self.job.take() else {
            return;
        };
        match done {
            Ok(Some(value)) => self.shown = Some((key, Arc::new(value))),
            Ok(None) => {}
            Err(e) => self.error = Some((key, e)),
        }
    }

    fn running(&self) -> Option<&Job<SliceResult<T>>> {
        self.job.as_ref().map(|(_, j)| j)
    }

    fn cancel(&mut self) {
        if let Some((_, job)) = self.job.take() {
            job.cancel();
        }
    }

    fn clear(&mut self) {
        self.cancel();
        self.shown = None;
        self.error = None;
    }
}

/// UI-thread time of the last frames, for the frame-time overlay and the benchmark.
#[derive(Default)]
pub struct FrameTimes {
    recent: std::collections::VecDeque<Duration>,
}

impl FrameTimes {
    const KEEP: usize = 240;

    fn push(&mut self, d: Duration) {
        if self.recent.len() == Self::KEEP {
            self.recent.pop_front();
        }
        self.recent.push_back(d);
    }

    /// The slowest and the mean of the kept frames.
    pub fn worst_and_mean(&self) -> Option<(Duration, Duration)> {
        let max = self.recent.iter().max().copied()?;
        let sum: Duration = self.recent.iter().sum();
        Some((max, sum / self.recent.len() as u32))
    }

    pub fn all(&self) -> impl Iterator<Item = &Duration> {
        self.recent.iter()
    }
}

/// What a load changes when, and only when, it succeeds: until then the files, roles, view,
/// path and Recent files of what is open stay as they are, and a failure leaves them so.
#[derive(Default)]
struct PendingLoad {
    /// An investigation file being opened: it becomes the one saved to and goes to Recent.
    opened: Option<PathBuf>,
    /// Other data files: the previous files' derived results are dropped and the pair goes to
    /// Recent.
    files: Option<(PathBuf, PathBuf)>,
    /// The path the investigation will have (`None`: unchanged).
    path: Option<Option<PathBuf>>,
    /// The roles set in the app once the load lands.
    app_roles: RoleOverrides,
    /// An autosave being restored: offered again if the load fails.
    restored: Option<Autosave>,
}

/// The report being measured: its job, the settings it measures with (the investigation's only
/// once it lands) and the latest part it has handed out, not yet on screen.
struct ReportJob {
    job: Job<ReportResult>,
    params: DriftParams,
    part: Arc<Mutex<Option<DriftReport>>>,
    /// The finished report that was on screen before: back on screen if this one never
    /// finishes (cancelled or failed), so no half-measured report of unapplied settings stays.
    previous: Option<Arc<DriftReport>>,
}

pub struct DriftscopeApp {
    executor: Executor,
    config: AppConfig,
    investigation: Investigation,
    /// Where the investigation was opened from or last saved to.
    path: Option<PathBuf>,
    /// What the running load changes when, and only when, it succeeds.
    pending: Option<PendingLoad>,
    /// Roles given on the command line that opened the app (`driftscope open B L --role …`).
    launch_roles: RoleOverrides,
    /// Roles set in the app since the investigation was opened or saved.
    app_roles: RoleOverrides,
    /// The investigation as last opened or saved: differing from it means unsaved changes.
    saved: Investigation,
    /// What the autosave holds now (written again only when this differs).
    autosaved: Option<Investigation>,
    last_autosave: Instant,
    /// An autosave left by a run that did not end cleanly, offered for restoring.
    recovered: Option<Autosave>,
    recent: Recent,
    inputs: Option<Arc<Inputs>>,
    job: Option<Job<LoadResult>>,
    /// The drift report of the current inputs; the previous one stays until a new one is ready.
    report: Option<Arc<DriftReport>>,
    workspace: Option<Arc<Workspace>>,
    /// Bumped with every new workspace, so derived results know they are stale.
    generation: u64,
    /// The report being measured.
    report_job: Option<ReportJob>,
    /// The report on screen answers the running report job (a part of it), not an older
    /// question.
    report_current: bool,
    focus: Derived<FocusKey, Focus>,
    timeline: Derived<TimelineKey, Timeline>,
    compared: Derived<CompareKey, SliceComparison>,
    replay: replay::ReplayState,
    export_job: Option<Job<Result<Vec<PathBuf>, String>>>,
    autosave_job: Option<Job<Result<(), String>>>,
    /// Bumped whenever other inputs (files or roles) are loaded.
    inputs_generation: u64,
    /// Drafts of the panels (edited text, slice editors): not part of the investigation until
    /// applied.
    drafts: Drafts,
    error: Option<String>,
    notice: Option<String>,
    dark: bool,
    theme_applied: Option<bool>,
    show_frame_times: bool,
    frame_times: FrameTimes,
    window_title: String,
}

/// Panel state that is being edited and not yet applied.
#[derive(Default)]
pub(crate) struct Drafts {
    pub compare: compare::CompareDraft,
    pub settings: Option<settings::SettingsDraft>,
    pub time: time::TimeDraft,
    /// A baseline dropped alone, waiting for its log.
    pub dropped_baseline: Option<PathBuf>,
}

impl DriftscopeApp {
    pub fn new(ctx: &egui::Context, launch: Launch, executor: Executor, config: AppConfig) -> Self {
        let recent = config
            .state_dir
            .as_deref()
            .map(Recent::load)
            .unwrap_or_default();
        let recovered = config.state_dir.as_deref().and_then(Autosave::read);
        let mut app = Self {
            executor,
            show_frame_times: config.frame_times,
            config,
            investigation: Investigation::default(),
            path: None,
            pending: None,
            launch_roles: RoleOverrides::default(),
            app_roles: RoleOverrides::default(),
            saved: Investigation::default(),
            autosaved: None,
            last_autosave: Instant::now(),
            recovered,
            recent,
            inputs: None,
            job: None,
            report: None,
            workspace: None,
            generation: 0,
            report_job: None,
            report_current: true,
            focus: Derived::default(),
            timeline: Derived::default(),
            compared: Derived::default(),
            replay: replay::ReplayState::default(),
            export_job: None,
            autosave_job: None,
            inputs_generation: 0,
            drafts: Drafts::default(),
            error: None,
            notice: None,
            dark: ctx.global_style().visuals.dark_mode,
            theme_applied: None,
            frame_times: FrameTimes::default(),
            window_title: String::new(),
        };
        match launch {
            Launch::Investigation(path) => app.apply(ctx, AppCommand::OpenInvestigation(path)),
            Launch::Files {
                baseline,
                current,
                roles,
            } => {
                let mut base = app.investigation.clone();
                base.roles = roles.clone();
                app.launch_roles = roles;
                app.start_opening_files(ctx, base, baseline, current);
            }
            Launch::Empty => {}
        }
        app
    }

    /// What is loaded now (for tests and panels).
    pub fn inputs(&self) -> Option<&Inputs> {
        self.inputs.as_deref()
    }

    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    pub fn investigation(&self) -> &Investigation {
        &self.investigation
    }

    /// Where the investigation was opened from or saved to.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Changes since the investigation was opened or saved.
    pub fn is_dirty(&self) -> bool {
        self.investigation != self.saved
    }

    pub fn recent(&self) -> &Recent {
        &self.recent
    }

    /// An autosave from a run that did not end cleanly, if one is offered.
    pub fn recovered(&self) -> Option<&Autosave> {
        self.recovered.as_ref()
    }

    pub fn is_busy(&self) -> bool {
        self.job.is_some()
            || self.report_job.is_some()
            || self.focus.job.is_some()
            || self.timeline.job.is_some()
            || self.compared.job.is_some()
            || self.replay.is_busy()
            || self.export_job.is_some()
    }

    /// The drift report shown (for tests and panels).
    pub fn report(&self) -> Option<&DriftReport> {
        self.report.as_deref()
    }

    /// The current slice against the baseline, and the heatmap (for tests and panels).
    pub fn focus(&self) -> Option<&Focus> {
        self.focus.value()
    }

    pub fn timeline(&self) -> Option<&Timeline> {
        self.timeline.value()
    }

    /// The last A-vs-B comparison.
    pub fn compared(&self) -> Option<&SliceComparison> {
        self.compared.value()
    }

    /// The replay study shown (for tests and panels).
    pub fn replay_study(&self) -> Option<&crate::replay::study::ReplayStudy> {
        self.replay.study()
    }

    /// Why the last replay or what-if failed.
    pub fn replay_error(&self) -> Option<&str> {
        self.replay.error()
    }

    /// The last what-if answers: production and candidate.
    pub fn what_if(&self) -> Option<&(crate::replay::Outputs, Option<crate::replay::Outputs>)> {
        self.replay.what_if()
    }

    pub fn tab(&self) -> Tab {
        self.investigation.view.view
    }

    pub fn frame_times(&self) -> &FrameTimes {
        &self.frame_times
    }

    fn title(&self) -> String {
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

    /// Measures drift on the loaded inputs in the background; a running measurement of older
    /// inputs is cancelled (dropping its job cancels it).
    fn start_report(&mut self, ctx: &egui::Context, params: DriftParams) {
        let Some(inputs) = self.inputs.clone() else {
            return;
        };
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
                run_drift_report_parts(&inputs, &asked, state, Some(&hand_out))
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
    fn measuring(&self) -> &DriftParams {
        self.report_job
            .as_ref()
            .map_or(&self.investigation.drift, |r| &r.params)
    }

    /// The role layers of `inv` as the app knows them: the file's, then the command line's, then
    /// those set in the app, each said as such in the roles' reasons.
    fn layers(&self, inv: &Investigation, app_roles: &RoleOverrides) -> OverrideLayers {
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
    fn start_load(&mut self, ctx: &egui::Context, base: Investigation, pending: PendingLoad) {
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
                state.stage(
                    format!(
                        "loading {} and {}",
                        b.file_name().unwrap_or_default().to_string_lossy(),
                        c.file_name().unwrap_or_default().to_string_lossy()
                    ),
                    0,
                );
                let inputs = load_inputs(&b, &c, &layers).map_err(|e| e.to_string())?;
                Ok((inv, inputs))
            },
        ));
        self.pending = Some(pending);
    }

    /// Other data files: roles, view and path start afresh once they load.
    fn start_opening_files(
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
    fn start_resolve(
        &mut self,
        ctx: &egui::Context,
        inputs: &Inputs,
        inv: Investigation,
        app_roles: RoleOverrides,
    ) {
        let layers = self.layers(&inv, &app_roles);
        let (baseline, current) = (inputs.baseline.clone(), inputs.current.clone());
        let wake_ctx = ctx.clone();
        self.job = Some(Job::spawn(
            self.executor,
            "resolve roles",
            move || wake_ctx.request_repaint(),
            move |state| {
                state.stage("resolving roles", 0);
                let inputs = resolve(baseline, current, &layers).map_err(|e| e.to_string())?;
                Ok((inv, inputs))
            },
        ));
        self.pending = Some(PendingLoad {
            app_roles,
            ..PendingLoad::default()
        });
    }

    fn remember(&mut self, item: RecentItem) {
        self.recent.push(item);
        if let Some(dir) = &self.config.state_dir
            && let Err(e) = self.recent.save(dir)
        {
            self.notice = Some(format!("cannot remember recent files: {e}"));
        }
    }

    fn save_to(&mut self, path: PathBuf) {
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

    /// Files dropped on the window: an investigation opens; two data files open as baseline and
    /// log (the one named like a training set is the baseline); one data file becomes the log
    /// of what is open, or waits for its partner.
    fn dropped(&mut self, ctx: &egui::Context, paths: Vec<PathBuf>) {
        let is_inv = |p: &PathBuf| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("ron"));
        if let Some(inv) = paths.iter().find(|p| is_inv(p)) {
            self.apply(ctx, AppCommand::OpenInvestigation(inv.clone()));
            return;
        }
        let looks_baseline = |p: &PathBuf| {
            let n = p
                .file_name()
                .map(|n| n.to_string_lossy().to_lowercase())
                .unwrap_or_default();
            ["baseline", "train", "reference", "ref_"]
                .iter()
                .any(|k| n.contains(k))
        };
        match paths.as_slice() {
            [] => {}
            [one] => {
                if let Some(baseline) = self.drafts.dropped_baseline.take() {
                    self.apply(
                        ctx,
                        AppCommand::OpenFiles {
                            baseline,
                            current: one.clone(),
                        },
                    );
                } else if looks_baseline(one) || self.investigation.baseline.is_none() {
                    self.drafts.dropped_baseline = Some(one.clone());
                    self.notice = Some(format!(
                        "{} will be the baseline: now drop the production log",
                        one.display()
                    ));
                } else if let Some(baseline) = self.investigation.baseline.clone() {
                    self.notice = Some(format!(
                        "Opening {} as the log against the same baseline",
                        one.display()
                    ));
                    self.apply(
                        ctx,
                        AppCommand::OpenFiles {
                            baseline,
                            current: one.clone(),
                        },
                    );
                }
            }
            [a, b, ..] => {
                let (baseline, current) = if looks_baseline(b) && !looks_baseline(a) {
                    (b.clone(), a.clone())
                } else {
                    (a.clone(), b.clone())
                };
                if paths.len() > 2 {
                    self.notice = Some(format!(
                        "{} files dropped: opening the first two",
                        paths.len()
                    ));
                }
                self.apply(ctx, AppCommand::OpenFiles { baseline, current });
            }
        }
    }

    /// Carries out a command (menus, panels, shortcuts and tests all come through here).
    pub fn apply(&mut self, ctx: &egui::Context, command: AppCommand) {
        let view = &mut self.investigation.view;
        match command {
            AppCommand::OpenInvestigation(path) => {
                let pending = PendingLoad {
                    opened: Some(path),
                    ..PendingLoad::default()
                };
                self.start_load(ctx, self.investigation.clone(), pending);
            }
            AppCommand::OpenFiles { baseline, current } => {
                let mut base = self.investigation.clone();
                base.roles = self.launch_roles.clone();
                self.start_opening_files(ctx, base, baseline, current);
            }
            AppCommand::OpenRecent(item) => match item {
                RecentItem::Investigation(p) => self.apply(ctx, AppCommand::OpenInvestigation(p)),
                RecentItem::Files { baseline, current } => {
                    self.apply(ctx, AppCommand::OpenFiles { baseline, current })
                }
            },
            AppCommand::PickInvestigation => {
                if let Some(path) = rfd::FileDialog::new()
                    .set_title("Open investigation")
                    .add_filter("driftscope investigation", &["ron"])
                    .pick_file()
                {
                    self.apply(ctx, AppCommand::OpenInvestigation(path));
                }
            }
            AppCommand::PickFiles => {
                let filter = ["csv", "tsv", "parquet", "pq", "jsonl", "ndjson", "json"];
                let baseline = rfd::FileDialog::new()
                    .set_title("Open the training baseline")
                    .add_filter("data", &filter)
                    .pick_file();
                let current = baseline.as_ref().and_then(|_| {
                    rfd::FileDialog::new()
                        .set_title("Open the production log")
                        .add_filter("data", &filter)
                        .pick_file()
                });
                if let (Some(baseline), Some(current)) = (baseline, current) {
                    self.apply(ctx, AppCommand::OpenFiles { baseline, current });
                }
            }
            AppCommand::Dropped(paths) => self.dropped(ctx, paths),
            AppCommand::Save => match self.path.clone() {
                Some(path) => self.save_to(path),
                None => self.apply(ctx, AppCommand::PickSaveAs),
            },
            AppCommand::SaveAs(path) => self.save_to(path),
            AppCommand::PickSaveAs => {
                if let Some(path) = rfd::FileDialog::new()
                    .set_title("Save investigation")
                    .add_filter("driftscope investigation", &["ron"])
                    .set_file_name("investigation.driftscope.ron")
                    .save_file()
                {
                    self.save_to(path);
                }
            }
            AppCommand::RestoreAutosave => {
                if let Some(record) = self.recovered.take() {
                    let base = record.investigation.clone();
                    let pending = PendingLoad {
                        path: Some(record.path.clone()),
                        restored: Some(record),
                        ..PendingLoad::default()
                    };
                    self.start_load(ctx, base, pending);
                }
            }
            AppCommand::DiscardAutosave => {
                self.recovered = None;
                if let Some(dir) = &self.config.state_dir {
                    Autosave::clear(dir);
                }
            }
            AppCommand::Reload => {
                let pending = PendingLoad {
                    app_roles: self.app_roles.clone(),
                    ..PendingLoad::default()
                };
                self.start_load(ctx, self.investigation.clone(), pending);
            }
            AppCommand::SetRole { column, role } => {
                let mut inv = self.investigation.clone();
                inv.roles.set(column.clone(), role);
                let mut app_roles = self.app_roles.clone();
                app_roles.set(column, role);
                match self.inputs.clone() {
                    Some(inputs) => self.start_resolve(ctx, &inputs, inv, app_roles),
                    None => {
                        let pending = PendingLoad {
                            app_roles,
                            ..PendingLoad::default()
                        };
                        self.start_load(ctx, inv, pending);
                    }
                }
            }
            AppCommand::SetParams(params) => {
                // The settings become the investigation's when their report lands.
                if &params != self.measuring() {
                    self.start_report(ctx, params);
                }
            }
            AppCommand::CancelJob => {
                if let Some(job) = self.job.take() {
                    self.pending = None;
                    job.cancel();
                } else if let Some(r) = self.report_job.take() {
                    r.job.cancel();
                    self.report = r.previous;
                    self.report_current = true;
                } else {
                    self.focus.cancel();
                    self.timeline.cancel();
                    self.compared.cancel();
                    self.replay.cancel();
                }
            }
            AppCommand::DismissError => {
                self.error = None;
                self.notice = None;
            }
            AppCommand::ToggleTheme => self.dark = !self.dark,
            AppCommand::ToggleFrameTimes => self.show_frame_times = !self.show_frame_times,
            AppCommand::ShowTab(tab) => view.view = tab,
            AppCommand::SelectFeature(column) => {
                view.feature = Some(column);
                view.detail = DetailSource::Slice;
            }
            AppCommand::SetSegment(column) => view.segment = Some(column),
            AppCommand::SetReference(reference) => view.reference = reference,
            AppCommand::SetSlice(slice) => view.slice = slice,
            AppCommand::Narrow(p) => view.slice = std::mem::take(&mut view.slice).with(p),
            AppCommand::RemovePredicate(i) => {
                if i < view.slice.predicates.len() {
                    view.slice.predicates.remove(i);
                }
            }
            AppCommand::OpenCell {
                segment,
                value,
                column,
            } => {
                view.slice = std::mem::take(&mut view.slice).with(Predicate::OneOf {
                    column: segment,
                    values: vec![value],
                });
                view.feature = Some(column);
                view.detail = DetailSource::Slice;
                view.view = View::Feature;
            }
            AppCommand::RunCompare { a, b } => {
                view.compare_a = a;
                view.compare_b = b;
            }
            AppCommand::ShowCompared(column) => {
                view.feature = Some(column);
                view.detail = DetailSource::Compare;
                view.view = View::Feature;
            }
            AppCommand::SetReplay(settings) => self.investigation.replay = settings,
            AppCommand::Pin(finding) => {
                self.notice = Some(format!(
                    "Pinned: {} (finding {} in the Findings panel)",
                    finding.title,
                    self.investigation.findings.len() + 1
                ));
                self.investigation.findings.push(*finding);
            }
            AppCommand::UpdateFinding(i, finding) => {
                if let Some(f) = self.investigation.findings.get_mut(i) {
                    *f = *finding;
                }
            }
            AppCommand::MoveFinding { from, to } => {
                let n = self.investigation.findings.len();
                if from < n && to < n {
                    let f = self.investigation.findings.remove(from);
                    self.investigation.findings.insert(to, f);
                }
            }
            AppCommand::DeleteFinding(i) => {
                if i < self.investigation.findings.len() {
                    self.investigation.findings.remove(i);
                }
            }
            AppCommand::ProposeFindings => {
                if let Some(report) = &self.report {
                    let skew = self.replay.study().and_then(|s| s.skew.as_ref());
                    self.investigation
                        .findings
                        .extend(crate::export::findings::automatic(report, skew));
                }
            }
            AppCommand::PickExport => {
                if let Some(path) = rfd::FileDialog::new()
                    .set_title("Export report")
                    .add_filter("HTML", &["html"])
                    .add_filter("Markdown", &["md"])
                    .add_filter("JSON", &["json"])
                    .set_file_name("report.html")
                    .save_file()
                {
                    self.apply(ctx, AppCommand::Export(path));
                }
            }
            AppCommand::Export(path) => self.start_export(ctx, path, false),
            AppCommand::PickExportSlice => {
                if let Some(path) = rfd::FileDialog::new()
                    .set_title("Export the slice's rows")
                    .add_filter("CSV", &["csv"])
                    .set_file_name("slice.csv")
                    .save_file()
                {
                    self.apply(ctx, AppCommand::ExportSlice(path));
                }
            }
            AppCommand::ExportSlice(path) => self.start_export(ctx, path, true),
            AppCommand::PickModel { candidate } => {
                if let Some(path) = rfd::FileDialog::new()
                    .set_title(if candidate {
                        "Choose the candidate model"
                    } else {
                        "Choose the production model"
                    })
                    .add_filter("ONNX model", &["onnx"])
                    .pick_file()
                {
                    let mut next = self.investigation.replay.clone();
                    if candidate {
                        next.candidate = Some(path);
                    } else {
                        next.model = Some(path);
                    }
                    self.investigation.replay = next;
                }
            }
        }
    }

    /// Writes the report (or the current slice's rows) in the background: hashing the inputs
    /// for the provenance reads them whole.
    fn start_export(&mut self, ctx: &egui::Context, path: PathBuf, slice_rows: bool) {
        let Some(inputs) = self.inputs.clone() else {
            self.error = Some("open a baseline and a log first".to_owned());
            return;
        };
        let inv = self.investigation.clone();
        let report = self.report.clone();
        let study = self.replay.study_shared();
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
                    state.stage("writing the slice's rows", 0);
                    let bytes = crate::export::slice_csv(&inputs, &inv.view.slice)?;
                    crate::fsutil::write_atomic(&path, &bytes, &input_paths)
                        .map_err(|e| e.to_string())?;
                    return Ok(vec![path]);
                }
                let report = report.ok_or("the drift report is not ready yet")?;
                state.stage("writing the report", 0);
                let doc = crate::export::document(&inv, &inputs, &report, study.as_deref());
                let json = crate::cli::build_report_json(&inputs, Some(&report))
                    .map_err(|e| e.to_string())?;
                crate::export::write(&doc, Some(&json), &path, &input_paths)
            },
        ));
    }

    fn poll_jobs(&mut self, ctx: &egui::Context) {
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
                        Some((report, workspace)) => {
                            self.investigation.drift = done.params;
                            self.on_report(report, workspace);
                        }
                        // Cancelled: the previous report and its settings stay.
                        None => self.report = done.previous,
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
            Ok((inv, inputs)) => self.on_loaded(ctx, inv, inputs, pending),
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
    fn on_loaded(
        &mut self,
        ctx: &egui::Context,
        inv: Investigation,
        inputs: Inputs,
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
            self.remember(RecentItem::Files { baseline, current });
        }
        self.app_roles = pending.app_roles;
        let params = inv.drift.clone();
        self.investigation = inv;
        self.inputs = Some(Arc::new(inputs));
        self.inputs_generation += 1;
        self.error = None;
        self.drafts.settings = None;
        self.start_report(ctx, params);
    }

    fn on_report(&mut self, report: DriftReport, workspace: Workspace) {
        // Filling in the view's defaults is not a change the user made.
        let was_clean = !self.is_dirty();
        self.fill_view_defaults(&report, &workspace);
        if was_clean {
            self.saved = self.investigation.clone();
        }
        self.report = Some(Arc::new(report));
        self.workspace = Some(Arc::new(workspace));
        self.generation += 1;
    }

    fn fill_view_defaults(&mut self, report: &DriftReport, workspace: &Workspace) {
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
    fn schedule(&mut self, ctx: &egui::Context) {
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
        let view = &self.investigation.view;
        let key = FocusKey {
            generation: self.generation,
            slice: view.slice.clone(),
            segment: view.segment.clone(),
            reference: view.reference,
        };
        if self.focus.wanted(&key) {
            let (inputs, ws, k) = (inputs.clone(), ws.clone(), key.clone());
            self.focus
                .start(key, self.executor, "slice", ctx, move |state| {
                    let baseline = SliceDef::whole(Side::Baseline);
                    let Some(comparison) =
                        slice::compare(&ws, &inputs, &k.slice, &baseline, state)?
                    else {
                        return Ok(None);
                    };
                    let heatmap = match &k.segment {
                        Some(seg) => {
                            match slice::heatmap(&ws, &inputs, &k.slice, seg, k.reference, state)? {
                                Some(h) => Some(h),
                                None => return Ok(None),
                            }
                        }
                        None => None,
                    };
                    Ok(Some(Focus {
                        comparison,
                        heatmap,
                    }))
                });
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
                self.timeline
                    .start(key, self.executor, "timeline", ctx, move |state| {
                        slice::timeline(
                            &ws,
                            &inputs,
                            &spec,
                            &k.column,
                            &k.within,
                            k.segment.as_deref(),
                            state,
                        )
                    });
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
                    .start(key, self.executor, "compare", ctx, move |state| {
                        slice::compare(&ws, &inputs, &k.a, &k.b, state)
                    });
            }
        }
    }

    /// Writes the autosave when the investigation changed since the last one (at most every two
    /// seconds; it is a small file).
    fn autosave(&mut self) {
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

    /// The running job to show in the status bar: loading first, then the report, then slices.
    fn running(&self) -> Option<(&JobState, Duration)> {
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

    fn menu_ui(&self, ui: &mut egui::Ui, commands: &mut Vec<AppCommand>) {
        let sc = |ui: &egui::Ui, s: &egui::KeyboardShortcut| ui.ctx().format_shortcut(s);
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| {
                if ui
                    .add(
                        egui::Button::new("Open investigation…")
                            .shortcut_text(sc(ui, &shortcuts::OPEN)),
                    )
                    .clicked()
                {
                    commands.push(AppCommand::PickInvestigation);
                }
                if ui
                    .add(
                        egui::Button::new("Open baseline and log…")
                            .shortcut_text(sc(ui, &shortcuts::OPEN_FILES)),
                    )
                    .clicked()
                {
                    commands.push(AppCommand::PickFiles);
                }
                ui.menu_button("Open recent", |ui| {
                    if self.recent.items.is_empty() {
                        ui.label("Nothing opened yet");
                    }
                    for item in &self.recent.items {
                        if ui.button(item.label()).on_hover_text(item.full()).clicked() {
                            commands.push(AppCommand::OpenRecent(item.clone()));
                        }
                    }
                });
                ui.separator();
                let loaded = self.inputs.is_some();
                if ui
                    .add_enabled(
                        loaded,
                        egui::Button::new("Save investigation")
                            .shortcut_text(sc(ui, &shortcuts::SAVE)),
                    )
                    .clicked()
                {
                    commands.push(AppCommand::Save);
                }
                if ui
                    .add_enabled(
                        loaded,
                        egui::Button::new("Save investigation as…")
                            .shortcut_text(sc(ui, &shortcuts::SAVE_AS)),
                    )
                    .clicked()
                {
                    commands.push(AppCommand::PickSaveAs);
                }
                if ui
                    .add_enabled(
                        loaded,
                        egui::Button::new("Reload files").shortcut_text(sc(ui, &shortcuts::RELOAD)),
                    )
                    .clicked()
                {
                    commands.push(AppCommand::Reload);
                }
                ui.separator();
                if ui
                    .add_enabled(
                        self.report.is_some(),
                        egui::Button::new("Export report…")
                            .shortcut_text(sc(ui, &shortcuts::EXPORT)),
                    )
                    .clicked()
                {
                    commands.push(AppCommand::PickExport);
                }
                if ui
                    .add_enabled(loaded, egui::Button::new("Export the slice's rows (CSV)…"))
                    .clicked()
                {
                    commands.push(AppCommand::PickExportSlice);
                }
                ui.separator();
                if ui.button("Quit").clicked() {
                    ui.send_viewport_cmd(egui::ViewportCommand::Close);
                }
            });
            ui.menu_button("View", |ui| {
                let label = if self.dark {
                    "Light theme"
                } else {
                    "Dark theme"
                };
                if ui.button(label).clicked() {
                    commands.push(AppCommand::ToggleTheme);
                }
                let label = if self.show_frame_times {
                    "Hide frame times"
                } else {
                    "Show frame times"
                };
                if ui.button(label).clicked() {
                    commands.push(AppCommand::ToggleFrameTimes);
                }
            });
            ui.separator();
            for (i, tab) in Tab::ALL.into_iter().enumerate() {
                let hint = format!("{} ({})", tab.title(), sc(ui, &shortcuts::tab(i)));
                if ui
                    .selectable_label(self.tab() == tab, tab.title())
                    .on_hover_text(hint)
                    .clicked()
                {
                    commands.push(AppCommand::ShowTab(tab));
                }
            }
        });
    }

    fn status_ui(&self, ui: &mut egui::Ui, commands: &mut Vec<AppCommand>) {
        ui.horizontal(|ui| match self.running() {
            Some((state, elapsed)) => {
                ui.spinner();
                let mut text = state.stage_text();
                if let Some((k, n)) = state.part_of() {
                    text = format!("part {k} of {n}: {text}");
                }
                match state.fraction() {
                    Some(f) => {
                        ui.add(egui::ProgressBar::new(f).desired_width(160.0).text(text));
                    }
                    None => {
                        ui.label(text);
                    }
                }
                ui.label(format!("{:.1} s", elapsed.as_secs_f32()));
                if let Some(left) = state.stage_time_left() {
                    ui.label(format!(
                        "about {:.0} s left in this part",
                        left.as_secs_f32().ceil()
                    ));
                }
                if ui.button("Cancel").on_hover_text("Esc").clicked() {
                    commands.push(AppCommand::CancelJob);
                }
            }
            None => match &self.inputs {
                Some(inputs) => {
                    ui.label(format!(
                        "{} log rows against {} baseline rows",
                        crate::format::human_count(inputs.current.rows()),
                        crate::format::human_count(inputs.baseline.rows())
                    ));
                    if self.is_dirty() {
                        ui.label(RichText::new("unsaved changes (autosaved)").italics());
                    }
                }
                None => {
                    ui.label("Nothing open");
                }
            },
        });
    }

    fn shortcuts(&self, ctx: &egui::Context, commands: &mut Vec<AppCommand>) {
        ctx.input_mut(|i| {
            if i.consume_shortcut(&shortcuts::SAVE_AS) {
                commands.push(AppCommand::PickSaveAs);
            }
            if i.consume_shortcut(&shortcuts::SAVE) {
                commands.push(AppCommand::Save);
            }
            if i.consume_shortcut(&shortcuts::OPEN_FILES) {
                commands.push(AppCommand::PickFiles);
            }
            if i.consume_shortcut(&shortcuts::OPEN) {
                commands.push(AppCommand::PickInvestigation);
            }
            if i.consume_shortcut(&shortcuts::RELOAD) {
                commands.push(AppCommand::Reload);
            }
            if i.consume_shortcut(&shortcuts::EXPORT) {
                commands.push(AppCommand::PickExport);
            }
            for (n, tab) in Tab::ALL.into_iter().enumerate() {
                if i.consume_shortcut(&shortcuts::tab(n)) {
                    commands.push(AppCommand::ShowTab(tab));
                }
            }
            if i.consume_key(egui::Modifiers::NONE, egui::Key::Escape) && self.running().is_some() {
                commands.push(AppCommand::CancelJob);
            }
        });
    }

    fn drop_ui(&self, ctx: &egui::Context, commands: &mut Vec<AppCommand>) {
        let (hovering, dropped) = ctx.input(|i| {
            (
                !i.raw.hovered_files.is_empty(),
                i.raw
                    .dropped_files
                    .iter()
                    .map(|f| f.path().to_owned())
                    .collect::<Vec<_>>(),
            )
        });
        if !dropped.is_empty() {
            commands.push(AppCommand::Dropped(dropped));
        }
        if hovering {
            let painter = ctx.layer_painter(egui::LayerId::new(
                egui::Order::Foreground,
                egui::Id::unique("drop"),
            ));
            let rect = ctx.content_rect();
            painter.rect_filled(rect, 0.0, egui::Color32::from_black_alpha(160));
            painter.text(
                rect.center(),
                egui::Align2::CENTER_CENTER,
                "Drop an investigation (.ron), or a baseline and a log",
                egui::FontId::proportional(22.0),
                egui::Color32::WHITE,
            );
        }
    }

    fn frame_times_ui(&self, ctx: &egui::Context) {
        if !self.show_frame_times {
            return;
        }
        let Some((worst, mean)) = self.frame_times.worst_and_mean() else {
            return;
        };
        egui::Area::new(egui::Id::unique("frame times"))
            .anchor(egui::Align2::RIGHT_BOTTOM, [-8.0, -32.0])
            .show(ctx, |ui| {
                egui::Frame::popup(ui.style()).show(ui, |ui| {
                    ui.label(format!(
                        "UI thread: mean {:.2} ms, worst {:.2} ms (last {} frames)",
                        mean.as_secs_f64() * 1e3,
                        worst.as_secs_f64() * 1e3,
                        self.frame_times.recent.len()
                    ));
                });
            });
    }

    fn banners_ui(
        &self,
        ui: &mut egui::Ui,
        palette: &theme::Palette,
        commands: &mut Vec<AppCommand>,
    ) {
        if let Some(record) = &self.recovered {
            ui.horizontal_wrapped(|ui| {
                ui.colored_label(
                    palette.warning,
                    format!(
                        "driftscope closed without saving changes to {} ({}).",
                        record.path.as_ref().map_or_else(
                            || "an unsaved investigation".to_owned(),
                            |p| p.display().to_string()
                        ),
                        record.written
                    ),
                );
                if ui.button("Restore them").clicked() {
                    commands.push(AppCommand::RestoreAutosave);
                }
                if ui.button("Discard").clicked() {
                    commands.push(AppCommand::DiscardAutosave);
                }
            });
            ui.separator();
        }
        if self.report_is_stale() {
            ui.horizontal_wrapped(|ui| {
                ui.spinner();
                ui.colored_label(
                    palette.warning,
                    "These results are of the files and settings before your change: the new \
                     ones are being measured and replace them as they are ready.",
                );
            });
            ui.separator();
        }
        if let Some(error) = &self.error {
            ui.horizontal_wrapped(|ui| {
                ui.colored_label(palette.error, RichText::new(error.as_str()).strong());
                if ui.button("Dismiss").clicked() {
                    commands.push(AppCommand::DismissError);
                }
            });
            ui.separator();
        } else if let Some(notice) = &self.notice {
            ui.horizontal_wrapped(|ui| {
                ui.label(notice.as_str());
                if ui.small_button("Dismiss").clicked() {
                    commands.push(AppCommand::DismissError);
                }
            });
            ui.separator();
        }
    }

    fn central_ui(
        &mut self,
        ui: &mut egui::Ui,
        palette: &theme::Palette,
        commands: &mut Vec<AppCommand>,
    ) {
        let Some(inputs) = self.inputs.clone() else {
            if self.job.is_none() {
                empty_ui(ui, commands);
            }
            return;
        };
        let tab = self.tab();
        if matches!(
            tab,
            Tab::Overview | Tab::Segments | Tab::Feature | Tab::Time
        ) {
            slices::slice_bar(
                ui,
                &self.investigation.view.slice,
                self.focus(),
                palette,
                commands,
            );
            ui.separator();
        }
        let Some(report) = self.report.clone() else {
            if !matches!(tab, Tab::Data | Tab::Settings) {
                ui.add_space(40.0);
                ui.vertical_centered(|ui| {
                    ui.spinner();
                    ui.label("Measuring drift…");
                });
                return;
            }
            if tab == Tab::Data {
                data_panel::roles_ui(ui, &inputs, palette, commands);
            }
            return;
        };
        let view = &self.investigation.view;
        let panel = PanelCtx {
            inputs: &inputs,
            report: &report,
            view,
            focus: self.focus.value(),
            focus_error: self.focus.error.as_ref().map(|(_, e)| e.as_str()),
            timeline: self.timeline.value(),
            timeline_error: self.timeline.error.as_ref().map(|(_, e)| e.as_str()),
            compared: self.compared.value(),
            compared_error: self.compared.error.as_ref().map(|(_, e)| e.as_str()),
            palette,
        };
        match tab {
            Tab::Overview => overview::overview_ui(ui, &panel, commands),
            Tab::Segments => segments::segments_ui(ui, &panel, commands),
            Tab::Feature => feature::feature_ui(ui, &panel, commands),
            Tab::Time => time::time_ui(ui, &panel, &mut self.drafts.time, commands),
            Tab::Compare => compare::compare_ui(ui, &panel, &mut self.drafts.compare, commands),
            Tab::Findings => {
                findings::findings_ui(ui, &panel, &self.investigation.findings, commands)
            }
            Tab::Replay => replay::replay_ui(
                ui,
                &panel,
                &self.investigation.replay,
                &mut self.replay,
                commands,
            ),
            Tab::Data => data_panel::roles_ui(ui, &inputs, palette, commands),
            Tab::Settings => {
                // What is measured now, or else what is on screen: applying it again is no change.
                let applied = self.measuring().clone();
                let draft = self
                    .drafts
                    .settings
                    .get_or_insert_with(|| settings::SettingsDraft::new(&applied));
                settings::settings_ui(ui, &panel, &applied, draft, commands);
            }
        }
    }
}

/// What every panel reads.
pub(crate) struct PanelCtx<'a> {
    pub inputs: &'a Inputs,
    pub report: &'a DriftReport,
    pub view: &'a crate::session::ViewState,
    pub focus: Option<&'a Focus>,
    pub focus_error: Option<&'a str>,
    pub timeline: Option<&'a Timeline>,
    pub timeline_error: Option<&'a str>,
    pub compared: Option<&'a SliceComparison>,
    pub compared_error: Option<&'a str>,
    pub palette: &'a theme::Palette,
}

fn empty_ui(ui: &mut egui::Ui, commands: &mut Vec<AppCommand>) {
    ui.add_space(40.0);
    ui.vertical_centered(|ui| {
        ui.heading("No investigation open");
        ui.label("Open a training baseline and a production log (CSV, Parquet or JSON lines), or a saved investigation, or drop the files onto this window.");
        if ui.button("Open baseline and log…").clicked() {
            commands.push(AppCommand::PickFiles);
        }
        if ui.button("Open investigation…").clicked() {
            commands.push(AppCommand::PickInvestigation);
        }
    });
}

/// The keyboard shortcuts, in one place (menus show them).
mod shortcuts {
    use eframe::egui::{Key, KeyboardShortcut, Modifiers};

    pub const OPEN: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::O);
    pub const OPEN_FILES: KeyboardShortcut =
        KeyboardShortcut::new(Modifiers::COMMAND.plus(Modifiers::SHIFT), Key::O);
    pub const SAVE: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::S);
    pub const SAVE_AS: KeyboardShortcut =
        KeyboardShortcut::new(Modifiers::COMMAND.plus(Modifiers::SHIFT), Key::S);
    pub const RELOAD: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::R);
    pub const EXPORT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::E);

    const TAB_KEYS: [Key; 9] = [
        Key::Num1,
        Key::Num2,
        Key::Num3,
        Key::Num4,
        Key::Num5,
        Key::Num6,
        Key::Num7,
        Key::Num8,
        Key::Num9,
    ];

    /// Ctrl+1 … Ctrl+9: the panels in menu order.
    pub fn tab(i: usize) -> KeyboardShortcut {
        KeyboardShortcut::new(Modifiers::COMMAND, TAB_KEYS[i % TAB_KEYS.len()])
    }
}

impl eframe::App for DriftscopeApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.poll_jobs(ctx);
        self.schedule(ctx);
        self.autosave();
        if self.theme_applied != Some(self.dark) {
            theme::apply(ctx, self.dark);
            self.theme_applied = Some(self.dark);
        }
        if self.is_busy() {
            // Keep the elapsed time and spinner moving; the worker also wakes us when done.
            ctx.request_repaint_after(Duration::from_millis(100));
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let started = Instant::now();
        let palette = theme::palette(self.dark);
        let mut commands = Vec::new();
        let ctx = ui.ctx().clone();
        self.shortcuts(&ctx, &mut commands);
        let title = self.title();
        if self.window_title != title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.window_title = title;
        }
        egui::Panel::top("menu").show(ui, |ui| self.menu_ui(ui, &mut commands));
        egui::Panel::bottom("status").show(ui, |ui| self.status_ui(ui, &mut commands));
        if let Some(inputs) = &self.inputs {
            egui::Panel::left("files")
                .resizable(true)
                .default_size(250.0)
                .show(ui, |ui| {
                    egui::ScrollArea::vertical().show(ui, |ui| {
                        if !self.investigation.title.is_empty() {
                            ui.label(RichText::new(&self.investigation.title).strong());
                            ui.separator();
                        }
                        data_panel::files_ui(ui, inputs, &palette);
                    });
                });
        }
        egui::CentralPanel::default().show(ui, |ui| {
            self.banners_ui(ui, &palette, &mut commands);
            self.central_ui(ui, &palette, &mut commands);
        });
        self.drop_ui(&ctx, &mut commands);
        self.frame_times_ui(&ctx);
        for command in commands {
            self.apply(&ctx, command);
        }
        self.frame_times.push(started.elapsed());
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        // A clean exit: the autosave is kept only while changes are unsaved.
        if let Some(dir) = &self.config.state_dir
            && !self.is_dirty()
        {
            Autosave::clear(dir);
        }
    }
}

/// Opens the app window; returns when it is closed.
pub fn run_app(launch: Launch) -> Result<(), String> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("driftscope")
            .with_inner_size([1360.0, 860.0])
            .with_min_inner_size([640.0, 400.0])
            .with_drag_and_drop(true),
        ..Default::default()
    };
    eframe::run_native(
        "driftscope",
        options,
        Box::new(move |cc| {
            Ok(Box::new(DriftscopeApp::new(
                &cc.egui_ctx,
                launch,
                Executor::Threads,
                AppConfig::default(),
            )))
        }),
    )
    .map_err(|e| {
        format!("cannot open a window: {e}. Is a display available? Headless, use `driftscope report` or `driftscope inspect`.")
    })
}
