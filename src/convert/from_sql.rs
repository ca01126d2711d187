//! [`FromSql`]: a SQL result value as a Rust value.

use covet_engine::value::{Date, Decimal, Interval, Time, Timestamp, Value};

use crate::error::Error;

/// Why a value could not become the Rust type asked for; [`Row::get`](crate::Row::get)
/// turns it into an [`Error`] naming the column.
///
/// ```
/// use covet::{FromSql, FromSqlError, Value};
/// assert_eq!(
///     bool::from_sql(&Value::Null),
///     Err(FromSqlError::InvalidType { expected: "bool", found: "null" })
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FromSqlError {
    /// The value is of another SQL type (or NULL).
    InvalidType {
        /// The Rust type asked for.
        expected: &'static str,
        /// The SQL type found.
        found: &'static str,
    },
    /// The value is of the right kind but does not fit.
    OutOfRange {
        /// The Rust type asked for.
        expected: &'static str,
        /// The value, as text.
        value: String,
    },
}

impl FromSqlError {
    fn invalid<T>(expected: &'static str, value: &Value) -> Result<T, FromSqlError> {
        Err(FromSqlError::InvalidType {
            expected,
            found: value.type_name(),
        })
    }

    /// The error with the column it happened in.
    ///
    /// ```
    /// use covet::{FromSql, Value};
    /// let err = u8::from_sql(&Value::Int(999)).unwrap_err().in_column("n");
    /// assert_eq!(err.to_string(), "column n: value 999 is out of range for u8");
    /// ```
    pub fn in_column(self, column: impl Into<String>) -> Error {
        let column = column.into();
        match self {
            FromSqlError::InvalidType { expected, found } => Error::FromSql {
                column,
                expected,
                found,
            },
            FromSqlError::OutOfRange { expected, value } => Error::OutOfRange {
                column,
                expected,
                value,
            },
        }
    }
}

/// A Rust type a SQL value can be read as.
///
/// ```
/// use covet::{FromSql, Value};
/// assert_eq!(i64::from_sql(&Value::Int(7)), Ok(7));
/// assert_eq!(Option::<i64>::from_sql(&Value::Null), Ok(None));
/// assert!(u8::from_sql(&Value::Int(300)).is_err());
/// assert!(i64::from_sql(&Value::Text("7".into())).is_err()); // no silent text-to-number
/// ```
pub trait FromSql: Sized {
    /// The Rust value, or why there is none.
    fn from_sql(value: &Value) -> Result<Self, FromSqlError>;
}

impl<T: FromSql> FromSql for Option<T> {
    fn from_sql(value: &Value) -> Result<Self, FromSqlError> {
        match value {
            Value::Null => Ok(None),
            v => T::from_sql(v).map(Some),
        }
    }
}

impl FromSql for Value {
    fn from_sql(value: &Value) -> Result<Self, FromSqlError> {
        Ok(value.clone())
    }
}

impl FromSql for i64 {
    fn from_sql(value: &Value) -> Result<Self, FromSqlError> {
        match value {
            Value::Int(i) => Ok(*i),
            v => FromSqlError::invalid("i64", v),
        }
    }
}

macro_rules! narrow_int {
    ($($t:ty)*) => {$(
        impl FromSql for $t {
            fn from_sql(value: &Value) -> Result<Self, FromSqlError> {
                match value {
                    Value::Int(i) => <$t>::try_from(*i).map_err(|_| FromSqlError::OutOfRange {
                        expected: stringify!($t),
                        value: i.to_string(),
                    }),
                    v => FromSqlError::invalid(stringify!($t), v),
                }
            }
        }
    )*};
}
narrow_int!(i8 i16 i32 u8 u16 u32 u64 isize usize);

impl FromSql for bool {
    fn from_sql(value: &Value) -> Result<Self, FromSqlError> {
        match value {
            Value::Bool(b) => Ok(*b),
            v => FromSqlError::invalid("bool", v),
        }
    }
}

/// Reads floats, and integers and numerics as the nearest `f64` (what `avg` or a
/// `numeric` column gives is still a number to a program that asks for `f64`).
impl FromSql for f64 {
    fn from_sql(value: &Value) -> Result<Self, FromSqlError> {
        match value {
            Value::Float(x) => Ok(*x),
            Value::Int(i) => Ok(*i as f64),
            Value::Decimal(d) => Ok(d.to_f64()),
            v => FromSqlError::invalid("f64", v),
        }
    }
}

/// As `f64`, then narrowed; a finite value beyond `f32`'s range is out of range.
impl FromSql for f32 {
    fn from_sql(value: &Value) -> Result<Self, FromSqlError> {
        let wide = f64::from_sql(value).map_err(|e| match e {
            FromSqlError::InvalidType { found, .. } => FromSqlError::InvalidType {
                expected: "f32",
                found,
            },
            other => other,
        })?;
        let narrow = wide as f32;
        if narrow.is_infinite() && wide.is_finite() {
            return Err(FromSqlError::OutOfRange {
                expected: "f32",
                value: wide.to_string(),
            });
        }
        Ok(narrow)
    }
}

/// Reads `text` and `json` values.
impl FromSql for String {
    fn from_sql(value: &Value) -> Result<Self, FromSqlError> {
        match value {
            Value::Text(s) | Value::Json(s) => Ok(s.clone()),
            v => FromSqlError::invalid("String", v),
        }
    }
}

impl FromSql for Vec<u8> {
    fn from_sql(value: &Value) -> Result<Self, FromSqlError> {
        match value {
            Value::Blob(b) => Ok(b.clone()),
            v => FromSqlError::invalid("Vec<u8>", v),
        }
    }
}

/// A UUID's 16 bytes.
impl FromSql for [u8; 16] {
    fn from_sql(value: &Value) -> Result<Self, FromSqlError> {
        match value {
            Value::Uuid(u) => Ok(*u),
            v => FromSqlError::invalid("[u8; 16]", v),
        }
    }
}

/// Reads numerics, and integers exactly.
impl FromSql for Decimal {
    fn from_sql(value: &Value) -> Result<Self, FromSqlError> {
        match value {
            Value::Decimal(d) => Ok(*d),
            Value::Int(i) => Ok(Decimal::from(*i)),
            v => FromSqlError::invalid("Decimal", v),
        }
    }
}

impl FromSql for Date {
    fn from_sql(value: &Value) -> Result<Self, FromSqlError> {
        match value {
            Value::Date(d) => Ok(*d),
            v => FromSqlError::invalid("Date", v),
        }
    }
}

impl FromSql for Time {
    fn from_sql(value: &Value) -> Result<Self, FromSqlError> {
        match value {
            Value::Time(t) => Ok(*t),
            v => FromSqlError::invalid("Time", v),
        }
    }
}

/// Reads `timestamp`, and `timestamptz` as its UTC time.
impl FromSql for Timestamp {
    fn from_sql(value: &Value) -> Result<Self, FromSqlError> {
        match value {
            Value::Timestamp(t) | Value::TimestampTz(t) => Ok(*t),
            v => FromSqlError::invalid("Timestamp", v),
        }
    }
}

impl FromSql for Interval {
    fn from_sql(value: &Value) -> Result<Self, FromSqlError> {
        match value {
            Value::Interval(i) => Ok(*i),
            v => FromSqlError::invalid("Interval", v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_range_checked() {
        assert_eq!(u8::from_sql(&Value::Int(255)), Ok(255));
        assert_eq!(
            u8::from_sql(&Value::Int(256)),
            Err(FromSqlError::OutOfRange {
                expected: "u8",
                value: "256".into()
            })
        );
        assert_eq!(
            u64::from_sql(&Value::Int(-1)),
            Err(FromSqlError::OutOfRange {
                expected: "u64",
                value: "-1".into()
            })
        );
        assert_eq!(i32::from_sql(&Value::Int(-5)), Ok(-5));
    }

    #[test]
    fn null_needs_an_option() {
        assert_eq!(
            i64::from_sql(&Value::Null),
            Err(FromSqlError::InvalidType {
                expected: "i64",
                found: "null"
            })
        );
        assert_eq!(Option::<String>::from_sql(&Value::Null), Ok(None));
        assert_eq!(
            Option::<String>::from_sql(&Value::Text("a".into())),
            Ok(Some("a".to_owned()))
        );
    }

    #[test]
    fn numbers_widen_to_floats_and_decimals() {
        assert_eq!(f64::from_sql(&Value::Int(3)), Ok(3.0));
        assert_eq!(Decimal::from_sql(&Value::Int(3)), Ok(Decimal::from(3)));
        assert_eq!(
            f32::from_sql(&Value::Float(1e300)),
            Err(FromSqlError::OutOfRange {
                expected: "f32",
                value: 1e300f64.to_string()
            })
        );
        assert_eq!(
            f32::from_sql(&Value::Text("1".into())),
            Err(FromSqlError::InvalidType {
                expected: "f32",
                found: "text"
            })
        );
        assert_eq!(
            f32::from_sql(&Value::Float(f64::INFINITY)),
            Ok(f32::INFINITY)
        );
    }

    #[test]
    fn wrong_types_are_errors_naming_both_types() {
        assert_eq!(
            bool::from_sql(&Value::Int(1)),
            Err(FromSqlError::InvalidType {
                expected: "bool",
                found: "bigint"
            })
        );
        let err = String::from_sql(&Value::Blob(vec![1]))
            .unwrap_err()
            .in_column("b");
        assert_eq!(
            err.to_string(),
            "column b: cannot read a bytea value as String"
        );
        assert_eq!(
            String::from_sql(&Value::Json("{}".into())),
            Ok("{}".to_owned())
        );
    }
}
