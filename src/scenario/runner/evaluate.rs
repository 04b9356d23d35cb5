//! Evaluates one expectation against the engine's state, one function per
//! kind of check, grouped by the part of the platform it reads: commands,
//! booking streams, sagas, projectors, queries, vendors, the platform.
//!
//! It only reads (queries need `&mut World` for their caches, nothing
//! more): it must never change engine state, and it never decides when a
//! check runs (that is the runner's job).

use super::Baseline;
use crate::domain::{AggregateId, CustomerId, EventKind, FlightId, SeatNo, Status, VendorId, hex};
use crate::scenario::{Check, SeatState};
use crate::sim::consumer::Consumer;
use crate::sim::invariants::Invariants;
use crate::sim::query_api::{CacheValue, QueryLog, QueryRecord, Redis};
use crate::sim::saga::{Saga, SagaState};
use crate::sim::store::{AggregateRow, Aggregates, EventStore, StoredEvent};
use crate::sim::vendors::Vendor;
use crate::sim::{bus::Bus, protocol::ConsumerId};
use crate::sim::{command_intake::CommandLog, protocol::Outcome};
use crate::sim::{projectors::ProjectorView, protocol::Projection};
use bevy::prelude::*;
use std::collections::BTreeMap;

/// `Ok(what was seen)` or `Err(what was seen instead)`.
pub(super) type Verdict = Result<String, String>;

fn pass(ok: bool, detail: String) -> Verdict {
    if ok { Ok(detail) } else { Err(detail) }
}

/// Evaluates `check` now, against counters and peaks since its step
/// started (`base`).
pub(super) fn evaluate(world: &mut World, base: &Baseline, check: &Check) -> Verdict {
    let mut e = Eval { world, base };
    match check {
        Check::Outcome { label, is } => e.outcome(label, *is),
        Check::Outcomes { labels, ok, conflict, rejected } => {
            e.outcomes(labels, Counts { ok: *ok, conflict: *conflict, rejected: *rejected })
        }
        Check::Booking { id, version, status } => e.booking(id, *version, *status),
        Check::Events { aggregate, kinds } => e.events(aggregate, kinds),
        Check::Saga { booking, state, log } => e.saga(booking, *state, log),
        Check::Lag { projection, min, max } => e.lag(*projection, *min, *max),
        Check::PeakLag { projection, min } => e.peak_lag(*projection, *min),
        Check::PeakBuffered { projection, min } => e.peak_buffered(*projection, *min),
        Check::Buffered { projection, max } => e.buffered(*projection, *max),
        Check::DuplicatesSkipped { projection, min } => e.duplicates_skipped(*projection, *min),
        Check::ReplayIdentical(p) => e.replay_identical(*p),
        Check::PopulatorCalls { delta } => e.populator_calls(*delta),
        Check::QueriesServed { delta } => e.queries_served(*delta),
        Check::QueryHit { label, hit } => e.query_hit(label, *hit),
        Check::QueryOffers { label, min } => e.query_offers(label, *min),
        Check::QueryContains { label, booking } => e.query_contains(label, booking, true),
        Check::QueryLacks { label, booking } => e.query_contains(label, booking, false),
        Check::VendorSeat { vendor, flight, seat, state } => e.vendor_seat(vendor, flight, seat, *state),
        Check::NoPii(customer) => e.no_pii(customer),
        Check::Topology { projectors, vendors } => e.topology(*projectors, *vendors),
        Check::QueuesEmpty => e.queues_empty(),
        Check::EventsAtLeast(n) => e.events_at_least(*n),
        Check::InvariantsHold => e.invariants_hold(),
    }
}

/// The world being checked, and the step's baseline.
struct Eval<'a> {
    world: &'a mut World,
    base: &'a Baseline,
}

/// How many commands of each decided outcome an `Outcomes` check expects.
#[derive(PartialEq)]
struct Counts {
    ok: u32,
    conflict: u32,
    rejected: u32,
}

// Commands.
impl Eval<'_> {
    fn outcome(&mut self, label: &str, is: Outcome) -> Verdict {
        let log = self.world.resource::<CommandLog>();
        let r = log.by_label(label).ok_or(format!("no command labelled `{label}` was sent"))?;
        let detail =
            format!("{}{}", r.outcome.name(), r.reason.as_ref().map(|x| format!(" ({x})")).unwrap_or_default());
        pass(r.outcome == is, detail)
    }

    fn outcomes(&mut self, labels: &[String], want: Counts) -> Verdict {
        let log = self.world.resource::<CommandLog>();
        let mut n: BTreeMap<Outcome, u32> = BTreeMap::new();
        for l in labels {
            let r = log.by_label(l).ok_or(format!("no command labelled `{l}` was sent"))?;
            *n.entry(r.outcome).or_default() += 1;
        }
        let got = |o| n.get(&o).copied().unwrap_or(0);
        let got = Counts { ok: got(Outcome::Ok), conflict: got(Outcome::Conflict), rejected: got(Outcome::Rejected) };
        let detail = format!("{} ok, {} conflict, {} rejected", got.ok, got.conflict, got.rejected);
        pass(got == want, detail)
    }
}

// Booking streams.
impl Eval<'_> {
    fn booking(&mut self, id: &AggregateId, version: Option<u32>, status: Option<Status>) -> Verdict {
        let e = self.world.resource::<Aggregates>().by_id.get(id).copied().ok_or(format!("no booking {id}"))?;
        let b = self.world.get::<AggregateRow>(e).map(|r| &r.0).ok_or(format!("no booking {id}"))?;
        let detail = format!("v{} {}", b.version, b.status.name());
        pass(version.is_none_or(|v| v == b.version) && status.is_none_or(|s| s == b.status), detail)
    }

    fn events(&mut self, aggregate: &AggregateId, kinds: &[EventKind]) -> Verdict {
        let store = self.world.resource::<EventStore>();
        let rows: Vec<Entity> = store.stream(aggregate).collect();
        let got: Vec<EventKind> =
            rows.iter().filter_map(|e| self.world.get::<StoredEvent>(*e)).map(|r| r.0.kind()).collect();
        pass(got == kinds, got.iter().map(|k| k.name()).collect::<Vec<_>>().join(" → "))
    }
}

// Sagas.
impl Eval<'_> {
    /// The latest saga on the booking: its state, and log lines containing
    /// each of `log`, in order.
    fn saga(&mut self, booking: &AggregateId, state: Option<SagaState>, log: &[String]) -> Verdict {
        let mut q = self.world.query::<&Saga>();
        let s = q
            .iter(self.world)
            .filter(|s| s.legs.iter().any(|l| l.aggregate == *booking))
            .max_by_key(|s| s.id)
            .ok_or(format!("no saga on {booking}"))?;
        let lines: Vec<String> = s.log.iter().map(|l| format!("{} {} {}", l.step, l.outcome, l.detail)).collect();
        let mut it = lines.iter();
        let in_order = log.iter().all(|want| it.any(|line| line.contains(want.as_str())));
        let detail = format!(
            "#{} {}: {}",
            s.id,
            s.state.name(),
            s.log.iter().map(|l| format!("{}: {}", l.step, l.outcome)).collect::<Vec<_>>().join("; ")
        );
        pass(state.is_none_or(|st| st == s.state) && in_order, detail)
    }
}

// Projectors.
impl Eval<'_> {
    /// A projector's (lag, buffered) now.
    fn consumer(&mut self, p: Projection) -> Result<(u64, u64), String> {
        let id = ConsumerId::Projector(p);
        let head = self.world.resource::<EventStore>().head_seq();
        let mut q = self.world.query::<&Consumer>();
        q.iter(self.world)
            .find(|c| c.id == id)
            .map(|c| (c.lag(head), c.buffered as u64))
            .ok_or(format!("no consumer {}", id.name()))
    }

    fn lag(&mut self, p: Projection, min: Option<u64>, max: Option<u64>) -> Verdict {
        let lag = self.consumer(p)?.0;
        pass(min.is_none_or(|m| lag >= m) && max.is_none_or(|m| lag <= m), format!("lag {lag}"))
    }

    fn peak_lag(&mut self, p: Projection, min: u64) -> Verdict {
        let peak = self.base.peak_lag.get(&p).copied().unwrap_or(0);
        pass(peak >= min, format!("peak lag {peak}"))
    }

    fn peak_buffered(&mut self, p: Projection, min: u64) -> Verdict {
        let peak = self.base.peak_buffered.get(&p).copied().unwrap_or(0);
        pass(peak >= min, format!("peak buffered {peak}"))
    }

    fn buffered(&mut self, p: Projection, max: u64) -> Verdict {
        let b = self.consumer(p)?.1;
        pass(b <= max, format!("buffered {b}"))
    }

    /// Duplicates skipped since the step started, by `projection` or (None)
    /// by every projector.
    fn duplicates_skipped(&mut self, projection: Option<Projection>, min: u64) -> Verdict {
        let mut q = self.world.query::<&Consumer>();
        let mut seen = vec![];
        for c in q.iter(self.world) {
            let ConsumerId::Projector(p) = c.id else { continue };
            if projection.is_some_and(|x| x != p) {
                continue;
            }
            seen.push((p, c.duplicates_skipped - self.base.duplicates.get(&p).copied().unwrap_or(0)));
        }
        let detail = seen.iter().map(|(p, n)| format!("{} {n}", p.name())).collect::<Vec<_>>().join(", ");
        pass(!seen.is_empty() && seen.iter().all(|(_, n)| *n >= min), detail)
    }

    fn replay_identical(&mut self, p: Projection) -> Verdict {
        let mut q = self.world.query::<&ProjectorView>();
        let pv = q.iter(self.world).find(|v| v.projection == p).ok_or("no such projector")?;
        let r = pv.last_replay.as_ref().ok_or(format!("{} has not finished a replay", p.name()))?;
        pass(
            r.identical(),
            format!(
                "hash {} → {} rebuilt to the same events (store head {} → {})",
                &hex(&r.hash_before)[..12],
                &hex(&r.hash_same_head)[..12],
                r.head_before,
                r.head_after
            ),
        )
    }
}

// Queries and the cache.
impl Eval<'_> {
    fn query(&self, label: &str) -> Result<QueryRecord, String> {
        self.world.resource::<QueryLog>().by_label.get(label).cloned().ok_or(format!("query `{label}` was not served"))
    }

    fn populator_calls(&mut self, delta: u64) -> Verdict {
        let n = self.world.resource::<Redis>().populator_calls - self.base.populator_calls;
        pass(n == delta, format!("{n} populator call(s)"))
    }

    fn queries_served(&mut self, delta: u64) -> Verdict {
        let n = self.world.resource::<QueryLog>().served - self.base.served;
        pass(n == delta, format!("{n} served"))
    }

    fn query_hit(&mut self, label: &str, hit: bool) -> Verdict {
        let r = self.query(label)?;
        pass(r.hit == hit, if r.hit { "hit".into() } else { "miss".into() })
    }

    fn query_offers(&mut self, label: &str, min: u32) -> Verdict {
        let r = self.query(label)?;
        let n = match &r.result {
            CacheValue::Offers(o) => o.len() as u32,
            _ => 0,
        };
        pass(n >= min, format!("{n} offer(s)"))
    }

    /// Whether the labelled bookings query returned `booking` (`shown`) or not.
    fn query_contains(&mut self, label: &str, booking: &AggregateId, shown: bool) -> Verdict {
        let r = self.query(label)?;
        let CacheValue::Bookings(rows) = &r.result else { return Err("not a bookings query".into()) };
        let detail = rows.keys().map(|k| k.to_string()).collect::<Vec<_>>().join(", ");
        pass(rows.contains_key(booking) == shown, format!("[{detail}]"))
    }
}

// Vendors.
impl Eval<'_> {
    fn vendor_seat(&mut self, vendor: &VendorId, flight: &FlightId, seat: &SeatNo, state: SeatState) -> Verdict {
        let mut q = self.world.query::<&Vendor>();
        let v = q.iter(self.world).find(|v| v.id == *vendor).ok_or(format!("no vendor {vendor}"))?;
        let inv = v.inventory.get(flight).ok_or(format!("{vendor} does not sell {flight}"))?;
        let got = if inv.sold.contains_key(seat) {
            SeatState::Sold
        } else if inv.held.contains_key(seat) {
            SeatState::Held
        } else {
            SeatState::Free
        };
        pass(got == state, got.name().into())
    }
}

// The platform as a whole.
impl Eval<'_> {
    /// She was erased, and no projection holds what her erasures covered
    /// (a booking she made after one is hers again, and may show).
    fn no_pii(&mut self, c: &CustomerId) -> Verdict {
        let mut q = self.world.query::<&ProjectorView>();
        let views: Vec<&ProjectorView> = q.iter(self.world).collect();
        let store = self.world.resource::<EventStore>();
        let erasures: Vec<_> = store.erasures().filter(|(who, _, _)| *who == c).collect();
        let rows = erasures
            .iter()
            .map(|(_, a, v)| views.iter().filter(|pv| pv.view.holds_erased_pii(c, a, *v)).count())
            .sum::<usize>();
        let tombstoned = !erasures.is_empty();
        pass(tombstoned && rows == 0, format!("{rows} row(s) with erased PII; tombstoned: {tombstoned}"))
    }

    fn topology(&mut self, projectors: u32, vendors: u32) -> Verdict {
        let mut q = self.world.query::<&ProjectorView>();
        let p = q.iter(self.world).count() as u32;
        let mut q = self.world.query::<&Vendor>();
        let v = q.iter(self.world).count() as u32;
        pass(p == projectors && v == vendors, format!("{p} projectors, {v} vendors"))
    }

    fn queues_empty(&mut self) -> Verdict {
        let n = self.world.resource::<Bus>().in_flight_total();
        pass(n == 0, format!("{n} message(s) in flight"))
    }

    fn events_at_least(&mut self, n: u64) -> Verdict {
        let head = self.world.resource::<EventStore>().head_seq();
        pass(head >= n, format!("{head} events"))
    }

    fn invariants_hold(&mut self) -> Verdict {
        let bad = self.world.resource::<Invariants>().violations();
        pass(
            bad.is_empty(),
            if bad.is_empty() { "all hold".into() } else { format!("{}: {}", bad[0].0, bad[0].1.detail) },
        )
    }
}
