//! The `space` suite: how well an engine reuses the space of deleted data.
//!
//! Each engine, in a fresh directory: load N keys (commits of 100,000), close, measure
//! the directory; reopen, remove every key, load the same N keys again, close, measure
//! again. Reported: both sizes in bytes and their ratio (the goal for covet:
//! at most 1.25).

use std::path::Path;

use crate::engines::{EngineConfig, KvEngine, Result};
use crate::keys::KeyGen;
use crate::kv::dir_size;

/// Keys per commit.
const BATCH: u64 = 100_000;

/// What one engine's run measured.
#[derive(Debug, Clone, Copy)]
pub struct SpaceReport {
    /// Bytes on disk after the first load.
    pub first: u64,
    /// Bytes on disk after removing everything and loading again.
    pub reloaded: u64,
}

fn load<E: KvEngine>(engine: &E, keys: &KeyGen, n: u64) -> Result<()> {
    let mut start = 0;
    while start < n {
        let end = (start + BATCH).min(n);
        engine.write(|w| {
            for i in start..end {
                w.insert(&keys.key(i), &keys.value(i))?;
            }
            Ok(())
        })?;
        start = end;
    }
    Ok(())
}

/// Runs the suite for engine `E` in a new directory under `base`.
pub fn run<E: KvEngine>(
    n: u64,
    seed: u64,
    config: &EngineConfig,
    base: &Path,
) -> Result<SpaceReport> {
    let dir = tempfile::Builder::new()
        .prefix(&format!("space-{}-", E::NAME))
        .tempdir_in(base)?;
    let keys = KeyGen::new(seed);
    {
        let engine = E::open(dir.path(), config)?;
        load(&engine, &keys, n)?;
    }
    let first = dir_size(dir.path())?;
    {
        let engine = E::open(dir.path(), config)?;
        let mut start = 0;
        while start < n {
            let end = (start + BATCH).min(n);
            engine.write(|w| {
                for i in start..end {
                    w.remove(&keys.key(i))?;
                }
                Ok(())
            })?;
            start = end;
        }
        load(&engine, &keys, n)?;
    }
    let reloaded = dir_size(dir.path())?;
    Ok(SpaceReport { first, reloaded })
}
