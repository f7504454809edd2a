//! Commands: everything a menu, a panel, a shortcut or a test asks the app to do, and the one
//! place they are carried out.

use std::path::PathBuf;

use eframe::egui::{self};

use crate::analysis::{DriftParams, Predicate, Reference, SliceDef};
use crate::data::Role;
use crate::session::local::{Autosave, RecentItem};
use crate::session::{DetailSource, Panel};

use super::{DriftscopeApp, analyses::PendingLoad};

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
    ShowPanel(Panel),
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
    /// Run both models on one log row with these inputs (column, value as text).
    WhatIf {
        row: usize,
        edits: Vec<(String, String)>,
    },
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

impl DriftscopeApp {
    /// Files dropped on the window: an investigation opens; two data files open as baseline and
    /// log (the one named like a training set is the baseline); one data file becomes the log
    /// of what is open, or waits for its partner.
    pub(super) fn dropped(&mut self, ctx: &egui::Context, paths: Vec<PathBuf>) {
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
            AppCommand::ShowPanel(tab) => view.panel = tab,
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
                view.panel = Panel::Feature;
            }
            AppCommand::RunCompare { a, b } => {
                view.compare_a = a;
                view.compare_b = b;
            }
            AppCommand::ShowCompared(column) => {
                view.feature = Some(column);
                view.detail = DetailSource::Compare;
                view.panel = Panel::Feature;
            }
            AppCommand::SetReplay(settings) => self.investigation.replay = settings,
            AppCommand::WhatIf { row, edits } => self.replay.ask_what_if(row, edits),
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
}
