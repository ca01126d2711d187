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
//! * [`functions`]: scalar, aggregate and window functions;
//! * [`catalog`]: the binder's view of the schema; [`binder`]: query blocks to logical
//!   plans; [`plan`]: logical and physical plans and the rule-based planner; [`exec`]:
//!   the streaming executor; [`explain`]: EXPLAIN text.

pub mod binder;
pub mod catalog;
mod convert;
mod ddl;
mod dml;
pub mod error;
pub mod exec;
pub mod explain;
pub mod expr;
pub mod functions;
pub mod ops;
pub mod plan;
mod script;
mod session;
pub mod settings;
mod statement;
mod trigger;
mod txn;
pub mod types;

pub use binder::{
    bind_dml_target, bind_insert_target, bind_query, BoundQuery, DmlTarget, ParamTypes,
};
pub use catalog::{Catalog, CatalogCache, TableInfo};
pub use covet_engine as engine;
pub use ddl::trigger::{decode_stored_trigger, StoredTrigger, TRIGGER_TREE};
pub use error::{QueryError, Result, SqlState};
pub use exec::{ExecContext, ExecState, Operator};
pub use explain::explain;
pub use plan::{plan_query, PhysicalPlan};
pub use session::{
    Column, CommandTag, Engine, Outcome, Prepared, RowStream, Session, StatementText,
    TransactionStatus,
};
pub use txn::IsolationLevel;
pub use types::DataType;
