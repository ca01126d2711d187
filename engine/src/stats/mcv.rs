//! [`MostCommonValues`]: the values that make up a large share of a column, with the
//! fraction of rows each one holds.
//!
//! Invariants: entries are distinct (by key encoding), ordered by descending frequency (ties
//! by ascending value); each frequency is a fraction of *all* rows of the table, NULLs
//! included (as PostgreSQL's `most_common_freqs`), so an equality's selectivity is the
//! frequency itself and the frequencies sum to at most `1 - null_frac`.

use std::cmp::Ordering;
use std::collections::HashSet;

use super::sort_key;
use crate::value::Value;

/// One common value and its frequency.
#[derive(Debug, Clone, PartialEq)]
pub struct McvEntry {
    /// The value.
    pub value: Value,
    /// The fraction of all rows equal to it.
    pub frequency: f64,
}

/// A column's most common values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MostCommonValues {
    entries: Vec<McvEntry>,
    /// `keys[i]` is the key encoding of `entries[i].value`.
    keys: Vec<Vec<u8>>,
}

impl MostCommonValues {
    /// A list from `(value, frequency)` pairs: NULLs and duplicates (the later one) dropped,
    /// frequencies clamped to `[0, 1]`, then ordered as the module documentation says.
    pub fn new(entries: impl IntoIterator<Item = (Value, f64)>) -> MostCommonValues {
        let mut keyed: Vec<(Vec<u8>, McvEntry)> = Vec::new();
        let mut seen = HashSet::new();
        for (value, frequency) in entries {
            if value.is_null() {
                continue;
            }
            let key = sort_key(&value);
            if !seen.insert(key.clone()) {
                continue;
            }
            let frequency = if frequency.is_nan() {
                0.0
            } else {
                frequency.clamp(0.0, 1.0)
            };
            keyed.push((key, McvEntry { value, frequency }));
        }
        keyed.sort_by(|(ka, a), (kb, b)| {
            b.frequency
                .partial_cmp(&a.frequency)
                .unwrap_or(Ordering::Equal)
                .then_with(|| ka.cmp(kb))
        });
        let (keys, entries) = keyed.into_iter().unzip();
        MostCommonValues { entries, keys }
    }

    /// Picks the common values of a sample sorted by key. `runs` are `(key, value, count)`
    /// for each distinct value of the sample; `sample_len` is the sample size and
    /// `nonnull_frac` the fraction of the table's rows that are not NULL. With
    /// `keep_all`, every value is kept (the sample is known to hold every distinct value
    /// and they fit in `max`); otherwise a value is kept when it occurs at least twice and
    /// more than 1.25 times the average count, the `max` most frequent first.
    pub(crate) fn from_runs(
        runs: &[(Vec<u8>, Value, u64)],
        sample_len: u64,
        nonnull_frac: f64,
        max: usize,
        keep_all: bool,
    ) -> MostCommonValues {
        if sample_len == 0 || max == 0 {
            return MostCommonValues::default();
        }
        let keep_all = keep_all && runs.len() <= max;
        let average = sample_len as f64 / runs.len().max(1) as f64;
        let mut picked: Vec<&(Vec<u8>, Value, u64)> = runs
            .iter()
            .filter(|(_, _, count)| keep_all || (*count >= 2 && *count as f64 > 1.25 * average))
            .collect();
        // Most frequent first; runs are in key order, and the sort is stable, so ties stay
        // in value order.
        picked.sort_by_key(|run| std::cmp::Reverse(run.2));
        picked.truncate(max);
        let scale = nonnull_frac / sample_len as f64;
        MostCommonValues::new(
            picked
                .into_iter()
                .map(|(_, v, c)| (v.clone(), *c as f64 * scale)),
        )
    }

    /// The entries, most frequent first.
    pub fn entries(&self) -> &[McvEntry] {
        &self.entries
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The frequency of `value` if it is a common value.
    pub fn frequency_of(&self, value: &Value) -> Option<f64> {
        let key = sort_key(value);
        self.keys
            .iter()
            .position(|k| *k == key)
            .map(|i| self.entries[i].frequency)
    }

    /// The sum of all frequencies: the fraction of rows holding a common value.
    pub fn total_frequency(&self) -> f64 {
        self.entries
            .iter()
            .map(|e| e.frequency)
            .sum::<f64>()
            .min(1.0)
    }

    /// The entries with their key encodings.
    pub(crate) fn keyed(&self) -> impl Iterator<Item = (&[u8], &McvEntry)> {
        self.keys.iter().map(Vec::as_slice).zip(&self.entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_and_deduplicates() {
        let m = MostCommonValues::new([
            (Value::Int(2), 0.1),
            (Value::Int(1), 0.3),
            (Value::Float(2.0), 0.5),
            (Value::Null, 0.9),
            (Value::Int(3), 0.1),
        ]);
        let values: Vec<_> = m.entries().iter().map(|e| e.value.clone()).collect();
        assert_eq!(values, vec![Value::Int(1), Value::Int(2), Value::Int(3)]);
        assert_eq!(
            m.frequency_of(&Value::Decimal("2.0".parse().unwrap())),
            Some(0.1)
        );
        assert_eq!(m.frequency_of(&Value::Int(4)), None);
        assert!((m.total_frequency() - 0.5).abs() < 1e-12);
    }

    #[test]
    fn picks_values_above_average() {
        let run = |i: i64, c| (sort_key(&Value::Int(i)), Value::Int(i), c);
        // 100 sampled values: 1 ×50, 2 ×20, 3..=32 once each (average 100/32 ≈ 3.1).
        let mut runs = vec![run(1, 50), run(2, 20)];
        runs.extend((3..=32).map(|i| run(i, 1)));
        let m = MostCommonValues::from_runs(&runs, 100, 0.5, 10, false);
        assert_eq!(m.len(), 2);
        assert_eq!(m.frequency_of(&Value::Int(1)), Some(0.25));
        assert_eq!(m.frequency_of(&Value::Int(2)), Some(0.1));
        let all = MostCommonValues::from_runs(&runs[..3], 71, 1.0, 10, true);
        assert_eq!(all.len(), 3);
        assert!(MostCommonValues::from_runs(&runs, 100, 1.0, 10, true).len() == 2);
    }
}
