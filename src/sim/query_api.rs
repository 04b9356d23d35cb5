//! The Query API ("Rails query side") and Redis: searches, seats-left and
//! "My bookings" are served from Redis first and the Read DB (or the
//! vendors, for searches) second.
//!
//! Single-flight: concurrent misses on one key share one populator (the
//! first miss sets `populating`, the rest wait on it). Write-through: the
//! command side upserts the just-booked customer's row into their
//! `bookings:` entry; an entry that holds only such rows (an *overlay*)
//! still goes to the Read DB once, merging by version, so the customer sees
//! their own write even while CustomerBookings lags.
//!
//! Reads only: nothing here writes the event store or a projection.

use super::config::WorldConfig;
use super::config::ticks;
use super::knobs::{Knobs, Mechanisms};
use super::runtime::{IdGen, SimClock, SimEntity, SimSetup};
use super::runtime::{ResetOrder, add_reset};
use super::signals::{Signals, SimSignal};
use super::timers::{self, FiredTimers, Timer, TimerKind, TimerWheel};
use super::vendors::{self, Caller, Offer, Reply, VendorOp, VendorReplies, VendorRequest, Vendors};
use super::views::View;
use super::{projectors::ProjectorView, protocol::Projection};
use super::{protocol::SimSet, runtime::SimRng};
use crate::domain::{AggregateId, Booking, CustomerId, FlightId, Status, Tick};
use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

/// What a customer can ask the query side.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum CustomerQuery {
    /// Flights on a route, from every vendor (fan-out on a miss).
    Search { route: String },
    /// The customer's bookings (CustomerBookings on a miss).
    MyBookings { customer: CustomerId },
    /// Seats left on a flight (AvailableFlights on a miss).
    SeatsLeft { flight: FlightId },
}

impl CustomerQuery {
    /// The Redis key.
    pub fn key(&self) -> String {
        match self {
            CustomerQuery::Search { route } => format!("search:{route}"),
            CustomerQuery::MyBookings { customer } => format!("bookings:{customer}"),
            CustomerQuery::SeatsLeft { flight } => format!("seats:{flight}"),
        }
    }
}

/// A booking as the query side shows it (no personal data).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BookingSummary {
    aggregate: AggregateId,
    status: Status,
    pub version: u32,
    price_cents: u64,
}

impl BookingSummary {
    pub fn of(b: &Booking) -> Self {
        BookingSummary { aggregate: b.id.clone(), status: b.status, version: b.version, price_cents: b.price_cents }
    }
}

/// A cached (or served) value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum CacheValue {
    Offers(Vec<Offer>),
    Bookings(BTreeMap<AggregateId, BookingSummary>),
    SeatsLeft(u32),
}

/// A Redis entry.
#[derive(Component, Clone, Debug)]
pub struct CacheEntry {
    pub key: String,
    pub value: Option<CacheValue>,
    pub expires_tick: Tick,
    /// A populator is filling this key (single-flight lock).
    pub populating: bool,
    /// Holds only write-through rows; the Read DB part is not loaded yet.
    pub overlay: bool,
    /// The populator customers wait on.
    populator: Option<u64>,
    pub waiters: usize,
    pub hits: u64,
    pub misses: u64,
}

/// A query travelling to, or waiting in, the Query API.
#[derive(Component, Clone, Debug)]
pub struct QueryInFlight {
    pub id: u64,
    label: Option<String>,
    pub query: CustomerQuery,
    arrive_tick: Tick,
    waiting: bool,
    hit: bool,
}

/// A populator: one read of the Read DB, or one vendor fan-out.
#[derive(Component, Clone, Debug)]
struct Populator {
    id: u64,
    key: String,
    query: CustomerQuery,
    /// The query that started it: the chain its work belongs to.
    correlation: u64,
    /// Read DB populators finish at this tick; fan-outs when replies are in.
    ready_tick: Option<Tick>,
    pending_calls: usize,
    offers: Vec<Offer>,
    /// Query entities served when this populator finishes.
    waiters: Vec<Entity>,
}

/// Redis's index and counters.
#[derive(Resource, Debug, Default)]
pub struct Redis {
    pub entries: BTreeMap<String, Entity>,
    pub populators: BTreeMap<u64, Entity>,
    hits: u64,
    pub misses: u64,
    /// Populator runs started (what single-flight keeps at one per key).
    pub populator_calls: u64,
}

/// A served query.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryRecord {
    id: u64,
    label: Option<String>,
    key: String,
    /// What was asked (the key names it too, as text).
    pub query: CustomerQuery,
    pub sent_tick: Tick,
    served_tick: Tick,
    pub hit: bool,
    pub result: CacheValue,
}

/// Served queries: every labelled one, the latest few, exact totals.
#[derive(Resource, Debug, Default)]
pub struct QueryLog {
    pub by_label: BTreeMap<String, QueryRecord>,
    recent: VecDeque<QueryRecord>,
    pub served: u64,
    pub served_hit: u64,
    in_flight: u64,
}

/// Read-your-own-writes beyond the cache entry's life: each customer's
/// write-through rows that CustomerBookings has not applied yet. A cache
/// entry can expire (or be evicted while its populator reads a lagging
/// view) before the projection catches up; these rows are merged into
/// every "my bookings" the customer is served, by version, until the
/// projector has applied them (then the view has them). As a session's
/// "last written position" works in real read-your-writes schemes.
#[derive(Resource, Debug, Default)]
pub struct OwnWrites {
    by_customer: BTreeMap<CustomerId, BTreeMap<AggregateId, BookingSummary>>,
    /// (customer, aggregate, version) in commit order, to let go of.
    order: VecDeque<(CustomerId, AggregateId, u32)>,
}

impl OwnWrites {
    fn record(&mut self, customer: &CustomerId, row: &BookingSummary) {
        upsert(self.by_customer.entry(customer.clone()).or_default(), row.clone());
        self.order.push_back((customer.clone(), row.aggregate.clone(), row.version));
    }

    /// Merges the customer's not-yet-projected writes into `rows`.
    fn merge_into(&self, customer: &CustomerId, rows: &mut BTreeMap<AggregateId, BookingSummary>) {
        for row in self.by_customer.get(customer).into_iter().flat_map(|m| m.values()) {
            upsert(rows, row.clone());
        }
    }

    /// Rows still waiting for the projection (for tests and tooltips).
    pub fn pending(&self) -> usize {
        self.order.len()
    }

    fn forget(&mut self, customer: &CustomerId, aggregate: &AggregateId, version: u32) {
        if let Some(mine) = self.by_customer.get_mut(customer) {
            if mine.get(aggregate).is_some_and(|r| r.version == version) {
                mine.remove(aggregate);
            }
            if mine.is_empty() {
                self.by_customer.remove(customer);
            }
        }
    }

    fn erase(&mut self, customer: &CustomerId) {
        self.by_customer.remove(customer);
        self.order.retain(|(c, _, _)| c != customer);
    }
}

/// Keys to evict before the next gets (stampede: "the key just expired").
#[derive(Resource, Debug, Default)]
pub struct PendingEvictions(pub Vec<String>);

/// Most gets a single stampede request may create.
pub const MAX_STAMPEDE_GETS: u32 = 10_000;
const RECENT: usize = 200;

pub fn submit(
    commands: &mut Commands,
    ids: &mut IdGen,
    arrive_tick: Tick,
    query: CustomerQuery,
    label: Option<String>,
) -> u64 {
    let id = ids.next_id();
    commands.spawn((SimEntity, QueryInFlight { id, label, query, arrive_tick, waiting: false, hit: false }));
    id
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<PendingEvictions>();
    add_reset(app, ResetOrder::Queries, reset);
    app.add_systems(FixedUpdate, (evict, let_go_of_projected_writes, gets, populate).chain().in_set(SimSet::Queries));
}

fn reset(world: &mut World, _: &WorldConfig) {
    world.insert_resource(Redis::default());
    world.insert_resource(CacheWrites::default());
    world.insert_resource(QueryLog::default());
    world.insert_resource(PendingEvictions::default());
    world.insert_resource(OwnWrites::default());
}

/// Lets go of own writes CustomerBookings has applied durably (its
/// checkpoint has them: a crash cannot take them from the table), in
/// commit order (one not applied yet keeps those after it: they wait a
/// little longer). Let go as soon as the live table had them, a write
/// a crash then rolled back vanished from her next read.
fn let_go_of_projected_writes(
    mut own: ResMut<OwnWrites>,
    projectors: Query<&ProjectorView>,
    store: Res<super::store::EventStore>,
) {
    if own.order.is_empty() {
        return;
    }
    let Some(view) = projectors.iter().find(|v| v.projection == Projection::CustomerBookings) else {
        return;
    };
    while let Some((customer, aggregate, version)) = own.order.front().cloned() {
        if !view.durably_applied(store.stream_no(&aggregate), version) {
            break;
        }
        own.order.pop_front();
        own.forget(&customer, &aggregate, version);
    }
}

fn drop_entry(commands: &mut Commands, redis: &mut Redis, entries: &mut Query<&mut CacheEntry>, key: &str) {
    let Some(&e) = redis.entries.get(key) else { return };
    match entries.get_mut(e) {
        Ok(mut entry) if entry.populating => {
            entry.value = None;
            entry.overlay = false;
        }
        _ => {
            commands.entity(e).despawn();
            redis.entries.remove(key);
        }
    }
}

/// TTL expiries, stampede evictions and GDPR evictions.
fn evict(
    mut commands: Commands,
    mut redis: ResMut<Redis>,
    mut entries: Query<&mut CacheEntry>,
    mut fired: ResMut<FiredTimers>,
    mut pending: ResMut<PendingEvictions>,
) {
    for (key, expires) in std::mem::take(&mut fired.cache_expiries) {
        let due =
            redis.entries.get(&key).and_then(|e| entries.get(*e).ok()).is_some_and(|en| en.expires_tick == expires);
        if due {
            drop_entry(&mut commands, &mut redis, &mut entries, &key);
        }
    }
    for key in std::mem::take(&mut pending.0) {
        drop_entry(&mut commands, &mut redis, &mut entries, &key);
    }
}

/// The system params of [`apply_cache_writes`]: what the cache write-through reads and writes.
#[derive(SystemParam)]
pub(super) struct ApplyCacheWritesParams<'w, 's> {
    commands: Commands<'w, 's>,
    writes: ResMut<'w, CacheWrites>,
    redis: ResMut<'w, Redis>,
    entries: Query<'w, 's, &'static mut CacheEntry>,
    wheel: ResMut<'w, TimerWheel>,
    timers: Query<'w, 's, &'static mut Timer>,
    setup: Res<'w, SimSetup>,
    clock: Res<'w, SimClock>,
    own: ResMut<'w, OwnWrites>,
}

/// The command side's write-through upserts and GDPR evictions (runs in
/// the Commands set, right after the commits that asked for them).
pub(super) fn apply_cache_writes(params: ApplyCacheWritesParams) {
    let ApplyCacheWritesParams {
        mut commands,
        mut writes,
        mut redis,
        mut entries,
        mut wheel,
        mut timers,
        setup,
        clock,
        mut own,
    } = params;
    for key in std::mem::take(&mut writes.evictions) {
        drop_entry(&mut commands, &mut redis, &mut entries, &key);
    }
    let mut fresh: BTreeMap<String, CacheEntry> = BTreeMap::new();
    for (customer, row) in std::mem::take(&mut writes.upserts) {
        own.record(&customer, &row);
        let key = CustomerQuery::MyBookings { customer }.key();
        let existing = redis.entries.get(&key).copied();
        let mut local;
        let entry: &mut CacheEntry = match existing.and_then(|e| entries.get_mut(e).ok()) {
            Some(e) => {
                local = e;
                &mut local
            }
            None => fresh.entry(key.clone()).or_insert_with(|| CacheEntry {
                key: key.clone(),
                value: None,
                expires_tick: clock.tick + ticks(setup.world.timing.cache_ttl_ms),
                populating: false,
                overlay: true,
                populator: None,
                waiters: 0,
                hits: 0,
                misses: 0,
            }),
        };
        if entry.value.is_none() {
            entry.value = Some(CacheValue::Bookings(BTreeMap::new()));
            entry.overlay = true;
        }
        if let Some(CacheValue::Bookings(rows)) = entry.value.as_mut() {
            upsert(rows, row);
        }
    }
    for customer in std::mem::take(&mut writes.erased) {
        own.erase(&customer);
    }
    for (key, entry) in fresh {
        let expires = entry.expires_tick;
        let e = commands.spawn((SimEntity, entry)).id();
        redis.entries.insert(key.clone(), e);
        timers::schedule(
            &mut commands,
            &mut wheel,
            &mut timers,
            expires,
            TimerKind::CacheTtl { key, expires_tick: expires },
        );
    }
}

fn upsert(rows: &mut BTreeMap<AggregateId, BookingSummary>, row: BookingSummary) {
    match rows.get(&row.aggregate) {
        Some(old) if old.version > row.version => {}
        _ => {
            rows.insert(row.aggregate.clone(), row);
        }
    }
}

/// What serving a query touches.
#[derive(SystemParam)]
struct Serve<'w, 's> {
    commands: Commands<'w, 's>,
    log: ResMut<'w, QueryLog>,
    clock: Res<'w, SimClock>,
    signals: Signals<'w>,
}

impl Serve<'_, '_> {
    fn serve(&mut self, entity: Entity, q: &QueryInFlight, value: CacheValue) {
        let record = QueryRecord {
            id: q.id,
            label: q.label.clone(),
            key: q.query.key(),
            query: q.query.clone(),
            sent_tick: q.arrive_tick,
            served_tick: self.clock.tick,
            hit: q.hit,
            result: value,
        };
        self.log.served += 1;
        if q.hit {
            self.log.served_hit += 1;
        }
        if let Some(label) = &q.label {
            self.log.by_label.insert(label.clone(), record.clone());
        }
        self.log.recent.push_back(record);
        while self.log.recent.len() > RECENT {
            self.log.recent.pop_front();
        }
        self.signals.send(SimSignal::QueryServed { correlation: q.id });
        self.commands.entity(entity).despawn();
    }
}

/// The system params of [`gets`]: what serving Redis gets reads and writes.
#[derive(SystemParam)]
struct GetsParams<'w, 's> {
    serve: Serve<'w, 's>,
    queries: Query<'w, 's, (Entity, &'static mut QueryInFlight)>,
    entries: Query<'w, 's, &'static mut CacheEntry>,
    populators: Query<'w, 's, &'static mut Populator>,
    redis: ResMut<'w, Redis>,
    ids: ResMut<'w, IdGen>,
    vendors: ResMut<'w, Vendors>,
    rng: ResMut<'w, SimRng>,
    knobs: Res<'w, Knobs>,
    mech: Res<'w, Mechanisms>,
    setup: Res<'w, SimSetup>,
    own: Res<'w, OwnWrites>,
}

/// Gets: hits are served now; misses start (or join) a populator.
fn gets(mut params: GetsParams) {
    let now = params.serve.clock.tick;
    let mut arrived: Vec<(String, u64, Entity)> = params
        .queries
        .iter()
        .filter(|(_, q)| !q.waiting && q.arrive_tick <= now)
        .map(|(e, q)| (q.query.key(), q.id, e))
        .collect();
    params.serve.log.in_flight = params.queries.iter().count() as u64;
    arrived.sort_unstable();
    // Group by key: the entry (and a populator) created for the first miss
    // of a key this tick is the one the rest of the group joins.
    for group in arrived.chunk_by(|a, b| a.0 == b.0) {
        let key = group[0].0.clone();
        let existing = params.redis.entries.get(&key).copied();
        let mut gets = KeyGets { key, existing, new_entry: None, new_pops: vec![] };
        for (_, _, qe) in group {
            get(&mut params, &mut gets, *qe);
        }
        gets.spawn(&mut params);
    }
}

/// This tick's gets of one key: the entry and populators the first miss
/// creates (when Redis has none), spawned once the whole group is seen.
struct KeyGets {
    key: String,
    existing: Option<Entity>,
    new_entry: Option<CacheEntry>,
    new_pops: Vec<Populator>,
}

impl KeyGets {
    fn spawn(self, params: &mut GetsParams) {
        if let Some(entry) = self.new_entry {
            let e = params.serve.commands.spawn((SimEntity, entry)).id();
            params.redis.entries.insert(self.key, e);
        }
        for p in self.new_pops {
            let id = p.id;
            let e = params.serve.commands.spawn((SimEntity, p)).id();
            params.redis.populators.insert(id, e);
        }
    }
}

impl CacheEntry {
    /// An entry for `key` with nothing in it yet.
    fn empty(key: String) -> Self {
        CacheEntry {
            key,
            value: None,
            expires_tick: 0,
            populating: false,
            overlay: false,
            populator: None,
            waiters: 0,
            hits: 0,
            misses: 0,
        }
    }
}

/// One get (query entity `qe`): a hit is served now; a miss waits, on the
/// key's running populator (single-flight) or on one it starts.
fn get(params: &mut GetsParams, gets: &mut KeyGets, qe: Entity) {
    let GetsParams { serve, queries, entries, populators, redis, ids, mech, own, .. } = params;
    let Ok((_, mut q)) = queries.get_mut(qe) else { return };
    let mut entry_mut = gets.existing.and_then(|e| entries.get_mut(e).ok());
    let entry: &mut CacheEntry = match entry_mut.as_mut() {
        Some(e) => e,
        None => gets.new_entry.get_or_insert_with(|| CacheEntry::empty(gets.key.clone())),
    };
    let fresh = entry.expires_tick > serve.clock.tick && !entry.overlay && !entry.populating;
    if let (true, Some(mut value)) = (fresh, entry.value.clone()) {
        if let (CustomerQuery::MyBookings { customer }, CacheValue::Bookings(rows)) = (&q.query, &mut value) {
            own.merge_into(customer, rows);
        }
        entry.hits += 1;
        redis.hits += 1;
        q.hit = true;
        serve.signals.send(SimSignal::CacheGet { hit: true, correlation: q.id });
        let q = q.clone();
        serve.serve(qe, &q, value);
        return;
    }
    entry.misses += 1;
    redis.misses += 1;
    serve.signals.send(SimSignal::CacheGet { hit: false, correlation: q.id });
    q.waiting = true;
    entry.waiters += 1;
    // Single-flight: join the running populator of this key.
    if mech.single_flight && entry.populating {
        let pid = entry.populator;
        if let Some(p) = gets.new_pops.iter_mut().find(|p| Some(p.id) == pid) {
            p.waiters.push(qe);
            return;
        }
        if let Some(mut p) = pid.and_then(|id| redis.populators.get(&id)).and_then(|e| populators.get_mut(*e).ok()) {
            p.waiters.push(qe);
            return;
        }
    }
    let pid = ids.next_id();
    redis.populator_calls += 1;
    entry.populating = true;
    entry.populator = Some(pid);
    let p = Populator {
        id: pid,
        key: gets.key.clone(),
        query: q.query.clone(),
        correlation: q.id,
        ready_tick: None,
        pending_calls: 0,
        offers: vec![],
        waiters: vec![qe],
    };
    let p = start_populator(params, p);
    gets.new_pops.push(p);
}

/// Sets a new populator going: a search fans out to every vendor (ready
/// when all have replied); the other queries read the Read DB, ready one
/// round-trip later.
fn start_populator(params: &mut GetsParams, mut p: Populator) -> Populator {
    let GetsParams { serve, ids, vendors, rng, knobs, setup, .. } = params;
    let now = serve.clock.tick;
    match &p.query {
        CustomerQuery::Search { route } => {
            let vendor_ids: Vec<_> = vendors.by_id.keys().cloned().collect();
            for v in vendor_ids {
                vendors::call(
                    &mut serve.commands,
                    vendors,
                    ids,
                    rng,
                    knobs,
                    &mut serve.signals,
                    VendorRequest {
                        now,
                        vendor: &v,
                        op: VendorOp::Search { route: route.clone() },
                        caller: Caller::Populator { id: p.id },
                        correlation: p.correlation,
                    },
                );
                p.pending_calls += 1;
            }
            if p.pending_calls == 0 {
                p.ready_tick = Some(now);
            }
        }
        _ => p.ready_tick = Some(now + ticks(setup.world.timing.read_db_ms)),
    }
    p
}

/// The system params of [`populate`]: what the populators read and write.
#[derive(SystemParam)]
struct PopulateParams<'w, 's> {
    serve: Serve<'w, 's>,
    pops: Query<'w, 's, (Entity, &'static mut Populator)>,
    queries: Query<'w, 's, &'static QueryInFlight>,
    entries: Query<'w, 's, &'static mut CacheEntry>,
    views: Query<'w, 's, &'static ProjectorView>,
    replies: Res<'w, VendorReplies>,
    redis: ResMut<'w, Redis>,
    wheel: ResMut<'w, TimerWheel>,
    timers: Query<'w, 's, &'static mut Timer>,
    setup: Res<'w, SimSetup>,
    own: Res<'w, OwnWrites>,
}

/// Populators finish: fill the entry (merging write-through rows by
/// version), set its TTL, serve every waiter.
fn populate(mut params: PopulateParams) {
    count_search_replies(&mut params);
    let now = params.serve.clock.tick;
    let mut done: Vec<(u64, Entity)> =
        params.pops.iter().filter(|(_, p)| p.ready_tick.is_some_and(|t| t <= now)).map(|(e, p)| (p.id, e)).collect();
    done.sort_unstable();
    for (pid, pe) in done {
        finish_populator(&mut params, pid, pe);
    }
}

/// Vendors' search replies: their offers join their fan-out's, which is
/// ready once every vendor has replied.
fn count_search_replies(params: &mut PopulateParams) {
    let PopulateParams { serve, pops, replies, redis, .. } = params;
    let now = serve.clock.tick;
    for r in &replies.0 {
        let Caller::Populator { id } = r.caller else { continue };
        let Some(mut p) = redis.populators.get(&id).and_then(|e| pops.get_mut(*e).ok()).map(|(_, p)| p) else {
            continue;
        };
        serve.signals.send(SimSignal::SearchReplied {
            vendor: r.vendor.clone(),
            ok: r.result.is_ok(),
            correlation: r.correlation,
        });
        if let Ok(Reply::Offers(offers)) = &r.result {
            p.offers.extend(offers.iter().cloned());
        }
        p.pending_calls = p.pending_calls.saturating_sub(1);
        if p.pending_calls == 0 {
            p.ready_tick = Some(now);
        }
    }
}

/// Populator `pid` (entity `pe`) is done: its value fills the entry (if
/// the entry still waits for this populator), then goes to every waiter.
fn finish_populator(params: &mut PopulateParams, pid: u64, pe: Entity) {
    let PopulateParams { serve, pops, queries, entries, views, redis, wheel, timers, setup, own, .. } = params;
    let now = serve.clock.tick;
    let ttl = ticks(setup.world.timing.cache_ttl_ms);
    let Ok((_, p)) = pops.get(pe) else { return };
    let mut value = populated_value(views, own, p);
    if let Some(mut entry) = redis.entries.get(&p.key).and_then(|e| entries.get_mut(*e).ok()) {
        if let (CacheValue::Bookings(base), Some(CacheValue::Bookings(written))) = (&mut value, &entry.value) {
            for row in written.values() {
                upsert(base, row.clone());
            }
        }
        if entry.populator == Some(pid) {
            entry.value = Some(value.clone());
            entry.overlay = false;
            entry.populating = false;
            entry.populator = None;
            entry.waiters = 0;
            entry.expires_tick = now + ttl;
            timers::schedule(
                &mut serve.commands,
                wheel,
                timers,
                now + ttl,
                TimerKind::CacheTtl { key: p.key.clone(), expires_tick: now + ttl },
            );
        }
    }
    serve.signals.send(SimSignal::CachePopulated { correlation: p.correlation });
    let waiters = p.waiters.clone();
    for w in waiters {
        if let Ok(q) = queries.get(w) {
            let q = q.clone();
            serve.serve(w, &q, value.clone());
        }
    }
    serve.commands.entity(pe).despawn();
    redis.populators.remove(&pid);
}

/// What populator `p` found: its offers (by flight), the seats left on a
/// flight, or the customer's bookings with her own writes merged in.
fn populated_value(views: &Query<&ProjectorView>, own: &OwnWrites, p: &Populator) -> CacheValue {
    let view = |proj: Projection| views.iter().find(|v| v.projection == proj).map(ProjectorView::serving);
    match &p.query {
        CustomerQuery::Search { .. } => {
            let mut offers = p.offers.clone();
            offers.sort_by(|a, b| a.flight.cmp(&b.flight));
            CacheValue::Offers(offers)
        }
        CustomerQuery::SeatsLeft { flight } => CacheValue::SeatsLeft(match view(Projection::AvailableFlights) {
            Some(View::AvailableFlights(v)) => v.seats_left(flight),
            _ => 0,
        }),
        CustomerQuery::MyBookings { customer } => {
            let mut rows = BTreeMap::new();
            if let Some(View::CustomerBookings(v)) = view(Projection::CustomerBookings) {
                for (agg, r) in v.customer_rows(customer) {
                    if let Some(status) = r.status {
                        rows.insert(
                            agg.clone(),
                            BookingSummary {
                                aggregate: agg.clone(),
                                status,
                                version: r.status_version,
                                price_cents: r.price_cents,
                            },
                        );
                    }
                }
            }
            own.merge_into(customer, &mut rows);
            CacheValue::Bookings(rows)
        }
    }
}

/// Redis work the command side asks for after its commits (write-through
/// upserts and GDPR evictions), handed to the Query side's cache.
#[derive(Resource, Debug, Default)]
pub struct CacheWrites {
    pub upserts: Vec<(CustomerId, BookingSummary)>,
    pub evictions: Vec<String>,
    /// Customers tombstoned by these commits: their own writes are let go.
    pub erased: Vec<CustomerId>,
}
