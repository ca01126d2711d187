//! String functions, with PostgreSQL's semantics (positions count characters from 1).

use covet_engine::value::Value;

use super::registry::{func, int_arg, lenient, signature, text_arg, Resolved};
use crate::error::{QueryError, Result, SqlState};
use crate::expr::EvalContext;
use crate::ops::output_text as to_text;
use crate::types::DataType::{self, *};

/// The string function `name(args)`, if `name` is one.
pub(super) fn resolve(name: &str, args: &[DataType]) -> Option<Result<Resolved>> {
    let sig = |params: &[DataType]| signature(args, params);
    let one = |n: &'static str, ret: DataType, params: &[DataType], f: super::registry::EvalFn| {
        sig(params).map(|p| (func(n, ret, f), p))
    };
    let found: Option<Resolved> = match name {
        "length" | "char_length" | "character_length" | "len" => {
            one("length", Int, &[Text], length)
                .or_else(|| one("length", Int, &[Blob], octet_length))
        }
        "octet_length" => one("octet_length", Int, &[Text], octet_length)
            .or_else(|| one("octet_length", Int, &[Blob], octet_length)),
        "lower" => one("lower", Text, &[Text], |a, _| {
            Ok(Value::Text(text_arg(&a[0])?.to_lowercase()))
        }),
        "upper" => one("upper", Text, &[Text], |a, _| {
            Ok(Value::Text(text_arg(&a[0])?.to_uppercase()))
        }),
        "initcap" => one("initcap", Text, &[Text], initcap),
        "reverse" => one("reverse", Text, &[Text], |a, _| {
            Ok(Value::Text(text_arg(&a[0])?.chars().rev().collect()))
        }),
        "substr" | "substring" => one("substr", Text, &[Text, Int], substr)
            .or_else(|| one("substr", Text, &[Text, Int, Int], substr)),
        "btrim" | "trim" => one("btrim", Text, &[Text], trim_both)
            .or_else(|| one("btrim", Text, &[Text, Text], trim_both)),
        "ltrim" => one("ltrim", Text, &[Text], trim_left)
            .or_else(|| one("ltrim", Text, &[Text, Text], trim_left)),
        "rtrim" => one("rtrim", Text, &[Text], trim_right)
            .or_else(|| one("rtrim", Text, &[Text, Text], trim_right)),
        "replace" => one("replace", Text, &[Text, Text, Text], replace),
        "overlay" => one("overlay", Text, &[Text, Text, Int], overlay)
            .or_else(|| one("overlay", Text, &[Text, Text, Int, Int], overlay)),
        "strpos" | "instr" => one("strpos", Int, &[Text, Text], strpos),
        "concat" => Some((lenient(func("concat", Text, concat)), args.to_vec())),
        "concat_ws" if !args.is_empty() => {
            let mut p = args.to_vec();
            p[0] = Text;
            (args[0] == Text || args[0] == Unknown)
                .then(|| (lenient(func("concat_ws", Text, concat_ws)), p))
        }
        "format" | "printf" if !args.is_empty() => {
            let mut p = args.to_vec();
            p[0] = Text;
            (args[0] == Text || args[0] == Unknown)
                .then(|| (lenient(func("format", Text, format)), p))
        }
        "lpad" => one("lpad", Text, &[Text, Int], lpad)
            .or_else(|| one("lpad", Text, &[Text, Int, Text], lpad)),
        "rpad" => one("rpad", Text, &[Text, Int], rpad)
            .or_else(|| one("rpad", Text, &[Text, Int, Text], rpad)),
        "repeat" => one("repeat", Text, &[Text, Int], repeat),
        "split_part" => one("split_part", Text, &[Text, Text, Int], split_part),
        "left" => one("left", Text, &[Text, Int], left),
        "right" => one("right", Text, &[Text, Int], right),
        "ascii" => one("ascii", Int, &[Text], |a, _| {
            Ok(Value::Int(
                text_arg(&a[0])?.chars().next().map_or(0, |c| c as i64),
            ))
        }),
        "chr" | "char" => one("chr", Text, &[Int], chr),
        "md5" => one("md5", Text, &[Text], |a, _| {
            Ok(Value::Text(super::md5::md5_hex(
                text_arg(&a[0])?.as_bytes(),
            )))
        }),
        "starts_with" => one("starts_with", Bool, &[Text, Text], |a, _| {
            Ok(Value::Bool(text_arg(&a[0])?.starts_with(text_arg(&a[1])?)))
        }),
        "translate" => one("translate", Text, &[Text, Text, Text], translate),
        "bit_length" => one("bit_length", Int, &[Text], |a, _| {
            Ok(Value::Int(text_arg(&a[0])?.len() as i64 * 8))
        }),
        "quote_ident" => one("quote_ident", Text, &[Text], |a, _| {
            Ok(Value::Text(quote_ident(text_arg(&a[0])?)))
        }),
        "quote_literal" => one("quote_literal", Text, &[Text], |a, _| {
            Ok(Value::Text(quote_literal(text_arg(&a[0])?)))
        }),
        "quote_nullable" => sig(&[Text]).map(|p| {
            let f = lenient(func("quote_nullable", Text, |a, _| {
                Ok(Value::Text(match to_text(&a[0]) {
                    None => "NULL".to_owned(),
                    Some(t) => quote_literal(&t),
                }))
            }));
            (f, p)
        }),
        "encode" => one("encode", Text, &[Blob, Text], super::bytes::encode),
        "decode" => one("decode", Blob, &[Text, Text], super::bytes::decode),
        "to_hex" => one("to_hex", Text, &[Int], |a, _| {
            Ok(Value::Text(format!("{:x}", int_arg(&a[0])?)))
        }),
        _ => return None,
    };
    Some(found.ok_or_else(|| super::registry::no_function(name, args)))
}

/// `22011 substring_error` (not among the shared constants).
const SUBSTRING_ERROR: SqlState = SqlState(*b"22011");

fn length(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    Ok(Value::Int(text_arg(&a[0])?.chars().count() as i64))
}

fn octet_length(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    Ok(Value::Int(match &a[0] {
        Value::Blob(b) => b.len() as i64,
        v => text_arg(v)?.len() as i64,
    }))
}

fn initcap(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    let mut out = String::new();
    let mut start = true;
    for c in text_arg(&a[0])?.chars() {
        if c.is_alphanumeric() {
            if start {
                out.extend(c.to_uppercase());
            } else {
                out.extend(c.to_lowercase());
            }
            start = false;
        } else {
            out.push(c);
            start = true;
        }
    }
    Ok(Value::Text(out))
}

/// PostgreSQL's `substr(s, start [, count])`: characters `start .. start+count` of the
/// 1-based string, the range clipped to it (a start below 1 eats into the count).
fn substr(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    let s = text_arg(&a[0])?;
    let start = int_arg(&a[1])?;
    let end = match a.get(2) {
        None => i64::MAX,
        Some(c) => {
            let count = int_arg(c)?;
            if count < 0 {
                return Err(QueryError::new(
                    SUBSTRING_ERROR,
                    "negative substring length not allowed",
                ));
            }
            start.saturating_add(count)
        }
    };
    let from = start.max(1);
    if end <= from {
        return Ok(Value::Text(String::new()));
    }
    let out: String = s
        .chars()
        .skip((from - 1) as usize)
        .take(usize::try_from(end - from).unwrap_or(usize::MAX))
        .collect();
    Ok(Value::Text(out))
}

fn trim_set(a: &[Value]) -> Result<Vec<char>> {
    Ok(match a.get(1) {
        Some(v) => text_arg(v)?.chars().collect(),
        None => vec![' '],
    })
}

fn trim_both(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    let set = trim_set(a)?;
    Ok(Value::Text(
        text_arg(&a[0])?
            .trim_matches(|c| set.contains(&c))
            .to_owned(),
    ))
}

fn trim_left(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    let set = trim_set(a)?;
    Ok(Value::Text(
        text_arg(&a[0])?
            .trim_start_matches(|c| set.contains(&c))
            .to_owned(),
    ))
}

fn trim_right(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    let set = trim_set(a)?;
    Ok(Value::Text(
        text_arg(&a[0])?
            .trim_end_matches(|c| set.contains(&c))
            .to_owned(),
    ))
}

fn replace(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    let (s, from, to) = (text_arg(&a[0])?, text_arg(&a[1])?, text_arg(&a[2])?);
    if from.is_empty() {
        return Ok(Value::Text(s.to_owned()));
    }
    Ok(Value::Text(s.replace(from, to)))
}

/// `overlay(s placing r from start [for count])`: `s` with `count` characters from
/// `start` replaced by `r` (`count` defaults to the length of `r`).
fn overlay(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    let s: Vec<char> = text_arg(&a[0])?.chars().collect();
    let r = text_arg(&a[1])?;
    let start = int_arg(&a[2])?;
    let count = match a.get(3) {
        Some(c) => int_arg(c)?,
        None => r.chars().count() as i64,
    };
    if start < 1 || count < 0 {
        return Err(QueryError::new(
            SUBSTRING_ERROR,
            "negative substring length not allowed",
        ));
    }
    let head = usize::try_from(start - 1)
        .unwrap_or(usize::MAX)
        .min(s.len());
    let tail = usize::try_from(start.saturating_sub(1).saturating_add(count))
        .unwrap_or(usize::MAX)
        .min(s.len());
    let mut out: String = s[..head].iter().collect();
    out.push_str(r);
    out.extend(&s[tail..]);
    Ok(Value::Text(out))
}

/// `translate(s, from, to)`: each character of `from` in `s` becomes the character at
/// the same place in `to`, or is dropped when `to` is shorter.
fn translate(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    let (s, from, to) = (text_arg(&a[0])?, text_arg(&a[1])?, text_arg(&a[2])?);
    let from: Vec<char> = from.chars().collect();
    let to: Vec<char> = to.chars().collect();
    let out = s
        .chars()
        .filter_map(|c| match from.iter().position(|f| *f == c) {
            Some(i) => to.get(i).copied(),
            None => Some(c),
        })
        .collect();
    Ok(Value::Text(out))
}

fn strpos(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    let (s, sub) = (text_arg(&a[0])?, text_arg(&a[1])?);
    Ok(Value::Int(match s.find(sub) {
        Some(byte) => s[..byte].chars().count() as i64 + 1,
        None => 0,
    }))
}

fn concat(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    Ok(Value::Text(a.iter().filter_map(to_text).collect()))
}

fn concat_ws(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    let sep = match &a[0] {
        Value::Null => return Ok(Value::Null),
        v => text_arg(v)?,
    };
    let parts: Vec<String> = a[1..].iter().filter_map(to_text).collect();
    Ok(Value::Text(parts.join(sep)))
}

/// PostgreSQL's `format`: `%s` (text, NULL as empty), `%I` (identifier, quoted when
/// needed), `%L` (literal, NULL as `NULL`), `%%`; `%n$s` picks an argument.
fn format(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    let fmt = match &a[0] {
        Value::Null => return Ok(Value::Null),
        v => text_arg(v)?,
    };
    let bad = |m: &str| QueryError::new(SqlState::INVALID_PARAMETER_VALUE, m.to_owned());
    let mut out = String::new();
    let mut next = 1usize;
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = chars
            .next()
            .ok_or_else(|| bad("unterminated format() type specifier"))?;
        if spec == '%' {
            out.push('%');
            continue;
        }
        if spec.is_ascii_digit() {
            let mut n = spec.to_digit(10).unwrap_or(0) as usize;
            loop {
                match chars.next() {
                    Some(d) if d.is_ascii_digit() => {
                        n = n
                            .saturating_mul(10)
                            .saturating_add(d.to_digit(10).unwrap_or(0) as usize)
                    }
                    Some('$') => break,
                    _ => return Err(bad("unterminated format() type specifier")),
                }
            }
            if n == 0 {
                return Err(bad(
                    "format specifies argument 0, but arguments are numbered from 1",
                ));
            }
            next = n;
            spec = chars
                .next()
                .ok_or_else(|| bad("unterminated format() type specifier"))?;
        }
        let arg = a
            .get(next)
            .ok_or_else(|| bad("too few arguments for format()"))?;
        next += 1;
        match spec {
            's' => out.push_str(&to_text(arg).unwrap_or_default()),
            'I' => {
                let t = to_text(arg).ok_or_else(|| {
                    QueryError::new(
                        SqlState::NULL_VALUE_NOT_ALLOWED,
                        "null values cannot be formatted as an SQL identifier",
                    )
                })?;
                out.push_str(&quote_ident(&t));
            }
            'L' => match to_text(arg) {
                None => out.push_str("NULL"),
                Some(t) => out.push_str(&quote_literal(&t)),
            },
            other => {
                return Err(bad(&format!(
                    "unrecognized format() type specifier \"{other}\""
                )))
            }
        }
    }
    Ok(Value::Text(out))
}

fn quote_ident(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        s.to_owned()
    } else {
        format!("\"{}\"", s.replace('"', "\"\""))
    }
}

fn quote_literal(s: &str) -> String {
    if s.contains('\\') {
        format!("E'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

fn pad(a: &[Value], left_side: bool) -> Result<Value> {
    let s = text_arg(&a[0])?;
    let len = int_arg(&a[1])?.max(0) as usize;
    let fill: Vec<char> = match a.get(2) {
        Some(v) => text_arg(v)?.chars().collect(),
        None => vec![' '],
    };
    if len > MAX_STRING_CHARS {
        return Err(QueryError::new(
            SqlState::PROGRAM_LIMIT_EXCEEDED,
            "requested length too large",
        ));
    }
    let chars: Vec<char> = s.chars().collect();
    if chars.len() >= len {
        return Ok(Value::Text(chars[..len].iter().collect()));
    }
    if fill.is_empty() {
        return Ok(Value::Text(s.to_owned()));
    }
    let padding: String = fill.iter().cycle().take(len - chars.len()).collect();
    Ok(Value::Text(if left_side {
        format!("{padding}{s}")
    } else {
        format!("{s}{padding}")
    }))
}

fn lpad(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    pad(a, true)
}

fn rpad(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    pad(a, false)
}

/// More characters than this from one `repeat`/`lpad` is 54000 rather than an
/// allocation that takes the process down.
const MAX_STRING_CHARS: usize = 256 << 20;

fn repeat(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    let s = text_arg(&a[0])?;
    let n = int_arg(&a[1])?.max(0) as usize;
    if s.len().saturating_mul(n) > MAX_STRING_CHARS {
        return Err(QueryError::new(
            SqlState::PROGRAM_LIMIT_EXCEEDED,
            "requested length too large",
        ));
    }
    Ok(Value::Text(s.repeat(n)))
}

fn split_part(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    let (s, delim, n) = (text_arg(&a[0])?, text_arg(&a[1])?, int_arg(&a[2])?);
    if n == 0 {
        return Err(QueryError::new(
            SqlState::INVALID_PARAMETER_VALUE,
            "field position must not be zero",
        ));
    }
    let parts: Vec<&str> = if delim.is_empty() {
        vec![s]
    } else {
        s.split(delim).collect()
    };
    let idx = if n > 0 { n - 1 } else { parts.len() as i64 + n };
    Ok(Value::Text(
        usize::try_from(idx)
            .ok()
            .and_then(|i| parts.get(i))
            .copied()
            .unwrap_or("")
            .to_owned(),
    ))
}

fn left(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    let s: Vec<char> = text_arg(&a[0])?.chars().collect();
    let n = int_arg(&a[1])?;
    let take = if n >= 0 {
        (n as usize).min(s.len())
    } else {
        s.len().saturating_sub(n.unsigned_abs() as usize)
    };
    Ok(Value::Text(s[..take].iter().collect()))
}

fn right(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    let s: Vec<char> = text_arg(&a[0])?.chars().collect();
    let n = int_arg(&a[1])?;
    let take = if n >= 0 {
        (n as usize).min(s.len())
    } else {
        s.len().saturating_sub(n.unsigned_abs() as usize)
    };
    Ok(Value::Text(s[s.len() - take..].iter().collect()))
}

fn chr(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    let n = int_arg(&a[0])?;
    if n == 0 {
        return Err(QueryError::new(
            SqlState::PROGRAM_LIMIT_EXCEEDED,
            "null character not permitted",
        ));
    }
    if n < 0 {
        return Err(QueryError::new(
            SqlState::INVALID_PARAMETER_VALUE,
            "character number must be positive",
        ));
    }
    let c = u32::try_from(n)
        .ok()
        .and_then(char::from_u32)
        .ok_or_else(|| {
            QueryError::new(
                SqlState::PROGRAM_LIMIT_EXCEEDED,
                "requested character too large for encoding",
            )
        })?;
    Ok(Value::Text(c.to_string()))
}
