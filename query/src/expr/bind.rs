//! Binding `sqlparser` expressions (filled by the expression branch).

use sqlparser::ast;

use super::{BindScope, ScalarExpr};
use crate::error::Result;
use crate::types::DataType;

/// Binds `expr` in `scope`: resolves operators, literals, casts, functions and
/// parameters, and hands columns, aggregates, windows and subqueries to the scope.
pub fn bind_expr(expr: &ast::Expr, scope: &mut dyn BindScope) -> Result<(ScalarExpr, DataType)> {
    let _ = (expr, scope);
    todo!("expression branch")
}
