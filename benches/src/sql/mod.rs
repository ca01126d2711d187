//! The `sql` suite: the same SQL workloads on covet (through its Rust API, the `covet` facade) and on
//! SQLite (rusqlite), one engine per child process, on the same generated rows.
//!
//! The table is `t(id INTEGER PRIMARY KEY, k INTEGER, a TEXT, b TEXT, c DOUBLE PRECISION,
//! d INTEGER)` with the index `t_k` on `k`; its `n` rows come from [`data::RowGen`]. The
//! workloads run in this order, each only when chosen, except `load`, which always runs (untimed
//! unless chosen) since every other one reads or changes the loaded table:
//!
//! | workload          | what is timed                                                       |
//! |-------------------|---------------------------------------------------------------------|
//! | `load`            | rows `0..n` by one prepared `INSERT`, in one transaction            |
//! | `point_select`    | 100,000 prepared selects by primary key (a seeded random order)     |
//! | `range_1000`      | 1,000 selects of the 1,000 rows with `k` in a random range (index)  |
//! | `stream`          | `SELECT` of all n rows, every value touched                         |
//! | `order_by_stream` | all n rows `ORDER BY c` (not indexed: a sort), streamed             |
//! | `insert_10k`      | 10,000 new rows in one transaction                                  |
//! | `update_pk`       | 1,000 autocommit updates by primary key (1,000 durable commits)     |
//! | `delete_pk`       | 1,000 autocommit deletes by primary key (1,000 durable commits)     |
//!
//! The reads run on the table as loaded, before any write. Every read folds what it receives
//! into a [`data::RowDigest`] that must equal the digest of the rows it should have returned
//! (computed from the generator, untimed), `order_by_stream` also checks the order, and every
//! write checks its affected-row counts and, untimed afterwards, the table's count, sums or the
//! rows it wrote; a failed check makes the value `null` and the run fail. The child ends with
//! `peak_rss` (KiB).

pub mod covet;
pub mod data;
pub mod engine;
pub mod sqlite;

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use data::{FirstRow, RowDigest, RowGen, C_COLUMN};
use engine::{Param, SqlEngine};

use crate::engines::Result;
use crate::keys::Permutation;
use crate::protocol::{self, Report};

/// Selects in `point_select`.
pub const POINT_SELECTS: u64 = 100_000;
/// Selects in `range_1000`, and the rows each returns (fewer if `n` is smaller).
pub const RANGE_QUERIES: u64 = 1_000;
/// Rows per range in `range_1000`.
pub const RANGE_ROWS: u64 = 1_000;
/// Rows `insert_10k` inserts.
pub const INSERT_ROWS: u64 = 10_000;
/// Commits of `update_pk` and of `delete_pk` (fewer if `n` is smaller).
pub const WRITE_COMMITS: u64 = 1_000;

/// Seed tweaks so the orders are independent shuffles.
const POINT_ORDER: u64 = 0x50_4F49_4E54; // "POINT"
const RANGE_ORDER: u64 = 0x52_414E_4745; // "RANGE"
const UPDATE_ORDER: u64 = 0x5550_4441_5445; // "UPDATE"
const DELETE_ORDER: u64 = 0x4445_4C45_5445; // "DELETE"

const SCHEMA: &str = "CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER, a TEXT, b TEXT, \
                      c DOUBLE PRECISION, d INTEGER); CREATE INDEX t_k ON t (k);";
const INSERT: &str = "INSERT INTO t (id, k, a, b, c, d) VALUES ($1, $2, $3, $4, $5, $6)";
const POINT: &str = "SELECT id, k, a, b, c, d FROM t WHERE id = $1";
const RANGE: &str = "SELECT id, k, a, b, c, d FROM t WHERE k >= $1 AND k < $2";
const FROM_ID: &str = "SELECT id, k, a, b, c, d FROM t WHERE id >= $1";
const ALL: &str = "SELECT id, k, a, b, c, d FROM t";
const ORDERED: &str = "SELECT id, k, a, b, c, d FROM t ORDER BY c";
const UPDATE: &str = "UPDATE t SET d = d + 1 WHERE id = $1";
const DELETE: &str = "DELETE FROM t WHERE id = $1";
/// The untimed totals the writes are checked with (`CAST`: `sum` of integers is `numeric`
/// in PostgreSQL's typing, which covet follows).
const TOTALS: &str = "SELECT count(*), CAST(sum(k) AS BIGINT), CAST(sum(d) AS BIGINT) FROM t";

/// One workload of the suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// n rows in one transaction.
    Load,
    /// 100,000 selects by primary key.
    PointSelect,
    /// 1,000 indexed ranges of 1,000 rows.
    Range1000,
    /// All rows, streamed.
    Stream,
    /// All rows ordered by a non-indexed column, streamed.
    OrderByStream,
    /// 10,000 rows in one transaction.
    Insert10k,
    /// 1,000 durable updates by primary key.
    UpdatePk,
    /// 1,000 durable deletes by primary key.
    DeletePk,
}

impl Workload {
    /// Every workload, in the order they run.
    pub const ALL: [Workload; 8] = [
        Workload::Load,
        Workload::PointSelect,
        Workload::Range1000,
        Workload::Stream,
        Workload::OrderByStream,
        Workload::Insert10k,
        Workload::UpdatePk,
        Workload::DeletePk,
    ];

    /// The name used in `--workloads` and in the JSON output.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Load => "load",
            Workload::PointSelect => "point_select",
            Workload::Range1000 => "range_1000",
            Workload::Stream => "stream",
            Workload::OrderByStream => "order_by_stream",
            Workload::Insert10k => "insert_10k",
            Workload::UpdatePk => "update_pk",
            Workload::DeletePk => "delete_pk",
        }
    }

    /// The workload called `name`.
    pub fn from_name(name: &str) -> Option<Workload> {
        Workload::ALL.into_iter().find(|w| w.name() == name)
    }
}

/// The parameters of one child.
#[derive(Clone, Debug)]
pub struct SqlParams {
    /// Rows loaded.
    pub n: u64,
    /// Seed of the rows and orders.
    pub seed: u64,
    /// The engine's cache, in bytes.
    pub cache_bytes: u64,
    /// The workloads to time and report.
    pub workloads: Vec<Workload>,
}

/// Runs the chosen workloads on engine `E` in the empty directory `dir`, reporting each result
/// as it comes, then `peak_rss`.
pub fn run_child<E: SqlEngine, W: Write>(params: &SqlParams, dir: &Path, report: &mut Report<W>) {
    let chosen = |w: Workload| params.workloads.contains(&w);
    let fail_from = |report: &mut Report<W>, from: usize| {
        for &w in &Workload::ALL[from..] {
            if chosen(w) {
                report.measure(w.name(), "ms", None);
            }
        }
        report.fail();
    };
    let mut engine = match E::open(dir, params.cache_bytes) {
        Ok(engine) => engine,
        Err(err) => {
            eprintln!("{}: open failed: {err}", E::NAME);
            return fail_from(report, 0);
        }
    };
    match engine.settings() {
        Ok(settings) => report.settings(&settings),
        Err(err) => {
            eprintln!("{}: reading the settings back failed: {err}", E::NAME);
            report.fail();
        }
    }
    let gen = RowGen::new(params.n, params.seed);
    for (at, &workload) in Workload::ALL.iter().enumerate() {
        let timed = chosen(workload);
        if !timed && workload != Workload::Load {
            continue;
        }
        match run_workload(&mut engine, &gen, params.seed, workload) {
            Ok(ms) => {
                let role = if timed { "" } else { " (setup, untimed)" };
                eprintln!("{}: {}{role}: {ms:.3} ms", E::NAME, workload.name());
                if timed {
                    report.measure(workload.name(), "ms", Some(ms));
                }
            }
            Err(err) => {
                eprintln!("{}: {}: ERROR: {err}", E::NAME, workload.name());
                return fail_from(report, at);
            }
        }
    }
    if let Err(err) = engine.close() {
        eprintln!("{}: close: ERROR: {err}", E::NAME);
        report.fail();
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

/// Runs `workload` and its checks; returns the milliseconds of the timed part.
fn run_workload<E: SqlEngine>(
    engine: &mut E,
    gen: &RowGen,
    seed: u64,
    workload: Workload,
) -> Result<f64> {
    let n = gen.n();
    match workload {
        Workload::Load => {
            engine.batch(SCHEMA)?;
            let ms = insert_rows(engine, gen, 0..n)?;
            let n = n as i64;
            check_totals(engine, n, n * (n - 1) / 2, None)?;
            Ok(ms)
        }
        Workload::PointSelect => {
            let order = Permutation::new(n, seed ^ POINT_ORDER);
            let ids = || (0..POINT_SELECTS).map(|p| order.at(p % n));
            let mut digest = RowDigest::new();
            let start = Instant::now();
            engine.with_statement(POINT, |s| {
                ids().try_for_each(|id| s.query(&[Param::Int(id as i64)], &mut digest))
            })?;
            let ms = elapsed_ms(start);
            digest.check(&expected(gen, ids()), "point_select")?;
            Ok(ms)
        }
        Workload::Range1000 => {
            let span = RANGE_ROWS.min(n);
            let starts = || (0..RANGE_QUERIES).map(|q| range_start(seed, q, n - span + 1));
            let mut digest = RowDigest::new();
            let start = Instant::now();
            engine.with_statement(RANGE, |s| {
                starts().try_for_each(|k| {
                    let range = [Param::Int(k as i64), Param::Int((k + span) as i64)];
                    s.query(&range, &mut digest)
                })
            })?;
            let ms = elapsed_ms(start);
            let keys = gen.keys();
            let ids = starts().flat_map(|k| (k..k + span).map(|k| keys.row_of(k)));
            digest.check(&expected(gen, ids), "range_1000")?;
            Ok(ms)
        }
        Workload::Stream | Workload::OrderByStream => {
            let (sql, mut digest) = if workload == Workload::Stream {
                (ALL, RowDigest::new())
            } else {
                (ORDERED, RowDigest::ordered_by(C_COLUMN))
            };
            let start = Instant::now();
            engine.with_statement(sql, |s| s.query(&[], &mut digest))?;
            let ms = elapsed_ms(start);
            digest.check(&expected(gen, 0..n), workload.name())?;
            Ok(ms)
        }
        Workload::Insert10k => {
            let (rows, sum_k, _) = totals(engine)?;
            let ms = insert_rows(engine, gen, n..n + INSERT_ROWS)?;
            let added = (n..n + INSERT_ROWS).map(|i| i as i64).sum::<i64>();
            check_totals(engine, rows + INSERT_ROWS as i64, sum_k + added, None)?;
            let mut digest = RowDigest::new();
            engine.with_statement(FROM_ID, |s| s.query(&[Param::Int(n as i64)], &mut digest))?;
            digest.check(&expected(gen, n..n + INSERT_ROWS), "the inserted rows")?;
            Ok(ms)
        }
        Workload::UpdatePk => {
            let (rows, sum_k, sum_d) = totals(engine)?;
            let order = Permutation::new(n, seed ^ UPDATE_ORDER);
            let commits = WRITE_COMMITS.min(n);
            let start = Instant::now();
            let affected = engine.with_statement(UPDATE, |s| {
                (0..commits).try_fold(0, |sum, p| {
                    Ok(sum + s.execute(&[Param::Int(order.at(p) as i64)])?)
                })
            })?;
            let ms = elapsed_ms(start);
            if affected != commits {
                return Err(format!("{commits} updates affected {affected} rows").into());
            }
            check_totals(engine, rows, sum_k, Some(sum_d + commits as i64))?;
            Ok(ms)
        }
        Workload::DeletePk => {
            let (rows, _, _) = totals(engine)?;
            let order = Permutation::new(n, seed ^ DELETE_ORDER);
            let commits = WRITE_COMMITS.min(n);
            let start = Instant::now();
            let affected = engine.with_statement(DELETE, |s| {
                (0..commits).try_fold(0, |sum, p| {
                    Ok(sum + s.execute(&[Param::Int(order.at(p) as i64)])?)
                })
            })?;
            let ms = elapsed_ms(start);
            if affected != commits {
                return Err(format!("{commits} deletes affected {affected} rows").into());
            }
            let mut left = RowDigest::new();
            engine.with_statement(POINT, |s| {
                (0..commits).try_for_each(|p| s.query(&[Param::Int(order.at(p) as i64)], &mut left))
            })?;
            if left.rows() > 0 {
                return Err(format!("{} deleted rows are still there", left.rows()).into());
            }
            let (after, _, _) = totals(engine)?;
            if after != rows - commits as i64 {
                return Err(format!("{rows} rows less {commits} deleted left {after}").into());
            }
            Ok(ms)
        }
    }
}

/// Start of range `q` of `range_1000`: uniform in `0..starts`.
fn range_start(seed: u64, q: u64, starts: u64) -> u64 {
    crate::keys::mix(seed ^ RANGE_ORDER ^ crate::keys::mix(q)) % starts
}

/// The digest of the generated rows `ids`.
fn expected(gen: &RowGen, ids: impl Iterator<Item = u64>) -> RowDigest {
    let mut digest = RowDigest::new();
    for id in ids {
        gen.row(id).feed(&mut digest);
    }
    digest
}

/// Inserts the generated rows `ids` in one transaction with one prepared statement, timed.
fn insert_rows<E: SqlEngine>(
    engine: &mut E,
    gen: &RowGen,
    ids: std::ops::Range<u64>,
) -> Result<f64> {
    let count = ids.end - ids.start;
    let start = Instant::now();
    engine.batch("BEGIN")?;
    let affected = engine.with_statement(INSERT, |s| {
        ids.into_iter().try_fold(0, |sum, i| {
            let r = gen.row(i);
            Ok(sum
                + s.execute(&[
                    Param::Int(r.id),
                    Param::Int(r.k),
                    Param::Text(&r.a),
                    Param::Text(&r.b),
                    Param::Float(r.c),
                    Param::Int(r.d),
                ])?)
        })
    })?;
    engine.batch("COMMIT")?;
    let ms = elapsed_ms(start);
    if affected != count {
        return Err(format!("{count} inserts affected {affected} rows").into());
    }
    Ok(ms)
}

/// `count(*)`, `sum(k)` and `sum(d)` of the table (untimed).
fn totals<E: SqlEngine>(engine: &mut E) -> Result<(i64, i64, i64)> {
    let mut first = FirstRow::default();
    engine.with_statement(TOTALS, |s| s.query(&[], &mut first))?;
    match first.values[..] {
        [Some(rows), Some(sum_k), Some(sum_d)] if first.rows == 1 => Ok((rows, sum_k, sum_d)),
        [Some(0), None, None] if first.rows == 1 => Ok((0, 0, 0)),
        _ => Err(format!("{TOTALS:?} returned {first:?}").into()),
    }
}

/// An error unless the table holds `rows` rows with these sums (`sum_d` when given).
fn check_totals<E: SqlEngine>(
    engine: &mut E,
    rows: i64,
    sum_k: i64,
    sum_d: Option<i64>,
) -> Result<()> {
    let (got_rows, got_k, got_d) = totals(engine)?;
    if (got_rows, got_k) != (rows, sum_k) || sum_d.is_some_and(|d| d != got_d) {
        return Err(format!(
            "the table holds {got_rows} rows with sum(k) {got_k}, sum(d) {got_d}; expected \
             {rows} rows with sum(k) {sum_k}{}",
            sum_d.map_or(String::new(), |d| format!(", sum(d) {d}"))
        )
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests;
