//! The exact check of `range_reads`: every scan must return the right number of entries, in
//! key order, with no key skipped or repeated.
//!
//! The timed loop only folds what each scan returns into an order-sensitive [`ScanDigest`]
//! (a few multiplications per entry, the same for every engine). Before the timing, untimed,
//! [`SortedKeys`] sorts every loaded key; afterwards the digest the scans must give is computed
//! from it and compared. On a mismatch, [`SortedKeys::diagnose`] reruns the scans untimed to
//! name the first wrong one: a wrong count or order fails the run instead of being a number.

use crate::keys::{mix, KeyGen, KEY_LEN, VALUE_LEN};

/// An order-sensitive digest of a sequence of scans: each entry's key, value length and first
/// value bytes, and each scan's entry count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScanDigest(u64);

impl Default for ScanDigest {
    fn default() -> ScanDigest {
        ScanDigest::new()
    }
}

impl ScanDigest {
    /// The digest of no scans.
    pub fn new() -> ScanDigest {
        ScanDigest(0x7363_616E_6469_6765) // "scandige"
    }

    fn fold(&mut self, word: u64) {
        // `mix` is a bijection, and it runs between words, so the order of the words matters.
        self.0 = mix(self.0 ^ word);
    }

    /// Adds an entry returned by a scan.
    pub fn entry(&mut self, key: &[u8], value: &[u8]) {
        let mut head = [0u8; 8];
        let n = value.len().min(8);
        head[..n].copy_from_slice(&value[..n]);
        self.entry_parts(key, value.len(), head);
    }

    /// Adds an entry from its key, its value's length and its value's first 8 bytes
    /// (zero-padded when the value is shorter).
    pub fn entry_parts(&mut self, key: &[u8], value_len: usize, value_head: [u8; 8]) {
        self.fold(key.len() as u64);
        for chunk in key.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.fold(u64::from_le_bytes(word));
        }
        self.fold(value_len as u64);
        self.fold(u64::from_le_bytes(value_head));
    }

    /// Ends a scan that returned `count` entries.
    pub fn end_scan(&mut self, count: usize) {
        self.fold(!(count as u64));
    }
}

/// Every loaded key with its index, in key order: what each scan must return.
pub struct SortedKeys {
    keys: KeyGen,
    entries: Vec<([u8; KEY_LEN], u64)>,
}

impl SortedKeys {
    /// Keys `0..count` of `keys`, sorted (`count` × 32 bytes of memory).
    pub fn build(keys: &KeyGen, count: u64) -> SortedKeys {
        let mut entries: Vec<([u8; KEY_LEN], u64)> = (0..count).map(|i| (keys.key(i), i)).collect();
        entries.sort_unstable();
        SortedKeys {
            keys: *keys,
            entries,
        }
    }

    /// The entries a scan of up to `limit` from `start` must return; `None` if `start` is not a
    /// loaded key (the scans only start at loaded keys).
    fn expected(&self, start: &[u8], limit: usize) -> Option<&[([u8; KEY_LEN], u64)]> {
        let at = self
            .entries
            .binary_search_by(|(key, _)| key.as_slice().cmp(start))
            .ok()?;
        Some(&self.entries[at..(at + limit).min(self.entries.len())])
    }

    /// The digest of the scans of up to `limit` entries from each of `starts`.
    pub fn digest(
        &self,
        starts: impl Iterator<Item = [u8; KEY_LEN]>,
        limit: usize,
    ) -> Result<ScanDigest, String> {
        let mut digest = ScanDigest::new();
        for start in starts {
            let expected = self
                .expected(&start, limit)
                .ok_or_else(|| format!("scan start {} is not a loaded key", hex(&start)))?;
            for (key, i) in expected {
                digest.entry_parts(key, VALUE_LEN, self.keys.value_prefix(*i));
            }
            digest.end_scan(expected.len());
        }
        Ok(digest)
    }

    /// Compares one scan's result with what it must be: `None` if it is right, else what is
    /// wrong with it.
    pub fn diagnose(
        &self,
        start: &[u8],
        limit: usize,
        got: &[(Vec<u8>, Vec<u8>)],
    ) -> Option<String> {
        let Some(expected) = self.expected(start, limit) else {
            return Some(format!("scan start {} is not a loaded key", hex(start)));
        };
        for (position, ((key, i), (got_key, got_value))) in expected.iter().zip(got).enumerate() {
            if key.as_slice() != got_key.as_slice() {
                return Some(format!(
                    "entry {position} is key {}, expected {} (wrong order, or a key skipped or \
                     repeated)",
                    hex(got_key),
                    hex(key)
                ));
            }
            if !self.keys.check_value(*i, got_value) {
                return Some(format!(
                    "entry {position} (key {}) has a wrong value",
                    hex(key)
                ));
            }
        }
        (got.len() != expected.len()).then(|| {
            format!(
                "returned {} entries, expected {}",
                got.len(),
                expected.len()
            )
        })
    }
}

/// `bytes` in hex, for messages.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Scans of `sorted` itself, as an engine holding exactly those keys returns them.
    fn scan(sorted: &SortedKeys, start: &[u8], limit: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
        sorted
            .expected(start, limit)
            .unwrap()
            .iter()
            .map(|(k, i)| (k.to_vec(), sorted.keys.value(*i).to_vec()))
            .collect()
    }

    fn digest_of(scans: &[Vec<(Vec<u8>, Vec<u8>)>]) -> ScanDigest {
        let mut d = ScanDigest::new();
        for s in scans {
            for (k, v) in s {
                d.entry(k, v);
            }
            d.end_scan(s.len());
        }
        d
    }

    #[test]
    fn right_scans_match_and_each_kind_of_wrong_one_is_caught() {
        let keys = KeyGen::new(3);
        let sorted = SortedKeys::build(&keys, 100);
        let starts: Vec<[u8; KEY_LEN]> = [5u64, 17, 99, 42].iter().map(|&i| keys.key(i)).collect();
        let good: Vec<_> = starts.iter().map(|s| scan(&sorted, s, 10)).collect();
        let expected = sorted.digest(starts.iter().copied(), 10).unwrap();
        assert_eq!(digest_of(&good), expected);
        for (s, g) in starts.iter().zip(&good) {
            assert_eq!(sorted.diagnose(s, 10, g), None);
        }
        // The scan from the largest key reaches the end: fewer entries is right there.
        let last = sorted.entries.last().unwrap().0;
        assert_eq!(scan(&sorted, &last, 10).len(), 1);

        let mut short = good.clone();
        short[1].pop();
        let mut swapped = good.clone();
        swapped[2].swap(0, 1);
        let mut skipped = good.clone();
        skipped[3].remove(4);
        let mut wrong_value = good.clone();
        wrong_value[0][3].1[0] ^= 1;
        let mut moved = good.clone();
        let entry = moved[0].pop().unwrap();
        moved[1].insert(0, entry);
        for (name, bad, scan_no, message) in [
            ("short", &short, 1, "returned 9 entries, expected 10"),
            ("swapped", &swapped, 2, "entry 0 is key"),
            ("skipped", &skipped, 3, "entry 4 is key"),
            ("wrong value", &wrong_value, 0, "entry 3 (key"),
            ("moved between scans", &moved, 0, "returned 9 entries"),
        ] {
            assert_ne!(digest_of(bad), expected, "{name}");
            let found = sorted
                .diagnose(&starts[scan_no], 10, &bad[scan_no])
                .unwrap();
            assert!(found.starts_with(message), "{name}: {found}");
        }
        // A scan starting at a key that was never loaded is refused, not expected empty.
        let absent = KeyGen::new(3).key(1000);
        assert!(sorted.digest([absent].into_iter(), 10).is_err());
    }
}
