//! The anomalies of the hermitage suite (https://github.com/ept/hermitage), each at READ
//! COMMITTED, REPEATABLE READ and SERIALIZABLE, with two or three sessions on one
//! engine. `query/ISOLATION.md` tabulates what these tests assert.
//!
//! covet has one writer at a time: a write that another open transaction's writer
//! lock holds up waits for it (hermitage's "BLOCKS"). Such a statement runs on its
//! own thread here while the other session goes on; the outcome does not depend on
//! when that thread reaches the lock (before or after the other commits, it gets the
//! lock only after the commit).
//!
//! Every test starts from hermitage's table: `test(id, value)` = (1, 10), (2, 20).

use std::sync::Arc;
use std::thread::{self, JoinHandle};

use covet_engine::value::Value;
use covet_engine::Database;
use covet_query::{Engine, Outcome, Session, SqlState};

const LEVELS: [&str; 3] = ["READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE"];

fn setup() -> Arc<Engine> {
    let e = Engine::new(Database::memory().unwrap());
    let mut s = Session::new(e.clone());
    s.execute_batch(
        "CREATE TABLE test (id INT PRIMARY KEY, value INT);
         INSERT INTO test (id, value) VALUES (1, 10), (2, 20);",
    )
    .unwrap();
    e
}

/// What a statement did: rows (as `[id, value]` pairs for SELECTs), a row count, or a
/// SQLSTATE.
#[derive(Debug, PartialEq)]
enum Did {
    Rows(Vec<(i64, i64)>),
    Count(u64),
    Tag(String),
    Failed(SqlState),
}

fn exec(s: &mut Session, sql: &str) -> Did {
    match s.execute_sql(sql, &[]) {
        Err(e) => Did::Failed(e.code),
        Ok(Outcome::Done(t)) => match t.rows {
            Some(n) => Did::Count(n),
            None => Did::Tag(t.command),
        },
        Ok(Outcome::Rows(rows)) => {
            let mut out = Vec::new();
            for r in rows {
                match r {
                    Err(e) => return Did::Failed(e.code),
                    Ok(r) => match (&r[0], &r[1]) {
                        (Value::Int(a), Value::Int(b)) => out.push((*a, *b)),
                        other => panic!("{sql}: {other:?}"),
                    },
                }
            }
            Did::Rows(out)
        }
    }
}

fn rows(v: &[(i64, i64)]) -> Did {
    Did::Rows(v.to_vec())
}

fn begin(e: &Arc<Engine>, level: &str) -> Session {
    let mut s = Session::new(e.clone());
    assert_eq!(
        exec(&mut s, &format!("BEGIN ISOLATION LEVEL {level}")),
        Did::Tag("BEGIN".into())
    );
    s
}

/// Runs `sql` on `s` in another thread (a statement that waits for the writer lock).
fn blocked(mut s: Session, sql: &'static str) -> JoinHandle<(Session, Did)> {
    thread::spawn(move || {
        let did = exec(&mut s, sql);
        (s, did)
    })
}

fn commit(s: &mut Session) -> Did {
    exec(s, "COMMIT")
}

fn table(e: &Arc<Engine>) -> Did {
    let mut s = Session::new(e.clone());
    exec(&mut s, "SELECT id, value FROM test ORDER BY id")
}

fn snapshot_level(level: &str) -> bool {
    level != "READ COMMITTED"
}

/// G0, write cycles: prevented at every level (writers are serial).
#[test]
fn g0_write_cycles() {
    for level in LEVELS {
        let e = setup();
        let mut t1 = begin(&e, level);
        let t2 = begin(&e, level);
        assert_eq!(
            exec(&mut t1, "UPDATE test SET value = 11 WHERE id = 1"),
            Did::Count(1)
        );
        let t2 = blocked(t2, "UPDATE test SET value = 12 WHERE id = 1");
        assert_eq!(
            exec(&mut t1, "UPDATE test SET value = 21 WHERE id = 2"),
            Did::Count(1)
        );
        assert_eq!(commit(&mut t1), Did::Tag("COMMIT".into()));
        assert_eq!(table(&e), rows(&[(1, 11), (2, 21)]));
        let (mut t2, did) = t2.join().unwrap();
        // T2 read nothing before it wrote: even with one snapshot it cannot fail.
        assert_eq!(did, Did::Count(1), "{level}");
        assert_eq!(
            exec(&mut t2, "UPDATE test SET value = 22 WHERE id = 2"),
            Did::Count(1)
        );
        assert_eq!(commit(&mut t2), Did::Tag("COMMIT".into()));
        assert_eq!(table(&e), rows(&[(1, 12), (2, 22)]), "{level}");
    }
}

/// G1a, aborted reads: prevented at every level.
#[test]
fn g1a_aborted_reads() {
    for level in LEVELS {
        let e = setup();
        let mut t1 = begin(&e, level);
        let mut t2 = begin(&e, level);
        assert_eq!(
            exec(&mut t1, "UPDATE test SET value = 101 WHERE id = 1"),
            Did::Count(1)
        );
        assert_eq!(
            exec(&mut t2, "SELECT * FROM test ORDER BY id"),
            rows(&[(1, 10), (2, 20)])
        );
        assert_eq!(exec(&mut t1, "ROLLBACK"), Did::Tag("ROLLBACK".into()));
        assert_eq!(
            exec(&mut t2, "SELECT * FROM test ORDER BY id"),
            rows(&[(1, 10), (2, 20)]),
            "{level}"
        );
        assert_eq!(commit(&mut t2), Did::Tag("COMMIT".into()));
    }
}

/// G1b, intermediate reads: prevented at every level.
#[test]
fn g1b_intermediate_reads() {
    for level in LEVELS {
        let e = setup();
        let mut t1 = begin(&e, level);
        let mut t2 = begin(&e, level);
        assert_eq!(
            exec(&mut t1, "UPDATE test SET value = 101 WHERE id = 1"),
            Did::Count(1)
        );
        assert_eq!(
            exec(&mut t2, "SELECT * FROM test ORDER BY id"),
            rows(&[(1, 10), (2, 20)])
        );
        assert_eq!(
            exec(&mut t1, "UPDATE test SET value = 11 WHERE id = 1"),
            Did::Count(1)
        );
        assert_eq!(commit(&mut t1), Did::Tag("COMMIT".into()));
        let expected = if snapshot_level(level) {
            rows(&[(1, 10), (2, 20)])
        } else {
            rows(&[(1, 11), (2, 20)])
        };
        assert_eq!(
            exec(&mut t2, "SELECT * FROM test ORDER BY id"),
            expected,
            "{level}"
        );
        assert_eq!(commit(&mut t2), Did::Tag("COMMIT".into()));
    }
}

/// G1c, circular information flow: prevented at every level.
#[test]
fn g1c_circular_information_flow() {
    for level in LEVELS {
        let e = setup();
        let mut t1 = begin(&e, level);
        let t2 = begin(&e, level);
        assert_eq!(
            exec(&mut t1, "UPDATE test SET value = 11 WHERE id = 1"),
            Did::Count(1)
        );
        let t2 = blocked(t2, "UPDATE test SET value = 22 WHERE id = 2");
        assert_eq!(
            exec(&mut t1, "SELECT * FROM test WHERE id = 2"),
            rows(&[(2, 20)])
        );
        assert_eq!(commit(&mut t1), Did::Tag("COMMIT".into()));
        let (mut t2, did) = t2.join().unwrap();
        assert_eq!(did, Did::Count(1), "{level}");
        // T2 wrote after T1 committed: it sees T1's write, and T1 did not see T2's.
        assert_eq!(
            exec(&mut t2, "SELECT * FROM test WHERE id = 1"),
            rows(&[(1, 11)]),
            "{level}"
        );
        assert_eq!(commit(&mut t2), Did::Tag("COMMIT".into()));
        assert_eq!(table(&e), rows(&[(1, 11), (2, 22)]));
    }
}

/// OTV, observed transaction vanishes: prevented at every level.
#[test]
fn otv_observed_transaction_vanishes() {
    for level in LEVELS {
        let e = setup();
        let mut t1 = begin(&e, level);
        let t2 = begin(&e, level);
        let mut t3 = begin(&e, level);
        assert_eq!(
            exec(&mut t1, "UPDATE test SET value = 11 WHERE id = 1"),
            Did::Count(1)
        );
        assert_eq!(
            exec(&mut t1, "UPDATE test SET value = 19 WHERE id = 2"),
            Did::Count(1)
        );
        let t2 = blocked(t2, "UPDATE test SET value = 12 WHERE id = 1");
        assert_eq!(commit(&mut t1), Did::Tag("COMMIT".into()));
        let (mut t2, did) = t2.join().unwrap();
        assert_eq!(did, Did::Count(1));
        assert_eq!(
            exec(&mut t3, "SELECT * FROM test WHERE id = 1"),
            rows(&[(1, 11)])
        );
        assert_eq!(
            exec(&mut t2, "UPDATE test SET value = 18 WHERE id = 2"),
            Did::Count(1)
        );
        assert_eq!(
            exec(&mut t3, "SELECT * FROM test WHERE id = 2"),
            rows(&[(2, 19)])
        );
        assert_eq!(commit(&mut t2), Did::Tag("COMMIT".into()));
        let (two, one) = if snapshot_level(level) {
            (rows(&[(2, 19)]), rows(&[(1, 11)]))
        } else {
            (rows(&[(2, 18)]), rows(&[(1, 12)]))
        };
        // Never 2 => 18 with 1 => 11: T2 is seen whole or not at all.
        assert_eq!(
            exec(&mut t3, "SELECT * FROM test WHERE id = 2"),
            two,
            "{level}"
        );
        assert_eq!(
            exec(&mut t3, "SELECT * FROM test WHERE id = 1"),
            one,
            "{level}"
        );
        assert_eq!(commit(&mut t3), Did::Tag("COMMIT".into()));
    }
}

/// PMP, predicate-many-preceders (read): allowed at READ COMMITTED, prevented with
/// one snapshot.
#[test]
fn pmp_predicate_many_preceders() {
    for level in LEVELS {
        let e = setup();
        let mut t1 = begin(&e, level);
        let mut t2 = begin(&e, level);
        assert_eq!(
            exec(&mut t1, "SELECT * FROM test WHERE value = 30"),
            rows(&[])
        );
        assert_eq!(
            exec(&mut t2, "INSERT INTO test (id, value) VALUES (3, 30)"),
            Did::Count(1)
        );
        assert_eq!(commit(&mut t2), Did::Tag("COMMIT".into()));
        let expected = if snapshot_level(level) {
            rows(&[])
        } else {
            rows(&[(3, 30)])
        };
        assert_eq!(
            exec(&mut t1, "SELECT * FROM test WHERE value % 3 = 0"),
            expected,
            "{level}"
        );
        assert_eq!(commit(&mut t1), Did::Tag("COMMIT".into()));
    }
}

/// PMP with a write: at READ COMMITTED the DELETE runs after T1's commit (it waits for
/// the writer lock) and reads that commit whole, so it deletes the row T1 moved to 20
/// (PostgreSQL, which re-checks only the rows of its older snapshot, deletes nothing;
/// covet's outcome is the serial one, T1 then T2). With one snapshot the block read
/// before T1's commit and fails with 40001.
#[test]
fn pmp_write_predicate_many_preceders() {
    for level in LEVELS {
        let e = setup();
        let mut t1 = begin(&e, level);
        let mut t2 = begin(&e, level);
        assert_eq!(
            exec(&mut t1, "UPDATE test SET value = value + 10"),
            Did::Count(2)
        );
        assert_eq!(
            exec(&mut t2, "SELECT * FROM test WHERE value = 20"),
            rows(&[(2, 20)])
        );
        let t2 = blocked(t2, "DELETE FROM test WHERE value = 20");
        assert_eq!(commit(&mut t1), Did::Tag("COMMIT".into()));
        let (mut t2, did) = t2.join().unwrap();
        if snapshot_level(level) {
            assert_eq!(did, Did::Failed(SqlState::SERIALIZATION_FAILURE), "{level}");
            assert_eq!(commit(&mut t2), Did::Tag("ROLLBACK".into()));
            assert_eq!(table(&e), rows(&[(1, 20), (2, 30)]), "{level}");
        } else {
            assert_eq!(did, Did::Count(1), "{level}");
            assert_eq!(commit(&mut t2), Did::Tag("COMMIT".into()));
            assert_eq!(table(&e), rows(&[(2, 30)]), "{level}");
        }
    }
}

/// P4, lost update: allowed at READ COMMITTED, prevented with one snapshot (40001).
#[test]
fn p4_lost_update() {
    for level in LEVELS {
        let e = setup();
        let mut t1 = begin(&e, level);
        let mut t2 = begin(&e, level);
        assert_eq!(
            exec(&mut t1, "SELECT * FROM test WHERE id = 1"),
            rows(&[(1, 10)])
        );
        assert_eq!(
            exec(&mut t2, "SELECT * FROM test WHERE id = 1"),
            rows(&[(1, 10)])
        );
        assert_eq!(
            exec(&mut t1, "UPDATE test SET value = 11 WHERE id = 1"),
            Did::Count(1)
        );
        let t2 = blocked(t2, "UPDATE test SET value = 11 WHERE id = 1");
        assert_eq!(commit(&mut t1), Did::Tag("COMMIT".into()));
        let (mut t2, did) = t2.join().unwrap();
        if snapshot_level(level) {
            assert_eq!(did, Did::Failed(SqlState::SERIALIZATION_FAILURE), "{level}");
            assert_eq!(commit(&mut t2), Did::Tag("ROLLBACK".into()));
        } else {
            assert_eq!(did, Did::Count(1), "{level}");
            assert_eq!(commit(&mut t2), Did::Tag("COMMIT".into()));
        }
        assert_eq!(table(&e), rows(&[(1, 11), (2, 20)]));
    }
}

/// G-single, single anti-dependency cycle (read skew): allowed at READ COMMITTED,
/// prevented with one snapshot.
#[test]
fn g_single_read_skew() {
    for level in LEVELS {
        let e = setup();
        let mut t1 = begin(&e, level);
        let mut t2 = begin(&e, level);
        assert_eq!(
            exec(&mut t1, "SELECT * FROM test WHERE id = 1"),
            rows(&[(1, 10)])
        );
        assert_eq!(
            exec(&mut t2, "SELECT * FROM test WHERE id = 1"),
            rows(&[(1, 10)])
        );
        assert_eq!(
            exec(&mut t2, "SELECT * FROM test WHERE id = 2"),
            rows(&[(2, 20)])
        );
        assert_eq!(
            exec(&mut t2, "UPDATE test SET value = 12 WHERE id = 1"),
            Did::Count(1)
        );
        assert_eq!(
            exec(&mut t2, "UPDATE test SET value = 18 WHERE id = 2"),
            Did::Count(1)
        );
        assert_eq!(commit(&mut t2), Did::Tag("COMMIT".into()));
        let expected = if snapshot_level(level) {
            rows(&[(2, 20)])
        } else {
            rows(&[(2, 18)])
        };
        assert_eq!(
            exec(&mut t1, "SELECT * FROM test WHERE id = 2"),
            expected,
            "{level}"
        );
        assert_eq!(commit(&mut t1), Did::Tag("COMMIT".into()));
    }
}

/// G-single with a write: at READ COMMITTED T1's DELETE reads the newest commit (and
/// deletes nothing); with one snapshot it fails with 40001.
#[test]
fn g_single_write() {
    for level in LEVELS {
        let e = setup();
        let mut t1 = begin(&e, level);
        let mut t2 = begin(&e, level);
        assert_eq!(
            exec(&mut t1, "SELECT * FROM test WHERE id = 1"),
            rows(&[(1, 10)])
        );
        assert_eq!(
            exec(&mut t2, "SELECT * FROM test ORDER BY id"),
            rows(&[(1, 10), (2, 20)])
        );
        assert_eq!(
            exec(&mut t2, "UPDATE test SET value = 12 WHERE id = 1"),
            Did::Count(1)
        );
        let t1 = blocked(t1, "DELETE FROM test WHERE value = 20");
        assert_eq!(
            exec(&mut t2, "UPDATE test SET value = 18 WHERE id = 2"),
            Did::Count(1)
        );
        assert_eq!(commit(&mut t2), Did::Tag("COMMIT".into()));
        let (mut t1, did) = t1.join().unwrap();
        if snapshot_level(level) {
            assert_eq!(did, Did::Failed(SqlState::SERIALIZATION_FAILURE), "{level}");
            assert_eq!(commit(&mut t1), Did::Tag("ROLLBACK".into()));
        } else {
            assert_eq!(did, Did::Count(0), "{level}");
            assert_eq!(commit(&mut t1), Did::Tag("COMMIT".into()));
        }
        assert_eq!(table(&e), rows(&[(1, 12), (2, 18)]));
    }
}

/// G2-item, item anti-dependency cycles (write skew): allowed at READ COMMITTED;
/// prevented with one snapshot, since T2 read before T1's commit and writes after it
/// (PostgreSQL's REPEATABLE READ allows it; covet's serial writers let it refuse).
#[test]
fn g2_item_write_skew() {
    for level in LEVELS {
        let e = setup();
        let mut t1 = begin(&e, level);
        let mut t2 = begin(&e, level);
        let both = rows(&[(1, 10), (2, 20)]);
        assert_eq!(
            exec(&mut t1, "SELECT * FROM test WHERE id IN (1, 2) ORDER BY id"),
            both
        );
        assert_eq!(
            exec(&mut t2, "SELECT * FROM test WHERE id IN (1, 2) ORDER BY id"),
            both
        );
        assert_eq!(
            exec(&mut t1, "UPDATE test SET value = 11 WHERE id = 1"),
            Did::Count(1)
        );
        let t2 = blocked(t2, "UPDATE test SET value = 21 WHERE id = 2");
        assert_eq!(commit(&mut t1), Did::Tag("COMMIT".into()));
        let (mut t2, did) = t2.join().unwrap();
        if snapshot_level(level) {
            assert_eq!(did, Did::Failed(SqlState::SERIALIZATION_FAILURE), "{level}");
            assert_eq!(commit(&mut t2), Did::Tag("ROLLBACK".into()));
            assert_eq!(table(&e), rows(&[(1, 11), (2, 20)]));
        } else {
            assert_eq!(did, Did::Count(1), "{level}");
            assert_eq!(commit(&mut t2), Did::Tag("COMMIT".into()));
            assert_eq!(table(&e), rows(&[(1, 11), (2, 21)]));
        }
    }
}

/// G2, anti-dependency cycles over a predicate (phantoms): allowed at READ COMMITTED,
/// prevented with one snapshot.
#[test]
fn g2_predicate_anti_dependency() {
    for level in LEVELS {
        let e = setup();
        let mut t1 = begin(&e, level);
        let mut t2 = begin(&e, level);
        assert_eq!(
            exec(&mut t1, "SELECT * FROM test WHERE value % 3 = 0"),
            rows(&[])
        );
        assert_eq!(
            exec(&mut t2, "SELECT * FROM test WHERE value % 3 = 0"),
            rows(&[])
        );
        assert_eq!(
            exec(&mut t1, "INSERT INTO test (id, value) VALUES (3, 30)"),
            Did::Count(1)
        );
        let t2 = blocked(t2, "INSERT INTO test (id, value) VALUES (4, 42)");
        assert_eq!(commit(&mut t1), Did::Tag("COMMIT".into()));
        let (mut t2, did) = t2.join().unwrap();
        if snapshot_level(level) {
            assert_eq!(did, Did::Failed(SqlState::SERIALIZATION_FAILURE), "{level}");
            assert_eq!(commit(&mut t2), Did::Tag("ROLLBACK".into()));
            assert_eq!(table(&e), rows(&[(1, 10), (2, 20), (3, 30)]));
        } else {
            assert_eq!(did, Did::Count(1), "{level}");
            assert_eq!(commit(&mut t2), Did::Tag("COMMIT".into()));
            assert_eq!(table(&e), rows(&[(1, 10), (2, 20), (3, 30), (4, 42)]));
        }
    }
}

/// A read-only block never fails, whatever commits meanwhile.
#[test]
fn read_only_transactions_never_fail() {
    for level in ["REPEATABLE READ", "SERIALIZABLE"] {
        let e = setup();
        let mut t1 = Session::new(e.clone());
        exec(&mut t1, &format!("BEGIN ISOLATION LEVEL {level} READ ONLY"));
        assert_eq!(
            exec(&mut t1, "SELECT * FROM test ORDER BY id"),
            rows(&[(1, 10), (2, 20)])
        );
        let mut t2 = Session::new(e.clone());
        assert_eq!(exec(&mut t2, "UPDATE test SET value = 0"), Did::Count(2));
        assert_eq!(
            exec(&mut t1, "SELECT * FROM test ORDER BY id"),
            rows(&[(1, 10), (2, 20)])
        );
        assert_eq!(
            exec(&mut t1, "UPDATE test SET value = 1"),
            Did::Failed(SqlState::READ_ONLY_SQL_TRANSACTION)
        );
        assert_eq!(exec(&mut t1, "ROLLBACK"), Did::Tag("ROLLBACK".into()));
        assert_eq!(table(&e), rows(&[(1, 0), (2, 0)]));
    }
}

/// Outside a block, each statement is its own transaction.
#[test]
fn autocommit_statements_see_the_latest_commit() {
    let e = setup();
    let mut a = Session::new(e.clone());
    let mut b = Session::new(e.clone());
    assert_eq!(
        exec(&mut a, "UPDATE test SET value = 5 WHERE id = 1"),
        Did::Count(1)
    );
    assert_eq!(
        exec(&mut b, "SELECT * FROM test WHERE id = 1"),
        rows(&[(1, 5)])
    );
}
