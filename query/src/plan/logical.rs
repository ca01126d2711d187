//! [`LogicalPlan`]: what a query computes, as the binder produces it.
//!
//! Every expression of a node indexes the output row of its input (for a join, the
//! left row followed by the right row). Output layouts, which the binder and every
//! rewrite rely on:
//!
//! | node        | output row                                           |
//! |-------------|------------------------------------------------------|
//! | `Scan`      | every column of the table, in table order (++ its primary key values with `with_pk`) |
//! | `Join`      | left ++ right (semi/anti joins: left only)           |
//! | `Aggregate` | group keys ++ aggregate results                      |
//! | `Window`    | input ++ one value per window call                   |
//! | `Project`   | one value per expression                             |
//! | others      | their input's row                                    |

use std::sync::Arc;

use crate::catalog::TableInfo;
use crate::expr::ScalarExpr;
use crate::functions::{AggregateFunction, WindowFunctionKind};

/// A logical plan node.
#[derive(Debug, Clone)]
pub enum LogicalPlan {
    /// Every row of a table.
    Scan {
        /// The table.
        table: Arc<TableInfo>,
        /// The name it goes by in the query (alias or table name).
        alias: String,
        /// Whether the primary key values (the rowid without a declared key) follow the
        /// columns (for the targets of UPDATE and DELETE).
        with_pk: bool,
    },
    /// Literal rows (`VALUES`, and the one empty row of a SELECT without FROM).
    Values {
        /// The rows; every row has `width` expressions.
        rows: Vec<Vec<ScalarExpr>>,
        /// The number of columns.
        width: usize,
    },
    /// The input rows for which `predicate` is TRUE.
    Filter {
        /// The input.
        input: Box<LogicalPlan>,
        /// A boolean expression.
        predicate: ScalarExpr,
    },
    /// One output row per input row, computed by `exprs`.
    Project {
        /// The input.
        input: Box<LogicalPlan>,
        /// The output columns.
        exprs: Vec<ScalarExpr>,
    },
    /// A join; `on` reads the row left ++ right.
    Join {
        /// The left input.
        left: Box<LogicalPlan>,
        /// The right input.
        right: Box<LogicalPlan>,
        /// Which join.
        kind: JoinKind,
        /// The join condition (absent: a cross product).
        on: Option<ScalarExpr>,
        /// Whether the right side reads the left row (LATERAL): it is re-run per left
        /// row, which it reads as its depth-1 outer row.
        lateral: bool,
    },
    /// Grouping and aggregation (no group keys: one row, even over no input).
    Aggregate {
        /// The input.
        input: Box<LogicalPlan>,
        /// The group keys, over the input row.
        group: Vec<ScalarExpr>,
        /// The aggregate calls, over the input row.
        aggregates: Vec<AggregateCall>,
    },
    /// Window functions sharing one PARTITION BY / ORDER BY.
    Window {
        /// The input.
        input: Box<LogicalPlan>,
        /// The calls.
        functions: Vec<WindowCall>,
    },
    /// Ordering.
    Sort {
        /// The input.
        input: Box<LogicalPlan>,
        /// The keys, most significant first.
        keys: Vec<SortKey>,
    },
    /// `LIMIT` / `OFFSET`; both are constant expressions (literals, parameters, outer
    /// columns), evaluated when the query starts.
    Limit {
        /// The input.
        input: Box<LogicalPlan>,
        /// At most this many rows (absent or NULL: no limit).
        limit: Option<ScalarExpr>,
        /// Rows skipped first (absent or NULL: none).
        offset: Option<ScalarExpr>,
    },
    /// Duplicate rows removed (NULLs equal to each other).
    Distinct {
        /// The input.
        input: Box<LogicalPlan>,
    },
    /// UNION / INTERSECT / EXCEPT; both inputs have the same width.
    SetOp {
        /// Which operation.
        op: SetOpKind,
        /// `ALL` (keep duplicates, with multiset semantics).
        all: bool,
        /// The left input.
        left: Box<LogicalPlan>,
        /// The right input.
        right: Box<LogicalPlan>,
    },
    /// `WITH RECURSIVE`: `base`, then `step` (reading the rows the previous round
    /// produced through `WorkTable { id }`) until a round produces nothing.
    RecursiveCte {
        /// The work table this CTE's step reads.
        id: usize,
        /// The non-recursive part.
        base: Box<LogicalPlan>,
        /// The recursive part.
        step: Box<LogicalPlan>,
        /// `UNION ALL` (else rows already produced are dropped).
        union_all: bool,
    },
    /// The rows of the previous round of recursive CTE `id`.
    WorkTable {
        /// Which recursive CTE.
        id: usize,
        /// Its number of columns.
        width: usize,
    },
}

/// A join kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JoinKind {
    /// `INNER JOIN`, `CROSS JOIN`, comma.
    Inner,
    /// `LEFT [OUTER] JOIN`.
    Left,
    /// `RIGHT [OUTER] JOIN`.
    Right,
    /// `FULL [OUTER] JOIN`.
    Full,
    /// The left rows with a match (output: left only).
    Semi,
    /// The left rows without a match (output: left only).
    Anti,
}

impl JoinKind {
    /// Whether the output holds only the left row.
    pub fn left_only(self) -> bool {
        matches!(self, JoinKind::Semi | JoinKind::Anti)
    }

    /// The name EXPLAIN prints.
    pub fn name(self) -> &'static str {
        match self {
            JoinKind::Inner => "Inner",
            JoinKind::Left => "Left",
            JoinKind::Right => "Right",
            JoinKind::Full => "Full",
            JoinKind::Semi => "Semi",
            JoinKind::Anti => "Anti",
        }
    }
}

/// A set operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SetOpKind {
    /// `UNION`.
    Union,
    /// `INTERSECT`.
    Intersect,
    /// `EXCEPT`.
    Except,
}

/// A sort key.
#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    /// What to sort by, over the input row.
    pub expr: ScalarExpr,
    /// `DESC`.
    pub desc: bool,
    /// Whether NULLs come first. PostgreSQL's default: NULLs sort as larger than every
    /// value, so first for DESC and last for ASC.
    pub nulls_first: bool,
}

/// An aggregate call.
#[derive(Debug, Clone)]
pub struct AggregateCall {
    /// The resolved function (with DISTINCT applied by its accumulators).
    pub func: Arc<AggregateFunction>,
    /// Its arguments (none for `count(*)`).
    pub args: Vec<ScalarExpr>,
    /// `FILTER (WHERE …)`: only rows where it is TRUE are aggregated.
    pub filter: Option<ScalarExpr>,
    /// `agg(x ORDER BY y)`: the order in which rows reach the accumulator.
    pub order_by: Vec<SortKey>,
}

/// What a window call computes.
#[derive(Debug, Clone)]
pub enum WindowFunc {
    /// An aggregate over the frame.
    Aggregate(Arc<AggregateFunction>),
    /// A ranking or offset function.
    Builtin(WindowFunctionKind),
}

/// A window call: the function, its arguments and its window.
#[derive(Debug, Clone)]
pub struct WindowCall {
    /// The function.
    pub func: WindowFunc,
    /// Its arguments, over the input row.
    pub args: Vec<ScalarExpr>,
    /// `FILTER (WHERE …)` for an aggregate.
    pub filter: Option<ScalarExpr>,
    /// `PARTITION BY`.
    pub partition_by: Vec<ScalarExpr>,
    /// `ORDER BY` within the partition.
    pub order_by: Vec<SortKey>,
    /// The frame.
    pub frame: WindowFrame,
}

/// A window frame (`ROWS|RANGE|GROUPS BETWEEN start AND end`).
#[derive(Debug, Clone, PartialEq)]
pub struct WindowFrame {
    /// What the offsets count.
    pub units: FrameUnits,
    /// Where the frame starts.
    pub start: FrameBound,
    /// Where it ends.
    pub end: FrameBound,
}

impl WindowFrame {
    /// The default frame: `RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW`, which
    /// without ORDER BY is the whole partition (every row is a peer).
    pub fn default_frame() -> WindowFrame {
        WindowFrame {
            units: FrameUnits::Range,
            start: FrameBound::UnboundedPreceding,
            end: FrameBound::CurrentRow,
        }
    }
}

/// The units of a window frame's offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameUnits {
    /// `ROWS`: rows before or after the current row.
    Rows,
    /// `RANGE`: ORDER BY values within the offset of the current row's (the offset
    /// is of the type the binder chose for the ORDER BY column, see
    /// `binder::grouping`); `CURRENT ROW` is the current row's peers.
    Range,
    /// `GROUPS`: peer groups before or after the current row's.
    Groups,
}

impl FrameUnits {
    /// The SQL keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            FrameUnits::Rows => "ROWS",
            FrameUnits::Range => "RANGE",
            FrameUnits::Groups => "GROUPS",
        }
    }
}

/// One end of a window frame.
#[derive(Debug, Clone, PartialEq)]
pub enum FrameBound {
    /// `UNBOUNDED PRECEDING`.
    UnboundedPreceding,
    /// `n PRECEDING` (a constant expression).
    Preceding(ScalarExpr),
    /// `CURRENT ROW`.
    CurrentRow,
    /// `n FOLLOWING`.
    Following(ScalarExpr),
    /// `UNBOUNDED FOLLOWING`.
    UnboundedFollowing,
}

impl LogicalPlan {
    /// The number of columns of the output row.
    pub fn width(&self) -> usize {
        match self {
            LogicalPlan::Scan { table, with_pk, .. } => {
                table.columns.len() + if *with_pk { table.pk_width() } else { 0 }
            }
            LogicalPlan::Values { width, .. } | LogicalPlan::WorkTable { width, .. } => *width,
            LogicalPlan::Project { exprs, .. } => exprs.len(),
            LogicalPlan::Join {
                left, right, kind, ..
            } => {
                if kind.left_only() {
                    left.width()
                } else {
                    left.width() + right.width()
                }
            }
            LogicalPlan::Aggregate {
                group, aggregates, ..
            } => group.len() + aggregates.len(),
            LogicalPlan::Window { input, functions } => input.width() + functions.len(),
            LogicalPlan::Filter { input, .. }
            | LogicalPlan::Sort { input, .. }
            | LogicalPlan::Limit { input, .. }
            | LogicalPlan::Distinct { input } => input.width(),
            LogicalPlan::SetOp { left, .. } => left.width(),
            LogicalPlan::RecursiveCte { base, .. } => base.width(),
        }
    }

    /// Calls `f` on every expression of this node (not of its inputs).
    pub fn for_each_expr(&self, f: &mut dyn FnMut(&ScalarExpr)) {
        match self {
            LogicalPlan::Scan { .. } | LogicalPlan::WorkTable { .. } => {}
            LogicalPlan::Values { rows, .. } => rows.iter().flatten().for_each(f),
            LogicalPlan::Filter { predicate, .. } => f(predicate),
            LogicalPlan::Project { exprs, .. } => exprs.iter().for_each(f),
            LogicalPlan::Join { on, .. } => {
                if let Some(on) = on {
                    f(on)
                }
            }
            LogicalPlan::Aggregate {
                group, aggregates, ..
            } => {
                group.iter().for_each(&mut *f);
                for a in aggregates {
                    a.args.iter().for_each(&mut *f);
                    if let Some(x) = &a.filter {
                        f(x);
                    }
                    a.order_by.iter().for_each(|k| f(&k.expr));
                }
            }
            LogicalPlan::Window { functions, .. } => {
                for w in functions {
                    w.args.iter().for_each(&mut *f);
                    if let Some(x) = &w.filter {
                        f(x);
                    }
                    w.partition_by.iter().for_each(&mut *f);
                    w.order_by.iter().for_each(|k| f(&k.expr));
                    for b in [&w.frame.start, &w.frame.end] {
                        if let FrameBound::Preceding(x) | FrameBound::Following(x) = b {
                            f(x);
                        }
                    }
                }
            }
            LogicalPlan::Sort { keys, .. } => keys.iter().for_each(|k| f(&k.expr)),
            LogicalPlan::Limit { limit, offset, .. } => {
                for x in [limit, offset].into_iter().flatten() {
                    f(x);
                }
            }
            LogicalPlan::Distinct { .. }
            | LogicalPlan::SetOp { .. }
            | LogicalPlan::RecursiveCte { .. } => {}
        }
    }

    /// Calls `f` on every expression of this node (not of its inputs), mutably.
    pub fn for_each_expr_mut(&mut self, f: &mut dyn FnMut(&mut ScalarExpr)) {
        match self {
            LogicalPlan::Scan { .. } | LogicalPlan::WorkTable { .. } => {}
            LogicalPlan::Values { rows, .. } => rows.iter_mut().flatten().for_each(f),
            LogicalPlan::Filter { predicate, .. } => f(predicate),
            LogicalPlan::Project { exprs, .. } => exprs.iter_mut().for_each(f),
            LogicalPlan::Join { on, .. } => {
                if let Some(on) = on {
                    f(on)
                }
            }
            LogicalPlan::Aggregate {
                group, aggregates, ..
            } => {
                group.iter_mut().for_each(&mut *f);
                for a in aggregates {
                    a.args.iter_mut().for_each(&mut *f);
                    if let Some(x) = &mut a.filter {
                        f(x);
                    }
                    a.order_by.iter_mut().for_each(|k| f(&mut k.expr));
                }
            }
            LogicalPlan::Window { functions, .. } => {
                for w in functions {
                    w.args.iter_mut().for_each(&mut *f);
                    if let Some(x) = &mut w.filter {
                        f(x);
                    }
                    w.partition_by.iter_mut().for_each(&mut *f);
                    w.order_by.iter_mut().for_each(|k| f(&mut k.expr));
                    for b in [&mut w.frame.start, &mut w.frame.end] {
                        if let FrameBound::Preceding(x) | FrameBound::Following(x) = b {
                            f(x);
                        }
                    }
                }
            }
            LogicalPlan::Sort { keys, .. } => keys.iter_mut().for_each(|k| f(&mut k.expr)),
            LogicalPlan::Limit { limit, offset, .. } => {
                for x in [limit, offset].into_iter().flatten() {
                    f(x);
                }
            }
            LogicalPlan::Distinct { .. }
            | LogicalPlan::SetOp { .. }
            | LogicalPlan::RecursiveCte { .. } => {}
        }
    }

    /// The inputs of this node.
    pub fn inputs(&self) -> Vec<&LogicalPlan> {
        match self {
            LogicalPlan::Scan { .. }
            | LogicalPlan::Values { .. }
            | LogicalPlan::WorkTable { .. } => {
                vec![]
            }
            LogicalPlan::Filter { input, .. }
            | LogicalPlan::Project { input, .. }
            | LogicalPlan::Aggregate { input, .. }
            | LogicalPlan::Window { input, .. }
            | LogicalPlan::Sort { input, .. }
            | LogicalPlan::Limit { input, .. }
            | LogicalPlan::Distinct { input } => vec![input],
            LogicalPlan::Join { left, right, .. } | LogicalPlan::SetOp { left, right, .. } => {
                vec![left, right]
            }
            LogicalPlan::RecursiveCte { base, step, .. } => vec![base, step],
        }
    }
}
