//! WITH RECURSIVE: the recursive-union operator and the work table its step reads.
//!
//! Pull-based, as in PostgreSQL: the base rows are handed out as they are produced,
//! then each round of the step over the previous round's rows (the work table) is run
//! only when the consumer asks for more, so `LIMIT` stops an unbounded recursion. The
//! rows of the running round are kept as the next work table, in memory up to
//! `work_mem` and past it in a temporary file. UNION (without ALL) keeps the set of
//! every row produced so far in memory; past `work_mem` that fails with 53200.

use std::sync::Arc;

use covet_engine::value::Value;

use super::setop::Seen;
use super::spill::{SpillFile, SpillReader, SpillWriter};
use super::{build_node, row_bytes, Batch, ExecContext, Operator, BATCH_SIZE};
use crate::error::Result;
use crate::plan::PhysicalNode;

/// The rows of one round: in memory, or in a temporary file once they passed
/// `work_mem`.
#[derive(Default)]
pub(crate) struct WorkTable {
    rows: Vec<Vec<Value>>,
    file: Option<SpillFile>,
}

impl WorkTable {
    fn is_empty(&self) -> bool {
        self.rows.is_empty() && self.file.as_ref().is_none_or(|f| f.rows() == 0)
    }
}

/// A round's rows being collected.
#[derive(Default)]
struct WorkTableBuilder {
    rows: Vec<Vec<Value>>,
    bytes: usize,
    file: Option<SpillWriter>,
}

impl WorkTableBuilder {
    fn push(&mut self, row: Vec<Value>, ctx: &mut ExecContext<'_>) -> Result<()> {
        ctx.state.stats.spilled_rows += u64::from(self.file.is_some());
        if let Some(file) = &mut self.file {
            return file.write(&row);
        }
        self.bytes += row_bytes(&row);
        self.rows.push(row);
        if self.bytes > ctx.state.settings.work_mem {
            let mut file = SpillWriter::create(&ctx.state.settings.temp_dir)?;
            ctx.state.stats.spill_files += 1;
            ctx.state.stats.spilled_rows += self.rows.len() as u64;
            for r in self.rows.drain(..) {
                file.write(&r)?;
            }
            self.file = Some(file);
        }
        Ok(())
    }

    fn finish(self) -> Result<WorkTable> {
        Ok(WorkTable {
            rows: self.rows,
            file: self.file.map(SpillWriter::finish).transpose()?,
        })
    }
}

/// Where the recursive union's rows come from now.
enum Source {
    Base,
    /// The step over the previous round (set as the work table in the state).
    Step(Box<dyn Operator>),
    Done,
}

/// WITH RECURSIVE: the base rows, then rounds of the step over the previous round,
/// until a round produces nothing.
pub(super) struct RecursiveCteOp {
    id: usize,
    base: Box<dyn Operator>,
    step: PhysicalNode,
    union_all: bool,
    seen: Seen,
    source: Source,
    next: WorkTableBuilder,
}

impl RecursiveCteOp {
    pub(super) fn new(
        id: usize,
        base: Box<dyn Operator>,
        step: PhysicalNode,
        union_all: bool,
    ) -> RecursiveCteOp {
        RecursiveCteOp {
            id,
            base,
            step,
            union_all,
            seen: Seen::default(),
            source: Source::Base,
            next: WorkTableBuilder::default(),
        }
    }
}

impl Operator for RecursiveCteOp {
    fn next_batch(&mut self, ctx: &mut ExecContext<'_>) -> Result<Option<Batch>> {
        loop {
            let batch = match &mut self.source {
                Source::Base => self.base.next_batch(ctx)?,
                Source::Step(step) => step.next_batch(ctx)?,
                Source::Done => return Ok(None),
            };
            let Some(batch) = batch else {
                // The round is over: its rows are the next round's work table.
                let table = std::mem::take(&mut self.next).finish()?;
                if table.is_empty() {
                    ctx.set_work_table(self.id, None);
                    self.source = Source::Done;
                    return Ok(None);
                }
                ctx.set_work_table(self.id, Some(Arc::new(table)));
                self.source = Source::Step(build_node(&self.step)?);
                continue;
            };
            let mut rows = Vec::with_capacity(batch.rows.len());
            for r in batch.rows {
                if self.union_all || self.seen.insert(&r, "a recursive query", ctx)? {
                    self.next.push(r.clone(), ctx)?;
                    rows.push(r);
                }
            }
            if !rows.is_empty() {
                return Ok(Some(Batch { rows }));
            }
        }
    }
}

/// Reads the work table of recursive CTE `id` (the previous round's rows).
pub(super) struct WorkTableOp {
    id: usize,
    table: Option<Arc<WorkTable>>,
    next: usize,
    file: Option<SpillReader>,
}

impl WorkTableOp {
    pub(super) fn new(id: usize) -> WorkTableOp {
        WorkTableOp {
            id,
            table: None,
            next: 0,
            file: None,
        }
    }
}

impl Operator for WorkTableOp {
    fn next_batch(&mut self, ctx: &mut ExecContext<'_>) -> Result<Option<Batch>> {
        if self.table.is_none() {
            let table = ctx.work_table(self.id)?;
            self.file = table.file.as_ref().map(SpillFile::reader).transpose()?;
            self.table = Some(table);
        }
        if let Some(reader) = &mut self.file {
            return Ok(reader.next_rows()?.map(|rows| Batch { rows }));
        }
        let rows = self.table.as_ref().map_or(&[][..], |t| &t.rows[..]);
        let end = (self.next + BATCH_SIZE).min(rows.len());
        let out = rows[self.next..end].to_vec();
        self.next = end;
        Ok(if out.is_empty() {
            None
        } else {
            Some(Batch { rows: out })
        })
    }
}
