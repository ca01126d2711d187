//! Evaluation (filled by the expression branch).

use covet_engine::value::Value;

use super::{EvalContext, ScalarExpr};
use crate::error::Result;

/// Evaluates `expr` on `row`.
pub fn evaluate(expr: &ScalarExpr, row: &[Value], ctx: &mut dyn EvalContext) -> Result<Value> {
    let _ = (expr, row, ctx);
    todo!("expression branch")
}
