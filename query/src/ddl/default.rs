//! DEFAULT expressions: bound with [`bind_expr`] in a scope that has no columns, no
//! aggregates, no windows, no subqueries and no parameters (PostgreSQL refuses them
//! all). A constant one is evaluated once, at CREATE TABLE, into the value the engine
//! stores in its `ColumnDef::default` (which old rows read after ADD COLUMN). One whose
//! value changes per row (`now()`, `random()`, an identity's `nextval('seq')`) is
//! stored as SQL text (`set_column_default_sql`) and evaluated at each INSERT
//! ([`RowDefault`]).

use covet_engine::value::{SqlType, Value};
use sqlparser::ast;

use crate::error::{QueryError, Result, SqlState};
use crate::expr::{
    bind_expr, evaluate, BindScope, EvalContext, NoContext, ScalarExpr, SubqueryId, SubqueryKind,
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

/// What a DEFAULT clause stores.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum DefaultClause {
    /// A constant, in the column's type.
    Constant(Value),
    /// An expression evaluated per row, as SQL text.
    PerRow(String),
}

/// What a DEFAULT expression gives a column of type `ty`.
pub(crate) fn default_clause(
    expr: &ast::Expr,
    column: &str,
    ty: &SqlType,
) -> Result<DefaultClause> {
    let mut scope = ConstScope {
        what: "DEFAULT expression",
    };
    let (bound, data_type) = bind_expr(expr, &mut scope)?;
    if !bound.is_constant() || reads_clock_or_random(&bound) {
        let to = crate::types::DataType::of_sql_type(ty);
        if !crate::dml::coerce::assignable(data_type, to) {
            return Err(QueryError::new(
                SqlState::DATATYPE_MISMATCH,
                format!(
                    "column \"{column}\" is of type {} but default expression is of type {}",
                    crate::ops::cast::type_name(ty),
                    data_type.name()
                ),
            ));
        }
        return Ok(DefaultClause::PerRow(expr.to_string()));
    }
    let value = evaluate(&bound, &[], &mut NoContext { time_micros: 0 })?;
    Ok(DefaultClause::Constant(crate::dml::coerce::to_column(
        value, data_type, column, ty,
    )?))
}

/// The constant a DEFAULT gives (0A000 where only a constant can be stored).
pub(crate) fn constant_default(expr: &ast::Expr, column: &str, ty: &SqlType) -> Result<Value> {
    match default_clause(expr, column, ty)? {
        DefaultClause::Constant(v) => Ok(v),
        DefaultClause::PerRow(_) => Err(QueryError::unsupported(format!(
            "DEFAULT {expr} evaluated per row here"
        ))),
    }
}

/// The default text of an identity column drawing from sequence `seq`.
pub(crate) fn nextval_sql(seq: &str) -> String {
    format!("nextval('{}')", seq.replace('\'', "''"))
}

/// A per-row default, bound for one statement.
pub(crate) enum RowDefault {
    /// The next value of a sequence (identity and SERIAL columns).
    Next(String),
    /// An expression without columns.
    Expr(ScalarExpr, DataType),
}

impl RowDefault {
    /// Binds the stored default text `sql`.
    pub fn bind(sql: &str) -> Result<RowDefault> {
        if let Some(seq) = sql
            .strip_prefix("nextval('")
            .and_then(|r| r.strip_suffix("')"))
        {
            return Ok(RowDefault::Next(seq.replace("''", "'")));
        }
        let expr = sqlparser::parser::Parser::new(&sqlparser::dialect::PostgreSqlDialect {})
            .try_with_sql(sql)
            .and_then(|mut p| p.parse_expr())
            .map_err(|e| {
                QueryError::internal(format!("stored default {sql} does not parse: {e}"))
            })?;
        let mut scope = ConstScope {
            what: "DEFAULT expression",
        };
        let (bound, ty) = bind_expr(&expr, &mut scope)?;
        Ok(RowDefault::Expr(bound, ty))
    }

    /// The default's value for one new row of column `column` (type `ty`).
    pub fn value(
        &self,
        w: &mut covet_engine::table::TableWriter<'_>,
        ctx: &mut dyn EvalContext,
        column: &str,
        ty: &SqlType,
    ) -> Result<Value> {
        match self {
            RowDefault::Next(seq) => {
                let v = Value::Int(w.nextval(seq)?);
                crate::dml::coerce::to_column(v, DataType::Int, column, ty)
            }
            RowDefault::Expr(e, dt) => {
                let v = evaluate(e, &[], ctx)?;
                crate::dml::coerce::to_column(v, *dt, column, ty)
            }
        }
    }
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
