//! RETURNING lists: bound over the target row, evaluated on each changed row.

use covet_engine::value::Value;
use sqlparser::ast::{SelectItem, SelectItemQualifiedWildcardKind};

use super::scope::{Relation, RowScope, StatementContext};
use crate::error::{QueryError, Result};
use crate::expr::{evaluate, ScalarExpr};
use crate::session::Column;
use crate::statement::names;
use crate::types::DataType;

/// A bound RETURNING list.
pub(crate) struct Returning {
    pub columns: Vec<Column>,
    exprs: Vec<ScalarExpr>,
}

impl Returning {
    /// Binds `items` over `relations` (the target first).
    pub fn bind(
        items: &[SelectItem],
        relations: &[Relation],
        params: &mut Vec<DataType>,
    ) -> Result<Returning> {
        let mut columns = Vec::new();
        let mut exprs = Vec::new();
        let mut scope = RowScope {
            relations,
            params,
            what: "RETURNING",
        };
        for item in items {
            match item {
                SelectItem::Wildcard(_) => {
                    let mut offset = 0;
                    for rel in relations {
                        for (i, (name, ty)) in rel.columns.iter().enumerate() {
                            columns.push(Column {
                                name: name.clone(),
                                ty: DataType::of_sql_type(ty),
                            });
                            exprs.push(ScalarExpr::Column(offset + i));
                        }
                        offset += rel.columns.len();
                    }
                }
                SelectItem::QualifiedWildcard(
                    SelectItemQualifiedWildcardKind::ObjectName(n),
                    _,
                ) => {
                    let q = names::object(n)?;
                    let mut offset = 0;
                    let mut seen = false;
                    for rel in relations {
                        if rel.name == q {
                            seen = true;
                            for (i, (name, ty)) in rel.columns.iter().enumerate() {
                                columns.push(Column {
                                    name: name.clone(),
                                    ty: DataType::of_sql_type(ty),
                                });
                                exprs.push(ScalarExpr::Column(offset + i));
                            }
                        }
                        offset += rel.columns.len();
                    }
                    if !seen {
                        return Err(QueryError::new(
                            crate::SqlState::UNDEFINED_TABLE,
                            format!("missing FROM-clause entry for table \"{q}\""),
                        ));
                    }
                }
                SelectItem::UnnamedExpr(e) => {
                    let (bound, ty) = scope.bind(e)?;
                    columns.push(Column {
                        name: output_name(e),
                        ty,
                    });
                    exprs.push(bound);
                }
                SelectItem::ExprWithAlias { expr, alias } => {
                    let (bound, ty) = scope.bind(expr)?;
                    columns.push(Column {
                        name: names::ident(alias),
                        ty,
                    });
                    exprs.push(bound);
                }
                other => return Err(QueryError::unsupported(format!("RETURNING item {other}"))),
            }
        }
        Ok(Returning { columns, exprs })
    }

    /// The RETURNING row of `row`.
    pub fn row(&self, row: &[Value], ctx: &mut StatementContext<'_>) -> Result<Vec<Value>> {
        self.exprs.iter().map(|e| evaluate(e, row, ctx)).collect()
    }
}

/// The name PostgreSQL gives an unaliased output expression: a column's name, a
/// function's name, else `?column?`.
pub(crate) fn output_name(e: &sqlparser::ast::Expr) -> String {
    use sqlparser::ast::Expr;
    match e {
        Expr::Identifier(id) => names::ident(id),
        Expr::CompoundIdentifier(parts) => parts.last().map(names::ident).unwrap_or_default(),
        Expr::Function(f) => f
            .name
            .0
            .last()
            .and_then(|p| p.as_ident())
            .map(names::ident)
            .unwrap_or_else(|| "?column?".into()),
        Expr::Cast { expr, .. } | Expr::Nested(expr) => output_name(expr),
        _ => "?column?".into(),
    }
}
