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
const GOLDEN_DEFAULT_SEED_1: &str = "ecbae7e8d6c446878a57216fc26d7f3a4f284282aef0edca8b1298bb17bf9d6b";

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

/// `check` with `args`: (exit code, the JSON report without its
/// wall-clock field, the text report without its rate).
fn sweep_reports(args: &[&str]) -> (Option<i32>, String, String) {
    let json = Command::new(bin()).args(["check", "--json"]).args(args).output().unwrap();
    let mut v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("one JSON object");
    v.as_object_mut().unwrap().remove("seconds");
    let text = Command::new(bin()).arg("check").args(args).output().unwrap();
    assert_eq!(text.status.code(), json.status.code());
    let text = String::from_utf8_lossy(&text.stdout);
    let text: String = text.lines().filter(|l| !l.contains("seeds/s")).collect::<Vec<_>>().join("\n");
    (json.status.code(), v.to_string(), text)
}

#[test]
fn a_sweep_reports_the_same_on_any_number_of_threads() {
    // Without optimistic concurrency the burst double-books a seat on some
    // seeds and not on others: passing and failing seeds mixed, so the
    // order of the failures and the seed a fail-fast sweep stops at are
    // both at stake when several seeds run at once.
    let args = |jobs: &'static str, fail_fast: bool| {
        let mut a = vec!["--scenario", "scenarios/burst.ron", "--seeds", "30", "--disable", "optimistic-concurrency"];
        a.extend(["--jobs", jobs]);
        if fail_fast {
            a.push("--fail-fast");
        }
        a
    };
    let (code, one, one_text) = sweep_reports(&args("1", false));
    assert_eq!(code, Some(1), "{one}");
    let v: serde_json::Value = serde_json::from_str(&one).unwrap();
    assert_eq!(v["seeds"], 30);
    let failing: Vec<u64> = v["failures"].as_array().unwrap().iter().map(|f| f["seed"].as_u64().unwrap()).collect();
    assert!(failing.len() >= 3 && failing.len() < 30, "some seeds fail, some pass: {failing:?}");
    assert!(failing[0] > 2, "passing seeds come first, so a fail-fast sweep has some to run: {failing:?}");

    let (ff_code, ff, ff_text) = sweep_reports(&args("1", true));
    assert_eq!(ff_code, Some(1));
    let v: serde_json::Value = serde_json::from_str(&ff).unwrap();
    assert_eq!(v["failures"].as_array().unwrap().len(), 1, "{ff}");
    assert_eq!(v["failures"][0]["seed"].as_u64(), Some(failing[0]), "stopped at the first failing seed");
    assert_eq!(v["seeds"].as_u64(), Some(failing[0] - v["from"].as_u64().unwrap() + 1), "and counted the seeds to it");

    for jobs in ["2", "5"] {
        assert_eq!(sweep_reports(&args(jobs, false)), (code, one.clone(), one_text.clone()), "--jobs {jobs}");
        assert_eq!(
            sweep_reports(&args(jobs, true)),
            (ff_code, ff.clone(), ff_text.clone()),
            "--jobs {jobs} --fail-fast"
        );
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

/// Timing-edge bug 6 (docs/RELIABILITY.md): a run that does not drain never ran the drain-time
/// checks, so its report must not print them as passed.
#[test]
fn a_run_that_did_not_drain_reports_its_drain_time_checks_as_not_checked() {
    use cqrs_tickets::sim::invariants::{ALL, NO_DRAIN_PART, PER_TICK, REBUILD_EQUAL};
    let sc = Scenario::load(std::path::Path::new("scenarios/default.ron")).unwrap();
    let cut = report::run(&sc, &RunOptions { until_tick: Some(300), ..Default::default() }).unwrap();
    assert!(!cut.drained && cut.stopped_early);
    for i in &cut.invariants {
        if NO_DRAIN_PART.contains(&i.name.as_str()) {
            // Checked as things happen: complete without a drain.
            assert!(i.ok && i.checked && i.detail == "ok", "{}: {}", i.name, i.detail);
            continue;
        }
        assert!(i.ok && !i.checked, "{} reads as checked: {}", i.name, i.detail);
        let words = if PER_TICK.contains(&i.name.as_str()) {
            "drain-time part not checked (did not drain)"
        } else {
            "not checked (did not drain)"
        };
        assert!(i.detail.contains(words), "{}: {}", i.name, i.detail);
    }
    assert!(cut.human().contains(&format!("· {REBUILD_EQUAL} — not checked (did not drain)")), "{}", cut.human());
    // Run to its end, every invariant is checked in full.
    let whole = report::run(&sc, &RunOptions::default()).unwrap();
    assert!(whole.drained && whole.invariants.iter().all(|i| i.ok && i.checked));
    assert_eq!(whole.invariants.len(), ALL.len());
    assert!(whole.human().contains(&format!("✔ {REBUILD_EQUAL}\n")));
}

/// The read-your-own-writes oracle sees the break the write-through
/// safeguard prevents, and only then.
#[test]
fn without_write_through_the_own_writes_oracle_fails() {
    use cqrs_tickets::sim::invariants::OWN_WRITES;
    let sc = Scenario::load(std::path::Path::new("scenarios/own_write_at_ttl.ron")).unwrap();
    let on = report::run(&sc, &RunOptions::default()).unwrap();
    assert!(on.ok, "{}", on.human());
    let off = report::run(&sc, &RunOptions { disable: vec!["write-through".into()], ..Default::default() }).unwrap();
    let own = off.invariants.iter().find(|i| i.name == OWN_WRITES).unwrap();
    assert!(!own.ok && own.detail.contains("IB3166/1A") && own.detail.contains("not at all"), "{}", own.detail);
}

/// The swarm is strong. With each of these safeguards off it
/// finds a violation within 300 seeds, shrinks it to a file of at most ten
/// actions, and that file fails with a plain `run`.
#[test]
fn the_swarm_finds_each_missing_safeguard_and_shrinks_it_to_a_failing_file() {
    let dir = std::env::temp_dir().join(format!("cqrs-swarm-{}", std::process::id()));
    for safeguard in ["optimistic-concurrency", "idempotency", "ordering-buffer", "compensation", "write-through"] {
        let out = Command::new(bin())
            .args(["check", "--swarm", "--seeds", "300", "--fail-fast", "--json", "--disable", safeguard])
            .arg("--shrink-to")
            .arg(&dir)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{safeguard}: {}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let f = &v["failures"][0];
        let shrunk = &f["shrunk"];
        let actions = shrunk["actions"].as_u64().unwrap();
        assert!(actions <= 10, "{safeguard}: {actions} actions");
        let file = shrunk["file"].as_str().unwrap();
        let run = Command::new(bin()).args(["run", "--json", "--scenario", file]).output().unwrap();
        assert_eq!(run.status.code(), Some(1), "{safeguard}: {file} must fail with run");
        let r: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
        let invariant = shrunk["invariant"].as_str().unwrap();
        let broken = r["invariants"].as_array().unwrap().iter().any(|i| i["name"] == invariant && i["ok"] == false);
        assert!(broken, "{safeguard}: {file} breaks `{invariant}` again");
        assert_eq!(f["reproduce"].as_str().unwrap(), format!("cqrs-tickets run --scenario {file}"));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// With every safeguard on, a swarm sweep is clean (the test command runs
/// a longer one), and bad combinations are refused as bad input.
#[test]
fn a_swarm_sweep_with_every_safeguard_on_is_clean() {
    let out = Command::new(bin()).args(["check", "--swarm", "--seeds", "150", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((v["seeds"].as_u64(), v["violations"].as_u64(), v["swarm"].as_bool()), (Some(150), Some(0), Some(true)));
    for bad in [&["--chaos"][..], &["--scenario", "scenarios/race.ron"]] {
        let out = Command::new(bin()).args(["check", "--swarm", "--seeds", "1"]).args(bad).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
    }
    let out = Command::new(bin()).args(["check", "--seeds", "1", "--shrink-to", "/tmp/x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// The outbox pumper that crashes between publishing a row and marking it
/// sent publishes the row again when it restarts: idempotency absorbs the
/// copy, and without it a projector applies the event twice.
#[test]
fn a_pumper_crash_republishes_a_row_and_only_idempotency_absorbs_it() {
    let sc = Scenario::load(std::path::Path::new("scenarios/pumper_crash.ron")).unwrap();
    let r = report::run(&sc, &RunOptions { seed: Some(1), ..Default::default() }).unwrap();
    assert!(r.ok, "{:?}", r.invariants);
    let off = RunOptions { seed: Some(1), disable: vec!["idempotency".into()], ..Default::default() };
    let r = report::run(&sc, &off).unwrap();
    let once = r.invariants.iter().find(|i| i.name == cqrs_tickets::sim::invariants::EXACTLY_ONCE).unwrap();
    assert!(!once.ok, "the republished row is applied twice without idempotency: {}", once.detail);
}

/// The orchestrator crashes with two vendor holds in flight and resumes
/// from its saga table. Ana's reply, lost while it was down, is asked for
/// again under the same idempotency key (Iberia answers it without acting
/// twice); Bob's step times out at the deadline it had before the crash,
/// its timer re-armed from the table.
#[test]
fn an_orchestrator_crash_resumes_sagas_from_their_record_and_keeps_step_deadlines() {
    use crate::engine::{harness, hold, knob, pay};
    use cqrs_tickets::domain::TICK_MS;
    use cqrs_tickets::sim::KnobChange;
    use cqrs_tickets::sim::protocol::StepOutcome;
    use cqrs_tickets::sim::saga::SagaState;
    let mut h = harness(1);
    knob(&mut h, KnobChange::SlowVendor { vendor: "V1".into(), extra_ms: 800 });
    knob(&mut h, KnobChange::SlowVendor { vendor: "V2".into(), extra_ms: 5_000 });
    h.command("ana", hold("ana", "IB3166", "14C"));
    h.command("bob", hold("bob", "LH1123", "9A"));
    h.run(8);
    assert_eq!(h.sagas().len(), 2, "both sagas started and sent their holds");
    knob(&mut h, KnobChange::CrashOrchestrator { restart_ms: 1_200 });
    h.run(20);
    assert_eq!(
        h.vendor("V1").inventory["IB3166"].held.len(),
        1,
        "Iberia held Ana's seat while the orchestrator was down"
    );
    knob(&mut h, KnobChange::SlowVendor { vendor: "V1".into(), extra_ms: 0 });
    h.run(30);
    let sagas = h.sagas();
    let saga_of = |flight: &str| sagas.iter().find(|s| s.legs[0].flight.as_str() == flight).unwrap().clone();
    let (ana, bob) = (saga_of("IB3166"), saga_of("LH1123"));
    for s in [&ana, &bob] {
        assert!(s.log.iter().any(|l| l.outcome == StepOutcome::Resumed), "{:?}", s.log);
    }
    let held = ana.log.iter().find(|l| l.step.to_string().starts_with("vendor hold")).expect("Ana's hold answered");
    assert_eq!(held.outcome, StepOutcome::Ok, "{:?}", ana.log);
    assert_eq!(h.vendor("V1").calls, 1, "two requests for Ana's hold, one acted on");
    let timeout = bob.log.iter().find(|l| l.outcome == StepOutcome::Timeout).expect("Bob's step timed out");
    assert_eq!(timeout.tick, bob.started_tick + 2_500 / TICK_MS, "at the deadline set before the crash");
    h.command("pay", pay("ana", "IB3166", "14C"));
    assert!(h.run_to_drain(4_000));
    let sagas = h.sagas();
    let state = |flight: &str| sagas.iter().find(|s| s.legs[0].flight.as_str() == flight).unwrap().state;
    assert_eq!(state("IB3166"), SagaState::Completed);
    assert_eq!(state("LH1123"), SagaState::Compensated);
    assert!(h.vendor("V2").inventory["LH1123"].held.is_empty(), "no leaked vendor hold");
    assert!(h.invariants().all_ok(), "{:?}", h.invariants().violations());
}

/// A step that gave up still owes its saga a reply: when the crash loses
/// that late reply, the restarted orchestrator asks for it again under its
/// key, and the hold the vendor made after the step gave up is undone
/// (before, it leaked: swarm seed 6118).
#[test]
fn a_late_reply_lost_in_an_orchestrator_crash_is_asked_for_again_and_undone() {
    use crate::engine::{harness, hold, knob};
    use cqrs_tickets::sim::KnobChange;
    use cqrs_tickets::sim::saga::SagaState;
    let mut h = harness(1);
    knob(&mut h, KnobChange::SlowVendor { vendor: "V3".into(), extra_ms: 6_000 });
    h.command("dara", hold("dara", "DL0412", "4A"));
    h.run(62);
    let saga = h.sagas()[0].clone();
    assert_eq!(saga.state, SagaState::Compensated, "the step timed out: {:?}", saga.log);
    assert!(h.vendor("V3").inventory["DL0412"].held.is_empty(), "the vendor has not acted yet");
    // Down from before the vendor holds the seat until after its reply.
    knob(&mut h, KnobChange::CrashOrchestrator { restart_ms: 5_000 });
    h.run(40);
    assert_eq!(h.vendor("V3").inventory["DL0412"].held.len(), 1, "the vendor held the seat meanwhile");
    knob(&mut h, KnobChange::SlowVendor { vendor: "V3".into(), extra_ms: 0 });
    assert!(h.run_to_drain(4_000));
    assert!(h.vendor("V3").inventory["DL0412"].held.is_empty(), "the late hold was undone");
    assert_eq!(h.vendor("V3").calls, 2, "the hold once, then its release; the re-sent hold was answered from memory");
    assert!(h.invariants().all_ok(), "{:?}", h.invariants().violations());
}

/// Two crashes while a ticket issue is in flight: the issue goes out three
/// times under one key and three replies come back. The first is taken;
/// the other two are copies of it and change nothing. (The first version
/// of the restart ignored only one copy and took the third reply for a late
/// one: it voided the ticket the booking had issued.)
#[test]
fn after_two_crashes_every_copy_of_a_reply_is_ignored_and_the_ticket_stays_sold() {
    use crate::engine::{harness, hold, knob, pay};
    use cqrs_tickets::sim::KnobChange;
    use cqrs_tickets::sim::protocol::StepOutcome;
    use cqrs_tickets::sim::saga::SagaState;
    let mut h = harness(1);
    knob(&mut h, KnobChange::SlowVendor { vendor: "V1".into(), extra_ms: 1_200 });
    h.run(18);
    h.command("ana", hold("ana", "IB3166", "14C"));
    h.run(6);
    h.command("pay", pay("ana", "IB3166", "14C"));
    h.run(32);
    knob(&mut h, KnobChange::CrashOrchestrator { restart_ms: 100 });
    h.run(20);
    knob(&mut h, KnobChange::CrashOrchestrator { restart_ms: 50 });
    assert!(h.run_to_drain(4_000));
    let saga = h.sagas()[0].clone();
    assert_eq!(saga.state, SagaState::Completed, "{:?}", saga.log);
    let copies = saga.log.iter().filter(|l| l.outcome == StepOutcome::CopyIgnored).count();
    assert_eq!(copies, 2, "three replies under one key, two of them copies: {:?}", saga.log);
    assert!(
        h.vendor("V1").inventory["IB3166"].sold.contains_key(&cqrs_tickets::domain::SeatNo::new("14C")),
        "the ticket stays sold"
    );
    assert!(h.invariants().all_ok(), "{:?}", h.invariants().violations());
}
