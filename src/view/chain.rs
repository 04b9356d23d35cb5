//! The causal chain on the map: for the correlation pinned in the tables
//! (a command, an event, a saga), the wires its messages travelled and the
//! nodes that touched it are outlined in gold, and its new particles fly
//! bigger and golden (see `particles`). The trail of the most recent
//! correlations is remembered, so pinning one a moment later still shows
//! where it went. Reads signals only; never writes the sim.

use super::MapLayoutRes;
use super::layout::NodeId;
use super::particles::{FrameEffects, Fx};
use crate::sim::SimClock;
use crate::viewstate::Pinned;
use bevy::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

pub const GOLD: Color = Color::srgb(0.98, 0.78, 0.31);

/// Correlations whose trail is kept (the oldest ids are dropped first).
pub const KEEP_TRAILS: usize = 512;

/// Where one correlation's messages went.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trail {
    pub wires: BTreeSet<(NodeId, NodeId)>,
    pub nodes: BTreeSet<NodeId>,
}

#[derive(Resource, Debug, Default)]
pub struct ChainTrails {
    pub by_correlation: BTreeMap<u64, Trail>,
    last_tick: u64,
}

impl ChainTrails {
    /// Remembers where effect `fx` of correlation `correlation` went.
    pub fn record(&mut self, correlation: u64, fx: &Fx) {
        let trail = self.by_correlation.entry(correlation).or_default();
        if let Fx::Travel { from, to, .. } = fx {
            trail.wires.insert((*from, *to));
        }
        trail.nodes.extend(fx.cards().into_iter().flatten());
        while self.by_correlation.len() > KEEP_TRAILS {
            self.by_correlation.pop_first();
        }
    }
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<ChainTrails>();
    app.add_systems(Update, (record, draw).chain().after(super::particles::collect_effects).in_set(super::MapSystems));
}

fn record(frame: Res<FrameEffects>, mut trails: ResMut<ChainTrails>, clock: Option<Res<SimClock>>) {
    let tick = clock.map_or(0, |c| c.tick);
    if tick < trails.last_tick {
        // Reset or scrub: correlation ids start over with the new run.
        trails.by_correlation.clear();
    }
    trails.last_tick = tick;
    for (correlation, fx) in &frame.0 {
        trails.record(*correlation, fx);
    }
}

fn draw(
    mut gizmos: Gizmos,
    trails: Res<ChainTrails>,
    pinned: Res<Pinned>,
    layout: Res<MapLayoutRes>,
    time: Res<Time<Real>>,
) {
    let Some(corr) = pinned.correlation else { return };
    let Some(trail) = trails.by_correlation.get(&corr) else { return };
    // A slow pulse, so the chain reads as "selected" rather than as traffic.
    let pulse = 0.65 + 0.35 * (time.elapsed_secs() * 3.0).sin().abs();
    let gold = GOLD.with_alpha(pulse);
    for (a, b) in &trail.wires {
        let Some((wire, _)) = layout.map.wire(*a, *b) else { continue };
        for off in [-1.5, 0.0, 1.5] {
            gizmos.linestrip_2d(wire.points.iter().map(|p| *p + Vec2::splat(off)), gold);
        }
    }
    for n in &trail.nodes {
        let Some(card) = layout.map.node(*n) else { continue };
        for grow in [3.0, 5.0] {
            gizmos.rect_2d(
                Isometry2d::from_translation(card.center()),
                card.rect.size() + Vec2::splat(grow * 2.0),
                gold,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::EventKind;
    use crate::sim::protocol::Origin;
    use crate::sim::signals::SimSignal;
    use crate::view::layout::MapLayout;
    use crate::view::particles::effects;

    #[test]
    fn a_correlation_remembers_the_wires_and_nodes_its_messages_touched() {
        let mut t = ChainTrails::default();
        let map = MapLayout::default();
        let mut record = |s: SimSignal| {
            for fx in effects(&s, &map) {
                t.record(s.correlation(), &fx);
            }
        };
        record(SimSignal::CommandSent { id: 1, name: "HoldSeat", origin: Origin::Customer, correlation: 7 });
        record(SimSignal::EventAppended { seq: 1, kind: EventKind::SeatHeld, version: 1, correlation: 7 });
        record(SimSignal::CommandSent { id: 2, name: "HoldSeat", origin: Origin::Customer, correlation: 8 });
        let trail = &t.by_correlation[&7];
        assert!(trail.wires.contains(&(NodeId::Customer, NodeId::CommandApi)));
        assert!(trail.wires.contains(&(NodeId::Aggregate, NodeId::EventStore)));
        assert!(trail.wires.contains(&(NodeId::EventStore, NodeId::Outbox)));
        assert!(trail.nodes.contains(&NodeId::Outbox));
        assert!(!t.by_correlation[&8].nodes.contains(&NodeId::Outbox), "trails do not mix");
    }

    #[test]
    fn only_the_latest_trails_are_kept() {
        let mut t = ChainTrails::default();
        let map = MapLayout::default();
        let fx = effects(&SimSignal::QueryServed { correlation: 0 }, &map).remove(0);
        for c in 0..(KEEP_TRAILS as u64 + 100) {
            t.record(c, &fx);
        }
        assert_eq!(t.by_correlation.len(), KEEP_TRAILS);
        assert!(t.by_correlation.contains_key(&(KEEP_TRAILS as u64 + 99)));
        assert!(!t.by_correlation.contains_key(&0));
    }
}
