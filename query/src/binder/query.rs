//! Query expressions: WITH [RECURSIVE], set operations, VALUES, and the ORDER BY and
//! LIMIT/OFFSET/FETCH of a query.
//!
//! Non-recursive CTEs are bound once and inlined at each reference (the plans are
//! deterministic, so inlining gives the single evaluation's rows). A recursive CTE
//! `base UNION [ALL] step` binds `base`, then `step` with the CTE's name reading the
//! previous round (a work table).

use std::collections::HashMap;

use covet_engine::value::SqlType;
use sqlparser::ast;

use super::ident_name;
use super::scope::{columns, Binder, Block, BlockKind, Clause, CteDef};
use crate::error::{QueryError, Result, SqlState};
use crate::expr::ScalarExpr;
use crate::plan::{LogicalPlan, SetOpKind, SortKey};
use crate::session::Column;
use crate::types::DataType;

/// The common type of two column types in a UNION, VALUES or CASE-like context.
pub(super) fn unify(a: DataType, b: DataType, what: &str) -> Result<DataType> {
    use DataType as T;
    Ok(match (a, b) {
        _ if a == b => a,
        (T::Unknown, t) | (t, T::Unknown) => t,
        (T::Float, t) | (t, T::Float) if t.is_numeric() => T::Float,
        (T::Decimal, t) | (t, T::Decimal) if t.is_numeric() => T::Decimal,
        (T::Timestamp, T::Date) | (T::Date, T::Timestamp) => T::Timestamp,
        (T::TimestampTz, T::Date | T::Timestamp) | (T::Date | T::Timestamp, T::TimestampTz) => {
            T::TimestampTz
        }
        (T::Json, T::Text) | (T::Text, T::Json) => T::Text,
        _ => {
            return Err(QueryError::new(
                SqlState::DATATYPE_MISMATCH,
                format!("{what} types {a} and {b} cannot be matched"),
            ))
        }
    })
}

/// `expr` cast to `to` when its type `from` differs.
fn coerce(expr: ScalarExpr, from: DataType, to: DataType) -> ScalarExpr {
    if from == to || to == DataType::Unknown {
        return expr;
    }
    ScalarExpr::Cast {
        expr: Box::new(expr),
        to: cast_target(to),
    }
}

fn cast_target(t: DataType) -> SqlType {
    t.default_sql_type()
}

/// Wraps `plan` in a projection casting the columns whose type differs from `to`.
fn coerce_plan(plan: LogicalPlan, from: &[Column], to: &[DataType]) -> LogicalPlan {
    if from.iter().zip(to).all(|(c, t)| c.ty == *t) {
        return plan;
    }
    let exprs = from
        .iter()
        .zip(to)
        .enumerate()
        .map(|(i, (c, t))| coerce(ScalarExpr::Column(i), c.ty, *t))
        .collect();
    LogicalPlan::Project {
        input: Box::new(plan),
        exprs,
    }
}

impl Binder<'_> {
    /// Binds a query; its top blocks relate to the enclosing block as `kind` says.
    pub(crate) fn bind_query(
        &mut self,
        query: &ast::Query,
        kind: BlockKind,
    ) -> Result<(LogicalPlan, Vec<Column>)> {
        if !query.locks.is_empty() {
            return Err(QueryError::unsupported("FOR UPDATE / FOR SHARE"));
        }
        if query.for_clause.is_some()
            || query.settings.is_some()
            || query.format_clause.is_some()
            || !query.pipe_operators.is_empty()
        {
            return Err(QueryError::unsupported(
                "FOR XML/JSON, SETTINGS, FORMAT or pipe operators",
            ));
        }
        let with_frame = query.with.is_some();
        if let Some(with) = &query.with {
            self.ctes.push(HashMap::new());
            if let Err(e) = self.bind_with(with, kind) {
                self.ctes.pop();
                return Err(e);
            }
        }
        let result = self.bind_query_body(query, kind);
        if with_frame {
            self.ctes.pop();
        }
        result
    }

    fn bind_query_body(
        &mut self,
        query: &ast::Query,
        kind: BlockKind,
    ) -> Result<(LogicalPlan, Vec<Column>)> {
        let mut relation = Default::default();
        let (mut plan, cols, hidden) = match &*query.body {
            ast::SetExpr::Select(s) => {
                let b = self.bind_select(s, query.order_by.as_ref(), kind)?;
                relation = b.relation;
                (b.plan, columns(&b.columns), b.hidden)
            }
            body => {
                let (plan, cols) = self.bind_set_expr(body, kind, false)?;
                let plan = match &query.order_by {
                    Some(o) => order_output(plan, &cols, o)?,
                    None => plan,
                };
                (plan, cols, 0)
            }
        };
        let (limit, offset) = self.bind_limit(query, kind, relation)?;
        if limit.is_some() || offset.is_some() {
            plan = LogicalPlan::Limit {
                input: Box::new(plan),
                limit,
                offset,
            };
        }
        if hidden > 0 {
            plan = LogicalPlan::Project {
                input: Box::new(plan),
                exprs: (0..cols.len()).map(ScalarExpr::Column).collect(),
            };
        }
        Ok((plan, cols))
    }

    /// LIMIT/OFFSET/FETCH, bound in a block of the query's kind (so outer columns get
    /// their depths) whose FROM columns are refused (42P10).
    fn bind_limit(
        &mut self,
        query: &ast::Query,
        kind: BlockKind,
        relation: super::scope::Relation,
    ) -> Result<(Option<ScalarExpr>, Option<ScalarExpr>)> {
        let (mut limit, mut offset) = (None, None);
        match &query.limit_clause {
            None => {}
            Some(ast::LimitClause::LimitOffset {
                limit: l,
                offset: o,
                limit_by,
            }) => {
                if !limit_by.is_empty() {
                    return Err(QueryError::unsupported("LIMIT BY"));
                }
                limit = l.as_ref();
                offset = o.as_ref().map(|o| &o.value);
            }
            Some(ast::LimitClause::OffsetCommaLimit {
                offset: o,
                limit: l,
            }) => {
                limit = Some(l);
                offset = Some(o);
            }
        }
        let one;
        if let Some(f) = &query.fetch {
            if f.with_ties || f.percent {
                return Err(QueryError::unsupported("FETCH … WITH TIES / PERCENT"));
            }
            if limit.is_some() {
                return Err(QueryError::syntax(
                    "LIMIT and FETCH cannot be used together",
                ));
            }
            one = ast::Expr::value(ast::Value::Number("1".into(), false));
            limit = Some(f.quantity.as_ref().unwrap_or(&one));
        }
        if limit.is_none() && offset.is_none() {
            return Ok((None, None));
        }
        let mut block = Block::new(kind);
        block.relation = relation;
        self.blocks.push(block);
        let bound = (|| -> Result<_> {
            let l = match limit {
                // LIMIT ALL parses as no limit expression.
                Some(e) => Some(self.bind(e, Clause::Constant)?.0),
                None => None,
            };
            let o = match offset {
                Some(e) => Some(self.bind(e, Clause::Constant)?.0),
                None => None,
            };
            Ok((l, o))
        })();
        self.blocks.pop();
        bound
    }

    /// Binds a query body. As an `operand` of a set operation, a column that is a quoted
    /// literal keeps the type `unknown`, so the other operand decides it (PostgreSQL:
    /// `SELECT 1 UNION SELECT '2'` is two integers).
    fn bind_set_expr(
        &mut self,
        body: &ast::SetExpr,
        kind: BlockKind,
        operand: bool,
    ) -> Result<(LogicalPlan, Vec<Column>)> {
        match body {
            ast::SetExpr::Select(s) => {
                let b = self.bind_select(s, None, kind)?;
                let mut cols = columns(&b.columns);
                if operand {
                    for (c, &lit) in cols.iter_mut().zip(&b.literal_text) {
                        if lit {
                            c.ty = DataType::Unknown;
                        }
                    }
                }
                Ok((b.plan, cols))
            }
            ast::SetExpr::Query(q) => self.bind_query(q, kind),
            ast::SetExpr::Values(v) => self.bind_values(v, kind, operand),
            ast::SetExpr::SetOperation {
                left,
                op,
                set_quantifier,
                right,
            } => {
                let (lp, lc) = self.bind_set_expr(left, kind, true)?;
                let (rp, rc) = self.bind_set_expr(right, kind, true)?;
                self.set_operation(lp, lc, *op, *set_quantifier, rp, rc)
            }
            ast::SetExpr::Table(t) => {
                let Some(name) = &t.table_name else {
                    return Err(QueryError::syntax("TABLE without a table name"));
                };
                let mut parts = Vec::new();
                if let Some(s) = &t.schema_name {
                    parts.push(s.clone());
                }
                parts.push(name.clone());
                let object = ast::ObjectName::from(parts);
                self.blocks.push(Block::new(kind));
                let bound = self.bind_table_name(&object, None);
                self.blocks.pop();
                let (plan, rel) = bound?;
                let cols = rel
                    .columns
                    .iter()
                    .map(|c| Column {
                        name: c.name.clone(),
                        ty: c.ty,
                    })
                    .collect();
                Ok((plan, cols))
            }
            ast::SetExpr::Insert(_)
            | ast::SetExpr::Update(_)
            | ast::SetExpr::Delete(_)
            | ast::SetExpr::Merge(_) => Err(QueryError::unsupported(
                "data-modifying statements inside a query",
            )),
        }
    }

    fn set_operation(
        &mut self,
        lp: LogicalPlan,
        lc: Vec<Column>,
        op: ast::SetOperator,
        quantifier: ast::SetQuantifier,
        rp: LogicalPlan,
        rc: Vec<Column>,
    ) -> Result<(LogicalPlan, Vec<Column>)> {
        let (kind, name) = match op {
            ast::SetOperator::Union => (SetOpKind::Union, "UNION"),
            ast::SetOperator::Intersect => (SetOpKind::Intersect, "INTERSECT"),
            ast::SetOperator::Except | ast::SetOperator::Minus => (SetOpKind::Except, "EXCEPT"),
        };
        let all = match quantifier {
            ast::SetQuantifier::All => true,
            ast::SetQuantifier::Distinct | ast::SetQuantifier::None => false,
            _ => return Err(QueryError::unsupported(format!("{name} BY NAME"))),
        };
        if lc.len() != rc.len() {
            return Err(QueryError::syntax(format!(
                "each {name} query must have the same number of columns"
            )));
        }
        // Two unknown columns (quoted literals, NULLs) resolve to text, as PostgreSQL.
        let types: Vec<DataType> = lc
            .iter()
            .zip(&rc)
            .map(|(a, b)| {
                unify(a.ty, b.ty, name).map(|t| {
                    if t == DataType::Unknown {
                        DataType::Text
                    } else {
                        t
                    }
                })
            })
            .collect::<Result<_>>()?;
        let left = coerce_plan(lp, &lc, &types);
        let right = coerce_plan(rp, &rc, &types);
        let cols = lc
            .into_iter()
            .zip(&types)
            .map(|(c, t)| Column {
                name: c.name,
                ty: *t,
            })
            .collect();
        Ok((
            LogicalPlan::SetOp {
                op: kind,
                all,
                left: Box::new(left),
                right: Box::new(right),
            },
            cols,
        ))
    }

    fn bind_values(
        &mut self,
        values: &ast::Values,
        kind: BlockKind,
        operand: bool,
    ) -> Result<(LogicalPlan, Vec<Column>)> {
        self.blocks.push(Block::new(kind));
        let bound = (|| -> Result<_> {
            let mut rows = Vec::with_capacity(values.rows.len());
            let mut types: Vec<DataType> = Vec::new();
            let mut row_types = Vec::with_capacity(values.rows.len());
            // Which columns hold a quoted literal (unknown until the others decide).
            let mut literal: Vec<bool> = Vec::new();
            for row in &values.rows {
                let exprs = &row.content;
                if !rows.is_empty() && exprs.len() != types.len() {
                    return Err(QueryError::syntax(
                        "VALUES lists must all be the same length",
                    ));
                }
                if rows.is_empty() {
                    types = vec![DataType::Unknown; exprs.len()];
                    literal = vec![false; exprs.len()];
                }
                let mut bound_row = Vec::with_capacity(exprs.len());
                let mut tys = Vec::with_capacity(exprs.len());
                for (i, e) in exprs.iter().enumerate() {
                    let (x, t) = self.bind(e, Clause::Values)?;
                    let t = if is_string_literal(e) {
                        literal[i] = true;
                        DataType::Unknown
                    } else {
                        t
                    };
                    types[i] = unify(types[i], t, "VALUES")?;
                    bound_row.push(x);
                    tys.push(t);
                }
                rows.push(bound_row);
                row_types.push(tys);
            }
            for (t, &lit) in types.iter_mut().zip(&literal) {
                if lit && *t == DataType::Unknown && !operand {
                    *t = DataType::Text;
                }
            }
            for (row, tys) in rows.iter_mut().zip(&row_types) {
                for ((x, t), target) in row.iter_mut().zip(tys).zip(&types) {
                    let text =
                        matches!(x, ScalarExpr::Literal(covet_engine::value::Value::Text(_)));
                    let t = if *t == DataType::Unknown && text {
                        &DataType::Text
                    } else {
                        t
                    };
                    if t != target && *t != DataType::Unknown && *target != DataType::Unknown {
                        *x = coerce(
                            std::mem::replace(
                                x,
                                ScalarExpr::Literal(covet_engine::value::Value::Null),
                            ),
                            *t,
                            *target,
                        );
                    }
                }
            }
            Ok((rows, types))
        })();
        self.blocks.pop();
        let (rows, types) = bound?;
        let width = types.len();
        let cols = types
            .into_iter()
            .enumerate()
            .map(|(i, ty)| Column {
                name: format!("column{}", i + 1),
                ty,
            })
            .collect();
        Ok((LogicalPlan::Values { rows, width }, cols))
    }

    fn bind_with(&mut self, with: &ast::With, kind: BlockKind) -> Result<()> {
        for cte in &with.cte_tables {
            if cte.from.is_some() {
                return Err(QueryError::unsupported("CTE … FROM"));
            }
            let name = ident_name(&cte.alias.name);
            if self.ctes.last().is_some_and(|f| f.contains_key(&name)) {
                return Err(QueryError::new(
                    SqlState::DUPLICATE_ALIAS,
                    format!("WITH query name \"{name}\" specified more than once"),
                ));
            }
            let aliases: Vec<String> = cte
                .alias
                .columns
                .iter()
                .map(|c| ident_name(&c.name))
                .collect();
            let height = self.blocks.len();
            let def = if with.recursive {
                self.bind_recursive_cte(&name, &aliases, &cte.query, kind)?
            } else {
                let (plan, cols) = self.bind_query(&cte.query, kind)?;
                cte_def(&name, plan, cols, &aliases, height)?
            };
            if let Some(frame) = self.ctes.last_mut() {
                frame.insert(name, def);
            }
        }
        Ok(())
    }

    fn bind_recursive_cte(
        &mut self,
        name: &str,
        aliases: &[String],
        query: &ast::Query,
        kind: BlockKind,
    ) -> Result<CteDef> {
        let height = self.blocks.len();
        let ast::SetExpr::SetOperation {
            left,
            op: ast::SetOperator::Union,
            set_quantifier,
            right,
        } = &*query.body
        else {
            // Not of the recursive form: an ordinary CTE (it cannot name itself).
            let (plan, cols) = self.bind_query(query, kind)?;
            return cte_def(name, plan, cols, aliases, height);
        };
        if query.order_by.is_some()
            || query.limit_clause.is_some()
            || query.fetch.is_some()
            || query.with.is_some()
        {
            return Err(QueryError::unsupported(
                "ORDER BY, LIMIT or WITH in a recursive query",
            ));
        }
        let union_all = match set_quantifier {
            ast::SetQuantifier::All => true,
            ast::SetQuantifier::Distinct | ast::SetQuantifier::None => false,
            _ => return Err(QueryError::unsupported("UNION BY NAME")),
        };
        let (base, base_cols) = self.bind_set_expr(left, kind, false)?;
        let cols = name_columns(name, &base_cols, aliases)?;
        let id = self.next_work_table;
        self.next_work_table += 1;
        if let Some(frame) = self.ctes.last_mut() {
            frame.insert(
                name.to_owned(),
                CteDef {
                    plan: LogicalPlan::WorkTable {
                        id,
                        width: cols.len(),
                    },
                    columns: cols.clone(),
                    work_table: Some(id),
                    correlated_at: None,
                },
            );
        }
        let step = self.bind_set_expr(right, kind, false);
        if let Some(frame) = self.ctes.last_mut() {
            frame.remove(name);
        }
        let (step, step_cols) = step?;
        if step_cols.len() != cols.len() {
            return Err(QueryError::syntax(
                "each UNION query must have the same number of columns",
            ));
        }
        let types: Vec<DataType> = cols.iter().map(|c| c.1).collect();
        for (c, t) in step_cols.iter().zip(&types) {
            if c.ty != *t && c.ty != DataType::Unknown && !(c.ty.is_numeric() && t.is_numeric()) {
                return Err(QueryError::new(
                    SqlState::DATATYPE_MISMATCH,
                    format!(
                        "recursive query \"{name}\" column has type {t} in non-recursive term but type {} overall",
                        c.ty
                    ),
                ));
            }
        }
        let step = coerce_plan(step, &step_cols, &types);
        let plan = if self.used_work_tables.contains(&id) {
            LogicalPlan::RecursiveCte {
                id,
                base: Box::new(base),
                step: Box::new(step),
                union_all,
            }
        } else {
            LogicalPlan::SetOp {
                op: SetOpKind::Union,
                all: union_all,
                left: Box::new(base),
                right: Box::new(step),
            }
        };
        let correlated_at = plan_reads_outer(&plan).then_some(height);
        Ok(CteDef {
            plan,
            columns: cols,
            work_table: None,
            correlated_at,
        })
    }
}

fn name_columns(
    name: &str,
    cols: &[Column],
    aliases: &[String],
) -> Result<Vec<(String, DataType)>> {
    if aliases.len() > cols.len() {
        return Err(QueryError::new(
            SqlState::INVALID_COLUMN_REFERENCE,
            format!(
                "WITH query \"{name}\" has {} columns available but {} columns specified",
                cols.len(),
                aliases.len()
            ),
        ));
    }
    Ok(cols
        .iter()
        .enumerate()
        .map(|(i, c)| {
            (
                aliases.get(i).cloned().unwrap_or_else(|| c.name.clone()),
                c.ty,
            )
        })
        .collect())
}

fn cte_def(
    name: &str,
    plan: LogicalPlan,
    cols: Vec<Column>,
    aliases: &[String],
    height: usize,
) -> Result<CteDef> {
    let columns = name_columns(name, &cols, aliases)?;
    let correlated_at = plan_reads_outer(&plan).then_some(height);
    Ok(CteDef {
        plan,
        columns,
        work_table: None,
        correlated_at,
    })
}

/// Whether `e` is a quoted string literal (type `unknown` in PostgreSQL).
fn is_string_literal(e: &ast::Expr) -> bool {
    matches!(
        e,
        ast::Expr::Value(v) if matches!(
            v.value,
            ast::Value::SingleQuotedString(_) | ast::Value::EscapedStringLiteral(_)
        )
    )
}

/// Whether any expression of `plan` reads an outer column.
pub(super) fn plan_reads_outer(plan: &LogicalPlan) -> bool {
    let mut found = false;
    plan.for_each_expr(&mut |e| found |= crate::plan::has_outer_column(e));
    found || plan.inputs().into_iter().any(plan_reads_outer)
}

/// ORDER BY over the output of a set operation or VALUES: output positions or names.
fn order_output(
    plan: LogicalPlan,
    cols: &[Column],
    order_by: &ast::OrderBy,
) -> Result<LogicalPlan> {
    let ast::OrderByKind::Expressions(exprs) = &order_by.kind else {
        return Err(QueryError::unsupported("ORDER BY ALL"));
    };
    let mut keys: Vec<SortKey> = Vec::new();
    for o in exprs {
        let k = match &o.expr {
            ast::Expr::Value(v) => match &v.value {
                ast::Value::Number(n, _) => {
                    let k: usize = n.parse().unwrap_or(0);
                    if k == 0 || k > cols.len() {
                        return Err(QueryError::new(
                            SqlState::INVALID_COLUMN_REFERENCE,
                            format!("ORDER BY position {n} is not in select list"),
                        ));
                    }
                    k - 1
                }
                _ => return Err(order_expr_error()),
            },
            ast::Expr::Identifier(i) => {
                let n = ident_name(i);
                cols.iter().position(|c| c.name == n).ok_or_else(|| {
                    QueryError::new(SqlState::UNDEFINED_COLUMN, format!("column \"{n}\" does not exist"))
                })?
            }
            ast::Expr::CompoundIdentifier(_) => {
                return Err(QueryError::new(
                    SqlState::FEATURE_NOT_SUPPORTED,
                    "missing FROM-clause entry: ORDER BY of a UNION/INTERSECT/EXCEPT result takes result column names",
                ))
            }
            _ => return Err(order_expr_error()),
        };
        keys.push(super::scope::sort_key(ScalarExpr::Column(k), &o.options)?);
    }
    Ok(LogicalPlan::Sort {
        input: Box::new(plan),
        keys,
    })
}

fn order_expr_error() -> QueryError {
    QueryError::unsupported(
        "ORDER BY on a UNION/INTERSECT/EXCEPT result is only allowed on result column names, not on expressions",
    )
}
