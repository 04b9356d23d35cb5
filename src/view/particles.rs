//! Particles: every command, append, publish, delivery, duplicate, apply,
//! vendor call and reply, query, cache hit and miss becomes a sprite that
//! travels its wire (bevy_tweening, along the wire's polyline), with a
//! shape and a colour per kind (see [`Kind`] and the legend), for as long
//! as the message's simulated transit takes at the current speed, and a
//! short label (`SeatHeld v1`) when the map is zoomed in. Failures and
//! rejections burst red at their card. Purely decorative: the sim never
//! hears back from a particle. The number alive is capped, so a burst ×10
//! cannot pile them up.

use super::MapLayoutRes;
use super::layout::{MapLayout, NodeId, palette};
use super::map::Hovered;
use crate::sim::protocol::{Outcome, VendorOpKind};
use crate::sim::signals::{ApplyOutcome, SimSignal};
use crate::viewstate::{MapStats, Pinned};
use bevy::prelude::*;
use bevy_tweening::{AnimCompletedEvent, Delay, Lens, Tween, TweenAnim};
use std::time::Duration;

/// Most particles alive at once; more are counted as dropped.
pub const MAX_PARTICLES: usize = 600;

/// The shortest a trip is shown, in real milliseconds (a one-tick hop at
/// full speed would otherwise be invisible).
pub const MIN_TRIP_MS: f32 = 120.0;
/// The longest (a 5 s vendor delay at 0.25× would take 20 s).
pub const MAX_TRIP_MS: f32 = 6_000.0;

#[derive(Resource, Debug, Default, Clone, Copy)]
pub struct Particles {
    pub alive: usize,
    pub spawned: u64,
    pub dropped: u64,
}

/// A particle and what it carries (for its tooltip).
#[derive(Component, Clone, Debug)]
pub struct Particle(pub String);

/// The bigger, golden look of a particle on the pinned causal chain.
const CHAIN_SIZE: f32 = 16.0;
const SIZE: f32 = 12.0;

/// What kind of message a particle is: its shape and colour.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Command,
    Append,
    Publish,
    Delivery,
    Duplicate,
    Apply,
    VendorCall,
    VendorReply,
    Query,
    CacheHit,
    CacheMiss,
}

// The legend's words.
crate::names!(Kind as "message kind" {
    Command => "command",
    Append => "event appended",
    Publish => "published",
    Delivery => "delivery",
    Duplicate => "duplicate",
    Apply => "applied",
    VendorCall => "vendor call",
    VendorReply => "vendor reply",
    Query => "answer",
    CacheHit => "cache hit",
    CacheMiss => "cache miss",
});

impl Kind {
    pub fn sprite(self) -> &'static str {
        match self {
            Kind::Command => "icons/p_command.png",
            Kind::Append => "icons/p_event.png",
            Kind::Publish | Kind::Delivery => "icons/p_envelope.png",
            Kind::Duplicate => "icons/p_duplicate.png",
            Kind::Apply => "icons/p_apply.png",
            Kind::VendorCall | Kind::VendorReply => "icons/p_vendor.png",
            Kind::Query => "icons/p_query.png",
            Kind::CacheHit => "icons/p_hit.png",
            Kind::CacheMiss => "icons/p_miss.png",
        }
    }

    pub fn color(self) -> Color {
        match self {
            Kind::Command => palette::COMMAND,
            Kind::Append => palette::EVENT,
            Kind::Publish => palette::BUS,
            Kind::Delivery => Color::srgb(0.99, 0.93, 0.62),
            Kind::Duplicate => palette::DUPLICATE,
            Kind::Apply => palette::PROJECTOR,
            Kind::VendorCall => palette::SAGA,
            Kind::VendorReply => Color::srgb(0.82, 0.75, 1.0),
            Kind::Query => palette::READ,
            Kind::CacheHit => Color::srgb(0.35, 0.90, 0.95),
            Kind::CacheMiss => Color::srgb(0.40, 0.52, 0.98),
        }
    }
}

/// What a signal looks like on the map.
#[derive(Clone, Debug, PartialEq)]
pub enum Fx {
    /// A particle from one card to another, starting `delay_ms` (simulated)
    /// from now and taking `ms` (simulated).
    Travel { from: NodeId, to: NodeId, kind: Kind, label: String, what: String, ms: u64, delay_ms: u64 },
    /// A ring that bursts at a card.
    Burst { at: NodeId, color: Color, what: String },
}

impl Fx {
    /// The cards it touches (both ends of a trip, or the card that flashes).
    pub fn cards(&self) -> [Option<NodeId>; 2] {
        match self {
            Fx::Travel { from, to, .. } => [Some(*from), Some(*to)],
            Fx::Burst { at, .. } => [Some(*at), None],
        }
    }
}

/// This frame's signals as map effects, worked out once for the particles,
/// the causal chain and the spotlight: (correlation id, effect).
#[derive(Resource, Debug, Default)]
pub struct FrameEffects(pub Vec<(u64, Fx)>);

/// Reads the engine's signals of this frame into [`FrameEffects`].
pub(super) fn collect_effects(
    mut signals: MessageReader<SimSignal>,
    layout: Res<MapLayoutRes>,
    mut out: ResMut<FrameEffects>,
) {
    out.0.clear();
    for s in signals.read() {
        let c = s.correlation();
        out.0.extend(effects(s, &layout.map).into_iter().map(|fx| (c, fx)));
    }
}

fn travel(from: NodeId, to: NodeId, kind: Kind, label: String, what: String, ms: u64) -> Fx {
    Fx::Travel { from, to, kind, label, what, ms, delay_ms: 0 }
}

/// One tick's hop, for moves that take no simulated time of their own.
const HOP: u64 = crate::domain::TICK_MS;

/// The particles and bursts one signal makes, on the map of the world
/// being played. A vendor the map has no card for makes none.
pub fn effects(signal: &SimSignal, map: &MapLayout) -> Vec<Fx> {
    use SimSignal::*;
    match signal {
        CommandSent { .. } | CommandDone { .. } | EventAppended { .. } => write_path(signal),
        OutboxPublished { .. } | MessageSent { .. } | Delivered { .. } | ProjectionApplied { .. } => bus(signal),
        VendorCalled { .. } | VendorReplied { .. } | SagaStep { .. } => sagas(signal, map),
        CacheGet { .. } | CachePopulated { .. } | QueryServed { .. } => read_path(signal),
        // The call's particle already flew the round trip.
        SearchReplied { .. } => vec![],
    }
}

/// Commands, decisions and appends.
fn write_path(signal: &SimSignal) -> Vec<Fx> {
    match signal {
        SimSignal::CommandSent { id, .. } => {
            vec![travel(
                NodeId::Customer,
                NodeId::CommandApi,
                Kind::Command,
                "cmd".into(),
                format!("command #{id}"),
                HOP,
            )]
        }
        SimSignal::CommandDone { id, outcome: Outcome::Ok, .. } => vec![travel(
            NodeId::CommandApi,
            NodeId::Aggregate,
            Kind::Command,
            "decide".into(),
            format!("command #{id}: folded its stream, decided; appending"),
            HOP,
        )],
        SimSignal::CommandDone { id, outcome, .. } => {
            vec![Fx::Burst {
                at: NodeId::CommandApi,
                color: palette::FAIL,
                what: format!("command #{id}: {}", outcome.name()),
            }]
        }
        SimSignal::EventAppended { seq, kind, version, .. } => {
            let label = format!("{} v{version}", kind.name());
            vec![
                travel(
                    NodeId::Aggregate,
                    NodeId::EventStore,
                    Kind::Append,
                    label.clone(),
                    format!("{label}: seq {seq}"),
                    HOP,
                ),
                travel(
                    NodeId::EventStore,
                    NodeId::Outbox,
                    Kind::Append,
                    label,
                    format!("outbox row for seq {seq}"),
                    HOP,
                ),
            ]
        }
        _ => vec![],
    }
}

/// Publishes, deliveries and what consumers did with them.
fn bus(signal: &SimSignal) -> Vec<Fx> {
    match signal {
        SimSignal::OutboxPublished { seq, ok: true, .. } => {
            vec![travel(
                NodeId::Outbox,
                NodeId::RabbitMq,
                Kind::Publish,
                format!("#{seq}"),
                format!("publish seq {seq}"),
                HOP,
            )]
        }
        SimSignal::OutboxPublished { seq, ok: false, .. } => vec![Fx::Burst {
            at: NodeId::Outbox,
            color: palette::FAIL,
            what: format!("publish of seq {seq} failed: the row stays and retries"),
        }],
        SimSignal::MessageSent { seq, kind, version, consumer, duplicate, transit_ms, .. } => {
            let (k, dup) = if *duplicate { (Kind::Duplicate, "dup ") } else { (Kind::Delivery, "") };
            let label = format!("{dup}{} v{version}", kind.name());
            let what = format!("{}seq {seq} → {}", if *duplicate { "DUPLICATE " } else { "" }, consumer.name());
            vec![travel(NodeId::RabbitMq, NodeId::of_consumer(*consumer), k, label, what, *transit_ms)]
        }
        SimSignal::ProjectionApplied { seq, projection, outcome, .. } => {
            let at = NodeId::Projector(*projection);
            let name = projection.name();
            match outcome {
                ApplyOutcome::Applied => {
                    let what = format!("{name} applied seq {seq}");
                    vec![travel(at, NodeId::ReadDb, Kind::Apply, format!("#{seq}"), what, HOP)]
                }
                ApplyOutcome::DuplicateSkipped => vec![Fx::Burst {
                    at,
                    color: palette::DIM,
                    what: format!("{name} skipped duplicate seq {seq} (idempotency log)"),
                }],
                ApplyOutcome::Buffered => vec![Fx::Burst {
                    at,
                    color: palette::BUFFER,
                    what: format!("{name} buffered seq {seq} (ahead of its version)"),
                }],
            }
        }
        // Joining the queue shows as the queue's stack growing.
        _ => vec![],
    }
}

/// Vendor calls and replies, and saga steps.
fn sagas(signal: &SimSignal, map: &MapLayout) -> Vec<Fx> {
    match signal {
        SimSignal::VendorCalled { vendor, op, apply_ms, reply_ms, .. } => {
            let Some(v) = map.vendor_node(vendor) else { return vec![] };
            let from = if *op == VendorOpKind::Search { NodeId::Redis } else { NodeId::Saga };
            let reply = Fx::Travel {
                from: v,
                to: from,
                kind: Kind::VendorReply,
                label: format!("{op} reply"),
                what: format!("{vendor} answers the {op}"),
                ms: *reply_ms,
                delay_ms: *apply_ms,
            };
            vec![travel(from, v, Kind::VendorCall, op.to_string(), format!("{op} → {vendor}"), *apply_ms), reply]
        }
        SimSignal::VendorReplied { vendor, ok: false, .. } => {
            let Some(v) = map.vendor_node(vendor) else { return vec![] };
            vec![Fx::Burst { at: v, color: palette::FAIL, what: format!("{vendor} answered with an error") }]
        }
        SimSignal::VendorReplied { vendor, late: true, .. } => vec![Fx::Burst {
            at: NodeId::Saga,
            color: palette::BUFFER,
            what: format!("a LATE reply from {vendor}: its step had timed out, so it is compensated"),
        }],
        SimSignal::SagaStep { saga, outcome, .. } => {
            let color = if outcome.is_failure() {
                palette::FAIL
            } else if outcome.is_compensation() {
                palette::BUFFER
            } else {
                palette::OK
            };
            vec![Fx::Burst { at: NodeId::Saga, color, what: format!("saga #{saga}: {outcome}") }]
        }
        _ => vec![],
    }
}

/// Cache gets, fills and answers.
fn read_path(signal: &SimSignal) -> Vec<Fx> {
    match signal {
        SimSignal::CacheGet { hit, .. } => {
            let (k, w) = if *hit { (Kind::CacheHit, "cache hit") } else { (Kind::CacheMiss, "cache miss") };
            vec![travel(NodeId::QueryApi, NodeId::Redis, k, w.into(), w.into(), HOP)]
        }
        SimSignal::CachePopulated { .. } => {
            let what = "the populator fills the key".to_string();
            vec![travel(NodeId::ReadDb, NodeId::Redis, Kind::CacheHit, "fill".into(), what, HOP)]
        }
        SimSignal::QueryServed { .. } => {
            vec![travel(NodeId::QueryApi, NodeId::Customer, Kind::Query, "answer".into(), "answer".into(), HOP)]
        }
        _ => vec![],
    }
}

/// Moves a particle along its wire (ratio = share of the wire's length)
/// and turns it to face where it goes; it appears on its first step.
#[derive(Clone, Debug)]
struct PathLens {
    wire: super::layout::Wire,
    reverse: bool,
    z: f32,
}

impl Lens<Transform> for PathLens {
    fn lerp(&mut self, mut target: Mut<'_, Transform>, ratio: f32) {
        let (at, dir) = self.wire.pose_at(ratio, self.reverse);
        target.translation = at.extend(self.z);
        target.rotation = Quat::from_rotation_z(dir.to_angle());
        target.scale = Vec3::ONE;
    }
}

/// A card's flash: its outline grows from `from` to `to` and fades out.
#[derive(Clone, Debug)]
struct FlashLens {
    color: Color,
    from: Vec2,
    to: Vec2,
}

impl Lens<Sprite> for FlashLens {
    fn lerp(&mut self, mut target: Mut<'_, Sprite>, ratio: f32) {
        target.custom_size = Some(self.from.lerp(self.to, ratio));
        target.color = self.color.with_alpha((1.0 - ratio).powf(0.7));
    }
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Particles>();
    app.init_resource::<FrameEffects>();
    app.add_systems(Update, (collect_effects, spawn_particles).chain().in_set(super::MapSystems));
    app.add_observer(on_done);
}

fn on_done(
    ev: On<AnimCompletedEvent>,
    mut commands: Commands,
    q: Query<(), With<Particle>>,
    mut p: ResMut<Particles>,
    mut stats: ResMut<MapStats>,
) {
    if q.get(ev.anim_entity).is_ok() {
        commands.entity(ev.anim_entity).try_despawn();
        p.alive = p.alive.saturating_sub(1);
        stats.particles_alive = p.alive;
    }
}

/// Real milliseconds a trip of `sim_ms` takes at `speed`.
pub fn trip_ms(sim_ms: u64, speed: f32) -> f32 {
    (sim_ms.max(crate::domain::TICK_MS) as f32 / speed.max(0.01)).clamp(MIN_TRIP_MS, MAX_TRIP_MS)
}

/// What spawning a particle needs, besides the effect.
struct Spawner<'a> {
    layout: &'a MapLayout,
    assets: &'a AssetServer,
    fonts: &'a super::fonts::MapFonts,
    speed: f32,
    zoomed_in: bool,
}

impl Spawner<'_> {
    /// A particle along the wire between two cards (None: no such wire).
    fn travel(&self, commands: &mut Commands, fx: &Fx, on_chain: bool) -> Option<Entity> {
        let Fx::Travel { from, to, kind, label, what, ms, delay_ms } = fx else { return None };
        let (wire, reverse) = self.layout.wire(*from, *to)?;
        let lens = PathLens { wire: wire.clone(), reverse, z: if on_chain { 6.0 } else { 5.0 } };
        let trip = Duration::from_secs_f32(trip_ms(*ms, self.speed) / 1000.0);
        let tween = Tween::new(EaseFunction::QuadraticInOut, trip, lens);
        let anim = if *delay_ms > 0 {
            TweenAnim::new(Delay::new(Duration::from_secs_f32(trip_ms(*delay_ms, self.speed) / 1000.0)).then(tween))
        } else {
            TweenAnim::new(tween)
        };
        let (color, size) = if on_chain { (super::chain::GOLD, CHAIN_SIZE) } else { (kind.color(), SIZE) };
        let sprite =
            Sprite { image: self.assets.load(kind.sprite()), color, custom_size: Some(Vec2::splat(size)), ..default() };
        // Hidden (scale 0) until its first step puts it on the wire.
        let mut e = commands.spawn((Particle(what.clone()), sprite, Transform::from_scale(Vec3::ZERO), anim));
        if self.zoomed_in || on_chain {
            e.with_child((
                Text2d::new(label.clone()),
                TextFont::from_font_size(super::layout::BODY_PX).with_font(self.fonts.regular.clone()),
                TextColor(color),
                bevy::sprite::Anchor::BOTTOM_CENTER,
                Transform::from_translation(Vec3::new(0.0, size * 0.6, 0.1)),
            ));
        }
        Some(e.id())
    }

    /// A card's flash: its own outline grows outwards and fades, so it never
    /// covers the card's text.
    fn flash(&self, commands: &mut Commands, fx: &Fx) -> Option<Entity> {
        let Fx::Burst { at, color, what } = fx else { return None };
        let card = self.layout.node(*at)?;
        let size = card.rect.size();
        let tween = Tween::new(
            EaseFunction::QuadraticOut,
            Duration::from_secs_f32(trip_ms(300, self.speed) / 1000.0 * 2.0),
            FlashLens { color: *color, from: size + Vec2::splat(2.0), to: size + Vec2::splat(16.0) },
        );
        let edge: Handle<Image> = self.assets.load("icons/card_edge.png");
        let sprite = super::map::sliced(edge, *color, size);
        let at = Transform::from_translation(card.center().extend(4.0));
        Some(commands.spawn((Particle(what.clone()), sprite, at, TweenAnim::new(tween))).id())
    }
}

/// What a frame's [`Spawner`] is made of: the map, the sprites and fonts,
/// the playback speed and the camera's zoom.
#[derive(bevy::ecs::system::SystemParam)]
struct SpawnerParams<'w, 's> {
    assets: Res<'w, AssetServer>,
    time: Res<'w, Time<Virtual>>,
    layout: Res<'w, MapLayoutRes>,
    fonts: Res<'w, super::fonts::MapFonts>,
    cam: Single<'w, 's, &'static Projection, With<Camera2d>>,
}

impl SpawnerParams<'_, '_> {
    fn spawner(&self) -> Spawner<'_> {
        Spawner {
            layout: &self.layout.map,
            assets: &self.assets,
            fonts: &self.fonts,
            speed: self.time.relative_speed(),
            zoomed_in: matches!(*self.cam, Projection::Orthographic(o) if o.scale < 0.7),
        }
    }
}

fn spawn_particles(
    mut commands: Commands,
    frame: Res<FrameEffects>,
    mut particles: ResMut<Particles>,
    mut stats: ResMut<MapStats>,
    pinned: Res<Pinned>,
    params: SpawnerParams,
) {
    let spawner = params.spawner();
    for (correlation, fx) in &frame.0 {
        if particles.alive >= MAX_PARTICLES {
            particles.dropped += 1;
            continue;
        }
        let on_chain = pinned.correlation == Some(*correlation);
        let spawned = match fx {
            Fx::Travel { .. } => spawner.travel(&mut commands, fx, on_chain),
            Fx::Burst { .. } => spawner.flash(&mut commands, fx),
        };
        let Some(e) = spawned else { continue };
        particles.alive += 1;
        particles.spawned += 1;
        commands
            .entity(e)
            .insert(Pickable::default())
            .observe(|ev: On<Pointer<Over>>, q: Query<&Particle>, mut h: ResMut<Hovered>| {
                if let Ok(p) = q.get(ev.entity) {
                    *h = Hovered::Thing { title: "in flight".into(), body: p.0.clone() };
                }
            })
            .observe(super::map::hover_out);
    }
    stats.particles_alive = particles.alive;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::EventKind;

    #[test]
    fn a_booking_at_the_fifth_vendor_flies_to_the_fifth_vendor_card() {
        let map = MapLayout::new(&super::super::layout::world_with_vendors(5));
        let call = SimSignal::VendorCalled {
            vendor: "V5".into(),
            op: VendorOpKind::Hold,
            apply_ms: 200,
            reply_ms: 150,
            correlation: 1,
        };
        let fx = effects(&call, &map);
        assert!(
            fx.iter().any(|f| matches!(
                f,
                Fx::Travel { from: NodeId::Saga, to: NodeId::Vendor(4), kind: Kind::VendorCall, ms: 200, .. }
            )),
            "{fx:?}"
        );
        assert!(
            fx.iter().any(|f| matches!(
                f,
                Fx::Travel { from: NodeId::Vendor(4), to: NodeId::Saga, delay_ms: 200, ms: 150, .. }
            )),
            "the reply comes back after the request arrived: {fx:?}"
        );
        for f in &fx {
            let Fx::Travel { from, to, .. } = f else { continue };
            assert!(map.wire(*from, *to).is_some(), "{from:?}→{to:?} has a wire to travel");
        }
        // A vendor the world does not have: nothing flies, least of all to
        // some other vendor's card.
        let ghost = SimSignal::VendorCalled {
            vendor: "V9".into(),
            op: VendorOpKind::Hold,
            apply_ms: 1,
            reply_ms: 1,
            correlation: 1,
        };
        assert!(effects(&ghost, &map).is_empty());
    }

    #[test]
    fn kinds_differ_in_shape_or_colour_and_trips_follow_the_simulated_transit() {
        for (i, a) in Kind::ALL.iter().enumerate() {
            for b in &Kind::ALL[i + 1..] {
                assert!(a.sprite() != b.sprite() || a.color() != b.color(), "{a:?} looks like {b:?}");
            }
        }
        let sent = |ms| SimSignal::MessageSent {
            seq: 3,
            kind: EventKind::SeatHeld,
            version: 1,
            consumer: crate::sim::protocol::ConsumerId::Orchestrator,
            duplicate: false,
            transit_ms: ms,
            correlation: 1,
        };
        let map = MapLayout::default();
        let Fx::Travel { ms, to, label, .. } = &effects(&sent(150), &map)[0] else { panic!() };
        assert_eq!((*ms, *to, label.as_str()), (150, NodeId::Saga, "SeatHeld v1"));
        assert_eq!(trip_ms(150, 1.0), 150.0, "at 1x a trip takes its simulated time");
        assert!((trip_ms(2_000, 2.0) - 1_000.0).abs() < 1e-3, "2 s of simulated transit at 2× is 1 s");
        assert_eq!(trip_ms(1, 16.0), MIN_TRIP_MS);
    }
}
