//! Hotkeys, headless: keyboard input resource + MinimalPlugins, no window,
//! no GPU. Each key must change the state the help overlay promises.

use bevy::prelude::*;
use cqrs_tickets::scenario::Scenario;
use cqrs_tickets::scenario::runner::{self, Script};
use cqrs_tickets::sim::Knobs;
use cqrs_tickets::sim::runtime::{SimClock, SimControl};
use cqrs_tickets::sim::store::EventStore;
use cqrs_tickets::testing::sim_app;
use cqrs_tickets::ui::controls::{self, Controls, ViewMode};

fn app() -> App {
    // A quiet world: nothing scripted, so every change comes from a key.
    let sc = Scenario::parse(r#"Scenario(name: "keys", steps: [Step(title: "idle")])"#, "keys.ron").unwrap();
    let mut app = sim_app(sc.world.clone(), 1);
    app.add_plugins(runner::plugin);
    app.insert_resource(Script::new(sc));
    app.insert_resource(ButtonInput::<KeyCode>::default());
    app.add_plugins((controls::plugin, cqrs_tickets::session::plugin));
    app.update();
    app
}

fn press(app: &mut App, keys: &[KeyCode]) {
    {
        let mut input = app.world_mut().resource_mut::<ButtonInput<KeyCode>>();
        for k in keys {
            input.press(*k);
        }
    }
    app.update();
    let mut input = app.world_mut().resource_mut::<ButtonInput<KeyCode>>();
    input.release_all();
    input.clear();
}

fn tick(app: &App) -> u64 {
    app.world().resource::<SimClock>().tick
}

#[test]
fn space_pauses_and_resumes() {
    let mut app = app();
    assert!(!app.world().resource::<SimControl>().paused);
    press(&mut app, &[KeyCode::Space]);
    assert!(app.world().resource::<SimControl>().paused);
    let t = tick(&app);
    for _ in 0..5 {
        app.update();
    }
    assert_eq!(tick(&app), t, "paused: no tick runs");
    press(&mut app, &[KeyCode::Space]);
    app.update();
    assert!(tick(&app) > t);
}

#[test]
fn s_steps_one_tick_and_shift_s_ten() {
    let mut app = app();
    press(&mut app, &[KeyCode::Space]);
    let t = tick(&app);
    press(&mut app, &[KeyCode::KeyS]);
    for _ in 0..5 {
        app.update();
    }
    assert_eq!(tick(&app), t + 1);
    press(&mut app, &[KeyCode::Digit5]); // a burst, so the steps have work to do
    press(&mut app, &[KeyCode::ShiftLeft, KeyCode::KeyS]);
    for _ in 0..20 {
        app.update();
    }
    assert_eq!(tick(&app), t + 11);
    // The stepped ticks ran whole: commands were decided and appended.
    assert!(app.world().resource::<EventStore>().head_seq() > 0, "a step runs every stage of the tick");
}

#[test]
fn r_resets_to_tick_0_with_an_empty_store() {
    let mut app = app();
    press(&mut app, &[KeyCode::Digit5]); // burst: something to forget
    for _ in 0..60 {
        app.update();
    }
    assert!(app.world().resource::<EventStore>().head_seq() > 0);
    press(&mut app, &[KeyCode::Space]); // pause so the reset state is observable
    press(&mut app, &[KeyCode::KeyR]);
    assert_eq!(tick(&app), 0);
    assert_eq!(app.world().resource::<EventStore>().head_seq(), 0);
    assert!(app.world().resource::<Script>().results.iter().all(|r| !r.started));
    assert!(app.world().resource::<Knobs>().burst.is_none(), "knobs are reset too");
}

#[test]
fn v_cycles_the_views() {
    let mut app = app();
    let mut seen = vec![app.world().resource::<Controls>().view];
    for _ in 0..6 {
        press(&mut app, &[KeyCode::KeyV]);
        seen.push(app.world().resource::<Controls>().view);
    }
    assert_eq!(
        seen,
        [
            ViewMode::System,
            ViewMode::Command,
            ViewMode::Events,
            ViewMode::Queries,
            ViewMode::Vendors,
            ViewMode::Sequence,
            ViewMode::System
        ]
    );
}

#[test]
fn each_knob_key_toggles_its_knob() {
    let mut app = app();
    let knobs = |app: &App| app.world().resource::<Knobs>().clone();
    press(&mut app, &[KeyCode::Digit1]);
    app.update();
    assert_eq!(knobs(&app).slow_vendor_ms.get("V2"), Some(&5_000));
    press(&mut app, &[KeyCode::Digit1]);
    app.update();
    assert!(knobs(&app).slow_vendor_ms.is_empty());
    press(&mut app, &[KeyCode::Digit2]);
    app.update();
    assert!(knobs(&app).fail_issue.contains("V3"));
    press(&mut app, &[KeyCode::Digit3]);
    app.update();
    assert_eq!(knobs(&app).duplicate_pct, 100);
    press(&mut app, &[KeyCode::Digit5]);
    app.update();
    assert!(knobs(&app).burst.is_some());
    let populators = app.world().resource::<cqrs_tickets::sim::query_api::Redis>().populator_calls;
    press(&mut app, &[KeyCode::Digit4]);
    for _ in 0..10 {
        app.update();
    }
    assert_eq!(
        app.world().resource::<cqrs_tickets::sim::query_api::Redis>().populator_calls,
        populators + 1,
        "one stampede, one populator"
    );
    press(&mut app, &[KeyCode::Digit6]);
    app.update();
    let mut q = app.world_mut().query::<&cqrs_tickets::sim::projectors::ProjectorView>();
    let replaying = q.iter(app.world()).any(|p| p.replay.is_some() || p.last_replay.is_some());
    assert!(replaying, "6 replays CustomerBookings");
}

#[test]
fn speed_and_help_keys() {
    let mut app = app();
    let s0 = app.world().resource::<Controls>().speed();
    press(&mut app, &[KeyCode::Period]);
    assert!(app.world().resource::<Controls>().speed() > s0);
    assert_eq!(app.world().resource::<Time<Virtual>>().relative_speed(), app.world().resource::<Controls>().speed());
    press(&mut app, &[KeyCode::Comma]);
    press(&mut app, &[KeyCode::Comma]);
    assert!(app.world().resource::<Controls>().speed() < s0);
    press(&mut app, &[KeyCode::KeyH]);
    assert!(app.world().resource::<Controls>().help);
    press(&mut app, &[KeyCode::Slash]);
    assert!(!app.world().resource::<Controls>().help);
}

#[test]
fn scrubbing_back_gives_the_same_state_as_a_fresh_headless_run_to_that_tick() {
    use cqrs_tickets::scenario::report::{self, RunOptions};
    use cqrs_tickets::ui::controls::UiAction;
    let sc = Scenario::load(std::path::Path::new("scenarios/default.ron")).unwrap();
    let mut app = sim_app(sc.world.clone(), 3);
    app.add_plugins(runner::plugin);
    app.insert_resource(Script::new(sc.clone()));
    app.insert_resource(ButtonInput::<KeyCode>::default());
    app.add_plugins((controls::plugin, cqrs_tickets::session::plugin));
    let fingerprint = |app: &App| cqrs_tickets::domain::hex(&app.world().resource::<EventStore>().head_hash());
    for _ in 0..300 {
        app.update();
    }
    // A knob pressed by a person is part of the run and is replayed (a
    // burst: it appends events, so the fingerprint depends on it).
    press(&mut app, &[KeyCode::Digit5]);
    while tick(&app) < 350 {
        app.update();
    }
    let at_350 = fingerprint(&app);
    let calm = report::run(&sc, &RunOptions { seed: Some(3), until_tick: Some(350), ..Default::default() }).unwrap();
    assert_ne!(at_350, calm.fingerprint, "the burst changed the run");
    for _ in 0..50 {
        app.update();
    }
    // Back to 350: the same state, burst included.
    app.world_mut().write_message(UiAction::ScrubTo(350));
    app.update();
    assert_eq!((tick(&app), fingerprint(&app)), (350, at_350));
    assert!(app.world().resource::<SimControl>().paused);
    // Back to before the knob: the same as a fresh headless run to that tick.
    app.world_mut().write_message(UiAction::ScrubTo(250));
    app.update();
    assert_eq!(tick(&app), 250);
    let headless =
        report::run(&sc, &RunOptions { seed: Some(3), until_tick: Some(250), ..Default::default() }).unwrap();
    assert_eq!(fingerprint(&app), headless.fingerprint);
    // b: one tick back.
    press(&mut app, &[KeyCode::KeyB]);
    assert_eq!(tick(&app), 249);
}
