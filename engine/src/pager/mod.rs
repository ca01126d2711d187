//! The pager: the main file, the WAL, the page cache and the committed states.
//!
//! Invariants (numbered, as in SQLite's `pager.c`, because everything depends on
//! them):
//!
//! 1. A committed page version is never changed in place: it lives in a WAL frame
//!    (immutable until the WAL is reset) or in the main file.
//! 2. The main file is written only by the checkpoint, and only with frames no
//!    newer than the oldest live snapshot (`backfill limit`). So every snapshot
//!    that reads a page from the main file reads the version it is meant to see.
//! 3. The WAL is reset (a new generation, frames overwritten from the start) only
//!    when every committed frame is in the main file, the main file is synced, and
//!    every live snapshot is of the last commit. Readers of an older generation
//!    then read from the main file, which holds exactly their versions.
//! 4. A snapshot is registered (under `shared`) in the same critical section in
//!    which it is taken, so the checkpoint never misses a reader.
//! 5. Only the holder of the writer lock appends to the WAL or checkpoints.
//! 6. After a failed sync the in-memory state may claim more durability than the
//!    disk has; the pager is then poisoned and refuses writes until reopened.

mod checkpoint;
pub use checkpoint::{CheckpointMode, CheckpointOutcome, WalStats};
mod frame_trie;
mod open;
pub(crate) use open::wal_path;
pub(crate) mod snapshot;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use crate::cache::{CacheKey, CacheStats, FastMap, PageCache, MAIN};
use crate::error::{Error, Result};
use crate::meta::Meta;
use crate::page::{Page, PageBuf, PageNo};
use crate::vfs::VfsFile;
use crate::wal::{self, FrameNo, WalWriter};
pub(crate) use snapshot::Snapshot;

/// How hard a commit works to survive a crash.
///
/// The contract, in every mode:
///
/// - A process crash (kill -9, an abort) loses no commit that returned `Ok`:
///   its pages are in the WAL, in the operating system's cache, before `commit`
///   returns.
/// - After a power cut the database opens without error, passes the integrity
///   check and holds exactly the state of one commit (never part of one, never
///   a later commit without the earlier ones) — except with `Off`.
///
/// What a power cut may lose is the mode's choice (`tests/tests/crash.rs`
/// checks each one exactly, at every write and sync of its workloads).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Every commit is synced to disk before `commit` returns: a power cut loses
    /// no commit that returned `Ok`. (A commit cut short may or may not be
    /// there, whole.)
    #[default]
    Full,
    /// Commits are written to the WAL unsynced; the WAL is synced by every
    /// checkpoint before it copies anything: the automatic one, which runs
    /// inside the commit that brings the WAL to
    /// [`Options::autocheckpoint_frames`](crate::Options) frames, an explicit
    /// [`Database::checkpoint`](crate::Database::checkpoint), and the one at
    /// close. A power cut can lose the commits that returned after the last such
    /// sync (newest first: some, all or none of them) and no other, so at most:
    ///
    /// - the commits after the last checkpoint that returned `Ok` (a commit that
    ///   ran an automatic checkpoint is kept, unless that checkpoint failed,
    ///   which makes the database refuse writes with `NeedsRecovery`);
    /// - so fewer than `autocheckpoint_frames` WAL frames of commits, hence at
    ///   most `autocheckpoint_frames - 1` commits.
    ///
    /// There is no time bound: an idle database keeps its unsynced commits
    /// until the next checkpoint or close. The state after the cut is the state
    /// of one commit between the last synced one and the last that returned.
    ///
    /// A commit that wrote pages straight into the main file (a large one) syncs
    /// the main file before it writes its commit frame, so that a power cut never
    /// leaves a commit frame whose pages are missing.
    Normal,
    /// Nothing is ever synced. A process crash loses nothing; a power cut can
    /// lose or damage anything.
    Off,
}

/// Settings the pager runs with.
#[derive(Debug, Clone)]
pub(crate) struct PagerConfig {
    pub cache_bytes: usize,
    pub durability: Durability,
    pub busy_timeout: Duration,
    pub autocheckpoint_frames: u64,
    pub wal_keep_bytes: u64,
}

/// State shared by readers and the writer.
struct Shared {
    current: Arc<Snapshot>,
    /// Live snapshots by commit frame: how many readers hold each.
    readers: BTreeMap<FrameNo, (usize, Arc<Snapshot>)>,
}

/// State only the writer-lock holder touches.
pub(crate) struct WriterState {
    pub wal: WalWriter,
    /// Every frame up to this one is in the main file.
    pub backfilled: FrameNo,
}

pub(crate) struct Pager {
    main: Arc<dyn VfsFile>,
    wal_file: Arc<dyn VfsFile>,
    page_size: usize,
    cache: PageCache,
    shared: Mutex<Shared>,
    /// Bumped (before the new header is written) at every WAL reset.
    wal_gen: AtomicU64,
    writer: Mutex<WriterState>,
    writer_busy: Mutex<bool>,
    writer_free: Condvar,
    poisoned: AtomicBool,
    pub(crate) config: PagerConfig,
}

impl std::fmt::Debug for Pager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pager")
            .field("page_size", &self.page_size)
            .field("commit", &self.shared.lock().current.commit)
            .finish()
    }
}

impl Pager {
    pub(crate) fn page_size(&self) -> usize {
        self.page_size
    }

    pub(crate) fn cache_stats(&self) -> CacheStats {
        self.cache.stats()
    }

    /// The cache's bound in bytes.
    pub(crate) fn cache_capacity(&self) -> usize {
        self.cache.capacity()
    }

    /// Reserves `bytes` of the cache's bound for the writer's dirty pages.
    pub(crate) fn reserve_cache(&self, bytes: usize) {
        self.cache.set_reserved(bytes);
    }

    /// Takes the newest committed state and registers it as read.
    pub(crate) fn begin_read(&self) -> Arc<Snapshot> {
        let mut sh = self.shared.lock();
        let snap = sh.current.clone();
        sh.readers
            .entry(snap.commit)
            .or_insert_with(|| (0, snap.clone()))
            .0 += 1;
        snap
    }

    /// Unregisters a snapshot taken by [`Pager::begin_read`].
    pub(crate) fn end_read(&self, snap: &Snapshot) {
        let mut sh = self.shared.lock();
        if let Some(entry) = sh.readers.get_mut(&snap.commit) {
            entry.0 -= 1;
            if entry.0 == 0 {
                sh.readers.remove(&snap.commit);
            }
        }
    }

    /// The newest committed state (not registered: for the writer, which holds the
    /// writer lock and so keeps it from being checkpointed away).
    pub(crate) fn current(&self) -> Arc<Snapshot> {
        self.shared.lock().current.clone()
    }

    /// The first page a transaction on `base` may write straight into the main
    /// file: no reader of any live snapshot, and no recovery after a power cut,
    /// reads a page at or past it (see [`Snapshot::fallback_page_count`]).
    pub(crate) fn direct_floor(&self, base: &Snapshot) -> PageNo {
        self.max_live_page_count()
            .max(base.meta.page_count)
            .max(base.fallback_page_count)
    }

    /// The largest page count of the newest state and of every live snapshot:
    /// no reader reads a page at or past it. (After VACUUM an older snapshot can
    /// be longer than the newest state, and read its last pages from the main
    /// file.)
    pub(crate) fn max_live_page_count(&self) -> PageNo {
        let sh = self.shared.lock();
        sh.readers
            .values()
            .map(|(_, snap)| snap.meta.page_count)
            .fold(sh.current.meta.page_count, PageNo::max)
    }

    /// Page `no` as of `snap`.
    #[inline]
    pub(crate) fn read(&self, snap: &Snapshot, no: PageNo) -> Result<Page> {
        if no >= snap.meta.page_count {
            return Err(Error::corrupt(
                no,
                format!("page beyond the end ({} pages)", snap.meta.page_count),
            ));
        }
        match snap.frame_of(no) {
            Some(frame) => self.read_version(snap, no, frame),
            None => self.read_main(no),
        }
    }

    /// Page `no` as of `snap`, without filling the cache with it (for scans of the
    /// whole file, such as backups, that would evict the working set).
    pub(crate) fn read_uncached(&self, snap: &Snapshot, no: PageNo) -> Result<Page> {
        let key = (no, snap.frame_of(no).unwrap_or(MAIN));
        if let Some(p) = self.cache.get(key) {
            return Ok(p);
        }
        let page = self.read(snap, no)?;
        self.cache.remove(key);
        Ok(page)
    }

    fn read_main(&self, no: PageNo) -> Result<Page> {
        if let Some(p) = self.cache.get((no, MAIN)) {
            return Ok(p);
        }
        let mut buf = PageBuf::zeroed(self.page_size);
        self.read_main_into(no, &mut buf)?;
        buf.verify(no)?;
        let page = Arc::new(buf);
        self.cache.insert((no, MAIN), page.clone());
        Ok(page)
    }

    fn read_main_into(&self, no: PageNo, buf: &mut PageBuf) -> Result<()> {
        let off = u64::from(no) * self.page_size as u64;
        self.main.read_at(buf.bytes_mut(), off).map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                Error::corrupt(no, "main file is shorter than the database")
            } else {
                Error::Io {
                    op: "read page",
                    source: e,
                }
            }
        })
    }

    /// The version of page `no` held in `frame` of `snap`'s generation.
    fn read_version(&self, snap: &Snapshot, no: PageNo, frame: FrameNo) -> Result<Page> {
        self.read_version_with(snap, no, frame, true)
    }

    /// [`Pager::read_version`], caching what it reads only if `cache` is set.
    fn read_version_with(
        &self,
        snap: &Snapshot,
        no: PageNo,
        frame: FrameNo,
        cache: bool,
    ) -> Result<Page> {
        let key: CacheKey = (no, frame);
        if let Some(p) = self.cache.get(key) {
            return Ok(p);
        }
        let mut buf = PageBuf::zeroed(self.page_size);
        // After a reset (invariant 3) the frame may be overwritten, but the main
        // file then holds the same version. Check the generation after the read too.
        if snap.gen == self.wal_gen.load(Ordering::Acquire) {
            wal::read_frame_page(&*self.wal_file, &snap.wal_header, frame, &mut buf)?;
            if snap.gen != self.wal_gen.load(Ordering::Acquire) {
                self.read_main_into(no, &mut buf)?;
            }
        } else {
            self.read_main_into(no, &mut buf)?;
        }
        buf.verify(no)?;
        let page = Arc::new(buf);
        if cache {
            self.cache.insert(key, page.clone());
        }
        Ok(page)
    }

    /// A frame the writer spilled in its open transaction.
    pub(crate) fn read_spilled(&self, no: PageNo, frame: FrameNo) -> Result<Page> {
        if let Some(p) = self.cache.get((no, frame)) {
            return Ok(p);
        }
        let header = self.writer.lock().wal.header();
        let mut buf = PageBuf::zeroed(self.page_size);
        wal::read_frame_page(&*self.wal_file, &header, frame, &mut buf)?;
        buf.verify(no)?;
        let page = Arc::new(buf);
        self.cache.insert((no, frame), page.clone());
        Ok(page)
    }

    /// Waits for the writer lock, up to the busy timeout.
    pub(crate) fn lock_writer(&self) -> Result<()> {
        self.check_poison()?;
        let start = Instant::now();
        let deadline = start + self.config.busy_timeout;
        let mut busy = self.writer_busy.lock();
        while *busy {
            if self.writer_free.wait_until(&mut busy, deadline).timed_out() && *busy {
                return Err(Error::Busy {
                    waited_ms: start.elapsed().as_millis() as u64,
                });
            }
        }
        *busy = true;
        Ok(())
    }

    /// Releases the writer lock taken by [`Pager::lock_writer`].
    pub(crate) fn unlock_writer(&self) {
        *self.writer_busy.lock() = false;
        self.writer_free.notify_one();
    }

    fn check_poison(&self) -> Result<()> {
        if self.poisoned.load(Ordering::Acquire) {
            return Err(Error::NeedsRecovery);
        }
        Ok(())
    }

    fn poison(&self) {
        self.poisoned.store(true, Ordering::Release);
    }

    /// Writes pages of the open write transaction to the WAL before commit, to
    /// bound its memory. Returns the frame of the first page.
    pub(crate) fn spill(&self, pages: &mut [(PageNo, &mut PageBuf)]) -> Result<FrameNo> {
        self.check_poison()?;
        self.writer.lock().wal.append(pages, None)
    }

    /// Caches a page the writer just spilled, under its frame.
    pub(crate) fn cache_spilled(&self, no: PageNo, frame: FrameNo, page: Page) {
        self.cache.insert((no, frame), page);
    }

    /// Forgets the frames of a transaction that rolled back, and the pages it wrote
    /// past the committed end of the main file.
    pub(crate) fn rollback(&self, base: &Snapshot, spilled: bool, wrote_direct: bool) {
        self.writer.lock().wal.rollback();
        if spilled {
            self.cache.remove_versions_above(base.commit);
        }
        if wrote_direct {
            let end = base.meta.page_count;
            self.cache.remove_where(|(no, v)| v == MAIN && no >= end);
        }
    }

    /// Writes pages past the committed end straight into the main file (sealed).
    pub(crate) fn write_direct(&self, pages: &mut [(PageNo, PageBuf)]) -> Result<()> {
        self.check_poison()?;
        let ps = self.page_size;
        let mut i = 0;
        let mut run: Vec<u8> = Vec::new();
        while i < pages.len() {
            let start = pages[i].0;
            run.clear();
            let mut j = i;
            while j < pages.len() && pages[j].0 == start + (j - i) as u32 && run.len() < 4 << 20 {
                pages[j].1.seal(pages[j].0);
                run.extend_from_slice(pages[j].1.bytes());
                j += 1;
            }
            self.main
                .write_at(&run, u64::from(start) * ps as u64)
                .map_err(Error::io("write main file"))?;
            i = j;
        }
        Ok(())
    }

    /// Forgets the cached main-file versions of pages `from` and after (pages
    /// the writer wrote past the end and then gave back).
    pub(crate) fn forget_main_versions_from(&self, from: PageNo) {
        self.cache.remove_where(|(no, v)| v == MAIN && no >= from);
    }

    /// Caches a page written by [`Pager::write_direct`].
    pub(crate) fn cache_direct(&self, no: PageNo, page: Page) {
        self.cache.insert((no, MAIN), page);
    }

    /// A page past the committed end, which only the writer can see.
    pub(crate) fn read_direct(&self, no: PageNo) -> Result<Page> {
        self.read_main(no)
    }

    /// Commits a write transaction: appends its pages (`pages` ends with page 0,
    /// the commit frame), syncs as the durability mode says, publishes the new
    /// state, and checkpoints when the WAL has grown past its limit.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn commit(
        &self,
        base: &Snapshot,
        meta: Meta,
        mut direct: Vec<(PageNo, PageBuf)>,
        mut sync_main: bool,
        mut pages: Vec<(PageNo, PageBuf)>,
        mut frames: FastMap<PageNo, FrameNo>,
    ) -> Result<()> {
        self.check_poison()?;
        debug_assert_eq!(pages.last().map(|p| p.0), Some(crate::meta::HEADER_PAGE));
        // Pages past the old end go straight to the main file, and must be durable
        // before the commit frame that makes them part of the database is, in
        // every mode that promises no corruption on a power cut (`Normal` too:
        // its WAL is written, and may reach the disk, without a sync). Only a
        // transaction that wrote such pages (a large one) pays this sync.
        self.write_direct(&mut direct)?;
        sync_main |= !direct.is_empty();
        if sync_main && self.config.durability != Durability::Off {
            if let Err(e) = self.main.sync(crate::vfs::SyncKind::Data) {
                self.poison();
                return Err(Error::Io {
                    op: "sync main file",
                    source: e,
                });
            }
        }
        for (no, page) in direct {
            self.cache.insert((no, MAIN), Arc::new(page));
        }
        let mut w = self.writer.lock();
        let first = {
            let mut refs: Vec<(PageNo, &mut PageBuf)> =
                pages.iter_mut().map(|(n, p)| (*n, p)).collect();
            match w.wal.append(&mut refs, Some(meta.page_count)) {
                Ok(f) => f,
                Err(e) => {
                    // Nothing after the last commit is trusted: the frames are void.
                    w.wal.rollback();
                    return Err(e);
                }
            }
        };
        let synced = self.config.durability == Durability::Full;
        if synced {
            if let Err(e) = w.wal.sync() {
                self.poison();
                return Err(e);
            }
        }
        let commit = first + pages.len() as u64 - 1;
        for (i, (no, page)) in pages.into_iter().enumerate() {
            let frame = first + i as u64;
            frames.insert(no, frame);
            self.cache.insert((no, frame), Arc::new(page));
        }
        let snap = Arc::new(base.extend(meta, commit, frames, synced));
        self.shared.lock().current = snap;
        let in_wal = w.wal.next_frame() - w.wal.header().first_frame;
        if in_wal >= self.config.autocheckpoint_frames {
            // The commit is durable (or as durable as asked); a failing checkpoint
            // must not report it as failed. It poisons the pager instead.
            if self.checkpoint_locked(&mut w).is_err() {
                self.poison();
            }
        }
        Ok(())
    }
}
