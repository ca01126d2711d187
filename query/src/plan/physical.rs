//! [`PhysicalPlan`]: how a query runs — the operators the executor builds, with their
//! access paths and algorithms chosen.
//!
//! Row layouts are those of the logical plan (see `logical.rs`): the planner chooses
//! algorithms and access paths without moving columns, so an expression keeps its
//! column positions from binder to executor. A scan that does not need a column leaves
//! it NULL (`needed`), which keeps positions stable while sorts, hashes and spills carry
//! no dead values.

use std::sync::Arc;

use crate::catalog::{IndexInfo, TableInfo};
use crate::expr::{ScalarExpr, SubqueryKind};
use crate::plan::logical::{AggregateCall, JoinKind, SetOpKind, SortKey, WindowCall};
use crate::session::Column;

/// A planned query: the operator tree, the subqueries its expressions run, and the
/// columns it returns.
#[derive(Debug, Clone)]
pub struct PhysicalPlan {
    /// The root operator.
    pub root: PhysicalNode,
    /// The plans of the subqueries, indexed by [`SubqueryId`](crate::expr::SubqueryId).
    pub subqueries: Arc<[SubqueryPlan]>,
    /// The result columns.
    pub columns: Vec<Column>,
}

/// A subquery's plan.
#[derive(Debug, Clone)]
pub struct SubqueryPlan {
    /// Its operators.
    pub root: PhysicalNode,
    /// How the enclosing expression uses it.
    pub kind: SubqueryKind,
    /// Whether it reads an enclosing query's row (then it re-runs per row; otherwise it
    /// runs once per statement and its rows are cached).
    pub correlated: bool,
}

/// The part of a table or index key a seek reads: equalities on a leading prefix of the
/// key columns, then optionally a range on the next one. Values are expressions
/// evaluated when the scan starts (literals, parameters, outer columns).
#[derive(Debug, Clone, PartialEq)]
pub struct KeyBounds {
    /// The key columns (table positions), in key order, with whether each is DESC.
    pub key_columns: Vec<(usize, bool)>,
    /// Values of the leading key columns.
    pub eq: Vec<ScalarExpr>,
    /// A lower bound on the next key column (in value order, not key order), and
    /// whether it is inclusive.
    pub lower: Option<(ScalarExpr, bool)>,
    /// An upper bound on the next key column, and whether it is inclusive.
    pub upper: Option<(ScalarExpr, bool)>,
}

impl KeyBounds {
    /// Whether the bounds fix every key column (a point lookup).
    pub fn is_point(&self) -> bool {
        self.eq.len() == self.key_columns.len()
    }

    /// Whether only equalities are used (a seek rather than a range scan).
    pub fn is_equality(&self) -> bool {
        self.lower.is_none() && self.upper.is_none()
    }
}

/// How a table is read.
#[derive(Debug, Clone)]
pub enum AccessPath {
    /// Every row, in primary key order.
    FullScan,
    /// Rows by primary key prefix (equality) or range.
    PrimaryKey(KeyBounds),
    /// Rows through a secondary index, each looked up by its primary key.
    Index {
        /// The index.
        index: IndexInfo,
        /// The part of its key used.
        bounds: KeyBounds,
    },
}

/// A physical operator.
// Plans are built once per statement and walked once to build operators: a large scan
// variant costs nothing that boxing its access path would save.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum PhysicalNode {
    /// A table read through an access path, with the residual filter applied to each
    /// row read.
    Scan {
        /// The table.
        table: Arc<TableInfo>,
        /// The name it goes by in the query.
        alias: String,
        /// How its rows are found.
        access: AccessPath,
        /// Whether the primary key values follow the columns.
        with_pk: bool,
        /// Which columns are read (others are left NULL); `None`: all.
        needed: Option<Vec<bool>>,
        /// Conjuncts pushed down to the scan, over the table row.
        filter: Option<ScalarExpr>,
    },
    /// Literal rows.
    Values {
        /// The rows.
        rows: Vec<Vec<ScalarExpr>>,
        /// Their width.
        width: usize,
    },
    /// Rows for which `predicate` is TRUE.
    Filter {
        /// The input.
        input: Box<PhysicalNode>,
        /// The predicate.
        predicate: ScalarExpr,
    },
    /// Computed columns.
    Project {
        /// The input.
        input: Box<PhysicalNode>,
        /// The output columns.
        exprs: Vec<ScalarExpr>,
    },
    /// A hash join: builds a table of the right input by `right_keys`, probes it with
    /// each left row's `left_keys` (NULL keys never match), then checks `residual`
    /// (over left ++ right).
    HashJoin {
        /// The probe side.
        left: Box<PhysicalNode>,
        /// The build side.
        right: Box<PhysicalNode>,
        /// Which join.
        kind: JoinKind,
        /// Keys over the left row.
        left_keys: Vec<ScalarExpr>,
        /// Keys over the right row (same count).
        right_keys: Vec<ScalarExpr>,
        /// The rest of the join condition.
        residual: Option<ScalarExpr>,
    },
    /// A nested-loop join over a materialized right side, any condition and kind.
    NestedLoopJoin {
        /// The outer side.
        left: Box<PhysicalNode>,
        /// The inner side (materialized once).
        right: Box<PhysicalNode>,
        /// Which join.
        kind: JoinKind,
        /// The condition (absent: TRUE).
        condition: Option<ScalarExpr>,
    },
    /// A join whose right side is re-run for each left row, reading it as its depth-1
    /// outer row: LATERAL, and index nested loops (the right side seeks by the left
    /// row's values).
    DependentJoin {
        /// The outer side.
        left: Box<PhysicalNode>,
        /// The inner side, re-run per left row.
        right: Box<PhysicalNode>,
        /// Inner, Left, Semi or Anti.
        kind: JoinKind,
        /// The condition (absent: TRUE).
        condition: Option<ScalarExpr>,
    },
    /// An index nested-loop join: for each left row, the right side (a scan whose
    /// access path seeks by the left row's values, read as depth-1 outer columns) runs
    /// again. Executed as a dependent join.
    IndexNestedLoopJoin {
        /// The outer side.
        left: Box<PhysicalNode>,
        /// The inner side: a seeking scan.
        right: Box<PhysicalNode>,
        /// Inner, Left, Semi or Anti.
        kind: JoinKind,
        /// The rest of the join condition (over left ++ right).
        condition: Option<ScalarExpr>,
    },
    /// Hash aggregation: output group keys ++ aggregate results.
    HashAggregate {
        /// The input.
        input: Box<PhysicalNode>,
        /// Group keys.
        group: Vec<ScalarExpr>,
        /// Aggregate calls.
        aggregates: Vec<AggregateCall>,
    },
    /// Sort aggregation over input already grouped by the group keys (a scan in the
    /// order of a key whose leading columns are the group keys): one group in memory.
    SortAggregate {
        /// The input.
        input: Box<PhysicalNode>,
        /// Group keys (the input arrives grouped by them).
        group: Vec<ScalarExpr>,
        /// Aggregate calls.
        aggregates: Vec<AggregateCall>,
    },
    /// Window functions sharing one window: output input ++ results.
    Window {
        /// The input.
        input: Box<PhysicalNode>,
        /// The calls (all with the same PARTITION BY and ORDER BY).
        functions: Vec<WindowCall>,
    },
    /// An external merge sort.
    Sort {
        /// The input.
        input: Box<PhysicalNode>,
        /// The keys.
        keys: Vec<SortKey>,
    },
    /// The first `limit` rows after `offset` in key order, keeping only that many.
    TopN {
        /// The input.
        input: Box<PhysicalNode>,
        /// The keys.
        keys: Vec<SortKey>,
        /// How many rows.
        limit: ScalarExpr,
        /// How many to skip first.
        offset: Option<ScalarExpr>,
    },
    /// LIMIT / OFFSET.
    Limit {
        /// The input.
        input: Box<PhysicalNode>,
        /// At most this many rows.
        limit: Option<ScalarExpr>,
        /// Skipped first.
        offset: Option<ScalarExpr>,
    },
    /// Duplicates removed by hashing.
    Distinct {
        /// The input.
        input: Box<PhysicalNode>,
    },
    /// UNION / INTERSECT / EXCEPT, by hashing.
    SetOp {
        /// Which operation.
        op: SetOpKind,
        /// `ALL`.
        all: bool,
        /// Left input.
        left: Box<PhysicalNode>,
        /// Right input.
        right: Box<PhysicalNode>,
    },
    /// A recursive CTE (see the logical node).
    RecursiveCte {
        /// Its work table.
        id: usize,
        /// The non-recursive part.
        base: Box<PhysicalNode>,
        /// The recursive part.
        step: Box<PhysicalNode>,
        /// `UNION ALL`.
        union_all: bool,
    },
    /// The previous round's rows of recursive CTE `id`.
    WorkTable {
        /// Which CTE.
        id: usize,
        /// Its width.
        width: usize,
    },
}

impl PhysicalNode {
    /// The inputs of this node.
    pub fn inputs(&self) -> Vec<&PhysicalNode> {
        match self {
            PhysicalNode::Scan { .. }
            | PhysicalNode::Values { .. }
            | PhysicalNode::WorkTable { .. } => vec![],
            PhysicalNode::Filter { input, .. }
            | PhysicalNode::Project { input, .. }
            | PhysicalNode::HashAggregate { input, .. }
            | PhysicalNode::SortAggregate { input, .. }
            | PhysicalNode::Window { input, .. }
            | PhysicalNode::Sort { input, .. }
            | PhysicalNode::TopN { input, .. }
            | PhysicalNode::Limit { input, .. }
            | PhysicalNode::Distinct { input } => vec![input],
            PhysicalNode::HashJoin { left, right, .. }
            | PhysicalNode::NestedLoopJoin { left, right, .. }
            | PhysicalNode::DependentJoin { left, right, .. }
            | PhysicalNode::IndexNestedLoopJoin { left, right, .. }
            | PhysicalNode::SetOp { left, right, .. } => vec![left, right],
            PhysicalNode::RecursiveCte { base, step, .. } => vec![base, step],
        }
    }
}
