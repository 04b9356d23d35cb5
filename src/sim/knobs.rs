//! Failure-injection knobs (what the toolbar and scripts turn) and the
//! safeguard switches (what a test turns off to prove a safeguard matters).
//!
//! Knobs change the weather the platform runs in; they never reach into a
//! component's state. Safeguards ([`Mechanisms`]) are on in every real run.

use super::config::ticks;
use super::protocol::Projection;
use crate::domain::{Tick, VendorId};
use bevy::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The current failure injection. One resource; the UI and scripts set it
/// through [`KnobChange`] requests.
#[derive(Resource, Clone, Debug, Default, PartialEq)]
pub struct Knobs {
    /// Extra latency per vendor, in ms (the toolbar's Slow knob sets 5000 on the picked vendor).
    pub slow_vendor_ms: BTreeMap<VendorId, u64>,
    /// Vendors whose ticket issue answers 5xx.
    pub fail_issue: BTreeSet<VendorId>,
    /// Vendors whose seat hold answers 5xx.
    pub fail_hold: BTreeSet<VendorId>,
    /// Percent of bus deliveries sent twice (at-least-once).
    pub duplicate_pct: u8,
    /// The broker holds every copy of one event per queue back for 0.5–2 s
    /// while later messages overtake it.
    pub reorder: bool,
    /// Percent of outbox publishes that fail (the row stays and retries).
    pub publish_fail_pct: u8,
    /// Projectors whose consumer is down (their queue grows, lag rises).
    pub stalled: BTreeSet<Projection>,
    /// Synthetic load while active.
    pub burst: Option<Burst>,
    /// Armed crash: the outbox pumper crashes at its next publish, after
    /// the row went out and before it is marked sent, and restarts after
    /// this many ms (one crash; the pumper disarms it).
    pub crash_pumper_restart_ms: Option<u64>,
    /// Armed crashes of projectors: each loses its table and position back
    /// to its last checkpoint at its next tick and restarts after the ms.
    pub crash_projector: BTreeMap<Projection, u64>,
    /// An armed crash of the saga orchestrator: the restart delay (ms).
    pub crash_orchestrator_restart_ms: Option<u64>,
}

/// A burst of synthetic customers.
#[derive(Clone, Debug, PartialEq)]
pub struct Burst {
    pub per_s: u32,
    pub until_tick: Tick,
    pub credit_milli: u64,
}

/// A change to one knob. `Clear` turns every knob off.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum KnobChange {
    SlowVendor {
        vendor: VendorId,
        extra_ms: u64,
    },
    FailIssue {
        vendor: VendorId,
        on: bool,
    },
    FailHold {
        vendor: VendorId,
        on: bool,
    },
    DuplicateDelivery {
        pct: u8,
    },
    ReorderDelivery {
        on: bool,
    },
    PublishFailure {
        pct: u8,
    },
    StallProjector {
        projection: Projection,
        on: bool,
    },
    Burst {
        per_s: u32,
        duration_ms: u64,
    },
    /// The outbox pumper crashes at its next publish, between publishing a
    /// row and marking it sent, and restarts after `restart_ms` (0 disarms).
    CrashOutboxPumper {
        restart_ms: u64,
    },
    /// The projector crashes at its next tick: its table and its consumer
    /// position fall back to its last checkpoint; it restarts after
    /// `restart_ms` and catches up from the store (0 disarms).
    CrashProjector {
        projection: Projection,
        restart_ms: u64,
    },
    /// The saga orchestrator crashes at its next tick: what it held only
    /// in memory (its wake list, its timers, replies on their way to it)
    /// is lost; after `restart_ms` it resumes every live saga from the saga
    /// table (0 disarms).
    CrashOrchestrator {
        restart_ms: u64,
    },
    Clear,
}

impl Knobs {
    pub fn apply(&mut self, change: KnobChange, now: Tick) {
        match change {
            KnobChange::SlowVendor { vendor, extra_ms } => {
                if extra_ms == 0 {
                    self.slow_vendor_ms.remove(&vendor);
                } else {
                    self.slow_vendor_ms.insert(vendor, extra_ms);
                }
            }
            KnobChange::FailIssue { vendor, on } => toggle(&mut self.fail_issue, vendor, on),
            KnobChange::FailHold { vendor, on } => toggle(&mut self.fail_hold, vendor, on),
            KnobChange::DuplicateDelivery { pct } => self.duplicate_pct = pct.min(100),
            KnobChange::ReorderDelivery { on } => self.reorder = on,
            KnobChange::PublishFailure { pct } => self.publish_fail_pct = pct.min(100),
            KnobChange::StallProjector { projection, on } => toggle(&mut self.stalled, projection, on),
            KnobChange::Burst { per_s, duration_ms } => {
                self.burst = (per_s > 0 && duration_ms > 0).then(|| Burst {
                    per_s,
                    until_tick: now + ticks(duration_ms),
                    credit_milli: 0,
                });
            }
            KnobChange::CrashOutboxPumper { restart_ms } => {
                self.crash_pumper_restart_ms = (restart_ms > 0).then_some(restart_ms);
            }
            KnobChange::CrashProjector { projection, restart_ms } => {
                if restart_ms == 0 {
                    self.crash_projector.remove(&projection);
                } else {
                    self.crash_projector.insert(projection, restart_ms);
                }
            }
            KnobChange::CrashOrchestrator { restart_ms } => {
                self.crash_orchestrator_restart_ms = (restart_ms > 0).then_some(restart_ms);
            }
            KnobChange::Clear => *self = Knobs::default(),
        }
    }
}

fn toggle<T: Ord>(set: &mut BTreeSet<T>, item: T, on: bool) {
    if on {
        set.insert(item);
    } else {
        set.remove(&item);
    }
}

/// The safeguards. All on in a real run; a test (or `--disable` on the
/// CLI) turns one off to show what breaks without it.
#[derive(Resource, Clone, Debug, PartialEq, Eq)]
pub struct Mechanisms {
    /// The event store's unique key on (aggregate_id, version).
    pub optimistic_concurrency: bool,
    /// Consumers skip an (aggregate_id, version) they already applied.
    pub idempotency: bool,
    /// BookingDetail and the orchestrator buffer version-ahead events.
    pub ordering_buffer: bool,
    /// Concurrent cache misses on one key share one populator.
    pub single_flight: bool,
    /// The command side writes the customer's booking into Redis.
    pub write_through: bool,
    /// Sagas run compensations when a step fails.
    pub compensation: bool,
}

impl Default for Mechanisms {
    fn default() -> Self {
        Mechanisms {
            optimistic_concurrency: true,
            idempotency: true,
            ordering_buffer: true,
            single_flight: true,
            write_through: true,
            compensation: true,
        }
    }
}

/// One safeguard, by the name `--disable`, links and the UI use.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Safeguard {
    OptimisticConcurrency,
    Idempotency,
    OrderingBuffer,
    SingleFlight,
    WriteThrough,
    Compensation,
}

crate::names!(Safeguard as "safeguard" {
    OptimisticConcurrency => "optimistic-concurrency",
    Idempotency => "idempotency",
    OrderingBuffer => "ordering-buffer",
    SingleFlight => "single-flight",
    WriteThrough => "write-through",
    Compensation => "compensation",
});

impl Safeguard {
    /// The safeguard called `name`, or an error naming the known ones.
    pub fn parse(name: &str) -> Result<Safeguard, String> {
        Safeguard::from_name(name)
            .ok_or_else(|| format!("unknown safeguard `{name}`; known: {}", Safeguard::NAMES.join(", ")))
    }
}

impl Mechanisms {
    fn flag(&mut self, s: Safeguard) -> &mut bool {
        match s {
            Safeguard::OptimisticConcurrency => &mut self.optimistic_concurrency,
            Safeguard::Idempotency => &mut self.idempotency,
            Safeguard::OrderingBuffer => &mut self.ordering_buffer,
            Safeguard::SingleFlight => &mut self.single_flight,
            Safeguard::WriteThrough => &mut self.write_through,
            Safeguard::Compensation => &mut self.compensation,
        }
    }

    /// Whether safeguard `s` is on.
    pub fn get(&self, s: Safeguard) -> bool {
        match s {
            Safeguard::OptimisticConcurrency => self.optimistic_concurrency,
            Safeguard::Idempotency => self.idempotency,
            Safeguard::OrderingBuffer => self.ordering_buffer,
            Safeguard::SingleFlight => self.single_flight,
            Safeguard::WriteThrough => self.write_through,
            Safeguard::Compensation => self.compensation,
        }
    }

    /// Switches safeguard `s` on or off.
    pub fn set(&mut self, s: Safeguard, on: bool) {
        *self.flag(s) = on;
    }

    /// Turns one safeguard off by its name in [`Safeguard::NAMES`].
    pub fn disable(&mut self, name: &str) -> Result<(), String> {
        self.set(Safeguard::parse(name)?, false);
        Ok(())
    }

    /// The safeguards that are off, in [`Safeguard::ALL`] order.
    pub fn disabled(&self) -> Vec<Safeguard> {
        Safeguard::ALL.into_iter().filter(|s| !self.get(*s)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safeguards_by_name_and_back() {
        // The names are a contract: the CLI's --disable, links and scenario files use them.
        let names = [
            "optimistic-concurrency",
            "idempotency",
            "ordering-buffer",
            "single-flight",
            "write-through",
            "compensation",
        ];
        assert_eq!(Safeguard::NAMES, names);
        for s in Safeguard::ALL {
            assert_eq!(Safeguard::parse(s.name()), Ok(s));
        }
        let mut m = Mechanisms::default();
        m.disable("single-flight").unwrap();
        assert!(!m.single_flight && !m.get(Safeguard::SingleFlight));
        assert_eq!(m.disabled(), [Safeguard::SingleFlight]);
        m.set(Safeguard::SingleFlight, true);
        assert_eq!(m, Mechanisms::default());
        let e = m.disable("seatbelts").unwrap_err();
        assert!(e.contains("seatbelts") && e.contains("idempotency"), "{e}");
    }
}
