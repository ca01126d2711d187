//! Integrity check, online backup, vacuum and space reuse.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;
use std::sync::{mpsc, Arc, Mutex};
use std::thread;

use covet_engine::vfs::{MemoryVfs, OpenMode, SyncKind, Vfs, VfsFile};
use covet_engine::{Database, Error, Options};

fn opts() -> Options {
    Options {
        page_size: 1024,
        cache_bytes: 256 * 1024,
        autocheckpoint_frames: 200,
        ..Options::default()
    }
}

fn key(i: u32) -> Vec<u8> {
    let x = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x.to_be_bytes().repeat(3)
}

fn fill(db: &Database, name: &str, range: std::ops::Range<u32>, value_len: usize) {
    let mut w = db.begin_write().unwrap();
    let t = w.open_or_create_tree(name).unwrap();
    for i in range {
        w.insert(&t, &key(i), &vec![(i % 251) as u8; value_len])
            .unwrap();
    }
    w.commit().unwrap();
}

fn file_len(vfs: &MemoryVfs, path: &str) -> usize {
    vfs.file_bytes(path).map_or(0, |b| b.len())
}

#[test]
fn integrity_check_passes_on_a_busy_database() {
    let db = Database::memory_with(opts()).unwrap();
    fill(&db, "a", 0..3000, 150);
    fill(&db, "b", 0..200, 3000); // overflow chains
    let mut w = db.begin_write().unwrap();
    let a = w.open_tree("a").unwrap();
    for i in (0..3000).step_by(3) {
        w.remove(&a, &key(i)).unwrap();
    }
    w.commit().unwrap();
    let report = db.check_integrity().unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    assert_eq!(report.trees, 3);
    assert_eq!(report.entries, 2000 + 200 + 2);
    assert_eq!(report.pages_checked, report.page_count);
}

/// Every tree by name, with its entries in order.
type Contents = BTreeMap<String, Vec<(Vec<u8>, Vec<u8>)>>;

/// Every tree and entry a read transaction sees.
fn contents(r: &covet_engine::ReadTxn) -> Contents {
    r.list_trees()
        .unwrap()
        .into_iter()
        .map(|(name, t)| {
            let entries = r
                .iter(&t)
                .map(|e| {
                    let e = e.unwrap();
                    (e.key().to_vec(), e.value().to_vec())
                })
                .collect();
            (name, entries)
        })
        .collect()
}

/// The two ends of a [`GatedVfs`]'s gate: "the backup is writing", "go on".
type Gate = Arc<Mutex<Option<(mpsc::Sender<()>, mpsc::Receiver<()>)>>>;

/// A backup destination that, at the backup's first write, lets another thread
/// run (`at_first_write`) and waits for it: so the writer provably commits while
/// the backup copies.
#[derive(Debug)]
struct GatedVfs {
    inner: MemoryVfs,
    gate: Gate,
}

#[derive(Debug)]
struct GatedFile {
    inner: Box<dyn VfsFile>,
    gate: Gate,
}

impl Vfs for GatedVfs {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Box<dyn VfsFile>> {
        Ok(Box::new(GatedFile {
            inner: self.inner.open(path, mode)?,
            gate: self.gate.clone(),
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

impl VfsFile for GatedFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        self.inner.read_at(buf, offset)
    }
    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        let gate = self.gate.lock().unwrap().take();
        if let Some((go, done)) = gate {
            go.send(()).unwrap();
            done.recv().unwrap();
        }
        self.inner.write_at(buf, offset)
    }
    fn sync(&self, kind: SyncKind) -> io::Result<()> {
        self.inner.sync(kind)
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

/// A writer thread commits (updates, removals, inserts, a new tree, a
/// checkpoint) while the backup copies a database of many pages, in several
/// writes; the copy must hold exactly the snapshot the backup started from.
#[test]
fn backup_is_a_consistent_snapshot() {
    let db = Database::memory_with(opts()).unwrap();
    fill(&db, "a", 0..6000, 100);
    fill(&db, "b", 0..50, 3000); // overflow chains
    let start = db.begin_read().unwrap();
    let snapshot = contents(&start);
    let start_txn = start.txn_id();
    drop(start);

    let (go_tx, go_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel();
    let dest = GatedVfs {
        inner: MemoryVfs::new(),
        gate: Arc::new(Mutex::new(Some((go_tx, done_rx)))),
    };
    let writer = {
        let db = db.clone();
        thread::spawn(move || {
            go_rx.recv().unwrap();
            for round in 0..20u32 {
                let mut w = db.begin_write().unwrap();
                let a = w.open_tree("a").unwrap();
                for i in (round..6000).step_by(20) {
                    w.insert(&a, &key(i), &[0xEE; 120]).unwrap();
                }
                for i in (round * 7..6000).step_by(150) {
                    w.remove(&a, &key(i)).unwrap();
                }
                w.insert(&a, &key(10_000 + round), b"new").unwrap();
                let b = w.open_tree("b").unwrap();
                w.remove(&b, &key(round)).unwrap();
                if round == 10 {
                    w.create_tree("c").unwrap();
                }
                w.commit().unwrap();
                if round % 5 == 4 {
                    db.checkpoint().unwrap();
                }
            }
            done_tx.send(()).unwrap();
        })
    };
    let out = db.backup_to_vfs(&dest, "copy").unwrap();
    writer.join().unwrap();
    assert_eq!(out.txn_id, start_txn);

    // The writer's commits all landed in the live database meanwhile.
    let live = db.begin_read().unwrap();
    assert_eq!(live.txn_id(), start_txn + 20);
    let live_contents = contents(&live);
    assert_ne!(live_contents, snapshot);
    assert!(live_contents.contains_key("c"));

    let copy = Database::open_with_vfs(Arc::new(dest.inner.clone()), "copy", opts()).unwrap();
    assert!(copy.check_integrity().unwrap().is_ok());
    let r = copy.begin_read().unwrap();
    assert_eq!(r.txn_id(), start_txn);
    let copied = contents(&r);
    assert!(
        copied == snapshot,
        "the copy is not the snapshot the backup started from: trees {:?}, a has {} entries \
         (want {})",
        copied.keys().collect::<Vec<_>>(),
        copied.get("a").map_or(0, Vec::len),
        snapshot["a"].len()
    );
    assert_eq!(out.pages, copy.check_integrity().unwrap().page_count);
    assert!(matches!(
        db.backup_to_vfs(&dest.inner, "copy"),
        Err(Error::Io { .. })
    ));
}

#[test]
fn vacuum_shrinks_the_file_and_keeps_every_entry() {
    let vfs = Arc::new(MemoryVfs::new());
    let db = Database::open_with_vfs(vfs.clone(), "db", opts()).unwrap();
    fill(&db, "a", 0..4000, 120);
    fill(&db, "b", 0..100, 5000);
    fill(&db, "c", 0..500, 50);
    let mut w = db.begin_write().unwrap();
    let a = w.open_tree("a").unwrap();
    for i in 0..3600 {
        w.remove(&a, &key(i)).unwrap();
    }
    w.drop_tree("b").unwrap();
    w.commit().unwrap();
    db.checkpoint().unwrap();
    let before = file_len(&vfs, "db");
    let outcome = db.vacuum().unwrap();
    let after = file_len(&vfs, "db");
    assert_eq!(after, outcome.pages_after as usize * 1024);
    assert!(
        after * 3 < before,
        "vacuum should give back most pages: {before} -> {after}"
    );
    assert!(matches!(
        db.begin_read().unwrap().get(&a, &key(3700)),
        Err(Error::StaleTree)
    ));
    let report = db.check_integrity().unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    assert_eq!(report.page_count, outcome.pages_after);
    let r = db.begin_read().unwrap();
    let a = r.open_tree("a").unwrap();
    let c = r.open_tree("c").unwrap();
    let got: Vec<Vec<u8>> = r.iter(&a).map(|e| e.unwrap().key().to_vec()).collect();
    let mut want: Vec<Vec<u8>> = (3600..4000).map(key).collect();
    want.sort();
    assert_eq!(got, want);
    for i in 0..500 {
        assert_eq!(
            r.get(&c, &key(i)).unwrap().unwrap().value(),
            &vec![(i % 251) as u8; 50][..]
        );
    }
    drop(r);
    // And the vacuumed database survives a reopen.
    drop(db);
    let db = Database::open_with_vfs(vfs, "db", opts()).unwrap();
    assert!(db.check_integrity().unwrap().is_ok());
}

#[test]
fn deleted_space_is_reused() {
    let vfs = Arc::new(MemoryVfs::new());
    let db = Database::open_with_vfs(vfs.clone(), "db", opts()).unwrap();
    fill(&db, "t", 0..20_000, 150);
    db.checkpoint().unwrap();
    let first = file_len(&vfs, "db");
    let mut w = db.begin_write().unwrap();
    let t = w.open_tree("t").unwrap();
    for i in 0..20_000 {
        assert!(w.remove(&t, &key(i)).unwrap());
    }
    w.commit().unwrap();
    fill(&db, "t", 0..20_000, 150);
    db.checkpoint().unwrap();
    let second = file_len(&vfs, "db");
    assert!(
        second * 4 <= first * 5,
        "file grew from {first} to {second} bytes"
    );
    assert!(db.check_integrity().unwrap().is_ok());
}

#[test]
fn sorted_bulk_load_is_dense_and_sound() {
    let entries = |n: u32| {
        (0..n).map(|i| {
            (
                format!("key{i:08}").into_bytes(),
                vec![(i % 251) as u8; 100],
            )
        })
    };
    let bulk = Database::memory_with(opts()).unwrap();
    let mut w = bulk.begin_write().unwrap();
    let t = w.create_tree("t").unwrap();
    assert_eq!(w.bulk_load(&t, entries(30_000)).unwrap(), 30_000);
    w.commit().unwrap();
    let report = bulk.check_integrity().unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    assert_eq!(report.entries, 30_000 + 1);

    let one_by_one = Database::memory_with(opts()).unwrap();
    let mut w = one_by_one.begin_write().unwrap();
    let t2 = w.create_tree("t").unwrap();
    for i in 0..30_000u32 {
        let j = i.wrapping_mul(2_654_435_761) % 30_000; // a permutation of 0..30,000
        w.insert(
            &t2,
            format!("key{j:08}").as_bytes(),
            &[(j % 251) as u8; 100],
        )
        .unwrap();
    }
    w.commit().unwrap();
    let random = one_by_one.check_integrity().unwrap();
    // Full pages: 8 cells of 115 bytes (113 + a 2-byte pointer) in the 1,004 usable
    // bytes of a 1 KiB page, so 3,750 leaves, about 70 branches above them, and
    // pages 0 and 1; random inserts leave pages about three quarters full.
    assert!(
        report.page_count <= 3_830,
        "bulk load used {} pages",
        report.page_count
    );
    assert!(
        report.page_count * 5 < random.page_count * 4,
        "bulk {} pages, random inserts {} pages",
        report.page_count,
        random.page_count
    );
    let r = bulk.begin_read().unwrap();
    let got: Vec<(Vec<u8>, Vec<u8>)> = r
        .iter(&t)
        .map(|e| e.map(|e| (e.key().to_vec(), e.value().to_vec())).unwrap())
        .collect();
    assert_eq!(got, entries(30_000).collect::<Vec<_>>());

    // Unsorted input fails and leaves the tree empty.
    let mut w = bulk.begin_write().unwrap();
    let u = w.create_tree("u").unwrap();
    let bad = vec![
        (b"b".to_vec(), b"x".to_vec()),
        (b"a".to_vec(), b"y".to_vec()),
    ];
    assert!(matches!(w.bulk_load(&u, bad), Err(Error::InvalidInput(_))));
    assert_eq!(w.iter(&u).count(), 0);
    w.commit().unwrap();
}
