//! Validation of a parsed scenario: every name refers to something that
//! exists in its world, and every number is within [`limits`].
//!
//! Only references and limits are checked here. The spelling of closed
//! sets (outcomes, statuses, states, event types) is the parser's job (see
//! `schema`), and validation must not read the engine or change the script.

use super::{Action, Check, Scenario, Step};
use crate::domain::{AggregateId, CustomerId, FlightId, SeatNo, VendorId};
use crate::sim::KnobChange;
use crate::sim::config::WorldConfig;
use crate::sim::query_api::CustomerQuery;
use std::collections::BTreeSet;
use std::fmt;

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

/// Where a scenario is wrong (`world.flights[2].vendor`, `step 3 'hold
/// seat', actions[0]`) and why.
type Refusal = (String, String);

/// A refusal at `world.<field>`.
fn world<T>(field: &str, message: String) -> Result<T, Refusal> {
    Err((format!("world.{field}"), message))
}

impl Scenario {
    /// Every name refers to something that exists; every number is within
    /// limits. The first problem found is the one reported, so the order of
    /// the steps below is part of what a bad file is told.
    pub(super) fn validate(&self) -> Result<(), Refusal> {
        for (i, d) in self.disable.iter().enumerate() {
            if let Err(e) = crate::sim::Safeguard::parse(d) {
                return Err((format!("disable[{i}]"), e));
            }
        }
        if self.steps.len() > limits::STEPS {
            return Err(("steps".into(), format!("{} steps; the limit is {}", self.steps.len(), limits::STEPS)));
        }
        let w = &self.world;
        world_sizes(w)?;
        let vendors = vendors(w)?;
        let flights = flights(w, &vendors)?;
        let customers = customers(w)?;
        timing(w)?;
        if let Some(m) = self.max_ms
            && m > limits::TIME_MS
        {
            return Err(("max_ms".into(), format!("{m} ms is more than a day")));
        }
        let seats_of = |f: &FlightId| w.flights.iter().find(|x| &x.id == f).map(|x| x.all_seats());
        let ctx = Names { vendors: &vendors, flights: &flights, customers: &customers, seats_of: &seats_of };
        self.steps.iter().enumerate().try_for_each(|(i, step)| ctx.step(i, step))
    }
}

fn world_sizes(w: &WorldConfig) -> Result<(), Refusal> {
    if w.vendors.len() > limits::VENDORS {
        return world("vendors", format!("at most {} vendors", limits::VENDORS));
    }
    if w.flights.len() > limits::FLIGHTS {
        return world("flights", format!("at most {} flights", limits::FLIGHTS));
    }
    if w.customers.len() > limits::CUSTOMERS {
        return world("customers", format!("at most {} customers", limits::CUSTOMERS));
    }
    Ok(())
}

/// The vendor ids, each defined once with a sane latency.
fn vendors(w: &WorldConfig) -> Result<BTreeSet<VendorId>, Refusal> {
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
    Ok(vendors)
}

/// The flight ids, each defined once, sold by a known vendor, with seats
/// that are well named and listed once.
fn flights(w: &WorldConfig, vendors: &BTreeSet<VendorId>) -> Result<BTreeSet<FlightId>, Refusal> {
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
                format!("unknown vendor {} (known: {})", f.vendor, list(vendors)),
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
    Ok(flights)
}

/// The customer ids, each defined once.
fn customers(w: &WorldConfig) -> Result<BTreeSet<CustomerId>, Refusal> {
    let mut customers = BTreeSet::new();
    for (i, c) in w.customers.iter().enumerate() {
        if !customers.insert(c.id.clone()) {
            return world(&format!("customers[{i}].id"), format!("customer {} defined twice", c.id));
        }
    }
    Ok(customers)
}

/// Times within a day, ranges the right way round, rates and batches
/// that neither stall nor flood a run.
fn timing(w: &WorldConfig) -> Result<(), Refusal> {
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
    Ok(())
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
    /// Step `i` (0-based): its times and sizes within limits, and every
    /// name in its actions and checks known.
    fn step(&self, i: usize, step: &Step) -> Result<(), Refusal> {
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
            self.action(a).map_err(|m| (at(format!("actions[{j}]")), m))?;
        }
        for (j, e) in step.expect.iter().enumerate() {
            if e.at_ms > limits::TIME_MS {
                return Err((at(format!("expect[{j}].at_ms")), "more than a day".into()));
            }
            self.check(&e.check).map_err(|m| (at(format!("expect[{j}]")), m))?;
        }
        Ok(())
    }

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
                KnobChange::CrashOutboxPumper { restart_ms }
                | KnobChange::CrashOrchestrator { restart_ms }
                | KnobChange::CrashProjector { restart_ms, .. }
                    if *restart_ms > limits::TIME_MS =>
                {
                    Err("restart_ms is more than a day".into())
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
        match c {
            Check::Booking { id: booking, .. }
            | Check::Events { aggregate: booking, .. }
            | Check::Saga { booking, .. }
            | Check::QueryContains { booking, .. }
            | Check::QueryLacks { booking, .. } => self.booking(booking.as_str()),
            Check::VendorSeat { vendor, flight, seat, .. } => {
                self.vendor(vendor.as_str())?;
                self.seat(flight.as_str(), seat.as_str())
            }
            Check::NoPii(c) => self.customer(c.as_str()),
            _ => Ok(()),
        }
    }
}
