//! FROM: tables (and CTEs) with aliases, derived tables, LATERAL, and every join kind
//! (INNER, LEFT/RIGHT/FULL OUTER, CROSS, NATURAL, USING, comma).
//!
//! While a FROM is bound, the block's relation is the part built so far: a LATERAL item
//! and a join condition see exactly the items to their left. Comma items are bound one
//! by one and cross-joined; an item containing LATERAL is instead joined onto what is to
//! its left, so it can read it.
//!
//! USING and NATURAL merge each joined column pair into one column reachable without a
//! qualifier (the left copy for INNER/LEFT, the right for RIGHT, `COALESCE(l, r)` for
//! FULL, appended by a projection); `*` lists merged columns first, as PostgreSQL does.

use std::sync::Arc;

use sqlparser::ast;

use super::scope::{Binder, BlockKind, Clause, RelColumn, Relation};
use super::{ident_name, object_table_name};
use crate::catalog::ViewInfo;
use crate::error::{QueryError, Result, SqlState};
use crate::expr::{BinaryOp, ScalarExpr};
use crate::plan::{JoinKind, LogicalPlan};
use crate::types::DataType;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

impl Binder<'_> {
    /// Binds a FROM clause; leaves its relation in the innermost block.
    pub(super) fn bind_from(&mut self, from: &[ast::TableWithJoins]) -> Result<LogicalPlan> {
        let mut acc: Option<(LogicalPlan, Relation)> = None;
        for item in from {
            let next = if has_lateral(item) && acc.is_some() {
                self.bind_join_chain(item, acc.take())?
            } else {
                let (plan, rel) = self.bind_join_chain(item, None)?;
                match acc.take() {
                    None => (plan, rel),
                    Some((lp, lr)) => (
                        LogicalPlan::Join {
                            left: Box::new(lp),
                            right: Box::new(plan),
                            kind: JoinKind::Inner,
                            on: None,
                            lateral: false,
                        },
                        lr.concat(rel),
                    ),
                }
            };
            acc = Some(next);
        }
        let (plan, rel) = acc.ok_or_else(|| QueryError::internal("an empty FROM"))?;
        check_aliases(&rel)?;
        self.block()?.relation = rel;
        Ok(plan)
    }

    /// One comma item: a table factor and its joins, on top of `base` when given.
    fn bind_join_chain(
        &mut self,
        item: &ast::TableWithJoins,
        base: Option<(LogicalPlan, Relation)>,
    ) -> Result<(LogicalPlan, Relation)> {
        let (mut plan, mut rel) = match base {
            Some((bp, br)) => {
                self.block()?.relation = br.clone();
                let (p, r, lateral) = self.bind_factor(&item.relation, true)?;
                (
                    LogicalPlan::Join {
                        left: Box::new(bp),
                        right: Box::new(p),
                        kind: JoinKind::Inner,
                        on: None,
                        lateral,
                    },
                    br.concat(r),
                )
            }
            None => {
                self.block()?.relation = Relation::default();
                let (p, r, _) = self.bind_factor(&item.relation, false)?;
                (p, r)
            }
        };
        for join in &item.joins {
            if join.global {
                return Err(QueryError::unsupported("GLOBAL JOIN"));
            }
            let (kind, constraint) = join_kind(&join.join_operator)?;
            self.block()?.relation = rel.clone();
            let (right, rrel, lateral) = self.bind_factor(&join.relation, true)?;
            let lw = rel.columns.len();
            let mut combined = rel.clone().concat(rrel.clone());
            self.block()?.relation = combined.clone();
            let mut on = None;
            let using: Vec<String> = match constraint {
                ast::JoinConstraint::On(e) => {
                    on = Some(self.bind_condition(e, Clause::JoinCondition)?);
                    Vec::new()
                }
                ast::JoinConstraint::Using(names) => {
                    names.iter().map(object_table_name).collect::<Result<_>>()?
                }
                ast::JoinConstraint::Natural => natural_columns(&rel, &rrel),
                ast::JoinConstraint::None => Vec::new(),
                ast::JoinConstraint::UsingAlias(..) => {
                    return Err(QueryError::unsupported("JOIN … USING (…) AS alias"))
                }
            };
            let mut plan_join = LogicalPlan::Join {
                left: Box::new(plan),
                right: Box::new(right),
                kind,
                on: None,
                lateral,
            };
            if !using.is_empty() {
                let (cond, merged) = merge_using(&mut combined, &rel, &rrel, lw, &using, kind)?;
                on = Some(cond);
                if let Some(coalesced) = merged {
                    // FULL JOIN: the merged columns are computed above the join.
                    if let LogicalPlan::Join { on: o, .. } = &mut plan_join {
                        *o = on.take();
                    }
                    let width = lw + rrel.columns.len();
                    let mut exprs: Vec<ScalarExpr> = (0..width).map(ScalarExpr::Column).collect();
                    exprs.extend(coalesced);
                    plan_join = LogicalPlan::Project {
                        input: Box::new(plan_join),
                        exprs,
                    };
                }
            }
            if let LogicalPlan::Join { on: o, .. } = &mut plan_join {
                if o.is_none() {
                    *o = on;
                }
            }
            plan = plan_join;
            rel = combined;
        }
        Ok((plan, rel))
    }

    /// A table factor: its plan, relation, and whether it is LATERAL (reads the items
    /// to its left; only when `has_left`).
    fn bind_factor(
        &mut self,
        factor: &ast::TableFactor,
        has_left: bool,
    ) -> Result<(LogicalPlan, Relation, bool)> {
        match factor {
            ast::TableFactor::Table {
                name,
                alias,
                args,
                with_hints,
                version,
                with_ordinality,
                partitions,
                json_path,
                sample,
                index_directives,
                inheritance,
            } => {
                if args.is_some() {
                    return Err(QueryError::unsupported(format!("table function {name}")));
                }
                // TABLESAMPLE is named on its own: it is the modifier PostgreSQL users
                // write.
                if sample.is_some() {
                    return Err(QueryError::unsupported(format!("TABLESAMPLE on {name}")));
                }
                if !with_hints.is_empty()
                    || version.is_some()
                    || *with_ordinality
                    || !partitions.is_empty()
                    || json_path.is_some()
                    || sample.is_some()
                    || !index_directives.is_empty()
                    || inheritance.is_some()
                {
                    return Err(QueryError::unsupported(format!(
                        "table modifiers on {name}"
                    )));
                }
                let (plan, rel) = self.bind_table_name(name, alias.as_ref())?;
                Ok((plan, rel, false))
            }
            ast::TableFactor::Derived {
                lateral,
                subquery,
                alias,
                sample,
            } => {
                if sample.is_some() {
                    return Err(QueryError::unsupported("TABLESAMPLE"));
                }
                let lateral = *lateral && has_left;
                let kind = if lateral {
                    BlockKind::Lateral
                } else {
                    BlockKind::Inline
                };
                let saved = std::mem::take(&mut self.block()?.relation);
                if lateral {
                    self.block()?.relation = saved.clone();
                }
                let bound = self.bind_query(subquery, kind);
                self.block()?.relation = saved;
                let (plan, columns) = bound?;
                let qualifier = alias
                    .as_ref()
                    .map(|a| ident_name(&a.name))
                    .unwrap_or_else(|| "?subquery?".to_owned());
                let cols = columns.into_iter().map(|c| (c.name, c.ty)).collect();
                let cols = rename_columns(cols, alias.as_ref(), &qualifier)?;
                Ok((plan, Relation::item(&qualifier, None, cols), lateral))
            }
            ast::TableFactor::NestedJoin {
                table_with_joins,
                alias,
            } => {
                let saved = std::mem::take(&mut self.block()?.relation);
                let bound = self.bind_join_chain(table_with_joins, None);
                self.block()?.relation = saved;
                let (plan, mut rel) = bound?;
                if let Some(a) = alias {
                    // `(a JOIN b) AS j`: only `j` qualifies the columns now.
                    let q = ident_name(&a.name);
                    let cols: Vec<(String, DataType)> = rel
                        .star
                        .iter()
                        .map(|&i| (rel.columns[i].name.clone(), rel.columns[i].ty))
                        .collect();
                    let cols = rename_columns(cols, Some(a), &q)?;
                    let exprs = rel.star.iter().map(|&i| ScalarExpr::Column(i)).collect();
                    rel = Relation::item(&q, None, cols);
                    return Ok((
                        LogicalPlan::Project {
                            input: Box::new(plan),
                            exprs,
                        },
                        rel,
                        false,
                    ));
                }
                Ok((plan, rel, false))
            }
            other => Err(QueryError::unsupported(format!("FROM item {other}"))),
        }
    }

    /// A table or CTE by name.
    pub(super) fn bind_table_name(
        &mut self,
        name: &ast::ObjectName,
        alias: Option<&ast::TableAlias>,
    ) -> Result<(LogicalPlan, Relation)> {
        let table_name = object_table_name(name)?;
        let qualifier = alias
            .map(|a| ident_name(&a.name))
            .unwrap_or_else(|| table_name.clone());
        if name.0.len() == 1 {
            if let Some(cte) = self.cte(&table_name).cloned() {
                let plan = match cte.work_table {
                    Some(id) => {
                        self.used_work_tables.insert(id);
                        LogicalPlan::WorkTable {
                            id,
                            width: cte.columns.len(),
                        }
                    }
                    None => {
                        if cte
                            .correlated_at
                            .is_some_and(|h| h + 1 != self.blocks.len())
                        {
                            return Err(QueryError::unsupported(
                                "a CTE that reads outer columns, referenced from a nested query",
                            ));
                        }
                        cte.plan
                    }
                };
                let cols = rename_columns(cte.columns, alias, &qualifier)?;
                return Ok((plan, Relation::item(&qualifier, None, cols)));
            }
        }
        self.relations.push(table_name.clone());
        if let Some(view) = self.catalog.view(&table_name).cloned() {
            let (plan, cols) = self.bind_view(&view)?;
            let cols = rename_columns(cols, alias, &qualifier)?;
            return Ok((plan, Relation::item(&qualifier, None, cols)));
        }
        let Some(table) = self.catalog.table(&table_name).cloned() else {
            return Err(QueryError::new(
                SqlState::UNDEFINED_TABLE,
                format!("relation \"{table_name}\" does not exist"),
            ));
        };
        let cols = table
            .columns
            .iter()
            .map(|c| (c.name.clone(), c.data_type()))
            .collect();
        let cols = rename_columns(cols, alias, &qualifier)?;
        let rel = Relation::item(&qualifier, Some(table.clone()), cols);
        Ok((
            LogicalPlan::Scan {
                table: Arc::clone(&table),
                alias: qualifier,
                with_pk: false,
            },
            rel,
        ))
    }
}

/// How many views may nest inside each other (a guard against a view that reads
/// itself through others).
const MAX_VIEW_DEPTH: usize = 32;

impl Binder<'_> {
    /// Binds a view's query where it is used: on its own (no outer blocks, no CTEs of
    /// the referencing query), inlined like a derived table.
    fn bind_view(&mut self, view: &ViewInfo) -> Result<(LogicalPlan, Vec<(String, DataType)>)> {
        if self.view_depth >= MAX_VIEW_DEPTH {
            return Err(QueryError::new(
                SqlState::STATEMENT_TOO_COMPLEX,
                format!("view \"{}\" nests more than {MAX_VIEW_DEPTH} views deep (does it read itself?)", view.name),
            ));
        }
        let mut stmts = Parser::parse_sql(&PostgreSqlDialect {}, &view.sql).map_err(|e| {
            QueryError::new(
                SqlState::DATA_CORRUPTED,
                format!(
                    "the stored query of view \"{}\" does not parse: {e}",
                    view.name
                ),
            )
        })?;
        let query = match (stmts.len(), stmts.pop()) {
            (1, Some(ast::Statement::Query(q))) => q,
            _ => {
                return Err(QueryError::new(
                    SqlState::DATA_CORRUPTED,
                    format!("the stored text of view \"{}\" is not one query", view.name),
                ))
            }
        };
        let blocks = std::mem::take(&mut self.blocks);
        let ctes = std::mem::take(&mut self.ctes);
        let frames = self.take_frames();
        self.view_depth += 1;
        let bound = self.bind_query(&query, BlockKind::Subquery);
        self.view_depth -= 1;
        self.blocks = blocks;
        self.ctes = ctes;
        self.restore_frames(frames);
        let (plan, columns) = bound?;
        let mut cols: Vec<(String, DataType)> =
            columns.into_iter().map(|c| (c.name, c.ty)).collect();
        for (c, name) in cols.iter_mut().zip(&view.columns) {
            c.0 = name.clone();
        }
        Ok((plan, cols))
    }
}

/// Applies an alias's column list (`AS x(a, b)`) to `cols`.
pub(super) fn rename_columns(
    mut cols: Vec<(String, DataType)>,
    alias: Option<&ast::TableAlias>,
    qualifier: &str,
) -> Result<Vec<(String, DataType)>> {
    let Some(a) = alias else { return Ok(cols) };
    if a.columns.len() > cols.len() {
        return Err(QueryError::new(
            SqlState::INVALID_COLUMN_REFERENCE,
            format!(
                "table \"{qualifier}\" has {} columns available but {} columns specified",
                cols.len(),
                a.columns.len()
            ),
        ));
    }
    for (c, new) in cols.iter_mut().zip(&a.columns) {
        if new.data_type.is_some() {
            return Err(QueryError::unsupported("column types in a table alias"));
        }
        c.0 = ident_name(&new.name);
    }
    Ok(cols)
}

fn has_lateral(item: &ast::TableWithJoins) -> bool {
    let lateral =
        |f: &ast::TableFactor| matches!(f, ast::TableFactor::Derived { lateral: true, .. });
    lateral(&item.relation) || item.joins.iter().any(|j| lateral(&j.relation))
}

fn join_kind(op: &ast::JoinOperator) -> Result<(JoinKind, &ast::JoinConstraint)> {
    use ast::JoinOperator as J;
    Ok(match op {
        J::Join(c) | J::Inner(c) => (JoinKind::Inner, c),
        J::Left(c) | J::LeftOuter(c) => (JoinKind::Left, c),
        J::Right(c) | J::RightOuter(c) => (JoinKind::Right, c),
        J::FullOuter(c) => (JoinKind::Full, c),
        J::CrossJoin(c) => (JoinKind::Inner, c),
        other => return Err(QueryError::unsupported(format!("join operator {other:?}"))),
    })
}

/// The column names both sides of a NATURAL join have (left order).
fn natural_columns(left: &Relation, right: &Relation) -> Vec<String> {
    let visible = |r: &Relation| -> Vec<String> {
        r.star.iter().map(|&i| r.columns[i].name.clone()).collect()
    };
    let rnames = visible(right);
    let mut out = Vec::new();
    for n in visible(left) {
        if rnames.contains(&n) && !out.contains(&n) {
            out.push(n);
        }
    }
    out
}

fn find_unqualified(rel: &Relation, name: &str, side: &str) -> Result<(usize, DataType)> {
    let found: Vec<usize> = rel
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.unqualified && c.name == name)
        .map(|(i, _)| i)
        .collect();
    match found.as_slice() {
        [i] => Ok((*i, rel.columns[*i].ty)),
        [] => Err(QueryError::new(
            SqlState::UNDEFINED_COLUMN,
            format!("column \"{name}\" specified in USING clause does not exist in {side} table"),
        )),
        _ => Err(QueryError::new(
            SqlState::AMBIGUOUS_COLUMN,
            format!("common column name \"{name}\" appears more than once in {side} table"),
        )),
    }
}

/// Builds the USING condition and merges the column pairs in `combined`; for FULL
/// joins returns the COALESCE expressions appended after the join's columns.
fn merge_using(
    combined: &mut Relation,
    left: &Relation,
    right: &Relation,
    lw: usize,
    names: &[String],
    kind: JoinKind,
) -> Result<(ScalarExpr, Option<Vec<ScalarExpr>>)> {
    let mut conds = Vec::new();
    let mut merged_positions = Vec::new();
    let mut hidden = Vec::new();
    let mut coalesced = Vec::new();
    let width = combined.columns.len();
    for name in names {
        let (l, lt) = find_unqualified(left, name, "left")?;
        let (r, rt) = find_unqualified(right, name, "right")?;
        let r = r + lw;
        let compatible = lt == rt
            || lt == DataType::Unknown
            || rt == DataType::Unknown
            || (lt.is_numeric() && rt.is_numeric());
        if !compatible {
            return Err(QueryError::new(
                SqlState::DATATYPE_MISMATCH,
                format!("JOIN/USING types {lt} and {rt} cannot be matched"),
            ));
        }
        conds.push(ScalarExpr::Binary {
            op: BinaryOp::Eq,
            left: Box::new(ScalarExpr::Column(l)),
            right: Box::new(ScalarExpr::Column(r)),
        });
        match kind {
            JoinKind::Right => {
                combined.columns[l].unqualified = false;
                merged_positions.push(r);
                hidden.push(l);
            }
            JoinKind::Full => {
                combined.columns[l].unqualified = false;
                combined.columns[r].unqualified = false;
                let at = width + coalesced.len();
                coalesced.push(ScalarExpr::Coalesce(vec![
                    ScalarExpr::Column(l),
                    ScalarExpr::Column(r),
                ]));
                combined.columns.push(RelColumn {
                    qualifier: None,
                    name: name.clone(),
                    ty: if lt == DataType::Unknown { rt } else { lt },
                    unqualified: true,
                });
                merged_positions.push(at);
                hidden.push(l);
                hidden.push(r);
            }
            _ => {
                combined.columns[r].unqualified = false;
                merged_positions.push(l);
                hidden.push(r);
            }
        }
    }
    let mut star = merged_positions.clone();
    star.extend(
        combined
            .star
            .iter()
            .copied()
            .filter(|i| !hidden.contains(i) && !merged_positions.contains(i)),
    );
    combined.star = star;
    let cond = crate::plan::conjoin(conds).ok_or_else(|| QueryError::internal("empty USING"))?;
    Ok((cond, (kind == JoinKind::Full).then_some(coalesced)))
}

/// 42712 when two FROM items share an alias.
fn check_aliases(rel: &Relation) -> Result<()> {
    for (i, a) in rel.items.iter().enumerate() {
        if a.qualifier == "?subquery?" {
            continue;
        }
        if rel.items[..i].iter().any(|b| b.qualifier == a.qualifier) {
            return Err(QueryError::new(
                SqlState::DUPLICATE_ALIAS,
                format!("table name \"{}\" specified more than once", a.qualifier),
            ));
        }
    }
    Ok(())
}
