//! The tree directory: a B+tree (rooted at page 1) mapping tree names to trees.
//!
//! Entry: key = the tree's name (UTF-8); value = root page (u32) then the tree's
//! identity (u64), little-endian. The identity is also in the root page's node
//! header (see [`Root`]); opening a tree by name checks that they agree, so a
//! handle given out always names a tree that is there.

use crate::btree::{self, PageSource, Root};
use crate::error::{Error, Result};
use crate::meta::DIRECTORY_ROOT;
use crate::page::PageBuf;

use super::TxnPages;

/// The directory itself: no handle reaches it, so its root is not checked.
const DIRECTORY: Root = Root {
    page: DIRECTORY_ROOT,
    id: 0,
};

const ENTRY_LEN: usize = 12;

fn encode(root: Root) -> [u8; ENTRY_LEN] {
    let mut v = [0u8; ENTRY_LEN];
    v[..4].copy_from_slice(&root.page.to_le_bytes());
    v[4..].copy_from_slice(&root.id.to_le_bytes());
    v
}

fn decode(name: &str, value: &[u8]) -> Result<Root> {
    let bad = || Error::corrupt(DIRECTORY_ROOT, format!("bad directory entry for {name:?}"));
    if value.len() != ENTRY_LEN {
        return Err(bad());
    }
    let page = u32::from_le_bytes(value[..4].try_into().expect("4"));
    let id = u64::from_le_bytes(value[4..].try_into().expect("8"));
    if id == 0 {
        return Err(bad());
    }
    Ok(Root { page, id })
}

/// Checks that the root page of tree `name` carries the identity its entry gives.
fn verify<S: PageSource + ?Sized>(src: &S, name: &str, root: Root) -> Result<()> {
    let page = src.page(root.page)?;
    root.check(&page).map_err(|_| {
        Error::corrupt(
            root.page,
            format!(
                "root page of tree {name:?} does not carry the tree's identity {}",
                root.id
            ),
        )
    })
}

/// The tree called `name`, checked against its root page.
pub(crate) fn open<S: PageSource + ?Sized>(src: &S, name: &str) -> Result<Option<Root>> {
    match btree::get(src, DIRECTORY, name.as_bytes())? {
        Some(v) => {
            let root = decode(name, v.value())?;
            verify(src, name, root)?;
            Ok(Some(root))
        }
        None => Ok(None),
    }
}

/// Creates tree `name` with identity `id` (fresh from `HandleScope::issue`).
pub(crate) fn create(pages: &mut TxnPages, name: &str, id: u64) -> Result<Root> {
    if btree::get(pages, DIRECTORY, name.as_bytes())?.is_some() {
        return Err(Error::TreeExists { name: name.into() });
    }
    let root = btree::create(pages, id)?;
    btree::insert(pages, DIRECTORY, name.as_bytes(), &encode(root))?;
    Ok(root)
}

/// Drops tree `name`: frees its pages and wipes its root.
pub(crate) fn drop(pages: &mut TxnPages, name: &str) -> Result<()> {
    let root = open(pages, name)?.ok_or_else(|| Error::TreeNotFound { name: name.into() })?;
    btree::drop_tree(pages, root)?;
    // Freeing writes nothing, so the freed root would keep the dropped tree's
    // identity in the file, and a handle of the dropped tree would read its dead
    // pages through it. Write it once more, blank (no node, no identity): then
    // only a tree created later in this page can match, with a newer identity.
    // Unless the free list took the page as its new trunk page (which is no node).
    if pages.meta.free_head != root.page {
        let blank = PageBuf::zeroed(pages.page_size());
        pages.put_page(root.page, blank);
    }
    btree::remove(pages, DIRECTORY, name.as_bytes())?;
    Ok(())
}

/// Every directory entry, in name order, not checked against the root pages (the
/// integrity check compares them itself and reports every mismatch).
pub(crate) fn entries<S: PageSource + ?Sized>(src: &S) -> Result<Vec<(String, Root)>> {
    let mut out = Vec::new();
    let range = btree::cursor::Range::new(
        src,
        DIRECTORY,
        std::ops::Bound::Unbounded,
        std::ops::Bound::Unbounded,
        false,
    );
    for entry in range {
        let entry = entry?;
        let name = String::from_utf8(entry.key().to_vec())
            .map_err(|_| Error::corrupt(DIRECTORY_ROOT, "tree name is not UTF-8"))?;
        let root = decode(&name, entry.value())?;
        out.push((name, root));
    }
    Ok(out)
}

/// Every tree, by name, each checked against its root page.
pub(crate) fn list<S: PageSource + ?Sized>(src: &S) -> Result<Vec<(String, Root)>> {
    let trees = entries(src)?;
    for (name, root) in &trees {
        verify(src, name, *root)?;
    }
    Ok(trees)
}
