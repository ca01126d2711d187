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

pub mod vfs;

mod btree;
mod cache;
pub mod error;
mod meta;
pub mod page;
mod varint;
mod wal;
