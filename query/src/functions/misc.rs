//! Type inspection and the conditional functions the binder leaves to the library:
//! SQLite's `typeof`, and `nullif` (COALESCE, IFNULL and pg_typeof are bound by the
//! binder itself; GREATEST and LEAST are in `math.rs`).

use covet_engine::value::Value;

use super::registry::{func, lenient, no_function, volatile, Resolved};
use crate::error::Result;
use crate::expr::EvalContext;
use crate::ops;
use crate::types::DataType::{self, *};

/// The function `name(args)`, if `name` is one of these.
pub(super) fn resolve(name: &str, args: &[DataType]) -> Option<Result<Resolved>> {
    let found: Option<Resolved> = match name {
        "typeof" => match args {
            [t] => Some((lenient(func("typeof", Text, sqlite_typeof)), vec![*t])),
            _ => None,
        },
        "nullif" => match args {
            [a, b] => Some((lenient(func("nullif", *a, nullif)), vec![*a, *b])),
            _ => None,
        },
        // A trigger body's RAISE(…) (see `crate::trigger`): never folded, so that it
        // fails only when a row reaches it.
        crate::trigger::RAISE_FUNCTION => match args {
            [_, _] => Some((
                volatile(lenient(func(
                    crate::trigger::RAISE_FUNCTION,
                    Unknown,
                    |a, _| crate::trigger::raise(a),
                ))),
                vec![Int, Text],
            )),
            _ => None,
        },
        _ => return None,
    };
    Some(found.ok_or_else(|| no_function(name, args)))
}

/// SQLite's storage class names: integer, real, text, blob, null (numeric and other
/// types map to the class SQLite would store them in).
fn sqlite_typeof(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    let name = match &a[0] {
        Value::Null => "null",
        Value::Int(_) | Value::Bool(_) => "integer",
        Value::Float(_) | Value::Decimal(_) => "real",
        Value::Blob(_) | Value::Uuid(_) => "blob",
        _ => "text",
    };
    Ok(Value::Text(name.to_owned()))
}

fn nullif(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    if ops::values_equal(&a[0], &a[1])? == Some(true) {
        Ok(Value::Null)
    } else {
        Ok(a[0].clone())
    }
}
