//! The PostgreSQL text form of values (what `CAST(x AS text)` and `||` produce), and
//! the text parsers of the types the engine does not parse itself (uuid, bytea).

use covet_engine::value::Value;

use super::invalid_text;
use crate::error::Result;

/// A float as PostgreSQL prints a `double precision` (shortest digits that read back;
/// exponent form below 1e-4 and from 1e15 up: `1e+20`, `1e-05`).
pub fn format_float(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let sci = format!("{x:e}"); // shortest round-trip digits, e.g. "1.2345e-7"
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..15).contains(&exp) {
        format!("{x}")
    } else {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.unsigned_abs())
    }
}

/// The text of a value as PostgreSQL outputs it; `None` for NULL.
pub fn to_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::Float(f) => Some(format_float(*f)),
        Value::Text(s) | Value::Json(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// The text of a value as its type's *output function* gives it, which is what
/// `||`, `concat`, `format` and `string_agg` use: as [`to_text`], except that a
/// boolean is `t` or `f` (`'x' || true` is `xt`, while `true::text` is `true`).
pub fn output_text(v: &Value) -> Option<String> {
    match v {
        Value::Bool(b) => Some(if *b { "t" } else { "f" }.to_owned()),
        other => to_text(other),
    }
}

/// Parses a UUID: 32 hex digits, optionally hyphenated in any groups of four and
/// optionally in braces, as PostgreSQL accepts.
pub fn parse_uuid(text: &str) -> Result<[u8; 16]> {
    let bad = || invalid_text("uuid", text);
    let t = text.trim();
    let t = t
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .unwrap_or(t);
    let mut out = [0u8; 16];
    let mut digits = 0usize; // hex digits read
    let mut last_dash = true; // no hyphen may lead
    for c in t.chars() {
        if c == '-' {
            // A hyphen may follow any group of four digits, never lead or double.
            if last_dash || !digits.is_multiple_of(4) {
                return Err(bad());
            }
            last_dash = true;
            continue;
        }
        let d = c.to_digit(16).ok_or_else(bad)? as u8;
        if digits == 32 {
            return Err(bad());
        }
        out[digits / 2] |= if digits.is_multiple_of(2) { d << 4 } else { d };
        digits += 1;
        last_dash = false;
    }
    if digits != 32 || last_dash {
        return Err(bad());
    }
    Ok(out)
}

/// Parses bytea input: `\x` followed by hex pairs, or the escape format (`\\` is a
/// backslash, `\nnn` an octal byte, other bytes as themselves).
pub fn parse_bytea(text: &str) -> Result<Vec<u8>> {
    let bad = || invalid_text("bytea", text);
    if let Some(hex) = text
        .strip_prefix("\\x")
        .or_else(|| text.strip_prefix("\\X"))
    {
        let digits: Vec<u8> = hex
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_digit(16).map(|d| d as u8).ok_or_else(bad))
            .collect::<Result<_>>()?;
        if !digits.len().is_multiple_of(2) {
            return Err(bad());
        }
        return Ok(digits.chunks(2).map(|p| p[0] << 4 | p[1]).collect());
    }
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
        } else if b.get(i + 1) == Some(&b'\\') {
            out.push(b'\\');
            i += 2;
        } else if i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
            && b[i + 1] <= b'3'
        {
            out.push((b[i + 1] - b'0') << 6 | (b[i + 2] - b'0') << 3 | (b[i + 3] - b'0'));
            i += 4;
        } else {
            return Err(bad());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_postgres() {
        assert_eq!(format_float(1.5), "1.5");
        assert_eq!(format_float(1e20), "1e+20");
        assert_eq!(format_float(1e-5), "1e-05");
        assert_eq!(format_float(0.0001), "0.0001");
        assert_eq!(format_float(123456789012345.0), "123456789012345");
        assert_eq!(format_float(1234567890123456.0), "1.234567890123456e+15");
        assert_eq!(format_float(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(format_float(-2.0), "-2");
        assert_eq!(format_float(f64::NAN), "NaN");
        assert_eq!(format_float(f64::NEG_INFINITY), "-Infinity");
    }

    #[test]
    fn parses_uuids() {
        let u = parse_uuid("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11").unwrap();
        assert_eq!(u[0], 0xa0);
        assert_eq!(u[15], 0x11);
        assert_eq!(parse_uuid("{A0EEBC999C0B4EF8BB6D6BB9BD380A11}").unwrap(), u);
        for bad in [
            "",
            "a0ee",
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1",
            "-a0eebc999c0b4ef8bb6d6bb9bd380a11",
            "g0eebc999c0b4ef8bb6d6bb9bd380a11",
            "é0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
            "a0eebc99--9c0b4ef8bb6d6bb9bd380a11",
            "a0eebc999c0b4ef8bb6d6bb9bd380a11-",
        ] {
            assert!(parse_uuid(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parses_bytea() {
        assert_eq!(parse_bytea("\\x00ff10").unwrap(), vec![0, 255, 16]);
        assert_eq!(
            parse_bytea("ab\\\\c\\001").unwrap(),
            vec![b'a', b'b', b'\\', b'c', 1]
        );
        assert!(parse_bytea("\\x0").is_err());
        assert!(parse_bytea("\\q").is_err());
    }
}
