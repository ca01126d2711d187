//! [`MemoryVfs`]: files held in memory, for `Database::memory()` and tests.
//!
//! A file lives in the VFS, not in its handles: it survives when every handle is
//! dropped and is gone only after [`Vfs::remove`]. Clones of a `MemoryVfs` share
//! their files, so a test can keep one clone to inspect or corrupt bytes while
//! the database holds another.
//!
//! Paths are compared exactly as given (no normalisation, no directories).
//! Removing a path unlinks it the POSIX way: handles that are still open keep
//! reading and writing the old file, and a new file created at that path is a
//! different file with its own lock.

use super::{OpenMode, SyncKind, Vfs, VfsFile};
use parking_lot::{Mutex, RwLock};
use std::collections::HashMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A file system held in memory. Clones share the same files.
#[derive(Clone, Default)]
pub struct MemoryVfs {
    files: Arc<Mutex<HashMap<PathBuf, Arc<MemoryNode>>>>,
}

/// One file: its bytes and who holds its lock.
#[derive(Default)]
struct MemoryNode {
    data: RwLock<Vec<u8>>,
    /// The id of the handle holding the exclusive lock, if any.
    lock_owner: Mutex<Option<u64>>,
}

/// Handle ids only need to be unique within one process.
static NEXT_HANDLE_ID: AtomicU64 = AtomicU64::new(1);

impl MemoryVfs {
    /// An empty file system.
    pub fn new() -> Self {
        Self::default()
    }

    /// A copy of the bytes of the file at `path`, or `None` if there is none.
    pub fn file_bytes(&self, path: impl AsRef<Path>) -> Option<Vec<u8>> {
        let node = self.files.lock().get(path.as_ref()).cloned()?;
        let bytes = node.data.read().clone();
        Some(bytes)
    }

    /// Replaces the contents of the file at `path` with `bytes`, creating the file
    /// if needed. Handles already open on the file see the new bytes, which is
    /// what a test corrupting a file under an open database wants.
    pub fn set_file_bytes(&self, path: impl AsRef<Path>, bytes: Vec<u8>) {
        let node = Arc::clone(
            self.files
                .lock()
                .entry(path.as_ref().to_path_buf())
                .or_default(),
        );
        *node.data.write() = bytes;
    }

    /// The paths of every file, sorted.
    pub fn paths(&self) -> Vec<PathBuf> {
        let mut paths: Vec<PathBuf> = self.files.lock().keys().cloned().collect();
        paths.sort();
        paths
    }
}

impl fmt::Debug for MemoryVfs {
    /// Names and sizes only: the bytes themselves could be megabytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let files = self.files.lock();
        let mut sizes: Vec<(&PathBuf, usize)> = files
            .iter()
            .map(|(path, node)| (path, node.data.read().len()))
            .collect();
        sizes.sort();
        f.debug_struct("MemoryVfs").field("files", &sizes).finish()
    }
}

impl Vfs for MemoryVfs {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Box<dyn VfsFile>> {
        let mut files = self.files.lock();
        let node = match (files.get(path), mode) {
            (Some(_), OpenMode::CreateNew) => return Err(already_exists(path)),
            (Some(node), _) => Arc::clone(node),
            (None, OpenMode::Existing) => return Err(not_found(path)),
            (None, OpenMode::CreateIfMissing | OpenMode::CreateNew) => {
                Arc::clone(files.entry(path.to_path_buf()).or_default())
            }
        };
        Ok(Box::new(MemoryFile {
            node,
            path: path.to_path_buf(),
            id: NEXT_HANDLE_ID.fetch_add(1, Ordering::Relaxed),
        }))
    }

    fn exists(&self, path: &Path) -> io::Result<bool> {
        Ok(self.files.lock().contains_key(path))
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        match self.files.lock().remove(path) {
            Some(_) => Ok(()),
            None => Err(not_found(path)),
        }
    }

    /// Nothing to do: a memory file system does not crash.
    fn sync_dir(&self, _path: &Path) -> io::Result<()> {
        Ok(())
    }
}

/// An open handle on a [`MemoryNode`].
struct MemoryFile {
    node: Arc<MemoryNode>,
    path: PathBuf,
    /// Identifies this handle as a lock owner.
    id: u64,
}

impl fmt::Debug for MemoryFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryFile")
            .field("path", &self.path)
            .field("id", &self.id)
            .finish()
    }
}

impl VfsFile for MemoryFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        read_from(&self.node.data.read(), buf, offset)
    }

    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        write_into(&mut self.node.data.write(), buf, offset)
    }

    fn sync(&self, _kind: SyncKind) -> io::Result<()> {
        Ok(())
    }

    fn size(&self) -> io::Result<u64> {
        Ok(self.node.data.read().len() as u64)
    }

    fn set_len(&self, size: u64) -> io::Result<()> {
        resize(&mut self.node.data.write(), size)
    }

    fn try_lock_exclusive(&self) -> io::Result<bool> {
        Ok(try_lock(&mut self.node.lock_owner.lock(), self.id))
    }
}

impl Drop for MemoryFile {
    fn drop(&mut self) {
        unlock(&mut self.node.lock_owner.lock(), self.id);
    }
}

/// Takes the lock for `id` if it is free or already `id`'s.
pub(super) fn try_lock(owner: &mut Option<u64>, id: u64) -> bool {
    match *owner {
        None => {
            *owner = Some(id);
            true
        }
        Some(holder) => holder == id,
    }
}

/// Releases the lock if `id` holds it.
pub(super) fn unlock(owner: &mut Option<u64>, id: u64) {
    if *owner == Some(id) {
        *owner = None;
    }
}

/// Fills `buf` from `data` at `offset`; anything past the end is `UnexpectedEof`.
/// An empty read succeeds at any offset, as `pread` of zero bytes does.
pub(super) fn read_from(data: &[u8], buf: &mut [u8], offset: u64) -> io::Result<()> {
    if buf.is_empty() {
        return Ok(());
    }
    let start = usize::try_from(offset).ok();
    let end = start.and_then(|start| start.checked_add(buf.len()));
    match (start, end) {
        (Some(start), Some(end)) if end <= data.len() => {
            buf.copy_from_slice(&data[start..end]);
            Ok(())
        }
        _ => Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!(
                "read of {} bytes at offset {offset} past the end of a {}-byte file",
                buf.len(),
                data.len()
            ),
        )),
    }
}

/// Writes `buf` into `data` at `offset`, zero-filling any gap past the end. An
/// empty write changes nothing, as `pwrite` of zero bytes does.
pub(super) fn write_into(data: &mut Vec<u8>, buf: &[u8], offset: u64) -> io::Result<()> {
    if buf.is_empty() {
        return Ok(());
    }
    let end = offset
        .checked_add(buf.len() as u64)
        .ok_or_else(|| too_large(u64::MAX))?;
    if end > data.len() as u64 {
        resize(data, end)?;
    }
    // `end` fits in usize now, so `offset` does too.
    let start = offset as usize;
    data[start..start + buf.len()].copy_from_slice(buf);
    Ok(())
}

/// Cuts or zero-extends `data` to `size` bytes. A size the process cannot hold is
/// an error, not an abort: a fuzzer may well ask for one.
pub(super) fn resize(data: &mut Vec<u8>, size: u64) -> io::Result<()> {
    let size = usize::try_from(size).map_err(|_| too_large(size))?;
    if size > data.len() {
        data.try_reserve(size - data.len())
            .map_err(|_| too_large(size as u64))?;
    }
    data.resize(size, 0);
    Ok(())
}

fn too_large(size: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::FileTooLarge,
        format!("in-memory file cannot grow to {size} bytes"),
    )
}

pub(super) fn not_found(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("no file at {}", path.display()),
    )
}

pub(super) fn already_exists(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!("a file already exists at {}", path.display()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(name: &str) -> &Path {
        Path::new(name)
    }

    #[test]
    fn open_modes() {
        let vfs = MemoryVfs::new();
        let err = vfs.open(p("a"), OpenMode::Existing).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(!vfs.exists(p("a")).unwrap());

        vfs.open(p("a"), OpenMode::CreateNew).unwrap();
        assert!(vfs.exists(p("a")).unwrap());
        let err = vfs.open(p("a"), OpenMode::CreateNew).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);

        vfs.open(p("a"), OpenMode::Existing).unwrap();
        vfs.open(p("a"), OpenMode::CreateIfMissing).unwrap();
        vfs.open(p("b"), OpenMode::CreateIfMissing).unwrap();
        assert_eq!(vfs.paths(), vec![PathBuf::from("a"), PathBuf::from("b")]);
    }

    #[test]
    fn read_write_and_gaps() {
        let vfs = MemoryVfs::new();
        let f = vfs.open(p("f"), OpenMode::CreateNew).unwrap();
        assert_eq!(f.size().unwrap(), 0);
        f.write_at(b"hello", 0).unwrap();
        f.write_at(b"xy", 8).unwrap();
        assert_eq!(f.size().unwrap(), 10);

        let mut buf = [0xffu8; 10];
        f.read_at(&mut buf, 0).unwrap();
        assert_eq!(&buf, b"hello\0\0\0xy");

        f.write_at(b"J", 0).unwrap();
        let mut buf = [0u8; 3];
        f.read_at(&mut buf, 0).unwrap();
        assert_eq!(&buf, b"Jel");

        // Empty reads are fine anywhere and empty writes change nothing, as with
        // the OS.
        f.read_at(&mut [], 10).unwrap();
        f.read_at(&mut [], 1000).unwrap();
        f.write_at(&[], 1000).unwrap();
        assert_eq!(f.size().unwrap(), 10);
    }

    #[test]
    fn read_past_eof_is_unexpected_eof() {
        let vfs = MemoryVfs::new();
        let f = vfs.open(p("f"), OpenMode::CreateNew).unwrap();
        f.write_at(&[1, 2, 3, 4], 0).unwrap();
        for (len, offset) in [(1, 4), (2, 3), (5, 0), (1, 100), (1, u64::MAX)] {
            let mut buf = vec![0u8; len];
            let err = f.read_at(&mut buf, offset).unwrap_err();
            assert_eq!(
                err.kind(),
                io::ErrorKind::UnexpectedEof,
                "{len} at {offset}"
            );
        }
    }

    #[test]
    fn absurd_sizes_are_errors() {
        let vfs = MemoryVfs::new();
        let f = vfs.open(p("f"), OpenMode::CreateNew).unwrap();
        assert!(f.write_at(b"x", u64::MAX).is_err());
        assert!(f.set_len(u64::MAX).is_err());
        assert_eq!(f.size().unwrap(), 0);
    }

    #[test]
    fn set_len_cuts_and_extends() {
        let vfs = MemoryVfs::new();
        let f = vfs.open(p("f"), OpenMode::CreateNew).unwrap();
        f.write_at(b"abcdef", 0).unwrap();
        f.set_len(3).unwrap();
        assert_eq!(vfs.file_bytes("f").unwrap(), b"abc");
        f.set_len(5).unwrap();
        assert_eq!(vfs.file_bytes("f").unwrap(), b"abc\0\0");
        f.sync(SyncKind::Data).unwrap();
        f.sync(SyncKind::Full).unwrap();
    }

    #[test]
    fn files_outlive_handles_and_clones_share() {
        let vfs = MemoryVfs::new();
        let other = vfs.clone();
        {
            let f = vfs.open(p("f"), OpenMode::CreateNew).unwrap();
            f.write_at(b"kept", 0).unwrap();
        }
        assert_eq!(other.file_bytes("f").unwrap(), b"kept");
        let f = other.open(p("f"), OpenMode::Existing).unwrap();
        let mut buf = [0u8; 4];
        f.read_at(&mut buf, 0).unwrap();
        assert_eq!(&buf, b"kept");
    }

    #[test]
    fn set_file_bytes_is_seen_by_open_handles() {
        let vfs = MemoryVfs::new();
        let f = vfs.open(p("f"), OpenMode::CreateNew).unwrap();
        f.write_at(b"good", 0).unwrap();
        vfs.set_file_bytes("f", b"bad!!".to_vec());
        let mut buf = [0u8; 5];
        f.read_at(&mut buf, 0).unwrap();
        assert_eq!(&buf, b"bad!!");

        vfs.set_file_bytes("new", vec![7; 3]);
        assert_eq!(vfs.file_bytes("new").unwrap(), vec![7; 3]);
        assert_eq!(vfs.file_bytes("missing"), None);
    }

    #[test]
    fn remove_unlinks() {
        let vfs = MemoryVfs::new();
        let f = vfs.open(p("f"), OpenMode::CreateNew).unwrap();
        f.write_at(b"old", 0).unwrap();
        vfs.remove(p("f")).unwrap();
        assert!(!vfs.exists(p("f")).unwrap());
        assert_eq!(
            vfs.remove(p("f")).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );

        // The open handle still works on the unlinked file...
        f.write_at(b"!", 3).unwrap();
        assert_eq!(f.size().unwrap(), 4);
        // ...which is not the new file at the same path.
        let g = vfs.open(p("f"), OpenMode::CreateNew).unwrap();
        assert_eq!(g.size().unwrap(), 0);
        assert!(f.try_lock_exclusive().unwrap());
        assert!(g.try_lock_exclusive().unwrap());
    }

    #[test]
    fn exclusive_lock_has_one_holder_until_drop() {
        let vfs = MemoryVfs::new();
        let a = vfs.open(p("db"), OpenMode::CreateNew).unwrap();
        let b = vfs.clone().open(p("db"), OpenMode::Existing).unwrap();
        let other_file = vfs.open(p("other"), OpenMode::CreateNew).unwrap();

        assert!(a.try_lock_exclusive().unwrap());
        assert!(a.try_lock_exclusive().unwrap(), "re-locking is idempotent");
        assert!(!b.try_lock_exclusive().unwrap());
        assert!(other_file.try_lock_exclusive().unwrap());

        // Dropping a handle that never held the lock releases nothing.
        let c = vfs.open(p("db"), OpenMode::Existing).unwrap();
        assert!(!c.try_lock_exclusive().unwrap());
        drop(c);
        assert!(!b.try_lock_exclusive().unwrap());

        drop(a);
        assert!(b.try_lock_exclusive().unwrap());
        let d = vfs.open(p("db"), OpenMode::Existing).unwrap();
        assert!(!d.try_lock_exclusive().unwrap());
    }

    #[test]
    fn debug_shows_names_and_sizes() {
        let vfs = MemoryVfs::new();
        vfs.set_file_bytes("f", vec![0; 3]);
        assert_eq!(format!("{vfs:?}"), r#"MemoryVfs { files: [("f", 3)] }"#);
    }

    #[test]
    fn handles_are_shared_across_threads() {
        let vfs = MemoryVfs::new();
        let f: Arc<dyn VfsFile> = vfs.open(p("f"), OpenMode::CreateNew).unwrap().into();
        let threads: Vec<_> = (0..4u8)
            .map(|i| {
                let f = Arc::clone(&f);
                std::thread::spawn(move || f.write_at(&[i; 16], u64::from(i) * 16).unwrap())
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let bytes = vfs.file_bytes("f").unwrap();
        assert_eq!(bytes.len(), 64);
        for (i, chunk) in bytes.chunks(16).enumerate() {
            assert_eq!(chunk, &[i as u8; 16]);
        }
    }
}
