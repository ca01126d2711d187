//! covet adapter: one tree `kv` in a single file `db.covet` (plus its `-wal`).
//!
//! Settings: `Options { cache_bytes, durability: Full, .. }` — every commit is
//! fsynced before `commit` returns, bulk load included; 4 KiB pages.

use std::path::Path;

use covet_engine::{Database, Durability, Options, ReadTxn, Tree};

use super::{EngineConfig, KvEngine, KvReader, KvWriter, Result};

/// covet-engine with a page cache of `cache_bytes`.
pub struct CovetEngine {
    db: Database,
    tree: Tree,
    cache_bytes: u64,
}

impl KvEngine for CovetEngine {
    const NAME: &'static str = "covet";
    type Reader<'a> = CovetReader;

    fn open(dir: &Path, config: &EngineConfig) -> Result<Self> {
        let options = Options {
            cache_bytes: usize::try_from(config.cache_bytes)?,
            durability: Durability::Full,
            ..Options::default()
        };
        let db = Database::open(dir.join("db.covet"), options)?;
        let mut w = db.begin_write()?;
        let tree = w.open_or_create_tree("kv")?;
        w.commit()?;
        Ok(CovetEngine {
            db,
            tree,
            cache_bytes: config.cache_bytes,
        })
    }

    fn settings(&self) -> String {
        format!(
            "cache {} MiB, Durability::Full, 4 KiB pages",
            self.cache_bytes >> 20
        )
    }

    fn write<F>(&self, body: F) -> Result<()>
    where
        F: FnOnce(&mut dyn KvWriter) -> Result<()>,
    {
        let mut txn = self.db.begin_write()?;
        body(&mut CovetWriter {
            txn: &mut txn,
            tree: self.tree,
        })?;
        txn.commit()?;
        Ok(())
    }

    fn reader(&self) -> Result<CovetReader> {
        Ok(CovetReader {
            txn: self.db.begin_read()?,
            tree: self.tree,
        })
    }
}

struct CovetWriter<'a> {
    txn: &'a mut covet_engine::WriteTxn,
    tree: Tree,
}

impl KvWriter for CovetWriter<'_> {
    fn insert(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        self.txn.insert(&self.tree, key, value)?;
        Ok(())
    }

    fn remove(&mut self, key: &[u8]) -> Result<()> {
        self.txn.remove(&self.tree, key)?;
        Ok(())
    }
}

/// A covet read transaction on the `kv` tree.
pub struct CovetReader {
    txn: ReadTxn,
    tree: Tree,
}

impl KvReader for CovetReader {
    fn get<R>(&mut self, key: &[u8], f: impl FnOnce(&[u8]) -> R) -> Result<Option<R>> {
        Ok(self.txn.get(&self.tree, key)?.map(|guard| f(guard.value())))
    }

    fn scan(
        &mut self,
        start: &[u8],
        limit: usize,
        mut f: impl FnMut(&[u8], &[u8]),
    ) -> Result<usize> {
        let mut seen = 0;
        for entry in self.txn.range(&self.tree, start..).take(limit) {
            let entry = entry?;
            f(entry.key(), entry.value());
            seen += 1;
        }
        Ok(seen)
    }
}
