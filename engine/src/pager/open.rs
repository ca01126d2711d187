//! Opening a database: creating a new file, or recovering an existing one from
//! its main file and WAL; and closing it cleanly.
//!
//! Opening never destroys data. The order below keeps that true:
//! 1. Everything is read before anything is written: the main file's page 0
//!    and the WAL (scanned read-only). A damaged page 0 is a `Corrupt` error
//!    naming page 0, a foreign file `NotADatabase`, and a failed open leaves
//!    both files (and the directory) exactly as they were. The one damaged
//!    page 0 that opens is the one a power cut during a checkpoint can leave:
//!    torn, still naming this database, with its newest version in this
//!    database's current WAL (`main_file::covered_by_wal`).
//! 2. Only a provably unfinished creation is written anew (`create.rs`).
//! 3. The WAL is replayed only if it is this database's and matches the main
//!    file's state (`WalScan::applies_to`). A WAL that does not (another
//!    database's, or an old copy of this one's) is ignored; once the open is
//!    known to succeed, a new generation is started over it, so its frames are
//!    overwritten and never read again. They could never be applied to this
//!    main file: another database's pages, or older versions of pages whose
//!    newer versions the main file has.
//! 4. A file the open created (the main file, the WAL) has its directory synced
//!    before the open returns, so before any commit can be reported durable.

mod create;
mod main_file;

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::Arc;

use parking_lot::{Condvar, Mutex};

use super::{Durability, Pager, PagerConfig, Shared, Snapshot, WriterState};
use crate::cache::PageCache;
use crate::error::{Error, Result};
use crate::meta::{Meta, DIRECTORY_ROOT, HEADER_PAGE};
use crate::page::PageBuf;
use crate::vfs::{OpenMode, SyncKind, Vfs, VfsFile};
use crate::wal::{self, WalScan, WalWriter};
use main_file::{Header, MainState};

/// The WAL's path for a database at `path`.
pub(crate) fn wal_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push("-wal");
    PathBuf::from(s)
}

/// Whether a WAL at `path` holds a complete commit (of any database).
fn wal_holds_commit(vfs: &dyn Vfs, path: &Path) -> Result<bool> {
    match open_if_exists(vfs, path, "open wal")? {
        Some(f) => Ok(wal::scan(&*f)?.is_some_and(|s| s.has_commit())),
        None => Ok(false),
    }
}

/// Opens the existing file at `path`; `Ok(None)` if there is none.
fn open_if_exists(
    vfs: &dyn Vfs,
    path: &Path,
    op: &'static str,
) -> Result<Option<Arc<dyn VfsFile>>> {
    match vfs.open(path, OpenMode::Existing) {
        Ok(f) => Ok(Some(Arc::from(f))),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::Io { op, source: e }),
    }
}

impl Pager {
    /// Opens (or, if the file is missing or an unfinished creation and `create`
    /// allows it, creates) the database at `path`.
    pub(crate) fn open(
        vfs: &dyn Vfs,
        path: &Path,
        create_page_size: usize,
        create: bool,
        config: PagerConfig,
    ) -> Result<Pager> {
        let wal_at = wal_path(path);
        let mut created_a_file = false;
        let main = match open_if_exists(vfs, path, "open database file")? {
            Some(main) => main,
            None if !create => {
                return Err(Error::Io {
                    op: "open database file",
                    source: std::io::Error::new(
                        ErrorKind::NotFound,
                        format!("no database file at {}", path.display()),
                    ),
                })
            }
            None => {
                if wal_holds_commit(vfs, &wal_at)? {
                    return Err(Error::corrupt(
                        HEADER_PAGE,
                        "the main file is missing but its WAL holds commits; nothing was changed",
                    ));
                }
                created_a_file = true;
                Arc::from(
                    vfs.open(path, OpenMode::CreateIfMissing)
                        .map_err(Error::io("create database file"))?,
                )
            }
        };
        if !main
            .try_lock_exclusive()
            .map_err(Error::io("lock database file"))?
        {
            return Err(Error::Locked);
        }
        // Read the WAL only under the lock: before it, another handle may still
        // be checkpointing and truncating it.
        let wal_file = open_if_exists(vfs, &wal_at, "open wal")?;
        let wal_scan = match &wal_file {
            Some(f) => wal::scan(&**f)?,
            None => None,
        };
        let wal_has_commit = wal_scan.as_ref().is_some_and(WalScan::has_commit);
        let size = main.size().map_err(Error::io("size database file"))?;
        let state = match main_file::read_header(&*main, size)? {
            Header::Valid(meta) => MainState::of(meta),
            Header::Damaged(reason) => {
                let covered = match &wal_scan {
                    Some(scan) => main_file::covered_by_wal(&*main, size, scan)?,
                    None => None,
                };
                match covered {
                    Some(state) => state,
                    None => {
                        main_file::judge_damaged(&*main, size, &reason, create, wal_has_commit)?;
                        created_a_file = true;
                        MainState::of(create::initialize(&*main, create_page_size)?)
                    }
                }
            }
        };
        let page_size = state.page_size;
        let wal_scan = wal_scan.filter(|s| s.applies_to(state.db_id, state.txn_id, page_size));
        if state.txn_id == 0 && !wal_scan.as_ref().is_some_and(WalScan::has_commit) {
            finish_creation(&*main, page_size, create)?;
        }

        // The database is known good: from here on the open writes.
        let (wal_file, writer, recovered) = match (wal_file, wal_scan) {
            (Some(file), Some(scan)) => {
                let writer = WalWriter::resume(file.clone(), &scan);
                (file, writer, scan.recovered)
            }
            (file, _) => {
                let file = match file {
                    Some(file) => file,
                    None => {
                        created_a_file = true;
                        Arc::from(
                            vfs.open(&wal_at, OpenMode::CreateIfMissing)
                                .map_err(Error::io("create wal"))?,
                        )
                    }
                };
                let writer =
                    WalWriter::start(file.clone(), page_size, state.db_id, state.txn_id, 1)?;
                let recovered = wal::Recovered {
                    frames: Default::default(),
                    last_commit: None,
                };
                (file, writer, recovered)
            }
        };
        if created_a_file {
            vfs.sync_dir(path)
                .map_err(Error::io("sync database directory"))?;
        }
        let mut writer = writer;
        writer.set_sync_on_reset(config.durability != Durability::Off);
        let header = writer.header();
        let meta = match recovered.frames.get(&HEADER_PAGE) {
            Some(&frame) => {
                let mut buf = PageBuf::zeroed(page_size);
                wal::read_frame_page(&*wal_file, &header, frame, &mut buf)?;
                buf.verify(HEADER_PAGE)?;
                let meta = Meta::decode(&buf)?;
                if meta.db_id != state.db_id {
                    return Err(Error::corrupt(
                        HEADER_PAGE,
                        "the WAL's newest page 0 names another database",
                    ));
                }
                meta
            }
            None => state.meta.ok_or_else(|| {
                Error::corrupt(HEADER_PAGE, "page 0 is damaged and the WAL holds no copy")
            })?,
        };
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

/// A database at transaction 0 with no commit in its WAL holds nothing; if its
/// page 1 is not the valid directory, the creation stopped between page 0 and
/// page 1 (`create.rs`). With `create` it is finished, else refused.
fn finish_creation(main: &dyn VfsFile, page_size: usize, create: bool) -> Result<()> {
    let mut dir = PageBuf::zeroed(page_size);
    match main.read_at(dir.bytes_mut(), page_size as u64) {
        Ok(()) if dir.verify(DIRECTORY_ROOT).is_ok() => return Ok(()),
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::UnexpectedEof => {}
        Err(e) => {
            return Err(Error::Io {
                op: "read page",
                source: e,
            })
        }
    }
    if !create {
        return Err(Error::NotADatabase {
            reason: "the file holds only an unfinished creation (page 1 was never \
                     written); open with `create` to create the database"
                .into(),
        });
    }
    create::finish(main, page_size)
}

impl Drop for Pager {
    fn drop(&mut self) {
        self.close();
    }
}
