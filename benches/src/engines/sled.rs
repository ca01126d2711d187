//! sled 0.34 adapter (the stable release, not the 1.0 alphas): the default tree of one `Db`.
//!
//! sled has no durable transactions, so a write transaction is a `sled::Batch` (applied
//! atomically with `apply_batch`) followed by `Db::flush()`, which fsyncs. The batch is built in
//! memory first, so a bulk load holds all N pairs in the batch until it is applied: that is
//! sled's cost for an atomic load and shows in its peak memory.
//!
//! Settings: `Config::cache_capacity(cache_bytes)`; everything else default (including the
//! background flush every 500 ms, which the explicit flush per commit makes moot). An open `Db`
//! reports none of its configuration, so the settings are printed as passed. Only durable
//! commits are offered ([`EngineConfig::require_durable`]).

use std::path::Path;

use ::sled::{Batch, Config, Db};

use super::{EngineConfig, KvEngine, KvReader, KvWriter, Result, Settings};

/// sled with a cache of `cache_bytes`.
pub struct SledEngine {
    db: Db,
    cache_bytes: u64,
}

impl KvEngine for SledEngine {
    const NAME: &'static str = "sled";
    type Reader<'a> = SledReader<'a>;

    fn open(dir: &Path, config: &EngineConfig) -> Result<Self> {
        config.require_durable(Self::NAME)?;
        let db = Config::new()
            .path(dir.join("db.sled"))
            .cache_capacity(config.cache_bytes)
            .open()?;
        Ok(SledEngine {
            db,
            cache_bytes: config.cache_bytes,
        })
    }

    fn settings(&self) -> Result<Settings> {
        Ok(Settings::new()
            .passed("cache_capacity_bytes", self.cache_bytes)
            .passed("commit", "apply_batch + flush (fsync)")
            .passed("flush_every_ms", "500 (the default, not changed)"))
    }

    fn write<F>(&self, body: F) -> Result<()>
    where
        F: FnOnce(&mut dyn KvWriter) -> Result<()>,
    {
        let mut batch = SledWriter(Batch::default());
        body(&mut batch)?;
        self.db.apply_batch(batch.0)?;
        self.db.flush()?;
        Ok(())
    }

    fn reader(&self) -> Result<SledReader<'_>> {
        // sled reads see the latest applied state; nothing writes during the read workloads.
        Ok(SledReader(&self.db))
    }

    /// sled's close: a last flush (every commit already flushed, so it finds little), then the
    /// drop, which stops its background flusher.
    fn close(self) -> Result<()> {
        self.db.flush()?;
        drop(self);
        Ok(())
    }
}

struct SledWriter(Batch);

impl KvWriter for SledWriter {
    fn insert(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        self.0.insert(key, value);
        Ok(())
    }

    fn remove(&mut self, key: &[u8]) -> Result<()> {
        self.0.remove(key);
        Ok(())
    }
}

/// Reads straight from the shared `Db` (sled has no read transactions).
pub struct SledReader<'a>(&'a Db);

impl KvReader for SledReader<'_> {
    fn get<R>(&mut self, key: &[u8], f: impl FnOnce(&[u8]) -> R) -> Result<Option<R>> {
        Ok(self.0.get(key)?.map(|value| f(&value)))
    }

    fn scan(
        &mut self,
        start: &[u8],
        limit: usize,
        mut f: impl FnMut(&[u8], &[u8]),
    ) -> Result<usize> {
        let mut seen = 0;
        for entry in self.0.range(start..).take(limit) {
            let (key, value) = entry?;
            f(&key, &value);
            seen += 1;
        }
        Ok(seen)
    }
}
