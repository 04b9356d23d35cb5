//! The rows the table views show, computed headlessly from a known state.

use crate::engine::{harness, hold, race_for_last_seat};
use cqrs_tickets::sim::command_intake::CommandLog;
use cqrs_tickets::sim::consumer::Consumer;
use cqrs_tickets::sim::protocol::Outcome;
use cqrs_tickets::sim::store::EventStore;
use cqrs_tickets::ui::tables::{command_rows, event_row, processing};

#[test]
fn after_the_race_the_command_log_shows_one_ok_and_one_conflict() {
    let mut h = harness(1);
    race_for_last_seat(&mut h);
    h.run(5);
    let rows = command_rows(h.world().resource::<CommandLog>(), 40);
    let race: Vec<_> = rows.iter().filter(|r| r.target == "IB0001/1A" && r.command == "HoldSeat").collect();
    assert_eq!(race.len(), 2);
    let mut outcomes: Vec<Outcome> = race.iter().map(|r| r.outcome).collect();
    outcomes.sort();
    assert_eq!(outcomes, [Outcome::Ok, Outcome::Conflict]);
    assert!(race.iter().all(|r| r.expected_version == Some(0)));
    assert!(race.iter().any(|r| r.reason.contains("unique key")));
}

#[test]
fn a_pinned_event_shows_who_applied_it() {
    let mut h = harness(2);
    h.command("h", hold("ana", "IB3166", "2C"));
    h.run(3);
    let env = h.events()[0].clone();
    let row = event_row(&env);
    assert_eq!((row.seq, row.aggregate.as_str(), row.version, row.kind), (1, "IB3166/2C", 1, "SeatHeld"));
    assert!(!row.payload.contains("Ana"), "no PII in the preview");
    let mut q = h.world_mut().query::<&Consumer>();
    let early = processing(&env, h.world().resource::<EventStore>(), q.iter(h.world()));
    assert_eq!(early.len(), 6);
    assert!(early.iter().any(|p| p.status == "not yet"), "{early:?}");
    h.run(100);
    let mut q = h.world_mut().query::<&Consumer>();
    let late = processing(&env, h.world().resource::<EventStore>(), q.iter(h.world()));
    assert!(late.iter().all(|p| p.status == "applied"), "{late:?}");
}
