//! Where every component of the platform sits on the map, drawn from the
//! scenario's world: one card per component (every vendor of the world
//! among them), the text lines on each card, the areas where the map draws
//! live entities (queues, store rows, outbox rows, cache keys, saga chains,
//! seat grids), and the wires between cards as orthogonal polylines.
//!
//! Pure data: a function of the [`WorldConfig`], no systems, nothing that
//! reads the sim. The map is laid out in "design pixels": at the fit zoom on
//! a 1280×720 window one design pixel is one screen pixel, so a 12 px label
//! here is a 12 px label there. The top band is left to the toolbar and the
//! bottom band to the caption. The tests below hold the layout to its
//! promises (no overlaps, no wire through a card it does not connect, no
//! text under 12 px) for worlds of 1 to 12 vendors.
//!
//! Arrangement: the write path runs left → right along the top (Customers,
//! Command API, Aggregates, Event store, Outbox, RabbitMQ, the five
//! projectors, the Read DB); the read path below it (Query API → Redis →
//! Read DB); the saga orchestrator and the vendors along the bottom.

use super::text::{self, LINE_HEIGHT};
use crate::domain::VendorId;
use crate::sim::config::WorldConfig;
use crate::sim::protocol::ConsumerId;
use crate::sim::protocol::Projection;
use bevy::math::{Rect, Vec2};
use bevy::prelude::Color;
use std::collections::BTreeMap;

/// A card of the architecture map.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NodeId {
    Customer,
    CommandApi,
    Aggregate,
    EventStore,
    Outbox,
    RabbitMq,
    Projector(Projection),
    ReadDb,
    QueryApi,
    Redis,
    Saga,
    /// The world's vendor number `i` (in the order the world lists them).
    Vendor(u8),
    /// The vendors past the last card that fits, as one card.
    VendorGroup,
    Timers,
}

impl NodeId {
    pub fn of_consumer(c: ConsumerId) -> NodeId {
        match c {
            ConsumerId::Projector(p) => NodeId::Projector(p),
            ConsumerId::Orchestrator => NodeId::Saga,
        }
    }

    /// Icon file under `assets/icons/`: what kind of thing it is.
    pub fn icon(self) -> &'static str {
        match self {
            NodeId::Customer => "icons/customer.png",
            NodeId::CommandApi | NodeId::QueryApi => "icons/api.png",
            NodeId::Aggregate => "icons/aggregate.png",
            NodeId::EventStore | NodeId::ReadDb => "icons/database.png",
            NodeId::Outbox => "icons/outbox.png",
            NodeId::RabbitMq => "icons/exchange.png",
            NodeId::Projector(_) => "icons/projector.png",
            NodeId::Redis => "icons/cache.png",
            NodeId::Saga => "icons/saga.png",
            NodeId::Vendor(_) | NodeId::VendorGroup => "icons/vendor.png",
            NodeId::Timers => "icons/timer.png",
        }
    }

    /// Hue by role: the write side warm (commands amber, events coral, the
    /// bus yellow), projectors green, the read side blue, sagas and vendors
    /// violet. Icons and text say the role too: colour is never the only cue.
    pub fn color(self) -> Color {
        match self {
            NodeId::Customer => palette::CUSTOMER,
            NodeId::CommandApi | NodeId::Aggregate => palette::COMMAND,
            NodeId::EventStore | NodeId::Outbox => palette::EVENT,
            NodeId::RabbitMq => palette::BUS,
            NodeId::Projector(_) => palette::PROJECTOR,
            NodeId::ReadDb | NodeId::QueryApi | NodeId::Redis => palette::READ,
            NodeId::Saga | NodeId::Vendor(_) | NodeId::VendorGroup => palette::SAGA,
            NodeId::Timers => palette::TIMER,
        }
    }

    /// What it is, for someone who never built CQRS.
    pub fn explain(self) -> &'static str {
        match self {
            NodeId::Customer => {
                "People buying tickets. They send commands (hold, pay) to the write side and queries (search, my bookings) to the read side."
            }
            NodeId::CommandApi => {
                "Validates a command, loads the seat's history and folds it into the current state, decides, then appends new events with the version it read. If someone appended first, the insert fails: `conflict`."
            }
            NodeId::Aggregate => {
                "One event stream per seat (e.g. IB3166/14C). Its state is nothing but the fold of its events; its version is the number of events."
            }
            NodeId::EventStore => {
                "Append-only log. (aggregate_id, version) is unique, every row gets a global seq, and each row's hash covers the previous one: the log is tamper-evident."
            }
            NodeId::Outbox => {
                "Rows written in the same transaction as the events. A pumper publishes them to the bus; a failed publish leaves the row to retry, so no event is ever 'written but not sent'."
            }
            NodeId::RabbitMq => {
                "A topic exchange with one durable queue per consumer. Delivery is at-least-once: duplicates and reordering happen, and each consumer must cope."
            }
            NodeId::Projector(Projection::AvailableFlights) => {
                "Seats left per flight. Keeps the highest version seen per seat, so it tolerates out-of-order delivery."
            }
            NodeId::Projector(Projection::CustomerBookings) => {
                "'My bookings' rows per customer. Tolerates reordering; the Replay knob drops it and rebuilds it from seq 0; a GDPR tombstone drops the customer's rows."
            }
            NodeId::Projector(Projection::BookingDetail) => {
                "Full detail per booking, strictly in version order: an event that arrives ahead of its predecessor waits in a buffer. A tombstone redacts the name and e-mail, keeping every event hash."
            }
            NodeId::Projector(Projection::VendorLedger) => "Holds, issues and releases per vendor.",
            NodeId::Projector(Projection::Revenue) => "Money captured and refunded per flight.",
            NodeId::ReadDb => {
                "The projections' tables: denormalised, eventually consistent copies of what the event store says."
            }
            NodeId::QueryApi => {
                "Serves searches and 'my bookings' from Redis first, the Read DB second. Never touches the event store."
            }
            NodeId::Redis => {
                "Cache with TTLs. Single-flight: concurrent misses on one key share one populator. Write-through: the command side writes a just-booked customer's booking here, so they read their own write."
            }
            NodeId::Saga => {
                "Runs long bookings as state machines: each step has an explicit, idempotent compensation; a failure runs the compensations backwards. Vendor steps time out; late replies are undone."
            }
            NodeId::Vendor(_) => {
                "A GDS/airline adapter with its own seat inventory (the grid: free, held, sold), latency, and injectable slowness and failures."
            }
            NodeId::VendorGroup => "More vendors than the map has room for, drawn as one card with their totals.",
            NodeId::Timers => "Hold expiries (SeatHoldExpired), saga step timeouts and cache TTLs.",
        }
    }
}

/// The map's colours: one hue per role on a dark ground.
pub mod palette {
    use bevy::prelude::Color;
    pub const GROUND: Color = Color::srgb(0.059, 0.067, 0.090);
    pub const CARD: Color = Color::srgb(0.106, 0.122, 0.165);
    pub const TEXT: Color = Color::srgb(0.91, 0.92, 0.94);
    pub const DIM: Color = Color::srgb(0.60, 0.64, 0.71);
    pub const WIRE: Color = Color::srgba(0.50, 0.54, 0.64, 0.55);
    pub const CUSTOMER: Color = Color::srgb(0.91, 0.92, 0.94);
    pub const COMMAND: Color = Color::srgb(0.96, 0.65, 0.14);
    pub const EVENT: Color = Color::srgb(0.94, 0.38, 0.36);
    pub const BUS: Color = Color::srgb(0.97, 0.82, 0.33);
    pub const PROJECTOR: Color = Color::srgb(0.36, 0.79, 0.55);
    pub const READ: Color = Color::srgb(0.35, 0.66, 0.94);
    pub const SAGA: Color = Color::srgb(0.66, 0.55, 0.96);
    pub const TIMER: Color = Color::srgb(0.60, 0.64, 0.71);
    pub const FAIL: Color = Color::srgb(1.0, 0.30, 0.31);
    pub const OK: Color = Color::srgb(0.36, 0.82, 0.47);
    pub const DUPLICATE: Color = Color::srgb(0.90, 0.40, 0.90);
    pub const BUFFER: Color = Color::srgb(1.0, 0.62, 0.10);
    pub const HELD: Color = Color::srgb(0.98, 0.72, 0.20);
    pub const SOLD: Color = Color::srgb(0.45, 0.62, 0.98);
    pub const FREE: Color = Color::srgb(0.26, 0.30, 0.38);
}

/// The rectangle the fit zoom frames (design pixels, centred on 0).
pub const DESIGN: Vec2 = Vec2::new(1280.0, 720.0);
/// Cards stay below this (the toolbar's band) …
pub const CONTENT_TOP: f32 = 268.0;
/// … and above this (the caption's band).
pub const CONTENT_BOTTOM: f32 = -292.0;
pub const CONTENT_LEFT: f32 = -636.0;
pub const CONTENT_RIGHT: f32 = 636.0;

/// Font sizes (design pixels).
pub const TITLE_PX: f32 = 14.0;
pub const SMALL_TITLE_PX: f32 = 13.0;
pub const BODY_PX: f32 = 12.0;
/// Height of one 12 px line.
pub const BODY_LINE: f32 = BODY_PX * LINE_HEIGHT;

/// Most vendor cards in the bottom row; more vendors share a group card.
pub const MAX_VENDOR_CARDS: usize = 8;

const PAD: f32 = 6.0;
const ICON: f32 = 22.0;

/// One line of static text on a card.
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    pub text: String,
    /// Where it is drawn (its measured box).
    pub rect: Rect,
    pub px: f32,
    pub bold: bool,
}

impl Label {
    /// `text` fitted to `max_w`, with its box's left edge at `x` (or
    /// centred on `x` when `centred`) and its top at `top`.
    fn new(text: &str, px: f32, bold: bool, x: f32, top: f32, max_w: f32, centred: bool) -> Label {
        let text = text::fit(text, px, bold, max_w);
        let w = text::width(&text, px, bold);
        let x0 = if centred { x - w / 2.0 } else { x };
        let rect = Rect::new(x0, top - px * LINE_HEIGHT, x0 + w, top);
        Label { text, rect, px, bold }
    }
}

/// A card: its box, icon, title, subtitle, the lines the map fills with
/// live counters, and the area left for drawings of its entities.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeBox {
    pub id: NodeId,
    pub rect: Rect,
    pub icon: Option<Rect>,
    pub title: Label,
    pub subtitle: Option<Label>,
    /// Live counter lines (each [`BODY_LINE`] tall), top to bottom.
    pub lines: Vec<Rect>,
    /// Whether counter text is centred (stacked cards) or left-aligned.
    pub centred: bool,
    /// The rest of the card, for entity drawings (may be empty).
    pub body: Rect,
    /// What it is called in tooltips (the title may be cut to fit).
    pub name: String,
}

impl NodeBox {
    pub fn center(&self) -> Vec2 {
        self.rect.center()
    }

    /// Every static label of the card.
    pub fn labels(&self) -> impl Iterator<Item = &Label> {
        std::iter::once(&self.title).chain(self.subtitle.as_ref())
    }
}

/// How a card arranges its header.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Style {
    /// Icon on top, centred title, subtitle and counters.
    Stacked,
    /// Icon at the left of a one-line title; the subtitle and counters below.
    IconLeft,
    /// No icon: a title and one counter line (projectors).
    Compact,
}

struct CardSpec<'a> {
    id: NodeId,
    rect: Rect,
    style: Style,
    title: &'a str,
    subtitle: &'a str,
    lines: usize,
}

fn card(spec: CardSpec) -> NodeBox {
    let r = spec.rect;
    let inner_w = r.width() - 2.0 * PAD;
    let mut top = r.max.y - PAD;
    let (icon, title, centred) = match spec.style {
        Style::Stacked => {
            let c = r.center().x;
            let icon = Rect::from_center_size(Vec2::new(c, top - ICON / 2.0), Vec2::splat(ICON));
            top -= ICON + 2.0;
            let t = Label::new(spec.title, TITLE_PX, true, c, top, inner_w, true);
            (Some(icon), t, true)
        }
        Style::IconLeft => {
            let room = inner_w - ICON - 4.0;
            // Narrow cards drop the icon rather than cut the name.
            let with_icon = text::width(spec.title, SMALL_TITLE_PX, true) <= room || inner_w >= 140.0;
            let line_h = SMALL_TITLE_PX * LINE_HEIGHT;
            let (icon, x, w) = if with_icon {
                let icon = Rect::from_center_size(
                    Vec2::new(r.min.x + PAD + ICON / 2.0, top - line_h / 2.0),
                    Vec2::splat(line_h.max(ICON)),
                );
                (Some(icon), r.min.x + PAD + ICON + 4.0, room)
            } else {
                (None, r.min.x + PAD, inner_w)
            };
            let t = Label::new(spec.title, SMALL_TITLE_PX, true, x, top - (ICON - line_h).max(0.0) / 2.0, w, false);
            top -= ICON.max(line_h) + 1.0;
            (icon, t, false)
        }
        Style::Compact => {
            top += 1.0;
            let t = Label::new(spec.title, SMALL_TITLE_PX, true, r.min.x + PAD + 2.0, top, inner_w - 2.0, false);
            top -= SMALL_TITLE_PX * LINE_HEIGHT + 2.0;
            (None, t, false)
        }
    };
    if spec.style == Style::Stacked {
        top -= TITLE_PX * LINE_HEIGHT;
    }
    let subtitle = (!spec.subtitle.is_empty()).then(|| {
        let x = if centred { r.center().x } else { r.min.x + PAD };
        let l = Label::new(spec.subtitle, BODY_PX, false, x, top, inner_w, centred);
        top -= BODY_LINE;
        l
    });
    let lines = (0..spec.lines)
        .map(|_| {
            let line = Rect::new(r.min.x + PAD, top - BODY_LINE, r.max.x - PAD, top);
            top -= BODY_LINE;
            line
        })
        .collect();
    let body = Rect::new(r.min.x + PAD, (r.min.y + PAD).min(top - 2.0), r.max.x - PAD, top - 2.0);
    NodeBox { id: spec.id, rect: r, icon, title, subtitle, lines, centred, body, name: spec.title.to_string() }
}

/// A wire: what flows along it, and the path it takes (from the edge of
/// its `from` card to the edge of its `to` card).
#[derive(Clone, Debug, PartialEq)]
pub struct Wire {
    pub from: NodeId,
    pub to: NodeId,
    pub what: &'static str,
    pub points: Vec<Vec2>,
}

impl Wire {
    pub fn length(&self) -> f32 {
        self.points.windows(2).map(|w| w[0].distance(w[1])).sum()
    }

    /// Where a traveller `t` ∈ [0, 1] of the way along is, and which way it
    /// heads (a unit vector); `reverse`d when travelling from `to` to `from`.
    pub fn pose_at(&self, t: f32, reverse: bool) -> (Vec2, Vec2) {
        let t = if reverse { 1.0 - t } else { t }.clamp(0.0, 1.0);
        let sign = if reverse { -1.0 } else { 1.0 };
        let mut left = t * self.length();
        let mut dir = Vec2::X;
        for w in self.points.windows(2) {
            let d = w[0].distance(w[1]);
            if d == 0.0 {
                continue;
            }
            dir = (w[1] - w[0]) / d * sign;
            if left <= d {
                return (w[0].lerp(w[1], left / d), dir);
            }
            left -= d;
        }
        (self.points.last().copied().unwrap_or_default(), dir)
    }
}

/// Areas beside the cards where the map draws entities.
#[derive(Clone, Debug, PartialEq)]
pub struct Zones {
    /// Under Aggregates: the streams touched last (id, version, status).
    pub aggregates: Rect,
    /// Under the Event store: its newest rows (seq, type).
    pub store: Rect,
    /// Under the Outbox: rows waiting to be published.
    pub outbox: Rect,
    /// Beside Redis: its keys as chips (TTL ring, populating, waiters).
    pub cache: Rect,
    /// The particle legend.
    pub legend: Rect,
}

impl Zones {
    pub fn all(&self) -> [(&'static str, Rect); 5] {
        [
            ("aggregates", self.aggregates),
            ("store", self.store),
            ("outbox", self.outbox),
            ("cache", self.cache),
            ("legend", self.legend),
        ]
    }
}

/// The whole map for one world.
#[derive(Clone, Debug, PartialEq)]
pub struct MapLayout {
    pub nodes: BTreeMap<NodeId, NodeBox>,
    pub wires: Vec<Wire>,
    /// Every vendor of the world, in the world's order, with its card.
    pub vendors: Vec<(VendorId, NodeId)>,
    pub zones: Zones,
}

impl Default for MapLayout {
    fn default() -> Self {
        MapLayout::new(&WorldConfig::default())
    }
}

// Columns of the write path (left edges) and widths.
const CUSTOMERS_RIGHT: f32 = -540.0;
const LANE_GAP: f32 = 40.0;
const PIPE_W: f32 = 120.0;
const PIPE_NARROW_W: f32 = 112.0;
const WRITE_H: f32 = 99.0;
const PROJ_LEFT: f32 = 300.0;
const PROJ_W: f32 = 156.0;
const PROJ_H: f32 = 44.0;
const PROJ_STEP: f32 = 50.0;
const READDB_LEFT: f32 = 490.0;
const READ_TOP: f32 = 10.0;
const READ_H: f32 = 90.0;
const BOTTOM_TOP: f32 = -160.0;
const SAGA_RIGHT: f32 = -380.0;
const VENDOR_LEFT: f32 = -366.0;
const VENDOR_GAP: f32 = 14.0;
const VENDOR_MAX_W: f32 = 300.0;
// Wire channels (x of vertical runs, y of horizontal runs).
const SAGA_UP_X: f32 = -520.0;
const WRITE_THROUGH_X: f32 = -360.0;
const WRITE_THROUGH_Y: f32 = 40.0;
const FANOUT_X: f32 = 282.0;
const SAGA_QUEUE_X: f32 = 258.0;
const SAGA_QUEUE_Y: f32 = -112.0;
const SEARCH_TRUNK_Y: f32 = -128.0;
const SAGA_TRUNK_Y: f32 = -143.0;

impl MapLayout {
    /// The map of `world`.
    pub fn new(world: &WorldConfig) -> MapLayout {
        let mut nodes = BTreeMap::new();
        write_path_cards(&mut nodes);
        read_path_cards(&mut nodes);
        add(
            &mut nodes,
            CardSpec {
                id: NodeId::Saga,
                rect: Rect::new(CONTENT_LEFT, CONTENT_BOTTOM, SAGA_RIGHT, BOTTOM_TOP),
                style: Style::IconLeft,
                title: "Saga orchestrator",
                subtitle: "",
                lines: 1,
            },
        );
        let vendors = vendor_cards(world, &mut nodes);
        let zones = zones(&nodes);
        let wires = route_wires(&nodes, &vendors);
        MapLayout { nodes, wires, vendors, zones }
    }

    pub fn node(&self, id: NodeId) -> Option<&NodeBox> {
        self.nodes.get(&id)
    }

    /// The card a vendor is drawn on (its own, or the group's); `None` for a
    /// vendor the world does not have.
    pub fn vendor_node(&self, vendor: &VendorId) -> Option<NodeId> {
        self.vendors.iter().find(|(v, _)| v == vendor).map(|(_, n)| *n)
    }

    /// The vendors drawn on card `node`.
    pub fn vendors_on(&self, node: NodeId) -> impl Iterator<Item = &VendorId> {
        self.vendors.iter().filter(move |(_, n)| *n == node).map(|(v, _)| v)
    }

    /// The wire between `a` and `b` (either way round), and whether it runs
    /// from `b` to `a`.
    pub fn wire(&self, a: NodeId, b: NodeId) -> Option<(&Wire, bool)> {
        self.wires.iter().find_map(|w| {
            if w.from == a && w.to == b {
                Some((w, false))
            } else if w.from == b && w.to == a {
                Some((w, true))
            } else {
                None
            }
        })
    }

    /// The smallest font on the map, in design pixels.
    pub fn min_font_px(&self) -> f32 {
        self.nodes.values().flat_map(|n| n.labels().map(|l| l.px)).fold(BODY_PX, f32::min)
    }
}

/// The fit zoom: world units per screen pixel that frame [`DESIGN`] in a
/// window of `window` logical pixels.
pub fn fit_scale(window: Vec2) -> f32 {
    (DESIGN.x / window.x.max(1.0)).max(DESIGN.y / window.y.max(1.0))
}

/// The rectangle `w` wide and `h` high whose top-left corner is
/// (`left`, `top`).
fn span(left: f32, w: f32, top: f32, h: f32) -> Rect {
    Rect::new(left, top - h, left + w, top)
}

/// Lays out the card `spec` and puts it on the map.
fn add(nodes: &mut BTreeMap<NodeId, NodeBox>, spec: CardSpec) {
    nodes.insert(spec.id, card(spec));
}

/// The top row, left to right: Customers, then the pipeline of the write
/// path (Command API, Aggregates, Event store, Outbox, RabbitMQ).
fn write_path_cards(nodes: &mut BTreeMap<NodeId, NodeBox>) {
    add(
        nodes,
        CardSpec {
            id: NodeId::Customer,
            rect: Rect::new(CONTENT_LEFT, -75.0, CUSTOMERS_RIGHT, CONTENT_TOP),
            style: Style::Stacked,
            title: "Customers",
            subtitle: "",
            lines: 1,
        },
    );
    let pipeline = [
        (NodeId::CommandApi, "Command API", "Rails", PIPE_W, 2),
        (NodeId::Aggregate, "Aggregates", "a stream per seat", PIPE_W, 1),
        (NodeId::EventStore, "Event store", "PostgreSQL", PIPE_W, 2),
        (NodeId::Outbox, "Outbox", "+ pumper", PIPE_NARROW_W, 2),
        (NodeId::RabbitMq, "RabbitMQ", "topic exchange", PIPE_NARROW_W, 2),
    ];
    let mut x = CUSTOMERS_RIGHT;
    for (id, title, subtitle, w, lines) in pipeline {
        x += LANE_GAP;
        add(
            nodes,
            CardSpec { id, rect: span(x, w, CONTENT_TOP, WRITE_H), style: Style::Stacked, title, subtitle, lines },
        );
        x += w;
    }
}

/// The projectors and the Read DB on the right, the Timers under the
/// Command API, and the Query API and Redis under the Aggregates and the
/// Event store (so after [`write_path_cards`]).
fn read_path_cards(nodes: &mut BTreeMap<NodeId, NodeBox>) {
    for (i, p) in Projection::ALL.into_iter().enumerate() {
        add(
            nodes,
            CardSpec {
                id: NodeId::Projector(p),
                rect: span(PROJ_LEFT, PROJ_W, CONTENT_TOP - i as f32 * PROJ_STEP, PROJ_H),
                style: Style::Compact,
                title: p.name(),
                subtitle: "",
                lines: 1,
            },
        );
    }
    let proj_bottom = CONTENT_TOP - 4.0 * PROJ_STEP - PROJ_H;
    add(
        nodes,
        CardSpec {
            id: NodeId::ReadDb,
            rect: Rect::new(READDB_LEFT, proj_bottom, CONTENT_RIGHT, CONTENT_TOP),
            style: Style::Stacked,
            title: "Read DB",
            subtitle: "PostgreSQL",
            lines: 0,
        },
    );
    add(
        nodes,
        CardSpec {
            id: NodeId::Timers,
            rect: Rect::from_center_size(Vec2::new(-440.0, 111.0), Vec2::new(112.0, 58.0)),
            style: Style::IconLeft,
            title: "Timers",
            subtitle: "timeouts",
            lines: 1,
        },
    );
    let agg = nodes[&NodeId::Aggregate].rect;
    let store = nodes[&NodeId::EventStore].rect;
    for (id, col, title, subtitle) in
        [(NodeId::QueryApi, agg, "Query API", "Rails"), (NodeId::Redis, store, "Redis", "cache")]
    {
        let rect = span(col.min.x, col.width(), READ_TOP, READ_H);
        add(nodes, CardSpec { id, rect, style: Style::Stacked, title, subtitle, lines: 1 });
    }
}

/// The strips under the write path's cards, the Redis chips' zone and
/// the legend's.
fn zones(nodes: &BTreeMap<NodeId, NodeBox>) -> Zones {
    let strip = |id: NodeId| {
        let r = nodes[&id].rect;
        Rect::new(r.min.x, 66.0, r.max.x, r.min.y - 6.0)
    };
    let redis = nodes[&NodeId::Redis].rect;
    Zones {
        aggregates: strip(NodeId::Aggregate),
        store: strip(NodeId::EventStore),
        outbox: strip(NodeId::Outbox),
        cache: Rect::new(redis.max.x + 24.0, -104.0, SAGA_QUEUE_X - 16.0, -22.0),
        legend: Rect::new(SAGA_QUEUE_X + 20.0, -100.0, CONTENT_RIGHT, -22.0),
    }
}

/// The vendor row: a card per vendor while they fit, then a group card.
fn vendor_cards(world: &WorldConfig, nodes: &mut BTreeMap<NodeId, NodeBox>) -> Vec<(VendorId, NodeId)> {
    let n = world.vendors.len();
    // Not `if n > MAX { MAX } else { n.max(1) }`: rustc 1.95 at opt-level ≥ 1
    // compiles that to `n.max(1)` (docs/PERFORMANCE.md, "Toolchain").
    let cards = n.clamp(1, MAX_VENDOR_CARDS);
    let room = CONTENT_RIGHT - VENDOR_LEFT - (cards as f32 - 1.0) * VENDOR_GAP;
    let w = (room / cards as f32).min(VENDOR_MAX_W);
    let mut out = vec![];
    for (i, v) in world.vendors.iter().enumerate() {
        let grouped = n > MAX_VENDOR_CARDS && i >= MAX_VENDOR_CARDS - 1;
        let slot = i.min(MAX_VENDOR_CARDS - 1);
        let id = if grouped { NodeId::VendorGroup } else { NodeId::Vendor(i as u8) };
        out.push((v.id.clone(), id));
        if nodes.contains_key(&id) {
            continue;
        }
        let left = VENDOR_LEFT + slot as f32 * (w + VENDOR_GAP);
        let rect = Rect::new(left, CONTENT_BOTTOM, left + w, BOTTOM_TOP);
        let (title, subtitle) = if grouped {
            let rest = &world.vendors[i..];
            let last = rest.last().map_or("", |l| l.id.as_str());
            (format!("+{} vendors", rest.len()), format!("{} … {last}", v.id))
        } else {
            (format!("{} {}", v.id, v.name), v.channel.clone())
        };
        nodes.insert(
            id,
            card(CardSpec { id, rect, style: Style::IconLeft, title: &title, subtitle: &subtitle, lines: 1 }),
        );
        if let Some(node) = nodes.get_mut(&id) {
            node.name = if grouped { title } else { format!("{} {} ({})", v.id, v.name, v.channel) };
        }
    }
    out
}

/// Wires being routed between the cards of a layout.
struct Router<'a> {
    nodes: &'a BTreeMap<NodeId, NodeBox>,
    wires: Vec<Wire>,
}

impl Router<'_> {
    fn r(&self, id: NodeId) -> Rect {
        self.nodes[&id].rect
    }

    fn w(&mut self, from: NodeId, to: NodeId, what: &'static str, points: Vec<Vec2>) {
        self.wires.push(Wire { from, to, what, points });
    }

    /// The write path along the top: customers to the exchange, the fan-out
    /// to the projectors and their writes to the Read DB.
    fn write_lane(&mut self) {
        let p = Vec2::new;
        let (cust, cmd) = (self.r(NodeId::Customer), self.r(NodeId::CommandApi));
        let y = cmd.center().y;
        self.w(
            NodeId::Customer,
            NodeId::CommandApi,
            "commands (HoldSeat, Pay, BookItinerary, GDPRDelete)",
            vec![p(cust.max.x, y), p(cmd.min.x, y)],
        );
        let pipe = [NodeId::CommandApi, NodeId::Aggregate, NodeId::EventStore, NodeId::Outbox, NodeId::RabbitMq];
        let what = [
            "load by fold, decide",
            "append with the expected version",
            "outbox rows, same transaction",
            "publish (retried until it succeeds)",
        ];
        for (pair, what) in pipe.windows(2).zip(what) {
            let points = vec![p(self.r(pair[0]).max.x, y), p(self.r(pair[1]).min.x, y)];
            self.w(pair[0], pair[1], what, points);
        }
        let (rabbit, readdb) = (self.r(NodeId::RabbitMq), self.r(NodeId::ReadDb));
        for proj in Projection::ALL {
            let pr = self.r(NodeId::Projector(proj));
            let py = pr.center().y;
            let fan = vec![p(rabbit.max.x, y + 10.0), p(FANOUT_X, y + 10.0), p(FANOUT_X, py), p(pr.min.x, py)];
            self.w(NodeId::RabbitMq, NodeId::Projector(proj), "a projector's own queue", fan);
            self.w(
                NodeId::Projector(proj),
                NodeId::ReadDb,
                "projection writes",
                vec![p(pr.max.x, py), p(readdb.min.x, py)],
            );
        }
    }

    /// The read path below it, and the command side's write-through.
    fn read_lane(&mut self) {
        let p = Vec2::new;
        let (cust, query, redis) = (self.r(NodeId::Customer), self.r(NodeId::QueryApi), self.r(NodeId::Redis));
        let (cmd, readdb) = (self.r(NodeId::CommandApi), self.r(NodeId::ReadDb));
        let y = query.center().y;
        let queries = vec![p(cust.max.x, y), p(query.min.x, y)];
        self.w(NodeId::Customer, NodeId::QueryApi, "queries (search, my bookings)", queries);
        self.w(NodeId::QueryApi, NodeId::Redis, "cache get", vec![p(query.max.x, y), p(redis.min.x, y)]);
        let y_pop = redis.max.y - 16.0;
        let x_db = readdb.center().x;
        let reads = vec![p(redis.max.x, y_pop), p(x_db, y_pop), p(x_db, readdb.min.y)];
        self.w(NodeId::Redis, NodeId::ReadDb, "populator reads", reads);
        let (y_out, x_in) = (cmd.center().y - 25.0, redis.min.x + 30.0);
        let through = vec![
            p(cmd.max.x, y_out),
            p(WRITE_THROUGH_X, y_out),
            p(WRITE_THROUGH_X, WRITE_THROUGH_Y),
            p(x_in, WRITE_THROUGH_Y),
            p(x_in, redis.max.y),
        ];
        self.w(NodeId::CommandApi, NodeId::Redis, "write-through (read your own writes)", through);
    }

    /// Timers and the saga orchestrator (commands up, its queue down) and
    /// the vendor row's two buses: the saga's calls and the search fan-out.
    fn saga_lane(&mut self, vendors: &[(VendorId, NodeId)]) {
        let p = Vec2::new;
        let (cmd, timers, saga) = (self.r(NodeId::CommandApi), self.r(NodeId::Timers), self.r(NodeId::Saga));
        let (rabbit, redis) = (self.r(NodeId::RabbitMq), self.r(NodeId::Redis));
        let tx = timers.center().x;
        self.w(NodeId::Timers, NodeId::CommandApi, "hold expiry commands", vec![p(tx, timers.max.y), p(tx, cmd.min.y)]);
        let y_in = cmd.center().y - 30.0;
        let up = vec![p(SAGA_UP_X, saga.max.y), p(SAGA_UP_X, y_in), p(cmd.min.x, y_in)];
        self.w(NodeId::Saga, NodeId::CommandApi, "saga step commands", up);
        let (y_q, x_in) = (cmd.center().y - 20.0, saga.max.x - 70.0);
        let queue = vec![
            p(rabbit.max.x, y_q),
            p(SAGA_QUEUE_X, y_q),
            p(SAGA_QUEUE_X, SAGA_QUEUE_Y),
            p(x_in, SAGA_QUEUE_Y),
            p(x_in, saga.max.y),
        ];
        self.w(NodeId::RabbitMq, NodeId::Saga, "the orchestrator's queue", queue);
        let (saga_out, search_out) = (saga.max.x - 30.0, redis.center().x + 30.0);
        let mut cards: Vec<NodeId> = vendors.iter().map(|(_, n)| *n).collect();
        cards.dedup();
        for v in cards {
            let vr = self.r(v);
            let (a, b) = (vr.center().x - 12.0, vr.center().x + 12.0);
            let calls = vec![p(saga_out, saga.max.y), p(saga_out, SAGA_TRUNK_Y), p(a, SAGA_TRUNK_Y), p(a, vr.max.y)];
            self.w(NodeId::Saga, v, "vendor calls and replies", calls);
            let search =
                vec![p(search_out, redis.min.y), p(search_out, SEARCH_TRUNK_Y), p(b, SEARCH_TRUNK_Y), p(b, vr.max.y)];
            self.w(NodeId::Redis, v, "search fan-out", search);
        }
    }
}

/// Every wire, routed along the channels between the cards.
fn route_wires(nodes: &BTreeMap<NodeId, NodeBox>, vendors: &[(VendorId, NodeId)]) -> Vec<Wire> {
    let mut router = Router { nodes, wires: vec![] };
    router.write_lane();
    router.read_lane();
    router.saga_lane(vendors);
    router.wires
}

/// The default world with `n` vendors (V1 … Vn), keeping the flights of those it has.
#[cfg(test)]
pub(crate) fn world_with_vendors(n: usize) -> WorldConfig {
    let mut world = WorldConfig::default();
    let names = ["Iberia", "Lufthansa", "Delta", "Air France", "KLM", "Aerolíneas Argentinas", "Qantas"];
    let channels = ["NDC", "Amadeus", "Sabre", "Travelport"];
    world.vendors = (0..n)
        .map(|i| crate::sim::config::VendorConfig {
            id: format!("V{}", i + 1).as_str().into(),
            name: names[i % names.len()].into(),
            channel: channels[i % channels.len()].into(),
            latency_ms: (100, 200),
        })
        .collect();
    world.flights.retain(|f| world.vendors.iter().any(|v| v.id == f.vendor));
    world
}

#[cfg(test)]
mod tests {
    use super::*;

    fn worlds() -> Vec<(String, WorldConfig)> {
        let mut w = vec![("default".to_string(), WorldConfig::default())];
        for n in [1, 2, 5, 6, 8, 9, 12] {
            w.push((format!("{n} vendors"), world_with_vendors(n)));
        }
        w
    }

    /// Whether the axis-aligned run a–b passes through the inside of `r`
    /// (touching its edge does not count): its bounding box, thickened to a
    /// hair, overlaps `r` shrunk by half a pixel. (Interval arithmetic, no
    /// min/max select: see the `clamp` note in `vendor_cards`.)
    fn segment_enters(a: Vec2, b: Vec2, r: Rect) -> bool {
        assert!(a.x == b.x || a.y == b.y, "runs are orthogonal");
        let run = Rect::from_corners(a, b).inflate(0.01);
        let inner = r.inflate(-0.5);
        let o = run.intersect(inner);
        o.width() > 0.0 && o.height() > 0.0
    }

    fn overlaps(a: Rect, b: Rect) -> bool {
        !a.intersect(b).is_empty() && a.intersect(b).width() > 0.01 && a.intersect(b).height() > 0.01
    }

    fn contains(outer: Rect, inner: Rect) -> bool {
        outer.inflate(0.01).contains(inner.min) && outer.inflate(0.01).contains(inner.max)
    }

    #[test]
    fn no_card_label_or_zone_overlaps_another() {
        for (name, world) in worlds() {
            let l = MapLayout::new(&world);
            let nodes: Vec<&NodeBox> = l.nodes.values().collect();
            for (i, a) in nodes.iter().enumerate() {
                assert!(
                    a.rect.min.x >= CONTENT_LEFT
                        && a.rect.max.x <= CONTENT_RIGHT
                        && a.rect.min.y >= CONTENT_BOTTOM
                        && a.rect.max.y <= CONTENT_TOP,
                    "{name}: {:?} leaves the map's content area: {:?}",
                    a.id,
                    a.rect
                );
                for label in a.labels() {
                    assert!(
                        contains(a.rect, label.rect),
                        "{name}: {:?}'s label {:?} leaves its card",
                        a.id,
                        label.text
                    );
                }
                for line in &a.lines {
                    assert!(contains(a.rect, *line), "{name}: {:?}'s counter line leaves its card", a.id);
                }
                let labels: Vec<&Label> = a.labels().collect();
                for (j, x) in labels.iter().enumerate() {
                    for y in &labels[j + 1..] {
                        assert!(!overlaps(x.rect, y.rect), "{name}: {:?}: {:?} overlaps {:?}", a.id, x.text, y.text);
                    }
                    for line in &a.lines {
                        assert!(!overlaps(x.rect, *line), "{name}: {:?}: {:?} overlaps a counter line", a.id, x.text);
                    }
                    if let Some(icon) = a.icon {
                        assert!(!overlaps(x.rect, icon), "{name}: {:?}: {:?} overlaps the icon", a.id, x.text);
                    }
                }
                for b in &nodes[i + 1..] {
                    assert!(!overlaps(a.rect, b.rect), "{name}: cards {:?} and {:?} overlap", a.id, b.id);
                    for label in b.labels() {
                        assert!(!overlaps(a.rect, label.rect), "{name}: {:?} covers {:?}'s label", a.id, b.id);
                    }
                }
                for (zone, z) in l.zones.all() {
                    assert!(!overlaps(a.rect, z), "{name}: the {zone} zone overlaps {:?}", a.id);
                }
            }
        }
    }

    #[test]
    fn no_wire_passes_through_a_card_or_zone_it_does_not_connect() {
        for (name, world) in worlds() {
            let l = MapLayout::new(&world);
            for w in &l.wires {
                let (from, to) = (l.nodes[&w.from].rect, l.nodes[&w.to].rect);
                let (first, last) = (w.points[0], *w.points.last().unwrap());
                assert!(from.inflate(0.01).contains(first), "{name}: {:?}→{:?} starts off its card", w.from, w.to);
                assert!(to.inflate(0.01).contains(last), "{name}: {:?}→{:?} ends off its card", w.from, w.to);
                for seg in w.points.windows(2) {
                    assert!(
                        seg[0].x == seg[1].x || seg[0].y == seg[1].y,
                        "{name}: {:?}→{:?} has a slanted run",
                        w.from,
                        w.to
                    );
                    for n in l.nodes.values() {
                        let ends = n.id == w.from || n.id == w.to;
                        assert!(
                            ends || !segment_enters(seg[0], seg[1], n.rect),
                            "{name}: the wire {:?}→{:?} passes through {:?}",
                            w.from,
                            w.to,
                            n.id
                        );
                    }
                    for (zone, z) in l.zones.all() {
                        assert!(
                            !segment_enters(seg[0], seg[1], z),
                            "{name}: the wire {:?}→{:?} crosses the {zone} zone",
                            w.from,
                            w.to
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn no_text_under_twelve_pixels_at_the_fit_zoom_on_1280_by_720() {
        let scale = fit_scale(Vec2::new(1280.0, 720.0));
        for (name, world) in worlds() {
            let l = MapLayout::new(&world);
            let px = l.min_font_px() / scale;
            assert!(px >= text::MIN_PX, "{name}: smallest map text {px:.1} px");
        }
        // The design area fills a 1280×720 window exactly, and a bigger
        // one draws it bigger.
        assert!((scale - 1.0).abs() < 1e-6);
        assert!(fit_scale(Vec2::new(1920.0, 1080.0)) < 1.0);
    }

    #[test]
    fn every_vendor_of_the_world_has_a_named_card() {
        let five = MapLayout::new(&world_with_vendors(5));
        for i in 0..5u8 {
            let id: VendorId = format!("V{}", i + 1).as_str().into();
            assert_eq!(five.vendor_node(&id), Some(NodeId::Vendor(i)));
            let card = &five.nodes[&NodeId::Vendor(i)];
            assert!(card.name.starts_with(&format!("V{} ", i + 1)), "{}", card.name);
            assert!(five.wire(NodeId::Saga, NodeId::Vendor(i)).is_some());
            assert!(five.wire(NodeId::Redis, NodeId::Vendor(i)).is_some());
        }
        assert_eq!(five.nodes[&NodeId::Vendor(3)].title.text, "V4 Air France");
        assert_eq!(five.vendor_node(&"V9".into()), None, "no card for a vendor the world lacks");
        assert!(!five.nodes.contains_key(&NodeId::VendorGroup));
        // The default world: Iberia, Lufthansa, Delta, by name.
        let d = MapLayout::default();
        let titles: Vec<&str> = (0..3).map(|i| d.nodes[&NodeId::Vendor(i)].title.text.as_str()).collect();
        assert_eq!(titles, ["V1 Iberia", "V2 Lufthansa", "V3 Delta"]);
    }

    #[test]
    fn past_eight_vendors_the_rest_share_one_group_card() {
        let eight = MapLayout::new(&world_with_vendors(8));
        assert!(eight.vendors.iter().all(|(_, n)| matches!(n, NodeId::Vendor(_))));
        let twelve = MapLayout::new(&world_with_vendors(12));
        let own = twelve.vendors.iter().filter(|(_, n)| matches!(n, NodeId::Vendor(_))).count();
        assert_eq!(own, MAX_VENDOR_CARDS - 1);
        assert_eq!(twelve.vendors_on(NodeId::VendorGroup).count(), 12 - own);
        assert_eq!(twelve.nodes[&NodeId::VendorGroup].title.text, "+5 vendors");
        assert_eq!(twelve.vendor_node(&"V12".into()), Some(NodeId::VendorGroup));
    }

    #[test]
    fn a_wire_is_walked_from_either_end() {
        let l = MapLayout::default();
        let (w, rev) = l.wire(NodeId::Vendor(1), NodeId::Saga).unwrap();
        assert!(rev, "the wire runs saga → vendor");
        let (start, heading) = w.pose_at(0.0, rev);
        assert!(l.nodes[&NodeId::Vendor(1)].rect.inflate(0.01).contains(start));
        assert_eq!(heading, Vec2::Y, "a reply leaves the vendor upwards");
        assert!(l.nodes[&NodeId::Saga].rect.inflate(0.01).contains(w.pose_at(1.0, rev).0));
        let (mid, _) = w.pose_at(0.5, false);
        assert!(w.points.windows(2).any(|s| Rect::from_corners(s[0], s[1]).inflate(0.01).contains(mid)));
        let quarter = w.pose_at(0.25, false).0.distance(w.points[0]);
        assert!(quarter > 0.0 && quarter <= w.length() * 0.25 + 0.01, "a quarter of the way along the path");
    }
}
