//! UPDATE … SET … [WHERE …] [RETURNING …] and DELETE … [WHERE …] [RETURNING …] over one
//! table.
//!
//! The target rows stream: the table is read in primary-key order in batches of
//! [`BATCH`] rows, each batch re-seeking after the last key of the one before, so the
//! writes of a batch never disturb the read of the next and memory stays bounded by
//! the batch, whatever the table's size.
//!
//! The Halloween problem: an UPDATE that changes a primary-key column moves rows
//! forward in key order, where a later batch would meet them again. Only then are the
//! target keys collected first (bounded by [`MAX_BUFFERED_KEYS`]: past it the statement
//! fails with 54000 rather than using unbounded memory), and the rows updated from that
//! list. Secondary indexes are not used for reading here, so an update of an indexed
//! column needs no such care.

use std::ops::Bound;

use covet_engine::table::{KeyRange, Row, TableRead, TableSchema, TableWriter};
use covet_engine::value::Value;
use sqlparser::ast::{Assignment, AssignmentTarget, Delete, FromTable, TableFactor, Update};

use super::coerce::to_column;
use super::constraints::TableConstraints;
use super::insert::DmlResult;
use super::returning::Returning;
use super::scope::{is_true, Relation, RowScope, StatementContext};
use crate::ddl::undefined_table;
use crate::error::{QueryError, Result, SqlState};
use crate::expr::{evaluate, ScalarExpr};
use crate::statement::names;
use crate::types::DataType;

/// Rows read per batch.
pub(crate) const BATCH: usize = 256;

/// Most keys an UPDATE of primary-key columns collects before updating.
pub(crate) const MAX_BUFFERED_KEYS: usize = 1 << 20;

/// Binds SET assignments over `relations`: (column position, value, its type).
pub(crate) fn assignments(
    list: &[Assignment],
    schema: &TableSchema,
    relations: &[Relation],
    param_types: &mut Vec<DataType>,
) -> Result<Vec<(usize, ScalarExpr, DataType)>> {
    let mut scope = RowScope {
        relations,
        params: param_types,
        what: "UPDATE",
    };
    let mut out: Vec<(usize, ScalarExpr, DataType)> = Vec::with_capacity(list.len());
    for a in list {
        let AssignmentTarget::ColumnName(name) = &a.target else {
            return Err(QueryError::unsupported("assignment of a column tuple"));
        };
        let column = match name.0.as_slice() {
            [_] => names::object(name)?,
            _ => {
                return Err(QueryError::unsupported(format!(
                    "qualified assignment target {name}"
                )))
            }
        };
        let pos = schema.column_index(&column).ok_or_else(|| {
            QueryError::new(
                SqlState::UNDEFINED_COLUMN,
                format!(
                    "column \"{column}\" of relation \"{}\" does not exist",
                    schema.name
                ),
            )
        })?;
        if out.iter().any(|(p, _, _)| *p == pos) {
            return Err(QueryError::new(
                SqlState::DUPLICATE_COLUMN,
                format!("multiple assignments to same column \"{column}\""),
            ));
        }
        let (expr, ty) = if is_default(&a.value) {
            let v = schema.columns[pos].default.clone().unwrap_or(Value::Null);
            let ty = DataType::of_value(&v);
            (ScalarExpr::Literal(v), ty)
        } else {
            scope.bind_value(&a.value)?
        };
        out.push((pos, expr, ty));
    }
    Ok(out)
}

fn is_default(e: &sqlparser::ast::Expr) -> bool {
    matches!(e, sqlparser::ast::Expr::Identifier(id) if id.quote_style.is_none() && id.value.eq_ignore_ascii_case("default"))
}

/// The target table and the name its columns are qualified by.
fn target(factor: &TableFactor) -> Result<(String, String)> {
    match factor {
        TableFactor::Table { name, alias, .. } => {
            let table = names::object(name)?;
            let qualifier = alias
                .as_ref()
                .map(|a| names::ident(&a.name))
                .unwrap_or_else(|| table.clone());
            Ok((table, qualifier))
        }
        other => Err(QueryError::unsupported(format!("DML target {other}"))),
    }
}

fn relation(schema: &TableSchema, qualifier: String) -> Relation {
    Relation {
        name: qualifier,
        columns: schema
            .columns
            .iter()
            .map(|c| (c.name.clone(), c.ty))
            .collect(),
    }
}

/// Reads the rows after `after` (all, for `None`), at most [`BATCH`] of them.
fn next_batch(w: &TableWriter<'_>, table: &str, after: &Option<Vec<Value>>) -> Result<Vec<Row>> {
    let range = match after {
        None => KeyRange::all(),
        Some(pk) => KeyRange::new(Bound::Excluded(pk.clone()), Bound::Unbounded),
    };
    let rows = w
        .scan_range(table, &range)?
        .take(BATCH)
        .collect::<covet_engine::Result<Vec<Row>>>()?;
    Ok(rows)
}

fn bind_filter(
    selection: &Option<sqlparser::ast::Expr>,
    relations: &[Relation],
    param_types: &mut Vec<DataType>,
    what: &'static str,
) -> Result<Option<ScalarExpr>> {
    let Some(e) = selection else {
        return Ok(None);
    };
    let mut scope = RowScope {
        relations,
        params: param_types,
        what,
    };
    let (bound, ty) = scope.bind(e)?;
    if !matches!(ty, DataType::Bool | DataType::Unknown) {
        return Err(QueryError::new(
            SqlState::DATATYPE_MISMATCH,
            format!(
                "argument of WHERE must be type boolean, not type {}",
                ty.name()
            ),
        ));
    }
    Ok(Some(bound))
}

fn passes(
    filter: &Option<ScalarExpr>,
    row: &[Value],
    ctx: &mut StatementContext<'_>,
) -> Result<bool> {
    match filter {
        None => Ok(true),
        Some(f) => is_true(&evaluate(f, row, ctx)?),
    }
}

pub(crate) fn update(
    w: &mut TableWriter<'_>,
    up: &Update,
    params: &[Value],
    param_types: &mut Vec<DataType>,
    time_micros: i64,
) -> Result<DmlResult> {
    if up.from.is_some() || !up.table.joins.is_empty() {
        return Err(QueryError::unsupported("UPDATE … FROM"));
    }
    if up.or.is_some() || up.limit.is_some() || !up.order_by.is_empty() {
        return Err(QueryError::unsupported("UPDATE OR / ORDER BY / LIMIT"));
    }
    let (table, qualifier) = target(&up.table.relation)?;
    if !w.table_exists(&table)? {
        return Err(undefined_table(&table));
    }
    let schema = w.table_schema(&table)?;
    let relations = [relation(&schema, qualifier)];
    let sets = assignments(&up.assignments, &schema, &relations, param_types)?;
    let filter = bind_filter(&up.selection, &relations, param_types, "WHERE")?;
    let returning = match &up.returning {
        Some(items) => Some(Returning::bind(items, &relations, param_types)?),
        None => None,
    };
    let mut ctx = StatementContext {
        params,
        time_micros,
    };
    let constraints = TableConstraints::load(w, &schema)?;
    let moves_keys = schema
        .primary_key
        .as_ref()
        .is_some_and(|pk| sets.iter().any(|(p, _, _)| pk.contains(p)));
    let mut count = 0;
    let mut out_rows = Vec::new();
    let mut apply =
        |w: &mut TableWriter<'_>, row: Row, ctx: &mut StatementContext<'_>| -> Result<()> {
            let mut new_row = row.values.clone();
            for (pos, expr, ty) in &sets {
                let v = evaluate(expr, &row.values, ctx)?;
                let col = &schema.columns[*pos];
                new_row[*pos] = to_column(v, *ty, &col.name, &col.ty)?;
            }
            if !constraints.is_empty() {
                constraints.check_new_row(w, &new_row, ctx)?;
                constraints.before_update(w, &row.values, &new_row)?;
            }
            w.update_row(&table, &row.pk, new_row.clone())?;
            count += 1;
            if let Some(r) = &returning {
                out_rows.push(r.row(&new_row, ctx)?);
            }
            Ok(())
        };
    let mut after = None;
    if moves_keys {
        // Halloween protection (see the module documentation).
        let mut targets: Vec<Vec<Value>> = Vec::new();
        loop {
            let batch = next_batch(w, &table, &after)?;
            let Some(last) = batch.last() else { break };
            after = Some(last.pk.clone());
            for row in batch {
                if passes(&filter, &row.values, &mut ctx)? {
                    if targets.len() == MAX_BUFFERED_KEYS {
                        return Err(QueryError::new(
                            SqlState::PROGRAM_LIMIT_EXCEEDED,
                            format!(
                                "an UPDATE of primary key columns changes at most {MAX_BUFFERED_KEYS} rows"
                            ),
                        ));
                    }
                    targets.push(row.pk);
                }
            }
        }
        for pk in targets {
            let values = w
                .get_row(&table, &pk)?
                .ok_or_else(|| QueryError::internal("an UPDATE target row vanished"))?;
            apply(w, Row { pk, values }, &mut ctx)?;
        }
    } else {
        loop {
            let batch = next_batch(w, &table, &after)?;
            let Some(last) = batch.last() else { break };
            after = Some(last.pk.clone());
            for row in batch {
                if passes(&filter, &row.values, &mut ctx)? {
                    apply(w, row, &mut ctx)?;
                }
            }
        }
    }
    let returning = returning.map(|r| (r.columns, out_rows));
    Ok(DmlResult { count, returning })
}

pub(crate) fn delete(
    w: &mut TableWriter<'_>,
    del: &Delete,
    params: &[Value],
    param_types: &mut Vec<DataType>,
    time_micros: i64,
) -> Result<DmlResult> {
    if del.using.is_some() {
        return Err(QueryError::unsupported("DELETE … USING"));
    }
    if !del.tables.is_empty() || del.limit.is_some() || !del.order_by.is_empty() {
        return Err(QueryError::unsupported(
            "DELETE with several tables / ORDER BY / LIMIT",
        ));
    }
    let from = match &del.from {
        FromTable::WithFromKeyword(f) | FromTable::WithoutKeyword(f) => f,
    };
    let [only] = from.as_slice() else {
        return Err(QueryError::unsupported("DELETE from several tables"));
    };
    if !only.joins.is_empty() {
        return Err(QueryError::unsupported("DELETE from a join"));
    }
    let (table, qualifier) = target(&only.relation)?;
    if !w.table_exists(&table)? {
        return Err(undefined_table(&table));
    }
    let schema = w.table_schema(&table)?;
    let relations = [relation(&schema, qualifier)];
    let filter = bind_filter(&del.selection, &relations, param_types, "WHERE")?;
    let returning = match &del.returning {
        Some(items) => Some(Returning::bind(items, &relations, param_types)?),
        None => None,
    };
    let constraints = TableConstraints::load(w, &schema)?;
    let mut ctx = StatementContext {
        params,
        time_micros,
    };
    let mut count = 0;
    let mut out_rows = Vec::new();
    let mut after = None;
    loop {
        let batch = next_batch(w, &table, &after)?;
        let Some(last) = batch.last() else { break };
        after = Some(last.pk.clone());
        for row in batch {
            if passes(&filter, &row.values, &mut ctx)? {
                constraints.before_delete(w, &row.values)?;
                w.delete_row(&table, &row.pk)?;
                count += 1;
                if let Some(r) = &returning {
                    out_rows.push(r.row(&row.values, &mut ctx)?);
                }
            }
        }
    }
    let returning = returning.map(|r| (r.columns, out_rows));
    Ok(DmlResult { count, returning })
}
