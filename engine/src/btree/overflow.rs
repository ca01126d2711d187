//! Overflow chains: values too large for a leaf cell, and the tails of keys
//! too long for one (see `key.rs`), live in a linked list of overflow pages.
//!
//! Overflow page: checksum (8), type (1), reserved (3), next page (4, 0 = last),
//! then data. The chain's length in pages follows from the value length stored in
//! the leaf cell, which also bounds the walk; a page met twice (a loop in a
//! damaged file) is an error.

use std::cmp::Ordering;
use std::collections::HashSet;

use super::{node, PageSink, PageSource};
use crate::error::{Error, Result};
use crate::page::{PageNo, PageType};

const NEXT: usize = 12;
const DATA: usize = 16;
/// The longest value the engine stores (`insert` refuses longer ones).
const MAX_LEN: u64 = u32::MAX as u64;
/// The most `read` reserves before it has read the pages: a damaged length must
/// not allocate gigabytes for a chain that ends after a page.
const MAX_RESERVE: u64 = 1 << 20;

/// Refuses a length no stored value has; returns the chain's length in pages.
fn chain_pages(first: PageNo, len: u64, cap: usize) -> Result<u64> {
    if len > MAX_LEN {
        return Err(Error::corrupt(
            first,
            "overflow value longer than the maximum",
        ));
    }
    Ok(len.div_ceil(cap as u64).max(1))
}

/// Pages walked before `Visited` starts to remember them: a short chain is cheap
/// to walk even if it loops, and most chains are short.
const UNCHECKED: usize = 16;

/// The pages of a chain walked so far, to find a loop (a page met twice).
#[derive(Default)]
struct Visited {
    walked: usize,
    seen: HashSet<PageNo>,
}

impl Visited {
    fn visit(&mut self, no: PageNo) -> Result<()> {
        self.walked += 1;
        if self.walked > UNCHECKED && !self.seen.insert(no) {
            return Err(Error::corrupt(no, "overflow chain loops"));
        }
        Ok(())
    }
}

/// Data bytes per overflow page.
pub(crate) fn capacity(page_size: usize) -> usize {
    page_size - DATA
}

/// Writes `value` into a new chain and returns its first page.
pub(crate) fn write<S: PageSink + ?Sized>(sink: &mut S, value: &[u8]) -> Result<PageNo> {
    let cap = capacity(sink.page_size());
    let chunks: Vec<&[u8]> = value.chunks(cap).collect();
    let mut pages = Vec::with_capacity(chunks.len());
    for _ in 0..chunks.len() {
        pages.push(sink.allocate()?);
    }
    for (i, chunk) in chunks.iter().enumerate() {
        let next = pages.get(i + 1).copied().unwrap_or(0);
        let page = sink.page_mut(pages[i])?;
        page.set_page_type(PageType::Overflow);
        page.put_u32(NEXT, next);
        page.bytes_mut()[DATA..DATA + chunk.len()].copy_from_slice(chunk);
    }
    Ok(pages[0])
}

/// Reads a chain of `len` bytes starting at `first`.
pub(crate) fn read<S: PageSource + ?Sized>(src: &S, first: PageNo, len: u64) -> Result<Vec<u8>> {
    let cap = capacity(src.page_size());
    chain_pages(first, len, cap)?;
    let mut out = Vec::with_capacity(len.min(MAX_RESERVE) as usize);
    let mut visited = Visited::default();
    let mut no = first;
    while (out.len() as u64) < len {
        if no == 0 {
            return Err(Error::corrupt(first, "overflow chain ends early"));
        }
        visited.visit(no)?;
        let page = src.page(no)?;
        if page.page_type() != Some(PageType::Overflow) {
            return Err(Error::corrupt(no, "expected an overflow page"));
        }
        let take = cap.min((len - out.len() as u64) as usize);
        out.extend_from_slice(&page.bytes()[DATA..DATA + take]);
        no = page.u32_at(NEXT);
    }
    Ok(out)
}

/// Frees the chain of `len` bytes starting at `first`.
pub(crate) fn free<S: PageSink + ?Sized>(sink: &mut S, first: PageNo, len: u64) -> Result<()> {
    let count = chain_pages(first, len, capacity(sink.page_size()))?;
    let mut visited = Visited::default();
    let mut no = first;
    for _ in 0..count {
        if no == 0 {
            return Err(Error::corrupt(first, "overflow chain ends early"));
        }
        visited.visit(no)?;
        let page = sink.page(no)?;
        if page.page_type() != Some(PageType::Overflow) {
            return Err(Error::corrupt(no, "expected an overflow page"));
        }
        let next = page.u32_at(NEXT);
        drop(page);
        sink.free(no)?;
        no = next;
    }
    Ok(())
}

/// The pages of a chain, for the integrity check.
pub(crate) fn pages<S: PageSource + ?Sized>(
    src: &S,
    first: PageNo,
    len: u64,
) -> Result<Vec<PageNo>> {
    let count = chain_pages(first, len, capacity(src.page_size()))?;
    let mut out = Vec::with_capacity(count.min(MAX_RESERVE) as usize);
    let mut visited = Visited::default();
    let mut no = first;
    for _ in 0..count {
        if no == 0 {
            return Err(Error::corrupt(first, "overflow chain ends early"));
        }
        visited.visit(no)?;
        let page = src.page(no)?;
        if page.page_type() != Some(PageType::Overflow) {
            return Err(Error::corrupt(no, "expected an overflow page"));
        }
        out.push(no);
        no = page.u32_at(NEXT);
    }
    Ok(out)
}

/// The `memcmp` order of the `len` bytes of the chain at `first` against
/// `other`, reading pages only until the first difference (a long key that
/// differs from the key sought early in its chain costs one page).
pub(crate) fn compare<S: PageSource + ?Sized>(
    src: &S,
    first: PageNo,
    len: u64,
    other: &[u8],
) -> Result<Ordering> {
    let cap = capacity(src.page_size());
    chain_pages(first, len, cap)?;
    let mut visited = Visited::default();
    let (mut no, mut pos) = (first, 0usize);
    while (pos as u64) < len {
        if pos >= other.len() {
            // Equal so far and the chain goes on: it is the longer one.
            return Ok(Ordering::Greater);
        }
        if no == 0 {
            return Err(Error::corrupt(first, "overflow chain ends early"));
        }
        visited.visit(no)?;
        let page = src.page(no)?;
        if page.page_type() != Some(PageType::Overflow) {
            return Err(Error::corrupt(no, "expected an overflow page"));
        }
        let take = cap.min((len - pos as u64) as usize);
        let chunk = &page.bytes()[DATA..DATA + take];
        let theirs = &other[pos..other.len().min(pos + take)];
        match node::compare(chunk, theirs) {
            Ordering::Equal => {}
            ord => return Ok(ord),
        }
        pos += take;
        no = page.u32_at(NEXT);
    }
    Ok(len.cmp(&(other.len() as u64)))
}
