//! The `kv` suite: redb's comparison workloads, run on one engine at a time.
//!
//! With `n` = N, the database is built and used in this order (each engine in a fresh directory):
//!
//! | workload                 | what is timed                                                   |
//! |--------------------------|-----------------------------------------------------------------|
//! | `bulk_load`              | keys `0..N` inserted in one transaction, durable commit         |
//! | `individual_writes`      | 1,000 keys, one durable commit each                             |
//! | `batch_writes`           | 100 durable commits of 1,000 keys each                          |
//! | `random_reads`           | N point reads of distinct existing keys, in a seeded random order |
//! | `range_reads`            | N/2 scans of 10 entries, each from a random existing key        |
//! | `random_reads_2_threads` | the `random_reads` work split between 2 threads, one database   |
//! | `removals`               | every key (N + 101,000) removed in one transaction, durable     |
//! | `file_size`              | bytes on disk of the engine's directory, after closing it       |
//!
//! Reads check each value (length and first 8 bytes) and each scan's first key; a missing key
//! or wrong value is counted and reported, never a panic. When a subset of workloads is chosen,
//! the loading workloads (the first three) that a later chosen workload depends on still run,
//! untimed, as setup; `removals` only runs when chosen, so `--workloads file_size` measures the
//! loaded database.

use std::fmt;
use std::path::Path;
use std::time::Instant;

use crate::engines::{EngineConfig, KvEngine, KvReader, KvWriter, Result};
use crate::keys::{KeyGen, Permutation};

/// Commits in `individual_writes`.
pub const INDIVIDUAL_WRITES: u64 = 1_000;
/// Commits in `batch_writes`.
pub const BATCHES: u64 = 100;
/// Inserts per commit in `batch_writes`.
pub const BATCH_SIZE: u64 = 1_000;
/// Entries visited per scan in `range_reads` (redb's scan length).
pub const SCAN_LEN: usize = 10;

/// Seed tweaks so the read order and the scan starts are independent shuffles.
const READ_ORDER: u64 = 0x5245_4144; // "READ"
const SCAN_ORDER: u64 = 0x5343_414E; // "SCAN"

/// Keys in the database after the three loading workloads.
pub fn loaded_keys(n: u64) -> u64 {
    n + INDIVIDUAL_WRITES + BATCHES * BATCH_SIZE
}

/// Number of scans `range_reads` makes for `n`.
pub fn scans(n: u64) -> u64 {
    (n / 2).max(1)
}

/// One workload of the suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// N inserts, one durable transaction.
    BulkLoad,
    /// 1,000 durable single-insert transactions.
    IndividualWrites,
    /// 100 durable transactions of 1,000 inserts.
    BatchWrites,
    /// N point reads in random order.
    RandomReads,
    /// N/2 scans of 10 entries.
    RangeReads,
    /// The random reads, split over 2 threads.
    RandomReads2Threads,
    /// Every key removed, one durable transaction.
    Removals,
    /// Size on disk after the other workloads.
    FileSize,
}

impl Workload {
    /// Every workload, in the order they run.
    pub const ALL: [Workload; 8] = [
        Workload::BulkLoad,
        Workload::IndividualWrites,
        Workload::BatchWrites,
        Workload::RandomReads,
        Workload::RangeReads,
        Workload::RandomReads2Threads,
        Workload::Removals,
        Workload::FileSize,
    ];

    /// The name used in `--workloads` and in the JSON output.
    pub fn name(self) -> &'static str {
        match self {
            Workload::BulkLoad => "bulk_load",
            Workload::IndividualWrites => "individual_writes",
            Workload::BatchWrites => "batch_writes",
            Workload::RandomReads => "random_reads",
            Workload::RangeReads => "range_reads",
            Workload::RandomReads2Threads => "random_reads_2_threads",
            Workload::Removals => "removals",
            Workload::FileSize => "file_size",
        }
    }

    /// The workload called `name`.
    pub fn from_name(name: &str) -> Option<Workload> {
        Workload::ALL.into_iter().find(|w| w.name() == name)
    }

    /// The JSON `unit` of this workload's result.
    pub fn unit(self) -> &'static str {
        match self {
            Workload::FileSize => "bytes",
            _ => "ms",
        }
    }

    /// Whether this workload builds the data later workloads read (and so runs as setup).
    fn loads(self) -> bool {
        matches!(
            self,
            Workload::BulkLoad | Workload::IndividualWrites | Workload::BatchWrites
        )
    }
}

/// A workload's result for one engine.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Outcome {
    /// Wall-clock time.
    Millis(f64),
    /// A size.
    Bytes(u64),
    /// The engine failed (the error went to stderr).
    Failed,
}

impl fmt::Display for Outcome {
    /// Formats as a JSON value: milliseconds to the microsecond, bytes exactly, or `null`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Millis(ms) => write!(f, "{ms:.3}"),
            Outcome::Bytes(bytes) => write!(f, "{bytes}"),
            Outcome::Failed => f.write_str("null"),
        }
    }
}

/// The parameters of one run of the suite.
#[derive(Clone, Debug)]
pub struct KvParams {
    /// N: keys bulk-loaded, and point reads made.
    pub n: u64,
    /// Seed of the key/value generator and of the read orders.
    pub seed: u64,
    /// Cache given to each engine.
    pub config: EngineConfig,
    /// The workloads to time and report (any order; they run in [`Workload::ALL`] order).
    pub workloads: Vec<Workload>,
}

/// What one engine did.
#[derive(Debug)]
pub struct EngineReport {
    /// Result per chosen workload, in run order.
    pub results: Vec<(Workload, Outcome)>,
    /// Reads of missing keys, wrong values or other failed checks (0 in a valid run).
    pub problems: u64,
}

/// Tallies of a read workload's checks.
#[derive(Default)]
struct Checks {
    /// Bytes of value seen (summed so the reads cannot be optimised away).
    value_bytes: u64,
    missing: u64,
    wrong: u64,
}

impl Checks {
    fn add(&mut self, other: Checks) {
        self.value_bytes += other.value_bytes;
        self.missing += other.missing;
        self.wrong += other.wrong;
    }

    /// Reports any failed check on stderr; returns how many there were.
    fn report(&self, engine: &str, workload: Workload) -> u64 {
        std::hint::black_box(self.value_bytes);
        let problems = self.missing + self.wrong;
        if problems > 0 {
            eprintln!(
                "{engine}: {}: ERROR: {} missing keys, {} wrong values",
                workload.name(),
                self.missing,
                self.wrong
            );
        }
        problems
    }
}

/// Runs the chosen workloads on engine `E` in a fresh directory inside `base_dir`.
pub fn run_engine<E: KvEngine>(params: &KvParams, base_dir: &Path) -> EngineReport {
    let mut report = EngineReport {
        results: Vec::new(),
        problems: 0,
    };
    let chosen = |w: Workload| params.workloads.contains(&w);
    let Some(last) = Workload::ALL.iter().rposition(|&w| chosen(w)) else {
        return report;
    };
    let dir = match tempfile::Builder::new()
        .prefix(&format!("covet-bench-{}-", E::NAME))
        .tempdir_in(base_dir)
    {
        Ok(dir) => dir,
        Err(err) => {
            eprintln!(
                "{}: cannot create a directory in {base_dir:?}: {err}",
                E::NAME
            );
            report.results = Workload::ALL[..=last]
                .iter()
                .filter(|&&w| chosen(w))
                .map(|&w| (w, Outcome::Failed))
                .collect();
            return report;
        }
    };
    let mut engine = None;
    let mut failed = false;
    for &workload in &Workload::ALL[..=last] {
        let timed = chosen(workload);
        if failed {
            if timed {
                report.results.push((workload, Outcome::Failed));
            }
            continue;
        }
        if !timed && !workload.loads() {
            continue;
        }
        if engine.is_none() && workload != Workload::FileSize {
            match E::open(dir.path(), &params.config) {
                Ok(opened) => {
                    eprintln!("{}: {} in {:?}", E::NAME, opened.settings(), dir.path());
                    engine = Some(opened);
                }
                Err(err) => {
                    eprintln!("{}: open failed: {err}", E::NAME);
                    failed = true;
                    if timed {
                        report.results.push((workload, Outcome::Failed));
                    }
                    continue;
                }
            }
        }
        let outcome = match (workload, engine.as_ref()) {
            (Workload::FileSize, _) => {
                drop(engine.take()); // close first, so the size is what stays on disk
                dir_size(dir.path()).map(Outcome::Bytes)
            }
            (_, Some(engine)) => {
                let start = Instant::now();
                run_workload(engine, params, workload)
                    .map(|checks| {
                        let ms = start.elapsed().as_secs_f64() * 1e3;
                        report.problems += checks.report(E::NAME, workload);
                        Outcome::Millis(ms)
                    })
                    .and_then(|outcome| {
                        if workload == Workload::Removals {
                            report.problems += check_empty(engine)?;
                        }
                        Ok(outcome)
                    })
            }
            (_, None) => Err("engine not open".into()),
        };
        match outcome {
            Ok(outcome) => {
                let role = if timed { "" } else { " (setup, untimed)" };
                let unit = if workload == Workload::FileSize {
                    " bytes"
                } else {
                    " ms"
                };
                eprintln!("{}: {}{role}: {outcome}{unit}", E::NAME, workload.name());
                if timed {
                    report.results.push((workload, outcome));
                }
            }
            Err(err) => {
                eprintln!("{}: {}: ERROR: {err}", E::NAME, workload.name());
                failed = true;
                if timed {
                    report.results.push((workload, Outcome::Failed));
                }
            }
        }
    }
    drop(engine);
    report
}

/// Runs one workload (timed by the caller).
fn run_workload<E: KvEngine>(engine: &E, params: &KvParams, workload: Workload) -> Result<Checks> {
    let n = params.n;
    let keys = KeyGen::new(params.seed);
    let insert = |w: &mut dyn KvWriter, i: u64| w.insert(&keys.key(i), &keys.value(i));
    match workload {
        Workload::BulkLoad => engine.write(|w| (0..n).try_for_each(|i| insert(w, i)))?,
        Workload::IndividualWrites => {
            for i in n..n + INDIVIDUAL_WRITES {
                engine.write(|w| insert(w, i))?;
            }
        }
        Workload::BatchWrites => {
            let first = n + INDIVIDUAL_WRITES;
            for batch in 0..BATCHES {
                let start = first + batch * BATCH_SIZE;
                engine.write(|w| (start..start + BATCH_SIZE).try_for_each(|i| insert(w, i)))?;
            }
        }
        Workload::RandomReads => {
            let order = Permutation::new(loaded_keys(n), params.seed ^ READ_ORDER);
            return point_reads(engine, &keys, &order, 0..n);
        }
        Workload::RandomReads2Threads => {
            let order = Permutation::new(loaded_keys(n), params.seed ^ READ_ORDER);
            let (keys, order) = (&keys, &order);
            return std::thread::scope(|s| {
                let first = s.spawn(move || point_reads(engine, keys, order, 0..n / 2));
                let second = point_reads(engine, keys, order, n / 2..n);
                let mut checks = first.join().map_err(|_| "reader thread panicked")??;
                checks.add(second?);
                Ok(checks)
            });
        }
        Workload::RangeReads => return range_reads(engine, &keys, params),
        Workload::Removals => {
            engine.write(|w| (0..loaded_keys(n)).try_for_each(|i| w.remove(&keys.key(i))))?
        }
        Workload::FileSize => unreachable!("measured by the caller"),
    }
    Ok(Checks::default())
}

/// Reads the keys at `positions` of `order` in one read transaction, checking each value.
fn point_reads<E: KvEngine>(
    engine: &E,
    keys: &KeyGen,
    order: &Permutation,
    positions: std::ops::Range<u64>,
) -> Result<Checks> {
    let mut reader = engine.reader()?;
    let mut checks = Checks::default();
    for position in positions {
        let i = order.at(position);
        match reader.get(&keys.key(i), |value| {
            (value.len(), keys.check_value(i, value))
        })? {
            Some((len, ok)) => {
                checks.value_bytes += len as u64;
                checks.wrong += u64::from(!ok);
            }
            None => checks.missing += 1,
        }
    }
    Ok(checks)
}

/// [`scans`]`(n)` scans of [`SCAN_LEN`] entries, each starting at a random existing key.
fn range_reads<E: KvEngine>(engine: &E, keys: &KeyGen, params: &KvParams) -> Result<Checks> {
    let order = Permutation::new(loaded_keys(params.n), params.seed ^ SCAN_ORDER);
    let mut reader = engine.reader()?;
    let mut checks = Checks::default();
    for position in 0..scans(params.n) {
        let start = keys.key(order.at(position));
        let mut first = true;
        reader.scan(&start, SCAN_LEN, |key, value| {
            if first {
                // The start key exists, so the scan must begin exactly there.
                checks.missing += u64::from(key != start);
                first = false;
            }
            checks.value_bytes += value.len() as u64;
            checks.wrong += u64::from(value.len() != crate::keys::VALUE_LEN);
        })?;
        checks.missing += u64::from(first);
    }
    Ok(checks)
}

/// After `removals`: 0 if the table is empty, else reports and returns 1.
fn check_empty<E: KvEngine>(engine: &E) -> Result<u64> {
    let left = engine.reader()?.scan(&[], 1, |_, _| {})?;
    if left > 0 {
        eprintln!(
            "{}: removals: ERROR: the table is not empty afterwards",
            E::NAME
        );
    }
    Ok(left as u64)
}

/// Total bytes of the files under `dir` (apparent sizes, recursively).
pub fn dir_size(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() {
            dir_size(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}
