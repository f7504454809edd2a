//! The window's chrome: menus, the status bar with the running job's progress, shortcuts,
//! dropping files, banners, the frame-time overlay, and the central area that hosts the panels.

use std::time::Duration;

use eframe::egui::{self, RichText};

use super::{
    DriftscopeApp, Panel, PanelCtx, command::AppCommand, compare, data_panel, feature, findings,
    overview, replay, segments, settings, slices, theme, time,
};

/// UI-thread time of the last frames, for the frame-time overlay and the benchmark.
#[derive(Default)]
pub struct FrameTimes {
    pub(super) recent: std::collections::VecDeque<Duration>,
}

impl FrameTimes {
    const KEEP: usize = 240;

    pub(super) fn push(&mut self, d: Duration) {
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

pub(super) fn empty_ui(ui: &mut egui::Ui, commands: &mut Vec<AppCommand>) {
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
pub(super) mod shortcuts {
    use eframe::egui::{Key, KeyboardShortcut, Modifiers};

    pub const OPEN: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::O);
    pub const OPEN_FILES: KeyboardShortcut =
        KeyboardShortcut::new(Modifiers::COMMAND.plus(Modifiers::SHIFT), Key::O);
    pub const SAVE: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::S);
    pub const SAVE_AS: KeyboardShortcut =
        KeyboardShortcut::new(Modifiers::COMMAND.plus(Modifiers::SHIFT), Key::S);
    pub const RELOAD: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::R);
    pub const EXPORT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::E);

    const PANEL_KEYS: [Key; 9] = [
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
    pub fn panel(i: usize) -> KeyboardShortcut {
        KeyboardShortcut::new(Modifiers::COMMAND, PANEL_KEYS[i % PANEL_KEYS.len()])
    }
}

impl DriftscopeApp {
    pub(super) fn menu_ui(&self, ui: &mut egui::Ui, commands: &mut Vec<AppCommand>) {
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
            for (i, tab) in Panel::ALL.into_iter().enumerate() {
                let hint = format!("{} ({})", tab.title(), sc(ui, &shortcuts::panel(i)));
                if ui
                    .selectable_label(self.panel() == tab, tab.title())
                    .on_hover_text(hint)
                    .clicked()
                {
                    commands.push(AppCommand::ShowPanel(tab));
                }
            }
        });
    }

    pub(super) fn status_ui(&self, ui: &mut egui::Ui, commands: &mut Vec<AppCommand>) {
        ui.horizontal(|ui| match self.running() {
            Some((state, elapsed)) => {
                crate::ui::theme::spinner(ui);
                let mut text = state.stage_text();
                if let Some((k, n)) = state.part_of() {
                    text = format!("part {k} of {n}: {text}");
                }
                // The stage in full, then its bar (a bar's own text is cut at its width).
                ui.label(text);
                if let Some(f) = state.fraction() {
                    ui.add(
                        egui::ProgressBar::new(f)
                            .desired_width(120.0)
                            .show_percentage(),
                    );
                }
                ui.label(format!("{:.1} s", elapsed.as_secs_f32()));
                if let Some(left) = state.time_left(elapsed) {
                    ui.label(format!("about {:.0} s left", left.as_secs_f32().ceil()));
                }
                if ui.button("Cancel").on_hover_text("Esc").clicked() {
                    commands.push(AppCommand::CancelJob);
                }
            }
            None => match &self.inputs {
                Some(inputs) => {
                    let log_rows = self
                        .held
                        .as_ref()
                        .map_or(inputs.current.rows(), |h| h.profile.header.log.rows);
                    ui.label(format!(
                        "{} log rows{} against {} baseline rows",
                        crate::format::human_count(log_rows),
                        if self.held.is_some() {
                            " (as a profile)"
                        } else {
                            ""
                        },
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

    pub(super) fn shortcuts(&self, ctx: &egui::Context, commands: &mut Vec<AppCommand>) {
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
            for (n, tab) in Panel::ALL.into_iter().enumerate() {
                if i.consume_shortcut(&shortcuts::panel(n)) {
                    commands.push(AppCommand::ShowPanel(tab));
                }
            }
            if i.consume_key(egui::Modifiers::NONE, egui::Key::Escape) && self.running().is_some() {
                commands.push(AppCommand::CancelJob);
            }
        });
    }

    pub(super) fn drop_ui(&self, ctx: &egui::Context, commands: &mut Vec<AppCommand>) {
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

    pub(super) fn frame_times_ui(&self, ctx: &egui::Context) {
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

    pub(super) fn banners_ui(
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
                crate::ui::theme::spinner(ui);
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

    pub(super) fn central_ui(
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
        let tab = self.panel();
        if matches!(
            tab,
            Panel::Overview | Panel::Segments | Panel::Feature | Panel::Time
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
            if !matches!(tab, Panel::Data | Panel::Settings) {
                ui.add_space(40.0);
                ui.vertical_centered(|ui| {
                    crate::ui::theme::spinner(ui);
                    ui.label("Measuring drift…");
                });
                return;
            }
            if tab == Panel::Data {
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
            focus_error: self.focus.error(),
            focus_preview: self.focus.is_preview(),
            timeline: self.timeline.value(),
            timeline_error: self.timeline.error(),
            timeline_preview: self.timeline.is_preview(),
            compared: self.compared.value(),
            compared_error: self.compared.error(),
            held: self.held.as_deref(),
            palette,
        };
        match tab {
            Panel::Overview => overview::overview_ui(ui, &panel, commands),
            Panel::Segments => segments::segments_ui(ui, &panel, commands),
            Panel::Feature => feature::feature_ui(ui, &panel, commands),
            Panel::Time => time::time_ui(ui, &panel, &mut self.drafts.time, commands),
            Panel::Compare => compare::compare_ui(ui, &panel, &mut self.drafts.compare, commands),
            Panel::Findings => {
                findings::findings_ui(ui, &panel, &self.investigation.findings, commands)
            }
            Panel::Replay => replay::replay_ui(
                ui,
                &panel,
                &self.investigation.replay,
                &self.replay,
                &mut self.drafts.replay,
                commands,
            ),
            Panel::Data => data_panel::roles_ui(ui, &inputs, palette, commands),
            Panel::Settings => {
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
