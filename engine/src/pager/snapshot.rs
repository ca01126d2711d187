//! Snapshots: immutable descriptions of one committed state of the database.
//!
//! A snapshot says, for every page that has a version in the WAL, which frame
//! holds the version visible at that commit; every other page is read from the
//! main file. The map is a persistent trie ([`FrameTrie`]): publishing a commit
//! copies only the paths to the pages it changed and shares everything else with
//! the snapshot before it, so its cost is proportional to the commit, not to the
//! WAL, and older snapshots keep reading their own versions.

use crate::cache::FastMap;
use crate::meta::Meta;
use crate::page::PageNo;
use crate::wal::{FrameNo, WalHeader};

use super::frame_trie::FrameTrie;

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
    /// The largest page count of this state and of every earlier state a power
    /// cut may still fall back to (commits since the last sync of the WAL, with
    /// `Durability::Normal`): pages below it may be read by recovery, so a
    /// transaction never writes them straight into the main file.
    pub fallback_page_count: PageNo,
    frames: FrameTrie,
}

impl Snapshot {
    /// A state whose visible WAL frames are `frames`: one just recovered, or
    /// one just checkpointed into the main file (`frames` empty).
    ///
    /// A state with no frames is durable (the checkpoint synced the main file
    /// before it emptied the WAL). Recovered frames may not be: a process crash
    /// leaves unsynced frames that the next open replays, and a power cut after
    /// it may still fall back to any earlier state of that WAL, whose page count
    /// is unknown here. No page is then written straight into the main file until
    /// a synced commit or a checkpoint makes the state durable.
    pub(crate) fn new(
        meta: Meta,
        commit: FrameNo,
        gen: u64,
        wal_header: WalHeader,
        frames: FastMap<PageNo, FrameNo>,
    ) -> Snapshot {
        let fallback_page_count = if frames.is_empty() {
            meta.page_count
        } else {
            PageNo::MAX
        };
        let mut trie = FrameTrie::default();
        let mut sorted: Vec<(PageNo, FrameNo)> = frames.into_iter().collect();
        sorted.sort_unstable();
        for (no, frame) in sorted {
            trie.insert(no, frame);
        }
        Snapshot {
            meta,
            commit,
            gen,
            wal_header,
            fallback_page_count,
            frames: trie,
        }
    }

    /// The frame holding page `no` in this state, if the page has one.
    #[inline]
    pub(crate) fn frame_of(&self, no: PageNo) -> Option<FrameNo> {
        self.frames.get(no)
    }

    /// Whether any page of this state lives in the WAL.
    pub(crate) fn has_frames(&self) -> bool {
        self.frames.len() != 0
    }

    /// The state after a commit that wrote `frames`; `synced` says whether the
    /// commit is durable (its WAL was synced), so that no power cut can fall back
    /// to an earlier state.
    pub(crate) fn extend(
        &self,
        meta: Meta,
        commit: FrameNo,
        frames: FastMap<PageNo, FrameNo>,
        synced: bool,
    ) -> Snapshot {
        Snapshot {
            meta,
            commit,
            gen: self.gen,
            wal_header: self.wal_header,
            fallback_page_count: if synced {
                meta.page_count
            } else {
                meta.page_count.max(self.fallback_page_count)
            },
            frames: self.extended_frames(frames).0,
        }
    }

    /// This state's page map with `frames` added, and how many trie nodes that
    /// copied (bounded by a constant times `frames.len()`).
    fn extended_frames(&self, frames: FastMap<PageNo, FrameNo>) -> (FrameTrie, usize) {
        let mut trie = self.frames.clone();
        let mut sorted: Vec<(PageNo, FrameNo)> = frames.into_iter().collect();
        // In page order, neighbouring pages share the nodes copied for the first.
        sorted.sort_unstable();
        let copied = sorted.into_iter().map(|(no, f)| trie.insert(no, f)).sum();
        (trie, copied)
    }

    /// Every (page, frame) of this state, in page order, for the checkpoint.
    pub(crate) fn frames(&self) -> Vec<(PageNo, FrameNo)> {
        self.frames.entries()
    }
}

#[cfg(test)]
mod tests;
