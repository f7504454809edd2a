//! The desktop app (eframe). Panels draw the current state and return commands; the app applies
//! them once per frame. Loading and resolving run as background jobs: the previous result stays on
//! screen until the new one arrives, and an error never throws away what is loaded.

mod data_panel;
mod overview;
pub mod theme;

use std::path::PathBuf;
use std::sync::Arc;

use eframe::egui::{self, RichText};

use crate::analysis::{DriftReport, run_drift_report};
use crate::data::{Inputs, OverrideLayers, Role, RoleOverrides, load_inputs, resolve};
use crate::jobs::{Executor, Job, JobPoll};
use crate::session::Investigation;

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

/// Something a panel asks the app to do.
#[derive(Clone, Debug, PartialEq)]
pub enum AppCommand {
    OpenInvestigation(PathBuf),
    OpenFiles { baseline: PathBuf, current: PathBuf },
    PickInvestigation,
    PickFiles,
    Reload,
    SetRole { column: String, role: Role },
    CancelJob,
    DismissError,
    ToggleTheme,
    ShowTab(Tab),
}

/// The main views.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Overview,
    Data,
}

type LoadResult = Result<(Investigation, Inputs), String>;

pub struct DriftscopeApp {
    executor: Executor,
    investigation: Investigation,
    inputs: Option<Arc<Inputs>>,
    job: Option<Job<LoadResult>>,
    /// The drift report of the current inputs; the previous one stays until a new one is ready.
    report: Option<Arc<DriftReport>>,
    report_job: Option<Job<Option<DriftReport>>>,
    tab: Tab,
    error: Option<String>,
    dark: bool,
    theme_applied: Option<bool>,
}

impl DriftscopeApp {
    pub fn new(ctx: &egui::Context, launch: Launch, executor: Executor) -> Self {
        let mut app = Self {
            executor,
            investigation: Investigation::default(),
            inputs: None,
            job: None,
            report: None,
            report_job: None,
            tab: Tab::Overview,
            error: None,
            dark: ctx.global_style().visuals.dark_mode,
            theme_applied: None,
        };
        match launch {
            Launch::Investigation(path) => app.apply(ctx, AppCommand::OpenInvestigation(path)),
            Launch::Files {
                baseline,
                current,
                roles,
            } => {
                app.investigation.roles = roles;
                app.start_load(ctx, None, Some((baseline, current)));
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

    pub fn is_busy(&self) -> bool {
        self.job.is_some() || self.report_job.is_some()
    }

    /// The drift report shown (for tests and panels).
    pub fn report(&self) -> Option<&DriftReport> {
        self.report.as_deref()
    }

    pub fn tab(&self) -> Tab {
        self.tab
    }

    /// Measures drift on the loaded inputs in the background; a running measurement of older
    /// inputs is cancelled (dropping its job cancels it).
    fn start_report(&mut self, ctx: &egui::Context) {
        let Some(inputs) = self.inputs.clone() else {
            return;
        };
        let params = self.investigation.drift.clone();
        let wake_ctx = ctx.clone();
        self.report_job = Some(Job::spawn(
            self.executor,
            "drift report",
            move || wake_ctx.request_repaint(),
            move |state| run_drift_report(&inputs, &params, state),
        ));
    }

    /// Loads an investigation file and/or a pair of files in the background. Roles set in the
    /// app so far are kept when the same columns exist.
    fn start_load(
        &mut self,
        ctx: &egui::Context,
        investigation: Option<PathBuf>,
        files: Option<(PathBuf, PathBuf)>,
    ) {
        let current = self.investigation.clone();
        let wake_ctx = ctx.clone();
        self.job = Some(Job::spawn(
            self.executor,
            "load",
            move || wake_ctx.request_repaint(),
            move |state| {
                let mut inv = match &investigation {
                    Some(path) => {
                        state.stage(format!("reading {}", path.display()), 0);
                        Investigation::load(path).map_err(|e| e.to_string())?
                    }
                    None => current,
                };
                if let Some((b, c)) = files {
                    inv.baseline = Some(b);
                    inv.current = Some(c);
                }
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
                let layers = OverrideLayers {
                    file: inv.roles.clone(),
                    user: RoleOverrides::default(),
                    user_source: String::new(),
                };
                let inputs = load_inputs(&b, &c, &layers).map_err(|e| e.to_string())?;
                Ok((inv, inputs))
            },
        ));
    }

    /// Re-resolves roles on the tables already in memory (a role changed): no file is read again.
    fn start_resolve(&mut self, ctx: &egui::Context, inputs: &Inputs) {
        let inv = self.investigation.clone();
        let (baseline, current) = (inputs.baseline.clone(), inputs.current.clone());
        let wake_ctx = ctx.clone();
        self.job = Some(Job::spawn(
            self.executor,
            "resolve roles",
            move || wake_ctx.request_repaint(),
            move |state| {
                state.stage("resolving roles", 0);
                let layers = OverrideLayers {
                    file: inv.roles.clone(),
                    user: RoleOverrides::default(),
                    user_source: String::new(),
                };
                let inputs = resolve(baseline, current, &layers).map_err(|e| e.to_string())?;
                Ok((inv, inputs))
            },
        ));
    }

    /// Carries out a command (menus, panels and tests all come through here).
    pub fn apply(&mut self, ctx: &egui::Context, command: AppCommand) {
        match command {
            AppCommand::OpenInvestigation(path) => self.start_load(ctx, Some(path), None),
            AppCommand::OpenFiles { baseline, current } => {
                self.investigation.roles = RoleOverrides::default();
                self.start_load(ctx, None, Some((baseline, current)));
            }
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
            AppCommand::Reload => self.start_load(ctx, None, None),
            AppCommand::SetRole { column, role } => {
                self.investigation.roles.set(column, role);
                match self.inputs.clone() {
                    Some(inputs) => self.start_resolve(ctx, &inputs),
                    None => self.start_load(ctx, None, None),
                }
            }
            AppCommand::CancelJob => {
                if let Some(job) = self.job.take() {
                    job.cancel();
                } else if let Some(job) = self.report_job.take() {
                    job.cancel();
                }
            }
            AppCommand::DismissError => self.error = None,
            AppCommand::ToggleTheme => self.dark = !self.dark,
            AppCommand::ShowTab(tab) => self.tab = tab,
        }
    }

    fn poll_job(&mut self, ctx: &egui::Context) {
        if let Some(job) = &mut self.report_job {
            match job.poll() {
                JobPoll::Running => {}
                JobPoll::Done(report) => {
                    self.report_job = None;
                    // `None`: cancelled; the previous report stays.
                    if let Some(report) = report {
                        self.report = Some(Arc::new(report));
                    }
                }
                JobPoll::Lost => {
                    self.report_job = None;
                    self.error = Some("measuring drift stopped unexpectedly (an internal error); the previous results are still shown".to_owned());
                }
            }
        }
        let Some(job) = &mut self.job else { return };
        match job.poll() {
            JobPoll::Running => {}
            JobPoll::Done(result) => {
                self.job = None;
                match result {
                    Ok((inv, inputs)) => {
                        self.investigation = inv;
                        self.inputs = Some(Arc::new(inputs));
                        self.error = None;
                        self.start_report(ctx);
                    }
                    Err(e) => self.error = Some(e),
                }
            }
            JobPoll::Lost => {
                self.job = None;
                self.error = Some("loading stopped unexpectedly (an internal error); what was open before is still shown".to_owned());
            }
        }
    }

    fn menu_ui(&self, ui: &mut egui::Ui, commands: &mut Vec<AppCommand>) {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| {
                if ui.button("Open investigation…").clicked() {
                    commands.push(AppCommand::PickInvestigation);
                }
                if ui.button("Open baseline and log…").clicked() {
                    commands.push(AppCommand::PickFiles);
                }
                if ui
                    .add_enabled(self.inputs.is_some(), egui::Button::new("Reload"))
                    .clicked()
                {
                    commands.push(AppCommand::Reload);
                }
                ui.separator();
                if ui.button("Quit").clicked() {
                    ui.send_viewport_cmd(egui::ViewportCommand::Close);
                }
            });
            ui.separator();
            for (tab, label) in [(Tab::Overview, "Overview"), (Tab::Data, "Data")] {
                if ui.selectable_label(self.tab == tab, label).clicked() {
                    commands.push(AppCommand::ShowTab(tab));
                }
            }
            ui.separator();
            ui.menu_button("View", |ui| {
                let label = if self.dark {
                    "Light theme"
                } else {
                    "Dark theme"
                };
                if ui.button(label).clicked() {
                    commands.push(AppCommand::ToggleTheme);
                }
            });
        });
    }

    fn status_ui(&self, ui: &mut egui::Ui, commands: &mut Vec<AppCommand>) {
        let running = self
            .job
            .as_ref()
            .map(|j| (j.state(), j.elapsed()))
            .or_else(|| self.report_job.as_ref().map(|j| (j.state(), j.elapsed())));
        ui.horizontal(|ui| match running {
            Some((state, elapsed)) => {
                ui.spinner();
                let text = state.stage_text();
                match state.fraction() {
                    Some(f) => {
                        ui.add(egui::ProgressBar::new(f).desired_width(160.0).text(text));
                    }
                    None => {
                        ui.label(text);
                    }
                }
                ui.label(format!("{:.1} s", elapsed.as_secs_f32()));
                if ui.button("Cancel").clicked() {
                    commands.push(AppCommand::CancelJob);
                }
            }
            None => match &self.inputs {
                Some(inputs) => {
                    ui.label(format!(
                        "{} log rows against {} baseline rows",
                        crate::data::roles::group_thousands(inputs.current.rows()),
                        crate::data::roles::group_thousands(inputs.baseline.rows())
                    ));
                }
                None => {
                    ui.label("Nothing open");
                }
            },
        });
    }
}

impl eframe::App for DriftscopeApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.poll_job(ctx);
        if self.theme_applied != Some(self.dark) {
            theme::apply(ctx, self.dark);
            self.theme_applied = Some(self.dark);
        }
        if self.is_busy() {
            // Keep the elapsed time and spinner moving; the worker also wakes us when done.
            ctx.request_repaint_after(std::time::Duration::from_millis(100));
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let palette = theme::palette(self.dark);
        let mut commands = Vec::new();
        let open_shortcut = egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, egui::Key::O);
        if ui.ctx().input_mut(|i| i.consume_shortcut(&open_shortcut)) {
            commands.push(AppCommand::PickInvestigation);
        }
        egui::Panel::top("menu").show(ui, |ui| self.menu_ui(ui, &mut commands));
        egui::Panel::bottom("status").show(ui, |ui| self.status_ui(ui, &mut commands));
        if let Some(inputs) = &self.inputs {
            egui::Panel::left("files")
                .resizable(true)
                .default_size(260.0)
                .show(ui, |ui| {
                    if !self.investigation.title.is_empty() {
                        ui.label(RichText::new(&self.investigation.title).strong());
                        ui.separator();
                    }
                    data_panel::files_ui(ui, inputs, &palette);
                });
        }
        egui::CentralPanel::default().show(ui, |ui| {
            if let Some(error) = &self.error {
                ui.horizontal_wrapped(|ui| {
                    ui.colored_label(palette.error, RichText::new(error.as_str()).strong());
                    if ui.button("Dismiss").clicked() {
                        commands.push(AppCommand::DismissError);
                    }
                });
                ui.separator();
            }
            match (&self.inputs, self.tab) {
                (Some(_), Tab::Overview) => match &self.report {
                    Some(report) => overview::overview_ui(ui, report, &palette),
                    None => {
                        ui.add_space(40.0);
                        ui.vertical_centered(|ui| {
                            ui.spinner();
                            ui.label("Measuring drift…");
                        });
                    }
                },
                (Some(inputs), Tab::Data) => data_panel::roles_ui(ui, inputs, &palette, &mut commands),
                (None, _) if self.job.is_none() => {
                    ui.add_space(40.0);
                    ui.vertical_centered(|ui| {
                        ui.heading("No investigation open");
                        ui.label("Open a training baseline and a production log (CSV, Parquet or JSON lines), or a saved investigation.");
                        if ui.button("Open baseline and log…").clicked() {
                            commands.push(AppCommand::PickFiles);
                        }
                        if ui.button("Open investigation…").clicked() {
                            commands.push(AppCommand::PickInvestigation);
                        }
                    });
                }
                (None, _) => {}
            }
        });
        let ctx = ui.ctx().clone();
        for command in commands {
            self.apply(&ctx, command);
        }
    }
}

/// Opens the app window; returns when it is closed.
pub fn run_app(launch: Launch) -> Result<(), String> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("driftscope")
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([640.0, 400.0]),
        ..Default::default()
    };
    eframe::run_native(
        "driftscope",
        options,
        Box::new(move |cc| Ok(Box::new(DriftscopeApp::new(&cc.egui_ctx, launch, Executor::Threads)))),
    )
    .map_err(|e| {
        format!("cannot open a window: {e}. Is a display available? Headless, use `driftscope report` or `driftscope inspect`.")
    })
}
