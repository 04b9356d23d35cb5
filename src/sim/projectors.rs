//! The 5 projectors: each consumes its own queue at its own rate through
//! the shared consumer bookkeeping (idempotency log, ordering buffer) and
//! applies events to its Read DB table. A Replay request drops one table
//! and rebuilds it from seq 0 by reading the store, then resumes the
//! queue (whose messages the fresh log then skips as duplicates).
//!
//! Every 5 s a projector checkpoints its table and its position. A crash
//! (the `CrashProjector` knob) throws away what it did since: table and
//! position fall back to the checkpoint, the messages it took off its
//! queue since are gone (acknowledged), and after its restart it catches
//! up by reading the store, then resumes its queue.

use super::config::{WorldConfig, ticks};
use super::consumer::{AppliedBefore, Consumer, ConsumerQueue, Receive};
use super::knobs::{Knobs, Mechanisms};
use super::protocol::Projection;
use super::protocol::SimSet;
use super::runtime::SimClock;
use super::runtime::SimEntity;
use super::runtime::{ResetOrder, add_reset};
use super::signals::{ApplyOutcome, Signals, SimSignal};
use super::store::EventStore;
use super::views::View;
use super::{
    bus::{Bus, BusMessage},
    protocol::ConsumerId,
};
use crate::domain::{Hash, Tick};
use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use std::collections::BTreeMap;

/// A projector's table plus its replay and crash state.
#[derive(Component, Debug)]
pub struct ProjectorView {
    pub projection: Projection,
    pub view: View,
    /// While rebuilding: the next seq to read from the store.
    pub replay: Option<Replay>,
    /// The last finished replay.
    pub last_replay: Option<ReplayResult>,
    /// What survives a crash: the consumer's position as of the last
    /// checkpoint (None: the one it started with).
    checkpoint: Option<Box<Consumer>>,
    /// After a crash: down until this tick, then catching up from the store.
    crash: Option<Crash>,
}

/// A crashed projector: down until `restart_tick`, then re-reading the
/// store from `cursor` (what its checkpoint had not applied gets applied;
/// the rest its restored idempotency log skips).
#[derive(Debug, Clone, Copy)]
struct Crash {
    restart_tick: Tick,
    cursor: u64,
}

/// A projector checkpoints its table and position every 5 s. Only the
/// position is copied: the table as of the checkpoint is the fold of the
/// events that position had applied, so a crash rebuilds it from the store
/// (a copy of every table every 5 s cost a quarter of the engine's speed).
const CHECKPOINT_TICKS: Tick = 100;

#[derive(Debug)]
pub struct Replay {
    cursor: u64,
    started_tick: Tick,
    hash_before: Hash,
    head_before: u64,
    /// What the view had applied when the replay began: a lagging view had
    /// not applied the whole store, so the rebuild is compared with it
    /// through `same_head`, the fold of exactly those events.
    before: AppliedBefore,
    same_head: Box<View>,
    /// The view as it was, served to readers until the rebuild is done (a
    /// rebuild goes to a shadow table; readers do not see it half-built).
    serving: Box<View>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ReplayResult {
    started_tick: Tick,
    finished_tick: Tick,
    pub hash_before: Hash,
    hash_after: Hash,
    pub head_before: u64,
    pub head_after: u64,
    /// The rebuild's hash over the events the old view had applied (its
    /// own head): what the old view must equal.
    pub hash_same_head: Hash,
}

impl ReplayResult {
    /// The rebuild, taken to the old view's head, is the old view. (The
    /// rebuild itself goes on to the store's head: a view that lagged, or
    /// events appended during the replay, do not make a correct replay
    /// fail.)
    pub fn identical(&self) -> bool {
        self.hash_before == self.hash_same_head
    }
}

/// A replay reads the store this many times faster than live consumption.
const REPLAY_SPEEDUP: u64 = 8;

impl ProjectorView {
    /// What readers (the Query API's populators) read: the view, or while
    /// it is being rebuilt, the view as it was when the replay began.
    pub fn serving(&self) -> &View {
        self.replay.as_ref().map_or(&self.view, |r| &r.serving)
    }

    fn new(projection: Projection, cfg: &WorldConfig) -> Self {
        let flight_vendor: BTreeMap<_, _> = cfg.flights.iter().map(|f| (f.id.clone(), f.vendor.clone())).collect();
        let view = match projection {
            Projection::AvailableFlights => {
                View::new_available(cfg.flights.iter().map(|f| (f.id.clone(), f.all_seats().len() as u32)).collect())
            }
            Projection::CustomerBookings => View::CustomerBookings(Default::default()),
            Projection::BookingDetail => View::BookingDetail(Default::default()),
            Projection::VendorLedger => View::new_ledger(flight_vendor),
            Projection::Revenue => View::new_revenue(flight_vendor),
        };
        ProjectorView { projection, view, replay: None, last_replay: None, checkpoint: None, crash: None }
    }

    /// Whether a crash now would keep event `version` of stream `stream`
    /// applied: its checkpoint has applied it (a write the live table has
    /// but the checkpoint lacks is lost by a crash until the catch-up).
    pub fn durably_applied(&self, stream: Option<u32>, version: u32) -> bool {
        self.checkpoint.as_ref().is_some_and(|c| c.has_applied(stream, version))
    }

    /// While down after a crash: the tick it restarts at.
    pub fn restarts_at(&self) -> Option<Tick> {
        self.crash.map(|c| c.restart_tick)
    }

    /// Crash: the table and the position fall back to the checkpoint (the
    /// table as the fold of the events the checkpoint had applied).
    fn crash(&mut self, consumer: &mut Consumer, store: &EventStore, restart_tick: Tick) {
        let fresh = || Box::new(Consumer::new(consumer.id, 0, false));
        let saved = self.checkpoint.take().unwrap_or_else(fresh);
        let mut view = self.view.emptied();
        for seq in 1..=store.head_seq() {
            if let Some((env, stream)) = store.event(seq).zip(store.stream_of(seq))
                && saved.has_applied(Some(stream), env.version)
            {
                view.apply(env);
            }
        }
        self.view = view;
        consumer.restore(&saved);
        self.checkpoint = Some(saved);
        self.crash = Some(Crash { restart_tick, cursor: 1 });
    }
}

pub(super) fn plugin(app: &mut App) {
    add_reset(app, ResetOrder::Projectors, reset);
    app.add_systems(FixedUpdate, (start_replays, project).chain().in_set(SimSet::Projectors));
}

/// Each projector's queue on the exchange and its empty table. The
/// BookingDetail projector consumes in stream order (it buffers gaps).
fn reset(world: &mut World, cfg: &WorldConfig) {
    world.insert_resource(PendingReplays::default());
    for p in Projection::ALL {
        let id = ConsumerId::Projector(p);
        let ordered = p == Projection::BookingDetail;
        let consumer = Consumer::new(id, cfg.projectors.of(p), ordered);
        let e = world.spawn((SimEntity, ConsumerQueue::new(id), consumer, ProjectorView::new(p, cfg))).id();
        world.resource_mut::<Bus>().attach(id, e);
    }
}

fn start_replays(
    mut pending: ResMut<PendingReplays>,
    mut projectors: Query<(&mut ProjectorView, &mut Consumer)>,
    clock: Res<SimClock>,
    store: Res<EventStore>,
) {
    for p in std::mem::take(&mut pending.0) {
        for (mut pv, mut consumer) in &mut projectors {
            if pv.projection != p || pv.replay.is_some() {
                continue;
            }
            let hash_before = pv.view.hash();
            let emptied = pv.view.emptied();
            let serving = Box::new(std::mem::replace(&mut pv.view, emptied));
            let before = consumer.reset_for_replay();
            pv.replay = Some(Replay {
                cursor: 1,
                started_tick: clock.tick,
                hash_before,
                head_before: store.head_seq(),
                before,
                same_head: Box::new(pv.view.emptied()),
                serving,
            });
        }
    }
}

/// The system params of [`project`]: what the projectors read and write.
#[derive(SystemParam)]
struct ProjectParams<'w, 's> {
    projectors: Query<'w, 's, (&'static mut ProjectorView, &'static mut Consumer, &'static mut ConsumerQueue)>,
    messages: Query<'w, 's, &'static BusMessage>,
    store: Res<'w, EventStore>,
    bus: ResMut<'w, Bus>,
    knobs: ResMut<'w, Knobs>,
    mech: Res<'w, Mechanisms>,
    clock: Res<'w, SimClock>,
    signals: Signals<'w>,
}

fn project(params: ProjectParams) {
    let ProjectParams { mut projectors, messages, store, mut bus, mut knobs, mech, clock, mut signals } = params;
    let event = |seq: u64| store.event(seq);
    let mut all: Vec<_> = projectors.iter_mut().collect();
    all.sort_by_key(|(pv, _, _)| pv.projection);
    for (mut pv, mut consumer, mut queue) in all {
        let projection = pv.projection;
        if knobs.stalled.contains(&projection) {
            continue;
        }
        let armed = knobs.crash_projector.get(&projection).copied();
        match crash_step(&mut pv, &mut consumer, armed, Durable { store: &store, mech: &mech, now: clock.tick }) {
            CrashStep::Crashed => {
                knobs.crash_projector.remove(&projection);
                continue;
            }
            CrashStep::Down => continue,
            CrashStep::Up => {}
        }
        if let Some(mut replay) = pv.replay.take() {
            let budget = consumer.budget(usize::MAX, REPLAY_SPEEDUP);
            for _ in 0..budget {
                let Some((env, stream)) = event(replay.cursor).zip(store.stream_of(replay.cursor)) else { break };
                if replay.before.contains(stream, env.version) {
                    replay.same_head.apply(env);
                }
                if let Receive::Apply(applies) = consumer.receive(env, stream, &mech) {
                    for env in applies.events(env, event) {
                        pv.view.apply(env);
                        consumer.mark_applied(env, stream);
                    }
                }
                replay.cursor += 1;
            }
            if replay.cursor > store.head_seq() {
                pv.last_replay = Some(ReplayResult {
                    started_tick: replay.started_tick,
                    finished_tick: clock.tick,
                    hash_before: replay.hash_before,
                    hash_after: pv.view.hash(),
                    head_before: replay.head_before,
                    head_after: store.head_seq(),
                    hash_same_head: replay.same_head.hash(),
                });
                pv.replay = None;
            } else {
                pv.replay = Some(replay);
            }
            continue;
        }
        let budget = consumer.budget(queue.queue.len(), 1);
        for _ in 0..budget {
            let Some(msg_entity) = queue.queue.pop_front() else { break };
            bus.taken(ConsumerId::Projector(projection), msg_entity);
            let Ok(msg) = messages.get(msg_entity) else { continue };
            let env = &*msg.event;
            debug_assert_eq!(store.stream_of(env.seq), Some(msg.stream), "a message names its event's stream");
            let outcome = match consumer.receive(env, msg.stream, &mech) {
                Receive::Duplicate => ApplyOutcome::DuplicateSkipped,
                Receive::Buffered => ApplyOutcome::Buffered,
                Receive::Apply(applies) => {
                    for env in applies.events(env, event) {
                        pv.view.apply(env);
                        consumer.mark_applied(env, msg.stream);
                    }
                    ApplyOutcome::Applied
                }
            };
            signals.send(SimSignal::ProjectionApplied {
                seq: msg.seq,
                projection,
                outcome,
                correlation: msg.correlation,
            });
        }
    }
}

/// What a crash means for a projector this tick.
enum CrashStep {
    /// It crashed now (an armed crash struck).
    Crashed,
    /// It is down, or catching up from the store: no queue this tick.
    Down,
    /// It runs (and checkpoints when one is due).
    Up,
}

/// What a crash step reads: the store to catch up from, the safeguards,
/// the tick.
struct Durable<'a> {
    store: &'a EventStore,
    mech: &'a Mechanisms,
    now: Tick,
}

/// The crash side of a projector's tick: an armed crash (`armed`: its
/// restart delay in ms) strikes unless a replay runs; a crashed projector
/// waits for its restart, then catches up; a running one checkpoints every
/// [`CHECKPOINT_TICKS`].
fn crash_step(pv: &mut ProjectorView, consumer: &mut Consumer, armed: Option<u64>, at: Durable) -> CrashStep {
    if let Some(restart_ms) = armed
        && pv.replay.is_none()
        && pv.crash.is_none()
    {
        pv.crash(consumer, at.store, at.now + ticks(restart_ms).max(1));
        return CrashStep::Crashed;
    }
    if let Some(crash) = pv.crash {
        if at.now >= crash.restart_tick {
            catch_up(pv, consumer, at.store, at.mech);
        }
        return CrashStep::Down;
    }
    if at.now.is_multiple_of(CHECKPOINT_TICKS) && pv.replay.is_none() {
        match &mut pv.checkpoint {
            Some(saved) => (**saved).clone_from(consumer),
            None => pv.checkpoint = Some(Box::new(consumer.clone())),
        }
    }
    CrashStep::Up
}

/// A restarted projector reads the store from its cursor at replay speed,
/// applying what its restored idempotency log has not seen; caught up, it
/// goes back to its queue (whose messages it then skips as duplicates).
fn catch_up(pv: &mut ProjectorView, consumer: &mut Consumer, store: &EventStore, mech: &Mechanisms) {
    let Some(mut crash) = pv.crash else { return };
    let event = |seq: u64| store.event(seq);
    for _ in 0..consumer.budget(usize::MAX, REPLAY_SPEEDUP) {
        let Some((env, stream)) = event(crash.cursor).zip(store.stream_of(crash.cursor)) else { break };
        if let Receive::Apply(applies) = consumer.receive(env, stream, mech) {
            for env in applies.events(env, event) {
                pv.view.apply(env);
                consumer.mark_applied(env, stream);
            }
        }
        crash.cursor += 1;
    }
    pv.crash = (crash.cursor <= store.head_seq()).then_some(crash);
}

/// Replays a projection from seq 0 when asked (read by the projectors).
#[derive(Resource, Debug, Default)]
pub struct PendingReplays(pub Vec<Projection>);
