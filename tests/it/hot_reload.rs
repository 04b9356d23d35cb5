//! Native play reloads the scenario file when it changes on disk and
//! restarts from tick 0 with it; a broken edit is refused, not fatal.

use bevy::prelude::*;
use cqrs_tickets::scenario::Scenario;
use cqrs_tickets::scenario::runner::{self, Script};
use cqrs_tickets::session::{ScenarioSource, watch_scenario};
use cqrs_tickets::sim::errors::SimErrors;
use cqrs_tickets::sim::runtime::SimClock;
use cqrs_tickets::testing::sim_app;

#[test]
fn an_edited_scenario_file_restarts_the_run_with_the_new_script() {
    let dir = std::env::temp_dir().join(format!("cqrs-hot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("live.ron");
    std::fs::write(&path, r#"Scenario(name: "first", steps: [Step(title: "a")])"#).unwrap();
    let sc = Scenario::load(&path).unwrap();
    let mut app = sim_app(sc.world.clone(), 1);
    app.add_plugins(runner::plugin);
    app.insert_resource(Script::new(sc));
    app.insert_resource(ScenarioSource::new(path.clone()));
    app.add_systems(Update, watch_scenario);
    for _ in 0..40 {
        app.update();
    }
    assert!(app.world().resource::<SimClock>().tick > 30);
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(&path, r#"Scenario(name: "second", steps: [Step(title: "b"), Step(title: "c")])"#).unwrap();
    for _ in 0..30 {
        app.update();
    }
    let script = app.world().resource::<Script>();
    assert_eq!(script.scenario.name, "second");
    assert_eq!(script.results.len(), 2);
    assert!(app.world().resource::<SimClock>().tick < 30, "restarted from tick 0");
    // A broken edit is reported and the run goes on.
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(&path, "Scenario(name: ").unwrap();
    for _ in 0..30 {
        app.update();
    }
    assert_eq!(app.world().resource::<Script>().scenario.name, "second");
    let errors = app.world().resource::<SimErrors>();
    assert!(errors.latest.iter().any(|e| e.contains("reload refused") && e.contains("live.ron:")), "{errors:?}");
}
