//! cqrs-tickets: a deterministic simulator of a CQRS + event-sourcing
//! plane-ticket platform.
//!
//! `domain` is plain Rust (no Bevy); `sim` is the headless engine (Bevy ECS
//! on a 50 ms fixed tick); `testing` builds sim-only apps for tests and
//! headless runs. Presentation layers read the sim, never write it.

pub mod app;
pub mod cli;
pub mod domain;
pub mod scenario;
pub mod sim;
pub mod testing;
pub mod ui;
pub mod view;
#[cfg(target_arch = "wasm32")]
pub mod web;
