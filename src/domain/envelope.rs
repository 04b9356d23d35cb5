//! The event envelope (what a store row holds) and the hash chain.
//!
//! Each event's hash covers the previous event's hash and the event's own
//! canonical bytes, so editing, dropping or reordering any stored event
//! changes every hash after it: the log is tamper-evident. The head of the
//! chain is the run's fingerprint. Canonical bytes are a fixed,
//! length-prefixed little-endian layout, identical on every platform
//! (native and wasm32); never hash a `Debug` string or a map's iteration.

use super::event::{Event, EventKind};
use super::ids::{AggregateId, Tick};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// The hash "before" the first event.
pub const ZERO_HASH: Hash = [0; 32];

/// Lower-case hex of a hash (the form reports and the web page use).
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(2 * bytes.len()), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// One stored event with its metadata.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventEnvelope {
    /// Global sequence number, 1-based, gap-free.
    pub seq: u64,
    pub aggregate_id: AggregateId,
    /// Position in its stream, 1-based: `(aggregate_id, version)` is unique.
    pub version: u32,
    pub tick: Tick,
    /// The command (or timer, or saga step) that produced this event.
    pub causation_id: u64,
    /// The root of the chain of cause: the customer's original request.
    pub correlation_id: u64,
    pub event: Event,
    pub prev_hash: Hash,
    pub hash: Hash,
}

impl EventEnvelope {
    pub fn kind(&self) -> EventKind {
        self.event.kind()
    }

    /// The hash this envelope should carry given its content and `prev_hash`.
    pub fn compute_hash(&self) -> Hash {
        let mut bytes = Vec::with_capacity(192);
        self.canonical_bytes(&mut bytes);
        let mut h = Sha256::new();
        h.update(self.prev_hash);
        h.update(&bytes);
        h.finalize().into()
    }

    /// Whether the stored hash matches the content.
    pub fn verifies(&self) -> bool {
        self.compute_hash() == self.hash
    }

    /// The fixed byte layout that the hash covers.
    pub fn canonical_bytes(&self, out: &mut Vec<u8>) {
        let mut w = Canon(out);
        w.u64(self.seq);
        w.str(self.aggregate_id.as_str());
        w.u64(self.version as u64);
        w.u64(self.tick);
        w.u64(self.causation_id);
        w.u64(self.correlation_id);
        w.str(self.kind().name());
        w.str(self.event.customer().as_str());
        match &self.event {
            Event::SeatHeld { passenger, vendor, flight, seat, price_cents, expires_tick, .. } => {
                // The ciphertext, not the passenger: erasing her key
                // leaves these bytes, and so the hash, as they were.
                w.u64(passenger.epoch as u64);
                w.u64(passenger.nonce);
                w.bytes(&passenger.ciphertext);
                w.str(vendor.as_str());
                w.str(flight.as_str());
                w.str(seat.as_str());
                w.u64(*price_cents);
                w.u64(*expires_tick);
            }
            Event::PaymentAuthorized { amount_cents, .. }
            | Event::PaymentCaptured { amount_cents, .. }
            | Event::RefundInitiated { amount_cents, .. }
            | Event::RefundCompleted { amount_cents, .. } => w.u64(*amount_cents),
            Event::TicketIssued { pnr, .. } => w.str(pnr),
            Event::TicketIssueFailed { reason, .. } | Event::SeatReleased { reason, .. } => w.str(reason),
            Event::TicketVoided { .. } | Event::SeatHoldExpired { .. } | Event::GdprTombstone { .. } => {}
        }
    }
}

/// Everything an envelope holds but its own hash, by name: besides the seq,
/// four integers sit side by side (version, tick, causation, correlation),
/// which a positional list would let a caller swap unnoticed.
#[derive(Clone, Debug)]
pub struct SealArgs {
    /// Global sequence number, 1-based, gap-free.
    pub seq: u64,
    pub aggregate_id: AggregateId,
    /// Position in its stream, 1-based.
    pub version: u32,
    pub tick: Tick,
    /// The command (or timer, or saga step) that produced this event.
    pub causation_id: u64,
    /// The root of the chain of cause.
    pub correlation_id: u64,
    pub event: Event,
    /// The hash of the event before it ([`ZERO_HASH`] for the first).
    pub prev_hash: Hash,
}

impl SealArgs {
    /// Seals the event into the chain after `prev_hash`.
    pub fn seal(self) -> EventEnvelope {
        let SealArgs { seq, aggregate_id, version, tick, causation_id, correlation_id, event, prev_hash } = self;
        let mut env = EventEnvelope {
            seq,
            aggregate_id,
            version,
            tick,
            causation_id,
            correlation_id,
            event,
            prev_hash,
            hash: ZERO_HASH,
        };
        env.hash = env.compute_hash();
        env
    }
}

struct Canon<'a>(&'a mut Vec<u8>);

impl Canon<'_> {
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }
    fn bytes(&mut self, b: &[u8]) {
        self.u64(b.len() as u64);
        self.0.extend_from_slice(b);
    }
}

/// Verifies a sequence of envelopes incrementally: the running head, and the
/// first row (if any) whose hash or link is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HashChain {
    pub head: Hash,
    pub next_seq: u64,
}

impl Default for HashChain {
    fn default() -> Self {
        HashChain { head: ZERO_HASH, next_seq: 1 }
    }
}

impl HashChain {
    /// Checks the next envelope and advances; `Err` names what is wrong.
    pub fn push(&mut self, env: &EventEnvelope) -> Result<(), String> {
        if env.seq != self.next_seq {
            return Err(format!("seq {} where {} was expected (a gap or a reorder)", env.seq, self.next_seq));
        }
        if env.prev_hash != self.head {
            return Err(format!("seq {} does not link to the previous hash", env.seq));
        }
        if !env.verifies() {
            return Err(format!("seq {} content does not match its hash (edited after append)", env.seq));
        }
        self.head = env.hash;
        self.next_seq += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CustomerId;

    fn ev(seq: u64, prev: Hash, name: &str) -> EventEnvelope {
        SealArgs {
            seq,
            aggregate_id: AggregateId::new("IB1/1A"),
            version: seq as u32,
            tick: seq,
            causation_id: 7,
            correlation_id: 7,
            event: Event::SeatReleased { customer: CustomerId::new("c"), reason: name.into() },
            prev_hash: prev,
        }
        .seal()
    }

    #[test]
    fn given_a_chain_when_verified_then_ok_and_tamper_is_found() {
        let a = ev(1, ZERO_HASH, "a");
        let b = ev(2, a.hash, "b");
        let mut chain = HashChain::default();
        chain.push(&a).unwrap();
        chain.push(&b).unwrap();
        assert_eq!(chain.head, b.hash);
        assert_eq!(hex(&chain.head).len(), 64);

        let mut tampered = b.clone();
        tampered.event = Event::SeatReleased { customer: CustomerId::new("c"), reason: "z".into() };
        let mut chain = HashChain::default();
        chain.push(&a).unwrap();
        assert!(chain.push(&tampered).unwrap_err().contains("edited"));
    }

    #[test]
    fn given_same_content_then_same_hash_and_different_content_differs() {
        assert_eq!(ev(1, ZERO_HASH, "a").hash, ev(1, ZERO_HASH, "a").hash);
        assert_ne!(ev(1, ZERO_HASH, "a").hash, ev(1, ZERO_HASH, "b").hash);
    }
}
