//! Block nested loop: the inner (right) side is a temporary file, read again for each
//! block of outer (left) rows that fits in work memory.
//!
//! It serves the nested-loop join whose inner side passed `work_mem`, and the Grace
//! hash join's partitions that no split makes small enough (one key with many rows).
//! What must stay true for every join kind:
//! * a left row's fate (padded, kept by a semi join, dropped by an anti join) is decided
//!   only when its block has met every inner row;
//! * a right row is unmatched only when no block matched it, so RIGHT and FULL joins keep
//!   one flag per inner row and emit the unmatched ones after the last block.

use std::collections::HashMap;

use covet_engine::value::Value;

use super::super::spill::{SpillFile, SpillReader};
use super::super::{row_bytes, ExecContext, Operator};
use super::{concat, emits_pairs, finish_left_row, join_key, nulls, Pending, Shape};
use crate::error::Result;
use crate::expr::ScalarExpr;

/// How a left row and a right row match.
pub(super) enum Matcher {
    /// Equal non-NULL keys and a TRUE residual (a hash join's partition).
    Keys {
        left: Vec<ScalarExpr>,
        right: Vec<ScalarExpr>,
        residual: Option<ScalarExpr>,
    },
    /// A TRUE condition on `left ++ right` (none: every pair).
    Condition(Option<ScalarExpr>),
}

/// Where the outer rows come from.
pub(super) enum Outer {
    /// The join's left input, passed to [`BlockJoin::fill`].
    Input,
    /// A temporary file (a hash join's probe partition).
    File {
        reader: SpillReader,
        _file: SpillFile,
    },
}

/// A pass over the inner file: the reader and the number of the next row.
struct Pass {
    reader: SpillReader,
    next: usize,
}

pub(super) struct BlockJoin {
    shape: Shape,
    matcher: Matcher,
    inner: SpillFile,
    /// Per inner row, whether a block matched it (RIGHT and FULL joins only).
    inner_matched: Vec<bool>,
    outer: Outer,
    outer_done: bool,
    /// Outer rows read but not yet in a block.
    unread: std::vec::IntoIter<Vec<Value>>,
    block: Vec<Vec<Value>>,
    /// Per block row, whether it matched.
    any: Vec<bool>,
    /// The block rows by key ([`Matcher::Keys`] only).
    table: HashMap<Vec<u8>, Vec<usize>>,
    /// The pass of the current block over the inner file.
    scan: Option<Pass>,
    /// After the last block: the pass that emits unmatched inner rows.
    tail: Option<Pass>,
    done: bool,
}

impl BlockJoin {
    pub(super) fn new(shape: Shape, matcher: Matcher, inner: SpillFile, outer: Outer) -> BlockJoin {
        let flags = if shape.keeps_unmatched_right() {
            inner.rows() as usize
        } else {
            0
        };
        BlockJoin {
            shape,
            matcher,
            inner_matched: vec![false; flags],
            inner,
            outer,
            outer_done: false,
            unread: Vec::new().into_iter(),
            block: Vec::new(),
            any: Vec::new(),
            table: HashMap::new(),
            scan: None,
            tail: None,
            done: false,
        }
    }

    /// Adds output rows until `out` is full; whether the join is done. `left` is the
    /// join's left input when the outer rows are [`Outer::Input`].
    pub(super) fn fill(
        &mut self,
        mut left: Option<&mut dyn Operator>,
        ctx: &mut ExecContext<'_>,
        out: &mut Pending,
    ) -> Result<bool> {
        while !out.full() && !self.done {
            if let Some(pass) = &mut self.scan {
                let i = pass.next;
                match pass.reader.next_row()? {
                    Some(r) => {
                        pass.next += 1;
                        self.match_inner(i, r, ctx, out)?;
                    }
                    None => {
                        self.scan = None;
                        self.finish_block(out);
                    }
                }
            } else if let Some(pass) = &mut self.tail {
                match pass.reader.next_row()? {
                    Some(r) => {
                        if !self.inner_matched[pass.next] {
                            out.push(concat(&nulls(self.shape.left_width), &r));
                        }
                        pass.next += 1;
                    }
                    None => {
                        self.tail = None;
                        self.done = true;
                    }
                }
            } else if !self.load_block(&mut left, ctx)? {
                if self.shape.keeps_unmatched_right() {
                    self.tail = Some(Pass {
                        reader: self.inner.reader()?,
                        next: 0,
                    });
                } else {
                    self.done = true;
                }
            }
        }
        Ok(self.done)
    }

    /// The next outer row, or `None` after the last.
    fn next_outer(
        &mut self,
        left: &mut Option<&mut dyn Operator>,
        ctx: &mut ExecContext<'_>,
    ) -> Result<Option<Vec<Value>>> {
        loop {
            if let Some(r) = self.unread.next() {
                return Ok(Some(r));
            }
            if self.outer_done {
                return Ok(None);
            }
            let rows = match (&mut self.outer, left.as_mut()) {
                (Outer::File { reader, .. }, _) => reader.next_rows()?,
                (Outer::Input, Some(op)) => op.next_batch(ctx)?.map(|b| b.rows),
                (Outer::Input, None) => None,
            };
            match rows {
                Some(rows) => self.unread = rows.into_iter(),
                None => self.outer_done = true,
            }
        }
    }

    /// Reads the next block of outer rows (at least one row, then up to work memory)
    /// and starts its pass over the inner file; false when no outer row is left.
    fn load_block(
        &mut self,
        left: &mut Option<&mut dyn Operator>,
        ctx: &mut ExecContext<'_>,
    ) -> Result<bool> {
        let work_mem = ctx.state.settings.work_mem;
        let mut bytes = 0usize;
        while bytes <= work_mem {
            let Some(r) = self.next_outer(left, ctx)? else {
                break;
            };
            bytes += row_bytes(&r);
            if let Matcher::Keys { left: keys, .. } = &self.matcher {
                if let Some(k) = join_key(keys, &r, ctx)? {
                    bytes += k.len() + 48;
                    self.table.entry(k).or_default().push(self.block.len());
                }
            }
            self.block.push(r);
            self.any.push(false);
        }
        if self.block.is_empty() {
            return Ok(false);
        }
        self.scan = Some(Pass {
            reader: self.inner.reader()?,
            next: 0,
        });
        Ok(true)
    }

    /// Matches inner row number `i` against the block.
    fn match_inner(
        &mut self,
        i: usize,
        right: Vec<Value>,
        ctx: &mut ExecContext<'_>,
        out: &mut Pending,
    ) -> Result<()> {
        let kind = self.shape.kind;
        let (candidates, test) = match &self.matcher {
            Matcher::Keys {
                right: keys,
                residual,
                ..
            } => {
                let Some(k) = join_key(keys, &right, ctx)? else {
                    return Ok(());
                };
                let Some(c) = self.table.get(&k) else {
                    return Ok(());
                };
                (Some(c), residual)
            }
            Matcher::Condition(c) => (None, c),
        };
        let all = 0..self.block.len();
        let indexes: Box<dyn Iterator<Item = usize> + '_> = match candidates {
            Some(c) => Box::new(c.iter().copied()),
            None => Box::new(all),
        };
        for li in indexes {
            // A semi or anti join needs one match per left row.
            if !emits_pairs(kind) && self.any[li] {
                continue;
            }
            let row = concat(&self.block[li], &right);
            let ok = match test {
                Some(t) => ctx.eval_true(t, &row)?,
                None => true,
            };
            if ok {
                self.any[li] = true;
                if let Some(m) = self.inner_matched.get_mut(i) {
                    *m = true;
                }
                if emits_pairs(kind) {
                    out.push(row);
                }
            }
        }
        Ok(())
    }

    /// The block has met every inner row: what its left rows add.
    fn finish_block(&mut self, out: &mut Pending) {
        self.table.clear();
        for (l, any) in self.block.drain(..).zip(self.any.drain(..)) {
            finish_left_row(self.shape.kind, l, any, self.shape.right_width, out);
        }
    }
}
