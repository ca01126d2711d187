//! EXPLAIN: the physical plan as a tree, one operator per line, children indented by
//! two spaces, subquery plans after the main tree.
//!
//! Access paths are always visible: `Seq Scan on t`, `Primary Key Seek on t: a = 1`,
//! `Primary Key Range Scan on t: a > 1 AND a <= 9`, `Index Seek on t(b) using idx_t_b:
//! b = $1`, `Index Range Scan on t(b) using idx_t_b: b >= 3`. Expressions print with
//! column names (`alias.column` above a scan); `$1` is the first parameter (printed
//! without the cast to its inferred type).

use covet_engine::value::Value;

use crate::catalog::TableInfo;
use crate::exec::width_of;
use crate::expr::{ScalarExpr, SubqueryKind, TruthTest, UnaryOp};
use crate::plan::{
    AccessPath, AggregateCall, FrameBound, KeyBounds, PhysicalNode, PhysicalPlan, SetOpKind,
    SortKey, WindowCall, WindowFunc,
};

/// The EXPLAIN text of `plan`, one line per operator.
pub fn explain(plan: &PhysicalPlan) -> Vec<String> {
    let mut out = Vec::new();
    node(&plan.root, 0, &[], &mut out);
    subplans(plan, &mut out);
    out
}

/// EXPLAIN of a writing statement, as PostgreSQL's: `{operation} on {table}` (`Insert`,
/// `Update`, `Delete`) above the lines of what gives its rows.
pub fn explain_write(operation: &str, table: &str, source: Vec<String>) -> Vec<String> {
    let mut out = vec![format!("{operation} on {table}")];
    out.extend(source.into_iter().map(|l| format!("  {l}")));
    out
}

/// The lines of an UPDATE's or DELETE's target plan: its access path and joins, without
/// the projection on top that lays out the executor's key and row columns.
pub fn explain_target(plan: &PhysicalPlan) -> Vec<String> {
    let mut out = Vec::new();
    let shown = match &plan.root {
        PhysicalNode::Project { input, .. } => input,
        other => other,
    };
    node(shown, 0, &[], &mut out);
    subplans(plan, &mut out);
    out
}

/// The subquery plans of `plan`, after its tree.
fn subplans(plan: &PhysicalPlan, out: &mut Vec<String>) {
    for (i, s) in plan.subqueries.iter().enumerate() {
        let how = if s.correlated {
            "correlated"
        } else {
            "runs once"
        };
        out.push(format!("SubPlan {i} ({how})"));
        node(&s.root, 1, &[], out);
    }
}

fn literal(v: &Value) -> String {
    match v {
        Value::Text(s) | Value::Json(s) => format!("'{}'", s.replace('\'', "''")),
        Value::Null => "NULL".to_owned(),
        other => other.to_string(),
    }
}

/// An expression as text, with `names` for the input row's columns.
pub fn expr_text(e: &ScalarExpr, names: &[String]) -> String {
    expr_text_in(e, names, &[])
}

/// The names of the rows outer columns read, innermost last: `outer[len - depth]` names
/// the columns of depth `depth` (the outer row of an index nested-loop join's inner side).
type OuterNames<'a> = &'a [Vec<String>];

/// [`expr_text`] with `outer` for the outer columns it reads.
fn expr_text_in(e: &ScalarExpr, names: &[String], outer: OuterNames<'_>) -> String {
    let expr_text = |x: &ScalarExpr, names: &[String]| expr_text_in(x, names, outer);
    let sub = |x: &ScalarExpr| -> String {
        let t = expr_text(x, names);
        if matches!(
            x,
            ScalarExpr::Binary { .. } | ScalarExpr::Between { .. } | ScalarExpr::Like { .. }
        ) {
            format!("({t})")
        } else {
            t
        }
    };
    let list = |xs: &[ScalarExpr]| {
        xs.iter()
            .map(|x| expr_text(x, names))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match e {
        ScalarExpr::Literal(v) => literal(v),
        ScalarExpr::Column(i) => names.get(*i).cloned().unwrap_or_else(|| format!("#{i}")),
        ScalarExpr::OuterColumn { depth, index } => outer
            .len()
            .checked_sub(*depth)
            .and_then(|level| outer[level].get(*index))
            .cloned()
            .unwrap_or_else(|| format!("outer{depth}.#{index}")),
        ScalarExpr::Param(i) => format!("${}", i + 1),
        ScalarExpr::Unary { op, expr } => match op {
            UnaryOp::Neg => format!("-{}", sub(expr)),
            UnaryOp::Plus => format!("+{}", sub(expr)),
            UnaryOp::Not => format!("NOT {}", sub(expr)),
            UnaryOp::BitNot => format!("~{}", sub(expr)),
        },
        ScalarExpr::Binary { op, left, right } => {
            format!("{} {} {}", sub(left), op.symbol(), sub(right))
        }
        ScalarExpr::IsNull { expr, negated } => {
            format!(
                "{} IS {}NULL",
                sub(expr),
                if *negated { "NOT " } else { "" }
            )
        }
        ScalarExpr::IsTruth {
            expr,
            test,
            negated,
        } => {
            let t = match test {
                TruthTest::True => "TRUE",
                TruthTest::False => "FALSE",
                TruthTest::Unknown => "UNKNOWN",
            };
            format!("{} IS {}{t}", sub(expr), if *negated { "NOT " } else { "" })
        }
        ScalarExpr::IsDistinctFrom {
            left,
            right,
            negated,
        } => format!(
            "{} IS {}DISTINCT FROM {}",
            sub(left),
            if *negated { "NOT " } else { "" },
            sub(right)
        ),
        ScalarExpr::Between {
            expr,
            low,
            high,
            negated,
            symmetric,
        } => format!(
            "{} {}BETWEEN {}{} AND {}",
            sub(expr),
            if *negated { "NOT " } else { "" },
            if *symmetric { "SYMMETRIC " } else { "" },
            sub(low),
            sub(high)
        ),
        ScalarExpr::InList {
            expr,
            list: items,
            negated,
        } => format!(
            "{} {}IN ({})",
            sub(expr),
            if *negated { "NOT " } else { "" },
            list(items)
        ),
        ScalarExpr::Like {
            expr,
            pattern,
            escape,
            case_insensitive,
            negated,
        } => {
            let mut s = format!(
                "{} {}{} {}",
                sub(expr),
                if *negated { "NOT " } else { "" },
                if *case_insensitive { "ILIKE" } else { "LIKE" },
                sub(pattern)
            );
            if let Some(esc) = escape {
                s.push_str(&format!(" ESCAPE {}", sub(esc)));
            }
            s
        }
        ScalarExpr::Case {
            operand,
            branches,
            else_expr,
        } => {
            let mut s = "CASE".to_owned();
            if let Some(o) = operand {
                s.push_str(&format!(" {}", sub(o)));
            }
            for (w, t) in branches {
                s.push_str(&format!(
                    " WHEN {} THEN {}",
                    expr_text(w, names),
                    expr_text(t, names)
                ));
            }
            if let Some(x) = else_expr {
                s.push_str(&format!(" ELSE {}", expr_text(x, names)));
            }
            s.push_str(" END");
            s
        }
        ScalarExpr::Coalesce(args) => format!("COALESCE({})", list(args)),
        // A parameter is coerced to the type its context inferred; it prints as itself.
        ScalarExpr::Cast { expr, .. } if matches!(**expr, ScalarExpr::Param(_)) => {
            expr_text(expr, names)
        }
        ScalarExpr::Cast { expr, to } => format!("CAST({} AS {to})", expr_text(expr, names)),
        ScalarExpr::Function { func, args } => format!("{}({})", func.name, list(args)),
        ScalarExpr::Subquery {
            id,
            kind,
            expr,
            negated,
        } => {
            let not = if *negated { "NOT " } else { "" };
            let left = expr.as_ref().map(|x| sub(x)).unwrap_or_default();
            match kind {
                SubqueryKind::Scalar => format!("(SubPlan {})", id.0),
                SubqueryKind::Exists => format!("{not}EXISTS(SubPlan {})", id.0),
                SubqueryKind::In => format!("{left} {not}IN (SubPlan {})", id.0),
                SubqueryKind::Any(op) => {
                    format!("{left} {} ANY (SubPlan {})", op.symbol(), id.0)
                }
                SubqueryKind::All(op) => {
                    format!("{left} {} ALL (SubPlan {})", op.symbol(), id.0)
                }
            }
        }
    }
}

fn sort_keys_text(keys: &[SortKey], names: &[String]) -> String {
    keys.iter()
        .map(|k| {
            let mut s = format!(
                "{} {}",
                expr_text(&k.expr, names),
                if k.desc { "DESC" } else { "ASC" }
            );
            if k.nulls_first != k.desc {
                s.push_str(if k.nulls_first {
                    " NULLS FIRST"
                } else {
                    " NULLS LAST"
                });
            }
            s
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn aggregate_text(a: &AggregateCall, names: &[String]) -> String {
    let args = if a.args.is_empty() {
        "*".to_owned()
    } else {
        a.args
            .iter()
            .map(|x| expr_text(x, names))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut s = format!(
        "{}({}{args})",
        a.func.name,
        if a.func.distinct { "DISTINCT " } else { "" }
    );
    if !a.order_by.is_empty() {
        s.insert_str(
            s.len() - 1,
            &format!(" ORDER BY {}", sort_keys_text(&a.order_by, names)),
        );
    }
    if let Some(f) = &a.filter {
        s.push_str(&format!(" FILTER (WHERE {})", expr_text(f, names)));
    }
    s
}

fn bound_text(b: &FrameBound, names: &[String]) -> String {
    match b {
        FrameBound::UnboundedPreceding => "UNBOUNDED PRECEDING".to_owned(),
        FrameBound::UnboundedFollowing => "UNBOUNDED FOLLOWING".to_owned(),
        FrameBound::CurrentRow => "CURRENT ROW".to_owned(),
        FrameBound::Preceding(e) => format!("{} PRECEDING", expr_text(e, names)),
        FrameBound::Following(e) => format!("{} FOLLOWING", expr_text(e, names)),
    }
}

fn window_text(w: &WindowCall, names: &[String]) -> String {
    let name = match &w.func {
        WindowFunc::Aggregate(f) => f.name.to_owned(),
        WindowFunc::Builtin(k) => format!("{k:?}").to_lowercase(),
    };
    let args = w
        .args
        .iter()
        .map(|x| expr_text(x, names))
        .collect::<Vec<_>>()
        .join(", ");
    let mut spec = Vec::new();
    if !w.partition_by.is_empty() {
        spec.push(format!(
            "PARTITION BY {}",
            w.partition_by
                .iter()
                .map(|x| expr_text(x, names))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !w.order_by.is_empty() {
        spec.push(format!("ORDER BY {}", sort_keys_text(&w.order_by, names)));
    }
    spec.push(format!(
        "{} BETWEEN {} AND {}",
        w.frame.units.keyword(),
        bound_text(&w.frame.start, names),
        bound_text(&w.frame.end, names)
    ));
    format!("{name}({args}) OVER ({})", spec.join(" "))
}

fn bounds_text(b: &KeyBounds, table: &TableInfo, outer: OuterNames<'_>) -> String {
    let expr_text = |x: &ScalarExpr, names: &[String]| expr_text_in(x, names, outer);
    let col = |i: usize| -> String {
        b.key_columns
            .get(i)
            .and_then(|&(c, _)| table.columns.get(c))
            .map_or_else(|| format!("#{i}"), |c| c.name.clone())
    };
    let none: Vec<String> = Vec::new();
    let mut parts: Vec<String> =
        b.eq.iter()
            .enumerate()
            .map(|(i, e)| format!("{} = {}", col(i), expr_text(e, &none)))
            .collect();
    let next = col(b.eq.len());
    if let Some((e, inc)) = &b.lower {
        parts.push(format!(
            "{next} {} {}",
            if *inc { ">=" } else { ">" },
            expr_text(e, &none)
        ));
    }
    if let Some((e, inc)) = &b.upper {
        parts.push(format!(
            "{next} {} {}",
            if *inc { "<=" } else { "<" },
            expr_text(e, &none)
        ));
    }
    parts.join(" AND ")
}

/// The names of a node's output columns.
fn names(n: &PhysicalNode) -> Vec<String> {
    match n {
        PhysicalNode::Scan {
            table,
            alias,
            with_pk,
            ..
        } => {
            let mut v: Vec<String> = table
                .columns
                .iter()
                .map(|c| format!("{alias}.{}", c.name))
                .collect();
            if *with_pk {
                v.extend((0..table.pk_width()).map(|i| format!("{alias}.pk{i}")));
            }
            v
        }
        PhysicalNode::Values { width, .. } | PhysicalNode::WorkTable { width, .. } => {
            (1..=*width).map(|i| format!("column{i}")).collect()
        }
        PhysicalNode::Project { input, exprs } => {
            let inner = names(input);
            exprs.iter().map(|e| expr_text(e, &inner)).collect()
        }
        PhysicalNode::HashJoin {
            left, right, kind, ..
        }
        | PhysicalNode::NestedLoopJoin {
            left, right, kind, ..
        }
        | PhysicalNode::DependentJoin {
            left, right, kind, ..
        }
        | PhysicalNode::IndexNestedLoopJoin {
            left, right, kind, ..
        } => {
            let mut v = names(left);
            if !kind.left_only() {
                v.extend(names(right));
            }
            v
        }
        PhysicalNode::HashAggregate {
            input,
            group,
            aggregates,
        }
        | PhysicalNode::SortAggregate {
            input,
            group,
            aggregates,
        } => {
            let inner = names(input);
            group
                .iter()
                .map(|e| expr_text(e, &inner))
                .chain(aggregates.iter().map(|a| aggregate_text(a, &inner)))
                .collect()
        }
        PhysicalNode::Window { input, functions } => {
            let mut v = names(input);
            let inner = v.clone();
            v.extend(functions.iter().map(|w| window_text(w, &inner)));
            v
        }
        PhysicalNode::Filter { input, .. }
        | PhysicalNode::Sort { input, .. }
        | PhysicalNode::TopN { input, .. }
        | PhysicalNode::Limit { input, .. }
        | PhysicalNode::Distinct { input } => names(input),
        PhysicalNode::SetOp { left, .. } => names(left),
        PhysicalNode::RecursiveCte { base, .. } => names(base),
    }
}

fn line(n: &PhysicalNode, outer: OuterNames<'_>) -> String {
    let input_names = |i: &PhysicalNode| names(i);
    let none: Vec<String> = Vec::new();
    match n {
        PhysicalNode::Scan {
            table,
            alias,
            access,
            filter,
            ..
        } => {
            let shown = if *alias == table.name {
                table.name.clone()
            } else {
                format!("{} {alias}", table.name)
            };
            let mut s = match access {
                AccessPath::FullScan => format!("Seq Scan on {shown}"),
                AccessPath::PrimaryKey(b) => format!(
                    "Primary Key {} on {shown}: {}",
                    if b.is_equality() {
                        "Seek"
                    } else {
                        "Range Scan"
                    },
                    bounds_text(b, table, outer)
                ),
                AccessPath::Index { index, bounds } => {
                    let cols = index
                        .columns
                        .iter()
                        .map(|&(c, _)| table.columns.get(c).map_or("?", |c| c.name.as_str()))
                        .collect::<Vec<_>>()
                        .join(", ");
                    format!(
                        "Index {} on {}({cols}) using {}: {}",
                        if bounds.is_equality() {
                            "Seek"
                        } else {
                            "Range Scan"
                        },
                        shown,
                        index.name,
                        bounds_text(bounds, table, outer)
                    )
                }
            };
            if let Some(f) = filter {
                let cols: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
                s.push_str(&format!(" (filter: {})", expr_text_in(f, &cols, outer)));
            }
            s
        }
        PhysicalNode::Values { rows, .. } => format!("Values ({} rows)", rows.len()),
        PhysicalNode::Filter { input, predicate } => {
            format!("Filter: {}", expr_text(predicate, &input_names(input)))
        }
        PhysicalNode::Project { input, exprs } => {
            let inner = input_names(input);
            format!(
                "Project: {}",
                exprs
                    .iter()
                    .map(|e| expr_text(e, &inner))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
        PhysicalNode::HashJoin {
            left,
            right,
            kind,
            left_keys,
            right_keys,
            residual,
        } => {
            let (ln, rn) = (names(left), names(right));
            let keys = left_keys
                .iter()
                .zip(right_keys)
                .map(|(l, r)| format!("{} = {}", expr_text(l, &ln), expr_text(r, &rn)))
                .collect::<Vec<_>>()
                .join(" AND ");
            let mut s = format!("Hash Join ({}): {keys}", kind.name());
            if let Some(r) = residual {
                let mut all = ln.clone();
                all.extend(rn);
                s.push_str(&format!(" (filter: {})", expr_text(r, &all)));
            }
            s
        }
        PhysicalNode::NestedLoopJoin {
            left,
            right,
            kind,
            condition,
        }
        | PhysicalNode::DependentJoin {
            left,
            right,
            kind,
            condition,
        }
        | PhysicalNode::IndexNestedLoopJoin {
            left,
            right,
            kind,
            condition,
        } => {
            let what = match n {
                PhysicalNode::DependentJoin { .. } => "Dependent Join",
                PhysicalNode::IndexNestedLoopJoin { .. } => "Index Nested Loop Join",
                _ => "Nested Loop Join",
            };
            let mut all = names(left);
            all.extend(names(right));
            match condition {
                Some(c) => format!("{what} ({}): {}", kind.name(), expr_text(c, &all)),
                None => format!("{what} ({})", kind.name()),
            }
        }
        PhysicalNode::HashAggregate {
            input,
            group,
            aggregates,
        }
        | PhysicalNode::SortAggregate {
            input,
            group,
            aggregates,
        } => {
            let inner = input_names(input);
            let what = if matches!(n, PhysicalNode::HashAggregate { .. }) {
                "Hash Aggregate"
            } else {
                "Sort Aggregate"
            };
            let mut parts = Vec::new();
            if !group.is_empty() {
                parts.push(format!(
                    "group by {}",
                    group
                        .iter()
                        .map(|e| expr_text(e, &inner))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            if !aggregates.is_empty() {
                parts.push(
                    aggregates
                        .iter()
                        .map(|a| aggregate_text(a, &inner))
                        .collect::<Vec<_>>()
                        .join(", "),
                );
            }
            format!("{what}: {}", parts.join("; "))
        }
        PhysicalNode::Window { input, functions } => {
            let inner = input_names(input);
            format!(
                "Window: {}",
                functions
                    .iter()
                    .map(|w| window_text(w, &inner))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
        PhysicalNode::Sort { input, keys } => {
            format!("Sort: {}", sort_keys_text(keys, &input_names(input)))
        }
        PhysicalNode::TopN {
            input,
            keys,
            limit,
            offset,
        } => {
            let mut s = format!(
                "Top-N: {} by {}",
                expr_text(limit, &none),
                sort_keys_text(keys, &input_names(input))
            );
            if let Some(o) = offset {
                s.push_str(&format!(" offset {}", expr_text(o, &none)));
            }
            s
        }
        PhysicalNode::Limit { limit, offset, .. } => {
            let mut s = "Limit:".to_owned();
            if let Some(l) = limit {
                s.push_str(&format!(" {}", expr_text(l, &none)));
            }
            if let Some(o) = offset {
                s.push_str(&format!(" offset {}", expr_text(o, &none)));
            }
            s
        }
        PhysicalNode::Distinct { .. } => "Distinct".to_owned(),
        PhysicalNode::SetOp { op, all, .. } => {
            let name = match op {
                SetOpKind::Union => "Union",
                SetOpKind::Intersect => "Intersect",
                SetOpKind::Except => "Except",
            };
            format!("{name}{}", if *all { " All" } else { "" })
        }
        PhysicalNode::RecursiveCte {
            id,
            union_all,
            base,
            ..
        } => format!(
            "Recursive CTE #{id} ({}, {} columns)",
            if *union_all { "Union All" } else { "Union" },
            width_of(base)
        ),
        PhysicalNode::WorkTable { id, .. } => format!("Work Table #{id}"),
    }
}

fn node(n: &PhysicalNode, depth: usize, outer: OuterNames<'_>, out: &mut Vec<String>) {
    out.push(format!("{}{}", "  ".repeat(depth), line(n, outer)));
    if let PhysicalNode::IndexNestedLoopJoin { left, right, .. } = n {
        // The inner side runs once per outer row: its seek keys read that row.
        node(left, depth + 1, outer, out);
        let mut inner_outer = outer.to_vec();
        inner_outer.push(names(left));
        node(right, depth + 1, &inner_outer, out);
        return;
    }
    for i in n.inputs() {
        node(i, depth + 1, outer, out);
    }
}
