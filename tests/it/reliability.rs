//! Reliability: a planted bug is found by the chaos sweep and its
//! reproducing command fails again; a run that cannot settle is a liveness
//! failure; the default scenario's fingerprint is pinned.

use cqrs_tickets::scenario::Scenario;
use cqrs_tickets::scenario::report::{self, RunOptions};
use cqrs_tickets::sim::invariants::LIVENESS;
use std::process::Command;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_cqrs-tickets")
}

/// The fingerprint of `scenarios/default.ron` with seed 1. It changes only
/// when the model changes on purpose (a new event field, a new step, other
/// timings): then run
/// `cargo run --release -- run --scenario scenarios/default.ron --seed 1 --json`
/// and paste its `fingerprint` here, saying why in the commit. The browser
/// build must report the same value (same seed, same bits).
const GOLDEN_DEFAULT_SEED_1: &str = "77eae16ce941cd368d6734464704324c969389d90b5806ee77bd4d02d1786393";

#[test]
fn the_default_scenario_fingerprint_is_pinned() {
    let sc = Scenario::load(std::path::Path::new("scenarios/default.ron")).unwrap();
    let r = report::run(&sc, &RunOptions { seed: Some(1), ..Default::default() }).unwrap();
    assert!(r.ok);
    assert_eq!(r.fingerprint, GOLDEN_DEFAULT_SEED_1);
}

#[test]
fn a_planted_bug_is_found_by_chaos_and_its_reproduction_fails_again() {
    // The planted bug: consumers forget their idempotency log.
    let out = Command::new(bin())
        .args(["check", "--seeds", "200", "--chaos", "--disable", "idempotency", "--fail-fast"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "the sweep reports the bug");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("safety"), "{text}");
    let repro =
        text.lines().find_map(|l| l.trim().strip_prefix("reproduce: cqrs-tickets ")).expect("a reproducing command");
    let seed: u64 = repro.split("--seed ").nth(1).and_then(|s| s.split_whitespace().next()).unwrap().parse().unwrap();
    assert!(seed <= 200);
    let again = Command::new(bin()).args(repro.split_whitespace()).output().unwrap();
    assert_eq!(again.status.code(), Some(1), "`{repro}` fails again");
    // And without the planted bug the same seed is clean.
    let clean = Command::new(bin())
        .args(["run", "--scenario", "scenarios/default.ron", "--seed", &seed.to_string(), "--chaos"])
        .output()
        .unwrap();
    assert_eq!(clean.status.code(), Some(0), "{}", String::from_utf8_lossy(&clean.stdout));
}

/// `check --json` without its wall-clock field.
fn sweep_report(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(bin()).args(["check", "--json"]).args(args).output().unwrap();
    let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    v.as_object_mut().unwrap().remove("seconds");
    (out.status.code(), v.to_string())
}

#[test]
fn a_sweep_reports_the_same_on_any_number_of_threads() {
    // Failures on many seeds (the planted bug), so that their order and the
    // count of seeds run are both at stake.
    for extra in [&[][..], &["--fail-fast"][..]] {
        let args = |jobs: &'static str| {
            let mut a = vec!["--seeds", "24", "--chaos", "--disable", "idempotency", "--jobs", jobs];
            a.extend_from_slice(extra);
            a
        };
        let (code, one) = sweep_report(&args("1"));
        assert_eq!(code, Some(1), "{one}");
        let v: serde_json::Value = serde_json::from_str(&one).unwrap();
        let seeds: Vec<u64> = v["failures"].as_array().unwrap().iter().map(|f| f["seed"].as_u64().unwrap()).collect();
        if extra.is_empty() {
            assert!(seeds.len() >= 3, "the planted bug fails several seeds: {seeds:?}");
            assert_eq!(v["seeds"], 24);
        } else {
            assert_eq!(seeds.len(), 1);
            assert_eq!(v["seeds"].as_u64(), Some(seeds[0]), "stopped at the first failing seed");
        }
        for jobs in ["2", "5"] {
            assert_eq!(sweep_report(&args(jobs)), (code, one.clone()), "--jobs {jobs} {extra:?}");
        }
    }
    let out = Command::new(bin()).args(["check", "--seeds", "3", "--jobs", "0"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--jobs 0"));
}

#[test]
fn a_run_that_never_settles_is_a_liveness_failure() {
    let text = r#"Scenario(
        name: "stuck",
        max_ms: 20000,
        steps: [
            Step(title: "projector down for good", actions: [
                Knob(StallProjector(projection: Revenue, on: true)),
                Hold(customer: "ana", flight: "IB3166", seat: "1A"),
            ]),
        ],
    )"#;
    let sc = Scenario::parse(text, "stuck.ron").unwrap();
    let r = report::run(&sc, &RunOptions::default()).unwrap();
    assert!(!r.drained && !r.ok);
    let live = r.invariants.iter().find(|i| i.name == LIVENESS).unwrap();
    assert!(!live.ok);
    assert!(live.detail.contains("message(s) on the bus"), "{}", live.detail);
}
