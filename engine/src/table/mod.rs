//! Tables, secondary indexes, the catalog and ANALYZE: the relational layer over the
//! named B+trees of [`WriteTxn`] and [`ReadTxn`].
//!
//! * [`TableSchema`], [`ColumnDef`], [`IndexDef`] and their validation (`schema.rs`);
//! * the catalog tree and its record format (`catalog.rs`, `codec.rs`); views,
//!   sequences, CHECK and FOREIGN KEY constraints (`objects.rs`, `object_ddl.rs`);
//! * column slots: stored rows against visible columns (`layout.rs`);
//! * row and index keys, and [`KeyRange`] (`keys.rs`);
//! * [`TableRead`]: lookups, scans and index seeks, for [`TableReader`] (over a
//!   [`ReadTxn`]) and [`TableWriter`] (over a [`WriteTxn`]) (`read.rs`, `write.rs`);
//! * DDL (`ddl.rs`), ALTER TABLE without rewriting rows (`alter.rs`), ADD PRIMARY KEY,
//!   which rewrites them (`rekey.rs`), row changes with
//!   index maintenance and the rowid counter (`dml.rs`), ANALYZE (`analyze.rs`) and the
//!   table integrity check (`integrity.rs`).
//!
//! # Storage (also in `engine/FORMAT.md`)
//!
//! ```text
//! tree "__covet_catalog"  'T' name → table record   'X' index → its table
//!                         'R' name → rowid floor     'S' name → statistics
//!                         'V' view   'Q' sequence    'D' table → its SQL text
//!                         'C' / 'F' (table, name) → CHECK / FOREIGN KEY
//! tree "t:<table>"        row key → encode_row(one value per column slot)
//! tree "i:<index>"        encode_key(indexed columns, index orders) ++ row key → empty
//!                         (tree names are chosen at creation and kept by renames)
//! row key                 encode_key(primary key columns, ascending)
//!                         or encode_key([Int(rowid)]) without a primary key
//! ```
//!
//! Unique and non-unique indexes share the entry layout; uniqueness is checked before
//! writing by a seek over the entries with the same indexed values (NULLs never conflict,
//! as in SQL). An entry leads to its row by the row key at its end.
//!
//! Invariants the layer keeps, in every committed state:
//!
//! 1. Each row of a table has exactly one entry in each of its indexes, equal to
//!    `encode_key(its indexed values) ++ its row key`, and there is no other entry.
//! 2. No two entries of a unique index share indexed values unless one of them is NULL.
//! 3. Rows fit their schema (types, NOT NULL, read through the slot mapping) and hold
//!    at most `next_slot` values.
//!
//! Every caller sees rows as full-width vectors in visible column order
//! ([`TableSchema::columns`]); slots never leave this module.
//! 4. The catalog invariants of `catalog.rs`.
//!
//! `Database::check_integrity` checks all of them.

mod alter;
mod analyze;
mod catalog;
pub(crate) use catalog::{SharedKey, SharedTables};
mod codec;
mod ddl;
mod dml;
mod error;
pub(crate) mod integrity;
mod keys;
mod kv;
mod layout;
mod load;
mod object_ddl;
mod objects;
mod read;
mod rekey;
mod schema;
mod write;

pub use catalog::CATALOG_TREE;
pub use codec::{CatalogDecodeError, CATALOG_FORMAT_VERSION};
pub use error::TableError;
pub use keys::KeyRange;
pub use objects::{CheckDef, FkAction, ForeignKeyDef, SequenceDef, SequenceState, ViewDef};
pub use read::{IndexEntries, IndexEntry, IndexRows, Row, Rows, TableRead, TableReader};
pub use schema::{ColumnDef, IndexDef, SchemaError, TableSchema, MAX_COLUMNS, MAX_NAME_LEN};
pub use write::TableWriter;

use crate::txn::{ReadTxn, WriteTxn};

impl ReadTxn {
    /// The tables of this snapshot (see [`TableReader`]).
    pub fn tables(&self) -> TableReader<'_> {
        TableReader::new(self)
    }
}

impl WriteTxn {
    /// The tables of this transaction, to read and change (see [`TableWriter`]).
    pub fn tables(&mut self) -> TableWriter<'_> {
        TableWriter::new(self)
    }
}

#[cfg(test)]
mod tests;
