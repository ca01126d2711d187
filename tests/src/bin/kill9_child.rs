//! The child process of `tests/tests/kill9.rs`: opens the database in the
//! directory given as its argument (a real file, `Durability::Full`), prints
//! `start C` with the counter it recovered, then commits the numbered workload's
//! transactions C+1, C+2, … and prints `committed N` (flushed) after each commit
//! returns, until it is killed (or, as a safety net, after 60 seconds).

use std::io::Write;
use std::time::{Duration, Instant};

use covet_engine::{Database, Durability, Options};
use covet_tests::{apply_ops_txn, numbered_counter, numbered_txn, read_state};

fn main() {
    let dir = std::env::args_os().nth(1).expect("usage: kill9_child DIR");
    let path = std::path::Path::new(&dir).join("kill9.covet");
    let db = Database::open(&path, child_options()).expect("open");
    let start = numbered_counter(&read_state(&db).expect("read"));
    let mut out = std::io::stdout().lock();
    writeln!(out, "start {start}").expect("stdout");
    out.flush().expect("stdout");
    let began = Instant::now();
    let mut n = start + 1;
    while began.elapsed() < Duration::from_secs(60) {
        let mut w = db.begin_write().expect("begin_write");
        apply_ops_txn(&mut w, &numbered_txn(n)).expect("changes");
        w.commit().expect("commit");
        writeln!(out, "committed {n}").expect("stdout");
        out.flush().expect("stdout");
        n += 1;
    }
}

/// The options the child opens with (the parent verifies with the same).
fn child_options() -> Options {
    Options {
        page_size: 1024,
        cache_bytes: 256 * 1024,
        durability: Durability::Full,
        autocheckpoint_frames: 64,
        ..Options::default()
    }
}
