//! The session: what a person does with a run, in one place. It launches
//! the window app (native and browser), restarts a run (reset, another
//! scenario or seed, a safeguard switched off or on), scrubs the timeline,
//! plays the script in guided mode (a pause at the end of each step), hot
//! reloads the scenario file and takes `shot`s. [`advance`] runs the sim
//! by exactly one tick for all of them.
//!
//! It handles the session-level [`UiAction`]s (the overlay and the keys
//! only send them) and talks to the sim through its requests and its
//! documented entry points (`sim::runtime::reset`, `schedule_input`); it
//! never edits a component's state.

use crate::scenario::Scenario;
use crate::scenario::runner::{self, Script};
use crate::sim::signals::{SignalsEnabled, SimSignal};
use crate::sim::{self, Mechanisms, Safeguard, SimRequest, SimSetup, protocol::SimSet};
use crate::sim::{
    runtime::{SimClock, SimControl},
    world::Inbox,
};
use crate::ui::controls::{Controls, Playing, UiAction, ViewMode};
pub use crate::viewstate::Guided;
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
            play(world, sc);
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
    /// The window's size; `None`: one that fits the screen it opens on.
    pub size: Option<(u32, u32)>,
    /// The file it came from, watched and hot-reloaded.
    pub source: Option<PathBuf>,
    pub view: ViewMode,
    /// Index into [`crate::ui::controls::SPEEDS`].
    pub speed_index: usize,
    /// Fast-forward to this tick and pause there (a shared link).
    pub start_tick: Option<u64>,
    /// Safeguards switched off (names of [`Safeguard::NAMES`]).
    pub disabled: Vec<String>,
    /// Guided mode (a pause at each step's end); `None`: on for the
    /// default script, off otherwise.
    pub guided: Option<bool>,
    /// Problems with the launch input, shown in the banner.
    pub notices: Vec<String>,
    pub shot: Option<ShotOptions>,
}

impl Launch {
    pub fn new(scenario: Scenario, name: String, seed: u64) -> Self {
        // What the file itself runs without (a shrunk swarm failure).
        let disabled = scenario.disable.clone();
        Launch {
            scenario,
            name,
            seed,
            size: None,
            source: None,
            view: ViewMode::System,
            speed_index: Controls::default().speed_index,
            start_tick: None,
            disabled,
            guided: None,
            notices: vec![],
            shot: None,
        }
    }

    /// What a shared link opens (the scenario already loaded by its name).
    pub fn from_link(link: &crate::ui::link::Link, scenario: Scenario, name: String, seed: u64) -> Self {
        Launch {
            view: link.view,
            speed_index: link.speed_index,
            start_tick: link.tick,
            disabled: scenario.disable.iter().chain(&link.disable).cloned().collect(),
            guided: link.guided,
            ..Launch::new(scenario, name, seed)
        }
    }

    /// The safeguards of this launch, or the name that is not one.
    pub fn mechanisms(&self) -> Result<Mechanisms, String> {
        let mut m = Mechanisms::default();
        for d in &self.disabled {
            m.disable(d)?;
        }
        Ok(m)
    }
}

/// Requests a person made (knobs), with the tick they took effect: replayed
/// by the scrubber so a re-simulation is the same run.
#[derive(Resource, Debug, Default, Clone)]
pub struct InputLog {
    pub entries: Vec<(u64, SimRequest)>,
}

/// Fast-forward to this tick once the world exists (consumed by
/// [`start_at_tick`]).
#[derive(Resource, Clone, Copy, Debug)]
struct StartAt(u64);

fn start_at_tick(world: &mut World) {
    if let Some(StartAt(t)) = world.remove_resource::<StartAt>() {
        scrub_to(world, t);
    }
}

/// The session's systems: actions, guided pauses. Works headless (tests)
/// as well as in the window.
pub fn plugin(app: &mut App) {
    app.init_resource::<SimControl>();
    app.init_resource::<InputLog>();
    app.init_resource::<Guided>();
    app.init_resource::<Playing>();
    app.add_systems(Update, apply_actions);
    app.add_systems(FixedUpdate, guided_pause.after(SimSet::Invariants));
}

/// Puts a launch's scenario, seed, safeguards and view into `app` (one
/// with the sim, the script player and the session plugins).
pub fn configure(app: &mut App, launch: &Launch) {
    app.insert_resource(SimSetup { world: launch.scenario.world.clone(), seed: launch.seed });
    app.insert_resource(Script::new(launch.scenario.clone()));
    match launch.mechanisms() {
        Ok(m) => {
            app.insert_resource(m);
        }
        Err(e) => sim::errors::report(app.world_mut(), e),
    }
    app.insert_resource(Controls { view: launch.view, speed_index: launch.speed_index, ..default() });
    app.insert_resource(Playing { name: launch.name.clone() });
    app.insert_resource(Guided { on: launch.guided.unwrap_or(launch.name == "default") });
    if !launch.notices.is_empty() {
        let mut errors = sim::errors::SimErrors::default();
        errors.push(launch.notices.join(" · "));
        app.insert_resource(errors);
    }
    if let Some(path) = &launch.source {
        app.insert_resource(ScenarioSource::new(path.clone()));
    }
    if let Some(t) = launch.start_tick {
        app.insert_resource(StartAt(t));
        app.add_systems(PreUpdate, start_at_tick);
    }
}

/// The size the window opens at (a shot's, or 1600×900 until the screen
/// is known: see [`fit_window_to_screen`]).
fn window_size(launch: &Launch) -> (u32, u32) {
    launch.size.unwrap_or((1600, 900))
}

/// Opens the window and plays the launch's scenario.
pub fn run(launch: Launch) -> AppExit {
    let mut app = App::new();
    sim::errors::install(&mut app);
    app.insert_resource(ClearColor(crate::view::layout::palette::GROUND));
    let (w, h) = window_size(&launch);
    app.add_plugins(
        DefaultPlugins
            .set(WindowPlugin {
                primary_window: Some(Window {
                    title: format!("cqrs-tickets — {}", launch.scenario.name),
                    resolution: WindowResolution::new(w, h),
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
    app.insert_resource(SignalsEnabled(true));
    app.add_plugins((crate::view::plugin, crate::ui::plugin, plugin));
    configure(&mut app, &launch);
    if launch.size.is_none() && launch.shot.is_none() {
        app.add_systems(Update, fit_window_to_screen);
    }
    app.add_systems(Update, watch_scenario);
    #[cfg(target_arch = "wasm32")]
    app.add_plugins(crate::web::plugin);
    if let Some(shot) = launch.shot {
        app.insert_resource(shot);
        app.add_systems(Update, drive_shot);
    }
    app.run()
}

/// Once the screen is known: a window that fits it (at most 1600×900, at
/// most nine tenths of the screen each way), so the caption strip is never
/// off-screen. Natively only: a browser canvas fits its page.
fn fit_window_to_screen(
    mut done: Local<bool>,
    monitors: Query<&bevy::window::Monitor, With<bevy::window::PrimaryMonitor>>,
    mut window: Single<&mut Window, With<bevy::window::PrimaryWindow>>,
) {
    if *done || cfg!(target_arch = "wasm32") {
        return;
    }
    let Some(m) = monitors.iter().next() else { return };
    *done = true;
    let scale = m.scale_factor.max(0.5) as f32;
    let (sw, sh) = (m.physical_width as f32 / scale, m.physical_height as f32 / scale);
    let (w, h) = fit_to_screen((1600.0, 900.0), (sw, sh));
    if (window.width() - w).abs() > 1.0 || (window.height() - h).abs() > 1.0 {
        window.resolution.set(w, h);
    }
}

/// The largest window of `want`'s aspect no bigger than `want` and nine
/// tenths of `screen` (logical pixels).
pub fn fit_to_screen(want: (f32, f32), screen: (f32, f32)) -> (f32, f32) {
    let k = (screen.0 * 0.9 / want.0).min(screen.1 * 0.9 / want.1).min(1.0);
    ((want.0 * k).round().max(320.0), (want.1 * k).round().max(180.0))
}

/// Runs the sim by exactly one tick, whether it is paused or not (the
/// scrubber, shots, tests): the one way the session moves the sim by hand.
pub fn advance(world: &mut World) {
    world.get_resource_or_insert_with(SimControl::default).steps_left = 1;
    world.run_schedule(FixedUpdate);
    world.resource_mut::<SimControl>().steps_left = 0;
}

/// Applies the session's actions (from keys or buttons).
fn apply_actions(mut actions: MessageReader<UiAction>, mut commands: Commands) {
    for a in actions.read() {
        let a = a.clone();
        commands.queue(move |world: &mut World| apply(world, a));
    }
}

/// One session action. View-only actions (tabs, speed, help) are the
/// overlay's and are ignored here.
pub fn apply(world: &mut World, action: UiAction) {
    match action {
        UiAction::TogglePause => {
            let mut c = world.get_resource_or_insert_with(SimControl::default);
            c.paused = !c.paused;
            c.steps_left = 0;
        }
        UiAction::Step(n) => {
            let mut c = world.get_resource_or_insert_with(SimControl::default);
            c.paused = true;
            c.steps_left += n;
        }
        UiAction::Reset => restart(world),
        UiAction::Request(request) => {
            // The inbox is drained by the next tick: that is when it happens.
            let at = world.get_resource::<SimClock>().map_or(0, |c| c.tick) + 1;
            world.get_resource_or_insert_with(InputLog::default).entries.push((at, request.clone()));
            world.get_resource_or_insert_with(Inbox::default).push(request);
        }
        UiAction::ScrubTo(t) => scrub_to(world, t),
        UiAction::StepBack => {
            let t = world.get_resource::<SimClock>().map_or(0, |c| c.tick).saturating_sub(1);
            scrub_to(world, t);
        }
        UiAction::LoadScenario(name) => {
            // A file that does not load leaves the current run as it was.
            if load_scenario(world, name) {
                resume(world);
            }
        }
        UiAction::SetSeed(seed) => {
            if let Some(mut setup) = world.get_resource_mut::<SimSetup>() {
                setup.seed = seed;
            }
            restart(world);
            resume(world);
        }
        UiAction::Safeguard(name, on) => {
            set_safeguard(world, name, on);
            resume(world);
        }
        UiAction::ToggleGuided => {
            let mut g = world.get_resource_or_insert_with(Guided::default);
            g.on = !g.on;
        }
        UiAction::NextStep => resume(world),
        UiAction::ReplayStep => replay_step(world),
        UiAction::CycleView
        | UiAction::SetView(_)
        | UiAction::Faster
        | UiAction::Slower
        | UiAction::ToggleHelp
        | UiAction::ToggleSpotlight
        | UiAction::Fit => {}
    }
}

/// Plays on (a new run starts playing; guided mode pauses it again at the
/// end of its first step).
fn resume(world: &mut World) {
    let mut c = world.get_resource_or_insert_with(SimControl::default);
    c.paused = false;
    c.steps_left = 0;
}

/// Guided mode: pause after the last tick of a step (the next one starts
/// on the next tick).
fn guided_pause(
    guided: Option<Res<Guided>>,
    script: Option<Res<Script>>,
    clock: Res<SimClock>,
    mut control: ResMut<SimControl>,
) {
    if !guided.is_some_and(|g| g.on) {
        return;
    }
    let Some(script) = script else { return };
    if step_ends_at(&script, clock.tick) {
        control.paused = true;
    }
}

/// Whether `tick` is the last tick of a step (not the last step).
pub fn step_ends_at(script: &Script, tick: u64) -> bool {
    script.plan.iter().skip(1).any(|p| p.start_tick == tick + 1 && p.start_tick > 0)
}

/// Plays the current step again: back to the tick before it began, then on
/// (guided mode pauses again at its end).
fn replay_step(world: &mut World) {
    let Some(script) = world.get_resource::<Script>() else { return };
    let Some(i) = script.current_index() else { return };
    let start = script.plan[i].start_tick;
    scrub_to(world, start.saturating_sub(1));
    resume(world);
}

/// Switches one safeguard and starts the run over with it: the same run as
/// `run --disable …` with the same set switched off.
pub fn set_safeguard(world: &mut World, safeguard: Safeguard, on: bool) {
    let mut m = world.get_resource::<Mechanisms>().cloned().unwrap_or_default();
    m.set(safeguard, on);
    world.insert_resource(m);
    restart(world);
}

/// The timeline scrubber: start over from tick 0 and re-simulate, headless
/// and fast (no particles), to `target`, replaying the script and every
/// logged input up to it; then pause there. Playing on forks the run: inputs
/// logged after `target` are forgotten.
pub fn scrub_to(world: &mut World, target: u64) {
    let mut log = world.get_resource::<InputLog>().cloned().unwrap_or_default();
    log.entries.retain(|(t, _)| *t <= target);
    reset_world(world);
    for (t, r) in &log.entries {
        sim::world::schedule_input(world, *t, r.clone());
    }
    world.insert_resource(log);
    let signals = world.get_resource::<SignalsEnabled>().map(|s| s.0);
    // The Sequence view draws recorded messages: with it open, the
    // re-simulation records them (and drops them afterwards, below, so the
    // map does not fly them all as particles at once).
    let record = world.get_resource::<Controls>().is_some_and(|c| c.view == ViewMode::Sequence);
    if signals.is_some() {
        world.resource_mut::<SignalsEnabled>().0 = record;
    }
    world.get_resource_or_insert_with(SimControl::default).paused = true;
    while world.resource::<SimClock>().tick < target {
        advance(world);
    }
    if record {
        forget_signals(world);
    }
    if let Some(on) = signals {
        world.resource_mut::<SignalsEnabled>().0 = on;
    }
}

/// Drops the signals of a fast-forward once recorded, so the map does not
/// fly them all as particles in the next frame.
fn forget_signals(world: &mut World) {
    if let Some(mut signals) = world.get_resource_mut::<Messages<SimSignal>>() {
        signals.clear();
    }
}

/// Plays bundled scenario `name` from tick 0 with the current seed (the
/// file on disk when there is one, watched for changes). A file that does
/// not load is reported in the banner, the current run goes on, and this
/// answers false.
pub fn load_scenario(world: &mut World, name: &str) -> bool {
    match crate::scenario::bundled::load(name) {
        Ok((sc, path)) => {
            match path {
                Some(p) => world.insert_resource(ScenarioSource::new(p)),
                None => {
                    world.remove_resource::<ScenarioSource>();
                }
            }
            world.insert_resource(Playing { name: name.to_string() });
            play(world, sc);
            true
        }
        Err(e) => {
            sim::errors::report(world, format!("cannot play {name}: {e}"));
            false
        }
    }
}

/// Plays `scenario` from tick 0 with the current seed.
pub fn play(world: &mut World, scenario: Scenario) {
    let seed = world.get_resource::<SimSetup>().map_or(scenario.seed, |s| s.seed);
    world.insert_resource(SimSetup { world: scenario.world.clone(), seed });
    world.insert_resource(Script::new(scenario));
    restart(world);
}

/// Tick 0 again, forgetting the inputs of the previous run.
pub fn restart(world: &mut World) {
    if let Some(mut log) = world.get_resource_mut::<InputLog>() {
        log.entries.clear();
    }
    reset_world(world);
}

/// Back to tick 0 with the same scenario, seed and safeguards.
pub fn reset_world(world: &mut World) {
    sim::runtime::reset(world);
    if let Some(script) = world.get_resource::<Script>() {
        let fresh = Script::new(script.scenario.clone());
        world.insert_resource(fresh);
    }
}

/// Shot mode: fast-forward without particles to a few ticks before the
/// target, play the last ticks one per frame (so particles are in flight),
/// pause at the target, let a few frames render, capture, exit.
fn drive_shot(world: &mut World, mut frames_at_target: Local<u32>, mut requested: Local<bool>) {
    const LAST_TICKS: u64 = 12;
    let Some(shot) = world.get_resource::<ShotOptions>().cloned() else { return };
    let tick = world.resource::<SimClock>().tick;
    if tick + LAST_TICKS < shot.tick {
        // The Sequence view draws recorded messages: it needs them all.
        world.resource_mut::<SignalsEnabled>().0 = shot.view == ViewMode::Sequence;
        world.resource_mut::<SimControl>().paused = true;
        while world.resource::<SimClock>().tick < shot.tick - LAST_TICKS {
            advance(world);
        }
        forget_signals(world);
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
            move |captured: On<ScreenshotCaptured>,
                  mut exit: MessageWriter<AppExit>,
                  cost: Res<crate::view::MapFrameCost>,
                  particles: Res<crate::view::particles::Particles>| {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_fits_the_screen_it_opens_on() {
        assert_eq!(fit_to_screen((1600.0, 900.0), (1920.0, 1080.0)), (1600.0, 900.0));
        let (w, h) = fit_to_screen((1600.0, 900.0), (1366.0, 768.0));
        assert!(w <= 1366.0 * 0.9 && h <= 768.0 * 0.9, "{w}×{h}");
        assert!((w / h - 16.0 / 9.0).abs() < 0.01);
        let (w, h) = fit_to_screen((1600.0, 900.0), (1280.0, 720.0));
        assert!(w <= 1152.0 && h <= 648.0);
    }
}
