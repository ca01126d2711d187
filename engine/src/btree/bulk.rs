//! Sorted bulk load: builds a tree bottom-up from entries in ascending key order,
//! filling every leaf and branch completely (no splits, no half-empty pages).
//!
//! Leaves are written left to right; each finished leaf adds its first key (as a
//! separator) and page number to the level above, which is built the same way.
//! The top level is finally moved into the tree's root page, which never moves.
//!
//! Long keys get their chains as their leaf cells are built. A leaf whose last
//! separator would be a long key ends a little earlier where a short one
//! separates (see `leaf_cut`); a separator that must be long gets a chain of its own, owned by the one branch cell that ends
//! up holding it (the last cell of a closed branch page is not written: its
//! separator moves up a level, chain and all).

use super::node::{self, KeyRef, Node, NodeMut, StoredKey};
use super::{check_key, key, overflow, separator, PageSink, Root};
use crate::error::{Error, Result};
use crate::page::{PageNo, PageType};

/// One level under construction: the cells of its current page.
struct Level {
    cells: Vec<Vec<u8>>,
    bytes: usize,
}

/// Fills the empty tree at `root` with `entries`, which must be in strictly
/// ascending key order. Returns the number of entries.
pub(crate) fn bulk_load<S, I, K, V>(sink: &mut S, root: Root, entries: I) -> Result<u64>
where
    S: PageSink + ?Sized,
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<[u8]>,
    V: AsRef<[u8]>,
{
    {
        let page = sink.page(root.page)?;
        root.check(&page)?;
        let n = Node::new(&page, root.page)?;
        if !n.is_leaf() || n.len() != 0 {
            return Err(Error::InvalidInput("bulk load needs an empty tree".into()));
        }
    }
    let page_size = sink.page_size();
    let capacity = page_size - node::HEADER;
    // levels[0] = leaves; each finished page of level i becomes a cell of level i+1.
    let mut levels: Vec<Level> = vec![Level {
        cells: Vec::new(),
        bytes: 0,
    }];
    // The whole keys of the leaf being filled, and the last key of the leaves
    // written before it (for the order check when the current one is empty).
    let mut leaf_keys: Vec<Vec<u8>> = Vec::new();
    let mut written_last: Option<Vec<u8>> = None;
    let mut count = 0u64;
    let mut cell = Vec::new();
    for (k, v) in entries {
        let (key, value) = (k.as_ref(), v.as_ref());
        check_key(key, page_size)?;
        let last = leaf_keys.last().or(written_last.as_ref());
        if last.is_some_and(|l| l.as_slice() >= key) {
            return Err(Error::InvalidInput(
                "bulk load keys must be strictly ascending".into(),
            ));
        }
        let stored = key::store(sink, key)?;
        if node::leaf_cell_inline_size(stored, value.len()) <= node::max_cell(page_size) {
            node::leaf_cell_inline(&mut cell, stored, value);
        } else {
            let first = overflow::write(sink, value)?;
            node::leaf_cell_overflow(&mut cell, stored, value.len() as u64, first);
        }
        if levels[0].bytes + cell.len() + 2 > capacity {
            let (keep, sep) = leaf_cut(&levels[0].cells, &leaf_keys, key, page_size);
            let rest = levels[0].cells.split_off(keep);
            let rest_keys = leaf_keys.split_off(keep);
            let sep = key::store(sink, &sep)?.to_stored();
            flush(sink, &mut levels, 0, Some(sep))?;
            written_last = leaf_keys.pop();
            levels[0].bytes = rest.iter().map(|c| c.len() + 2).sum();
            levels[0].cells = rest;
            leaf_keys = rest_keys;
        }
        levels[0].bytes += cell.len() + 2;
        levels[0].cells.push(cell.clone());
        leaf_keys.push(key.to_vec());
        count += 1;
    }
    finish(sink, root.page, levels)?;
    Ok(count)
}

/// Where the full leaf of `cells` (whose keys are `keys`) ends before `next`:
/// all of it, with the separator before `next`, unless that separator would be
/// a long key; then the last cut with a short separator that keeps at least
/// half a page in the leaf, if any (the cells after it start the next leaf,
/// which they fill less than half, so `next` fits too). Returns the number of
/// cells the leaf keeps and its separator.
fn leaf_cut(
    cells: &[Vec<u8>],
    keys: &[Vec<u8>],
    next: &[u8],
    page_size: usize,
) -> (usize, Vec<u8>) {
    let last = keys.last().expect("a full leaf has a key");
    let sep = separator(last, next);
    let inline_max = node::max_inline_key(page_size);
    if sep.len() <= inline_max {
        return (keys.len(), sep);
    }
    let capacity = page_size - node::HEADER;
    let mut left: usize = cells.iter().map(|c| c.len() + 2).sum();
    for j in (1..keys.len()).rev() {
        left -= cells[j].len() + 2;
        if 2 * left < capacity {
            break;
        }
        let s = separator(&keys[j - 1], &keys[j]);
        if s.len() <= inline_max {
            return (j, s);
        }
    }
    (keys.len(), sep)
}

/// Writes the current page of level `i` to a new page and records it one level up
/// with `sep` (the separator before the next page of level `i`; `None` at the end).
fn flush<S: PageSink + ?Sized>(
    sink: &mut S,
    levels: &mut Vec<Level>,
    i: usize,
    sep: Option<StoredKey>,
) -> Result<()> {
    let page_size = sink.page_size();
    let capacity = page_size - node::HEADER;
    let leaf = i == 0;
    let no = sink.allocate()?;
    {
        let level = &levels[i];
        let mut m = NodeMut::new(sink.page_mut(no)?);
        if leaf {
            m.rebuild(PageType::Leaf, level.cells.iter().map(|c| c.as_slice()));
        } else {
            // A branch's last pending child became its right-most child.
            m.init(PageType::Branch);
            let (last, rest) = level.cells.split_last().expect("a branch has a child");
            m.set_right_child(u32::from_le_bytes(last[..4].try_into().expect("4")));
            m.rebuild(PageType::Branch, rest.iter().map(|c| c.as_slice()));
        }
    }
    levels[i].cells.clear();
    levels[i].bytes = 0;
    if levels.len() == i + 1 {
        levels.push(Level {
            cells: Vec::new(),
            bytes: 0,
        });
    }
    // The parent holds (child, separator-after-child); the separator of the last
    // child is never needed (it becomes the right-most child).
    let mut parent_cell = Vec::new();
    let sep_ref = sep.as_ref().map_or(KeyRef::short(&[]), |s| s.as_ref());
    node::branch_cell(&mut parent_cell, no, sep_ref);
    let needed = parent_cell.len() + 2;
    if sep.is_some() && levels[i + 1].bytes + needed > capacity && !levels[i + 1].cells.is_empty() {
        // The parent page is full: its last child closes it. The separator between
        // that page and the next is this child's separator, which moves up.
        levels[i + 1].cells.push(parent_cell);
        flush(sink, levels, i + 1, sep)?;
        return Ok(());
    }
    levels[i + 1].bytes += needed;
    levels[i + 1].cells.push(parent_cell);
    Ok(())
}

/// Closes every level and moves the top page into `root`.
fn finish<S: PageSink + ?Sized>(sink: &mut S, root: PageNo, mut levels: Vec<Level>) -> Result<()> {
    if levels.len() == 1 {
        // Everything fits in one leaf: build it in the root directly.
        let cells = std::mem::take(&mut levels[0].cells);
        NodeMut::new(sink.page_mut(root)?)
            .rebuild(PageType::Leaf, cells.iter().map(|c| c.as_slice()));
        return Ok(());
    }
    let mut i = 0;
    while i < levels.len() {
        let last_level = i + 1 == levels.len();
        if last_level && levels[i].cells.len() == 1 && i > 0 {
            break;
        }
        if levels[i].cells.is_empty() {
            i += 1;
            continue;
        }
        flush(sink, &mut levels, i, None)?;
        i += 1;
    }
    let top = levels.last().expect("levels");
    let child = u32::from_le_bytes(top.cells[0][..4].try_into().expect("4"));
    let content = sink.page(child)?.bytes().to_vec();
    NodeMut::new(sink.page_mut(root)?).take_content(&content);
    sink.free(child)?;
    Ok(())
}
