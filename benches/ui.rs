//! UI benchmark (`cargo bench --bench ui`): the CPU cost per frame of egui
//! building the Events view (layout and tessellation, no GPU) over stores
//! of 10^2, 10^4 and 10^6 events, scrolled to the top and to the middle,
//! and of a frame that scans for a new filter; and the Command, Queries and
//! Vendors views while a burst changes what they show every frame, over
//! histories of growing size (`BENCH_ONLY=views`; `events` for the rest). Figures go to
//! docs/PERFORMANCE.md; nothing here asserts on time.
//!
//! The rows are real envelopes from a simulated burst, repeated with fresh
//! seqs up to the size: the view reads each row by seq, as it does from the
//! store's index in the app.

use bevy_egui::egui;
use cqrs_tickets::domain::EventEnvelope;
use cqrs_tickets::sim::config::WorldConfig;
use cqrs_tickets::sim::store::EventStore;
use cqrs_tickets::sim::{KnobChange, SimRequest};
use cqrs_tickets::testing::{Harness, big_world};
use cqrs_tickets::ui::controls::ViewMode;
use cqrs_tickets::ui::panels::{self, EventRows, FILTER_SCAN_PER_FRAME, PanelState, events_table};
use std::time::Instant;

fn real_events() -> Vec<EventEnvelope> {
    let mut h = Harness::new(WorldConfig::default(), 1);
    h.submit(SimRequest::Knob(KnobChange::Burst { per_s: 50, duration_ms: 20_000 }));
    h.run_to_drain(100_000);
    h.events()
}

/// Mean and max µs per frame of `frames` egui frames on a 1600×1000
/// screen: `between` runs untimed before each frame, `draw` builds it
/// (layout, then tessellation, timed). Five frames go first, untimed: the
/// first frames build the font atlas, not a steady frame.
fn timed_frames(frames: u32, mut between: impl FnMut(), mut draw: impl FnMut(&egui::Context, u32)) -> (f64, f64) {
    let ctx = egui::Context::default();
    let input = || egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1600.0, 1000.0))),
        ..Default::default()
    };
    let (mut total, mut max) = (0.0, 0.0f64);
    for f in 0..frames + 5 {
        between();
        let t = Instant::now();
        ctx.begin_pass(input());
        draw(&ctx, f);
        let mut out = ctx.end_pass();
        let prims = ctx.tessellate(std::mem::take(&mut out.shapes), out.pixels_per_point);
        std::hint::black_box(prims);
        out.textures_delta.clear();
        let us = t.elapsed().as_secs_f64() * 1e6;
        if f >= 5 {
            total += us;
            max = max.max(us);
        }
    }
    (total / frames as f64, max)
}

/// The Events view over `store`: mean and max µs per frame.
fn measure(store: &[EventEnvelope], frames: u32, scroll_to_middle: bool, state: &mut PanelState) -> (f64, f64) {
    let head = store.len() as u64;
    let row = |seq: u64| store.get(seq.checked_sub(1)? as usize);
    timed_frames(
        frames,
        || {},
        |ctx, f| {
            // The same window the app shows the view in.
            egui::Window::new("Events").default_size([780.0, 540.0]).vscroll(false).show(ctx, |ui| {
                if scroll_to_middle && f == 2 {
                    // Jump to the middle of the store, as dragging the scroll bar does.
                    ui.scroll_to_rect(
                        egui::Rect::from_min_size(egui::pos2(0.0, head as f32 * 10.0), egui::vec2(1.0, 1.0)),
                        None,
                    );
                }
                events_table(ui, EventRows { head, keys: None }, row, state);
            });
        },
    )
}

/// A history of about `events` events, built by bursts, with a burst still
/// running (every view changes between frames).
fn busy_history(events: u64) -> Harness {
    // Seats to spare (a burst picks seats at random): a sold-out world
    // would stop the history from growing.
    let mut h = Harness::new(big_world(events as usize / 1_000 + 2), 1);
    while h.world().resource::<EventStore>().head_seq() < events {
        // A booking is about three events: a burst of a third of the size.
        let per_s = (events / 30).clamp(10, 2_000) as u32;
        h.submit(SimRequest::Knob(KnobChange::Burst { per_s, duration_ms: 10_000 }));
        assert!(h.run_to_drain(1_000_000), "the burst drains");
    }
    h.submit(SimRequest::Knob(KnobChange::Burst { per_s: 200, duration_ms: 60_000 }));
    h.run(40);
    h
}

/// One view as the app shows it (`panels::show`), one frame per tick of
/// the running burst. Returns (mean µs, max µs) per frame.
fn view_frames(h: &mut Harness, view: ViewMode, frames: u32) -> (f64, f64) {
    let mut state = PanelState::default();
    let h = std::cell::RefCell::new(h);
    timed_frames(frames, || h.borrow_mut().run(1), |ctx, _| panels::show(ctx, h.borrow().world(), view, &mut state))
}

fn main() {
    let quick = std::env::var("BENCH_QUICK").is_ok();
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    if only.is_empty() || only == "views" {
        let sizes: &[u64] = if quick { &[1_000, 10_000] } else { &[1_000, 10_000, 100_000] };
        for &n in sizes {
            let mut h = busy_history(n);
            for view in [ViewMode::Command, ViewMode::Queries, ViewMode::Vendors] {
                let (mean, max) = view_frames(&mut h, view, 30);
                let events = h.world().resource::<EventStore>().head_seq();
                println!(
                    "{:<8} view, {events:>8} events, a burst changing it each frame: {mean:>7.0} µs mean, {max:>7.0} µs max per frame",
                    view.name()
                );
            }
        }
        if only == "views" {
            return;
        }
    }
    let base = real_events();
    println!(
        "machine: {} cores; {} real events from a burst, repeated",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        base.len()
    );
    let sizes: &[usize] = if quick { &[100, 10_000, 100_000] } else { &[100, 10_000, 1_000_000] };
    let mut first = None;
    for &n in sizes {
        let store: Vec<EventEnvelope> = (0..n)
            .map(|i| {
                let mut e = base[i % base.len()].clone();
                e.seq = i as u64 + 1;
                e
            })
            .collect();
        for middle in [false, true] {
            let (mean, max) = measure(&store, 200, middle, &mut PanelState::default());
            let ratio = mean / *first.get_or_insert(mean);
            println!(
                "events view, {n:>8} events, scrolled to the {}: {mean:>6.0} µs mean, {max:>6.0} µs max per frame ({ratio:.2}x the 10^2 frame)",
                if middle { "middle" } else { "top   " }
            );
        }
        let mut state = PanelState::default();
        let customer = base[0].event.customer().to_string();
        state.filter.customer = customer.clone();
        let (mean, max) = measure(&store, 60, false, &mut state);
        println!(
            "events view, {n:>8} events, filter customer={customer} (scans ≤ {FILTER_SCAN_PER_FRAME} rows/frame until done): {mean:>6.0} µs mean, {max:>6.0} µs max"
        );
    }
}
