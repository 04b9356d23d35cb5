//! The causal chain on the map: for the correlation pinned in the tables
//! (a command, an event, a saga), the wires its messages travelled and the
//! nodes that touched it are outlined in gold, and its new particles fly
//! bigger and golden (see `particles`). The trail of the most recent
//! correlations is remembered, so pinning one a moment later still shows
//! where it went. Reads signals only; never writes the sim.

use super::layout::NodeId;
use super::map::ICON_SIZE;
use super::particles::{Fx, effects};
use crate::sim::SimClock;
use crate::sim::signals::SimSignal;
use crate::ui::panels::PanelState;
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
    pub fn record(&mut self, signal: &SimSignal) {
        let trail = self.by_correlation.entry(signal.correlation()).or_default();
        for fx in effects(signal) {
            match fx {
                Fx::Travel(a, b, ..) => {
                    trail.wires.insert((a, b));
                    trail.nodes.insert(a);
                    trail.nodes.insert(b);
                }
                Fx::Burst(at, ..) => {
                    trail.nodes.insert(at);
                }
            }
        }
        while self.by_correlation.len() > KEEP_TRAILS {
            self.by_correlation.pop_first();
        }
    }
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<ChainTrails>();
    app.add_systems(Update, (record, draw).chain().in_set(super::MapSystems));
}

fn record(mut signals: MessageReader<SimSignal>, mut trails: ResMut<ChainTrails>, clock: Option<Res<SimClock>>) {
    let tick = clock.map_or(0, |c| c.tick);
    if tick < trails.last_tick {
        // Reset or scrub: correlation ids start over with the new run.
        trails.by_correlation.clear();
    }
    trails.last_tick = tick;
    for s in signals.read() {
        trails.record(s);
    }
}

fn draw(mut gizmos: Gizmos, trails: Res<ChainTrails>, panels: Option<Res<PanelState>>, time: Res<Time<Real>>) {
    let Some(corr) = panels.and_then(|p| p.pinned.correlation) else { return };
    let Some(trail) = trails.by_correlation.get(&corr) else { return };
    // A slow pulse, so the chain reads as "selected" rather than as traffic.
    let pulse = 0.65 + 0.35 * (time.elapsed_secs() * 3.0).sin().abs();
    let gold = GOLD.with_alpha(pulse);
    for (a, b) in &trail.wires {
        let (a, b) = (a.pos(), b.pos());
        let dir = (b - a).normalize_or_zero();
        let normal = Vec2::new(-dir.y, dir.x);
        let (a, b) = (a + dir * (ICON_SIZE / 2.0 + 2.0), b - dir * (ICON_SIZE / 2.0 + 2.0));
        for off in [-2.0, 0.0, 2.0] {
            gizmos.line_2d(a + normal * off, b + normal * off, gold);
        }
    }
    for n in &trail.nodes {
        gizmos.circle_2d(Isometry2d::from_translation(n.pos()), ICON_SIZE * 0.72, gold);
        gizmos.circle_2d(Isometry2d::from_translation(n.pos()), ICON_SIZE * 0.72 + 3.0, gold);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::EventKind;

    #[test]
    fn a_correlation_remembers_the_wires_and_nodes_its_messages_touched() {
        let mut t = ChainTrails::default();
        t.record(&SimSignal::CommandSent { id: 1, correlation: 7 });
        t.record(&SimSignal::EventAppended { seq: 1, kind: EventKind::SeatHeld, correlation: 7 });
        t.record(&SimSignal::CommandSent { id: 2, correlation: 8 });
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
        for c in 0..(KEEP_TRAILS as u64 + 100) {
            t.record(&SimSignal::QueryServed { correlation: c });
        }
        assert_eq!(t.by_correlation.len(), KEEP_TRAILS);
        assert!(t.by_correlation.contains_key(&(KEEP_TRAILS as u64 + 99)));
        assert!(!t.by_correlation.contains_key(&0));
    }
}
