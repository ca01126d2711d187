//! Long keys: a key longer than `node::max_inline_key` keeps its first
//! `node::key_prefix` bytes in its cell and the rest in an overflow chain of its
//! own (the value chains' format, `overflow.rs`).
//!
//! Every cell that holds a long key owns its chain: a leaf entry's key, and each
//! branch separator that had to be long (two neighbours sharing a long prefix).
//! A chain is freed exactly when its cell is dropped (a removed entry, a
//! separator removed by a merge of leaves, a cleared tree), and moves with its
//! cell when a separator goes up in a split or down in a merge of branches, so
//! no page is leaked nor referenced twice.
//!
//! Comparisons look at the prefix first and read the chain only when the prefix
//! equals the start of the other key, page by page until the first difference:
//! keys whose prefixes differ, and all short keys, cost no read.

use std::borrow::Cow;
use std::cmp::Ordering;

use super::node::{self, KeyRef, MAX_KEY_LEN};
use super::{overflow, PageSink, PageSource};
use crate::error::{Error, Result};

/// The `memcmp` order of the stored key `k` against `probe`.
#[inline]
pub(crate) fn compare<S: PageSource + ?Sized>(
    src: &S,
    k: KeyRef<'_>,
    probe: &[u8],
) -> Result<Ordering> {
    if !k.is_long() {
        return Ok(node::compare(k.inline, probe));
    }
    let p = k.inline.len();
    // A probe no longer than the prefix is decided here: equal bytes make the
    // long key the greater one (it is longer).
    match node::compare(k.inline, &probe[..p.min(probe.len())]) {
        Ordering::Equal => {}
        ord => return Ok(ord),
    }
    overflow::compare(src, k.first, k.rest_len(), &probe[p..])
}

/// The whole key: borrowed from the page when inline, read from its chain else.
pub(crate) fn load<'a, S: PageSource + ?Sized>(src: &S, k: KeyRef<'a>) -> Result<Cow<'a, [u8]>> {
    if !k.is_long() {
        return Ok(Cow::Borrowed(k.inline));
    }
    let mut key = Vec::with_capacity(k.len as usize);
    key.extend_from_slice(k.inline);
    key.extend_from_slice(&overflow::read(src, k.first, k.rest_len())?);
    Ok(Cow::Owned(key))
}

/// The stored form of `key` (at most [`MAX_KEY_LEN`] bytes): itself if short,
/// else its prefix and a new chain written for the rest, which the cell built
/// from it will own.
pub(crate) fn store<'k, S: PageSink + ?Sized>(sink: &mut S, key: &'k [u8]) -> Result<KeyRef<'k>> {
    let page_size = sink.page_size();
    if key.len() <= node::max_inline_key(page_size) {
        return Ok(KeyRef::short(key));
    }
    let p = node::key_prefix(page_size);
    let first = overflow::write(sink, &key[p..])?;
    Ok(KeyRef {
        inline: &key[..p],
        len: key.len() as u64,
        first,
    })
}

/// Frees the chain of a stored key, if it has one (its cell is being dropped).
pub(crate) fn free<S: PageSink + ?Sized>(sink: &mut S, k: KeyRef<'_>) -> Result<()> {
    if k.is_long() {
        overflow::free(sink, k.first, k.rest_len())?;
    }
    Ok(())
}

/// The shortest key `s` with `left < s <= right` (see [`super::separator`]) of
/// two stored keys, reading their chains only when their prefixes do not decide.
pub(crate) fn separator<S: PageSource + ?Sized>(
    src: &S,
    left: KeyRef<'_>,
    right: KeyRef<'_>,
) -> Result<Vec<u8>> {
    let (a, b) = (left.inline, right.inline);
    let common = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    // A difference inside both stored parts is the difference of the keys.
    if common < a.len().min(b.len()) || (!left.is_long() && !right.is_long()) {
        return Ok(super::separator(a, b));
    }
    Ok(super::separator(&load(src, left)?, &load(src, right)?))
}

/// Refuses a key longer than [`MAX_KEY_LEN`].
pub(crate) fn check_len(key: &[u8]) -> Result<()> {
    if key.len() > MAX_KEY_LEN {
        return Err(Error::KeyTooLarge {
            len: key.len(),
            max: MAX_KEY_LEN,
        });
    }
    Ok(())
}
