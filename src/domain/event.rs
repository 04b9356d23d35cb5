//! Domain events: what happened to one Booking stream, in the past tense.
//!
//! Every event names the customer it concerns (a pseudonymous id) so that
//! projectors can route it without folding; personal data (name, e-mail)
//! travels only in a [`SealedPassenger`] on `SeatHeld`, sealed with the
//! customer's key (see `pii`): the log never holds it readable. Events are immutable facts:
//! nothing here may be edited after it is appended.

use super::ids::{CustomerId, FlightId, SeatNo, Tick, VendorId};
use super::pii::SealedPassenger;
use serde::{Deserialize, Serialize};
use smol_str::SmolStr;

/// Personal data of the traveller. GDPR applies to exactly these fields.
/// Readable only where a customer's profile is read and where a sealed copy
/// is opened for display; everything stored holds it sealed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Passenger {
    pub name: SmolStr,
    pub email: SmolStr,
}

/// The payload of one event of a Booking stream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// A customer holds a seat until `expires_tick` (the hold TTL).
    SeatHeld {
        customer: CustomerId,
        passenger: SealedPassenger,
        vendor: VendorId,
        flight: FlightId,
        seat: SeatNo,
        price_cents: u64,
        expires_tick: Tick,
    },
    /// The card was authorised (money reserved, not yet taken).
    PaymentAuthorized { customer: CustomerId, amount_cents: u64 },
    /// Money was taken from the customer.
    PaymentCaptured { customer: CustomerId, amount_cents: u64 },
    /// The vendor issued the ticket; `pnr` is its record locator.
    TicketIssued { customer: CustomerId, pnr: SmolStr },
    /// The vendor refused or failed to issue the ticket.
    TicketIssueFailed { customer: CustomerId, reason: String },
    /// An issued ticket was voided (a saga compensating a later failure).
    TicketVoided { customer: CustomerId },
    /// A refund of captured money started.
    RefundInitiated { customer: CustomerId, amount_cents: u64 },
    /// The refund reached the customer.
    RefundCompleted { customer: CustomerId, amount_cents: u64 },
    /// The seat went back to sale (compensation or cancellation).
    SeatReleased { customer: CustomerId, reason: String },
    /// The hold timer fired before payment: the seat went back to sale.
    SeatHoldExpired { customer: CustomerId },
    /// GDPR erasure: no history is deleted; projections must forget the
    /// customer's personal data.
    GdprTombstone { customer: CustomerId },
}

/// The type of an event, without its payload.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum EventKind {
    SeatHeld,
    PaymentAuthorized,
    PaymentCaptured,
    TicketIssued,
    TicketIssueFailed,
    TicketVoided,
    RefundInitiated,
    RefundCompleted,
    SeatReleased,
    SeatHoldExpired,
    GdprTombstone,
}

// The names shown in tables, used as the bus routing key suffix and
// written in scenario files. Serde keeps the variant names (the derive
// above): view hashes serialise them, and must not change.
crate::names!(EventKind as "event type" {
    SeatHeld => "SeatHeld",
    PaymentAuthorized => "PaymentAuthorized",
    PaymentCaptured => "PaymentCaptured",
    TicketIssued => "TicketIssued",
    TicketIssueFailed => "TicketIssueFailed",
    TicketVoided => "TicketVoided",
    RefundInitiated => "RefundInitiated",
    RefundCompleted => "RefundCompleted",
    SeatReleased => "SeatReleased",
    SeatHoldExpired => "SeatHoldExpired",
    GdprTombstone => "GDPRTombstone",
});

impl Event {
    pub fn kind(&self) -> EventKind {
        match self {
            Event::SeatHeld { .. } => EventKind::SeatHeld,
            Event::PaymentAuthorized { .. } => EventKind::PaymentAuthorized,
            Event::PaymentCaptured { .. } => EventKind::PaymentCaptured,
            Event::TicketIssued { .. } => EventKind::TicketIssued,
            Event::TicketIssueFailed { .. } => EventKind::TicketIssueFailed,
            Event::TicketVoided { .. } => EventKind::TicketVoided,
            Event::RefundInitiated { .. } => EventKind::RefundInitiated,
            Event::RefundCompleted { .. } => EventKind::RefundCompleted,
            Event::SeatReleased { .. } => EventKind::SeatReleased,
            Event::SeatHoldExpired { .. } => EventKind::SeatHoldExpired,
            Event::GdprTombstone { .. } => EventKind::GdprTombstone,
        }
    }

    /// The customer this event concerns.
    pub fn customer(&self) -> &CustomerId {
        match self {
            Event::SeatHeld { customer, .. }
            | Event::PaymentAuthorized { customer, .. }
            | Event::PaymentCaptured { customer, .. }
            | Event::TicketIssued { customer, .. }
            | Event::TicketIssueFailed { customer, .. }
            | Event::TicketVoided { customer }
            | Event::RefundInitiated { customer, .. }
            | Event::RefundCompleted { customer, .. }
            | Event::SeatReleased { customer, .. }
            | Event::SeatHoldExpired { customer }
            | Event::GdprTombstone { customer } => customer,
        }
    }

    /// One line for tables: the payload without the customer's PII.
    pub fn preview(&self) -> String {
        match self {
            Event::SeatHeld { customer, vendor, price_cents, expires_tick, .. } => {
                format!("{customer} via {vendor} {}.{:02} until t{expires_tick}", price_cents / 100, price_cents % 100)
            }
            Event::PaymentAuthorized { amount_cents, .. }
            | Event::PaymentCaptured { amount_cents, .. }
            | Event::RefundInitiated { amount_cents, .. }
            | Event::RefundCompleted { amount_cents, .. } => {
                format!("{}.{:02}", amount_cents / 100, amount_cents % 100)
            }
            Event::TicketIssued { pnr, .. } => format!("PNR {pnr}"),
            Event::TicketIssueFailed { reason, .. } | Event::SeatReleased { reason, .. } => reason.clone(),
            Event::TicketVoided { customer }
            | Event::SeatHoldExpired { customer }
            | Event::GdprTombstone { customer } => customer.to_string(),
        }
    }
}
