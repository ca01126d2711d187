//! Crash safety of large loads that write their pages straight into the main
//! file, under savepoints and in `Durability::Normal`.
//!
//! The workload runs once without faults to count its mutating file operations
//! (N), then once for every cut point k in 1..=N (every one: no sampling) with a
//! power cut at the k-th write, sync or truncation. Each cut leaves four crash
//! images (unsynced writes dropped, kept, a random subset of their sectors, the
//! last one torn); each must reopen to exactly the state of the last commit that
//! returned `Ok` or of the one in flight, and with `Normal` to any committed
//! state since the last explicit checkpoint. Every tree is compared in full with
//! a model and the integrity check must pass.
//!
//! The workload: sorted bulk loads and row-by-row inserts inside savepoints
//! (statement-sized ones nested in an outer one), rolled back and redone; pages
//! written into the main file and then changed again inside and outside a
//! savepoint; loads into free pages and past the end; a whole transaction rolled
//! back after writing the main file; and, for `Normal`, a VACUUM that shrinks the
//! database without a sync followed by a load (a power cut may fall back to the
//! longer state, whose pages the load must not overwrite).

use std::sync::Arc;

use covet_engine::vfs::{CrashMode, FaultConfig, FaultKind, FaultVfs, MemoryVfs};
use covet_engine::{Database, Durability, Error, Options, Result, Savepoint, WriteTxn};
use covet_tests::{assert_integrity, crash_modes, diff, read_state, value_for, Model, TreeModel};

const PATH: &str = "load.covet";
const PAGE: usize = 512;

/// The workload stops: the power is out.
#[derive(Debug)]
struct Stop;

type Step = std::result::Result<(), Stop>;

/// A write transaction mirrored in a model, with savepoints mirrored too.
struct Mirror {
    txn: WriteTxn,
    model: Model,
    savepoints: Vec<(Savepoint, Model)>,
}

impl Mirror {
    fn tree(&self, name: &str) -> Result<covet_engine::Tree> {
        self.txn.open_tree(name)
    }

    fn create_tree(&mut self, name: &str) -> Result<()> {
        self.txn.create_tree(name)?;
        self.model.insert(name.to_string(), TreeModel::new());
        Ok(())
    }

    fn drop_tree(&mut self, name: &str) -> Result<()> {
        self.txn.drop_tree(name)?;
        self.model.remove(name);
        Ok(())
    }

    fn insert(&mut self, name: &str, key: &[u8], value: &[u8]) -> Result<()> {
        let t = self.tree(name)?;
        self.txn.insert(&t, key, value)?;
        let m = self.model.get_mut(name).expect("tree in model");
        m.insert(key.to_vec(), value.to_vec());
        Ok(())
    }

    fn remove(&mut self, name: &str, key: &[u8]) -> Result<()> {
        let t = self.tree(name)?;
        let was = self.txn.remove(&t, key)?;
        let m = self.model.get_mut(name).expect("tree in model");
        assert_eq!(
            was,
            m.remove(key).is_some(),
            "remove of {key:?} from {name}"
        );
        Ok(())
    }

    fn bulk_load(&mut self, name: &str, entries: &[(Vec<u8>, Vec<u8>)]) -> Result<()> {
        let t = self.tree(name)?;
        let n = self
            .txn
            .bulk_load(&t, entries.iter().map(|(k, v)| (k, v)))?;
        assert_eq!(n, entries.len() as u64);
        let m = self.model.get_mut(name).expect("tree in model");
        m.extend(entries.iter().cloned());
        Ok(())
    }

    fn savepoint(&mut self) -> Result<usize> {
        let sp = self.txn.savepoint()?;
        self.savepoints.push((sp, self.model.clone()));
        Ok(self.savepoints.len() - 1)
    }

    fn rollback_to(&mut self, depth: usize) -> Result<()> {
        self.txn.rollback_to(self.savepoints[depth].0)?;
        self.savepoints.truncate(depth + 1);
        self.model = self.savepoints[depth].1.clone();
        Ok(())
    }

    fn release(&mut self, depth: usize) -> Result<()> {
        self.txn.release(self.savepoints[depth].0)?;
        self.savepoints.truncate(depth);
        Ok(())
    }

    /// Checks that tree `name` holds, inside the transaction, what the model says.
    fn check_tree(&self, name: &str) -> Result<()> {
        let t = self.tree(name)?;
        let mut seen = TreeModel::new();
        for e in self.txn.iter(&t) {
            let e = e?;
            seen.insert(e.key().to_vec(), e.value().to_vec());
        }
        let want = &self.model[name];
        assert!(
            &seen == want,
            "tree {name} inside the transaction: {} entries, {} expected",
            seen.len(),
            want.len()
        );
        Ok(())
    }
}

/// One run of the workload, and what a crash image may show.
struct Run {
    vfs: FaultVfs,
    opts: Options,
    clean: bool,
    /// The armed fault is one EIO (the workload stops at the first error).
    io_error: bool,
    db: Option<Database>,
    /// `states[i]`: after the i-th commit that returned `Ok` (`states[0]`: empty).
    states: Vec<Model>,
    /// What the commit that failed would have produced.
    inflight: Option<Model>,
    /// Index of the state the last explicit checkpoint made durable (`Normal`).
    floor: usize,
    /// Frames in the WAL and pages in the main file after each commit (clean run).
    sizes: Vec<(usize, usize)>,
}

impl Run {
    fn stop(&self, what: &str, e: Error) -> Stop {
        assert!(!self.clean, "{what} failed without a fault: {e}");
        if self.io_error {
            // An injected EIO, reported as itself, or as what it made of the
            // transaction (failed) or of the database (poisoned).
            match &e {
                Error::Io { source, .. } => assert_eq!(
                    source.raw_os_error(),
                    Some(5),
                    "{what}: an I/O error that was not injected: {e:?}"
                ),
                Error::NeedsRecovery | Error::TransactionFailed => {}
                other => panic!("{what}: unexpected error kind after an I/O fault: {other:?}"),
            }
        } else {
            assert!(
                self.vfs.is_dead(),
                "{what} failed before the power cut: {e}"
            );
            assert!(
                matches!(e, Error::Io { .. } | Error::NeedsRecovery),
                "{what} after a power cut: unexpected error kind {e:?}"
            );
        }
        Stop
    }

    fn txn(&mut self, body: impl FnOnce(&mut Mirror) -> Result<()>, commit: bool) -> Step {
        let db = self.db.clone().expect("open");
        let txn = db.begin_write().map_err(|e| self.stop("begin_write", e))?;
        let mut m = Mirror {
            txn,
            model: self.states.last().expect("never empty").clone(),
            savepoints: Vec::new(),
        };
        body(&mut m).map_err(|e| self.stop("change", e))?;
        if !commit {
            m.txn.rollback();
            return Ok(());
        }
        let pending = m.model;
        match m.txn.commit() {
            Ok(()) => {
                self.states.push(pending);
                self.inflight = None;
                if self.clean {
                    self.sizes.push(self.file_sizes());
                }
                Ok(())
            }
            Err(e) => {
                self.inflight = Some(pending);
                Err(self.stop("commit", e))
            }
        }
    }

    fn checkpoint(&mut self) -> Step {
        let db = self.db.as_ref().expect("open");
        match db.checkpoint() {
            Ok(_) => {
                self.floor = self.states.len() - 1;
                Ok(())
            }
            Err(e) => Err(self.stop("checkpoint", e)),
        }
    }

    /// (frames in the WAL, pages in the main file) as the files stand now.
    fn file_sizes(&self) -> (usize, usize) {
        let image = self.vfs.crash_image(CrashMode::KeepUnsynced);
        let wal = image
            .file_bytes(format!("{PATH}-wal"))
            .map_or(0, |b| b.len());
        let main = image.file_bytes(PATH).map_or(0, |b| b.len());
        (wal.saturating_sub(40) / (24 + PAGE), main / PAGE)
    }

    /// The states a crash image may show.
    fn allowed(&self) -> Vec<&Model> {
        let lo = match self.opts.durability {
            Durability::Full => self.states.len() - 1,
            _ => self.floor,
        };
        let mut out: Vec<&Model> = self.states[lo..].iter().collect();
        out.extend(&self.inflight);
        out
    }
}

fn entries(tag: &str, start: u64, end: u64, version: u64) -> Vec<(Vec<u8>, Vec<u8>)> {
    (start..end)
        .map(|i| {
            (
                format!("{tag}{i:06}").into_bytes(),
                value_for(i, version, 30),
            )
        })
        .collect()
}

/// The workload (see the module doc). With 512-byte pages and a 32-page cache
/// every load below spills several times.
fn workload(r: &mut Run) -> Step {
    r.txn(
        |m| {
            for t in ["a", "b", "c", "d"] {
                m.create_tree(t)?;
            }
            m.insert("a", b"first", b"1")
        },
        true,
    )?;
    // A sorted bulk load inside a savepoint.
    r.txn(
        |m| {
            let sp = m.savepoint()?;
            m.bulk_load("b", &entries("b", 0, 1500, 0))?;
            m.release(sp)?;
            m.insert("a", b"loaded", b"b")
        },
        true,
    )?;
    // Row-by-row inserts under statement savepoints inside an outer one, rolled
    // back; then a bulk load over the same page numbers.
    r.txn(
        |m| {
            let outer = m.savepoint()?;
            for (i, (k, v)) in entries("c", 0, 1200, 1).iter().enumerate() {
                let stmt = (i % 100 == 0).then(|| m.savepoint()).transpose()?;
                m.insert("c", k, v)?;
                if let Some(sp) = stmt {
                    m.release(sp)?;
                }
            }
            m.check_tree("c")?;
            m.rollback_to(outer)?;
            m.check_tree("c")?;
            m.insert("a", b"rolled back", b"c")?;
            m.bulk_load("c", &entries("c", 200, 1000, 2))?;
            m.release(outer)
        },
        true,
    )?;
    // Pages written into the main file, changed under a savepoint that rolls
    // back (their main-file versions must survive), changed again and kept.
    r.txn(
        |m| {
            for (k, v) in entries("d", 0, 1000, 3) {
                m.insert("d", &k, &v)?;
            }
            let sp = m.savepoint()?;
            for (k, v) in entries("d", 0, 1000, 4) {
                m.insert("d", &k, &v)?;
            }
            m.rollback_to(sp)?;
            m.check_tree("d")?;
            for (k, v) in entries("d", 0, 1000, 5).into_iter().step_by(3) {
                m.insert("d", &k, &v)?;
            }
            m.release(sp)
        },
        true,
    )?;
    // A whole transaction that wrote the main file, rolled back.
    r.txn(
        |m| {
            let sp = m.savepoint()?;
            m.create_tree("gone")?;
            m.bulk_load("gone", &entries("g", 0, 1500, 6))?;
            m.release(sp)
        },
        false,
    )?;
    r.checkpoint()?;
    // Frees pages, then loads into the free ones and past the end.
    r.txn(
        |m| {
            for (k, _) in entries("b", 0, 1500, 0).into_iter().step_by(2) {
                m.remove("b", &k)?;
            }
            m.create_tree("e")?;
            let sp = m.savepoint()?;
            m.bulk_load("e", &entries("e", 0, 1500, 7))?;
            m.release(sp)
        },
        true,
    )?;
    if r.opts.durability == Durability::Normal {
        // A shrink that is not durable yet, then a load: a power cut may fall
        // back to the longer state before the shrink.
        r.txn(
            |m| {
                m.drop_tree("c")?;
                m.drop_tree("e")?;
                m.txn.vacuum()?;
                Ok(())
            },
            true,
        )?;
        r.txn(
            |m| {
                m.create_tree("f")?;
                let sp = m.savepoint()?;
                m.bulk_load("f", &entries("f", 0, 2500, 8))?;
                m.release(sp)
            },
            true,
        )?;
    }
    Ok(())
}

fn options(durability: Durability) -> Options {
    Options {
        page_size: PAGE,
        cache_bytes: 32 * PAGE,
        durability,
        autocheckpoint_frames: 100_000,
        ..Options::default()
    }
}

fn run(opts: &Options, vfs: FaultVfs, clean: bool, io_error: bool) -> Run {
    let mut r = Run {
        vfs,
        opts: opts.clone(),
        clean,
        io_error,
        db: None,
        states: vec![Model::new()],
        inflight: None,
        floor: 0,
        sizes: Vec::new(),
    };
    match Database::open_with_vfs(Arc::new(r.vfs.clone()), PATH, opts.clone()) {
        Ok(db) => {
            r.db = Some(db);
            let _ = workload(&mut r);
        }
        Err(e) => {
            r.stop("open", e);
        }
    }
    r.db = None; // closes: checkpoint and WAL truncation
    r
}

#[derive(Debug, Default)]
struct Tally {
    cuts: u64,
    images: u64,
    last: u64,
    earlier: u64,
    inflight: u64,
}

fn verify_image(image: MemoryVfs, r: &Run, what: &str) -> usize {
    let db = Database::open_with_vfs(Arc::new(image), PATH, r.opts.clone())
        .unwrap_or_else(|e| panic!("{what}: reopening the crash image failed: {e}"));
    let seen = read_state(&db).unwrap_or_else(|e| panic!("{what}: reading after recovery: {e}"));
    let allowed = r.allowed();
    let pos = allowed.iter().position(|m| **m == seen).unwrap_or_else(|| {
        panic!(
            "{what}: recovered state is not an allowed one ({} commits ok, in flight: {}, \
             floor {}, found: state {:?}). Against the last commit: {}",
            r.states.len() - 1,
            r.inflight.is_some(),
            r.floor,
            r.states.iter().position(|m| *m == seen),
            diff(r.states.last().expect("never empty"), &seen),
        )
    });
    assert_integrity(&db, what);
    pos
}

fn power_cut_test(durability: Durability) -> Tally {
    let opts = options(durability);
    let clean = run(&opts, FaultVfs::new(FaultConfig::default()), true, false);
    let n = clean.vfs.ops();
    // The loads went to the main file: the WAL got a few frames per load, while
    // the main file grew by the load's pages. (Commit 2 is the bulk load in a
    // savepoint, commit 3 the inserts under nested savepoints and the reload.)
    let (wal1, main1) = clean.sizes[0];
    let (wal2, main2) = clean.sizes[1];
    let (wal3, main3) = clean.sizes[2];
    assert!(
        main2 - main1 >= 100 && wal2 - wal1 <= 3,
        "{durability:?} bulk load: {} frames, {} main-file pages",
        wal2 - wal1,
        main2 - main1
    );
    assert!(
        main3 > main2 && wal3 - wal2 <= 12,
        "{durability:?} inserts: {} frames, main file {main2} -> {main3} pages",
        wal3 - wal2
    );
    let image = clean.vfs.crash_image(CrashMode::DropUnsynced);
    assert_eq!(
        verify_image(image, &clean, "clean run"),
        clean.allowed().len() - 1
    );
    let mut tally = Tally::default();
    for k in 1..=n {
        let vfs = FaultVfs::new(FaultConfig {
            fail_after_ops: Some(k),
            fault: FaultKind::PowerCut,
            torn_write: k % 2 == 0,
            sticky: false,
        });
        let r = run(&opts, vfs, false, false);
        assert!(
            r.vfs.is_dead(),
            "the run with a cut at op {k} of {n} finished alive"
        );
        tally.cuts += 1;
        let modes = crash_modes(k);
        let n_states = r.allowed().len() - usize::from(r.inflight.is_some());
        for mode in modes {
            let what = format!("{durability:?}: cut at op {k} of {n}, {mode:?}");
            let pos = verify_image(r.vfs.crash_image(mode), &r, &what);
            tally.images += 1;
            if pos == n_states {
                tally.inflight += 1;
            } else if pos == n_states - 1 {
                tally.last += 1;
            } else {
                tally.earlier += 1;
            }
        }
    }
    eprintln!("{durability:?} (N = {n} ops): {tally:?}");
    assert_eq!(tally.cuts, n, "every cut point ran");
    assert_eq!(tally.images, 4 * n);
    tally
}

/// One EIO at every write, sync and truncation in turn: the workload stops at
/// the error it gets (the database then closes as usual), and the files hold a
/// committed state, with unsynced writes kept or dropped.
fn io_error_test(durability: Durability) -> u64 {
    let opts = options(durability);
    let clean = run(&opts, FaultVfs::new(FaultConfig::default()), true, false);
    let (n, commits) = (clean.vfs.ops(), clean.states.len());
    let mut stopped = 0;
    for k in 1..=n {
        let vfs = FaultVfs::new(FaultConfig {
            fail_after_ops: Some(k),
            fault: FaultKind::Eio,
            torn_write: false,
            sticky: false,
        });
        let r = run(&opts, vfs, false, true);
        stopped += u64::from(r.states.len() < commits);
        for mode in [CrashMode::KeepUnsynced, CrashMode::DropUnsynced] {
            let what = format!("{durability:?}: EIO at op {k} of {n}, {mode:?}");
            verify_image(r.vfs.crash_image(mode), &r, &what);
        }
    }
    eprintln!("{durability:?} (N = {n} ops): {stopped} of {n} runs stopped by the error");
    stopped
}

#[test]
fn io_errors_during_loads_under_savepoints() {
    for durability in [Durability::Full, Durability::Normal] {
        let stopped = io_error_test(durability);
        assert!(
            stopped > 0,
            "{durability:?}: no injected error reached the workload"
        );
    }
}

#[test]
fn power_cut_loads_under_savepoints() {
    let t = power_cut_test(Durability::Full);
    assert!(
        t.inflight > 0,
        "some cut must land between a commit's sync and its return: {t:?}"
    );
    assert_eq!(
        t.earlier, 0,
        "Full never loses a commit that returned Ok: {t:?}"
    );
}

#[test]
fn power_cut_loads_under_savepoints_durability_normal() {
    let t = power_cut_test(Durability::Normal);
    assert!(
        t.earlier > 0,
        "with Normal, some crash must lose unsynced commits: {t:?}"
    );
}
