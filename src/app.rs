//! The windowed app (native and, later, the browser): the engine, the
//! script player, the map and the overlay, paced by Bevy's fixed timestep
//! (one 50 ms tick per `FixedUpdate`, scaled by the play speed). Also the
//! `shot` mode: play to a tick, then save a screenshot and exit.

use crate::scenario::Scenario;
use crate::scenario::runner::{self, Script};
use crate::sim::signals::SignalsEnabled;
use crate::sim::world::{SimClock, SimControl};
use crate::sim::{self, SimSetup};
use crate::ui::controls::{Controls, ViewMode};
use bevy::asset::AssetMetaCheck;
use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured, save_to_disk};
use bevy::window::WindowResolution;
use std::path::PathBuf;

/// Take a screenshot at a tick, then exit.
#[derive(Resource, Clone, Debug)]
pub struct ShotOptions {
    pub tick: u64,
    pub out: PathBuf,
    pub view: ViewMode,
}

/// `assets/` next to where the command runs (a checkout), else Bevy's
/// default (next to the executable).
fn asset_dir() -> String {
    std::env::current_dir()
        .ok()
        .map(|d| d.join("assets"))
        .filter(|d| d.is_dir())
        .map_or_else(|| "assets".to_string(), |d| d.display().to_string())
}

/// The scenario file being played, watched for changes.
#[derive(Resource, Clone, Debug)]
pub struct ScenarioSource {
    pub path: PathBuf,
    modified: Option<std::time::SystemTime>,
}

impl ScenarioSource {
    pub fn new(path: PathBuf) -> Self {
        let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
        ScenarioSource { path, modified }
    }
}

/// Hot reload: when the scenario file changes on disk, load it again and
/// restart the run from tick 0 with it. A file that no longer parses is
/// reported in the error banner and the current run goes on.
pub fn watch_scenario(world: &mut World, mut frames: Local<u32>) {
    // Look at the file twice a second or so (every 30 frames).
    *frames += 1;
    if !frames.is_multiple_of(30) {
        return;
    }
    let Some(src) = world.get_resource::<ScenarioSource>().cloned() else { return };
    let modified = std::fs::metadata(&src.path).and_then(|m| m.modified()).ok();
    if modified.is_none() || modified == src.modified {
        return;
    }
    world.insert_resource(ScenarioSource { path: src.path.clone(), modified });
    match Scenario::load(&src.path) {
        Ok(sc) => {
            info!("{} changed: restarting the run with it", src.path.display());
            crate::ui::controls::play(world, sc);
        }
        Err(e) => sim::errors::report(world, format!("reload refused: {e}")),
    }
}

/// Everything the window app starts from.
#[derive(Clone, Debug)]
pub struct Launch {
    pub scenario: Scenario,
    /// The picker's name for it (`default`, `race`, or a file's stem).
    pub name: String,
    pub seed: u64,
    pub size: (u32, u32),
    /// The file it came from, watched and hot-reloaded.
    pub source: Option<PathBuf>,
    pub view: ViewMode,
    /// Index into [`crate::ui::controls::SPEEDS`].
    pub speed_index: usize,
    /// Fast-forward to this tick and pause there (a shared link).
    pub start_tick: Option<u64>,
    /// Problems with the launch input, shown in the banner.
    pub notices: Vec<String>,
    pub shot: Option<ShotOptions>,
}

impl Launch {
    pub fn new(scenario: Scenario, name: String, seed: u64) -> Self {
        Launch {
            scenario,
            name,
            seed,
            size: (1600, 900),
            source: None,
            view: ViewMode::System,
            speed_index: Controls::default().speed_index,
            start_tick: None,
            notices: vec![],
            shot: None,
        }
    }
}

/// Fast-forward to this tick once the world exists (consumed by
/// [`start_at_tick`]).
#[derive(Resource, Clone, Copy, Debug)]
struct StartAt(u64);

fn start_at_tick(world: &mut World) {
    if let Some(StartAt(t)) = world.remove_resource::<StartAt>() {
        crate::ui::controls::scrub_to(world, t);
    }
}

/// Opens the window and plays the launch's scenario.
pub fn run(launch: Launch) -> AppExit {
    let mut app = App::new();
    sim::errors::install(&mut app);
    app.insert_resource(ClearColor(Color::srgb(0.07, 0.08, 0.11)));
    app.add_plugins(
        DefaultPlugins
            .set(WindowPlugin {
                primary_window: Some(Window {
                    title: format!("cqrs-tickets — {}", launch.scenario.name),
                    resolution: WindowResolution::new(launch.size.0, launch.size.1),
                    canvas: Some("#bevy".into()),
                    fit_canvas_to_parent: true,
                    prevent_default_event_handling: true,
                    ..default()
                }),
                ..default()
            })
            .set(AssetPlugin { meta_check: AssetMetaCheck::Never, file_path: asset_dir(), ..default() }),
    );
    app.add_plugins((bevy_tweening::TweeningPlugin, bevy_egui::EguiPlugin::default()));
    app.insert_resource(SimSetup { world: launch.scenario.world.clone(), seed: launch.seed });
    app.add_plugins(sim::plugin);
    app.add_plugins(runner::plugin);
    app.insert_resource(Script::new(launch.scenario));
    app.insert_resource(SignalsEnabled(true));
    app.insert_resource(SimControl::default());
    app.add_plugins((crate::view::plugin, crate::ui::plugin));
    app.insert_resource(Controls { view: launch.view, speed_index: launch.speed_index, ..default() });
    app.insert_resource(crate::ui::controls::Playing { name: launch.name });
    if !launch.notices.is_empty() {
        let mut errors = sim::errors::SimErrors::default();
        errors.push(launch.notices.join(" · "));
        app.insert_resource(errors);
    }
    if let Some(path) = launch.source {
        app.insert_resource(ScenarioSource::new(path));
    }
    app.add_systems(Update, watch_scenario);
    if let Some(t) = launch.start_tick {
        app.insert_resource(StartAt(t));
        app.add_systems(PreUpdate, start_at_tick);
    }
    #[cfg(target_arch = "wasm32")]
    app.add_plugins(crate::web::plugin);
    if let Some(shot) = launch.shot {
        app.insert_resource(shot);
        app.add_systems(Update, drive_shot);
    }
    app.run()
}

/// Shot mode: fast-forward without particles to a few ticks before the
/// target, play the last ticks one per frame (so particles are in flight),
/// pause at the target, let a few frames render, capture, exit.
fn drive_shot(world: &mut World, mut frames_at_target: Local<u32>, mut requested: Local<bool>) {
    const LAST_TICKS: u64 = 12;
    let Some(shot) = world.get_resource::<ShotOptions>().cloned() else { return };
    let tick = world.resource::<SimClock>().tick;
    if tick + LAST_TICKS < shot.tick {
        world.resource_mut::<SignalsEnabled>().0 = false;
        let target = shot.tick - LAST_TICKS;
        let mut control = world.resource_mut::<SimControl>();
        control.paused = true;
        control.steps_left = 0;
        while world.resource::<SimClock>().tick < target {
            world.resource_mut::<SimControl>().steps_left = 1;
            world.run_schedule(FixedUpdate);
        }
        world.resource_mut::<SignalsEnabled>().0 = true;
        return;
    }
    let mut control = world.resource_mut::<SimControl>();
    control.paused = true;
    if tick < shot.tick {
        control.steps_left = 1;
        return;
    }
    control.steps_left = 0;
    *frames_at_target += 1;
    if *frames_at_target == 6 && !*requested {
        *requested = true;
        let out = shot.out.clone();
        world.commands().spawn(Screenshot::primary_window()).observe(
            move |captured: On<ScreenshotCaptured>, mut exit: MessageWriter<AppExit>, cost: Res<crate::view::MapFrameCost>, particles: Res<crate::view::particles::Particles>| {
                save_to_disk(out.clone())(captured);
                eprintln!(
                    "map systems: {:.0} µs mean, {:.0} µs max CPU per frame over {} frames; particles alive {}, spawned {}, dropped {}",
                    cost.mean_us(),
                    cost.max_us,
                    cost.frames,
                    particles.alive,
                    particles.spawned,
                    particles.dropped
                );
                exit.write(AppExit::Success);
            },
        );
    }
}
