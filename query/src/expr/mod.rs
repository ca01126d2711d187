//! Scalar expressions: the bound form ([`ScalarExpr`]), binding from the `sqlparser` AST
//! ([`bind_expr`], `bind.rs`), evaluation over a row ([`evaluate`], `eval.rs`) and
//! error-safe constant folding ([`fold_constants`], `fold.rs`).
//!
//! The contract with the rest of the crate:
//!
//! * The binder of a query block (FROM, GROUP BY, …) owns name resolution, aggregates,
//!   window calls and subqueries; it hands them to [`bind_expr`] through [`BindScope`].
//!   Everything else in an expression (operators, literals, casts, CASE, LIKE, function
//!   calls, parameters) is bound here.
//! * The executor evaluates with [`evaluate`], giving parameters, outer rows and the
//!   running of subqueries through [`EvalContext`].
//! * [`ScalarExpr::Column`] indexes the operator's input row; the planner rewrites
//!   positions when it moves an expression to another operator
//!   ([`ScalarExpr::map_columns`]).

use std::sync::Arc;

use covet_engine::value::{SqlType, Value};
use sqlparser::ast;

use crate::error::Result;
use crate::functions::ScalarFunction;
use crate::types::DataType;

mod bind;
mod bind_call;
mod bind_ops;
mod coerce;
mod eval;
mod fold;
mod sql_type;

pub use bind::{bind_condition, bind_expr, bind_expr_as};
pub use bind_call::{aggregate_call_parts, function_name, AggregateCallParts};
pub use bind_ops::castable;
pub use coerce::{common_type, comparable, expect_bool, unify_types};
pub use eval::evaluate;
pub use fold::fold_constants;
pub use sql_type::sql_type_from_ast;

/// A unary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `-x`.
    Neg,
    /// `+x` (a no-op kept for type checking: `+'a'` is an error).
    Plus,
    /// `NOT x` (three-valued).
    Not,
    /// `~x` (bitwise not of an integer).
    BitNot,
}

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/` (integer division truncates toward zero).
    Div,
    /// `%`.
    Mod,
    /// `||` (text concatenation).
    Concat,
    /// `=`.
    Eq,
    /// `<>` / `!=`.
    NotEq,
    /// `<`.
    Lt,
    /// `<=`.
    LtEq,
    /// `>`.
    Gt,
    /// `>=`.
    GtEq,
    /// `AND` (three-valued, evaluated lazily: `FALSE AND error` is FALSE).
    And,
    /// `OR` (three-valued, lazy).
    Or,
    /// `&`.
    BitAnd,
    /// `|`.
    BitOr,
    /// `#` (PostgreSQL's bitwise xor).
    BitXor,
    /// `<<`.
    ShiftLeft,
    /// `>>`.
    ShiftRight,
    /// `->` (JSON field or element, as JSON).
    JsonGet,
    /// `->>` (JSON field or element, as text).
    JsonGetText,
    /// `#>` (JSON path, as JSON).
    JsonPath,
    /// `#>>` (JSON path, as text).
    JsonPathText,
}

impl BinaryOp {
    /// The operator's SQL spelling (`+`, `<>`, `AND`, `->>`, …), for EXPLAIN and messages.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
            BinaryOp::Concat => "||",
            BinaryOp::Eq => "=",
            BinaryOp::NotEq => "<>",
            BinaryOp::Lt => "<",
            BinaryOp::LtEq => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::GtEq => ">=",
            BinaryOp::And => "AND",
            BinaryOp::Or => "OR",
            BinaryOp::BitAnd => "&",
            BinaryOp::BitOr => "|",
            BinaryOp::BitXor => "#",
            BinaryOp::ShiftLeft => "<<",
            BinaryOp::ShiftRight => ">>",
            BinaryOp::JsonGet => "->",
            BinaryOp::JsonGetText => "->>",
            BinaryOp::JsonPath => "#>",
            BinaryOp::JsonPathText => "#>>",
        }
    }
}

/// What `IS [NOT] TRUE|FALSE|UNKNOWN` tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TruthTest {
    /// `IS TRUE`.
    True,
    /// `IS FALSE`.
    False,
    /// `IS UNKNOWN` (the same as `IS NULL` on a boolean).
    Unknown,
}

/// A subquery an expression refers to; the query block's binder numbers them and the
/// executor runs them through [`EvalContext::subquery`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SubqueryId(pub usize);

/// How an expression uses a subquery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubqueryKind {
    /// `(SELECT x …)`: one column, at most one row (none gives NULL; more is 21000).
    Scalar,
    /// `EXISTS (SELECT …)`.
    Exists,
    /// `x IN (SELECT y …)` (one column).
    In,
    /// `x op ANY (SELECT …)` / `SOME`.
    Any(BinaryOp),
    /// `x op ALL (SELECT …)`.
    All(BinaryOp),
}

/// A bound scalar expression.
#[derive(Debug, Clone, PartialEq)]
pub enum ScalarExpr {
    /// A constant.
    Literal(Value),
    /// The column at this position of the input row.
    Column(usize),
    /// A column of an enclosing query's current row (a correlated reference):
    /// `depth` 1 is the immediately enclosing query block.
    OuterColumn {
        /// How many query blocks out.
        depth: usize,
        /// The column's position in that block's row.
        index: usize,
    },
    /// A bound parameter: `$1` is `Param(0)`.
    Param(usize),
    /// A unary operator.
    Unary {
        /// The operator.
        op: UnaryOp,
        /// Its operand.
        expr: Box<ScalarExpr>,
    },
    /// A binary operator.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// Left operand.
        left: Box<ScalarExpr>,
        /// Right operand.
        right: Box<ScalarExpr>,
    },
    /// `x IS [NOT] NULL`.
    IsNull {
        /// The operand.
        expr: Box<ScalarExpr>,
        /// `IS NOT NULL`.
        negated: bool,
    },
    /// `x IS [NOT] TRUE|FALSE|UNKNOWN`.
    IsTruth {
        /// The operand.
        expr: Box<ScalarExpr>,
        /// Which truth value.
        test: TruthTest,
        /// `IS NOT …`.
        negated: bool,
    },
    /// `x IS [NOT] DISTINCT FROM y`.
    IsDistinctFrom {
        /// Left operand.
        left: Box<ScalarExpr>,
        /// Right operand.
        right: Box<ScalarExpr>,
        /// `IS NOT DISTINCT FROM`.
        negated: bool,
    },
    /// `x [NOT] BETWEEN [SYMMETRIC] low AND high`.
    Between {
        /// The operand.
        expr: Box<ScalarExpr>,
        /// Lower bound.
        low: Box<ScalarExpr>,
        /// Upper bound.
        high: Box<ScalarExpr>,
        /// `NOT BETWEEN`.
        negated: bool,
        /// `BETWEEN SYMMETRIC`.
        symmetric: bool,
    },
    /// `x [NOT] IN (a, b, …)` (three-valued).
    InList {
        /// The operand.
        expr: Box<ScalarExpr>,
        /// The list.
        list: Vec<ScalarExpr>,
        /// `NOT IN`.
        negated: bool,
    },
    /// `x [NOT] LIKE|ILIKE pattern [ESCAPE e]`.
    Like {
        /// The operand.
        expr: Box<ScalarExpr>,
        /// The pattern.
        pattern: Box<ScalarExpr>,
        /// The escape character (default `\`).
        escape: Option<Box<ScalarExpr>>,
        /// `ILIKE`.
        case_insensitive: bool,
        /// `NOT LIKE`.
        negated: bool,
    },
    /// `CASE [operand] WHEN … THEN … [ELSE …] END`; only the arm taken is evaluated.
    Case {
        /// The simple form's operand.
        operand: Option<Box<ScalarExpr>>,
        /// `(WHEN, THEN)` pairs, in order.
        branches: Vec<(ScalarExpr, ScalarExpr)>,
        /// `ELSE` (NULL when absent).
        else_expr: Option<Box<ScalarExpr>>,
    },
    /// `COALESCE(a, b, …)`: the first non-NULL argument; later ones are not evaluated.
    Coalesce(Vec<ScalarExpr>),
    /// `CAST(x AS type)` / `x::type`.
    Cast {
        /// The operand.
        expr: Box<ScalarExpr>,
        /// The target type, with its limits.
        to: SqlType,
    },
    /// A scalar function call (arguments evaluated first, left to right).
    Function {
        /// The resolved function.
        func: Arc<ScalarFunction>,
        /// Its arguments.
        args: Vec<ScalarExpr>,
    },
    /// A subquery: scalar, EXISTS, IN, ANY or ALL. For IN/ANY/ALL, `expr` is the left
    /// operand.
    Subquery {
        /// Which subquery of the query block.
        id: SubqueryId,
        /// How it is used.
        kind: SubqueryKind,
        /// The left operand of IN/ANY/ALL.
        expr: Option<Box<ScalarExpr>>,
        /// `NOT IN` / `NOT EXISTS`.
        negated: bool,
    },
}

impl ScalarExpr {
    /// A literal.
    pub fn literal(value: Value) -> ScalarExpr {
        ScalarExpr::Literal(value)
    }

    /// Calls `f` on every direct child.
    pub fn for_each_child(&self, f: &mut dyn FnMut(&ScalarExpr)) {
        match self {
            ScalarExpr::Literal(_)
            | ScalarExpr::Column(_)
            | ScalarExpr::OuterColumn { .. }
            | ScalarExpr::Param(_) => {}
            ScalarExpr::Unary { expr, .. }
            | ScalarExpr::IsNull { expr, .. }
            | ScalarExpr::IsTruth { expr, .. }
            | ScalarExpr::Cast { expr, .. } => f(expr),
            ScalarExpr::Binary { left, right, .. }
            | ScalarExpr::IsDistinctFrom { left, right, .. } => {
                f(left);
                f(right);
            }
            ScalarExpr::Between {
                expr, low, high, ..
            } => {
                f(expr);
                f(low);
                f(high);
            }
            ScalarExpr::InList { expr, list, .. } => {
                f(expr);
                list.iter().for_each(f);
            }
            ScalarExpr::Like {
                expr,
                pattern,
                escape,
                ..
            } => {
                f(expr);
                f(pattern);
                if let Some(e) = escape {
                    f(e);
                }
            }
            ScalarExpr::Case {
                operand,
                branches,
                else_expr,
            } => {
                if let Some(o) = operand {
                    f(o);
                }
                for (w, t) in branches {
                    f(w);
                    f(t);
                }
                if let Some(e) = else_expr {
                    f(e);
                }
            }
            ScalarExpr::Coalesce(args) | ScalarExpr::Function { args, .. } => {
                args.iter().for_each(f)
            }
            ScalarExpr::Subquery { expr, .. } => {
                if let Some(e) = expr {
                    f(e);
                }
            }
        }
    }

    /// Calls `f` on every direct child, mutably.
    pub fn for_each_child_mut(&mut self, f: &mut dyn FnMut(&mut ScalarExpr)) {
        match self {
            ScalarExpr::Literal(_)
            | ScalarExpr::Column(_)
            | ScalarExpr::OuterColumn { .. }
            | ScalarExpr::Param(_) => {}
            ScalarExpr::Unary { expr, .. }
            | ScalarExpr::IsNull { expr, .. }
            | ScalarExpr::IsTruth { expr, .. }
            | ScalarExpr::Cast { expr, .. } => f(expr),
            ScalarExpr::Binary { left, right, .. }
            | ScalarExpr::IsDistinctFrom { left, right, .. } => {
                f(left);
                f(right);
            }
            ScalarExpr::Between {
                expr, low, high, ..
            } => {
                f(expr);
                f(low);
                f(high);
            }
            ScalarExpr::InList { expr, list, .. } => {
                f(expr);
                list.iter_mut().for_each(f);
            }
            ScalarExpr::Like {
                expr,
                pattern,
                escape,
                ..
            } => {
                f(expr);
                f(pattern);
                if let Some(e) = escape {
                    f(e);
                }
            }
            ScalarExpr::Case {
                operand,
                branches,
                else_expr,
            } => {
                if let Some(o) = operand {
                    f(o);
                }
                for (w, t) in branches {
                    f(w);
                    f(t);
                }
                if let Some(e) = else_expr {
                    f(e);
                }
            }
            ScalarExpr::Coalesce(args) | ScalarExpr::Function { args, .. } => {
                args.iter_mut().for_each(f)
            }
            ScalarExpr::Subquery { expr, .. } => {
                if let Some(e) = expr {
                    f(e);
                }
            }
        }
    }

    /// Rewrites every `Column(i)` to `Column(map(i))` (used when an expression moves
    /// to an operator whose input row is laid out differently).
    pub fn map_columns(&mut self, map: &dyn Fn(usize) -> usize) {
        if let ScalarExpr::Column(i) = self {
            *i = map(*i);
            return;
        }
        self.for_each_child_mut(&mut |c| c.map_columns(map));
    }

    /// The input columns this expression reads, appended to `out` (may repeat).
    pub fn collect_columns(&self, out: &mut Vec<usize>) {
        if let ScalarExpr::Column(i) = self {
            out.push(*i);
            return;
        }
        self.for_each_child(&mut |c| c.collect_columns(out));
    }

    /// Whether the expression reads no input column, no outer column and no subquery
    /// (its value depends on parameters and literals only).
    pub fn is_constant(&self) -> bool {
        match self {
            ScalarExpr::Column(_)
            | ScalarExpr::OuterColumn { .. }
            | ScalarExpr::Subquery { .. } => false,
            ScalarExpr::Function { func, args } => {
                !func.volatile && args.iter().all(ScalarExpr::is_constant)
            }
            _ => {
                let mut constant = true;
                self.for_each_child(&mut |c| constant &= c.is_constant());
                constant
            }
        }
    }
}

/// What [`bind_expr`] asks of the query block it binds in.
pub trait BindScope {
    /// Resolves a column reference, `name` or `qualifier.name` (identifiers already
    /// folded to their SQL case), to a [`ScalarExpr::Column`] or
    /// [`ScalarExpr::OuterColumn`] and its type. Errors: 42703, 42702, 42P01.
    fn column(&mut self, qualifier: Option<&str>, name: &str) -> Result<(ScalarExpr, DataType)>;

    /// Binds a call of an aggregate function (`count`, `sum`, … with DISTINCT, FILTER,
    /// ORDER BY), returning the expression that reads its result. A scope where
    /// aggregates are not allowed (WHERE, a join condition) returns 42803.
    fn aggregate(&mut self, call: &ast::Function) -> Result<(ScalarExpr, DataType)>;

    /// Binds a window function call (`… OVER (…)`), returning the expression that reads
    /// its result; 42P20 where windows are not allowed.
    fn window(&mut self, call: &ast::Function) -> Result<(ScalarExpr, DataType)>;

    /// Binds a subquery used as `kind`, returning its id and (for Scalar) its type.
    fn subquery(
        &mut self,
        query: &ast::Query,
        kind: SubqueryKind,
    ) -> Result<(SubqueryId, DataType)>;

    /// The type of parameter `$n` (0-based): `hint` is what the context expects
    /// (`a = $1` with `a` an integer hints `Int`); the scope records the first hint.
    fn param(&mut self, index: usize, hint: Option<DataType>) -> Result<DataType>;
}

/// What [`evaluate`] asks of the running query.
pub trait EvalContext {
    /// The statement's parameters.
    fn params(&self) -> &[Value];

    /// The current row of the enclosing query block `depth` levels out.
    fn outer_column(&self, depth: usize, index: usize) -> Result<Value>;

    /// Runs subquery `id` for the current row (`row` is the row the expression is
    /// evaluated on; correlated subqueries read it as their depth-1 outer row) and
    /// returns its rows (one column each for Scalar/IN/ANY/ALL; for EXISTS at most one
    /// row, of no particular shape).
    fn subquery(&mut self, id: SubqueryId, row: &[Value]) -> Result<Arc<Vec<Vec<Value>>>>;

    /// The statement's start time in microseconds since 1970 (for `now()`,
    /// `current_timestamp`: the same value through the whole statement).
    fn statement_time_micros(&self) -> i64;
}

/// An [`EvalContext`] for expressions without parameters, outer columns or subqueries
/// (DEFAULT values, CHECK constraints, constant folding at bind time).
pub struct NoContext {
    /// What `now()` returns.
    pub time_micros: i64,
}

impl EvalContext for NoContext {
    fn params(&self) -> &[Value] {
        &[]
    }

    fn outer_column(&self, _depth: usize, _index: usize) -> Result<Value> {
        Err(crate::error::QueryError::internal(
            "an outer column reference outside a correlated subquery",
        ))
    }

    fn subquery(&mut self, _id: SubqueryId, _row: &[Value]) -> Result<Arc<Vec<Vec<Value>>>> {
        Err(crate::error::QueryError::internal(
            "a subquery evaluated outside a query",
        ))
    }

    fn statement_time_micros(&self) -> i64 {
        self.time_micros
    }
}

#[cfg(test)]
mod tests;
