//! Row changes on a [`TableWriter`]: insert, update and delete, each maintaining every
//! index of the table in the same transaction.
//!
//! Each operation runs in two phases. The first only reads: it checks the row against
//! the schema, the primary key against existing rows, each unique index against
//! existing entries, and every new key against the page size's key limit, and computes
//! every key to write. The second writes. A refusal therefore always comes from the first
//! phase and leaves the table, its indexes and the rowid counter exactly as they were;
//! an error in the second phase can only be I/O or damage, which fails the transaction
//! (the engine then allows only a rollback). An insert into a table without a unique
//! index folds its primary-key probe into the row's own insert (`WriteTxn::insert_new`,
//! which changes nothing when the key is present), made first in the second phase.
//!
//! # Rowids
//!
//! A table without a primary key numbers its rows: the next rowid is
//! `max(floor, largest rowid stored + 1)`, where the floor is the catalog's `R` record
//! (1 when absent). An insert writes no catalog record: the largest rowid is the last
//! key of the row tree (one seek down its right edge, once per [`TableWriter`] and
//! table; the writer then counts on in memory). Only deleting the row with the largest
//! rowid (and TRUNCATE) raises the floor past it, so a rowid once handed out is never
//! handed out again, even after its row is deleted (SQLite's AUTOINCREMENT promise,
//! without its per-insert write). Everything the counter depends on is in the
//! transaction's trees, so it rolls back (to a savepoint too) and survives reopening
//! with them; the in-memory count is dropped whenever the transaction may have moved
//! underneath (`TableWriter::forget_all`).

use super::catalog::{self, Resolved};
use super::error::TableError;
use super::keys;
use super::layout::encode_stored_row;
use super::read::{checked_row_key, decode_stored_row, row_pk};
use super::write::TableWriter;
use crate::btree::check_key;
use crate::error::Result;
use crate::value::Value;

impl TableWriter<'_> {
    /// Inserts `row` (one value per column, in column order) into `table` and returns its
    /// primary key (`[Int(rowid)]` for a table without one; rowids start at 1 and only
    /// grow). Defaults are not filled in: the row must be complete.
    ///
    /// Refusals, with nothing changed: `ColumnCount`, `TypeMismatch`, `NotNull`,
    /// `DuplicateKey` (primary key), `UniqueViolation` (naming the index), `KeyTooLarge`.
    pub fn insert_row(&mut self, table: &str, row: Vec<Value>) -> Result<Vec<Value>> {
        self.insert_values(table, &row)
    }

    /// [`insert_row`](Self::insert_row) of a borrowed row (a caller that still needs the
    /// row, to return it or to handle a conflict, need not copy it).
    pub fn insert_values(&mut self, table: &str, row: &[Value]) -> Result<Vec<Value>> {
        let t = self.table(table)?;
        t.schema().check_row(row)?;
        let (pk, key, next_rowid) = if t.schema().has_rowid() {
            let rowid = self.next_rowid(&t)?;
            let next = rowid
                .checked_add(1)
                .ok_or_else(|| TableError::RowidExhausted {
                    table: table.to_owned(),
                })?;
            (vec![Value::Int(rowid)], keys::rowid_key(rowid), Some(next))
        } else {
            let pk = keys::pk_values(t.schema(), row);
            let key = keys::row_key(&pk);
            (pk, key, None)
        };
        let page_size = self.txn.page_size();
        check_key(&key, page_size)?;
        let duplicate = || -> crate::Error {
            TableError::DuplicateKey {
                table: table.to_owned(),
            }
            .into()
        };
        // With a unique index the primary key is probed first, so that a row breaking
        // both is refused for its key; without one the probe is the row's insert
        // itself (`insert_new`, one descent), made once the index entries are known
        // to fit: a refusal still changes nothing.
        let probe_first = t.rec.indexes.iter().any(|ix| ix.def.unique);
        if probe_first && self.txn.get(&t.tree, &key)?.is_some() {
            return Err(duplicate());
        }
        let mut entries = Vec::with_capacity(t.rec.indexes.len());
        for (ix, tree) in t.rec.indexes.iter().zip(&t.index_trees) {
            let (entry, has_null) = keys::index_key(&ix.def, row, &key);
            let indexed = &entry[..entry.len() - key.len()];
            if ix.def.unique && !has_null && self.conflicts(tree, indexed, None)? {
                return Err(unique_violation(&t, &ix.def.name));
            }
            check_key(&entry, page_size)?;
            entries.push(entry);
        }
        let mut bytes = Vec::new();
        encode_stored_row(&t, row, &mut bytes);

        if probe_first {
            self.txn.insert(&t.tree, &key, &bytes)?;
        } else if !self.txn.insert_new(&t.tree, &key, &bytes)? {
            return Err(duplicate());
        }
        if let Some(next) = next_rowid {
            self.rowids.insert(table.to_owned(), next);
        }
        for (entry, tree) in entries.iter().zip(&t.index_trees) {
            self.txn.insert(tree, entry, &[])?;
        }
        Ok(pk)
    }

    /// Replaces the row of `table` whose primary key is `pk` with `row`, moving it if its
    /// primary key changes, and updates the index entries that change. Returns whether
    /// the row existed. Refuses like [`insert_row`](Self::insert_row), with nothing
    /// changed.
    pub fn update_row(&mut self, table: &str, pk: &[Value], row: Vec<Value>) -> Result<bool> {
        let t = self.table(table)?;
        let old_key = checked_row_key(&t, pk)?;
        let Some(old_bytes) = self.txn.get(&t.tree, &old_key)? else {
            return Ok(false);
        };
        let old = decode_stored_row(&t, old_bytes.value())?;
        drop(old_bytes);
        t.schema().check_row(&row)?;
        let new_key = if t.schema().has_rowid() {
            old_key.clone()
        } else {
            keys::row_key(&keys::pk_values(t.schema(), &row))
        };
        let page_size = self.txn.page_size();
        let moved = new_key != old_key;
        if moved {
            check_key(&new_key, page_size)?;
            if self.txn.get(&t.tree, &new_key)?.is_some() {
                return Err(TableError::DuplicateKey {
                    table: table.to_owned(),
                }
                .into());
            }
        }
        // (index position, old entry, new entry) of the entries that change.
        let mut changes = Vec::new();
        for (i, (ix, tree)) in t.rec.indexes.iter().zip(&t.index_trees).enumerate() {
            let (old_entry, _) = keys::index_key(&ix.def, &old, &old_key);
            let (new_entry, has_null) = keys::index_key(&ix.def, &row, &new_key);
            if old_entry == new_entry {
                continue;
            }
            let indexed = &new_entry[..new_entry.len() - new_key.len()];
            if ix.def.unique && !has_null && self.conflicts(tree, indexed, Some(&old_entry))? {
                return Err(unique_violation(&t, &ix.def.name));
            }
            check_key(&new_entry, page_size)?;
            changes.push((i, old_entry, new_entry));
        }
        let mut bytes = Vec::new();
        encode_stored_row(&t, &row, &mut bytes);

        if moved {
            self.txn.remove(&t.tree, &old_key)?;
        }
        self.txn.insert(&t.tree, &new_key, &bytes)?;
        for (i, old_entry, new_entry) in &changes {
            let tree = &t.index_trees[*i];
            self.txn.remove(tree, old_entry)?;
            self.txn.insert(tree, new_entry, &[])?;
        }
        Ok(true)
    }

    /// Deletes the row of `table` whose primary key is `pk`, with its index entries.
    /// Returns whether it existed.
    pub fn delete_row(&mut self, table: &str, pk: &[Value]) -> Result<bool> {
        let t = self.table(table)?;
        let key = checked_row_key(&t, pk)?;
        let Some(bytes) = self.txn.get(&t.tree, &key)? else {
            return Ok(false);
        };
        let old = decode_stored_row(&t, bytes.value())?;
        drop(bytes);
        for (ix, tree) in t.rec.indexes.iter().zip(&t.index_trees) {
            let (entry, _) = keys::index_key(&ix.def, &old, &key);
            self.txn.remove(tree, &entry)?;
        }
        self.txn.remove(&t.tree, &key)?;
        if let [Value::Int(rowid)] = pk {
            if t.schema().has_rowid() {
                self.keep_rowid_used(&t, *rowid)?;
            }
        }
        Ok(true)
    }

    /// The rowid the next row of `t` gets (see the module documentation).
    pub(super) fn next_rowid(&mut self, t: &Resolved) -> Result<i64> {
        if let Some(&next) = self.rowids.get(t.name()) {
            return Ok(next);
        }
        let floor = catalog::next_rowid(&*self.txn, t.name())?;
        let next = match self.last_rowid(t)? {
            Some(last) => last
                .checked_add(1)
                .ok_or_else(|| TableError::RowidExhausted {
                    table: t.name().to_owned(),
                })?
                .max(floor),
            None => floor,
        };
        self.rowids.insert(t.name().to_owned(), next);
        Ok(next)
    }

    /// The largest rowid stored in `t`.
    fn last_rowid(&self, t: &Resolved) -> Result<Option<i64>> {
        let Some(entry) = self
            .txn
            .range_rev::<&[u8], _>(&t.tree, ..)
            .next()
            .transpose()?
        else {
            return Ok(None);
        };
        match row_pk(t, entry.key(), &[])?.as_slice() {
            [Value::Int(last)] => Ok(Some(*last)),
            _ => Err(TableError::RowShape {
                table: t.name().to_owned(),
                expected: 1,
                found: 0,
            }
            .into()),
        }
    }

    /// After deleting rowid `rowid` of `t`: if it was the largest rowid and at or above
    /// the floor, raise the floor past it, so that it is never handed out again.
    fn keep_rowid_used(&mut self, t: &Resolved, rowid: i64) -> Result<()> {
        let floor = catalog::next_rowid(&*self.txn, t.name())?;
        if rowid < floor || self.last_rowid(t)?.is_some_and(|last| last > rowid) {
            return Ok(());
        }
        // `rowid + 1` cannot overflow: i64::MAX is never handed out (insert_row).
        catalog::store_next_rowid(self.txn, t.name(), rowid + 1)
    }

    /// Before emptying `t` (TRUNCATE): raise the floor past its largest rowid.
    pub(super) fn keep_all_rowids_used(&mut self, t: &Resolved) -> Result<()> {
        let floor = catalog::next_rowid(&*self.txn, t.name())?;
        if let Some(last) = self.last_rowid(t)? {
            if last >= floor {
                catalog::store_next_rowid(self.txn, t.name(), last + 1)?;
            }
        }
        Ok(())
    }
}

fn unique_violation(t: &Resolved, index: &str) -> crate::Error {
    TableError::UniqueViolation {
        index: index.to_owned(),
        table: t.name().to_owned(),
    }
    .into()
}
