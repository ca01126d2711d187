//! The write-ahead log file: frames of whole pages, chained by checksum.
//!
//! Layout: a 40-byte header, then frames of `24 + page_size` bytes.
//!
//! Header: magic `cvwl` (4), version (4), page size (4), reserved (4), salt (8),
//! number of the first frame (8), xxh3 of the previous 32 bytes (8).
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

use std::sync::Arc;

use xxhash_rust::xxh3::{xxh3_64, Xxh3};

use crate::cache::FastMap;
use crate::error::{Error, Result};
use crate::page::{PageBuf, PageNo};
use crate::vfs::{SyncKind, VfsFile};

pub(crate) const HEADER_SIZE: u64 = 40;
pub(crate) const FRAME_HEADER_SIZE: usize = 24;
const MAGIC: &[u8; 4] = b"cvwl";
const VERSION: u32 = 1;
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
    pub salt: u64,
    pub first_frame: FrameNo,
}

impl WalHeader {
    fn encode(&self) -> [u8; HEADER_SIZE as usize] {
        let mut b = [0u8; HEADER_SIZE as usize];
        b[0..4].copy_from_slice(MAGIC);
        b[4..8].copy_from_slice(&VERSION.to_le_bytes());
        b[8..12].copy_from_slice(&self.page_size.to_le_bytes());
        b[16..24].copy_from_slice(&self.salt.to_le_bytes());
        b[24..32].copy_from_slice(&self.first_frame.to_le_bytes());
        let sum = xxh3_64(&b[..32]);
        b[32..40].copy_from_slice(&sum.to_le_bytes());
        b
    }

    /// Decodes a header; `None` if it is not a valid header (an empty or torn WAL).
    fn decode(b: &[u8]) -> Option<WalHeader> {
        if b.len() < HEADER_SIZE as usize || &b[0..4] != MAGIC {
            return None;
        }
        let sum = u64::from_le_bytes(b[32..40].try_into().ok()?);
        if sum != xxh3_64(&b[..32]) || u32::from_le_bytes(b[4..8].try_into().ok()?) != VERSION {
            return None;
        }
        let first_frame = u64::from_le_bytes(b[24..32].try_into().ok()?);
        // Frames are numbered from 1 (0 is the page cache's main-file version), and
        // counting up from the first frame must not overflow. A damaged header
        // outside that range is no header, like one of another version.
        if !(1..=MAX_FIRST_FRAME).contains(&first_frame) {
            return None;
        }
        Some(WalHeader {
            page_size: u32::from_le_bytes(b[8..12].try_into().ok()?),
            salt: u64::from_le_bytes(b[16..24].try_into().ok()?),
            first_frame,
        })
    }

    fn chain_seed(&self) -> u64 {
        xxh3_64(&self.encode()[..32])
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
    /// Scans an existing WAL and returns a writer positioned after its last commit,
    /// together with the committed frames. A missing or invalid header means an
    /// empty WAL: a new generation starting at `next_frame_hint` is written.
    pub(crate) fn recover(
        file: Arc<dyn VfsFile>,
        page_size: usize,
        next_frame_hint: FrameNo,
    ) -> Result<(WalWriter, Recovered)> {
        let size = file.size().map_err(Error::io("size wal"))?;
        let mut hdr = [0u8; HEADER_SIZE as usize];
        let header = if size >= HEADER_SIZE {
            file.read_at(&mut hdr, 0)
                .map_err(Error::io("read wal header"))?;
            WalHeader::decode(&hdr).filter(|h| h.page_size as usize == page_size)
        } else {
            None
        };
        let Some(header) = header else {
            let writer = WalWriter::fresh(file, page_size, next_frame_hint)?;
            let rec = Recovered {
                frames: FastMap::default(),
                last_commit: None,
            };
            return Ok((writer, rec));
        };
        let frame_size = FRAME_HEADER_SIZE + page_size;
        let mut rec = Recovered {
            frames: FastMap::default(),
            last_commit: None,
        };
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
                chain = sum;
                pending.push((page_no, frame));
                frame += 1;
                if commit != 0 {
                    for (p, fr) in pending.drain(..) {
                        rec.frames.insert(p, fr);
                    }
                    rec.last_commit = Some(frame - 1);
                    committed = (frame, chain);
                }
            }
        }
        let writer = WalWriter {
            file,
            header,
            page_size,
            next: committed.0,
            chain: committed.1,
            committed_next: committed.0,
            committed_chain: committed.1,
            scratch: Vec::new(),
            sync_reset: true,
        };
        Ok((writer, rec))
    }

    /// Starts a new generation whose first frame is `first_frame`.
    fn fresh(file: Arc<dyn VfsFile>, page_size: usize, first_frame: FrameNo) -> Result<WalWriter> {
        let header = WalHeader {
            page_size: page_size as u32,
            salt: rand::random(),
            first_frame,
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
        let mut fresh = WalWriter::fresh(self.file.clone(), self.page_size, self.next)?;
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

    fn open(vfs: &MemoryVfs) -> Arc<dyn VfsFile> {
        Arc::from(vfs.open(Path::new("w"), OpenMode::CreateIfMissing).unwrap())
    }

    fn page(tag: u8) -> PageBuf {
        let mut p = PageBuf::zeroed(512);
        p.set_page_type(PageType::Leaf);
        p.bytes_mut()[100] = tag;
        p
    }

    #[test]
    fn commits_survive_and_pending_frames_do_not() {
        let vfs = MemoryVfs::default();
        let (mut w, rec) = WalWriter::recover(open(&vfs), 512, 1).unwrap();
        assert!(rec.last_commit.is_none());
        let (mut a, mut b, mut c) = (page(1), page(2), page(3));
        w.append(&mut [(5, &mut a), (0, &mut b)], Some(9)).unwrap();
        w.append(&mut [(6, &mut c)], None).unwrap();
        let (w2, rec) = WalWriter::recover(open(&vfs), 512, 1).unwrap();
        assert_eq!(rec.last_commit, Some(2));
        assert_eq!(rec.frames.len(), 2);
        assert_eq!(rec.frames[&5], 1);
        assert_eq!(rec.frames[&0], 2);
        assert_eq!(w2.next_frame(), 3);
        let mut out = PageBuf::zeroed(512);
        read_frame_page(&*open(&vfs), &w2.header(), 1, &mut out).unwrap();
        assert_eq!(out.bytes()[100], 1);
        out.verify(5).unwrap();
    }

    #[test]
    fn stale_frames_after_rollback_break_the_chain() {
        let vfs = MemoryVfs::default();
        let (mut w, _) = WalWriter::recover(open(&vfs), 512, 1).unwrap();
        let mut p = page(1);
        w.append(&mut [(0, &mut p)], Some(2)).unwrap();
        // A transaction spills two frames, then rolls back.
        let (mut x, mut y) = (page(7), page(8));
        w.append(&mut [(3, &mut x), (4, &mut y)], None).unwrap();
        w.rollback();
        // The next one writes one frame over the first stale one and commits.
        let mut z = page(9);
        w.append(&mut [(0, &mut z)], Some(2)).unwrap();
        // Now pretend the stale frame 3 has a commit mark: it must still be rejected.
        let (_, rec) = WalWriter::recover(open(&vfs), 512, 1).unwrap();
        assert_eq!(rec.last_commit, Some(2));
        assert_eq!(rec.frames[&0], 2);
        assert!(!rec.frames.contains_key(&4));
    }

    #[test]
    fn reset_starts_a_new_generation() {
        let vfs = MemoryVfs::default();
        let (mut w, _) = WalWriter::recover(open(&vfs), 512, 1).unwrap();
        let mut p = page(1);
        w.append(&mut [(0, &mut p)], Some(2)).unwrap();
        w.reset(0).unwrap();
        assert_eq!(w.header().first_frame, 2);
        let (_, rec) = WalWriter::recover(open(&vfs), 512, 1).unwrap();
        assert!(rec.last_commit.is_none(), "old frames must not be replayed");
        let mut q = page(2);
        w.append(&mut [(0, &mut q)], Some(2)).unwrap();
        let (_, rec) = WalWriter::recover(open(&vfs), 512, 1).unwrap();
        assert_eq!(rec.last_commit, Some(2));
    }

    #[test]
    fn torn_commit_is_rolled_back() {
        let vfs = MemoryVfs::default();
        let (mut w, _) = WalWriter::recover(open(&vfs), 512, 1).unwrap();
        let (mut a, mut b) = (page(1), page(2));
        w.append(&mut [(0, &mut a)], Some(2)).unwrap();
        w.append(&mut [(3, &mut b)], Some(4)).unwrap();
        let mut bytes = vfs.file_bytes(Path::new("w")).unwrap();
        let last = bytes.len() - 10;
        bytes[last] ^= 0xff;
        vfs.set_file_bytes(Path::new("w"), bytes);
        let (w2, rec) = WalWriter::recover(open(&vfs), 512, 1).unwrap();
        assert_eq!(rec.last_commit, Some(1));
        assert_eq!(w2.next_frame(), 2);
    }
}
