//! Engine benchmarks (`cargo bench --bench engine`): headless speed of the
//! default script, saturation throughput, per-tick cost as history grows,
//! memory per stored event, and the seed-sweep rate. Figures go to
//! docs/PERFORMANCE.md. A bench binary, not a test: nothing here asserts
//! on time. `BENCH_QUICK=1` runs smaller sizes.

use cqrs_tickets::domain::{AggregateId, CustomerId, FlightId, SeatNo};
use cqrs_tickets::scenario::Scenario;
use cqrs_tickets::scenario::report::{self, RunOptions};
use cqrs_tickets::sim::command_intake::CustomerCommand;
use cqrs_tickets::sim::config::Catalog;
use cqrs_tickets::sim::runtime::Customers;
use cqrs_tickets::sim::store::EventStore;
use cqrs_tickets::sim::{KnobChange, SimRequest};
use cqrs_tickets::testing::{Harness, big_world};
use std::time::Instant;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn head(h: &Harness) -> u64 {
    h.world().resource::<EventStore>().head_seq()
}

/// The cost of one tick under a steady load that is the same at every
/// history size: each tick a new customer holds a seat nobody has touched
/// and the customer who held five ticks earlier pays (40 commands/s, plus
/// the saga's vendor calls and ticket issues). The best of 15 windows of 20
/// ticks (the one least disturbed by the other core), in µs; then drained.
fn steady_tick_us(h: &mut Harness) -> f64 {
    const WINDOWS: usize = 15;
    const TICKS: usize = 20;
    let n = (WINDOWS + 1) * TICKS;
    let fresh: Vec<(FlightId, SeatNo)> = {
        let catalog = h.world().resource::<Catalog>();
        let all: Vec<(FlightId, SeatNo)> = catalog
            .flights
            .iter()
            .flat_map(|(f, info)| info.seat_list.iter().map(move |s| (f.clone(), s.clone())))
            .collect();
        all.into_iter()
            .filter(|(f, s)| h.booking(&AggregateId::seat(f, s).to_string()).is_none_or(|b| b.version == 0))
            .take(n)
            .collect()
    };
    assert_eq!(fresh.len(), n, "the world still has untouched seats");
    let customers: Vec<CustomerId> = {
        let mut c = h.world_mut().resource_mut::<Customers>();
        (0..n).map(|_| c.synthetic()).collect()
    };
    let command = |i: usize, pay: bool| {
        let ((flight, seat), customer) = (fresh[i].clone(), customers[i].clone());
        let command = if pay {
            CustomerCommand::Pay { customer, flight, seat }
        } else {
            CustomerCommand::HoldSeat { customer, flight, seat, expected_version: None }
        };
        SimRequest::Command { label: None, command }
    };
    let mut best = f64::MAX;
    let mut i = 0;
    for window in 0..=WINDOWS {
        let t = Instant::now();
        for _ in 0..TICKS {
            h.submit(command(i, false));
            if i >= 5 {
                h.submit(command(i - 5, true));
            }
            i += 1;
            h.run(1);
        }
        // Window 0 warms the load up; it is not counted.
        if window > 0 {
            best = best.min(t.elapsed().as_secs_f64() * 1e6 / TICKS as f64);
        }
    }
    assert!(h.run_until_quiescent(2_000_000), "the steady load drains");
    best
}

/// Whether this run measures `section` (`BENCH_ONLY=history,saturation`
/// picks sections: speed, sweep, swarm, saturation, history; unset = all).
fn wanted(section: &str) -> bool {
    std::env::var("BENCH_ONLY").map_or(true, |only| only.split(',').any(|s| s.trim() == section))
}

/// The drain checks, run after the clock stops: the timed run must pass.
fn audit(h: &mut Harness) {
    h.audit();
    assert!(h.invariants().all_ok(), "{:?}", h.invariants().violations());
}

/// Set in the environment of the history section's own process.
const HISTORY_CHILD: &str = "BENCH_HISTORY_CHILD";

fn main() {
    let quick = std::env::var("BENCH_QUICK").is_ok();
    // The history section's own process (below) says nothing twice.
    if std::env::var_os(HISTORY_CHILD).is_none() {
        println!("machine: {} cores", std::thread::available_parallelism().map_or(0, |n| n.get()));
    }

    let sc = Scenario::load(std::path::Path::new("scenarios/default.ron")).expect("default.ron");
    if wanted("speed") {
        speed(&sc, quick);
    }
    if wanted("sweep") {
        sweep(&sc, quick);
    }
    if wanted("swarm") {
        swarm(quick);
    }
    if wanted("saturation") {
        saturation(quick);
    }
    if wanted("history") {
        if std::env::var("BENCH_ONLY").is_ok_and(|only| only.trim() == "history") {
            history(quick);
        } else {
            // Memory is read as RSS growth, which the memory earlier
            // sections freed (and the allocator kept) would hide: the
            // history section runs in a fresh process of its own.
            let exe = std::env::current_exe().expect("the bench's own path");
            let status = std::process::Command::new(exe)
                .env("BENCH_ONLY", "history")
                .env(HISTORY_CHILD, "1")
                .status()
                .expect("the history run");
            assert!(status.success(), "the history run failed: {status}");
        }
    }
}

/// 1. Headless speed: the default script end to end.
fn speed(sc: &Scenario, quick: bool) {
    let runs = if quick { 3 } else { 10 };
    let t = Instant::now();
    let mut sim_ms = 0;
    for seed in 1..=runs {
        let r = report::run(sc, &RunOptions { seed: Some(seed), ..Default::default() }).expect("run");
        assert!(r.ok);
        sim_ms += r.sim_ms;
    }
    let wall = t.elapsed().as_secs_f64();
    println!(
        "headless default script: {runs} runs, {:.1} s simulated in {:.3} s wall = {:.0}x real time ({:.1} ms per run)",
        sim_ms as f64 / 1000.0,
        wall,
        sim_ms as f64 / 1000.0 / wall,
        wall * 1000.0 / runs as f64
    );
}

/// 2. Sweep rate on one thread (`check` runs one seed per core at once).
fn sweep(sc: &Scenario, quick: bool) {
    let seeds = if quick { 20 } else { 100 };
    let t = Instant::now();
    for seed in 1..=seeds {
        let r = report::run(sc, &RunOptions { seed: Some(seed), chaos: true, ..Default::default() }).expect("run");
        assert!(r.ok, "chaos seed {seed}");
    }
    println!("check --chaos sweep, one thread: {:.1} seeds/s", seeds as f64 / t.elapsed().as_secs_f64());
}

/// 2b. Swarm: seeds per second on one thread, and the time to shrink a
/// failure (the ordering buffer off: the swarm's first such seed).
fn swarm(quick: bool) {
    use cqrs_tickets::scenario::swarm;
    let seeds = if quick { 100 } else { 1000 };
    let t = Instant::now();
    for seed in 1..=seeds {
        let r =
            report::run(&swarm::generate(seed), &RunOptions { seed: Some(seed), ..Default::default() }).expect("run");
        assert!(r.ok, "swarm seed {seed}: {:?}", swarm::broken(&r));
    }
    println!("check --swarm sweep, one thread: {:.1} seeds/s", seeds as f64 / t.elapsed().as_secs_f64());
    let off = RunOptions { disable: vec!["ordering-buffer".into()], ..Default::default() };
    let (seed, invariant) = (1..=1000)
        .find_map(|seed| {
            let opts = RunOptions { seed: Some(seed), ..off.clone() };
            let r = report::run(&swarm::generate(seed), &opts).expect("run");
            swarm::broken(&r).into_iter().next().map(|i| (seed, i))
        })
        .expect("the swarm finds the ordering buffer missing");
    let sc = swarm::generate(seed);
    let t = Instant::now();
    let (small, runs) = swarm::shrink(&sc, &RunOptions { seed: Some(seed), ..off }, &invariant);
    println!(
        "swarm shrink (ordering buffer off, seed {seed}): {} → {} actions in {runs} runs, {:.3} s",
        swarm::action_count(&sc),
        swarm::action_count(&small),
        t.elapsed().as_secs_f64()
    );
}

/// 3. Saturation throughput: a 2000 cmd/s burst, everything drained.
fn saturation(quick: bool) {
    let mut h = Harness::new(big_world(40), 1);
    h.submit(SimRequest::Knob(KnobChange::Burst { per_s: 2_000, duration_ms: if quick { 5_000 } else { 20_000 } }));
    let t = Instant::now();
    assert!(h.run_until_quiescent(2_000_000));
    let wall = t.elapsed().as_secs_f64();
    // The whole-history audit checks the run; it is not part of the work
    // being timed.
    audit(&mut h);
    let events = head(&h);
    println!(
        "saturation: {events} events appended, published, delivered to 6 consumers and applied in {wall:.2} s = {:.0} events/s end to end",
        events as f64 / wall
    );
}

/// 4. Flat in history + memory per event.
fn history(quick: bool) {
    let sizes: &[u64] = if quick { &[1_000, 30_000] } else { &[1_000, 100_000, 1_000_000] };
    let flights = if quick { 40 } else { 420 };
    let mut h = Harness::new(big_world(flights), 2);
    // The empty app: the world's seats exist, no event yet.
    let rss0 = rss_kib();
    println!(
        "history: the empty app ({flights} flights, every seat an aggregate at version 0): RSS {} MiB",
        rss0 / 1024
    );
    let mut base_cost = None;
    for &target in sizes {
        while head(&h) < target {
            let before = head(&h);
            let t = Instant::now();
            // Size the burst to what is missing (about 1.3 events per command).
            let missing = target - head(&h);
            let duration_ms = (missing / 2).clamp(50, 20_000);
            h.submit(SimRequest::Knob(KnobChange::Burst { per_s: 2_000, duration_ms }));
            assert!(h.run_until_quiescent(2_000_000), "the burst drains");
            eprintln!("  (history at {} events, {:.1} s)", head(&h), t.elapsed().as_secs_f64());
            if head(&h) == before {
                break; // every seat is sold: as close as this world gets
            }
        }
        let rss = rss_kib();
        let per_tick_us = steady_tick_us(&mut h);
        // The history built so far must pass the whole-history checks.
        audit(&mut h);
        let ratio = per_tick_us / *base_cost.get_or_insert(per_tick_us);
        println!(
            "history {:>8} events: {per_tick_us:>7.1} µs per tick under the steady load ({ratio:.2}x the first size); RSS {} MiB, {:.0} bytes/event above the empty app",
            head(&h),
            rss / 1024,
            (rss.saturating_sub(rss0) as f64 * 1024.0) / head(&h) as f64
        );
    }
}
