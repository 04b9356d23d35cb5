//! One controls module for keys and toolbar buttons alike: both produce
//! [`UiAction`] messages. The view-level ones (view tab, speed, help, fit)
//! are applied here; the session applies the rest (pause, step, reset,
//! knobs, scrubbing, safeguards, guided mode). A knob is resolved here
//! into the request it sends, aimed at the vendor picked for it. Keys are
//! ignored while an egui text field has focus.

use crate::domain::VendorId;
use crate::sim::config::WorldConfig;
use crate::sim::protocol::Projection;
use crate::sim::query_api::CustomerQuery;
use crate::sim::{KnobChange, Knobs, Safeguard, SimRequest, SimSetup};
use bevy::prelude::*;
use bevy_egui::input::EguiWantsInput;

/// Something a person asked for.
#[derive(Message, Clone, Debug, PartialEq)]
pub enum UiAction {
    TogglePause,
    Step(u32),
    Reset,
    CycleView,
    SetView(ViewMode),
    /// A knob, as the request it sends to the engine.
    Request(SimRequest),
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
    /// Switch a safeguard on or off and start the run over.
    Safeguard(Safeguard, bool),
    /// Guided mode on / off.
    ToggleGuided,
    /// Guided mode: play the next step (to its end).
    NextStep,
    /// Guided mode: play the current step again from its start.
    ReplayStep,
    /// The spotlight on the current step's actors on / off.
    ToggleSpotlight,
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
    SlowVendor,
    FailIssue,
    DupDeliver,
    Stampede,
    Burst,
    Replay,
}

/// The vendor each vendor knob aims at (picked on the toolbar). `None`, or
/// a vendor the world lacks: the knob's default for the world.
#[derive(Resource, Clone, Debug, Default, PartialEq, Eq)]
pub struct KnobTargets {
    pub slow: Option<VendorId>,
    pub fail_issue: Option<VendorId>,
}

impl KnobTargets {
    /// The vendor `knob` aims at in `world` (None: the world has no vendor).
    pub fn target(&self, knob: KnobButton, world: &WorldConfig) -> Option<VendorId> {
        let has = |v: &VendorId| world.vendors.iter().any(|x| x.id == *v);
        let (picked, default_index) = match knob {
            // The default script slows V2 (Lufthansa) and fails V3 (Delta).
            KnobButton::SlowVendor => (&self.slow, 1),
            KnobButton::FailIssue => (&self.fail_issue, 2),
            _ => return None,
        };
        picked
            .clone()
            .filter(has)
            .or_else(|| world.vendors.get(default_index).or(world.vendors.last()).map(|v| v.id.clone()))
    }
}

impl KnobButton {
    pub const ALL: [KnobButton; 6] = [
        KnobButton::SlowVendor,
        KnobButton::FailIssue,
        KnobButton::DupDeliver,
        KnobButton::Stampede,
        KnobButton::Burst,
        KnobButton::Replay,
    ];

    /// Its name on the toolbar (the vendor knobs' target sits beside it,
    /// in a picker of the world's vendors).
    pub fn label(self) -> &'static str {
        match self {
            KnobButton::SlowVendor => "Slow",
            KnobButton::FailIssue => "Fail issue",
            KnobButton::DupDeliver => "Dup deliver",
            KnobButton::Stampede => "Stampede",
            KnobButton::Burst => "Burst",
            KnobButton::Replay => "Replay",
        }
    }

    pub fn help(self) -> &'static str {
        match self {
            KnobButton::SlowVendor => {
                "The picked vendor answers 5 s late: saga steps time out and compensate; late replies are undone."
            }
            KnobButton::FailIssue => {
                "The picked vendor answers 5xx to ticket issues: paid bookings are refunded, then released."
            }
            KnobButton::DupDeliver => "RabbitMQ delivers every message twice: idempotency logs skip the copies.",
            KnobButton::Stampede => {
                "200 customers ask for the first flight's seats the moment the key expires: one populator serves them all."
            }
            KnobButton::Burst => "50 commands per second for 5 s: the store grows, lag balloons, then drains.",
            KnobButton::Replay => "Drop CustomerBookings and rebuild it from seq 0: the same view comes back.",
        }
    }

    /// Whether a toggle knob is on (one-shot knobs are never "on").
    pub fn is_on(self, knobs: &Knobs, target: Option<&VendorId>) -> bool {
        match self {
            KnobButton::SlowVendor => target.is_some_and(|v| knobs.slow_vendor_ms.contains_key(v)),
            KnobButton::FailIssue => target.is_some_and(|v| knobs.fail_issue.contains(v)),
            KnobButton::DupDeliver => knobs.duplicate_pct > 0,
            KnobButton::Burst => knobs.burst.is_some(),
            KnobButton::Stampede | KnobButton::Replay => false,
        }
    }

    /// The request that flips it in `world` (None: it has nothing to aim at).
    pub fn request(self, knobs: &Knobs, targets: &KnobTargets, world: &WorldConfig) -> Option<SimRequest> {
        let target = targets.target(self, world);
        let on = !self.is_on(knobs, target.as_ref());
        Some(match self {
            KnobButton::SlowVendor => {
                SimRequest::Knob(KnobChange::SlowVendor { vendor: target?, extra_ms: if on { 5_000 } else { 0 } })
            }
            KnobButton::FailIssue => SimRequest::Knob(KnobChange::FailIssue { vendor: target?, on }),
            KnobButton::DupDeliver => SimRequest::Knob(KnobChange::DuplicateDelivery { pct: if on { 100 } else { 0 } }),
            KnobButton::Burst => {
                SimRequest::Knob(KnobChange::Burst { per_s: if on { 50 } else { 0 }, duration_ms: 5_000 })
            }
            KnobButton::Stampede => SimRequest::Stampede {
                query: CustomerQuery::SeatsLeft { flight: world.flights.first()?.id.clone() },
                gets: 200,
            },
            KnobButton::Replay => SimRequest::Replay(Projection::CustomerBookings),
        })
    }
}

/// The six views (System is the map; the others are panels over it).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum ViewMode {
    #[default]
    System,
    Command,
    Events,
    Queries,
    Vendors,
    /// One causal chain as a sequence diagram.
    Sequence,
}

// Window titles; links and `--view` spell them in any case.
crate::names!(ViewMode as "view" {
    System => "System",
    Command => "Command",
    Events => "Events",
    Queries => "Queries",
    Vendors => "Vendors",
    Sequence => "Sequence",
});

impl ViewMode {
    /// Every view's name, for error messages: "system, command, …".
    pub fn names() -> String {
        Self::NAMES.map(str::to_lowercase).join(", ")
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
    ("b", "step back one tick (re-simulates from tick 0)"),
    ("r", "reset: empty store, tick 0"),
    ("n", "guided mode: next step"),
    ("p", "guided mode: play this step again"),
    ("g", "guided mode on / off (a pause at the end of each step)"),
    ("l", "spotlight on the step's actors on / off"),
    ("v", "cycle views: System → Command → Events → Queries → Vendors → Sequence"),
    ("1", "knob: slow the picked vendor (+5 s)"),
    ("2", "knob: the picked vendor fails ticket issues (5xx)"),
    ("3", "knob: Dup deliver (every message twice)"),
    ("4", "knob: Stampede (200 gets on one key)"),
    ("5", "knob: Burst (50 commands/s for 5 s)"),
    ("6", "knob: Replay CustomerBookings from seq 0"),
    (". / ,", "faster / slower (0.25× … 16×, max)"),
    ("drag, arrows", "pan the map"),
    ("wheel, + / -", "zoom around the cursor"),
    ("f", "fit the whole map"),
    ("h or ?", "this help"),
];

pub fn plugin(app: &mut App) {
    app.init_resource::<Controls>();
    app.init_resource::<KnobTargets>();
    app.init_resource::<Playing>();
    app.add_message::<UiAction>();
    app.add_systems(PreUpdate, keyboard.after(bevy::input::InputSystems));
    app.add_systems(Update, apply_actions);
}

fn keyboard(
    keys: Option<Res<ButtonInput<KeyCode>>>,
    egui: Option<Res<EguiWantsInput>>,
    knobs: Option<Res<Knobs>>,
    targets: Res<KnobTargets>,
    setup: Option<Res<SimSetup>>,
    mut out: MessageWriter<UiAction>,
) {
    let Some(keys) = keys else { return };
    if egui.is_some_and(|e| e.wants_any_keyboard_input()) {
        return;
    }
    let shift = keys.pressed(KeyCode::ShiftLeft) || keys.pressed(KeyCode::ShiftRight);
    let pressed = |k| keys.just_pressed(k);
    let simple = [
        (KeyCode::Space, UiAction::TogglePause),
        (KeyCode::KeyR, UiAction::Reset),
        (KeyCode::KeyV, UiAction::CycleView),
        (KeyCode::Period, UiAction::Faster),
        (KeyCode::Comma, UiAction::Slower),
        (KeyCode::KeyH, UiAction::ToggleHelp),
        (KeyCode::Slash, UiAction::ToggleHelp),
        (KeyCode::KeyF, UiAction::Fit),
        (KeyCode::KeyB, UiAction::StepBack),
        (KeyCode::KeyN, UiAction::NextStep),
        (KeyCode::KeyP, UiAction::ReplayStep),
        (KeyCode::KeyG, UiAction::ToggleGuided),
        (KeyCode::KeyL, UiAction::ToggleSpotlight),
    ];
    for (k, a) in simple {
        if pressed(k) {
            out.write(a);
        }
    }
    if pressed(KeyCode::KeyS) {
        out.write(UiAction::Step(if shift { 10 } else { 1 }));
    }
    let digits = [KeyCode::Digit1, KeyCode::Digit2, KeyCode::Digit3, KeyCode::Digit4, KeyCode::Digit5, KeyCode::Digit6];
    let (Some(knobs), Some(setup)) = (knobs, setup) else { return };
    for (k, b) in digits.into_iter().zip(KnobButton::ALL) {
        if pressed(k)
            && let Some(r) = b.request(&knobs, &targets, &setup.world)
        {
            out.write(UiAction::Request(r));
        }
    }
}

/// Applies the view's own actions (tabs, speed, help, fit, spotlight);
/// the session applies the others.
fn apply_actions(
    mut actions: MessageReader<UiAction>,
    mut controls: ResMut<Controls>,
    mut time: ResMut<Time<Virtual>>,
    fit: Option<ResMut<crate::viewstate::FitRequest>>,
    focus: Option<ResMut<crate::viewstate::Spotlight>>,
) {
    let (mut fit, mut focus) = (fit, focus);
    for a in actions.read() {
        match a {
            UiAction::CycleView => controls.view = controls.view.next(),
            UiAction::SetView(v) => controls.view = *v,
            UiAction::Faster => controls.speed_index = (controls.speed_index + 1).min(SPEEDS.len() - 1),
            UiAction::Slower => controls.speed_index = controls.speed_index.saturating_sub(1),
            UiAction::ToggleHelp => controls.help = !controls.help,
            UiAction::Fit => {
                if let Some(f) = fit.as_mut() {
                    f.0 = true;
                }
            }
            UiAction::ToggleSpotlight => {
                if let Some(f) = focus.as_mut() {
                    f.0 = !f.0;
                }
            }
            _ => {}
        }
    }
    let speed = controls.speed();
    if time.relative_speed() != speed {
        time.set_relative_speed(speed);
        // Let a slow frame catch up at high speed without a spiral.
        time.set_max_delta(std::time::Duration::from_millis((250.0 * speed.max(1.0)) as u64));
    }
}
