//! The browser build's entry point and its two ties to the page: the URL
//! query picks the scenario, seed, speed, view, start tick, safeguards and
//! guided mode (see [`crate::ui::link`]); the canvas carries `data-tick`,
//! `data-fingerprint`, `data-invariants` (`ok`, or the name of the first
//! broken invariant) and `data-frames` (the frames drawn so far) so tests
//! and scripts can compare a web run with a native one.
//!
//! Only compiled for wasm32. It must not read files: scenarios are the
//! bundled copies.

use crate::domain::hex;
use crate::scenario::bundled;
use crate::session::Launch;
use crate::sim::invariants::Invariants;
use crate::sim::runtime::SimClock;
use crate::sim::store::EventStore;
use crate::ui::hud::LinkBase;
use crate::ui::link;
use bevy::prelude::*;

/// Reads the page's URL and starts the app. Bad query values are shown in
/// the banner and replaced by their defaults.
pub fn main() {
    let location = web_sys::window().map(|w| w.location());
    let query = location.as_ref().and_then(|l| l.search().ok()).unwrap_or_default();
    let base =
        location.as_ref().and_then(|l| Some(format!("{}{}", l.origin().ok()?, l.pathname().ok()?))).unwrap_or_default();
    let (link, mut notices) = link::parse(&query);
    let (scenario, name) = match bundled::load(&link.scenario) {
        Ok((sc, _)) => (sc, link.scenario.clone()),
        Err(e) => {
            notices.push(e.to_string());
            match bundled::load("default") {
                Ok((sc, _)) => (sc, "default".to_string()),
                Err(e) => {
                    error!("the bundled default scenario does not load: {e}");
                    return;
                }
            }
        }
    };
    let seed = link.seed.unwrap_or(scenario.seed);
    let launch = Launch {
        notices: notices.iter().map(|n| format!("link: {n}")).collect(),
        ..Launch::from_link(&link, scenario, name, seed)
    };
    BASE.with(|b| *b.borrow_mut() = base);
    let _ = crate::session::run(launch);
}

thread_local! {
    static BASE: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

pub fn plugin(app: &mut App) {
    app.insert_resource(LinkBase(BASE.with(|b| b.borrow().clone())));
    app.add_systems(Last, publish_to_canvas);
}

/// Writes the current tick, fingerprint and invariants onto the canvas
/// when they change.
fn publish_to_canvas(
    clock: Option<Res<SimClock>>,
    store: Option<Res<EventStore>>,
    invariants: Option<Res<Invariants>>,
    mut frames: Local<u64>,
    mut last: Local<Option<(u64, u64, Option<&'static str>)>>,
) {
    *frames += 1;
    let (Some(clock), Some(store)) = (clock, store) else { return };
    let Some(canvas) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("bevy")) else {
        return;
    };
    if *frames <= 3 || frames.is_multiple_of(30) {
        let _ = canvas.set_attribute("data-frames", &frames.to_string());
    }
    let broken = invariants.as_ref().and_then(|i| i.violations().first().map(|(name, _)| *name));
    let now = (clock.tick, store.head_seq(), broken);
    if *last == Some(now) {
        return;
    }
    if last.is_none() {
        info!("cqrs-tickets: first frame");
    }
    *last = Some(now);
    let _ = canvas.set_attribute("data-invariants", broken.unwrap_or("ok"));
    let _ = canvas.set_attribute("data-tick", &clock.tick.to_string());
    let _ = canvas.set_attribute("data-fingerprint", &hex(&store.head_hash()));
}
