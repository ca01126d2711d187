//! Lowering: the logical plan (after pushdown) to physical operators.
//!
//! * a filter over a scan becomes the scan's filter, and its conjuncts choose the access
//!   path (`access.rs`);
//! * a join's equality conjuncts between a left-only and a right-only expression become
//!   hash-join keys (the rest is the residual); a join without any is a nested loop; a
//!   LATERAL join is a dependent join;
//! * ORDER BY followed by a literal LIMIT (up to [`TOP_N_MAX`] rows with the offset)
//!   becomes top-N.

use super::access;
use super::logical::{JoinKind, LogicalPlan};
use super::physical::{AccessPath, PhysicalNode};
use super::{columns_of, conjoin, split_conjuncts};
use crate::error::{QueryError, Result};
use crate::expr::{BinaryOp, ScalarExpr};
use covet_engine::value::Value;

/// The most rows (limit + offset) a top-N keeps; beyond, a sort and a limit (the sort
/// spills, top-N does not).
pub const TOP_N_MAX: u64 = 100_000;

pub(super) fn lower(plan: LogicalPlan) -> Result<PhysicalNode> {
    let b = |p: Box<LogicalPlan>| -> Result<Box<PhysicalNode>> { Ok(Box::new(lower(*p)?)) };
    Ok(match plan {
        LogicalPlan::Scan {
            table,
            alias,
            with_pk,
        } => PhysicalNode::Scan {
            table,
            alias,
            access: AccessPath::FullScan,
            with_pk,
            needed: None,
            filter: None,
        },
        LogicalPlan::Filter { input, predicate } => match *input {
            LogicalPlan::Scan {
                table,
                alias,
                with_pk,
            } => {
                let mut conjuncts = Vec::new();
                split_conjuncts(predicate, &mut conjuncts);
                let (access, rest) = access::choose(&table, conjuncts);
                PhysicalNode::Scan {
                    table,
                    alias,
                    access,
                    with_pk,
                    needed: None,
                    filter: conjoin(rest),
                }
            }
            other => PhysicalNode::Filter {
                input: Box::new(lower(other)?),
                predicate,
            },
        },
        LogicalPlan::Values { rows, width } => PhysicalNode::Values { rows, width },
        LogicalPlan::Project { input, exprs } => PhysicalNode::Project {
            input: b(input)?,
            exprs,
        },
        LogicalPlan::Join {
            left,
            right,
            kind,
            on,
            lateral,
        } => lower_join(*left, *right, kind, on, lateral)?,
        LogicalPlan::Aggregate {
            input,
            group,
            aggregates,
        } => {
            let input = b(input)?;
            if grouped_input(&input, &group) {
                PhysicalNode::SortAggregate {
                    input,
                    group,
                    aggregates,
                }
            } else {
                PhysicalNode::HashAggregate {
                    input,
                    group,
                    aggregates,
                }
            }
        }
        LogicalPlan::Window { input, functions } => PhysicalNode::Window {
            input: b(input)?,
            functions,
        },
        LogicalPlan::Sort { input, keys } => PhysicalNode::Sort {
            input: b(input)?,
            keys,
        },
        LogicalPlan::Limit {
            input,
            limit,
            offset,
        } => match (*input, &limit) {
            (LogicalPlan::Sort { input, keys }, Some(l)) if top_n_fits(l, offset.as_ref()) => {
                PhysicalNode::TopN {
                    input: b(input)?,
                    keys,
                    limit: l.clone(),
                    offset,
                }
            }
            (input, _) => PhysicalNode::Limit {
                input: Box::new(lower(input)?),
                limit,
                offset,
            },
        },
        LogicalPlan::Distinct { input } => PhysicalNode::Distinct { input: b(input)? },
        LogicalPlan::SetOp {
            op,
            all,
            left,
            right,
        } => PhysicalNode::SetOp {
            op,
            all,
            left: b(left)?,
            right: b(right)?,
        },
        LogicalPlan::RecursiveCte {
            id,
            base,
            step,
            union_all,
        } => PhysicalNode::RecursiveCte {
            id,
            base: b(base)?,
            step: b(step)?,
            union_all,
        },
        LogicalPlan::WorkTable { id, width } => PhysicalNode::WorkTable { id, width },
    })
}

/// Whether `input` yields rows grouped by `group`: a scan in the order of a key (the
/// primary key, or the index it reads through) whose leading columns are exactly the
/// group keys, in any order, or any scan when the group keys include the whole primary
/// key. Equal keys are then adjacent.
fn grouped_input(input: &PhysicalNode, group: &[ScalarExpr]) -> bool {
    if group.is_empty() {
        return false;
    }
    let PhysicalNode::Scan { table, access, .. } = input else {
        return false;
    };
    let key: Vec<usize> = match access {
        AccessPath::FullScan | AccessPath::PrimaryKey(_) => match &table.primary_key {
            Some(pk) => pk.clone(),
            None => return false,
        },
        AccessPath::Index { index, .. } => index.columns.iter().map(|&(c, _)| c).collect(),
    };
    let mut cols = Vec::with_capacity(group.len());
    for g in group {
        match g {
            ScalarExpr::Column(c) if !cols.contains(c) => cols.push(*c),
            _ => return false,
        }
    }
    let prefix = cols.len() <= key.len() && key[..cols.len()].iter().all(|k| cols.contains(k));
    // Grouping by the whole primary key (and more): every row is its own group.
    let unique = table
        .primary_key
        .as_ref()
        .is_some_and(|pk| pk.iter().all(|k| cols.contains(k)));
    prefix || unique
}

fn literal_count(e: &ScalarExpr) -> Option<u64> {
    match e {
        ScalarExpr::Literal(Value::Int(n)) if *n >= 0 => Some(*n as u64),
        _ => None,
    }
}

fn top_n_fits(limit: &ScalarExpr, offset: Option<&ScalarExpr>) -> bool {
    let Some(l) = literal_count(limit) else {
        return false;
    };
    let o = match offset {
        None => 0,
        Some(o) => match literal_count(o) {
            Some(o) => o,
            None => return false,
        },
    };
    l.saturating_add(o) <= TOP_N_MAX
}

fn lower_join(
    left: LogicalPlan,
    right: LogicalPlan,
    kind: JoinKind,
    on: Option<ScalarExpr>,
    lateral: bool,
) -> Result<PhysicalNode> {
    let lw = left.width();
    if lateral {
        if matches!(kind, JoinKind::Right | JoinKind::Full) {
            return Err(QueryError::new(
                crate::error::SqlState::FEATURE_NOT_SUPPORTED,
                "feature not supported: RIGHT or FULL JOIN with a LATERAL right side",
            )
            .with_hint("PostgreSQL does not allow it either"));
        }
        return Ok(PhysicalNode::DependentJoin {
            left: Box::new(lower(left)?),
            right: Box::new(lower(right)?),
            kind,
            condition: on,
        });
    }
    let mut conjuncts = Vec::new();
    if let Some(on) = on {
        split_conjuncts(on, &mut conjuncts);
    }
    let (mut left_keys, mut right_keys, mut residual) = (Vec::new(), Vec::new(), Vec::new());
    for c in conjuncts {
        match equi_key(&c, lw) {
            Some((l, r)) => {
                left_keys.push(l);
                right_keys.push(r);
            }
            None => residual.push(c),
        }
    }
    let left = lower(left)?;
    if !left_keys.is_empty() && few_rows(&left) {
        if let Some(node) =
            index_nested_loop(&left, &right, kind, &left_keys, &right_keys, &residual)
        {
            return Ok(node);
        }
    }
    let (left, right) = (Box::new(left), Box::new(lower(right)?));
    Ok(if left_keys.is_empty() {
        PhysicalNode::NestedLoopJoin {
            left,
            right,
            kind,
            condition: conjoin(residual),
        }
    } else {
        PhysicalNode::HashJoin {
            left,
            right,
            kind,
            left_keys,
            right_keys,
            residual: conjoin(residual),
        }
    })
}

/// Whether a node yields few rows without statistics to say so: an equality seek,
/// literal rows, a small literal LIMIT, or a filter, projection or index nested loop
/// over one of those. (The cost-based optimizer replaces this rule.)
fn few_rows(n: &PhysicalNode) -> bool {
    match n {
        PhysicalNode::Scan { access, .. } => match access {
            AccessPath::PrimaryKey(b) | AccessPath::Index { bounds: b, .. } => b.is_equality(),
            AccessPath::FullScan => false,
        },
        PhysicalNode::Values { rows, .. } => rows.len() <= 1000,
        PhysicalNode::Limit { limit: Some(l), .. } | PhysicalNode::TopN { limit: l, .. } => {
            literal_count(l).is_some_and(|n| n <= 1000)
        }
        PhysicalNode::Filter { input, .. } | PhysicalNode::Project { input, .. } => few_rows(input),
        PhysicalNode::IndexNestedLoopJoin { left, .. } => few_rows(left),
        _ => false,
    }
}

/// `expr` over the left row, as seen from a right side run per left row: its columns
/// become depth-1 outer columns. `None` when it reads outer columns or subqueries
/// itself (their depths would change).
fn as_outer(expr: &ScalarExpr) -> Option<ScalarExpr> {
    if super::has_outer_column(expr) || super::has_subquery(expr) {
        return None;
    }
    Some(outer_columns(expr.clone()))
}

fn outer_columns(mut e: ScalarExpr) -> ScalarExpr {
    if let ScalarExpr::Column(i) = e {
        return ScalarExpr::OuterColumn { depth: 1, index: i };
    }
    e.for_each_child_mut(&mut |c| {
        *c = outer_columns(std::mem::replace(c, ScalarExpr::Literal(Value::Null)))
    });
    e
}

/// An index nested-loop join when the right side is a table scan with a key the join's
/// equalities can seek on.
fn index_nested_loop(
    left: &PhysicalNode,
    right: &LogicalPlan,
    kind: JoinKind,
    left_keys: &[ScalarExpr],
    right_keys: &[ScalarExpr],
    residual: &[ScalarExpr],
) -> Option<PhysicalNode> {
    if !matches!(
        kind,
        JoinKind::Inner | JoinKind::Left | JoinKind::Semi | JoinKind::Anti
    ) {
        return None;
    }
    let (table, alias, with_pk, filter) = match right {
        LogicalPlan::Scan {
            table,
            alias,
            with_pk,
        } => (table, alias, *with_pk, None),
        LogicalPlan::Filter { input, predicate } => match &**input {
            LogicalPlan::Scan {
                table,
                alias,
                with_pk,
            } => (table, alias, *with_pk, Some(predicate)),
            _ => return None,
        },
        _ => return None,
    };
    let mut conjuncts = Vec::new();
    if let Some(f) = filter {
        if super::has_outer_column(f) || super::has_subquery(f) {
            return None;
        }
        split_conjuncts(f.clone(), &mut conjuncts);
    }
    let mut seek_conjuncts = 0;
    for (l, r) in left_keys.iter().zip(right_keys) {
        let (ScalarExpr::Column(c), Some(outer)) = (r, as_outer(l)) else {
            return None;
        };
        conjuncts.push(ScalarExpr::Binary {
            op: BinaryOp::Eq,
            left: Box::new(ScalarExpr::Column(*c)),
            right: Box::new(outer),
        });
        seek_conjuncts += 1;
    }
    let (access, rest) = access::choose(table, conjuncts);
    let seeks_by_left = match &access {
        AccessPath::PrimaryKey(b) | AccessPath::Index { bounds: b, .. } => {
            b.eq.iter().any(super::has_outer_column)
        }
        AccessPath::FullScan => false,
    };
    if !seeks_by_left || seek_conjuncts == 0 {
        return None;
    }
    Some(PhysicalNode::IndexNestedLoopJoin {
        left: Box::new(left.clone()),
        right: Box::new(PhysicalNode::Scan {
            table: table.clone(),
            alias: alias.clone(),
            access,
            with_pk,
            needed: None,
            filter: conjoin(rest),
        }),
        kind,
        condition: conjoin(residual.to_vec()),
    })
}

/// `l = r` with `l` over the left row only and `r` over the right only (or swapped):
/// the key pair, the right one over the right row.
fn equi_key(c: &ScalarExpr, lw: usize) -> Option<(ScalarExpr, ScalarExpr)> {
    let ScalarExpr::Binary {
        op: BinaryOp::Eq,
        left,
        right,
    } = c
    else {
        return None;
    };
    if super::has_subquery(c) {
        return None;
    }
    let side = |e: &ScalarExpr| {
        let cols = columns_of(e);
        if cols.is_empty() {
            None
        } else if cols.iter().all(|&i| i < lw) {
            Some(true)
        } else if cols.iter().all(|&i| i >= lw) {
            Some(false)
        } else {
            None
        }
    };
    let (l, r) = match (side(left), side(right)) {
        (Some(true), Some(false)) => ((**left).clone(), (**right).clone()),
        (Some(false), Some(true)) => ((**right).clone(), (**left).clone()),
        _ => return None,
    };
    let mut r = r;
    r.map_columns(&|i| i - lw);
    Some((l, r))
}
