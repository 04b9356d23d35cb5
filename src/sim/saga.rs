//! The saga orchestrator: long-running bookings as state machines with
//! explicit, idempotent compensations and no distributed locks.
//!
//! A saga is a list of steps (hold locally, hold at the vendor, wait for /
//! capture payment, issue at the vendor). Each step runs as a few *ops*
//! (a command through the Command API, a vendor call, or waiting for an
//! event from the orchestrator's own queue). A forward vendor op has a step
//! timeout (`saga_step_timeout_ms`, 2.5 s by default; compensations have none). When step n fails, the compensations of steps
//! n-1 … 0 run in reverse order; a vendor reply that arrives after its
//! step gave up is compensated on its own (release / void), so no hold
//! leaks. Every step writes a log line. The orchestrator consumes its queue
//! through the same idempotency log and ordering buffer as a projector.
//! It can crash (`CrashOrchestrator`): the saga table (the `Saga`
//! components and the index of commands sent and vendor replies owed) is
//! written with its decisions and survives; its wake list and timers do
//! not; on restart it resumes every saga from the table and asks again for
//! every owed reply under the request's idempotency key.

use super::config::WorldConfig;
use super::config::ticks;
use super::consumer::{Consumer, ConsumerQueue, Receive};
use super::knobs::{Knobs, Mechanisms};
use super::runtime::{IdGen, SimClock, SimEntity, SimSetup};
use super::runtime::{ResetOrder, add_reset};
use super::signals::{Signals, SimSignal};
use super::store::EventStore;
use super::timers::{FiredTimers, Timer, TimerKey, TimerKind, TimerWheel};
use super::vendors::{self, Caller, Reply, VendorOp, VendorReplies, VendorRequest, Vendors};
use super::{
    bus::{Bus, BusMessage},
    protocol::ConsumerId,
};
use super::{
    command_intake::{self, CommandLog, CommandRequest, Outgoing},
    protocol::{Origin, Outcome},
};
use super::{
    protocol::{SimSet, StepOutcome},
    runtime::SimRng,
};
use crate::domain::{
    AggregateId, Command, CustomerId, Event, EventEnvelope, EventKind, FlightId, SealedPassenger, SeatNo, Tick,
    VendorId,
};
use bevy::ecs::system::SystemParam;
use bevy::platform::collections::HashMap;
use bevy::prelude::*;
use smallvec::SmallVec;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::ControlFlow;

/// Most legs one itinerary may have.
pub const MAX_LEGS: usize = 6;
/// Finished sagas kept for display; older ones are despawned.
const KEEP_FINISHED: usize = 500;
/// Attempts per op before a saga gives up and reports itself stuck.
const MAX_ATTEMPTS: u32 = 5;

/// One seat of a saga.
#[derive(Clone, Debug, PartialEq)]
pub struct Leg {
    pub aggregate: AggregateId,
    pub flight: FlightId,
    pub seat: SeatNo,
    pub vendor: VendorId,
    pub price_cents: u64,
    /// Sealed with the customer's key, as in her `SeatHeld`.
    pub passenger: SealedPassenger,
}

/// A step of a saga (the number is the leg).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum StepAction {
    /// HoldSeat on the leg's stream (done by the customer for a single booking).
    LocalHold(usize),
    /// Hold the seat at the vendor.
    VendorHold(usize),
    /// Wait for the customer's payment (PaymentCaptured) or the hold's expiry.
    AwaitPayment(usize),
    /// Capture payment for the leg (itineraries).
    Capture(usize),
    /// Issue the ticket at the vendor, then record it.
    VendorIssue(usize),
}

impl StepAction {
    pub fn name(self) -> String {
        match self {
            StepAction::LocalHold(l) => format!("hold seat (leg {})", l + 1),
            StepAction::VendorHold(l) => format!("vendor hold (leg {})", l + 1),
            StepAction::AwaitPayment(l) => format!("await payment (leg {})", l + 1),
            StepAction::Capture(l) => format!("capture payment (leg {})", l + 1),
            StepAction::VendorIssue(l) => format!("issue ticket (leg {})", l + 1),
        }
    }
    fn leg(self) -> usize {
        match self {
            StepAction::LocalHold(l)
            | StepAction::VendorHold(l)
            | StepAction::AwaitPayment(l)
            | StepAction::Capture(l)
            | StepAction::VendorIssue(l) => l,
        }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SagaState {
    Running,
    Compensating,
    /// Every step done.
    Completed,
    /// A step failed and every compensation ran.
    Compensated,
    /// A step failed and no compensation ran (the compensation safeguard is off).
    Aborted,
    /// A compensation kept failing.
    Stuck,
}

crate::names!(SagaState as "saga state" {
    Running => "running",
    Compensating => "compensating",
    Completed => "completed",
    Compensated => "compensated",
    Aborted => "aborted",
    Stuck => "stuck",
});

impl SagaState {
    pub fn is_terminal(self) -> bool {
        !matches!(self, SagaState::Running | SagaState::Compensating)
    }
}

/// One line of a saga's log.
#[derive(Clone, Debug, PartialEq)]
pub struct LogLine {
    pub tick: Tick,
    pub step: LogStep,
    pub outcome: StepOutcome,
    /// Fixed texts are not copied: most lines have one (or none).
    pub detail: Cow<'static, str>,
}

/// What a log line (or a compensation) is about. Kept as data and written
/// out only when displayed: a busy tick logs thousands of lines that
/// nobody reads, and formatting each one was a visible share of it.
#[derive(Clone, Debug, PartialEq)]
pub enum LogStep {
    /// A forward step, e.g. "vendor hold (leg 1)".
    Step(StepAction),
    /// The saga as a whole ("saga").
    Saga,
    /// The compensation of a step, e.g. "undo vendor hold (leg 1)".
    Undo(StepAction),
    /// Recording that the vendor could not issue, e.g. "record issue failure (leg 1)".
    RecordIssueFailure(usize),
    /// A vendor reply that came after its step gave up.
    LateReply { op: &'static str, vendor: VendorId },
}

impl fmt::Display for LogStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Through `pad`, so that `{:<28}` aligns a log column.
        let text = match self {
            LogStep::Step(step) => step.name(),
            LogStep::Saga => "saga".into(),
            LogStep::Undo(step) => format!("undo {}", step.name()),
            LogStep::RecordIssueFailure(l) => format!("record issue failure (leg {})", l + 1),
            LogStep::LateReply { op, vendor } => format!("late {op} reply from {vendor}"),
        };
        f.pad(&text)
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Op {
    Cmd(usize, Command),
    Vendor(usize, VendorOp),
    AwaitPayment(usize),
}

#[derive(Clone, Debug, PartialEq)]
enum Wait {
    Command(u64),
    Vendor {
        token: u64,
    },
    /// The vendor refused our hold because an earlier saga of ours on the
    /// same seat still holds it there (its release is on the way: the
    /// store, the source of truth, gave the seat to this saga). Woken when
    /// that saga ends, then the hold is sent again.
    Blocker {
        saga: u64,
    },
    /// The vendor refused our hold and no saga of ours is live on the
    /// seat: a stale hold of ours is still being released there (a late
    /// reply's compensation on its way). Sent again when the timer fires.
    Backoff {
        token: u64,
        /// When the wait ends (kept to re-arm its timer after a crash).
        until: Tick,
    },
}

/// The first wait before sending a refused hold again; it doubles with
/// each attempt (0.25 + 0.5 + 1 + 2 + 4 s: longer than a slow vendor's
/// release takes to land).
const BACKOFF_MS: u64 = 250;

/// A compensation (or failure-recording) item: a label and its ops.
#[derive(Clone, Debug, PartialEq)]
struct CompItem {
    label: LogStep,
    ops: Vec<Op>,
}

/// A saga.
#[derive(Component, Clone, Debug)]
pub struct Saga {
    pub id: u64,
    pub itinerary: bool,
    pub customer: CustomerId,
    /// Inline for a single booking (the common case): a woken saga reads
    /// its leg without a second trip to memory, and a saga costs one
    /// allocation less.
    pub legs: SmallVec<[Leg; 1]>,
    pub state: SagaState,
    /// The current forward step.
    pub step: usize,
    pub log: Vec<LogLine>,
    pub correlation: u64,
    pub started_tick: Tick,
    pub ended_tick: Option<Tick>,
    op: usize,
    /// Ops of the failed step that had completed (set by `fail`).
    op_progress: usize,
    attempts: u32,
    wait: Option<Wait>,
    reply: Option<Result<Reply, String>>,
    timed_out: bool,
    /// The pending wait's timer (a vendor op's step timeout, or a
    /// backoff), cancelled when the reply is taken: left on the wheel it
    /// would fire stale, and the run would not be quiescent until it had.
    /// The orchestrator's memory: a crash loses it.
    timer: Option<TimerKey>,
    /// The pending forward vendor op's deadline: part of the saga's
    /// record, so that the step timeout survives a crash.
    timeout_at: Option<Tick>,
    comp: Vec<CompItem>,
    /// Per leg (same index as `legs`): what the saga learnt about it.
    progress: SmallVec<[LegProgress; 1]>,
    /// Set when a vendor refused a hold the store had confirmed, for a
    /// reason of ours (the seat held or sold there by our own earlier
    /// state) rather than a fault: the saga then gives the hold up, which
    /// the "no confirmed hold is revoked" invariant forbids.
    pub revoked: Option<String>,
}

/// What a saga knows about one of its legs. A plain row per leg rather
/// than maps keyed by leg: a saga has at most [`MAX_LEGS`] legs, and three
/// small maps per saga cost three allocations each.
#[derive(Clone, Debug, Default, PartialEq)]
struct LegProgress {
    /// The version at which this saga's hold cycle on the seat began (the
    /// fence for its later commands).
    hold_version: Option<u32>,
    /// Event types seen on the queue since that hold, one bit per
    /// [`EventKind`].
    seen: u32,
    /// The PNR the vendor issued.
    pnr: Option<smol_str::SmolStr>,
}

// One bit per event type in `LegProgress::seen`.
const _: () = assert!(EventKind::ALL.len() <= 32);

impl LegProgress {
    fn saw(&self, kind: EventKind) -> bool {
        self.seen & (1 << kind as u32) != 0
    }
}

impl Saga {
    /// Blocked on something that wakes it when it happens: a command's
    /// answer, a vendor reply or timeout, or the customer's payment event.
    fn blocked(&self) -> bool {
        if self.wait.is_some() {
            return true;
        }
        self.state == SagaState::Running
            && matches!(self.step_at(self.step), Some(StepAction::AwaitPayment(_)))
            && self.op == 0
    }

    /// The step being worked on (forward), or the compensation being run.
    pub fn current(&self) -> String {
        match self.state {
            SagaState::Running => self.step_at(self.step).map_or("-".into(), |s| s.name()),
            SagaState::Compensating => self.comp.first().map_or("-".into(), |c| c.label.to_string()),
            s => s.name().into(),
        }
    }

    /// Step `i` of the saga. For n legs: a local hold and a vendor hold per
    /// leg, then the payment of each leg (captured by the saga for an
    /// itinerary, awaited from the customer for a single booking), then the
    /// issue of each. Worked out, not stored: one list less per saga to
    /// allocate and to fetch from memory on every wake-up.
    pub fn step_at(&self, i: usize) -> Option<StepAction> {
        let n = self.legs.len();
        Some(match i {
            i if i < 2 * n && i % 2 == 0 => StepAction::LocalHold(i / 2),
            i if i < 2 * n => StepAction::VendorHold(i / 2),
            i if i < 3 * n && self.itinerary => StepAction::Capture(i - 2 * n),
            i if i < 3 * n => StepAction::AwaitPayment(i - 2 * n),
            i if i < 4 * n => StepAction::VendorIssue(i - 3 * n),
            _ => return None,
        })
    }

    /// Op number `i` of a forward step (None when the step has no more).
    /// Built one at a time: a saga wakes several times per step, and
    /// building the whole list each time cloned every id in it.
    fn forward_op(&self, step: StepAction, i: usize) -> Option<Op> {
        let l = step.leg();
        let leg = &self.legs[l];
        let holder = self.id;
        let op = match (step, i) {
            (StepAction::LocalHold(_), 0) => Op::Cmd(
                l,
                Command::HoldSeat {
                    customer: self.customer.clone(),
                    passenger: leg.passenger.clone(),
                    vendor: leg.vendor.clone(),
                    flight: leg.flight.clone(),
                    price_cents: leg.price_cents,
                    now: 0,
                    hold_ttl_ticks: 0,
                },
            ),
            (StepAction::VendorHold(_), 0) => {
                Op::Vendor(l, VendorOp::Hold { flight: leg.flight.clone(), seat: leg.seat.clone(), holder })
            }
            (StepAction::AwaitPayment(_), 0) => Op::AwaitPayment(l),
            (StepAction::Capture(_), 0) => Op::Cmd(l, Command::Pay { customer: self.customer.clone(), now: 0 }),
            (StepAction::VendorIssue(_), 0) => {
                Op::Vendor(l, VendorOp::Issue { flight: leg.flight.clone(), seat: leg.seat.clone(), holder })
            }
            (StepAction::VendorIssue(_), 1) => Op::Cmd(l, Command::IssueTicket { pnr: Default::default() }),
            _ => return None,
        };
        Some(op)
    }

    fn compensation(&self, step: StepAction) -> Vec<Op> {
        let l = step.leg();
        let leg = &self.legs[l];
        let holder = self.id;
        let (flight, seat) = (leg.flight.clone(), leg.seat.clone());
        let refund = [Op::Cmd(l, Command::InitiateRefund), Op::Cmd(l, Command::CompleteRefund)];
        match step {
            StepAction::LocalHold(_) => {
                let mut ops = refund.to_vec();
                ops.push(Op::Cmd(l, Command::ReleaseSeat { reason: format!("saga #{} compensation", self.id) }));
                ops
            }
            StepAction::VendorHold(_) => vec![Op::Vendor(l, VendorOp::Release { flight, seat, holder })],
            StepAction::AwaitPayment(_) | StepAction::Capture(_) => refund.to_vec(),
            StepAction::VendorIssue(_) => {
                vec![Op::Vendor(l, VendorOp::Void { flight, seat, holder }), Op::Cmd(l, Command::VoidTicket)]
            }
        }
    }

    /// The op the saga is at (forward or compensating), if any.
    fn pending_op(&self) -> Option<Op> {
        match self.state {
            SagaState::Running => self.forward_op(self.step_at(self.step)?, self.op),
            SagaState::Compensating => self.comp.first()?.ops.get(self.op).cloned(),
            _ => None,
        }
    }

    fn line(&mut self, now: Tick, step: LogStep, outcome: StepOutcome, detail: impl Into<Cow<'static, str>>) {
        self.log.push(LogLine { tick: now, step, outcome, detail: detail.into() });
    }
}

/// Index of sagas and the routing of queue events to them.
#[derive(Resource, Debug, Default)]
pub struct Sagas {
    /// Looked up only, never walked (order does not matter): a hash map
    /// answers with one probe where a tree of every kept saga took several
    /// cache misses, on each of a saga's five or so wake-ups.
    pub by_id: HashMap<u64, Entity>,
    /// The live sagas with a leg on each stream (each keeps only the
    /// events of its own hold cycle).
    /// Ids ascending (a saga's id is larger than every saga's before it,
    /// so attaching appends); nearly always one per stream.
    attached: HashMap<AggregateId, SmallVec<[u64; 2]>>,
    /// Commands sent by sagas (so their SeatHeld does not start a new saga):
    /// command id → (saga id, leg).
    commands: HashMap<u64, (u64, usize)>,
    /// The same commands by saga, so finishing a saga forgets its own
    /// commands without scanning every open saga's (a burst of 10^4 sagas
    /// made that scan quadratic).
    commands_of: HashMap<u64, Vec<u64>>,
    finished: std::collections::VecDeque<u64>,
    /// Sagas with something to do this tick. A saga blocked on a reply, a
    /// command or an event sleeps until that arrives, so a tick costs what
    /// happened, not how many sagas are waiting.
    awake: BTreeSet<u64>,
    /// Late vendor replies compensated so far.
    late_replies_compensated: u64,
    pub started: u64,
    /// Crashes of the orchestrator so far.
    pub crashes: u64,
    /// Vendor requests by token, from the decision to send (part of the
    /// saga table) until their last copy's reply: a restart asks again for
    /// each one not answered yet (a reply lost in the crash would otherwise
    /// leave a hold nobody undoes), and a reply to one already answered is
    /// a copy.
    owed: BTreeMap<u64, Owed>,
    /// While the orchestrator is down after a crash: the tick it restarts at.
    down_until: Option<Tick>,
}

impl Sagas {
    pub fn active(&self) -> usize {
        self.by_id.len() - self.finished.len()
    }

    /// While the orchestrator is down after a crash: the tick it restarts at.
    pub fn down_until(&self) -> Option<Tick> {
        self.down_until
    }
}

/// A vendor request of a saga, and its copies in flight.
#[derive(Clone, Debug, PartialEq)]
struct Owed {
    saga: u64,
    vendor: VendorId,
    op: VendorOp,
    correlation: u64,
    /// Requests under this token whose reply has not come (the first, and
    /// one more for each restart that asked again).
    in_flight: u32,
    /// Whether a reply under this token was handled (taken, or undone as
    /// late): every later one is a copy of it.
    answered: bool,
}

/// What a vendor reply is, by its token's entry in the owed table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ReplyIs {
    /// The first reply under its token: taken or undone as late.
    First,
    /// A reply under a token already answered: the vendor acted once (it
    /// answers a key it knows with the result it gave), and the first
    /// reply was dealt with, so there is nothing to take or undo.
    Copy,
}

impl Sagas {
    /// Books a reply under `token` off the owed table.
    fn reply_is(&mut self, token: u64) -> ReplyIs {
        let Some(o) = self.owed.get_mut(&token) else { return ReplyIs::First };
        o.in_flight = o.in_flight.saturating_sub(1);
        let was = if o.answered { ReplyIs::Copy } else { ReplyIs::First };
        o.answered = true;
        if o.in_flight == 0 {
            self.owed.remove(&token);
        }
        was
    }
}

/// Marks a saga that reached a terminal state (no longer stepped).
#[derive(Component, Clone, Copy, Debug)]
pub struct SagaDone;

/// A new saga over `legs` (not yet spawned: see [`spawn`]). Itineraries
/// begin with local holds; a single booking (started by a customer's
/// SeatHeld) begins at the vendor hold.
pub fn new_saga(
    sagas: &mut Sagas,
    ids: &mut IdGen,
    now: Tick,
    customer: CustomerId,
    legs: Vec<Leg>,
    correlation: u64,
    itinerary: bool,
) -> Saga {
    let id = ids.next_id();
    let n = legs.len();
    for leg in &legs {
        let ids = sagas.attached.entry(leg.aggregate.clone()).or_default();
        if !ids.contains(&id) {
            // The newest saga: its id is the largest, the list stays sorted.
            ids.push(id);
        }
    }
    sagas.started += 1;
    sagas.awake.insert(id);
    let mut saga = Saga {
        id,
        itinerary,
        customer,
        legs: legs.into_iter().collect(),
        state: SagaState::Running,
        step: 0,
        // A single booking writes five lines: one allocation, not three.
        log: Vec::with_capacity(5),
        correlation,
        started_tick: now,
        ended_tick: None,
        op: 0,
        op_progress: 0,
        attempts: 0,
        wait: None,
        reply: None,
        timed_out: false,
        timer: None,
        timeout_at: None,
        comp: vec![],
        progress: std::iter::repeat_n(LegProgress::default(), n).collect(),
        revoked: None,
    };
    if !itinerary {
        // The customer's own HoldSeat already did the local hold.
        saga.line(now, LogStep::Step(StepAction::LocalHold(0)), StepOutcome::Ok, "held by the customer's command");
        saga.step = 1;
    }
    saga
}

/// Spawns a saga built by [`new_saga`].
pub fn spawn(commands: &mut Commands, sagas: &mut Sagas, saga: Saga) -> Entity {
    let id = saga.id;
    let done = saga.state.is_terminal();
    let mut e = commands.spawn((SimEntity, saga));
    if done {
        e.insert(SagaDone);
    }
    let e = e.id();
    sagas.by_id.insert(id, e);
    e
}

pub(super) fn plugin(app: &mut App) {
    add_reset(app, ResetOrder::Orchestrator, reset);
    app.add_systems(FixedUpdate, orchestrate.in_set(SimSet::Sagas));
}

/// No saga, and the orchestrator's queue on the exchange (it consumes in
/// stream order: it buffers gaps).
fn reset(world: &mut World, cfg: &WorldConfig) {
    world.insert_resource(Sagas::default());
    let id = ConsumerId::Orchestrator;
    let consumer = Consumer::new(id, cfg.timing.saga_rate_per_s, true);
    let e = world.spawn((SimEntity, ConsumerQueue::new(id), consumer)).id();
    world.resource_mut::<Bus>().attach(id, e);
}

/// Everything a saga's ops need from the rest of the engine.
#[derive(SystemParam)]
struct SagaCtx<'w, 's> {
    commands: Commands<'w, 's>,
    log: ResMut<'w, CommandLog>,
    ids: ResMut<'w, IdGen>,
    vendors: ResMut<'w, Vendors>,
    rng: ResMut<'w, SimRng>,
    knobs: ResMut<'w, Knobs>,
    wheel: ResMut<'w, TimerWheel>,
    timers: Query<'w, 's, &'static mut Timer>,
    mech: Res<'w, Mechanisms>,
    setup: Res<'w, SimSetup>,
    clock: Res<'w, SimClock>,
    signals: Signals<'w>,
}

impl SagaCtx<'_, '_> {
    /// Sends a vendor request on the saga's behalf (one place for the
    /// resources a vendor call needs).
    fn call_vendor(&mut self, request: VendorRequest) -> u64 {
        let SagaCtx { commands, vendors, ids, rng, knobs, signals, .. } = self;
        vendors::call(commands, vendors, ids, rng, knobs, signals, request)
    }
}

/// The system params of [`orchestrate`]: what the orchestrator reads and writes.
#[derive(SystemParam)]
struct OrchestrateParams<'w, 's> {
    ctx: SagaCtx<'w, 's>,
    sagas: ResMut<'w, Sagas>,
    saga_q: Query<'w, 's, &'static mut Saga, Without<SagaDone>>,
    done_q: Query<'w, 's, &'static mut Saga, With<SagaDone>>,
    queue_q:
        Query<'w, 's, (&'static mut Consumer, &'static mut ConsumerQueue), Without<super::projectors::ProjectorView>>,
    messages: Query<'w, 's, &'static BusMessage>,
    store: Res<'w, EventStore>,
    bus: ResMut<'w, Bus>,
    replies: Res<'w, VendorReplies>,
    fired: ResMut<'w, FiredTimers>,
}

/// One tick of the orchestrator, in phases: its queue's events, vendor
/// replies, step timeouts and backoffs, answered commands (each wakes the
/// sagas it concerns), then every awake saga steps.
fn orchestrate(mut params: OrchestrateParams) {
    if crash_step(&mut params) == Life::Down {
        // Down: its queue waits on the broker, vendor replies to it are
        // lost, commands it sent are answered into the command log.
        return;
    }
    // Sagas started this tick live here until they are spawned at the end.
    let mut fresh: Vec<Saga> = vec![];
    take_queue(&mut params, &mut fresh);
    take_vendor_replies(&mut params);
    take_fired_timers(&mut params);
    wake_on_answers(&mut params);
    step_awake(&mut params);
    step_fresh(&mut params.ctx, &mut params.sagas, fresh);
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Life {
    Up,
    Down,
}

/// Whether the orchestrator works this tick: an armed crash strikes
/// (see [`crash`]); a crashed one stays down until its restart tick, then
/// resumes every live saga from the saga table (see [`resume`]).
fn crash_step(params: &mut OrchestrateParams) -> Life {
    let now = params.ctx.clock.tick;
    if let Some(restart_ms) = params.ctx.knobs.crash_orchestrator_restart_ms.take() {
        crash(params, now + ticks(restart_ms).max(1));
        return Life::Down;
    }
    match params.sagas.down_until {
        Some(restart) if now < restart => Life::Down,
        Some(_) => {
            params.sagas.down_until = None;
            resume(params);
            Life::Up
        }
        None => Life::Up,
    }
}

/// The orchestrator dies. The saga table (each `Saga`, the index of the
/// commands sagas sent, the vendor replies it is owed) was written in the
/// same transaction as every decision, so it survives. What the orchestrator kept only in memory
/// does not: which sagas to wake, its step-timeout and backoff timers
/// (cancelled here), and vendor replies on their way to it (while it is
/// down nobody takes them: they are lost).
fn crash(params: &mut OrchestrateParams, restart: Tick) {
    let OrchestrateParams { ctx, sagas, saga_q, fired, .. } = params;
    sagas.crashes += 1;
    sagas.down_until = Some(restart);
    sagas.awake.clear();
    fired.saga_timeouts.clear();
    for mut s in saga_q.iter_mut() {
        if let Some(key) = s.timer.take() {
            ctx.wheel.cancel(key);
        }
        s.reply = None;
        s.timed_out = false;
    }
}

/// The orchestrator restarts: it reads the saga table and wakes every live
/// saga, in id order (see [`resume_saga`]).
fn resume(params: &mut OrchestrateParams) {
    let OrchestrateParams { ctx, sagas, saga_q, .. } = params;
    let mut live: Vec<Mut<Saga>> = saga_q.iter_mut().collect();
    live.sort_by_key(|s| s.id);
    for s in &mut live {
        resume_saga(ctx, s);
        sagas.awake.insert(s.id);
    }
    // Every reply still owed is asked for again under its key, also for
    // a step that gave up or a saga that ended: the vendor answers what it
    // did (or does it now, once), and a late ok is undone as usual.
    for (&token, owed) in sagas.owed.iter_mut().filter(|(_, o)| !o.answered) {
        owed.in_flight += 1;
        ctx.call_vendor(VendorRequest {
            now: ctx.clock.tick,
            vendor: &owed.vendor,
            op: owed.op.clone(),
            caller: Caller::Saga { saga: owed.saga, token },
            correlation: owed.correlation,
        });
    }
}

/// One saga after a restart. Waiting for a vendor, its request goes out
/// again with every other owed one (see [`resume`]), and its step keeps
/// the deadline it had: re-armed, or timed out now if it passed
/// while the orchestrator was down. A backoff keeps its end. A saga
/// waiting for a command reads the answer from the command log, which the
/// Command API keeps; one waiting for an event finds it on its queue,
/// which the broker kept.
fn resume_saga(ctx: &mut SagaCtx, s: &mut Saga) {
    let now = ctx.clock.tick;
    let detail: Cow<'static, str> = match s.wait.clone() {
        Some(Wait::Vendor { token }) => match s.pending_op() {
            Some(Op::Vendor(_, vop)) => {
                // Sent again with every other owed request (see `resume`).
                let name = vop.name();
                match s.timeout_at {
                    Some(at) if at <= now => s.timed_out = true,
                    Some(at) => s.timer = Some(saga_timer(ctx, at, s.id, token)),
                    None => {}
                }
                format!("orchestrator restarted: sent {name} again (same idempotency key)").into()
            }
            _ => {
                s.wait = None;
                "orchestrator restarted".into()
            }
        },
        Some(Wait::Backoff { token, until }) => {
            if until <= now {
                s.wait = None;
            } else {
                s.timer = Some(saga_timer(ctx, until, s.id, token));
            }
            "orchestrator restarted: backoff resumed".into()
        }
        _ => "orchestrator restarted: resumed from the saga table".into(),
    };
    s.line(now, LogStep::Saga, StepOutcome::Resumed, detail);
}

/// Sets a saga timer (a step timeout or a backoff's end) on the wheel.
fn saga_timer(ctx: &mut SagaCtx, at: Tick, saga: u64, token: u64) -> TimerKey {
    super::timers::schedule(
        &mut ctx.commands,
        &mut ctx.wheel,
        &mut ctx.timers,
        at,
        TimerKind::SagaTimeout { saga, token },
    )
}

/// The orchestrator's queue: up to its budget of messages, each event
/// routed to the sagas it concerns (or starting one).
fn take_queue(params: &mut OrchestrateParams, fresh: &mut Vec<Saga>) {
    let OrchestrateParams { ctx, sagas, saga_q, queue_q, messages, store, bus, .. } = params;
    let event = |seq: u64| store.event(seq);
    let Ok((mut consumer, mut queue)) = queue_q.single_mut() else { return };
    let budget = consumer.budget(queue.queue.len(), 1);
    for _ in 0..budget {
        let Some(m) = queue.queue.pop_front() else { break };
        bus.taken(ConsumerId::Orchestrator, m);
        let Ok(msg) = messages.get(m) else { continue };
        let env = &*msg.event;
        debug_assert_eq!(store.stream_of(env.seq), Some(msg.stream), "a message names its event's stream");
        if let Receive::Apply(applies) = consumer.receive(env, msg.stream, &ctx.mech) {
            for env in applies.events(env, event) {
                consumer.mark_applied(env, msg.stream);
                on_event(ctx, sagas, saga_q, fresh, env);
            }
        }
    }
}

/// Vendor replies: the one a saga waits for wakes it; a late one (its
/// step gave up, or its saga ended) is compensated.
fn take_vendor_replies(params: &mut OrchestrateParams) {
    let OrchestrateParams { ctx, sagas, saga_q, done_q, replies, .. } = params;
    for r in &replies.0 {
        let Caller::Saga { saga, token } = r.caller else { continue };
        if token == 0 {
            // A fire-and-forget compensation of a late reply.
            continue;
        }
        let is = sagas.reply_is(token);
        let Some(mut s) = sagas.by_id.get(&saga).and_then(|e| saga_q.get_mut(*e).ok()) else {
            let mut done = sagas.by_id.get(&saga).and_then(|e| done_q.get_mut(*e).ok());
            match is {
                ReplyIs::Copy => copy_of_reply(ctx, done.as_deref_mut(), r),
                ReplyIs::First => compensate_late(ctx, sagas, done.as_deref_mut(), r),
            }
            continue;
        };
        if is == ReplyIs::Copy {
            copy_of_reply(ctx, Some(&mut s), r);
            continue;
        }
        if s.wait == Some(Wait::Vendor { token }) {
            ctx.signals.send(SimSignal::VendorReplied {
                vendor: r.vendor.clone(),
                ok: r.result.is_ok(),
                late: false,
                correlation: r.correlation,
            });
            s.reply = Some(r.result.clone());
            sagas.awake.insert(saga);
        } else {
            compensate_late(ctx, sagas, Some(&mut s), r);
        }
    }
}

/// A reply to a request sent again at a restart, after a reply under
/// the same token was dealt with (see [`ReplyIs::Copy`]): only logged.
fn copy_of_reply(ctx: &mut SagaCtx, s: Option<&mut Saga>, r: &vendors::VendorReply) {
    let Some(s) = s else { return };
    let now = ctx.clock.tick;
    s.line(
        now,
        LogStep::LateReply { op: r.op.name(), vendor: r.vendor.clone() },
        StepOutcome::CopyIgnored,
        "a copy of a reply already dealt with (the request was sent again at a restart)",
    );
}

/// Step timeouts, and backoffs ending: each wakes its saga if it still
/// waits for that very token.
fn take_fired_timers(params: &mut OrchestrateParams) {
    let OrchestrateParams { sagas, saga_q, fired, .. } = params;
    for (saga, token) in std::mem::take(&mut fired.saga_timeouts) {
        let Some(mut s) = sagas.by_id.get(&saga).and_then(|e| saga_q.get_mut(*e).ok()) else { continue };
        if s.wait == Some(Wait::Vendor { token }) && s.reply.is_none() {
            s.timed_out = true;
            sagas.awake.insert(saga);
        } else if matches!(s.wait, Some(Wait::Backoff { token: t, .. }) if t == token) {
            s.wait = None;
            sagas.awake.insert(saga);
        }
    }
}

/// Commands answered since last tick wake the sagas that sent them.
fn wake_on_answers(params: &mut OrchestrateParams) {
    let OrchestrateParams { ctx, sagas, .. } = params;
    for id in std::mem::take(&mut ctx.log.closed_recently) {
        if let Some((saga, _)) = sagas.commands.get(&id).copied() {
            sagas.awake.insert(saga);
        }
    }
}

/// Steps every awake saga, in id order; one that can go on at once stays
/// awake for the next tick.
fn step_awake(params: &mut OrchestrateParams) {
    let OrchestrateParams { ctx, sagas, saga_q, .. } = params;
    let awake: Vec<u64> = std::mem::take(&mut sagas.awake).into_iter().collect();
    for id in awake {
        let Some(e) = sagas.by_id.get(&id).copied() else { continue };
        let Ok(mut s) = saga_q.get_mut(e) else { continue };
        advance(ctx, sagas, &mut s);
        if s.state.is_terminal() {
            finish(ctx, sagas, &mut s, Some(e));
        } else if !s.blocked() {
            sagas.awake.insert(id);
        }
    }
}

/// Steps the sagas started this tick, then spawns them.
fn step_fresh(ctx: &mut SagaCtx, sagas: &mut Sagas, fresh: Vec<Saga>) {
    for mut s in fresh {
        sagas.awake.remove(&s.id);
        advance(ctx, sagas, &mut s);
        let (id, terminal) = (s.id, s.state.is_terminal());
        if terminal {
            finish(ctx, sagas, &mut s, None);
        } else if !s.blocked() {
            sagas.awake.insert(id);
        }
        spawn(&mut ctx.commands, sagas, s);
        if terminal {
            sagas.finished.push_back(id);
        }
    }
}

/// A saga reached a terminal state: detach it and keep only the latest
/// finished ones.
fn finish(ctx: &mut SagaCtx, sagas: &mut Sagas, s: &mut Saga, entity: Option<Entity>) {
    s.ended_tick = Some(ctx.clock.tick);
    for leg in &s.legs {
        if let Some(set) = sagas.attached.get_mut(&leg.aggregate) {
            set.retain(|id| *id != s.id);
            // A later saga on this seat may wait for this one to let go of
            // the vendor's seat (see `Wait::Blocker`).
            sagas.awake.extend(set.iter().copied());
            if set.is_empty() {
                sagas.attached.remove(&leg.aggregate);
            }
        }
    }
    let id = s.id;
    for cmd in sagas.commands_of.remove(&id).unwrap_or_default() {
        sagas.commands.remove(&cmd);
    }
    if let Some(e) = entity {
        ctx.commands.entity(e).insert(SagaDone);
        sagas.finished.push_back(id);
    }
    while sagas.finished.len() > KEEP_FINISHED {
        if let Some(old) = sagas.finished.pop_front()
            && let Some(old_e) = sagas.by_id.remove(&old)
        {
            ctx.commands.entity(old_e).despawn();
        }
    }
}

/// A reply for a step that already gave up: undo what the vendor did.
fn compensate_late(ctx: &mut SagaCtx, sagas: &mut Sagas, saga: Option<&mut Saga>, r: &vendors::VendorReply) {
    ctx.signals.send(SimSignal::VendorReplied {
        vendor: r.vendor.clone(),
        ok: r.result.is_ok(),
        late: true,
        correlation: r.correlation,
    });
    if r.result.is_err() {
        return;
    }
    let undo = match &r.op {
        VendorOp::Hold { flight, seat, holder } => {
            VendorOp::Release { flight: flight.clone(), seat: seat.clone(), holder: *holder }
        }
        VendorOp::Issue { flight, seat, holder } => {
            VendorOp::Void { flight: flight.clone(), seat: seat.clone(), holder: *holder }
        }
        _ => return,
    };
    let saga_id = match r.caller {
        Caller::Saga { saga, .. } => saga,
        Caller::Populator { .. } => return,
    };
    let op_name = undo.name();
    ctx.call_vendor(VendorRequest {
        now: ctx.clock.tick,
        vendor: &r.vendor,
        op: undo,
        caller: Caller::Saga { saga: saga_id, token: 0 },
        correlation: r.correlation,
    });
    sagas.late_replies_compensated += 1;
    if let Some(s) = saga {
        let now = ctx.clock.tick;
        s.line(
            now,
            LogStep::LateReply { op: r.op.name(), vendor: r.vendor.clone() },
            StepOutcome::LateReplyCompensated,
            format!("sent {op_name}"),
        );
    }
}

/// Routes one event from the orchestrator's queue.
fn on_event(
    ctx: &mut SagaCtx,
    sagas: &mut Sagas,
    saga_q: &mut Query<&mut Saga, Without<SagaDone>>,
    fresh: &mut Vec<Saga>,
    env: &EventEnvelope,
) {
    let now = ctx.clock.tick;
    if let Event::SeatHeld { customer, passenger, vendor, flight, seat, price_cents, .. } = &env.event {
        if let Some((saga, leg)) = sagas.commands.get(&env.causation_id).copied() {
            if let Some(s) = find(sagas, saga_q, fresh, saga) {
                s.progress[leg].hold_version = Some(env.version);
            }
            return;
        }
        // A saga's own hold whose saga has already ended (its command was
        // answered long before this event, delayed on the bus, arrived):
        // not a customer's hold, so no saga of its own.
        if matches!(ctx.log.get(env.causation_id).map(|r| r.origin), Some(Origin::Saga(_))) {
            return;
        }
        // A customer's own hold: the orchestrator takes it from here.
        let leg = Leg {
            aggregate: env.aggregate_id.clone(),
            flight: flight.clone(),
            seat: seat.clone(),
            vendor: vendor.clone(),
            price_cents: *price_cents,
            passenger: passenger.clone(),
        };
        let mut s = new_saga(sagas, &mut ctx.ids, now, customer.clone(), vec![leg], env.correlation_id, false);
        s.progress[0].hold_version = Some(env.version);
        fresh.push(s);
        return;
    }
    let ids: SmallVec<[u64; 2]> = sagas.attached.get(&env.aggregate_id).cloned().unwrap_or_default();
    for saga in ids {
        if let Some(s) = find(sagas, saga_q, fresh, saga) {
            let Some(leg) = s.legs.iter().position(|l| l.aggregate == env.aggregate_id) else { continue };
            // Only events after this saga's own hold count for it.
            if let Some(hold) = s.progress[leg].hold_version
                && env.version > hold
            {
                s.progress[leg].seen |= 1 << env.kind() as u32;
                sagas.awake.insert(saga);
            }
        }
    }
}

/// A live saga by id, spawned or started this tick.
fn find<'a>(
    sagas: &Sagas,
    saga_q: &'a mut Query<&mut Saga, Without<SagaDone>>,
    fresh: &'a mut [Saga],
    id: u64,
) -> Option<&'a mut Saga> {
    if let Some(e) = sagas.by_id.get(&id) {
        return saga_q.get_mut(*e).ok().map(Mut::into_inner);
    }
    fresh.iter_mut().find(|s| s.id == id)
}

enum Poll {
    Pending,
    Done(Result<Option<smol_str::SmolStr>, (String, bool)>),
}

/// Runs the saga's state machine as far as it can go this tick.
fn advance(ctx: &mut SagaCtx, sagas: &mut Sagas, s: &mut Saga) {
    for _ in 0..32 {
        let flow = match s.state {
            SagaState::Running => advance_forward(ctx, sagas, s),
            SagaState::Compensating => advance_compensation(ctx, sagas, s),
            _ => return,
        };
        if flow.is_break() {
            return;
        }
    }
}

/// Tells presentation that saga `s` reached `outcome`.
fn step_signal(ctx: &mut SagaCtx, s: &Saga, outcome: StepOutcome) {
    ctx.signals.send(SimSignal::SagaStep { saga: s.id, outcome, correlation: s.correlation });
}

/// One move of a running saga: complete it, close its step, or start or
/// check the step's current op. `Break` when it must wait (or is done).
fn advance_forward(ctx: &mut SagaCtx, sagas: &mut Sagas, s: &mut Saga) -> ControlFlow<()> {
    let now = ctx.clock.tick;
    let Some(step) = s.step_at(s.step) else {
        s.state = SagaState::Completed;
        let pnrs: Vec<&str> = s.progress.iter().filter_map(|p| p.pnr.as_deref()).collect();
        s.line(now, LogStep::Saga, StepOutcome::Ok, format!("completed, PNR {}", pnrs.join(" ")));
        step_signal(ctx, s, StepOutcome::Completed);
        return ControlFlow::Break(());
    };
    let Some(op) = s.forward_op(step, s.op) else {
        s.line(now, LogStep::Step(step), StepOutcome::Ok, "");
        step_signal(ctx, s, StepOutcome::Ok);
        s.step += 1;
        s.op = 0;
        return ControlFlow::Continue(());
    };
    match poll(ctx, sagas, s, op, true) {
        Poll::Pending => return ControlFlow::Break(()),
        Poll::Done(Ok(pnr)) => {
            if let Some(pnr) = pnr {
                s.progress[step.leg()].pnr = Some(pnr);
            }
            s.op += 1;
        }
        Poll::Done(Err((reason, timeout))) => fail(ctx, s, step, reason, timeout),
    }
    ControlFlow::Continue(())
}

/// One move of a compensating saga: finish it, close the current
/// compensation, or start or check its current op (retrying the whole
/// item on a failure, up to [`MAX_ATTEMPTS`], then stuck).
fn advance_compensation(ctx: &mut SagaCtx, sagas: &mut Sagas, s: &mut Saga) -> ControlFlow<()> {
    let now = ctx.clock.tick;
    let Some(item) = s.comp.first().cloned() else {
        s.state = SagaState::Compensated;
        s.line(now, LogStep::Saga, StepOutcome::CompensateOk, "fully compensated");
        step_signal(ctx, s, StepOutcome::Compensated);
        return ControlFlow::Break(());
    };
    let Some(op) = item.ops.get(s.op).cloned() else {
        s.line(now, item.label.clone(), StepOutcome::CompensateOk, "");
        step_signal(ctx, s, StepOutcome::CompensateOk);
        s.comp.remove(0);
        s.op = 0;
        return ControlFlow::Continue(());
    };
    match poll(ctx, sagas, s, op, false) {
        Poll::Pending => return ControlFlow::Break(()),
        Poll::Done(Ok(_)) => s.op += 1,
        Poll::Done(Err((reason, _))) => {
            s.attempts += 1;
            if s.attempts > MAX_ATTEMPTS {
                s.state = SagaState::Stuck;
                s.line(now, item.label, StepOutcome::Stuck, reason);
                return ControlFlow::Break(());
            }
            // Compensations are idempotent: run the whole item
            // again (a payment may have landed meanwhile).
            s.op = 0;
            s.line(now, item.label, StepOutcome::CompensateRetry, reason);
        }
    }
    ControlFlow::Continue(())
}

/// Step `step` failed: record it, then compensate the steps before it.
fn fail(ctx: &mut SagaCtx, s: &mut Saga, step: StepAction, reason: String, timeout: bool) {
    let now = ctx.clock.tick;
    let outcome = if timeout { StepOutcome::Timeout } else { StepOutcome::Fail };
    s.line(now, LogStep::Step(step), outcome, reason.clone());
    s.op_progress = s.op;
    step_signal(ctx, s, outcome);
    s.op = 0;
    s.attempts = 0;
    s.wait = None;
    let mut comp = vec![];
    if let StepAction::VendorIssue(l) = step {
        comp.push(CompItem {
            label: LogStep::RecordIssueFailure(l),
            ops: vec![Op::Cmd(l, Command::FailIssue { reason })],
        });
    }
    if !ctx.mech.compensation {
        s.comp = comp;
        s.state = SagaState::Aborted;
        s.line(now, LogStep::Saga, StepOutcome::Fail, "aborted without compensation (safeguard off)");
        return;
    }
    if s.op_progress > 0 {
        // Part of this step happened (e.g. the vendor issued, the record
        // failed): undo that part first.
        comp.push(CompItem { label: LogStep::Undo(step), ops: s.compensation(step) });
    }
    for done in (0..s.step).rev().filter_map(|i| s.step_at(i)) {
        comp.push(CompItem { label: LogStep::Undo(done), ops: s.compensation(done) });
    }
    s.comp = comp;
    s.state = SagaState::Compensating;
}

/// Starts or checks one op. `Ok(Some(pnr))` when an issue returned a PNR.
fn poll(ctx: &mut SagaCtx, sagas: &mut Sagas, s: &mut Saga, op: Op, forward: bool) -> Poll {
    match (&s.wait, op) {
        (_, Op::AwaitPayment(l)) => poll_payment(&s.progress[l]),
        (None, Op::Cmd(l, cmd)) => send_command(ctx, sagas, s, l, cmd),
        (Some(Wait::Command(id)), Op::Cmd(..)) => {
            let id = *id;
            check_command(ctx, sagas, s, id)
        }
        (None, Op::Vendor(l, vop)) => call_vendor(ctx, sagas, s, l, vop, forward),
        (Some(Wait::Backoff { .. }), Op::Vendor(..)) => Poll::Pending,
        (Some(Wait::Blocker { saga }), Op::Vendor(l, _)) => {
            let blocker = *saga;
            if sagas.attached.get(&s.legs[l].aggregate).is_some_and(|ids| ids.contains(&blocker)) {
                return Poll::Pending;
            }
            // It ended (and released): send the hold again.
            s.wait = None;
            Poll::Pending
        }
        (Some(Wait::Vendor { .. }), Op::Vendor(l, vop)) => {
            // Only a forward hold refused for want of the seat waits and
            // tries again (see `on_refusal`).
            let refusable = forward && matches!(vop, VendorOp::Hold { .. });
            check_vendor(ctx, sagas, s, l, refusable)
        }
        // A wait of the wrong kind cannot outlive its op; start over.
        (Some(_), _) => {
            s.wait = None;
            Poll::Pending
        }
    }
}

/// Awaiting the customer's payment on a leg: what the queue has shown of it.
fn poll_payment(leg: &LegProgress) -> Poll {
    if leg.saw(EventKind::PaymentCaptured) {
        Poll::Done(Ok(None))
    } else if leg.saw(EventKind::SeatHoldExpired) {
        Poll::Done(Err(("hold expired before payment".into(), false)))
    } else if leg.saw(EventKind::SeatReleased) {
        Poll::Done(Err(("seat released before payment".into(), false)))
    } else {
        Poll::Pending
    }
}

/// Sends leg `l`'s command through the Command API (fenced at the leg's
/// hold version, except the hold itself) and waits for its answer.
fn send_command(ctx: &mut SagaCtx, sagas: &mut Sagas, s: &mut Saga, l: usize, mut cmd: Command) -> Poll {
    if let Command::IssueTicket { pnr } = &mut cmd {
        *pnr = s.progress[l].pnr.clone().unwrap_or_default();
    }
    let mut fence = s.progress[l].hold_version;
    if let Command::HoldSeat { hold_ttl_ticks, .. } = &mut cmd {
        *hold_ttl_ticks = ticks(ctx.setup.world.timing.hold_ttl_ms);
        fence = None;
    }
    let id = command_intake::submit(
        &mut ctx.commands,
        &mut ctx.log,
        &mut ctx.ids,
        Outgoing {
            now: ctx.clock.tick,
            delay_ticks: 0,
            request: CommandRequest::Internal { aggregate: s.legs[l].aggregate.clone(), command: cmd, fence },
            origin: Origin::Saga(s.id),
            correlation: Some(s.correlation),
            label: None,
        },
    );
    sagas.commands.insert(id, (s.id, l));
    sagas.commands_of.entry(s.id).or_default().push(id);
    s.wait = Some(Wait::Command(id));
    Poll::Pending
}

/// The answer to command `id`, if in: a conflict is sent again (up to
/// [`MAX_ATTEMPTS`]); an ok hold records the version it opened at.
fn check_command(ctx: &mut SagaCtx, sagas: &mut Sagas, s: &mut Saga, id: u64) -> Poll {
    let Some(rec) = ctx.log.get(id) else {
        s.wait = None;
        return Poll::Pending;
    };
    match rec.outcome {
        Outcome::Inflight => Poll::Pending,
        Outcome::Ok => {
            s.wait = None;
            s.attempts = 0;
            if let (Some(v), Some(leg)) = (rec.first_version, sagas.commands.get(&id).map(|c| c.1))
                && rec.name == "HoldSeat"
            {
                // The hold cycle this saga opened: its fence.
                s.progress[leg].hold_version = Some(v);
            }
            Poll::Done(Ok(None))
        }
        Outcome::Conflict if s.attempts < MAX_ATTEMPTS => {
            // Someone appended first: reload and try again.
            s.attempts += 1;
            s.wait = None;
            Poll::Pending
        }
        _ => {
            s.wait = None;
            Poll::Done(Err((rec.reason.clone().unwrap_or_else(|| rec.outcome.name().into()), false)))
        }
    }
}

/// Calls leg `l`'s vendor (with a step timeout when `forward`) and waits
/// for the reply.
fn call_vendor(ctx: &mut SagaCtx, sagas: &mut Sagas, s: &mut Saga, l: usize, vop: VendorOp, forward: bool) -> Poll {
    let now = ctx.clock.tick;
    let token = ctx.ids.next_id();
    send_vendor(ctx, sagas, s, l, vop, token);
    s.timeout_at = forward.then(|| now + ticks(ctx.setup.world.timing.saga_step_timeout_ms));
    if let Some(at) = s.timeout_at {
        s.timer = Some(saga_timer(ctx, at, s.id, token));
    }
    s.wait = Some(Wait::Vendor { token });
    s.reply = None;
    s.timed_out = false;
    Poll::Pending
}

/// Sends leg `l`'s vendor op under `token`, the request's idempotency
/// key, and notes the reply as owed.
fn send_vendor(ctx: &mut SagaCtx, sagas: &mut Sagas, s: &Saga, l: usize, op: VendorOp, token: u64) {
    let vendor = s.legs[l].vendor.clone();
    let owed = Owed { saga: s.id, vendor, op, correlation: s.correlation, in_flight: 1, answered: false };
    ctx.call_vendor(VendorRequest {
        now: ctx.clock.tick,
        vendor: &owed.vendor,
        op: owed.op.clone(),
        caller: Caller::Saga { saga: s.id, token },
        correlation: s.correlation,
    });
    sagas.owed.insert(token, owed);
}

/// The vendor's reply (or the step's timeout), if in. A `refusable` op
/// (a forward hold) that the vendor refused for want of the seat waits
/// and goes again instead of failing (see [`on_refusal`]).
fn check_vendor(ctx: &mut SagaCtx, sagas: &mut Sagas, s: &mut Saga, l: usize, refusable: bool) -> Poll {
    if let Some(result) = s.reply.take() {
        s.wait = None;
        s.timeout_at = None;
        if let Some(key) = s.timer.take() {
            ctx.wheel.cancel(key);
        }
        if result.is_ok() {
            // Refusals of this op waited their turn: the next op
            // starts with its full budget of retries.
            s.attempts = 0;
        }
        match result {
            Ok(Reply::Pnr(pnr)) => Poll::Done(Ok(Some(pnr))),
            Ok(_) => Poll::Done(Ok(None)),
            Err(e) => {
                if refusable && e.contains(vendors::NOT_AVAILABLE) {
                    match on_refusal(s.attempts, earlier_saga_on(sagas, s, l)) {
                        Refusal::GiveUp => s.revoked = Some(e.clone()),
                        wait => {
                            s.attempts += 1;
                            refused_hold(ctx, s, l, e, wait);
                            return Poll::Pending;
                        }
                    }
                }
                Poll::Done(Err((e, false)))
            }
        }
    } else if s.timed_out {
        s.wait = None;
        s.timed_out = false;
        s.timer = None;
        s.timeout_at = None;
        let ms = ctx.setup.world.timing.saga_step_timeout_ms;
        Poll::Done(Err((format!("no vendor reply within {ms} ms"), true)))
    } else {
        Poll::Pending
    }
}

/// What a saga does when a vendor refuses a hold the store confirmed to
/// it: the seat is held or sold there by our own earlier state (every seat
/// is sold through us), which will be undone, so it waits rather than take
/// the hold back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Refusal {
    /// An earlier saga of ours is live on the seat: wait for it to end.
    WaitFor(u64),
    /// None is (a late reply's release is on its way): try again later.
    Backoff { ms: u64 },
    /// Refused too often: give the hold up (the invariant flags it).
    GiveUp,
}

/// Pure: the refusal's answer after `attempts` retries so far.
fn on_refusal(attempts: u32, earlier: Option<u64>) -> Refusal {
    match earlier {
        _ if attempts >= MAX_ATTEMPTS => Refusal::GiveUp,
        Some(saga) => Refusal::WaitFor(saga),
        None => Refusal::Backoff { ms: BACKOFF_MS << attempts },
    }
}

/// Applies a refusal's wait (see [`on_refusal`]) to leg `l`'s hold.
fn refused_hold(ctx: &mut SagaCtx, s: &mut Saga, l: usize, e: String, wait: Refusal) {
    let now = ctx.clock.tick;
    let step = LogStep::Step(StepAction::VendorHold(l));
    let ms = match wait {
        Refusal::WaitFor(blocker) => {
            s.wait = Some(Wait::Blocker { saga: blocker });
            s.line(
                now,
                step,
                StepOutcome::Wait,
                format!("{e}: saga #{blocker} still holds it there; retry once it ends"),
            );
            return;
        }
        Refusal::Backoff { ms } => ms,
        Refusal::GiveUp => return,
    };
    let token = ctx.ids.next_id();
    let until = now + ticks(ms);
    s.timer = Some(saga_timer(ctx, until, s.id, token));
    s.wait = Some(Wait::Backoff { token, until });
    s.line(now, step, StepOutcome::Wait, format!("{e}: an earlier hold of ours; retry in {ms} ms"));
}

/// An earlier live saga on leg `l`'s seat: only one hold cycle is open in
/// the store at a time, so an earlier saga there is finishing a stale one.
fn earlier_saga_on(sagas: &Sagas, s: &Saga, l: usize) -> Option<u64> {
    sagas.attached.get(&s.legs[l].aggregate)?.iter().copied().filter(|id| *id < s.id).min()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Passenger;

    fn leg(seat: &str) -> Leg {
        Leg {
            aggregate: AggregateId::new(format!("IB3166/{seat}")),
            flight: FlightId::new("IB3166"),
            seat: SeatNo::new(seat),
            vendor: VendorId::new("V1"),
            price_cents: 100,
            passenger: Passenger { name: "Ana".into(), email: "ana@example.com".into() }.seal(
                &crate::domain::Key([1; 32]),
                0,
                1,
            ),
        }
    }

    fn steps(s: &Saga) -> Vec<StepAction> {
        (0..).map_while(|i| s.step_at(i)).collect()
    }

    #[test]
    fn a_refused_hold_waits_for_an_earlier_saga_else_backs_off_doubling_then_gives_up() {
        assert_eq!(on_refusal(0, Some(7)), Refusal::WaitFor(7));
        let backoffs: Vec<Refusal> = (0..MAX_ATTEMPTS).map(|a| on_refusal(a, None)).collect();
        let ms: Vec<u64> = backoffs.iter().map(|r| if let Refusal::Backoff { ms } = r { *ms } else { 0 }).collect();
        assert_eq!(ms, [250, 500, 1000, 2000, 4000]);
        assert_eq!(on_refusal(MAX_ATTEMPTS, Some(7)), Refusal::GiveUp);
        assert_eq!(on_refusal(MAX_ATTEMPTS, None), Refusal::GiveUp);
    }

    #[test]
    fn steps_run_holds_then_payments_then_issues() {
        use StepAction::*;
        let (mut sagas, mut ids) = (Sagas::default(), IdGen::default());
        let trip = new_saga(&mut sagas, &mut ids, 0, CustomerId::new("ana"), vec![leg("1A"), leg("2B")], 1, true);
        assert_eq!(
            steps(&trip),
            [
                LocalHold(0),
                VendorHold(0),
                LocalHold(1),
                VendorHold(1),
                Capture(0),
                Capture(1),
                VendorIssue(0),
                VendorIssue(1)
            ]
        );
        let single = new_saga(&mut sagas, &mut ids, 0, CustomerId::new("ana"), vec![leg("3C")], 2, false);
        assert_eq!(steps(&single), [LocalHold(0), VendorHold(0), AwaitPayment(0), VendorIssue(0)]);
        assert_eq!(single.step, 1, "the customer's own command did the local hold");
    }
}
