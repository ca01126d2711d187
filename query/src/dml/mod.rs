//! DML: INSERT (`insert.rs`), UPDATE and DELETE (`update.rs`), their expressions
//! (`scope.rs`), RETURNING (`returning.rs`) and the coercion of values to column types
//! (`coerce.rs`).

pub(crate) mod coerce;
pub(crate) mod constraints;
mod insert;
mod returning;
pub(crate) mod scope;
mod update;

pub(crate) use insert::{
    bind_insert, describe_insert, has_query_source, run_insert, BoundInsert, DmlResult,
};
pub(crate) use scope::now_micros;
pub(crate) use update::{
    bind_delete, bind_update, is_default, BoundChange, DmlEnv, MAX_BUFFERED_ROWS,
};
