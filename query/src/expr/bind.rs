//! Binding `sqlparser` expressions to [`ScalarExpr`]: operators, literals, casts, CASE,
//! LIKE, IN, BETWEEN, parameters; columns, aggregates, windows and subqueries go to the
//! [`BindScope`]. Function calls and the special call syntaxes are in `bind_call.rs`.
//!
//! PostgreSQL's *unknown-literal* rule: a string literal has no type until its context
//! gives one. Combined or compared with a typed operand it is cast to that type here,
//! at bind time (`'1' + 1` is 2, `date_col > '2020-01-01'` compares dates, and
//! `int_col = 'abc'` is 22P02 before any row is read); alone it is text. A value that
//! is *typed* text (a column, `'1'::text`) never silently becomes a number: that is
//! 42883. NULL literals and untyped parameters take their type from the context the
//! same way; a parameter's type is recorded with [`BindScope::param`].

use std::sync::Arc;

use covet_engine::value::{Interval, Value};
use sqlparser::ast;

use super::bind_ops::{
    bind_binary_ast, bind_case, bind_cast, bind_compared, bind_like, bind_quantified, bind_unary,
    comparison_op,
};
use super::coerce::{self, expect_bool, unify_types};
use super::sql_type::sql_type_from_ast;
use super::{bind_call, BinaryOp, BindScope, ScalarExpr, SubqueryKind, TruthTest};
use crate::error::{QueryError, Result, SqlState};
use crate::ops;
use crate::types::DataType;

/// Where a bound expression came from, as far as typing cares.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Origin {
    /// An expression with a fixed type.
    Typed,
    /// A string literal, not yet given a type (PostgreSQL's `unknown`).
    Text(String),
    /// A NULL literal.
    Null,
    /// A parameter whose type is not known yet.
    Param(usize),
}

/// A bound expression with its type and origin. For `Origin::Text`, `ty` is `Unknown`.
#[derive(Debug, Clone)]
pub(crate) struct Bound {
    pub(crate) expr: ScalarExpr,
    pub(crate) ty: DataType,
    pub(crate) origin: Origin,
}

impl Bound {
    pub(crate) fn typed(expr: ScalarExpr, ty: DataType) -> Bound {
        Bound {
            expr,
            ty,
            origin: Origin::Typed,
        }
    }

    /// Whether the type still comes from the context.
    pub(crate) fn is_unknown(&self) -> bool {
        !matches!(self.origin, Origin::Typed)
    }

    /// The type the rest of the crate sees: a string literal left alone is text.
    pub(crate) fn visible_type(&self) -> DataType {
        match self.origin {
            Origin::Text(_) => DataType::Text,
            _ => self.ty,
        }
    }
}

/// Binds `expr` in `scope`: resolves operators, literals, casts, functions and
/// parameters, and hands columns, aggregates, windows and subqueries to the scope.
pub fn bind_expr(expr: &ast::Expr, scope: &mut dyn BindScope) -> Result<(ScalarExpr, DataType)> {
    let b = bind(expr, scope)?;
    let ty = b.visible_type();
    Ok((b.expr, ty))
}

/// Binds a condition (`WHERE`, `HAVING`, `ON`, `CHECK`, …, named by `context` in the
/// error): a string literal or parameter is read as boolean, any other non-boolean type
/// is 42804.
pub fn bind_condition(
    expr: &ast::Expr,
    scope: &mut dyn BindScope,
    context: &str,
) -> Result<ScalarExpr> {
    let b = coerce_to(bind(expr, scope)?, DataType::Bool, scope)?;
    expect_bool(b.ty, context)?;
    Ok(b.expr)
}

/// Binds `expr` and gives it type `target` as an assignment would (INSERT values,
/// UPDATE SET, DEFAULT): unknown literals and parameters are read as `target`, numbers
/// widen; anything else keeps its type for the caller to check.
pub fn bind_expr_as(
    expr: &ast::Expr,
    target: DataType,
    scope: &mut dyn BindScope,
) -> Result<(ScalarExpr, DataType)> {
    let b = coerce_to(bind(expr, scope)?, target, scope)?;
    let ty = b.visible_type();
    Ok((b.expr, ty))
}

/// Gives an unknown-typed expression the type `target`; widens a number to a wider
/// number type (and a date to a timestamp) with a cast; otherwise returns `b` as it
/// is, for the caller's type check to judge.
pub(crate) fn coerce_to(b: Bound, target: DataType, scope: &mut dyn BindScope) -> Result<Bound> {
    match b.origin {
        Origin::Text(s) => {
            if matches!(target, DataType::Unknown | DataType::Text) {
                return Ok(Bound::typed(
                    ScalarExpr::Literal(Value::Text(s)),
                    DataType::Text,
                ));
            }
            let v = ops::cast_explicit(&Value::Text(s), &target.default_sql_type())?;
            Ok(Bound::typed(ScalarExpr::Literal(v), target))
        }
        Origin::Null => Ok(Bound {
            origin: if target == DataType::Unknown {
                Origin::Null
            } else {
                Origin::Typed
            },
            ty: target,
            ..b
        }),
        Origin::Param(i) => {
            if target == DataType::Unknown {
                return Ok(b);
            }
            let t = scope.param(i, Some(target))?;
            if t == DataType::Unknown {
                return Ok(b);
            }
            // Parameters arrive as whatever the client sent (often text): read them as
            // the type the context gave, as PostgreSQL parses a parameter by its type.
            Ok(Bound::typed(
                ScalarExpr::Cast {
                    expr: Box::new(b.expr),
                    to: t.default_sql_type(),
                },
                t,
            ))
        }
        Origin::Typed => {
            if b.ty == target || target == DataType::Unknown {
                return Ok(b);
            }
            let widens = b.ty == DataType::Unknown
                || (b.ty.is_numeric()
                    && target.is_numeric()
                    && coerce::common_type(b.ty, target) == Some(target))
                || (b.ty == DataType::Date
                    && matches!(target, DataType::Timestamp | DataType::TimestampTz))
                || (b.ty == DataType::Timestamp && target == DataType::TimestampTz);
            if widens {
                Ok(Bound::typed(
                    ScalarExpr::Cast {
                        expr: Box::new(b.expr),
                        to: target.default_sql_type(),
                    },
                    target,
                ))
            } else {
                Ok(b)
            }
        }
    }
}

/// Brings `items` to their common type (`context` names them in a 42804): unknown
/// literals are cast, numbers widened. A set of only string literals is text.
pub(crate) fn unify(
    context: &str,
    items: Vec<Bound>,
    scope: &mut dyn BindScope,
) -> Result<(Vec<Bound>, DataType)> {
    let types: Vec<DataType> = items.iter().map(|b| b.ty).collect();
    let mut t = unify_types(context, &types)?;
    if t == DataType::Unknown && items.iter().any(|b| matches!(b.origin, Origin::Text(_))) {
        t = DataType::Text;
    }
    let items = items
        .into_iter()
        .map(|b| coerce_to(b, t, scope))
        .collect::<Result<Vec<_>>>()?;
    Ok((items, t))
}

/// The name of an identifier: unquoted names fold to lower case.
pub(crate) fn ident_name(id: &ast::Ident) -> String {
    if id.quote_style.is_some() {
        id.value.clone()
    } else {
        id.value.to_lowercase()
    }
}

fn boxed(b: Bound) -> Box<ScalarExpr> {
    Box::new(b.expr)
}

/// Deeper expressions than this are 54001: binding, folding and evaluation recurse
/// over the tree, and a long operator chain (`a + a + … + a`) is as deep as it is long.
/// 256 levels of binding stay well inside a 2 MiB thread stack (a level costs a few
/// KiB in a debug build).
const MAX_DEPTH: usize = 256;

thread_local! {
    static DEPTH: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Counts one level of binding recursion while alive.
struct DepthGuard;

impl DepthGuard {
    fn enter() -> Result<DepthGuard> {
        let d = DEPTH.with(|c| {
            let d = c.get() + 1;
            c.set(d);
            d
        });
        let guard = DepthGuard;
        if d > MAX_DEPTH {
            return Err(QueryError::new(
                SqlState::STATEMENT_TOO_COMPLEX,
                format!("expression nesting is deeper than {MAX_DEPTH} levels"),
            ));
        }
        Ok(guard)
    }
}

impl Drop for DepthGuard {
    fn drop(&mut self) {
        DEPTH.with(|c| c.set(c.get().saturating_sub(1)));
    }
}

/// Binds one expression.
pub(crate) fn bind(expr: &ast::Expr, scope: &mut dyn BindScope) -> Result<Bound> {
    let _depth = DepthGuard::enter()?;
    bind_node(expr, scope)
}

fn bind_node(expr: &ast::Expr, scope: &mut dyn BindScope) -> Result<Bound> {
    use ast::Expr as E;
    match expr {
        E::Identifier(id) => {
            let (e, t) = scope.column(None, &ident_name(id))?;
            Ok(Bound::typed(e, t))
        }
        E::CompoundIdentifier(parts) => {
            let names: Vec<String> = parts.iter().map(ident_name).collect();
            let (e, t) = match names.as_slice() {
                [q, n] => scope.column(Some(q), n)?,
                [schema, q, n] if schema == "public" || schema == "main" => {
                    scope.column(Some(q), n)?
                }
                _ => {
                    return Err(QueryError::unsupported(format!(
                        "the qualified name {}",
                        names.join(".")
                    )))
                }
            };
            Ok(Bound::typed(e, t))
        }
        E::Value(v) => bind_value(&v.value, scope),
        E::Nested(e) => bind(e, scope),
        E::TypedString(ts) => {
            let text = match &ts.value.value {
                ast::Value::SingleQuotedString(s) | ast::Value::EscapedStringLiteral(s) => {
                    s.clone()
                }
                other => {
                    return Err(QueryError::unsupported(format!(
                        "a typed literal of {other}"
                    )))
                }
            };
            let ty = sql_type_from_ast(&ts.data_type)?;
            let v = ops::cast_explicit(&Value::Text(text), &ty)?;
            Ok(Bound::typed(
                ScalarExpr::Literal(v),
                DataType::of_sql_type(&ty),
            ))
        }
        E::Interval(iv) => bind_interval(iv),
        E::IsNull(e) | E::IsNotNull(e) => {
            let b = bind(e, scope)?;
            let b = coerce_to(b, DataType::Unknown, scope)?;
            Ok(Bound::typed(
                ScalarExpr::IsNull {
                    expr: boxed(b),
                    negated: matches!(expr, E::IsNotNull(_)),
                },
                DataType::Bool,
            ))
        }
        E::IsTrue(e)
        | E::IsNotTrue(e)
        | E::IsFalse(e)
        | E::IsNotFalse(e)
        | E::IsUnknown(e)
        | E::IsNotUnknown(e) => {
            let (test, negated) = match expr {
                E::IsTrue(_) => (TruthTest::True, false),
                E::IsNotTrue(_) => (TruthTest::True, true),
                E::IsFalse(_) => (TruthTest::False, false),
                E::IsNotFalse(_) => (TruthTest::False, true),
                E::IsUnknown(_) => (TruthTest::Unknown, false),
                _ => (TruthTest::Unknown, true),
            };
            let b = coerce_to(bind(e, scope)?, DataType::Bool, scope)?;
            expect_bool(b.ty, "IS")?;
            Ok(Bound::typed(
                ScalarExpr::IsTruth {
                    expr: boxed(b),
                    test,
                    negated,
                },
                DataType::Bool,
            ))
        }
        E::IsDistinctFrom(l, r) | E::IsNotDistinctFrom(l, r) => {
            let (l, r) = bind_compared(BinaryOp::Eq, l, r, scope)?;
            Ok(Bound::typed(
                ScalarExpr::IsDistinctFrom {
                    left: boxed(l),
                    right: boxed(r),
                    negated: matches!(expr, E::IsNotDistinctFrom(..)),
                },
                DataType::Bool,
            ))
        }
        E::Between {
            expr: e,
            negated,
            low,
            high,
        } => {
            let items = vec![bind(e, scope)?, bind(low, scope)?, bind(high, scope)?];
            let (mut items, _) = unify("BETWEEN", items, scope)?;
            let high = items.pop().map(boxed);
            let low = items.pop().map(boxed);
            let e = items.pop().map(boxed);
            match (e, low, high) {
                (Some(expr), Some(low), Some(high)) => Ok(Bound::typed(
                    ScalarExpr::Between {
                        expr,
                        low,
                        high,
                        negated: *negated,
                        symmetric: false,
                    },
                    DataType::Bool,
                )),
                _ => Err(QueryError::internal("BETWEEN lost an operand")),
            }
        }
        E::In {
            expr: e,
            target,
            negated,
            ..
        } => match target {
            ast::InTarget::List(list) => {
                let mut items = vec![bind(e, scope)?];
                for item in list {
                    items.push(bind(item, scope)?);
                }
                let (items, _) = unify("IN", items, scope)?;
                let mut it = items.into_iter();
                let first = it
                    .next()
                    .ok_or_else(|| QueryError::internal("IN lost its operand"))?;
                Ok(Bound::typed(
                    ScalarExpr::InList {
                        expr: boxed(first),
                        list: it.map(|b| b.expr).collect(),
                        negated: *negated,
                    },
                    DataType::Bool,
                ))
            }
            ast::InTarget::Subquery(q) => {
                let left = bind(e, scope)?;
                bind_quantified(left, q, SubqueryKind::In, *negated, scope)
            }
            ast::InTarget::Unnest(_) => Err(QueryError::unsupported("IN UNNEST")),
            ast::InTarget::Table { .. } => Err(QueryError::unsupported("IN with a table name")),
        },
        E::AnyOp {
            left,
            compare_op,
            right,
            ..
        }
        | E::AllOp {
            left,
            compare_op,
            right,
        } => {
            let op = comparison_op(compare_op)?;
            let kind = if matches!(expr, E::AnyOp { .. }) {
                SubqueryKind::Any(op)
            } else {
                SubqueryKind::All(op)
            };
            let mut r = right.as_ref();
            while let E::Nested(inner) = r {
                r = inner;
            }
            match r {
                E::Subquery(q) => {
                    let left = bind(left, scope)?;
                    bind_quantified(left, q, kind, false, scope)
                }
                _ => Err(QueryError::unsupported("ANY/ALL over an array")),
            }
        }
        E::Exists { subquery, negated } => {
            let (id, _) = scope.subquery(subquery, SubqueryKind::Exists)?;
            Ok(Bound::typed(
                ScalarExpr::Subquery {
                    id,
                    kind: SubqueryKind::Exists,
                    expr: None,
                    negated: *negated,
                },
                DataType::Bool,
            ))
        }
        E::Subquery(q) => {
            let (id, ty) = scope.subquery(q, SubqueryKind::Scalar)?;
            Ok(Bound::typed(
                ScalarExpr::Subquery {
                    id,
                    kind: SubqueryKind::Scalar,
                    expr: None,
                    negated: false,
                },
                ty,
            ))
        }
        E::BinaryOp { left, op, right } => bind_binary_ast(left, op, right, scope),
        E::UnaryOp { op, expr: e } => bind_unary(*op, e, scope),
        E::Like {
            negated,
            any,
            expr: e,
            pattern,
            escape_char,
        }
        | E::ILike {
            negated,
            any,
            expr: e,
            pattern,
            escape_char,
        } => {
            if *any {
                return Err(QueryError::unsupported("LIKE ANY"));
            }
            bind_like(
                e,
                pattern,
                escape_char.as_deref(),
                matches!(expr, E::ILike { .. }),
                *negated,
                scope,
            )
        }
        E::SimilarTo { .. } => Err(QueryError::unsupported("SIMILAR TO")),
        E::RLike { .. } => Err(QueryError::unsupported("REGEXP/RLIKE")),
        E::Case {
            operand,
            conditions,
            else_result,
            ..
        } => bind_case(
            operand.as_deref(),
            conditions,
            else_result.as_deref(),
            scope,
        ),
        E::Cast {
            kind,
            expr: e,
            data_type,
            format,
        } => {
            if format.is_some() {
                return Err(QueryError::unsupported("CAST … FORMAT"));
            }
            match kind {
                ast::CastKind::Cast | ast::CastKind::DoubleColon => {}
                ast::CastKind::TryCast => return Err(QueryError::unsupported("TRY_CAST")),
                ast::CastKind::SafeCast => return Err(QueryError::unsupported("SAFE_CAST")),
            }
            let to = sql_type_from_ast(data_type)?;
            let b = bind(e, scope)?;
            bind_cast(b, to, scope)
        }
        E::Function(f) => bind_call::bind_function(f, scope),
        E::Extract { field, expr: e, .. } => bind_call::bind_extract(field, e, scope),
        E::Ceil { expr: e, field } | E::Floor { expr: e, field } => {
            let name = if matches!(expr, E::Ceil { .. }) {
                "ceil"
            } else {
                "floor"
            };
            match field {
                ast::CeilFloorKind::DateTimeField(ast::DateTimeField::NoDateTime) => {
                    let b = bind(e, scope)?;
                    bind_call::call(name, vec![b], scope)
                }
                _ => Err(QueryError::unsupported(format!(
                    "{name} with a scale or field"
                ))),
            }
        }
        E::Position { expr: needle, r#in } => {
            let haystack = bind(r#in, scope)?;
            let needle = bind(needle, scope)?;
            bind_call::call("strpos", vec![haystack, needle], scope)
        }
        E::Substring {
            expr: e,
            substring_from,
            substring_for,
            ..
        } => {
            let mut args = vec![bind(e, scope)?];
            match substring_from {
                Some(from) => args.push(bind(from, scope)?),
                None => args.push(Bound::typed(
                    ScalarExpr::Literal(Value::Int(1)),
                    DataType::Int,
                )),
            }
            if let Some(f) = substring_for {
                args.push(bind(f, scope)?);
            }
            bind_call::call("substr", args, scope)
        }
        E::Trim {
            trim_where,
            trim_what,
            expr: e,
            trim_characters,
        } => {
            let name = match trim_where {
                None | Some(ast::TrimWhereField::Both) => "btrim",
                Some(ast::TrimWhereField::Leading) => "ltrim",
                Some(ast::TrimWhereField::Trailing) => "rtrim",
            };
            let mut args = vec![bind(e, scope)?];
            if let Some(what) = trim_what {
                args.push(bind(what, scope)?);
            } else if let Some(chars) = trim_characters {
                match chars.as_slice() {
                    [c] => args.push(bind(c, scope)?),
                    _ => return Err(QueryError::unsupported("TRIM with several character sets")),
                }
            }
            bind_call::call(name, args, scope)
        }
        E::Overlay {
            expr: e,
            overlay_what,
            overlay_from,
            overlay_for,
        } => {
            let mut args = vec![
                bind(e, scope)?,
                bind(overlay_what, scope)?,
                bind(overlay_from, scope)?,
            ];
            if let Some(f) = overlay_for {
                args.push(bind(f, scope)?);
            }
            bind_call::call("overlay", args, scope)
        }
        E::Collate { expr: e, collation } => {
            // covet compares text by code point: the collations that mean exactly that
            // are accepted, any other is 0A000.
            let name = collation.to_string().trim_matches('"').to_ascii_lowercase();
            if matches!(
                name.as_str(),
                "c" | "posix" | "default" | "ucs_basic" | "binary"
            ) {
                bind(e, scope)
            } else {
                Err(QueryError::unsupported(format!("COLLATE {collation}")))
            }
        }
        E::AtTimeZone {
            timestamp,
            time_zone,
        } => bind_at_time_zone(timestamp, time_zone, scope),
        E::Convert { .. } => Err(QueryError::unsupported("CONVERT")),
        E::Tuple(_) => Err(QueryError::unsupported("row constructors")),
        E::Array(_) => Err(QueryError::unsupported("arrays")),
        E::CompoundFieldAccess { .. } => Err(QueryError::unsupported("field and subscript access")),
        E::JsonAccess { .. } => Err(QueryError::unsupported("the JSON path syntax x:a.b")),
        E::Wildcard(_) | E::QualifiedWildcard(..) => {
            Err(QueryError::syntax("a * is not allowed here"))
        }
        E::GroupingSets(_) | E::Cube(_) | E::Rollup(_) => {
            Err(QueryError::unsupported("GROUPING SETS, CUBE and ROLLUP"))
        }
        other => Err(QueryError::unsupported(format!("the expression {other}"))),
    }
}

fn bind_value(v: &ast::Value, scope: &mut dyn BindScope) -> Result<Bound> {
    use ast::Value as V;
    match v {
        V::Number(text, _) => number_literal(text),
        V::SingleQuotedString(s)
        | V::EscapedStringLiteral(s)
        | V::UnicodeStringLiteral(s)
        | V::NationalStringLiteral(s)
        | V::TripleSingleQuotedString(s) => Ok(Bound {
            expr: ScalarExpr::Literal(Value::Text(s.clone())),
            ty: DataType::Unknown,
            origin: Origin::Text(s.clone()),
        }),
        V::DollarQuotedString(d) => Ok(Bound {
            expr: ScalarExpr::Literal(Value::Text(d.value.clone())),
            ty: DataType::Unknown,
            origin: Origin::Text(d.value.clone()),
        }),
        V::HexStringLiteral(h) => {
            let bytes = ops::text::parse_bytea(&format!("\\x{h}"))?;
            Ok(Bound::typed(
                ScalarExpr::Literal(Value::Blob(bytes)),
                DataType::Blob,
            ))
        }
        V::Boolean(b) => Ok(Bound::typed(
            ScalarExpr::Literal(Value::Bool(*b)),
            DataType::Bool,
        )),
        V::Null => Ok(Bound {
            expr: ScalarExpr::Literal(Value::Null),
            ty: DataType::Unknown,
            origin: Origin::Null,
        }),
        V::Placeholder(p) => {
            let index = p
                .strip_prefix('$')
                .and_then(|n| n.parse::<usize>().ok())
                .filter(|n| *n >= 1)
                .ok_or_else(|| QueryError::unsupported(format!("the parameter placeholder {p}")))?;
            let i = index - 1;
            let t = scope.param(i, None)?;
            if t == DataType::Unknown {
                Ok(Bound {
                    expr: ScalarExpr::Param(i),
                    ty: DataType::Unknown,
                    origin: Origin::Param(i),
                })
            } else {
                Ok(Bound::typed(
                    ScalarExpr::Cast {
                        expr: Box::new(ScalarExpr::Param(i)),
                        to: t.default_sql_type(),
                    },
                    t,
                ))
            }
        }
        V::DoubleQuotedString(s) => {
            // PostgreSQL reads "x" as an identifier.
            let (e, t) = scope.column(None, s)?;
            Ok(Bound::typed(e, t))
        }
        other => Err(QueryError::unsupported(format!("the literal {other}"))),
    }
}

/// `x AT TIME ZONE zone` for the zones that are UTC (covet's only zone): a timestamp
/// becomes the timestamptz of that UTC wall time, a timestamptz the timestamp of its
/// UTC wall time. Other zones are 0A000.
fn bind_at_time_zone(ts: &ast::Expr, zone: &ast::Expr, scope: &mut dyn BindScope) -> Result<Bound> {
    let zone_name = match zone {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::SingleQuotedString(s) => s.clone(),
            other => return Err(QueryError::unsupported(format!("AT TIME ZONE {other}"))),
        },
        _ => return Err(QueryError::unsupported("AT TIME ZONE of an expression")),
    };
    let utc = matches!(
        zone_name.to_ascii_uppercase().as_str(),
        "UTC" | "Z" | "GMT" | "ZULU" | "UCT" | "+00" | "+00:00" | "-00" | "ETC/UTC" | "ETC/GMT"
    );
    if !utc {
        return Err(QueryError::unsupported(format!(
            "AT TIME ZONE '{zone_name}' (covet's only time zone is UTC)"
        )));
    }
    // An unknown literal is read as timestamptz (PostgreSQL's choice); a timestamp
    // keeps its type.
    let b = bind(ts, scope)?;
    let target = if b.is_unknown() {
        DataType::TimestampTz
    } else {
        DataType::Unknown
    };
    let b = coerce_to(b, target, scope)?;
    let to = match b.ty {
        DataType::Timestamp | DataType::Date => covet_engine::value::SqlType::TimestampTz,
        DataType::TimestampTz => covet_engine::value::SqlType::Timestamp,
        other => {
            return Err(ops::no_operator("AT TIME ZONE", other.name(), "text"));
        }
    };
    let ty = DataType::of_sql_type(&to);
    Ok(Bound::typed(
        ScalarExpr::Cast {
            expr: Box::new(b.expr),
            to,
        },
        ty,
    ))
}

/// A numeric literal: an integer that fits `i64` is Int, a longer one or one with a
/// point is Decimal (as PostgreSQL's numeric), one with an exponent is Float.
pub(crate) fn number_literal(text: &str) -> Result<Bound> {
    let bad = || QueryError::syntax(format!("invalid number {text}"));
    // PostgreSQL 16 allows `1_000_000`; the digits are what count.
    let digits = text.replace('_', "");
    let unsigned = digits.strip_prefix('-').unwrap_or(&digits);
    let negative = unsigned.len() != digits.len();
    let radix = match unsigned.get(..2) {
        Some("0x" | "0X") => Some(16),
        Some("0o" | "0O") => Some(8),
        Some("0b" | "0B") => Some(2),
        _ => None,
    };
    let decimal = |t: &str| -> Result<Value> {
        t.parse::<covet_engine::value::Decimal>()
            .map(Value::Decimal)
            .map_err(|e| match e {
                covet_engine::value::DecimalError::Invalid { .. } => bad(),
                _ => crate::ops::numeric::numeric_overflow(),
            })
    };
    let v = if let Some(radix) = radix {
        let magnitude = i128::from_str_radix(&unsigned[2..], radix).map_err(|_| bad())?;
        let signed = if negative { -magnitude } else { magnitude };
        i64::try_from(signed)
            .map(Value::Int)
            .map_err(|_| crate::ops::out_of_range("bigint"))?
    } else if digits.contains(['e', 'E']) {
        Value::Float(digits.parse::<f64>().map_err(|_| bad())?)
    } else if digits.contains('.') {
        decimal(&digits)?
    } else {
        match digits.parse::<i64>() {
            Ok(i) => Value::Int(i),
            Err(_) => decimal(&digits)?,
        }
    };
    let ty = DataType::of_value(&v);
    Ok(Bound::typed(ScalarExpr::Literal(v), ty))
}

fn bind_interval(iv: &ast::Interval) -> Result<Bound> {
    if iv.last_field.is_some()
        || iv.leading_precision.is_some()
        || iv.fractional_seconds_precision.is_some()
    {
        return Err(QueryError::unsupported(
            "INTERVAL with a field range or precision",
        ));
    }
    let text = match iv.value.as_ref() {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::SingleQuotedString(s) => s.clone(),
            ast::Value::Number(n, _) => n.clone(),
            other => return Err(QueryError::unsupported(format!("INTERVAL {other}"))),
        },
        _ => return Err(QueryError::unsupported("INTERVAL of an expression")),
    };
    let text = match &iv.leading_field {
        None => text,
        Some(f) => format!("{text} {}", f.to_string().to_lowercase()),
    };
    let i = Interval::parse(&text).map_err(|_| {
        QueryError::new(
            SqlState::INVALID_DATETIME_FORMAT,
            format!("invalid input syntax for type interval: \"{text}\""),
        )
    })?;
    Ok(Bound::typed(
        ScalarExpr::Literal(Value::Interval(i)),
        DataType::Interval,
    ))
}

/// Wraps a resolved function for the expression tree.
pub(crate) fn function_node(
    func: crate::functions::ScalarFunction,
    args: Vec<ScalarExpr>,
) -> ScalarExpr {
    ScalarExpr::Function {
        func: Arc::new(func),
        args,
    }
}
