//! covet-engine: covet's storage engine.
//!
//! It owns everything below SQL: files ([`vfs`]), checksummed pages in a bounded
//! page cache, a write-ahead log, B+trees with cursors, snapshot-isolated
//! transactions with savepoints, and (above those) tables, secondary indexes,
//! the catalog and statistics. It knows nothing of SQL text.
//!
//! See `ARCHITECTURE.md` at the workspace root for the data flow and the key
//! decisions, and `engine/FORMAT.md` for the file format.

#![deny(unsafe_code)]

mod backup;
mod btree;
mod cache;
mod db;
pub mod error;
mod integrity;
mod meta;
pub mod page;
mod pager;
pub mod stats;
pub mod table;
mod txn;
mod vacuum;
pub mod value;
mod varint;
pub mod vfs;
mod wal;

pub use backup::BackupOutcome;
pub use btree::cursor::Entry;
pub use btree::{ValueGuard, MAX_KEY_LEN};
pub use cache::CacheStats;
pub use db::{Database, Options};
pub use error::{Error, Result};
pub use integrity::{IntegrityReport, Problem};
pub use pager::{CheckpointMode, CheckpointOutcome, Durability, WalStats};
pub use table::{TableError, TableRead, TableReader, TableWriter};
pub use txn::{RangeIter, ReadTxn, Savepoint, Tree, WriteTxn};
pub use vacuum::VacuumOutcome;
