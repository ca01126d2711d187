//! Online backup: copies one snapshot, page by page, into a new database file
//! while writers go on. The copy needs no WAL: page 0 of the snapshot is the
//! committed header of that state, and every page carries its own checksum.
//!
//! The copy is a new database: its page 0 gets a new database id, so no WAL of
//! the source (or of anything else) can ever be applied to it. A leftover
//! `DEST-wal` (of a database that was at `DEST` once) is removed, and the
//! directory is synced after the copy is, so that a finished backup survives a
//! power cut with its name, and the leftover log does not come back.

use std::io::ErrorKind;
use std::path::Path;

use crate::error::{Error, Result};
use crate::meta::HEADER_PAGE;
use crate::pager::wal_path;
use crate::txn::ReadTxn;
use crate::vfs::{OpenMode, SyncKind, Vfs, VfsFile};

/// What a backup copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupOutcome {
    /// Pages written.
    pub pages: u32,
    /// The commit (transaction id) the copy shows.
    pub txn_id: u64,
}

/// Writes the snapshot `txn` into a new file `dest` on `vfs` (`dest` must not
/// exist). On failure the partial copy is removed.
pub(crate) fn backup(txn: &ReadTxn, vfs: &dyn Vfs, dest: &Path) -> Result<BackupOutcome> {
    let file = vfs
        .open(dest, OpenMode::CreateNew)
        .map_err(Error::io("create backup file"))?;
    let res = copy(txn, vfs, dest, &*file);
    if res.is_err() {
        drop(file);
        let _ = vfs.remove(dest);
    }
    res
}

fn copy(txn: &ReadTxn, vfs: &dyn Vfs, dest: &Path, file: &dyn VfsFile) -> Result<BackupOutcome> {
    // `dest` did not exist, so a WAL next to it belongs to no database here.
    match vfs.remove(&wal_path(dest)) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => {
            return Err(Error::Io {
                op: "remove leftover wal of the backup",
                source: e,
            })
        }
    }
    let snap = txn.snapshot();
    let pager = txn.pager();
    let page_size = pager.page_size();
    let mut buf: Vec<u8> = Vec::with_capacity(page_size * 256);
    let mut start = 0u64;
    for no in 0..snap.meta.page_count {
        let page = pager.read_uncached(snap, no)?;
        if no == HEADER_PAGE {
            let mut header = (*page).clone();
            let mut meta = snap.meta;
            meta.db_id = crate::meta::new_db_id();
            meta.encode(&mut header);
            header.seal(HEADER_PAGE);
            buf.extend_from_slice(header.bytes());
        } else {
            buf.extend_from_slice(page.bytes());
        }
        if buf.len() >= page_size * 256 {
            file.write_at(&buf, start)
                .map_err(Error::io("write backup"))?;
            start += buf.len() as u64;
            buf.clear();
        }
    }
    file.write_at(&buf, start)
        .map_err(Error::io("write backup"))?;
    file.sync(SyncKind::Full)
        .map_err(Error::io("sync backup"))?;
    vfs.sync_dir(dest)
        .map_err(Error::io("sync backup directory"))?;
    Ok(BackupOutcome {
        pages: snap.meta.page_count,
        txn_id: snap.meta.txn_id,
    })
}
