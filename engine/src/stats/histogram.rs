//! [`EquiDepthHistogram`]: a column's value distribution as buckets holding about the same
//! number of sampled rows each.
//!
//! Invariants: bucket upper bounds strictly increase (by key encoding); bucket `0` covers
//! `[lower, upper_0]`, bucket `i > 0` covers `(upper_{i-1}, upper_i]`, so all copies of a
//! value fall in one bucket; for each bucket `1 <= distinct <= count`,
//! `1 <= upper_count <= count`, and `upper_count` rows equal `upper` exactly. Counts are
//! rows of the sample the histogram was built from (not of the table): estimates are
//! fractions of that population.
//!
//! Construction is deterministic: with `n` sorted values and `B` buckets, bucket `b` ends at
//! sorted position `ceil((b + 1) n / B) - 1`, or later if needed to take in every copy of the
//! value there. Estimates inside a bucket interpolate linearly between its bounds: on the
//! value itself for numbers, dates, times and intervals, otherwise on the first eight key
//! bytes after the bounds' common prefix.

use std::cmp::Ordering;
use std::ops::Bound;

use super::sort_key;
use crate::value::Value;

/// One bucket of an [`EquiDepthHistogram`].
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    /// The largest value in the bucket.
    pub upper: Value,
    /// Rows in the bucket.
    pub count: u64,
    /// Rows equal to `upper`.
    pub upper_count: u64,
    /// Distinct values in the bucket, `upper` included.
    pub distinct: u64,
}

/// An equi-depth histogram over a sample of a column's non-NULL values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EquiDepthHistogram {
    lower: Option<Value>,
    buckets: Vec<Bucket>,
    /// Key encodings: `keys[0]` of `lower`, `keys[i + 1]` of `buckets[i].upper`.
    keys: Vec<Vec<u8>>,
    total: u64,
}

impl EquiDepthHistogram {
    /// Builds a histogram of at most `buckets` buckets from a sample in any order
    /// (NULLs are ignored).
    pub fn from_sample(
        sample: impl IntoIterator<Item = Value>,
        buckets: usize,
    ) -> EquiDepthHistogram {
        let mut keyed: Vec<(Vec<u8>, Value)> = sample
            .into_iter()
            .filter(|v| !v.is_null())
            .map(|v| (sort_key(&v), v))
            .collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        EquiDepthHistogram::from_sorted_keyed(&keyed, buckets)
    }

    /// Builds from `(key, value)` pairs sorted by key (see the module documentation).
    pub(crate) fn from_sorted_keyed(
        sorted: &[(Vec<u8>, Value)],
        buckets: usize,
    ) -> EquiDepthHistogram {
        let n = sorted.len();
        if n == 0 || buckets == 0 {
            return EquiDepthHistogram::default();
        }
        let b_total = buckets.min(n);
        let mut out = EquiDepthHistogram {
            lower: Some(sorted[0].1.clone()),
            keys: vec![sorted[0].0.clone()],
            ..EquiDepthHistogram::default()
        };
        let mut start = 0;
        for b in 0..b_total {
            if start >= n {
                break;
            }
            let target = ((b + 1) * n).div_ceil(b_total) - 1;
            let mut end = target.max(start);
            while end + 1 < n && sorted[end + 1].0 == sorted[end].0 {
                end += 1;
            }
            let slice = &sorted[start..=end];
            let upper_key = &sorted[end].0;
            let upper_count = slice
                .iter()
                .rev()
                .take_while(|(k, _)| k == upper_key)
                .count();
            let distinct = 1 + slice.windows(2).filter(|w| w[0].0 != w[1].0).count();
            out.buckets.push(Bucket {
                upper: sorted[end].1.clone(),
                count: slice.len() as u64,
                upper_count: upper_count as u64,
                distinct: distinct as u64,
            });
            out.keys.push(upper_key.clone());
            start = end + 1;
        }
        out.total = n as u64;
        out
    }

    /// Rebuilds a histogram from its parts, checking the invariants (for the decoder).
    pub(crate) fn from_parts(
        lower: Value,
        buckets: Vec<Bucket>,
    ) -> Result<EquiDepthHistogram, &'static str> {
        let mut keys = vec![sort_key(&lower)];
        let mut total: u64 = 0;
        for (i, b) in buckets.iter().enumerate() {
            let key = sort_key(&b.upper);
            let last = &keys[keys.len() - 1];
            if (i == 0 && key < *last) || (i > 0 && key <= *last) {
                return Err("bucket bounds out of order");
            }
            if b.count == 0 || b.distinct == 0 || b.distinct > b.count {
                return Err("bucket distinct count out of range");
            }
            if b.upper_count == 0 || b.upper_count > b.count {
                return Err("bucket upper count out of range");
            }
            total = total.checked_add(b.count).ok_or("bucket counts overflow")?;
            keys.push(key);
        }
        if lower.is_null() || buckets.is_empty() {
            return Err("empty histogram with a lower bound");
        }
        Ok(EquiDepthHistogram {
            lower: Some(lower),
            buckets,
            keys,
            total,
        })
    }

    /// Whether the histogram has no buckets.
    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }

    /// The smallest value in the histogram.
    pub fn lower(&self) -> Option<&Value> {
        self.lower.as_ref()
    }

    /// The buckets, in ascending order.
    pub fn buckets(&self) -> &[Bucket] {
        &self.buckets
    }

    /// Rows of the sample the histogram describes (the sum of bucket counts).
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The estimated fraction of the histogram's rows equal to `value`: exact for a bucket's
    /// upper bound, the bucket's other rows spread evenly over its other distinct values
    /// otherwise, 0 outside the histogram's range.
    pub fn selectivity_eq(&self, value: &Value) -> f64 {
        if self.total == 0 || value.is_null() {
            return 0.0;
        }
        let key = sort_key(value);
        if key < self.keys[0] {
            return 0.0;
        }
        for (b, upper_key) in self.buckets.iter().zip(&self.keys[1..]) {
            match key.cmp(upper_key) {
                Ordering::Greater => continue,
                Ordering::Equal => return b.upper_count as f64 / self.total as f64,
                Ordering::Less => return Self::inner_eq_rows(b) / self.total as f64,
            }
        }
        0.0
    }

    /// Rows per distinct value among a bucket's rows other than its upper bound.
    fn inner_eq_rows(b: &Bucket) -> f64 {
        let rows = b.count - b.upper_count;
        if rows == 0 {
            0.0
        } else {
            rows as f64 / (b.distinct - 1).max(1) as f64
        }
    }

    /// The estimated fraction of the histogram's rows in the range `lo..hi`; an unbounded
    /// end is open. Always in `[0, 1]`, and 0 for an empty range.
    pub fn selectivity_range(&self, lo: Bound<&Value>, hi: Bound<&Value>) -> f64 {
        if self.total == 0 {
            return 0.0;
        }
        let upto = match hi {
            Bound::Unbounded => self.total as f64,
            Bound::Included(v) => self.rows_below(v, true),
            Bound::Excluded(v) => self.rows_below(v, false),
        };
        let from = match lo {
            Bound::Unbounded => 0.0,
            Bound::Included(v) => self.rows_below(v, false),
            Bound::Excluded(v) => self.rows_below(v, true),
        };
        ((upto - from) / self.total as f64).clamp(0.0, 1.0)
    }

    /// Estimated rows `< value` (or `<= value` when `inclusive`).
    fn rows_below(&self, value: &Value, inclusive: bool) -> f64 {
        let key = sort_key(value);
        if key < self.keys[0] {
            return 0.0;
        }
        let mut acc = 0.0;
        for (i, b) in self.buckets.iter().enumerate() {
            let upper_key = &self.keys[i + 1];
            let inner = (b.count - b.upper_count) as f64;
            match key.cmp(upper_key) {
                Ordering::Greater => acc += b.count as f64,
                Ordering::Equal => {
                    return acc + inner + if inclusive { b.upper_count as f64 } else { 0.0 };
                }
                Ordering::Less => {
                    let lower = if i == 0 {
                        self.lower.as_ref()
                    } else {
                        Some(&self.buckets[i - 1].upper)
                    };
                    let frac = lower.map_or(0.0, |l| {
                        interpolate(l, &self.keys[i], &b.upper, upper_key, value, &key)
                    });
                    let mut below = inner * frac;
                    if inclusive {
                        below += Self::inner_eq_rows(b);
                    }
                    return acc + below.min(inner);
                }
            }
        }
        acc
    }
}

/// Where `x` lies between `lo` and `hi` (`lo <= x < hi` by key), as a fraction in `[0, 1]`.
fn interpolate(
    lo: &Value,
    lo_key: &[u8],
    hi: &Value,
    hi_key: &[u8],
    x: &Value,
    x_key: &[u8],
) -> f64 {
    if let (Some(l), Some(h), Some(v)) = (lo.as_scalar(), hi.as_scalar(), x.as_scalar()) {
        if h > l && h.is_finite() && l.is_finite() {
            return ((v - l) / (h - l)).clamp(0.0, 1.0);
        }
    }
    let common = lo_key
        .iter()
        .zip(hi_key)
        .take_while(|(a, b)| a == b)
        .count();
    let word = |k: &[u8]| {
        let mut b = [0u8; 8];
        for (i, byte) in k.iter().skip(common).take(8).enumerate() {
            b[i] = *byte;
        }
        u64::from_be_bytes(b) as f64
    };
    let (l, h, v) = (word(lo_key), word(hi_key), word(x_key));
    if h > l {
        ((v - l) / (h - l)).clamp(0.0, 1.0)
    } else {
        0.5
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(values: impl IntoIterator<Item = i64>) -> Vec<Value> {
        values.into_iter().map(Value::Int).collect()
    }

    fn shape(h: &EquiDepthHistogram) -> Vec<(Value, u64, u64, u64)> {
        h.buckets()
            .iter()
            .map(|b| (b.upper.clone(), b.count, b.upper_count, b.distinct))
            .collect()
    }

    #[test]
    fn exact_buckets_on_uniform_input() {
        let h = EquiDepthHistogram::from_sample(ints((1..=100).rev()), 10);
        let expected: Vec<_> = (1..=10).map(|i| (Value::Int(i * 10), 10, 1, 10)).collect();
        assert_eq!(shape(&h), expected);
        assert_eq!(h.lower(), Some(&Value::Int(1)));
        assert_eq!(h.total(), 100);
        let r = |lo, hi| h.selectivity_range(lo, hi);
        let (one, fifty) = (Value::Int(1), Value::Int(50));
        assert_eq!(r(Bound::Included(&one), Bound::Included(&fifty)), 0.5);
        assert_eq!(r(Bound::Unbounded, Bound::Included(&fifty)), 0.5);
        assert_eq!(r(Bound::Excluded(&fifty), Bound::Unbounded), 0.5);
        assert_eq!(r(Bound::Unbounded, Bound::Unbounded), 1.0);
        assert_eq!(r(Bound::Included(&Value::Int(101)), Bound::Unbounded), 0.0);
        assert_eq!(r(Bound::Unbounded, Bound::Excluded(&one)), 0.0);
        assert_eq!(r(Bound::Included(&fifty), Bound::Included(&one)), 0.0);
        assert_eq!(h.selectivity_eq(&Value::Int(40)), 0.01);
        assert_eq!(h.selectivity_eq(&Value::Int(0)), 0.0);
        assert_eq!(h.selectivity_eq(&Value::Int(101)), 0.0);
        assert!((h.selectivity_eq(&Value::Int(35)) - 0.01).abs() < 1e-12);
        // Within a bucket the estimate interpolates: (25, 35] is about a tenth.
        let s = r(
            Bound::Excluded(&Value::Int(25)),
            Bound::Included(&Value::Int(35)),
        );
        assert!((s - 0.1).abs() < 0.011, "{s}");
    }

    #[test]
    fn duplicates_never_straddle_buckets() {
        let h = EquiDepthHistogram::from_sample(ints([1, 1, 1, 1, 2, 3, 4, 5, 5, 5]), 3);
        assert_eq!(
            shape(&h),
            vec![
                (Value::Int(1), 4, 4, 1),
                (Value::Int(4), 3, 1, 3),
                (Value::Int(5), 3, 3, 1)
            ]
        );
        assert_eq!(h.selectivity_eq(&Value::Int(1)), 0.4);
        assert_eq!(h.selectivity_eq(&Value::Float(5.0)), 0.3);
        assert_eq!(h.selectivity_eq(&Value::Int(3)), 0.1);
        // Rows 2..=4 are 3 of 10; inside bucket (1, 4] the estimate interpolates on (1, 4).
        let s = h.selectivity_range(
            Bound::Included(&Value::Int(2)),
            Bound::Included(&Value::Int(4)),
        );
        assert!((s - 0.2333).abs() < 0.001, "{s}");
        assert_eq!(
            h.selectivity_range(
                Bound::Excluded(&Value::Int(1)),
                Bound::Included(&Value::Int(4))
            ),
            0.3
        );
        // One value everywhere: one bucket.
        let same = EquiDepthHistogram::from_sample(ints([7; 50]), 10);
        assert_eq!(shape(&same), vec![(Value::Int(7), 50, 50, 1)]);
        assert!(EquiDepthHistogram::from_sample([Value::Null], 4).is_empty());
    }

    #[test]
    fn range_estimates_on_uniform_data_are_close() {
        let h = EquiDepthHistogram::from_sample(ints(0..10_000), 100);
        for (lo, hi) in [
            (0, 9_999),
            (1_234, 5_678),
            (100, 150),
            (9_000, 20_000),
            (-50, 10),
        ] {
            let est = h.selectivity_range(
                Bound::Included(&Value::Int(lo)),
                Bound::Included(&Value::Int(hi)),
            );
            let truth = (hi.min(9_999) - lo.max(0) + 1) as f64 / 10_000.0;
            assert!(
                (est - truth).abs() < 0.002,
                "[{lo}, {hi}]: {est} vs {truth}"
            );
        }
        // Mixed numeric types interpolate on the numbers themselves.
        let est = h.selectivity_range(
            Bound::Included(&Value::Float(99.5)),
            Bound::Excluded(&Value::Decimal("200".parse().unwrap())),
        );
        assert!((est - 0.01).abs() < 0.001, "{est}");
    }

    #[test]
    fn text_interpolates_on_key_bytes() {
        let words: Vec<Value> = (b'a'..=b'z')
            .map(|c| Value::Text(String::from(c as char).repeat(3)))
            .collect();
        let h = EquiDepthHistogram::from_sample(words, 5);
        let est = h.selectivity_range(Bound::Unbounded, Bound::Excluded(&Value::Text("n".into())));
        assert!((est - 0.5).abs() < 0.05, "{est}");
    }
}
