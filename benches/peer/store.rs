//! `QuietMemStore`: cqrs-es 0.5.0's `MemStore` line for line (same clones,
//! same re-read and re-insert of the whole stream on commit) without its two
//! `println!`s. Only used for the second, control figure, so that the
//! comparison is not won on terminal writes.
//!
//! It must stay a faithful copy of the shipped store minus the printing:
//! no caching, no shortcut that the crate's `MemStore` does not take.

use crate::domain::{Seat, SeatError, SeatEvent};
use cqrs_es::mem_store::MemStoreAggregateContext;
use cqrs_es::{Aggregate, AggregateError, EventEnvelope, EventStore};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

type Streams = HashMap<String, Vec<EventEnvelope<Seat>>>;

#[derive(Clone, Default)]
pub struct QuietMemStore(pub Arc<RwLock<Streams>>);

impl QuietMemStore {
    fn committed(&self, aggregate_id: &str) -> Vec<EventEnvelope<Seat>> {
        self.0.read().unwrap().get(aggregate_id).into_iter().flatten().cloned().collect()
    }
}

impl EventStore<Seat> for QuietMemStore {
    type AC = MemStoreAggregateContext<Seat>;

    async fn load_events(&self, aggregate_id: &str) -> Result<Vec<EventEnvelope<Seat>>, AggregateError<SeatError>> {
        Ok(self.committed(aggregate_id))
    }

    async fn load_aggregate(&self, aggregate_id: &str) -> Result<Self::AC, AggregateError<SeatError>> {
        let mut aggregate = Seat::default();
        let mut current_sequence = 0;
        for envelope in self.committed(aggregate_id) {
            current_sequence = envelope.sequence;
            aggregate.apply(envelope.payload);
        }
        Ok(MemStoreAggregateContext { aggregate_id: aggregate_id.to_string(), aggregate, current_sequence })
    }

    async fn commit(
        &self,
        events: Vec<SeatEvent>,
        context: Self::AC,
        metadata: HashMap<String, String>,
    ) -> Result<Vec<EventEnvelope<Seat>>, AggregateError<SeatError>> {
        let mut sequence = context.current_sequence;
        let wrapped: Vec<EventEnvelope<Seat>> = events
            .into_iter()
            .map(|payload| {
                sequence += 1;
                EventEnvelope {
                    aggregate_id: context.aggregate_id.clone(),
                    sequence,
                    payload,
                    metadata: metadata.clone(),
                }
            })
            .collect();
        if wrapped.is_empty() {
            return Ok(Vec::new());
        }
        let mut stream = self.committed(&context.aggregate_id);
        stream.extend(wrapped.iter().cloned());
        self.0.write().unwrap().insert(context.aggregate_id, stream);
        Ok(wrapped)
    }
}
