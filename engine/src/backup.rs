//! Online backup: copies one snapshot, page by page, into a new database file
//! while writers go on. The copy needs no WAL: page 0 of the snapshot is the
//! committed header of that state, and every page carries its own checksum.

use std::path::Path;

use crate::error::{Error, Result};
use crate::txn::ReadTxn;
use crate::vfs::{OpenMode, SyncKind, Vfs};

/// What a backup copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupOutcome {
    /// Pages written.
    pub pages: u32,
    /// The commit (transaction id) the copy shows.
    pub txn_id: u64,
}

/// Writes the snapshot `txn` into a new file `dest` on `vfs`.
pub(crate) fn backup(txn: &ReadTxn, vfs: &dyn Vfs, dest: &Path) -> Result<BackupOutcome> {
    let snap = txn.snapshot();
    let pager = txn.pager();
    let page_size = pager.page_size();
    let file = vfs
        .open(dest, OpenMode::CreateNew)
        .map_err(Error::io("create backup file"))?;
    let mut buf: Vec<u8> = Vec::with_capacity(page_size * 256);
    let mut start = 0u64;
    for no in 0..snap.meta.page_count {
        let page = pager.read_uncached(snap, no)?;
        buf.extend_from_slice(page.bytes());
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
    Ok(BackupOutcome {
        pages: snap.meta.page_count,
        txn_id: snap.meta.txn_id,
    })
}
