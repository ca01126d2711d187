//! [`ColumnStats`] and [`TableStats`]: what `ANALYZE` records, and the selectivity
//! estimates the planner draws from a column's statistics.
//!
//! Invariants (held by the builder and checked by the decoder): `null_frac` in `[0, 1]`;
//! `distinct >= 0` counts distinct non-NULL values; `min <= max` and both are `None`
//! exactly when the column had no non-NULL value; the MCV frequencies are fractions of all
//! rows; the histogram describes the non-NULL values *outside* the MCV list, which hold
//! the fraction `1 - null_frac - mcv.total_frequency()` of the rows.

use std::ops::Bound;

use super::sort_key;
use super::{EquiDepthHistogram, MostCommonValues};
use crate::value::Value;

/// Statistics of one column.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ColumnStats {
    /// Fraction of rows that are NULL.
    pub null_frac: f64,
    /// Estimated number of distinct non-NULL values (exact for small columns).
    pub distinct: f64,
    /// The smallest non-NULL value in SQL order.
    pub min: Option<Value>,
    /// The largest non-NULL value in SQL order.
    pub max: Option<Value>,
    /// The most common values with the fraction of rows each holds.
    pub mcv: MostCommonValues,
    /// Distribution of the other non-NULL values.
    pub histogram: EquiDepthHistogram,
    /// Average stored width in bytes of a non-NULL value (see `value::value_width`).
    pub avg_width: f64,
}

/// Statistics of one table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TableStats {
    /// Rows in the table when analyzed.
    pub row_count: u64,
    /// Pages the table's tree held when analyzed.
    pub page_count: u64,
    /// One entry per column, in column order.
    pub columns: Vec<ColumnStats>,
}

impl ColumnStats {
    /// The fraction of rows not NULL and not among the common values: the histogram's share.
    fn histogram_frac(&self) -> f64 {
        (1.0 - self.null_frac - self.mcv.total_frequency()).max(0.0)
    }

    /// Whether `key` lies within `[min, max]` (false when the column is all NULL).
    fn in_min_max(&self, key: &[u8]) -> bool {
        match (&self.min, &self.max) {
            (Some(min), Some(max)) => {
                sort_key(min).as_slice() <= key && key <= sort_key(max).as_slice()
            }
            _ => false,
        }
    }

    /// The estimated fraction of rows with `column = value` (0 for `value` NULL, since
    /// `= NULL` is never true): a common value's own frequency; otherwise the rows outside
    /// the common values spread evenly over the remaining distinct values, as PostgreSQL
    /// estimates.
    pub fn selectivity_eq(&self, value: &Value) -> f64 {
        if value.is_null() {
            return 0.0;
        }
        if let Some(f) = self.mcv.frequency_of(value) {
            return f;
        }
        if !self.in_min_max(&sort_key(value)) {
            return 0.0;
        }
        let others = self.distinct - self.mcv.len() as f64;
        if others < 1.0 {
            return 0.0;
        }
        (self.histogram_frac() / others).clamp(0.0, 1.0)
    }

    /// The estimated fraction of rows with `column IS NULL`.
    pub fn selectivity_null(&self) -> f64 {
        self.null_frac
    }

    /// The estimated fraction of rows whose value lies in `lo..hi` (NULLs never do): the
    /// common values in range counted exactly, plus the histogram's estimate for the rest.
    pub fn selectivity_range(&self, lo: Bound<&Value>, hi: Bound<&Value>) -> f64 {
        let lo_key = map_bound(lo);
        let hi_key = map_bound(hi);
        let in_range = |key: &[u8]| {
            let above = match &lo_key {
                Bound::Unbounded => true,
                Bound::Included(k) => key >= k.as_slice(),
                Bound::Excluded(k) => key > k.as_slice(),
            };
            let below = match &hi_key {
                Bound::Unbounded => true,
                Bound::Included(k) => key <= k.as_slice(),
                Bound::Excluded(k) => key < k.as_slice(),
            };
            above && below
        };
        let common: f64 = self
            .mcv
            .keyed()
            .filter(|(k, _)| in_range(k))
            .map(|(_, e)| e.frequency)
            .sum();
        let rest = self.histogram.selectivity_range(lo, hi) * self.histogram_frac();
        (common + rest).clamp(0.0, 1.0)
    }
}

/// A bound on a value as a bound on its key encoding.
fn map_bound(b: Bound<&Value>) -> Bound<Vec<u8>> {
    match b {
        Bound::Unbounded => Bound::Unbounded,
        Bound::Included(v) => Bound::Included(sort_key(v)),
        Bound::Excluded(v) => Bound::Excluded(sort_key(v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats() -> ColumnStats {
        // 1000 rows: 100 NULL, 300 of value 0, the other 600 spread over 1..=600.
        ColumnStats {
            null_frac: 0.1,
            distinct: 601.0,
            min: Some(Value::Int(0)),
            max: Some(Value::Int(600)),
            mcv: MostCommonValues::new([(Value::Int(0), 0.3)]),
            histogram: EquiDepthHistogram::from_sample((1..=600).map(Value::Int), 10),
            avg_width: 2.0,
        }
    }

    #[test]
    fn equality_uses_mcv_then_spreads_the_rest() {
        let s = stats();
        assert_eq!(s.selectivity_eq(&Value::Int(0)), 0.3);
        assert!((s.selectivity_eq(&Value::Int(17)) - 0.6 / 600.0).abs() < 1e-12);
        assert_eq!(s.selectivity_eq(&Value::Int(601)), 0.0);
        assert_eq!(s.selectivity_eq(&Value::Null), 0.0);
        assert_eq!(s.selectivity_null(), 0.1);
    }

    #[test]
    fn ranges_add_mcv_and_histogram() {
        let s = stats();
        let all = s.selectivity_range(Bound::Unbounded, Bound::Unbounded);
        assert!((all - 0.9).abs() < 1e-12, "{all}");
        let low = s.selectivity_range(
            Bound::Included(&Value::Int(0)),
            Bound::Included(&Value::Int(300)),
        );
        assert!((low - 0.6).abs() < 0.01, "{low}");
        let no_zero = s.selectivity_range(
            Bound::Excluded(&Value::Int(0)),
            Bound::Included(&Value::Int(300)),
        );
        assert!((no_zero - 0.3).abs() < 0.01, "{no_zero}");
    }
}
