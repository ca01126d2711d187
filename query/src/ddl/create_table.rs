//! CREATE TABLE [IF NOT EXISTS]: columns with their types, NULL / NOT NULL, DEFAULT,
//! PRIMARY KEY and UNIQUE (column or table constraints; a UNIQUE becomes a unique
//! index named as PostgreSQL names it, `<table>_<cols>_key`, or by its constraint
//! name). The table and its indexes are created in the statement's write scope, so a
//! failure part-way leaves nothing.

use covet_engine::table::{ColumnDef, IndexDef, TableRead, TableSchema, TableWriter};
use covet_engine::value::{SortOrder, SqlType};
use sqlparser::ast::{
    ColumnOption, CreateTable, Expr, ForeignKeyConstraint, GeneratedAs, Ident, IndexColumn,
    SequenceOptions, TableConstraint,
};

use super::constraint::{add_check, add_foreign_key};

use super::default::{default_clause, DefaultClause};
use super::identity::add_identity;
use super::index::{generated_name, key_column, positions};
use super::types::column_type;
use crate::error::{QueryError, Result, SqlState};
use crate::session::Outcome;
use crate::statement::{done, names};

/// A UNIQUE constraint waiting for its index.
struct Unique {
    name: Option<String>,
    columns: Vec<(String, SortOrder)>,
}

pub(super) fn create_table(w: &mut TableWriter<'_>, ct: &CreateTable) -> Result<Outcome> {
    refuse_unsupported(ct)?;
    let table = names::object(&ct.name)?;
    if w.table_exists(&table)? || w.index_exists(&table)? {
        if ct.if_not_exists {
            return Ok(done("CREATE TABLE", None));
        }
        return Err(QueryError::new(
            SqlState::DUPLICATE_TABLE,
            format!("relation \"{table}\" already exists"),
        ));
    }
    if ct.query.is_some() {
        return Err(QueryError::unsupported("CREATE TABLE … AS"));
    }
    let mut columns = Vec::with_capacity(ct.columns.len());
    let mut primary_key: Option<Vec<String>> = None;
    let mut uniques = Vec::new();
    let mut checks: Vec<(Option<&Ident>, Option<String>, &Expr)> = Vec::new();
    let mut fks: Vec<(&ForeignKeyConstraint, Vec<String>)> = Vec::new();
    let mut identities: Vec<(String, SqlType, Vec<SequenceOptions>)> = Vec::new();
    let mut per_row: Vec<(String, String)> = Vec::new();
    for col in &ct.columns {
        let name = names::ident(&col.name);
        let declared = column_type(&col.data_type)?;
        let mut def = ColumnDef::new(name.clone(), declared.ty);
        if declared.serial {
            def.nullable = false;
            identities.push((name.clone(), declared.ty, Vec::new()));
        }
        let mut null_seen = None;
        for opt in &col.options {
            match &opt.option {
                ColumnOption::Null | ColumnOption::NotNull => {
                    let not_null = matches!(opt.option, ColumnOption::NotNull);
                    if null_seen.is_some_and(|seen| seen != not_null) {
                        return Err(QueryError::syntax(format!(
                            "conflicting NULL/NOT NULL declarations for column \"{name}\" of table \"{table}\""
                        )));
                    }
                    null_seen = Some(not_null);
                    def.nullable = !not_null;
                }
                ColumnOption::Default(expr) => match default_clause(expr, &name, &declared.ty)? {
                    DefaultClause::Constant(v) => def.default = Some(v),
                    DefaultClause::PerRow(sql) => per_row.push((name.clone(), sql)),
                },
                ColumnOption::PrimaryKey(_) => {
                    set_primary_key(&mut primary_key, &table, vec![name.clone()])?;
                }
                ColumnOption::Unique(_) => uniques.push(Unique {
                    name: opt.name.as_ref().map(names::ident),
                    columns: vec![(name.clone(), SortOrder::Asc)],
                }),
                ColumnOption::Comment(_) => {}
                ColumnOption::ForeignKey(fk) => fks.push((fk, vec![name.clone()])),
                ColumnOption::Check(c) => checks.push((
                    c.name.as_ref().or(opt.name.as_ref()),
                    Some(name.clone()),
                    c.expr.as_ref(),
                )),
                ColumnOption::Generated {
                    generated_as: GeneratedAs::Always | GeneratedAs::ByDefault,
                    sequence_options,
                    generation_expr: None,
                    ..
                } => {
                    def.nullable = false;
                    identities.push((
                        name.clone(),
                        declared.ty,
                        sequence_options.clone().unwrap_or_default(),
                    ));
                }
                ColumnOption::Generated { .. } => {
                    return Err(QueryError::unsupported("generated (computed) columns"))
                }
                other => return Err(QueryError::unsupported(format!("column option {other}"))),
            }
        }
        columns.push(def);
    }
    for constraint in &ct.constraints {
        match constraint {
            TableConstraint::PrimaryKey(pk) => {
                let cols = key_names(&pk.columns)?;
                set_primary_key(&mut primary_key, &table, cols)?;
            }
            TableConstraint::Unique(u) => uniques.push(Unique {
                name: u.name.as_ref().map(names::ident),
                columns: u.columns.iter().map(key_column).collect::<Result<_>>()?,
            }),
            TableConstraint::ForeignKey(fk) => fks.push((fk, Vec::new())),
            TableConstraint::Check(c) => checks.push((c.name.as_ref(), None, c.expr.as_ref())),
            other => return Err(QueryError::unsupported(format!("table constraint {other}"))),
        }
    }
    let mut schema = TableSchema::new(table.clone(), columns);
    if let Some(pk) = primary_key {
        let positions = pk
            .iter()
            .map(|c| column_position(&schema, c))
            .collect::<Result<Vec<_>>>()?;
        schema = schema.with_primary_key(positions);
    }
    w.create_table(schema)?;
    for u in uniques {
        let name = match u.name {
            Some(n) => n,
            None => generated_name(w, &table, &u.columns, "key")?,
        };
        let cols = positions(w, &table, &u.columns)?;
        w.create_index(IndexDef::new(name, table.clone(), cols).unique())?;
    }
    for (column, ty, options) in identities {
        add_identity(w, &table, &column, &ty, &options)?;
    }
    for (column, sql) in per_row {
        w.set_column_default_sql(&table, &column, Some(&sql))?;
    }
    for (name, column, expr) in checks {
        add_check(w, &table, name, column.as_deref(), expr)?;
    }
    for (fk, columns) in fks {
        add_foreign_key(w, &table, fk, &columns)?;
    }
    w.set_table_sql(&table, Some(&ct.to_string()))?;
    Ok(done("CREATE TABLE", None))
}

fn refuse_unsupported(ct: &CreateTable) -> Result<()> {
    let feature = if ct.or_replace {
        "CREATE OR REPLACE TABLE"
    } else if ct.temporary {
        "temporary tables"
    } else if ct.like.is_some() || ct.clone.is_some() {
        "CREATE TABLE … LIKE"
    } else if ct.inherits.is_some() || ct.partition_of.is_some() {
        "table inheritance and partitions"
    } else {
        return Ok(());
    };
    Err(QueryError::unsupported(feature))
}

fn key_names(cols: &[IndexColumn]) -> Result<Vec<String>> {
    cols.iter().map(|c| key_column(c).map(|(n, _)| n)).collect()
}

fn set_primary_key(slot: &mut Option<Vec<String>>, table: &str, cols: Vec<String>) -> Result<()> {
    if slot.is_some() {
        return Err(QueryError::new(
            SqlState::INVALID_TABLE_DEFINITION,
            format!("multiple primary keys for table \"{table}\" are not allowed"),
        ));
    }
    *slot = Some(cols);
    Ok(())
}

fn column_position(schema: &TableSchema, name: &str) -> Result<usize> {
    schema.column_index(name).ok_or_else(|| {
        QueryError::new(
            SqlState::UNDEFINED_COLUMN,
            format!("column \"{name}\" named in key does not exist"),
        )
    })
}

/// CREATE TABLE … AS query: a table with the query's column names and types (a rowid
/// table, as PostgreSQL's has no key), filled from the query's rows as they stream.
/// Tagged `SELECT n`, as PostgreSQL tags it.
pub(crate) fn create_table_as(
    w: &mut TableWriter<'_>,
    ct: &CreateTable,
    catalog: &crate::catalog::Catalog,
    params: &[covet_engine::value::Value],
    work_mem: usize,
) -> Result<Outcome> {
    refuse_unsupported(ct)?;
    let Some(query) = &ct.query else {
        return Err(QueryError::internal("CREATE TABLE AS without a query"));
    };
    let table = names::object(&ct.name)?;
    if w.table_exists(&table)? || w.index_exists(&table)? || w.view(&table)?.is_some() {
        if ct.if_not_exists {
            return Ok(done("CREATE TABLE AS", None));
        }
        return Err(QueryError::new(
            SqlState::DUPLICATE_TABLE,
            format!("relation \"{table}\" already exists"),
        ));
    }
    let (plan, _) = crate::statement::query::plan(query, catalog)?;
    let names: Vec<String> = if ct.columns.is_empty() {
        plan.columns.iter().map(|c| c.name.clone()).collect()
    } else {
        if ct.columns.len() > plan.columns.len() {
            return Err(QueryError::syntax(
                "CREATE TABLE AS specifies too many column names",
            ));
        }
        let mut names: Vec<String> = ct.columns.iter().map(|c| names::ident(&c.name)).collect();
        names.extend(plan.columns[names.len()..].iter().map(|c| c.name.clone()));
        names
    };
    let columns = names
        .into_iter()
        .zip(&plan.columns)
        .map(|(name, c)| ColumnDef::new(name, c.ty.default_sql_type()))
        .collect();
    w.create_table(TableSchema::new(table.clone(), columns))?;
    let mut running = crate::statement::query::Running::new(&plan, params, work_mem)?;
    let mut count = 0u64;
    while let Some(batch) = running.next_with(&*w)? {
        for row in batch {
            w.insert_row(&table, row)?;
            count += 1;
        }
    }
    w.set_table_sql(&table, Some(&ct.to_string()))?;
    Ok(done("SELECT", Some(count)))
}
