//! The workbench: `diff` finds where two runs part, `export` writes a log
//! an outside tool can re-verify and a Mermaid diagram with every message,
//! `merge` puts sweep shards back together, and the Sequence view shows a
//! chain, pins what is clicked and copies the export's text.

use crate::scenarios::cli;
use bevy::prelude::*;
use bevy_egui::egui;
use cqrs_tickets::scenario::Scenario;
use cqrs_tickets::scenario::report::{self, RunOptions};
use cqrs_tickets::sim::protocol::ConsumerId;
use cqrs_tickets::sim::signals::{SignalsEnabled, SimSignal};
use cqrs_tickets::testing::{Harness, egui_click, egui_texts};
use cqrs_tickets::ui::controls::ViewMode;
use cqrs_tickets::ui::panels::{self, Detail, PanelState};
use cqrs_tickets::workbench::sequence::{self, Trace};
use serde_json::Value;
use sha2::{Digest, Sha256};

const DEFAULT: &str = "scenarios/default.ron";

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[test]
fn diff_without_single_flight_parts_in_the_stampede_step_and_names_its_expectation() {
    let (code, out, err) =
        cli(&["diff", "--scenario", DEFAULT, "--seed", "1", "--vs-disable", "single-flight", "--json"]);
    assert_eq!(code, 1, "the runs differ: {err}");
    let d = json(&out);
    let first = &d["first_divergence"];
    assert_eq!(first["step"]["title"], "cache stampede", "{first}");
    assert_eq!(first["step"]["number"], 12, "{first}");
    assert!(first["left"].is_object() && first["right"].is_object(), "{first}");
    let differing: Vec<&Value> = d["expectations"].as_array().unwrap().iter().collect();
    assert!(
        differing.iter().any(|e| e["step"].as_str().is_some_and(|s| s.starts_with("12. "))
            && e["left_ok"] == true
            && e["right_ok"] == false),
        "the step-12 expectation that fails without single-flight: {differing:?}"
    );
    // The stored events part too, later: the stampede's extra populators
    // took ids, so the next booking's correlation id differs.
    assert!(d["first_event_divergence"]["seq"].as_u64().is_some(), "{d}");
    assert_eq!(d["left_fingerprint"].as_str().map(str::len), Some(64));
    let (_, human, _) = cli(&["diff", "--scenario", DEFAULT, "--seed", "1", "--vs-disable", "single-flight"]);
    assert!(human.contains("first divergence: a message at tick "), "{human}");
    assert!(human.contains("(step 12. cache stampede)"), "{human}");
}

#[test]
fn diff_of_a_run_against_itself_exits_0_with_no_divergence() {
    let (code, out, err) = cli(&["diff", "--scenario", "scenarios/race.ron", "--seed", "4", "--json"]);
    assert_eq!(code, 0, "{err}");
    let d = json(&out);
    assert_eq!(d["first_divergence"], Value::Null);
    assert_eq!(d["identical"], true);
    assert_eq!(d["left_fingerprint"], d["right_fingerprint"]);
    assert_eq!(d["expectations"].as_array().map(Vec::len), Some(0));
}

#[test]
fn diff_of_two_seeds_names_the_first_event_that_differs() {
    // The race scenario's stored events do not depend on the seed, only its
    // messages' timings do: the diff says so.
    let (code, out, _) = cli(&["diff", "--scenario", "scenarios/race.ron", "--seed", "1", "--vs-seed", "2", "--json"]);
    assert_eq!(code, 1);
    let d = json(&out);
    assert_eq!(d["first_divergence"]["log"], "message", "{d}");
    assert_eq!(d["first_event_divergence"], Value::Null, "{d}");
    let (code, out, err) = cli(&["diff", "--scenario", DEFAULT, "--seed", "1", "--vs-seed", "2", "--json"]);
    assert_eq!(code, 1, "{err}");
    let d = json(&out);
    let e = &d["first_event_divergence"];
    let seq = e["seq"].as_u64().expect("a seq");
    // Every event before it is the same on both sides: the same hash.
    let log = |seed: &str| -> Vec<Value> {
        let (_, out, _) = cli(&["export", "--scenario", DEFAULT, "--seed", seed, "--format", "jsonl"]);
        out.lines().map(json).collect()
    };
    let (a, b) = (log("1"), log("2"));
    let i = (seq - 1) as usize;
    assert_eq!(
        a[..i].iter().map(|l| &l["hash"]).collect::<Vec<_>>(),
        b[..i].iter().map(|l| &l["hash"]).collect::<Vec<_>>()
    );
    assert_ne!(a.get(i).map(|l| &l["hash"]), b.get(i).map(|l| &l["hash"]));
    assert_eq!(e["left"], a.get(i).cloned().unwrap_or(Value::Null));
    assert!(!e["fields"].as_array().unwrap().is_empty(), "names the fields that differ: {e}");
    let (code, _, err) = cli(&["diff", "--scenario", DEFAULT, "--vs-disable", "no-such-safeguard"]);
    assert_eq!(code, 2);
    assert!(err.contains("--vs-disable no-such-safeguard"), "{err}");
}

/// The documented canonical bytes (docs/WORKBENCH.md) of one exported
/// line, written from the JSON alone, without the engine's hashing code.
fn canonical(line: &Value) -> Vec<u8> {
    let mut b = vec![];
    let u = |b: &mut Vec<u8>, v: &Value| b.extend_from_slice(&v.as_u64().expect("a number").to_le_bytes());
    let s = |b: &mut Vec<u8>, v: &Value| {
        let t = v.as_str().expect("a string");
        b.extend_from_slice(&(t.len() as u64).to_le_bytes());
        b.extend_from_slice(t.as_bytes());
    };
    let p = &line["payload"];
    u(&mut b, &line["seq"]);
    s(&mut b, &line["aggregate_id"]);
    u(&mut b, &line["version"]);
    u(&mut b, &line["tick"]);
    u(&mut b, &line["causation_id"]);
    u(&mut b, &line["correlation_id"]);
    s(&mut b, &line["type"]);
    s(&mut b, &p["customer"]);
    match line["type"].as_str().unwrap() {
        "SeatHeld" => {
            // The sealed passenger: key epoch, nonce, then the ciphertext
            // (hex in the JSON) as bytes with their length.
            u(&mut b, &p["passenger"]["epoch"]);
            u(&mut b, &p["passenger"]["nonce"]);
            let sealed = p["passenger"]["ciphertext"].as_str().expect("hex");
            let bytes: Vec<u8> =
                (0..sealed.len()).step_by(2).map(|i| u8::from_str_radix(&sealed[i..i + 2], 16).expect("hex")).collect();
            b.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
            b.extend_from_slice(&bytes);
            for k in ["vendor", "flight", "seat"] {
                s(&mut b, &p[k]);
            }
            u(&mut b, &p["price_cents"]);
            u(&mut b, &p["expires_tick"]);
        }
        "PaymentAuthorized" | "PaymentCaptured" | "RefundInitiated" | "RefundCompleted" => {
            u(&mut b, &p["amount_cents"])
        }
        "TicketIssued" => s(&mut b, &p["pnr"]),
        "TicketIssueFailed" | "SeatReleased" => s(&mut b, &p["reason"]),
        _ => {}
    }
    b
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Re-walks an exported log: each line's hash is SHA-256(previous hash ‖
/// canonical bytes) and links to the line before. The head, or the error.
fn reverify(lines: &[Value]) -> Result<String, String> {
    let mut prev = "0".repeat(64);
    for (i, l) in lines.iter().enumerate() {
        if l["seq"].as_u64() != Some(i as u64 + 1) {
            return Err(format!("line {}: seq {}", i + 1, l["seq"]));
        }
        if l["prev_hash"].as_str() != Some(prev.as_str()) {
            return Err(format!("line {}: prev_hash does not link", i + 1));
        }
        let prev_bytes: Vec<u8> = (0..32).map(|k| u8::from_str_radix(&prev[2 * k..2 * k + 2], 16).unwrap()).collect();
        let mut h = Sha256::new();
        h.update(&prev_bytes);
        h.update(canonical(l));
        let hash = hex(&h.finalize());
        if l["hash"].as_str() != Some(hash.as_str()) {
            return Err(format!("line {}: the hash does not cover its content", i + 1));
        }
        prev = hash;
    }
    Ok(prev)
}

#[test]
fn an_exported_log_reverifies_without_the_engine_and_ends_at_the_fingerprint() {
    for (scenario, seed) in [(DEFAULT, "1"), ("scenarios/gdpr.ron", "2"), ("scenarios/issue_fails.ron", "3")] {
        let (code, out, err) = cli(&["export", "--scenario", scenario, "--seed", seed, "--format", "jsonl"]);
        assert_eq!(code, 0, "{err}");
        let lines: Vec<Value> = out.lines().map(json).collect();
        assert!(lines.len() >= 4, "{scenario}: {} events", lines.len());
        let head = reverify(&lines).unwrap_or_else(|e| panic!("{scenario}: {e}"));
        let (_, run, _) = cli(&["run", "--scenario", scenario, "--seed", seed, "--json"]);
        assert_eq!(json(&run)["fingerprint"].as_str(), Some(head.as_str()), "{scenario}");
        // The checker can fail: an edited payload, a dropped line.
        let mut edited = lines.clone();
        edited[2]["tick"] = (edited[2]["tick"].as_u64().unwrap() + 1).into();
        assert!(reverify(&edited).unwrap_err().contains("line 3"), "an edit is found");
        let mut dropped = lines.clone();
        dropped.remove(1);
        assert!(reverify(&dropped).is_err(), "a gap is found");
    }
}

/// A run of the default scenario with every raw signal kept, tick-stamped.
#[derive(Resource, Default)]
struct Raw(Vec<(u64, SimSignal)>);

fn keep_raw(mut signals: MessageReader<SimSignal>, clock: Res<cqrs_tickets::sim::SimClock>, mut raw: ResMut<Raw>) {
    raw.0.extend(signals.read().map(|s| (clock.tick, s.clone())));
}

/// `export --format mermaid` of one chain of the default scenario, seed 1.
fn mermaid_of(correlation: &str, until_tick: &str) -> String {
    let (code, text, err) = cli(&[
        "export",
        "--scenario",
        DEFAULT,
        "--seed",
        "1",
        "--until-tick",
        until_tick,
        "--format",
        "mermaid",
        "--correlation",
        correlation,
    ]);
    assert_eq!(code, 0, "{err}");
    text
}

/// The default scenario, seed 1, to `until_tick`, with the engine's
/// signals on and `listen` installed before the first tick.
fn default_run_with_signals(until_tick: u64, listen: impl FnOnce(&mut Harness)) -> Harness {
    let sc = Scenario::load(std::path::Path::new(DEFAULT)).unwrap();
    let opts = RunOptions { seed: Some(1), until_tick: Some(until_tick), ..Default::default() };
    let (_, h) = report::run_keeping(&sc, &opts, |h: &mut Harness| {
        h.world_mut().insert_resource(SignalsEnabled(true));
        listen(h);
    })
    .unwrap();
    h
}

#[test]
fn the_mermaid_export_of_a_chain_has_an_arrow_for_every_message_of_it() {
    let h = default_run_with_signals(700, |h| {
        h.world_mut().init_resource::<Raw>();
        h.app.add_systems(FixedUpdate, keep_raw.after(cqrs_tickets::sim::protocol::SimSet::Invariants));
    });
    let raw = &h.world().resource::<Raw>().0;
    // The chain of the first booking: a hold, its saga, its vendor calls.
    let corr =
        raw.iter().find_map(|(_, s)| matches!(s, SimSignal::EventAppended { .. }).then(|| s.correlation())).unwrap();
    let text = mermaid_of(&corr.to_string(), "700");
    assert!(text.starts_with("sequenceDiagram\n"));
    let arrows: Vec<&str> = text.lines().filter(|l| l.contains(": t") && !l.trim_start().starts_with("%%")).collect();
    let mut expected = 0;
    for (tick, s) in raw.iter().filter(|(_, s)| s.correlation() == corr) {
        // (from lane, to lane, a piece of the text) for each message, by hand.
        let want: Vec<(String, String, String)> = match s {
            SimSignal::CommandSent { id, name, .. } => {
                vec![("".into(), "CommandAPI".into(), format!("command {id} {name}"))]
            }
            SimSignal::CommandDone { id, outcome, .. } => {
                vec![("CommandAPI".into(), "".into(), format!("command {id} {}", outcome.name()))]
            }
            SimSignal::EventAppended { seq, .. } => vec![
                ("CommandAPI".into(), "Store".into(), format!("(seq {seq})")),
                ("Store".into(), "Outbox".into(), format!("outbox row seq {seq}")),
            ],
            SimSignal::OutboxPublished { seq, .. } => {
                vec![("Outbox".into(), "RabbitMQ".into(), format!("publish seq {seq}"))]
            }
            SimSignal::MessageSent { seq, consumer, .. } => {
                let to = match consumer {
                    ConsumerId::Projector(p) => format!("P_{}", p.name()),
                    ConsumerId::Orchestrator => "Saga".into(),
                };
                vec![("RabbitMQ".into(), to, format!("seq {seq}"))]
            }
            SimSignal::ProjectionApplied { seq, projection, .. } => {
                let p = format!("P_{}", projection.name());
                vec![(p.clone(), p, format!("seq {seq}"))]
            }
            SimSignal::VendorCalled { vendor, op, .. } => vec![("".into(), format!("V_{vendor}"), op.to_string())],
            SimSignal::VendorReplied { vendor, .. } => vec![(format!("V_{vendor}"), "Saga".into(), "reply".into())],
            SimSignal::SagaStep { saga, outcome, .. } => {
                vec![("Saga".into(), "Saga".into(), format!("saga {saga} step {outcome}"))]
            }
            SimSignal::Delivered { .. } => vec![],
            other => vec![("".into(), "".into(), format!("{other:?}"))],
        };
        for (from, to, piece) in want {
            expected += 1;
            let stamp = format!(": t{tick} ");
            assert!(
                arrows.iter().any(|l| {
                    let (lanes, rest) = l.trim().split_once(':').unwrap_or(("", ""));
                    lanes.starts_with(from.as_str())
                        && lanes.ends_with(to.as_str())
                        && format!(":{rest}").starts_with(&stamp)
                        && rest.contains(&piece)
                }),
                "no arrow {from} → {to} at t{tick} with '{piece}' for {s:?}:\n{text}"
            );
        }
    }
    assert!(expected >= 15, "a booking's chain has many messages: {expected}");
    assert_eq!(arrows.len(), expected, "one arrow per message, no more:\n{text}");
}

#[test]
fn four_shards_merge_into_the_report_of_one_sweep() {
    let sweep = |from: u64, seeds: u64| -> Value {
        let (code, out, err) = cli(&[
            "check",
            "--scenario",
            "scenarios/race.ron",
            "--chaos",
            "--from",
            &from.to_string(),
            "--seeds",
            &seeds.to_string(),
            "--json",
            "--jobs",
            "1",
        ]);
        assert!(code == 0 || code == 1, "{err}");
        json(&out)
    };
    let whole = sweep(1, 40);
    let dir = std::env::temp_dir().join(format!("cqrs-tickets-merge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = vec![];
    for (i, from) in [31u64, 1, 21, 11].into_iter().enumerate() {
        let f = dir.join(format!("shard-{i}.json"));
        std::fs::write(&f, sweep(from, 10).to_string()).unwrap();
        files.push(f.display().to_string());
    }
    let mut args = vec!["merge"];
    args.extend(files.iter().map(String::as_str));
    let (code, out, err) = cli(&args);
    let merged = json(&out);
    assert_eq!(code, if whole["violations"] == 0 { 0 } else { 1 }, "{err}");
    let without_time = |v: &Value| {
        let mut v = v.clone();
        v.as_object_mut().unwrap().remove("seconds");
        v
    };
    assert_eq!(without_time(&merged), without_time(&whole));
    // A missing shard is an error, not a smaller sweep.
    let (code, _, err) = cli(&["merge", &files[0], &files[1], &files[3]]);
    assert_eq!(code, 2);
    assert!(err.contains("seeds 21..=30 are missing"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_sequence_view_shows_a_chain_pins_a_clicked_arrow_and_copies_the_export() {
    let h = default_run_with_signals(300, |h| {
        h.world_mut().insert_resource(Trace::keeping(512));
        h.app.add_plugins(sequence::plugin);
    });
    let ctx = egui::Context::default();
    let mut state = PanelState::default();
    let world = h.world();
    // Nothing pinned: a recent customer request's chain.
    let texts = egui_texts(&ctx, |ctx| panels::show(ctx, world, ViewMode::Sequence, &mut state));
    let header = texts.iter().find(|t| t.starts_with("correlation ")).expect("a header");
    let corr: u64 = header["correlation ".len()..].split(' ').next().unwrap().parse().unwrap();
    for lane in ["Customer", "Command\nAPI", "Event\nstore", "RabbitMQ"] {
        assert!(texts.iter().any(|t| t == lane), "lane {lane:?}: {texts:?}");
    }
    assert!(texts.iter().any(|t| t.contains(" saga ") && t.contains(" step ")), "{texts:?}");
    // Pinned from another view (the Events table pins a seq's chain), the
    // chain reads from its start; clicking its append arrow pins the event.
    state.pinned.correlation = Some(corr);
    let click = egui_click(
        &ctx,
        |ctx| panels::show(ctx, world, ViewMode::Sequence, &mut state),
        |t| t.contains(" append SeatHeld v1 (seq "),
    )
    .expect("the arrow is drawn");
    let seq = match state.pinned.detail {
        Some(Detail::Event(seq)) => seq,
        ref other => panic!("pinned {other:?}"),
    };
    assert_eq!(state.pinned.correlation, Some(corr));
    assert!(click.texts.iter().any(|t| t.starts_with(&format!("seq {seq} · "))), "the detail pane shows it");
    // The copy button gives the export's text for this run and chain.
    let copy =
        egui_click(&ctx, |ctx| panels::show(ctx, world, ViewMode::Sequence, &mut state), |t| t == "copy as Mermaid")
            .expect("the button is drawn");
    let copied = copy.copied.expect("the button copies");
    let exported = mermaid_of(&corr.to_string(), "300");
    assert_eq!(copied, exported);
    assert!(copy.texts.iter().any(|t| t.starts_with("copied ") && t.ends_with(" lines")), "{:?}", copy.texts);
}

#[test]
fn a_scrub_with_the_sequence_view_open_records_its_chains_and_leaves_no_signal_for_the_map() {
    use cqrs_tickets::scenario::runner::{self, Script};
    use cqrs_tickets::ui::controls::{self, Controls};
    let sc = Scenario::load(std::path::Path::new(DEFAULT)).unwrap();
    let mut app = cqrs_tickets::testing::sim_app(sc.world.clone(), 1);
    app.add_plugins(runner::plugin);
    app.insert_resource(Script::new(sc));
    app.insert_resource(ButtonInput::<KeyCode>::default());
    app.add_plugins((controls::plugin, cqrs_tickets::session::plugin, cqrs_tickets::ui::sequence::plugin));
    app.insert_resource(SignalsEnabled(true));
    let mut scrub_with = |view: ViewMode| {
        app.world_mut().resource_mut::<Controls>().view = view;
        cqrs_tickets::session::scrub_to(app.world_mut(), 300);
        let chains = app.world().resource::<Trace>().correlations().count();
        let left = app.world().resource::<Messages<SimSignal>>().len();
        (chains, left, app.world().resource::<SignalsEnabled>().0)
    };
    let (chains, left, on) = scrub_with(ViewMode::Sequence);
    assert!(chains >= 5, "the chains of the first 300 ticks are recorded: {chains}");
    assert_eq!(left, 0, "the map is not handed 300 ticks of particles at once");
    assert!(on, "signals are on again after the scrub");
    let (chains, _, on) = scrub_with(ViewMode::System);
    assert_eq!(chains, 0, "with the view closed a scrub stays fast and records nothing");
    assert!(on);
}
