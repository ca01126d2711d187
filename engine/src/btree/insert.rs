//! Insertion, with leaf and branch splits.
//!
//! A split keeps the lower half in the page that split and moves the upper half
//! to a new page; the parent gets a separator. When the leaf that splits is the
//! last one and the new key goes at its end (an append), the old page stays full
//! and the new page starts with the new cell alone, so sequential loads fill
//! pages completely. The root never moves: a root split copies the root into two
//! new children.

use super::node::{self, KeyRef, Node, NodeMut, StoredKey, ValueLoc};
use super::split::{self, check_split, split_point};
use super::{check_key, find_leaf, key, overflow, PageSink, Root};
use crate::error::{Error, Result};
use crate::page::{PageNo, PageType};

/// Inserts or replaces `key`. Returns true if it replaced an existing value.
pub(crate) fn insert<S: PageSink + ?Sized>(
    sink: &mut S,
    root: Root,
    key: &[u8],
    value: &[u8],
) -> Result<bool> {
    put(sink, root, key, value, true)
}

/// Inserts `key` unless it is present, in one descent. Returns false (with nothing
/// changed: the descent only reads) when it was present.
pub(crate) fn insert_absent<S: PageSink + ?Sized>(
    sink: &mut S,
    root: Root,
    key: &[u8],
    value: &[u8],
) -> Result<bool> {
    put(sink, root, key, value, false).map(|present| !present)
}

/// Stores `key` (replacing its value if `replace`, else leaving a present key
/// alone). Returns whether the key was present.
fn put<S: PageSink + ?Sized>(
    sink: &mut S,
    root: Root,
    key: &[u8],
    value: &[u8],
    replace: bool,
) -> Result<bool> {
    let page_size = sink.page_size();
    check_key(key, page_size)?;
    if value.len() > u32::MAX as usize {
        return Err(Error::ValueTooLarge {
            len: value.len(),
            max: u32::MAX as usize,
        });
    }
    let at = find_leaf(sink, root, key)?;
    let (no, pos, path, old) = (at.leaf, at.index, at.path, at.existing);
    let replaced = old.is_some();
    if replaced && !replace {
        return Ok(true);
    }
    // The key as its cell stores it. A replaced entry keeps its key's chain (its
    // stored prefix is `key`'s: the keys compared equal).
    let stored = match old {
        Some(cell) => {
            if let ValueLoc::Overflow { len, first } = cell.value {
                overflow::free(sink, first, len)?;
            }
            KeyRef {
                inline: &key[..cell.key_end - cell.key_start],
                len: key.len() as u64,
                first: cell.key_first,
            }
        }
        None => key::store(sink, key)?,
    };
    let mut cell = Vec::with_capacity(stored.stored_size() + value.len().min(page_size) + 8);
    if node::leaf_cell_inline_size(stored, value.len()) <= node::max_cell(page_size) {
        node::leaf_cell_inline(&mut cell, stored, value);
    } else {
        let first = overflow::write(sink, value)?;
        node::leaf_cell_overflow(&mut cell, stored, value.len() as u64, first);
    }
    {
        let page = sink.page_mut(no)?;
        let mut m = NodeMut::new(page);
        if let Some(old) = old {
            m.remove(pos, old.size);
        }
        if m.insert(pos, &cell)? {
            return Ok(replaced);
        }
    }
    split_leaf(sink, root.page, no, path, pos, (&cell, stored))?;
    Ok(replaced)
}

/// Splits leaf `no`, which has no room for `cell` (whose key is `new_key`) at `pos`.
fn split_leaf<S: PageSink + ?Sized>(
    sink: &mut S,
    root: PageNo,
    no: PageNo,
    path: Vec<(PageNo, usize)>,
    pos: usize,
    (cell, new_key): (&[u8], KeyRef<'_>),
) -> Result<()> {
    let page = sink.page(no)?;
    let node = Node::new(&page, no)?;
    let n = node.len();
    let mut cells: Vec<&[u8]> = Vec::with_capacity(n + 1);
    let mut keys: Vec<KeyRef<'_>> = Vec::with_capacity(n + 1);
    for i in 0..n {
        if i == pos {
            cells.push(cell);
            keys.push(new_key);
        }
        cells.push(node.cell_bytes(i)?);
        keys.push(node.leaf_key(i)?);
    }
    if pos == n {
        cells.push(cell);
        keys.push(new_key);
    }
    check_split(no, &cells, cell.len(), sink.page_size())?;
    let is_last_leaf = path.iter().all(|&(p, slot)| {
        sink.page(p)
            .ok()
            .and_then(|pg| Node::new(&pg, p).ok().map(|nd| nd.len() == slot))
            .unwrap_or(false)
    });
    let capacity = sink.page_size() - node::HEADER;
    let long_at = |i: usize| split::separator_may_be_long(keys[i - 1], keys[i]);
    let at = if pos == n && is_last_leaf && no != root {
        split::append_cut(&cells, n, capacity, long_at)
    } else {
        split::leaf_cut(&cells, split_point(&cells), capacity, long_at)
    };
    let sep = key::separator(&*sink, keys[at - 1], keys[at])?;
    let left: Vec<Vec<u8>> = cells[..at].iter().map(|c| c.to_vec()).collect();
    let right: Vec<Vec<u8>> = cells[at..].iter().map(|c| c.to_vec()).collect();
    drop(keys);
    drop(cells);
    drop(page);
    // A separator as long as a long key gets a chain of its own.
    let sep = key::store(sink, &sep)?.to_stored();
    if no == root {
        return split_root(
            sink,
            root,
            PageType::Leaf,
            &left,
            &right,
            sep.as_ref(),
            (0, 0),
        );
    }
    let new = sink.allocate()?;
    NodeMut::new(sink.page_mut(no)?).rebuild(PageType::Leaf, left.iter().map(|c| c.as_slice()));
    NodeMut::new(sink.page_mut(new)?).rebuild(PageType::Leaf, right.iter().map(|c| c.as_slice()));
    insert_separator(sink, root, path, no, sep, new)
}

/// Turns the root into a branch over two new pages holding `left` and `right`.
/// For a branch root, `rights` gives the right-most children of the two halves.
fn split_root<S: PageSink + ?Sized>(
    sink: &mut S,
    root: PageNo,
    t: PageType,
    left: &[Vec<u8>],
    right: &[Vec<u8>],
    sep: KeyRef<'_>,
    rights: (PageNo, PageNo),
) -> Result<()> {
    let l = sink.allocate()?;
    let r = sink.allocate()?;
    {
        let mut m = NodeMut::new(sink.page_mut(l)?);
        m.init(t);
        m.set_right_child(rights.0);
        m.rebuild(t, left.iter().map(|c| c.as_slice()));
    }
    {
        let mut m = NodeMut::new(sink.page_mut(r)?);
        m.init(t);
        m.set_right_child(rights.1);
        m.rebuild(t, right.iter().map(|c| c.as_slice()));
    }
    let mut cell = Vec::new();
    node::branch_cell(&mut cell, l, sep);
    let mut m = NodeMut::new(sink.page_mut(root)?);
    m.init(PageType::Branch);
    m.set_right_child(r);
    m.rebuild(PageType::Branch, std::iter::once(cell.as_slice()));
    Ok(())
}

/// After `child` split into `child` (lower keys) and `new` (keys ≥ `sep`), records
/// the split in the parent, splitting branches upwards as needed. `sep`'s chain,
/// if it has one, passes to the cell that stores it (the middle cell of a split
/// branch moves up with its chain).
fn insert_separator<S: PageSink + ?Sized>(
    sink: &mut S,
    root: PageNo,
    mut path: Vec<(PageNo, usize)>,
    mut child: PageNo,
    mut sep: StoredKey,
    mut new: PageNo,
) -> Result<()> {
    let mut cell = Vec::new();
    while let Some((parent, slot)) = path.pop() {
        node::branch_cell(&mut cell, child, sep.as_ref());
        {
            let mut m = NodeMut::new(sink.page_mut(parent)?);
            m.set_child(slot, new);
            if m.insert(slot, &cell)? {
                return Ok(());
            }
        }
        // The parent is full: split it around its middle cell.
        let page = sink.page(parent)?;
        let node = Node::new(&page, parent)?;
        let n = node.len();
        let mut cells: Vec<Vec<u8>> = Vec::with_capacity(n + 1);
        // Each cell's (child, key), for the middle one.
        let mut parsed: Vec<(PageNo, KeyRef<'_>)> = Vec::with_capacity(n + 1);
        for i in 0..n {
            if i == slot {
                cells.push(cell.clone());
                parsed.push((child, sep.as_ref()));
            }
            cells.push(node.cell_bytes(i)?.to_vec());
            let c = node.branch_cell(i)?;
            parsed.push((c.child, c.key));
        }
        if slot == n {
            cells.push(cell.clone());
            parsed.push((child, sep.as_ref()));
        }
        let old_right = node.right_child();
        let refs: Vec<&[u8]> = cells.iter().map(|c| c.as_slice()).collect();
        check_split(parent, &refs, cell.len(), sink.page_size())?;
        let capacity = sink.page_size() - node::HEADER;
        let mid = split::branch_cut(&refs, split_point(&refs), capacity, |i| {
            parsed[i].1.is_long()
        });
        let (mid_child, mid_key) = (parsed[mid].0, parsed[mid].1.to_stored());
        drop(parsed);
        drop(refs);
        drop(page);
        let left = &cells[..mid];
        let right = &cells[mid + 1..];
        if parent == root {
            return split_root(
                sink,
                root,
                PageType::Branch,
                left,
                right,
                mid_key.as_ref(),
                (mid_child, old_right),
            );
        }
        let sibling = sink.allocate()?;
        {
            let mut m = NodeMut::new(sink.page_mut(parent)?);
            m.set_right_child(mid_child);
            m.rebuild(PageType::Branch, left.iter().map(|c| c.as_slice()));
        }
        {
            let mut m = NodeMut::new(sink.page_mut(sibling)?);
            m.init(PageType::Branch);
            m.set_right_child(old_right);
            m.rebuild(PageType::Branch, right.iter().map(|c| c.as_slice()));
        }
        child = parent;
        sep = mid_key;
        new = sibling;
    }
    Err(Error::corrupt(root, "split ran past the root"))
}
