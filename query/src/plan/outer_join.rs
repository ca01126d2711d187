//! Outer-join reduction: an outer join whose null-extended rows a filter above always
//! rejects is an inner join (PostgreSQL's `reduce_outer_joins`).
//!
//! `… FROM a LEFT JOIN b ON … WHERE b.x > 0`: a row of `a` without a match has `b.x`
//! NULL, the WHERE is then not TRUE, so no null-extended row survives and the join is
//! inner. PostgreSQL plans it so, and then evaluates what follows from the inner join
//! (an inner join whose condition is never TRUE reads nothing: `simplify.rs`), so covet
//! must too, or it raises an error on rows PostgreSQL never produces. What must stay
//! true: a column counts as rejected only where every row with it NULL is dropped
//! before anything else sees it — through filters, projections (a column is rejected
//! through an expression that is NULL whenever the column is), sorts, DISTINCT and
//! joins, never through a LIMIT, an aggregate, a window or a set operation, which would
//! see the rows the filter later drops.

use std::collections::BTreeSet;

use super::logical::{JoinKind, LogicalPlan};
use crate::expr::{BinaryOp, ScalarExpr};

type Columns = BTreeSet<usize>;

/// `plan` with every outer join that filters above make inner (or, for FULL, one-sided).
pub(super) fn reduce(plan: LogicalPlan) -> LogicalPlan {
    reduce_under(plan, &Columns::new())
}

/// The columns `e` is NULL whenever one of them is (it is a *strict* expression of
/// them): operators other than AND/OR, strict function calls, casts, LIKE.
fn strict_columns(e: &ScalarExpr, out: &mut Columns) {
    match e {
        ScalarExpr::Column(c) => {
            out.insert(*c);
        }
        ScalarExpr::Unary { expr, .. } | ScalarExpr::Cast { expr, .. } => strict_columns(expr, out),
        ScalarExpr::Binary { op, left, right } if !matches!(op, BinaryOp::And | BinaryOp::Or) => {
            strict_columns(left, out);
            strict_columns(right, out);
        }
        ScalarExpr::Function { func, args } if func.strict => {
            args.iter().for_each(|a| strict_columns(a, out));
        }
        ScalarExpr::Like { expr, pattern, .. } => {
            strict_columns(expr, out);
            strict_columns(pattern, out);
        }
        _ => {}
    }
}

/// The columns whose being NULL makes the condition `e` not TRUE (a filter drops the row).
fn rejected_columns(e: &ScalarExpr, out: &mut Columns) {
    match e {
        ScalarExpr::Binary {
            op: BinaryOp::And,
            left,
            right,
        } => {
            rejected_columns(left, out);
            rejected_columns(right, out);
        }
        ScalarExpr::Binary {
            op: BinaryOp::Or,
            left,
            right,
        } => {
            // Rejected by both sides.
            let (mut l, mut r) = (Columns::new(), Columns::new());
            rejected_columns(left, &mut l);
            rejected_columns(right, &mut r);
            out.extend(l.intersection(&r));
        }
        ScalarExpr::IsNull {
            expr,
            negated: true,
        } => strict_columns(expr, out),
        ScalarExpr::InList { expr, .. } => strict_columns(expr, out),
        ScalarExpr::Between { expr, .. } => strict_columns(expr, out),
        // Anything NULL when a column is NULL is not TRUE then.
        other => strict_columns(other, out),
    }
}

fn rejected_by(e: Option<&ScalarExpr>) -> Columns {
    let mut out = Columns::new();
    if let Some(e) = e {
        rejected_columns(e, &mut out);
    }
    out
}

/// Splits columns of a join row at the left width: (left's, right's renumbered).
fn split(cols: &Columns, lw: usize) -> (Columns, Columns) {
    (
        cols.iter().copied().filter(|&c| c < lw).collect(),
        cols.iter().filter(|&&c| c >= lw).map(|&c| c - lw).collect(),
    )
}

/// `plan`, where a row with any column of `rejected` NULL is dropped above.
fn reduce_under(plan: LogicalPlan, rejected: &Columns) -> LogicalPlan {
    let none = Columns::new();
    let b = |p: Box<LogicalPlan>, r: &Columns| Box::new(reduce_under(*p, r));
    match plan {
        LogicalPlan::Filter { input, predicate } => {
            let mut r = rejected.clone();
            rejected_columns(&predicate, &mut r);
            LogicalPlan::Filter {
                input: b(input, &r),
                predicate,
            }
        }
        LogicalPlan::Project { input, exprs } => {
            let mut r = Columns::new();
            for &c in rejected {
                if let Some(e) = exprs.get(c) {
                    strict_columns(e, &mut r);
                }
            }
            LogicalPlan::Project {
                input: b(input, &r),
                exprs,
            }
        }
        LogicalPlan::Sort { input, keys } => LogicalPlan::Sort {
            input: b(input, rejected),
            keys,
        },
        LogicalPlan::Distinct { input } => LogicalPlan::Distinct {
            input: b(input, rejected),
        },
        LogicalPlan::Join {
            left,
            right,
            kind,
            on,
            lateral,
        } => {
            let lw = left.width();
            let (above_l, above_r) = split(rejected, lw);
            let kind = match kind {
                JoinKind::Left if !above_r.is_empty() => JoinKind::Inner,
                JoinKind::Right if !above_l.is_empty() => JoinKind::Inner,
                JoinKind::Full => match (above_l.is_empty(), above_r.is_empty()) {
                    (false, false) => JoinKind::Inner,
                    // Rows with the left side NULL-extended are dropped: left rows stay.
                    (false, true) => JoinKind::Left,
                    (true, false) => JoinKind::Right,
                    (true, true) => JoinKind::Full,
                },
                k => k,
            };
            let (on_l, on_r) = split(&rejected_by(on.as_ref()), lw);
            let union = |a: &Columns, b: &Columns| a.union(b).copied().collect::<Columns>();
            // What reaches each side: the filters above for a side whose rows are kept
            // as they are, and the condition for a side whose rows must match.
            let (to_l, to_r) = match kind {
                JoinKind::Inner => (union(&above_l, &on_l), union(&above_r, &on_r)),
                JoinKind::Left => (above_l, on_r),
                JoinKind::Right => (on_l, above_r),
                JoinKind::Semi => (union(&above_l, &on_l), on_r),
                JoinKind::Anti => (above_l, on_r),
                JoinKind::Full => (none.clone(), none.clone()),
            };
            // A LATERAL right side reads the left row: left as it is.
            let to_r = if lateral { none } else { to_r };
            LogicalPlan::Join {
                left: b(left, &to_l),
                right: b(right, &to_r),
                kind,
                on,
                lateral,
            }
        }
        other => super::pushdown::map_inputs(other, reduce),
    }
}
