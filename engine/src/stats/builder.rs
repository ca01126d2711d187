//! [`ColumnStatsBuilder`] and [`TableStatsBuilder`]: statistics from one pass over values.
//!
//! Each value is seen once and memory stays bounded whatever the table size:
//!
//! * counts (rows, NULLs, widths) and min/max are exact;
//! * distinct values are counted exactly in a set of key encodings until it passes
//!   [`StatsConfig::exact_distinct_limit`], then by the [`HyperLogLog`] sketch that has seen
//!   every value from the start;
//! * the MCV list and histogram come from a uniform reservoir sample (Algorithm R) of at
//!   most [`StatsConfig::sample_size`] non-NULL values, drawn with a seeded RNG so that one
//!   table and one seed always give the same statistics. Builders of one table share the
//!   seed, so their samples are the same rows.
//!
//! The builder assumes it sees every row (a full scan); the counts are the table's.

use std::collections::HashSet;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::sort_key;
use super::{
    ColumnStats, EquiDepthHistogram, HyperLogLog, MostCommonValues, TableStats,
    DEFAULT_HLL_PRECISION,
};
use crate::value::{value_width, Value};

/// Bounds and seed for building statistics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsConfig {
    /// Most non-NULL values kept in the reservoir sample.
    pub sample_size: usize,
    /// Most distinct values counted exactly before switching to HyperLogLog.
    pub exact_distinct_limit: usize,
    /// Most entries in the MCV list.
    pub mcv_size: usize,
    /// Most histogram buckets.
    pub histogram_buckets: usize,
    /// HyperLogLog precision (clamped to the supported range).
    pub hll_precision: u8,
    /// Seed of the sampling RNG.
    pub seed: u64,
}

impl Default for StatsConfig {
    fn default() -> StatsConfig {
        StatsConfig {
            sample_size: 10_000,
            exact_distinct_limit: 10_000,
            mcv_size: 100,
            histogram_buckets: 100,
            hll_precision: DEFAULT_HLL_PRECISION,
            seed: 0x636f_7665_745f_7374, // "covet_st"
        }
    }
}

/// Builds a [`ColumnStats`] from the column's values, one at a time.
#[derive(Debug)]
pub struct ColumnStatsBuilder {
    config: StatsConfig,
    rows: u64,
    nulls: u64,
    width_sum: u128,
    hll: HyperLogLog,
    /// Key encodings of the distinct values seen, until there are too many.
    exact: Option<HashSet<Vec<u8>>>,
    /// `(key, value)` of the sampled non-NULL values.
    sample: Vec<(Vec<u8>, Value)>,
    rng: StdRng,
    min: Option<(Vec<u8>, Value)>,
    max: Option<(Vec<u8>, Value)>,
}

impl Default for ColumnStatsBuilder {
    fn default() -> ColumnStatsBuilder {
        ColumnStatsBuilder::new(StatsConfig::default())
    }
}

impl ColumnStatsBuilder {
    /// A builder with the given bounds and seed.
    pub fn new(config: StatsConfig) -> ColumnStatsBuilder {
        ColumnStatsBuilder {
            hll: HyperLogLog::new(config.hll_precision),
            rng: StdRng::seed_from_u64(config.seed),
            exact: Some(HashSet::new()),
            sample: Vec::with_capacity(config.sample_size.min(1024)),
            config,
            rows: 0,
            nulls: 0,
            width_sum: 0,
            min: None,
            max: None,
        }
    }

    /// The number of values added so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Adds the column's value of the next row.
    pub fn add(&mut self, value: &Value) {
        self.rows += 1;
        if value.is_null() {
            self.nulls += 1;
            return;
        }
        let non_null = self.rows - self.nulls;
        self.width_sum += value_width(value) as u128;
        let key = sort_key(value);
        self.hll.add_bytes(&key);
        if let Some(set) = &mut self.exact {
            if !set.contains(&key) {
                if set.len() >= self.config.exact_distinct_limit {
                    self.exact = None;
                } else {
                    set.insert(key.clone());
                }
            }
        }
        if self.min.as_ref().is_none_or(|(k, _)| key < *k) {
            self.min = Some((key.clone(), value.clone()));
        }
        if self.max.as_ref().is_none_or(|(k, _)| key > *k) {
            self.max = Some((key.clone(), value.clone()));
        }
        // Algorithm R: the n-th value replaces a random slot with probability size / n.
        if self.sample.len() < self.config.sample_size {
            self.sample.push((key, value.clone()));
        } else {
            let slot = self.rng.gen_range(0..non_null);
            if let Some(s) = usize::try_from(slot)
                .ok()
                .and_then(|i| self.sample.get_mut(i))
            {
                *s = (key, value.clone());
            }
        }
    }

    /// The statistics of the values added.
    pub fn finish(self) -> ColumnStats {
        let non_null = self.rows - self.nulls;
        if non_null == 0 {
            let null_frac = if self.rows == 0 { 0.0 } else { 1.0 };
            return ColumnStats {
                null_frac,
                ..ColumnStats::default()
            };
        }
        let null_frac = self.nulls as f64 / self.rows as f64;
        let mut sample = self.sample;
        sample.sort_by(|a, b| a.0.cmp(&b.0));
        // Runs of equal keys: (key, value, count).
        let mut runs: Vec<(Vec<u8>, Value, u64)> = Vec::new();
        for (key, value) in sample {
            match runs.last_mut() {
                Some((k, _, count)) if *k == key => *count += 1,
                _ => runs.push((key, value, 1)),
            }
        }
        let sample_len: u64 = runs.iter().map(|r| r.2).sum();
        let distinct = match &self.exact {
            Some(set) => set.len() as f64,
            // The sketch can undercount a little below what the sample proves.
            None => self.hll.estimate().max(runs.len() as f64),
        };
        // The sample holds every distinct value when the exact count says so.
        let complete = self
            .exact
            .as_ref()
            .is_some_and(|set| set.len() == runs.len());
        let mcv = MostCommonValues::from_runs(
            &runs,
            sample_len,
            1.0 - null_frac,
            self.config.mcv_size,
            complete,
        );
        let rest: Vec<(Vec<u8>, Value)> = runs
            .into_iter()
            .filter(|(_, v, _)| mcv.frequency_of(v).is_none())
            .flat_map(|(k, v, count)| std::iter::repeat_n((k, v), count as usize))
            .collect();
        let histogram = EquiDepthHistogram::from_sorted_keyed(&rest, self.config.histogram_buckets);
        ColumnStats {
            null_frac,
            distinct,
            min: self.min.map(|(_, v)| v),
            max: self.max.map(|(_, v)| v),
            mcv,
            histogram,
            avg_width: self.width_sum as f64 / non_null as f64,
        }
    }
}

/// Builds a [`TableStats`] from whole rows.
#[derive(Debug)]
pub struct TableStatsBuilder {
    columns: Vec<ColumnStatsBuilder>,
    rows: u64,
}

impl TableStatsBuilder {
    /// A builder for a table of `columns` columns; all columns share `config`.
    pub fn new(columns: usize, config: StatsConfig) -> TableStatsBuilder {
        TableStatsBuilder {
            columns: (0..columns)
                .map(|_| ColumnStatsBuilder::new(config.clone()))
                .collect(),
            rows: 0,
        }
    }

    /// Adds a row. A short row's missing columns count as NULL (a column added later by
    /// `ALTER TABLE`); values past the last column are ignored.
    pub fn add_row(&mut self, row: &[Value]) {
        self.rows += 1;
        for (i, column) in self.columns.iter_mut().enumerate() {
            column.add(row.get(i).unwrap_or(&Value::Null));
        }
    }

    /// The statistics of the rows added, for a table whose tree holds `page_count` pages.
    pub fn finish(self, page_count: u64) -> TableStats {
        TableStats {
            row_count: self.rows,
            page_count,
            columns: self
                .columns
                .into_iter()
                .map(ColumnStatsBuilder::finish)
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ops::Bound;

    fn build(values: impl IntoIterator<Item = Value>, config: StatsConfig) -> ColumnStats {
        let mut b = ColumnStatsBuilder::new(config);
        for v in values {
            b.add(&v);
        }
        b.finish()
    }

    #[test]
    fn small_column_is_exact() {
        // 0..=9 twice each, plus 5 NULLs and eighty 7s.
        let values = (0..20)
            .map(|i| Value::Int(i % 10))
            .chain((0..5).map(|_| Value::Null))
            .chain((0..80).map(|_| Value::Int(7)));
        let s = build(
            values,
            StatsConfig {
                mcv_size: 3,
                histogram_buckets: 4,
                ..StatsConfig::default()
            },
        );
        assert_eq!(s.null_frac, 5.0 / 105.0);
        assert_eq!(s.distinct, 10.0);
        assert_eq!(s.min, Some(Value::Int(0)));
        assert_eq!(s.max, Some(Value::Int(9)));
        assert_eq!(s.mcv.len(), 1);
        assert!((s.mcv.frequency_of(&Value::Int(7)).unwrap() - 82.0 / 105.0).abs() < 1e-12);
        // The histogram holds the 18 other rows: values 0..=9 without 7, twice each.
        assert_eq!(s.histogram.total(), 18);
        let uppers: Vec<_> = s
            .histogram
            .buckets()
            .iter()
            .map(|b| (b.upper.clone(), b.count))
            .collect();
        assert_eq!(
            uppers,
            vec![
                (Value::Int(2), 6),
                (Value::Int(4), 4),
                (Value::Int(6), 4),
                (Value::Int(9), 4)
            ]
        );
        assert_eq!(s.avg_width, 2.0);
        let total = s.selectivity_range(Bound::Unbounded, Bound::Unbounded);
        assert!((total - 100.0 / 105.0).abs() < 1e-9);
    }

    #[test]
    fn all_values_fit_the_mcv_list() {
        let values = (0..300).map(|i| Value::Text(["a", "b", "c"][i % 3].into()));
        let s = build(values, StatsConfig::default());
        assert_eq!(s.mcv.len(), 3);
        assert!(s.histogram.is_empty());
        assert!((s.selectivity_eq(&Value::Text("b".into())) - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn large_column_samples_and_sketches() {
        let n = 200_000i64;
        let config = StatsConfig::default();
        let s = build((0..n).map(|i| Value::Int((i * 7_919) % n)), config.clone());
        assert!(
            (s.distinct - n as f64).abs() / (n as f64) < 0.03,
            "{}",
            s.distinct
        );
        assert!(s.mcv.is_empty());
        assert_eq!(s.histogram.total(), 10_000);
        assert_eq!(s.histogram.buckets().len(), 100);
        let est = s.selectivity_range(
            Bound::Included(&Value::Int(0)),
            Bound::Excluded(&Value::Int(n / 4)),
        );
        assert!((est - 0.25).abs() < 0.03, "{est}");
        // Deterministic for one seed.
        let again = build((0..n).map(|i| Value::Int((i * 7_919) % n)), config);
        assert_eq!(again, s);
    }

    #[test]
    fn table_builder_handles_short_rows() {
        let mut t = TableStatsBuilder::new(2, StatsConfig::default());
        t.add_row(&[Value::Int(1), Value::Text("x".into())]);
        t.add_row(&[Value::Int(2)]);
        t.add_row(&[]);
        let stats = t.finish(4);
        assert_eq!((stats.row_count, stats.page_count), (3, 4));
        assert_eq!(stats.columns[0].null_frac, 1.0 / 3.0);
        assert_eq!(stats.columns[1].null_frac, 2.0 / 3.0);
        assert_eq!(stats.columns[1].distinct, 1.0);
        let empty = TableStatsBuilder::new(1, StatsConfig::default()).finish(0);
        assert_eq!(empty.columns[0], ColumnStats::default());
    }
}
