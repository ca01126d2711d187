//! Projection pruning: each scan reads only the columns something above it uses, and a
//! projection computes only the columns something above it uses.
//!
//! Positions never move: a column nobody needs stays in the row as NULL (the scan's
//! `needed` mask, a projection's NULL literal), so no expression is rewritten. What must
//! stay true: a column is "needed" if any expression of any node between the scan and
//! the root that can see it reads it, and every column is needed below nodes whose
//! semantics depend on whole rows (DISTINCT, set operations, recursive CTEs). A node
//! with a correlated subquery in its expressions needs every column of its input: the
//! subquery reads that row through outer columns, which this rule does not trace (so
//! dependent joins keep every column of their left side too). An uncorrelated
//! subquery reads no row of the plan: only its operand's columns count.
//!
//! An unused projection column is not computed (`(SELECT COALESCE(38, x) AS c, y …)`
//! read for `y` only never evaluates `COALESCE(38, x)`, as PostgreSQL, which inlines the
//! derived table or drops the unused output of the subquery it keeps), except one that
//! calls a volatile function: PostgreSQL does not flatten a subquery with a volatile
//! output column and keeps that column's evaluation per row (`random()` still runs, for
//! its side effect on the random sequence), and so does covet.

use std::collections::BTreeSet;

use super::physical::{AccessPath, PhysicalNode};
use crate::exec::width_of;
use crate::expr::ScalarExpr;

/// Which subqueries (by `SubqueryId`) are correlated.
type Correlated<'a> = &'a [bool];

/// Whether `e` holds a subquery that reads the row `e` is evaluated on (a correlated
/// one, or one this plan does not know).
fn reads_row_through_subquery(e: &ScalarExpr, correlated: Correlated) -> bool {
    if let ScalarExpr::Subquery { id, .. } = e {
        if correlated.get(id.0).copied().unwrap_or(true) {
            return true;
        }
    }
    let mut found = false;
    e.for_each_child(&mut |c| found |= reads_row_through_subquery(c, correlated));
    found
}

/// The columns of a node's output something above reads (`None`: all of them).
type Needed = Option<BTreeSet<usize>>;

fn add(set: &mut BTreeSet<usize>, e: &ScalarExpr) {
    let mut cols = Vec::new();
    e.collect_columns(&mut cols);
    set.extend(cols);
}

/// Whether `e` calls a volatile function (which must run once per row, used or not).
fn calls_volatile(e: &ScalarExpr) -> bool {
    if let ScalarExpr::Function { func, .. } = e {
        if func.volatile {
            return true;
        }
    }
    let mut found = false;
    e.for_each_child(&mut |c| found |= calls_volatile(c));
    found
}

/// `needed` and the columns `exprs` read; all columns when one of them holds a
/// correlated subquery.
fn with(needed: &Needed, exprs: &[&ScalarExpr], c: Correlated) -> Needed {
    if exprs.iter().any(|e| reads_row_through_subquery(e, c)) {
        return None;
    }
    needed.as_ref().map(|n| {
        let mut n = n.clone();
        for e in exprs {
            add(&mut n, e);
        }
        n
    })
}

/// The columns `exprs` read; all columns when one of them holds a correlated subquery.
fn only(exprs: &[&ScalarExpr], c: Correlated) -> Needed {
    if exprs.iter().any(|e| reads_row_through_subquery(e, c)) {
        return None;
    }
    let mut n = BTreeSet::new();
    for e in exprs {
        add(&mut n, e);
    }
    Some(n)
}

/// Prunes the columns the root does not need (it needs all of its output). A
/// subquery's root is pruned the same way, on its own.
/// `correlated` says which subqueries (by id) are correlated.
pub(super) fn prune_columns(root: &mut PhysicalNode, correlated: &[bool]) {
    prune(root, &None, correlated);
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

fn prune(node: &mut PhysicalNode, needed: &Needed, c: Correlated) {
    match node {
        PhysicalNode::Scan {
            table,
            access,
            needed: mask,
            filter,
            ..
        } => {
            let Some(n) = with(needed, &filter.iter().collect::<Vec<_>>(), c) else {
                return;
            };
            let mut n = n;
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
            let n = with(needed, &[predicate], c);
            prune(input, &n, c);
        }
        PhysicalNode::Project { input, exprs } => {
            if let Some(n) = needed {
                for (i, e) in exprs.iter_mut().enumerate() {
                    if !n.contains(&i) && !calls_volatile(e) {
                        *e = ScalarExpr::Literal(covet_engine::value::Value::Null);
                    }
                }
            }
            let refs: Vec<&ScalarExpr> = exprs.iter().collect();
            prune(input, &only(&refs, c), c);
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
            let all = with(&all, &refs, c);
            let (l, mut r) = split(&all, lw);
            if let Some(r) = &mut r {
                for k in right_keys.iter() {
                    add(r, k);
                }
            }
            prune(left, &l, c);
            prune(right, &r, c);
        }
        PhysicalNode::NestedLoopJoin {
            left,
            right,
            condition,
            ..
        } => {
            let lw = width_of(left);
            let refs: Vec<&ScalarExpr> = condition.iter().collect();
            let all = with(needed, &refs, c);
            let (l, r) = split(&all, lw);
            prune(left, &l, c);
            prune(right, &r, c);
        }
        PhysicalNode::DependentJoin { left, right, .. }
        | PhysicalNode::IndexNestedLoopJoin { left, right, .. } => {
            prune(left, &None, c);
            prune(right, &None, c);
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
            prune(input, &only(&refs, c), c);
        }
        PhysicalNode::Window { input, functions } => {
            let w = width_of(input);
            let below = needed.as_ref().map(|n| {
                n.iter()
                    .copied()
                    .filter(|&i| i < w)
                    .collect::<BTreeSet<_>>()
            });
            let mut refs: Vec<&ScalarExpr> = Vec::new();
            for f in functions.iter() {
                refs.extend(f.args.iter().chain(f.filter.iter()));
                refs.extend(f.partition_by.iter());
                refs.extend(f.order_by.iter().map(|k| &k.expr));
                for b in [&f.frame.start, &f.frame.end] {
                    if let super::FrameBound::Preceding(e) | super::FrameBound::Following(e) = b {
                        refs.push(e);
                    }
                }
            }
            prune(input, &with(&below, &refs, c), c);
        }
        PhysicalNode::Sort { input, keys } | PhysicalNode::TopN { input, keys, .. } => {
            let refs: Vec<&ScalarExpr> = keys.iter().map(|k| &k.expr).collect();
            let n = with(needed, &refs, c);
            prune(input, &n, c);
        }
        PhysicalNode::Limit { input, .. } => prune(input, needed, c),
        PhysicalNode::Distinct { input } => prune(input, &None, c),
        PhysicalNode::SetOp { left, right, .. } => {
            prune(left, &None, c);
            prune(right, &None, c);
        }
        PhysicalNode::RecursiveCte { base, step, .. } => {
            prune(base, &None, c);
            prune(step, &None, c);
        }
    }
}
