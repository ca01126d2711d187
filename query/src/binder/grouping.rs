//! Aggregate and window calls, and the rewrite of post-aggregation expressions.
//!
//! While a block's select list, HAVING and ORDER BY are bound, an aggregate call is
//! recorded in the block and stands as the placeholder `Column(AGG_BASE + i)`; a window
//! call as `Column(WIN_BASE + j)`; a column as its FROM position. Once the block is
//! bound, [`rewrite_grouped`] maps each expression onto the aggregate's output row
//! (group keys ++ aggregate results): a subtree equal to a group key becomes that key's
//! column, a placeholder its aggregate's column, and any FROM column left over is
//! PostgreSQL's 42803 (`column "x" must appear in the GROUP BY clause…`).

use std::sync::Arc;

use sqlparser::ast;

use super::scope::{function_name, grouping_error, Binder, Clause, AGG_BASE, WIN_BASE};
use crate::error::{QueryError, Result, SqlState};
use crate::expr::{fold_constants, ScalarExpr};
use crate::functions::{resolve_aggregate, resolve_window};
use crate::plan::{AggregateCall, FrameBound, FrameUnits, WindowCall, WindowFrame, WindowFunc};
use crate::types::DataType;

/// The arguments of a call: DISTINCT, the argument expressions (`None` for `*`), and an
/// ORDER BY inside the parentheses.
struct CallArgs<'q> {
    distinct: bool,
    args: Vec<&'q ast::Expr>,
    star: bool,
    order_by: &'q [ast::OrderByExpr],
}

fn call_args<'q>(call: &'q ast::Function, name: &str) -> Result<CallArgs<'q>> {
    if !call.within_group.is_empty() {
        return Err(QueryError::unsupported("WITHIN GROUP"));
    }
    if call.null_treatment.is_some() {
        return Err(QueryError::unsupported("IGNORE NULLS / RESPECT NULLS"));
    }
    let mut out = CallArgs {
        distinct: false,
        args: Vec::new(),
        star: false,
        order_by: &[],
    };
    match &call.args {
        ast::FunctionArguments::None => {}
        ast::FunctionArguments::Subquery(_) => {
            return Err(QueryError::unsupported(format!(
                "a subquery as the arguments of {name}"
            )))
        }
        ast::FunctionArguments::List(list) => {
            out.distinct = list.duplicate_treatment == Some(ast::DuplicateTreatment::Distinct);
            for a in &list.args {
                match a {
                    ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => out.args.push(e),
                    ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Wildcard)
                        if name == "count" =>
                    {
                        out.star = true
                    }
                    ast::FunctionArg::Unnamed(_) => {
                        return Err(QueryError::syntax(format!("{name}(*) is not valid")))
                    }
                    _ => {
                        return Err(QueryError::unsupported(format!(
                            "named arguments of {name}"
                        )))
                    }
                }
            }
            for c in &list.clauses {
                match c {
                    ast::FunctionArgumentClause::OrderBy(o) => out.order_by = o,
                    other => {
                        return Err(QueryError::unsupported(format!(
                            "{other} in a call of {name}"
                        )))
                    }
                }
            }
        }
    }
    if out.star && (out.distinct || !out.args.is_empty()) {
        return Err(QueryError::syntax("count(*) takes no other arguments"));
    }
    Ok(out)
}

/// Binds an aggregate call in the innermost block; returns its placeholder.
pub(super) fn bind_aggregate(
    b: &mut Binder<'_>,
    call: &ast::Function,
) -> Result<(ScalarExpr, DataType)> {
    let name = function_name(call);
    let parsed = call_args(call, &name)?;
    // The arguments read the FROM row, also for subqueries inside them.
    let saved = std::mem::replace(&mut b.block()?.post_aggregate, false);
    let bound = (|| -> Result<_> {
        let mut args = Vec::new();
        let mut types = Vec::new();
        for e in &parsed.args {
            let (x, t) = b.bind(e, Clause::AggregateArg)?;
            args.push(x);
            types.push(t);
        }
        let filter = match &call.filter {
            Some(f) => Some(b.bind_condition(f, Clause::AggregateArg)?),
            None => None,
        };
        let order_by = b.bind_sort_keys(parsed.order_by, Clause::AggregateArg)?;
        Ok((args, types, filter, order_by))
    })();
    b.block()?.post_aggregate = saved;
    let (args, types, filter, order_by) = bound?;
    let func = resolve_aggregate(&name, &types, parsed.distinct)?;
    let ty = func.return_type;
    let block = b.block()?;
    block.aggregates.push(AggregateCall {
        func: Arc::new(func),
        args,
        filter,
        order_by,
    });
    Ok((
        ScalarExpr::Column(AGG_BASE + block.aggregates.len() - 1),
        ty,
    ))
}

fn window_spec(b: &mut Binder<'_>, over: &ast::WindowType) -> Result<ast::WindowSpec> {
    let named = |b: &mut Binder<'_>, name: &ast::Ident| -> Result<ast::WindowSpec> {
        let n = super::ident_name(name);
        b.block()?.named_windows.get(&n).cloned().ok_or_else(|| {
            QueryError::new(
                SqlState::UNDEFINED_OBJECT,
                format!("window \"{n}\" does not exist"),
            )
        })
    };
    match over {
        ast::WindowType::NamedWindow(name) => named(b, name),
        ast::WindowType::WindowSpec(spec) => match &spec.window_name {
            None => Ok(spec.clone()),
            Some(base) => {
                let mut merged = named(b, base)?;
                if !spec.partition_by.is_empty() {
                    return Err(QueryError::new(
                        SqlState::WINDOWING_ERROR,
                        format!("cannot override PARTITION BY clause of window \"{base}\""),
                    ));
                }
                if !spec.order_by.is_empty() {
                    merged.order_by = spec.order_by.clone();
                }
                if spec.window_frame.is_some() {
                    merged.window_frame = spec.window_frame.clone();
                }
                merged.window_name = None;
                Ok(merged)
            }
        },
    }
}

/// A frame bound; an offset is bound as a constant and typed by [`frame_offset`].
fn frame_bound(
    b: &mut Binder<'_>,
    bound: &ast::WindowFrameBound,
    units: FrameUnits,
    order_types: &[DataType],
) -> Result<FrameBound> {
    Ok(match bound {
        ast::WindowFrameBound::CurrentRow => FrameBound::CurrentRow,
        ast::WindowFrameBound::Preceding(None) => FrameBound::UnboundedPreceding,
        ast::WindowFrameBound::Following(None) => FrameBound::UnboundedFollowing,
        ast::WindowFrameBound::Preceding(Some(e)) => {
            FrameBound::Preceding(frame_offset(b, e, units, order_types)?)
        }
        ast::WindowFrameBound::Following(Some(e)) => {
            FrameBound::Following(frame_offset(b, e, units, order_types)?)
        }
    })
}

/// Binds a frame offset and casts it to the type the executor reads it as:
/// bigint for ROWS and GROUPS; for RANGE the offset type of PostgreSQL's `in_range`
/// support function for the ORDER BY column's type (numbers take an offset of their
/// own type, dates, times, timestamps and intervals an interval), which must accept the
/// offset's type by an implicit cast. The executor relies on that pairing.
fn frame_offset(
    b: &mut Binder<'_>,
    e: &ast::Expr,
    units: FrameUnits,
    order_types: &[DataType],
) -> Result<ScalarExpr> {
    use DataType::*;
    // sqlparser reads a bare string literal in a frame bound as `INTERVAL '…'` (it
    // cannot be told from one written out); PostgreSQL reads it as an unknown literal
    // typed by the frame, so it is bound as the string (see COMPAT.md).
    let (e, string) = match e {
        ast::Expr::Interval(iv)
            if iv.leading_field.is_none()
                && iv.leading_precision.is_none()
                && iv.last_field.is_none()
                && iv.fractional_seconds_precision.is_none()
                && matches!(
                    &*iv.value,
                    ast::Expr::Value(v) if matches!(v.value, ast::Value::SingleQuotedString(_))
                ) =>
        {
            (&*iv.value, true)
        }
        other => (other, false),
    };
    let (expr, mut ty) = b.bind(e, Clause::Constant)?;
    if string {
        ty = Unknown;
    }
    let target = match units {
        FrameUnits::Rows | FrameUnits::Groups => match ty {
            Int => return Ok(expr),
            Unknown | Float | Decimal => Int,
            other => {
                return Err(QueryError::new(
                    SqlState::DATATYPE_MISMATCH,
                    format!(
                        "argument of {} must be type bigint, not type {other}",
                        units.keyword()
                    ),
                ))
            }
        },
        FrameUnits::Range => {
            let [key] = order_types else {
                return Err(QueryError::new(
                    SqlState::WINDOWING_ERROR,
                    "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column",
                ));
            };
            let target = match key {
                Int => Int,
                Float => Float,
                Decimal => Decimal,
                Date | Time | Timestamp | TimestampTz | Interval => Interval,
                other => {
                    return Err(QueryError::new(
                        SqlState::FEATURE_NOT_SUPPORTED,
                        format!(
                            "RANGE with offset PRECEDING/FOLLOWING is not supported for column type {other}"
                        ),
                    ))
                }
            };
            let accepted = ty == target
                || ty == Unknown
                || match target {
                    Float => matches!(ty, Int | Decimal),
                    Decimal => ty == Int,
                    _ => false,
                };
            if !accepted {
                return Err(QueryError::new(
                    SqlState::FEATURE_NOT_SUPPORTED,
                    format!(
                        "RANGE with offset PRECEDING/FOLLOWING is not supported for column type {key} and offset type {ty}"
                    ),
                )
                .with_hint("Cast the offset value to an appropriate type."));
            }
            if ty == target {
                return Ok(expr);
            }
            target
        }
    };
    Ok(ScalarExpr::Cast {
        expr: Box::new(expr),
        to: target.default_sql_type(),
    })
}

/// Binds the frame of a window whose ORDER BY keys have `order_types`, with
/// PostgreSQL's checks (42P20) of which bounds may meet.
fn frame(
    b: &mut Binder<'_>,
    spec: &ast::WindowSpec,
    order_types: &[DataType],
) -> Result<WindowFrame> {
    let Some(f) = &spec.window_frame else {
        return Ok(WindowFrame::default_frame());
    };
    let units = match f.units {
        ast::WindowFrameUnits::Rows => FrameUnits::Rows,
        ast::WindowFrameUnits::Range => FrameUnits::Range,
        ast::WindowFrameUnits::Groups => FrameUnits::Groups,
    };
    let err = |m: &str| QueryError::new(SqlState::WINDOWING_ERROR, m.to_owned());
    // PostgreSQL's grammar rejects these before anything is bound.
    let is_offset = |x: &ast::WindowFrameBound, following: bool| match x {
        ast::WindowFrameBound::Following(Some(_)) => following,
        ast::WindowFrameBound::Preceding(Some(_)) => !following,
        _ => false,
    };
    let end_bound = f
        .end_bound
        .clone()
        .unwrap_or(ast::WindowFrameBound::CurrentRow);
    if f.start_bound == ast::WindowFrameBound::Following(None) {
        return Err(err("frame start cannot be UNBOUNDED FOLLOWING"));
    }
    if f.end_bound.is_none() && is_offset(&f.start_bound, true) {
        return Err(err(
            "frame starting from following row cannot end with current row",
        ));
    }
    if end_bound == ast::WindowFrameBound::Preceding(None) {
        return Err(err("frame end cannot be UNBOUNDED PRECEDING"));
    }
    if f.start_bound == ast::WindowFrameBound::CurrentRow && is_offset(&end_bound, false) {
        return Err(err(
            "frame starting from current row cannot have preceding rows",
        ));
    }
    if is_offset(&f.start_bound, true)
        && (is_offset(&end_bound, false) || end_bound == ast::WindowFrameBound::CurrentRow)
    {
        return Err(err(
            "frame starting from following row cannot have preceding rows",
        ));
    }
    if units == FrameUnits::Groups && order_types.is_empty() {
        return Err(err("GROUPS mode requires an ORDER BY clause"));
    }
    let start = frame_bound(b, &f.start_bound, units, order_types)?;
    let end = frame_bound(b, &end_bound, units, order_types)?;
    Ok(WindowFrame { units, start, end })
}

/// Binds a window call in the innermost block; returns its placeholder.
pub(super) fn bind_window(
    b: &mut Binder<'_>,
    call: &ast::Function,
) -> Result<(ScalarExpr, DataType)> {
    let name = function_name(call);
    let parsed = call_args(call, &name)?;
    if !parsed.order_by.is_empty() {
        return Err(QueryError::unsupported(
            "ORDER BY inside the arguments of a window function",
        ));
    }
    let Some(over) = &call.over else {
        return Err(QueryError::internal("a window call without OVER"));
    };
    let spec = window_spec(b, over)?;
    let mut args = Vec::new();
    let mut types = Vec::new();
    for e in &parsed.args {
        let (x, t) = b.bind(e, Clause::WindowArg)?;
        args.push(x);
        types.push(t);
    }
    let filter = match &call.filter {
        Some(f) => Some(b.bind_condition(f, Clause::WindowArg)?),
        None => None,
    };
    let mut partition_by = Vec::new();
    for e in &spec.partition_by {
        partition_by.push(b.bind(e, Clause::WindowArg)?.0);
    }
    let (order_by, order_types) = b.bind_sort_keys_typed(&spec.order_by, Clause::WindowArg)?;
    let frame = frame(b, &spec, &order_types)?;
    let (func, ty) = match resolve_window(&name, &types)? {
        Some((kind, ty)) => {
            if filter.is_some() {
                return Err(QueryError::unsupported(format!(
                    "FILTER for the window function {name}"
                )));
            }
            (WindowFunc::Builtin(kind), ty)
        }
        None => {
            if parsed.distinct {
                return Err(QueryError::unsupported("DISTINCT in a window function"));
            }
            let f = resolve_aggregate(&name, &types, false)?;
            let ty = f.return_type;
            (WindowFunc::Aggregate(Arc::new(f)), ty)
        }
    };
    let block = b.block()?;
    block.windows.push(WindowCall {
        func,
        args,
        filter,
        partition_by,
        order_by,
        frame,
    });
    Ok((ScalarExpr::Column(WIN_BASE + block.windows.len() - 1), ty))
}

/// Maps a post-aggregation expression onto the aggregate's output (see the module
/// docs). `name` names a FROM column for the 42803 message.
///
/// A FROM column is a use only where evaluation can reach it: when the expression as
/// written reads an ungrouped column, the check runs again on the expression after
/// [`fold_constants`], which removes what can never be evaluated (`COALESCE(-86, x)`
/// is -86, a CASE arm whose constant WHEN cannot match is gone); the folded expression
/// replaces the written one only then, so grouped expressions keep matching their keys
/// as written. PostgreSQL checks before folding and raises 42803 here; see COMPAT.md
/// ("GROUP BY and unreachable columns").
pub(super) fn rewrite_grouped(
    expr: &mut ScalarExpr,
    keys: &[ScalarExpr],
    name: &dyn Fn(usize) -> String,
) -> Result<()> {
    let mut written = expr.clone();
    match rewrite_grouped_exact(&mut written, keys, name) {
        Ok(()) => {
            *expr = written;
            Ok(())
        }
        Err(e) if e.code == SqlState::GROUPING_ERROR => {
            let mut folded = fold_constants(expr.clone());
            // The error names the column as written when it is reachable after all.
            rewrite_grouped_exact(&mut folded, keys, name).map_err(|_| e)?;
            *expr = folded;
            Ok(())
        }
        Err(e) => Err(e),
    }
}

fn rewrite_grouped_exact(
    expr: &mut ScalarExpr,
    keys: &[ScalarExpr],
    name: &dyn Fn(usize) -> String,
) -> Result<()> {
    if let Some(g) = keys.iter().position(|k| k == expr) {
        *expr = ScalarExpr::Column(g);
        return Ok(());
    }
    match expr {
        ScalarExpr::Column(i) if *i >= WIN_BASE => Ok(()),
        ScalarExpr::Column(i) if *i >= AGG_BASE => {
            *i = keys.len() + (*i - AGG_BASE);
            Ok(())
        }
        ScalarExpr::Column(i) => Err(grouping_error(&name(*i))),
        _ => {
            let mut result = Ok(());
            expr.for_each_child_mut(&mut |c| {
                if result.is_ok() {
                    result = rewrite_grouped_exact(c, keys, name);
                }
            });
            result
        }
    }
}

/// Maps window placeholders to their positions.
pub(super) fn rewrite_windows(expr: &mut ScalarExpr, positions: &[usize]) {
    if let ScalarExpr::Column(i) = expr {
        if *i >= WIN_BASE {
            if let Some(p) = positions.get(*i - WIN_BASE) {
                *i = *p;
            }
        }
        return;
    }
    expr.for_each_child_mut(&mut |c| rewrite_windows(c, positions));
}
