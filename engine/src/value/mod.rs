//! SQL values and their byte encodings.
//!
//! This module owns what a SQL value *is* inside the engine and how it becomes bytes:
//!
//! * [`Value`], the dynamically typed SQL value, with [`Value::sql_cmp`], the one total
//!   order of values (see `order.rs` for the cross-type order), and [`SqlType`], the column
//!   types with their checks (`types.rs`);
//! * the component types: [`Decimal`] (`decimal.rs`), [`Date`], [`Time`], [`Timestamp`]
//!   (`datetime.rs`) and [`Interval`] (`interval.rs`);
//! * the order-preserving key encoding used by B+tree keys, [`encode_key`] and
//!   [`decode_key`] (`keycode.rs`): comparing encoded keys with `memcmp` gives
//!   [`Value::sql_cmp`] order;
//! * the compact, versioned row format used for table rows, [`encode_row`],
//!   [`decode_row`], [`decode_column`] (`row.rs`).
//!
//! Nothing here does I/O, and no decoder panics on any input: malformed bytes are typed
//! errors.

mod datetime;
mod decimal;
mod interval;
mod keycode;
mod numeric;
mod order;
mod row;
mod types;

#[cfg(test)]
mod proptests;

use std::fmt;

pub use datetime::{
    civil_from_days, days_from_civil, days_in_month, is_leap_year, Date, DateTimeError, Time,
    Timestamp, MICROS_PER_DAY, MICROS_PER_SECOND,
};
pub use decimal::{Decimal, DecimalError, MAX_PRECISION, MAX_SCALE, MIN_SCALE};
pub use interval::{Interval, DAYS_PER_MONTH};
pub use keycode::{
    decode_key, decode_key_prefix, encode_key, encode_key_value, prefix_successor, KeyDecodeError,
    SortOrder,
};
pub use row::{
    decode_column, decode_row, encode_row, encode_row_from, row_column_count, value_width,
    RowDecodeError, RowView, ROW_FORMAT_VERSION,
};
pub use types::{SqlType, TypeCheckError};

/// A SQL value of any type.
///
/// `PartialEq` is structural (`Int(1) != Float(1.0)`, and `Float(NaN) != Float(NaN)`), except
/// that decimals compare numerically; SQL comparison is [`Value::sql_cmp`].
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL `NULL`.
    Null,
    /// `BOOLEAN`.
    Bool(bool),
    /// `SMALLINT`, `INTEGER` and `BIGINT`, all held as `i64`.
    Int(i64),
    /// `REAL` and `DOUBLE PRECISION`.
    Float(f64),
    /// `NUMERIC` / `DECIMAL`.
    Decimal(Decimal),
    /// `TEXT`, `VARCHAR(n)` and `CHAR(n)`.
    Text(String),
    /// `BYTEA` / `BLOB`.
    Blob(Vec<u8>),
    /// `DATE`.
    Date(Date),
    /// `TIME` (without time zone).
    Time(Time),
    /// `TIMESTAMP` (without time zone).
    Timestamp(Timestamp),
    /// `TIMESTAMPTZ`, always held in UTC.
    TimestampTz(Timestamp),
    /// `INTERVAL`.
    Interval(Interval),
    /// `UUID`, as its 16 bytes in the usual (big-endian, RFC 4122) order.
    Uuid([u8; 16]),
    /// `JSON` / `JSONB`, as its text.
    Json(String),
}

impl Value {
    /// Whether this is SQL `NULL`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Whether this is a number (`Int`, `Float` or `Decimal`).
    pub fn is_numeric(&self) -> bool {
        matches!(self, Value::Int(_) | Value::Float(_) | Value::Decimal(_))
    }

    /// The SQL name of this value's type, for messages (`"integer"`, `"text"`, …).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) => "bigint",
            Value::Float(_) => "double precision",
            Value::Decimal(_) => "numeric",
            Value::Text(_) => "text",
            Value::Blob(_) => "bytea",
            Value::Date(_) => "date",
            Value::Time(_) => "time",
            Value::Timestamp(_) => "timestamp",
            Value::TimestampTz(_) => "timestamptz",
            Value::Interval(_) => "interval",
            Value::Uuid(_) => "uuid",
            Value::Json(_) => "json",
        }
    }

    /// A position on a line for interpolation (numbers as themselves, dates in days,
    /// times and timestamps in microseconds, intervals by span), or `None` for types
    /// without a natural scale. Used by histogram estimates only.
    pub fn as_scalar(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) if !f.is_nan() => Some(*f),
            Value::Decimal(d) => Some(d.to_f64()),
            Value::Date(d) => Some(d.days().into()),
            Value::Time(t) => Some(t.micros() as f64),
            Value::Timestamp(t) | Value::TimestampTz(t) => Some(t.micros() as f64),
            Value::Interval(i) => Some(i.span_micros() as f64),
            _ => None,
        }
    }
}

/// Formats a UUID as `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
fn format_uuid(u: &[u8; 16], f: &mut fmt::Formatter<'_>) -> fmt::Result {
    for (i, b) in u.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            f.write_str("-")?;
        }
        write!(f, "{b:02x}")?;
    }
    Ok(())
}

/// The PostgreSQL text output of a value (`NULL` for null, `\x…` hex for blobs).
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("NULL"),
            Value::Bool(b) => f.write_str(if *b { "true" } else { "false" }),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) if x.is_nan() => f.write_str("NaN"),
            Value::Float(x) if x.is_infinite() => {
                f.write_str(if *x > 0.0 { "Infinity" } else { "-Infinity" })
            }
            Value::Float(x) => write!(f, "{x}"),
            Value::Decimal(d) => write!(f, "{d}"),
            Value::Text(s) | Value::Json(s) => f.write_str(s),
            Value::Blob(b) => {
                f.write_str("\\x")?;
                b.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
            }
            Value::Date(d) => write!(f, "{d}"),
            Value::Time(t) => write!(f, "{t}"),
            Value::Timestamp(t) => write!(f, "{t}"),
            Value::TimestampTz(t) => write!(f, "{}", t.display_tz()),
            Value::Interval(i) => write!(f, "{i}"),
            Value::Uuid(u) => format_uuid(u, f),
        }
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}

impl From<i32> for Value {
    fn from(i: i32) -> Value {
        Value::Int(i.into())
    }
}

impl From<f64> for Value {
    fn from(x: f64) -> Value {
        Value::Float(x)
    }
}

impl From<Decimal> for Value {
    fn from(d: Decimal) -> Value {
        Value::Decimal(d)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Text(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Text(s)
    }
}

impl From<Vec<u8>> for Value {
    fn from(b: Vec<u8>) -> Value {
        Value::Blob(b)
    }
}

impl From<Date> for Value {
    fn from(d: Date) -> Value {
        Value::Date(d)
    }
}

impl From<Time> for Value {
    fn from(t: Time) -> Value {
        Value::Time(t)
    }
}

impl From<Interval> for Value {
    fn from(i: Interval) -> Value {
        Value::Interval(i)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_like_postgres() {
        assert_eq!(Value::Null.to_string(), "NULL");
        assert_eq!(Value::Float(f64::NEG_INFINITY).to_string(), "-Infinity");
        assert_eq!(Value::Float(1.5).to_string(), "1.5");
        assert_eq!(Value::Blob(vec![0, 0xab]).to_string(), "\\x00ab");
        let u = [
            0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0, 1, 2, 3, 4, 5, 6, 7,
        ];
        assert_eq!(
            Value::Uuid(u).to_string(),
            "12345678-9abc-def0-0001-020304050607"
        );
        assert_eq!(Value::from(Some(3i64)), Value::Int(3));
        assert_eq!(Value::from(None::<i64>), Value::Null);
    }
}
