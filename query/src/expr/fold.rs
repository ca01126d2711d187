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
/// other than AND/OR, strict function calls, casts, LIKE, IN over a NULL operand or
/// `IN (NULL)`, and
/// BETWEEN over a NULL operand or two NULL bounds.
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
        // `x IN (NULL)` is `x = NULL` (PostgreSQL rewrites a one-element IN so, and
        // folds it; a longer list is `= ANY (ARRAY[…])`, which it evaluates).
        ScalarExpr::InList { expr, list, .. } => {
            is_null_literal(expr) || matches!(list.as_slice(), [only] if is_null_literal(only))
        }
        // `x BETWEEN l AND h` is `x >= l AND x <= h` (SYMMETRIC: or with l, h swapped):
        // both comparisons are NULL when x is, or when l and h both are.
        ScalarExpr::Between {
            expr, low, high, ..
        } => is_null_literal(expr) || (is_null_literal(low) && is_null_literal(high)),
        _ => false,
    }
}

/// `COALESCE` without its NULL literals and without what follows its first non-NULL
/// literal (never evaluated); one argument left is that argument.
fn simplify_coalesce(args: Vec<ScalarExpr>) -> ScalarExpr {
    let mut kept = Vec::with_capacity(args.len());
    for a in args {
        if is_null_literal(&a) {
            continue;
        }
        let stop = matches!(a, ScalarExpr::Literal(_));
        kept.push(a);
        if stop {
            break;
        }
    }
    match kept.len() {
        0 => ScalarExpr::Literal(Value::Null),
        1 => kept.pop().unwrap_or(ScalarExpr::Literal(Value::Null)),
        _ => ScalarExpr::Coalesce(kept),
    }
}

/// Whether a WHEN arm is decided now: `Some(true)` taken, `Some(false)` never taken,
/// `None` only known per row (or its comparison would fail: left for the row).
fn arm_decided(operand: Option<&ScalarExpr>, when: &ScalarExpr) -> Option<bool> {
    match operand {
        None => match when {
            ScalarExpr::Literal(Value::Bool(b)) => Some(*b),
            ScalarExpr::Literal(Value::Null) => Some(false),
            _ => None,
        },
        Some(ScalarExpr::Literal(o)) => match when {
            ScalarExpr::Literal(w) => crate::ops::values_equal(o, w).ok().map(|e| e == Some(true)),
            _ => None,
        },
        // `x = NULL` is never TRUE, whatever x is.
        Some(_) => is_null_literal(when).then_some(false),
    }
}

/// `CASE` without its arms that are never taken; an arm taken for sure ends it (its
/// result, if no undecided arm comes before); no arm left is the ELSE.
fn simplify_case(
    operand: Option<Box<ScalarExpr>>,
    branches: Vec<(ScalarExpr, ScalarExpr)>,
    else_expr: Option<Box<ScalarExpr>>,
) -> ScalarExpr {
    let mut kept: Vec<(ScalarExpr, ScalarExpr)> = Vec::with_capacity(branches.len());
    let mut else_expr = else_expr;
    for (when, then) in branches {
        match arm_decided(operand.as_deref(), &when) {
            Some(false) => continue,
            Some(true) => {
                // Taken whenever the row gets here: it is the ELSE of what is kept.
                else_expr = Some(Box::new(then));
                break;
            }
            None => kept.push((when, then)),
        }
    }
    // With a constant operand, dropping the operand is only allowed when no arm is
    // left to compare it with.
    if kept.is_empty() {
        return else_expr.map_or(ScalarExpr::Literal(Value::Null), |e| *e);
    }
    ScalarExpr::Case {
        operand,
        branches: kept,
        else_expr,
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
///   and `x AND TRUE`, `x OR FALSE` are `x` (for a boolean `x`, exactly the same);
/// * `COALESCE` drops NULL literals and everything after a non-NULL literal; `CASE` drops
///   arms that are never taken and ends at an arm that is always taken
///   (`COALESCE(-86, x)` is -86, `CASE WHEN 1 = 1 THEN a ELSE b END` is `a`).
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
    let expr = match expr {
        ScalarExpr::Coalesce(args) => simplify_coalesce(args),
        ScalarExpr::Case {
            operand,
            branches,
            else_expr,
        } => simplify_case(operand, branches, else_expr),
        other => other,
    };
    if matches!(expr, ScalarExpr::Literal(_)) || !expr.is_constant() || reads_param(&expr) {
        return expr;
    }
    match evaluate(&expr, &[], &mut NoContext { time_micros: 0 }) {
        Ok(v) => ScalarExpr::Literal(v),
        Err(_) => expr,
    }
}
