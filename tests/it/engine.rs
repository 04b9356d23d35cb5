//! Each mechanism of the engine, exercised on its own through the
//! headless harness: given a world, when requests and knobs, then outcomes.

use cqrs_tickets::domain::{EventKind, Status};
use cqrs_tickets::sim::protocol::ConsumerId;
use cqrs_tickets::sim::protocol::{Projection, StepOutcome};
use cqrs_tickets::sim::query_api::{CacheValue, CustomerQuery, QueryLog};
use cqrs_tickets::sim::saga::SagaState;
use cqrs_tickets::sim::timers::{Timer, TimerKind, TimerWheel};
use cqrs_tickets::sim::views::View;
use cqrs_tickets::sim::{KnobChange, Mechanisms, SimRequest, WorldConfig};
use cqrs_tickets::sim::{
    command_intake::{CustomerCommand, SeatRef},
    protocol::Outcome,
};
use cqrs_tickets::testing::Harness;

pub fn harness(seed: u64) -> Harness {
    Harness::new(WorldConfig::default(), seed)
}

pub fn hold(customer: &str, flight: &str, seat: &str) -> CustomerCommand {
    CustomerCommand::HoldSeat {
        customer: customer.into(),
        flight: flight.into(),
        seat: seat.into(),
        expected_version: None,
    }
}

pub fn pay(customer: &str, flight: &str, seat: &str) -> CustomerCommand {
    CustomerCommand::Pay { customer: customer.into(), flight: flight.into(), seat: seat.into() }
}

/// Two buyers who both read version 0 of the last seat of IB0001.
pub fn race_for_last_seat(h: &mut Harness) {
    for (label, who) in [("a", "ana"), ("b", "bob")] {
        h.command(
            label,
            CustomerCommand::HoldSeat {
                customer: who.into(),
                flight: "IB0001".into(),
                seat: "1A".into(),
                expected_version: Some(0),
            },
        );
    }
}

pub fn knob(h: &mut Harness, k: KnobChange) {
    h.submit(SimRequest::Knob(k));
}

fn kinds(h: &Harness, aggregate: &str) -> Vec<&'static str> {
    h.events().iter().filter(|e| e.aggregate_id.as_str() == aggregate).map(|e| e.kind().name()).collect()
}

const DRAIN: u64 = 4_000;

#[test]
fn happy_path_hold_pay_issue_is_v1_v2_v3_and_everything_settles() {
    let mut h = harness(1);
    h.command("hold", hold("ana", "IB3166", "14C"));
    h.run(10);
    assert_eq!(h.record("hold").unwrap().outcome, Outcome::Ok);
    assert_eq!(h.booking("IB3166/14C").unwrap().version, 1);
    h.command("pay", pay("ana", "IB3166", "14C"));
    assert!(h.run_to_drain(DRAIN));
    assert_eq!(h.record("pay").unwrap().outcome, Outcome::Ok);
    assert_eq!(kinds(&h, "IB3166/14C"), ["SeatHeld", "PaymentCaptured", "TicketIssued"]);
    let b = h.booking("IB3166/14C").unwrap();
    assert_eq!((b.version, b.status), (3, Status::Issued));
    assert!(b.pnr.is_some());
    let saga = &h.sagas()[0];
    assert_eq!(saga.state, SagaState::Completed);
    for p in Projection::ALL {
        assert_eq!(h.projector(p).lag, 0, "{p:?}");
    }
    assert!(h.invariants().all_ok(), "{:?}", h.invariants().violations());
    let v1 = h.vendor("V1");
    assert_eq!(v1.inventory["IB3166"].sold.len(), 1);
}

/// The pending timers on the wheel whose kind passes `which`.
fn pending_timers(h: &Harness, which: impl Fn(&TimerKind) -> bool) -> usize {
    let w = h.world();
    w.resource::<TimerWheel>().pending().filter(|e| w.get::<Timer>(*e).is_some_and(|t| which(&t.kind))).count()
}

/// The saga's step-timeout timers pending on the wheel.
fn saga_timeouts(h: &Harness) -> usize {
    pending_timers(h, |k| matches!(k, TimerKind::SagaTimeout { .. }))
}

/// The pending timers other than cache TTLs, walked.
fn asks_walked(h: &Harness) -> usize {
    pending_timers(h, |k| !matches!(k, TimerKind::CacheTtl { .. }))
}

#[test]
fn a_vendor_reply_cancels_its_step_timeout() {
    let mut h = harness(1);
    h.command("hold", hold("ana", "IB3166", "14C"));
    h.run(10);
    h.command("pay", pay("ana", "IB3166", "14C"));
    let (mut ticks, mut most) = (0, 0);
    while h.sagas().first().map(|s| s.state) != Some(SagaState::Completed) {
        most = most.max(saga_timeouts(&h));
        assert_eq!(h.world().resource::<TimerWheel>().asks(), asks_walked(&h), "the wheel's count at tick {ticks}");
        h.run(1);
        ticks += 1;
        assert!(ticks < DRAIN, "the saga completes");
    }
    assert!(most > 0, "a vendor op waits under a step timeout");
    // Left on the wheel, each would fire 2.5 s after its call, stale, and
    // hold off quiescence until it had.
    assert_eq!(saga_timeouts(&h), 0, "every step's timeout went when its reply came");
    // The hold's expiry stays: it fires, and its ExpireHold loses.
    assert!(!h.world().resource::<TimerWheel>().is_empty());
    assert_eq!(h.world().resource::<TimerWheel>().asks(), asks_walked(&h));
    assert!(h.run_to_drain(DRAIN));
    assert_eq!(h.world().resource::<TimerWheel>().asks(), 0, "drained: nothing left to wait for");
    assert!(h.invariants().all_ok(), "{:?}", h.invariants().violations());
}

#[test]
fn version_race_for_the_last_seat_one_ok_one_conflict() {
    let mut h = harness(1);
    race_for_last_seat(&mut h);
    h.run(5);
    let (a, b) = (h.record("a").unwrap(), h.record("b").unwrap());
    let mut outcomes = [a.outcome, b.outcome];
    outcomes.sort();
    assert_eq!(outcomes, [Outcome::Ok, Outcome::Conflict]);
    let loser = if a.outcome == Outcome::Conflict { a } else { b };
    assert!(loser.reason.unwrap().contains("unique key"), "the INSERT's unique key decides");
    assert_eq!(kinds(&h, "IB0001/1A"), ["SeatHeld"]);
    assert!(h.run_to_drain(DRAIN));
    assert!(h.invariants().all_ok(), "{:?}", h.invariants().violations());
}

#[test]
fn outbox_keeps_rows_through_publish_failures_and_loses_nothing() {
    let mut h = harness(2);
    knob(&mut h, KnobChange::PublishFailure { pct: 100 });
    h.command("hold", hold("ana", "IB3166", "2A"));
    h.run(40);
    assert_eq!(h.record("hold").unwrap().outcome, Outcome::Ok);
    let failures = h.world().resource::<cqrs_tickets::sim::bus::Bus>().publish_failures;
    assert!(failures > 10, "the pumper kept retrying: {failures}");
    assert_eq!(h.projector(Projection::AvailableFlights).applied, 0, "nothing published yet");
    // Through the store's outbox, not by counting row entities: a published
    // row's entity stays, pooled, for the next row.
    let pending = h.world().resource::<cqrs_tickets::sim::store::EventStore>().outbox_pending();
    assert_eq!(pending, 1, "the row waits in the outbox");
    knob(&mut h, KnobChange::PublishFailure { pct: 0 });
    // The hold expires (no payment) and the saga releases the vendor hold.
    assert!(h.run_to_drain(DRAIN));
    assert_eq!(h.world().resource::<cqrs_tickets::sim::store::EventStore>().outbox_pending(), 0, "all published");
    let head = h.events().len() as u64;
    for id in ConsumerId::ALL {
        assert_eq!(h.consumer(id).applied, head, "{id:?} got every event");
    }
    assert!(h.invariants().all_ok(), "{:?}", h.invariants().violations());
}

#[test]
fn duplicate_deliveries_are_skipped_by_every_idempotency_log() {
    let mut h = harness(3);
    knob(&mut h, KnobChange::DuplicateDelivery { pct: 100 });
    h.command("hold", hold("ana", "IB3166", "3A"));
    h.run(10);
    h.command("pay", pay("ana", "IB3166", "3A"));
    assert!(h.run_to_drain(DRAIN));
    let head = h.events().len() as u64;
    for id in ConsumerId::ALL {
        let c = h.consumer(id);
        assert_eq!(c.duplicates_skipped, head, "{id:?} skipped each duplicate");
        assert_eq!(c.double_applies, 0, "{id:?}");
        assert_eq!(c.applied, head, "{id:?}");
    }
    assert!(h.invariants().all_ok(), "{:?}", h.invariants().violations());
}

#[test]
fn without_idempotency_duplicates_are_applied_twice_and_the_invariant_fails() {
    let mut h = harness(3);
    h.world_mut().resource_mut::<Mechanisms>().idempotency = false;
    knob(&mut h, KnobChange::DuplicateDelivery { pct: 100 });
    h.command("hold", hold("ana", "IB3166", "3A"));
    h.run(200);
    assert!(h.projector(Projection::Revenue).double_applies > 0);
    assert!(!h.invariants().status[cqrs_tickets::sim::invariants::EXACTLY_ONCE].ok);
}

#[test]
fn booking_detail_buffers_a_version_ahead_event_then_applies_both_in_order() {
    let mut h = harness(4);
    knob(&mut h, KnobChange::ReorderDelivery { on: true });
    let seats = ["4A", "4B", "4C"];
    let mut max_buffered = 0;
    for s in seats {
        h.command(&format!("h{s}"), hold("ana", "IB3166", s));
        h.run(4);
        h.command(&format!("p{s}"), pay("ana", "IB3166", s));
        for _ in 0..60 {
            h.run(1);
            max_buffered = max_buffered.max(h.projector(Projection::BookingDetail).buffered);
        }
    }
    assert!(max_buffered > 0, "some v2/v3 arrived before its predecessor and waited");
    assert!(h.run_to_drain(DRAIN));
    assert_eq!(h.projector(Projection::BookingDetail).buffered, 0);
    let View::BookingDetail(detail) = h.view(Projection::BookingDetail) else { unreachable!() };
    for s in seats {
        let d = &detail.bookings[&cqrs_tickets::domain::AggregateId::new(format!("IB3166/{s}"))];
        let versions: Vec<u32> = d.history.iter().map(|(v, _, _)| *v).collect();
        assert_eq!(versions, (1..=versions.len() as u32).collect::<Vec<_>>(), "applied in version order");
    }
    assert!(h.invariants().all_ok(), "{:?}", h.invariants().violations());
}

#[test]
fn failing_last_step_compensates_in_reverse_refund_then_release() {
    let mut h = harness(5);
    knob(&mut h, KnobChange::FailIssue { vendor: "V3".into(), on: true });
    h.command("hold", hold("bob", "DL0412", "7C"));
    h.run(20);
    h.command("pay", pay("bob", "DL0412", "7C"));
    assert!(h.run_to_drain(DRAIN));
    assert_eq!(
        kinds(&h, "DL0412/7C"),
        ["SeatHeld", "PaymentCaptured", "TicketIssueFailed", "RefundInitiated", "RefundCompleted", "SeatReleased"]
    );
    let saga = &h.sagas()[0];
    assert_eq!(saga.state, SagaState::Compensated);
    let comp: Vec<String> =
        saga.log.iter().filter(|l| l.outcome == StepOutcome::CompensateOk).map(|l| l.step.to_string()).collect();
    let refund = comp.iter().position(|s| s.contains("await payment")).expect("refund ran");
    let release = comp.iter().position(|s| s.contains("hold seat")).expect("release ran");
    assert!(refund < release, "reverse order: {comp:?}");
    assert!(h.vendor("V3").inventory["DL0412"].held.is_empty());
    assert!(h.invariants().all_ok(), "{:?}", h.invariants().violations());
}

#[test]
fn vendor_timeout_releases_the_hold_and_the_late_reply_is_compensated() {
    let mut h = harness(6);
    knob(&mut h, KnobChange::SlowVendor { vendor: "V2".into(), extra_ms: 5_000 });
    h.command("hold", hold("chen", "LH1123", "9A"));
    h.run(70); // past the 2.5 s timeout, before the 5 s reply
    let saga = h.sagas()[0].clone();
    assert!(saga.log.iter().any(|l| l.outcome == StepOutcome::Timeout), "{:?}", saga.log);
    assert_eq!(h.booking("LH1123/9A").unwrap().status, Status::Released);
    assert!(h.run_to_drain(DRAIN));
    let saga = h.sagas()[0].clone();
    assert_eq!(saga.state, SagaState::Compensated);
    assert!(saga.log.iter().any(|l| l.outcome == StepOutcome::LateReplyCompensated), "{:?}", saga.log);
    assert!(h.vendor("V2").inventory["LH1123"].held.is_empty(), "no leaked vendor hold");
    assert!(h.invariants().all_ok(), "{:?}", h.invariants().violations());
}

#[test]
fn an_expired_hold_rejects_the_later_pay() {
    let mut h = harness(7);
    h.command("hold", hold("dara", "IB3166", "5B"));
    h.run(10_000 / 50 + 5);
    assert_eq!(h.booking("IB3166/5B").unwrap().status, Status::Expired);
    h.command("pay", pay("dara", "IB3166", "5B"));
    assert!(h.run_to_drain(DRAIN));
    let r = h.record("pay").unwrap();
    assert_eq!(r.outcome, Outcome::Rejected);
    assert!(r.reason.unwrap().contains("expired"));
    assert_eq!(kinds(&h, "IB3166/5B"), ["SeatHeld", "SeatHoldExpired"]);
    assert!(h.invariants().all_ok(), "{:?}", h.invariants().violations());
}

fn stampede(h: &mut Harness) -> (u64, u64) {
    let before = h.populator_calls();
    h.submit(SimRequest::Stampede { query: CustomerQuery::SeatsLeft { flight: "IB3166".into() }, gets: 200 });
    h.run(20);
    (h.populator_calls() - before, h.world().resource::<QueryLog>().served)
}

#[test]
fn single_flight_turns_200_concurrent_misses_into_one_populator_call() {
    let mut h = harness(8);
    let (calls, served) = stampede(&mut h);
    assert_eq!(calls, 1);
    assert_eq!(served, 200);
    let mut h = harness(8);
    h.world_mut().resource_mut::<Mechanisms>().single_flight = false;
    let (calls, served) = stampede(&mut h);
    assert_eq!(calls, 200, "without the lock every miss runs the populator");
    assert_eq!(served, 200);
}

#[test]
fn search_miss_fans_out_to_vendors_then_hits() {
    let mut h = harness(8);
    h.query("s1", CustomerQuery::Search { route: "MAD-FRA".into() });
    h.run(30);
    let s1 = h.query_record("s1").unwrap();
    assert!(!s1.hit);
    let CacheValue::Offers(offers) = &s1.result else { panic!("offers") };
    assert_eq!(offers.len(), 2, "IB3166 (V1) and LH1123 (V2) fly MAD-FRA");
    h.query("s2", CustomerQuery::Search { route: "MAD-FRA".into() });
    h.run(5);
    assert!(h.query_record("s2").unwrap().hit);
    assert_eq!(h.populator_calls(), 1);
}

fn ryow(write_through: bool) -> (bool, u64) {
    let mut h = harness(9);
    h.world_mut().resource_mut::<Mechanisms>().write_through = write_through;
    knob(&mut h, KnobChange::StallProjector { projection: Projection::CustomerBookings, on: true });
    h.command("hold", hold("ana", "LH0400", "3C"));
    h.run(5);
    h.command("pay", pay("ana", "LH0400", "3C"));
    h.run(5);
    h.query("mine", CustomerQuery::MyBookings { customer: "ana".into() });
    h.run(10);
    let r = h.query_record("mine").unwrap();
    let CacheValue::Bookings(rows) = r.result else { panic!("bookings") };
    (
        rows.contains_key(&cqrs_tickets::domain::AggregateId::new("LH0400/3C")),
        h.projector(Projection::CustomerBookings).lag,
    )
}

#[test]
fn write_through_lets_the_customer_read_their_own_write_while_the_projection_lags() {
    let (seen, lag) = ryow(true);
    assert!(seen, "the just-booked seat is in My bookings");
    assert!(lag > 0, "CustomerBookings has not caught up");
    let (seen, _) = ryow(false);
    assert!(!seen, "without write-through the lagging projection hides it");
}

#[test]
fn gdpr_tombstone_redacts_projections_keeps_the_store_and_its_hashes() {
    let mut h = harness(10);
    h.command("hold", hold("ana", "IB3166", "6A"));
    h.run(10);
    h.command("pay", pay("ana", "IB3166", "6A"));
    assert!(h.run_to_drain(DRAIN));
    let before: Vec<_> = h.events();
    h.command("forget", CustomerCommand::GdprDelete { customer: "ana".into() });
    assert!(h.run_to_drain(DRAIN));
    assert_eq!(h.record("forget").unwrap().outcome, Outcome::Ok);
    let after = h.events();
    assert_eq!(&after[..before.len()], &before[..], "no stored event was changed");
    assert_eq!(after.last().unwrap().kind(), EventKind::GdprTombstone);
    for p in Projection::ALL {
        let v = h.view(p);
        assert_eq!(v.pii_rows(&"ana".into()), 0, "{p:?}");
        let json = serde_json::to_string(&v).unwrap();
        assert!(!json.contains("Ana García") && !json.contains("ana.garcia@"), "{p:?} leaks PII");
    }
    let View::BookingDetail(d) = h.view(Projection::BookingDetail) else { unreachable!() };
    let detail = &d.bookings[&cqrs_tickets::domain::AggregateId::new("IB3166/6A")];
    assert!(detail.redacted);
    assert_eq!(detail.history.len(), 4, "every event's hash is kept");
    assert!(h.invariants().all_ok(), "{:?}", h.invariants().violations());
}

/// Erasure is a fold of the log: what her tombstone covered stays erased,
/// and a booking she makes after it is hers to see (before, a suppression
/// list hid an erased customer from the read side for ever).
#[test]
fn a_customer_erased_then_back_sees_her_new_booking_and_not_the_erased_one() {
    let mut h = harness(12);
    h.command("hold", hold("ana", "IB3166", "6B"));
    h.run(10);
    h.command("forget", CustomerCommand::GdprDelete { customer: "ana".into() });
    assert!(h.run_to_drain(DRAIN));
    h.command("again", hold("ana", "IB3166", "6C"));
    assert!(h.run_to_drain(DRAIN));
    let View::BookingDetail(d) = h.view(Projection::BookingDetail) else { unreachable!() };
    let detail = |seat: &str| &d.bookings[&cqrs_tickets::domain::AggregateId::new(seat)];
    assert!(detail("IB3166/6B").redacted, "the erased booking stays redacted");
    assert!(!detail("IB3166/6C").redacted, "her new booking is not");
    let View::CustomerBookings(c) = h.view(Projection::CustomerBookings) else { unreachable!() };
    let mine: Vec<String> = c.customer_rows(&"ana".into()).map(|(a, _)| a.to_string()).collect();
    assert_eq!(mine, ["IB3166/6C"]);
    assert!(h.invariants().all_ok(), "{:?}", h.invariants().violations());
}

/// An erasure that loses the race on the unique key is retried, like a
/// timer's command, under the customer's label (it was final before: her
/// tombstone never came).
#[test]
fn an_erasure_that_loses_a_commit_race_retries_and_lands() {
    let mut h = harness(13);
    h.command("hold", hold("ana", "IB3166", "6D"));
    h.run(10);
    h.command("pay", pay("ana", "IB3166", "6D"));
    h.command("forget", CustomerCommand::GdprDelete { customer: "ana".into() });
    assert!(h.run_to_drain(DRAIN));
    let log = h.world().resource::<cqrs_tickets::sim::command_intake::CommandLog>();
    assert_eq!(log.count(Outcome::Conflict), 1, "the first attempt lost the race");
    assert_eq!(h.record("forget").unwrap().outcome, Outcome::Ok, "the label follows the retry");
    let kinds: Vec<EventKind> =
        h.events().iter().filter(|e| e.aggregate_id.as_str() == "IB3166/6D").map(|e| e.kind()).collect();
    let tombstone = kinds.iter().position(|k| *k == EventKind::GdprTombstone).expect("the erasure landed");
    assert!(kinds[..tombstone].contains(&EventKind::PaymentCaptured), "after the payment that won: {kinds:?}");
    assert!(h.invariants().all_ok(), "{:?}", h.invariants().violations());
}

/// The SHA-256 of the view's whole canonical JSON, as `serde_json` writes it.
fn reference_hash(v: &View) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(serde_json::to_vec(v).unwrap()).into()
}

#[test]
fn a_view_hashed_a_few_rows_at_a_time_hashes_exactly_its_whole_json() {
    let mut h = harness(5);
    for (c, s) in [("ana", "9A"), ("bob", "9B"), ("chen", "9C"), ("ana", "9D")] {
        h.command(&format!("h{c}{s}"), hold(c, "IB3166", s));
    }
    h.run(10);
    h.command("pay", pay("bob", "IB3166", "9B"));
    h.command("gdpr", CustomerCommand::GdprDelete { customer: "chen".into() });
    let mut nonempty = 0;
    // Mid-run (rows still arriving) and drained.
    for _ in 0..2 {
        for p in Projection::ALL {
            let v = h.view(p);
            if let View::CustomerBookings(c) = &v {
                let sum = c.visible_rows().count();
                assert_eq!(c.row_count(), sum, "the kept count is the visible rows' count");
            }
            let whole = reference_hash(&v);
            assert_eq!(v.hash(), whole, "{p:?}");
            for rows in [1, 2, 3, 1_000] {
                let mut work = v.start_hash();
                let mut calls = 0;
                let hash = loop {
                    calls += 1;
                    if let Some(hash) = v.continue_hash(&mut work, rows) {
                        break hash;
                    }
                };
                assert_eq!(hash, whole, "{p:?} at {rows} rows per call");
                assert_eq!(v.continue_hash(&mut work, rows), Some(whole), "asked again once done");
                if rows == 1 && calls > 2 {
                    nonempty += 1;
                }
            }
        }
        assert!(h.run_to_drain(DRAIN));
    }
    assert!(nonempty >= 8, "the views had rows to cut: {nonempty}");
    let View::CustomerBookings(c) = h.view(Projection::CustomerBookings) else { unreachable!() };
    assert_eq!(c.row_count(), 3, "ana's two and bob's one; chen's erased");
}

#[test]
fn replaying_customer_bookings_from_seq_0_gives_the_same_view_hash() {
    let mut h = harness(11);
    for (c, s) in [("ana", "8A"), ("bob", "8B"), ("chen", "8C")] {
        h.command(&format!("h{c}"), hold(c, "IB3166", s));
    }
    h.run(10);
    h.command("pay", pay("bob", "IB3166", "8B"));
    assert!(h.run_to_drain(DRAIN));
    let before = h.projector(Projection::CustomerBookings).view_hash;
    h.submit(SimRequest::Replay(Projection::CustomerBookings));
    h.run(1);
    assert!(h.projector(Projection::CustomerBookings).lag > 0, "dropped and rebuilding");
    assert!(h.run_to_drain(DRAIN));
    assert_eq!(h.projector(Projection::CustomerBookings).view_hash, before);
    let mut q = h.world_mut().query::<&cqrs_tickets::sim::projectors::ProjectorView>();
    let r = q.iter(h.world()).find_map(|p| p.last_replay.clone()).expect("replay finished");
    assert!(r.identical());
    assert!(h.invariants().all_ok(), "{:?}", h.invariants().violations());
}

#[test]
fn burst_load_makes_lag_rise_then_drain_to_zero() {
    let mut h = harness(12);
    knob(&mut h, KnobChange::Burst { per_s: 50, duration_ms: 4_000 });
    let mut max_lag = 0;
    for _ in 0..100 {
        h.run(1);
        max_lag = max_lag.max(h.projector(Projection::CustomerBookings).lag);
    }
    assert!(max_lag > 20, "lag balloons: {max_lag}");
    assert!(h.events().len() > 150, "the store grows: {}", h.events().len());
    assert!(h.run_to_drain(20_000));
    for p in Projection::ALL {
        assert_eq!(h.projector(p).lag, 0, "{p:?} drained");
    }
    assert!(h.invariants().all_ok(), "{:?}", h.invariants().violations());
}

#[test]
fn multi_vendor_itinerary_compensates_the_first_leg_when_the_second_fails() {
    let mut h = harness(13);
    knob(&mut h, KnobChange::FailHold { vendor: "V2".into(), on: true });
    h.command(
        "trip",
        CustomerCommand::BookItinerary {
            customer: "ana".into(),
            legs: vec![
                SeatRef { flight: "IB3166".into(), seat: "10A".into() },
                SeatRef { flight: "LH0400".into(), seat: "10A".into() },
            ],
        },
    );
    assert!(h.run_to_drain(DRAIN));
    let saga = h.sagas()[0].clone();
    assert_eq!(saga.state, SagaState::Compensated, "{:?}", saga.log);
    assert_eq!(kinds(&h, "IB3166/10A"), ["SeatHeld", "SeatReleased"]);
    assert!(h.vendor("V1").inventory["IB3166"].held.is_empty(), "V1 hold compensated");
    assert!(h.invariants().all_ok(), "{:?}", h.invariants().violations());
}

#[test]
fn itinerary_happy_path_issues_every_leg() {
    let mut h = harness(14);
    h.command(
        "trip",
        CustomerCommand::BookItinerary {
            customer: "bob".into(),
            legs: vec![
                SeatRef { flight: "IB3166".into(), seat: "11A".into() },
                SeatRef { flight: "LH0400".into(), seat: "11A".into() },
            ],
        },
    );
    assert!(h.run_to_drain(DRAIN));
    assert_eq!(h.sagas()[0].state, SagaState::Completed);
    assert_eq!(h.booking("IB3166/11A").unwrap().status, Status::Issued);
    assert_eq!(h.booking("LH0400/11A").unwrap().status, Status::Issued);
    assert!(h.invariants().all_ok(), "{:?}", h.invariants().violations());
}

#[test]
fn unknown_flight_seat_customer_or_booking_is_rejected_with_a_reason() {
    let mut h = harness(15);
    h.command("flight", hold("ana", "XX999", "1A"));
    h.command("seat", hold("ana", "IB3166", "99Z"));
    h.command("customer", hold("nobody", "IB3166", "1A"));
    h.command("booking", pay("ana", "IB3166", "1B"));
    h.command("gdpr", CustomerCommand::GdprDelete { customer: "ghost".into() });
    h.command("trip", CustomerCommand::BookItinerary { customer: "ana".into(), legs: vec![] });
    h.run(5);
    for (label, needle) in [
        ("flight", "unknown flight XX999"),
        ("seat", "unknown seat 99Z"),
        ("customer", "unknown customer nobody"),
        ("booking", "no hold"),
        ("gdpr", "unknown customer ghost"),
        ("trip", "at least one leg"),
    ] {
        let r = h.record(label).unwrap();
        assert_eq!(r.outcome, Outcome::Rejected, "{label}");
        assert!(r.reason.as_deref().unwrap_or("").contains(needle), "{label}: {:?}", r.reason);
    }
    assert!(h.events().is_empty());
}

#[test]
fn a_seat_listed_twice_is_one_aggregate_whose_row_follows_its_stream() {
    let mut world = WorldConfig::default();
    let flight = world.flights.iter_mut().find(|f| f.id.as_str() == "IB3166").expect("IB3166 in the default world");
    // Listed twice by hand (and generated again from its rows).
    let seat = cqrs_tickets::domain::SeatNo::new("14C");
    flight.seats.extend([seat.clone(), seat.clone()]);
    let mut h = Harness::new(world, 1);
    h.command("hold", hold("ana", "IB3166", seat.as_str()));
    h.run(10);
    h.command("pay", pay("ana", "IB3166", seat.as_str()));
    assert!(h.run_to_drain(DRAIN));
    let id = format!("IB3166/{seat}");
    assert_eq!(kinds(&h, &id), ["SeatHeld", "PaymentCaptured", "TicketIssued"]);
    assert_eq!(h.booking(&id).map(|b| (b.status, b.version)), Some((Status::Issued, 3)), "the row the UI reads");
    assert!(h.invariants().all_ok(), "{:?}", h.invariants().violations());
}

/// Timing-edge bug 3 (docs/RELIABILITY.md): own writes are kept beside the cache until the
/// projector has applied them, and let go of then (they must not pile up).
#[test]
fn own_writes_are_kept_until_customer_bookings_applies_them_durably() {
    use cqrs_tickets::sim::query_api::OwnWrites;
    let mut h = harness(21);
    knob(&mut h, KnobChange::StallProjector { projection: Projection::CustomerBookings, on: true });
    h.command("h", hold("ana", "IB3166", "3A"));
    h.run(40);
    assert_eq!(h.world().resource::<OwnWrites>().pending(), 1, "the hold waits for the stalled projector");
    knob(&mut h, KnobChange::StallProjector { projection: Projection::CustomerBookings, on: false });
    h.run(40);
    assert_eq!(h.projector(Projection::CustomerBookings).lag, 0, "applied");
    assert_eq!(h.world().resource::<OwnWrites>().pending(), 1, "not checkpointed yet: a crash would undo it");
    // The crash rolls the table back to before her hold; her cached
    // bookings expire while it is down: her next read still has it.
    knob(&mut h, KnobChange::CrashProjector { projection: Projection::CustomerBookings, restart_ms: 5_000 });
    h.run(70);
    h.query("mine", CustomerQuery::MyBookings { customer: "ana".into() });
    h.run(10);
    let r = h.query_record("mine").unwrap();
    assert!(!r.hit, "read after her cache entry expired");
    let CacheValue::Bookings(rows) = r.result else { panic!("bookings") };
    assert!(rows.contains_key(&cqrs_tickets::domain::AggregateId::new("IB3166/3A")), "{rows:?}");
    h.run(300);
    assert_eq!(h.world().resource::<OwnWrites>().pending(), 0, "caught up and checkpointed, so let go of");
}
