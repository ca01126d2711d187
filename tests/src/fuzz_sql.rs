//! The logic of the `sql` fuzz target (`fuzz/fuzz_targets/sql.rs`): arbitrary bytes become
//! SQL that runs through parse → bind → plan → execute on a small database, so that no
//! input can panic the SQL layer or damage the file. Kept here so that
//! `tests/tests/fuzz_sql_smoke.rs` runs it on the stable toolchain too.
//!
//! An input is decoded in one of two ways, chosen by its first byte:
//!
//! * raw: the rest of the bytes, as (lossy) UTF-8 SQL text — finds what the parser and
//!   the statement splitter do with garbage;
//! * tokens: each byte picks a token from [`VOCABULARY`] (keywords, the fixture's table
//!   and column names, literals of every type, operators, punctuation), so that most
//!   inputs parse and reach the binder, the planner and the executor.
//!
//! What is asserted: every statement returns `Ok` or a typed `QueryError` (a panic fails
//! the input); rows are read to the end (at most [`MAX_ROWS`] per statement); afterwards
//! the database passes the integrity check and the session still answers a query.
//!
//! Left out on purpose: `WITH RECURSIVE`, whose unbounded recursion is a legitimate
//! infinite query (PostgreSQL loops too) until covet has a statement timeout.

use covet_engine::value::Value;
use covet_query::{Engine, Outcome, Session};

/// Rows read from one statement's result at most (a cross join of the fixture can be
/// large; reading more adds time, not coverage).
pub const MAX_ROWS: usize = 2_000;

/// Statements run from one input at most.
pub const MAX_STATEMENTS: usize = 16;

/// The fixture: three small tables with NULLs, an index, a view-free schema.
pub const FIXTURE: &str = "
CREATE TABLE t1 (a INTEGER PRIMARY KEY, b TEXT, c DOUBLE PRECISION, d BOOLEAN);
CREATE TABLE t2 (x INTEGER, y TEXT, z NUMERIC(10,2));
CREATE INDEX t2_x ON t2 (x);
CREATE TABLE t3 (k BIGINT PRIMARY KEY, v TEXT UNIQUE, w DATE);
INSERT INTO t1 VALUES (1, 'one', 1.5, true), (2, NULL, -0.25, false), (3, 'three', NULL, NULL), (4, '', 1e10, true);
INSERT INTO t2 VALUES (1, 'a', 1.25), (1, NULL, NULL), (NULL, 'c', -3.50), (5, 'e', 100.00);
INSERT INTO t3 VALUES (10, 'ten', DATE '2020-01-31'), (20, NULL, NULL), (30, 'thirty', DATE '1999-12-31');
";

/// The tokens a byte picks in token mode (index = byte modulo the length).
pub const VOCABULARY: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "GROUP BY",
    "HAVING",
    "ORDER BY",
    "LIMIT",
    "OFFSET",
    "DISTINCT",
    "ALL",
    "AS",
    "JOIN",
    "LEFT JOIN",
    "RIGHT JOIN",
    "FULL JOIN",
    "CROSS JOIN",
    "NATURAL JOIN",
    "ON",
    "USING",
    "UNION",
    "UNION ALL",
    "INTERSECT",
    "EXCEPT",
    "WITH",
    "IN",
    "NOT",
    "AND",
    "OR",
    "IS",
    "NULL",
    "TRUE",
    "FALSE",
    "BETWEEN",
    "LIKE",
    "ILIKE",
    "ESCAPE",
    "EXISTS",
    "ANY",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "CAST",
    "INTEGER",
    "TEXT",
    "BIGINT",
    "NUMERIC",
    "DATE",
    "BOOLEAN",
    "DOUBLE PRECISION",
    "VARCHAR(3)",
    "INSERT INTO",
    "VALUES",
    "UPDATE",
    "SET",
    "DELETE FROM",
    "RETURNING",
    "ON CONFLICT",
    "DO NOTHING",
    "DO UPDATE SET",
    "CREATE TABLE",
    "CREATE INDEX",
    "CREATE VIEW",
    "DROP TABLE",
    "DROP INDEX",
    "ALTER TABLE",
    "ADD COLUMN",
    "DROP COLUMN",
    "RENAME TO",
    "PRIMARY KEY",
    "UNIQUE",
    "CHECK",
    "REFERENCES",
    "DEFAULT",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "SAVEPOINT s",
    "ROLLBACK TO s",
    "RELEASE s",
    "EXPLAIN",
    "TRUNCATE",
    "OVER",
    "PARTITION BY",
    "ROWS",
    "RANGE",
    "UNBOUNDED PRECEDING",
    "CURRENT ROW",
    "FOLLOWING",
    "FILTER",
    "NULLS FIRST",
    "NULLS LAST",
    "ASC",
    "DESC",
    "t1",
    "t2",
    "t3",
    "v1",
    "a",
    "b",
    "c",
    "d",
    "x",
    "y",
    "z",
    "k",
    "v",
    "w",
    "t1.a",
    "t2.x",
    "t3.k",
    "*",
    "count(*)",
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "string_agg",
    "row_number()",
    "rank()",
    "lag",
    "abs",
    "length",
    "upper",
    "substr",
    "coalesce",
    "nullif",
    "round",
    "now()",
    "0",
    "1",
    "2",
    "-1",
    "9223372036854775807",
    "-9223372036854775808",
    "2147483648",
    "1.5",
    "0.0",
    "1e308",
    "'x'",
    "''",
    "'%'",
    "'2020-02-30'",
    "'1'",
    "'abc'",
    "$1",
    "(",
    ")",
    "(",
    ")",
    ",",
    ",",
    ";",
    "+",
    "-",
    "*",
    "/",
    "%",
    "||",
    "=",
    "<>",
    "<",
    "<=",
    ">",
    ">=",
    "::",
    ".",
    "SELECT 1",
    "(SELECT",
];

/// Decodes `data` into SQL text (see the module docs).
pub fn decode_sql(data: &[u8]) -> String {
    match data.split_first() {
        None => String::new(),
        Some((mode, rest)) if mode % 2 == 0 => String::from_utf8_lossy(rest).into_owned(),
        Some((_, rest)) => {
            let mut sql = String::new();
            for b in rest {
                sql.push_str(VOCABULARY[*b as usize % VOCABULARY.len()]);
                sql.push(' ');
            }
            sql
        }
    }
}

/// Builds the fixture database and its session.
pub fn fixture() -> Session {
    let db = covet_engine::Database::memory().expect("a memory database opens");
    let mut session = Session::new(Engine::new(db));
    session
        .execute_batch(FIXTURE)
        .unwrap_or_else(|e| panic!("the fuzz fixture must load: {} {e}", e.code));
    session
}

/// Runs one input (see the module docs). Panics only through its assertions (or a bug).
pub fn run_sql(data: &[u8]) {
    let sql = decode_sql(data);
    let mut session = fixture();
    run_script(&mut session, &sql);
    let report = session
        .engine()
        .database()
        .check_integrity()
        .expect("the integrity check runs");
    assert!(
        report.is_ok(),
        "SQL left the database damaged: {:?}\nSQL: {sql}",
        report.problems
    );
    // Whatever the input did (an open or failed transaction included), the session
    // must still answer once the block is ended.
    let _ = session.execute_sql("ROLLBACK", &[]);
    match session.execute_sql("SELECT 1", &[]) {
        Ok(Outcome::Rows(rows)) => {
            let rows: Vec<_> = rows.collect();
            assert_eq!(
                rows.len(),
                1,
                "SELECT 1 after the input returned {} rows",
                rows.len()
            );
            let row = rows.into_iter().next().expect("one row");
            assert_eq!(row.expect("SELECT 1 succeeds"), vec![Value::Int(1)]);
        }
        Ok(Outcome::Done(tag)) => panic!("SELECT 1 returned no rows but {tag:?}"),
        Err(e) => panic!(
            "SELECT 1 after the input failed: {} {e}\nSQL: {sql}",
            e.code
        ),
    }
}

/// Runs each statement of `sql`, reading rows; errors are expected, panics are bugs.
fn run_script(session: &mut Session, sql: &str) {
    let statements = match Session::split_statements(sql) {
        Ok(s) => s,
        Err(_) => {
            // An unsplittable script (an unterminated string, …) still goes through the
            // parser as one statement, which must reject it cleanly.
            let _ = session.prepare(sql);
            return;
        }
    };
    for stmt in statements.iter().take(MAX_STATEMENTS) {
        let params = [Value::Int(1)];
        match session.execute_sql(&stmt.sql, &params) {
            Ok(Outcome::Rows(rows)) => {
                for row in rows.take(MAX_ROWS) {
                    if row.is_err() {
                        break;
                    }
                }
            }
            Ok(Outcome::Done(_)) | Err(_) => {}
        }
    }
}
