//! The engine's entities drawn on the map, so a newcomer sees things, not
//! counters: each consumer's queue as a stack of message sprites (a bounded
//! number, then "+k"), the outbox rows waiting, the store's newest rows,
//! the streams touched last, Redis keys as chips (TTL ring, populating
//! spinner, waiter count), live sagas as their step chains, each vendor's
//! seat grid (free / held / sold), the customers and the Read DB's tables.
//!
//! A fixed set of slots is spawned per layout and filled from the sim when
//! the tick changes, so a frame costs the same at 10^2 and 10^6 events.
//! Every slot is hoverable. Reads the sim; never writes it.

use super::layout::{BODY_LINE, BODY_PX, MapLayout, NodeId, palette};
use super::map::{CHIP_SLICE, Hovered, label_bundle, sliced_by};
use super::text;
use super::{MapItem, MapLayoutRes, fonts::MapFonts};
use crate::domain::{EventKind, Status};
use crate::sim::config::Catalog;
use crate::sim::consumer::ConsumerQueue;
use crate::sim::keys::KeyStore;
use crate::sim::query_api::CacheEntry;
use crate::sim::runtime::{Customers, SimClock};
use crate::sim::saga::{Saga, SagaDone, SagaState, StepAction};
use crate::sim::store::{AggregateRow, Aggregates, EventStore};
use crate::sim::vendors::Vendor;
use crate::sim::{bus::BusMessage, protocol::ConsumerId};
use crate::sim::{projectors::ProjectorView, protocol::Projection};
use bevy::asset::RenderAssetUsages;
use bevy::ecs::system::SystemParam;
use bevy::image::ImageSampler;
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};
use bevy::sprite::Anchor;
use std::collections::BTreeMap;

/// Message sprites drawn per queue before "+k".
pub const QUEUE_SPRITES: usize = 5;
/// Rows in the store, aggregate and outbox strips.
pub const STRIP_ROWS: usize = 5;
/// Redis chips drawn before "+k more" (one column: a key and its waiters
/// need the zone's whole width).
pub const CHIPS: usize = 3;
/// Live sagas drawn as step chains.
pub const SAGA_ROWS: usize = 4;
const MSG: f32 = 9.0;

/// How wide a queue's drawing is (its sprites and its "+k").
pub fn queue_width() -> f32 {
    QUEUE_SPRITES as f32 * (MSG + 2.0) + 34.0
}
const CHIP_H: f32 = 22.0;
const ROW_H: f32 = 17.0;

/// Which group of slots a slot belongs to.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    Queue(NodeId),
    Store,
    Aggregates,
    Outbox,
    Cache,
    Sagas,
    Customers,
    ReadDb,
}

/// Slot `1` of group `0`: a chip or sprite, and its text.
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot(pub Group, pub usize);

/// The text of a slot.
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlotText(pub Group, pub usize);

/// What a slot shows now.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Item {
    pub text: String,
    pub color: Color,
    pub hover: (String, String),
    /// A Redis chip's TTL left (0..1), whether it is being filled, waiters.
    pub ttl: Option<(f32, bool, usize)>,
    /// A saga row's steps, as colours.
    pub steps: Vec<Color>,
}

/// Everything the slots show, per group, and each group's "+k".
#[derive(Resource, Clone, Debug, Default)]
pub struct Board {
    pub items: BTreeMap<Group, Vec<Item>>,
    pub more: BTreeMap<Group, usize>,
    tick: Option<u64>,
}

/// A vendor flight's seat grid: one pixel per seat in an image.
#[derive(Component, Clone, Debug)]
pub struct SeatGrid {
    pub vendor: crate::domain::VendorId,
    pub flight: crate::domain::FlightId,
    pub image: Handle<Image>,
    pub cols: u32,
}

/// A "+k" counter after a group.
#[derive(Component, Clone, Copy, Debug)]
pub struct More(pub Group);

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Board>();
    app.add_systems(Update, spawn_slots.in_set(super::Relayout).after(super::map::spawn_map));
    app.add_systems(Update, (fill_board, show_board, show_seats, draw_rings).chain().in_set(super::MapSystems));
}

/// Where each slot of a group sits (its box), for this layout.
pub fn slot_rects(map: &MapLayout, group: Group) -> Vec<Rect> {
    match group {
        Group::Queue(node) => {
            let Some(n) = map.node(node) else { return vec![] };
            let Some(line) = n.lines.first() else { return vec![] };
            // Projectors: the left of their one line; the orchestrator: the
            // right end of its line.
            let y = line.center().y;
            let x0 = if node == NodeId::Saga { line.max.x - queue_width() } else { line.min.x };
            (0..QUEUE_SPRITES)
                .map(|i| {
                    Rect::from_center_size(Vec2::new(x0 + MSG / 2.0 + i as f32 * (MSG + 2.0), y), Vec2::splat(MSG))
                })
                .collect()
        }
        Group::Store | Group::Aggregates | Group::Outbox => {
            let z = match group {
                Group::Store => map.zones.store,
                Group::Aggregates => map.zones.aggregates,
                _ => map.zones.outbox,
            };
            (0..STRIP_ROWS)
                .map(|i| {
                    let top = z.max.y - i as f32 * (ROW_H + 2.0);
                    Rect::new(z.min.x, top - ROW_H, z.max.x, top)
                })
                .filter(|r| r.min.y >= z.min.y - 0.5)
                .collect()
        }
        Group::Cache => {
            let z = map.zones.cache;
            (0..CHIPS)
                .map(|i| {
                    let top = z.max.y - i as f32 * (CHIP_H + 6.0);
                    Rect::new(z.min.x, top - CHIP_H, z.max.x, top)
                })
                .collect()
        }
        Group::Sagas => body_rows(map, NodeId::Saga, 20.0, SAGA_ROWS),
        Group::Customers => body_rows(map, NodeId::Customer, ROW_H + 2.0, 16),
        Group::ReadDb => body_rows(map, NodeId::ReadDb, ROW_H + 2.0, Projection::ALL.len()),
    }
}

/// Up to `n` rows of height `h` in a card's body, top down.
fn body_rows(map: &MapLayout, node: NodeId, h: f32, n: usize) -> Vec<Rect> {
    let Some(card) = map.node(node) else { return vec![] };
    let b = card.body;
    (0..n)
        .map(|i| Rect::new(b.min.x, b.max.y - (i as f32 + 1.0) * h, b.max.x, b.max.y - i as f32 * h))
        .filter(|r| r.min.y >= b.min.y - 0.5)
        .collect()
}

/// Every group of slots the map draws.
fn all_groups() -> Vec<Group> {
    let mut g: Vec<Group> = Projection::ALL.iter().map(|p| Group::Queue(NodeId::Projector(*p))).collect();
    g.push(Group::Queue(NodeId::Saga));
    g.extend([Group::Store, Group::Aggregates, Group::Outbox, Group::Cache, Group::Sagas, Group::Customers]);
    g.push(Group::ReadDb);
    g
}

/// The groups this layout has room for.
fn groups(map: &MapLayout) -> Vec<Group> {
    all_groups().into_iter().filter(|grp| !slot_rects(map, *grp).is_empty()).collect()
}

fn hover_observers(e: &mut EntityCommands, group: Group, i: usize) {
    e.observe(move |_: On<Pointer<Over>>, board: Res<Board>, mut h: ResMut<Hovered>| {
        if let Some(item) = board.items.get(&group).and_then(|v| v.get(i)) {
            *h = Hovered::Thing { title: item.hover.0.clone(), body: item.hover.1.clone() };
        }
    })
    .observe(super::map::hover_out);
}

fn spawn_slots(
    mut commands: Commands,
    layout: Res<MapLayoutRes>,
    fonts: Res<MapFonts>,
    assets: Res<AssetServer>,
    catalog: Option<Res<Catalog>>,
    mut images: ResMut<Assets<Image>>,
    mut board: ResMut<Board>,
) {
    if !layout.is_changed() {
        return;
    }
    board.tick = None;
    let map = &layout.map;
    let chip: Handle<Image> = assets.load("icons/chip.png");
    let envelope: Handle<Image> = assets.load("icons/p_envelope.png");
    for group in groups(map) {
        let rects = slot_rects(map, group);
        for (i, r) in rects.iter().enumerate() {
            let mut e = match group {
                Group::Queue(_) => commands.spawn((
                    Sprite { image: envelope.clone(), custom_size: Some(r.size()), ..default() },
                    Transform::from_translation(r.center().extend(4.0)),
                )),
                Group::Customers | Group::ReadDb | Group::Sagas => commands.spawn((
                    Sprite::from_color(Color::NONE, r.size()),
                    Transform::from_translation(r.center().extend(1.5)),
                )),
                _ => commands.spawn((
                    sliced_by(chip.clone(), palette::CARD, r.size(), CHIP_SLICE.min(r.height() / 2.0 - 0.5)),
                    Transform::from_translation(r.center().extend(1.5)),
                )),
            };
            e.insert((MapItem, Slot(group, i), Visibility::Hidden, Pickable::default()));
            hover_observers(&mut e, group, i);
            if matches!(group, Group::Queue(_)) {
                continue;
            }
            let pad = if matches!(group, Group::Cache) { CHIP_H + 2.0 } else { 6.0 };
            commands.spawn((
                label_bundle(
                    String::new(),
                    BODY_PX,
                    fonts.regular.clone(),
                    palette::TEXT,
                    Vec2::new(r.min.x + pad, r.center().y + BODY_LINE / 2.0),
                    Anchor::TOP_LEFT,
                ),
                SlotText(group, i),
                Visibility::Hidden,
            ));
        }
        // The "+k" after the group.
        let Some(last) = rects.last() else { continue };
        let (at, anchor) = match group {
            Group::Queue(_) => (Vec2::new(last.max.x + 3.0, last.center().y + BODY_LINE / 2.0), Anchor::TOP_LEFT),
            _ => (Vec2::new(last.max.x, last.min.y - 1.0), Anchor::TOP_RIGHT),
        };
        commands.spawn((
            label_bundle(String::new(), BODY_PX, fonts.regular.clone(), palette::DIM, at, anchor),
            More(group),
        ));
    }
    if let Some(catalog) = catalog {
        spawn_seat_grids(&mut commands, map, &layout.world, &catalog, &mut images, &fonts);
    }
}

/// A grid image per flight of each vendor card, as many as its body holds.
fn spawn_seat_grids(
    commands: &mut Commands,
    map: &MapLayout,
    world: &crate::sim::config::WorldConfig,
    catalog: &Catalog,
    images: &mut Assets<Image>,
    fonts: &MapFonts,
) {
    let mut flights_of: BTreeMap<NodeId, usize> = BTreeMap::new();
    for f in &world.flights {
        if let Some(node) = map.vendor_node(&f.vendor) {
            *flights_of.entry(node).or_default() += 1;
        }
    }
    let mut rows_used: BTreeMap<NodeId, usize> = BTreeMap::new();
    let mut left_out: BTreeMap<NodeId, usize> = BTreeMap::new();
    for f in &world.flights {
        let Some(node) = map.vendor_node(&f.vendor) else { continue };
        let Some(card) = map.node(node) else { continue };
        let Some(info) = catalog.flights.get(&f.id) else { continue };
        let body = card.body;
        // Rows share the body, at least a 22 px strip each (then "+k").
        let n = flights_of.get(&node).copied().unwrap_or(1) as f32;
        let row_h = (body.height() / n).clamp(22.0, 44.0);
        let used = rows_used.entry(node).or_default();
        let top = body.max.y - *used as f32 * row_h;
        if top - row_h < body.min.y {
            *left_out.entry(node).or_default() += 1;
            continue;
        }
        *used += 1;
        let row = SeatRow { flight: f, seats: info.seat_list.len(), body, top, row_h };
        spawn_seat_row(commands, images, fonts, row);
    }
    // Flights a card has no room for are counted on it.
    for (node, k) in left_out {
        let Some(card) = map.node(node) else { continue };
        commands.spawn(label_bundle(
            format!("+{k} flight{}", if k == 1 { "" } else { "s" }),
            BODY_PX,
            fonts.regular.clone(),
            palette::DIM,
            Vec2::new(card.body.max.x, card.body.min.y + BODY_LINE),
            Anchor::TOP_RIGHT,
        ));
    }
}

/// One flight's row on its vendor card: the strip from `top` down
/// `row_h` in the card's `body`.
struct SeatRow<'a> {
    flight: &'a crate::sim::config::FlightConfig,
    /// Seats on the flight (the grid has 6 rows, as many columns as needed).
    seats: usize,
    body: Rect,
    top: f32,
    row_h: f32,
}

/// Spawns a row's seat grid (a blank image, painted by `show_seats`, with
/// a tooltip of the vendor's inventory) and the flight's label left of it.
fn spawn_seat_row(commands: &mut Commands, images: &mut Assets<Image>, fonts: &MapFonts, row: SeatRow) {
    let SeatRow { flight: f, seats, body: b, top, row_h } = row;
    let seats = seats.max(1) as u32;
    let cols = seats.div_ceil(6);
    let mut image = Image::new_fill(
        Extent3d { width: cols, height: 6, depth_or_array_layers: 1 },
        TextureDimension::D2,
        &[0, 0, 0, 0],
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::default(),
    );
    image.sampler = ImageSampler::nearest();
    let handle = images.add(image);
    let label_w = text::width("WWWWWW", BODY_PX, false).min(b.width() * 0.4);
    let grid = Rect::new(b.min.x + label_w + 4.0, top - row_h + 2.0, b.max.x, top - 2.0);
    let cell = (grid.width() / cols as f32).min(grid.height() / 6.0).min(7.0);
    let size = Vec2::new(cell * cols as f32, cell * 6.0);
    let (vendor, flight) = (f.vendor.clone(), f.id.clone());
    commands
        .spawn((
            MapItem,
            SeatGrid { vendor: f.vendor.clone(), flight: f.id.clone(), image: handle.clone(), cols },
            Sprite { image: handle, custom_size: Some(size), ..default() },
            Anchor::TOP_LEFT,
            Transform::from_translation(Vec2::new(grid.min.x, grid.max.y).extend(2.0)),
            Pickable::default(),
        ))
        .observe(move |_: On<Pointer<Over>>, vendors: Query<&Vendor>, mut h: ResMut<Hovered>| {
            let inv = vendors.iter().find(|v| v.id == vendor).and_then(|v| v.inventory.get(&flight));
            let body = inv.map_or_else(String::new, |i| {
                format!(
                    "{} held, {} sold, {} free of {} seats ({}). The vendor's own inventory: the saga holds, issues and releases here.",
                    i.held.len(),
                    i.sold.len(),
                    i.available(),
                    i.total,
                    i.route
                )
            });
            *h = Hovered::Thing { title: format!("{flight} at {vendor}: seats"), body };
        })
        .observe(super::map::hover_out);
    commands.spawn(label_bundle(
        text::fit(f.id.as_str(), BODY_PX, false, label_w),
        BODY_PX,
        fonts.regular.clone(),
        palette::DIM,
        Vec2::new(b.min.x, top - 2.0),
        Anchor::TOP_LEFT,
    ));
}

/// The sim's state the board is filled from.
#[derive(SystemParam)]
pub struct BoardSources<'w, 's> {
    clock: Option<Res<'w, SimClock>>,
    store: Option<Res<'w, EventStore>>,
    aggregates: Option<Res<'w, Aggregates>>,
    customers: Option<Res<'w, Customers>>,
    keys: Option<Res<'w, KeyStore>>,
    queues: Query<'w, 's, &'static ConsumerQueue>,
    messages: Query<'w, 's, &'static BusMessage>,
    rows: Query<'w, 's, &'static AggregateRow>,
    entries: Query<'w, 's, &'static CacheEntry>,
    sagas: Query<'w, 's, &'static Saga, Without<SagaDone>>,
    views: Query<'w, 's, &'static ProjectorView>,
}

/// Items per group being gathered for the board, cut to the slots there are.
struct Fill<'a> {
    map: &'a MapLayout,
    items: BTreeMap<Group, Vec<Item>>,
    more: BTreeMap<Group, usize>,
}

impl Fill<'_> {
    /// The group's items (as many as it has slots) and how many are left
    /// over of `total`.
    fn put(&mut self, g: Group, list: Vec<Item>, total: usize) {
        let n = slot_rects(self.map, g).len();
        self.more.insert(g, total.saturating_sub(n.min(list.len())));
        self.items.insert(g, list.into_iter().take(n).collect());
    }
}

fn fill_board(mut board: ResMut<Board>, src: BoardSources, layout: Res<MapLayoutRes>) {
    let tick = src.clock.as_ref().map(|c| c.tick);
    if board.tick == tick && !layout.is_changed() {
        return;
    }
    board.tick = tick;
    let mut fill = Fill { map: &layout.map, items: BTreeMap::new(), more: BTreeMap::new() };
    for q in &src.queues {
        let list = q.queue.iter().take(QUEUE_SPRITES).filter_map(|e| src.messages.get(*e).ok());
        fill.put(Group::Queue(NodeId::of_consumer(q.id)), list.map(|m| message_item(m, q.id)).collect(), q.queue.len());
    }
    if let Some(store) = &src.store {
        fill_store(&mut fill, store, &src);
    }
    let ttl_ticks = crate::sim::config::ticks(layout.world.timing.cache_ttl_ms).max(1) as f32;
    let mut keys: Vec<&CacheEntry> = src.entries.iter().collect();
    keys.sort_by(|a, b| b.populating.cmp(&a.populating).then(b.waiters.cmp(&a.waiters)).then(a.key.cmp(&b.key)));
    let chips = keys.iter().take(CHIPS).map(|e| cache_item(e, tick.unwrap_or(0), ttl_ticks)).collect();
    fill.put(Group::Cache, chips, keys.len());
    // The newest live sagas: one pass, no sort of every saga alive.
    let mut newest: Vec<&Saga> = Vec::with_capacity(SAGA_ROWS + 1);
    let mut live = 0;
    for s in &src.sagas {
        live += 1;
        let at = newest.partition_point(|x| x.id > s.id);
        if at < SAGA_ROWS {
            newest.insert(at, s);
            newest.truncate(SAGA_ROWS);
        }
    }
    fill.put(Group::Sagas, newest.into_iter().map(saga_item).collect(), live);
    let synthetic = src.customers.as_ref().map_or(0, |c| c.synthetic_made());
    fill_people(&mut fill, &layout.world, synthetic, src.keys.as_deref());
    let tables: Vec<Item> = Projection::ALL
        .into_iter()
        .map(|p| table_item(p, src.views.iter().find(|v| v.projection == p).map_or(0, |v| v.view.rows())))
        .collect();
    fill.put(Group::ReadDb, tables, Projection::ALL.len());
    board.items = fill.items;
    board.more = fill.more;
}

/// The store's newest rows, the outbox rows waiting, the streams touched last.
fn fill_store(fill: &mut Fill, store: &EventStore, src: &BoardSources) {
    let head = store.head_seq();
    let newest = (1..=head).rev().take(STRIP_ROWS).filter_map(|seq| store.event(seq)).map(event_item).collect();
    fill.put(Group::Store, newest, head as usize);
    let waiting = store.outbox_waiting().take(STRIP_ROWS).filter_map(|seq| store.event(seq)).map(outbox_item).collect();
    fill.put(Group::Outbox, waiting, store.outbox_pending());
    // The last few streams written, newest first (a bounded look back).
    let mut streams: Vec<Item> = vec![];
    let mut seen = vec![];
    for e in (1..=head).rev().take(200).filter_map(|seq| store.event(seq)) {
        if streams.len() >= STRIP_ROWS || seen.contains(&e.aggregate_id) {
            continue;
        }
        seen.push(e.aggregate_id.clone());
        let row = src
            .aggregates
            .as_ref()
            .zip(store.stream_no(&e.aggregate_id))
            .and_then(|(a, no)| a.by_stream(no))
            .and_then(|ent| src.rows.get(ent).ok());
        streams.extend(row.map(|r| stream_item(&r.0)));
    }
    fill.put(Group::Aggregates, streams, store.streams() as usize);
}

/// The world's named customers (an erased one marked: her name here is
/// her account's, outside the platform), and how many synthetic ones
/// were made.
fn fill_people(fill: &mut Fill, world: &crate::sim::config::WorldConfig, synthetic: u64, keys: Option<&KeyStore>) {
    let mut people: Vec<Item> = world
        .customers
        .iter()
        .map(|c| {
            let hover = format!("A named customer of the scenario: {}", c.email);
            if keys.is_some_and(|k| k.erased(&c.id)) {
                let why = "Erased: her key is destroyed, so the platform's copies of her name and e-mail \
                           (sealed in its events) can never be read again. Her name shown here is her account's.";
                Item {
                    // The card is narrow: her first name and the mark fit.
                    text: format!("{} · erased", c.name.split_whitespace().next().unwrap_or(&c.name)),
                    color: palette::DIM,
                    hover: (format!("{} ({})", c.name, c.id), why.into()),
                    ..default()
                }
            } else {
                Item {
                    text: c.name.clone(),
                    color: palette::CUSTOMER,
                    hover: (format!("{} ({})", c.name, c.id), hover),
                    ..default()
                }
            }
        })
        .collect();
    let named = people.len();
    if synthetic > 0 {
        let rows = slot_rects(fill.map, Group::Customers).len();
        people.truncate(rows.saturating_sub(1));
        people.push(Item {
            text: format!("+{synthetic} others"),
            color: palette::DIM,
            hover: ("synthetic customers".into(), "Made by the burst and stampede knobs, one per command.".into()),
            ..default()
        });
    }
    fill.put(Group::Customers, people, named + usize::from(synthetic > 0));
}

fn table_item(p: Projection, rows: usize) -> Item {
    Item {
        text: format!("{} {rows}", short_table(p)),
        color: palette::TEXT,
        hover: (format!("{} table", p.name()), format!("{rows} rows, written by the {} projector.", p.name())),
        ..default()
    }
}

fn outbox_item(e: &crate::domain::EventEnvelope) -> Item {
    Item {
        text: format!("#{} {}", e.seq, e.kind().name()),
        color: palette::EVENT,
        hover: (
            format!("outbox row: seq {}", e.seq),
            "Written in the same transaction as the event; the pumper publishes it to RabbitMQ, retrying until it succeeds."
                .into(),
        ),
        ..default()
    }
}

fn short_table(p: Projection) -> &'static str {
    match p {
        Projection::AvailableFlights => "flights",
        Projection::CustomerBookings => "bookings",
        Projection::BookingDetail => "detail",
        Projection::VendorLedger => "ledger",
        Projection::Revenue => "revenue",
    }
}

fn message_item(m: &BusMessage, consumer: ConsumerId) -> Item {
    let kind = m.event.kind().name();
    Item {
        text: String::new(),
        color: if m.duplicate { palette::DUPLICATE } else { palette::BUS },
        hover: (
            format!(
                "{}queued for {}: {kind} v{}",
                if m.duplicate { "DUPLICATE " } else { "" },
                consumer.name(),
                m.event.version
            ),
            format!(
                "seq {} of {}. Waits in the consumer's own queue until it takes it at its rate.",
                m.seq, m.event.aggregate_id
            ),
        ),
        ..default()
    }
}

/// The colour of an event type on the map.
pub fn kind_color(kind: EventKind) -> Color {
    match kind {
        EventKind::SeatHeld => palette::HELD,
        EventKind::PaymentAuthorized | EventKind::PaymentCaptured | EventKind::TicketIssued => palette::OK,
        EventKind::TicketIssueFailed | EventKind::TicketVoided => palette::FAIL,
        EventKind::RefundInitiated | EventKind::RefundCompleted => palette::BUFFER,
        EventKind::SeatReleased | EventKind::SeatHoldExpired => palette::DIM,
        EventKind::GdprTombstone => palette::SAGA,
    }
}

fn event_item(e: &crate::domain::EventEnvelope) -> Item {
    Item {
        text: format!("#{} {}", e.seq, e.kind().name()),
        color: kind_color(e.kind()),
        hover: (
            format!("seq {}: {} v{}", e.seq, e.kind().name(), e.version),
            format!("{} at tick {}. Appended, never updated; its hash covers the one before.", e.aggregate_id, e.tick),
        ),
        ..default()
    }
}

fn status_color(s: Status) -> Color {
    match s {
        Status::Held | Status::Authorized => palette::HELD,
        Status::Paid | Status::Issued => palette::OK,
        Status::IssueFailed | Status::Voided => palette::FAIL,
        Status::Refunding | Status::Refunded => palette::BUFFER,
        Status::Available | Status::Released | Status::Expired => palette::DIM,
    }
}

fn stream_item(b: &crate::domain::Booking) -> Item {
    Item {
        text: format!("{} v{}", b.id, b.version),
        color: status_color(b.status),
        hover: (
            format!("{}: {} at v{}", b.id, b.status.name(), b.version),
            "A seat's stream. Its state is the fold of its events; the next write must expect this version.".into(),
        ),
        ..default()
    }
}

fn cache_item(e: &CacheEntry, now: u64, ttl_ticks: f32) -> Item {
    let left = e.expires_tick.saturating_sub(now) as f32;
    let state = if e.populating {
        format!("being filled by one populator; {} waiting on it", e.waiters)
    } else if e.overlay {
        "holds write-through rows only (read your own writes)".to_string()
    } else {
        format!("{} hits, {} misses", e.hits, e.misses)
    };
    Item {
        text: e.key.clone(),
        color: if e.populating { palette::BUFFER } else { palette::READ },
        hover: (
            format!("Redis key {}", e.key),
            format!("TTL {:.1} s left; {state}.", left * crate::domain::TICK_MS as f32 / 1000.0),
        ),
        ttl: Some(((left / ttl_ticks).clamp(0.0, 1.0), e.populating, e.waiters)),
        ..default()
    }
}

fn saga_item(s: &Saga) -> Item {
    let n = s.legs.len();
    let steps: Vec<Color> = (0..4 * n)
        .map(|i| {
            let done = i < s.step;
            match s.state {
                SagaState::Completed => palette::OK,
                SagaState::Running if done => palette::OK,
                SagaState::Running if i == s.step => palette::HELD,
                SagaState::Compensating | SagaState::Compensated if done => palette::BUFFER,
                SagaState::Compensating | SagaState::Compensated | SagaState::Aborted | SagaState::Stuck
                    if i == s.step =>
                {
                    palette::FAIL
                }
                _ => palette::FREE,
            }
        })
        .collect();
    let step = s.step_at(s.step).map(StepAction::name).unwrap_or_default();
    Item {
        text: format!("#{} {}", s.id, s.customer),
        color: palette::SAGA,
        hover: (
            format!("saga #{} ({}): {}", s.id, s.customer, s.state.name()),
            format!(
                "Now: {}. Each dot is a step; green done, amber now, red failed, orange compensated.",
                if step.is_empty() { s.current() } else { step }
            ),
        ),
        steps,
        ..default()
    }
}

/// The "+k" labels are neither a slot nor a slot's text: `show_board`'s
/// three queries of `Text2d` and `Visibility` are disjoint.
type NotASlot = (Without<SlotText>, Without<Slot>);

fn show_board(
    board: Res<Board>,
    layout: Res<MapLayoutRes>,
    mut slots: Query<(&Slot, &mut Visibility, &mut Sprite), Without<SlotText>>,
    mut texts: Query<(&SlotText, &mut Text2d, &mut TextColor, &mut Visibility), Without<Slot>>,
    mut more: Query<(&More, &mut Text2d), NotASlot>,
) {
    if !board.is_changed() {
        return;
    }
    let get = |g: Group, i: usize| board.items.get(&g).and_then(|v| v.get(i));
    for (slot, mut vis, mut sprite) in &mut slots {
        let item = get(slot.0, slot.1);
        let want = if item.is_some() { Visibility::Inherited } else { Visibility::Hidden };
        vis.set_if_neq(want);
        let Some(item) = item else { continue };
        let color = match slot.0 {
            Group::Queue(_) => item.color,
            Group::Store | Group::Aggregates | Group::Outbox | Group::Cache => item.color.with_alpha(0.16),
            _ => Color::NONE,
        };
        if sprite.color != color {
            sprite.color = color;
        }
    }
    let rects: BTreeMap<Group, Vec<Rect>> = board.items.keys().map(|g| (*g, slot_rects(&layout.map, *g))).collect();
    for (t, mut text, mut color, mut vis) in &mut texts {
        let item = get(t.0, t.1);
        vis.set_if_neq(if item.is_some() { Visibility::Inherited } else { Visibility::Hidden });
        let Some(item) = item else { continue };
        // A Redis key with customers waiting on its populator says how many.
        let suffix = match item.ttl {
            Some((_, _, w)) if w > 0 => format!(" · {w} wait"),
            _ => String::new(),
        };
        let room = rects.get(&t.0).and_then(|r| r.get(t.1)).map_or(100.0, |r| {
            let pad = if t.0 == Group::Cache { CHIP_H + 8.0 } else { 12.0 };
            let steps = if t.0 == Group::Sagas { r.width() * 0.45 } else { 0.0 };
            r.width() - pad - steps - text::width(&suffix, BODY_PX, false)
        });
        let fitted = text::fit(&item.text, BODY_PX, false, room) + &suffix;
        if text.0 != fitted {
            text.0 = fitted;
        }
        let c =
            if matches!(t.0, Group::Store | Group::Aggregates | Group::Outbox) { item.color } else { palette::TEXT };
        let c = if t.0 == Group::Customers || t.0 == Group::ReadDb { item.color } else { c };
        if color.0 != c {
            color.0 = c;
        }
    }
    for (m, mut text) in &mut more {
        let k = board.more.get(&m.0).copied().unwrap_or(0);
        let want = if k == 0 {
            String::new()
        } else if matches!(m.0, Group::Queue(_)) {
            format!("+{k}")
        } else {
            format!("+{k} more")
        };
        if text.0 != want {
            text.0 = want;
        }
    }
}

/// Repaints each seat grid from its vendor's inventory when the tick moves.
fn show_seats(
    grids: Query<&SeatGrid>,
    vendors: Query<&Vendor>,
    catalog: Option<Res<Catalog>>,
    clock: Option<Res<SimClock>>,
    mut images: ResMut<Assets<Image>>,
    mut last: Local<Option<u64>>,
) {
    let tick = clock.map(|c| c.tick);
    let fresh = grids.iter().any(|g| images.get(&g.image).is_some_and(|i| i.data.as_ref().is_some_and(|d| d[3] == 0)));
    if *last == tick && !fresh {
        return;
    }
    *last = tick;
    let Some(catalog) = catalog else { return };
    for g in &grids {
        let Some(vendor) = vendors.iter().find(|v| v.id == g.vendor) else { continue };
        let Some(inv) = vendor.inventory.get(&g.flight) else { continue };
        let Some(info) = catalog.flights.get(&g.flight) else { continue };
        let Some(mut image) = images.get_mut(&g.image) else { continue };
        let Some(data) = image.data.as_mut() else { continue };
        let px = |c: Color| {
            let s = c.to_srgba();
            [(s.red * 255.0) as u8, (s.green * 255.0) as u8, (s.blue * 255.0) as u8, 255]
        };
        let (free, held, sold) = (px(palette::FREE), px(palette::HELD), px(palette::SOLD));
        for (i, seat) in info.seat_list.iter().enumerate() {
            let (col, row) = ((i / 6) as u32, (i % 6) as u32);
            if col >= g.cols {
                break;
            }
            let c = if inv.sold.contains_key(seat) {
                sold
            } else if inv.held.contains_key(seat) {
                held
            } else {
                free
            };
            let at = ((row * g.cols + col) * 4) as usize;
            if let Some(dst) = data.get_mut(at..at + 4) {
                dst.copy_from_slice(&c);
            }
        }
    }
}

/// TTL rings and populating spinners on Redis chips; step chains of sagas.
fn draw_rings(
    mut gizmos: Gizmos,
    board: Res<Board>,
    layout: Res<MapLayoutRes>,
    time: Res<Time<Real>>,
    focus: Res<super::Focus>,
    outages: Res<super::outage::Outages>,
) {
    let map = &layout.map;
    // Under a crashed card's grey cover, or dimmed by the spotlight.
    let dim = |n: NodeId| {
        if outages.down.contains_key(&n) {
            0.15
        } else if focus.dims(n) {
            0.35
        } else {
            1.0
        }
    };
    if let Some(chips) = board.items.get(&Group::Cache) {
        let a = dim(NodeId::Redis);
        for (item, r) in chips.iter().zip(slot_rects(map, Group::Cache)) {
            let Some((left, populating, _)) = item.ttl else { continue };
            let c = Vec2::new(r.min.x + CHIP_H / 2.0 + 1.0, r.center().y);
            let radius = CHIP_H / 2.0 - 4.0;
            gizmos.circle_2d(Isometry2d::from_translation(c), radius, palette::FREE.with_alpha(a));
            if populating {
                let spin = time.elapsed_secs() * 6.0;
                gizmos.arc_2d(
                    Isometry2d::new(c, Rot2::radians(-spin)),
                    std::f32::consts::PI * 1.2,
                    radius,
                    palette::BUFFER.with_alpha(a),
                );
            } else if left > 0.0 {
                let angle = std::f32::consts::TAU * left;
                gizmos.arc_2d(
                    Isometry2d::new(c, Rot2::radians(-angle / 2.0)),
                    angle,
                    radius,
                    palette::READ.with_alpha(a),
                );
            }
        }
    }
    if let Some(rows) = board.items.get(&Group::Sagas) {
        let a = dim(NodeId::Saga);
        for (item, r) in rows.iter().zip(slot_rects(map, Group::Sagas)) {
            let n = item.steps.len().max(1) as f32;
            let span = (r.width() * 0.45).min(n * 12.0);
            let x0 = r.max.x - span;
            let step = span / n;
            let y = r.center().y;
            for (i, c) in item.steps.iter().enumerate() {
                let x = x0 + step * (i as f32 + 0.5);
                if i > 0 {
                    gizmos.line_2d(Vec2::new(x - step + 3.5, y), Vec2::new(x - 3.5, y), palette::FREE.with_alpha(a));
                }
                gizmos.circle_2d(Isometry2d::from_translation(Vec2::new(x, y)), 3.0, c.with_alpha(a));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::layout::world_with_vendors;

    #[test]
    fn every_slot_sits_in_its_zone_or_card_and_covers_no_other_card() {
        for world in [crate::sim::config::WorldConfig::default(), world_with_vendors(2), world_with_vendors(8)] {
            let map = MapLayout::new(&world);
            for group in all_groups() {
                let home = match group {
                    Group::Queue(n) => map.nodes[&n].rect,
                    Group::Store => map.zones.store,
                    Group::Aggregates => map.zones.aggregates,
                    Group::Outbox => map.zones.outbox,
                    Group::Cache => map.zones.cache,
                    Group::Sagas => map.nodes[&NodeId::Saga].body,
                    Group::Customers => map.nodes[&NodeId::Customer].body,
                    Group::ReadDb => map.nodes[&NodeId::ReadDb].body,
                };
                let rects = slot_rects(&map, group);
                assert!(!rects.is_empty(), "{group:?} has room for something");
                for r in &rects {
                    let inside = home.inflate(0.5).contains(r.min) && home.inflate(0.5).contains(r.max);
                    assert!(inside, "{group:?}: {r:?} leaves {home:?}");
                    for n in map.nodes.values() {
                        let own = matches!(group, Group::Queue(x) if x == n.id)
                            || (group == Group::Sagas && n.id == NodeId::Saga)
                            || (group == Group::Customers && n.id == NodeId::Customer)
                            || (group == Group::ReadDb && n.id == NodeId::ReadDb);
                        let overlap = r.intersect(n.rect);
                        assert!(
                            own || overlap.width() <= 0.0 || overlap.height() <= 0.0,
                            "{group:?} covers {:?}",
                            n.id
                        );
                    }
                    // Rows and chips are at least a 12 px line tall (message
                    // sprites are icons, not text).
                    if !matches!(group, Group::Queue(_)) {
                        assert!(r.height() >= BODY_PX, "{group:?}: {} px", r.height());
                    }
                }
                for (i, a) in rects.iter().enumerate() {
                    for b in &rects[i + 1..] {
                        let o = a.intersect(*b);
                        assert!(o.width() <= 0.0 || o.height() <= 0.0, "{group:?}: slots overlap");
                    }
                }
            }
            // A projector's queue and its lag share one line without touching.
            let line = map.nodes[&NodeId::Projector(Projection::CustomerBookings)].lines[0];
            let queue_end = slot_rects(&map, Group::Queue(NodeId::Projector(Projection::CustomerBookings)))
                .last()
                .map_or(0.0, |r| r.max.x);
            let plus_k = text::width("+999", BODY_PX, false) + 3.0;
            let lag = text::width("lag 99999", BODY_PX, false);
            assert!(queue_end + plus_k <= line.max.x - lag.min(line.width() * 0.4), "queue and lag collide");
        }
    }
}
