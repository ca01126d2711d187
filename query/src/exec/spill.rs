//! Spill files: rows written to a temporary file and read back in order, and the
//! [`Partitioner`] that splits rows over several of them by a hash of their key.
//!
//! Format: each row is a little-endian `u32` length followed by the engine's row
//! encoding (`encode_row`), which keeps every value exactly (a decimal's scale, a
//! float's bits). The file is removed when the [`SpillFile`] (or the unfinished
//! [`SpillWriter`]) is dropped, so an error anywhere leaves no file behind.

use std::fs::{File, OpenOptions};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use covet_engine::value::{decode_row, encode_row, Value};

use super::{ExecContext, BATCH_SIZE};
use crate::error::{QueryError, Result, SqlState};

static NEXT_FILE: AtomicU64 = AtomicU64::new(0);

fn io_error(what: &str, path: &Path, e: std::io::Error) -> QueryError {
    QueryError::new(
        SqlState::IO_ERROR,
        format!("could not {what} temporary file {}: {e}", path.display()),
    )
}

/// A temporary file of rows being written.
pub(super) struct SpillWriter {
    file: BufWriter<File>,
    path: PathBuf,
    rows: u64,
    buf: Vec<u8>,
}

impl SpillWriter {
    /// A new, empty file in `dir`.
    pub(super) fn create(dir: &Path) -> Result<SpillWriter> {
        let n = NEXT_FILE.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!("covet-spill-{}-{n}.tmp", std::process::id()));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| io_error("create", &path, e))?;
        Ok(SpillWriter {
            file: BufWriter::new(file),
            path,
            rows: 0,
            buf: Vec::new(),
        })
    }

    /// Appends one row.
    pub(super) fn write(&mut self, row: &[Value]) -> Result<()> {
        self.buf.clear();
        encode_row(row, &mut self.buf);
        let len = u32::try_from(self.buf.len()).map_err(|_| {
            QueryError::new(SqlState::PROGRAM_LIMIT_EXCEEDED, "a row too large to spill")
        })?;
        self.file
            .write_all(&len.to_le_bytes())
            .and_then(|()| self.file.write_all(&self.buf))
            .map_err(|e| io_error("write", &self.path, e))?;
        self.rows += 1;
        Ok(())
    }

    /// Finishes writing; the rows can be read back.
    pub(super) fn finish(mut self) -> Result<SpillFile> {
        self.file
            .flush()
            .map_err(|e| io_error("write", &self.path, e))?;
        let path = std::mem::take(&mut self.path);
        let rows = self.rows;
        drop(self);
        Ok(SpillFile { path, rows })
    }
}

impl Drop for SpillWriter {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// A finished temporary file of rows.
pub(super) struct SpillFile {
    path: PathBuf,
    rows: u64,
}

impl SpillFile {
    /// The number of rows in it.
    pub(super) fn rows(&self) -> u64 {
        self.rows
    }

    /// A reader from the first row.
    pub(super) fn reader(&self) -> Result<SpillReader> {
        let file = File::open(&self.path).map_err(|e| io_error("open", &self.path, e))?;
        Ok(SpillReader {
            file: BufReader::new(file),
            path: self.path.clone(),
            left: self.rows,
            buf: Vec::new(),
        })
    }
}

impl Drop for SpillFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Reads the rows of a [`SpillFile`] back, in the order written.
pub(super) struct SpillReader {
    file: BufReader<File>,
    path: PathBuf,
    left: u64,
    buf: Vec<u8>,
}

impl SpillReader {
    /// The next row, or `None` after the last.
    pub(super) fn next_row(&mut self) -> Result<Option<Vec<Value>>> {
        if self.left == 0 {
            return Ok(None);
        }
        let mut len = [0u8; 4];
        self.file
            .read_exact(&mut len)
            .map_err(|e| io_error("read", &self.path, e))?;
        // One buffer for every row of the run.
        let buf = &mut self.buf;
        buf.clear();
        buf.resize(u32::from_le_bytes(len) as usize, 0);
        self.file
            .read_exact(buf)
            .map_err(|e| io_error("read", &self.path, e))?;
        self.left -= 1;
        decode_row(buf).map(Some).map_err(|e| {
            QueryError::new(
                SqlState::DATA_CORRUPTED,
                format!("temporary file {} is damaged: {e}", self.path.display()),
            )
        })
    }

    /// Up to [`BATCH_SIZE`] next rows, or `None` after the last.
    pub(super) fn next_rows(&mut self) -> Result<Option<Vec<Vec<Value>>>> {
        let mut rows = Vec::new();
        while rows.len() < BATCH_SIZE {
            match self.next_row()? {
                Some(row) => rows.push(row),
                None => break,
            }
        }
        Ok((!rows.is_empty()).then_some(rows))
    }
}

/// How many files a spilling hash operator splits its rows into.
pub(super) const PARTITIONS: usize = 16;

/// How many times a partition may be split again before the operator gives up (53200)
/// or, for a join, falls back to a block nested loop.
pub(super) const MAX_SPILL_DEPTH: u32 = 4;

/// The partition of a row whose key encodes to `key`, at split `depth`: the depth salts
/// the hash, so a partition split again spreads over all partitions instead of landing
/// in one.
pub(super) fn partition_of(key: &[u8], depth: u32) -> usize {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    depth.hash(&mut h);
    key.hash(&mut h);
    (h.finish() % PARTITIONS as u64) as usize
}

/// [`PARTITIONS`] spill files being written, each row to the one its key hashes to.
/// Rows with equal keys always share a file, so each file can be processed alone.
pub(super) struct Partitioner {
    writers: Vec<SpillWriter>,
    depth: u32,
}

impl Partitioner {
    /// Empty files for a split at `depth` (counted in the statement's spill statistics).
    pub(super) fn create(depth: u32, ctx: &mut ExecContext<'_>) -> Result<Partitioner> {
        let mut writers = Vec::with_capacity(PARTITIONS);
        for _ in 0..PARTITIONS {
            writers.push(SpillWriter::create(&ctx.state.settings.temp_dir)?);
        }
        ctx.state.stats.spill_files += PARTITIONS as u64;
        Ok(Partitioner { writers, depth })
    }

    /// Appends `row` to the file of `key`.
    pub(super) fn write(
        &mut self,
        key: &[u8],
        row: &[Value],
        ctx: &mut ExecContext<'_>,
    ) -> Result<()> {
        let p = partition_of(key, self.depth);
        self.writers[p].write(row)?;
        ctx.state.stats.spilled_rows += 1;
        Ok(())
    }

    /// The finished files, partition `i` at index `i` (empty ones included, so two
    /// partitioners of the same depth line up).
    pub(super) fn finish(self) -> Result<Vec<SpillFile>> {
        self.writers.into_iter().map(SpillWriter::finish).collect()
    }
}
