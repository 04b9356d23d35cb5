//! Crypto-shredding, audited: after a GDPR erasure no byte the run holds
//! (store rows and their payloads, outbox, bus messages, views, Redis,
//! sagas, commands and queries, the UI's tables and detail lines) reads as the customer's
//! name or e-mail, her sealed data cannot be opened, and the hash chain
//! still verifies. The scan is itself tested: a planted copy is found.

use crate::engine::{harness, hold, pay};
use cqrs_tickets::domain::{Event, EventEnvelope};
use cqrs_tickets::sim::bus::BusMessage;
use cqrs_tickets::sim::command_intake::{CommandInFlight, CommandLog, CustomerCommand, SeatRef};
use cqrs_tickets::sim::invariants::CHAIN;
use cqrs_tickets::sim::keys::KeyStore;
use cqrs_tickets::sim::projectors::ProjectorView;
use cqrs_tickets::sim::query_api::{CacheEntry, QueryLog};
use cqrs_tickets::sim::saga::Saga;
use cqrs_tickets::sim::store::{OutboxRow, StoredEvent};
use cqrs_tickets::sim::vendors::Vendor;
use cqrs_tickets::testing::Harness;
use cqrs_tickets::ui::tables::{PassengerLine, command_rows, event_payload, event_row, passenger_line};

const NAME: &str = "Ana García";
const EMAIL: &str = "ana.garcia@example.com";

/// Every component of type `T` in the world, as `Debug` text.
fn all<T: bevy::prelude::Component + std::fmt::Debug>(h: &mut Harness) -> String {
    let mut q = h.world_mut().query::<&T>();
    q.iter(h.world()).map(|c| format!("{c:?}\n")).collect()
}

/// One envelope every way it is held or shown: its JSON, its `Debug`, its
/// sealed bytes and the bytes its hash covers (read as text, lossily).
fn envelope_text(env: &EventEnvelope) -> String {
    let mut bytes = vec![];
    env.canonical_bytes(&mut bytes);
    let sealed = match &env.event {
        Event::SeatHeld { passenger, .. } => String::from_utf8_lossy(&passenger.ciphertext).into_owned(),
        _ => String::new(),
    };
    format!("{}\n{env:?}\n{sealed}\n{}\n", serde_json::to_string(env).unwrap(), String::from_utf8_lossy(&bytes))
}

/// Everything the run holds, as text.
fn scan(h: &mut Harness) -> String {
    let mut text = String::new();
    let mut q = h.world_mut().query::<&StoredEvent>();
    let stored: Vec<_> = q.iter(h.world()).map(|e| e.0.clone()).collect();
    for env in &stored {
        text += &envelope_text(env);
    }
    let mut q = h.world_mut().query::<&BusMessage>();
    let messages: Vec<_> = q.iter(h.world()).map(|m| m.event.clone()).collect();
    for env in &messages {
        text += &envelope_text(env);
    }
    let mut q = h.world_mut().query::<&ProjectorView>();
    for pv in q.iter(h.world()) {
        text += &serde_json::to_string(&pv.view).unwrap();
    }
    text += &all::<BusMessage>(h);
    text += &all::<OutboxRow>(h);
    text += &all::<CacheEntry>(h);
    text += &all::<Saga>(h);
    text += &all::<CommandInFlight>(h);
    text += &all::<Vendor>(h);
    let world = h.world();
    text += &format!("{:?}\n{:?}\n", world.resource::<CommandLog>().records, world.resource::<QueryLog>().by_label);
    // The UI's tables: the command log, the Events view, the detail lines.
    text += &format!("{:?}\n", command_rows(world.resource::<CommandLog>(), usize::MAX));
    for env in &stored {
        text += &format!("{:?}\n", event_row(env));
    }
    text
}

/// What the detail pane shows of each stored event's passenger: opened
/// with her key, for display only, while the key exists.
fn shown(h: &mut Harness) -> String {
    let mut q = h.world_mut().query::<&StoredEvent>();
    let keys = h.world().resource::<KeyStore>();
    q.iter(h.world()).map(|e| format!("{:?}\n", passenger_line(&e.0, Some(keys)))).collect()
}

fn ana_seat_held(h: &Harness) -> Vec<EventEnvelope> {
    h.events()
        .into_iter()
        .filter(|e| matches!(&e.event, Event::SeatHeld { customer, .. } if customer.as_str() == "ana"))
        .collect()
}

#[test]
fn after_an_erasure_no_byte_the_run_holds_reads_as_her_and_the_chain_verifies() {
    let mut h = harness(21);
    h.command("hold", hold("ana", "IB3166", "7A"));
    h.command("bob", hold("bob", "IB3166", "7B"));
    let legs = vec![SeatRef { flight: "LH0400".into(), seat: "7C".into() }];
    h.command("trip", CustomerCommand::BookItinerary { customer: "ana".into(), legs });
    h.run(10);
    h.command("pay", pay("ana", "IB3166", "7A"));
    assert!(h.run_to_drain(4_000));
    let held = ana_seat_held(&h);
    assert_eq!(held.len(), 2, "her hold and her itinerary's leg");
    // Before: nothing holds her readable either; only her key opens her
    // data, for the detail pane.
    let before = scan(&mut h);
    assert!(shown(&mut h).contains(NAME));
    assert!(!before.contains(NAME) && !before.contains(EMAIL), "stored sealed from the start");
    let keys = h.world().resource::<KeyStore>();
    assert!(
        held.iter()
            .all(|e| matches!(passenger_line(e, Some(keys)), Some(PassengerLine::Readable(t)) if t.contains(NAME)))
    );

    h.command("forget", CustomerCommand::GdprDelete { customer: "ana".into() });
    assert!(h.run_to_drain(4_000));
    let after = scan(&mut h) + &shown(&mut h);
    assert!(!after.contains(NAME) && !after.contains(EMAIL));
    let keys = h.world().resource::<KeyStore>();
    assert!(!keys.has_key(&"ana".into()), "her key is destroyed");
    for env in ana_seat_held(&h) {
        assert_eq!(held.iter().find(|e| e.seq == env.seq), Some(&env), "the stored event is unchanged");
        assert!(matches!(passenger_line(&env, Some(keys)), Some(PassengerLine::Erased(_))));
        assert!(event_payload(&env, Some(keys)).starts_with("passenger redacted"), "the Events view marks it");
    }
    let bob = h
        .events()
        .into_iter()
        .find(|e| matches!(&e.event, Event::SeatHeld { customer, .. } if customer.as_str() == "bob"))
        .unwrap();
    assert!(
        matches!(passenger_line(&bob, Some(keys)), Some(PassengerLine::Readable(t)) if t.contains("Bob Smith")),
        "others still open"
    );
    assert!(!event_payload(&bob, Some(keys)).contains("redacted"));
    assert!(h.invariants().status[CHAIN].ok, "the chain verifies over the sealed bytes");
    assert!(h.invariants().all_ok(), "{:?}", h.invariants().violations());

    // The scan can fail: her name planted in a record it reads is found.
    let id = *h.world().resource::<CommandLog>().records.keys().next().unwrap();
    h.world_mut().resource_mut::<CommandLog>().records.get_mut(&id).unwrap().reason = Some(format!("for {NAME}"));
    assert!(scan(&mut h).contains(NAME));
}
