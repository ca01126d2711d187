//! DISTINCT and set operations (UNION, INTERSECT, EXCEPT, each with ALL).
//!
//! Rows are compared by their key encoding (`hash_key`): NULLs are equal to each other
//! here, as SQL's set operations and DISTINCT require. The hash sets of DISTINCT and
//! UNION are bounded by `work_mem` (53200 past it). INTERSECT and EXCEPT [ALL] keep one
//! entry per distinct row value; past `work_mem` the entries and the left rows still
//! to come are partitioned by the row's hash into temporary files and each partition
//! is done on its own (see [`Pass`]).

use std::collections::{HashMap, HashSet};

use covet_engine::value::Value;

use super::spill::{Partitioner, SpillFile, SpillReader, MAX_SPILL_DEPTH};
use super::{hash_key, out_of_work_mem, Batch, ExecContext, Operator};
use crate::error::{QueryError, Result};
use crate::plan::SetOpKind;

/// A set of rows seen so far, bounded by work memory.
#[derive(Default)]
pub(super) struct Seen {
    keys: HashSet<Vec<u8>>,
    bytes: usize,
}

impl Seen {
    /// Adds `row`; whether it was new.
    pub(super) fn insert(
        &mut self,
        row: &[Value],
        what: &str,
        ctx: &ExecContext<'_>,
    ) -> Result<bool> {
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
    /// UNION: the rows seen so far, and whether the left input is done.
    seen: Seen,
    left_done: bool,
    /// INTERSECT, EXCEPT: whether the right input was read, the running pass, the
    /// left rows of a spilled part it reads (else the left input), and the parts to do.
    started: bool,
    pass: Option<Pass>,
    left_file: Option<(SpillReader, SpillFile)>,
    parts: Vec<Part>,
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
            seen: Seen::default(),
            left_done: false,
            started: false,
            pass: None,
            left_file: None,
            parts: Vec::new(),
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
        loop {
            if self.pass.is_none() && !self.start_pass(ctx)? {
                return Ok(None);
            }
            let Some(pass) = &mut self.pass else {
                return Ok(None);
            };
            let rows = match &mut self.left_file {
                Some((reader, _)) => reader.next_rows()?,
                None => self.left.next_batch(ctx)?.map(|b| b.rows),
            };
            let Some(rows) = rows else {
                if let Some(pass) = self.pass.take() {
                    self.parts.extend(pass.finish()?);
                }
                self.left_file = None;
                continue;
            };
            let mut out = Vec::new();
            for r in rows {
                if pass.left(r.as_slice(), self.op, self.all, ctx)? {
                    out.push(r);
                }
            }
            if !out.is_empty() {
                return Ok(Some(Batch { rows: out }));
            }
        }
    }
}

impl SetOpOp {
    /// Starts the next pass of INTERSECT or EXCEPT: the first over the inputs (after
    /// reading the right one), then one per spilled part; false when none is left.
    fn start_pass(&mut self, ctx: &mut ExecContext<'_>) -> Result<bool> {
        if !self.started {
            self.started = true;
            let mut pass = Pass::new(0);
            while let Some(b) = self.right.next_batch(ctx)? {
                for r in b.rows {
                    pass.right(hash_key(&r), 1, false, ctx)?;
                }
            }
            self.pass = Some(pass);
            return Ok(true);
        }
        while let Some(part) = self.parts.pop() {
            // Nothing can come out of a part without left rows, nor of INTERSECT's
            // without right rows.
            if part.left.rows() == 0 || (self.op == SetOpKind::Intersect && part.keys.rows() == 0) {
                continue;
            }
            let mut pass = Pass::new(part.depth);
            let mut keys = part.keys.reader()?;
            while let Some(entry) = keys.next_row()? {
                let (key, right, emitted) = decode_entry(entry)?;
                pass.right(key, right, emitted, ctx)?;
            }
            self.left_file = Some((part.left.reader()?, part.left));
            self.pass = Some(pass);
            return Ok(true);
        }
        Ok(false)
    }
}

/// What INTERSECT and EXCEPT know of one row value: how many right rows of it are not
/// yet paired with a left row (ALL), and whether a left row of it came out (distinct).
#[derive(Debug, Default, Clone, Copy)]
struct Entry {
    right: u64,
    emitted: bool,
}

/// A spilled part of INTERSECT or EXCEPT: the entries of some keys and the left rows of
/// the same keys.
struct Part {
    keys: SpillFile,
    left: SpillFile,
    /// The salt of the part's own spill.
    depth: u32,
}

/// A spilled entry as a row: the key, the right count, whether emitted.
fn encode_entry(key: &[u8], e: Entry) -> Vec<Value> {
    vec![
        Value::Blob(key.to_vec()),
        Value::Int(e.right as i64),
        Value::Bool(e.emitted),
    ]
}

fn decode_entry(row: Vec<Value>) -> Result<(Vec<u8>, u64, bool)> {
    let mut row = row.into_iter();
    match (row.next(), row.next(), row.next()) {
        (Some(Value::Blob(k)), Some(Value::Int(n)), Some(Value::Bool(e))) => Ok((k, n as u64, e)),
        _ => Err(QueryError::internal(
            "a damaged entry in a temporary file of INTERSECT or EXCEPT",
        )),
    }
}

/// One pass of INTERSECT or EXCEPT: the entries of the keys it holds in memory and,
/// once they passed work memory, the partitions that every later entry and left row
/// goes to instead.
///
/// Invariant: a key is either wholly in `table` or wholly in the partitions (the spill
/// moves every entry out and all later rows of any key follow), so each part is a
/// complete INTERSECT/EXCEPT of its keys, and a key's state (pairs used, emitted)
/// travels with it.
struct Pass {
    table: HashMap<Vec<u8>, Entry>,
    bytes: usize,
    depth: u32,
    spill: Option<(Partitioner, Partitioner)>,
}

impl Pass {
    fn new(depth: u32) -> Pass {
        Pass {
            table: HashMap::new(),
            bytes: 0,
            depth,
            spill: None,
        }
    }

    /// Adds `right` right rows of `key` (and whether a left row of it came out).
    fn right(
        &mut self,
        key: Vec<u8>,
        right: u64,
        emitted: bool,
        ctx: &mut ExecContext<'_>,
    ) -> Result<()> {
        if let Some((keys, _)) = &mut self.spill {
            return keys.write(&key, &encode_entry(&key, Entry { right, emitted }), ctx);
        }
        let len = key.len();
        let e = self.table.entry(key).or_insert_with(|| {
            self.bytes += len + 48;
            Entry::default()
        });
        e.right += right;
        e.emitted |= emitted;
        self.check(ctx)
    }

    /// Whether left row `row` comes out (updating its key's entry).
    fn left(
        &mut self,
        row: &[Value],
        op: SetOpKind,
        all: bool,
        ctx: &mut ExecContext<'_>,
    ) -> Result<bool> {
        let key = hash_key(row);
        if let Some((_, left)) = &mut self.spill {
            left.write(&key, row, ctx)?;
            return Ok(false);
        }
        let entry = self.table.get_mut(&key);
        let out = match (op, all, entry) {
            (SetOpKind::Intersect, true, Some(e)) if e.right > 0 => {
                e.right -= 1;
                true
            }
            (SetOpKind::Except, true, Some(e)) if e.right > 0 => {
                e.right -= 1;
                false
            }
            (SetOpKind::Except, true, _) => true,
            (SetOpKind::Intersect, false, Some(e)) if e.right > 0 && !e.emitted => {
                e.emitted = true;
                true
            }
            (SetOpKind::Except, false, Some(e)) => {
                let out = e.right == 0 && !e.emitted;
                e.emitted = true;
                out
            }
            (SetOpKind::Except, false, None) => {
                self.bytes += key.len() + 48;
                self.table.insert(
                    key,
                    Entry {
                        right: 0,
                        emitted: true,
                    },
                );
                self.check(ctx)?;
                true
            }
            (SetOpKind::Union, ..) => true,
            _ => false,
        };
        Ok(out)
    }

    /// Past work memory: moves every entry to partitions (53200 at the depth limit).
    fn check(&mut self, ctx: &mut ExecContext<'_>) -> Result<()> {
        let work_mem = ctx.state.settings.work_mem;
        if self.bytes <= work_mem || self.spill.is_some() {
            return Ok(());
        }
        if self.depth >= MAX_SPILL_DEPTH {
            return Err(out_of_work_mem(
                "the hash table of INTERSECT or EXCEPT",
                work_mem,
            ));
        }
        let mut keys = Partitioner::create(self.depth, ctx)?;
        for (k, e) in self.table.drain() {
            keys.write(&k, &encode_entry(&k, e), ctx)?;
        }
        self.bytes = 0;
        self.spill = Some((keys, Partitioner::create(self.depth, ctx)?));
        Ok(())
    }

    /// The parts this pass spilled.
    fn finish(self) -> Result<Vec<Part>> {
        let Some((keys, left)) = self.spill else {
            return Ok(Vec::new());
        };
        Ok(keys
            .finish()?
            .into_iter()
            .zip(left.finish()?)
            .map(|(keys, left)| Part {
                keys,
                left,
                depth: self.depth + 1,
            })
            .collect())
    }
}
