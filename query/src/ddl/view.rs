//! CREATE [OR REPLACE] VIEW [IF NOT EXISTS] (DROP VIEW is in `drop.rs`). A view is stored
//! as its query's SQL text and its column names; the binder expands it where it is
//! used.

use covet_engine::table::{TableRead, TableWriter, ViewDef};
use sqlparser::ast::CreateView;

use crate::error::{QueryError, Result, SqlState};
use crate::session::Outcome;
use crate::statement::{done, names};

pub(super) fn create_view(w: &mut TableWriter<'_>, cv: &CreateView) -> Result<Outcome> {
    if cv.materialized {
        return Err(QueryError::unsupported("materialized views"));
    }
    let name = names::object(&cv.name)?;
    let exists = w.view(&name)?.is_some();
    if exists && cv.if_not_exists {
        return Ok(done("CREATE VIEW", None));
    }
    if exists && cv.or_replace {
        w.drop_view(&name)?;
    } else if exists || w.table_exists(&name)? || w.index_exists(&name)? {
        return Err(QueryError::new(
            SqlState::DUPLICATE_TABLE,
            format!("relation \"{name}\" already exists"),
        ));
    }
    let columns = cv.columns.iter().map(|c| names::ident(&c.name)).collect();
    w.create_view(ViewDef {
        name,
        sql: cv.query.to_string(),
        columns,
    })?;
    Ok(done("CREATE VIEW", None))
}

/// Whether view `name` exists; a table by that name, or a missing view without IF
/// EXISTS, is an error.
pub(super) fn view_to_drop(w: &TableWriter<'_>, name: &str, if_exists: bool) -> Result<bool> {
    if w.view(name)?.is_some() {
        return Ok(true);
    }
    // IF EXISTS does not hide a table of that name (PostgreSQL: 42809).
    if w.table_exists(name)? {
        return Err(QueryError::new(
            SqlState::WRONG_OBJECT_TYPE,
            format!("\"{name}\" is not a view"),
        )
        .with_hint("Use DROP TABLE to remove a table."));
    }
    if if_exists {
        return Ok(false);
    }
    Err(QueryError::new(
        SqlState::UNDEFINED_TABLE,
        format!("view \"{name}\" does not exist"),
    ))
}
