//! A check in words, for reports and the caption strip.
//!
//! The text is part of every report (`text` of an expectation), so it must
//! not change for a check that did not change. Nothing here evaluates.

use super::Check;

impl Check {
    /// The expectation in words (for reports and the caption strip).
    pub fn describe(&self) -> String {
        match self {
            Check::Outcome { label, is } => format!("command `{label}` is {}", is.name()),
            Check::Outcomes { labels, ok, conflict, rejected } => {
                format!("of {}: {ok} ok, {conflict} conflict, {rejected} rejected", labels.join(", "))
            }
            Check::Booking { id, version, status } => {
                let mut s = format!("booking {id}");
                if let Some(v) = version {
                    s += &format!(" at v{v}");
                }
                if let Some(st) = status {
                    s += &format!(" is {}", st.name());
                }
                s
            }
            Check::Events { aggregate, kinds } => {
                format!("{aggregate} events are {}", kinds.iter().map(|k| k.name()).collect::<Vec<_>>().join(" → "))
            }
            Check::Saga { booking, state, log } => {
                let mut s = format!("saga of {booking}");
                if let Some(st) = state {
                    s += &format!(" is {}", st.name());
                }
                if !log.is_empty() {
                    s += &format!(", log has {}", log.join(" → "));
                }
                s
            }
            Check::Lag { projection, min, max } => {
                format!(
                    "{} lag in [{}, {}]",
                    projection.name(),
                    min.unwrap_or(0),
                    max.map_or("∞".into(), |m| m.to_string())
                )
            }
            Check::PeakLag { projection, min } => format!("{} lag reached ≥ {min}", projection.name()),
            Check::PeakBuffered { projection, min } => format!("{} buffered ≥ {min} event(s)", projection.name()),
            Check::Buffered { projection, max } => format!("{} buffers ≤ {max}", projection.name()),
            Check::DuplicatesSkipped { projection, min } => format!(
                "{} skipped ≥ {min} duplicate(s)",
                projection.map_or("every projector".to_string(), |p| p.name().to_string())
            ),
            Check::PopulatorCalls { delta } => format!("exactly {delta} populator call(s)"),
            Check::QueriesServed { delta } => format!("exactly {delta} queries served"),
            Check::QueryHit { label, hit } => {
                format!("query `{label}` was a cache {}", if *hit { "hit" } else { "miss" })
            }
            Check::QueryOffers { label, min } => format!("query `{label}` found ≥ {min} offer(s)"),
            Check::QueryContains { label, booking } => format!("query `{label}` shows {booking}"),
            Check::QueryLacks { label, booking } => format!("query `{label}` does not show {booking}"),
            Check::VendorSeat { vendor, flight, seat, state } => {
                format!("{vendor} seat {flight}/{seat} is {}", state.name())
            }
            Check::ReplayIdentical(p) => format!("{} rebuilt from seq 0 has the same view hash", p.name()),
            Check::NoPii(c) => format!("no projection holds {c}'s personal data"),
            Check::Topology { projectors, vendors } => format!("{projectors} projectors and {vendors} vendors"),
            Check::QueuesEmpty => "all queues empty".into(),
            Check::EventsAtLeast(n) => format!("≥ {n} events stored"),
            Check::InvariantsHold => "every invariant holds".into(),
        }
    }
}
