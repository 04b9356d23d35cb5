//! What every bus consumer shares (the 5 projectors and the orchestrator):
//! a queue, a processing rate, the idempotency log keyed on
//! (aggregate_id, version), and for per-aggregate ordered consumers the
//! buffer that holds a version-ahead event until the gap fills.
//!
//! Pure bookkeeping: it decides *which* events to apply, never what
//! applying them means (that is the projector's or the saga's business).

use super::bus::ConsumerId;
use super::knobs::Mechanisms;
use crate::domain::{AggregateId, EventEnvelope};
use bevy::platform::collections::{HashMap, HashSet};
use bevy::prelude::*;
use std::collections::{BTreeMap, VecDeque};

/// The consumer's queue of delivered message entities, in arrival order.
#[derive(Component, Debug)]
pub struct ConsumerQueue {
    pub id: ConsumerId,
    pub queue: VecDeque<Entity>,
    pub delivered: u64,
}

impl ConsumerQueue {
    pub fn new(id: ConsumerId) -> Self {
        ConsumerQueue { id, queue: VecDeque::new(), delivered: 0 }
    }
}

/// Consumer state and counters.
#[derive(Component, Debug)]
pub struct Consumer {
    pub id: ConsumerId,
    pub rate_per_s: u32,
    credit_milli: u64,
    /// Highest seq applied.
    pub last_seq: u64,
    /// Messages taken off the queue (applied, skipped or buffered).
    pub processed: u64,
    /// Duplicates the idempotency log caught.
    pub duplicates_skipped: u64,
    /// Events applied a second time (only possible without the idempotency
    /// log): the "exactly once" invariant counts these.
    pub double_applies: u64,
    /// The idempotency log: every (aggregate_id, version) applied.
    pub log: HashSet<(AggregateId, u32)>,
    pub ordered: bool,
    next_version: HashMap<AggregateId, u32>,
    buffer: BTreeMap<AggregateId, BTreeMap<u32, u64>>,
    pub buffered: usize,
}

/// What to do with one delivered event.
#[derive(Debug, PartialEq, Eq)]
pub enum Receive {
    /// Already applied: skip (the idempotency log caught it).
    Duplicate,
    /// Ahead of its stream: held until the gap fills.
    Buffered,
    /// Apply these seqs, in this order (the event, then any buffered
    /// successors it unblocked).
    Apply(Vec<u64>),
}

impl Consumer {
    pub fn new(id: ConsumerId, rate_per_s: u32, ordered: bool) -> Self {
        Consumer {
            id,
            rate_per_s,
            credit_milli: 0,
            last_seq: 0,
            processed: 0,
            duplicates_skipped: 0,
            double_applies: 0,
            log: HashSet::default(),
            ordered,
            next_version: HashMap::default(),
            buffer: BTreeMap::new(),
            buffered: 0,
        }
    }

    /// Events (store head − applied) this consumer has still to apply.
    pub fn lag(&self, head_seq: u64) -> u64 {
        head_seq.saturating_sub(self.log.len() as u64)
    }

    /// How many messages it may take this tick (its rate, in 50 ms slices).
    pub fn budget(&mut self, queued: usize, multiplier: u64) -> usize {
        self.credit_milli += u64::from(self.rate_per_s) * multiplier * crate::domain::TICK_MS;
        let n = self.credit_milli / 1000;
        self.credit_milli %= 1000;
        if queued as u64 <= n {
            // Idle consumers do not bank credit.
            self.credit_milli = 0;
        }
        n as usize
    }

    /// Decides what to do with a delivered event.
    pub fn receive(&mut self, env: &EventEnvelope, mech: &Mechanisms) -> Receive {
        self.processed += 1;
        let key = (env.aggregate_id.clone(), env.version);
        let buffered_already = self.buffer.get(&env.aggregate_id).is_some_and(|b| b.contains_key(&env.version));
        if mech.idempotency && (self.log.contains(&key) || buffered_already) {
            self.duplicates_skipped += 1;
            return Receive::Duplicate;
        }
        if !(self.ordered && mech.ordering_buffer) {
            return Receive::Apply(vec![env.seq]);
        }
        let next = self.next_version.get(&env.aggregate_id).copied().unwrap_or(1);
        if env.version > next {
            if !buffered_already {
                self.buffer.entry(env.aggregate_id.clone()).or_default().insert(env.version, env.seq);
                self.buffered += 1;
            }
            return Receive::Buffered;
        }
        let mut out = vec![env.seq];
        if env.version == next {
            let mut next = next + 1;
            if let Some(waiting) = self.buffer.get_mut(&env.aggregate_id) {
                while let Some(seq) = waiting.remove(&next) {
                    out.push(seq);
                    self.buffered -= 1;
                    next += 1;
                }
                if waiting.is_empty() {
                    self.buffer.remove(&env.aggregate_id);
                }
            }
            self.next_version.insert(env.aggregate_id.clone(), next);
        }
        Receive::Apply(out)
    }

    /// Records that `env` was applied.
    pub fn mark_applied(&mut self, env: &EventEnvelope) {
        if !self.log.insert((env.aggregate_id.clone(), env.version)) {
            self.double_applies += 1;
        }
        self.last_seq = self.last_seq.max(env.seq);
    }

    /// Forget everything applied: the start of a replay from seq 0.
    pub fn reset_for_replay(&mut self) {
        self.log.clear();
        self.next_version.clear();
        self.buffer.clear();
        self.buffered = 0;
        self.last_seq = 0;
    }

    /// The versions buffered for one stream (for tooltips).
    pub fn buffered_for(&self) -> impl Iterator<Item = (&AggregateId, &BTreeMap<u32, u64>)> {
        self.buffer.iter()
    }

    /// The version an ordered consumer waits for on a stream.
    pub fn waiting_for(&self, id: &AggregateId) -> u32 {
        self.next_version.get(id).copied().unwrap_or(1)
    }
}
