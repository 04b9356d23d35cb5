//! Test helpers: the headless harness (re-exported from `headless`), a big
//! world for load benchmarks, and egui helpers that draw and click panels
//! without a window.
//!
//! Used by the integration tests and benches only; nothing the game or the
//! CLI runs depends on it.

pub use crate::headless::{ConsumerStats, Harness, set_ticks_per_update, sim_app};
use crate::sim::WorldConfig;

/// A world for load benchmarks: the default one plus `flights` flights of
/// 200 rows each (sold seats stay sold: 10^6 events need about 350 000
/// seats), with projectors, saga and outbox fast enough that the load, not
/// the modelled rates, is what is measured.
pub fn big_world(flights: usize) -> WorldConfig {
    use crate::sim::config::{FlightConfig, ProjectorRates};
    let mut w = WorldConfig::default();
    for i in 0..flights {
        let vendor = ["V1", "V2", "V3"][i % 3];
        w.flights.push(FlightConfig {
            id: format!("BX{i:04}").as_str().into(),
            vendor: vendor.into(),
            route: "BIG-LOAD".into(),
            price_cents: 10_000,
            seats: vec![],
            rows: 200,
        });
    }
    w.projectors = ProjectorRates {
        available_flights: 200_000,
        customer_bookings: 200_000,
        booking_detail: 200_000,
        vendor_ledger: 200_000,
        revenue: 200_000,
    };
    w.timing.saga_rate_per_s = 200_000;
    w.timing.outbox_batch = 20_000;
    w
}

/// Draws `ui` in a bare egui context (no window, no GPU) the way a
/// 1600×1000 screen would, for a few passes (windows size themselves on the
/// first), and returns every piece of text the last pass painted.
pub fn egui_texts(ctx: &bevy_egui::egui::Context, mut ui: impl FnMut(&bevy_egui::egui::Context)) -> Vec<String> {
    use bevy_egui::egui;
    let input = || egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1600.0, 1000.0))),
        ..Default::default()
    };
    let mut texts = vec![];
    for _ in 0..3 {
        ctx.begin_pass(input());
        ui(ctx);
        let mut out = ctx.end_pass();
        texts.clear();
        out.shapes.iter().for_each(|c| collect_texts(&c.shape, &mut texts));
        out.textures_delta.clear(); // no GPU to upload the font atlas to
    }
    texts
}

/// What a click in a bare egui context did: the texts of the pass after
/// it, and what it put on the clipboard.
pub struct EguiClick {
    pub texts: Vec<String>,
    pub copied: Option<String>,
}

/// Draws `ui` as [`egui_texts`] does, then clicks (moves, presses and
/// releases the primary button) at the centre of the first painted text
/// for which `hit` is true; `None` when no painted text matches.
pub fn egui_click(
    ctx: &bevy_egui::egui::Context,
    mut ui: impl FnMut(&bevy_egui::egui::Context),
    hit: impl Fn(&str) -> bool,
) -> Option<EguiClick> {
    use bevy_egui::egui;
    fn find(shape: &egui::Shape, hit: &dyn Fn(&str) -> bool) -> Option<egui::Pos2> {
        match shape {
            egui::Shape::Text(t) if hit(t.galley.text()) => Some(t.visual_bounding_rect().center()),
            egui::Shape::Vec(v) => v.iter().find_map(|s| find(s, hit)),
            _ => None,
        }
    }
    let screen = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1600.0, 1000.0));
    let mut at = None;
    for _ in 0..3 {
        ctx.begin_pass(egui::RawInput { screen_rect: Some(screen), ..Default::default() });
        ui(ctx);
        let mut out = ctx.end_pass();
        at = out.shapes.iter().find_map(|c| find(&c.shape, &hit));
        out.textures_delta.clear();
    }
    let pos = at?;
    let button = |pressed| egui::Event::PointerButton {
        pos,
        button: egui::PointerButton::Primary,
        pressed,
        modifiers: egui::Modifiers::NONE,
    };
    let mut copied = None;
    let mut texts = vec![];
    for events in [vec![egui::Event::PointerMoved(pos)], vec![button(true)], vec![button(false)], vec![]] {
        ctx.begin_pass(egui::RawInput { screen_rect: Some(screen), events, ..Default::default() });
        ui(ctx);
        let mut out = ctx.end_pass();
        for c in &out.platform_output.commands {
            if let egui::OutputCommand::CopyText(t) = c {
                copied = Some(t.clone());
            }
        }
        texts.clear();
        out.shapes.iter().for_each(|c| collect_texts(&c.shape, &mut texts));
        out.textures_delta.clear();
    }
    Some(EguiClick { texts, copied })
}

fn collect_texts(shape: &bevy_egui::egui::Shape, out: &mut Vec<String>) {
    match shape {
        bevy_egui::egui::Shape::Text(t) => out.push(t.galley.text().to_string()),
        bevy_egui::egui::Shape::Vec(v) => v.iter().for_each(|s| collect_texts(s, out)),
        _ => {}
    }
}
