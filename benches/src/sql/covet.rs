//! covet through its Rust API (the `covet` facade: `Database::open_with`, `connect`,
//! `prepare`, `execute`/`query` with bound parameters, streamed rows) over
//! `covet_engine::Database`: durable commits (`Durability::Full`), the cache of
//! [`engines::covet::options`], statements prepared once per workload.

use std::path::Path;

use covet::{Connection, Database};
use covet_engine::value::Value;
use covet_engine::Options;

use super::data::{Cell, RowSink};
use super::engine::{Param, SqlEngine, Statement};
use crate::engines::{self, EngineConfig, Result, Settings};

/// covet with the suite's settings.
pub struct CovetSql {
    db: Database,
    conn: Connection,
    options: Options,
}

impl SqlEngine for CovetSql {
    const NAME: &'static str = "covet";

    fn open(dir: &Path, cache_bytes: u64) -> Result<Self> {
        let options = engines::covet::options(&EngineConfig::durable(cache_bytes))?;
        let db = Database::open_with(dir.join("db.covet"), options.clone())?;
        let conn = db.connect();
        Ok(CovetSql { db, conn, options })
    }

    fn settings(&mut self) -> Result<Settings> {
        Ok(engines::covet::settings(self.db.engine(), &self.options))
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
        let stmt = self.conn.prepare(sql)?;
        body(&mut CovetStatement { stmt })
    }

    /// The final checkpoint, made explicitly so its error is seen, then the drop.
    fn close(self) -> Result<()> {
        drop(self.conn);
        self.db.checkpoint()?;
        drop(self.db);
        Ok(())
    }
}

struct CovetStatement<'c> {
    stmt: covet::Statement<'c>,
}

fn values(params: &[Param<'_>]) -> Vec<Value> {
    params
        .iter()
        .map(|p| match *p {
            Param::Int(v) => Value::Int(v),
            Param::Float(v) => Value::Float(v),
            Param::Text(v) => Value::Text(v.to_owned()),
        })
        .collect()
}

impl Statement for CovetStatement<'_> {
    fn execute(&mut self, params: &[Param<'_>]) -> Result<u64> {
        Ok(self.stmt.execute(values(params))?)
    }

    fn query(&mut self, params: &[Param<'_>], sink: &mut dyn RowSink) -> Result<()> {
        for row in self.stmt.query(values(params))? {
            for (column, value) in row?.values().iter().enumerate() {
                sink.cell(
                    column,
                    match value {
                        Value::Null => Cell::Null,
                        Value::Int(i) => Cell::Int(*i),
                        Value::Float(f) => Cell::Float(*f),
                        Value::Text(t) => Cell::Text(t.as_bytes()),
                        _ => Cell::Other,
                    },
                );
            }
            sink.end_row();
        }
        Ok(())
    }
}
