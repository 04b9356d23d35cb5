//! The map's fonts: DejaVu Sans Condensed, regular and bold, cut down to
//! what the map draws (`tools/make_map_fonts.sh`; Bitstream Vera licence,
//! `assets/fonts/LICENSE-DejaVu.txt`). Compiled in, so the browser build
//! needs no extra request, and the layout's measurements
//! (`font_metrics.rs`) are of exactly these files.

use bevy::prelude::*;

const REGULAR: &[u8] = include_bytes!("../../assets/fonts/map-sans.ttf");
const BOLD: &[u8] = include_bytes!("../../assets/fonts/map-sans-bold.ttf");

#[derive(Resource, Clone, Debug)]
pub struct MapFonts {
    pub regular: Handle<Font>,
    pub bold: Handle<Font>,
}

impl FromWorld for MapFonts {
    fn from_world(world: &mut World) -> Self {
        let mut fonts = world.resource_mut::<Assets<Font>>();
        MapFonts {
            regular: fonts.add(Font::from_bytes(REGULAR.to_vec())),
            bold: fonts.add(Font::from_bytes(BOLD.to_vec())),
        }
    }
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<MapFonts>();
}
