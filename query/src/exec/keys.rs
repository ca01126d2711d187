//! Row keys for hashing and ordering.
//!
//! * [`hash_key`]: the engine's order-preserving key encoding of some values. Two value
//!   lists encode to the same bytes exactly when they are equal under
//!   [`Value::sql_cmp`] (`1 = 1.0`, NULL equal to NULL, `-0.0 = 0.0`), which is what
//!   GROUP BY, DISTINCT, set operations and hash-join buckets need.
//! * [`compare_sort_keys`]: ORDER BY's order, with PostgreSQL's NULL placement.

use std::cmp::Ordering;

use covet_engine::value::{encode_key, SortOrder, Value};

use crate::plan::SortKey;

/// The grouping key of `values` (see the module docs).
pub fn hash_key(values: &[Value]) -> Vec<u8> {
    let dirs = vec![SortOrder::Asc; values.len()];
    let mut out = Vec::new();
    encode_key(values, &dirs, &mut out);
    out
}

/// Compares two lists of sort-key values under `keys`' directions and NULL placement.
pub fn compare_sort_keys(a: &[Value], b: &[Value], keys: &[SortKey]) -> Ordering {
    for ((x, y), k) in a.iter().zip(b).zip(keys) {
        let ord = match (x.is_null(), y.is_null()) {
            (true, true) => Ordering::Equal,
            (true, false) => {
                if k.nulls_first {
                    Ordering::Less
                } else {
                    Ordering::Greater
                }
            }
            (false, true) => {
                if k.nulls_first {
                    Ordering::Greater
                } else {
                    Ordering::Less
                }
            }
            (false, false) => {
                let o = x.sql_cmp(y);
                if k.desc {
                    o.reverse()
                } else {
                    o
                }
            }
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::ScalarExpr;

    fn key(desc: bool, nulls_first: bool) -> SortKey {
        SortKey {
            expr: ScalarExpr::Column(0),
            desc,
            nulls_first,
        }
    }

    #[test]
    fn nulls_sort_by_their_flag_not_by_direction() {
        let asc = [key(false, false)];
        assert_eq!(
            compare_sort_keys(&[Value::Null], &[Value::Int(1)], &asc),
            Ordering::Greater
        );
        let desc = [key(true, true)];
        assert_eq!(
            compare_sort_keys(&[Value::Null], &[Value::Int(1)], &desc),
            Ordering::Less
        );
        assert_eq!(
            compare_sort_keys(&[Value::Int(2)], &[Value::Int(1)], &desc),
            Ordering::Less
        );
    }

    #[test]
    fn equal_numbers_of_different_types_share_a_hash_key() {
        assert_eq!(hash_key(&[Value::Int(1)]), hash_key(&[Value::Float(1.0)]));
        assert_eq!(hash_key(&[Value::Null]), hash_key(&[Value::Null]));
        assert_ne!(hash_key(&[Value::Int(1)]), hash_key(&[Value::Int(2)]));
    }
}
