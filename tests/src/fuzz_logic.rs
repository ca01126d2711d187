//! The logic of the fuzz targets in `fuzz/`, kept here so that a normal test
//! (`tests/tests/fuzz_smoke.rs`) runs it on the stable toolchain too.
//!
//! - [`run_ops`]: decodes bytes into operations on 1–3 trees plus an I/O fault
//!   (EIO, ENOSPC or a power cut at the Nth mutating call), runs them on a
//!   [`FaultVfs`] with 512-byte pages and a small cache, keeps a model of the last
//!   commit and of the commit in flight, and after the fault (or at the end)
//!   reopens the database on the crash image or the live files and asserts that it
//!   holds exactly one of those two states and passes the integrity check.
//!   Every error after the fault must be of a kind the fault explains (as in
//!   the crash tests), and reads through a read transaction never fail while
//!   the VFS is alive: read errors on the live database fail the input.
//! - [`open_bytes`]: opens arbitrary bytes as a database file (and WAL) and reads,
//!   checks and writes whatever opens. Errors are fine; a panic is a bug.
//! - [`open_input`]: the `open_arbitrary_file` target's decoder: raw bytes for
//!   [`open_bytes`], or edits applied to a valid database image, with the page and
//!   WAL checksums optionally recomputed so that the damage gets past them.
//!
//! Only assertions panic: an engine error is either expected (the model predicts
//! it, or an injected fault caused it) or reported by an assertion naming it.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use covet_engine::vfs::{CrashMode, FaultConfig, FaultKind, FaultVfs, MemoryVfs, Vfs};
use covet_engine::{Database, Durability, Error, Options, ReadTxn, Savepoint, Tree, WriteTxn};

/// One tree's entries.
type Entries = BTreeMap<Vec<u8>, Vec<u8>>;
/// Every tree by name: what a transaction sees.
type State = BTreeMap<String, Entries>;
/// Entries in scan order.
type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

const DB: &str = "db";
const WAL: &str = "db-wal";
const TREES: [&str; 3] = ["t0", "t1", "t2"];
/// Upper bound on decoded operations, to keep one input fast.
const MAX_OPS: usize = 400;
const MAX_SAVEPOINTS: usize = 8;
const MAX_READERS: usize = 3;

/// Reads the fuzz input front to back; past the end every byte is 0.
struct Bytes<'a> {
    data: &'a [u8],
}

impl<'a> Bytes<'a> {
    fn new(data: &'a [u8]) -> Self {
        Self { data }
    }

    fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }

    fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }

    fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.data.split_at(n.min(self.data.len()));
        self.data = rest;
        head
    }
}

// ---------------------------------------------------------------------------
// Keys and values
// ---------------------------------------------------------------------------

/// 256 distinct keys of 2 to 31 bytes, in an order unlike their numbers.
fn key(i: u8) -> Vec<u8> {
    let mut k = vec![b'a' + (i % 16), i];
    k.resize(2 + (usize::from(i) * 7) % 30, b'.');
    k
}

/// A value whose length class comes from `spec`: empty, small, around the inline
/// limit of a 512-byte page (~120 bytes), or an overflow chain of 1–6 pages.
fn value(spec: u8, seed: u8) -> Vec<u8> {
    let s = usize::from(spec);
    let len = match spec % 8 {
        0 => 0,
        1..=4 => 1 + (s / 8) % 40,
        5 | 6 => 60 + (s * 7) % 200,
        _ => 400 + (s * 53) % 2600,
    };
    (0..len)
        .map(|i| seed.wrapping_add((i as u8).wrapping_mul(31)) ^ (i >> 8) as u8)
        .collect()
}

fn in_bounds(k: &[u8], lo: &Bound<Vec<u8>>, hi: &Bound<Vec<u8>>) -> bool {
    let above = match lo {
        Bound::Included(b) => k >= b.as_slice(),
        Bound::Excluded(b) => k > b.as_slice(),
        Bound::Unbounded => true,
    };
    let below = match hi {
        Bound::Included(b) => k <= b.as_slice(),
        Bound::Excluded(b) => k < b.as_slice(),
        Bound::Unbounded => true,
    };
    above && below
}

fn bound(kind: u8, i: u8) -> Bound<Vec<u8>> {
    match kind % 3 {
        0 => Bound::Included(key(i)),
        1 => Bound::Excluded(key(i)),
        _ => Bound::Unbounded,
    }
}

/// A short description of how `got` differs from `want`, for assertion messages.
fn diff(got: &State, want: &State) -> String {
    let mut out = String::new();
    let names: std::collections::BTreeSet<&String> = got.keys().chain(want.keys()).collect();
    for name in names {
        match (got.get(name), want.get(name)) {
            (Some(g), Some(w)) if g == w => {}
            (Some(g), Some(w)) => {
                let first = g
                    .iter()
                    .zip(w.iter())
                    .find(|(a, b)| a != b)
                    .map(|((gk, gv), (wk, wv))| {
                        format!(
                            "first difference: got key {gk:?} ({} bytes), want key {wk:?} ({} bytes)",
                            gv.len(),
                            wv.len()
                        )
                    })
                    .unwrap_or_else(|| "one is a prefix of the other".into());
                out.push_str(&format!(
                    "tree {name}: got {} entries, want {}; {first}. ",
                    g.len(),
                    w.len()
                ));
            }
            (g, w) => out.push_str(&format!(
                "tree {name}: exists in got {}, in want {}. ",
                g.is_some(),
                w.is_some()
            )),
        }
    }
    out
}

/// Everything a read transaction sees.
fn read_state(r: &ReadTxn) -> Result<State, Error> {
    let mut state = State::new();
    for (name, tree) in r.list_trees()? {
        let mut entries = Entries::new();
        for e in r.iter(&tree) {
            let e = e?;
            entries.insert(e.key().to_vec(), e.value().to_vec());
        }
        state.insert(name, entries);
    }
    Ok(state)
}

// ---------------------------------------------------------------------------
// Target (a): operations with I/O faults
// ---------------------------------------------------------------------------

/// Whether to print each operation (`COVET_FUZZ_TRACE=1`), to debug an input.
fn trace() -> bool {
    static TRACE: OnceLock<bool> = OnceLock::new();
    *TRACE.get_or_init(|| std::env::var_os("COVET_FUZZ_TRACE").is_some())
}

/// An operation failed because of the injected fault: stop and check recovery.
struct Stop {
    /// The commit that was in flight when it failed, if any.
    in_flight: Option<State>,
    /// What failed, for messages.
    what: String,
}

/// The open write transaction and its model.
struct Txn {
    w: WriteTxn,
    model: State,
    /// Live savepoints, oldest first, with the state each one saved.
    savepoints: Vec<(Savepoint, State)>,
    /// Savepoints released or rolled past: using one is `NoSuchSavepoint`.
    dead: Vec<Savepoint>,
}

struct Run {
    vfs: FaultVfs,
    /// What the armed fault injects.
    fault: FaultKind,
    opts: Options,
    crash: CrashMode,
    /// The op number at which the fault fires (0 = never).
    fail_after: u64,
    db: Option<Database>,
    committed: State,
    txn: Option<Txn>,
    readers: Vec<(ReadTxn, State)>,
    /// Operations run, for messages.
    step: usize,
}

/// Decodes `data` into a fault configuration and a sequence of operations, runs
/// them on a [`FaultVfs`] and checks what a reopen recovers. Panics only on a
/// broken expectation (a wrong result, a lost commit, a failed integrity check,
/// a database that cannot be reopened after a crash).
pub fn run_ops(data: &[u8]) {
    run_ops_summary(data);
}

/// What one [`run_ops`] input did, so that a test can check that its inputs
/// reach the faults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpsSummary {
    /// Operations decoded and run.
    pub steps: usize,
    /// The injected fault fired (whether or not an operation saw it).
    pub fault_fired: bool,
    /// It was a power cut.
    pub power_cut: bool,
    /// An operation failed because of it, and recovery was checked from there.
    pub stopped: bool,
}

/// [`run_ops`], returning what the input did.
pub fn run_ops_summary(data: &[u8]) -> OpsSummary {
    let mut input = Bytes::new(data);
    let flags = input.byte();
    let fault = match flags % 4 {
        0 => FaultKind::Eio,
        1 => FaultKind::Enospc,
        _ => FaultKind::PowerCut,
    };
    let sticky = flags & 0x10 != 0;
    let torn_write = flags & 0x20 != 0;
    let fault_at_setup = flags & 0x40 != 0;
    let fail_after = u64::from(input.u16() % 1024);
    let crash_byte = input.byte();
    let crash_arg = input.byte();
    let crash = match crash_byte % 4 {
        0 => CrashMode::DropUnsynced,
        1 => CrashMode::KeepUnsynced,
        2 => CrashMode::TornLastWrite {
            keep_bytes: usize::from(crash_arg) * 4,
        },
        _ => CrashMode::RandomSubset {
            seed: u64::from(crash_arg),
            sector: if crash_byte & 0x10 != 0 { 512 } else { 128 },
        },
    };
    let tuning = input.byte();
    let opts = Options {
        page_size: 512,
        cache_bytes: (8 + usize::from(tuning % 32)) * 512,
        durability: Durability::Full,
        busy_timeout: Duration::ZERO,
        autocheckpoint_frames: 4 + u64::from(input.byte() % 64),
        wal_keep_bytes: if tuning & 0x80 != 0 { 0 } else { 1 << 20 },
        create: true,
    };

    let vfs = FaultVfs::new(FaultConfig {
        fail_after_ops: None,
        fault,
        sticky,
        torn_write,
    });
    let arm = |vfs: &FaultVfs| {
        vfs.reset_counter();
        vfs.set_fail_after((fail_after > 0).then_some(fail_after));
    };
    let mut run = Run {
        vfs: vfs.clone(),
        fault,
        opts,
        crash,
        fail_after,
        db: None,
        committed: State::new(),
        txn: None,
        readers: Vec::new(),
        step: 0,
    };
    let initial: State = TREES[..2]
        .iter()
        .map(|n| (n.to_string(), Entries::new()))
        .collect();
    // Create the database, then commit trees t0 and t1 (under faults if asked).
    let db = Database::open_with_vfs(Arc::new(vfs.clone()), DB, run.opts.clone());
    run.db = Some(db.expect("creating a database with no fault armed"));
    if fault_at_setup {
        arm(&vfs);
    }
    match run.setup(&initial) {
        Ok(()) => run.committed = initial,
        Err(stop) => {
            // Either the new, empty database or the setup commit.
            return run.finish(Some(stop), vec![initial]);
        }
    }
    if !fault_at_setup {
        arm(&vfs);
    }

    let mut result = Ok(());
    while !input.is_empty() && run.step < MAX_OPS && result.is_ok() {
        run.step += 1;
        result = run.op(&mut input);
    }
    run.finish(result.err(), Vec::new())
}

impl Run {
    fn fault_fired(&self) -> bool {
        self.fail_after > 0 && self.vfs.ops() >= self.fail_after
    }

    /// Routes an engine error: after the injected fault it stops the run (with
    /// `in_flight` as the commit that may have landed); before it, it is a bug.
    /// The error must be one the fault explains, as strictly as the crash tests
    /// (`tests/tests/crash.rs`) check it: after a power cut an I/O error or
    /// `NeedsRecovery`; after EIO/ENOSPC that I/O error (the same raw code),
    /// `NeedsRecovery` (a failed sync or checkpoint poisoned the database) or
    /// `TransactionFailed` (a failed spill voided the transaction).
    fn check<T>(
        &self,
        r: Result<T, Error>,
        what: &str,
        in_flight: Option<&State>,
    ) -> Result<T, Stop> {
        r.map_err(|e| {
            assert!(
                self.fault_fired(),
                "step {}: {what} failed with no injected fault: {e:?} ({:?})",
                self.step,
                self.vfs
            );
            self.assert_fault_error(&e, what);
            Stop {
                in_flight: in_flight.cloned(),
                what: format!("{what}: {e}"),
            }
        })
    }

    /// Panics unless `e` is an error the injected fault explains.
    fn assert_fault_error(&self, e: &Error, what: &str) {
        let step = self.step;
        if self.vfs.is_dead() {
            assert!(
                matches!(e, Error::Io { .. } | Error::NeedsRecovery),
                "step {step}: {what} after a power cut: unexpected error kind {e:?}"
            );
            return;
        }
        let want = match self.fault {
            FaultKind::Eio => 5,
            FaultKind::Enospc => 28,
            FaultKind::PowerCut => panic!("step {step}: {what}: the power cut left the VFS alive"),
        };
        match e {
            Error::Io { source, .. } => assert_eq!(
                source.raw_os_error(),
                Some(want),
                "step {step}: {what}: an I/O error that was not injected: {e:?}"
            ),
            Error::NeedsRecovery | Error::TransactionFailed => {}
            other => {
                panic!("step {step}: {what}: unexpected error kind after an I/O fault: {other:?}")
            }
        }
    }

    /// Routes the error of a read through a [`ReadTxn`]: reads never fail on a
    /// live [`FaultVfs`] (faults hit mutating calls only), so a read error is a
    /// bug unless the power is out, and then it must be an I/O error.
    fn check_read<T>(&self, r: Result<T, Error>, what: &str) -> Result<T, Stop> {
        r.map_err(|e| {
            assert!(
                self.vfs.is_dead() && matches!(e, Error::Io { .. }),
                "step {}: {what} failed on a {} VFS: {e:?}",
                self.step,
                if self.vfs.is_dead() { "dead" } else { "live" }
            );
            Stop {
                in_flight: None,
                what: format!("{what}: {e}"),
            }
        })
    }

    fn db(&self) -> &Database {
        self.db.as_ref().expect("database open during the run")
    }

    fn setup(&mut self, initial: &State) -> Result<(), Stop> {
        let w = self.db().begin_write();
        let mut w = self.check(w, "begin_write", None)?;
        for name in initial.keys() {
            let r = w.create_tree(name);
            self.check(r, "create_tree", None)?;
        }
        let r = w.commit();
        self.check(r, "setup commit", Some(initial))
    }

    fn ensure_txn(&mut self) -> Result<(), Stop> {
        if self.txn.is_none() {
            let w = self.db().begin_write();
            let w = self.check(w, "begin_write", None)?;
            self.txn = Some(Txn {
                w,
                model: self.committed.clone(),
                savepoints: Vec::new(),
                dead: Vec::new(),
            });
        }
        Ok(())
    }

    fn txn(&mut self) -> &mut Txn {
        self.txn.as_mut().expect("ensure_txn")
    }

    /// The engine's handle of tree `name` in the write transaction, checked
    /// against the model: `None` when it does not exist (and the engine agrees).
    fn tree_w(&mut self, name: &str) -> Result<Option<Tree>, Stop> {
        self.ensure_txn()?;
        let txn = self.txn.as_ref().expect("ensure_txn");
        let exists = txn.model.contains_key(name);
        match txn.w.open_tree(name) {
            Ok(t) => {
                assert!(exists, "step {}: tree {name} should not exist", self.step);
                Ok(Some(t))
            }
            Err(Error::TreeNotFound { .. }) => {
                assert!(!exists, "step {}: tree {name} went missing", self.step);
                Ok(None)
            }
            Err(e) => self.check(Err(e), "open_tree", None),
        }
    }

    fn op(&mut self, input: &mut Bytes<'_>) -> Result<(), Stop> {
        let code = input.byte() % 32;
        let name = TREES[usize::from(input.byte() % 3)];
        if trace() {
            eprintln!(
                "step {}: op {code} on {name} (vfs ops {}, txn open {}, readers {})",
                self.step,
                self.vfs.ops(),
                self.txn.is_some(),
                self.readers.len()
            );
        }
        match code {
            0..=9 => {
                let (k, spec, seed) = (input.byte(), input.byte(), input.byte());
                self.insert(name, &key(k), &value(spec, seed))?;
            }
            10..=13 => {
                let k = input.byte();
                self.remove(name, &key(k))?;
            }
            14 => {
                let k = key(input.byte());
                if let Some(t) = self.tree_w(name)? {
                    let txn = self.txn.as_ref().expect("open");
                    let got = txn.w.get(&t, &k).map(|v| v.map(|v| v.to_vec()));
                    let got = self.check(got, "get", None)?;
                    let want = self.txn.as_ref().expect("open").model[name].get(&k);
                    assert_eq!(
                        got.as_ref(),
                        want,
                        "step {}: get {k:?} in {name}",
                        self.step
                    );
                }
            }
            15 => {
                let (a, b, kinds) = (input.byte(), input.byte(), input.byte());
                self.range(
                    name,
                    bound(kinds, a),
                    bound(kinds / 3, b),
                    kinds & 0x80 != 0,
                )?;
            }
            16 => {
                self.ensure_txn()?;
                let txn = self.txn.as_mut().expect("open");
                if txn.savepoints.len() < MAX_SAVEPOINTS {
                    let sp = txn.w.savepoint();
                    let sp = self.check(sp, "savepoint", None)?;
                    let txn = self.txn();
                    let saved = txn.model.clone();
                    txn.savepoints.push((sp, saved));
                }
            }
            17 => {
                let pick = input.byte();
                self.ensure_txn()?;
                self.rollback_to(pick)?;
            }
            18 => {
                let pick = input.byte();
                self.ensure_txn()?;
                let txn = self.txn();
                if !txn.savepoints.is_empty() {
                    let idx = usize::from(pick) % txn.savepoints.len();
                    let sp = txn.savepoints[idx].0;
                    let r = txn.w.release(sp);
                    self.check(r, "release", None)?;
                    let txn = self.txn();
                    let gone = txn.savepoints.split_off(idx);
                    txn.dead.extend(gone.into_iter().map(|(sp, _)| sp));
                }
            }
            19..=21 => self.commit()?,
            22 => {
                if let Some(txn) = self.txn.take() {
                    txn.w.rollback();
                }
            }
            23 => self.checkpoint()?,
            24 => self.vacuum()?,
            25 => {
                self.ensure_txn()?;
                let exists = self.txn().model.contains_key(name);
                match self.txn().w.create_tree(name) {
                    Ok(_) => {
                        assert!(!exists, "step {}: created {name} twice", self.step);
                        self.txn().model.insert(name.to_string(), Entries::new());
                    }
                    Err(Error::TreeExists { .. }) if exists => {}
                    Err(e) => self.check(Err(e), "create_tree", None)?,
                }
            }
            26 => {
                self.ensure_txn()?;
                let exists = self.txn().model.contains_key(name);
                match self.txn().w.drop_tree(name) {
                    Ok(()) => {
                        assert!(exists, "step {}: dropped missing {name}", self.step);
                        self.txn().model.remove(name);
                    }
                    Err(Error::TreeNotFound { .. }) if !exists => {}
                    Err(e) => self.check(Err(e), "drop_tree", None)?,
                }
            }
            27 => {
                if let Some(t) = self.tree_w(name)? {
                    let r = self.txn().w.clear_tree(&t);
                    self.check(r, "clear_tree", None)?;
                    self.txn().model.insert(name.to_string(), Entries::new());
                }
            }
            28 => {
                let pick = input.byte();
                self.reader_op(pick)?;
            }
            29 => self.reopen()?,
            30 => {
                let (start, count, spec, seed) = (
                    input.byte(),
                    input.byte() % 64 + 1,
                    input.byte(),
                    input.byte(),
                );
                for i in 0..count {
                    let k = start.wrapping_add(i);
                    self.insert(name, &key(k), &value(spec.wrapping_add(i), seed))?;
                }
            }
            _ => {
                let (start, count) = (input.byte(), input.byte() % 64 + 1);
                for i in 0..count {
                    self.remove(name, &key(start.wrapping_add(i)))?;
                }
            }
        }
        Ok(())
    }

    fn insert(&mut self, name: &str, k: &[u8], v: &[u8]) -> Result<(), Stop> {
        let Some(t) = self.tree_w(name)? else {
            return Ok(());
        };
        let r = self.txn().w.insert(&t, k, v);
        let replaced = self.check(r, "insert", None)?;
        let step = self.step;
        let model = self.txn().model.get_mut(name).expect("tree exists");
        let was = model.insert(k.to_vec(), v.to_vec()).is_some();
        assert_eq!(replaced, was, "step {step}: insert {k:?} into {name}");
        Ok(())
    }

    fn remove(&mut self, name: &str, k: &[u8]) -> Result<(), Stop> {
        let Some(t) = self.tree_w(name)? else {
            return Ok(());
        };
        let r = self.txn().w.remove(&t, k);
        let removed = self.check(r, "remove", None)?;
        let step = self.step;
        let model = self.txn().model.get_mut(name).expect("tree exists");
        let was = model.remove(k).is_some();
        assert_eq!(removed, was, "step {step}: remove {k:?} from {name}");
        Ok(())
    }

    fn range(
        &mut self,
        name: &str,
        lo: Bound<Vec<u8>>,
        hi: Bound<Vec<u8>>,
        reverse: bool,
    ) -> Result<(), Stop> {
        let Some(t) = self.tree_w(name)? else {
            return Ok(());
        };
        let txn = self.txn.as_ref().expect("open");
        let bounds = (lo.clone(), hi.clone());
        let iter = if reverse {
            txn.w.range_rev(&t, bounds)
        } else {
            txn.w.range(&t, bounds)
        };
        let got: Result<Pairs, Error> = iter
            .map(|e| e.map(|e| (e.key().to_vec(), e.value().to_vec())))
            .collect();
        let got = self.check(got, "range", None)?;
        let mut want: Pairs = self.txn.as_ref().expect("open").model[name]
            .iter()
            .filter(|(k, _)| in_bounds(k, &lo, &hi))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if reverse {
            want.reverse();
        }
        assert!(
            got == want,
            "step {}: range {lo:?}..{hi:?} (reverse {reverse}) of {name}: got {} entries, want {}",
            self.step,
            got.len(),
            want.len()
        );
        Ok(())
    }

    fn rollback_to(&mut self, pick: u8) -> Result<(), Stop> {
        let step = self.step;
        let txn = self.txn();
        if pick & 0x80 != 0 && !txn.dead.is_empty() {
            let sp = txn.dead[usize::from(pick) % txn.dead.len()];
            match txn.w.rollback_to(sp) {
                Err(Error::NoSuchSavepoint(_)) => {}
                other => panic!("step {step}: rollback to a released savepoint: {other:?}"),
            }
            return Ok(());
        }
        if txn.savepoints.is_empty() {
            return Ok(());
        }
        let idx = usize::from(pick) % txn.savepoints.len();
        let sp = txn.savepoints[idx].0;
        let r = txn.w.rollback_to(sp);
        self.check(r, "rollback_to", None)?;
        let txn = self.txn();
        txn.model = txn.savepoints[idx].1.clone();
        let gone = txn.savepoints.split_off(idx + 1);
        txn.dead.extend(gone.into_iter().map(|(sp, _)| sp));
        Ok(())
    }

    fn commit(&mut self) -> Result<(), Stop> {
        let Some(txn) = self.txn.take() else {
            return Ok(());
        };
        let r = txn.w.commit();
        self.check(r, "commit", Some(&txn.model))?;
        self.committed = txn.model;
        Ok(())
    }

    fn checkpoint(&mut self) -> Result<(), Stop> {
        let r = self.db().checkpoint();
        if self.txn.is_some() {
            // The writer lock is taken, and the busy timeout is zero.
            match r {
                Err(Error::Busy { .. }) => Ok(()),
                Ok(_) => panic!("step {}: checkpoint ran beside a writer", self.step),
                Err(e) => self.check(Err(e), "checkpoint", None),
            }
        } else {
            self.check(r, "checkpoint", None).map(drop)
        }
    }

    fn vacuum(&mut self) -> Result<(), Stop> {
        if let Some(txn) = self.txn.as_mut() {
            let r = txn.w.vacuum();
            self.check(r, "vacuum in a transaction", None).map(drop)
        } else {
            let r = self.db().vacuum();
            // VACUUM commits, but changes no entry: the in-flight state is the last.
            self.check(r, "vacuum", None).map(drop)
        }
    }

    fn reader_op(&mut self, pick: u8) -> Result<(), Stop> {
        match pick % 4 {
            0 | 1 if self.readers.len() < MAX_READERS => {
                let r = self.db().begin_read();
                let r = self.check_read(r, "begin_read")?;
                self.readers.push((r, self.committed.clone()));
            }
            2 if !self.readers.is_empty() => {
                let idx = usize::from(pick / 4) % self.readers.len();
                let got = read_state(&self.readers[idx].0);
                let got = self.check_read(got, "reading a snapshot")?;
                let want = &self.readers[idx].1;
                assert!(
                    &got == want,
                    "step {}: a reader's snapshot changed: {}",
                    self.step,
                    diff(&got, want)
                );
            }
            _ if !self.readers.is_empty() => {
                let idx = usize::from(pick / 4) % self.readers.len();
                self.readers.swap_remove(idx);
            }
            _ => {}
        }
        Ok(())
    }

    /// Closes the database cleanly (the open transaction rolls back) and reopens it
    /// on the same files.
    fn reopen(&mut self) -> Result<(), Stop> {
        self.readers.clear();
        self.txn = None;
        self.db = None;
        let db = Database::open_with_vfs(Arc::new(self.vfs.clone()), DB, self.opts.clone());
        let db = self.check(db, "reopen", None)?;
        let r = db.begin_read();
        let r = self.check_read(r, "begin_read")?;
        let got = read_state(&r);
        let got = self.check_read(got, "reading after reopen")?;
        assert!(
            got == self.committed,
            "step {}: reopen lost or changed data: {}",
            self.step,
            diff(&got, &self.committed)
        );
        drop(r);
        self.db = Some(db);
        Ok(())
    }

    /// The end of a run, after a fault (`stop`) or after the last operation:
    /// checks that every way of reopening recovers the last commit or the one in
    /// flight, intact. `extra` adds states that may also be recovered.
    fn finish(mut self, stop: Option<Stop>, extra: Vec<State>) -> OpsSummary {
        let summary = OpsSummary {
            steps: self.step,
            fault_fired: self.fault_fired(),
            power_cut: self.vfs.is_dead(),
            stopped: stop.is_some(),
        };
        let what = stop
            .as_ref()
            .map_or_else(|| "end of input".to_string(), |s| s.what.clone());
        let mut candidates = vec![self.committed.clone()];
        candidates.extend(stop.and_then(|s| s.in_flight));
        candidates.extend(extra);
        self.vfs.set_fail_after(None);
        self.txn = None;
        let dead = self.vfs.is_dead();

        // The live database, when the machine is still up: reads never fail
        // there (faults hit mutating calls only, and a poisoned database still
        // reads), the newest state is one of the candidates, and readers keep
        // their snapshots.
        if !dead {
            if let Some(db) = &self.db {
                let state = db
                    .begin_read()
                    .and_then(|r| read_state(&r))
                    .unwrap_or_else(|e| panic!("after {what}: reading the live database: {e:?}"));
                assert!(
                    candidates.contains(&state),
                    "after {what}: the live database shows a state never committed: {}",
                    diff(&state, &candidates[0])
                );
            }
            for (r, want) in &self.readers {
                let got = read_state(r)
                    .unwrap_or_else(|e| panic!("after {what}: reading a live snapshot: {e:?}"));
                assert!(
                    &got == want,
                    "after {what}: a reader's snapshot changed: {}",
                    diff(&got, want)
                );
            }
        }

        // What a power cut now would leave: the chosen crash mode, and nothing
        // unsynced at all.
        let mut images = vec![(
            format!("{:?}", self.crash),
            self.vfs.crash_image(self.crash),
        )];
        if self.crash != CrashMode::DropUnsynced {
            images.push((
                "DropUnsynced".into(),
                self.vfs.crash_image(CrashMode::DropUnsynced),
            ));
        }
        self.readers.clear();
        self.db = None;
        let label = format!("after {what}");
        if !dead {
            // The live files after a clean close, faults disarmed.
            check_recovery(
                Arc::new(self.vfs.clone()),
                &self.opts,
                &candidates,
                &format!("{label}, live files"),
            );
        }
        for (mode, image) in images {
            check_recovery(
                Arc::new(image),
                &self.opts,
                &candidates,
                &format!("{label}, crash image {mode}"),
            );
        }
        summary
    }
}

/// Opens the database in `vfs` and asserts that it holds one of `candidates`,
/// passes the integrity check, and takes a new commit.
fn check_recovery(vfs: Arc<dyn Vfs>, opts: &Options, candidates: &[State], label: &str) {
    let db = match Database::open_with_vfs(vfs, DB, opts.clone()) {
        Ok(db) => db,
        Err(e) => panic!("{label}: reopening failed: {e:?}"),
    };
    let r = db.begin_read().expect("begin_read");
    let state = read_state(&r).unwrap_or_else(|e| panic!("{label}: reading failed: {e:?}"));
    drop(r);
    assert!(
        candidates.contains(&state),
        "{label}: the recovered state is neither the last commit nor the one in flight: {}",
        diff(&state, &candidates[0])
    );
    let report = db
        .check_integrity()
        .unwrap_or_else(|e| panic!("{label}: integrity check failed: {e:?}"));
    assert!(
        report.is_ok(),
        "{label}: integrity problems: {:?}",
        report.problems
    );
    // The recovered database takes writes.
    let mut w = db.begin_write().expect("begin_write after recovery");
    let t = w.open_or_create_tree("t0").expect("open_or_create_tree");
    w.insert(&t, b"after recovery", &value(7, 1))
        .expect("insert after recovery");
    w.commit()
        .unwrap_or_else(|e| panic!("{label}: commit after recovery failed: {e:?}"));
    let report = db.check_integrity().expect("integrity check");
    assert!(
        report.is_ok(),
        "{label}: integrity problems after a commit on the recovered database: {:?}",
        report.problems
    );
}

// ---------------------------------------------------------------------------
// Target (b): arbitrary files
// ---------------------------------------------------------------------------

/// Most entries read from one tree: a damaged file can make the same subtree
/// reachable many times over, which is slow but not a bug.
const MAX_ENTRIES: usize = 100_000;

/// How far past the files' size a write may extend them (see [`open_bytes`]).
const MAX_GROWTH: u64 = 64 << 20;

fn open_options() -> Options {
    Options {
        page_size: 512,
        cache_bytes: 256 * 1024,
        durability: Durability::Full,
        busy_timeout: Duration::ZERO,
        autocheckpoint_frames: 32,
        wal_keep_bytes: 0,
        create: false,
    }
}

/// Opens `db` (and `wal` as its WAL, if not empty) as a database. If it opens,
/// reads every tree, runs the integrity check, writes and commits, and reopens.
/// Any `Err` is fine; a panic is a bug. A database that passed the integrity check
/// must still pass it after the commit, and still open after a clean close.
pub fn open_bytes(db: &[u8], wal: &[u8]) {
    let vfs = MemoryVfs::new();
    vfs.set_file_bytes(DB, db.to_vec());
    if !wal.is_empty() {
        vfs.set_file_bytes(WAL, wal.to_vec());
    }
    let opts = open_options();
    let Ok(database) = Database::open_with_vfs(Arc::new(vfs.clone()), DB, opts.clone()) else {
        return;
    };
    read_everything(&database);
    let report = database.check_integrity();
    let sound = matches!(&report, Ok(report) if report.is_ok());
    // A damaged header can claim billions of pages; a commit then writes its
    // new pages at that offset, which `MemoryVfs` holds as one dense buffer
    // (a real file would be sparse). Only write where that stays small.
    let claimed = report
        .as_ref()
        .map_or(u64::MAX, |r| u64::from(r.page_count))
        * database.page_size() as u64;
    if claimed > (db.len() + wal.len()) as u64 + MAX_GROWTH {
        return;
    }
    let wrote = small_write(&database).is_ok();
    if sound && wrote {
        let report = database
            .check_integrity()
            .expect("integrity check after a commit on a sound database");
        assert!(
            report.is_ok(),
            "a commit on a sound database broke it: {:?}",
            report.problems
        );
    }
    read_everything(&database);
    let _ = database.checkpoint();
    let _ = database.vacuum();
    drop(database);
    match Database::open_with_vfs(Arc::new(vfs), DB, opts) {
        Ok(database) => {
            read_everything(&database);
            if sound && wrote {
                let r = database.begin_read().expect("begin_read");
                let t = r.open_tree("fuzz").expect("the committed tree");
                assert!(r.get(&t, b"fuzz-key").expect("get").is_some());
            }
        }
        Err(e) => assert!(!(sound && wrote), "a sound database did not reopen: {e:?}"),
    }
}

/// Lists the trees, iterates each both ways, and looks up some of the keys seen.
fn read_everything(db: &Database) {
    let Ok(r) = db.begin_read() else { return };
    let Ok(trees) = r.list_trees() else { return };
    for (name, tree) in trees {
        let _ = r.open_tree(&name);
        let mut keys = Vec::new();
        for e in r.iter(&tree).take(MAX_ENTRIES) {
            let Ok(e) = e else { break };
            if keys.len() < 16 {
                keys.push(e.key().to_vec());
            }
        }
        for k in &keys {
            let _ = r.get(&tree, k).map(|v| v.map(|v| v.value().len()));
        }
        if let (Some(first), Some(last)) = (keys.first(), keys.last()) {
            for e in r
                .range_rev(&tree, first.clone()..=last.clone())
                .take(MAX_ENTRIES)
            {
                if e.is_err() {
                    break;
                }
            }
        }
        let _ = r.get(&tree, b"");
    }
}

/// Inserts into a new tree and into every existing one, removes a key, commits.
fn small_write(db: &Database) -> Result<(), Error> {
    let mut w = db.begin_write()?;
    let t = w.open_or_create_tree("fuzz")?;
    w.insert(&t, b"fuzz-key", b"value")?;
    w.insert(&t, b"fuzz-big", &value(7, 3))?;
    for (name, tree) in w.list_trees()? {
        if name == "fuzz" {
            continue;
        }
        let first = w.iter(&tree).next().transpose()?.map(|e| e.key().to_vec());
        if let Some(k) = first {
            w.remove(&tree, &k)?;
        }
        w.insert(&tree, b"\x00fuzz", &value(5, 9))?;
    }
    w.commit()
}

/// Decodes the `open_arbitrary_file` input and runs [`open_bytes`] on it.
///
/// The first byte picks the mode. Raw: the rest is split into a database file and
/// a WAL. Edited: one of a few valid database images (built once per process)
/// gets a sequence of edits (bytes set or flipped, integers written, files cut,
/// pages copied); then, as the first byte says, every page checksum of the main
/// file and every checksum of the WAL (header and frame chain) is recomputed, so
/// that the edits reach the code that parses pages and frames.
pub fn open_input(data: &[u8]) {
    let mut input = Bytes::new(data);
    let mode = input.byte();
    if mode.is_multiple_of(4) {
        let split = usize::from(input.u16());
        let rest = input.take(usize::MAX);
        let (db, wal) = rest.split_at(split.min(rest.len()));
        return open_bytes(db, wal);
    }
    let templates = templates();
    let template = &templates[usize::from(mode / 4) % templates.len()];
    let page_size = template.page_size;
    let mut db = template.db.clone();
    let mut wal = template.wal.clone();
    let mut edits = 0;
    while !input.is_empty() && edits < 64 {
        edits += 1;
        let e = input.byte();
        let (file, unit, header) = if e & 1 == 0 {
            (&mut db, page_size, 0)
        } else {
            (&mut wal, 24 + page_size, WAL_HEADER)
        };
        edit(file, unit, header, e >> 1, &mut input);
    }
    if mode & 0x40 == 0 {
        reseal_main(&mut db, page_size);
    }
    if mode & 0x80 == 0 {
        reseal_wal(&mut wal, page_size);
    }
    open_bytes(&db, &wal);
}

/// Applies one edit to `file`, made of `unit`-byte pages (or frames) after a
/// `header` of that many bytes.
fn edit(file: &mut Vec<u8>, unit: usize, header: usize, kind: u8, input: &mut Bytes<'_>) {
    let units = file.len().saturating_sub(header) / unit;
    // Offsets mostly land near the start of a page, where the headers are.
    let offset = |input: &mut Bytes<'_>| -> usize {
        let page = usize::from(input.byte()) % units.max(1);
        let within = usize::from(input.u16());
        let within = if within & 0x8000 == 0 {
            within % 64
        } else {
            within % unit
        };
        header * usize::from(units > 0) + page * unit + within
    };
    const INTERESTING: [u32; 14] = [
        0,
        1,
        2,
        3,
        4,
        0x7f,
        0x80,
        0xff,
        0x100,
        0x1ff,
        0xffff,
        0x1_0000,
        0x7fff_ffff,
        0xffff_ffff,
    ];
    match kind % 8 {
        0 | 1 => {
            let at = offset(input);
            let b = input.byte();
            if let Some(x) = file.get_mut(at) {
                if kind.is_multiple_of(8) {
                    *x = b;
                } else {
                    *x ^= b.max(1);
                }
            }
        }
        2 => {
            let at = offset(input);
            let v = input.u16();
            put(file, at, &v.to_le_bytes());
        }
        3 => {
            let at = offset(input);
            let pick = input.byte();
            let v = if pick < 0xe0 {
                INTERESTING[usize::from(pick) % INTERESTING.len()]
            } else {
                input.u32()
            };
            put(file, at, &v.to_le_bytes());
        }
        4 => {
            let at = offset(input);
            if input.byte() & 1 == 0 {
                file.truncate(at);
            } else {
                // Cut to a whole number of pages.
                let keep = header + (at / unit) * unit;
                file.truncate(keep);
            }
        }
        5 => {
            if units > 0 {
                let from = header + (usize::from(input.byte()) % units) * unit;
                let to = header + (usize::from(input.byte()) % (units + 1)) * unit;
                let page = file[from..from + unit].to_vec();
                put(file, to, &page);
            }
        }
        6 => {
            let at = offset(input).min(file.len());
            let n = usize::from(input.byte() % 16);
            let bytes = input.take(n).to_vec();
            file.splice(at..at, bytes);
        }
        _ => {
            let at = offset(input);
            let v = match input.byte() % 4 {
                0 => 0,
                1 => u64::MAX,
                2 => 1 << 32,
                _ => u64::from(input.u32()),
            };
            put(file, at, &v.to_le_bytes());
        }
    }
}

/// Overwrites `bytes` at `at`, within the file only.
fn put(file: &mut [u8], at: usize, bytes: &[u8]) {
    if at < file.len() {
        let n = bytes.len().min(file.len() - at);
        file[at..at + n].copy_from_slice(&bytes[..n]);
    }
}

fn page_checksum(no: u32, body: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64_with_seed(body, u64::from(no) ^ 0x636f_7665_745f_7067)
}

/// Recomputes the checksum of every whole page of a main file (to build damaged
/// files that get past the checksums).
pub fn reseal_main(db: &mut [u8], page_size: usize) {
    for (no, page) in db.chunks_exact_mut(page_size).enumerate() {
        let sum = page_checksum(no as u32, &page[8..]);
        page[..8].copy_from_slice(&sum.to_le_bytes());
    }
}

/// The WAL header's size; its checksum covers the bytes before the last 8.
const WAL_HEADER: usize = 64;

/// Recomputes a WAL's header checksum, and the page checksum and chained frame
/// checksum of every whole frame (see `engine/FORMAT.md`).
pub fn reseal_wal(wal: &mut [u8], page_size: usize) {
    if wal.len() < WAL_HEADER {
        return;
    }
    let sum = xxhash_rust::xxh3::xxh3_64(&wal[..WAL_HEADER - 8]);
    wal[WAL_HEADER - 8..WAL_HEADER].copy_from_slice(&sum.to_le_bytes());
    let mut chain = sum;
    for frame in wal[WAL_HEADER..].chunks_exact_mut(24 + page_size) {
        let no = u32::from_le_bytes(frame[0..4].try_into().expect("4 bytes"));
        let (head, page) = frame.split_at_mut(24);
        let page_sum = page_checksum(no, &page[8..]);
        page[..8].copy_from_slice(&page_sum.to_le_bytes());
        let mut h = xxhash_rust::xxh3::Xxh3::with_seed(chain);
        h.update(&head[..16]);
        h.update(page);
        chain = h.digest();
        head[16..24].copy_from_slice(&chain.to_le_bytes());
    }
}

/// A valid database image to edit.
struct Template {
    page_size: usize,
    db: Vec<u8>,
    wal: Vec<u8>,
}

fn templates() -> &'static [Template] {
    static TEMPLATES: OnceLock<Vec<Template>> = OnceLock::new();
    TEMPLATES.get_or_init(|| {
        vec![
            build_template(512, false),
            build_template(512, true),
            build_template(1024, true),
        ]
    })
}

/// A database with two trees (small values, overflow chains, a free list), and
/// with `wal` a last commit left in the WAL.
fn build_template(page_size: usize, wal: bool) -> Template {
    let vfs = FaultVfs::new(FaultConfig::default());
    let opts = Options {
        page_size,
        autocheckpoint_frames: 1_000_000,
        ..open_options()
    };
    let opts = Options {
        create: true,
        ..opts
    };
    let db = Database::open_with_vfs(Arc::new(vfs.clone()), DB, opts).expect("template");
    let mut w = db.begin_write().expect("template");
    let a = w.create_tree("a").expect("template");
    let b = w.create_tree("b").expect("template");
    let c = w.create_tree("c").expect("template");
    for i in 0..=255u8 {
        w.insert(&a, &key(i), &value(i % 7, i)).expect("template");
        if i % 16 == 0 {
            w.insert(&b, &key(i), &value(7, i)).expect("template");
        }
        w.insert(&c, &[i], b"c").expect("template");
    }
    w.commit().expect("template");
    let mut w = db.begin_write().expect("template");
    for i in (0..=255u8).step_by(3) {
        w.remove(&a, &key(i)).expect("template");
    }
    w.drop_tree("c").expect("template");
    w.commit().expect("template");
    db.checkpoint().expect("template");
    if wal {
        let mut w = db.begin_write().expect("template");
        for i in 0..40u8 {
            w.insert(&a, &key(i), &value(5, i)).expect("template");
        }
        w.remove(&b, &key(32)).expect("template");
        w.commit().expect("template");
    }
    let image = vfs.crash_image(CrashMode::KeepUnsynced);
    drop(db);
    Template {
        page_size,
        db: image.file_bytes(DB).unwrap_or_default(),
        wal: image.file_bytes(WAL).unwrap_or_default(),
    }
}
