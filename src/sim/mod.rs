//! The headless engine: the whole ticketing platform on a 50 ms fixed tick.
//!
//! Every moving thing is an entity (store rows, outbox rows, bus messages,
//! commands and queries in flight, cache entries, sagas, vendor calls,
//! timers); every rule is a system in `FixedUpdate`, ordered by the one
//! chained [`SimSet`]. The engine works with `MinimalPlugins` alone. It
//! never reads the wall clock or an unseeded RNG, and whatever it iterates
//! in an order that matters is sorted by id, so a scenario + seed replays
//! bit for bit. Presentation (view/ui) reads it and talks to it only
//! through [`SimRequest`]s pushed to the [`Inbox`].

pub mod bus;
mod command_api;
pub mod command_intake;
pub mod config;
pub mod consumer;
pub mod errors;
pub mod invariants;
pub mod keys;
pub mod knobs;
pub mod projectors;
pub mod protocol;
pub mod query_api;
pub mod runtime;
pub mod saga;
pub mod signals;
mod small_map;
pub mod store;
pub mod timers;
pub mod vendors;
pub mod views;
pub mod world;

use bevy::ecs::schedule::{ScheduleLabel, SingleThreadedExecutor};
use bevy::prelude::*;

pub use config::WorldConfig;
pub use knobs::{KnobChange, Knobs, Mechanisms, Safeguard};
use protocol::SimSet;
pub use runtime::{SimClock, SimSetup};
pub use world::{Inbox, SimRequest};

/// Adds the engine. Needs only `MinimalPlugins` (time, schedules).
pub fn plugin(app: &mut App) {
    app.init_resource::<SimSetup>();
    app.configure_sets(
        FixedUpdate,
        (
            SimSet::Input,
            SimSet::Timers,
            SimSet::Commands,
            SimSet::Outbox,
            SimSet::Bus,
            SimSet::Projectors,
            SimSet::Vendors,
            SimSet::Sagas,
            SimSet::Queries,
            SimSet::Invariants,
        )
            .chain()
            .run_if(runtime::sim_running),
    );
    // One thread for the tick: the sets are a chain anyway, and a single
    // thread keeps per-system overhead low for fast headless sweeps.
    // The other fixed schedules hold only a few bookkeeping systems; waking
    // the thread pool for each of them on every tick cost more than the sim.
    single_threaded(
        app,
        [
            FixedFirst.intern(),
            FixedPreUpdate.intern(),
            FixedUpdate.intern(),
            FixedPostUpdate.intern(),
            FixedLast.intern(),
        ],
    );
    app.insert_resource(Time::<Fixed>::from_duration(std::time::Duration::from_millis(crate::domain::TICK_MS)));
    signals::plugin(app);
    world::plugin(app);
    store::plugin(app);
    keys::plugin(app);
    timers::plugin(app);
    command_api::plugin(app);
    bus::plugin(app);
    projectors::plugin(app);
    vendors::plugin(app);
    saga::plugin(app);
    query_api::plugin(app);
    invariants::plugin(app);
}

/// Runs these schedules on the calling thread (no task-pool wake-ups).
pub fn single_threaded(
    app: &mut App,
    labels: impl IntoIterator<Item = bevy::ecs::intern::Interned<dyn ScheduleLabel>>,
) {
    for label in labels {
        app.edit_schedule(label, |s| {
            s.set_executor(SingleThreadedExecutor::new());
        });
    }
}
