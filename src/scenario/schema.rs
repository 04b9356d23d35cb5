//! The scenario language: the types a RON file is read into, with serde.
//!
//! Only the shape of a file lives here: what a file may say and how it is
//! spelled. Whether the names it uses exist, and whether its numbers are
//! within limits, is `validate`'s business; what it means in ticks and
//! engine requests is `plan`'s; nothing here reads the engine.

use crate::sim::KnobChange;
use crate::sim::config::WorldConfig;
use crate::sim::projectors::Projection;
use crate::sim::query_api::CustomerQuery;
use serde::{Deserialize, Serialize};

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
