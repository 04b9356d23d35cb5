//! Scenario files: a world and a script of steps, in RON.
//!
//! A step has a time, a title, a plain-language caption, actions and
//! expectations. Loading parses (RON errors carry line and column) and then
//! validates every name against the world, so a bad file is refused with a
//! message naming the file, the step and the field, before anything runs.
//! This module only describes and checks scripts; `runner` plays them.

pub mod bundled;
pub mod chaos;
pub mod report;
pub mod runner;
pub mod swarm;

use crate::domain::{AggregateId, CustomerId, FlightId, SeatNo, TICK_MS, Tick, VendorId};
use crate::sim::command_intake::{CustomerCommand, SeatRef};
use crate::sim::config::WorldConfig;
use crate::sim::protocol::Projection;
use crate::sim::query_api::CustomerQuery;
use crate::sim::{KnobChange, SimRequest};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// A scenario file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The seed used when none is given on the command line.
    #[serde(default = "one")]
    pub seed: u64,
    #[serde(default)]
    pub world: WorldConfig,
    pub steps: Vec<Step>,
    /// Give up (a liveness failure) if the run has not drained by then.
    #[serde(default)]
    pub max_ms: Option<u64>,
    /// Safeguards this scenario runs without (as `run --disable`, added to
    /// any given there): a file the swarm shrank keeps what it failed under.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disable: Vec<String>,
}

fn one() -> u64 {
    1
}

/// One scripted step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub title: String,
    #[serde(default)]
    pub caption: String,
    /// Start time from the beginning of the run.
    #[serde(default)]
    pub at_ms: Option<u64>,
    /// Start time after the previous step's start (default 0).
    #[serde(default)]
    pub after_ms: Option<u64>,
    #[serde(default)]
    pub actions: Vec<Action>,
    #[serde(default)]
    pub expect: Vec<Expect>,
}

/// Something the script does. `Wait` delays the actions after it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Action {
    Search {
        route: String,
        #[serde(default)]
        label: Option<String>,
    },
    SeatsLeft {
        flight: String,
        #[serde(default)]
        label: Option<String>,
    },
    MyBookings {
        customer: String,
        #[serde(default)]
        label: Option<String>,
    },
    Hold {
        customer: String,
        flight: String,
        seat: String,
        #[serde(default)]
        label: Option<String>,
        #[serde(default)]
        expected_version: Option<u32>,
    },
    Authorize {
        customer: String,
        flight: String,
        seat: String,
        #[serde(default)]
        label: Option<String>,
    },
    Pay {
        customer: String,
        flight: String,
        seat: String,
        #[serde(default)]
        label: Option<String>,
    },
    Itinerary {
        customer: String,
        legs: Vec<(String, String)>,
        #[serde(default)]
        label: Option<String>,
    },
    GdprDelete {
        customer: String,
        #[serde(default)]
        label: Option<String>,
    },
    Knob(KnobChange),
    Stampede {
        query: CustomerQuery,
        gets: u32,
    },
    Replay(Projection),
    Wait(u64),
}

/// A check, `at_ms` after its step starts (0 = at the end of that tick).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    #[serde(default)]
    pub at_ms: u64,
    pub check: Check,
}

/// What an expectation checks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Check {
    /// The labelled command's outcome: "ok", "conflict", "rejected", "inflight".
    Outcome { label: String, is: String },
    /// Among the labelled commands, exactly this many of each outcome.
    Outcomes {
        labels: Vec<String>,
        #[serde(default)]
        ok: u32,
        #[serde(default)]
        conflict: u32,
        #[serde(default)]
        rejected: u32,
    },
    /// A booking stream's version and/or status.
    Booking {
        id: String,
        #[serde(default)]
        version: Option<u32>,
        #[serde(default)]
        status: Option<String>,
    },
    /// A stream's event types, exactly, in order.
    Events { aggregate: String, kinds: Vec<String> },
    /// The latest saga on a booking: its state and, in order, log lines
    /// containing each of `log`.
    Saga {
        booking: String,
        #[serde(default)]
        state: Option<String>,
        #[serde(default)]
        log: Vec<String>,
    },
    /// A projector's lag (events behind the store head) now.
    Lag {
        projection: Projection,
        #[serde(default)]
        min: Option<u64>,
        #[serde(default)]
        max: Option<u64>,
    },
    /// The highest lag seen since the step started.
    PeakLag { projection: Projection, min: u64 },
    /// The most events buffered (waiting for a gap) since the step started.
    PeakBuffered { projection: Projection, min: u64 },
    /// Events buffered now.
    Buffered { projection: Projection, max: u64 },
    /// Duplicates skipped since the step started, by one projector or (None) each.
    DuplicatesSkipped {
        #[serde(default)]
        projection: Option<Projection>,
        min: u64,
    },
    /// Populator runs since the step started.
    PopulatorCalls { delta: u64 },
    /// Queries served since the step started.
    QueriesServed { delta: u64 },
    /// Whether the labelled query was a cache hit.
    QueryHit { label: String, hit: bool },
    /// The labelled search returned at least this many offers.
    QueryOffers { label: String, min: u32 },
    /// The labelled "my bookings" query returned this booking.
    QueryContains { label: String, booking: String },
    /// A seat at a vendor: "free", "held" or "sold".
    VendorSeat { vendor: String, flight: String, seat: String, state: String },
    /// The last replay of the projection rebuilt the identical view.
    ReplayIdentical(Projection),
    /// No projection holds the customer's personal data.
    NoPii(String),
    /// The platform's shape: projectors and vendors.
    Topology { projectors: u32, vendors: u32 },
    /// No message in transit or queued anywhere.
    QueuesEmpty,
    /// At least this many events in the store.
    EventsAtLeast(u64),
    /// Every invariant holds so far.
    InvariantsHold,
}

impl Check {
    /// The expectation in words (for reports and the caption strip).
    pub fn describe(&self) -> String {
        match self {
            Check::Outcome { label, is } => format!("command `{label}` is {is}"),
            Check::Outcomes { labels, ok, conflict, rejected } => {
                format!("of {}: {ok} ok, {conflict} conflict, {rejected} rejected", labels.join(", "))
            }
            Check::Booking { id, version, status } => {
                let mut s = format!("booking {id}");
                if let Some(v) = version {
                    s += &format!(" at v{v}");
                }
                if let Some(st) = status {
                    s += &format!(" is {st}");
                }
                s
            }
            Check::Events { aggregate, kinds } => format!("{aggregate} events are {}", kinds.join(" → ")),
            Check::Saga { booking, state, log } => {
                let mut s = format!("saga of {booking}");
                if let Some(st) = state {
                    s += &format!(" is {st}");
                }
                if !log.is_empty() {
                    s += &format!(", log has {}", log.join(" → "));
                }
                s
            }
            Check::Lag { projection, min, max } => {
                format!(
                    "{} lag in [{}, {}]",
                    projection.name(),
                    min.unwrap_or(0),
                    max.map_or("∞".into(), |m| m.to_string())
                )
            }
            Check::PeakLag { projection, min } => format!("{} lag reached ≥ {min}", projection.name()),
            Check::PeakBuffered { projection, min } => format!("{} buffered ≥ {min} event(s)", projection.name()),
            Check::Buffered { projection, max } => format!("{} buffers ≤ {max}", projection.name()),
            Check::DuplicatesSkipped { projection, min } => format!(
                "{} skipped ≥ {min} duplicate(s)",
                projection.map_or("every projector".to_string(), |p| p.name().to_string())
            ),
            Check::PopulatorCalls { delta } => format!("exactly {delta} populator call(s)"),
            Check::QueriesServed { delta } => format!("exactly {delta} queries served"),
            Check::QueryHit { label, hit } => {
                format!("query `{label}` was a cache {}", if *hit { "hit" } else { "miss" })
            }
            Check::QueryOffers { label, min } => format!("query `{label}` found ≥ {min} offer(s)"),
            Check::QueryContains { label, booking } => format!("query `{label}` shows {booking}"),
            Check::VendorSeat { vendor, flight, seat, state } => format!("{vendor} seat {flight}/{seat} is {state}"),
            Check::ReplayIdentical(p) => format!("{} rebuilt from seq 0 has the same view hash", p.name()),
            Check::NoPii(c) => format!("no projection holds {c}'s personal data"),
            Check::Topology { projectors, vendors } => format!("{projectors} projectors and {vendors} vendors"),
            Check::QueuesEmpty => "all queues empty".into(),
            Check::EventsAtLeast(n) => format!("≥ {n} events stored"),
            Check::InvariantsHold => "every invariant holds".into(),
        }
    }
}

/// A refused scenario: where and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    pub file: String,
    /// `line:col` for syntax errors, `step N 'title', field` for the rest.
    pub place: String,
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.place, self.message)
    }
}

impl std::error::Error for ScenarioError {}

/// Limits that keep a file from making a run hang or eat memory.
pub mod limits {
    pub const STEPS: usize = 1_000;
    pub const ACTIONS_PER_STEP: usize = 1_000;
    pub const EXPECTS_PER_STEP: usize = 200;
    pub const CUSTOMERS: usize = 10_000;
    pub const FLIGHTS: usize = 1_000;
    pub const VENDORS: usize = 64;
    pub const ROWS_PER_FLIGHT: u32 = 200;
    pub const SEATS_PER_FLIGHT: usize = 2_000;
    pub const BURST_PER_S: u32 = 2_000;
    pub const BURST_MS: u64 = 600_000;
    pub const STAMPEDE_GETS: u32 = 10_000;
    /// No time in a file may exceed one simulated day.
    pub const TIME_MS: u64 = 86_400_000;
    pub const LATENCY_MS: u32 = 600_000;
    pub const FILE_BYTES: usize = 4 << 20;
}

impl Scenario {
    /// Parses and validates scenario text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
        if text.len() > limits::FILE_BYTES {
            return Err(ScenarioError {
                file: file.into(),
                place: "1:1".into(),
                message: format!("file is {} bytes; the limit is {}", text.len(), limits::FILE_BYTES),
            });
        }
        let options = ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
        let scenario: Scenario = options.from_str(text).map_err(|e| ScenarioError {
            file: file.into(),
            place: format!("{}:{}", e.position.line, e.position.col),
            message: e.code.to_string(),
        })?;
        scenario.validate().map_err(|(place, message)| ScenarioError { file: file.into(), place, message })?;
        Ok(scenario)
    }

    /// Reads and parses a file.
    pub fn load(path: &std::path::Path) -> Result<Scenario, ScenarioError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
            file: file.clone(),
            place: "0:0".into(),
            message: format!("cannot read the file: {e}"),
        })?;
        Scenario::parse(&text, &file)
    }

    /// Every name refers to something that exists; every number is within limits.
    fn validate(&self) -> Result<(), (String, String)> {
        for (i, d) in self.disable.iter().enumerate() {
            if let Err(e) = crate::sim::Safeguard::from_name(d) {
                return Err((format!("disable[{i}]"), e));
            }
        }
        let w = &self.world;
        let world = |field: &str, msg: String| Err((format!("world.{field}"), msg));
        if self.steps.len() > limits::STEPS {
            return Err(("steps".into(), format!("{} steps; the limit is {}", self.steps.len(), limits::STEPS)));
        }
        if w.vendors.len() > limits::VENDORS {
            return world("vendors", format!("at most {} vendors", limits::VENDORS));
        }
        if w.flights.len() > limits::FLIGHTS {
            return world("flights", format!("at most {} flights", limits::FLIGHTS));
        }
        if w.customers.len() > limits::CUSTOMERS {
            return world("customers", format!("at most {} customers", limits::CUSTOMERS));
        }
        let mut vendors = BTreeSet::new();
        for (i, v) in w.vendors.iter().enumerate() {
            if !vendors.insert(v.id.clone()) {
                return world(&format!("vendors[{i}].id"), format!("vendor {} defined twice", v.id));
            }
            if v.latency_ms.0 > v.latency_ms.1 || v.latency_ms.1 > limits::LATENCY_MS {
                return world(
                    &format!("vendors[{i}].latency_ms"),
                    format!(
                        "({}, {}) must be (min, max) with min ≤ max ≤ {}",
                        v.latency_ms.0,
                        v.latency_ms.1,
                        limits::LATENCY_MS
                    ),
                );
            }
        }
        let mut flights = BTreeSet::new();
        for (i, f) in w.flights.iter().enumerate() {
            if !flights.insert(f.id.clone()) {
                return world(&format!("flights[{i}].id"), format!("flight {} defined twice", f.id));
            }
            if f.id.as_str().is_empty() || f.id.as_str().contains('/') {
                return world(&format!("flights[{i}].id"), format!("`{}` is not a flight number", f.id));
            }
            if !vendors.contains(&f.vendor) {
                return world(
                    &format!("flights[{i}].vendor"),
                    format!("unknown vendor {} (known: {})", f.vendor, list(&vendors)),
                );
            }
            if f.rows > limits::ROWS_PER_FLIGHT {
                return world(&format!("flights[{i}].rows"), format!("at most {} rows", limits::ROWS_PER_FLIGHT));
            }
            if f.seats.len() > limits::SEATS_PER_FLIGHT {
                return world(&format!("flights[{i}].seats"), format!("at most {} seats", limits::SEATS_PER_FLIGHT));
            }
            if f.seats.iter().any(|s| s.as_str().is_empty() || s.as_str().contains('/')) {
                return world(&format!("flights[{i}].seats"), "a seat name is empty or contains `/`".into());
            }
            // A seat listed twice is almost surely a typo for another seat;
            // the engine would treat the two as one seat.
            let mut listed = BTreeSet::new();
            if let Some((k, s)) = f.seats.iter().enumerate().find(|(_, s)| !listed.insert(*s)) {
                return world(&format!("flights[{i}].seats[{k}]"), format!("seat {s} of flight {} listed twice", f.id));
            }
        }
        let mut customers = BTreeSet::new();
        for (i, c) in w.customers.iter().enumerate() {
            if !customers.insert(c.id.clone()) {
                return world(&format!("customers[{i}].id"), format!("customer {} defined twice", c.id));
            }
        }
        let t = &w.timing;
        for (field, v) in [
            ("hold_ttl_ms", t.hold_ttl_ms),
            ("saga_step_timeout_ms", t.saga_step_timeout_ms),
            ("cache_ttl_ms", t.cache_ttl_ms),
            ("network_ms", t.network_ms),
            ("db_ms", t.db_ms),
            ("read_db_ms", t.read_db_ms),
            ("bus_transit_ms.1", t.bus_transit_ms.1),
        ] {
            if v > limits::TIME_MS {
                return world(&format!("timing.{field}"), format!("{v} ms is more than a day"));
            }
        }
        if t.bus_transit_ms.0 > t.bus_transit_ms.1 {
            return world("timing.bus_transit_ms", "min must be ≤ max".into());
        }
        if t.outbox_batch == 0 || t.outbox_batch > 100_000 {
            return world("timing.outbox_batch", "must be 1..=100000".into());
        }
        let r = &w.projectors;
        for (field, v) in [
            ("projectors.available_flights", r.available_flights),
            ("projectors.customer_bookings", r.customer_bookings),
            ("projectors.booking_detail", r.booking_detail),
            ("projectors.vendor_ledger", r.vendor_ledger),
            ("projectors.revenue", r.revenue),
            ("timing.saga_rate_per_s", t.saga_rate_per_s),
        ] {
            if v == 0 || v > 1_000_000 {
                return world(field, format!("rate {v}/s must be 1..=1000000"));
            }
        }
        if let Some(m) = self.max_ms
            && m > limits::TIME_MS
        {
            return Err(("max_ms".into(), format!("{m} ms is more than a day")));
        }
        let seats_of = |f: &FlightId| w.flights.iter().find(|x| &x.id == f).map(|x| x.all_seats());
        let ctx = Names { vendors: &vendors, flights: &flights, customers: &customers, seats_of: &seats_of };
        for (i, step) in self.steps.iter().enumerate() {
            let at = |field: String| format!("step {} '{}', {field}", i + 1, step.title);
            if step.at_ms.is_some() && step.after_ms.is_some() {
                return Err((at("at_ms".into()), "give at_ms or after_ms, not both".into()));
            }
            for (f, v) in [("at_ms", step.at_ms), ("after_ms", step.after_ms)] {
                if v.is_some_and(|v| v > limits::TIME_MS) {
                    return Err((at(f.into()), "more than a day".into()));
                }
            }
            if step.actions.len() > limits::ACTIONS_PER_STEP {
                return Err((at("actions".into()), format!("at most {} actions", limits::ACTIONS_PER_STEP)));
            }
            if step.expect.len() > limits::EXPECTS_PER_STEP {
                return Err((at("expect".into()), format!("at most {} expectations", limits::EXPECTS_PER_STEP)));
            }
            for (j, a) in step.actions.iter().enumerate() {
                ctx.action(a).map_err(|m| (at(format!("actions[{j}]")), m))?;
            }
            for (j, e) in step.expect.iter().enumerate() {
                if e.at_ms > limits::TIME_MS {
                    return Err((at(format!("expect[{j}].at_ms")), "more than a day".into()));
                }
                ctx.check(&e.check).map_err(|m| (at(format!("expect[{j}]")), m))?;
            }
        }
        Ok(())
    }

    /// The run's time plan: per step its start tick, timed requests and checks.
    pub fn plan(&self) -> Vec<PlannedStep> {
        let mut out = vec![];
        let mut prev_ms = 0u64;
        for (i, step) in self.steps.iter().enumerate() {
            let start_ms = match (step.at_ms, step.after_ms) {
                (Some(at), _) => at,
                (None, Some(after)) => prev_ms + after,
                (None, None) => prev_ms,
            };
            prev_ms = start_ms;
            let start = ms_to_tick(start_ms);
            let mut offset_ms = 0;
            let mut requests = vec![];
            for a in &step.actions {
                if let Action::Wait(ms) = a {
                    offset_ms += ms;
                    continue;
                }
                if let Some(r) = a.request() {
                    requests.push((ms_to_tick(start_ms + offset_ms), r));
                }
            }
            let checks = step.expect.iter().map(|e| (ms_to_tick(start_ms + e.at_ms), e.check.clone())).collect();
            out.push(PlannedStep { index: i, start_tick: start, requests, checks });
        }
        out
    }
}

/// Ticks are 1-based: the first tick is tick 1 (time 0–50 ms).
pub fn ms_to_tick(ms: u64) -> Tick {
    ms / TICK_MS + 1
}

/// A step with absolute ticks.
#[derive(Clone, Debug)]
pub struct PlannedStep {
    pub index: usize,
    pub start_tick: Tick,
    pub requests: Vec<(Tick, SimRequest)>,
    pub checks: Vec<(Tick, Check)>,
}

impl Action {
    /// The engine request this action sends (`Wait` sends none).
    pub fn request(&self) -> Option<SimRequest> {
        let cmd = |label: &Option<String>, command| Some(SimRequest::Command { label: label.clone(), command });
        let q = |label: &Option<String>, query| Some(SimRequest::Query { label: label.clone(), query });
        match self {
            Action::Search { route, label } => q(label, CustomerQuery::Search { route: route.clone() }),
            Action::SeatsLeft { flight, label } => q(label, CustomerQuery::SeatsLeft { flight: FlightId::new(flight) }),
            Action::MyBookings { customer, label } => {
                q(label, CustomerQuery::MyBookings { customer: CustomerId::new(customer) })
            }
            Action::Hold { customer, flight, seat, label, expected_version } => cmd(
                label,
                CustomerCommand::HoldSeat {
                    customer: CustomerId::new(customer),
                    flight: FlightId::new(flight),
                    seat: SeatNo::new(seat),
                    expected_version: *expected_version,
                },
            ),
            Action::Authorize { customer, flight, seat, label } => cmd(
                label,
                CustomerCommand::AuthorizePayment {
                    customer: customer.as_str().into(),
                    flight: flight.as_str().into(),
                    seat: seat.as_str().into(),
                },
            ),
            Action::Pay { customer, flight, seat, label } => cmd(
                label,
                CustomerCommand::Pay {
                    customer: customer.as_str().into(),
                    flight: flight.as_str().into(),
                    seat: seat.as_str().into(),
                },
            ),
            Action::Itinerary { customer, legs, label } => cmd(
                label,
                CustomerCommand::BookItinerary {
                    customer: customer.as_str().into(),
                    legs: legs
                        .iter()
                        .map(|(f, s)| SeatRef { flight: f.as_str().into(), seat: s.as_str().into() })
                        .collect(),
                },
            ),
            Action::GdprDelete { customer, label } => {
                cmd(label, CustomerCommand::GdprDelete { customer: customer.as_str().into() })
            }
            Action::Knob(k) => Some(SimRequest::Knob(k.clone())),
            Action::Stampede { query, gets } => Some(SimRequest::Stampede { query: query.clone(), gets: *gets }),
            Action::Replay(p) => Some(SimRequest::Replay(*p)),
            Action::Wait(_) => None,
        }
    }
}

fn list<T: fmt::Display>(set: &BTreeSet<T>) -> String {
    set.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", ")
}

struct Names<'a> {
    vendors: &'a BTreeSet<VendorId>,
    flights: &'a BTreeSet<FlightId>,
    customers: &'a BTreeSet<CustomerId>,
    seats_of: &'a dyn Fn(&FlightId) -> Option<Vec<SeatNo>>,
}

impl Names<'_> {
    fn customer(&self, c: &str) -> Result<(), String> {
        if self.customers.contains(&CustomerId::new(c)) {
            Ok(())
        } else {
            Err(format!("unknown customer `{c}` (known: {})", list(self.customers)))
        }
    }
    fn vendor(&self, v: &str) -> Result<(), String> {
        if self.vendors.contains(&VendorId::new(v)) {
            Ok(())
        } else {
            Err(format!("unknown vendor `{v}` (known: {})", list(self.vendors)))
        }
    }
    fn flight(&self, f: &str) -> Result<(), String> {
        if self.flights.contains(&FlightId::new(f)) {
            Ok(())
        } else {
            Err(format!("unknown flight `{f}` (known: {})", list(self.flights)))
        }
    }
    fn seat(&self, f: &str, s: &str) -> Result<(), String> {
        self.flight(f)?;
        let seats = (self.seats_of)(&FlightId::new(f)).unwrap_or_default();
        if seats.iter().any(|x| x.as_str() == s) { Ok(()) } else { Err(format!("flight {f} has no seat `{s}`")) }
    }
    fn booking(&self, id: &str) -> Result<(), String> {
        let agg = AggregateId::parse(id).map_err(|e| e.to_string())?;
        self.seat(agg.flight().as_str(), agg.seat_no().as_str())
    }

    fn action(&self, a: &Action) -> Result<(), String> {
        match a {
            Action::Search { .. } => Ok(()),
            Action::SeatsLeft { flight, .. } => self.flight(flight),
            Action::MyBookings { customer, .. } | Action::GdprDelete { customer, .. } => self.customer(customer),
            Action::Hold { customer, flight, seat, .. }
            | Action::Authorize { customer, flight, seat, .. }
            | Action::Pay { customer, flight, seat, .. } => {
                self.customer(customer)?;
                self.seat(flight, seat)
            }
            Action::Itinerary { customer, legs, .. } => {
                self.customer(customer)?;
                if legs.is_empty() || legs.len() > crate::sim::saga::MAX_LEGS {
                    return Err(format!("an itinerary has 1..={} legs", crate::sim::saga::MAX_LEGS));
                }
                legs.iter().try_for_each(|(f, s)| self.seat(f, s))
            }
            Action::Knob(k) => match k {
                KnobChange::SlowVendor { vendor, extra_ms } => {
                    self.vendor(vendor.as_str())?;
                    if *extra_ms > limits::TIME_MS {
                        return Err("extra_ms is more than a day".into());
                    }
                    Ok(())
                }
                KnobChange::FailIssue { vendor, .. } | KnobChange::FailHold { vendor, .. } => {
                    self.vendor(vendor.as_str())
                }
                KnobChange::DuplicateDelivery { pct } | KnobChange::PublishFailure { pct } if *pct > 100 => {
                    Err(format!("{pct}% is more than 100%"))
                }
                KnobChange::Burst { per_s, duration_ms }
                    if *per_s > limits::BURST_PER_S || *duration_ms > limits::BURST_MS =>
                {
                    Err(format!("a burst is at most {}/s for {} ms", limits::BURST_PER_S, limits::BURST_MS))
                }
                _ => Ok(()),
            },
            Action::Stampede { query, gets } => {
                if *gets > limits::STAMPEDE_GETS {
                    return Err(format!("a stampede is at most {} gets", limits::STAMPEDE_GETS));
                }
                match query {
                    CustomerQuery::SeatsLeft { flight } => self.flight(flight.as_str()),
                    CustomerQuery::MyBookings { customer } => self.customer(customer.as_str()),
                    CustomerQuery::Search { .. } => Ok(()),
                }
            }
            Action::Replay(_) => Ok(()),
            Action::Wait(ms) if *ms > limits::TIME_MS => Err("a wait of more than a day".into()),
            Action::Wait(_) => Ok(()),
        }
    }

    fn check(&self, c: &Check) -> Result<(), String> {
        let outcome = |o: &str| {
            crate::sim::protocol::Outcome::from_name(o)
                .map(|_| ())
                .ok_or_else(|| format!("unknown outcome `{o}` (ok, conflict, rejected, inflight)"))
        };
        match c {
            Check::Outcome { is, .. } => outcome(is),
            Check::Booking { id, status, .. } => {
                self.booking(id)?;
                match status {
                    Some(s) if crate::domain::Status::from_name(s).is_none() => {
                        Err(format!("unknown booking status `{s}`"))
                    }
                    _ => Ok(()),
                }
            }
            Check::Events { aggregate, kinds } => {
                self.booking(aggregate)?;
                match kinds.iter().find(|k| crate::domain::EventKind::from_name(k).is_none()) {
                    Some(k) => Err(format!("unknown event type `{k}`")),
                    None => Ok(()),
                }
            }
            Check::Saga { booking, state, .. } => {
                self.booking(booking)?;
                match state {
                    Some(s) if crate::sim::saga::SagaState::from_name(s).is_none() => {
                        Err(format!("unknown saga state `{s}`"))
                    }
                    _ => Ok(()),
                }
            }
            Check::QueryContains { booking, .. } => self.booking(booking),
            Check::VendorSeat { vendor, flight, seat, state } => {
                self.vendor(vendor)?;
                self.seat(flight, seat)?;
                if !["free", "held", "sold"].contains(&state.as_str()) {
                    return Err(format!("unknown seat state `{state}` (free, held, sold)"));
                }
                Ok(())
            }
            Check::NoPii(c) => self.customer(c),
            _ => Ok(()),
        }
    }
}
