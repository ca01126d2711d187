//! Opening a database: creating a new file, or recovering an existing one from
//! its main file and WAL; and closing it cleanly.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::Arc;

use parking_lot::{Condvar, Mutex};

use super::{Durability, Pager, PagerConfig, Shared, Snapshot, WriterState};
use crate::btree::node::NodeMut;
use crate::cache::PageCache;
use crate::error::{Error, Result};
use crate::meta::{Meta, DIRECTORY_ROOT, HEADER_PAGE};
use crate::page::{validate_page_size, PageBuf, PageType};
use crate::vfs::{OpenMode, SyncKind, Vfs, VfsFile};
use crate::wal::{self, WalWriter};

/// The WAL's path for a database at `path`.
pub(crate) fn wal_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push("-wal");
    PathBuf::from(s)
}

impl Pager {
    /// Opens (or, if the file is missing or empty and `create` allows it, creates)
    /// the database at `path`.
    pub(crate) fn open(
        vfs: &dyn Vfs,
        path: &Path,
        create_page_size: usize,
        create: bool,
        config: PagerConfig,
    ) -> Result<Pager> {
        let mode = if create {
            OpenMode::CreateIfMissing
        } else {
            OpenMode::Existing
        };
        let main: Arc<dyn VfsFile> = Arc::from(
            vfs.open(path, mode)
                .map_err(Error::io("open database file"))?,
        );
        if !main
            .try_lock_exclusive()
            .map_err(Error::io("lock database file"))?
        {
            return Err(Error::Locked);
        }
        let wal_file: Arc<dyn VfsFile> = Arc::from(
            vfs.open(&wal_path(path), OpenMode::CreateIfMissing)
                .map_err(Error::io("open wal"))?,
        );
        let size = main.size().map_err(Error::io("size database file"))?;
        if unfinished_creation(&*main, size)? {
            validate_page_size(create_page_size)?;
            main.set_len(0)
                .map_err(Error::io("truncate database file"))?;
            initialize(&*main, &*wal_file, create_page_size)?;
        }
        let mut first = [0u8; 24];
        main.read_at(&mut first, 0).map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => Error::NotADatabase {
                reason: "file is shorter than a header".into(),
            },
            _ => Error::Io {
                op: "read header",
                source: e,
            },
        })?;
        let page_size = Meta::peek_page_size(&first)?;
        let (mut writer, recovered) = WalWriter::recover(wal_file.clone(), page_size, 1)?;
        writer.set_sync_on_reset(config.durability != Durability::Off);
        let header = writer.header();
        let header_page = match recovered.frames.get(&HEADER_PAGE) {
            Some(&frame) => {
                let mut buf = PageBuf::zeroed(page_size);
                wal::read_frame_page(&*wal_file, &header, frame, &mut buf)?;
                buf
            }
            None => {
                let mut buf = PageBuf::zeroed(page_size);
                main.read_at(buf.bytes_mut(), 0)
                    .map_err(|_| Error::NotADatabase {
                        reason: "file is shorter than its first page".into(),
                    })?;
                buf
            }
        };
        header_page.verify(HEADER_PAGE)?;
        let meta = Meta::decode(&header_page)?;
        let commit = recovered.last_commit.unwrap_or(header.first_frame - 1);
        let snap = Snapshot::new(meta, commit, 0, header, recovered.frames);
        let cache = PageCache::new(config.cache_bytes, page_size);
        Ok(Pager {
            main,
            wal_file,
            page_size,
            cache,
            shared: Mutex::new(Shared {
                current: Arc::new(snap),
                readers: Default::default(),
            }),
            wal_gen: AtomicU64::new(0),
            writer: Mutex::new(WriterState {
                wal: writer,
                backfilled: header.first_frame - 1,
            }),
            writer_busy: Mutex::new(false),
            writer_free: Condvar::new(),
            poisoned: AtomicBool::new(false),
            config,
        })
    }

    /// Checkpoints everything and empties the WAL; runs when the last handle (the
    /// database or a transaction) goes away, so no transaction can be open.
    /// Errors are ignored: the WAL still holds whatever was not copied.
    fn close(&self) {
        if self.poisoned.load(std::sync::atomic::Ordering::Acquire) {
            return;
        }
        let mut w = self.writer.lock();
        if let Ok(outcome) = self.checkpoint_locked(&mut w) {
            let current = self.current();
            if (outcome.wal_reset || !current.has_frames()) && w.backfilled >= current.commit {
                let _ = self.wal_file.set_len(0);
                if self.config.durability != Durability::Off {
                    let _ = self.wal_file.sync(SyncKind::Data);
                }
            }
        }
    }
}

/// Writes a new, empty database: page 0 (meta) and page 1 (the empty tree
/// directory), synced, and an empty WAL.
fn initialize(main: &dyn VfsFile, wal_file: &dyn VfsFile, page_size: usize) -> Result<()> {
    let meta = Meta {
        page_size: page_size as u32,
        txn_id: 0,
        page_count: 2,
        free_head: 0,
        free_count: 0,
        directory_root: DIRECTORY_ROOT,
        schema_cookie: 0,
        layout_gen: 0,
        tree_counter: 0,
    };
    let mut header = PageBuf::zeroed(page_size);
    meta.encode(&mut header);
    header.seal(HEADER_PAGE);
    let mut dir = PageBuf::zeroed(page_size);
    NodeMut::new(&mut dir).init(PageType::Leaf);
    dir.seal(DIRECTORY_ROOT);
    wal_file.set_len(0).map_err(Error::io("truncate wal"))?;
    // Page 1 is durable before page 0 exists: a valid header always has its tree
    // directory. A crash in between leaves a file whose first page is zeros, which
    // the next open treats as a creation that never finished.
    main.write_at(dir.bytes(), page_size as u64)
        .map_err(Error::io("write new database"))?;
    main.sync(SyncKind::Full)
        .map_err(Error::io("sync new database"))?;
    main.write_at(header.bytes(), 0)
        .map_err(Error::io("write new database"))?;
    main.sync(SyncKind::Full)
        .map_err(Error::io("sync new database"))?;
    Ok(())
}

/// Whether the main file is what an interrupted [`initialize`] leaves: no more
/// than two pages of the largest size, and no header (its first bytes all zero).
fn unfinished_creation(main: &dyn VfsFile, size: u64) -> Result<bool> {
    if size == 0 {
        return Ok(true);
    }
    if size > 2 * crate::page::MAX_PAGE_SIZE as u64 || size < 24 {
        return Ok(false);
    }
    let mut first = [0u8; 24];
    main.read_at(&mut first, 0)
        .map_err(Error::io("read header"))?;
    Ok(first.iter().all(|&b| b == 0))
}

impl Drop for Pager {
    fn drop(&mut self) {
        self.close();
    }
}
