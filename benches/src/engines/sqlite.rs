//! SQLite adapter (rusqlite, bundled SQLite): one two-column table in `db.sqlite`.
//!
//! The table is `kv(key BLOB PRIMARY KEY, value BLOB) WITHOUT ROWID`: WITHOUT ROWID stores the
//! rows in the primary-key B-tree itself, instead of a rowid table plus a separate key index, so
//! each insert writes one tree rather than two; that is SQLite's best layout for this workload.
//!
//! Settings: `journal_mode=WAL`, `synchronous=FULL` (each commit fsyncs the WAL), `cache_size`
//! of `-(cache_bytes / 1024)` KiB on every connection, statements prepared once per connection
//! (`prepare_cached`), explicit transactions. The writer has one connection; readers take
//! connections from a small pool (opened on first use), each in its own `BEGIN` .. `COMMIT`
//! read transaction, so each reader thread has its own page cache, as SQLite requires.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use rusqlite::{CachedStatement, Connection, OptionalExtension};

use super::{EngineConfig, KvEngine, KvReader, KvWriter, Result};

const INSERT: &str = "INSERT OR REPLACE INTO kv (key, value) VALUES (?1, ?2)";
const DELETE: &str = "DELETE FROM kv WHERE key = ?1";
const GET: &str = "SELECT value FROM kv WHERE key = ?1";
const SCAN: &str = "SELECT key, value FROM kv WHERE key >= ?1 ORDER BY key LIMIT ?2";

/// SQLite in WAL mode with `synchronous=FULL`.
pub struct SqliteEngine {
    path: PathBuf,
    cache_bytes: u64,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

impl SqliteEngine {
    /// Opens a connection with this engine's pragmas.
    fn connect(&self) -> Result<Connection> {
        connect(&self.path, self.cache_bytes)
    }
}

fn connect(path: &Path, cache_bytes: u64) -> Result<Connection> {
    let conn = Connection::open(path)?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(format!("journal_mode is {mode}, not wal").into());
    }
    conn.execute_batch(&format!(
        "PRAGMA synchronous = FULL; PRAGMA cache_size = -{};",
        cache_bytes / 1024
    ))?;
    Ok(conn)
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl KvEngine for SqliteEngine {
    const NAME: &'static str = "sqlite";
    type Reader<'a> = SqliteReader<'a>;

    fn open(dir: &Path, config: &EngineConfig) -> Result<Self> {
        let path = dir.join("db.sqlite");
        let conn = connect(&path, config.cache_bytes)?;
        conn.execute_batch("CREATE TABLE kv (key BLOB PRIMARY KEY, value BLOB) WITHOUT ROWID")?;
        Ok(SqliteEngine {
            path,
            cache_bytes: config.cache_bytes,
            writer: Mutex::new(conn),
            readers: Mutex::new(Vec::new()),
        })
    }

    fn settings(&self) -> String {
        format!(
            "WITHOUT ROWID table, WAL, synchronous=FULL, cache_size {} MiB per connection",
            self.cache_bytes >> 20
        )
    }

    fn write<F>(&self, body: F) -> Result<()>
    where
        F: FnOnce(&mut dyn KvWriter) -> Result<()>,
    {
        let mut conn = lock(&self.writer);
        let txn = conn.transaction()?;
        {
            let mut writer = SqliteWriter {
                insert: txn.prepare_cached(INSERT)?,
                delete: txn.prepare_cached(DELETE)?,
            };
            body(&mut writer)?;
        }
        txn.commit()?;
        Ok(())
    }

    fn reader(&self) -> Result<SqliteReader<'_>> {
        let pooled = lock(&self.readers).pop();
        let conn = match pooled {
            Some(conn) => conn,
            None => self.connect()?,
        };
        conn.execute_batch("BEGIN")?;
        Ok(SqliteReader {
            conn: Some(conn),
            pool: &self.readers,
        })
    }
}

struct SqliteWriter<'c> {
    insert: CachedStatement<'c>,
    delete: CachedStatement<'c>,
}

impl KvWriter for SqliteWriter<'_> {
    fn insert(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        self.insert.execute((key, value))?;
        Ok(())
    }

    fn remove(&mut self, key: &[u8]) -> Result<()> {
        self.delete.execute((key,))?;
        Ok(())
    }
}

/// A pooled reader connection inside a read transaction; returned to the pool when dropped.
pub struct SqliteReader<'a> {
    conn: Option<Connection>,
    pool: &'a Mutex<Vec<Connection>>,
}

impl SqliteReader<'_> {
    fn conn(&self) -> &Connection {
        self.conn.as_ref().expect("connection present until drop")
    }
}

impl KvReader for SqliteReader<'_> {
    fn get<R>(&mut self, key: &[u8], f: impl FnOnce(&[u8]) -> R) -> Result<Option<R>> {
        let mut stmt = self.conn().prepare_cached(GET)?;
        let result = stmt
            .query_row((key,), |row| Ok(f(row.get_ref(0)?.as_blob()?)))
            .optional()?;
        Ok(result)
    }

    fn scan(
        &mut self,
        start: &[u8],
        limit: usize,
        mut f: impl FnMut(&[u8], &[u8]),
    ) -> Result<usize> {
        let mut stmt = self.conn().prepare_cached(SCAN)?;
        let mut rows = stmt.query((start, i64::try_from(limit)?))?;
        let mut seen = 0;
        while let Some(row) = rows.next()? {
            f(row.get_ref(0)?.as_blob()?, row.get_ref(1)?.as_blob()?);
            seen += 1;
        }
        Ok(seen)
    }
}

impl Drop for SqliteReader<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            // A connection whose read transaction cannot end is not reused.
            if conn.execute_batch("COMMIT").is_ok() {
                lock(self.pool).push(conn);
            }
        }
    }
}
