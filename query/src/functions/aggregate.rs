//! Aggregate functions (filled by the expression branch).

use super::AggregateFunction;
use crate::error::Result;
use crate::types::DataType;

/// Resolves an aggregate call (`count(*)` has no arguments). 42883 when unknown.
pub fn resolve_aggregate(
    name: &str,
    args: &[DataType],
    distinct: bool,
) -> Result<AggregateFunction> {
    let _ = (name, args, distinct);
    todo!("expression branch")
}
