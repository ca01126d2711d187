//! Predicate pushdown: filters split into conjuncts, each moved to the lowest node that
//! has its columns.
//!
//! What must stay true: a conjunct moves below a node only where that cannot change the
//! result — into the preserved side of an outer join never (only the WHERE of the
//! null-extended side may not move either), below a LIMIT or a window never, below an
//! aggregate only when it reads group keys alone. Conjuncts with a subquery stay put
//! (a correlated subquery reads the row of the node it is evaluated on), and nothing
//! moves into the right side of a LATERAL join (it runs with one more outer row, so
//! outer-column depths would change).

use super::logical::{JoinKind, LogicalPlan};
use super::{columns_of, conjoin, has_subquery, split_conjuncts};
use crate::expr::ScalarExpr;

/// Pushes every filter of `plan` down as far as it goes.
pub(super) fn push_down(plan: LogicalPlan) -> LogicalPlan {
    match plan {
        LogicalPlan::Filter { input, predicate } => {
            let mut conjuncts = Vec::new();
            split_conjuncts(predicate, &mut conjuncts);
            push_conjuncts(*input, conjuncts)
        }
        LogicalPlan::Join {
            left,
            right,
            kind,
            on,
            lateral,
        } => push_join(*left, *right, kind, on, lateral, Vec::new()),
        other => map_inputs(other, push_down),
    }
}

/// Applies `f` to every input of `plan` (shared with `join_order.rs`).
pub(super) fn map_inputs(plan: LogicalPlan, f: fn(LogicalPlan) -> LogicalPlan) -> LogicalPlan {
    let b = |p: Box<LogicalPlan>| Box::new(f(*p));
    match plan {
        LogicalPlan::Scan { .. } | LogicalPlan::Values { .. } | LogicalPlan::WorkTable { .. } => {
            plan
        }
        LogicalPlan::Filter { input, predicate } => LogicalPlan::Filter {
            input: b(input),
            predicate,
        },
        LogicalPlan::Project { input, exprs } => LogicalPlan::Project {
            input: b(input),
            exprs,
        },
        LogicalPlan::Join {
            left,
            right,
            kind,
            on,
            lateral,
        } => LogicalPlan::Join {
            left: b(left),
            right: b(right),
            kind,
            on,
            lateral,
        },
        LogicalPlan::Aggregate {
            input,
            group,
            aggregates,
        } => LogicalPlan::Aggregate {
            input: b(input),
            group,
            aggregates,
        },
        LogicalPlan::Window { input, functions } => LogicalPlan::Window {
            input: b(input),
            functions,
        },
        LogicalPlan::Sort { input, keys } => LogicalPlan::Sort {
            input: b(input),
            keys,
        },
        LogicalPlan::Limit {
            input,
            limit,
            offset,
        } => LogicalPlan::Limit {
            input: b(input),
            limit,
            offset,
        },
        LogicalPlan::Distinct { input } => LogicalPlan::Distinct { input: b(input) },
        LogicalPlan::SetOp {
            op,
            all,
            left,
            right,
        } => LogicalPlan::SetOp {
            op,
            all,
            left: b(left),
            right: b(right),
        },
        LogicalPlan::RecursiveCte {
            id,
            base,
            step,
            union_all,
        } => LogicalPlan::RecursiveCte {
            id,
            base: b(base),
            step: b(step),
            union_all,
        },
    }
}

/// `Filter(conjuncts)` over `input`, or `input` itself without conjuncts.
fn filter(input: LogicalPlan, conjuncts: Vec<ScalarExpr>) -> LogicalPlan {
    match conjoin(conjuncts) {
        Some(predicate) => LogicalPlan::Filter {
            input: Box::new(input),
            predicate,
        },
        None => input,
    }
}

/// Whether a conjunct may move at all.
fn movable(c: &ScalarExpr) -> bool {
    !has_subquery(c)
}

/// Replaces each `Column(i)` by `exprs[i]` (moving a conjunct below a projection).
fn substitute(expr: &ScalarExpr, exprs: &[ScalarExpr]) -> Option<ScalarExpr> {
    if let ScalarExpr::Column(i) = expr {
        return exprs.get(*i).cloned();
    }
    let mut out = expr.clone();
    let mut ok = true;
    out.for_each_child_mut(&mut |c| match substitute(c, exprs) {
        Some(s) => *c = s,
        None => ok = false,
    });
    ok.then_some(out)
}

/// Pushes `conjuncts` (over `input`'s output) into `input`.
fn push_conjuncts(input: LogicalPlan, conjuncts: Vec<ScalarExpr>) -> LogicalPlan {
    match input {
        LogicalPlan::Filter { input, predicate } => {
            let mut all = conjuncts;
            split_conjuncts(predicate, &mut all);
            push_conjuncts(*input, all)
        }
        LogicalPlan::Join {
            left,
            right,
            kind,
            on,
            lateral,
        } => push_join(*left, *right, kind, on, lateral, conjuncts),
        LogicalPlan::Project { input, exprs } => {
            let (mut below, mut above) = (Vec::new(), Vec::new());
            for c in conjuncts {
                let sub = if movable(&c) {
                    substitute(&c, &exprs).filter(|s| !has_subquery(s))
                } else {
                    None
                };
                match sub {
                    Some(s) => below.push(s),
                    None => above.push(c),
                }
            }
            let input = push_conjuncts(*input, below);
            filter(
                LogicalPlan::Project {
                    input: Box::new(input),
                    exprs,
                },
                above,
            )
        }
        LogicalPlan::Aggregate {
            input,
            group,
            aggregates,
        } => {
            let (mut below, mut above) = (Vec::new(), Vec::new());
            for c in conjuncts {
                let cols = columns_of(&c);
                let on_keys =
                    !group.is_empty() && !cols.is_empty() && cols.iter().all(|&i| i < group.len());
                match (on_keys && movable(&c))
                    .then(|| substitute(&c, &group))
                    .flatten()
                {
                    Some(s) if !has_subquery(&s) => below.push(s),
                    _ => above.push(c),
                }
            }
            let input = push_conjuncts(*input, below);
            filter(
                LogicalPlan::Aggregate {
                    input: Box::new(input),
                    group,
                    aggregates,
                },
                above,
            )
        }
        LogicalPlan::Sort { input, keys } => {
            let (below, above): (Vec<_>, Vec<_>) = conjuncts.into_iter().partition(movable);
            filter(
                LogicalPlan::Sort {
                    input: Box::new(push_conjuncts(*input, below)),
                    keys,
                },
                above,
            )
        }
        LogicalPlan::Distinct { input } => {
            let (below, above): (Vec<_>, Vec<_>) = conjuncts.into_iter().partition(movable);
            filter(
                LogicalPlan::Distinct {
                    input: Box::new(push_conjuncts(*input, below)),
                },
                above,
            )
        }
        LogicalPlan::SetOp {
            op,
            all,
            left,
            right,
        } => {
            let (below, above): (Vec<_>, Vec<_>) = conjuncts.into_iter().partition(movable);
            filter(
                LogicalPlan::SetOp {
                    op,
                    all,
                    left: Box::new(push_conjuncts(*left, below.clone())),
                    right: Box::new(push_conjuncts(*right, below)),
                },
                above,
            )
        }
        other => filter(push_down(other), conjuncts),
    }
}

/// Pushes a join's condition and the conjuncts of a filter above it (`above`, over the
/// join's output) into its sides.
fn push_join(
    left: LogicalPlan,
    right: LogicalPlan,
    kind: JoinKind,
    on: Option<ScalarExpr>,
    lateral: bool,
    above: Vec<ScalarExpr>,
) -> LogicalPlan {
    let lw = left.width();
    let (mut to_left, mut to_right, mut join_on, mut stay) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let side = |c: &ScalarExpr| -> Side {
        let cols = columns_of(c);
        if cols.is_empty() {
            Side::None
        } else if cols.iter().all(|&i| i < lw) {
            Side::Left
        } else if cols.iter().all(|&i| i >= lw) {
            Side::Right
        } else {
            Side::Both
        }
    };
    // Conjuncts of the WHERE above the join.
    for c in above {
        if !movable(&c) {
            stay.push(c);
            continue;
        }
        match (side(&c), kind) {
            (Side::Left, JoinKind::Inner | JoinKind::Left | JoinKind::Semi | JoinKind::Anti) => {
                to_left.push(c)
            }
            (Side::Right, JoinKind::Inner | JoinKind::Right) if !lateral => to_right.push(c),
            (Side::Both | Side::Right, JoinKind::Inner) => join_on.push(c),
            _ => stay.push(c),
        }
    }
    // Conjuncts of the join condition.
    let mut on_conjuncts = Vec::new();
    if let Some(on) = on {
        split_conjuncts(on, &mut on_conjuncts);
    }
    for c in on_conjuncts {
        if !movable(&c) {
            join_on.push(c);
            continue;
        }
        match (side(&c), kind) {
            (Side::Left, JoinKind::Inner | JoinKind::Right) => to_left.push(c),
            (Side::Right, JoinKind::Inner | JoinKind::Left | JoinKind::Semi | JoinKind::Anti)
                if !lateral =>
            {
                to_right.push(c)
            }
            _ => join_on.push(c),
        }
    }
    let to_right = to_right
        .into_iter()
        .map(|mut c| {
            c.map_columns(&|i| i - lw);
            c
        })
        .collect();
    let join = LogicalPlan::Join {
        left: Box::new(push_conjuncts(left, to_left)),
        right: Box::new(push_conjuncts(right, to_right)),
        kind,
        on: conjoin(join_on),
        lateral,
    };
    filter(join, stay)
}

enum Side {
    None,
    Left,
    Right,
    Both,
}
