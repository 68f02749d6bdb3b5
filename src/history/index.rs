//! The tests' key index: key → position in [`History::tests`] without a
//! second copy of every key.
//!
//! A `HashMap<String, u32>` holds each key twice (in the record and in the
//! map): with a million tests that is ~150 MB and a million allocations. This
//! table keeps only the position and a hash per slot (8 bytes, open
//! addressing, linear probing) and compares candidates against the records'
//! own keys.
//!
//! [`History::tests`]: super::History::tests

use super::model::TestRecord;

/// Slot value of an empty slot.
const EMPTY: u32 = u32::MAX;

#[derive(Debug, Clone, Default)]
pub(crate) struct KeyIndex {
    /// (position in `tests`, high half of the key's hash); `EMPTY` if unused.
    slots: Vec<(u32, u32)>,
    len: usize,
}

fn hash(key: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(key.as_bytes())
}

impl KeyIndex {
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.len
    }

    fn mask(&self) -> usize {
        self.slots.len() - 1
    }

    /// Room for `more` entries beyond the current ones without growing.
    pub fn reserve(&mut self, tests: &[TestRecord], more: usize) {
        let want = self.len + more;
        // At most 1/2 full: short probes.
        if want * 2 > self.slots.len() {
            self.grow_to((want * 2).next_power_of_two().max(16), tests);
        }
    }

    fn grow_to(&mut self, size: usize, tests: &[TestRecord]) {
        let old = std::mem::replace(&mut self.slots, vec![(EMPTY, 0); size]);
        let mask = self.mask();
        for (i, tag) in old {
            if i == EMPTY {
                continue;
            }
            let h = hash(&tests[i as usize].key);
            debug_assert_eq!((h >> 32) as u32, tag);
            let mut s = h as usize & mask;
            while self.slots[s].0 != EMPTY {
                s = (s + 1) & mask;
            }
            self.slots[s] = (i, tag);
        }
    }

    /// The position of the test with this key.
    pub fn get(&self, tests: &[TestRecord], key: &str) -> Option<u32> {
        if self.len == 0 {
            return None;
        }
        let h = hash(key);
        let tag = (h >> 32) as u32;
        let mask = self.mask();
        let mut s = h as usize & mask;
        loop {
            let (i, t) = self.slots[s];
            if i == EMPTY {
                return None;
            }
            if t == tag && tests[i as usize].key == key {
                return Some(i);
            }
            s = (s + 1) & mask;
        }
    }

    pub fn contains(&self, tests: &[TestRecord], key: &str) -> bool {
        self.get(tests, key).is_some()
    }

    /// Indexes `tests[index]` under its key, unless a test with that key is
    /// indexed already: then returns that one's position and changes nothing.
    pub fn insert(&mut self, tests: &[TestRecord], index: u32) -> Option<u32> {
        self.reserve(tests, 1);
        let key = tests[index as usize].key.as_str();
        let h = hash(key);
        let tag = (h >> 32) as u32;
        let mask = self.mask();
        let mut s = h as usize & mask;
        loop {
            let (i, t) = self.slots[s];
            if i == EMPTY {
                self.slots[s] = (index, tag);
                self.len += 1;
                return None;
            }
            if t == tag && tests[i as usize].key == key {
                return Some(i);
            }
            s = (s + 1) & mask;
        }
    }

    /// The index of all `tests` (the first of equal keys wins).
    pub fn build(tests: &[TestRecord]) -> KeyIndex {
        let mut index = KeyIndex::default();
        index.reserve(tests, tests.len());
        for i in 0..tests.len() {
            index.insert(tests, i as u32);
        }
        index
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playwright::testid::TestId;

    fn record(key: &str) -> TestRecord {
        TestRecord {
            id: TestId::new("", "a.spec.ts", vec![key.into()]),
            key: key.into(),
            line: None,
            tags: Vec::new(),
            attempts: Vec::new(),
        }
    }

    #[test]
    fn finds_what_was_inserted_and_refuses_duplicates() {
        let mut tests = Vec::new();
        let mut index = KeyIndex::default();
        assert_eq!(index.get(&tests, "x"), None);
        for i in 0..1000 {
            tests.push(record(&format!("t{i}")));
            assert_eq!(index.insert(&tests, i), None);
        }
        assert_eq!(index.len(), 1000);
        for i in 0..1000u32 {
            assert_eq!(index.get(&tests, &format!("t{i}")), Some(i));
        }
        assert_eq!(index.get(&tests, "t1000"), None);
        tests.push(record("t7"));
        assert_eq!(index.insert(&tests, 1000), Some(7));
        assert_eq!(index.len(), 1000);
        let rebuilt = KeyIndex::build(&tests);
        assert_eq!(rebuilt.len(), 1000);
        assert_eq!(rebuilt.get(&tests, "t7"), Some(7));
    }
}
