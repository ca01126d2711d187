//! DDL: CREATE/DROP TABLE, CREATE/DROP INDEX, TRUNCATE, over the engine's
//! [`TableWriter`] inside the statement's write scope (so a failed DDL statement leaves
//! nothing behind, and DDL in a block commits or rolls back with the block).

use covet_engine::table::{TableRead, TableWriter};
use sqlparser::ast::{ObjectType, Statement};

use crate::error::{QueryError, Result, SqlState};
use crate::session::Outcome;
use crate::statement::{done, names};

mod alter;
mod constraint;
mod create_table;
pub(crate) use create_table::create_table_as;
pub(crate) mod default;
mod identity;
mod index;
pub(crate) mod trigger;
pub(crate) mod types;
mod view;

/// Runs the DDL statement `stmt` through `w`.
pub(crate) fn execute(w: &mut TableWriter<'_>, stmt: &Statement) -> Result<Outcome> {
    match stmt {
        Statement::CreateTable(ct) => create_table::create_table(w, ct),
        Statement::CreateIndex(ci) => index::create_index(w, ci),
        Statement::AlterTable(at) => alter::alter_table(w, at),
        Statement::CreateView(cv) => view::create_view(w, cv),
        Statement::Drop {
            object_type,
            if_exists,
            names: list,
            cascade,
            ..
        } => {
            if *cascade {
                return Err(QueryError::unsupported("DROP … CASCADE"));
            }
            match object_type {
                ObjectType::Table => {
                    for name in list {
                        drop_table(w, &names::object(name)?, *if_exists)?;
                    }
                    Ok(done("DROP TABLE", None))
                }
                ObjectType::Index => {
                    for name in list {
                        index::drop_index(w, &names::object(name)?, *if_exists)?;
                    }
                    Ok(done("DROP INDEX", None))
                }
                ObjectType::View => {
                    for name in list {
                        let name = names::object(name)?;
                        view::drop_view(w, &name, *if_exists)?;
                        trigger::drop_for_table(w, &name)?;
                    }
                    Ok(done("DROP VIEW", None))
                }
                other => Err(QueryError::unsupported(format!("DROP {other}"))),
            }
        }
        Statement::Truncate(t) => {
            for target in &t.table_names {
                let name = names::object(&target.name)?;
                if !w.table_exists(&name)? {
                    return Err(undefined_table(&name));
                }
                w.truncate(&name)?;
            }
            Ok(done("TRUNCATE TABLE", None))
        }
        other => Err(QueryError::unsupported(format!("statement {other}"))),
    }
}

/// `42P01`: no table of that name.
pub(crate) fn undefined_table(name: &str) -> QueryError {
    QueryError::new(
        SqlState::UNDEFINED_TABLE,
        format!("relation \"{name}\" does not exist"),
    )
}

fn drop_table(w: &mut TableWriter<'_>, name: &str, if_exists: bool) -> Result<()> {
    if !w.table_exists(name)? {
        // IF EXISTS does not hide an object of another kind (PostgreSQL: 42809).
        if w.index_exists(name)? {
            return Err(QueryError::new(
                SqlState::WRONG_OBJECT_TYPE,
                format!("\"{name}\" is not a table"),
            )
            .with_hint("Use DROP INDEX to remove an index."));
        }
        if w.view(name)?.is_some() {
            return Err(QueryError::new(
                SqlState::WRONG_OBJECT_TYPE,
                format!("\"{name}\" is not a table"),
            )
            .with_hint("Use DROP VIEW to remove a view."));
        }
        if if_exists {
            return Ok(());
        }
        return Err(undefined_table(name));
    }
    let sequences = identity::owned_sequences(w, name)?;
    w.drop_table(name)?;
    trigger::drop_for_table(w, name)?;
    for seq in sequences {
        if w.sequence(&seq)?.is_some() {
            w.drop_sequence(&seq)?;
        }
    }
    Ok(())
}
