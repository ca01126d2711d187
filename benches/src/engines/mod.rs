//! The engine abstraction the workloads are written against, and the list of engines.
//!
//! # Adding an engine
//!
//! 1. Write `engines/NAME.rs` with a type implementing [`KvEngine`] (plus its [`KvWriter`] and
//!    [`KvReader`]); each existing adapter is a page or two long and a model to copy. Its
//!    [`KvEngine::settings`] reads back what the engine's API lets it read back.
//! 2. Declare the module below, add the name to [`ENGINES`] and an arm to [`run_by_name`].
//! 3. Add a line to `tests::every_engine_conforms`.

use std::path::Path;

pub mod covet;
pub mod lmdb;
pub mod redb;
pub mod settings;
pub mod sled;
pub mod sqlite;

pub use settings::Settings;

/// Any error an adapter passes up; the harness only prints it.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// The result type of every adapter call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Whether a commit waits for the disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncMode {
    /// Every commit is synced before it returns (covet `Durability::Full`, SQLite
    /// `synchronous=FULL`, redb `Durability::Immediate`, sled `flush()`, LMDB default flags).
    Full,
    /// Nothing is synced (covet `Durability::Off`, SQLite `synchronous=OFF`): what a commit
    /// costs besides the disk. Only the WAL engines (covet, SQLite) take it.
    Off,
}

impl SyncMode {
    /// The name used in `--durability` and in the JSON output.
    pub fn name(self) -> &'static str {
        match self {
            SyncMode::Full => "full",
            SyncMode::Off => "off",
        }
    }

    /// The mode called `name`.
    pub fn from_name(name: &str) -> Option<SyncMode> {
        [SyncMode::Full, SyncMode::Off]
            .into_iter()
            .find(|s| s.name() == name)
    }
}

/// What every engine is opened with.
#[derive(Clone, Copy, Debug)]
pub struct EngineConfig {
    /// The engine's page/block cache, in bytes, where it has one of its own. An engine with a
    /// cache per connection divides it between the connections a workload uses at once (see
    /// [`KvEngine::prepare`]), so every engine works with the same amount.
    pub cache_bytes: u64,
    /// Whether commits are synced.
    pub sync: SyncMode,
    /// Whether a WAL engine checkpoints on its own as its WAL grows (`false`: only at close;
    /// covet `autocheckpoint_frames = u64::MAX`, SQLite `wal_autocheckpoint=0`). Engines
    /// without a WAL refuse `false`.
    pub autocheckpoint: bool,
}

impl EngineConfig {
    /// Durable commits, automatic checkpoints, a cache of `cache_bytes`.
    pub fn durable(cache_bytes: u64) -> EngineConfig {
        EngineConfig {
            cache_bytes,
            sync: SyncMode::Full,
            autocheckpoint: true,
        }
    }

    /// An error unless this is [`EngineConfig::durable`]: for engines that offer nothing else
    /// here (a setting silently ignored would make a comparison false).
    pub fn require_durable(&self, engine: &str) -> Result<()> {
        if self.sync != SyncMode::Full || !self.autocheckpoint {
            return Err(format!(
                "{engine}: the harness runs it only with synced commits and its own \
                 checkpointing (asked: sync {}, autocheckpoint {})",
                self.sync.name(),
                self.autocheckpoint
            )
            .into());
        }
        Ok(())
    }
}

/// What the next workload does with the engine, so an engine with a cache per connection can
/// share its cache between the connections that are about to be used together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Write transactions, one at a time.
    Write,
    /// Read transactions on `threads` threads at once.
    Read {
        /// Reader threads that will run together.
        threads: usize,
    },
}

/// A key-value store under test: one table of byte keys to byte values, in its own directory.
///
/// The harness shares `&self` between threads (hence `Sync`) but never runs a write alongside
/// anything else. Every [`KvEngine::write`] is a commit as [`EngineConfig::sync`] says: with
/// [`SyncMode::Full`], when it returns `Ok` the data must survive a power cut (fsync or the
/// engine's equivalent), whatever the engine's default.
pub trait KvEngine: Sync + Sized {
    /// The engine's name as it appears in `--engines` and in the JSON `results`.
    const NAME: &'static str;

    /// What a reader is: a read transaction (snapshot) that the workloads query.
    type Reader<'a>: KvReader
    where
        Self: 'a;

    /// Creates a new, empty database in the empty directory `dir`, or opens the one an earlier
    /// `open` made there (the space suite reopens).
    fn open(dir: &Path, config: &EngineConfig) -> Result<Self>;

    /// The settings in force: read back from the engine where its API allows, else the values
    /// passed to it (labelled so).
    fn settings(&self) -> Result<Settings>;

    /// Called (untimed) before each workload. The default does nothing: one cache per engine.
    fn prepare(&self, phase: Phase) -> Result<()> {
        let _ = phase;
        Ok(())
    }

    /// Runs `body` inside one write transaction and commits it if `body` returns `Ok`.
    /// If `body` fails, the transaction is abandoned and the error returned.
    fn write<F>(&self, body: F) -> Result<()>
    where
        F: FnOnce(&mut dyn KvWriter) -> Result<()>;

    /// Starts a read transaction: a consistent snapshot of the last committed state. Each reader
    /// is used by one thread; two threads each call `reader` on the shared engine.
    fn reader(&self) -> Result<Self::Reader<'_>>;

    /// Closes the engine, doing the work its close does (a WAL engine's final checkpoint, a
    /// flush), and reports an error the close meets. The default drops it.
    fn close(self) -> Result<()> {
        drop(self);
        Ok(())
    }
}

/// The operations of one write transaction.
pub trait KvWriter {
    /// Inserts `key`, replacing any existing value.
    fn insert(&mut self, key: &[u8], value: &[u8]) -> Result<()>;
    /// Removes `key` if present.
    fn remove(&mut self, key: &[u8]) -> Result<()>;
}

/// The operations of one read transaction.
pub trait KvReader {
    /// Looks up `key` and, if it is there, returns `f` applied to its value, which `f` sees in
    /// place (a guard or borrowed slice: no copy is asked for).
    fn get<R>(&mut self, key: &[u8], f: impl FnOnce(&[u8]) -> R) -> Result<Option<R>>;

    /// Visits up to `limit` entries in key order, starting at the first key `>= start`, calling
    /// `f(key, value)` on each; returns how many it visited (fewer at the end of the table).
    fn scan(&mut self, start: &[u8], limit: usize, f: impl FnMut(&[u8], &[u8])) -> Result<usize>;
}

/// Every engine the harness knows, in the order they run and are reported.
pub const ENGINES: &[&str] = &[
    self::covet::CovetEngine::NAME,
    self::redb::RedbEngine::NAME,
    self::sled::SledEngine::NAME,
    self::sqlite::SqliteEngine::NAME,
    self::lmdb::LmdbEngine::NAME,
];

/// Calls `run::<E>()` with the engine type named `name`; `None` if no engine has that name.
///
/// The callback is generic so each engine's workloads are compiled for its own types (no
/// dynamic dispatch inside a timed loop).
pub fn run_by_name<V: EngineVisitor>(name: &str, visitor: V) -> Option<V::Output> {
    Some(match name {
        self::covet::CovetEngine::NAME => visitor.visit::<self::covet::CovetEngine>(),
        self::redb::RedbEngine::NAME => visitor.visit::<self::redb::RedbEngine>(),
        self::sled::SledEngine::NAME => visitor.visit::<self::sled::SledEngine>(),
        self::sqlite::SqliteEngine::NAME => visitor.visit::<self::sqlite::SqliteEngine>(),
        self::lmdb::LmdbEngine::NAME => visitor.visit::<self::lmdb::LmdbEngine>(),
        _ => return None,
    })
}

/// Something to do with an engine type chosen at run time (see [`run_by_name`]).
pub trait EngineVisitor {
    /// What the visit produces.
    type Output;
    /// Does it for engine `E`.
    fn visit<E: KvEngine>(self) -> Self::Output;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What every adapter must do; a new adapter (covet's) gets a line in `every_engine_conforms`.
    fn conforms<E: KvEngine>() {
        let dir = tempfile::tempdir().unwrap();
        let engine = E::open(dir.path(), &EngineConfig::durable(1 << 20)).unwrap();
        let settings = engine.settings().unwrap().to_json();
        assert!(
            settings.starts_with("{\"read_back\":{"),
            "{}: {settings}",
            E::NAME
        );
        engine.prepare(Phase::Read { threads: 2 }).unwrap();
        let name = E::NAME;
        engine
            .write(|w| {
                for k in [b"b", b"d", b"a", b"c"] {
                    w.insert(k, &[k[0]; 3])?;
                }
                w.insert(b"a", b"new")
            })
            .unwrap();
        // A failed body commits nothing.
        let failed = engine.write(|w| {
            w.insert(b"z", b"zz")?;
            Err("abandon".into())
        });
        assert!(failed.is_err(), "{name}");
        engine.write(|w| w.remove(b"d")).unwrap();

        let mut reader = engine.reader().unwrap();
        assert_eq!(
            reader.get(b"a", |v| v.to_vec()).unwrap().as_deref(),
            Some(&b"new"[..]),
            "{name}"
        );
        assert_eq!(
            reader.get(b"c", |v| v.to_vec()).unwrap().as_deref(),
            Some(&b"ccc"[..]),
            "{name}"
        );
        for missing in [&b"d"[..], b"z", b"bb"] {
            assert_eq!(reader.get(missing, |v| v.len()).unwrap(), None, "{name}");
        }
        let mut seen = Vec::new();
        let count = reader
            .scan(b"bb", 10, |k, _| seen.push(k.to_vec()))
            .unwrap();
        assert_eq!((count, seen), (1, vec![b"c".to_vec()]), "{name}");
        let mut seen = Vec::new();
        let count = reader.scan(&[], 2, |k, _| seen.push(k.to_vec())).unwrap();
        assert_eq!(
            (count, seen),
            (2, vec![b"a".to_vec(), b"b".to_vec()]),
            "{name}"
        );
        drop(reader);

        // Two threads read the shared engine at once.
        std::thread::scope(|s| {
            let other = s.spawn(|| engine.reader().unwrap().get(b"b", |v| v.len()).unwrap());
            assert_eq!(
                engine.reader().unwrap().get(b"b", |v| v.len()).unwrap(),
                Some(3)
            );
            assert_eq!(other.join().unwrap(), Some(3), "{name}");
        });

        engine
            .write(|w| [b"a", b"b", b"c"].iter().try_for_each(|k| w.remove(*k)))
            .unwrap();
        assert_eq!(
            engine.reader().unwrap().scan(&[], 1, |_, _| {}).unwrap(),
            0,
            "{name}"
        );
        engine.write(|w| w.insert(b"kept", b"after close")).unwrap();
        engine.close().unwrap();

        // Reopening (as the space suite does) finds what was committed.
        let engine = E::open(dir.path(), &EngineConfig::durable(1 << 20))
            .unwrap_or_else(|e| panic!("{name}: reopen: {e}"));
        assert_eq!(
            engine
                .reader()
                .unwrap()
                .get(b"kept", |v| v.to_vec())
                .unwrap()
                .as_deref(),
            Some(&b"after close"[..]),
            "{name}"
        );
        engine.close().unwrap();
    }

    #[test]
    fn every_engine_conforms() {
        conforms::<self::covet::CovetEngine>();
        conforms::<self::redb::RedbEngine>();
        conforms::<self::sled::SledEngine>();
        conforms::<self::sqlite::SqliteEngine>();
        conforms::<self::lmdb::LmdbEngine>();
    }
}
