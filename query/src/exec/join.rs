//! Joins: hash join, nested-loop join and the dependent join (LATERAL, index nested
//! loops), each for every kind the planner gives it.
//!
//! NULL semantics: a hash-join key with a NULL never matches (SQL `=`); a condition that
//! is NULL does not match. Outer joins pad the missing side with NULLs.
//!
//! Memory: a hash join whose build side passes `work_mem` becomes a Grace hash join
//! ([`grace`]); a nested-loop join whose inner side passes it writes the inner side to
//! a temporary file and re-reads it once per block of outer rows ([`block`]). The
//! inner side of a dependent join is per left row and still fails with 53200.

mod block;
mod grace;

use std::collections::HashMap;

use covet_engine::value::Value;

use self::block::{BlockJoin, Matcher, Outer};
use super::spill::SpillWriter;
use super::{
    build_node, hash_key, out_of_work_mem, row_bytes, Batch, ExecContext, Operator, BATCH_SIZE,
};
use crate::error::Result;
use crate::expr::ScalarExpr;
use crate::plan::{JoinKind, PhysicalNode};

/// The kind of a join and the widths of its sides.
#[derive(Debug, Clone, Copy)]
struct Shape {
    kind: JoinKind,
    left_width: usize,
    right_width: usize,
}

impl Shape {
    /// Whether right rows without a match are part of the output.
    fn keeps_unmatched_right(self) -> bool {
        matches!(self.kind, JoinKind::Right | JoinKind::Full)
    }

    /// Whether left rows without a match are part of the output.
    fn keeps_unmatched_left(self) -> bool {
        matches!(self.kind, JoinKind::Left | JoinKind::Full | JoinKind::Anti)
    }
}

/// Rows produced but not yet returned, handed out a batch at a time.
#[derive(Default)]
struct Pending {
    rows: Vec<Vec<Value>>,
}

impl Pending {
    fn full(&self) -> bool {
        self.rows.len() >= BATCH_SIZE
    }

    fn push(&mut self, row: Vec<Value>) {
        self.rows.push(row);
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

/// The key of `row` under `exprs`, or `None` when a key value is NULL (it matches
/// nothing).
fn join_key(
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

/// Bytes a build row and its key count against work memory (the row, the key and the
/// hash-table entry).
fn build_bytes(row: &[Value], key: Option<&[u8]>) -> usize {
    row_bytes(row) + key.map_or(0, |k| k.len() + 48)
}

/// What a hash join matches on.
struct HashSpec {
    shape: Shape,
    left_keys: Vec<ScalarExpr>,
    right_keys: Vec<ScalarExpr>,
    residual: Option<ScalarExpr>,
}

/// The build (right) side of a hash join held in memory.
struct BuildSide {
    rows: Vec<Vec<Value>>,
    table: HashMap<Vec<u8>, Vec<usize>>,
    matched: Vec<bool>,
}

impl BuildSide {
    /// The build side of `rows` with their keys (`None`: a NULL key, in no bucket).
    fn new(rows: Vec<Vec<Value>>, keys: Vec<Option<Vec<u8>>>) -> BuildSide {
        let mut table: HashMap<Vec<u8>, Vec<usize>> = HashMap::new();
        for (i, k) in keys.into_iter().enumerate() {
            if let Some(k) = k {
                table.entry(k).or_default().push(i);
            }
        }
        let matched = vec![false; rows.len()];
        BuildSide {
            rows,
            table,
            matched,
        }
    }

    /// Joins the left rows `probe` against the build side.
    fn probe(
        &mut self,
        probe: Vec<Vec<Value>>,
        spec: &HashSpec,
        ctx: &mut ExecContext<'_>,
        out: &mut Pending,
    ) -> Result<()> {
        let shape = spec.shape;
        for l in probe {
            let mut any = false;
            if let Some(k) = join_key(&spec.left_keys, &l, ctx)? {
                if let Some(candidates) = self.table.get(&k) {
                    ctx.charge(candidates.len())?;
                    for &i in candidates {
                        let row = concat(&l, &self.rows[i]);
                        let ok = match &spec.residual {
                            Some(r) => ctx.eval_true(r, &row)?,
                            None => true,
                        };
                        if ok {
                            any = true;
                            self.matched[i] = true;
                            if emits_pairs(shape.kind) {
                                out.push(row);
                            } else {
                                break;
                            }
                        }
                    }
                }
            }
            finish_left_row(shape.kind, l, any, shape.right_width, out);
        }
        Ok(())
    }

    /// After the last probe: the unmatched build rows of a RIGHT or FULL join.
    fn finish(&self, shape: Shape, out: &mut Pending) {
        if shape.keeps_unmatched_right() {
            emit_unmatched_right(&self.rows, &self.matched, shape.left_width, out);
        }
    }
}

/// Where a hash join is.
enum HashState {
    /// The build side is not read yet.
    Start,
    /// The build side fit in work memory; the left input streams past it.
    InMemory { build: BuildSide, left_done: bool },
    /// The build side did not fit: both sides are partitioned to temporary files.
    Spilled(Box<grace::GraceJoin>),
}

/// Hash join: the right side is the build side.
pub(super) struct HashJoinOp {
    left: Box<dyn Operator>,
    right: Box<dyn Operator>,
    spec: HashSpec,
    state: HashState,
    out: Pending,
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
            spec: HashSpec {
                shape: Shape {
                    kind,
                    left_width,
                    right_width,
                },
                left_keys,
                right_keys,
                residual,
            },
            state: HashState::Start,
            out: Pending::default(),
        }
    }

    /// Reads the build side: into memory, or (past work memory) into partitions.
    fn start(&mut self, ctx: &mut ExecContext<'_>) -> Result<HashState> {
        let work_mem = ctx.state.settings.work_mem;
        let (mut rows, mut keys, mut bytes) = (Vec::new(), Vec::new(), 0usize);
        while let Some(b) = self.right.next_batch(ctx)? {
            for r in b.rows {
                let k = join_key(&self.spec.right_keys, &r, ctx)?;
                bytes += build_bytes(&r, k.as_deref());
                rows.push(r);
                keys.push(k);
            }
            if bytes > work_mem {
                let held = rows.into_iter().zip(keys).collect();
                let join = grace::GraceJoin::partition(
                    held,
                    self.right.as_mut(),
                    self.left.as_mut(),
                    &self.spec,
                    ctx,
                )?;
                return Ok(HashState::Spilled(Box::new(join)));
            }
        }
        Ok(HashState::InMemory {
            build: BuildSide::new(rows, keys),
            left_done: false,
        })
    }
}

impl Operator for HashJoinOp {
    fn next_batch(&mut self, ctx: &mut ExecContext<'_>) -> Result<Option<Batch>> {
        if matches!(self.state, HashState::Start) {
            self.state = self.start(ctx)?;
        }
        match &mut self.state {
            HashState::Start => {}
            HashState::InMemory { build, left_done } => {
                while !self.out.full() && !*left_done {
                    match self.left.next_batch(ctx)? {
                        Some(batch) => build.probe(batch.rows, &self.spec, ctx, &mut self.out)?,
                        None => {
                            *left_done = true;
                            build.finish(self.spec.shape, &mut self.out);
                        }
                    }
                }
            }
            HashState::Spilled(join) => join.fill(&self.spec, ctx, &mut self.out)?,
        }
        Ok(self.out.take())
    }
}

/// The inner side of a nested-loop join.
enum Inner {
    /// Not read yet.
    Start,
    /// It fit in work memory: the rows and whether each matched.
    Memory(Vec<Vec<Value>>, Vec<bool>),
    /// It did not: a block nested loop over a temporary file of it.
    Spilled(Box<BlockJoin>),
}

/// Nested-loop join over a materialized right side.
pub(super) struct NestedLoopJoinOp {
    left: Box<dyn Operator>,
    right: Box<dyn Operator>,
    shape: Shape,
    condition: Option<ScalarExpr>,
    inner: Inner,
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
            shape: Shape {
                kind,
                left_width,
                right_width,
            },
            condition,
            inner: Inner::Start,
            out: Pending::default(),
            left_done: false,
        }
    }

    /// Reads the inner side: into memory, or (past work memory) into a temporary file.
    fn start(&mut self, ctx: &mut ExecContext<'_>) -> Result<Inner> {
        let work_mem = ctx.state.settings.work_mem;
        let (mut rows, mut bytes) = (Vec::new(), 0usize);
        while let Some(b) = self.right.next_batch(ctx)? {
            for r in b.rows {
                bytes += row_bytes(&r);
                rows.push(r);
            }
            if bytes > work_mem {
                let mut file = SpillWriter::create(&ctx.state.settings.temp_dir)?;
                ctx.state.stats.spill_files += 1;
                for r in rows.drain(..) {
                    file.write(&r)?;
                    ctx.state.stats.spilled_rows += 1;
                }
                while let Some(b) = self.right.next_batch(ctx)? {
                    for r in b.rows {
                        file.write(&r)?;
                        ctx.state.stats.spilled_rows += 1;
                    }
                }
                return Ok(Inner::Spilled(Box::new(BlockJoin::new(
                    self.shape,
                    Matcher::Condition(self.condition.clone()),
                    file.finish()?,
                    Outer::Input,
                ))));
            }
        }
        let matched = vec![false; rows.len()];
        Ok(Inner::Memory(rows, matched))
    }
}

impl Operator for NestedLoopJoinOp {
    fn next_batch(&mut self, ctx: &mut ExecContext<'_>) -> Result<Option<Batch>> {
        if matches!(self.inner, Inner::Start) {
            self.inner = self.start(ctx)?;
        }
        let (rows, matched) = match &mut self.inner {
            Inner::Start => return Ok(None),
            Inner::Spilled(join) => {
                join.fill(Some(self.left.as_mut()), ctx, &mut self.out)?;
                return Ok(self.out.take());
            }
            Inner::Memory(rows, matched) => (rows, matched),
        };
        let kind = self.shape.kind;
        while !self.out.full() && !self.left_done {
            let Some(batch) = self.left.next_batch(ctx)? else {
                self.left_done = true;
                if self.shape.keeps_unmatched_right() {
                    emit_unmatched_right(rows, matched, self.shape.left_width, &mut self.out);
                }
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
                        if emits_pairs(kind) {
                            self.out.push(row);
                        } else {
                            break;
                        }
                    }
                }
                finish_left_row(kind, l, any, self.shape.right_width, &mut self.out);
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
