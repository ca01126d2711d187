//! B+trees over pages: variable-length byte keys and values, ordered by `memcmp`.
//!
//! Keys go up to [`MAX_KEY_LEN`] at every page size: a key too long for a cell
//! keeps a prefix there and the rest in an overflow chain (`key.rs`), values too
//! large for a cell go to chains (`overflow.rs`).
//!
//! A tree is named by its root page, which never moves for the life of the tree
//! (a root split moves the root's content into a new child instead), so a handle
//! to a tree stays valid across transactions. The root page also carries the
//! tree's identity (its incarnation, see [`Root`]): a page freed by a dropped tree
//! and reused by another one never carries the old identity, so a handle of the
//! dropped tree is refused instead of reaching the new tree.
//!
//! The tree code reads pages through [`PageSource`] and changes them through
//! [`PageSink`]; it knows nothing of snapshots, the WAL or the cache.

mod bulk;
pub(crate) mod cursor;
mod delete;
mod insert;
pub(crate) mod key;
pub(crate) mod node;
pub(crate) mod overflow;
mod split;

pub(crate) use bulk::bulk_load;
pub(crate) use delete::remove;
pub(crate) use insert::{insert, insert_absent};

use crate::error::{Error, Result};
use crate::page::{Page, PageBuf, PageNo, PageType};
use node::{LeafCell, Node, NodeMut, ValueLoc};

pub use node::MAX_KEY_LEN;

/// Deepest tree the engine walks; deeper means a cycle in a damaged file.
pub(crate) const MAX_DEPTH: usize = 48;

/// A tree as the B+tree code addresses it: its root page and the identity that
/// page must carry.
///
/// Invariants (what makes a stale handle detectable at the root, with no extra
/// page read):
/// - A tree's root page holds its identity in the node header; every other node
///   holds 0. Splits, merges, root collapses and bulk loads keep it so
///   (`NodeMut::init` and `rebuild` keep the field; content copied into a root
///   goes through `NodeMut::take_content`).
/// - Identities are never reused within a file (a counter in page 0) nor among
///   the handles of one open database (see `txn::HandleScope`), and 0 is never a
///   tree's: a page that is not a root, or a root wiped by `drop_tree`, matches no
///   handle.
/// - Id 0 addresses a tree without a handle (the tree directory): its root is not
///   checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Root {
    pub page: PageNo,
    pub id: u64,
}

impl Root {
    /// Checks that `page`, read at `self.page`, is this tree's root: `StaleTree`
    /// otherwise (the tree was dropped and its page freed or reused, or the state
    /// read has no such tree).
    #[inline]
    pub(crate) fn check(&self, page: &PageBuf) -> Result<()> {
        if self.id != 0
            && (!matches!(
                page.page_type(),
                Some(PageType::Leaf) | Some(PageType::Branch)
            ) || node::tree_id(page) != self.id)
        {
            return Err(Error::StaleTree);
        }
        Ok(())
    }
}

/// Read access to the pages of one consistent state of the database.
pub(crate) trait PageSource {
    /// The page `no` as of this state.
    fn page(&self, no: PageNo) -> Result<Page>;
    /// The database's page size.
    fn page_size(&self) -> usize;
    /// Page `no`, which must be a B+tree node: it passed [`Node::new`]. A source
    /// that knows a page passed before may skip the check.
    fn node_page(&self, no: PageNo) -> Result<Page> {
        let page = self.page(no)?;
        Node::new(&page, no)?;
        Ok(page)
    }
}

/// Write access: the pages of a write transaction.
pub(crate) trait PageSink: PageSource {
    /// The page `no`, writable (copied into the transaction on first write).
    fn page_mut(&mut self, no: PageNo) -> Result<&mut PageBuf>;
    /// A new zeroed page (from the free list or the end of the file).
    fn allocate(&mut self) -> Result<PageNo>;
    /// Returns page `no` to the free list.
    fn free(&mut self, no: PageNo) -> Result<()>;
}

/// A value read from a tree: borrowed from its page when stored inline, owned
/// when it came from an overflow chain.
#[derive(Clone)]
pub struct ValueGuard {
    inner: GuardInner,
}

#[derive(Clone)]
enum GuardInner {
    Page {
        page: Page,
        start: usize,
        end: usize,
    },
    Owned(Vec<u8>),
}

impl ValueGuard {
    /// The value at `loc` of `page`, which the guard keeps (taken by value: the
    /// caller's reference moves in, so a lookup costs no extra count on the
    /// page's shared reference count).
    pub(crate) fn load<S: PageSource + ?Sized>(
        src: &S,
        page: Page,
        loc: ValueLoc,
    ) -> Result<ValueGuard> {
        let inner = match loc {
            ValueLoc::Inline { start, end } => GuardInner::Page { page, start, end },
            ValueLoc::Overflow { len, first } => {
                GuardInner::Owned(overflow::read(src, first, len)?)
            }
        };
        Ok(ValueGuard { inner })
    }

    /// The value's bytes.
    #[inline]
    pub fn value(&self) -> &[u8] {
        match &self.inner {
            GuardInner::Page { page, start, end } => &page.bytes()[*start..*end],
            GuardInner::Owned(v) => v,
        }
    }

    /// The value, copied out.
    pub fn to_vec(&self) -> Vec<u8> {
        self.value().to_vec()
    }
}

impl std::fmt::Debug for ValueGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("ValueGuard").field(&self.value()).finish()
    }
}

impl AsRef<[u8]> for ValueGuard {
    fn as_ref(&self) -> &[u8] {
        self.value()
    }
}

/// Creates an empty tree with identity `id` (never 0: see [`Root`]).
pub(crate) fn create<S: PageSink + ?Sized>(sink: &mut S, id: u64) -> Result<Root> {
    debug_assert_ne!(id, 0, "0 is no tree's identity");
    let page = sink.allocate()?;
    let mut m = NodeMut::new(sink.page_mut(page)?);
    m.init(PageType::Leaf);
    m.set_tree_id(id);
    Ok(Root { page, id })
}

/// Looks `key` up.
pub(crate) fn get<S: PageSource + ?Sized>(
    src: &S,
    root: Root,
    key: &[u8],
) -> Result<Option<ValueGuard>> {
    let mut no = root.page;
    for depth in 0..MAX_DEPTH {
        let page = src.page(no)?;
        if depth == 0 {
            root.check(&page)?;
        }
        let node = Node::new(&page, no)?;
        if node.is_leaf() {
            return match node.search_leaf(src, key)? {
                Ok(i) => {
                    let loc = node.leaf_cell(i)?.value;
                    Ok(Some(ValueGuard::load(src, page.clone(), loc)?))
                }
                Err(_) => Ok(None),
            };
        }
        let slot = node.search_branch(src, key)?;
        no = node.child(slot)?;
    }
    Err(Error::corrupt(
        root.page,
        "tree deeper than the depth limit (cycle?)",
    ))
}

/// Frees every page of the tree, the root included. The caller wipes the freed
/// root's identity (see `txn::directory::drop`).
pub(crate) fn drop_tree<S: PageSink + ?Sized>(sink: &mut S, root: Root) -> Result<()> {
    root.check(&*sink.page(root.page)?)?;
    clear_below(sink, root.page, 0)?;
    sink.free(root.page)
}

/// Removes every entry, keeping the root page (and its identity) as an empty leaf.
pub(crate) fn clear<S: PageSink + ?Sized>(sink: &mut S, root: Root) -> Result<()> {
    root.check(&*sink.page(root.page)?)?;
    clear_below(sink, root.page, 0)?;
    NodeMut::new(sink.page_mut(root.page)?).init(PageType::Leaf);
    Ok(())
}

fn clear_below<S: PageSink + ?Sized>(sink: &mut S, no: PageNo, depth: usize) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(Error::corrupt(
            no,
            "tree deeper than the depth limit (cycle?)",
        ));
    }
    let page = sink.page(no)?;
    let node = Node::new(&page, no)?;
    if node.is_leaf() {
        let cells: Vec<LeafCell> = (0..node.len())
            .map(|i| node.leaf_cell(i))
            .collect::<Result<_>>()?;
        for cell in cells {
            if let ValueLoc::Overflow { len, first } = cell.value {
                overflow::free(sink, first, len)?;
            }
            key::free(sink, cell.key(page.bytes()))?;
        }
        return Ok(());
    }
    let mut children: Vec<PageNo> = Vec::with_capacity(node.len() + 1);
    for i in 0..node.len() {
        let cell = node.branch_cell(i)?;
        key::free(sink, cell.key)?;
        children.push(cell.child);
    }
    children.push(node.right_child());
    drop(page);
    for child in children {
        clear_below(sink, child, depth + 1)?;
        sink.free(child)?;
    }
    Ok(())
}

/// Where a key is, or would go, in a tree: the leaf, the path of (branch, slot)
/// above it, the cell index, and the existing cell if the key is there.
pub(crate) struct LeafPosition {
    pub leaf: PageNo,
    pub path: Vec<(PageNo, usize)>,
    pub index: usize,
    pub existing: Option<LeafCell>,
}

/// Descends from `root` to the leaf for `key`.
pub(crate) fn find_leaf<S: PageSource + ?Sized>(
    src: &S,
    root: Root,
    key: &[u8],
) -> Result<LeafPosition> {
    let mut path: Vec<(PageNo, usize)> = Vec::with_capacity(8);
    let mut no = root.page;
    while path.len() < MAX_DEPTH {
        let page = src.page(no)?;
        if path.is_empty() {
            root.check(&page)?;
        }
        let node = Node::new(&page, no)?;
        if node.is_leaf() {
            let (index, existing) = match node.search_leaf(src, key)? {
                Ok(i) => (i, Some(node.leaf_cell(i)?)),
                Err(i) => (i, None),
            };
            return Ok(LeafPosition {
                leaf: no,
                path,
                index,
                existing,
            });
        }
        let slot = node.search_branch(src, key)?;
        path.push((no, slot));
        no = node.child(slot)?;
    }
    Err(Error::corrupt(
        root.page,
        "tree deeper than the depth limit (cycle?)",
    ))
}

/// Checks a key's length: at most [`MAX_KEY_LEN`] bytes at every page size
/// (`page_size` no longer matters: long keys go to overflow chains; it stays
/// so that callers need not change).
pub(crate) fn check_key(key: &[u8], _page_size: usize) -> Result<()> {
    key::check_len(key)
}

/// The shortest key `s` with `left < s <= right` (both keys of leaves, `left < right`):
/// branch keys only have to separate, so shorter keys mean wider branches.
pub(crate) fn separator(left: &[u8], right: &[u8]) -> Vec<u8> {
    let common = left.iter().zip(right).take_while(|(a, b)| a == b).count();
    right[..(common + 1).min(right.len())].to_vec()
}

#[cfg(test)]
mod long_key_tests;
#[cfg(test)]
pub(crate) mod tests;
