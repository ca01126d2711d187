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
}

impl Engine {
    /// The SQL layer over an open database.
    pub fn new(db: covet_engine::Database) -> Arc<Engine> {
        Arc::new(Engine { db })
    }

    /// The storage engine underneath.
    pub fn database(&self) -> &covet_engine::Database {
        &self.db
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
/// itself when the schema changed since it was planned.
pub struct Prepared {
    _private: (),
}

impl Prepared {
    /// The statement's text.
    pub fn sql(&self) -> &str {
        todo!("core branch")
    }

    /// The columns it returns (empty for a statement without rows).
    pub fn columns(&self) -> &[Column] {
        todo!("core branch")
    }

    /// The types of its parameters `$1…$n`, as inferred (`Unknown` where nothing tells).
    pub fn param_types(&self) -> &[DataType] {
        todo!("core branch")
    }

    /// Whether it returns rows (SELECT, VALUES, … RETURNING, EXPLAIN, SHOW).
    pub fn returns_rows(&self) -> bool {
        todo!("core branch")
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
    _private: (),
}

impl RowStream {
    /// The result columns.
    pub fn columns(&self) -> &[Column] {
        todo!("core branch")
    }
}

impl Iterator for RowStream {
    type Item = Result<Vec<Value>>;

    fn next(&mut self) -> Option<Self::Item> {
        todo!("core branch")
    }
}

/// One connection's state: its transaction, its settings, its prepared statements.
/// A session is `Send` (it can move between threads) and used by one thread at a time.
pub struct Session {
    engine: Arc<Engine>,
}

impl Session {
    /// A new session on `engine`, outside any transaction, with default settings.
    pub fn new(engine: Arc<Engine>) -> Session {
        Session { engine }
    }

    /// The engine this session runs on.
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// Parses, binds and plans exactly one statement (42601 for none or several).
    pub fn prepare(&mut self, sql: &str) -> Result<Prepared> {
        let _ = sql;
        todo!("core branch")
    }

    /// Runs a prepared statement with `params` (`$1` is `params[0]`); 08P01-style
    /// mismatches in the count are 42P02.
    pub fn execute(&mut self, stmt: &Prepared, params: &[Value]) -> Result<Outcome> {
        let _ = (stmt, params);
        todo!("core branch")
    }

    /// Prepares and runs one statement (through the plan cache).
    pub fn execute_sql(&mut self, sql: &str, params: &[Value]) -> Result<Outcome> {
        let _ = (sql, params);
        todo!("core branch")
    }

    /// Runs every statement of a script, discarding rows; stops at the first error.
    pub fn execute_batch(&mut self, sql: &str) -> Result<()> {
        let _ = sql;
        todo!("core branch")
    }

    /// Splits a script into statements (respecting quotes, comments, `$$` strings and
    /// trigger bodies), with their line numbers. 42601 for an unterminated string.
    pub fn split_statements(sql: &str) -> Result<Vec<StatementText>> {
        let _ = sql;
        todo!("core branch")
    }

    /// Whether a transaction block is open.
    pub fn transaction_status(&self) -> TransactionStatus {
        todo!("core branch")
    }
}
