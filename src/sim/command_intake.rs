//! The Command API's front door: what a sender (the script, the UI, a saga
//! step, a timer) puts in, and the log of how each command ended. Sending a
//! command spawns it as an entity in flight with its arrival tick; the
//! Command API (`command_api`) takes it from there in [`SimSet::Commands`].
//!
//! It must not decide or commit anything: senders depend on this module so
//! that they need not depend on the Command API itself.

use super::protocol::{Origin, Outcome};
use super::runtime::{DueQueue, IdGen, SimEntity};
use super::signals::SimSignal;
use crate::domain::{AggregateId, Command, CustomerId, Event, FlightId, SeatNo, Tick};
use bevy::prelude::*;
use serde::{Deserialize, Serialize};
use smol_str::{SmolStr, format_smolstr};
use std::collections::BTreeMap;

/// A seat of an itinerary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatRef {
    pub flight: FlightId,
    pub seat: SeatNo,
}

/// What a customer can ask the command side.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CustomerCommand {
    /// Hold a seat. With `expected_version`, the client says which version
    /// it read (optimistic concurrency from the client's view).
    HoldSeat { customer: CustomerId, flight: FlightId, seat: SeatNo, expected_version: Option<u32> },
    /// Authorise payment for a held seat.
    AuthorizePayment { customer: CustomerId, flight: FlightId, seat: SeatNo },
    /// Pay for a held seat (capture; the orchestrator then issues the ticket).
    Pay { customer: CustomerId, flight: FlightId, seat: SeatNo },
    /// Book several legs atomically through a saga.
    BookItinerary { customer: CustomerId, legs: Vec<SeatRef> },
    /// GDPR erasure: tombstone every stream the customer held.
    GdprDelete { customer: CustomerId },
}

impl CustomerCommand {
    fn name(&self) -> &'static str {
        match self {
            CustomerCommand::HoldSeat { .. } => "HoldSeat",
            CustomerCommand::AuthorizePayment { .. } => "AuthorizePayment",
            CustomerCommand::Pay { .. } => "Pay",
            CustomerCommand::BookItinerary { .. } => "BookItinerary",
            CustomerCommand::GdprDelete { .. } => "GDPRDelete",
        }
    }

    /// What the command is about, for the log (an inline string: every
    /// command writes one).
    fn target(&self) -> SmolStr {
        match self {
            CustomerCommand::HoldSeat { flight, seat, .. }
            | CustomerCommand::AuthorizePayment { flight, seat, .. }
            | CustomerCommand::Pay { flight, seat, .. } => format_smolstr!("{flight}/{seat}"),
            CustomerCommand::BookItinerary { legs, .. } => {
                legs.iter().map(|l| format!("{}/{}", l.flight, l.seat)).collect::<Vec<_>>().join("+").into()
            }
            CustomerCommand::GdprDelete { customer } => format_smolstr!("customer {customer}"),
        }
    }

    fn customer(&self) -> &CustomerId {
        match self {
            CustomerCommand::HoldSeat { customer, .. }
            | CustomerCommand::AuthorizePayment { customer, .. }
            | CustomerCommand::Pay { customer, .. }
            | CustomerCommand::BookItinerary { customer, .. }
            | CustomerCommand::GdprDelete { customer } => customer,
        }
    }
}

/// A command as the Command API receives it.
#[derive(Clone, Debug, PartialEq)]
pub enum CommandRequest {
    Customer(CustomerCommand),
    /// From a saga step or a timer: a domain command on one stream. With a
    /// `fence`, it only concerns the hold cycle opened at that version: if
    /// the seat has been released and held again since, a compensation is a
    /// no-op and a forward step is rejected.
    Internal {
        aggregate: AggregateId,
        command: Command,
        fence: Option<u32>,
    },
}

/// One line of the command log.
#[derive(Clone, Debug, PartialEq)]
pub struct CommandRecord {
    pub id: u64,
    pub label: Option<String>,
    pub tick: Tick,
    pub done_tick: Option<Tick>,
    pub name: &'static str,
    pub target: SmolStr,
    pub customer: Option<CustomerId>,
    pub expected_version: Option<u32>,
    pub outcome: Outcome,
    pub reason: Option<String>,
    pub origin: Origin,
    pub correlation: u64,
    /// Seqs of the events this command appended.
    pub seqs: Vec<u64>,
    /// Stream version of the first event it appended.
    pub first_version: Option<u32>,
}

/// The command log: recent records, every labelled one, and exact totals.
#[derive(Resource, Debug, Default)]
pub struct CommandLog {
    /// Boxed: a record is a few hundred bytes, and the map moves its
    /// neighbours on every insert and eviction (a pointer each, this way).
    pub records: BTreeMap<u64, Box<CommandRecord>>,
    pub labels: BTreeMap<String, u64>,
    /// Totals by outcome over the whole run (`inflight` = still open).
    pub counts: BTreeMap<Outcome, u64>,
    /// Commands answered since the orchestrator last looked (it wakes the
    /// sagas waiting on them instead of polling every saga every tick).
    pub closed_recently: Vec<u64>,
    /// Commands in flight by the tick they arrive, then by the tick they
    /// commit: decide and commit take the due ones without looking at the
    /// others in flight.
    pub(super) arriving: DueQueue,
    pub(super) committing: DueQueue,
}

/// Finished, unlabelled records older than this many are dropped from the
/// log (the totals stay exact): the log is a window, not the history.
const LOG_WINDOW: usize = 20_000;

impl CommandLog {
    pub fn get(&self, id: u64) -> Option<&CommandRecord> {
        self.records.get(&id).map(Box::as_ref)
    }
    pub fn by_label(&self, label: &str) -> Option<&CommandRecord> {
        self.labels.get(label).and_then(|id| self.records.get(id)).map(Box::as_ref)
    }
    pub fn count(&self, outcome: Outcome) -> u64 {
        self.counts.get(&outcome).copied().unwrap_or(0)
    }

    fn open(&mut self, record: CommandRecord) {
        if let Some(label) = &record.label {
            self.labels.insert(label.clone(), record.id);
        }
        *self.counts.entry(Outcome::Inflight).or_default() += 1;
        self.records.insert(record.id, Box::new(record));
        while self.records.len() > LOG_WINDOW {
            let Some((&id, r)) = self.records.iter().find(|(_, r)| r.outcome != Outcome::Inflight && r.label.is_none())
            else {
                break;
            };
            let _ = r;
            self.records.remove(&id);
        }
    }

    pub(super) fn close(&mut self, id: u64, now: Tick, outcome: Outcome, reason: Option<String>, seqs: Vec<u64>) {
        self.close_at(id, now, outcome, reason, seqs, None);
    }

    pub(super) fn close_at(
        &mut self,
        id: u64,
        now: Tick,
        outcome: Outcome,
        reason: Option<String>,
        seqs: Vec<u64>,
        first_version: Option<u32>,
    ) {
        self.closed_recently.push(id);
        if let Some(r) = self.records.get_mut(&id) {
            r.first_version = first_version;
            r.outcome = outcome;
            r.reason = reason;
            r.done_tick = Some(now);
            r.seqs = seqs;
        }
        if let Some(c) = self.counts.get_mut(&Outcome::Inflight) {
            *c = c.saturating_sub(1);
        }
        *self.counts.entry(outcome).or_default() += 1;
    }
}

/// One stream write decided by the Command API.
#[derive(Clone, Debug, PartialEq)]
pub struct Write {
    pub aggregate: AggregateId,
    /// The stream's number in the store, as found when deciding (None for
    /// a stream the store had never seen): the commit reads the version
    /// and the snapshot row by it instead of looking the id up again.
    pub stream: Option<u32>,
    pub expected_version: u32,
    pub events: Vec<Event>,
}

/// A command travelling to, or being committed by, the Command API.
#[derive(Component, Clone, Debug)]
pub struct CommandInFlight {
    pub correlation: u64,
    pub request: CommandRequest,
    pub stage: Stage,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Stage {
    /// On the network; decided when `arrive_tick` comes.
    Travelling { arrive_tick: Tick },
    /// Decided; the INSERTs commit at `commit_tick`.
    Committing { commit_tick: Tick, writes: Vec<Write> },
}

/// The signal of a command's answer, which goes back to whoever sent it.
pub(super) fn done(log: &CommandLog, id: u64, correlation: u64, outcome: Outcome) -> SimSignal {
    let origin = log.records.get(&id).map_or(Origin::Customer, |r| r.origin);
    SimSignal::CommandDone { id, origin, correlation, outcome }
}

/// A command on its way out: what it asks, who sends it, when it leaves
/// and how many ticks the network takes.
pub struct Outgoing {
    pub request: CommandRequest,
    pub origin: Origin,
    pub now: Tick,
    pub delay_ticks: Tick,
    /// The chain it belongs to (None: it starts its own, under its id).
    pub correlation: Option<u64>,
    /// Its name for expectations and tests.
    pub label: Option<String>,
}

/// Sends a command. Returns its id (also its correlation id unless one is
/// given: a saga's commands carry the saga's correlation).
pub fn submit(commands: &mut Commands, log: &mut CommandLog, ids: &mut IdGen, outgoing: Outgoing) -> u64 {
    let Outgoing { request, origin, now, delay_ticks, correlation, label } = outgoing;
    let id = ids.next_id();
    let correlation = correlation.unwrap_or(id);
    let (name, target, customer, expected_version) = match &request {
        CommandRequest::Customer(c) => {
            let ev = match c {
                CustomerCommand::HoldSeat { expected_version, .. } => *expected_version,
                _ => None,
            };
            (c.name(), c.target(), Some(c.customer().clone()), ev)
        }
        CommandRequest::Internal { aggregate, command, .. } => (command.name(), aggregate.as_str().into(), None, None),
    };
    log.open(CommandRecord {
        id,
        label,
        tick: now,
        done_tick: None,
        name,
        target,
        customer,
        expected_version,
        outcome: Outcome::Inflight,
        reason: None,
        origin,
        correlation,
        seqs: vec![],
        first_version: None,
    });
    let arrive_tick = now + delay_ticks;
    let e =
        commands.spawn((SimEntity, CommandInFlight { correlation, request, stage: Stage::Travelling { arrive_tick } }));
    log.arriving.push(arrive_tick, id, e.id());
    id
}
