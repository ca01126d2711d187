//! [`Database`]: an open covet database, the SQL layer over it, and the file-level
//! operations (integrity check, backup, checkpoint) the shell needs.

use std::path::Path;
use std::sync::Arc;

use covet_engine::{BackupOutcome, CheckpointOutcome, IntegrityReport, Options};
use covet_query::Engine;

use crate::connection::Connection;
use crate::error::Result;

/// An open database: one file (or memory), shared by every [`Connection`] made from
/// it. Cheap to clone; clones share the database and its plan cache.
///
/// ```
/// let db = covet::Database::memory()?;
/// let conn = db.connect();
/// conn.execute_batch("CREATE TABLE t(a INT PRIMARY KEY, b TEXT); INSERT INTO t VALUES (1, 'x');")?;
/// let b: String = conn.query_row("SELECT b FROM t WHERE a = $1", (1,), |r| r.get(0))?;
/// assert_eq!(b, "x");
/// # Ok::<(), covet::Error>(())
/// ```
#[derive(Clone)]
pub struct Database {
    engine: Arc<Engine>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("engine", self.engine())
            .finish()
    }
}

impl Database {
    /// Opens (or creates) the database file at `path` with default options.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("app.covet");
    /// {
    ///     let db = covet::Database::open(&path)?;
    ///     db.connect().execute_batch("CREATE TABLE t(a INT); INSERT INTO t VALUES (42);")?;
    /// }
    /// let db = covet::Database::open(&path)?;
    /// let a: i64 = db.connect().query_row("SELECT a FROM t", (), |r| r.get(0))?;
    /// assert_eq!(a, 42);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<Database> {
        Database::open_with(path, Options::default())
    }

    /// Opens the database file at `path` with `options` (page size, cache size,
    /// durability, busy timeout, whether to create it).
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let options = covet::engine::Options { create: false, ..Default::default() };
    /// assert!(covet::Database::open_with(dir.path().join("missing.covet"), options).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_with(path: impl AsRef<Path>, options: Options) -> Result<Database> {
        let db = covet_engine::Database::open(path, options)?;
        Ok(Database::from_engine(db))
    }

    /// A new database in memory, gone when the last clone and connection is dropped.
    ///
    /// ```
    /// let db = covet::Database::memory()?;
    /// assert_eq!(db.connect().query_row("SELECT 1 + 1", (), |r| r.get::<_, i64>(0))?, 2);
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn memory() -> Result<Database> {
        Ok(Database::from_engine(covet_engine::Database::memory()?))
    }

    /// A new database in memory with `options`.
    ///
    /// ```
    /// let options = covet::engine::Options { page_size: 8192, ..Default::default() };
    /// let db = covet::Database::memory_with(options)?;
    /// assert_eq!(db.engine().page_size(), 8192);
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn memory_with(options: Options) -> Result<Database> {
        Ok(Database::from_engine(covet_engine::Database::memory_with(
            options,
        )?))
    }

    /// The SQL layer over a storage engine database opened elsewhere.
    ///
    /// ```
    /// let engine = covet::engine::Database::memory()?;
    /// let db = covet::Database::from_engine(engine);
    /// assert_eq!(db.connect().query_row("SELECT 'ok'", (), |r| r.get::<_, String>(0))?, "ok");
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn from_engine(db: covet_engine::Database) -> Database {
        Database {
            engine: Engine::new(db),
        }
    }

    /// The SQL layer over an existing [`Engine`] (what the server shares with its
    /// sessions).
    ///
    /// ```
    /// let db = covet::Database::memory()?;
    /// let again = covet::Database::from_sql_engine(db.sql_engine().clone());
    /// db.connect().execute_batch("CREATE TABLE t(a INT)")?;
    /// assert_eq!(again.connect().query_row("SELECT count(*) FROM t", (), |r| r.get::<_, i64>(0))?, 0);
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn from_sql_engine(engine: Arc<Engine>) -> Database {
        Database { engine }
    }

    /// A new connection: cheap (no I/O), with its own transaction state. A connection
    /// is `Send` (it may move to another thread) and used by one thread at a time;
    /// open one per thread or task.
    ///
    /// ```
    /// let db = covet::Database::memory()?;
    /// db.connect().execute_batch("CREATE TABLE t(a INT)")?;
    /// let handles: Vec<_> = (0..4)
    ///     .map(|i| {
    ///         let conn = db.connect();
    ///         std::thread::spawn(move || conn.execute("INSERT INTO t VALUES ($1)", (i,)))
    ///     })
    ///     .collect();
    /// for h in handles {
    ///     assert_eq!(h.join().unwrap()?, 1);
    /// }
    /// assert_eq!(db.connect().query_row("SELECT count(*) FROM t", (), |r| r.get::<_, i64>(0))?, 4);
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn connect(&self) -> Connection {
        Connection::new(Arc::clone(&self.engine))
    }

    /// The storage engine underneath, for what SQL does not reach (statistics of the
    /// page cache, WAL, vacuum).
    ///
    /// ```
    /// let db = covet::Database::memory()?;
    /// assert_eq!(db.engine().page_size(), 4096);
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn engine(&self) -> &covet_engine::Database {
        self.engine.database()
    }

    /// The SQL layer's shared state (catalog and plan caches).
    ///
    /// ```
    /// let db = covet::Database::memory()?;
    /// let session = covet_query::Session::new(db.sql_engine().clone());
    /// assert_eq!(session.transaction_status(), covet::TransactionStatus::Idle);
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn sql_engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// Checks the whole file: page checksums, B+tree structure, free pages, and every
    /// table against its indexes. The report lists each problem found.
    ///
    /// ```
    /// let db = covet::Database::memory()?;
    /// db.connect().execute_batch("CREATE TABLE t(a INT PRIMARY KEY); INSERT INTO t VALUES (1);")?;
    /// assert!(db.check_integrity()?.problems.is_empty());
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn check_integrity(&self) -> Result<IntegrityReport> {
        Ok(self.engine().check_integrity()?)
    }

    /// Writes a consistent copy of the database to `dest` while it stays in use.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let db = covet::Database::memory()?;
    /// db.connect().execute_batch("CREATE TABLE t(a INT); INSERT INTO t VALUES (5);")?;
    /// let dest = dir.path().join("copy.covet");
    /// db.backup_to(&dest)?;
    /// let copy = covet::Database::open(&dest)?;
    /// assert_eq!(copy.connect().query_row("SELECT a FROM t", (), |r| r.get::<_, i64>(0))?, 5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn backup_to(&self, dest: impl AsRef<Path>) -> Result<BackupOutcome> {
        Ok(self.engine().backup_to(dest)?)
    }

    /// Copies the WAL's committed pages into the database file.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let db = covet::Database::open(dir.path().join("c.covet"))?;
    /// db.connect().execute_batch("CREATE TABLE t(a INT)")?;
    /// db.checkpoint()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn checkpoint(&self) -> Result<CheckpointOutcome> {
        Ok(self.engine().checkpoint()?)
    }
}
