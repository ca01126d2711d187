//! [`SqlEngine`]: what the `sql` workloads need from an engine, and the list of SQL engines.
//!
//! A workload prepares each statement once ([`SqlEngine::with_statement`]) and runs it many
//! times with parameters; rows come back one cell at a time into a [`RowSink`], borrowed from
//! the engine's row, so the harness holds no row. Statements are written with PostgreSQL's
//! `$1` placeholders; an adapter rewrites them for its engine if needed.

use std::path::Path;

use super::data::RowSink;
use crate::engines::{Result, Settings};

/// The SQL engines of the suite, in their default order.
pub const ENGINES: &[&str] = &["covet", "sqlite"];

/// A statement parameter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Param<'a> {
    /// An integer.
    Int(i64),
    /// A double.
    Float(f64),
    /// A text.
    Text(&'a str),
}

/// A prepared statement, run as often as the workload likes.
pub trait Statement {
    /// Runs a statement without rows; returns the rows it affected.
    fn execute(&mut self, params: &[Param<'_>]) -> Result<u64>;

    /// Runs a query, handing every row to `sink`.
    fn query(&mut self, params: &[Param<'_>], sink: &mut dyn RowSink) -> Result<()>;
}

/// One engine with one connection, opened on a directory of its own.
pub trait SqlEngine: Sized {
    /// The name used in `--engines` and the JSON output.
    const NAME: &'static str;

    /// Opens (creating) the database in the empty directory `dir`: durable commits, a cache of
    /// `cache_bytes`.
    fn open(dir: &Path, cache_bytes: u64) -> Result<Self>;

    /// The settings in force, read back where the engine allows it.
    fn settings(&mut self) -> Result<Settings>;

    /// Runs statements without parameters or rows (DDL, `BEGIN`, `COMMIT`).
    fn batch(&mut self, sql: &str) -> Result<()>;

    /// Prepares `sql` once and hands the statement to `body`.
    fn with_statement<R>(
        &mut self,
        sql: &str,
        body: impl FnOnce(&mut dyn Statement) -> Result<R>,
    ) -> Result<R>;

    /// Closes the engine (checkpointing what it checkpoints at close).
    fn close(self) -> Result<()>;
}

/// Something to run with the SQL engine type chosen by name.
pub trait SqlVisitor {
    /// What the run gives back.
    type Output;
    /// Runs with engine type `E`.
    fn visit<E: SqlEngine>(self) -> Self::Output;
}

/// Runs `visitor` with the engine called `name`; `None` if there is none.
pub fn run_by_name<V: SqlVisitor>(name: &str, visitor: V) -> Option<V::Output> {
    match name {
        "covet" => Some(visitor.visit::<super::covet::CovetSql>()),
        "sqlite" => Some(visitor.visit::<super::sqlite::SqliteSql>()),
        _ => None,
    }
}
