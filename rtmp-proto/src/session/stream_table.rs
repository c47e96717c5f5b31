//! [`StreamTable`]: a session's message streams by id, kept inline.
//!
//! A server session looks its stream up for every frame it queues (is it still playing,
//! paused, ended?). In a relay's fan-out that is once per player and frame, and a
//! `BTreeMap`'s node on the heap was one more cold cache line each time. A connection has
//! one or two streams (a player's, a publisher's), so they sit inline in the session, sorted
//! by id; a connection with more (a multi-camera publisher) spills to the heap, bounded by
//! `ServerConfig::max_streams`.

use smallvec::SmallVec;

/// Streams kept inline before the table spills to the heap.
const INLINE: usize = 2;

/// A map from message stream id to `V`, sorted by id.
#[derive(Debug, Clone)]
pub(crate) struct StreamTable<V> {
    entries: SmallVec<[(u32, V); INLINE]>,
}

impl<V> Default for StreamTable<V> {
    fn default() -> Self {
        StreamTable {
            entries: SmallVec::new(),
        }
    }
}

impl<V> StreamTable<V> {
    fn find(&self, id: u32) -> Result<usize, usize> {
        self.entries.binary_search_by_key(&id, |(k, _)| *k)
    }

    /// How many streams there are.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether `id` is a stream.
    pub(crate) fn contains_key(&self, id: &u32) -> bool {
        self.find(*id).is_ok()
    }

    /// The value of stream `id`.
    pub(crate) fn get(&self, id: &u32) -> Option<&V> {
        let at = self.find(*id).ok()?;
        self.entries.get(at).map(|(_, v)| v)
    }

    /// The value of stream `id`, to change.
    pub(crate) fn get_mut(&mut self, id: &u32) -> Option<&mut V> {
        let at = self.find(*id).ok()?;
        self.entries.get_mut(at).map(|(_, v)| v)
    }

    /// Sets stream `id`'s value; the one it replaced, if any.
    pub(crate) fn insert(&mut self, id: u32, value: V) -> Option<V> {
        match self.find(id) {
            Ok(at) => self
                .entries
                .get_mut(at)
                .map(|(_, v)| std::mem::replace(v, value)),
            Err(at) => {
                self.entries.insert(at, (id, value));
                None
            }
        }
    }

    /// Forgets stream `id`; its value, if it was there.
    pub(crate) fn remove(&mut self, id: &u32) -> Option<V> {
        let at = self.find(*id).ok()?;
        Some(self.entries.remove(at).1)
    }

    /// Every stream, by increasing id.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&u32, &V)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// The table answers like the `BTreeMap` it replaced, for any sequence of changes.
        #[test]
        fn behaves_like_a_btree_map(ops in prop::collection::vec((0u8..3, 0u32..8, any::<u16>()), 0..64)) {
            let mut table = StreamTable::default();
            let mut model = BTreeMap::new();
            for (op, id, value) in ops {
                match op {
                    0 => prop_assert_eq!(table.insert(id, value), model.insert(id, value)),
                    1 => prop_assert_eq!(table.remove(&id), model.remove(&id)),
                    _ => {
                        if let (Some(t), Some(m)) = (table.get_mut(&id), model.get_mut(&id)) {
                            *t = t.wrapping_add(1);
                            *m = m.wrapping_add(1);
                        }
                    }
                }
                prop_assert_eq!(table.len(), model.len());
                prop_assert_eq!(table.get(&id), model.get(&id));
                prop_assert_eq!(table.contains_key(&id), model.contains_key(&id));
                let listed: Vec<_> = table.iter().collect();
                let expected: Vec<_> = model.iter().collect();
                prop_assert_eq!(listed, expected);
            }
        }
    }
}
