//! The one integration-test binary (each extra binary would link Bevy
//! again). Modules group the tests by what they prove.

mod determinism;
mod engine;
mod invariants;
mod scenarios;
