//! The scenario files in `scenarios/`, compiled into the binary so the
//! browser build (no file system) and a binary run outside a checkout can
//! play them. The picker lists these names; natively the file on disk wins
//! when it exists, so edits (and hot reload) still apply.
//!
//! A test checks that this list and the directory never drift apart.

use super::{Scenario, ScenarioError};
use std::path::PathBuf;

/// `(name, text)` for every file `scenarios/<name>.ron`, default first.
pub const BUNDLED: &[(&str, &str)] = &[
    ("default", include_str!("../../scenarios/default.ron")),
    ("race", include_str!("../../scenarios/race.ron")),
    ("search", include_str!("../../scenarios/search.ron")),
    ("happy_path", include_str!("../../scenarios/happy_path.ron")),
    ("vendor_timeout", include_str!("../../scenarios/vendor_timeout.ron")),
    ("issue_fails", include_str!("../../scenarios/issue_fails.ron")),
    ("out_of_order", include_str!("../../scenarios/out_of_order.ron")),
    ("hold_expiry", include_str!("../../scenarios/hold_expiry.ron")),
    ("redelivery", include_str!("../../scenarios/redelivery.ron")),
    ("multi_vendor", include_str!("../../scenarios/multi_vendor.ron")),
    ("stampede", include_str!("../../scenarios/stampede.ron")),
    ("read_your_writes", include_str!("../../scenarios/read_your_writes.ron")),
    ("gdpr", include_str!("../../scenarios/gdpr.ron")),
    ("gdpr_returning", include_str!("../../scenarios/gdpr_returning.ron")),
    ("erasure_conflict", include_str!("../../scenarios/erasure_conflict.ron")),
    ("pumper_crash", include_str!("../../scenarios/pumper_crash.ron")),
    ("projector_crash", include_str!("../../scenarios/projector_crash.ron")),
    ("orchestrator_crash", include_str!("../../scenarios/orchestrator_crash.ron")),
    ("replay", include_str!("../../scenarios/replay.ron")),
    ("burst", include_str!("../../scenarios/burst.ron")),
    ("burst_x10", include_str!("../../scenarios/burst_x10.ron")),
    ("five_vendors", include_str!("../../scenarios/five_vendors.ron")),
    ("expiry_vs_erasure", include_str!("../../scenarios/expiry_vs_erasure.ron")),
    ("replay_while_lagging", include_str!("../../scenarios/replay_while_lagging.ron")),
    ("stale_vendor_hold", include_str!("../../scenarios/stale_vendor_hold.ron")),
    ("own_write_at_ttl", include_str!("../../scenarios/own_write_at_ttl.ron")),
    ("reorder_with_duplicates", include_str!("../../scenarios/reorder_with_duplicates.ron")),
    ("late_saga_hold_event", include_str!("../../scenarios/late_saga_hold_event.ron")),
    ("own_write_during_replay", include_str!("../../scenarios/own_write_during_replay.ron")),
];

/// The bundled names, in picker order.
pub fn names() -> impl Iterator<Item = &'static str> {
    BUNDLED.iter().map(|(n, _)| *n)
}

/// The path a bundled name has in a checkout.
pub fn path_of(name: &str) -> PathBuf {
    PathBuf::from(format!("scenarios/{name}.ron"))
}

/// Loads scenario `name`: from `scenarios/<name>.ron` when that file exists
/// (native, in a checkout), else from the copy compiled in. Returns the
/// scenario and the file it came from, if any (for hot reload).
pub fn load(name: &str) -> Result<(Scenario, Option<PathBuf>), ScenarioError> {
    let path = path_of(name);
    if cfg!(not(target_arch = "wasm32")) && path.is_file() {
        return Scenario::load(&path).map(|s| (s, Some(path)));
    }
    match BUNDLED.iter().find(|(n, _)| *n == name) {
        Some((n, text)) => Scenario::parse(text, &format!("scenarios/{n}.ron (bundled)")).map(|s| (s, None)),
        None => Err(ScenarioError {
            file: format!("scenario '{name}'"),
            place: "name".into(),
            message: format!("no such scenario; bundled ones are: {}", names().collect::<Vec<_>>().join(", ")),
        }),
    }
}
