//! The target of a DML statement, for the statement layer.
//!
//! [`bind_dml_target`] (UPDATE … FROM, DELETE … USING) binds the target table, the FROM
//! tables and the WHERE into a plan whose rows are, for each matching target row:
//!
//! ```text
//! [primary key values (k)] ++ [the target row, in table column order (n)] ++ [FROM columns]
//! ```
//!
//! (`k` is the table's primary key width, 1 for a rowid table: the values
//! `TableWriter::update_row`/`delete_row` take.) The returned [`DmlTarget`] then binds
//! further expressions — SET, RETURNING — over that same row, with the target's columns
//! under its name or alias and the FROM tables' under theirs. [`bind_insert_target`]
//! gives the scope of INSERT (RETURNING, ON CONFLICT DO UPDATE): the target row at
//! `0..n`, and [`DmlTarget::add_relation`] appends e.g. `excluded`.
//!
//! Every subquery those expressions use lands in the plan [`DmlTarget::finish`]
//! returns, so an [`ExecState`](crate::exec::ExecState) of that plan evaluates them.

use std::sync::Arc;

use sqlparser::ast;

use super::scope::{Binder, Block, BlockKind, Clause, RelColumn, Relation};
use super::{BoundQuery, ParamTypes};
use crate::catalog::{Catalog, TableInfo};
use crate::error::{QueryError, Result, SqlState};
use crate::expr::ScalarExpr;
use crate::plan::{plan_query, JoinKind, LogicalPlan, PhysicalPlan};
use crate::session::Column;
use crate::types::DataType;

/// A bound DML target: its row plan and the scope over its rows.
pub struct DmlTarget<'a> {
    binder: Binder<'a>,
    table: Arc<TableInfo>,
    plan: Option<LogicalPlan>,
}

/// Binds `UPDATE table … FROM from WHERE selection` / `DELETE FROM table USING from
/// WHERE selection` (see the module docs for the rows).
pub fn bind_dml_target<'a>(
    catalog: &'a Catalog,
    params: &'a mut ParamTypes,
    table: &ast::TableFactor,
    from: &[ast::TableWithJoins],
    selection: Option<&ast::Expr>,
) -> Result<DmlTarget<'a>> {
    let mut binder = Binder::new(catalog, params);
    binder.blocks.push(Block::new(BlockKind::Subquery));
    let (plan, table) = bind_target(&mut binder, table, from, selection)?;
    Ok(DmlTarget {
        binder,
        table,
        plan: Some(plan),
    })
}

/// The scope of an INSERT into `table`: its row at `0..n` under `alias` (or its name).
pub fn bind_insert_target<'a>(
    catalog: &'a Catalog,
    params: &'a mut ParamTypes,
    table: &ast::ObjectName,
    alias: Option<&ast::TableAlias>,
) -> Result<DmlTarget<'a>> {
    let mut binder = Binder::new(catalog, params);
    binder.blocks.push(Block::new(BlockKind::Subquery));
    let (plan, rel) = binder.bind_table_name(table, alias)?;
    let LogicalPlan::Scan { table, .. } = plan else {
        return Err(not_a_table(table));
    };
    binder.block()?.relation = rel;
    Ok(DmlTarget {
        binder,
        table,
        plan: None,
    })
}

fn not_a_table(name: impl std::fmt::Display) -> QueryError {
    QueryError::new(
        SqlState::WRONG_OBJECT_TYPE,
        format!("\"{name}\" is not a table"),
    )
}

fn bind_target(
    b: &mut Binder<'_>,
    table: &ast::TableFactor,
    from: &[ast::TableWithJoins],
    selection: Option<&ast::Expr>,
) -> Result<(LogicalPlan, Arc<TableInfo>)> {
    let ast::TableFactor::Table {
        name, alias, args, ..
    } = table
    else {
        return Err(QueryError::unsupported(format!(
            "{table} as the target of UPDATE or DELETE"
        )));
    };
    if args.is_some() {
        return Err(not_a_table(name));
    }
    let (scan, target_rel) = b.bind_table_name(name, alias.as_ref())?;
    let LogicalPlan::Scan { table, alias, .. } = scan else {
        return Err(not_a_table(name));
    };
    let n = table.columns.len();
    let k = table.pk_width();
    let pk_rel = Relation {
        columns: (0..k)
            .map(|_| RelColumn {
                qualifier: None,
                name: String::new(),
                ty: DataType::Unknown,
                unqualified: false,
            })
            .collect(),
        star: Vec::new(),
        items: Vec::new(),
    };
    let mut plan = LogicalPlan::Scan {
        table: table.clone(),
        alias,
        with_pk: true,
    };
    let mut from_rel = Relation::default();
    if !from.is_empty() {
        let from_plan = b.bind_from(from)?;
        from_rel = std::mem::take(&mut b.block()?.relation);
        plan = LogicalPlan::Join {
            left: Box::new(plan),
            right: Box::new(from_plan),
            kind: JoinKind::Inner,
            on: None,
            lateral: false,
        };
    }
    let from_width = from_rel.columns.len();
    b.block()?.relation = target_rel
        .clone()
        .concat(pk_rel.clone())
        .concat(from_rel.clone());
    if let Some(w) = selection {
        let predicate = b.bind_condition(w, Clause::Where)?;
        plan = LogicalPlan::Filter {
            input: Box::new(plan),
            predicate,
        };
    }
    let exprs = (n..n + k)
        .chain(0..n)
        .chain(n + k..n + k + from_width)
        .map(ScalarExpr::Column)
        .collect();
    plan = LogicalPlan::Project {
        input: Box::new(plan),
        exprs,
    };
    b.block()?.relation = pk_rel.concat(target_rel).concat(from_rel);
    Ok((plan, table))
}

impl DmlTarget<'_> {
    /// The target table.
    pub fn table(&self) -> &Arc<TableInfo> {
        &self.table
    }

    /// Binds an expression over the target's rows (SET values, RETURNING, ON CONFLICT's
    /// DO UPDATE). Aggregates and window functions are 42803 / 42P20 here.
    pub fn bind_expr(&mut self, expr: &ast::Expr) -> Result<(ScalarExpr, DataType)> {
        self.binder.bind(expr, Clause::Dml)
    }

    /// Binds a boolean condition (ON CONFLICT … WHERE).
    pub fn bind_condition(&mut self, expr: &ast::Expr) -> Result<ScalarExpr> {
        self.binder.bind_condition(expr, Clause::Where)
    }

    /// Appends a relation (`excluded`) after the row's columns; returns the position of
    /// its first column.
    pub fn add_relation(
        &mut self,
        qualifier: &str,
        columns: Vec<(String, DataType)>,
    ) -> Result<usize> {
        let block = self.binder.block()?;
        let at = block.relation.columns.len();
        let rel = std::mem::take(&mut block.relation);
        block.relation = rel.concat(Relation::item(qualifier, None, columns));
        Ok(at)
    }

    /// The columns of the row expressions are bound over (the primary key columns are
    /// unnamed).
    pub fn row_columns(&mut self) -> Result<Vec<Column>> {
        Ok(self
            .binder
            .block()?
            .relation
            .columns
            .iter()
            .map(|c| Column {
                name: c.name.clone(),
                ty: c.ty,
            })
            .collect())
    }

    /// The names and types `RETURNING *` lists: the target's columns.
    pub fn star(&mut self) -> Result<Vec<(usize, Column)>> {
        let rel = &self.binder.block()?.relation;
        let Some(item) = rel.items.first() else {
            return Ok(Vec::new());
        };
        Ok(item
            .columns
            .iter()
            .map(|&i| {
                (
                    i,
                    Column {
                        name: rel.columns[i].name.clone(),
                        ty: rel.columns[i].ty,
                    },
                )
            })
            .collect())
    }

    /// Plans the target's rows (for an INSERT scope: no rows) together with every
    /// subquery bound so far.
    pub fn finish(mut self) -> Result<PhysicalPlan> {
        let mut columns = self.row_columns()?;
        let width = match &self.plan {
            Some(p) => p.width(),
            None => columns.len(),
        };
        columns.truncate(width);
        let plan = self.plan.take().unwrap_or(LogicalPlan::Values {
            rows: Vec::new(),
            width,
        });
        self.binder.blocks.pop();
        let subqueries = self.binder.into_subqueries()?;
        plan_query(BoundQuery {
            plan,
            columns,
            subqueries,
        })
    }
}
