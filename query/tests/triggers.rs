//! Triggers in SQLite's form, run: each timing and event, WHEN, UPDATE OF, NEW/OLD,
//! INSTEAD OF on a view, RAISE, atomicity, recursion, and their storage.

use std::sync::Arc;

use covet_engine::Database;
use covet_query::{Engine, Outcome, Session, SqlState};

fn session() -> Session {
    Session::new(Engine::new(Database::memory().unwrap()))
}

fn run(s: &mut Session, sql: &str) {
    if let Err(e) = s.execute_batch(sql) {
        panic!("{sql}: {} {}", e.code, e.message);
    }
}

/// The rows of `sql`, each as its values joined by `|`.
fn rows(s: &mut Session, sql: &str) -> Vec<String> {
    match s.execute_sql(sql, &[]) {
        Ok(Outcome::Rows(r)) => r
            .map(|row| {
                row.unwrap()
                    .iter()
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join("|")
            })
            .collect(),
        Ok(Outcome::Done(t)) => panic!("{sql}: no rows, {t:?}"),
        Err(e) => panic!("{sql}: {} {}", e.code, e.message),
    }
}

/// The row count of a DML statement.
fn count(s: &mut Session, sql: &str) -> u64 {
    match s.execute_sql(sql, &[]) {
        Ok(Outcome::Done(t)) => t.rows.unwrap_or(0),
        Ok(Outcome::Rows(_)) => panic!("{sql}: rows"),
        Err(e) => panic!("{sql}: {} {}", e.code, e.message),
    }
}

fn err(s: &mut Session, sql: &str) -> (SqlState, String) {
    match s.execute_sql(sql, &[]) {
        Ok(Outcome::Rows(r)) => {
            for row in r {
                if let Err(e) = row {
                    return (e.code, e.message);
                }
            }
            panic!("{sql}: succeeded")
        }
        Ok(_) => panic!("{sql}: succeeded"),
        Err(e) => (e.code, e.message),
    }
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

const SETUP: &str = "CREATE TABLE t (a INT PRIMARY KEY, b TEXT, c INT);
    CREATE TABLE log (n INT PRIMARY KEY, what TEXT);
    CREATE TABLE seq (v INT);
    INSERT INTO seq VALUES (0)";

/// `log` entries get increasing keys through `seq`.
fn logger(name: &str, timing_event: &str, what: &str) -> String {
    format!(
        "CREATE TRIGGER {name} {timing_event} ON t BEGIN \
         UPDATE seq SET v = v + 1; \
         INSERT INTO log SELECT v, {what} FROM seq; END"
    )
}

#[test]
fn before_and_after_each_event_with_new_and_old() {
    let mut s = session();
    run(&mut s, SETUP);
    for (name, te, what) in [
        ("bi", "BEFORE INSERT", "'bi ' || NEW.a || ' ' || NEW.b"),
        ("ai", "AFTER INSERT", "'ai ' || NEW.a || ' ' || NEW.b"),
        ("bu", "BEFORE UPDATE", "'bu ' || OLD.b || '>' || NEW.b"),
        ("au", "AFTER UPDATE", "'au ' || OLD.b || '>' || NEW.b"),
        ("bd", "BEFORE DELETE", "'bd ' || OLD.a"),
        ("ad", "AFTER DELETE", "'ad ' || OLD.a"),
    ] {
        run(&mut s, &logger(name, te, what));
    }
    assert_eq!(
        count(&mut s, "INSERT INTO t VALUES (1, 'x', 0), (2, 'y', 0)"),
        2
    );
    assert_eq!(count(&mut s, "UPDATE t SET b = b || '!' WHERE a = 2"), 1);
    assert_eq!(count(&mut s, "DELETE FROM t WHERE a = 1"), 1);
    assert_eq!(
        rows(&mut s, "SELECT n, what FROM log ORDER BY n"),
        strs(&[
            "1|bi 1 x",
            "2|ai 1 x",
            "3|bi 2 y",
            "4|ai 2 y",
            "5|bu y>y!",
            "6|au y>y!",
            "7|bd 1",
            "8|ad 1"
        ])
    );
    assert_eq!(rows(&mut s, "SELECT a, b FROM t"), strs(&["2|y!"]));
}

#[test]
fn the_newest_trigger_fires_first() {
    let mut s = session();
    run(&mut s, SETUP);
    run(&mut s, &logger("first", "AFTER INSERT", "'first'"));
    run(&mut s, &logger("second", "AFTER INSERT", "'second'"));
    run(&mut s, &logger("third", "BEFORE INSERT", "'third'"));
    run(&mut s, "INSERT INTO t VALUES (1, 'x', 0)");
    assert_eq!(
        rows(&mut s, "SELECT what FROM log ORDER BY n"),
        strs(&["third", "second", "first"])
    );
}

#[test]
fn when_and_update_of() {
    let mut s = session();
    run(&mut s, SETUP);
    run(
        &mut s,
        "CREATE TRIGGER up AFTER UPDATE OF c ON t FOR EACH ROW WHEN NEW.c > OLD.c BEGIN \
         INSERT INTO log VALUES (NEW.a * 100 + NEW.c, 'up ' || (NEW.c - OLD.c)); END",
    );
    run(&mut s, "INSERT INTO t VALUES (1, 'x', 1), (2, 'y', 5)");
    // c grows for 1 only; b alone fires nothing (not in UPDATE OF).
    run(&mut s, "UPDATE t SET c = 3");
    run(&mut s, "UPDATE t SET b = 'z', c = c + 1 WHERE a = 1");
    run(&mut s, "UPDATE t SET b = 'w'");
    assert_eq!(
        rows(&mut s, "SELECT n, what FROM log ORDER BY n"),
        strs(&["103|up 2", "104|up 1"])
    );
    // A NULL condition does not fire.
    run(&mut s, "UPDATE t SET c = NULL WHERE a = 2");
    run(&mut s, "UPDATE t SET c = 9 WHERE a = 2");
    assert_eq!(rows(&mut s, "SELECT count(*) FROM log"), strs(&["2"]));
}

#[test]
fn new_and_old_are_checked() {
    let mut s = session();
    run(&mut s, SETUP);
    assert_eq!(
        err(
            &mut s,
            "CREATE TRIGGER x AFTER INSERT ON t BEGIN INSERT INTO log VALUES (OLD.a, 'x'); END"
        ),
        (
            SqlState::UNDEFINED_TABLE,
            "missing FROM-clause entry for table \"old\"".to_string()
        )
    );
    assert_eq!(
        err(
            &mut s,
            "CREATE TRIGGER x BEFORE DELETE ON t BEGIN SELECT NEW.a; END"
        )
        .0,
        SqlState::UNDEFINED_TABLE
    );
    assert_eq!(
        err(
            &mut s,
            "CREATE TRIGGER x AFTER UPDATE ON t BEGIN SELECT NEW.zz; END"
        ),
        (
            SqlState::UNDEFINED_COLUMN,
            "column new.zz does not exist".to_string()
        )
    );
    assert_eq!(
        err(
            &mut s,
            "CREATE TRIGGER x AFTER UPDATE OF zz ON t BEGIN SELECT 1; END"
        )
        .0,
        SqlState::UNDEFINED_COLUMN
    );
    assert_eq!(
        err(
            &mut s,
            "CREATE TRIGGER x AFTER UPDATE ON nope BEGIN SELECT 1; END"
        )
        .0,
        SqlState::UNDEFINED_TABLE
    );
    assert_eq!(
        err(
            &mut s,
            "CREATE TRIGGER x AFTER UPDATE ON t BEGIN CREATE TABLE z (a INT); END"
        )
        .0,
        SqlState::SYNTAX_ERROR
    );
    // After the column is gone, the firing statement fails and changes nothing.
    run(
        &mut s,
        "CREATE TABLE d (a INT, gone INT);
         CREATE TRIGGER dg AFTER INSERT ON d BEGIN INSERT INTO log VALUES (NEW.gone, 'g'); END;
         ALTER TABLE d DROP COLUMN gone",
    );
    assert_eq!(
        err(&mut s, "INSERT INTO d VALUES (1)"),
        (
            SqlState::UNDEFINED_COLUMN,
            "column new.gone does not exist".to_string()
        )
    );
    assert_eq!(rows(&mut s, "SELECT count(*) FROM d"), strs(&["0"]));
}

#[test]
fn instead_of_on_a_view() {
    let mut s = session();
    run(&mut s, SETUP);
    run(
        &mut s,
        "CREATE VIEW v AS SELECT a, b FROM t;
         CREATE TRIGGER vi INSTEAD OF INSERT ON v BEGIN INSERT INTO t VALUES (NEW.a, upper(NEW.b), 0); END;
         CREATE TRIGGER vu INSTEAD OF UPDATE ON v BEGIN UPDATE t SET b = NEW.b, c = c + 1 WHERE a = OLD.a; END;
         CREATE TRIGGER vd INSTEAD OF DELETE ON v BEGIN INSERT INTO log VALUES (OLD.a, 'vd ' || OLD.b); END",
    );
    assert_eq!(count(&mut s, "INSERT INTO v VALUES (1, 'x'), (2, 'y')"), 2);
    assert_eq!(count(&mut s, "INSERT INTO v (b, a) SELECT 'z', 3"), 1);
    assert_eq!(count(&mut s, "UPDATE v SET b = b || '?' WHERE a >= 2"), 2);
    assert_eq!(count(&mut s, "DELETE FROM v WHERE a = 1"), 1);
    assert_eq!(
        rows(&mut s, "SELECT a, b, c FROM t ORDER BY a"),
        strs(&["1|X|0", "2|Y?|1", "3|Z?|1"])
    );
    assert_eq!(rows(&mut s, "SELECT n, what FROM log"), strs(&["1|vd X"]));
    // BEFORE/AFTER on a view and INSTEAD OF on a table are refused.
    assert_eq!(
        err(
            &mut s,
            "CREATE TRIGGER x BEFORE INSERT ON v BEGIN SELECT 1; END"
        )
        .0,
        SqlState::WRONG_OBJECT_TYPE
    );
    assert_eq!(
        err(
            &mut s,
            "CREATE TRIGGER x INSTEAD OF INSERT ON t BEGIN SELECT 1; END"
        )
        .0,
        SqlState::WRONG_OBJECT_TYPE
    );
    // Without an INSTEAD OF trigger for the event, a view keeps its error.
    run(&mut s, "CREATE VIEW w AS SELECT a FROM t");
    assert_eq!(
        err(&mut s, "INSERT INTO w VALUES (9)").0,
        SqlState::UNDEFINED_TABLE
    );
    assert_eq!(err(&mut s, "DELETE FROM w").0, SqlState::WRONG_OBJECT_TYPE);
    // DROP VIEW drops its triggers.
    run(&mut s, "DROP VIEW v; CREATE VIEW v AS SELECT a, b FROM t");
    assert_eq!(
        err(&mut s, "INSERT INTO v VALUES (5, 'q')").0,
        SqlState::UNDEFINED_TABLE
    );
}

#[test]
fn raise_abort_undoes_the_statement() {
    let mut s = session();
    run(&mut s, SETUP);
    run(
        &mut s,
        "CREATE TRIGGER chk BEFORE INSERT ON t BEGIN SELECT RAISE(ABORT, 'negative ' || NEW.a) WHERE NEW.c < 0; END;
         CREATE TRIGGER ai AFTER INSERT ON t BEGIN INSERT INTO log VALUES (NEW.a, 'ai'); END",
    );
    assert_eq!(
        err(
            &mut s,
            "INSERT INTO t VALUES (1, 'x', 1), (2, 'y', -1), (3, 'z', 1)"
        ),
        (SqlState(*b"P0001"), "negative 2".to_string())
    );
    assert_eq!(rows(&mut s, "SELECT count(*) FROM t"), strs(&["0"]));
    assert_eq!(rows(&mut s, "SELECT count(*) FROM log"), strs(&["0"]));
    // A CASE form raises only on the rows that reach it.
    run(
        &mut s,
        "CREATE TRIGGER cs BEFORE UPDATE ON t BEGIN SELECT CASE WHEN NEW.c > 10 THEN RAISE(ABORT, 'too big') END; END",
    );
    run(&mut s, "INSERT INTO t VALUES (1, 'x', 1), (2, 'y', 2)");
    run(&mut s, "UPDATE t SET c = c + 5");
    assert_eq!(
        err(&mut s, "UPDATE t SET c = c * 10"),
        (SqlState(*b"P0001"), "too big".to_string())
    );
    assert_eq!(
        rows(&mut s, "SELECT a, c FROM t ORDER BY a"),
        strs(&["1|6", "2|7"])
    );
    // Outside a trigger, the internal function refuses to run.
    assert_eq!(
        err(&mut s, "SELECT __covet_raise(2, 'x')").0,
        SqlState::FEATURE_NOT_SUPPORTED
    );
}

#[test]
fn raise_ignore_skips_the_row() {
    let mut s = session();
    run(&mut s, SETUP);
    run(
        &mut s,
        "CREATE TRIGGER ig BEFORE INSERT ON t BEGIN SELECT RAISE(IGNORE) WHERE NEW.c < 0; END;
         CREATE TRIGGER igd BEFORE DELETE ON t BEGIN SELECT RAISE(IGNORE) WHERE OLD.b = 'keep'; END;
         CREATE TRIGGER ai AFTER INSERT ON t BEGIN INSERT INTO log VALUES (NEW.a, 'ai'); END",
    );
    assert_eq!(
        count(
            &mut s,
            "INSERT INTO t VALUES (1, 'x', 1), (2, 'keep', -1), (3, 'keep', 1)"
        ),
        2
    );
    assert_eq!(
        rows(&mut s, "SELECT a FROM t ORDER BY a"),
        strs(&["1", "3"])
    );
    assert_eq!(
        rows(&mut s, "SELECT n FROM log ORDER BY n"),
        strs(&["1", "3"])
    );
    assert_eq!(count(&mut s, "DELETE FROM t"), 1);
    assert_eq!(rows(&mut s, "SELECT a FROM t"), strs(&["3"]));
}

#[test]
fn raise_fail_keeps_earlier_rows_and_rollback_ends_the_block() {
    let mut s = session();
    run(&mut s, SETUP);
    run(
        &mut s,
        "CREATE TRIGGER f BEFORE INSERT ON t BEGIN SELECT RAISE(FAIL, 'stop') WHERE NEW.a = 2; END",
    );
    assert_eq!(
        err(
            &mut s,
            "INSERT INTO t VALUES (1, 'x', 0), (2, 'y', 0), (3, 'z', 0)"
        ),
        (SqlState(*b"P0001"), "stop".to_string())
    );
    assert_eq!(rows(&mut s, "SELECT a FROM t"), strs(&["1"]));
    run(
        &mut s,
        "DROP TRIGGER f;
         CREATE TRIGGER r BEFORE INSERT ON t BEGIN SELECT RAISE(ROLLBACK, 'all gone') WHERE NEW.a = 9; END;
         BEGIN;
         INSERT INTO t VALUES (5, 'x', 0)",
    );
    assert_eq!(
        err(&mut s, "INSERT INTO t VALUES (9, 'x', 0)"),
        (SqlState(*b"40000"), "all gone".to_string())
    );
    // The block is over (not failed): the next statement runs on its own.
    assert_eq!(rows(&mut s, "SELECT a FROM t ORDER BY a"), strs(&["1"]));
    run(&mut s, "INSERT INTO t VALUES (6, 'x', 0); ROLLBACK");
    assert_eq!(
        rows(&mut s, "SELECT a FROM t ORDER BY a"),
        strs(&["1", "6"])
    );
}

#[test]
fn a_failing_body_undoes_the_statement() {
    let mut s = session();
    run(&mut s, SETUP);
    run(
        &mut s,
        "CREATE TRIGGER ai AFTER INSERT ON t BEGIN INSERT INTO log VALUES (NEW.c, 'dup?'); END",
    );
    // The second row's log key collides with the first's: nothing of the statement stays.
    assert_eq!(
        err(&mut s, "INSERT INTO t VALUES (1, 'x', 7), (2, 'y', 7)").0,
        SqlState::UNIQUE_VIOLATION
    );
    assert_eq!(rows(&mut s, "SELECT count(*) FROM t"), strs(&["0"]));
    assert_eq!(rows(&mut s, "SELECT count(*) FROM log"), strs(&["0"]));
    // In a block, the statement is undone and the block fails.
    run(&mut s, "BEGIN; INSERT INTO t VALUES (1, 'x', 1)");
    assert_eq!(
        err(&mut s, "INSERT INTO t VALUES (2, 'y', 1)").0,
        SqlState::UNIQUE_VIOLATION
    );
    run(&mut s, "ROLLBACK");
    assert_eq!(rows(&mut s, "SELECT count(*) FROM t"), strs(&["0"]));
}

#[test]
fn recursion_is_off_and_depth_is_bounded() {
    let mut s = session();
    run(
        &mut s,
        "CREATE TABLE r (x INT);
         CREATE TRIGGER rr AFTER INSERT ON r WHEN NEW.x < 5 BEGIN INSERT INTO r VALUES (NEW.x + 1); END;
         INSERT INTO r VALUES (1)",
    );
    // rr does not fire for its own insert (SQLite's recursive_triggers off).
    assert_eq!(
        rows(&mut s, "SELECT x FROM r ORDER BY x"),
        strs(&["1", "2"])
    );
    // Through another trigger: q → q2 → q stops at the running trigger.
    run(
        &mut s,
        "CREATE TABLE q (x INT); CREATE TABLE q2 (x INT);
         CREATE TRIGGER qa AFTER INSERT ON q BEGIN INSERT INTO q2 VALUES (NEW.x); END;
         CREATE TRIGGER qb AFTER INSERT ON q2 WHEN NEW.x < 5 BEGIN INSERT INTO q VALUES (NEW.x + 1); END;
         INSERT INTO q VALUES (1)",
    );
    assert_eq!(
        rows(&mut s, "SELECT x FROM q ORDER BY x"),
        strs(&["1", "2"])
    );
    assert_eq!(rows(&mut s, "SELECT x FROM q2"), strs(&["1"]));
    // A chain of 40 distinct triggers passes the depth limit: 54001, nothing stays.
    let mut script = String::new();
    for i in 0..=40 {
        script.push_str(&format!("CREATE TABLE c{i} (x INT);\n"));
    }
    for i in 0..40 {
        script.push_str(&format!(
            "CREATE TRIGGER c{i}_t AFTER INSERT ON c{i} BEGIN INSERT INTO c{} VALUES (NEW.x + 1); END;\n",
            i + 1
        ));
    }
    run(&mut s, &script);
    let (code, message) = err(&mut s, "INSERT INTO c0 VALUES (0)");
    assert_eq!(
        (code, message.as_str()),
        (
            SqlState::STATEMENT_TOO_COMPLEX,
            "too many levels of trigger recursion (at most 32)"
        )
    );
    assert_eq!(rows(&mut s, "SELECT count(*) FROM c0"), strs(&["0"]));
    assert_eq!(rows(&mut s, "SELECT count(*) FROM c5"), strs(&["0"]));
    // A chain of 32 works.
    run(&mut s, "INSERT INTO c8 VALUES (8)");
    assert_eq!(rows(&mut s, "SELECT x FROM c40"), strs(&["40"]));
}

#[test]
fn drop_table_drops_its_triggers() {
    let mut s = session();
    run(&mut s, SETUP);
    run(&mut s, &logger("ai", "AFTER INSERT", "'ai'"));
    run(
        &mut s,
        "DROP TABLE t; CREATE TABLE t (a INT PRIMARY KEY, b TEXT, c INT)",
    );
    run(&mut s, "INSERT INTO t VALUES (1, 'x', 0)");
    assert_eq!(rows(&mut s, "SELECT count(*) FROM log"), strs(&["0"]));
    assert_eq!(err(&mut s, "DROP TRIGGER ai").0, SqlState::UNDEFINED_OBJECT);
    // The name is free again.
    run(&mut s, &logger("ai", "AFTER INSERT", "'ai'"));
}

#[test]
fn triggers_survive_reopening_a_file_database() {
    let dir = std::env::temp_dir().join(format!("covet-triggers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("db.covet");
    {
        let db = Database::open(&path, Default::default()).unwrap();
        let mut s = Session::new(Engine::new(db));
        run(&mut s, SETUP);
        run(
            &mut s,
            &logger("older", "AFTER INSERT", "'older ' || NEW.a"),
        );
        run(
            &mut s,
            &logger("newer", "AFTER INSERT", "'newer ' || NEW.a"),
        );
    }
    {
        let db = Database::open(&path, Default::default()).unwrap();
        let e: Arc<Engine> = Engine::new(db);
        let mut s = Session::new(e);
        run(&mut s, "INSERT INTO t VALUES (4, 'x', 0)");
        assert_eq!(
            rows(&mut s, "SELECT what FROM log ORDER BY n"),
            strs(&["newer 4", "older 4"])
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
