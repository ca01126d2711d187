//! DDL that depends on other objects, as PostgreSQL 15 answers: DROP … RESTRICT and
//! CASCADE over views and foreign keys (a plain DROP VIEW follows SQLite, see
//! `query/COMPAT.md`), ADD PRIMARY KEY on a rowid table, TRUNCATE of
//! a referenced table, DROP COLUMN with its indexes.

use std::sync::Arc;

use covet_engine::table::TableRead;
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

fn err(s: &mut Session, sql: &str) -> (SqlState, String) {
    match s.execute_sql(sql, &[]) {
        Ok(_) => panic!("{sql}: succeeded"),
        Err(e) => (e.code, e.message),
    }
}

fn query(s: &mut Session, sql: &str) -> Vec<Vec<Value>> {
    match s.execute_sql(sql, &[]) {
        Ok(Outcome::Rows(r)) => r.map(Result::unwrap).collect(),
        Ok(Outcome::Done(t)) => panic!("{sql}: no rows, {t:?}"),
        Err(e) => panic!("{sql}: {} {}", e.code, e.message),
    }
}

fn views(e: &Engine) -> Vec<String> {
    let r = e.database().begin_read().unwrap();
    let mut v = r.tables().list_views().unwrap();
    v.sort();
    v
}

fn tables(e: &Engine) -> Vec<String> {
    let r = e.database().begin_read().unwrap();
    let mut v = r.tables().list_tables().unwrap();
    v.sort();
    v
}

const DEPENDENT: SqlState = SqlState(*b"2BP01");

fn setup_views(s: &mut Session) {
    run(
        s,
        "CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT); \
         INSERT INTO t VALUES (1, 'one'), (2, 'two'); \
         CREATE VIEW v1 AS SELECT a, b FROM t WHERE a > 0; \
         CREATE VIEW v2 (x) AS SELECT a * 10 FROM v1; \
         CREATE VIEW v3 AS SELECT (SELECT max(x) FROM v2) AS m; \
         CREATE VIEW other AS SELECT 1 AS a",
    );
}

#[test]
fn drop_view_restrict_refuses_while_a_view_reads_it() {
    let (e, mut s) = session();
    setup_views(&mut s);
    assert_eq!(
        err(&mut s, "DROP VIEW v1 RESTRICT"),
        (
            DEPENDENT,
            "cannot drop view v1 because other objects depend on it".into()
        )
    );
    // A view read only from a scalar subquery counts as well.
    assert_eq!(err(&mut s, "DROP VIEW v2 RESTRICT").0, DEPENDENT);
    assert_eq!(
        err(&mut s, "DROP TABLE t"),
        (
            DEPENDENT,
            "cannot drop table t because other objects depend on it".into()
        )
    );
    assert_eq!(views(&e), ["other", "v1", "v2", "v3"]);
    // Dropping the readers in the same statement is allowed, in any order.
    run(&mut s, "DROP VIEW v2, v3 RESTRICT");
    assert_eq!(views(&e), ["other", "v1"]);
    run(&mut s, "DROP VIEW v1 RESTRICT");
    run(&mut s, "DROP TABLE t");
    assert_eq!(views(&e), ["other"]);
    assert_eq!(tables(&e), Vec::<String>::new());
}

#[test]
fn a_plain_drop_view_leaves_its_readers_as_sqlite_does() {
    let (e, mut s) = session();
    setup_views(&mut s);
    run(&mut s, "DROP VIEW v1");
    assert_eq!(views(&e), ["other", "v2", "v3"]);
    assert_eq!(
        err(&mut s, "SELECT x FROM v2"),
        (
            SqlState::UNDEFINED_TABLE,
            "relation \"v1\" does not exist".into()
        )
    );
    // A view of that name makes the reader work again.
    run(&mut s, "CREATE VIEW v1 AS SELECT 7 AS a");
    assert_eq!(
        query(&mut s, "SELECT x FROM v2"),
        vec![vec![Value::Int(70)]]
    );
    // DROP TABLE keeps PostgreSQL's refusal: v1 no longer reads t.
    run(&mut s, "DROP TABLE t");
    assert_eq!(tables(&e), Vec::<String>::new());
}

#[test]
fn drop_cascade_drops_the_readers_only() {
    let (e, mut s) = session();
    setup_views(&mut s);
    run(&mut s, "DROP VIEW v2 CASCADE");
    assert_eq!(views(&e), ["other", "v1"]);
    assert_eq!(
        query(&mut s, "SELECT b FROM v1 ORDER BY a"),
        vec![
            vec![Value::Text("one".into())],
            vec![Value::Text("two".into())]
        ]
    );
    run(&mut s, "CREATE VIEW v2 AS SELECT a FROM v1");
    run(&mut s, "DROP TABLE t CASCADE");
    assert_eq!(views(&e), ["other"]);
    assert_eq!(tables(&e), Vec::<String>::new());
}

#[test]
fn a_failed_drop_changes_nothing_in_a_block() {
    let (e, mut s) = session();
    setup_views(&mut s);
    run(&mut s, "BEGIN");
    run(&mut s, "DROP VIEW v3");
    assert_eq!(err(&mut s, "DROP VIEW v1 RESTRICT").0, DEPENDENT);
    run(&mut s, "ROLLBACK");
    assert_eq!(views(&e), ["other", "v1", "v2", "v3"]);
    assert_eq!(
        query(&mut s, "SELECT m FROM v3"),
        vec![vec![Value::Int(20)]]
    );
}

#[test]
fn drop_table_cascade_drops_foreign_keys_of_other_tables() {
    let (e, mut s) = session();
    run(
        &mut s,
        "CREATE TABLE p (a INTEGER PRIMARY KEY); \
         CREATE TABLE c (x INTEGER REFERENCES p (a)); \
         INSERT INTO p VALUES (1); INSERT INTO c VALUES (1)",
    );
    assert_eq!(err(&mut s, "DROP TABLE p").0, DEPENDENT);
    run(&mut s, "DROP TABLE p CASCADE");
    assert_eq!(tables(&e), ["c"]);
    // The constraint went with p: c takes any value now.
    run(&mut s, "INSERT INTO c VALUES (42)");
    assert_eq!(
        query(&mut s, "SELECT count(*) FROM c"),
        vec![vec![Value::Int(2)]]
    );
    // A referencing table dropped by the same statement needs no CASCADE.
    run(
        &mut s,
        "CREATE TABLE p (a INTEGER PRIMARY KEY); CREATE TABLE d (x INTEGER REFERENCES p (a))",
    );
    run(&mut s, "DROP TABLE p, d");
    assert_eq!(tables(&e), ["c"]);
}

#[test]
fn add_primary_key_checks_rows_and_is_enforced() {
    let (e, mut s) = session();
    run(
        &mut s,
        "CREATE TABLE nopk (a INTEGER, b INTEGER); \
         CREATE INDEX nopk_b_idx ON nopk (b); \
         INSERT INTO nopk VALUES (2, 1), (1, 1)",
    );
    // b holds a duplicate: 23505, and nothing changed.
    assert_eq!(
        err(&mut s, "ALTER TABLE nopk ADD PRIMARY KEY (b)").0,
        SqlState::UNIQUE_VIOLATION
    );
    run(&mut s, "INSERT INTO nopk VALUES (NULL, 3)");
    assert_eq!(
        err(&mut s, "ALTER TABLE nopk ADD PRIMARY KEY (a)").0,
        SqlState::NOT_NULL_VIOLATION
    );
    run(&mut s, "DELETE FROM nopk WHERE a IS NULL");
    {
        let r = e.database().begin_read().unwrap();
        assert_eq!(r.tables().table_schema("nopk").unwrap().primary_key, None);
    }
    run(&mut s, "ALTER TABLE nopk ADD PRIMARY KEY (a)");
    {
        let r = e.database().begin_read().unwrap();
        assert_eq!(
            r.tables().table_schema("nopk").unwrap().primary_key,
            Some(vec![0])
        );
    }
    assert_eq!(
        err(&mut s, "ALTER TABLE nopk ADD PRIMARY KEY (b)"),
        (
            SqlState::INVALID_TABLE_DEFINITION,
            "multiple primary keys for table \"nopk\" are not allowed".into()
        )
    );
    assert_eq!(
        err(&mut s, "INSERT INTO nopk VALUES (1, 5)").0,
        SqlState::UNIQUE_VIOLATION
    );
    assert_eq!(
        err(&mut s, "INSERT INTO nopk VALUES (NULL, 5)").0,
        SqlState::NOT_NULL_VIOLATION
    );
    // The rebuilt index still finds the rows; a key lookup finds them by a.
    assert_eq!(
        query(&mut s, "SELECT a FROM nopk WHERE b = 1 ORDER BY a"),
        vec![vec![Value::Int(1)], vec![Value::Int(2)]]
    );
    assert_eq!(
        query(&mut s, "SELECT b FROM nopk WHERE a = 2"),
        vec![vec![Value::Int(1)]]
    );
    // UNIQUE validates the rows too.
    assert_eq!(
        err(&mut s, "ALTER TABLE nopk ADD CONSTRAINT nopk_b UNIQUE (b)").0,
        SqlState::UNIQUE_VIOLATION
    );
    // The new key can be referenced.
    run(
        &mut s,
        "CREATE TABLE fkc (x INTEGER); INSERT INTO fkc VALUES (1), (2); \
         ALTER TABLE fkc ADD CONSTRAINT fkc_x FOREIGN KEY (x) REFERENCES nopk (a)",
    );
    assert_eq!(
        err(&mut s, "INSERT INTO fkc VALUES (3)").0,
        SqlState::FOREIGN_KEY_VIOLATION
    );
    // An FK over rows that do not match is refused when it is added.
    run(
        &mut s,
        "CREATE TABLE fkd (x INTEGER); INSERT INTO fkd VALUES (7)",
    );
    assert_eq!(
        err(
            &mut s,
            "ALTER TABLE fkd ADD FOREIGN KEY (x) REFERENCES nopk (a)"
        )
        .0,
        SqlState::FOREIGN_KEY_VIOLATION
    );
    // TRUNCATE of the referenced table alone is refused (PostgreSQL's 0A000) ...
    assert_eq!(
        err(&mut s, "TRUNCATE nopk"),
        (
            SqlState::FEATURE_NOT_SUPPORTED,
            "cannot truncate a table referenced in a foreign key constraint".into()
        )
    );
    assert_eq!(
        query(&mut s, "SELECT count(*) FROM nopk"),
        vec![vec![Value::Int(2)]]
    );
    // ... but allowed with its referencing table, or with CASCADE.
    run(&mut s, "TRUNCATE nopk, fkc");
    run(
        &mut s,
        "INSERT INTO nopk VALUES (1, 1); INSERT INTO fkc VALUES (1)",
    );
    run(&mut s, "TRUNCATE nopk CASCADE");
    assert_eq!(
        query(
            &mut s,
            "SELECT (SELECT count(*) FROM nopk), (SELECT count(*) FROM fkc)"
        ),
        vec![vec![Value::Int(0), Value::Int(0)]]
    );
}

#[test]
fn drop_column_drops_the_indexes_on_it() {
    let (e, mut s) = session();
    run(
        &mut s,
        "CREATE TABLE al (id INTEGER PRIMARY KEY, x INTEGER, y INTEGER); \
         CREATE INDEX al_x ON al (x); CREATE INDEX al_yx ON al (y, x); CREATE INDEX al_y ON al (y); \
         INSERT INTO al VALUES (1, 10, 100)",
    );
    run(&mut s, "ALTER TABLE al DROP COLUMN x");
    {
        let r = e.database().begin_read().unwrap();
        let names: Vec<String> = r
            .tables()
            .indexes("al")
            .unwrap()
            .into_iter()
            .map(|i| i.name)
            .collect();
        assert_eq!(names, ["al_y"]);
    }
    assert_eq!(err(&mut s, "DROP INDEX al_x").0, SqlState::UNDEFINED_OBJECT);
    assert_eq!(
        query(&mut s, "SELECT id, y FROM al WHERE y = 100"),
        vec![vec![Value::Int(1), Value::Int(100)]]
    );
    // A unique index another table's foreign key references is still needed: 2BP01.
    run(
        &mut s,
        "CREATE TABLE u (id INTEGER PRIMARY KEY, k INTEGER UNIQUE); \
         CREATE TABLE r (k INTEGER REFERENCES u (k))",
    );
    assert_eq!(err(&mut s, "ALTER TABLE u DROP COLUMN k").0, DEPENDENT);
}
