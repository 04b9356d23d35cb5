//! Plain words for the lesson: what each safeguard prevents, and what a
//! broken invariant means, for the safeguards panel and the caption. Text
//! only: it decides nothing and reads no state.

use crate::sim::Safeguard;
use crate::sim::invariants as inv;

/// What goes wrong without safeguard `s`.
pub fn without(s: Safeguard) -> &'static str {
    match s {
        Safeguard::OptimisticConcurrency => {
            "Without it two buyers of the last seat both win: the store takes two version-1 events for one seat (oversold)."
        }
        Safeguard::Idempotency => {
            "Without it a consumer applies a redelivered event twice: at-least-once delivery turns into double counting."
        }
        Safeguard::OrderingBuffer => {
            "Without it BookingDetail applies events out of order: its view no longer equals the same view rebuilt from the log."
        }
        Safeguard::SingleFlight => {
            "Without it a cache stampede sends every waiting customer to the Read DB: 200 populator calls instead of one."
        }
        Safeguard::WriteThrough => {
            "Without it a customer who just booked does not see the booking until the projection catches up."
        }
        Safeguard::Compensation => {
            "Without it a failed saga stops half-way: vendor holds leak and a paid booking is never refunded."
        }
    }
}

/// An invariant in plain words: what broke, and which safeguard keeps it.
pub fn explain(invariant: &str) -> &'static str {
    match invariant {
        inv::NO_DOUBLE_BOOKING => {
            "A seat was sold twice: two appends of the same version both went in. The store's unique key on (aggregate, version), optimistic concurrency, is what turns the second one into a `conflict`."
        }
        inv::EXACTLY_ONCE => {
            "A consumer (a projector, or the saga orchestrator) applied the same event twice. Delivery is at-least-once, so duplicates arrive; the idempotency log, keyed on (aggregate, version), is what skips them."
        }
        inv::REBUILD_EQUAL => {
            "A projection no longer equals the same projection rebuilt from the log: events were applied out of order or twice. The ordering buffer and the idempotency log keep views a pure fold of the log."
        }
        inv::SAGAS_SETTLE => {
            "A saga stopped half-way and left a vendor hold behind. Each step needs a compensation that undoes it, run in reverse order when a later step fails."
        }
        inv::MONEY => {
            "The money does not add up: captured − refunded ≠ the revenue of issued tickets. A failed booking was never refunded."
        }
        inv::GDPR => "A projection still shows an erased customer's personal data.",
        inv::CHAIN => "The event log was changed after the fact: its hash chain no longer verifies.",
        inv::OWN_WRITES => {
            "A customer's own booking, confirmed to her, was missing from her next 'my bookings': the read side lagged and nothing covered for it. The write-through keeps her written rows until the projection has them."
        }
        inv::HOLD_KEPT => {
            "The platform confirmed a hold, then took it back because a vendor still had the seat under an earlier hold of ours. The store is the truth: the saga must wait for that stale hold's release, not give up."
        }
        inv::TIMERS => {
            "A timer's effect never landed: a hold outlived its expiry (the seat is stuck, its vendor hold leaks) or a cache entry outlived its TTL. A timer that loses a race must decide again."
        }
        inv::LIVENESS => {
            "The run never settled: work is still pending (a saga waiting forever, a queue that never drains)."
        }
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_safeguard_and_invariant_has_words() {
        for s in Safeguard::ALL {
            assert!(!without(s).is_empty(), "{s:?}");
        }
        for n in inv::ALL {
            assert!(!explain(n).is_empty(), "{n}");
        }
    }
}
