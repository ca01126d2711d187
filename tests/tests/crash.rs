//! Crash tests with the fault-injecting VFS.
//!
//! Each workload runs once without faults to count its mutating file operations
//! (N). Then, for every cut point k in 1..=N, it runs again on a fresh
//! [`FaultVfs`] whose k-th mutating call is a power cut. The crash images the cut
//! leaves (unsynced writes dropped, kept, a random subset of their sectors, the
//! last one torn) are reopened, and the database must hold exactly the state of
//! the last commit that returned `Ok`, or of the one commit in flight at the cut
//! (DESIGN.md, "Tests and benchmarks"). With `Durability::Normal` it is held to
//! the contract written on `Durability`: the image without unsynced writes holds
//! exactly the last commit before the last successful sync of the WAL, the one
//! with all of them the last commit, the others a commit in between. Every tree
//! is compared in full against a model, the integrity check must pass, and one
//! image per cut point also takes a new commit and is reopened once more.
//!
//! Crash during recovery: every distinct crash image is then reopened on a
//! `FaultVfs` again, and the power is cut at every write and sync of the open,
//! the recovery and the first commit after it; the two images each of those
//! cuts leaves must hold the recovered state, or the new commit once it was
//! durable (or in flight).
//!
//! Every test asserts its counts: cut points enumerated and run (none dropped;
//! the one sampling, of the savepoints workload's recovery cuts, is stated and
//! its count asserted), images verified, outcomes seen.
//!
//! The EIO/ENOSPC tests inject a failing call (once, or for good) instead: the
//! error must reach the caller, the database must keep working or refuse with
//! `NeedsRecovery`, and after reopening the state is again a committed one.

use std::sync::Arc;

use covet_engine::vfs::{CrashMode, FaultConfig, FaultKind, FaultVfs, MemoryVfs, Vfs};
use covet_engine::{Database, Durability, Error, Options, ReadTxn, Result};
use covet_tests::{
    assert_integrity, crash_modes, diff, read_state, read_txn_state, spread_key, value_for,
    IoCounter, Model, ModelTxn,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const PATH: &str = "crash.covet";
const WAL_PATH: &str = "crash.covet-wal";

/// How the armed fault behaves.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    /// No fault: the counting run.
    Clean,
    /// The power goes out at the armed call; the workload stops at the first error.
    PowerCut,
    /// The armed call fails with an I/O error; the workload goes on.
    IoError,
}

/// The workload stops (the VFS is dead, or the database refuses writes).
#[derive(Debug)]
struct Stop;

type Step = std::result::Result<(), Stop>;

/// Runs a workload against a database and records what must survive.
struct Ctx {
    vfs: FaultVfs,
    /// `vfs` as the database sees it, counting syncs per file.
    counter: IoCounter,
    opts: Options,
    mode: Mode,
    fault_at: Option<u64>,
    db: Option<Database>,
    /// `states[i]`: the database after the i-th commit that returned `Ok`;
    /// `states[0]` is the empty database.
    states: Vec<Model>,
    /// The state the commit that failed last would have produced: it may have
    /// become durable before the failure.
    inflight: Option<Model>,
    /// Index into `states` of the newest state known durable; matters for
    /// `Durability::Normal`, where it is the last commit that returned before the
    /// last successful sync of the WAL (see [`Ctx::note_syncs`]).
    floor: usize,
    /// WAL syncs counted when `floor` was last moved.
    floor_syncs: u64,
    /// After a reopen showed a failed commit (its frames were written, its sync
    /// failed), that commit is the state the workload goes on from, but it is
    /// not durable until the next commit syncs the WAL: until then a crash may
    /// also show the state before it, at this index.
    unsynced_from: Option<usize>,
    /// Open readers and the index of the state each must see.
    readers: Vec<(ReadTxn, usize)>,
    /// `Database::open` succeeded at least once.
    opened: bool,
    /// Errors the workload saw (IoError mode).
    errors: Vec<String>,
    /// A commit returned Ok although the fault fired in it (in its automatic
    /// checkpoint): the next write must be refused with `NeedsRecovery`.
    expect_poison: bool,
    /// The database refused a write with `NeedsRecovery`.
    poisoned: bool,
    /// Commits that returned Ok after the first error (IoError mode).
    ok_after_error: usize,
    /// The fault fired while a database was being closed (where errors cannot
    /// be reported).
    fired_in_close: bool,
    /// Mutating calls before the final close.
    ops_before_close: u64,
    rng: StdRng,
}

impl Ctx {
    fn new(vfs: FaultVfs, opts: Options, mode: Mode, fault_at: Option<u64>) -> Ctx {
        Ctx {
            counter: IoCounter::new(traced(&vfs)),
            vfs,
            opts,
            mode,
            fault_at,
            db: None,
            states: vec![Model::new()],
            inflight: None,
            floor: 0,
            floor_syncs: 0,
            unsynced_from: None,
            readers: Vec::new(),
            opened: false,
            errors: Vec::new(),
            expect_poison: false,
            poisoned: false,
            ok_after_error: 0,
            fired_in_close: false,
            ops_before_close: 0,
            rng: StdRng::seed_from_u64(0xC0FFEE),
        }
    }

    fn last(&self) -> &Model {
        self.states.last().expect("never empty")
    }

    /// Whether the armed fault fired between op count `before` and now.
    fn fired_since(&self, before: u64) -> bool {
        match self.fault_at {
            Some(k) => before < k && self.vfs.ops() >= k,
            None => false,
        }
    }

    /// The contract of `Durability::Normal`: commits are written to the WAL
    /// unsynced, and a successful sync of the WAL (which only checkpoints do:
    /// automatic, explicit or at close) makes every commit that returned before
    /// it durable. Called after every call that may sync; moves the floor.
    fn note_syncs(&mut self) {
        let syncs = self.counter.syncs(WAL_PATH);
        if syncs > self.floor_syncs {
            self.floor_syncs = syncs;
            self.floor = self.states.len() - 1;
        }
        // Unsynced commits wrote fewer than `autocheckpoint_frames` frames, one
        // at least each.
        let unsynced = self.states.len() - 1 - self.floor;
        assert!(
            self.opts.durability != Durability::Normal
                || unsynced < self.opts.autocheckpoint_frames as usize,
            "{unsynced} commits unsynced, autocheckpoint at {} frames",
            self.opts.autocheckpoint_frames
        );
    }

    fn open(&mut self) -> Step {
        let tries = if self.mode == Mode::IoError { 2 } else { 1 };
        for _ in 0..tries {
            let before = self.vfs.ops();
            match Database::open_with_vfs(Arc::new(self.counter.clone()), PATH, self.opts.clone()) {
                Ok(db) => {
                    if self.mode == Mode::IoError && self.fired_since(before) {
                        panic!("open swallowed the injected fault (k={:?})", self.fault_at);
                    }
                    self.db = Some(db);
                    self.opened = true;
                    return Ok(());
                }
                Err(e) => self.error("open", e)?,
            }
        }
        Err(Stop)
    }

    /// Handles an error from the engine: stops the workload (power cut, or a
    /// database that refuses writes) or records it and goes on (I/O error).
    fn error(&mut self, what: &str, e: Error) -> Step {
        match self.mode {
            Mode::Clean => panic!("{what} failed without a fault: {e}"),
            Mode::PowerCut => {
                assert!(
                    self.vfs.is_dead(),
                    "{what} failed before the power cut (k={:?}): {e}",
                    self.fault_at
                );
                assert!(
                    matches!(e, Error::Io { .. } | Error::NeedsRecovery),
                    "{what} after a power cut: unexpected error kind {e:?}"
                );
                Err(Stop)
            }
            Mode::IoError => {
                let k = self.fault_at;
                assert!(
                    self.vfs.ops() >= k.unwrap_or(0),
                    "{what} failed before the injected fault (k={k:?}): {e}"
                );
                if self.expect_poison {
                    assert!(
                        matches!(e, Error::NeedsRecovery),
                        "{what}: after a failed automatic checkpoint the database must refuse writes, got {e:?}"
                    );
                }
                match &e {
                    Error::Io { source, .. } => {
                        let code = source.raw_os_error();
                        assert!(
                            code == Some(5) || code == Some(28),
                            "{what}: an I/O error that was not injected: {e:?}"
                        );
                    }
                    Error::NeedsRecovery | Error::TransactionFailed => {}
                    other => panic!("{what}: unexpected error kind after an I/O fault: {other:?}"),
                }
                self.errors.push(format!("{what}: {e}"));
                if matches!(e, Error::NeedsRecovery) {
                    self.poisoned = true;
                    // Reads still work and see the last commit.
                    if let Some(db) = &self.db {
                        let seen = read_state(db).expect("reads work on a poisoned database");
                        assert_eq!(
                            &seen,
                            self.last(),
                            "poisoned database reads: {}",
                            diff(self.last(), &seen)
                        );
                    }
                    return Err(Stop);
                }
                Ok(())
            }
        }
    }

    /// Runs one write transaction: `body` makes the changes, then it commits.
    fn txn(&mut self, body: impl FnOnce(&mut ModelTxn, &mut StdRng) -> Result<()>) -> Step {
        self.txn_inner(body, true)
    }

    /// Runs a write transaction that is rolled back at the end.
    fn txn_rolled_back(
        &mut self,
        body: impl FnOnce(&mut ModelTxn, &mut StdRng) -> Result<()>,
    ) -> Step {
        self.txn_inner(body, false)
    }

    fn txn_inner(
        &mut self,
        body: impl FnOnce(&mut ModelTxn, &mut StdRng) -> Result<()>,
        commit: bool,
    ) -> Step {
        let before = self.vfs.ops();
        let db = self.db.clone().expect("open");
        let mut t = match ModelTxn::begin(&db, self.last()) {
            Ok(t) => t,
            Err(e) => return self.error("begin_write", e),
        };
        if self.expect_poison {
            panic!("a write transaction began after a failed automatic checkpoint");
        }
        if let Err(e) = body(&mut t, &mut self.rng) {
            drop(t);
            return self.error("change", e);
        }
        if self.mode == Mode::IoError && self.fired_since(before) {
            panic!(
                "a change swallowed the injected fault (k={:?})",
                self.fault_at
            );
        }
        if !commit {
            t.rollback();
            return Ok(());
        }
        let before_commit = self.vfs.ops();
        let pending = t.pending().clone();
        match t.commit() {
            Ok(m) => {
                if self.mode == Mode::IoError && self.fired_since(before_commit) {
                    // Only the automatic checkpoint after a durable commit may
                    // fail without failing the commit; it poisons the database.
                    self.expect_poison = true;
                }
                if !self.errors.is_empty() {
                    self.ok_after_error += 1;
                }
                self.states.push(m);
                self.inflight = None;
                self.note_syncs();
                if self.opts.durability == Durability::Full {
                    self.unsynced_from = None;
                }
                Ok(())
            }
            Err(e) => {
                self.inflight = Some(pending);
                self.error("commit", e)
            }
        }
    }

    fn checkpoint(&mut self) -> Step {
        let before = self.vfs.ops();
        let res = self.db.as_ref().expect("open").checkpoint();
        match res {
            Ok(_) => {
                if self.mode == Mode::IoError && self.fired_since(before) {
                    panic!("checkpoint swallowed the injected fault");
                }
                if self.expect_poison {
                    panic!("checkpoint worked after a failed automatic checkpoint");
                }
                self.note_syncs();
                if self.opts.durability != Durability::Off && self.unsynced_from.is_none() {
                    assert_eq!(
                        self.floor,
                        self.states.len() - 1,
                        "a checkpoint returned Ok without syncing every commit (k={:?})",
                        self.fault_at
                    );
                }
                Ok(())
            }
            Err(e) => self.error("checkpoint", e),
        }
    }

    /// Opens a reader that must keep seeing the current state.
    fn reader(&mut self) {
        let r = self
            .db
            .as_ref()
            .expect("open")
            .begin_read()
            .expect("begin_read");
        self.readers.push((r, self.states.len() - 1));
    }

    /// Checks every open reader against the state it began on, then drops them.
    fn check_readers(&mut self) -> Step {
        for (r, idx) in std::mem::take(&mut self.readers) {
            match read_txn_state(&r) {
                Ok(seen) => assert_eq!(
                    seen,
                    self.states[idx],
                    "reader of state {idx}: {}",
                    diff(&self.states[idx], &seen)
                ),
                Err(e) => {
                    drop(r);
                    self.error("reader", e)?;
                }
            }
        }
        Ok(())
    }

    /// Closes the database and opens it again on the same files.
    fn reopen(&mut self) -> Step {
        self.check_readers()?;
        let before = self.vfs.ops();
        self.db = None;
        self.note_syncs();
        if self.fired_since(before) {
            self.fired_in_close = true;
        }
        if self.vfs.is_dead() {
            return Err(Stop);
        }
        self.open()?;
        let db = self.db.as_ref().expect("open");
        let seen = match read_state(db) {
            Ok(s) => s,
            Err(e) => return self.error("read after reopen", e),
        };
        if &seen == self.last() {
            self.inflight = None;
        } else if self.inflight.as_ref() == Some(&seen) {
            // The failed commit's frames are in the file: it is the state now,
            // though perhaps not a durable one yet.
            self.unsynced_from.get_or_insert(self.states.len() - 1);
            self.states.push(self.inflight.take().expect("some"));
        } else {
            panic!(
                "reopen mid-workload (k={:?}): {}",
                self.fault_at,
                diff(self.last(), &seen)
            );
        }
        assert_integrity(db, "reopen mid-workload");
        Ok(())
    }

    /// The states a crash image may show.
    fn allowed(&self) -> Vec<&Model> {
        let lo = match self.opts.durability {
            Durability::Full => self.states.len() - 1,
            _ => self.floor,
        };
        let lo = lo.min(self.unsynced_from.unwrap_or(usize::MAX));
        let mut out: Vec<&Model> = self.states[lo..].iter().collect();
        if let Some(m) = &self.inflight {
            out.push(m);
        }
        out
    }

    /// The one state an image that kept no unsynced write must show after a
    /// power cut: the last commit with `Full`, the durable floor with `Normal`.
    /// `None` when an injected I/O error left a failed commit's frames in the
    /// WAL (`unsynced_from`): then the next sync decides.
    fn durable(&self) -> Option<&Model> {
        if self.mode != Mode::PowerCut || self.unsynced_from.is_some() {
            return None;
        }
        Some(match self.opts.durability {
            Durability::Full => self.last(),
            _ => &self.states[self.floor],
        })
    }

    /// The states an image that kept every unsynced write must show after a
    /// power cut: the last commit, or the one in flight.
    fn newest(&self) -> Option<Vec<&Model>> {
        if self.mode != Mode::PowerCut {
            return None;
        }
        Some(std::iter::once(self.last()).chain(&self.inflight).collect())
    }
}

/// A workload: a fixed script of transactions, checkpoints and reopens.
struct Workload {
    name: &'static str,
    opts: Options,
    run: fn(&mut Ctx) -> Step,
}

/// Runs `w` on `vfs` from opening to closing.
fn run(w: &Workload, vfs: FaultVfs, mode: Mode, fault_at: Option<u64>) -> Ctx {
    let mut ctx = Ctx::new(vfs, w.opts.clone(), mode, fault_at);
    if ctx.open().is_ok() {
        let _ = (w.run)(&mut ctx).and_then(|()| ctx.check_readers());
    }
    ctx.readers.clear();
    ctx.ops_before_close = ctx.vfs.ops();
    ctx.db = None; // closes: checkpoint and WAL truncation
    ctx.note_syncs();
    ctx
}

/// The outcome of reopening one crash image.
#[derive(Debug, PartialEq)]
enum Outcome {
    /// The state of the last commit that returned Ok (or of a later durable one,
    /// for Normal) was found.
    Last,
    /// An earlier committed state (Normal durability only).
    Earlier,
    /// The state of the commit in flight.
    InFlight,
}

/// Opens `image` (the files a power cut left, `crash` says how) and checks it
/// holds one of the allowed states; `post_write` also takes a new commit and
/// reopens once more. With `recovery` set, the power is then cut again at every
/// write and sync of reopening this image and of the first commit after it
/// (once per distinct image, see [`recovery_crash_test`]).
fn verify_image(
    image: MemoryVfs,
    ctx: &Ctx,
    crash: Option<CrashMode>,
    post_write: bool,
    recovery: Option<&mut RecoveryTally>,
    what: &str,
) -> Outcome {
    let pristine = recovery.as_ref().map(|_| copy_files(&image));
    let vfs = Arc::new(image);
    let db = match Database::open_with_vfs(vfs.clone(), PATH, ctx.opts.clone()) {
        Ok(db) => db,
        // Creation is crash-safe too: a cut inside `Database::open` leaves a file
        // the next open finishes creating, so no error is acceptable here.
        Err(e) => panic!("{what}: reopening the crash image failed: {e}"),
    };
    let seen = match read_state(&db) {
        Ok(seen) => seen,
        Err(e) => panic!("{what}: reading after recovery: {e}"),
    };
    let allowed = ctx.allowed();
    let pos = allowed.iter().position(|m| **m == seen).unwrap_or_else(|| {
        panic!(
            "{what}: recovered state is not an allowed one ({} commits ok, in flight: {}, \
             durable floor: state {}, found: state {:?}). \
             Against the last commit: {}. Against the one in flight: {}",
            ctx.states.len() - 1,
            ctx.inflight.is_some(),
            ctx.floor,
            ctx.states.iter().position(|m| *m == seen),
            diff(ctx.last(), &seen),
            ctx.inflight
                .as_ref()
                .map(|m| diff(m, &seen))
                .unwrap_or_else(|| "-".into())
        )
    });
    match crash {
        Some(CrashMode::DropUnsynced) => {
            if let Some(durable) = ctx.durable() {
                assert!(
                    *durable == seen,
                    "{what}: with no unsynced write kept, the state must be the durable one \
                     (state {} of {}), found state {:?}: {}",
                    ctx.states
                        .iter()
                        .position(|m| m == durable)
                        .unwrap_or(usize::MAX),
                    ctx.states.len() - 1,
                    ctx.states.iter().position(|m| *m == seen),
                    diff(durable, &seen)
                );
            }
        }
        Some(CrashMode::KeepUnsynced) => {
            if let Some(newest) = ctx.newest() {
                assert!(
                    newest.contains(&&seen),
                    "{what}: with every write kept, the state must be the last commit or the \
                     one in flight, found state {:?} of {}: {}",
                    ctx.states.iter().position(|m| *m == seen),
                    ctx.states.len() - 1,
                    diff(ctx.last(), &seen)
                );
            }
        }
        _ => {}
    }
    assert_integrity(&db, what);
    let n_states = allowed.len() - usize::from(ctx.inflight.is_some());
    let outcome = if ctx.inflight.is_some() && pos == allowed.len() - 1 {
        Outcome::InFlight
    } else if pos == n_states - 1 {
        Outcome::Last
    } else {
        Outcome::Earlier
    };
    if post_write {
        let expected = post_recovery_commit(&db, &seen)
            .unwrap_or_else(|e| panic!("{what}: commit after recovery: {e}"));
        drop(db);
        let db = Database::open_with_vfs(vfs, PATH, ctx.opts.clone())
            .unwrap_or_else(|e| panic!("{what}: second reopen: {e}"));
        let again = read_state(&db)
            .unwrap_or_else(|e| panic!("{what}: reading after the second reopen: {e}"));
        assert_eq!(
            again,
            expected,
            "{what}: after a commit on the recovered database: {}",
            diff(&expected, &again)
        );
        assert_integrity(&db, what);
    } else {
        drop(db);
    }
    if let (Some(tally), Some(pristine)) = (recovery, pristine) {
        if tally.first_time(&pristine) {
            recovery_crash_test(&pristine, &ctx.opts, &seen, tally, what);
        }
    }
    outcome
}

/// The first commit after a recovery: a key in a new tree, and an overflow value
/// in the first tree there was. Returns the state it made.
fn post_recovery_commit(db: &Database, seen: &Model) -> Result<Model> {
    let mut t = ModelTxn::begin(db, seen)?;
    t.insert("after-crash", b"key", b"value")?;
    if let Some(name) = seen.keys().next().cloned() {
        t.insert(&name, b"after-crash", &[7u8; 700])?;
    }
    t.commit()
}

/// A copy of every file in `vfs`.
fn copy_files(vfs: &MemoryVfs) -> MemoryVfs {
    let out = MemoryVfs::new();
    for path in vfs.paths() {
        out.set_file_bytes(&path, vfs.file_bytes(&path).expect("listed"));
    }
    out
}

/// What the crash-during-recovery tests of one workload did.
#[derive(Default)]
struct RecoveryTally {
    /// Hashes of the crash images already tested: the test of an image depends
    /// only on its bytes, so a repeated image is not run twice.
    done: std::collections::HashSet<u128>,
    /// At most this many cut points are run per image, spread evenly over its
    /// m (all of them when m is not above it).
    cap: u64,
    /// Crash images whose recovery was cut (distinct ones).
    images: u64,
    /// Cut points enumerated over all of them (every mutating call of the open,
    /// the recovery and the first commit).
    enumerated: u64,
    /// What the cap leaves of them: the sum of min(m, cap).
    to_run: u64,
    /// Images with more cut points than the cap.
    sampled_images: u64,
    /// Cut points run.
    cuts: u64,
    /// Images of those second crashes that were verified.
    verified: u64,
    /// ... that showed the state before the first commit after recovery.
    before: u64,
    /// ... that showed that commit.
    after: u64,
}

impl std::fmt::Debug for RecoveryTally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecoveryTally")
            .field("cap", &self.cap)
            .field("images", &self.images)
            .field("enumerated", &self.enumerated)
            .field("to_run", &self.to_run)
            .field("sampled_images", &self.sampled_images)
            .field("cuts", &self.cuts)
            .field("verified", &self.verified)
            .field("before", &self.before)
            .field("after", &self.after)
            .finish()
    }
}

impl RecoveryTally {
    /// Whether `image` was not tested before (and records it).
    fn first_time(&mut self, image: &MemoryVfs) -> bool {
        let mut paths = image.paths();
        paths.sort();
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        for path in paths {
            let bytes = image.file_bytes(&path).expect("listed");
            h.update(path.to_string_lossy().as_bytes());
            h.update(&(bytes.len() as u64).to_le_bytes());
            h.update(&bytes);
        }
        self.done.insert(h.digest128())
    }
}

/// Crash during recovery: `image` recovers to `seen`. Reopens it on a
/// [`FaultVfs`] and cuts the power at every mutating call (m of them) of the
/// open, the recovery and the first commit after it (or at `tally.cap` of them,
/// spread evenly, if m is larger); each cut leaves two crash
/// images, which must show `seen`, or the new commit if it returned `Ok` (with
/// `Full`) or was in flight. An image that kept no unsynced write must show
/// exactly the last durable commit.
fn recovery_crash_test(
    image: &MemoryVfs,
    opts: &Options,
    seen: &Model,
    tally: &mut RecoveryTally,
    what: &str,
) {
    tally.images += 1;
    // The counting run: no fault.
    let clean = FaultVfs::with_files(image, FaultConfig::default());
    let after = {
        let db = Database::open_with_vfs(Arc::new(clean.clone()), PATH, opts.clone())
            .unwrap_or_else(|e| panic!("{what}, recovery on FaultVfs: {e}"));
        let again = read_state(&db).unwrap_or_else(|e| panic!("{what}, recovery: {e}"));
        assert!(
            again == *seen,
            "{what}: a second recovery of one image differs: {}",
            diff(seen, &again)
        );
        let after = post_recovery_commit(&db, seen)
            .unwrap_or_else(|e| panic!("{what}, commit after recovery: {e}"));
        let m = clean.ops();
        drop(db);
        (after, m)
    };
    let (after, m) = after;
    tally.enumerated += m;
    tally.to_run += m.min(tally.cap);
    tally.sampled_images += u64::from(m > tally.cap);
    for j in cut_points(m, tally.cap) {
        let vfs = FaultVfs::with_files(
            image,
            FaultConfig {
                fail_after_ops: Some(j),
                fault: FaultKind::PowerCut,
                torn_write: j % 2 == 0,
                sticky: false,
            },
        );
        let label = format!("{what}, then a cut at op {j} of {m} of the recovery");
        let fatal = |step: &str, e: &Error| {
            assert!(
                vfs.is_dead() && matches!(e, Error::Io { .. } | Error::NeedsRecovery),
                "{label}: {step} failed with {e:?} (power cut: {})",
                vfs.is_dead()
            );
        };
        // What the cut may leave: `seen`, and `after` once its commit began.
        let mut committing = false;
        let mut committed = false;
        match Database::open_with_vfs(Arc::new(vfs.clone()), PATH, opts.clone()) {
            Err(e) => fatal("open", &e),
            Ok(db) => {
                assert!(
                    !vfs.is_dead(),
                    "{label}: open returned Ok though the power went out inside it"
                );
                let got = read_state(&db).unwrap_or_else(|e| panic!("{label}: read: {e}"));
                assert!(got == *seen, "{label}: {}", diff(seen, &got));
                committing = true;
                match post_recovery_commit(&db, seen) {
                    Ok(m) => {
                        assert_eq!(m, after);
                        committed = true;
                    }
                    Err(e) => fatal("the commit after recovery", &e),
                }
            }
        }
        assert!(vfs.is_dead(), "{label}: the cut never happened");
        tally.cuts += 1;
        let modes = [
            CrashMode::DropUnsynced,
            [
                CrashMode::KeepUnsynced,
                CrashMode::TornLastWrite {
                    keep_bytes: (j as usize * 97) % 1500,
                },
                CrashMode::RandomSubset {
                    seed: j,
                    sector: 512,
                },
            ][j as usize % 3],
        ];
        for mode in modes {
            let db = Database::open_with_vfs(Arc::new(vfs.crash_image(mode)), PATH, opts.clone())
                .unwrap_or_else(|e| panic!("{label}, {mode:?}: reopening: {e}"));
            let got = read_state(&db).unwrap_or_else(|e| panic!("{label}, {mode:?}: reading: {e}"));
            let allowed: Vec<&Model> = match (committed, opts.durability) {
                (true, Durability::Full) => vec![&after],
                _ if committing && mode != CrashMode::DropUnsynced => vec![seen, &after],
                // Nothing the cut interrupted was synced, except by a commit that
                // returned Ok (Full) or a checkpoint inside it (Normal).
                _ if committed => vec![seen, &after],
                _ => vec![seen],
            };
            assert!(
                allowed.contains(&&got),
                "{label}, {mode:?}: the state is neither the recovered one nor the commit \
                 after it (committed: {committed}, in flight: {committing}). Against the \
                 recovered one: {}. Against the commit after it: {}",
                diff(seen, &got),
                diff(&after, &got)
            );
            assert_integrity(&db, &format!("{label}, {mode:?}"));
            tally.verified += 1;
            if got == *seen {
                tally.before += 1;
            } else {
                tally.after += 1;
            }
        }
    }
}

/// Cut points to try for a workload of `n` ops: all of them, or an even sample
/// of `max` if there are more.
fn cut_points(n: u64, max: u64) -> Vec<u64> {
    if n <= max {
        (1..=n).collect()
    } else {
        (0..max).map(|i| 1 + i * n / max).collect()
    }
}

/// The file system a workload runs on: `vfs`, or with `COVET_CRASH_TRACE` set,
/// `vfs` behind a wrapper that prints every mutating call with its number.
fn traced(vfs: &FaultVfs) -> Arc<dyn Vfs> {
    if std::env::var_os("COVET_CRASH_TRACE").is_some() {
        Arc::new(trace::Traced(vfs.clone()))
    } else {
        Arc::new(vfs.clone())
    }
}

mod trace {
    use covet_engine::vfs::{FaultVfs, OpenMode, SyncKind, Vfs, VfsFile};
    use std::io;
    use std::path::{Path, PathBuf};

    #[derive(Debug)]
    pub struct Traced(pub FaultVfs);

    #[derive(Debug)]
    struct TracedFile(Box<dyn VfsFile>, PathBuf, FaultVfs);

    impl Vfs for Traced {
        fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Box<dyn VfsFile>> {
            let f = self.0.open(path, mode)?;
            Ok(Box::new(TracedFile(f, path.to_path_buf(), self.0.clone())))
        }
        fn exists(&self, path: &Path) -> io::Result<bool> {
            self.0.exists(path)
        }
        fn remove(&self, path: &Path) -> io::Result<()> {
            self.0.remove(path)
        }
        fn sync_dir(&self, path: &Path) -> io::Result<()> {
            let r = self.0.sync_dir(path);
            eprintln!("  op {:>4} sync_dir {path:?}", self.0.ops());
            r
        }
    }

    impl TracedFile {
        fn log<T>(&self, what: String, r: io::Result<T>) -> io::Result<T> {
            eprintln!(
                "  op {:>4} {:?} {what}{}",
                self.2.ops(),
                self.1,
                if r.is_err() { " FAILED" } else { "" }
            );
            r
        }
    }

    impl VfsFile for TracedFile {
        fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
            self.0.read_at(buf, offset)
        }
        fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
            let r = self.0.write_at(buf, offset);
            self.log(format!("write {} bytes at {offset}", buf.len()), r)
        }
        fn sync(&self, kind: SyncKind) -> io::Result<()> {
            let r = self.0.sync(kind);
            self.log("sync".into(), r)
        }
        fn size(&self) -> io::Result<u64> {
            self.0.size()
        }
        fn set_len(&self, size: u64) -> io::Result<()> {
            let r = self.0.set_len(size);
            self.log(format!("set_len {size}"), r)
        }
        fn try_lock_exclusive(&self) -> io::Result<bool> {
            self.0.try_lock_exclusive()
        }
    }
}

/// `COVET_CRASH_CUT=k` runs only cut point k (to debug one failure).
fn only_cut() -> Option<u64> {
    std::env::var("COVET_CRASH_CUT").ok()?.parse().ok()
}

#[derive(Debug, Default)]
struct Tally {
    /// Cut points the workload has: its mutating calls (N).
    enumerated: u64,
    /// Cut points run (all N, unless the test samples).
    cuts: u64,
    images: u64,
    last: u64,
    earlier: u64,
    inflight: u64,
    recovery: RecoveryTally,
}

/// The power-cut test of one workload: every cut point, four crash images each.
/// `max_cuts` bounds the cut points of the workload, `max_recovery_cuts` those
/// of each recovery (see [`recovery_crash_test`]); both spread evenly.
fn power_cut_test(w: &Workload, max_cuts: u64, max_recovery_cuts: u64) -> Tally {
    let clean = run(w, FaultVfs::new(FaultConfig::default()), Mode::Clean, None);
    let n = clean.vfs.ops();
    assert!(n > 0);
    let mut tally = Tally {
        enumerated: n,
        recovery: RecoveryTally {
            cap: max_recovery_cuts,
            ..RecoveryTally::default()
        },
        ..Tally::default()
    };
    // The clean run's files after close hold the last state.
    let image = clean.vfs.crash_image(CrashMode::DropUnsynced);
    assert_eq!(
        verify_image(
            image,
            &clean,
            None,
            true,
            Some(&mut tally.recovery),
            &format!("{}: clean", w.name)
        ),
        Outcome::Last
    );
    for k in only_cut().map_or_else(|| cut_points(n, max_cuts), |k| vec![k]) {
        let vfs = FaultVfs::new(FaultConfig {
            fail_after_ops: Some(k),
            fault: FaultKind::PowerCut,
            torn_write: k % 2 == 0,
            sticky: false,
        });
        let ctx = run(w, vfs, Mode::PowerCut, Some(k));
        assert!(
            ctx.vfs.is_dead(),
            "{}: the run with a cut at op {k} of {n} finished alive (not deterministic?)",
            w.name
        );
        tally.cuts += 1;
        let modes = crash_modes(k);
        for (i, mode) in modes.into_iter().enumerate() {
            let what = format!("{}: cut at op {k} of {n}, {mode:?}", w.name);
            let outcome = verify_image(
                ctx.vfs.crash_image(mode),
                &ctx,
                Some(mode),
                i == (k as usize % modes.len()),
                Some(&mut tally.recovery),
                &what,
            );
            tally.images += 1;
            match outcome {
                Outcome::Last => tally.last += 1,
                Outcome::Earlier => tally.earlier += 1,
                Outcome::InFlight => tally.inflight += 1,
            }
        }
    }
    eprintln!("{} (N = {n} ops): {tally:?}", w.name);
    tally
}

/// The I/O error test of one workload: the k-th call fails (EIO or ENOSPC, once
/// or for good), for every k.
fn io_error_test(w: &Workload, max_cuts: u64) -> IoTally {
    let clean = run(w, FaultVfs::new(FaultConfig::default()), Mode::Clean, None);
    let n = clean.vfs.ops();
    let (mut runs, mut kept_working, mut poisoned) = (0, 0, 0);
    for k in only_cut().map_or_else(|| cut_points(n, max_cuts), |k| vec![k]) {
        let fault = if k % 2 == 0 {
            FaultKind::Eio
        } else {
            FaultKind::Enospc
        };
        let sticky = k % 4 >= 2;
        let vfs = FaultVfs::new(FaultConfig {
            fail_after_ops: Some(k),
            fault,
            torn_write: false,
            sticky,
        });
        let ctx = run(w, vfs, Mode::IoError, Some(k));
        runs += 1;
        assert!(
            !ctx.errors.is_empty()
                || ctx.expect_poison
                || ctx.fired_in_close
                || k > ctx.ops_before_close,
            "{}: the fault at op {k} never reached a caller",
            w.name
        );
        if ctx.poisoned {
            poisoned += 1;
        } else if !sticky && !ctx.errors.is_empty() {
            // A transient fault that did not poison: the database went on working.
            kept_working += 1;
        }
        if !sticky && !ctx.poisoned && !ctx.errors.is_empty() {
            assert_eq!(
                ctx.errors.len(),
                1,
                "{}: a transient fault at op {k} made more than one call fail: {:?}",
                w.name,
                ctx.errors
            );
        }
        for mode in [CrashMode::KeepUnsynced, CrashMode::DropUnsynced] {
            let what = format!(
                "{}: {fault:?} (sticky {sticky}) at op {k} of {n}, {mode:?}",
                w.name
            );
            verify_image(
                ctx.vfs.crash_image(mode),
                &ctx,
                Some(mode),
                mode == CrashMode::KeepUnsynced,
                None,
                &what,
            );
        }
    }
    let tally = IoTally {
        enumerated: n,
        runs,
        kept_working,
        poisoned,
    };
    eprintln!("{}: {tally:?}", w.name);
    tally
}

/// What the I/O error test of one workload did.
#[derive(Debug)]
struct IoTally {
    /// Fault points the workload has: its mutating calls (N).
    enumerated: u64,
    /// Fault points run.
    runs: u64,
    /// Runs where a transient fault failed one call and the database went on.
    kept_working: u64,
    /// Runs where the database refused writes (`NeedsRecovery`).
    poisoned: u64,
}

fn small_opts(cache_pages: usize, autocheckpoint_frames: u64) -> Options {
    Options {
        page_size: 512,
        cache_bytes: cache_pages * 512,
        durability: Durability::Full,
        autocheckpoint_frames,
        ..Options::default()
    }
}

// ---------------------------------------------------------------------------
// Workloads

/// (a) Many small durable commits, each inserting a numbered key and updating a
/// counter.
fn small_commits(c: &mut Ctx) -> Step {
    c.txn(|t, _| t.create_tree("t"))?;
    for i in 0..120u64 {
        c.txn(|t, _| {
            t.insert("t", &spread_key(i), &value_for(i, 0, 24))?;
            t.insert("t", b"count", &(i + 1).to_le_bytes())
        })?;
    }
    Ok(())
}

/// (b) Large transactions that spill to the WAL before commit, with updates,
/// deletes, overflow values and a spilled transaction that rolls back.
fn spilling(c: &mut Ctx) -> Step {
    c.txn(|t, _| {
        t.create_tree("big")?;
        for i in 0..900 {
            t.insert("big", &spread_key(i), &value_for(i, 0, 30))?;
        }
        Ok(())
    })?;
    c.txn(|t, _| {
        for i in 0..900 {
            if i % 5 == 0 {
                t.remove("big", &spread_key(i))?;
            } else if i % 2 == 0 {
                t.insert("big", &spread_key(i), &value_for(i, 1, 60))?;
            }
        }
        for i in 900..960 {
            t.insert("big", &spread_key(i), &value_for(i, 1, 700))?;
        }
        Ok(())
    })?;
    // Spills, then rolls back: its frames stay in the WAL, uncommitted.
    c.txn_rolled_back(|t, _| {
        for i in 0..600 {
            t.insert("big", &spread_key(i), &value_for(i, 9, 50))?;
        }
        Ok(())
    })?;
    c.txn(|t, _| t.insert("big", b"small", b"after the rollback"))?;
    c.txn(|t, _| {
        for i in 0..500 {
            t.remove("big", &spread_key(i))?;
        }
        for i in 900..960 {
            t.insert("big", &spread_key(i), &value_for(i, 2, 40))?;
        }
        Ok(())
    })?;
    c.txn(|t, _| {
        for i in 2000..2700 {
            t.insert("big", &spread_key(i), &value_for(i, 3, 20))?;
        }
        Ok(())
    })
}

/// (c) Commits interleaved with explicit checkpoints, automatic checkpoints,
/// WAL resets and truncation, readers that hold checkpoints back, and a reopen.
fn checkpoints(c: &mut Ctx) -> Step {
    c.txn(|t, _| {
        t.create_tree("a")?;
        t.create_tree("b")
    })?;
    let mut next = 0u64;
    for r in 0..48u64 {
        let n = r % 5 + 1;
        let start = next;
        next += n;
        c.txn(|t, rng| {
            for i in start..start + n {
                t.insert(
                    "a",
                    &spread_key(i),
                    &value_for(i, r, 20 + (i % 7) as usize * 10),
                )?;
            }
            if r % 3 == 0 && start > 4 {
                let victim = rng.gen_range(0..start);
                t.remove("a", &spread_key(victim))?;
            }
            t.insert("b", b"round", &r.to_le_bytes())
        })?;
        if r % 7 == 3 {
            c.checkpoint()?;
        }
        if r % 11 == 5 {
            c.reader();
        }
        if r % 11 == 9 {
            c.check_readers()?;
        }
        if r == 30 {
            c.reopen()?;
        }
    }
    Ok(())
}

/// (d) Savepoints: nested, rolled back to, released, around spills; and whole
/// transactions rolled back after spilling.
fn savepoints(c: &mut Ctx) -> Step {
    c.txn(|t, _| t.create_tree("s"))?;
    for r in 0..18u64 {
        let body = |t: &mut ModelTxn, rng: &mut StdRng| -> Result<()> {
            t.insert("s", format!("base{r:03}").as_bytes(), &value_for(r, 0, 16))?;
            let sp0 = t.savepoint()?;
            // Every third transaction spills inside the savepoint.
            let (many, len) = if r % 3 == 0 { (240, 150) } else { (6, 40) };
            for i in 0..many {
                let k = r * 1000 + i;
                t.insert("s", &spread_key(k), &value_for(k, r, len))?;
            }
            let sp1 = t.savepoint()?;
            for _ in 0..4 {
                let k = rng.gen_range(0..(r + 1) * 1000);
                t.remove("s", &spread_key(k))?;
                t.insert(
                    "s",
                    format!("upd{}", k % 13).as_bytes(),
                    &value_for(k, r, 90),
                )?;
            }
            t.check_get("s", format!("base{r:03}").as_bytes())?;
            if r % 2 == 0 {
                t.rollback_to(sp1)?;
            } else {
                t.release(sp1)?;
            }
            t.insert("s", format!("after{r:03}").as_bytes(), b"x")?;
            if r % 4 == 1 {
                t.rollback_to(sp0)?;
                t.insert("s", format!("redo{r:03}").as_bytes(), b"y")?;
            } else if r % 5 == 2 {
                t.release(sp0)?;
            }
            Ok(())
        };
        if r % 6 == 5 {
            c.txn_rolled_back(body)?;
        } else {
            c.txn(body)?;
        }
    }
    Ok(())
}

/// (e) Trees created, filled, cleared, dropped and recreated; free pages reused.
fn trees(c: &mut Ctx) -> Step {
    for r in 0..30u64 {
        c.txn(|t, _| {
            let name = format!("t{}", r % 5);
            let exists = t.model.contains_key(&name);
            if !exists {
                t.create_tree(&name)?;
                for i in 0..(20 + r * 4) {
                    let len = if i % 9 == 0 { 600 } else { 30 };
                    t.insert(&name, &spread_key(i), &value_for(i, r, len))?;
                }
            } else {
                match r % 3 {
                    0 => t.drop_tree(&name)?,
                    1 => {
                        t.clear_tree(&name)?;
                        t.insert(&name, b"cleared", &r.to_le_bytes())?;
                    }
                    _ => {
                        // Drop and recreate under the same name in one transaction.
                        t.drop_tree(&name)?;
                        t.create_tree(&name)?;
                        t.insert(&name, b"recreated", &r.to_le_bytes())?;
                    }
                }
            }
            if r % 4 == 0 {
                // A tree that lives and dies inside one transaction.
                t.create_tree("ephemeral")?;
                t.insert("ephemeral", b"k", &[1u8; 800])?;
                t.drop_tree("ephemeral")?;
            }
            Ok(())
        })?;
    }
    Ok(())
}

fn workload_small_commits() -> Workload {
    Workload {
        name: "small commits",
        opts: small_opts(64, 100_000),
        run: small_commits,
    }
}

/// Small commits with `Durability::Normal` and no explicit checkpoint: only
/// the automatic checkpoints (every few commits: each writes two frames at
/// least) and the close make commits durable.
fn workload_small_commits_normal() -> Workload {
    Workload {
        name: "small commits, durability Normal",
        opts: Options {
            durability: Durability::Normal,
            ..small_opts(64, 10)
        },
        run: small_commits,
    }
}

fn workload_spilling() -> Workload {
    Workload {
        name: "spilling transactions",
        opts: small_opts(32, 150),
        run: spilling,
    }
}

fn workload_checkpoints(durability: Durability) -> Workload {
    Workload {
        name: if durability == Durability::Full {
            "checkpoints"
        } else {
            "checkpoints, durability Normal"
        },
        opts: Options {
            durability,
            // Keep room for a few frames after a reset: the WAL is truncated.
            wal_keep_bytes: 64 + 5 * (24 + 512),
            ..small_opts(64, 14)
        },
        run: checkpoints,
    }
}

fn workload_savepoints() -> Workload {
    Workload {
        name: "savepoints",
        opts: small_opts(32, 120),
        run: savepoints,
    }
}

fn workload_trees() -> Workload {
    Workload {
        name: "tree create/drop",
        opts: small_opts(64, 40),
        run: trees,
    }
}

// ---------------------------------------------------------------------------
// Tests

/// No sampling: every cut point is run.
const ALL: u64 = u64::MAX;

/// The counts every power-cut test asserts: the workload has at least
/// `min_cuts` cut points and none was dropped; four images per cut; every
/// distinct image had its recovery cut at exactly the points the cap leaves
/// (all of them with [`ALL`]), two images verified per recovery cut; and both
/// outcomes of the commit after recovery were seen.
fn assert_counts(t: &Tally, min_cuts: u64) {
    if only_cut().is_some() {
        return; // One cut point, to debug it.
    }
    assert!(t.enumerated >= min_cuts, "too few cut points: {t:?}");
    assert_eq!(t.cuts, t.enumerated, "cut points were dropped: {t:?}");
    assert_eq!(t.images, 4 * t.cuts, "{t:?}");
    assert_eq!(t.last + t.earlier + t.inflight, t.images, "{t:?}");
    let r = &t.recovery;
    // The clean run's image too; identical images are run once.
    assert!(r.images > 0 && r.images <= t.images + 1, "{t:?}");
    assert_eq!(r.cuts, r.to_run, "recovery cut points were dropped: {t:?}");
    if r.cap == ALL {
        assert_eq!(r.cuts, r.enumerated, "{t:?}");
        assert_eq!(r.sampled_images, 0, "{t:?}");
    }
    assert!(
        r.cuts >= r.images,
        "every recovery has a commit to cut: {t:?}"
    );
    assert_eq!(r.verified, 2 * r.cuts, "{t:?}");
    assert_eq!(r.before + r.after, r.verified, "{t:?}");
    assert!(
        r.before > 0 && r.after > 0,
        "the commit after recovery must be cut before and after it is durable: {t:?}"
    );
}

#[test]
fn power_cut_small_commits() {
    let t = power_cut_test(&workload_small_commits(), ALL, ALL);
    assert_counts(&t, 200);
    assert!(
        t.inflight > 0,
        "some cut must land between a commit's sync and its return"
    );
}

#[test]
fn power_cut_spilling_transactions() {
    let t = power_cut_test(&workload_spilling(), ALL, ALL);
    assert_counts(&t, 30);
}

#[test]
fn power_cut_checkpoints() {
    let t = power_cut_test(&workload_checkpoints(Durability::Full), ALL, ALL);
    assert_counts(&t, 150);
}

/// The first commit after recovering a savepoints image runs an automatic
/// checkpoint of some 45 writes; its recovery cuts are sampled: 16 per image,
/// spread evenly (the other workloads cut checkpoints at every write).
#[test]
fn power_cut_savepoints() {
    let t = power_cut_test(&workload_savepoints(), ALL, 16);
    assert_counts(&t, 50);
    let r = &t.recovery;
    assert!(r.sampled_images > 0, "{t:?}");
    assert!(r.cuts <= 16 * r.images, "{t:?}");
}

#[test]
fn power_cut_tree_create_drop() {
    let t = power_cut_test(&workload_trees(), ALL, ALL);
    assert_counts(&t, 50);
}

/// `Durability::Normal`, held to its contract (see [`Ctx::note_syncs`] and
/// [`Ctx::durable`]): an image that kept no unsynced write holds exactly the
/// last commit before the last sync of the WAL, one that kept every write the
/// last commit, any other one a commit between the two; never more than
/// `autocheckpoint_frames - 1` commits are unsynced.
#[test]
fn power_cut_durability_normal() {
    let t = power_cut_test(&workload_checkpoints(Durability::Normal), ALL, ALL);
    assert_counts(&t, 50);
    assert!(
        t.earlier > 0,
        "with Normal, some crash must lose unsynced commits: {t:?}"
    );
}

/// Normal with only automatic checkpoints: at most `autocheckpoint_frames - 1`
/// commits are ever unsynced, and each image holds exactly what the last WAL
/// sync made durable.
#[test]
fn power_cut_small_commits_durability_normal() {
    let t = power_cut_test(&workload_small_commits_normal(), ALL, ALL);
    assert_counts(&t, 200);
    assert!(
        t.earlier > 0,
        "with Normal, some crash must lose unsynced commits: {t:?}"
    );
}

#[test]
fn io_errors_checkpoints() {
    let t = io_error_test(&workload_checkpoints(Durability::Full), ALL);
    assert!(t.enumerated >= 150, "{t:?}");
    assert_eq!(t.runs, t.enumerated, "fault points were dropped: {t:?}");
    assert!(t.kept_working > 0 && t.poisoned > 0, "{t:?}");
}

#[test]
fn io_errors_savepoints_and_spills() {
    let t = io_error_test(&workload_savepoints(), ALL);
    assert!(t.enumerated >= 50, "{t:?}");
    assert_eq!(t.runs, t.enumerated, "fault points were dropped: {t:?}");
    assert!(t.kept_working > 0 && t.poisoned > 0, "{t:?}");
}

#[test]
fn io_errors_tree_create_drop() {
    let t = io_error_test(&workload_trees(), ALL);
    assert!(t.enumerated >= 50, "{t:?}");
    assert_eq!(t.runs, t.enumerated, "fault points were dropped: {t:?}");
}

/// Regression: a transaction spills pages past the end inside a savepoint, rolls
/// back to it and commits. Recovery maps those spilled frames (every frame before
/// a commit mark counts); a later transaction that allocates the same page
/// numbers must not write them straight into the main file, or the stale frames
/// win over them (found by `power_cut_savepoints`: "expected an overflow page").
#[test]
fn spilled_frames_past_the_end_do_not_shadow_later_pages() {
    let opts = small_opts(32, 100_000);
    let vfs = MemoryVfs::new();
    let db = Database::open_with_vfs(Arc::new(vfs.clone()), PATH, opts.clone()).unwrap();
    let mut t = ModelTxn::begin(&db, &Model::new()).unwrap();
    t.create_tree("t").unwrap();
    let model = t.commit().unwrap();
    let mut t = ModelTxn::begin(&db, &model).unwrap();
    t.insert("t", b"kept", b"1").unwrap();
    let sp = t.savepoint().unwrap();
    for i in 0..1500 {
        t.insert("t", &spread_key(i), &value_for(i, 0, 40)).unwrap();
    }
    t.rollback_to(sp).unwrap();
    let model = t.commit().unwrap();
    // A process crash now: the files as they are, WAL not checkpointed.
    let image = MemoryVfs::new();
    for path in vfs.paths() {
        image.set_file_bytes(&path, vfs.file_bytes(&path).unwrap());
    }
    drop(db);
    let image = Arc::new(image);
    let db = Database::open_with_vfs(image.clone(), PATH, opts.clone()).unwrap();
    assert_eq!(read_state(&db).unwrap(), model);
    let mut t = ModelTxn::begin(&db, &model).unwrap();
    for i in 0..200 {
        t.insert("t", &spread_key(i), &value_for(i, 1, 300))
            .unwrap();
    }
    t.insert("t", b"big", &[7u8; 2000]).unwrap();
    let model = t.commit().unwrap();
    assert_eq!(read_state(&db).unwrap(), model);
    drop(db);
    let db = Database::open_with_vfs(image, PATH, opts).unwrap();
    let seen = read_state(&db).unwrap();
    assert_eq!(seen, model, "{}", diff(&model, &seen));
    assert_integrity(&db, "after reopen");
}
