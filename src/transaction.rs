//! [`Transaction`]: a transaction block as an object, rolled back unless committed.

use std::ops::Deref;

use covet_query::{QueryError, SqlState, TransactionStatus};

use crate::connection::Connection;
use crate::error::Result;

/// An open transaction block on a [`Connection`], from [`Connection::begin`] or
/// [`Connection::transaction`]. It derefs to the connection, so every call of a
/// connection runs inside it. It rolls back when dropped without
/// [`commit`](Transaction::commit).
///
/// ```
/// let db = covet::Database::memory()?;
/// let conn = db.connect();
/// conn.execute_batch("CREATE TABLE t(a INT)")?;
/// let tx = conn.begin()?;
/// tx.execute("INSERT INTO t VALUES (1)", ())?;
/// assert_eq!(tx.query_row("SELECT count(*) FROM t", (), |r| r.get::<_, i64>(0))?, 1);
/// tx.rollback()?;
/// assert_eq!(conn.query_row("SELECT count(*) FROM t", (), |r| r.get::<_, i64>(0))?, 0);
/// # Ok::<(), covet::Error>(())
/// ```
pub struct Transaction<'c> {
    conn: &'c Connection,
    finished: bool,
}

impl<'c> Transaction<'c> {
    pub(crate) fn new(conn: &'c Connection) -> Transaction<'c> {
        Transaction {
            conn,
            finished: false,
        }
    }

    /// Commits. A block in which a statement failed cannot commit: it is rolled back
    /// and the result is 25P02 (PostgreSQL turns such a COMMIT into a ROLLBACK too).
    ///
    /// ```
    /// let db = covet::Database::memory()?;
    /// let conn = db.connect();
    /// conn.execute_batch("CREATE TABLE t(a INT PRIMARY KEY)")?;
    /// let tx = conn.begin()?;
    /// tx.execute("INSERT INTO t VALUES (1)", ())?;
    /// assert!(tx.execute("INSERT INTO t VALUES (1)", ()).is_err()); // 23505
    /// assert_eq!(tx.commit().unwrap_err().sqlstate().as_str(), "25P02");
    /// assert_eq!(conn.query_row("SELECT count(*) FROM t", (), |r| r.get::<_, i64>(0))?, 0);
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn commit(mut self) -> Result<()> {
        self.finished = true;
        match self.conn.transaction_status() {
            TransactionStatus::InTransaction => self.conn.run_control("COMMIT"),
            TransactionStatus::Failed => {
                self.conn.run_control("ROLLBACK")?;
                Err(QueryError::new(
                    SqlState::IN_FAILED_SQL_TRANSACTION,
                    "the transaction failed and was rolled back",
                )
                .into())
            }
            // The block was ended by a COMMIT or ROLLBACK statement run inside it.
            TransactionStatus::Idle => Err(QueryError::new(
                SqlState::NO_ACTIVE_SQL_TRANSACTION,
                "there is no transaction in progress",
            )
            .into()),
        }
    }

    /// Rolls back (nothing to do when a statement inside already ended the block).
    ///
    /// ```
    /// let db = covet::Database::memory()?;
    /// let conn = db.connect();
    /// conn.execute_batch("CREATE TABLE t(a INT)")?;
    /// let tx = conn.begin()?;
    /// tx.execute("INSERT INTO t VALUES (1)", ())?;
    /// tx.rollback()?;
    /// assert_eq!(conn.transaction_status(), covet::TransactionStatus::Idle);
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn rollback(mut self) -> Result<()> {
        self.finished = true;
        self.end_by_rollback()
    }

    fn end_by_rollback(&self) -> Result<()> {
        if self.conn.transaction_status() == TransactionStatus::Idle {
            return Ok(());
        }
        self.conn.run_control("ROLLBACK")
    }
}

impl std::fmt::Debug for Transaction<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transaction")
            .field("finished", &self.finished)
            .finish()
    }
}

impl Deref for Transaction<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if !self.finished {
            // A failed rollback leaves the block for the connection's next statement to
            // report; a destructor has no one to tell.
            let _ = self.end_by_rollback();
        }
    }
}
