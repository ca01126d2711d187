//! Arithmetic operators on values: `+ - * / %`, unary minus, and the bitwise operators,
//! with PostgreSQL's rules. Integers are `i64` (bigint): overflow is 22003, division
//! truncates toward zero, division or modulo by zero is 22012. Mixed operands widen:
//! Int op Decimal is Decimal, anything op Float is Float. Dates, times, timestamps and
//! intervals go to [`super::datetime`]. A NULL operand gives NULL.

use covet_engine::value::{Decimal, Value};

use super::{datetime, division_by_zero, no_operator, no_unary_operator, numeric, out_of_range};
use crate::error::Result;

/// An arithmetic or bitwise binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArithOp {
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/`.
    Div,
    /// `%`.
    Mod,
    /// `&`.
    BitAnd,
    /// `|`.
    BitOr,
    /// `#`.
    BitXor,
    /// `<<`.
    ShiftLeft,
    /// `>>`.
    ShiftRight,
}

impl ArithOp {
    /// The operator's SQL spelling.
    pub fn symbol(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
            ArithOp::Mod => "%",
            ArithOp::BitAnd => "&",
            ArithOp::BitOr => "|",
            ArithOp::BitXor => "#",
            ArithOp::ShiftLeft => "<<",
            ArithOp::ShiftRight => ">>",
        }
    }
}

/// `left op right`.
pub fn binary_arith(op: ArithOp, left: &Value, right: &Value) -> Result<Value> {
    use Value::*;
    match (left, right) {
        (Null, _) | (_, Null) => Ok(Null),
        (Int(a), Int(b)) => int_op(op, *a, *b).map(Int),
        (Float(a), Float(b)) => float_op(op, *a, *b).map(Float),
        (Int(a), Float(b)) => float_op(op, *a as f64, *b).map(Float),
        (Float(a), Int(b)) => float_op(op, *a, *b as f64).map(Float),
        (Decimal(a), Decimal(b)) => decimal_op(op, a, b).map(Decimal),
        (Int(a), Decimal(b)) => decimal_op(op, &(*a).into(), b).map(Decimal),
        (Decimal(a), Int(b)) => decimal_op(op, a, &(*b).into()).map(Decimal),
        (Decimal(a), Float(b)) => float_op(op, a.to_f64(), *b).map(Float),
        (Float(a), Decimal(b)) => float_op(op, *a, b.to_f64()).map(Float),
        _ => datetime::arith(op, left, right).unwrap_or_else(|| {
            Err(no_operator(
                op.symbol(),
                left.type_name(),
                right.type_name(),
            ))
        }),
    }
}

fn int_op(op: ArithOp, a: i64, b: i64) -> Result<i64> {
    let overflow = || out_of_range("bigint");
    match op {
        ArithOp::Add => a.checked_add(b).ok_or_else(overflow),
        ArithOp::Sub => a.checked_sub(b).ok_or_else(overflow),
        ArithOp::Mul => a.checked_mul(b).ok_or_else(overflow),
        ArithOp::Div => {
            if b == 0 {
                return Err(division_by_zero());
            }
            a.checked_div(b).ok_or_else(overflow)
        }
        ArithOp::Mod => {
            if b == 0 {
                return Err(division_by_zero());
            }
            // i64::MIN % -1 is 0 in PostgreSQL (the remainder exists; only the quotient
            // overflows).
            Ok(a.checked_rem(b).unwrap_or(0))
        }
        ArithOp::BitAnd => Ok(a & b),
        ArithOp::BitOr => Ok(a | b),
        ArithOp::BitXor => Ok(a ^ b),
        // PostgreSQL shifts by the count modulo the width, as the hardware does.
        ArithOp::ShiftLeft => Ok(a.wrapping_shl(b as u32)),
        ArithOp::ShiftRight => Ok(a.wrapping_shr(b as u32)),
    }
}

fn float_op(op: ArithOp, a: f64, b: f64) -> Result<f64> {
    let r = match op {
        ArithOp::Add => a + b,
        ArithOp::Sub => a - b,
        ArithOp::Mul => a * b,
        ArithOp::Div => {
            if b == 0.0 {
                return Err(division_by_zero());
            }
            a / b
        }
        ArithOp::Mod => {
            if b == 0.0 {
                return Err(division_by_zero());
            }
            a % b
        }
        _ => {
            return Err(no_operator(
                op.symbol(),
                "double precision",
                "double precision",
            ))
        }
    };
    check_float(r, a.is_infinite() || b.is_infinite())
}

/// PostgreSQL's float overflow check: an infinite result from finite inputs is 22003.
pub(crate) fn check_float(r: f64, inf_input: bool) -> Result<f64> {
    if r.is_infinite() && !inf_input {
        return Err(out_of_range("value"));
    }
    Ok(r)
}

fn decimal_op(op: ArithOp, a: &Decimal, b: &Decimal) -> Result<Decimal> {
    match op {
        ArithOp::Add => numeric::add(a, b),
        ArithOp::Sub => numeric::sub(a, b),
        ArithOp::Mul => numeric::mul(a, b),
        ArithOp::Div => numeric::div(a, b),
        ArithOp::Mod => numeric::rem(a, b),
        _ => Err(no_operator(op.symbol(), "numeric", "numeric")),
    }
}

/// `-x`.
pub fn negate(v: &Value) -> Result<Value> {
    match v {
        Value::Null => Ok(Value::Null),
        Value::Int(i) => i
            .checked_neg()
            .map(Value::Int)
            .ok_or_else(|| out_of_range("bigint")),
        Value::Float(f) => Ok(Value::Float(-f)),
        Value::Decimal(d) => Ok(Value::Decimal(-*d)),
        Value::Interval(i) => datetime::negate_interval(i).map(Value::Interval),
        other => Err(no_unary_operator("-", other.type_name())),
    }
}

/// `~x` (integers only).
pub fn bit_not(v: &Value) -> Result<Value> {
    match v {
        Value::Null => Ok(Value::Null),
        Value::Int(i) => Ok(Value::Int(!i)),
        other => Err(no_unary_operator("~", other.type_name())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::SqlState;

    fn dec(s: &str) -> Value {
        Value::Decimal(s.parse().unwrap())
    }

    fn code(r: Result<Value>) -> SqlState {
        r.unwrap_err().code
    }

    #[test]
    fn integer_arithmetic_is_checked_and_truncates() {
        use ArithOp::*;
        let i = Value::Int;
        assert_eq!(binary_arith(Add, &i(2), &i(3)).unwrap(), i(5));
        assert_eq!(binary_arith(Sub, &i(2), &i(3)).unwrap(), i(-1));
        assert_eq!(binary_arith(Mul, &i(-4), &i(3)).unwrap(), i(-12));
        assert_eq!(binary_arith(Div, &i(7), &i(2)).unwrap(), i(3));
        assert_eq!(binary_arith(Div, &i(-7), &i(2)).unwrap(), i(-3));
        assert_eq!(binary_arith(Mod, &i(-7), &i(2)).unwrap(), i(-1));
        assert_eq!(binary_arith(Mod, &i(7), &i(-2)).unwrap(), i(1));
        assert_eq!(binary_arith(Mod, &i(i64::MIN), &i(-1)).unwrap(), i(0));
        assert_eq!(
            code(binary_arith(Add, &i(i64::MAX), &i(1))),
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE
        );
        assert_eq!(
            code(binary_arith(Sub, &i(i64::MIN), &i(1))),
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE
        );
        assert_eq!(
            code(binary_arith(Mul, &i(i64::MAX), &i(2))),
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE
        );
        assert_eq!(
            code(binary_arith(Div, &i(i64::MIN), &i(-1))),
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE
        );
        assert_eq!(
            code(binary_arith(Div, &i(1), &i(0))),
            SqlState::DIVISION_BY_ZERO
        );
        assert_eq!(
            code(binary_arith(Mod, &i(1), &i(0))),
            SqlState::DIVISION_BY_ZERO
        );
        assert_eq!(binary_arith(BitAnd, &i(12), &i(10)).unwrap(), i(8));
        assert_eq!(binary_arith(BitOr, &i(12), &i(10)).unwrap(), i(14));
        assert_eq!(binary_arith(BitXor, &i(12), &i(10)).unwrap(), i(6));
        assert_eq!(binary_arith(ShiftLeft, &i(1), &i(4)).unwrap(), i(16));
        assert_eq!(binary_arith(ShiftRight, &i(-16), &i(2)).unwrap(), i(-4));
        assert_eq!(binary_arith(Add, &i(1), &Value::Null).unwrap(), Value::Null);
        assert_eq!(binary_arith(Div, &Value::Null, &i(0)).unwrap(), Value::Null);
        assert_eq!(negate(&i(5)).unwrap(), i(-5));
        assert_eq!(
            code(negate(&i(i64::MIN))),
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE
        );
        assert_eq!(bit_not(&i(0)).unwrap(), i(-1));
    }

    #[test]
    fn mixed_operands_widen() {
        use ArithOp::*;
        assert_eq!(
            binary_arith(Add, &Value::Int(1), &Value::Float(0.5)).unwrap(),
            Value::Float(1.5)
        );
        assert_eq!(
            binary_arith(Add, &Value::Int(1), &dec("0.5")).unwrap(),
            dec("1.5")
        );
        assert_eq!(
            binary_arith(Mul, &dec("1.5"), &Value::Float(2.0)).unwrap(),
            Value::Float(3.0)
        );
        assert_eq!(
            binary_arith(Div, &Value::Float(1.0), &Value::Float(4.0)).unwrap(),
            Value::Float(0.25)
        );
        assert_eq!(
            code(binary_arith(Div, &Value::Float(1.0), &Value::Float(0.0))),
            SqlState::DIVISION_BY_ZERO
        );
        assert_eq!(
            code(binary_arith(Mul, &Value::Float(1e308), &Value::Float(10.0))),
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE
        );
        assert_eq!(
            binary_arith(Mod, &Value::Float(7.5), &Value::Float(2.0)).unwrap(),
            Value::Float(1.5)
        );
        assert_eq!(
            binary_arith(Div, &Value::Int(1), &dec("3")).unwrap(),
            dec("0.33333333333333333333")
        );
        assert_eq!(
            code(binary_arith(Div, &dec("1"), &Value::Int(0))),
            SqlState::DIVISION_BY_ZERO
        );
        assert_eq!(negate(&dec("1.5")).unwrap(), dec("-1.5"));
    }

    #[test]
    fn text_operands_are_undefined_operators() {
        let err = binary_arith(ArithOp::Add, &Value::Text("1".into()), &Value::Int(1)).unwrap_err();
        assert_eq!(err.code, SqlState::UNDEFINED_FUNCTION);
        assert_eq!(err.message, "operator does not exist: text + bigint");
        assert_eq!(
            negate(&Value::Text("a".into())).unwrap_err().code,
            SqlState::UNDEFINED_FUNCTION
        );
    }
}
