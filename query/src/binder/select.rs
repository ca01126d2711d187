//! One SELECT block: FROM, WHERE, GROUP BY / HAVING, aggregates, windows, the select
//! list, DISTINCT, and the ORDER BY of the query it heads.
//!
//! The plan it builds, bottom up: FROM → Filter(WHERE) → Aggregate → Filter(HAVING) →
//! Window… → Project(select list ++ hidden ORDER BY keys) → Distinct → Sort. The caller
//! applies LIMIT and then drops the hidden columns.

use sqlparser::ast;

use super::grouping::{rewrite_grouped, rewrite_windows};
use super::ident_name;
use super::scope::{sort_key, Binder, Block, BlockKind, Clause, AGG_BASE};
use crate::error::{QueryError, Result, SqlState};
use crate::expr::ScalarExpr;
use crate::plan::{LogicalPlan, SortKey, WindowCall};
use crate::types::DataType;

/// A bound SELECT block.
pub(super) struct BoundSelect {
    pub plan: LogicalPlan,
    pub columns: Vec<(String, DataType)>,
    /// Trailing columns of `plan` that only ORDER BY needs.
    pub hidden: usize,
    /// The FROM relation (LIMIT sees its names only to refuse them, as PostgreSQL).
    pub relation: super::scope::Relation,
    /// Which output columns are a quoted literal (unknown-typed in a set operation).
    pub literal_text: Vec<bool>,
}

/// An integer literal (`GROUP BY 1`, `ORDER BY 2`).
fn position_literal(e: &ast::Expr) -> Option<&str> {
    match e {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::Number(n, _) => Some(n.as_str()),
            _ => None,
        },
        _ => None,
    }
}

fn bare_identifier(e: &ast::Expr) -> Option<String> {
    match e {
        ast::Expr::Identifier(i) => Some(ident_name(i)),
        _ => None,
    }
}

/// PostgreSQL's name of an unaliased select-list expression.
pub(super) fn output_name(e: &ast::Expr) -> String {
    match e {
        ast::Expr::Identifier(i) => ident_name(i),
        ast::Expr::CompoundIdentifier(parts) => parts.last().map(ident_name).unwrap_or_default(),
        ast::Expr::Nested(inner) => output_name(inner),
        ast::Expr::Function(f) => super::scope::function_name(f),
        ast::Expr::Cast { expr, .. } => match &**expr {
            ast::Expr::Identifier(_) | ast::Expr::CompoundIdentifier(_) => output_name(expr),
            _ => "?column?".to_owned(),
        },
        ast::Expr::Case { .. } => "case".to_owned(),
        ast::Expr::Exists { .. } => "exists".to_owned(),
        _ => "?column?".to_owned(),
    }
}

fn check_unsupported(s: &ast::Select) -> Result<()> {
    let feature = if s.top.is_some() {
        Some("TOP")
    } else if s.into.is_some() {
        Some("SELECT INTO")
    } else if !s.lateral_views.is_empty() {
        Some("LATERAL VIEW")
    } else if s.prewhere.is_some() {
        Some("PREWHERE")
    } else if !s.connect_by.is_empty() {
        Some("CONNECT BY")
    } else if !s.cluster_by.is_empty() || !s.distribute_by.is_empty() || !s.sort_by.is_empty() {
        Some("CLUSTER BY / DISTRIBUTE BY / SORT BY")
    } else if s.qualify.is_some() {
        Some("QUALIFY")
    } else if s.value_table_mode.is_some() {
        Some("SELECT AS VALUE/STRUCT")
    } else if s.exclude.is_some() {
        Some("EXCLUDE")
    } else if s.select_modifiers.is_some() {
        Some("SELECT modifiers")
    } else if !s.optimizer_hints.is_empty() {
        Some("optimizer hints")
    } else if !matches!(s.flavor, ast::SelectFlavor::Standard) {
        Some("FROM-first SELECT")
    } else {
        None
    };
    match feature {
        Some(f) => Err(QueryError::unsupported(f)),
        None => Ok(()),
    }
}

/// A select item after binding: expression, name.
struct Item {
    expr: ScalarExpr,
    name: String,
    ty: DataType,
    /// The AST it came from (for GROUP BY positions and aliases); `None` for `*`.
    ast: Option<ast::Expr>,
}

impl Binder<'_> {
    /// Binds a SELECT block with the ORDER BY of its query.
    pub(super) fn bind_select(
        &mut self,
        select: &ast::Select,
        order_by: Option<&ast::OrderBy>,
        kind: BlockKind,
    ) -> Result<BoundSelect> {
        self.blocks.push(Block::new(kind));
        let bound = self.bind_select_in_block(select, order_by);
        let block = self.blocks.pop();
        let mut bound = bound?;
        if let Some(b) = block {
            bound.relation = b.relation;
        }
        Ok(bound)
    }

    fn bind_select_in_block(
        &mut self,
        select: &ast::Select,
        order_by: Option<&ast::OrderBy>,
    ) -> Result<BoundSelect> {
        check_unsupported(select)?;
        for ast::NamedWindowDefinition(name, def) in &select.named_window {
            let spec = match def {
                ast::NamedWindowExpr::WindowSpec(s) => s.clone(),
                ast::NamedWindowExpr::NamedWindow(other) => {
                    let o = ident_name(other);
                    self.block()?
                        .named_windows
                        .get(&o)
                        .cloned()
                        .ok_or_else(|| {
                            QueryError::new(
                                SqlState::UNDEFINED_OBJECT,
                                format!("window \"{o}\" does not exist"),
                            )
                        })?
                }
            };
            self.block()?.named_windows.insert(ident_name(name), spec);
        }
        // FROM and WHERE.
        let mut plan = if select.from.is_empty() {
            LogicalPlan::Values {
                rows: vec![vec![]],
                width: 0,
            }
        } else {
            self.bind_from(&select.from)?
        };
        if let Some(w) = &select.selection {
            let predicate = self.bind_condition(w, Clause::Where)?;
            plan = LogicalPlan::Filter {
                input: Box::new(plan),
                predicate,
            };
        }
        let distinct = match &select.distinct {
            None | Some(ast::Distinct::All) => false,
            Some(ast::Distinct::Distinct) => true,
            Some(ast::Distinct::On(_)) => return Err(QueryError::unsupported("DISTINCT ON")),
        };
        // GROUP BY, before the select list: subqueries in the select list read grouped
        // columns from the aggregate's output.
        let group_exprs = match &select.group_by {
            ast::GroupByExpr::All(_) => return Err(QueryError::unsupported("GROUP BY ALL")),
            ast::GroupByExpr::Expressions(exprs, modifiers) => {
                if !modifiers.is_empty() {
                    return Err(QueryError::unsupported(
                        "GROUP BY modifiers (ROLLUP, CUBE, TOTALS)",
                    ));
                }
                exprs
            }
        };
        let has_group_by = !group_exprs.is_empty();
        if has_group_by {
            let keys = self.bind_group_by(group_exprs, &select.projection)?;
            self.block()?.group_keys = Some(keys);
        }
        // The select list, HAVING and ORDER BY read the aggregate's output.
        self.block()?.post_aggregate = true;
        let mut items = self.bind_projection(&select.projection)?;
        let having = match &select.having {
            Some(h) => Some(self.bind_condition(h, Clause::Having)?),
            None => None,
        };
        let (order, hidden) = self.bind_select_order(order_by, &items, distinct)?;
        let block = self.block()?;
        let aggregated = has_group_by || !block.aggregates.is_empty() || having.is_some();
        if aggregated && !has_group_by {
            if let Some(name) = block.ungrouped_outer_ref.take() {
                return Err(super::scope::grouping_error(&name));
            }
        }
        let keys = block.group_keys.take().unwrap_or_default();
        let aggregates = std::mem::take(&mut block.aggregates);
        let mut windows = std::mem::take(&mut block.windows);
        let names: Vec<String> = block
            .relation
            .columns
            .iter()
            .map(|c| match &c.qualifier {
                Some(q) => format!("{q}.{}", c.name),
                None => c.name.clone(),
            })
            .collect();
        let name = |i: usize| names.get(i).cloned().unwrap_or_else(|| format!("#{i}"));
        let mut hidden_exprs = hidden;
        let mut having = having;
        if aggregated {
            for it in &mut items {
                rewrite_grouped(&mut it.expr, &keys, &name)?;
            }
            for e in &mut hidden_exprs {
                rewrite_grouped(e, &keys, &name)?;
            }
            if let Some(h) = &mut having {
                rewrite_grouped(h, &keys, &name)?;
            }
            for w in &mut windows {
                rewrite_window_call(w, &keys, &name)?;
            }
            plan = LogicalPlan::Aggregate {
                input: Box::new(plan),
                group: keys,
                aggregates,
            };
        }
        if let Some(predicate) = having {
            plan = LogicalPlan::Filter {
                input: Box::new(plan),
                predicate,
            };
        }
        if !windows.is_empty() {
            let (p, positions) = plan_windows(plan, windows);
            plan = p;
            for it in &mut items {
                rewrite_windows(&mut it.expr, &positions);
            }
            for e in &mut hidden_exprs {
                rewrite_windows(e, &positions);
            }
        }
        let visible = items.len();
        let literal_text: Vec<bool> = items
            .iter()
            .map(|i| {
                matches!(&i.ast, Some(ast::Expr::Value(v)) if matches!(
                    v.value,
                    ast::Value::SingleQuotedString(_) | ast::Value::EscapedStringLiteral(_)
                ))
            })
            .collect();
        let columns: Vec<(String, DataType)> =
            items.iter().map(|i| (i.name.clone(), i.ty)).collect();
        let mut exprs: Vec<ScalarExpr> = items.into_iter().map(|i| i.expr).collect();
        let hidden_count = hidden_exprs.len();
        exprs.extend(hidden_exprs);
        plan = LogicalPlan::Project {
            input: Box::new(plan),
            exprs,
        };
        if distinct {
            plan = LogicalPlan::Distinct {
                input: Box::new(plan),
            };
        }
        if !order.is_empty() {
            let keys = order
                .into_iter()
                .map(|(target, mut key)| {
                    key.expr = ScalarExpr::Column(match target {
                        OrderTarget::Output(k) => k,
                        OrderTarget::Hidden(h) => visible + h,
                    });
                    key
                })
                .collect();
            plan = LogicalPlan::Sort {
                input: Box::new(plan),
                keys,
            };
        }
        Ok(BoundSelect {
            plan,
            columns,
            hidden: hidden_count,
            relation: Default::default(),
            literal_text,
        })
    }

    /// GROUP BY keys over the FROM row (positions and output aliases refer to the select
    /// list), plus the columns functionally dependent on a grouped primary key.
    fn bind_group_by(
        &mut self,
        exprs: &[ast::Expr],
        projection: &[ast::SelectItem],
    ) -> Result<Vec<ScalarExpr>> {
        let mut keys: Vec<ScalarExpr> = Vec::new();
        for e in exprs {
            if matches!(
                e,
                ast::Expr::Rollup(_) | ast::Expr::Cube(_) | ast::Expr::GroupingSets(_)
            ) {
                return Err(QueryError::unsupported("ROLLUP, CUBE and GROUPING SETS"));
            }
            let target: &ast::Expr = if let Some(n) = position_literal(e) {
                let k: usize = n.parse().unwrap_or(0);
                match projection.get(k.wrapping_sub(1)) {
                    Some(ast::SelectItem::UnnamedExpr(x))
                    | Some(ast::SelectItem::ExprWithAlias { expr: x, .. }) => x,
                    _ => {
                        return Err(QueryError::new(
                            SqlState::INVALID_COLUMN_REFERENCE,
                            format!("GROUP BY position {n} is not in select list"),
                        ))
                    }
                }
            } else if let Some(name) = bare_identifier(e) {
                // An input column wins over an output alias (SQL92's rule, as PostgreSQL).
                let is_input = self
                    .block()?
                    .relation
                    .columns
                    .iter()
                    .any(|c| c.unqualified && c.name == name);
                let alias = projection.iter().find_map(|p| match p {
                    ast::SelectItem::ExprWithAlias { expr, alias } if ident_name(alias) == name => {
                        Some(expr)
                    }
                    _ => None,
                });
                match alias {
                    Some(x) if !is_input => x,
                    _ => e,
                }
            } else {
                e
            };
            let (k, _) = self.bind(target, Clause::GroupBy)?;
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        // Functional dependency: grouping by a table's whole primary key groups by every
        // column of that table.
        let rel = &self.block()?.relation;
        let mut extra = Vec::new();
        for item in &rel.items {
            let Some(table) = &item.table else { continue };
            let Some(pk) = &table.primary_key else {
                continue;
            };
            let grouped = pk.iter().all(|&p| {
                item.columns
                    .get(p)
                    .is_some_and(|&pos| keys.contains(&ScalarExpr::Column(pos)))
            });
            if grouped {
                for &pos in &item.columns {
                    let c = ScalarExpr::Column(pos);
                    if !keys.contains(&c) && !extra.contains(&c) {
                        extra.push(c);
                    }
                }
            }
        }
        keys.extend(extra);
        Ok(keys)
    }

    fn bind_projection(&mut self, projection: &[ast::SelectItem]) -> Result<Vec<Item>> {
        let mut items = Vec::new();
        for p in projection {
            match p {
                ast::SelectItem::UnnamedExpr(e) => {
                    let (expr, ty) = self.bind(e, Clause::Select)?;
                    items.push(Item {
                        expr,
                        name: output_name(e),
                        ty,
                        ast: Some(e.clone()),
                    });
                }
                ast::SelectItem::ExprWithAlias { expr: e, alias } => {
                    let (expr, ty) = self.bind(e, Clause::Select)?;
                    items.push(Item {
                        expr,
                        name: ident_name(alias),
                        ty,
                        ast: Some(e.clone()),
                    });
                }
                ast::SelectItem::ExprWithAliases { .. } => {
                    return Err(QueryError::unsupported(
                        "multiple aliases for one select item",
                    ))
                }
                ast::SelectItem::Wildcard(opts) => {
                    check_wildcard(opts)?;
                    let rel = &self.block()?.relation;
                    if rel.columns.is_empty() {
                        return Err(QueryError::syntax(
                            "SELECT * with no tables specified is not valid",
                        ));
                    }
                    for &i in &rel.star {
                        items.push(Item {
                            expr: ScalarExpr::Column(i),
                            name: rel.columns[i].name.clone(),
                            ty: rel.columns[i].ty,
                            ast: None,
                        });
                    }
                }
                ast::SelectItem::QualifiedWildcard(kind, opts) => {
                    check_wildcard(opts)?;
                    let ast::SelectItemQualifiedWildcardKind::ObjectName(name) = kind else {
                        return Err(QueryError::unsupported("expression.*"));
                    };
                    let q = super::object_table_name(name)?;
                    let rel = &self.block()?.relation;
                    let Some(item) = rel.items.iter().find(|i| i.qualifier == q) else {
                        return Err(QueryError::new(
                            SqlState::UNDEFINED_TABLE,
                            format!("missing FROM-clause entry for table \"{q}\""),
                        ));
                    };
                    for &i in &item.columns {
                        items.push(Item {
                            expr: ScalarExpr::Column(i),
                            name: rel.columns[i].name.clone(),
                            ty: rel.columns[i].ty,
                            ast: None,
                        });
                    }
                }
            }
        }
        Ok(items)
    }

    /// ORDER BY of a SELECT: output positions and names first (PostgreSQL), else
    /// expressions over the block (hidden columns unless equal to a select item).
    fn bind_select_order(
        &mut self,
        order_by: Option<&ast::OrderBy>,
        items: &[Item],
        distinct: bool,
    ) -> Result<OrderItems> {
        let Some(order_by) = order_by else {
            return Ok((Vec::new(), Vec::new()));
        };
        let exprs = match &order_by.kind {
            ast::OrderByKind::Expressions(e) => e,
            ast::OrderByKind::All(_) => return Err(QueryError::unsupported("ORDER BY ALL")),
        };
        if order_by.interpolate.is_some() {
            return Err(QueryError::unsupported("INTERPOLATE"));
        }
        let mut out = Vec::new();
        let mut hidden: Vec<ScalarExpr> = Vec::new();
        for o in exprs {
            if o.with_fill.is_some() {
                return Err(QueryError::unsupported("WITH FILL"));
            }
            let placeholder = sort_key(ScalarExpr::Column(0), &o.options)?;
            if let Some(n) = position_literal(&o.expr) {
                let k: usize = n.parse().unwrap_or(0);
                if k == 0 || k > items.len() {
                    return Err(QueryError::new(
                        SqlState::INVALID_COLUMN_REFERENCE,
                        format!("ORDER BY position {n} is not in select list"),
                    ));
                }
                out.push((OrderTarget::Output(k - 1), placeholder));
                continue;
            }
            if let Some(name) = bare_identifier(&o.expr) {
                let matching: Vec<usize> = items
                    .iter()
                    .enumerate()
                    .filter(|(_, it)| it.name == name)
                    .map(|(i, _)| i)
                    .collect();
                if let Some(&first) = matching.first() {
                    if matching.iter().any(|&i| items[i].expr != items[first].expr) {
                        return Err(QueryError::new(
                            SqlState::AMBIGUOUS_COLUMN,
                            format!("ORDER BY \"{name}\" is ambiguous"),
                        ));
                    }
                    out.push((OrderTarget::Output(first), placeholder));
                    continue;
                }
            }
            let (expr, _) = self.bind(&o.expr, Clause::OrderBy)?;
            if let Some(k) = items.iter().position(|it| it.expr == expr) {
                out.push((OrderTarget::Output(k), placeholder));
                continue;
            }
            if distinct {
                return Err(QueryError::new(
                    SqlState::INVALID_COLUMN_REFERENCE,
                    "for SELECT DISTINCT, ORDER BY expressions must appear in select list",
                ));
            }
            let h = match hidden.iter().position(|e| *e == expr) {
                Some(h) => h,
                None => {
                    hidden.push(expr);
                    hidden.len() - 1
                }
            };
            out.push((OrderTarget::Hidden(h), placeholder));
        }
        Ok((out, hidden))
    }
}

/// ORDER BY keys (with what each sorts by) and the hidden columns they need.
type OrderItems = (Vec<(OrderTarget, SortKey)>, Vec<ScalarExpr>);

/// What an ORDER BY key sorts by.
enum OrderTarget {
    /// A select-list column.
    Output(usize),
    /// A hidden column after the select list.
    Hidden(usize),
}

fn check_wildcard(opts: &ast::WildcardAdditionalOptions) -> Result<()> {
    if opts.opt_ilike.is_some()
        || opts.opt_exclude.is_some()
        || opts.opt_except.is_some()
        || opts.opt_replace.is_some()
        || opts.opt_rename.is_some()
    {
        return Err(QueryError::unsupported("options of *"));
    }
    Ok(())
}

fn rewrite_window_call(
    w: &mut WindowCall,
    keys: &[ScalarExpr],
    name: &dyn Fn(usize) -> String,
) -> Result<()> {
    for e in w
        .args
        .iter_mut()
        .chain(w.filter.iter_mut())
        .chain(w.partition_by.iter_mut())
    {
        rewrite_grouped(e, keys, name)?;
    }
    for k in &mut w.order_by {
        rewrite_grouped(&mut k.expr, keys, name)?;
    }
    Ok(())
}

/// Chains one Window node per distinct window (PARTITION BY, ORDER BY); returns the
/// plan and the output position of each window call.
fn plan_windows(mut plan: LogicalPlan, windows: Vec<WindowCall>) -> (LogicalPlan, Vec<usize>) {
    let mut positions = vec![0; windows.len()];
    let mut groups: Vec<Vec<(usize, WindowCall)>> = Vec::new();
    for (j, w) in windows.into_iter().enumerate() {
        match groups
            .iter_mut()
            .find(|g| g[0].1.partition_by == w.partition_by && g[0].1.order_by == w.order_by)
        {
            Some(g) => g.push((j, w)),
            None => groups.push(vec![(j, w)]),
        }
    }
    for g in groups {
        let base = plan.width();
        let mut functions = Vec::with_capacity(g.len());
        for (k, (j, w)) in g.into_iter().enumerate() {
            positions[j] = base + k;
            functions.push(w);
        }
        plan = LogicalPlan::Window {
            input: Box::new(plan),
            functions,
        };
    }
    debug_assert!(positions.iter().all(|&p| p < AGG_BASE));
    (plan, positions)
}
