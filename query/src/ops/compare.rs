//! SQL comparison of two values: numbers compare numerically across Int/Float/Decimal,
//! other values within their own type; a NULL operand gives unknown (`None`). Values of
//! types with no comparison operator between them (text against a number) are 42883,
//! as in PostgreSQL: `operator does not exist: text = bigint`.

use std::cmp::Ordering;

use covet_engine::value::{Timestamp, Value};

use super::datetime::date_start;
use super::no_operator;
use crate::error::Result;

/// Whether values of these two kinds compare, and how they are brought together.
fn comparable(a: &Value, b: &Value) -> bool {
    use Value::*;
    matches!(
        (a, b),
        (Bool(_), Bool(_))
            | (Text(_), Text(_))
            | (Blob(_), Blob(_))
            | (Date(_), Date(_))
            | (Time(_), Time(_))
            | (Timestamp(_), Timestamp(_))
            | (TimestampTz(_), TimestampTz(_))
            | (Interval(_), Interval(_))
            | (Uuid(_), Uuid(_))
            | (Json(_), Json(_))
    ) || (a.is_numeric() && b.is_numeric())
}

/// A date, timestamp or timestamptz as microseconds, for comparing across the three.
fn instant(v: &Value) -> Option<Timestamp> {
    match v {
        Value::Date(d) => Some(date_start(*d)),
        Value::Timestamp(t) | Value::TimestampTz(t) => Some(*t),
        _ => None,
    }
}

/// `a op b`'s ordering: `None` when either is NULL; 42883 (naming `op`) when the two
/// types do not compare.
pub fn compare(op: &str, a: &Value, b: &Value) -> Result<Option<Ordering>> {
    if a.is_null() || b.is_null() {
        return Ok(None);
    }
    if comparable(a, b) {
        return Ok(Some(a.sql_cmp(b)));
    }
    // PostgreSQL compares date, timestamp and timestamptz with each other (a date is its
    // midnight; covet's time zone is UTC).
    if let (Some(x), Some(y)) = (instant(a), instant(b)) {
        return Ok(Some(x.cmp(&y)));
    }
    Err(no_operator(op, a.type_name(), b.type_name()))
}

/// `a = b` three-valued: `None` when either is NULL.
pub fn values_equal(a: &Value, b: &Value) -> Result<Option<bool>> {
    Ok(compare("=", a, b)?.map(|o| o == Ordering::Equal))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::SqlState;
    use covet_engine::value::{Date, Decimal};

    #[test]
    fn numbers_compare_across_kinds() {
        let dec = |s: &str| Value::Decimal(s.parse::<Decimal>().unwrap());
        assert_eq!(
            compare("=", &Value::Int(1), &Value::Float(1.0)).unwrap(),
            Some(Ordering::Equal)
        );
        assert_eq!(
            compare("<", &Value::Int(1), &dec("1.5")).unwrap(),
            Some(Ordering::Less)
        );
        assert_eq!(
            compare(">", &Value::Float(2.5), &dec("2.4")).unwrap(),
            Some(Ordering::Greater)
        );
        assert_eq!(
            compare("=", &Value::Float(f64::NAN), &Value::Float(f64::NAN)).unwrap(),
            Some(Ordering::Equal)
        );
        assert_eq!(values_equal(&Value::Null, &Value::Int(1)).unwrap(), None);
        assert_eq!(values_equal(&Value::Int(1), &Value::Null).unwrap(), None);
        assert_eq!(
            values_equal(&Value::Text("a".into()), &Value::Text("a".into())).unwrap(),
            Some(true)
        );
    }

    #[test]
    fn text_and_numbers_do_not_compare() {
        let err = compare("=", &Value::Text("1".into()), &Value::Int(1)).unwrap_err();
        assert_eq!(err.code, SqlState::UNDEFINED_FUNCTION);
        assert_eq!(err.message, "operator does not exist: text = bigint");
        assert!(compare("<", &Value::Bool(true), &Value::Int(1)).is_err());
    }

    #[test]
    fn dates_compare_with_timestamps() {
        let d = Value::Date(Date::parse("2024-01-02").unwrap());
        let t =
            Value::Timestamp(covet_engine::value::Timestamp::parse("2024-01-02 00:00:01").unwrap());
        assert_eq!(compare("<", &d, &t).unwrap(), Some(Ordering::Less));
    }
}
