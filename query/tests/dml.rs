//! INSERT, UPDATE and DELETE: exact table contents afterwards (read with the engine's
//! API), command tags, RETURNING rows, and every error with its SQLSTATE.

use std::sync::Arc;

use covet_engine::table::TableRead;
use covet_engine::value::Value;
use covet_engine::Database;
use covet_query::{CommandTag, Engine, Outcome, Session, SqlState};

fn session() -> (Arc<Engine>, Session) {
    let e = Engine::new(Database::memory().unwrap());
    let s = Session::new(e.clone());
    (e, s)
}

fn tag(s: &mut Session, sql: &str) -> CommandTag {
    match s.execute_sql(sql, &[]) {
        Ok(Outcome::Done(tag)) => tag,
        Ok(Outcome::Rows(_)) => panic!("{sql}: rows"),
        Err(e) => panic!("{sql}: {} {}", e.code, e.message),
    }
}

fn count(s: &mut Session, sql: &str) -> u64 {
    tag(s, sql).rows.expect("a row count")
}

fn rows(s: &mut Session, sql: &str, params: &[Value]) -> Vec<Vec<Value>> {
    match s.execute_sql(sql, params) {
        Ok(Outcome::Rows(r)) => r.map(Result::unwrap).collect(),
        Ok(Outcome::Done(t)) => panic!("{sql}: no rows, {t:?}"),
        Err(e) => panic!("{sql}: {} {}", e.code, e.message),
    }
}

fn err(s: &mut Session, sql: &str) -> (SqlState, String) {
    match s.execute_sql(sql, &[]) {
        Ok(_) => panic!("{sql}: succeeded"),
        Err(e) => (e.code, e.message),
    }
}

/// Every row of `table` in key order.
fn contents(e: &Engine, table: &str) -> Vec<Vec<Value>> {
    let r = e.database().begin_read().unwrap();
    let t = r.tables();
    t.scan(table)
        .unwrap()
        .map(|row| row.unwrap().values)
        .collect()
}

fn i(v: i64) -> Value {
    Value::Int(v)
}

fn t(v: &str) -> Value {
    Value::Text(v.to_string())
}

#[test]
fn insert_values_column_lists_and_defaults() {
    let (e, mut s) = session();
    tag(
        &mut s,
        "CREATE TABLE t(a INT PRIMARY KEY, b TEXT DEFAULT 'none', c BIGINT DEFAULT 7 * 6)",
    );
    let tg = tag(&mut s, "INSERT INTO t VALUES (1, 'x', 10), (2, 'y', 20)");
    assert_eq!(
        tg,
        CommandTag {
            command: "INSERT".into(),
            rows: Some(2)
        }
    );
    assert_eq!(count(&mut s, "INSERT INTO t (a) VALUES (3)"), 1);
    assert_eq!(count(&mut s, "INSERT INTO t (c, a) VALUES (5, 4)"), 1);
    assert_eq!(count(&mut s, "INSERT INTO t VALUES (5, DEFAULT, NULL)"), 1);
    // The literal '6' is of unknown type: it is read as an integer, as PostgreSQL does.
    assert_eq!(count(&mut s, "INSERT INTO t VALUES ('6', 7, '8')"), 1);
    assert_eq!(
        contents(&e, "t"),
        vec![
            vec![i(1), t("x"), i(10)],
            vec![i(2), t("y"), i(20)],
            vec![i(3), t("none"), i(42)],
            vec![i(4), t("none"), i(5)],
            vec![i(5), t("none"), Value::Null],
            vec![i(6), t("7"), i(8)],
        ]
    );
}

#[test]
fn insert_with_parameters() {
    let (e, mut s) = session();
    tag(&mut s, "CREATE TABLE t(a INT PRIMARY KEY, b TEXT)");
    let stmt = s.prepare("INSERT INTO t VALUES ($1, $2)").unwrap();
    assert_eq!(stmt.param_types().len(), 2);
    assert!(!stmt.returns_rows());
    for (a, b) in [(1, "one"), (2, "two")] {
        s.execute(&stmt, &[i(a), t(b)]).unwrap();
    }
    let e2 = s.execute(&stmt, &[i(3)]).err().unwrap();
    assert_eq!(e2.code, SqlState::UNDEFINED_PARAMETER);
    assert_eq!(e2.message, "there is no parameter $2");
    let e3 = s.execute(&stmt, &[i(3), t("x"), t("y")]).err().unwrap();
    assert_eq!(e3.code, SqlState::UNDEFINED_PARAMETER);
    assert_eq!(
        contents(&e, "t"),
        vec![vec![i(1), t("one")], vec![i(2), t("two")]]
    );
}

#[test]
fn insert_errors_with_their_sqlstates() {
    let (e, mut s) = session();
    tag(
        &mut s,
        "CREATE TABLE t(a INT PRIMARY KEY, b TEXT NOT NULL, c SMALLINT, d VARCHAR(3), u INT UNIQUE)",
    );
    tag(&mut s, "INSERT INTO t VALUES (1, 'x', 1, 'abc', 1)");
    let cases: &[(&str, SqlState, &str)] = &[
        (
            "INSERT INTO t VALUES (1, 'y', 1, 'a', 2)",
            SqlState::UNIQUE_VIOLATION,
            "duplicate key value violates unique constraint \"t_pkey\"",
        ),
        (
            "INSERT INTO t VALUES (2, 'y', 1, 'a', 1)",
            SqlState::UNIQUE_VIOLATION,
            "duplicate key value violates unique constraint \"t_u_key\"",
        ),
        (
            "INSERT INTO t (a) VALUES (3)",
            SqlState::NOT_NULL_VIOLATION,
            "null value in column \"b\" of relation \"t\" violates not-null constraint",
        ),
        (
            "INSERT INTO t VALUES (4, 'y', 70000, 'a', 4)",
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
            "smallint out of range",
        ),
        (
            "INSERT INTO t VALUES (5, 'y', 1, 'abcd', 5)",
            SqlState::STRING_DATA_RIGHT_TRUNCATION,
            "value too long for type character varying(3)",
        ),
        (
            "INSERT INTO t VALUES (6, 'y', 1, 'a', 'x' || 'y')",
            SqlState::DATATYPE_MISMATCH,
            "column \"u\" is of type integer but expression is of type text",
        ),
        (
            "INSERT INTO t VALUES (7, 'y')",
            SqlState::SYNTAX_ERROR,
            "INSERT has more target columns than expressions",
        ),
        (
            "INSERT INTO t (a, b) VALUES (7, 'y', 3)",
            SqlState::SYNTAX_ERROR,
            "INSERT has more expressions than target columns",
        ),
        (
            "INSERT INTO t (a, zz) VALUES (7, 'y')",
            SqlState::UNDEFINED_COLUMN,
            "column \"zz\" of relation \"t\" does not exist",
        ),
        (
            "INSERT INTO t (a, a) VALUES (7, 8)",
            SqlState::DUPLICATE_COLUMN,
            "column \"a\" specified more than once",
        ),
        (
            "INSERT INTO nope VALUES (1)",
            SqlState::UNDEFINED_TABLE,
            "relation \"nope\" does not exist",
        ),
        (
            "INSERT INTO t VALUES (8, 'y', 1, 'a', 1 / 0)",
            SqlState::DIVISION_BY_ZERO,
            "division by zero",
        ),
    ];
    for (sql, code, message) in cases {
        let (c, m) = err(&mut s, sql);
        assert_eq!(c, *code, "{sql}: {m}");
        assert!(m.starts_with(message), "{sql}: {m}");
    }
    assert_eq!(
        contents(&e, "t"),
        vec![vec![i(1), t("x"), i(1), t("abc"), i(1)]]
    );
}

#[test]
fn a_multi_row_insert_with_one_duplicate_leaves_nothing() {
    let (e, mut s) = session();
    tag(&mut s, "CREATE TABLE t(a INT PRIMARY KEY)");
    assert_eq!(
        err(&mut s, "INSERT INTO t VALUES (1), (2), (3), (2), (4)").0,
        SqlState::UNIQUE_VIOLATION
    );
    assert_eq!(contents(&e, "t"), Vec::<Vec<Value>>::new());
    // Inside a block, the failed statement alone is undone (then the block fails).
    tag(&mut s, "BEGIN");
    tag(&mut s, "INSERT INTO t VALUES (10)");
    tag(&mut s, "SAVEPOINT s");
    assert_eq!(
        err(&mut s, "INSERT INTO t VALUES (11), (10)").0,
        SqlState::UNIQUE_VIOLATION
    );
    tag(&mut s, "ROLLBACK TO s");
    tag(&mut s, "INSERT INTO t VALUES (12)");
    tag(&mut s, "COMMIT");
    assert_eq!(contents(&e, "t"), vec![vec![i(10)], vec![i(12)]]);
}

#[test]
fn on_conflict_do_nothing_and_do_update() {
    let (e, mut s) = session();
    tag(
        &mut s,
        "CREATE TABLE t(k INT PRIMARY KEY, v TEXT, n INT UNIQUE)",
    );
    tag(&mut s, "INSERT INTO t VALUES (1, 'a', 10), (2, 'b', 20)");
    assert_eq!(
        count(
            &mut s,
            "INSERT INTO t VALUES (1, 'z', 99), (3, 'c', 30) ON CONFLICT DO NOTHING"
        ),
        1
    );
    assert_eq!(
        count(
            &mut s,
            "INSERT INTO t VALUES (2, 'bb', 21), (4, 'd', 40) \
             ON CONFLICT (k) DO UPDATE SET v = excluded.v || t.v, n = excluded.n"
        ),
        2
    );
    // DO UPDATE … WHERE false skips the row.
    assert_eq!(
        count(
            &mut s,
            "INSERT INTO t AS x VALUES (1, 'q', 11) ON CONFLICT (k) DO UPDATE SET v = 'never' WHERE x.n > 100"
        ),
        0
    );
    // A conflict on another constraint than the target is an error.
    assert_eq!(
        err(
            &mut s,
            "INSERT INTO t VALUES (9, 'e', 10) ON CONFLICT (k) DO NOTHING"
        )
        .0,
        SqlState::UNIQUE_VIOLATION
    );
    assert_eq!(
        count(
            &mut s,
            "INSERT INTO t VALUES (9, 'e', 10) ON CONFLICT (n) DO NOTHING"
        ),
        0
    );
    assert_eq!(
        err(
            &mut s,
            "INSERT INTO t VALUES (9, 'e', 10) ON CONFLICT (v) DO NOTHING"
        )
        .0,
        SqlState::INVALID_COLUMN_REFERENCE
    );
    assert_eq!(
        contents(&e, "t"),
        vec![
            vec![i(1), t("a"), i(10)],
            vec![i(2), t("bbb"), i(21)],
            vec![i(3), t("c"), i(30)],
            vec![i(4), t("d"), i(40)],
        ]
    );
}

#[test]
fn on_conflict_do_update_affects_a_row_once() {
    let (e, mut s) = session();
    tag(&mut s, "CREATE TABLE t(k INT PRIMARY KEY, v TEXT UNIQUE)");
    tag(&mut s, "INSERT INTO t VALUES (1, 'a')");
    let before = vec![vec![i(1), t("a")]];
    // Two proposals of one key: the second would update the row the first inserted.
    let (code, message) = err(
        &mut s,
        "INSERT INTO t VALUES (5, 'l'), (5, 'm') ON CONFLICT (k) DO UPDATE SET v = excluded.v",
    );
    assert_eq!(code, SqlState::CARDINALITY_VIOLATION);
    assert_eq!(
        message,
        "ON CONFLICT DO UPDATE command cannot affect row a second time"
    );
    // Even when the WHERE would skip the second update (PostgreSQL checks first).
    assert_eq!(
        err(
            &mut s,
            "INSERT INTO t VALUES (7, 'x'), (7, 'y') ON CONFLICT (k) DO UPDATE SET v = excluded.v WHERE false"
        )
        .0,
        SqlState::CARDINALITY_VIOLATION
    );
    // A row the WHERE skipped was not affected: it may be proposed again.
    assert_eq!(
        count(
            &mut s,
            "INSERT INTO t VALUES (1, 'x'), (1, 'y') ON CONFLICT (k) DO UPDATE SET v = excluded.v WHERE false"
        ),
        0
    );
    // A row updated onto a new key, met again under that key through the unique index.
    assert_eq!(
        err(
            &mut s,
            "INSERT INTO t VALUES (2, 'a'), (3, 'a') ON CONFLICT (v) DO UPDATE SET k = excluded.k"
        )
        .0,
        SqlState::CARDINALITY_VIOLATION
    );
    assert_eq!(contents(&e, "t"), before);
    // DO NOTHING skips the second proposal instead.
    assert_eq!(
        count(
            &mut s,
            "INSERT INTO t VALUES (2, 'b'), (3, 'b') ON CONFLICT (v) DO NOTHING"
        ),
        1
    );
    // Proposals of different keys each update their own row.
    assert_eq!(
        count(
            &mut s,
            "INSERT INTO t VALUES (1, 'c'), (2, 'd') ON CONFLICT (k) DO UPDATE SET v = excluded.v"
        ),
        2
    );
    assert_eq!(
        contents(&e, "t"),
        vec![vec![i(1), t("c")], vec![i(2), t("d")]]
    );
}

#[test]
fn sqlite_replace_and_ignore() {
    let (e, mut s) = session();
    tag(&mut s, "CREATE TABLE t(k INT PRIMARY KEY, v TEXT UNIQUE)");
    tag(&mut s, "INSERT INTO t VALUES (1, 'a'), (2, 'b')");
    assert_eq!(
        count(&mut s, "INSERT OR IGNORE INTO t VALUES (1, 'x'), (3, 'c')"),
        1
    );
    // Replaces row 1 (same key) and deletes row 2 (same unique v).
    assert_eq!(count(&mut s, "INSERT OR REPLACE INTO t VALUES (1, 'b')"), 1);
    assert_eq!(count(&mut s, "REPLACE INTO t VALUES (5, 'c')"), 1);
    assert_eq!(
        contents(&e, "t"),
        vec![vec![i(1), t("b")], vec![i(5), t("c")]]
    );
}

#[test]
fn returning_rows() {
    let (e, mut s) = session();
    tag(&mut s, "CREATE TABLE t(k INT PRIMARY KEY, v TEXT)");
    let stmt = s
        .prepare("INSERT INTO t VALUES (1, 'a'), (2, 'b') RETURNING k * 10 AS ten, *")
        .unwrap();
    assert!(stmt.returns_rows());
    let Outcome::Rows(r) = s.execute(&stmt, &[]).unwrap() else {
        panic!("no rows")
    };
    let names: Vec<&str> = r.columns().iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, vec!["ten", "k", "v"]);
    let got: Vec<Vec<Value>> = r.map(Result::unwrap).collect();
    assert_eq!(
        got,
        vec![vec![i(10), i(1), t("a")], vec![i(20), i(2), t("b")]]
    );
    assert_eq!(
        rows(
            &mut s,
            "UPDATE t SET v = upper(v) WHERE k = $1 RETURNING v",
            &[i(2)]
        ),
        vec![vec![t("B")]]
    );
    assert_eq!(
        rows(&mut s, "DELETE FROM t WHERE k = 1 RETURNING k, v", &[]),
        vec![vec![i(1), t("a")]]
    );
    assert_eq!(contents(&e, "t"), vec![vec![i(2), t("B")]]);
}

#[test]
fn update_and_delete() {
    let (e, mut s) = session();
    tag(
        &mut s,
        "CREATE TABLE t(k INT PRIMARY KEY, v INT, w TEXT DEFAULT 'd')",
    );
    tag(
        &mut s,
        "INSERT INTO t VALUES (1, 10, 'a'), (2, 20, 'b'), (3, 30, 'c')",
    );
    let tg = tag(&mut s, "UPDATE t SET v = v + 1, w = DEFAULT WHERE v >= 20");
    assert_eq!(
        tg,
        CommandTag {
            command: "UPDATE".into(),
            rows: Some(2)
        }
    );
    assert_eq!(count(&mut s, "UPDATE t SET v = 0 WHERE false"), 0);
    assert_eq!(
        contents(&e, "t"),
        vec![
            vec![i(1), i(10), t("a")],
            vec![i(2), i(21), t("d")],
            vec![i(3), i(31), t("d")],
        ]
    );
    let tg = tag(&mut s, "DELETE FROM t WHERE k <> 2");
    assert_eq!(
        tg,
        CommandTag {
            command: "DELETE".into(),
            rows: Some(2)
        }
    );
    assert_eq!(contents(&e, "t"), vec![vec![i(2), i(21), t("d")]]);
    assert_eq!(
        err(&mut s, "UPDATE t SET zz = 1").0,
        SqlState::UNDEFINED_COLUMN
    );
    assert_eq!(
        err(&mut s, "UPDATE t SET v = 1, v = 2").0,
        SqlState::DUPLICATE_COLUMN
    );
    assert_eq!(
        err(&mut s, "UPDATE t SET v = 'x' || 'y'").0,
        SqlState::DATATYPE_MISMATCH
    );
    assert_eq!(
        err(&mut s, "DELETE FROM t WHERE v").0,
        SqlState::DATATYPE_MISMATCH
    );
    assert_eq!(err(&mut s, "DELETE FROM nope").0, SqlState::UNDEFINED_TABLE);
    assert_eq!(
        err(&mut s, "UPDATE t SET k = k + 1, v = 1/0").0,
        SqlState::DIVISION_BY_ZERO
    );
    assert_eq!(contents(&e, "t"), vec![vec![i(2), i(21), t("d")]]);
}

#[test]
fn update_of_the_primary_key_visits_each_row_once() {
    let (e, mut s) = session();
    tag(&mut s, "CREATE TABLE t(k INT PRIMARY KEY, v INT)");
    let values: Vec<String> = (1..=600).map(|k| format!("({k}, {k})")).collect();
    tag(
        &mut s,
        &format!("INSERT INTO t VALUES {}", values.join(", ")),
    );
    // Every key moves forward past rows not yet visited: without protection the scan
    // would meet moved rows again.
    assert_eq!(count(&mut s, "UPDATE t SET k = k + 1000"), 600);
    let got = contents(&e, "t");
    assert_eq!(got.len(), 600);
    assert_eq!(got[0], vec![i(1001), i(1)]);
    assert_eq!(got[599], vec![i(1600), i(600)]);
    // A big batched scan over more than one batch without key changes.
    assert_eq!(count(&mut s, "UPDATE t SET v = v * 2 WHERE v % 2 = 0"), 300);
    assert_eq!(count(&mut s, "DELETE FROM t WHERE v % 4 = 0"), 300);
    assert_eq!(contents(&e, "t").len(), 300);
}

#[test]
fn check_constraints_are_enforced() {
    let (e, mut s) = session();
    tag(
        &mut s,
        "CREATE TABLE t(a INT CHECK (a > 0), b INT, CHECK (b > a))",
    );
    tag(&mut s, "INSERT INTO t VALUES (1, 2), (NULL, 5), (3, NULL)");
    let (code, message) = err(&mut s, "INSERT INTO t VALUES (0, 5)");
    assert_eq!(code, SqlState::CHECK_VIOLATION);
    assert_eq!(
        message,
        "new row for relation \"t\" violates check constraint \"t_a_check\""
    );
    assert_eq!(
        err(&mut s, "UPDATE t SET b = 0 WHERE a = 1").0,
        SqlState::CHECK_VIOLATION
    );
    // Adding a constraint the rows break fails and adds nothing.
    assert_eq!(
        err(&mut s, "ALTER TABLE t ADD CONSTRAINT small CHECK (a < 2)").0,
        SqlState::CHECK_VIOLATION
    );
    tag(&mut s, "INSERT INTO t VALUES (5, 6)");
    assert_eq!(
        contents(&e, "t"),
        vec![
            vec![i(1), i(2)],
            vec![Value::Null, i(5)],
            vec![i(3), Value::Null],
            vec![i(5), i(6)],
        ]
    );
}

#[test]
fn foreign_keys_are_enforced_with_their_actions() {
    let (e, mut s) = session();
    tag(&mut s, "CREATE TABLE p(id INT PRIMARY KEY, name TEXT)");
    tag(
        &mut s,
        "CREATE TABLE c(id INT PRIMARY KEY, pid INT REFERENCES p ON DELETE CASCADE ON UPDATE CASCADE)",
    );
    tag(
        &mut s,
        "CREATE TABLE n(id INT PRIMARY KEY, pid INT DEFAULT 2 REFERENCES p ON DELETE SET NULL ON UPDATE SET DEFAULT)",
    );
    tag(
        &mut s,
        "CREATE TABLE r(id INT PRIMARY KEY, pid INT REFERENCES p)",
    );
    tag(
        &mut s,
        "INSERT INTO p VALUES (1, 'one'), (2, 'two'), (3, 'three')",
    );
    tag(
        &mut s,
        "INSERT INTO c VALUES (10, 1), (11, 1), (12, 2), (13, NULL)",
    );
    tag(&mut s, "INSERT INTO n VALUES (20, 1), (21, 3)");
    tag(&mut s, "INSERT INTO r VALUES (30, 3)");
    let (code, message) = err(&mut s, "INSERT INTO c VALUES (14, 99)");
    assert_eq!(code, SqlState::FOREIGN_KEY_VIOLATION);
    assert_eq!(
        message,
        "insert or update on table \"c\" violates foreign key constraint \"c_pid_fkey\""
    );
    assert_eq!(
        err(&mut s, "UPDATE c SET pid = 42 WHERE id = 10").0,
        SqlState::FOREIGN_KEY_VIOLATION
    );
    // NO ACTION: p(3) is referenced by r.
    let (code, message) = err(&mut s, "DELETE FROM p WHERE id = 3");
    assert_eq!(code, SqlState::FOREIGN_KEY_VIOLATION);
    assert_eq!(
        message,
        "update or delete on table \"p\" violates foreign key constraint \"r_pid_fkey\" on table \"r\""
    );
    // CASCADE on c, SET NULL on n.
    assert_eq!(count(&mut s, "DELETE FROM p WHERE id = 1"), 1);
    assert_eq!(
        contents(&e, "c"),
        vec![vec![i(12), i(2)], vec![i(13), Value::Null]]
    );
    assert_eq!(
        contents(&e, "n"),
        vec![vec![i(20), Value::Null], vec![i(21), i(3)]]
    );
    // ON UPDATE CASCADE on c; SET DEFAULT on n (its default 2 must exist).
    tag(&mut s, "DELETE FROM r");
    assert_eq!(count(&mut s, "UPDATE p SET id = 4 WHERE id = 3"), 1);
    assert_eq!(
        contents(&e, "n"),
        vec![vec![i(20), Value::Null], vec![i(21), i(2)]]
    );
    // n(21) now references 2; changing p(2) would SET DEFAULT it to 2, which is gone.
    assert_eq!(
        err(&mut s, "UPDATE p SET id = 5 WHERE id = 2").0,
        SqlState::FOREIGN_KEY_VIOLATION
    );
    tag(&mut s, "DELETE FROM n WHERE id = 21");
    assert_eq!(count(&mut s, "UPDATE p SET id = 5 WHERE id = 2"), 1);
    assert_eq!(
        contents(&e, "c"),
        vec![vec![i(12), i(5)], vec![i(13), Value::Null]]
    );
    assert_eq!(
        contents(&e, "p"),
        vec![vec![i(4), t("three")], vec![i(5), t("two")]]
    );
}

#[test]
fn insert_select_and_create_table_as() {
    let (e, mut s) = session();
    tag(&mut s, "CREATE TABLE src(a INT, b TEXT)");
    tag(
        &mut s,
        "INSERT INTO src VALUES (1, 'x'), (2, 'y'), (3, 'z')",
    );
    tag(
        &mut s,
        "CREATE TABLE dst(k INT PRIMARY KEY, v TEXT DEFAULT 'dflt')",
    );
    assert_eq!(
        err(
            &mut s,
            "INSERT INTO dst (k) SELECT a * 10 FROM src WHERE a > $1"
        )
        .0,
        SqlState::UNDEFINED_PARAMETER
    );
    let stmt = s
        .prepare("INSERT INTO dst (k) SELECT a * 10 FROM src WHERE a > $1")
        .unwrap();
    let Outcome::Done(tg) = s.execute(&stmt, &[i(1)]).unwrap() else {
        panic!("rows")
    };
    assert_eq!(tg.rows, Some(2));
    assert_eq!(
        contents(&e, "dst"),
        vec![vec![i(20), t("dflt")], vec![i(30), t("dflt")]]
    );
    // Reading the table it inserts into: each source row once.
    tag(&mut s, "INSERT INTO src SELECT a + 100, b FROM src");
    assert_eq!(contents(&e, "src").len(), 6);
    assert_eq!(
        err(&mut s, "INSERT INTO dst SELECT a FROM src WHERE a = 1").0,
        SqlState::SYNTAX_ERROR
    );
    assert_eq!(
        err(&mut s, "INSERT INTO dst SELECT b, b FROM src").0,
        SqlState::DATATYPE_MISMATCH
    );
    let tg = tag(
        &mut s,
        "CREATE TABLE copy AS SELECT a, b || '!' AS bang FROM src WHERE a < 100",
    );
    assert_eq!(
        tg,
        CommandTag {
            command: "SELECT".into(),
            rows: Some(3)
        }
    );
    assert_eq!(
        rows(&mut s, "SELECT a, bang FROM copy ORDER BY a", &[]),
        vec![
            vec![i(1), t("x!")],
            vec![i(2), t("y!")],
            vec![i(3), t("z!")]
        ]
    );
    assert_eq!(
        err(&mut s, "CREATE TABLE copy AS SELECT 1").0,
        SqlState::DUPLICATE_TABLE
    );
}

#[test]
fn update_from_and_delete_using() {
    let (_e, mut s) = session();
    s.execute_batch(
        "CREATE TABLE t(id INT PRIMARY KEY, v INT);
         CREATE TABLE u(id INT, delta INT);
         INSERT INTO t VALUES (1, 10), (2, 20), (3, 30);
         INSERT INTO u VALUES (1, 5), (3, 7), (3, 100);",
    )
    .unwrap();
    // Row 3 joins two rows of u: it is updated once.
    assert_eq!(
        count(
            &mut s,
            "UPDATE t SET v = t.v + u.delta FROM u WHERE t.id = u.id"
        ),
        2
    );
    let got = rows(&mut s, "SELECT id, v FROM t ORDER BY id", &[]);
    assert_eq!(got[0], vec![i(1), i(15)]);
    assert_eq!(got[1], vec![i(2), i(20)]);
    assert!(
        got[2] == vec![i(3), i(37)] || got[2] == vec![i(3), i(130)],
        "{got:?}"
    );
    assert_eq!(
        count(
            &mut s,
            "DELETE FROM t USING u WHERE t.id = u.id AND u.delta = 5"
        ),
        1
    );
    assert_eq!(
        count(&mut s, "DELETE FROM t WHERE id IN (SELECT id FROM u)"),
        1
    );
    assert_eq!(
        rows(&mut s, "SELECT id, v FROM t ORDER BY id", &[]),
        vec![vec![i(2), i(20)]]
    );
    assert_eq!(
        count(
            &mut s,
            "UPDATE t SET v = (SELECT max(delta) FROM u) WHERE id = 2"
        ),
        1
    );
    assert_eq!(rows(&mut s, "SELECT v FROM t", &[]), vec![vec![i(100)]]);
}

#[test]
fn identity_serial_and_per_row_defaults() {
    let (e, mut s) = session();
    tag(
        &mut s,
        "CREATE TABLE t(id SERIAL PRIMARY KEY, code BIGINT GENERATED BY DEFAULT AS IDENTITY (START WITH 100 INCREMENT BY 10), v TEXT)",
    );
    tag(&mut s, "INSERT INTO t (v) VALUES ('a'), ('b')");
    tag(&mut s, "INSERT INTO t (id, v) VALUES (DEFAULT, 'c')");
    // An explicit value is stored as given (BY DEFAULT).
    tag(&mut s, "INSERT INTO t VALUES (50, 7, 'd')");
    // A failed statement gives its values back (covet's sequences are transactional).
    assert_eq!(
        err(
            &mut s,
            "INSERT INTO t (id, v) VALUES (DEFAULT, 'e'), (50, 'f')"
        )
        .0,
        SqlState::UNIQUE_VIOLATION
    );
    assert_eq!(
        contents(&e, "t"),
        vec![
            vec![i(1), i(100), t("a")],
            vec![i(2), i(110), t("b")],
            vec![i(3), i(120), t("c")],
            vec![i(50), i(7), t("d")],
        ]
    );
    assert_eq!(
        rows(
            &mut s,
            "INSERT INTO t (v) VALUES ('g') RETURNING id, code",
            &[]
        ),
        vec![vec![i(4), i(130)]]
    );
    // The sequences go with the table.
    tag(&mut s, "DROP TABLE t");
    tag(&mut s, "CREATE TABLE t(id SERIAL, v TEXT)");
    tag(&mut s, "INSERT INTO t (v) VALUES ('again')");
    assert_eq!(contents(&e, "t"), vec![vec![i(1), t("again")]]);

    tag(&mut s, "CREATE TABLE stamps(k INT, at TIMESTAMP DEFAULT now(), r DOUBLE PRECISION DEFAULT random())");
    tag(&mut s, "INSERT INTO stamps (k) VALUES (1)");
    let got = contents(&e, "stamps");
    assert!(matches!(got[0][1], Value::Timestamp(_)), "{got:?}");
    assert!(
        matches!(got[0][2], Value::Float(f) if (0.0..1.0).contains(&f)),
        "{got:?}"
    );
    assert_eq!(
        err(&mut s, "CREATE TABLE bad(k INT DEFAULT now())").0,
        SqlState::DATATYPE_MISMATCH
    );
}

#[test]
fn a_prepared_insert_is_rebound_after_ddl() {
    let (e, mut s) = session();
    tag(&mut s, "CREATE TABLE t(a INT, b INT)");
    let stmt = s.prepare("INSERT INTO t (a) VALUES ($1)").unwrap();
    let run = |s: &mut Session, v: i64| s.execute(&stmt, &[i(v)]).map(|_| ());
    run(&mut s, 1).unwrap();
    run(&mut s, 2).unwrap();
    // A CHECK added later applies to the next execution.
    tag(&mut s, "ALTER TABLE t ADD CONSTRAINT small CHECK (a < 10)");
    assert_eq!(run(&mut s, 11).unwrap_err().code, SqlState::CHECK_VIOLATION);
    // So does a new column's default.
    tag(&mut s, "ALTER TABLE t ADD COLUMN c TEXT DEFAULT 'new'");
    run(&mut s, 3).unwrap();
    // Inside a block that changed the schema, the statement binds afresh each time.
    tag(&mut s, "BEGIN");
    tag(&mut s, "ALTER TABLE t DROP COLUMN b");
    run(&mut s, 4).unwrap();
    tag(&mut s, "COMMIT");
    assert_eq!(
        contents(&e, "t"),
        // Rows from before ADD COLUMN read its default, as in PostgreSQL.
        vec![
            vec![i(1), t("new")],
            vec![i(2), t("new")],
            vec![i(3), t("new")],
            vec![i(4), t("new")],
        ]
    );
    tag(&mut s, "ALTER TABLE t DROP COLUMN a");
    assert_eq!(run(&mut s, 5).unwrap_err().code, SqlState::UNDEFINED_COLUMN);
}

#[test]
fn update_set_default_uses_per_row_defaults() {
    let (e, mut s) = session();
    tag(&mut s, "CREATE TABLE t(k INT PRIMARY KEY, n BIGINT GENERATED BY DEFAULT AS IDENTITY, v TEXT DEFAULT 'd')");
    tag(
        &mut s,
        "INSERT INTO t (k, n, v) VALUES (1, 100, 'x'), (2, 200, 'y')",
    );
    assert_eq!(count(&mut s, "UPDATE t SET n = DEFAULT, v = DEFAULT"), 2);
    assert_eq!(
        contents(&e, "t"),
        vec![vec![i(1), i(1), t("d")], vec![i(2), i(2), t("d")]]
    );
    assert_eq!(
        err(
            &mut s,
            "INSERT INTO t (k) VALUES (1) ON CONFLICT (k) DO UPDATE SET n = DEFAULT"
        )
        .0,
        SqlState::FEATURE_NOT_SUPPORTED
    );
}

#[test]
fn prepared_update_and_delete_are_rebound_after_ddl() {
    let (e, mut s) = session();
    tag(&mut s, "CREATE TABLE t(k INT PRIMARY KEY, a INT, b INT)");
    tag(
        &mut s,
        "INSERT INTO t VALUES (1, 0, 0), (2, 0, 0), (3, 0, 0)",
    );
    let up = s.prepare("UPDATE t SET a = $2 WHERE k = $1").unwrap();
    let del = s.prepare("DELETE FROM t WHERE k = $1").unwrap();
    let update = |s: &mut Session, k: i64, a: i64| s.execute(&up, &[i(k), i(a)]).map(|_| ());
    update(&mut s, 1, 5).unwrap();
    update(&mut s, 2, 6).unwrap();
    // A CHECK added later applies to the next execution.
    tag(&mut s, "ALTER TABLE t ADD CONSTRAINT small CHECK (a < 10)");
    assert_eq!(
        update(&mut s, 1, 11).unwrap_err().code,
        SqlState::CHECK_VIOLATION
    );
    // So does a new index: the plan of the cached statement is made again.
    tag(&mut s, "CREATE UNIQUE INDEX t_a ON t(a)");
    assert_eq!(
        update(&mut s, 3, 5).unwrap_err().code,
        SqlState::UNIQUE_VIOLATION
    );
    // Inside a block that changed the schema, the statements bind afresh each time.
    tag(&mut s, "BEGIN");
    tag(&mut s, "ALTER TABLE t DROP COLUMN b");
    update(&mut s, 3, 7).unwrap();
    s.execute(&del, &[i(2)]).unwrap();
    tag(&mut s, "COMMIT");
    assert_eq!(contents(&e, "t"), vec![vec![i(1), i(5)], vec![i(3), i(7)]]);
    // A table referencing this one later: its key restricts the next DELETE.
    tag(
        &mut s,
        "CREATE TABLE c(id INT PRIMARY KEY, tk INT REFERENCES t(k))",
    );
    tag(&mut s, "INSERT INTO c VALUES (1, 3)");
    assert_eq!(
        s.execute(&del, &[i(3)]).err().map(|e| e.code),
        Some(SqlState::FOREIGN_KEY_VIOLATION)
    );
    s.execute(&del, &[i(1)]).unwrap();
    assert_eq!(contents(&e, "t"), vec![vec![i(3), i(7)]]);
    tag(&mut s, "DROP TABLE c");
    tag(&mut s, "DROP INDEX t_a");
    tag(&mut s, "ALTER TABLE t DROP COLUMN a");
    assert_eq!(
        update(&mut s, 3, 1).unwrap_err().code,
        SqlState::UNDEFINED_COLUMN
    );
}
