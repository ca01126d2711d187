//! Directory entries are durable only after a sync of their directory (issue 11,
//! defect 3). The fault-injecting VFS models them so: a file created since the
//! last directory sync is absent from a crash image, a removed one is still
//! there. These tests check that the engine syncs the directory wherever
//! durability depends on a name: the main file and the WAL it creates, the
//! backup it writes and the leftover WAL it removes next to it.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use covet_engine::vfs::{CrashMode, FaultConfig, FaultVfs, OpenMode, SyncKind, Vfs};
use covet_engine::{Database, Durability, Options};

type Contents = BTreeMap<(String, Vec<u8>), Vec<u8>>;

fn contents(db: &Database) -> Contents {
    let r = db.begin_read().unwrap();
    let mut out = Contents::new();
    for (name, tree) in r.list_trees().unwrap() {
        for e in r.iter(&tree) {
            let e = e.unwrap();
            out.insert((name.clone(), e.key().to_vec()), e.value().to_vec());
        }
    }
    out
}

fn opts(create: bool) -> Options {
    Options {
        page_size: 512,
        durability: Durability::Full,
        autocheckpoint_frames: 1_000_000,
        create,
        ..Options::default()
    }
}

const MODES: [CrashMode; 4] = [
    CrashMode::DropUnsynced,
    CrashMode::KeepUnsynced,
    CrashMode::TornLastWrite { keep_bytes: 10 },
    CrashMode::RandomSubset {
        seed: 7,
        sector: 512,
    },
];

fn commit(db: &Database, tree: &str, key: &[u8], value: &[u8]) {
    let mut w = db.begin_write().unwrap();
    let t = w.open_or_create_tree(tree).unwrap();
    w.insert(&t, key, value).unwrap();
    w.commit().unwrap();
}

/// The first `Durability::Full` commit of a new database lives in a WAL created
/// by the open: a power cut right after the commit returned must keep it.
#[test]
fn first_commit_of_a_new_database_survives_a_power_cut() {
    let vfs = FaultVfs::new(FaultConfig::default());
    let db = Database::open_with_vfs(Arc::new(vfs.clone()), "dir/new.covet", opts(true)).unwrap();
    commit(&db, "t", b"k", b"v");
    let want = contents(&db);
    for mode in MODES {
        let image = vfs.crash_image(mode);
        assert_eq!(
            image.paths(),
            vec![Path::new("dir/new.covet"), Path::new("dir/new.covet-wal")],
            "{mode:?}: the files of the database"
        );
        let db = Database::open_with_vfs(Arc::new(image), "dir/new.covet", opts(false))
            .unwrap_or_else(|e| panic!("{mode:?}: {e}"));
        assert_eq!(contents(&db), want, "{mode:?}: the commit was lost");
    }
    assert_eq!(
        vfs.dir_syncs(),
        1,
        "one directory sync for the main file and the WAL"
    );
}

/// Opening syncs the directory only when it created a file.
#[test]
fn opening_syncs_the_directory_when_it_creates_a_file() {
    let vfs = FaultVfs::new(FaultConfig::default());
    let db = Database::open_with_vfs(Arc::new(vfs.clone()), "db", opts(true)).unwrap();
    commit(&db, "t", b"k", b"v");
    drop(db);
    assert_eq!(vfs.dir_syncs(), 1);
    // The WAL exists (empty after the clean close): nothing is created.
    let db = Database::open_with_vfs(Arc::new(vfs.clone()), "db", opts(false)).unwrap();
    drop(db);
    assert_eq!(vfs.dir_syncs(), 1);
    // The WAL is gone: the open creates it and syncs the directory before a
    // commit can be reported durable.
    vfs.remove(Path::new("db-wal")).unwrap();
    vfs.sync_dir(Path::new("db-wal")).unwrap();
    let db = Database::open_with_vfs(Arc::new(vfs.clone()), "db", opts(false)).unwrap();
    assert_eq!(vfs.dir_syncs(), 3);
    commit(&db, "t", b"k2", b"v2");
    let want = contents(&db);
    let image = vfs.crash_image(CrashMode::DropUnsynced);
    let db = Database::open_with_vfs(Arc::new(image), "db", opts(false)).unwrap();
    assert_eq!(contents(&db), want);
}

fn source() -> Database {
    let db = Database::memory_with(opts(true)).unwrap();
    for i in 0..50u32 {
        commit(&db, "t", &i.to_be_bytes(), &[i as u8; 100]);
    }
    db
}

/// A finished backup survives a power cut.
#[test]
fn finished_backup_survives_a_power_cut() {
    let src = source();
    let want = contents(&src);
    let vfs = FaultVfs::new(FaultConfig::default());
    src.backup_to_vfs(&vfs, "backups/copy").unwrap();
    assert_eq!(vfs.dir_syncs(), 1);
    for mode in MODES {
        let image = vfs.crash_image(mode);
        assert_eq!(image.paths(), vec![Path::new("backups/copy")], "{mode:?}");
        let copy = Database::open_with_vfs(Arc::new(image), "backups/copy", opts(false))
            .unwrap_or_else(|e| panic!("{mode:?}: {e}"));
        assert_eq!(contents(&copy), want, "{mode:?}");
    }
}

/// A leftover `DEST-wal` is removed, and its removal is durable with the backup.
#[test]
fn backup_removes_a_leftover_wal_durably() {
    let src = source();
    let want = contents(&src);
    let vfs = FaultVfs::new(FaultConfig::default());
    // Another database's WAL, durable, next to where the backup goes.
    let other = Database::open_with_vfs(Arc::new(vfs.clone()), "copy", opts(true)).unwrap();
    commit(&other, "other", b"x", b"y");
    let leftover = vfs
        .crash_image(CrashMode::DropUnsynced)
        .file_bytes("copy-wal")
        .unwrap();
    drop(other);
    vfs.remove(Path::new("copy")).unwrap();
    let wal = vfs.open(Path::new("copy-wal"), OpenMode::Existing).unwrap();
    wal.set_len(0).unwrap();
    wal.write_at(&leftover, 0).unwrap();
    wal.sync(SyncKind::Full).unwrap();
    drop(wal);
    vfs.sync_dir(Path::new("copy")).unwrap();
    let syncs = vfs.dir_syncs();

    src.backup_to_vfs(&vfs, "copy").unwrap();
    assert!(!vfs.exists(Path::new("copy-wal")).unwrap());
    assert_eq!(vfs.dir_syncs(), syncs + 1);
    for mode in MODES {
        let image = vfs.crash_image(mode);
        assert_eq!(image.paths(), vec![Path::new("copy")], "{mode:?}");
        let copy = Database::open_with_vfs(Arc::new(image), "copy", opts(false)).unwrap();
        assert_eq!(contents(&copy), want, "{mode:?}");
    }
}

/// Sanity of the model the tests above rely on: without a directory sync, a
/// created file is not in a crash image, whatever was synced inside it.
#[test]
fn unsynced_directory_entries_are_lost() {
    let vfs = FaultVfs::new(FaultConfig::default());
    let f = vfs.open(Path::new("f"), OpenMode::CreateNew).unwrap();
    f.write_at(b"bytes", 0).unwrap();
    f.sync(SyncKind::Full).unwrap();
    assert_eq!(vfs.crash_image(CrashMode::KeepUnsynced).paths().len(), 0);
}
