//! The event store ("PostgreSQL"): append-only rows, one entity per event,
//! with the (aggregate_id, version) unique rule and a global seq; the
//! outbox rows written in the same transaction; the per-seat aggregate
//! snapshots the UI shows; and the write side's small indexes.
//!
//! Nothing here updates or deletes a stored event. Lookups go through
//! indexes kept as resources, so no per-tick work scans the history.

use super::config::WorldConfig;
use super::runtime::{ResetOrder, SimEntity, add_reset, reuse_or_spawn};
use super::small_map::SmallMap;
use crate::domain::{AggregateId, Booking, CustomerId, Event, EventEnvelope, Hash, SealArgs, Tick, ZERO_HASH};
use bevy::platform::collections::HashMap;
use bevy::prelude::*;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

/// One stored event (a row of the `events` table). Shared, not copied:
/// the row, the append's caller and anything that keeps the envelope point
/// at one allocation, and the table holds a pointer per row instead of the
/// whole envelope (which made every growth of the table copy megabytes).
#[derive(Component, Clone, Debug)]
pub struct StoredEvent(pub Arc<EventEnvelope>);

/// An outbox row: the event `seq` still has to be published to the bus.
#[derive(Component, Clone, Debug)]
pub struct OutboxRow {
    pub correlation: u64,
    pub attempts: u32,
}

/// The folded state of one seat's stream, kept for display and invariant
/// checks. The Command API never trusts it: it loads by fold.
#[derive(Component, Clone, Debug)]
pub struct AggregateRow(pub Booking);

/// Indexes over the store rows (kept as a resource so lookups are O(1)).
#[derive(Resource, Debug, Default)]
pub struct EventStore {
    rows: Vec<Entity>,
    /// Each stream's number: streams are numbered 0, 1, 2, … in the order
    /// of their first event (so the numbers stay as dense as the streams
    /// touched), and the write side and the consumers keep per-stream
    /// state in plain arrays instead of hashing the id of every command
    /// and event.
    stream_nos: HashMap<AggregateId, u32>,
    /// Each stream's envelopes (shared with its rows), by stream number, in
    /// version order: loading a stream by fold reads them here instead of
    /// through each row's entity (one memory load per event instead of
    /// three). A row's entity is `rows[seq - 1]`.
    stream_events: Vec<Vec<Arc<EventEnvelope>>>,
    /// Every envelope by seq − 1 (shared with the rows), for the pumper and
    /// the consumers.
    events: Vec<Arc<EventEnvelope>>,
    /// The stream number of each event, by seq − 1.
    stream_of_seq: Vec<u32>,
    head: Hash,
    /// Outbox rows not yet published, (seq, row entity), oldest first.
    outbox: VecDeque<(u64, Entity)>,
    /// Entities of published outbox rows, ready to carry the next row (see
    /// [`reuse_or_spawn`]). Only `outbox` reaches a row.
    outbox_free: Vec<Entity>,
    /// Keys appended twice: only possible with the unique key turned off.
    pub duplicate_keys: Vec<(AggregateId, u32)>,
    /// The version of the latest GDPRTombstone per (customer, stream): an
    /// index of the log, kept as events are appended (like `stream_nos`),
    /// so checks ask "what did an erasure cover?" without a scan.
    erasures: BTreeMap<(CustomerId, AggregateId), u32>,
}

impl EventStore {
    /// The seq of the last appended event (0 when empty).
    pub fn head_seq(&self) -> u64 {
        self.rows.len() as u64
    }
    /// The hash at the head of the chain: the run's fingerprint.
    pub fn head_hash(&self) -> Hash {
        self.head
    }
    /// The row entity of event `seq`.
    pub fn row(&self, seq: u64) -> Option<Entity> {
        seq.checked_sub(1).and_then(|i| self.rows.get(i as usize)).copied()
    }
    /// Row entities of every event, in seq order.
    pub fn rows(&self) -> &[Entity] {
        &self.rows
    }
    /// Outbox rows waiting to be published.
    pub fn outbox_pending(&self) -> usize {
        self.outbox.len()
    }
    /// The seqs of the outbox rows waiting to be published, oldest first.
    pub fn outbox_waiting(&self) -> impl Iterator<Item = u64> + '_ {
        self.outbox.iter().map(|(seq, _)| *seq)
    }
    /// The oldest unpublished outbox row: (seq, row entity).
    pub(super) fn outbox_front(&self) -> Option<(u64, Entity)> {
        self.outbox.front().copied()
    }
    /// The oldest outbox row was published: its entity waits in the pool
    /// for the next append.
    pub(super) fn outbox_pop(&mut self) {
        if let Some((_, e)) = self.outbox.pop_front() {
            self.outbox_free.push(e);
        }
    }
    /// Row entities of one stream, in version order.
    pub fn stream(&self, id: &AggregateId) -> impl DoubleEndedIterator<Item = Entity> + '_ {
        let events = self.stream_no(id).map_or(&[][..], |n| self.stream_events(n));
        events.iter().filter_map(|env| self.row(env.seq))
    }
    /// The envelope of event `seq` (the one its row holds).
    pub fn event(&self, seq: u64) -> Option<&EventEnvelope> {
        seq.checked_sub(1).and_then(|i| self.events.get(i as usize)).map(|e| &**e)
    }
    /// The envelope of event `seq`, shared (for a message that carries it).
    pub fn event_shared(&self, seq: u64) -> Option<Arc<EventEnvelope>> {
        seq.checked_sub(1).and_then(|i| self.events.get(i as usize)).cloned()
    }
    /// The envelopes of stream number `no`, in version order.
    pub fn stream_events(&self, no: u32) -> &[Arc<EventEnvelope>] {
        self.stream_events.get(no as usize).map_or(&[], Vec::as_slice)
    }
    /// How many streams have events (numbered `0 .. streams()`).
    pub fn streams(&self) -> u32 {
        self.stream_events.len() as u32
    }
    /// The aggregate of stream number `no`.
    pub fn stream_id(&self, no: u32) -> Option<&AggregateId> {
        self.stream_events(no).first().map(|env| &env.aggregate_id)
    }
    /// The stream's number (None for a stream the store has never seen).
    pub fn stream_no(&self, id: &AggregateId) -> Option<u32> {
        self.stream_nos.get(id).copied()
    }
    /// The number of the stream event `seq` belongs to.
    pub fn stream_of(&self, seq: u64) -> Option<u32> {
        seq.checked_sub(1).and_then(|i| self.stream_of_seq.get(i as usize)).copied()
    }
    /// The stream's current version (0 = never touched).
    pub fn version(&self, id: &AggregateId) -> u32 {
        self.stream_no(id).map_or(0, |n| self.version_of(n))
    }
    /// The current version of stream number `no` (0 = never touched).
    pub fn version_of(&self, no: u32) -> u32 {
        self.stream_events(no).len() as u32
    }
    /// The stream number of `id`, given the next one if it has none (on
    /// its first event).
    fn register(&mut self, id: AggregateId) -> u32 {
        let next = self.stream_events.len() as u32;
        let no = *self.stream_nos.entry(id).or_insert(next);
        if no == next {
            self.stream_events.push(Vec::new());
        }
        no
    }

    /// Every erasure in the log: (customer, stream, version of her latest
    /// tombstone there), in key order.
    pub fn erasures(&self) -> impl Iterator<Item = (&CustomerId, &AggregateId, u32)> + '_ {
        self.erasures.iter().map(|((c, a), v)| (c, a, *v))
    }

    /// Appends one event as version `version` of its stream, and its outbox
    /// row, in one step (the same transaction). The caller has already
    /// checked the expected version (the unique key).
    pub fn append(
        &mut self,
        commands: &mut Commands,
        outbox_rows: &mut Query<&mut OutboxRow>,
        new: NewEvent,
    ) -> Arc<EventEnvelope> {
        let NewEvent { aggregate_id, version, tick, causation_id, correlation_id, event } = new;
        let no = self.register(aggregate_id.clone());
        if version <= self.version_of(no) {
            self.duplicate_keys.push((aggregate_id.clone(), version));
        }
        let seq = self.head_seq() + 1;
        let env =
            SealArgs { seq, aggregate_id, version, tick, causation_id, correlation_id, event, prev_hash: self.head }
                .seal();
        self.head = env.hash;
        if let Event::GdprTombstone { customer } = &env.event {
            self.erasures.insert((customer.clone(), env.aggregate_id.clone()), env.version);
        }
        let env = Arc::new(env);
        let row = commands.spawn((SimEntity, StoredEvent(env.clone()))).id();
        let row_of_outbox = OutboxRow { correlation: correlation_id, attempts: 0 };
        let outbox = reuse_or_spawn(&mut self.outbox_free, outbox_rows, commands, row_of_outbox);
        self.outbox.push_back((seq, outbox));
        self.rows.push(row);
        self.stream_events[no as usize].push(env.clone());
        self.events.push(env.clone());
        self.stream_of_seq.push(no);
        env
    }
}

/// An event the command side commits: its stream and version, when, which
/// command caused it and which chain it belongs to.
pub struct NewEvent {
    pub aggregate_id: AggregateId,
    pub version: u32,
    pub tick: Tick,
    pub causation_id: u64,
    pub correlation_id: u64,
    pub event: Event,
}

/// Every bookable seat's aggregate entity, by id (all seats of the world
/// exist from tick 0 at version 0).
#[derive(Resource, Debug, Default)]
pub struct Aggregates {
    pub by_id: BTreeMap<AggregateId, Entity>,
    /// The same entities by stream number, filled in by the commit of each
    /// stream's first event (see [`EventStore::stream_no`]).
    by_stream: Vec<Option<Entity>>,
}

impl Aggregates {
    /// The aggregate entity of stream number `no`, once linked.
    pub fn by_stream(&self, no: u32) -> Option<Entity> {
        self.by_stream.get(no as usize).copied().flatten()
    }
    /// Records that stream number `no` is the aggregate `entity`.
    pub fn link(&mut self, no: u32, entity: Entity) {
        let i = no as usize;
        if i >= self.by_stream.len() {
            self.by_stream.resize(i + 1, None);
        }
        self.by_stream[i] = Some(entity);
    }
}

/// Write-side index: the streams a customer ever held (for GDPR erasure),
/// in id order (most customers hold one).
#[derive(Resource, Debug, Default)]
pub struct CustomerStreams {
    pub by_customer: BTreeMap<CustomerId, SmallMap<AggregateId, ()>>,
}

pub(super) fn plugin(app: &mut App) {
    add_reset(app, ResetOrder::Store, reset);
}

fn reset(world: &mut World, cfg: &WorldConfig) {
    world.insert_resource(EventStore { head: ZERO_HASH, ..default() });
    world.insert_resource(CustomerStreams::default());
    let mut aggregates = Aggregates::default();
    for flight in &cfg.flights {
        for seat in flight.all_seats() {
            let id = AggregateId::seat(&flight.id, &seat);
            if aggregates.by_id.contains_key(&id) {
                // A seat listed twice is one seat: one aggregate row.
                continue;
            }
            let e = world.spawn((SimEntity, AggregateRow(Booking::new(id.clone())))).id();
            aggregates.by_id.insert(id, e);
        }
    }
    world.insert_resource(aggregates);
}
