//! Scalar function resolution: each family (string, math, date/time, JSON, misc) tries
//! the name and argument types; the first that knows the name answers. Unknown names,
//! and known names with no matching signature, are 42883 as in PostgreSQL.
//!
//! Argument matching: an argument fits a parameter of its own type, an unknown (a
//! string literal, NULL, an untyped parameter: the binder then casts it), or a wider
//! number type (Int → Decimal → Float). Text never fits a number parameter.

use covet_engine::value::Value;

use super::ScalarFunction;
use crate::error::{QueryError, Result, SqlState};
use crate::expr::EvalContext;
use crate::types::DataType;

/// A resolved function and the types to cast its arguments to.
pub(super) type Resolved = (ScalarFunction, Vec<DataType>);

/// A family's resolver: `None` when the name is not one of its functions.
type Family = fn(&str, &[DataType]) -> Option<Result<Resolved>>;

/// A function implementation.
pub(super) type EvalFn = fn(&[Value], &dyn EvalContext) -> Result<Value>;

/// A strict, immutable function.
pub(super) fn func(name: &'static str, return_type: DataType, eval: EvalFn) -> ScalarFunction {
    ScalarFunction {
        name,
        return_type,
        volatile: false,
        strict: true,
        eval,
    }
}

/// The same function, called even with NULL arguments.
pub(super) fn lenient(mut f: ScalarFunction) -> ScalarFunction {
    f.strict = false;
    f
}

/// The same function, never folded (its result may change between calls).
pub(super) fn volatile(mut f: ScalarFunction) -> ScalarFunction {
    f.volatile = true;
    f
}

/// Whether an argument of type `arg` may be passed for a parameter of type `param`.
pub(super) fn fits(arg: DataType, param: DataType) -> bool {
    use DataType::*;
    arg == param
        || arg == Unknown
        || param == Unknown
        || matches!(
            (arg, param),
            (Int, Decimal) | (Int, Float) | (Decimal, Float)
        )
}

/// The parameter types if `args` fit `params` one for one.
pub(super) fn signature(args: &[DataType], params: &[DataType]) -> Option<Vec<DataType>> {
    (args.len() == params.len() && args.iter().zip(params).all(|(a, p)| fits(*a, *p)))
        .then(|| params.to_vec())
}

/// 42883 `function name(types) does not exist`.
pub(super) fn no_function(name: &str, args: &[DataType]) -> QueryError {
    let types: Vec<&str> = args.iter().map(DataType::name).collect();
    QueryError::new(
        SqlState::UNDEFINED_FUNCTION,
        format!("function {name}({}) does not exist", types.join(", ")),
    )
    .with_hint("No function matches the given name and argument types. You might need to add explicit type casts.")
}

/// The argument as text (the binder cast it); an internal error otherwise.
pub(super) fn text_arg(v: &Value) -> Result<&str> {
    match v {
        Value::Text(s) | Value::Json(s) => Ok(s),
        other => Err(QueryError::internal(format!(
            "expected a text argument, got {}",
            other.type_name()
        ))),
    }
}

/// The argument as an integer.
pub(super) fn int_arg(v: &Value) -> Result<i64> {
    match v {
        Value::Int(i) => Ok(*i),
        other => Err(QueryError::internal(format!(
            "expected an integer argument, got {}",
            other.type_name()
        ))),
    }
}

/// The argument as a float (integers and decimals convert).
pub(super) fn float_arg(v: &Value) -> Result<f64> {
    match v {
        Value::Float(f) => Ok(*f),
        Value::Int(i) => Ok(*i as f64),
        Value::Decimal(d) => Ok(d.to_f64()),
        other => Err(QueryError::internal(format!(
            "expected a numeric argument, got {}",
            other.type_name()
        ))),
    }
}

/// Resolves `name(args)` to a scalar function: the implementation, its return type, and
/// the types each argument must be cast to first (returned in place of `args`' types).
/// 42883 when no function of that name takes these types.
pub fn resolve_scalar(name: &str, args: &[DataType]) -> Result<(ScalarFunction, Vec<DataType>)> {
    let name = name.to_ascii_lowercase();
    let families: [Family; 5] = [
        super::string::resolve,
        super::math::resolve,
        super::datetime::resolve,
        super::json::resolve,
        super::misc::resolve,
    ];
    for family in families {
        if let Some(r) = family(&name, args) {
            return r;
        }
    }
    if is_aggregate_name(&name) {
        return Err(QueryError::new(
            SqlState::GROUPING_ERROR,
            format!("aggregate function {name} is not allowed here"),
        ));
    }
    Err(no_function(&name, args))
}

/// Whether `name` (lower case) is an aggregate function (count, sum, avg, …).
pub fn is_aggregate_name(name: &str) -> bool {
    super::aggregate::AGGREGATE_NAMES.contains(&name)
}
