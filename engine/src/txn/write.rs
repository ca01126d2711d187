//! The write transaction: the single writer, with savepoints.

use std::any::Any;
use std::ops::RangeBounds;
use std::sync::Arc;

use super::pages::TxnPages;
use super::{directory, range_iter, HandleScope, RangeIter, Tree};
use crate::btree::{self, PageSource, ValueGuard};
use crate::error::{Error, Result};
use crate::pager::Pager;

/// A savepoint inside a [`WriteTxn`]: roll back to it, or release it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Savepoint(u32);

/// The one write transaction of a database. It sees its own changes and the
/// newest commit; nobody else sees its changes before [`WriteTxn::commit`].
/// Dropping it without committing rolls it back.
pub struct WriteTxn {
    pages: TxnPages,
    /// The database's handle scope: its id, and the tree identities it issued.
    scope: Arc<HandleScope>,
    next_savepoint: u32,
    finished: bool,
    changed: bool,
    /// A change failed halfway (I/O error, damaged page): the transaction's pages
    /// may be inconsistent, so only a rollback (or a rollback to a savepoint) is
    /// allowed.
    failed: bool,
    /// What the table layer learned about this transaction's trees (its catalog
    /// cache), kept between two of its writers. Invariant: present only while the
    /// trees are as they were when the last writer put it back: every change made
    /// through this transaction's own API, and every rollback to a savepoint, drops
    /// it (a writer takes it out while it works, so its own changes drop nothing).
    layer_memo: Option<Box<dyn Any + Send>>,
}

impl std::fmt::Debug for WriteTxn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteTxn")
            .field("base", &self.pages.base.commit)
            .finish()
    }
}

impl WriteTxn {
    /// Takes the writer lock (waiting up to the busy timeout) and begins.
    pub(crate) fn begin(pager: Arc<Pager>, scope: Arc<HandleScope>) -> Result<WriteTxn> {
        pager.lock_writer()?;
        let base = pager.current();
        Ok(WriteTxn {
            pages: TxnPages::new(pager, base),
            scope,
            next_savepoint: 1,
            finished: false,
            changed: false,
            failed: false,
            layer_memo: None,
        })
    }

    /// Creates a new, empty tree called `name`.
    pub fn create_tree(&mut self, name: &str) -> Result<Tree> {
        let scope = self.scope.clone();
        let root = self.mutate(|p| {
            let id = scope.issue(&mut p.meta)?;
            directory::create(p, name, id)
        })?;
        Ok(self.handle(root))
    }

    /// The tree called `name`, if it exists.
    pub fn open_tree(&self, name: &str) -> Result<Tree> {
        directory::open(&self.pages, name)?
            .map(|root| self.handle(root))
            .ok_or_else(|| Error::TreeNotFound { name: name.into() })
    }

    /// The tree called `name`, created if it does not exist.
    pub fn open_or_create_tree(&mut self, name: &str) -> Result<Tree> {
        match directory::open(&self.pages, name)? {
            Some(root) => Ok(self.handle(root)),
            None => self.create_tree(name),
        }
    }

    /// Drops the tree called `name` and frees its pages. Every handle of it is
    /// stale afterwards.
    pub fn drop_tree(&mut self, name: &str) -> Result<()> {
        self.mutate(|p| directory::drop(p, name))
    }

    /// Removes every entry of `tree` (its handles stay valid).
    pub fn clear_tree(&mut self, tree: &Tree) -> Result<()> {
        self.check(tree)?;
        self.mutate(|p| btree::clear(p, tree.btree_root()))
    }

    /// Every tree, by name.
    pub fn list_trees(&self) -> Result<Vec<(String, Tree)>> {
        Ok(directory::list(&self.pages)?
            .into_iter()
            .map(|(name, root)| (name, self.handle(root)))
            .collect())
    }

    fn handle(&self, root: btree::Root) -> Tree {
        Tree::new(root, self.pages.meta.layout_gen, self.scope.db)
    }

    /// Refuses `tree` unless it may be of this transaction (the root check
    /// follows, in every walk from the root).
    #[inline]
    fn check(&self, tree: &Tree) -> Result<()> {
        tree.check(self.scope.db, &self.pages.meta)
    }

    /// Stores `value` under `key`, replacing any earlier value. Returns whether a
    /// value was replaced.
    pub fn insert(&mut self, tree: &Tree, key: &[u8], value: &[u8]) -> Result<bool> {
        self.check(tree)?;
        self.mutate(|p| btree::insert(p, tree.btree_root(), key, value))
    }

    /// Stores `value` under `key` unless `key` is present, in one descent (a probe
    /// and an insert would descend twice). Returns whether it stored; when the key
    /// was present nothing changed.
    pub fn insert_new(&mut self, tree: &Tree, key: &[u8], value: &[u8]) -> Result<bool> {
        self.check(tree)?;
        let changed = self.changed;
        let stored = self.mutate(|p| btree::insert_absent(p, tree.btree_root(), key, value))?;
        // A refused key changed nothing (the descent only reads).
        self.changed = changed || stored;
        Ok(stored)
    }

    /// Fills the empty `tree` from `entries` in strictly ascending key order,
    /// building full pages bottom-up (much faster and denser than inserting one
    /// by one). Returns how many entries were loaded.
    pub fn bulk_load<I, K, V>(&mut self, tree: &Tree, entries: I) -> Result<u64>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<[u8]>,
        V: AsRef<[u8]>,
    {
        self.check(tree)?;
        let sp = self.savepoint()?;
        match self.mutate(|p| btree::bulk_load(p, tree.btree_root(), entries)) {
            Ok(n) => {
                self.release(sp)?;
                Ok(n)
            }
            Err(e) => {
                // Out-of-order input is found midway: undo the partial load.
                self.rollback_to(sp)?;
                self.release(sp)?;
                Err(e)
            }
        }
    }

    /// Removes `key`. Returns whether it was present.
    pub fn remove(&mut self, tree: &Tree, key: &[u8]) -> Result<bool> {
        self.check(tree)?;
        self.mutate(|p| btree::remove(p, tree.btree_root(), key))
    }

    /// Runs a change; an error that may have left it half done fails the transaction.
    fn mutate<T>(&mut self, f: impl FnOnce(&mut TxnPages) -> Result<T>) -> Result<T> {
        if self.failed {
            return Err(Error::TransactionFailed);
        }
        self.changed = true;
        self.layer_memo = None;
        let result = f(&mut self.pages);
        if let Err(e) = &result {
            if e.may_leave_partial_change() {
                self.failed = true;
            }
        }
        result
    }

    /// The value stored under `key`, as this transaction sees it.
    pub fn get(&self, tree: &Tree, key: &[u8]) -> Result<Option<ValueGuard>> {
        self.check(tree)?;
        btree::get(&self.pages, tree.btree_root(), key)
    }

    /// Entries with keys in `range`, in key order.
    pub fn range<K: AsRef<[u8]>, R: RangeBounds<K>>(&self, tree: &Tree, range: R) -> RangeIter<'_> {
        range_iter(&self.pages, tree, self.check(tree), range, false)
    }

    /// Entries with keys in `range`, in reverse key order.
    pub fn range_rev<K: AsRef<[u8]>, R: RangeBounds<K>>(
        &self,
        tree: &Tree,
        range: R,
    ) -> RangeIter<'_> {
        range_iter(&self.pages, tree, self.check(tree), range, true)
    }

    /// Every entry of `tree`, in key order.
    pub fn iter(&self, tree: &Tree) -> RangeIter<'_> {
        range_iter::<&[u8], _>(&self.pages, tree, self.check(tree), .., false)
    }

    /// Opens a savepoint. Savepoints nest.
    pub fn savepoint(&mut self) -> Result<Savepoint> {
        if self.failed {
            return Err(Error::TransactionFailed);
        }
        let id = self.next_savepoint;
        self.next_savepoint += 1;
        self.pages.savepoint(id);
        Ok(Savepoint(id))
    }

    /// Undoes every change made since `sp`; `sp` stays open, savepoints opened
    /// after it are gone.
    pub fn rollback_to(&mut self, sp: Savepoint) -> Result<()> {
        self.layer_memo = None;
        self.pages.rollback_to(sp.0)?;
        self.failed = false;
        Ok(())
    }

    /// Closes `sp` (and those opened after it), keeping the changes.
    pub fn release(&mut self, sp: Savepoint) -> Result<()> {
        self.pages.release(sp.0)
    }

    /// Makes the changes durable (as the durability mode says) and visible.
    pub fn commit(mut self) -> Result<()> {
        if self.failed {
            self.abort();
            return Err(Error::TransactionFailed);
        }
        self.finished = true;
        if !self.changed {
            self.pages.pager.unlock_writer();
            return Ok(());
        }
        let spilled = self.pages.has_spilled();
        let result = self.commit_inner();
        self.pages.release_reservation();
        if result.is_err() {
            self.pages
                .pager
                .rollback(&self.pages.base, spilled, self.pages.wrote_direct);
        }
        self.pages.pager.unlock_writer();
        result
    }

    fn commit_inner(&mut self) -> Result<()> {
        self.pages.meta.txn_id += 1;
        let (direct, pages) = self.pages.take_for_commit()?;
        // The pages move into the cache as committed versions: no longer reserved.
        self.pages.release_reservation();
        let frames = std::mem::take(&mut self.pages.spilled);
        let pager = self.pages.pager.clone();
        let sync_main = self.pages.wrote_direct;
        pager.commit(
            &self.pages.base,
            self.pages.meta,
            direct,
            sync_main,
            pages,
            frames,
        )
    }

    /// Discards every change.
    pub fn rollback(mut self) {
        self.abort();
    }

    fn abort(&mut self) {
        if self.finished {
            return;
        }
        self.finished = true;
        let spilled = self.pages.has_spilled();
        self.pages.release_reservation();
        self.pages
            .pager
            .rollback(&self.pages.base, spilled, self.pages.wrote_direct);
        self.pages.pager.unlock_writer();
    }

    /// Compacts the database (see [`Database::vacuum`](crate::Database::vacuum)).
    /// Every [`Tree`] handle from before is stale afterwards.
    pub fn vacuum(&mut self) -> Result<crate::vacuum::VacuumOutcome> {
        self.mutate(crate::vacuum::vacuum)
    }

    /// The page size of the database.
    pub fn page_size(&self) -> usize {
        self.pages.page_size()
    }

    /// The schema cookie as this transaction sees it: bumped by every catalog change, so a
    /// cache of the catalog is valid while the cookie is unchanged.
    pub fn schema_cookie(&self) -> u64 {
        self.pages.meta.schema_cookie
    }

    /// Records a catalog change (the table layer calls it on every DDL). A rollback (to a
    /// savepoint) restores the old cookie with the rest of the meta data.
    pub(crate) fn bump_schema_cookie(&mut self) {
        self.layer_memo = None;
        self.pages.meta.schema_cookie = self.pages.meta.schema_cookie.wrapping_add(1);
    }

    /// Takes the table layer's memo (see `layer_memo`), if the trees have not
    /// changed since it was put back.
    pub(crate) fn take_layer_memo(&mut self) -> Option<Box<dyn Any + Send>> {
        self.layer_memo.take()
    }

    /// Keeps the table layer's memo until the next change through this transaction.
    pub(crate) fn keep_layer_memo(&mut self, memo: Box<dyn Any + Send>) {
        self.layer_memo = Some(memo);
    }

    /// The transaction's pages, for read-only walks (the table layer counts a tree's pages).
    pub(crate) fn page_source(&self) -> &dyn PageSource {
        &self.pages
    }

    /// The transaction's pages, writable: tests damage pages through it.
    #[cfg(test)]
    pub(crate) fn pages_mut(&mut self) -> &mut TxnPages {
        self.changed = true;
        self.layer_memo = None;
        &mut self.pages
    }
}

impl Drop for WriteTxn {
    fn drop(&mut self) {
        self.abort();
    }
}
