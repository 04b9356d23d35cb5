//! Presentation of the System view: the architecture map, particles and the
//! camera. Reads the sim (resources, components, `SimSignal`s) and never
//! writes it; commands go through `ui::controls`.

pub mod camera;
pub mod chain;
pub mod layout;
pub mod map;
pub mod particles;

use bevy::platform::time::Instant;
use bevy::prelude::*;

/// The map's per-frame systems (counters, wires, particles), measured as a
/// group by [`MapFrameCost`].
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct MapSystems;

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
    map::plugin(app);
    particles::plugin(app);
    chain::plugin(app);
    camera::plugin(app);
    app.add_systems(Update, start_clock.before(MapSystems));
    app.add_systems(Update, stop_clock.after(MapSystems));
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
