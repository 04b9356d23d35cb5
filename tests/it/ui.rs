//! The egui views, driven headlessly: a bare egui context (no window, no
//! GPU) draws each view from a sim world in a known state, and the tests
//! read back the text it painted.

use crate::engine::{harness, hold, race_for_last_seat};
use bevy::prelude::*;
use bevy_egui::egui;
use cqrs_tickets::domain::EventKind;
use cqrs_tickets::scenario::Scenario;
use cqrs_tickets::scenario::runner::{self, Script};
use cqrs_tickets::sim::SimSetup;
use cqrs_tickets::sim::runtime::SimClock;
use cqrs_tickets::testing::{egui_texts, sim_app};
use cqrs_tickets::ui::controls::{self, Playing, UiAction, ViewMode};
use cqrs_tickets::ui::panels::{self, Detail, PanelState};

fn count(texts: &[String], s: &str) -> usize {
    texts.iter().filter(|t| t.as_str() == s).count()
}

#[test]
fn the_command_view_shows_the_race_as_one_ok_and_one_conflict() {
    let mut h = harness(1);
    race_for_last_seat(&mut h);
    h.run(5);
    let ctx = egui::Context::default();
    let mut state = PanelState::default();
    let texts = egui_texts(&ctx, |ctx| panels::show(ctx, h.world(), ViewMode::Command, &mut state));
    assert_eq!(count(&texts, "HoldSeat"), 2, "{texts:?}");
    assert_eq!(count(&texts, "conflict"), 1, "{texts:?}");
    assert_eq!(count(&texts, "ok"), 1, "{texts:?}");
    assert!(texts.iter().any(|t| t.contains("unique key")), "the conflict's reason is shown");
    // The aggregates table: the raced seat, held by the winner.
    assert!(texts.iter().any(|t| t == "IB0001/1A"), "{texts:?}");
    assert!(texts.iter().any(|t| t == "held"), "{texts:?}");
}

#[test]
fn the_events_view_filters_by_type_and_pins_an_event_in_the_detail_pane() {
    let mut h = harness(2);
    h.command("h1", hold("ana", "IB3166", "2C"));
    h.command("h2", hold("bob", "LH1123", "3A"));
    h.run(120);
    let ctx = egui::Context::default();
    let mut state = PanelState::default();
    let all = egui_texts(&ctx, |ctx| panels::show(ctx, h.world(), ViewMode::Events, &mut state));
    assert!(all.iter().any(|t| t == "SeatHeld"), "{all:?}");
    let kinds_shown = |texts: &[String]| -> Vec<String> {
        texts.iter().filter(|t| EventKind::from_name(t).is_some()).cloned().collect()
    };
    assert!(kinds_shown(&all).len() >= 2, "{all:?}");
    state.filter.customer = "bob".into();
    let bob = egui_texts(&ctx, |ctx| panels::show(ctx, h.world(), ViewMode::Events, &mut state));
    assert!(bob.iter().any(|t| t == "LH1123/3A"), "{bob:?}");
    assert!(!bob.iter().any(|t| t == "IB3166/2C"), "ana's seat is filtered out: {bob:?}");
    state.filter.customer.clear();
    state.pinned.detail = Some(Detail::Event(1));
    let pinned = egui_texts(&ctx, |ctx| panels::show(ctx, h.world(), ViewMode::Events, &mut state));
    assert!(pinned.iter().any(|t| t.starts_with("seq 1 · ")), "{pinned:?}");
    assert!(pinned.iter().any(|t| t.contains("correlation #")), "{pinned:?}");
    assert!(pinned.iter().any(|t| t.contains("applied")), "which consumers applied it: {pinned:?}");
}

#[test]
fn the_queries_and_vendors_views_show_consumers_redis_and_inventory() {
    let mut h = harness(3);
    h.command("h", hold("ana", "IB3166", "2C"));
    h.run(120);
    let ctx = egui::Context::default();
    let mut state = PanelState::default();
    let q = egui_texts(&ctx, |ctx| panels::show(ctx, h.world(), ViewMode::Queries, &mut state));
    for name in ["AvailableFlights", "CustomerBookings", "SagaOrchestrator", "Redis"] {
        assert!(q.iter().any(|t| t.contains(name)), "{name} missing: {q:?}");
    }
    let v = egui_texts(&ctx, |ctx| panels::show(ctx, h.world(), ViewMode::Vendors, &mut state));
    assert!(v.iter().any(|t| t.starts_with("IB3166: ") && t.ends_with(" left")), "{v:?}");
    assert!(v.iter().any(|t| t.starts_with("Saga timeline")), "{v:?}");
}

#[test]
fn the_queries_view_hashes_large_views_a_bounded_number_of_rows_per_frame() {
    use cqrs_tickets::sim::protocol::Projection;
    use cqrs_tickets::sim::{KnobChange, SimRequest};
    use cqrs_tickets::ui::panels::VIEW_HASH_ROWS_PER_FRAME;
    let mut h = cqrs_tickets::testing::Harness::new(cqrs_tickets::testing::big_world(10), 6);
    h.submit(SimRequest::Knob(KnobChange::Burst { per_s: 2_000, duration_ms: 3_000 }));
    assert!(h.run_to_drain(100_000));
    // Rows as the hash counts them: every table of every view.
    let rows: usize = Projection::ALL
        .iter()
        .map(|p| {
            let v = h.view(*p);
            let mut work = v.start_hash();
            assert!(v.continue_hash(&mut work, usize::MAX).is_some());
            work.rows_done()
        })
        .sum();
    assert!(rows > 4 * VIEW_HASH_ROWS_PER_FRAME, "views large enough to need several frames: {rows} rows");
    let want = |h: &mut cqrs_tickets::testing::Harness| -> Vec<String> {
        Projection::ALL.iter().map(|p| h.projector(*p).view_hash.unwrap()[..12].to_string()).collect()
    };
    let ctx = egui::Context::default();
    let mut state = PanelState::default();
    // Each call draws three frames; count the calls until every view's
    // hash is shown.
    let settle = |h: &mut cqrs_tickets::testing::Harness, state: &mut PanelState| {
        let hashes = want(h);
        for calls in 1..=100 {
            let texts = egui_texts(&ctx, |ctx| panels::show(ctx, h.world(), ViewMode::Queries, state));
            if hashes.iter().all(|x| texts.contains(x)) {
                return (calls, texts);
            }
        }
        panic!("the view hashes never showed");
    };
    let (calls, _) = settle(&mut h, &mut state);
    // No frame hashed more rows than its budget.
    assert!(calls * 3 * VIEW_HASH_ROWS_PER_FRAME >= rows, "{calls} calls of 3 frames for {rows} rows");
    // A change: the old hash is shown, marked, until the new one is done.
    let old = want(&mut h);
    for row in 1..=200 {
        h.command("more", hold("ana", "BX0009", &format!("{row}F")));
        assert!(h.run_to_drain(100_000));
        if h.record("more").unwrap().outcome == cqrs_tickets::sim::protocol::Outcome::Ok {
            break;
        }
    }
    let first = egui_texts(&ctx, |ctx| panels::show(ctx, h.world(), ViewMode::Queries, &mut state));
    assert!(
        old.iter().any(|x| first.contains(&format!("{x}…"))),
        "an old hash marked while the new one is worked out: {first:?}"
    );
    let (_, texts) = settle(&mut h, &mut state);
    assert_ne!(want(&mut h), old);
    assert!(!texts.iter().any(|t| t.ends_with('…')), "{texts:?}");
    // A view that stops changing gets its hash while the others change
    // every frame (a stalled projector during a burst).
    let stall = |on| SimRequest::Knob(KnobChange::StallProjector { projection: Projection::BookingDetail, on });
    h.submit(stall(true));
    h.submit(SimRequest::Knob(KnobChange::Burst { per_s: 2_000, duration_ms: 60_000 }));
    h.run(20);
    let mut frames = 0;
    let mut state = PanelState::default();
    loop {
        h.run(1);
        frames += 1;
        let want = h.projector(Projection::BookingDetail).view_hash.unwrap()[..12].to_string();
        let texts = egui_texts(&ctx, |ctx| panels::show(ctx, h.world(), ViewMode::Queries, &mut state));
        if texts.contains(&want) {
            break;
        }
        assert!(frames < 100, "the stalled view's hash never showed");
    }
    assert!(h.projector(Projection::AvailableFlights).lag > 0, "the others kept changing");
}

#[test]
fn the_command_view_lists_touched_aggregates_in_id_order_and_starts_over_on_a_new_run() {
    let ctx = egui::Context::default();
    let mut state = PanelState::default();
    let pos = |texts: &[String], s: &str| texts.iter().position(|t| t == s);
    let mut h = harness(7);
    h.command("a", hold("ana", "IB3166", "3A"));
    h.run(10);
    h.command("b", hold("bob", "IB3166", "2C"));
    h.run(10);
    let first = egui_texts(&ctx, |ctx| panels::show(ctx, h.world(), ViewMode::Command, &mut state));
    let (c, a) = (pos(&first, "IB3166/2C").expect("2C listed"), pos(&first, "IB3166/3A").expect("3A listed"));
    assert!(c < a, "in id order, not commit order: {first:?}");
    assert!(pos(&first, "IB3166/1A").is_none(), "an untouched seat is not listed");
    h.command("c", hold("chen", "IB3166", "1B"));
    h.run(10);
    let more = egui_texts(&ctx, |ctx| panels::show(ctx, h.world(), ViewMode::Command, &mut state));
    assert!(pos(&more, "IB3166/1B").unwrap() < pos(&more, "IB3166/2C").unwrap(), "a new stream takes its place");
    // A new run (a fresh store, with more streams than the old one had),
    // drawn with the same panel state.
    let mut h = harness(8);
    for (who, seat) in [("ana", "5B"), ("bob", "6B"), ("chen", "7B"), ("ana", "8B")] {
        h.command(seat, hold(who, "IB3166", seat));
    }
    h.run(10);
    let next = egui_texts(&ctx, |ctx| panels::show(ctx, h.world(), ViewMode::Command, &mut state));
    let at: Vec<Option<usize>> = ["5B", "6B", "7B", "8B"].iter().map(|s| pos(&next, &format!("IB3166/{s}"))).collect();
    assert!(at.iter().all(Option::is_some) && at.is_sorted(), "the new run's seats, in id order: {next:?}");
    assert!(pos(&next, "IB3166/2C").is_none() && pos(&next, "IB3166/3A").is_none(), "{next:?}");
}

#[test]
fn the_saga_timeline_shows_the_latest_sagas_newest_first() {
    let mut h = harness(9);
    for row in 1..=20 {
        let who = ["ana", "bob", "chen"][row % 3];
        h.command(&format!("h{row}"), hold(who, "IB3166", &format!("{row}D")));
    }
    h.run(20);
    let mut ids: Vec<u64> = h.sagas().iter().map(|s| s.id).collect();
    assert!(ids.len() > 8, "{} sagas", ids.len());
    ids.sort_unstable_by(|a, b| b.cmp(a));
    let ctx = egui::Context::default();
    let mut state = PanelState::default();
    let texts = egui_texts(&ctx, |ctx| panels::show(ctx, h.world(), ViewMode::Vendors, &mut state));
    // "#<id> <state> · <customer>", as many as the window has room for.
    let shown: Vec<u64> = texts.iter().filter_map(|t| t.strip_prefix('#')?.split(' ').next()?.parse().ok()).collect();
    assert!(!shown.is_empty() && shown.len() <= 8, "{texts:?}");
    assert_eq!(shown, ids[..shown.len()], "{texts:?}");
}

#[test]
fn the_events_filter_scans_a_bounded_number_of_events_per_frame() {
    use cqrs_tickets::ui::panels::{EventFilter, FILTER_SCAN_PER_FRAME};
    let mut h = harness(4);
    h.command("h", hold("ana", "IB3166", "2C"));
    h.run(60);
    let env = h.events()[0].clone();
    let mut f = EventFilter::default();
    f.customer = "ana".into();
    let head = FILTER_SCAN_PER_FRAME * 2 + 10;
    // A synthetic store where every row is the same event: the filter gets
    // through it in three frames, never more than its per-frame budget.
    assert!(!f.refresh(head, |_| Some(&env)));
    assert_eq!(f.matches().len() as u64, FILTER_SCAN_PER_FRAME);
    assert!(!f.refresh(head, |_| Some(&env)));
    assert!(f.refresh(head, |_| Some(&env)));
    assert_eq!(f.matches().len() as u64, head);
    f.customer = "bob".into();
    assert!(f.refresh(10, |_| Some(&env)));
    assert!(f.matches().is_empty(), "a new filter starts over");
}

fn picker_app() -> App {
    let (sc, _) = cqrs_tickets::scenario::bundled::load("happy_path").unwrap();
    let mut app = sim_app(sc.world.clone(), 5);
    app.add_plugins(runner::plugin);
    app.insert_resource(Script::new(sc));
    app.add_plugins((controls::plugin, cqrs_tickets::session::plugin));
    app.update();
    app
}

#[test]
fn the_scenario_picker_and_the_seed_field_start_the_run_over() {
    let mut app = picker_app();
    for _ in 0..20 {
        app.update();
    }
    assert!(app.world().resource::<SimClock>().tick > 0);
    app.world_mut().write_message(UiAction::LoadScenario("race"));
    app.update();
    assert_eq!(app.world().resource::<Playing>().name, "race");
    assert_eq!(
        app.world().resource::<Script>().scenario.name,
        Scenario::load("scenarios/race.ron".as_ref()).unwrap().name
    );
    assert!(app.world().resource::<SimClock>().tick <= 1, "from tick 0");
    assert_eq!(app.world().resource::<SimSetup>().seed, 5, "the seed stays");
    app.world_mut().write_message(UiAction::SetSeed(77));
    app.update();
    assert_eq!(app.world().resource::<SimSetup>().seed, 77);
    assert!(app.world().resource::<SimClock>().tick <= 1);
}

#[test]
fn every_scenario_file_is_bundled_and_loads() {
    let mut on_disk: Vec<String> = std::fs::read_dir("scenarios")
        .unwrap()
        .filter_map(|e| e.ok()?.path().file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    on_disk.sort();
    let mut bundled: Vec<String> = cqrs_tickets::scenario::bundled::names().map(String::from).collect();
    bundled.sort();
    assert_eq!(on_disk, bundled, "src/scenario/bundled.rs must list every file in scenarios/");
    for (name, text) in cqrs_tickets::scenario::bundled::BUNDLED {
        Scenario::parse(text, name).unwrap_or_else(|e| panic!("{e}"));
    }
    let err = cqrs_tickets::scenario::bundled::load("nope").unwrap_err().to_string();
    assert!(err.contains("nope") && err.contains("race"), "{err}");
}

/// Whether egui draws `c` with a real glyph: a missing one is drawn with
/// the same replacement glyph as a private-use character no font has.
fn drawable(ctx: &egui::Context, c: char) -> bool {
    let _ = egui_texts(ctx, |ctx| {
        egui::Window::new("w").show(ctx, |ui| ui.label("fonts"));
    });
    [egui::FontId::proportional(14.0), egui::FontId::monospace(14.0)].into_iter().all(|font| {
        let uv = |c: char| {
            ctx.fonts_mut(|f| {
                let g = f.layout_no_wrap(c.to_string(), font.clone(), egui::Color32::WHITE);
                g.rows.first().and_then(|r| r.row.glyphs.first()).map(|g| g.uv_rect)
            })
        };
        uv(c) != uv('\u{E000}')
    })
}

#[test]
fn every_character_the_overlay_shows_has_a_glyph() {
    // Text drawn by egui comes from the scenario files (titles, captions)
    // and from the UI's own strings; a missing glyph shows as a box.
    let mut text = String::new();
    for dir in ["scenarios", "src/ui"] {
        for e in std::fs::read_dir(dir).unwrap() {
            text += &std::fs::read_to_string(e.unwrap().path()).unwrap();
        }
    }
    let plain = egui::Context::default();
    assert!(!drawable(&plain, '→'), "egui's own fonts gained an arrow: the fallback font may be unneeded");
    let ours = egui::Context::default();
    cqrs_tickets::ui::fonts::install(&ours);
    let mut missing: Vec<char> = text.chars().filter(|c| !c.is_ascii() && !drawable(&ours, *c)).collect();
    missing.sort();
    missing.dedup();
    assert!(missing.is_empty(), "no glyph for {missing:?}");
}
