//! The Command API ("Rails command side"): validate, load the aggregate by
//! folding its events, decide with the pure domain, append with the
//! expected version. A command crosses two ticks: load + decide when it
//! arrives, commit one DB round-trip later; two commands that loaded the
//! same version race, and the unique key lets exactly one win (`conflict`
//! for the other). It also closes commands in the log (`command_intake`) and does the Redis
//! write-through for read-your-own-writes.
//!
//! It must not read projections to decide anything: the write side's truth
//! is the event store alone.

use super::command_intake::{
    CommandInFlight, CommandLog, CommandRequest, CustomerCommand, Outgoing, SeatRef, Stage, Write, done, submit,
};
use super::config::{Catalog, WorldConfig, ticks};
use super::keys::KeyStore;
use super::knobs::Mechanisms;
use super::protocol::SimSet;
use super::protocol::{Origin, Outcome};
use super::query_api::CacheWrites;
use super::query_api::{self, BookingSummary};
use super::runtime::{Customers, IdGen, SimClock, SimSetup};
use super::runtime::{ResetOrder, add_reset};
use super::saga::{self, Leg};
use super::signals::{Signals, SimSignal};
use super::store::{AggregateRow, Aggregates, CustomerStreams, EventStore, NewEvent, OutboxRow};
use super::timers::{self, TimerKind, TimerWheel};
use crate::domain::{
    self, AggregateId, Command, CustomerId, Event, EventEnvelope, FlightId, SealedPassenger, SeatNo, Tick,
};
use bevy::ecs::system::SystemParam;
use bevy::prelude::*;

pub(super) fn plugin(app: &mut App) {
    add_reset(app, ResetOrder::Commands, reset);
    app.add_systems(FixedUpdate, (commit, decide, query_api::apply_cache_writes).chain().in_set(SimSet::Commands));
}

fn reset(world: &mut World, cfg: &WorldConfig) {
    world.insert_resource(CommandLog::default());
    world.insert_resource(Catalog::new(cfg));
}

/// The system params of [`commit`]: what committing decided writes reads and writes.
#[derive(SystemParam)]
struct CommitParams<'w, 's> {
    commands: Commands<'w, 's>,
    inflight: Query<'w, 's, (Entity, &'static mut CommandInFlight)>,
    store: ResMut<'w, EventStore>,
    outbox_rows: Query<'w, 's, &'static mut OutboxRow>,
    rows: Query<'w, 's, &'static mut AggregateRow>,
    aggregates: ResMut<'w, Aggregates>,
    log: ResMut<'w, CommandLog>,
    ids: ResMut<'w, IdGen>,
    mechanisms: Res<'w, Mechanisms>,
    clock: Res<'w, SimClock>,
    signals: Signals<'w>,
    effects: AppendEffects<'w, 's>,
}

/// What an appended event changes besides its stream and its snapshot
/// row: a hold's expiry timer and the customer's streams, an erasure, the
/// Redis write-through.
#[derive(SystemParam)]
struct AppendEffects<'w, 's> {
    timers: Query<'w, 's, &'static mut timers::Timer>,
    customer_streams: ResMut<'w, CustomerStreams>,
    keys: ResMut<'w, KeyStore>,
    wheel: ResMut<'w, TimerWheel>,
    cache: ResMut<'w, CacheWrites>,
}

impl AppendEffects<'_, '_> {
    /// `env` was just appended; `row` is its booking as it now stands (when
    /// the stream has a snapshot row), upserted into the customer's cached
    /// bookings when `write_through` is on.
    fn after_append(
        &mut self,
        commands: &mut Commands,
        env: &EventEnvelope,
        row: Option<&AggregateRow>,
        write_through: bool,
    ) {
        let customer = env.event.customer().clone();
        let aggregate = &env.aggregate_id;
        match &env.event {
            Event::SeatHeld { expires_tick, .. } => {
                self.customer_streams.by_customer.entry(customer.clone()).or_default().get_or_default(aggregate);
                timers::schedule(
                    commands,
                    &mut self.wheel,
                    &mut self.timers,
                    *expires_tick,
                    TimerKind::HoldExpiry { aggregate: aggregate.clone(), correlation: env.correlation_id },
                );
            }
            Event::GdprTombstone { .. } => {
                // Crypto-shredding, in the tombstone's commit: her key goes,
                // and every sealed copy of her data with it.
                self.keys.shred(&customer);
                self.cache.evictions.push(query_api::CustomerQuery::MyBookings { customer: customer.clone() }.key());
                self.cache.erased.push(customer.clone());
            }
            _ => {}
        }
        // Her erased booking stays out of the cache: only a new hold of
        // hers on the stream (which takes her off `tombstoned`) is shown.
        if write_through
            && let Some(row) = row
            && !row.0.tombstoned.contains(&customer)
        {
            self.cache.upserts.push((customer, BookingSummary::of(&row.0)));
        }
    }
}

/// Commit stage: INSERT the decided events; a version someone else took
/// meanwhile is a unique-key violation → `conflict`.
fn commit(mut params: CommitParams) {
    let now = params.clock.tick;
    for (id, entity) in params.log.committing.take_due(now) {
        let Ok((_, mut cmd)) = params.inflight.get_mut(entity) else {
            debug_assert!(false, "command {id} due to commit has no entity");
            continue;
        };
        let Stage::Committing { writes, .. } = std::mem::replace(&mut cmd.stage, Stage::Travelling { arrive_tick: 0 })
        else {
            continue;
        };
        let correlation = cmd.correlation;
        params.commands.entity(entity).despawn();
        let clash = writes.iter().find(|w| current_version(&params.store, w) != w.expected_version);
        if let Some(w) = clash
            && params.mechanisms.optimistic_concurrency
        {
            let reason = format!(
                "unique key ({}, v{}) taken: expected v{}, stream is at v{}",
                w.aggregate,
                w.expected_version + 1,
                w.expected_version,
                current_version(&params.store, w)
            );
            // A timer is no customer to tell: like a real scheduler's job it
            // re-reads the stream and decides again (an expiry that lost
            // the race to another write on the seat must still land). An
            // erasure is such a job too: the law wants it done, and a write
            // that raced it on one of her streams is no reason to give up.
            // It goes again under the same label, so the label's outcome is
            // the erasure's.
            let record = params.log.get(id);
            let erasure = matches!(cmd.request, CommandRequest::Customer(CustomerCommand::GdprDelete { .. }));
            let retry = record.filter(|r| r.origin == Origin::Timer || erasure).map(|r| Retry {
                request: cmd.request.clone(),
                origin: r.origin,
                label: r.label.clone(),
            });
            refuse_conflict(&mut params, id, correlation, reason, retry);
            continue;
        }
        let mut seqs = vec![];
        let first_version = writes.first().map(|w| w.expected_version + 1);
        for w in writes {
            append_write(&mut params, id, correlation, w, &mut seqs);
        }
        params.log.close_at(id, now, Outcome::Ok, None, seqs, first_version);
        params.signals.send(done(&params.log, id, correlation, Outcome::Ok));
    }
}

/// A command that lost the race and goes again, decided anew.
struct Retry {
    request: CommandRequest,
    origin: Origin,
    label: Option<String>,
}

/// Command `id` lost the race: answer `conflict`, and send a job's command
/// (`retry`: a timer's, an erasure) again.
fn refuse_conflict(params: &mut CommitParams, id: u64, correlation: u64, reason: String, retry: Option<Retry>) {
    let now = params.clock.tick;
    params.log.close(id, now, Outcome::Conflict, Some(reason), vec![]);
    params.signals.send(done(&params.log, id, correlation, Outcome::Conflict));
    if let Some(Retry { request, origin, label }) = retry {
        submit(
            &mut params.commands,
            &mut params.log,
            &mut params.ids,
            Outgoing { now, delay_ticks: 0, request, origin, correlation: Some(correlation), label },
        );
    }
}

/// Appends write `w` of command `id`, event by event (their seqs go to
/// `seqs`), keeping the stream's snapshot row up to date.
fn append_write(params: &mut CommitParams, id: u64, correlation: u64, w: Write, seqs: &mut Vec<u64>) {
    let now = params.clock.tick;
    // The snapshot row: by stream number once the stream has one;
    // on a stream's first write, by id, linked to its new number.
    let linked = w.stream.and_then(|n| params.aggregates.by_stream(n));
    let entity = linked.or_else(|| params.aggregates.by_id.get(&w.aggregate).copied());
    let mut snapshot = entity.and_then(|e| params.rows.get_mut(e).ok());
    for (i, event) in w.events.into_iter().enumerate() {
        let version = w.expected_version + 1 + i as u32;
        let env = params.store.append(
            &mut params.commands,
            &mut params.outbox_rows,
            NewEvent {
                aggregate_id: w.aggregate.clone(),
                version,
                tick: now,
                causation_id: id,
                correlation_id: correlation,
                event,
            },
        );
        seqs.push(env.seq);
        if linked.is_none()
            && let Some((e, no)) = entity.zip(params.store.stream_of(env.seq))
        {
            params.aggregates.link(no, e);
        }
        params.signals.send(SimSignal::EventAppended {
            seq: env.seq,
            kind: env.kind(),
            version: env.version,
            correlation,
        });
        if let Some(row) = snapshot.as_mut() {
            let state = std::mem::replace(&mut row.0, domain::Booking::new(w.aggregate.clone()));
            row.0 = domain::booking_apply(state, &env.event);
        }
        let write_through = params.mechanisms.write_through;
        params.effects.after_append(&mut params.commands, &env, snapshot.as_deref(), write_through);
    }
}

/// The version the stream is at now (by its number when the decide found one).
fn current_version(store: &EventStore, w: &Write) -> u32 {
    w.stream.map_or_else(|| store.version(&w.aggregate), |n| store.version_of(n))
}

/// The system params of [`decide`]: what deciding arrived commands reads and writes.
#[derive(SystemParam)]
struct DecideParams<'w, 's> {
    commands: Commands<'w, 's>,
    inflight: Query<'w, 's, (Entity, &'static mut CommandInFlight)>,
    store: Res<'w, EventStore>,
    catalog: Res<'w, Catalog>,
    customers: Res<'w, Customers>,
    customer_streams: Res<'w, CustomerStreams>,
    keys: ResMut<'w, KeyStore>,
    log: ResMut<'w, CommandLog>,
    ids: ResMut<'w, IdGen>,
    sagas: ResMut<'w, saga::Sagas>,
    setup: Res<'w, SimSetup>,
    clock: Res<'w, SimClock>,
    signals: Signals<'w>,
}

/// Decide stage: validate, load by fold, run the domain's `handle` (all in
/// [`decision`], pure), then apply what was decided.
fn decide(params: DecideParams) {
    let DecideParams {
        mut commands,
        mut inflight,
        store,
        catalog,
        customers,
        customer_streams,
        mut keys,
        mut log,
        mut ids,
        mut sagas,
        setup,
        clock,
        mut signals,
    } = params;
    let now = clock.tick;
    let timing = &setup.world.timing;
    // Load by fold: the stream's events, and its number.
    let load = |id: &AggregateId| {
        let no = store.stream_no(id);
        let stream = no.map_or(&[][..], |n| store.stream_events(n));
        (domain::fold(id.clone(), stream.iter().map(|env| &env.event)), no)
    };
    for (id, entity) in log.arriving.take_due(now) {
        // Spawned by a system before this one, with a sync point between
        // (the queue hands each command over once: a miss would lose it).
        let Ok((_, mut cmd)) = inflight.get_mut(entity) else {
            debug_assert!(false, "command {id} arrived without its entity");
            continue;
        };
        let correlation = cmd.correlation;
        if signals.on()
            && let Some(r) = log.records.get(&id)
        {
            signals.send(SimSignal::CommandSent { id, name: r.name, origin: r.origin, correlation });
        }
        // A command that seals her passenger needs her key first (a new
        // one if she was erased): the decision itself only reads keys.
        if let CommandRequest::Customer(
            CustomerCommand::HoldSeat { customer, .. } | CustomerCommand::BookItinerary { customer, .. },
        ) = &cmd.request
            && customers.contains(customer)
        {
            keys.ensure(customer);
        }
        let known = Known {
            catalog: &catalog,
            customers: &customers,
            customer_streams: &customer_streams,
            keys: &keys,
            command_id: id,
            now,
            hold_ttl_ticks: ticks(timing.hold_ttl_ms),
        };
        let (outcome, reason) = match decision(&known, &cmd.request, &load) {
            Decision::StartSaga { customer, legs } => {
                let s = saga::new_saga(&mut sagas, &mut ids, now, customer, legs, correlation, true);
                let saga_id = s.id;
                saga::spawn(&mut commands, &mut sagas, s);
                (Outcome::Ok, format!("saga #{saga_id} started"))
            }
            Decision::Write(writes) if writes.is_empty() => (Outcome::Ok, "nothing to do (idempotent)".into()),
            Decision::Write(writes) => {
                let commit_tick = now + ticks(timing.db_ms);
                cmd.stage = Stage::Committing { commit_tick, writes };
                log.committing.push(commit_tick, id, entity);
                continue;
            }
            Decision::Refuse(outcome, reason) => (outcome, reason),
        };
        log.close(id, now, outcome, Some(reason), vec![]);
        signals.send(done(&log, id, correlation, outcome));
        commands.entity(entity).despawn();
    }
}

/// What the decide stage knows besides the streams: the catalog, the
/// customers, each customer's streams (for an erasure), the clock.
struct Known<'a> {
    catalog: &'a Catalog,
    customers: &'a Customers,
    customer_streams: &'a CustomerStreams,
    /// Her key seals her passenger; the command's id is the nonce.
    keys: &'a KeyStore,
    command_id: u64,
    now: Tick,
    hold_ttl_ticks: Tick,
}

impl Known<'_> {
    /// `customer`'s passenger, sealed with her key for this command.
    fn sealed_passenger(&self, customer: &CustomerId) -> Result<SealedPassenger, (Outcome, String)> {
        let passenger = self.customers.passenger(customer).ok_or_else(|| unknown_customer(customer))?;
        self.keys
            .seal(customer, &passenger, self.command_id)
            .ok_or_else(|| (Outcome::Rejected, format!("no key to seal {customer}'s personal data")))
    }
}

/// What a command does, decided: data the decide stage applies.
#[derive(Clone, Debug, PartialEq)]
enum Decision {
    /// An itinerary: start its saga over these legs (answered `ok` at once).
    StartSaga { customer: CustomerId, legs: Vec<Leg> },
    /// Append these writes, each at its expected version (none: nothing to
    /// do, answered `ok`).
    Write(Vec<Write>),
    /// Answer with this outcome and reason, writing nothing.
    Refuse(Outcome, String),
}

/// The command decision, pure: `load` folds a stream (and gives its
/// number); nothing else is read, nothing is written.
fn decision(
    known: &Known,
    request: &CommandRequest,
    load: &dyn Fn(&AggregateId) -> (domain::Booking, Option<u32>),
) -> Decision {
    let decided = match request {
        CommandRequest::Customer(c) => customer_decision(known, c, load),
        CommandRequest::Internal { aggregate, command, fence } => {
            internal_decision(known, aggregate, command, *fence, load)
        }
    };
    match decided {
        Ok(d) => d,
        Err((outcome, reason)) => Decision::Refuse(outcome, reason),
    }
}

type Decided = Result<Decision, (Outcome, String)>;

fn customer_decision(
    known: &Known,
    c: &CustomerCommand,
    load: &dyn Fn(&AggregateId) -> (domain::Booking, Option<u32>),
) -> Decided {
    let (catalog, customers, now) = (known.catalog, known.customers, known.now);
    match c {
        CustomerCommand::BookItinerary { customer, legs } => {
            let passenger = known.sealed_passenger(customer)?;
            validate_itinerary(catalog, legs, passenger)
                .map(|legs| Decision::StartSaga { customer: customer.clone(), legs })
                .map_err(|reason| (Outcome::Rejected, reason))
        }
        CustomerCommand::GdprDelete { customer } => {
            if !customers.contains(customer) {
                return Err(unknown_customer(customer));
            }
            let streams = known.customer_streams.by_customer.get(customer);
            let mut writes = vec![];
            for agg in streams.into_iter().flat_map(|s| s.keys()).cloned() {
                let (state, stream) = load(&agg);
                if let Ok(events) = domain::handle(&state, &Command::Tombstone { customer: customer.clone() })
                    && !events.is_empty()
                {
                    writes.push(Write { aggregate: agg, stream, expected_version: state.version, events });
                }
            }
            Ok(Decision::Write(writes))
        }
        CustomerCommand::HoldSeat { customer, flight, seat, expected_version } => {
            let (agg, info) = decide_on_seat(catalog, customers, customer, flight, seat)?;
            let (state, stream) = load(&agg);
            if let Some(expected) = expected_version
                && *expected != state.version
            {
                return Err((
                    Outcome::Conflict,
                    format!("expected v{expected}, stream {agg} is at v{}", state.version),
                ));
            }
            // Known (`decide_on_seat` asked): made only now, for a hold
            // that goes on to the domain.
            let passenger = known.sealed_passenger(customer)?;
            let command = Command::HoldSeat {
                customer: customer.clone(),
                passenger,
                vendor: info.vendor.clone(),
                flight: flight.clone(),
                price_cents: info.price_cents,
                now,
                hold_ttl_ticks: known.hold_ttl_ticks,
            };
            run_domain(&state, &command, agg, stream)
        }
        CustomerCommand::Pay { customer, flight, seat }
        | CustomerCommand::AuthorizePayment { customer, flight, seat } => {
            let (agg, _) = decide_on_seat(catalog, customers, customer, flight, seat)?;
            let (state, stream) = load(&agg);
            let command = if matches!(c, CustomerCommand::Pay { .. }) {
                Command::Pay { customer: customer.clone(), now }
            } else {
                Command::AuthorizePayment { customer: customer.clone(), now }
            };
            run_domain(&state, &command, agg, stream)
        }
    }
}

/// A saga's or a timer's command on one stream, behind its hold fence.
fn internal_decision(
    known: &Known,
    aggregate: &AggregateId,
    command: &Command,
    fence: Option<u32>,
    load: &dyn Fn(&AggregateId) -> (domain::Booking, Option<u32>),
) -> Decided {
    let mut command = command.clone();
    match &mut command {
        Command::HoldSeat { now: n, .. }
        | Command::Pay { now: n, .. }
        | Command::AuthorizePayment { now: n, .. }
        | Command::ExpireHold { now: n } => *n = known.now,
        _ => {}
    }
    if known.catalog.seat(&aggregate.flight(), &aggregate.seat_no()).is_err() {
        return Err((Outcome::Rejected, format!("unknown booking {aggregate}")));
    }
    let (state, stream) = load(aggregate);
    match fence {
        Some(v) if v != state.hold_version => {
            let compensation = matches!(
                command,
                Command::ReleaseSeat { .. }
                    | Command::InitiateRefund
                    | Command::CompleteRefund
                    | Command::VoidTicket
                    | Command::FailIssue { .. }
            );
            if compensation {
                // The hold it undoes is over already: nothing to undo.
                Ok(Decision::Write(vec![]))
            } else {
                let reason = format!(
                    "the hold opened at v{v} is over (the seat's current hold began at v{})",
                    state.hold_version
                );
                Err((Outcome::Rejected, reason))
            }
        }
        _ => run_domain(&state, &command, aggregate.clone(), stream),
    }
}

fn run_domain(state: &domain::Booking, command: &Command, agg: AggregateId, stream: Option<u32>) -> Decided {
    match domain::handle(state, command) {
        Ok(events) if events.is_empty() => Ok(Decision::Write(vec![])),
        Ok(events) => {
            Ok(Decision::Write(vec![Write { aggregate: agg, stream, expected_version: state.version, events }]))
        }
        Err(e) => Err((Outcome::Rejected, e.to_string())),
    }
}

fn unknown_customer(customer: &CustomerId) -> (Outcome, String) {
    (Outcome::Rejected, format!("unknown customer {customer}"))
}

/// The seat's stream and its flight, for a customer who exists.
fn decide_on_seat<'c>(
    catalog: &'c Catalog,
    customers: &Customers,
    customer: &CustomerId,
    flight: &FlightId,
    seat: &SeatNo,
) -> Result<(AggregateId, &'c super::config::FlightInfo), (Outcome, String)> {
    if !customers.contains(customer) {
        return Err(unknown_customer(customer));
    }
    let info = catalog.seat(flight, seat).map_err(|r| (Outcome::Rejected, r))?;
    Ok((AggregateId::seat(flight, seat), info))
}

/// The itinerary's legs, each carrying her sealed passenger.
fn validate_itinerary(catalog: &Catalog, legs: &[SeatRef], passenger: SealedPassenger) -> Result<Vec<Leg>, String> {
    if legs.is_empty() {
        return Err("an itinerary needs at least one leg".into());
    }
    if legs.len() > saga::MAX_LEGS {
        return Err(format!("an itinerary has at most {} legs", saga::MAX_LEGS));
    }
    let mut out = vec![];
    for l in legs {
        let info = catalog.seat(&l.flight, &l.seat)?;
        let aggregate = AggregateId::seat(&l.flight, &l.seat);
        if out.iter().any(|o: &Leg| o.aggregate == aggregate) {
            return Err(format!("seat {aggregate} appears twice in the itinerary"));
        }
        out.push(Leg {
            aggregate,
            flight: l.flight.clone(),
            seat: l.seat.clone(),
            vendor: info.vendor.clone(),
            price_cents: info.price_cents,
            passenger: passenger.clone(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    //! The command decision, given / when / then, without an engine.
    use super::*;
    use std::collections::BTreeMap;

    struct Given {
        catalog: Catalog,
        customers: Customers,
        streams: CustomerStreams,
        keys: KeyStore,
        /// Each stream's events so far.
        events: BTreeMap<AggregateId, Vec<Event>>,
    }

    fn given() -> Given {
        let world = WorldConfig::default();
        Given {
            catalog: Catalog::new(&world),
            customers: Customers::new(world.customers.iter().map(|c| (c.id.clone(), c.passenger())).collect()),
            streams: CustomerStreams::default(),
            keys: KeyStore::with_keys_for(&world),
            events: BTreeMap::new(),
        }
    }

    impl Given {
        /// Ana holds `seat` on IB3166 at tick 1 (TTL 200 ticks).
        fn ana_holds(mut self, seat: &str) -> Self {
            let agg = AggregateId::seat(&"IB3166".into(), &seat.into());
            let (state, _) = self.load(&agg);
            let hold = Command::HoldSeat {
                customer: "ana".into(),
                passenger: self.keys.seal(&"ana".into(), &self.customers.passenger(&"ana".into()).unwrap(), 1).unwrap(),
                vendor: "V1".into(),
                flight: "IB3166".into(),
                price_cents: 100,
                now: 1,
                hold_ttl_ticks: 200,
            };
            self.events.entry(agg.clone()).or_default().extend(domain::handle(&state, &hold).unwrap());
            self.streams.by_customer.entry("ana".into()).or_default().get_or_default(&agg);
            self
        }

        fn load(&self, id: &AggregateId) -> (domain::Booking, Option<u32>) {
            let events = self.events.get(id).map_or(&[][..], |e| &e[..]);
            (domain::fold(id.clone(), events.iter()), self.events.get(id).map(|_| 0))
        }

        fn when(&self, now: Tick, request: CommandRequest) -> Decision {
            let known = Known {
                catalog: &self.catalog,
                customers: &self.customers,
                customer_streams: &self.streams,
                keys: &self.keys,
                command_id: 2,
                now,
                hold_ttl_ticks: 200,
            };
            decision(&known, &request, &|id| self.load(id))
        }
    }

    fn hold(customer: &str, seat: &str, expected_version: Option<u32>) -> CommandRequest {
        CommandRequest::Customer(CustomerCommand::HoldSeat {
            customer: customer.into(),
            flight: "IB3166".into(),
            seat: seat.into(),
            expected_version,
        })
    }

    fn kinds(d: &Decision) -> Vec<Vec<domain::EventKind>> {
        match d {
            Decision::Write(w) => w.iter().map(|w| w.events.iter().map(Event::kind).collect()).collect(),
            other => panic!("expected writes, got {other:?}"),
        }
    }

    #[test]
    fn a_free_seat_is_held_at_version_zero() {
        let d = given().when(5, hold("bob", "2A", None));
        assert_eq!(kinds(&d), vec![vec![domain::EventKind::SeatHeld]]);
        let Decision::Write(w) = d else { unreachable!() };
        assert_eq!(w[0].expected_version, 0);
    }

    #[test]
    fn a_held_seat_refuses_the_next_buyer_and_a_stale_expected_version_conflicts() {
        let g = given().ana_holds("2A");
        assert!(
            matches!(g.when(5, hold("bob", "2A", None)), Decision::Refuse(Outcome::Rejected, ref r) if r.contains("held"))
        );
        let stale = g.when(5, hold("bob", "2A", Some(0)));
        assert!(matches!(stale, Decision::Refuse(Outcome::Conflict, ref r) if r.contains("expected v0")), "{stale:?}");
    }

    #[test]
    fn a_timer_expires_a_hold_only_once_it_is_due() {
        let g = given().ana_holds("2A");
        let expire = |_: ()| CommandRequest::Internal {
            aggregate: AggregateId::seat(&"IB3166".into(), &"2A".into()),
            command: Command::ExpireHold { now: 0 },
            fence: None,
        };
        assert_eq!(g.when(100, expire(())), Decision::Write(vec![]), "not due: nothing to do");
        assert_eq!(kinds(&g.when(201, expire(()))), vec![vec![domain::EventKind::SeatHoldExpired]]);
    }

    #[test]
    fn behind_an_old_fence_a_compensation_is_a_no_op_and_a_forward_step_is_rejected() {
        let g = given().ana_holds("2A");
        let fenced = |command| CommandRequest::Internal {
            aggregate: AggregateId::seat(&"IB3166".into(), &"2A".into()),
            command,
            fence: Some(7),
        };
        let release = fenced(Command::ReleaseSeat { reason: "undo".into() });
        assert_eq!(g.when(5, release), Decision::Write(vec![]));
        let pay = g.when(5, fenced(Command::Pay { customer: "ana".into(), now: 0 }));
        assert!(matches!(pay, Decision::Refuse(Outcome::Rejected, ref r) if r.contains("v7 is over")), "{pay:?}");
    }

    #[test]
    fn an_erasure_tombstones_every_stream_of_the_customer_and_an_itinerary_starts_a_saga() {
        let g = given().ana_holds("2A").ana_holds("2B");
        let forget = g.when(5, CommandRequest::Customer(CustomerCommand::GdprDelete { customer: "ana".into() }));
        assert_eq!(kinds(&forget), vec![vec![domain::EventKind::GdprTombstone]; 2]);
        let legs = vec![SeatRef { flight: "IB3166".into(), seat: "3A".into() }];
        let trip = g.when(5, CommandRequest::Customer(CustomerCommand::BookItinerary { customer: "bob".into(), legs }));
        assert!(matches!(trip, Decision::StartSaga { ref legs, .. } if legs.len() == 1), "{trip:?}");
        let twice = vec![SeatRef { flight: "IB3166".into(), seat: "3A".into() }; 2];
        let bad =
            g.when(5, CommandRequest::Customer(CustomerCommand::BookItinerary { customer: "bob".into(), legs: twice }));
        assert!(matches!(bad, Decision::Refuse(Outcome::Rejected, ref r) if r.contains("twice")), "{bad:?}");
        let nobody = g.when(5, hold("zed", "2C", None));
        assert!(matches!(nobody, Decision::Refuse(Outcome::Rejected, ref r) if r.contains("unknown customer")));
    }
}
