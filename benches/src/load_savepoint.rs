//! The `load_savepoint` suite (covet only): N rows (default 5,000,000) loaded through covet's
//! table layer in one transaction, once plainly and once inside a savepoint, each in its own
//! child process so each has its own peak RSS.
//!
//! The table is `load(id BIGINT PRIMARY KEY NOT NULL, value BLOB)`; row `id` holds the 150-byte
//! value `id` of the key generator, and the rows arrive in a seeded random order of `0..N`
//! (as a SQL `INSERT .. SELECT` of unsorted data would). The SQL layer runs every statement in
//! a savepoint, so the `savepoint` mode is `WriteTxn::savepoint()`, the N `insert_row` calls,
//! `release`, then the durable commit; the `plain` mode is the same without the savepoint.
//!
//! Lines per child: `load` (begin to durable commit), `close` (the final checkpoint and the
//! drop: a load whose pages went to the WAL pays for copying them here), `load_and_close`,
//! `peak_rss` (KiB, `VmHWM` after the close), `file_size` (after the close). The parent adds
//! `load_ratio` and `load_and_close_ratio` (savepoint over plain, per round). After that the
//! database is reopened and every row is read back in key order (untimed); a missing, extra or
//! wrong row fails the run.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use covet_engine::table::{ColumnDef, TableRead, TableSchema};
use covet_engine::value::{SqlType, Value};
use covet_engine::Database;

use crate::engines::{self, EngineConfig, Result};
use crate::keys::{KeyGen, Permutation};
use crate::protocol::{self, Report};

/// The table loaded.
pub const TABLE: &str = "load";

/// Seed tweak of the insertion order.
const LOAD_ORDER: u64 = 0x4C4F_4144; // "LOAD"

/// How the rows are loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// One transaction, no savepoint.
    Plain,
    /// One transaction, every row inside one savepoint, released before the commit.
    Savepoint,
}

impl Mode {
    /// Both modes, in the order they are reported.
    pub const ALL: [Mode; 2] = [Mode::Plain, Mode::Savepoint];

    /// The name used in `--modes` and in the JSON output.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Plain => "plain",
            Mode::Savepoint => "savepoint",
        }
    }

    /// The mode called `name`.
    pub fn from_name(name: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.name() == name)
    }
}

fn schema() -> TableSchema {
    TableSchema::new(
        TABLE,
        vec![
            ColumnDef::new("id", SqlType::BigInt).not_null(),
            ColumnDef::new("value", SqlType::Blob),
        ],
    )
    .with_primary_key(vec![0])
}

fn row(keys: &KeyGen, id: u64) -> Vec<Value> {
    vec![Value::Int(id as i64), Value::Blob(keys.value(id).to_vec())]
}

/// Runs one load of `n` rows in `mode` in the empty directory `dir`.
pub fn run_child<W: Write>(
    n: u64,
    seed: u64,
    cache_bytes: u64,
    mode: Mode,
    dir: &Path,
    report: &mut Report<W>,
) {
    if let Err(err) = run(n, seed, cache_bytes, mode, dir, report) {
        eprintln!("covet: load_savepoint ({}): ERROR: {err}", mode.name());
        report.fail();
    }
}

fn run<W: Write>(
    n: u64,
    seed: u64,
    cache_bytes: u64,
    mode: Mode,
    dir: &Path,
    report: &mut Report<W>,
) -> Result<()> {
    let options = engines::covet::options(&EngineConfig::durable(cache_bytes))?;
    let path = dir.join("db.covet");
    let db = Database::open(&path, options.clone())?;
    report.settings(&engines::covet::settings(&db, &options).passed("mode", mode.name()));
    let mut w = db.begin_write()?;
    w.tables().create_table(schema())?;
    w.commit()?;

    let keys = KeyGen::new(seed);
    let order = Permutation::new(n, seed ^ LOAD_ORDER);
    let start = Instant::now();
    let mut w = db.begin_write()?;
    {
        let mut t = w.tables();
        let savepoint = match mode {
            Mode::Savepoint => Some(t.savepoint()?),
            Mode::Plain => None,
        };
        for position in 0..n {
            t.insert_row(TABLE, row(&keys, order.at(position)))?;
        }
        if let Some(sp) = savepoint {
            t.release(sp)?;
        }
    }
    w.commit()?;
    let load = ms_since(start);
    report.measure("load", "ms", Some(load));
    eprintln!("covet: load ({}): {load:.3} ms", mode.name());

    let start = Instant::now();
    db.checkpoint()?;
    drop(db);
    let close = ms_since(start);
    report.measure("close", "ms", Some(close));
    report.measure("load_and_close", "ms", Some(load + close));
    report.measure(
        "peak_rss",
        "KiB",
        protocol::peak_rss_kib().map(|kib| kib as f64),
    );
    report.measure("file_size", "bytes", Some(crate::kv::dir_size(dir)? as f64));
    eprintln!("covet: close ({}): {close:.3} ms", mode.name());
    check_rows(&path, &options, &keys, n)
}

fn ms_since(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1e3
}

/// Reopens the database and reads every row in key order: ids `0..n`, each with its value.
fn check_rows(path: &Path, options: &covet_engine::Options, keys: &KeyGen, n: u64) -> Result<()> {
    let db = Database::open(path, options.clone())?;
    let txn = db.begin_read()?;
    let tables = txn.tables();
    let mut expected = 0u64;
    for row in tables.scan(TABLE)? {
        let row = row?;
        if expected >= n || row.values != self::row(keys, expected) {
            return Err(format!(
                "row {expected} of the reopened table is {:?}, not row {expected} of {n}",
                row.values.first()
            )
            .into());
        }
        expected += 1;
    }
    if expected != n {
        return Err(format!("the reopened table holds {expected} rows, not {n}").into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_modes_load_every_row_and_report_each_line() {
        for mode in Mode::ALL {
            let dir = tempfile::tempdir().unwrap();
            let mut report = Report::new(Vec::new());
            run_child(500, 3, 1 << 20, mode, dir.path(), &mut report);
            assert!(!report.failed(), "{mode:?}");
            let text = String::from_utf8(report.into_inner()).unwrap();
            let fields: Vec<&str> = text
                .lines()
                .map(|l| l.split('\t').nth(1).unwrap())
                .collect();
            assert_eq!(fields.len(), 6, "{text}");
            // The option values are the engine's defaults (not pinned here); the read-back ones
            // and the mode are this run's.
            assert!(
                fields[0].starts_with(
                    "{\"read_back\":{\"page_size\":4096,\"cache_capacity_bytes\":1048576},"
                ),
                "{}",
                fields[0]
            );
            assert!(
                fields[0].ends_with(&format!("\"mode\":\"{}\"}}}}", mode.name())),
                "{}",
                fields[0]
            );
            assert_eq!(
                fields[1..],
                [
                    "\"workload\":\"load\"",
                    "\"workload\":\"close\"",
                    "\"workload\":\"load_and_close\"",
                    "\"workload\":\"peak_rss\"",
                    "\"workload\":\"file_size\"",
                ]
            );
        }
    }

    #[test]
    fn a_missing_row_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let mut report = Report::new(Vec::new());
        run_child(50, 3, 1 << 20, Mode::Plain, dir.path(), &mut report);
        assert!(!report.failed());
        let path = dir.path().join("db.covet");
        let options = engines::covet::options(&EngineConfig::durable(1 << 20)).unwrap();
        let keys = KeyGen::new(3);
        check_rows(&path, &options, &keys, 50).unwrap();
        let err = check_rows(&path, &options, &keys, 51).unwrap_err();
        assert_eq!(err.to_string(), "the reopened table holds 50 rows, not 51");
        let db = Database::open(&path, options.clone()).unwrap();
        let mut w = db.begin_write().unwrap();
        w.tables().delete_row(TABLE, &[Value::Int(7)]).unwrap();
        w.commit().unwrap();
        drop(db);
        let err = check_rows(&path, &options, &keys, 50).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("row 7 of the reopened table is Some(Int(8))"),
            "{err}"
        );
    }
}
