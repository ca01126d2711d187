//! Error-safe constant folding.

use covet_engine::value::Value;

use super::{evaluate, NoContext, ScalarExpr};

/// Whether `expr` reads a parameter (its value is unknown until execution).
fn reads_param(expr: &ScalarExpr) -> bool {
    if matches!(expr, ScalarExpr::Param(_)) {
        return true;
    }
    let mut found = false;
    expr.for_each_child(&mut |c| found |= reads_param(c));
    found
}

/// Replaces constant subexpressions by their values. Never fails: a subexpression whose
/// evaluation errors is left as it is, so the error is raised only if the row actually
/// reaches it (`CASE WHEN false THEN 1/0 END` is never an error).
///
/// Children fold first, so a constant CASE whose untaken arm errors still folds (the
/// evaluation of the whole never enters that arm). Volatile and time-dependent
/// functions (`random()`, `now()`) are not constant (`ScalarExpr::is_constant`), and
/// parameters are left for execution.
pub fn fold_constants(mut expr: ScalarExpr) -> ScalarExpr {
    expr.for_each_child_mut(&mut |child| {
        let taken = std::mem::replace(child, ScalarExpr::Literal(Value::Null));
        *child = fold_constants(taken);
    });
    if matches!(expr, ScalarExpr::Literal(_)) || !expr.is_constant() || reads_param(&expr) {
        return expr;
    }
    match evaluate(&expr, &[], &mut NoContext { time_micros: 0 }) {
        Ok(v) => ScalarExpr::Literal(v),
        Err(_) => expr,
    }
}
