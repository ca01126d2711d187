//! ALTER TABLE … ADD PRIMARY KEY on a [`TableWriter`]: the one ALTER that rewrites rows.
//!
//! A table created without a primary key keys its rows by rowid; a primary key is the
//! row key itself (`mod.rs`, "Storage"), so adding one moves every row. The rows are
//! copied into a new row tree under their primary key, the indexes are rebuilt (their
//! entries end with the row key), the old trees and the rowid floor are dropped and the
//! record is stored naming the new tree — all inside a savepoint of the caller's write
//! transaction, so a NULL or a duplicate found halfway leaves the table, its trees and
//! its record exactly as they were (what SQLite's and PostgreSQL's table rewrites do).
//! Stored row bytes are copied as they are: the column slots do not change.

use std::ops::Bound;

use super::catalog::{self, Resolved};
use super::codec::IndexRecord;
use super::error::TableError;
use super::keys;
use super::read::decode_stored_row;
use super::write::TableWriter;
use crate::btree::check_key;
use crate::error::Result;

/// Rows copied per batch (a cursor cannot stay open across writes).
const REKEY_BATCH: usize = 1024;

impl TableWriter<'_> {
    /// Gives table `table`, which has none, the primary key `columns` (positions),
    /// rewriting its rows under it and rebuilding its indexes.
    ///
    /// Refusals, with nothing changed: `InvalidDefinition` (the table has a primary
    /// key already), a `SchemaError` (unknown or repeated column), `NotNull` (a row
    /// holds NULL in a key column), `DuplicateKey` (two rows share the key),
    /// `KeyTooLarge`.
    pub fn add_primary_key(&mut self, table: &str, columns: Vec<usize>) -> Result<()> {
        let t = self.table(table)?;
        if !t.schema().has_rowid() {
            return Err(TableError::InvalidDefinition {
                object: table.to_owned(),
                reason: "the table has a primary key already".into(),
            }
            .into());
        }
        let mut rec = t.rec.clone();
        rec.schema.primary_key = Some(columns.clone());
        rec.schema.validate()?;
        // Key columns are NOT NULL, as PostgreSQL marks them (and keeps them after).
        for p in columns {
            rec.schema.columns[p].nullable = false;
        }
        let sp = self.txn.savepoint()?;
        let result = self.rekey(&t, rec);
        let result = match result {
            Ok(()) => self.txn.release(sp),
            Err(e) => {
                self.txn.rollback_to(sp)?;
                self.txn.release(sp)?;
                Err(e)
            }
        };
        self.forget_all();
        result
    }

    /// Copies the rows of `t` into a new tree under `rec`'s primary key, rebuilds the
    /// indexes and stores `rec`. Leaves partial work behind on error: the caller's
    /// savepoint undoes it.
    fn rekey(&mut self, t: &Resolved, mut rec: super::codec::TableRecord) -> Result<()> {
        let page_size = self.txn.page_size();
        let tree_name = catalog::new_tree_name(&*self.txn, "t:", t.name())?;
        let new_tree = self.txn.create_tree(&tree_name)?;
        let key_columns = rec.schema.primary_key.clone().unwrap_or_default();
        let mut after: Option<Vec<u8>> = None;
        loop {
            let lower = after.take().map_or(Bound::Unbounded, Bound::Excluded);
            let mut batch: Vec<(Vec<u8>, Vec<u8>)> = Vec::with_capacity(REKEY_BATCH);
            for entry in self
                .txn
                .range(&t.tree, (lower, Bound::Unbounded))
                .take(REKEY_BATCH)
            {
                let entry = entry?;
                let values = decode_stored_row(t, entry.value())?;
                if let Some(&p) = key_columns.iter().find(|&&p| values[p].is_null()) {
                    return Err(TableError::NotNull {
                        table: t.name().to_owned(),
                        column: rec.schema.columns[p].name.clone(),
                    }
                    .into());
                }
                let key = keys::row_key(&keys::pk_values(&rec.schema, &values));
                batch.push((key, entry.value().to_vec()));
                after = Some(entry.key().to_vec());
            }
            for (key, bytes) in &batch {
                check_key(key, page_size)?;
                if self.txn.get(&new_tree, key)?.is_some() {
                    return Err(TableError::DuplicateKey {
                        table: t.name().to_owned(),
                    }
                    .into());
                }
                self.txn.insert(&new_tree, key, bytes)?;
            }
            if batch.len() < REKEY_BATCH {
                break;
            }
        }
        self.txn.drop_tree(&rec.tree)?;
        rec.tree = tree_name;
        let old_indexes = std::mem::take(&mut rec.indexes);
        for ix in &old_indexes {
            self.txn.drop_tree(&ix.tree)?;
        }
        // Each index is rebuilt from the rekeyed rows, under a fresh tree.
        for ix in old_indexes {
            let name = catalog::new_tree_name(&*self.txn, "i:", &ix.def.name)?;
            let itree = self.txn.create_tree(&name)?;
            let resolved = catalog::resolve(&*self.txn, rec.clone())?;
            self.fill_index(&resolved, &ix.def, &itree)?;
            rec.indexes.push(IndexRecord {
                def: ix.def,
                tree: name,
            });
        }
        catalog::remove_rowid_floor(self.txn, t.name())?;
        catalog::store_table(self.txn, &rec)?;
        self.txn.bump_schema_cookie();
        Ok(())
    }
}
