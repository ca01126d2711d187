//! Model-based test (proptest): random sequences of transactions, savepoints,
//! checkpoints, vacuums, reopens and readers run against the engine and against
//! a `BTreeMap` model. Every read is compared with the model; every reader must
//! see exactly the state as of its start, checked again after later commits,
//! checkpoints and vacuums. Small pages and a small cache make transactions
//! spill and pages get evicted.

use std::sync::Arc;
use std::time::Duration;

use covet_engine::vfs::MemoryVfs;
use covet_engine::{Database, Durability, Error, Options, ReadTxn};
use covet_tests::{
    assert_integrity, diff, probe_txn, read_state, read_txn_state, show, spread_key, value_for,
    Model, ModelTxn,
};
use proptest::prelude::*;

const TREES: [&str; 3] = ["t0", "t1", "t2"];
const PATH: &str = "model.covet";

#[derive(Debug, Clone)]
enum Op {
    Insert {
        tree: u8,
        key: u16,
        len: u16,
    },
    Remove {
        tree: u8,
        key: u16,
    },
    /// Many inserts at once: the transaction spills.
    Bulk {
        tree: u8,
        start: u16,
        count: u16,
    },
    /// Removes every key of the model in a range.
    RemoveRange {
        tree: u8,
        start: u16,
        count: u16,
    },
    DropTree(u8),
    Savepoint,
    RollbackTo(u8),
    Release(u8),
    /// Compares the open transaction's view with the model.
    CheckTxn,
    Commit,
    Rollback,
    Checkpoint,
    Vacuum,
    OpenReader,
    CloseReader(u8),
    /// Closes the database (and readers) and opens it again.
    Reopen,
    /// A process crash: the files as they are now (an open transaction's spilled
    /// frames included) are opened as a new database, which must hold exactly
    /// the last commit.
    Crash,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        20 => (0..3u8, 0..400u16, any::<u16>()).prop_map(|(tree, key, len)| Op::Insert { tree, key, len }),
        8 => (0..3u8, 0..400u16).prop_map(|(tree, key)| Op::Remove { tree, key }),
        3 => (0..3u8, 0..2000u16, 50..600u16).prop_map(|(tree, start, count)| Op::Bulk { tree, start, count }),
        2 => (0..3u8, 0..2000u16, 1..800u16).prop_map(|(tree, start, count)| Op::RemoveRange { tree, start, count }),
        1 => (0..3u8).prop_map(Op::DropTree),
        4 => Just(Op::Savepoint),
        3 => any::<u8>().prop_map(Op::RollbackTo),
        2 => any::<u8>().prop_map(Op::Release),
        2 => Just(Op::CheckTxn),
        8 => Just(Op::Commit),
        2 => Just(Op::Rollback),
        3 => Just(Op::Checkpoint),
        1 => Just(Op::Vacuum),
        4 => Just(Op::OpenReader),
        3 => any::<u8>().prop_map(Op::CloseReader),
        1 => Just(Op::Reopen),
        2 => Just(Op::Crash),
    ]
}

fn options() -> Options {
    Options {
        page_size: 512,
        cache_bytes: 24 * 512,
        durability: Durability::Full,
        busy_timeout: Duration::from_millis(1),
        autocheckpoint_frames: 24,
        wal_keep_bytes: 8 * 1024,
        ..Options::default()
    }
}

/// A key of the small key space (so that inserts replace and removes hit) or,
/// for bulk loads, of a wider one.
fn key(k: u16) -> Vec<u8> {
    if k < 400 {
        format!("key{k:04}").into_bytes()
    } else {
        spread_key(u64::from(k))
    }
}

fn value(k: u16, step: usize, len: u16) -> Vec<u8> {
    let len = if len.is_multiple_of(9) {
        500 + (len % 1500) as usize // an overflow chain
    } else {
        (len % 120) as usize
    };
    value_for(u64::from(k), step as u64, len)
}

/// How many recently written or removed keys the readers probe.
const RECENT_PROBES: usize = 48;

// Fields drop in order: transaction and readers before the database.
struct Harness {
    txn: Option<ModelTxn>,
    readers: Vec<(ReadTxn, Model)>,
    db: Option<Database>,
    vfs: Arc<MemoryVfs>,
    committed: Model,
    /// Keys recently inserted or removed (newest last): readers look them up,
    /// so a removed key that is still visible to a lookup fails.
    recent: Vec<Vec<u8>>,
}

impl Harness {
    fn db(&self) -> &Database {
        self.db.as_ref().expect("open")
    }

    fn txn(&mut self) -> &mut ModelTxn {
        if self.txn.is_none() {
            self.txn = Some(ModelTxn::begin(self.db(), &self.committed).unwrap());
        }
        self.txn.as_mut().expect("just begun")
    }

    /// Remembers `k` as a key to probe.
    fn touch(&mut self, k: &[u8]) {
        if self.recent.len() == RECENT_PROBES {
            self.recent.remove(0);
        }
        self.recent.push(k.to_vec());
    }

    /// The keys readers look up and bound ranges with: every 13th key of the
    /// small key space, a few of the wide one, and the recent ones.
    fn probes(&self) -> Vec<Vec<u8>> {
        let mut out: Vec<Vec<u8>> = (0..400).step_by(13).map(key).collect();
        out.extend([400, 1000, 1999, 2599].map(key));
        out.extend(self.recent.iter().cloned());
        out
    }

    fn check_reader(r: &ReadTxn, m: &Model, probes: &[Vec<u8>], what: &str) {
        let seen = read_txn_state(r).unwrap_or_else(|e| panic!("{what}: a reader fails: {e}"));
        assert!(
            &seen == m,
            "{what}: a reader does not see its snapshot: {}",
            diff(m, &seen)
        );
        if let Err(e) = probe_txn(r, m, probes) {
            panic!("{what}: a reader's lookups or ranges differ from its snapshot: {e}");
        }
    }

    fn check_readers(&self, what: &str) {
        let probes = self.probes();
        for (r, m) in &self.readers {
            Self::check_reader(r, m, &probes, what);
        }
    }

    fn check_committed(&self, what: &str) {
        let seen = read_state(self.db()).unwrap_or_else(|e| panic!("{what}: reading fails: {e}"));
        assert!(
            seen == self.committed,
            "{what}: the database does not hold the last commit: {}",
            diff(&self.committed, &seen)
        );
        let r = self.db().begin_read().unwrap();
        if let Err(e) = probe_txn(&r, &self.committed, &self.probes()) {
            panic!("{what}: lookups or ranges differ from the last commit: {e}");
        }
    }

    fn step(&mut self, i: usize, op: &Op) {
        match *op {
            Op::Insert { tree, key: k, len } => {
                self.txn()
                    .insert(TREES[tree as usize], &key(k), &value(k, i, len))
                    .unwrap();
                self.touch(&key(k));
            }
            Op::Remove { tree, key: k } => {
                self.txn().remove(TREES[tree as usize], &key(k)).unwrap();
                self.touch(&key(k));
            }
            Op::Bulk { tree, start, count } => {
                let t = self.txn();
                for k in start..start.saturating_add(count) {
                    let k = k.max(400);
                    t.insert(TREES[tree as usize], &key(k), &value(k, i, k))
                        .unwrap();
                }
                let end = start.saturating_add(count).max(401) - 1;
                for k in [start.max(400), start.max(400) / 2 + end / 2, end] {
                    self.touch(&key(k));
                }
            }
            Op::RemoveRange { tree, start, count } => {
                let name = TREES[tree as usize];
                let t = self.txn();
                let lo = key(start);
                let hi = key(start.saturating_add(count));
                let doomed: Vec<Vec<u8>> = t
                    .model
                    .get(name)
                    .map(|m| {
                        m.keys()
                            .filter(|k| **k >= lo && **k < hi)
                            .cloned()
                            .collect()
                    })
                    .unwrap_or_default();
                for k in &doomed {
                    t.remove(name, k).unwrap();
                }
                // Removed keys, spread over the range, and its bounds.
                let step = doomed.len() / 8 + 1;
                for k in doomed.iter().step_by(step).chain(doomed.last()) {
                    self.touch(k);
                }
                self.touch(&lo);
                self.touch(&hi);
            }
            Op::DropTree(tree) => {
                let name = TREES[tree as usize];
                let t = self.txn();
                if t.model.contains_key(name) {
                    t.drop_tree(name).unwrap();
                } else {
                    t.create_tree(name).unwrap();
                }
            }
            Op::Savepoint => {
                self.txn().savepoint().unwrap();
            }
            Op::RollbackTo(n) => {
                if let Some(t) = self.txn.as_mut() {
                    if t.savepoint_depth() > 0 {
                        let d = n as usize % t.savepoint_depth();
                        t.rollback_to(d).unwrap();
                    }
                }
            }
            Op::Release(n) => {
                if let Some(t) = self.txn.as_mut() {
                    if t.savepoint_depth() > 0 {
                        let d = n as usize % t.savepoint_depth();
                        t.release(d).unwrap();
                    }
                }
            }
            Op::CheckTxn => {
                if let Some(t) = self.txn.as_ref() {
                    let w = t.txn();
                    let names: Vec<String> = w
                        .list_trees()
                        .unwrap()
                        .into_iter()
                        .map(|(n, _)| n)
                        .collect();
                    let want: Vec<String> = t.model.keys().cloned().collect();
                    assert_eq!(names, want, "step {i}: trees in the transaction");
                    for (name, m) in &t.model {
                        let tree = w.open_tree(name).unwrap();
                        let got: Vec<(Vec<u8>, Vec<u8>)> = w
                            .iter(&tree)
                            .map(|e| {
                                let e = e.unwrap();
                                (e.key().to_vec(), e.value().to_vec())
                            })
                            .collect();
                        let want: Vec<(Vec<u8>, Vec<u8>)> =
                            m.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                        assert!(
                            got == want,
                            "step {i}: tree {name} in the transaction: {} entries, model {}",
                            got.len(),
                            want.len()
                        );
                        // A backward scan from the middle.
                        if let Some((mid, _)) = m.iter().nth(m.len() / 2) {
                            let back: Vec<Vec<u8>> = w
                                .range_rev(&tree, ..=mid.clone())
                                .map(|e| e.unwrap().key().to_vec())
                                .collect();
                            let want_back: Vec<Vec<u8>> = m
                                .range(..=mid.clone())
                                .rev()
                                .map(|(k, _)| k.clone())
                                .collect();
                            assert_eq!(back, want_back, "step {i}: reverse range to {}", show(mid));
                        }
                    }
                }
            }
            Op::Commit => {
                if let Some(t) = self.txn.take() {
                    self.committed = t.commit().unwrap();
                    self.check_readers(&format!("step {i}, after a commit"));
                }
            }
            Op::Rollback => {
                if let Some(t) = self.txn.take() {
                    t.rollback();
                    self.check_committed(&format!("step {i}, after a rollback"));
                }
            }
            Op::Checkpoint => {
                let res = self.db().checkpoint();
                if self.txn.is_some() {
                    assert!(
                        matches!(res, Err(Error::Busy { .. })),
                        "step {i}: a checkpoint while the writer is busy: {res:?}"
                    );
                } else {
                    res.unwrap();
                    self.check_readers(&format!("step {i}, after a checkpoint"));
                }
            }
            Op::Vacuum => {
                if self.txn.is_none() {
                    self.db().vacuum().unwrap();
                    self.check_committed(&format!("step {i}, after vacuum"));
                    self.check_readers(&format!("step {i}, after vacuum"));
                }
            }
            Op::OpenReader => {
                let r = self.db().begin_read().unwrap();
                self.readers.push((r, self.committed.clone()));
            }
            Op::CloseReader(n) => {
                if !self.readers.is_empty() {
                    let (r, m) = self.readers.remove(n as usize % self.readers.len());
                    let probes = self.probes();
                    Self::check_reader(&r, &m, &probes, &format!("step {i}, closing a reader"));
                }
            }
            Op::Reopen => {
                self.check_readers(&format!("step {i}, before reopening"));
                self.readers.clear();
                self.txn = None; // rolls back
                self.db = None;
                self.db = Some(Database::open_with_vfs(self.vfs.clone(), PATH, options()).unwrap());
                self.check_committed(&format!("step {i}, after reopening"));
            }
            Op::Crash => {
                let image = MemoryVfs::new();
                for path in self.vfs.paths() {
                    image.set_file_bytes(&path, self.vfs.file_bytes(&path).unwrap());
                }
                self.check_readers(&format!("step {i}, before the crash"));
                self.readers.clear();
                self.txn = None;
                self.db = None;
                self.vfs = Arc::new(image);
                self.db = Some(Database::open_with_vfs(self.vfs.clone(), PATH, options()).unwrap());
                self.check_committed(&format!("step {i}, after the crash"));
                assert_integrity(self.db(), &format!("step {i}, after the crash"));
            }
        }
    }
}

fn run(ops: &[Op]) {
    let vfs = Arc::new(MemoryVfs::new());
    let db = Database::open_with_vfs(vfs.clone(), PATH, options()).unwrap();
    let mut h = Harness {
        vfs,
        db: Some(db),
        committed: Model::new(),
        txn: None,
        readers: Vec::new(),
        recent: Vec::new(),
    };
    for (i, op) in ops.iter().enumerate() {
        h.step(i, op);
    }
    if let Some(t) = h.txn.take() {
        h.committed = t.commit().unwrap();
    }
    h.check_readers("end");
    h.check_committed("end");
    assert_integrity(h.db(), "end");
    h.readers.clear();
    h.db = None;
    let db = Database::open_with_vfs(h.vfs.clone(), PATH, options()).unwrap();
    let seen = read_state(&db).unwrap();
    assert!(
        seen == h.committed,
        "after the final reopen: {}",
        diff(&h.committed, &seen)
    );
    assert_integrity(&db, "after the final reopen");
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        ..ProptestConfig::default()
    })]

    #[test]
    fn engine_matches_the_model(ops in proptest::collection::vec(op(), 1..150)) {
        run(&ops);
    }
}

/// A fixed sequence that exercises every operation at least once (so that a
/// change in the strategy's weights cannot leave one untested).
#[test]
fn every_operation_once() {
    let ops = vec![
        Op::Insert {
            tree: 0,
            key: 1,
            len: 9,
        },
        Op::OpenReader,
        Op::Bulk {
            tree: 1,
            start: 0,
            count: 500,
        },
        Op::Savepoint,
        Op::Bulk {
            tree: 2,
            start: 100,
            count: 400,
        },
        Op::Remove { tree: 0, key: 1 },
        Op::CheckTxn,
        Op::RollbackTo(0),
        Op::Savepoint,
        Op::RemoveRange {
            tree: 1,
            start: 400,
            count: 200,
        },
        Op::Release(0),
        Op::Checkpoint,
        Op::Commit,
        Op::OpenReader,
        Op::DropTree(1),
        Op::Commit,
        Op::Checkpoint,
        Op::Vacuum,
        Op::Insert {
            tree: 2,
            key: 7,
            len: 18,
        },
        Op::Rollback,
        Op::CloseReader(0),
        Op::Bulk {
            tree: 0,
            start: 1000,
            count: 300,
        },
        Op::Commit,
        Op::Reopen,
        Op::CloseReader(0),
        Op::Savepoint,
        Op::Bulk {
            tree: 2,
            start: 0,
            count: 600,
        },
        Op::RollbackTo(0),
        Op::Insert {
            tree: 0,
            key: 3,
            len: 5,
        },
        Op::Commit,
        Op::Crash,
    ];
    run(&ops);
}

/// Minimal sequences proptest found, each a bug that was fixed in the engine.
#[test]
fn regressions() {
    use Op::*;
    let cases: Vec<(&str, Vec<Op>)> = vec![
        (
            "a reader from before VACUUM reads pages a later transaction wrote \
             straight into the main file",
            vec![
                Insert {
                    tree: 0,
                    key: 1,
                    len: 9,
                },
                Bulk {
                    tree: 1,
                    start: 0,
                    count: 500,
                },
                Commit,
                OpenReader,
                DropTree(1),
                Commit,
                Vacuum,
                Bulk {
                    tree: 0,
                    start: 1000,
                    count: 300,
                },
                Commit,
            ],
        ),
        (
            "the checkpoint after VACUUM cuts the main file under a newer reader",
            vec![
                Bulk {
                    tree: 0,
                    start: 174,
                    count: 278,
                },
                Commit,
                OpenReader,
                Insert {
                    tree: 2,
                    key: 0,
                    len: 0,
                },
                Commit,
                Insert {
                    tree: 2,
                    key: 0,
                    len: 667,
                },
                RemoveRange {
                    tree: 0,
                    start: 0,
                    count: 1,
                },
                OpenReader,
                Commit,
                Vacuum,
            ],
        ),
        (
            "rollback to a savepoint re-reads a page freed before it, never written",
            vec![
                Bulk {
                    tree: 0,
                    start: 181,
                    count: 228,
                },
                RemoveRange {
                    tree: 0,
                    start: 401,
                    count: 72,
                },
                Savepoint,
                Bulk {
                    tree: 0,
                    start: 102,
                    count: 415,
                },
                RollbackTo(0),
            ],
        ),
        (
            "frames spilled after a savepoint survive a crash when nothing else \
             is spilled after the rollback",
            vec![
                Savepoint,
                Insert {
                    tree: 0,
                    key: 0,
                    len: 0,
                },
                Bulk {
                    tree: 0,
                    start: 341,
                    count: 173,
                },
                RollbackTo(0),
                OpenReader,
                Commit,
                Insert {
                    tree: 0,
                    key: 0,
                    len: 0,
                },
                Crash,
            ],
        ),
        (
            "stale savepoint frames shadow pages a later transaction wrote straight \
             into the main file",
            vec![
                Insert {
                    tree: 0,
                    key: 0,
                    len: 0,
                },
                OpenReader,
                Savepoint,
                Bulk {
                    tree: 0,
                    start: 144,
                    count: 370,
                },
                RollbackTo(0),
                Commit,
                Bulk {
                    tree: 0,
                    start: 85,
                    count: 321,
                },
                Commit,
                Crash,
            ],
        ),
        (
            "rollback to a savepoint re-reads a free page of the base state that has \
             no content",
            vec![
                Bulk {
                    tree: 1,
                    start: 0,
                    count: 406,
                },
                DropTree(1),
                Commit,
                Savepoint,
                Bulk {
                    tree: 0,
                    start: 331,
                    count: 186,
                },
                Savepoint,
                Savepoint,
                RollbackTo(222),
            ],
        ),
        (
            "nested rollbacks: the second one must still re-dirty pages framed after \
             the outer savepoint",
            vec![
                Insert {
                    tree: 2,
                    key: 0,
                    len: 0,
                },
                Commit,
                Savepoint,
                Insert {
                    tree: 0,
                    key: 0,
                    len: 0,
                },
                Savepoint,
                Savepoint,
                Insert {
                    tree: 0,
                    key: 0,
                    len: 0,
                },
                Bulk {
                    tree: 1,
                    start: 0,
                    count: 514,
                },
                RollbackTo(29),
                RollbackTo(150),
                Savepoint,
                Crash,
            ],
        ),
    ];
    let failed: Vec<&str> = cases
        .into_iter()
        .filter(|(_, ops)| std::panic::catch_unwind(|| run(ops)).is_err())
        .map(|(what, _)| what)
        .collect();
    assert!(failed.is_empty(), "regressions: {failed:#?}");
}
