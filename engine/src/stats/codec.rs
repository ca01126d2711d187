//! The versioned binary form of statistics, as the catalog stores them.
//!
//! Format version 1 ([`STATS_FORMAT_VERSION`]); all floats are `f64` little-endian, all
//! counts LEB128 varints, and every list of values is one row in the row format
//! (`value::encode_row`) behind a varint byte length, so values keep their exact type:
//!
//! ```text
//! TableStats:  version u8, row_count, page_count, column count,
//!              then per column: byte length, ColumnStats body
//! ColumnStats: version u8, null_frac f64, distinct f64, avg_width f64,
//!              values [min, max] (NULL = none),
//!              mcv count n, values [v1..vn], n × frequency f64,
//!              bucket count b, values [lower, upper_1..upper_b] (empty when b = 0),
//!              b × (count, upper_count, distinct)
//! ```
//!
//! The decoder checks every invariant of `column.rs` and `histogram.rs` and never panics:
//! anything wrong is a [`StatsDecodeError`]. A new layout gets a new version byte.

use crate::value::{decode_row, encode_row, RowDecodeError, Value};
use crate::varint;

use super::{Bucket, ColumnStats, EquiDepthHistogram, MostCommonValues, TableStats};

/// The version byte this build writes for [`TableStats`] and [`ColumnStats`].
pub const STATS_FORMAT_VERSION: u8 = 1;

/// Why bytes are not valid statistics.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum StatsDecodeError {
    /// The bytes end inside a field.
    #[error("statistics truncated in {what}")]
    Truncated {
        /// The field being read.
        what: &'static str,
    },
    /// A version byte this build cannot read.
    #[error("unsupported {what} format version {version}")]
    UnsupportedVersion {
        /// What carried the version.
        what: &'static str,
        /// The version found.
        version: u8,
    },
    /// A field holds an impossible value.
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// The field.
        what: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A list of values is not a valid row.
    #[error("bad values in {what}: {source}")]
    Values {
        /// The field.
        what: &'static str,
        /// The row decoder's error.
        #[source]
        source: RowDecodeError,
    },
}

struct Writer(Vec<u8>);

impl Writer {
    fn varint(&mut self, v: u64) {
        varint::put(&mut self.0, v);
    }

    fn f64(&mut self, v: f64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    fn values(&mut self, values: &[Value]) {
        let mut row = Vec::new();
        encode_row(values, &mut row);
        self.varint(row.len() as u64);
        self.0.extend_from_slice(&row);
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], StatsDecodeError> {
        if n > self.bytes.len() {
            return Err(StatsDecodeError::Truncated { what });
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    fn u8(&mut self, what: &'static str) -> Result<u8, StatsDecodeError> {
        Ok(self.take(1, what)?[0])
    }

    fn varint(&mut self, what: &'static str) -> Result<u64, StatsDecodeError> {
        let (v, used) = varint::get(self.bytes).ok_or(StatsDecodeError::Truncated { what })?;
        self.bytes = &self.bytes[used..];
        Ok(v)
    }

    /// A length or count, which cannot exceed the bytes left (each item takes at least one).
    fn len(&mut self, what: &'static str) -> Result<usize, StatsDecodeError> {
        let v = self.varint(what)?;
        usize::try_from(v)
            .ok()
            .filter(|&n| n <= self.bytes.len())
            .ok_or(StatsDecodeError::Truncated { what })
    }

    fn f64(&mut self, what: &'static str) -> Result<f64, StatsDecodeError> {
        let mut b = [0u8; 8];
        b.copy_from_slice(self.take(8, what)?);
        let v = f64::from_le_bytes(b);
        if v.is_finite() && v >= 0.0 {
            Ok(v)
        } else {
            Err(StatsDecodeError::Invalid {
                what,
                reason: "not a finite non-negative number",
            })
        }
    }

    fn fraction(&mut self, what: &'static str) -> Result<f64, StatsDecodeError> {
        let v = self.f64(what)?;
        if v <= 1.0 {
            Ok(v)
        } else {
            Err(StatsDecodeError::Invalid {
                what,
                reason: "fraction above 1",
            })
        }
    }

    fn values(&mut self, what: &'static str) -> Result<Vec<Value>, StatsDecodeError> {
        let n = self.len(what)?;
        let row = self.take(n, what)?;
        decode_row(row).map_err(|source| StatsDecodeError::Values { what, source })
    }

    fn version(&mut self, what: &'static str) -> Result<(), StatsDecodeError> {
        match self.u8(what)? {
            STATS_FORMAT_VERSION => Ok(()),
            version => Err(StatsDecodeError::UnsupportedVersion { what, version }),
        }
    }

    fn end(&self, what: &'static str) -> Result<(), StatsDecodeError> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(StatsDecodeError::Invalid {
                what,
                reason: "trailing bytes",
            })
        }
    }
}

impl ColumnStats {
    /// The versioned binary form (see the module documentation).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer(vec![STATS_FORMAT_VERSION]);
        w.f64(self.null_frac);
        w.f64(self.distinct);
        w.f64(self.avg_width);
        w.values(&[Value::from(self.min.clone()), Value::from(self.max.clone())]);
        let mcv = self.mcv.entries();
        w.varint(mcv.len() as u64);
        w.values(&mcv.iter().map(|e| e.value.clone()).collect::<Vec<_>>());
        mcv.iter().for_each(|e| w.f64(e.frequency));
        let buckets = self.histogram.buckets();
        w.varint(buckets.len() as u64);
        let bounds: Vec<Value> = match self.histogram.lower() {
            Some(lower) if !buckets.is_empty() => std::iter::once(lower.clone())
                .chain(buckets.iter().map(|b| b.upper.clone()))
                .collect(),
            _ => Vec::new(),
        };
        w.values(&bounds);
        for b in buckets {
            w.varint(b.count);
            w.varint(b.upper_count);
            w.varint(b.distinct);
        }
        w.0
    }

    /// Reads the form written by [`ColumnStats::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<ColumnStats, StatsDecodeError> {
        let mut r = Reader { bytes };
        let stats = read_column(&mut r)?;
        r.end("column statistics")?;
        Ok(stats)
    }
}

fn read_column(r: &mut Reader<'_>) -> Result<ColumnStats, StatsDecodeError> {
    r.version("column statistics")?;
    let null_frac = r.fraction("null fraction")?;
    let distinct = r.f64("distinct count")?;
    let avg_width = r.f64("average width")?;
    let [min, max]: [Value; 2] =
        r.values("min/max")?
            .try_into()
            .map_err(|_| StatsDecodeError::Invalid {
                what: "min/max",
                reason: "not two values",
            })?;
    let (min, max) = match (min, max) {
        (Value::Null, Value::Null) => (None, None),
        (Value::Null, _) | (_, Value::Null) => {
            return Err(StatsDecodeError::Invalid {
                what: "min/max",
                reason: "only one is present",
            })
        }
        (min, max) if min.sql_cmp(&max).is_gt() => {
            return Err(StatsDecodeError::Invalid {
                what: "min/max",
                reason: "min above max",
            })
        }
        (min, max) => (Some(min), Some(max)),
    };
    let n = r.len("mcv count")?;
    let values = r.values("mcv values")?;
    if values.len() != n || values.iter().any(Value::is_null) {
        return Err(StatsDecodeError::Invalid {
            what: "mcv values",
            reason: "wrong count or NULL",
        });
    }
    let mut entries = Vec::with_capacity(n);
    for v in values {
        entries.push((v, r.fraction("mcv frequency")?));
    }
    let mcv = MostCommonValues::new(entries);
    if mcv.len() != n {
        return Err(StatsDecodeError::Invalid {
            what: "mcv values",
            reason: "duplicates",
        });
    }
    let b = r.len("bucket count")?;
    let bounds = r.values("histogram bounds")?;
    let histogram = if b == 0 {
        if !bounds.is_empty() {
            return Err(StatsDecodeError::Invalid {
                what: "histogram bounds",
                reason: "bounds without buckets",
            });
        }
        EquiDepthHistogram::default()
    } else {
        if bounds.len() != b + 1 {
            return Err(StatsDecodeError::Invalid {
                what: "histogram bounds",
                reason: "not one per bucket plus one",
            });
        }
        let mut bounds = bounds.into_iter();
        let lower = bounds.next().unwrap_or(Value::Null);
        let mut buckets = Vec::with_capacity(b);
        for upper in bounds {
            let count = r.varint("bucket count")?;
            let upper_count = r.varint("bucket upper count")?;
            let distinct = r.varint("bucket distinct count")?;
            buckets.push(Bucket {
                upper,
                count,
                upper_count,
                distinct,
            });
        }
        EquiDepthHistogram::from_parts(lower, buckets).map_err(|reason| {
            StatsDecodeError::Invalid {
                what: "histogram",
                reason,
            }
        })?
    };
    Ok(ColumnStats {
        null_frac,
        distinct,
        min,
        max,
        mcv,
        histogram,
        avg_width,
    })
}

impl TableStats {
    /// The versioned binary form (see the module documentation).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer(vec![STATS_FORMAT_VERSION]);
        w.varint(self.row_count);
        w.varint(self.page_count);
        w.varint(self.columns.len() as u64);
        for c in &self.columns {
            let bytes = c.to_bytes();
            w.varint(bytes.len() as u64);
            w.0.extend_from_slice(&bytes);
        }
        w.0
    }

    /// Reads the form written by [`TableStats::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<TableStats, StatsDecodeError> {
        let mut r = Reader { bytes };
        r.version("table statistics")?;
        let row_count = r.varint("row count")?;
        let page_count = r.varint("page count")?;
        let n = r.len("column count")?;
        let mut columns = Vec::with_capacity(n);
        for _ in 0..n {
            let len = r.len("column length")?;
            columns.push(ColumnStats::from_bytes(r.take(len, "column")?)?);
        }
        r.end("table statistics")?;
        Ok(TableStats {
            row_count,
            page_count,
            columns,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{StatsConfig, TableStatsBuilder};
    use proptest::prelude::*;

    fn sample_table() -> TableStats {
        let mut b = TableStatsBuilder::new(
            3,
            StatsConfig {
                histogram_buckets: 8,
                ..StatsConfig::default()
            },
        );
        for i in 0..500i64 {
            let text = if i % 3 == 0 {
                Value::Null
            } else {
                Value::Text(format!("name{}", i % 40))
            };
            b.add_row(&[Value::Int(i), text, Value::Float((i % 7) as f64 / 2.0)]);
        }
        b.finish(12)
    }

    #[test]
    fn round_trips() {
        let t = sample_table();
        assert!(!t.columns[0].histogram.is_empty() && !t.columns[2].mcv.is_empty());
        let bytes = t.to_bytes();
        assert_eq!(bytes[0], STATS_FORMAT_VERSION);
        assert_eq!(TableStats::from_bytes(&bytes).unwrap(), t);
        let empty = TableStats::default();
        assert_eq!(TableStats::from_bytes(&empty.to_bytes()).unwrap(), empty);
        let c = ColumnStats {
            null_frac: 1.0,
            ..ColumnStats::default()
        };
        assert_eq!(ColumnStats::from_bytes(&c.to_bytes()).unwrap(), c);
    }

    #[test]
    fn rejects_bad_bytes() {
        let bytes = sample_table().to_bytes();
        assert!(matches!(
            TableStats::from_bytes(&[9]),
            Err(StatsDecodeError::UnsupportedVersion { version: 9, .. })
        ));
        for cut in [0, 1, 5, bytes.len() / 2, bytes.len() - 1] {
            assert!(
                TableStats::from_bytes(&bytes[..cut]).is_err(),
                "cut at {cut}"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(TableStats::from_bytes(&longer).is_err());
        let mut c = ColumnStats {
            null_frac: 0.5,
            ..ColumnStats::default()
        }
        .to_bytes();
        c[1..9].copy_from_slice(&2.0f64.to_le_bytes());
        assert!(matches!(
            ColumnStats::from_bytes(&c),
            Err(StatsDecodeError::Invalid { .. })
        ));
    }

    proptest! {
        #[test]
        fn decoding_never_panics(noise in prop::collection::vec(any::<u8>(), 0..64),
                                 at in any::<usize>(), byte in any::<u8>()) {
            let _ = TableStats::from_bytes(&noise);
            let _ = ColumnStats::from_bytes(&noise);
            let mut bytes = sample_table().to_bytes();
            let at = at % bytes.len();
            bytes[at] = byte;
            if let Ok(t) = TableStats::from_bytes(&bytes) {
                // Whatever decodes re-encodes to something that decodes the same.
                prop_assert_eq!(TableStats::from_bytes(&t.to_bytes()).unwrap(), t);
            }
        }
    }
}
