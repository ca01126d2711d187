//! Queries through sessions: streams, prepared statements re-planned after DDL, the
//! plan cache, EXPLAIN, and what a stream reads through inside and outside blocks.

use std::sync::Arc;

use covet_engine::value::Value;
use covet_engine::Database;
use covet_query::{Engine, Outcome, Session, SqlState};

fn session() -> (Arc<Engine>, Session) {
    let e = Engine::new(Database::memory().unwrap());
    let s = Session::new(e.clone());
    (e, s)
}

fn run(s: &mut Session, sql: &str) {
    if let Err(e) = s.execute_batch(sql) {
        panic!("{sql}: {} {}", e.code, e.message);
    }
}

fn query(s: &mut Session, sql: &str, params: &[Value]) -> Vec<Vec<Value>> {
    match s.execute_sql(sql, params) {
        Ok(Outcome::Rows(r)) => r.map(|row| row.unwrap()).collect(),
        Ok(Outcome::Done(t)) => panic!("{sql}: no rows, {t:?}"),
        Err(e) => panic!("{sql}: {} {}", e.code, e.message),
    }
}

fn err(s: &mut Session, sql: &str) -> SqlState {
    match s.execute_sql(sql, &[]) {
        Ok(Outcome::Rows(r)) => {
            for row in r {
                if let Err(e) = row {
                    return e.code;
                }
            }
            panic!("{sql}: succeeded")
        }
        Ok(_) => panic!("{sql}: succeeded"),
        Err(e) => e.code,
    }
}

fn i(v: i64) -> Value {
    Value::Int(v)
}

fn t(v: &str) -> Value {
    Value::Text(v.into())
}

#[test]
fn select_reads_back_what_was_written() {
    let (_e, mut s) = session();
    run(
        &mut s,
        "CREATE TABLE t(a INT PRIMARY KEY, b TEXT);
         INSERT INTO t VALUES (1, 'x'), (2, 'y'), (3, 'z');",
    );
    assert_eq!(
        query(
            &mut s,
            "SELECT a, b FROM t WHERE a >= $1 ORDER BY a",
            &[i(2)]
        ),
        vec![vec![i(2), t("y")], vec![i(3), t("z")]]
    );
    let Outcome::Rows(r) = s
        .execute_sql("SELECT b AS name, a + 1 FROM t", &[])
        .unwrap()
    else {
        panic!("no rows")
    };
    let names: Vec<&str> = r.columns().iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, vec!["name", "?column?"]);
    assert_eq!(r.count(), 3);
}

#[test]
fn prepared_statements_are_replanned_after_ddl() {
    let (_e, mut s) = session();
    run(
        &mut s,
        "CREATE TABLE t(a INT, b INT); INSERT INTO t VALUES (1, 10), (2, 20);",
    );
    let stmt = s.prepare("SELECT * FROM t WHERE a = $1").unwrap();
    assert_eq!(stmt.columns().len(), 2);
    assert!(stmt.returns_rows());
    let rows = |s: &mut Session, p: &covet_query::Prepared| -> Vec<Vec<Value>> {
        let Outcome::Rows(r) = s.execute(p, &[i(1)]).unwrap() else {
            panic!("no rows")
        };
        r.map(Result::unwrap).collect()
    };
    assert_eq!(rows(&mut s, &stmt), vec![vec![i(1), i(10)]]);
    run(&mut s, "ALTER TABLE t ADD COLUMN c TEXT DEFAULT 'new'");
    // `*` now has three columns: the statement re-planned against the new schema.
    assert_eq!(rows(&mut s, &stmt), vec![vec![i(1), i(10), t("new")]]);
    run(&mut s, "CREATE INDEX t_a ON t (a)");
    assert_eq!(rows(&mut s, &stmt), vec![vec![i(1), i(10), t("new")]]);
    run(&mut s, "DROP TABLE t");
    let e = s.execute(&stmt, &[i(1)]).err().expect("the table is gone");
    assert_eq!(e.code, SqlState::UNDEFINED_TABLE);
}

#[test]
fn the_plan_cache_serves_repeated_text_and_sees_ddl() {
    let (_e, mut s) = session();
    run(&mut s, "CREATE TABLE t(a INT); INSERT INTO t VALUES (1);");
    assert_eq!(query(&mut s, "SELECT * FROM t", &[]), vec![vec![i(1)]]);
    run(&mut s, "ALTER TABLE t ADD COLUMN b INT DEFAULT 5");
    assert_eq!(
        query(&mut s, "SELECT * FROM t", &[]),
        vec![vec![i(1), i(5)]]
    );
    // Another session on the same engine shares the cache and sees the same schema.
    let mut other = Session::new(s.engine().clone());
    assert_eq!(
        query(&mut other, "SELECT * FROM t", &[]),
        vec![vec![i(1), i(5)]]
    );
}

#[test]
fn explain_shows_the_access_path() {
    let (_e, mut s) = session();
    run(
        &mut s,
        "CREATE TABLE t(a INT PRIMARY KEY, b INT); CREATE INDEX t_b ON t (b);",
    );
    let lines = query(&mut s, "EXPLAIN SELECT * FROM t WHERE a = 1", &[]);
    let text: Vec<String> = lines
        .into_iter()
        .map(|r| match &r[0] {
            Value::Text(s) => s.clone(),
            v => panic!("{v:?}"),
        })
        .collect();
    assert!(
        text.iter().any(|l| l.contains("Primary Key Seek on t")),
        "{text:?}"
    );
    let lines = query(&mut s, "EXPLAIN ANALYZE SELECT * FROM t", &[]);
    assert_eq!(lines.last().unwrap(), &vec![t("Actual rows: 0")]);
    let json = query(
        &mut s,
        "EXPLAIN (FORMAT JSON) SELECT * FROM t WHERE b = 2",
        &[],
    );
    assert_eq!(json.len(), 1);
    let Value::Text(j) = &json[0][0] else {
        panic!("not text")
    };
    assert!(j.starts_with("[{\"Plan\": [\""), "{j}");
    assert!(j.contains("t_b"), "{j}");
    let lines = query(&mut s, "EXPLAIN DELETE FROM t WHERE b = 3", &[]);
    assert!(!lines.is_empty());
}

#[test]
fn a_failing_stream_in_a_block_fails_the_block() {
    let (_e, mut s) = session();
    run(
        &mut s,
        "CREATE TABLE t(a INT); INSERT INTO t VALUES (1), (0);",
    );
    run(&mut s, "BEGIN");
    assert_eq!(
        err(&mut s, "SELECT 10 / a FROM t"),
        SqlState::DIVISION_BY_ZERO
    );
    assert_eq!(
        s.transaction_status(),
        covet_query::TransactionStatus::Failed
    );
    assert_eq!(err(&mut s, "SELECT 1"), SqlState::IN_FAILED_SQL_TRANSACTION);
    run(&mut s, "ROLLBACK");
    assert_eq!(
        query(&mut s, "SELECT count(*) FROM t", &[]),
        vec![vec![i(2)]]
    );
}

#[test]
fn streams_outside_a_block_keep_their_snapshot() {
    let (e, mut s) = session();
    run(&mut s, "CREATE TABLE t(a INT);");
    let values: Vec<String> = (0..3000).map(|k| format!("({k})")).collect();
    run(
        &mut s,
        &format!("INSERT INTO t VALUES {}", values.join(", ")),
    );
    let Outcome::Rows(mut r) = s.execute_sql("SELECT a FROM t", &[]).unwrap() else {
        panic!("no rows")
    };
    assert_eq!(r.next().unwrap().unwrap(), vec![i(0)]);
    // Another session deletes everything while the stream is open.
    let mut other = Session::new(e.clone());
    run(&mut other, "DELETE FROM t");
    assert_eq!(r.count(), 2999);
    assert_eq!(
        query(&mut s, "SELECT count(*) FROM t", &[]),
        vec![vec![i(0)]]
    );
}

#[test]
fn a_stream_of_an_ended_transaction_reports_it() {
    let (_e, mut s) = session();
    run(&mut s, "CREATE TABLE t(a INT);");
    let values: Vec<String> = (0..3000).map(|k| format!("({k})")).collect();
    run(
        &mut s,
        &format!("INSERT INTO t VALUES {}", values.join(", ")),
    );
    run(&mut s, "BEGIN; INSERT INTO t VALUES (-1);");
    let Outcome::Rows(mut r) = s.execute_sql("SELECT a FROM t", &[]).unwrap() else {
        panic!("no rows")
    };
    assert!(r.next().unwrap().is_ok());
    run(&mut s, "COMMIT");
    // The first batch was read; the next needs the transaction, which has ended.
    let rest: Vec<_> = r.collect();
    let e = rest.last().unwrap().as_ref().unwrap_err();
    assert_eq!(e.code, SqlState::INVALID_TRANSACTION_STATE);
}

#[test]
fn prepared_dml_describes_its_parameters_and_returning_columns() {
    use covet_query::DataType;
    let (_e, mut s) = session();
    run(
        &mut s,
        "CREATE TABLE t(id INT PRIMARY KEY, name TEXT, score DOUBLE PRECISION)",
    );
    let ins = s
        .prepare("INSERT INTO t VALUES ($1, $2, $3) RETURNING id, upper(name) AS shout")
        .unwrap();
    assert_eq!(
        ins.param_types(),
        &[DataType::Int, DataType::Text, DataType::Float]
    );
    assert!(ins.returns_rows());
    let cols: Vec<(&str, DataType)> = ins
        .columns()
        .iter()
        .map(|c| (c.name.as_str(), c.ty))
        .collect();
    assert_eq!(cols, vec![("id", DataType::Int), ("shout", DataType::Text)]);
    let upd = s
        .prepare("UPDATE t SET score = $1 WHERE id = $2 RETURNING *")
        .unwrap();
    assert_eq!(upd.param_types(), &[DataType::Float, DataType::Int]);
    assert_eq!(upd.columns().len(), 3);
    let del = s.prepare("DELETE FROM t WHERE name = $1").unwrap();
    assert_eq!(del.param_types(), &[DataType::Text]);
    assert!(!del.returns_rows());
    assert_eq!(
        s.prepare("UPDATE nope SET a = 1").err().unwrap().code,
        SqlState::UNDEFINED_TABLE
    );
    let Outcome::Rows(r) = s
        .execute(&ins, &[i(1), t("ann"), Value::Float(1.5)])
        .unwrap()
    else {
        panic!("no rows")
    };
    assert_eq!(
        r.map(Result::unwrap).collect::<Vec<_>>(),
        vec![vec![i(1), t("ANN")]]
    );
    let Outcome::Done(tag) = s.execute(&del, &[t("ann")]).unwrap() else {
        panic!("rows")
    };
    assert_eq!(tag.rows, Some(1));
}
