//! The egui overlay: the toolbar (run/pause, step, reset, speed, the six
//! knobs, view tabs, tick, fingerprint, invariant light), the caption strip
//! of the scripted run, the help overlay, tooltips, the error banner, and
//! the table views (Command, Events, Queries, Vendors). Reads the sim;
//! buttons send [`UiAction`]s like the keys do.

use super::controls::{Controls, KEYS, KnobButton, UiAction, ViewMode};
use super::tables::{command_rows, event_row, processing};
use crate::domain::hex;
use crate::scenario::runner::Script;
use crate::sim::Knobs;
use crate::sim::command_api::CommandLog;
use crate::sim::consumer::{Consumer, ConsumerQueue};
use crate::sim::errors::SimErrors;
use crate::sim::invariants::Invariants;
use crate::sim::projectors::ProjectorView;
use crate::sim::query_api::CacheEntry;
use crate::sim::saga::Saga;
use crate::sim::store::{EventStore, StoredEvent};
use crate::sim::vendors::Vendor;
use crate::sim::world::{SimClock, SimControl};
use crate::view::map::{Hovered, NodeStates};
use crate::view::particles::Particles;
use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Pinned>();
    app.add_systems(EguiPrimaryContextPass, (toolbar, caption, help, tooltip, views));
}

const RED: egui::Color32 = egui::Color32::from_rgb(235, 70, 70);
const GREEN: egui::Color32 = egui::Color32::from_rgb(90, 210, 120);

#[derive(SystemParam)]
struct SimRead<'w> {
    clock: Option<Res<'w, SimClock>>,
    store: Option<Res<'w, EventStore>>,
    invariants: Option<Res<'w, Invariants>>,
    knobs: Option<Res<'w, Knobs>>,
    control: Option<Res<'w, SimControl>>,
    errors: Option<Res<'w, SimErrors>>,
    particles: Option<Res<'w, Particles>>,
}

/// Scrubber state: the furthest tick reached and the tick being dragged to.
#[derive(Resource, Debug, Default)]
struct Scrub {
    high_water: u64,
    dragging: Option<u64>,
}

fn toolbar(
    mut ctx: EguiContexts,
    sim: SimRead,
    controls: Res<Controls>,
    mut out: MessageWriter<UiAction>,
    mut scrub: Local<Scrub>,
) -> Result {
    let ctx = ctx.ctx_mut()?;
    egui::Area::new(egui::Id::new("toolbar")).anchor(egui::Align2::LEFT_TOP, [8.0, 8.0]).show(ctx, |ui| {
        egui::Frame::popup(ui.style()).show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                let paused = sim.control.as_ref().is_some_and(|c| c.paused);
                if ui.button(if paused { "▶ run" } else { "⏸ pause" }).on_hover_text("space").clicked() {
                    out.write(UiAction::TogglePause);
                }
                if ui.button("step").on_hover_text("s: one tick (50 ms)").clicked() {
                    out.write(UiAction::Step(1));
                }
                if ui.button("×10").on_hover_text("shift+s: ten ticks").clicked() {
                    out.write(UiAction::Step(10));
                }
                if ui.button("reset").on_hover_text("r: tick 0, empty store").clicked() {
                    out.write(UiAction::Reset);
                }
                ui.separator();
                if ui.small_button("−").on_hover_text(",: slower").clicked() {
                    out.write(UiAction::Slower);
                }
                ui.label(format!("speed {}", controls.speed_label()));
                if ui.small_button("+").on_hover_text(".: faster").clicked() {
                    out.write(UiAction::Faster);
                }
                ui.separator();
                for (i, b) in KnobButton::ALL.into_iter().enumerate() {
                    let on = sim.knobs.as_ref().is_some_and(|k| b.is_on(k));
                    let label = format!("{} {}", i + 1, b.label());
                    if ui.selectable_label(on, label).on_hover_text(b.help()).clicked() {
                        out.write(UiAction::Knob(b));
                    }
                }
            });
            ui.horizontal_wrapped(|ui| {
                for v in ViewMode::ALL {
                    if ui.selectable_label(controls.view == v, v.name()).on_hover_text("v cycles views").clicked() {
                        out.write(UiAction::SetView(v));
                    }
                }
                ui.separator();
                let tick = sim.clock.as_ref().map_or(0, |c| c.tick);
                ui.monospace(format!("tick {tick} · {:.2} s", tick as f64 * 0.05));
                if let Some(store) = &sim.store {
                    ui.monospace(format!("fingerprint {}", &hex(&store.head_hash())[..16]));
                }
                if let Some(inv) = &sim.invariants {
                    let bad = inv.violations();
                    let (c, t) = if bad.is_empty() {
                        (GREEN, "invariants hold".to_string())
                    } else {
                        (RED, format!("VIOLATED: {}", bad[0].0))
                    };
                    let (rect, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
                    ui.painter().circle_filled(rect.center(), 5.0, c);
                    ui.colored_label(c, t).on_hover_text(
                        inv.status
                            .iter()
                            .map(|(n, s)| format!("{} {n}", if s.ok { "✔" } else { "✘" }))
                            .collect::<Vec<_>>()
                            .join("\n"),
                    );
                }
                if let Some(p) = &sim.particles {
                    ui.weak(format!("{} particles", p.alive));
                }
            });
            ui.horizontal(|ui| {
                // The timeline scrubber: drag back and release to re-simulate
                // to that tick (deterministic, from tick 0).
                let tick = sim.clock.as_ref().map_or(0, |c| c.tick);
                let mut high = scrub.high_water.max(tick);
                scrub.high_water = high;
                let mut value = scrub.dragging.unwrap_or(tick);
                let resp = ui.add(egui::Slider::new(&mut value, 0..=high.max(1)).text("timeline (b: back one tick)"));
                if resp.dragged() || resp.changed() {
                    scrub.dragging = Some(value);
                }
                if resp.drag_stopped() || (resp.changed() && !resp.dragged()) {
                    out.write(UiAction::ScrubTo(value));
                    scrub.dragging = None;
                }
                let _ = &mut high;
                ui.weak("h: help");
            });
            if let Some(err) = sim.errors.as_ref().and_then(|e| e.latest.back()) {
                ui.colored_label(RED, format!("error: {err}"));
            }
        });
    });
    Ok(())
}

fn caption(mut ctx: EguiContexts, script: Option<Res<Script>>) -> Result {
    let ctx = ctx.ctx_mut()?;
    let Some(script) = script else { return Ok(()) };
    let n = script.results.len();
    let Some((i, step)) = script.results.iter().enumerate().rev().find(|(_, r)| r.started) else { return Ok(()) };
    egui::Area::new(egui::Id::new("caption")).anchor(egui::Align2::CENTER_BOTTOM, [0.0, -8.0]).show(ctx, |ui| {
        egui::Frame::popup(ui.style()).show(ui, |ui| {
            ui.set_max_width(900.0);
            ui.horizontal(|ui| {
                ui.strong(format!("step {}/{n} · {}", i + 1, step.title));
                for e in &step.expectations {
                    match e.ok {
                        Some(true) => ui.colored_label(GREEN, "✔").on_hover_text(format!("{} — {}", e.text, e.detail)),
                        Some(false) => ui.colored_label(RED, "✘").on_hover_text(format!("{} — {}", e.text, e.detail)),
                        None => ui.weak("○").on_hover_text(format!("{} (checked at tick {})", e.text, e.tick)),
                    };
                }
            });
            ui.label(&step.caption);
        });
    });
    Ok(())
}

fn help(mut ctx: EguiContexts, mut controls: ResMut<Controls>) -> Result {
    let ctx = ctx.ctx_mut()?;
    let mut open = controls.help;
    egui::Window::new("Keys").open(&mut open).collapsible(false).show(ctx, |ui| {
        egui::Grid::new("keys").striped(true).show(ui, |ui| {
            for (k, what) in KEYS {
                ui.monospace(*k);
                ui.label(*what);
                ui.end_row();
            }
        });
        ui.label("Hover anything on the map for what it is and what it is doing.");
    });
    if open != controls.help {
        controls.help = open;
    }
    Ok(())
}

fn tooltip(mut ctx: EguiContexts, hovered: Res<Hovered>, states: Res<NodeStates>) -> Result {
    let ctx = ctx.ctx_mut()?;
    let (title, body, state) = match &*hovered {
        Hovered::Nothing => return Ok(()),
        Hovered::Node(n) => (n.label(), n.explain().to_string(), states.0.get(n).cloned().unwrap_or_default()),
        Hovered::Wire(w) => (format!("{} → {}", w.from.label(), w.to.label()), w.what.to_string(), String::new()),
        Hovered::Particle(p) => ("in flight".to_string(), p.clone(), String::new()),
    };
    let Some(pos) = ctx.pointer_hover_pos() else { return Ok(()) };
    egui::Area::new(egui::Id::new("tooltip")).fixed_pos(pos + egui::vec2(16.0, 16.0)).interactable(false).show(
        ctx,
        |ui| {
            egui::Frame::popup(ui.style()).show(ui, |ui| {
                ui.set_max_width(360.0);
                ui.strong(title);
                ui.label(body);
                if !state.is_empty() {
                    ui.separator();
                    ui.monospace(state);
                }
            });
        },
    );
    Ok(())
}

#[derive(SystemParam)]
struct Tables<'w, 's> {
    log: Option<Res<'w, CommandLog>>,
    store: Option<Res<'w, EventStore>>,
    events: Query<'w, 's, &'static StoredEvent>,
    consumers: Query<'w, 's, (&'static Consumer, &'static ConsumerQueue, Option<&'static ProjectorView>)>,
    entries: Query<'w, 's, &'static CacheEntry>,
    sagas: Query<'w, 's, &'static Saga>,
    vendors: Query<'w, 's, &'static Vendor>,
    clock: Option<Res<'w, SimClock>>,
}

/// The pinned event and the highlighted causal chain (correlation id).
#[derive(Resource, Debug, Default, Clone, PartialEq)]
pub struct Pinned {
    pub seq: Option<u64>,
    pub correlation: Option<u64>,
}

const CHAIN: egui::Color32 = egui::Color32::from_rgb(250, 200, 80);

/// The table views, as a panel over the map.
fn views(mut ctx: EguiContexts, controls: Res<Controls>, t: Tables, mut pinned: ResMut<Pinned>) -> Result {
    let ctx = ctx.ctx_mut()?;
    if controls.view == ViewMode::System {
        return Ok(());
    }
    let now = t.clock.as_ref().map_or(0, |c| c.tick);
    egui::Window::new(controls.view.name()).default_pos([12.0, 110.0]).default_size([760.0, 520.0]).show(ctx, |ui| {
        egui::ScrollArea::vertical().show(ui, |ui| match controls.view {
            ViewMode::Command => {
                ui.heading("Command log (latest 40) — click a command to highlight its causal chain");
                egui::Grid::new("cmdlog").striped(true).show(ui, |ui| {
                    for h in ["tick", "command", "target", "expected v", "outcome", "reason"] {
                        ui.strong(h);
                    }
                    ui.end_row();
                    if let Some(log) = &t.log {
                        for r in command_rows(log, 40) {
                            let hot = pinned.correlation == Some(r.correlation);
                            let cell = |s: String| {
                                if hot { egui::RichText::new(s).color(CHAIN) } else { egui::RichText::new(s) }
                            };
                            ui.monospace(cell(r.tick.to_string()));
                            if ui.selectable_label(hot, r.command).clicked() {
                                pinned.correlation = if hot { None } else { Some(r.correlation) };
                            }
                            ui.monospace(cell(r.target));
                            ui.label(cell(r.expected_version.map(|v| format!("v{v}")).unwrap_or_default()));
                            ui.label(cell(r.outcome.to_string()));
                            ui.label(cell(r.reason));
                            ui.end_row();
                        }
                    }
                });
                ui.heading("Sagas");
                let mut sagas: Vec<&Saga> = t.sagas.iter().collect();
                sagas.sort_by_key(|s| std::cmp::Reverse(s.id));
                for s in sagas.into_iter().take(15) {
                    ui.label(format!(
                        "#{} {} · {} · {}",
                        s.id,
                        if s.itinerary { "itinerary" } else { "booking" },
                        s.state.name(),
                        s.current()
                    ));
                }
            }
            ViewMode::Events => {
                let head = t.store.as_ref().map_or(0, |s| s.head_seq());
                ui.heading(format!("Event store: {head} events, newest first — click a seq to pin it"));
                let widths = [110.0, 30.0, 130.0, 250.0, 50.0, 90.0];
                ui.horizontal(|ui| {
                    ui.add_sized([60.0, 16.0], egui::Label::new(egui::RichText::new("seq").strong()));
                    for (h, w) in ["aggregate", "v", "type", "payload", "tick", "hash"].into_iter().zip(widths) {
                        ui.add_sized([w, 16.0], egui::Label::new(egui::RichText::new(h).strong()));
                    }
                });
                // Virtualized: only the visible rows are built, so a store of
                // 10^6 events costs what 10^2 do.
                egui::ScrollArea::vertical().id_salt("events").max_height(300.0).show_rows(
                    ui,
                    18.0,
                    head as usize,
                    |ui, range| {
                        let Some(store) = &t.store else { return };
                        for i in range {
                            let seq = head - i as u64;
                            let Some(e) = store.row(seq).and_then(|e| t.events.get(e).ok()) else { continue };
                            let r = event_row(&e.0);
                            let hot = pinned.correlation == Some(r.correlation);
                            ui.horizontal(|ui| {
                                let clicked = ui
                                    .add_sized(
                                        [60.0, 16.0],
                                        egui::Button::selectable(pinned.seq == Some(r.seq), r.seq.to_string()),
                                    )
                                    .clicked();
                                if clicked {
                                    pinned.seq = Some(r.seq);
                                    pinned.correlation = Some(r.correlation);
                                }
                                let cells = [
                                    r.aggregate,
                                    r.version.to_string(),
                                    r.kind.to_string(),
                                    r.payload,
                                    r.tick.to_string(),
                                    r.hash,
                                ];
                                for (c, w) in cells.into_iter().zip(widths) {
                                    let text = egui::RichText::new(c).monospace();
                                    let text = if hot { text.color(CHAIN) } else { text };
                                    ui.add_sized([w, 16.0], egui::Label::new(text).truncate());
                                }
                            });
                        }
                    },
                );
                if let Some(seq) = pinned.seq
                    && let Some(e) = t.store.as_ref().and_then(|s| s.row(seq)).and_then(|e| t.events.get(e).ok())
                {
                    let env = &e.0;
                    ui.separator();
                    ui.heading(format!(
                        "Pinned: seq {} · {} v{} · {}",
                        env.seq,
                        env.aggregate_id,
                        env.version,
                        env.kind().name()
                    ));
                    ui.monospace(format!(
                        "causation #{} · correlation #{} · tick {}",
                        env.causation_id, env.correlation_id, env.tick
                    ));
                    ui.monospace(format!("hash {}\nprev {}", hex(&env.hash), hex(&env.prev_hash)));
                    ui.label(format!("{:?}", env.event));
                    for p in processing(env, t.consumers.iter().map(|(c, _, _)| c)) {
                        ui.monospace(format!("{:<17} {}", p.consumer, p.status));
                    }
                    if ui.button("unpin").clicked() {
                        *pinned = Pinned::default();
                    }
                }
            }
            ViewMode::Queries => {
                ui.heading("Projectors");
                let head = t.store.as_ref().map_or(0, |s| s.head_seq());
                egui::Grid::new("proj").striped(true).show(ui, |ui| {
                    for h in [
                        "consumer",
                        "queue",
                        "lag",
                        "last seq",
                        "processed",
                        "idempotency log",
                        "dups",
                        "buffered",
                        "rows",
                    ] {
                        ui.strong(h);
                    }
                    ui.end_row();
                    let mut cs: Vec<_> = t.consumers.iter().collect();
                    cs.sort_by_key(|(c, _, _)| c.id);
                    for (c, q, pv) in cs {
                        ui.label(c.id.name());
                        ui.monospace(q.queue.len().to_string());
                        ui.monospace(c.lag(head).to_string());
                        ui.monospace(c.last_seq.to_string());
                        ui.monospace(c.processed.to_string());
                        ui.monospace(c.log.len().to_string());
                        ui.monospace(c.duplicates_skipped.to_string());
                        ui.monospace(c.buffered.to_string());
                        ui.monospace(pv.map_or("-".into(), |p| p.view.rows().to_string()));
                        ui.end_row();
                    }
                });
                ui.heading("Redis");
                egui::Grid::new("redis").striped(true).show(ui, |ui| {
                    for h in ["key", "TTL", "populating", "waiters", "hits", "misses"] {
                        ui.strong(h);
                    }
                    ui.end_row();
                    let mut es: Vec<&CacheEntry> = t.entries.iter().collect();
                    es.sort_by(|a, b| a.key.cmp(&b.key));
                    for e in es {
                        ui.monospace(&e.key);
                        ui.monospace(format!("{:.1} s", e.expires_tick.saturating_sub(now) as f64 * 0.05));
                        ui.label(if e.populating { "yes" } else { "" });
                        ui.monospace(e.waiters.to_string());
                        ui.monospace(e.hits.to_string());
                        ui.monospace(e.misses.to_string());
                        ui.end_row();
                    }
                });
            }
            ViewMode::Vendors => {
                let mut vs: Vec<&Vendor> = t.vendors.iter().collect();
                vs.sort_by(|a, b| a.id.cmp(&b.id));
                for v in vs {
                    ui.heading(format!("{} {} ({})", v.id, v.name, v.channel));
                    ui.horizontal_wrapped(|ui| {
                        for (f, inv) in &v.inventory {
                            let left = inv.available();
                            let frac = left as f32 / inv.total.max(1) as f32;
                            let c = if frac > 0.5 {
                                GREEN
                            } else if frac > 0.1 {
                                egui::Color32::from_rgb(230, 180, 60)
                            } else {
                                RED
                            };
                            ui.colored_label(c, format!("{f}: {left}/{} left", inv.total));
                        }
                    });
                }
                ui.heading("Saga timeline (latest 8)");
                let mut sagas: Vec<&Saga> = t.sagas.iter().collect();
                sagas.sort_by_key(|s| std::cmp::Reverse(s.id));
                for s in sagas.into_iter().take(8) {
                    ui.collapsing(format!("#{} {}", s.id, s.state.name()), |ui| {
                        for l in &s.log {
                            ui.monospace(format!("t{} {} — {} {}", l.tick, l.step, l.outcome, l.detail));
                        }
                    });
                }
            }
            ViewMode::System => {}
        });
    });
    Ok(())
}
