//! Swarm testing: from a seed alone, a small random world with contention
//! and a random workload whose timings aim at the engine's edges, with a
//! random *subset* of fault kinds; and a shrinker that reduces a failing
//! one to a small scenario file.
//!
//! Chaos lays faults over a fixed script, so the workload's own
//! interleavings never vary; here they do. Most seeds enable a few fault
//! kinds, not all (swarm testing: a fault that masks another is often off).
//! Generating only builds a [`Scenario`]; running and judging it is the
//! report's and the invariants' job. Nothing here reads the clock.

use super::report::{self, Report, RunOptions};
use super::{Action, Scenario, Step, chaos};
use crate::domain::{CustomerId, FlightId, SeatNo};
use crate::sim::KnobChange;
use crate::sim::config::WorldConfig;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Actions drawn per seed (before faults), both ends included.
pub const ACTIONS: (usize, usize) = (4, 14);
/// Workload actions start in `0..WINDOW_MS` (plus edge offsets).
pub const WINDOW_MS: u64 = 20_000;
/// Chance that a fault kind is enabled for a seed.
const KIND_ON: f64 = 1.0 / 3.0;

/// What the workload has done so far, to aim later actions at its edges.
#[derive(Default)]
struct Past {
    /// (at_ms, customer, flight, seat) of each hold.
    holds: Vec<(u64, String, String, String)>,
    /// (at_ms, customer) of each write.
    writes: Vec<(u64, String)>,
    times: Vec<u64>,
}

/// The world slice: every vendor and customer of the default world, one or
/// two of its flights with two to four seats each (few seats: contention).
fn world(rng: &mut ChaCha8Rng) -> WorldConfig {
    let mut w = WorldConfig::default();
    let n = rng.random_range(1..=2).min(w.flights.len());
    let mut flights = vec![];
    for _ in 0..n {
        let f = w.flights.remove(rng.random_range(0..w.flights.len()));
        flights.push(f);
    }
    for f in &mut flights {
        let seats = f.all_seats();
        let k = rng.random_range(2..=4).min(seats.len());
        let start = rng.random_range(0..=seats.len() - k);
        f.seats = seats[start..start + k].to_vec();
        f.rows = 0;
    }
    flights.sort_by(|a, b| a.id.cmp(&b.id));
    w.flights = flights;
    w
}

/// A time: uniform in the window, or aimed at an edge of something done
/// earlier (a hold's expiry, a cache entry's TTL, the same tick as another
/// action), a tick or a few either side.
fn time(rng: &mut ChaCha8Rng, past: &Past, w: &WorldConfig, customer: &str) -> u64 {
    let jitter = |rng: &mut ChaCha8Rng| rng.random_range(0..=8u64) * 50;
    let aim = rng.random_range(0..10);
    let at = match aim {
        0..=2 if !past.holds.is_empty() => {
            let h = &past.holds[rng.random_range(0..past.holds.len())];
            (h.0 + w.timing.hold_ttl_ms + jitter(rng)).saturating_sub(200)
        }
        3 => past
            .writes
            .iter()
            .rev()
            .find(|(_, c)| c == customer)
            .map(|(t, _)| (t + w.timing.cache_ttl_ms + jitter(rng)).saturating_sub(200))
            .unwrap_or_else(|| rng.random_range(0..WINDOW_MS)),
        4 if !past.times.is_empty() => past.times[rng.random_range(0..past.times.len())],
        _ => rng.random_range(0..WINDOW_MS),
    };
    at / 50 * 50
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, v: &'a [T]) -> &'a T {
    &v[rng.random_range(0..v.len())]
}

/// One workload action, labelled `label`, with a few words for its step.
fn action(rng: &mut ChaCha8Rng, past: &Past, w: &WorldConfig, customer: &str, label: String) -> (Action, String) {
    let seats: Vec<(FlightId, SeatNo)> =
        w.flights.iter().flat_map(|f| f.seats.iter().map(move |s| (f.id.clone(), s.clone()))).collect();
    let (flight, seat) = pick(rng, &seats).clone();
    let (f, s) = (flight.to_string(), seat.to_string());
    let c = customer.to_string();
    let label = Some(label);
    match rng.random_range(0..100) {
        0..=29 => (
            Action::Hold { customer: c.clone(), flight: f.clone(), seat: s.clone(), label, expected_version: None },
            format!("{c} holds {f}/{s}"),
        ),
        30..=49 => {
            // Mostly a seat this customer held: a payment that can land.
            let (f, s) = past
                .holds
                .iter()
                .rev()
                .find(|h| h.1 == c)
                .map(|h| (h.2.clone(), h.3.clone()))
                .filter(|_| rng.random_bool(0.8))
                .unwrap_or((f, s));
            (
                Action::Pay { customer: c.clone(), flight: f.clone(), seat: s.clone(), label },
                format!("{c} pays {f}/{s}"),
            )
        }
        50..=64 => (Action::MyBookings { customer: c.clone(), label }, format!("{c} reads her bookings")),
        65..=74 => {
            let (f2, s2) = pick(rng, &seats).clone();
            let legs = vec![(f.clone(), s.clone()), (f2.to_string(), s2.to_string())];
            let legs: Vec<(String, String)> = legs.into_iter().fold(vec![], |mut v, l| {
                if !v.contains(&l) {
                    v.push(l);
                }
                v
            });
            let what = legs.iter().map(|(f, s)| format!("{f}/{s}")).collect::<Vec<_>>().join(" + ");
            (Action::Itinerary { customer: c.clone(), legs, label }, format!("{c} books {what}"))
        }
        75..=79 => (Action::GdprDelete { customer: c.clone(), label }, format!("{c} asks to be forgotten")),
        80..=89 => {
            let route = w.flights.iter().find(|x| x.id == flight).map(|x| x.route.clone()).unwrap_or_default();
            (Action::Search { route: route.clone(), label }, format!("search {route}"))
        }
        _ => (Action::SeatsLeft { flight: f.clone(), label }, format!("seats left on {f}")),
    }
}

/// This seed's scenario: a world slice, a workload and a subset of faults.
pub fn generate(seed: u64) -> Scenario {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5A_A2_3F_00_u64);
    let w = world(&mut rng);
    let customers: Vec<CustomerId> = w.customers.iter().map(|c| c.id.clone()).collect();
    let mut steps = vec![];
    let mut past = Past::default();
    let n = rng.random_range(ACTIONS.0..=ACTIONS.1);
    for i in 0..n {
        let customer = pick(&mut rng, &customers).to_string();
        let at = time(&mut rng, &past, &w, &customer);
        let (a, what) = action(&mut rng, &past, &w, &customer, format!("a{i}"));
        match &a {
            Action::Hold { customer, flight, seat, .. } => {
                past.holds.push((at, customer.clone(), flight.clone(), seat.clone()));
                past.writes.push((at, customer.clone()));
            }
            Action::Pay { customer, .. } | Action::Itinerary { customer, .. } => {
                past.writes.push((at, customer.clone()))
            }
            _ => {}
        }
        past.times.push(at);
        let wrote = matches!(a, Action::Hold { .. } | Action::Pay { .. } | Action::Itinerary { .. });
        steps.push(step(format!("a{i}: {what}"), at, vec![a]));
        // Read-your-own-writes: often the writer reads her bookings soon
        // after, while the projection may still lag.
        if wrote && rng.random_bool(0.35) {
            let read = at + rng.random_range(1..=30) * 50;
            let label = Some(format!("a{i}r"));
            let what = format!("{customer} reads her bookings");
            steps.push(step(format!("a{i}r: {what}"), read, vec![Action::MyBookings { customer, label }]));
            past.times.push(read);
        }
    }
    // Swarm: a random subset of the fault kinds, then a few faults of them.
    let kinds = kinds_on(&mut rng);
    if !kinds.is_empty() {
        for i in 0..rng.random_range(1..=4) {
            let at = rng.random_range(0..WINDOW_MS) / 50 * 50;
            let dur = rng.random_range(500..8_000);
            let kind = *pick(&mut rng, &kinds);
            let Some(f) = chaos::fault(&mut rng, kind, dur, &w) else { continue };
            let mut actions = f.on;
            if !f.off.is_empty() {
                actions.push(Action::Wait(dur));
                actions.extend(f.off);
            }
            steps.push(step(format!("fault {}: {}", i + 1, f.what), at, actions));
        }
    }
    // A crash, drawn after everything else (earlier draws stay as they were).
    if rng.random_bool(KIND_ON) {
        let at = rng.random_range(0..WINDOW_MS) / 50 * 50;
        let f = chaos::crash_fault(&mut rng);
        steps.push(step(format!("fault crash: {}", f.what), at, f.on));
    }
    steps.sort_by_key(|s| s.at_ms);
    steps.push(step("all clear".into(), WINDOW_MS + 20_000, vec![Action::Knob(KnobChange::Clear)]));
    Scenario {
        name: format!("swarm-{seed}"),
        description: format!("check --swarm seed {seed}: a random workload and faults on a small world"),
        seed,
        world: w,
        steps,
        max_ms: None,
        disable: vec![],
    }
}

/// The fault kinds a seed enables: each with probability [`KIND_ON`].
fn kinds_on(rng: &mut ChaCha8Rng) -> Vec<u32> {
    (0..chaos::KINDS).filter(|_| rng.random_bool(KIND_ON)).collect()
}

fn step(title: String, at_ms: u64, actions: Vec<Action>) -> Step {
    Step { title, caption: String::new(), at_ms: Some(at_ms), after_ms: None, actions, expect: vec![] }
}

/// Actions in a scenario, not counting waits and the final all-clear.
pub fn action_count(sc: &Scenario) -> usize {
    sc.steps
        .iter()
        .flat_map(|s| &s.actions)
        .filter(|a| !matches!(a, Action::Wait(_) | Action::Knob(KnobChange::Clear)))
        .count()
}

/// The invariants a report breaks, in report order.
pub fn broken(r: &Report) -> Vec<String> {
    r.invariants.iter().filter(|i| !i.ok).map(|i| i.name.clone()).collect()
}

/// Delta debugging (ddmin) over the steps (the final all-clear kept): the
/// smallest subset found that still breaks `invariant`. Runs with `opts`.
/// Also returns how many runs it took.
pub fn shrink(sc: &Scenario, opts: &RunOptions, invariant: &str) -> (Scenario, usize) {
    let (last, body) = sc.steps.split_last().map_or((None, &sc.steps[..]), |(l, b)| (Some(l.clone()), b));
    let mut runs = 0;
    let mut fails = |keep: &[Step]| {
        runs += 1;
        let mut cand = sc.clone();
        cand.steps = keep.to_vec();
        cand.steps.extend(last.clone());
        report::run(&cand, opts).is_ok_and(|r| broken(&r).iter().any(|n| n == invariant))
    };
    let mut cur: Vec<Step> = body.to_vec();
    let mut n = 2usize;
    while cur.len() >= 2 {
        let chunk = cur.len().div_ceil(n);
        let parts: Vec<Vec<Step>> = cur.chunks(chunk).map(<[Step]>::to_vec).collect();
        let mut reduced = false;
        // A part alone, then everything but a part.
        for p in &parts {
            if fails(p) {
                cur = p.clone();
                n = 2;
                reduced = true;
                break;
            }
        }
        if !reduced && parts.len() > 2 {
            for i in 0..parts.len() {
                let rest: Vec<Step> =
                    parts.iter().enumerate().filter(|(j, _)| *j != i).flat_map(|(_, p)| p.clone()).collect();
                if fails(&rest) {
                    cur = rest;
                    n = (n - 1).max(2);
                    reduced = true;
                    break;
                }
            }
        }
        if !reduced {
            if n >= cur.len() {
                break;
            }
            n = (2 * n).min(cur.len());
        }
    }
    // One at a time, for what ddmin's chunks left.
    let mut i = 0;
    while i < cur.len() && cur.len() > 1 {
        let mut without = cur.clone();
        without.remove(i);
        if fails(&without) {
            cur = without;
        } else {
            i += 1;
        }
    }
    let mut out = sc.clone();
    out.name = format!("{}-shrunk", sc.name);
    out.steps = cur;
    out.steps.extend(last);
    (out, runs)
}

/// The scenario as RON text, as a user would write it.
pub fn to_ron(sc: &Scenario) -> String {
    let pretty = ron::ser::PrettyConfig::new().depth_limit(6).struct_names(true);
    ron::ser::to_string_pretty(sc, pretty).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_always_generates_the_same_valid_scenario() {
        for seed in 1..=40 {
            let a = generate(seed);
            assert_eq!(a, generate(seed), "seed {seed}");
            let text = to_ron(&a);
            let parsed = Scenario::parse(&text, "swarm.ron").unwrap_or_else(|e| panic!("seed {seed}: {e}\n{text}"));
            assert_eq!(parsed, a, "seed {seed} survives its RON text");
            let n = action_count(&a);
            assert!(n >= ACTIONS.0, "seed {seed}: {n} actions");
            assert!(a.world.flights.len() <= 2 && a.world.flights.iter().all(|f| f.all_seats().len() <= 4));
        }
    }

    #[test]
    fn most_seeds_enable_a_few_fault_kinds_not_all() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let draws: Vec<usize> = (0..2000).map(|_| kinds_on(&mut rng).len()).collect();
        let mean = draws.iter().sum::<usize>() as f64 / draws.len() as f64;
        assert!((3.5..4.5).contains(&mean), "{mean} kinds on average, of {}", chaos::KINDS);
        let all = draws.iter().filter(|n| **n == chaos::KINDS as usize).count();
        let few = draws.iter().filter(|n| (1..=6).contains(*n)).count();
        assert!(all == 0 && few > 1600, "all kinds on {all} times; one to six on {few} of 2000");
        // At most four faults of the drawn kinds, and at most one crash.
        let faults = |sc: &Scenario, crash: bool| {
            sc.steps
                .iter()
                .filter(|s| s.title.starts_with("fault") && s.title.starts_with("fault crash") == crash)
                .count()
        };
        assert!((1..=200).all(|s| faults(&generate(s), false) <= 4 && faults(&generate(s), true) <= 1));
        let crashing = (1..=200).filter(|s| faults(&generate(*s), true) == 1).count();
        assert!((30..120).contains(&crashing), "{crashing} of 200 seeds crash a component");
        // Each kind of crash is drawn: the pumper, a projector, the orchestrator.
        let crashes: Vec<String> = (1..=200)
            .flat_map(|s| generate(s).steps)
            .map(|s| s.title)
            .filter(|t| t.starts_with("fault crash"))
            .collect();
        for kind in ["outbox pumper", "back to its checkpoint", "saga orchestrator"] {
            let n = crashes.iter().filter(|t| t.contains(kind)).count();
            assert!(n >= crashing / 6, "{n} of {crashing} crashes are of the {kind:?} kind");
        }
    }
}
