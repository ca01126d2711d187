//! The binder of query blocks: `sqlparser` queries → [`LogicalPlan`]s with names
//! resolved against the [`Catalog`], types checked, and SQLSTATE errors naming the
//! offending object.
//!
//! * `scope.rs`: the name scopes of query blocks (FROM columns, correlation depth) and
//!   the [`BindScope`](crate::expr::BindScope) that [`bind_expr`](crate::expr::bind_expr)
//!   calls back for columns, aggregates, windows, subqueries and parameters;
//! * `from.rs`: FROM (tables, aliases, derived tables, LATERAL, every join kind);
//! * `select.rs`: one SELECT block (WHERE, GROUP BY/HAVING, aggregates, windows,
//!   DISTINCT, ORDER BY over the block);
//! * `grouping.rs`: the rewrite of post-aggregation expressions onto the aggregate's
//!   output (and the 42803 checks);
//! * `query.rs`: query expressions (set operations, VALUES, WITH [RECURSIVE], ORDER BY
//!   and LIMIT/OFFSET/FETCH);
//! * `dml.rs`: the target of UPDATE/DELETE (with FROM/USING) for the statement layer.
//!
//! Identifiers: unquoted ones fold to lower case, quoted ones keep their case
//! (PostgreSQL).

use sqlparser::ast;

use crate::catalog::Catalog;
use crate::error::{QueryError, Result, SqlState};
use crate::expr::SubqueryKind;
use crate::plan::LogicalPlan;
use crate::session::Column;
use crate::types::DataType;

mod dml;
mod from;
mod grouping;
mod query;
mod scope;
mod select;

pub use dml::{bind_dml_target, bind_insert_target, DmlTarget};

/// A bound query: its plan, its result columns and the subqueries its expressions use
/// (indexed by [`SubqueryId`](crate::expr::SubqueryId)).
#[derive(Debug, Clone)]
pub struct BoundQuery {
    /// The plan.
    pub plan: LogicalPlan,
    /// The result columns.
    pub columns: Vec<Column>,
    /// Every subquery of the statement, at any depth.
    pub subqueries: Vec<BoundSubquery>,
}

/// A bound subquery.
#[derive(Debug, Clone)]
pub struct BoundSubquery {
    /// Its plan.
    pub plan: LogicalPlan,
    /// How the enclosing expression uses it.
    pub kind: SubqueryKind,
    /// Whether it reads a column of an enclosing query.
    pub correlated: bool,
}

/// The types of a statement's parameters `$1…$n`, as the binder infers them: the first
/// context that says what a parameter must be fixes it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParamTypes {
    types: Vec<DataType>,
}

impl ParamTypes {
    /// No parameters seen yet.
    pub fn new() -> ParamTypes {
        ParamTypes::default()
    }

    /// Parameters of known types (from a client's Parse message).
    pub fn with_types(types: Vec<DataType>) -> ParamTypes {
        ParamTypes { types }
    }

    /// Records a use of parameter `index` (0-based) where `hint` is expected; returns
    /// its type.
    pub fn record(&mut self, index: usize, hint: Option<DataType>) -> DataType {
        if self.types.len() <= index {
            self.types.resize(index + 1, DataType::Unknown);
        }
        if self.types[index] == DataType::Unknown {
            if let Some(h) = hint {
                self.types[index] = h;
            }
        }
        self.types[index]
    }

    /// The types, `$1` first (`Unknown` where nothing told).
    pub fn types(&self) -> &[DataType] {
        &self.types
    }
}

/// The names of the tables and views `query` reads, those read through the views it
/// reads included (CTE names are not relations), in the order they were resolved.
pub fn relations_read(query: &ast::Query, catalog: &Catalog) -> Result<Vec<String>> {
    let mut params = ParamTypes::new();
    let mut binder = scope::Binder::new(catalog, &mut params);
    binder.bind_query(query, scope::BlockKind::Subquery)?;
    Ok(binder.relations)
}

/// Binds a query (SELECT, VALUES, set operations, WITH) against `catalog`.
pub fn bind_query(
    query: &ast::Query,
    catalog: &Catalog,
    params: &mut ParamTypes,
) -> Result<BoundQuery> {
    let mut binder = scope::Binder::new(catalog, params);
    let (plan, mut columns) = binder.bind_query(query, scope::BlockKind::Subquery)?;
    // A result column nothing typed (a bare NULL, a quoted literal) is text, as
    // PostgreSQL resolves `unknown` in a select list.
    for c in &mut columns {
        if c.ty == DataType::Unknown {
            c.ty = DataType::Text;
        }
    }
    Ok(BoundQuery {
        plan,
        columns,
        subqueries: binder.into_subqueries()?,
    })
}

/// An identifier's name: unquoted folds to lower case, quoted keeps its case.
pub fn ident_name(ident: &ast::Ident) -> String {
    if ident.quote_style.is_some() {
        ident.value.clone()
    } else {
        ident.value.to_lowercase()
    }
}

/// The table name of an object name (`t`, or `public.t`); other schemas are 3F000-like
/// unknown tables.
pub fn object_table_name(name: &ast::ObjectName) -> Result<String> {
    let parts: Vec<&ast::Ident> = name
        .0
        .iter()
        .map(|p| {
            p.as_ident()
                .ok_or_else(|| QueryError::unsupported(format!("table name {name}")))
        })
        .collect::<Result<_>>()?;
    match parts.as_slice() {
        [t] => Ok(ident_name(t)),
        [s, t] if ident_name(s) == "public" => Ok(ident_name(t)),
        _ => Err(QueryError::new(
            SqlState::UNDEFINED_TABLE,
            format!("relation \"{name}\" does not exist"),
        )),
    }
}
