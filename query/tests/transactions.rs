//! Transaction blocks, savepoints, the failed state and statement atomicity, seen
//! through the tables that exist afterwards (read with the engine's API).

use std::sync::Arc;

use covet_engine::table::TableRead;
use covet_engine::Database;
use covet_query::{CommandTag, Engine, Outcome, Session, SqlState, TransactionStatus};

fn engine() -> Arc<Engine> {
    Engine::new(Database::memory().unwrap())
}

fn tag(s: &mut Session, sql: &str) -> CommandTag {
    match s.execute_sql(sql, &[]) {
        Ok(Outcome::Done(tag)) => tag,
        Ok(Outcome::Rows(_)) => panic!("{sql}: rows, not a command tag"),
        Err(e) => panic!("{sql}: {} {}", e.code, e.message),
    }
}

fn command(s: &mut Session, sql: &str) -> String {
    tag(s, sql).command
}

fn error(s: &mut Session, sql: &str) -> SqlState {
    match s.execute_sql(sql, &[]) {
        Ok(_) => panic!("{sql}: succeeded"),
        Err(e) => e.code,
    }
}

fn tables(engine: &Engine) -> Vec<String> {
    let r = engine.database().begin_read().unwrap();
    let mut names = r.tables().list_tables().unwrap();
    names.sort();
    names
}

#[test]
fn commit_and_rollback_of_ddl() {
    let e = engine();
    let mut s = Session::new(e.clone());
    assert_eq!(command(&mut s, "BEGIN"), "BEGIN");
    assert_eq!(s.transaction_status(), TransactionStatus::InTransaction);
    assert_eq!(command(&mut s, "CREATE TABLE a(x INT)"), "CREATE TABLE");
    // Not visible to others before COMMIT.
    assert_eq!(tables(&e), Vec::<String>::new());
    assert_eq!(command(&mut s, "COMMIT"), "COMMIT");
    assert_eq!(s.transaction_status(), TransactionStatus::Idle);
    assert_eq!(tables(&e), vec!["a"]);

    assert_eq!(command(&mut s, "START TRANSACTION"), "START TRANSACTION");
    command(&mut s, "CREATE TABLE b(x INT)");
    assert_eq!(command(&mut s, "ROLLBACK"), "ROLLBACK");
    assert_eq!(tables(&e), vec!["a"]);
    // END is COMMIT.
    command(&mut s, "BEGIN");
    command(&mut s, "CREATE TABLE c(x INT)");
    assert_eq!(command(&mut s, "END"), "COMMIT");
    assert_eq!(tables(&e), vec!["a", "c"]);
}

#[test]
fn outside_a_block_each_statement_commits() {
    let e = engine();
    let mut s = Session::new(e.clone());
    command(&mut s, "CREATE TABLE a(x INT)");
    assert_eq!(tables(&e), vec!["a"]);
    // COMMIT and ROLLBACK outside a block warn in PostgreSQL and succeed.
    assert_eq!(command(&mut s, "COMMIT"), "COMMIT");
    assert_eq!(command(&mut s, "ROLLBACK"), "ROLLBACK");
    assert_eq!(
        error(&mut s, "SAVEPOINT x"),
        SqlState::NO_ACTIVE_SQL_TRANSACTION
    );
    assert_eq!(
        error(&mut s, "RELEASE SAVEPOINT x"),
        SqlState::NO_ACTIVE_SQL_TRANSACTION
    );
}

#[test]
fn failed_block_refuses_until_rollback() {
    let e = engine();
    let mut s = Session::new(e.clone());
    command(&mut s, "CREATE TABLE a(x INT)");
    command(&mut s, "BEGIN");
    command(&mut s, "CREATE TABLE b(x INT)");
    assert_eq!(
        error(&mut s, "CREATE TABLE a(y INT)"),
        SqlState::DUPLICATE_TABLE
    );
    assert_eq!(s.transaction_status(), TransactionStatus::Failed);
    assert_eq!(
        error(&mut s, "CREATE TABLE c(x INT)"),
        SqlState::IN_FAILED_SQL_TRANSACTION
    );
    assert_eq!(
        error(&mut s, "SAVEPOINT p"),
        SqlState::IN_FAILED_SQL_TRANSACTION
    );
    assert_eq!(
        error(&mut s, "SHOW work_mem"),
        SqlState::IN_FAILED_SQL_TRANSACTION
    );
    assert_eq!(command(&mut s, "ROLLBACK"), "ROLLBACK");
    assert_eq!(s.transaction_status(), TransactionStatus::Idle);
    assert_eq!(tables(&e), vec!["a"]);
}

#[test]
fn commit_of_a_failed_block_rolls_back() {
    let e = engine();
    let mut s = Session::new(e.clone());
    command(&mut s, "BEGIN");
    command(&mut s, "CREATE TABLE b(x INT)");
    assert_eq!(error(&mut s, "DROP TABLE nope"), SqlState::UNDEFINED_TABLE);
    assert_eq!(command(&mut s, "COMMIT"), "ROLLBACK");
    assert_eq!(s.transaction_status(), TransactionStatus::Idle);
    assert_eq!(tables(&e), Vec::<String>::new());
}

#[test]
fn savepoints_nest_roll_back_and_release() {
    let e = engine();
    let mut s = Session::new(e.clone());
    command(&mut s, "BEGIN");
    command(&mut s, "CREATE TABLE a(x INT)");
    assert_eq!(command(&mut s, "SAVEPOINT one"), "SAVEPOINT");
    command(&mut s, "CREATE TABLE b(x INT)");
    command(&mut s, "SAVEPOINT two");
    command(&mut s, "CREATE TABLE c(x INT)");
    assert_eq!(command(&mut s, "ROLLBACK TO SAVEPOINT two"), "ROLLBACK");
    // `two` stays declared after a rollback to it.
    command(&mut s, "CREATE TABLE d(x INT)");
    command(&mut s, "ROLLBACK TO two");
    assert_eq!(command(&mut s, "RELEASE SAVEPOINT two"), "RELEASE");
    // Released: gone.
    assert_eq!(
        error(&mut s, "ROLLBACK TO two"),
        SqlState::INVALID_SAVEPOINT_SPECIFICATION
    );
    // That error failed the block; rolling back to a live savepoint recovers it.
    assert_eq!(s.transaction_status(), TransactionStatus::Failed);
    command(&mut s, "ROLLBACK TO one");
    assert_eq!(s.transaction_status(), TransactionStatus::InTransaction);
    command(&mut s, "CREATE TABLE e(x INT)");
    command(&mut s, "RELEASE one");
    command(&mut s, "COMMIT");
    assert_eq!(tables(&e), vec!["a", "e"]);
}

#[test]
fn savepoint_before_the_first_write_undoes_everything_after_it() {
    let e = engine();
    let mut s = Session::new(e.clone());
    command(&mut s, "BEGIN");
    command(&mut s, "SAVEPOINT early");
    command(&mut s, "CREATE TABLE a(x INT)");
    command(&mut s, "SAVEPOINT early");
    command(&mut s, "CREATE TABLE b(x INT)");
    // The newest savepoint of a repeated name is the one rolled back to.
    command(&mut s, "ROLLBACK TO early");
    command(&mut s, "RELEASE early");
    command(&mut s, "COMMIT");
    assert_eq!(tables(&e), vec!["a"]);

    command(&mut s, "BEGIN");
    command(&mut s, "SAVEPOINT early");
    command(&mut s, "CREATE TABLE c(x INT)");
    command(&mut s, "ROLLBACK TO SAVEPOINT early");
    command(&mut s, "COMMIT");
    assert_eq!(tables(&e), vec!["a"]);
}

#[test]
fn a_failed_statement_in_a_block_is_undone_alone() {
    let e = engine();
    let mut s = Session::new(e.clone());
    command(&mut s, "BEGIN");
    command(&mut s, "CREATE TABLE a(x INT)");
    command(&mut s, "SAVEPOINT s");
    // Creates the table, then fails on its second UNIQUE index name: the statement
    // savepoint undoes the table too.
    assert_eq!(
        error(
            &mut s,
            "CREATE TABLE b(x INT CONSTRAINT dup UNIQUE, y INT CONSTRAINT dup UNIQUE)"
        ),
        SqlState::DUPLICATE_TABLE
    );
    command(&mut s, "ROLLBACK TO s");
    command(&mut s, "COMMIT");
    assert_eq!(tables(&e), vec!["a"]);
}

#[test]
fn read_only_blocks_refuse_writes() {
    let e = engine();
    let mut s = Session::new(e.clone());
    command(&mut s, "BEGIN READ ONLY");
    assert_eq!(
        error(&mut s, "CREATE TABLE a(x INT)"),
        SqlState::READ_ONLY_SQL_TRANSACTION
    );
    command(&mut s, "ROLLBACK");
    command(
        &mut s,
        "START TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ ONLY",
    );
    assert_eq!(
        error(&mut s, "CREATE TABLE a(x INT)"),
        SqlState::READ_ONLY_SQL_TRANSACTION
    );
    command(&mut s, "ROLLBACK");
    command(&mut s, "BEGIN");
    command(&mut s, "SET TRANSACTION READ ONLY");
    assert_eq!(
        error(&mut s, "CREATE TABLE a(x INT)"),
        SqlState::READ_ONLY_SQL_TRANSACTION
    );
    command(&mut s, "ROLLBACK");
    assert_eq!(tables(&e), Vec::<String>::new());
}

#[test]
fn vacuum_only_outside_blocks() {
    let e = engine();
    let mut s = Session::new(e.clone());
    command(&mut s, "CREATE TABLE a(x INT)");
    assert_eq!(command(&mut s, "VACUUM"), "VACUUM");
    command(&mut s, "BEGIN");
    assert_eq!(error(&mut s, "VACUUM"), SqlState::ACTIVE_SQL_TRANSACTION);
    command(&mut s, "ROLLBACK");
    assert_eq!(tables(&e), vec!["a"]);
}

#[test]
fn isolation_level_settings() {
    let e = engine();
    let mut s = Session::new(e);
    let show = |s: &mut Session, name: &str| -> String {
        let Outcome::Rows(rows) = s.execute_sql(&format!("SHOW {name}"), &[]).unwrap() else {
            panic!("SHOW gave no rows")
        };
        let rows: Vec<_> = rows.map(Result::unwrap).collect();
        assert_eq!(rows.len(), 1);
        match &rows[0][0] {
            covet_engine::value::Value::Text(t) => t.clone(),
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(show(&mut s, "transaction_isolation"), "read committed");
    command(&mut s, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    assert_eq!(
        show(&mut s, "transaction isolation level"),
        "repeatable read"
    );
    // SHOW takes no snapshot: the level can still change.
    command(&mut s, "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE");
    assert_eq!(show(&mut s, "transaction_isolation"), "serializable");
    // After the block's first statement, the level is fixed.
    command(&mut s, "CREATE TABLE a(x INT)");
    assert_eq!(
        error(&mut s, "SET TRANSACTION ISOLATION LEVEL READ COMMITTED"),
        SqlState::ACTIVE_SQL_TRANSACTION
    );
    command(&mut s, "ROLLBACK");
    command(&mut s, "SET default_transaction_isolation = 'serializable'");
    command(&mut s, "BEGIN");
    assert_eq!(show(&mut s, "transaction_isolation"), "serializable");
    command(&mut s, "COMMIT");
    command(&mut s, "BEGIN");
    command(&mut s, "SET TRANSACTION ISOLATION LEVEL READ COMMITTED");
    assert_eq!(show(&mut s, "transaction_isolation"), "read committed");
    command(&mut s, "COMMIT");
    assert_eq!(
        show(&mut s, "default_transaction_isolation"),
        "serializable"
    );
    assert_eq!(
        error(&mut s, "SET nonsense = 1"),
        SqlState::UNDEFINED_OBJECT
    );
    assert_eq!(command(&mut s, "SET search_path TO public"), "SET");
    assert_eq!(show(&mut s, "search_path"), "public");
    command(&mut s, "SET work_mem = '8MB'");
    assert_eq!(s.work_mem(), 8 << 20);
}

#[test]
fn errors_while_preparing_fail_the_block_too() {
    let e = engine();
    let mut s = Session::new(e.clone());
    command(&mut s, "CREATE TABLE a(x INT)");
    command(&mut s, "BEGIN");
    assert_eq!(error(&mut s, "SELEC 1"), SqlState::SYNTAX_ERROR);
    assert_eq!(s.transaction_status(), TransactionStatus::Failed);
    // Binding would say 42P01; the failed block answers first.
    assert_eq!(
        error(&mut s, "INSERT INTO nope VALUES (1)"),
        SqlState::IN_FAILED_SQL_TRANSACTION
    );
    assert_eq!(command(&mut s, "COMMIT"), "ROLLBACK");
    command(&mut s, "BEGIN");
    assert_eq!(
        error(&mut s, "SELECT * FROM nope"),
        SqlState::UNDEFINED_TABLE
    );
    assert_eq!(s.transaction_status(), TransactionStatus::Failed);
    command(&mut s, "ROLLBACK");
}

#[test]
fn a_second_writer_waits_for_the_lock_then_gets_55p03() {
    let db = Database::memory_with(covet_engine::Options {
        busy_timeout: std::time::Duration::from_millis(20),
        ..covet_engine::Options::default()
    })
    .unwrap();
    let e = Engine::new(db);
    let mut a = Session::new(e.clone());
    let mut b = Session::new(e.clone());
    command(&mut a, "CREATE TABLE t(x INT)");
    command(&mut a, "BEGIN");
    command(&mut a, "INSERT INTO t VALUES (1)");
    // `a` holds the writer lock until its block ends, however long `b` waits.
    assert_eq!(
        error(&mut b, "INSERT INTO t VALUES (2)"),
        SqlState::LOCK_NOT_AVAILABLE
    );
    command(&mut b, "BEGIN");
    assert_eq!(
        error(&mut b, "INSERT INTO t VALUES (2)"),
        SqlState::LOCK_NOT_AVAILABLE
    );
    assert_eq!(b.transaction_status(), TransactionStatus::Failed);
    command(&mut b, "ROLLBACK");
    command(&mut a, "COMMIT");
    assert_eq!(tag(&mut b, "INSERT INTO t VALUES (2)").rows, Some(1));
}
