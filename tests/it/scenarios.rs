//! Scenario files and the headless runner: every shipped file passes, the
//! default script's steps fail when their safeguard is removed, runs are
//! reproducible, and bad input is refused with a location, never a panic.

use cqrs_tickets::scenario::Scenario;
use cqrs_tickets::scenario::report::{self, RunOptions};
use rand::{Rng, SeedableRng};
use std::path::Path;
use std::process::Command;

fn default() -> Scenario {
    Scenario::load(Path::new("scenarios/default.ron")).expect("default.ron parses")
}

fn run(sc: &Scenario, opts: RunOptions) -> report::Report {
    report::run(sc, &opts).expect("runs")
}

#[test]
fn the_default_script_has_16_steps_and_all_pass() {
    let r = run(&default(), RunOptions::default());
    assert_eq!(r.steps.len(), 16);
    for s in &r.steps {
        assert!(s.ok, "{}: {:?}", s.title, s.expectations);
    }
    assert!(r.invariants.iter().all(|i| i.ok), "{:?}", r.invariants);
    assert!(r.drained && r.ok);
}

#[test]
fn every_scenario_file_passes() {
    let mut n = 0;
    for entry in std::fs::read_dir("scenarios").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "ron") {
            continue;
        }
        let sc = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
        let r = run(&sc, RunOptions::default());
        assert!(r.ok, "{} failed:\n{}", path.display(), r.human());
        n += 1;
    }
    assert!(n >= 10, "one file per edge case: found {n}");
}

fn step_fails_without(safeguard: &str, step: &str) {
    let r = run(&default(), RunOptions { disable: vec![safeguard.into()], ..Default::default() });
    let s = r.steps.iter().find(|s| s.title == step).expect("step exists");
    assert!(!s.ok, "step `{step}` still passes without {safeguard}");
    assert!(!r.ok);
    let others_ok = r.steps.iter().filter(|s| s.title != step).filter(|s| s.ok).count();
    assert!(others_ok > 0);
}

#[test]
fn without_the_unique_key_the_race_step_fails() {
    step_fails_without("optimistic-concurrency", "concurrent buyer race");
}

#[test]
fn without_idempotency_logs_the_redelivery_step_fails() {
    step_fails_without("idempotency", "at-least-once redelivery");
}

#[test]
fn without_single_flight_the_stampede_step_fails() {
    step_fails_without("single-flight", "cache stampede");
}

#[test]
fn without_write_through_the_read_your_own_writes_step_fails() {
    step_fails_without("write-through", "read-your-own-writes");
}

#[test]
fn same_seed_same_fingerprint_other_seed_other_fingerprint() {
    let sc = default();
    let a = run(&sc, RunOptions { seed: Some(5), ..Default::default() });
    let b = run(&sc, RunOptions { seed: Some(5), ..Default::default() });
    let c = run(&sc, RunOptions { seed: Some(6), ..Default::default() });
    assert_eq!(a.fingerprint, b.fingerprint);
    assert_eq!(a, b);
    assert_ne!(a.fingerprint, c.fingerprint);
}

#[test]
fn until_tick_stops_there() {
    let r = run(&default(), RunOptions { until_tick: Some(600), ..Default::default() });
    assert_eq!(r.ticks, 600);
    assert!(r.stopped_early && !r.drained);
}

#[test]
fn a_sweep_of_seeds_is_clean_with_and_without_chaos() {
    let sc = default();
    for seed in 1..=12 {
        let r = run(&sc, RunOptions { seed: Some(seed), ..Default::default() });
        assert!(r.ok, "seed {seed}:\n{}", r.human());
        let r = run(&sc, RunOptions { seed: Some(seed), chaos: true, ..Default::default() });
        assert!(r.ok, "chaos seed {seed}:\n{}", r.human());
    }
}

/// Runs the real binary: (exit code, stdout, stderr).
pub fn cli(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cqrs-tickets")).args(args).output().expect("binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn bad_file(name: &str, text: &str) -> (i32, String) {
    let dir = std::env::temp_dir().join(format!("cqrs-tickets-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    let (code, _, err) = cli(&["run", "--scenario", path.to_str().unwrap()]);
    (code, err)
}

#[test]
fn run_json_exits_0_and_is_reproducible() {
    let (code, out, _) = cli(&["run", "--scenario", "scenarios/race.ron", "--json", "--seed", "3"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    for field in [
        "scenario",
        "seed",
        "ticks",
        "fingerprint",
        "events",
        "steps",
        "invariants",
        "commands",
        "projectors",
        "populator_calls",
        "vendor_calls",
    ] {
        assert!(v.get(field).is_some(), "JSON report has {field}");
    }
    let (_, again, _) = cli(&["run", "--scenario", "scenarios/race.ron", "--json", "--seed", "3"]);
    assert_eq!(out, again);
}

/// Whether `err` says where in file `name` the problem is: `name:LINE:COL:`
/// (the parser's position, LINE from 1), or the step or field of the
/// scenario (`step 3 'hold seat'`, `world.flights[0].seats[2]`). Digits
/// elsewhere (the temporary folder's name has some) do not count.
fn located(err: &str, name: &str) -> bool {
    let Some(at) = err.find(&format!("{name}:")) else { return false };
    let rest = &err[at + name.len() + 1..];
    let mut parts = rest.splitn(3, ':');
    let number = |p: Option<&str>| p.and_then(|s| s.parse::<u32>().ok());
    let position = matches!((number(parts.next()), number(parts.next())), (Some(line), Some(_)) if line >= 1);
    let field = rest.trim_start().starts_with("world.") || rest.trim_start().starts_with("step ");
    position || field || err.contains("step ")
}

#[test]
fn the_location_check_needs_a_real_position() {
    assert!(located("error: /tmp/a-123/x.ron:4:17: Expected integer", "x.ron"));
    assert!(located("error: x.ron: step 3 'hold seat': unknown flight", "x.ron"));
    assert!(located("error: /tmp/7/x.ron:world.flights[0].seats[2]: seat 1A listed twice", "x.ron"));
    assert!(!located("error: /tmp/cqrs-tickets-bad-4242/x.ron: Expected integer", "x.ron"), "digits in the folder");
    assert!(!located("error: /tmp/x.ron:0:0: cannot read the file", "x.ron"), "line 0 is no position");
}

#[test]
fn malformed_files_exit_2_with_a_location() {
    let text = std::fs::read_to_string("scenarios/default.ron").unwrap();
    let truncated = &text[..text.len() / 2];
    let cases: Vec<(&str, String, &str)> = vec![
        ("truncated.ron", truncated.to_string(), "truncated.ron:"),
        ("types.ron", text.replacen("seed: 1,", "seed: \"one\",", 1), "truncated"),
        ("negative.ron", text.replacen("at_ms: 4000", "at_ms: -4000", 1), "negative.ron:"),
        ("knob.ron", text.replacen("SlowVendor(", "SlowVendr(", 1), "SlowVendr"),
        (
            "flight.ron",
            text.replacen(
                "flight: \"IB3166\", seat: \"14C\", label: \"hold\"",
                "flight: \"XX999\", seat: \"14C\", label: \"hold\"",
                1,
            ),
            "step 3 'hold seat'",
        ),
        (
            "customer.ron",
            text.replacen("GdprDelete(customer: \"ana\"", "GdprDelete(customer: \"zed\"", 1),
            "unknown customer `zed`",
        ),
        (
            "vendor.ron",
            text.replacen(
                "SlowVendor(vendor: \"V2\", extra_ms: 5000)",
                "SlowVendor(vendor: \"V9\", extra_ms: 5000)",
                1,
            ),
            "unknown vendor `V9`",
        ),
        (
            "outcome.ron",
            text.replacen("is: \"ok\"", "is: \"won\"", 1),
            "unknown outcome `won` (ok, conflict, rejected, inflight)",
        ),
        (
            "seats.ron",
            text.replacen(
                "world: (),",
                "world: (flights: [(id: \"IB0001\", vendor: \"V1\", route: \"MAD-BCN\", price_cents: 9900, seats: [\"1A\", \"1B\", \"1A\"])]),",
                1,
            ),
            "world.flights[0].seats[2]: seat 1A of flight IB0001 listed twice",
        ),
    ];
    for (name, body, needle) in cases {
        assert_ne!(body, text, "{name}: the mutation applied");
        let (code, err) = bad_file(name, &body);
        assert_eq!(code, 2, "{name}: {err}");
        assert!(located(&err, name), "{name}: no location in {err}");
        if needle != "truncated" {
            assert!(err.contains(needle), "{name}: `{needle}` not in {err}");
        }
    }
    let (code, _, err) = cli(&["run", "--scenario", "/no/such/file.ron"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, _) = cli(&["run", "--scenario", "scenarios/default.ron", "--seed", "banana"]);
    assert_eq!(code, 2);
    let (code, _, _) = cli(&["frobnicate"]);
    assert_eq!(code, 2);
    let (code, _, err) = cli(&["run", "--scenario", "scenarios/race.ron", "--disable", "seatbelts"]);
    assert_eq!(code, 2, "{err}");
}

/// Mutations of the default script (byte flips, deletions, insertions,
/// swapped lines) must parse to an error or a valid scenario, never panic.
/// `MUTATIONS` raises the count (the documented long run uses 10000).
#[test]
fn mutated_scenario_text_never_panics() {
    let text = std::fs::read_to_string("scenarios/default.ron").unwrap();
    let n: usize = std::env::var("MUTATIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(400);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0xF022);
    let alphabet = b"(),:[]\"-0123456789abcxyzSeatHoldPayKnobWait _\n";
    let mut ran = 0;
    for i in 0..n {
        let mut bytes = text.as_bytes().to_vec();
        for _ in 0..rng.random_range(1..4) {
            let at = rng.random_range(0..bytes.len());
            match rng.random_range(0..4) {
                0 => bytes[at] = alphabet[rng.random_range(0..alphabet.len())],
                1 => {
                    bytes.remove(at);
                }
                2 => bytes.insert(at, alphabet[rng.random_range(0..alphabet.len())]),
                _ => {
                    let end = (at + rng.random_range(1..200)).min(bytes.len());
                    bytes.drain(at..end);
                }
            }
        }
        let mutated = String::from_utf8_lossy(&bytes).into_owned();
        let parsed = std::panic::catch_unwind(|| Scenario::parse(&mutated, "mutant.ron"));
        let parsed = parsed.unwrap_or_else(|_| panic!("mutation {i} panicked the parser"));
        if let Ok(sc) = parsed
            && ran < 5
        {
            ran += 1;
            let r = std::panic::catch_unwind(|| {
                report::run(&sc, &RunOptions { until_tick: Some(3_000), ..Default::default() })
            });
            assert!(r.is_ok(), "mutation {i} panicked the run");
        }
    }
}
