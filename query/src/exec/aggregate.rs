//! Hash aggregation (with no group keys: the one group of a plain aggregate query).
//!
//! Groups are found by the key encoding of their key values (`hash_key`), so NULLs
//! group together and `1` and `1.0` are one group, as GROUP BY requires. Groups come out
//! in the order they were first seen. An aggregate with `ORDER BY` in its call keeps its
//! inputs per group and feeds them sorted at the end. Past `work_mem` the operator fails
//! with 53200 naming it (it does not spill).

use std::collections::HashMap;

use covet_engine::value::Value;

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

pub(super) struct HashAggregateOp {
    input: Box<dyn Operator>,
    group: Vec<ScalarExpr>,
    aggregates: Vec<AggregateCall>,
    out: Option<std::vec::IntoIter<Vec<Value>>>,
}

impl HashAggregateOp {
    pub(super) fn new(
        input: Box<dyn Operator>,
        group: Vec<ScalarExpr>,
        aggregates: Vec<AggregateCall>,
    ) -> HashAggregateOp {
        HashAggregateOp {
            input,
            group,
            aggregates,
            out: None,
        }
    }

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

    fn compute(&mut self, ctx: &mut ExecContext<'_>) -> Result<Vec<Vec<Value>>> {
        let mut index: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut groups: Vec<Group> = Vec::new();
        let mut bytes = 0usize;
        let work_mem = ctx.state.settings.work_mem;
        while let Some(b) = self.input.next_batch(ctx)? {
            for row in b.rows {
                let mut keys = Vec::with_capacity(self.group.len());
                for e in &self.group {
                    keys.push(ctx.eval(e, &row)?);
                }
                let k = hash_key(&keys);
                let gi = match index.get(&k) {
                    Some(&i) => i,
                    None => {
                        bytes += k.len() + row_bytes(&keys) + 64 * self.aggregates.len();
                        let g = self.new_group(keys);
                        groups.push(g);
                        index.insert(k, groups.len() - 1);
                        groups.len() - 1
                    }
                };
                bytes += self.accumulate(&mut groups[gi], &row, ctx)?;
                if bytes > work_mem {
                    return Err(out_of_work_mem("the hash table of an aggregate", work_mem));
                }
            }
        }
        if groups.is_empty() && self.group.is_empty() {
            groups.push(self.new_group(Vec::new()));
        }
        groups.into_iter().map(|g| self.finish(g)).collect()
    }
}

impl Operator for HashAggregateOp {
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
