//! Name scopes of query blocks and the [`BindScope`] of expressions.
//!
//! The [`Binder`] keeps a stack of [`Block`]s, one per query block being bound. A
//! column reference searches the innermost block first, then outward; crossing into an
//! enclosing block adds one to the reference's *depth*, which is what the executor's
//! outer-row stack sees at run time:
//!
//! * a subquery in an expression ([`BlockKind::Subquery`]) runs with its enclosing
//!   block's row pushed: crossing out of it counts;
//! * a LATERAL derived table ([`BlockKind::Lateral`]) runs with the left row pushed:
//!   crossing out of it counts, and it sees the FROM items to its left;
//! * a plain derived table or a CTE body ([`BlockKind::Inline`]) runs inside its
//!   enclosing block's plan, without a row of its own pushed: the enclosing block is
//!   hidden from it, and crossing it does not count.
//!
//! Aggregates and window calls are collected in their block and stand for their
//! results as placeholder columns at [`AGG_BASE`] and [`WIN_BASE`], which `select.rs`
//! rewrites to real positions once every clause is bound.

use std::collections::HashMap;
use std::sync::Arc;

use sqlparser::ast;

use super::{ident_name, BoundSubquery, ParamTypes};
use crate::catalog::{Catalog, TableInfo};
use crate::error::{QueryError, Result, SqlState};
use crate::expr::{bind_expr, BindScope, ScalarExpr, SubqueryId, SubqueryKind};
use crate::plan::{AggregateCall, LogicalPlan, SortKey, WindowCall};
use crate::session::Column;
use crate::types::DataType;

/// Placeholder columns at and above this stand for the block's aggregate calls.
pub(super) const AGG_BASE: usize = 1 << 40;
/// Placeholder columns at and above this stand for the block's window calls.
pub(super) const WIN_BASE: usize = 1 << 41;

/// How a block relates to the block below it on the stack (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BlockKind {
    /// A subquery of an expression (or the statement's top query).
    Subquery,
    /// A derived table or CTE body, run inside the enclosing block's plan.
    Inline,
    /// A LATERAL derived table.
    Lateral,
}

/// A column visible in a FROM clause.
#[derive(Debug, Clone)]
pub(crate) struct RelColumn {
    /// The table alias that qualifies it (`None`: only reachable unqualified, e.g. a
    /// merged USING column).
    pub qualifier: Option<String>,
    /// Its name.
    pub name: String,
    /// Its type.
    pub ty: DataType,
    /// Whether an unqualified name finds it (false for the two side copies of a USING
    /// column, which the merged column stands for).
    pub unqualified: bool,
}

/// A FROM item (for `t.*` and functional dependencies on a primary key).
#[derive(Debug, Clone)]
pub(crate) struct FromItem {
    /// Its alias (or table name).
    pub qualifier: String,
    /// The table, when the item is one.
    pub table: Option<Arc<TableInfo>>,
    /// The relation positions of its columns, in its column order.
    pub columns: Vec<usize>,
}

/// The columns a FROM clause provides, by position in its row.
#[derive(Debug, Clone, Default)]
pub(crate) struct Relation {
    /// Every column, by position.
    pub columns: Vec<RelColumn>,
    /// What `*` expands to, in order.
    pub star: Vec<usize>,
    /// The FROM items.
    pub items: Vec<FromItem>,
}

impl Relation {
    /// `self` followed by `right` (the row of a join).
    pub fn concat(mut self, right: Relation) -> Relation {
        let off = self.columns.len();
        self.columns.extend(right.columns);
        self.star.extend(right.star.iter().map(|i| i + off));
        self.items.extend(right.items.into_iter().map(|mut it| {
            for c in &mut it.columns {
                *c += off;
            }
            it
        }));
        self
    }

    /// The relation of one FROM item with these columns.
    pub fn item(
        qualifier: &str,
        table: Option<Arc<TableInfo>>,
        cols: Vec<(String, DataType)>,
    ) -> Relation {
        let columns: Vec<RelColumn> = cols
            .into_iter()
            .map(|(name, ty)| RelColumn {
                qualifier: Some(qualifier.to_owned()),
                name,
                ty,
                unqualified: true,
            })
            .collect();
        let n = columns.len();
        Relation {
            columns,
            star: (0..n).collect(),
            items: vec![FromItem {
                qualifier: qualifier.to_owned(),
                table,
                columns: (0..n).collect(),
            }],
        }
    }

    fn has_qualifier(&self, q: &str) -> bool {
        self.items.iter().any(|i| i.qualifier == q)
    }

    /// Finds `qualifier.name` here: `Ok(None)` when this relation does not have it.
    fn lookup(&self, qualifier: Option<&str>, name: &str) -> Result<Option<(usize, DataType)>> {
        let found: Vec<usize> = self
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                c.name == name
                    && match qualifier {
                        Some(q) => c.qualifier.as_deref() == Some(q),
                        None => c.unqualified,
                    }
            })
            .map(|(i, _)| i)
            .collect();
        match found.as_slice() {
            [] => match qualifier {
                Some(q) if self.has_qualifier(q) => Err(QueryError::new(
                    SqlState::UNDEFINED_COLUMN,
                    format!("column {q}.{name} does not exist"),
                )),
                _ => Ok(None),
            },
            [i] => Ok(Some((*i, self.columns[*i].ty))),
            _ => Err(QueryError::new(
                SqlState::AMBIGUOUS_COLUMN,
                format!(
                    "column reference \"{}\" is ambiguous",
                    match qualifier {
                        Some(q) => format!("{q}.{name}"),
                        None => name.to_owned(),
                    }
                ),
            )),
        }
    }
}

/// One query block being bound.
#[derive(Debug)]
pub(crate) struct Block {
    pub kind: BlockKind,
    pub relation: Relation,
    /// The group keys once GROUP BY is bound: nested subqueries then read grouped
    /// columns from the aggregate's output.
    pub group_keys: Option<Vec<ScalarExpr>>,
    /// Whether the clause being bound reads the aggregate's output (select list,
    /// HAVING, ORDER BY) rather than the FROM row (WHERE, GROUP BY, aggregate args).
    pub post_aggregate: bool,
    /// Whether a nested subquery read a FROM column from a post-aggregate clause while
    /// there were no group keys (42803 if the block turns out to aggregate).
    pub ungrouped_outer_ref: Option<String>,
    pub aggregates: Vec<AggregateCall>,
    pub windows: Vec<WindowCall>,
    /// `WINDOW w AS (…)` definitions.
    pub named_windows: HashMap<String, ast::WindowSpec>,
}

impl Block {
    pub fn new(kind: BlockKind) -> Block {
        Block {
            kind,
            relation: Relation::default(),
            group_keys: None,
            post_aggregate: false,
            ungrouped_outer_ref: None,
            aggregates: Vec::new(),
            windows: Vec::new(),
            named_windows: HashMap::new(),
        }
    }
}

/// A CTE visible by name.
#[derive(Debug, Clone)]
pub(crate) struct CteDef {
    /// Its plan (inlined at each reference).
    pub plan: LogicalPlan,
    /// Its columns.
    pub columns: Vec<(String, DataType)>,
    /// While its own recursive part is bound: the work table it reads.
    pub work_table: Option<usize>,
    /// The stack height where it was defined, when its plan reads outer columns.
    pub correlated_at: Option<usize>,
}

/// Where an expression is bound: what it may contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Clause {
    Where,
    JoinCondition,
    GroupBy,
    Select,
    Having,
    OrderBy,
    Values,
    /// LIMIT, OFFSET, frame offsets: no columns of the block.
    Constant,
    /// The arguments, FILTER and ORDER BY of an aggregate call.
    AggregateArg,
    /// The arguments, PARTITION BY and ORDER BY of a window call.
    WindowArg,
    /// An expression of a DML statement (SET, RETURNING, VALUES of INSERT).
    Dml,
}

impl Clause {
    fn name(self) -> &'static str {
        match self {
            Clause::Where => "WHERE",
            Clause::JoinCondition => "JOIN conditions",
            Clause::GroupBy => "GROUP BY",
            Clause::Select => "the select list",
            Clause::Having => "HAVING",
            Clause::OrderBy => "ORDER BY",
            Clause::Values => "VALUES",
            Clause::Constant => "LIMIT, OFFSET or a window frame",
            Clause::AggregateArg => "aggregate function calls",
            Clause::WindowArg => "window definitions",
            Clause::Dml => "this statement",
        }
    }
}

/// The state of binding one statement.
pub(crate) struct Binder<'a> {
    pub catalog: &'a Catalog,
    pub params: &'a mut ParamTypes,
    pub subqueries: Vec<BoundSubquery>,
    pub blocks: Vec<Block>,
    /// Open subquery expressions: the stack height where each starts, and whether it
    /// read an enclosing block's column.
    frames: Vec<(usize, bool)>,
    /// WITH clauses in scope, innermost last.
    pub ctes: Vec<HashMap<String, CteDef>>,
    pub next_work_table: usize,
    /// Work tables a recursive part actually read (else the CTE is a plain UNION).
    pub used_work_tables: std::collections::HashSet<usize>,
    /// How many views are being expanded inside each other.
    pub view_depth: usize,
    /// Every table and view name resolved so far, those inside expanded views
    /// included (what a view depends on; see `ddl/depend.rs`).
    pub relations: Vec<String>,
}

impl<'a> Binder<'a> {
    pub fn new(catalog: &'a Catalog, params: &'a mut ParamTypes) -> Binder<'a> {
        Binder {
            catalog,
            params,
            subqueries: Vec::new(),
            blocks: Vec::new(),
            frames: Vec::new(),
            ctes: Vec::new(),
            next_work_table: 0,
            used_work_tables: Default::default(),
            view_depth: 0,
            relations: Vec::new(),
        }
    }

    pub fn into_subqueries(self) -> Result<Vec<BoundSubquery>> {
        Ok(self.subqueries)
    }

    /// The innermost block.
    pub fn block(&mut self) -> Result<&mut Block> {
        self.blocks
            .last_mut()
            .ok_or_else(|| QueryError::internal("no query block to bind in"))
    }

    /// Binds `expr` in the innermost block.
    pub fn bind(&mut self, expr: &ast::Expr, clause: Clause) -> Result<(ScalarExpr, DataType)> {
        let mut scope = ExprScope { b: self, clause };
        bind_expr(expr, &mut scope)
    }

    /// Binds a condition (WHERE, ON, HAVING): it must be boolean.
    pub fn bind_condition(&mut self, expr: &ast::Expr, clause: Clause) -> Result<ScalarExpr> {
        let (e, ty) = self.bind(expr, clause)?;
        if !matches!(ty, DataType::Bool | DataType::Unknown) {
            return Err(QueryError::new(
                SqlState::DATATYPE_MISMATCH,
                format!(
                    "argument of {} must be type boolean, not type {ty}",
                    clause.name()
                ),
            ));
        }
        Ok(e)
    }

    /// Binds ORDER BY items of an aggregate or window call (plain expressions).
    pub fn bind_sort_keys(
        &mut self,
        items: &[ast::OrderByExpr],
        clause: Clause,
    ) -> Result<Vec<SortKey>> {
        Ok(self.bind_sort_keys_typed(items, clause)?.0)
    }

    /// [`Binder::bind_sort_keys`], with the type of each key.
    pub fn bind_sort_keys_typed(
        &mut self,
        items: &[ast::OrderByExpr],
        clause: Clause,
    ) -> Result<(Vec<SortKey>, Vec<DataType>)> {
        let mut keys = Vec::with_capacity(items.len());
        let mut types = Vec::with_capacity(items.len());
        for o in items {
            let (expr, ty) = self.bind(&o.expr, clause)?;
            keys.push(sort_key(expr, &o.options)?);
            types.push(ty);
        }
        Ok((keys, types))
    }

    /// Resolves a column reference (see the module docs for depths).
    pub fn resolve(
        &mut self,
        qualifier: Option<&str>,
        name: &str,
    ) -> Result<(ScalarExpr, DataType)> {
        let Some(mut i) = self.blocks.len().checked_sub(1) else {
            return Err(undefined_column(qualifier, name));
        };
        let mut depth = 0;
        loop {
            if let Some((pos, ty)) = self.blocks[i].relation.lookup(qualifier, name)? {
                if depth == 0 {
                    return Ok((ScalarExpr::Column(pos), ty));
                }
                for f in &mut self.frames {
                    if f.0 > i {
                        f.1 = true;
                    }
                }
                let index = self.outer_index(i, pos, name)?;
                return Ok((ScalarExpr::OuterColumn { depth, index }, ty));
            }
            // Step out: past hidden blocks, to the next visible one.
            let mut j = i;
            loop {
                match self.blocks[j].kind {
                    BlockKind::Subquery | BlockKind::Lateral => {
                        if j == 0 {
                            return Err(undefined_column(qualifier, name));
                        }
                        i = j - 1;
                        depth += 1;
                        break;
                    }
                    BlockKind::Inline => {
                        if j == 0 {
                            return Err(undefined_column(qualifier, name));
                        }
                        j -= 1;
                    }
                }
            }
        }
    }

    /// The position an enclosing block's column has in the row its nested subqueries
    /// see: the FROM row, or the aggregate's output once the block is grouped.
    fn outer_index(&mut self, block: usize, pos: usize, name: &str) -> Result<usize> {
        let b = &mut self.blocks[block];
        if !b.post_aggregate {
            return Ok(pos);
        }
        match &b.group_keys {
            Some(keys) => keys
                .iter()
                .position(|k| *k == ScalarExpr::Column(pos))
                .ok_or_else(|| grouping_error(name)),
            None => {
                b.ungrouped_outer_ref.get_or_insert_with(|| name.to_owned());
                Ok(pos)
            }
        }
    }

    /// Binds a subquery of an expression.
    pub fn bind_subquery(
        &mut self,
        query: &ast::Query,
        kind: SubqueryKind,
    ) -> Result<(SubqueryId, DataType)> {
        self.frames.push((self.blocks.len(), false));
        let bound = self.bind_query(query, BlockKind::Subquery);
        let (_, correlated) = self.frames.pop().unwrap_or((0, true));
        let (plan, columns) = bound?;
        let ty = match kind {
            SubqueryKind::Exists => DataType::Bool,
            _ => {
                if columns.len() != 1 {
                    return Err(QueryError::syntax(if columns.len() > 1 {
                        "subquery has too many columns"
                    } else {
                        "subquery must return a column"
                    }));
                }
                columns[0].ty
            }
        };
        self.subqueries.push(BoundSubquery {
            plan,
            kind,
            correlated,
        });
        Ok((SubqueryId(self.subqueries.len() - 1), ty))
    }

    /// Sets the open subquery frames aside (while a view binds on its own).
    pub fn take_frames(&mut self) -> Vec<(usize, bool)> {
        std::mem::take(&mut self.frames)
    }

    /// Puts frames set aside back.
    pub fn restore_frames(&mut self, frames: Vec<(usize, bool)>) {
        self.frames = frames;
    }

    /// Finds CTE `name` in scope.
    pub fn cte(&self, name: &str) -> Option<&CteDef> {
        self.ctes.iter().rev().find_map(|f| f.get(name))
    }
}

pub(crate) fn undefined_column(qualifier: Option<&str>, name: &str) -> QueryError {
    match qualifier {
        Some(q) => QueryError::new(
            SqlState::UNDEFINED_TABLE,
            format!("missing FROM-clause entry for table \"{q}\""),
        ),
        None => QueryError::new(
            SqlState::UNDEFINED_COLUMN,
            format!("column \"{name}\" does not exist"),
        ),
    }
}

pub(crate) fn grouping_error(name: &str) -> QueryError {
    QueryError::new(
        SqlState::GROUPING_ERROR,
        format!("column \"{name}\" must appear in the GROUP BY clause or be used in an aggregate function"),
    )
}

/// A sort key from a bound expression and its options (NULLs larger than every value by
/// default: last for ASC, first for DESC).
pub(crate) fn sort_key(expr: ScalarExpr, options: &ast::OrderByOptions) -> Result<SortKey> {
    let desc = match &options.sort {
        None | Some(ast::OrderBySort::Asc) => false,
        Some(ast::OrderBySort::Desc) => true,
        Some(ast::OrderBySort::Using(_)) => {
            return Err(QueryError::unsupported("ORDER BY … USING"))
        }
    };
    Ok(SortKey {
        expr,
        desc,
        nulls_first: options.nulls_first.unwrap_or(desc),
    })
}

/// The [`BindScope`] of one expression in the innermost block.
pub(crate) struct ExprScope<'s, 'a> {
    pub b: &'s mut Binder<'a>,
    pub clause: Clause,
}

impl BindScope for ExprScope<'_, '_> {
    fn column(&mut self, qualifier: Option<&str>, name: &str) -> Result<(ScalarExpr, DataType)> {
        let (e, ty) = self.b.resolve(qualifier, name)?;
        if self.clause == Clause::Constant && matches!(e, ScalarExpr::Column(_)) {
            return Err(QueryError::new(
                SqlState::INVALID_COLUMN_REFERENCE,
                format!(
                    "argument of {} must not contain variables",
                    self.clause.name()
                ),
            ));
        }
        Ok((e, ty))
    }

    fn aggregate(&mut self, call: &ast::Function) -> Result<(ScalarExpr, DataType)> {
        match self.clause {
            Clause::Select | Clause::Having | Clause::OrderBy | Clause::WindowArg => {
                super::grouping::bind_aggregate(self.b, call)
            }
            Clause::AggregateArg => Err(QueryError::new(
                SqlState::GROUPING_ERROR,
                "aggregate function calls cannot be nested",
            )),
            other => Err(QueryError::new(
                SqlState::GROUPING_ERROR,
                format!("aggregate functions are not allowed in {}", other.name()),
            )),
        }
    }

    fn window(&mut self, call: &ast::Function) -> Result<(ScalarExpr, DataType)> {
        match self.clause {
            Clause::Select | Clause::OrderBy => super::grouping::bind_window(self.b, call),
            Clause::WindowArg => Err(QueryError::new(
                SqlState::WINDOWING_ERROR,
                "window function calls cannot be nested",
            )),
            other => Err(QueryError::new(
                SqlState::WINDOWING_ERROR,
                format!("window functions are not allowed in {}", other.name()),
            )),
        }
    }

    fn subquery(
        &mut self,
        query: &ast::Query,
        kind: SubqueryKind,
    ) -> Result<(SubqueryId, DataType)> {
        self.b.bind_subquery(query, kind)
    }

    fn param(&mut self, index: usize, hint: Option<DataType>) -> Result<DataType> {
        Ok(self.b.params.record(index, hint))
    }
}

/// Result columns from names and types.
pub(crate) fn columns(cols: &[(String, DataType)]) -> Vec<Column> {
    cols.iter()
        .map(|(name, ty)| Column {
            name: name.clone(),
            ty: *ty,
        })
        .collect()
}

/// The function name of a call, lower case (its last part).
pub(crate) fn function_name(call: &ast::Function) -> String {
    call.name
        .0
        .last()
        .and_then(|p| p.as_ident())
        .map(ident_name)
        .unwrap_or_default()
}
