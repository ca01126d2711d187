//! The file layer: every byte covet reads or writes goes through a [`Vfs`].
//!
//! Three implementations ship with the engine:
//! - [`OsVfs`]: real files with positional I/O, `fdatasync`/`fsync` and an advisory
//!   exclusive lock so that two processes never write one database.
//! - [`MemoryVfs`]: files held in memory, for `Database::memory()` and tests.
//! - [`FaultVfs`]: in-memory files that keep "durable" and "live" bytes apart and can
//!   inject failures — EIO/ENOSPC at the Nth call, a power cut at the Nth write or
//!   sync, torn writes — and then hand out the file system a crash would leave.
//!
//! Contract every implementation keeps (the pager relies on it):
//! - `read_at` fills the whole buffer or fails; reading past the end of the file is
//!   an `UnexpectedEof` error, never a short read.
//! - `write_at` past the end extends the file (the gap reads as zeros).
//! - After `sync` returns `Ok`, everything written to that file before the call
//!   survives a crash. Nothing else is promised: unsynced writes may be lost, kept
//!   or torn, in any combination.
//! - A file's *name* is durable only after [`Vfs::sync_dir`] of its directory
//!   returned `Ok` (POSIX: an `fsync` of a file does not make its directory entry
//!   durable). Until then a crash may lose a created file, bring back a removed
//!   one, or do both. Callers sync the directory after every creation and removal
//!   that durability depends on, as SQLite does with `SQLITE_FCNTL_SYNC`/DIRSYNC.

mod fault;
mod memory;
mod os;

pub use fault::{CrashMode, FaultConfig, FaultKind, FaultVfs};
pub use memory::MemoryVfs;
pub use os::OsVfs;

use std::fmt;
use std::io;
use std::path::Path;

/// How a file is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Open an existing file; fail with `NotFound` if it does not exist.
    Existing,
    /// Open the file, creating it empty if it does not exist.
    CreateIfMissing,
    /// Create a new file; fail with `AlreadyExists` if it exists.
    CreateNew,
}

/// What a `sync` must make durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncKind {
    /// File data, plus the metadata needed to read it back (`fdatasync`).
    Data,
    /// File data and all metadata (`fsync`).
    Full,
}

/// A file system: opens, checks and removes files by path.
pub trait Vfs: Send + Sync + fmt::Debug {
    /// Opens `path` as `mode` says.
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Box<dyn VfsFile>>;
    /// Whether a file exists at `path`.
    fn exists(&self, path: &Path) -> io::Result<bool>;
    /// Removes the file at `path`; removing a missing file is `NotFound`.
    fn remove(&self, path: &Path) -> io::Result<()>;
    /// Makes the entries of the directory that holds `path` durable: every file
    /// created in or removed from it before the call is (or stays gone) after a
    /// crash. `path` itself need not exist.
    fn sync_dir(&self, path: &Path) -> io::Result<()>;
}

/// One open file. Positional I/O only: there is no cursor, so a file can be shared
/// by threads without a lock around it.
pub trait VfsFile: Send + Sync + fmt::Debug {
    /// Reads exactly `buf.len()` bytes at `offset`.
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()>;
    /// Writes all of `buf` at `offset`, extending the file if needed.
    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<()>;
    /// Makes every earlier write to this file durable.
    fn sync(&self, kind: SyncKind) -> io::Result<()>;
    /// The file's current size in bytes.
    fn size(&self) -> io::Result<u64>;
    /// Sets the file's size, cutting or zero-extending it.
    fn set_len(&self, size: u64) -> io::Result<()>;
    /// Takes an exclusive advisory lock for the life of this handle.
    /// Returns `Ok(false)` when another holder has it.
    fn try_lock_exclusive(&self) -> io::Result<bool>;
}
