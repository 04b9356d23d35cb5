//! RabbitMQ and the outbox pumper. A topic exchange routes each published
//! event (routing key `booking.<Type>`) to one durable queue per consumer
//! (the 5 projectors and the saga orchestrator); every message is an
//! entity in transit, then in its consumer's queue. Queues are independent:
//! a slow consumer never blocks a fast one. Delivery is at-least-once and
//! FIFO per queue; the knobs add duplicates, and reorder (the broker holds
//! every copy of one event per queue back for a random window while the rest overtake
//! it). Depth is bounded by flow control:
//! the pumper stops publishing while any queue is full, so the outbox (a
//! durable table) absorbs the backlog and nothing is dropped.

use super::config::{WorldConfig, ticks};
use super::consumer::ConsumerQueue;
use super::knobs::Knobs;
use super::protocol::ConsumerId;
use super::runtime::{IdGen, ResetOrder, SimClock, SimSetup, add_reset, reuse_or_spawn};
use super::signals::{Signals, SimSignal};
use super::store::{EventStore, OutboxRow};
use super::{protocol::SimSet, runtime::SimRng};
use crate::domain::{EventEnvelope, EventKind, Tick};
use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use rand::Rng;
use std::collections::BTreeMap;
use std::sync::Arc;

/// One message on the bus: the published event (its body, shared with the
/// store's row, not copied) and where it is going. Its entity is reused
/// for a later message once a consumer took it off its queue (see
/// [`Bus::taken`]).
#[derive(Component, Clone, Debug)]
pub struct BusMessage {
    id: u64,
    pub seq: u64,
    /// The event as published. A consumer reads it from the message, as a
    /// RabbitMQ consumer reads the body, instead of going back to the
    /// store for it (which cost a few more memory loads per delivery).
    pub event: Arc<EventEnvelope>,
    /// The event's stream number in the store (consumers index their
    /// per-stream logs by it).
    pub stream: u32,
    pub consumer: ConsumerId,
    arrive_tick: Tick,
    pub duplicate: bool,
    pub correlation: u64,
}

/// A queue binding on the topic exchange.
#[derive(Clone, Debug)]
struct Binding {
    pattern: &'static str,
    consumer: ConsumerId,
}

/// The exchange: bindings, consumer entities, per-queue depth and FIFO
/// bookkeeping.
#[derive(Resource, Debug, Default)]
pub struct Bus {
    bindings: Vec<Binding>,
    consumers: BTreeMap<ConsumerId, Entity>,
    /// Messages in transit or queued, per consumer.
    depth: BTreeMap<ConsumerId, usize>,
    /// The messages still travelling, by arrival tick, each tick's sorted
    /// by message id: the order they join their queues in. Delivery takes
    /// whole due ticks off the front, so a tick never looks at messages
    /// that are not due; a publish appends to its tick's list (ids only
    /// grow, except for a message the reorder knob held back) instead of
    /// inserting into one tree of every message on the wire.
    in_transit: BTreeMap<Tick, Vec<(u64, Entity)>>,
    /// Message entities whose message was consumed, ready to carry the
    /// next one. Spawning six entities per event and despawning them a few
    /// ticks later was the largest single cost of a busy tick; the pool
    /// never holds more than the most messages ever on the bus at once
    /// (bounded by [`MAX_QUEUE_DEPTH`] per queue).
    free: Vec<Entity>,
    last_arrival: BTreeMap<ConsumerId, Tick>,
    /// Reorder knob: per queue, the copies of one event the broker holds
    /// back, each with the tick it lets go of it; every message published
    /// meanwhile overtakes them (see [`REORDER_WINDOW_TICKS`]).
    held_back: BTreeMap<ConsumerId, Vec<(BusMessage, Tick)>>,
    pub published: u64,
    pub publish_failures: u64,
    pub duplicates_sent: u64,
    /// Crashes of the outbox pumper, and while it is down, the tick it
    /// restarts at.
    pub pumper_crashes: u64,
    pumper_down_until: Option<Tick>,
    /// The consumers each event kind's routing key reaches, worked out once
    /// per kind (with the number of bindings it was worked out from).
    routes: BTreeMap<EventKind, (usize, Arc<[ConsumerId]>)>,
}

impl Bus {
    /// The consumers bound to `kind`'s routing key (`booking.<Kind>`). The
    /// bindings are fixed after start-up, so the topic match runs once per
    /// kind instead of once per publish; a change in the number of
    /// bindings works it out again.
    /// Shared, so a publish clones a pointer, not a list.
    fn route(&mut self, kind: EventKind) -> Arc<[ConsumerId]> {
        let n = self.bindings.len();
        if let Some((len, targets)) = self.routes.get(&kind)
            && *len == n
        {
            return targets.clone();
        }
        let key = format!("booking.{}", kind.name());
        let targets: Arc<[ConsumerId]> =
            self.bindings.iter().filter(|b| topic_matches(b.pattern, &key)).map(|b| b.consumer).collect();
        self.routes.insert(kind, (n, targets.clone()));
        targets
    }

    pub fn in_flight_total(&self) -> usize {
        self.depth.values().sum()
    }

    /// The entities of the messages still travelling, in arrival order
    /// (consumed messages' entities wait in the pool: see [`Bus::taken`]).
    pub fn in_transit_messages(&self) -> impl Iterator<Item = Entity> + '_ {
        self.in_transit.values().flatten().map(|(_, e)| *e)
    }

    /// Puts a message on the wire: an entity (a consumed one reused, or a
    /// new one), indexed by its arrival; tells presentation when it lands.
    fn send(&mut self, wire: &mut Wire<'_, '_, '_, '_, '_, '_, '_>, msg: BusMessage) {
        let Wire { commands, messages, signals, now } = wire;
        signals.send(SimSignal::MessageSent {
            seq: msg.seq,
            kind: msg.event.kind(),
            version: msg.event.version,
            consumer: msg.consumer,
            duplicate: msg.duplicate,
            transit_ms: msg.arrive_tick.saturating_sub(*now) * crate::domain::TICK_MS,
            correlation: msg.correlation,
        });
        let (tick, id) = (msg.arrive_tick, msg.id);
        let e = reuse_or_spawn(&mut self.free, messages, commands, msg);
        let due = self.in_transit.entry(tick).or_default();
        // Nearly always the largest id so far: append. A held-back message
        // (reorder knob) is older: it goes to its place by id.
        let at = due.iter().rposition(|(other, _)| *other < id).map_or(0, |i| i + 1);
        due.insert(at, (id, e));
    }

    /// Consumer `id` took message `e` off its queue: its queue is one
    /// shorter and the message's entity goes back to the pool.
    pub fn taken(&mut self, id: ConsumerId, e: Entity) {
        if let Some(d) = self.depth.get_mut(&id) {
            *d = d.saturating_sub(1);
        }
        self.free.push(e);
    }
}

/// Fault for tests only: the broker loses one message still on the wire
/// (as a broker that drops instead of redelivering would), and forgets it
/// in its queue's depth. Returns the consumer it was for. Nothing in the
/// engine calls it: tests use it to show the exactly-once check catching it.
pub fn lose_a_message_in_transit(world: &mut World) -> Option<ConsumerId> {
    let victim = world.resource::<Bus>().in_transit_messages().next()?;
    let consumer = world.get::<BusMessage>(victim)?.consumer;
    let mut bus = world.resource_mut::<Bus>();
    for list in bus.in_transit.values_mut() {
        list.retain(|(_, e)| *e != victim);
    }
    if let Some(d) = bus.depth.get_mut(&consumer) {
        *d = d.saturating_sub(1);
    }
    world.despawn(victim);
    Some(consumer)
}

/// What putting a message on the wire needs (bundled: the pumper and the
/// reorder knob's release both send).
struct Wire<'a, 'cw, 'cs, 'qw, 'qs, 'm, 'sw> {
    commands: &'a mut Commands<'cw, 'cs>,
    messages: &'a mut Query<'qw, 'qs, &'m mut BusMessage>,
    signals: &'a mut Signals<'sw>,
    now: Tick,
}

/// How long the reorder knob holds a message back (drawn per message, in
/// ticks, both ends included), as a broker's redelivery delays one message
/// while the queue moves on: every message published meanwhile overtakes
/// it, later versions of its own booking and its own duplicate included.
const REORDER_WINDOW_TICKS: (Tick, Tick) = (10, 40);

/// Most messages one queue may hold (in transit + queued) before the
/// pumper pauses publishing to it (flow control, never dropping).
const MAX_QUEUE_DEPTH: usize = 50_000;

/// Topic matching as RabbitMQ does it: words split on `.`, `*` matches one
/// word, `#` matches zero or more.
fn topic_matches(pattern: &str, key: &str) -> bool {
    fn go(p: &[&str], k: &[&str]) -> bool {
        match (p.first(), k.first()) {
            (None, None) => true,
            (Some(&"#"), _) => go(&p[1..], k) || (!k.is_empty() && go(p, &k[1..])),
            (Some(&"*"), Some(_)) => go(&p[1..], &k[1..]),
            (Some(w), Some(x)) if w == x => go(&p[1..], &k[1..]),
            _ => false,
        }
    }
    let p: Vec<&str> = pattern.split('.').collect();
    let k: Vec<&str> = key.split('.').collect();
    go(&p, &k)
}

pub(super) fn plugin(app: &mut App) {
    add_reset(app, ResetOrder::Bus, reset);
    app.add_systems(FixedUpdate, pump_outbox.in_set(SimSet::Outbox));
    app.add_systems(FixedUpdate, deliver.in_set(SimSet::Bus));
}

fn reset(world: &mut World, _: &WorldConfig) {
    world.insert_resource(Bus::default());
}

impl Bus {
    /// Binds consumer `id`'s queue, whose entity is `e`, to the exchange.
    /// Every consumer binds the whole `booking.#` topic: ordered consumers
    /// must see every version of a stream to detect gaps, and the "every
    /// event reaches every projector" invariant needs it.
    pub fn attach(&mut self, id: ConsumerId, e: Entity) {
        self.bindings.push(Binding { pattern: "booking.#", consumer: id });
        self.consumers.insert(id, e);
        self.depth.insert(id, 0);
    }
}

/// The system params of [`pump_outbox`]: what publishing a batch reads and writes.
#[derive(SystemParam)]
struct PumpOutboxParams<'w, 's> {
    commands: Commands<'w, 's>,
    rows: Query<'w, 's, &'static mut OutboxRow>,
    messages: Query<'w, 's, &'static mut BusMessage>,
    store: ResMut<'w, EventStore>,
    bus: ResMut<'w, Bus>,
    knobs: ResMut<'w, Knobs>,
    rng: ResMut<'w, SimRng>,
    ids: ResMut<'w, IdGen>,
    setup: Res<'w, SimSetup>,
    clock: Res<'w, SimClock>,
    signals: Signals<'w>,
}

/// The pumper: publish up to `outbox_batch` rows in seq order. A failed
/// publish leaves the row (and the rows behind it) for the next tick. A
/// crashed pumper publishes nothing until it restarts; it then starts from
/// the outbox as it finds it (the broker keeps delivering meanwhile).
fn pump_outbox(mut params: PumpOutboxParams) {
    let now = params.clock.tick;
    let down = params.bus.pumper_down_until.is_some_and(|restart| now < restart);
    if !down {
        params.bus.pumper_down_until = None;
        pump_batch(&mut params);
    }
    let PumpOutboxParams { commands, messages, signals, bus, knobs, clock, .. } = &mut params;
    let mut wire = Wire { commands, messages, signals, now: clock.tick };
    release_held_back(&mut wire, bus, knobs.reorder);
}

impl Bus {
    /// While the pumper is down after a crash: the tick it restarts at.
    pub fn pumper_down_until(&self) -> Option<Tick> {
        self.pumper_down_until
    }
}

fn pump_batch(params: &mut PumpOutboxParams) {
    let timing = &params.setup.world.timing;
    let batch = timing.outbox_batch.max(1) as usize;
    let (tmin, tmax) = timing.bus_transit_ms;
    let transit = (ticks(tmin), ticks(tmax.max(tmin)));
    for _ in 0..batch {
        if params.bus.depth.values().any(|d| *d >= MAX_QUEUE_DEPTH) || !publish_next(params, transit) {
            break;
        }
    }
}

/// An event as published: what each of its copies carries.
struct Published {
    seq: u64,
    event: Arc<EventEnvelope>,
    stream: u32,
    correlation: u64,
}

/// Publishes the oldest outbox row to every queue its routing key
/// reaches, each message in transit for a time drawn from `transit`
/// (ticks). False when the pumper stops for this tick: the row is not
/// readable yet (it stays first in line: skipping it would lose its event
/// for good), or the publish failed.
fn publish_next(params: &mut PumpOutboxParams, transit: (Tick, Tick)) -> bool {
    let PumpOutboxParams { rows, store, bus, knobs, rng, signals, .. } = params;
    let Some((seq, entity)) = store.outbox_front() else { return false };
    let Ok(mut row) = rows.get_mut(entity) else { return false };
    let correlation = row.correlation;
    if knobs.publish_fail_pct > 0 && rng.0.random_range(0..100u8) < knobs.publish_fail_pct {
        row.attempts += 1;
        bus.publish_failures += 1;
        signals.send(SimSignal::OutboxPublished { seq, ok: false, correlation });
        return false;
    }
    let Some((event, stream)) = store.event_shared(seq).zip(store.stream_of(seq)) else { return false };
    // Told before its copies go out, so a sequence diagram reads
    // publish, then fan-out (signals are write-only: order is theirs).
    signals.send(SimSignal::OutboxPublished { seq, ok: true, correlation });
    let published = Published { seq, event, stream, correlation };
    for &consumer in bus.route(published.event.kind()).iter() {
        send_copies(params, &published, consumer, transit);
    }
    params.bus.published += 1;
    // An armed crash strikes here: the row went out but is not marked
    // sent, so the restarted pumper publishes it again (at-least-once; the
    // consumers' idempotency absorbs the copy).
    if let Some(restart_ms) = params.knobs.crash_pumper_restart_ms.take() {
        params.bus.pumper_crashes += 1;
        params.bus.pumper_down_until = Some(params.clock.tick + ticks(restart_ms).max(1));
        return false;
    }
    params.store.outbox_pop();
    true
}

/// Sends `published` to `consumer`'s queue: once, or twice with the
/// duplicate knob; held back for a while with the reorder knob.
fn send_copies(params: &mut PumpOutboxParams, published: &Published, consumer: ConsumerId, transit: (Tick, Tick)) {
    let PumpOutboxParams { commands, messages, bus, knobs, rng, ids, clock, signals, .. } = params;
    let now = clock.tick;
    let copies = if knobs.duplicate_pct > 0 && rng.0.random_range(0..100u8) < knobs.duplicate_pct { 2 } else { 1 };
    // Reorder knob: the broker holds back every copy of this event
    // for this queue (one copy let through would deliver the event
    // in order after all), each for its own random window.
    let hold = knobs.reorder && bus.held_back.get(&consumer).is_none_or(Vec::is_empty);
    for copy in 0..copies {
        let mut arrive = now + rng.0.random_range(transit.0..=transit.1);
        if copy == 1 {
            arrive += rng.0.random_range(1..=4);
            bus.duplicates_sent += 1;
        }
        let last = bus.last_arrival.entry(consumer).or_default();
        arrive = arrive.max(*last);
        *last = arrive;
        let msg = BusMessage {
            id: ids.next_id(),
            seq: published.seq,
            event: published.event.clone(),
            stream: published.stream,
            consumer,
            arrive_tick: arrive,
            duplicate: copy == 1,
            correlation: published.correlation,
        };
        *bus.depth.entry(consumer).or_default() += 1;
        if hold {
            // Whatever is published meanwhile passes it (not just
            // the next message: a pairwise swap mostly swapped a
            // message with its own duplicate and rarely reordered
            // one booking); a duplicate may pass its original.
            let (lo, hi) = REORDER_WINDOW_TICKS;
            let release = now + rng.0.random_range(lo..=hi);
            bus.held_back.entry(consumer).or_default().push((msg, release));
            continue;
        }
        let mut wire = Wire { commands, messages, signals, now };
        bus.send(&mut wire, msg);
    }
}

/// Lets go of a held-back message when its window ends (or at once when
/// the knob is off). It lands after the messages that overtook it.
fn release_held_back(wire: &mut Wire<'_, '_, '_, '_, '_, '_, '_>, bus: &mut Bus, reorder: bool) {
    let now = wire.now;
    let mut due: Vec<BusMessage> = vec![];
    for held in bus.held_back.values_mut() {
        let mut i = 0;
        while i < held.len() {
            if !reorder || now >= held[i].1 {
                due.push(held.remove(i).0);
            } else {
                i += 1;
            }
        }
    }
    bus.held_back.retain(|_, held| !held.is_empty());
    // Sent in id order: the order of the wire does not depend on the map's.
    due.sort_by_key(|m| m.id);
    for mut m in due {
        m.arrive_tick = m.arrive_tick.max(now + 1);
        bus.send(wire, m);
    }
}

/// Messages whose transit ended join their queue, in arrival order.
fn deliver(
    messages: Query<&BusMessage>,
    mut queues: Query<&mut ConsumerQueue>,
    mut bus: ResMut<Bus>,
    clock: Res<SimClock>,
    mut signals: Signals,
) {
    while let Some(entry) = bus.in_transit.first_entry() {
        if *entry.key() > clock.tick {
            break;
        }
        for (_, e) in entry.remove() {
            let Ok(m) = messages.get(e) else { continue };
            if let Some(mut q) = bus.consumers.get(&m.consumer).and_then(|c| queues.get_mut(*c).ok()) {
                q.queue.push_back(e);
                q.delivered += 1;
            }
            signals.send(SimSignal::Delivered {
                seq: m.seq,
                consumer: m.consumer,
                duplicate: m.duplicate,
                correlation: m.correlation,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::topic_matches;

    #[test]
    fn topic_patterns_match_like_rabbitmq() {
        assert!(topic_matches("booking.#", "booking.SeatHeld"));
        assert!(topic_matches("#", "booking.SeatHeld"));
        assert!(topic_matches("booking.*", "booking.SeatHeld"));
        assert!(!topic_matches("booking.*", "booking.a.b"));
        assert!(topic_matches("booking.#", "booking"));
        assert!(!topic_matches("gdpr.#", "booking.SeatHeld"));
        assert!(topic_matches("*.SeatHeld", "booking.SeatHeld"));
    }
}
