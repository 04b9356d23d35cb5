//! The key store ("KMS"): one key per customer, outside the event log,
//! for crypto-shredding. The command side seals a passenger with her key
//! before the event is written; a GDPR tombstone destroys the key in the
//! same commit, and the sealed bytes in the store, the bus, the views and
//! the sagas can never be opened again. A customer who comes back gets a
//! new key (the next epoch).
//!
//! Keys come from a ChaCha20 stream of their own, apart from the engine's
//! RNG (keys change no other draw), and the same for every seed: the events
//! of two seeds of one scenario differ only where the runs do, so `diff`
//! of two seeds still names the first real divergence. A simulator's keys
//! are reproducible by design; what this models is where keys live and
//! when they die, not secrecy. Presentation may open a sealed passenger
//! for display; nothing here is written by anything but the command side.

use super::config::WorldConfig;
use super::runtime::{ResetOrder, add_reset};
use crate::domain::{CustomerId, Key, Passenger, SealedPassenger};
use bevy::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use std::collections::BTreeMap;

/// The key stream's seed ("keystore").
const KEY_STREAM: u64 = 0x6b65_7973_746f_7265;

#[derive(Resource)]
pub struct KeyStore {
    rng: ChaCha20Rng,
    /// Each customer's live key and its epoch.
    keys: BTreeMap<CustomerId, (u32, Key)>,
    /// Each erased customer's next epoch (her old keys are gone).
    next_epoch: BTreeMap<CustomerId, u32>,
}

impl KeyStore {
    fn new() -> Self {
        KeyStore { rng: ChaCha20Rng::seed_from_u64(KEY_STREAM), keys: default(), next_epoch: default() }
    }

    /// Makes sure `customer` has a live key (a new one after an erasure).
    pub(super) fn ensure(&mut self, customer: &CustomerId) {
        if self.keys.contains_key(customer) {
            return;
        }
        let mut key = [0u8; 32];
        self.rng.fill_bytes(&mut key);
        let epoch = self.next_epoch.get(customer).copied().unwrap_or(0);
        self.keys.insert(customer.clone(), (epoch, Key(key)));
    }

    /// `passenger` sealed with her live key, `nonce` unique per sealing
    /// (the command's id); None when she has no key yet.
    pub(super) fn seal(&self, customer: &CustomerId, passenger: &Passenger, nonce: u64) -> Option<SealedPassenger> {
        let (epoch, key) = self.keys.get(customer)?;
        Some(passenger.seal(key, *epoch, nonce))
    }

    /// Crypto-shredding: her key is destroyed; what it sealed stays sealed.
    pub(super) fn shred(&mut self, customer: &CustomerId) {
        if let Some((epoch, _)) = self.keys.remove(customer) {
            self.next_epoch.insert(customer.clone(), epoch + 1);
        }
    }

    /// The passenger, while the key that sealed her exists.
    pub fn open(&self, customer: &CustomerId, sealed: &SealedPassenger) -> Option<Passenger> {
        let (epoch, key) = self.keys.get(customer)?;
        (*epoch == sealed.epoch).then(|| sealed.open(key)).flatten()
    }

    /// A store where every customer of `world` has a key (decision tests).
    #[cfg(test)]
    pub(super) fn with_keys_for(world: &WorldConfig) -> Self {
        let mut keys = KeyStore::new();
        world.customers.iter().for_each(|c| keys.ensure(&c.id));
        keys
    }

    /// Whether `customer` has a live key.
    pub fn has_key(&self, customer: &CustomerId) -> bool {
        self.keys.contains_key(customer)
    }

    /// Whether an erasure destroyed `customer`'s key and she has not held
    /// a seat since (which would give her the next epoch's key).
    pub fn erased(&self, customer: &CustomerId) -> bool {
        !self.keys.contains_key(customer) && self.next_epoch.contains_key(customer)
    }
}

pub(super) fn plugin(app: &mut App) {
    add_reset(app, ResetOrder::Store, reset);
}

fn reset(world: &mut World, _: &WorldConfig) {
    world.insert_resource(KeyStore::new());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_a_shredded_key_then_her_old_data_stays_sealed_and_a_new_key_opens_the_new() {
        let (ana, p) = (CustomerId::new("ana"), Passenger { name: "Ana".into(), email: "a@x".into() });
        let mut keys = KeyStore::new();
        assert_eq!(keys.seal(&ana, &p, 1), None, "no key yet");
        keys.ensure(&ana);
        let old = keys.seal(&ana, &p, 1).unwrap();
        assert_eq!(keys.open(&ana, &old), Some(p.clone()));
        keys.shred(&ana);
        assert!(!keys.has_key(&ana));
        assert_eq!(keys.open(&ana, &old), None, "shredded");
        keys.ensure(&ana);
        let new = keys.seal(&ana, &p, 2).unwrap();
        assert_eq!((old.epoch, new.epoch), (0, 1));
        assert_eq!(keys.open(&ana, &new), Some(p));
        assert_eq!(keys.open(&ana, &old), None, "the new key does not open the old data");
    }
}
