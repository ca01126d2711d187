//! The `commits` suite: N small commits (one insert each, default 100,000) with no checkpoint
//! in between, timed in ten buckets, to show whether the cost of a commit grows with the WAL.
//!
//! Engines: the WAL engines, covet (`autocheckpoint_frames = u64::MAX`) and SQLite
//! (`wal_autocheckpoint=0`), each with synced commits (`full`: covet `Durability::Full`, SQLite
//! `synchronous=FULL`; fsync-bound) and without (`off`: `Durability::Off`, `synchronous=OFF`;
//! what publishing a commit costs shows). Each (engine, durability) runs in its own child, in a
//! fresh directory, into one empty table.
//!
//! Lines per child: `bucket` (ms for commits `first_commit..first_commit + commits`),
//! `last_over_first` (the last bucket's time per commit over the first's; about 1 when the
//! per-commit cost stays constant), `wal_bytes` (the `-wal` file after the last commit, before
//! closing: it shows no checkpoint ran), `close` (the final checkpoint, timed) and `peak_rss`.
//! After the commits every key is read back (untimed); a missing or wrong one fails the run.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use crate::engines::{EngineConfig, KvEngine, KvReader, Phase, Result};
use crate::keys::KeyGen;
use crate::protocol::{self, Report};

/// Buckets the commits are timed in.
pub const BUCKETS: u64 = 10;

/// The engines that have a WAL whose checkpoints the harness can turn off.
pub const ENGINES: &[&str] = &["covet", "sqlite"];

/// The commits of bucket `b` of `n`: ten buckets of `ceil(n / 10)`, the last one shorter when
/// `n` is not a multiple of ten (and empty buckets dropped when `n < 10`).
pub fn bucket(n: u64, b: u64) -> std::ops::Range<u64> {
    let size = n.div_ceil(BUCKETS);
    (b * size).min(n)..((b + 1) * size).min(n)
}

/// Runs the suite on `E` (opened with `config`, whose checkpoints must be off) in `dir`.
pub fn run_child<E: KvEngine, W: Write>(
    n: u64,
    seed: u64,
    config: &EngineConfig,
    dir: &Path,
    report: &mut Report<W>,
) {
    if let Err(err) = run::<E, W>(n, seed, config, dir, report) {
        eprintln!("{}: commits: ERROR: {err}", E::NAME);
        report.fail();
    }

    fn run<E: KvEngine, W: Write>(
        n: u64,
        seed: u64,
        config: &EngineConfig,
        dir: &Path,
        report: &mut Report<W>,
    ) -> Result<()> {
        let engine = E::open(dir, config)?;
        report.settings(&engine.settings()?);
        engine.prepare(Phase::Write)?;
        let keys = KeyGen::new(seed);
        let mut per_commit = Vec::new();
        for b in 0..BUCKETS {
            let range = bucket(n, b);
            if range.is_empty() {
                continue;
            }
            let count = range.end - range.start;
            let start = Instant::now();
            for i in range.clone() {
                engine.write(|w| w.insert(&keys.key(i), &keys.value(i)))?;
            }
            let ms = start.elapsed().as_secs_f64() * 1e3;
            eprintln!(
                "{}: commits {}..{}: {ms:.3} ms ({:.1} us per commit)",
                E::NAME,
                range.start,
                range.end,
                ms * 1e3 / count as f64
            );
            report.measure_line(
                &format!(
                    "\"workload\":\"bucket\",\"bucket\":{b},\"first_commit\":{},\"commits\":{count}",
                    range.start
                ),
                "ms",
                Some(ms),
            );
            per_commit.push(ms / count as f64);
        }
        if let (Some(first), Some(last)) = (per_commit.first(), per_commit.last()) {
            report.measure("last_over_first", "ratio", Some(last / first));
        }
        report.measure("wal_bytes", "bytes", Some(wal_bytes(dir)? as f64));
        engine.prepare(Phase::Read { threads: 1 })?;
        check_all(&engine, &keys, n)?;
        let start = Instant::now();
        engine.close()?;
        report.measure("close", "ms", Some(start.elapsed().as_secs_f64() * 1e3));
        report.measure(
            "peak_rss",
            "KiB",
            protocol::peak_rss_kib().map(|kib| kib as f64),
        );
        Ok(())
    }
}

/// Reads every key back: all `n` there with their values, nothing else.
fn check_all<E: KvEngine>(engine: &E, keys: &KeyGen, n: u64) -> Result<()> {
    let mut reader = engine.reader()?;
    let (mut missing, mut wrong) = (0u64, 0u64);
    for i in 0..n {
        match reader.get(&keys.key(i), |v| keys.check_value(i, v))? {
            Some(true) => {}
            Some(false) => wrong += 1,
            None => missing += 1,
        }
    }
    let total = reader.scan(&[], usize::try_from(n)? + 1, |_, _| {})?;
    if missing + wrong > 0 || total as u64 != n {
        return Err(format!(
            "after the commits: {missing} keys missing, {wrong} wrong values, {total} entries \
             (expected {n})"
        )
        .into());
    }
    Ok(())
}

/// Bytes in the files of `dir` whose names end in `-wal`.
fn wal_bytes(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_name().to_string_lossy().ends_with("-wal") {
            total += entry.metadata()?.len();
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_every_commit_once() {
        for n in [1u64, 7, 10, 25, 100_000, 100_003] {
            let ranges: Vec<_> = (0..BUCKETS).map(|b| bucket(n, b)).collect();
            let mut next = 0;
            for r in ranges.iter().filter(|r| !r.is_empty()) {
                assert_eq!(r.start, next, "n {n}");
                next = r.end;
            }
            assert_eq!(next, n);
        }
        assert_eq!(bucket(100_000, 3), 30_000..40_000);
        assert_eq!(bucket(25, 9), 25..25);
        assert_eq!(bucket(25, 8), 24..25);
    }

    #[test]
    fn covet_and_sqlite_run_without_checkpoints() {
        for (name, sync) in [
            ("covet", crate::engines::SyncMode::Full),
            ("sqlite", crate::engines::SyncMode::Off),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let config = EngineConfig {
                sync,
                autocheckpoint: false,
                ..EngineConfig::durable(1 << 20)
            };
            let mut report = Report::new(Vec::new());
            struct Run<'a>(&'a EngineConfig, &'a Path, &'a mut Report<Vec<u8>>);
            impl crate::engines::EngineVisitor for Run<'_> {
                type Output = ();
                fn visit<E: KvEngine>(self) {
                    run_child::<E, _>(25, 3, self.0, self.1, self.2)
                }
            }
            crate::engines::run_by_name(name, Run(&config, dir.path(), &mut report)).unwrap();
            assert!(!report.failed(), "{name}");
            let text = String::from_utf8(report.into_inner()).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            // settings, 9 non-empty buckets (25 = 9 × 3 - 2), ratio, wal, close, rss
            assert_eq!(lines.len(), 1 + 9 + 4, "{name}: {text}");
            assert!(lines[1].contains("\"bucket\":0,\"first_commit\":0,\"commits\":3"));
            assert!(lines[9].contains("\"bucket\":8,\"first_commit\":24,\"commits\":1"));
            // Nothing checkpointed the WAL before the close: it holds the commits.
            let wal = lines[11];
            assert!(
                wal.starts_with("measure\t\"workload\":\"wal_bytes\"\tbytes\t"),
                "{wal}"
            );
            let bytes: u64 = wal.rsplit('\t').next().unwrap().parse().unwrap();
            assert!(
                bytes > 25 * 1024,
                "{name}: WAL of {bytes} bytes for 25 commits"
            );
        }
    }
}
