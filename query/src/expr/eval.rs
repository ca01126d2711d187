//! Evaluation of a bound [`ScalarExpr`] over one row, with SQL's three-valued logic.
//!
//! What must stay true:
//! * `AND`/`OR` evaluate the right operand only when the left does not decide
//!   (`FALSE AND x`, `TRUE OR x`), so an error in the untaken side is never raised;
//! * `CASE` evaluates only the conditions up to the first true one and only that arm;
//!   `COALESCE` stops at the first non-NULL argument;
//! * `x IN (list)` is TRUE if any element equals, else NULL if `x` or any element is
//!   NULL, else FALSE (and `NOT IN` the negation of that);
//! * a scalar subquery with no row is NULL and with more than one is 21000; IN, ANY
//!   and ALL over no rows do not evaluate their left operand.

use std::borrow::Cow;
use std::cmp::Ordering;

use covet_engine::value::Value;

use super::{BinaryOp, EvalContext, ScalarExpr, SubqueryKind, TruthTest, UnaryOp};
use crate::error::{QueryError, Result, SqlState};
use crate::ops::{self, arith, compare, json, like, ArithOp};

/// Evaluates `expr` on `row`.
pub fn evaluate(expr: &ScalarExpr, row: &[Value], ctx: &mut dyn EvalContext) -> Result<Value> {
    match expr {
        ScalarExpr::Literal(v) => Ok(v.clone()),
        ScalarExpr::Column(i) => row.get(*i).cloned().ok_or_else(|| {
            QueryError::internal(format!(
                "column {i} is outside a row of {} columns",
                row.len()
            ))
        }),
        ScalarExpr::OuterColumn { depth, index } => ctx.outer_column(*depth, *index),
        ScalarExpr::Param(i) => ctx.params().get(*i).cloned().ok_or_else(|| {
            QueryError::new(
                SqlState::UNDEFINED_PARAMETER,
                format!("there is no parameter ${}", i + 1),
            )
        }),
        ScalarExpr::Unary { op, expr } => {
            let v = evaluate(expr, row, ctx)?;
            match op {
                UnaryOp::Neg => arith::negate(&v),
                // The identity on every type (see COMPAT.md).
                UnaryOp::Plus => Ok(v),
                UnaryOp::Not => Ok(match as_bool(&v, "NOT")? {
                    None => Value::Null,
                    Some(b) => Value::Bool(!b),
                }),
                UnaryOp::BitNot => arith::bit_not(&v),
            }
        }
        ScalarExpr::Binary { op, left, right } => match op {
            BinaryOp::And => {
                let l = as_bool(&evaluate(left, row, ctx)?, "AND")?;
                if l == Some(false) {
                    return Ok(Value::Bool(false));
                }
                let r = as_bool(&evaluate(right, row, ctx)?, "AND")?;
                Ok(match (l, r) {
                    (_, Some(false)) => Value::Bool(false),
                    (Some(true), Some(true)) => Value::Bool(true),
                    _ => Value::Null,
                })
            }
            BinaryOp::Or => {
                let l = as_bool(&evaluate(left, row, ctx)?, "OR")?;
                if l == Some(true) {
                    return Ok(Value::Bool(true));
                }
                let r = as_bool(&evaluate(right, row, ctx)?, "OR")?;
                Ok(match (l, r) {
                    (_, Some(true)) => Value::Bool(true),
                    (Some(false), Some(false)) => Value::Bool(false),
                    _ => Value::Null,
                })
            }
            _ => {
                let l = operand(left, row, ctx)?;
                let r = operand(right, row, ctx)?;
                binary(*op, &l, &r)
            }
        },
        ScalarExpr::IsNull { expr, negated } => {
            let v = operand(expr, row, ctx)?;
            Ok(Value::Bool(v.is_null() != *negated))
        }
        ScalarExpr::IsTruth {
            expr,
            test,
            negated,
        } => {
            let v = as_bool(&evaluate(expr, row, ctx)?, "IS")?;
            let hit = match test {
                TruthTest::True => v == Some(true),
                TruthTest::False => v == Some(false),
                TruthTest::Unknown => v.is_none(),
            };
            Ok(Value::Bool(hit != *negated))
        }
        ScalarExpr::IsDistinctFrom {
            left,
            right,
            negated,
        } => {
            let l = evaluate(left, row, ctx)?;
            let r = evaluate(right, row, ctx)?;
            let distinct = match (l.is_null(), r.is_null()) {
                (true, true) => false,
                (true, false) | (false, true) => true,
                (false, false) => compare("IS DISTINCT FROM", &l, &r)? != Some(Ordering::Equal),
            };
            Ok(Value::Bool(distinct != *negated))
        }
        ScalarExpr::Between {
            expr,
            low,
            high,
            negated,
            symmetric,
        } => {
            let v = evaluate(expr, row, ctx)?;
            let mut lo = evaluate(low, row, ctx)?;
            let mut hi = evaluate(high, row, ctx)?;
            if *symmetric && compare(">", &lo, &hi)? == Some(Ordering::Greater) {
                std::mem::swap(&mut lo, &mut hi);
            }
            let ge = compare(">=", &v, &lo)?.map(|o| o != Ordering::Less);
            let le = compare("<=", &v, &hi)?.map(|o| o != Ordering::Greater);
            let within = and3(ge, le);
            Ok(bool3(within.map(|b| b != *negated)))
        }
        ScalarExpr::InList {
            expr,
            list,
            negated,
        } => {
            let v = operand(expr, row, ctx)?;
            let mut saw_null = v.is_null();
            let mut found = false;
            if !v.is_null() {
                for item in list {
                    let x = operand(item, row, ctx)?;
                    match ops::values_equal(&v, &x)? {
                        Some(true) => {
                            found = true;
                            break;
                        }
                        Some(false) => {}
                        None => saw_null = true,
                    }
                }
            }
            let r = if found {
                Some(true)
            } else if saw_null {
                None
            } else {
                Some(false)
            };
            Ok(bool3(r.map(|b| b != *negated)))
        }
        ScalarExpr::Like {
            expr,
            pattern,
            escape,
            case_insensitive,
            negated,
        } => {
            let v = operand(expr, row, ctx)?;
            let p = operand(pattern, row, ctx)?;
            let esc = match escape {
                Some(e) => match evaluate(e, row, ctx)? {
                    Value::Null => return Ok(Value::Null),
                    Value::Text(s) => like::escape_char(&s)?,
                    other => return Err(ops::no_operator("ESCAPE", "text", other.type_name())),
                },
                None => Some('\\'),
            };
            match (v.as_ref(), p.as_ref()) {
                (Value::Null, _) | (_, Value::Null) => Ok(Value::Null),
                (Value::Text(t), Value::Text(pat)) => {
                    let m = like::like(t, pat, esc, *case_insensitive)?;
                    Ok(Value::Bool(m != *negated))
                }
                (a, b) => Err(ops::no_operator(
                    if *case_insensitive { "~~*" } else { "~~" },
                    a.type_name(),
                    b.type_name(),
                )),
            }
        }
        ScalarExpr::Case {
            operand,
            branches,
            else_expr,
        } => {
            let subject = match operand {
                Some(o) => Some(evaluate(o, row, ctx)?),
                None => None,
            };
            for (when, then) in branches {
                let w = evaluate(when, row, ctx)?;
                let taken = match &subject {
                    Some(s) => ops::values_equal(s, &w)? == Some(true),
                    None => as_bool(&w, "CASE")? == Some(true),
                };
                if taken {
                    return evaluate(then, row, ctx);
                }
            }
            match else_expr {
                Some(e) => evaluate(e, row, ctx),
                None => Ok(Value::Null),
            }
        }
        ScalarExpr::Coalesce(args) => {
            for a in args {
                let v = evaluate(a, row, ctx)?;
                if !v.is_null() {
                    return Ok(v);
                }
            }
            Ok(Value::Null)
        }
        ScalarExpr::Cast { expr, to } => {
            let v = evaluate(expr, row, ctx)?;
            ops::cast_explicit(&v, to)
        }
        ScalarExpr::Function { func, args } => {
            let mut values = Vec::with_capacity(args.len());
            for a in args {
                values.push(evaluate(a, row, ctx)?);
            }
            if func.strict && values.iter().any(Value::is_null) {
                return Ok(Value::Null);
            }
            (func.eval)(&values, &*ctx)
        }
        ScalarExpr::Subquery {
            id,
            kind,
            expr,
            negated,
        } => {
            // The subquery's rows first: over no rows IN/ANY are FALSE and ALL is TRUE
            // whatever the left operand is, so it is not evaluated (PostgreSQL does
            // the same; an error in it is never raised for an empty set).
            let rows = ctx.subquery(*id, row)?;
            if rows.is_empty() {
                match kind {
                    SubqueryKind::In | SubqueryKind::Any(_) => return Ok(Value::Bool(*negated)),
                    SubqueryKind::All(_) => return Ok(Value::Bool(!*negated)),
                    SubqueryKind::Scalar | SubqueryKind::Exists => {}
                }
            }
            let left = match expr {
                Some(e) => Some(evaluate(e, row, ctx)?),
                None => None,
            };
            match kind {
                SubqueryKind::Scalar => match rows.len() {
                    0 => Ok(Value::Null),
                    1 => Ok(rows[0].first().cloned().unwrap_or(Value::Null)),
                    _ => Err(QueryError::new(
                        SqlState::CARDINALITY_VIOLATION,
                        "more than one row returned by a subquery used as an expression",
                    )),
                },
                SubqueryKind::Exists => Ok(Value::Bool(rows.is_empty() == *negated)),
                SubqueryKind::In => {
                    let v = left.unwrap_or(Value::Null);
                    let r = quantified(BinaryOp::Eq, &v, &rows, true)?;
                    Ok(bool3(r.map(|b| b != *negated)))
                }
                SubqueryKind::Any(op) => {
                    let v = left.unwrap_or(Value::Null);
                    let r = quantified(*op, &v, &rows, true)?;
                    Ok(bool3(r.map(|b| b != *negated)))
                }
                SubqueryKind::All(op) => {
                    let v = left.unwrap_or(Value::Null);
                    let r = quantified(*op, &v, &rows, false)?;
                    Ok(bool3(r.map(|b| b != *negated)))
                }
            }
        }
    }
}

/// The value of an operand, borrowed when it is a literal or a column of the row (the
/// common case of a comparison in a scan: no copy of the row's text per test).
fn operand<'a>(
    expr: &'a ScalarExpr,
    row: &'a [Value],
    ctx: &mut dyn EvalContext,
) -> Result<Cow<'a, Value>> {
    match expr {
        ScalarExpr::Literal(v) => Ok(Cow::Borrowed(v)),
        ScalarExpr::Column(i) => row.get(*i).map(Cow::Borrowed).ok_or_else(|| {
            QueryError::internal(format!(
                "column {i} is outside a row of {} columns",
                row.len()
            ))
        }),
        other => evaluate(other, row, ctx).map(Cow::Owned),
    }
}

/// `v op ANY (rows)` (`any` true) or `v op ALL (rows)`, three-valued: ANY is TRUE if
/// one comparison is, else NULL if one is NULL, else FALSE; ALL is FALSE if one is,
/// else NULL if one is NULL, else TRUE (so ALL over no rows is TRUE).
fn quantified(op: BinaryOp, v: &Value, rows: &[Vec<Value>], any: bool) -> Result<Option<bool>> {
    let mut saw_null = false;
    for r in rows {
        let x = r.first().cloned().unwrap_or(Value::Null);
        match as_bool(&binary(op, v, &x)?, "ANY")? {
            Some(b) if b == any => return Ok(Some(any)),
            Some(_) => {}
            None => saw_null = true,
        }
    }
    Ok(if saw_null { None } else { Some(!any) })
}

fn and3(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

fn bool3(b: Option<bool>) -> Value {
    b.map_or(Value::Null, Value::Bool)
}

/// A boolean operand: NULL is unknown; anything else but a boolean is 42804.
pub(crate) fn as_bool(v: &Value, context: &str) -> Result<Option<bool>> {
    match v {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(*b)),
        other => Err(QueryError::new(
            SqlState::DATATYPE_MISMATCH,
            format!(
                "argument of {context} must be type boolean, not type {}",
                other.type_name()
            ),
        )),
    }
}

/// A binary operator other than AND/OR on two values.
pub(crate) fn binary(op: BinaryOp, l: &Value, r: &Value) -> Result<Value> {
    let cmp = |sym: &str, test: fn(Ordering) -> bool| -> Result<Value> {
        Ok(bool3(compare(sym, l, r)?.map(test)))
    };
    match op {
        BinaryOp::Add => arith::binary_arith(ArithOp::Add, l, r),
        BinaryOp::Sub => arith::binary_arith(ArithOp::Sub, l, r),
        BinaryOp::Mul => arith::binary_arith(ArithOp::Mul, l, r),
        BinaryOp::Div => arith::binary_arith(ArithOp::Div, l, r),
        BinaryOp::Mod => arith::binary_arith(ArithOp::Mod, l, r),
        BinaryOp::BitAnd => arith::binary_arith(ArithOp::BitAnd, l, r),
        BinaryOp::BitOr => arith::binary_arith(ArithOp::BitOr, l, r),
        BinaryOp::BitXor => arith::binary_arith(ArithOp::BitXor, l, r),
        BinaryOp::ShiftLeft => arith::binary_arith(ArithOp::ShiftLeft, l, r),
        BinaryOp::ShiftRight => arith::binary_arith(ArithOp::ShiftRight, l, r),
        BinaryOp::Eq => cmp("=", |o| o == Ordering::Equal),
        BinaryOp::NotEq => cmp("<>", |o| o != Ordering::Equal),
        BinaryOp::Lt => cmp("<", |o| o == Ordering::Less),
        BinaryOp::LtEq => cmp("<=", |o| o != Ordering::Greater),
        BinaryOp::Gt => cmp(">", |o| o == Ordering::Greater),
        BinaryOp::GtEq => cmp(">=", |o| o != Ordering::Less),
        BinaryOp::Concat => concat(l, r),
        BinaryOp::And | BinaryOp::Or => {
            let (a, b) = (as_bool(l, "AND")?, as_bool(r, "AND")?);
            Ok(bool3(if op == BinaryOp::And {
                and3(a, b)
            } else {
                match (a, b) {
                    (Some(true), _) | (_, Some(true)) => Some(true),
                    (Some(false), Some(false)) => Some(false),
                    _ => None,
                }
            }))
        }
        BinaryOp::JsonGet | BinaryOp::JsonGetText => match l {
            Value::Null => Ok(Value::Null),
            Value::Json(s) => json::get(s, r, op == BinaryOp::JsonGetText),
            other => Err(ops::no_operator(
                if op == BinaryOp::JsonGet { "->" } else { "->>" },
                other.type_name(),
                r.type_name(),
            )),
        },
        BinaryOp::JsonPath | BinaryOp::JsonPathText => match (l, r) {
            (Value::Null, _) | (_, Value::Null) => Ok(Value::Null),
            (Value::Json(s), Value::Text(p)) => json::get_path(s, p, op == BinaryOp::JsonPathText),
            (a, b) => Err(ops::no_operator(
                if op == BinaryOp::JsonPath {
                    "#>"
                } else {
                    "#>>"
                },
                a.type_name(),
                b.type_name(),
            )),
        },
    }
}

/// `l || r`: text concatenation (either side text, the other any non-NULL value in its
/// output text: a boolean is `t`/`f`), or bytea concatenation; NULL if either is NULL.
fn concat(l: &Value, r: &Value) -> Result<Value> {
    match (l, r) {
        (Value::Null, _) | (_, Value::Null) => Ok(Value::Null),
        (Value::Blob(a), Value::Blob(b)) => {
            let mut out = a.clone();
            out.extend_from_slice(b);
            Ok(Value::Blob(out))
        }
        (Value::Text(_), _) | (_, Value::Text(_)) => {
            let mut s = ops::output_text(l).unwrap_or_default();
            s.push_str(&ops::output_text(r).unwrap_or_default());
            Ok(Value::Text(s))
        }
        (a, b) => Err(ops::no_operator("||", a.type_name(), b.type_name())),
    }
}
