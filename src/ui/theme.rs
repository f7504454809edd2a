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
}

pub fn palette(dark: bool) -> Palette {
    if dark {
        Palette {
            error: Color32::from_rgb(0xff, 0x6b, 0x6b),
            warning: Color32::from_rgb(0xff, 0xc1, 0x4d),
            ok: Color32::from_rgb(0x6b, 0xd4, 0x8c),
            muted: Color32::from_gray(150),
            one_sided: Color32::from_rgb(0x8a, 0xb4, 0xff),
        }
    } else {
        Palette {
            error: Color32::from_rgb(0xb0, 0x1f, 0x1f),
            warning: Color32::from_rgb(0x9a, 0x5b, 0x00),
            ok: Color32::from_rgb(0x1d, 0x7a, 0x3a),
            muted: Color32::from_gray(100),
            one_sided: Color32::from_rgb(0x1f, 0x4f, 0xb0),
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
