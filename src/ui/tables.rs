//! The rows the table views show, as plain data computed from the sim:
//! kept apart from egui so tests can check them without a GPU or a window.

use crate::domain::{Event, EventEnvelope, hex};
use crate::sim::command_intake::CommandLog;
use crate::sim::consumer::Consumer;
use crate::sim::keys::KeyStore;
use crate::sim::protocol::{ConsumerId, Outcome};
use crate::sim::store::EventStore;

/// One line of the command log view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandRow {
    pub id: u64,
    pub tick: u64,
    pub command: &'static str,
    pub target: String,
    pub expected_version: Option<u32>,
    pub outcome: Outcome,
    pub reason: String,
    pub correlation: u64,
}

/// The latest `n` commands, newest first.
pub fn command_rows(log: &CommandLog, n: usize) -> Vec<CommandRow> {
    log.records
        .values()
        .rev()
        .take(n)
        .map(|r| CommandRow {
            id: r.id,
            tick: r.tick,
            command: r.name,
            target: r.target.to_string(),
            expected_version: r.expected_version,
            outcome: r.outcome,
            reason: r.reason.clone().unwrap_or_default(),
            correlation: r.correlation,
        })
        .collect()
}

/// One line of the Events view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRow {
    pub seq: u64,
    pub aggregate: String,
    pub version: u32,
    pub kind: &'static str,
    pub payload: String,
    pub tick: u64,
    pub hash: String,
    pub correlation: u64,
}

pub fn event_row(env: &EventEnvelope) -> EventRow {
    EventRow {
        seq: env.seq,
        aggregate: env.aggregate_id.to_string(),
        version: env.version,
        kind: env.kind().name(),
        payload: env.event.preview(),
        tick: env.tick,
        hash: hex(&env.hash)[..10].to_string(),
        correlation: env.correlation_id,
    }
}

/// What the detail pane says about a `SeatHeld`'s sealed passenger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PassengerLine {
    /// Her key exists: opened for display (the store holds it sealed).
    Readable(String),
    /// Her key was destroyed: why the bytes are unreadable yet still verify.
    Erased(String),
}

/// The payload column of the Events view: the event's preview, marked
/// when it carries a passenger whose key an erasure destroyed.
pub fn event_payload(env: &EventEnvelope, keys: Option<&KeyStore>) -> String {
    match passenger_line(env, keys) {
        Some(PassengerLine::Erased(_)) => format!("passenger redacted · {}", env.event.preview()),
        _ => env.event.preview(),
    }
}

/// The passenger line of `env`, opened with the key store when her key
/// still exists; None for events that carry no passenger.
pub fn passenger_line(env: &EventEnvelope, keys: Option<&KeyStore>) -> Option<PassengerLine> {
    let Event::SeatHeld { customer, passenger, .. } = &env.event else { return None };
    let epoch = passenger.epoch;
    Some(match keys.and_then(|k| k.open(customer, passenger)) {
        Some(p) => PassengerLine::Readable(format!(
            "passenger {} <{}>: stored sealed, opened here with {customer}'s key (epoch {epoch})",
            p.name, p.email
        )),
        None => PassengerLine::Erased(format!(
            "passenger redacted: {customer}'s key (epoch {epoch}) was destroyed by her GDPR erasure. \
             Its {} sealed bytes are still in the store, unchanged, so this event's hash and the \
             whole chain still verify; nobody can read them again.",
            passenger.ciphertext.len()
        )),
    })
}

/// Where one event stands with one consumer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Processing {
    pub consumer: &'static str,
    /// `applied`, `buffered (waiting for vN)` or `not yet`.
    pub status: String,
}

/// For the pinned event: which consumers applied it, hold it buffered, or
/// have not seen it yet.
pub fn processing<'a>(
    env: &EventEnvelope,
    store: &EventStore,
    consumers: impl IntoIterator<Item = &'a Consumer>,
) -> Vec<Processing> {
    let stream = store.stream_no(&env.aggregate_id);
    let mut out: Vec<(ConsumerId, Processing)> = consumers
        .into_iter()
        .map(|c| {
            let status = if c.has_applied(stream, env.version) {
                "applied".to_string()
            } else if c
                .buffered_for()
                .any(|(agg, versions)| *agg == env.aggregate_id && versions.contains_key(&env.version))
            {
                format!("buffered (waiting for v{})", c.waiting_for(stream))
            } else {
                "not yet".to_string()
            };
            (c.id, Processing { consumer: c.id.name(), status })
        })
        .collect();
    out.sort_by_key(|(id, _)| *id);
    out.into_iter().map(|(_, p)| p).collect()
}
