//! A WAL belongs to exactly one database and one state of its main file (issue
//! 11, defect 4): the WAL of another database, an old copy of the database's own
//! WAL, or a leftover `DEST-wal` next to a backup is never replayed.

use std::sync::Arc;

use covet_engine::vfs::{MemoryVfs, Vfs};
use covet_engine::{Database, Options};

mod common;
use common::{assert_same, contents};

fn opts() -> Options {
    Options {
        page_size: 1024,
        autocheckpoint_frames: 1_000_000,
        create: true,
        ..Options::default()
    }
}

fn open(vfs: &MemoryVfs, path: &str) -> Database {
    Database::open_with_vfs(Arc::new(vfs.clone()), path, opts()).unwrap()
}

/// Commits `rows` rows `tag-i` into tree `tree`.
fn commit_rows(db: &Database, tree: &str, tag: &str, rows: std::ops::Range<u32>) {
    let mut w = db.begin_write().unwrap();
    let t = w.open_or_create_tree(tree).unwrap();
    for i in rows {
        w.insert(&t, format!("{tag}-{i:05}").as_bytes(), &[i as u8; 50])
            .unwrap();
    }
    w.commit().unwrap();
}

fn wal_of(path: &str) -> String {
    format!("{path}-wal")
}

/// Database B's WAL (with commits) next to database A's main file, same page
/// size: A opens as its main file says.
#[test]
fn wal_of_another_database_is_not_replayed() {
    let vfs = MemoryVfs::new();
    let a = open(&vfs, "a");
    commit_rows(&a, "t", "a", 0..300);
    a.checkpoint().unwrap();
    let a_state = contents(&a);
    drop(a);

    let b = open(&vfs, "b");
    commit_rows(&b, "t", "b", 0..200);
    commit_rows(&b, "u", "b", 0..100);
    let b_wal = vfs.file_bytes(wal_of("b")).unwrap();
    assert!(b_wal.len() > 4 * 1024, "B's commits are in its WAL");
    let b_state = contents(&b);
    drop(b);

    vfs.set_file_bytes(wal_of("a"), b_wal.clone());
    let a = open(&vfs, "a");
    assert_same(&a_state, &contents(&a), "A shows B's commits");
    assert!(a.check_integrity().unwrap().is_ok());
    // A goes on working, and B's WAL (overwritten by A's own) never comes back.
    commit_rows(&a, "t", "a2", 0..10);
    let mut want = a_state.clone();
    for i in 0..10u32 {
        want.insert(
            ("t".into(), format!("a2-{i:05}").into_bytes()),
            vec![i as u8; 50],
        );
    }
    drop(a);
    assert_same(&want, &contents(&open(&vfs, "a")), "reopened");
    // B itself, with its own WAL back, is intact.
    vfs.set_file_bytes(wal_of("b"), b_wal);
    assert_same(&b_state, &contents(&open(&vfs, "b")), "reopened");
}

/// An old copy of A's own WAL, put back after its frames were checkpointed and
/// newer commits reached the main file, is not replayed over them.
#[test]
fn stale_wal_of_the_same_database_is_not_replayed() {
    let vfs = MemoryVfs::new();
    let a = open(&vfs, "a");
    commit_rows(&a, "t", "one", 0..200);
    commit_rows(&a, "t", "two", 0..200);
    let old_wal = vfs.file_bytes(wal_of("a")).unwrap();
    assert!(old_wal.len() > 4 * 1024);
    a.checkpoint().unwrap();
    // Newer commits: one overwrites the values of the old ones, one removes some.
    let mut w = a.begin_write().unwrap();
    let t = w.open_tree("t").unwrap();
    for i in 0..200u32 {
        w.insert(&t, format!("one-{i:05}").as_bytes(), b"newer")
            .unwrap();
    }
    w.commit().unwrap();
    let mut w = a.begin_write().unwrap();
    let t = w.open_tree("t").unwrap();
    for i in 0..100u32 {
        w.remove(&t, format!("two-{i:05}").as_bytes()).unwrap();
    }
    w.commit().unwrap();
    a.checkpoint().unwrap();
    let newest = contents(&a);
    assert_eq!(newest.len(), 300);
    drop(a);

    vfs.set_file_bytes(wal_of("a"), old_wal);
    let a = open(&vfs, "a");
    assert_same(&newest, &contents(&a), "the old WAL was replayed");
    assert!(a.check_integrity().unwrap().is_ok());
}

/// A stale WAL is also refused when the newer commits are still in the main
/// file's own, later generation: the old copy was taken before a checkpoint
/// reset the WAL, and is restored over the newer one.
#[test]
fn wal_from_before_a_reset_is_not_replayed() {
    let vfs = MemoryVfs::new();
    let a = open(&vfs, "a");
    commit_rows(&a, "t", "one", 0..100);
    a.checkpoint().unwrap();
    commit_rows(&a, "t", "two", 0..100);
    let old_wal = vfs.file_bytes(wal_of("a")).unwrap();
    a.checkpoint().unwrap();
    commit_rows(&a, "t", "three", 0..100);
    a.checkpoint().unwrap();
    commit_rows(&a, "u", "four", 0..10);
    let main = vfs.file_bytes("a").unwrap();
    a.checkpoint().unwrap();
    let after_three = {
        let mut m = contents(&a);
        m.retain(|(tree, _), _| tree == "t");
        m
    };
    drop(a);
    // The main file as of "three" checkpointed, with the WAL from "two".
    vfs.set_file_bytes("a", main);
    vfs.set_file_bytes(wal_of("a"), old_wal);
    let a = open(&vfs, "a");
    assert_same(&after_three, &contents(&a), "reopened");
    assert!(a.check_integrity().unwrap().is_ok());
}

/// A backup whose destination has a leftover `DEST-wal` (of another database,
/// with commits, same page size) opens as the backup.
#[test]
fn backup_over_a_leftover_wal_opens_as_the_backup() {
    let vfs = MemoryVfs::new();
    let other = open(&vfs, "dest");
    commit_rows(&other, "t", "other", 0..300);
    let leftover = vfs.file_bytes(wal_of("dest")).unwrap();
    assert!(leftover.len() > 4 * 1024);
    drop(other);
    vfs.remove(std::path::Path::new("dest")).unwrap();
    vfs.set_file_bytes(wal_of("dest"), leftover);

    let src = open(&vfs, "src");
    commit_rows(&src, "t", "src", 0..150);
    commit_rows(&src, "v", "src", 0..20);
    let want = contents(&src);
    let out = src.backup_to_vfs(&vfs, "dest").unwrap();
    assert_eq!(out.txn_id, 2);
    drop(src);
    let copy = open(&vfs, "dest");
    assert_same(&want, &contents(&copy), "the leftover WAL was replayed");
    assert!(copy.check_integrity().unwrap().is_ok());
}

/// With page 0 damaged (its id still readable), only the database's own, current
/// WAL may stand in for it: another database's WAL or an old copy of its own is
/// refused, and nothing is changed.
#[test]
fn damaged_header_is_not_covered_by_a_foreign_or_stale_wal() {
    let vfs = MemoryVfs::new();
    let a = open(&vfs, "a");
    commit_rows(&a, "t", "a", 0..100);
    let stale = vfs.file_bytes(wal_of("a")).unwrap();
    a.checkpoint().unwrap();
    commit_rows(&a, "t", "a2", 0..100);
    a.checkpoint().unwrap();
    commit_rows(&a, "t", "a3", 0..100);
    let own = vfs.file_bytes(wal_of("a")).unwrap();
    let mut main = vfs.file_bytes("a").unwrap();
    drop(a);
    let b = open(&vfs, "b");
    commit_rows(&b, "t", "b", 0..100);
    let foreign = vfs.file_bytes(wal_of("b")).unwrap();
    drop(b);
    main[..24].fill(0);
    for (name, wal) in [("foreign", foreign), ("stale", stale)] {
        vfs.set_file_bytes("a", main.clone());
        vfs.set_file_bytes(wal_of("a"), wal.clone());
        let res = Database::open_with_vfs(Arc::new(vfs.clone()), "a", opts());
        assert!(
            matches!(res, Err(covet_engine::Error::Corrupt { page: 0, .. })),
            "{name}: {res:?}"
        );
        assert_eq!(vfs.file_bytes("a").unwrap(), main, "{name}");
        assert_eq!(vfs.file_bytes(wal_of("a")).unwrap(), wal, "{name}");
    }
    // Its own WAL recovers it: 300 rows.
    vfs.set_file_bytes("a", main);
    vfs.set_file_bytes(wal_of("a"), own);
    assert_eq!(contents(&open(&vfs, "a")).len(), 300);
}
