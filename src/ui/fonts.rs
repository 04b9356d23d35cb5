//! The overlay's fonts: egui's built-in ones plus a small fallback cut from
//! DejaVu Sans (`assets/fonts/symbols.ttf`, made by
//! `tools/make_symbol_font.sh`) for the arrows and symbols they lack, which
//! the scenario captions and the tables use (`→` above all). Compiled in, so
//! the browser build needs no extra request.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};
use std::sync::Arc;

const SYMBOLS: &[u8] = include_bytes!("../../assets/fonts/symbols.ttf");

pub(super) fn plugin(app: &mut App) {
    app.add_systems(EguiPrimaryContextPass, setup.run_if(run_once));
}

fn setup(mut ctx: EguiContexts) -> Result {
    install(ctx.ctx_mut()?);
    Ok(())
}

/// egui's default fonts with the symbol font as the last fallback of both
/// families.
pub fn install(ctx: &egui::Context) {
    let mut fonts = egui::FontDefinitions::default();
    fonts.font_data.insert("symbols".into(), Arc::new(egui::FontData::from_static(SYMBOLS)));
    for family in [egui::FontFamily::Proportional, egui::FontFamily::Monospace] {
        fonts.families.entry(family).or_default().push("symbols".into());
    }
    ctx.set_fonts(fonts);
}
