//! Constant folding (filled by the expression branch).

use super::ScalarExpr;

/// Replaces constant subexpressions by their values. Never fails: a subexpression whose
/// evaluation errors is left as it is, so the error is raised only if the row actually
/// reaches it (`CASE WHEN false THEN 1/0 END` is never an error).
pub fn fold_constants(expr: ScalarExpr) -> ScalarExpr {
    expr
}
