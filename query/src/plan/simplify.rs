//! Plan-time simplification: constant folding of every expression, and the parts of a plan
//! that folding proves produce no row replaced by an empty relation.
//!
//! PostgreSQL's planner does both (`eval_const_expressions` on every expression, then a
//! "dummy" relation for a constant-false qual, `LIMIT 0` and joins that cannot match), so
//! the work it never does is work covet must not do either: an error raised only by an
//! evaluation PostgreSQL skips is a different answer. What must stay true:
//!
//! * folding is error-safe (`expr::fold_constants`): it only removes evaluations, never
//!   adds an error or changes a value an evaluation would have produced;
//! * a part of the plan is replaced by no rows only where it yields no rows for every
//!   database state: a filter whose predicate is a NULL or FALSE literal, `LIMIT 0`, an
//!   inner or semi join whose condition is one, and the nodes over such an empty input
//!   that yield nothing from nothing (not an aggregate without GROUP BY: one row);
//! * an outer join whose condition is a NULL or FALSE literal keeps its preserved side
//!   and reads nothing of the other (PostgreSQL: a one-time false filter on the inner
//!   side), and an anti join keeps every left row.

use covet_engine::value::Value;

use super::logical::{JoinKind, LogicalPlan};
use super::pushdown::map_inputs;
use crate::expr::{fold_constants, BinaryOp, ScalarExpr};

/// Folds every expression of `plan` and drops the parts that yield no row.
pub(super) fn simplify(plan: LogicalPlan) -> LogicalPlan {
    let mut plan = map_inputs(plan, simplify);
    plan.for_each_expr_mut(&mut |e| {
        let taken = std::mem::replace(e, ScalarExpr::Literal(Value::Null));
        *e = fold_constants(taken);
    });
    empty_where_proven(plan)
}

/// Drops the parts of `plan` that yield no row (without folding again: for the plan
/// after a rule that changed join kinds, `outer_join.rs`).
pub(super) fn drop_empty(plan: LogicalPlan) -> LogicalPlan {
    empty_where_proven(map_inputs(plan, drop_empty))
}

/// No rows, `width` columns.
fn empty(width: usize) -> LogicalPlan {
    LogicalPlan::Values {
        rows: Vec::new(),
        width,
    }
}

fn is_empty(plan: &LogicalPlan) -> bool {
    matches!(plan, LogicalPlan::Values { rows, .. } if rows.is_empty())
}

/// Whether `e` is never TRUE: a NULL or FALSE literal, or a conjunction with one among
/// its conjuncts (`x AND NULL` is NULL or FALSE, which a filter or a join condition
/// treats alike; folding keeps it, as PostgreSQL's does, and its planner also turns
/// such a qual into a one-time false filter).
fn never_true(e: &ScalarExpr) -> bool {
    match e {
        ScalarExpr::Literal(v) => matches!(v, Value::Null | Value::Bool(false)),
        ScalarExpr::Binary {
            op: BinaryOp::And,
            left,
            right,
        } => never_true(left) || never_true(right),
        // `x BETWEEN l AND h` is `x >= l AND x <= h`: a NULL bound is a NULL conjunct.
        ScalarExpr::Between {
            low,
            high,
            negated: false,
            symmetric: false,
            ..
        } => [low, high]
            .iter()
            .any(|b| matches!(***b, ScalarExpr::Literal(Value::Null))),
        _ => false,
    }
}

/// `plan` (its inputs and expressions already simplified), or no rows of its width where
/// that is what it yields for every database state.
fn empty_where_proven(plan: LogicalPlan) -> LogicalPlan {
    let width = plan.width();
    match plan {
        LogicalPlan::Filter { predicate, .. } if never_true(&predicate) => empty(width),
        LogicalPlan::Filter {
            input,
            predicate: ScalarExpr::Literal(Value::Bool(true)),
        } => *input,
        LogicalPlan::Limit {
            limit: Some(ScalarExpr::Literal(Value::Int(0))),
            ..
        } => empty(width),
        LogicalPlan::Filter { ref input, .. }
        | LogicalPlan::Project { ref input, .. }
        | LogicalPlan::Sort { ref input, .. }
        | LogicalPlan::Limit { ref input, .. }
        | LogicalPlan::Distinct { ref input }
        | LogicalPlan::Window { ref input, .. }
            if is_empty(input) =>
        {
            empty(width)
        }
        LogicalPlan::Aggregate {
            ref input,
            ref group,
            ..
        } if !group.is_empty() && is_empty(input) => empty(width),
        LogicalPlan::Join {
            left,
            right,
            kind,
            on,
            lateral,
        } => join(*left, *right, kind, on, lateral, width),
        other => other,
    }
}

fn join(
    left: LogicalPlan,
    right: LogicalPlan,
    kind: JoinKind,
    on: Option<ScalarExpr>,
    lateral: bool,
    width: usize,
) -> LogicalPlan {
    let unmatched = on.as_ref().is_some_and(never_true);
    let (left_empty, right_empty) = (is_empty(&left), is_empty(&right));
    let nothing = match kind {
        JoinKind::Inner | JoinKind::Semi => unmatched || left_empty || right_empty,
        JoinKind::Left | JoinKind::Anti => left_empty,
        JoinKind::Right => right_empty,
        JoinKind::Full => left_empty && right_empty,
    };
    if nothing {
        return empty(width);
    }
    // No pair matches: the side whose rows only appear in pairs is never read.
    let (left, right) = match kind {
        JoinKind::Left | JoinKind::Anti if unmatched => {
            let w = right.width();
            (left, empty(w))
        }
        JoinKind::Right if unmatched => {
            let w = left.width();
            (empty(w), right)
        }
        _ => (left, right),
    };
    LogicalPlan::Join {
        left: Box::new(left),
        right: Box::new(right),
        kind,
        on,
        lateral,
    }
}
