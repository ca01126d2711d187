//! [`Engine`] (one per open database) and [`Session`] (one per connection): the entry
//! points of the SQL layer. (Bodies filled by the core branch; the signatures are the
//! contract the facade, the shell, the sqllogictest runner and the benches build on.)

use std::sync::Arc;

use covet_engine::value::Value;

use crate::error::Result;
use crate::types::DataType;

/// The SQL layer's state shared by every session of one database: the engine, the
/// catalog cache, the plan cache and the default settings.
pub struct Engine {
    db: covet_engine::Database,
    pub(crate) plans: crate::statement::PlanCache,
    /// The catalog of the newest committed schema the sessions read.
    pub(crate) catalogs: std::sync::Mutex<crate::catalog::CatalogCache>,
}

impl Engine {
    /// The SQL layer over an open database.
    pub fn new(db: covet_engine::Database) -> Arc<Engine> {
        Arc::new(Engine {
            db,
            plans: crate::statement::PlanCache::default(),
            catalogs: std::sync::Mutex::new(crate::catalog::CatalogCache::new()),
        })
    }

    /// The storage engine underneath.
    pub fn database(&self) -> &covet_engine::Database {
        &self.db
    }

    /// A new session on this engine (the same as [`Session::new`]).
    pub fn session(self: &Arc<Engine>) -> Session {
        Session::new(self.clone())
    }
}

/// Whether a session is inside a transaction block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionStatus {
    /// No transaction block: each statement commits on its own.
    Idle,
    /// Inside BEGIN … COMMIT.
    InTransaction,
    /// Inside a block where a statement failed: everything but ROLLBACK is 25P02.
    Failed,
}

/// A result column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Its name (`?column?` for an unnamed expression, as PostgreSQL).
    pub name: String,
    /// Its type.
    pub ty: DataType,
}

/// What a statement that returns no rows did: `INSERT 0 3`, `CREATE TABLE`, …
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandTag {
    /// The command word(s), as PostgreSQL's tag: "INSERT", "UPDATE", "SELECT",
    /// "CREATE TABLE", "BEGIN", …
    pub command: String,
    /// The rows affected, for INSERT/UPDATE/DELETE (and SELECT when counted).
    pub rows: Option<u64>,
}

/// A parsed, bound and planned statement, reusable with other parameters. It re-plans
/// itself when the schema changed since it was planned. Cheap to clone (clones share
/// the plan).
#[derive(Clone)]
pub struct Prepared {
    pub(crate) inner: Arc<crate::statement::PreparedInner>,
}

impl Prepared {
    /// The statement's text.
    pub fn sql(&self) -> &str {
        &self.inner.sql
    }

    /// The columns it returns (empty for a statement without rows).
    pub fn columns(&self) -> &[Column] {
        &self.inner.columns
    }

    /// The types of its parameters `$1…$n`, as inferred (`Unknown` where nothing tells).
    pub fn param_types(&self) -> &[DataType] {
        &self.inner.param_types
    }

    /// Whether it returns rows (SELECT, VALUES, … RETURNING, EXPLAIN, SHOW).
    pub fn returns_rows(&self) -> bool {
        self.inner.returns_rows
    }
}

/// A statement's text within a script, for running scripts statement by statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementText {
    /// The statement, without its ending `;`.
    pub sql: String,
    /// The 1-based line where it starts in the script.
    pub line: usize,
}

/// The outcome of executing a statement.
pub enum Outcome {
    /// Rows, streamed.
    Rows(RowStream),
    /// A statement without rows.
    Done(CommandTag),
}

/// Rows of a running query, in batches underneath, one at a time here. Dropping it
/// early ends the query (and, outside a transaction block, its snapshot).
///
/// A stream owns what it reads through (its snapshot, or a shared handle on the
/// session's transaction, locked per batch), so it borrows nothing: the facade's `Rows`
/// can hold it next to its connection, and the server can keep it as a portal.
pub struct RowStream {
    columns: StreamColumns,
    source: Box<dyn BatchSource>,
    batch: std::vec::IntoIter<Vec<Value>>,
    done: bool,
    /// Inside a block: the session's slot and the block's generation, to mark the block
    /// failed when the stream fails (as any failed statement does).
    fail_mark: Option<(crate::txn::SharedWrite, u64)>,
}

/// A stream's columns: its own, or those of the plan it runs (shared, not copied per
/// execution of a prepared query).
enum StreamColumns {
    Owned(Vec<Column>),
    Plan(Arc<crate::plan::PhysicalPlan>),
}

/// Where a [`RowStream`]'s batches come from: a running plan, or rows computed already
/// (RETURNING, SHOW, EXPLAIN).
pub(crate) trait BatchSource: Send {
    /// The next batch, `None` at the end. Not called again after an error or the end.
    fn next_batch(&mut self) -> Result<Option<Vec<Vec<Value>>>>;
}

/// Rows computed before the stream was made.
struct Materialized(Option<Vec<Vec<Value>>>);

impl BatchSource for Materialized {
    fn next_batch(&mut self) -> Result<Option<Vec<Vec<Value>>>> {
        Ok(self.0.take())
    }
}

impl RowStream {
    /// A stream over `source`.
    pub(crate) fn new(
        columns: Vec<Column>,
        source: Box<dyn BatchSource>,
        fail_mark: Option<(crate::txn::SharedWrite, u64)>,
    ) -> RowStream {
        RowStream::with_columns(StreamColumns::Owned(columns), source, fail_mark)
    }

    /// A stream over `source`, the rows of `plan` (whose columns it shows).
    pub(crate) fn of_plan(
        plan: Arc<crate::plan::PhysicalPlan>,
        source: Box<dyn BatchSource>,
        fail_mark: Option<(crate::txn::SharedWrite, u64)>,
    ) -> RowStream {
        RowStream::with_columns(StreamColumns::Plan(plan), source, fail_mark)
    }

    fn with_columns(
        columns: StreamColumns,
        source: Box<dyn BatchSource>,
        fail_mark: Option<(crate::txn::SharedWrite, u64)>,
    ) -> RowStream {
        RowStream {
            columns,
            source,
            batch: Vec::new().into_iter(),
            done: false,
            fail_mark,
        }
    }

    /// A stream over rows already computed.
    pub(crate) fn materialized(columns: Vec<Column>, rows: Vec<Vec<Value>>) -> RowStream {
        RowStream::new(columns, Box::new(Materialized(Some(rows))), None)
    }

    /// The result columns.
    pub fn columns(&self) -> &[Column] {
        match &self.columns {
            StreamColumns::Owned(columns) => columns,
            StreamColumns::Plan(plan) => &plan.columns,
        }
    }

    fn fail(&mut self) {
        self.done = true;
        if let Some((slot, generation)) = self.fail_mark.take() {
            let mut slot = crate::txn::lock(&slot);
            if slot.generation == generation {
                slot.failed = true;
            }
        }
    }
}

impl Iterator for RowStream {
    type Item = Result<Vec<Value>>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(row) = self.batch.next() {
                return Some(Ok(row));
            }
            if self.done {
                return None;
            }
            // A panic reading a batch (a bug) fails the stream as an error would.
            match crate::error::catch_panic(|| self.source.next_batch()) {
                Ok(Some(batch)) => self.batch = batch.into_iter(),
                Ok(None) => {
                    self.done = true;
                    return None;
                }
                Err(e) => {
                    self.fail();
                    return Some(Err(e));
                }
            }
        }
    }
}

/// One connection's state: its transaction, its settings, its prepared statements.
/// A session is `Send` (it can move between threads) and used by one thread at a time.
pub struct Session {
    engine: Arc<Engine>,
    pub(crate) txn: crate::txn::Transaction,
    pub(crate) settings: crate::settings::Settings,
}

impl Session {
    /// A new session on `engine`, outside any transaction, with default settings.
    pub fn new(engine: Arc<Engine>) -> Session {
        let txn = crate::txn::Transaction::new(engine.database().clone());
        Session {
            engine,
            txn,
            settings: crate::settings::Settings::default(),
        }
    }

    /// The engine this session runs on.
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// Parses, binds and plans exactly one statement (42601 for none or several).
    ///
    /// Inside a transaction block, a statement that fails to prepare fails the block,
    /// as in PostgreSQL.
    pub fn prepare(&mut self, sql: &str) -> Result<Prepared> {
        let inner = self
            .guarded(|s| crate::statement::prepare(s, sql))
            .inspect_err(|_| self.txn.mark_failed())?;
        Ok(Prepared {
            inner: Arc::new(inner),
        })
    }

    /// Runs a prepared statement with `params` (`$1` is `params[0]`); 08P01-style
    /// mismatches in the count are 42P02.
    pub fn execute(&mut self, stmt: &Prepared, params: &[Value]) -> Result<Outcome> {
        self.guarded(|s| crate::statement::execute(s, &stmt.inner, params))
    }

    /// The session's boundary against bugs: a panic inside `f` is an internal error
    /// (XX000), and the statement's transaction is abandoned (rolled back outside a
    /// block, the block failed inside one) so that the database is not left locked.
    fn guarded<R>(&mut self, f: impl FnOnce(&mut Session) -> Result<R>) -> Result<R> {
        let mut panicked = true;
        let result = crate::error::catch_panic(|| {
            let r = f(self);
            panicked = false;
            r
        });
        if panicked {
            self.txn.abandon_statement();
        }
        result
    }

    /// Prepares and runs one statement (through the plan cache).
    pub fn execute_sql(&mut self, sql: &str, params: &[Value]) -> Result<Outcome> {
        let cached = self.engine.plans.get(sql);
        let stmt = match cached {
            Some(inner) => Prepared { inner },
            None => {
                let stmt = self.prepare(sql)?;
                if stmt.inner.cacheable() {
                    self.engine.plans.put(sql, stmt.inner.clone());
                }
                stmt
            }
        };
        self.execute(&stmt, params)
    }

    /// Runs every statement of a script, discarding rows; stops at the first error.
    pub fn execute_batch(&mut self, sql: &str) -> Result<()> {
        for stmt in Session::split_statements(sql)? {
            if let Outcome::Rows(rows) = self.execute_sql(&stmt.sql, &[])? {
                for row in rows {
                    row?;
                }
            }
        }
        Ok(())
    }

    /// Splits a script into statements (respecting quotes, comments, `$$` strings and
    /// trigger bodies), with their line numbers. 42601 for an unterminated string.
    pub fn split_statements(sql: &str) -> Result<Vec<StatementText>> {
        crate::script::split(sql)
    }

    /// Whether a transaction block is open.
    pub fn transaction_status(&self) -> TransactionStatus {
        self.txn.status()
    }

    /// The isolation level of the open block, or of the blocks this session opens.
    pub fn isolation_level(&self) -> crate::txn::IsolationLevel {
        self.txn
            .isolation()
            .unwrap_or(self.settings.default_isolation)
    }

    /// The `work_mem` setting: bytes a sort or hash may hold before it spills.
    pub fn work_mem(&self) -> usize {
        self.settings.work_mem
    }
}
