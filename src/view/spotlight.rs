//! Story focus: the current step's actors are spotlighted and the rest of
//! the map dimmed (a veil over each card that plays no part). A step's
//! actors are the cards its own requests aim at (a hold: the write path and
//! the saga; a search: the read path; a knob: the part it breaks) and every
//! card its messages touched since it began. Reads the script and the
//! signals; never writes the sim.

use super::layout::{MapLayout, NodeId, palette};
use super::map::{CardEdge, sliced};
use super::particles::FrameEffects;
use super::{MapItem, MapLayoutRes};
use crate::scenario::Check;
use crate::scenario::runner::Script;
use crate::sim::command_intake::CustomerCommand;
use crate::sim::invariants::{Culprit, Invariants};
use crate::sim::knobs::KnobChange;
use crate::sim::protocol::Projection;
use crate::sim::world::SimRequest;
use bevy::prelude::*;
use std::collections::BTreeSet;

/// Which step is on, and the cards that act in it.
#[derive(Resource, Clone, Debug, Default, PartialEq)]
pub struct Focus {
    /// The spotlight is on (mirrors [`crate::viewstate::Spotlight`]).
    pub enabled: bool,
    pub step: Option<usize>,
    pub actors: BTreeSet<NodeId>,
}

impl Focus {
    /// Whether `node` is dimmed now.
    pub fn dims(&self, node: NodeId) -> bool {
        self.enabled && self.step.is_some() && !self.actors.is_empty() && !self.actors.contains(&node)
    }
}

/// A veil over a card (or an entity zone), shown while it is dimmed.
#[derive(Component, Clone, Copy, Debug)]
pub struct Veil(pub NodeId);

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Focus>();
    app.init_resource::<crate::viewstate::Spotlight>();
    app.add_systems(Update, spawn_veils.in_set(super::Relayout).after(super::map::spawn_map));
    app.init_resource::<crate::viewstate::ActionAt>();
    app.add_systems(
        Update,
        (track_focus, show_veils, pulse_alerts, action_at)
            .chain()
            .after(super::particles::collect_effects)
            .in_set(super::MapSystems),
    );
}

/// The actors' centre on screen, for the caption to sit under.
fn action_at(
    focus: Res<Focus>,
    layout: Res<MapLayoutRes>,
    cam: Single<(&Camera, &GlobalTransform), With<Camera2d>>,
    window: Option<Single<&Window, With<bevy::window::PrimaryWindow>>>,
    mut at: ResMut<crate::viewstate::ActionAt>,
) {
    let (camera, gtf) = *cam;
    let Some(window) = window else { return };
    let centres: Vec<Vec2> = focus.actors.iter().filter_map(|n| layout.map.node(*n)).map(|n| n.center()).collect();
    let want = (!centres.is_empty())
        .then(|| centres.iter().sum::<Vec2>() / centres.len() as f32)
        .and_then(|c| camera.world_to_viewport(gtf, c.extend(0.0)).ok())
        .map(|p| (p.x / window.width().max(1.0)).clamp(0.0, 1.0));
    if at.0 != want {
        at.0 = want;
    }
}

/// The cards where something broke: each violated invariant's part of the
/// platform, and the parts the current step's failed expectations are about.
pub fn alerts(invariants: Option<&Invariants>, script: Option<&Script>, map: &MapLayout) -> BTreeSet<NodeId> {
    use crate::sim::invariants as inv;
    use NodeId::*;
    let mut out = BTreeSet::new();
    for (name, status) in invariants.map(|i| i.violations()).unwrap_or_default() {
        // The consumer that broke it, when the check named one.
        let consumer = match &status.culprit {
            Some(Culprit::Event { consumer: Some(c), .. } | Culprit::Consumer(c)) => Some(NodeId::of_consumer(*c)),
            _ => None,
        };
        let nodes: Vec<NodeId> = match name {
            inv::NO_DOUBLE_BOOKING => vec![Aggregate, EventStore],
            inv::EXACTLY_ONCE => consumer.into_iter().collect(),
            inv::REBUILD_EQUAL | inv::GDPR => consumer.into_iter().chain([ReadDb]).collect(),
            inv::SAGAS_SETTLE | inv::LIVENESS => vec![Saga],
            inv::MONEY => vec![Projector(Projection::Revenue)],
            inv::CHAIN => vec![EventStore],
            inv::OWN_WRITES => vec![Redis, Projector(Projection::CustomerBookings)],
            inv::HOLD_KEPT => vec![Saga],
            inv::TIMERS => vec![Aggregate, Redis],
            _ => vec![],
        };
        out.extend(nodes);
    }
    if let Some(script) = script
        && let Some(i) = script.current_index()
    {
        for (result, (_, check)) in script.results[i].expectations.iter().zip(&script.plan[i].checks) {
            if result.ok == Some(false) {
                out.extend(check_nodes(check, map));
            }
        }
    }
    out
}

/// The cards an expectation is about.
fn check_nodes(check: &Check, map: &MapLayout) -> Vec<NodeId> {
    use NodeId::*;
    match check {
        Check::Outcome { .. } | Check::Outcomes { .. } => vec![CommandApi],
        Check::Booking { .. } | Check::Events { .. } => vec![Aggregate, EventStore],
        Check::Saga { .. } => vec![Saga],
        Check::Lag { projection, .. }
        | Check::PeakLag { projection, .. }
        | Check::PeakBuffered { projection, .. }
        | Check::Buffered { projection, .. }
        | Check::ReplayIdentical(projection) => vec![Projector(*projection)],
        Check::DuplicatesSkipped { projection, .. } => {
            projection.map_or_else(|| Projection::ALL.map(Projector).to_vec(), |p| vec![Projector(p)])
        }
        Check::PopulatorCalls { .. }
        | Check::QueriesServed { .. }
        | Check::QueryHit { .. }
        | Check::QueryOffers { .. }
        | Check::QueryContains { .. }
        | Check::QueryLacks { .. } => vec![Redis],
        Check::VendorSeat { vendor, .. } => map.vendor_node(vendor).into_iter().collect(),
        Check::NoPii(_) => vec![ReadDb],
        Check::Topology { .. } | Check::QueuesEmpty | Check::EventsAtLeast(_) | Check::InvariantsHold => vec![],
    }
}

/// Cards where something broke: their edge pulses red.
fn pulse_alerts(
    invariants: Option<Res<Invariants>>,
    script: Option<Res<Script>>,
    layout: Res<MapLayoutRes>,
    time: Res<Time<Real>>,
    mut edges: Query<(&CardEdge, &mut Sprite)>,
    mut was: Local<BTreeSet<NodeId>>,
) {
    let now = alerts(invariants.as_deref(), script.as_deref(), &layout.map);
    if now.is_empty() && was.is_empty() && !layout.is_changed() {
        return;
    }
    let pulse = 0.55 + 0.45 * (time.elapsed_secs() * 5.0).sin().abs();
    for (edge, mut sprite) in &mut edges {
        let want =
            if now.contains(&edge.0) { palette::FAIL.with_alpha(pulse) } else { edge.0.color().with_alpha(0.75) };
        if sprite.color != want {
            sprite.color = want;
        }
    }
    *was = now;
}

/// The cards a request aims at.
pub fn actors_of(request: &SimRequest, map: &MapLayout) -> Vec<NodeId> {
    use NodeId::*;
    let write = [Customer, CommandApi, Aggregate, EventStore, Outbox, RabbitMq, Saga];
    match request {
        SimRequest::Command { command, .. } => match command {
            CustomerCommand::GdprDelete { .. } => {
                let mut v = write.to_vec();
                v.extend(crate::sim::protocol::Projection::ALL.map(Projector));
                v
            }
            _ => write.to_vec(),
        },
        SimRequest::Query { .. } | SimRequest::Stampede { .. } => vec![Customer, QueryApi, Redis],
        SimRequest::Replay(p) => vec![Projector(*p), ReadDb, EventStore],
        SimRequest::Knob(k) => match k {
            KnobChange::SlowVendor { vendor, .. }
            | KnobChange::FailIssue { vendor, .. }
            | KnobChange::FailHold { vendor, .. } => map.vendor_node(vendor).into_iter().collect(),
            KnobChange::DuplicateDelivery { .. } | KnobChange::ReorderDelivery { .. } => vec![RabbitMq],
            KnobChange::PublishFailure { .. } | KnobChange::CrashOutboxPumper { .. } => vec![Outbox],
            KnobChange::StallProjector { projection, .. } => vec![Projector(*projection)],
            KnobChange::CrashProjector { projection, .. } => vec![Projector(*projection), ReadDb],
            KnobChange::CrashOrchestrator { .. } => vec![Saga],
            KnobChange::Burst { .. } => vec![Customer, CommandApi, EventStore],
            KnobChange::Clear => vec![],
        },
    }
}

fn track_focus(
    spotlight: Res<crate::viewstate::Spotlight>,
    script: Option<Res<Script>>,
    layout: Res<MapLayoutRes>,
    mut focus: ResMut<Focus>,
    frame: Res<FrameEffects>,
) {
    if focus.enabled != spotlight.0 {
        focus.enabled = spotlight.0;
    }
    let step = script.as_ref().and_then(|s| s.current_index());
    if step != focus.step {
        let mut actors = BTreeSet::new();
        if let (Some(i), Some(script)) = (step, script.as_ref()) {
            for (_, request) in script.plan.get(i).map(|p| p.requests.as_slice()).unwrap_or_default() {
                actors.extend(actors_of(request, &layout.map));
            }
        }
        focus.step = step;
        focus.actors = actors;
    }
    if focus.step.is_none() {
        return;
    }
    let touched = frame.0.iter().flat_map(|(_, fx)| fx.cards()).flatten();
    let new: Vec<NodeId> = touched.filter(|n| !focus.actors.contains(n)).collect();
    if !new.is_empty() {
        focus.actors.extend(new);
    }
}

fn spawn_veils(mut commands: Commands, layout: Res<MapLayoutRes>, assets: Res<AssetServer>) {
    if !layout.is_changed() {
        return;
    }
    let card: Handle<Image> = assets.load("icons/card.png");
    let map = &layout.map;
    let zones = [
        (NodeId::Aggregate, map.zones.aggregates),
        (NodeId::EventStore, map.zones.store),
        (NodeId::Outbox, map.zones.outbox),
        (NodeId::Redis, map.zones.cache),
    ];
    let cards = map.nodes.values().map(|n| (n.id, n.rect));
    for (id, rect) in cards.chain(zones) {
        commands.spawn((
            MapItem,
            Veil(id),
            sliced(card.clone(), palette::GROUND.with_alpha(0.62), rect.size() + Vec2::splat(2.0)),
            Transform::from_translation(rect.center().extend(4.6)),
            Visibility::Hidden,
            Pickable::IGNORE,
        ));
    }
}

fn show_veils(focus: Res<Focus>, layout: Res<MapLayoutRes>, mut veils: Query<(&Veil, &mut Visibility)>) {
    if !focus.is_changed() && !layout.is_changed() {
        return;
    }
    for (v, mut vis) in &mut veils {
        vis.set_if_neq(if focus.dims(v.0) { Visibility::Inherited } else { Visibility::Hidden });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::query_api::CustomerQuery;

    #[test]
    fn a_steps_requests_name_its_actors() {
        let map = MapLayout::default();
        let hold = SimRequest::Command {
            label: None,
            command: CustomerCommand::HoldSeat {
                customer: "ana".into(),
                flight: "IB3166".into(),
                seat: "1A".into(),
                expected_version: None,
            },
        };
        let a = actors_of(&hold, &map);
        assert!(a.contains(&NodeId::CommandApi) && a.contains(&NodeId::EventStore) && a.contains(&NodeId::Saga));
        assert!(!a.contains(&NodeId::Redis));
        let search = SimRequest::Query { label: None, query: CustomerQuery::Search { route: "MAD-FRA".into() } };
        assert_eq!(actors_of(&search, &map), [NodeId::Customer, NodeId::QueryApi, NodeId::Redis]);
        let slow = SimRequest::Knob(KnobChange::SlowVendor { vendor: "V2".into(), extra_ms: 5_000 });
        assert_eq!(actors_of(&slow, &map), [NodeId::Vendor(1)]);
        let ghost = SimRequest::Knob(KnobChange::SlowVendor { vendor: "V9".into(), extra_ms: 5_000 });
        assert!(actors_of(&ghost, &map).is_empty(), "a vendor the world lacks lights nothing");
        let focus = Focus { enabled: true, step: Some(2), actors: a.into_iter().collect() };
        assert!(focus.dims(NodeId::Redis) && !focus.dims(NodeId::CommandApi));
        assert!(
            !Focus { enabled: false, ..focus.clone() }.dims(NodeId::Redis),
            "the spotlight switched off dims nothing"
        );
    }
}
