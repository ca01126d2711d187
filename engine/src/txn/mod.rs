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

pub(crate) use pages::free_list_pages;

/// A named B+tree in the database. The handle is its root page, which never
/// moves, so it stays valid in later transactions until the tree is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tree {
    root: PageNo,
}

impl Tree {
    pub(crate) fn new(root: PageNo) -> Tree {
        Tree { root }
    }

    /// The tree's root page (stable for the tree's life; catalogs store it).
    pub fn root(&self) -> PageNo {
        self.root
    }

    /// A handle for a tree whose root page is known (e.g. read from a catalog).
    pub fn from_root(root: PageNo) -> Tree {
        Tree { root }
    }
}

/// Entries of a key range, in key order or reversed.
pub struct RangeIter<'t> {
    inner: Range<'t, dyn PageSource + 't>,
}

impl Iterator for RangeIter<'_> {
    type Item = Result<Entry>;

    #[inline]
    fn next(&mut self) -> Option<Result<Entry>> {
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
    range: R,
    reverse: bool,
) -> RangeIter<'t> {
    let start = owned_bound(range.start_bound());
    let end = owned_bound(range.end_bound());
    RangeIter {
        inner: Range::new(src, tree.root, start, end, reverse),
    }
}
