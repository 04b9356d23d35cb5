//! Peer benchmark (`cargo bench --bench peer`): ours side by side with the
//! `cqrs-es` crate on the same booking workload, in one run (issue 8: "ours
//! ≥ 2× the `cqrs-es` peer on the same workload").
//!
//! Ours: N seats, each held then paid by its own customer, through the whole
//! engine (see [`ours`]); the saga issues the tickets.
//!
//! The peer: it measures command throughput, in events stored per second,
//! of `cqrs_es::CqrsFramework` on its in-memory event store (`MemStore`)
//! with five query processors whose in-memory views mirror our read models
//! (AvailableFlights, CustomerBookings, BookingDetail, VendorLedger,
//! Revenue). The workload is ours: for each of N seats, HoldSeat → Pay →
//! IssueTicket on that seat's own aggregate, one event per command
//! (SeatHeld, PaymentCaptured, TicketIssued), payloads shaped like ours.
//! Only the command loop is timed; building the commands, the views and the
//! checks that follow are not.
//!
//! `MemStore` (cqrs-es 0.5.0) `println!`s one line per load and one per
//! commit: 60 000 lines on stdout for N = 10 000, inside the timed loop.
//! That is the crate's store as shipped, so it is the headline figure; a
//! second figure uses `QuietMemStore`, the same store minus those two
//! `println!`s, so that the comparison is not won on terminal writes. Pipe
//! through `grep '^cqrs-es'` to see only the results.
//!
//! A bench binary (`harness = false`), not a test: nothing here asserts on
//! time. `BENCH_ONLY=ours` runs our side only (for profiling). The async
//! API is driven by `futures_lite::future::block_on`: cqrs-es needs tokio
//! only for `tokio::sync::Mutex` (in `EventSink`), which works without a
//! tokio runtime.

use async_trait::async_trait;
use cqrs_es::event_sink::EventSink;
use cqrs_es::mem_store::{MemStore, MemStoreAggregateContext};
use cqrs_es::{Aggregate, AggregateError, CqrsFramework, DomainEvent, EventEnvelope, EventStore, Query};
use cqrs_tickets::domain::{AggregateId, CustomerId, FlightId, HashChain, SeatNo};
use cqrs_tickets::sim::SimRequest;
use cqrs_tickets::sim::command_api::CustomerCommand;
use cqrs_tickets::sim::config::Catalog;
use cqrs_tickets::sim::projectors::ProjectorView;
use cqrs_tickets::sim::saga::Sagas;
use cqrs_tickets::sim::store::EventStore as OurStore;
use cqrs_tickets::sim::store::Forgotten;
use cqrs_tickets::sim::views::View;
use cqrs_tickets::sim::world::Customers;
use cqrs_tickets::testing::{Harness, big_world};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

fn head(h: &Harness) -> u64 {
    h.world().resource::<OurStore>().head_seq()
}

/// A cheap-to-clone id, as ours (an inline string up to 23 bytes,
/// `SmolStr`, serialised as a string).
type Id = smol_str::SmolStr;

const SEATS_PER_FLIGHT: usize = 200 * 6; // 200 rows, seats A–F, as the engine bench's flights
const PRICE_CENTS: u64 = 10_000;
const HOLD_TTL_TICKS: u64 = 6_000;
const VENDORS: [&str; 3] = ["V1", "V2", "V3"];

// ---------------------------------------------------------------------------
// The aggregate: one seat's booking stream.

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Passenger {
    pub name: smol_str::SmolStr,
    pub email: smol_str::SmolStr,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SeatCommand {
    /// The seat is named here: cqrs-es does not pass the aggregate id to
    /// `handle` (ours derives it from the stream id).
    HoldSeat {
        customer: Id,
        passenger: Passenger,
        vendor: Id,
        flight: Id,
        seat: Id,
        price_cents: u64,
        now: u64,
        hold_ttl_ticks: u64,
    },
    Pay {
        customer: Id,
        now: u64,
    },
    IssueTicket {
        pnr: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SeatEvent {
    SeatHeld {
        customer: Id,
        passenger: Passenger,
        vendor: Id,
        flight: Id,
        seat: Id,
        price_cents: u64,
        expires_tick: u64,
    },
    PaymentCaptured {
        customer: Id,
        amount_cents: u64,
    },
    TicketIssued {
        customer: Id,
        pnr: String,
    },
}

impl DomainEvent for SeatEvent {
    fn event_type(&self) -> String {
        match self {
            SeatEvent::SeatHeld { .. } => "SeatHeld",
            SeatEvent::PaymentCaptured { .. } => "PaymentCaptured",
            SeatEvent::TicketIssued { .. } => "TicketIssued",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}

#[derive(Debug)]
pub enum SeatError {
    SeatTaken,
    NotHeld,
    WrongCustomer,
    HoldExpired,
    NotPaid,
}

impl fmt::Display for SeatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SeatError::SeatTaken => "seat taken",
            SeatError::NotHeld => "seat not held",
            SeatError::WrongCustomer => "held by another customer",
            SeatError::HoldExpired => "hold expired",
            SeatError::NotPaid => "not paid",
        })
    }
}

impl std::error::Error for SeatError {}

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    #[default]
    Available,
    Held,
    Paid,
    Issued,
}

/// The state of one seat, folded from its events.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Seat {
    status: Status,
    customer: Option<Id>,
    vendor: Option<Id>,
    price_cents: u64,
    expires_tick: u64,
    captured_cents: u64,
    pnr: Option<String>,
}

impl Aggregate for Seat {
    const TYPE: &'static str = "Seat";
    type Command = SeatCommand;
    type Event = SeatEvent;
    type Error = SeatError;
    type Services = ();

    /// Hold only if available, pay only if held (by the same customer,
    /// before the hold expires), issue only if paid.
    async fn handle(&mut self, command: SeatCommand, _services: &(), sink: &EventSink<Self>) -> Result<(), SeatError> {
        let event = match command {
            SeatCommand::HoldSeat { customer, passenger, vendor, flight, seat, price_cents, now, hold_ttl_ticks } => {
                if self.status != Status::Available {
                    return Err(SeatError::SeatTaken);
                }
                SeatEvent::SeatHeld {
                    customer,
                    passenger,
                    vendor,
                    flight,
                    seat,
                    price_cents,
                    expires_tick: now + hold_ttl_ticks,
                }
            }
            SeatCommand::Pay { customer, now } => {
                if self.status != Status::Held {
                    return Err(SeatError::NotHeld);
                }
                if self.customer.as_ref() != Some(&customer) {
                    return Err(SeatError::WrongCustomer);
                }
                if now >= self.expires_tick {
                    return Err(SeatError::HoldExpired);
                }
                SeatEvent::PaymentCaptured { customer, amount_cents: self.price_cents }
            }
            SeatCommand::IssueTicket { pnr } => {
                if self.status != Status::Paid {
                    return Err(SeatError::NotPaid);
                }
                let customer = self.customer.clone().ok_or(SeatError::NotHeld)?;
                SeatEvent::TicketIssued { customer, pnr }
            }
        };
        // `write` applies the event to `self` and queues it for the commit.
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: SeatEvent) {
        match event {
            SeatEvent::SeatHeld { customer, vendor, price_cents, expires_tick, .. } => {
                self.status = Status::Held;
                self.customer = Some(customer);
                self.vendor = Some(vendor);
                self.price_cents = price_cents;
                self.expires_tick = expires_tick;
            }
            SeatEvent::PaymentCaptured { amount_cents, .. } => {
                self.status = Status::Paid;
                self.captured_cents += amount_cents;
            }
            SeatEvent::TicketIssued { pnr, .. } => {
                self.status = Status::Issued;
                self.pnr = Some(pnr);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The five query processors, each keeping an in-memory view. `Query` takes
// `&self`, so each view sits behind a lock, shared (`Arc`) with the bench so
// that it can check the views after the run.

/// Seats left per flight.
#[derive(Clone, Default)]
pub struct AvailableFlights(Arc<Mutex<HashMap<Id, usize>>>);

/// Bookings (booking id, status) per customer.
/// Each customer's bookings: (aggregate id, status).
type BookingsByCustomer = HashMap<Id, Vec<(String, Status)>>;

#[derive(Clone, Default)]
pub struct CustomerBookings(Arc<Mutex<BookingsByCustomer>>);

/// One row per booking.
#[derive(Clone, Default)]
pub struct BookingDetail(Arc<Mutex<HashMap<String, Detail>>>);

#[allow(dead_code)] // a read model: written by the projector, only partly read by the checks
#[derive(Clone, Debug)]
pub struct Detail {
    customer: Id,
    vendor: Id,
    flight: Id,
    seat: Id,
    price_cents: u64,
    status: Status,
    pnr: Option<String>,
}

/// Money captured per vendor (the vendor comes from the booking's SeatHeld).
#[derive(Clone, Default)]
pub struct VendorLedger(Arc<Mutex<Ledger>>);

#[derive(Default)]
pub struct Ledger {
    vendor_of: HashMap<String, Id>,
    cents: HashMap<Id, u64>,
}

/// Total money captured.
#[derive(Clone, Default)]
pub struct Revenue(Arc<AtomicU64>);

impl AvailableFlights {
    fn update(&self, events: &[EventEnvelope<Seat>]) {
        let mut seats_left = self.0.lock().unwrap();
        for e in events {
            if let SeatEvent::SeatHeld { flight, .. } = &e.payload {
                let left = seats_left.entry(flight.clone()).or_insert(SEATS_PER_FLIGHT);
                *left = left.saturating_sub(1);
            }
        }
    }
}

impl CustomerBookings {
    fn update(&self, booking: &str, events: &[EventEnvelope<Seat>]) {
        let mut by_customer = self.0.lock().unwrap();
        for e in events {
            let (customer, status) = match &e.payload {
                SeatEvent::SeatHeld { customer, .. } => (customer, Status::Held),
                SeatEvent::PaymentCaptured { customer, .. } => (customer, Status::Paid),
                SeatEvent::TicketIssued { customer, .. } => (customer, Status::Issued),
            };
            let rows = by_customer.entry(customer.clone()).or_default();
            match rows.iter().position(|(id, _)| id == booking) {
                Some(i) => rows[i].1 = status,
                None => rows.push((booking.to_string(), status)),
            }
        }
    }
}

impl BookingDetail {
    fn update(&self, booking: &str, events: &[EventEnvelope<Seat>]) {
        let mut rows = self.0.lock().unwrap();
        for e in events {
            match &e.payload {
                SeatEvent::SeatHeld { customer, vendor, flight, seat, price_cents, .. } => {
                    rows.insert(
                        booking.to_string(),
                        Detail {
                            customer: customer.clone(),
                            vendor: vendor.clone(),
                            flight: flight.clone(),
                            seat: seat.clone(),
                            price_cents: *price_cents,
                            status: Status::Held,
                            pnr: None,
                        },
                    );
                }
                SeatEvent::PaymentCaptured { .. } => {
                    if let Some(row) = rows.get_mut(booking) {
                        row.status = Status::Paid;
                    }
                }
                SeatEvent::TicketIssued { pnr, .. } => {
                    if let Some(row) = rows.get_mut(booking) {
                        row.status = Status::Issued;
                        row.pnr = Some(pnr.clone());
                    }
                }
            }
        }
    }
}

impl VendorLedger {
    fn update(&self, booking: &str, events: &[EventEnvelope<Seat>]) {
        let mut ledger = self.0.lock().unwrap();
        for e in events {
            match &e.payload {
                SeatEvent::SeatHeld { vendor, .. } => {
                    ledger.vendor_of.insert(booking.to_string(), vendor.clone());
                }
                SeatEvent::PaymentCaptured { amount_cents, .. } => {
                    if let Some(vendor) = ledger.vendor_of.get(booking).cloned() {
                        *ledger.cents.entry(vendor).or_default() += amount_cents;
                    }
                }
                SeatEvent::TicketIssued { .. } => {}
            }
        }
    }
}

impl Revenue {
    fn update(&self, events: &[EventEnvelope<Seat>]) {
        for e in events {
            if let SeatEvent::PaymentCaptured { amount_cents, .. } = &e.payload {
                self.0.fetch_add(*amount_cents, Ordering::Relaxed);
            }
        }
    }
}

#[async_trait]
impl Query<Seat> for AvailableFlights {
    async fn dispatch(&self, _aggregate_id: &str, events: &[EventEnvelope<Seat>]) {
        self.update(events);
    }
}

#[async_trait]
impl Query<Seat> for CustomerBookings {
    async fn dispatch(&self, aggregate_id: &str, events: &[EventEnvelope<Seat>]) {
        self.update(aggregate_id, events);
    }
}

#[async_trait]
impl Query<Seat> for BookingDetail {
    async fn dispatch(&self, aggregate_id: &str, events: &[EventEnvelope<Seat>]) {
        self.update(aggregate_id, events);
    }
}

#[async_trait]
impl Query<Seat> for VendorLedger {
    async fn dispatch(&self, aggregate_id: &str, events: &[EventEnvelope<Seat>]) {
        self.update(aggregate_id, events);
    }
}

#[async_trait]
impl Query<Seat> for Revenue {
    async fn dispatch(&self, _aggregate_id: &str, events: &[EventEnvelope<Seat>]) {
        self.update(events);
    }
}

#[derive(Clone, Default)]
struct Views {
    available: AvailableFlights,
    customers: CustomerBookings,
    detail: BookingDetail,
    ledger: VendorLedger,
    revenue: Revenue,
}

impl Views {
    fn new(n_flights: usize) -> Self {
        let views = Views::default();
        let mut seats_left = views.available.0.lock().unwrap();
        for f in 0..n_flights {
            seats_left.insert(flight_id(f), SEATS_PER_FLIGHT);
        }
        drop(seats_left);
        views
    }

    fn queries(&self) -> Vec<Box<dyn Query<Seat>>> {
        vec![
            Box::new(self.available.clone()),
            Box::new(self.customers.clone()),
            Box::new(self.detail.clone()),
            Box::new(self.ledger.clone()),
            Box::new(self.revenue.clone()),
        ]
    }

    /// The views agree with the workload (not timed).
    fn check(&self, n_seats: usize, n_flights: usize) {
        let money = n_seats as u64 * PRICE_CENTS;
        let left: usize = self.available.0.lock().unwrap().values().sum();
        assert_eq!(left, n_flights * SEATS_PER_FLIGHT - n_seats, "AvailableFlights");
        let customers = self.customers.0.lock().unwrap();
        assert_eq!(customers.values().map(Vec::len).sum::<usize>(), n_seats, "CustomerBookings");
        assert!(customers.values().flatten().all(|(_, s)| *s == Status::Issued), "CustomerBookings status");
        let detail = self.detail.0.lock().unwrap();
        assert_eq!(detail.len(), n_seats, "BookingDetail");
        assert!(detail.values().all(|d| d.status == Status::Issued && d.pnr.is_some()), "BookingDetail status");
        assert_eq!(detail.values().map(|d| d.price_cents).sum::<u64>(), money, "BookingDetail prices");
        assert_eq!(self.ledger.0.lock().unwrap().cents.values().sum::<u64>(), money, "VendorLedger");
        assert_eq!(self.revenue.0.load(Ordering::Relaxed), money, "Revenue");
    }
}

// ---------------------------------------------------------------------------
// `QuietMemStore`: cqrs-es 0.5.0's `MemStore` line for line (same clones,
// same re-read and re-insert of the whole stream on commit) without its two
// `println!`s. Only used for the second, control figure.

type Streams = HashMap<String, Vec<EventEnvelope<Seat>>>;

#[derive(Clone, Default)]
pub struct QuietMemStore(Arc<RwLock<Streams>>);

impl QuietMemStore {
    fn committed(&self, aggregate_id: &str) -> Vec<EventEnvelope<Seat>> {
        self.0.read().unwrap().get(aggregate_id).into_iter().flatten().cloned().collect()
    }
}

impl EventStore<Seat> for QuietMemStore {
    type AC = MemStoreAggregateContext<Seat>;

    async fn load_events(&self, aggregate_id: &str) -> Result<Vec<EventEnvelope<Seat>>, AggregateError<SeatError>> {
        Ok(self.committed(aggregate_id))
    }

    async fn load_aggregate(&self, aggregate_id: &str) -> Result<Self::AC, AggregateError<SeatError>> {
        let mut aggregate = Seat::default();
        let mut current_sequence = 0;
        for envelope in self.committed(aggregate_id) {
            current_sequence = envelope.sequence;
            aggregate.apply(envelope.payload);
        }
        Ok(MemStoreAggregateContext { aggregate_id: aggregate_id.to_string(), aggregate, current_sequence })
    }

    async fn commit(
        &self,
        events: Vec<SeatEvent>,
        context: Self::AC,
        metadata: HashMap<String, String>,
    ) -> Result<Vec<EventEnvelope<Seat>>, AggregateError<SeatError>> {
        let mut sequence = context.current_sequence;
        let wrapped: Vec<EventEnvelope<Seat>> = events
            .into_iter()
            .map(|payload| {
                sequence += 1;
                EventEnvelope {
                    aggregate_id: context.aggregate_id.clone(),
                    sequence,
                    payload,
                    metadata: metadata.clone(),
                }
            })
            .collect();
        if wrapped.is_empty() {
            return Ok(Vec::new());
        }
        let mut stream = self.committed(&context.aggregate_id);
        stream.extend(wrapped.iter().cloned());
        self.0.write().unwrap().insert(context.aggregate_id, stream);
        Ok(wrapped)
    }
}

// ---------------------------------------------------------------------------
// The workload and the timing.

fn flight_id(f: usize) -> Id {
    Id::from(format!("BX{f:04}"))
}

fn n_flights(n_seats: usize) -> usize {
    n_seats.div_ceil(SEATS_PER_FLIGHT)
}

/// The order the peer runs the commands in.
#[derive(Clone, Copy, PartialEq)]
enum Order {
    /// Each seat's hold, pay and issue back to back: the seat's stream is
    /// still in cache for its next command.
    SeatBySeat,
    /// Every hold, then every pay, then every issue: the order our engine
    /// runs them in (the bench holds every seat, then pays every seat, and
    /// the sagas issue), so that 10 000 bookings are in flight at once.
    Phased,
}

/// (aggregate id, command) in execution order (see [`Order`]).
fn workload(n_seats: usize, order: Order) -> Vec<(String, SeatCommand)> {
    let mut commands = Vec::with_capacity(3 * n_seats);
    for i in 0..n_seats {
        let f = i / SEATS_PER_FLIGHT;
        let k = i % SEATS_PER_FLIGHT;
        let flight = flight_id(f);
        let seat = Id::from(format!("{}{}", k / 6 + 1, ['A', 'B', 'C', 'D', 'E', 'F'][k % 6]));
        let aggregate_id = format!("{flight}/{seat}"); // as our AggregateId::seat
        let customer = Id::from(format!("burst-{i}"));
        commands.push((
            aggregate_id.clone(),
            SeatCommand::HoldSeat {
                customer: customer.clone(),
                passenger: Passenger {
                    name: smol_str::format_smolstr!("Passenger {i}"),
                    email: smol_str::format_smolstr!("burst-{i}@example.com"),
                },
                vendor: Id::from(VENDORS[f % VENDORS.len()]),
                flight,
                seat,
                price_cents: PRICE_CENTS,
                now: 0,
                hold_ttl_ticks: HOLD_TTL_TICKS,
            },
        ));
        commands.push((aggregate_id.clone(), SeatCommand::Pay { customer, now: 1 }));
        commands.push((aggregate_id, SeatCommand::IssueTicket { pnr: format!("P{i:05X}") }));
    }
    if order == Order::Phased {
        // A stable sort by position in the seat's triple: holds, pays, issues,
        // each in seat order.
        let mut keyed: Vec<_> = commands.into_iter().enumerate().map(|(i, c)| (i % 3, c)).collect();
        keyed.sort_by_key(|(phase, _)| *phase);
        commands = keyed.into_iter().map(|(_, c)| c).collect();
    }
    commands
}

/// Runs the workload on `store`; returns the seconds the command loop took.
fn run_on<ES: EventStore<Seat>>(store: ES, n_seats: usize, order: Order) -> f64 {
    let flights = n_flights(n_seats);
    let views = Views::new(flights);
    let cqrs = CqrsFramework::new(store, views.queries(), ());
    let commands = workload(n_seats, order);

    let t = Instant::now();
    futures_lite::future::block_on(async {
        for (aggregate_id, command) in commands {
            cqrs.execute(&aggregate_id, command).await.expect("command refused");
        }
    });
    let secs = t.elapsed().as_secs_f64();

    views.check(n_seats, flights);
    secs
}

/// cqrs-es with its `MemStore` and five query processors: (events stored,
/// seconds for the command loop).
pub fn cqrs_es_events_per_s(n_seats: usize) -> (u64, f64) {
    let store: MemStore<Seat> = MemStore::default();
    // A clone shares the events (the crate's advice); `get_events` is the
    // only way to count them without `load_events` printing a line each.
    let handle = store.clone();
    let secs = run_on(store, n_seats, Order::SeatBySeat);
    #[allow(deprecated)]
    let events = handle.get_events().read().unwrap().values().map(Vec::len).sum::<usize>() as u64;
    assert_eq!(events, 3 * n_seats as u64);
    (events, secs)
}

/// The same with `QuietMemStore` (MemStore without its per-command
/// `println!`s): the control figure. Last, seat by seat, the seconds the
/// peer's five views alone take over the run's events (see
/// [`peer_views_alone`]).
fn cqrs_es_quiet_events_per_s(n_seats: usize, order: Order) -> (u64, f64, Option<f64>) {
    let store = QuietMemStore::default();
    let handle = store.clone();
    let secs = run_on(store, n_seats, order);
    let events = handle.0.read().unwrap().values().map(Vec::len).sum::<usize>() as u64;
    assert_eq!(events, 3 * n_seats as u64);
    (events, secs, (order == Order::SeatBySeat).then(|| peer_views_alone(&handle, n_seats)))
}

/// What the peer's read models alone cost, measured as [`views_alone`]
/// measures ours: its five views' `update` (what each query processor's
/// `dispatch` calls) each applying the run's events, seat by seat as they
/// were committed, to a fresh view, one view after the other. No store, no
/// aggregate, no `CqrsFramework`. Checked as after a run. Returns seconds.
fn peer_views_alone(store: &QuietMemStore, n_seats: usize) -> f64 {
    let streams = store.0.read().unwrap();
    let events: Vec<(&str, &EventEnvelope<Seat>)> = workload(n_seats, Order::SeatBySeat)
        .iter()
        .step_by(3)
        .flat_map(|(id, _)| {
            let (id, stream) = streams.get_key_value(id).expect("every seat's stream was stored");
            stream.iter().map(move |e| (id.as_str(), e))
        })
        .collect();
    assert_eq!(events.len(), 3 * n_seats);
    let flights = n_flights(n_seats);
    let views = Views::new(flights);
    let t = Instant::now();
    for (_, e) in &events {
        views.available.update(std::slice::from_ref(*e));
    }
    for (id, e) in &events {
        views.customers.update(id, std::slice::from_ref(*e));
    }
    for (id, e) in &events {
        views.detail.update(id, std::slice::from_ref(*e));
    }
    for (id, e) in &events {
        views.ledger.update(id, std::slice::from_ref(*e));
    }
    for (_, e) in &events {
        views.revenue.update(std::slice::from_ref(*e));
    }
    let secs = t.elapsed().as_secs_f64();
    views.check(n_seats, flights);
    secs
}

/// What one run of our side measured (see [`ours`]).
struct OursRun {
    events: u64,
    issued: usize,
    secs: f64,
    ticks: u64,
    /// When the last saga finished: (wall seconds, tick).
    sagas_done: (f64, u64),
    /// Our five views alone over the run's events (see [`views_alone`]).
    views_secs: f64,
    /// The hash chain alone, sealing and verifying, and sealing only (see
    /// [`chain_alone`]).
    chain_secs: (f64, f64),
}

/// Our side: the same N seats, each held then paid by its own customer
/// through the whole engine (Command API with the expected-version check,
/// event store with its hash chain and outbox, bus fan-out to five
/// projectors and the saga orchestrator with idempotency logs, the vendor
/// call and the ticket issue the saga commands): events stored, seats
/// issued, wall seconds, simulated ticks. The clock stops when the engine is
/// quiescent: after the last ticket, the holds' expiry timers still fire
/// (at the hold TTL) and their `ExpireHold` commands are decided and
/// rejected, work the engine owes for every hold. After the clock, the
/// views alone and the hash chain alone over the same events.
fn ours(n: usize) -> OursRun {
    let seats_per_flight = 200 * 6;
    let mut h = Harness::new(big_world(n.div_ceil(seats_per_flight)), 1);
    let seats: Vec<(FlightId, SeatNo)> = h
        .world()
        .resource::<Catalog>()
        .flights
        .iter()
        .filter(|(f, _)| f.as_str().starts_with("BX"))
        .flat_map(|(f, info)| info.seat_list.iter().map(move |s| (f.clone(), s.clone())))
        .take(n)
        .collect();
    assert_eq!(seats.len(), n, "the world has enough seats");
    let customers: Vec<CustomerId> = {
        let mut c = h.world_mut().resource_mut::<Customers>();
        (0..n).map(|_| c.synthetic()).collect()
    };
    let start = head(&h);
    let tick0 = h.tick();
    let sagas0 = h.world().resource::<Sagas>().started;
    let t = Instant::now();
    for ((flight, seat), customer) in seats.iter().zip(&customers) {
        h.submit(SimRequest::Command {
            label: None,
            command: CustomerCommand::HoldSeat {
                customer: customer.clone(),
                flight: flight.clone(),
                seat: seat.clone(),
                expected_version: None,
            },
        });
    }
    // The holds are decided and committed within a few ticks; then pay.
    h.run(10);
    for ((flight, seat), customer) in seats.iter().zip(&customers) {
        h.submit(SimRequest::Command {
            label: None,
            command: CustomerCommand::Pay { customer: customer.clone(), flight: flight.clone(), seat: seat.clone() },
        });
    }
    // Until every booking's saga has started and finished (bounded, as
    // `run_until_quiescent` is).
    let all_done = |h: &Harness| {
        let sagas = h.world().resource::<Sagas>();
        sagas.started - sagas0 == n as u64 && sagas.active() == 0
    };
    for _ in 0..1_000_000 {
        if all_done(&h) {
            break;
        }
        h.run(1);
    }
    assert!(all_done(&h), "every booking's saga started and finished");
    let sagas_done = (t.elapsed().as_secs_f64(), h.tick() - tick0);
    assert!(h.run_until_quiescent(1_000_000), "the workload drains");
    let secs = t.elapsed().as_secs_f64();
    // The whole-history audit (hash chain re-walked, every view rebuilt from
    // seq 0 and compared) is a check on the run, not work the peer does:
    // it runs after the clock stops, and the run must pass it.
    h.audit();
    assert!(h.invariants().all_ok(), "{:?}", h.invariants().violations());
    let issued = seats
        .iter()
        .filter(|(f, s)| {
            h.booking(&AggregateId::seat(f, s).to_string())
                .is_some_and(|b| b.status == cqrs_tickets::domain::Status::Issued)
        })
        .count();
    let views_secs = views_alone(&mut h, start);
    let chain_secs = chain_alone(&h, start);
    OursRun { events: head(&h) - start, issued, secs, ticks: h.tick() - tick0, sagas_done, views_secs, chain_secs }
}

/// What our read models alone cost: the five views (`View::apply`, the
/// projectors' own code) each applying the run's events in seq order to an
/// empty copy, one view after the other as each projector works its own
/// queue. No bus, no idempotency or ordering check, no ECS, no saga, no
/// command side. Checked: each copy ends equal to its live view. Returns
/// the seconds the applies took.
fn views_alone(h: &mut Harness, from_seq: u64) -> f64 {
    let events = run_events(h, from_seq);
    let world = h.world_mut();
    let mut projectors = world.query::<&ProjectorView>();
    let mut views: Vec<View> = projectors.iter(world).map(|p| p.view.emptied()).collect();
    let forgotten = Forgotten::default();
    let t = Instant::now();
    for view in &mut views {
        for env in &events {
            view.apply(env, &forgotten);
        }
    }
    let secs = t.elapsed().as_secs_f64();
    for (copy, live) in views.iter().zip(projectors.iter(world)) {
        assert!(*copy == live.view, "{:?}: the copy matches the live view", live.projection);
    }
    secs
}

/// The run's envelopes, as stored (shared), in seq order.
fn run_events(h: &Harness, from_seq: u64) -> Vec<Arc<cqrs_tickets::domain::EventEnvelope>> {
    let store = h.world().resource::<OurStore>();
    (from_seq + 1..=store.head_seq()).filter_map(|seq| store.event_shared(seq)).collect()
}

/// What the hash chain alone costs, which the spec asks of every event:
/// its hash worked out once as the append seals it
/// (`EventEnvelope::compute_hash`), and once more as the continuous
/// invariant "the hash chain verifies" checks it (`HashChain::push`), over
/// the run's events, with nothing else around them. Checked: every hash
/// equals the stored one and the chain verifies. Returns the seconds:
/// (sealing and verifying, sealing only).
fn chain_alone(h: &Harness, from_seq: u64) -> (f64, f64) {
    let events = run_events(h, from_seq);
    let first = events.first().expect("the run stored events");
    let mut chain = HashChain { head: first.prev_hash, next_seq: first.seq };
    let mut sealed = Vec::with_capacity(events.len());
    let t = Instant::now();
    for env in &events {
        sealed.push(env.compute_hash());
    }
    let seal_secs = t.elapsed().as_secs_f64();
    for env in &events {
        chain.push(env).expect("the run's chain verifies");
    }
    let secs = t.elapsed().as_secs_f64();
    assert!(sealed.iter().zip(&events).all(|(hash, env)| *hash == env.hash), "each hash as stored");
    assert_eq!(chain.next_seq, first.seq + events.len() as u64, "every event verified");
    (secs, seal_secs)
}

/// The fastest of several runs (and the slowest, for the spread): the
/// other core of this machine moves single runs by up to 2x.
struct Best<T> {
    best: Option<(T, f64)>,
    worst: f64,
}

impl<T> Best<T> {
    fn new() -> Self {
        Best { best: None, worst: 0.0 }
    }
    fn add(&mut self, out: T, secs: f64) {
        self.worst = self.worst.max(secs);
        if self.best.as_ref().is_none_or(|(_, b)| secs < *b) {
            self.best = Some((out, secs));
        }
    }
    /// (output of the fastest run, its seconds, the slowest run's seconds).
    fn get(self) -> (T, f64, f64) {
        let (out, secs) = self.best.expect("at least one run");
        (out, secs, self.worst)
    }
}

/// Runs per side. The two sides alternate, run for run, so that a slow
/// spell of the machine (they last seconds here) slows both, not one.
const RUNS: usize = 5;

fn main() {
    let n = if std::env::var("BENCH_QUICK").is_ok() { 2_000 } else { 10_000 };
    // Profiling our side: the peer's figures are not wanted.
    let only_ours = std::env::var("BENCH_ONLY").is_ok_and(|v| v == "ours");
    let cores = std::thread::available_parallelism().map_or(0, |c| c.get());
    println!(
        "machine: {cores} cores; workload: {n} seats, hold -> pay -> issue; best of {RUNS} runs per side, alternating (slowest in brackets)"
    );
    let mut ours_runs = Best::new();
    let mut views_runs = Best::new();
    let mut chain_runs = Best::new();
    let mut seal_runs = Best::new();
    let mut quiet_runs = Best::new();
    let mut phased_runs = Best::new();
    let mut peer_views_runs = Best::new();
    for run in 1..=RUNS {
        let OursRun { events, issued, secs, ticks, sagas_done, views_secs, chain_secs } = ours(n);
        ours_runs.add((events, issued, ticks, sagas_done), secs);
        views_runs.add((), views_secs);
        chain_runs.add((), chain_secs.0);
        seal_runs.add((), chain_secs.1);
        if only_ours {
            eprintln!("    run {run}: ours {secs:.3} s");
            continue;
        }
        let (quiet_events, quiet_secs, peer_views_secs) = cqrs_es_quiet_events_per_s(n, Order::SeatBySeat);
        quiet_runs.add(quiet_events, quiet_secs);
        peer_views_runs.add((), peer_views_secs.expect("measured seat by seat"));
        let (phased_events, phased_secs, _) = cqrs_es_quiet_events_per_s(n, Order::Phased);
        phased_runs.add(phased_events, phased_secs);
        eprintln!(
            "    run {run}: ours {secs:.3} s, cqrs-es (quiet) {quiet_secs:.3} s seat by seat, {phased_secs:.3} s in our order"
        );
    }
    let ((events, issued, ticks, (done_secs, done_tick)), secs, worst) = ours_runs.get();
    let ours_rate = events as f64 / secs;
    let ours_bookings = issued as f64 / secs;
    println!(
        "ours: {events} events ({issued} tickets issued) in {secs:.3} s [{worst:.3} s] over {ticks} ticks = {ours_rate:.0} events/s, {ours_bookings:.0} bookings/s"
    );
    println!(
        "ours, in that run: the last saga finished at tick {done_tick}, {done_secs:.3} s in; after it, until quiescence: the holds' expiry timers firing and their ExpireHold commands rejected, and idle ticks (counted: the engine owes that work)"
    );
    let ours_events = events;
    let ((), views_secs, views_worst) = views_runs.get();
    println!(
        "views alone: our five views (View::apply, each over the same {events} events in seq order; no bus, no ECS): {views_secs:.4} s [{views_worst:.4} s] = {:.0} events/s",
        events as f64 / views_secs
    );
    let ((), chain_secs, chain_worst) = chain_runs.get();
    // The fastest sealing of all runs, as every other figure is a best.
    let ((), seal_secs, _) = seal_runs.get();
    println!(
        "hash chain alone: the same {events} events each hashed as the append seals it and again as the invariant verifies it (SHA-256 of the canonical bytes, twice; nothing else): {chain_secs:.4} s [{chain_worst:.4} s] = {:.0} events/s; sealing alone {seal_secs:.4} s",
        events as f64 / chain_secs
    );
    if only_ours {
        return;
    }
    let (events, secs, worst) = quiet_runs.get();
    let quiet_secs = secs;
    let quiet = events as f64 / secs;
    let quiet_bookings = (events / 3) as f64 / secs;
    println!(
        "cqrs-es (MemStore without its println!s), seat by seat: {events} events in {secs:.3} s [{worst:.3} s] = {quiet:.0} events/s, {quiet_bookings:.0} bookings/s"
    );
    let (events, secs, worst) = phased_runs.get();
    let phased_secs = secs;
    let phased = events as f64 / secs;
    println!(
        "cqrs-es (MemStore without its println!s), in our order (every hold, every pay, every issue): {events} events in {secs:.3} s [{worst:.3} s] = {phased:.0} events/s"
    );
    // The shipped MemStore prints a line per load and per commit: once is
    // enough.
    let (events, secs) = cqrs_es_events_per_s(n);
    let shipped = events as f64 / secs;
    println!("cqrs-es: {events} events in {secs:.3} s = {shipped:.0} events/s (one run)");
    println!(
        "ratio ours / cqrs-es: {:.2}x events/s against the shipped MemStore, {:.2}x against the quiet one; {:.2}x bookings/s against the quiet one; {:.2}x events/s against the quiet one in our order",
        ours_rate / shipped,
        ours_rate / quiet,
        ours_bookings / quiet_bookings,
        ours_rate / phased
    );
    // Both sides stored the same number of events (asserted), so the ratio
    // of times is the inverse ratio of events/s.
    assert_eq!(ours_events, 3 * n as u64, "our side stored three events per seat");
    println!(
        "views alone / cqrs-es: our five views alone take {:.2}x the time of the quiet peer's whole loop seat by seat, {:.2}x in our order; ours >= 2x the peer needs our whole engine within 0.50x",
        views_secs / quiet_secs,
        views_secs / phased_secs
    );
    let ((), peer_views_secs, peer_views_worst) = peer_views_runs.get();
    println!(
        "the peer's views alone (its five views' update, each over the same {events} events seat by seat; no store, no framework): {peer_views_secs:.4} s [{peer_views_worst:.4} s] = {:.2}x the time of its whole loop; ours alone take {:.2}x the time of its views alone",
        peer_views_secs / quiet_secs,
        views_secs / peer_views_secs
    );
    println!(
        "the peer's views and our hash chain alone / cqrs-es: {:.2}x the time of the quiet peer's whole loop seat by seat ({:.2}x with the sealing alone, no verification)",
        (peer_views_secs + chain_secs) / quiet_secs,
        (peer_views_secs + seal_secs) / quiet_secs
    );
    println!(
        "views and hash chain alone / cqrs-es: {:.2}x the time of the quiet peer's whole loop seat by seat (the chain {:.2}x), {:.2}x in our order",
        (views_secs + chain_secs) / quiet_secs,
        chain_secs / quiet_secs,
        (views_secs + chain_secs) / phased_secs
    );
}
