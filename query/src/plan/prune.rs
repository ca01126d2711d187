//! Projection pruning: each scan reads only the columns something above it uses.
//!
//! Positions never move: a column nobody needs stays in the row as NULL (the scan's
//! `needed` mask), so no expression is rewritten. What must stay true: a column is
//! "needed" if any expression of any node between the scan and the root that can see
//! it reads it, and every column is needed below nodes whose semantics depend on whole
//! rows (DISTINCT, set operations, recursive CTEs). The planner runs this rule only on
//! plans without subqueries (a correlated subquery reads the row of the node it is
//! evaluated on through outer columns, which this rule does not trace); dependent
//! joins keep every column of their left side for the same reason.

use std::collections::BTreeSet;

use super::physical::{AccessPath, PhysicalNode};
use crate::exec::width_of;
use crate::expr::ScalarExpr;

type Needed = Option<BTreeSet<usize>>;

fn add(set: &mut BTreeSet<usize>, e: &ScalarExpr) {
    let mut cols = Vec::new();
    e.collect_columns(&mut cols);
    set.extend(cols);
}

fn with(needed: &Needed, exprs: &[&ScalarExpr]) -> Needed {
    needed.as_ref().map(|n| {
        let mut n = n.clone();
        for e in exprs {
            add(&mut n, e);
        }
        n
    })
}

fn only(exprs: &[&ScalarExpr]) -> Needed {
    let mut n = BTreeSet::new();
    for e in exprs {
        add(&mut n, e);
    }
    Some(n)
}

/// Prunes the columns the root does not need (it needs all of its output).
pub(super) fn prune_columns(root: &mut PhysicalNode) {
    prune(root, &None);
}

fn split(needed: &Needed, lw: usize) -> (Needed, Needed) {
    match needed {
        None => (None, None),
        Some(n) => (
            Some(n.iter().copied().filter(|&i| i < lw).collect()),
            Some(n.iter().filter(|&&i| i >= lw).map(|&i| i - lw).collect()),
        ),
    }
}

fn prune(node: &mut PhysicalNode, needed: &Needed) {
    match node {
        PhysicalNode::Scan {
            table,
            access,
            needed: mask,
            filter,
            ..
        } => {
            let Some(n) = needed else { return };
            let mut n = n.clone();
            if let Some(f) = filter {
                add(&mut n, f);
            }
            if let AccessPath::Index { index, .. } = access {
                // The scan's re-seek position is read from the indexed columns.
                n.extend(index.columns.iter().map(|&(c, _)| c));
            }
            let width = table.columns.len();
            if n.iter().filter(|&&i| i < width).count() < width {
                *mask = Some((0..width).map(|i| n.contains(&i)).collect());
            }
        }
        PhysicalNode::Values { .. } | PhysicalNode::WorkTable { .. } => {}
        PhysicalNode::Filter { input, predicate } => {
            let n = with(needed, &[predicate]);
            prune(input, &n);
        }
        PhysicalNode::Project { input, exprs } => {
            if let Some(n) = needed {
                for (i, e) in exprs.iter_mut().enumerate() {
                    if !n.contains(&i) {
                        *e = ScalarExpr::Literal(covet_engine::value::Value::Null);
                    }
                }
            }
            let refs: Vec<&ScalarExpr> = exprs.iter().collect();
            prune(input, &only(&refs));
        }
        PhysicalNode::HashJoin {
            left,
            right,
            kind,
            left_keys,
            right_keys,
            residual,
        } => {
            let lw = width_of(left);
            let mut all = needed.clone();
            if kind.left_only() {
                all = all.map(|n| n.into_iter().filter(|&i| i < lw).collect());
            }
            let mut refs: Vec<&ScalarExpr> = residual.iter().collect();
            refs.extend(left_keys.iter());
            let all = with(&all, &refs);
            let (l, mut r) = split(&all, lw);
            if let Some(r) = &mut r {
                for k in right_keys.iter() {
                    add(r, k);
                }
            }
            prune(left, &l);
            prune(right, &r);
        }
        PhysicalNode::NestedLoopJoin {
            left,
            right,
            condition,
            ..
        } => {
            let lw = width_of(left);
            let refs: Vec<&ScalarExpr> = condition.iter().collect();
            let all = with(needed, &refs);
            let (l, r) = split(&all, lw);
            prune(left, &l);
            prune(right, &r);
        }
        PhysicalNode::DependentJoin { left, right, .. }
        | PhysicalNode::IndexNestedLoopJoin { left, right, .. } => {
            prune(left, &None);
            prune(right, &None);
        }
        PhysicalNode::HashAggregate {
            input,
            group,
            aggregates,
        }
        | PhysicalNode::SortAggregate {
            input,
            group,
            aggregates,
        } => {
            let mut refs: Vec<&ScalarExpr> = group.iter().collect();
            for a in aggregates.iter() {
                refs.extend(a.args.iter());
                refs.extend(a.filter.iter());
                refs.extend(a.order_by.iter().map(|k| &k.expr));
            }
            prune(input, &only(&refs));
        }
        PhysicalNode::Window { input, functions } => {
            let w = width_of(input);
            let mut n = needed.as_ref().map(|n| {
                n.iter()
                    .copied()
                    .filter(|&i| i < w)
                    .collect::<BTreeSet<_>>()
            });
            if let Some(set) = &mut n {
                for f in functions.iter() {
                    for e in f
                        .args
                        .iter()
                        .chain(f.filter.iter())
                        .chain(f.partition_by.iter())
                    {
                        add(set, e);
                    }
                    for k in &f.order_by {
                        add(set, &k.expr);
                    }
                    for b in [&f.frame.start, &f.frame.end] {
                        if let super::FrameBound::Preceding(e) | super::FrameBound::Following(e) = b
                        {
                            add(set, e);
                        }
                    }
                }
            }
            prune(input, &n);
        }
        PhysicalNode::Sort { input, keys } | PhysicalNode::TopN { input, keys, .. } => {
            let refs: Vec<&ScalarExpr> = keys.iter().map(|k| &k.expr).collect();
            let n = with(needed, &refs);
            prune(input, &n);
        }
        PhysicalNode::Limit { input, .. } => prune(input, needed),
        PhysicalNode::Distinct { input } => prune(input, &None),
        PhysicalNode::SetOp { left, right, .. } => {
            prune(left, &None);
            prune(right, &None);
        }
        PhysicalNode::RecursiveCte { base, step, .. } => {
            prune(base, &None);
            prune(step, &None);
        }
    }
}
