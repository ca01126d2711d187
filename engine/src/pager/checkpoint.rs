//! The checkpoint: copies committed WAL frames into the main file and, when it
//! can, starts a new WAL generation (invariants 2 and 3 of the pager).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::{Durability, Pager, Snapshot, WriterState};
use crate::cache::MAIN;
use crate::error::{Error, Result};
use crate::vfs::SyncKind;

/// What a checkpoint achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckpointOutcome {
    /// Pages copied into the main file.
    pub pages_written: usize,
    /// Whether the WAL was emptied (false when an old reader kept it alive).
    pub wal_reset: bool,
}

impl Pager {
    /// Checkpoints as far as live readers allow. Takes the writer lock.
    pub(crate) fn checkpoint(&self) -> Result<CheckpointOutcome> {
        self.lock_writer()?;
        let res = {
            let mut w = self.writer.lock();
            self.checkpoint_locked(&mut w)
        };
        if res.is_err() {
            self.poison();
        }
        self.unlock_writer();
        res
    }

    /// Checkpoints with the writer lock held and no transaction open.
    pub(crate) fn checkpoint_locked(&self, w: &mut WriterState) -> Result<CheckpointOutcome> {
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
        if target.commit == current.commit && w.backfilled >= current.commit && current.has_frames()
        {
            // Invariant 3: bump the generation before the new header can be written.
            self.wal_gen.fetch_add(1, Ordering::AcqRel);
            w.wal.reset(self.config.wal_keep_bytes)?;
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
