//! Transactions: [`ReadTxn`] (a snapshot, any number at once, on any thread) and
//! [`WriteTxn`] (one at a time, with savepoints), and [`Tree`], the handle of a
//! named B+tree.

mod directory;
mod pages;
mod read;
mod write;

pub use read::ReadTxn;
pub use write::{Savepoint, WriteTxn};

use std::ops::{Bound, RangeBounds};

use crate::btree::cursor::{Entry, Range};
use crate::btree::PageSource;
use crate::error::Result;
use crate::page::PageNo;

pub(crate) use pages::{free_list_pages, TxnPages};

/// A named B+tree in the database. The handle is its root page, which never
/// moves except by VACUUM, so it stays valid in later transactions until the tree
/// is dropped or the database vacuumed (then it is refused with `StaleTree`:
/// open the tree by name again).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tree {
    root: PageNo,
    gen: u64,
}

impl Tree {
    pub(crate) fn new(root: PageNo, gen: u64) -> Tree {
        Tree { root, gen }
    }

    /// The tree's root page.
    pub fn root(&self) -> PageNo {
        self.root
    }

    /// Refuses a handle from before the last VACUUM.
    #[inline]
    pub(crate) fn check(&self, layout_gen: u64) -> Result<()> {
        if self.gen != layout_gen {
            return Err(crate::error::Error::StaleTree);
        }
        Ok(())
    }
}

/// Entries of a key range, in key order or reversed.
pub struct RangeIter<'t> {
    inner: Range<'t, dyn PageSource + 't>,
    /// The tree handle was stale: yield that error once, then end.
    stale: bool,
}

impl Iterator for RangeIter<'_> {
    type Item = Result<Entry>;

    #[inline]
    fn next(&mut self) -> Option<Result<Entry>> {
        if self.stale {
            self.stale = false;
            self.inner.finish();
            return Some(Err(crate::error::Error::StaleTree));
        }
        self.inner.next()
    }
}

fn owned_bound<K: AsRef<[u8]>>(b: Bound<&K>) -> Bound<Vec<u8>> {
    match b {
        Bound::Included(k) => Bound::Included(k.as_ref().to_vec()),
        Bound::Excluded(k) => Bound::Excluded(k.as_ref().to_vec()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

pub(crate) fn range_iter<'t, K: AsRef<[u8]>, R: RangeBounds<K>>(
    src: &'t (dyn PageSource + 't),
    tree: &Tree,
    layout_gen: u64,
    range: R,
    reverse: bool,
) -> RangeIter<'t> {
    let start = owned_bound(range.start_bound());
    let end = owned_bound(range.end_bound());
    RangeIter {
        stale: tree.check(layout_gen).is_err(),
        inner: Range::new(src, tree.root, start, end, reverse),
    }
}
