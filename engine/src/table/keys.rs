//! The keys of row and index trees, and [`KeyRange`], a range over leading key columns.
//!
//! * Row key: `encode_key(primary key values)` (all ascending), or for a table without a
//!   primary key `encode_key([Int(rowid)])`.
//! * Index entry key: `encode_key(indexed values, index orders) ++ row key`; the value is
//!   empty. Appending the row key makes every entry distinct (duplicates in a non-unique
//!   index, NULLs in a unique one) and leads from the entry to its row without decoding.
//!
//! Invariant (from the key encoding's prefix-freedom): the entries whose leading `k` key
//! columns equal some values are exactly the byte range
//! `[encode(values), prefix_successor(encode(values)))`. Every range in this layer is
//! built that way.

use std::ops::Bound;

use super::error::TableError;
use super::schema::{IndexDef, TableSchema};
use crate::value::{encode_key, encode_key_value, prefix_successor, SortOrder, SqlType, Value};

/// A range of encoded keys: lower and upper bound.
pub(crate) type ByteRange = (Bound<Vec<u8>>, Bound<Vec<u8>>);

/// A range of keys over the leading key columns of a table or index, for scans.
///
/// Each bound is a *prefix*: values for the first few key columns, compared in the key's
/// own order (a DESC index column runs from high to low, so its `lower` bound is the
/// larger value). `Included(p)` takes every key whose leading columns equal `p`,
/// `Excluded(p)` none of them. An index's key columns are its indexed columns followed by
/// the primary key columns (or the rowid). NULL is a value like any other here: it sorts
/// first in an ascending column and last in a descending one, and `Included([Null])` finds
/// the NULL entries; leaving NULLs out of a predicate is the caller's business.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyRange {
    /// Where the range starts (in key order).
    pub lower: Bound<Vec<Value>>,
    /// Where it ends.
    pub upper: Bound<Vec<Value>>,
    /// Whether to yield it from the last key to the first.
    pub reverse: bool,
}

impl Default for KeyRange {
    fn default() -> KeyRange {
        KeyRange::all()
    }
}

impl KeyRange {
    /// Every key.
    pub fn all() -> KeyRange {
        KeyRange::new(Bound::Unbounded, Bound::Unbounded)
    }

    /// The keys whose leading columns equal `values` (a point lookup on a unique key, an
    /// equality seek on a prefix).
    pub fn prefix(values: Vec<Value>) -> KeyRange {
        KeyRange::new(Bound::Included(values.clone()), Bound::Included(values))
    }

    /// The keys between two bounds.
    pub fn new(lower: Bound<Vec<Value>>, upper: Bound<Vec<Value>>) -> KeyRange {
        KeyRange {
            lower,
            upper,
            reverse: false,
        }
    }

    /// Every key after the key `last` (excluded), in key order: where a forward scan
    /// continues after `last`, the full key of the last row it yielded (its primary
    /// key; for an index, the indexed values then the primary key).
    pub fn after(last: Vec<Value>) -> KeyRange {
        KeyRange::new(Bound::Excluded(last), Bound::Unbounded)
    }

    /// The rest of this range after the key `last` (excluded) in the range's own
    /// direction: the lower bound becomes `Excluded(last)`, or the upper one when the
    /// range is reversed. `last` must be the full key of a row this range yielded.
    ///
    /// A scan may stop after a batch, drop its iterator, let the same write transaction
    /// change rows, and go on with `range.resume_after(last)`: it sees the tree as it is
    /// then. Rows changed in place behind `last` are not visited again; rows inserted
    /// (or moved by a key change) ahead of `last` are visited, as any seek would see
    /// them. An UPDATE that changes the keys of the range it scans (an index scan over
    /// the updated column, a primary key update) must therefore not resume over its
    /// own output (the Halloween problem): collect the keys first, or scan another
    /// order.
    pub fn resume_after(mut self, last: Vec<Value>) -> KeyRange {
        if self.reverse {
            self.upper = Bound::Excluded(last);
        } else {
            self.lower = Bound::Excluded(last);
        }
        self
    }

    /// The same range, yielded from its end to its start.
    pub fn reversed(mut self) -> KeyRange {
        self.reverse = !self.reverse;
        self
    }

    /// The byte range of the keys, for a key of at most `width` columns ordered by
    /// `orders` (columns past `orders` ascend). `object` names the table or index for the
    /// arity error.
    pub(crate) fn to_bytes(
        &self,
        orders: &[SortOrder],
        width: usize,
        object: &str,
    ) -> Result<ByteRange, TableError> {
        let encode = |values: &Vec<Value>| -> Result<Vec<u8>, TableError> {
            if values.len() > width {
                return Err(TableError::KeyArity {
                    object: object.to_owned(),
                    expected: width,
                    found: values.len(),
                });
            }
            let mut out = Vec::new();
            encode_key(values, orders, &mut out);
            Ok(out)
        };
        // `None` from prefix_successor means "past every key": an open upper end, or an
        // empty range when it is the lower end.
        let empty = (Bound::Excluded(Vec::new()), Bound::Excluded(Vec::new()));
        let lower = match &self.lower {
            Bound::Unbounded => Bound::Unbounded,
            Bound::Included(p) => Bound::Included(encode(p)?),
            Bound::Excluded(p) => match prefix_successor(&encode(p)?) {
                Some(s) => Bound::Included(s),
                None => return Ok(empty),
            },
        };
        let upper = match &self.upper {
            Bound::Unbounded => Bound::Unbounded,
            Bound::Included(p) => match prefix_successor(&encode(p)?) {
                Some(s) => Bound::Excluded(s),
                None => Bound::Unbounded,
            },
            Bound::Excluded(p) => Bound::Excluded(encode(p)?),
        };
        Ok((lower, upper))
    }
}

/// The primary key values of a row of a table with a declared primary key.
pub(crate) fn pk_values(schema: &TableSchema, row: &[Value]) -> Vec<Value> {
    schema
        .primary_key
        .iter()
        .flatten()
        .map(|&p| row.get(p).cloned().unwrap_or(Value::Null))
        .collect()
}

/// The row key of a primary key (or `[Int(rowid)]`).
pub(crate) fn row_key(pk: &[Value]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_key(pk, &[], &mut out);
    out
}

/// The row key of a rowid.
pub(crate) fn rowid_key(rowid: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(10);
    encode_key_value(&Value::Int(rowid), SortOrder::Asc, &mut out);
    out
}

/// The number of key columns of a table's row key.
pub(crate) fn pk_width(schema: &TableSchema) -> usize {
    schema.primary_key.as_ref().map_or(1, Vec::len)
}

/// The types of the row key's columns (`BIGINT` for the rowid).
pub(crate) fn pk_types(schema: &TableSchema) -> Vec<SqlType> {
    match &schema.primary_key {
        Some(pk) => pk
            .iter()
            .map(|&p| schema.columns.get(p).map_or(SqlType::BigInt, |c| c.ty))
            .collect(),
        None => vec![SqlType::BigInt],
    }
}

/// An index entry's key for `row` (whose row key is `row_key`), and whether any indexed
/// value is NULL (such an entry never conflicts in a unique index).
pub(crate) fn index_key(def: &IndexDef, row: &[Value], row_key: &[u8]) -> (Vec<u8>, bool) {
    let mut out = Vec::with_capacity(32 + row_key.len());
    let mut has_null = false;
    for &(p, order) in &def.columns {
        let v = row.get(p).unwrap_or(&Value::Null);
        has_null |= v.is_null();
        encode_key_value(v, order, &mut out);
    }
    out.extend_from_slice(row_key);
    (out, has_null)
}

/// A value decoded from a key (canonical: `2.0` comes back as `Int(2)`) turned back into
/// the storage kind of a column of type `ty`. Numerically equal to the stored value; a
/// decimal's scale may differ (`1.50` comes back as `1.5`).
pub(crate) fn retype(v: Value, ty: SqlType) -> Value {
    match (ty, v) {
        (SqlType::Real | SqlType::Double, Value::Int(i)) => Value::Float(i as f64),
        (SqlType::Real | SqlType::Double, Value::Decimal(d)) => Value::Float(d.to_f64()),
        (SqlType::Decimal { .. }, Value::Int(i)) => Value::Decimal(i.into()),
        (_, v) => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(values: &[Value], orders: &[SortOrder]) -> Vec<u8> {
        let mut out = Vec::new();
        encode_key(values, orders, &mut out);
        out
    }

    #[test]
    fn prefix_ranges_become_byte_ranges() {
        let a = vec![Value::Int(5)];
        let (lo, hi) = KeyRange::prefix(a.clone()).to_bytes(&[], 2, "t").unwrap();
        assert_eq!(lo, Bound::Included(bytes(&a, &[])));
        assert_eq!(
            hi,
            Bound::Excluded(prefix_successor(&bytes(&a, &[])).unwrap())
        );
        let (lo, hi) = KeyRange::new(Bound::Excluded(a.clone()), Bound::Excluded(a.clone()))
            .to_bytes(&[], 2, "t")
            .unwrap();
        assert_eq!(
            lo,
            Bound::Included(prefix_successor(&bytes(&a, &[])).unwrap())
        );
        assert_eq!(hi, Bound::Excluded(bytes(&a, &[])));
        assert_eq!(
            KeyRange::all().to_bytes(&[], 1, "t").unwrap(),
            (Bound::Unbounded, Bound::Unbounded)
        );
        assert!(matches!(
            KeyRange::prefix(vec![Value::Int(1); 3]).to_bytes(&[], 2, "t"),
            Err(TableError::KeyArity {
                expected: 2,
                found: 3,
                ..
            })
        ));
    }

    #[test]
    fn index_keys_end_with_the_row_key() {
        let def = IndexDef::new("i", "t", vec![(1, SortOrder::Desc)]);
        let row = [Value::Int(1), Value::Null];
        let rk = rowid_key(7);
        let (key, has_null) = index_key(&def, &row, &rk);
        assert!(has_null);
        assert!(key.ends_with(&rk));
        assert_eq!(
            &key[..key.len() - rk.len()],
            bytes(&[Value::Null], &[SortOrder::Desc])
        );
        assert_eq!(rowid_key(7), row_key(&[Value::Int(7)]));
    }

    #[test]
    fn retype_restores_the_storage_kind() {
        assert_eq!(retype(Value::Int(2), SqlType::Double), Value::Float(2.0));
        assert_eq!(retype(Value::Int(2), SqlType::BigInt), Value::Int(2));
        let half: crate::value::Decimal = "0.5".parse().unwrap();
        assert_eq!(
            retype(Value::Decimal(half), SqlType::Real),
            Value::Float(0.5)
        );
        assert_eq!(
            retype(
                Value::Int(3),
                SqlType::Decimal {
                    precision: None,
                    scale: None
                }
            ),
            Value::Decimal(3i64.into())
        );
    }
}
