//! Each invariant, broken on purpose, must be seen failing (and a clean
//! run must see it hold). A checker that cannot fail proves nothing.

use crate::engine::{harness, hold, knob, pay, race_for_last_seat};
use cqrs_tickets::sim::command_intake::CustomerCommand;
use cqrs_tickets::sim::invariants::{
    self, CHAIN, EXACTLY_ONCE, GDPR, MONEY, NO_DOUBLE_BOOKING, REBUILD_EQUAL, SAGAS_SETTLE,
};
use cqrs_tickets::sim::store::{AggregateRow, StoredEvent};
use cqrs_tickets::sim::{KnobChange, Mechanisms};
use cqrs_tickets::testing::Harness;

fn violated(h: &Harness, name: &str) -> bool {
    !h.invariants().status[name].ok
}

#[test]
fn a_double_hold_breaks_no_double_booking() {
    let mut h = harness(1);
    h.world_mut().resource_mut::<Mechanisms>().optimistic_concurrency = false;
    race_for_last_seat(&mut h);
    h.run(5);
    assert!(violated(&h, NO_DOUBLE_BOOKING), "{:?}", h.invariants());
    // And with the unique key on, the same race is clean.
    let mut h = harness(1);
    race_for_last_seat(&mut h);
    assert!(h.run_to_drain(4000));
    assert!(!violated(&h, NO_DOUBLE_BOOKING));
}

#[test]
fn a_dropped_delivery_breaks_exactly_once_at_drain() {
    let mut h = harness(2);
    h.command("hold", hold("ana", "IB3166", "1C"));
    h.run(3);
    // Lose one message on the bus (a broker that drops instead of retrying).
    // A message still travelling (consumed messages' entities are pooled
    // and keep their last `BusMessage`, so any entity with one will not do).
    cqrs_tickets::sim::bus::lose_a_message_in_transit(h.world_mut()).expect("a message in flight");
    // The hold expires; the seat is released; everything else settles.
    h.run(400);
    assert!(invariants::quiescent(h.world_mut()));
    invariants::check_at_drain(h.world_mut());
    assert!(violated(&h, EXACTLY_ONCE), "{:?}", h.invariants());
}

#[test]
fn a_tampered_event_breaks_the_hash_chain() {
    let mut h = harness(3);
    h.command("hold", hold("ana", "IB3166", "1D"));
    assert!(h.run_to_drain(4000));
    assert!(!violated(&h, CHAIN));
    let first = h
        .world_mut()
        .query::<bevy::prelude::Entity>()
        .iter(h.world())
        .find(|e| h.world().get::<StoredEvent>(*e).is_some());
    let mut row = h.world_mut().get_mut::<StoredEvent>(first.unwrap()).unwrap();
    if let cqrs_tickets::domain::Event::SeatHeld { price_cents, .. } = &mut std::sync::Arc::make_mut(&mut row.0).event {
        *price_cents = 1;
    }
    invariants::check_at_drain(h.world_mut());
    assert!(violated(&h, CHAIN));
}

#[test]
fn skipping_compensation_breaks_saga_settlement_and_money() {
    let mut h = harness(4);
    h.world_mut().resource_mut::<Mechanisms>().compensation = false;
    knob(&mut h, KnobChange::FailIssue { vendor: "V3".into(), on: true });
    h.command("hold", hold("bob", "DL0412", "2C"));
    h.run(20);
    h.command("pay", pay("bob", "DL0412", "2C"));
    assert!(h.run_to_drain(4000));
    assert!(violated(&h, SAGAS_SETTLE), "{:?}", h.invariants());
    assert!(violated(&h, MONEY), "money captured and never refunded: {:?}", h.invariants());
}

#[test]
fn applying_out_of_order_without_the_buffer_breaks_rebuild_equality() {
    let mut h = harness(4);
    h.world_mut().resource_mut::<Mechanisms>().ordering_buffer = false;
    knob(&mut h, KnobChange::ReorderDelivery { on: true });
    for s in ["5A", "5B", "5C"] {
        h.command(s, hold("ana", "IB3166", s));
        h.run(4);
        h.command(&format!("p{s}"), pay("ana", "IB3166", s));
        h.run(60);
    }
    // (The orchestrator, also unbuffered, may now wait forever for a
    // payment it saw before its saga existed: no drain; check anyway.)
    h.run(600);
    invariants::check_at_drain(h.world_mut());
    assert!(violated(&h, REBUILD_EQUAL), "{:?}", h.invariants());
}

#[test]
fn pii_left_in_a_projection_breaks_gdpr() {
    let mut h = harness(5);
    h.command("hold", hold("ana", "IB3166", "1E"));
    h.run(10);
    h.command("pay", pay("ana", "IB3166", "1E"));
    assert!(h.run_to_drain(4000));
    h.command("forget", CustomerCommand::GdprDelete { customer: "ana".into() });
    assert!(h.run_to_drain(4000));
    assert!(!violated(&h, GDPR));
    // A projector that "forgot to redact": put the PII back.
    let mut q = h.world_mut().query::<&mut cqrs_tickets::sim::projectors::ProjectorView>();
    for mut pv in q.iter_mut(h.world_mut()) {
        if pv.projection == cqrs_tickets::sim::protocol::Projection::BookingDetail {
            let env =
                cqrs_tickets::domain::SealArgs {
                    seq: 1,
                    aggregate_id: "IB3166/1E".into(),
                    version: 1,
                    tick: 1,
                    causation_id: 1,
                    correlation_id: 1,
                    event: cqrs_tickets::domain::Event::SeatHeld {
                        customer: "ana".into(),
                        passenger: cqrs_tickets::domain::Passenger { name: "Ana García".into(), email: "a@x".into() }
                            .seal(&cqrs_tickets::domain::Key([1; 32]), 0, 1),
                        vendor: "V1".into(),
                        flight: "IB3166".into(),
                        seat: "1E".into(),
                        price_cents: 1,
                        expires_tick: 1,
                    },
                    prev_hash: cqrs_tickets::domain::ZERO_HASH,
                }
                .seal();
            pv.view.apply(&env);
        }
    }
    h.run(1);
    assert!(violated(&h, GDPR), "{:?}", h.invariants());
}

/// The rebuild reads the log and nothing else. A CustomerBookings that
/// skipped Ana's tombstone (a projector whose erasure handling is broken)
/// is the fold of every event but that one: the rebuild from seq 0 applies
/// the tombstone and differs, and her erased name is seen. (When views
/// read a suppression list written by the command side, the rebuild read
/// the same list, and a projector that missed the tombstone went unseen.)
#[test]
fn a_projector_that_skips_a_tombstone_differs_from_its_rebuild() {
    use cqrs_tickets::domain::EventKind;
    use cqrs_tickets::sim::projectors::ProjectorView;
    use cqrs_tickets::sim::protocol::Projection;
    let mut h = harness(4);
    h.command("hold", hold("ana", "IB3166", "2A"));
    h.run(10);
    h.command("forget", CustomerCommand::GdprDelete { customer: "ana".into() });
    assert!(h.run_to_drain(4000));
    assert!(!violated(&h, REBUILD_EQUAL) && !violated(&h, GDPR), "{:?}", h.invariants());
    let events = h.events();
    assert!(events.iter().any(|e| e.kind() == EventKind::GdprTombstone));
    let mut q = h.world_mut().query::<&mut ProjectorView>();
    for mut pv in q.iter_mut(h.world_mut()) {
        if pv.projection == Projection::CustomerBookings {
            let mut broken = pv.view.emptied();
            for env in events.iter().filter(|e| e.kind() != EventKind::GdprTombstone) {
                broken.apply(env);
            }
            pv.view = broken;
        }
    }
    invariants::check_at_drain(h.world_mut());
    assert!(violated(&h, REBUILD_EQUAL), "{:?}", h.invariants());
    assert!(violated(&h, GDPR), "{:?}", h.invariants());
}

#[test]
fn money_out_of_balance_is_seen() {
    let mut h = harness(6);
    h.command("hold", hold("ana", "IB3166", "1F"));
    h.run(10);
    h.command("pay", pay("ana", "IB3166", "1F"));
    assert!(h.run_to_drain(4000));
    assert!(!violated(&h, MONEY));
    let e = h.world().resource::<cqrs_tickets::sim::store::Aggregates>().by_id["IB3166/1F"];
    h.world_mut().get_mut::<AggregateRow>(e).unwrap().0.refunded_cents += 100;
    invariants::check_at_drain(h.world_mut());
    assert!(violated(&h, MONEY));
}

/// Runs tick by tick (at most 100) until a timer of the kind `is` is set,
/// and returns its due tick. With `lose`, the timer is retargeted first to
/// a cache TTL of no key: it fires, and its real effect never lands.
fn first_timer(h: &mut Harness, is: impl Fn(&cqrs_tickets::sim::timers::TimerKind) -> bool, lose: bool) -> Option<u64> {
    use cqrs_tickets::sim::timers::{Timer, TimerKind};
    for _ in 0..100 {
        h.run(1);
        let mut q = h.world_mut().query::<&mut Timer>();
        let mut found = None;
        for mut t in q.iter_mut(h.world_mut()) {
            if is(&t.kind) && !matches!(&t.kind, TimerKind::CacheTtl { key, .. } if key == "lost") {
                found = Some(t.fire_tick);
                if lose {
                    t.kind = TimerKind::CacheTtl { key: "lost".into(), expires_tick: 0 };
                }
            }
        }
        if found.is_some() {
            return found;
        }
    }
    None
}

/// Timing-edge bug 6 (docs/RELIABILITY.md): a hold whose expiry never lands is a safety failure as
/// soon as it has outlived its expiry by the grace, drained or not.
#[test]
fn a_hold_whose_expiry_never_lands_breaks_timers_before_any_drain() {
    use cqrs_tickets::sim::config::ticks;
    use cqrs_tickets::sim::timers::TimerKind;
    for lose_the_expiry in [true, false] {
        let mut h = harness(7);
        h.command("hold", hold("ana", "IB3166", "2F"));
        // Until the hold commits and sets its expiry timer.
        let expires_tick = first_timer(&mut h, |k| matches!(k, TimerKind::HoldExpiry { .. }), lose_the_expiry);
        let leak_tick = expires_tick.expect("the hold set its expiry timer") + ticks(invariants::HOLD_LEAK_GRACE_MS);
        h.run(leak_tick - 2 - h.tick());
        assert!(!violated(&h, invariants::TIMERS), "not yet: {:?}", h.invariants().violations());
        h.run(4);
        assert_eq!(violated(&h, invariants::TIMERS), lose_the_expiry, "{:?}", h.invariants().violations());
        if lose_the_expiry {
            let s = &h.invariants().status[invariants::TIMERS];
            assert!(s.detail.contains("IB3166/2F still held") && s.detail.contains("leaked hold"), "{}", s.detail);
        }
    }
}

/// The "no confirmed hold is revoked" oracle: a vendor hold of ours that is never released (a
/// leak planted at the vendor) makes the next buyer's saga give up the
/// hold the store confirmed, after its retries: that must be seen.
#[test]
fn a_confirmed_hold_given_up_for_a_stale_vendor_hold_breaks_hold_kept() {
    use cqrs_tickets::sim::vendors::Vendor;
    for plant_a_leak in [true, false] {
        let mut h = harness(8);
        if plant_a_leak {
            let mut q = h.world_mut().query::<&mut Vendor>();
            for mut v in q.iter_mut(h.world_mut()) {
                if let Some(i) = v.inventory.get_mut("IB3166") {
                    i.held.insert("4D".into(), 999_999);
                }
            }
        }
        h.command("hold", hold("bob", "IB3166", "4D"));
        h.run(400);
        assert_eq!(violated(&h, invariants::HOLD_KEPT), plant_a_leak, "{:?}", h.invariants().violations());
        if plant_a_leak {
            let s = &h.invariants().status[invariants::HOLD_KEPT];
            assert!(s.detail.contains("IB3166/4D") && s.detail.contains("not available"), "{}", s.detail);
        }
    }
}

/// The timer oracle, cache side: an entry whose TTL never fires
/// outlives it, and the drain-time check sees it.
#[test]
fn a_cache_entry_that_outlives_its_ttl_breaks_timers_at_drain() {
    use cqrs_tickets::sim::query_api::CustomerQuery;
    use cqrs_tickets::sim::timers::TimerKind;
    for lose_the_ttl in [true, false] {
        let mut h = harness(9);
        h.query("q", CustomerQuery::SeatsLeft { flight: "IB3166".into() });
        let ttl = first_timer(&mut h, |k| matches!(k, TimerKind::CacheTtl { .. }), lose_the_ttl);
        assert!(ttl.is_some(), "the populated entry set its TTL");
        assert!(h.run_to_drain(4000));
        h.run(200);
        invariants::check_at_drain(h.world_mut());
        assert_eq!(violated(&h, invariants::TIMERS), lose_the_ttl, "{:?}", h.invariants().violations());
    }
}
