//! Reading page 0 of the main file at open, and deciding what a file whose page
//! 0 is not a valid header is. Nothing here writes.

use super::create;
use crate::error::{Error, Result};
use crate::meta::{Meta, HEADER_FIELDS_END, HEADER_PAGE, MAGIC};
use crate::page::{PageBuf, MAX_PAGE_SIZE};
use crate::vfs::VfsFile;
use crate::wal::WalScan;

/// The state of the main file that a WAL must match to be replayed.
#[derive(Debug, Clone, Copy)]
pub(super) struct MainState {
    pub db_id: u128,
    pub txn_id: u64,
    pub page_size: usize,
    /// Page 0's meta data; `None` when page 0 is torn and its newest committed
    /// version is in the WAL ([`covered_by_wal`]).
    pub meta: Option<Meta>,
}

impl MainState {
    pub(super) fn of(meta: Meta) -> MainState {
        MainState {
            db_id: meta.db_id,
            txn_id: meta.txn_id,
            page_size: meta.page_size as usize,
            meta: Some(meta),
        }
    }
}

/// A page 0 that fails its checksum is what a checkpoint leaves when the power
/// goes out while it overwrites page 0 (a torn write): the WAL still holds every
/// commit, page 0 among them, and recovery must use it, as SQLite does. Such a
/// page is a mix of two versions of this database's page 0, so its database id
/// (bytes 64..80) and transaction id (24..32) are still readable. The WAL is
/// trusted only if it is that database's (same id), its generation includes that
/// transaction (not stale), and it holds a committed page 0. Anything else (the
/// id destroyed, another database's WAL, no WAL) falls through to
/// [`judge_damaged`].
pub(super) fn covered_by_wal(
    main: &dyn VfsFile,
    size: u64,
    scan: &WalScan,
) -> Result<Option<MainState>> {
    if size < HEADER_FIELDS_END as u64 || !scan.recovered.frames.contains_key(&HEADER_PAGE) {
        return Ok(None);
    }
    let mut raw = [0u8; HEADER_FIELDS_END];
    main.read_at(&mut raw, 0)
        .map_err(Error::io("read header"))?;
    let db_id = u128::from_le_bytes(raw[64..80].try_into().expect("16"));
    let txn_id = u64::from_le_bytes(raw[24..32].try_into().expect("8"));
    let page_size = scan.header.page_size as usize;
    if !scan.applies_to(db_id, txn_id, page_size) {
        return Ok(None);
    }
    Ok(Some(MainState {
        db_id,
        txn_id,
        page_size,
        meta: None,
    }))
}

/// What page 0 of the main file is.
pub(super) enum Header {
    /// A valid header page (checksum, version and meta data checked).
    Valid(Meta),
    /// No valid header; why.
    Damaged(String),
}

/// Reads page 0. Errors only for I/O failures, an intact header of another
/// format version (`NotADatabase`) and impossible meta data behind a good
/// checksum (`Corrupt`); anything else unreadable is [`Header::Damaged`].
pub(super) fn read_header(main: &dyn VfsFile, size: u64) -> Result<Header> {
    if size < 24 {
        return Ok(Header::Damaged("the file is shorter than a header".into()));
    }
    let mut first = [0u8; 24];
    main.read_at(&mut first, 0)
        .map_err(Error::io("read header"))?;
    let Some(page_size) = Meta::claimed_page_size(&first) else {
        let reason = if &first[9..16] == MAGIC {
            "the page size field is not a valid page size"
        } else {
            "wrong magic bytes"
        };
        return Ok(Header::Damaged(reason.into()));
    };
    if size < page_size as u64 {
        return Ok(Header::Damaged(format!(
            "the file ({size} bytes) is shorter than its first page ({page_size} bytes)"
        )));
    }
    let mut page = PageBuf::zeroed(page_size);
    main.read_at(page.bytes_mut(), 0)
        .map_err(Error::io("read header"))?;
    if page.verify(HEADER_PAGE).is_err() {
        return Ok(Header::Damaged("page 0 fails its checksum".into()));
    }
    Meta::decode(&page).map(Header::Valid)
}

/// Decides about a main file of `size` bytes whose page 0 is damaged
/// (`reason`), given whether the caller allows creation and whether a WAL next
/// to it holds a complete commit (of any database: with page 0 gone, the id
/// cannot be checked, so any commit counts as data). `Ok` means: it is an
/// interrupted creation that holds nothing, to be written anew.
///
/// The rule (DESIGN.md, "Opening never destroys data"): re-initialise only a
/// provable unfinished creation, never with `create: false`, never when the WAL
/// holds a commit, never when any page past page 0 is valid. A file that shows
/// nothing of covet is `NotADatabase`; every other case is `Corrupt` at page 0.
pub(super) fn judge_damaged(
    main: &dyn VfsFile,
    size: u64,
    reason: &str,
    create: bool,
    wal_has_commit: bool,
) -> Result<()> {
    let mut bytes = vec![0u8; size.min(MAX_PAGE_SIZE as u64 + 1) as usize];
    main.read_at(&mut bytes, 0)
        .map_err(Error::io("read database file"))?;
    let valid_page = create::valid_page_past_header(main, size)?;
    let unfinished = create::is_unfinished_creation(&bytes) && !valid_page;
    if unfinished && !wal_has_commit {
        if create {
            return Ok(());
        }
        let what = if size == 0 {
            "the file is empty".to_string()
        } else {
            format!("the file holds only an unfinished creation ({reason})")
        };
        return Err(Error::NotADatabase {
            reason: format!("{what}; open with `create` to create the database"),
        });
    }
    let magic = bytes.len() >= 16 && &bytes[9..16] == MAGIC;
    if !(magic || valid_page || wal_has_commit || unfinished) {
        return Err(Error::NotADatabase {
            reason: reason.to_string(),
        });
    }
    let mut detail = reason.to_string();
    if valid_page {
        detail.push_str("; later pages hold data");
    }
    if wal_has_commit {
        detail.push_str("; the WAL holds commits");
    }
    Err(Error::corrupt(
        HEADER_PAGE,
        format!("the header is damaged ({detail}); nothing was changed"),
    ))
}
