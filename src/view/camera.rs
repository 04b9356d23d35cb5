//! The camera: drag or arrow keys to pan, wheel or +/- to zoom around the
//! cursor, `f` to fit the whole map. Ignores the pointer while it is over
//! an egui panel and keys while a text field has focus.

use super::layout::fit_scale;
use crate::viewstate::FitRequest;
use bevy::ecs::system::SystemParam;
use bevy::input::mouse::{AccumulatedMouseScroll, MouseScrollUnit};
use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use bevy_egui::input::EguiWantsInput;

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Startup, spawn_camera);
    app.add_systems(Update, (refit_on_resize, fit_on_request, pan_zoom).chain());
}

fn spawn_camera(mut commands: Commands) {
    commands.spawn(Camera2d);
    commands.insert_resource(FitRequest(true));
}

/// A window that opens or changes size is framed again.
fn refit_on_resize(mut resized: MessageReader<bevy::window::WindowResized>, mut req: ResMut<FitRequest>) {
    if resized.read().count() > 0 {
        req.0 = true;
    }
}

fn fit_on_request(
    mut req: ResMut<FitRequest>,
    window: Single<&Window, With<PrimaryWindow>>,
    cam: Single<(&mut Transform, &mut Projection), With<Camera2d>>,
) {
    if !req.0 {
        return;
    }
    req.0 = false;
    let (mut tf, mut proj) = cam.into_inner();
    // The design rectangle (toolbar band, map, caption band) fills the
    // window: at 1280×720 one design pixel is one screen pixel.
    tf.translation = Vec3::new(0.0, 0.0, tf.translation.z);
    if let Projection::Orthographic(o) = &mut *proj {
        o.scale = fit_scale(Vec2::new(window.width(), window.height()));
    }
}

/// What can move the camera this frame: the keys, the mouse buttons and
/// wheel, the pointer's position, whether egui has the pointer or the
/// keyboard, and the real frame time.
#[derive(SystemParam)]
struct CameraInput<'w, 's> {
    keys: Res<'w, ButtonInput<KeyCode>>,
    mouse: Res<'w, ButtonInput<MouseButton>>,
    scroll: Res<'w, AccumulatedMouseScroll>,
    egui: Option<Res<'w, EguiWantsInput>>,
    window: Single<'w, 's, &'static Window, With<PrimaryWindow>>,
    time: Res<'w, Time<Real>>,
}

impl CameraInput<'_, '_> {
    /// Whether the pointer is the map's (not over an egui panel).
    fn pointer_free(&self) -> bool {
        self.egui.as_ref().is_none_or(|e| !e.wants_any_pointer_input())
    }

    /// Whether keys are the map's (no text field has focus).
    fn keys_free(&self) -> bool {
        self.egui.as_ref().is_none_or(|e| !e.wants_any_keyboard_input())
    }

    /// The arrow keys' direction (WASD is taken: `s` steps the sim).
    fn arrows(&self) -> Vec2 {
        let mut dir = Vec2::ZERO;
        if self.keys.pressed(KeyCode::ArrowLeft) {
            dir.x -= 1.0;
        }
        if self.keys.pressed(KeyCode::ArrowRight) {
            dir.x += 1.0;
        }
        if self.keys.pressed(KeyCode::ArrowUp) {
            dir.y += 1.0;
        }
        if self.keys.pressed(KeyCode::ArrowDown) {
            dir.y -= 1.0;
        }
        dir
    }

    /// How far to zoom in this frame (negative: out), from the wheel and
    /// the +/- keys.
    fn zoom(&self, pointer_free: bool, keys_free: bool) -> f32 {
        let mut zoom = 0.0;
        let scroll = &self.scroll;
        if pointer_free && scroll.delta.y != 0.0 {
            let lines = match scroll.unit {
                MouseScrollUnit::Line => scroll.delta.y,
                MouseScrollUnit::Pixel => scroll.delta.y / 100.0,
            };
            zoom += lines;
        }
        if keys_free {
            let keys = &self.keys;
            if keys.pressed(KeyCode::Equal) || keys.pressed(KeyCode::NumpadAdd) {
                zoom += 3.0 * self.time.delta_secs();
            }
            if keys.pressed(KeyCode::Minus) || keys.pressed(KeyCode::NumpadSubtract) {
                zoom -= 3.0 * self.time.delta_secs();
            }
        }
        zoom
    }
}

fn pan_zoom(
    input: CameraInput,
    cam: Single<(&mut Transform, &mut Projection, &Camera, &GlobalTransform), With<Camera2d>>,
    mut last_cursor: Local<Option<Vec2>>,
) {
    let (mut tf, mut proj, camera, gtf) = cam.into_inner();
    let Projection::Orthographic(o) = &mut *proj else { return };
    let pointer_free = input.pointer_free();
    let keys_free = input.keys_free();
    let cursor = input.window.cursor_position();
    // Drag to pan.
    if pointer_free
        && input.mouse.pressed(MouseButton::Left)
        && let (Some(now), Some(before)) = (cursor, *last_cursor)
    {
        let d = now - before;
        tf.translation.x -= d.x * o.scale;
        tf.translation.y += d.y * o.scale;
    }
    *last_cursor = cursor;
    if keys_free {
        let step = 600.0 * o.scale * input.time.delta_secs();
        tf.translation += (input.arrows() * step).extend(0.0);
    }
    // Zoom around the cursor.
    let zoom = input.zoom(pointer_free, keys_free);
    if zoom != 0.0 {
        let before = cursor.and_then(|c| camera.viewport_to_world_2d(gtf, c).ok());
        let new_scale = (o.scale * (1.0 - 0.12 * zoom)).clamp(0.2, 8.0);
        if let Some(anchor) = before {
            // Keep the point under the cursor where it is.
            let k = new_scale / o.scale;
            let center = tf.translation.truncate();
            let c = anchor + (center - anchor) * k;
            tf.translation = c.extend(tf.translation.z);
        }
        o.scale = new_scale;
    }
}
