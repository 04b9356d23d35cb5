//! Errors never take the app down: the app's fallback error handler logs a
//! failing system's error and keeps the latest ones here, where the UI
//! shows them as a banner and reports can list them; every other system
//! keeps running.

use bevy::ecs::error::{BevyError, ErrorContext};
use bevy::prelude::*;
use std::collections::VecDeque;
use std::sync::Mutex;

/// The latest errors, newest last.
#[derive(Resource, Debug, Default, Clone)]
pub struct SimErrors {
    pub latest: VecDeque<String>,
    total: u64,
}

/// How many errors are kept for display.
const KEEP: usize = 20;

static PENDING: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// The fallback error handler: log as a warning and remember it.
fn record(error: BevyError, ctx: ErrorContext) {
    let text = format!("{ctx}: {error}");
    bevy::log::warn!("{text}");
    if let Ok(mut p) = PENDING.lock()
        && p.len() < 1_000
    {
        p.push(text);
    }
}

/// Installs [`record`] as the app's error handler (call once, before
/// adding plugins) and the system that publishes errors to [`SimErrors`].
pub fn install(app: &mut App) {
    app.set_error_handler(record);
    app.init_resource::<SimErrors>();
    app.add_systems(Last, collect);
}

impl SimErrors {
    /// Remembers one error (the oldest beyond [`KEEP`] are forgotten).
    pub fn push(&mut self, text: String) {
        self.total += 1;
        self.latest.push_back(text);
        while self.latest.len() > KEEP {
            self.latest.pop_front();
        }
    }
}

/// Shows `text` in the error banner (bad input the app refused, a file
/// that did not reload, a link value it could not use).
pub fn report(world: &mut World, text: String) {
    bevy::log::warn!("{text}");
    world.get_resource_or_insert_with(SimErrors::default).push(text);
}

fn collect(mut errors: ResMut<SimErrors>) {
    let drained: Vec<String> = match PENDING.lock() {
        Ok(mut p) => std::mem::take(&mut *p),
        Err(_) => return,
    };
    for e in drained {
        errors.push(e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failing() -> Result<(), BevyError> {
        Err("the vendor adapter returned nonsense".into())
    }

    #[derive(Resource, Default)]
    struct Ran(u32);

    fn healthy(mut ran: ResMut<Ran>) {
        ran.0 += 1;
    }

    #[test]
    fn a_failing_system_is_logged_and_the_rest_keeps_running() {
        let mut app = App::new();
        install(&mut app);
        app.add_plugins(MinimalPlugins);
        app.init_resource::<Ran>();
        app.add_systems(Update, (failing, healthy));
        app.update();
        app.update();
        assert_eq!(app.world().resource::<Ran>().0, 2);
        let errors = app.world().resource::<SimErrors>();
        assert!(errors.total >= 2, "{errors:?}");
        assert!(errors.latest.iter().any(|e| e.contains("nonsense")));
    }
}
