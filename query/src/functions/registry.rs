//! Scalar function resolution (filled by the expression branch).

use super::ScalarFunction;
use crate::error::Result;
use crate::types::DataType;

/// Resolves `name(args)` to a scalar function: the implementation, its return type, and
/// the types each argument must be cast to first (returned in place of `args`' types).
/// 42883 when no function of that name takes these types.
pub fn resolve_scalar(name: &str, args: &[DataType]) -> Result<(ScalarFunction, Vec<DataType>)> {
    let _ = (name, args);
    todo!("expression branch")
}

/// Whether `name` (lower case) is an aggregate function (count, sum, avg, …).
pub fn is_aggregate_name(name: &str) -> bool {
    let _ = name;
    todo!("expression branch")
}
