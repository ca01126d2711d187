//! PostgreSQL's `in_range` support functions, which place RANGE frame bounds with an
//! offset: `in_range(val, base, offset, sub, less)` is whether `val <= base ± offset`
//! (`less`) or `val >= base ± offset`, with `-` when `sub`.
//!
//! The binder casts the offset to the type paired with the ORDER BY column's type
//! (`binder::grouping::frame_offset`): integers with an integer, doubles with a double,
//! numerics with a numeric, date, time, timestamp, timestamptz and interval with an
//! interval. A negative (or NaN) offset is 22013, raised when a bound is placed, as
//! PostgreSQL does. A sum out of range is past every value (integers, doubles and
//! times), as in PostgreSQL, or its 22008 (timestamps, intervals).

use std::cmp::Ordering;

use covet_engine::value::{Interval, Value, MICROS_PER_DAY};

use crate::error::{QueryError, Result, SqlState};
use crate::ops::arith::{binary_arith, ArithOp};
use crate::ops::datetime::date_start;

fn invalid_size() -> QueryError {
    QueryError::new(
        SqlState(*b"22013"),
        "invalid preceding or following size in window function",
    )
}

/// `val <= base ± offset` (`less`) or `val >= base ± offset`. Neither `val` nor `base`
/// is NULL (the caller orders NULLs by NULLS FIRST/LAST).
pub(super) fn in_range(
    val: &Value,
    base: &Value,
    offset: &Value,
    sub: bool,
    less: bool,
) -> Result<bool> {
    let holds = |o: Ordering| {
        if less {
            o != Ordering::Greater
        } else {
            o != Ordering::Less
        }
    };
    match (val, base, offset) {
        (Value::Int(v), Value::Int(b), Value::Int(o)) => {
            if *o < 0 {
                return Err(invalid_size());
            }
            let sum = if sub {
                b.checked_sub(*o)
            } else {
                b.checked_add(*o)
            };
            Ok(match sum {
                Some(s) => holds(v.cmp(&s)),
                // The true sum is below every value (sub) or above every value.
                None => {
                    if sub {
                        !less
                    } else {
                        less
                    }
                }
            })
        }
        (Value::Float(v), Value::Float(b), Value::Float(o)) => {
            float_in_range(*v, *b, *o, sub, less)
        }
        (Value::Decimal(_), Value::Decimal(_), Value::Decimal(o)) => {
            if o.is_negative() {
                return Err(invalid_size());
            }
            let sum = shifted(base, offset, sub)?;
            Ok(holds(val.sql_cmp(&sum)))
        }
        (Value::Time(v), Value::Time(b), Value::Interval(o)) => {
            // Only the time part counts, as in time + interval; the sum does not wrap
            // around midnight (PostgreSQL's in_range_time_interval).
            if o.micros < 0 {
                return Err(invalid_size());
            }
            let sum = if sub {
                i128::from(b.micros()) - i128::from(o.micros)
            } else {
                i128::from(b.micros()) + i128::from(o.micros)
            };
            Ok(holds(i128::from(v.micros()).cmp(&sum)))
        }
        (
            Value::Date(_) | Value::Timestamp(_) | Value::TimestampTz(_) | Value::Interval(_),
            _,
            Value::Interval(o),
        ) => {
            if interval_negative(o) {
                return Err(invalid_size());
            }
            // A date is compared as its midnight (date + interval is a timestamp).
            let sum = shifted(base, offset, sub)?;
            let val = match val {
                Value::Date(d) => Value::Timestamp(date_start(*d)),
                other => other.clone(),
            };
            Ok(holds(val.sql_cmp(&sum)))
        }
        _ => Err(QueryError::internal(format!(
            "RANGE frame offset of type {} for a {} ORDER BY value",
            offset.type_name(),
            base.type_name()
        ))),
    }
}

/// `base + offset`, or `base - offset` when `sub`.
fn shifted(base: &Value, offset: &Value, sub: bool) -> Result<Value> {
    binary_arith(if sub { ArithOp::Sub } else { ArithOp::Add }, base, offset)
}

/// Whether an interval is below zero as PostgreSQL compares intervals (a month is 30
/// days, a day 24 hours).
fn interval_negative(i: &Interval) -> bool {
    let span = i128::from(i.months) * 30 * i128::from(MICROS_PER_DAY)
        + i128::from(i.days) * i128::from(MICROS_PER_DAY)
        + i128::from(i.micros);
    span < 0
}

/// PostgreSQL's in_range_float8_float8: NaN sorts after every number and is equal to
/// itself; an infinite offset from an infinite base of the other sign covers all.
fn float_in_range(val: f64, base: f64, offset: f64, sub: bool, less: bool) -> Result<bool> {
    if offset.is_nan() || offset < 0.0 {
        return Err(invalid_size());
    }
    if val.is_nan() {
        return Ok(if base.is_nan() { true } else { !less });
    }
    if base.is_nan() {
        return Ok(less);
    }
    if offset.is_infinite() && base.is_infinite() && (if sub { base > 0.0 } else { base < 0.0 }) {
        return Ok(true);
    }
    let sum = if sub { base - offset } else { base + offset };
    Ok(if less { val <= sum } else { val >= sum })
}

#[cfg(test)]
mod tests {
    use super::*;
    use covet_engine::value::{Date, Decimal, Time};

    fn int(v: i64, b: i64, o: i64, sub: bool, less: bool) -> bool {
        in_range(&Value::Int(v), &Value::Int(b), &Value::Int(o), sub, less).unwrap()
    }

    #[test]
    fn integers_and_overflow() {
        assert!(int(3, 5, 2, true, false)); // 3 >= 5 - 2
        assert!(!int(2, 5, 2, true, false));
        assert!(int(7, 5, 2, false, true)); // 7 <= 5 + 2
        assert!(!int(8, 5, 2, false, true));
        // 5 + i64::MAX overflows: every value is below it.
        assert!(int(i64::MAX, 5, i64::MAX, false, true));
        assert!(!int(i64::MAX, 5, i64::MAX, false, false));
        // -5 - i64::MAX: every value is above it.
        assert!(int(i64::MIN, -5, i64::MAX, true, false));
        let e = in_range(&Value::Int(1), &Value::Int(1), &Value::Int(-1), true, false).unwrap_err();
        assert_eq!(e.code, SqlState(*b"22013"));
    }

    #[test]
    fn floats_with_nan_and_infinity() {
        let f = |v: f64, b: f64, o: f64, sub, less| float_in_range(v, b, o, sub, less).unwrap();
        assert!(f(1.0, 2.5, 1.5, true, false));
        assert!(!f(0.9, 2.5, 1.5, true, false));
        assert!(f(f64::NAN, f64::NAN, 1.0, true, false));
        assert!(f(f64::NAN, 1.0, 1.0, true, false)); // NaN >= anything
        assert!(!f(f64::NAN, 1.0, 1.0, false, true));
        assert!(f(1.0, f64::NAN, 1.0, false, true));
        // inf - inf would be NaN: +inf infinitely precedes +inf.
        assert!(f(-1e300, f64::INFINITY, f64::INFINITY, true, false));
        assert!(f(5.0, 1.0, f64::INFINITY, true, false));
        assert_eq!(
            float_in_range(1.0, 1.0, f64::NAN, true, false)
                .unwrap_err()
                .code,
            SqlState(*b"22013")
        );
    }

    #[test]
    fn dates_times_and_numerics() {
        let d = |s: &str| Value::Date(Date::parse(s).unwrap());
        let two_days = Value::Interval(Interval::new(0, 2, 0));
        assert!(in_range(&d("2024-01-02"), &d("2024-01-04"), &two_days, true, false).unwrap());
        assert!(!in_range(&d("2024-01-01"), &d("2024-01-04"), &two_days, true, false).unwrap());
        let neg = Value::Interval(Interval::new(0, -1, 0));
        assert_eq!(
            in_range(&d("2024-01-01"), &d("2024-01-04"), &neg, true, false)
                .unwrap_err()
                .code,
            SqlState(*b"22013")
        );
        // A month and -29 days is positive (30 - 29 days).
        let pos = Value::Interval(Interval::new(1, -29, 0));
        assert!(in_range(&d("2024-01-03"), &d("2024-01-04"), &pos, true, false).unwrap());
        let t = |s: &str| Value::Time(Time::parse(s).unwrap());
        let hour = Value::Interval(Interval::new(0, 0, 3_600_000_000));
        // 23:30 + 1 hour does not wrap to 00:30.
        assert!(in_range(&t("23:59:00"), &t("23:30:00"), &hour, false, true).unwrap());
        assert!(!in_range(&t("00:10:00"), &t("23:30:00"), &hour, false, false).unwrap());
        let n = |s: &str| Value::Decimal(s.parse::<Decimal>().unwrap());
        assert!(in_range(&n("1.5"), &n("2.5"), &n("1.0"), true, false).unwrap());
        assert!(!in_range(&n("1.49"), &n("2.5"), &n("1.0"), true, false).unwrap());
    }
}
