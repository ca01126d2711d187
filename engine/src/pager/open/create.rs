//! Creating a database file, and recognising a creation that never finished.
//!
//! The protocol (FORMAT.md, "Creation"): cut the file to zero, write page 0 (the
//! header, transaction id 0) and sync it, then write page 1 (the empty tree
//! directory) and sync it; the open then syncs the directory (the file's name).
//!
//! Why page 0 first: the rule that makes opening safe is "re-initialise only a
//! file that provably holds no data", and a valid page past page 0 is data. With
//! page 0 written and synced before any other page, an interrupted creation
//! leaves one of exactly two shapes, and neither can be mistaken for a database
//! that holds commits:
//! - page 0 missing or torn, and nothing past it: every byte is zero or the byte
//!   a new header has there ([`is_unfinished_creation`]); the file is written
//!   anew;
//! - page 0 valid at transaction 0, page 1 missing or torn: page 0 itself says
//!   nothing was ever committed, so the empty directory is written
//!   ([`finish`]).
//!
//! A temporary file and a rename would give the same guarantee, at the price of
//! a rename in [`Vfs`](crate::vfs::Vfs) and a second name that a crash can leave
//! behind; the two-step write needs neither.

use crate::btree::node::NodeMut;
use crate::error::{Error, Result};
use crate::meta::{Meta, DIRECTORY_ROOT, HEADER_FIELDS_END, HEADER_PAGE};
use crate::page::{validate_page_size, PageBuf, PageType, MAX_PAGE_SIZE, MIN_PAGE_SIZE};
use crate::vfs::{SyncKind, VfsFile};

/// Writes a new, empty database of `page_size` into `main` (whatever it held:
/// the caller proved it was an unfinished creation or empty).
pub(super) fn initialize(main: &dyn VfsFile, page_size: usize) -> Result<Meta> {
    validate_page_size(page_size)?;
    let meta = Meta::new_database(page_size as u32, crate::meta::new_db_id());
    let mut header = PageBuf::zeroed(page_size);
    meta.encode(&mut header);
    header.seal(HEADER_PAGE);
    main.set_len(0)
        .map_err(Error::io("truncate database file"))?;
    main.write_at(header.bytes(), 0)
        .map_err(Error::io("write new database"))?;
    main.sync(SyncKind::Full)
        .map_err(Error::io("sync new database"))?;
    finish(main, page_size)?;
    Ok(meta)
}

/// Writes the empty tree directory (page 1) of a database whose page 0 is at
/// transaction 0, and syncs it.
pub(super) fn finish(main: &dyn VfsFile, page_size: usize) -> Result<()> {
    let mut dir = PageBuf::zeroed(page_size);
    NodeMut::new(&mut dir).init(PageType::Leaf);
    dir.seal(DIRECTORY_ROOT);
    main.write_at(dir.bytes(), page_size as u64)
        .map_err(Error::io("write new database"))?;
    main.sync(SyncKind::Full)
        .map_err(Error::io("sync new database"))
}

/// Whether `bytes`, the whole main file, is what an interrupted [`initialize`]
/// can leave before page 0 was durable: at most one page of the largest size,
/// every byte zero or the byte a new header has at that offset. The checksum
/// (0..8), the page size (20..24) and the database id (64..80) may hold anything:
/// they differ between attempts, and a torn write can mix two attempts. A file
/// with any other byte is not one this engine wrote.
pub(super) fn is_unfinished_creation(bytes: &[u8]) -> bool {
    if bytes.len() > MAX_PAGE_SIZE {
        return false;
    }
    let mut template = PageBuf::zeroed(MIN_PAGE_SIZE);
    Meta::new_database(0, 0).encode(&mut template);
    let template = &template.bytes()[..HEADER_FIELDS_END];
    bytes.iter().enumerate().all(|(i, &b)| match i {
        0..8 | 20..24 | 64..80 => true,
        _ if i < HEADER_FIELDS_END => b == 0 || b == template[i],
        _ => b == 0,
    })
}

/// How far [`valid_page_past_header`] looks in a file larger than an unfinished
/// creation: the directory root is page 1, so a damaged covet file shows a valid
/// page among its first ones unless it is wholly destroyed.
const PAGES_LOOKED_AT: u64 = 16;

/// Whether some page past page 0 holds a valid checksum, for any page size: the
/// file then held data. Complete for files up to [`MAX_PAGE_SIZE`] (the only ones
/// that can be an unfinished creation); for larger ones, the first
/// [`PAGES_LOOKED_AT`] pages of each size, to tell a damaged database (`Corrupt`)
/// from a foreign file (`NotADatabase`).
pub(super) fn valid_page_past_header(main: &dyn VfsFile, size: u64) -> Result<bool> {
    let mut page_size = MIN_PAGE_SIZE;
    while page_size <= MAX_PAGE_SIZE {
        let pages = size / page_size as u64;
        let last = if size <= MAX_PAGE_SIZE as u64 {
            pages
        } else {
            pages.min(PAGES_LOOKED_AT + 1)
        };
        let mut buf = PageBuf::zeroed(page_size);
        for no in 1..last {
            main.read_at(buf.bytes_mut(), no * page_size as u64)
                .map_err(Error::io("read database file"))?;
            if buf.verify(no as u32).is_ok() {
                return Ok(true);
            }
        }
        page_size *= 2;
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vfs::{MemoryVfs, OpenMode, Vfs};
    use std::path::Path;

    fn file(bytes: Vec<u8>) -> Box<dyn VfsFile> {
        let vfs = MemoryVfs::new();
        vfs.set_file_bytes("f", bytes);
        vfs.open(Path::new("f"), OpenMode::Existing).unwrap()
    }

    #[test]
    fn a_new_database_is_page_0_then_page_1() {
        let vfs = MemoryVfs::new();
        let f = vfs.open(Path::new("f"), OpenMode::CreateNew).unwrap();
        f.write_at(&[9u8; 5000], 0).unwrap();
        let meta = initialize(&*f, 1024).unwrap();
        assert_eq!((meta.txn_id, meta.page_count), (0, 2));
        let bytes = vfs.file_bytes("f").unwrap();
        assert_eq!(bytes.len(), 2048, "the old bytes are gone");
        let mut p0 = PageBuf::zeroed(1024);
        p0.bytes_mut().copy_from_slice(&bytes[..1024]);
        p0.verify(0).unwrap();
        assert_eq!(Meta::decode(&p0).unwrap(), meta);
        let mut p1 = PageBuf::zeroed(1024);
        p1.bytes_mut().copy_from_slice(&bytes[1024..]);
        p1.verify(1).unwrap();
        // Every prefix of page 0 (and page 0 alone, before page 1) is recognised.
        for cut in [0, 1, 8, 9, 24, 80, 81, 512, 1024] {
            assert!(is_unfinished_creation(&bytes[..cut]), "cut {cut}");
        }
        assert!(!is_unfinished_creation(&bytes), "page 1 is data");
        assert!(!valid_page_past_header(&*file(bytes[..1024].to_vec()), 1024).unwrap());
        assert!(valid_page_past_header(&*file(bytes.clone()), 2048).unwrap());
    }

    #[test]
    fn foreign_bytes_are_not_an_unfinished_creation() {
        assert!(!is_unfinished_creation(b"SQLite format 3\0"));
        assert!(!is_unfinished_creation(&[0u8; MAX_PAGE_SIZE + 1]));
        let mut zeros = vec![0u8; 4096];
        assert!(is_unfinished_creation(&zeros));
        zeros[3000] = 1;
        assert!(!is_unfinished_creation(&zeros));
        let mut header = vec![0u8; 100];
        header[9..16].copy_from_slice(b"covetDB");
        assert!(is_unfinished_creation(&header));
        header[32] = 7; // page count 7: not a new database
        assert!(!is_unfinished_creation(&header));
    }
}
