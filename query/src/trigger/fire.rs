//! Firing: the triggers of one statement's subject and event, loaded once per
//! statement, run per row at the DML sites ([`RowTriggers::before`], `after`,
//! `instead`), and the stack of triggers running on this thread.
//!
//! The stack: a trigger's body runs ordinary statements, whose own row sites fire
//! triggers, so firing nests. SQLite's default (`recursive_triggers` off) applies: a
//! trigger already running somewhere up the stack does not fire again, so a chain
//! ends once every trigger of it is running; past [`MAX_DEPTH`] nested firings the
//! statement fails with 54001 whatever the chain (the stack of the thread is
//! bounded).

use std::cell::RefCell;
use std::sync::Arc;

use covet_engine::table::{TableSchema, TableWriter};
use covet_engine::value::Value;
use sqlparser::ast::Statement;

use super::compile::{compile, Compiled};
use super::def::{Event, Timing, TriggerDef};
use super::raise;
use crate::catalog::Catalog;
use crate::error::{QueryError, Result, SqlState};
use crate::statement::query::Running;
use crate::types::DataType;

/// Most triggers running inside one another.
pub(crate) const MAX_DEPTH: usize = 32;

thread_local! {
    /// The names of the triggers running on this thread, outermost first.
    static ACTIVE: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// How many triggers are running on this thread.
pub(crate) fn depth() -> usize {
    ACTIVE.with(|a| a.borrow().len())
}

fn is_active(name: &str) -> bool {
    ACTIVE.with(|a| a.borrow().iter().any(|n| n == name))
}

/// A trigger on the stack while it runs (popped when dropped, on error too).
struct Frame;

impl Frame {
    fn enter(name: &str) -> Result<Frame> {
        ACTIVE.with(|a| {
            let mut a = a.borrow_mut();
            if a.len() >= MAX_DEPTH {
                return Err(QueryError::new(
                    SqlState::STATEMENT_TOO_COMPLEX,
                    format!("too many levels of trigger recursion (at most {MAX_DEPTH})"),
                ));
            }
            a.push(name.to_string());
            Ok(Frame)
        })
    }
}

impl Drop for Frame {
    fn drop(&mut self) {
        ACTIVE.with(|a| {
            a.borrow_mut().pop();
        });
    }
}

/// What the row site does after BEFORE (or INSTEAD OF) triggers ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    /// Change the row.
    Proceed,
    /// A RAISE(IGNORE): leave the row.
    Skip,
}

/// What a firing needs besides the row.
#[derive(Clone, Copy)]
pub(crate) struct FireEnv {
    pub time_micros: i64,
    pub work_mem: usize,
}

/// The triggers of one statement's subject (a table, or a view for INSTEAD OF) and
/// event, in firing order.
pub(crate) struct RowTriggers {
    before: Vec<Compiled>,
    after: Vec<Compiled>,
    instead: Vec<Compiled>,
    width: usize,
    /// The parameters' types: NEW's columns then OLD's.
    types: Vec<DataType>,
    catalog: Arc<Catalog>,
    env: FireEnv,
}

/// The columns of a table as trigger subjects see them.
pub(crate) fn table_columns(schema: &TableSchema) -> Vec<(String, DataType)> {
    schema
        .columns
        .iter()
        .map(|c| (c.name.clone(), DataType::of_sql_type(&c.ty)))
        .collect()
}

impl RowTriggers {
    /// The triggers of `table` for `event` (`None` when none would fire): for UPDATE,
    /// those whose UPDATE OF list is empty or names a column in `set` (positions).
    pub fn load(
        w: &TableWriter<'_>,
        subject: &str,
        columns: &[(String, DataType)],
        event: Event,
        set: &[usize],
        env: FireEnv,
    ) -> Result<Option<RowTriggers>> {
        let defs = crate::ddl::trigger::for_subject(w, subject)?;
        Self::from_defs(w, &defs, columns, event, set, env)
    }

    fn from_defs(
        w: &TableWriter<'_>,
        defs: &[TriggerDef],
        columns: &[(String, DataType)],
        event: Event,
        set: &[usize],
        env: FireEnv,
    ) -> Result<Option<RowTriggers>> {
        if defs.is_empty() {
            return Ok(None);
        }
        let mut out = RowTriggers {
            before: Vec::new(),
            after: Vec::new(),
            instead: Vec::new(),
            width: columns.len(),
            types: columns
                .iter()
                .chain(columns.iter())
                .map(|(_, t)| *t)
                .collect(),
            catalog: Arc::new(Catalog::empty()),
            env,
        };
        // `for_subject` gives creation order; SQLite fires the newest first.
        for def in defs.iter().rev() {
            if def.event != event || is_active(&def.name) {
                continue;
            }
            if !def.columns.is_empty()
                && !def.columns.iter().any(|c| {
                    columns
                        .iter()
                        .position(|(name, _)| name == c)
                        .is_some_and(|p| set.contains(&p))
                })
            {
                continue;
            }
            let compiled = compile(def, columns)?;
            match def.timing {
                Timing::Before => out.before.push(compiled),
                Timing::After => out.after.push(compiled),
                Timing::InsteadOf => out.instead.push(compiled),
            }
        }
        if out.before.is_empty() && out.after.is_empty() && out.instead.is_empty() {
            return Ok(None);
        }
        out.catalog = Arc::new(Catalog::load(w)?);
        Ok(Some(out))
    }

    /// Whether INSTEAD OF triggers fire.
    pub fn has_instead(&self) -> bool {
        !self.instead.is_empty()
    }

    /// Runs the BEFORE triggers for a row.
    pub fn before(
        &self,
        w: &mut TableWriter<'_>,
        old: Option<&[Value]>,
        new: Option<&[Value]>,
    ) -> Result<Flow> {
        self.fire(&self.before, w, old, new)
    }

    /// Runs the AFTER triggers for a row (a RAISE(IGNORE) ends the row's remaining
    /// ones).
    pub fn after(
        &self,
        w: &mut TableWriter<'_>,
        old: Option<&[Value]>,
        new: Option<&[Value]>,
    ) -> Result<()> {
        self.fire(&self.after, w, old, new).map(|_| ())
    }

    /// Runs the INSTEAD OF triggers for a view's row.
    pub fn instead(
        &self,
        w: &mut TableWriter<'_>,
        old: Option<&[Value]>,
        new: Option<&[Value]>,
    ) -> Result<Flow> {
        self.fire(&self.instead, w, old, new)
    }

    fn fire(
        &self,
        list: &[Compiled],
        w: &mut TableWriter<'_>,
        old: Option<&[Value]>,
        new: Option<&[Value]>,
    ) -> Result<Flow> {
        if list.is_empty() {
            return Ok(Flow::Proceed);
        }
        let mut params = Vec::with_capacity(2 * self.width);
        for row in [new, old] {
            match row {
                Some(r) => params.extend(r.iter().take(self.width).cloned()),
                None => params.resize(params.len() + self.width, Value::Null),
            }
        }
        for t in list {
            let _frame = Frame::enter(&t.name)?;
            match self.run(t, w, &params) {
                Err(e) if raise::is_ignore(&e) => return Ok(Flow::Skip),
                other => other?,
            }
        }
        Ok(Flow::Proceed)
    }

    /// One trigger's WHEN and body for one row.
    fn run(&self, t: &Compiled, w: &mut TableWriter<'_>, params: &[Value]) -> Result<()> {
        if let Some(q) = &t.when {
            let (plan, _) = crate::statement::query::plan(q, &self.catalog)?;
            let mut running = Running::new(&plan, params, self.env.work_mem)?;
            let first = running
                .next_with(&*w)?
                .and_then(|b| b.into_iter().next())
                .and_then(|r| r.into_iter().next())
                .unwrap_or(Value::Null);
            if !truthy(&first) {
                return Ok(());
            }
        }
        for stmt in &t.body {
            self.run_statement(stmt, w, params)?;
        }
        Ok(())
    }

    fn run_statement(
        &self,
        stmt: &Statement,
        w: &mut TableWriter<'_>,
        params: &[Value],
    ) -> Result<()> {
        let mut types = self.types.clone();
        let env = crate::dml::DmlEnv {
            params,
            time_micros: self.env.time_micros,
            work_mem: self.env.work_mem,
        };
        if super::view_dml::instead_of(w, stmt, &self.catalog, &env)?.is_some() {
            return Ok(());
        }
        match stmt {
            Statement::Insert(i) => {
                let bound = crate::dml::bind_insert(w, i, Some(&self.catalog), &mut types)?;
                crate::dml::run_insert(w, &bound, params, env.time_micros, env.work_mem)?;
            }
            Statement::Update(_) | Statement::Delete(_) => {
                crate::dml::BoundChange::bind(stmt, &self.catalog, &mut types)?.run(w, &env)?;
            }
            Statement::Query(q) => {
                let (plan, _) = crate::statement::query::plan(q, &self.catalog)?;
                let mut running = Running::new(&plan, params, env.work_mem)?;
                while running.next_with(&*w)?.is_some() {}
            }
            _ => {
                return Err(QueryError::internal(
                    "a trigger body statement that compile() refuses",
                ))
            }
        }
        Ok(())
    }
}

/// The triggers of table `schema` for `event` (see [`RowTriggers::load`]); nothing is
/// compiled when the table has none.
pub(crate) fn load_for_table(
    w: &TableWriter<'_>,
    schema: &TableSchema,
    event: Event,
    set: &[usize],
    time_micros: i64,
    work_mem: usize,
) -> Result<Option<RowTriggers>> {
    let defs = crate::ddl::trigger::for_subject(w, &schema.name)?;
    if defs.is_empty() {
        return Ok(None);
    }
    let env = FireEnv {
        time_micros,
        work_mem,
    };
    RowTriggers::from_defs(w, &defs, &table_columns(schema), event, set, env)
}

/// The INSERT triggers of table `schema`; 0A000 for an INSERT … ON CONFLICT DO UPDATE
/// (`upserts`) on a table with INSERT or UPDATE triggers.
pub(crate) fn load_for_insert(
    w: &TableWriter<'_>,
    schema: &TableSchema,
    upserts: bool,
    time_micros: i64,
    work_mem: usize,
) -> Result<Option<RowTriggers>> {
    let defs = crate::ddl::trigger::for_subject(w, &schema.name)?;
    if defs.is_empty() {
        return Ok(None);
    }
    if upserts
        && defs
            .iter()
            .any(|d| matches!(d.event, Event::Insert | Event::Update))
    {
        return Err(QueryError::unsupported(
            "INSERT … ON CONFLICT DO UPDATE on a table with INSERT or UPDATE triggers",
        ));
    }
    let env = FireEnv {
        time_micros,
        work_mem,
    };
    RowTriggers::from_defs(w, &defs, &table_columns(schema), Event::Insert, &[], env)
}

/// At a row site, before the change: runs the BEFORE triggers; false when a
/// RAISE(IGNORE) leaves the row.
pub(crate) fn before_change(
    triggers: &Option<RowTriggers>,
    w: &mut TableWriter<'_>,
    old: Option<&[Value]>,
    new: Option<&[Value]>,
) -> Result<bool> {
    match triggers {
        Some(t) => Ok(t.before(w, old, new)? == Flow::Proceed),
        None => Ok(true),
    }
}

/// At a row site, after the change: runs the AFTER triggers.
pub(crate) fn after(
    triggers: &Option<RowTriggers>,
    w: &mut TableWriter<'_>,
    old: Option<&[Value]>,
    new: Option<&[Value]>,
) -> Result<()> {
    match triggers {
        Some(t) => t.after(w, old, new),
        None => Ok(()),
    }
}

/// SQLite's truth of a WHEN value: true, or a non-zero number.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Int(i) => *i != 0,
        Value::Float(f) => *f != 0.0,
        Value::Decimal(d) => d.to_f64() != 0.0,
        _ => false,
    }
}
