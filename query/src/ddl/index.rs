//! CREATE [UNIQUE] INDEX [IF NOT EXISTS] and DROP INDEX [IF EXISTS].

use covet_engine::table::{IndexDef, TableRead, TableWriter};
use covet_engine::value::SortOrder;
use sqlparser::ast::{CreateIndex, Expr, IndexColumn, OrderBySort};

use super::undefined_table;
use crate::error::{QueryError, Result, SqlState};
use crate::session::Outcome;
use crate::statement::{done, names};

/// The column an index key part names, with its direction.
pub(super) fn key_column(col: &IndexColumn) -> Result<(String, SortOrder)> {
    let name = match &col.column.expr {
        Expr::Identifier(id) => names::ident(id),
        other => {
            return Err(QueryError::unsupported(format!(
                "index on expression {other}"
            )))
        }
    };
    if col.operator_class.is_some() {
        return Err(QueryError::unsupported("index operator classes"));
    }
    let order = match &col.column.options.sort {
        None | Some(OrderBySort::Asc) => SortOrder::Asc,
        Some(OrderBySort::Desc) => SortOrder::Desc,
        Some(OrderBySort::Using(op)) => {
            return Err(QueryError::unsupported(format!("index ordered USING {op}")))
        }
    };
    Ok((name, order))
}

/// The positions in `table` of the named key columns (42703 for an unknown one).
pub(super) fn positions(
    w: &TableWriter<'_>,
    table: &str,
    cols: &[(String, SortOrder)],
) -> Result<Vec<(usize, SortOrder)>> {
    let schema = w.table_schema(table)?;
    cols.iter()
        .map(|(name, order)| {
            schema
                .column_index(name)
                .map(|i| (i, *order))
                .ok_or_else(|| {
                    QueryError::new(
                        SqlState::UNDEFINED_COLUMN,
                        format!("column \"{name}\" does not exist"),
                    )
                })
        })
        .collect()
}

/// A free name `<table>_<columns>_<suffix>`, as PostgreSQL names unnamed indexes.
pub(super) fn generated_name(
    w: &TableWriter<'_>,
    table: &str,
    cols: &[(String, SortOrder)],
    suffix: &str,
) -> Result<String> {
    let stem: Vec<&str> = cols.iter().map(|(c, _)| c.as_str()).collect();
    let base = format!("{table}_{}", stem.join("_"));
    // Names are at most 63 bytes: shorten the stem on a character boundary.
    let room = covet_engine::table::MAX_NAME_LEN - suffix.len() - 4;
    let mut cut = base.len().min(room);
    while !base.is_char_boundary(cut) {
        cut -= 1;
    }
    let base = &base[..cut];
    let mut name = format!("{base}_{suffix}");
    let mut n = 1;
    while w.index_exists(&name)? || w.table_exists(&name)? {
        name = format!("{base}_{suffix}{n}");
        n += 1;
    }
    Ok(name)
}

pub(super) fn create_index(w: &mut TableWriter<'_>, ci: &CreateIndex) -> Result<Outcome> {
    if ci.predicate.is_some() {
        return Err(QueryError::unsupported(
            "partial indexes (CREATE INDEX … WHERE)",
        ));
    }
    if !ci.include.is_empty() {
        return Err(QueryError::unsupported("CREATE INDEX … INCLUDE"));
    }
    if ci.using.is_some() {
        return Err(QueryError::unsupported("CREATE INDEX … USING"));
    }
    let table = names::object(&ci.table_name)?;
    if !w.table_exists(&table)? {
        return Err(undefined_table(&table));
    }
    let cols = ci
        .columns
        .iter()
        .map(key_column)
        .collect::<Result<Vec<_>>>()?;
    let name = match &ci.name {
        Some(n) => names::object(n)?,
        None => generated_name(w, &table, &cols, "idx")?,
    };
    if w.index_exists(&name)? || w.table_exists(&name)? {
        if ci.if_not_exists {
            return Ok(done("CREATE INDEX", None));
        }
        return Err(QueryError::new(
            SqlState::DUPLICATE_TABLE,
            format!("relation \"{name}\" already exists"),
        ));
    }
    let columns = positions(w, &table, &cols)?;
    let mut def = IndexDef::new(name, table, columns);
    if ci.unique {
        def = def.unique();
    }
    w.create_index(def)?;
    Ok(done("CREATE INDEX", None))
}

pub(super) fn drop_index(w: &mut TableWriter<'_>, name: &str, if_exists: bool) -> Result<()> {
    if !w.index_exists(name)? {
        if if_exists {
            return Ok(());
        }
        if w.table_exists(name)? {
            return Err(QueryError::new(
                SqlState::WRONG_OBJECT_TYPE,
                format!("\"{name}\" is not an index"),
            )
            .with_hint("Use DROP TABLE to remove a table."));
        }
        return Err(QueryError::new(
            SqlState::UNDEFINED_OBJECT,
            format!("index \"{name}\" does not exist"),
        ));
    }
    w.drop_index(name)?;
    Ok(())
}
