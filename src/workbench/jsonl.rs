//! A run's event log as JSON Lines: one envelope per line, in seq order,
//! with the hashes, so an outside tool can re-verify the chain from the
//! documented canonical bytes (docs/WORKBENCH.md, "The hash chain").
//!
//! Field names are a contract for users' scripts: add, never rename.

use crate::domain::{EventEnvelope, hex};
use serde_json::{Value, json};

/// One envelope as a JSON object (the line `export --format jsonl` prints).
pub fn line(env: &EventEnvelope) -> Value {
    // Events serialize as `{ "Kind": { fields } }`: the line carries the
    // kind in `type` and the fields alone in `payload`.
    let payload = match serde_json::to_value(&env.event) {
        Ok(Value::Object(mut tagged)) if tagged.len() == 1 => {
            tagged.values_mut().next().map(Value::take).unwrap_or(Value::Null)
        }
        Ok(other) => other,
        Err(e) => json!({ "error": e.to_string() }),
    };
    json!({
        "seq": env.seq,
        "tick": env.tick,
        "aggregate_id": env.aggregate_id.as_str(),
        "version": env.version,
        "type": env.kind().name(),
        "payload": payload,
        "causation_id": env.causation_id,
        "correlation_id": env.correlation_id,
        "prev_hash": hex(&env.prev_hash),
        "hash": hex(&env.hash),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AggregateId, CustomerId, Event, SealArgs, ZERO_HASH};

    #[test]
    fn given_an_envelope_when_written_then_the_payload_is_untagged_and_hashes_are_hex() {
        let env = SealArgs {
            seq: 1,
            aggregate_id: AggregateId::new("IB1/1A"),
            version: 1,
            tick: 4,
            causation_id: 2,
            correlation_id: 2,
            event: Event::PaymentCaptured { customer: CustomerId::new("alice"), amount_cents: 1234 },
            prev_hash: ZERO_HASH,
        }
        .seal();
        let v = line(&env);
        assert_eq!(v["type"], "PaymentCaptured");
        assert_eq!(v["payload"], json!({ "customer": "alice", "amount_cents": 1234 }));
        assert_eq!(v["prev_hash"], "0".repeat(64));
        assert_eq!(v["hash"].as_str().map(str::len), Some(64));
        assert_eq!(v["aggregate_id"], "IB1/1A");
    }
}
