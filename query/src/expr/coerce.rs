//! Type rules of the binder: the common type of CASE/COALESCE/IN branches, which
//! types compare, and the result type of each binary operator. PostgreSQL's rules,
//! reduced to covet's types: numbers widen Int → Decimal → Float; `unknown` (a NULL
//! literal or an untyped parameter) takes the other side's type; date and timestamp meet
//! at timestamp; everything else must match exactly.

use super::BinaryOp;
use crate::error::{QueryError, Result, SqlState};
use crate::ops;
use crate::types::DataType;

fn numeric_rank(t: DataType) -> Option<u8> {
    match t {
        DataType::Int => Some(0),
        DataType::Decimal => Some(1),
        DataType::Float => Some(2),
        _ => None,
    }
}

/// The common type of two types, if any.
pub fn common_type(a: DataType, b: DataType) -> Option<DataType> {
    use DataType::*;
    if a == b {
        return Some(a);
    }
    match (a, b) {
        (Unknown, t) | (t, Unknown) => Some(t),
        (Date, Timestamp) | (Timestamp, Date) => Some(Timestamp),
        (Date | Timestamp, TimestampTz) | (TimestampTz, Date | Timestamp) => Some(TimestampTz),
        _ => match (numeric_rank(a), numeric_rank(b)) {
            (Some(x), Some(y)) => Some(if x >= y { a } else { b }),
            _ => None,
        },
    }
}

/// The common type of the branches of `context` (`CASE`, `COALESCE`, …); 42804
/// naming the first two that do not meet.
pub fn unify_types(context: &str, types: &[DataType]) -> Result<DataType> {
    let mut acc = DataType::Unknown;
    for &t in types {
        acc = common_type(acc, t).ok_or_else(|| {
            QueryError::new(
                SqlState::DATATYPE_MISMATCH,
                format!("{context} types {acc} and {t} cannot be matched"),
            )
        })?;
    }
    Ok(acc)
}

/// Whether values of these types compare (`=`, `<`, …).
pub fn comparable(a: DataType, b: DataType) -> bool {
    common_type(a, b).is_some()
}

/// 42804 unless `ty` is boolean (or unknown, a NULL): the check of WHERE, HAVING, ON,
/// CHECK and every other place that needs a condition.
pub fn expect_bool(ty: DataType, context: &str) -> Result<()> {
    match ty {
        DataType::Bool | DataType::Unknown => Ok(()),
        other => Err(QueryError::new(
            SqlState::DATATYPE_MISMATCH,
            format!("argument of {context} must be type boolean, not type {other}"),
        )),
    }
}

/// The SQL spelling of a binary operator, for messages.
pub fn op_symbol(op: BinaryOp) -> &'static str {
    op.symbol()
}

/// Whether `op` is a comparison.
pub fn is_comparison(op: BinaryOp) -> bool {
    matches!(
        op,
        BinaryOp::Eq
            | BinaryOp::NotEq
            | BinaryOp::Lt
            | BinaryOp::LtEq
            | BinaryOp::Gt
            | BinaryOp::GtEq
    )
}

/// The type `left op right` produces, or 42883 naming the operator and the types.
/// Unknown operands (NULL) take whatever type makes the operator exist.
pub fn binary_result_type(op: BinaryOp, l: DataType, r: DataType) -> Result<DataType> {
    use DataType::*;
    let none = || ops::no_operator(op_symbol(op), l.name(), r.name());
    let known = |t: DataType| t != Unknown;
    let result = match op {
        _ if is_comparison(op) => comparable(l, r).then_some(Bool),
        BinaryOp::And | BinaryOp::Or => {
            let ctx = if op == BinaryOp::And { "AND" } else { "OR" };
            expect_bool(l, ctx)?;
            expect_bool(r, ctx)?;
            Some(Bool)
        }
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => {
            if l.is_numeric() && r.is_numeric() {
                common_type(l, r)
            } else if !known(l) && !known(r) {
                Some(Unknown)
            } else if !known(l) || !known(r) {
                let t = if known(l) { l } else { r };
                (t.is_numeric() || matches!(t, Interval))
                    .then_some(t)
                    .or(match (op, t) {
                        (BinaryOp::Add | BinaryOp::Sub, Date | Timestamp | TimestampTz | Time) => {
                            Some(t)
                        }
                        _ => None,
                    })
            } else {
                datetime_result(op, l, r)
            }
        }
        BinaryOp::BitAnd
        | BinaryOp::BitOr
        | BinaryOp::BitXor
        | BinaryOp::ShiftLeft
        | BinaryOp::ShiftRight => {
            (matches!(l, Int | Unknown) && matches!(r, Int | Unknown)).then_some(Int)
        }
        BinaryOp::Concat => match (l, r) {
            (Blob, Blob) | (Blob, Unknown) | (Unknown, Blob) => Some(Blob),
            (Text, _) | (_, Text) | (Unknown, Unknown) => Some(Text),
            _ => None,
        },
        BinaryOp::JsonGet | BinaryOp::JsonGetText => {
            let out = if op == BinaryOp::JsonGet { Json } else { Text };
            (matches!(l, Json | Unknown) && matches!(r, Text | Int | Unknown)).then_some(out)
        }
        BinaryOp::JsonPath | BinaryOp::JsonPathText => {
            let out = if op == BinaryOp::JsonPath { Json } else { Text };
            (matches!(l, Json | Unknown) && matches!(r, Text | Unknown)).then_some(out)
        }
        _ => None,
    };
    result.ok_or_else(none)
}

/// The result of date/time arithmetic (both operands known), as `ops::datetime`.
fn datetime_result(op: BinaryOp, l: DataType, r: DataType) -> Option<DataType> {
    use DataType::*;
    match (op, l, r) {
        (BinaryOp::Add, Date, Int) | (BinaryOp::Add, Int, Date) | (BinaryOp::Sub, Date, Int) => {
            Some(Date)
        }
        (BinaryOp::Sub, Date, Date) => Some(Int),
        (BinaryOp::Add, Date, Interval)
        | (BinaryOp::Add, Interval, Date)
        | (BinaryOp::Sub, Date, Interval) => Some(Timestamp),
        (BinaryOp::Add, Date, Time) | (BinaryOp::Add, Time, Date) => Some(Timestamp),
        (BinaryOp::Add, Timestamp, Interval)
        | (BinaryOp::Add, Interval, Timestamp)
        | (BinaryOp::Sub, Timestamp, Interval) => Some(Timestamp),
        (BinaryOp::Add, TimestampTz, Interval)
        | (BinaryOp::Add, Interval, TimestampTz)
        | (BinaryOp::Sub, TimestampTz, Interval) => Some(TimestampTz),
        (BinaryOp::Sub, Timestamp, Timestamp) | (BinaryOp::Sub, TimestampTz, TimestampTz) => {
            Some(Interval)
        }
        (BinaryOp::Sub, Date | Timestamp | TimestampTz, Date | Timestamp | TimestampTz) => {
            Some(Interval)
        }
        (BinaryOp::Add, Time, Interval)
        | (BinaryOp::Add, Interval, Time)
        | (BinaryOp::Sub, Time, Interval) => Some(Time),
        (BinaryOp::Sub, Time, Time) => Some(Interval),
        (BinaryOp::Add | BinaryOp::Sub, Interval, Interval) => Some(Interval),
        (BinaryOp::Mul, Interval, n) | (BinaryOp::Mul, n, Interval) if n.is_numeric() => {
            Some(Interval)
        }
        (BinaryOp::Div, Interval, n) if n.is_numeric() => Some(Interval),
        _ => None,
    }
}

/// The type an unknown-literal operand of `op` is read as, given the other operand's
/// type: PostgreSQL's choice where several operators would fit (`date + '1'` is
/// date + integer, `timestamp - '1 day'` is timestamp - interval).
pub fn literal_target(op: BinaryOp, other: DataType) -> DataType {
    use DataType::*;
    match (op, other) {
        (BinaryOp::Add | BinaryOp::Sub, Timestamp | TimestampTz | Time) => Interval,
        (BinaryOp::Add, Date) => Int,
        (BinaryOp::Mul | BinaryOp::Div, Interval) => Float,
        (BinaryOp::Concat, _) => Text,
        (
            BinaryOp::JsonGet | BinaryOp::JsonGetText | BinaryOp::JsonPath | BinaryOp::JsonPathText,
            Json,
        ) => Text,
        (BinaryOp::And | BinaryOp::Or, _) => Bool,
        _ => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DataType::*;

    #[test]
    fn unifies_like_postgres() {
        assert_eq!(unify_types("CASE", &[Int, Float]).unwrap(), Float);
        assert_eq!(unify_types("CASE", &[Int, Decimal]).unwrap(), Decimal);
        assert_eq!(unify_types("CASE", &[Unknown, Text]).unwrap(), Text);
        assert_eq!(unify_types("CASE", &[Unknown, Unknown]).unwrap(), Unknown);
        assert_eq!(unify_types("CASE", &[Date, Timestamp]).unwrap(), Timestamp);
        let err = unify_types("CASE", &[Int, Text]).unwrap_err();
        assert_eq!(err.code, SqlState::DATATYPE_MISMATCH);
        assert_eq!(err.message, "CASE types bigint and text cannot be matched");
    }

    #[test]
    fn operator_types() {
        assert_eq!(
            binary_result_type(BinaryOp::Add, Int, Decimal).unwrap(),
            Decimal
        );
        assert_eq!(binary_result_type(BinaryOp::Sub, Date, Date).unwrap(), Int);
        assert_eq!(
            binary_result_type(BinaryOp::Add, Timestamp, Interval).unwrap(),
            Timestamp
        );
        assert_eq!(binary_result_type(BinaryOp::Eq, Int, Float).unwrap(), Bool);
        assert_eq!(
            binary_result_type(BinaryOp::Concat, Text, Int).unwrap(),
            Text
        );
        assert_eq!(
            binary_result_type(BinaryOp::JsonGetText, Json, Text).unwrap(),
            Text
        );
        let err = binary_result_type(BinaryOp::Eq, Text, Int).unwrap_err();
        assert_eq!(err.code, SqlState::UNDEFINED_FUNCTION);
        assert_eq!(err.message, "operator does not exist: text = bigint");
        assert_eq!(
            binary_result_type(BinaryOp::Add, Text, Int)
                .unwrap_err()
                .code,
            SqlState::UNDEFINED_FUNCTION
        );
        assert_eq!(
            binary_result_type(BinaryOp::And, Int, Bool)
                .unwrap_err()
                .code,
            SqlState::DATATYPE_MISMATCH
        );
        assert!(expect_bool(Bool, "WHERE").is_ok());
        assert_eq!(
            expect_bool(Int, "WHERE").unwrap_err().message,
            "argument of WHERE must be type boolean, not type bigint"
        );
    }
}
