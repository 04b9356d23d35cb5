//! The one integration-test binary (each extra binary would link Bevy
//! again). Modules group the tests by what they prove.

mod controls;
mod determinism;
mod engine;
mod erasure;
mod hot_reload;
mod invariants;
mod map;
mod reliability;
mod scenarios;
mod tables;
mod ui;
mod workbench;
