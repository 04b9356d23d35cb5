//! Input: the inbox of requests (from the script, the UI, tests), the
//! requests the engine scheduled for itself, and the burst generator. It
//! turns each request into a command or query in flight, a knob change or
//! a replay, in [`SimSet::Input`].
//!
//! This is the only door into the engine: presentation and scripts push
//! [`SimRequest`]s; nothing else writes sim state from outside a tick.

use super::config::{WorldConfig, ticks};
use super::knobs::{KnobChange, Knobs, Mechanisms};
use super::projectors::PendingReplays;
use super::protocol::Projection;
use super::query_api::{self, CustomerQuery, PendingEvictions};
use super::runtime::{self, Customers, IdGen, ResetOrder, SimClock, SimControl, SimSetup, add_reset};
use super::{
    command_intake::{self, CommandLog, CommandRequest, CustomerCommand, Outgoing},
    protocol::Origin,
};
use super::{protocol::SimSet, runtime::SimRng};
use crate::domain::{SeatNo, Tick};
use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

/// One input to the engine.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SimRequest {
    /// A customer's command; `label` names it for expectations and tests.
    Command { label: Option<String>, command: CustomerCommand },
    /// A customer's query.
    Query { label: Option<String>, query: CustomerQuery },
    /// Change a knob.
    Knob(KnobChange),
    /// The key expires and `gets` customers ask for it in the same tick.
    Stampede { query: CustomerQuery, gets: u32 },
    /// Drop a projection and rebuild it from seq 0.
    Replay(Projection),
}

/// Requests waiting for the next tick, in arrival order.
#[derive(Resource, Debug, Default)]
pub struct Inbox {
    pub pending: VecDeque<SimRequest>,
}

impl Inbox {
    pub fn push(&mut self, request: SimRequest) {
        self.pending.push_back(request);
    }
}

/// Requests the engine scheduled for itself (a burst customer's later Pay).
#[derive(Resource, Debug, Default)]
pub struct Scheduled {
    pub at: BTreeMap<Tick, Vec<SimRequest>>,
}

/// Schedules `request` to enter the engine at tick `at` (a replayed input:
/// the scrubber re-sends what a person did, at the tick it took effect).
pub fn schedule_input(world: &mut World, at: Tick, request: SimRequest) {
    world.get_resource_or_insert_with(Scheduled::default).at.entry(at).or_default().push(request);
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Inbox>();
    app.init_resource::<Mechanisms>();
    add_reset(app, ResetOrder::Input, reset);
    app.add_systems(Startup, runtime::reset);
    app.add_systems(FixedUpdate, (advance_clock, generate_load, drain_inbox).chain().in_set(SimSet::Input));
    app.add_systems(FixedUpdate, finish_step.after(SimSet::Invariants));
}

/// The input's part of a reset: no knob turned, nothing waiting.
fn reset(world: &mut World, _: &WorldConfig) {
    world.insert_resource(Knobs::default());
    world.insert_resource(Scheduled::default());
    world.get_resource_or_insert_with(Inbox::default).pending.clear();
}

pub fn advance_clock(mut clock: ResMut<SimClock>) {
    clock.tick += 1;
}

/// After the whole tick ran: one fewer step left while paused. (Not in
/// `advance_clock`: the sets' run condition is evaluated as each set
/// starts, so decrementing early would cut the tick short.)
fn finish_step(control: Option<ResMut<SimControl>>) {
    if let Some(mut c) = control
        && c.paused
    {
        c.steps_left = c.steps_left.saturating_sub(1);
    }
}

/// Upper bound on commands one burst may create per second (a bound on the
/// work a knob or a file can ask for).
const MAX_BURST_PER_S: u32 = 2_000;

/// The system params of [`generate_load`]: what the burst generator reads and writes.
#[derive(SystemParam)]
pub struct GenerateLoadParams<'w> {
    clock: Res<'w, SimClock>,
    scheduled: ResMut<'w, Scheduled>,
    inbox: ResMut<'w, Inbox>,
    knobs: ResMut<'w, Knobs>,
    rng: ResMut<'w, SimRng>,
    customers: ResMut<'w, Customers>,
    catalog: Option<Res<'w, super::config::Catalog>>,
    setup: Res<'w, SimSetup>,
}

/// Scheduled requests come due; the burst knob creates customers who hold
/// a random seat (and most of them pay a little later).
pub fn generate_load(params: GenerateLoadParams) {
    let GenerateLoadParams { clock, mut scheduled, mut inbox, mut knobs, mut rng, mut customers, catalog, setup } =
        params;
    let now = clock.tick;
    while let Some(entry) = scheduled.at.first_entry() {
        if *entry.key() > now {
            break;
        }
        inbox.pending.extend(entry.remove());
    }
    let Some(burst) = knobs.burst.as_mut() else { return };
    if now >= burst.until_tick {
        knobs.burst = None;
        return;
    }
    burst.credit_milli += u64::from(burst.per_s.min(MAX_BURST_PER_S)) * crate::domain::TICK_MS;
    let n = burst.credit_milli / 1000;
    burst.credit_milli %= 1000;
    let Some(catalog) = catalog else { return };
    let flights: Vec<_> = catalog.flights.iter().collect();
    if flights.is_empty() {
        return;
    }
    let pay_delay = ticks(setup.world.timing.hold_ttl_ms) / 2;
    for _ in 0..n {
        let customer = customers.synthetic();
        let (flight_id, flight) = flights[rng.0.random_range(0..flights.len())];
        let seats = &flight.seat_list;
        if seats.is_empty() {
            continue;
        }
        let seat: SeatNo = seats[rng.0.random_range(0..seats.len())].clone();
        inbox.push(SimRequest::Command {
            label: None,
            command: CustomerCommand::HoldSeat {
                customer: customer.clone(),
                flight: flight_id.clone(),
                seat: seat.clone(),
                expected_version: None,
            },
        });
        if rng.0.random_range(0..100) < 70 {
            let at = now + rng.0.random_range(4..=pay_delay.max(5));
            scheduled.at.entry(at).or_default().push(SimRequest::Command {
                label: None,
                command: CustomerCommand::Pay { customer, flight: flight_id.clone(), seat },
            });
        }
    }
}

/// The system params of [`drain_inbox`]: what turning requests into work reads and writes.
#[derive(SystemParam)]
struct DrainInboxParams<'w, 's> {
    commands: Commands<'w, 's>,
    inbox: ResMut<'w, Inbox>,
    knobs: ResMut<'w, Knobs>,
    log: ResMut<'w, CommandLog>,
    ids: ResMut<'w, IdGen>,
    evictions: ResMut<'w, PendingEvictions>,
    replays: ResMut<'w, PendingReplays>,
    clock: Res<'w, SimClock>,
    setup: Res<'w, SimSetup>,
}

/// Turns queued requests into entities in flight and knob changes.
fn drain_inbox(params: DrainInboxParams) {
    let DrainInboxParams {
        mut commands,
        mut inbox,
        mut knobs,
        mut log,
        mut ids,
        mut evictions,
        mut replays,
        clock,
        setup,
    } = params;
    let hop = ticks(setup.world.timing.network_ms);
    while let Some(request) = inbox.pending.pop_front() {
        match request {
            SimRequest::Command { label, command } => {
                command_intake::submit(
                    &mut commands,
                    &mut log,
                    &mut ids,
                    Outgoing {
                        now: clock.tick,
                        delay_ticks: hop,
                        request: CommandRequest::Customer(command),
                        origin: Origin::Customer,
                        correlation: None,
                        label,
                    },
                );
            }
            SimRequest::Query { label, query } => {
                query_api::submit(&mut commands, &mut ids, clock.tick + hop, query, label);
            }
            SimRequest::Knob(change) => knobs.apply(change, clock.tick),
            SimRequest::Stampede { query, gets } => {
                evictions.0.push(query.key());
                for _ in 0..gets.min(query_api::MAX_STAMPEDE_GETS) {
                    query_api::submit(&mut commands, &mut ids, clock.tick + hop, query.clone(), None);
                }
            }
            SimRequest::Replay(p) => replays.0.push(p),
        }
    }
}
