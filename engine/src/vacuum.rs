//! VACUUM: compacts the database so that it holds no free pages, inside one
//! write transaction (so it is atomic and crash-safe like any commit).
//!
//! With `L` live pages, every live page numbered `≥ L` moves into a free slot
//! below `L` (there are exactly as many of those), every reference to a moved
//! page is rewritten, and the page count becomes `L`; the next checkpoint cuts
//! the file. Tree roots may move, so the layout generation in the header is
//! bumped and older [`Tree`](crate::Tree) handles are refused (`StaleTree`).

use std::collections::{BTreeSet, HashMap};

use crate::btree::node::{Node, NodeMut, ValueLoc};
use crate::btree::{PageSink, PageSource, MAX_DEPTH};
use crate::error::{Error, Result};
use crate::meta::{DIRECTORY_ROOT, HEADER_PAGE};
use crate::page::{PageBuf, PageNo};
use crate::txn::TxnPages;

/// What a vacuum did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VacuumOutcome {
    /// Pages before.
    pub pages_before: u32,
    /// Pages after.
    pub pages_after: u32,
    /// Pages that moved.
    pub pages_moved: u32,
}

/// Where a page number is stored.
#[derive(Debug, Clone, Copy)]
enum RefAt {
    /// Child `slot` of a branch.
    Child(usize),
    /// The value overflow pointer of leaf cell `i`.
    Overflow(usize),
    /// The key overflow pointer of leaf cell `i` (a long key).
    LeafKey(usize),
    /// The key overflow pointer of branch cell `i` (a long separator).
    BranchKey(usize),
    /// The root page in the value of directory cell `i`.
    Root(usize),
    /// The next pointer of an overflow page.
    Next,
}

struct Ref {
    holder: PageNo,
    at: RefAt,
    target: PageNo,
}

struct Walk {
    /// The page count: every reference must be below it.
    page_count: PageNo,
    /// Pages reached. A set, not a map of every page: a damaged header can claim
    /// 2^32 pages, and the work must follow the pages that really exist.
    live: BTreeSet<PageNo>,
    refs: Vec<Ref>,
}

impl Walk {
    fn claim(&mut self, no: PageNo) -> Result<()> {
        if no >= self.page_count {
            return Err(Error::corrupt(no, "reference beyond the end of the file"));
        }
        if !self.live.insert(no) {
            return Err(Error::corrupt(no, "page referenced twice"));
        }
        Ok(())
    }

    fn tree(&mut self, src: &TxnPages, no: PageNo, directory: bool, depth: usize) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(Error::corrupt(no, "tree deeper than the depth limit"));
        }
        self.claim(no)?;
        let page = src.page(no)?;
        let node = Node::new(&page, no)?;
        if node.is_leaf() {
            for i in 0..node.len() {
                let cell = node.leaf_cell(i)?;
                if let Some((first, len)) = cell.key_chain() {
                    self.refs.push(Ref {
                        holder: no,
                        at: RefAt::LeafKey(i),
                        target: first,
                    });
                    self.chain(src, first, len)?;
                }
                match cell.value {
                    ValueLoc::Overflow { len, first } => {
                        self.refs.push(Ref {
                            holder: no,
                            at: RefAt::Overflow(i),
                            target: first,
                        });
                        self.chain(src, first, len)?;
                    }
                    ValueLoc::Inline { start, end } if directory => {
                        let bytes: [u8; 4] = page.bytes()[start..end]
                            .get(..4)
                            .and_then(|b| b.try_into().ok())
                            .ok_or_else(|| Error::corrupt(no, "bad directory entry"))?;
                        let root = PageNo::from_le_bytes(bytes);
                        self.refs.push(Ref {
                            holder: no,
                            at: RefAt::Root(i),
                            target: root,
                        });
                        self.tree(src, root, false, 0)?;
                    }
                    ValueLoc::Inline { .. } => {}
                }
            }
            return Ok(());
        }
        for i in 0..node.len() {
            let key = node.branch_cell(i)?.key;
            if key.is_long() {
                self.refs.push(Ref {
                    holder: no,
                    at: RefAt::BranchKey(i),
                    target: key.first,
                });
                self.chain(src, key.first, key.rest_len())?;
            }
        }
        for slot in 0..=node.len() {
            let child = node.child(slot)?;
            self.refs.push(Ref {
                holder: no,
                at: RefAt::Child(slot),
                target: child,
            });
            self.tree(src, child, directory, depth + 1)?;
        }
        Ok(())
    }

    fn chain(&mut self, src: &TxnPages, first: PageNo, len: u64) -> Result<()> {
        let pages = crate::btree::overflow::pages(src, first, len)?;
        for (i, &p) in pages.iter().enumerate() {
            self.claim(p)?;
            if let Some(&next) = pages.get(i + 1) {
                self.refs.push(Ref {
                    holder: p,
                    at: RefAt::Next,
                    target: next,
                });
            }
        }
        Ok(())
    }
}

/// Compacts the database inside the write transaction `pages`.
pub(crate) fn vacuum(pages: &mut TxnPages) -> Result<VacuumOutcome> {
    let before = pages.meta.page_count;
    let mut walk = Walk {
        page_count: before,
        live: BTreeSet::new(),
        refs: Vec::new(),
    };
    walk.claim(HEADER_PAGE)?;
    walk.tree(pages, DIRECTORY_ROOT, true, 0)?;
    let target = walk.live.len() as PageNo;
    let slots: Vec<PageNo> = (0..target).filter(|p| !walk.live.contains(p)).collect();
    let movers: Vec<PageNo> = walk.live.range(target..).copied().collect();
    debug_assert_eq!(slots.len(), movers.len());
    let mut moved_to: HashMap<PageNo, PageNo> = HashMap::with_capacity(movers.len());
    for (&from, &to) in movers.iter().zip(&slots) {
        let content: PageBuf = (*pages.page(from)?).clone();
        pages.put_page(to, content);
        moved_to.insert(from, to);
    }
    let new_no = |p: PageNo| {
        if p >= target {
            moved_to[&p]
        } else {
            p
        }
    };
    for r in &walk.refs {
        if r.target < target {
            continue;
        }
        let holder = new_no(r.holder);
        let to = new_no(r.target);
        let page = pages.page_mut(holder)?;
        match r.at {
            RefAt::Child(slot) => NodeMut::new(page).set_child(slot, to),
            RefAt::Next => page.put_u32(12, to),
            RefAt::Overflow(i) | RefAt::Root(i) => {
                let node = Node::new(page, holder)?;
                let off = node.leaf_cell(i)?.payload_start();
                page.put_u32(off, to);
            }
            RefAt::LeafKey(i) => {
                let off = Node::new(page, holder)?.leaf_cell(i)?.key_end;
                page.put_u32(off, to);
            }
            RefAt::BranchKey(i) => {
                let off = Node::new(page, holder)?.branch_cell(i)?.key_ptr;
                page.put_u32(off, to);
            }
        }
    }
    pages.truncate_to(target);
    Ok(VacuumOutcome {
        pages_before: before,
        pages_after: target,
        pages_moved: movers.len() as u32,
    })
}
