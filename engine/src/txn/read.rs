//! Read transactions: a registered snapshot of the newest commit.

use std::ops::RangeBounds;
use std::sync::Arc;

use super::{directory, range_iter, RangeIter, Tree};
use parking_lot::Mutex;

use crate::btree::node::Node;
use crate::btree::{self, PageSource, ValueGuard};
use crate::error::{Error, Result};
use crate::page::{Page, PageNo};
use crate::pager::{Pager, Snapshot};
use crate::table::{SharedKey, SharedTables};

/// A consistent, read-only view of the database as of the moment it began.
///
/// It never blocks and is never blocked; writers that commit after it began are
/// invisible to it. It is `Send` and `Sync`: threads can share one. Dropping it
/// releases the snapshot (a long-lived reader keeps the WAL from being emptied).
pub struct ReadTxn {
    pager: Arc<Pager>,
    snap: Arc<Snapshot>,
    /// The database's handle scope (`HandleScope::db`).
    scope: u64,
    /// Branch pages this transaction walked recently, direct-mapped by page
    /// number. The top of every tree is read on every lookup; keeping it here
    /// spares the shared cache (its locks and the pages' reference counts, which
    /// threads would otherwise fight over) for all but the leaf. Every page in it
    /// passed [`Node::new`], so lookups do not check it again.
    memo: Mutex<Memo>,
    /// The tables resolved by the database's committed snapshots (see `SharedTables`).
    tables: Arc<SharedTables>,
}

const MEMO: usize = 128;

/// Direct-mapped: slot `page % MEMO`.
type Memo = Box<[Option<(PageNo, Page)>; MEMO]>;

impl std::fmt::Debug for ReadTxn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadTxn")
            .field("commit", &self.snap.commit)
            .finish()
    }
}

impl ReadTxn {
    pub(crate) fn new(pager: Arc<Pager>, scope: u64, tables: Arc<SharedTables>) -> ReadTxn {
        let snap = pager.begin_read();
        ReadTxn {
            pager,
            snap,
            scope,
            memo: Mutex::new(Box::new([const { None }; MEMO])),
            tables,
        }
    }

    /// The database's shared resolved tables and the key this snapshot reads them under.
    pub(crate) fn shared_tables(&self) -> (&Arc<SharedTables>, SharedKey) {
        let meta = &self.snap.meta;
        (&self.tables, (meta.schema_cookie, meta.layout_gen))
    }

    /// The tree called `name`, if it exists.
    pub fn open_tree(&self, name: &str) -> Result<Tree> {
        directory::open(self, name)?
            .map(|root| self.handle(root))
            .ok_or_else(|| Error::TreeNotFound { name: name.into() })
    }

    /// Every tree, by name.
    pub fn list_trees(&self) -> Result<Vec<(String, Tree)>> {
        Ok(directory::list(self)?
            .into_iter()
            .map(|(name, root)| (name, self.handle(root)))
            .collect())
    }

    /// Every directory entry, its root not checked (for the integrity check).
    pub(crate) fn directory_entries(&self) -> Result<Vec<(String, btree::Root)>> {
        directory::entries(self)
    }

    fn handle(&self, root: btree::Root) -> Tree {
        Tree::new(root, self.snap.meta.layout_gen, self.scope)
    }

    /// Refuses `tree` unless it may be of this snapshot (the root check follows).
    #[inline]
    pub(crate) fn check(&self, tree: &Tree) -> Result<()> {
        tree.check(self.scope, &self.snap.meta)
    }

    /// The value stored under `key`.
    pub fn get(&self, tree: &Tree, key: &[u8]) -> Result<Option<ValueGuard>> {
        self.check(tree)?;
        let root = tree.btree_root();
        let mut memo = self.memo.lock();
        let mut no = root.page;
        for depth in 0..btree::MAX_DEPTH {
            let slot = no as usize % MEMO;
            let hit = matches!(&memo[slot], Some((n, _)) if *n == no);
            let mut fetched: Option<Page> = None;
            let page: &Page = if hit {
                &memo[slot].as_ref().expect("hit").1
            } else {
                fetched.insert(self.pager.read(&self.snap, no)?)
            };
            // The root carries the tree's identity: a dropped tree's reused page
            // is refused here (memo hits included).
            if depth == 0 {
                root.check(page)?;
            }
            let node = if hit {
                Node::accepted(page, no)
            } else {
                Node::new(page, no)?
            };
            // Long keys' chains are read past the memo, whose lock is held here.
            let chains = Unmemoized(self);
            if node.is_leaf() {
                let loc = match node.search_leaf(&chains, key)? {
                    Ok(i) => node.leaf_cell(i)?.value,
                    Err(_) => return Ok(None),
                };
                // The guard takes the reference `pager.read` handed out, not a
                // second one (the memo holds only branches: leaves come from the pager).
                let page = match fetched.take() {
                    Some(page) => page,
                    None => memo[slot].as_ref().expect("hit").1.clone(),
                };
                drop(memo);
                return Ok(Some(ValueGuard::load(self, page, loc)?));
            }
            let child = node.child(node.search_branch(&chains, key)?)?;
            if let Some(page) = fetched {
                memo[slot] = Some((no, page));
            }
            no = child;
        }
        Err(Error::corrupt(
            tree.root(),
            "tree deeper than the depth limit (cycle?)",
        ))
    }

    /// Entries with keys in `range`, in key order.
    pub fn range<K: AsRef<[u8]>, R: RangeBounds<K>>(&self, tree: &Tree, range: R) -> RangeIter<'_> {
        range_iter(self, tree, self.check(tree), range, false)
    }

    /// Entries with keys in `range`, in reverse key order.
    pub fn range_rev<K: AsRef<[u8]>, R: RangeBounds<K>>(
        &self,
        tree: &Tree,
        range: R,
    ) -> RangeIter<'_> {
        range_iter(self, tree, self.check(tree), range, true)
    }

    /// Every entry of `tree`, in key order.
    pub fn iter(&self, tree: &Tree) -> RangeIter<'_> {
        range_iter::<&[u8], _>(self, tree, self.check(tree), .., false)
    }

    /// The id of the commit this snapshot shows (it counts commits).
    pub fn txn_id(&self) -> u64 {
        self.snap.meta.txn_id
    }

    /// The schema cookie of this snapshot (bumped by every catalog change).
    pub fn schema_cookie(&self) -> u64 {
        self.snap.meta.schema_cookie
    }

    pub(crate) fn snapshot(&self) -> &Arc<Snapshot> {
        &self.snap
    }

    pub(crate) fn pager(&self) -> &Arc<Pager> {
        &self.pager
    }
}

impl PageSource for ReadTxn {
    #[inline]
    fn page(&self, no: PageNo) -> Result<Page> {
        // Cursors seek from the root every time: serve the top of the tree from the
        // memo too.
        let mut memo = self.memo.lock();
        if let Some(page) = memo_get(&memo, no) {
            return Ok(page);
        }
        let page = self.pager.read(&self.snap, no)?;
        if page.page_type() == Some(crate::page::PageType::Branch) && Node::new(&page, no).is_ok() {
            memo[no as usize % MEMO] = Some((no, page.clone()));
        }
        Ok(page)
    }

    fn page_size(&self) -> usize {
        self.pager.page_size()
    }

    #[inline]
    fn node_page(&self, no: PageNo) -> Result<Page> {
        let mut memo = self.memo.lock();
        if let Some(page) = memo_get(&memo, no) {
            return Ok(page);
        }
        let page = self.pager.read(&self.snap, no)?;
        if !Node::new(&page, no)?.is_leaf() {
            memo[no as usize % MEMO] = Some((no, page.clone()));
        }
        Ok(page)
    }
}

/// The snapshot's pages read straight from the pager, not through the memo: for
/// the overflow chains of long keys met during a lookup that holds the memo's
/// lock (overflow pages never go into the memo anyway).
struct Unmemoized<'a>(&'a ReadTxn);

impl PageSource for Unmemoized<'_> {
    fn page(&self, no: PageNo) -> Result<Page> {
        self.0.pager.read(&self.0.snap, no)
    }

    fn page_size(&self) -> usize {
        self.0.pager.page_size()
    }
}

impl Drop for ReadTxn {
    fn drop(&mut self) {
        self.pager.end_read(&self.snap);
    }
}

/// The memo's copy of page `no`, if it holds one (only branches that passed
/// [`Node::new`] are put there).
#[inline]
fn memo_get(memo: &Memo, no: PageNo) -> Option<Page> {
    match &memo[no as usize % MEMO] {
        Some((n, page)) if *n == no => Some(page.clone()),
        _ => None,
    }
}
