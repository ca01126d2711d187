//! The runner's database when checking the runner itself: SQLite, the engine whose
//! answers the corpus holds (run as engine `sqlite`, so `onlyif sqlite` records run).
//! A runner that does not pass SQLite's own corpus on SQLite misreads the format.

use covet_engine::value::Value;
use rusqlite::types::ValueRef;

use super::runner::{QueryOutput, SltDatabase};

/// An in-memory SQLite database.
pub struct SqliteDb {
    conn: rusqlite::Connection,
}

impl SqliteDb {
    /// A fresh in-memory database.
    pub fn new() -> Result<SqliteDb, String> {
        let conn = rusqlite::Connection::open_in_memory().map_err(|e| e.to_string())?;
        Ok(SqliteDb { conn })
    }
}

/// SQLite's dynamic value as a covet value (text that is not UTF-8 stays bytes, so
/// that the printable-ASCII mapping sees every byte).
fn value(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Real(f) => Value::Float(f),
        ValueRef::Text(t) => match std::str::from_utf8(t) {
            Ok(s) => Value::Text(s.to_string()),
            Err(_) => Value::Blob(t.to_vec()),
        },
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

impl SltDatabase for SqliteDb {
    fn statement(&mut self, sql: &str) -> Result<(), String> {
        // `sqlite3_exec`, as slt_sqlite.c runs statements.
        self.conn.execute_batch(sql).map_err(|e| e.to_string())
    }

    fn query(&mut self, sql: &str) -> Result<QueryOutput, String> {
        let mut stmt = self.conn.prepare(sql).map_err(|e| e.to_string())?;
        let columns = stmt.column_count();
        let mut rows = stmt.query([]).map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(|e| e.to_string())? {
            out.push(
                (0..columns)
                    .map(|i| row.get_ref(i).map(value).map_err(|e| e.to_string()))
                    .collect::<Result<Vec<_>, _>>()?,
            );
        }
        Ok(QueryOutput { columns, rows: out })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::slt::driver::{run_file, DbFactory, RunOptions};
    use crate::slt::runner::FailureKind;
    use crate::slt::skips::SkipList;

    fn run(name: &str) -> crate::slt::FileReport {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("slt/sqlite-corpus")
            .join(name);
        let factory: Arc<DbFactory> =
            Arc::new(|| SqliteDb::new().map(|db| Box::new(db) as Box<dyn SltDatabase>));
        let options = RunOptions {
            engine: "sqlite".into(),
            record_timeout: Duration::from_secs(600),
            slow: Duration::MAX,
        };
        run_file(&path, factory, Arc::new(SkipList::default()), &options)
    }

    #[test]
    fn select1_passes_on_sqlite_hashes_and_all() {
        let r = run("select1.test");
        assert_eq!(
            (r.passed, r.failed, r.skipped),
            (1031, 0, 0),
            "{:?}",
            r.failures
        );
    }

    #[test]
    fn in1_passes_on_sqlite_with_its_conditions() {
        // Two records are `onlyif mysql`; the `onlyif mssql`/`onlyif oracle` halts do
        // not stop an engine they do not name, and 82 `onlyif sqlite` records run.
        let r = run("in1.test");
        assert_eq!(
            (r.passed, r.failed, r.skipped),
            (214, 0, 2),
            "{:?}",
            r.failures
        );
    }

    #[test]
    fn aggfunc_passes_on_sqlite_but_for_an_error_while_reading_rows() {
        // SQLite's runner ends a query's rows at an error in sqlite3_step (here sum()'s
        // integer overflow) and compares what it read; covet-slt fails the query, since
        // an error is an answer of its own. Every other record, real values printed
        // with SQLite's 16 significant digits among them, passes.
        let r = run("slt_lang_aggfunc.test");
        assert_eq!(
            (r.passed, r.failed, r.skipped),
            (79, 1, 0),
            "{:?}",
            r.failures
        );
        assert_eq!(r.failures[0].line, 480);
        assert_eq!(r.failures[0].kind, FailureKind::QueryFailed);
        assert_eq!(r.failures[0].actual, "integer overflow");
    }
}
