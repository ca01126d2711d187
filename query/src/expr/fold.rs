//! Error-safe constant folding, with PostgreSQL's simplifications that only remove
//! evaluations.

use covet_engine::value::Value;

use super::{evaluate, BinaryOp, NoContext, ScalarExpr};

/// Whether `expr` reads a parameter (its value is unknown until execution).
fn reads_param(expr: &ScalarExpr) -> bool {
    if matches!(expr, ScalarExpr::Param(_)) {
        return true;
    }
    let mut found = false;
    expr.for_each_child(&mut |c| found |= reads_param(c));
    found
}

fn is_null_literal(e: &ScalarExpr) -> bool {
    matches!(e, ScalarExpr::Literal(Value::Null))
}

fn bool_literal(e: &ScalarExpr) -> Option<bool> {
    match e {
        ScalarExpr::Literal(Value::Bool(b)) => Some(*b),
        _ => None,
    }
}

/// Whether `expr` is NULL whenever one of the children tested here is a NULL literal,
/// whatever its other children are (a *strict* node, as PostgreSQL calls it): operators
/// other than AND/OR, strict function calls, casts, LIKE, and IN over a NULL operand.
fn null_by_strictness(expr: &ScalarExpr) -> bool {
    match expr {
        ScalarExpr::Unary { expr, .. } | ScalarExpr::Cast { expr, .. } => is_null_literal(expr),
        ScalarExpr::Binary { op, left, right } => {
            !matches!(op, BinaryOp::And | BinaryOp::Or)
                && (is_null_literal(left) || is_null_literal(right))
        }
        ScalarExpr::Function { func, args } => func.strict && args.iter().any(is_null_literal),
        ScalarExpr::Like {
            expr,
            pattern,
            escape,
            ..
        } => {
            is_null_literal(expr)
                || is_null_literal(pattern)
                || escape.as_deref().is_some_and(is_null_literal)
        }
        ScalarExpr::InList { expr, .. } => is_null_literal(expr),
        _ => false,
    }
}

/// Replaces constant subexpressions by their values. Never fails: a subexpression whose
/// evaluation errors is left as it is, so the error is raised only if the row actually
/// reaches it (`CASE WHEN false THEN 1/0 END` is never an error).
///
/// Children fold first, so a constant CASE whose untaken arm errors still folds (the
/// evaluation of the whole never enters that arm). Volatile and time-dependent
/// functions (`random()`, `now()`) are not constant (`ScalarExpr::is_constant`), and
/// parameters are left for execution.
///
/// Two simplifications of PostgreSQL's `eval_const_expressions` apply to non-constant
/// expressions too; each only removes evaluations, so it never adds an error or changes
/// a value that evaluation would have produced, but it may remove an error that the
/// skipped evaluation would have raised (as PostgreSQL does):
/// * a strict node with a NULL-literal child is NULL (`x / NULL`, `f(NULL, y)`,
///   `CAST(NULL AS t)`, `NULL IN (…)`);
/// * `x AND FALSE` and `FALSE AND x` are FALSE, `x OR TRUE` and `TRUE OR x` are TRUE,
///   and `x AND TRUE`, `x OR FALSE` are `x` (for a boolean `x`, exactly the same).
pub fn fold_constants(mut expr: ScalarExpr) -> ScalarExpr {
    expr.for_each_child_mut(&mut |child| {
        let taken = std::mem::replace(child, ScalarExpr::Literal(Value::Null));
        *child = fold_constants(taken);
    });
    if null_by_strictness(&expr) {
        return ScalarExpr::Literal(Value::Null);
    }
    if let ScalarExpr::Binary {
        op: op @ (BinaryOp::And | BinaryOp::Or),
        left,
        right,
    } = &mut expr
    {
        // The value that decides the operator (FALSE for AND) and the one it ignores.
        let decisive = *op == BinaryOp::Or;
        match (bool_literal(left), bool_literal(right)) {
            (Some(b), _) | (_, Some(b)) if b == decisive => {
                return ScalarExpr::Literal(Value::Bool(decisive))
            }
            (Some(_), _) => {
                return std::mem::replace(right.as_mut(), ScalarExpr::Literal(Value::Null))
            }
            (_, Some(_)) => {
                return std::mem::replace(left.as_mut(), ScalarExpr::Literal(Value::Null))
            }
            _ => {}
        }
    }
    if matches!(expr, ScalarExpr::Literal(_)) || !expr.is_constant() || reads_param(&expr) {
        return expr;
    }
    match evaluate(&expr, &[], &mut NoContext { time_micros: 0 }) {
        Ok(v) => ScalarExpr::Literal(v),
        Err(_) => expr,
    }
}
