//! Pages: fixed-size buffers with a checksum, the unit of I/O and caching.
//!
//! Every page starts with an 8-byte xxh3 checksum of the rest of the page, seeded
//! with the page number, so that a page read from the wrong place fails just like
//! a damaged one. Byte 8 is the page type. All integers are little-endian.
//!
//! Invariant: a page in the page cache or in the WAL index is immutable; writers
//! copy a page before changing it (`Arc::make_mut`).

use std::sync::Arc;

use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::error::{Error, Result};

/// A page number: the page's offset in the main file divided by the page size.
pub type PageNo = u32;

/// Byte offset of the page type in every page.
pub(crate) const TYPE_OFFSET: usize = 8;

/// Smallest and largest page sizes accepted at creation.
pub const MIN_PAGE_SIZE: usize = 512;
/// See [`MIN_PAGE_SIZE`].
pub const MAX_PAGE_SIZE: usize = 65536;

/// What a page holds, stored in byte 8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum PageType {
    /// Page 0: the database header and meta data.
    Header = 1,
    /// A B+tree leaf.
    Leaf = 2,
    /// A B+tree branch (interior node).
    Branch = 3,
    /// A piece of an overflow value.
    Overflow = 4,
    /// A free-list trunk page.
    FreeTrunk = 5,
}

impl PageType {
    pub(crate) fn from_byte(b: u8) -> Option<PageType> {
        Some(match b {
            1 => PageType::Header,
            2 => PageType::Leaf,
            3 => PageType::Branch,
            4 => PageType::Overflow,
            5 => PageType::FreeTrunk,
            _ => return None,
        })
    }
}

/// The bytes of one page.
#[derive(Clone, PartialEq, Eq)]
pub struct PageBuf(Box<[u8]>);

/// A shared, immutable page.
pub type Page = Arc<PageBuf>;

impl std::fmt::Debug for PageBuf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PageBuf({} bytes, type {})",
            self.0.len(),
            self.0[TYPE_OFFSET]
        )
    }
}

impl PageBuf {
    /// A zeroed page of `size` bytes.
    pub(crate) fn zeroed(size: usize) -> PageBuf {
        PageBuf(vec![0u8; size].into_boxed_slice())
    }

    /// The page's bytes.
    #[inline]
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// The page's bytes, writable.
    #[inline]
    pub(crate) fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.0
    }

    /// The page size.
    #[inline]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false: pages are never empty. Here for the `len` convention.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The page type byte, decoded.
    pub(crate) fn page_type(&self) -> Option<PageType> {
        PageType::from_byte(self.0[TYPE_OFFSET])
    }

    /// Sets the page type.
    pub(crate) fn set_page_type(&mut self, t: PageType) {
        self.0[TYPE_OFFSET] = t as u8;
    }

    /// Computes and stores the checksum; call just before the page is written.
    pub(crate) fn seal(&mut self, no: PageNo) {
        let sum = checksum(no, &self.0[8..]);
        self.0[..8].copy_from_slice(&sum.to_le_bytes());
    }

    /// Checks the stored checksum against the content.
    pub(crate) fn verify(&self, no: PageNo) -> Result<()> {
        let stored = u64::from_le_bytes(self.0[..8].try_into().expect("8 bytes"));
        if stored != checksum(no, &self.0[8..]) {
            return Err(Error::corrupt(no, "checksum mismatch"));
        }
        Ok(())
    }

    #[inline]
    pub(crate) fn u32_at(&self, off: usize) -> u32 {
        u32::from_le_bytes(self.0[off..off + 4].try_into().expect("4 bytes"))
    }

    #[inline]
    pub(crate) fn u64_at(&self, off: usize) -> u64 {
        u64::from_le_bytes(self.0[off..off + 8].try_into().expect("8 bytes"))
    }

    #[inline]
    pub(crate) fn put_u32(&mut self, off: usize, v: u32) {
        self.0[off..off + 4].copy_from_slice(&v.to_le_bytes());
    }

    #[inline]
    pub(crate) fn put_u64(&mut self, off: usize, v: u64) {
        self.0[off..off + 8].copy_from_slice(&v.to_le_bytes());
    }
}

fn checksum(no: PageNo, body: &[u8]) -> u64 {
    xxh3_64_with_seed(body, u64::from(no) ^ 0x636f_7665_745f_7067)
}

/// Checks that a page size is a power of two within the supported range.
pub(crate) fn validate_page_size(size: usize) -> Result<()> {
    if !size.is_power_of_two() || !(MIN_PAGE_SIZE..=MAX_PAGE_SIZE).contains(&size) {
        return Err(Error::InvalidOption(format!(
            "page size {size} must be a power of two between {MIN_PAGE_SIZE} and {MAX_PAGE_SIZE}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_then_verify_and_detect_damage() {
        let mut p = PageBuf::zeroed(4096);
        p.set_page_type(PageType::Leaf);
        p.bytes_mut()[100] = 7;
        p.seal(42);
        p.verify(42).unwrap();
        // The same bytes read as another page number fail: misdirected I/O is caught.
        assert!(matches!(p.verify(43), Err(Error::Corrupt { page: 43, .. })));
        p.bytes_mut()[4000] ^= 1;
        assert!(matches!(p.verify(42), Err(Error::Corrupt { page: 42, .. })));
    }

    #[test]
    fn zero_page_is_not_valid() {
        let p = PageBuf::zeroed(512);
        assert!(p.verify(0).is_err());
    }

    #[test]
    fn page_sizes() {
        assert!(validate_page_size(4096).is_ok());
        assert!(validate_page_size(512).is_ok());
        assert!(validate_page_size(65536).is_ok());
        assert!(validate_page_size(256).is_err());
        assert!(validate_page_size(5000).is_err());
        assert!(validate_page_size(131072).is_err());
    }
}
