//! SQLite through rusqlite (bundled): one connection, `journal_mode=WAL`, `synchronous=FULL`,
//! `cache_size` of the whole cache (the suite uses one connection at a time), statements
//! prepared once per workload.

use std::path::Path;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, ToSql};

use super::data::{Cell, RowSink};
use super::engine::{Param, SqlEngine, Statement};
use crate::engines::{Result, Settings};

/// SQLite with the suite's settings.
pub struct SqliteSql {
    conn: Connection,
}

/// SQLite numbers its parameters `?1`; the suite writes PostgreSQL's `$1`.
fn sqlite_placeholders(sql: &str) -> String {
    sql.replace('$', "?")
}

impl SqlEngine for SqliteSql {
    const NAME: &'static str = "sqlite";

    fn open(dir: &Path, cache_bytes: u64) -> Result<Self> {
        let conn = Connection::open(dir.join("db.sqlite"))?;
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(format!("journal_mode is {mode}, not wal").into());
        }
        conn.execute_batch(&format!(
            "PRAGMA synchronous = FULL; PRAGMA cache_size = -{};",
            (cache_bytes / 1024).max(1)
        ))?;
        let synchronous: i64 = conn.query_row("PRAGMA synchronous", [], |row| row.get(0))?;
        if synchronous != 2 {
            return Err(format!("synchronous reads back {synchronous}, not 2 (FULL)").into());
        }
        Ok(SqliteSql { conn })
    }

    fn settings(&mut self) -> Result<Settings> {
        let conn = &self.conn;
        let text = |pragma: &str| -> Result<String> {
            Ok(conn.query_row(&format!("PRAGMA {pragma}"), [], |row| row.get(0))?)
        };
        let int = |pragma: &str| -> Result<i64> {
            Ok(conn.query_row(&format!("PRAGMA {pragma}"), [], |row| row.get(0))?)
        };
        Ok(Settings::new()
            .read_back("journal_mode", text("journal_mode")?)
            .read_back("synchronous", int("synchronous")?)
            .read_back("wal_autocheckpoint", int("wal_autocheckpoint")?)
            .read_back("page_size", int("page_size")?)
            .read_back("cache_bytes", -int("cache_size")? * 1024)
            .read_back("sqlite_version", rusqlite::version()))
    }

    fn batch(&mut self, sql: &str) -> Result<()> {
        self.conn.execute_batch(sql)?;
        Ok(())
    }

    fn with_statement<R>(
        &mut self,
        sql: &str,
        body: impl FnOnce(&mut dyn Statement) -> Result<R>,
    ) -> Result<R> {
        let stmt = self.conn.prepare(&sqlite_placeholders(sql))?;
        body(&mut SqliteStatement { stmt })
    }

    /// Closing the last connection checkpoints the WAL into the database and deletes it.
    fn close(self) -> Result<()> {
        self.conn.close().map_err(|(_, e)| e)?;
        Ok(())
    }
}

struct SqliteStatement<'c> {
    stmt: rusqlite::Statement<'c>,
}

impl SqliteStatement<'_> {
    fn bind(&mut self, params: &[Param<'_>]) -> Result<()> {
        for (i, p) in params.iter().enumerate() {
            let value: &dyn ToSql = match p {
                Param::Int(v) => v,
                Param::Float(v) => v,
                Param::Text(v) => v,
            };
            self.stmt.raw_bind_parameter(i + 1, value)?;
        }
        Ok(())
    }
}

impl Statement for SqliteStatement<'_> {
    fn execute(&mut self, params: &[Param<'_>]) -> Result<u64> {
        self.bind(params)?;
        Ok(self.stmt.raw_execute()? as u64)
    }

    fn query(&mut self, params: &[Param<'_>], sink: &mut dyn RowSink) -> Result<()> {
        self.bind(params)?;
        let columns = self.stmt.column_count();
        let mut rows = self.stmt.raw_query();
        while let Some(row) = rows.next()? {
            for column in 0..columns {
                sink.cell(
                    column,
                    match row.get_ref(column)? {
                        ValueRef::Null => Cell::Null,
                        ValueRef::Integer(i) => Cell::Int(i),
                        ValueRef::Real(f) => Cell::Float(f),
                        ValueRef::Text(t) => Cell::Text(t),
                        ValueRef::Blob(_) => Cell::Other,
                    },
                );
            }
            sink.end_row();
        }
        Ok(())
    }
}
