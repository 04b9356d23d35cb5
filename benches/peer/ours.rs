//! Our side: the same N seats, each held then paid by its own customer,
//! through the whole engine (`cqrs_tickets::testing::Harness`), the saga
//! issuing the tickets; then our five views alone and the hash chain alone
//! over the run's events.
//!
//! It measures and checks, and returns an `OursRun`: it must not print
//! results (that is `report`'s) nor touch the peer's (`cqrs_es`) code.

use cqrs_tickets::domain::{AggregateId, CustomerId, FlightId, HashChain, SeatNo};
use cqrs_tickets::sim::SimRequest;
use cqrs_tickets::sim::command_intake::CustomerCommand;
use cqrs_tickets::sim::config::Catalog;
use cqrs_tickets::sim::projectors::ProjectorView;
use cqrs_tickets::sim::runtime::Customers;
use cqrs_tickets::sim::saga::Sagas;
use cqrs_tickets::sim::store::EventStore as OurStore;
use cqrs_tickets::sim::views::View;
use cqrs_tickets::testing::{Harness, big_world};
use std::sync::Arc;
use std::time::Instant;

fn head(h: &Harness) -> u64 {
    h.world().resource::<OurStore>().head_seq()
}

/// What one run of our side measured (see [`ours`]).
pub struct OursRun {
    pub events: u64,
    pub issued: usize,
    pub secs: f64,
    pub ticks: u64,
    /// When the last saga finished: (wall seconds, tick).
    pub sagas_done: (f64, u64),
    /// Our five views alone over the run's events (see [`views_alone`]).
    pub views_secs: f64,
    /// The hash chain alone, sealing and verifying, and sealing only (see
    /// [`chain_alone`]).
    pub chain_secs: (f64, f64),
}

/// Our side: the same N seats, each held then paid by its own customer
/// through the whole engine (Command API with the expected-version check,
/// event store with its hash chain and outbox, bus fan-out to five
/// projectors and the saga orchestrator with idempotency logs, the vendor
/// call and the ticket issue the saga commands): events stored, seats
/// issued, wall seconds, simulated ticks. The clock stops when the engine is
/// quiescent: after the last ticket, the holds' expiry timers still fire
/// (at the hold TTL) and their `ExpireHold` commands are decided and
/// rejected, work the engine owes for every hold. After the clock, the
/// views alone and the hash chain alone over the same events.
pub fn ours(n: usize) -> OursRun {
    let seats_per_flight = 200 * 6;
    let mut h = Harness::new(big_world(n.div_ceil(seats_per_flight)), 1);
    let (seats, customers) = seats_and_customers(&mut h, n);
    let start = head(&h);
    let tick0 = h.tick();
    let sagas0 = h.world().resource::<Sagas>().started;
    let t = Instant::now();
    for ((flight, seat), customer) in seats.iter().zip(&customers) {
        h.submit(SimRequest::Command {
            label: None,
            command: CustomerCommand::HoldSeat {
                customer: customer.clone(),
                flight: flight.clone(),
                seat: seat.clone(),
                expected_version: None,
            },
        });
    }
    // The holds are decided and committed within a few ticks; then pay.
    h.run(10);
    for ((flight, seat), customer) in seats.iter().zip(&customers) {
        h.submit(SimRequest::Command {
            label: None,
            command: CustomerCommand::Pay { customer: customer.clone(), flight: flight.clone(), seat: seat.clone() },
        });
    }
    // Until every booking's saga has started and finished (bounded, as
    // `run_until_quiescent` is).
    let all_done = |h: &Harness| {
        let sagas = h.world().resource::<Sagas>();
        sagas.started - sagas0 == n as u64 && sagas.active() == 0
    };
    for _ in 0..1_000_000 {
        if all_done(&h) {
            break;
        }
        h.run(1);
    }
    assert!(all_done(&h), "every booking's saga started and finished");
    let sagas_done = (t.elapsed().as_secs_f64(), h.tick() - tick0);
    assert!(h.run_until_quiescent(1_000_000), "the workload drains");
    let secs = t.elapsed().as_secs_f64();
    // The whole-history audit (hash chain re-walked, every view rebuilt from
    // seq 0 and compared) is a check on the run, not work the peer does:
    // it runs after the clock stops, and the run must pass it.
    h.audit();
    assert!(h.invariants().all_ok(), "{:?}", h.invariants().violations());
    let issued = count_issued(&h, &seats);
    let views_secs = views_alone(&mut h, start);
    let chain_secs = chain_alone(&h, start);
    OursRun { events: head(&h) - start, issued, secs, ticks: h.tick() - tick0, sagas_done, views_secs, chain_secs }
}

/// The workload's N seats (the first of the BX flights, in catalog order)
/// and N fresh customers, one per seat. Before the clock starts.
fn seats_and_customers(h: &mut Harness, n: usize) -> (Vec<(FlightId, SeatNo)>, Vec<CustomerId>) {
    let seats: Vec<(FlightId, SeatNo)> = h
        .world()
        .resource::<Catalog>()
        .flights
        .iter()
        .filter(|(f, _)| f.as_str().starts_with("BX"))
        .flat_map(|(f, info)| info.seat_list.iter().map(move |s| (f.clone(), s.clone())))
        .take(n)
        .collect();
    assert_eq!(seats.len(), n, "the world has enough seats");
    let customers: Vec<CustomerId> = {
        let mut c = h.world_mut().resource_mut::<Customers>();
        (0..n).map(|_| c.synthetic()).collect()
    };
    (seats, customers)
}

/// How many of the workload's seats ended with their ticket issued.
fn count_issued(h: &Harness, seats: &[(FlightId, SeatNo)]) -> usize {
    seats
        .iter()
        .filter(|(f, s)| {
            h.booking(&AggregateId::seat(f, s).to_string())
                .is_some_and(|b| b.status == cqrs_tickets::domain::Status::Issued)
        })
        .count()
}

/// What our read models alone cost: the five views (`View::apply`, the
/// projectors' own code) each applying the run's events in seq order to an
/// empty copy, one view after the other as each projector works its own
/// queue. No bus, no idempotency or ordering check, no ECS, no saga, no
/// command side. Checked: each copy ends equal to its live view. Returns
/// the seconds the applies took.
fn views_alone(h: &mut Harness, from_seq: u64) -> f64 {
    let events = run_events(h, from_seq);
    let world = h.world_mut();
    let mut projectors = world.query::<&ProjectorView>();
    let mut views: Vec<View> = projectors.iter(world).map(|p| p.view.emptied()).collect();
    let t = Instant::now();
    for view in &mut views {
        for env in &events {
            view.apply(env);
        }
    }
    let secs = t.elapsed().as_secs_f64();
    for (copy, live) in views.iter().zip(projectors.iter(world)) {
        assert!(*copy == live.view, "{:?}: the copy matches the live view", live.projection);
    }
    secs
}

/// The run's envelopes, as stored (shared), in seq order.
fn run_events(h: &Harness, from_seq: u64) -> Vec<Arc<cqrs_tickets::domain::EventEnvelope>> {
    let store = h.world().resource::<OurStore>();
    (from_seq + 1..=store.head_seq()).filter_map(|seq| store.event_shared(seq)).collect()
}

/// What the hash chain alone costs, which every event carries:
/// its hash worked out once as the append seals it
/// (`EventEnvelope::compute_hash`), and once more as the continuous
/// invariant "the hash chain verifies" checks it (`HashChain::push`), over
/// the run's events, with nothing else around them. Checked: every hash
/// equals the stored one and the chain verifies. Returns the seconds:
/// (sealing and verifying, sealing only).
fn chain_alone(h: &Harness, from_seq: u64) -> (f64, f64) {
    let events = run_events(h, from_seq);
    let first = events.first().expect("the run stored events");
    let mut chain = HashChain { head: first.prev_hash, next_seq: first.seq };
    let mut sealed = Vec::with_capacity(events.len());
    let t = Instant::now();
    for env in &events {
        sealed.push(env.compute_hash());
    }
    let seal_secs = t.elapsed().as_secs_f64();
    for env in &events {
        chain.push(env).expect("the run's chain verifies");
    }
    let secs = t.elapsed().as_secs_f64();
    assert!(sealed.iter().zip(&events).all(|(hash, env)| *hash == env.hash), "each hash as stored");
    assert_eq!(chain.next_seq, first.seq + events.len() as u64, "every event verified");
    (secs, seal_secs)
}
