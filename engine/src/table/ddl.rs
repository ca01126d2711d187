//! DDL on a [`TableWriter`]: creating and dropping tables and indexes, and TRUNCATE.
//!
//! Every DDL bumps the database's schema cookie and forgets the cached catalog entries it
//! changes. An index is built from the table's rows in batches (constant memory) inside a
//! savepoint, so a unique violation found halfway leaves neither tree nor record behind.

use std::ops::Bound;

use super::catalog::{self, Resolved};
use super::codec::{IndexRecord, TableRecord};
use super::error::TableError;
use super::keys;
use super::read::decode_stored_row;
use super::schema::{IndexDef, TableSchema};
use super::write::TableWriter;
use crate::btree::check_key;
use crate::error::Result;
use crate::txn::Tree;

/// Rows read per batch while building an index.
const BUILD_BATCH: usize = 1024;

impl TableWriter<'_> {
    /// Creates table `schema.name`, empty. Fails with `TableExists` (or `IndexExists`) if
    /// the name is taken, and with a `SchemaError` if the definition is not valid.
    pub fn create_table(&mut self, schema: TableSchema) -> Result<()> {
        schema.validate()?;
        self.check_name_free(&schema.name)?;
        let tree = catalog::new_tree_name(&*self.txn, "t:", &schema.name)?;
        self.txn.create_tree(&tree)?;
        let name = schema.name.clone();
        catalog::store_table(self.txn, &TableRecord::new(schema, tree))?;
        self.txn.bump_schema_cookie();
        self.forget(&name);
        Ok(())
    }

    /// Drops table `name` with its indexes, rows, rowid floor, statistics, SQL text and
    /// constraints. Refusal: `ObjectInUse` while a foreign key of another table
    /// references it (drop that constraint first).
    pub fn drop_table(&mut self, name: &str) -> Result<()> {
        let t = self.table(name)?;
        self.check_not_referenced(&t)?;
        for ix in &t.rec.indexes {
            self.txn.drop_tree(&ix.tree)?;
            catalog::remove_owner(self.txn, &ix.def.name)?;
        }
        self.txn.drop_tree(&t.rec.tree)?;
        catalog::remove_table(self.txn, name)?;
        self.txn.bump_schema_cookie();
        self.forget(name);
        Ok(())
    }

    /// Removes every row of table `name` and every entry of its indexes (TRUNCATE). The
    /// rowids handed out stay used (the floor is raised past them); statistics stay.
    pub fn truncate(&mut self, name: &str) -> Result<()> {
        let t = self.table(name)?;
        if t.schema().has_rowid() {
            self.keep_all_rowids_used(&t)?;
        }
        self.txn.clear_tree(&t.tree)?;
        for tree in &t.index_trees {
            self.txn.clear_tree(tree)?;
        }
        Ok(())
    }

    /// Creates index `def` on table `def.table` and fills it from the table's rows. A
    /// unique index over rows that already hold duplicate non-NULL values fails with
    /// `UniqueViolation` and leaves nothing behind.
    pub fn create_index(&mut self, def: IndexDef) -> Result<()> {
        let t = self.table(&def.table)?;
        def.validate(t.schema())?;
        self.check_name_free(&def.name)?;
        let sp = self.txn.savepoint()?;
        let built = self.build_index(&t, def);
        let result = match built {
            Ok(()) => self.txn.release(sp),
            Err(e) => {
                self.txn.rollback_to(sp)?;
                self.txn.release(sp)?;
                Err(e)
            }
        };
        self.forget(t.name());
        result
    }

    fn build_index(&mut self, t: &Resolved, def: IndexDef) -> Result<()> {
        let tree_name = catalog::new_tree_name(&*self.txn, "i:", &def.name)?;
        let itree = self.txn.create_tree(&tree_name)?;
        self.fill_index(t, &def, &itree)?;
        let mut rec = t.rec.clone();
        catalog::store_owner(self.txn, &def.name, &def.table)?;
        rec.indexes.push(IndexRecord {
            def,
            tree: tree_name,
        });
        catalog::store_table(self.txn, &rec)?;
        self.txn.bump_schema_cookie();
        Ok(())
    }

    /// Inserts the entry of every row of `t` into the empty index tree `itree` of
    /// `def`, checking uniqueness. The caller runs it inside a savepoint: a unique
    /// violation leaves entries behind.
    pub(super) fn fill_index(&mut self, t: &Resolved, def: &IndexDef, itree: &Tree) -> Result<()> {
        let page_size = self.txn.page_size();
        let mut after: Option<Vec<u8>> = None;
        loop {
            // Read a batch, then write it: a cursor cannot stay open across writes.
            let lower = after.take().map_or(Bound::Unbounded, Bound::Excluded);
            let mut batch: Vec<(Vec<u8>, bool, usize)> = Vec::with_capacity(BUILD_BATCH);
            for entry in self
                .txn
                .range(&t.tree, (lower, Bound::Unbounded))
                .take(BUILD_BATCH)
            {
                let entry = entry?;
                let values = decode_stored_row(t, entry.value())?;
                let (key, has_null) = keys::index_key(def, &values, entry.key());
                let indexed_len = key.len() - entry.key().len();
                batch.push((key, has_null, indexed_len));
                after = Some(entry.key().to_vec());
            }
            for (key, has_null, indexed_len) in &batch {
                if def.unique && !has_null && self.conflicts(itree, &key[..*indexed_len], None)? {
                    return Err(TableError::UniqueViolation {
                        index: def.name.clone(),
                        table: def.table.clone(),
                    }
                    .into());
                }
                check_key(key, page_size)?;
                self.txn.insert(itree, key, &[])?;
            }
            if batch.len() < BUILD_BATCH {
                break;
            }
        }
        Ok(())
    }

    /// Drops index `name` and its entries. Refusal: `ObjectInUse` when a foreign key
    /// referencing its table needs it (no other unique key covers its columns).
    pub fn drop_index(&mut self, name: &str) -> Result<()> {
        let (t, i) = self.cache.index(&*self.txn, name)?;
        self.check_index_not_needed(&t, i)?;
        let mut rec = t.rec.clone();
        let ix = rec.indexes.remove(i);
        self.txn.drop_tree(&ix.tree)?;
        catalog::remove_owner(self.txn, name)?;
        catalog::store_table(self.txn, &rec)?;
        self.txn.bump_schema_cookie();
        self.forget(t.name());
        Ok(())
    }

    /// Whether index tree `tree` holds an entry whose indexed part is `indexed`, other
    /// than the entry `own` (the changing row's old entry).
    pub(super) fn conflicts(
        &self,
        tree: &Tree,
        indexed: &[u8],
        own: Option<&[u8]>,
    ) -> Result<bool> {
        let upper =
            crate::value::prefix_successor(indexed).map_or(Bound::Unbounded, Bound::Excluded);
        for entry in self
            .txn
            .range(tree, (Bound::Included(indexed.to_vec()), upper))
            .take(2)
        {
            if Some(entry?.key()) != own {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Fails if a table, index, view or sequence is called `name` (they share one
    /// namespace).
    pub(super) fn check_name_free(&self, name: &str) -> Result<()> {
        if self.cache.has_table(&*self.txn, name)? {
            return Err(TableError::TableExists {
                table: name.to_owned(),
            }
            .into());
        }
        if self.cache.has_index(&*self.txn, name)? {
            return Err(TableError::IndexExists {
                index: name.to_owned(),
            }
            .into());
        }
        if catalog::get(&*self.txn, catalog::VIEW, name)?.is_some() {
            return Err(TableError::ViewExists {
                view: name.to_owned(),
            }
            .into());
        }
        if catalog::get(&*self.txn, catalog::SEQUENCE, name)?.is_some() {
            return Err(TableError::SequenceExists {
                sequence: name.to_owned(),
            }
            .into());
        }
        Ok(())
    }
}
