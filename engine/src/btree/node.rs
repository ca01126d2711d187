//! The layout of B+tree pages (leaves and branches): a slotted page.
//!
//! ```text
//! 0..8    checksum            (every page)
//! 8       page type           Leaf or Branch
//! 9       reserved
//! 10..12  number of cells
//! 12..14  start of the cell content area (0 means page_size)
//! 14..16  fragmented free bytes inside the content area
//! 16..20  right-most child (branches only)
//! 20..28  tree identity: the tree's incarnation in its root page, 0 in every
//!         other node (see `Root`)
//! 28..    cell pointer array: u16 offsets, in key order
//! ...     free space
//! ...     cell content, growing down from the end of the page
//! ```
//!
//! Leaf cell: `varint key_len, varint (value_len << 1 | overflow), key, payload`,
//! where payload is the value, or (overflow) the u32 first page of its chain.
//! Branch cell: `u32 child, varint key_len, key`.
//!
//! Long keys: a key longer than [`max_inline_key`] (a function of the page size)
//! is stored as its first [`key_prefix`] bytes, then the u32 first page of an
//! overflow chain holding the rest of the key, in place of `key` in both cell
//! kinds. No key of an older file is that long (the old limit was
//! `max_inline_key`), so the length alone says which form a cell has: the
//! change is additive.
//!
//! Branch invariant: child *i* holds keys `< key i` (and ≥ key *i − 1*); the
//! right-most child holds keys `≥` the last key. So a lookup descends into the
//! first child whose key is greater than the one sought.
//!
//! Every accessor is bounds-checked and returns `Corrupt` rather than panicking:
//! a page that passed its checksum can still be wrong if a file was crafted.

use std::cmp::Ordering;

use crate::error::{Error, Result};
use crate::page::{PageBuf, PageNo, PageType};
use crate::varint;

use super::PageSource;

pub(crate) const HEADER: usize = 28;
const N_CELLS: usize = 10;
const CONTENT_START: usize = 12;
const FRAG: usize = 14;
const RIGHT_CHILD: usize = 16;
/// The tree identity field. It belongs to the page's role, not to its cells:
/// `init` and `rebuild` keep it, so a root stays its tree's root whatever its
/// content becomes.
const TREE_ID: usize = 20;

/// The tree identity stored in a node page (meaningful only for a node).
#[inline]
pub(crate) fn tree_id(page: &PageBuf) -> u64 {
    page.u64_at(TREE_ID)
}

/// Largest cell that may be stored inline: four cells must always fit in a page
/// so that a split always produces two valid pages.
pub(crate) fn max_cell(page_size: usize) -> usize {
    (page_size - HEADER) / 4 - 2
}

/// Largest key stored whole in its cell at this page size; longer keys keep
/// a prefix in the cell and the rest in an overflow chain. (This was the
/// largest key of any kind in format 2, so no older cell is in long form.)
pub(crate) fn max_inline_key(page_size: usize) -> usize {
    // A branch cell is 4 + varint + key; a leaf cell with an overflow value is
    // two varints + key + 4. 16 bytes cover the worst case of both.
    max_cell(page_size) - 16
}

/// Bytes of a long key kept in its cell (the rest is in its chain): half the
/// inline maximum, so a leaf holds at least eight long keys and comparisons of
/// keys that differ in their first `key_prefix` bytes read no chain.
pub(crate) fn key_prefix(page_size: usize) -> usize {
    max_inline_key(page_size) / 2
}

/// The longest key a tree accepts, at any page size (`KeyTooLarge` past it).
pub const MAX_KEY_LEN: usize = 1 << 20;

/// A key as a cell stores it: its first bytes, its full length, and the first
/// page of the chain holding the rest (0, with `inline` the whole key, for a
/// key short enough to be inline).
///
/// Invariant: `first != 0` exactly when `len > max_inline_key(page_size)`,
/// and then `inline.len() == key_prefix(page_size)`. [`super::key::store`]
/// makes keys so, and the decoders read them so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeyRef<'a> {
    pub inline: &'a [u8],
    pub len: u64,
    pub first: PageNo,
}

impl<'a> KeyRef<'a> {
    /// A key stored whole in its cell (it must not exceed `max_inline_key`).
    #[inline]
    pub(crate) fn short(key: &'a [u8]) -> KeyRef<'a> {
        KeyRef {
            inline: key,
            len: key.len() as u64,
            first: 0,
        }
    }

    /// Whether the key has an overflow chain.
    #[inline]
    pub(crate) fn is_long(&self) -> bool {
        self.first != 0
    }

    /// Bytes in the key's chain.
    #[inline]
    pub(crate) fn rest_len(&self) -> u64 {
        self.len - self.inline.len() as u64
    }

    /// Bytes the key takes in a cell after its length varint.
    #[inline]
    pub(crate) fn stored_size(&self) -> usize {
        self.inline.len() + if self.is_long() { 4 } else { 0 }
    }

    /// An owned copy (same chain: the copy does not own a second one).
    pub(crate) fn to_stored(self) -> StoredKey {
        StoredKey {
            inline: self.inline.to_vec(),
            len: self.len,
            first: self.first,
        }
    }
}

/// An owned [`KeyRef`]: the cell form of a key, held while cells are rebuilt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredKey {
    pub inline: Vec<u8>,
    pub len: u64,
    pub first: PageNo,
}

impl StoredKey {
    pub(crate) fn as_ref(&self) -> KeyRef<'_> {
        KeyRef {
            inline: &self.inline,
            len: self.len,
            first: self.first,
        }
    }
}

/// Where a leaf cell's value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueLoc {
    /// In the page, at this byte range.
    Inline { start: usize, end: usize },
    /// In an overflow chain.
    Overflow { len: u64, first: PageNo },
}

/// A parsed leaf cell.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LeafCell {
    /// The key's bytes in the page: the whole key, or a long key's prefix.
    pub key_start: usize,
    pub key_end: usize,
    /// The key's full length.
    pub key_len: u64,
    /// A long key's chain (0: the key is inline); its u32 pointer is at `key_end`.
    pub key_first: PageNo,
    pub value: ValueLoc,
    /// Total size of the cell in bytes.
    pub size: usize,
}

impl LeafCell {
    /// The key, as stored, in `b` (the page the cell was parsed from).
    #[inline]
    pub(crate) fn key<'a>(&self, b: &'a [u8]) -> KeyRef<'a> {
        KeyRef {
            inline: &b[self.key_start..self.key_end],
            len: self.key_len,
            first: self.key_first,
        }
    }

    /// A long key's chain: its first page and length in bytes.
    #[inline]
    pub(crate) fn key_chain(&self) -> Option<(PageNo, u64)> {
        (self.key_first != 0).then(|| {
            (
                self.key_first,
                self.key_len - (self.key_end - self.key_start) as u64,
            )
        })
    }

    /// Offset of the value, or of its chain's u32 first page.
    #[inline]
    pub(crate) fn payload_start(&self) -> usize {
        self.key_end + if self.key_first != 0 { 4 } else { 0 }
    }
}

/// A parsed branch cell.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BranchCell<'a> {
    pub child: PageNo,
    pub key: KeyRef<'a>,
    /// Offset of a long key's u32 chain pointer in the page (meaningless for
    /// an inline key).
    pub key_ptr: usize,
    /// Total size of the cell in bytes.
    pub size: usize,
}

/// Read access to a node page.
#[derive(Clone, Copy)]
pub(crate) struct Node<'a> {
    pub b: &'a [u8],
    pub no: PageNo,
}

impl<'a> Node<'a> {
    /// Wraps a page, checking that it is a node of a plausible shape.
    pub(crate) fn new(page: &'a PageBuf, no: PageNo) -> Result<Node<'a>> {
        let node = Node {
            b: page.bytes(),
            no,
        };
        match page.page_type() {
            Some(PageType::Leaf) | Some(PageType::Branch) => {}
            other => {
                return Err(Error::corrupt(
                    no,
                    format!("expected a B+tree node, found {other:?}"),
                ))
            }
        }
        let n = node.len();
        if HEADER + 2 * n > node.content_start() || node.content_start() > node.b.len() {
            return Err(Error::corrupt(no, "cell pointer array overlaps content"));
        }
        // Fragments lie inside the content area; more would make `free_space`
        // exceed the page (and `used` underflow).
        if node.frag() > node.b.len() - node.content_start() {
            return Err(Error::corrupt(
                no,
                "fragmented bytes exceed the content area",
            ));
        }
        Ok(node)
    }

    /// Wraps a page that [`Node::new`] accepted before: pages are immutable, so
    /// it still would, and the check need not run again (for pages a read
    /// transaction keeps in its memo).
    #[inline(always)]
    pub(crate) fn accepted(page: &'a PageBuf, no: PageNo) -> Node<'a> {
        Node {
            b: page.bytes(),
            no,
        }
    }

    #[inline]
    pub(crate) fn is_leaf(&self) -> bool {
        self.b[8] == PageType::Leaf as u8
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        u16::from_le_bytes([self.b[N_CELLS], self.b[N_CELLS + 1]]) as usize
    }

    #[inline]
    fn content_start(&self) -> usize {
        let v = u16::from_le_bytes([self.b[CONTENT_START], self.b[CONTENT_START + 1]]) as usize;
        if v == 0 {
            self.b.len()
        } else {
            v
        }
    }

    #[inline]
    fn frag(&self) -> usize {
        u16::from_le_bytes([self.b[FRAG], self.b[FRAG + 1]]) as usize
    }

    #[inline]
    pub(crate) fn right_child(&self) -> PageNo {
        u32::from_le_bytes(self.b[RIGHT_CHILD..RIGHT_CHILD + 4].try_into().expect("4"))
    }

    /// Bytes free for new cells (including their pointers), after defragmenting.
    pub(crate) fn free_space(&self) -> usize {
        self.content_start() - (HEADER + 2 * self.len()) + self.frag()
    }

    /// Bytes used by cells and their pointers.
    pub(crate) fn used(&self) -> usize {
        self.b.len() - HEADER - self.free_space()
    }

    #[inline]
    fn cell_offset(&self, i: usize) -> Result<usize> {
        let p = HEADER + 2 * i;
        let off = u16::from_le_bytes([self.b[p], self.b[p + 1]]) as usize;
        self.check_offset(i, off)
    }

    /// `off`, the offset of cell `i`, if it points into the cell area.
    #[inline(always)]
    fn check_offset(&self, i: usize, off: usize) -> Result<usize> {
        if off < HEADER || off >= self.b.len() {
            return Err(self.points_outside(i));
        }
        Ok(off)
    }

    #[cold]
    #[inline(never)]
    fn points_outside(&self, i: usize) -> Error {
        Error::corrupt(self.no, format!("cell {i} points outside the page"))
    }

    /// The cell pointer array. [`Node::new`] checked that it lies in the page;
    /// a search takes it once so its probes index a slice of known length.
    #[inline(always)]
    fn pointers(&self) -> &'a [[u8; 2]] {
        self.b[HEADER..HEADER + 2 * self.len()].as_chunks().0
    }

    #[cold]
    #[inline(never)]
    fn corrupt(&self, what: &str) -> Error {
        Error::corrupt(self.no, what.to_string())
    }

    /// The varint at `at` (`None` if it runs past the page). Lengths in cells are
    /// one or two bytes (a 150-byte value's code is 300), so both are decoded
    /// here, inline; anything longer goes to [`varint::get`].
    #[inline(always)]
    fn varint_at(&self, at: usize) -> Option<(u64, usize)> {
        let b = self.b;
        let first = *b.get(at)?;
        if first < 0x80 {
            return Some((u64::from(first), 1));
        }
        match b.get(at + 1) {
            Some(&second) if second < 0x80 => {
                Some((u64::from(first & 0x7f) | u64::from(second) << 7, 2))
            }
            _ => varint::get(b.get(at..)?),
        }
    }

    /// How many bytes the varint at `at` takes, without decoding it (`None` if
    /// it does not end within ten bytes or the page).
    #[inline(always)]
    fn varint_len_at(&self, at: usize) -> Option<usize> {
        let b = self.b;
        if *b.get(at)? < 0x80 {
            return Some(1);
        }
        if *b.get(at + 1)? < 0x80 {
            return Some(2);
        }
        b.get(at..)?
            .iter()
            .take(10)
            .position(|&x| x < 0x80)
            .map(|p| p + 1)
    }

    /// The inline-key limit of this page (see [`max_inline_key`]).
    #[inline(always)]
    fn inline_max(&self) -> u64 {
        max_inline_key(self.b.len()) as u64
    }

    /// The stored key of length `klen` whose bytes start at `start`, and the
    /// offset just past it (past a long key's chain pointer).
    #[inline(always)]
    fn stored_key_at(
        &self,
        start: usize,
        klen: u64,
        inline_max: u64,
    ) -> Result<(KeyRef<'a>, usize)> {
        if klen <= inline_max {
            let inline = self.key_at(start, klen)?;
            return Ok((
                KeyRef {
                    inline,
                    len: klen,
                    first: 0,
                },
                start + inline.len(),
            ));
        }
        self.long_key_at(start, klen)
    }

    /// [`Node::stored_key_at`] for a long key: its prefix, then its chain's first page.
    #[inline(never)]
    fn long_key_at(&self, start: usize, klen: u64) -> Result<(KeyRef<'a>, usize)> {
        if klen > MAX_KEY_LEN as u64 {
            return Err(self.corrupt("key longer than the maximum"));
        }
        let inline = self.key_at(start, key_prefix(self.b.len()) as u64)?;
        let ptr = start + inline.len();
        let first = self
            .b
            .get(ptr..ptr + 4)
            .map(|p| u32::from_le_bytes(p.try_into().expect("4")))
            .ok_or_else(|| self.corrupt("key overflow pointer runs past the page"))?;
        if first == 0 {
            return Err(self.corrupt("long key without an overflow chain"));
        }
        Ok((
            KeyRef {
                inline,
                len: klen,
                first,
            },
            ptr + 4,
        ))
    }

    /// Parses leaf cell `i`.
    #[inline]
    pub(crate) fn leaf_cell(&self, i: usize) -> Result<LeafCell> {
        let off = self.cell_offset(i)?;
        let b = self.b;
        let (klen, a) = self
            .varint_at(off)
            .ok_or_else(|| self.corrupt("bad key length"))?;
        let (code, c) = self
            .varint_at(off + a)
            .ok_or_else(|| self.corrupt("bad value length"))?;
        let key_start = off + a + c;
        let (key, payload) = self.stored_key_at(key_start, klen, self.inline_max())?;
        let vlen = code >> 1;
        let (value, end) = if code & 1 == 1 {
            let end = payload + 4;
            if end > b.len() {
                return Err(self.corrupt("overflow pointer runs past the page"));
            }
            let first = u32::from_le_bytes(b[payload..end].try_into().expect("4"));
            (ValueLoc::Overflow { len: vlen, first }, end)
        } else {
            let end = payload
                .checked_add(vlen as usize)
                .filter(|&e| e <= b.len())
                .ok_or_else(|| self.corrupt("value runs past the page"))?;
            (
                ValueLoc::Inline {
                    start: payload,
                    end,
                },
                end,
            )
        };
        Ok(LeafCell {
            key_start,
            key_end: key_start + key.inline.len(),
            key_len: klen,
            key_first: key.first,
            value,
            size: end - off,
        })
    }

    /// Key of leaf cell `i`, decoding nothing else: a binary search probes many
    /// cells and needs only their keys. The value's length is skipped, not
    /// checked; [`Node::leaf_cell`] checks it for the cell that is then used.
    #[inline]
    pub(crate) fn leaf_key(&self, i: usize) -> Result<KeyRef<'a>> {
        self.leaf_key_at(self.cell_offset(i)?, self.inline_max())
    }

    /// [`Node::leaf_key`] of the cell at `off` (a checked cell offset).
    #[inline(always)]
    fn leaf_key_at(&self, off: usize, inline_max: u64) -> Result<KeyRef<'a>> {
        let (klen, a) = self
            .varint_at(off)
            .ok_or_else(|| self.corrupt("bad key length"))?;
        let c = self
            .varint_len_at(off + a)
            .ok_or_else(|| self.corrupt("bad value length"))?;
        Ok(self.stored_key_at(off + a + c, klen, inline_max)?.0)
    }

    /// The `len` bytes at `start`, if they lie inside the page.
    #[inline(always)]
    fn key_at(&self, start: usize, len: u64) -> Result<&'a [u8]> {
        let b = self.b;
        usize::try_from(len)
            .ok()
            .and_then(|len| start.checked_add(len))
            .and_then(|end| b.get(start..end))
            .ok_or_else(|| self.corrupt("key runs past the page"))
    }

    /// Key of the branch cell at `off`, a checked cell offset (the child pointer
    /// before the key is not read).
    #[inline(always)]
    fn branch_key_at(&self, off: usize, inline_max: u64) -> Result<KeyRef<'a>> {
        let at = off + 4;
        let (klen, a) = self
            .varint_at(at)
            .ok_or_else(|| self.corrupt("branch cell runs past the page"))?;
        Ok(self.stored_key_at(at + a, klen, inline_max)?.0)
    }

    /// Branch cell `i`: its child page, key and size.
    #[inline]
    pub(crate) fn branch_cell(&self, i: usize) -> Result<BranchCell<'a>> {
        let off = self.cell_offset(i)?;
        let b = self.b;
        if off + 5 > b.len() {
            return Err(self.corrupt("branch cell runs past the page"));
        }
        let child = u32::from_le_bytes(b[off..off + 4].try_into().expect("4"));
        let (klen, a) = self
            .varint_at(off + 4)
            .ok_or_else(|| self.corrupt("bad key length"))?;
        let start = off + 4 + a;
        let (key, end) = self.stored_key_at(start, klen, self.inline_max())?;
        Ok(BranchCell {
            child,
            key,
            key_ptr: start + key.inline.len(),
            size: end - off,
        })
    }

    /// The child to follow at slot `i` (`i == len` is the right-most child).
    #[inline]
    pub(crate) fn child(&self, i: usize) -> Result<PageNo> {
        if i == self.len() {
            Ok(self.right_child())
        } else {
            Ok(self.branch_cell(i)?.child)
        }
    }

    /// Key of cell `i`, leaf or branch, as stored.
    #[inline]
    pub(crate) fn key(&self, i: usize) -> Result<KeyRef<'a>> {
        if self.is_leaf() {
            self.leaf_key(i)
        } else {
            Ok(self.branch_cell(i)?.key)
        }
    }

    /// The raw bytes of cell `i`.
    pub(crate) fn cell_bytes(&self, i: usize) -> Result<&'a [u8]> {
        let off = self.cell_offset(i)?;
        let size = if self.is_leaf() {
            self.leaf_cell(i)?.size
        } else {
            self.branch_cell(i)?.size
        };
        Ok(&self.b[off..off + size])
    }

    /// What is wrong with the cell layout, if anything: every cell must lie in the
    /// content area, no two may overlap, and the fragmented-bytes count must equal
    /// the gaps between them (an inflated count lets an insert write over the cell
    /// pointers). For the integrity check.
    pub(crate) fn layout_problem(&self) -> Option<String> {
        let cs = self.content_start();
        let mut cells = Vec::with_capacity(self.len());
        for i in 0..self.len() {
            let (off, size) = match self
                .cell_offset(i)
                .and_then(|o| Ok((o, self.cell_bytes(i)?.len())))
            {
                Ok(cell) => cell,
                Err(e) => return Some(e.to_string()),
            };
            if off < cs {
                return Some(format!("cell {i} starts before the content area"));
            }
            cells.push((off, size));
        }
        cells.sort_unstable();
        let (mut end, mut gaps) = (cs, 0);
        for (off, size) in cells {
            if off < end {
                return Some(format!("cells overlap at offset {off}"));
            }
            gaps += off - end;
            end = off + size;
        }
        gaps += self.b.len() - end;
        if gaps != self.frag() {
            return Some(format!(
                "{gaps} fragmented bytes in the content area, the header says {}",
                self.frag()
            ));
        }
        None
    }

    /// In a leaf: `Ok(i)` if cell `i` has `key`, else `Err(i)` where it would go.
    /// `src` serves the chains of long keys, read only when a long key's prefix
    /// equals the start of `key`.
    pub(crate) fn search_leaf<S: PageSource + ?Sized>(
        &self,
        src: &S,
        key: &[u8],
    ) -> Result<std::result::Result<usize, usize>> {
        let pointers = self.pointers();
        let inline_max = self.inline_max();
        let (mut lo, mut hi) = (0, pointers.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            let off = self.check_offset(mid, u16::from_le_bytes(pointers[mid]) as usize)?;
            let k = self.leaf_key_at(off, inline_max)?;
            let ord = if k.is_long() {
                super::key::compare(src, k, key)?
            } else {
                compare(k.inline, key)
            };
            match ord {
                Ordering::Less => lo = mid + 1,
                Ordering::Greater => hi = mid,
                Ordering::Equal => return Ok(Ok(mid)),
            }
        }
        Ok(Err(lo))
    }

    /// In a branch: the slot of the child whose subtree holds `key` (`src` as
    /// for [`Node::search_leaf`]).
    pub(crate) fn search_branch<S: PageSource + ?Sized>(
        &self,
        src: &S,
        key: &[u8],
    ) -> Result<usize> {
        let pointers = self.pointers();
        let inline_max = self.inline_max();
        let (mut lo, mut hi) = (0, pointers.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            let off = self.check_offset(mid, u16::from_le_bytes(pointers[mid]) as usize)?;
            let k = self.branch_key_at(off, inline_max)?;
            let ord = if k.is_long() {
                super::key::compare(src, k, key)?
            } else {
                compare(k.inline, key)
            };
            if ord != Ordering::Greater {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        Ok(lo)
    }
}

/// `memcmp` order of two keys, inline: the keys in a search are short (branch
/// separators are a few bytes), where a call to the C `memcmp` costs more than
/// the comparison. Eight bytes at a time, then byte by byte.
#[inline(always)]
pub(crate) fn compare(a: &[u8], b: &[u8]) -> Ordering {
    let common = a.len().min(b.len());
    let (a8, b8) = (a[..common].chunks_exact(8), b[..common].chunks_exact(8));
    let done = common - a8.remainder().len();
    for (x, y) in a8.zip(b8) {
        let x = u64::from_be_bytes(x.try_into().expect("8"));
        let y = u64::from_be_bytes(y.try_into().expect("8"));
        if x != y {
            return x.cmp(&y);
        }
    }
    for (x, y) in a[done..common].iter().zip(&b[done..common]) {
        if x != y {
            return x.cmp(y);
        }
    }
    a.len().cmp(&b.len())
}

/// Write access to a node page.
pub(crate) struct NodeMut<'a> {
    pub b: &'a mut [u8],
}

impl<'a> NodeMut<'a> {
    pub(crate) fn new(page: &'a mut PageBuf) -> NodeMut<'a> {
        NodeMut {
            b: page.bytes_mut(),
        }
    }

    fn view(&self) -> Node<'_> {
        Node { b: self.b, no: 0 }
    }

    /// Makes the page an empty node of type `t`, keeping its tree identity.
    pub(crate) fn init(&mut self, t: PageType) {
        self.b[8..TREE_ID].fill(0);
        self.b[8] = t as u8;
    }

    /// Sets the tree identity (a root's incarnation; 0 for any other node).
    pub(crate) fn set_tree_id(&mut self, id: u64) {
        self.b[TREE_ID..TREE_ID + 8].copy_from_slice(&id.to_le_bytes());
    }

    /// Replaces this node's whole content (cells and header) by `other`'s, keeping
    /// this page's tree identity: a root absorbing its only child stays the root.
    pub(crate) fn take_content(&mut self, other: &[u8]) {
        let id: [u8; 8] = self.b[TREE_ID..TREE_ID + 8].try_into().expect("8");
        self.b[8..].copy_from_slice(&other[8..]);
        self.b[TREE_ID..TREE_ID + 8].copy_from_slice(&id);
    }

    pub(crate) fn set_right_child(&mut self, child: PageNo) {
        self.b[RIGHT_CHILD..RIGHT_CHILD + 4].copy_from_slice(&child.to_le_bytes());
    }

    fn set_len(&mut self, n: usize) {
        self.b[N_CELLS..N_CELLS + 2].copy_from_slice(&(n as u16).to_le_bytes());
    }

    fn set_content_start(&mut self, v: usize) {
        let v = if v == self.b.len() { 0 } else { v as u16 };
        self.b[CONTENT_START..CONTENT_START + 2].copy_from_slice(&v.to_le_bytes());
    }

    fn set_frag(&mut self, v: usize) {
        self.b[FRAG..FRAG + 2].copy_from_slice(&(v as u16).to_le_bytes());
    }

    fn set_ptr(&mut self, i: usize, off: usize) {
        let p = HEADER + 2 * i;
        self.b[p..p + 2].copy_from_slice(&(off as u16).to_le_bytes());
    }

    /// Inserts `cell` at slot `i`. Returns false, changing nothing, if it does not
    /// fit even after defragmenting.
    pub(crate) fn insert(&mut self, i: usize, cell: &[u8]) -> Result<bool> {
        let v = self.view();
        let n = v.len();
        if v.free_space() < cell.len() + 2 {
            return Ok(false);
        }
        let gap = v.content_start() - (HEADER + 2 * n);
        if gap < cell.len() + 2 {
            self.defragment()?;
            // Defragmenting gathers all the free space the header counts, unless
            // the count was damaged (larger than the gaps between the cells).
            if self.view().content_start() < HEADER + 2 * (n + 1) + cell.len() {
                return Err(Error::corrupt(
                    0,
                    "fragmented bytes counted that are not there",
                ));
            }
        }
        let start = self.view().content_start() - cell.len();
        self.b[start..start + cell.len()].copy_from_slice(cell);
        let p = HEADER + 2 * i;
        self.b.copy_within(p..HEADER + 2 * n, p + 2);
        self.set_ptr(i, start);
        self.set_len(n + 1);
        self.set_content_start(start);
        Ok(true)
    }

    /// Removes cell `i` (its bytes become fragmented free space).
    pub(crate) fn remove(&mut self, i: usize, size: usize) {
        let v = self.view();
        let n = v.len();
        let off = u16::from_le_bytes([self.b[HEADER + 2 * i], self.b[HEADER + 2 * i + 1]]) as usize;
        let cs = v.content_start();
        let frag = v.frag();
        if off == cs {
            self.set_content_start(cs + size);
        } else {
            self.set_frag(frag + size);
        }
        let p = HEADER + 2 * i;
        self.b.copy_within(p + 2..HEADER + 2 * n, p);
        self.set_len(n - 1);
    }

    /// Sets the child pointer of branch cell `i` (`i == len`: the right-most child).
    pub(crate) fn set_child(&mut self, i: usize, child: PageNo) {
        if i == self.view().len() {
            self.set_right_child(child);
        } else {
            let off =
                u16::from_le_bytes([self.b[HEADER + 2 * i], self.b[HEADER + 2 * i + 1]]) as usize;
            self.b[off..off + 4].copy_from_slice(&child.to_le_bytes());
        }
    }

    /// Rewrites the content area without gaps.
    fn defragment(&mut self) -> Result<()> {
        let v = self.view();
        let n = v.len();
        let mut cells: Vec<u8> = Vec::with_capacity(self.b.len());
        let mut sizes = Vec::with_capacity(n);
        for i in 0..n {
            let c = v.cell_bytes(i)?;
            if cells.len() + c.len() > self.b.len() - HEADER - 2 * n {
                return Err(Error::corrupt(0, "cells overlap"));
            }
            cells.extend_from_slice(c);
            sizes.push(c.len());
        }
        let mut end = self.b.len();
        let mut pos = 0;
        for (i, size) in sizes.into_iter().enumerate() {
            end -= size;
            self.b[end..end + size].copy_from_slice(&cells[pos..pos + size]);
            pos += size;
            self.set_ptr(i, end);
        }
        self.set_content_start(end);
        self.set_frag(0);
        Ok(())
    }

    /// Replaces all cells with `cells` (already in key order). They must fit.
    pub(crate) fn rebuild<'c>(&mut self, t: PageType, cells: impl Iterator<Item = &'c [u8]>) {
        let right = self.view().right_child();
        self.init(t);
        if t == PageType::Branch {
            self.set_right_child(right);
        }
        let mut end = self.b.len();
        let mut n = 0;
        for c in cells {
            end -= c.len();
            assert!(end >= HEADER + 2 * (n + 1), "rebuild overflowed the page");
            self.b[end..end + c.len()].copy_from_slice(c);
            self.set_ptr(n, end);
            n += 1;
        }
        self.set_len(n);
        self.set_content_start(end);
    }
}

/// Appends a stored key's bytes: the key, or a long key's prefix and chain pointer.
fn put_key(out: &mut Vec<u8>, key: KeyRef<'_>) {
    out.extend_from_slice(key.inline);
    if key.is_long() {
        out.extend_from_slice(&key.first.to_le_bytes());
    }
}

/// Encodes a leaf cell with an inline value.
pub(crate) fn leaf_cell_inline(out: &mut Vec<u8>, key: KeyRef<'_>, value: &[u8]) {
    out.clear();
    varint::put(out, key.len);
    varint::put(out, (value.len() as u64) << 1);
    put_key(out, key);
    out.extend_from_slice(value);
}

/// Encodes a leaf cell whose value lives in an overflow chain.
pub(crate) fn leaf_cell_overflow(out: &mut Vec<u8>, key: KeyRef<'_>, len: u64, first: PageNo) {
    out.clear();
    varint::put(out, key.len);
    varint::put(out, (len << 1) | 1);
    put_key(out, key);
    out.extend_from_slice(&first.to_le_bytes());
}

/// Size of a leaf cell with an inline value.
pub(crate) fn leaf_cell_inline_size(key: KeyRef<'_>, value: usize) -> usize {
    varint::len(key.len) + varint::len((value as u64) << 1) + key.stored_size() + value
}

/// Encodes a branch cell.
pub(crate) fn branch_cell(out: &mut Vec<u8>, child: PageNo, key: KeyRef<'_>) {
    out.clear();
    out.extend_from_slice(&child.to_le_bytes());
    varint::put(out, key.len);
    put_key(out, key);
}

/// Size of a branch cell with this key.
pub(crate) fn branch_cell_size(key: KeyRef<'_>) -> usize {
    4 + varint::len(key.len) + key.stored_size()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::page::Page;

    /// A page source for searches that must read no chain (all keys short).
    struct NoChains;

    impl PageSource for NoChains {
        fn page(&self, no: PageNo) -> Result<Page> {
            Err(Error::corrupt(no, "this test reads no page"))
        }
        fn page_size(&self) -> usize {
            512
        }
    }

    fn leaf(size: usize) -> PageBuf {
        let mut p = PageBuf::zeroed(size);
        NodeMut::new(&mut p).init(PageType::Leaf);
        p
    }

    #[test]
    fn insert_search_remove() {
        let mut p = leaf(512);
        let mut cell = Vec::new();
        for (i, k) in [b"b", b"d", b"a", b"c"].iter().enumerate() {
            let pos = Node::new(&p, 1)
                .unwrap()
                .search_leaf(&NoChains, *k)
                .unwrap()
                .unwrap_err();
            leaf_cell_inline(&mut cell, KeyRef::short(*k), &[i as u8; 10]);
            assert!(NodeMut::new(&mut p).insert(pos, &cell).unwrap());
        }
        let n = Node::new(&p, 1).unwrap();
        let keys: Vec<&[u8]> = (0..n.len())
            .map(|i| n.leaf_key(i).unwrap().inline)
            .collect();
        assert_eq!(keys, vec![b"a", b"b", b"c", b"d"]);
        assert_eq!(n.search_leaf(&NoChains, b"c").unwrap(), Ok(2));
        assert_eq!(n.search_leaf(&NoChains, b"bb").unwrap(), Err(2));
        let c = n.leaf_cell(0).unwrap();
        let ValueLoc::Inline { start, end } = c.value else {
            panic!()
        };
        assert_eq!(&p.bytes()[start..end], &[2u8; 10]);
        let size = c.size;
        NodeMut::new(&mut p).remove(0, size);
        let n = Node::new(&p, 1).unwrap();
        assert_eq!(n.len(), 3);
        assert_eq!(n.leaf_key(0).unwrap().inline, b"b");
    }

    #[test]
    fn fills_then_refuses_then_defragments() {
        let mut p = leaf(512);
        let mut cell = Vec::new();
        let mut count = 0u32;
        loop {
            leaf_cell_inline(&mut cell, KeyRef::short(&count.to_be_bytes()), &[7u8; 40]);
            let pos = Node::new(&p, 1).unwrap().len();
            if !NodeMut::new(&mut p).insert(pos, &cell).unwrap() {
                break;
            }
            count += 1;
        }
        assert_eq!(count, 10); // 46-byte cells + 2-byte pointers in 484 usable bytes
                               // Free every other cell, then a bigger cell must fit via defragmentation.
        for i in (0..5).rev() {
            let size = Node::new(&p, 1).unwrap().leaf_cell(i * 2).unwrap().size;
            NodeMut::new(&mut p).remove(i * 2, size);
        }
        leaf_cell_inline(&mut cell, KeyRef::short(b"zz"), &[1u8; 150]);
        let pos = Node::new(&p, 1).unwrap().len();
        assert!(NodeMut::new(&mut p).insert(pos, &cell).unwrap());
        let n = Node::new(&p, 1).unwrap();
        assert_eq!(n.len(), 6);
        assert_eq!(n.leaf_key(5).unwrap().inline, b"zz");
        assert_eq!(n.leaf_key(0).unwrap().inline, &1u32.to_be_bytes());
    }

    #[test]
    fn branch_search_follows_the_invariant() {
        let mut p = PageBuf::zeroed(512);
        let mut m = NodeMut::new(&mut p);
        m.init(PageType::Branch);
        m.set_right_child(99);
        let mut cell = Vec::new();
        branch_cell(&mut cell, 10, KeyRef::short(b"m"));
        assert!(m.insert(0, &cell).unwrap());
        branch_cell(&mut cell, 11, KeyRef::short(b"t"));
        assert!(m.insert(1, &cell).unwrap());
        let n = Node::new(&p, 1).unwrap();
        assert_eq!(n.search_branch(&NoChains, b"a").unwrap(), 0);
        assert_eq!(n.search_branch(&NoChains, b"m").unwrap(), 1);
        assert_eq!(n.search_branch(&NoChains, b"s").unwrap(), 1);
        assert_eq!(n.search_branch(&NoChains, b"t").unwrap(), 2);
        assert_eq!(n.child(2).unwrap(), 99);
        assert_eq!(n.child(0).unwrap(), 10);
    }

    #[test]
    fn compare_is_memcmp_order() {
        let keys: Vec<Vec<u8>> = [
            &b""[..],
            b"a",
            b"ab",
            b"abcdefgh",
            b"abcdefgh\0",
            b"abcdefgi",
            b"abcdefghabcdefgh",
            b"abcdefghabcdefgz",
            b"abcdefghabcdefgha",
            &[0xff; 9],
            &[0x7f, 0xff, 0, 1, 2, 3, 4, 5, 6, 7, 8],
        ]
        .iter()
        .map(|k| k.to_vec())
        .collect();
        for a in &keys {
            for b in &keys {
                assert_eq!(compare(a, b), a.cmp(b), "{a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn searches_order_short_keys_and_zero_bytes_like_memcmp() {
        // Keys that differ only in length or in zero bytes, around the 8 bytes
        // compared at once, in a leaf and in a branch, the last cell ending at
        // the very end of the page (no 8 bytes to read there).
        let mut keys: Vec<Vec<u8>> = vec![
            vec![],
            vec![0],
            vec![0, 0],
            vec![0, 1],
            vec![1],
            vec![1, 0],
            vec![1, 0, 0, 0, 0, 0, 0, 0],
            vec![1, 0, 0, 0, 0, 0, 0, 0, 0],
            vec![1, 0, 0, 0, 0, 0, 0, 0, 1],
            vec![1, 0, 0, 0, 0, 0, 0, 1],
            vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
            vec![0xff; 7],
            vec![0xff; 8],
            vec![0xff; 9],
        ];
        keys.sort();
        let mut probes = keys.clone();
        probes.extend([vec![0, 0, 0], vec![1, 0, 0], vec![2], vec![0xff; 10]]);
        let mut leaf_page = leaf(512);
        let mut branch_page = PageBuf::zeroed(512);
        NodeMut::new(&mut branch_page).init(PageType::Branch);
        let mut cell = Vec::new();
        // Inserted last first, so the last key's cell sits at the end of the page.
        for (i, k) in keys.iter().enumerate().rev() {
            leaf_cell_inline(&mut cell, KeyRef::short(k), &[]);
            assert!(NodeMut::new(&mut leaf_page).insert(0, &cell).unwrap());
            branch_cell(&mut cell, i as PageNo, KeyRef::short(k));
            assert!(NodeMut::new(&mut branch_page).insert(0, &cell).unwrap());
        }
        let (l, b) = (
            Node::new(&leaf_page, 1).unwrap(),
            Node::new(&branch_page, 2).unwrap(),
        );
        for p in &probes {
            let expect = keys.binary_search(p);
            assert_eq!(l.search_leaf(&NoChains, p).unwrap(), expect, "leaf, {p:?}");
            let after = keys.partition_point(|k| k <= p);
            assert_eq!(
                b.search_branch(&NoChains, p).unwrap(),
                after,
                "branch, {p:?}"
            );
        }
    }

    #[test]
    fn key_only_decode_matches_the_full_decode() {
        // One- and two-byte key lengths, one-, two- and three-byte value codes,
        // inline and overflow values.
        let mut p = leaf(65536);
        let mut cell = Vec::new();
        let shapes = [(1, 0), (24, 150), (200, 10), (300, 9000), (5, 70)];
        for (i, &(klen, vlen)) in shapes.iter().enumerate() {
            let key = vec![i as u8; klen];
            leaf_cell_inline(&mut cell, KeyRef::short(&key), &vec![7u8; vlen]);
            assert!(NodeMut::new(&mut p).insert(2 * i, &cell).unwrap());
            let key = vec![i as u8 | 0x80; klen];
            leaf_cell_overflow(&mut cell, KeyRef::short(&key), 1 << 20, 77);
            assert!(NodeMut::new(&mut p).insert(2 * i + 1, &cell).unwrap());
        }
        let n = Node::new(&p, 1).unwrap();
        for i in 0..n.len() {
            let c = n.leaf_cell(i).unwrap();
            assert_eq!(
                n.leaf_key(i).unwrap().inline,
                &p.bytes()[c.key_start..c.key_end]
            );
            assert_eq!(n.leaf_key(i).unwrap().inline.len(), shapes[i / 2].0);
            let expect = if i % 2 == 0 {
                ValueLoc::Inline {
                    start: c.key_end,
                    end: c.key_end + shapes[i / 2].1,
                }
            } else {
                ValueLoc::Overflow {
                    len: 1 << 20,
                    first: 77,
                }
            };
            assert_eq!(c.value, expect);
        }
    }

    #[test]
    fn truncated_cells_give_errors_not_panics() {
        // A cell at the very end of the page whose lengths or key run past it.
        for tail in [&[0x85u8][..], &[0x05], &[0x05, 0x80], &[0x05, 0x02, 1, 2]] {
            let mut p = PageBuf::zeroed(512);
            p.set_page_type(PageType::Leaf);
            let off = 512 - tail.len();
            p.bytes_mut()[off..].copy_from_slice(tail);
            p.bytes_mut()[10] = 1;
            p.bytes_mut()[12..14].copy_from_slice(&(off as u16).to_le_bytes());
            p.bytes_mut()[HEADER..HEADER + 2].copy_from_slice(&(off as u16).to_le_bytes());
            let n = Node::new(&p, 5).unwrap();
            assert!(matches!(n.leaf_key(0), Err(Error::Corrupt { page: 5, .. })));
            assert!(matches!(
                n.leaf_cell(0),
                Err(Error::Corrupt { page: 5, .. })
            ));
            assert!(matches!(
                n.search_leaf(&NoChains, b"x"),
                Err(Error::Corrupt { page: 5, .. })
            ));
            p.set_page_type(PageType::Branch);
            let n = Node::new(&p, 5).unwrap();
            assert!(matches!(
                n.search_branch(&NoChains, b"x"),
                Err(Error::Corrupt { page: 5, .. })
            ));
        }
    }

    #[test]
    fn long_keys_decode_as_prefix_and_chain_in_both_cell_kinds() {
        // At 512-byte pages keys over 103 bytes are long, with a 51-byte prefix.
        assert_eq!((max_inline_key(512), key_prefix(512)), (103, 51));
        assert_eq!((max_inline_key(4096), key_prefix(4096)), (999, 499));
        let prefix = [9u8; 51];
        let long = KeyRef {
            inline: &prefix,
            len: 5000,
            first: 77,
        };
        let mut p = leaf(512);
        let mut cell = Vec::new();
        leaf_cell_inline(&mut cell, long, b"value");
        assert_eq!(cell.len(), leaf_cell_inline_size(long, 5));
        assert!(NodeMut::new(&mut p).insert(0, &cell).unwrap());
        leaf_cell_overflow(&mut cell, long, 9000, 78);
        assert!(NodeMut::new(&mut p).insert(1, &cell).unwrap());
        let n = Node::new(&p, 1).unwrap();
        for i in 0..2 {
            let c = n.leaf_cell(i).unwrap();
            assert_eq!(n.leaf_key(i).unwrap(), long);
            assert_eq!(c.key(p.bytes()), long);
            assert_eq!(c.payload_start(), c.key_end + 4);
        }
        let c = n.leaf_cell(0).unwrap();
        assert_eq!(
            &p.bytes()[c.payload_start()..c.payload_start() + 5],
            b"value"
        );
        assert_eq!(
            n.leaf_cell(1).unwrap().value,
            ValueLoc::Overflow {
                len: 9000,
                first: 78
            }
        );
        let mut b = PageBuf::zeroed(512);
        NodeMut::new(&mut b).init(PageType::Branch);
        branch_cell(&mut cell, 5, long);
        assert_eq!(cell.len(), branch_cell_size(long));
        assert!(NodeMut::new(&mut b).insert(0, &cell).unwrap());
        let n = Node::new(&b, 2).unwrap();
        let bc = n.branch_cell(0).unwrap();
        assert_eq!((bc.child, bc.key, bc.size), (5, long, cell.len()));
        assert_eq!(&b.bytes()[bc.key_ptr..bc.key_ptr + 4], &77u32.to_le_bytes());
    }

    #[test]
    fn damaged_long_keys_give_errors_not_panics() {
        let cases: [(&str, Vec<u8>); 4] = [
            // key_len 200: long, but the page ends inside its prefix.
            ("prefix cut", vec![0xc8, 0x01, 0x00, 1, 2, 3]),
            // The prefix is there, its chain pointer is not.
            (
                "pointer cut",
                [&[0xc8, 0x01, 0x00][..], &[7; 51], &[1, 0]].concat(),
            ),
            // A chain pointer of 0.
            (
                "no chain",
                [&[0xc8, 0x01, 0x00][..], &[7; 51], &[0; 4]].concat(),
            ),
            // Longer than MAX_KEY_LEN.
            (
                "too long",
                [&[0x81, 0x80, 0x40, 0x00][..], &[7; 51], &[5, 0, 0, 0]].concat(),
            ),
        ];
        for (what, tail) in cases {
            let mut p = PageBuf::zeroed(512);
            p.set_page_type(PageType::Leaf);
            let off = 512 - tail.len();
            p.bytes_mut()[off..].copy_from_slice(&tail);
            p.bytes_mut()[10] = 1;
            p.bytes_mut()[12..14].copy_from_slice(&(off as u16).to_le_bytes());
            p.bytes_mut()[28..30].copy_from_slice(&(off as u16).to_le_bytes());
            let n = Node::new(&p, 5).unwrap();
            assert!(
                matches!(n.leaf_key(0), Err(Error::Corrupt { page: 5, .. })),
                "{what}"
            );
            assert!(
                matches!(n.leaf_cell(0), Err(Error::Corrupt { page: 5, .. })),
                "{what}"
            );
            assert!(
                matches!(
                    n.search_leaf(&NoChains, &[7; 60]),
                    Err(Error::Corrupt { page: 5, .. })
                ),
                "{what}"
            );
        }
    }

    #[test]
    fn garbage_pages_give_errors_not_panics() {
        let mut p = PageBuf::zeroed(512);
        p.set_page_type(PageType::Leaf);
        p.bytes_mut()[10] = 3; // three cells, pointers all zero
        let n = Node::new(&p, 5).unwrap();
        assert!(n.leaf_cell(0).is_err());
        p.bytes_mut()[10] = 255;
        p.bytes_mut()[11] = 255;
        assert!(Node::new(&p, 5).is_err());
    }
}
