//! Why the Booking aggregate refuses a command. Each variant is a business
//! rule, phrased so a person reading the command log understands it.

use super::booking::Status;
use super::ids::{CustomerId, Tick};
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DomainError {
    /// Someone else holds or bought the seat.
    SeatTaken { holder: CustomerId, status: Status },
    /// The command needs a held seat and there is none (never held, or released).
    NotHeld { status: Status },
    /// The seat is held by another customer.
    WrongCustomer { holder: CustomerId },
    /// The hold's TTL passed before payment.
    HoldExpired { expired_at: Tick },
    /// The command needs a state the booking is not in.
    InvalidState { command: &'static str, status: Status },
}

impl fmt::Display for DomainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DomainError::SeatTaken { holder, status } => {
                write!(f, "seat already {} by {holder}", status.name())
            }
            DomainError::NotHeld { status } => {
                write!(f, "no hold on this seat (it is {})", status.name())
            }
            DomainError::WrongCustomer { holder } => write!(f, "seat is held by {holder}"),
            DomainError::HoldExpired { expired_at } => {
                write!(f, "hold expired at t{expired_at}")
            }
            DomainError::InvalidState { command, status } => {
                write!(f, "{command} not allowed when the booking is {}", status.name())
            }
        }
    }
}

impl std::error::Error for DomainError {}
