//! Chaos mode: from the seed alone, draw faults and their timings and lay
//! them over a scenario as extra steps (knob on … knob off, stampedes,
//! replays, GDPR erasures at awkward moments, payments racing the hold's
//! expiry). The same seed always draws
//! the same faults, so every failure replays with
//! `run --scenario F --seed N --chaos`. Under chaos only invariants and
//! liveness count; the script's own expectations assume calm weather.

use super::{Action, Scenario, Step};
use crate::sim::KnobChange;
use crate::sim::config::WorldConfig;
use crate::sim::protocol::Projection;
use crate::sim::query_api::CustomerQuery;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// How many faults one seed draws (a crash may come on top).
pub const FAULTS: usize = 10;

/// Chance that a seed also crashes a component.
pub const CRASH_ON: f64 = 0.5;

/// A crash, restarting after 0.2–5 s: the outbox pumper between
/// publishing a row and marking it sent, a projector (back to its last
/// checkpoint), or the saga orchestrator (back to its saga table). One-shot:
/// nothing to turn off.
pub fn crash_fault(rng: &mut ChaCha8Rng) -> Fault {
    let restart_ms = rng.random_range(200..5_000);
    let (knob, what) = match rng.random_range(0..3) {
        0 => {
            let what = format!("outbox pumper crashes mid-publish, restarts after {restart_ms} ms");
            (KnobChange::CrashOutboxPumper { restart_ms }, what)
        }
        1 => {
            let projection = Projection::ALL[rng.random_range(0..Projection::ALL.len())];
            let what = format!("{} crashes back to its checkpoint, restarts after {restart_ms} ms", projection.name());
            (KnobChange::CrashProjector { projection, restart_ms }, what)
        }
        _ => {
            let what = format!("saga orchestrator crashes, resumes from its saga table after {restart_ms} ms");
            (KnobChange::CrashOrchestrator { restart_ms }, what)
        }
    };
    Fault { on: vec![Action::Knob(knob)], off: vec![], what }
}

/// The scenario with this seed's faults added (all faults end before the
/// script's last step starts plus a margin, then every knob is cleared).
pub fn with_faults(base: &Scenario, seed: u64) -> Scenario {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xC4A0_5EED_u64);
    let mut sc = base.clone();
    let plan = base.plan();
    let end_ms = plan.iter().map(|p| p.start_tick * crate::domain::TICK_MS).max().unwrap_or(0) + 10_000;
    let mut steps = vec![];
    for i in 0..FAULTS {
        let at = rng.random_range(0..end_ms.max(1));
        let dur = rng.random_range(500..8_000);
        let kind = rng.random_range(0..KINDS);
        let Some(Fault { on, off, what }) = fault(&mut rng, kind, dur, &base.world) else { continue };
        let mut actions = on;
        if !off.is_empty() {
            actions.push(Action::Wait(dur));
            actions.extend(off);
        }
        steps.push(Step {
            title: format!("chaos {}: {what}", i + 1),
            caption: String::new(),
            at_ms: Some(at),
            after_ms: None,
            actions,
            expect: vec![],
        });
    }
    // Drawn after the others, so adding it changed no earlier draw: every
    // seed's other faults are the ones it had before crashes existed.
    if rng.random_bool(CRASH_ON) {
        let at = rng.random_range(0..end_ms.max(1));
        let Fault { on, what, .. } = crash_fault(&mut rng);
        steps.push(Step {
            title: format!("chaos {}: {what}", FAULTS + 1),
            caption: String::new(),
            at_ms: Some(at),
            after_ms: None,
            actions: on,
            expect: vec![],
        });
    }
    steps.push(Step {
        title: "chaos: all clear".into(),
        caption: String::new(),
        at_ms: Some(end_ms + 10_000),
        after_ms: None,
        actions: vec![Action::Knob(KnobChange::Clear)],
        expect: vec![],
    });
    // Keep the script's steps in time order for the caption strip.
    sc.steps.extend(steps);
    let mut indexed: Vec<(u64, usize, Step)> = {
        let mut prev = 0u64;
        sc.steps
            .drain(..)
            .enumerate()
            .map(|(i, s)| {
                let start = s.at_ms.unwrap_or(prev + s.after_ms.unwrap_or(0));
                prev = start;
                (start, i, Step { at_ms: Some(start), after_ms: None, ..s })
            })
            .collect()
    };
    indexed.sort_by_key(|(t, i, _)| (*t, *i));
    sc.steps = indexed.into_iter().map(|(_, _, s)| s).collect();
    sc
}

/// How many kinds of fault [`fault`] draws from.
pub const KINDS: u32 = 12;

/// One fault: the actions that start it, those that end it (`Wait`ed
/// `dur` ms later; none for one-off faults) and a title.
pub struct Fault {
    pub on: Vec<Action>,
    pub off: Vec<Action>,
    pub what: String,
}

/// Draws fault `kind` (0..[`KINDS`]) over `world` (None when the world has
/// nothing it could hit, e.g. no vendor). The kinds, by what they hit:
/// 0–2 a vendor, 3–5 the bus, 6 and 9 a projector, 7 and 8 load, 10 and
/// 11 a customer. A seed's later faults depend on the draws made here, so
/// each kind draws exactly what it always drew, in the same order.
pub fn fault(rng: &mut ChaCha8Rng, kind: u32, dur: u64, world: &WorldConfig) -> Option<Fault> {
    let t = Targets::of(world);
    let fault = match kind {
        0..=2 => vendor_fault(rng, kind, &t.vendors)?,
        3..=5 => bus_fault(rng, kind),
        6 | 9 => projector_fault(rng, kind),
        7 => burst(rng, dur),
        8 => stampede(rng, &t.flights)?,
        10 => {
            let c = pick(rng, &t.customers)?;
            let what = format!("GDPR erasure of {c}");
            Fault { on: vec![Action::GdprDelete { customer: c, label: None }], off: vec![], what }
        }
        _ => payment_racing_expiry(rng, world, &t)?,
    };
    Some(fault)
}

/// The names in a world that a fault can hit.
struct Targets {
    vendors: Vec<String>,
    customers: Vec<String>,
    flights: Vec<String>,
}

impl Targets {
    fn of(world: &WorldConfig) -> Self {
        Targets {
            vendors: world.vendors.iter().map(|v| v.id.to_string()).collect(),
            customers: world.customers.iter().map(|c| c.id.to_string()).collect(),
            flights: world.flights.iter().map(|f| f.id.to_string()).collect(),
        }
    }
}

/// One of `v`, or None when it is empty (a draw is made either way).
fn pick(rng: &mut ChaCha8Rng, v: &[String]) -> Option<String> {
    v.get(rng.random_range(0..v.len().max(1))).cloned()
}

/// One of `vendors`, 0: slow, 1: failing ticket issues, 2: failing seat holds.
fn vendor_fault(rng: &mut ChaCha8Rng, kind: u32, vendors: &[String]) -> Option<Fault> {
    let v = pick(rng, vendors)?;
    let vendor = || v.as_str().into();
    let (on, off, what) = match kind {
        0 => {
            let ms = rng.random_range(500..6_000);
            (
                KnobChange::SlowVendor { vendor: vendor(), extra_ms: ms },
                KnobChange::SlowVendor { vendor: vendor(), extra_ms: 0 },
                format!("{v} slow by {ms} ms"),
            )
        }
        1 => (
            KnobChange::FailIssue { vendor: vendor(), on: true },
            KnobChange::FailIssue { vendor: vendor(), on: false },
            format!("{v} fails ticket issues"),
        ),
        _ => (
            KnobChange::FailHold { vendor: vendor(), on: true },
            KnobChange::FailHold { vendor: vendor(), on: false },
            format!("{v} fails seat holds"),
        ),
    };
    Some(Fault { on: vec![Action::Knob(on)], off: vec![Action::Knob(off)], what })
}

/// 3: duplicate deliveries, 4: reordered deliveries, 5: publish failures.
fn bus_fault(rng: &mut ChaCha8Rng, kind: u32) -> Fault {
    let (on, off, what) = match kind {
        3 => {
            let pct = rng.random_range(10..=100);
            (
                KnobChange::DuplicateDelivery { pct },
                KnobChange::DuplicateDelivery { pct: 0 },
                format!("{pct}% duplicate deliveries"),
            )
        }
        4 => (
            KnobChange::ReorderDelivery { on: true },
            KnobChange::ReorderDelivery { on: false },
            "reordered deliveries".into(),
        ),
        _ => {
            let pct = rng.random_range(10..=90);
            (
                KnobChange::PublishFailure { pct },
                KnobChange::PublishFailure { pct: 0 },
                format!("{pct}% publish failures"),
            )
        }
    };
    Fault { on: vec![Action::Knob(on)], off: vec![Action::Knob(off)], what }
}

/// 6: a projector down for a while, 9: a projector replayed from seq 0.
fn projector_fault(rng: &mut ChaCha8Rng, kind: u32) -> Fault {
    let p = Projection::ALL[rng.random_range(0..Projection::ALL.len())];
    if kind == 6 {
        Fault {
            on: vec![Action::Knob(KnobChange::StallProjector { projection: p, on: true })],
            off: vec![Action::Knob(KnobChange::StallProjector { projection: p, on: false })],
            what: format!("{} down", p.name()),
        }
    } else {
        Fault { on: vec![Action::Replay(p)], off: vec![], what: format!("replay {}", p.name()) }
    }
}

/// A burst of synthetic customers, at most 4 s long.
fn burst(rng: &mut ChaCha8Rng, dur: u64) -> Fault {
    let per_s = rng.random_range(10..=100);
    Fault {
        on: vec![Action::Knob(KnobChange::Burst { per_s, duration_ms: dur.min(4_000) })],
        off: vec![],
        what: format!("burst {per_s}/s"),
    }
}

/// Many customers asking for the seats left on one of `flights` at once.
fn stampede(rng: &mut ChaCha8Rng, flights: &[String]) -> Option<Fault> {
    let f = pick(rng, flights)?;
    let gets = rng.random_range(20..=300);
    Some(Fault {
        on: vec![Action::Stampede { query: CustomerQuery::SeatsLeft { flight: f.as_str().into() }, gets }],
        off: vec![],
        what: format!("stampede of {gets} on {f}"),
    })
}

/// A hold whose payment races its expiry timer (±300 ms).
fn payment_racing_expiry(rng: &mut ChaCha8Rng, world: &WorldConfig, t: &Targets) -> Option<Fault> {
    // Both drawn before either may be missing.
    let (Some(c), Some(f)) = (pick(rng, &t.customers), pick(rng, &t.flights)) else { return None };
    let seat = world.flights.iter().find(|x| x.id.as_str() == f).and_then(|x| {
        let seats = x.all_seats();
        (!seats.is_empty()).then(|| seats[rng.random_range(0..seats.len())].to_string())
    })?;
    let ttl = world.timing.hold_ttl_ms;
    let pay_after = ttl.saturating_sub(300) + rng.random_range(0..600);
    Some(Fault {
        on: vec![
            Action::Hold {
                customer: c.clone(),
                flight: f.clone(),
                seat: seat.clone(),
                label: None,
                expected_version: None,
            },
            Action::Wait(pay_after),
            Action::Pay { customer: c.clone(), flight: f.clone(), seat: seat.clone(), label: None },
        ],
        off: vec![],
        what: format!("{c} pays {f}/{seat} {pay_after} ms after holding it (TTL {ttl} ms)"),
    })
}
