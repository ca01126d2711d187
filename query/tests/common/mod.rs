//! Test tables built through the engine API, and a runner that parses, binds, plans and
//! executes one query against them.

#![allow(dead_code)]

use covet_engine::table::{ColumnDef, IndexDef, TableRead, TableSchema};
use covet_engine::value::{SortOrder, SqlType, Value};
use covet_engine::Database;
use covet_query::exec::{run_to_end, ExecSettings, ExecState};
use covet_query::{bind_query, explain, plan_query, Catalog, ParamTypes, PhysicalPlan, QueryError};
use sqlparser::ast::Statement;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

/// An integer value.
pub fn i(v: i64) -> Value {
    Value::Int(v)
}

/// A text value.
pub fn t(v: &str) -> Value {
    Value::Text(v.to_owned())
}

/// NULL.
pub const N: Value = Value::Null;

/// A database with the test tables:
///
/// * `t(a BIGINT PRIMARY KEY, b BIGINT, c TEXT)`, index `idx_t_b` on `b`:
///   (1,10,'x') (2,20,'y') (3,NULL,'x') (4,20,NULL) (5,30,'z')
/// * `u(id BIGINT PRIMARY KEY, t_a BIGINT, v TEXT)`:
///   (1,1,'one') (2,1,'uno') (3,2,'two') (4,9,'nine') (5,NULL,'none')
/// * `e(x BIGINT)`: empty, no primary key.
pub fn db() -> Database {
    let db = Database::memory().unwrap();
    let mut w = db.begin_write().unwrap();
    {
        let mut tw = w.tables();
        tw.create_table(
            TableSchema::new(
                "t",
                vec![
                    ColumnDef::new("a", SqlType::BigInt).not_null(),
                    ColumnDef::new("b", SqlType::BigInt),
                    ColumnDef::new("c", SqlType::Text),
                ],
            )
            .with_primary_key(vec![0]),
        )
        .unwrap();
        tw.create_index(IndexDef::new("idx_t_b", "t", vec![(1, SortOrder::Asc)]))
            .unwrap();
        for row in [
            vec![i(1), i(10), t("x")],
            vec![i(2), i(20), t("y")],
            vec![i(3), N, t("x")],
            vec![i(4), i(20), N],
            vec![i(5), i(30), t("z")],
        ] {
            tw.insert_row("t", row).unwrap();
        }
        tw.create_table(
            TableSchema::new(
                "u",
                vec![
                    ColumnDef::new("id", SqlType::BigInt).not_null(),
                    ColumnDef::new("t_a", SqlType::BigInt),
                    ColumnDef::new("v", SqlType::Text),
                ],
            )
            .with_primary_key(vec![0]),
        )
        .unwrap();
        for row in [
            vec![i(1), i(1), t("one")],
            vec![i(2), i(1), t("uno")],
            vec![i(3), i(2), t("two")],
            vec![i(4), i(9), t("nine")],
            vec![i(5), N, t("none")],
        ] {
            tw.insert_row("u", row).unwrap();
        }
        tw.create_table(TableSchema::new(
            "e",
            vec![ColumnDef::new("x", SqlType::BigInt)],
        ))
        .unwrap();
    }
    w.commit().unwrap();
    db
}

/// Parses, binds and plans `sql` (one query) over `tables`.
pub fn plan(tables: &dyn TableRead, sql: &str) -> Result<PhysicalPlan, QueryError> {
    let mut stmts = Parser::parse_sql(&PostgreSqlDialect {}, sql)
        .map_err(|e| QueryError::syntax(e.to_string()))?;
    assert_eq!(stmts.len(), 1, "one statement: {sql}");
    let Statement::Query(q) = stmts.remove(0) else {
        panic!("not a query: {sql}");
    };
    let catalog = Catalog::load(tables)?;
    let mut params = ParamTypes::new();
    plan_query(bind_query(&q, &catalog, &mut params)?)
}

/// Runs `sql` with `params` and settings; every row.
pub fn run_with(
    db: &Database,
    sql: &str,
    params: Vec<Value>,
    settings: ExecSettings,
) -> Result<(Vec<Vec<Value>>, ExecState), QueryError> {
    let r = db.begin_read().unwrap();
    let tables = r.tables();
    let plan = plan(&tables, sql)?;
    let mut state = ExecState::new(&plan, params).with_settings(settings);
    let rows = run_to_end(&plan, &tables, &mut state)?;
    Ok((rows, state))
}

/// Runs `sql`; every row.
pub fn run(db: &Database, sql: &str) -> Result<Vec<Vec<Value>>, QueryError> {
    run_with(db, sql, Vec::new(), ExecSettings::default()).map(|(rows, _)| rows)
}

/// Runs `sql`, which must succeed.
pub fn rows(db: &Database, sql: &str) -> Vec<Vec<Value>> {
    run(db, sql).unwrap_or_else(|e| panic!("{sql}: {e} ({})", e.code))
}

/// Runs `sql`, sorting the rows (for queries without ORDER BY), NULLs last.
pub fn sorted(db: &Database, sql: &str) -> Vec<Vec<Value>> {
    let mut r = rows(db, sql);
    r.sort_by(|a, b| {
        a.iter()
            .zip(b)
            .map(|(x, y)| match (x.is_null(), y.is_null()) {
                (true, true) => std::cmp::Ordering::Equal,
                (true, false) => std::cmp::Ordering::Greater,
                (false, true) => std::cmp::Ordering::Less,
                _ => x.sql_cmp(y),
            })
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    r
}

/// The SQLSTATE `sql` fails with.
pub fn error_code(db: &Database, sql: &str) -> String {
    match run(db, sql) {
        Ok(r) => panic!("{sql} succeeded with {r:?}"),
        Err(e) => e.code.as_str().to_owned(),
    }
}

/// The EXPLAIN lines of `sql`.
pub fn explain_sql(db: &Database, sql: &str) -> Vec<String> {
    let r = db.begin_read().unwrap();
    let tables = r.tables();
    explain(&plan(&tables, sql).unwrap_or_else(|e| panic!("{sql}: {e}")))
}
