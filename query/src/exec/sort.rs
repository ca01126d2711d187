//! Sorting: an external merge sort ([`Sorter`], [`SortOp`]) and top-N ([`TopNOp`]).
//!
//! The sorter keeps rows in memory until they pass `work_mem`, then sorts them and
//! writes them as a run to a spill file; at the end it merges the runs (and what is
//! still in memory). Each entry is the sort-key values followed by the row, so keys are
//! evaluated once per row and runs are merged without evaluating anything.

use std::cmp::Ordering;

use covet_engine::value::Value;

use super::spill::{SpillFile, SpillReader, SpillWriter};
use super::{compare_sort_keys, row_bytes, Batch, ExecContext, Operator, BATCH_SIZE};
use crate::error::Result;
use crate::expr::ScalarExpr;
use crate::plan::SortKey;

/// Rows sorted by keys, spilling past work memory.
pub(super) struct Sorter {
    keys: Vec<SortKey>,
    entries: Vec<Vec<Value>>,
    bytes: usize,
    runs: Vec<SpillFile>,
}

impl Sorter {
    pub(super) fn new(keys: Vec<SortKey>) -> Sorter {
        Sorter {
            keys,
            entries: Vec::new(),
            bytes: 0,
            runs: Vec::new(),
        }
    }

    fn nkeys(&self) -> usize {
        self.keys.len()
    }

    /// Evaluates the keys on `row` and adds it.
    pub(super) fn push_row(&mut self, row: Vec<Value>, ctx: &mut ExecContext<'_>) -> Result<()> {
        let mut entry = Vec::with_capacity(self.keys.len() + row.len());
        for k in &self.keys {
            entry.push(ctx.eval(&k.expr, &row)?);
        }
        entry.extend(row);
        self.bytes += row_bytes(&entry);
        self.entries.push(entry);
        if self.bytes > ctx.state.settings.work_mem {
            self.spill(ctx)?;
        }
        Ok(())
    }

    fn sort_entries(&mut self) {
        let (n, keys) = (self.nkeys(), &self.keys);
        self.entries
            .sort_by(|a, b| compare_sort_keys(&a[..n], &b[..n], keys));
    }

    fn spill(&mut self, ctx: &mut ExecContext<'_>) -> Result<()> {
        self.sort_entries();
        let mut w = SpillWriter::create(&ctx.state.settings.temp_dir)?;
        for e in &self.entries {
            w.write(e)?;
        }
        let file = w.finish()?;
        ctx.state.stats.spill_files += 1;
        ctx.state.stats.spilled_rows += file.rows();
        self.runs.push(file);
        self.entries.clear();
        self.bytes = 0;
        Ok(())
    }

    /// The rows in order.
    pub(super) fn finish(mut self) -> Result<SortedRows> {
        self.sort_entries();
        let n = self.nkeys();
        let mut sources = Vec::with_capacity(self.runs.len() + 1);
        for run in &self.runs {
            let mut reader = run.reader()?;
            let head = reader.next_row()?;
            sources.push(Source::File { reader, head });
        }
        let mut memory = std::mem::take(&mut self.entries).into_iter();
        let head = memory.next();
        sources.push(Source::Memory { rows: memory, head });
        Ok(SortedRows {
            keys: self.keys,
            nkeys: n,
            sources,
            _runs: self.runs,
        })
    }
}

enum Source {
    File {
        reader: SpillReader,
        head: Option<Vec<Value>>,
    },
    Memory {
        rows: std::vec::IntoIter<Vec<Value>>,
        head: Option<Vec<Value>>,
    },
}

impl Source {
    fn head(&self) -> Option<&Vec<Value>> {
        match self {
            Source::File { head, .. } | Source::Memory { head, .. } => head.as_ref(),
        }
    }

    fn take(&mut self) -> Result<Option<Vec<Value>>> {
        Ok(match self {
            Source::File { reader, head } => {
                let next = reader.next_row()?;
                std::mem::replace(head, next)
            }
            Source::Memory { rows, head } => {
                let next = rows.next();
                std::mem::replace(head, next)
            }
        })
    }
}

/// The output of a [`Sorter`]: a merge of its runs.
pub(super) struct SortedRows {
    keys: Vec<SortKey>,
    nkeys: usize,
    sources: Vec<Source>,
    // The spill files live until the merge is dropped.
    _runs: Vec<SpillFile>,
}

impl SortedRows {
    /// The next row (without its keys) with its key values.
    pub(super) fn next_entry(&mut self) -> Result<Option<(Vec<Value>, Vec<Value>)>> {
        let nkeys = self.nkeys;
        Ok(self.next_whole()?.map(|mut entry| {
            let row = entry.split_off(nkeys);
            (entry, row)
        }))
    }

    /// The next entry: its key values followed by its row.
    fn next_whole(&mut self) -> Result<Option<Vec<Value>>> {
        let mut best: Option<usize> = None;
        for (i, s) in self.sources.iter().enumerate() {
            let Some(h) = s.head() else { continue };
            best = match best {
                Some(b) => {
                    let bh = self.sources[b].head().map_or(&[][..], |v| &v[..]);
                    if compare_sort_keys(&h[..self.nkeys], &bh[..self.nkeys], &self.keys)
                        == Ordering::Less
                    {
                        Some(i)
                    } else {
                        Some(b)
                    }
                }
                None => Some(i),
            };
        }
        let Some(b) = best else { return Ok(None) };
        self.sources[b].take()
    }

    /// The next row, without its keys: the entry's own vector, its keys removed in
    /// place (no new allocation per row).
    pub(super) fn next_row(&mut self) -> Result<Option<Vec<Value>>> {
        let nkeys = self.nkeys;
        Ok(self.next_whole()?.map(|mut entry| {
            entry.drain(..nkeys.min(entry.len()));
            entry
        }))
    }
}

/// ORDER BY.
pub(super) struct SortOp {
    input: Box<dyn Operator>,
    keys: Vec<SortKey>,
    sorted: Option<SortedRows>,
}

impl SortOp {
    pub(super) fn new(input: Box<dyn Operator>, keys: Vec<SortKey>) -> SortOp {
        SortOp {
            input,
            keys,
            sorted: None,
        }
    }
}

impl Operator for SortOp {
    fn next_batch(&mut self, ctx: &mut ExecContext<'_>) -> Result<Option<Batch>> {
        if self.sorted.is_none() {
            let mut sorter = Sorter::new(self.keys.clone());
            while let Some(b) = self.input.next_batch(ctx)? {
                for row in b.rows {
                    sorter.push_row(row, ctx)?;
                }
            }
            self.sorted = Some(sorter.finish()?);
        }
        let Some(sorted) = &mut self.sorted else {
            return Ok(None);
        };
        let mut rows = Vec::new();
        while rows.len() < BATCH_SIZE {
            match sorted.next_row()? {
                Some(r) => rows.push(r),
                None => break,
            }
        }
        Ok(if rows.is_empty() {
            None
        } else {
            Some(Batch { rows })
        })
    }
}

/// ORDER BY … LIMIT n [OFFSET m]: keeps only the best n + m rows.
pub(super) struct TopNOp {
    input: Box<dyn Operator>,
    keys: Vec<SortKey>,
    limit: ScalarExpr,
    offset: Option<ScalarExpr>,
    out: Option<std::vec::IntoIter<Vec<Value>>>,
}

impl TopNOp {
    pub(super) fn new(
        input: Box<dyn Operator>,
        keys: Vec<SortKey>,
        limit: ScalarExpr,
        offset: Option<ScalarExpr>,
    ) -> TopNOp {
        TopNOp {
            input,
            keys,
            limit,
            offset,
            out: None,
        }
    }

    fn compute(&mut self, ctx: &mut ExecContext<'_>) -> Result<Vec<Vec<Value>>> {
        let limit = super::misc::row_count(Some(&self.limit), false, ctx)?;
        let offset = super::misc::row_count(self.offset.as_ref(), true, ctx)?.unwrap_or(0);
        let Some(limit) = limit else {
            // LIMIT NULL: a plain sort with an offset.
            let mut sorter = Sorter::new(self.keys.clone());
            while let Some(b) = self.input.next_batch(ctx)? {
                for row in b.rows {
                    sorter.push_row(row, ctx)?;
                }
            }
            let mut sorted = sorter.finish()?;
            let mut rows = Vec::new();
            let mut skipped = 0;
            while let Some(r) = sorted.next_row()? {
                if skipped < offset {
                    skipped += 1;
                } else {
                    rows.push(r);
                }
            }
            return Ok(rows);
        };
        let keep = limit.saturating_add(offset).min(usize::MAX as u64) as usize;
        let n = self.keys.len();
        let mut entries: Vec<Vec<Value>> = Vec::new();
        // Entries beyond `keep` are dropped each time the buffer doubles, so memory stays
        // within twice the kept rows.
        let prune = |entries: &mut Vec<Vec<Value>>, keys: &[SortKey]| {
            entries.sort_by(|a, b| compare_sort_keys(&a[..n], &b[..n], keys));
            entries.truncate(keep);
        };
        if keep > 0 {
            while let Some(b) = self.input.next_batch(ctx)? {
                for row in b.rows {
                    let mut e = Vec::with_capacity(n + row.len());
                    for k in &self.keys {
                        e.push(ctx.eval(&k.expr, &row)?);
                    }
                    e.extend(row);
                    entries.push(e);
                    if entries.len() >= keep.saturating_mul(2).max(BATCH_SIZE) {
                        prune(&mut entries, &self.keys);
                    }
                }
            }
        }
        prune(&mut entries, &self.keys);
        Ok(entries
            .into_iter()
            .skip(offset.min(usize::MAX as u64) as usize)
            .map(|mut e| e.split_off(n))
            .collect())
    }
}

impl Operator for TopNOp {
    fn next_batch(&mut self, ctx: &mut ExecContext<'_>) -> Result<Option<Batch>> {
        if self.out.is_none() {
            let rows = self.compute(ctx)?;
            self.out = Some(rows.into_iter());
        }
        let Some(out) = &mut self.out else {
            return Ok(None);
        };
        let rows: Vec<_> = out.by_ref().take(BATCH_SIZE).collect();
        Ok(if rows.is_empty() {
            None
        } else {
            Some(Batch { rows })
        })
    }
}
