//! What every bus consumer shares (the 5 projectors and the orchestrator):
//! a queue, a processing rate, the idempotency log keyed on
//! (aggregate_id, version), and for per-aggregate ordered consumers the
//! buffer that holds a version-ahead event until the gap fills.
//!
//! Pure bookkeeping: it decides *which* events to apply, never what
//! applying them means (that is the projector's or the saga's business).

use super::knobs::Mechanisms;
use super::protocol::ConsumerId;
use crate::domain::{AggregateId, EventEnvelope};
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
#[derive(Component, Debug, Clone)]
pub struct Consumer {
    pub id: ConsumerId,
    rate_per_s: u32,
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
    /// The seq of the last event applied a second time.
    pub last_double_apply: Option<u64>,
    ordered: bool,
    /// The idempotency log and the ordering cursor.
    log: IdempotencyLog,
    /// Distinct (aggregate_id, version) keys applied: the log's size.
    applied: u64,
    buffer: BTreeMap<AggregateId, BTreeMap<u32, u64>>,
    pub buffered: usize,
}

/// What a consumer has applied, and (ordered consumers) the version it
/// waits for next, per stream.
///
/// Per stream by the store's stream number (see [`EventStore::stream_no`];
/// numbers are given in the order of the streams' first events, so they
/// are dense): its size is bounded by the streams touched, not by the
/// events applied, and one array read answers "is it next?" and, but for
/// versions applied out of order (a probe of a map that is empty unless
/// the reorder knob is on), "seen it?". Eight bytes per stream: six
/// consumers keep one each for every seat ever booked.
///
/// A stream's versions kept aside exist only once its entry does.
///
/// [`EventStore::stream_no`]: super::store::EventStore::stream_no
#[derive(Debug, Clone, Default)]
struct IdempotencyLog {
    /// Per stream: every version in `1..=applied_upto` was applied, and the
    /// next version an ordered consumer waits for.
    streams: Vec<StreamLog>,
    /// Versions applied above a stream's `applied_upto`, sorted, by stream
    /// number. Only out-of-order applies (an unordered consumer under the
    /// reorder knob) leave any, so they are kept aside rather than in
    /// every stream's entry.
    above: BTreeMap<u32, Vec<u32>>,
}

#[derive(Debug, Clone, Copy)]
struct StreamLog {
    applied_upto: u32,
    next_version: u32,
}

impl Default for StreamLog {
    fn default() -> Self {
        StreamLog { applied_upto: 0, next_version: 1 }
    }
}

impl IdempotencyLog {
    fn contains(&self, stream: u32, version: u32) -> bool {
        // A stream never seen has nothing applied (and nothing kept aside).
        let Some(log) = self.streams.get(stream as usize) else { return false };
        // Versions start at 1: 0 would read as applied.
        debug_assert!(version > 0, "stream versions start at 1");
        version <= log.applied_upto || self.above.get(&stream).is_some_and(|a| a.binary_search(&version).is_ok())
    }

    /// The version an ordered consumer waits for on `stream`.
    fn next_version(&self, stream: u32) -> u32 {
        self.streams.get(stream as usize).map_or(1, |s| s.next_version)
    }

    fn stream_mut(&mut self, stream: u32) -> &mut StreamLog {
        let i = stream as usize;
        if i >= self.streams.len() {
            self.streams.resize_with(i + 1, StreamLog::default);
        }
        &mut self.streams[i]
    }

    fn set_next_version(&mut self, stream: u32, version: u32) {
        self.stream_mut(stream).next_version = version;
    }

    /// Records `version` of `stream`; false when it was already there.
    fn insert(&mut self, stream: u32, version: u32) -> bool {
        if self.contains(stream, version) {
            return false;
        }
        let upto = self.stream_mut(stream).applied_upto;
        if version == upto + 1 {
            let mut upto = version;
            // Versions applied early now join the contiguous prefix.
            if let Some(above) = self.above.get_mut(&stream) {
                let joined = above.iter().zip(version + 1..).take_while(|(v, want)| **v == *want).count();
                upto += joined as u32;
                above.drain(..joined);
                if above.is_empty() {
                    self.above.remove(&stream);
                }
            }
            self.stream_mut(stream).applied_upto = upto;
        } else {
            let above = self.above.entry(stream).or_default();
            if let Err(at) = above.binary_search(&version) {
                above.insert(at, version);
            }
        }
        true
    }
}

/// What a consumer had applied when a replay began (its idempotency log).
#[derive(Debug, Clone, Default)]
pub struct AppliedBefore(IdempotencyLog);

impl AppliedBefore {
    /// Whether (stream, version) had been applied.
    pub fn contains(&self, stream: u32, version: u32) -> bool {
        self.0.contains(stream, version)
    }
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
    Apply(Applies),
}

/// The seqs one delivery lets a consumer apply: the delivered event, then
/// the buffered successors it unblocked (none, nearly always, so that case
/// allocates nothing).
#[derive(Debug, PartialEq, Eq)]
pub struct Applies {
    seq: u64,
    unblocked: Vec<u64>,
}

impl Applies {
    /// The events to apply, in order: `delivered` (the event of `seq`),
    /// then the buffered successors it unblocked, found with `lookup`
    /// (they are of the same stream).
    pub fn events<'s, 'e: 's>(
        &'s self,
        delivered: &'e EventEnvelope,
        lookup: impl Fn(u64) -> Option<&'e EventEnvelope> + 's,
    ) -> impl Iterator<Item = &'e EventEnvelope> + 's {
        debug_assert_eq!(delivered.seq, self.seq, "the delivered event is the one received");
        std::iter::once(delivered).chain(self.unblocked.iter().filter_map(move |&seq| lookup(seq)))
    }
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
            last_double_apply: None,
            ordered,
            log: IdempotencyLog::default(),
            applied: 0,
            buffer: BTreeMap::new(),
            buffered: 0,
        }
    }

    /// Distinct (aggregate_id, version) keys in the idempotency log.
    pub fn applied(&self) -> u64 {
        self.applied
    }

    /// Whether the idempotency log holds (aggregate_id, version), given
    /// the stream's number.
    pub fn has_applied(&self, stream: Option<u32>, version: u32) -> bool {
        stream.is_some_and(|n| self.log.contains(n, version))
    }

    /// Events (store head − applied) this consumer has still to apply.
    pub fn lag(&self, head_seq: u64) -> u64 {
        head_seq.saturating_sub(self.applied)
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

    /// Decides what to do with a delivered event of stream number `stream`.
    pub fn receive(&mut self, env: &EventEnvelope, stream_no: u32, mech: &Mechanisms) -> Receive {
        self.processed += 1;
        let buffered_already =
            !self.buffer.is_empty() && self.buffer.get(&env.aggregate_id).is_some_and(|b| b.contains_key(&env.version));
        if mech.idempotency && (buffered_already || self.log.contains(stream_no, env.version)) {
            self.duplicates_skipped += 1;
            return Receive::Duplicate;
        }
        let single = Applies { seq: env.seq, unblocked: Vec::new() };
        if !(self.ordered && mech.ordering_buffer) {
            return Receive::Apply(single);
        }
        let next = self.log.next_version(stream_no);
        if env.version > next {
            if !buffered_already {
                self.buffer.entry(env.aggregate_id.clone()).or_default().insert(env.version, env.seq);
                self.buffered += 1;
            }
            return Receive::Buffered;
        }
        let mut out = single;
        if env.version == next {
            let mut next = next + 1;
            if let Some(waiting) = self.buffer.get_mut(&env.aggregate_id) {
                while let Some(seq) = waiting.remove(&next) {
                    out.unblocked.push(seq);
                    self.buffered -= 1;
                    next += 1;
                }
                if waiting.is_empty() {
                    self.buffer.remove(&env.aggregate_id);
                }
            }
            self.log.set_next_version(stream_no, next);
        }
        Receive::Apply(out)
    }

    /// Records that `env` (of stream number `stream_no`) was applied.
    pub fn mark_applied(&mut self, env: &EventEnvelope, stream_no: u32) {
        if self.log.insert(stream_no, env.version) {
            self.applied += 1;
        } else {
            self.double_applies += 1;
            self.last_double_apply = Some(env.seq);
        }
        self.last_seq = self.last_seq.max(env.seq);
    }

    /// Forget everything applied: the start of a replay from seq 0. Returns
    /// what had been applied, so the replay can be compared with the view
    /// as it stood (a lagging view had not applied the whole store).
    /// Back to `checkpoint`'s state after a crash: what it had applied,
    /// buffered and its highest seq. The counters stay as they are (they
    /// count what happened, crash included).
    pub(super) fn restore(&mut self, checkpoint: &Consumer) {
        self.last_seq = checkpoint.last_seq;
        self.log = checkpoint.log.clone();
        self.applied = checkpoint.applied;
        self.buffer = checkpoint.buffer.clone();
        self.buffered = checkpoint.buffered;
    }

    pub fn reset_for_replay(&mut self) -> AppliedBefore {
        let before = AppliedBefore(std::mem::take(&mut self.log));
        self.applied = 0;
        self.buffer.clear();
        self.buffered = 0;
        self.last_seq = 0;
        before
    }

    /// The versions buffered for one stream (for tooltips).
    pub fn buffered_for(&self) -> impl Iterator<Item = (&AggregateId, &BTreeMap<u32, u64>)> {
        self.buffer.iter()
    }

    /// The version an ordered consumer waits for on a stream (by number).
    pub fn waiting_for(&self, stream: Option<u32>) -> u32 {
        stream.map_or(1, |n| self.log.next_version(n))
    }
}

#[cfg(test)]
mod tests {
    use super::{AppliedBefore, IdempotencyLog};

    #[test]
    fn the_log_holds_each_version_once_in_any_order() {
        let mut log = IdempotencyLog::default();
        // Stream 3 first: the streams below it read as empty.
        assert!(log.insert(3, 1));
        assert!(!log.contains(0, 1) && !log.contains(2, 1));
        assert!(log.insert(3, 3), "a version ahead of the prefix is kept aside");
        assert!(log.insert(3, 5));
        assert!(!log.insert(3, 3), "and is caught as a duplicate");
        assert!(log.contains(3, 3) && !log.contains(3, 2) && !log.contains(3, 4));
        assert!(!log.contains(7, 3), "another stream's versions are its own");
        assert!(log.insert(3, 2), "filling the gap");
        assert_eq!(
            (log.streams[3].applied_upto, log.above[&3].as_slice()),
            (3, &[5][..]),
            "3 joins the prefix, 5 waits"
        );
        assert!(log.insert(3, 4));
        assert_eq!(log.streams[3].applied_upto, 5);
        assert!(log.above.is_empty(), "nothing left aside");
        assert!(!log.insert(3, 1) && !log.insert(3, 5));
        assert!(!log.contains(3, 6));
        log.set_next_version(3, 6);
        assert_eq!((log.next_version(3), log.next_version(9)), (6, 1));
        let before = AppliedBefore(std::mem::take(&mut log));
        assert!(before.contains(3, 5) && !before.contains(3, 6), "a replay keeps what was applied");
        assert!(!log.contains(3, 1) && log.next_version(3) == 1);
    }
}
