//! Hash aggregation (with no group keys: the one group of a plain aggregate query).
//!
//! Groups are found by the key encoding of their key values (`hash_key`), so NULLs
//! group together and `1` and `1.0` are one group, as GROUP BY requires. Groups come out
//! in the order they were first seen (spilled groups after the others). An aggregate
//! with `ORDER BY` in its call keeps its inputs per group and feeds them sorted at the
//! end. Past `work_mem` the operator spills the rows of new groups to partition files (`spill::Partitioner`)
//! (see [`HashAggregateOp::aggregate`]); 53200 when even that cannot bound it.

use std::collections::HashMap;

use covet_engine::value::Value;

use super::spill::{Partitioner, SpillFile, SpillReader, MAX_SPILL_DEPTH};
use super::{
    compare_sort_keys, hash_key, out_of_work_mem, row_bytes, Batch, ExecContext, Operator,
    BATCH_SIZE,
};
use crate::error::Result;
use crate::expr::ScalarExpr;
use crate::functions::Accumulator;
use crate::plan::AggregateCall;

struct Group {
    keys: Vec<Value>,
    accs: Vec<Box<dyn Accumulator>>,
    /// For each ordered aggregate: its inputs, as sort keys ++ arguments.
    ordered: Vec<Vec<Vec<Value>>>,
}

/// The group keys and calls of an aggregation, and the per-group work.
struct Spec {
    group: Vec<ScalarExpr>,
    aggregates: Vec<AggregateCall>,
}

pub(super) struct HashAggregateOp {
    input: Box<dyn Operator>,
    spec: Spec,
    started: bool,
    out: std::vec::IntoIter<Vec<Value>>,
    /// Spilled partitions still to aggregate, with the depth they were spilled at.
    partitions: Vec<(SpillFile, u32)>,
}

impl HashAggregateOp {
    pub(super) fn new(
        input: Box<dyn Operator>,
        group: Vec<ScalarExpr>,
        aggregates: Vec<AggregateCall>,
    ) -> HashAggregateOp {
        HashAggregateOp {
            input,
            spec: Spec { group, aggregates },
            started: false,
            out: Vec::new().into_iter(),
            partitions: Vec::new(),
        }
    }

    /// Aggregates the rows of `source`. Groups first seen before the hash table passed
    /// `work_mem` stay in memory to the end; rows of groups first seen after are written
    /// to one of `spill::PARTITIONS` spill files by their key's hash (salted by `depth`, so a
    /// partition spilled again splits differently). So each group is wholly in memory
    /// or wholly in one partition, and partitions are aggregated one at a time later.
    fn aggregate(
        &mut self,
        mut source: Source,
        depth: u32,
        ctx: &mut ExecContext<'_>,
    ) -> Result<Vec<Vec<Value>>> {
        let mut index: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut groups: Vec<Group> = Vec::new();
        let mut bytes = 0usize;
        let work_mem = ctx.state.settings.work_mem;
        let mut spill: Option<Partitioner> = None;
        while let Some(rows) = source.next(self, ctx)? {
            for row in rows {
                let mut keys = Vec::with_capacity(self.spec.group.len());
                for e in &self.spec.group {
                    keys.push(ctx.eval(e, &row)?);
                }
                let k = hash_key(&keys);
                let gi = match index.get(&k) {
                    Some(&i) => i,
                    None => {
                        if let Some(parts) = &mut spill {
                            parts.write(&k, &row, ctx)?;
                            continue;
                        }
                        bytes += k.len() + row_bytes(&keys) + 64 * self.spec.aggregates.len();
                        groups.push(self.spec.new_group(keys));
                        index.insert(k, groups.len() - 1);
                        groups.len() - 1
                    }
                };
                bytes += self.spec.accumulate(&mut groups[gi], &row, ctx)?;
                if bytes > work_mem && spill.is_none() && !self.spec.group.is_empty() {
                    if depth >= MAX_SPILL_DEPTH {
                        return Err(out_of_work_mem("the hash table of an aggregate", work_mem));
                    }
                    spill = Some(Partitioner::create(depth, ctx)?);
                }
                // Groups kept in memory still grow (DISTINCT, ordered inputs): past twice
                // the bound there is nothing left to spill.
                if bytes > work_mem.saturating_mul(2) {
                    return Err(out_of_work_mem("the hash table of an aggregate", work_mem));
                }
            }
        }
        if groups.is_empty() && self.spec.group.is_empty() {
            groups.push(self.spec.new_group(Vec::new()));
        }
        if let Some(parts) = spill {
            for file in parts.finish()? {
                if file.rows() > 0 {
                    self.partitions.push((file, depth + 1));
                }
            }
        }
        groups.into_iter().map(|g| self.spec.finish(g)).collect()
    }
}

impl Spec {
    fn new_group(&self, keys: Vec<Value>) -> Group {
        Group {
            keys,
            accs: self.aggregates.iter().map(|a| (a.func.create)()).collect(),
            ordered: self.aggregates.iter().map(|_| Vec::new()).collect(),
        }
    }

    fn accumulate(&self, g: &mut Group, row: &[Value], ctx: &mut ExecContext<'_>) -> Result<usize> {
        let mut grown = 0;
        for (i, a) in self.aggregates.iter().enumerate() {
            if let Some(f) = &a.filter {
                if !ctx.eval_true(f, row)? {
                    continue;
                }
            }
            let mut entry = Vec::with_capacity(a.order_by.len() + a.args.len());
            for k in &a.order_by {
                entry.push(ctx.eval(&k.expr, row)?);
            }
            for e in &a.args {
                entry.push(ctx.eval(e, row)?);
            }
            if a.order_by.is_empty() {
                g.accs[i].update(&entry)?;
            } else {
                grown += row_bytes(&entry);
                g.ordered[i].push(entry);
            }
        }
        Ok(grown)
    }

    fn finish(&self, mut g: Group) -> Result<Vec<Value>> {
        for (i, a) in self.aggregates.iter().enumerate() {
            if a.order_by.is_empty() {
                continue;
            }
            let n = a.order_by.len();
            let mut inputs = std::mem::take(&mut g.ordered[i]);
            inputs.sort_by(|x, y| compare_sort_keys(&x[..n], &y[..n], &a.order_by));
            for e in inputs {
                g.accs[i].update(&e[n..])?;
            }
        }
        let mut row = g.keys;
        for acc in &g.accs {
            row.push(acc.evaluate()?);
        }
        Ok(row)
    }
}

/// Where an aggregation pass reads its rows.
enum Source {
    Input,
    File(SpillReader),
}

impl Source {
    fn next(
        &mut self,
        op: &mut HashAggregateOp,
        ctx: &mut ExecContext<'_>,
    ) -> Result<Option<Vec<Vec<Value>>>> {
        match self {
            Source::Input => Ok(op.input.next_batch(ctx)?.map(|b| b.rows)),
            Source::File(r) => r.next_rows(),
        }
    }
}

impl Operator for HashAggregateOp {
    fn next_batch(&mut self, ctx: &mut ExecContext<'_>) -> Result<Option<Batch>> {
        loop {
            if !self.started {
                self.started = true;
                let rows = self.aggregate(Source::Input, 0, ctx)?;
                self.out = rows.into_iter();
            }
            let rows: Vec<_> = self.out.by_ref().take(BATCH_SIZE).collect();
            if !rows.is_empty() {
                return Ok(Some(Batch { rows }));
            }
            // The in-memory groups are out; aggregate the next spilled partition.
            let Some((file, depth)) = self.partitions.pop() else {
                return Ok(None);
            };
            let reader = file.reader()?;
            let rows = self.aggregate(Source::File(reader), depth, ctx)?;
            drop(file);
            self.out = rows.into_iter();
        }
    }
}

/// Sort aggregation: the input arrives ordered (or at least grouped) by the group keys,
/// so one group is held at a time and memory stays constant.
pub(super) struct SortAggregateOp {
    input: Box<dyn Operator>,
    spec: Spec,
    current: Option<(Vec<u8>, Group)>,
    done: bool,
}

impl SortAggregateOp {
    pub(super) fn new(
        input: Box<dyn Operator>,
        group: Vec<ScalarExpr>,
        aggregates: Vec<AggregateCall>,
    ) -> SortAggregateOp {
        SortAggregateOp {
            input,
            spec: Spec { group, aggregates },
            current: None,
            done: false,
        }
    }
}

impl Operator for SortAggregateOp {
    fn next_batch(&mut self, ctx: &mut ExecContext<'_>) -> Result<Option<Batch>> {
        let mut out = Vec::new();
        while !self.done && out.len() < BATCH_SIZE {
            let Some(b) = self.input.next_batch(ctx)? else {
                self.done = true;
                match self.current.take() {
                    Some((_, g)) => out.push(self.spec.finish(g)?),
                    // No input and no group keys: the one group of an empty input.
                    None if self.spec.group.is_empty() => {
                        out.push(self.spec.finish(self.spec.new_group(Vec::new()))?)
                    }
                    None => {}
                }
                break;
            };
            for row in b.rows {
                let mut keys = Vec::with_capacity(self.spec.group.len());
                for e in &self.spec.group {
                    keys.push(ctx.eval(e, &row)?);
                }
                let k = hash_key(&keys);
                let same = self.current.as_ref().is_some_and(|(ck, _)| *ck == k);
                if !same {
                    let next = (k, self.spec.new_group(keys));
                    if let Some((_, g)) = self.current.replace(next) {
                        out.push(self.spec.finish(g)?);
                    }
                }
                if let Some((_, g)) = &mut self.current {
                    self.spec.accumulate(g, &row, ctx)?;
                }
            }
        }
        Ok(if out.is_empty() {
            None
        } else {
            Some(Batch { rows: out })
        })
    }
}
