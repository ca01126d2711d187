//! SQLite adapter (rusqlite, bundled SQLite): one two-column table in `db.sqlite`.
//!
//! The table is `kv(key BLOB PRIMARY KEY, value BLOB) WITHOUT ROWID`: WITHOUT ROWID stores the
//! rows in the primary-key B-tree itself, instead of a rowid table plus a separate key index, so
//! each insert writes one tree rather than two; that is SQLite's best layout for this workload.
//!
//! Settings: `journal_mode=WAL`; `synchronous=FULL` (each commit fsyncs the WAL) or `OFF`;
//! `wal_autocheckpoint` left at its default (1000 pages) or `0` (checkpoint only at close);
//! statements prepared once per connection (`prepare_cached`), explicit transactions. Every
//! connection's `journal_mode` and `synchronous` are read back and checked when it is opened.
//!
//! The cache: SQLite's page cache belongs to a connection, so the engine's cache of
//! `cache_bytes` is divided between the connections a workload uses at once. The writer has
//! one connection with all of it (writes never run alongside reads); readers take connections
//! from a pool, each in its own `BEGIN` .. `COMMIT` read transaction, and before a read
//! workload on `t` threads ([`KvEngine::prepare`]) the pool is made exactly `t` connections
//! with `cache_bytes / t` each (`PRAGMA cache_size` on a live connection keeps the pages that
//! still fit).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use rusqlite::{CachedStatement, Connection, OptionalExtension};

use super::{EngineConfig, KvEngine, KvReader, KvWriter, Phase, Result, Settings, SyncMode};

const INSERT: &str = "INSERT OR REPLACE INTO kv (key, value) VALUES (?1, ?2)";
const DELETE: &str = "DELETE FROM kv WHERE key = ?1";
const GET: &str = "SELECT value FROM kv WHERE key = ?1";
const SCAN: &str = "SELECT key, value FROM kv WHERE key >= ?1 ORDER BY key LIMIT ?2";

/// SQLite in WAL mode.
pub struct SqliteEngine {
    path: PathBuf,
    config: EngineConfig,
    /// The cache of each reader connection, in bytes (set by [`KvEngine::prepare`]).
    reader_cache: AtomicU64,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

/// `synchronous` as SQLite reports it (`PRAGMA synchronous` returns the number).
fn synchronous_value(sync: SyncMode) -> i64 {
    match sync {
        SyncMode::Off => 0,
        SyncMode::Full => 2,
    }
}

/// The name of a `PRAGMA synchronous` value.
fn synchronous_name(value: i64) -> &'static str {
    match value {
        0 => "OFF",
        1 => "NORMAL",
        2 => "FULL",
        3 => "EXTRA",
        _ => "unknown",
    }
}

/// Opens a connection with this engine's pragmas and checks them.
fn connect(path: &Path, config: &EngineConfig, cache_bytes: u64) -> Result<Connection> {
    let conn = Connection::open(path)?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(format!("journal_mode is {mode}, not wal").into());
    }
    let synchronous = synchronous_value(config.sync);
    conn.execute_batch(&format!("PRAGMA synchronous = {synchronous};"))?;
    let read: i64 = conn.query_row("PRAGMA synchronous", [], |row| row.get(0))?;
    if read != synchronous {
        return Err(format!("synchronous reads back {read}, not {synchronous}").into());
    }
    if !config.autocheckpoint {
        conn.execute_batch("PRAGMA wal_autocheckpoint = 0;")?;
    }
    set_cache(&conn, cache_bytes)?;
    Ok(conn)
}

/// Sets a connection's page cache to `bytes` (a negative `cache_size` is in KiB).
fn set_cache(conn: &Connection, bytes: u64) -> Result<()> {
    conn.execute_batch(&format!("PRAGMA cache_size = -{};", (bytes / 1024).max(1)))?;
    Ok(())
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl SqliteEngine {
    fn connect_reader(&self) -> Result<Connection> {
        connect(
            &self.path,
            &self.config,
            self.reader_cache.load(Ordering::Relaxed),
        )
    }
}

impl KvEngine for SqliteEngine {
    const NAME: &'static str = "sqlite";
    type Reader<'a> = SqliteReader<'a>;

    fn open(dir: &Path, config: &EngineConfig) -> Result<Self> {
        let path = dir.join("db.sqlite");
        let conn = connect(&path, config, config.cache_bytes)?;
        // IF NOT EXISTS: the space suite reopens the database.
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS kv (key BLOB PRIMARY KEY, value BLOB) WITHOUT ROWID",
        )?;
        Ok(SqliteEngine {
            path,
            config: *config,
            reader_cache: AtomicU64::new(config.cache_bytes),
            writer: Mutex::new(conn),
            readers: Mutex::new(Vec::new()),
        })
    }

    fn settings(&self) -> Result<Settings> {
        let conn = lock(&self.writer);
        let text = |pragma: &str| -> Result<String> {
            Ok(conn.query_row(&format!("PRAGMA {pragma}"), [], |row| row.get(0))?)
        };
        let int = |pragma: &str| -> Result<i64> {
            Ok(conn.query_row(&format!("PRAGMA {pragma}"), [], |row| row.get(0))?)
        };
        let synchronous = int("synchronous")?;
        let cache_kib = -int("cache_size")?;
        Ok(Settings::new()
            .read_back("journal_mode", text("journal_mode")?)
            .read_back(
                "synchronous",
                format!("{} ({synchronous})", synchronous_name(synchronous)),
            )
            .read_back("wal_autocheckpoint", int("wal_autocheckpoint")?)
            .read_back("page_size", int("page_size")?)
            .read_back("writer_cache_bytes", cache_kib * 1024)
            .read_back("sqlite_version", rusqlite::version())
            .passed(
                "reader_cache_bytes",
                "cache_bytes divided by the reader threads of the workload",
            ))
    }

    fn prepare(&self, phase: Phase) -> Result<()> {
        let Phase::Read { threads } = phase else {
            return Ok(());
        };
        let threads = threads.max(1);
        let per_reader = self.config.cache_bytes / threads as u64;
        self.reader_cache.store(per_reader, Ordering::Relaxed);
        let mut pool = lock(&self.readers);
        pool.truncate(threads);
        for conn in pool.iter() {
            set_cache(conn, per_reader)?;
        }
        while pool.len() < threads {
            pool.push(self.connect_reader()?);
        }
        Ok(())
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
            None => self.connect_reader()?,
        };
        conn.execute_batch("BEGIN")?;
        Ok(SqliteReader {
            conn: Some(conn),
            pool: &self.readers,
        })
    }

    /// Closes the readers, then the writer: the last connection to close checkpoints the WAL
    /// into the database and deletes it.
    fn close(self) -> Result<()> {
        for conn in lock(&self.readers).drain(..) {
            conn.close().map_err(|(_, e)| e)?;
        }
        let writer = self
            .writer
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        writer.close().map_err(|(_, e)| e)?;
        Ok(())
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
