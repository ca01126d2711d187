//! Tests of binding and evaluation through SQL text: a small [`BindScope`] with a few
//! columns, parameters, aggregates and subqueries, and an [`EvalContext`] that serves
//! them.

mod binding;
mod evaluation;
mod folding;
mod functions;

use std::sync::Arc;

use covet_engine::value::{Date, Decimal, Timestamp, Value};
use sqlparser::ast;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use super::{
    aggregate_call_parts, bind_expr, evaluate, BindScope, EvalContext, ScalarExpr, SubqueryId,
    SubqueryKind,
};
use crate::error::{QueryError, Result, SqlState};
use crate::functions::resolve_aggregate;
use crate::types::DataType;

/// The columns the test scope knows: `t.a` … (also unqualified).
pub(super) const COLUMNS: &[(&str, DataType)] = &[
    ("a", DataType::Int),
    ("b", DataType::Float),
    ("c", DataType::Text),
    ("d", DataType::Decimal),
    ("dt", DataType::Date),
    ("ts", DataType::Timestamp),
    ("j", DataType::Json),
    ("flag", DataType::Bool),
    ("n", DataType::Int),
    ("Mixed", DataType::Text),
];

/// The row the test context evaluates on, in `COLUMNS` order.
pub(super) fn row() -> Vec<Value> {
    vec![
        Value::Int(7),
        Value::Float(2.5),
        Value::Text("hello".into()),
        Value::Decimal("12.50".parse::<Decimal>().unwrap()),
        Value::Date(Date::parse("2024-02-29").unwrap()),
        Value::Timestamp(Timestamp::parse("2024-02-29 13:45:00").unwrap()),
        Value::Json(r#"{"k": [1, "two"], "s": "str"}"#.into()),
        Value::Bool(true),
        Value::Null,
        Value::Text("MiXeD".into()),
    ]
}

/// A scope over `COLUMNS`; aggregates read columns 100+, subqueries are numbered.
#[derive(Default)]
pub(super) struct TestScope {
    pub params: Vec<Option<DataType>>,
    pub aggregates: Vec<crate::functions::AggregateFunction>,
    pub subqueries: Vec<SubqueryKind>,
}

impl BindScope for TestScope {
    fn column(&mut self, qualifier: Option<&str>, name: &str) -> Result<(ScalarExpr, DataType)> {
        if let Some(q) = qualifier {
            if q != "t" {
                return Err(QueryError::new(
                    SqlState::UNDEFINED_TABLE,
                    format!("missing FROM-clause entry for table \"{q}\""),
                ));
            }
        }
        COLUMNS
            .iter()
            .position(|(n, _)| *n == name)
            .map(|i| (ScalarExpr::Column(i), COLUMNS[i].1))
            .ok_or_else(|| {
                QueryError::new(
                    SqlState::UNDEFINED_COLUMN,
                    format!("column \"{name}\" does not exist"),
                )
            })
    }

    fn aggregate(&mut self, call: &ast::Function) -> Result<(ScalarExpr, DataType)> {
        let parts = aggregate_call_parts(call)?;
        let mut types = Vec::new();
        for a in &parts.args {
            types.push(bind_expr(a, self)?.1);
        }
        let f = resolve_aggregate(&parts.name, &types, parts.distinct)?;
        let ty = f.return_type;
        self.aggregates.push(f);
        Ok((ScalarExpr::Column(100 + self.aggregates.len() - 1), ty))
    }

    fn window(&mut self, _call: &ast::Function) -> Result<(ScalarExpr, DataType)> {
        Err(QueryError::new(
            SqlState::WINDOWING_ERROR,
            "window functions are not allowed here",
        ))
    }

    fn subquery(
        &mut self,
        _query: &ast::Query,
        kind: SubqueryKind,
    ) -> Result<(SubqueryId, DataType)> {
        self.subqueries.push(kind);
        Ok((SubqueryId(self.subqueries.len() - 1), DataType::Int))
    }

    fn param(&mut self, index: usize, hint: Option<DataType>) -> Result<DataType> {
        if self.params.len() <= index {
            self.params.resize(index + 1, None);
        }
        if self.params[index].is_none() {
            self.params[index] = hint;
        }
        Ok(self.params[index].unwrap_or(DataType::Unknown))
    }
}

/// A context with parameters and canned subquery results (by id).
pub(super) struct TestContext {
    pub params: Vec<Value>,
    pub subquery_rows: Vec<Vec<Vec<Value>>>,
    pub subquery_calls: usize,
}

impl TestContext {
    pub(super) fn new() -> TestContext {
        TestContext {
            params: Vec::new(),
            subquery_rows: Vec::new(),
            subquery_calls: 0,
        }
    }
}

impl EvalContext for TestContext {
    fn params(&self) -> &[Value] {
        &self.params
    }
    fn outer_column(&self, _depth: usize, index: usize) -> Result<Value> {
        Ok(Value::Int(index as i64 * 10))
    }
    fn subquery(&mut self, id: SubqueryId, _row: &[Value]) -> Result<Arc<Vec<Vec<Value>>>> {
        self.subquery_calls += 1;
        Ok(Arc::new(
            self.subquery_rows.get(id.0).cloned().unwrap_or_default(),
        ))
    }
    fn statement_time_micros(&self) -> i64 {
        // 2024-03-01 12:30:00 UTC
        Timestamp::parse("2024-03-01 12:30:00").unwrap().micros()
    }
}

/// The expression of `SELECT <sql>`.
pub(super) fn parse(sql: &str) -> ast::Expr {
    let stmts = Parser::parse_sql(&PostgreSqlDialect {}, &format!("SELECT {sql}"))
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let ast::Statement::Query(q) = &stmts[0] else {
        panic!("not a query")
    };
    let ast::SetExpr::Select(s) = q.body.as_ref() else {
        panic!("not a select")
    };
    match &s.projection[0] {
        ast::SelectItem::UnnamedExpr(e) => e.clone(),
        ast::SelectItem::ExprWithAlias { expr, .. } => expr.clone(),
        other => panic!("unexpected {other:?}"),
    }
}

/// Binds `sql` in a fresh scope.
pub(super) fn bind(sql: &str) -> Result<(ScalarExpr, DataType)> {
    bind_expr(&parse(sql), &mut TestScope::default())
}

/// The type of `sql`.
pub(super) fn type_of(sql: &str) -> DataType {
    bind(sql).unwrap_or_else(|e| panic!("{sql}: {e}")).1
}

/// Binds and evaluates `sql` on `row()`.
pub(super) fn eval(sql: &str) -> Result<Value> {
    let (e, _) = bind(sql)?;
    evaluate(&e, &row(), &mut TestContext::new())
}

/// The value of `sql`, which must succeed.
pub(super) fn val(sql: &str) -> Value {
    eval(sql).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// The SQLSTATE `sql` fails with (at bind or evaluation).
pub(super) fn err(sql: &str) -> SqlState {
    match eval(sql) {
        Ok(v) => panic!("{sql}: expected an error, got {v:?}"),
        Err(e) => e.code,
    }
}

/// The text form of the value of `sql` (`NULL` for null).
pub(super) fn text(sql: &str) -> String {
    match val(sql) {
        Value::Float(f) => crate::ops::format_float(f),
        v => v.to_string(),
    }
}

pub(super) fn int(i: i64) -> Value {
    Value::Int(i)
}

pub(super) fn dec(s: &str) -> Value {
    Value::Decimal(s.parse().unwrap())
}

pub(super) fn txt(s: &str) -> Value {
    Value::Text(s.into())
}
