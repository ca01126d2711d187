//! Queries (SELECT, VALUES, WITH, set operations) and EXPLAIN: bound and planned by the
//! binder and planner, re-planned when the schema cookie moved, and run as a
//! [`RowStream`] that owns what it reads through.
//!
//! A plan is cached in its prepared statement with the cookie of the schema it was
//! planned against. A cookie names one committed schema; a write transaction that did
//! DDL sees a schema no cookie names (a rollback may reuse its cookie for another
//! schema), so there every execution binds and plans afresh.

use std::sync::{Arc, Mutex};

use covet_engine::table::TableRead;
use covet_engine::value::Value;
use sqlparser::ast::{self, Statement};

use crate::binder::{bind_query, ParamTypes};
use crate::catalog::Catalog;
use crate::error::{QueryError, Result};
use crate::exec::{build, ExecContext, ExecSettings, ExecState, Operator};
use crate::plan::{plan_query, PhysicalPlan};
use crate::session::{BatchSource, Engine, RowStream};
use crate::txn::Reader;
use crate::types::DataType;

/// A plan with the schema it was made for.
pub(crate) struct CachedPlan {
    /// The schema cookie (`None`: an uncommitted schema; never reused).
    pub key: Option<u64>,
    pub plan: Arc<PhysicalPlan>,
}

/// The plan slot of a prepared statement.
#[derive(Default)]
pub(crate) struct PlanSlot(Mutex<Option<CachedPlan>>);

impl PlanSlot {
    /// A slot holding `plan`.
    pub fn with(plan: CachedPlan) -> PlanSlot {
        PlanSlot(Mutex::new(Some(plan)))
    }

    /// The cached plan if it was made for schema `key`, else `make()`'s (cached when
    /// `key` names a committed schema).
    pub fn get_or_plan(
        &self,
        key: Option<u64>,
        make: impl FnOnce() -> Result<PhysicalPlan>,
    ) -> Result<Arc<PhysicalPlan>> {
        let mut slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let (Some(k), Some(cached)) = (key, slot.as_ref()) {
            if cached.key == Some(k) {
                return Ok(cached.plan.clone());
            }
        }
        let plan = Arc::new(make()?);
        if key.is_some() {
            *slot = Some(CachedPlan {
                key,
                plan: plan.clone(),
            });
        }
        Ok(plan)
    }
}

/// The catalog `reader` sees, from the engine's cache when it is a committed schema.
pub(crate) fn catalog(engine: &Engine, reader: &Reader) -> Result<(Arc<Catalog>, Option<u64>)> {
    let key = reader.catalog_key()?;
    let catalog = match key {
        Some(k) => reader.with_tables(|t| {
            engine
                .catalogs
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(k, t)
        })?,
        None => Arc::new(reader.with_tables(Catalog::load)?),
    };
    Ok((catalog, key))
}

/// Binds and plans a query; returns the plan and its parameter types.
pub(crate) fn plan(query: &ast::Query, catalog: &Catalog) -> Result<(PhysicalPlan, Vec<DataType>)> {
    let mut params = ParamTypes::new();
    let bound = bind_query(query, catalog, &mut params)?;
    Ok((plan_query(bound)?, params.types().to_vec()))
}

/// The EXPLAIN text of `stmt`: a query's plan; for INSERT, UPDATE and DELETE (bound in
/// full, so that EXPLAIN fails as the statement would) `Insert on t` etc. above the
/// plan of their source or target rows.
pub(crate) fn explain_lines(stmt: &Statement, catalog: &Catalog) -> Result<Vec<String>> {
    let mut params = Vec::new();
    match stmt {
        Statement::Query(q) => Ok(crate::explain::explain(&plan(q, catalog)?.0)),
        Statement::Update(u) => {
            let bound = crate::dml::bind_update(u, catalog, &mut params)?;
            Ok(crate::explain::explain_write(
                "Update",
                bound.table(),
                crate::explain::explain_target(bound.plan()),
            ))
        }
        Statement::Delete(d) => {
            let bound = crate::dml::bind_delete(d, catalog, &mut params)?;
            Ok(crate::explain::explain_write(
                "Delete",
                bound.table(),
                crate::explain::explain_target(bound.plan()),
            ))
        }
        Statement::Insert(i) => {
            crate::dml::describe_insert(i, catalog, &mut params)?;
            let ast::TableObject::TableName(name) = &i.table else {
                return Err(QueryError::unsupported("INSERT INTO a table function"));
            };
            let source = match &i.source {
                Some(q) if crate::dml::has_query_source(i) => {
                    crate::explain::explain(&plan(q, catalog)?.0)
                }
                // Plain VALUES, bound row by row without a plan.
                Some(q) => match q.body.as_ref() {
                    ast::SetExpr::Values(v) => vec![format!("Values ({} rows)", v.rows.len())],
                    _ => return Err(QueryError::internal("plain VALUES without VALUES")),
                },
                // DEFAULT VALUES: one row.
                None => vec!["Values (1 rows)".to_string()],
            };
            let table = crate::statement::names::object(name)?;
            Ok(crate::explain::explain_write("Insert", &table, source))
        }
        other => Err(QueryError::unsupported(format!(
            "EXPLAIN of {}",
            other.to_string().split_whitespace().next().unwrap_or("")
        ))),
    }
}

/// The state of a running plan: its operators and per-statement state.
pub(crate) struct Running {
    op: Box<dyn Operator>,
    state: ExecState,
}

impl Running {
    pub fn new(plan: &PhysicalPlan, params: &[Value], work_mem: usize) -> Result<Running> {
        let state = ExecState::new(plan, params.to_vec()).with_settings(ExecSettings {
            work_mem,
            ..ExecSettings::default()
        });
        Ok(Running {
            op: build(plan)?,
            state,
        })
    }

    /// The next batch, reading through `reader`.
    pub fn next(&mut self, reader: &Reader) -> Result<Option<Vec<Vec<Value>>>> {
        reader.with_tables(|t| self.next_with(t))
    }

    /// The next batch, reading through `tables`.
    pub fn next_with(&mut self, tables: &dyn TableRead) -> Result<Option<Vec<Vec<Value>>>> {
        let Running { op, state } = self;
        let mut ctx = ExecContext::new(tables, state);
        Ok(op.next_batch(&mut ctx)?.map(|b| b.rows))
    }

    /// A context for evaluating expressions of the plan (SET values, RETURNING) with
    /// its subqueries and parameters, reading through `tables`.
    pub fn context<'a>(&'a mut self, tables: &'a dyn TableRead) -> ExecContext<'a> {
        ExecContext::new(tables, &mut self.state)
    }
}

/// A plan streaming through a reader it owns.
struct PlanSource {
    reader: Reader,
    running: Running,
    /// Keeps the plan the operators were built from alive with the stream.
    _plan: Arc<PhysicalPlan>,
}

impl BatchSource for PlanSource {
    fn next_batch(&mut self) -> Result<Option<Vec<Vec<Value>>>> {
        self.running.next(&self.reader)
    }
}

/// A stream of `plan`'s rows through `reader`.
pub(crate) fn stream(
    plan: Arc<PhysicalPlan>,
    reader: Reader,
    params: &[Value],
    work_mem: usize,
    fail_mark: Option<(crate::txn::SharedWrite, u64)>,
) -> Result<RowStream> {
    let running = Running::new(&plan, params, work_mem)?;
    Ok(RowStream::of_plan(
        plan.clone(),
        Box::new(PlanSource {
            reader,
            running,
            _plan: plan,
        }),
        fail_mark,
    ))
}
