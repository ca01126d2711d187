//! Deletion, with merges of underfull pages.
//!
//! After a removal, a page that holds less than a quarter of its capacity is
//! merged with a sibling when both fit in one page; the parent loses a separator
//! and is checked in turn. A root branch left with a single child absorbs that
//! child (the root never moves). Pages freed by merges go to the free list.

use super::node::{self, KeyRef, Node, NodeMut, ValueLoc};
use super::{find_leaf, key, overflow, PageSink, Root, MAX_DEPTH};
use crate::error::{Error, Result};
use crate::page::{PageNo, PageType};

/// Removes `key`. Returns true if it was present.
pub(crate) fn remove<S: PageSink + ?Sized>(sink: &mut S, root: Root, key: &[u8]) -> Result<bool> {
    let at = find_leaf(sink, root, key)?;
    let Some(cell) = at.existing else {
        return Ok(false);
    };
    let (no, pos, path, size) = (at.leaf, at.index, at.path, cell.size);
    if let ValueLoc::Overflow { len, first } = cell.value {
        overflow::free(sink, first, len)?;
    }
    if let Some((first, len)) = cell.key_chain() {
        overflow::free(sink, first, len)?;
    }
    // The leaf's new size, from the page in hand. `Node::new` checks its header
    // again: a damaged page (a fragment count that the removal pushed past the
    // content area) is `Corrupt` here, not an overflow in `used`.
    let used = {
        let page = sink.page_mut(no)?;
        NodeMut::new(page).remove(pos, size);
        Node::new(page, no)?.used()
    };
    rebalance(sink, root.page, no, used, path)?;
    Ok(true)
}

/// Merges upwards from `no`, which holds `used` bytes of cells now.
fn rebalance<S: PageSink + ?Sized>(
    sink: &mut S,
    root: PageNo,
    mut no: PageNo,
    mut used: usize,
    mut path: Vec<(PageNo, usize)>,
) -> Result<()> {
    let page_size = sink.page_size();
    let capacity = page_size - node::HEADER;
    loop {
        if no == root {
            return collapse_root(sink, root);
        }
        if used >= capacity / 4 {
            return Ok(());
        }
        let Some(&(parent, slot)) = path.last() else {
            return Err(Error::corrupt(no, "non-root page without a parent"));
        };
        let parent_page = sink.page(parent)?;
        let pnode = Node::new(&parent_page, parent)?;
        if pnode.len() == 0 {
            // A branch with one child has no sibling to merge with here; the parent
            // itself is underfull and merges one level up.
            used = pnode.used();
            drop(parent_page);
            path.pop();
            no = parent;
            continue;
        }
        // Merge the pair (left, right) separated by parent cell `sep_idx`.
        let sep_idx = if slot > 0 { slot - 1 } else { 0 };
        let sep = pnode.branch_cell(sep_idx)?;
        let (left, sep_size) = (sep.child, sep.size);
        let right = pnode.child(sep_idx + 1)?;
        match merge(sink, left, right, sep.key)? {
            Merged::No => return Ok(()),
            // The separator's chain went down with it into the merged branch.
            Merged::Branches => {}
            // Leaves take no separator: it is dropped, with its chain.
            Merged::Leaves => key::free(sink, sep.key)?,
        }
        drop(parent_page);
        used = {
            let page = sink.page_mut(parent)?;
            let mut m = NodeMut::new(page);
            m.remove(sep_idx, sep_size);
            m.set_child(sep_idx, left);
            Node::new(page, parent)?.used()
        };
        sink.free(right)?;
        path.pop();
        no = parent;
    }
}

/// What [`merge`] did.
enum Merged {
    No,
    Leaves,
    Branches,
}

/// Moves everything of `right` into `left` if it fits. `sep` is the parent's key
/// between them (it comes down into a merged branch, its chain with it).
fn merge<S: PageSink + ?Sized>(
    sink: &mut S,
    left: PageNo,
    right: PageNo,
    sep: KeyRef<'_>,
) -> Result<Merged> {
    let lpage = sink.page(left)?;
    let rpage = sink.page(right)?;
    let l = Node::new(&lpage, left)?;
    let r = Node::new(&rpage, right)?;
    if l.is_leaf() != r.is_leaf() {
        return Err(Error::corrupt(right, "siblings of different kinds"));
    }
    let capacity = sink.page_size() - node::HEADER;
    // Sizes first: most failed merges are decided without copying anything.
    let sep_size = if l.is_leaf() {
        0
    } else {
        node::branch_cell_size(sep) + 2
    };
    if l.used() + r.used() + sep_size > capacity {
        return Ok(Merged::No);
    }
    // The cells are read where they are: `lpage` and `rpage` stay alive (shared
    // pages), so writing `left` below works on its own copy.
    let leaf = l.is_leaf();
    let mut sep_cell = Vec::new();
    if !leaf {
        node::branch_cell(&mut sep_cell, l.right_child(), sep);
    }
    let mut cells: Vec<&[u8]> = Vec::with_capacity(l.len() + r.len() + 1);
    for i in 0..l.len() {
        cells.push(l.cell_bytes(i)?);
    }
    if !leaf {
        cells.push(&sep_cell);
    }
    for i in 0..r.len() {
        cells.push(r.cell_bytes(i)?);
    }
    let need: usize = cells.iter().map(|c| c.len() + 2).sum();
    if need > capacity {
        return Ok(Merged::No);
    }
    let right_child = r.right_child();
    let mut m = NodeMut::new(sink.page_mut(left)?);
    let t = if leaf {
        PageType::Leaf
    } else {
        PageType::Branch
    };
    if !leaf {
        m.set_right_child(right_child);
    }
    m.rebuild(t, cells.iter().copied());
    Ok(if leaf {
        Merged::Leaves
    } else {
        Merged::Branches
    })
}

/// While the root is a branch with a single child, pulls that child up into it.
fn collapse_root<S: PageSink + ?Sized>(sink: &mut S, root: PageNo) -> Result<()> {
    for _ in 0..MAX_DEPTH {
        let child = {
            let page = sink.page(root)?;
            let n = Node::new(&page, root)?;
            if n.is_leaf() || n.len() > 0 {
                return Ok(());
            }
            n.right_child()
        };
        let content = sink.page(child)?;
        let bytes = content.bytes().to_vec();
        drop(content);
        NodeMut::new(sink.page_mut(root)?).take_content(&bytes);
        sink.free(child)?;
    }
    Err(Error::corrupt(root, "root collapse did not terminate"))
}
