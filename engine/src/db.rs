//! [`Database`]: opening a covet file and starting transactions on it.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::backup::BackupOutcome;
use crate::cache::CacheStats;
use crate::error::Result;
use crate::integrity::IntegrityReport;
use crate::pager::{CheckpointMode, CheckpointOutcome, Durability, Pager, PagerConfig, WalStats};
use crate::table::SharedTables;
use crate::txn::{HandleScope, ReadTxn, WriteTxn};
use crate::vacuum::VacuumOutcome;
use crate::vfs::{MemoryVfs, OsVfs, Vfs};

/// How a database is opened.
#[derive(Debug, Clone)]
pub struct Options {
    /// Page size for a new database (a power of two, 512 to 65536). An existing
    /// database keeps the page size it was created with.
    pub page_size: usize,
    /// The page cache's bound in bytes.
    pub cache_bytes: usize,
    /// How durable commits are.
    pub durability: Durability,
    /// How long `begin_write` waits for the writer lock before `Busy`.
    pub busy_timeout: Duration,
    /// Checkpoint after a commit once the WAL holds this many frames.
    pub autocheckpoint_frames: u64,
    /// After a checkpoint empties the WAL, shrink its file to at most this size.
    pub wal_keep_bytes: u64,
    /// Create the database if the file does not exist.
    pub create: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            page_size: 4096,
            cache_bytes: 64 << 20,
            durability: Durability::Full,
            busy_timeout: Duration::from_secs(5),
            autocheckpoint_frames: 4096,
            wal_keep_bytes: 64 << 20,
            create: true,
        }
    }
}

struct Inner {
    pager: Arc<Pager>,
    /// Tree handles are valid only on this open database.
    scope: Arc<HandleScope>,
    /// Tables resolved by committed snapshots, shared by every read transaction.
    tables: Arc<SharedTables>,
    // Keeps a memory database's files alive as long as the database.
    _vfs: Arc<dyn Vfs>,
}

/// An open covet database. Cheap to clone; clones share the database. Readers on
/// any number of threads, one writer at a time.
///
/// ```
/// use covet_engine::{Database, Options};
/// let db = Database::memory()?;
/// let mut w = db.begin_write()?;
/// let t = w.create_tree("t")?;
/// w.insert(&t, b"k", b"v")?;
/// w.commit()?;
/// let r = db.begin_read()?;
/// assert_eq!(r.get(&t, b"k")?.unwrap().value(), b"v");
/// # Ok::<(), covet_engine::Error>(())
/// ```
#[derive(Clone)]
pub struct Database {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("pager", &self.inner.pager)
            .finish()
    }
}

impl Database {
    /// Opens the database file at `path` (its WAL is `path` + `-wal`).
    ///
    /// Opening never destroys data: a damaged header is `Error::Corrupt` at page
    /// 0 and a foreign file `Error::NotADatabase`, and then no file is changed.
    /// With `create`, only a missing file, an empty one or a creation that never
    /// finished is (re)created. A WAL that is not this database's current log
    /// (another database's, or an old copy of its own) is never replayed; the
    /// open overwrites it with a new, empty log generation.
    pub fn open(path: impl AsRef<Path>, options: Options) -> Result<Database> {
        Database::open_with_vfs(Arc::new(OsVfs), path, options)
    }

    /// Opens a database through `vfs`.
    pub fn open_with_vfs(
        vfs: Arc<dyn Vfs>,
        path: impl AsRef<Path>,
        options: Options,
    ) -> Result<Database> {
        let config = PagerConfig {
            cache_bytes: options.cache_bytes,
            durability: options.durability,
            busy_timeout: options.busy_timeout,
            autocheckpoint_frames: options.autocheckpoint_frames.max(1),
            wal_keep_bytes: options.wal_keep_bytes,
        };
        let pager = Pager::open(
            &*vfs,
            path.as_ref(),
            options.page_size,
            options.create,
            config,
        )?;
        Ok(Database {
            inner: Arc::new(Inner {
                pager: Arc::new(pager),
                scope: Arc::new(HandleScope::new()),
                tables: Arc::default(),
                _vfs: vfs,
            }),
        })
    }

    /// A new, empty database in memory.
    pub fn memory() -> Result<Database> {
        Database::memory_with(Options::default())
    }

    /// A new, empty database in memory with `options`.
    pub fn memory_with(options: Options) -> Result<Database> {
        Database::open_with_vfs(Arc::new(MemoryVfs::new()), "memory.covet", options)
    }

    /// Begins a read transaction on the newest commit.
    pub fn begin_read(&self) -> Result<ReadTxn> {
        Ok(ReadTxn::new(
            self.inner.pager.clone(),
            self.inner.scope.db,
            self.inner.tables.clone(),
        ))
    }

    /// Begins the write transaction, waiting for the writer lock up to the busy
    /// timeout (then `Error::Busy`).
    pub fn begin_write(&self) -> Result<WriteTxn> {
        WriteTxn::begin(self.inner.pager.clone(), self.inner.scope.clone())
    }

    /// Copies committed pages from the WAL into the main file, as far as open
    /// readers allow, and empties the WAL if it can (never waits for readers:
    /// [`CheckpointMode::Passive`]).
    pub fn checkpoint(&self) -> Result<CheckpointOutcome> {
        self.inner.pager.checkpoint()
    }

    /// Checkpoints in `mode`: [`CheckpointMode::Restart`] and
    /// [`CheckpointMode::Truncate`] wait a bounded time for readers of older
    /// snapshots to end, so that the WAL can be emptied (the outcome says whether
    /// it was and how many frames remain).
    ///
    /// A read transaction held open pins every frame committed after it began:
    /// while it lives, automatic checkpoints copy what they can but cannot reset
    /// the WAL, which grows with every commit. The first checkpoint after it ends
    /// (the automatic one at the next commit, or this one) resets the WAL and cuts
    /// the file to `wal_keep_bytes`. [`Database::wal_stats`] shows where it stands.
    pub fn checkpoint_with(&self, mode: CheckpointMode) -> Result<CheckpointOutcome> {
        self.inner.pager.checkpoint_with(mode)
    }

    /// The WAL's size (frames and bytes) and how far behind the oldest reader is.
    pub fn wal_stats(&self) -> Result<WalStats> {
        self.inner.pager.wal_stats()
    }

    /// The page cache's current use.
    pub fn cache_stats(&self) -> CacheStats {
        self.inner.pager.cache_stats()
    }

    /// The database's page size.
    pub fn page_size(&self) -> usize {
        self.inner.pager.page_size()
    }

    /// Walks every page of the newest commit and reports every problem found.
    pub fn check_integrity(&self) -> Result<IntegrityReport> {
        let txn = self.begin_read()?;
        crate::integrity::check(&txn)
    }

    /// Copies the newest commit into a new database file at `dest` (which must not
    /// exist) while writers go on.
    pub fn backup_to(&self, dest: impl AsRef<Path>) -> Result<BackupOutcome> {
        self.backup_to_vfs(&OsVfs, dest)
    }

    /// [`Database::backup_to`] through another file system.
    pub fn backup_to_vfs(&self, vfs: &dyn Vfs, dest: impl AsRef<Path>) -> Result<BackupOutcome> {
        let txn = self.begin_read()?;
        crate::backup::backup(&txn, vfs, dest.as_ref())
    }

    /// Compacts the database: moves every page into the lowest numbers, commits,
    /// and checkpoints so the file shrinks (as far as open readers allow). Tree
    /// handles opened before are stale afterwards.
    pub fn vacuum(&self) -> Result<VacuumOutcome> {
        let mut w = self.begin_write()?;
        let outcome = w.vacuum()?;
        w.commit()?;
        self.checkpoint()?;
        Ok(outcome)
    }
}
