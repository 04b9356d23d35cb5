//! Errors never take the app down: the app's fallback error handler logs a
//! failing system's error and keeps the latest ones here, where the UI
//! shows them as a banner and reports can list them; every other system
//! keeps running.

use bevy::ecs::error::{BevyError, ErrorContext, ErrorHandler};
use bevy::prelude::*;
use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// The latest errors, newest last.
#[derive(Resource, Debug, Default, Clone)]
pub struct SimErrors {
    pub latest: VecDeque<String>,
    total: u64,
}

/// How many errors are kept for display.
const KEEP: usize = 20;

/// How many apps in one process can each have their own error queue at
/// once (parallel tests, `check --jobs`); more than that only log.
const SLOTS: usize = 32;

/// Bevy's fallback error handler is a plain `fn` without the world, so each
/// app gets its own handler: `record::<S>` writes to queue `S` only, and
/// the app that holds slot `S` ([`ErrorSlot`]) is the only one to read it.
static QUEUES: [Mutex<Vec<String>>; SLOTS] = [const { Mutex::new(Vec::new()) }; SLOTS];
static TAKEN: [AtomicBool; SLOTS] = [const { AtomicBool::new(false) }; SLOTS];

macro_rules! handlers {
    ($($s:literal)*) => { [$(record::<$s> as ErrorHandler),*] };
}
const HANDLERS: [ErrorHandler; SLOTS] =
    handlers![0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31];

/// This app's error queue; the slot is free again when the app is dropped.
#[derive(Resource, Debug)]
struct ErrorSlot(usize);

impl Drop for ErrorSlot {
    fn drop(&mut self) {
        if let Ok(mut q) = QUEUES[self.0].lock() {
            q.clear();
        }
        TAKEN[self.0].store(false, Ordering::Release);
    }
}

/// The fallback error handler of the app in slot `S`: log as a warning and
/// remember it for that app.
fn record<const S: usize>(error: BevyError, ctx: ErrorContext) {
    let text = format!("{ctx}: {error}");
    bevy::log::warn!("{text}");
    if let Ok(mut q) = QUEUES[S].lock()
        && q.len() < 1_000
    {
        q.push(text);
    }
}

/// The fallback error handler when every slot is taken: log only.
fn log_only(error: BevyError, ctx: ErrorContext) {
    bevy::log::warn!("{ctx}: {error}");
}

/// Installs an error handler of this app's own (call once, before adding
/// plugins) and the system that publishes its errors to [`SimErrors`].
pub fn install(app: &mut App) {
    let free =
        (0..SLOTS).find(|&s| TAKEN[s].compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire).is_ok());
    match free {
        Some(slot) => {
            app.set_error_handler(HANDLERS[slot]);
            app.insert_resource(ErrorSlot(slot));
        }
        None => {
            app.set_error_handler(log_only);
        }
    }
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

fn collect(slot: Option<Res<ErrorSlot>>, mut errors: ResMut<SimErrors>) {
    let Some(slot) = slot else { return };
    let drained: Vec<String> = match QUEUES[slot.0].lock() {
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

    #[test]
    fn each_app_sees_only_its_own_errors() {
        let mut failing_app = App::new();
        install(&mut failing_app);
        failing_app.add_plugins(MinimalPlugins);
        failing_app.add_systems(Update, failing);
        let mut quiet_app = App::new();
        install(&mut quiet_app);
        quiet_app.add_plugins(MinimalPlugins);
        quiet_app.init_resource::<Ran>();
        quiet_app.add_systems(Update, healthy);
        // The failing system runs, and before its app collects its errors
        // (in `Last`), the other app collects: it must find none of them.
        failing_app.update();
        failing_app.world_mut().run_schedule(Update);
        quiet_app.update();
        quiet_app.update();
        assert!(quiet_app.world().resource::<SimErrors>().latest.is_empty(), "another app's errors leaked in");
        failing_app.update();
        assert!(failing_app.world().resource::<SimErrors>().total >= 3, "its own errors reach it");
    }
}
