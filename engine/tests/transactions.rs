//! Transactions through the public API: commit, rollback, savepoints, snapshot
//! isolation, reopen, spilling and checkpoints.

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use covet_engine::vfs::{
    CrashMode, FaultConfig, FaultVfs, MemoryVfs, OpenMode, SyncKind, Vfs, VfsFile,
};
use covet_engine::{Database, Durability, Error, Options};

fn small() -> Options {
    Options {
        page_size: 512,
        cache_bytes: 64 * 512,
        autocheckpoint_frames: 50,
        ..Options::default()
    }
}

fn key(i: u32) -> Vec<u8> {
    format!("key{:08}", i.wrapping_mul(2654435761) % 1_000_000).into_bytes()
}

#[test]
fn commit_is_visible_rollback_is_not() {
    let db = Database::memory().unwrap();
    let mut w = db.begin_write().unwrap();
    let t = w.create_tree("t").unwrap();
    w.insert(&t, b"a", b"1").unwrap();
    w.commit().unwrap();
    let mut w = db.begin_write().unwrap();
    w.insert(&t, b"b", b"2").unwrap();
    assert_eq!(w.get(&t, b"b").unwrap().unwrap().value(), b"2");
    w.rollback();
    let r = db.begin_read().unwrap();
    assert_eq!(r.get(&t, b"a").unwrap().unwrap().value(), b"1");
    assert!(r.get(&t, b"b").unwrap().is_none());
    assert_eq!(r.open_tree("t").unwrap(), t);
    assert!(matches!(
        r.open_tree("nope"),
        Err(Error::TreeNotFound { .. })
    ));
}

#[test]
fn readers_keep_their_snapshot() {
    let db = Database::memory_with(small()).unwrap();
    let mut w = db.begin_write().unwrap();
    let t = w.create_tree("t").unwrap();
    for i in 0..500 {
        w.insert(&t, &key(i), b"old").unwrap();
    }
    w.commit().unwrap();
    let before = db.begin_read().unwrap();
    for round in 0..5 {
        let mut w = db.begin_write().unwrap();
        for i in 0..500 {
            if i % 2 == 0 {
                w.remove(&t, &key(i)).unwrap();
            } else {
                w.insert(&t, &key(i), format!("new{round}").as_bytes())
                    .unwrap();
            }
        }
        for i in 500..700 {
            w.insert(&t, &key(i), b"added").unwrap();
        }
        w.commit().unwrap();
    }
    // Checkpoints ran meanwhile (50 frames), but the old reader sees its state.
    let all: Vec<_> = before
        .iter(&t)
        .map(|e| e.unwrap().value().to_vec())
        .collect();
    assert_eq!(all.len(), 500);
    assert!(all.iter().all(|v| v == b"old"));
    drop(before);
    let now = db.begin_read().unwrap();
    assert_eq!(now.iter(&t).count(), 250 + 200);
    assert_eq!(now.get(&t, &key(1)).unwrap().unwrap().value(), b"new4");
}

#[test]
fn savepoints_nest_and_roll_back() {
    let db = Database::memory_with(small()).unwrap();
    let mut w = db.begin_write().unwrap();
    let t = w.create_tree("t").unwrap();
    w.insert(&t, b"a", b"1").unwrap();
    let s1 = w.savepoint().unwrap();
    w.insert(&t, b"b", b"2").unwrap();
    let s2 = w.savepoint().unwrap();
    w.insert(&t, b"c", b"3").unwrap();
    w.remove(&t, b"a").unwrap();
    w.rollback_to(s2).unwrap();
    assert!(w.get(&t, b"c").unwrap().is_none());
    assert_eq!(w.get(&t, b"a").unwrap().unwrap().value(), b"1");
    w.insert(&t, b"d", b"4").unwrap();
    w.release(s2).unwrap();
    w.rollback_to(s1).unwrap();
    assert!(w.get(&t, b"b").unwrap().is_none());
    assert!(w.get(&t, b"d").unwrap().is_none());
    assert!(matches!(w.rollback_to(s2), Err(Error::NoSuchSavepoint(_))));
    // A savepoint that rolls back a tree's creation.
    let s3 = w.savepoint().unwrap();
    w.create_tree("u").unwrap();
    w.rollback_to(s3).unwrap();
    assert!(w.open_tree("u").is_err());
    w.commit().unwrap();
    let r = db.begin_read().unwrap();
    let got: Vec<_> = r.iter(&t).map(|e| e.unwrap().key().to_vec()).collect();
    assert_eq!(got, vec![b"a".to_vec()]);
}

#[test]
fn big_transaction_spills_and_survives_rollback_to_savepoint() {
    let db = Database::memory_with(small()).unwrap();
    let mut w = db.begin_write().unwrap();
    let t = w.create_tree("t").unwrap();
    let mut model = BTreeMap::new();
    for i in 0..3000 {
        w.insert(&t, &key(i), &[i as u8; 40]).unwrap();
        model.insert(key(i), vec![i as u8; 40]);
    }
    let sp = w.savepoint().unwrap();
    for i in 0..3000 {
        if i % 3 == 0 {
            w.remove(&t, &key(i)).unwrap();
        } else {
            w.insert(&t, &key(i), b"changed").unwrap();
        }
    }
    w.rollback_to(sp).unwrap();
    w.commit().unwrap();
    let r = db.begin_read().unwrap();
    let got: BTreeMap<Vec<u8>, Vec<u8>> = r
        .iter(&t)
        .map(|e| {
            let e = e.unwrap();
            (e.key().to_vec(), e.value().to_vec())
        })
        .collect();
    assert_eq!(got, model);
    assert!(db.cache_stats().bytes <= 64 * 512);
}

#[test]
fn reopen_sees_committed_state() {
    let vfs = Arc::new(MemoryVfs::new());
    let opts = Options {
        autocheckpoint_frames: 1_000_000,
        ..small()
    };
    {
        let db = Database::open_with_vfs(vfs.clone(), "db", opts.clone()).unwrap();
        let mut w = db.begin_write().unwrap();
        let t = w.create_tree("t").unwrap();
        for i in 0..1000 {
            w.insert(&t, &key(i), &i.to_le_bytes()).unwrap();
        }
        w.commit().unwrap();
        let mut w = db.begin_write().unwrap();
        w.insert(&t, b"uncommitted", b"x").unwrap();
        // Simulate a crash: leak the transaction and database so nothing closes.
        std::mem::forget(w);
        std::mem::forget(db);
    }
    let db = Database::open_with_vfs(Arc::new(copy(&vfs)), "db", opts).unwrap();
    let r = db.begin_read().unwrap();
    let t = r.open_tree("t").unwrap();
    assert_eq!(r.iter(&t).count(), 1000);
    for i in 0..1000u32 {
        assert_eq!(
            r.get(&t, &key(i)).unwrap().unwrap().value(),
            &i.to_le_bytes()
        );
    }
    assert!(r.get(&t, b"uncommitted").unwrap().is_none());
}

fn copy(vfs: &MemoryVfs) -> MemoryVfs {
    let out = MemoryVfs::new();
    for p in vfs.paths() {
        out.set_file_bytes(&p, vfs.file_bytes(&p).unwrap());
    }
    out
}

#[test]
fn clean_close_empties_the_wal() {
    let vfs = Arc::new(MemoryVfs::new());
    {
        let db = Database::open_with_vfs(vfs.clone(), "db", small()).unwrap();
        let mut w = db.begin_write().unwrap();
        let t = w.create_tree("t").unwrap();
        for i in 0..100 {
            w.insert(&t, &key(i), b"v").unwrap();
        }
        w.commit().unwrap();
    }
    assert_eq!(vfs.file_bytes("db-wal").unwrap().len(), 0);
    let db = Database::open_with_vfs(vfs.clone(), "db", small()).unwrap();
    let r = db.begin_read().unwrap();
    let t = r.open_tree("t").unwrap();
    assert_eq!(r.iter(&t).count(), 100);
}

#[test]
fn second_open_of_a_locked_file_fails() {
    let vfs = Arc::new(MemoryVfs::new());
    let _db = Database::open_with_vfs(vfs.clone(), "db", small()).unwrap();
    assert!(matches!(
        Database::open_with_vfs(vfs, "db", small()),
        Err(Error::Locked)
    ));
}

#[test]
fn writer_lock_times_out_with_busy() {
    let db = Database::memory_with(Options {
        busy_timeout: std::time::Duration::from_millis(50),
        ..small()
    })
    .unwrap();
    let _w = db.begin_write().unwrap();
    assert!(matches!(db.begin_write(), Err(Error::Busy { .. })));
}

/// A file system that counts the successful syncs of each file of a
/// [`FaultVfs`] (which itself keeps the synced and unsynced bytes apart).
#[derive(Debug, Clone)]
struct SyncCounter {
    inner: FaultVfs,
    syncs: Arc<Mutex<HashMap<PathBuf, u64>>>,
}

#[derive(Debug)]
struct CountedFile {
    inner: Box<dyn VfsFile>,
    path: PathBuf,
    syncs: Arc<Mutex<HashMap<PathBuf, u64>>>,
}

impl SyncCounter {
    /// Successful syncs of (main file, WAL) of the database "db" so far.
    fn db_syncs(&self) -> (u64, u64) {
        let syncs = self.syncs.lock().unwrap();
        let of = |p: &str| syncs.get(Path::new(p)).copied().unwrap_or(0);
        (of("db"), of("db-wal"))
    }
}

impl Vfs for SyncCounter {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Box<dyn VfsFile>> {
        Ok(Box::new(CountedFile {
            inner: self.inner.open(path, mode)?,
            path: path.to_path_buf(),
            syncs: self.syncs.clone(),
        }))
    }
    fn exists(&self, path: &Path) -> io::Result<bool> {
        self.inner.exists(path)
    }
    fn remove(&self, path: &Path) -> io::Result<()> {
        self.inner.remove(path)
    }
    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        self.inner.sync_dir(path)
    }
}

impl VfsFile for CountedFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        self.inner.read_at(buf, offset)
    }
    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        self.inner.write_at(buf, offset)
    }
    fn sync(&self, kind: SyncKind) -> io::Result<()> {
        self.inner.sync(kind)?;
        *self
            .syncs
            .lock()
            .unwrap()
            .entry(self.path.clone())
            .or_default() += 1;
        Ok(())
    }
    fn size(&self) -> io::Result<u64> {
        self.inner.size()
    }
    fn set_len(&self, size: u64) -> io::Result<()> {
        self.inner.set_len(size)
    }
    fn try_lock_exclusive(&self) -> io::Result<bool> {
        self.inner.try_lock_exclusive()
    }
}

/// Every mode commits; and the syncs on the fault-injecting VFS are exactly what
/// the mode promises: `Full` syncs the WAL at every commit, `Normal` only at
/// checkpoints (automatic, explicit, at close), `Off` never. The commits only
/// replace a value in a one-page tree, so that no page is written past the end
/// of the main file (which `Full` syncs too).
#[test]
fn durability_modes_all_commit() {
    // Each commit writes two frames (the leaf and page 0): the automatic
    // checkpoint runs at the commit that brings the WAL to 8 frames, the 4th.
    const COMMITS: u64 = 10;
    for d in [Durability::Full, Durability::Normal, Durability::Off] {
        let fault = FaultVfs::new(FaultConfig::default());
        let vfs = SyncCounter {
            inner: fault.clone(),
            syncs: Arc::default(),
        };
        let opts = Options {
            durability: d,
            autocheckpoint_frames: 8,
            ..small()
        };
        let db = Database::open_with_vfs(Arc::new(vfs.clone()), "db", opts.clone()).unwrap();
        let mut w = db.begin_write().unwrap();
        let t = w.create_tree("t").unwrap();
        w.insert(&t, b"k", b"v0").unwrap();
        w.commit().unwrap();
        db.checkpoint().unwrap();
        let mut checkpoints = 0;
        for i in 1..=COMMITS {
            let before = vfs.db_syncs();
            let mut w = db.begin_write().unwrap();
            w.insert(&t, b"k", format!("v{i}").as_bytes()).unwrap();
            w.commit().unwrap();
            let (main, wal) = vfs.db_syncs();
            let got = (main - before.0, wal - before.1);
            // The automatic checkpoint: the WAL before copying and its new header
            // after the reset, the main file after copying.
            let checkpoint = i % 4 == 0;
            checkpoints += u64::from(checkpoint);
            let want = match (d, checkpoint) {
                (Durability::Off, _) => (0, 0),
                (Durability::Full, false) => (0, 1),
                (Durability::Full, true) => (1, 3),
                (Durability::Normal, false) => (0, 0),
                (Durability::Normal, true) => (1, 2),
            };
            assert_eq!(got, want, "{d:?}: (main, WAL) syncs of commit {i}");
            assert_eq!(
                db.begin_read()
                    .unwrap()
                    .get(&t, b"k")
                    .unwrap()
                    .unwrap()
                    .value(),
                format!("v{i}").as_bytes()
            );
        }
        assert_eq!(checkpoints, 2);
        // Normal: the two commits after the last automatic checkpoint are not
        // durable yet; an image without unsynced writes has the 8th.
        let durable = |vfs: &FaultVfs| {
            let image = Arc::new(vfs.crash_image(CrashMode::DropUnsynced));
            let db = Database::open_with_vfs(image, "db", opts.clone()).unwrap();
            let r = db.begin_read().unwrap();
            let t = r.open_tree("t").ok()?;
            let v = r.get(&t, b"k").unwrap().map(|v| v.value().to_vec());
            v
        };
        let want: Option<&[u8]> = match d {
            Durability::Full => Some(b"v10"),
            Durability::Normal => Some(b"v8"),
            // Nothing synced since the checkpoint after the first commit.
            Durability::Off => None,
        };
        assert_eq!(durable(&fault).as_deref(), want, "{d:?}: the durable state");
        // An explicit checkpoint syncs like an automatic one.
        let before = vfs.db_syncs();
        db.checkpoint().unwrap();
        let (main, wal) = vfs.db_syncs();
        let want = if d == Durability::Off { (0, 0) } else { (1, 2) };
        assert_eq!((main - before.0, wal - before.1), want, "{d:?}: checkpoint");
        if d != Durability::Off {
            assert_eq!(durable(&fault).as_deref(), Some(&b"v10"[..]), "{d:?}");
        }
        // The close truncates the WAL, and syncs it unless Off.
        let before = vfs.db_syncs();
        drop(db);
        let (main, wal) = vfs.db_syncs();
        let want = if d == Durability::Off { (0, 0) } else { (0, 1) };
        assert_eq!((main - before.0, wal - before.1), want, "{d:?}: close");
        let db = Database::open_with_vfs(Arc::new(vfs.clone()), "db", opts).unwrap();
        let r = db.begin_read().unwrap();
        let t = r.open_tree("t").unwrap();
        assert_eq!(r.get(&t, b"k").unwrap().unwrap().value(), b"v10");
    }
}
