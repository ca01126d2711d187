//! A persistent radix trie from page numbers to WAL frames: the page map of a
//! [`Snapshot`](super::Snapshot).
//!
//! Why this structure. Publishing a commit must cost what the commit changed, not
//! what the WAL holds (the WAL can hold a hundred thousand small commits between
//! checkpoints), and every page read of every reader asks the map first while the
//! WAL holds frames, so a lookup must stay a few memory loads with no lock. The
//! candidates were:
//!
//! - a hash map copied per commit (what this replaced): lookups are one probe, but
//!   a publish copies entries in proportion to the WAL;
//! - SQLite's wal-index (one append-only page → frames index per WAL generation,
//!   each reader taking the newest frame at or below its commit): a publish is an
//!   append, but the index is shared and mutable, so readers need atomics on every
//!   probe, and a page absent from the WAL (most reads) probes every segment;
//! - levels of geometric sizes (as an LSM tree): cheap publishes on average, but
//!   a lookup probes every level and some commits pay a large merge;
//! - this trie with path copying: a publish copies at most `height` nodes per
//!   changed page (a constant: page numbers have 32 bits) and shares the rest
//!   with the previous snapshot, so older snapshots keep reading their own
//!   versions for free; a lookup is `height` dependent loads (3 or 4 for
//!   databases of up to 4 GiB and 64 GiB of 4 KiB pages), with no lock, no
//!   hashing, and an early `None` for a page past the trie's range or under an
//!   empty branch. Neighbouring pages share a leaf, so a scan's lookups stay in
//!   cache.
//!
//! Invariants:
//! - A node reachable from a published snapshot is never changed: an insert
//!   copies every node on its path that another trie shares (`Arc::make_mut`).
//! - The trie covers page numbers below `64^height`; its root is a leaf when
//!   `height == 1`. Frame 0 means "no frame" (frames are numbered from 1).
//! - `len` is the number of pages with a frame.

use std::sync::Arc;

use crate::page::PageNo;
use crate::wal::FrameNo;

/// Bits of the page number each level consumes.
const BITS: u32 = 6;
const FANOUT: usize = 1 << BITS;
const MASK: u64 = FANOUT as u64 - 1;

/// A node holds its slots inline, so that each level of a lookup is one load
/// through one pointer.
#[derive(Clone)]
enum Node {
    Inner([Option<Arc<Node>>; FANOUT]),
    Leaf([FrameNo; FANOUT]),
}

impl Node {
    fn leaf() -> Node {
        Node::Leaf([0; FANOUT])
    }

    fn inner() -> Node {
        Node::Inner(std::array::from_fn(|_| None))
    }
}

/// Page → frame, immutable once shared; cloning is O(1).
#[derive(Clone, Default)]
pub(crate) struct FrameTrie {
    root: Option<Arc<Node>>,
    height: u32,
    len: usize,
}

impl std::fmt::Debug for FrameTrie {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FrameTrie")
            .field("len", &self.len)
            .field("height", &self.height)
            .finish()
    }
}

impl FrameTrie {
    /// The frame of page `no`, if it has one.
    #[inline]
    pub(crate) fn get(&self, no: PageNo) -> Option<FrameNo> {
        let mut node = self.root.as_deref()?;
        let no = u64::from(no);
        if no >> (BITS * self.height) != 0 {
            return None;
        }
        let mut shift = BITS * (self.height - 1);
        loop {
            let i = ((no >> shift) & MASK) as usize;
            match node {
                Node::Inner(children) => {
                    node = children[i].as_deref()?;
                    shift -= BITS;
                }
                Node::Leaf(frames) => {
                    let f = frames[i];
                    return (f != 0).then_some(f);
                }
            }
        }
    }

    /// Pages with a frame.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Maps page `no` to `frame` (not 0). Returns how many nodes it copied
    /// because another trie shared them: at most the height, whatever the size.
    pub(crate) fn insert(&mut self, no: PageNo, frame: FrameNo) -> usize {
        debug_assert_ne!(frame, 0, "frame 0 means no frame");
        let no = u64::from(no);
        if self.root.is_none() {
            self.root = Some(Arc::new(Node::leaf()));
            self.height = 1;
        }
        while no >> (BITS * self.height) != 0 {
            let mut up = Node::inner();
            if let Node::Inner(children) = &mut up {
                children[0] = self.root.take();
            }
            self.root = Some(Arc::new(up));
            self.height += 1;
        }
        let mut copied = 0;
        let mut slot = self.root.as_mut().expect("made above");
        let mut shift = BITS * (self.height - 1);
        let added = loop {
            if Arc::strong_count(slot) > 1 {
                copied += 1;
            }
            let i = ((no >> shift) & MASK) as usize;
            match Arc::make_mut(slot) {
                Node::Inner(children) => {
                    let below = shift - BITS;
                    slot = children[i].get_or_insert_with(|| {
                        Arc::new(if below == 0 {
                            Node::leaf()
                        } else {
                            Node::inner()
                        })
                    });
                    shift = below;
                }
                Node::Leaf(frames) => {
                    let added = frames[i] == 0;
                    frames[i] = frame;
                    break added;
                }
            }
        };
        self.len += usize::from(added);
        copied
    }

    /// Every (page, frame), in page order.
    pub(crate) fn entries(&self) -> Vec<(PageNo, FrameNo)> {
        let mut out = Vec::with_capacity(self.len);
        if let Some(root) = &self.root {
            collect(root, 0, &mut out);
        }
        out
    }
}

fn collect(node: &Node, prefix: u64, out: &mut Vec<(PageNo, FrameNo)>) {
    match node {
        Node::Inner(children) => {
            for (i, child) in children.iter().enumerate() {
                if let Some(c) = child {
                    collect(c, (prefix << BITS) | i as u64, out);
                }
            }
        }
        Node::Leaf(frames) => {
            for (i, &f) in frames.iter().enumerate() {
                if f != 0 {
                    // The trie holds only u32 page numbers.
                    out.push((((prefix << BITS) | i as u64) as PageNo, f));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_to_cover_any_page_number() {
        let mut t = FrameTrie::default();
        assert_eq!(t.get(0), None);
        t.insert(5, 1);
        assert_eq!(t.height, 1);
        t.insert(64, 2);
        assert_eq!(t.height, 2);
        t.insert(u32::MAX, 3);
        assert_eq!(t.height, 6);
        assert_eq!(t.get(5), Some(1));
        assert_eq!(t.get(64), Some(2));
        assert_eq!(t.get(u32::MAX), Some(3));
        assert_eq!(t.get(u32::MAX - 1), None);
        assert_eq!(t.get(6), None);
        t.insert(5, 9);
        assert_eq!(t.len(), 3);
        assert_eq!(t.entries(), vec![(5, 9), (64, 2), (u32::MAX, 3)]);
    }

    /// The cost of publishing: an insert into a trie shared with older snapshots
    /// copies at most `height` nodes, however many pages the trie maps, and the
    /// older snapshots keep their versions.
    #[test]
    fn an_insert_copies_at_most_its_path() {
        let mut t = FrameTrie::default();
        let mut frame = 0;
        for no in 0..200_000u32 {
            frame += 1;
            t.insert(no * 7 % 1_000_003, frame);
        }
        let height = t.height as usize;
        assert_eq!(height, 4);
        let old = t.clone();
        let mut total = 0;
        let mut worst = 0;
        for i in 0..1000u32 {
            let mut next = t.clone();
            let keep = t;
            frame += 1;
            let copied = next.insert(i * 997 % 1_000_003, frame);
            worst = worst.max(copied);
            total += copied;
            assert_eq!(keep.get(i * 997 % 1_000_003), old.get(i * 997 % 1_000_003));
            t = next;
        }
        assert!(worst <= height, "one insert copied {worst} nodes");
        assert_eq!(
            total,
            1000 * height,
            "every insert into a shared trie copies its path"
        );
        // The path just copied belongs to `t` alone: changing it again copies nothing.
        // The last page of the loop above (999 · 997 is below the modulus).
        let last = 999 * 997;
        let was = old.get(last);
        assert_eq!(t.insert(last, frame + 1), 0);
        assert_eq!(t.get(last), Some(frame + 1));
        assert_eq!(old.get(last), was);
    }
}
