//! The engine without a window: an app on `MinimalPlugins` that runs only
//! the sim, stepped by `TimeUpdateStrategy::FixedTimesteps` (no wall clock
//! involved), with the calls to send requests, run ticks and read results.
//!
//! The CLI's `run`, `check`, `diff` and `export`, the scenario runner, the
//! tests and the benches all drive the engine through it. It must not add
//! any rendering plugin, and it only reads what the engine exposes.

use crate::domain::{AggregateId, Booking, EventEnvelope, hex};
use crate::sim::command_intake::{CommandLog, CommandRecord, CustomerCommand};
use crate::sim::consumer::Consumer;
use crate::sim::invariants::{self, Invariants};
use crate::sim::protocol::ConsumerId;
use crate::sim::query_api::{CustomerQuery, QueryLog, QueryRecord, Redis};
use crate::sim::saga::Saga;
use crate::sim::store::{AggregateRow, Aggregates, EventStore, StoredEvent};
use crate::sim::vendors::Vendor;
use crate::sim::{self, Inbox, SimClock, SimRequest, SimSetup, WorldConfig};
use crate::sim::{projectors::ProjectorView, protocol::Projection};
use bevy::prelude::*;
use bevy::time::TimeUpdateStrategy;
use std::time::Duration;

/// A headless app running only the engine, at tick 0.
pub fn sim_app(world: WorldConfig, seed: u64) -> App {
    let mut app = App::new();
    sim::errors::install(&mut app);
    app.add_plugins(MinimalPlugins);
    app.insert_resource(SimSetup { world, seed });
    app.add_plugins(sim::plugin);
    // Headless, one thread is faster: nothing here is worth a task pool
    // wake-up per schedule.
    use bevy::ecs::schedule::ScheduleLabel;
    sim::single_threaded(
        &mut app,
        [
            First.intern(),
            PreUpdate.intern(),
            RunFixedMainLoop.intern(),
            Update.intern(),
            PostUpdate.intern(),
            Last.intern(),
        ],
    );
    set_ticks_per_update(&mut app, 1);
    // The first update runs Startup (reset) and zero fixed ticks.
    app.update();
    app
}

/// Makes each `app.update()` run exactly `n` fixed ticks.
pub fn set_ticks_per_update(app: &mut App, n: u32) {
    let step = Duration::from_millis(crate::domain::TICK_MS);
    app.insert_resource(TimeUpdateStrategy::FixedTimesteps(n));
    app.world_mut().resource_mut::<Time<Virtual>>().set_max_delta(step * n.max(1) + step);
}

/// Convenience wrapper over a [`sim_app`].
pub struct Harness {
    pub app: App,
    chunk: u32,
}

impl Harness {
    pub fn new(world: WorldConfig, seed: u64) -> Self {
        Harness { app: sim_app(world, seed), chunk: 1 }
    }

    pub fn world(&self) -> &World {
        self.app.world()
    }
    pub fn world_mut(&mut self) -> &mut World {
        self.app.world_mut()
    }

    pub fn tick(&self) -> u64 {
        self.world().resource::<SimClock>().tick
    }

    /// Runs exactly `n` ticks.
    pub fn run(&mut self, n: u64) {
        let mut left = n;
        while left > 0 {
            let step = left.min(1000) as u32;
            if step != self.chunk {
                set_ticks_per_update(&mut self.app, step);
                self.chunk = step;
            }
            self.app.update();
            left -= u64::from(step);
        }
    }

    /// Runs until quiescent (then runs the drain checks), at most
    /// `max_ticks`. Returns whether it drained.
    pub fn run_to_drain(&mut self, max_ticks: u64) -> bool {
        if !self.run_until_quiescent(max_ticks) {
            return false;
        }
        self.audit();
        true
    }

    /// The whole-history drain checks (hash chain re-walked, every view
    /// rebuilt from seq 0), now: call when quiescent, then read
    /// [`Harness::invariants`]. Benches run it after their clock stops.
    pub fn audit(&mut self) {
        invariants::check_at_drain(self.world_mut());
    }

    /// Runs until nothing is pending, at most `max_ticks`, without the
    /// whole-history drain checks (benches time the work, then audit it).
    pub fn run_until_quiescent(&mut self, max_ticks: u64) -> bool {
        let start = self.tick();
        loop {
            if invariants::quiescent(self.world_mut()) {
                return true;
            }
            if self.tick() - start >= max_ticks {
                return false;
            }
            self.run(1);
        }
    }

    pub fn submit(&mut self, request: SimRequest) {
        self.world_mut().resource_mut::<Inbox>().push(request);
    }

    pub fn command(&mut self, label: &str, command: CustomerCommand) {
        self.submit(SimRequest::Command { label: Some(label.into()), command });
    }

    pub fn query(&mut self, label: &str, query: CustomerQuery) {
        self.submit(SimRequest::Query { label: Some(label.into()), query });
    }

    pub fn record(&self, label: &str) -> Option<CommandRecord> {
        self.world().resource::<CommandLog>().by_label(label).cloned()
    }

    pub fn query_record(&self, label: &str) -> Option<QueryRecord> {
        self.world().resource::<QueryLog>().by_label.get(label).cloned()
    }

    pub fn booking(&self, id: &str) -> Option<Booking> {
        let e = *self.world().resource::<Aggregates>().by_id.get(&AggregateId::new(id))?;
        self.world().get::<AggregateRow>(e).map(|r| r.0.clone())
    }

    /// Every stored event, in seq order.
    pub fn events(&self) -> Vec<EventEnvelope> {
        let store = self.world().resource::<EventStore>();
        store.rows().iter().filter_map(|e| self.world().get::<StoredEvent>(*e)).map(|r| (*r.0).clone()).collect()
    }

    pub fn fingerprint(&self) -> String {
        hex(&self.world().resource::<EventStore>().head_hash())
    }

    pub fn invariants(&self) -> Invariants {
        self.world().resource::<Invariants>().clone()
    }

    pub fn consumer(&mut self, id: ConsumerId) -> ConsumerStats {
        let head = self.world().resource::<EventStore>().head_seq();
        let mut q =
            self.world_mut().query::<(&Consumer, &crate::sim::consumer::ConsumerQueue, Option<&ProjectorView>)>();
        let (c, queue, pv) = q.iter(self.app.world()).find(|(c, _, _)| c.id == id).expect("every consumer exists");
        ConsumerStats {
            lag: c.lag(head),
            last_seq: c.last_seq,
            processed: c.processed,
            applied: c.applied(),
            duplicates_skipped: c.duplicates_skipped,
            double_applies: c.double_applies,
            buffered: c.buffered,
            queued: queue.queue.len(),
            rows: pv.map_or(0, |p| p.view.rows()),
            view_hash: pv.map(|p| hex(&p.view.hash())),
        }
    }

    pub fn projector(&mut self, p: Projection) -> ConsumerStats {
        self.consumer(ConsumerId::Projector(p))
    }

    pub fn view(&mut self, p: Projection) -> crate::sim::views::View {
        let mut q = self.world_mut().query::<&ProjectorView>();
        q.iter(self.app.world()).find(|v| v.projection == p).map(|v| v.view.clone()).expect("every projection exists")
    }

    pub fn sagas(&mut self) -> Vec<Saga> {
        let mut q = self.world_mut().query::<&Saga>();
        let mut v: Vec<Saga> = q.iter(self.app.world()).cloned().collect();
        v.sort_by_key(|s| s.id);
        v
    }

    pub fn vendor(&mut self, id: &str) -> Vendor {
        let mut q = self.world_mut().query::<&Vendor>();
        q.iter(self.app.world()).find(|v| v.id.as_str() == id).cloned().expect("vendor exists")
    }

    pub fn populator_calls(&self) -> u64 {
        self.world().resource::<Redis>().populator_calls
    }
}

/// A consumer's numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsumerStats {
    pub lag: u64,
    pub last_seq: u64,
    pub processed: u64,
    pub applied: u64,
    pub duplicates_skipped: u64,
    pub double_applies: u64,
    pub buffered: usize,
    pub queued: usize,
    pub rows: usize,
    pub view_hash: Option<String>,
}
