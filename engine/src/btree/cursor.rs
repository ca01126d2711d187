//! Cursors: positioned walks over a tree, forwards and backwards, and the range
//! iterator built on them.
//!
//! A cursor holds the path from the root to its leaf as shared pages, so the
//! pages it stands on stay alive (pinned in the cache) while it exists, and it
//! sees one consistent state of the tree whatever writers do meanwhile.

use std::ops::Bound;

use super::node::{Node, ValueLoc};
use super::{PageSource, Root, MAX_DEPTH};
use crate::error::{Error, Result};
use crate::page::{Page, PageNo};

/// One entry of a tree: a key and its value.
#[derive(Clone)]
pub struct Entry {
    page: Page,
    key: Bytes,
    value: Bytes,
}

/// Where an entry's key or value is: in the entry's page, or copied out of an
/// overflow chain (a long key's whole bytes, or a large value).
#[derive(Clone)]
enum Bytes {
    Inline(usize, usize),
    Owned(Vec<u8>),
}

impl Bytes {
    #[inline]
    fn get<'a>(&'a self, page: &'a Page) -> &'a [u8] {
        match self {
            Bytes::Inline(start, end) => &page.bytes()[*start..*end],
            Bytes::Owned(v) => v,
        }
    }
}

impl Entry {
    /// The key.
    #[inline]
    pub fn key(&self) -> &[u8] {
        self.key.get(&self.page)
    }

    /// The value.
    #[inline]
    pub fn value(&self) -> &[u8] {
        self.value.get(&self.page)
    }
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry")
            .field("key", &self.key())
            .field("value", &self.value())
            .finish()
    }
}

/// A position in a tree.
pub(crate) struct Cursor<'s, S: PageSource + ?Sized> {
    src: &'s S,
    root: Root,
    /// (page, slot) from the root down; for the leaf, the slot is the cell index.
    stack: Vec<(Page, PageNo, usize)>,
    valid: bool,
}

impl<'s, S: PageSource + ?Sized> Cursor<'s, S> {
    pub(crate) fn new(src: &'s S, root: Root) -> Cursor<'s, S> {
        Cursor {
            src,
            root,
            stack: Vec::with_capacity(8),
            valid: false,
        }
    }

    fn push(&mut self, no: PageNo) -> Result<()> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(Error::corrupt(
                self.root.page,
                "tree deeper than the depth limit (cycle?)",
            ));
        }
        let page = self.src.node_page(no)?;
        self.stack.push((page, no, 0));
        Ok(())
    }

    /// Starts a walk at the root, checking that it is this tree's root.
    fn push_root(&mut self) -> Result<()> {
        self.stack.clear();
        let page = self.src.page(self.root.page)?;
        self.root.check(&page)?;
        Node::new(&page, self.root.page)?;
        self.stack.push((page, self.root.page, 0));
        Ok(())
    }

    fn top(&self) -> Node<'_> {
        let (page, no, _) = self.stack.last().expect("cursor has a page");
        Node {
            b: page.bytes(),
            no: *no,
        }
    }

    /// Descends from the top of the stack to a leaf, always taking the first
    /// (`last == false`) or last child.
    fn descend_edge(&mut self, last: bool) -> Result<()> {
        loop {
            let node = self.top();
            let n = node.len();
            if node.is_leaf() {
                let slot = if last { n.wrapping_sub(1) } else { 0 };
                self.stack.last_mut().expect("top").2 = slot;
                self.valid = n > 0;
                return Ok(());
            }
            let slot = if last { n } else { 0 };
            let child = node.child(slot)?;
            self.stack.last_mut().expect("top").2 = slot;
            self.push(child)?;
        }
    }

    /// Moves to the first entry.
    pub(crate) fn first(&mut self) -> Result<()> {
        self.push_root()?;
        self.descend_edge(false)?;
        if !self.valid {
            self.step_leaf_forward()?;
        }
        Ok(())
    }

    /// Moves to the last entry.
    pub(crate) fn last(&mut self) -> Result<()> {
        self.push_root()?;
        self.descend_edge(true)?;
        if !self.valid {
            self.step_leaf_backward()?;
        }
        Ok(())
    }

    /// Moves to the first entry with key ≥ `key` (> `key` if `exclusive`).
    pub(crate) fn seek(&mut self, key: &[u8], exclusive: bool) -> Result<()> {
        self.push_root()?;
        loop {
            let node = self.top();
            if node.is_leaf() {
                let i = match node.search_leaf(self.src, key)? {
                    Ok(i) if exclusive => i + 1,
                    Ok(i) => i,
                    Err(i) => i,
                };
                let n = node.len();
                self.stack.last_mut().expect("top").2 = i;
                self.valid = i < n;
                if !self.valid {
                    self.step_leaf_forward()?;
                }
                return Ok(());
            }
            let slot = node.search_branch(self.src, key)?;
            let child = node.child(slot)?;
            self.stack.last_mut().expect("top").2 = slot;
            self.push(child)?;
        }
    }

    /// Moves to the last entry with key ≤ `key` (< `key` if `exclusive`).
    pub(crate) fn seek_back(&mut self, key: &[u8], exclusive: bool) -> Result<()> {
        self.push_root()?;
        loop {
            let node = self.top();
            if node.is_leaf() {
                // Index of the last cell ≤ key (or < key), as i + 1.
                let after = match node.search_leaf(self.src, key)? {
                    Ok(i) if exclusive => i,
                    Ok(i) => i + 1,
                    Err(i) => i,
                };
                if after == 0 {
                    self.stack.last_mut().expect("top").2 = 0;
                    self.valid = false;
                    return self.step_leaf_backward();
                }
                self.stack.last_mut().expect("top").2 = after - 1;
                self.valid = true;
                return Ok(());
            }
            let slot = node.search_branch(self.src, key)?;
            let child = node.child(slot)?;
            self.stack.last_mut().expect("top").2 = slot;
            self.push(child)?;
        }
    }

    /// Whether the cursor stands on an entry.
    pub(crate) fn valid(&self) -> bool {
        self.valid
    }

    /// The entry under the cursor, if its key passes `wanted` (the cell is
    /// decoded once for both).
    pub(crate) fn entry_if(&self, wanted: impl FnOnce(&[u8]) -> bool) -> Result<Option<Entry>> {
        let (page, no, slot) = self.stack.last().expect("top");
        let node = Node {
            b: page.bytes(),
            no: *no,
        };
        let cell = node.leaf_cell(*slot)?;
        let key = if cell.key_first == 0 {
            Bytes::Inline(cell.key_start, cell.key_end)
        } else {
            Bytes::Owned(super::key::load(self.src, cell.key(page.bytes()))?.into_owned())
        };
        if !wanted(key.get(page)) {
            return Ok(None);
        }
        let value = match cell.value {
            ValueLoc::Inline { start, end } => Bytes::Inline(start, end),
            ValueLoc::Overflow { len, first } => {
                Bytes::Owned(super::overflow::read(self.src, first, len)?)
            }
        };
        Ok(Some(Entry {
            page: page.clone(),
            key,
            value,
        }))
    }

    /// Steps to the next entry.
    pub(crate) fn next(&mut self) -> Result<()> {
        if !self.valid {
            return Ok(());
        }
        let n = self.top().len();
        let slot = &mut self.stack.last_mut().expect("top").2;
        *slot += 1;
        if *slot < n {
            return Ok(());
        }
        self.step_leaf_forward()
    }

    /// Steps to the previous entry.
    pub(crate) fn prev(&mut self) -> Result<()> {
        if !self.valid {
            return Ok(());
        }
        let slot = &mut self.stack.last_mut().expect("top").2;
        if *slot > 0 {
            *slot -= 1;
            return Ok(());
        }
        self.step_leaf_backward()
    }

    /// From the end of a leaf, to the first entry of the next non-empty leaf.
    fn step_leaf_forward(&mut self) -> Result<()> {
        loop {
            self.stack.pop();
            let Some(top) = self.stack.last_mut() else {
                self.valid = false;
                return Ok(());
            };
            let n = Node {
                b: top.0.bytes(),
                no: top.1,
            }
            .len();
            if top.2 < n {
                top.2 += 1;
                let child = Node {
                    b: top.0.bytes(),
                    no: top.1,
                }
                .child(top.2)?;
                self.push(child)?;
                self.descend_edge(false)?;
                if self.valid {
                    return Ok(());
                }
            }
        }
    }

    /// From the start of a leaf, to the last entry of the previous non-empty leaf.
    fn step_leaf_backward(&mut self) -> Result<()> {
        loop {
            self.stack.pop();
            let Some(top) = self.stack.last_mut() else {
                self.valid = false;
                return Ok(());
            };
            if top.2 > 0 {
                top.2 -= 1;
                let child = Node {
                    b: top.0.bytes(),
                    no: top.1,
                }
                .child(top.2)?;
                self.push(child)?;
                self.descend_edge(true)?;
                if self.valid {
                    return Ok(());
                }
            }
        }
    }
}

/// An iterator over the entries of a key range, forwards or backwards.
pub struct Range<'s, S: PageSource + ?Sized> {
    cursor: Cursor<'s, S>,
    start: Bound<Vec<u8>>,
    end: Bound<Vec<u8>>,
    reverse: bool,
    started: bool,
    done: bool,
}

impl<'s, S: PageSource + ?Sized> Range<'s, S> {
    pub(crate) fn new(
        src: &'s S,
        root: Root,
        start: Bound<Vec<u8>>,
        end: Bound<Vec<u8>>,
        reverse: bool,
    ) -> Self {
        Range {
            cursor: Cursor::new(src, root),
            start,
            end,
            reverse,
            started: false,
            done: false,
        }
    }

    /// Ends the iteration without reading anything.
    pub(crate) fn finish(&mut self) {
        self.done = true;
    }

    fn position(&mut self) -> Result<()> {
        if self.reverse {
            match &self.end {
                Bound::Unbounded => self.cursor.last(),
                Bound::Included(k) => self.cursor.seek_back(k, false),
                Bound::Excluded(k) => self.cursor.seek_back(k, true),
            }
        } else {
            match &self.start {
                Bound::Unbounded => self.cursor.first(),
                Bound::Included(k) => self.cursor.seek(k, false),
                Bound::Excluded(k) => self.cursor.seek(k, true),
            }
        }
    }

    fn in_range(&self, key: &[u8]) -> bool {
        if self.reverse {
            match &self.start {
                Bound::Unbounded => true,
                Bound::Included(k) => key >= k.as_slice(),
                Bound::Excluded(k) => key > k.as_slice(),
            }
        } else {
            match &self.end {
                Bound::Unbounded => true,
                Bound::Included(k) => key <= k.as_slice(),
                Bound::Excluded(k) => key < k.as_slice(),
            }
        }
    }

    fn advance(&mut self) -> Result<Option<Entry>> {
        if !self.started {
            self.started = true;
            self.position()?;
        } else if self.reverse {
            self.cursor.prev()?;
        } else {
            self.cursor.next()?;
        }
        let entry = if self.cursor.valid() {
            self.cursor.entry_if(|key| self.in_range(key))?
        } else {
            None
        };
        self.done = entry.is_none();
        Ok(entry)
    }
}

impl<S: PageSource + ?Sized> Iterator for Range<'_, S> {
    type Item = Result<Entry>;

    fn next(&mut self) -> Option<Result<Entry>> {
        if self.done {
            return None;
        }
        match self.advance() {
            Ok(Some(e)) => Some(Ok(e)),
            Ok(None) => None,
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}
