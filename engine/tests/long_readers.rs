//! Long readers and the WAL (issue 11, "Performance that holds up"): a reader held
//! open pins the WAL, which grows with every commit; once it ends the WAL returns to
//! its kept size; a checkpoint can wait a bounded time for readers.

use std::sync::mpsc;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use covet_engine::{
    CheckpointMode, CheckpointOutcome, Database, Durability, Options, Tree, WalStats,
};

const PAGE: u64 = 1024;
/// A WAL frame: 24 bytes of frame header and a page.
const FRAME: u64 = 24 + PAGE;
/// The WAL header.
const WAL_HEADER: u64 = 64;
const KEEP: u64 = 64 * 1024;
const AUTOCHECKPOINT: u64 = 100;

fn opts() -> Options {
    Options {
        page_size: PAGE as usize,
        cache_bytes: 1 << 20,
        durability: Durability::Off,
        autocheckpoint_frames: AUTOCHECKPOINT,
        wal_keep_bytes: KEEP,
        ..Options::default()
    }
}

/// A database whose tree `t` holds one key, and an empty WAL.
fn setup() -> (Database, Tree) {
    let db = Database::memory_with(opts()).unwrap();
    let mut w = db.begin_write().unwrap();
    let t = w.create_tree("t").unwrap();
    w.insert(&t, b"counter", &0u64.to_be_bytes()).unwrap();
    w.commit().unwrap();
    assert!(db.checkpoint().unwrap().wal_reset);
    (db, t)
}

/// One small commit: overwrites the only key of `t`, whose root is a leaf, so it
/// writes exactly two frames (that leaf and page 0).
fn bump(db: &Database, t: &Tree, i: u64) {
    let mut w = db.begin_write().unwrap();
    w.insert(t, b"counter", &i.to_be_bytes()).unwrap();
    w.commit().unwrap();
}

fn counter(db: &Database, t: &Tree) -> u64 {
    let r = db.begin_read().unwrap();
    let v = r.get(t, b"counter").unwrap().unwrap();
    u64::from_be_bytes(v.value().try_into().unwrap())
}

fn wal(frames: u64, file_bytes: u64, readers: usize, lag: u64) -> WalStats {
    WalStats {
        frames,
        frame_bytes: WAL_HEADER + frames * FRAME,
        file_bytes,
        readers,
        oldest_reader_lag: lag,
    }
}

#[test]
fn a_long_reader_grows_the_wal_and_it_shrinks_to_its_kept_size_after() {
    let (db, t) = setup();
    let empty = db.wal_stats().unwrap();
    assert_eq!((empty.frames, empty.readers), (0, 0));

    let reader = db.begin_read().unwrap();
    let commits = 3000u64; // 6000 frames: past the autocheckpoint 60 times
    for i in 1..=commits {
        bump(&db, &t, i);
    }
    // Nothing could be copied or reset: every frame is after the reader's snapshot.
    let grown = 2 * commits;
    assert_eq!(
        db.wal_stats().unwrap(),
        wal(grown, WAL_HEADER + grown * FRAME, 1, grown)
    );
    assert_eq!(
        db.checkpoint().unwrap(),
        CheckpointOutcome {
            pages_written: 0,
            wal_reset: false,
            frames_left: grown,
        }
    );
    assert_eq!(
        u64::from_be_bytes(
            reader
                .get(&t, b"counter")
                .unwrap()
                .unwrap()
                .value()
                .try_into()
                .unwrap()
        ),
        0
    );
    drop(reader);
    assert_eq!(
        db.wal_stats().unwrap(),
        wal(grown, WAL_HEADER + grown * FRAME, 0, 0)
    );

    // The next commit's automatic checkpoint copies everything, resets the WAL and
    // cuts the file to the kept size.
    bump(&db, &t, commits + 1);
    assert_eq!(db.wal_stats().unwrap(), wal(0, KEEP, 0, 0));
    assert_eq!(counter(&db, &t), commits + 1);

    // From then on the WAL stays within the autocheckpoint bound.
    for i in commits + 2..commits + 2 + 200 {
        bump(&db, &t, i);
        assert!(db.wal_stats().unwrap().frames < AUTOCHECKPOINT);
    }
    assert_eq!(db.wal_stats().unwrap().file_bytes, KEEP);
    let report = db.check_integrity().unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
}

#[test]
fn restart_waits_for_a_reader_that_ends_during_the_wait() {
    let (db, t) = setup();
    let reader = db.begin_read().unwrap();
    for i in 1..=10 {
        bump(&db, &t, i);
    }
    assert_eq!(
        db.wal_stats().unwrap(),
        wal(20, WAL_HEADER + 20 * FRAME, 1, 20)
    );
    let start = Arc::new(Barrier::new(2));
    let (ended_tx, ended_rx) = mpsc::channel();
    let thread = {
        let start = start.clone();
        std::thread::spawn(move || {
            start.wait();
            std::thread::sleep(Duration::from_millis(100));
            drop(reader);
            ended_tx.send(Instant::now()).unwrap();
        })
    };
    start.wait();
    let outcome = db
        .checkpoint_with(CheckpointMode::Restart {
            wait: Duration::from_secs(30),
        })
        .unwrap();
    let returned = Instant::now();
    thread.join().unwrap();
    let ended = ended_rx.recv().unwrap();
    assert!(
        ended <= returned,
        "the checkpoint returned before the reader ended"
    );
    // The reader's snapshot was at the start of the WAL: all of it is copied now.
    assert_eq!(
        outcome,
        CheckpointOutcome {
            pages_written: 2,
            wal_reset: true,
            frames_left: 0,
        }
    );
    assert_eq!(
        db.wal_stats().unwrap(),
        wal(0, WAL_HEADER + 20 * FRAME, 0, 0)
    );
    assert_eq!(counter(&db, &t), 10);
}

#[test]
fn restart_gives_up_after_its_wait_when_the_reader_stays() {
    let (db, t) = setup();
    let reader = db.begin_read().unwrap();
    for i in 1..=10 {
        bump(&db, &t, i);
    }
    let wait = Duration::from_millis(200);
    let started = Instant::now();
    let outcome = db
        .checkpoint_with(CheckpointMode::Restart { wait })
        .unwrap();
    assert!(
        started.elapsed() >= wait,
        "returned after {:?}",
        started.elapsed()
    );
    assert_eq!(
        outcome,
        CheckpointOutcome {
            pages_written: 0,
            wal_reset: false,
            frames_left: 20,
        }
    );
    // Writers go on after the wait.
    bump(&db, &t, 11);
    assert_eq!(
        db.wal_stats().unwrap(),
        wal(22, WAL_HEADER + 22 * FRAME, 1, 22)
    );
    drop(reader);
    // Truncate: no reader left, so the WAL is reset and its file cut to the header.
    let outcome = db
        .checkpoint_with(CheckpointMode::Truncate { wait })
        .unwrap();
    assert_eq!(
        outcome,
        CheckpointOutcome {
            pages_written: 2,
            wal_reset: true,
            frames_left: 0,
        }
    );
    assert_eq!(db.wal_stats().unwrap(), wal(0, WAL_HEADER, 0, 0));
    assert_eq!(counter(&db, &t), 11);
}

#[test]
fn readers_of_the_newest_commit_do_not_hold_the_wal() {
    let (db, t) = setup();
    for i in 1..=10 {
        bump(&db, &t, i);
    }
    let newest = db.begin_read().unwrap();
    assert_eq!(
        db.wal_stats().unwrap(),
        wal(20, WAL_HEADER + 20 * FRAME, 1, 0)
    );
    let started = Instant::now();
    let outcome = db
        .checkpoint_with(CheckpointMode::Truncate {
            wait: Duration::from_secs(30),
        })
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(
        outcome,
        CheckpointOutcome {
            pages_written: 2,
            wal_reset: true,
            frames_left: 0,
        }
    );
    assert_eq!(db.wal_stats().unwrap(), wal(0, WAL_HEADER, 1, 0));
    assert_eq!(
        u64::from_be_bytes(
            newest
                .get(&t, b"counter")
                .unwrap()
                .unwrap()
                .value()
                .try_into()
                .unwrap()
        ),
        10
    );
}
