//! The pages of an open write transaction: copy-on-write over the snapshot it
//! started from, spilled to the WAL when they outgrow their memory budget, with
//! undo records for savepoints.
//!
//! Invariants:
//! - A page's current version in the transaction is, in order of precedence, its
//!   entry in `dirty`, its frame in `spilled`, its version in the main file if
//!   it is at or past the base's page count (written there by this transaction,
//!   see `split_direct`), or its version in `base`.
//! - A page's main-file version that an open savepoint needs (its undo record
//!   says `in_main`) is never overwritten: the page goes through the WAL instead.
//! - A savepoint keeps no undo record for pages at or past its page count:
//!   rolling back to it drops them all, wherever they are.
//! - Every frame this transaction wrote for a page is older than the version the
//!   commit writes for it, or is that version: recovery takes the newest frame of
//!   each page. (`rollback_to` re-dirties restored pages to keep this true.)
//! - `meta.page_count` bounds every page the transaction reads or writes.

use std::sync::Arc;

use crate::btree::{PageSink, PageSource};
use crate::cache::FastMap;
use crate::error::{Error, Result};
use crate::meta::Meta;
use crate::page::{Page, PageBuf, PageNo, PageType};
use crate::pager::{Pager, Snapshot};
use crate::wal::FrameNo;

/// A page's place in the transaction before a savepoint changed it.
#[derive(Clone)]
pub(crate) struct Prior {
    dirty: Option<Page>,
    spilled: Option<FrameNo>,
    /// Neither: its version was the one this transaction wrote into the main
    /// file (or it was free there). That version must stay until the savepoint
    /// is gone.
    in_main: bool,
}

/// What a savepoint needs to roll back to.
pub(crate) struct SavepointState {
    pub id: u32,
    pub meta: Meta,
    pub undo: FastMap<PageNo, Prior>,
    /// The last frame this transaction had written when the savepoint opened.
    pub frame_mark: FrameNo,
}

pub(crate) struct TxnPages {
    pub pager: Arc<Pager>,
    pub base: Arc<Snapshot>,
    pub meta: Meta,
    pub dirty: FastMap<PageNo, Page>,
    pub spilled: FastMap<PageNo, FrameNo>,
    pub savepoints: Vec<SavepointState>,
    dirty_limit: usize,
    page_size: usize,
    /// Dirty pages last reported to the cache as reserved.
    reserved_pages: usize,
    /// Pages from this number on are read by no snapshot and by no recovery
    /// (see `split_direct`).
    direct_floor: PageNo,
    /// Whether any page was written straight into the main file.
    pub wrote_direct: bool,
    /// The newest WAL frame this transaction wrote for each page, including
    /// frames that a rollback to a savepoint made stale: recovery takes every
    /// frame before the commit mark, so the committed state maps them too.
    framed: FastMap<PageNo, FrameNo>,
    /// The last frame this transaction wrote (0: none).
    last_frame: FrameNo,
    /// Above every page in `dirty` and `spilled`: the largest page count since the
    /// transaction began or `forget_past_end` last ran. Lets a rollback to a savepoint
    /// visit only the pages allocated since (a statement's), not the transaction's.
    high_water: PageNo,
}

/// Pages for the main file, and pages for the WAL.
type DirectAndWal = (Vec<(PageNo, PageBuf)>, Vec<(PageNo, PageBuf)>);

// Free-list trunk page: checksum (8), type (1), reserved (3), next trunk (4),
// entry count (4), then u32 page numbers.
const TRUNK_NEXT: usize = 12;
const TRUNK_COUNT: usize = 16;
const TRUNK_ENTRIES: usize = 20;

impl TxnPages {
    pub(crate) fn new(pager: Arc<Pager>, base: Arc<Snapshot>) -> TxnPages {
        let page_size = pager.page_size();
        // Dirty pages share the cache's bound with clean ones: up to three quarters
        // of it, so that a big transaction rewrites spilled pages rarely.
        let dirty_limit = (pager.cache_capacity() / 4 * 3 / page_size).max(64);
        let direct_floor = pager.direct_floor(&base);
        let high_water = base.meta.page_count;
        TxnPages {
            meta: base.meta,
            pager,
            base,
            dirty: FastMap::default(),
            spilled: FastMap::default(),
            savepoints: Vec::new(),
            dirty_limit,
            page_size,
            reserved_pages: 0,
            direct_floor,
            wrote_direct: false,
            framed: FastMap::default(),
            last_frame: 0,
            high_water,
        }
    }

    /// Tells the cache how much memory the dirty pages take, when that changed by
    /// more than a few pages (or went to zero).
    fn sync_reservation(&mut self) {
        let n = self.dirty.len();
        if n == 0 || n.abs_diff(self.reserved_pages) >= 32 {
            self.reserved_pages = n;
            self.pager.reserve_cache(n * self.page_size);
        }
    }

    /// Gives the reservation back (end of the transaction).
    pub(crate) fn release_reservation(&mut self) {
        self.reserved_pages = 0;
        self.pager.reserve_cache(0);
    }

    fn check_bounds(&self, no: PageNo) -> Result<()> {
        if no >= self.meta.page_count {
            return Err(Error::corrupt(
                no,
                format!("page beyond the end ({} pages)", self.meta.page_count),
            ));
        }
        Ok(())
    }

    /// Records how page `no` stood before its first change since the newest
    /// savepoint. Pages past the savepoint's end need no record (a rollback drops
    /// them): a large load inside a savepoint keeps no undo for its new pages.
    fn remember(&mut self, no: PageNo) {
        let base_count = self.base.meta.page_count;
        if let Some(sp) = self.savepoints.last_mut() {
            if no < sp.meta.page_count && !sp.undo.contains_key(&no) {
                let dirty = self.dirty.get(&no).cloned();
                let spilled = self.spilled.get(&no).copied();
                let in_main = dirty.is_none() && spilled.is_none() && no >= base_count;
                sp.undo.insert(
                    no,
                    Prior {
                        dirty,
                        spilled,
                        in_main,
                    },
                );
            }
        }
    }

    /// Whether an open savepoint needs page `no`'s main-file version.
    fn main_version_needed(&self, no: PageNo) -> bool {
        self.savepoints
            .iter()
            .any(|sp| sp.undo.get(&no).is_some_and(|p| p.in_main))
    }

    /// Writes the dirty pages to the WAL when they exceed the budget.
    fn maybe_spill(&mut self) -> Result<()> {
        if self.dirty.len() < self.dirty_limit {
            return Ok(());
        }
        self.spill()
    }

    /// Writes every dirty page to the WAL as uncommitted frames.
    pub(crate) fn spill(&mut self) -> Result<()> {
        // Branch pages, page 0 and free-list trunks are changed again and again
        // (every split touches a branch): keep them, unless they are most of the set.
        let hot = |p: &Page| {
            matches!(
                p.page_type(),
                Some(PageType::Branch | PageType::Header | PageType::FreeTrunk)
            )
        };
        let hot_count = self.dirty.values().filter(|p| hot(p)).count();
        let keep_hot = hot_count * 2 < self.dirty.len();
        let doomed: Vec<PageNo> = self
            .dirty
            .iter()
            .filter(|(_, p)| !(keep_hot && hot(p)))
            .map(|(&no, _)| no)
            .collect();
        let pages: Vec<(PageNo, PageBuf)> = doomed
            .into_iter()
            .map(|no| {
                let p = self.dirty.remove(&no).expect("listed above");
                (
                    no,
                    Arc::try_unwrap(p).unwrap_or_else(|shared| (*shared).clone()),
                )
            })
            .collect();
        let (mut direct, mut bufs) = self.split_direct(pages);
        if let Err(e) = self.pager.write_direct(&mut direct) {
            self.restore_dirty(direct.into_iter().chain(bufs));
            return Err(e);
        }
        self.wrote_direct |= !direct.is_empty();
        let first = {
            let mut refs: Vec<(PageNo, &mut PageBuf)> =
                bufs.iter_mut().map(|(n, p)| (*n, p)).collect();
            match self.pager.spill(&mut refs) {
                Ok(f) => f,
                Err(e) => {
                    // Put the pages back so the transaction is intact.
                    self.restore_dirty(direct.into_iter().chain(bufs));
                    return Err(e);
                }
            }
        };
        self.sync_reservation();
        for (no, buf) in direct {
            self.pager.cache_direct(no, Arc::new(buf));
        }
        for (i, (no, buf)) in bufs.into_iter().enumerate() {
            let frame = first + i as u64;
            self.spilled.insert(no, frame);
            self.framed.insert(no, frame);
            self.last_frame = frame;
            self.pager.cache_spilled(no, frame, Arc::new(buf));
        }
        Ok(())
    }

    fn restore_dirty(&mut self, pages: impl Iterator<Item = (PageNo, PageBuf)>) {
        for (no, buf) in pages {
            self.dirty.insert(no, Arc::new(buf));
        }
    }

    /// Splits pages (sorted on return) into those written straight into the main
    /// file and those that go through the WAL.
    ///
    /// A page numbered at or past the committed page count is invisible to every
    /// reader and to recovery, so it can be written where it belongs at once —
    /// a bulk load then writes its pages once instead of twice. "Every reader"
    /// includes those of older snapshots, which after VACUUM can be longer than
    /// the committed state and read their last pages from the main file: the
    /// bound is the largest live page count, and the largest page count of a
    /// state a power cut may fall back to (`direct_floor`). The commit syncs the
    /// main file before its commit frame (`Pager::commit`). Not when:
    /// - the page already has a WAL frame in this transaction, even one a rollback
    ///   to a savepoint made stale (recovery would take that frame over the main
    ///   file);
    /// - the page has a frame in the base snapshot: frames past the page count
    ///   stay mapped (frames a transaction spilled for pages that a rollback to a
    ///   savepoint gave back, which recovery maps like every frame before a
    ///   commit mark), and the stale frame would win over the main file;
    /// - an open savepoint needs the page's main-file version (rolling back to
    ///   it must find that content).
    ///
    /// So inside savepoints a load still writes its new pages once: they lie past
    /// every savepoint's end, and a rollback forgets them. A page written here
    /// and changed again is simply written here again.
    fn split_direct(&self, mut pages: Vec<(PageNo, PageBuf)>) -> DirectAndWal {
        pages.sort_unstable_by_key(|p| p.0);
        let floor = self.direct_floor;
        pages.into_iter().partition(|(no, _)| {
            *no >= floor
                && !self.framed.contains_key(no)
                && self.base.frame_of(*no).is_none()
                && !self.main_version_needed(*no)
        })
    }

    /// Whether this transaction wrote any frame to the WAL.
    pub(crate) fn has_spilled(&self) -> bool {
        !self.framed.is_empty()
    }

    /// Opens a savepoint.
    pub(crate) fn savepoint(&mut self, id: u32) {
        self.savepoints.push(SavepointState {
            id,
            meta: self.meta,
            undo: FastMap::default(),
            frame_mark: self.last_frame,
        });
    }

    /// Undoes everything since savepoint `id`, which stays open.
    pub(crate) fn rollback_to(&mut self, id: u32) -> Result<()> {
        let Some(pos) = self.savepoints.iter().position(|s| s.id == id) else {
            return Err(Error::NoSuchSavepoint(id));
        };
        // Pages changed since the savepoint that got a WAL frame after it: that
        // frame is stale now, but recovery would take it.
        let mark = self.savepoints[pos].frame_mark;
        let mut restored: Vec<PageNo> = Vec::new();
        while self.savepoints.len() > pos {
            let sp = self.savepoints.pop().expect("len > pos");
            for (no, prior) in sp.undo {
                match prior.dirty {
                    Some(p) => self.dirty.insert(no, p),
                    None => self.dirty.remove(&no),
                };
                match prior.spilled {
                    Some(f) => self.spilled.insert(no, f),
                    None => self.spilled.remove(&no),
                };
                if self.framed.get(&no).is_some_and(|&f| f > mark) {
                    restored.push(no);
                }
            }
            self.meta = sp.meta;
        }
        self.savepoint(id);
        self.forget_past_end();
        // Recovery takes the newest frame of each page: re-dirty the pages whose
        // newest frame is not their restored version, so that the commit writes
        // them last (through the WAL: they are in `framed`). Decided from the
        // frames written, not from what is still spilled after the restore
        // (which may be nothing). A page that is free again needs nothing, and
        // may have no content to read.
        let meta = self.meta;
        restored.sort_unstable();
        restored.dedup();
        restored.retain(|no| {
            *no < meta.page_count
                && !self.dirty.contains_key(no)
                && self.spilled.get(no) != self.framed.get(no)
        });
        let free = if restored.iter().any(|no| !self.spilled.contains_key(no)) {
            self.free_entries()?
        } else {
            FastMap::default()
        };
        for no in restored {
            if self.spilled.contains_key(&no) || !free.contains_key(&no) {
                let page = self.page(no)?;
                self.dirty.insert(no, page);
            }
        }
        Ok(())
    }

    /// Drops every version of the pages past the end (after a rollback to a
    /// savepoint: no undo record covers them). Their main-file versions, if this
    /// transaction wrote any, are unreachable now; the cache forgets them too, so
    /// that nothing can ever read them as a page of a later state. Their frames
    /// stay in `framed`: recovery would take them.
    ///
    /// Only pages below `high_water` can be there: when it is not above the end (no page
    /// was allocated since the savepoint), there is nothing to do; else the pages from
    /// the end to it are removed one by one when they are fewer than the entries (a
    /// statement's allocations in a large transaction), so that a statement's rollback
    /// does not cost in proportion to the transaction.
    fn forget_past_end(&mut self) {
        let end = self.meta.page_count;
        if self.high_water <= end {
            return;
        }
        let span = (self.high_water - end) as usize;
        if span < self.dirty.len() + self.spilled.len() {
            for no in end..self.high_water {
                self.dirty.remove(&no);
                self.spilled.remove(&no);
            }
        } else {
            self.dirty.retain(|&no, _| no < end);
            self.spilled.retain(|&no, _| no < end);
        }
        self.high_water = end;
        if self.wrote_direct {
            let from = end.max(self.base.meta.page_count);
            self.pager.forget_main_versions_from(from);
        }
    }

    /// The pages listed on the free list, not its trunk pages (whose content
    /// matters).
    fn free_entries(&self) -> Result<FastMap<PageNo, ()>> {
        let mut trunks: FastMap<PageNo, ()> = FastMap::default();
        let mut trunk = self.meta.free_head;
        while trunk != 0 && trunks.len() <= self.meta.page_count as usize {
            trunks.insert(trunk, ());
            trunk = self.page(trunk)?.u32_at(TRUNK_NEXT);
        }
        Ok(
            free_list_pages(self, self.meta.free_head, self.meta.page_count)?
                .into_iter()
                .filter(|no| !trunks.contains_key(no))
                .map(|no| (no, ()))
                .collect(),
        )
    }

    /// Forgets savepoint `id` (and those opened after it), keeping the changes.
    pub(crate) fn release(&mut self, id: u32) -> Result<()> {
        let Some(pos) = self.savepoints.iter().position(|s| s.id == id) else {
            return Err(Error::NoSuchSavepoint(id));
        };
        while self.savepoints.len() > pos {
            let sp = self.savepoints.pop().expect("len > pos");
            if let Some(parent) = self.savepoints.last_mut() {
                let end = parent.meta.page_count;
                for (no, prior) in sp.undo {
                    if no < end {
                        parent.undo.entry(no).or_insert(prior);
                    }
                }
            }
        }
        Ok(())
    }

    fn fresh_page(&mut self, no: PageNo) -> &mut PageBuf {
        self.remember(no);
        let slot = self
            .dirty
            .entry(no)
            .or_insert_with(|| Arc::new(PageBuf::zeroed(self.page_size)));
        let page = Arc::make_mut(slot);
        page.bytes_mut().fill(0);
        page
    }

    /// Sets page `no` to `content` without reading what it held (for pages whose
    /// old content is dead, such as free pages that vacuum fills).
    pub(crate) fn put_page(&mut self, no: PageNo, content: PageBuf) {
        self.remember(no);
        self.dirty.insert(no, Arc::new(content));
    }

    /// Makes the database `count` pages long with an empty free list; the caller
    /// guarantees nothing at or past `count` is referenced any more.
    pub(crate) fn truncate_to(&mut self, count: PageNo) {
        self.meta.page_count = count;
        self.meta.free_head = 0;
        self.meta.free_count = 0;
        // Only compared for equality (stale tree handles): a damaged header's
        // u64::MAX must not overflow.
        self.meta.layout_gen = self.meta.layout_gen.wrapping_add(1);
        let doomed: Vec<PageNo> = self.dirty.keys().copied().filter(|&p| p >= count).collect();
        for p in doomed {
            self.remember(p);
            self.dirty.remove(&p);
        }
    }

    /// Pushes `no` onto the free list.
    fn push_free(&mut self, no: PageNo) -> Result<()> {
        let capacity = ((self.page_size - TRUNK_ENTRIES) / 4) as u32;
        let head = self.meta.free_head;
        if head != 0 {
            let trunk = self.page_mut(head)?;
            if trunk.page_type() != Some(PageType::FreeTrunk) {
                return Err(Error::corrupt(head, "free-list head is not a trunk page"));
            }
            let count = trunk.u32_at(TRUNK_COUNT);
            if count < capacity {
                trunk.put_u32(TRUNK_ENTRIES + 4 * count as usize, no);
                trunk.put_u32(TRUNK_COUNT, count + 1);
                self.meta.free_count += 1;
                return Ok(());
            }
        }
        let trunk = self.fresh_page(no);
        trunk.set_page_type(PageType::FreeTrunk);
        trunk.put_u32(TRUNK_NEXT, head);
        self.meta.free_head = no;
        self.meta.free_count += 1;
        Ok(())
    }

    /// Pops a page off the free list, if it has one.
    fn pop_free(&mut self) -> Result<Option<PageNo>> {
        let head = self.meta.free_head;
        if head == 0 {
            return Ok(None);
        }
        let page_count = self.meta.page_count;
        let trunk = self.page_mut(head)?;
        if trunk.page_type() != Some(PageType::FreeTrunk) {
            return Err(Error::corrupt(head, "free-list head is not a trunk page"));
        }
        let count = trunk.u32_at(TRUNK_COUNT);
        if count > 0 {
            if TRUNK_ENTRIES + 4 * count as usize > trunk.len() {
                return Err(Error::corrupt(head, "free-list trunk count too large"));
            }
            let no = trunk.u32_at(TRUNK_ENTRIES + 4 * (count as usize - 1));
            trunk.put_u32(TRUNK_COUNT, count - 1);
            if no < 2 || no >= page_count {
                return Err(Error::corrupt(
                    head,
                    format!("free-list entry {no} out of range"),
                ));
            }
            self.meta.free_count = self.meta.free_count.saturating_sub(1);
            return Ok(Some(no));
        }
        let next = trunk.u32_at(TRUNK_NEXT);
        if next >= page_count {
            return Err(Error::corrupt(head, "free-list link out of range"));
        }
        self.meta.free_head = next;
        self.meta.free_count = self.meta.free_count.saturating_sub(1);
        Ok(Some(head))
    }

    /// Takes the dirty pages for commit: those written straight into the main
    /// file, and those for the WAL with page 0 (holding `meta`) last.
    pub(crate) fn take_for_commit(&mut self) -> Result<DirectAndWal> {
        let meta = self.meta;
        meta.encode(self.page_mut(crate::meta::HEADER_PAGE)?);
        // The commit ends every savepoint: no main-file version is needed any more.
        self.savepoints.clear();
        let pages: Vec<(PageNo, PageBuf)> = self
            .dirty
            .drain()
            .map(|(no, p)| {
                (
                    no,
                    Arc::try_unwrap(p).unwrap_or_else(|shared| (*shared).clone()),
                )
            })
            .collect();
        // A small transaction (one that never spilled) goes through the WAL whole:
        // writing its few new pages directly would cost a second sync (the main
        // file's) for a commit that is otherwise one sequential write and one sync.
        let (direct, mut wal) = if self.wrote_direct {
            self.split_direct(pages)
        } else {
            let mut pages = pages;
            pages.sort_unstable_by_key(|p| p.0);
            (Vec::new(), pages)
        };
        self.wrote_direct |= !direct.is_empty();
        wal.sort_unstable_by_key(|p| if p.0 == 0 { u32::MAX } else { p.0 });
        // The committed state maps what recovery would: the newest frame of every
        // page, stale ones included (pages given back by a rollback to a
        // savepoint; those still in use were re-dirtied, so the commit's own
        // frames win). Later transactions then see that these pages have frames
        // and do not write them straight into the main file.
        let framed = std::mem::take(&mut self.framed);
        self.spilled.extend(framed);
        Ok((direct, wal))
    }
}

/// Walks a free list from `head`, returning every page on it.
pub(crate) fn free_list_pages<S: PageSource + ?Sized>(
    src: &S,
    head: PageNo,
    page_count: PageNo,
) -> Result<Vec<PageNo>> {
    let mut out = Vec::new();
    let mut trunk = head;
    while trunk != 0 {
        if trunk >= page_count || out.len() > page_count as usize {
            return Err(Error::corrupt(trunk, "free list leaves the file or loops"));
        }
        let page = src.page(trunk)?;
        if page.page_type() != Some(PageType::FreeTrunk) {
            return Err(Error::corrupt(trunk, "free-list page is not a trunk page"));
        }
        out.push(trunk);
        let count = page.u32_at(TRUNK_COUNT) as usize;
        if TRUNK_ENTRIES + 4 * count > page.len() {
            return Err(Error::corrupt(trunk, "free-list trunk count too large"));
        }
        for i in 0..count {
            out.push(page.u32_at(TRUNK_ENTRIES + 4 * i));
        }
        trunk = page.u32_at(TRUNK_NEXT);
    }
    Ok(out)
}

impl PageSource for TxnPages {
    #[inline]
    fn page(&self, no: PageNo) -> Result<Page> {
        self.check_bounds(no)?;
        if let Some(p) = self.dirty.get(&no) {
            return Ok(p.clone());
        }
        if let Some(&f) = self.spilled.get(&no) {
            return self.pager.read_spilled(no, f);
        }
        if no >= self.base.meta.page_count {
            return self.pager.read_direct(no);
        }
        self.pager.read(&self.base, no)
    }

    fn page_size(&self) -> usize {
        self.page_size
    }
}

impl PageSink for TxnPages {
    fn page_mut(&mut self, no: PageNo) -> Result<&mut PageBuf> {
        self.check_bounds(no)?;
        if !self.dirty.contains_key(&no) {
            self.maybe_spill()?;
            let page = self.page(no)?;
            self.remember(no);
            self.dirty.insert(no, page);
        } else {
            self.remember(no);
        }
        Ok(Arc::make_mut(
            self.dirty.get_mut(&no).expect("just inserted"),
        ))
    }

    fn allocate(&mut self) -> Result<PageNo> {
        self.maybe_spill()?;
        let no = match self.pop_free()? {
            Some(no) => no,
            None => {
                let no = self.meta.page_count;
                if no == u32::MAX {
                    return Err(Error::FeatureNotSupported(
                        "databases larger than 2^32 pages",
                    ));
                }
                self.meta.page_count += 1;
                self.high_water = self.high_water.max(self.meta.page_count);
                no
            }
        };
        self.fresh_page(no);
        self.sync_reservation();
        Ok(no)
    }

    fn free(&mut self, no: PageNo) -> Result<()> {
        self.check_bounds(no)?;
        if no < 2 {
            return Err(Error::corrupt(no, "attempt to free a fixed page"));
        }
        // A free page's content is dead: do not write it at commit.
        self.remember(no);
        self.dirty.remove(&no);
        self.push_free(no)
    }
}
