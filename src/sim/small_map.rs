//! A sorted map for the many small per-customer tables (a customer's rows
//! in a read model, the streams a customer held): most customers have one
//! entry, and a `BTreeMap` per customer costs a whole B-tree node (a few
//! hundred bytes) for it, a customer per burst command. Here the first
//! entry lives inline and more spill to a sorted array.
//!
//! It serialises exactly as a `BTreeMap` of the same entries does, so a view
//! that holds one has the same JSON and hash. Not for tables that grow
//! large: an insert moves the entries after it.

use serde::Serialize;
use smallvec::SmallVec;

/// Entries sorted by key, at most one per key.
#[derive(Clone, Debug, PartialEq)]
pub struct SmallMap<K, V>(SmallVec<[(K, V); 1]>);

impl<K, V> Default for SmallMap<K, V> {
    fn default() -> Self {
        SmallMap(SmallVec::new())
    }
}

impl<K: Ord + Clone, V> SmallMap<K, V> {
    pub fn len(&self) -> usize {
        self.0.len()
    }
    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    fn find(&self, key: &K) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.cmp(key))
    }
    #[cfg(test)]
    fn get(&self, key: &K) -> Option<&V> {
        self.find(key).ok().map(|i| &self.0[i].1)
    }
    /// The entry of `key`, added as `V::default()` if there is none.
    pub fn get_or_default(&mut self, key: &K) -> &mut V
    where
        V: Default,
    {
        let i = self.find(key).unwrap_or_else(|i| {
            self.0.insert(i, (key.clone(), V::default()));
            i
        });
        &mut self.0[i].1
    }
    /// The entries in key order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&K, &V)> {
        self.0.iter().map(|(k, v)| (k, v))
    }
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> {
        self.0.iter().map(|(k, _)| k)
    }
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> {
        self.0.iter().map(|(_, v)| v)
    }
}

impl<K: Serialize + Ord + Clone, V: Serialize> Serialize for SmallMap<K, V> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn holds_what_a_btreemap_holds_and_serialises_the_same() {
        let mut small = SmallMap::<String, u32>::default();
        let mut big = BTreeMap::<String, u32>::new();
        // Keys out of order, some twice.
        for (i, k) in ["m", "c", "x", "c", "a", "m", "zz", "b"].iter().enumerate() {
            *small.get_or_default(&k.to_string()) += i as u32;
            *big.entry(k.to_string()).or_default() += i as u32;
        }
        assert_eq!(small.len(), big.len());
        assert!(small.iter().eq(big.iter()));
        assert_eq!(small.get(&"c".to_string()), Some(&4));
        assert_eq!(small.get(&"d".to_string()), None);
        assert_eq!(serde_json::to_string(&small).unwrap(), serde_json::to_string(&big).unwrap());
        let empty = SmallMap::<String, u32>::default();
        assert!(empty.is_empty());
        assert_eq!(serde_json::to_string(&empty).unwrap(), "{}");
    }
}
