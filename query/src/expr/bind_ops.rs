//! Binding operators and the forms built from them: binary and unary operators (with
//! the unknown-literal rule), LIKE, CASE, CAST, and the quantified subquery forms
//! (IN, ANY, ALL). The dispatch over the AST is in `bind.rs`.

use covet_engine::value::Value;
use sqlparser::ast::{self, BinaryOperator, UnaryOperator};

use super::bind::{bind, coerce_to, number_literal, unify, Bound, Origin};
use super::coerce::{
    self, binary_result_type, expect_bool, is_comparison, literal_target, op_symbol,
};
use super::{bind_call, BinaryOp, BindScope, ScalarExpr, SubqueryKind, UnaryOp};
use crate::error::{QueryError, Result, SqlState};
use crate::ops;
use crate::types::DataType;

fn boxed(b: Bound) -> Box<ScalarExpr> {
    Box::new(b.expr)
}

/// `CAST(b AS to)`: a string literal is converted now (a bad one is an error now, as in
/// PostgreSQL); a typed value is checked castable (42846) and cast at run time.
pub(crate) fn bind_cast(
    b: Bound,
    to: covet_engine::value::SqlType,
    scope: &mut dyn BindScope,
) -> Result<Bound> {
    let ty = DataType::of_sql_type(&to);
    match &b.origin {
        Origin::Text(s) => {
            let v = ops::cast_explicit(&Value::Text(s.clone()), &to)?;
            Ok(Bound::typed(ScalarExpr::Literal(v), ty))
        }
        Origin::Null => Ok(Bound::typed(ScalarExpr::Literal(Value::Null), ty)),
        Origin::Param(i) => {
            // Records the cast's type as the parameter's, if it has none yet.
            scope.param(*i, Some(ty))?;
            Ok(Bound::typed(
                ScalarExpr::Cast {
                    expr: Box::new(b.expr),
                    to,
                },
                ty,
            ))
        }
        Origin::Typed => {
            if !castable(b.ty, ty) {
                return Err(QueryError::new(
                    SqlState::CANNOT_COERCE,
                    format!("cannot cast type {} to {}", b.ty, ops::cast::type_name(&to)),
                ));
            }
            Ok(Bound::typed(
                ScalarExpr::Cast {
                    expr: Box::new(b.expr),
                    to,
                },
                ty,
            ))
        }
    }
}

/// Whether a cast from `from` to `to` exists (what `ops::cast` can do for some value).
pub fn castable(from: DataType, to: DataType) -> bool {
    use DataType::*;
    if from == to || from == Unknown || to == Text || from == Text {
        return true;
    }
    match to {
        Bool => matches!(from, Int),
        Int => matches!(from, Bool | Float | Decimal),
        Float | Decimal => from.is_numeric(),
        Date => matches!(from, Timestamp | TimestampTz),
        Time => matches!(from, Timestamp | TimestampTz | Interval),
        Timestamp | TimestampTz => matches!(from, Date | Timestamp | TimestampTz),
        Interval => matches!(from, Time),
        _ => false,
    }
}

pub(super) fn bind_quantified(
    left: Bound,
    q: &ast::Query,
    kind: SubqueryKind,
    negated: bool,
    scope: &mut dyn BindScope,
) -> Result<Bound> {
    let (id, ty) = scope.subquery(q, kind)?;
    let left = coerce_to(left, ty, scope)?;
    let left = coerce_to(left, DataType::Unknown, scope)?;
    let op = match kind {
        SubqueryKind::Any(op) | SubqueryKind::All(op) => op,
        _ => BinaryOp::Eq,
    };
    if left.ty != DataType::Unknown && ty != DataType::Unknown && !coerce::comparable(left.ty, ty) {
        return Err(ops::no_operator(op_symbol(op), left.ty.name(), ty.name()));
    }
    Ok(Bound::typed(
        ScalarExpr::Subquery {
            id,
            kind,
            expr: Some(boxed(left)),
            negated,
        },
        DataType::Bool,
    ))
}

pub(super) fn comparison_op(op: &BinaryOperator) -> Result<BinaryOp> {
    Ok(match op {
        BinaryOperator::Eq => BinaryOp::Eq,
        BinaryOperator::NotEq => BinaryOp::NotEq,
        BinaryOperator::Lt => BinaryOp::Lt,
        BinaryOperator::LtEq => BinaryOp::LtEq,
        BinaryOperator::Gt => BinaryOp::Gt,
        BinaryOperator::GtEq => BinaryOp::GtEq,
        other => {
            return Err(QueryError::unsupported(format!(
                "ANY/ALL with operator {other}"
            )))
        }
    })
}

pub(super) fn bind_binary_ast(
    left: &ast::Expr,
    op: &BinaryOperator,
    right: &ast::Expr,
    scope: &mut dyn BindScope,
) -> Result<Bound> {
    use BinaryOperator as B;
    let op = match op {
        B::Plus => BinaryOp::Add,
        B::Minus => BinaryOp::Sub,
        B::Multiply => BinaryOp::Mul,
        B::Divide => BinaryOp::Div,
        B::Modulo => BinaryOp::Mod,
        B::StringConcat => BinaryOp::Concat,
        B::Eq => BinaryOp::Eq,
        B::NotEq => BinaryOp::NotEq,
        B::Lt => BinaryOp::Lt,
        B::LtEq => BinaryOp::LtEq,
        B::Gt => BinaryOp::Gt,
        B::GtEq => BinaryOp::GtEq,
        B::And => BinaryOp::And,
        B::Or => BinaryOp::Or,
        B::BitwiseAnd => BinaryOp::BitAnd,
        B::BitwiseOr => BinaryOp::BitOr,
        B::PGBitwiseXor | B::BitwiseXor => BinaryOp::BitXor,
        B::PGBitwiseShiftLeft => BinaryOp::ShiftLeft,
        B::PGBitwiseShiftRight => BinaryOp::ShiftRight,
        B::Arrow => BinaryOp::JsonGet,
        B::LongArrow => BinaryOp::JsonGetText,
        B::HashArrow => BinaryOp::JsonPath,
        B::HashLongArrow => BinaryOp::JsonPathText,
        B::MyIntegerDivide | B::DuckIntegerDivide => {
            // MySQL's `a DIV b`: PostgreSQL's div(a, b), division truncated to an integer.
            let args = vec![bind(left, scope)?, bind(right, scope)?];
            return bind_call::call("div", args, scope);
        }
        B::PGExp => {
            let args = vec![bind(left, scope)?, bind(right, scope)?];
            return bind_call::call("power", args, scope);
        }
        B::PGLikeMatch | B::PGILikeMatch | B::PGNotLikeMatch | B::PGNotILikeMatch => {
            let ci = matches!(op, B::PGILikeMatch | B::PGNotILikeMatch);
            let negated = matches!(op, B::PGNotLikeMatch | B::PGNotILikeMatch);
            return bind_like(left, right, None, ci, negated, scope);
        }
        B::Is | B::IsNot => {
            // SQLite's `a IS b` is IS NOT DISTINCT FROM.
            let (l, r) = bind_compared(BinaryOp::Eq, left, right, scope)?;
            return Ok(Bound::typed(
                ScalarExpr::IsDistinctFrom {
                    left: boxed(l),
                    right: boxed(r),
                    negated: matches!(op, B::Is),
                },
                DataType::Bool,
            ));
        }
        other => return Err(QueryError::unsupported(format!("the operator {other}"))),
    };
    let l = bind(left, scope)?;
    let r = bind(right, scope)?;
    bind_binary(op, l, r, scope)
}

/// Types `l op r` (casting unknown operands) and builds the node.
pub(crate) fn bind_binary(
    op: BinaryOp,
    l: Bound,
    r: Bound,
    scope: &mut dyn BindScope,
) -> Result<Bound> {
    let (l, r) = resolve_operands(op, l, r, scope)?;
    let ty = binary_result_type(op, l.ty, r.ty)?;
    Ok(Bound::typed(
        ScalarExpr::Binary {
            op,
            left: boxed(l),
            right: boxed(r),
        },
        ty,
    ))
}

/// Gives unknown operands of `op` their types from the other side.
pub(super) fn resolve_operands(
    op: BinaryOp,
    l: Bound,
    r: Bound,
    scope: &mut dyn BindScope,
) -> Result<(Bound, Bound)> {
    let arithmetic = matches!(
        op,
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod
    );
    Ok(match (l.is_unknown(), r.is_unknown()) {
        (true, false) => {
            let t = literal_target(op, r.ty);
            (coerce_to(l, t, scope)?, r)
        }
        (false, true) => {
            let t = literal_target(op, l.ty);
            (l, coerce_to(r, t, scope)?)
        }
        (true, true) => {
            let any_text =
                matches!(l.origin, Origin::Text(_)) || matches!(r.origin, Origin::Text(_));
            if arithmetic && any_text {
                return Err(QueryError::new(
                    SqlState::AMBIGUOUS_FUNCTION,
                    format!("operator is not unique: unknown {} unknown", op_symbol(op)),
                ));
            }
            let t = match op {
                BinaryOp::And | BinaryOp::Or => DataType::Bool,
                _ if any_text => DataType::Text,
                _ => DataType::Unknown,
            };
            (coerce_to(l, t, scope)?, coerce_to(r, t, scope)?)
        }
        (false, false) => (l, r),
    })
}

/// Binds the two sides of a comparison-like construct and checks they compare.
pub(super) fn bind_compared(
    op: BinaryOp,
    l: &ast::Expr,
    r: &ast::Expr,
    scope: &mut dyn BindScope,
) -> Result<(Bound, Bound)> {
    let l = bind(l, scope)?;
    let r = bind(r, scope)?;
    let (l, r) = resolve_operands(op, l, r, scope)?;
    debug_assert!(is_comparison(op));
    binary_result_type(op, l.ty, r.ty)?;
    Ok((l, r))
}

pub(super) fn bind_unary(
    op: UnaryOperator,
    e: &ast::Expr,
    scope: &mut dyn BindScope,
) -> Result<Bound> {
    match op {
        UnaryOperator::Minus => {
            // `-9223372036854775808` is one literal, not the negation of a too-large one.
            if let ast::Expr::Value(v) = e {
                if let ast::Value::Number(n, _) = &v.value {
                    return number_literal(&format!("-{n}"));
                }
            }
            let b = bind(e, scope)?;
            let b = coerce_to(b, DataType::Unknown, scope)?;
            match b.ty {
                t if t.is_numeric() || t == DataType::Interval || t == DataType::Unknown => {
                    Ok(Bound::typed(
                        ScalarExpr::Unary {
                            op: UnaryOp::Neg,
                            expr: boxed(b),
                        },
                        t,
                    ))
                }
                t => Err(ops::no_unary_operator("-", t.name())),
            }
        }
        UnaryOperator::Plus => {
            // SQLite's `+x` is the identity on any type (PostgreSQL has it for numbers
            // only); returning the operand unchanged can never be a wrong answer, and
            // the SQLite corpus writes `+ col` on text columns. See COMPAT.md.
            let b = coerce_to(bind(e, scope)?, DataType::Unknown, scope)?;
            let t = b.visible_type();
            Ok(Bound::typed(
                ScalarExpr::Unary {
                    op: UnaryOp::Plus,
                    expr: boxed(b),
                },
                t,
            ))
        }
        UnaryOperator::Not | UnaryOperator::BangNot => {
            let b = coerce_to(bind(e, scope)?, DataType::Bool, scope)?;
            expect_bool(b.ty, "NOT")?;
            Ok(Bound::typed(
                ScalarExpr::Unary {
                    op: UnaryOp::Not,
                    expr: boxed(b),
                },
                DataType::Bool,
            ))
        }
        UnaryOperator::BitwiseNot => {
            let b = coerce_to(bind(e, scope)?, DataType::Int, scope)?;
            if !matches!(b.ty, DataType::Int | DataType::Unknown) {
                return Err(ops::no_unary_operator("~", b.ty.name()));
            }
            Ok(Bound::typed(
                ScalarExpr::Unary {
                    op: UnaryOp::BitNot,
                    expr: boxed(b),
                },
                DataType::Int,
            ))
        }
        UnaryOperator::PGAbs => {
            let b = bind(e, scope)?;
            bind_call::call("abs", vec![b], scope)
        }
        UnaryOperator::PGSquareRoot => {
            let b = bind(e, scope)?;
            bind_call::call("sqrt", vec![b], scope)
        }
        UnaryOperator::PGCubeRoot => {
            let b = bind(e, scope)?;
            bind_call::call("cbrt", vec![b], scope)
        }
        other => Err(QueryError::unsupported(format!(
            "the prefix operator {other}"
        ))),
    }
}

pub(super) fn bind_like(
    e: &ast::Expr,
    pattern: &ast::Expr,
    escape: Option<&ast::Expr>,
    case_insensitive: bool,
    negated: bool,
    scope: &mut dyn BindScope,
) -> Result<Bound> {
    let symbol = if case_insensitive { "~~*" } else { "~~" };
    let e = coerce_to(bind(e, scope)?, DataType::Text, scope)?;
    let p = coerce_to(bind(pattern, scope)?, DataType::Text, scope)?;
    let text_like = |t: DataType| matches!(t, DataType::Text | DataType::Unknown);
    if !text_like(e.ty) || !text_like(p.ty) {
        return Err(ops::no_operator(symbol, e.ty.name(), p.ty.name()));
    }
    let escape = match escape {
        None => None,
        Some(x) => {
            let b = coerce_to(bind(x, scope)?, DataType::Text, scope)?;
            if !text_like(b.ty) {
                return Err(ops::no_operator("ESCAPE", "text", b.ty.name()));
            }
            Some(boxed(b))
        }
    };
    Ok(Bound::typed(
        ScalarExpr::Like {
            expr: boxed(e),
            pattern: boxed(p),
            escape,
            case_insensitive,
            negated,
        },
        DataType::Bool,
    ))
}

pub(super) fn bind_case(
    operand: Option<&ast::Expr>,
    conditions: &[ast::CaseWhen],
    else_result: Option<&ast::Expr>,
    scope: &mut dyn BindScope,
) -> Result<Bound> {
    let (operand, whens) = match operand {
        Some(o) => {
            let mut items = vec![bind(o, scope)?];
            for c in conditions {
                items.push(bind(&c.condition, scope)?);
            }
            let (items, _) = unify("CASE/WHEN", items, scope)?;
            let mut it = items.into_iter();
            let first = it.next().map(boxed);
            (first, it.map(|b| b.expr).collect::<Vec<_>>())
        }
        None => {
            let mut whens = Vec::with_capacity(conditions.len());
            for c in conditions {
                let b = coerce_to(bind(&c.condition, scope)?, DataType::Bool, scope)?;
                expect_bool(b.ty, "CASE/WHEN")?;
                whens.push(b.expr);
            }
            (None, whens)
        }
    };
    let mut results = Vec::with_capacity(conditions.len() + 1);
    for c in conditions {
        results.push(bind(&c.result, scope)?);
    }
    let has_else = else_result.is_some();
    if let Some(e) = else_result {
        results.push(bind(e, scope)?);
    }
    let (mut results, ty) = unify("CASE", results, scope)?;
    let else_expr = if has_else {
        results.pop().map(boxed)
    } else {
        None
    };
    let branches = whens
        .into_iter()
        .zip(results.into_iter().map(|b| b.expr))
        .collect();
    Ok(Bound::typed(
        ScalarExpr::Case {
            operand,
            branches,
            else_expr,
        },
        ty,
    ))
}
