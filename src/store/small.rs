//! A map and a set kept as vectors sorted by key, for an account's few
//! mailboxes and subscriptions. A B-tree allocates room for eleven entries
//! in its first node: a store of 100,000 accounts, each with only an INBOX,
//! spent about 130 MB on that room. Look-ups are binary searches; inserting
//! and removing move the entries after the place (an account has a handful).

use std::borrow::Borrow;

#[derive(Clone, Debug, PartialEq)]
pub struct SmallMap<K, V>(Vec<(K, V)>);

impl<K, V> Default for SmallMap<K, V> {
    fn default() -> Self {
        SmallMap(Vec::new())
    }
}

impl<K: Ord, V> SmallMap<K, V> {
    pub fn new() -> Self {
        Self::default()
    }
    fn find<Q: Ord + ?Sized>(&self, k: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
    {
        self.0.binary_search_by(|(x, _)| x.borrow().cmp(k))
    }
    pub fn get<Q: Ord + ?Sized>(&self, k: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.find(k).ok().map(|i| &self.0[i].1)
    }
    pub fn get_mut<Q: Ord + ?Sized>(&mut self, k: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        self.find(k).ok().map(|i| &mut self.0[i].1)
    }
    pub fn contains_key<Q: Ord + ?Sized>(&self, k: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.find(k).is_ok()
    }
    /// Puts `v` under `k`; returns what was there before.
    pub fn insert(&mut self, k: K, v: V) -> Option<V> {
        match self.find(&k) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, v)),
            Err(i) => {
                self.0.insert(i, (k, v));
                None
            }
        }
    }
    pub fn remove<Q: Ord + ?Sized>(&mut self, k: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.find(k).ok().map(|i| self.0.remove(i).1)
    }
    /// The entries in the order of their keys.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.0.iter().map(|(k, v)| (k, v))
    }
    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.0.iter().map(|(k, _)| k)
    }
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.0.iter().map(|(_, v)| v)
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'a, K: Ord, V> IntoIterator for &'a SmallMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (K, V)>, fn(&'a (K, V)) -> (&'a K, &'a V)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct SmallSet<K>(SmallMap<K, ()>);

impl<K> Default for SmallSet<K> {
    fn default() -> Self {
        SmallSet(SmallMap::default())
    }
}

impl<K: Ord> SmallSet<K> {
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds `k`; false if it was there already.
    pub fn insert(&mut self, k: K) -> bool {
        self.0.insert(k, ()).is_none()
    }
    /// Takes `k` out; false if it was not there.
    pub fn remove<Q: Ord + ?Sized>(&mut self, k: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.0.remove(k).is_some()
    }
    pub fn contains<Q: Ord + ?Sized>(&self, k: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.0.contains_key(k)
    }
    /// The members in order.
    pub fn iter(&self) -> impl Iterator<Item = &K> {
        self.0.keys()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};

    /// The same operations on a B-tree and on the small map give the same answers and contents.
    #[test]
    fn behaves_as_a_btree_does() {
        let mut small = SmallMap::new();
        let mut tree = BTreeMap::new();
        let mut set = SmallSet::new();
        let mut tset = BTreeSet::new();
        // A fixed sequence of inserts and removes over a few keys, in a scrambled order.
        for step in 0u32..200 {
            let k = format!("box{}", step.wrapping_mul(7919) % 13);
            if step % 3 == 2 {
                assert_eq!(small.remove(k.as_str()), tree.remove(k.as_str()));
                assert_eq!(set.remove(k.as_str()), tset.remove(k.as_str()));
            } else {
                assert_eq!(small.insert(k.clone(), step), tree.insert(k.clone(), step));
                assert_eq!(set.insert(k.clone()), tset.insert(k.clone()));
            }
            assert_eq!(small.iter().collect::<Vec<_>>(), tree.iter().collect::<Vec<_>>());
            assert_eq!(set.iter().collect::<Vec<_>>(), tset.iter().collect::<Vec<_>>());
            assert_eq!(small.len(), tree.len());
            for probe in ["box0", "box5", "box12", "none"] {
                assert_eq!(small.get(probe), tree.get(probe));
                assert_eq!(small.contains_key(probe), tree.contains_key(probe));
                assert_eq!(set.contains(probe), tset.contains(probe));
            }
        }
    }
}
