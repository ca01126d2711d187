//! Join order for chains of inner joins (comma joins, `JOIN … ON`): a greedy rule that
//! joins next the first relation (in text order) connected to those already joined by
//! an equality, so no cross product is formed while a connected relation remains.
//! (The cost-based optimizer replaces this rule.)
//!
//! What must stay true: the output row keeps its original column order (a projection
//! on top restores it), and every conjunct lands in one filter over the reordered
//! chain, which pushdown (run next) moves into the joins. Conjuncts with a subquery are
//! kept above that projection, on the original row layout their outer references read.

use super::logical::{JoinKind, LogicalPlan};
use super::{columns_of, conjoin, has_subquery, split_conjuncts};
use crate::expr::{BinaryOp, ScalarExpr};

/// Reorders every inner-join chain of three or more relations in `plan`.
pub(super) fn reorder(plan: LogicalPlan) -> LogicalPlan {
    match plan {
        LogicalPlan::Filter { input, predicate } if is_chain(&input) => {
            let mut conjuncts = Vec::new();
            split_conjuncts(predicate, &mut conjuncts);
            reorder_chain(*input, conjuncts)
        }
        p if is_chain(&p) => reorder_chain(p, Vec::new()),
        p => super::pushdown::map_inputs(p, reorder),
    }
}

fn is_inner(p: &LogicalPlan) -> bool {
    matches!(
        p,
        LogicalPlan::Join {
            kind: JoinKind::Inner,
            lateral: false,
            ..
        }
    )
}

fn count_leaves(p: &LogicalPlan) -> usize {
    match p {
        LogicalPlan::Join { left, right, .. } if is_inner(p) => {
            count_leaves(left) + count_leaves(right)
        }
        _ => 1,
    }
}

fn is_chain(p: &LogicalPlan) -> bool {
    is_inner(p) && count_leaves(p) >= 3
}

/// Collects the leaves (with their offset in the chain's row) and the ON conjuncts
/// (over the chain's row).
fn flatten(
    p: LogicalPlan,
    offset: usize,
    leaves: &mut Vec<(usize, LogicalPlan)>,
    conjuncts: &mut Vec<ScalarExpr>,
) {
    let inner = is_inner(&p);
    match p {
        LogicalPlan::Join {
            left, right, on, ..
        } if inner => {
            let lw = left.width();
            flatten(*left, offset, leaves, conjuncts);
            flatten(*right, offset + lw, leaves, conjuncts);
            if let Some(on) = on {
                let mut cs = Vec::new();
                split_conjuncts(on, &mut cs);
                for mut c in cs {
                    c.map_columns(&|i| i + offset);
                    conjuncts.push(c);
                }
            }
        }
        other => leaves.push((offset, reorder(other))),
    }
}

fn reorder_chain(chain: LogicalPlan, mut conjuncts: Vec<ScalarExpr>) -> LogicalPlan {
    let width = chain.width();
    let mut leaves = Vec::new();
    flatten(chain, 0, &mut leaves, &mut conjuncts);
    let (stay, conjuncts): (Vec<_>, Vec<_>) = conjuncts.into_iter().partition(has_subquery);
    let leaf_of = |col: usize| leaves.iter().rposition(|(off, _)| *off <= col).unwrap_or(0);
    // Which leaves each equality between two columns connects.
    let mut edges: Vec<(usize, usize)> = Vec::new();
    for c in &conjuncts {
        if let ScalarExpr::Binary {
            op: BinaryOp::Eq,
            left,
            right,
        } = c
        {
            let (l, r) = (columns_of(left), columns_of(right));
            if l.is_empty() || r.is_empty() {
                continue;
            }
            let (ll, rl) = (leaf_of(l[0]), leaf_of(r[0]));
            if l.iter().all(|&x| leaf_of(x) == ll)
                && r.iter().all(|&x| leaf_of(x) == rl)
                && ll != rl
            {
                edges.push((ll, rl));
            }
        }
    }
    let n = leaves.len();
    let mut order = vec![0];
    while order.len() < n {
        let connected = (0..n).find(|j| {
            !order.contains(j)
                && edges.iter().any(|&(a, b)| {
                    (a == *j && order.contains(&b)) || (b == *j && order.contains(&a))
                })
        });
        let next = connected.unwrap_or_else(|| (0..n).find(|j| !order.contains(j)).unwrap_or(0));
        order.push(next);
    }
    // New positions of every old column.
    let mut new_pos = vec![0; width];
    let mut at = 0;
    let widths: Vec<usize> = leaves.iter().map(|(_, p)| p.width()).collect();
    for &j in &order {
        let off = leaves[j].0;
        for k in 0..widths[j] {
            new_pos[off + k] = at + k;
        }
        at += widths[j];
    }
    let mut slots: Vec<Option<LogicalPlan>> = leaves.into_iter().map(|(_, p)| Some(p)).collect();
    let mut tree: Option<LogicalPlan> = None;
    for &j in &order {
        let Some(leaf) = slots[j].take() else {
            continue;
        };
        tree = Some(match tree {
            None => leaf,
            Some(t) => LogicalPlan::Join {
                left: Box::new(t),
                right: Box::new(leaf),
                kind: JoinKind::Inner,
                on: None,
                lateral: false,
            },
        });
    }
    let Some(mut plan) = tree else {
        return LogicalPlan::Values {
            rows: vec![],
            width,
        };
    };
    let moved: Vec<ScalarExpr> = conjuncts
        .into_iter()
        .map(|mut c| {
            c.map_columns(&|i| new_pos.get(i).copied().unwrap_or(i));
            c
        })
        .collect();
    if let Some(predicate) = conjoin(moved) {
        plan = LogicalPlan::Filter {
            input: Box::new(plan),
            predicate,
        };
    }
    plan = LogicalPlan::Project {
        input: Box::new(plan),
        exprs: new_pos.iter().map(|&p| ScalarExpr::Column(p)).collect(),
    };
    match conjoin(stay) {
        Some(predicate) => LogicalPlan::Filter {
            input: Box::new(plan),
            predicate,
        },
        None => plan,
    }
}
