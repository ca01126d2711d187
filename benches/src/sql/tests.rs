//! The suite end to end on each engine at small n, and its checks against an engine that gets
//! one thing wrong.

use std::cell::Cell as StdCell;

use super::data::{Cell, RowSink};
use super::engine::{Param, SqlEngine, Statement};
use super::*;
use crate::engines::Settings;

/// Runs `workloads` on `E` at `n` rows; returns the child's lines and whether it failed.
fn run<E: SqlEngine>(n: u64, workloads: &[Workload]) -> (Vec<String>, bool) {
    let dir = tempfile::tempdir().unwrap();
    let params = SqlParams {
        n,
        seed: 3,
        cache_bytes: 4 << 20,
        workloads: workloads.to_vec(),
    };
    let mut report = Report::new(Vec::new());
    run_child::<E, _>(&params, dir.path(), &mut report);
    let failed = report.failed();
    let text = String::from_utf8(report.into_inner()).unwrap();
    (text.lines().map(String::from).collect(), failed)
}

/// The workload and value of each measurement line.
fn measures(lines: &[String]) -> Vec<(String, bool)> {
    lines
        .iter()
        .filter(|l| l.starts_with("measure\t"))
        .map(|l| {
            let fields: Vec<&str> = l.split('\t').collect();
            (fields[1].to_owned(), fields[3] != "null")
        })
        .collect()
}

fn assert_all_pass<E: SqlEngine>() {
    let (lines, failed) = run::<E>(3_000, &Workload::ALL);
    assert!(!failed, "{lines:#?}");
    assert!(
        lines[0].starts_with("settings\t{\"read_back\":{"),
        "{}",
        lines[0]
    );
    let mut names: Vec<String> = Workload::ALL
        .iter()
        .map(|w| format!("\"workload\":\"{}\"", w.name()))
        .collect();
    names.push("\"workload\":\"peak_rss\"".into());
    let expected: Vec<(String, bool)> = names.into_iter().map(|n| (n, true)).collect();
    assert_eq!(measures(&lines), expected);
}

#[test]
fn every_workload_passes_on_sqlite() {
    assert_all_pass::<sqlite::SqliteSql>();
}

#[test]
fn every_workload_passes_on_covet() {
    assert_all_pass::<covet::CovetSql>();
}

#[test]
fn a_chosen_subset_runs_the_load_untimed() {
    let (lines, failed) = run::<sqlite::SqliteSql>(500, &[Workload::Stream]);
    assert!(!failed);
    assert_eq!(
        measures(&lines),
        [
            ("\"workload\":\"stream\"".to_owned(), true),
            ("\"workload\":\"peak_rss\"".to_owned(), true)
        ]
    );
}

/// What [`Broken`] gets wrong (per test thread).
#[derive(Clone, Copy, Debug)]
enum Fault {
    /// Row `r` (counted over the statement's whole life) is not passed on.
    SkipRow(u64),
    /// Row `r`'s `d` comes back one higher.
    AlterD(u64),
    /// Execution `e` of the statement reports one row affected but does nothing.
    SkipExecute(u64),
    /// The statement text has `from` replaced by `to`.
    Rewrite(&'static str, &'static str),
}

thread_local! {
    static FAULT: StdCell<Option<Fault>> = const { StdCell::new(None) };
}

/// SQLite with [`FAULT`] applied to the statements whose text contains `FAULTY_SQL`.
struct Broken(sqlite::SqliteSql);

thread_local! {
    static FAULTY_SQL: StdCell<&'static str> = const { StdCell::new("") };
}

struct BrokenStatement<'a> {
    inner: &'a mut dyn Statement,
    fault: Option<Fault>,
    rows: u64,
    executions: u64,
}

struct BrokenSink<'a> {
    inner: &'a mut dyn RowSink,
    fault: Option<Fault>,
    rows: &'a mut u64,
}

impl RowSink for BrokenSink<'_> {
    fn cell(&mut self, column: usize, cell: Cell<'_>) {
        match (self.fault, cell) {
            (Some(Fault::SkipRow(r)), _) if r == *self.rows => {}
            (Some(Fault::AlterD(r)), Cell::Int(d)) if r == *self.rows && column == 5 => {
                self.inner.cell(column, Cell::Int(d + 1))
            }
            _ => self.inner.cell(column, cell),
        }
    }

    fn end_row(&mut self) {
        if !matches!(self.fault, Some(Fault::SkipRow(r)) if r == *self.rows) {
            self.inner.end_row();
        }
        *self.rows += 1;
    }
}

impl Statement for BrokenStatement<'_> {
    fn execute(&mut self, params: &[Param<'_>]) -> Result<u64> {
        let e = self.executions;
        self.executions += 1;
        match self.fault {
            Some(Fault::SkipExecute(skip)) if skip == e => Ok(1),
            _ => self.inner.execute(params),
        }
    }

    fn query(&mut self, params: &[Param<'_>], sink: &mut dyn RowSink) -> Result<()> {
        let mut broken = BrokenSink {
            inner: sink,
            fault: self.fault,
            rows: &mut self.rows,
        };
        self.inner.query(params, &mut broken)
    }
}

impl SqlEngine for Broken {
    const NAME: &'static str = "broken";

    fn open(dir: &Path, cache_bytes: u64) -> Result<Self> {
        Ok(Broken(sqlite::SqliteSql::open(dir, cache_bytes)?))
    }

    fn settings(&mut self) -> Result<Settings> {
        self.0.settings()
    }

    fn batch(&mut self, sql: &str) -> Result<()> {
        self.0.batch(sql)
    }

    fn with_statement<R>(
        &mut self,
        sql: &str,
        body: impl FnOnce(&mut dyn Statement) -> Result<R>,
    ) -> Result<R> {
        let fault = (sql.contains(FAULTY_SQL.get()))
            .then(|| FAULT.get())
            .flatten();
        let sql = match fault {
            Some(Fault::Rewrite(from, to)) => sql.replace(from, to),
            _ => sql.to_owned(),
        };
        self.0.with_statement(&sql, |inner| {
            body(&mut BrokenStatement {
                inner,
                fault,
                rows: 0,
                executions: 0,
            })
        })
    }

    fn close(self) -> Result<()> {
        self.0.close()
    }
}

#[test]
fn a_wrong_answer_fails_its_workload() {
    for (workload, sql, fault) in [
        (Workload::PointSelect, POINT, Fault::SkipRow(7)),
        (Workload::PointSelect, POINT, Fault::AlterD(0)),
        (Workload::Range1000, RANGE, Fault::SkipRow(1_500)),
        (
            Workload::Range1000,
            RANGE,
            Fault::Rewrite("k < $2", "k <= $2"),
        ),
        (Workload::Stream, ALL, Fault::AlterD(99)),
        (
            Workload::Stream,
            ALL,
            Fault::Rewrite("FROM t", "FROM t WHERE id > 0"),
        ),
        (
            Workload::OrderByStream,
            ORDERED,
            Fault::Rewrite("ORDER BY c", "ORDER BY id"),
        ),
        (Workload::OrderByStream, ORDERED, Fault::SkipRow(0)),
        (Workload::Load, INSERT, Fault::SkipExecute(10)),
        (Workload::Insert10k, INSERT, Fault::SkipExecute(2_000 + 5)),
        (
            Workload::Insert10k,
            INSERT,
            Fault::Rewrite("$3, $4", "$4, $3"),
        ),
        (Workload::UpdatePk, UPDATE, Fault::SkipExecute(3)),
        (Workload::UpdatePk, UPDATE, Fault::Rewrite("d + 1", "d + 2")),
        (Workload::DeletePk, DELETE, Fault::SkipExecute(999)),
    ] {
        FAULT.set(Some(fault));
        FAULTY_SQL.set(sql);
        let (lines, failed) = run::<Broken>(2_000, &[workload]);
        assert!(failed, "{workload:?} {fault:?}: {lines:#?}");
        let name = format!("\"workload\":\"{}\"", workload.name());
        assert!(
            measures(&lines).contains(&(name, false)),
            "{workload:?} {fault:?}: {lines:#?}"
        );
    }
    FAULT.set(None);
}
