//! Commands addressed to one Booking stream: what someone asks for, in the
//! imperative. A command may be refused; it never changes state by itself
//! (only the events that `handle` returns do).

use super::ids::{CustomerId, FlightId, Tick, VendorId};
use super::pii::SealedPassenger;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    /// Hold the seat for `customer` until `now + hold_ttl_ticks`.
    HoldSeat {
        customer: CustomerId,
        passenger: SealedPassenger,
        vendor: VendorId,
        flight: FlightId,
        price_cents: u64,
        now: Tick,
        hold_ttl_ticks: Tick,
    },
    /// Authorise the card for the held seat (optional before `Pay`).
    AuthorizePayment { customer: CustomerId, now: Tick },
    /// Capture the money for the held seat.
    Pay { customer: CustomerId, now: Tick },
    /// Record the vendor's ticket (saga step).
    IssueTicket { pnr: smol_str::SmolStr },
    /// Record the vendor's refusal to issue (saga step).
    FailIssue { reason: String },
    /// Void an issued ticket (saga compensation).
    VoidTicket,
    /// Start refunding captured money (saga compensation). Idempotent.
    InitiateRefund,
    /// Finish a started refund (saga compensation). Idempotent.
    CompleteRefund,
    /// Put the seat back on sale (saga compensation). Idempotent.
    ReleaseSeat { reason: String },
    /// The hold timer fired. A no-op when the seat was paid meanwhile.
    ExpireHold { now: Tick },
    /// GDPR erasure of the customer's personal data. Idempotent.
    Tombstone { customer: CustomerId },
}

impl Command {
    /// Short name for logs and tables.
    pub fn name(&self) -> &'static str {
        match self {
            Command::HoldSeat { .. } => "HoldSeat",
            Command::AuthorizePayment { .. } => "AuthorizePayment",
            Command::Pay { .. } => "Pay",
            Command::IssueTicket { .. } => "IssueTicket",
            Command::FailIssue { .. } => "FailIssue",
            Command::VoidTicket => "VoidTicket",
            Command::InitiateRefund => "InitiateRefund",
            Command::CompleteRefund => "CompleteRefund",
            Command::ReleaseSeat { .. } => "ReleaseSeat",
            Command::ExpireHold { .. } => "ExpireHold",
            Command::Tombstone { .. } => "GDPRDelete",
        }
    }
}
