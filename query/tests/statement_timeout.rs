//! `statement_timeout`: a statement that runs past it fails with 57014, its effects
//! rolled back, and the session goes on (as PostgreSQL's).

use std::sync::Arc;
use std::time::{Duration, Instant};

use covet_engine::value::Value;
use covet_engine::Database;
use covet_query::{Engine, Outcome, Session, SqlState};

fn session() -> Session {
    let e: Arc<Engine> = Engine::new(Database::memory().unwrap());
    Session::new(e)
}

fn run(s: &mut Session, sql: &str) {
    if let Err(e) = s.execute_batch(sql) {
        panic!("{sql}: {} {}", e.code, e.message);
    }
}

fn query(s: &mut Session, sql: &str) -> Result<Vec<Vec<Value>>, (SqlState, String)> {
    match s.execute_sql(sql, &[]) {
        Ok(Outcome::Rows(r)) => r
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| (e.code, e.message)),
        Ok(Outcome::Done(t)) => panic!("{sql}: no rows, {t:?}"),
        Err(e) => Err((e.code, e.message)),
    }
}

fn timed_out(r: Result<impl std::fmt::Debug, (SqlState, String)>) {
    match r {
        Err((code, message)) => {
            assert_eq!(code, SqlState::QUERY_CANCELED, "{message}");
            assert_eq!(message, "canceling statement due to statement timeout");
        }
        Ok(v) => panic!("finished: {v:?}"),
    }
}

/// `nums(n)` holding 1..=2000.
fn with_nums(s: &mut Session) {
    run(
        s,
        "CREATE TABLE nums (n INTEGER PRIMARY KEY); \
         INSERT INTO nums WITH RECURSIVE c(n) AS \
           (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 2000) SELECT n FROM c",
    );
}

const CROSS_COUNT: &str = "SELECT count(*) FROM nums a, nums b, nums c";

#[test]
fn a_long_query_is_cancelled_and_the_session_goes_on() {
    let mut s = session();
    with_nums(&mut s);
    run(&mut s, "SET statement_timeout = 50");
    let start = Instant::now();
    timed_out(query(&mut s, CROSS_COUNT));
    // 8e9 row pairs would take minutes; the check fires within a few batches.
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_eq!(
        query(&mut s, "SELECT count(*) FROM nums").unwrap(),
        vec![vec![Value::Int(2000)]]
    );
    // A recursive CTE of one row per round (1e8 rounds) is cancelled between rounds.
    timed_out(query(
        &mut s,
        "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 100000000) \
         SELECT count(*) FROM c",
    ));
    // Without the limit the same session runs long statements again.
    run(&mut s, "SET statement_timeout = 0");
    assert_eq!(
        query(
            &mut s,
            "SELECT count(*) FROM nums a, nums b WHERE a.n < 100"
        )
        .unwrap(),
        vec![vec![Value::Int(99 * 2000)]]
    );
}

#[test]
fn an_interrupted_write_leaves_no_change() {
    let mut s = session();
    with_nums(&mut s);
    run(&mut s, "CREATE TABLE copy (n INTEGER)");
    run(&mut s, "SET statement_timeout = '50ms'");
    let r = s.execute_sql(
        "INSERT INTO copy SELECT a.n FROM nums a, nums b, nums c",
        &[],
    );
    let e = r.err().expect("the insert finished");
    assert_eq!(e.code, SqlState::QUERY_CANCELED);
    // Each row's subquery reads the whole table: the UPDATE runs for seconds, changing
    // rows one after another until the deadline.
    let r = s.execute_sql(
        "UPDATE nums SET n = n + 100000 \
         WHERE (SELECT count(*) FROM nums a, nums b WHERE a.n <= nums.n AND b.n < 3) > 0",
        &[],
    );
    assert_eq!(
        r.err().expect("the update finished").code,
        SqlState::QUERY_CANCELED
    );
    run(&mut s, "SET statement_timeout = DEFAULT");
    assert_eq!(
        query(&mut s, "SELECT count(*) FROM copy").unwrap(),
        vec![vec![Value::Int(0)]]
    );
    assert_eq!(
        query(&mut s, "SELECT min(n), max(n), sum(n) FROM nums").unwrap(),
        vec![vec![Value::Int(1), Value::Int(2000), Value::Int(2001000)]]
    );
    // Inside a block the cancelled statement fails the block, as any error does.
    run(&mut s, "SET statement_timeout = 50");
    run(&mut s, "BEGIN");
    run(&mut s, "INSERT INTO copy VALUES (1)");
    timed_out(query(&mut s, CROSS_COUNT));
    assert_eq!(
        query(&mut s, "SELECT 1").unwrap_err().0,
        SqlState::IN_FAILED_SQL_TRANSACTION
    );
    run(&mut s, "ROLLBACK");
    assert_eq!(
        query(&mut s, "SELECT count(*) FROM copy").unwrap(),
        vec![vec![Value::Int(0)]]
    );
}

#[test]
fn a_quick_statement_under_a_limit_runs() {
    let mut s = session();
    with_nums(&mut s);
    run(&mut s, "SET statement_timeout = '1min'");
    assert_eq!(
        query(&mut s, "SHOW statement_timeout").unwrap(),
        vec![vec![Value::Text("1min".into())]]
    );
    assert_eq!(
        query(&mut s, "SELECT sum(n) FROM nums").unwrap(),
        vec![vec![Value::Int(2001000)]]
    );
}
