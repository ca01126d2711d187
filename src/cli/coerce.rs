//! Text from a CSV file as a value of a column's type, by PostgreSQL's input rules for
//! each type (what `COPY … FROM` accepts): `t`/`true`/`yes`/`on`/`1` for booleans,
//! decimal integers range-checked for the column's width, `NaN`/`Infinity` for floats,
//! `\x` hex for bytea, ISO dates and times.

use covet::engine::value::{Date, Decimal, Interval, SqlType, Time, Timestamp, Value};
use covet::{QueryError, SqlState, Uuid};

/// The value `text` stands for in a column of type `ty`, or a 22P02 / 22003 / 22007
/// error naming the type and the text.
pub fn coerce(text: &str, ty: &SqlType) -> Result<Value, QueryError> {
    let bad = |type_name: &str| {
        QueryError::new(
            SqlState::INVALID_TEXT_REPRESENTATION,
            format!("invalid input syntax for type {type_name}: \"{text}\""),
        )
    };
    let t = text.trim();
    Ok(match ty {
        SqlType::Boolean => match t.to_ascii_lowercase().as_str() {
            "t" | "true" | "y" | "yes" | "on" | "1" => Value::Bool(true),
            "f" | "false" | "n" | "no" | "off" | "0" => Value::Bool(false),
            _ => return Err(bad("boolean")),
        },
        SqlType::SmallInt | SqlType::Integer | SqlType::BigInt => {
            let (name, min, max) = match ty {
                SqlType::SmallInt => ("smallint", i64::from(i16::MIN), i64::from(i16::MAX)),
                SqlType::Integer => ("integer", i64::from(i32::MIN), i64::from(i32::MAX)),
                _ => ("bigint", i64::MIN, i64::MAX),
            };
            let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad(name));
            }
            match t.parse::<i64>() {
                Ok(i) if (min..=max).contains(&i) => Value::Int(i),
                _ => {
                    return Err(QueryError::new(
                        SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
                        format!("value \"{text}\" is out of range for type {name}"),
                    ))
                }
            }
        }
        SqlType::Real | SqlType::Double => {
            let lower = t.to_ascii_lowercase();
            let x = match lower.as_str() {
                "nan" => f64::NAN,
                "infinity" | "+infinity" | "inf" | "+inf" => f64::INFINITY,
                "-infinity" | "-inf" => f64::NEG_INFINITY,
                // Rust's parser also takes "inf"/"nan" spellings handled above; any
                // other letters are not a number.
                _ if lower.contains(|c: char| c.is_ascii_alphabetic() && c != 'e') => {
                    return Err(bad("double precision"))
                }
                _ => t.parse::<f64>().map_err(|_| bad("double precision"))?,
            };
            Value::Float(x)
        }
        SqlType::Decimal { .. } => {
            Value::Decimal(t.parse::<Decimal>().map_err(|_| bad("numeric"))?)
        }
        SqlType::Text | SqlType::Varchar(_) | SqlType::Char(_) => Value::Text(text.to_owned()),
        SqlType::Blob => match t.strip_prefix("\\x") {
            Some(hex) => Value::Blob(unhex(hex).ok_or_else(|| bad("bytea"))?),
            None => Value::Blob(text.as_bytes().to_vec()),
        },
        SqlType::Date => Value::Date(Date::parse(t).map_err(|e| datetime(e.to_string()))?),
        SqlType::Time => Value::Time(Time::parse(t).map_err(|e| datetime(e.to_string()))?),
        SqlType::Timestamp => {
            Value::Timestamp(Timestamp::parse(t).map_err(|e| datetime(e.to_string()))?)
        }
        SqlType::TimestampTz => {
            Value::TimestampTz(Timestamp::parse_tz(t).map_err(|e| datetime(e.to_string()))?)
        }
        SqlType::Interval => {
            Value::Interval(Interval::parse(t).map_err(|e| datetime(e.to_string()))?)
        }
        SqlType::Uuid => Value::Uuid(t.parse::<Uuid>().map_err(|_| bad("uuid"))?.0),
        SqlType::Json => {
            serde_json::from_str::<serde_json::Value>(t).map_err(|_| bad("json"))?;
            Value::Json(text.to_owned())
        }
    })
}

fn datetime(message: String) -> QueryError {
    QueryError::new(SqlState::INVALID_DATETIME_FORMAT, message)
}

fn unhex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    hex.as_bytes()
        .chunks(2)
        .map(|p| {
            let hi = (p[0] as char).to_digit(16)?;
            let lo = (p[1] as char).to_digit(16)?;
            Some((hi * 16 + lo) as u8)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_checked_against_the_column_width() {
        assert_eq!(coerce(" 42 ", &SqlType::Integer).unwrap(), Value::Int(42));
        assert_eq!(coerce("-7", &SqlType::SmallInt).unwrap(), Value::Int(-7));
        let e = coerce("40000", &SqlType::SmallInt).unwrap_err();
        assert_eq!(e.code, SqlState::NUMERIC_VALUE_OUT_OF_RANGE);
        assert_eq!(
            e.message,
            "value \"40000\" is out of range for type smallint"
        );
        let e = coerce("4x", &SqlType::BigInt).unwrap_err();
        assert_eq!(e.code, SqlState::INVALID_TEXT_REPRESENTATION);
        assert_eq!(e.message, "invalid input syntax for type bigint: \"4x\"");
        assert!(coerce("1.5", &SqlType::Integer).is_err());
        assert!(coerce("", &SqlType::Integer).is_err());
    }

    #[test]
    fn other_types() {
        assert_eq!(coerce("yes", &SqlType::Boolean).unwrap(), Value::Bool(true));
        assert_eq!(coerce("F", &SqlType::Boolean).unwrap(), Value::Bool(false));
        assert!(coerce("maybe", &SqlType::Boolean).is_err());
        assert_eq!(
            coerce("2.5e1", &SqlType::Double).unwrap(),
            Value::Float(25.0)
        );
        assert_eq!(
            coerce("-Infinity", &SqlType::Real).unwrap(),
            Value::Float(f64::NEG_INFINITY)
        );
        assert!(coerce("infinityx", &SqlType::Double).is_err());
        assert_eq!(
            coerce(
                "1.50",
                &SqlType::Decimal {
                    precision: None,
                    scale: None
                }
            )
            .unwrap(),
            Value::Decimal("1.50".parse().unwrap())
        );
        assert_eq!(
            coerce(" keep ", &SqlType::Text).unwrap(),
            Value::Text(" keep ".into())
        );
        assert_eq!(
            coerce("\\x00ff", &SqlType::Blob).unwrap(),
            Value::Blob(vec![0, 255])
        );
        assert!(coerce("\\x0", &SqlType::Blob).is_err());
        assert_eq!(
            coerce("2024-02-29", &SqlType::Date).unwrap(),
            Value::Date(Date::from_ymd(2024, 2, 29).unwrap())
        );
        assert_eq!(
            coerce("2023-02-29", &SqlType::Date).unwrap_err().code,
            SqlState::INVALID_DATETIME_FORMAT
        );
        assert_eq!(
            coerce("00000000-0000-0000-0000-000000000001", &SqlType::Uuid).unwrap(),
            Value::Uuid([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
        );
        assert_eq!(
            coerce("[1, 2]", &SqlType::Json).unwrap(),
            Value::Json("[1, 2]".into())
        );
        assert!(coerce("{", &SqlType::Json).is_err());
    }
}
