//! The map's legend: one line per particle kind (its sprite, in its colour,
//! and what it is) and per burst ring, in the legend zone of the layout.
//! Static: spawned with the layout; it reads nothing of the sim.

use super::layout::{BODY_PX, MapLayout, palette};
use super::map::label_bundle;
use super::particles::Kind;
use super::{MapItem, MapLayoutRes, fonts::MapFonts};
use bevy::prelude::*;
use bevy::sprite::Anchor;

/// What the legend lists: a sprite (or a ring), its colour, its words.
pub fn entries() -> Vec<(&'static str, Color, &'static str)> {
    let mut v: Vec<_> = Kind::ALL.iter().map(|k| (k.sprite(), k.color(), k.name())).collect();
    v.extend([
        ("icons/card_edge.png", palette::FAIL, "failed"),
        ("icons/card_edge.png", palette::BUFFER, "buffered"),
        ("icons/card_edge.png", palette::DIM, "dup skipped"),
    ]);
    v
}

const COLS: usize = 3;

/// Each entry's box in the legend zone.
pub fn cells(map: &MapLayout) -> Vec<Rect> {
    let z = map.zones.legend;
    let n = entries().len();
    let rows = n.div_ceil(COLS);
    let (w, h) = (z.width() / COLS as f32, z.height() / rows as f32);
    (0..n)
        .map(|i| {
            let (col, row) = ((i % COLS) as f32, (i / COLS) as f32);
            let top = z.max.y - row * h;
            Rect::new(z.min.x + col * w, top - h, z.min.x + (col + 1.0) * w, top)
        })
        .collect()
}

pub(super) fn spawn_legend(
    mut commands: Commands,
    layout: Res<MapLayoutRes>,
    fonts: Res<MapFonts>,
    assets: Res<AssetServer>,
) {
    if !layout.is_changed() {
        return;
    }
    for ((sprite, color, words), cell) in entries().into_iter().zip(cells(&layout.map)) {
        let icon = Vec2::new(cell.min.x + 7.0, cell.center().y);
        commands.spawn((
            MapItem,
            Sprite { image: assets.load(sprite), color, custom_size: Some(Vec2::splat(11.0)), ..default() },
            Transform::from_translation(icon.extend(2.0)),
            Pickable::IGNORE,
        ));
        commands.spawn(label_bundle(
            words.to_string(),
            BODY_PX,
            fonts.regular.clone(),
            palette::DIM,
            Vec2::new(cell.min.x + 16.0, cell.center().y),
            Anchor::CENTER_LEFT,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::text;

    #[test]
    fn every_legend_line_fits_its_cell_at_twelve_pixels() {
        let map = MapLayout::default();
        for ((_, _, words), cell) in entries().into_iter().zip(cells(&map)) {
            assert!(cell.height() >= BODY_PX, "{words}: {} px tall", cell.height());
            assert!(16.0 + text::width(words, BODY_PX, false) <= cell.width(), "{words} overflows");
            assert!(
                map.zones.legend.inflate(0.01).contains(cell.min) && map.zones.legend.inflate(0.01).contains(cell.max)
            );
        }
    }
}
