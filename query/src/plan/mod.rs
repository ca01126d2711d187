//! Plans: the logical plan the binder produces ([`LogicalPlan`], `logical.rs`), the
//! physical plan the executor runs ([`PhysicalPlan`], `physical.rs`), and the
//! rule-based planner between them ([`plan_query`]).
//!
//! The planner is an ordered list of rules (the cost-based optimizer of the next issue
//! replaces the rules, not the operators):
//!
//! 0. `simplify.rs`: every expression constant-folded (PostgreSQL's simplifications
//!    included), and what folding proves empty (`WHERE FALSE`, `LIMIT 0`, a join
//!    `ON NULL`'s inner side) replaced by no rows, so it is never evaluated; then
//!    `outer_join.rs`: outer joins whose null-extended rows a filter above rejects
//!    become inner (and what that empties is dropped).
//! 1. `join_order.rs`: chains of three or more inner joins are reordered greedily so
//!    that each next relation is connected by an equality (no needless cross products);
//!    runs before pushdown, which then moves its one filter into the joins.
//! 2. `pushdown.rs`: filters split into conjuncts and moved down to the lowest node that
//!    has their columns (through projections, sorts, set operations, into join sides and
//!    join conditions); runs before lowering so that the later rules see the predicates
//!    where they apply.
//! 3. `lower.rs`: logical → physical: equi-join conjuncts become hash-join keys, ORDER
//!    BY + LIMIT becomes top-N, and each scan gets its access path (`access.rs`: a
//!    primary-key seek or range, an index seek or range, else a full scan).
//! 4. `prune.rs`: projection pruning: each scan reads only the columns something above
//!    it uses (the others stay NULL, so positions never move); runs last, on the final
//!    operator tree.

mod access;
mod join_order;
mod logical;
mod lower;
mod outer_join;
mod physical;
mod prune;
mod pushdown;
mod simplify;

pub use logical::{
    AggregateCall, FrameBound, FrameUnits, JoinKind, LogicalPlan, SetOpKind, SortKey, WindowCall,
    WindowFrame, WindowFunc,
};
pub use physical::{AccessPath, KeyBounds, PhysicalNode, PhysicalPlan, SubqueryPlan};

use crate::binder::BoundQuery;
use crate::error::Result;
use crate::expr::{BinaryOp, ScalarExpr};

/// Plans a bound query (and its subqueries).
pub fn plan_query(query: BoundQuery) -> Result<PhysicalPlan> {
    let BoundQuery {
        plan,
        columns,
        subqueries,
    } = query;
    let correlated: Vec<bool> = subqueries.iter().map(|s| s.correlated).collect();
    let mut planned = Vec::with_capacity(subqueries.len());
    for s in subqueries {
        let correlated_flag = s.correlated;
        let mut root = plan_node(s.plan)?;
        prune::prune_columns(&mut root, &correlated);
        planned.push(SubqueryPlan {
            root,
            kind: s.kind,
            correlated: correlated_flag,
        });
    }
    let mut root = plan_node(plan)?;
    prune::prune_columns(&mut root, &correlated);
    Ok(PhysicalPlan {
        root,
        subqueries: planned.into(),
        columns,
    })
}

/// Plans one logical tree: simplification, join order, pushdown, then lowering.
pub fn plan_node(plan: LogicalPlan) -> Result<PhysicalNode> {
    let plan = simplify::simplify(plan);
    let plan = simplify::drop_empty(outer_join::reduce(plan));
    let plan = join_order::reorder(plan);
    let plan = pushdown::push_down(plan);
    lower::lower(plan)
}

/// The conjuncts of `expr` (`a AND b AND c` → `[a, b, c]`).
pub fn split_conjuncts(expr: ScalarExpr, out: &mut Vec<ScalarExpr>) {
    match expr {
        ScalarExpr::Binary {
            op: BinaryOp::And,
            left,
            right,
        } => {
            split_conjuncts(*left, out);
            split_conjuncts(*right, out);
        }
        e => out.push(e),
    }
}

/// The conjunction of `exprs` (`None` when empty).
///
/// Conjuncts without a subquery go first, in their written order, and those with one
/// last: AND evaluates lazily, so a cheap conjunct that is FALSE spares the subquery's
/// run — and, as in PostgreSQL (which orders quals by cost, subplans last), spares an
/// error that only the costly side would raise. SQL leaves the order open.
pub fn conjoin(mut exprs: Vec<ScalarExpr>) -> Option<ScalarExpr> {
    // A stable sort keeps the written order within each group.
    exprs.sort_by_key(has_subquery);
    exprs.into_iter().reduce(|a, b| ScalarExpr::Binary {
        op: BinaryOp::And,
        left: Box::new(a),
        right: Box::new(b),
    })
}

/// Whether `expr` contains a subquery (such expressions stay where the binder put them:
/// a correlated subquery reads the row of the node it is evaluated on).
pub fn has_subquery(expr: &ScalarExpr) -> bool {
    if matches!(expr, ScalarExpr::Subquery { .. }) {
        return true;
    }
    let mut found = false;
    expr.for_each_child(&mut |c| found |= has_subquery(c));
    found
}

/// Whether `expr` reads a column of an enclosing query.
pub fn has_outer_column(expr: &ScalarExpr) -> bool {
    if matches!(expr, ScalarExpr::OuterColumn { .. }) {
        return true;
    }
    let mut found = false;
    expr.for_each_child(&mut |c| found |= has_outer_column(c));
    found
}

/// The input columns `expr` reads, sorted and without repeats.
pub fn columns_of(expr: &ScalarExpr) -> Vec<usize> {
    let mut cols = Vec::new();
    expr.collect_columns(&mut cols);
    cols.sort_unstable();
    cols.dedup();
    cols
}

#[cfg(test)]
mod conjoin_tests {
    use super::*;
    use crate::expr::{SubqueryId, SubqueryKind};
    use covet_engine::value::Value;

    fn col(i: usize) -> ScalarExpr {
        ScalarExpr::Column(i)
    }

    fn exists(id: usize) -> ScalarExpr {
        ScalarExpr::Subquery {
            id: SubqueryId(id),
            kind: SubqueryKind::Exists,
            expr: None,
            negated: false,
        }
    }

    fn flatten(e: ScalarExpr) -> Vec<ScalarExpr> {
        let mut out = Vec::new();
        split_conjuncts(e, &mut out);
        out
    }

    #[test]
    fn conjuncts_with_subqueries_go_last_in_written_order() {
        let lit = ScalarExpr::Literal(Value::Bool(true));
        let e = conjoin(vec![exists(0), col(1), exists(1), col(2), lit.clone()]).unwrap();
        assert_eq!(flatten(e), vec![col(1), col(2), lit, exists(0), exists(1)]);
        assert_eq!(conjoin(vec![]), None);
        assert_eq!(conjoin(vec![col(3)]), Some(col(3)));
    }
}
