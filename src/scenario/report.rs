//! Headless runs and their report (human text or one JSON object).
//!
//! The JSON field names are a contract used by outside tools: add fields,
//! never rename them.

use super::Scenario;
use super::runner::{self, Script};
use crate::domain::hex;
use crate::headless::{Harness, set_ticks_per_update};
use crate::sim::consumer::Consumer;
use crate::sim::invariants::{self, Invariants};
use crate::sim::query_api::Redis;
use crate::sim::store::EventStore;
use crate::sim::vendors::Vendors;
use crate::sim::{Mechanisms, SimClock};
use crate::sim::{bus::Bus, protocol::ConsumerId};
use crate::sim::{command_intake::CommandLog, protocol::Outcome};
use crate::sim::{projectors::ProjectorView, protocol::Projection};
use bevy::prelude::World;
use serde::Serialize;
use std::fmt::Write;

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Report {
    pub scenario: String,
    pub seed: u64,
    pub ticks: u64,
    pub sim_ms: u64,
    pub fingerprint: String,
    pub events: u64,
    /// The script finished and the platform went quiet (then the
    /// drain-time invariants ran).
    pub drained: bool,
    /// Stopped at `--until-tick` on purpose.
    pub stopped_early: bool,
    pub ok: bool,
    pub steps: Vec<StepReport>,
    pub invariants: Vec<InvariantReport>,
    pub commands: CommandCounts,
    pub projectors: Vec<ProjectorReport>,
    pub populator_calls: u64,
    pub vendor_calls: u64,
    /// Safeguards turned off for this run (empty in a real run).
    pub disabled: Vec<String>,
    /// Random faults were laid over the script (only invariants count).
    pub chaos: bool,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct StepReport {
    pub title: String,
    pub ok: bool,
    pub expectations: Vec<ExpectationReport>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ExpectationReport {
    pub text: String,
    pub ok: bool,
    pub detail: String,
    pub tick: u64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct InvariantReport {
    pub name: String,
    pub ok: bool,
    pub detail: String,
    /// Whether it was checked in full: false when the run did not drain
    /// and the invariant's drain-time part never ran (`ok` then only says
    /// that its per-tick part, if it has one, found nothing).
    pub checked: bool,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CommandCounts {
    pub ok: u64,
    pub conflict: u64,
    pub rejected: u64,
    pub inflight: u64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ProjectorReport {
    pub name: String,
    pub lag: u64,
    pub last_seq: u64,
    pub processed: u64,
    pub duplicates_skipped: u64,
    pub buffered: u64,
    pub rows: u64,
    pub view_hash: String,
}

/// How to run a scenario headless.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    pub seed: Option<u64>,
    pub until_tick: Option<u64>,
    /// Safeguards to turn off (names from `Safeguard::NAMES`).
    pub disable: Vec<String>,
    /// Lay this seed's random faults over the script (see `chaos`).
    pub chaos: bool,
}

/// Default drain allowance after the script's last action or check.
pub const DRAIN_ALLOWANCE_MS: u64 = 120_000;

/// A harness playing `scenario` (the script player installed).
pub fn harness(scenario: &Scenario, opts: &RunOptions) -> Result<Harness, String> {
    let mut mech = Mechanisms::default();
    for name in scenario.disable.iter().chain(&opts.disable) {
        mech.disable(name)?;
    }
    let seed = opts.seed.unwrap_or(scenario.seed);
    let mut h = Harness::new(scenario.world.clone(), seed);
    h.app.add_plugins(runner::plugin);
    h.world_mut().insert_resource(mech);
    h.world_mut().insert_resource(Script::new(scenario.clone()));
    Ok(h)
}

/// Runs to completion (script done and drained), to `until_tick`, or to
/// the scenario's time limit (then `drained` is false: a liveness failure).
pub fn run(scenario: &Scenario, opts: &RunOptions) -> Result<Report, String> {
    run_keeping(scenario, opts, |_| {}).map(|(report, _)| report)
}

/// [`run`], keeping the harness for a look at what the run left behind
/// (its event log, its script's steps). `setup` runs before the first tick
/// (e.g. to record the engine's signals); it must not change the run.
pub fn run_keeping(
    scenario: &Scenario,
    opts: &RunOptions,
    setup: impl FnOnce(&mut Harness),
) -> Result<(Report, Harness), String> {
    let chaotic;
    let scenario = if opts.chaos {
        chaotic = super::chaos::with_faults(scenario, opts.seed.unwrap_or(scenario.seed));
        &chaotic
    } else {
        scenario
    };
    let mut h = harness(scenario, opts)?;
    setup(&mut h);
    let last = h.world().resource::<Script>().last_tick();
    let limit = scenario.max_ms.map(super::ms_to_tick).unwrap_or(last + super::ms_to_tick(DRAIN_ALLOWANCE_MS));
    let stop = opts.until_tick.unwrap_or(u64::MAX).min(limit.max(last));
    set_ticks_per_update(&mut h.app, 1);
    // Until the script's last tick, run in chunks; then tick by tick so the
    // drain is noticed on the exact tick.
    loop {
        let now = h.tick();
        if now >= stop || h.world().resource::<Script>().drained_at.is_some() {
            break;
        }
        let chunk = if now + 200 < last { 200.min(stop - now) } else { 1 };
        h.run(chunk);
    }
    let report = report(&mut h, scenario, opts);
    Ok((report, h))
}

/// The report of a harness's current state. A run that neither drained
/// nor was stopped on purpose is first marked a liveness failure.
pub fn report(h: &mut Harness, scenario: &Scenario, opts: &RunOptions) -> Report {
    let script = h.world().resource::<Script>().clone();
    let drained = script.drained_at.is_some();
    let stopped_early = !drained && opts.until_tick.is_some_and(|t| h.tick() >= t);
    if !drained && !stopped_early {
        out_of_time(h);
    }
    let world = h.app.world_mut();
    let store = world.resource::<EventStore>();
    let head = store.head_seq();
    let fingerprint = hex(&store.head_hash());
    let commands = command_counts(world.resource::<CommandLog>());
    let invariants = invariant_reports(world.resource::<Invariants>(), stopped_early);
    let populator_calls = world.resource::<Redis>().populator_calls;
    let vendor_calls = world.resource::<Vendors>().calls_total;
    let _ = world.resource::<Bus>();
    let projectors = projector_reports(world, head);
    let steps = step_reports(&script);
    let tick = world.resource::<SimClock>().tick;
    let ok = (stopped_early || opts.chaos || steps.iter().all(|s| s.ok)) && invariants.iter().all(|i| i.ok);
    Report {
        scenario: scenario.name.clone(),
        seed: opts.seed.unwrap_or(scenario.seed),
        ticks: tick,
        sim_ms: tick * crate::domain::TICK_MS,
        fingerprint,
        events: head,
        drained,
        stopped_early,
        ok,
        steps,
        invariants,
        commands,
        projectors,
        populator_calls,
        vendor_calls,
        disabled: {
            let mut d = scenario.disable.clone();
            d.extend(opts.disable.iter().filter(|x| !scenario.disable.contains(x)).cloned());
            d
        },
        chaos: opts.chaos,
    }
}

/// Out of time: the platform never went quiet. Fails liveness, naming
/// what was still pending.
fn out_of_time(h: &mut Harness) {
    let now = h.tick();
    let what = invariants::pending_work(h.world_mut()).unwrap_or_else(|| "the script".into());
    h.world_mut().resource_mut::<Invariants>().violate(
        invariants::LIVENESS,
        now,
        format!("the run did not drain within {now} ticks: {what} still pending"),
    );
}

fn command_counts(log: &CommandLog) -> CommandCounts {
    CommandCounts {
        ok: log.count(Outcome::Ok),
        conflict: log.count(Outcome::Conflict),
        rejected: log.count(Outcome::Rejected),
        inflight: log.count(Outcome::Inflight),
    }
}

/// Every invariant, in [`invariants::ALL`] order, and whether it was
/// checked in full.
fn invariant_reports(inv: &Invariants, stopped_early: bool) -> Vec<InvariantReport> {
    invariants::ALL
        .iter()
        .map(|n| {
            let s = &inv.status[n];
            // Liveness is settled by the report itself, except when the
            // run was stopped on purpose before it could drain.
            let checked = !s.ok
                || invariants::NO_DRAIN_PART.contains(n)
                || if *n == invariants::LIVENESS { !stopped_early } else { s.checked_at_drain };
            let detail = if checked {
                s.detail.clone()
            } else if invariants::PER_TICK.contains(n) {
                "held every tick; its drain-time part not checked (did not drain)".into()
            } else {
                "not checked (did not drain)".into()
            };
            InvariantReport { name: n.to_string(), ok: s.ok, detail, checked }
        })
        .collect()
}

/// Every projector, in [`ConsumerId::ALL`] order.
fn projector_reports(world: &mut World, head: u64) -> Vec<ProjectorReport> {
    let mut q = world.query::<(&Consumer, &ProjectorView)>();
    let mut projectors: Vec<(Projection, ProjectorReport)> = q
        .iter(world)
        .map(|(c, pv)| {
            let report = ProjectorReport {
                name: pv.projection.name().into(),
                lag: c.lag(head),
                last_seq: c.last_seq,
                processed: c.processed,
                duplicates_skipped: c.duplicates_skipped,
                buffered: c.buffered as u64,
                rows: pv.view.rows() as u64,
                view_hash: hex(&pv.view.hash()),
            };
            (pv.projection, report)
        })
        .collect();
    projectors.sort_by_key(|(p, _)| ConsumerId::ALL.iter().position(|c| *c == ConsumerId::Projector(*p)));
    projectors.into_iter().map(|(_, r)| r).collect()
}

fn step_reports(script: &Script) -> Vec<StepReport> {
    script
        .results
        .iter()
        .map(|r| StepReport {
            title: r.title.clone(),
            ok: r.ok(),
            expectations: r
                .expectations
                .iter()
                .map(|e| ExpectationReport {
                    text: e.text.clone(),
                    ok: e.ok == Some(true),
                    detail: if e.ok.is_none() {
                        "not checked (the run stopped first)".into()
                    } else {
                        e.detail.clone()
                    },
                    tick: e.tick,
                })
                .collect(),
        })
        .collect()
}

impl Report {
    /// The human-readable report.
    pub fn human(&self) -> String {
        let mut s = String::new();
        let mark = |ok: bool| if ok { "✔" } else { "✘" };
        let _ = writeln!(
            s,
            "scenario {} · seed {} · {} ticks ({:.1} s simulated)",
            self.scenario,
            self.seed,
            self.ticks,
            self.sim_ms as f64 / 1000.0
        );
        let _ = writeln!(s, "fingerprint {}", self.fingerprint);
        let _ = writeln!(
            s,
            "{} events · drained: {}{}",
            self.events,
            self.drained,
            if self.stopped_early { " (stopped at --until-tick)" } else { "" }
        );
        if !self.disabled.is_empty() {
            let _ = writeln!(s, "safeguards OFF: {}", self.disabled.join(", "));
        }
        let _ = writeln!(s, "\nsteps:");
        for (i, st) in self.steps.iter().enumerate() {
            let _ = writeln!(s, "  {} {:>2}. {}", mark(st.ok), i + 1, st.title);
            for e in &st.expectations {
                let _ = writeln!(s, "       {} {} — {}", mark(e.ok), e.text, e.detail);
            }
        }
        let _ = writeln!(s, "\ninvariants:");
        for i in &self.invariants {
            let (sign, detail) = match (i.ok, i.checked) {
                (true, true) => ("✔", String::new()),
                // Not a pass: the part that needs the whole history never ran.
                (true, false) => ("·", format!(" — {}", i.detail)),
                (false, _) => ("✘", format!(" — {}", i.detail)),
            };
            let _ = writeln!(s, "  {sign} {}{detail}", i.name);
        }
        let c = &self.commands;
        let _ = writeln!(
            s,
            "\ncommands: {} ok · {} conflict · {} rejected · {} inflight",
            c.ok, c.conflict, c.rejected, c.inflight
        );
        let _ = writeln!(s, "projectors:");
        for p in &self.projectors {
            let _ = writeln!(
                s,
                "  {:<17} lag {:>4} · last seq {:>6} · processed {:>6} · dups skipped {:>4} · buffered {:>3} · rows {:>5}",
                p.name, p.lag, p.last_seq, p.processed, p.duplicates_skipped, p.buffered, p.rows
            );
        }
        let _ = writeln!(s, "populator calls {} · vendor calls {}", self.populator_calls, self.vendor_calls);
        let _ = writeln!(s, "\nresult: {}", if self.ok { "OK" } else { "FAILED" });
        s
    }
}
