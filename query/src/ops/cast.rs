//! Casts between value types, with PostgreSQL's rules and errors.
//!
//! [`cast`] is the assignment cast (a value stored into a column): a string too long for
//! `VARCHAR(n)` is 22001. [`cast_explicit`] is `CAST(x AS t)` / `x::t`, which PostgreSQL
//! lets truncate a string to `VARCHAR(n)` silently. Otherwise they agree:
//!
//! * text → number: 22P02 on bad text, 22003 out of range;
//! * float → integer rounds half to even (PostgreSQL's `rint`), numeric → integer half
//!   away from zero; SMALLINT/INTEGER/BIGINT are range-checked (22003);
//! * numeric typmods round to the scale and check the precision (22003);
//! * text ↔ date/time/timestamp/interval/uuid/json/bool/bytea in PostgreSQL's formats
//!   (a malformed date or time is 22007, other malformed text 22P02);
//! * a pair of types with no cast is 42846.

use covet_engine::value::{
    Date, DateTimeError, Decimal, Interval, SqlType, Time, Timestamp, Value,
};

use super::datetime::date_start;
use super::numeric::{self, numeric_overflow};
use super::text::{parse_bytea, parse_uuid, to_text};
use super::{invalid_text, json, out_of_range};
use crate::error::{QueryError, Result, SqlState};

/// The assignment cast of `value` to `ty` (VARCHAR(n) overflow is 22001).
pub fn cast(value: &Value, ty: &SqlType) -> Result<Value> {
    cast_with(value, ty, false)
}

/// The explicit cast `CAST(value AS ty)` (VARCHAR(n)/CHAR(n) truncate silently).
pub fn cast_explicit(value: &Value, ty: &SqlType) -> Result<Value> {
    cast_with(value, ty, true)
}

fn cannot_cast(value: &Value, ty: &SqlType) -> QueryError {
    QueryError::new(
        SqlState::CANNOT_COERCE,
        format!(
            "cannot cast type {} to {}",
            value.type_name(),
            type_name(ty)
        ),
    )
}

/// PostgreSQL's name of a column type, for messages.
pub fn type_name(ty: &SqlType) -> &'static str {
    match ty {
        SqlType::Boolean => "boolean",
        SqlType::SmallInt => "smallint",
        SqlType::Integer => "integer",
        SqlType::BigInt => "bigint",
        SqlType::Real => "real",
        SqlType::Double => "double precision",
        SqlType::Decimal { .. } => "numeric",
        SqlType::Text => "text",
        SqlType::Varchar(_) => "character varying",
        SqlType::Char(_) => "character",
        SqlType::Blob => "bytea",
        SqlType::Date => "date",
        SqlType::Time => "time without time zone",
        SqlType::Timestamp => "timestamp without time zone",
        SqlType::TimestampTz => "timestamp with time zone",
        SqlType::Interval => "interval",
        SqlType::Uuid => "uuid",
        SqlType::Json => "json",
    }
}

fn cast_with(value: &Value, ty: &SqlType, explicit: bool) -> Result<Value> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    match ty {
        SqlType::Boolean => to_bool(value).map(Value::Bool),
        SqlType::SmallInt => to_int(value, "smallint", i16::MIN.into(), i16::MAX.into()),
        SqlType::Integer => to_int(value, "integer", i32::MIN.into(), i32::MAX.into()),
        SqlType::BigInt => to_int(value, "bigint", i64::MIN, i64::MAX),
        SqlType::Real => {
            let f = to_float(value, "real")?;
            if f.is_finite() && f.abs() > f64::from(f32::MAX) {
                return Err(out_of_range("value"));
            }
            Ok(Value::Float(f))
        }
        SqlType::Double => to_float(value, "double precision").map(Value::Float),
        SqlType::Decimal { precision, scale } => {
            let d = to_decimal(value)?;
            apply_numeric_typmod(d, *precision, *scale).map(Value::Decimal)
        }
        SqlType::Text => text_of(value, ty).map(Value::Text),
        SqlType::Varchar(n) | SqlType::Char(n) => {
            let s = text_of(value, ty)?;
            fit_length(s, *n as usize, ty, explicit).map(Value::Text)
        }
        SqlType::Blob => match value {
            Value::Blob(b) => Ok(Value::Blob(b.clone())),
            Value::Text(s) => parse_bytea(s).map(Value::Blob),
            _ => Err(cannot_cast(value, ty)),
        },
        SqlType::Date => match value {
            Value::Date(d) => Ok(Value::Date(*d)),
            Value::Timestamp(t) | Value::TimestampTz(t) => Ok(Value::Date(t.to_date_time().0)),
            Value::Text(s) => Date::parse(s)
                .map(Value::Date)
                .map_err(|e| bad_datetime("date", s, &[e])),
            _ => Err(cannot_cast(value, ty)),
        },
        SqlType::Time => match value {
            Value::Time(t) => Ok(Value::Time(*t)),
            Value::Timestamp(t) | Value::TimestampTz(t) => Ok(Value::Time(t.to_date_time().1)),
            Value::Interval(i) => {
                let m = i.micros.rem_euclid(covet_engine::value::MICROS_PER_DAY);
                Ok(Value::Time(Time::from_micros(m).unwrap_or(Time::MIDNIGHT)))
            }
            Value::Text(s) => Time::parse(s)
                .map(Value::Time)
                .map_err(|e| bad_datetime("time", s, &[e])),
            _ => Err(cannot_cast(value, ty)),
        },
        SqlType::Timestamp => match value {
            Value::Timestamp(t) | Value::TimestampTz(t) => Ok(Value::Timestamp(*t)),
            Value::Date(d) => Ok(Value::Timestamp(date_start(*d))),
            Value::Text(s) => parse_timestamp(s).map(Value::Timestamp),
            _ => Err(cannot_cast(value, ty)),
        },
        SqlType::TimestampTz => match value {
            Value::Timestamp(t) | Value::TimestampTz(t) => Ok(Value::TimestampTz(*t)),
            Value::Date(d) => Ok(Value::TimestampTz(date_start(*d))),
            Value::Text(s) => match Timestamp::parse_tz(s) {
                Ok(t) => Ok(Value::TimestampTz(t)),
                Err(e1) => Date::parse(s)
                    .map(|d| Value::TimestampTz(date_start(d)))
                    .map_err(|e2| bad_datetime("timestamp with time zone", s, &[e1, e2])),
            },
            _ => Err(cannot_cast(value, ty)),
        },
        SqlType::Interval => match value {
            Value::Interval(i) => Ok(Value::Interval(*i)),
            Value::Time(t) => Ok(Value::Interval(Interval::new(0, 0, t.micros()))),
            Value::Text(s) => Interval::parse(s)
                .map(Value::Interval)
                .map_err(|e| bad_datetime("interval", s, &[e])),
            _ => Err(cannot_cast(value, ty)),
        },
        SqlType::Uuid => match value {
            Value::Uuid(u) => Ok(Value::Uuid(*u)),
            Value::Text(s) => parse_uuid(s).map(Value::Uuid),
            _ => Err(cannot_cast(value, ty)),
        },
        SqlType::Json => match value {
            Value::Json(s) => Ok(Value::Json(s.clone())),
            // Stored in jsonb's output style (covet has one JSON type; COMPAT.md).
            Value::Text(s) => json::parse(s)
                .map(|j| Value::Json(j.to_text()))
                .map_err(|_| invalid_text("json", s)),
            _ => Err(cannot_cast(value, ty)),
        },
    }
}

/// The error of text that is not a `type_name`: 22008 when one of the parsers found
/// well-formed fields out of range (month 13, February 30, hour 25), as PostgreSQL's
/// `date/time field value out of range`; otherwise 22007.
fn bad_datetime(type_name: &str, text: &str, errors: &[DateTimeError]) -> QueryError {
    if errors
        .iter()
        .any(|e| matches!(e, DateTimeError::OutOfRange { .. }))
    {
        return QueryError::new(
            SqlState::DATETIME_FIELD_OVERFLOW,
            format!("date/time field value out of range: \"{text}\""),
        );
    }
    QueryError::new(
        SqlState::INVALID_DATETIME_FORMAT,
        format!("invalid input syntax for type {type_name}: \"{text}\""),
    )
}

/// A timestamp from text: a date alone is its midnight; a zone suffix is accepted and
/// applied (covet's session zone is UTC).
fn parse_timestamp(s: &str) -> Result<Timestamp> {
    let e1 = match Timestamp::parse(s) {
        Ok(t) => return Ok(t),
        Err(e) => e,
    };
    let e2 = match Date::parse(s) {
        Ok(d) => return Ok(date_start(d)),
        Err(e) => e,
    };
    Timestamp::parse_tz(s).map_err(|e3| bad_datetime("timestamp", s, &[e1, e2, e3]))
}

/// PostgreSQL's boolean input: `t`, `true`, `yes`, `on`, `1` and their opposites, any
/// case, surrounding spaces ignored, unique prefixes of the words accepted.
pub fn parse_bool(s: &str) -> Option<bool> {
    let t = s.trim().to_ascii_lowercase();
    if t.is_empty() {
        return None;
    }
    let prefix_of = |word: &str| word.starts_with(t.as_str());
    match t.as_str() {
        "1" => Some(true),
        "0" => Some(false),
        "o" => None, // ambiguous between on and off
        _ if prefix_of("true") || prefix_of("yes") => Some(true),
        _ if prefix_of("false") || prefix_of("no") => Some(false),
        _ if t.len() >= 2 && prefix_of("on") => Some(true),
        _ if t.len() >= 2 && prefix_of("off") => Some(false),
        _ => None,
    }
}

fn to_bool(v: &Value) -> Result<bool> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::Int(i) => Ok(*i != 0),
        Value::Text(s) => parse_bool(s).ok_or_else(|| invalid_text("boolean", s)),
        _ => Err(cannot_cast(v, &SqlType::Boolean)),
    }
}

fn to_int(v: &Value, name: &str, min: i64, max: i64) -> Result<Value> {
    let i = match v {
        Value::Int(i) => *i,
        Value::Bool(b) => i64::from(*b),
        Value::Float(f) => {
            let r = f.round_ties_even();
            // 2^63 is the first float past i64::MAX.
            if !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&r) {
                return Err(out_of_range(name));
            }
            r as i64
        }
        Value::Decimal(d) => numeric::round(d, 0)
            .ok()
            .and_then(|r| r.to_i64())
            .ok_or_else(|| out_of_range(name))?,
        Value::Text(s) => parse_int_text(s, name)?,
        _ => {
            let ty = match name {
                "smallint" => SqlType::SmallInt,
                "integer" => SqlType::Integer,
                _ => SqlType::BigInt,
            };
            return Err(cannot_cast(v, &ty));
        }
    };
    if i < min || i > max {
        return Err(out_of_range(name));
    }
    Ok(Value::Int(i))
}

/// An integer from text: optional sign, decimal digits (underscores between digits
/// allowed, as PostgreSQL 16), surrounding spaces.
fn parse_int_text(s: &str, name: &str) -> Result<i64> {
    let t = s.trim();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let valid = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'_')
        && !digits.starts_with('_')
        && !digits.ends_with('_')
        && !digits.contains("__");
    if !valid {
        return Err(invalid_text(name, s));
    }
    let mut acc: i128 = 0;
    for b in digits.bytes().filter(u8::is_ascii_digit) {
        acc = acc * 10 + i128::from(b - b'0');
        if acc > i128::from(i64::MAX) + 1 {
            return Err(QueryError::new(
                SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
                format!("value \"{s}\" is out of range for type {name}"),
            ));
        }
    }
    let v = if neg { -acc } else { acc };
    i64::try_from(v).map_err(|_| {
        QueryError::new(
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
            format!("value \"{s}\" is out of range for type {name}"),
        )
    })
}

fn to_float(v: &Value, name: &str) -> Result<f64> {
    match v {
        Value::Float(f) => Ok(*f),
        Value::Int(i) => Ok(*i as f64),
        Value::Decimal(d) => Ok(d.to_f64()),
        Value::Text(s) => parse_float_text(s).ok_or_else(|| invalid_text(name, s)),
        _ => Err(cannot_cast(v, &SqlType::Double)),
    }
}

/// A float from text, with PostgreSQL's special spellings (`NaN`, `Infinity`, `inf`).
pub fn parse_float_text(s: &str) -> Option<f64> {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    match lower.trim_start_matches(['+', '-']) {
        "nan" => return Some(f64::NAN),
        "infinity" | "inf" => {
            return Some(if lower.starts_with('-') {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            })
        }
        _ => {}
    }
    // Rust also reads "inf"/"nan" spellings handled above and nothing else non-numeric.
    let ok = !t.is_empty()
        && t.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'));
    if !ok {
        return None;
    }
    t.parse::<f64>().ok().filter(|f| f.is_finite())
}

fn to_decimal(v: &Value) -> Result<Decimal> {
    match v {
        Value::Decimal(d) => Ok(*d),
        Value::Int(i) => Ok(Decimal::from(*i)),
        Value::Float(f) => Decimal::try_from_f64(*f).map_err(|_| {
            if f.is_nan() {
                QueryError::unsupported("NaN as numeric")
            } else {
                QueryError::unsupported("infinity as numeric")
            }
        }),
        Value::Text(s) => s.parse::<Decimal>().map_err(|e| match e {
            covet_engine::value::DecimalError::Invalid { .. } => invalid_text("numeric", s),
            _ => numeric_overflow(),
        }),
        _ => Err(cannot_cast(
            v,
            &SqlType::Decimal {
                precision: None,
                scale: None,
            },
        )),
    }
}

/// Rounds to the typmod's scale and checks its precision, as `NUMERIC(p,s)` does.
pub fn apply_numeric_typmod(
    d: Decimal,
    precision: Option<u32>,
    scale: Option<u32>,
) -> Result<Decimal> {
    let scale = match (precision, scale) {
        (None, None) => return Ok(d),
        (_, Some(s)) => s,
        (Some(_), None) => 0,
    };
    let r = numeric::round(&d, scale as i32)?;
    if let Some(p) = precision {
        if !r.fits(p, scale) {
            return Err(QueryError::new(
                SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
                "numeric field overflow",
            )
            .with_hint(format!(
                "A field with precision {p}, scale {scale} must round to an absolute value less than 10^{}.",
                p.saturating_sub(scale)
            )));
        }
    }
    Ok(r)
}

fn text_of(v: &Value, ty: &SqlType) -> Result<String> {
    to_text(v).ok_or_else(|| cannot_cast(v, ty))
}

/// `VARCHAR(n)`/`CHAR(n)` length: explicit casts truncate; assignment truncates only
/// trailing spaces and otherwise raises 22001.
fn fit_length(s: String, n: usize, ty: &SqlType, explicit: bool) -> Result<String> {
    let len = s.chars().count();
    if len <= n {
        return Ok(s);
    }
    let cut: String = s.chars().take(n).collect();
    if explicit || s.chars().skip(n).all(|c| c == ' ') {
        return Ok(cut);
    }
    Err(QueryError::new(
        SqlState::STRING_DATA_RIGHT_TRUNCATION,
        format!("value too long for type {}({n})", type_name(ty)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Value {
        Value::Decimal(s.parse().unwrap())
    }
    fn text(s: &str) -> Value {
        Value::Text(s.into())
    }
    fn code(r: Result<Value>) -> SqlState {
        r.unwrap_err().code
    }
    const NUMERIC: SqlType = SqlType::Decimal {
        precision: None,
        scale: None,
    };

    #[test]
    fn text_to_numbers() {
        assert_eq!(
            cast(&text(" 42 "), &SqlType::Integer).unwrap(),
            Value::Int(42)
        );
        assert_eq!(
            cast(&text("-1_000"), &SqlType::BigInt).unwrap(),
            Value::Int(-1000)
        );
        assert_eq!(
            code(cast(&text("abc"), &SqlType::Integer)),
            SqlState::INVALID_TEXT_REPRESENTATION
        );
        assert_eq!(
            cast(&text("abc"), &SqlType::Integer).unwrap_err().message,
            "invalid input syntax for type integer: \"abc\""
        );
        assert_eq!(
            code(cast(&text("1.5"), &SqlType::Integer)),
            SqlState::INVALID_TEXT_REPRESENTATION
        );
        assert_eq!(
            code(cast(&text("99999"), &SqlType::SmallInt)),
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE
        );
        assert_eq!(
            code(cast(&text("9223372036854775808"), &SqlType::BigInt)),
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE
        );
        assert_eq!(
            cast(&text("-9223372036854775808"), &SqlType::BigInt).unwrap(),
            Value::Int(i64::MIN)
        );
        assert_eq!(
            cast(&text("1.5e2"), &SqlType::Double).unwrap(),
            Value::Float(150.0)
        );
        assert_eq!(
            cast(&text("-Infinity"), &SqlType::Double).unwrap(),
            Value::Float(f64::NEG_INFINITY)
        );
        assert_eq!(
            code(cast(&text("1x"), &SqlType::Double)),
            SqlState::INVALID_TEXT_REPRESENTATION
        );
        assert_eq!(cast(&text("1.50"), &NUMERIC).unwrap().to_string(), "1.50");
        assert_eq!(
            code(cast(&text("x"), &NUMERIC)),
            SqlState::INVALID_TEXT_REPRESENTATION
        );
    }

    #[test]
    fn numbers_to_integers_round_and_check_range() {
        assert_eq!(
            cast(&Value::Float(2.5), &SqlType::Integer).unwrap(),
            Value::Int(2)
        );
        assert_eq!(
            cast(&Value::Float(3.5), &SqlType::Integer).unwrap(),
            Value::Int(4)
        );
        assert_eq!(
            cast(&Value::Float(-2.5), &SqlType::Integer).unwrap(),
            Value::Int(-2)
        );
        assert_eq!(
            cast(&Value::Float(2.4), &SqlType::Integer).unwrap(),
            Value::Int(2)
        );
        assert_eq!(cast(&dec("2.5"), &SqlType::Integer).unwrap(), Value::Int(3));
        assert_eq!(
            cast(&dec("-2.5"), &SqlType::Integer).unwrap(),
            Value::Int(-3)
        );
        assert_eq!(
            code(cast(&Value::Int(40_000), &SqlType::SmallInt)),
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE
        );
        assert_eq!(
            cast(&Value::Int(40_000), &SqlType::SmallInt)
                .unwrap_err()
                .message,
            "smallint out of range"
        );
        assert_eq!(
            code(cast(&Value::Int(1 << 31), &SqlType::Integer)),
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE
        );
        assert_eq!(
            code(cast(&Value::Float(1e19), &SqlType::BigInt)),
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE
        );
        assert_eq!(
            code(cast(&Value::Float(f64::NAN), &SqlType::BigInt)),
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE
        );
        assert_eq!(
            cast(&Value::Bool(true), &SqlType::Integer).unwrap(),
            Value::Int(1)
        );
        assert_eq!(
            cast(&Value::Int(3), &SqlType::Double).unwrap(),
            Value::Float(3.0)
        );
        assert_eq!(cast(&Value::Int(3), &NUMERIC).unwrap(), dec("3"));
        assert_eq!(cast(&Value::Float(0.1), &NUMERIC).unwrap(), dec("0.1"));
    }

    #[test]
    fn numeric_typmods_round_and_check_precision() {
        let n = |p, s| SqlType::Decimal {
            precision: Some(p),
            scale: Some(s),
        };
        assert_eq!(cast(&dec("3.14159"), &n(5, 2)).unwrap().to_string(), "3.14");
        assert_eq!(cast(&dec("2.005"), &n(5, 2)).unwrap().to_string(), "2.01");
        assert_eq!(cast(&Value::Int(7), &n(5, 2)).unwrap().to_string(), "7.00");
        assert_eq!(
            code(cast(&dec("1000"), &n(5, 2))),
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE
        );
        assert_eq!(
            code(cast(&dec("999.995"), &n(5, 2))),
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE
        );
        let p_only = SqlType::Decimal {
            precision: Some(3),
            scale: None,
        };
        assert_eq!(cast(&dec("12.5"), &p_only).unwrap().to_string(), "13");
    }

    #[test]
    fn text_lengths() {
        let v = SqlType::Varchar(3);
        assert_eq!(cast(&text("abc"), &v).unwrap(), text("abc"));
        assert_eq!(
            code(cast(&text("abcd"), &v)),
            SqlState::STRING_DATA_RIGHT_TRUNCATION
        );
        assert_eq!(
            cast(&text("abcd"), &v).unwrap_err().message,
            "value too long for type character varying(3)"
        );
        assert_eq!(cast(&text("abc  "), &v).unwrap(), text("abc"));
        assert_eq!(cast_explicit(&text("abcdef"), &v).unwrap(), text("abc"));
        assert_eq!(
            cast(&Value::Int(12345), &SqlType::Text).unwrap(),
            text("12345")
        );
        assert_eq!(
            cast(&Value::Float(1e20), &SqlType::Text).unwrap(),
            text("1e+20")
        );
        assert_eq!(
            cast(&Value::Bool(false), &SqlType::Text).unwrap(),
            text("false")
        );
        assert_eq!(cast(&dec("1.50"), &SqlType::Text).unwrap(), text("1.50"));
    }

    #[test]
    fn text_to_other_types_and_back() {
        assert_eq!(
            cast(&text("yes"), &SqlType::Boolean).unwrap(),
            Value::Bool(true)
        );
        assert_eq!(
            cast(&text(" OFF "), &SqlType::Boolean).unwrap(),
            Value::Bool(false)
        );
        assert_eq!(
            cast(&text("f"), &SqlType::Boolean).unwrap(),
            Value::Bool(false)
        );
        assert_eq!(
            code(cast(&text("maybe"), &SqlType::Boolean)),
            SqlState::INVALID_TEXT_REPRESENTATION
        );
        assert_eq!(
            cast(&Value::Int(0), &SqlType::Boolean).unwrap(),
            Value::Bool(false)
        );
        let d = cast(&text("2024-02-29"), &SqlType::Date).unwrap();
        assert_eq!(cast(&d, &SqlType::Text).unwrap(), text("2024-02-29"));
        assert_eq!(
            code(cast(&text("2023-02-29"), &SqlType::Date)),
            SqlState::DATETIME_FIELD_OVERFLOW
        );
        let ts = cast(&text("2024-02-29 13:45:00"), &SqlType::Timestamp).unwrap();
        assert_eq!(ts.to_string(), "2024-02-29 13:45:00");
        assert_eq!(cast(&ts, &SqlType::Date).unwrap(), d);
        assert_eq!(
            cast(&d, &SqlType::Timestamp).unwrap().to_string(),
            "2024-02-29 00:00:00"
        );
        assert_eq!(
            cast(&text("2024-02-29"), &SqlType::Timestamp)
                .unwrap()
                .to_string(),
            "2024-02-29 00:00:00"
        );
        assert_eq!(
            cast(&text("2024-02-29 12:00:00+02"), &SqlType::TimestampTz)
                .unwrap()
                .to_string(),
            "2024-02-29 10:00:00+00"
        );
        assert_eq!(cast(&ts, &SqlType::Time).unwrap().to_string(), "13:45:00");
        assert_eq!(
            cast(&text("1 day 2 hours"), &SqlType::Interval)
                .unwrap()
                .to_string(),
            "1 day 02:00:00"
        );
        assert_eq!(
            code(cast(&text("soon"), &SqlType::Interval)),
            SqlState::INVALID_DATETIME_FORMAT
        );
        let u = cast(
            &text("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"),
            &SqlType::Uuid,
        )
        .unwrap();
        assert_eq!(
            cast(&u, &SqlType::Text).unwrap(),
            text("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")
        );
        assert_eq!(
            code(cast(&text("nope"), &SqlType::Uuid)),
            SqlState::INVALID_TEXT_REPRESENTATION
        );
        assert_eq!(
            cast(&text("{\"a\": 1}"), &SqlType::Json).unwrap(),
            Value::Json("{\"a\": 1}".into())
        );
        assert_eq!(
            code(cast(&text("{a}"), &SqlType::Json)),
            SqlState::INVALID_TEXT_REPRESENTATION
        );
        assert_eq!(
            cast(&text("\\x0102"), &SqlType::Blob).unwrap(),
            Value::Blob(vec![1, 2])
        );
        assert_eq!(
            cast(&Value::Blob(vec![1, 171]), &SqlType::Text).unwrap(),
            text("\\x01ab")
        );
        assert_eq!(cast(&Value::Null, &SqlType::Integer).unwrap(), Value::Null);
    }

    #[test]
    fn impossible_casts_are_42846() {
        assert_eq!(
            code(cast(&Value::Int(1), &SqlType::Date)),
            SqlState::CANNOT_COERCE
        );
        assert_eq!(
            cast(&Value::Int(1), &SqlType::Date).unwrap_err().message,
            "cannot cast type bigint to date"
        );
        assert_eq!(
            code(cast(&Value::Bool(true), &SqlType::Double)),
            SqlState::CANNOT_COERCE
        );
        assert_eq!(
            code(cast(&Value::Int(1), &SqlType::Json)),
            SqlState::CANNOT_COERCE
        );
    }

    #[test]
    fn datetime_fields_out_of_range_are_22008() {
        let c = |s: &str, t: SqlType| code(cast(&text(s), &t));
        assert_eq!(
            c("2024-13-01", SqlType::Date),
            SqlState::DATETIME_FIELD_OVERFLOW
        );
        assert_eq!(
            c("25:00:00", SqlType::Time),
            SqlState::DATETIME_FIELD_OVERFLOW
        );
        assert_eq!(
            c("2024-13-01 00:00", SqlType::Timestamp),
            SqlState::DATETIME_FIELD_OVERFLOW
        );
        assert_eq!(
            c("2024-02-30 00:00+00", SqlType::TimestampTz),
            SqlState::DATETIME_FIELD_OVERFLOW
        );
        assert_eq!(
            c("yesterday-ish", SqlType::Date),
            SqlState::INVALID_DATETIME_FORMAT
        );
        assert_eq!(
            c("nope", SqlType::Timestamp),
            SqlState::INVALID_DATETIME_FORMAT
        );
        assert_eq!(
            cast(&text("2024-13-01"), &SqlType::Date)
                .unwrap_err()
                .message,
            "date/time field value out of range: \"2024-13-01\""
        );
    }

    #[test]
    fn json_is_stored_in_jsonb_style() {
        assert_eq!(
            cast(&text("{\"a\": [true, null],\"b\":2}"), &SqlType::Json).unwrap(),
            Value::Json("{\"a\": [true, null], \"b\": 2}".into())
        );
    }
}
