//! [`OsVfs`]: real files through `std::fs`, with positional I/O.
//!
//! `read_at`/`write_at` are `pread`/`pwrite` (`FileExt::read_exact_at` and
//! `write_all_at`), so one handle serves many threads without a cursor or a lock.
//! `sync(Data)` is `fdatasync`, `sync(Full)` is `fsync`.
//!
//! The exclusive lock is `File::try_lock`, an `flock(LOCK_EX | LOCK_NB)` on Linux
//! and the BSDs. An `flock` belongs to the open file description, not to the
//! process: two handles opened separately on one file conflict even inside one
//! process, so two `Database::open`s of one file in one process exclude each
//! other just as two processes do. The lock goes away when the handle is closed.

use super::{OpenMode, SyncKind, Vfs, VfsFile};
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// The operating system's file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsVfs;

impl Vfs for OsVfs {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Box<dyn VfsFile>> {
        let mut options = OpenOptions::new();
        options.read(true).write(true);
        match mode {
            OpenMode::Existing => {}
            OpenMode::CreateIfMissing => {
                options.create(true);
            }
            OpenMode::CreateNew => {
                options.create_new(true);
            }
        }
        let file = options.open(path)?;
        Ok(Box::new(OsFile { file }))
    }

    fn exists(&self, path: &Path) -> io::Result<bool> {
        path.try_exists()
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        fs::remove_file(path)
    }

    /// Opens the parent directory read-only and `fsync`s it (a bare file name
    /// lives in the current directory).
    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        File::open(dir)?.sync_all()
    }
}

/// An open file. (`File`'s `Debug` shows its path.)
#[derive(Debug)]
struct OsFile {
    file: File,
}

impl VfsFile for OsFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        // `read_exact_at` reports a read past the end as `UnexpectedEof`.
        self.file.read_exact_at(buf, offset)
    }

    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        self.file.write_all_at(buf, offset)
    }

    fn sync(&self, kind: SyncKind) -> io::Result<()> {
        match kind {
            SyncKind::Data => self.file.sync_data(),
            SyncKind::Full => self.file.sync_all(),
        }
    }

    fn size(&self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }

    fn set_len(&self, size: u64) -> io::Result<()> {
        self.file.set_len(size)
    }

    fn try_lock_exclusive(&self) -> io::Result<bool> {
        match self.file.try_lock() {
            Ok(()) => Ok(true),
            Err(TryLockError::WouldBlock) => Ok(false),
            Err(TryLockError::Error(err)) => Err(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_modes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.covet");
        let vfs = OsVfs;

        let err = vfs.open(&path, OpenMode::Existing).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(!vfs.exists(&path).unwrap());

        vfs.open(&path, OpenMode::CreateNew).unwrap();
        assert!(vfs.exists(&path).unwrap());
        let err = vfs.open(&path, OpenMode::CreateNew).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        vfs.open(&path, OpenMode::Existing).unwrap();

        let other = dir.path().join("b.covet");
        vfs.open(&other, OpenMode::CreateIfMissing).unwrap();
        assert!(vfs.exists(&other).unwrap());
        vfs.open(&other, OpenMode::CreateIfMissing).unwrap();
    }

    #[test]
    fn create_if_missing_keeps_contents() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        OsVfs
            .open(&path, OpenMode::CreateNew)
            .unwrap()
            .write_at(b"data", 0)
            .unwrap();
        let f = OsVfs.open(&path, OpenMode::CreateIfMissing).unwrap();
        assert_eq!(f.size().unwrap(), 4);
    }

    #[test]
    fn read_write_and_gaps() {
        let dir = tempfile::tempdir().unwrap();
        let f = OsVfs
            .open(&dir.path().join("f"), OpenMode::CreateNew)
            .unwrap();
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
        f.read_at(&mut [], 1000).unwrap();
        f.write_at(&[], 1000).unwrap();
        assert_eq!(f.size().unwrap(), 10);

        f.sync(SyncKind::Data).unwrap();
        f.sync(SyncKind::Full).unwrap();
    }

    #[test]
    fn read_past_eof_is_unexpected_eof() {
        let dir = tempfile::tempdir().unwrap();
        let f = OsVfs
            .open(&dir.path().join("f"), OpenMode::CreateNew)
            .unwrap();
        f.write_at(&[1, 2, 3, 4], 0).unwrap();
        for (len, offset) in [(1, 4), (2, 3), (5, 0), (1, 100)] {
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
    fn set_len_cuts_and_extends() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let f = OsVfs.open(&path, OpenMode::CreateNew).unwrap();
        f.write_at(b"abcdef", 0).unwrap();
        f.set_len(3).unwrap();
        assert_eq!(f.size().unwrap(), 3);
        f.set_len(5).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"abc\0\0");
    }

    #[test]
    fn remove() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        OsVfs.open(&path, OpenMode::CreateNew).unwrap();
        OsVfs.remove(&path).unwrap();
        assert!(!OsVfs.exists(&path).unwrap());
        let err = OsVfs.remove(&path).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn sync_dir_syncs_the_parent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        OsVfs.open(&path, OpenMode::CreateNew).unwrap();
        OsVfs.sync_dir(&path).unwrap();
        // The file need not exist; its directory must.
        OsVfs.sync_dir(&dir.path().join("missing")).unwrap();
        OsVfs.sync_dir(Path::new("relative-name")).unwrap();
        let err = OsVfs
            .sync_dir(&dir.path().join("no-such-dir").join("f"))
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn two_handles_in_one_process_conflict() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let a = OsVfs.open(&path, OpenMode::CreateNew).unwrap();
        let b = OsVfs.open(&path, OpenMode::Existing).unwrap();

        assert!(a.try_lock_exclusive().unwrap());
        assert!(a.try_lock_exclusive().unwrap(), "re-locking is idempotent");
        assert!(!b.try_lock_exclusive().unwrap());

        // Another file is not affected.
        let other = OsVfs
            .open(&dir.path().join("other"), OpenMode::CreateNew)
            .unwrap();
        assert!(other.try_lock_exclusive().unwrap());

        // Closing a handle that never held the lock releases nothing.
        let c = OsVfs.open(&path, OpenMode::Existing).unwrap();
        assert!(!c.try_lock_exclusive().unwrap());
        drop(c);
        assert!(!b.try_lock_exclusive().unwrap());

        // Closing the holder releases it.
        drop(a);
        assert!(b.try_lock_exclusive().unwrap());
        let d = OsVfs.open(&path, OpenMode::Existing).unwrap();
        assert!(!d.try_lock_exclusive().unwrap());
    }

    #[test]
    fn handles_are_shared_across_threads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let f: std::sync::Arc<dyn VfsFile> = OsVfs.open(&path, OpenMode::CreateNew).unwrap().into();
        let threads: Vec<_> = (0..4u8)
            .map(|i| {
                let f = std::sync::Arc::clone(&f);
                std::thread::spawn(move || f.write_at(&[i; 16], u64::from(i) * 16).unwrap())
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let bytes = fs::read(&path).unwrap();
        assert_eq!(bytes.len(), 64);
        for (i, chunk) in bytes.chunks(16).enumerate() {
            assert_eq!(chunk, &[i as u8; 16]);
        }
    }
}
