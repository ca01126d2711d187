//! Deeply nested SQL on a spawned thread's default 2 MiB stack: the parser's recursion
//! limit must end nesting with an error (42601 or 54001) before the stack does, and
//! the nesting the SQLite corpus uses must parse.

use covet_query::{Engine, Session, SqlState};

/// Runs `f` on a thread with a 2 MiB stack (a spawned thread's default).
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

fn session() -> Session {
    let db = covet_engine::Database::memory().unwrap();
    let mut s = Session::new(Engine::new(db));
    s.execute_sql("CREATE TABLE t(a INTEGER, b INTEGER)", &[])
        .unwrap();
    s
}

/// `(a < 0 AND (a < 1 OR (… a < depth …)))`, the corpus's shape.
fn nested_where(depth: usize) -> String {
    let mut e = String::from("b = 1");
    for i in 0..depth {
        let op = if i % 2 == 0 { "AND" } else { "OR" };
        e = format!("(a < {i} {op} {e})");
    }
    format!("SELECT a FROM t WHERE {e}")
}

#[test]
fn the_corpus_nesting_parses() {
    on_small_stack(|| {
        let mut s = session();
        // index/between/1/slt_good_0.test:23219 nests 28 parentheses.
        for depth in [28, 40, 60] {
            let r = s.prepare(&nested_where(depth));
            assert!(r.is_ok(), "depth {depth}: {:?}", r.err());
        }
    });
}

/// Every depth up to past the limit, run to the end: an answer or an error, never an
/// overflow (the deepest accepted statement is the one that needs the most stack).
#[test]
fn every_depth_runs_or_errs_within_the_stack() {
    on_small_stack(|| {
        let mut s = session();
        s.execute_sql("INSERT INTO t VALUES (1, 1), (-1, 2)", &[])
            .unwrap();
        let mut refused_shallow = Vec::new();
        for depth in (1..=160).step_by(3) {
            let parens = format!("SELECT {}1{}", "(".repeat(depth), ")".repeat(depth));
            for sql in [parens, nested_where(depth)] {
                match s.execute_sql(&sql, &[]) {
                    Ok(covet_query::Outcome::Rows(rows)) => {
                        for r in rows {
                            r.unwrap();
                        }
                    }
                    Ok(covet_query::Outcome::Done(tag)) => panic!("no rows: {tag:?}"),
                    Err(e) => {
                        assert!(
                            e.code == SqlState::SYNTAX_ERROR || e.code.as_str() == "54001",
                            "depth {depth}: {e:?}"
                        );
                        if depth <= 61 {
                            refused_shallow.push(depth);
                        }
                    }
                }
            }
        }
        // Nesting up to 61 levels is accepted in both shapes.
        assert_eq!(refused_shallow, Vec::<usize>::new());
    });
}

#[test]
fn deeper_nesting_is_an_error_not_a_stack_overflow() {
    on_small_stack(|| {
        let mut s = session();
        for depth in [300, 1000, 5000] {
            let sql = format!("SELECT {}1{}", "(".repeat(depth), ")".repeat(depth));
            let e = s.prepare(&sql).err().expect("too deep");
            assert!(
                e.code == SqlState::SYNTAX_ERROR || e.code.as_str() == "54001",
                "depth {depth}: {e:?}"
            );
            let e = s.prepare(&nested_where(depth)).err().expect("too deep");
            assert!(
                e.code == SqlState::SYNTAX_ERROR || e.code.as_str() == "54001",
                "depth {depth}: {e:?}"
            );
        }
    });
}
