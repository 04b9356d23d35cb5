//! The egui overlay and the controls. Reads the sim and sends it requests
//! through the inbox; never edits sim state directly.

pub mod controls;
pub mod fonts;
pub mod hud;
pub mod link;
pub mod panels;
pub mod plots;
pub mod safeguards;
pub mod sequence;
pub mod tables;

use bevy::prelude::*;

pub fn plugin(app: &mut App) {
    controls::plugin(app);
    fonts::plugin(app);
    hud::plugin(app);
    plots::plugin(app);
    sequence::plugin(app);
}
