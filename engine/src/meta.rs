//! Page 0: the database header and the meta data of one committed state.
//!
//! Layout (offsets in bytes, little-endian):
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0  | 8 | page checksum (as every page) |
//! | 8  | 1 | page type = Header |
//! | 9  | 7 | magic `covetDB` |
//! | 16 | 4 | format version |
//! | 20 | 4 | page size |
//! | 24 | 8 | commit counter (transaction id of the last commit) |
//! | 32 | 4 | page count (pages in use, including free-list pages) |
//! | 36 | 4 | first free-list trunk page (0 = none) |
//! | 40 | 4 | number of free pages |
//! | 44 | 4 | root page of the tree directory |
//! | 48 | 8 | schema cookie (bumped by every catalog change) |
//! | 56 | 8 | layout generation (bumped by VACUUM, which may move tree roots) |
//! | 64 | 16 | database id (random, chosen at creation, never changed) |
//! | 80 | 8 | tree counter: the last tree identity issued (see `btree::Root`) |
//!
//! Page 0 is written through the WAL like any other page; every commit writes it
//! last, as the commit frame, so the newest committed page 0 describes the newest
//! committed state.
//!
//! The database id binds a WAL to its main file: the WAL header carries it too,
//! and a WAL of another id is never applied (see `wal.rs`). A backup is a new
//! database and gets a new id. 128 random bits: two databases never share one.

use crate::error::{Error, Result};
use crate::page::{validate_page_size, PageBuf, PageNo, PageType};

/// The magic bytes at offset 9.
pub(crate) const MAGIC: &[u8; 7] = b"covetDB";
/// The on-disk format version this build writes. Version 2 added the
/// database id (page 0) and the WAL header's id and base commit, and tree
/// identities (node header 28 bytes, directory entries carry the identity,
/// page 0 the tree counter). Version 3 added long keys (B+tree cells whose key
/// length exceeds the inline limit keep the key's tail in an overflow chain).
pub(crate) const FORMAT_VERSION: u32 = 3;
/// The oldest version this build reads. Version 2 files read the same way (no
/// version 2 cell has a key past the inline limit); every commit writes page 0
/// with [`FORMAT_VERSION`], so a version 2 file becomes version 3 at its first
/// commit by this build, and a build that only knows version 2 refuses it
/// from then on instead of misreading a long key.
pub(crate) const OLDEST_READABLE_VERSION: u32 = 2;
/// The end of the meta data fields in page 0; the rest of the page is zeros.
pub(crate) const HEADER_FIELDS_END: usize = 88;

/// The page number of the header page.
pub(crate) const HEADER_PAGE: PageNo = 0;
/// The root of the tree directory: fixed at creation, never moves.
pub(crate) const DIRECTORY_ROOT: PageNo = 1;

/// The meta data of one committed state of the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Meta {
    pub page_size: u32,
    pub txn_id: u64,
    pub page_count: u32,
    pub free_head: PageNo,
    pub free_count: u32,
    pub directory_root: PageNo,
    pub schema_cookie: u64,
    pub layout_gen: u64,
    pub db_id: u128,
    pub tree_counter: u64,
}

/// A new random database id.
pub(crate) fn new_db_id() -> u128 {
    rand::random()
}

impl Meta {
    /// The meta data of a new, empty database: page 0 and the empty tree
    /// directory at page 1, nothing committed yet (transaction id 0).
    pub(crate) fn new_database(page_size: u32, db_id: u128) -> Meta {
        Meta {
            page_size,
            txn_id: 0,
            page_count: 2,
            free_head: 0,
            free_count: 0,
            directory_root: DIRECTORY_ROOT,
            schema_cookie: 0,
            layout_gen: 0,
            db_id,
            tree_counter: 0,
        }
    }

    /// Reads the page size from the first bytes of a main file, before any checksum
    /// can be checked (the checksum needs the page size). The magic and version are
    /// checked here too so that a foreign file is rejected with a clear message.
    pub(crate) fn peek_page_size(first_bytes: &[u8]) -> Result<usize> {
        if first_bytes.len() < 24 {
            return Err(not_db("file is shorter than a header"));
        }
        if &first_bytes[9..16] != MAGIC {
            return Err(not_db("wrong magic bytes"));
        }
        let version = u32::from_le_bytes(first_bytes[16..20].try_into().expect("4"));
        if !(OLDEST_READABLE_VERSION..=FORMAT_VERSION).contains(&version) {
            return Err(not_db(format!(
                "format version {version}, this build reads versions \
                 {OLDEST_READABLE_VERSION} to {FORMAT_VERSION}"
            )));
        }
        let size = u32::from_le_bytes(first_bytes[20..24].try_into().expect("4")) as usize;
        validate_page_size(size).map_err(|_| not_db(format!("bad page size {size}")))?;
        Ok(size)
    }

    /// The page size that the first bytes of a main file claim, if they start
    /// with the magic and name a valid page size; read before the checksum can be
    /// checked (it needs the page size). The version is checked by
    /// [`Meta::decode`], after the checksum: a damaged version field is damage,
    /// an intact one of another version is another format.
    pub(crate) fn claimed_page_size(first_bytes: &[u8]) -> Option<usize> {
        if first_bytes.len() < 24 || &first_bytes[9..16] != MAGIC {
            return None;
        }
        let size = u32::from_le_bytes(first_bytes[20..24].try_into().expect("4")) as usize;
        validate_page_size(size).ok().map(|()| size)
    }

    /// Decodes a header page whose checksum was already verified.
    pub(crate) fn decode(page: &PageBuf) -> Result<Meta> {
        if page.page_type() != Some(PageType::Header) {
            return Err(Error::corrupt(HEADER_PAGE, "page 0 is not a header page"));
        }
        let page_size = Meta::peek_page_size(page.bytes())? as u32;
        if page_size as usize != page.len() {
            return Err(Error::corrupt(
                HEADER_PAGE,
                "page size field disagrees with the file",
            ));
        }
        let meta = Meta {
            page_size,
            txn_id: page.u64_at(24),
            page_count: page.u32_at(32),
            free_head: page.u32_at(36),
            free_count: page.u32_at(40),
            directory_root: page.u32_at(44),
            schema_cookie: page.u64_at(48),
            layout_gen: page.u64_at(56),
            db_id: u128::from_le_bytes(page.bytes()[64..80].try_into().expect("16")),
            tree_counter: page.u64_at(80),
        };
        if meta.page_count < 2
            || meta.free_head >= meta.page_count
            || meta.free_count >= meta.page_count
            || meta.directory_root == HEADER_PAGE
            || meta.directory_root >= meta.page_count
        {
            return Err(Error::corrupt(
                HEADER_PAGE,
                format!("impossible meta data {meta:?}"),
            ));
        }
        Ok(meta)
    }

    /// Writes this meta data into a header page (the checksum is set at write-out).
    pub(crate) fn encode(&self, page: &mut PageBuf) {
        page.set_page_type(PageType::Header);
        page.bytes_mut()[9..16].copy_from_slice(MAGIC);
        page.put_u32(16, FORMAT_VERSION);
        page.put_u32(20, self.page_size);
        page.put_u64(24, self.txn_id);
        page.put_u32(32, self.page_count);
        page.put_u32(36, self.free_head);
        page.put_u32(40, self.free_count);
        page.put_u32(44, self.directory_root);
        page.put_u64(48, self.schema_cookie);
        page.put_u64(56, self.layout_gen);
        page.bytes_mut()[64..80].copy_from_slice(&self.db_id.to_le_bytes());
        page.put_u64(80, self.tree_counter);
    }
}

fn not_db(reason: impl Into<String>) -> Error {
    Error::NotADatabase {
        reason: reason.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let meta = Meta {
            page_size: 4096,
            txn_id: 9,
            page_count: 10,
            free_head: 7,
            free_count: 3,
            directory_root: DIRECTORY_ROOT,
            schema_cookie: 4,
            layout_gen: 2,
            db_id: 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210,
            tree_counter: 11,
        };
        let mut p = PageBuf::zeroed(4096);
        meta.encode(&mut p);
        assert_eq!(Meta::decode(&p).unwrap(), meta);
        assert_eq!(Meta::peek_page_size(p.bytes()).unwrap(), 4096);
    }

    #[test]
    fn foreign_files_are_rejected() {
        assert!(matches!(
            Meta::peek_page_size(b"SQLite format 3\0\x10\0\x01\x01\0\x40\x20\x20"),
            Err(Error::NotADatabase { .. })
        ));
        assert!(Meta::peek_page_size(b"short").is_err());
    }
}
