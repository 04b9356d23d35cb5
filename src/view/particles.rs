//! Particles: every command, append, publish, delivery, projection apply,
//! vendor call and reply, cache get/populate and served query becomes a
//! sprite travelling its wire (bevy_tweening), coloured by kind; failures
//! and rejections burst red at their node. Purely decorative: the sim never
//! hears back from a particle. The number alive is capped, so a burst ×10
//! cannot pile them up.

use super::layout::NodeId;
use super::map::Hovered;
use crate::sim::command_api::Outcome;
use crate::sim::signals::{ApplyOutcome, SimSignal};
use bevy::prelude::*;
use bevy_tweening::lens::{TransformPositionLens, TransformScaleLens};
use bevy_tweening::{AnimCompletedEvent, Tween, TweenAnim};
use std::time::Duration;

/// Most particles alive at once; more are counted as dropped.
pub const MAX_PARTICLES: usize = 600;

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

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Particles>();
    app.add_systems(Update, spawn_particles.in_set(super::MapSystems));
    app.add_observer(on_done);
}

fn on_done(ev: On<AnimCompletedEvent>, mut commands: Commands, q: Query<(), With<Particle>>, mut p: ResMut<Particles>) {
    if q.get(ev.anim_entity).is_ok() {
        commands.entity(ev.anim_entity).try_despawn();
        p.alive = p.alive.saturating_sub(1);
    }
}

pub mod colors {
    use bevy::prelude::Color;
    pub const COMMAND: Color = Color::srgb(0.98, 0.62, 0.28);
    pub const EVENT: Color = Color::srgb(0.98, 0.45, 0.35);
    pub const PUBLISH: Color = Color::srgb(0.98, 0.85, 0.30);
    pub const DUPLICATE: Color = Color::srgb(0.95, 0.40, 0.95);
    pub const APPLY: Color = Color::srgb(0.45, 0.90, 0.55);
    pub const VENDOR: Color = Color::srgb(0.78, 0.58, 0.98);
    pub const HIT: Color = Color::srgb(0.35, 0.90, 0.95);
    pub const MISS: Color = Color::srgb(0.30, 0.50, 0.98);
    pub const QUERY: Color = Color::srgb(0.60, 0.80, 1.0);
    pub const FAIL: Color = Color::srgb(1.0, 0.15, 0.15);
    pub const SKIP: Color = Color::srgb(0.6, 0.6, 0.6);
    pub const BUFFER: Color = Color::srgb(1.0, 0.6, 0.1);
}

pub(super) enum Fx {
    Travel(NodeId, NodeId, Color, String),
    Burst(NodeId, Color, String),
}

pub(super) fn effects(signal: &SimSignal) -> Vec<Fx> {
    use Fx::*;
    use colors::*;
    match signal {
        SimSignal::CommandSent { id, .. } => {
            vec![Travel(NodeId::Customer, NodeId::CommandApi, COMMAND, format!("command #{id}"))]
        }
        SimSignal::CommandDone { id, outcome, .. } => match outcome {
            Outcome::Ok => vec![Travel(NodeId::CommandApi, NodeId::Aggregate, COMMAND, format!("command #{id} ok"))],
            o => vec![Burst(NodeId::CommandApi, FAIL, format!("command #{id}: {}", o.name()))],
        },
        SimSignal::EventAppended { seq, kind, .. } => vec![
            Travel(NodeId::Aggregate, NodeId::EventStore, EVENT, format!("{} seq {seq}", kind.name())),
            Travel(NodeId::EventStore, NodeId::Outbox, EVENT, format!("outbox row seq {seq}")),
        ],
        SimSignal::OutboxPublished { seq, ok: true, .. } => {
            vec![Travel(NodeId::Outbox, NodeId::RabbitMq, PUBLISH, format!("publish seq {seq}"))]
        }
        SimSignal::OutboxPublished { seq, ok: false, .. } => {
            vec![Burst(NodeId::Outbox, FAIL, format!("publish of seq {seq} failed: the row stays and retries"))]
        }
        SimSignal::Delivered { seq, consumer, duplicate, .. } => vec![Travel(
            NodeId::RabbitMq,
            NodeId::of_consumer(*consumer),
            if *duplicate { DUPLICATE } else { PUBLISH },
            format!("{}seq {seq} → {}", if *duplicate { "DUPLICATE " } else { "" }, consumer.name()),
        )],
        SimSignal::ProjectionApplied { seq, projection, outcome, .. } => match outcome {
            ApplyOutcome::Applied => vec![Travel(
                NodeId::Projector(*projection),
                NodeId::ReadDb,
                APPLY,
                format!("{} applied seq {seq}", projection.name()),
            )],
            ApplyOutcome::DuplicateSkipped => vec![Burst(
                NodeId::Projector(*projection),
                SKIP,
                format!("{} skipped duplicate seq {seq}", projection.name()),
            )],
            ApplyOutcome::Buffered => vec![Burst(
                NodeId::Projector(*projection),
                BUFFER,
                format!("{} buffered seq {seq} (ahead of its version)", projection.name()),
            )],
        },
        SimSignal::VendorCalled { vendor, op, .. } => {
            let v = vendor_node(vendor.as_str());
            let from = if *op == "search" { NodeId::Redis } else { NodeId::Saga };
            vec![Travel(from, v, VENDOR, format!("{op} → {vendor}"))]
        }
        SimSignal::VendorReplied { vendor, ok, late, .. } => {
            let v = vendor_node(vendor.as_str());
            let c = if !ok {
                FAIL
            } else if *late {
                DUPLICATE
            } else {
                VENDOR
            };
            let what =
                format!("{}reply from {vendor}{}", if *late { "LATE " } else { "" }, if *ok { "" } else { ": error" });
            vec![Travel(v, NodeId::Saga, c, what)]
        }
        SimSignal::CacheGet { hit, .. } => vec![Travel(
            NodeId::QueryApi,
            NodeId::Redis,
            if *hit { HIT } else { MISS },
            if *hit { "cache hit".into() } else { "cache miss".into() },
        )],
        SimSignal::CachePopulated { .. } => {
            vec![Travel(NodeId::ReadDb, NodeId::Redis, HIT, "populator fills the key".into())]
        }
        SimSignal::QueryServed { .. } => vec![Travel(NodeId::QueryApi, NodeId::Customer, QUERY, "answer".into())],
        SimSignal::SagaStep { saga, outcome, .. } => {
            let c = match *outcome {
                "fail" | "timeout" => FAIL,
                "compensate ok" | "compensated" => BUFFER,
                _ => APPLY,
            };
            vec![Burst(NodeId::Saga, c, format!("saga #{saga}: {outcome}"))]
        }
    }
}

fn vendor_node(id: &str) -> NodeId {
    match id {
        "V1" => NodeId::Vendor(0),
        "V2" => NodeId::Vendor(1),
        _ => NodeId::Vendor(2),
    }
}

fn spawn_particles(
    mut commands: Commands,
    mut signals: MessageReader<SimSignal>,
    mut particles: ResMut<Particles>,
    assets: Res<AssetServer>,
    time: Res<Time<Virtual>>,
    panels: Option<Res<crate::ui::panels::PanelState>>,
) {
    let pinned = panels.and_then(|p| p.pinned.correlation);
    let speed = time.relative_speed().max(0.01);
    let travel_ms = (300.0 / speed).clamp(40.0, 900.0) as u64;
    let dot: Handle<Image> = assets.load("icons/dot.png");
    let ring: Handle<Image> = assets.load("icons/ring.png");
    for signal in signals.read() {
        let on_chain = pinned == Some(signal.correlation());
        for fx in effects(signal) {
            if particles.alive >= MAX_PARTICLES {
                particles.dropped += 1;
                continue;
            }
            particles.alive += 1;
            particles.spawned += 1;
            let mut e = match fx {
                Fx::Travel(from, to, color, what) => {
                    let (a, b) = (from.pos().extend(5.0), to.pos().extend(5.0));
                    let tween = Tween::new(
                        EaseFunction::QuadraticInOut,
                        Duration::from_millis(travel_ms),
                        TransformPositionLens { start: a, end: b },
                    );
                    commands.spawn((
                        Particle(what),
                        Sprite {
                            image: dot.clone(),
                            color: if on_chain { super::chain::GOLD } else { color },
                            custom_size: Some(Vec2::splat(if on_chain { CHAIN_SIZE } else { 10.0 })),
                            ..default()
                        },
                        Transform::from_translation(a),
                        TweenAnim::new(tween),
                    ))
                }
                Fx::Burst(at, color, what) => {
                    let tween = Tween::new(
                        EaseFunction::QuadraticOut,
                        Duration::from_millis(travel_ms * 2),
                        TransformScaleLens { start: Vec3::splat(0.4), end: Vec3::splat(1.6) },
                    );
                    commands.spawn((
                        Particle(what),
                        Sprite { image: ring.clone(), color, custom_size: Some(Vec2::splat(64.0)), ..default() },
                        Transform::from_translation(at.pos().extend(4.0)),
                        TweenAnim::new(tween),
                    ))
                }
            };
            e.insert(Pickable::default())
                .observe(|ev: On<Pointer<Over>>, q: Query<&Particle>, mut h: ResMut<Hovered>| {
                    if let Ok(p) = q.get(ev.entity) {
                        *h = Hovered::Particle(p.0.clone());
                    }
                })
                .observe(|_: On<Pointer<Out>>, mut h: ResMut<Hovered>| *h = Hovered::Nothing);
        }
    }
}
