//! covet-query: SQL text → bound plan → optimized plan → streaming execution.
//!
//! The pipeline (see `ARCHITECTURE.md`): `sqlparser` AST (PostgreSQL dialect) →
//! binder (names, types, SQLSTATE errors) → logical plan → physical plan (rules now,
//! the cost-based optimizer later) → executor (batches of rows through operators).
//!
//! * [`Engine`] and [`Session`] (`session.rs`) are the entry points;
//! * [`error`]: [`QueryError`] with its [`SqlState`];
//! * [`types`]: [`DataType`], the type of an expression;
//! * [`expr`]: scalar expressions, bound and evaluated;
//! * [`functions`]: scalar, aggregate and window functions.

mod convert;
mod ddl;
mod dml;
pub mod error;
pub mod expr;
pub mod functions;
pub mod ops;
mod script;
mod session;
pub mod settings;
mod statement;
mod txn;
pub mod types;

pub use covet_engine as engine;
pub use error::{QueryError, Result, SqlState};
pub use session::{
    Column, CommandTag, Engine, Outcome, Prepared, RowStream, Session, StatementText,
    TransactionStatus,
};
pub use txn::IsolationLevel;
pub use types::DataType;
