//! JSON functions: `json_build_object`/`jsonb_build_object`, `json_build_array`,
//! `json_array_length`, `json_typeof`, `to_json`, and SQLite's `json_extract` (a path
//! `$.a.b[0]`, giving text: see COMPAT.md).

use covet_engine::value::Value;

use super::registry::{func, lenient, no_function, text_arg, Resolved};
use crate::error::{QueryError, Result, SqlState};
use crate::expr::EvalContext;
use crate::ops::json::{of_value, write_string, Json};
use crate::types::DataType::{self, *};

/// The JSON function `name(args)`, if `name` is one.
pub(super) fn resolve(name: &str, args: &[DataType]) -> Option<Result<Resolved>> {
    let json_arg = |t: DataType| matches!(t, Json | Unknown);
    let found: Option<Resolved> = match name {
        "json_build_object" | "jsonb_build_object" => Some((
            lenient(func("json_build_object", Json, build_object)),
            args.to_vec(),
        )),
        "json_build_array" | "jsonb_build_array" => Some((
            lenient(func("json_build_array", Json, build_array)),
            args.to_vec(),
        )),
        "to_json" | "to_jsonb" => match args {
            [t] => Some((
                func("to_json", Json, |a, _| {
                    Ok(Value::Json(Json::from_value(&a[0]).to_text()))
                }),
                vec![*t],
            )),
            _ => None,
        },
        "json_array_length" | "jsonb_array_length" | "json_length" => match args {
            [t] if json_arg(*t) => Some((func("json_array_length", Int, array_length), vec![Json])),
            _ => None,
        },
        "json_typeof" | "jsonb_typeof" | "json_type" => match args {
            [t] if json_arg(*t) => Some((func("json_typeof", Text, typeof_json), vec![Json])),
            _ => None,
        },
        "json_extract" => match args {
            [t, p] if matches!(t, Json | Text | Unknown) && matches!(p, Text | Unknown) => {
                let first = if *t == Text { Text } else { Json };
                Some((func("json_extract", Text, json_extract), vec![first, Text]))
            }
            _ => None,
        },
        "json_valid" => match args {
            [Text | Json | Unknown] => Some((
                func("json_valid", Bool, |a, _| {
                    Ok(Value::Bool(
                        crate::ops::json::parse(text_arg(&a[0])?).is_ok(),
                    ))
                }),
                vec![Text],
            )),
            _ => None,
        },
        _ => return None,
    };
    Some(found.ok_or_else(|| no_function(name, args)))
}

fn build_object(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    if !a.len().is_multiple_of(2) {
        return Err(QueryError::new(
            SqlState::INVALID_PARAMETER_VALUE,
            "argument list must have even number of elements",
        )
        .with_hint(
            "The arguments of json_build_object() must consist of alternating keys and values.",
        ));
    }
    let mut out = String::from("{");
    for (i, pair) in a.chunks(2).enumerate() {
        let key = crate::ops::to_text(&pair[0]).ok_or_else(|| {
            QueryError::new(
                SqlState::NULL_VALUE_NOT_ALLOWED,
                "null value not allowed for object key",
            )
        })?;
        if i > 0 {
            out.push_str(", ");
        }
        write_string(&mut out, &key);
        out.push_str(": ");
        out.push_str(&Json::from_value(&pair[1]).to_text());
    }
    out.push('}');
    Ok(Value::Json(out))
}

fn build_array(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    Ok(Value::Json(
        Json::Array(a.iter().map(Json::from_value).collect()).to_text(),
    ))
}

fn array_length(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    match of_value(text_arg(&a[0])?)? {
        Json::Array(items) => Ok(Value::Int(items.len() as i64)),
        Json::Object(_) => Err(QueryError::new(
            SqlState::INVALID_PARAMETER_VALUE,
            "cannot get array length of a non-array",
        )),
        _ => Err(QueryError::new(
            SqlState::INVALID_PARAMETER_VALUE,
            "cannot get array length of a scalar",
        )),
    }
}

fn typeof_json(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    Ok(Value::Text(
        of_value(text_arg(&a[0])?)?.type_name().to_owned(),
    ))
}

/// SQLite's JSON path: `$`, then `.key`, `."quoted key"` or `[n]` (`[#-n]` from the end).
fn sqlite_path(path: &str) -> Result<Vec<Step>> {
    let bad = || {
        QueryError::new(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("bad JSON path: {path:?}"),
        )
    };
    let rest = path.strip_prefix('$').ok_or_else(bad)?;
    let b = rest.as_bytes();
    let mut i = 0;
    let mut steps = Vec::new();
    while i < b.len() {
        match b[i] {
            b'.' => {
                i += 1;
                if b.get(i) == Some(&b'"') {
                    let end = rest[i + 1..].find('"').ok_or_else(bad)? + i + 1;
                    steps.push(Step::Key(rest[i + 1..end].to_owned()));
                    i = end + 1;
                } else {
                    let start = i;
                    while i < b.len() && b[i] != b'.' && b[i] != b'[' {
                        i += 1;
                    }
                    if start == i {
                        return Err(bad());
                    }
                    steps.push(Step::Key(rest[start..i].to_owned()));
                }
            }
            b'[' => {
                let end = rest[i..].find(']').ok_or_else(bad)? + i;
                let inner = rest[i + 1..end].trim();
                let idx = if let Some(from_end) = inner.strip_prefix('#') {
                    let n: i64 = if from_end.is_empty() {
                        0
                    } else {
                        from_end
                            .strip_prefix('-')
                            .ok_or_else(bad)?
                            .trim()
                            .parse()
                            .map_err(|_| bad())?
                    };
                    -n
                } else {
                    inner.parse().map_err(|_| bad())?
                };
                steps.push(Step::Index(idx, inner.starts_with('#')));
                i = end + 1;
            }
            _ => return Err(bad()),
        }
    }
    Ok(steps)
}

enum Step {
    Key(String),
    /// An index; `true` when counted from the end (`#-n`).
    Index(i64, bool),
}

fn json_extract(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    let doc = of_value(text_arg(&a[0])?)?;
    let steps = sqlite_path(text_arg(&a[1])?)?;
    let mut cur = &doc;
    for s in &steps {
        let next = match s {
            Step::Key(k) => cur.field(k),
            Step::Index(i, from_end) => {
                if *from_end {
                    match cur {
                        Json::Array(items) => usize::try_from(items.len() as i64 + i)
                            .ok()
                            .and_then(|u| items.get(u)),
                        _ => None,
                    }
                } else if *i < 0 {
                    None
                } else {
                    cur.element(*i)
                }
            }
        };
        match next {
            Some(n) => cur = n,
            None => return Ok(Value::Null),
        }
    }
    Ok(cur.as_text().map_or(Value::Null, Value::Text))
}
