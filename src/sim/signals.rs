//! What the engine tells presentation each tick, for particles and flashes.
//!
//! Signals are write-only from the engine's side: nothing in the sim reads
//! them back, so a view that drops or delays them cannot change a run.
//! They are only written while [`SignalsEnabled`] is on (the map turns it
//! on); headless runs skip the cost.

use super::protocol::Projection;
use crate::domain::{EventKind, VendorId};
use bevy::prelude::*;

/// Whether the engine writes [`SimSignal`]s (off by default: headless).
#[derive(Resource, Clone, Copy, Debug, Default)]
pub struct SignalsEnabled(pub bool);

/// A consumer of the bus: the 5 projectors and the saga orchestrator.
pub use super::protocol::ConsumerId;

/// One thing that moved this tick.
#[derive(Message, Clone, Debug, PartialEq)]
pub enum SimSignal {
    /// A command reached the Command API: `name` (HoldSeat, Pay…) from a
    /// customer, a saga step or a timer.
    CommandSent { id: u64, name: &'static str, origin: super::protocol::Origin, correlation: u64 },
    /// The Command API answered (`ok`, `conflict`, `rejected`) to whoever
    /// sent the command.
    CommandDone { id: u64, origin: super::protocol::Origin, correlation: u64, outcome: super::protocol::Outcome },
    /// An event was appended to the store (and its outbox row written).
    EventAppended { seq: u64, kind: EventKind, version: u32, correlation: u64 },
    /// The pumper published (or failed to publish) an outbox row.
    OutboxPublished { seq: u64, ok: bool, correlation: u64 },
    /// The exchange put a message on the wire to a consumer's queue; it
    /// joins the queue `transit_ms` later (a message the reorder knob holds
    /// back is sent, and signalled, when it is let go).
    MessageSent {
        seq: u64,
        kind: EventKind,
        version: u32,
        consumer: ConsumerId,
        duplicate: bool,
        transit_ms: u64,
        correlation: u64,
    },
    /// A message reached a consumer's queue.
    Delivered { seq: u64, consumer: ConsumerId, duplicate: bool, correlation: u64 },
    /// A projector handled a message.
    ProjectionApplied { seq: u64, projection: Projection, outcome: ApplyOutcome, correlation: u64 },
    /// The orchestrator or a populator called a vendor: the request takes
    /// `apply_ms` to reach it, the reply `reply_ms` more to come back.
    VendorCalled { vendor: VendorId, op: super::protocol::VendorOpKind, apply_ms: u64, reply_ms: u64, correlation: u64 },
    /// A vendor answered; `late` when its saga step had already timed out.
    VendorReplied { vendor: VendorId, ok: bool, late: bool, correlation: u64 },
    /// A vendor answered a populator's search.
    SearchReplied { vendor: VendorId, ok: bool, correlation: u64 },
    /// The Query API asked Redis.
    CacheGet { hit: bool, correlation: u64 },
    /// A populator filled a Redis key (from the Read DB or the vendors), for
    /// the query that started it.
    CachePopulated { correlation: u64 },
    /// A query was answered.
    QueryServed { correlation: u64 },
    /// A saga step finished (ok, fail, timeout, compensate ok).
    SagaStep { saga: u64, outcome: super::protocol::StepOutcome, correlation: u64 },
}

impl SimSignal {
    /// The correlation id of the request this movement belongs to.
    pub fn correlation(&self) -> u64 {
        match self {
            SimSignal::CommandSent { correlation, .. }
            | SimSignal::CommandDone { correlation, .. }
            | SimSignal::EventAppended { correlation, .. }
            | SimSignal::OutboxPublished { correlation, .. }
            | SimSignal::MessageSent { correlation, .. }
            | SimSignal::Delivered { correlation, .. }
            | SimSignal::ProjectionApplied { correlation, .. }
            | SimSignal::VendorCalled { correlation, .. }
            | SimSignal::VendorReplied { correlation, .. }
            | SimSignal::SearchReplied { correlation, .. }
            | SimSignal::CacheGet { correlation, .. }
            | SimSignal::CachePopulated { correlation }
            | SimSignal::QueryServed { correlation }
            | SimSignal::SagaStep { correlation, .. } => *correlation,
        }
    }
}

/// What a consumer did with one delivered message.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ApplyOutcome {
    Applied,
    DuplicateSkipped,
    Buffered,
}

/// Writes signals only when enabled.
#[derive(bevy::ecs::system::SystemParam)]
pub struct Signals<'w> {
    enabled: Option<Res<'w, SignalsEnabled>>,
    writer: MessageWriter<'w, SimSignal>,
}

impl Signals<'_> {
    pub fn send(&mut self, signal: SimSignal) {
        if self.enabled.as_ref().is_some_and(|e| e.0) {
            self.writer.write(signal);
        }
    }

    pub fn on(&self) -> bool {
        self.enabled.as_ref().is_some_and(|e| e.0)
    }
}

pub(super) fn plugin(app: &mut App) {
    app.add_message::<SimSignal>();
}
