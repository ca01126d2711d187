//! JSON values: a parser, a printer in jsonb's style (`{"a": 1, "b": [1, 2]}`), and the
//! operators `->`, `->>`, `#>`, `#>>` over the text a `Value::Json` holds.
//!
//! Object keys keep their order (as `json` does); a repeated key is found by its last
//! occurrence, as `jsonb` keeps the last one. Numbers keep their text.

use covet_engine::value::Value;

use crate::error::{QueryError, Result, SqlState};

/// A parsed JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number, as written.
    Number(String),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object, keys in order.
    Object(Vec<(String, Json)>),
}

/// Nesting deeper than this is 54001 rather than a stack overflow.
const MAX_DEPTH: usize = 512;

/// Why text is not JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonError(pub &'static str);

/// Parses JSON text.
pub fn parse(text: &str) -> Result<Json, JsonError> {
    let mut p = Parser {
        b: text.as_bytes(),
        i: 0,
    };
    p.ws();
    let v = p.value(0)?;
    p.ws();
    if p.i != p.b.len() {
        return Err(JsonError("trailing characters"));
    }
    Ok(v)
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn eat(&mut self, word: &[u8]) -> bool {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, JsonError> {
        if depth > MAX_DEPTH {
            return Err(JsonError("nested too deep"));
        }
        match self.b.get(self.i) {
            None => Err(JsonError("unexpected end")),
            Some(b'{') => {
                self.i += 1;
                let mut fields = Vec::new();
                self.ws();
                if self.eat(b"}") {
                    return Ok(Json::Object(fields));
                }
                loop {
                    self.ws();
                    if self.b.get(self.i) != Some(&b'"') {
                        return Err(JsonError("expected a key"));
                    }
                    let key = self.string()?;
                    self.ws();
                    if !self.eat(b":") {
                        return Err(JsonError("expected ':'"));
                    }
                    self.ws();
                    let v = self.value(depth + 1)?;
                    fields.push((key, v));
                    self.ws();
                    if self.eat(b",") {
                        continue;
                    }
                    if self.eat(b"}") {
                        return Ok(Json::Object(fields));
                    }
                    return Err(JsonError("expected ',' or '}'"));
                }
            }
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.eat(b"]") {
                    return Ok(Json::Array(items));
                }
                loop {
                    self.ws();
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    if self.eat(b",") {
                        continue;
                    }
                    if self.eat(b"]") {
                        return Ok(Json::Array(items));
                    }
                    return Err(JsonError("expected ',' or ']'"));
                }
            }
            Some(b'"') => self.string().map(Json::String),
            Some(b't') if self.eat(b"true") => Ok(Json::Bool(true)),
            Some(b'f') if self.eat(b"false") => Ok(Json::Bool(false)),
            Some(b'n') if self.eat(b"null") => Ok(Json::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(JsonError("unexpected character")),
        }
    }

    fn number(&mut self) -> Result<Json, JsonError> {
        let start = self.i;
        let digits = |p: &mut Parser| {
            let s = p.i;
            while p.i < p.b.len() && p.b[p.i].is_ascii_digit() {
                p.i += 1;
            }
            p.i - s
        };
        self.eat(b"-");
        let int_start = self.i;
        let n = digits(self);
        if n == 0 || (n > 1 && self.b[int_start] == b'0') {
            return Err(JsonError("bad number"));
        }
        if self.eat(b".") && digits(self) == 0 {
            return Err(JsonError("bad number"));
        }
        if self.eat(b"e") || self.eat(b"E") {
            if !self.eat(b"+") {
                self.eat(b"-");
            }
            if digits(self) == 0 {
                return Err(JsonError("bad number"));
            }
        }
        let text =
            std::str::from_utf8(&self.b[start..self.i]).map_err(|_| JsonError("bad number"))?;
        Ok(Json::Number(text.to_owned()))
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let h = self
            .b
            .get(self.i..self.i + 4)
            .ok_or(JsonError("bad escape"))?;
        let s = std::str::from_utf8(h).map_err(|_| JsonError("bad escape"))?;
        let v = u32::from_str_radix(s, 16).map_err(|_| JsonError("bad escape"))?;
        self.i += 4;
        Ok(v)
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.i += 1; // the opening quote
        let mut out = String::new();
        loop {
            let start = self.i;
            while self.i < self.b.len()
                && !matches!(self.b[self.i], b'"' | b'\\')
                && self.b[self.i] >= 0x20
            {
                self.i += 1;
            }
            out.push_str(
                std::str::from_utf8(&self.b[start..self.i]).map_err(|_| JsonError("bad UTF-8"))?,
            );
            match self.b.get(self.i) {
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.i += 1;
                    let c = *self.b.get(self.i).ok_or(JsonError("bad escape"))?;
                    self.i += 1;
                    match c {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                if !self.eat(b"\\u") {
                                    return Err(JsonError("lone surrogate"));
                                }
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(JsonError("lone surrogate"));
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            out.push(char::from_u32(code).ok_or(JsonError("bad escape"))?);
                        }
                        _ => return Err(JsonError("bad escape")),
                    }
                }
                _ => return Err(JsonError("unterminated string")),
            }
        }
    }
}

/// Appends `s` as a JSON string literal.
pub fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

impl Json {
    /// The text in jsonb's output style.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        self.write(&mut s);
        s
    }

    fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Number(n) => out.push_str(n),
            Json::String(s) => write_string(out, s),
            Json::Array(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    v.write(out);
                }
                out.push(']');
            }
            Json::Object(fields) => {
                out.push('{');
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write_string(out, k);
                    out.push_str(": ");
                    v.write(out);
                }
                out.push('}');
            }
        }
    }

    /// `->>`'s text of a value: strings unquoted, `null` as SQL NULL, others as JSON.
    pub fn as_text(&self) -> Option<String> {
        match self {
            Json::Null => None,
            Json::String(s) => Some(s.clone()),
            other => Some(other.to_text()),
        }
    }

    /// The field `key` of an object (the last one of that name).
    pub fn field(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(fields) => fields.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Element `i` of an array; a negative `i` counts from the end.
    pub fn element(&self, i: i64) -> Option<&Json> {
        match self {
            Json::Array(items) => {
                let idx = if i < 0 { items.len() as i64 + i } else { i };
                usize::try_from(idx).ok().and_then(|u| items.get(u))
            }
            _ => None,
        }
    }

    /// Follows a path of keys (array steps are keys that read as integers).
    pub fn path<'a>(&'a self, steps: &[String]) -> Option<&'a Json> {
        let mut cur = self;
        for step in steps {
            cur = match cur {
                Json::Array(_) => cur.element(step.trim().parse().ok()?)?,
                _ => cur.field(step)?,
            };
        }
        Some(cur)
    }

    /// `json_typeof`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "boolean",
            Json::Number(_) => "number",
            Json::String(_) => "string",
            Json::Array(_) => "array",
            Json::Object(_) => "object",
        }
    }

    /// The JSON for a SQL value (`to_json`): numbers and booleans as themselves, JSON
    /// as itself, everything else as its text in a string.
    pub fn from_value(v: &Value) -> Json {
        match v {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Int(i) => Json::Number(i.to_string()),
            Value::Float(f) if f.is_finite() => Json::Number(super::format_float(*f)),
            Value::Decimal(d) => Json::Number(d.to_string()),
            Value::Json(s) => parse(s).unwrap_or_else(|_| Json::String(s.clone())),
            other => Json::String(super::to_text(other).unwrap_or_default()),
        }
    }
}

/// The parsed JSON of a `Value::Json` (22P02 if it holds text that is not JSON).
pub fn of_value(s: &str) -> Result<Json> {
    parse(s).map_err(|_| super::invalid_text("json", s))
}

/// A text array literal `{a,b,"c d"}` as path steps (for `#>`).
pub fn parse_path(text: &str) -> Result<Vec<String>> {
    let bad = || {
        QueryError::new(
            SqlState::INVALID_TEXT_REPRESENTATION,
            format!("malformed array literal: \"{text}\""),
        )
    };
    let t = text.trim();
    let inner = t
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .ok_or_else(bad)?;
    if inner.trim().is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '\\' => cur.push(chars.next().ok_or_else(bad)?),
            ',' if !quoted => out.push(std::mem::take(&mut cur).trim().to_owned()),
            c => cur.push(c),
        }
    }
    if quoted {
        return Err(bad());
    }
    out.push(cur.trim().to_owned());
    Ok(out)
}

/// `json -> key` (text key) or `json -> n` (integer index), as JSON; NULL when absent.
pub fn get(json: &str, key: &Value, as_text: bool) -> Result<Value> {
    let j = of_value(json)?;
    let found = match key {
        Value::Null => return Ok(Value::Null),
        Value::Int(i) => j.element(*i),
        Value::Text(k) => j.field(k),
        other => {
            return Err(super::no_operator(
                if as_text { "->>" } else { "->" },
                "json",
                other.type_name(),
            ))
        }
    };
    Ok(wrap(found, as_text))
}

/// `json #> '{a,b}'` / `#>>`.
pub fn get_path(json: &str, path: &str, as_text: bool) -> Result<Value> {
    let j = of_value(json)?;
    let steps = parse_path(path)?;
    Ok(wrap(j.path(&steps), as_text))
}

fn wrap(found: Option<&Json>, as_text: bool) -> Value {
    match found {
        None => Value::Null,
        Some(v) if as_text => v.as_text().map_or(Value::Null, Value::Text),
        Some(v) => Value::Json(v.to_text()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let j = parse(r#" {"a":1,"b":[true,null,"x\n\u00e9"],"c":{"d":-1.5e3}} "#).unwrap();
        assert_eq!(
            j.to_text(),
            r#"{"a": 1, "b": [true, null, "x\né"], "c": {"d": -1.5e3}}"#
        );
        for bad in [
            "",
            "{",
            "{a:1}",
            "[1,]",
            "01",
            "1.",
            "\"\\q\"",
            "nul",
            "[1] x",
            "\"\\ud800\"",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse(&"[".repeat(1000)).unwrap_err(),
            JsonError("nested too deep")
        );
    }

    #[test]
    fn operators() {
        let doc = r#"{"a": {"b": [10, 20, "x"]}, "s": "str", "n": null}"#;
        assert_eq!(
            get(doc, &Value::Text("a".into()), false).unwrap(),
            Value::Json(r#"{"b": [10, 20, "x"]}"#.into())
        );
        assert_eq!(
            get(doc, &Value::Text("s".into()), true).unwrap(),
            Value::Text("str".into())
        );
        assert_eq!(
            get(doc, &Value::Text("s".into()), false).unwrap(),
            Value::Json("\"str\"".into())
        );
        assert_eq!(
            get(doc, &Value::Text("n".into()), true).unwrap(),
            Value::Null
        );
        assert_eq!(
            get(doc, &Value::Text("zz".into()), false).unwrap(),
            Value::Null
        );
        assert_eq!(
            get("[1, 2, 3]", &Value::Int(-1), false).unwrap(),
            Value::Json("3".into())
        );
        assert_eq!(
            get("[1, 2, 3]", &Value::Int(5), false).unwrap(),
            Value::Null
        );
        assert_eq!(
            get_path(doc, "{a,b,1}", false).unwrap(),
            Value::Json("20".into())
        );
        assert_eq!(
            get_path(doc, "{a,b,2}", true).unwrap(),
            Value::Text("x".into())
        );
        assert_eq!(get_path(doc, "{a,zz}", true).unwrap(), Value::Null);
        assert!(get_path(doc, "a,b", true).is_err());
        assert_eq!(
            parse_path("{\"a b\",c}").unwrap(),
            vec!["a b".to_string(), "c".to_string()]
        );
    }
}
