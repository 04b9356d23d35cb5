//! Plays a scenario inside the engine: sends each step's requests at their
//! ticks, records per-step peaks, evaluates expectations at their ticks,
//! notices when the run is over (script done and the platform quiescent)
//! and then runs the drain-time invariant checks.
//!
//! It only pushes requests into the inbox and reads state; it never edits
//! engine state itself.

mod evaluate;

use super::{PlannedStep, Scenario};
use crate::domain::{AggregateId, Event, EventKind, Tick};
use crate::sim::command_intake::{CommandLog, CommandRecord};
use crate::sim::consumer::Consumer;
use crate::sim::invariants::{self, Invariants};
use crate::sim::protocol::ConsumerId;
use crate::sim::protocol::Outcome;
use crate::sim::protocol::Projection;
use crate::sim::query_api::{CacheValue, QueryLog, Redis};
use crate::sim::runtime::SimClock;
use crate::sim::store::EventStore;
use crate::sim::{Inbox, protocol::SimSet};
use bevy::prelude::*;
use std::collections::BTreeMap;

/// The script being played and what it found so far.
#[derive(Resource, Clone, Debug)]
pub struct Script {
    pub scenario: Scenario,
    pub plan: Vec<PlannedStep>,
    pub results: Vec<StepResult>,
    /// Tick at which the script was done and the platform quiescent.
    pub drained_at: Option<Tick>,
    next_request: Vec<usize>,
    next_check: Vec<usize>,
    baseline: Vec<Option<Baseline>>,
    /// Queries served when the own-writes check last looked, and the
    /// labelled "my bookings" it has checked.
    queries_seen: u64,
    own_writes_checked: std::collections::BTreeSet<String>,
}

/// What an expectation found.
#[derive(Clone, Debug, PartialEq)]
pub struct ExpectationResult {
    pub text: String,
    /// None until checked.
    pub ok: Option<bool>,
    pub detail: String,
    pub tick: Tick,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StepResult {
    pub title: String,
    pub caption: String,
    pub start_tick: Tick,
    pub started: bool,
    pub expectations: Vec<ExpectationResult>,
}

impl StepResult {
    pub fn ok(&self) -> bool {
        self.expectations.iter().all(|e| e.ok == Some(true))
    }
}

/// Counters at a step's start, and peaks since.
#[derive(Clone, Debug, Default)]
struct Baseline {
    populator_calls: u64,
    served: u64,
    duplicates: BTreeMap<Projection, u64>,
    peak_lag: BTreeMap<Projection, u64>,
    peak_buffered: BTreeMap<Projection, u64>,
}

impl Script {
    pub fn new(scenario: Scenario) -> Self {
        let plan = scenario.plan();
        let results = plan
            .iter()
            .map(|p| {
                let step = &scenario.steps[p.index];
                StepResult {
                    title: step.title.clone(),
                    caption: step.caption.clone(),
                    start_tick: p.start_tick,
                    started: false,
                    expectations: p
                        .checks
                        .iter()
                        .map(|(t, c)| ExpectationResult {
                            text: c.describe(),
                            ok: None,
                            detail: String::new(),
                            tick: *t,
                        })
                        .collect(),
                }
            })
            .collect();
        let n = plan.len();
        Script {
            scenario,
            plan,
            results,
            drained_at: None,
            next_request: vec![0; n],
            next_check: vec![0; n],
            baseline: vec![None; n],
            queries_seen: 0,
            own_writes_checked: Default::default(),
        }
    }

    /// Every request sent and every expectation checked.
    pub fn done(&self) -> bool {
        self.plan
            .iter()
            .enumerate()
            .all(|(i, p)| self.next_request[i] >= p.requests.len() && self.next_check[i] >= p.checks.len())
    }

    /// The step shown on the caption strip: the latest one started.
    pub fn current_step(&self) -> Option<&StepResult> {
        self.current_index().map(|i| &self.results[i])
    }

    /// The index of the step shown on the caption strip (the latest started).
    pub fn current_index(&self) -> Option<usize> {
        self.results.iter().rposition(|r| r.started)
    }

    pub fn all_ok(&self) -> bool {
        self.results.iter().all(StepResult::ok)
    }

    /// The last tick at which the script does anything.
    pub fn last_tick(&self) -> Tick {
        self.plan
            .iter()
            .flat_map(|p| p.requests.iter().map(|r| r.0).chain(p.checks.iter().map(|c| c.0)).chain([p.start_tick]))
            .max()
            .unwrap_or(0)
    }
}

/// Adds the script player (expects a [`Script`] resource; does nothing
/// without one).
pub fn plugin(app: &mut App) {
    app.add_systems(
        FixedUpdate,
        send_requests
            .in_set(SimSet::Input)
            .after(crate::sim::world::advance_clock)
            .before(crate::sim::world::generate_load),
    );
    app.add_systems(
        FixedUpdate,
        (|world: &mut World, mut q: Local<Option<QueryState<&'static Consumer>>>| {
            let q = q.get_or_insert_with(|| world.query::<&Consumer>());
            check_expectations(world, q);
        })
        .in_set(SimSet::Invariants)
        .after(crate::sim::invariants::per_tick),
    );
}

fn send_requests(world: &mut World) {
    let now = world.resource::<SimClock>().tick;
    let Some(mut script) = world.remove_resource::<Script>() else { return };
    for i in 0..script.plan.len() {
        if script.plan[i].start_tick <= now && !script.results[i].started {
            script.results[i].started = true;
            script.baseline[i] = Some(baseline(world));
        }
        while let Some((t, r)) = script.plan[i].requests.get(script.next_request[i]) {
            if *t > now {
                break;
            }
            world.resource_mut::<Inbox>().push(r.clone());
            script.next_request[i] += 1;
        }
    }
    world.insert_resource(script);
}

fn baseline(world: &mut World) -> Baseline {
    let mut b = Baseline {
        populator_calls: world.resource::<Redis>().populator_calls,
        served: world.resource::<QueryLog>().served,
        ..default()
    };
    let mut q = world.query::<&Consumer>();
    for c in q.iter(world) {
        if let ConsumerId::Projector(p) = c.id {
            b.duplicates.insert(p, c.duplicates_skipped);
        }
    }
    b
}

fn check_expectations(world: &mut World, consumers: &mut QueryState<&Consumer>) {
    let now = world.resource::<SimClock>().tick;
    let Some(mut script) = world.remove_resource::<Script>() else { return };
    let head = world.resource::<EventStore>().head_seq();
    let stats: Vec<(Projection, u64, u64)> = consumers
        .iter(world)
        .filter_map(|c| match c.id {
            ConsumerId::Projector(p) => Some((p, c.lag(head), c.buffered as u64)),
            ConsumerId::Orchestrator => None,
        })
        .collect();
    for i in 0..script.plan.len() {
        if let Some(b) = script.baseline[i].as_mut()
            && script.next_check[i] < script.plan[i].checks.len()
        {
            for (p, lag, buffered) in &stats {
                let l = b.peak_lag.entry(*p).or_default();
                *l = (*l).max(*lag);
                let bu = b.peak_buffered.entry(*p).or_default();
                *bu = (*bu).max(*buffered);
            }
        }
        while let Some((t, check)) = script.plan[i].checks.get(script.next_check[i]).cloned() {
            if t > now {
                break;
            }
            let base = script.baseline[i].clone().unwrap_or_default();
            let result = evaluate::evaluate(world, &base, &check);
            let j = script.next_check[i];
            let r = &mut script.results[i].expectations[j];
            r.ok = Some(result.is_ok());
            r.detail = match result {
                Ok(d) | Err(d) => d,
            };
            r.tick = now;
            script.next_check[i] += 1;
        }
    }
    check_own_writes(world, &mut script);
    if script.drained_at.is_none() && script.done() && invariants::quiescent(world) {
        script.drained_at = Some(now);
        invariants::check_at_drain(world);
    }
    world.insert_resource(script);
}

/// Read-your-own-writes, as the customer sees it: each labelled "my
/// bookings" must show every booking its customer's labelled commands
/// wrote (and were answered `ok`) before it was sent, at least at the
/// version they wrote. An erased customer's bookings are hidden on
/// purpose, so she is not checked.
fn check_own_writes(world: &mut World, script: &mut Script) {
    let served = world.resource::<QueryLog>().served;
    if served == script.queries_seen {
        return;
    }
    script.queries_seen = served;
    let now = world.resource::<SimClock>().tick;
    let (queries, commands, store) =
        (world.resource::<QueryLog>(), world.resource::<CommandLog>(), world.resource::<EventStore>());
    let mut found = None;
    for (label, q) in &queries.by_label {
        let (crate::sim::query_api::CustomerQuery::MyBookings { customer }, CacheValue::Bookings(rows)) =
            (&q.query, &q.result)
        else {
            continue;
        };
        if !script.own_writes_checked.insert(label.clone()) {
            continue;
        }
        // What her erasure covered is not hers to see any more: the booking
        // she had on the stream when it was tombstoned, up to a new hold.
        let erased = |id: &AggregateId, version: u32| {
            let Some(at) = store.erasures().find(|(who, a, _)| *who == customer && *a == id).map(|(_, _, at)| at)
            else {
                return false;
            };
            let stream = store.stream_no(id).map_or(&[][..], |no| store.stream_events(no));
            let held_again = stream.iter().any(|e| {
                e.version > at
                    && e.version <= version
                    && matches!(&e.event, Event::SeatHeld { customer: who, .. } if who == customer)
            });
            at >= version || !held_again
        };
        let written = commands.labels.values().filter_map(|id| commands.get(*id)).filter(|r| {
            r.customer.as_ref() == Some(customer)
                && r.outcome == Outcome::Ok
                && r.done_tick.is_some_and(|t| t < q.sent_tick)
                && !r.seqs.is_empty()
        });
        // An erasure writes tombstones, on every stream she had: nothing
        // for her bookings to show.
        let erasure = |r: &CommandRecord| {
            r.seqs.iter().any(|s| store.event(*s).is_some_and(|e| e.kind() == EventKind::GdprTombstone))
        };
        for r in written.filter(|r| !erasure(r)) {
            let id = AggregateId::new(r.target.as_str());
            let version = r.first_version.unwrap_or(0) + r.seqs.len() as u32 - 1;
            if erased(&id, version) {
                continue;
            }
            let seen = rows.get(&id).map(|row| row.version);
            if seen.is_none_or(|v| v < version) && found.is_none() {
                let detail = format!(
                    "{customer}'s `{label}` (sent t{}) shows {id} {} but her `{}` wrote v{version} at t{}",
                    q.sent_tick,
                    seen.map_or("not at all".into(), |v| format!("at v{v}")),
                    r.label.as_deref().unwrap_or("command"),
                    r.done_tick.unwrap_or(0),
                );
                found = Some((detail, id));
            }
        }
    }
    if let Some((detail, id)) = found {
        let culprit = Some(invariants::Culprit::Aggregate(id));
        world.resource_mut::<Invariants>().violate_at(invariants::OWN_WRITES, now, detail, culprit);
    }
}
