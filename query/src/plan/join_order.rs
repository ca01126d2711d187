//! Join order: a maximal group of inner (and cross / comma) joins is reordered so that
//! each next relation is connected to the relations joined so far by an equality, and
//! cross products come only where nothing is connected.
//!
//! This is a rule without statistics; the cost-based optimizer of the next issue
//! replaces it. The greedy choice, in order of preference:
//!
//! 1. the first relation is a filtered one (a WHERE/ON conjunct reading it alone),
//!    preferring one whose filter is an equality on its primary key or an index;
//! 2. each next relation is connected to the joined set by an equality `a = b` (one side
//!    over the joined set, the other over the candidate), preferring one whose side of
//!    the equality is the leading column of its primary key or of an index (an index
//!    nested loop), then a filtered one;
//! 3. only when nothing is connected, a cross product with the best remaining one;
//!
//! and among equals, the FROM order.
//!
//! What must stay true:
//! * only `Inner`, non-LATERAL joins whose condition has no subquery are reordered;
//!   outer, semi and anti joins and LATERAL joins keep their place (they are leaves of
//!   a group, reordered inside);
//! * the group's output keeps the columns in the order the query wrote them: a
//!   projection restores the positions when the order changed;
//! * every conjunct of the group's conditions and of a WHERE directly above it is kept,
//!   as one filter over the reordered joins (pushdown then moves each to its join);
//!   conjuncts with a subquery stay above the restoring projection, over the original
//!   column positions, since a correlated subquery reads the row of its node;
//! * groups of fewer than three relations, and groups holding a DML target (a scan with
//!   its primary key), are left in their order.

use super::logical::{JoinKind, LogicalPlan};
use super::pushdown::map_inputs;
use super::{columns_of, conjoin, has_subquery, split_conjuncts};
use crate::expr::{BinaryOp, ScalarExpr};

/// Reorders every group of inner joins in `plan`.
pub(super) fn reorder(plan: LogicalPlan) -> LogicalPlan {
    match plan {
        LogicalPlan::Filter { input, predicate } if groupable(&input) => {
            reorder_group(*input, Some(predicate))
        }
        plan if groupable(&plan) => reorder_group(plan, None),
        other => map_inputs(other, reorder),
    }
}

/// Whether `plan` is a join that belongs to a group.
fn groupable(plan: &LogicalPlan) -> bool {
    matches!(
        plan,
        LogicalPlan::Join {
            kind: JoinKind::Inner,
            lateral: false,
            on,
            ..
        } if !on.as_ref().is_some_and(has_subquery)
    )
}

/// One relation of a group: its plan and where its columns start in the group's
/// original output.
struct Leaf {
    plan: LogicalPlan,
    offset: usize,
    width: usize,
}

/// Flattens a group: leaves in FROM order, conditions over the group's original row.
fn flatten(plan: LogicalPlan, offset: usize, leaves: &mut Vec<Leaf>, conds: &mut Vec<ScalarExpr>) {
    if !groupable(&plan) {
        let width = plan.width();
        leaves.push(Leaf {
            plan: reorder(plan),
            offset,
            width,
        });
        return;
    }
    let LogicalPlan::Join {
        left, right, on, ..
    } = plan
    else {
        unreachable!("groupable() is a Join");
    };
    let lw = left.width();
    if let Some(on) = on {
        let mut cs = Vec::new();
        split_conjuncts(on, &mut cs);
        for mut c in cs {
            c.map_columns(&|i| i + offset);
            conds.push(c);
        }
    }
    flatten(*left, offset, leaves, conds);
    flatten(*right, offset + lw, leaves, conds);
}

fn reorder_group(plan: LogicalPlan, where_: Option<ScalarExpr>) -> LogicalPlan {
    let width = plan.width();
    let (mut leaves, mut conds) = (Vec::new(), Vec::new());
    flatten(plan, 0, &mut leaves, &mut conds);
    let mut kept_above = Vec::new();
    if let Some(w) = where_ {
        let mut cs = Vec::new();
        split_conjuncts(w, &mut cs);
        for c in cs {
            if has_subquery(&c) {
                kept_above.push(c);
            } else {
                conds.push(c);
            }
        }
    }
    let dml_target = leaves
        .iter()
        .any(|l| matches!(l.plan, LogicalPlan::Scan { with_pk: true, .. }));
    let order = if leaves.len() < 3 || dml_target {
        (0..leaves.len()).collect()
    } else {
        greedy_order(&leaves, &conds)
    };
    let identity = order.iter().enumerate().all(|(i, &o)| i == o);
    // new_pos[original column] = its position in the reordered row.
    let mut new_pos = vec![0; width];
    let mut at = 0;
    for &o in &order {
        let l = &leaves[o];
        for c in 0..l.width {
            new_pos[l.offset + c] = at + c;
        }
        at += l.width;
    }
    let mut slots: Vec<Option<LogicalPlan>> = leaves.into_iter().map(|l| Some(l.plan)).collect();
    let mut joined: Option<LogicalPlan> = None;
    for &o in &order {
        let leaf = slots[o].take().expect("each leaf is used once");
        joined = Some(match joined {
            None => leaf,
            Some(left) => LogicalPlan::Join {
                left: Box::new(left),
                right: Box::new(leaf),
                kind: JoinKind::Inner,
                on: None,
                lateral: false,
            },
        });
    }
    let joined = joined.expect("a group has at least two leaves");
    let conds = conds
        .into_iter()
        .map(|mut c| {
            c.map_columns(&|i| new_pos[i]);
            c
        })
        .collect();
    let mut out = filter(joined, conds);
    if !identity {
        out = LogicalPlan::Project {
            input: Box::new(out),
            exprs: new_pos.iter().map(|&p| ScalarExpr::Column(p)).collect(),
        };
    }
    filter(out, kept_above)
}

fn filter(input: LogicalPlan, conjuncts: Vec<ScalarExpr>) -> LogicalPlan {
    match conjoin(conjuncts) {
        Some(predicate) => LogicalPlan::Filter {
            input: Box::new(input),
            predicate,
        },
        None => input,
    }
}

/// Which leaf each original column belongs to.
fn leaf_of(leaves: &[Leaf], col: usize) -> usize {
    leaves
        .iter()
        .position(|l| col >= l.offset && col < l.offset + l.width)
        .expect("a group condition reads the group's columns")
}

/// The leaves a condition reads.
fn leaves_read(leaves: &[Leaf], c: &ScalarExpr) -> Vec<usize> {
    let mut ls: Vec<usize> = columns_of(c)
        .into_iter()
        .map(|i| leaf_of(leaves, i))
        .collect();
    ls.dedup();
    ls
}

/// Whether column `col` (local to the leaf) leads the leaf table's primary key or one
/// of its indexes (looking through a filter over a scan).
fn leads_key(plan: &LogicalPlan, col: usize) -> bool {
    let table = match plan {
        LogicalPlan::Scan { table, .. } => table,
        LogicalPlan::Filter { input, .. } => match &**input {
            LogicalPlan::Scan { table, .. } => table,
            _ => return false,
        },
        _ => return false,
    };
    table
        .primary_key
        .as_ref()
        .is_some_and(|pk| pk.first() == Some(&col))
        || table
            .indexes
            .iter()
            .any(|ix| ix.columns.first().map(|c| c.0) == Some(col))
}

/// `l = r` split into its sides.
fn eq_sides(c: &ScalarExpr) -> Option<(&ScalarExpr, &ScalarExpr)> {
    match c {
        ScalarExpr::Binary {
            op: BinaryOp::Eq,
            left,
            right,
        } => Some((left, right)),
        _ => None,
    }
}

/// The greedy order (indexes into `leaves`).
fn greedy_order(leaves: &[Leaf], conds: &[ScalarExpr]) -> Vec<usize> {
    let n = leaves.len();
    // Per leaf: filtered at all, and filtered by an equality with a constant on a key.
    let mut filtered = vec![0u8; n];
    for c in conds {
        let ls = leaves_read(leaves, c);
        if ls.len() != 1 {
            continue;
        }
        let l = ls[0];
        let keyed = eq_sides(c).is_some_and(|(a, b)| {
            let local_key = |e: &ScalarExpr, other: &ScalarExpr| match e {
                ScalarExpr::Column(i) => {
                    columns_of(other).is_empty() && leads_key(&leaves[l].plan, i - leaves[l].offset)
                }
                _ => false,
            };
            local_key(a, b) || local_key(b, a)
        });
        filtered[l] = filtered[l].max(if keyed { 2 } else { 1 });
    }
    let mut done = vec![false; n];
    let mut order = Vec::with_capacity(n);
    while order.len() < n {
        // Score per candidate: (connected by an equality, key hit, filtered); the
        // first maximum in FROM order wins.
        let mut best: Option<(usize, (u8, u8, u8))> = None;
        for cand in (0..n).filter(|&i| !done[i]) {
            let (mut connected, mut key_hit) = (0u8, 0u8);
            for c in conds {
                let Some((a, b)) = eq_sides(c) else { continue };
                for (mine, theirs) in [(a, b), (b, a)] {
                    let (ml, tl) = (leaves_read(leaves, mine), leaves_read(leaves, theirs));
                    if ml == [cand] && !tl.is_empty() && tl.iter().all(|&t| done[t]) {
                        connected = 1;
                        if let ScalarExpr::Column(i) = mine {
                            if leads_key(&leaves[cand].plan, i - leaves[cand].offset) {
                                key_hit = 1;
                            }
                        }
                    }
                }
            }
            let score = (connected, key_hit, filtered[cand]);
            if best.is_none_or(|(_, s)| score > s) {
                best = Some((cand, score));
            }
        }
        let (next, _) = best.expect("a leaf remains");
        done[next] = true;
        order.push(next);
    }
    order
}
