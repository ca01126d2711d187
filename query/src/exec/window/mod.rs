//! Window functions over one window (PARTITION BY, ORDER BY, frame).
//!
//! The input is sorted by the partition keys then the order keys (an external sort, so
//! it spills), then read one partition at a time. A partition is held in memory up to
//! `work_mem` and spilled to a temporary file past it ([`partition`]); its rows are then
//! produced in order, each followed by one value per window call ([`calls`]), whose
//! frames ([`frame`]) only move forward. Peers are rows with equal ORDER BY values
//! (NULLs equal).

mod calls;
mod frame;
mod in_range;
mod partition;

use covet_engine::value::Value;

use self::calls::{CallState, Peers};
use self::frame::FrameSpec;
use self::partition::{PartitionBuilder, PartitionRows};
use super::sort::{SortedRows, Sorter};
use super::{Batch, ExecContext, Operator, BATCH_SIZE};
use crate::error::Result;
use crate::plan::{SortKey, WindowCall};

pub(super) struct WindowOp {
    input: Option<Box<dyn Operator>>,
    functions: Vec<WindowCall>,
    /// Each call's frame, its offsets evaluated when the input is first read.
    specs: Vec<FrameSpec>,
    sorted: Option<SortedRows>,
    /// The first row of the next partition, read while finding the end of the last.
    carry: Option<(Vec<Value>, Vec<Value>)>,
    current: Option<Current>,
    done: bool,
}

/// The partition being produced.
struct Current {
    rows: PartitionRows,
    /// The next row to produce.
    next: usize,
    peers: Peers,
    calls: Vec<CallState>,
}

impl WindowOp {
    pub(super) fn new(input: Box<dyn Operator>, functions: Vec<WindowCall>) -> WindowOp {
        WindowOp {
            input: Some(input),
            functions,
            specs: Vec::new(),
            sorted: None,
            carry: None,
            current: None,
            done: false,
        }
    }

    fn npartition(&self) -> usize {
        self.functions.first().map_or(0, |f| f.partition_by.len())
    }

    fn order_keys(&self) -> &[SortKey] {
        self.functions.first().map_or(&[], |f| &f.order_by[..])
    }

    /// Sorts the input by partition then order keys.
    fn start(&mut self, mut input: Box<dyn Operator>, ctx: &mut ExecContext<'_>) -> Result<()> {
        for f in &self.functions {
            self.specs.push(FrameSpec::new(&f.frame, &f.order_by, ctx)?);
        }
        let mut keys: Vec<SortKey> = self
            .functions
            .first()
            .map(|f| {
                f.partition_by
                    .iter()
                    .map(|e| SortKey {
                        expr: e.clone(),
                        desc: false,
                        nulls_first: false,
                    })
                    .collect()
            })
            .unwrap_or_default();
        keys.extend(self.order_keys().iter().cloned());
        let mut sorter = Sorter::new(keys);
        while let Some(b) = input.next_batch(ctx)? {
            for r in b.rows {
                sorter.push_row(r, ctx)?;
            }
        }
        self.sorted = Some(sorter.finish()?);
        Ok(())
    }

    /// Reads the next partition.
    fn next_partition(&mut self, ctx: &mut ExecContext<'_>) -> Result<Option<PartitionRows>> {
        let np = self.npartition();
        let norder = self.order_keys().len();
        let Some(sorted) = &mut self.sorted else {
            return Ok(None);
        };
        let first = match self.carry.take() {
            Some(e) => e,
            None => match sorted.next_entry()? {
                Some(e) => e,
                None => return Ok(None),
            },
        };
        let pkey: Vec<Value> = first.0[..np].to_vec();
        let settings = &ctx.state.settings;
        let mut part = PartitionBuilder::new(norder, settings.work_mem, &settings.temp_dir);
        let (keys, row) = first;
        part.push(keys[np..].to_vec(), row)?;
        while let Some((keys, row)) = sorted.next_entry()? {
            let same = keys[..np].iter().zip(&pkey).all(|(a, b)| a.sql_eq(b));
            if !same {
                self.carry = Some((keys, row));
                break;
            }
            part.push(keys[np..].to_vec(), row)?;
        }
        let rows = part.finish()?;
        if rows.is_spilled() {
            ctx.state.stats.spill_files += 1;
            ctx.state.stats.spilled_rows += rows.len() as u64;
        }
        Ok(Some(rows))
    }
}

impl Operator for WindowOp {
    fn next_batch(&mut self, ctx: &mut ExecContext<'_>) -> Result<Option<Batch>> {
        if let Some(input) = self.input.take() {
            self.start(input, ctx)?;
        }
        let mut out = Vec::new();
        while out.len() < BATCH_SIZE && !self.done {
            let Some(cur) = &mut self.current else {
                match self.next_partition(ctx)? {
                    Some(rows) => {
                        self.current = Some(Current {
                            rows,
                            next: 0,
                            peers: Peers::default(),
                            calls: self.specs.iter().cloned().map(CallState::new).collect(),
                        });
                    }
                    None => self.done = true,
                }
                continue;
            };
            let i = cur.next;
            if i >= cur.rows.len() {
                self.current = None;
                continue;
            }
            cur.peers.advance(i, &mut cur.rows)?;
            let mut values = Vec::with_capacity(self.functions.len());
            for (f, call) in self.functions.iter().zip(&mut cur.calls) {
                values.push(call.value(f, i, cur.peers, &mut cur.rows, ctx)?);
            }
            let mut row = cur.rows.get(i)?.row.clone();
            row.extend(values);
            out.push(row);
            cur.next += 1;
        }
        Ok(if out.is_empty() {
            None
        } else {
            Some(Batch { rows: out })
        })
    }
}
