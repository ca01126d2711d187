//! The `kv` suite: redb's comparison workloads, run on one engine per child process.
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
//! | `close`                  | closing the engine: a WAL engine's final checkpoint, a flush    |
//! | `file_size`              | bytes on disk of the engine's directory, after closing it       |
//!
//! Point reads check each value (length and first 8 bytes); each scan's entries are checked
//! exactly (count, order, values: [`crate::scan_check`]); `removals` checks the table is empty.
//! A failed check fails the workload (its result is `null` and the run's exit status non-zero).
//! When a subset of workloads is chosen, the loading workloads (the first three) that a later
//! chosen workload depends on still run, untimed, as setup; `removals` only runs when chosen, so
//! `--workloads file_size` measures the loaded database. The engine is always closed at the end
//! of the sequence, untimed unless `close` is chosen. The child also reports its peak RSS
//! (`peak_rss`, KiB), which includes the harness's sorted key list when `range_reads` runs.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use crate::engines::{EngineConfig, KvEngine, KvReader, KvWriter, Phase, Result};
use crate::keys::{KeyGen, Permutation, KEY_LEN};
use crate::protocol::{self, Report};
use crate::scan_check::{ScanDigest, SortedKeys};

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
    /// Closing the engine.
    Close,
    /// Size on disk after the other workloads.
    FileSize,
}

impl Workload {
    /// Every workload, in the order they run.
    pub const ALL: [Workload; 9] = [
        Workload::BulkLoad,
        Workload::IndividualWrites,
        Workload::BatchWrites,
        Workload::RandomReads,
        Workload::RangeReads,
        Workload::RandomReads2Threads,
        Workload::Removals,
        Workload::Close,
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
            Workload::Close => "close",
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

    /// An error if any check failed.
    fn verdict(&self) -> Result<()> {
        std::hint::black_box(self.value_bytes);
        if self.missing + self.wrong > 0 {
            return Err(
                format!("{} missing keys, {} wrong values", self.missing, self.wrong).into(),
            );
        }
        Ok(())
    }
}

/// Runs the chosen workloads on engine `E` in the empty directory `dir`, reporting each
/// result as it comes.
pub fn run_child<E: KvEngine, W: Write>(params: &KvParams, dir: &Path, report: &mut Report<W>) {
    let chosen = |w: Workload| params.workloads.contains(&w);
    let Some(last) = Workload::ALL.iter().rposition(|&w| chosen(w)) else {
        return;
    };
    let sequence = &Workload::ALL[..=last];
    let fail_rest = |report: &mut Report<W>, from: usize| {
        for &w in &sequence[from..] {
            if chosen(w) {
                report.measure(w.name(), w.unit(), None);
            }
        }
        report.fail();
    };
    let mut engine = match E::open(dir, &params.config) {
        Ok(engine) => Some(engine),
        Err(err) => {
            eprintln!("{}: open failed: {err}", E::NAME);
            return fail_rest(report, 0);
        }
    };
    match engine.as_ref().map(E::settings) {
        Some(Ok(settings)) => report.settings(&settings),
        Some(Err(err)) => {
            eprintln!("{}: reading the settings back failed: {err}", E::NAME);
            report.fail();
        }
        None => {}
    }
    for (at, &workload) in sequence.iter().enumerate() {
        let timed = chosen(workload);
        if !timed && !workload.loads() && workload != Workload::Close {
            continue;
        }
        let result = match workload {
            Workload::Close => match engine.take() {
                Some(open) => {
                    let start = Instant::now();
                    open.close().map(|()| elapsed_ms(start))
                }
                None => Ok(0.0),
            },
            Workload::FileSize => crate::kv::dir_size(dir).map(|bytes| bytes as f64),
            _ => match engine.as_ref() {
                Some(open) => timed_workload(open, params, workload),
                None => Err("engine closed".into()),
            },
        };
        match result {
            Ok(value) => {
                let role = if timed { "" } else { " (setup, untimed)" };
                eprintln!(
                    "{}: {}{role}: {} {}",
                    E::NAME,
                    workload.name(),
                    crate::json::number(Some(value), workload.unit()),
                    workload.unit()
                );
                if timed {
                    report.measure(workload.name(), workload.unit(), Some(value));
                }
            }
            Err(err) => {
                eprintln!("{}: {}: ERROR: {err}", E::NAME, workload.name());
                return fail_rest(report, at);
            }
        }
    }
    if let Some(open) = engine.take() {
        if let Err(err) = open.close() {
            eprintln!("{}: close: ERROR: {err}", E::NAME);
            report.fail();
        }
    }
    report.measure(
        "peak_rss",
        "KiB",
        protocol::peak_rss_kib().map(|kib| kib as f64),
    );
}

fn elapsed_ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1e3
}

/// Prepares `engine` for `workload`, runs it and checks it; returns the milliseconds the run
/// itself took (setup and checks are not timed).
fn timed_workload<E: KvEngine>(engine: &E, params: &KvParams, workload: Workload) -> Result<f64> {
    engine.prepare(match workload {
        Workload::RandomReads | Workload::RangeReads => Phase::Read { threads: 1 },
        Workload::RandomReads2Threads => Phase::Read { threads: 2 },
        _ => Phase::Write,
    })?;
    if workload == Workload::RangeReads {
        return range_reads(engine, params);
    }
    let start = Instant::now();
    let checks = run_workload(engine, params, workload)?;
    let ms = elapsed_ms(start);
    checks.verdict()?;
    if workload == Workload::Removals {
        check_empty(engine)?;
    }
    Ok(ms)
}

/// Runs one workload (timed by the caller); not `range_reads`, `close` or `file_size`.
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
        Workload::Removals => {
            engine.write(|w| (0..loaded_keys(n)).try_for_each(|i| w.remove(&keys.key(i))))?
        }
        Workload::RangeReads | Workload::Close | Workload::FileSize => {
            return Err(format!("{} is not run here", workload.name()).into())
        }
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

/// [`scans`]`(n)` scans of [`SCAN_LEN`] entries, each starting at a random existing key,
/// timed; then the exact check of [`crate::scan_check`]. Returns the milliseconds.
fn range_reads<E: KvEngine>(engine: &E, params: &KvParams) -> Result<f64> {
    let keys = KeyGen::new(params.seed);
    let order = Permutation::new(loaded_keys(params.n), params.seed ^ SCAN_ORDER);
    let starts = || (0..scans(params.n)).map(|position| keys.key(order.at(position)));
    // The sorted keys (32 bytes per key) are not kept through the timing; a mismatch rebuilds
    // them to name the wrong scan.
    let sorted_keys = || SortedKeys::build(&keys, loaded_keys(params.n));
    let expected = sorted_keys().digest(starts(), SCAN_LEN)?;

    let mut reader = engine.reader()?;
    let mut digest = ScanDigest::new();
    let mut miscounted = 0u64;
    let start_time = Instant::now();
    for start in starts() {
        let mut seen = 0;
        let count = reader.scan(&start, SCAN_LEN, |key, value| {
            digest.entry(key, value);
            seen += 1;
        })?;
        digest.end_scan(seen);
        miscounted += u64::from(count != seen);
    }
    let ms = elapsed_ms(start_time);
    if miscounted > 0 {
        return Err(format!("{miscounted} scans reported another count than they visited").into());
    }
    if digest != expected {
        return Err(diagnose_scans(&mut reader, &sorted_keys(), starts())?.into());
    }
    Ok(ms)
}

/// After a digest mismatch: reruns the scans (untimed) and describes the wrong ones.
fn diagnose_scans<R: KvReader>(
    reader: &mut R,
    sorted: &SortedKeys,
    starts: impl Iterator<Item = [u8; KEY_LEN]>,
) -> Result<String> {
    let (mut bad, mut total, mut first) = (0u64, 0u64, None);
    for (position, start) in starts.enumerate() {
        let mut got = Vec::with_capacity(SCAN_LEN);
        reader.scan(&start, SCAN_LEN, |key, value| {
            got.push((key.to_vec(), value.to_vec()))
        })?;
        total += 1;
        if let Some(what) = sorted.diagnose(&start, SCAN_LEN, &got) {
            bad += 1;
            first.get_or_insert(format!("scan {position}: {what}"));
        }
    }
    Ok(match first {
        Some(first) => format!("{bad} of {total} scans returned wrong entries; first: {first}"),
        None => format!(
            "the scans' digest differs from the expected one, but a second pass over all \
             {total} scans found each right: the engine returned different results twice"
        ),
    })
}

/// After `removals`: an error unless the table is empty.
fn check_empty<E: KvEngine>(engine: &E) -> Result<()> {
    let left = engine.reader()?.scan(&[], 1, |_, _| {})?;
    if left > 0 {
        return Err("the table is not empty afterwards".into());
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::engines::Settings;
    use crate::protocol::{parse, Message};

    /// What a [`Memory`] engine gets wrong.
    const RIGHT: u8 = 0;
    const SCAN_SKIPS: u8 = 1;
    const SCAN_SWAPS: u8 = 2;
    const SCAN_SHORT: u8 = 3;
    const GET_MISSES: u8 = 4;

    type Map = BTreeMap<Vec<u8>, Vec<u8>>;

    /// An in-memory engine, right or wrong in one way (`FAULT`), to test the harness's checks.
    struct Memory<const FAULT: u8>(Mutex<Arc<Map>>);

    /// Holds the map while a write runs (the harness never abandons a write in this suite).
    struct MemoryWriter(Map);

    impl KvWriter for MemoryWriter {
        fn insert(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
            self.0.insert(key.to_vec(), value.to_vec());
            Ok(())
        }
        fn remove(&mut self, key: &[u8]) -> Result<()> {
            self.0.remove(key);
            Ok(())
        }
    }

    struct MemoryReader<const FAULT: u8>(Arc<Map>);

    impl<const FAULT: u8> KvReader for MemoryReader<FAULT> {
        fn get<R>(&mut self, key: &[u8], f: impl FnOnce(&[u8]) -> R) -> Result<Option<R>> {
            if FAULT == GET_MISSES && key.first().is_some_and(|&b| b < 8) {
                return Ok(None);
            }
            Ok(self.0.get(key).map(|v| f(v)))
        }

        fn scan(
            &mut self,
            start: &[u8],
            limit: usize,
            mut f: impl FnMut(&[u8], &[u8]),
        ) -> Result<usize> {
            let mut entries: Vec<(&Vec<u8>, &Vec<u8>)> =
                self.0.range(start.to_vec()..).take(limit + 1).collect();
            let odd = start.first().is_some_and(|b| b % 2 == 1);
            match FAULT {
                SCAN_SKIPS if odd && entries.len() > 2 => drop(entries.remove(2)),
                SCAN_SWAPS if odd && entries.len() > 2 => entries.swap(1, 2),
                SCAN_SHORT if odd && entries.len() > 1 => drop(entries.pop()),
                _ => {}
            }
            entries.truncate(limit);
            if FAULT == SCAN_SHORT && odd {
                entries.pop();
            }
            for (k, v) in &entries {
                f(k, v);
            }
            Ok(entries.len())
        }
    }

    impl<const FAULT: u8> KvEngine for Memory<FAULT> {
        const NAME: &'static str = "memory";
        type Reader<'a> = MemoryReader<FAULT>;

        fn open(_dir: &Path, _config: &EngineConfig) -> Result<Self> {
            Ok(Memory(Mutex::new(Arc::new(Map::new()))))
        }

        fn settings(&self) -> Result<Settings> {
            Ok(Settings::new().passed("fault", u64::from(FAULT)))
        }

        fn write<F>(&self, body: F) -> Result<()>
        where
            F: FnOnce(&mut dyn KvWriter) -> Result<()>,
        {
            // No reader is alive during a write, so `make_mut` changes the map in place.
            let mut guard = self.0.lock().unwrap();
            let mut writer = MemoryWriter(std::mem::take(Arc::make_mut(&mut guard)));
            let result = body(&mut writer);
            *guard = Arc::new(writer.0);
            result
        }

        fn reader(&self) -> Result<MemoryReader<FAULT>> {
            Ok(MemoryReader(self.0.lock().unwrap().clone()))
        }
    }

    /// The workloads reported by a run of `Memory<FAULT>` (None for a `null`), and whether
    /// the report failed.
    fn run<const FAULT: u8>() -> (Vec<(String, Option<f64>)>, bool) {
        let dir = tempfile::tempdir().unwrap();
        let params = KvParams {
            n: 40,
            seed: 3,
            config: EngineConfig::durable(1 << 20),
            workloads: Workload::ALL.to_vec(),
        };
        let mut report = Report::new(Vec::new());
        run_child::<Memory<FAULT>, _>(&params, dir.path(), &mut report);
        let failed = report.failed();
        let text = String::from_utf8(report.into_inner()).unwrap();
        let measured = text
            .lines()
            .filter_map(|l| match parse(l).unwrap() {
                Message::Measure(m) => Some((m.line, m.value)),
                Message::Settings(_) => None,
            })
            .collect();
        (measured, failed)
    }

    fn names(measured: &[(String, Option<f64>)], null: bool) -> Vec<&str> {
        measured
            .iter()
            .filter(|(_, v)| v.is_none() == null)
            .map(|(l, _)| l.trim_start_matches("\"workload\":").trim_matches('"'))
            .collect()
    }

    #[test]
    fn a_right_engine_passes_every_check() {
        let (measured, failed) = run::<RIGHT>();
        assert!(!failed);
        let mut all: Vec<&str> = Workload::ALL.iter().map(|w| w.name()).collect();
        all.push("peak_rss");
        assert_eq!(names(&measured, false), all);
    }

    #[test]
    fn a_wrong_scan_or_read_fails_the_run_instead_of_giving_a_number() {
        let reads_on = ["bulk_load", "individual_writes", "batch_writes"];
        for (fault, first_null) in [
            (run::<SCAN_SKIPS>(), "range_reads"),
            (run::<SCAN_SWAPS>(), "range_reads"),
            (run::<SCAN_SHORT>(), "range_reads"),
            (run::<GET_MISSES>(), "random_reads"),
        ] {
            let (measured, failed) = fault;
            assert!(failed, "{first_null}");
            let ok = names(&measured, false);
            let at = Workload::ALL
                .iter()
                .position(|w| w.name() == first_null)
                .unwrap();
            // Every workload before the failing one has a number; it and the rest are null.
            assert_eq!(
                ok[..at],
                Workload::ALL[..at]
                    .iter()
                    .map(|w| w.name())
                    .collect::<Vec<_>>()[..],
                "{first_null}"
            );
            assert_eq!(names(&measured, true)[0], first_null);
            assert!(reads_on.iter().all(|w| ok.contains(w)));
        }
    }
}
