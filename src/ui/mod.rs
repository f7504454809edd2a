//! The desktop app (eframe). Panels draw the current state and return commands; the app applies
//! them once per frame. Every analysis runs as a background job keyed by what it depends on: when
//! the view asks for something the last result does not answer (another slice, another segment
//! column, another feature), a new job starts and the previous one is dropped (cancelled), while
//! the previous result stays on screen until the new one arrives. An error never throws away what
//! is loaded.
//!
//! This file holds the app's state and the frame loop; `command.rs` carries out commands,
//! `analyses.rs` runs the jobs, `persistence.rs` saves and remembers, `chrome.rs` draws menus,
//! the status bar and the central area, and each panel has its own file.

mod analyses;
mod chrome;
mod command;
mod compare;
mod data_panel;
mod feature;
mod findings;
mod overview;
mod persistence;
mod replay;
mod segments;
mod settings;
mod slices;
pub mod theme;
mod time;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use eframe::egui::{self, RichText};

use crate::analysis::DriftReport;
use crate::analysis::Workspace;
use crate::analysis::slice::{SliceComparison, Timeline};
use crate::data::{Inputs, RoleOverrides};
use crate::jobs::{Executor, Job};
use crate::session::Investigation;
pub use crate::session::Panel;
use crate::session::local::{Autosave, Recent, default_state_dir};

use crate::jobs::Derived;
pub use analyses::Focus;
use analyses::{CompareKey, FocusKey, LoadResult, PendingLoad, ReportJob, TimelineKey};
pub use chrome::FrameTimes;
pub use command::AppCommand;

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
    /// The log held as a profile instead of its rows (a profile file, or a log too large for
    /// memory): every report is measured from a copy of it.
    held: Option<Arc<crate::analysis::profile_file::HeldProfile>>,
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
    replay: analyses::ReplayJobs,
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
    pub replay: replay::ReplayDraft,
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
            held: None,
            job: None,
            report: None,
            workspace: None,
            generation: 0,
            report_job: None,
            report_current: true,
            focus: Derived::default(),
            timeline: Derived::default(),
            compared: Derived::default(),
            replay: analyses::ReplayJobs::default(),
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

    /// The log as a profile, when it is held so (for tests and panels).
    pub fn held_profile(&self) -> Option<&crate::analysis::profile_file::HeldProfile> {
        self.held.as_deref()
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
            || self.focus.is_running()
            || self.timeline.is_running()
            || self.compared.is_running()
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

    /// Whether the focus on screen is the quick answer from the cell profiles, still being made
    /// exact.
    pub fn focus_is_preview(&self) -> bool {
        self.focus.is_preview()
    }

    /// Whether the timeline on screen is the quick answer from the cell profiles.
    pub fn timeline_is_preview(&self) -> bool {
        self.timeline.is_preview()
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

    pub fn panel(&self) -> Panel {
        self.investigation.view.panel
    }

    pub fn frame_times(&self) -> &FrameTimes {
        &self.frame_times
    }
}

/// What every panel reads.
pub(crate) struct PanelCtx<'a> {
    pub inputs: &'a Inputs,
    pub report: &'a DriftReport,
    pub view: &'a crate::session::ViewState,
    pub focus: Option<&'a Focus>,
    pub focus_error: Option<&'a str>,
    /// The focus shown is the cells' quick answer; the exact one is being measured.
    pub focus_preview: bool,
    pub timeline: Option<&'a Timeline>,
    pub timeline_error: Option<&'a str>,
    /// The timeline shown has its drift lines only; the score and latency bands are coming.
    pub timeline_preview: bool,
    pub compared: Option<&'a SliceComparison>,
    pub compared_error: Option<&'a str>,
    /// The log is held as a profile: what reads its rows says so instead.
    pub held: Option<&'a crate::analysis::profile_file::HeldProfile>,
    pub palette: &'a theme::Palette,
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
                        data_panel::files_ui(ui, inputs, self.held.as_deref(), &palette);
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
