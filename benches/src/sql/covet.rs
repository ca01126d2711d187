//! covet through its SQL layer (`covet_query::Session` over `covet_engine::Database`): durable
//! commits (`Durability::Full`), the cache of [`engines::covet::options`], statements prepared
//! once per workload.

use std::path::Path;

use covet_engine::value::Value;
use covet_engine::{Database, Options};
use covet_query::{Engine, Outcome, Prepared, Session};

use super::data::{Cell, RowSink};
use super::engine::{Param, SqlEngine, Statement};
use crate::engines::{self, EngineConfig, Result, Settings};

/// covet with the suite's settings.
pub struct CovetSql {
    session: Session,
    options: Options,
}

impl SqlEngine for CovetSql {
    const NAME: &'static str = "covet";

    fn open(dir: &Path, cache_bytes: u64) -> Result<Self> {
        let options = engines::covet::options(&EngineConfig::durable(cache_bytes))?;
        let db = Database::open(dir.join("db.covet"), options.clone())?;
        Ok(CovetSql {
            session: Session::new(Engine::new(db)),
            options,
        })
    }

    fn settings(&mut self) -> Result<Settings> {
        let engine = self.session.engine().clone();
        Ok(engines::covet::settings(engine.database(), &self.options))
    }

    fn batch(&mut self, sql: &str) -> Result<()> {
        self.session.execute_batch(sql)?;
        Ok(())
    }

    fn with_statement<R>(
        &mut self,
        sql: &str,
        body: impl FnOnce(&mut dyn Statement) -> Result<R>,
    ) -> Result<R> {
        let prepared = self.session.prepare(sql)?;
        body(&mut CovetStatement {
            session: &mut self.session,
            prepared,
            params: Vec::new(),
        })
    }

    /// The final checkpoint, made explicitly so its error is seen, then the drop.
    fn close(self) -> Result<()> {
        let engine = self.session.engine().clone();
        drop(self.session);
        engine.database().checkpoint()?;
        drop(engine);
        Ok(())
    }
}

struct CovetStatement<'s> {
    session: &'s mut Session,
    prepared: Prepared,
    /// Reused between executions so a parameter list costs no allocation once warm.
    params: Vec<Value>,
}

impl CovetStatement<'_> {
    fn run(&mut self, params: &[Param<'_>]) -> Result<Outcome> {
        self.params.clear();
        self.params.extend(params.iter().map(|p| match *p {
            Param::Int(v) => Value::Int(v),
            Param::Float(v) => Value::Float(v),
            Param::Text(v) => Value::Text(v.to_owned()),
        }));
        Ok(self.session.execute(&self.prepared, &self.params)?)
    }
}

impl Statement for CovetStatement<'_> {
    fn execute(&mut self, params: &[Param<'_>]) -> Result<u64> {
        match self.run(params)? {
            Outcome::Done(tag) => Ok(tag.rows.unwrap_or(0)),
            Outcome::Rows(rows) => {
                let mut count = 0;
                for row in rows {
                    row?;
                    count += 1;
                }
                Ok(count)
            }
        }
    }

    fn query(&mut self, params: &[Param<'_>], sink: &mut dyn RowSink) -> Result<()> {
        let Outcome::Rows(rows) = self.run(params)? else {
            return Err(format!("{:?} returned no rows", self.prepared.sql()).into());
        };
        for row in rows {
            for (column, value) in row?.iter().enumerate() {
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
