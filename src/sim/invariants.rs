//! The invariants the engine checks, continuously (docs/INVARIANTS.md
//! describes each one).
//!
//! Cheap checks run every tick (a system in [`SimSet::Invariants`]); the
//! ones that need the whole history (rebuilding every projection from seq
//! 0, re-verifying the hash chain from the first row, money and vendor
//! holds) run when the run is quiescent ([`check_at_drain`]). A violation
//! is sticky: it keeps the tick and detail of its first occurrence.

use super::bus::Bus;
use super::config::WorldConfig;
use super::consumer::Consumer;
use super::projectors::ProjectorView;
use super::protocol::Projection;
use super::query_api::CacheEntry;
use super::runtime::{ResetOrder, add_reset};
use super::saga::{Saga, SagaState};
use super::store::{AggregateRow, EventStore, StoredEvent};
use super::vendors::Vendor;
use super::views::View;
use super::{knobs::Knobs, protocol::SimSet};
use super::{
    runtime::SimClock,
    world::{Inbox, Scheduled},
};
use crate::domain::{AggregateId, Booking, EventEnvelope, HashChain, Status, Tick};
use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use std::collections::BTreeMap;

/// Invariant names, in report order.
pub const NO_DOUBLE_BOOKING: &str = "no seat held or sold twice; inventory never negative";
pub const EXACTLY_ONCE: &str = "every event reaches every projector, applied exactly once";
pub const REBUILD_EQUAL: &str = "each projection equals its rebuild from seq 0";
pub const SAGAS_SETTLE: &str = "every saga completes or is fully compensated; no vendor hold leaks";
pub const MONEY: &str = "captured - refunded = revenue of issued tickets";
pub const GDPR: &str = "no projection holds a tombstoned customer's PII";
pub const CHAIN: &str = "event store is append-only and its hash chain verifies";
/// Read-your-own-writes, as a customer sees it (checked by the script
/// player on every labelled "my bookings" it sends).
pub const OWN_WRITES: &str = "a customer's confirmed writes show in her next 'my bookings'";
/// The store confirmed the hold; only a real vendor fault may take it back.
pub const HOLD_KEPT: &str = "no confirmed hold is revoked by the platform's own stale state";
/// Hold expiries and cache TTLs: a timer that never lands leaks a seat or
/// serves stale data for ever.
pub const TIMERS: &str = "every timer's effect lands: holds expire, cache entries are evicted";
/// Liveness: the run must settle at all (the report fails it when the run
/// reaches its time limit without draining).
pub const LIVENESS: &str = "the bus drains and every saga finishes within the time limit";

pub const ALL: [&str; 11] = [
    NO_DOUBLE_BOOKING,
    EXACTLY_ONCE,
    REBUILD_EQUAL,
    SAGAS_SETTLE,
    MONEY,
    GDPR,
    CHAIN,
    OWN_WRITES,
    HOLD_KEPT,
    TIMERS,
    LIVENESS,
];

/// The invariants with a part checked every tick; the others are checked
/// only once the run drains (and the report says "not checked" when it
/// did not).
pub const PER_TICK: [&str; 8] =
    [NO_DOUBLE_BOOKING, EXACTLY_ONCE, SAGAS_SETTLE, GDPR, CHAIN, OWN_WRITES, HOLD_KEPT, TIMERS];

/// Checked as things happen, with no drain-time part: complete whether or
/// not the run drained.
pub const NO_DRAIN_PART: [&str; 2] = [OWN_WRITES, HOLD_KEPT];

/// How long a hold may outlive its expiry before it counts as leaked: the
/// expiry timer's command only has to pass the command API (a tick or
/// two; retried when it loses a commit race), so this is generous.
pub const HOLD_LEAK_GRACE_MS: u64 = 30_000;

/// What a violation is about, when one thing can be named: the UI pins it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Culprit {
    /// An event (and the consumer that mishandled it, if one did).
    Event {
        seq: u64,
        correlation: u64,
        consumer: Option<super::protocol::ConsumerId>,
    },
    Aggregate(crate::domain::AggregateId),
    Saga {
        id: u64,
        correlation: u64,
    },
    /// A consumer (a projector's view, or the orchestrator) as a whole.
    Consumer(super::protocol::ConsumerId),
}

/// One invariant's status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvariantStatus {
    pub ok: bool,
    pub detail: String,
    first_violation_tick: Option<Tick>,
    /// Whether the drain-time part has run at least once.
    pub checked_at_drain: bool,
    /// The first violation's culprit, when it has one.
    pub culprit: Option<Culprit>,
}

/// All invariants' statuses, readable by the UI and reports.
#[derive(Resource, Debug, Clone)]
pub struct Invariants {
    pub status: BTreeMap<&'static str, InvariantStatus>,
    chain: HashChain,
    /// Holds to look at again once their expiry plus the grace has passed:
    /// (that tick, the hold's expiry tick, the booking's entity).
    hold_deadlines: std::collections::BTreeSet<(Tick, Tick, Entity)>,
}

impl Default for Invariants {
    fn default() -> Self {
        Invariants {
            status: ALL
                .iter()
                .map(|n| {
                    (
                        *n,
                        InvariantStatus {
                            ok: true,
                            detail: "ok".into(),
                            first_violation_tick: None,
                            checked_at_drain: false,
                            culprit: None,
                        },
                    )
                })
                .collect(),
            chain: HashChain::default(),
            hold_deadlines: Default::default(),
        }
    }
}

impl Invariants {
    pub fn all_ok(&self) -> bool {
        self.status.values().all(|s| s.ok)
    }

    /// Records a violation (the first one's detail is kept).
    pub fn violate(&mut self, name: &'static str, tick: Tick, detail: String) {
        self.violate_at(name, tick, detail, None);
    }

    /// Records a violation and what it is about.
    pub fn violate_at(&mut self, name: &'static str, tick: Tick, detail: String, culprit: Option<Culprit>) {
        let s = self.status.entry(name).or_insert(InvariantStatus {
            ok: true,
            detail: String::new(),
            first_violation_tick: None,
            checked_at_drain: false,
            culprit: None,
        });
        if s.ok {
            s.ok = false;
            s.detail = detail;
            s.first_violation_tick = Some(tick);
            s.culprit = culprit;
        }
    }

    /// The violated ones, in report order.
    pub fn violations(&self) -> Vec<(&'static str, &InvariantStatus)> {
        ALL.iter().filter_map(|n| self.status.get(n).filter(|s| !s.ok).map(|s| (*n, s))).collect()
    }
}

pub(super) fn plugin(app: &mut App) {
    add_reset(app, ResetOrder::Invariants, reset);
    app.add_systems(FixedUpdate, per_tick.in_set(SimSet::Invariants));
}

fn reset(world: &mut World, _: &WorldConfig) {
    world.insert_resource(Invariants::default());
}

/// The system params of [`per_tick`]: what the per-tick checks read.
#[derive(SystemParam)]
pub struct PerTickParams<'w, 's> {
    inv: ResMut<'w, Invariants>,
    store: Res<'w, EventStore>,
    events: Query<'w, 's, &'static StoredEvent>,
    consumers: Query<'w, 's, &'static Consumer>,
    views: Query<'w, 's, (&'static ProjectorView, &'static Consumer)>,
    // Only what changed since the last check: a vendor's inventory or a
    // saga's state can only go wrong when it is written, and a tick then
    // costs what happened in it, not how many sagas are waiting.
    vendors: Query<'w, 's, &'static super::vendors::Vendor, Changed<super::vendors::Vendor>>,
    sagas: Query<'w, 's, &'static Saga, Changed<Saga>>,
    clock: Res<'w, SimClock>,
    holds: HeldSeats<'w, 's>,
}

pub fn per_tick(params: PerTickParams) {
    let PerTickParams { mut inv, store, events, consumers, views, vendors, sagas, clock, holds } = params;
    let now = clock.tick;
    // Chain: verify the rows appended since the last tick (and note the
    // holds they open, to look at again after their expiry).
    while inv.chain.next_seq <= store.head_seq() {
        let seq = inv.chain.next_seq;
        let Some(env) = store.row(seq).and_then(|e| events.get(e).ok()) else {
            inv.violate(CHAIN, now, format!("row {seq} missing"));
            break;
        };
        let mut chain = inv.chain.clone();
        if let Err(e) = chain.push(&env.0) {
            let culprit = Culprit::Event { seq, correlation: env.0.correlation_id, consumer: None };
            inv.violate_at(CHAIN, now, e, Some(culprit));
            break;
        }
        inv.chain = chain;
        if let crate::domain::Event::SeatHeld { expires_tick, .. } = &env.0.event
            && let Some(booking) = store.stream_of(seq).and_then(|no| holds.aggregates.by_stream(no))
        {
            let deadline = expires_tick + super::config::ticks(HOLD_LEAK_GRACE_MS);
            inv.hold_deadlines.insert((deadline, *expires_tick, booking));
        }
    }
    leaked_holds(&mut inv, &holds, now);
    if let Some((agg, v)) = store.duplicate_keys.first() {
        let detail = format!("({agg}, v{v}) appended twice: two holders for one seat");
        inv.violate_at(NO_DOUBLE_BOOKING, now, detail, Some(Culprit::Aggregate(agg.clone())));
    }
    for v in &vendors {
        for (flight, i) in &v.inventory {
            if i.available() < 0 {
                inv.violate(NO_DOUBLE_BOOKING, now, format!("{} inventory of {flight} is {}", v.id, i.available()));
            }
        }
    }
    for c in &consumers {
        if c.double_applies > 0 {
            let culprit = c.last_double_apply.and_then(|seq| {
                let env = store.row(seq).and_then(|e| events.get(e).ok())?;
                Some(Culprit::Event { seq, correlation: env.0.correlation_id, consumer: Some(c.id) })
            });
            let detail = format!("{} applied {} event(s) twice", c.id.name(), c.double_applies);
            inv.violate_at(EXACTLY_ONCE, now, detail, culprit);
        }
    }
    // GDPR: a projector that has caught up holds nothing an erasure in
    // the log covered.
    for (pv, c) in &views {
        if c.lag(store.head_seq()) == 0
            && c.buffered == 0
            && pv.replay.is_none()
            && let Some(detail) = erased_pii_finding(&pv.view, pv.projection, &store)
        {
            let culprit = Culprit::Consumer(super::protocol::ConsumerId::Projector(pv.projection));
            inv.violate_at(GDPR, now, detail, Some(culprit));
        }
    }
    for s in &sagas {
        if let Some(reason) = &s.revoked
            && matches!(s.state, SagaState::Compensating | SagaState::Compensated)
        {
            let culprit = Culprit::Saga { id: s.id, correlation: s.correlation };
            let legs: Vec<String> = s.legs.iter().map(|l| l.aggregate.to_string()).collect();
            let detail = format!("saga #{} ({}) gave up a confirmed hold: {reason}", s.id, legs.join(", "));
            inv.violate_at(HOLD_KEPT, now, detail, Some(culprit));
        }
        if matches!(s.state, SagaState::Aborted | SagaState::Stuck) {
            let last = s.log.last().map(|l| format!("{} {}: {}", l.step, l.outcome, l.detail)).unwrap_or_default();
            let culprit = Culprit::Saga { id: s.id, correlation: s.correlation };
            inv.violate_at(SAGAS_SETTLE, now, format!("saga #{} {} at {last}", s.id, s.state.name()), Some(culprit));
        }
    }
}

/// The bookings, to look up a hold's state by its entity.
#[derive(bevy::ecs::system::SystemParam)]
struct HeldSeats<'w, 's> {
    aggregates: Res<'w, super::store::Aggregates>,
    rows: Query<'w, 's, &'static AggregateRow>,
}

/// A hold still open well past its expiry has leaked (its expiry never
/// landed): a safety failure at once, not only when the run drains.
fn leaked_holds(inv: &mut Invariants, holds: &HeldSeats, now: Tick) {
    while let Some(&(deadline, expires_tick, booking)) = inv.hold_deadlines.first() {
        if deadline > now {
            break;
        }
        inv.hold_deadlines.pop_first();
        let Ok(row) = holds.rows.get(booking) else { continue };
        let b = &row.0;
        // The same hold, still open (a later hold has its own deadline).
        if b.status.is_hold() && b.expires_tick == expires_tick {
            let past_s = (now - expires_tick) * crate::domain::TICK_MS / 1000;
            let detail = format!("{} still {} {past_s} s past its hold's expiry: a leaked hold", b.id, b.status.name());
            inv.violate_at(TIMERS, now, detail, Some(Culprit::Aggregate(b.id.clone())));
        }
    }
}

/// Whether nothing is left to happen: no command, query, message, call,
/// saga, populator or business timer pending, and no load generator on.
pub fn quiescent(world: &mut World) -> bool {
    // Cheap resource checks first: during a run something is almost always
    // pending, and they answer without building a query.
    if !world.resource::<Inbox>().pending.is_empty()
        || !world.resource::<Scheduled>().at.is_empty()
        || world.resource::<Knobs>().burst.is_some()
        || world.resource::<Bus>().in_flight_total() > 0
        || world.resource::<super::saga::Sagas>().active() > 0
        || world.resource::<super::vendors::Vendors>().pending > 0
        || !world.resource::<super::query_api::Redis>().populators.is_empty()
        || world.resource::<super::timers::TimerWheel>().asks() > 0
    {
        return false;
    }
    pending_work(world).is_none()
}

/// The first thing still pending, in words (None when quiescent).
pub fn pending_work(world: &mut World) -> Option<String> {
    if !world.resource::<Inbox>().pending.is_empty() || !world.resource::<Scheduled>().at.is_empty() {
        return Some("requests waiting to be sent".into());
    }
    if world.resource::<Knobs>().burst.is_some() {
        return Some("a burst is running".into());
    }
    let depth = world.resource::<Bus>().in_flight_total();
    if depth > 0 {
        return Some(format!("{depth} message(s) on the bus"));
    }
    let mut q = world.query::<&Saga>();
    if let Some(s) = q.iter(world).filter(|s| !s.state.is_terminal()).min_by_key(|s| s.id) {
        return Some(format!("saga #{} {} at {}", s.id, s.state.name(), s.current()));
    }
    let pending = world.resource::<super::vendors::Vendors>().pending;
    if pending > 0 {
        return Some(format!("{pending} vendor call(s)"));
    }
    if !world.resource::<super::query_api::Redis>().populators.is_empty() {
        return Some("a cache populator".into());
    }
    let mut q = world.query::<&super::command_intake::CommandInFlight>();
    if q.iter(world).next().is_some() {
        return Some("a command in flight".into());
    }
    let mut q = world.query::<&super::query_api::QueryInFlight>();
    if let Some(qf) = q.iter(world).next() {
        return Some(format!("query {} in flight ({})", qf.id, qf.query.key()));
    }
    let n = world.resource::<EventStore>().outbox_pending();
    if n > 0 {
        return Some(format!("{n} outbox row(s)"));
    }
    let mut q = world.query::<(&Consumer, Option<&ProjectorView>)>();
    if let Some((c, _)) = q.iter(world).find(|(c, pv)| c.buffered > 0 || pv.is_some_and(|p| p.replay.is_some())) {
        return Some(format!("{} buffering or replaying", c.id.name()));
    }
    // Through the wheel: a fired timer's entity stays, pooled, until reused.
    let wheel = world.resource::<super::timers::TimerWheel>();
    if wheel.asks() == 0 {
        return None;
    }
    let first = wheel
        .pending()
        .filter_map(|e| world.get::<super::timers::Timer>(e))
        .find(|t| !matches!(t.kind, super::timers::TimerKind::CacheTtl { .. }));
    if let Some(t) = first {
        return Some(format!("timer {:?} due at t{}", t.kind, t.fire_tick));
    }
    None
}

/// The whole-history checks. Call when [`quiescent`].
pub fn check_at_drain(world: &mut World) {
    let now = world.resource::<SimClock>().tick;
    let found = drain_findings(world);
    let mut inv = world.resource_mut::<Invariants>();
    for (name, detail, culprit) in found {
        inv.violate_at(name, now, detail, culprit);
    }
    for s in inv.status.values_mut() {
        s.checked_at_drain = true;
    }
}

/// A drain-time finding: the invariant, what was seen, what it is about.
type Finding = (&'static str, String, Option<Culprit>);

fn drain_findings(world: &mut World) -> Vec<Finding> {
    let mut events_q = world.query::<&StoredEvent>();
    let mut consumers_q = world.query::<(&Consumer, Option<&ProjectorView>)>();
    let mut sagas_q = world.query::<&Saga>();
    let mut rows_q = world.query::<&AggregateRow>();
    let mut vendors_q = world.query::<&Vendor>();
    let mut views_q = world.query::<&ProjectorView>();
    let mut entries_q = world.query::<&CacheEntry>();
    let world: &World = world;
    let mut found: Vec<Finding> = vec![];
    let head = world.resource::<EventStore>().head_seq();
    let rows: Vec<Entity> = world.resource::<EventStore>().rows().to_vec();
    let envs: Vec<&EventEnvelope> = rows.iter().filter_map(|e| events_q.get(world, *e).ok()).map(|r| &*r.0).collect();
    chain_findings(&envs, head, &mut found);
    let store = world.resource::<EventStore>();
    for (c, pv) in consumers_q.iter(world) {
        consumer_findings(c, pv, Delivered { envs: &envs, head, store }, &mut found);
    }
    saga_findings(sagas_q.iter(world), &mut found);
    let bookings: BTreeMap<_, _> = rows_q.iter(world).map(|r| (r.0.id.clone(), r.0.clone())).collect();
    let vendors: Vec<&Vendor> = vendors_q.iter(world).collect();
    vendor_findings(&vendors, &bookings, &mut found);
    issued_findings(&vendors, &bookings, &mut found);
    let now = world.resource::<SimClock>().tick;
    timer_findings(entries_q.iter(world), now, &mut found);
    money_findings(views_q.iter(world), &bookings, &mut found);
    found
}

/// The chain, verified from the first row, and every row readable.
fn chain_findings(envs: &[&EventEnvelope], head: u64, found: &mut Vec<Finding>) {
    let mut chain = HashChain::default();
    for env in envs {
        if let Err(e) = chain.push(env) {
            let culprit = Culprit::Event { seq: env.seq, correlation: env.correlation_id, consumer: None };
            found.push((CHAIN, e, Some(culprit)));
            break;
        }
    }
    if envs.len() as u64 != head {
        found.push((CHAIN, format!("{} rows readable of {head}", envs.len()), None));
    }
}

/// What every consumer should have got: the store's events up to `head`
/// (and the store, for its index of the erasures among them).
#[derive(Clone, Copy)]
struct Delivered<'a> {
    envs: &'a [&'a EventEnvelope],
    head: u64,
    store: &'a EventStore,
}

/// Delivery (every event applied once, none left buffered) and, for a
/// projector, its view against its rebuild from seq 0 and against GDPR.
fn consumer_findings(c: &Consumer, pv: Option<&ProjectorView>, all: Delivered, found: &mut Vec<Finding>) {
    let Delivered { envs, head, store } = all;
    let culprit = Some(Culprit::Consumer(c.id));
    if c.applied() != head {
        found.push((
            EXACTLY_ONCE,
            format!("{} applied {} of {head} events", c.id.name(), c.applied()),
            culprit.clone(),
        ));
    }
    if c.buffered > 0 {
        found.push((EXACTLY_ONCE, format!("{} still buffers {} event(s)", c.id.name(), c.buffered), culprit.clone()));
    }
    let Some(pv) = pv else { return };
    // The rebuild is a fold of the log and nothing else.
    let mut rebuilt: View = pv.view.emptied();
    for env in envs {
        rebuilt.apply(env);
    }
    if rebuilt.hash() != pv.view.hash() {
        let detail = format!("{} differs from its rebuild from seq 0", pv.projection.name());
        found.push((REBUILD_EQUAL, detail, culprit.clone()));
    }
    if let Some(detail) = erased_pii_finding(&pv.view, pv.projection, store) {
        found.push((GDPR, detail, culprit.clone()));
    }
}

/// The first erasure in the log whose personal data `view` still holds.
fn erased_pii_finding(view: &View, projection: Projection, store: &EventStore) -> Option<String> {
    let (customer, aggregate, version) = store.erasures().find(|(c, a, v)| view.holds_erased_pii(c, a, *v))?;
    Some(format!(
        "{} holds {customer}'s personal data on {aggregate} from before her tombstone (v{version})",
        projection.name()
    ))
}

/// Every saga ended completed or fully compensated.
fn saga_findings<'a>(sagas: impl Iterator<Item = &'a Saga>, found: &mut Vec<Finding>) {
    for s in sagas {
        if !matches!(s.state, SagaState::Completed | SagaState::Compensated) {
            let culprit = Culprit::Saga { id: s.id, correlation: s.correlation };
            let detail = format!("saga #{} ended {} at {}", s.id, s.state.name(), s.current());
            found.push((SAGAS_SETTLE, detail, Some(culprit)));
        }
    }
}

/// Each vendor's seats against the bookings: a hold only on a held
/// booking (none leaks), a sale only of an issued one, never both.
fn vendor_findings(vendors: &[&Vendor], bookings: &BTreeMap<AggregateId, Booking>, found: &mut Vec<Finding>) {
    for v in vendors {
        for (flight, inv) in &v.inventory {
            for seat in inv.held.keys() {
                let id = AggregateId::seat(flight, seat);
                let status = bookings.get(&id).map(|b| b.status);
                if !status.is_some_and(Status::is_hold) {
                    let detail = format!("{} still holds {id} (booking is {:?})", v.id, status.map(Status::name));
                    found.push((SAGAS_SETTLE, detail, Some(Culprit::Aggregate(id))));
                }
            }
            for seat in inv.sold.keys() {
                let id = AggregateId::seat(flight, seat);
                let status = bookings.get(&id).map(|b| b.status);
                if status != Some(Status::Issued) {
                    let detail = format!("{} sold {id} but the booking is {:?}", v.id, status.map(Status::name));
                    found.push((NO_DOUBLE_BOOKING, detail, Some(Culprit::Aggregate(id.clone()))));
                }
                if inv.held.contains_key(seat) {
                    let detail = format!("{} has {id} both held and sold", v.id);
                    found.push((NO_DOUBLE_BOOKING, detail, Some(Culprit::Aggregate(id))));
                }
            }
        }
    }
}

/// Every issued booking was sold by a vendor.
fn issued_findings(vendors: &[&Vendor], bookings: &BTreeMap<AggregateId, Booking>, found: &mut Vec<Finding>) {
    for b in bookings.values() {
        if b.status == Status::Issued {
            let sold =
                vendors.iter().any(|v| v.inventory.get(&b.flight()).is_some_and(|i| i.sold.contains_key(&b.seat())));
            if !sold {
                let detail = format!("{} is issued but no vendor sold it", b.id);
                found.push((NO_DOUBLE_BOOKING, detail, Some(Culprit::Aggregate(b.id.clone()))));
            }
        }
    }
}

/// Timers: no cache entry outlives its TTL (one being filled waits for
/// its populator, which sets a new TTL).
fn timer_findings<'a>(entries: impl Iterator<Item = &'a CacheEntry>, now: Tick, found: &mut Vec<Finding>) {
    let mut stale: Vec<&CacheEntry> = vec![];
    for e in entries {
        if !e.populating && e.expires_tick < now {
            stale.push(e);
        }
    }
    if let Some(e) = stale.iter().min_by(|a, b| a.key.cmp(&b.key)) {
        let detail = format!("cache entry {} outlived its TTL (expired at t{}, now t{now})", e.key, e.expires_tick);
        found.push((TIMERS, detail, None));
    }
}

/// Money: what was captured and not refunded is the price of the issued
/// tickets, and the Revenue projection nets the same.
fn money_findings<'a>(
    views: impl Iterator<Item = &'a ProjectorView>,
    bookings: &BTreeMap<AggregateId, Booking>,
    found: &mut Vec<Finding>,
) {
    let net: i64 = bookings.values().map(|b| b.captured_cents as i64 - b.refunded_cents as i64).sum();
    let issued: i64 = bookings.values().filter(|b| b.status == Status::Issued).map(|b| b.price_cents as i64).sum();
    if net != issued {
        found.push((MONEY, format!("captured - refunded = {net} cents, issued tickets = {issued} cents"), None));
    }
    for pv in views {
        if let View::Revenue(r) = &pv.view
            && r.net_cents() != net
        {
            let culprit = Some(Culprit::Consumer(super::protocol::ConsumerId::Projector(pv.projection)));
            found.push((MONEY, format!("Revenue projection nets {} cents, the store {net}", r.net_cents()), culprit));
        }
    }
}
