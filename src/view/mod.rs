//! Presentation of the System view: the architecture map laid out from the
//! world being played, the entities drawn on it, particles, the spotlight
//! on the current step's actors, and the camera. Reads the sim (resources,
//! components, `SimSignal`s) and the shared view state
//! ([`crate::viewstate`]); never writes the sim, and never imports `ui`.

pub mod camera;
pub mod chain;
pub mod entities;
mod font_metrics;
pub mod fonts;
pub mod layout;
pub mod legend;
pub mod map;
pub mod outage;
pub mod particles;
pub mod spotlight;
pub mod text;

use crate::sim::SimSetup;
use crate::sim::config::WorldConfig;
use bevy::platform::time::Instant;
use bevy::prelude::*;
pub use layout::MapLayout;
pub use spotlight::Focus;

/// The map's per-frame systems (counters, wires, entities, particles),
/// measured as a group by [`MapFrameCost`].
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct MapSystems;

/// Laying the map out again for a new world (before [`MapSystems`]).
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct Relayout;

/// The layout of the world being played, and that world.
#[derive(Resource, Debug, Clone, Default)]
pub struct MapLayoutRes {
    pub world: WorldConfig,
    pub map: MapLayout,
}

/// Everything spawned for the current layout (despawned on a relayout).
#[derive(Component, Clone, Copy, Debug, Default)]
pub struct MapItem;

/// Map text of `px` design pixels: re-rasterised at the size it is shown,
/// so it stays sharp at any zoom.
#[derive(Component, Clone, Copy, Debug)]
pub struct MapText {
    pub px: f32,
}

/// CPU time the map's systems take per frame (a benchmark figure, shown in
/// no test: see docs/PERFORMANCE.md).
#[derive(Resource, Debug, Default, Clone)]
pub struct MapFrameCost {
    pub frames: u64,
    pub total_us: f64,
    pub max_us: f64,
    started: Option<Instant>,
}

impl MapFrameCost {
    pub fn mean_us(&self) -> f64 {
        self.total_us / self.frames.max(1) as f64
    }
}

pub fn plugin(app: &mut App) {
    app.init_resource::<MapFrameCost>();
    app.init_resource::<MapLayoutRes>();
    app.init_resource::<crate::viewstate::Hover>();
    app.init_resource::<crate::viewstate::Pinned>();
    app.init_resource::<crate::viewstate::MapStats>();
    app.configure_sets(Update, Relayout.before(MapSystems));
    app.add_systems(Update, (relayout, map::spawn_map, legend::spawn_legend).chain().in_set(Relayout));
    fonts::plugin(app);
    map::plugin(app);
    entities::plugin(app);
    particles::plugin(app);
    chain::plugin(app);
    spotlight::plugin(app);
    outage::plugin(app);
    camera::plugin(app);
    app.add_systems(Update, sharp_text.after(MapSystems));
    app.add_systems(Update, start_clock.before(MapSystems).after(Relayout));
    app.add_systems(Update, stop_clock.after(MapSystems));
}

/// A new world (another scenario, or the first frame): lay the map out.
fn relayout(setup: Option<Res<SimSetup>>, mut layout: ResMut<MapLayoutRes>, mut first: Local<bool>) {
    // The setup changes on a reset too (same world): compare only then.
    if *first && !setup.as_ref().is_some_and(|s| s.is_changed()) {
        return;
    }
    let world = setup.map(|s| s.world.clone()).unwrap_or_default();
    if !*first || layout.world != world {
        *first = true;
        layout.map = MapLayout::new(&world);
        layout.world = world;
    }
}

/// Keeps map text as sharp as the zoom allows: the font is rasterised at
/// the size the text is shown (in steps, each a new glyph atlas) and the
/// entity scaled back by the camera's scale.
fn sharp_text(
    cam: Single<&Projection, With<Camera2d>>,
    mut texts: Query<(Ref<MapText>, &mut TextFont, &mut Transform)>,
    mut last: Local<f32>,
) {
    let Projection::Orthographic(o) = *cam else { return };
    // Shown sizes snap to quarter steps of zoom, so a wheel zoom makes a
    // few atlases, not one per frame.
    let zoom = (1.0 / o.scale).clamp(0.25, 4.0);
    let snapped = (zoom * 4.0).round() / 4.0;
    let changed = (snapped - *last).abs() > f32::EPSILON;
    *last = snapped;
    for (t, mut font, mut tf) in &mut texts {
        if !changed && !t.is_added() {
            continue;
        }
        let want = FontSize::Px((t.px * snapped).max(1.0));
        if font.font_size != want {
            font.font_size = want;
        }
        let s = 1.0 / snapped;
        if tf.scale.x != s {
            tf.scale = Vec3::new(s, s, 1.0);
        }
    }
}

fn start_clock(mut cost: ResMut<MapFrameCost>) {
    cost.started = Some(Instant::now());
}

fn stop_clock(mut cost: ResMut<MapFrameCost>) {
    if let Some(t) = cost.started.take() {
        let us = t.elapsed().as_secs_f64() * 1e6;
        cost.frames += 1;
        cost.total_us += us;
        cost.max_us = cost.max_us.max(us);
    }
}
