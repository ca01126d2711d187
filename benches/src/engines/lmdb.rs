//! LMDB adapter (heed, bundled LMDB): the unnamed database of an environment in its directory.
//!
//! Settings: map size 64 GiB (address space only; the file grows as pages are written), default
//! flags, so every commit fsyncs. LMDB has no cache of its own: reads go through the memory map,
//! i.e. the OS page cache, so `--cache-mib` does not apply to it. The map size and the flags
//! are read back from the environment (`mdb_env_info`, `mdb_env_get_flags`). Only durable
//! commits are offered ([`EngineConfig::require_durable`]).

use std::ops::Bound;
use std::path::Path;

use heed::types::Bytes;
use heed::{CommitOrAbort, Database, Env, EnvFlags, EnvOpenOptions, RoTxn, RwTxn, WithTls};

use super::{EngineConfig, KvEngine, KvReader, KvWriter, Result, Settings};

/// The virtual size of the memory map.
const MAP_SIZE: usize = 64 << 30;

type Db = Database<'static, Bytes, Bytes>;

/// An LMDB environment with its one database.
pub struct LmdbEngine {
    env: Env,
    db: Db,
}

impl KvEngine for LmdbEngine {
    const NAME: &'static str = "lmdb";
    type Reader<'a> = LmdbReader<'a>;

    fn open(dir: &Path, config: &EngineConfig) -> Result<Self> {
        config.require_durable(Self::NAME)?;
        let mut options = EnvOpenOptions::new();
        options.map_size(MAP_SIZE);
        #[allow(unsafe_code)]
        // SAFETY: LMDB's map is UB only if the file changes under it by other means. The
        // directory is a fresh temporary one that only this process opens, only through this
        // environment, with default (locking, syncing) flags, on a local file system.
        let env = unsafe { options.open(dir)? };
        let wtxn = env.write_txn()?;
        let db = env
            .create_databases_and_commit(wtxn, |opener, wtxn| -> heed::Result<_> {
                Ok(CommitOrAbort::<_, ()>::Commit(
                    opener.create_database::<Bytes, Bytes>(wtxn, None)?,
                ))
            })?
            .unwrap_commit();
        Ok(LmdbEngine { env, db })
    }

    fn settings(&self) -> Result<Settings> {
        let bits = self.env.get_flags()?;
        let flags = EnvFlags::from_bits_retain(bits);
        Ok(Settings::new()
            .read_back("map_size_bytes", self.env.info().map_size)
            .read_back("flags", format!("{bits:#x}"))
            .read_back("no_sync", flags.contains(EnvFlags::NO_SYNC))
            .read_back("no_meta_sync", flags.contains(EnvFlags::NO_META_SYNC))
            .read_back("map_async", flags.contains(EnvFlags::MAP_ASYNC))
            .read_back("write_map", flags.contains(EnvFlags::WRITE_MAP))
            .passed("cache", "none of its own: the OS page cache"))
    }

    fn write<F>(&self, body: F) -> Result<()>
    where
        F: FnOnce(&mut dyn KvWriter) -> Result<()>,
    {
        let mut writer = LmdbWriter {
            txn: self.env.write_txn()?,
            db: self.db,
        };
        body(&mut writer)?;
        writer.txn.commit()?;
        Ok(())
    }

    fn reader(&self) -> Result<LmdbReader<'_>> {
        Ok(LmdbReader {
            txn: self.env.read_txn()?,
            db: self.db,
        })
    }
}

struct LmdbWriter<'e> {
    txn: RwTxn<'e>,
    db: Db,
}

impl KvWriter for LmdbWriter<'_> {
    fn insert(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        self.db.put(&mut self.txn, key, value)?;
        Ok(())
    }

    fn remove(&mut self, key: &[u8]) -> Result<()> {
        self.db.delete(&mut self.txn, key)?;
        Ok(())
    }
}

/// An LMDB read transaction.
pub struct LmdbReader<'e> {
    txn: RoTxn<'e, WithTls>,
    db: Db,
}

impl KvReader for LmdbReader<'_> {
    fn get<R>(&mut self, key: &[u8], f: impl FnOnce(&[u8]) -> R) -> Result<Option<R>> {
        Ok(self.db.get(&self.txn, key)?.map(f))
    }

    fn scan(
        &mut self,
        start: &[u8],
        limit: usize,
        mut f: impl FnMut(&[u8], &[u8]),
    ) -> Result<usize> {
        // LMDB rejects empty keys, even as a bound: from the empty key means from the start.
        let lower = match start {
            [] => Bound::Unbounded,
            start => Bound::Included(start),
        };
        let range = (lower, Bound::Unbounded);
        let mut seen = 0;
        for entry in self.db.range(&self.txn, &range)?.take(limit) {
            let (key, value) = entry?;
            f(key, value);
            seen += 1;
        }
        Ok(seen)
    }
}
