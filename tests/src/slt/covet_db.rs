//! The runner's database: a `covet_query::Session` on a fresh in-memory database.
//!
//! It goes through the SQL layer's session (the lower, stable contract of
//! `query/src/session.rs`) rather than the facade crate, so that it runs as soon as the
//! SQL branches do.

use covet_query::{Engine, Outcome, QueryError, Session};

use super::runner::{QueryOutput, SltDatabase};

/// One session on its own in-memory database.
pub struct CovetDb {
    session: Session,
}

impl CovetDb {
    /// A fresh in-memory database and a session on it. With `statement_timeout`, the
    /// session's `statement_timeout` setting is set to it, so that an engine that
    /// enforces the setting cancels a runaway statement (57014) before the runner's
    /// watchdog has to abandon the file; pass less than the watchdog's limit.
    pub fn new(statement_timeout: Option<std::time::Duration>) -> Result<CovetDb, String> {
        let db = covet_engine::Database::memory().map_err(|e| e.to_string())?;
        let mut covet = CovetDb {
            session: Session::new(Engine::new(db)),
        };
        if let Some(t) = statement_timeout {
            let ms = t.as_millis().max(1);
            covet.statement(&format!("SET statement_timeout = {ms}"))?;
        }
        Ok(covet)
    }
}

/// An error as the runner prints it: SQLSTATE and message.
fn text(e: QueryError) -> String {
    format!("{}: {e}", e.code)
}

impl SltDatabase for CovetDb {
    fn statement(&mut self, sql: &str) -> Result<(), String> {
        match self.session.execute_sql(sql, &[]).map_err(text)? {
            Outcome::Done(_) => Ok(()),
            // Rows of a statement are read to the end: an error in any of them fails it.
            Outcome::Rows(mut rows) => rows.try_for_each(|r| r.map(drop)).map_err(text),
        }
    }

    fn query(&mut self, sql: &str) -> Result<QueryOutput, String> {
        match self.session.execute_sql(sql, &[]).map_err(text)? {
            Outcome::Rows(stream) => {
                let columns = stream.columns().len();
                let rows = stream.collect::<Result<Vec<_>, _>>().map_err(text)?;
                Ok(QueryOutput { columns, rows })
            }
            Outcome::Done(tag) => Err(format!("returned no rows ({})", tag.command)),
        }
    }
}
