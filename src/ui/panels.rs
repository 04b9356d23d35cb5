//! The table views (Command, Events, Queries, Vendors) and the detail pane,
//! drawn with egui from a read-only `&World`. They need no window, GPU or
//! Bevy schedule: the overlay calls them each frame with the primary egui
//! context, tests and benchmarks call them with a bare `egui::Context`.
//!
//! They never change the sim: a click only changes [`PanelState`] (what is
//! pinned, the Events filter), which is view state.

use super::controls::ViewMode;
use super::plots::{self, Metrics};
use super::tables::{PassengerLine, command_rows, event_payload, event_row, passenger_line, processing};
use crate::domain::{AggregateId, EventEnvelope, EventKind, Hash, hex};
use crate::sim::command_intake::CommandLog;
use crate::sim::consumer::{Consumer, ConsumerQueue};
use crate::sim::keys::KeyStore;
use crate::sim::projectors::ProjectorView;
use crate::sim::protocol::{Outcome, StepOutcome};
use crate::sim::query_api::CacheEntry;
use crate::sim::runtime::SimClock;
use crate::sim::saga::{Saga, Sagas};
use crate::sim::store::{AggregateRow, Aggregates, EventStore, StoredEvent};
use crate::sim::vendors::Vendor;
use crate::sim::views::HashInProgress;
use bevy::ecs::change_detection::Tick;
use bevy::prelude::*;
use bevy_egui::egui;
use std::collections::BTreeMap;

pub const RED: egui::Color32 = egui::Color32::from_rgb(235, 70, 70);
pub const GREEN: egui::Color32 = egui::Color32::from_rgb(90, 210, 120);
pub const AMBER: egui::Color32 = egui::Color32::from_rgb(230, 180, 60);
/// Rows on the pinned causal chain.
pub const CHAIN: egui::Color32 = egui::Color32::from_rgb(250, 200, 80);

/// Height of one virtualized table row.
const ROW_H: f32 = 18.0;

pub use crate::viewstate::{Detail, Pinned};

/// Events the filter examines per frame at most, so a new filter over 10^6
/// events fills in over a few frames instead of stalling one. At 50 000 a
/// scanning frame took 1.7 – 3.1 ms on the 2-core bench machine (the goal
/// is 2 ms per frame); 25 000 keeps it at 1.2 – 1.5 ms, and a filter over 10^6
/// events still completes in 40 frames.
pub const FILTER_SCAN_PER_FRAME: u64 = 25_000;

/// The Events view filter and its incrementally kept list of matches.
#[derive(Debug, Default, Clone)]
pub struct EventFilter {
    /// Substring of the aggregate id (e.g. `IB3166` or `IB3166/12A`).
    pub aggregate: String,
    pub kind: Option<EventKind>,
    /// A customer id, exactly (`ana`).
    pub customer: String,
    key: (String, Option<EventKind>, String),
    /// Matching seqs, ascending.
    matches: Vec<u64>,
    scanned_to: u64,
}

impl EventFilter {
    pub fn active(&self) -> bool {
        !self.aggregate.is_empty() || self.kind.is_some() || !self.customer.is_empty()
    }

    pub fn accepts(&self, env: &EventEnvelope) -> bool {
        (self.aggregate.is_empty() || env.aggregate_id.as_str().contains(self.aggregate.as_str()))
            && self.kind.is_none_or(|k| env.kind() == k)
            && (self.customer.is_empty() || env.event.customer().as_str() == self.customer)
    }

    /// Brings the matches up to `head` (examining at most
    /// [`FILTER_SCAN_PER_FRAME`] events); starts over when the filter or
    /// the store went back. Returns whether the scan reached `head`.
    pub fn refresh<'a>(&mut self, head: u64, row: impl Fn(u64) -> Option<&'a EventEnvelope>) -> bool {
        let key = (self.aggregate.clone(), self.kind, self.customer.clone());
        if key != self.key || head < self.scanned_to {
            self.key = key;
            self.matches.clear();
            self.scanned_to = 0;
        }
        let end = head.min(self.scanned_to + FILTER_SCAN_PER_FRAME);
        for seq in self.scanned_to + 1..=end {
            if row(seq).is_some_and(|e| self.accepts(e)) {
                self.matches.push(seq);
            }
        }
        self.scanned_to = end;
        end == head
    }

    /// Matching seqs found so far.
    pub fn matches(&self) -> &[u64] {
        &self.matches
    }
}

/// View-side state of the panels.
#[derive(Resource, Debug, Default)]
pub struct PanelState {
    pub pinned: Pinned,
    pub filter: EventFilter,
    /// Each projection's view hash, worked out a few rows per frame.
    view_hashes: BTreeMap<&'static str, ViewHash>,
    touched: Touched,
    /// Lines the Sequence view's last "copy as Mermaid" put on the clipboard.
    pub copied_lines: Option<usize>,
    /// The screen size the windows were placed for.
    screen: Option<egui::Vec2>,
    /// The chain the Sequence view follows while nothing is pinned.
    pub following: Option<super::sequence::Following>,
}

/// The aggregates that have events, in id order, with their stream numbers:
/// the Command view's table. Kept up to date from the streams the store
/// numbered since the last frame; collecting and sorting every seat of a
/// large world each frame cost 16.6 ms per frame at 1.3·10^5 events
/// (`cargo bench --bench ui`).
#[derive(Debug, Default)]
struct Touched {
    ids: Vec<(AggregateId, u32)>,
    /// Streams taken in so far, and the hash of the last one's first
    /// event: that hash covers the whole history before it (the chain), so
    /// while it is unchanged, so are the streams numbered before it. A
    /// reset starts a new store, where it differs (or the count drops).
    seen: u32,
    last: Option<Hash>,
}

impl Touched {
    fn refresh(&mut self, store: &EventStore) {
        let n = store.streams();
        let first_hash = |no: u32| store.stream_events(no).first().map(|env| env.hash);
        let same = self.seen <= n && (self.seen == 0 || first_hash(self.seen - 1) == self.last);
        if !same {
            *self = Touched::default();
        }
        if self.seen == n {
            return;
        }
        let mut new: Vec<(AggregateId, u32)> =
            (self.seen..n).filter_map(|no| store.stream_id(no).map(|id| (id.clone(), no))).collect();
        new.sort_unstable();
        // Two sorted runs now: the stable sort merges them in one pass.
        self.ids.append(&mut new);
        self.ids.sort();
        self.seen = n;
        self.last = first_hash(n - 1);
    }
}

/// Rows of views hashed per frame, over all views: hashing a large view
/// whole in one frame cost 5 ms per frame at 10^4 events and 79 ms at
/// 1.3·10^5, for as long as the views changed (`cargo bench --bench ui`).
pub const VIEW_HASH_ROWS_PER_FRAME: usize = 2_000;

/// One view's hash in the Queries view: the last one finished, and the one
/// under way, each with the change tick of the view state it hashes. A view
/// that changes before its hash is done starts over: while a run keeps a
/// large view changing, the column shows the last finished hash, marked.
#[derive(Debug, Default)]
struct ViewHash {
    shown: Option<(Tick, String)>,
    work: Option<(Tick, HashInProgress)>,
}

impl ViewHash {
    /// Whether the hash shown or under way is of the view as it is now.
    fn current(&self, view: &Ref<ProjectorView>) -> bool {
        let changed = view.last_changed();
        self.shown.as_ref().is_some_and(|(at, _)| *at == changed)
            || self.work.as_ref().is_some_and(|(at, _)| *at == changed)
    }

    /// The text for the column, after hashing up to `*rows` more rows of
    /// `view` (taken off `*rows`).
    fn show(&mut self, view: &Ref<ProjectorView>, rows: &mut usize) -> String {
        let changed = view.last_changed();
        if let Some((at, hash)) = &self.shown
            && *at == changed
        {
            return hash.clone();
        }
        if self.work.as_ref().is_none_or(|(at, _)| *at != changed) {
            self.work = Some((changed, view.view.start_hash()));
        }
        if let Some((_, work)) = &mut self.work {
            let before = work.rows_done();
            let done = view.view.continue_hash(work, *rows);
            *rows = rows.saturating_sub(work.rows_done() - before);
            if let Some(hash) = done {
                let hash = hex(&hash)[..12].to_string();
                self.shown = Some((changed, hash.clone()));
                self.work = None;
                return hash;
            }
        }
        // Still hashing this state of the view.
        self.shown.as_ref().map_or("…".into(), |(_, h)| format!("{h}…"))
    }
}

/// Every `T` in the world (none when `T` was never registered).
fn all<T: Component>(world: &World) -> Vec<&T> {
    match world.try_query::<&T>() {
        Some(q) => q.iter_manual(world).collect(),
        None => vec![],
    }
}

type ConsumerRow<'w> = (&'w Consumer, &'w ConsumerQueue, Option<Ref<'w, ProjectorView>>);

fn consumers(world: &World) -> Vec<ConsumerRow<'_>> {
    match world.try_query::<ConsumerRow>() {
        Some(q) => q.iter_manual(world).collect(),
        None => vec![],
    }
}

/// The `n` sagas with the highest ids (the latest started), newest first:
/// picked in one pass, not by sorting every saga of the run each frame.
fn latest_sagas(world: &World, n: usize) -> Vec<&Saga> {
    let mut sagas = all::<Saga>(world);
    if sagas.len() > n {
        sagas.select_nth_unstable_by_key(n, |s| std::cmp::Reverse(s.id));
        sagas.truncate(n);
    }
    sagas.sort_by_key(|s| std::cmp::Reverse(s.id));
    sagas
}

/// Event `seq` as stored.
pub fn stored(world: &World, seq: u64) -> Option<&EventEnvelope> {
    let store = world.get_resource::<EventStore>()?;
    store.row(seq).and_then(|e| world.get::<StoredEvent>(e)).map(|s| &*s.0)
}

fn tick(world: &World) -> u64 {
    world.get_resource::<SimClock>().map_or(0, |c| c.tick)
}

fn cell(text: impl Into<String>, hot: bool) -> egui::RichText {
    let t = egui::RichText::new(text.into()).monospace();
    if hot { t.color(CHAIN) } else { t }
}

/// Width of a table view's window: under half of a 1280-wide screen, docked
/// right, so the write path on the map (where a pinned causal chain lights
/// up) stays in sight.
pub const VIEW_W: f32 = 600.0;
/// Top of the windows: below the toolbar.
const VIEW_TOP: f32 = 96.0;

/// The panel for `view` (nothing for the map) and the detail pane.
pub fn show(ctx: &egui::Context, world: &World, view: ViewMode, state: &mut PanelState) {
    // egui keeps a window where it first had to squeeze it: in the browser
    // the canvas starts small and grows to the page, which left the views
    // over the toolbar. A new screen size places them again.
    let screen = ctx.content_rect().size();
    if state.screen.is_some_and(|s| s != screen) {
        ctx.memory_mut(|m| m.reset_areas());
    }
    state.screen = Some(screen);
    if view != ViewMode::System {
        let screen = ctx.content_rect();
        // The diagram wants a lane per component it shows: wider than a table.
        let w = if view == ViewMode::Sequence {
            super::sequence::width(super::sequence::BOOKING_LANES, screen.width())
        } else {
            VIEW_W
        };
        let pos = [(screen.width() - w - 8.0).max(8.0), VIEW_TOP];
        let size = [w, (screen.height() - VIEW_TOP - 84.0).max(240.0)];
        // Between the toolbar and the caption strip, whatever the content
        // asks for: a tall table scrolls inside its window.
        let room =
            egui::Rect::from_min_max(egui::pos2(0.0, VIEW_TOP), egui::pos2(screen.width(), screen.height() - 60.0));
        let window = egui::Window::new(view.name()).default_pos(pos).default_size(size).vscroll(false);
        window.max_height(size[1]).constrain_to(room).show(ctx, |ui| match view {
            ViewMode::Command => command_view(ui, world, state),
            ViewMode::Events => events_view(ui, world, state),
            ViewMode::Queries => queries_view(ui, world, state),
            ViewMode::Vendors => vendors_view(ui, world, state),
            ViewMode::Sequence => super::sequence::sequence_view(ui, world, state),
            ViewMode::System => {}
        });
    }
    // The Sequence view shows the pinned item under its diagram: a window
    // beside it would cover the wide diagram.
    if view != ViewMode::Sequence {
        detail_pane(ctx, world, state);
    }
}

/// The Command view: the aggregates touched, the command log, the sagas.
pub fn command_view(ui: &mut egui::Ui, world: &World, state: &mut PanelState) {
    if let Some(store) = world.get_resource::<EventStore>() {
        state.touched.refresh(store);
    }
    let pinned = &mut state.pinned;
    let touched = &state.touched.ids;
    egui::ScrollArea::vertical().id_salt("command").show(ui, |ui| {
        aggregates_table(ui, world, touched, pinned);
        ui.heading("Command log (latest 40) — click a command to highlight its causal chain");
        egui::Grid::new("cmdlog").striped(true).show(ui, |ui| {
            for h in ["tick", "command", "target", "expected v", "outcome", "reason"] {
                ui.strong(h);
            }
            ui.end_row();
            if let Some(log) = world.get_resource::<CommandLog>() {
                for r in command_rows(log, 40) {
                    let hot = pinned.correlation == Some(r.correlation);
                    ui.label(cell(r.tick.to_string(), hot));
                    if ui.selectable_label(hot, r.command).clicked() {
                        pinned.correlation = if hot { None } else { Some(r.correlation) };
                    }
                    ui.label(cell(r.target, hot));
                    ui.label(cell(r.expected_version.map(|v| format!("v{v}")).unwrap_or_default(), hot));
                    let c = match r.outcome {
                        Outcome::Ok => GREEN,
                        Outcome::Conflict | Outcome::Rejected => RED,
                        Outcome::Inflight => AMBER,
                    };
                    ui.colored_label(c, r.outcome.name());
                    ui.label(cell(r.reason, hot));
                    ui.end_row();
                }
            }
        });
        sagas_table(ui, world, pinned);
    });
}

/// The Command view's collapsible table of the seats touched so far
/// (`touched`, in id order), only the rows on screen built; a click pins
/// the seat and lights its latest event's chain.
fn aggregates_table(ui: &mut egui::Ui, world: &World, touched: &[(AggregateId, u32)], pinned: &mut Pinned) {
    let store = world.get_resource::<EventStore>();
    let aggregates = world.get_resource::<Aggregates>();
    egui::CollapsingHeader::new("Aggregates (seats touched so far)").default_open(true).show(ui, |ui| {
        let widths = [110.0, 30.0, 80.0, 40.0, 60.0, 60.0, 90.0];
        header(ui, &["aggregate", "v", "state", "vendor", "flight", "customer", "PNR"], &widths);
        egui::ScrollArea::vertical().id_salt("aggs").max_height(160.0).show_rows(
            ui,
            ROW_H,
            touched.len(),
            |ui, range| {
                for (_, no) in &touched[range] {
                    let Some(r) = aggregates.and_then(|a| a.by_stream(*no)).and_then(|e| world.get::<AggregateRow>(e))
                    else {
                        continue;
                    };
                    let b = &r.0;
                    let last_corr = store
                        .and_then(|s| s.stream(&b.id).next_back())
                        .and_then(|e| world.get::<StoredEvent>(e))
                        .map(|e| e.0.correlation_id);
                    let hot = last_corr.is_some() && pinned.correlation == last_corr;
                    let cells = [
                        b.id.to_string(),
                        b.version.to_string(),
                        b.status.name().to_string(),
                        b.vendor.as_ref().map(|v| v.to_string()).unwrap_or_default(),
                        b.id.flight().to_string(),
                        b.customer.as_ref().map(|c| c.to_string()).unwrap_or_default(),
                        b.pnr.as_deref().unwrap_or_default().to_string(),
                    ];
                    if row(ui, cells, &widths, hot, pinned.detail == Some(Detail::Aggregate(b.id.clone()))) {
                        pinned.toggle(Detail::Aggregate(b.id.clone()), last_corr);
                    }
                }
            },
        );
    });
}

/// The Command view's grid of the latest 15 sagas; a click pins one.
fn sagas_table(ui: &mut egui::Ui, world: &World, pinned: &mut Pinned) {
    ui.heading("Sagas (latest 15)");
    let sagas = latest_sagas(world, 15);
    egui::Grid::new("sagas").striped(true).show(ui, |ui| {
        for h in ["saga", "kind", "current step", "state", "last log line"] {
            ui.strong(h);
        }
        ui.end_row();
        for s in sagas {
            let hot = pinned.correlation == Some(s.correlation);
            let sel = pinned.detail == Some(Detail::Saga(s.id));
            if ui.selectable_label(sel, cell(format!("#{}", s.id), hot)).clicked() {
                pinned.toggle(Detail::Saga(s.id), Some(s.correlation));
            }
            ui.label(cell(if s.itinerary { "itinerary" } else { "booking" }, hot));
            ui.label(cell(s.current(), hot));
            ui.label(cell(s.state.name(), hot));
            ui.label(cell(
                s.log.last().map(|l| format!("t{} {} — {}", l.tick, l.step, l.outcome)).unwrap_or_default(),
                hot,
            ));
            ui.end_row();
        }
    });
}

fn header(ui: &mut egui::Ui, names: &[&str], widths: &[f32]) {
    ui.horizontal(|ui| {
        for (h, w) in names.iter().zip(widths) {
            ui.add_sized([*w, 16.0], egui::Label::new(egui::RichText::new(*h).strong()));
        }
    });
}

/// One virtualized row; the first cell is a button. Returns whether it was clicked.
fn row<const N: usize>(ui: &mut egui::Ui, cells: [String; N], widths: &[f32], hot: bool, selected: bool) -> bool {
    ui.horizontal(|ui| {
        let mut cells = cells.into_iter().zip(widths);
        let mut clicked = false;
        if let Some((first, w)) = cells.next() {
            clicked = ui.add_sized([*w, 16.0], egui::Button::selectable(selected, cell(first, hot))).clicked();
        }
        for (c, w) in cells {
            ui.add_sized([*w, 16.0], egui::Label::new(cell(c, hot)).truncate());
        }
        clicked
    })
    .inner
}

pub fn events_view(ui: &mut egui::Ui, world: &World, state: &mut PanelState) {
    let head = world.get_resource::<EventStore>().map_or(0, |s| s.head_seq());
    let keys = world.get_resource::<KeyStore>();
    events_table(ui, EventRows { head, keys }, |seq| stored(world, seq), state);
    if let Some(Detail::Event(_)) = state.pinned.detail {
        ui.weak("the pinned event's detail is in the Detail pane");
    }
}

/// What the Events table shows: events up to `head`, with passengers
/// marked redacted when `keys` lacks their key.
pub struct EventRows<'a> {
    pub head: u64,
    pub keys: Option<&'a KeyStore>,
}

/// The Events table over any row source: only the rows on screen are
/// built, so 10^6 events cost what 10^2 do. Newest first.
pub fn events_table<'a>(
    ui: &mut egui::Ui,
    EventRows { head, keys }: EventRows,
    row_of: impl Fn(u64) -> Option<&'a EventEnvelope>,
    state: &mut PanelState,
) {
    let PanelState { pinned, filter, .. } = state;
    ui.horizontal(|ui| {
        ui.label("filter:");
        ui.add(egui::TextEdit::singleline(&mut filter.aggregate).hint_text("aggregate").desired_width(110.0));
        egui::ComboBox::from_id_salt("kind").selected_text(filter.kind.map_or("any type", |k| k.name())).show_ui(
            ui,
            |ui| {
                ui.selectable_value(&mut filter.kind, None, "any type");
                for k in EventKind::ALL {
                    ui.selectable_value(&mut filter.kind, Some(k), k.name());
                }
            },
        );
        ui.add(egui::TextEdit::singleline(&mut filter.customer).hint_text("customer").desired_width(80.0));
        if filter.active() && ui.small_button("clear").clicked() {
            filter.aggregate.clear();
            filter.kind = None;
            filter.customer.clear();
        }
    });
    let (total, complete) = if filter.active() {
        let complete = filter.refresh(head, &row_of);
        (filter.matches().len(), complete)
    } else {
        (head as usize, true)
    };
    ui.label(format!(
        "{head} events{}, newest first — click a seq to pin it and light its causal chain",
        if filter.active() {
            format!(", {total} match{}", if complete { "" } else { " so far (scanning…)" })
        } else {
            String::new()
        }
    ));
    let widths = [64.0, 110.0, 30.0, 130.0, 250.0, 50.0, 90.0];
    header(ui, &["seq", "aggregate", "v", "type", "payload", "tick", "hash"], &widths);
    egui::ScrollArea::vertical().id_salt("events").auto_shrink([false, false]).show_rows(
        ui,
        ROW_H,
        total,
        |ui, range| {
            for i in range {
                let seq = if filter.active() { filter.matches()[total - 1 - i] } else { head - i as u64 };
                let Some(env) = row_of(seq) else { continue };
                let r = event_row(env);
                let hot = pinned.correlation == Some(r.correlation);
                let cells = [
                    r.seq.to_string(),
                    r.aggregate,
                    r.version.to_string(),
                    r.kind.to_string(),
                    event_payload(env, keys),
                    r.tick.to_string(),
                    r.hash,
                ];
                if row(ui, cells, &widths, hot, pinned.detail == Some(Detail::Event(seq))) {
                    pinned.toggle(Detail::Event(seq), Some(r.correlation));
                }
            }
        },
    );
}

pub fn queries_view(ui: &mut egui::Ui, world: &World, state: &mut PanelState) {
    let head = world.get_resource::<EventStore>().map_or(0, |s| s.head_seq());
    egui::ScrollArea::vertical().id_salt("queries").show(ui, |ui| {
        ui.heading("Consumers");
        egui::Grid::new("proj").striped(true).show(ui, |ui| {
            for h in [
                "consumer",
                "queue",
                "lag",
                "last seq",
                "processed",
                "idem. log",
                "dups",
                "buffered",
                "rows",
                "view hash",
            ] {
                ui.strong(h);
            }
            ui.end_row();
            let mut cs = consumers(world);
            cs.sort_by_key(|(c, _, _)| c.id);
            // The rows of this frame go first to the views whose hash under
            // way is still of the view as it is (so a view that stopped
            // changing gets its hash even while others keep changing), then
            // to the views that changed and start over.
            let mut hashes = BTreeMap::new();
            let mut hash_rows = VIEW_HASH_ROWS_PER_FRAME;
            for current in [true, false] {
                for (c, _, pv) in &cs {
                    let Some(pv) = pv else { continue };
                    let cell = state.view_hashes.entry(c.id.name()).or_default();
                    if cell.current(pv) == current {
                        hashes.insert(c.id, cell.show(pv, &mut hash_rows));
                    }
                }
            }
            for (c, q, pv) in cs {
                ui.label(c.id.name());
                ui.monospace(q.queue.len().to_string());
                let lag = c.lag(head);
                ui.colored_label(if lag > 50 { AMBER } else { ui.visuals().text_color() }, lag.to_string());
                ui.monospace(c.last_seq.to_string());
                ui.monospace(c.processed.to_string());
                ui.monospace(c.applied().to_string());
                ui.monospace(c.duplicates_skipped.to_string());
                ui.monospace(c.buffered.to_string());
                ui.monospace(pv.map_or("-".into(), |p| p.view.rows().to_string()));
                ui.monospace(hashes.remove(&c.id).unwrap_or_else(|| "-".into()));
                ui.end_row();
            }
        });
        if let Some(m) = world.get_resource::<Metrics>() {
            ui.heading("Over time");
            plots::show(ui, m);
        }
        redis_table(ui, world, &mut state.pinned);
    });
}

/// The Queries view's table of Redis keys, in key order, only the rows on
/// screen built; a click pins a key.
fn redis_table(ui: &mut egui::Ui, world: &World, pinned: &mut Pinned) {
    let now = tick(world);
    let mut es: Vec<&CacheEntry> = all::<CacheEntry>(world);
    es.sort_by(|a, b| a.key.cmp(&b.key));
    ui.heading(format!("Redis ({} keys)", es.len()));
    let widths = [170.0, 60.0, 150.0, 60.0, 60.0, 60.0];
    header(ui, &["key", "TTL", "populating", "waiters", "hits", "misses"], &widths);
    egui::ScrollArea::vertical().id_salt("redis").max_height(220.0).show_rows(ui, ROW_H, es.len(), |ui, range| {
        for e in &es[range] {
            let cells = [
                e.key.clone(),
                format!("{:.1} s", e.expires_tick.saturating_sub(now) as f64 * 0.05),
                if e.populating { "yes (single-flight)".into() } else { String::new() },
                e.waiters.to_string(),
                e.hits.to_string(),
                e.misses.to_string(),
            ];
            let detail = Detail::Cache(e.key.clone());
            if row(ui, cells, &widths, false, pinned.detail == Some(detail.clone())) {
                pinned.toggle(detail, None);
            }
        }
    });
}

pub fn vendors_view(ui: &mut egui::Ui, world: &World, state: &mut PanelState) {
    egui::ScrollArea::vertical().id_salt("vendors").show(ui, |ui| {
        let mut vs: Vec<&Vendor> = all::<Vendor>(world);
        vs.sort_by(|a, b| a.id.cmp(&b.id));
        for v in vs {
            ui.heading(format!("{} {} ({}) · {} calls, {} failures", v.id, v.name, v.channel, v.calls, v.failures));
            ui.horizontal_wrapped(|ui| {
                for (f, inv) in &v.inventory {
                    let left = inv.available();
                    let frac = left as f32 / inv.total.max(1) as f32;
                    let c = if frac > 0.5 {
                        GREEN
                    } else if frac > 0.1 {
                        AMBER
                    } else {
                        RED
                    };
                    egui::Frame::new().stroke(egui::Stroke::new(1.0, c)).inner_margin(4.0).corner_radius(6.0).show(
                        ui,
                        |ui| {
                            ui.colored_label(c, format!("{f}: {left}/{} left", inv.total));
                        },
                    );
                }
            });
        }
        ui.heading("Saga timeline (latest 8)");
        for s in latest_sagas(world, 8) {
            let hot = state.pinned.correlation == Some(s.correlation);
            let title = cell(format!("#{} {} · {}", s.id, s.state.name(), s.customer), hot);
            egui::CollapsingHeader::new(title).id_salt(("saga", s.id)).default_open(true).show(ui, |ui| {
                for l in &s.log {
                    let c = match l.outcome {
                        StepOutcome::Ok | StepOutcome::CompensateOk => GREEN,
                        o if o.is_failure() => RED,
                        _ => AMBER,
                    };
                    ui.horizontal(|ui| {
                        ui.monospace(format!("t{:<5} {:<28}", l.tick, l.step));
                        ui.colored_label(c, l.outcome.name());
                        ui.weak(l.detail.as_ref());
                    });
                }
            });
        }
    });
}

/// The detail pane: whatever is pinned (event, aggregate, saga, cache entry).
pub fn detail_pane(ctx: &egui::Context, world: &World, state: &mut PanelState) {
    let Some(detail) = state.pinned.detail.clone() else { return };
    let mut open = true;
    // Left of the table view's window.
    let x = (ctx.content_rect().width() - VIEW_W - 8.0 - 430.0).max(8.0);
    egui::Window::new("Detail").open(&mut open).default_pos([x, VIEW_TOP]).default_width(420.0).show(ctx, |ui| {
        egui::ScrollArea::vertical()
            .id_salt("detail")
            .max_height(480.0)
            .show(ui, |ui| detail_body(ui, world, state, &detail));
    });
    if !open {
        state.pinned = Pinned::default();
    }
}

/// What the detail pane says about `detail`.
pub fn detail_body(ui: &mut egui::Ui, world: &World, state: &mut PanelState, detail: &Detail) {
    match detail {
        Detail::Event(seq) => match stored(world, *seq) {
            Some(env) => event_detail(ui, world, env),
            None => {
                ui.label(format!("seq {seq} is not in the store (reset or scrubbed back)"));
            }
        },
        Detail::Aggregate(id) => aggregate_detail(ui, world, id, state),
        Detail::Command(id) => command_detail(ui, world, *id),
        Detail::Saga(id) => match world
            .get_resource::<Sagas>()
            .and_then(|sagas| sagas.by_id.get(id))
            .and_then(|e| world.get::<Saga>(*e))
        {
            Some(s) => {
                ui.heading(format!("saga #{} ({})", s.id, if s.itinerary { "itinerary" } else { "booking" }));
                ui.monospace(format!(
                    "customer {} · state {} · step {}\ncorrelation #{} · started t{}{}",
                    s.customer,
                    s.state.name(),
                    s.current(),
                    s.correlation,
                    s.started_tick,
                    s.ended_tick.map(|t| format!(" · ended t{t}")).unwrap_or_default()
                ));
                for l in &s.log {
                    ui.monospace(format!("t{} {} — {} {}", l.tick, l.step, l.outcome, l.detail));
                }
            }
            None => {
                ui.label(format!("saga #{id} does not exist (reset or scrubbed back)"));
            }
        },
        Detail::Cache(key) => match all::<CacheEntry>(world).into_iter().find(|e| e.key == *key) {
            Some(e) => {
                ui.heading(format!("Redis key {}", e.key));
                ui.monospace(format!(
                    "expires at tick {} · populating {} · overlay only {} · waiters {} · hits {} · misses {}",
                    e.expires_tick, e.populating, e.overlay, e.waiters, e.hits, e.misses
                ));
                ui.label(format!("{:?}", e.value));
            }
            None => {
                ui.label(format!("{key} is not in Redis now (expired or evicted)"));
            }
        },
    }
}

fn event_detail(ui: &mut egui::Ui, world: &World, env: &EventEnvelope) {
    ui.heading(format!("seq {} · {} v{} · {}", env.seq, env.aggregate_id, env.version, env.kind().name()));
    ui.monospace(format!("causation #{} · correlation #{} · tick {}", env.causation_id, env.correlation_id, env.tick));
    ui.monospace(format!("hash {}\nprev {}", hex(&env.hash), hex(&env.prev_hash)));
    ui.label(format!("{:?}", env.event));
    match passenger_line(env, world.get_resource::<KeyStore>()) {
        Some(PassengerLine::Readable(text)) => {
            ui.label(text);
        }
        Some(PassengerLine::Erased(text)) => {
            ui.colored_label(AMBER, text);
        }
        None => {}
    }
    ui.strong("consumers");
    let consumers = all::<Consumer>(world);
    let Some(store) = world.get_resource::<EventStore>() else { return };
    for p in processing(env, store, consumers) {
        ui.monospace(format!("{:<17} {}", p.consumer, p.status));
    }
}

fn command_detail(ui: &mut egui::Ui, world: &World, id: u64) {
    let Some(r) = world.get_resource::<CommandLog>().and_then(|log| log.records.get(&id)) else {
        ui.label(format!("command #{id} is not in the command log (reset, scrubbed back or aged out)"));
        return;
    };
    ui.heading(format!("command #{} · {} {}", r.id, r.name, r.target));
    ui.monospace(format!(
        "from {:?} · sent t{} · answered {} · {}\ncorrelation #{}{}",
        r.origin,
        r.tick,
        r.done_tick.map_or("not yet".into(), |t| format!("t{t}")),
        r.outcome.name(),
        r.correlation,
        r.label.as_ref().map(|l| format!(" · label {l}")).unwrap_or_default()
    ));
    if let Some(reason) = &r.reason {
        ui.label(reason);
    }
    if !r.seqs.is_empty() {
        ui.monospace(format!("appended seq {}", r.seqs.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")));
    }
}

fn aggregate_detail(ui: &mut egui::Ui, world: &World, id: &AggregateId, state: &mut PanelState) {
    let Some(row) = all::<AggregateRow>(world).into_iter().find(|r| r.0.id == *id) else {
        ui.label(format!("{id} has no events (reset or scrubbed back)"));
        return;
    };
    let b = &row.0;
    ui.heading(format!("{} v{} · {}", b.id, b.version, b.status.name()));
    ui.monospace(format!(
        "customer {} · vendor {} · PNR {}\nprice {} · captured {} · refunded {} · hold expires t{}",
        b.customer.as_ref().map_or("-".into(), |c| c.to_string()),
        b.vendor.as_ref().map_or("-".into(), |v| v.to_string()),
        b.pnr.as_deref().unwrap_or("-"),
        b.price_cents,
        b.captured_cents,
        b.refunded_cents,
        b.expires_tick
    ));
    ui.strong("stream");
    let Some(store) = world.get_resource::<EventStore>() else { return };
    for e in store.stream(id) {
        let Some(env) = world.get::<StoredEvent>(e).map(|s| &s.0) else { continue };
        let hot = state.pinned.correlation == Some(env.correlation_id);
        ui.label(cell(
            format!("v{} seq {} {} — {}", env.version, env.seq, env.kind().name(), env.event.preview()),
            hot,
        ));
    }
}
