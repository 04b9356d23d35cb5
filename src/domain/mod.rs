//! The domain: plain Rust, no Bevy, no clock, no randomness.
//!
//! Commands, events, the Booking aggregate (one stream per seat, id
//! `FLIGHT/SEAT`) as the pure pair `handle(&Booking, &Command)` /
//! `apply(Booking, &Event)`, and the event envelope with its hash chain.
//! Everything here is deterministic and cheap to test in given/when/then
//! form. It must never import Bevy or read anything outside its arguments:
//! the simulation (`crate::sim`) is the only place where time passes.

mod booking;
mod command;
mod envelope;
mod error;
mod event;
mod ids;
pub mod names;
mod pii;

pub use booking::{Booking, Status, apply as booking_apply, fold, handle};
pub use command::Command;
pub use envelope::{EventEnvelope, Hash, HashChain, SealArgs, ZERO_HASH, hex};
pub use error::DomainError;
pub use event::{Event, EventKind, Passenger};
pub use ids::{AggregateId, CustomerId, FlightId, IdError, SeatNo, TICK_MS, Tick, VendorId};
pub use names::Named;
pub use pii::{Key, SealedPassenger};
