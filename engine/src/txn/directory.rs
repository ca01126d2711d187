//! The tree directory: a B+tree (rooted at page 1) mapping tree names to roots.
//!
//! Entry value: root page (u32, little-endian). Names are UTF-8.

use super::Tree;
use crate::btree::{self, PageSink, PageSource};
use crate::error::{Error, Result};
use crate::meta::DIRECTORY_ROOT;
use crate::page::PageNo;

fn decode(name: &str, value: &[u8], gen: u64) -> Result<Tree> {
    let bytes: [u8; 4] = value
        .get(..4)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            Error::corrupt(DIRECTORY_ROOT, format!("bad directory entry for {name:?}"))
        })?;
    Ok(Tree::new(PageNo::from_le_bytes(bytes), gen))
}

pub(crate) fn open<S: PageSource + ?Sized>(src: &S, name: &str, gen: u64) -> Result<Option<Tree>> {
    match btree::get(src, DIRECTORY_ROOT, name.as_bytes())? {
        Some(v) => decode(name, v.value(), gen).map(Some),
        None => Ok(None),
    }
}

pub(crate) fn create<S: PageSink + ?Sized>(sink: &mut S, name: &str, gen: u64) -> Result<Tree> {
    if open(sink, name, gen)?.is_some() {
        return Err(Error::TreeExists { name: name.into() });
    }
    let root = btree::create(sink)?;
    btree::insert(sink, DIRECTORY_ROOT, name.as_bytes(), &root.to_le_bytes())?;
    Ok(Tree::new(root, gen))
}

pub(crate) fn drop<S: PageSink + ?Sized>(sink: &mut S, name: &str, gen: u64) -> Result<()> {
    let tree = open(sink, name, gen)?.ok_or_else(|| Error::TreeNotFound { name: name.into() })?;
    btree::drop_tree(sink, tree.root())?;
    btree::remove(sink, DIRECTORY_ROOT, name.as_bytes())?;
    Ok(())
}

pub(crate) fn list<S: PageSource + ?Sized>(src: &S, gen: u64) -> Result<Vec<(String, Tree)>> {
    let mut out = Vec::new();
    let range = btree::cursor::Range::new(
        src,
        DIRECTORY_ROOT,
        std::ops::Bound::Unbounded,
        std::ops::Bound::Unbounded,
        false,
    );
    for entry in range {
        let entry = entry?;
        let name = String::from_utf8(entry.key().to_vec())
            .map_err(|_| Error::corrupt(DIRECTORY_ROOT, "tree name is not UTF-8"))?;
        let tree = decode(&name, entry.value(), gen)?;
        out.push((name, tree));
    }
    Ok(out)
}
