//! Snapshots: immutable descriptions of one committed state of the database.
//!
//! A snapshot says, for every page that has a version in the WAL, which frame
//! holds the version visible at that commit; every other page is read from the
//! main file. The map is split in two so that publishing a commit costs the size
//! of the recent changes, not of the whole WAL: `base` is shared by many
//! snapshots and rebuilt rarely, `delta` holds what changed since.

use std::sync::Arc;

use crate::cache::FastMap;
use crate::meta::Meta;
use crate::page::PageNo;
use crate::wal::{FrameNo, WalHeader};

/// Past this many entries the delta is folded into a new base.
const DELTA_LIMIT: usize = 256;

/// One committed state.
#[derive(Debug)]
pub(crate) struct Snapshot {
    /// The meta data (page 0) of this state.
    pub meta: Meta,
    /// The last frame of this state's commit; frames after it are invisible.
    pub commit: FrameNo,
    /// The WAL generation the frame numbers below refer to.
    pub gen: u64,
    /// That generation's header (where its frames are in the file).
    pub wal_header: WalHeader,
    base: Arc<FastMap<PageNo, FrameNo>>,
    delta: Arc<FastMap<PageNo, FrameNo>>,
}

impl Snapshot {
    /// A state whose visible WAL frames are `frames`.
    pub(crate) fn new(
        meta: Meta,
        commit: FrameNo,
        gen: u64,
        wal_header: WalHeader,
        frames: FastMap<PageNo, FrameNo>,
    ) -> Snapshot {
        Snapshot {
            meta,
            commit,
            gen,
            wal_header,
            base: Arc::new(frames),
            delta: Arc::new(FastMap::default()),
        }
    }

    /// The frame holding page `no` in this state, if the page has one.
    #[inline]
    pub(crate) fn frame_of(&self, no: PageNo) -> Option<FrameNo> {
        if !self.delta.is_empty() {
            if let Some(&f) = self.delta.get(&no) {
                return Some(f);
            }
        }
        if self.base.is_empty() {
            return None;
        }
        self.base.get(&no).copied()
    }

    /// Whether any page of this state lives in the WAL.
    pub(crate) fn has_frames(&self) -> bool {
        !self.base.is_empty() || !self.delta.is_empty()
    }

    /// The state after a commit that wrote `frames`.
    pub(crate) fn extend(
        &self,
        meta: Meta,
        commit: FrameNo,
        frames: FastMap<PageNo, FrameNo>,
    ) -> Snapshot {
        let mut delta = (*self.delta).clone();
        delta.extend(frames);
        let (base, delta) = if delta.len() > DELTA_LIMIT.max(self.base.len() / 2) {
            let mut base = (*self.base).clone();
            base.extend(delta);
            (Arc::new(base), Arc::new(FastMap::default()))
        } else {
            (self.base.clone(), Arc::new(delta))
        };
        Snapshot {
            meta,
            commit,
            gen: self.gen,
            wal_header: self.wal_header,
            base,
            delta,
        }
    }

    /// Every (page, frame) of this state, for the checkpoint.
    pub(crate) fn frames(&self) -> Vec<(PageNo, FrameNo)> {
        let mut all: FastMap<PageNo, FrameNo> = (*self.base).clone();
        all.extend(self.delta.iter().map(|(&p, &f)| (p, f)));
        all.into_iter().collect()
    }
}
