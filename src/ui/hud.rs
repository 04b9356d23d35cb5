//! The egui overlay: the toolbar (run/pause, step, reset, speed, scenario
//! and seed, view tabs, the six knobs with a vendor picker for the two
//! vendor knobs, the safeguards panel, guided mode, the timeline, tick,
//! fingerprint, invariant light, copy link), the caption strip of the
//! scripted run (expectations, Next / Replay step, what broke in plain
//! words), the help overlay, tooltips, the error banner, and the table views
//! (Command, Events, Queries, Vendors). Reads the sim; buttons send
//! [`UiAction`]s like the keys do; never imports the map (`view`).

use super::controls::{Controls, KEYS, KnobButton, KnobTargets, Playing, UiAction, ViewMode};
use super::link::Link;
use super::panels::{self, Detail, GREEN, PanelState, RED};
use crate::domain::hex;
use crate::scenario::bundled;
use crate::scenario::runner::{Script, StepResult};
use crate::sim::errors::SimErrors;
use crate::sim::invariants::{InvariantStatus, Invariants};
use crate::sim::runtime::{SimClock, SimControl};
use crate::sim::store::EventStore;
use crate::sim::{Knobs, Mechanisms, Safeguard, SimSetup};
use crate::viewstate::{ActionAt, Guided, Hover, MapStats, Pinned};
use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy_egui::{EguiContext, EguiContexts, EguiPrimaryContextPass, PrimaryEguiContext, egui};

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<PanelState>();
    app.init_resource::<Pinned>();
    app.init_resource::<Hover>();
    app.init_resource::<LinkBase>();
    app.add_systems(EguiPrimaryContextPass, (zoom_with_window, toolbar, caption, help, tooltip, views).chain());
}

/// The overlay grows with the window as the map does (the map is laid out
/// for 1280×720), so the toolbar keeps fitting its band above the map.
fn zoom_with_window(
    mut ctx: EguiContexts,
    window: Option<Single<&Window, With<bevy::window::PrimaryWindow>>>,
) -> Result {
    let Some(window) = window else { return Ok(()) };
    let ctx = ctx.ctx_mut()?;
    let z = (window.width() / 1280.0).min(window.height() / 720.0).clamp(0.85, 1.6);
    if (ctx.zoom_factor() - z).abs() > 0.01 {
        ctx.set_zoom_factor(z);
    }
    Ok(())
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
    stats: Option<Res<'w, MapStats>>,
    mechanisms: Option<Res<'w, Mechanisms>>,
    guided: Option<Res<'w, Guided>>,
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
    targets: ResMut<KnobTargets>,
    mut out: MessageWriter<UiAction>,
    mut scrub: Local<Scrub>,
    mut edit: Local<ToolbarEdit>,
) -> Result {
    let ctx = ctx.ctx_mut()?;
    let width = ctx.content_rect().width() - 16.0;
    let mut targets = targets;
    egui::Area::new(egui::Id::new("toolbar")).anchor(egui::Align2::LEFT_TOP, [8.0, 6.0]).show(ctx, |ui| {
        egui::Frame::popup(ui.style()).inner_margin(egui::Margin::symmetric(8, 4)).show(ui, |ui| {
            ui.set_max_width(width);
            ui.spacing_mut().item_spacing.y = 3.0;
            ui.horizontal_wrapped(|ui| {
                transport(ui, &sim, &controls, &mut out);
                ui.separator();
                scenario_and_seed(ui, &sim, &mut edit, &mut out);
                ui.separator();
                for v in ViewMode::ALL {
                    if ui.selectable_label(controls.view == v, v.name()).on_hover_text("v cycles views").clicked() {
                        out.write(UiAction::SetView(v));
                    }
                }
                ui.separator();
                if ui.small_button("? help").on_hover_text("h: every key").clicked() {
                    out.write(UiAction::ToggleHelp);
                }
            });
            let sim = &sim;
            ui.horizontal_wrapped(|ui| {
                knobs(ui, sim, &mut targets, &mut out);
                ui.separator();
                safeguards(ui, sim, &mut out);
                let guided = sim.guided.as_ref().is_some_and(|g| g.on);
                if ui
                    .selectable_label(guided, "guided")
                    .on_hover_text("g: pause at the end of each step (n: next step, p: play it again)")
                    .clicked()
                {
                    out.write(UiAction::ToggleGuided);
                }
            });
            ui.horizontal(|ui| {
                status(ui, sim, &controls, &mut scrub, &mut edit, &mut out);
            });
            if let Some(err) = sim.errors.as_ref().and_then(|e| e.latest.back()) {
                ui.colored_label(RED, format!("error: {err}"));
            }
        });
    });
    Ok(())
}

/// Run / pause, step, ×10, reset, speed.
fn transport(ui: &mut egui::Ui, sim: &SimRead, controls: &Controls, out: &mut MessageWriter<UiAction>) {
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
    if ui.small_button("−").on_hover_text(",: slower").clicked() {
        out.write(UiAction::Slower);
    }
    ui.label(controls.speed_label());
    if ui.small_button("+").on_hover_text(".: faster").clicked() {
        out.write(UiAction::Faster);
    }
}

/// The six knobs; the two vendor knobs with a picker of the world's vendors.
fn knobs(ui: &mut egui::Ui, sim: &SimRead, targets: &mut KnobTargets, out: &mut MessageWriter<UiAction>) {
    let Some(setup) = sim.setup.as_ref() else { return };
    let world = &setup.world;
    for (i, b) in KnobButton::ALL.into_iter().enumerate() {
        let target = targets.target(b, world);
        let on = sim.knobs.as_ref().is_some_and(|k| b.is_on(k, target.as_ref()));
        // The vendor knobs name their vendor in the picker beside them.
        let label = format!("{} {}", i + 1, b.label());
        if ui.selectable_label(on, label).on_hover_text(b.help()).clicked()
            && let Some(k) = sim.knobs.as_ref()
            && let Some(r) = b.request(k, targets, world)
        {
            out.write(UiAction::Request(r));
        }
        let slot = match b {
            KnobButton::SlowVendor => &mut targets.slow,
            KnobButton::FailIssue => &mut targets.fail_issue,
            _ => continue,
        };
        let current = target.clone();
        egui::ComboBox::from_id_salt(("knob-target", i))
            .selected_text(current.as_ref().map_or("—".to_string(), |v| v.to_string()))
            .width(34.0)
            .show_ui(ui, |ui| {
                for v in &world.vendors {
                    let text = format!("{} {} ({})", v.id, v.name, v.channel);
                    if ui.selectable_label(current.as_ref() == Some(&v.id), text).clicked() {
                        *slot = Some(v.id.clone());
                    }
                }
            })
            .response
            .on_hover_text("which vendor this knob aims at");
    }
}

/// The safeguards: a button that opens the panel of six switches; red
/// while one is off.
fn safeguards(ui: &mut egui::Ui, sim: &SimRead, out: &mut MessageWriter<UiAction>) {
    let mech = sim.mechanisms.as_deref().cloned().unwrap_or_default();
    let off: Vec<&str> = mech.disabled().into_iter().map(Safeguard::name).collect();
    let title = if off.is_empty() { "safeguards: all on".to_string() } else { format!("OFF: {}", off.join(", ")) };
    let title = if off.is_empty() { egui::RichText::new(title) } else { egui::RichText::new(title).color(RED) };
    ui.menu_button(title, |ui| {
        ui.set_min_width(420.0);
        ui.label("Switch one off to see what it prevents. The run starts over, the same run as `run --disable …`.");
        ui.separator();
        for s in Safeguard::ALL {
            let mut on = mech.get(s);
            if ui.checkbox(&mut on, s.name()).changed() {
                out.write(UiAction::Safeguard(s, on));
            }
            ui.weak(super::safeguards::without(s));
        }
    })
    .response
    .on_hover_text("what each safeguard prevents: switch it off and watch the map");
}

/// The timeline, tick, fingerprint, invariant light, link.
fn status(
    ui: &mut egui::Ui,
    sim: &SimRead,
    controls: &Controls,
    scrub: &mut Scrub,
    edit: &mut ToolbarEdit,
    out: &mut MessageWriter<UiAction>,
) {
    // The timeline scrubber: drag back and release to re-simulate to that
    // tick (deterministic, from tick 0).
    let tick = sim.clock.as_ref().map_or(0, |c| c.tick);
    let high = scrub.high_water.max(tick);
    scrub.high_water = high;
    let mut value = scrub.dragging.unwrap_or(tick);
    ui.spacing_mut().slider_width = 220.0;
    let resp = ui
        .add(egui::Slider::new(&mut value, 0..=high.max(1)).show_value(false))
        .on_hover_text("timeline: drag back to re-simulate to that tick (b: back one tick)");
    if resp.dragged() || resp.changed() {
        scrub.dragging = Some(value);
    }
    if resp.drag_stopped() || (resp.changed() && !resp.dragged()) {
        out.write(UiAction::ScrubTo(value));
        scrub.dragging = None;
    }
    ui.monospace(format!("tick {tick} · {:.2} s", (tick * crate::domain::TICK_MS) as f64 / 1000.0));
    if let Some(store) = &sim.store {
        ui.monospace(&hex(&store.head_hash())[..16])
            .on_hover_text("the run's fingerprint: the hash at the head of the event store's chain");
    }
    if let Some(inv) = &sim.invariants {
        let bad = inv.violations();
        let (c, t) = if bad.is_empty() {
            (GREEN, "invariants hold".to_string())
        } else {
            (RED, format!("BROKEN: {}", bad[0].0))
        };
        let (rect, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
        ui.painter().circle_filled(rect.center(), 5.0, c);
        ui.add(egui::Label::new(egui::RichText::new(t).color(c)).truncate()).on_hover_text(
            inv.status
                .iter()
                .map(|(n, s)| format!("{} {n}", if s.ok { "✔" } else { "✘" }))
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
    if let Some(p) = &sim.stats {
        ui.weak(format!("{} particles", p.particles_alive));
    }
    let link = Link {
        scenario: sim.playing.name.clone(),
        seed: sim.setup.as_ref().map(|s| s.seed),
        speed_index: controls.speed_index,
        view: controls.view,
        tick: Some(tick),
        disable: sim
            .mechanisms
            .as_deref()
            .map(|m| m.disabled().into_iter().map(|s| s.name().to_string()).collect())
            .unwrap_or_default(),
        guided: sim.guided.as_ref().map(|g| g.on),
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

/// What the caption strip reads: the script's progress, the invariants,
/// the guided mode, whether the run waits, and where the step's actors are.
#[derive(SystemParam)]
struct CaptionRead<'w> {
    script: Option<Res<'w, Script>>,
    invariants: Option<Res<'w, Invariants>>,
    guided: Option<Res<'w, Guided>>,
    control: Option<Res<'w, SimControl>>,
    action: Option<Res<'w, ActionAt>>,
}

/// The caption strip: the step, its expectations ticking off, the guided
/// mode's buttons, the caption, and what broke (in plain words, with a
/// button that pins the culprit).
fn caption(
    mut ctx: EguiContexts,
    read: CaptionRead,
    mut pinned: ResMut<Pinned>,
    mut out: MessageWriter<UiAction>,
) -> Result {
    let ctx = ctx.ctx_mut()?;
    let Some(script) = &read.script else { return Ok(()) };
    let n = script.results.len();
    // The latest step started, or (at tick 0) the first one, coming up.
    let Some(i) = script.current_index().or((!script.results.is_empty()).then_some(0)) else { return Ok(()) };
    let step = &script.results[i];
    let screen = ctx.content_rect().width();
    let width = (screen - 32.0).min(1100.0);
    let broken =
        read.invariants.as_ref().and_then(|inv| inv.violations().first().map(|(name, s)| (*name, (*s).clone())));
    // Under the step's actors, as far as the strip can go and stay whole.
    let room = ((screen - width) / 2.0 - 8.0).max(0.0);
    let dx = read.action.as_ref().and_then(|a| a.0).map_or(0.0, |x| (x * screen - screen / 2.0).clamp(-room, room));
    egui::Area::new(egui::Id::new("caption")).anchor(egui::Align2::CENTER_BOTTOM, [dx, -6.0]).show(ctx, |ui| {
        egui::Frame::popup(ui.style()).inner_margin(egui::Margin::symmetric(10, 4)).show(ui, |ui| {
            ui.set_max_width(width);
            ui.spacing_mut().item_spacing.y = 2.0;
            ui.horizontal(|ui| {
                ui.strong(format!("step {}/{n} · {}", i + 1, step.title));
                expectation_marks(ui, step);
                if read.guided.as_ref().is_some_and(|g| g.on) {
                    let waiting = read.control.as_ref().is_some_and(|c| c.paused);
                    guided_buttons(ui, waiting, &mut out);
                }
            });
            caption_text(ui, step, broken.as_ref(), &mut pinned);
        });
    });
    Ok(())
}

/// A mark per expectation of the step: ✔ held, ✘ failed, ○ not checked yet.
fn expectation_marks(ui: &mut egui::Ui, step: &StepResult) {
    for e in &step.expectations {
        match e.ok {
            Some(true) => ui.colored_label(GREEN, "✔").on_hover_text(format!("{} — {}", e.text, e.detail)),
            Some(false) => ui.colored_label(RED, "✘").on_hover_text(format!("{} — {}", e.text, e.detail)),
            None => ui.weak("○").on_hover_text(format!("{} (checked at tick {})", e.text, e.tick)),
        };
    }
}

/// Guided mode's Next step (enabled while the run waits at a step's end)
/// and Replay step.
fn guided_buttons(ui: &mut egui::Ui, waiting: bool, out: &mut MessageWriter<UiAction>) {
    ui.separator();
    let next = egui::Button::new(if waiting { "▶ Next step" } else { "▶ playing…" });
    if ui.add_enabled(waiting, next).on_hover_text("n").clicked() {
        out.write(UiAction::NextStep);
    }
    if ui.button("↺ Replay step").on_hover_text("p: this step again, from its start").clicked() {
        out.write(UiAction::ReplayStep);
    }
}

/// The strip's second line: what broke (with "show where"), else the
/// expectation that failed, else the step's caption.
/// `pinned` stays a `ResMut`: it is marked changed only by a click.
fn caption_text(
    ui: &mut egui::Ui,
    step: &StepResult,
    broken: Option<&(&str, InvariantStatus)>,
    pinned: &mut ResMut<Pinned>,
) {
    if let Some((name, status)) = broken {
        ui.horizontal_wrapped(|ui| {
            // The invariant's name is on the toolbar; here, what it means.
            ui.colored_label(RED, "✘ broken:").on_hover_text(*name);
            ui.label(super::safeguards::explain(name));
            if let Some((detail, corr)) = culprit_pin(status)
                && ui.small_button("show where").on_hover_text(&status.detail).clicked()
            {
                pinned.toggle(detail, corr);
            }
        });
    } else if let Some(e) = step.expectations.iter().find(|e| e.ok == Some(false)) {
        ui.horizontal_wrapped(|ui| {
            ui.colored_label(RED, "✘ expected:");
            ui.label(format!("{} — but {}", e.text, e.detail));
        });
    } else {
        ui.label(&step.caption);
    }
}

/// What "show where" pins for a broken invariant.
fn culprit_pin(status: &InvariantStatus) -> Option<(Detail, Option<u64>)> {
    use crate::sim::invariants::Culprit;
    match status.culprit.as_ref()? {
        Culprit::Event { seq, correlation, .. } => Some((Detail::Event(*seq), Some(*correlation))),
        Culprit::Aggregate(id) => Some((Detail::Aggregate(id.clone()), None)),
        Culprit::Saga { id, correlation } => Some((Detail::Saga(*id), Some(*correlation))),
        // A whole consumer: its card pulses; there is no one row to pin.
        Culprit::Consumer(_) => None,
    }
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

fn tooltip(mut ctx: EguiContexts, hover: Res<Hover>) -> Result {
    let ctx = ctx.ctx_mut()?;
    if hover.is_empty() {
        return Ok(());
    }
    let Some(pos) = ctx.pointer_hover_pos() else { return Ok(()) };
    egui::Area::new(egui::Id::new("tooltip")).fixed_pos(pos + egui::vec2(16.0, 16.0)).interactable(false).show(
        ctx,
        |ui| {
            egui::Frame::popup(ui.style()).show(ui, |ui| {
                ui.set_max_width(360.0);
                ui.strong(&hover.title);
                ui.label(&hover.body);
                if !hover.state.is_empty() {
                    ui.separator();
                    ui.monospace(&hover.state);
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
    // The pinned selection is shared with the map: the panels draw with
    // it and may change it.
    let pinned = world.get_resource::<Pinned>().cloned().unwrap_or_default();
    world.resource_scope(|world, mut state: Mut<PanelState>| {
        state.pinned = pinned.clone();
        panels::show(&ctx, world, view, &mut state);
        if state.pinned != pinned {
            let now = state.pinned.clone();
            if let Some(mut p) = world.get_resource_mut::<Pinned>() {
                *p = now;
            }
        }
    });
}
