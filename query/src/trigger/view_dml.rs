//! INSERT, UPDATE and DELETE on a view that has INSTEAD OF triggers for the event:
//! the rows the statement would change are computed from the view (and the statement's
//! VALUES, SET and WHERE), then each fires the triggers with NEW and OLD in the view's
//! columns. A view without such a trigger keeps its error (the caller's ordinary path).
//!
//! The rows are collected before the first firing (at most
//! [`MAX_BUFFERED_ROWS`](crate::dml::MAX_BUFFERED_ROWS)): the triggers change the
//! tables the view reads.

use covet_engine::table::TableWriter;
use covet_engine::value::Value;
use sqlparser::ast::{AssignmentTarget, FromTable, SetExpr, Statement, TableFactor, TableObject};

use super::def::Event;
use super::fire::{FireEnv, Flow, RowTriggers};
use crate::catalog::Catalog;
use crate::dml::{DmlEnv, DmlResult};
use crate::error::{QueryError, Result, SqlState};
use crate::statement::names;
use crate::statement::query::Running;
use crate::types::DataType;

/// Runs `stmt` through the INSTEAD OF triggers of its target if that is a view that
/// has some for the statement's event; `None` otherwise.
pub(crate) fn instead_of(
    w: &mut TableWriter<'_>,
    stmt: &Statement,
    catalog: &Catalog,
    env: &DmlEnv<'_>,
) -> Result<Option<DmlResult>> {
    let Some((relation, name, event)) = target(stmt)? else {
        return Ok(None);
    };
    let Some(name) = name else {
        return Ok(None);
    };
    if catalog.view(&name).is_none() {
        return Ok(None);
    }
    let columns = view_columns(&name, catalog)?;
    let set: Vec<usize> = match stmt {
        Statement::Update(u) => u
            .assignments
            .iter()
            .map(|a| assigned(&a.target, &columns, &name))
            .collect::<Result<_>>()?,
        _ => Vec::new(),
    };
    let fire_env = FireEnv {
        time_micros: env.time_micros,
        work_mem: env.work_mem,
    };
    let Some(triggers) = RowTriggers::load(w, &name, &columns, event, &set, fire_env)? else {
        return Ok(None);
    };
    if !triggers.has_instead() {
        return Ok(None);
    }
    let returning = match stmt {
        Statement::Insert(i) => i.returning.is_some(),
        Statement::Update(u) => u.returning.is_some(),
        Statement::Delete(d) => d.returning.is_some(),
        _ => false,
    };
    if returning {
        return Err(QueryError::unsupported(
            "RETURNING from a view's INSTEAD OF trigger",
        ));
    }
    let n = columns.len();
    let mut count = 0;
    match stmt {
        Statement::Insert(i) => {
            let positions: Vec<usize> = if i.columns.is_empty() {
                (0..n).collect()
            } else {
                i.columns
                    .iter()
                    .map(|c| {
                        let c = names::object(c)?;
                        columns.iter().position(|(x, _)| *x == c).ok_or_else(|| {
                            QueryError::new(
                                SqlState::UNDEFINED_COLUMN,
                                format!("column \"{c}\" of relation \"{name}\" does not exist"),
                            )
                        })
                    })
                    .collect::<Result<_>>()?
            };
            let rows = match &i.source {
                Some(q) => {
                    if let SetExpr::Values(v) = q.body.as_ref() {
                        if v.rows
                            .iter()
                            .flat_map(|r| &r.content)
                            .any(crate::dml::is_default)
                        {
                            return Err(QueryError::unsupported(
                                "DEFAULT in an INSERT into a view",
                            ));
                        }
                    }
                    collect(&q.to_string(), catalog, env, w)?
                }
                None => vec![Vec::new()],
            };
            for values in rows {
                if !values.is_empty() && values.len() != positions.len() {
                    return Err(QueryError::syntax(if values.len() > positions.len() {
                        "INSERT has more expressions than target columns"
                    } else {
                        "INSERT has more target columns than expressions"
                    }));
                }
                let mut new = vec![Value::Null; n];
                for (v, &p) in values.into_iter().zip(&positions) {
                    new[p] = v;
                }
                if triggers.instead(w, None, Some(&new))? == Flow::Proceed {
                    count += 1;
                }
            }
        }
        Statement::Update(u) => {
            let mut sql = String::from("SELECT *");
            for a in &u.assignments {
                if crate::dml::is_default(&a.value) {
                    return Err(QueryError::unsupported("SET … = DEFAULT on a view"));
                }
                sql.push_str(&format!(", ({})", a.value));
            }
            sql.push_str(&format!(" FROM {}", relation.expect("an UPDATE target")));
            if let Some(s) = &u.selection {
                sql.push_str(&format!(" WHERE {s}"));
            }
            for row in collect(&sql, catalog, env, w)? {
                let old = &row[..n];
                let mut new = old.to_vec();
                for (&p, v) in set.iter().zip(&row[n..]) {
                    new[p] = v.clone();
                }
                if triggers.instead(w, Some(old), Some(&new))? == Flow::Proceed {
                    count += 1;
                }
            }
        }
        Statement::Delete(d) => {
            let mut sql = format!("SELECT * FROM {}", relation.expect("a DELETE target"));
            if let Some(s) = &d.selection {
                sql.push_str(&format!(" WHERE {s}"));
            }
            for old in collect(&sql, catalog, env, w)? {
                if triggers.instead(w, Some(&old), None)? == Flow::Proceed {
                    count += 1;
                }
            }
        }
        _ => {}
    }
    Ok(Some(DmlResult {
        count,
        returning: None,
    }))
}

/// Whether the target of INSERT, UPDATE or DELETE `stmt` is a view of `catalog`.
pub(crate) fn targets_view(stmt: &Statement, catalog: &Catalog) -> bool {
    matches!(target(stmt), Ok(Some((_, Some(name), _))) if catalog.view(&name).is_some())
}

type Target<'a> = (Option<&'a TableFactor>, Option<String>, Event);

/// The target of INSERT, UPDATE or DELETE `stmt`: its relation, its name, the event.
fn target(stmt: &Statement) -> Result<Option<Target<'_>>> {
    Ok(Some(match stmt {
        Statement::Insert(i) => match &i.table {
            TableObject::TableName(n) => (None, Some(names::object(n)?), Event::Insert),
            _ => return Ok(None),
        },
        Statement::Update(u) => (
            Some(&u.table.relation),
            relation_name(&u.table.relation)?,
            Event::Update,
        ),
        Statement::Delete(d) => {
            let from = match &d.from {
                FromTable::WithFromKeyword(f) | FromTable::WithoutKeyword(f) => f,
            };
            match from.as_slice() {
                [only] => (
                    Some(&only.relation),
                    relation_name(&only.relation)?,
                    Event::Delete,
                ),
                _ => return Ok(None),
            }
        }
        _ => return Ok(None),
    }))
}

fn relation_name(factor: &TableFactor) -> Result<Option<String>> {
    match factor {
        TableFactor::Table { name, .. } => Ok(Some(names::object(name)?)),
        _ => Ok(None),
    }
}

fn assigned(
    target: &AssignmentTarget,
    columns: &[(String, DataType)],
    view: &str,
) -> Result<usize> {
    let AssignmentTarget::ColumnName(name) = target else {
        return Err(QueryError::unsupported("assignment of a column tuple"));
    };
    let column = names::object(name)?;
    columns
        .iter()
        .position(|(c, _)| *c == column)
        .ok_or_else(|| {
            QueryError::new(
                SqlState::UNDEFINED_COLUMN,
                format!("column \"{column}\" of relation \"{view}\" does not exist"),
            )
        })
}

/// The view's columns with their types.
pub(crate) fn view_columns(name: &str, catalog: &Catalog) -> Result<Vec<(String, DataType)>> {
    let sql = format!("SELECT * FROM \"{}\"", name.replace('"', "\"\""));
    let Statement::Query(q) = crate::statement::parse_one(&sql)? else {
        return Err(QueryError::internal("SELECT is not a query"));
    };
    let (plan, _) = crate::statement::query::plan(&q, catalog)?;
    Ok(plan
        .columns
        .iter()
        .map(|c| (c.name.clone(), c.ty))
        .collect())
}

/// Runs the query `sql` and collects its rows.
fn collect(
    sql: &str,
    catalog: &Catalog,
    env: &DmlEnv<'_>,
    w: &TableWriter<'_>,
) -> Result<Vec<Vec<Value>>> {
    let Statement::Query(q) = crate::statement::parse_one(sql)? else {
        return Err(QueryError::internal("a view's rows come from a query"));
    };
    let (plan, _) = crate::statement::query::plan(&q, catalog)?;
    let mut running = Running::new(&plan, env.params, env.work_mem)?;
    let mut rows = Vec::new();
    while let Some(batch) = running.next_with(w)? {
        if rows.len() + batch.len() > crate::dml::MAX_BUFFERED_ROWS {
            return Err(QueryError::new(
                SqlState::PROGRAM_LIMIT_EXCEEDED,
                format!(
                    "a change of a view through INSTEAD OF triggers changes at most {} rows",
                    crate::dml::MAX_BUFFERED_ROWS
                ),
            ));
        }
        rows.extend(batch);
    }
    Ok(rows)
}
