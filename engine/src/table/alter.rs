//! ALTER TABLE on a [`TableWriter`]: add, drop and rename columns, rename tables and
//! indexes. None of them rewrites a row.
//!
//! * ADD COLUMN gives the column the next slot and records its default as the value
//!   rows written before read for it (`layout.rs`).
//! * DROP COLUMN removes the column from the record (and its default expression text);
//!   its slot stays in old rows, unread.
//!   A column the primary key, an index or a foreign key (of the table, or of a table
//!   referencing it) uses cannot be dropped (`ColumnInUse`): keys name slots, and
//!   nothing that names the dropped slot may remain.
//! * RENAME COLUMN changes a name only: keys and constraints name slots.
//! * RENAME TABLE / INDEX move the catalog records keyed by the name; the trees keep
//!   their names (records name their trees, `catalog::new_tree_name`).
//!
//! Every one bumps the schema cookie. ADD and DROP COLUMN forget the table's
//! statistics (their columns are by position): ANALYZE again.

use super::catalog::{self, Resolved};
use super::error::TableError;
use super::schema::ColumnDef;
use super::write::TableWriter;
use crate::error::Result;

impl TableWriter<'_> {
    /// Adds `column` at the end of `table`'s columns. Rows already stored read the
    /// column's default (NULL without one) and are not rewritten; rows inserted later
    /// store what they are given (the engine never fills in defaults).
    ///
    /// Refusals, with nothing changed: `ColumnExists`, a `SchemaError` (bad name, too
    /// many columns, a default of the wrong type), `NotNull` (a NOT NULL column without
    /// a default on a table that has rows, as PostgreSQL refuses it), `SlotsExhausted`.
    pub fn add_column(&mut self, table: &str, column: ColumnDef) -> Result<()> {
        let t = self.table(table)?;
        if t.schema().column(&column.name).is_some() {
            return Err(TableError::ColumnExists {
                table: table.to_owned(),
                column: column.name,
            }
            .into());
        }
        let mut rec = t.rec.clone();
        if rec.next_slot >= super::codec::MAX_SLOTS {
            return Err(TableError::SlotsExhausted {
                table: table.to_owned(),
            }
            .into());
        }
        let missing = column.default.clone().filter(|v| !v.is_null());
        if !column.nullable && missing.is_none() && self.has_rows(&t)? {
            return Err(TableError::NotNull {
                table: table.to_owned(),
                column: column.name,
            }
            .into());
        }
        rec.schema.columns.push(column);
        rec.schema.validate()?;
        rec.slots.push(rec.next_slot);
        rec.missing.push(missing);
        rec.next_slot += 1;
        self.store_altered(&rec, true)
    }

    /// Drops column `column` of `table`. Stored rows keep its value, unread, until they
    /// are next written.
    ///
    /// CHECK constraints and views are SQL text: the SQL layer decides about those
    /// naming the column (PostgreSQL drops such a CHECK with the column).
    ///
    /// Refusals: `ColumnNotFound`, `ColumnInUse` (primary key, index, foreign key),
    /// `SchemaError::EmptyTable` (the table's only column).
    pub fn drop_column(&mut self, table: &str, column: &str) -> Result<()> {
        let t = self.table(table)?;
        let p = column_position(&t, column)?;
        let in_use = |by: String| -> crate::Error {
            TableError::ColumnInUse {
                table: table.to_owned(),
                column: column.to_owned(),
                by,
            }
            .into()
        };
        if t.schema().primary_key.iter().flatten().any(|&q| q == p) {
            return Err(in_use("the primary key".into()));
        }
        if let Some(ix) = t
            .rec
            .indexes
            .iter()
            .find(|ix| ix.def.columns.iter().any(|&(q, _)| q == p))
        {
            return Err(in_use(format!("index {:?}", ix.def.name)));
        }
        if let Some(by) = self.foreign_key_using(&t, p)? {
            return Err(in_use(by));
        }
        let mut rec = t.rec.clone();
        let slot = rec.slots[p].to_string();
        catalog::scoped_remove(self.txn, catalog::DEFAULT_SQL, table, &slot)?;
        rec.schema.columns.remove(p);
        rec.slots.remove(p);
        rec.missing.remove(p);
        let shift = |q: usize| if q > p { q - 1 } else { q };
        if let Some(pk) = &mut rec.schema.primary_key {
            pk.iter_mut().for_each(|q| *q = shift(*q));
        }
        for ix in &mut rec.indexes {
            ix.def.columns.iter_mut().for_each(|(q, _)| *q = shift(*q));
        }
        rec.schema.validate()?;
        self.store_altered(&rec, true)
    }

    /// Renames column `old` of `table` to `new`.
    ///
    /// Refusals: `ColumnNotFound`, `ColumnExists`, `SchemaError::InvalidName`.
    pub fn rename_column(&mut self, table: &str, old: &str, new: &str) -> Result<()> {
        let t = self.table(table)?;
        let p = column_position(&t, old)?;
        if old == new {
            return Ok(());
        }
        if t.schema().column(new).is_some() {
            return Err(TableError::ColumnExists {
                table: table.to_owned(),
                column: new.to_owned(),
            }
            .into());
        }
        let mut rec = t.rec.clone();
        rec.schema.columns[p].name = new.to_owned();
        rec.schema.validate()?;
        self.store_altered(&rec, false)
    }

    /// Renames table `old` to `new`, with everything keyed by its name: its indexes'
    /// owner records, rowid floor, statistics, SQL text and constraints, and the foreign
    /// keys of other tables that reference it. Its trees keep their names. Views are
    /// SQL text: the SQL layer rewrites those that name the table, if it wants to.
    ///
    /// Refusals: `TableNotFound`, a taken name (`TableExists`, `IndexExists`,
    /// `ViewExists`, `SequenceExists`), `SchemaError::InvalidName`.
    pub fn rename_table(&mut self, old: &str, new: &str) -> Result<()> {
        let t = self.table(old)?;
        if old == new {
            return Ok(());
        }
        super::schema::check_name(new)?;
        self.check_name_free(new)?;
        let referencing = self.foreign_keys_referencing_raw(old)?;
        let mut rec = t.rec.clone();
        rec.schema.name = new.to_owned();
        for ix in &mut rec.indexes {
            ix.def.table = new.to_owned();
            catalog::store_owner(self.txn, &ix.def.name, new)?;
        }
        catalog::remove_table_record(self.txn, old)?;
        catalog::store_table(self.txn, &rec)?;
        catalog::move_table_records(self.txn, old, new)?;
        for (table, name, mut fk) in referencing {
            // A self-reference moved with the table's own records above.
            let table = if table == old { new.to_owned() } else { table };
            fk.ref_table = new.to_owned();
            catalog::scoped_put(
                self.txn,
                catalog::FOREIGN_KEY,
                &table,
                &name,
                &super::objects::encode_fk(&fk),
            )?;
        }
        self.txn.bump_schema_cookie();
        self.forget_all();
        Ok(())
    }

    /// Renames index `old` to `new`; its tree keeps its name.
    ///
    /// Refusals: `IndexNotFound`, a taken name, `SchemaError::InvalidName`.
    pub fn rename_index(&mut self, old: &str, new: &str) -> Result<()> {
        let (t, i) = self.cache.index(&*self.txn, old)?;
        if old == new {
            return Ok(());
        }
        super::schema::check_name(new)?;
        self.check_name_free(new)?;
        let mut rec = t.rec.clone();
        rec.indexes[i].def.name = new.to_owned();
        catalog::remove_owner(self.txn, old)?;
        catalog::store_owner(self.txn, new, t.name())?;
        catalog::store_table(self.txn, &rec)?;
        self.txn.bump_schema_cookie();
        self.forget_all();
        Ok(())
    }

    /// Stores a changed table record (same name), bumps the cookie, forgets the cache;
    /// `columns_moved` also forgets the statistics, which are by column position.
    fn store_altered(
        &mut self,
        rec: &super::codec::TableRecord,
        columns_moved: bool,
    ) -> Result<()> {
        catalog::store_table(self.txn, rec)?;
        if columns_moved {
            catalog::remove_stats(self.txn, &rec.schema.name)?;
        }
        self.txn.bump_schema_cookie();
        self.forget_all();
        Ok(())
    }

    /// Whether `t` holds a row.
    fn has_rows(&self, t: &Resolved) -> Result<bool> {
        Ok(self.txn.iter(&t.tree).next().transpose()?.is_some())
    }
}

/// The position of column `name` of `t`.
pub(crate) fn column_position(t: &Resolved, name: &str) -> Result<usize> {
    t.schema().column_index(name).ok_or_else(|| {
        TableError::ColumnNotFound {
            table: t.name().to_owned(),
            column: name.to_owned(),
        }
        .into()
    })
}
