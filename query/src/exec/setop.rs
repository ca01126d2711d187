//! DISTINCT, set operations (UNION, INTERSECT, EXCEPT, each with ALL) and recursive CTEs.
//!
//! Rows are compared by their key encoding (`hash_key`): NULLs are equal to each other
//! here, as SQL's set operations and DISTINCT require. The hash sets are bounded by
//! `work_mem` (53200 past it).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use covet_engine::value::Value;

use super::{
    build_node, hash_key, out_of_work_mem, row_bytes, Batch, ExecContext, Operator, BATCH_SIZE,
};
use crate::error::Result;
use crate::plan::{PhysicalNode, SetOpKind};

/// A set of rows seen so far, bounded by work memory.
#[derive(Default)]
struct Seen {
    keys: HashSet<Vec<u8>>,
    bytes: usize,
}

impl Seen {
    /// Adds `row`; whether it was new.
    fn insert(&mut self, row: &[Value], what: &str, ctx: &ExecContext<'_>) -> Result<bool> {
        let k = hash_key(row);
        let len = k.len();
        if !self.keys.insert(k) {
            return Ok(false);
        }
        self.bytes += len + 48;
        if self.bytes > ctx.state.settings.work_mem {
            return Err(out_of_work_mem(what, ctx.state.settings.work_mem));
        }
        Ok(true)
    }
}

/// Removes duplicate rows, streaming (the first of each is kept).
pub(super) struct DistinctOp {
    input: Box<dyn Operator>,
    seen: Seen,
}

impl DistinctOp {
    pub(super) fn new(input: Box<dyn Operator>) -> DistinctOp {
        DistinctOp {
            input,
            seen: Seen::default(),
        }
    }
}

impl Operator for DistinctOp {
    fn next_batch(&mut self, ctx: &mut ExecContext<'_>) -> Result<Option<Batch>> {
        while let Some(b) = self.input.next_batch(ctx)? {
            let mut rows = Vec::new();
            for r in b.rows {
                if self.seen.insert(&r, "DISTINCT", ctx)? {
                    rows.push(r);
                }
            }
            if !rows.is_empty() {
                return Ok(Some(Batch { rows }));
            }
        }
        Ok(None)
    }
}

/// UNION / INTERSECT / EXCEPT [ALL].
pub(super) struct SetOpOp {
    op: SetOpKind,
    all: bool,
    left: Box<dyn Operator>,
    right: Box<dyn Operator>,
    /// The right side's rows by key, with their multiplicity (INTERSECT, EXCEPT).
    right_counts: Option<HashMap<Vec<u8>, usize>>,
    seen: Seen,
    left_done: bool,
}

impl SetOpOp {
    pub(super) fn new(
        op: SetOpKind,
        all: bool,
        left: Box<dyn Operator>,
        right: Box<dyn Operator>,
    ) -> SetOpOp {
        SetOpOp {
            op,
            all,
            left,
            right,
            right_counts: None,
            seen: Seen::default(),
            left_done: false,
        }
    }

    fn union_batch(&mut self, ctx: &mut ExecContext<'_>) -> Result<Option<Batch>> {
        loop {
            let batch = if self.left_done {
                self.right.next_batch(ctx)?
            } else {
                match self.left.next_batch(ctx)? {
                    Some(b) => Some(b),
                    None => {
                        self.left_done = true;
                        continue;
                    }
                }
            };
            let Some(b) = batch else { return Ok(None) };
            if self.all {
                return Ok(Some(b));
            }
            let mut rows = Vec::new();
            for r in b.rows {
                if self.seen.insert(&r, "UNION", ctx)? {
                    rows.push(r);
                }
            }
            if !rows.is_empty() {
                return Ok(Some(Batch { rows }));
            }
        }
    }
}

impl Operator for SetOpOp {
    fn next_batch(&mut self, ctx: &mut ExecContext<'_>) -> Result<Option<Batch>> {
        if self.op == SetOpKind::Union {
            return self.union_batch(ctx);
        }
        if self.right_counts.is_none() {
            let mut counts: HashMap<Vec<u8>, usize> = HashMap::new();
            let mut bytes = 0;
            while let Some(b) = self.right.next_batch(ctx)? {
                for r in b.rows {
                    let k = hash_key(&r);
                    bytes += k.len() + 48;
                    *counts.entry(k).or_default() += 1;
                }
                if bytes > ctx.state.settings.work_mem {
                    return Err(out_of_work_mem(
                        "the hash table of INTERSECT or EXCEPT",
                        ctx.state.settings.work_mem,
                    ));
                }
            }
            self.right_counts = Some(counts);
        }
        while let Some(b) = self.left.next_batch(ctx)? {
            let Some(counts) = &mut self.right_counts else {
                return Ok(None);
            };
            let mut rows = Vec::new();
            for r in b.rows {
                let k = hash_key(&r);
                let in_right = counts.get_mut(&k);
                let keep = match (self.op, self.all) {
                    (SetOpKind::Intersect, true) => match in_right {
                        Some(c) if *c > 0 => {
                            *c -= 1;
                            true
                        }
                        _ => false,
                    },
                    (SetOpKind::Except, true) => match in_right {
                        Some(c) if *c > 0 => {
                            *c -= 1;
                            false
                        }
                        _ => true,
                    },
                    (SetOpKind::Intersect, false) => {
                        in_right.is_some() && self.seen.insert(&r, "INTERSECT", ctx)?
                    }
                    (SetOpKind::Except, false) => {
                        in_right.is_none() && self.seen.insert(&r, "EXCEPT", ctx)?
                    }
                    (SetOpKind::Union, _) => true,
                };
                if keep {
                    rows.push(r);
                }
            }
            if !rows.is_empty() {
                return Ok(Some(Batch { rows }));
            }
        }
        Ok(None)
    }
}

/// WITH RECURSIVE: the base rows, then rounds of the step over the previous round.
pub(super) struct RecursiveCteOp {
    id: usize,
    base: Box<dyn Operator>,
    step: PhysicalNode,
    union_all: bool,
    out: Option<std::vec::IntoIter<Vec<Value>>>,
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
            out: None,
        }
    }

    fn compute(&mut self, ctx: &mut ExecContext<'_>) -> Result<Vec<Vec<Value>>> {
        let mut seen = Seen::default();
        let mut result = Vec::new();
        let mut bytes = 0usize;
        let mut round = Vec::new();
        let what = "a recursive query";
        while let Some(b) = self.base.next_batch(ctx)? {
            for r in b.rows {
                if self.union_all || seen.insert(&r, what, ctx)? {
                    round.push(r);
                }
            }
        }
        while !round.is_empty() {
            for r in &round {
                bytes += row_bytes(r);
            }
            if bytes > ctx.state.settings.work_mem {
                return Err(out_of_work_mem(what, ctx.state.settings.work_mem));
            }
            let previous = Arc::new(std::mem::take(&mut round));
            ctx.set_work_table(self.id, Some(previous.clone()));
            let mut step = build_node(&self.step)?;
            let mut next = Vec::new();
            let produced: Result<()> = (|| {
                while let Some(b) = step.next_batch(ctx)? {
                    for r in b.rows {
                        if self.union_all || seen.insert(&r, what, ctx)? {
                            next.push(r);
                        }
                    }
                }
                Ok(())
            })();
            ctx.set_work_table(self.id, None);
            produced?;
            result.extend(Arc::try_unwrap(previous).unwrap_or_else(|a| (*a).clone()));
            round = next;
        }
        Ok(result)
    }
}

impl Operator for RecursiveCteOp {
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
