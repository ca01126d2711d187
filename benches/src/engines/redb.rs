//! redb adapter: one table `kv` of `&[u8] -> &[u8]` in a single file `db.redb`.
//!
//! Settings: `Builder::set_cache_size(cache_bytes)`; every commit uses redb's default
//! durability, `Durability::Immediate` (fsync before `commit` returns), bulk load included.
//! redb's API reads back neither (its `CacheStats` has counters, not the bound), so both are
//! printed as passed. Only durable commits are offered ([`EngineConfig::require_durable`]).

use std::path::Path;

use ::redb::{Database, ReadOnlyTable, ReadableDatabase, Table, TableDefinition};

use super::{EngineConfig, KvEngine, KvReader, KvWriter, Result, Settings};

const TABLE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("kv");

/// redb with its own page cache of `cache_bytes`.
pub struct RedbEngine {
    db: Database,
    cache_bytes: u64,
}

impl KvEngine for RedbEngine {
    const NAME: &'static str = "redb";
    type Reader<'a> = RedbReader;

    fn open(dir: &Path, config: &EngineConfig) -> Result<Self> {
        config.require_durable(Self::NAME)?;
        let db = Database::builder()
            .set_cache_size(usize::try_from(config.cache_bytes)?)
            .create(dir.join("db.redb"))?;
        let txn = db.begin_write()?;
        txn.open_table(TABLE)?;
        txn.commit()?;
        Ok(RedbEngine {
            db,
            cache_bytes: config.cache_bytes,
        })
    }

    fn settings(&self) -> Result<Settings> {
        Ok(Settings::new()
            .passed("cache_bytes", self.cache_bytes)
            .passed("durability", "Immediate (the default, not changed)"))
    }

    fn write<F>(&self, body: F) -> Result<()>
    where
        F: FnOnce(&mut dyn KvWriter) -> Result<()>,
    {
        let txn = self.db.begin_write()?;
        {
            let mut table = txn.open_table(TABLE)?;
            body(&mut RedbWriter(&mut table))?;
        }
        txn.commit()?;
        Ok(())
    }

    fn reader(&self) -> Result<RedbReader> {
        Ok(RedbReader(self.db.begin_read()?.open_table(TABLE)?))
    }

    fn close(self) -> Result<()> {
        self.db.close()?;
        Ok(())
    }
}

struct RedbWriter<'a, 't>(&'a mut Table<'t, &'static [u8], &'static [u8]>);

impl KvWriter for RedbWriter<'_, '_> {
    fn insert(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        self.0.insert(key, value)?;
        Ok(())
    }

    fn remove(&mut self, key: &[u8]) -> Result<()> {
        self.0.remove(key)?;
        Ok(())
    }
}

/// A redb read-only table, which keeps its read transaction alive.
pub struct RedbReader(ReadOnlyTable<&'static [u8], &'static [u8]>);

impl KvReader for RedbReader {
    fn get<R>(&mut self, key: &[u8], f: impl FnOnce(&[u8]) -> R) -> Result<Option<R>> {
        Ok(self.0.get(key)?.map(|guard| f(guard.value())))
    }

    fn scan(
        &mut self,
        start: &[u8],
        limit: usize,
        mut f: impl FnMut(&[u8], &[u8]),
    ) -> Result<usize> {
        let mut seen = 0;
        for entry in self.0.range(start..)?.take(limit) {
            let (key, value) = entry?;
            f(key.value(), value.value());
            seen += 1;
        }
        Ok(seen)
    }
}
