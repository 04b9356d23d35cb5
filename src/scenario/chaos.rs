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

/// How many faults one seed draws.
pub const FAULTS: usize = 10;

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
/// nothing it could hit, e.g. no vendor).
pub fn fault(rng: &mut ChaCha8Rng, kind: u32, dur: u64, world: &WorldConfig) -> Option<Fault> {
    let vendors: Vec<String> = world.vendors.iter().map(|v| v.id.to_string()).collect();
    let customers: Vec<String> = world.customers.iter().map(|c| c.id.to_string()).collect();
    let flights: Vec<String> = world.flights.iter().map(|f| f.id.to_string()).collect();
    let pick = |rng: &mut ChaCha8Rng, v: &[String]| v.get(rng.random_range(0..v.len().max(1))).cloned();
    let (on, off, what): (Vec<Action>, Vec<Action>, String) = match kind {
        0 => {
            let Some(v) = pick(rng, &vendors) else { return None };
            let ms = rng.random_range(500..6_000);
            (
                vec![Action::Knob(KnobChange::SlowVendor { vendor: v.as_str().into(), extra_ms: ms })],
                vec![Action::Knob(KnobChange::SlowVendor { vendor: v.as_str().into(), extra_ms: 0 })],
                format!("{v} slow by {ms} ms"),
            )
        }
        1 => {
            let Some(v) = pick(rng, &vendors) else { return None };
            (
                vec![Action::Knob(KnobChange::FailIssue { vendor: v.as_str().into(), on: true })],
                vec![Action::Knob(KnobChange::FailIssue { vendor: v.as_str().into(), on: false })],
                format!("{v} fails ticket issues"),
            )
        }
        2 => {
            let Some(v) = pick(rng, &vendors) else { return None };
            (
                vec![Action::Knob(KnobChange::FailHold { vendor: v.as_str().into(), on: true })],
                vec![Action::Knob(KnobChange::FailHold { vendor: v.as_str().into(), on: false })],
                format!("{v} fails seat holds"),
            )
        }
        3 => {
            let pct = rng.random_range(10..=100);
            (
                vec![Action::Knob(KnobChange::DuplicateDelivery { pct })],
                vec![Action::Knob(KnobChange::DuplicateDelivery { pct: 0 })],
                format!("{pct}% duplicate deliveries"),
            )
        }
        4 => (
            vec![Action::Knob(KnobChange::ReorderDelivery { on: true })],
            vec![Action::Knob(KnobChange::ReorderDelivery { on: false })],
            "reordered deliveries".into(),
        ),
        5 => {
            let pct = rng.random_range(10..=90);
            (
                vec![Action::Knob(KnobChange::PublishFailure { pct })],
                vec![Action::Knob(KnobChange::PublishFailure { pct: 0 })],
                format!("{pct}% publish failures"),
            )
        }
        6 => {
            let p = Projection::ALL[rng.random_range(0..Projection::ALL.len())];
            (
                vec![Action::Knob(KnobChange::StallProjector { projection: p, on: true })],
                vec![Action::Knob(KnobChange::StallProjector { projection: p, on: false })],
                format!("{} down", p.name()),
            )
        }
        7 => {
            let per_s = rng.random_range(10..=100);
            (
                vec![Action::Knob(KnobChange::Burst { per_s, duration_ms: dur.min(4_000) })],
                vec![],
                format!("burst {per_s}/s"),
            )
        }
        8 => {
            let Some(f) = pick(rng, &flights) else { return None };
            let gets = rng.random_range(20..=300);
            (
                vec![Action::Stampede { query: CustomerQuery::SeatsLeft { flight: f.as_str().into() }, gets }],
                vec![],
                format!("stampede of {gets} on {f}"),
            )
        }
        9 => {
            let p = Projection::ALL[rng.random_range(0..Projection::ALL.len())];
            (vec![Action::Replay(p)], vec![], format!("replay {}", p.name()))
        }
        10 => {
            let Some(c) = pick(rng, &customers) else { return None };
            (vec![Action::GdprDelete { customer: c.clone(), label: None }], vec![], format!("GDPR erasure of {c}"))
        }
        _ => {
            // A hold whose payment races its expiry timer (±300 ms).
            let (Some(c), Some(f)) = (pick(rng, &customers), pick(rng, &flights)) else { return None };
            let Some(seat) = world.flights.iter().find(|x| x.id.as_str() == f).and_then(|x| {
                let seats = x.all_seats();
                (!seats.is_empty()).then(|| seats[rng.random_range(0..seats.len())].to_string())
            }) else {
                return None;
            };
            let ttl = world.timing.hold_ttl_ms;
            let pay_after = ttl.saturating_sub(300) + rng.random_range(0..600);
            (
                vec![
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
                vec![],
                format!("{c} pays {f}/{seat} {pay_after} ms after holding it (TTL {ttl} ms)"),
            )
        }
    };
    Some(Fault { on, off, what })
}
