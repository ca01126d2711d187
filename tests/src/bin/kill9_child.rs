//! The child process of `tests/tests/kill9.rs`: opens the database in the
//! directory given as its first argument (a real file, `Durability::Full`) with
//! the options of the workload named by the second (`numbered` or `spilling`,
//! see `covet_tests::kill9_options`), prints `start C` with the counter it
//! recovered, then runs the workload's transactions C+1, C+2, … until it is
//! killed (or, as a safety net, after 60 seconds). For each transaction N it
//! prints (flushed):
//!
//! - `committing N` before it begins, and
//! - `committed N` after `commit` returned and a read of what it wrote agreed.
//!
//! So a kill between the two lines lands while N is being written, made
//! durable, or read back: the parent tells apart "N was durable but not yet
//! reported" (the database holds N) from "N was lost while in flight".

use std::io::Write;
use std::time::{Duration, Instant};

use covet_engine::Database;
use covet_tests::{
    apply_ops_txn, kill9_options, numbered_counter, numbered_state, numbered_txn, read_state,
    spilling_txn, KvOp,
};

fn main() {
    let mut args = std::env::args_os().skip(1);
    let dir = args
        .next()
        .expect("usage: kill9_child DIR numbered|spilling");
    let spilling = match args.next().and_then(|a| a.into_string().ok()).as_deref() {
        Some("numbered") => false,
        Some("spilling") => true,
        other => panic!("unknown workload {other:?}"),
    };
    let txn = if spilling { spilling_txn } else { numbered_txn };
    let path = std::path::Path::new(&dir).join("kill9.covet");
    let db = Database::open(&path, kill9_options(spilling)).expect("open");
    let start = numbered_counter(&read_state(&db).expect("read"));
    let mut out = std::io::stdout().lock();
    writeln!(out, "start {start}").expect("stdout");
    out.flush().expect("stdout");
    let began = Instant::now();
    let mut n = start + 1;
    while began.elapsed() < Duration::from_secs(60) {
        writeln!(out, "committing {n}").expect("stdout");
        out.flush().expect("stdout");
        let ops = txn(n);
        let mut w = db.begin_write().expect("begin_write");
        apply_ops_txn(&mut w, &ops).expect("changes");
        w.commit().expect("commit");
        if spilling {
            read_back(&db, &ops, n);
        } else {
            // The whole database, against the model: the numbered workload stays
            // small, and this keeps the window between the lines wide.
            let seen = read_state(&db).expect("read");
            assert!(
                seen == numbered_state(n),
                "transaction {n} reads back wrong"
            );
        }
        writeln!(out, "committed {n}").expect("stdout");
        out.flush().expect("stdout");
        n += 1;
    }
}

/// Checks that the newest state holds what transaction `n` of the spilling
/// workload wrote; panics
/// otherwise (the parent then sees the child exit on its own).
fn read_back(db: &Database, ops: &[KvOp], n: u64) {
    let r = db.begin_read().expect("begin_read");
    for op in ops {
        let (tree, key, want) = match op {
            KvOp::Insert { tree, key, value } => (tree, key, Some(value.as_slice())),
            KvOp::Remove { tree, key } => (tree, key, None),
        };
        let t = r.open_tree(tree).expect("open_tree");
        let got = r.get(&t, key).expect("get");
        assert_eq!(
            got.as_ref().map(|v| v.value()),
            want,
            "transaction {n} reads back wrong"
        );
    }
    // And a full scan: 150 keys per transaction, half of them removed two
    // transactions later.
    let data = r.open_tree("data").expect("open_tree");
    let mut count = 0u64;
    for e in r.iter(&data) {
        e.expect("scan");
        count += 1;
    }
    assert_eq!(
        count,
        150 * n - 75 * n.saturating_sub(2),
        "transaction {n}: entries"
    );
}
