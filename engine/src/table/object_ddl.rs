//! Creating, dropping and reading views, sequences, CHECK and FOREIGN KEY constraints
//! and tables' SQL text (definitions and formats in `objects.rs`).
//!
//! Every change goes to the catalog tree in the caller's write transaction, so it
//! commits and rolls back (to a savepoint too) with everything else. Creating or dropping
//! any of them bumps the schema cookie; `nextval` and `setval` do not (they change a
//! value, not the schema) and rewrite only the sequence's own record, a few bytes.

use std::collections::HashSet;

use super::catalog::{self, Resolved, CHECK, DEFAULT_SQL, FOREIGN_KEY, SEQUENCE, TABLE_SQL, VIEW};
use super::error::TableError;
use super::objects::{
    self, CheckDef, FkRecord, ForeignKeyDef, SequenceDef, SequenceState, ViewDef,
};
use super::read::Access;
use super::schema::check_name;
use super::write::TableWriter;
use crate::error::Result;

fn damaged<'a>(
    what: &'static str,
    name: &'a str,
) -> impl Fn(super::CatalogDecodeError) -> crate::Error + 'a {
    move |e| catalog::corrupt(what, name, e)
}

impl TableWriter<'_> {
    /// Creates view `view`. Refusals: a taken name (views share the namespace of
    /// tables, indexes and sequences), `SchemaError` for bad or repeated names.
    pub fn create_view(&mut self, view: ViewDef) -> Result<()> {
        objects::validate_view(&view)?;
        self.check_name_free(&view.name)?;
        catalog::put(self.txn, VIEW, &view.name, &objects::encode_view(&view))?;
        self.txn.bump_schema_cookie();
        Ok(())
    }

    /// Drops view `name`. Refusal: `ViewNotFound`.
    pub fn drop_view(&mut self, name: &str) -> Result<()> {
        if catalog::get(&*self.txn, VIEW, name)?.is_none() {
            return Err(TableError::ViewNotFound {
                view: name.to_owned(),
            }
            .into());
        }
        catalog::remove(self.txn, VIEW, name)?;
        self.txn.bump_schema_cookie();
        Ok(())
    }

    /// Creates sequence `def`; its first `nextval` returns `def.start`. Refusals: a
    /// taken name, `InvalidDefinition` (see [`SequenceDef::validate`]).
    pub fn create_sequence(&mut self, def: SequenceDef) -> Result<()> {
        def.validate()?;
        self.check_name_free(&def.name)?;
        let state = SequenceState {
            last_value: def.start,
            called: false,
        };
        catalog::put(
            self.txn,
            SEQUENCE,
            &def.name,
            &objects::encode_sequence(&def, state),
        )?;
        self.txn.bump_schema_cookie();
        Ok(())
    }

    /// Drops sequence `name`. Refusal: `SequenceNotFound`.
    pub fn drop_sequence(&mut self, name: &str) -> Result<()> {
        self.load_sequence(name)?;
        catalog::remove(self.txn, SEQUENCE, name)?;
        self.txn.bump_schema_cookie();
        Ok(())
    }

    /// Advances sequence `name` and returns its new value (PostgreSQL's `nextval`): the
    /// start on the first call, then each call adds the increment; past a bound it wraps
    /// to the other bound if the sequence cycles, else fails with `SequenceExhausted`
    /// and changes nothing. It rewrites the sequence's record only, and rolls back with
    /// the transaction (unlike PostgreSQL, whose sequences ignore rollbacks; a rolled
    /// back value is handed out again, which keeps identity values dense).
    pub fn nextval(&mut self, name: &str) -> Result<i64> {
        let (def, state) = self.load_sequence(name)?;
        let value = if !state.called {
            state.last_value
        } else {
            let next = state.last_value.checked_add(def.increment);
            match next {
                Some(v) if v >= def.min && v <= def.max => v,
                _ if def.cycle => {
                    if def.increment > 0 {
                        def.min
                    } else {
                        def.max
                    }
                }
                _ => {
                    let (bound, value) = if def.increment > 0 {
                        ("maximum", def.max)
                    } else {
                        ("minimum", def.min)
                    };
                    return Err(TableError::SequenceExhausted {
                        sequence: name.to_owned(),
                        bound,
                        value,
                    }
                    .into());
                }
            }
        };
        let state = SequenceState {
            last_value: value,
            called: true,
        };
        catalog::put(
            self.txn,
            SEQUENCE,
            name,
            &objects::encode_sequence(&def, state),
        )?;
        Ok(value)
    }

    /// Sets sequence `name` (PostgreSQL's `setval`): with `called` the next `nextval`
    /// returns `value + increment`, without it `value`. Refusal: `InvalidDefinition`
    /// when `value` is outside the sequence's bounds.
    pub fn setval(&mut self, name: &str, value: i64, called: bool) -> Result<()> {
        let (def, _) = self.load_sequence(name)?;
        if value < def.min || value > def.max {
            return Err(TableError::InvalidDefinition {
                object: name.to_owned(),
                reason: format!(
                    "setval: value {value} is out of bounds ({}..{})",
                    def.min, def.max
                ),
            }
            .into());
        }
        let state = SequenceState {
            last_value: value,
            called,
        };
        catalog::put(
            self.txn,
            SEQUENCE,
            name,
            &objects::encode_sequence(&def, state),
        )
    }

    fn load_sequence(&self, name: &str) -> Result<(SequenceDef, SequenceState)> {
        self.access().sequence(name)?.ok_or_else(|| {
            TableError::SequenceNotFound {
                sequence: name.to_owned(),
            }
            .into()
        })
    }

    /// Adds CHECK constraint `check` to its table. Refusals: `TableNotFound`,
    /// `ConstraintExists` (CHECK and FOREIGN KEY names share one namespace per table),
    /// `SchemaError::InvalidName`.
    pub fn add_check(&mut self, check: CheckDef) -> Result<()> {
        check_name(&check.name)?;
        self.table(&check.table)?;
        self.check_constraint_free(&check.table, &check.name)?;
        catalog::scoped_put(
            self.txn,
            CHECK,
            &check.table,
            &check.name,
            &objects::encode_text(&check.sql),
        )?;
        self.txn.bump_schema_cookie();
        Ok(())
    }

    /// Adds FOREIGN KEY constraint `fk` to its table. Checks that both tables exist,
    /// the columns exist and are distinct, there are as many referenced columns as
    /// referencing ones, and the referenced columns are the referenced table's primary
    /// key or a unique index's columns. Existing rows are not checked (the SQL layer
    /// validates them, as it enforces the constraint).
    ///
    /// Refusals: `TableNotFound`, `ConstraintExists`, `InvalidDefinition`, a
    /// `SchemaError` (bad name, unknown or repeated column).
    pub fn add_foreign_key(&mut self, fk: ForeignKeyDef) -> Result<()> {
        check_name(&fk.name)?;
        let t = self.table(&fk.table)?;
        let r = self.table(&fk.ref_table)?;
        let invalid = |reason: &str| -> crate::Error {
            TableError::InvalidDefinition {
                object: fk.name.clone(),
                reason: reason.to_owned(),
            }
            .into()
        };
        if fk.columns.is_empty() {
            return Err(invalid("a foreign key needs at least one column"));
        }
        if fk.columns.len() != fk.ref_columns.len() {
            return Err(invalid(
                "the numbers of referencing and referenced columns differ",
            ));
        }
        check_distinct(&t, &fk.columns, &fk.name)?;
        check_distinct(&r, &fk.ref_columns, &fk.name)?;
        if !has_unique_key(&r, &fk.ref_columns, None) {
            return Err(invalid(
                "the referenced columns are not the primary key nor a unique index of the referenced table",
            ));
        }
        self.check_constraint_free(&fk.table, &fk.name)?;
        let rec = FkRecord {
            columns: fk.columns.iter().map(|&p| t.rec.slots[p]).collect(),
            ref_table: fk.ref_table.clone(),
            ref_columns: fk.ref_columns.iter().map(|&p| r.rec.slots[p]).collect(),
            on_delete: fk.on_delete,
            on_update: fk.on_update,
        };
        catalog::scoped_put(
            self.txn,
            FOREIGN_KEY,
            &fk.table,
            &fk.name,
            &objects::encode_fk(&rec),
        )?;
        self.txn.bump_schema_cookie();
        Ok(())
    }

    /// Drops the CHECK or FOREIGN KEY constraint `name` of `table`. Refusal:
    /// `ConstraintNotFound`.
    pub fn drop_constraint(&mut self, table: &str, name: &str) -> Result<()> {
        self.table(table)?;
        for kind in [CHECK, FOREIGN_KEY] {
            if catalog::scoped_get(&*self.txn, kind, table, name)?.is_some() {
                catalog::scoped_remove(self.txn, kind, table, name)?;
                self.txn.bump_schema_cookie();
                return Ok(());
            }
        }
        Err(TableError::ConstraintNotFound {
            table: table.to_owned(),
            constraint: name.to_owned(),
        }
        .into())
    }

    /// Stores (`Some`) or removes (`None`) the SQL text of `table`'s definition, for
    /// the shell's `.schema` (the engine keeps it verbatim; ALTER TABLE does not
    /// change it). Refusal: `TableNotFound`.
    pub fn set_table_sql(&mut self, table: &str, sql: Option<&str>) -> Result<()> {
        self.table(table)?;
        match sql {
            Some(sql) => catalog::put(self.txn, TABLE_SQL, table, &objects::encode_text(sql))?,
            None => catalog::remove(self.txn, TABLE_SQL, table)?,
        }
        self.txn.bump_schema_cookie();
        Ok(())
    }

    /// Stores (`Some`) or removes (`None`) the SQL text of the default expression of
    /// column `column` of `table` (`now()`, `nextval('t_id_seq')` for SERIAL, …), for the
    /// SQL layer to evaluate at INSERT; a constant default is the column's
    /// [`ColumnDef::default`](super::ColumnDef::default) instead. The text follows the
    /// column through renames and goes with it. Refusals: `TableNotFound`,
    /// `ColumnNotFound`.
    pub fn set_column_default_sql(
        &mut self,
        table: &str,
        column: &str,
        sql: Option<&str>,
    ) -> Result<()> {
        let t = self.table(table)?;
        let p = super::alter::column_position(&t, column)?;
        let slot = t.rec.slots[p].to_string();
        match sql {
            Some(sql) => catalog::scoped_put(
                self.txn,
                DEFAULT_SQL,
                table,
                &slot,
                &objects::encode_text(sql),
            )?,
            None => catalog::scoped_remove(self.txn, DEFAULT_SQL, table, &slot)?,
        }
        self.txn.bump_schema_cookie();
        Ok(())
    }

    fn check_constraint_free(&self, table: &str, name: &str) -> Result<()> {
        for kind in [CHECK, FOREIGN_KEY] {
            if catalog::scoped_get(&*self.txn, kind, table, name)?.is_some() {
                return Err(TableError::ConstraintExists {
                    table: table.to_owned(),
                    constraint: name.to_owned(),
                }
                .into());
            }
        }
        Ok(())
    }

    /// The foreign keys (table, name, record) whose referenced table is `table`.
    pub(super) fn foreign_keys_referencing_raw(
        &self,
        table: &str,
    ) -> Result<Vec<(String, String, FkRecord)>> {
        referencing_raw(&*self.txn, table)
    }

    /// A foreign key that uses column `position` of `t`, as a referencing or a
    /// referenced column, described for `ColumnInUse`.
    pub(super) fn foreign_key_using(
        &self,
        t: &Resolved,
        position: usize,
    ) -> Result<Option<String>> {
        let slot = t.rec.slots[position];
        for rec in catalog::scoped_list(&*self.txn, FOREIGN_KEY, Some(t.name()))? {
            let fk = objects::decode_fk(&rec.value).map_err(damaged("foreign key", &rec.name))?;
            if fk.columns.contains(&slot) {
                return Ok(Some(describe(&rec.table, &rec.name)));
            }
        }
        for (table, name, fk) in self.foreign_keys_referencing_raw(t.name())? {
            if fk.ref_columns.contains(&slot) {
                return Ok(Some(describe(&table, &name)));
            }
        }
        Ok(None)
    }

    /// Fails when another table's foreign key references table `t` (before dropping it).
    pub(super) fn check_not_referenced(&self, t: &Resolved) -> Result<()> {
        match self
            .foreign_keys_referencing_raw(t.name())?
            .into_iter()
            .find(|(table, _, _)| table != t.name())
        {
            Some((table, name, _)) => Err(TableError::ObjectInUse {
                object: format!("table {:?}", t.name()),
                by: describe(&table, &name),
            }
            .into()),
            None => Ok(()),
        }
    }

    /// Fails when dropping index `index` of `t` would leave a foreign key referencing
    /// `t` without a primary key or unique index over its referenced columns.
    pub(super) fn check_index_not_needed(&self, t: &Resolved, index: usize) -> Result<()> {
        for (table, name, fk) in self.foreign_keys_referencing_raw(t.name())? {
            let positions = slots_to_positions(t, &fk.ref_columns, &name)?;
            if !has_unique_key(t, &positions, Some(index)) {
                return Err(TableError::ObjectInUse {
                    object: format!("index {:?}", t.rec.indexes[index].def.name),
                    by: describe(&table, &name),
                }
                .into());
            }
        }
        Ok(())
    }
}

fn describe(table: &str, constraint: &str) -> String {
    format!("constraint {constraint:?} of table {table:?}")
}

fn referencing_raw(kv: &dyn super::kv::Kv, table: &str) -> Result<Vec<(String, String, FkRecord)>> {
    let mut out = Vec::new();
    for rec in catalog::scoped_list(kv, FOREIGN_KEY, None)? {
        let fk = objects::decode_fk(&rec.value).map_err(damaged("foreign key", &rec.name))?;
        if fk.ref_table == table {
            out.push((rec.table, rec.name, fk));
        }
    }
    Ok(out)
}

/// Checks that `positions` are distinct columns of `t`.
fn check_distinct(t: &Resolved, positions: &[usize], object: &str) -> Result<()> {
    let mut seen = HashSet::new();
    for &p in positions {
        let Some(c) = t.schema().columns.get(p) else {
            return Err(super::SchemaError::UnknownColumn {
                table: t.name().to_owned(),
                position: p,
            }
            .into());
        };
        if !seen.insert(p) {
            return Err(super::SchemaError::RepeatedKeyColumn {
                object: object.to_owned(),
                column: c.name.clone(),
            }
            .into());
        }
    }
    Ok(())
}

/// Whether `positions` (as a set) are `t`'s primary key or the columns of one of its
/// unique indexes other than index `skip`.
fn has_unique_key(t: &Resolved, positions: &[usize], skip: Option<usize>) -> bool {
    let want: HashSet<usize> = positions.iter().copied().collect();
    let same = |cols: &mut dyn Iterator<Item = usize>| {
        let got: HashSet<usize> = cols.collect();
        got.len() == want.len() && got == want
    };
    if let Some(pk) = &t.schema().primary_key {
        if pk.len() == positions.len() && same(&mut pk.iter().copied()) {
            return true;
        }
    }
    t.rec.indexes.iter().enumerate().any(|(i, ix)| {
        Some(i) != skip
            && ix.def.unique
            && ix.def.columns.len() == positions.len()
            && same(&mut ix.def.columns.iter().map(|&(p, _)| p))
    })
}

/// The positions in `t` of the slots of foreign key `name`.
fn slots_to_positions(t: &Resolved, slots: &[u32], name: &str) -> Result<Vec<usize>> {
    slots
        .iter()
        .map(|s| {
            t.rec.slots.iter().position(|x| x == s).ok_or_else(|| {
                catalog::corrupt(
                    "foreign key",
                    name,
                    super::CatalogDecodeError::Invalid {
                        what: "foreign key column",
                        reason: "names no column of its table",
                    },
                )
            })
        })
        .collect()
}

impl Access<'_> {
    pub(crate) fn list_views(&self) -> Result<Vec<String>> {
        catalog::names(self.kv, VIEW)
    }

    pub(crate) fn view(&self, name: &str) -> Result<Option<ViewDef>> {
        catalog::get(self.kv, VIEW, name)?
            .map(|b| objects::decode_view(name, &b).map_err(damaged("view", name)))
            .transpose()
    }

    pub(crate) fn list_sequences(&self) -> Result<Vec<String>> {
        catalog::names(self.kv, SEQUENCE)
    }

    pub(crate) fn sequence(&self, name: &str) -> Result<Option<(SequenceDef, SequenceState)>> {
        catalog::get(self.kv, SEQUENCE, name)?
            .map(|b| objects::decode_sequence(name, &b).map_err(damaged("sequence", name)))
            .transpose()
    }

    pub(crate) fn checks(&self, table: &str) -> Result<Vec<CheckDef>> {
        self.table(table)?;
        catalog::scoped_list(self.kv, CHECK, Some(table))?
            .into_iter()
            .map(|rec| {
                let sql = objects::decode_text(&rec.value).map_err(damaged("check", &rec.name))?;
                Ok(CheckDef {
                    name: rec.name,
                    table: rec.table,
                    sql,
                })
            })
            .collect()
    }

    fn fk_def(&self, table: &str, name: String, fk: FkRecord) -> Result<ForeignKeyDef> {
        let t = self.table(table)?;
        let r = self.table(&fk.ref_table)?;
        Ok(ForeignKeyDef {
            columns: slots_to_positions(&t, &fk.columns, &name)?,
            ref_columns: slots_to_positions(&r, &fk.ref_columns, &name)?,
            name,
            table: table.to_owned(),
            ref_table: fk.ref_table,
            on_delete: fk.on_delete,
            on_update: fk.on_update,
        })
    }

    pub(crate) fn foreign_keys(&self, table: &str) -> Result<Vec<ForeignKeyDef>> {
        self.table(table)?;
        catalog::scoped_list(self.kv, FOREIGN_KEY, Some(table))?
            .into_iter()
            .map(|rec| {
                let fk =
                    objects::decode_fk(&rec.value).map_err(damaged("foreign key", &rec.name))?;
                self.fk_def(table, rec.name, fk)
            })
            .collect()
    }

    pub(crate) fn foreign_keys_referencing(&self, table: &str) -> Result<Vec<ForeignKeyDef>> {
        self.table(table)?;
        let mut raw = referencing_raw(self.kv, table)?;
        // Catalog keys order by the table name's length first: sort by name.
        raw.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        raw.into_iter()
            .map(|(t, name, fk)| self.fk_def(&t, name, fk))
            .collect()
    }

    pub(crate) fn column_default_sql(&self, table: &str) -> Result<Vec<Option<String>>> {
        let t = self.table(table)?;
        let mut out = vec![None; t.rec.slots.len()];
        for rec in catalog::scoped_list(self.kv, DEFAULT_SQL, Some(table))? {
            let bad = || {
                catalog::corrupt(
                    "column default",
                    &rec.name,
                    super::CatalogDecodeError::Invalid {
                        what: "column default slot",
                        reason: "names no column of its table",
                    },
                )
            };
            let slot: u32 = rec.name.parse().map_err(|_| bad())?;
            let p = t
                .rec
                .slots
                .iter()
                .position(|&s| s == slot)
                .ok_or_else(bad)?;
            out[p] = Some(
                objects::decode_text(&rec.value).map_err(damaged("column default", &rec.name))?,
            );
        }
        Ok(out)
    }

    pub(crate) fn table_sql(&self, table: &str) -> Result<Option<String>> {
        self.table(table)?;
        catalog::get(self.kv, TABLE_SQL, table)?
            .map(|b| objects::decode_text(&b).map_err(damaged("table SQL text", table)))
            .transpose()
    }
}
