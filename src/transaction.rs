//! [`Transaction`]: a transaction block as an object, rolled back unless committed.

use std::cell::Cell;
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
    /// Savepoints made so far, for unique names.
    savepoints: Cell<u32>,
}

impl<'c> Transaction<'c> {
    pub(crate) fn new(conn: &'c Connection) -> Transaction<'c> {
        Transaction {
            conn,
            finished: false,
            savepoints: Cell::new(0),
        }
    }

    /// A savepoint inside this block: work after it can be undone alone (also after a
    /// failed statement, which then no longer fails the block). It is released by
    /// [`Savepoint::release`] and rolled back by [`Savepoint::rollback`] or when
    /// dropped.
    ///
    /// ```
    /// let db = covet::Database::memory()?;
    /// let conn = db.connect();
    /// conn.execute_batch("CREATE TABLE t(a INT PRIMARY KEY)")?;
    /// let tx = conn.begin()?;
    /// tx.execute("INSERT INTO t VALUES (1)", ())?;
    /// {
    ///     let sp = tx.savepoint()?;
    ///     assert!(sp.execute("INSERT INTO t VALUES (1)", ()).is_err()); // 23505
    ///     sp.rollback()?; // the block is usable again
    /// }
    /// let sp = tx.savepoint()?;
    /// sp.execute("INSERT INTO t VALUES (2)", ())?;
    /// sp.release()?;
    /// tx.commit()?;
    /// assert_eq!(conn.query_row("SELECT sum(a) FROM t", (), |r| r.get::<_, i64>(0))?, 3);
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn savepoint(&self) -> Result<Savepoint<'_>> {
        let n = self.savepoints.get() + 1;
        self.savepoints.set(n);
        let name = format!("covet_savepoint_{n}");
        self.conn.run_control(&format!("SAVEPOINT {name}"))?;
        Ok(Savepoint {
            conn: self.conn,
            name,
            finished: false,
        })
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

/// A savepoint inside a [`Transaction`], from [`Transaction::savepoint`]. It derefs to
/// the connection; it rolls back to where it was made when dropped without
/// [`release`](Savepoint::release).
///
/// ```
/// let db = covet::Database::memory()?;
/// let conn = db.connect();
/// conn.execute_batch("CREATE TABLE t(a INT)")?;
/// let tx = conn.begin()?;
/// tx.execute("INSERT INTO t VALUES (1)", ())?;
/// {
///     let sp = tx.savepoint()?;
///     sp.execute("INSERT INTO t VALUES (2)", ())?;
/// } // dropped: the second row is undone
/// tx.commit()?;
/// assert_eq!(conn.query_row("SELECT count(*) FROM t", (), |r| r.get::<_, i64>(0))?, 1);
/// # Ok::<(), covet::Error>(())
/// ```
pub struct Savepoint<'t> {
    conn: &'t Connection,
    name: String,
    finished: bool,
}

impl Savepoint<'_> {
    /// Keeps the work done since the savepoint (it becomes part of the block).
    ///
    /// ```
    /// let db = covet::Database::memory()?;
    /// let conn = db.connect();
    /// conn.execute_batch("CREATE TABLE t(a INT)")?;
    /// let tx = conn.begin()?;
    /// let sp = tx.savepoint()?;
    /// sp.execute("INSERT INTO t VALUES (1)", ())?;
    /// sp.release()?;
    /// tx.commit()?;
    /// assert_eq!(conn.query_row("SELECT count(*) FROM t", (), |r| r.get::<_, i64>(0))?, 1);
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn release(mut self) -> Result<()> {
        self.finished = true;
        self.conn
            .run_control(&format!("RELEASE SAVEPOINT {}", self.name))
    }

    /// Undoes the work done since the savepoint (and a failure in it).
    ///
    /// ```
    /// let db = covet::Database::memory()?;
    /// let conn = db.connect();
    /// conn.execute_batch("CREATE TABLE t(a INT)")?;
    /// let tx = conn.begin()?;
    /// let sp = tx.savepoint()?;
    /// sp.execute("INSERT INTO t VALUES (1)", ())?;
    /// sp.rollback()?;
    /// tx.commit()?;
    /// assert_eq!(conn.query_row("SELECT count(*) FROM t", (), |r| r.get::<_, i64>(0))?, 0);
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn rollback(mut self) -> Result<()> {
        self.finished = true;
        self.undo()
    }

    fn undo(&self) -> Result<()> {
        if self.conn.transaction_status() == TransactionStatus::Idle {
            // A COMMIT or ROLLBACK statement inside ended the whole block.
            return Ok(());
        }
        self.conn
            .run_control(&format!("ROLLBACK TO SAVEPOINT {}", self.name))?;
        self.conn
            .run_control(&format!("RELEASE SAVEPOINT {}", self.name))
    }
}

impl std::fmt::Debug for Savepoint<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Savepoint")
            .field("name", &self.name)
            .field("finished", &self.finished)
            .finish()
    }
}

impl Deref for Savepoint<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl Drop for Savepoint<'_> {
    fn drop(&mut self) {
        if !self.finished {
            // As for a transaction: a destructor has no one to report a failure to.
            let _ = self.undo();
        }
    }
}
