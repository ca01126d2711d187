//! The write-ahead log file: frames of whole pages, chained by checksum.
//!
//! Layout: a 64-byte header, then frames of `24 + page_size` bytes.
//!
//! Header: magic `cvwl` (4), version (4), page size (4), reserved (4), database
//! id (16), salt (8), number of the first frame (8), base commit (8), xxh3 of the
//! previous 56 bytes (8).
//!
//! Frame header: page number (4), commit mark (4: the page count of the database
//! for the last frame of a transaction, 0 otherwise), salt (8), chained checksum (8).
//! The checksum of frame *i* is xxh3 of its first 16 header bytes and its page,
//! seeded with the checksum of frame *i − 1* (of the header for the first frame).
//!
//! Frame numbers are global and never go backwards: frame *n* of the database's
//! life sits at slot `n − first_frame` of the current WAL generation. A reset (after
//! a checkpoint copied everything into the main file) starts a new generation with
//! a new salt at the next frame number.
//!
//! Invariants recovery relies on:
//! - A transaction is durable exactly when its commit frame and every frame before
//!   it in this generation carry the right salt and an unbroken checksum chain.
//!   Stale frames (an older generation, a rolled-back transaction, a torn write)
//!   break the chain, so recovery stops at the last good commit.
//! - Frames are written in order; nothing after a broken frame is ever trusted.
//! - A generation belongs to one database and one state of its main file. The
//!   header names the database id (page 0 has it too) and the *base commit*: the
//!   transaction id of the main file's page 0 when the generation began (every
//!   older commit was in the main file then). The commit frame of a transaction
//!   is its page 0, which holds its transaction id. A checkpoint only ever moves
//!   the main file to one of the generation's commits, so the main file's
//!   transaction id is the base commit or one of the commits in the log for as
//!   long as the generation is the live one. A WAL whose id differs (another
//!   database's) or whose commits do not include the main file's state (an old
//!   copy, put back after newer commits were checkpointed) is never applied:
//!   [`WalScan::applies_to`].

use std::sync::Arc;

use xxhash_rust::xxh3::{xxh3_64, Xxh3};

use crate::cache::FastMap;
use crate::error::{Error, Result};
use crate::page::{validate_page_size, PageBuf, PageNo};
use crate::vfs::{SyncKind, VfsFile};

pub(crate) const HEADER_SIZE: u64 = 64;
pub(crate) const FRAME_HEADER_SIZE: usize = 24;
const MAGIC: &[u8; 4] = b"cvwl";
const VERSION: u32 = 2;
/// The bytes of the header that its checksum covers.
const SUMMED: usize = 56;
/// The offset of the transaction id in a page 0 (see `meta.rs`).
const TXN_ID_OFFSET: usize = 24;
/// Largest single write of frames.
const WRITE_PIECE: usize = 1 << 20;
/// The largest first-frame number a valid header has (far beyond any real count).
const MAX_FIRST_FRAME: FrameNo = 1 << 62;

/// A frame's global number.
pub(crate) type FrameNo = u64;

/// The WAL header of one generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WalHeader {
    pub page_size: u32,
    /// The database this log belongs to (page 0 holds the same id).
    pub db_id: u128,
    /// New at every reset: frames of an older generation never match it.
    pub salt: u64,
    pub first_frame: FrameNo,
    /// The transaction id of the main file's page 0 when this generation began.
    pub base_txn: u64,
}

impl WalHeader {
    fn encode(&self) -> [u8; HEADER_SIZE as usize] {
        let mut b = [0u8; HEADER_SIZE as usize];
        b[0..4].copy_from_slice(MAGIC);
        b[4..8].copy_from_slice(&VERSION.to_le_bytes());
        b[8..12].copy_from_slice(&self.page_size.to_le_bytes());
        b[16..32].copy_from_slice(&self.db_id.to_le_bytes());
        b[32..40].copy_from_slice(&self.salt.to_le_bytes());
        b[40..48].copy_from_slice(&self.first_frame.to_le_bytes());
        b[48..56].copy_from_slice(&self.base_txn.to_le_bytes());
        let sum = xxh3_64(&b[..SUMMED]);
        b[SUMMED..SUMMED + 8].copy_from_slice(&sum.to_le_bytes());
        b
    }

    /// Decodes a header; `None` if it is not a valid header (an empty or torn WAL).
    fn decode(b: &[u8]) -> Option<WalHeader> {
        if b.len() < HEADER_SIZE as usize || &b[0..4] != MAGIC {
            return None;
        }
        let u64_at = |off: usize| u64::from_le_bytes(b[off..off + 8].try_into().expect("8"));
        let u32_at = |off: usize| u32::from_le_bytes(b[off..off + 4].try_into().expect("4"));
        if u64_at(SUMMED) != xxh3_64(&b[..SUMMED]) || u32_at(4) != VERSION {
            return None;
        }
        let first_frame = u64_at(40);
        // Frames are numbered from 1 (0 is the page cache's main-file version), and
        // counting up from the first frame must not overflow. A damaged header
        // outside that range is no header, like one of another version.
        if !(1..=MAX_FIRST_FRAME).contains(&first_frame) {
            return None;
        }
        let page_size = u32_at(8);
        validate_page_size(page_size as usize).ok()?;
        Some(WalHeader {
            page_size,
            db_id: u128::from_le_bytes(b[16..32].try_into().expect("16")),
            salt: u64_at(32),
            first_frame,
            base_txn: u64_at(48),
        })
    }

    fn chain_seed(&self) -> u64 {
        xxh3_64(&self.encode()[..SUMMED])
    }
}

/// What recovery found in a WAL file.
#[derive(Debug)]
pub(crate) struct Recovered {
    /// Newest committed frame of each page.
    pub frames: FastMap<PageNo, FrameNo>,
    /// The last committed frame, if any transaction committed in this generation.
    pub last_commit: Option<FrameNo>,
}

/// A read-only scan of a WAL file with a valid header: its committed frames and
/// where the next frame goes. Nothing is written until a writer is made of it.
#[derive(Debug)]
pub(crate) struct WalScan {
    pub header: WalHeader,
    pub recovered: Recovered,
    /// The transaction id of each commit, in log order.
    pub commit_txns: Vec<u64>,
    /// The frame after the last commit, and the chain checksum before it.
    next: FrameNo,
    chain: u64,
}

impl WalScan {
    /// Whether this log may be replayed over a main file whose page 0 has
    /// database id `db_id`, transaction id `main_txn` and page size `page_size`:
    /// the log is that database's, and the main file's state is the base of this
    /// generation or one of its commits (see the module comment). Otherwise the
    /// log is another database's or older than the main file, and is ignored.
    pub(crate) fn applies_to(&self, db_id: u128, main_txn: u64, page_size: usize) -> bool {
        self.header.db_id == db_id
            && self.header.page_size as usize == page_size
            && (self.header.base_txn == main_txn || self.commit_txns.contains(&main_txn))
    }

    /// Whether the log holds at least one complete commit.
    pub(crate) fn has_commit(&self) -> bool {
        self.recovered.last_commit.is_some()
    }

    /// The transaction id of the log's last commit, or its base commit.
    fn last_txn(&self) -> u64 {
        self.commit_txns
            .last()
            .copied()
            .unwrap_or(self.header.base_txn)
    }
}

/// Reads the WAL in `file` without writing anything. `None` if it has no valid
/// header (an empty, torn or foreign file): it then holds nothing to recover.
pub(crate) fn scan(file: &dyn VfsFile) -> Result<Option<WalScan>> {
    let size = file.size().map_err(Error::io("size wal"))?;
    if size < HEADER_SIZE {
        return Ok(None);
    }
    let mut hdr = [0u8; HEADER_SIZE as usize];
    file.read_at(&mut hdr, 0)
        .map_err(Error::io("read wal header"))?;
    let Some(header) = WalHeader::decode(&hdr) else {
        return Ok(None);
    };
    let page_size = header.page_size as usize;
    let frame_size = FRAME_HEADER_SIZE + page_size;
    let mut rec = Recovered {
        frames: FastMap::default(),
        last_commit: None,
    };
    let mut commit_txns = Vec::new();
    let mut pending: Vec<(PageNo, FrameNo)> = Vec::new();
    let mut chain = header.chain_seed();
    let mut committed = (header.first_frame, chain);
    let mut buf = vec![0u8; frame_size * 64];
    let mut frame = header.first_frame;
    'scan: loop {
        let off = frame_offset(header.first_frame, frame, page_size);
        if off + frame_size as u64 > size {
            break;
        }
        let n = (((size - off) / frame_size as u64) as usize).min(64);
        let chunk = &mut buf[..n * frame_size];
        file.read_at(chunk, off).map_err(Error::io("read wal"))?;
        for f in chunk.chunks_exact(frame_size) {
            let page_no = u32::from_le_bytes(f[0..4].try_into().expect("4"));
            let commit = u32::from_le_bytes(f[4..8].try_into().expect("4"));
            let salt = u64::from_le_bytes(f[8..16].try_into().expect("8"));
            let sum = u64::from_le_bytes(f[16..24].try_into().expect("8"));
            if salt != header.salt
                || sum != frame_checksum(chain, &f[..16], &f[FRAME_HEADER_SIZE..])
            {
                break 'scan;
            }
            // Every commit frame is page 0 (it names the transaction); a chained
            // frame that says otherwise was not written by this engine.
            if commit != 0 && page_no != crate::meta::HEADER_PAGE {
                break 'scan;
            }
            chain = sum;
            pending.push((page_no, frame));
            frame += 1;
            if commit != 0 {
                for (p, fr) in pending.drain(..) {
                    rec.frames.insert(p, fr);
                }
                rec.last_commit = Some(frame - 1);
                let at = FRAME_HEADER_SIZE + TXN_ID_OFFSET;
                commit_txns.push(u64::from_le_bytes(f[at..at + 8].try_into().expect("8")));
                committed = (frame, chain);
            }
        }
    }
    Ok(Some(WalScan {
        header,
        recovered: rec,
        commit_txns,
        next: committed.0,
        chain: committed.1,
    }))
}

/// Appends frames to the WAL. Owned by the writer side of the pager.
pub(crate) struct WalWriter {
    file: Arc<dyn VfsFile>,
    header: WalHeader,
    page_size: usize,
    /// Next frame to write.
    next: FrameNo,
    /// Checksum of the frame before `next`.
    chain: u64,
    /// `next` and `chain` just after the last commit: a rollback returns here.
    committed_next: FrameNo,
    committed_chain: u64,
    scratch: Vec<u8>,
    /// Sync the new header at a reset (see [`WalWriter::reset`]).
    sync_reset: bool,
    /// The transaction id of the last commit in the log (the base commit if
    /// none): the base commit of the next generation.
    committed_txn: u64,
}

impl std::fmt::Debug for WalWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WalWriter")
            .field("header", &self.header)
            .field("next", &self.next)
            .finish()
    }
}

/// The byte offset of frame `frame` in a generation starting at `first`.
#[inline]
pub(crate) fn frame_offset(first: FrameNo, frame: FrameNo, page_size: usize) -> u64 {
    HEADER_SIZE + (frame - first) * (FRAME_HEADER_SIZE + page_size) as u64
}

impl WalWriter {
    /// A writer that appends after the last commit of `scan` (writes nothing).
    pub(crate) fn resume(file: Arc<dyn VfsFile>, scan: &WalScan) -> WalWriter {
        WalWriter {
            file,
            header: scan.header,
            page_size: scan.header.page_size as usize,
            next: scan.next,
            chain: scan.chain,
            committed_next: scan.next,
            committed_chain: scan.chain,
            scratch: Vec::new(),
            sync_reset: true,
            committed_txn: scan.last_txn(),
        }
    }

    /// Starts a new generation of database `db_id`'s log whose first frame is
    /// `first_frame`, over a main file at transaction `base_txn`: writes its
    /// header (not synced) with a new salt. Whatever the file held is void.
    pub(crate) fn start(
        file: Arc<dyn VfsFile>,
        page_size: usize,
        db_id: u128,
        base_txn: u64,
        first_frame: FrameNo,
    ) -> Result<WalWriter> {
        let header = WalHeader {
            page_size: page_size as u32,
            db_id,
            salt: rand::random(),
            first_frame,
            base_txn,
        };
        file.write_at(&header.encode(), 0)
            .map_err(Error::io("write wal header"))?;
        let chain = header.chain_seed();
        Ok(WalWriter {
            file,
            header,
            page_size,
            next: first_frame,
            chain,
            committed_next: first_frame,
            committed_chain: chain,
            scratch: Vec::new(),
            sync_reset: true,
            committed_txn: base_txn,
        })
    }

    /// The current generation's header.
    pub(crate) fn header(&self) -> WalHeader {
        self.header
    }

    /// The frame the next append will write.
    pub(crate) fn next_frame(&self) -> FrameNo {
        self.next
    }

    /// Appends `pages` as consecutive frames in one write. With `commit` set (the
    /// database's page count), the last frame is the commit frame. Pages are sealed
    /// (checksummed) here. Returns the frame number of the first page.
    pub(crate) fn append(
        &mut self,
        pages: &mut [(PageNo, &mut PageBuf)],
        commit: Option<u32>,
    ) -> Result<FrameNo> {
        let first = self.next;
        if pages.is_empty() {
            return Ok(first);
        }
        let frame_size = FRAME_HEADER_SIZE + self.page_size;
        // Written in pieces of about a megabyte: a big commit must not need a
        // second copy of all its pages in memory.
        let piece = (WRITE_PIECE / frame_size).max(1) * frame_size;
        let mut buf = std::mem::take(&mut self.scratch);
        buf.clear();
        let mut chain = self.chain;
        let last = pages.len() - 1;
        let mut off = frame_offset(self.header.first_frame, first, self.page_size);
        for (i, (no, page)) in pages.iter_mut().enumerate() {
            page.seal(*no);
            let mark = if i == last { commit.unwrap_or(0) } else { 0 };
            let mut head = [0u8; 16];
            head[0..4].copy_from_slice(&no.to_le_bytes());
            head[4..8].copy_from_slice(&mark.to_le_bytes());
            head[8..16].copy_from_slice(&self.header.salt.to_le_bytes());
            chain = frame_checksum(chain, &head, page.bytes());
            buf.extend_from_slice(&head);
            buf.extend_from_slice(&chain.to_le_bytes());
            buf.extend_from_slice(page.bytes());
            if buf.len() >= piece || i == last {
                if let Err(e) = self.file.write_at(&buf, off) {
                    self.scratch = buf;
                    return Err(Error::Io {
                        op: "write wal",
                        source: e,
                    });
                }
                off += buf.len() as u64;
                buf.clear();
            }
        }
        self.scratch = buf;
        self.next += pages.len() as u64;
        self.chain = chain;
        if commit.is_some() {
            self.committed_next = self.next;
            self.committed_chain = chain;
            let (no, page) = &pages[last];
            debug_assert_eq!(*no, crate::meta::HEADER_PAGE, "the commit frame is page 0");
            self.committed_txn = page.u64_at(TXN_ID_OFFSET);
        }
        Ok(first)
    }

    /// Forgets the frames written since the last commit; they will be overwritten.
    pub(crate) fn rollback(&mut self) {
        self.next = self.committed_next;
        self.chain = self.committed_chain;
    }

    /// Makes every frame written so far durable.
    pub(crate) fn sync(&self) -> Result<()> {
        self.file
            .sync(SyncKind::Data)
            .map_err(Error::io("sync wal"))
    }

    /// Starts a new generation at the next frame number. Only valid when every
    /// committed frame has been copied into the (synced) main file and no frame is
    /// pending. Shrinks the file to `keep_bytes` if it grew past it.
    ///
    /// The new header is written and synced (unless syncing is off) before the
    /// file is cut or any frame of the new generation is written: with the old
    /// header still on disk, a cut-short or partly overwritten old generation
    /// would replay an old commit over the newer main file (as SQLite, which
    /// syncs the header after a WAL restart for the same reason).
    pub(crate) fn reset(&mut self, keep_bytes: u64) -> Result<()> {
        debug_assert_eq!(self.next, self.committed_next, "reset with pending frames");
        // Every commit is in the main file now: its page 0 is the last commit's.
        let mut fresh = WalWriter::start(
            self.file.clone(),
            self.page_size,
            self.header.db_id,
            self.committed_txn,
            self.next,
        )?;
        fresh.sync_reset = self.sync_reset;
        if self.sync_reset {
            fresh.sync()?;
        }
        *self = fresh;
        let size = self.file.size().map_err(Error::io("size wal"))?;
        if size > keep_bytes.max(HEADER_SIZE) {
            self.file
                .set_len(keep_bytes.max(HEADER_SIZE))
                .map_err(Error::io("truncate wal"))?;
        }
        Ok(())
    }

    /// Whether [`WalWriter::reset`] syncs the new header (off only when nothing
    /// is ever synced).
    pub(crate) fn set_sync_on_reset(&mut self, on: bool) {
        self.sync_reset = on;
    }
}

fn frame_checksum(seed: u64, head: &[u8], page: &[u8]) -> u64 {
    let mut h = Xxh3::with_seed(seed);
    h.update(head);
    h.update(page);
    h.digest()
}

/// Reads the page stored in `frame` of the generation described by `header`.
pub(crate) fn read_frame_page(
    file: &dyn VfsFile,
    header: &WalHeader,
    frame: FrameNo,
    page: &mut PageBuf,
) -> Result<()> {
    let off = frame_offset(header.first_frame, frame, page.len()) + FRAME_HEADER_SIZE as u64;
    file.read_at(page.bytes_mut(), off)
        .map_err(Error::io("read wal frame"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::page::PageType;
    use crate::vfs::{MemoryVfs, OpenMode, Vfs};
    use std::path::Path;

    const ID: u128 = 0xfeed_beef;

    fn open(vfs: &MemoryVfs) -> Arc<dyn VfsFile> {
        Arc::from(vfs.open(Path::new("w"), OpenMode::CreateIfMissing).unwrap())
    }

    fn new_writer(vfs: &MemoryVfs) -> WalWriter {
        WalWriter::start(open(vfs), 512, ID, 0, 1).unwrap()
    }

    fn rescan(vfs: &MemoryVfs) -> WalScan {
        scan(&*open(vfs)).unwrap().expect("a valid header")
    }

    fn page(tag: u8) -> PageBuf {
        let mut p = PageBuf::zeroed(512);
        p.set_page_type(PageType::Leaf);
        p.bytes_mut()[100] = tag;
        p
    }

    /// A page 0 of transaction `txn`, the commit frame of that transaction.
    fn commit_page(txn: u64) -> PageBuf {
        let mut p = PageBuf::zeroed(512);
        p.set_page_type(PageType::Header);
        p.put_u64(TXN_ID_OFFSET, txn);
        p
    }

    #[test]
    fn commits_survive_and_pending_frames_do_not() {
        let vfs = MemoryVfs::default();
        let mut w = new_writer(&vfs);
        assert!(!rescan(&vfs).has_commit());
        let (mut a, mut b, mut c) = (page(1), commit_page(1), page(3));
        w.append(&mut [(5, &mut a), (0, &mut b)], Some(9)).unwrap();
        w.append(&mut [(6, &mut c)], None).unwrap();
        let sc = rescan(&vfs);
        let rec = &sc.recovered;
        assert_eq!(rec.last_commit, Some(2));
        assert_eq!(rec.frames.len(), 2);
        assert_eq!(rec.frames[&5], 1);
        assert_eq!(rec.frames[&0], 2);
        assert_eq!(sc.commit_txns, vec![1]);
        let w2 = WalWriter::resume(open(&vfs), &sc);
        assert_eq!(w2.next_frame(), 3);
        let mut out = PageBuf::zeroed(512);
        read_frame_page(&*open(&vfs), &w2.header(), 1, &mut out).unwrap();
        assert_eq!(out.bytes()[100], 1);
        out.verify(5).unwrap();
    }

    #[test]
    fn scan_writes_nothing_and_finds_no_header_in_an_empty_or_foreign_file() {
        let vfs = MemoryVfs::default();
        assert!(scan(&*open(&vfs)).unwrap().is_none());
        vfs.set_file_bytes("w", vec![7u8; 600]);
        assert!(scan(&*open(&vfs)).unwrap().is_none());
        assert_eq!(vfs.file_bytes("w").unwrap(), vec![7u8; 600]);
    }

    #[test]
    fn stale_frames_after_rollback_break_the_chain() {
        let vfs = MemoryVfs::default();
        let mut w = new_writer(&vfs);
        let mut p = commit_page(1);
        w.append(&mut [(0, &mut p)], Some(2)).unwrap();
        // A transaction spills two frames, then rolls back.
        let (mut x, mut y) = (page(7), page(8));
        w.append(&mut [(3, &mut x), (4, &mut y)], None).unwrap();
        w.rollback();
        // The next one writes one frame over the first stale one and commits.
        let mut z = commit_page(2);
        w.append(&mut [(0, &mut z)], Some(2)).unwrap();
        let rec = rescan(&vfs).recovered;
        assert_eq!(rec.last_commit, Some(2));
        assert_eq!(rec.frames[&0], 2);
        assert!(!rec.frames.contains_key(&4));
    }

    #[test]
    fn reset_starts_a_new_generation_with_a_new_salt_and_base() {
        let vfs = MemoryVfs::default();
        let mut w = new_writer(&vfs);
        let old = w.header();
        let mut p = commit_page(1);
        w.append(&mut [(0, &mut p)], Some(2)).unwrap();
        w.reset(0).unwrap();
        let new = w.header();
        assert_eq!(new.first_frame, 2);
        assert_ne!(new.salt, old.salt, "the salt changes at every reset");
        assert_eq!((new.db_id, new.base_txn), (ID, 1));
        let sc = rescan(&vfs);
        assert!(!sc.has_commit(), "old frames must not be replayed");
        assert_eq!(sc.header, new);
        let mut q = commit_page(2);
        w.append(&mut [(0, &mut q)], Some(2)).unwrap();
        let sc = rescan(&vfs);
        assert_eq!(sc.recovered.last_commit, Some(2));
        assert_eq!(sc.commit_txns, vec![2]);
    }

    #[test]
    fn frames_with_the_old_salt_are_rejected_after_a_reset() {
        let vfs = MemoryVfs::default();
        let mut w = new_writer(&vfs);
        let (mut a, mut b) = (commit_page(1), commit_page(2));
        w.append(&mut [(0, &mut a)], Some(2)).unwrap();
        let old_frames = vfs.file_bytes("w").unwrap()[HEADER_SIZE as usize..].to_vec();
        w.reset(0).unwrap();
        w.append(&mut [(0, &mut b)], Some(2)).unwrap();
        // Put the old generation's frame back after the new header, in the slot
        // of the next frame: its salt (and chain) are the old ones.
        let mut bytes = vfs.file_bytes("w").unwrap();
        bytes.extend_from_slice(&old_frames);
        vfs.set_file_bytes("w", bytes);
        let sc = rescan(&vfs);
        assert_eq!(sc.commit_txns, vec![2]);
        assert_eq!(sc.recovered.last_commit, Some(2));
    }

    #[test]
    fn a_log_applies_only_to_its_database_at_a_state_it_knows() {
        let vfs = MemoryVfs::default();
        let mut w = WalWriter::start(open(&vfs), 512, ID, 10, 1).unwrap();
        for txn in 11..=13 {
            let mut p = commit_page(txn);
            w.append(&mut [(0, &mut p)], Some(2)).unwrap();
        }
        let sc = rescan(&vfs);
        assert_eq!(sc.commit_txns, vec![11, 12, 13]);
        for main_txn in [10, 11, 12, 13] {
            assert!(sc.applies_to(ID, main_txn, 512), "main at {main_txn}");
        }
        assert!(!sc.applies_to(ID, 14, 512), "the main file is newer: stale");
        assert!(!sc.applies_to(ID, 9, 512), "older than the base");
        assert!(!sc.applies_to(ID + 1, 12, 512), "another database");
        assert!(!sc.applies_to(ID, 12, 1024), "another page size");
    }

    /// A frame after the last one of `w`, with a valid chained checksum over
    /// whatever `salt` it carries.
    fn forged_frame(w: &WalWriter, page_no: PageNo, commit: u32, salt: u64) -> Vec<u8> {
        let mut p = page(2);
        p.seal(page_no);
        let mut head = [0u8; 16];
        head[0..4].copy_from_slice(&page_no.to_le_bytes());
        head[4..8].copy_from_slice(&commit.to_le_bytes());
        head[8..16].copy_from_slice(&salt.to_le_bytes());
        let sum = frame_checksum(w.chain, &head, p.bytes());
        let mut frame = head.to_vec();
        frame.extend_from_slice(&sum.to_le_bytes());
        frame.extend_from_slice(p.bytes());
        frame
    }

    fn append_bytes(vfs: &MemoryVfs, more: &[u8]) {
        let mut bytes = vfs.file_bytes("w").unwrap();
        bytes.extend_from_slice(more);
        vfs.set_file_bytes("w", bytes);
    }

    #[test]
    fn a_commit_frame_that_is_not_page_0_ends_the_log() {
        let vfs = MemoryVfs::default();
        let mut w = new_writer(&vfs);
        let mut a = commit_page(1);
        w.append(&mut [(0, &mut a)], Some(2)).unwrap();
        let salt = w.header().salt;
        append_bytes(&vfs, &forged_frame(&w, 3, 4, salt));
        let sc = rescan(&vfs);
        assert_eq!(sc.recovered.last_commit, Some(1));
        assert_eq!(sc.commit_txns, vec![1]);
        // The same frame as page 0 is accepted: the forgery itself is sound.
        let vfs2 = MemoryVfs::default();
        let mut w2 = WalWriter::start(open(&vfs2), 512, ID, 0, 1).unwrap();
        let mut a2 = commit_page(1);
        w2.append(&mut [(0, &mut a2)], Some(2)).unwrap();
        append_bytes(&vfs2, &forged_frame(&w2, 0, 2, w2.header().salt));
        assert_eq!(rescan(&vfs2).recovered.last_commit, Some(2));
    }

    #[test]
    fn the_salt_is_checked_in_every_frame() {
        let vfs = MemoryVfs::default();
        let mut w = new_writer(&vfs);
        let mut a = commit_page(1);
        w.append(&mut [(0, &mut a)], Some(2)).unwrap();
        // Chained right, but with another generation's salt.
        append_bytes(&vfs, &forged_frame(&w, 0, 2, w.header().salt ^ 1));
        let sc = rescan(&vfs);
        assert_eq!(sc.recovered.last_commit, Some(1));
        assert_eq!(sc.commit_txns, vec![1]);
    }

    #[test]
    fn torn_commit_is_rolled_back() {
        let vfs = MemoryVfs::default();
        let mut w = new_writer(&vfs);
        let (mut a, mut b) = (commit_page(1), commit_page(2));
        w.append(&mut [(0, &mut a)], Some(2)).unwrap();
        w.append(&mut [(0, &mut b)], Some(4)).unwrap();
        let mut bytes = vfs.file_bytes(Path::new("w")).unwrap();
        let last = bytes.len() - 10;
        bytes[last] ^= 0xff;
        vfs.set_file_bytes(Path::new("w"), bytes);
        let sc = rescan(&vfs);
        assert_eq!(sc.recovered.last_commit, Some(1));
        assert_eq!(WalWriter::resume(open(&vfs), &sc).next_frame(), 2);
    }

    #[test]
    fn header_round_trip_and_damage() {
        let h = WalHeader {
            page_size: 4096,
            db_id: u128::MAX - 5,
            salt: 77,
            first_frame: 9,
            base_txn: 1234,
        };
        let b = h.encode();
        assert_eq!(WalHeader::decode(&b), Some(h));
        for i in 0..HEADER_SIZE as usize {
            let mut d = b;
            d[i] ^= 0x04;
            assert_eq!(WalHeader::decode(&d), None, "byte {i}");
        }
    }
}
