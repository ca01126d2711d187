//! The checkpoint: copies committed WAL frames into the main file and, when it
//! can, starts a new WAL generation (invariants 2 and 3 of the pager).
//!
//! Policy with long readers (the WAL is a log: a reader's snapshot pins every
//! frame committed after it, as in SQLite):
//! - The automatic checkpoint (after a commit that leaves at least
//!   `autocheckpoint_frames` frames in the WAL) is passive: it copies the frames up
//!   to the oldest live snapshot, never waits for a reader and never blocks one.
//!   While a reader holds an older snapshot the WAL cannot be reset, so it grows
//!   by every commit; each later commit retries (cheaply: nothing new to copy while
//!   that snapshot lives).
//! - Once the last old reader ends, the next automatic (or explicit) checkpoint
//!   copies everything, resets the WAL and cuts its file to `wal_keep_bytes`.
//! - [`CheckpointMode::Restart`] waits a bounded time for the old readers to end
//!   (holding the writer lock meanwhile, so the WAL stops growing and new readers
//!   start on the newest commit, which does not pin the WAL) and then resets;
//!   [`CheckpointMode::Truncate`] also cuts the file to its header.
//!   [`WalStats`] shows the WAL's size and how far behind the oldest reader is.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Durability, Pager, Snapshot, WriterState};
use crate::cache::MAIN;
use crate::error::{Error, Result};
use crate::vfs::SyncKind;
use crate::wal::{FRAME_HEADER_SIZE, HEADER_SIZE};

/// What a checkpoint achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckpointOutcome {
    /// Pages copied into the main file.
    pub pages_written: usize,
    /// Whether the WAL was emptied (false when an old reader kept it alive).
    pub wal_reset: bool,
    /// Frames still in the WAL afterwards (0 after a reset). They stay because a
    /// reader of an older snapshot still needs the main file as it was; all of
    /// them up to that snapshot are copied already.
    pub frames_left: u64,
}

/// How far a checkpoint goes, after SQLite's checkpoint modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CheckpointMode {
    /// Copy what live readers allow, reset the WAL if none holds an older
    /// snapshot; never wait ([`Database::checkpoint`](crate::Database::checkpoint),
    /// and the automatic checkpoint). SQLite's PASSIVE.
    Passive,
    /// Wait up to `wait` for every reader of an older snapshot to end, then copy
    /// everything and reset the WAL, cutting its file to `wal_keep_bytes`. Writers
    /// wait meanwhile (the checkpoint holds the writer lock; a `begin_write` whose
    /// busy timeout is shorter than `wait` may get `Busy`). If a reader outlives
    /// the wait, the outcome says `wal_reset: false`; it is not an error. SQLite's
    /// RESTART with a busy handler.
    Restart {
        /// The longest time to wait for old readers.
        wait: Duration,
    },
    /// As `Restart`, and the WAL file is cut to its header (no frame left in the
    /// file), even if the WAL was empty already. SQLite's TRUNCATE.
    Truncate {
        /// The longest time to wait for old readers.
        wait: Duration,
    },
}

/// The size of the WAL now, and what keeps it from being emptied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WalStats {
    /// Committed frames in the WAL (the current generation).
    pub frames: u64,
    /// Bytes those frames and the WAL header take.
    pub frame_bytes: u64,
    /// The length of the WAL file (at least `frame_bytes`: a reset keeps up to
    /// `wal_keep_bytes` of file to write into).
    pub file_bytes: u64,
    /// Read transactions open now.
    pub readers: usize,
    /// How many frames the oldest open snapshot is behind the newest commit: while
    /// it is above 0, no checkpoint can reset the WAL.
    pub oldest_reader_lag: u64,
}

impl Pager {
    /// Checkpoints as far as live readers allow. Takes the writer lock.
    pub(crate) fn checkpoint(&self) -> Result<CheckpointOutcome> {
        self.checkpoint_with(CheckpointMode::Passive)
    }

    /// Checkpoints in `mode`. Takes the writer lock.
    pub(crate) fn checkpoint_with(&self, mode: CheckpointMode) -> Result<CheckpointOutcome> {
        self.lock_writer()?;
        let (wait, keep, reset_empty) = match mode {
            CheckpointMode::Passive => (None, self.config.wal_keep_bytes, false),
            CheckpointMode::Restart { wait } => (Some(wait), self.config.wal_keep_bytes, false),
            CheckpointMode::Truncate { wait } => (Some(wait), 0, true),
        };
        if let Some(wait) = wait {
            self.wait_for_old_readers(wait);
        }
        let res = {
            let mut w = self.writer.lock();
            self.checkpoint_keeping(&mut w, keep, reset_empty)
        };
        if res.is_err() {
            self.poison();
        }
        self.unlock_writer();
        res
    }

    /// Waits until no reader holds a snapshot older than the newest commit, or
    /// `wait` has passed; returns whether they are gone. The caller holds the
    /// writer lock, so the newest commit does not move. Readers end on their own
    /// threads without telling anyone: poll, backing off from 0.1 ms to 10 ms (as
    /// SQLite's busy handler sleeps).
    fn wait_for_old_readers(&self, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        let mut nap = Duration::from_micros(100);
        loop {
            if self.oldest_reader_lag() == 0 {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            std::thread::sleep(nap.min(deadline - now));
            nap = (nap * 2).min(Duration::from_millis(10));
        }
    }

    /// Frames between the oldest live snapshot and the newest commit.
    fn oldest_reader_lag(&self) -> u64 {
        let sh = self.shared.lock();
        match sh.readers.keys().next() {
            Some(&commit) => sh.current.commit.saturating_sub(commit),
            None => 0,
        }
    }

    /// The WAL's size and what pins it. Does not wait for the writer.
    pub(crate) fn wal_stats(&self) -> Result<WalStats> {
        let (current, readers, lag) = {
            let sh = self.shared.lock();
            let current = sh.current.clone();
            let readers = sh.readers.values().map(|(n, _)| n).sum();
            let lag = match sh.readers.keys().next() {
                Some(&commit) => current.commit.saturating_sub(commit),
                None => 0,
            };
            (current, readers, lag)
        };
        let frames = (current.commit + 1).saturating_sub(current.wal_header.first_frame);
        let frame_size = (FRAME_HEADER_SIZE + self.page_size) as u64;
        Ok(WalStats {
            frames,
            frame_bytes: HEADER_SIZE + frames * frame_size,
            file_bytes: self.wal_file.size().map_err(Error::io("size wal"))?,
            readers,
            oldest_reader_lag: lag,
        })
    }

    /// Checkpoints with the writer lock held and no transaction open (the
    /// automatic checkpoint: passive, the file cut to `wal_keep_bytes`).
    pub(crate) fn checkpoint_locked(&self, w: &mut WriterState) -> Result<CheckpointOutcome> {
        self.checkpoint_keeping(w, self.config.wal_keep_bytes, false)
    }

    /// Checkpoints as far as live readers allow; a reset cuts the WAL file to
    /// `keep_bytes`; with `reset_empty`, an empty WAL is reset too (to cut it).
    fn checkpoint_keeping(
        &self,
        w: &mut WriterState,
        keep_bytes: u64,
        reset_empty: bool,
    ) -> Result<CheckpointOutcome> {
        let (target, current) = {
            let sh = self.shared.lock();
            let current = sh.current.clone();
            let target = match sh.readers.iter().next() {
                Some((&commit, (_, snap))) if commit < current.commit => snap.clone(),
                _ => current.clone(),
            };
            (target, current)
        };
        let mut outcome = CheckpointOutcome {
            pages_written: 0,
            wal_reset: false,
            frames_left: 0,
        };
        let syncing = self.config.durability != Durability::Off;
        // With Normal durability commits become durable here: sync the WAL even
        // when old readers keep the checkpoint from copying anything (the branch
        // below syncs it before it copies).
        let will_copy = target.gen == current.gen && target.commit > w.backfilled;
        if self.config.durability == Durability::Normal
            && !will_copy
            && current.commit > w.backfilled
        {
            w.wal.sync()?;
        }
        if target.gen == current.gen && target.commit > w.backfilled {
            if syncing {
                w.wal.sync()?;
            }
            // Keep every page a live snapshot may read from the main file: after
            // VACUUM a newer reader can be longer than the target, with pages
            // that were written straight into the main file.
            outcome.pages_written =
                self.backfill(&target, w.backfilled, self.max_live_page_count())?;
            if syncing {
                self.main
                    .sync(SyncKind::Data)
                    .map_err(Error::io("sync main file"))?;
            }
            w.backfilled = target.commit;
        }
        if target.commit == current.commit
            && w.backfilled >= current.commit
            && (current.has_frames() || reset_empty)
        {
            // Invariant 3: bump the generation before the new header can be written.
            self.wal_gen.fetch_add(1, Ordering::AcqRel);
            w.wal.reset(keep_bytes)?;
            // Cached frame versions become main-file versions: keep the newest of
            // each page under MAIN, drop the rest.
            for (no, frame) in current.frames() {
                self.cache.rekey((no, frame), (no, MAIN));
            }
            let last = current.commit;
            self.cache.remove_versions_where(|v| v != MAIN && v <= last);
            let fresh = Snapshot::new(
                current.meta,
                current.commit,
                self.wal_gen.load(Ordering::Acquire),
                w.wal.header(),
                Default::default(),
            );
            self.shared.lock().current = Arc::new(fresh);
            outcome.wal_reset = true;
        }
        outcome.frames_left = w.wal.next_frame() - w.wal.header().first_frame;
        Ok(outcome)
    }

    /// Writes every frame of `snap` newer than `after` into the main file and sets
    /// its length to the snapshot's page count.
    fn backfill(&self, snap: &Snapshot, after: u64, keep_pages: u32) -> Result<usize> {
        let mut frames: Vec<(u32, u64)> = snap
            .frames()
            .into_iter()
            .filter(|&(no, f)| f > after && no < snap.meta.page_count)
            .collect();
        frames.sort_unstable();
        let ps = self.page_size as u64;
        // Contiguous pages go out in one write.
        let mut run: Vec<u8> = Vec::new();
        let mut run_start = 0u32;
        let mut run_pages = Vec::new();
        let flush = |run: &mut Vec<u8>,
                     start: u32,
                     pages: &mut Vec<(u32, crate::page::Page)>|
         -> Result<()> {
            if run.is_empty() {
                return Ok(());
            }
            self.main
                .write_at(run, u64::from(start) * ps)
                .map_err(Error::io("write main file"))?;
            // A cached main-file version of these pages is stale now. No live
            // snapshot reads it (they all have the page's frame); after the WAL
            // reset the frame versions are moved here.
            for (no, _) in pages.drain(..) {
                self.cache.remove((no, MAIN));
            }
            run.clear();
            Ok(())
        };
        for &(no, frame) in &frames {
            let page = self.read_version_with(snap, no, frame, false)?;
            if run.is_empty() || no != run_start + run_pages.len() as u32 || run.len() >= 1 << 20 {
                flush(&mut run, run_start, &mut run_pages)?;
                run_start = no;
            }
            run.extend_from_slice(page.bytes());
            run_pages.push((no, page));
        }
        flush(&mut run, run_start, &mut run_pages)?;
        // Never cut pages a newer commit wrote straight into the main file.
        let want = u64::from(snap.meta.page_count.max(keep_pages)) * ps;
        let have = self.main.size().map_err(Error::io("size main file"))?;
        if have > want {
            self.main
                .set_len(want)
                .map_err(Error::io("resize main file"))?;
        }
        Ok(frames.len())
    }
}
