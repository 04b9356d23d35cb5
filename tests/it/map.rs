//! The map drawn from the world and the session around it, headless: a
//! five-vendor world's booking flies to the fifth vendor's card (from the
//! engine's signals to the particles' targets), a safeguard switched off in
//! the UI is the same run as `run --disable`, a link with `disable=` opens
//! that run, and guided mode pauses at each step's end.

use bevy::prelude::*;
use cqrs_tickets::scenario::bundled;
use cqrs_tickets::scenario::report::{self, RunOptions};
use cqrs_tickets::scenario::runner::{self, Script};
use cqrs_tickets::session::{self, Launch};
use cqrs_tickets::sim::invariants::{self, Invariants};
use cqrs_tickets::sim::runtime::{SimClock, SimControl};
use cqrs_tickets::sim::signals::{SignalsEnabled, SimSignal};
use cqrs_tickets::sim::store::EventStore;
use cqrs_tickets::sim::{Mechanisms, Safeguard, SimSetup};
use cqrs_tickets::testing::sim_app;
use cqrs_tickets::ui::controls::{self, UiAction};
use cqrs_tickets::ui::link;
use cqrs_tickets::view::layout::{MapLayout, NodeId};
use cqrs_tickets::view::particles::{Fx, Kind, effects};

/// A headless app playing `launch` as the window would (sim, script,
/// controls, session), without a window.
fn session_app(launch: &Launch) -> App {
    let mut app = sim_app(launch.scenario.world.clone(), launch.seed);
    app.add_plugins(runner::plugin);
    app.add_plugins((controls::plugin, session::plugin));
    session::configure(&mut app, launch);
    app.world_mut().resource_mut::<SimControl>().paused = false;
    app
}

fn tick(app: &App) -> u64 {
    app.world().resource::<SimClock>().tick
}

fn fingerprint(app: &App) -> String {
    cqrs_tickets::domain::hex(&app.world().resource::<EventStore>().head_hash())
}

/// `run --seed 1 --until-tick 1500 [--disable …]`: the CLI's fingerprint.
fn cli_fingerprint(sc: &cqrs_tickets::scenario::Scenario, disable: &[&str]) -> String {
    let opts = RunOptions {
        seed: Some(1),
        until_tick: Some(1500),
        disable: disable.iter().map(|d| d.to_string()).collect(),
        ..Default::default()
    };
    report::run(sc, &opts).unwrap().fingerprint
}

fn broken(app: &App) -> Option<&'static str> {
    app.world().resource::<Invariants>().violations().first().map(|(n, _)| *n)
}

/// Every signal the engine writes, kept for the test.
#[derive(Resource, Default)]
struct Seen(Vec<SimSignal>);

fn keep(mut r: MessageReader<SimSignal>, mut seen: ResMut<Seen>) {
    seen.0.extend(r.read().cloned());
}

#[test]
fn a_booking_at_the_fifth_vendor_flies_to_the_fifth_vendor_card() {
    let (sc, _) = bundled::load("five_vendors").unwrap();
    let map = MapLayout::new(&sc.world);
    let titles: Vec<&str> = (0..5u8).map(|i| map.nodes[&NodeId::Vendor(i)].title.text.as_str()).collect();
    assert_eq!(titles, ["V1 Iberia", "V2 Lufthansa", "V3 Delta", "V4 Air France", "V5 KLM"]);
    let mut app = session_app(&Launch { guided: Some(false), ..Launch::new(sc.clone(), "five_vendors".into(), 1) });
    app.insert_resource(SignalsEnabled(true));
    app.init_resource::<Seen>();
    app.add_systems(Last, keep);
    while app.world().resource::<Script>().drained_at.is_none() && tick(&app) < 2_000 {
        app.update();
    }
    assert!(app.world().resource::<Script>().all_ok(), "the scenario's expectations hold");
    let seen = std::mem::take(&mut app.world_mut().resource_mut::<Seen>().0);
    let mut at_klm = 0;
    let mut fan_out = std::collections::BTreeSet::new();
    for s in &seen {
        for fx in effects(s, &map) {
            let Fx::Travel { from, to, kind, .. } = fx else { continue };
            assert!(map.wire(from, to).is_some(), "{from:?}→{to:?}: a particle with no wire to travel");
            if kind == Kind::VendorCall && from == NodeId::Saga {
                assert_eq!(to, NodeId::Vendor(4), "the only booking is at KLM, the fifth vendor");
                at_klm += 1;
            }
            if kind == Kind::VendorCall && from == NodeId::Redis {
                fan_out.insert(to);
            }
        }
    }
    assert!(at_klm >= 2, "the hold and the issue fly to KLM ({at_klm} calls)");
    assert_eq!(fan_out.len(), 5, "the search fans out to all five cards: {fan_out:?}");
}

#[test]
fn a_safeguard_switched_off_in_the_ui_is_the_same_run_as_run_disable() {
    let (sc, _) = bundled::load("default").unwrap();
    let mut app = session_app(&Launch { guided: Some(false), ..Launch::new(sc.clone(), "default".into(), 1) });
    for _ in 0..40 {
        app.update();
    }
    assert!(tick(&app) > 0);
    app.world_mut().write_message(UiAction::Safeguard(Safeguard::Idempotency, false));
    app.update();
    assert!(tick(&app) <= 1, "the switch starts the run over");
    assert!(!app.world().resource::<Mechanisms>().idempotency);
    while tick(&app) < 1500 {
        session::advance(app.world_mut());
    }
    assert_eq!(fingerprint(&app), cli_fingerprint(&sc, &["idempotency"]));
    assert_eq!(broken(&app), Some(invariants::EXACTLY_ONCE));
    // Back on: the real run again.
    app.world_mut().write_message(UiAction::Safeguard(Safeguard::Idempotency, true));
    app.update();
    while tick(&app) < 1500 {
        session::advance(app.world_mut());
    }
    assert_eq!(fingerprint(&app), cli_fingerprint(&sc, &[]));
    assert_eq!(broken(&app), None);
}

#[test]
fn a_link_with_disable_opens_that_run() {
    let open = |query: &str| {
        let (l, errors) = link::parse(query);
        assert!(errors.is_empty(), "{errors:?}");
        let (sc, _) = bundled::load(&l.scenario).unwrap();
        let seed = l.seed.unwrap_or(sc.seed);
        let mut app = session_app(&Launch::from_link(&l, sc, l.scenario.clone(), seed));
        app.update();
        assert_eq!(tick(&app), 1500, "the link fast-forwards to its tick");
        assert!(app.world().resource::<SimControl>().paused, "and pauses there");
        app
    };
    let off = open("?scenario=default&seed=1&disable=idempotency&tick=1500");
    let (sc, _) = bundled::load("default").unwrap();
    assert_eq!(fingerprint(&off), cli_fingerprint(&sc, &["idempotency"]));
    assert_eq!(broken(&off), Some(invariants::EXACTLY_ONCE), "what data-invariants shows in the browser");
    let on = open("?scenario=default&seed=1&tick=1500");
    assert_eq!(broken(&on), None);
    assert_ne!(fingerprint(&on), fingerprint(&off));
    assert_eq!(on.world().resource::<SimSetup>().seed, 1);
}

#[test]
fn guided_mode_pauses_at_each_steps_end_and_plays_the_next_or_the_same_again() {
    let (sc, _) = bundled::load("default").unwrap();
    let mut app = session_app(&Launch::new(sc, "default".into(), 1));
    assert!(app.world().resource::<session::Guided>().on, "on by default for the default script");
    let starts: Vec<u64> = app.world().resource::<Script>().plan.iter().map(|p| p.start_tick).collect();
    let run_until_paused = |app: &mut App| {
        for _ in 0..5_000 {
            if app.world().resource::<SimControl>().paused {
                return;
            }
            app.update();
        }
        panic!("never paused");
    };
    run_until_paused(&mut app);
    assert_eq!(tick(&app), starts[1] - 1, "paused after step 1's last tick");
    for _ in 0..5 {
        app.update();
    }
    assert_eq!(tick(&app), starts[1] - 1, "and stays paused");
    app.world_mut().write_message(UiAction::NextStep);
    app.update();
    run_until_paused(&mut app);
    assert_eq!(tick(&app), starts[2] - 1, "Next step plays step 2 to its end");
    let at_end = fingerprint(&app);
    app.world_mut().write_message(UiAction::ReplayStep);
    app.update();
    assert!(tick(&app) < starts[2] - 1 && tick(&app) >= starts[1] - 1, "back to step 2's start");
    run_until_paused(&mut app);
    assert_eq!((tick(&app), fingerprint(&app)), (starts[2] - 1, at_end), "the same step, the same run");
    // Free-running is one key away.
    app.world_mut().write_message(UiAction::ToggleGuided);
    app.world_mut().write_message(UiAction::NextStep);
    app.update();
    for _ in 0..(starts[3] - starts[2] + 10) {
        app.update();
    }
    assert!(tick(&app) > starts[3], "no pause once guided mode is off");
}
