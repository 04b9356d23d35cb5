//! Identifiers and simulated time units shared by the domain and the sim.
//!
//! Ids are cheap-to-clone strings so that events, rows and messages can
//! name the same stream without copying: up to 23 bytes (every id the
//! scenarios use) they live inline, so comparing two ids in a sorted
//! index reads the index's own memory instead of chasing a pointer per
//! key; longer ones are shared. They must stay plain data: no lookups, no
//! global registries.

use serde::{Deserialize, Serialize};
use smol_str::SmolStr;
use std::fmt;

/// A simulated tick: 50 ms of simulated time. The simulation never reads the
/// wall clock; `tick * TICK_MS` is the only notion of time.
pub type Tick = u64;

/// Length of one simulated tick in milliseconds.
pub const TICK_MS: u64 = 50;

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(SmolStr);

        impl $name {
            pub fn new(s: impl AsRef<str>) -> Self {
                Self(SmolStr::new(s.as_ref()))
            }
            #[inline]
            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }
        }
        // Equality, order and hash are the text's (as `Borrow<str>`
        // requires), written out so they inline: `SmolStr`'s own are not
        // marked `#[inline]`, so every comparison in a sorted index's
        // search was a call into another crate.
        impl PartialEq for $name {
            #[inline]
            fn eq(&self, other: &Self) -> bool {
                self.as_str() == other.as_str()
            }
        }
        impl Eq for $name {}
        impl PartialOrd for $name {
            #[inline]
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }
        impl Ord for $name {
            #[inline]
            fn cmp(&self, other: &Self) -> std::cmp::Ordering {
                self.as_str().cmp(other.as_str())
            }
        }
        impl std::hash::Hash for $name {
            #[inline]
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                self.as_str().hash(state)
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{:?}", &*self.0)
            }
        }
        // Lets maps keyed by the id be probed with a `&str` (same order,
        // same hash: the id is its string), without building an id.
        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self::new(s)
            }
        }
    };
}

string_id!(
    /// A flight number, e.g. `IB3166`.
    FlightId
);
string_id!(
    /// A seat on a flight, e.g. `14C`.
    SeatNo
);
string_id!(
    /// A customer id from the scenario (`ana`) or a synthetic one (`burst-17`).
    /// Not PII by itself: names and e-mails live in [`crate::domain::Passenger`].
    CustomerId
);
string_id!(
    /// A vendor adapter id: `V1`, `V2`, `V3`.
    VendorId
);
string_id!(
    /// One Booking stream per bookable seat: `FLIGHT/SEAT`, e.g. `IB3166/14C`.
    AggregateId
);

/// A malformed identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdError(pub String);

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for IdError {}

impl AggregateId {
    /// The stream id of one seat.
    pub fn seat(flight: &FlightId, seat: &SeatNo) -> Self {
        Self(smol_str::format_smolstr!("{flight}/{seat}"))
    }

    /// Parses `FLIGHT/SEAT`; both halves must be non-empty.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        match s.split_once('/') {
            Some((f, seat)) if !f.is_empty() && !seat.is_empty() && !seat.contains('/') => Ok(Self::new(s)),
            _ => Err(IdError(format!("booking id `{s}` is not of the form FLIGHT/SEAT (e.g. IB3166/14C)"))),
        }
    }

    /// The flight half of the id.
    pub fn flight(&self) -> FlightId {
        FlightId::new(self.0.split_once('/').map_or(&*self.0, |(f, _)| f))
    }

    /// The seat half of the id.
    pub fn seat_no(&self) -> SeatNo {
        SeatNo::new(self.0.split_once('/').map_or("", |(_, s)| s))
    }
}
