//! [`Value::sql_cmp`]: the one total order of SQL values, which the key encoding reproduces.
//!
//! Across types, values order by *class*, lowest first:
//!
//! | rank | class                          | within the class                               |
//! |------|--------------------------------|------------------------------------------------|
//! | 0    | `NULL`                         | all equal                                      |
//! | 1    | `Bool`                         | `false < true`                                 |
//! | 2    | numbers: `Int`/`Float`/`Decimal` | numerically, exactly (see `numeric.rs`); `-∞` lowest, then NaN above `+∞`; `-0.0 = 0.0`, all NaNs equal |
//! | 3    | `Text`                         | by UTF-8 bytes (= code points; the "C" collation) |
//! | 4    | `Blob`                         | by bytes                                       |
//! | 5    | `Date`                         | chronologically                                |
//! | 6    | `Time`                         | chronologically                                |
//! | 7    | `Timestamp`                    | chronologically                                |
//! | 8    | `TimestampTz`                  | chronologically                                |
//! | 9    | `Interval`                     | by span, a month being 30 days (`1 mon = 30 days`) |
//! | 10   | `Uuid`                         | by bytes                                       |
//! | 11   | `Json`                         | by text bytes                                  |
//!
//! `NULL` lowest means an ascending index lists NULLs first and a descending one last (as
//! SQLite does); a planner that wants PostgreSQL's `NULLS LAST` for `ASC` must order the
//! NULL range itself. SQL comparison *operators* on NULL are three-valued and belong to the
//! executor; this order is for sorting, grouping and keys.

use std::cmp::Ordering;

use super::numeric::Numeric;
use super::Value;

/// The cross-type class rank of a value (see the module table).
pub(crate) fn class_rank(v: &Value) -> u8 {
    match v {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Int(_) | Value::Float(_) | Value::Decimal(_) => 2,
        Value::Text(_) => 3,
        Value::Blob(_) => 4,
        Value::Date(_) => 5,
        Value::Time(_) => 6,
        Value::Timestamp(_) => 7,
        Value::TimestampTz(_) => 8,
        Value::Interval(_) => 9,
        Value::Uuid(_) => 10,
        Value::Json(_) => 11,
    }
}

/// Floats in SQL order: NaN above everything and equal to itself, `-0.0 == 0.0`.
pub(crate) fn float_cmp(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    }
}

impl Value {
    /// The SQL total order of two values, across types as the module table says. Equal
    /// under this order exactly when their key encodings are equal bytes.
    pub fn sql_cmp(&self, other: &Value) -> Ordering {
        let (ra, rb) = (class_rank(self), class_rank(other));
        if ra != rb {
            return ra.cmp(&rb);
        }
        match (self, other) {
            (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
            (Value::Int(a), Value::Int(b)) => a.cmp(b),
            (Value::Float(a), Value::Float(b)) => float_cmp(*a, *b),
            (Value::Decimal(a), Value::Decimal(b)) => a.cmp(b),
            (Value::Text(a), Value::Text(b)) | (Value::Json(a), Value::Json(b)) => a.cmp(b),
            (Value::Blob(a), Value::Blob(b)) => a.cmp(b),
            (Value::Date(a), Value::Date(b)) => a.cmp(b),
            (Value::Time(a), Value::Time(b)) => a.cmp(b),
            (Value::Timestamp(a), Value::Timestamp(b))
            | (Value::TimestampTz(a), Value::TimestampTz(b)) => a.cmp(b),
            (Value::Interval(a), Value::Interval(b)) => a.span_micros().cmp(&b.span_micros()),
            (Value::Uuid(a), Value::Uuid(b)) => a.cmp(b),
            _ => match (Numeric::of(self), Numeric::of(other)) {
                (Some(a), Some(b)) => a.cmp(&b),
                // Same class and not numbers: both NULL.
                _ => Ordering::Equal,
            },
        }
    }

    /// Whether two values are equal under [`Value::sql_cmp`] (so `NULL` equals `NULL`
    /// here, as in `GROUP BY` and `IS NOT DISTINCT FROM`).
    pub fn sql_eq(&self, other: &Value) -> bool {
        self.sql_cmp(other) == Ordering::Equal
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{Date, Decimal, Interval};

    #[test]
    fn cross_type_order() {
        let ordered = [
            Value::Null,
            Value::Bool(false),
            Value::Bool(true),
            Value::Float(f64::NEG_INFINITY),
            Value::Int(-3),
            Value::Int(1),
            Value::Float(1.5),
            Value::Decimal("2".parse::<Decimal>().unwrap()),
            Value::Float(f64::INFINITY),
            Value::Float(f64::NAN),
            Value::Text(String::new()),
            Value::Text("a".into()),
            Value::Blob(vec![]),
            Value::Date(Date::from_days(0)),
            Value::Interval(Interval::new(0, 1, 0)),
            Value::Uuid([0; 16]),
            Value::Json("{}".into()),
        ];
        for (i, a) in ordered.iter().enumerate() {
            for (j, b) in ordered.iter().enumerate() {
                assert_eq!(a.sql_cmp(b), i.cmp(&j), "{a:?} vs {b:?}");
            }
        }
        assert!(Value::Float(-0.0).sql_eq(&Value::Int(0)));
        assert!(Value::Float(f64::NAN).sql_eq(&Value::Float(-f64::NAN)));
        assert!(Value::Interval(Interval::new(1, 0, 0))
            .sql_eq(&Value::Interval(Interval::new(0, 30, 0))));
    }
}
