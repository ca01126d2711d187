//! A window partition's rows: in memory, or, past `work_mem`, in a temporary file read
//! back through a bounded sliding window of rows.
//!
//! Rows are numbered `0..len` in sort order. Each [`Entry`] carries the row, its ORDER
//! BY values and its peer group number (1-based; rows with equal ORDER BY values, NULLs
//! equal, share one), numbered as the rows are read in order. What must stay true:
//! [`PartitionRows::get`] gives the same entry for a number however the rows are held;
//! it is cheap for a number at or after the buffered window (the frame cursors only move
//! forward), and a number before it reads the file again from its start.

use std::collections::VecDeque;
use std::path::Path;

use covet_engine::value::Value;

use super::super::row_bytes;
use super::super::spill::{SpillFile, SpillReader, SpillWriter};
use crate::error::{QueryError, Result};

/// One row of a partition.
pub(super) struct Entry {
    /// The input row.
    pub row: Vec<Value>,
    /// Its ORDER BY values.
    pub order: Vec<Value>,
    /// Its peer group number, from 1.
    pub group: usize,
}

impl Entry {
    fn bytes(&self) -> usize {
        row_bytes(&self.row) + row_bytes(&self.order)
    }
}

/// Whether two rows are peers (equal ORDER BY values, NULLs equal).
fn peers(a: &[Value], b: &[Value]) -> bool {
    a.iter().zip(b).all(|(x, y)| x.sql_eq(y))
}

/// The group number of a row with ORDER BY values `order` after `last` (the values
/// and group of the row before it, if any).
fn next_group(last: Option<&(Vec<Value>, usize)>, order: &[Value]) -> usize {
    match last {
        None => 1,
        Some((o, g)) if peers(o, order) => *g,
        Some((_, g)) => g + 1,
    }
}

/// Collects a partition's rows, in sort order; spills them all to a file once they
/// pass `budget` bytes.
pub(super) struct PartitionBuilder<'a> {
    memory: VecDeque<Entry>,
    bytes: usize,
    budget: usize,
    temp_dir: &'a Path,
    writer: Option<SpillWriter>,
    last: Option<(Vec<Value>, usize)>,
    norder: usize,
    len: usize,
}

impl<'a> PartitionBuilder<'a> {
    pub(super) fn new(norder: usize, budget: usize, temp_dir: &'a Path) -> PartitionBuilder<'a> {
        PartitionBuilder {
            memory: VecDeque::new(),
            bytes: 0,
            budget,
            temp_dir,
            writer: None,
            last: None,
            norder,
            len: 0,
        }
    }

    /// Appends the next row and its ORDER BY values.
    pub(super) fn push(&mut self, order: Vec<Value>, row: Vec<Value>) -> Result<()> {
        self.len += 1;
        if let Some(w) = &mut self.writer {
            return write_entry(w, &order, &row);
        }
        let group = next_group(self.last.as_ref(), &order);
        self.last = Some((order.clone(), group));
        let e = Entry { row, order, group };
        self.bytes += e.bytes();
        self.memory.push_back(e);
        if self.bytes > self.budget {
            let mut w = SpillWriter::create(self.temp_dir)?;
            for e in self.memory.drain(..) {
                write_entry(&mut w, &e.order, &e.row)?;
            }
            self.writer = Some(w);
        }
        Ok(())
    }

    /// The partition, readable.
    pub(super) fn finish(self) -> Result<PartitionRows> {
        let spilled = match self.writer {
            None => None,
            Some(w) => {
                let file = w.finish()?;
                let reader = file.reader()?;
                Some(Spilled {
                    file,
                    reader,
                    next: 0,
                    last: None,
                    norder: self.norder,
                    bytes: 0,
                    budget: self.budget,
                })
            }
        };
        Ok(PartitionRows {
            buffered: if spilled.is_some() {
                VecDeque::new()
            } else {
                self.memory
            },
            first: 0,
            len: self.len,
            spilled,
        })
    }
}

/// A spilled row is its ORDER BY values followed by the input row.
fn write_entry(w: &mut SpillWriter, order: &[Value], row: &[Value]) -> Result<()> {
    let mut all = Vec::with_capacity(order.len() + row.len());
    all.extend_from_slice(order);
    all.extend_from_slice(row);
    w.write(&all)
}

/// A partition's rows (see the module docs).
pub(super) struct PartitionRows {
    /// Rows `first..first + buffered.len()` (all of them when not spilled).
    buffered: VecDeque<Entry>,
    first: usize,
    len: usize,
    spilled: Option<Spilled>,
}

/// The file of a spilled partition and the reader that fills the window.
struct Spilled {
    file: SpillFile,
    reader: SpillReader,
    /// The number of the row the reader gives next.
    next: usize,
    /// The ORDER BY values and group of row `next - 1`.
    last: Option<(Vec<Value>, usize)>,
    norder: usize,
    /// Bytes held in the window.
    bytes: usize,
    budget: usize,
}

impl PartitionRows {
    /// The number of rows.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Whether the rows are in a file.
    pub(super) fn is_spilled(&self) -> bool {
        self.spilled.is_some()
    }

    /// Row `j` (`j < len`).
    pub(super) fn get(&mut self, j: usize) -> Result<&Entry> {
        if j >= self.len {
            return Err(QueryError::internal(format!(
                "window partition row {j} of {}",
                self.len
            )));
        }
        if j < self.first {
            self.rewind()?;
        }
        while j >= self.first + self.buffered.len() {
            self.read_next()?;
        }
        Ok(&self.buffered[j - self.first])
    }

    /// The peer group number of row `j`.
    pub(super) fn group(&mut self, j: usize) -> Result<usize> {
        Ok(self.get(j)?.group)
    }

    /// Starts reading the file again from its first row.
    fn rewind(&mut self) -> Result<()> {
        let Some(s) = &mut self.spilled else {
            return Err(QueryError::internal(
                "rewinding an in-memory window partition",
            ));
        };
        s.reader = s.file.reader()?;
        s.next = 0;
        s.last = None;
        s.bytes = 0;
        self.buffered.clear();
        self.first = 0;
        Ok(())
    }

    /// Reads the next row of the file into the window, dropping the oldest rows past
    /// the budget (the newest always stays).
    fn read_next(&mut self) -> Result<()> {
        let Some(s) = &mut self.spilled else {
            return Err(QueryError::internal(
                "reading past an in-memory window partition",
            ));
        };
        let Some(mut all) = s.reader.next_row()? else {
            return Err(QueryError::internal(
                "a spilled window partition ended early",
            ));
        };
        if all.len() < s.norder {
            return Err(QueryError::internal(
                "a spilled window row without its keys",
            ));
        }
        let row = all.split_off(s.norder);
        let group = next_group(s.last.as_ref(), &all);
        s.last = Some((all.clone(), group));
        s.next += 1;
        let e = Entry {
            row,
            order: all,
            group,
        };
        s.bytes += e.bytes();
        self.buffered.push_back(e);
        while s.bytes > s.budget && self.buffered.len() > 1 {
            if let Some(old) = self.buffered.pop_front() {
                s.bytes -= old.bytes();
                self.first += 1;
            }
        }
        Ok(())
    }
}
