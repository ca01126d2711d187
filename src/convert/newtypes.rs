//! Rust types for the SQL types that have none in the standard library: [`Uuid`],
//! [`Json`] and [`TimestampTz`].

use std::fmt;
use std::str::FromStr;

use covet_engine::value::{Timestamp, Value};

use super::{FromSql, FromSqlError, ToSql};
use crate::error::Result;

/// A `uuid` value: its 16 bytes in RFC 4122 order.
///
/// ```
/// let u: covet::Uuid = "67e55044-10b1-426f-9247-bb680e5fe0c8".parse()?;
/// assert_eq!(u.to_string(), "67e55044-10b1-426f-9247-bb680e5fe0c8");
/// assert_eq!(u.0[0], 0x67);
/// # Ok::<(), covet::UuidParseError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uuid(pub [u8; 16]);

impl fmt::Display for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The engine's Display is the canonical text form; reuse it.
        write!(f, "{}", Value::Uuid(self.0))
    }
}

/// Text that is not a UUID (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, or 32 hex digits).
///
/// ```
/// let err = "not-a-uuid".parse::<covet::Uuid>().unwrap_err();
/// assert_eq!(err.to_string(), r#"invalid input syntax for type uuid: "not-a-uuid""#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid input syntax for type uuid: {0:?}")]
pub struct UuidParseError(pub String);

impl FromStr for Uuid {
    type Err = UuidParseError;

    fn from_str(s: &str) -> Result<Uuid, UuidParseError> {
        let err = || UuidParseError(s.to_owned());
        let t = s.trim();
        let t = t
            .strip_prefix('{')
            .and_then(|t| t.strip_suffix('}'))
            .unwrap_or(t);
        let digits: Vec<u8> = if t.len() == 36 {
            // Hyphens exactly where the canonical form has them.
            for (i, c) in t.bytes().enumerate() {
                if matches!(i, 8 | 13 | 18 | 23) != (c == b'-') {
                    return Err(err());
                }
            }
            t.bytes().filter(|&c| c != b'-').collect()
        } else if t.len() == 32 {
            t.bytes().collect()
        } else {
            return Err(err());
        };
        let mut out = [0u8; 16];
        for (i, pair) in digits.chunks(2).enumerate() {
            let hi = (pair[0] as char).to_digit(16).ok_or_else(err)?;
            let lo = (pair[1] as char).to_digit(16).ok_or_else(err)?;
            out[i] = (hi * 16 + lo) as u8;
        }
        Ok(Uuid(out))
    }
}

impl From<[u8; 16]> for Uuid {
    fn from(b: [u8; 16]) -> Uuid {
        Uuid(b)
    }
}

impl ToSql for Uuid {
    fn to_sql(&self) -> Result<Value> {
        Ok(Value::Uuid(self.0))
    }
}

impl FromSql for Uuid {
    fn from_sql(value: &Value) -> Result<Self, FromSqlError> {
        <[u8; 16]>::from_sql(value)
            .map(Uuid)
            .map_err(|e| rename(e, "Uuid"))
    }
}

/// A `json`/`jsonb` value, as its text. covet checks the text when it is stored in a
/// JSON column; this type only carries it.
///
/// ```
/// use covet::{Json, ToSql, Value};
/// assert_eq!(Json(r#"{"a":1}"#.into()).to_sql()?, Value::Json(r#"{"a":1}"#.into()));
/// # Ok::<(), covet::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Json(pub String);

impl fmt::Display for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl ToSql for Json {
    fn to_sql(&self) -> Result<Value> {
        Ok(Value::Json(self.0.clone()))
    }
}

/// Reads `json` values, and `text` (a JSON document in a text column is still one).
impl FromSql for Json {
    fn from_sql(value: &Value) -> Result<Self, FromSqlError> {
        match value {
            Value::Json(s) | Value::Text(s) => Ok(Json(s.clone())),
            v => Err(FromSqlError::InvalidType {
                expected: "Json",
                found: v.type_name(),
            }),
        }
    }
}

/// A `timestamptz` value: a [`Timestamp`] in UTC, sent as `timestamptz` rather than
/// `timestamp`.
///
/// ```
/// use covet::{Timestamp, TimestampTz, ToSql, Value};
/// let t = Timestamp::from_micros(0);
/// assert_eq!(TimestampTz(t).to_sql()?, Value::TimestampTz(t));
/// # Ok::<(), covet::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimestampTz(pub Timestamp);

impl ToSql for TimestampTz {
    fn to_sql(&self) -> Result<Value> {
        Ok(Value::TimestampTz(self.0))
    }
}

impl FromSql for TimestampTz {
    fn from_sql(value: &Value) -> Result<Self, FromSqlError> {
        match value {
            Value::TimestampTz(t) => Ok(TimestampTz(*t)),
            v => Err(FromSqlError::InvalidType {
                expected: "TimestampTz",
                found: v.type_name(),
            }),
        }
    }
}

fn rename(e: FromSqlError, expected: &'static str) -> FromSqlError {
    match e {
        FromSqlError::InvalidType { found, .. } => FromSqlError::InvalidType { expected, found },
        FromSqlError::OutOfRange { value, .. } => FromSqlError::OutOfRange { expected, value },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_text_forms() {
        let canonical: Uuid = "00112233-4455-6677-8899-aabbccddeeff".parse().unwrap();
        assert_eq!(
            canonical.0,
            [
                0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd,
                0xee, 0xff
            ]
        );
        let bare: Uuid = "00112233445566778899AABBCCDDEEFF".parse().unwrap();
        assert_eq!(bare, canonical);
        let braced: Uuid = "{00112233-4455-6677-8899-aabbccddeeff}".parse().unwrap();
        assert_eq!(braced, canonical);
        assert!("00112233-4455-6677-8899-aabbccddeefg"
            .parse::<Uuid>()
            .is_err());
        assert!("0011223-34455-6677-8899-aabbccddeeff"
            .parse::<Uuid>()
            .is_err());
        assert!("é0112233445566778899aabbccddeeff".parse::<Uuid>().is_err());
        assert!("".parse::<Uuid>().is_err());
    }

    #[test]
    fn uuid_and_timestamptz_round_trip() {
        let u = Uuid([9; 16]);
        assert_eq!(Uuid::from_sql(&u.to_sql().unwrap()), Ok(u));
        assert_eq!(
            Uuid::from_sql(&Value::Int(1)),
            Err(FromSqlError::InvalidType {
                expected: "Uuid",
                found: "bigint"
            })
        );
        let t = TimestampTz(Timestamp::from_micros(86_400_000_000));
        assert_eq!(TimestampTz::from_sql(&t.to_sql().unwrap()), Ok(t));
    }
}
