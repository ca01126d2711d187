//! [`SqlType`]: the column types a table can declare, and the check that a value fits one.
//!
//! The check is strict: the value must already be of the column's storage kind (integers
//! as `Int`, `REAL`/`DOUBLE` as `Float`, and so on) and within the type's limits. Casting
//! and coercion are the binder's job; this is the last line the engine holds before a value
//! is stored. `NULL` fits every type (nullability is a column constraint, not a type).

use std::fmt;

use super::Value;

/// A column type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SqlType {
    /// `BOOLEAN`.
    Boolean,
    /// `SMALLINT`: an `i16` range, stored as `Int`.
    SmallInt,
    /// `INTEGER`: an `i32` range, stored as `Int`.
    Integer,
    /// `BIGINT`: `i64`.
    BigInt,
    /// `REAL` (stored as `f64`, like `DOUBLE PRECISION`).
    Real,
    /// `DOUBLE PRECISION`.
    Double,
    /// `NUMERIC(precision, scale)`; `None` leaves that limit open.
    Decimal {
        /// Total significant digits allowed.
        precision: Option<u32>,
        /// Digits allowed after the decimal point (0 when only the precision is given).
        scale: Option<u32>,
    },
    /// `TEXT`.
    Text,
    /// `VARCHAR(n)`: at most `n` characters.
    Varchar(u32),
    /// `CHAR(n)`: at most `n` characters (padding is the binder's business).
    Char(u32),
    /// `BYTEA` / `BLOB`.
    Blob,
    /// `DATE`.
    Date,
    /// `TIME`.
    Time,
    /// `TIMESTAMP`.
    Timestamp,
    /// `TIMESTAMPTZ`.
    TimestampTz,
    /// `INTERVAL`.
    Interval,
    /// `UUID`.
    Uuid,
    /// `JSON` / `JSONB`.
    Json,
}

/// Why a value does not fit a column type.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum TypeCheckError {
    /// The value is of another kind than the type stores.
    #[error("a {found} value does not fit type {expected}")]
    Mismatch {
        /// The column type.
        expected: SqlType,
        /// The value's type name.
        found: &'static str,
    },
    /// A number is outside the type's range.
    #[error("value {value} is out of range for type {ty}")]
    OutOfRange {
        /// The column type.
        ty: SqlType,
        /// The value, as text.
        value: String,
    },
    /// A string has more characters than the type allows.
    #[error("value of {len} characters is too long for type {ty}")]
    TooLong {
        /// The column type.
        ty: SqlType,
        /// The value's length in characters.
        len: usize,
    },
}

impl SqlType {
    /// Whether `value` may be stored in a column of this type.
    pub fn accepts(&self, value: &Value) -> bool {
        self.check(value).is_ok()
    }

    /// `Ok` if `value` may be stored in a column of this type, else why not.
    pub fn check(&self, value: &Value) -> Result<(), TypeCheckError> {
        let ty = *self;
        let out_of_range = || TypeCheckError::OutOfRange {
            ty,
            value: value.to_string(),
        };
        let ok = match (ty, value) {
            (_, Value::Null) => true,
            (SqlType::Boolean, Value::Bool(_)) => true,
            (SqlType::SmallInt, Value::Int(i)) => {
                return i16::try_from(*i).map(drop).map_err(|_| out_of_range())
            }
            (SqlType::Integer, Value::Int(i)) => {
                return i32::try_from(*i).map(drop).map_err(|_| out_of_range())
            }
            (SqlType::BigInt, Value::Int(_)) => true,
            (SqlType::Real | SqlType::Double, Value::Float(_)) => true,
            (SqlType::Decimal { precision, scale }, Value::Decimal(d)) => {
                let fits = match precision {
                    Some(p) => d.fits(p, scale.unwrap_or(0)),
                    None => scale.is_none_or(|s| d.fraction_digits() <= s),
                };
                return if fits { Ok(()) } else { Err(out_of_range()) };
            }
            (SqlType::Text, Value::Text(_)) => true,
            (SqlType::Varchar(n) | SqlType::Char(n), Value::Text(s)) => {
                let len = s.chars().count();
                return if len <= n as usize {
                    Ok(())
                } else {
                    Err(TypeCheckError::TooLong { ty, len })
                };
            }
            (SqlType::Blob, Value::Blob(_)) => true,
            (SqlType::Date, Value::Date(_)) => true,
            (SqlType::Time, Value::Time(_)) => true,
            (SqlType::Timestamp, Value::Timestamp(_)) => true,
            (SqlType::TimestampTz, Value::TimestampTz(_)) => true,
            (SqlType::Interval, Value::Interval(_)) => true,
            (SqlType::Uuid, Value::Uuid(_)) => true,
            (SqlType::Json, Value::Json(_)) => true,
            _ => false,
        };
        if ok {
            Ok(())
        } else {
            Err(TypeCheckError::Mismatch {
                expected: ty,
                found: value.type_name(),
            })
        }
    }

    /// Whether the type is numeric (its values compare with each other numerically).
    pub fn is_numeric(&self) -> bool {
        matches!(
            self,
            SqlType::SmallInt
                | SqlType::Integer
                | SqlType::BigInt
                | SqlType::Real
                | SqlType::Double
                | SqlType::Decimal { .. }
        )
    }

    /// Whether the type holds text.
    pub fn is_textual(&self) -> bool {
        matches!(self, SqlType::Text | SqlType::Varchar(_) | SqlType::Char(_))
    }
}

/// The SQL spelling, e.g. `VARCHAR(20)` or `NUMERIC(10,2)`.
impl fmt::Display for SqlType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SqlType::Boolean => f.write_str("BOOLEAN"),
            SqlType::SmallInt => f.write_str("SMALLINT"),
            SqlType::Integer => f.write_str("INTEGER"),
            SqlType::BigInt => f.write_str("BIGINT"),
            SqlType::Real => f.write_str("REAL"),
            SqlType::Double => f.write_str("DOUBLE PRECISION"),
            SqlType::Decimal {
                precision: None,
                scale: None,
            } => f.write_str("NUMERIC"),
            SqlType::Decimal {
                precision: Some(p),
                scale: None,
            } => write!(f, "NUMERIC({p})"),
            SqlType::Decimal {
                precision: Some(p),
                scale: Some(s),
            } => {
                write!(f, "NUMERIC({p},{s})")
            }
            SqlType::Decimal {
                precision: None,
                scale: Some(s),
            } => {
                write!(f, "NUMERIC(*,{s})")
            }
            SqlType::Text => f.write_str("TEXT"),
            SqlType::Varchar(n) => write!(f, "VARCHAR({n})"),
            SqlType::Char(n) => write!(f, "CHAR({n})"),
            SqlType::Blob => f.write_str("BLOB"),
            SqlType::Date => f.write_str("DATE"),
            SqlType::Time => f.write_str("TIME"),
            SqlType::Timestamp => f.write_str("TIMESTAMP"),
            SqlType::TimestampTz => f.write_str("TIMESTAMPTZ"),
            SqlType::Interval => f.write_str("INTERVAL"),
            SqlType::Uuid => f.write_str("UUID"),
            SqlType::Json => f.write_str("JSON"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Decimal;

    #[test]
    fn checks_kinds_and_limits() {
        assert!(SqlType::SmallInt.accepts(&Value::Int(32_767)));
        assert!(!SqlType::SmallInt.accepts(&Value::Int(32_768)));
        assert!(!SqlType::Integer.accepts(&Value::Int(1 << 31)));
        assert!(SqlType::Integer.accepts(&Value::Null));
        assert!(matches!(
            SqlType::Integer.check(&Value::Text("1".into())),
            Err(TypeCheckError::Mismatch { found: "text", .. })
        ));
        assert!(SqlType::Varchar(3).accepts(&Value::Text("héé".into())));
        assert!(matches!(
            SqlType::Char(2).check(&Value::Text("abc".into())),
            Err(TypeCheckError::TooLong { len: 3, .. })
        ));
        let dec = |s: &str| Value::Decimal(s.parse::<Decimal>().unwrap());
        let numeric = |p, s| SqlType::Decimal {
            precision: Some(p),
            scale: Some(s),
        };
        assert!(numeric(5, 2).accepts(&dec("999.99")));
        assert!(!numeric(5, 2).accepts(&dec("1000")));
        assert!(!numeric(5, 2).accepts(&dec("0.001")));
        assert!(SqlType::Decimal {
            precision: None,
            scale: None
        }
        .accepts(&dec("1e30")));
        assert_eq!(numeric(10, 2).to_string(), "NUMERIC(10,2)");
        assert_eq!(SqlType::Varchar(20).to_string(), "VARCHAR(20)");
        assert!(!SqlType::Double.accepts(&Value::Int(1)));
    }
}
