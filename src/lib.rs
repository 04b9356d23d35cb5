//! cqrs-tickets: a deterministic simulator of a CQRS + event-sourcing
//! plane-ticket platform.
//!
//! `domain` is plain Rust (no Bevy); `sim` is the headless engine (Bevy ECS
//! on a 50 ms fixed tick); `headless` runs it without a window (the CLI,
//! the scenario runner, tests); `testing` adds test-only helpers.
//! Presentation layers read the sim, never write it. docs/ARCHITECTURE.md
//! has the layers and the rules between them.

/// Natively, mimalloc instead of the system allocator: every tick spawns
/// and frees hundreds of small rows, messages and strings, and over a long
/// history glibc's allocator spends a growing share of each tick
/// consolidating its free lists (see docs/PERFORMANCE.md). Every binary
/// that links the crate (the game, tests, benches, and so the peer in the
/// peer bench too) uses it.
#[cfg(not(target_arch = "wasm32"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
pub mod domain;
pub mod headless;
pub mod scenario;
pub mod session;
pub mod sim;
pub mod testing;
pub mod ui;
pub mod view;
pub mod viewstate;
#[cfg(target_arch = "wasm32")]
pub mod web;
pub mod workbench;
