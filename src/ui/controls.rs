//! One controls module for keys and toolbar buttons alike: both produce
//! [`UiAction`] messages, and one system applies them to the sim (pause,
//! step, reset, knobs, speed) and to the view state (view tab, help). Keys
//! are ignored while an egui text field has focus.

use crate::scenario::runner::Script;
use crate::sim::projectors::Projection;
use crate::sim::query_api::CustomerQuery;
use crate::sim::world::{Inbox, SimControl};
use crate::sim::{KnobChange, Knobs, SimRequest};
use bevy::prelude::*;
use bevy_egui::input::EguiWantsInput;

/// Something a person asked for.
#[derive(Message, Clone, Copy, Debug, PartialEq, Eq)]
pub enum UiAction {
    TogglePause,
    Step(u32),
    Reset,
    CycleView,
    SetView(ViewMode),
    Knob(KnobButton),
    Faster,
    Slower,
    ToggleHelp,
    Fit,
    /// Re-simulate from tick 0 to this tick and pause there (the scrubber).
    ScrubTo(u64),
    /// One tick back (a scrub to the previous tick).
    StepBack,
    /// Play another bundled scenario (same seed) from tick 0.
    LoadScenario(&'static str),
    /// Same scenario, another seed, from tick 0.
    SetSeed(u64),
}

/// The scenario being played, by its picker name.
#[derive(Resource, Clone, Debug, PartialEq, Eq)]
pub struct Playing {
    pub name: String,
}

impl Default for Playing {
    fn default() -> Self {
        Playing { name: "default".into() }
    }
}

/// The six toolbar knobs.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum KnobButton {
    SlowV2,
    FailIssue,
    DupDeliver,
    Stampede,
    Burst,
    Replay,
}

impl KnobButton {
    pub const ALL: [KnobButton; 6] = [
        KnobButton::SlowV2,
        KnobButton::FailIssue,
        KnobButton::DupDeliver,
        KnobButton::Stampede,
        KnobButton::Burst,
        KnobButton::Replay,
    ];

    pub fn label(self) -> &'static str {
        match self {
            KnobButton::SlowV2 => "Slow V2",
            KnobButton::FailIssue => "Fail issue",
            KnobButton::DupDeliver => "Dup deliver",
            KnobButton::Stampede => "Stampede",
            KnobButton::Burst => "Burst",
            KnobButton::Replay => "Replay",
        }
    }

    pub fn help(self) -> &'static str {
        match self {
            KnobButton::SlowV2 => {
                "Lufthansa (V2) answers 5 s late: saga steps time out and compensate; late replies are undone."
            }
            KnobButton::FailIssue => {
                "Delta (V3) answers 5xx to ticket issues: paid bookings are refunded, then released."
            }
            KnobButton::DupDeliver => "RabbitMQ delivers every message twice: idempotency logs skip the copies.",
            KnobButton::Stampede => {
                "200 customers ask for IB3166's seats the moment the key expires: one populator serves them all."
            }
            KnobButton::Burst => "50 commands per second for 5 s: the store grows, lag balloons, then drains.",
            KnobButton::Replay => "Drop CustomerBookings and rebuild it from seq 0: the same view comes back.",
        }
    }

    /// Whether a toggle knob is on (one-shot knobs are never "on").
    pub fn is_on(self, knobs: &Knobs) -> bool {
        match self {
            KnobButton::SlowV2 => knobs.slow_vendor_ms.contains_key("V2"),
            KnobButton::FailIssue => knobs.fail_issue.contains("V3"),
            KnobButton::DupDeliver => knobs.duplicate_pct > 0,
            KnobButton::Burst => knobs.burst.is_some(),
            KnobButton::Stampede | KnobButton::Replay => false,
        }
    }

    /// The request that flips it.
    pub fn request(self, knobs: &Knobs) -> SimRequest {
        let on = !self.is_on(knobs);
        match self {
            KnobButton::SlowV2 => {
                SimRequest::Knob(KnobChange::SlowVendor { vendor: "V2".into(), extra_ms: if on { 5_000 } else { 0 } })
            }
            KnobButton::FailIssue => SimRequest::Knob(KnobChange::FailIssue { vendor: "V3".into(), on }),
            KnobButton::DupDeliver => SimRequest::Knob(KnobChange::DuplicateDelivery { pct: if on { 100 } else { 0 } }),
            KnobButton::Burst => {
                SimRequest::Knob(KnobChange::Burst { per_s: if on { 50 } else { 0 }, duration_ms: 5_000 })
            }
            KnobButton::Stampede => {
                SimRequest::Stampede { query: CustomerQuery::SeatsLeft { flight: "IB3166".into() }, gets: 200 }
            }
            KnobButton::Replay => SimRequest::Replay(Projection::CustomerBookings),
        }
    }
}

/// The five views (System is the map; the others are panels over it).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum ViewMode {
    #[default]
    System,
    Command,
    Events,
    Queries,
    Vendors,
}

impl ViewMode {
    pub const ALL: [ViewMode; 5] =
        [ViewMode::System, ViewMode::Command, ViewMode::Events, ViewMode::Queries, ViewMode::Vendors];
    pub fn name(self) -> &'static str {
        match self {
            ViewMode::System => "System",
            ViewMode::Command => "Command",
            ViewMode::Events => "Events",
            ViewMode::Queries => "Queries",
            ViewMode::Vendors => "Vendors",
        }
    }
    pub fn from_name(s: &str) -> Option<ViewMode> {
        Self::ALL.into_iter().find(|v| v.name().eq_ignore_ascii_case(s))
    }
    pub fn next(self) -> ViewMode {
        let i = Self::ALL.iter().position(|v| *v == self).unwrap_or(0);
        Self::ALL[(i + 1) % Self::ALL.len()]
    }
}

/// Play speeds (× real time); the last one is "max".
pub const SPEEDS: [f32; 8] = [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 64.0];

/// View-side state the keys change.
#[derive(Resource, Clone, Debug)]
pub struct Controls {
    pub view: ViewMode,
    pub speed_index: usize,
    pub help: bool,
}

impl Default for Controls {
    fn default() -> Self {
        Controls { view: ViewMode::System, speed_index: 2, help: false }
    }
}

impl Controls {
    pub fn speed(&self) -> f32 {
        SPEEDS[self.speed_index.min(SPEEDS.len() - 1)]
    }
    pub fn speed_label(&self) -> String {
        if self.speed_index == SPEEDS.len() - 1 { "max".into() } else { format!("{}×", self.speed()) }
    }
}

/// Every key, for the help overlay (and the README).
pub const KEYS: &[(&str, &str)] = &[
    ("space", "run / pause the script"),
    ("s", "step one tick (50 ms simulated)"),
    ("shift+s", "step ten ticks"),
    ("r", "reset: empty store, tick 0"),
    ("v", "cycle views: System → Command → Events → Queries → Vendors"),
    ("1", "knob: Slow V2 (Lufthansa +5 s)"),
    ("2", "knob: Fail issue (Delta 5xx)"),
    ("3", "knob: Dup deliver (every message twice)"),
    ("4", "knob: Stampede (200 gets on one key)"),
    ("5", "knob: Burst (50 commands/s for 5 s)"),
    ("6", "knob: Replay CustomerBookings from seq 0"),
    (". / ,", "faster / slower (0.25× … 16×, max)"),
    ("drag, arrows", "pan the map"),
    ("wheel, + / -", "zoom around the cursor"),
    ("f", "fit the whole map"),
    ("b", "step back one tick (re-simulates from tick 0)"),
    ("h or ?", "this help"),
];

pub fn plugin(app: &mut App) {
    app.init_resource::<Controls>();
    app.init_resource::<SimControl>();
    app.init_resource::<InputLog>();
    app.init_resource::<Playing>();
    app.add_message::<UiAction>();
    app.add_systems(PreUpdate, keyboard.after(bevy::input::InputSystems));
    app.add_systems(Update, apply_actions);
}

fn keyboard(
    keys: Option<Res<ButtonInput<KeyCode>>>,
    egui: Option<Res<EguiWantsInput>>,
    mut out: MessageWriter<UiAction>,
) {
    let Some(keys) = keys else { return };
    if egui.is_some_and(|e| e.wants_any_keyboard_input()) {
        return;
    }
    let shift = keys.pressed(KeyCode::ShiftLeft) || keys.pressed(KeyCode::ShiftRight);
    let pressed = |k| keys.just_pressed(k);
    if pressed(KeyCode::Space) {
        out.write(UiAction::TogglePause);
    }
    if pressed(KeyCode::KeyS) {
        out.write(UiAction::Step(if shift { 10 } else { 1 }));
    }
    if pressed(KeyCode::KeyR) {
        out.write(UiAction::Reset);
    }
    if pressed(KeyCode::KeyV) {
        out.write(UiAction::CycleView);
    }
    let digits = [KeyCode::Digit1, KeyCode::Digit2, KeyCode::Digit3, KeyCode::Digit4, KeyCode::Digit5, KeyCode::Digit6];
    for (k, b) in digits.into_iter().zip(KnobButton::ALL) {
        if pressed(k) {
            out.write(UiAction::Knob(b));
        }
    }
    if pressed(KeyCode::Period) {
        out.write(UiAction::Faster);
    }
    if pressed(KeyCode::Comma) {
        out.write(UiAction::Slower);
    }
    if pressed(KeyCode::KeyH) || pressed(KeyCode::Slash) {
        out.write(UiAction::ToggleHelp);
    }
    if pressed(KeyCode::KeyF) {
        out.write(UiAction::Fit);
    }
    if pressed(KeyCode::KeyB) {
        out.write(UiAction::StepBack);
    }
}

/// Applies every action (from keys or buttons).
#[allow(clippy::too_many_arguments)]
fn apply_actions(
    mut actions: MessageReader<UiAction>,
    mut control: ResMut<SimControl>,
    mut controls: ResMut<Controls>,
    knobs: Option<Res<Knobs>>,
    mut inbox: ResMut<Inbox>,
    mut time: ResMut<Time<Virtual>>,
    fit: Option<ResMut<crate::view::camera::FitRequest>>,
    mut input_log: ResMut<InputLog>,
    clock: Option<Res<crate::sim::SimClock>>,
    mut commands: Commands,
) {
    let mut fit = fit;
    for a in actions.read() {
        match *a {
            UiAction::TogglePause => {
                control.paused = !control.paused;
                control.steps_left = 0;
            }
            UiAction::Step(n) => {
                control.paused = true;
                control.steps_left += n;
            }
            UiAction::Reset => {
                input_log.entries.clear();
                commands.queue(reset_world);
            }
            UiAction::CycleView => controls.view = controls.view.next(),
            UiAction::SetView(v) => controls.view = v,
            UiAction::Knob(b) => {
                if let Some(k) = knobs.as_ref() {
                    let request = b.request(k);
                    // The inbox is drained by the next tick: that is when it happens.
                    input_log.entries.push((clock.as_ref().map_or(0, |c| c.tick) + 1, request.clone()));
                    inbox.push(request);
                }
            }
            UiAction::ScrubTo(t) => commands.queue(move |world: &mut World| scrub_to(world, t)),
            UiAction::StepBack => {
                let t = clock.as_ref().map_or(0, |c| c.tick).saturating_sub(1);
                commands.queue(move |world: &mut World| scrub_to(world, t));
            }
            UiAction::LoadScenario(name) => commands.queue(move |world: &mut World| load_scenario(world, name)),
            UiAction::SetSeed(seed) => commands.queue(move |world: &mut World| {
                if let Some(mut setup) = world.get_resource_mut::<crate::sim::SimSetup>() {
                    setup.seed = seed;
                }
                restart(world);
            }),
            UiAction::Faster => controls.speed_index = (controls.speed_index + 1).min(SPEEDS.len() - 1),
            UiAction::Slower => controls.speed_index = controls.speed_index.saturating_sub(1),
            UiAction::ToggleHelp => controls.help = !controls.help,
            UiAction::Fit => {
                if let Some(f) = fit.as_mut() {
                    f.0 = true;
                }
            }
        }
    }
    let speed = controls.speed();
    if time.relative_speed() != speed {
        time.set_relative_speed(speed);
        // Let a slow frame catch up at high speed without a spiral.
        time.set_max_delta(std::time::Duration::from_millis((250.0 * speed.max(1.0)) as u64));
    }
}

/// Requests a person made (knobs), with the tick they took effect: replayed
/// by the scrubber so a re-simulation is the same run.
#[derive(Resource, Debug, Default, Clone)]
pub struct InputLog {
    pub entries: Vec<(u64, SimRequest)>,
}

/// The timeline scrubber: start over from tick 0 and re-simulate, headless
/// and fast (no particles), to `target`, replaying the script and every
/// logged input up to it; then pause there. Playing on forks the run: inputs
/// logged after `target` are forgotten.
pub fn scrub_to(world: &mut World, target: u64) {
    let mut log = world.get_resource::<InputLog>().cloned().unwrap_or_default();
    log.entries.retain(|(t, _)| *t <= target);
    reset_world(world);
    {
        let mut scheduled = world.resource_mut::<crate::sim::world::Scheduled>();
        for (t, r) in &log.entries {
            scheduled.at.entry(*t).or_default().push(r.clone());
        }
    }
    world.insert_resource(log);
    let signals = world.get_resource::<crate::sim::signals::SignalsEnabled>().map(|s| s.0);
    if signals.is_some() {
        world.resource_mut::<crate::sim::signals::SignalsEnabled>().0 = false;
    }
    world.get_resource_or_insert_with(SimControl::default).paused = true;
    while world.resource::<crate::sim::SimClock>().tick < target {
        world.resource_mut::<SimControl>().steps_left = 1;
        world.run_schedule(FixedUpdate);
    }
    world.resource_mut::<SimControl>().steps_left = 0;
    if let Some(on) = signals {
        world.resource_mut::<crate::sim::signals::SignalsEnabled>().0 = on;
    }
}

/// Plays bundled scenario `name` from tick 0 with the current seed (the
/// file on disk when there is one, watched for changes). A file that does
/// not load is reported in the banner and the current run goes on.
pub fn load_scenario(world: &mut World, name: &str) {
    match crate::scenario::bundled::load(name) {
        Ok((sc, path)) => {
            match path {
                Some(p) => world.insert_resource(crate::app::ScenarioSource::new(p)),
                None => {
                    world.remove_resource::<crate::app::ScenarioSource>();
                }
            }
            world.insert_resource(Playing { name: name.to_string() });
            play(world, sc);
        }
        Err(e) => crate::sim::errors::report(world, format!("cannot play {name}: {e}")),
    }
}

/// Plays `scenario` from tick 0 with the current seed.
pub fn play(world: &mut World, scenario: crate::scenario::Scenario) {
    let seed = world.get_resource::<crate::sim::SimSetup>().map_or(scenario.seed, |s| s.seed);
    world.insert_resource(crate::sim::SimSetup { world: scenario.world.clone(), seed });
    world.insert_resource(Script::new(scenario));
    restart(world);
}

/// Tick 0 again, forgetting the inputs of the previous run.
fn restart(world: &mut World) {
    if let Some(mut log) = world.get_resource_mut::<InputLog>() {
        log.entries.clear();
    }
    reset_world(world);
}

/// Back to tick 0 with the same scenario and seed.
pub fn reset_world(world: &mut World) {
    crate::sim::world::reset(world);
    if let Some(script) = world.get_resource::<Script>() {
        let fresh = Script::new(script.scenario.clone());
        world.insert_resource(fresh);
    }
}
