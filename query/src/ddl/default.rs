//! DEFAULT expressions: bound with [`bind_expr`] in a scope that has no columns, no
//! aggregates, no windows, no subqueries and no parameters (PostgreSQL refuses them
//! all), and evaluated once, at CREATE TABLE, into the constant the engine stores in
//! its `ColumnDef::default`. A default that must be evaluated per row (`now()`,
//! `random()`) needs a catalog record for the expression: 0A000 until the engine has
//! one.

use covet_engine::value::{SqlType, Value};
use sqlparser::ast;

use crate::error::{QueryError, Result, SqlState};
use crate::expr::{
    bind_expr, evaluate, BindScope, NoContext, ScalarExpr, SubqueryId, SubqueryKind,
};
use crate::types::DataType;

/// The scope of a DEFAULT (or other column-free) expression.
pub(crate) struct ConstScope {
    /// The clause, for messages (`DEFAULT expression`).
    pub what: &'static str,
}

impl ConstScope {
    fn refuse(&self, thing: &str) -> QueryError {
        QueryError::new(
            SqlState::FEATURE_NOT_SUPPORTED,
            format!("cannot use {thing} in {}", self.what),
        )
    }
}

impl BindScope for ConstScope {
    fn column(&mut self, _qualifier: Option<&str>, _name: &str) -> Result<(ScalarExpr, DataType)> {
        Err(self.refuse("column reference"))
    }

    fn aggregate(&mut self, _call: &ast::Function) -> Result<(ScalarExpr, DataType)> {
        Err(QueryError::new(
            SqlState::GROUPING_ERROR,
            format!("aggregate functions are not allowed in {}", self.what),
        ))
    }

    fn window(&mut self, _call: &ast::Function) -> Result<(ScalarExpr, DataType)> {
        Err(QueryError::new(
            SqlState::WINDOWING_ERROR,
            format!("window functions are not allowed in {}", self.what),
        ))
    }

    fn subquery(
        &mut self,
        _query: &ast::Query,
        _kind: SubqueryKind,
    ) -> Result<(SubqueryId, DataType)> {
        Err(self.refuse("subquery"))
    }

    fn param(&mut self, index: usize, _hint: Option<DataType>) -> Result<DataType> {
        Err(QueryError::new(
            SqlState::UNDEFINED_PARAMETER,
            format!("there is no parameter ${}", index + 1),
        ))
    }
}

/// The constant a DEFAULT expression gives a column of type `ty`.
pub(crate) fn constant_default(expr: &ast::Expr, column: &str, ty: &SqlType) -> Result<Value> {
    let mut scope = ConstScope {
        what: "DEFAULT expression",
    };
    let (bound, data_type) = bind_expr(expr, &mut scope)?;
    if !bound.is_constant() || reads_clock_or_random(&bound) {
        return Err(QueryError::unsupported(format!(
            "DEFAULT {expr} (a default evaluated per row)"
        )));
    }
    let value = evaluate(&bound, &[], &mut NoContext { time_micros: 0 })?;
    crate::dml::coerce::to_column(value, data_type, column, ty)
}

/// Whether `expr` calls a function whose value changes between rows or statements
/// (the clock, random numbers): such a default cannot be frozen into a constant.
fn reads_clock_or_random(expr: &ScalarExpr) -> bool {
    if let ScalarExpr::Function { func, .. } = expr {
        if func.volatile
            || matches!(
                func.name,
                "now"
                    | "current_timestamp"
                    | "current_date"
                    | "current_time"
                    | "localtime"
                    | "localtimestamp"
                    | "statement_timestamp"
                    | "transaction_timestamp"
                    | "clock_timestamp"
            )
        {
            return true;
        }
    }
    let mut found = false;
    expr.for_each_child(&mut |c| found |= reads_clock_or_random(c));
    found
}
