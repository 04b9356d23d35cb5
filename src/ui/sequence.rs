//! The Sequence view: one causal chain as a sequence diagram, with a lane
//! per component and an arrow per message in tick order (failures red,
//! duplicates grey, buffered orange). Clicking an arrow pins its event,
//! command or saga; "copy as Mermaid" copies the text that
//! `export --format mermaid --correlation …` prints for the same run.
//!
//! Draws from the recorded [`Trace`] and a read-only `&World`; a click only
//! changes [`PanelState`] (view state), never the sim.

use super::panels::{AMBER, CHAIN, PanelState, RED};
use crate::domain::Tick;
use crate::scenario::runner::Script;
use crate::sim::config::VendorConfig;
use crate::sim::{SimClock, SimSetup};
use crate::viewstate::{Detail, Pinned};
use crate::workbench::sequence::{self, Arrow, ArrowTarget, Mark, Participant, Trace};
use bevy::prelude::*;
use bevy_egui::egui;

/// Width of one lane: a booking's chain ([`BOOKING_LANES`]) fits 1280 pixels.
pub const LANE_W: f32 = 90.0;
/// Room for a self-loop's text right of the last lane.
const LOOP_TEXT_W: f32 = 150.0;
/// Lanes of a booking's chain: customer, Command API, store, outbox,
/// RabbitMQ, five projectors, the orchestrator, a vendor, the timers.
pub const BOOKING_LANES: usize = 13;
/// Room kept under the Sequence window for the caption strip.
const BELOW_PX: f32 = 96.0;
/// Room the pinned item's detail takes under the diagram.
const DETAIL_PX: f32 = 190.0;
/// Height of one message's row.
const ROW_H: f32 = 24.0;
/// Height of the lane titles.
const HEAD_H: f32 = 40.0;
const TEXT: egui::Color32 = egui::Color32::from_rgb(225, 228, 235);
const GREY: egui::Color32 = egui::Color32::from_rgb(135, 140, 150);
const LANE: egui::Color32 = egui::Color32::from_rgb(70, 76, 88);

/// Correlations the app keeps the messages of (the newest ones).
pub const KEEP_CHAINS: usize = 512;

/// How long the view keeps following one chain before it moves to a newer
/// one (simulated time): during a burst a new request arrives every tick,
/// and a view that jumped each time could not be read.
pub const FOLLOW_TICKS: Tick = 100;

/// The chain the view follows when nothing is pinned, and since when.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Following {
    pub correlation: u64,
    pub since_tick: Tick,
}

/// The chain the view shows (and whether it is pinned): the pinned one;
/// else the one it follows, for [`FOLLOW_TICKS`]; else the newest chain a
/// customer started with a command (a booking, a payment, an erasure).
pub fn shown_correlation(
    trace: &Trace,
    pinned: &Pinned,
    following: &mut Option<Following>,
    now: Tick,
) -> Option<(u64, bool)> {
    if let Some(c) = pinned.correlation {
        return Some((c, true));
    }
    if let Some(f) = *following
        && now >= f.since_tick
        && now < f.since_tick + FOLLOW_TICKS
        && trace.chain(f.correlation).next().is_some()
    {
        return Some((f.correlation, false));
    }
    let newest = trace.correlations().rev().find(|c| {
        trace.chain(*c).next().is_some_and(|a| a.from == Participant::Customer && a.to == Participant::CommandApi)
    })?;
    *following = Some(Following { correlation: newest, since_tick: now });
    Some((newest, false))
}

/// The Mermaid text the copy button gives for `correlation` (the same as
/// `export --format mermaid --correlation` for this run).
pub fn mermaid_text(world: &World, correlation: u64) -> Option<String> {
    let trace = world.get_resource::<Trace>()?;
    let name = world.get_resource::<Script>().map_or("scenario".into(), |s| s.scenario.name.clone());
    let seed = world.get_resource::<SimSetup>().map_or(0, |s| s.seed);
    let title = sequence::title(&name, seed, Some(correlation));
    Some(sequence::mermaid(&title, trace.chain(correlation), sequence::MERMAID_LIMIT))
}

/// The window's width for `lanes` lanes on a screen `screen_w` wide.
pub fn width(lanes: usize, screen_w: f32) -> f32 {
    (lanes.max(4) as f32 * LANE_W + 24.0).min(screen_w - 16.0).max(320.0)
}

pub fn sequence_view(ui: &mut egui::Ui, world: &World, state: &mut PanelState) {
    let Some(trace) = world.get_resource::<Trace>() else {
        ui.label("No messages are recorded in this mode.");
        return;
    };
    let now = world.get_resource::<SimClock>().map_or(0, |c| c.tick);
    let Some((corr, pinned)) = shown_correlation(trace, &state.pinned, &mut state.following, now) else {
        ui.label("No customer request yet: the chain of the first one shows here.");
        return;
    };
    let arrows: Vec<&Arrow> = trace.chain(corr).collect();
    ui.horizontal(|ui| {
        let span = match (arrows.first(), arrows.last()) {
            (Some(a), Some(b)) => format!(" · t{}–t{}", a.tick, b.tick),
            _ => String::new(),
        };
        let messages = if arrows.len() == 1 { "message" } else { "messages" };
        ui.strong(format!("correlation {corr} · {} {messages}{span}", arrows.len()));
        if ui.button("copy as Mermaid").clicked()
            && let Some(text) = mermaid_text(world, corr)
        {
            state.copied_lines = Some(text.lines().count());
            ui.ctx().copy_text(text);
        }
        if let Some(n) = state.copied_lines {
            ui.weak(format!("copied {n} lines"));
        }
        if pinned && ui.button("unpin").on_hover_text("follow recent customer requests again").clicked() {
            state.pinned = Pinned::default();
        }
    });
    ui.label(if pinned {
        "The pinned chain. Click an arrow to pin its event, command or saga."
    } else {
        "A recent customer request's chain (a newer one every 5 s). Pin a row in another view to keep one."
    });
    legend(ui);
    if arrows.is_empty() {
        ui.label(format!(
            "No message of correlation {corr} is recorded: the app keeps the newest {KEEP_CHAINS} chains, and a scrub \
             with this view closed does not record."
        ));
        return;
    }
    let mut lanes: Vec<&Participant> = arrows.iter().flat_map(|a| [&a.from, &a.to]).collect();
    lanes.sort();
    lanes.dedup();
    // With something pinned, its detail takes the bottom of the window.
    let detail = state.pinned.detail.clone();
    // The window stops above the caption strip: a long chain scrolls
    // inside it instead of growing it off the screen.
    let room = ui.ctx().content_rect().bottom() - ui.cursor().top() - BELOW_PX;
    let diagram_h = (if detail.is_some() { room - DETAIL_PX } else { room }).max(120.0);
    // A pinned chain reads from its start; a followed one keeps its newest
    // messages in sight. Each chain scrolls on its own.
    egui::ScrollArea::both().id_salt(("sequence", corr, pinned)).stick_to_bottom(!pinned).max_height(diagram_h).show(
        ui,
        |ui| {
            let vendors = world.get_resource::<SimSetup>().map_or(&[][..], |s| &s.world.vendors[..]);
            if let Some(target) = diagram(ui, &lanes, &arrows, vendors) {
                let detail = match target {
                    ArrowTarget::Command(id) => Detail::Command(id),
                    ArrowTarget::Event(seq) => Detail::Event(seq),
                    ArrowTarget::Saga(id) => Detail::Saga(id),
                };
                // Many arrows share a target (an event's append, publish and
                // deliveries): a click always pins, "unpin" lets go.
                state.pinned = Pinned { detail: Some(detail), correlation: Some(corr) };
            }
        },
    );
    if let Some(detail) = detail.filter(|_| state.pinned.detail.is_some()) {
        ui.separator();
        egui::ScrollArea::vertical()
            .id_salt("sequence-detail")
            .show(ui, |ui| super::panels::detail_body(ui, world, state, &detail));
    }
}

fn legend(ui: &mut egui::Ui) {
    ui.horizontal(|ui| {
        for (text, color) in
            [("→ message", TEXT), ("⇢ reply", TEXT), ("✘ failed", RED), ("duplicate", GREY), ("buffered", AMBER)]
        {
            ui.colored_label(color, text);
        }
    });
}

/// A lane's title in two short lines (so 13 lanes fit 1280 pixels); a
/// vendor is named by its airline.
fn lane_title(p: &Participant, vendors: &[VendorConfig]) -> String {
    match p {
        Participant::CommandApi => "Command\nAPI".into(),
        Participant::Store => "Event\nstore".into(),
        Participant::Saga => "Saga\norchestrator".into(),
        Participant::QueryApi => "Query\nAPI".into(),
        Participant::Projector(proj) => {
            let name = proj.name();
            // Split CamelCase at its second capital: "Customer\nBookings".
            match name.char_indices().skip(1).find(|(_, c)| c.is_ascii_uppercase()) {
                Some((i, _)) => format!("{}\n{}", &name[..i], &name[i..]),
                None => name.into(),
            }
        }
        Participant::Vendor(id) => match vendors.iter().find(|v| v.id == *id) {
            Some(v) => format!("{id}\n{}", v.name),
            None => format!("Vendor\n{id}"),
        },
        other => other.title(),
    }
}

fn color(mark: Mark) -> egui::Color32 {
    match mark {
        Mark::Normal | Mark::Reply => TEXT,
        Mark::Failed => RED,
        Mark::Duplicate => GREY,
        Mark::Buffered => AMBER,
    }
}

/// Paints lanes and arrows; the target of a clicked arrow.
fn diagram(
    ui: &mut egui::Ui,
    lanes: &[&Participant],
    arrows: &[&Arrow],
    vendors: &[VendorConfig],
) -> Option<ArrowTarget> {
    // Room right of the last lane for the text of its own loops.
    let size = egui::vec2(lanes.len() as f32 * LANE_W + LOOP_TEXT_W, HEAD_H + arrows.len() as f32 * ROW_H + 8.0);
    let (rect, response) = ui.allocate_exact_size(size, egui::Sense::click());
    let painter = ui.painter_at(rect);
    let lane_x = |p: &Participant| {
        let i = lanes.iter().position(|l| *l == p).unwrap_or(0);
        rect.left() + LANE_W * (i as f32 + 0.5)
    };
    let font = egui::FontId::proportional(12.5);
    for p in lanes {
        let x = lane_x(p);
        painter.line_segment([egui::pos2(x, rect.top() + HEAD_H - 4.0), egui::pos2(x, rect.bottom())], (1.0, LANE));
    }
    let clip = ui.clip_rect();
    // The lane titles stay at the top of what is in sight.
    let head_top = clip.top().max(rect.top());
    let under_head = |y: f32| y < head_top + HEAD_H;
    let hovered_row =
        response.hover_pos().filter(|p| !under_head(p.y)).map(|p| ((p.y - rect.top() - HEAD_H) / ROW_H).floor());
    // Only the rows in sight are painted (a chain can be long).
    let first = (((clip.top() - rect.top() - HEAD_H) / ROW_H).floor().max(0.0)) as usize;
    let last = ((((clip.bottom() - rect.top() - HEAD_H) / ROW_H).ceil().max(0.0)) as usize).min(arrows.len());
    for (i, a) in arrows.iter().enumerate().take(last).skip(first) {
        let y = rect.top() + HEAD_H + ROW_H * (i as f32 + 0.75);
        if hovered_row == Some(i as f32) && a.target.is_some() {
            let band = egui::Rect::from_x_y_ranges(rect.x_range(), (y - ROW_H * 0.75)..=(y + ROW_H * 0.25));
            painter.rect_filled(band, 2.0, CHAIN.gamma_multiply(0.15));
        }
        draw_arrow(&painter, a, lane_x(&a.from), lane_x(&a.to), y, &font);
    }
    let head = egui::Rect::from_x_y_ranges(rect.x_range(), head_top..=head_top + HEAD_H);
    painter.rect_filled(head, 0.0, ui.visuals().window_fill());
    for p in lanes {
        let title = lane_title(p, vendors);
        let at = egui::pos2(lane_x(p), head_top + HEAD_H - 6.0);
        painter.text(at, egui::Align2::CENTER_BOTTOM, title, font.clone(), TEXT);
    }
    if !response.clicked() {
        return None;
    }
    let y = response.interact_pointer_pos()?.y;
    if under_head(y) {
        return None;
    }
    let row = ((y - rect.top() - HEAD_H) / ROW_H).floor();
    (row >= 0.0).then_some(row as usize).and_then(|i| arrows.get(i)).and_then(|a| a.target)
}

fn draw_arrow(painter: &egui::Painter, a: &Arrow, x0: f32, x1: f32, y: f32, font: &egui::FontId) {
    let c = color(a.mark);
    let stroke = egui::Stroke::new(if a.mark == Mark::Failed { 2.0 } else { 1.4 }, c);
    let text = format!("t{} {}{}", a.tick, a.label, if a.mark == Mark::Failed { " ✘" } else { "" });
    if (x1 - x0).abs() < 1.0 {
        // A component acting on its own: a small loop, the text beside it.
        let w = 18.0;
        let pts =
            vec![egui::pos2(x0, y - 6.0), egui::pos2(x0 + w, y - 6.0), egui::pos2(x0 + w, y), egui::pos2(x0 + 3.0, y)];
        painter.add(egui::Shape::line(pts, stroke));
        head(painter, egui::pos2(x0 + 1.0, y), -1.0, c);
        painter.text(egui::pos2(x0 + w + 4.0, y - 3.0), egui::Align2::LEFT_CENTER, text, font.clone(), c);
        return;
    }
    let (from, to) = (egui::pos2(x0, y), egui::pos2(x1, y));
    if a.mark == Mark::Reply {
        painter.extend(egui::Shape::dashed_line(&[from, to], stroke, 5.0, 3.0));
    } else {
        painter.line_segment([from, to], stroke);
    }
    let dir = (x1 - x0).signum();
    if a.mark == Mark::Failed {
        let m = egui::pos2(x1 - dir * 6.0, y);
        painter.line_segment([m + egui::vec2(-4.0, -4.0), m + egui::vec2(4.0, 4.0)], stroke);
        painter.line_segment([m + egui::vec2(-4.0, 4.0), m + egui::vec2(4.0, -4.0)], stroke);
    } else {
        head(painter, to, dir, c);
    }
    // The text sits above the arrow, starting at its tail.
    let (anchor, x) =
        if dir > 0.0 { (egui::Align2::LEFT_BOTTOM, x0 + 4.0) } else { (egui::Align2::RIGHT_BOTTOM, x0 - 4.0) };
    painter.text(egui::pos2(x, y - 2.0), anchor, text, font.clone(), c);
}

fn head(painter: &egui::Painter, tip: egui::Pos2, dir: f32, c: egui::Color32) {
    let back = egui::vec2(-dir * 7.0, 0.0);
    painter.add(egui::Shape::convex_polygon(
        vec![tip, tip + back + egui::vec2(0.0, -3.5), tip + back + egui::vec2(0.0, 3.5)],
        c,
        egui::Stroke::NONE,
    ));
}

/// Records the engine's messages for the view (the newest
/// [`KEEP_CHAINS`] chains).
pub fn plugin(app: &mut App) {
    app.insert_resource(Trace::keeping(KEEP_CHAINS));
    sequence::plugin(app);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workbench::sequence::Mark;

    fn request(trace: &mut Trace, correlation: u64, tick: Tick) {
        let a = Arrow {
            tick,
            from: Participant::Customer,
            to: Participant::CommandApi,
            label: "command".into(),
            mark: Mark::Normal,
            target: None,
        };
        trace.record(correlation, a);
    }

    #[test]
    fn given_nothing_pinned_then_the_view_follows_one_request_for_a_while_then_a_newer_one() {
        let mut trace = Trace::unbounded();
        let mut following = None;
        let none = Pinned::default();
        assert_eq!(shown_correlation(&trace, &none, &mut following, 1), None);
        request(&mut trace, 7, 1);
        assert_eq!(shown_correlation(&trace, &none, &mut following, 1), Some((7, false)));
        request(&mut trace, 8, 2);
        let later = FOLLOW_TICKS;
        assert_eq!(shown_correlation(&trace, &none, &mut following, later), Some((7, false)), "no jump every tick");
        assert_eq!(shown_correlation(&trace, &none, &mut following, 1 + FOLLOW_TICKS), Some((8, false)));
        let pinned = Pinned { detail: None, correlation: Some(7) };
        assert_eq!(shown_correlation(&trace, &pinned, &mut following, 1 + FOLLOW_TICKS), Some((7, true)));
        // A reset (time going back) picks afresh.
        assert_eq!(shown_correlation(&trace, &none, &mut following, 0), Some((8, false)));
    }
}
