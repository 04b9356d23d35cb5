//! The Booking aggregate: one event stream per bookable seat.
//!
//! `handle` decides (pure: state + command → events or a refusal) and
//! `apply` evolves (pure: state + event → state). The current state of a
//! seat is only ever `fold(events)`: there is no other copy to update.
//! Compensating commands (release, refund, void) are idempotent: asking
//! twice, or asking when there is nothing to undo, yields no event.

use super::command::Command;
use super::error::DomainError;
use super::event::Event;
use super::ids::{AggregateId, CustomerId, FlightId, SeatNo, Tick, VendorId};
use serde::{Deserialize, Serialize};

/// Where a booking stands. `Available` is version 0 (never touched).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Status {
    Available,
    Held,
    Authorized,
    Paid,
    Issued,
    IssueFailed,
    Voided,
    Refunding,
    Refunded,
    Released,
    Expired,
}

// The names reports, tables and scenario files spell. Serde keeps the
// variant names (the derive above): view hashes serialise them, and must
// not change.
crate::names!(Status as "booking status" {
    Available => "available",
    Held => "held",
    Authorized => "authorized",
    Paid => "paid",
    Issued => "issued",
    IssueFailed => "issue-failed",
    Voided => "voided",
    Refunding => "refunding",
    Refunded => "refunded",
    Released => "released",
    Expired => "expired",
});

impl Status {
    /// Whether the seat is taken (cannot be held by someone else).
    pub fn occupies_seat(self) -> bool {
        !matches!(self, Status::Available | Status::Released | Status::Expired)
    }

    /// Whether a hold is open and waiting for payment.
    pub fn is_hold(self) -> bool {
        matches!(self, Status::Held | Status::Authorized)
    }
}

/// The state of one seat's stream, as folded from its events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Booking {
    pub id: AggregateId,
    /// Number of events in the stream; 0 = never touched.
    pub version: u32,
    pub status: Status,
    /// The customer of the current (latest) hold.
    pub customer: Option<CustomerId>,
    pub vendor: Option<VendorId>,
    pub price_cents: u64,
    pub expires_tick: Tick,
    pub captured_cents: u64,
    pub refunded_cents: u64,
    pub pnr: Option<smol_str::SmolStr>,
    /// The version of the SeatHeld that opened the current hold cycle
    /// (compensations name it, so they never undo a later customer's hold).
    pub hold_version: u32,
    /// Every customer who ever held this seat (their PII is in the stream),
    /// each once, in the order they first held it. A list, not a set: it
    /// holds one or two names, and every load by fold rebuilds it.
    pub customers_seen: Vec<CustomerId>,
    /// Customers whose personal data in this stream is erased: tombstoned
    /// since they last held the seat (a new hold takes them off the list).
    pub tombstoned: Vec<CustomerId>,
}

impl Booking {
    /// Version 0: a seat nobody has touched.
    pub fn new(id: AggregateId) -> Self {
        Booking {
            id,
            version: 0,
            status: Status::Available,
            customer: None,
            vendor: None,
            price_cents: 0,
            expires_tick: 0,
            captured_cents: 0,
            refunded_cents: 0,
            pnr: None,
            hold_version: 0,
            customers_seen: Vec::new(),
            tombstoned: Vec::new(),
        }
    }

    pub fn flight(&self) -> FlightId {
        self.id.flight()
    }

    pub fn seat(&self) -> SeatNo {
        self.id.seat_no()
    }

    /// Money taken and not given back.
    pub fn net_cents(&self) -> u64 {
        self.captured_cents.saturating_sub(self.refunded_cents)
    }

    fn holder(&self) -> CustomerId {
        self.customer.clone().unwrap_or_else(|| CustomerId::new("nobody"))
    }

    fn check_holder(&self, customer: &CustomerId, now: Tick) -> Result<(), DomainError> {
        match self.status {
            Status::Held | Status::Authorized => {}
            Status::Expired => {
                return Err(DomainError::HoldExpired { expired_at: self.expires_tick });
            }
            Status::Available | Status::Released => {
                return Err(DomainError::NotHeld { status: self.status });
            }
            status => return Err(DomainError::InvalidState { command: "Pay", status }),
        }
        if self.customer.as_ref() != Some(customer) {
            return Err(DomainError::WrongCustomer { holder: self.holder() });
        }
        if now >= self.expires_tick {
            return Err(DomainError::HoldExpired { expired_at: self.expires_tick });
        }
        Ok(())
    }
}

/// Decide: what events does `command` produce on `state`, or why not.
pub fn handle(state: &Booking, command: &Command) -> Result<Vec<Event>, DomainError> {
    let customer = || state.holder();
    match command {
        Command::HoldSeat { customer: who, passenger, vendor, flight, price_cents, now, hold_ttl_ticks } => {
            if state.status.occupies_seat() {
                return Err(DomainError::SeatTaken { holder: customer(), status: state.status });
            }
            Ok(vec![Event::SeatHeld {
                customer: who.clone(),
                passenger: passenger.clone(),
                vendor: vendor.clone(),
                flight: flight.clone(),
                seat: state.seat(),
                price_cents: *price_cents,
                expires_tick: now + hold_ttl_ticks,
            }])
        }
        Command::AuthorizePayment { customer: who, now } => {
            if state.status == Status::Authorized && state.customer.as_ref() == Some(who) {
                return Ok(vec![]);
            }
            state.check_holder(who, *now)?;
            Ok(vec![Event::PaymentAuthorized { customer: who.clone(), amount_cents: state.price_cents }])
        }
        Command::Pay { customer: who, now } => {
            state.check_holder(who, *now)?;
            Ok(vec![Event::PaymentCaptured { customer: who.clone(), amount_cents: state.price_cents }])
        }
        Command::IssueTicket { pnr } => match state.status {
            Status::Paid => Ok(vec![Event::TicketIssued { customer: customer(), pnr: pnr.clone() }]),
            Status::Issued if state.pnr.as_ref() == Some(pnr) => Ok(vec![]),
            status => Err(DomainError::InvalidState { command: "IssueTicket", status }),
        },
        Command::FailIssue { reason } => match state.status {
            Status::Paid => Ok(vec![Event::TicketIssueFailed { customer: customer(), reason: reason.clone() }]),
            Status::IssueFailed => Ok(vec![]),
            status => Err(DomainError::InvalidState { command: "FailIssue", status }),
        },
        Command::VoidTicket => match state.status {
            Status::Issued => Ok(vec![Event::TicketVoided { customer: customer() }]),
            _ => Ok(vec![]),
        },
        Command::InitiateRefund => initiate_refund(state),
        Command::CompleteRefund => complete_refund(state),
        Command::ReleaseSeat { reason } => release_seat(state, reason),
        Command::ExpireHold { now } => {
            if state.status.is_hold() && *now >= state.expires_tick {
                Ok(vec![Event::SeatHoldExpired { customer: customer() }])
            } else {
                Ok(vec![])
            }
        }
        Command::Tombstone { customer: who } => {
            if state.customers_seen.contains(who) && !state.tombstoned.contains(who) {
                Ok(vec![Event::GdprTombstone { customer: who.clone() }])
            } else {
                Ok(vec![])
            }
        }
    }
}

// The saga's compensations, undoing a booking backwards: refund the money
// taken (initiate, then complete), then give the seat back. Each is a
// no-op once its undoing is done, so a retried step changes nothing.

fn initiate_refund(state: &Booking) -> Result<Vec<Event>, DomainError> {
    match state.status {
        Status::Paid | Status::IssueFailed | Status::Voided if state.net_cents() > 0 => {
            Ok(vec![Event::RefundInitiated { customer: state.holder(), amount_cents: state.net_cents() }])
        }
        Status::Issued => Err(DomainError::InvalidState { command: "InitiateRefund", status: Status::Issued }),
        _ => Ok(vec![]),
    }
}

fn complete_refund(state: &Booking) -> Result<Vec<Event>, DomainError> {
    match state.status {
        Status::Refunding => {
            Ok(vec![Event::RefundCompleted { customer: state.holder(), amount_cents: state.net_cents() }])
        }
        _ => Ok(vec![]),
    }
}

/// Refused while money is still held (refund it first).
fn release_seat(state: &Booking, reason: &str) -> Result<Vec<Event>, DomainError> {
    match state.status {
        Status::Available | Status::Released | Status::Expired => Ok(vec![]),
        Status::Paid | Status::Issued | Status::Refunding => {
            Err(DomainError::InvalidState { command: "ReleaseSeat", status: state.status })
        }
        _ if state.net_cents() > 0 => Err(DomainError::InvalidState { command: "ReleaseSeat", status: state.status }),
        _ => Ok(vec![Event::SeatReleased { customer: state.holder(), reason: reason.into() }]),
    }
}

/// Evolve: the state after `event`. Total: every event applies to any state
/// (the store only ever holds events that `handle` produced).
pub fn apply(mut state: Booking, event: &Event) -> Booking {
    state.version += 1;
    match event {
        Event::SeatHeld { customer, vendor, price_cents, expires_tick, .. } => {
            state.status = Status::Held;
            state.hold_version = state.version;
            state.customer = Some(customer.clone());
            if !state.customers_seen.contains(customer) {
                state.customers_seen.push(customer.clone());
            }
            // A customer who comes back after her erasure brings new
            // personal data: a later erasure must tombstone it again.
            state.tombstoned.retain(|c| c != customer);
            state.vendor = Some(vendor.clone());
            state.price_cents = *price_cents;
            state.expires_tick = *expires_tick;
            state.captured_cents = 0;
            state.refunded_cents = 0;
            state.pnr = None;
        }
        Event::PaymentAuthorized { .. } => state.status = Status::Authorized,
        Event::PaymentCaptured { amount_cents, .. } => {
            state.status = Status::Paid;
            state.captured_cents += amount_cents;
        }
        Event::TicketIssued { pnr, .. } => {
            state.status = Status::Issued;
            state.pnr = Some(pnr.clone());
        }
        Event::TicketIssueFailed { .. } => state.status = Status::IssueFailed,
        Event::TicketVoided { .. } => state.status = Status::Voided,
        Event::RefundInitiated { .. } => state.status = Status::Refunding,
        Event::RefundCompleted { amount_cents, .. } => {
            state.status = Status::Refunded;
            state.refunded_cents += amount_cents;
        }
        Event::SeatReleased { .. } => state.status = Status::Released,
        Event::SeatHoldExpired { .. } => state.status = Status::Expired,
        Event::GdprTombstone { customer } => {
            if !state.tombstoned.contains(customer) {
                state.tombstoned.push(customer.clone());
            }
        }
    }
    state
}

/// Load by fold: the state of stream `id` after `events`, in version order.
pub fn fold<'a>(id: AggregateId, events: impl IntoIterator<Item = &'a Event>) -> Booking {
    events.into_iter().fold(Booking::new(id), apply)
}

#[cfg(test)]
mod tests {
    //! Given/when/then: given past events, when a command, then events or an error.
    use super::*;
    use crate::domain::{Key, Passenger};

    fn id() -> AggregateId {
        AggregateId::new("IB3166/14C")
    }
    fn ana() -> CustomerId {
        CustomerId::new("ana")
    }
    fn hold(now: Tick) -> Command {
        Command::HoldSeat {
            customer: ana(),
            passenger: Passenger { name: "Ana".into(), email: "ana@example.com".into() }.seal(&Key([1; 32]), 0, 1),
            vendor: VendorId::new("V1"),
            flight: FlightId::new("IB3166"),
            price_cents: 10_000,
            now,
            hold_ttl_ticks: 100,
        }
    }
    fn given(events: &[Event]) -> Booking {
        fold(id(), events)
    }
    fn when(state: &Booking, cmd: Command) -> Result<Vec<Event>, DomainError> {
        handle(state, &cmd)
    }
    fn held() -> Vec<Event> {
        when(&given(&[]), hold(0)).unwrap()
    }
    fn paid() -> Vec<Event> {
        let mut ev = held();
        ev.extend(when(&given(&ev), Command::Pay { customer: ana(), now: 10 }).unwrap());
        ev
    }

    #[test]
    fn given_nothing_when_hold_then_seat_held_v1() {
        let ev = held();
        assert_eq!(ev.len(), 1);
        assert!(matches!(&ev[0], Event::SeatHeld { expires_tick: 100, seat, .. } if seat.as_str() == "14C"));
        let s = given(&ev);
        assert_eq!((s.version, s.status), (1, Status::Held));
    }

    #[test]
    fn given_held_when_another_hold_then_seat_taken() {
        let err = when(&given(&held()), hold(5)).unwrap_err();
        assert!(matches!(err, DomainError::SeatTaken { status: Status::Held, .. }));
    }

    #[test]
    fn given_held_when_pay_issue_then_v3_issued() {
        let mut ev = paid();
        ev.extend(when(&given(&ev), Command::IssueTicket { pnr: "ABC123".into() }).unwrap());
        let s = given(&ev);
        assert_eq!((s.version, s.status, s.captured_cents), (3, Status::Issued, 10_000));
        assert_eq!(
            ev.iter().map(|e| e.kind().name()).collect::<Vec<_>>(),
            ["SeatHeld", "PaymentCaptured", "TicketIssued"]
        );
    }

    #[test]
    fn given_held_when_pay_after_ttl_then_rejected_hold_expired() {
        let err = when(&given(&held()), Command::Pay { customer: ana(), now: 100 }).unwrap_err();
        assert_eq!(err, DomainError::HoldExpired { expired_at: 100 });
    }

    #[test]
    fn given_expired_when_pay_then_rejected() {
        let mut ev = held();
        ev.extend(when(&given(&ev), Command::ExpireHold { now: 100 }).unwrap());
        assert_eq!(given(&ev).status, Status::Expired);
        let err = when(&given(&ev), Command::Pay { customer: ana(), now: 50 }).unwrap_err();
        assert!(matches!(err, DomainError::HoldExpired { .. }));
    }

    #[test]
    fn given_paid_when_timer_fires_then_nothing() {
        assert_eq!(when(&given(&paid()), Command::ExpireHold { now: 500 }).unwrap(), vec![]);
    }

    #[test]
    fn given_held_when_other_customer_pays_then_wrong_customer() {
        let err = when(&given(&held()), Command::Pay { customer: "bob".into(), now: 1 }).unwrap_err();
        assert!(matches!(err, DomainError::WrongCustomer { .. }));
    }

    #[test]
    fn given_nothing_when_pay_then_not_held() {
        let err = when(&given(&[]), Command::Pay { customer: ana(), now: 1 }).unwrap_err();
        assert_eq!(err, DomainError::NotHeld { status: Status::Available });
    }

    #[test]
    fn given_issue_failed_when_compensate_then_refund_then_release_idempotently() {
        let mut ev = paid();
        ev.extend(when(&given(&ev), Command::FailIssue { reason: "V3 503".into() }).unwrap());
        // Release before refund is refused: money would be lost.
        assert!(when(&given(&ev), Command::ReleaseSeat { reason: "x".into() }).is_err());
        for cmd in [Command::InitiateRefund, Command::CompleteRefund, Command::ReleaseSeat { reason: "comp".into() }] {
            let out = when(&given(&ev), cmd.clone()).unwrap();
            assert_eq!(out.len(), 1, "{cmd:?}");
            ev.extend(out);
            // Idempotent: the same compensation again does nothing.
            assert_eq!(when(&given(&ev), cmd).unwrap(), vec![]);
        }
        let s = given(&ev);
        assert_eq!((s.status, s.net_cents()), (Status::Released, 0));
        assert_eq!(s.version, 6);
    }

    #[test]
    fn given_released_when_hold_again_then_new_hold() {
        let mut ev = held();
        ev.extend(when(&given(&ev), Command::ReleaseSeat { reason: "timeout".into() }).unwrap());
        let out = when(&given(&ev), hold(200)).unwrap();
        assert!(matches!(&out[0], Event::SeatHeld { expires_tick: 300, .. }));
    }

    #[test]
    fn given_issued_when_void_refund_release_then_released() {
        let mut ev = paid();
        ev.extend(when(&given(&ev), Command::IssueTicket { pnr: "P".into() }).unwrap());
        assert!(when(&given(&ev), Command::InitiateRefund).is_err(), "void first");
        for cmd in [
            Command::VoidTicket,
            Command::InitiateRefund,
            Command::CompleteRefund,
            Command::ReleaseSeat { reason: "c".into() },
        ] {
            ev.extend(when(&given(&ev), cmd).unwrap());
        }
        assert_eq!(given(&ev).status, Status::Released);
    }

    #[test]
    fn given_held_when_tombstone_then_once() {
        let mut ev = held();
        let out = when(&given(&ev), Command::Tombstone { customer: ana() }).unwrap();
        assert_eq!(out, vec![Event::GdprTombstone { customer: ana() }]);
        ev.extend(out);
        assert_eq!(when(&given(&ev), Command::Tombstone { customer: ana() }).unwrap(), vec![]);
        assert_eq!(given(&ev).status, Status::Held, "a tombstone changes no booking state");
    }

    #[test]
    fn given_tombstoned_then_held_again_when_tombstone_then_again() {
        let mut ev = held();
        ev.extend(when(&given(&ev), Command::Tombstone { customer: ana() }).unwrap());
        ev.extend(when(&given(&ev), Command::ExpireHold { now: 1_000 }).unwrap());
        ev.extend(when(&given(&ev), hold(2_000)).unwrap());
        assert!(given(&ev).tombstoned.is_empty(), "her new hold brought new personal data");
        let out = when(&given(&ev), Command::Tombstone { customer: ana() }).unwrap();
        assert_eq!(out, vec![Event::GdprTombstone { customer: ana() }], "the second erasure erases it too");
    }

    #[test]
    fn given_stranger_when_tombstone_then_nothing() {
        assert_eq!(when(&given(&held()), Command::Tombstone { customer: "zed".into() }).unwrap(), vec![]);
    }

    #[test]
    fn given_authorized_when_pay_then_captured() {
        let mut ev = held();
        ev.extend(when(&given(&ev), Command::AuthorizePayment { customer: ana(), now: 1 }).unwrap());
        assert_eq!(given(&ev).status, Status::Authorized);
        ev.extend(when(&given(&ev), Command::Pay { customer: ana(), now: 2 }).unwrap());
        assert_eq!(given(&ev).status, Status::Paid);
    }
}
