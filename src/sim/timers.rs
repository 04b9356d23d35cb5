//! Timers: hold expiry, saga step timeouts, cache TTL. Each pending timer
//! is an entity; a wheel (tick → timers) finds the due ones without
//! looking at the others, and is the only way to a timer: a fired timer's
//! entity waits in the wheel's pool for the next one, stale until reused.
//! Firing only *asks*: an expiry becomes an `ExpireHold` command (which
//! loses harmlessly if the seat was paid), a TTL becomes an eviction
//! request, a timeout a note for the orchestrator. A saga cancels its
//! step's timeout when the vendor's reply comes, so that none fires stale.

use super::config::WorldConfig;
use super::protocol::SimSet;
use super::runtime::{IdGen, SimClock, reuse_or_spawn};
use super::runtime::{ResetOrder, add_reset};
use super::{
    command_intake::{self, CommandLog, CommandRequest, Outgoing},
    protocol::Origin,
};
use crate::domain::{AggregateId, Command, Tick};
use bevy::prelude::*;
use std::collections::BTreeMap;

#[derive(Component, Clone, Debug)]
pub struct Timer {
    pub fire_tick: Tick,
    pub kind: TimerKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TimerKind {
    HoldExpiry { aggregate: AggregateId, correlation: u64 },
    CacheTtl { key: String, expires_tick: Tick },
    SagaTimeout { saga: u64, token: u64 },
}

/// Pending timers by due tick.
#[derive(Resource, Debug, Default)]
pub struct TimerWheel {
    /// Each timer's entity, and whether its firing is work the run waits
    /// for (a hold expiry, a step timeout) rather than a cache TTL.
    due: BTreeMap<(Tick, u64), (Entity, bool)>,
    next: u64,
    /// How many pending timers are work the run waits for: quiescence
    /// asks this instead of walking past every cache entry's TTL.
    asks: usize,
    /// Entities of fired timers, ready to carry the next one (a booking
    /// sets three timers): see [`reuse_or_spawn`].
    free: Vec<Entity>,
}

impl TimerWheel {
    pub fn len(&self) -> usize {
        self.due.len()
    }
    pub fn is_empty(&self) -> bool {
        self.due.is_empty()
    }
    /// The pending timers' entities, soonest first.
    pub fn pending(&self) -> impl Iterator<Item = Entity> + '_ {
        self.due.values().map(|(e, _)| *e)
    }
    /// Pending timers other than cache TTLs: a run is not over while one
    /// is (its firing decides a command or wakes a saga).
    pub fn asks(&self) -> usize {
        self.asks
    }
    /// A timer left the wheel (fired or cancelled).
    fn gone(&mut self, e: Entity, ask: bool) {
        self.asks -= usize::from(ask);
        self.free.push(e);
    }
    /// Takes a timer off the wheel before it fires (its entity goes to the
    /// pool). False if it already fired or was cancelled.
    pub fn cancel(&mut self, key: TimerKey) -> bool {
        match self.due.remove(&(key.fire_tick, key.n)) {
            Some((e, ask)) => {
                self.gone(e, ask);
                true
            }
            None => false,
        }
    }
}

/// Names one scheduled timer, for [`TimerWheel::cancel`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct TimerKey {
    fire_tick: Tick,
    n: u64,
}

/// Fired timeouts and TTLs, for the orchestrator and Redis to pick up.
#[derive(Resource, Debug, Default)]
pub struct FiredTimers {
    pub saga_timeouts: Vec<(u64, u64)>,
    pub cache_expiries: Vec<(String, Tick)>,
}

/// Sets a timer: a fired timer's entity reused, or a new one.
pub fn schedule(
    commands: &mut Commands,
    wheel: &mut TimerWheel,
    timers: &mut Query<&mut Timer>,
    fire_tick: Tick,
    kind: TimerKind,
) -> TimerKey {
    wheel.next += 1;
    let ask = !matches!(kind, TimerKind::CacheTtl { .. });
    wheel.asks += usize::from(ask);
    let e = reuse_or_spawn(&mut wheel.free, timers, commands, Timer { fire_tick, kind });
    wheel.due.insert((fire_tick, wheel.next), (e, ask));
    TimerKey { fire_tick, n: wheel.next }
}

pub(super) fn plugin(app: &mut App) {
    add_reset(app, ResetOrder::Timers, reset);
    app.add_systems(FixedUpdate, fire.in_set(SimSet::Timers));
}

fn reset(world: &mut World, _: &WorldConfig) {
    world.insert_resource(TimerWheel::default());
    world.insert_resource(FiredTimers::default());
}

fn fire(
    mut commands: Commands,
    mut wheel: ResMut<TimerWheel>,
    timers: Query<&Timer>,
    mut fired: ResMut<FiredTimers>,
    mut log: ResMut<CommandLog>,
    mut ids: ResMut<IdGen>,
    clock: Res<SimClock>,
) {
    let now = clock.tick;
    while let Some(entry) = wheel.due.first_entry() {
        if entry.key().0 > now {
            break;
        }
        let (e, ask) = entry.remove();
        let Ok(timer) = timers.get(e) else {
            wheel.asks -= usize::from(ask);
            continue;
        };
        match &timer.kind {
            TimerKind::HoldExpiry { aggregate, correlation } => {
                command_intake::submit(
                    &mut commands,
                    &mut log,
                    &mut ids,
                    Outgoing {
                        now,
                        delay_ticks: 0,
                        request: CommandRequest::Internal {
                            aggregate: aggregate.clone(),
                            command: Command::ExpireHold { now },
                            fence: None,
                        },
                        origin: Origin::Timer,
                        correlation: Some(*correlation),
                        label: None,
                    },
                );
            }
            TimerKind::CacheTtl { key, expires_tick } => fired.cache_expiries.push((key.clone(), *expires_tick)),
            TimerKind::SagaTimeout { saga, token } => fired.saga_timeouts.push((*saga, *token)),
        }
        wheel.gone(e, ask);
    }
}
