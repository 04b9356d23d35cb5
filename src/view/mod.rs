//! Presentation of the System view: the architecture map, particles and the
//! camera. Reads the sim (resources, components, `SimSignal`s) and never
//! writes it; commands go through `ui::controls`.

pub mod camera;
pub mod layout;
pub mod map;
pub mod particles;

use bevy::prelude::*;

pub fn plugin(app: &mut App) {
    map::plugin(app);
    particles::plugin(app);
    camera::plugin(app);
}
