//! `covet-slt`: a sqllogictest runner for SQLite's corpus format.
//!
//! Written by hand rather than on the `sqllogictest` crate (the runner of DataFusion,
//! Databend and RisingWave): that crate compares one result *row* per line, while the
//! SQLite corpus writes one *value* per line, and it neither checks labels across
//! records nor continues past a failed record with per-record totals, a watchdog or
//! panic capture; adapting it would have meant replacing its validator, its result
//! formatting and its run loop, which is most of a runner. The format itself is small
//! (see [`parser`]).
//!
//! - [`parser`]: records of a file;
//! - [`format`]: values printed as SQLite's runner prints them;
//! - [`runner`]: one file's records against an [`SltDatabase`] (sorting, hashing,
//!   labels, conditions, the skip list);
//! - [`skips`]: the documented skip list;
//! - [`driver`]: whole files on worker threads, with a watchdog and panic capture;
//! - [`covet_db`]: the [`SltDatabase`] over covet's SQL session;
//! - `sqlite_db` (tests and feature `sqlite-check`): SQLite itself, to check the runner
//!   on the corpus against the engine that wrote its answers.

pub mod covet_db;
pub mod driver;
pub mod format;
pub mod parser;
pub mod runner;
pub mod skips;
#[cfg(any(test, feature = "sqlite-check"))]
pub mod sqlite_db;

pub use driver::{run_file, DbFactory, FileReport, RunOptions};
pub use runner::{Failure, FailureKind, QueryOutput, SltDatabase};
pub use skips::SkipList;
