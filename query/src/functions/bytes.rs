//! `encode(bytea, format)` and `decode(text, format)` for the formats `hex`, `base64`
//! and `escape`, as PostgreSQL writes them.

use covet_engine::value::Value;

use super::registry::text_arg;
use crate::error::{QueryError, Result, SqlState};
use crate::expr::EvalContext;
use crate::ops::invalid_text;

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn bad_format(f: &str) -> QueryError {
    QueryError::new(
        SqlState::INVALID_PARAMETER_VALUE,
        format!("unrecognized encoding: \"{f}\""),
    )
}

fn blob_arg(v: &Value) -> Result<&[u8]> {
    match v {
        Value::Blob(b) => Ok(b),
        other => Err(QueryError::internal(format!(
            "expected a bytea argument, got {}",
            other.type_name()
        ))),
    }
}

/// `encode(bytes, 'hex' | 'base64' | 'escape')`.
pub(super) fn encode(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    let b = blob_arg(&a[0])?;
    let f = text_arg(&a[1])?.to_ascii_lowercase();
    let out = match f.as_str() {
        "hex" => b.iter().map(|x| format!("{x:02x}")).collect(),
        "base64" => {
            let mut s = String::new();
            for chunk in b.chunks(3) {
                let n = chunk.iter().fold(0u32, |acc, &x| acc << 8 | u32::from(x))
                    << (8 * (3 - chunk.len()));
                for i in 0..4 {
                    if i <= chunk.len() {
                        s.push(BASE64[(n >> (18 - 6 * i) & 63) as usize] as char);
                    } else {
                        s.push('=');
                    }
                }
            }
            s
        }
        "escape" => {
            let mut s = String::new();
            for &x in b {
                match x {
                    b'\\' => s.push_str("\\\\"),
                    0 | 0x80..=0xff => s.push_str(&format!("\\{x:03o}")),
                    _ => s.push(x as char),
                }
            }
            s
        }
        _ => return Err(bad_format(&f)),
    };
    Ok(Value::Text(out))
}

/// `decode(text, 'hex' | 'base64' | 'escape')`.
pub(super) fn decode(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    let t = text_arg(&a[0])?;
    let f = text_arg(&a[1])?.to_ascii_lowercase();
    let out = match f.as_str() {
        "hex" => crate::ops::text::parse_bytea(&format!("\\x{t}"))?,
        "escape" => crate::ops::text::parse_bytea(t)?,
        "base64" => {
            let mut out = Vec::new();
            let (mut acc, mut bits) = (0u32, 0u32);
            let body = t.trim_end_matches('=');
            for c in body.chars().filter(|c| !c.is_whitespace()) {
                let v = BASE64
                    .iter()
                    .position(|&b| b as char == c)
                    .ok_or_else(|| invalid_text("base64", t))? as u32;
                acc = acc << 6 | v;
                bits += 6;
                if bits >= 8 {
                    bits -= 8;
                    out.push((acc >> bits) as u8);
                    acc &= (1 << bits) - 1;
                }
            }
            out
        }
        _ => return Err(bad_format(&f)),
    };
    Ok(Value::Blob(out))
}
