//! The peer's read side: five `cqrs_es::Query` processors whose in-memory
//! views mirror our read models (AvailableFlights, CustomerBookings,
//! BookingDetail, VendorLedger, Revenue), and `Views`, which builds them,
//! hands them to the framework and checks them after a run.
//!
//! `Query` takes `&self`, so each view sits behind a lock, shared (`Arc`)
//! with the bench so that it can check the views after the run. Views only
//! fold events: they must not decide commands, store events or time
//! anything.

use crate::domain::{Id, Seat, SeatEvent, Status};
use crate::workload::{PRICE_CENTS, SEATS_PER_FLIGHT, flight_id};
use async_trait::async_trait;
use cqrs_es::{EventEnvelope, Query};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

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
    pub fn update(&self, events: &[EventEnvelope<Seat>]) {
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
    pub fn update(&self, booking: &str, events: &[EventEnvelope<Seat>]) {
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
    pub fn update(&self, booking: &str, events: &[EventEnvelope<Seat>]) {
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
    pub fn update(&self, booking: &str, events: &[EventEnvelope<Seat>]) {
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
    pub fn update(&self, events: &[EventEnvelope<Seat>]) {
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
pub struct Views {
    pub available: AvailableFlights,
    pub customers: CustomerBookings,
    pub detail: BookingDetail,
    pub ledger: VendorLedger,
    pub revenue: Revenue,
}

impl Views {
    pub fn new(n_flights: usize) -> Self {
        let views = Views::default();
        let mut seats_left = views.available.0.lock().unwrap();
        for f in 0..n_flights {
            seats_left.insert(flight_id(f), SEATS_PER_FLIGHT);
        }
        drop(seats_left);
        views
    }

    pub fn queries(&self) -> Vec<Box<dyn Query<Seat>>> {
        vec![
            Box::new(self.available.clone()),
            Box::new(self.customers.clone()),
            Box::new(self.detail.clone()),
            Box::new(self.ledger.clone()),
            Box::new(self.revenue.clone()),
        ]
    }

    /// The views agree with the workload (not timed).
    pub fn check(&self, n_seats: usize, n_flights: usize) {
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
