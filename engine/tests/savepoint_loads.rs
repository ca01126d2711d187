//! Large loads under savepoints: their new pages go straight into the main file
//! (written once, not spilled to the WAL and copied again by the checkpoint),
//! with savepoint rollbacks, nested savepoints, pages written there and changed
//! again, and `Durability::Normal`. Every test checks the exact contents, also
//! after a reopen from the files as a process crash leaves them.

use std::collections::BTreeMap;
use std::sync::Arc;

use covet_engine::vfs::MemoryVfs;
use covet_engine::{Database, Durability, Options, Tree, WriteTxn};

const PATH: &str = "load.covet";
const WAL: &str = "load.covet-wal";
const PAGE: usize = 4096;

type Entries = BTreeMap<Vec<u8>, Vec<u8>>;

fn opts(durability: Durability) -> Options {
    Options {
        page_size: PAGE,
        // 256 pages: the dirty-page budget is 192, so a load of ~600 pages spills.
        cache_bytes: 256 * PAGE,
        durability,
        autocheckpoint_frames: 1_000_000,
        ..Options::default()
    }
}

fn key(i: u64) -> Vec<u8> {
    format!("key{i:09}").into_bytes()
}

fn value(i: u64, version: u64) -> Vec<u8> {
    let mut v = format!("value {i} version {version} ").into_bytes();
    v.resize(100, b'a' + (i % 26) as u8);
    v
}

fn entries(range: std::ops::Range<u64>, version: u64) -> Entries {
    range.map(|i| (key(i), value(i, version))).collect()
}

/// Frames in the WAL file (it only grows while nothing checkpoints).
fn wal_frames(vfs: &MemoryVfs) -> usize {
    let len = vfs.file_bytes(WAL).map_or(0, |b| b.len());
    len.saturating_sub(40) / (24 + PAGE)
}

fn main_pages(vfs: &MemoryVfs) -> usize {
    vfs.file_bytes(PATH).map_or(0, |b| b.len()) / PAGE
}

fn tree_entries_txn(w: &WriteTxn, t: &Tree) -> Entries {
    w.iter(t)
        .map(|e| {
            let e = e.unwrap();
            (e.key().to_vec(), e.value().to_vec())
        })
        .collect()
}

/// Every tree of the newest commit, in full (names with their entries).
fn state(db: &Database) -> BTreeMap<String, Entries> {
    let r = db.begin_read().unwrap();
    let mut out = BTreeMap::new();
    for (name, t) in r.list_trees().unwrap() {
        let mut m = Entries::new();
        for e in r.iter(&t) {
            let e = e.unwrap();
            let got = r.get(&t, e.key()).unwrap().unwrap();
            assert_eq!(got.value(), e.value(), "get agrees with the scan");
            m.insert(e.key().to_vec(), e.value().to_vec());
        }
        out.insert(name, m);
    }
    out
}

/// The files as a process crash leaves them (nothing checkpointed, WAL kept).
fn crash_copy(vfs: &MemoryVfs) -> Arc<MemoryVfs> {
    let out = MemoryVfs::new();
    for p in vfs.paths() {
        out.set_file_bytes(&p, vfs.file_bytes(&p).unwrap());
    }
    Arc::new(out)
}

/// Checks the state of `db`, then of a reopen of its files as a crash leaves
/// them, and the integrity of both.
fn check(db: &Database, vfs: &MemoryVfs, o: &Options, want: &BTreeMap<String, Entries>) {
    let seen = state(db);
    assert_eq!(&seen, want, "live database");
    assert!(db.check_integrity().unwrap().is_ok());
    let copy = crash_copy(vfs);
    let again = Database::open_with_vfs(copy, PATH, o.clone()).unwrap();
    assert_eq!(&state(&again), want, "after a reopen of the crash image");
    let report = again.check_integrity().unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
}

fn open(durability: Durability) -> (Arc<MemoryVfs>, Database, Options) {
    let vfs = Arc::new(MemoryVfs::new());
    let o = opts(durability);
    let db = Database::open_with_vfs(vfs.clone(), PATH, o.clone()).unwrap();
    let mut w = db.begin_write().unwrap();
    w.create_tree("a").unwrap();
    w.create_tree("b").unwrap();
    let t = w.open_tree("a").unwrap();
    w.insert(&t, b"first", b"1").unwrap();
    w.commit().unwrap();
    (vfs, db, o)
}

fn with_first(mut m: Entries) -> Entries {
    m.insert(b"first".to_vec(), b"1".to_vec());
    m
}

fn want(a: Entries, b: Entries) -> BTreeMap<String, Entries> {
    BTreeMap::from([("a".to_string(), a), ("b".to_string(), b)])
}

/// A sorted bulk load inside a savepoint writes its ~600 pages into the main
/// file once: the WAL gets only page 0 and the tree's root, whatever the load's
/// size. (Before: every page of the load went through the WAL.)
#[test]
fn bulk_load_in_a_savepoint_writes_its_pages_once() {
    for durability in [Durability::Full, Durability::Normal] {
        let (vfs, db, o) = open(durability);
        let frames_before = wal_frames(&vfs);
        let loaded = entries(0..20_000, 0);
        let mut w = db.begin_write().unwrap();
        let sp = w.savepoint().unwrap();
        let b = w.open_tree("b").unwrap();
        assert_eq!(w.bulk_load(&b, &loaded).unwrap(), 20_000);
        w.release(sp).unwrap();
        w.commit().unwrap();
        let written = wal_frames(&vfs) - frames_before;
        assert_eq!(
            written, 2,
            "{durability:?}: frames written to the WAL by the load (page 0 and the root)"
        );
        assert!(main_pages(&vfs) > 550, "{}", main_pages(&vfs));
        check(&db, &vfs, &o, &want(with_first(Entries::new()), loaded));
    }
}

/// Row-by-row inserts in ascending order inside a savepoint, spilling many
/// times: the new pages go to the main file; the WAL gets only the few pages
/// that were there before the load (page 0, the root) and what a spill found
/// changed again and again.
#[test]
fn inserts_in_a_savepoint_spill_to_the_main_file() {
    for durability in [Durability::Normal, Durability::Full] {
        let (vfs, db, o) = open(durability);
        let frames_before = wal_frames(&vfs);
        let loaded = entries(0..20_000, 1);
        let mut w = db.begin_write().unwrap();
        let outer = w.savepoint().unwrap();
        let b = w.open_tree("b").unwrap();
        for (i, (k, v)) in loaded.iter().enumerate() {
            // A statement-sized savepoint every 1,000 rows, as SQL runs them.
            let stmt = (i % 1000 == 0).then(|| w.savepoint().unwrap());
            w.insert(&b, k, v).unwrap();
            if let Some(sp) = stmt {
                w.release(sp).unwrap();
            }
        }
        w.release(outer).unwrap();
        w.commit().unwrap();
        let written = wal_frames(&vfs) - frames_before;
        assert!(
            written <= 12,
            "{durability:?}: {written} frames written to the WAL for a load of {} pages",
            main_pages(&vfs)
        );
        check(&db, &vfs, &o, &want(with_first(Entries::new()), loaded));
    }
}

/// Rolling back to a savepoint discards the pages a load wrote into the main
/// file after it; the transaction goes on, commits, and a second load reuses
/// those page numbers.
#[test]
fn rollback_to_a_savepoint_discards_a_load_written_to_the_main_file() {
    let (vfs, db, o) = open(Durability::Full);
    let mut w = db.begin_write().unwrap();
    let a = w.open_tree("a").unwrap();
    w.insert(&a, b"before", b"kept").unwrap();
    let sp = w.savepoint().unwrap();
    let b = w.open_tree("b").unwrap();
    w.bulk_load(&b, entries(0..20_000, 0)).unwrap();
    w.insert(&a, b"during", b"gone").unwrap();
    assert_eq!(tree_entries_txn(&w, &b).len(), 20_000);
    w.rollback_to(sp).unwrap();
    assert!(tree_entries_txn(&w, &b).is_empty());
    w.insert(&a, b"after", b"kept").unwrap();
    w.commit().unwrap();
    let mut a_want = with_first(Entries::new());
    a_want.insert(b"before".to_vec(), b"kept".to_vec());
    a_want.insert(b"after".to_vec(), b"kept".to_vec());
    check(&db, &vfs, &o, &want(a_want.clone(), Entries::new()));

    // The same page numbers again, with other content.
    let frames_before = wal_frames(&vfs);
    let mut w = db.begin_write().unwrap();
    let sp = w.savepoint().unwrap();
    let b = w.open_tree("b").unwrap();
    let second = entries(5_000..17_000, 2);
    w.bulk_load(&b, &second).unwrap();
    w.release(sp).unwrap();
    w.commit().unwrap();
    assert_eq!(wal_frames(&vfs) - frames_before, 2);
    check(&db, &vfs, &o, &want(a_want, second));
}

/// Nested savepoints: a load under the outer one, changes to those pages under
/// the inner one (the main-file versions must survive for the rollback), a
/// rollback to the inner one, a second load, a rollback to the outer one.
#[test]
fn nested_savepoints_keep_the_main_file_versions_they_need() {
    let (vfs, db, o) = open(Durability::Full);
    let mut w = db.begin_write().unwrap();
    let a = w.open_tree("a").unwrap();
    let b = w.open_tree("b").unwrap();
    let outer = w.savepoint().unwrap();
    let loaded = entries(0..20_000, 0);
    w.bulk_load(&b, &loaded).unwrap();
    let inner = w.savepoint().unwrap();
    // Rewrite every entry of the load: every leaf it wrote into the main file
    // changes, and spills.
    for i in 0..20_000 {
        w.insert(&b, &key(i), &value(i, 7)).unwrap();
    }
    for i in 0..3000 {
        w.insert(&a, &key(i), &value(i, 8)).unwrap();
    }
    assert_eq!(tree_entries_txn(&w, &b), entries(0..20_000, 7));
    w.rollback_to(inner).unwrap();
    assert_eq!(
        tree_entries_txn(&w, &b),
        loaded,
        "after the rollback to the inner savepoint"
    );
    assert_eq!(tree_entries_txn(&w, &a), with_first(Entries::new()));
    // Change half of it again, and keep that.
    for i in (0..20_000).step_by(2) {
        w.insert(&b, &key(i), &value(i, 9)).unwrap();
    }
    w.release(inner).unwrap();
    let mut b_want = loaded.clone();
    for i in (0..20_000).step_by(2) {
        b_want.insert(key(i), value(i, 9));
    }
    assert_eq!(tree_entries_txn(&w, &b), b_want);
    let inner = w.savepoint().unwrap();
    for i in 0..2000 {
        w.insert(&a, &key(i), &value(i, 10)).unwrap();
    }
    w.rollback_to(outer).unwrap();
    assert!(tree_entries_txn(&w, &b).is_empty());
    assert!(w.rollback_to(inner).is_err(), "the inner savepoint is gone");
    let third = entries(100..9_000, 3);
    w.bulk_load(&b, &third).unwrap();
    w.commit().unwrap();
    check(&db, &vfs, &o, &want(with_first(Entries::new()), third));
}

/// Pages written into the main file and then changed again, in the same
/// transaction (with and without a savepoint around the change), are written
/// again correctly; a rollback to the savepoint restores the main-file version.
#[test]
fn pages_written_to_the_main_file_then_changed_again() {
    let (vfs, db, o) = open(Durability::Full);
    let mut w = db.begin_write().unwrap();
    let b = w.open_tree("b").unwrap();
    for (k, v) in entries(0..20_000, 0) {
        w.insert(&b, &k, &v).unwrap();
    }
    // Every leaf was spilled into the main file at least once; change them all.
    for i in 0..20_000 {
        w.insert(&b, &key(i), &value(i, 1)).unwrap();
    }
    let sp = w.savepoint().unwrap();
    for i in 0..20_000 {
        if i % 3 == 0 {
            w.remove(&b, &key(i)).unwrap();
        } else {
            w.insert(&b, &key(i), &value(i, 2)).unwrap();
        }
    }
    w.rollback_to(sp).unwrap();
    assert_eq!(tree_entries_txn(&w, &b), entries(0..20_000, 1));
    for i in (0..20_000).step_by(5) {
        w.insert(&b, &key(i), &value(i, 3)).unwrap();
    }
    w.release(sp).unwrap();
    w.commit().unwrap();
    let mut b_want = entries(0..20_000, 1);
    for i in (0..20_000).step_by(5) {
        b_want.insert(key(i), value(i, 3));
    }
    check(
        &db,
        &vfs,
        &o,
        &want(with_first(Entries::new()), b_want.clone()),
    );

    // A later transaction changes those pages: now they are committed, through
    // the WAL.
    let mut w = db.begin_write().unwrap();
    let b = w.open_tree("b").unwrap();
    for i in (1..20_000).step_by(7) {
        w.insert(&b, &key(i), &value(i, 4)).unwrap();
        b_want.insert(key(i), value(i, 4));
    }
    w.commit().unwrap();
    check(
        &db,
        &vfs,
        &o,
        &want(with_first(Entries::new()), b_want.clone()),
    );
    db.checkpoint().unwrap();
    check(&db, &vfs, &o, &want(with_first(Entries::new()), b_want));
}

/// With `Normal`, a VACUUM that shrank the database is not durable until the
/// next checkpoint: a power cut may fall back to the longer state before it,
/// so a load must not overwrite that state's pages in the main file.
#[test]
fn normal_mode_load_after_an_unsynced_shrink_keeps_the_fallback_state() {
    let (vfs, db, o) = open(Durability::Normal);
    let mut w = db.begin_write().unwrap();
    let b = w.open_tree("b").unwrap();
    w.bulk_load(&b, entries(0..20_000, 0)).unwrap();
    w.commit().unwrap();
    db.checkpoint().unwrap();
    let durable = crash_copy(&vfs);
    let durable_state = state(&db);
    let mut w = db.begin_write().unwrap();
    w.drop_tree("b").unwrap();
    w.create_tree("b").unwrap();
    w.vacuum().unwrap();
    w.commit().unwrap();
    let mut w = db.begin_write().unwrap();
    let b = w.open_tree("b").unwrap();
    let loaded = entries(0..10_000, 5);
    w.bulk_load(&b, &loaded).unwrap();
    w.commit().unwrap();
    check(&db, &vfs, &o, &want(with_first(Entries::new()), loaded));
    // A power cut that loses the whole unsynced WAL: the main file must still
    // hold the checkpointed state, byte for byte where that state lives.
    let main_now = vfs.file_bytes(PATH).unwrap();
    let main_then = durable.file_bytes(PATH).unwrap();
    assert_eq!(
        &main_now[..main_then.len()],
        &main_then[..],
        "the load overwrote pages of the state a power cut falls back to"
    );
    let lost = MemoryVfs::new();
    lost.set_file_bytes(PATH, main_now);
    lost.set_file_bytes(WAL, durable.file_bytes(WAL).unwrap());
    let again = Database::open_with_vfs(Arc::new(lost), PATH, o.clone()).unwrap();
    assert_eq!(state(&again), durable_state);
}

/// With `Normal`, a small commit is one WAL write and no sync; a commit that
/// wrote pages into the main file syncs the main file (its pages survive a power
/// cut that drops every unsynced write) and still not the WAL.
#[test]
fn normal_mode_syncs_the_main_file_only_for_commits_that_wrote_it() {
    use covet_engine::vfs::{CrashMode, FaultConfig, FaultVfs};
    let vfs = FaultVfs::new(FaultConfig::default());
    let o = opts(Durability::Normal);
    let db = Database::open_with_vfs(Arc::new(vfs.clone()), PATH, o.clone()).unwrap();
    let mut w = db.begin_write().unwrap();
    w.create_tree("b").unwrap();
    w.create_tree("c").unwrap();
    w.commit().unwrap();
    db.checkpoint().unwrap();
    let durable = vfs.crash_image(CrashMode::DropUnsynced);
    let main_durable = durable.file_bytes(PATH).unwrap();

    let before = vfs.ops();
    let mut w = db.begin_write().unwrap();
    let c = w.open_tree("c").unwrap();
    w.insert(&c, b"small", b"commit").unwrap();
    w.commit().unwrap();
    assert_eq!(
        vfs.ops() - before,
        1,
        "a small commit: one WAL write, no sync"
    );
    let image = vfs.crash_image(CrashMode::DropUnsynced);
    assert_eq!(image.file_bytes(PATH).unwrap(), main_durable);
    assert_eq!(image.file_bytes(WAL), durable.file_bytes(WAL));

    let mut w = db.begin_write().unwrap();
    let b = w.open_tree("b").unwrap();
    let sp = w.savepoint().unwrap();
    w.bulk_load(&b, entries(0..20_000, 0)).unwrap();
    w.release(sp).unwrap();
    w.commit().unwrap();
    let image = vfs.crash_image(CrashMode::DropUnsynced);
    let main = image.file_bytes(PATH).unwrap();
    assert!(
        main.len() / PAGE > 550,
        "the load's pages are durable before its commit frame: {} pages",
        main.len() / PAGE
    );
    assert_eq!(&main[..main_durable.len()], &main_durable[..]);
    assert_eq!(
        image.file_bytes(WAL),
        durable.file_bytes(WAL),
        "the WAL is not synced"
    );
    // That power cut loses the unsynced commits, nothing else.
    let again = Database::open_with_vfs(Arc::new(image), PATH, o).unwrap();
    assert_eq!(
        state(&again),
        BTreeMap::from([
            ("b".to_string(), Entries::new()),
            ("c".to_string(), Entries::new())
        ])
    );
}
