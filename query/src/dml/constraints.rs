//! CHECK and FOREIGN KEY enforcement. The engine stores the definitions
//! ([`CheckDef`], [`ForeignKeyDef`]) and enforces neither; this module does, row by row,
//! inside the statement (so a violation undoes the whole statement).
//!
//! * CHECK: the stored SQL text is parsed and bound over the table's row once per
//!   statement; a row for which it is FALSE is 23514 (NULL passes, as in SQL).
//! * FOREIGN KEY, child side: a row whose referencing columns are all non-NULL needs
//!   the referenced row (MATCH SIMPLE), else 23503.
//! * FOREIGN KEY, parent side: deleting a referenced row, or changing its referenced
//!   columns, applies the key's action to the referencing rows: NO ACTION and RESTRICT
//!   fail with 23503 (covet checks NO ACTION at once, not at the end of the statement:
//!   a statement that deletes a parent and its children together must delete the
//!   children first), CASCADE deletes (or updates) them, SET NULL / SET DEFAULT change
//!   their columns. Cascades recurse, at most [`MAX_CASCADE_DEPTH`] levels deep.
//!
//! The referencing rows are found through an index whose leading columns are the
//! foreign key's, when the child table has one, else by a scan of the child table.

use covet_engine::table::{
    CheckDef, FkAction, ForeignKeyDef, KeyRange, TableRead, TableSchema, TableWriter,
};
use covet_engine::value::Value;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use super::scope::{Relation, RowScope, StatementContext};
use crate::error::{QueryError, Result, SqlState};
use crate::expr::{evaluate, ScalarExpr};
use crate::types::DataType;

/// How deep ON DELETE/UPDATE CASCADE may chain.
pub(crate) const MAX_CASCADE_DEPTH: usize = 64;

/// The relation of a table's own row, named after the table.
pub(crate) fn row_relation(schema: &TableSchema) -> Relation {
    Relation {
        name: schema.name.clone(),
        columns: schema
            .columns
            .iter()
            .map(|c| (c.name.clone(), c.ty))
            .collect(),
    }
}

/// Parses and binds a CHECK expression's text over `schema`'s row.
pub(crate) fn bind_check(sql: &str, schema: &TableSchema) -> Result<ScalarExpr> {
    let expr = Parser::new(&PostgreSqlDialect {})
        .try_with_sql(sql)
        .and_then(|mut p| p.parse_expr())
        .map_err(|e| QueryError::syntax(format!("CHECK constraint {sql}: {e}")))?;
    let rel = [row_relation(schema)];
    let mut params = Vec::new();
    let mut scope = RowScope {
        relations: &rel,
        params: &mut params,
        what: "check constraint",
    };
    let (bound, ty) = scope.bind(&expr)?;
    if !matches!(ty, DataType::Bool | DataType::Unknown) {
        return Err(QueryError::new(
            SqlState::DATATYPE_MISMATCH,
            format!(
                "argument of CHECK must be type boolean, not type {}",
                ty.name()
            ),
        ));
    }
    Ok(bound)
}

/// The constraints of one table, bound for one statement.
pub(crate) struct TableConstraints {
    table: String,
    checks: Vec<(String, ScalarExpr)>,
    /// Keys of this table that reference others.
    parents: Vec<ForeignKeyDef>,
    /// Keys of other tables (or this one) that reference this table.
    children: Vec<ForeignKeyDef>,
}

impl TableConstraints {
    /// Loads and binds `schema`'s constraints through `w`.
    pub fn load(w: &TableWriter<'_>, schema: &TableSchema) -> Result<TableConstraints> {
        let checks = w
            .checks(&schema.name)?
            .into_iter()
            .map(|c: CheckDef| Ok((c.name, bind_check(&c.sql, schema)?)))
            .collect::<Result<_>>()?;
        Ok(TableConstraints {
            table: schema.name.clone(),
            checks,
            parents: w.foreign_keys(&schema.name)?,
            children: w.foreign_keys_referencing(&schema.name)?,
        })
    }

    /// Whether no constraint applies (the common case: nothing to do per row).
    pub fn is_empty(&self) -> bool {
        self.checks.is_empty() && self.parents.is_empty() && self.children.is_empty()
    }

    /// Checks a row about to be stored: CHECK constraints and referenced rows.
    pub fn check_new_row(
        &self,
        w: &TableWriter<'_>,
        row: &[Value],
        ctx: &mut StatementContext<'_>,
    ) -> Result<()> {
        for (name, expr) in &self.checks {
            if evaluate(expr, row, ctx)? == Value::Bool(false) {
                return Err(QueryError::new(
                    SqlState::CHECK_VIOLATION,
                    format!(
                        "new row for relation \"{}\" violates check constraint \"{name}\"",
                        self.table
                    ),
                ));
            }
        }
        for fk in &self.parents {
            check_parent(w, fk, row)?;
        }
        Ok(())
    }

    /// Applies the ON DELETE actions of the keys referencing `row`, about to be deleted.
    pub fn before_delete(&self, w: &mut TableWriter<'_>, row: &[Value]) -> Result<()> {
        for fk in &self.children {
            on_parent_change(w, fk, row, None, 0)?;
        }
        Ok(())
    }

    /// Applies the ON UPDATE actions of the keys referencing `old`, about to become `new`.
    pub fn before_update(
        &self,
        w: &mut TableWriter<'_>,
        old: &[Value],
        new: &[Value],
    ) -> Result<()> {
        for fk in &self.children {
            on_parent_change(w, fk, old, Some(new), 0)?;
        }
        Ok(())
    }
}

fn key_text(values: &[Value]) -> String {
    values
        .iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn column_names(schema: &TableSchema, positions: &[usize]) -> String {
    positions
        .iter()
        .map(|&p| schema.columns[p].name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Fails with 23503 unless the row `row` of `fk.table` references an existing row.
pub(crate) fn check_parent(w: &TableWriter<'_>, fk: &ForeignKeyDef, row: &[Value]) -> Result<()> {
    let key: Vec<Value> = fk.columns.iter().map(|&c| row[c].clone()).collect();
    if key.iter().any(Value::is_null) {
        return Ok(());
    }
    if find_by_columns(w, &fk.ref_table, &fk.ref_columns, &key, 1)?.is_empty() {
        let schema = w.table_schema(&fk.table)?;
        return Err(QueryError::new(
            SqlState::FOREIGN_KEY_VIOLATION,
            format!(
                "insert or update on table \"{}\" violates foreign key constraint \"{}\"",
                fk.table, fk.name
            ),
        )
        .with_hint(format!(
            "Key ({})=({}) is not present in table \"{}\".",
            column_names(&schema, &fk.columns),
            key_text(&key),
            fk.ref_table
        )));
    }
    Ok(())
}

/// The rows of `table` whose `columns` equal `key` (at most `limit`), as (pk, values):
/// through the primary key or an index led by those columns when there is one.
fn find_by_columns(
    w: &TableWriter<'_>,
    table: &str,
    columns: &[usize],
    key: &[Value],
    limit: usize,
) -> Result<Vec<(Vec<Value>, Vec<Value>)>> {
    let schema = w.table_schema(table)?;
    if let Some(pk) = &schema.primary_key {
        if pk.len() == columns.len() && pk.iter().all(|c| columns.contains(c)) {
            let pk_values: Vec<Value> = pk
                .iter()
                .map(|c| key[columns.iter().position(|x| x == c).expect("contained")].clone())
                .collect();
            return Ok(w
                .get_row(table, &pk_values)?
                .map(|values| (pk_values, values))
                .into_iter()
                .collect());
        }
    }
    for idx in w.indexes(table)? {
        if idx.columns.len() < columns.len() {
            continue;
        }
        let lead: Vec<usize> = idx.columns[..columns.len()]
            .iter()
            .map(|(c, _)| *c)
            .collect();
        if lead.iter().all(|c| columns.contains(c)) && columns.iter().all(|c| lead.contains(c)) {
            let prefix: Vec<Value> = lead
                .iter()
                .map(|c| key[columns.iter().position(|x| x == c).expect("contained")].clone())
                .collect();
            let mut out = Vec::new();
            for row in w.index_scan(&idx.name, &KeyRange::prefix(prefix))? {
                let row = row?;
                out.push((row.pk, row.values));
                if out.len() == limit {
                    break;
                }
            }
            return Ok(out);
        }
    }
    let mut out = Vec::new();
    for row in w.scan(table)? {
        let row = row?;
        let matches = columns
            .iter()
            .zip(key)
            .all(|(&c, k)| row.values[c].sql_eq(k) && !k.is_null());
        if matches {
            out.push((row.pk, row.values));
            if out.len() == limit {
                break;
            }
        }
    }
    Ok(out)
}

/// Applies `fk`'s action to the rows referencing `old` (a row of `fk.ref_table`) when
/// it is deleted (`new` = None) or updated to `new`.
fn on_parent_change(
    w: &mut TableWriter<'_>,
    fk: &ForeignKeyDef,
    old: &[Value],
    new: Option<&[Value]>,
    depth: usize,
) -> Result<()> {
    let old_key: Vec<Value> = fk.ref_columns.iter().map(|&c| old[c].clone()).collect();
    if old_key.iter().any(Value::is_null) {
        return Ok(());
    }
    let new_key: Option<Vec<Value>> =
        new.map(|n| fk.ref_columns.iter().map(|&c| n[c].clone()).collect());
    if let Some(nk) = &new_key {
        // The referenced values did not change: nothing references anything new.
        if nk
            .iter()
            .zip(&old_key)
            .all(|(a, b)| a.sql_eq(b) && !a.is_null())
        {
            return Ok(());
        }
    }
    let action = if new.is_some() {
        fk.on_update
    } else {
        fk.on_delete
    };
    let children = find_by_columns(w, &fk.table, &fk.columns, &old_key, usize::MAX)?;
    if children.is_empty() {
        return Ok(());
    }
    if depth >= MAX_CASCADE_DEPTH {
        return Err(QueryError::new(
            SqlState::STATEMENT_TOO_COMPLEX,
            format!("foreign key actions nest deeper than {MAX_CASCADE_DEPTH} levels"),
        ));
    }
    let child_schema = w.table_schema(&fk.table)?;
    match action {
        FkAction::NoAction | FkAction::Restrict => Err(QueryError::new(
            SqlState::FOREIGN_KEY_VIOLATION,
            format!(
                "update or delete on table \"{}\" violates foreign key constraint \"{}\" on table \"{}\"",
                fk.ref_table, fk.name, fk.table
            ),
        )
        .with_hint(format!(
            "Key ({})=({}) is still referenced from table \"{}\".",
            column_names(&w.table_schema(&fk.ref_table)?, &fk.ref_columns),
            key_text(&old_key),
            fk.table
        ))),
        FkAction::Cascade => {
            let grandchildren = w.foreign_keys_referencing(&fk.table)?;
            for (pk, values) in children {
                match &new_key {
                    None => {
                        for g in &grandchildren {
                            on_parent_change(w, g, &values, None, depth + 1)?;
                        }
                        w.delete_row(&fk.table, &pk)?;
                    }
                    Some(nk) => {
                        let mut changed = values.clone();
                        for (&c, v) in fk.columns.iter().zip(nk) {
                            changed[c] = v.clone();
                        }
                        for g in &grandchildren {
                            on_parent_change(w, g, &values, Some(&changed), depth + 1)?;
                        }
                        w.update_row(&fk.table, &pk, changed)?;
                    }
                }
            }
            Ok(())
        }
        FkAction::SetNull | FkAction::SetDefault => {
            let grandchildren = w.foreign_keys_referencing(&fk.table)?;
            let parents = w.foreign_keys(&fk.table)?;
            for (pk, values) in children {
                let mut changed = values.clone();
                for &c in &fk.columns {
                    changed[c] = match action {
                        FkAction::SetNull => Value::Null,
                        _ => child_schema.columns[c].default.clone().unwrap_or(Value::Null),
                    };
                }
                for g in &grandchildren {
                    on_parent_change(w, g, &values, Some(&changed), depth + 1)?;
                }
                if action == FkAction::SetDefault {
                    // The default must reference an existing row too (the parent row
                    // being deleted no longer counts).
                    for p in parents.iter().filter(|p| p.name == fk.name) {
                        let key: Vec<Value> =
                            p.columns.iter().map(|&c| changed[c].clone()).collect();
                        if key.iter().zip(&old_key).all(|(a, b)| a.sql_eq(b)) {
                            return Err(QueryError::new(
                                SqlState::FOREIGN_KEY_VIOLATION,
                                format!(
                                    "insert or update on table \"{}\" violates foreign key constraint \"{}\"",
                                    fk.table, fk.name
                                ),
                            ));
                        }
                        check_parent(w, p, &changed)?;
                    }
                }
                w.update_row(&fk.table, &pk, changed)?;
            }
            Ok(())
        }
    }
}
