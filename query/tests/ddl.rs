//! DDL statements, checked through the catalog the engine stores afterwards.

use std::sync::Arc;

use covet_engine::table::{FkAction, TableRead};
use covet_engine::value::{SortOrder, SqlType};
use covet_engine::Database;
use covet_query::{Engine, Outcome, Session, SqlState};

fn session() -> (Arc<Engine>, Session) {
    let e = Engine::new(Database::memory().unwrap());
    let s = Session::new(e.clone());
    (e, s)
}

fn ok(s: &mut Session, sql: &str) -> String {
    match s.execute_sql(sql, &[]) {
        Ok(Outcome::Done(tag)) => tag.command,
        Ok(Outcome::Rows(_)) => panic!("{sql}: rows"),
        Err(e) => panic!("{sql}: {} {}", e.code, e.message),
    }
}

fn err(s: &mut Session, sql: &str) -> (SqlState, String) {
    match s.execute_sql(sql, &[]) {
        Ok(_) => panic!("{sql}: succeeded"),
        Err(e) => (e.code, e.message),
    }
}

#[test]
fn create_table_with_types_keys_and_unique() {
    let (e, mut s) = session();
    assert_eq!(
        ok(
            &mut s,
            "CREATE TABLE t(id BIGINT PRIMARY KEY, name VARCHAR(20) NOT NULL UNIQUE, \
             price NUMERIC(10,2), flag BOOLEAN, note TEXT, UNIQUE (flag, note))"
        ),
        "CREATE TABLE"
    );
    let r = e.database().begin_read().unwrap();
    let t = r.tables();
    let schema = t.table_schema("t").unwrap();
    let cols: Vec<(&str, SqlType, bool)> = schema
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.ty, c.nullable))
        .collect();
    assert_eq!(
        cols,
        vec![
            ("id", SqlType::BigInt, true),
            ("name", SqlType::Varchar(20), false),
            (
                "price",
                SqlType::Decimal {
                    precision: Some(10),
                    scale: Some(2)
                },
                true
            ),
            ("flag", SqlType::Boolean, true),
            ("note", SqlType::Text, true),
        ]
    );
    assert_eq!(schema.primary_key, Some(vec![0]));
    type Index = (String, Vec<(usize, SortOrder)>, bool);
    let mut idx: Vec<Index> = t
        .indexes("t")
        .unwrap()
        .into_iter()
        .map(|i| (i.name, i.columns, i.unique))
        .collect();
    idx.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        idx,
        vec![
            (
                "t_flag_note_key".to_string(),
                vec![(3, SortOrder::Asc), (4, SortOrder::Asc)],
                true
            ),
            ("t_name_key".to_string(), vec![(1, SortOrder::Asc)], true),
        ]
    );
    assert_eq!(
        err(&mut s, "CREATE TABLE t(a INT)").0,
        SqlState::DUPLICATE_TABLE
    );
    assert_eq!(
        ok(&mut s, "CREATE TABLE IF NOT EXISTS t(a INT)"),
        "CREATE TABLE"
    );
}

#[test]
fn create_table_errors() {
    let (_e, mut s) = session();
    assert_eq!(
        err(&mut s, "CREATE TABLE t(a INT, a TEXT)").0,
        SqlState::DUPLICATE_COLUMN
    );
    assert_eq!(
        err(
            &mut s,
            "CREATE TABLE t(a INT PRIMARY KEY, b INT PRIMARY KEY)"
        )
        .0,
        SqlState::INVALID_TABLE_DEFINITION
    );
    assert_eq!(
        err(&mut s, "CREATE TABLE t(a INT, PRIMARY KEY (b))").0,
        SqlState::UNDEFINED_COLUMN
    );
    assert_eq!(
        err(&mut s, "CREATE TABLE t(a blorp)").0,
        SqlState::UNDEFINED_OBJECT
    );
    assert_eq!(
        err(&mut s, "CREATE TABLE t(a INT").0,
        SqlState::SYNTAX_ERROR
    );
    assert_eq!(
        err(&mut s, "CREATE TEMPORARY TABLE t(a INT)").0,
        SqlState::FEATURE_NOT_SUPPORTED
    );
    assert_eq!(
        err(&mut s, "CREATE TABLE c(a INT REFERENCES nowhere)").0,
        SqlState::UNDEFINED_TABLE
    );
}

#[test]
fn indexes_create_and_drop() {
    let (e, mut s) = session();
    ok(&mut s, "CREATE TABLE t(a INT, b TEXT, c INT)");
    assert_eq!(ok(&mut s, "CREATE INDEX ON t (b DESC, a)"), "CREATE INDEX");
    ok(&mut s, "CREATE UNIQUE INDEX t_c ON t (c)");
    assert_eq!(
        err(&mut s, "CREATE INDEX t_c ON t (a)").0,
        SqlState::DUPLICATE_TABLE
    );
    ok(&mut s, "CREATE INDEX IF NOT EXISTS t_c ON t (a)");
    assert_eq!(
        err(&mut s, "CREATE INDEX x ON t (zz)").0,
        SqlState::UNDEFINED_COLUMN
    );
    assert_eq!(
        err(&mut s, "CREATE INDEX x ON nope (a)").0,
        SqlState::UNDEFINED_TABLE
    );
    {
        let r = e.database().begin_read().unwrap();
        let d = r.tables().index_def("t_b_a_idx").unwrap();
        assert_eq!(d.columns, vec![(1, SortOrder::Desc), (0, SortOrder::Asc)]);
        assert!(!d.unique);
        assert!(r.tables().index_def("t_c").unwrap().unique);
    }
    assert_eq!(ok(&mut s, "DROP INDEX t_c"), "DROP INDEX");
    assert_eq!(err(&mut s, "DROP INDEX t_c").0, SqlState::UNDEFINED_OBJECT);
    ok(&mut s, "DROP INDEX IF EXISTS t_c");
    assert_eq!(err(&mut s, "DROP INDEX t").0, SqlState::WRONG_OBJECT_TYPE);
    assert_eq!(
        err(&mut s, "DROP TABLE t_b_a_idx").0,
        SqlState::WRONG_OBJECT_TYPE
    );
    assert_eq!(ok(&mut s, "DROP TABLE t"), "DROP TABLE");
    assert_eq!(err(&mut s, "DROP TABLE t").0, SqlState::UNDEFINED_TABLE);
    ok(&mut s, "DROP TABLE IF EXISTS t");
    let r = e.database().begin_read().unwrap();
    assert_eq!(r.tables().list_tables().unwrap(), Vec::<String>::new());
}

#[test]
fn foreign_keys_are_stored_with_their_actions_and_restrict_drops() {
    let (e, mut s) = session();
    ok(
        &mut s,
        "CREATE TABLE p(id INT PRIMARY KEY, code TEXT UNIQUE)",
    );
    ok(
        &mut s,
        "CREATE TABLE c(x INT REFERENCES p ON DELETE CASCADE, y TEXT, \
         FOREIGN KEY (y) REFERENCES p(code) ON UPDATE SET NULL ON DELETE RESTRICT)",
    );
    {
        let r = e.database().begin_read().unwrap();
        let mut fks = r.tables().foreign_keys("c").unwrap();
        fks.sort_by(|a, b| a.name.cmp(&b.name));
        type Fk<'a> = (&'a str, Vec<usize>, &'a str, Vec<usize>, FkAction, FkAction);
        let got: Vec<Fk> = fks
            .iter()
            .map(|f| {
                (
                    f.name.as_str(),
                    f.columns.clone(),
                    f.ref_table.as_str(),
                    f.ref_columns.clone(),
                    f.on_delete,
                    f.on_update,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "c_x_fkey",
                    vec![0],
                    "p",
                    vec![0],
                    FkAction::Cascade,
                    FkAction::NoAction
                ),
                (
                    "c_y_fkey",
                    vec![1],
                    "p",
                    vec![1],
                    FkAction::Restrict,
                    FkAction::SetNull
                ),
            ]
        );
    }
    assert_eq!(err(&mut s, "DROP TABLE p").0, SqlState(*b"2BP01"));
    // A key that is neither the primary key nor unique.
    ok(&mut s, "CREATE TABLE q(a INT, b INT)");
    assert_eq!(
        err(&mut s, "CREATE TABLE r(a INT REFERENCES q(b))").0,
        SqlState::INVALID_FOREIGN_KEY
    );
    assert_eq!(
        err(&mut s, "CREATE TABLE r(a INT REFERENCES q)").0,
        SqlState::INVALID_FOREIGN_KEY
    );
    ok(&mut s, "DROP TABLE c");
    ok(&mut s, "DROP TABLE p");
}

#[test]
fn check_constraints_are_stored_by_name() {
    let (e, mut s) = session();
    ok(
        &mut s,
        "CREATE TABLE t(a INT CHECK (a > 0), b INT, CONSTRAINT b_small CHECK (b < 10))",
    );
    let r = e.database().begin_read().unwrap();
    let mut checks: Vec<(String, String)> = r
        .tables()
        .checks("t")
        .unwrap()
        .into_iter()
        .map(|c| (c.name, c.sql))
        .collect();
    checks.sort();
    assert_eq!(
        checks,
        vec![
            ("b_small".to_string(), "b < 10".to_string()),
            ("t_a_check".to_string(), "a > 0".to_string()),
        ]
    );
    drop(r);
    assert_eq!(
        err(&mut s, "CREATE TABLE u(a INT CHECK (zz > 0))").0,
        SqlState::UNDEFINED_COLUMN
    );
}

#[test]
fn alter_table_columns_names_and_constraints() {
    let (e, mut s) = session();
    ok(&mut s, "CREATE TABLE t(a INT, b INT CHECK (b > 0))");
    assert_eq!(ok(&mut s, "ALTER TABLE t ADD COLUMN c TEXT"), "ALTER TABLE");
    ok(&mut s, "ALTER TABLE t RENAME COLUMN b TO bb");
    ok(&mut s, "ALTER TABLE t DROP COLUMN a");
    ok(&mut s, "ALTER TABLE t RENAME TO u");
    ok(
        &mut s,
        "ALTER TABLE u ADD CONSTRAINT c_short CHECK (length(c) < 5)",
    );
    ok(&mut s, "ALTER TABLE u ADD CONSTRAINT u_c UNIQUE (c)");
    {
        let r = e.database().begin_read().unwrap();
        let t = r.tables();
        assert_eq!(t.list_tables().unwrap(), vec!["u"]);
        let names: Vec<String> = t
            .table_schema("u")
            .unwrap()
            .columns
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(names, vec!["bb", "c"]);
        let mut checks: Vec<(String, String)> = t
            .checks("u")
            .unwrap()
            .into_iter()
            .map(|c| (c.name, c.sql))
            .collect();
        checks.sort();
        assert_eq!(
            checks,
            vec![
                ("c_short".to_string(), "length(c) < 5".to_string()),
                ("t_b_check".to_string(), "\"bb\" > 0".to_string()),
            ]
        );
        assert!(t.index_def("u_c").unwrap().unique);
    }
    ok(&mut s, "ALTER TABLE u DROP CONSTRAINT c_short");
    ok(&mut s, "ALTER TABLE u DROP CONSTRAINT u_c");
    // Dropping a column drops the checks that read it.
    ok(&mut s, "ALTER TABLE u DROP COLUMN bb");
    {
        let r = e.database().begin_read().unwrap();
        assert_eq!(r.tables().checks("u").unwrap(), vec![]);
        assert!(!r.tables().index_exists("u_c").unwrap());
    }
    assert_eq!(
        err(&mut s, "ALTER TABLE u DROP CONSTRAINT nope").0,
        SqlState::UNDEFINED_OBJECT
    );
    assert_eq!(
        err(&mut s, "ALTER TABLE u ADD COLUMN c INT").0,
        SqlState::DUPLICATE_COLUMN
    );
    ok(&mut s, "ALTER TABLE u ADD COLUMN IF NOT EXISTS c INT");
    assert_eq!(
        err(&mut s, "ALTER TABLE u DROP COLUMN zz").0,
        SqlState::UNDEFINED_COLUMN
    );
    assert_eq!(
        err(&mut s, "ALTER TABLE nope ADD COLUMN x INT").0,
        SqlState::UNDEFINED_TABLE
    );
    ok(&mut s, "ALTER TABLE IF EXISTS nope ADD COLUMN x INT");
}

#[test]
fn views_create_replace_drop() {
    let (e, mut s) = session();
    ok(&mut s, "CREATE TABLE t(a INT)");
    assert_eq!(
        ok(&mut s, "CREATE VIEW v (x) AS SELECT a FROM t"),
        "CREATE VIEW"
    );
    assert_eq!(
        err(&mut s, "CREATE VIEW v AS SELECT 1").0,
        SqlState::DUPLICATE_TABLE
    );
    assert_eq!(
        err(&mut s, "CREATE VIEW t AS SELECT 1").0,
        SqlState::DUPLICATE_TABLE
    );
    ok(
        &mut s,
        "CREATE OR REPLACE VIEW v AS SELECT a + 1 AS b FROM t",
    );
    {
        let r = e.database().begin_read().unwrap();
        let v = r.tables().view("v").unwrap().unwrap();
        assert_eq!(v.sql, "SELECT a + 1 AS b FROM t");
        assert_eq!(v.columns, Vec::<String>::new());
    }
    assert_eq!(err(&mut s, "DROP VIEW t").0, SqlState::WRONG_OBJECT_TYPE);
    assert_eq!(ok(&mut s, "DROP VIEW v"), "DROP VIEW");
    assert_eq!(err(&mut s, "DROP VIEW v").0, SqlState::UNDEFINED_TABLE);
    ok(&mut s, "DROP VIEW IF EXISTS v");
}

#[test]
fn truncate_and_analyze() {
    let (_e, mut s) = session();
    ok(&mut s, "CREATE TABLE t(a INT)");
    assert_eq!(ok(&mut s, "TRUNCATE t"), "TRUNCATE TABLE");
    assert_eq!(ok(&mut s, "ANALYZE t"), "ANALYZE");
    assert_eq!(ok(&mut s, "ANALYZE"), "ANALYZE");
    assert_eq!(err(&mut s, "TRUNCATE nope").0, SqlState::UNDEFINED_TABLE);
    assert_eq!(err(&mut s, "ANALYZE nope").0, SqlState::UNDEFINED_TABLE);
}

#[test]
fn reindex_checks_names_and_triggers_are_stored() {
    let (_e, mut s) = session();
    ok(&mut s, "CREATE TABLE t(a INT)");
    ok(&mut s, "CREATE INDEX t_a ON t (a)");
    assert_eq!(ok(&mut s, "REINDEX"), "REINDEX");
    assert_eq!(ok(&mut s, "REINDEX t"), "REINDEX");
    assert_eq!(ok(&mut s, "REINDEX t_a"), "REINDEX");
    assert_eq!(ok(&mut s, "REINDEX TABLE t"), "REINDEX");
    assert_eq!(ok(&mut s, "REINDEX INDEX t_a"), "REINDEX");
    assert_eq!(
        err(&mut s, "REINDEX TABLE nope").0,
        SqlState::UNDEFINED_TABLE
    );
    assert_eq!(
        err(&mut s, "REINDEX INDEX nope").0,
        SqlState::UNDEFINED_OBJECT
    );
    assert_eq!(err(&mut s, "REINDEX nope").0, SqlState::UNDEFINED_OBJECT);
    // A body holds INSERT, UPDATE, DELETE and SELECT only (tests/triggers.rs runs them).
    let (code, message) = err(
        &mut s,
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN DROP TABLE t; END",
    );
    assert_eq!(code, SqlState::SYNTAX_ERROR);
    assert_eq!(
        message,
        "a trigger body holds INSERT, UPDATE, DELETE and SELECT statements, not DROP TABLE"
    );
    // Triggers whose bodies only query are stored.
    assert_eq!(
        ok(
            &mut s,
            "CREATE TRIGGER tr AFTER UPDATE ON t BEGIN SELECT 1; END;"
        ),
        "CREATE TRIGGER"
    );
    assert_eq!(
        err(
            &mut s,
            "CREATE TRIGGER tr AFTER UPDATE ON t BEGIN SELECT 1; END;"
        )
        .0,
        SqlState::DUPLICATE_OBJECT
    );
    ok(
        &mut s,
        "CREATE TRIGGER IF NOT EXISTS tr AFTER UPDATE ON t BEGIN SELECT 1; END;",
    );
    assert_eq!(
        err(
            &mut s,
            "CREATE TRIGGER tz AFTER UPDATE ON nope BEGIN SELECT 1; END;"
        )
        .0,
        SqlState::UNDEFINED_TABLE
    );
    assert_eq!(ok(&mut s, "DROP TRIGGER tr"), "DROP TRIGGER");
    assert_eq!(err(&mut s, "DROP TRIGGER tr").0, SqlState::UNDEFINED_OBJECT);
    ok(&mut s, "DROP TRIGGER IF EXISTS tr");
    // A rolled-back block takes its trigger with it; DROP TABLE drops the table's.
    s.execute_batch(
        "BEGIN; CREATE TRIGGER rolled BEFORE DELETE ON t BEGIN SELECT 2; END; ROLLBACK",
    )
    .unwrap();
    assert_eq!(
        err(&mut s, "DROP TRIGGER rolled").0,
        SqlState::UNDEFINED_OBJECT
    );
    ok(
        &mut s,
        "CREATE TRIGGER kept BEFORE DELETE ON t BEGIN SELECT 2; END",
    );
    ok(&mut s, "DROP TABLE t");
    assert_eq!(
        err(&mut s, "DROP TRIGGER kept").0,
        SqlState::UNDEFINED_OBJECT
    );
    assert_eq!(
        err(&mut s, "GRANT SELECT ON t TO bob").0,
        SqlState::FEATURE_NOT_SUPPORTED
    );
}
