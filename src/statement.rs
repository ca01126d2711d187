//! [`Statement`]: a prepared statement, run again and again with new parameters.

use std::sync::Arc;

use covet_query::{Column, DataType, Outcome, Prepared};

use crate::connection::{first_row, rows_affected, Connection};
use crate::error::Result;
use crate::params::Params;
use crate::rows::{FromRow, MappedRows, Row, RowMapper, Rows};

/// A statement parsed, bound and planned once by [`Connection::prepare`]. It re-plans
/// itself when the schema changed since.
///
/// ```
/// let db = covet::Database::memory()?;
/// let conn = db.connect();
/// conn.execute_batch("CREATE TABLE t(a INT PRIMARY KEY, b TEXT)")?;
/// let mut insert = conn.prepare("INSERT INTO t VALUES ($1, $2)")?;
/// assert_eq!(insert.execute((1, "one"))?, 1);
/// assert_eq!(insert.execute((2, "two"))?, 1);
/// let mut by_key = conn.prepare("SELECT b FROM t WHERE a = $1")?;
/// assert_eq!(by_key.columns()[0].name, "b");
/// let b: String = by_key.query_row((1,), |r| r.get(0))?;
/// assert_eq!(b, "one");
/// # Ok::<(), covet::Error>(())
/// ```
pub struct Statement<'c> {
    conn: &'c Connection,
    prepared: Prepared,
    /// The columns of its last result, shared by the rows of every run that has the
    /// same ones.
    columns: Arc<[Column]>,
}

impl<'c> Statement<'c> {
    pub(crate) fn new(conn: &'c Connection, prepared: Prepared) -> Statement<'c> {
        let columns = prepared.columns().into();
        Statement {
            conn,
            prepared,
            columns,
        }
    }

    /// Runs the statement; the rows affected (see [`Connection::execute`]).
    ///
    /// ```
    /// let db = covet::Database::memory()?;
    /// let conn = db.connect();
    /// conn.execute_batch("CREATE TABLE t(a INT)")?;
    /// let mut stmt = conn.prepare("INSERT INTO t VALUES ($1)")?;
    /// assert_eq!(stmt.execute((7,))?, 1);
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn execute<P: Params>(&mut self, params: P) -> Result<u64> {
        let values = params.into_values()?;
        let outcome = self
            .conn
            .session()
            .borrow_mut()
            .execute(&self.prepared, &values)?;
        rows_affected(outcome)
    }

    /// Runs the statement and streams its rows.
    ///
    /// ```
    /// let db = covet::Database::memory()?;
    /// let conn = db.connect();
    /// let mut stmt = conn.prepare("SELECT x FROM (VALUES (1), (2), (3)) AS v(x) WHERE x >= $1")?;
    /// assert_eq!(stmt.query((2,))?.count(), 2);
    /// assert_eq!(stmt.query((3,))?.count(), 1);
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn query<P: Params>(&mut self, params: P) -> Result<Rows> {
        let values = params.into_values()?;
        let outcome = self
            .conn
            .session()
            .borrow_mut()
            .execute(&self.prepared, &values)?;
        Ok(match outcome {
            Outcome::Rows(stream) => Rows::with_known_columns(stream, &mut self.columns),
            Outcome::Done(_) => Rows::empty(),
        })
    }

    /// Runs the statement and maps its first row ([`Error::NoRows`](crate::Error::NoRows)
    /// when there is none).
    ///
    /// ```
    /// let db = covet::Database::memory()?;
    /// let conn = db.connect();
    /// let mut stmt = conn.prepare("SELECT $1::bigint + 1")?;
    /// assert_eq!(stmt.query_row((1,), |r| r.get::<_, i64>(0))?, 2);
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn query_row<T, P, F>(&mut self, params: P, f: F) -> Result<T>
    where
        P: Params,
        F: FnOnce(&Row) -> Result<T>,
    {
        first_row(self.query(params)?, f)
    }

    /// Runs the statement and streams its rows mapped by `f`.
    ///
    /// ```
    /// let db = covet::Database::memory()?;
    /// let conn = db.connect();
    /// let mut stmt = conn.prepare("SELECT x FROM (VALUES (1), (2)) AS v(x)")?;
    /// let v: Vec<i64> = stmt.query_map((), |r| r.get(0))?.collect::<covet::Result<_>>()?;
    /// assert_eq!(v, [1, 2]);
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn query_map<T, P, F>(&mut self, params: P, f: F) -> Result<MappedRows<F>>
    where
        P: Params,
        F: FnMut(&Row) -> Result<T>,
    {
        Ok(MappedRows::new(self.query(params)?, f))
    }

    /// Runs the statement and streams its rows as `T`.
    ///
    /// ```
    /// let db = covet::Database::memory()?;
    /// let conn = db.connect();
    /// let mut stmt = conn.prepare("SELECT 1, 'a'")?;
    /// let v: Vec<(i64, String)> = stmt.query_as(())?.collect::<covet::Result<_>>()?;
    /// assert_eq!(v, [(1, "a".to_owned())]);
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn query_as<T: FromRow>(
        &mut self,
        params: impl Params,
    ) -> Result<MappedRows<RowMapper<T>>> {
        Ok(MappedRows::new(
            self.query(params)?,
            T::from_row as RowMapper<T>,
        ))
    }

    /// The columns it returns (empty for a statement without rows).
    ///
    /// ```
    /// let db = covet::Database::memory()?;
    /// let conn = db.connect();
    /// let stmt = conn.prepare("SELECT 1 AS one")?;
    /// assert_eq!(stmt.columns()[0].name, "one");
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn columns(&self) -> &[Column] {
        self.prepared.columns()
    }

    /// The inferred types of its parameters `$1…$n`.
    ///
    /// ```
    /// let db = covet::Database::memory()?;
    /// let conn = db.connect();
    /// let stmt = conn.prepare("SELECT $1::bigint + 1, upper($2::text)")?;
    /// assert_eq!(stmt.param_types(), [covet::DataType::Int, covet::DataType::Text]);
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn param_types(&self) -> &[DataType] {
        self.prepared.param_types()
    }

    /// Whether it returns rows.
    ///
    /// ```
    /// let db = covet::Database::memory()?;
    /// let conn = db.connect();
    /// assert!(conn.prepare("SELECT 1")?.returns_rows());
    /// assert!(!conn.prepare("CREATE TABLE t(a INT)")?.returns_rows());
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn returns_rows(&self) -> bool {
        self.prepared.returns_rows()
    }

    /// Its SQL text.
    ///
    /// ```
    /// let db = covet::Database::memory()?;
    /// let conn = db.connect();
    /// assert_eq!(conn.prepare("SELECT 1")?.sql(), "SELECT 1");
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn sql(&self) -> &str {
        self.prepared.sql()
    }
}
