//! The engine's shared vocabulary: the order of a tick ([`SimSet`]) and the
//! small types its parts hand each other (which read model, which queue,
//! who sent a command, how it ended). Every part of `sim` may use this
//! module; it uses none of them, so it can never close an import cycle.
//!
//! It holds types only: no state, no systems, no behaviour beyond names.

use bevy::prelude::*;
use serde::{Deserialize, Serialize};

/// The order of one tick. Every sim system belongs to exactly one of these,
/// and they run in this order (chained). Work handed from one set to a
/// later one is seen in the same tick; work handed backwards waits a tick.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SimSet {
    /// Advance the clock; drain the [`Inbox`] (script, UI, burst and
    /// stampede generators) into commands/queries in flight and knob changes.
    Input,
    /// Fire due timers: hold expiries (as commands), cache TTL evictions,
    /// saga step timeouts.
    Timers,
    /// Command API: commit appends decided last tick (expected-version check
    /// = the unique key), then load-by-fold and decide arrived commands.
    Commands,
    /// Outbox pumper: publish a bounded batch of outbox rows to the exchange.
    Outbox,
    /// RabbitMQ: messages whose transit ended join their consumer's queue.
    Bus,
    /// The 5 projectors consume their queues at their rates (idempotency
    /// log, ordering buffer, replay).
    Projectors,
    /// Vendor adapters apply requests and send replies when latency elapses.
    Vendors,
    /// Saga orchestrator: consume its queue, vendor replies, step timeouts;
    /// advance or compensate.
    Sagas,
    /// Query API + Redis: gets, single-flight populators, served queries.
    Queries,
    /// Invariant checks that are cheap enough for every tick.
    Invariants,
}

/// The five read models.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Projection {
    AvailableFlights,
    CustomerBookings,
    BookingDetail,
    VendorLedger,
    Revenue,
}

crate::names!(Projection as "projection" {
    AvailableFlights => "AvailableFlights",
    CustomerBookings => "CustomerBookings",
    BookingDetail => "BookingDetail",
    VendorLedger => "VendorLedger",
    Revenue => "Revenue",
});

/// A queue on the exchange: one per projector, one for the orchestrator.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ConsumerId {
    Projector(Projection),
    Orchestrator,
}

impl ConsumerId {
    pub const ALL: [ConsumerId; 6] = [
        ConsumerId::Projector(Projection::AvailableFlights),
        ConsumerId::Projector(Projection::CustomerBookings),
        ConsumerId::Projector(Projection::BookingDetail),
        ConsumerId::Projector(Projection::VendorLedger),
        ConsumerId::Projector(Projection::Revenue),
        ConsumerId::Orchestrator,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ConsumerId::Projector(p) => p.name(),
            ConsumerId::Orchestrator => "SagaOrchestrator",
        }
    }
}

/// Who sent a command.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Origin {
    Customer,
    Saga(u64),
    Timer,
}

/// `inflight / ok / conflict / rejected`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Outcome {
    Inflight,
    Ok,
    Conflict,
    Rejected,
}

crate::names!(Outcome as "outcome" {
    Ok => "ok",
    Conflict => "conflict",
    Rejected => "rejected",
    Inflight => "inflight",
});

/// How a saga's step, a compensation, or the saga as a whole went: the
/// outcome column of the saga log and of its signals.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum StepOutcome {
    Ok,
    Fail,
    Timeout,
    /// A compensation ran (or had nothing to undo).
    CompensateOk,
    /// A compensation must run again (its command came back `conflict`).
    CompensateRetry,
    /// A compensation cannot go on (it waits for a person).
    Stuck,
    /// The step waits for a hold elsewhere to end before it tries again.
    Wait,
    /// A vendor's reply came after its step had timed out; its effect was undone.
    LateReplyCompensated,
    /// The saga finished: every step done.
    Completed,
    /// The saga finished: every done step undone.
    Compensated,
    /// The orchestrator came back from a crash and picked the saga up
    /// from its record.
    Resumed,
    /// A second reply to a request sent again after a crash: the vendor
    /// acted once, nothing to undo.
    CopyIgnored,
}

crate::names!(StepOutcome as "saga step outcome" {
    Ok => "ok",
    Fail => "fail",
    Timeout => "timeout",
    CompensateOk => "compensate ok",
    CompensateRetry => "compensate retry",
    Stuck => "stuck",
    Wait => "wait",
    LateReplyCompensated => "late reply compensated",
    Completed => "completed",
    Compensated => "compensated",
    Resumed => "resumed",
    CopyIgnored => "copy ignored",
});

impl StepOutcome {
    /// A step that failed (and starts compensations).
    pub fn is_failure(self) -> bool {
        matches!(self, StepOutcome::Fail | StepOutcome::Timeout)
    }

    /// Work that undid something: a compensation, or the saga it ended.
    pub fn is_compensation(self) -> bool {
        matches!(self, StepOutcome::CompensateOk | StepOutcome::Compensated)
    }
}

/// What a vendor call asks for, without its arguments (for signals).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum VendorOpKind {
    Hold,
    Release,
    Issue,
    Void,
    Search,
}

crate::names!(VendorOpKind as "vendor operation" {
    Hold => "hold",
    Release => "release",
    Issue => "issue",
    Void => "void",
    Search => "search",
});
