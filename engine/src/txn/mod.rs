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

use std::sync::atomic::{AtomicU64, Ordering};

use crate::btree::cursor::{Entry, Range};
use crate::btree::{PageSource, Root};
use crate::error::Result;
use crate::meta::Meta;
use crate::page::PageNo;

pub(crate) use pages::{free_list_pages, TxnPages};

/// A named B+tree in the database.
///
/// The handle names the tree's root page, which never moves except by VACUUM,
/// and the tree's identity, so it stays valid in later transactions for as long
/// as the tree exists. Any use of it is refused with `StaleTree` (open the tree by
/// name again) once the tree is dropped (even if another tree now lives in its
/// root page), after a VACUUM, when its creation was rolled back, in a snapshot
/// older than the tree, and on any other database, including a later open of the
/// same file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tree {
    root: Root,
    /// The layout generation the handle was opened in (VACUUM moves roots).
    gen: u64,
    /// The open database it belongs to (`HandleScope::db`).
    db: u64,
}

impl Tree {
    pub(crate) fn new(root: Root, gen: u64, db: u64) -> Tree {
        Tree { root, gen, db }
    }

    /// The tree's root page.
    pub fn root(&self) -> PageNo {
        self.root.page
    }

    /// The root and the identity it must carry, for the B+tree code.
    pub(crate) fn btree_root(&self) -> Root {
        self.root
    }

    /// Refuses a handle of another database, from before the last VACUUM, or
    /// naming a page the state does not have (a tree newer than the snapshot, or
    /// whose creation was rolled back). The rest (a dropped tree) is checked at
    /// the root page by every walk that starts there (`Root::check`).
    #[inline]
    pub(crate) fn check(&self, scope: u64, meta: &Meta) -> Result<()> {
        if self.db != scope || self.gen != meta.layout_gen || self.root.page >= meta.page_count {
            return Err(crate::error::Error::StaleTree);
        }
        Ok(())
    }
}

/// The scope of tree handles: one open database. Handles carry its id, so a
/// handle is refused by every other database (another file, a memory database,
/// a later open of the same file).
///
/// It also keeps the highest tree identity this database gave out. The counter in
/// page 0 rolls back with a transaction (or a savepoint) that created a tree, but
/// the handle of that tree may live on: issuing its identity again would let the
/// handle reach the next tree built in the same page. So identities are issued
/// above both the counter and this mark.
#[derive(Debug)]
pub(crate) struct HandleScope {
    pub db: u64,
    issued: AtomicU64,
}

impl HandleScope {
    pub(crate) fn new() -> HandleScope {
        static NEXT_DB: AtomicU64 = AtomicU64::new(1);
        HandleScope {
            db: NEXT_DB.fetch_add(1, Ordering::Relaxed),
            issued: AtomicU64::new(0),
        }
    }

    /// A tree identity never issued before in this file nor by this database;
    /// records it in `meta` (the file's counter). Only the writer calls it.
    pub(crate) fn issue(&self, meta: &mut Meta) -> Result<u64> {
        let id = meta
            .tree_counter
            .max(self.issued.load(Ordering::Relaxed))
            .checked_add(1)
            .ok_or(crate::error::Error::FeatureNotSupported(
                "more than 2^64 tree creations",
            ))?;
        self.issued.store(id, Ordering::Relaxed);
        meta.tree_counter = id;
        Ok(id)
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
    checked: Result<()>,
    range: R,
    reverse: bool,
) -> RangeIter<'t> {
    let start = owned_bound(range.start_bound());
    let end = owned_bound(range.end_bound());
    RangeIter {
        stale: checked.is_err(),
        inner: Range::new(src, tree.root, start, end, reverse),
    }
}
