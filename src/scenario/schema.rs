//! The scenario language: the types a RON file is read into, with serde.
//!
//! Only the shape of a file lives here: what a file may say and how it is
//! spelled. A closed set of values (an outcome, a booking status, a saga or
//! seat state, an event type) is an enum read from its name, so a misspelt
//! value is a parse error at its line and column. Whether the names it uses
//! exist, and whether its numbers are within limits, is `validate`'s
//! business; what it means in ticks and engine requests is `plan`'s;
//! nothing here reads the engine.

use crate::domain::names::by_name;
use crate::domain::{AggregateId, CustomerId, EventKind, FlightId, SeatNo, Status, VendorId};
use crate::sim::KnobChange;
use crate::sim::config::WorldConfig;
use crate::sim::protocol::Outcome;
use crate::sim::protocol::Projection;
use crate::sim::query_api::CustomerQuery;
use crate::sim::saga::SagaState;
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
    Outcome {
        label: String,
        #[serde(with = "by_name")]
        is: Outcome,
    },
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
        id: AggregateId,
        #[serde(default)]
        version: Option<u32>,
        #[serde(default, with = "by_name::option")]
        status: Option<Status>,
    },
    /// A stream's event types, exactly, in order.
    Events {
        aggregate: AggregateId,
        #[serde(with = "by_name::vec")]
        kinds: Vec<EventKind>,
    },
    /// The latest saga on a booking: its state and, in order, log lines
    /// containing each of `log`.
    Saga {
        booking: AggregateId,
        #[serde(default, with = "by_name::option")]
        state: Option<SagaState>,
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
    QueryContains { label: String, booking: AggregateId },
    /// The labelled "my bookings" query did not return this booking (one
    /// an erasure took from her, say).
    QueryLacks { label: String, booking: AggregateId },
    /// A seat at a vendor: "free", "held" or "sold".
    VendorSeat { vendor: VendorId, flight: FlightId, seat: SeatNo, state: SeatState },
    /// The last replay of the projection rebuilt the identical view.
    ReplayIdentical(Projection),
    /// No projection holds the customer's personal data.
    NoPii(CustomerId),
    /// The platform's shape: projectors and vendors.
    Topology { projectors: u32, vendors: u32 },
    /// No message in transit or queued anywhere.
    QueuesEmpty,
    /// At least this many events in the store.
    EventsAtLeast(u64),
    /// Every invariant holds so far.
    InvariantsHold,
}

/// A seat at a vendor, as a `VendorSeat` check names it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum SeatState {
    Free,
    Held,
    Sold,
}

crate::names!(SeatState as "seat state", serde { Free => "free", Held => "held", Sold => "sold" });

// The engine's enums that scripts name. They keep their own `name` and
// `from_name` (in src/sim); these impls only add what the parser needs:
// what one is called and every value, in the order messages list them.
// Once the engine's enums get their names from `names!`, that impl
// replaces these (they would then conflict).

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::names::Named;

    const DEFAULT: &str = include_str!("../../scenarios/default.ron");

    /// The first `old` in the default script replaced by `new`, and the
    /// 1-based line and column where `new` starts.
    fn misspelt(old: &str, new: &str) -> (String, usize, usize) {
        let at = DEFAULT.find(old).unwrap_or_else(|| panic!("`{old}` is in default.ron"));
        let line = DEFAULT[..at].matches('\n').count() + 1;
        let col = at - DEFAULT[..at].rfind('\n').map_or(0, |n| n + 1) + 1;
        (DEFAULT.replacen(old, new, 1), line, col)
    }

    #[test]
    fn given_a_misspelt_value_then_the_error_names_it_the_allowed_names_and_where() {
        let cases = [
            (r#"is: "ok""#, r#"is: "won""#, "unknown outcome `won` (ok, conflict, rejected, inflight)"),
            (r#"status: "held""#, r#"status: "hold""#, "unknown booking status `hold` (available, held, authorized, "),
            (r#"state: "completed""#, r#"state: "done""#, "unknown saga state `done` (running, compensating, "),
            (r#"state: "free""#, r#"state: "empty""#, "unknown seat state `empty` (free, held, sold)"),
            (r#"kinds: ["SeatHeld"]"#, r#"kinds: ["SeatHold"]"#, "unknown event type `SeatHold` (SeatHeld, "),
        ];
        for (old, new, message) in cases {
            let (text, line, col) = misspelt(old, new);
            let e = Scenario::parse(&text, "bad.ron").expect_err(new);
            assert!(e.message.starts_with(message), "{new}: {e}");
            let (l, c) = e.place.split_once(':').expect("a syntax error is placed at line:col");
            assert_eq!(l, line.to_string(), "{new}: {e}");
            let c: usize = c.parse().unwrap();
            assert!((col..=col + new.len()).contains(&c), "{new}: column {c} is not on the value: {e}");
        }
    }

    #[test]
    fn closed_sets_read_and_write_the_names_a_file_spells() {
        let sc = Scenario::parse(DEFAULT, "default.ron").unwrap();
        let checks: Vec<&Check> = sc.steps.iter().flat_map(|s| &s.expect).map(|e| &e.check).collect();
        assert!(checks.contains(&&Check::Outcome { label: "hold".into(), is: Outcome::Ok }));
        assert!(checks.iter().any(|c| matches!(c, Check::Saga { state: Some(SagaState::Compensated), .. })));
        assert!(checks.iter().any(|c| matches!(c, Check::Booking { status: Some(Status::Issued), .. })));
        assert!(checks.iter().any(|c| matches!(c, Check::VendorSeat { state: SeatState::Free, .. })));
        let text = ron::ser::to_string(&sc).unwrap();
        assert!(text.contains(r#"is:"ok""#) && text.contains(r#"kinds:["SeatHeld"]"#), "{text}");
        let options = ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
        assert_eq!(options.from_str::<Scenario>(&text).unwrap(), sc, "a scenario survives its own text");
        for o in <Outcome as Named>::all() {
            assert_eq!(<Outcome as Named>::from_name(o.name()), Some(*o));
        }
        for s in <SagaState as Named>::all() {
            assert_eq!(<SagaState as Named>::from_name(s.name()), Some(*s));
        }
    }
}
