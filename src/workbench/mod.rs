//! The engineer's workbench: what `diff`, `export` and `merge` compute, and
//! the per-correlation message trace behind Mermaid export and the
//! Sequence view.
//!
//! Everything here reads finished runs (or the engine's write-only
//! signals) and never changes one. The command line (`cli`) parses flags
//! and prints; the Sequence view (`ui`) draws; this module decides.

pub mod diff;
pub mod jsonl;
pub mod merge;
pub mod sequence;
