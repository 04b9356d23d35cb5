//! The System view: one sprite per component (icon shape + hue + label, so
//! colour is never the only cue), live counters under each, wires between
//! them, and a hover target on every node and wire. Reads the sim; never
//! writes it.

use super::layout::{NodeId, Wire, wires};
use crate::sim::Knobs;
use crate::sim::bus::{Bus, ConsumerId};
use crate::sim::command_api::{CommandInFlight, CommandLog, Outcome};
use crate::sim::consumer::{Consumer, ConsumerQueue};
use crate::sim::projectors::ProjectorView;
use crate::sim::query_api::{CacheEntry, QueryInFlight, QueryLog, Redis};
use crate::sim::saga::Sagas;
use crate::sim::store::EventStore;
use crate::sim::timers::TimerWheel;
use crate::sim::vendors::Vendor;
use bevy::prelude::*;
use bevy::sprite::Anchor;

/// A node's sprite.
#[derive(Component, Clone, Copy, Debug)]
pub struct MapNode(pub NodeId);

/// A node's live counter text.
#[derive(Component, Clone, Copy, Debug)]
pub struct NodeCounter(pub NodeId);

/// A wire's (invisible) hover target.
#[derive(Component, Clone, Copy, Debug)]
pub struct WireTarget(pub Wire);

/// What the pointer is over (for the tooltip).
#[derive(Resource, Clone, Debug, Default, PartialEq)]
pub enum Hovered {
    #[default]
    Nothing,
    Node(NodeId),
    Wire(Wire),
    Particle(String),
}

/// Each node's live state in one line (also used by tooltips).
#[derive(Resource, Clone, Debug, Default)]
pub struct NodeStates(pub std::collections::BTreeMap<NodeId, String>);

pub const ICON_SIZE: f32 = 56.0;

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Hovered>();
    app.init_resource::<NodeStates>();
    app.add_systems(Startup, spawn_map);
    app.add_systems(Update, (node_states, show_counters, draw_wires).chain().in_set(super::MapSystems));
}

fn spawn_map(mut commands: Commands, assets: Res<AssetServer>) {
    for node in NodeId::all() {
        let pos = node.pos();
        commands
            .spawn((
                MapNode(node),
                Sprite {
                    image: assets.load(node.icon()),
                    color: node.color(),
                    custom_size: Some(Vec2::splat(ICON_SIZE)),
                    ..default()
                },
                Transform::from_translation(pos.extend(1.0)),
                Pickable::default(),
            ))
            .observe(move |_: On<Pointer<Over>>, mut h: ResMut<Hovered>| *h = Hovered::Node(node))
            .observe(|_: On<Pointer<Out>>, mut h: ResMut<Hovered>| *h = Hovered::Nothing);
        commands.spawn((
            Text2d::new(node.label()),
            TextFont::from_font_size(13.0),
            TextColor(Color::srgb(0.92, 0.92, 0.95)),
            Anchor::BOTTOM_CENTER,
            Transform::from_translation((pos + Vec2::new(0.0, ICON_SIZE / 2.0 + 4.0)).extend(2.0)),
            Pickable::IGNORE,
        ));
        commands.spawn((
            NodeCounter(node),
            Text2d::new(""),
            TextFont::from_font_size(11.0),
            TextColor(Color::srgb(0.75, 0.80, 0.85)),
            TextLayout::justify(Justify::Center),
            Anchor::TOP_CENTER,
            Transform::from_translation((pos - Vec2::new(0.0, ICON_SIZE / 2.0 + 4.0)).extend(2.0)),
            Pickable::IGNORE,
        ));
    }
    for wire in wires() {
        let (a, b) = (wire.from.pos(), wire.to.pos());
        let mid = (a + b) / 2.0;
        let len = (b - a).length() - ICON_SIZE;
        let angle = (b - a).to_angle();
        commands
            .spawn((
                WireTarget(wire),
                Sprite::from_color(Color::srgba(1.0, 1.0, 1.0, 0.0), Vec2::new(len.max(4.0), 10.0)),
                Transform::from_translation(mid.extend(0.0)).with_rotation(Quat::from_rotation_z(angle)),
                Pickable::default(),
            ))
            .observe(move |_: On<Pointer<Over>>, mut h: ResMut<Hovered>| *h = Hovered::Wire(wire))
            .observe(|_: On<Pointer<Out>>, mut h: ResMut<Hovered>| *h = Hovered::Nothing);
    }
}

fn draw_wires(mut gizmos: Gizmos, hovered: Res<Hovered>) {
    for wire in wires() {
        let (a, b) = (wire.from.pos(), wire.to.pos());
        let dir = (b - a).normalize_or_zero();
        let (a, b) = (a + dir * (ICON_SIZE / 2.0 + 2.0), b - dir * (ICON_SIZE / 2.0 + 2.0));
        let hot = *hovered == Hovered::Wire(wire);
        let color = if hot { Color::srgb(1.0, 1.0, 1.0) } else { Color::srgba(0.6, 0.65, 0.75, 0.45) };
        gizmos.line_2d(a, b, color);
    }
}

fn show_counters(states: Res<NodeStates>, mut q: Query<(&NodeCounter, &mut Text2d)>) {
    if !states.is_changed() {
        return;
    }
    for (c, mut t) in &mut q {
        if let Some(s) = states.0.get(&c.0)
            && t.0 != *s
        {
            t.0 = s.clone();
        }
    }
}

/// Computes every node's live one-liner from the sim.
#[allow(clippy::too_many_arguments)]
fn node_states(
    mut states: ResMut<NodeStates>,
    store: Option<Res<EventStore>>,
    log: Option<Res<CommandLog>>,
    bus: Option<Res<Bus>>,
    redis: Option<Res<Redis>>,
    qlog: Option<Res<QueryLog>>,
    sagas: Option<Res<Sagas>>,
    wheel: Option<Res<TimerWheel>>,
    knobs: Option<Res<Knobs>>,
    consumers: Query<(&Consumer, &ConsumerQueue, Option<&ProjectorView>)>,
    vendors: Query<&Vendor>,
    cmds: Query<&CommandInFlight>,
    queries: Query<&QueryInFlight>,
    entries: Query<&CacheEntry>,
) {
    let (Some(store), Some(log), Some(bus), Some(redis), Some(qlog), Some(sagas), Some(wheel), Some(knobs)) =
        (store, log, bus, redis, qlog, sagas, wheel, knobs)
    else {
        return;
    };
    let head = store.head_seq();
    let mut s = std::collections::BTreeMap::new();
    s.insert(
        NodeId::Customer,
        format!("{} commands  |  {} queries in flight", cmds.iter().count(), queries.iter().count()),
    );
    s.insert(
        NodeId::CommandApi,
        format!(
            "ok {}  |  conflict {}  |  rejected {}",
            log.count(Outcome::Ok),
            log.count(Outcome::Conflict),
            log.count(Outcome::Rejected)
        ),
    );
    let last = store.row(head).map(|_| format!("head seq {head}")).unwrap_or_else(|| "no streams yet".into());
    s.insert(NodeId::Aggregate, last);
    let h = crate::domain::hex(&store.head_hash());
    s.insert(NodeId::EventStore, format!("{head} events  |  chain {}", &h[..8]));
    s.insert(
        NodeId::Outbox,
        format!(
            "{} rows waiting{}",
            store.outbox_pending(),
            if knobs.publish_fail_pct > 0 { "  |  PUBLISH FAILING" } else { "" }
        ),
    );
    s.insert(
        NodeId::RabbitMq,
        format!(
            "{} in flight  |  {} dups sent{}",
            bus.in_flight_total(),
            bus.duplicates_sent,
            if knobs.reorder { "  |  REORDER" } else { "" }
        ),
    );
    let mut rows = 0;
    for (c, q, pv) in &consumers {
        let node = NodeId::of_consumer(c.id);
        let stalled = matches!(c.id, ConsumerId::Projector(p) if knobs.stalled.contains(&p));
        let mut line = format!(
            "lag {}  |  queue {}  |  dup {}  |  buf {}",
            c.lag(head),
            q.queue.len(),
            c.duplicates_skipped,
            c.buffered
        );
        if let Some(pv) = pv {
            rows += pv.view.rows();
            if pv.replay.is_some() {
                line += "  |  REPLAYING";
            }
        }
        if stalled {
            line += "  |  DOWN";
        }
        if let Some((agg, waiting)) = c.buffered_for().next() {
            let first = waiting.keys().next().copied().unwrap_or(0);
            line += &format!(
                "\n{} buffered: {agg} v{first} waits for v{}",
                c.buffered,
                c.waiting_for(store.stream_no(agg))
            );
        }
        if c.id == ConsumerId::Orchestrator {
            line = format!("{} active  |  {} started  |  queue {}", sagas.active(), sagas.started, q.queue.len());
        }
        s.insert(node, line);
    }
    s.insert(NodeId::ReadDb, format!("{rows} rows"));
    s.insert(NodeId::QueryApi, format!("{} served  |  {} hits", qlog.served, qlog.served_hit));
    let populating = entries.iter().filter(|e| e.populating).count();
    s.insert(
        NodeId::Redis,
        format!(
            "{} keys  |  hit {}  |  miss {}  |  populating {populating}",
            redis.entries.len(),
            redis.hits,
            redis.misses
        ),
    );
    let mut vs: Vec<&Vendor> = vendors.iter().collect();
    vs.sort_by(|a, b| a.id.cmp(&b.id));
    for (i, v) in vs.iter().enumerate() {
        let held: usize = v.inventory.values().map(|i| i.held.len()).sum();
        let sold: usize = v.inventory.values().map(|i| i.sold.len()).sum();
        let avail: i64 = v.inventory.values().map(|i| i.available()).sum();
        let mut line = format!("held {held}  |  sold {sold}  |  free {avail}");
        if let Some(ms) = knobs.slow_vendor_ms.get(&v.id) {
            line += &format!("  |  SLOW +{ms}ms");
        }
        if knobs.fail_issue.contains(&v.id) {
            line += "  |  ISSUE 5xx";
        }
        if knobs.fail_hold.contains(&v.id) {
            line += "  |  HOLD 5xx";
        }
        s.insert(NodeId::Vendor(i as u8), line);
    }
    s.insert(NodeId::Timers, format!("{} pending", wheel.len()));
    if states.0 != s {
        states.0 = s;
    }
}
