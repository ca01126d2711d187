//! Shared helpers for covet's cross-crate integration tests (in `tests/tests/`).
//!
//! - [`Model`]: the expected contents of a whole database (every tree, every
//!   entry), and [`read_state`] to read the real one for comparison.
//! - [`ModelTxn`]: a write transaction that applies every change to the engine
//!   and to a model copy at once, with savepoints mirrored, so that a test knows
//!   exactly what the database must hold after the commit.
//! - [`diff`] and [`assert_integrity`]: readable failures.
//! - [`probe_txn`]: point lookups of absent keys and bounded ranges, checked
//!   against a model (a full scan alone does not see a deleted key that a
//!   lookup still finds).
//! - [`IoCounter`]: a file-system wrapper that counts successful syncs and
//!   writes per file, so that a test knows exactly when commits became durable
//!   and what a workload writes where.
//! - The workloads of the kill -9 test: [`numbered_txn`] and [`spilling_txn`].

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use covet_engine::vfs::{CrashMode, OpenMode, SyncKind, Vfs, VfsFile};
use covet_engine::{
    Database, Durability, Error, Options, ReadTxn, Result, Savepoint, Tree, WriteTxn,
};

/// The expected entries of one tree.
pub type TreeModel = BTreeMap<Vec<u8>, Vec<u8>>;

/// The expected contents of a database: every tree by name.
pub type Model = BTreeMap<String, TreeModel>;

/// Reads every tree of the newest commit, in full.
pub fn read_state(db: &Database) -> Result<Model> {
    let r = db.begin_read()?;
    read_txn_state(&r)
}

/// Reads every tree as `r` sees it. Every entry found by the scan is also looked
/// up by key (every 7th, to keep it cheap) so that point lookups are checked too.
pub fn read_txn_state(r: &ReadTxn) -> Result<Model> {
    let mut out = Model::new();
    for (name, tree) in r.list_trees()? {
        let mut t = TreeModel::new();
        for (i, e) in r.iter(&tree).enumerate() {
            let e = e?;
            if i % 7 == 0 {
                let got = r.get(&tree, e.key())?;
                match got {
                    Some(v) if v.value() == e.value() => {}
                    other => {
                        return Err(Error::Corrupt {
                            page: 0,
                            reason: format!(
                                "test: get({:?}) = {:?} disagrees with the scan",
                                show(e.key()),
                                other.map(|v| show(v.value()))
                            ),
                        })
                    }
                }
            }
            t.insert(e.key().to_vec(), e.value().to_vec());
        }
        out.insert(name, t);
    }
    Ok(out)
}

/// A short printable form of a byte string.
pub fn show(b: &[u8]) -> String {
    let s = String::from_utf8_lossy(b);
    if s.chars().count() > 40 {
        let head: String = s.chars().take(40).collect();
        format!("{head}…({} bytes)", b.len())
    } else {
        s.into_owned()
    }
}

/// A short description of how `actual` differs from `expected` (empty if equal).
pub fn diff(expected: &Model, actual: &Model) -> String {
    let mut out = Vec::new();
    for (name, exp) in expected {
        match actual.get(name) {
            None => out.push(format!("tree {name:?} missing ({} entries)", exp.len())),
            Some(act) => {
                let missing: Vec<_> = exp.keys().filter(|k| !act.contains_key(*k)).collect();
                let extra: Vec<_> = act.keys().filter(|k| !exp.contains_key(*k)).collect();
                let changed: Vec<_> = exp
                    .iter()
                    .filter(|(k, v)| act.get(*k).is_some_and(|a| a != *v))
                    .map(|(k, _)| k)
                    .collect();
                if !missing.is_empty() || !extra.is_empty() || !changed.is_empty() {
                    let first = |v: &Vec<&Vec<u8>>| v.first().map(|k| show(k)).unwrap_or_default();
                    out.push(format!(
                        "tree {name:?}: {} missing (first {:?}), {} extra (first {:?}), {} changed (first {:?}); expected {} entries, found {}",
                        missing.len(),
                        first(&missing),
                        extra.len(),
                        first(&extra),
                        changed.len(),
                        first(&changed),
                        exp.len(),
                        act.len()
                    ));
                }
            }
        }
    }
    for name in actual.keys() {
        if !expected.contains_key(name) {
            out.push(format!("unexpected tree {name:?}"));
        }
    }
    out.join("; ")
}

/// Runs the integrity check and panics with its problems if it finds any.
pub fn assert_integrity(db: &Database, context: &str) {
    let report = db
        .check_integrity()
        .unwrap_or_else(|e| panic!("{context}: integrity check failed to run: {e}"));
    assert!(
        report.is_ok(),
        "{context}: integrity check found problems: {:?}",
        &report.problems[..report.problems.len().min(10)]
    );
}

/// A write transaction mirrored in a model: every change goes to the engine and,
/// if the engine accepted it, to `model`. Trees are named; a change to a missing
/// tree creates it first (in both).
pub struct ModelTxn {
    txn: WriteTxn,
    /// What the database holds as this transaction sees it.
    pub model: Model,
    handles: HashMap<String, Tree>,
    savepoints: Vec<(Savepoint, Model)>,
}

impl ModelTxn {
    /// Begins a write transaction on `db`, whose committed contents are `model`.
    pub fn begin(db: &Database, model: &Model) -> Result<ModelTxn> {
        Ok(ModelTxn {
            txn: db.begin_write()?,
            model: model.clone(),
            handles: HashMap::new(),
            savepoints: Vec::new(),
        })
    }

    /// The engine transaction, for reads.
    pub fn txn(&self) -> &WriteTxn {
        &self.txn
    }

    fn handle(&mut self, name: &str) -> Result<Tree> {
        if let Some(t) = self.handles.get(name) {
            return Ok(*t);
        }
        let t = self.txn.open_or_create_tree(name)?;
        self.model.entry(name.to_string()).or_default();
        self.handles.insert(name.to_string(), t);
        Ok(t)
    }

    /// Creates tree `name`, which must not exist.
    pub fn create_tree(&mut self, name: &str) -> Result<()> {
        let t = self.txn.create_tree(name)?;
        assert!(
            self.model
                .insert(name.to_string(), TreeModel::new())
                .is_none(),
            "engine created tree {name:?}, which the model already has"
        );
        self.handles.insert(name.to_string(), t);
        Ok(())
    }

    /// Drops tree `name`, which must exist.
    pub fn drop_tree(&mut self, name: &str) -> Result<()> {
        self.handles.remove(name);
        self.txn.drop_tree(name)?;
        assert!(
            self.model.remove(name).is_some(),
            "engine dropped tree {name:?}, which the model does not have"
        );
        Ok(())
    }

    /// Removes every entry of tree `name`.
    pub fn clear_tree(&mut self, name: &str) -> Result<()> {
        let t = self.handle(name)?;
        self.txn.clear_tree(&t)?;
        self.model.get_mut(name).expect("handle made it").clear();
        Ok(())
    }

    /// Inserts (or replaces) `key` in tree `name`, checking what it replaced.
    pub fn insert(&mut self, name: &str, key: &[u8], value: &[u8]) -> Result<()> {
        let t = self.handle(name)?;
        let replaced = self.txn.insert(&t, key, value)?;
        let was = self
            .model
            .get_mut(name)
            .expect("handle made it")
            .insert(key.to_vec(), value.to_vec());
        assert_eq!(
            replaced,
            was.is_some(),
            "insert into {name:?} of {:?}: engine says replaced={replaced}",
            show(key)
        );
        Ok(())
    }

    /// Removes `key` from tree `name`, checking whether it was there.
    pub fn remove(&mut self, name: &str, key: &[u8]) -> Result<()> {
        let t = self.handle(name)?;
        let removed = self.txn.remove(&t, key)?;
        let was = self
            .model
            .get_mut(name)
            .expect("handle made it")
            .remove(key);
        assert_eq!(
            removed,
            was.is_some(),
            "remove from {name:?} of {:?}: engine says removed={removed}",
            show(key)
        );
        Ok(())
    }

    /// Reads `key` of tree `name` and checks it against the model.
    pub fn check_get(&mut self, name: &str, key: &[u8]) -> Result<()> {
        let t = self.handle(name)?;
        let got = self.txn.get(&t, key)?.map(|v| v.to_vec());
        let want = self.model.get(name).and_then(|m| m.get(key)).cloned();
        assert_eq!(
            got,
            want,
            "get {name:?} {:?} inside the transaction",
            show(key)
        );
        Ok(())
    }

    /// Opens a savepoint; returns its depth (an index for `rollback_to`/`release`).
    pub fn savepoint(&mut self) -> Result<usize> {
        let sp = self.txn.savepoint()?;
        self.savepoints.push((sp, self.model.clone()));
        Ok(self.savepoints.len() - 1)
    }

    /// Number of open savepoints.
    pub fn savepoint_depth(&self) -> usize {
        self.savepoints.len()
    }

    /// Rolls back to the savepoint at `depth`, which stays open.
    pub fn rollback_to(&mut self, depth: usize) -> Result<()> {
        let sp = self.savepoints[depth].0;
        self.txn.rollback_to(sp)?;
        self.savepoints.truncate(depth + 1);
        self.model = self.savepoints[depth].1.clone();
        // A tree created after the savepoint is gone.
        self.handles.clear();
        Ok(())
    }

    /// Releases the savepoint at `depth` and every later one, keeping changes.
    pub fn release(&mut self, depth: usize) -> Result<()> {
        let sp = self.savepoints[depth].0;
        self.txn.release(sp)?;
        self.savepoints.truncate(depth);
        Ok(())
    }

    /// Commits; returns the model of the new committed state.
    pub fn commit(self) -> Result<Model> {
        self.txn.commit()?;
        Ok(self.model)
    }

    /// Rolls back.
    pub fn rollback(self) {
        self.txn.rollback();
    }

    /// The state the commit would produce (for recording a commit in flight).
    pub fn pending(&self) -> &Model {
        &self.model
    }
}

/// A deterministic key for number `i`, spread over the key space so that
/// consecutive numbers land in different leaves.
pub fn spread_key(i: u64) -> Vec<u8> {
    let x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
    format!("k{x:07}-{i:06}").into_bytes()
}

/// The four crash images taken after the power cut at operation `k`: unsynced
/// writes dropped, kept, kept as a random subset of 512-byte sectors, and the
/// last write torn (at an offset that varies with `k`).
pub fn crash_modes(k: u64) -> [CrashMode; 4] {
    [
        CrashMode::DropUnsynced,
        CrashMode::KeepUnsynced,
        CrashMode::RandomSubset {
            seed: k,
            sector: 512,
        },
        CrashMode::TornLastWrite {
            keep_bytes: (k as usize * 131) % 1500,
        },
    ]
}

/// A deterministic value of `len` bytes for number `i` and version `v`.
pub fn value_for(i: u64, v: u64, len: usize) -> Vec<u8> {
    let mut out = format!("v{i}.{v}:").into_bytes();
    let mut x = i.wrapping_mul(31).wrapping_add(v.wrapping_mul(1_000_003)) | 1;
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.push(b'a' + (x % 26) as u8);
    }
    out.truncate(len.max(1));
    out
}

/// One change of a [`numbered_txn`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KvOp {
    /// Insert or replace `key` in `tree`.
    Insert {
        /// The tree.
        tree: &'static str,
        /// The key.
        key: Vec<u8>,
        /// The value.
        value: Vec<u8>,
    },
    /// Remove `key` from `tree` (it is there).
    Remove {
        /// The tree.
        tree: &'static str,
        /// The key.
        key: Vec<u8>,
    },
}

/// The counter key of the numbered workload, in tree `meta`.
pub const COUNTER_KEY: &[u8] = b"counter";

/// The changes of transaction number `n` (from 1) of the numbered workload used
/// by the kill -9 test: it inserts key `n` in tree `data` and sets the counter
/// in tree `meta` to `n`; every 3rd also inserts four extra keys, every 7th has a
/// value of 3,000 bytes (an overflow chain), every 10th removes the extra keys of
/// the nine before it.
pub fn numbered_txn(n: u64) -> Vec<KvOp> {
    let mut ops = Vec::new();
    let len = if n.is_multiple_of(7) { 3000 } else { 40 };
    ops.push(KvOp::Insert {
        tree: "data",
        key: format!("n{n:08}").into_bytes(),
        value: value_for(n, 0, len),
    });
    if n.is_multiple_of(3) {
        for j in 0..4 {
            ops.push(KvOp::Insert {
                tree: "data",
                key: format!("x{n:08}-{j}").into_bytes(),
                value: value_for(n, j + 1, 100),
            });
        }
    }
    if n.is_multiple_of(10) {
        for m in n - 9..n {
            if m % 3 == 0 {
                for j in 0..4 {
                    ops.push(KvOp::Remove {
                        tree: "data",
                        key: format!("x{m:08}-{j}").into_bytes(),
                    });
                }
            }
        }
    }
    ops.push(KvOp::Insert {
        tree: "meta",
        key: COUNTER_KEY.to_vec(),
        value: n.to_le_bytes().to_vec(),
    });
    ops
}

/// The database after transactions 1..=`c` of the numbered workload.
pub fn numbered_state(c: u64) -> Model {
    let mut m = Model::new();
    for n in 1..=c {
        apply_ops(&mut m, &numbered_txn(n));
    }
    m
}

/// Applies `ops` to a model.
pub fn apply_ops(m: &mut Model, ops: &[KvOp]) {
    for op in ops {
        match op {
            KvOp::Insert { tree, key, value } => {
                m.entry(tree.to_string())
                    .or_default()
                    .insert(key.clone(), value.clone());
            }
            KvOp::Remove { tree, key } => {
                let removed = m.entry(tree.to_string()).or_default().remove(key);
                assert!(removed.is_some(), "numbered workload removes a missing key");
            }
        }
    }
}

/// Applies `ops` in a write transaction.
pub fn apply_ops_txn(w: &mut WriteTxn, ops: &[KvOp]) -> Result<()> {
    for op in ops {
        match op {
            KvOp::Insert { tree, key, value } => {
                let t = w.open_or_create_tree(tree)?;
                w.insert(&t, key, value)?;
            }
            KvOp::Remove { tree, key } => {
                let t = w.open_or_create_tree(tree)?;
                w.remove(&t, key)?;
            }
        }
    }
    Ok(())
}

/// The counter of the numbered workload in `m` (0 if it has none).
pub fn numbered_counter(m: &Model) -> u64 {
    m.get("meta")
        .and_then(|t| t.get(COUNTER_KEY))
        .map(|v| u64::from_le_bytes(v[..8].try_into().expect("8 bytes")))
        .unwrap_or(0)
}

/// Checks what `r` sees against `expected` beyond a full scan: the list of
/// trees, a point lookup of every key in `probes` (present or absent) in every
/// tree, and forward and backward ranges bounded by consecutive probes (every
/// third pair of them, with both bound kinds). Returns a description of the first difference.
///
/// The probes should include keys that the history deleted: a deleted key that
/// is still visible to a lookup or a bounded range fails here.
pub fn probe_txn(
    r: &ReadTxn,
    expected: &Model,
    probes: &[Vec<u8>],
) -> std::result::Result<(), String> {
    let err = |e: Error| format!("read error: {e}");
    let names: Vec<String> = r
        .list_trees()
        .map_err(err)?
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let want: Vec<&String> = expected.keys().collect();
    if names.iter().collect::<Vec<_>>() != want {
        return Err(format!("trees {names:?}, expected {want:?}"));
    }
    let mut sorted = probes.to_vec();
    sorted.sort();
    sorted.dedup();
    for (name, model) in expected {
        let tree = r.open_tree(name).map_err(err)?;
        for k in &sorted {
            let got = r.get(&tree, k).map_err(err)?.map(|v| v.value().to_vec());
            if got.as_ref() != model.get(k) {
                return Err(format!(
                    "tree {name:?}: get({:?}) = {:?}, expected {:?}",
                    show(k),
                    got.as_deref().map(show),
                    model.get(k).map(|v| show(v))
                ));
            }
        }
        // Every third window: bounded ranges are the costly part of a probe.
        for (i, pair) in sorted.windows(2).enumerate().step_by(3) {
            let (lo, hi) = if i % 2 == 0 {
                (
                    Bound::Included(pair[0].clone()),
                    Bound::Excluded(pair[1].clone()),
                )
            } else {
                (
                    Bound::Excluded(pair[0].clone()),
                    Bound::Included(pair[1].clone()),
                )
            };
            let want: Vec<(Vec<u8>, Vec<u8>)> = model
                .range((lo.clone(), hi.clone()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let collect = |it: covet_engine::RangeIter<'_>| {
                it.map(|e| e.map(|e| (e.key().to_vec(), e.value().to_vec())))
                    .collect::<Result<Vec<_>>>()
            };
            let fwd = collect(r.range(&tree, (lo.clone(), hi.clone()))).map_err(err)?;
            let mut back = collect(r.range_rev(&tree, (lo.clone(), hi.clone()))).map_err(err)?;
            back.reverse();
            if fwd != want || back != want {
                return Err(format!(
                    "tree {name:?}: range {lo:?}..{hi:?}: forward {} entries, backward {}, expected {}",
                    fwd.len(),
                    back.len(),
                    want.len()
                ));
            }
        }
    }
    Ok(())
}

/// What an [`IoCounter`] counted for one file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileIo {
    /// Successful `sync` calls.
    pub syncs: u64,
    /// Successful `write_at` calls.
    pub writes: u64,
    /// Successful `write_at` calls that started at or past the end of the file.
    pub writes_past_end: u64,
}

/// A file system that passes every call to `inner` and counts, per file path,
/// the successful syncs and writes. Clones share the counts.
#[derive(Debug, Clone)]
pub struct IoCounter {
    inner: Arc<dyn Vfs>,
    counts: Arc<Mutex<HashMap<PathBuf, FileIo>>>,
}

impl IoCounter {
    /// Counts the calls made through it on `inner`.
    pub fn new(inner: Arc<dyn Vfs>) -> IoCounter {
        IoCounter {
            inner,
            counts: Arc::default(),
        }
    }

    /// What was counted for the file at `path` so far.
    pub fn of(&self, path: impl AsRef<Path>) -> FileIo {
        let counts = self.counts.lock().expect("I/O counts");
        counts.get(path.as_ref()).copied().unwrap_or_default()
    }

    /// Successful syncs of the file at `path` so far.
    pub fn syncs(&self, path: impl AsRef<Path>) -> u64 {
        self.of(path).syncs
    }
}

impl Vfs for IoCounter {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Box<dyn VfsFile>> {
        let inner = self.inner.open(path, mode)?;
        Ok(Box::new(CountedFile {
            inner,
            path: path.to_path_buf(),
            counts: self.counts.clone(),
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

#[derive(Debug)]
struct CountedFile {
    inner: Box<dyn VfsFile>,
    path: PathBuf,
    counts: Arc<Mutex<HashMap<PathBuf, FileIo>>>,
}

impl CountedFile {
    fn count(&self, f: impl FnOnce(&mut FileIo)) {
        f(self
            .counts
            .lock()
            .expect("I/O counts")
            .entry(self.path.clone())
            .or_default());
    }
}

impl VfsFile for CountedFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        self.inner.read_at(buf, offset)
    }

    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        let past_end = offset >= self.inner.size()?;
        self.inner.write_at(buf, offset)?;
        self.count(|c| {
            c.writes += 1;
            c.writes_past_end += u64::from(past_end);
        });
        Ok(())
    }

    fn sync(&self, kind: SyncKind) -> io::Result<()> {
        self.inner.sync(kind)?;
        self.count(|c| c.syncs += 1);
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

/// The options of the kill -9 test's workloads (the child opens with them, the
/// parent verifies with them). The spilling one has a cache of 32 pages, so
/// that its transactions hold more dirty pages than the cache allows.
pub fn kill9_options(spilling: bool) -> Options {
    Options {
        page_size: 1024,
        cache_bytes: if spilling { 32 * 1024 } else { 256 * 1024 },
        durability: Durability::Full,
        autocheckpoint_frames: if spilling { 400 } else { 64 },
        ..Options::default()
    }
}

/// The changes of transaction number `n` (from 1) of the spilling workload of
/// the kill -9 test: 150 values of 300 bytes (some 50 pages, more than the 32
/// pages of its cache: the transaction spills, and the pages it adds past the
/// end of the main file are written there), the removal of every other key of
/// transaction `n - 2` (so that freed pages are reused too), and the counter.
pub fn spilling_txn(n: u64) -> Vec<KvOp> {
    let mut ops: Vec<KvOp> = (0..150)
        .map(|j| KvOp::Insert {
            tree: "data",
            key: spread_key(n * 1000 + j),
            value: value_for(n, j, 300),
        })
        .collect();
    if n > 2 {
        ops.extend((0..150).step_by(2).map(|j| KvOp::Remove {
            tree: "data",
            key: spread_key((n - 2) * 1000 + j),
        }));
    }
    ops.push(KvOp::Insert {
        tree: "meta",
        key: COUNTER_KEY.to_vec(),
        value: n.to_le_bytes().to_vec(),
    });
    ops
}

/// The database after transactions 1..=`c` of the spilling workload.
pub fn spilling_state(c: u64) -> Model {
    let mut m = Model::new();
    for n in 1..=c {
        apply_ops(&mut m, &spilling_txn(n));
    }
    m
}

pub mod fuzz_logic;
pub mod slt;
