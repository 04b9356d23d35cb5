//! Same workload + same seed = the same run, bit for bit; another seed
//! gives another run where randomness matters.

use crate::engine::{harness, hold, knob, pay};
use cqrs_tickets::sim::KnobChange;

fn workload(seed: u64) -> (String, String, usize) {
    let mut h = harness(seed);
    knob(&mut h, KnobChange::DuplicateDelivery { pct: 30 });
    knob(&mut h, KnobChange::ReorderDelivery { on: true });
    h.command("a", hold("ana", "IB3166", "12A"));
    h.command("b", hold("bob", "LH1123", "12B"));
    knob(&mut h, KnobChange::Burst { per_s: 60, duration_ms: 3_000 });
    h.run(10);
    h.command("pa", pay("ana", "IB3166", "12A"));
    h.command("pb", pay("bob", "LH1123", "12B"));
    assert!(h.run_to_drain(20_000));
    assert!(h.invariants().all_ok(), "{:?}", h.invariants().violations());
    let events = h.events();
    (h.fingerprint(), serde_json::to_string(&events).unwrap(), events.len())
}

#[test]
fn same_seed_same_fingerprint_and_same_store() {
    let (f1, s1, n1) = workload(7);
    let (f2, s2, n2) = workload(7);
    assert_eq!(f1, f2);
    assert_eq!(n1, n2);
    assert!(s1 == s2, "serialized stores differ");
    assert_eq!(f1.len(), 64);
}

#[test]
fn another_seed_gives_another_fingerprint() {
    let (f1, _, _) = workload(7);
    let (f2, _, _) = workload(8);
    assert_ne!(f1, f2, "burst seats and latencies come from the seed");
}
