//! DDL: CREATE/DROP TABLE, CREATE/DROP INDEX, TRUNCATE, over the engine's
//! [`TableWriter`] inside the statement's write scope (so a failed DDL statement leaves
//! nothing behind, and DDL in a block commits or rolls back with the block).

use covet_engine::table::TableWriter;
use sqlparser::ast::{ObjectType, Statement};

use crate::error::{QueryError, Result, SqlState};
use crate::session::Outcome;
use crate::statement::{done, names};
use drop::{DropBehavior, RelationKind};

mod alter;
mod constraint;
mod create_table;
mod depend;
mod drop;
pub(crate) use create_table::create_table_as;
pub(crate) mod default;
mod identity;
mod index;
pub(crate) mod trigger;
mod truncate;
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
            restrict,
            ..
        } => {
            let behavior = DropBehavior::of(*cascade, *restrict);
            let list = list
                .iter()
                .map(names::object)
                .collect::<Result<Vec<String>>>()?;
            match object_type {
                ObjectType::Table => {
                    drop::drop_relations(w, RelationKind::Table, &list, *if_exists, behavior)?;
                    Ok(done("DROP TABLE", None))
                }
                ObjectType::View => {
                    drop::drop_relations(w, RelationKind::View, &list, *if_exists, behavior)?;
                    Ok(done("DROP VIEW", None))
                }
                ObjectType::Index => {
                    if *cascade {
                        return Err(QueryError::unsupported("DROP INDEX … CASCADE"));
                    }
                    for name in &list {
                        index::drop_index(w, name, *if_exists)?;
                    }
                    Ok(done("DROP INDEX", None))
                }
                other => Err(QueryError::unsupported(format!("DROP {other}"))),
            }
        }
        Statement::Truncate(t) => {
            let list = t
                .table_names
                .iter()
                .map(|target| names::object(&target.name))
                .collect::<Result<Vec<String>>>()?;
            let cascade = matches!(t.cascade, Some(sqlparser::ast::CascadeOption::Cascade));
            truncate::truncate(w, list, cascade)?;
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
