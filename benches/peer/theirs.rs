//! The peer's side: the workload through `cqrs_es::CqrsFramework` with the
//! crate's `MemStore` (the headline figure) or `QuietMemStore` (the control
//! figure) and the five query processors, and the peer's views alone over
//! the same events. Only the command loop (or the views' updates) is timed;
//! building the commands and the views, and the checks after, are not.
//!
//! It measures and checks, and returns seconds: it must not print results
//! (that is `report`'s) nor run our engine.

use crate::domain::Seat;
use crate::store::QuietMemStore;
use crate::views::Views;
use crate::workload::{Order, n_flights, workload};
use cqrs_es::mem_store::MemStore;
use cqrs_es::{CqrsFramework, EventEnvelope, EventStore};
use std::time::Instant;

/// Runs the workload on `store`; returns the seconds the command loop took.
fn run_on<ES: EventStore<Seat>>(store: ES, n_seats: usize, order: Order) -> f64 {
    let flights = n_flights(n_seats);
    let views = Views::new(flights);
    let cqrs = CqrsFramework::new(store, views.queries(), ());
    let commands = workload(n_seats, order);

    let t = Instant::now();
    futures_lite::future::block_on(async {
        for (aggregate_id, command) in commands {
            cqrs.execute(&aggregate_id, command).await.expect("command refused");
        }
    });
    let secs = t.elapsed().as_secs_f64();

    views.check(n_seats, flights);
    secs
}

/// cqrs-es with its `MemStore` and five query processors: (events stored,
/// seconds for the command loop).
pub fn cqrs_es_events_per_s(n_seats: usize) -> (u64, f64) {
    let store: MemStore<Seat> = MemStore::default();
    // A clone shares the events (the crate's advice); `get_events` is the
    // only way to count them without `load_events` printing a line each.
    let handle = store.clone();
    let secs = run_on(store, n_seats, Order::SeatBySeat);
    #[allow(deprecated)]
    let events = handle.get_events().read().unwrap().values().map(Vec::len).sum::<usize>() as u64;
    assert_eq!(events, 3 * n_seats as u64);
    (events, secs)
}

/// The same with `QuietMemStore` (MemStore without its per-command
/// `println!`s): the control figure. Last, seat by seat, the seconds the
/// peer's five views alone take over the run's events (see
/// [`peer_views_alone`]).
pub fn cqrs_es_quiet_events_per_s(n_seats: usize, order: Order) -> (u64, f64, Option<f64>) {
    let store = QuietMemStore::default();
    let handle = store.clone();
    let secs = run_on(store, n_seats, order);
    let events = handle.0.read().unwrap().values().map(Vec::len).sum::<usize>() as u64;
    assert_eq!(events, 3 * n_seats as u64);
    (events, secs, (order == Order::SeatBySeat).then(|| peer_views_alone(&handle, n_seats)))
}

/// What the peer's read models alone cost, measured as [`crate::ours`]'s `views_alone`
/// measures ours: its five views' `update` (what each query processor's
/// `dispatch` calls) each applying the run's events, seat by seat as they
/// were committed, to a fresh view, one view after the other. No store, no
/// aggregate, no `CqrsFramework`. Checked as after a run. Returns seconds.
fn peer_views_alone(store: &QuietMemStore, n_seats: usize) -> f64 {
    let streams = store.0.read().unwrap();
    let events: Vec<(&str, &EventEnvelope<Seat>)> = workload(n_seats, Order::SeatBySeat)
        .iter()
        .step_by(3)
        .flat_map(|(id, _)| {
            let (id, stream) = streams.get_key_value(id).expect("every seat's stream was stored");
            stream.iter().map(move |e| (id.as_str(), e))
        })
        .collect();
    assert_eq!(events.len(), 3 * n_seats);
    let flights = n_flights(n_seats);
    let views = Views::new(flights);
    let t = Instant::now();
    for (_, e) in &events {
        views.available.update(std::slice::from_ref(*e));
    }
    for (id, e) in &events {
        views.customers.update(id, std::slice::from_ref(*e));
    }
    for (id, e) in &events {
        views.detail.update(id, std::slice::from_ref(*e));
    }
    for (id, e) in &events {
        views.ledger.update(id, std::slice::from_ref(*e));
    }
    for (_, e) in &events {
        views.revenue.update(std::slice::from_ref(*e));
    }
    let secs = t.elapsed().as_secs_f64();
    views.check(n_seats, flights);
    secs
}
