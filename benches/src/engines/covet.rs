//! covet adapter: one tree `kv` in a single file `db.covet` (plus its `-wal`).
//!
//! Settings: `Options { cache_bytes, durability, autocheckpoint_frames, .. }`, the rest default
//! (4 KiB pages). With [`SyncMode::Full`] every commit is fsynced before `commit` returns, bulk load
//! included; with [`SyncMode::Off`] nothing is synced. Without automatic checkpoints,
//! `autocheckpoint_frames` is `u64::MAX`, so the WAL is checkpointed only at close.

use std::path::Path;

use covet_engine::{Database, Durability, Options, ReadTxn, Tree};

use super::{EngineConfig, KvEngine, KvReader, KvWriter, Result, Settings, SyncMode};

/// The covet options the harness uses for `config`.
pub fn options(config: &EngineConfig) -> Result<Options> {
    let defaults = Options::default();
    Ok(Options {
        cache_bytes: usize::try_from(config.cache_bytes)?,
        durability: match config.sync {
            SyncMode::Full => Durability::Full,
            SyncMode::Off => Durability::Off,
        },
        autocheckpoint_frames: if config.autocheckpoint {
            defaults.autocheckpoint_frames
        } else {
            u64::MAX
        },
        ..defaults
    })
}

/// The settings of `db`, opened with `options`. The `Database` reports its page size and its
/// cache bound; the rest of `Options` cannot be read back, so it is printed as passed.
pub fn settings(db: &Database, options: &Options) -> Settings {
    Settings::new()
        .read_back("page_size", db.page_size())
        .read_back("cache_capacity_bytes", db.cache_stats().capacity)
        .passed("durability", format!("{:?}", options.durability))
        .passed("autocheckpoint_frames", options.autocheckpoint_frames)
        .passed("wal_keep_bytes", options.wal_keep_bytes)
        .passed("cache_bytes", options.cache_bytes)
}

/// covet-engine with a page cache of `cache_bytes`.
pub struct CovetEngine {
    db: Database,
    tree: Tree,
    options: Options,
}

impl KvEngine for CovetEngine {
    const NAME: &'static str = "covet";
    type Reader<'a> = CovetReader;

    fn open(dir: &Path, config: &EngineConfig) -> Result<Self> {
        let options = options(config)?;
        let db = Database::open(dir.join("db.covet"), options.clone())?;
        let mut w = db.begin_write()?;
        let tree = w.open_or_create_tree("kv")?;
        w.commit()?;
        Ok(CovetEngine { db, tree, options })
    }

    fn settings(&self) -> Result<Settings> {
        Ok(settings(&self.db, &self.options))
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

    /// The checkpoint that closing does, made explicitly so its error is seen; the drop after
    /// it finds the WAL copied and only truncates it.
    fn close(self) -> Result<()> {
        self.db.checkpoint()?;
        drop(self);
        Ok(())
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
