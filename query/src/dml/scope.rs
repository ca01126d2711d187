//! Binding and evaluating the expressions of a DML statement over rows of its target
//! table: VALUES items (no columns), RETURNING, ON CONFLICT DO UPDATE (the target row,
//! then `excluded.*`), and UPDATE/DELETE without FROM/USING (the target row).
//!
//! A row seen by these expressions is the concatenation of the relations in scope, in
//! order; `Column(i)` indexes it. Subqueries need the planner's query blocks: 0A000 here.

use std::sync::Arc;

use covet_engine::value::{SqlType, Value};
use sqlparser::ast;

use crate::error::{QueryError, Result, SqlState};
use crate::expr::{bind_expr, BindScope, EvalContext, ScalarExpr, SubqueryId, SubqueryKind};
use crate::types::DataType;

/// A relation visible to the expressions: its name (or alias) and columns.
#[derive(Debug, Clone)]
pub(crate) struct Relation {
    pub name: String,
    pub columns: Vec<(String, SqlType)>,
}

/// What the expressions of one statement see, and the parameter types they fix.
pub(crate) struct RowScope<'a> {
    pub relations: &'a [Relation],
    pub params: &'a mut Vec<DataType>,
    /// The clause, for messages (`RETURNING`, `VALUES`).
    pub what: &'static str,
}

impl RowScope<'_> {
    /// Binds `expr`.
    pub fn bind(&mut self, expr: &ast::Expr) -> Result<(ScalarExpr, DataType)> {
        bind_expr(expr, self)
    }

    /// Binds a value stored into a column: a quoted literal is of unknown type there
    /// (PostgreSQL reads `'1'` as the column's type), whatever the binder calls it.
    pub fn bind_value(&mut self, expr: &ast::Expr) -> Result<(ScalarExpr, DataType)> {
        let (bound, ty) = bind_expr(expr, self)?;
        let untyped = matches!(
            expr,
            ast::Expr::Value(v) if matches!(
                v.value,
                ast::Value::SingleQuotedString(_)
                    | ast::Value::EscapedStringLiteral(_)
                    | ast::Value::DollarQuotedString(_)
                    | ast::Value::Null
            )
        );
        Ok((bound, if untyped { DataType::Unknown } else { ty }))
    }
}

impl BindScope for RowScope<'_> {
    fn column(&mut self, qualifier: Option<&str>, name: &str) -> Result<(ScalarExpr, DataType)> {
        let mut offset = 0;
        let mut found = None;
        for rel in self.relations {
            if qualifier.is_none_or(|q| q == rel.name) {
                if let Some(i) = rel.columns.iter().position(|(c, _)| c == name) {
                    if found.is_some() {
                        return Err(QueryError::new(
                            SqlState::AMBIGUOUS_COLUMN,
                            format!("column reference \"{name}\" is ambiguous"),
                        ));
                    }
                    found = Some((offset + i, DataType::of_sql_type(&rel.columns[i].1)));
                }
            }
            offset += rel.columns.len();
        }
        if let Some((i, ty)) = found {
            return Ok((ScalarExpr::Column(i), ty));
        }
        match qualifier {
            Some(q) if !self.relations.iter().any(|r| r.name == q) => Err(QueryError::new(
                SqlState::UNDEFINED_TABLE,
                format!("missing FROM-clause entry for table \"{q}\""),
            )),
            Some(q) => Err(QueryError::new(
                SqlState::UNDEFINED_COLUMN,
                format!("column {q}.{name} does not exist"),
            )),
            None => Err(QueryError::new(
                SqlState::UNDEFINED_COLUMN,
                format!("column \"{name}\" does not exist"),
            )),
        }
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
        Err(QueryError::unsupported(format!(
            "subqueries in {}",
            self.what
        )))
    }

    fn param(&mut self, index: usize, hint: Option<DataType>) -> Result<DataType> {
        if self.params.len() <= index {
            self.params.resize(index + 1, DataType::Unknown);
        }
        if self.params[index] == DataType::Unknown {
            if let Some(h) = hint {
                self.params[index] = h;
            }
        }
        Ok(self.params[index])
    }
}

/// The evaluation context of one DML statement: its parameters and start time.
pub(crate) struct StatementContext<'a> {
    pub params: &'a [Value],
    pub time_micros: i64,
}

impl EvalContext for StatementContext<'_> {
    fn params(&self) -> &[Value] {
        self.params
    }

    fn outer_column(&self, _depth: usize, _index: usize) -> Result<Value> {
        Err(QueryError::internal(
            "an outer column reference in a DML expression",
        ))
    }

    fn subquery(&mut self, _id: SubqueryId, _row: &[Value]) -> Result<Arc<Vec<Vec<Value>>>> {
        Err(QueryError::internal("a subquery in a DML expression"))
    }

    fn statement_time_micros(&self) -> i64 {
        self.time_micros
    }
}

/// The current time in microseconds since 1970 (a statement's `now()`).
pub(crate) fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Whether a WHERE value lets the row through (only TRUE does).
pub(crate) fn is_true(v: &Value) -> Result<bool> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::Null => Ok(false),
        other => Err(QueryError::new(
            SqlState::DATATYPE_MISMATCH,
            format!(
                "argument of WHERE must be type boolean, not type {}",
                DataType::of_value(other).name()
            ),
        )),
    }
}
