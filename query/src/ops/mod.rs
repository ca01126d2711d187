//! Value-level operations with PostgreSQL semantics over the engine's [`Value`]:
//! arithmetic ([`arith`]), exact decimal arithmetic ([`numeric`], over the 256-bit
//! integers of `wide.rs`), comparison ([`compare`]), casts ([`cast`]), date and time
//! arithmetic ([`datetime`]), `LIKE` matching ([`like`]) and JSON ([`json`]).
//!
//! Every function here takes values that are already of the types the binder checked;
//! a value of an unexpected type still gives a typed error (42883), never a panic.
//! NULL handling is the caller's except where a function says otherwise.

pub mod arith;
pub mod cast;
pub mod compare;
pub mod datetime;
pub mod json;
pub mod like;
pub mod numeric;
pub mod text;
mod wide;

#[cfg(test)]
mod proptests;

pub use arith::{binary_arith, negate, ArithOp};
pub use cast::{cast, cast_explicit, parse_bool};
pub use compare::{compare, values_equal};
pub use text::{format_float, output_text, to_text};

use crate::error::{QueryError, SqlState};

/// `22003` with PostgreSQL's wording for a type (`integer out of range`).
pub(crate) fn out_of_range(type_name: &str) -> QueryError {
    QueryError::new(
        SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
        format!("{type_name} out of range"),
    )
}

/// `22012 division by zero`.
pub(crate) fn division_by_zero() -> QueryError {
    QueryError::new(SqlState::DIVISION_BY_ZERO, "division by zero")
}

/// `42883 operator does not exist: left op right`.
pub(crate) fn no_operator(op: &str, left: &str, right: &str) -> QueryError {
    QueryError::new(
        SqlState::UNDEFINED_FUNCTION,
        format!("operator does not exist: {left} {op} {right}"),
    )
    .with_hint("No operator matches the given name and argument types. You might need to add explicit type casts.")
}

/// `42883 operator does not exist: op operand` (a prefix operator).
pub(crate) fn no_unary_operator(op: &str, operand: &str) -> QueryError {
    QueryError::new(
        SqlState::UNDEFINED_FUNCTION,
        format!("operator does not exist: {op} {operand}"),
    )
}

/// `22P02 invalid input syntax for type T: "text"`.
pub(crate) fn invalid_text(type_name: &str, text: &str) -> QueryError {
    QueryError::new(
        SqlState::INVALID_TEXT_REPRESENTATION,
        format!("invalid input syntax for type {type_name}: \"{text}\""),
    )
}
