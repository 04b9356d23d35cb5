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
pub mod command_api;
pub mod config;
pub mod consumer;
pub mod errors;
pub mod invariants;
pub mod knobs;
pub mod projectors;
pub mod query_api;
pub mod saga;
pub mod signals;
pub mod small_map;
pub mod store;
pub mod timers;
pub mod vendors;
pub mod views;
pub mod world;

use bevy::ecs::schedule::{ScheduleLabel, SingleThreadedExecutor};
use bevy::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

pub use config::WorldConfig;
pub use knobs::{KnobChange, Knobs, Mechanisms, Safeguard};
pub use world::{Inbox, SimClock, SimRequest, SimSetup};

/// The order of one tick. Every sim system belongs to exactly one of these,
/// and they run in this order (chained). Work handed from one set to a
/// later one is seen in the same tick; work handed backwards waits a tick.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SimSet {
    /// Advance the clock; drain the [`Inbox`] (script, UI, burst and
    /// stampede generators) into commands/queries in flight and knob changes.
    Input,
    /// Fire due timers: hold expiries (as commands), cache TTL evictions,
    /// saga step timeouts.
    Timers,
    /// Command API: commit appends decided last tick (expected-version check
    /// = the unique key), then load-by-fold and decide arrived commands.
    Commands,
    /// Outbox pumper: publish a bounded batch of outbox rows to the exchange.
    Outbox,
    /// RabbitMQ: messages whose transit ended join their consumer's queue.
    Bus,
    /// The 5 projectors consume their queues at their rates (idempotency
    /// log, ordering buffer, replay).
    Projectors,
    /// Vendor adapters apply requests and send replies when latency elapses.
    Vendors,
    /// Saga orchestrator: consume its queue, vendor replies, step timeouts;
    /// advance or compensate.
    Sagas,
    /// Query API + Redis: gets, single-flight populators, served queries.
    Queries,
    /// Invariant checks that are cheap enough for every tick.
    Invariants,
}

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
            .run_if(world::sim_running),
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

/// A fresh seeded RNG: the only source of randomness in a run.
#[derive(Resource)]
pub struct SimRng(pub ChaCha8Rng);

impl SimRng {
    pub fn new(seed: u64) -> Self {
        SimRng(ChaCha8Rng::seed_from_u64(seed))
    }
}
