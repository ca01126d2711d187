//! Opening never destroys data (DESIGN.md, "Engine"; issue 11, defect 1).
//!
//! A database whose page 0 is damaged is a typed `Corrupt` error naming page 0,
//! whatever its size and whatever `create` says, and the failed open leaves the
//! main file and the WAL byte for byte as they were; unless the WAL, provably
//! this database's, holds a newer page 0, and then every row is recovered. Only a creation that provably never finished is
//! finished (with `create: true`); everything else that is not a covet file is
//! `NotADatabase`, untouched.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use covet_engine::vfs::{CrashMode, FaultConfig, FaultKind, FaultVfs, MemoryVfs};
use covet_engine::{Database, Error, Options};

mod common;
use common::{assert_same, contents, Contents};

fn key(i: u32) -> Vec<u8> {
    format!("key-{i:08}").into_bytes()
}

fn value(i: u32, len: usize) -> Vec<u8> {
    let mut v = format!("value-{i}-").into_bytes();
    v.resize(len, (i % 251) as u8);
    v
}

/// One shape of database to damage.
#[derive(Debug, Clone, Copy)]
struct Shape {
    page_size: usize,
    rows: u32,
    value_len: usize,
    /// The smallest main file it must give (to be sure "large" is large).
    min_file: u64,
}

/// The database: default options, 50 rows, a 12 KiB main file.
const SMALL: Shape = Shape {
    page_size: 4096,
    rows: 50,
    value_len: 20,
    min_file: 3 * 4096,
};
/// Many pages of the default size (> 2 pages of 64 KiB).
const LARGE: Shape = Shape {
    page_size: 4096,
    rows: 5000,
    value_len: 100,
    min_file: 3 << 16,
};
/// Many 64 KiB pages.
const LARGE_PAGES: Shape = Shape {
    page_size: 65536,
    rows: 400,
    value_len: 2000,
    min_file: 4 << 16,
};

/// What sits in the directory after the build: the main file and the WAL
/// (`None`: no WAL file).
#[derive(Debug, Clone, PartialEq)]
struct Files {
    main: Vec<u8>,
    wal: Option<Vec<u8>>,
}

fn read_files(dir: &Path) -> Files {
    Files {
        main: std::fs::read(dir.join("db")).unwrap(),
        wal: std::fs::read(dir.join("db-wal")).ok(),
    }
}

fn write_files(dir: &Path, files: &Files) {
    std::fs::write(dir.join("db"), &files.main).unwrap();
    match &files.wal {
        Some(wal) => std::fs::write(dir.join("db-wal"), wal).unwrap(),
        None => {
            let _ = std::fs::remove_file(dir.join("db-wal"));
        }
    }
}

fn opts(page_size: usize, create: bool) -> Options {
    Options {
        page_size,
        create,
        autocheckpoint_frames: 1_000_000,
        ..Options::default()
    }
}

/// Builds `shape` in `dir`, in two commits. With `in_wal`, the files are copied
/// while the database is open, so both commits are still in the WAL (as after
/// a crash); otherwise after a clean close (WAL empty).
fn build(dir: &Path, shape: Shape, in_wal: bool) -> (Files, Contents) {
    let db = Database::open(dir.join("db"), opts(shape.page_size, true)).unwrap();
    for half in 0..2 {
        let mut w = db.begin_write().unwrap();
        let t = w.open_or_create_tree("t").unwrap();
        for i in (half * shape.rows / 2)..((half + 1) * shape.rows / 2) {
            w.insert(&t, &key(i), &value(i, shape.value_len)).unwrap();
        }
        w.commit().unwrap();
    }
    let want = contents(&db);
    assert_eq!(want.len(), shape.rows as usize);
    let files = if in_wal {
        let files = read_files(dir);
        drop(db);
        files
    } else {
        drop(db);
        let files = read_files(dir);
        assert_eq!(files.wal.as_deref().map(<[u8]>::len), Some(0), "WAL empty");
        assert!(files.main.len() as u64 >= shape.min_file, "{shape:?}");
        files
    };
    if in_wal {
        assert!(files.wal.as_ref().unwrap().len() > shape.page_size);
    }
    // The undamaged files open and hold everything.
    write_files(dir, &files);
    let db = Database::open(dir.join("db"), opts(shape.page_size, false)).unwrap();
    assert_same(&want, &contents(&db), "reopened");
    drop(db);
    write_files(dir, &files);
    (files, want)
}

/// Ways to damage page 0.
#[derive(Debug, Clone, Copy)]
enum Damage {
    /// The damage: the first 24 bytes (checksum, type, magic, version,
    /// page size) zeroed.
    ZeroFirst24,
    /// The whole page zeroed.
    ZeroPage,
    /// One byte of the meta data flipped: the checksum fails.
    FlipMeta,
}

fn damage(main: &mut [u8], page_size: usize, how: Damage) {
    match how {
        Damage::ZeroFirst24 => main[..24].fill(0),
        Damage::ZeroPage => main[..page_size].fill(0),
        Damage::FlipMeta => main[33] ^= 0x10,
    }
}

/// Opens `shape` with page 0 damaged every way, with either `create`. Without
/// WAL content the open must fail with `Corrupt` at page 0 and change nothing.
/// With the commits still in the WAL, the WAL holds a newer committed page 0:
/// if the damaged page still names the database (its id and transaction are
/// readable, as in a page 0 torn by a checkpoint), the open recovers every row
/// from the WAL and its checkpoint repairs page 0; if the id is gone too (the
/// page zeroed), nothing proves the WAL is this database's, and the open fails
/// as without WAL content.
fn check_damaged_header(shape: Shape, in_wal: bool) {
    for how in [Damage::ZeroFirst24, Damage::ZeroPage, Damage::FlipMeta] {
        for create in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            let (mut files, want) = build(dir.path(), shape, in_wal);
            damage(&mut files.main, shape.page_size, how);
            write_files(dir.path(), &files);
            let what = format!("{shape:?}, in WAL: {in_wal}, {how:?}, create: {create}");
            let recoverable = in_wal && !matches!(how, Damage::ZeroPage);
            match Database::open(dir.path().join("db"), opts(shape.page_size, create)) {
                Err(Error::Corrupt { page: 0, .. }) if !recoverable => {
                    assert!(
                        read_files(dir.path()) == files,
                        "{what}: the failed open changed the files"
                    );
                }
                Ok(db) if recoverable => {
                    assert_same(&want, &contents(&db), &what);
                    drop(db);
                    let db = Database::open(dir.path().join("db"), opts(shape.page_size, false))
                        .unwrap_or_else(|e| panic!("{what}: reopen after the repair: {e}"));
                    assert_same(&want, &contents(&db), &format!("{what}, reopened"));
                    assert!(db.check_integrity().unwrap().is_ok(), "{what}");
                }
                Ok(db) => panic!(
                    "{what}: the open succeeded and shows {} of {} rows",
                    contents(&db).len(),
                    shape.rows
                ),
                Err(e) => panic!("{what}: expected Corrupt at page 0, got {e:?}"),
            }
        }
    }
}

#[test]
fn damaged_header_of_a_small_database_is_refused() {
    check_damaged_header(SMALL, false);
}

#[test]
fn damaged_header_of_a_small_database_with_commits_in_the_wal() {
    check_damaged_header(SMALL, true);
}

#[test]
fn damaged_header_of_a_large_database_is_refused() {
    check_damaged_header(LARGE, false);
    check_damaged_header(LARGE_PAGES, false);
}

#[test]
fn damaged_header_of_a_large_database_with_commits_in_the_wal() {
    check_damaged_header(LARGE, true);
    check_damaged_header(LARGE_PAGES, true);
}

/// An empty main file next to a WAL holding commits is not a creation that never
/// finished: the commits are data.
#[test]
fn empty_main_file_with_commits_in_the_wal_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (mut files, _) = build(dir.path(), SMALL, true);
    files.main.clear();
    write_files(dir.path(), &files);
    for create in [true, false] {
        let res = Database::open(dir.path().join("db"), opts(4096, create));
        assert!(
            matches!(res, Err(Error::Corrupt { page: 0, .. })),
            "create: {create}: {res:?}"
        );
        assert!(read_files(dir.path()) == files, "the files changed");
    }
}

/// Files that are not covet databases stay untouched, even with `create`.
#[test]
fn foreign_files_are_not_overwritten() {
    let text = b"Dear diary, today I opened my notes with a database.\n".repeat(40);
    let mut sqlite = b"SQLite format 3\0".to_vec();
    sqlite.extend_from_slice(&[0x10, 0x00, 1, 1, 0, 64, 32, 32]);
    sqlite.resize(4096, 7);
    for (name, bytes) in [
        ("text", text),
        ("sqlite", sqlite),
        ("bytes", vec![0xab_u8; 30]),
    ] {
        for create in [true, false] {
            let dir = tempfile::tempdir().unwrap();
            let files = Files {
                main: bytes.clone(),
                wal: None,
            };
            write_files(dir.path(), &files);
            let res = Database::open(dir.path().join("db"), opts(4096, create));
            assert!(
                matches!(res, Err(Error::NotADatabase { .. })),
                "{name}, create: {create}: {res:?}"
            );
            assert!(read_files(dir.path()) == files, "{name}: the files changed");
        }
    }
}

/// An empty file is a database only when the caller asks for creation.
#[test]
fn empty_file_needs_create() {
    let dir = tempfile::tempdir().unwrap();
    let files = Files {
        main: Vec::new(),
        wal: None,
    };
    write_files(dir.path(), &files);
    let res = Database::open(dir.path().join("db"), opts(4096, false));
    assert!(
        matches!(res, Err(Error::NotADatabase { .. })),
        "create: false: {res:?}"
    );
    assert!(read_files(dir.path()) == files, "the files changed");
    let db = Database::open(dir.path().join("db"), opts(4096, true)).unwrap();
    assert!(contents(&db).is_empty());
}

const PATH: &str = "new.covet";

/// The files of a crash image, to compare before and after an open.
fn snapshot(vfs: &MemoryVfs) -> Vec<(PathBuf, Vec<u8>)> {
    vfs.paths()
        .into_iter()
        .map(|p| {
            let bytes = vfs.file_bytes(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

/// Creates a database and makes one commit on `vfs`; returns the mutating calls
/// made before the close.
fn create_and_commit(vfs: &FaultVfs) -> covet_engine::Result<u64> {
    let db = Database::open_with_vfs(Arc::new(vfs.clone()), PATH, opts(512, true))?;
    let mut w = db.begin_write()?;
    let t = w.open_or_create_tree("t")?;
    w.insert(&t, b"k", b"v")?;
    w.commit()?;
    Ok(vfs.ops())
}

/// A power cut at every write and sync of a creation and of its first commit:
/// every crash image opens with `create: true` as the empty database or as the
/// commit, and takes a commit; with `create: false` it opens, or is refused and
/// left exactly as it was.
#[test]
fn every_interrupted_creation_is_finished_or_refused() {
    let clean = FaultVfs::new(FaultConfig::default());
    let n = create_and_commit(&clean).unwrap();
    assert!(n >= 4, "{n} ops");
    let committed: Contents = [(("t".to_string(), b"k".to_vec()), b"v".to_vec())].into();
    let mut refused = 0;
    for k in 1..=n {
        let vfs = FaultVfs::new(FaultConfig {
            torn_write: k % 2 == 0,
            ..FaultConfig::at(k, FaultKind::PowerCut)
        });
        assert!(create_and_commit(&vfs).is_err(), "cut at {k} of {n}");
        for mode in [
            CrashMode::DropUnsynced,
            CrashMode::KeepUnsynced,
            CrashMode::TornLastWrite { keep_bytes: 100 },
            CrashMode::RandomSubset {
                seed: k,
                sector: 512,
            },
        ] {
            let what = format!("cut at op {k} of {n}, {mode:?}");
            let image = vfs.crash_image(mode);
            let before = snapshot(&image);
            match Database::open_with_vfs(Arc::new(image.clone()), PATH, opts(512, false)) {
                Ok(db) => {
                    let seen = contents(&db);
                    assert!(seen.is_empty() || seen == committed, "{what}: {seen:?}");
                }
                Err(Error::NotADatabase { .. }) | Err(Error::Io { .. }) => {
                    refused += 1;
                    assert!(
                        snapshot(&image) == before,
                        "{what}: a refused open changed the files"
                    );
                }
                Err(e) => panic!("{what}: create: false: {e:?}"),
            }
            let image = vfs.crash_image(mode);
            let db = Database::open_with_vfs(Arc::new(image.clone()), PATH, opts(512, true))
                .unwrap_or_else(|e| panic!("{what}: create: true: {e}"));
            let seen = contents(&db);
            assert!(seen.is_empty() || seen == committed, "{what}: {seen:?}");
            let mut w = db.begin_write().unwrap();
            let t = w.open_or_create_tree("after").unwrap();
            w.insert(&t, b"a", b"b").unwrap();
            w.commit().unwrap();
            drop(db);
            let db = Database::open_with_vfs(Arc::new(image), PATH, opts(512, false)).unwrap();
            let mut want = seen;
            want.insert(("after".into(), b"a".to_vec()), b"b".to_vec());
            assert_same(
                &want,
                &contents(&db),
                &format!("{what}: after a commit and a reopen"),
            );
        }
    }
    assert!(refused > 0, "no image was an unfinished creation");
}

/// Finishing an interrupted creation is itself crash safe: every crash image of
/// an interrupted creation is opened again on a fault-injecting copy with a power
/// cut at every write and sync of that open and its first commit; the image of
/// that second crash must still open as the empty database or with the commit.
#[test]
fn finishing_an_interrupted_creation_survives_another_crash() {
    let clean = FaultVfs::new(FaultConfig::default());
    let n = create_and_commit(&clean).unwrap();
    let mut second_cuts = 0;
    for k in 1..=n {
        let vfs = FaultVfs::new(FaultConfig {
            torn_write: true,
            ..FaultConfig::at(k, FaultKind::PowerCut)
        });
        assert!(create_and_commit(&vfs).is_err());
        for mode in [
            CrashMode::KeepUnsynced,
            CrashMode::TornLastWrite { keep_bytes: 300 },
        ] {
            let image = vfs.crash_image(mode);
            // What the image holds (read on a copy): a second crash may show
            // that or the commit, nothing older.
            let before = {
                let copy = FaultVfs::with_files(&image, FaultConfig::default());
                let db = Database::open_with_vfs(Arc::new(copy), PATH, opts(512, true)).unwrap();
                contents(&db)
            };
            let again = FaultVfs::with_files(&image, FaultConfig::default());
            let m = create_and_commit(&again).unwrap();
            for j in 1..=m {
                let cut = FaultVfs::with_files(
                    &image,
                    FaultConfig {
                        torn_write: j % 2 == 1,
                        ..FaultConfig::at(j, FaultKind::PowerCut)
                    },
                );
                assert!(create_and_commit(&cut).is_err(), "k {k} j {j}");
                second_cuts += 1;
                for mode2 in [CrashMode::DropUnsynced, CrashMode::KeepUnsynced] {
                    let what = format!("cut at {k} ({mode:?}), then at {j} ({mode2:?})");
                    let db = Database::open_with_vfs(
                        Arc::new(cut.crash_image(mode2)),
                        PATH,
                        opts(512, true),
                    )
                    .unwrap_or_else(|e| panic!("{what}: {e}"));
                    let seen = contents(&db);
                    let committed: Contents =
                        [(("t".to_string(), b"k".to_vec()), b"v".to_vec())].into();
                    assert!(seen == before || seen == committed, "{what}: {seen:?}");
                }
            }
        }
    }
    assert!(second_cuts > n, "{second_cuts} second cuts");
}
