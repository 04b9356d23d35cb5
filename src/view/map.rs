//! The System view's cards and wires, drawn from the [`MapLayout`] of the
//! world being played: a rounded card per component (role colour on the
//! edge, an icon, a title, a subtitle, live counter lines fitted to the
//! card), the wires as orthogonal polylines with an arrowhead, and a hover
//! target on every card and wire. When the world changes (another scenario)
//! everything is laid out and spawned again. Reads the sim; never writes it.

use super::layout::{BODY_PX, NodeBox, NodeId, palette};
use super::text;
use super::{MapItem, MapLayoutRes, MapText, fonts::MapFonts};
use crate::sim::Knobs;
use crate::sim::consumer::{Consumer, ConsumerQueue};
use crate::sim::projectors::ProjectorView;
use crate::sim::query_api::{CacheEntry, QueryInFlight, QueryLog, Redis};
use crate::sim::saga::Sagas;
use crate::sim::store::EventStore;
use crate::sim::timers::TimerWheel;
use crate::sim::vendors::Vendor;
use crate::sim::{bus::Bus, protocol::ConsumerId};
use crate::sim::{
    command_intake::{CommandInFlight, CommandLog},
    protocol::Outcome,
};
use crate::viewstate::Hover;
use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy::sprite::{Anchor, SliceScaleMode, SpriteImageMode, TextureSlicer};
use std::collections::BTreeMap;

/// A card's background sprite.
#[derive(Component, Clone, Copy, Debug)]
pub struct Card(pub NodeId);

/// A card's edge (tinted by role; red when something broke there).
#[derive(Component, Clone, Copy, Debug)]
pub struct CardEdge(pub NodeId);

/// Counter line `1` of card `0`.
#[derive(Component, Clone, Copy, Debug)]
pub struct CounterLine(pub NodeId, pub usize);

/// A hover target along one run of wire number `0`.
#[derive(Component, Clone, Copy, Debug)]
pub struct WireHit(pub usize);

/// What the pointer is over on the map (the tooltip is built from it each
/// frame, so a node's state stays live while hovered).
#[derive(Resource, Clone, Debug, Default, PartialEq)]
pub enum Hovered {
    #[default]
    Nothing,
    Node(NodeId),
    Wire(usize),
    /// A particle or an entity drawing, with its own text.
    Thing {
        title: String,
        body: String,
    },
}

/// How a counter line reads.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum Tone {
    #[default]
    Normal,
    /// A fault is being injected here, or something broke.
    Alert,
    /// It came back from a crash a moment ago.
    Recovered,
}

/// Each card's live counter lines (also the tooltip's state).
#[derive(Resource, Clone, Debug, Default, PartialEq)]
pub struct NodeStates(pub BTreeMap<NodeId, Vec<(String, Tone)>>);

impl NodeStates {
    fn put(&mut self, node: NodeId, lines: impl IntoIterator<Item = (String, Tone)>) {
        self.0.insert(node, lines.into_iter().collect());
    }
}

fn plain(s: impl Into<String>) -> (String, Tone) {
    (s.into(), Tone::Normal)
}

/// The 9-slice border of `card.png` / `card_edge.png` (64 px, radius 14).
const CARD_SLICE: f32 = 16.0;
/// … and of `chip.png` (64×32, fully round ends): under half its height.
pub const CHIP_SLICE: f32 = 15.0;

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Hovered>();
    app.init_resource::<NodeStates>();
    app.add_systems(Update, (node_states, show_counters, draw_wires, hover_text).chain().in_set(super::MapSystems));
}

/// The pointer left a hover target: the tooltip goes.
pub fn hover_out(_: On<Pointer<Out>>, mut h: ResMut<Hovered>) {
    *h = Hovered::Nothing;
}

/// A 9-sliced sprite of a card texture, `size` big.
pub fn sliced(image: Handle<Image>, color: Color, size: Vec2) -> Sprite {
    sliced_by(image, color, size, CARD_SLICE)
}

/// A 9-sliced sprite with a `border`-pixel frame.
pub fn sliced_by(image: Handle<Image>, color: Color, size: Vec2, border: f32) -> Sprite {
    Sprite {
        image,
        color,
        custom_size: Some(size),
        image_mode: SpriteImageMode::Sliced(TextureSlicer {
            border: BorderRect::all(border),
            center_scale_mode: SliceScaleMode::Stretch,
            sides_scale_mode: SliceScaleMode::Stretch,
            max_corner_scale: 0.5,
        }),
        ..default()
    }
}

/// A label of the map, drawn at its layout box.
pub fn label_bundle(text: String, px: f32, font: Handle<Font>, color: Color, at: Vec2, anchor: Anchor) -> impl Bundle {
    (
        MapItem,
        MapText { px },
        Text2d::new(text),
        TextFont::from_font_size(px).with_font(font),
        TextColor(color),
        anchor,
        Transform::from_translation(at.extend(3.0)),
        Pickable::IGNORE,
    )
}

pub(super) fn spawn_map(
    mut commands: Commands,
    layout: Res<MapLayoutRes>,
    fonts: Res<MapFonts>,
    assets: Res<AssetServer>,
    old: Query<Entity, With<MapItem>>,
) {
    if !layout.is_changed() {
        return;
    }
    for e in &old {
        commands.entity(e).despawn();
    }
    let card_img: Handle<Image> = assets.load("icons/card.png");
    let edge_img: Handle<Image> = assets.load("icons/card_edge.png");
    for node in layout.map.nodes.values() {
        spawn_card(&mut commands, node, &fonts, &assets, (&card_img, &edge_img));
    }
    for (i, wire) in layout.map.wires.iter().enumerate() {
        for seg in wire.points.windows(2) {
            let (a, b) = (seg[0], seg[1]);
            let size = Vec2::new((b.x - a.x).abs().max(8.0), (b.y - a.y).abs().max(8.0));
            commands
                .spawn((
                    MapItem,
                    WireHit(i),
                    Sprite::from_color(Color::NONE, size),
                    Transform::from_translation(((a + b) / 2.0).extend(0.5)),
                    Pickable::default(),
                ))
                .observe(move |_: On<Pointer<Over>>, mut h: ResMut<Hovered>| *h = Hovered::Wire(i))
                .observe(hover_out);
        }
    }
}

fn spawn_card(
    commands: &mut Commands,
    node: &NodeBox,
    fonts: &MapFonts,
    assets: &AssetServer,
    (card_img, edge_img): (&Handle<Image>, &Handle<Image>),
) {
    let id = node.id;
    let c = node.rect.center();
    commands
        .spawn((
            MapItem,
            Card(id),
            sliced(card_img.clone(), palette::CARD, node.rect.size()),
            Transform::from_translation(c.extend(1.0)),
            Pickable::default(),
        ))
        .observe(move |_: On<Pointer<Over>>, mut h: ResMut<Hovered>| *h = Hovered::Node(id))
        .observe(hover_out);
    commands.spawn((
        MapItem,
        CardEdge(id),
        sliced(edge_img.clone(), id.color().with_alpha(0.75), node.rect.size()),
        Transform::from_translation(c.extend(1.2)),
        Pickable::IGNORE,
    ));
    if let Some(icon) = node.icon {
        commands.spawn((
            MapItem,
            Sprite { image: assets.load(id.icon()), color: id.color(), custom_size: Some(icon.size()), ..default() },
            Transform::from_translation(icon.center().extend(2.0)),
            Pickable::IGNORE,
        ));
    }
    let (anchor, x_of) = text_anchor(node.centred);
    // The title in bold and bright, the subtitle regular and dim.
    for label in node.labels() {
        let (font, color) =
            if label.bold { (fonts.bold.clone(), palette::TEXT) } else { (fonts.regular.clone(), palette::DIM) };
        let at = Vec2::new(x_of(label.rect), label.rect.max.y);
        commands.spawn(label_bundle(label.text.clone(), label.px, font, color, at, anchor));
    }
    for (i, line) in node.lines.iter().enumerate() {
        let right = matches!(id, NodeId::Projector(_));
        let (anchor, x) = if right {
            (Anchor::TOP_RIGHT, line.max.x)
        } else if node.centred {
            (Anchor::TOP_CENTER, line.center().x)
        } else {
            (Anchor::TOP_LEFT, line.min.x)
        };
        commands.spawn((
            label_bundle(
                String::new(),
                BODY_PX,
                fonts.regular.clone(),
                palette::TEXT,
                Vec2::new(x, line.max.y),
                anchor,
            ),
            CounterLine(id, i),
        ));
    }
}

/// Where a label's anchor sits on its box.
pub(super) fn text_anchor(centred: bool) -> (Anchor, fn(Rect) -> f32) {
    if centred { (Anchor::TOP_CENTER, |r: Rect| r.center().x) } else { (Anchor::TOP_LEFT, |r: Rect| r.min.x) }
}

fn draw_wires(mut gizmos: Gizmos, layout: Res<MapLayoutRes>, hovered: Res<Hovered>, focus: Res<super::Focus>) {
    for (i, wire) in layout.map.wires.iter().enumerate() {
        let hot = *hovered == Hovered::Wire(i);
        let dim = focus.dims(wire.from) && focus.dims(wire.to);
        let color = if hot {
            Color::WHITE
        } else if dim {
            palette::WIRE.with_alpha(0.18)
        } else {
            palette::WIRE
        };
        gizmos.linestrip_2d(wire.points.iter().copied(), color);
        // An arrowhead where it arrives.
        if let [.., a, b] = wire.points.as_slice() {
            let dir = (*b - *a).normalize_or_zero();
            let side = Vec2::new(-dir.y, dir.x);
            let tip = *b - dir * 1.0;
            for s in [-1.0, 1.0] {
                gizmos.line_2d(tip, tip - dir * 6.0 + side * 4.0 * s, color);
            }
        }
    }
}

fn show_counters(
    states: Res<NodeStates>,
    layout: Res<MapLayoutRes>,
    mut q: Query<(&CounterLine, &mut Text2d, &mut TextColor)>,
) {
    if !states.is_changed() && !layout.is_changed() {
        return;
    }
    for (c, mut t, mut color) in &mut q {
        let Some(node) = layout.map.node(c.0) else { continue };
        let Some(rect) = node.lines.get(c.1) else { continue };
        let (line, tone) = states.0.get(&c.0).and_then(|l| l.get(c.1)).cloned().unwrap_or_default();
        // Queue lines share their row with the queue's message sprites.
        let room = match c.0 {
            NodeId::Projector(_) => rect.width() * 0.4,
            NodeId::Saga => rect.width() - super::entities::queue_width(),
            _ => rect.width(),
        };
        let fitted = text::fit(&line, BODY_PX, false, room);
        if t.0 != fitted {
            t.0 = fitted;
        }
        let want = match tone {
            Tone::Alert => palette::FAIL,
            Tone::Recovered => palette::OK,
            Tone::Normal => Color::srgb(0.80, 0.83, 0.88),
        };
        if color.0 != want {
            color.0 = want;
        }
    }
}

/// The sim's resources the counters read (all optional: the map also
/// runs before the engine's first tick).
#[derive(SystemParam)]
pub struct SimCounters<'w> {
    store: Option<Res<'w, EventStore>>,
    log: Option<Res<'w, CommandLog>>,
    bus: Option<Res<'w, Bus>>,
    redis: Option<Res<'w, Redis>>,
    qlog: Option<Res<'w, QueryLog>>,
    sagas: Option<Res<'w, Sagas>>,
    wheel: Option<Res<'w, TimerWheel>>,
    knobs: Option<Res<'w, Knobs>>,
}

/// The sim's entities the counters count: consumers with their queues,
/// vendors, commands and queries in flight, and Redis's entries.
#[derive(SystemParam)]
pub struct SimEntities<'w, 's> {
    consumers: Query<'w, 's, (&'static Consumer, &'static ConsumerQueue, Option<&'static ProjectorView>)>,
    vendors: Query<'w, 's, &'static Vendor>,
    cmds: Query<'w, 's, &'static CommandInFlight>,
    queries: Query<'w, 's, &'static QueryInFlight>,
    entries: Query<'w, 's, &'static CacheEntry>,
}

/// [`SimCounters`] once the engine has run: every resource there.
struct Counters<'a> {
    store: &'a EventStore,
    log: &'a CommandLog,
    bus: &'a Bus,
    redis: &'a Redis,
    qlog: &'a QueryLog,
    sagas: &'a Sagas,
    wheel: &'a TimerWheel,
    knobs: &'a Knobs,
}

impl SimCounters<'_> {
    /// All the counters' resources, or `None` before the engine's first tick.
    fn get(&self) -> Option<Counters<'_>> {
        Some(Counters {
            store: self.store.as_deref()?,
            log: self.log.as_deref()?,
            bus: self.bus.as_deref()?,
            redis: self.redis.as_deref()?,
            qlog: self.qlog.as_deref()?,
            sagas: self.sagas.as_deref()?,
            wheel: self.wheel.as_deref()?,
            knobs: self.knobs.as_deref()?,
        })
    }
}

/// Computes every card's live lines from the sim.
fn node_states(
    mut states: ResMut<NodeStates>,
    sim: SimCounters,
    rows: SimEntities,
    layout: Res<MapLayoutRes>,
    outages: Res<super::outage::Outages>,
) {
    let Some(c) = sim.get() else { return };
    let mut s = NodeStates::default();
    c.write_path(&mut s, rows.cmds.iter().count() + rows.queries.iter().count());
    c.consumers(&mut s, &rows.consumers);
    c.read_path(&mut s, rows.entries.iter().filter(|e| e.populating).count());
    c.vendors(&mut s, &rows.vendors, &layout.map);
    // A part back from a crash says so on its first line, in green, while
    // the counters show it recovering.
    for node in outages.back.keys() {
        if let Some((line, tone)) = s.0.get_mut(node).and_then(|l| l.first_mut()) {
            // A projector's line has room for one word beside its queue.
            *line = match node {
                NodeId::Projector(_) => "restarted".into(),
                _ => format!("restarted · {line}"),
            };
            *tone = Tone::Recovered;
        }
    }
    if *states != s {
        *states = s;
    }
}

impl Counters<'_> {
    /// Customers, Command API, aggregates, event store, outbox, RabbitMQ.
    fn write_path(&self, s: &mut NodeStates, in_flight: usize) {
        let Counters { store, log, bus, knobs, .. } = self;
        s.put(NodeId::Customer, [plain(format!("{in_flight} in flight"))]);
        s.put(
            NodeId::CommandApi,
            [
                plain(format!("ok {}", log.count(Outcome::Ok))),
                plain(format!("conflict {} · rej {}", log.count(Outcome::Conflict), log.count(Outcome::Rejected))),
            ],
        );
        let streams = store.streams();
        s.put(NodeId::Aggregate, [plain(format!("{streams} stream{}", if streams == 1 { "" } else { "s" }))]);
        let chain = crate::domain::hex(&store.head_hash());
        s.put(
            NodeId::EventStore,
            [plain(format!("{} events", store.head_seq())), plain(format!("chain {}", &chain[..8]))],
        );
        let failing = if knobs.publish_fail_pct > 0 {
            (format!("publish fails {}%", knobs.publish_fail_pct), Tone::Alert)
        } else {
            plain(format!("{} published", bus.published))
        };
        s.put(NodeId::Outbox, [plain(format!("{} waiting", store.outbox_pending())), failing]);
        let second = if knobs.reorder {
            ("REORDERING".to_string(), Tone::Alert)
        } else if knobs.duplicate_pct > 0 {
            (format!("duplicating {}%", knobs.duplicate_pct), Tone::Alert)
        } else {
            plain(format!("{} dups sent", bus.duplicates_sent))
        };
        s.put(NodeId::RabbitMq, [plain(format!("{} in flight", bus.in_flight_total())), second]);
    }

    /// The saga orchestrator's card and each projector's (its lag, or why
    /// it has none).
    fn consumers(&self, s: &mut NodeStates, consumers: &Query<(&Consumer, &ConsumerQueue, Option<&ProjectorView>)>) {
        let Counters { store, sagas, knobs, .. } = self;
        for (c, _, pv) in consumers {
            let ConsumerId::Projector(p) = c.id else {
                s.put(NodeId::Saga, [plain(format!("{} live · {} started", sagas.active(), sagas.started))]);
                continue;
            };
            let line = if knobs.stalled.contains(&p) {
                ("DOWN".to_string(), Tone::Alert)
            } else if pv.is_some_and(|v| v.replay.is_some()) {
                ("replaying".to_string(), Tone::Alert)
            } else {
                plain(format!("lag {}", c.lag(store.head_seq())))
            };
            s.put(NodeId::Projector(p), [line]);
        }
    }

    /// Query API, Redis (`populating`: keys being filled now), timers.
    fn read_path(&self, s: &mut NodeStates, populating: usize) {
        let Counters { qlog, redis, wheel, .. } = self;
        s.put(NodeId::QueryApi, [plain(format!("{} served · {} hit", qlog.served, qlog.served_hit))]);
        let redis_line = if populating > 0 {
            format!("{} keys · {populating} filling", redis.entries.len())
        } else {
            format!("{} keys · {} miss", redis.entries.len(), redis.misses)
        };
        s.put(NodeId::Redis, [plain(redis_line)]);
        s.put(NodeId::Timers, [plain(format!("{} pending", wheel.len()))]);
    }

    /// Each vendor card: seats held and sold over its vendors, or the
    /// faults injected there.
    fn vendors(&self, s: &mut NodeStates, vendors: &Query<&Vendor>, map: &super::layout::MapLayout) {
        let knobs = self.knobs;
        let mut per_card: BTreeMap<NodeId, (usize, usize, Vec<String>)> = BTreeMap::new();
        for v in vendors {
            let Some(node) = map.vendor_node(&v.id) else { continue };
            let e = per_card.entry(node).or_default();
            e.0 += v.inventory.values().map(|i| i.held.len()).sum::<usize>();
            e.1 += v.inventory.values().map(|i| i.sold.len()).sum::<usize>();
            if let Some(ms) = knobs.slow_vendor_ms.get(&v.id) {
                e.2.push(format!("SLOW +{:.1} s", *ms as f64 / 1000.0));
            }
            if knobs.fail_issue.contains(&v.id) {
                e.2.push("ISSUE 5xx".into());
            }
            if knobs.fail_hold.contains(&v.id) {
                e.2.push("HOLD 5xx".into());
            }
        }
        for (node, (held, sold, alerts)) in per_card {
            let line = if alerts.is_empty() {
                plain(format!("{held} held · {sold} sold"))
            } else {
                (alerts.join(" · "), Tone::Alert)
            };
            s.put(node, [line]);
        }
    }
}

/// The tooltip's text for what is hovered, refreshed every frame.
fn hover_text(
    hovered: Res<Hovered>,
    layout: Res<MapLayoutRes>,
    states: Res<NodeStates>,
    outages: Res<super::outage::Outages>,
    mut hover: ResMut<Hover>,
) {
    let want = match &*hovered {
        Hovered::Nothing => Hover::default(),
        Hovered::Node(n) => Hover {
            title: layout.map.node(*n).map_or_else(String::new, |b| b.name.clone()),
            body: n.explain().to_string(),
            state: outages.banner(*n).map(|(head, line)| format!("{head}: {line}\n")).unwrap_or_default()
                + &states
                    .0
                    .get(n)
                    .map(|l| l.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>().join("\n"))
                    .unwrap_or_default(),
        },
        Hovered::Wire(i) => match layout.map.wires.get(*i) {
            Some(w) => {
                let name = |n: NodeId| layout.map.node(n).map_or_else(String::new, |b| b.name.clone());
                Hover {
                    title: format!("{} → {}", name(w.from), name(w.to)),
                    body: w.what.to_string(),
                    state: String::new(),
                }
            }
            None => Hover::default(),
        },
        Hovered::Thing { title, body } => Hover { title: title.clone(), body: body.clone(), state: String::new() },
    };
    if *hover != want {
        *hover = want;
    }
}
