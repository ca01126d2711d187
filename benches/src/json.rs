//! The little JSON the harness writes: quoted strings, scalar values, and numbers formatted by
//! their unit. (The harness never parses JSON: children talk to the parent in the line protocol
//! of [`crate::protocol`].)

use std::fmt::{self, Write};

/// `s` as a JSON string literal, quotes included.
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A scalar JSON value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A string.
    Str(String),
    /// An integer (wide enough for every `i64` and `u64`).
    Int(i128),
    /// A boolean.
    Bool(bool),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Str(s) => f.write_str(&string(s)),
            Value::Int(i) => write!(f, "{i}"),
            Value::Bool(b) => write!(f, "{b}"),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Str(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Str(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i.into())
    }
}

impl From<u64> for Value {
    fn from(i: u64) -> Value {
        Value::Int(i.into())
    }
}

impl From<usize> for Value {
    fn from(i: usize) -> Value {
        Value::Int(i as i128)
    }
}

/// `value` in `unit` as a JSON number: times to the microsecond, ratios to 1/1000, sizes and
/// counts exactly; `null` when missing or not finite.
pub fn number(value: Option<f64>, unit: &str) -> String {
    match value {
        Some(v) if v.is_finite() => match unit {
            "ms" | "ratio" => format!("{v:.3}"),
            _ => format!("{}", v.round() as i64),
        },
        _ => "null".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped() {
        assert_eq!(string("a\"b\\c\n\u{1}é"), "\"a\\\"b\\\\c\\n\\u0001é\"");
    }

    #[test]
    fn integers_print_exactly() {
        assert_eq!(Value::from(u64::MAX).to_string(), "18446744073709551615");
        assert_eq!(Value::from(i64::MIN).to_string(), "-9223372036854775808");
        assert_eq!(Value::from(true).to_string(), "true");
        assert_eq!(Value::from("a").to_string(), "\"a\"");
    }

    #[test]
    fn numbers_follow_their_unit() {
        assert_eq!(number(Some(1.23456), "ms"), "1.235");
        assert_eq!(number(Some(12_345.6), "bytes"), "12346");
        assert_eq!(number(Some(1.0 / 3.0), "ratio"), "0.333");
        assert_eq!(number(None, "ms"), "null");
        assert_eq!(number(Some(f64::NAN), "ms"), "null");
    }
}
