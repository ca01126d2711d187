//! [`Connection`]: one session of the SQL layer, with the calls a program makes.

use std::cell::RefCell;
use std::sync::Arc;

use covet_query::{Engine, Outcome, QueryError, Session, SqlState, TransactionStatus};

use crate::database::Database;
use crate::error::{Error, Result};
use crate::params::Params;
use crate::rows::{FromRow, MappedRows, Row, RowMapper, Rows};
use crate::statement::Statement;
use crate::transaction::Transaction;

/// A connection to a [`Database`]: its own transaction state, settings and prepared
/// statements. `Send` but not `Sync`: move it to another thread, or open one per
/// thread ([`Database::connect`] is cheap).
///
/// Every call takes `&self`, so a connection can be shared by the code of one thread
/// (and by a [`Transaction`], which borrows it). Rows stream: [`Rows`] borrows nothing,
/// and other statements may run on the connection while it is open.
///
/// ```
/// let db = covet::Database::memory()?;
/// let conn = db.connect();
/// conn.execute("CREATE TABLE t(a INT PRIMARY KEY, b TEXT)", ())?;
/// assert_eq!(conn.execute("INSERT INTO t(a, b) VALUES ($1, $2)", (1, "x"))?, 1);
/// for row in conn.query("SELECT a, b FROM t WHERE a > $1", (0,))? {
///     let row = row?;
///     let a: i64 = row.get(0)?;
///     let b: String = row.get("b")?;
///     assert_eq!((a, b.as_str()), (1, "x"));
/// }
/// # Ok::<(), covet::Error>(())
/// ```
pub struct Connection {
    // A session is used by one caller at a time; the RefCell is borrowed only for the
    // length of one call into the SQL layer (streams borrow nothing), so no facade
    // call can find it borrowed.
    session: RefCell<Session>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("transaction_status", &self.transaction_status())
            .finish()
    }
}

impl Connection {
    pub(crate) fn new(engine: Arc<Engine>) -> Connection {
        Connection {
            session: RefCell::new(Session::new(engine)),
        }
    }

    /// The database this connection is on.
    ///
    /// ```
    /// let db = covet::Database::memory()?;
    /// let conn = db.connect();
    /// let other = conn.database().connect();
    /// conn.execute_batch("CREATE TABLE t(a INT)")?;
    /// assert_eq!(other.query_row("SELECT count(*) FROM t", (), |r| r.get::<_, i64>(0))?, 0);
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn database(&self) -> Database {
        Database::from_sql_engine(Arc::clone(self.session.borrow().engine()))
    }

    /// Runs one statement and returns the rows it affected (INSERT, UPDATE, DELETE;
    /// 0 for DDL). A statement that returns rows (SELECT, `… RETURNING`) is run to its
    /// end and its rows are counted.
    ///
    /// ```
    /// let db = covet::Database::memory()?;
    /// let conn = db.connect();
    /// assert_eq!(conn.execute("CREATE TABLE t(a INT)", ())?, 0);
    /// assert_eq!(conn.execute("INSERT INTO t VALUES ($1), ($2)", (1, 2))?, 2);
    /// assert_eq!(conn.execute("UPDATE t SET a = a + 1 WHERE a > $1", (1,))?, 1);
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn execute<P: Params>(&self, sql: &str, params: P) -> Result<u64> {
        let values = params.into_values()?;
        let outcome = self.session.borrow_mut().execute_sql(sql, &values)?;
        rows_affected(outcome)
    }

    /// Runs one statement and streams its rows. A statement without rows runs and
    /// gives an empty [`Rows`].
    ///
    /// ```
    /// let db = covet::Database::memory()?;
    /// let conn = db.connect();
    /// let names: Vec<String> = conn
    ///     .query("SELECT x FROM (VALUES ('a'), ('b')) AS v(x) WHERE x > $1", ("",))?
    ///     .map(|row| row?.get(0))
    ///     .collect::<covet::Result<_>>()?;
    /// assert_eq!(names, ["a", "b"]);
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn query<P: Params>(&self, sql: &str, params: P) -> Result<Rows> {
        let values = params.into_values()?;
        let outcome = self.session.borrow_mut().execute_sql(sql, &values)?;
        Ok(rows_of(outcome))
    }

    /// Runs a query and maps its first row with `f`; [`Error::NoRows`] when there is
    /// none. Later rows are not read.
    ///
    /// ```
    /// let db = covet::Database::memory()?;
    /// let conn = db.connect();
    /// let n: i64 = conn.query_row("SELECT $1::bigint * 2", (21,), |r| r.get(0))?;
    /// assert_eq!(n, 42);
    /// assert!(matches!(
    ///     conn.query_row("SELECT 1 WHERE false", (), |r| r.get::<_, i64>(0)),
    ///     Err(covet::Error::NoRows)
    /// ));
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn query_row<T, P, F>(&self, sql: &str, params: P, f: F) -> Result<T>
    where
        P: Params,
        F: FnOnce(&Row) -> Result<T>,
    {
        first_row(self.query(sql, params)?, f)
    }

    /// Runs a query and streams its rows mapped by `f`.
    ///
    /// ```
    /// let db = covet::Database::memory()?;
    /// let v: Vec<String> = db
    ///     .connect()
    ///     .query_map("SELECT x || '!' FROM (VALUES ('a'), ('b')) AS v(x)", (), |r| r.get(0))?
    ///     .collect::<covet::Result<_>>()?;
    /// assert_eq!(v, ["a!", "b!"]);
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn query_map<T, P, F>(&self, sql: &str, params: P, f: F) -> Result<MappedRows<F>>
    where
        P: Params,
        F: FnMut(&Row) -> Result<T>,
    {
        Ok(MappedRows::new(self.query(sql, params)?, f))
    }

    /// Runs a query and streams its rows as `T` (see [`FromRow`]).
    ///
    /// ```
    /// let db = covet::Database::memory()?;
    /// let pairs: Vec<(i64, String)> = db
    ///     .connect()
    ///     .query_as("SELECT 1, 'one' UNION ALL SELECT 2, 'two'", ())?
    ///     .collect::<covet::Result<_>>()?;
    /// assert_eq!(pairs, [(1, "one".to_owned()), (2, "two".to_owned())]);
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn query_as<T: FromRow>(
        &self,
        sql: &str,
        params: impl Params,
    ) -> Result<MappedRows<RowMapper<T>>> {
        Ok(MappedRows::new(
            self.query(sql, params)?,
            T::from_row as RowMapper<T>,
        ))
    }

    /// Parses, binds and plans one statement for repeated use.
    ///
    /// ```
    /// let db = covet::Database::memory()?;
    /// let conn = db.connect();
    /// conn.execute_batch("CREATE TABLE t(a INT PRIMARY KEY, b TEXT)")?;
    /// let mut insert = conn.prepare("INSERT INTO t VALUES ($1, $2)")?;
    /// for (a, b) in [(1, "x"), (2, "y")] {
    ///     insert.execute((a, b))?;
    /// }
    /// let mut stmt = conn.prepare("SELECT b FROM t WHERE a = $1")?;
    /// assert_eq!(stmt.query_row((2,), |r| r.get::<_, String>(0))?, "y");
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn prepare(&self, sql: &str) -> Result<Statement<'_>> {
        let prepared = self.session.borrow_mut().prepare(sql)?;
        Ok(Statement::new(self, prepared))
    }

    /// Runs every statement of a script (separated by `;`), discarding rows; stops at
    /// the first error.
    ///
    /// ```
    /// let db = covet::Database::memory()?;
    /// let conn = db.connect();
    /// conn.execute_batch("CREATE TABLE t(a INT); INSERT INTO t VALUES (1); INSERT INTO t VALUES (2);")?;
    /// assert_eq!(conn.query_row("SELECT sum(a) FROM t", (), |r| r.get::<_, i64>(0))?, 3);
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        Ok(self.session.borrow_mut().execute_batch(sql)?)
    }

    /// Starts a transaction block; it commits with [`Transaction::commit`] and rolls
    /// back with [`Transaction::rollback`] or when dropped. 25001 when a block is
    /// already open on this connection.
    ///
    /// ```
    /// let db = covet::Database::memory()?;
    /// let conn = db.connect();
    /// conn.execute_batch("CREATE TABLE t(a INT)")?;
    /// let tx = conn.begin()?;
    /// tx.execute("INSERT INTO t VALUES (1)", ())?;
    /// drop(tx); // rolled back
    /// let tx = conn.begin()?;
    /// tx.execute("INSERT INTO t VALUES (2)", ())?;
    /// tx.commit()?;
    /// assert_eq!(conn.query_row("SELECT sum(a) FROM t", (), |r| r.get::<_, i64>(0))?, 2);
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn begin(&self) -> Result<Transaction<'_>> {
        if self.transaction_status() != TransactionStatus::Idle {
            return Err(QueryError::new(
                SqlState::ACTIVE_SQL_TRANSACTION,
                "there is already a transaction in progress",
            )
            .into());
        }
        self.run_control("BEGIN")?;
        Ok(Transaction::new(self))
    }

    /// Runs `f` in a transaction: commits when it returns `Ok`, rolls back when it
    /// returns `Err` (the closure's error is returned; a failure to roll back too is
    /// dropped, since the block then ends when the connection closes). For an error
    /// type of your own, use [`begin`](Connection::begin) and
    /// [`Transaction::commit`].
    ///
    /// ```
    /// let db = covet::Database::memory()?;
    /// let conn = db.connect();
    /// conn.execute_batch("CREATE TABLE t(a INT)")?;
    /// conn.transaction(|tx| {
    ///     tx.execute("INSERT INTO t VALUES (1)", ())?;
    ///     Ok(())
    /// })?;
    /// let failed: covet::Result<()> = conn.transaction(|tx| {
    ///     tx.execute("INSERT INTO t VALUES (2)", ())?;
    ///     tx.execute("INSERT INTO nowhere VALUES (3)", ())?;
    ///     Ok(())
    /// });
    /// assert_eq!(failed.unwrap_err().sqlstate().as_str(), "42P01");
    /// assert_eq!(conn.query_row("SELECT count(*) FROM t", (), |r| r.get::<_, i64>(0))?, 1);
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn transaction<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&Transaction<'_>) -> Result<T>,
    {
        let tx = self.begin()?;
        match f(&tx) {
            Ok(value) => {
                tx.commit()?;
                Ok(value)
            }
            Err(e) => {
                let _ = tx.rollback();
                Err(e)
            }
        }
    }

    /// Whether a transaction block is open (and whether it failed).
    ///
    /// ```
    /// use covet::TransactionStatus;
    /// let db = covet::Database::memory()?;
    /// let conn = db.connect();
    /// assert_eq!(conn.transaction_status(), TransactionStatus::Idle);
    /// conn.execute("BEGIN", ())?;
    /// assert_eq!(conn.transaction_status(), TransactionStatus::InTransaction);
    /// conn.execute("ROLLBACK", ())?;
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn transaction_status(&self) -> TransactionStatus {
        self.session.borrow().transaction_status()
    }

    /// The session underneath, for the SQL layer's own calls (the shell and the server
    /// use it to run statements one by one with their outcomes).
    ///
    /// ```
    /// let db = covet::Database::memory()?;
    /// let conn = db.connect();
    /// let outcome = conn.with_session(|s| s.execute_sql("CREATE TABLE t(a INT)", &[]))?;
    /// assert!(matches!(outcome, covet_query::Outcome::Done(ref tag) if tag.command == "CREATE TABLE"));
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn with_session<T>(
        &self,
        f: impl FnOnce(&mut Session) -> covet_query::Result<T>,
    ) -> Result<T> {
        Ok(f(&mut self.session.borrow_mut())?)
    }

    pub(crate) fn session(&self) -> &RefCell<Session> {
        &self.session
    }

    /// Runs a transaction-control statement (BEGIN, COMMIT, ROLLBACK).
    pub(crate) fn run_control(&self, sql: &str) -> Result<()> {
        let outcome = self.session.borrow_mut().execute_sql(sql, &[])?;
        rows_affected(outcome).map(|_| ())
    }
}

/// The rows a statement affected: its tag's count, or the rows it returned, read to
/// the end (so that a `… RETURNING` statement completes).
pub(crate) fn rows_affected(outcome: Outcome) -> Result<u64> {
    match outcome {
        Outcome::Done(tag) => Ok(tag.rows.unwrap_or(0)),
        Outcome::Rows(stream) => {
            let mut n = 0;
            for row in stream {
                row?;
                n += 1;
            }
            Ok(n)
        }
    }
}

pub(crate) fn rows_of(outcome: Outcome) -> Rows {
    match outcome {
        Outcome::Rows(stream) => Rows::new(stream),
        Outcome::Done(_) => Rows::empty(),
    }
}

pub(crate) fn first_row<T>(mut rows: Rows, f: impl FnOnce(&Row) -> Result<T>) -> Result<T> {
    match rows.next() {
        Some(row) => f(&row?),
        None => Err(Error::NoRows),
    }
}
