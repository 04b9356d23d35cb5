//! The egui overlay: the toolbar (run/pause, step, reset, speed, the six
//! knobs, view tabs, tick, fingerprint, invariant light), the caption strip
//! of the scripted run, the help overlay, tooltips, the error banner, and
//! the table views (Command, Events, Queries, Vendors). Reads the sim;
//! buttons send [`UiAction`]s like the keys do.

use super::controls::{Controls, KEYS, KnobButton, Playing, UiAction, ViewMode};
use super::link::Link;
use super::panels::{self, GREEN, PanelState, RED};
use crate::domain::hex;
use crate::scenario::bundled;
use crate::scenario::runner::Script;
use crate::sim::errors::SimErrors;
use crate::sim::invariants::Invariants;
use crate::sim::store::EventStore;
use crate::sim::world::{SimClock, SimControl};
use crate::sim::{Knobs, SimSetup};
use crate::view::map::{Hovered, NodeStates};
use crate::view::particles::Particles;
use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy_egui::{EguiContext, EguiContexts, EguiPrimaryContextPass, PrimaryEguiContext, egui};

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<PanelState>();
    app.init_resource::<LinkBase>();
    app.add_systems(EguiPrimaryContextPass, (toolbar, caption, help, tooltip, views).chain());
}

/// What a copied link starts with: the page's address in the browser,
/// nothing natively (the query alone, to paste after the page's address).
#[derive(Resource, Clone, Debug, Default)]
pub struct LinkBase(pub String);

#[derive(SystemParam)]
struct SimRead<'w> {
    clock: Option<Res<'w, SimClock>>,
    store: Option<Res<'w, EventStore>>,
    invariants: Option<Res<'w, Invariants>>,
    knobs: Option<Res<'w, Knobs>>,
    control: Option<Res<'w, SimControl>>,
    errors: Option<Res<'w, SimErrors>>,
    particles: Option<Res<'w, Particles>>,
    setup: Option<Res<'w, SimSetup>>,
    playing: Res<'w, Playing>,
    link_base: Res<'w, LinkBase>,
}

/// The seed field's text while it is being edited, and how long ago a link
/// was copied (frames), for the toolbar's feedback.
#[derive(Debug, Default)]
struct ToolbarEdit {
    seed_text: Option<String>,
    copied_frames: u32,
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
    mut edit: Local<ToolbarEdit>,
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
                scenario_and_seed(ui, &sim, &mut edit, &mut out);
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
                ui.separator();
                let link = Link {
                    scenario: sim.playing.name.clone(),
                    seed: sim.setup.as_ref().map(|s| s.seed),
                    speed_index: controls.speed_index,
                    view: controls.view,
                    tick: Some(tick),
                };
                let url = format!("{}{}", sim.link_base.0, link.to_query());
                if ui.button("copy link").on_hover_text(format!("opens this exact state:\n{url}")).clicked() {
                    ui.ctx().copy_text(url);
                    edit.copied_frames = 1;
                }
                if edit.copied_frames > 0 {
                    edit.copied_frames += 1;
                    ui.colored_label(GREEN, "copied");
                    if edit.copied_frames > 120 {
                        edit.copied_frames = 0;
                    }
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

/// The scenario picker (the bundled files) and the seed field; both start
/// the run over from tick 0.
fn scenario_and_seed(ui: &mut egui::Ui, sim: &SimRead, edit: &mut ToolbarEdit, out: &mut MessageWriter<UiAction>) {
    egui::ComboBox::from_id_salt("scenario")
        .selected_text(format!("scenario: {}", sim.playing.name))
        .show_ui(ui, |ui| {
            for name in bundled::names() {
                if ui.selectable_label(sim.playing.name == name, name).clicked() && sim.playing.name != name {
                    out.write(UiAction::LoadScenario(name));
                }
            }
        })
        .response
        .on_hover_text("the files in scenarios/ (starts over at tick 0)");
    let seed = sim.setup.as_ref().map_or(0, |s| s.seed);
    ui.label("seed");
    let text = edit.seed_text.get_or_insert_with(|| seed.to_string());
    let resp = ui.add(egui::TextEdit::singleline(text).desired_width(56.0).font(egui::TextStyle::Monospace));
    let parsed = text.trim().parse::<u64>();
    if resp.lost_focus() {
        if let Ok(s) = parsed
            && s != seed
        {
            out.write(UiAction::SetSeed(s));
        }
        edit.seed_text = None;
    } else if !resp.has_focus() {
        edit.seed_text = None; // follow the run's seed
    } else if parsed.is_err() {
        ui.colored_label(RED, "a whole number ≥ 0");
    }
    resp.on_hover_text("type a seed and press enter: the run starts over with it");
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

/// The table views and the detail pane (see [`super::panels`]): drawn
/// from the world itself, read-only, with the primary egui context.
fn views(world: &mut World) {
    let mut q = world.query_filtered::<&mut EguiContext, With<PrimaryEguiContext>>();
    let Some(ctx) = q.iter_mut(world).next().map(|mut c| c.get_mut().clone()) else { return };
    let view = world.get_resource::<Controls>().map_or(ViewMode::System, |c| c.view);
    world.resource_scope(|world, mut state: Mut<PanelState>| panels::show(&ctx, world, view, &mut state));
}
