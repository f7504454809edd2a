//! The one place colours and spacing live. Panels ask for a meaning ("a warning"), not a colour.

use eframe::egui::{self, Color32, Visuals};

/// Colours with a meaning, for the current light or dark theme.
#[derive(Clone, Copy, Debug)]
pub struct Palette {
    pub error: Color32,
    pub warning: Color32,
    pub ok: Color32,
    pub muted: Color32,
    /// Highlight for something only one side has (a schema difference).
    pub one_sided: Color32,
    /// Series in charts: the reference (baseline), the log, the selected slice.
    pub baseline: Color32,
    pub current: Color32,
    pub slice: Color32,
    /// The brushed time range.
    pub brush: Color32,
    pub dark: bool,
}

impl Palette {
    /// Heatmap fill for a drift severity (1 = at the threshold): neutral below half the
    /// threshold, then through amber to red at twice the threshold; grey without a verdict.
    pub fn heat(&self, severity: f64) -> Color32 {
        if severity < 0.0 {
            return if self.dark {
                Color32::from_gray(60)
            } else {
                Color32::from_gray(215)
            };
        }
        let (calm, amber, red) = if self.dark {
            (
                Color32::from_rgb(0x2a, 0x3a, 0x34),
                Color32::from_rgb(0x9a, 0x6a, 0x10),
                Color32::from_rgb(0xb0, 0x2a, 0x2a),
            )
        } else {
            (
                Color32::from_rgb(0xe6, 0xf2, 0xe8),
                Color32::from_rgb(0xff, 0xc8, 0x6b),
                Color32::from_rgb(0xe8, 0x5a, 0x5a),
            )
        };
        let s = severity as f32;
        if s <= 0.5 {
            calm
        } else if s <= 1.0 {
            calm.lerp_to_gamma(amber, (s - 0.5) / 0.5)
        } else {
            amber.lerp_to_gamma(red, ((s - 1.0) / 1.0).min(1.0))
        }
    }

    /// Text that reads on a heat fill.
    pub fn heat_text(&self) -> Color32 {
        if self.dark {
            Color32::from_gray(235)
        } else {
            Color32::from_gray(20)
        }
    }

    /// Colours for several lines in one chart.
    pub fn series(&self, i: usize) -> Color32 {
        const DARK: [Color32; 8] = [
            Color32::from_rgb(0x8a, 0xb4, 0xff),
            Color32::from_rgb(0xff, 0x9e, 0x6b),
            Color32::from_rgb(0x6b, 0xd4, 0x8c),
            Color32::from_rgb(0xd0, 0x8a, 0xff),
            Color32::from_rgb(0xff, 0xd5, 0x4d),
            Color32::from_rgb(0x4d, 0xd8, 0xe0),
            Color32::from_rgb(0xff, 0x6b, 0xa8),
            Color32::from_rgb(0xb5, 0xb5, 0xb5),
        ];
        const LIGHT: [Color32; 8] = [
            Color32::from_rgb(0x1f, 0x4f, 0xb0),
            Color32::from_rgb(0xc0, 0x50, 0x10),
            Color32::from_rgb(0x1d, 0x7a, 0x3a),
            Color32::from_rgb(0x7a, 0x2f, 0xb0),
            Color32::from_rgb(0x9a, 0x7b, 0x00),
            Color32::from_rgb(0x00, 0x7a, 0x85),
            Color32::from_rgb(0xb0, 0x1f, 0x6a),
            Color32::from_rgb(0x55, 0x55, 0x55),
        ];
        if self.dark {
            DARK[i % DARK.len()]
        } else {
            LIGHT[i % LIGHT.len()]
        }
    }
}

pub fn palette(dark: bool) -> Palette {
    if dark {
        Palette {
            error: Color32::from_rgb(0xff, 0x6b, 0x6b),
            warning: Color32::from_rgb(0xff, 0xc1, 0x4d),
            ok: Color32::from_rgb(0x6b, 0xd4, 0x8c),
            muted: Color32::from_gray(150),
            one_sided: Color32::from_rgb(0x8a, 0xb4, 0xff),
            baseline: Color32::from_rgb(0x8a, 0xb4, 0xff),
            current: Color32::from_rgb(0xff, 0x9e, 0x6b),
            slice: Color32::from_rgb(0xd0, 0x8a, 0xff),
            brush: Color32::from_rgba_unmultiplied(0x8a, 0xb4, 0xff, 40),
            dark,
        }
    } else {
        Palette {
            error: Color32::from_rgb(0xb0, 0x1f, 0x1f),
            warning: Color32::from_rgb(0x9a, 0x5b, 0x00),
            ok: Color32::from_rgb(0x1d, 0x7a, 0x3a),
            muted: Color32::from_gray(100),
            one_sided: Color32::from_rgb(0x1f, 0x4f, 0xb0),
            baseline: Color32::from_rgb(0x1f, 0x4f, 0xb0),
            current: Color32::from_rgb(0xc0, 0x50, 0x10),
            slice: Color32::from_rgb(0x7a, 0x2f, 0xb0),
            brush: Color32::from_rgba_unmultiplied(0x1f, 0x4f, 0xb0, 40),
            dark,
        }
    }
}

/// Applies the light or dark theme to the whole app.
pub fn apply(ctx: &egui::Context, dark: bool) {
    let mut visuals = if dark {
        Visuals::dark()
    } else {
        Visuals::light()
    };
    visuals.striped = true;
    ctx.set_visuals(visuals);
}

/// How often a busy indicator moves: ten frames a second.
const BUSY_FRAME: std::time::Duration = std::time::Duration::from_millis(100);

/// The busy indicator: an arc turning at ten frames a second. egui's own spinner asks for a new
/// frame at once every frame — sixty a second of layout and painting for as long as a job runs,
/// which on a machine that renders in software (a VM, a remote desktop) takes a core from the
/// job being waited for.
pub fn spinner(ui: &mut egui::Ui) -> egui::Response {
    let size = ui.style().spacing.interact_size.y;
    let (rect, response) = ui.allocate_exact_size(egui::vec2(size, size), egui::Sense::hover());
    if ui.is_rect_visible(rect) {
        ui.ctx().request_repaint_after(BUSY_FRAME);
        let turn = ui.input(|i| i.time).fract() * std::f64::consts::TAU;
        let radius = size * 0.5 - 2.0;
        let steps = 24;
        let points: Vec<egui::Pos2> = (0..=steps)
            .map(|k| {
                // Three quarters of a circle, starting where the turn has got to.
                let a = turn + 1.5 * std::f64::consts::PI * f64::from(k) / f64::from(steps);
                rect.center() + radius * egui::vec2(a.cos() as f32, a.sin() as f32)
            })
            .collect();
        let color = ui.visuals().strong_text_color();
        ui.painter()
            .add(egui::Shape::line(points, egui::Stroke::new(2.5, color)));
    }
    response
}
