//! Joins: hash join, nested-loop join and the dependent join (LATERAL, index nested
//! loops), each for every kind the planner gives it.
//!
//! NULL semantics: a hash-join key with a NULL never matches (SQL `=`); a condition that
//! is NULL does not match. Outer joins pad the missing side with NULLs.

use std::collections::HashMap;

use covet_engine::value::Value;

use super::{
    build_node, hash_key, out_of_work_mem, row_bytes, Batch, ExecContext, Operator, BATCH_SIZE,
};
use crate::error::Result;
use crate::expr::ScalarExpr;
use crate::plan::{JoinKind, PhysicalNode};

/// Rows produced but not yet returned, handed out a batch at a time.
#[derive(Default)]
struct Pending {
    rows: Vec<Vec<Value>>,
}

impl Pending {
    fn full(&self) -> bool {
        self.rows.len() >= BATCH_SIZE
    }

    fn take(&mut self) -> Option<Batch> {
        if self.rows.is_empty() {
            return None;
        }
        let n = self.rows.len().min(BATCH_SIZE);
        let rest = self.rows.split_off(n);
        Some(Batch {
            rows: std::mem::replace(&mut self.rows, rest),
        })
    }
}

fn concat(left: &[Value], right: &[Value]) -> Vec<Value> {
    let mut row = Vec::with_capacity(left.len() + right.len());
    row.extend_from_slice(left);
    row.extend_from_slice(right);
    row
}

fn nulls(n: usize) -> Vec<Value> {
    vec![Value::Null; n]
}

/// Reads every row of `input`, failing with 53200 past work memory.
fn materialize(
    input: &mut dyn Operator,
    what: &str,
    ctx: &mut ExecContext<'_>,
) -> Result<Vec<Vec<Value>>> {
    let mut rows = Vec::new();
    let mut bytes = 0;
    while let Some(b) = input.next_batch(ctx)? {
        for r in b.rows {
            bytes += row_bytes(&r);
            if bytes > ctx.state.settings.work_mem {
                return Err(out_of_work_mem(what, ctx.state.settings.work_mem));
            }
            rows.push(r);
        }
    }
    Ok(rows)
}

/// Emits the unmatched right rows of a RIGHT or FULL join.
fn emit_unmatched_right(
    right: &[Vec<Value>],
    matched: &[bool],
    left_width: usize,
    out: &mut Pending,
) {
    for (r, m) in right.iter().zip(matched) {
        if !m {
            out.rows.push(concat(&nulls(left_width), r));
        }
    }
}

/// After the probes of one left row: what outer, semi and anti joins add.
fn finish_left_row(
    kind: JoinKind,
    left: Vec<Value>,
    any_match: bool,
    right_width: usize,
    out: &mut Pending,
) {
    match kind {
        JoinKind::Left | JoinKind::Full if !any_match => {
            let mut row = left;
            row.extend(nulls(right_width));
            out.rows.push(row);
        }
        JoinKind::Semi if any_match => out.rows.push(left),
        JoinKind::Anti if !any_match => out.rows.push(left),
        _ => {}
    }
}

/// Whether a matching pair adds `left ++ right` to the output (semi and anti joins only
/// note the match).
fn emits_pairs(kind: JoinKind) -> bool {
    !kind.left_only()
}

struct BuildSide {
    rows: Vec<Vec<Value>>,
    table: HashMap<Vec<u8>, Vec<usize>>,
    matched: Vec<bool>,
}

/// Hash join: the right side is the build side.
pub(super) struct HashJoinOp {
    left: Box<dyn Operator>,
    right: Box<dyn Operator>,
    kind: JoinKind,
    left_keys: Vec<ScalarExpr>,
    right_keys: Vec<ScalarExpr>,
    residual: Option<ScalarExpr>,
    right_width: usize,
    left_width: usize,
    build: Option<BuildSide>,
    out: Pending,
    left_done: bool,
}

impl HashJoinOp {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        left: Box<dyn Operator>,
        right: Box<dyn Operator>,
        kind: JoinKind,
        left_keys: Vec<ScalarExpr>,
        right_keys: Vec<ScalarExpr>,
        residual: Option<ScalarExpr>,
        right_width: usize,
        left_width: usize,
    ) -> HashJoinOp {
        HashJoinOp {
            left,
            right,
            kind,
            left_keys,
            right_keys,
            residual,
            right_width,
            left_width,
            build: None,
            out: Pending::default(),
            left_done: false,
        }
    }

    /// The key of `row`, or `None` when a key value is NULL (it matches nothing).
    fn key(
        exprs: &[ScalarExpr],
        row: &[Value],
        ctx: &mut ExecContext<'_>,
    ) -> Result<Option<Vec<u8>>> {
        let mut values = Vec::with_capacity(exprs.len());
        for e in exprs {
            let v = ctx.eval(e, row)?;
            if v.is_null() {
                return Ok(None);
            }
            values.push(v);
        }
        Ok(Some(hash_key(&values)))
    }

    fn build(&mut self, ctx: &mut ExecContext<'_>) -> Result<()> {
        let rows = materialize(self.right.as_mut(), "the hash table of a hash join", ctx)?;
        let mut table: HashMap<Vec<u8>, Vec<usize>> = HashMap::new();
        for (i, r) in rows.iter().enumerate() {
            if let Some(k) = Self::key(&self.right_keys, r, ctx)? {
                table.entry(k).or_default().push(i);
            }
        }
        let matched = vec![false; rows.len()];
        self.build = Some(BuildSide {
            rows,
            table,
            matched,
        });
        Ok(())
    }
}

impl Operator for HashJoinOp {
    fn next_batch(&mut self, ctx: &mut ExecContext<'_>) -> Result<Option<Batch>> {
        if self.build.is_none() {
            self.build(ctx)?;
        }
        while !self.out.full() && !self.left_done {
            let Some(batch) = self.left.next_batch(ctx)? else {
                self.left_done = true;
                if matches!(self.kind, JoinKind::Right | JoinKind::Full) {
                    if let Some(b) = &self.build {
                        emit_unmatched_right(&b.rows, &b.matched, self.left_width, &mut self.out);
                    }
                }
                break;
            };
            let Some(build) = &mut self.build else { break };
            for l in batch.rows {
                let mut any = false;
                if let Some(k) = Self::key(&self.left_keys, &l, ctx)? {
                    if let Some(candidates) = build.table.get(&k) {
                        ctx.charge(candidates.len())?;
                        for &i in candidates {
                            let row = concat(&l, &build.rows[i]);
                            let ok = match &self.residual {
                                Some(r) => ctx.eval_true(r, &row)?,
                                None => true,
                            };
                            if ok {
                                any = true;
                                build.matched[i] = true;
                                if emits_pairs(self.kind) {
                                    self.out.rows.push(row);
                                } else {
                                    break;
                                }
                            }
                        }
                    }
                }
                finish_left_row(self.kind, l, any, self.right_width, &mut self.out);
            }
        }
        Ok(self.out.take())
    }
}

/// Nested-loop join over a materialized right side.
pub(super) struct NestedLoopJoinOp {
    left: Box<dyn Operator>,
    right: Box<dyn Operator>,
    kind: JoinKind,
    condition: Option<ScalarExpr>,
    left_width: usize,
    right_width: usize,
    inner: Option<(Vec<Vec<Value>>, Vec<bool>)>,
    out: Pending,
    left_done: bool,
}

impl NestedLoopJoinOp {
    pub(super) fn new(
        left: Box<dyn Operator>,
        right: Box<dyn Operator>,
        kind: JoinKind,
        condition: Option<ScalarExpr>,
        left_width: usize,
        right_width: usize,
    ) -> NestedLoopJoinOp {
        NestedLoopJoinOp {
            left,
            right,
            kind,
            condition,
            left_width,
            right_width,
            inner: None,
            out: Pending::default(),
            left_done: false,
        }
    }
}

impl Operator for NestedLoopJoinOp {
    fn next_batch(&mut self, ctx: &mut ExecContext<'_>) -> Result<Option<Batch>> {
        if self.inner.is_none() {
            let rows = materialize(
                self.right.as_mut(),
                "the inner side of a nested-loop join",
                ctx,
            )?;
            let matched = vec![false; rows.len()];
            self.inner = Some((rows, matched));
        }
        while !self.out.full() && !self.left_done {
            let Some(batch) = self.left.next_batch(ctx)? else {
                self.left_done = true;
                if matches!(self.kind, JoinKind::Right | JoinKind::Full) {
                    if let Some((rows, matched)) = &self.inner {
                        emit_unmatched_right(rows, matched, self.left_width, &mut self.out);
                    }
                }
                break;
            };
            let Some((rows, matched)) = &mut self.inner else {
                break;
            };
            for l in batch.rows {
                ctx.charge(rows.len())?;
                let mut any = false;
                for (i, r) in rows.iter().enumerate() {
                    let row = concat(&l, r);
                    let ok = match &self.condition {
                        Some(c) => ctx.eval_true(c, &row)?,
                        None => true,
                    };
                    if ok {
                        any = true;
                        matched[i] = true;
                        if emits_pairs(self.kind) {
                            self.out.rows.push(row);
                        } else {
                            break;
                        }
                    }
                }
                finish_left_row(self.kind, l, any, self.right_width, &mut self.out);
            }
        }
        Ok(self.out.take())
    }
}

/// A join whose right side re-runs for each left row, with the left row as its depth-1
/// outer row (LATERAL; index nested loops).
pub(super) struct DependentJoinOp {
    left: Box<dyn Operator>,
    right: PhysicalNode,
    kind: JoinKind,
    condition: Option<ScalarExpr>,
    right_width: usize,
    out: Pending,
    left_done: bool,
}

impl DependentJoinOp {
    pub(super) fn new(
        left: Box<dyn Operator>,
        right: PhysicalNode,
        kind: JoinKind,
        condition: Option<ScalarExpr>,
        right_width: usize,
    ) -> DependentJoinOp {
        DependentJoinOp {
            left,
            right,
            kind,
            condition,
            right_width,
            out: Pending::default(),
            left_done: false,
        }
    }
}

impl Operator for DependentJoinOp {
    fn next_batch(&mut self, ctx: &mut ExecContext<'_>) -> Result<Option<Batch>> {
        while !self.out.full() && !self.left_done {
            let Some(batch) = self.left.next_batch(ctx)? else {
                self.left_done = true;
                break;
            };
            for l in batch.rows {
                let right = &self.right;
                let inner = ctx.with_outer(l.clone(), |ctx| {
                    let mut op = build_node(right)?;
                    materialize(op.as_mut(), "the inner side of a lateral join", ctx)
                })?;
                ctx.charge(inner.len())?;
                let mut any = false;
                for r in &inner {
                    let row = concat(&l, r);
                    let ok = match &self.condition {
                        Some(c) => ctx.eval_true(c, &row)?,
                        None => true,
                    };
                    if ok {
                        any = true;
                        if emits_pairs(self.kind) {
                            self.out.rows.push(row);
                        } else {
                            break;
                        }
                    }
                }
                finish_left_row(self.kind, l, any, self.right_width, &mut self.out);
            }
        }
        Ok(self.out.take())
    }
}
