//! Binding function calls: the conditional forms the binder builds itself (COALESCE,
//! IFNULL, NULLIF, GREATEST, LEAST, pg_typeof), aggregates and window calls (handed to
//! the scope), and everything else through [`functions::resolve_scalar`], which also
//! says the types to cast the arguments to.

use covet_engine::value::Value;
use sqlparser::ast;

use super::bind::{bind, coerce_to, function_node, ident_name, unify, Bound};
use super::{BindScope, ScalarExpr};
use crate::error::{QueryError, Result, SqlState};
use crate::functions;
use crate::types::DataType;

/// The lower-case name of a called function (its last name part: `pg_catalog.lower`
/// is `lower`).
pub fn function_name(name: &ast::ObjectName) -> Result<String> {
    match name.0.last() {
        Some(ast::ObjectNamePart::Identifier(id)) => Ok(ident_name(id)),
        _ => Err(QueryError::unsupported(format!("the function name {name}"))),
    }
}

/// The parts of an aggregate call, for a [`BindScope::aggregate`] to bind.
#[derive(Debug)]
pub struct AggregateCallParts<'a> {
    /// The lower-case name.
    pub name: String,
    /// `DISTINCT` was given.
    pub distinct: bool,
    /// The argument expressions; empty for `count(*)`.
    pub args: Vec<&'a ast::Expr>,
    /// `count(*)`.
    pub star: bool,
    /// `FILTER (WHERE …)`.
    pub filter: Option<&'a ast::Expr>,
    /// `ORDER BY` inside the call (`string_agg(x, ',' ORDER BY y)`).
    pub order_by: Vec<&'a ast::OrderByExpr>,
}

/// Splits an aggregate call into its parts; 0A000 for the clauses covet does not have.
pub fn aggregate_call_parts(call: &ast::Function) -> Result<AggregateCallParts<'_>> {
    let name = function_name(&call.name)?;
    if !call.within_group.is_empty() {
        return Err(QueryError::unsupported("WITHIN GROUP"));
    }
    if call.null_treatment.is_some() {
        return Err(QueryError::unsupported("IGNORE/RESPECT NULLS"));
    }
    let mut parts = AggregateCallParts {
        name,
        distinct: false,
        args: Vec::new(),
        star: false,
        filter: call.filter.as_deref(),
        order_by: Vec::new(),
    };
    match &call.args {
        ast::FunctionArguments::None => {}
        ast::FunctionArguments::Subquery(_) => {
            return Err(QueryError::unsupported("a subquery as the argument list"))
        }
        ast::FunctionArguments::List(list) => {
            parts.distinct = matches!(
                list.duplicate_treatment,
                Some(ast::DuplicateTreatment::Distinct)
            );
            for clause in &list.clauses {
                match clause {
                    ast::FunctionArgumentClause::OrderBy(items) => {
                        parts.order_by.extend(items.iter())
                    }
                    other => {
                        return Err(QueryError::unsupported(format!("the call clause {other}")))
                    }
                }
            }
            for arg in &list.args {
                match arg {
                    ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => parts.args.push(e),
                    ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Wildcard)
                        if list.args.len() == 1 =>
                    {
                        parts.star = true
                    }
                    other => return Err(QueryError::unsupported(format!("the argument {other}"))),
                }
            }
        }
    }
    Ok(parts)
}

fn not_aggregate(what: &str, name: &str) -> QueryError {
    QueryError::new(
        SqlState::WRONG_OBJECT_TYPE,
        format!("{what} specified, but {name} is not an aggregate function"),
    )
}

/// Binds a function call expression.
pub(crate) fn bind_function(f: &ast::Function, scope: &mut dyn BindScope) -> Result<Bound> {
    let name = function_name(&f.name)?;
    // sqlparser reads the row constructor `ROW(a, b)` as a call of a function `row`;
    // covet has no row values yet, which is a missing feature, not an unknown function.
    if name == "row" {
        return Err(QueryError::unsupported("row constructors (ROW(…))"));
    }
    if f.over.is_some() {
        let (e, t) = scope.window(f)?;
        return Ok(Bound::typed(e, t));
    }
    if functions::is_aggregate_name(&name) {
        let (e, t) = scope.aggregate(f)?;
        return Ok(Bound::typed(e, t));
    }
    if f.filter.is_some() {
        return Err(not_aggregate("FILTER", &name));
    }
    if !f.within_group.is_empty() {
        return Err(not_aggregate("WITHIN GROUP", &name));
    }
    if f.null_treatment.is_some() {
        return Err(QueryError::unsupported("IGNORE/RESPECT NULLS"));
    }
    if !matches!(f.parameters, ast::FunctionArguments::None) {
        return Err(QueryError::unsupported("parametric function calls"));
    }
    let mut args = Vec::new();
    match &f.args {
        ast::FunctionArguments::None => {}
        ast::FunctionArguments::Subquery(_) => {
            return Err(QueryError::unsupported("a subquery as the argument list"))
        }
        ast::FunctionArguments::List(list) => {
            if matches!(
                list.duplicate_treatment,
                Some(ast::DuplicateTreatment::Distinct)
            ) {
                return Err(not_aggregate("DISTINCT", &name));
            }
            if !list.clauses.is_empty() {
                return Err(not_aggregate("ORDER BY", &name));
            }
            for arg in &list.args {
                match arg {
                    ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => {
                        args.push(bind(e, scope)?)
                    }
                    ast::FunctionArg::Unnamed(_) => {
                        return Err(QueryError::syntax(format!(
                            "a * is not an argument of {name}"
                        )))
                    }
                    _ => return Err(QueryError::unsupported("named function arguments")),
                }
            }
        }
    }
    match name.as_str() {
        "coalesce" | "ifnull" => {
            if args.is_empty() || (name == "ifnull" && args.len() != 2) {
                return Err(no_function(&name, &args));
            }
            let (args, ty) = unify(
                if name == "ifnull" {
                    "IFNULL"
                } else {
                    "COALESCE"
                },
                args,
                scope,
            )?;
            Ok(Bound::typed(
                ScalarExpr::Coalesce(args.into_iter().map(|b| b.expr).collect()),
                ty,
            ))
        }
        "nullif" | "greatest" | "least" => {
            if (name == "nullif" && args.len() != 2) || args.is_empty() {
                return Err(no_function(&name, &args));
            }
            let context = name.to_uppercase();
            let (args, _) = unify(&context, args, scope)?;
            call(&name, args, scope)
        }
        "pg_typeof" => match args.as_slice() {
            [a] => Ok(Bound::typed(
                ScalarExpr::Literal(Value::Text(a.ty.name().to_owned())),
                DataType::Text,
            )),
            _ => Err(no_function(&name, &args)),
        },
        _ => call(&name, args, scope),
    }
}

fn no_function(name: &str, args: &[Bound]) -> QueryError {
    let types: Vec<&str> = args.iter().map(|a| a.ty.name()).collect();
    QueryError::new(
        SqlState::UNDEFINED_FUNCTION,
        format!("function {name}({}) does not exist", types.join(", ")),
    )
}

/// Resolves `name(args)` in the function library and casts the arguments to the types
/// it asks for.
pub(crate) fn call(name: &str, args: Vec<Bound>, scope: &mut dyn BindScope) -> Result<Bound> {
    let types: Vec<DataType> = args.iter().map(|a| a.ty).collect();
    let (func, casts) = functions::resolve_scalar(name, &types)?;
    if casts.len() != args.len() {
        return Err(QueryError::internal(format!(
            "function {name} resolved {} argument types for {} arguments",
            casts.len(),
            args.len()
        )));
    }
    let mut bound = Vec::with_capacity(args.len());
    for (a, t) in args.into_iter().zip(casts) {
        let b = coerce_to(a, t, scope)?;
        // Resolution chose this type; a cast it allows beyond widening (text to
        // anything) is made explicit here.
        let b = if t != DataType::Unknown && b.ty != t {
            Bound::typed(
                ScalarExpr::Cast {
                    expr: Box::new(b.expr),
                    to: t.default_sql_type(),
                },
                t,
            )
        } else {
            b
        };
        bound.push(b.expr);
    }
    let ty = func.return_type;
    Ok(Bound::typed(function_node(func, bound), ty))
}

/// `EXTRACT(field FROM x)` as `extract('field', x)` (numeric, as PostgreSQL 14+).
pub(crate) fn bind_extract(
    field: &ast::DateTimeField,
    e: &ast::Expr,
    scope: &mut dyn BindScope,
) -> Result<Bound> {
    let field_name = match field {
        ast::DateTimeField::Custom(id) => ident_name(id),
        other => other.to_string().to_lowercase(),
    };
    let b = bind(e, scope)?;
    let f = Bound::typed(ScalarExpr::Literal(Value::Text(field_name)), DataType::Text);
    call("extract", vec![f, b], scope)
}
