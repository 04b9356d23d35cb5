//! The peer's domain: one seat's booking stream as a `cqrs_es::Aggregate`
//! (`Seat`), with its commands (`SeatCommand`), events (`SeatEvent`) and
//! errors (`SeatError`), shaped like ours so that both sides carry the same
//! payloads.
//!
//! Only the write side's rules live here (hold if available, pay if held by
//! the same customer before expiry, issue if paid). It must not know of
//! views, stores, the workload or timing, and must not use anything of our
//! engine (`cqrs_tickets`): it is the peer's own code.

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A cheap-to-clone id, as ours (an inline string up to 23 bytes,
/// `SmolStr`, serialised as a string).
pub type Id = smol_str::SmolStr;

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
