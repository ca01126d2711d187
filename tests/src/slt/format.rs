//! Values printed as SQLite's runner prints them (`sqliteQuery` in slt_sqlite.c), by
//! the column's declared type letter, whatever the value's own type:
//!
//! - `NULL` is `NULL` under every letter;
//! - `I`: the value as an integer, as `sqlite3_column_int64` converts it: a float
//!   truncated toward zero (saturating), text read leading-number style (`"12abc"` is
//!   12, `"abc"` is 0), a boolean 1 or 0. SQLite's runner calls the 32-bit
//!   `sqlite3_column_int`; the corpus never holds an integer past 32 bits, and covet's
//!   integers are 64-bit, so the 64-bit conversion is the faithful one here;
//! - `R`: the value as a double, `%.3f`, ties rounded away from zero as SQLite's own
//!   printf does;
//! - `T`: the value's text (a float as SQLite's `%!.15g`), `(empty)` for an empty
//!   string, every byte outside printable ASCII (`' '..='~'`) as `@`.

use covet_engine::value::Value;

/// Formats `v` for a column of type letter `ty` (`I`, `R` or `T`).
pub fn format_value(v: &Value, ty: char) -> String {
    if v.is_null() {
        return "NULL".into();
    }
    match ty {
        'I' => to_i64(v).to_string(),
        'R' => format_real(to_f64(v)),
        _ => format_text(v),
    }
}

/// `sqlite3_column_int64`: the value as an integer.
fn to_i64(v: &Value) -> i64 {
    match v {
        Value::Int(i) => *i,
        Value::Bool(b) => i64::from(*b),
        // `as` truncates toward zero and saturates (NaN is 0), as sqlite3RealToI64.
        Value::Float(f) => *f as i64,
        Value::Decimal(d) => d
            .to_i64()
            .unwrap_or_else(|| leading_i64(d.to_string().as_bytes())),
        Value::Blob(b) => leading_i64(b),
        other => leading_i64(text_of(other).as_bytes()),
    }
}

/// `sqlite3_column_double`: the value as a double.
fn to_f64(v: &Value) -> f64 {
    match v {
        Value::Int(i) => *i as f64,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Float(f) => *f,
        Value::Decimal(d) => d.to_f64(),
        Value::Blob(b) => leading_f64(&String::from_utf8_lossy(b)),
        other => leading_f64(&text_of(other)),
    }
}

/// The text form before the printable-ASCII mapping.
fn text_of(v: &Value) -> String {
    match v {
        Value::Text(s) | Value::Json(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Bool(b) => u8::from(*b).to_string(),
        Value::Float(f) => format_g15(*f),
        Value::Blob(b) => String::from_utf8_lossy(b).into_owned(),
        other => other.to_string(),
    }
}

fn format_text(v: &Value) -> String {
    let bytes: Vec<u8> = match v {
        Value::Blob(b) => b.clone(),
        other => text_of(other).into_bytes(),
    };
    if bytes.is_empty() {
        return "(empty)".into();
    }
    bytes
        .iter()
        .map(|&b| {
            if (b' '..=b'~').contains(&b) {
                b as char
            } else {
                '@'
            }
        })
        .collect()
}

/// `sqlite3Atoi64`: leading spaces, a sign, digits; stops at the first other byte;
/// saturates past the 64-bit range.
fn leading_i64(bytes: &[u8]) -> i64 {
    let mut i = 0;
    while i < bytes.len() && bytes[i].is_ascii_whitespace() {
        i += 1;
    }
    let negative = match bytes.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let mut magnitude: u64 = 0;
    let mut overflow = false;
    while let Some(d) = bytes.get(i).filter(|b| b.is_ascii_digit()) {
        match magnitude
            .checked_mul(10)
            .and_then(|m| m.checked_add(u64::from(d - b'0')))
        {
            Some(m) => magnitude = m,
            None => overflow = true,
        }
        i += 1;
    }
    if negative {
        if overflow || magnitude > i64::MAX as u64 + 1 {
            i64::MIN
        } else {
            (magnitude as i128).wrapping_neg() as i64
        }
    } else if overflow || magnitude > i64::MAX as u64 {
        i64::MAX
    } else {
        magnitude as i64
    }
}

/// `sqlite3AtoF`-style: the longest leading prefix that reads as a number (0.0 if none).
fn leading_f64(s: &str) -> f64 {
    let s = s.trim_start();
    let b = s.as_bytes();
    let mut end = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        end = 1;
    }
    let digits = |mut i: usize| {
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    let int_end = digits(end);
    let mut good = if int_end > end { int_end } else { 0 };
    let mut i = int_end;
    if b.get(i) == Some(&b'.') {
        let frac_end = digits(i + 1);
        if frac_end > i + 1 || int_end > end {
            good = frac_end;
        }
        i = frac_end;
    }
    if good > 0 && matches!(b.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let exp_end = digits(j);
        if exp_end > j {
            good = exp_end;
        }
    }
    s[..good].parse().unwrap_or(0.0)
}

/// `%.3f` as SQLite's own printf renders it: at most 16 significant digits (zeros
/// after them: 2^63 is `9223372036854776000.000`), and ties (an exact half at the
/// fourth decimal) rounded away from zero, where Rust's formatter rounds them to even.
pub fn format_real(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Inf".into() } else { "-Inf".into() };
    }
    if f.abs() >= 1e13 {
        return format_real_16_digits(f);
    }
    // Below 1e13 the three decimals need at most 16 digits: a plain %.3f.
    // A tie is exactly k/1000 + 1/2000; as a binary fraction that is an odd multiple of
    // 1/16 (2000 = 16 * 125), whose decimal form has exactly four digits, the last a 5.
    let is_tie = (f * 16.0).fract() == 0.0 && format!("{f:.4}").ends_with('5');
    let f = if is_tie {
        if f > 0.0 {
            f.next_up()
        } else {
            f.next_down()
        }
    } else {
        f
    };
    format!("{f:.3}")
}

/// `%.3f` of a magnitude of 1e13 or more: its 16 significant digits, zeros past them.
fn format_real_16_digits(f: f64) -> String {
    let e = format!("{:.15e}", f.abs());
    let (mantissa, exp) = e.split_once('e').expect("exponent form has an e");
    let exp: usize = exp
        .parse()
        .expect("a magnitude of 1e13 or more has exponent >= 13");
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let mut all = digits.into_bytes();
    // exp + 1 integer digits, then three decimals.
    all.resize((exp + 1 + 3).max(all.len()), b'0');
    let int = std::str::from_utf8(&all[..exp + 1]).expect("digits");
    let frac = std::str::from_utf8(&all[exp + 1..exp + 4]).expect("digits");
    let sign = if f < 0.0 { "-" } else { "" };
    format!("{sign}{int}.{frac}")
}

/// SQLite's text of a REAL, `%!.15g`: 15 significant digits, trailing zeros dropped
/// but at least one digit after the point, exponent form below 1e-4 or from 1e15.
pub fn format_g15(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Inf".into() } else { "-Inf".into() };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    // 15 significant digits in exponent form tells the decimal exponent after rounding.
    let e = format!("{f:.14e}");
    let (mantissa, exp) = e.split_once('e').expect("exponent form has an e");
    let exp: i32 = exp.parse().expect("exponent is a number");
    if !(-4..15).contains(&exp) {
        let m = trim_fraction(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{m}e{sign}{:02}", exp.abs());
    }
    let decimals = (14 - exp).max(0) as usize;
    trim_fraction(&format!("{f:.decimals$}"))
}

/// Drops trailing zeros of a fraction, keeping at least `.0`.
fn trim_fraction(s: &str) -> String {
    match s.split_once('.') {
        None => format!("{s}.0"),
        Some((int, frac)) => {
            let frac = frac.trim_end_matches('0');
            if frac.is_empty() {
                format!("{int}.0")
            } else {
                format!("{int}.{frac}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use covet_engine::value::Decimal;

    #[test]
    fn null_is_null_under_every_letter() {
        for ty in ['I', 'R', 'T'] {
            assert_eq!(format_value(&Value::Null, ty), "NULL");
        }
    }

    #[test]
    fn integers() {
        assert_eq!(format_value(&Value::Int(-42), 'I'), "-42");
        assert_eq!(format_value(&Value::Float(2.9), 'I'), "2");
        assert_eq!(format_value(&Value::Float(-2.9), 'I'), "-2");
        assert_eq!(
            format_value(&Value::Float(1e300), 'I'),
            i64::MAX.to_string()
        );
        assert_eq!(format_value(&Value::Bool(true), 'I'), "1");
        assert_eq!(format_value(&Value::Text("12abc".into()), 'I'), "12");
        assert_eq!(format_value(&Value::Text("  -7.9".into()), 'I'), "-7");
        assert_eq!(format_value(&Value::Text("abc".into()), 'I'), "0");
        assert_eq!(
            format_value(&Value::Text("99999999999999999999".into()), 'I'),
            i64::MAX.to_string()
        );
        assert_eq!(
            format_value(&Value::Text("-9223372036854775808".into()), 'I'),
            i64::MIN.to_string()
        );
        let d: Decimal = "-12.75".parse().unwrap();
        assert_eq!(format_value(&Value::Decimal(d), 'I'), "-12");
    }

    #[test]
    fn reals() {
        assert_eq!(format_value(&Value::Int(3), 'R'), "3.000");
        assert_eq!(format_value(&Value::Float(1.0 / 3.0), 'R'), "0.333");
        assert_eq!(format_value(&Value::Float(-2.0 / 3.0), 'R'), "-0.667");
        // Exact ties go away from zero (Rust alone would print 0.062 and -2.562).
        assert_eq!(format_value(&Value::Float(0.0625), 'R'), "0.063");
        assert_eq!(format_value(&Value::Float(-2.5625), 'R'), "-2.563");
        // Near-ties are not ties: 1.0005 is stored just below the half, 0.0015 above.
        assert_eq!(format_real(1.0005), "1.000");
        assert_eq!(format_real(0.0015), "0.002");
        // SQLite's printf stops at 16 significant digits (slt_lang_aggfunc.test:484).
        assert_eq!(
            format_real(-9223372036854775808.0),
            "-9223372036854776000.000"
        );
        assert_eq!(
            format_real(-18446744073709551616.0),
            "-18446744073709550000.000"
        );
        assert_eq!(format_real(12345678901234.567), "12345678901234.570");
        assert_eq!(format_real(1e13), "10000000000000.000");
        assert_eq!(format_value(&Value::Text("4.5xyz".into()), 'R'), "4.500");
        assert_eq!(format_value(&Value::Text("x".into()), 'R'), "0.000");
        let d: Decimal = "12.3456".parse().unwrap();
        assert_eq!(format_value(&Value::Decimal(d), 'R'), "12.346");
    }

    #[test]
    fn texts() {
        assert_eq!(format_value(&Value::Text("".into()), 'T'), "(empty)");
        assert_eq!(format_value(&Value::Text("a\tb".into()), 'T'), "a@b");
        // é is two UTF-8 bytes, each outside printable ASCII.
        assert_eq!(format_value(&Value::Text("é!".into()), 'T'), "@@!");
        assert_eq!(format_value(&Value::Int(7), 'T'), "7");
        assert_eq!(format_value(&Value::Float(1.0), 'T'), "1.0");
        assert_eq!(format_value(&Value::Float(0.1), 'T'), "0.1");
        assert_eq!(format_value(&Value::Float(-123.456), 'T'), "-123.456");
        assert_eq!(format_value(&Value::Float(1e20), 'T'), "1.0e+20");
        assert_eq!(format_value(&Value::Float(1.5e-7), 'T'), "1.5e-07");
        assert_eq!(
            format_value(&Value::Float(2.0 / 3.0), 'T'),
            "0.666666666666667"
        );
        assert_eq!(format_value(&Value::Bool(false), 'T'), "0");
        assert_eq!(format_value(&Value::Blob(vec![b'h', 0, b'i']), 'T'), "h@i");
    }
}
