//! Crashed components on the map: while the outbox pumper, a projector or
//! the saga orchestrator is down after a crash, its card is greyed out
//! under "CRASHED" and a countdown to its restart; for a few seconds after
//! it comes back its outline glows green while its counters show the
//! recovery (a projector's lag falling as it catches up, the sagas the
//! orchestrator resumed). Reads the engine's state only; it never asks
//! the engine for anything.

use super::fonts::MapFonts;
use super::layout::{BODY_PX, NodeId, TITLE_PX, palette};
use super::map::{label_bundle, sliced};
use super::{MapItem, MapLayoutRes};
use crate::domain::{TICK_MS, Tick};
use crate::sim::bus::Bus;
use crate::sim::consumer::Consumer;
use crate::sim::projectors::ProjectorView;
use crate::sim::protocol::ConsumerId;
use crate::sim::runtime::SimClock;
use crate::sim::saga::Sagas;
use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy::sprite::Anchor;
use std::collections::BTreeMap;

/// How long a card says it restarted (simulated time).
const BACK_SHOWN_MS: u64 = 3_000;

/// Which components are down (the tick each restarts at), which came back
/// lately (the tick they did), and the tick this was read at.
#[derive(Resource, Clone, Debug, Default, PartialEq)]
pub struct Outages {
    pub down: BTreeMap<NodeId, Tick>,
    pub back: BTreeMap<NodeId, Tick>,
    pub now: Tick,
}

impl Outages {
    /// What card `node` says now: its headline and the line under it.
    pub fn banner(&self, node: NodeId) -> Option<(&'static str, String)> {
        if let Some(&restart) = self.down.get(&node) {
            let ms = restart.saturating_sub(self.now) * TICK_MS;
            return Some(("CRASHED", format!("restarts in {:.1} s", ms as f64 / 1000.0)));
        }
        self.back.contains_key(&node).then(|| ("RESTARTED", "recovering from its record".to_string()))
    }
}

/// The grey cover of a crashed card.
#[derive(Component, Clone, Copy, Debug)]
struct OutageVeil(NodeId);

/// The green outline of a card that came back.
#[derive(Component, Clone, Copy, Debug)]
struct RecoveryHalo(NodeId);

/// On a crashed card: its title drawn again over the cover (0), the
/// headline (1), the countdown (2).
#[derive(Component, Clone, Copy, Debug)]
struct OutageText(NodeId, usize);

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Outages>();
    app.add_systems(Update, spawn_outage_marks.in_set(super::Relayout).after(super::map::spawn_map));
    app.add_systems(Update, (track_outages, show_outages).chain().in_set(super::MapSystems));
}

/// Reads which components are down from the engine, and remembers when
/// each came back.
fn track_outages(
    mut outages: ResMut<Outages>,
    clock: Option<Res<SimClock>>,
    bus: Option<Res<Bus>>,
    sagas: Option<Res<Sagas>>,
    projectors: Query<(&Consumer, &ProjectorView)>,
) {
    let (Some(clock), Some(bus), Some(sagas)) = (clock, bus, sagas) else { return };
    let now = clock.tick;
    let mut down = BTreeMap::new();
    if let Some(t) = bus.pumper_down_until() {
        down.insert(NodeId::Outbox, t);
    }
    if let Some(t) = sagas.down_until() {
        down.insert(NodeId::Saga, t);
    }
    for (c, pv) in &projectors {
        if let (ConsumerId::Projector(p), Some(t)) = (c.id, pv.restarts_at()) {
            down.insert(NodeId::Projector(p), t);
        }
    }
    let mut back = outages.back.clone();
    if now < outages.now {
        // The run restarted (or a scenario reloaded): nothing came back.
        back.clear();
    }
    for node in outages.down.keys().filter(|n| !down.contains_key(n)) {
        back.insert(*node, now);
    }
    back.retain(|n, at| !down.contains_key(n) && now.saturating_sub(*at) * TICK_MS < BACK_SHOWN_MS);
    let next = Outages { down, back, now };
    if *outages != next {
        *outages = next;
    }
}

/// A hidden grey cover and its texts on every card that can crash. The
/// title stays readable over the cover (which part crashed); a projector's
/// one-line card says it all on its counter line, a larger card centres
/// headline and countdown under its title.
fn spawn_outage_marks(
    mut commands: Commands,
    layout: Res<MapLayoutRes>,
    fonts: Res<MapFonts>,
    assets: Res<AssetServer>,
) {
    if !layout.is_changed() {
        return;
    }
    let card: Handle<Image> = assets.load("icons/card.png");
    let edge: Handle<Image> = assets.load("icons/card_edge.png");
    for node in layout.map.nodes.values() {
        if !matches!(node.id, NodeId::Outbox | NodeId::Saga | NodeId::Projector(_)) {
            continue;
        }
        let (id, rect) = (node.id, node.rect);
        commands.spawn((
            MapItem,
            OutageVeil(id),
            sliced(card.clone(), Color::srgba(0.22, 0.23, 0.26, 0.93), rect.size()),
            Transform::from_translation(rect.center().extend(4.4)),
            Visibility::Hidden,
            Pickable::IGNORE,
        ));
        commands.spawn((
            MapItem,
            RecoveryHalo(id),
            sliced(edge.clone(), palette::OK, rect.size() + Vec2::splat(4.0)),
            Transform::from_translation(rect.center().extend(4.45)),
            Visibility::Hidden,
            Pickable::IGNORE,
        ));
        let (anchor, x_of) = super::map::text_anchor(node.centred);
        let title = (node.title.text.clone(), node.title.px, Vec2::new(x_of(node.title.rect), node.title.rect.max.y));
        let mut texts = vec![(title.0, fonts.bold.clone(), title.1, title.2, anchor)];
        match (id, node.lines.first()) {
            (NodeId::Projector(_), Some(line)) => {
                let at = Vec2::new(line.max.x, line.max.y);
                texts.push((String::new(), fonts.bold.clone(), BODY_PX, at, Anchor::TOP_RIGHT));
            }
            _ => {
                let below = node.subtitle.as_ref().map_or(node.title.rect.min.y, |l| l.rect.min.y);
                let mid = Vec2::new(rect.center().x, (below + rect.min.y) / 2.0);
                let (head, line) = (mid + Vec2::Y * TITLE_PX * 0.7, mid - Vec2::Y * BODY_PX * 0.7);
                texts.push((String::new(), fonts.bold.clone(), TITLE_PX, head, Anchor::CENTER));
                texts.push((String::new(), fonts.regular.clone(), BODY_PX, line, Anchor::CENTER));
            }
        }
        for (i, (text, font, px, at, anchor)) in texts.into_iter().enumerate() {
            commands
                .spawn((label_bundle(text, px, font, palette::TEXT, at, anchor), OutageText(id, i)))
                // Over the grey cover (map labels sit at z 3).
                .insert((Transform::from_translation(at.extend(4.5)), Visibility::Hidden));
        }
    }
}

/// What text `i` of a crashed card reads: its title (kept as it is), the
/// headline, the countdown; a projector's card has one line for both.
fn outage_text(outages: &Outages, node: NodeId, i: usize) -> Option<(Option<String>, Color)> {
    let (headline, line) = outages.banner(node)?;
    if !outages.down.contains_key(&node) {
        return None;
    }
    Some(match (i, node) {
        (0, _) => (None, palette::TEXT),
        (1, NodeId::Projector(_)) => {
            (Some(format!("{headline} · {}", line.replace("restarts in ", ""))), palette::FAIL)
        }
        (1, _) => (Some(headline.to_string()), palette::FAIL),
        _ => (Some(line), palette::TEXT),
    })
}

/// The covers, the outlines and the texts are disjoint sets of entities
/// (each query excludes the others' markers, so they may all be mutable).
type Covers = (Without<OutageText>, Without<RecoveryHalo>);
type Outlines = (Without<OutageText>, Without<OutageVeil>);
type Texts = (Without<OutageVeil>, Without<RecoveryHalo>);
type TextItem = (&'static OutageText, &'static mut Text2d, &'static mut TextColor, &'static mut Visibility);

/// The marks' state: the components down greyed with their countdown, those
/// back lately outlined in green (no cover: their counters show the
/// recovery, a projector's lag falling as it catches up).
#[derive(SystemParam)]
struct Marks<'w, 's> {
    veils: Query<'w, 's, (&'static OutageVeil, &'static mut Visibility), Covers>,
    halos: Query<'w, 's, (&'static RecoveryHalo, &'static mut Visibility), Outlines>,
    texts: Query<'w, 's, TextItem, Texts>,
}

fn show_outages(outages: Res<Outages>, mut marks: Marks) {
    if !outages.is_changed() {
        return;
    }
    let shown = |on: bool| if on { Visibility::Inherited } else { Visibility::Hidden };
    for (v, mut vis) in &mut marks.veils {
        vis.set_if_neq(shown(outages.down.contains_key(&v.0)));
    }
    for (h, mut vis) in &mut marks.halos {
        vis.set_if_neq(shown(outages.back.contains_key(&h.0)));
    }
    for (t, mut text, mut color, mut vis) in &mut marks.texts {
        let Some((want, tint)) = outage_text(&outages, t.0, t.1) else {
            vis.set_if_neq(Visibility::Hidden);
            continue;
        };
        if let Some(want) = want
            && text.0 != want
        {
            text.0 = want;
        }
        if color.0 != tint {
            color.0 = tint;
        }
        vis.set_if_neq(Visibility::Inherited);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_down_card_counts_down_to_its_restart_and_a_back_one_says_it_restarted() {
        let mut o = Outages { now: 100, ..Default::default() };
        o.down.insert(NodeId::Saga, 124);
        assert_eq!(o.banner(NodeId::Saga), Some(("CRASHED", "restarts in 1.2 s".into())));
        assert_eq!(o.banner(NodeId::Outbox), None);
        o.down.clear();
        o.back.insert(NodeId::Saga, 124);
        assert_eq!(o.banner(NodeId::Saga).map(|b| b.0), Some("RESTARTED"));
    }
}
