//! Sorted bulk load of a table: [`TableWriter::load_sorted_rows`].
//!
//! The rows go into the row tree through the B+tree's bottom-up bulk load (full
//! pages, no splits), then every index is filled from the loaded rows, all inside
//! one savepoint: a refused row or a unique violation anywhere leaves the table
//! empty and the rowid counter as it was. The load's new pages lie past the end
//! of the database and go straight into the main file, also under the caller's
//! savepoints, so a large load writes each page once.

use std::sync::Arc;

use super::catalog::Resolved;
use super::error::TableError;
use super::keys;
use super::layout::encode_stored_row;
use super::write::TableWriter;
use crate::btree::check_key;
use crate::error::{Error, Result};
use crate::value::Value;

impl TableWriter<'_> {
    /// Fills the empty table `table` from `rows` (one value per column, in column
    /// order) and returns how many rows it loaded. Much faster and denser than
    /// [`insert_row`](Self::insert_row) one by one, for the same result.
    ///
    /// A table with a primary key needs its rows in strictly ascending primary
    /// key order (SQL order of the key columns); a rowid table numbers its rows
    /// on from its counter, as `insert_row` would. Every row is checked as
    /// `insert_row` checks it.
    ///
    /// Refusals, with nothing changed: `InvalidInput` (the table holds rows, or
    /// the primary keys are not ascending), `DuplicateKey` (two rows with the
    /// same primary key), and those of `insert_row`.
    pub fn load_sorted_rows<I>(&mut self, table: &str, rows: I) -> Result<u64>
    where
        I: IntoIterator<Item = Vec<Value>>,
    {
        let t = self.table(table)?;
        if self.txn.iter(&t.tree).next().transpose()?.is_some() {
            return Err(Error::InvalidInput(format!(
                "load_sorted_rows needs an empty table, and {table:?} has rows"
            )));
        }
        let sp = self.txn.savepoint()?;
        match self.load_into(&t, rows) {
            Ok(n) => {
                self.txn.release(sp)?;
                Ok(n)
            }
            Err(e) => {
                self.txn.rollback_to(sp)?;
                self.txn.release(sp)?;
                self.forget(table);
                Err(e)
            }
        }
    }

    fn load_into<I>(&mut self, t: &Arc<Resolved>, rows: I) -> Result<u64>
    where
        I: IntoIterator<Item = Vec<Value>>,
    {
        let schema = t.schema();
        let page_size = self.txn.page_size();
        let first_rowid = if schema.has_rowid() {
            self.next_rowid(t)?
        } else {
            1
        };
        // The bulk load pulls (key, value) pairs; the first refused row ends the
        // input and is reported after it.
        let mut refusal: Option<Error> = None;
        let mut next_rowid = first_rowid;
        let mut last_key: Option<Vec<u8>> = None;
        let mut prepare = |row: Vec<Value>| -> Result<(Vec<u8>, Vec<u8>)> {
            schema.check_row(&row)?;
            let key = if schema.has_rowid() {
                let key = keys::rowid_key(next_rowid);
                next_rowid =
                    next_rowid
                        .checked_add(1)
                        .ok_or_else(|| TableError::RowidExhausted {
                            table: t.name().to_owned(),
                        })?;
                key
            } else {
                keys::row_key(&keys::pk_values(schema, &row))
            };
            check_key(&key, page_size)?;
            match last_key.as_deref().map(|l| l.cmp(&key)) {
                Some(std::cmp::Ordering::Equal) => {
                    return Err(TableError::DuplicateKey {
                        table: t.name().to_owned(),
                    }
                    .into())
                }
                Some(std::cmp::Ordering::Greater) => {
                    return Err(Error::InvalidInput(format!(
                        "rows of {:?} must come in ascending primary key order",
                        t.name()
                    )))
                }
                _ => {}
            }
            last_key = Some(key.clone());
            let mut bytes = Vec::new();
            encode_stored_row(t, &row, &mut bytes);
            Ok((key, bytes))
        };
        let entries = rows.into_iter().map_while(|row| match prepare(row) {
            Ok(kv) => Some(kv),
            Err(e) => {
                refusal = Some(e);
                None
            }
        });
        let loaded = self.txn.bulk_load(&t.tree, entries)?;
        if let Some(e) = refusal {
            return Err(e);
        }
        for (ix, itree) in t.rec.indexes.iter().zip(&t.index_trees) {
            self.fill_index(t, &ix.def, itree)?;
        }
        if schema.has_rowid() && loaded > 0 {
            // The loaded rows' largest rowid is the tree's last key now: no record.
            self.rowids.insert(t.name().to_owned(), next_rowid);
        }
        Ok(loaded)
    }
}
