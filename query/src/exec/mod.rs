//! The executor: operators that pull batches of rows from their inputs.
//!
//! * [`Operator`]: `next_batch` returns up to [`BATCH_SIZE`] rows, or `None` at the end;
//! * [`ExecState`]: what a running statement keeps between batches (parameters, the
//!   subquery plans and the cache of uncorrelated subquery results, the outer-row stack
//!   of correlated subqueries, settings, spill statistics);
//! * [`ExecContext`]: an [`ExecState`] plus storage access *for one call*
//!   (`&dyn TableRead`). The contract with the statement layer: no operator holds an
//!   engine iterator across `next_batch` calls — scans remember their last key and seek
//!   past it at the next call — so the caller may write to the same transaction between
//!   batches (UPDATE/DELETE … WHERE over a big table stream instead of buffering).
//!
//! Invariant: the outer-row stack is balanced at every return of `next_batch`
//! (correlated subqueries and dependent joins push and pop within one call).
//!
//! `statement_timeout`: every operator [`build_node`] makes is wrapped so that each
//! `next_batch` call first checks the statement's deadline (`ExecState::deadline`,
//! one clock read per batch); loops that do much work between batches (nested-loop
//! and hash-join probes) also charge it through [`ExecContext::charge`]. Past it the
//! statement fails with 57014 and the statement layer rolls its effects back.

use std::cell::Cell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use covet_engine::table::TableRead;
use covet_engine::value::Value;

use crate::error::{QueryError, Result, SqlState};
use crate::expr::{EvalContext, ScalarExpr, SubqueryId, SubqueryKind};
use crate::plan::{PhysicalNode, PhysicalPlan, SubqueryPlan};

mod aggregate;
mod join;
mod keys;
mod misc;
mod recursive;
mod scan;
mod setop;
mod sort;
mod spill;
mod window;

pub use keys::{compare_sort_keys, hash_key};

/// The most rows a batch holds.
pub const BATCH_SIZE: usize = 1024;

/// The default work memory per sort, hash table or window partition: 64 MiB.
pub const DEFAULT_WORK_MEM: usize = 64 << 20;

/// A batch of rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    /// The rows, each as wide as the operator's output.
    pub rows: Vec<Vec<Value>>,
}

/// A running operator.
pub trait Operator: Send {
    /// The next rows (never an empty batch), or `None` when done.
    fn next_batch(&mut self, ctx: &mut ExecContext<'_>) -> Result<Option<Batch>>;
}

/// Settings of one statement's execution.
#[derive(Debug, Clone)]
pub struct ExecSettings {
    /// Bytes a sort, hash table or window partition may hold before it spills (or, for
    /// what cannot spill, fails with 53200).
    pub work_mem: usize,
    /// Where spill files go.
    pub temp_dir: PathBuf,
}

impl Default for ExecSettings {
    fn default() -> ExecSettings {
        ExecSettings {
            work_mem: DEFAULT_WORK_MEM,
            temp_dir: std::env::temp_dir(),
        }
    }
}

thread_local! {
    /// The deadline of the statement this thread is executing. Execution states are
    /// made deep inside DDL and DML code that does not carry the session's settings;
    /// each captures this when it is made, so a stream read after the statement
    /// returned keeps its statement's deadline.
    static STATEMENT_DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Runs `f` (one statement) with `deadline` as the deadline of the execution states it
/// makes.
pub(crate) fn with_statement_deadline<T>(deadline: Option<Instant>, f: impl FnOnce() -> T) -> T {
    struct Restore(Option<Instant>);
    impl Drop for Restore {
        fn drop(&mut self) {
            STATEMENT_DEADLINE.set(self.0);
        }
    }
    let _restore = Restore(STATEMENT_DEADLINE.replace(deadline));
    f()
}

/// Rows of work between two clock reads in [`ExecContext::charge`].
const CHARGE_PER_CHECK: usize = BATCH_SIZE;

/// The 57014 of a statement past its `statement_timeout`.
pub(crate) fn statement_timeout() -> QueryError {
    QueryError::new(
        SqlState::QUERY_CANCELED,
        "canceling statement due to statement timeout",
    )
}

/// What the executor counted (for tests and EXPLAIN ANALYZE).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExecStats {
    /// Temporary files written by spilling operators.
    pub spill_files: u64,
    /// Rows written to them.
    pub spilled_rows: u64,
}

/// The state of one running statement, kept between batches.
pub struct ExecState {
    params: Vec<Value>,
    subqueries: Arc<[SubqueryPlan]>,
    cache: HashMap<usize, Arc<Vec<Vec<Value>>>>,
    outer: Vec<Vec<Value>>,
    work_tables: HashMap<usize, Arc<recursive::WorkTable>>,
    statement_time_micros: i64,
    /// When the statement must have finished (`statement_timeout`), if ever: the
    /// deadline of the statement this thread was running when the state was made
    /// (see [`with_statement_deadline`]).
    deadline: Option<Instant>,
    /// Work charged since the deadline was last checked.
    charged: usize,
    /// The settings.
    pub settings: ExecSettings,
    /// What was counted so far.
    pub stats: ExecStats,
}

impl ExecState {
    /// The state for running `plan` with `params` (`$1` is `params[0]`).
    pub fn new(plan: &PhysicalPlan, params: Vec<Value>) -> ExecState {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as i64);
        ExecState {
            params,
            subqueries: plan.subqueries.clone(),
            cache: HashMap::new(),
            outer: Vec::new(),
            work_tables: HashMap::new(),
            statement_time_micros: now,
            deadline: STATEMENT_DEADLINE.get(),
            charged: 0,
            settings: ExecSettings::default(),
            stats: ExecStats::default(),
        }
    }

    /// The same state with other settings.
    pub fn with_settings(mut self, settings: ExecSettings) -> ExecState {
        self.settings = settings;
        self
    }

    /// Fixes the statement time (`now()`), in microseconds since 1970.
    pub fn set_statement_time(&mut self, micros: i64) {
        self.statement_time_micros = micros;
    }

    /// The statement's parameters.
    pub fn params(&self) -> &[Value] {
        &self.params
    }
}

/// An [`ExecState`] with storage access for one call.
pub struct ExecContext<'a> {
    /// The tables, read through the statement's transaction.
    pub storage: &'a dyn TableRead,
    /// The statement's state.
    pub state: &'a mut ExecState,
}

impl<'a> ExecContext<'a> {
    /// A context for one call.
    pub fn new(storage: &'a dyn TableRead, state: &'a mut ExecState) -> ExecContext<'a> {
        ExecContext { storage, state }
    }

    /// Fails with 57014 once the statement's deadline has passed.
    pub fn check_deadline(&self) -> Result<()> {
        match self.state.deadline {
            Some(deadline) if Instant::now() >= deadline => Err(statement_timeout()),
            _ => Ok(()),
        }
    }

    /// Counts `work` rows of work done without producing a batch, checking the
    /// deadline every [`CHARGE_PER_CHECK`] of them.
    pub fn charge(&mut self, work: usize) -> Result<()> {
        if self.state.deadline.is_none() {
            return Ok(());
        }
        self.state.charged += work;
        if self.state.charged < CHARGE_PER_CHECK {
            return Ok(());
        }
        self.state.charged = 0;
        self.check_deadline()
    }

    /// Evaluates `expr` on `row`.
    pub fn eval(&mut self, expr: &ScalarExpr, row: &[Value]) -> Result<Value> {
        crate::expr::evaluate(expr, row, self)
    }

    /// Whether `expr` is TRUE on `row` (NULL and FALSE are not), as a filter (WHERE, ON,
    /// HAVING, FILTER) reads it: its top-level conjuncts in order, stopping at the first
    /// that is not TRUE. A NULL conjunct drops the row as a FALSE one does, so what
    /// follows it is never evaluated (PostgreSQL's qual list stops there too; plain
    /// `AND` goes on after a NULL, since `NULL AND FALSE` is FALSE, not NULL).
    pub fn eval_true(&mut self, expr: &ScalarExpr, row: &[Value]) -> Result<bool> {
        if let ScalarExpr::Binary {
            op: crate::expr::BinaryOp::And,
            left,
            right,
        } = expr
        {
            return Ok(self.eval_true(left, row)? && self.eval_true(right, row)?);
        }
        Ok(matches!(self.eval(expr, row)?, Value::Bool(true)))
    }

    /// Runs `f` with `row` as the depth-1 outer row.
    pub(crate) fn with_outer<T>(
        &mut self,
        row: Vec<Value>,
        f: impl FnOnce(&mut ExecContext<'_>) -> Result<T>,
    ) -> Result<T> {
        self.state.outer.push(row);
        let out = f(self);
        self.state.outer.pop();
        out
    }

    /// The rows of the previous round of recursive CTE `id`.
    pub(crate) fn work_table(&self, id: usize) -> Result<Arc<recursive::WorkTable>> {
        self.state
            .work_tables
            .get(&id)
            .cloned()
            .ok_or_else(|| QueryError::internal("a work table read outside its recursive CTE"))
    }

    pub(crate) fn set_work_table(&mut self, id: usize, rows: Option<Arc<recursive::WorkTable>>) {
        match rows {
            Some(r) => self.state.work_tables.insert(id, r),
            None => self.state.work_tables.remove(&id),
        };
    }
}

impl EvalContext for ExecContext<'_> {
    fn params(&self) -> &[Value] {
        &self.state.params
    }

    fn outer_column(&self, depth: usize, index: usize) -> Result<Value> {
        let outer = &self.state.outer;
        depth
            .checked_sub(1)
            .and_then(|d| outer.len().checked_sub(d + 1))
            .and_then(|i| outer[i].get(index))
            .cloned()
            .ok_or_else(|| {
                QueryError::internal(format!(
                    "outer column {index} at depth {depth} is not in scope"
                ))
            })
    }

    fn subquery(&mut self, id: SubqueryId, row: &[Value]) -> Result<Arc<Vec<Vec<Value>>>> {
        let Some(sub) = self.state.subqueries.get(id.0).cloned() else {
            return Err(QueryError::internal(format!("unknown subquery {}", id.0)));
        };
        if !sub.correlated {
            if let Some(rows) = self.state.cache.get(&id.0) {
                return Ok(rows.clone());
            }
        }
        // EXISTS needs one row; a scalar subquery two (to detect a second one).
        let cap = match sub.kind {
            SubqueryKind::Exists => Some(1),
            SubqueryKind::Scalar => Some(2),
            _ => None,
        };
        let rows = self.with_outer(row.to_vec(), |ctx| {
            let mut op = build_node(&sub.root)?;
            let mut rows = Vec::new();
            while let Some(b) = op.next_batch(ctx)? {
                rows.extend(b.rows);
                if cap.is_some_and(|c| rows.len() >= c) {
                    break;
                }
            }
            Ok(rows)
        })?;
        if sub.kind == SubqueryKind::Scalar && rows.len() > 1 {
            return Err(QueryError::new(
                SqlState::CARDINALITY_VIOLATION,
                "more than one row returned by a subquery used as an expression",
            ));
        }
        let rows = Arc::new(rows);
        if !sub.correlated {
            self.state.cache.insert(id.0, rows.clone());
        }
        Ok(rows)
    }

    fn statement_time_micros(&self) -> i64 {
        self.state.statement_time_micros
    }
}

/// Builds the operators of `plan` (run them with an [`ExecState::new`] of the same plan).
pub fn build(plan: &PhysicalPlan) -> Result<Box<dyn Operator>> {
    build_node(&plan.root)
}

/// Runs `plan` to the end and returns every row (for tests, subqueries and the
/// statement layer's buffered cases).
pub fn run_to_end(
    plan: &PhysicalPlan,
    storage: &dyn TableRead,
    state: &mut ExecState,
) -> Result<Vec<Vec<Value>>> {
    let mut op = build(plan)?;
    let mut rows = Vec::new();
    let mut ctx = ExecContext::new(storage, state);
    while let Some(b) = op.next_batch(&mut ctx)? {
        rows.extend(b.rows);
    }
    Ok(rows)
}

/// Builds the operator of one node and its inputs, each checking the statement's
/// deadline before every batch.
pub fn build_node(node: &PhysicalNode) -> Result<Box<dyn Operator>> {
    Ok(Box::new(DeadlineChecked(build_operator(node)?)))
}

/// An operator that checks the statement's deadline before each of its batches.
struct DeadlineChecked(Box<dyn Operator>);

impl Operator for DeadlineChecked {
    fn next_batch(&mut self, ctx: &mut ExecContext<'_>) -> Result<Option<Batch>> {
        ctx.check_deadline()?;
        self.0.next_batch(ctx)
    }
}

fn build_operator(node: &PhysicalNode) -> Result<Box<dyn Operator>> {
    Ok(match node {
        PhysicalNode::Scan {
            table,
            access,
            with_pk,
            needed,
            filter,
            ..
        } => Box::new(scan::ScanOp::new(
            table.clone(),
            access.clone(),
            *with_pk,
            needed.clone(),
            filter.clone(),
        )),
        PhysicalNode::Values { rows, .. } => Box::new(misc::ValuesOp::new(rows.clone())),
        PhysicalNode::Filter { input, predicate } => {
            Box::new(misc::FilterOp::new(build_node(input)?, predicate.clone()))
        }
        PhysicalNode::Project { input, exprs } => {
            Box::new(misc::ProjectOp::new(build_node(input)?, exprs.clone()))
        }
        PhysicalNode::HashJoin {
            left,
            right,
            kind,
            left_keys,
            right_keys,
            residual,
        } => Box::new(join::HashJoinOp::new(
            build_node(left)?,
            build_node(right)?,
            *kind,
            left_keys.clone(),
            right_keys.clone(),
            residual.clone(),
            width_of(right),
            width_of(left),
        )),
        PhysicalNode::NestedLoopJoin {
            left,
            right,
            kind,
            condition,
        } => Box::new(join::NestedLoopJoinOp::new(
            build_node(left)?,
            build_node(right)?,
            *kind,
            condition.clone(),
            width_of(left),
            width_of(right),
        )),
        PhysicalNode::DependentJoin {
            left,
            right,
            kind,
            condition,
        }
        | PhysicalNode::IndexNestedLoopJoin {
            left,
            right,
            kind,
            condition,
        } => Box::new(join::DependentJoinOp::new(
            build_node(left)?,
            (**right).clone(),
            *kind,
            condition.clone(),
            width_of(right),
        )),
        PhysicalNode::HashAggregate {
            input,
            group,
            aggregates,
        } => Box::new(aggregate::HashAggregateOp::new(
            build_node(input)?,
            group.clone(),
            aggregates.clone(),
        )),
        PhysicalNode::SortAggregate {
            input,
            group,
            aggregates,
        } => Box::new(aggregate::SortAggregateOp::new(
            build_node(input)?,
            group.clone(),
            aggregates.clone(),
        )),
        PhysicalNode::Window { input, functions } => {
            Box::new(window::WindowOp::new(build_node(input)?, functions.clone()))
        }
        PhysicalNode::Sort { input, keys } => {
            Box::new(sort::SortOp::new(build_node(input)?, keys.clone()))
        }
        PhysicalNode::TopN {
            input,
            keys,
            limit,
            offset,
        } => Box::new(sort::TopNOp::new(
            build_node(input)?,
            keys.clone(),
            limit.clone(),
            offset.clone(),
        )),
        PhysicalNode::Limit {
            input,
            limit,
            offset,
        } => Box::new(misc::LimitOp::new(
            build_node(input)?,
            limit.clone(),
            offset.clone(),
        )),
        PhysicalNode::Distinct { input } => Box::new(setop::DistinctOp::new(build_node(input)?)),
        PhysicalNode::SetOp {
            op,
            all,
            left,
            right,
        } => Box::new(setop::SetOpOp::new(
            *op,
            *all,
            build_node(left)?,
            build_node(right)?,
        )),
        PhysicalNode::RecursiveCte {
            id,
            base,
            step,
            union_all,
        } => Box::new(recursive::RecursiveCteOp::new(
            *id,
            build_node(base)?,
            (**step).clone(),
            *union_all,
        )),
        PhysicalNode::WorkTable { id, .. } => Box::new(recursive::WorkTableOp::new(*id)),
    })
}

/// The width of a node's output row.
pub fn width_of(node: &PhysicalNode) -> usize {
    match node {
        PhysicalNode::Scan { table, with_pk, .. } => {
            table.columns.len() + if *with_pk { table.pk_width() } else { 0 }
        }
        PhysicalNode::Values { width, .. } | PhysicalNode::WorkTable { width, .. } => *width,
        PhysicalNode::Project { exprs, .. } => exprs.len(),
        PhysicalNode::HashJoin {
            left, right, kind, ..
        }
        | PhysicalNode::NestedLoopJoin {
            left, right, kind, ..
        }
        | PhysicalNode::DependentJoin {
            left, right, kind, ..
        }
        | PhysicalNode::IndexNestedLoopJoin {
            left, right, kind, ..
        } => {
            if kind.left_only() {
                width_of(left)
            } else {
                width_of(left) + width_of(right)
            }
        }
        PhysicalNode::HashAggregate {
            group, aggregates, ..
        }
        | PhysicalNode::SortAggregate {
            group, aggregates, ..
        } => group.len() + aggregates.len(),
        PhysicalNode::Window { input, functions } => width_of(input) + functions.len(),
        PhysicalNode::Filter { input, .. }
        | PhysicalNode::Sort { input, .. }
        | PhysicalNode::TopN { input, .. }
        | PhysicalNode::Limit { input, .. }
        | PhysicalNode::Distinct { input } => width_of(input),
        PhysicalNode::SetOp { left, .. } => width_of(left),
        PhysicalNode::RecursiveCte { base, .. } => width_of(base),
    }
}

/// Approximate bytes a row holds in memory (for work-memory accounting).
pub(crate) fn row_bytes(row: &[Value]) -> usize {
    let heap: usize = row
        .iter()
        .map(|v| match v {
            Value::Text(s) | Value::Json(s) => s.len(),
            Value::Blob(b) => b.len(),
            _ => 0,
        })
        .sum();
    std::mem::size_of::<Vec<Value>>() + std::mem::size_of_val(row) + heap
}

/// The 53200 error of an operator that cannot spill and passed `work_mem`.
pub(crate) fn out_of_work_mem(what: &str, work_mem: usize) -> QueryError {
    QueryError::new(
        SqlState::OUT_OF_MEMORY,
        format!("{what} needs more than work_mem ({work_mem} bytes)"),
    )
    .with_hint("raise work_mem")
}

/// A storage engine error as a query error, with the SQLSTATE of its kind.
pub fn storage_error(e: covet_engine::Error) -> QueryError {
    use covet_engine::{Error, TableError};
    let code = match &e {
        Error::Table(TableError::TableNotFound { .. }) => SqlState::UNDEFINED_TABLE,
        Error::Table(TableError::IndexNotFound { .. }) => SqlState::UNDEFINED_OBJECT,
        Error::Table(TableError::NotNull { .. }) => SqlState::NOT_NULL_VIOLATION,
        Error::Table(TableError::DuplicateKey { .. })
        | Error::Table(TableError::UniqueViolation { .. }) => SqlState::UNIQUE_VIOLATION,
        Error::Busy { .. } => SqlState::LOCK_NOT_AVAILABLE,
        Error::Io { .. } => SqlState::IO_ERROR,
        Error::Corrupt { .. } => SqlState::DATA_CORRUPTED,
        _ => SqlState::INTERNAL_ERROR,
    };
    QueryError::new(code, e.to_string())
}
