//! The integrity check: walks every page of one snapshot and reports each problem
//! it finds, without stopping at the first.
//!
//! Checked: every page's checksum (by reading it), node structure, key order
//! inside each node and against the separators above it (whole keys: long
//! keys are read from their chains), equal leaf depth, overflow chains (of
//! values and of long keys and separators), the free list, and that every page is used exactly once
//! (a page used twice, or neither used nor free, is reported). Then the table layer's
//! check: every row against its index entries and the catalog against itself
//! (`table/integrity.rs`).

use std::borrow::Cow;
use std::fmt;

use crate::btree::node::{self, Node, ValueLoc};
use crate::btree::{key, overflow, PageSource, MAX_DEPTH};
use crate::error::{Error, Result};
use crate::meta::{DIRECTORY_ROOT, HEADER_PAGE};
use crate::page::PageNo;
use crate::txn::{free_list_pages, ReadTxn};

/// One problem the integrity check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The page concerned.
    pub page: PageNo,
    /// What is wrong.
    pub detail: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "page {}: {}", self.page, self.detail)
    }
}

/// What the integrity check found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IntegrityReport {
    /// Pages in the database.
    pub page_count: u32,
    /// Pages reached from a tree or the free list.
    pub pages_checked: u32,
    /// Trees walked (the directory included).
    pub trees: usize,
    /// Entries seen in all trees (directory entries included).
    pub entries: u64,
    /// Everything found wrong; empty for a sound database.
    pub problems: Vec<Problem>,
}

impl IntegrityReport {
    /// Whether no problem was found.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// One bit per page: whether something uses it (an eighth of a byte map, which
/// matters when a damaged header claims billions of pages).
struct PageSet(Vec<u64>);

impl PageSet {
    fn new(pages: u32) -> PageSet {
        PageSet(vec![0; (pages as usize).div_ceil(64)])
    }

    fn contains(&self, no: PageNo) -> bool {
        self.0[no as usize / 64] & (1 << (no % 64)) != 0
    }

    fn insert(&mut self, no: PageNo) {
        self.0[no as usize / 64] |= 1 << (no % 64);
    }

    /// Pages below `pages` not in the set, in order.
    fn unused(&self, pages: u32) -> impl Iterator<Item = PageNo> + '_ {
        self.0
            .iter()
            .enumerate()
            .filter(|(_, &w)| w != u64::MAX)
            .flat_map(|(i, &w)| {
                (0..64)
                    .filter(move |b| w & (1 << b) == 0)
                    .map(move |b| (i * 64 + b) as u64)
            })
            .take_while(move |&p| p < u64::from(pages))
            .map(|p| p as PageNo)
    }

    /// How many pages below `pages` are not in the set.
    fn count_unused(&self, pages: u32) -> u64 {
        let used: u64 = self.0.iter().map(|w| u64::from(w.count_ones())).sum();
        u64::from(pages) - used
    }
}

struct Checker<'a> {
    src: &'a ReadTxn,
    owner: PageSet,
    report: IntegrityReport,
}

impl Checker<'_> {
    fn problem(&mut self, page: PageNo, detail: impl Into<String>) {
        if self.report.problems.len() < 1000 {
            self.report.problems.push(Problem {
                page,
                detail: detail.into(),
            });
        }
    }

    /// Marks `no` as used; false (and a problem) if it is out of range or used twice.
    fn claim(&mut self, no: PageNo, what: &str) -> bool {
        if no >= self.report.page_count {
            self.problem(no, format!("{what} points beyond the end of the file"));
            return false;
        }
        if self.owner.contains(no) {
            self.problem(no, format!("page used twice (again as {what})"));
            return false;
        }
        self.owner.insert(no);
        self.report.pages_checked += 1;
        true
    }

    /// Walks a subtree whose keys must lie in `[lo, hi)`. Returns the leaf depth.
    /// `id` is the identity the tree's root must carry (see `btree::Root`; every
    /// other node carries 0).
    fn walk(
        &mut self,
        no: PageNo,
        id: u64,
        lo: Option<&[u8]>,
        hi: Option<&[u8]>,
        depth: usize,
    ) -> Option<usize> {
        if depth > MAX_DEPTH {
            self.problem(no, "tree deeper than the depth limit");
            return None;
        }
        if !self.claim(no, "tree page") {
            return None;
        }
        let page = match self.src.page(no) {
            Ok(p) => p,
            Err(e) => {
                self.problem(no, e.to_string());
                return None;
            }
        };
        let node = match Node::new(&page, no) {
            Ok(n) => n,
            Err(e) => {
                self.problem(no, e.to_string());
                return None;
            }
        };
        if let Some(problem) = node.layout_problem() {
            self.problem(no, problem);
        }
        let have = node::tree_id(&page);
        if depth == 0 && have != id {
            self.problem(
                no,
                format!("tree root carries identity {have}, its directory entry says {id}"),
            );
        } else if depth > 0 && have != 0 {
            self.problem(
                no,
                format!("node below a root carries tree identity {have} (only roots do)"),
            );
        }
        let n = node.len();
        // Whole keys: a long key's chain is read (and its pages claimed) here.
        let mut keys: Vec<Option<Cow<'_, [u8]>>> = Vec::with_capacity(n);
        for i in 0..n {
            let stored = match node.key(i) {
                Ok(k) => k,
                Err(e) => {
                    self.problem(no, e.to_string());
                    return None;
                }
            };
            if stored.is_long() {
                self.overflow(no, stored.first, stored.rest_len());
            }
            match key::load(self.src, stored) {
                Ok(k) => keys.push(Some(k)),
                Err(e) => {
                    self.problem(no, format!("key at cell {i}: {e}"));
                    keys.push(None);
                }
            }
        }
        let mut prev: Option<&[u8]> = None;
        for (i, key) in keys.iter().enumerate() {
            let Some(key) = key.as_deref() else {
                prev = None;
                continue;
            };
            if prev.is_some_and(|p| p >= key) {
                self.problem(no, format!("keys out of order at cell {i}"));
            }
            if lo.is_some_and(|l| key < l) || hi.is_some_and(|h| key >= h) {
                self.problem(
                    no,
                    format!("key at cell {i} outside the range its parent gives"),
                );
            }
            prev = Some(key);
        }
        if node.is_leaf() {
            self.report.entries += n as u64;
            for i in 0..n {
                if let Ok(cell) = node.leaf_cell(i) {
                    if let ValueLoc::Overflow { len, first } = cell.value {
                        self.overflow(no, first, len);
                    }
                }
            }
            return Some(depth);
        }
        let mut depths = Vec::new();
        for slot in 0..=n {
            let child = match node.child(slot) {
                Ok(c) => c,
                Err(e) => {
                    self.problem(no, e.to_string());
                    continue;
                }
            };
            let clo = if slot == 0 {
                lo
            } else {
                keys[slot - 1].as_deref()
            };
            let chi = if slot == n { hi } else { keys[slot].as_deref() };
            if let Some(d) = self.walk(child, id, clo, chi, depth + 1) {
                depths.push(d);
            }
        }
        if depths.windows(2).any(|w| w[0] != w[1]) {
            self.problem(no, "leaves at different depths below this branch");
        }
        depths.first().copied()
    }

    fn overflow(&mut self, holder: PageNo, first: PageNo, len: u64) {
        match overflow::pages(self.src, first, len) {
            Ok(pages) => {
                for p in pages {
                    self.claim(p, "overflow page");
                }
            }
            Err(e) => self.problem(holder, format!("overflow chain: {e}")),
        }
    }
}

/// Checks the snapshot `txn` reads.
pub(crate) fn check(txn: &ReadTxn) -> Result<IntegrityReport> {
    let meta = txn.snapshot().meta;
    let mut c = Checker {
        src: txn,
        owner: PageSet::new(meta.page_count),
        report: IntegrityReport {
            page_count: meta.page_count,
            ..IntegrityReport::default()
        },
    };
    c.claim(HEADER_PAGE, "header");
    c.report.trees += 1;
    c.walk(DIRECTORY_ROOT, 0, None, None, 0);
    match txn.directory_entries() {
        Ok(trees) => {
            for (name, root) in trees {
                c.report.trees += 1;
                if c.walk(root.page, root.id, None, None, 0).is_none()
                    && c.report.problems.is_empty()
                {
                    c.problem(root.page, format!("tree {name:?} could not be walked"));
                }
            }
        }
        Err(e) => c.problem(DIRECTORY_ROOT, format!("tree directory unreadable: {e}")),
    }
    match free_list_pages(txn, meta.free_head, meta.page_count) {
        Ok(free) => {
            if free.len() as u32 != meta.free_count {
                c.problem(
                    HEADER_PAGE,
                    format!(
                        "free list holds {} pages, header says {}",
                        free.len(),
                        meta.free_count
                    ),
                );
            }
            for p in free {
                c.claim(p, "free-list page");
            }
        }
        Err(e) => c.problem(meta.free_head, format!("free list: {e}")),
    }
    // Count the orphans without collecting them: a damaged header can claim 2^32
    // pages, nearly all of them orphans.
    let listed: Vec<PageNo> = c.owner.unused(meta.page_count).take(101).collect();
    for &p in listed.iter().take(100) {
        c.problem(p, "page is neither used nor free (orphan)");
    }
    if let Some(&p) = listed.get(100) {
        let rest = c.owner.count_unused(meta.page_count) - 100;
        c.problem(p, format!("… and {rest} more orphan pages"));
    }
    // Tables against their indexes, and the catalog against itself.
    match crate::table::integrity::check_all(txn) {
        Ok(problems) => problems
            .into_iter()
            .for_each(|p| c.problem(p.page, p.detail)),
        Err(e) => c.problem(DIRECTORY_ROOT, format!("table check failed: {e}")),
    }
    Ok(c.report)
}

impl From<&Problem> for Error {
    fn from(p: &Problem) -> Error {
        Error::corrupt(p.page, p.detail.clone())
    }
}

#[cfg(test)]
mod tests {
    use crate::btree::node::{Node, NodeMut};
    use crate::btree::PageSink;
    use crate::{Database, Error, Problem};

    #[test]
    fn tree_identities_are_checked_against_the_directory() {
        let db = Database::memory().unwrap();
        let mut w = db.begin_write().unwrap();
        let a = w.create_tree("a").unwrap();
        for i in 0..300u32 {
            w.insert(&a, &i.to_be_bytes(), &[5u8; 60]).unwrap();
        }
        w.commit().unwrap();
        assert!(db.check_integrity().unwrap().is_ok());

        // A root that lost its identity, and a leaf that claims one.
        let mut w = db.begin_write().unwrap();
        let pages = w.pages_mut();
        NodeMut::new(pages.page_mut(a.root()).unwrap()).set_tree_id(99);
        let leaf = {
            let page = crate::btree::PageSource::page(pages, a.root()).unwrap();
            Node::new(&page, a.root()).unwrap().child(0).unwrap()
        };
        NodeMut::new(pages.page_mut(leaf).unwrap()).set_tree_id(1);
        w.commit().unwrap();

        let report = db.check_integrity().unwrap();
        assert_eq!(
            report.problems,
            vec![
                Problem {
                    page: a.root(),
                    detail: "tree root carries identity 99, its directory entry says 1".into(),
                },
                Problem {
                    page: leaf,
                    detail: "node below a root carries tree identity 1 (only roots do)".into(),
                },
            ]
        );
        // Opening by name finds the damage; the old handle is refused as stale.
        let r = db.begin_read().unwrap();
        let want = format!(
            "database corrupt at page {}: root page of tree \"a\" does not carry the tree's identity 1",
            a.root()
        );
        match r.open_tree("a") {
            Err(e @ Error::Corrupt { .. }) => assert_eq!(e.to_string(), want),
            other => panic!("expected Corrupt, got {other:?}"),
        }
        assert!(matches!(r.list_trees(), Err(Error::Corrupt { .. })));
        assert!(matches!(r.get(&a, b"k"), Err(Error::StaleTree)));
        assert_eq!(
            format!("{}", report.problems[0]),
            format!(
                "page {}: tree root carries identity 99, its directory entry says 1",
                a.root()
            )
        );
    }
}
