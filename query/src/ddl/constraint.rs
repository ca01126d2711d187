//! CHECK and FOREIGN KEY constraints: naming them as PostgreSQL does, validating them
//! (a CHECK must bind over the table's row; the rows already stored must satisfy a
//! constraint added later), and storing them in the engine's catalog. Enforcement is
//! in `dml/constraints.rs`.

use covet_engine::table::{CheckDef, FkAction, ForeignKeyDef, TableRead, TableSchema, TableWriter};
use covet_engine::value::Value;
use sqlparser::ast::{Expr, ForeignKeyConstraint, Ident, ReferentialAction};

use crate::dml::constraints::{bind_check, check_parent};
use crate::dml::scope::StatementContext;
use crate::error::{QueryError, Result, SqlState};
use crate::expr::evaluate;
use crate::statement::names;

/// A name `<table>_<stem>_<suffix>` no constraint of `table` uses yet.
fn free_name(w: &TableWriter<'_>, table: &str, stem: &str, suffix: &str) -> Result<String> {
    let taken: Vec<String> = w
        .checks(table)?
        .into_iter()
        .map(|c| c.name)
        .chain(w.foreign_keys(table)?.into_iter().map(|f| f.name))
        .collect();
    let mut base = if stem.is_empty() {
        format!("{table}_{suffix}")
    } else {
        format!("{table}_{stem}_{suffix}")
    };
    let room = covet_engine::table::MAX_NAME_LEN - 4;
    if base.len() > room {
        let mut cut = room;
        while !base.is_char_boundary(cut) {
            cut -= 1;
        }
        base.truncate(cut);
    }
    let mut name = base.clone();
    let mut n = 1;
    while taken.contains(&name) {
        name = format!("{base}{n}");
        n += 1;
    }
    Ok(name)
}

/// The first column an expression names, for the name of an unnamed CHECK.
fn first_column(e: &Expr) -> Option<String> {
    match e {
        Expr::Identifier(id) => Some(names::ident(id)),
        Expr::BinaryOp { left, right, .. } => first_column(left).or_else(|| first_column(right)),
        Expr::UnaryOp { expr, .. }
        | Expr::Nested(expr)
        | Expr::IsNull(expr)
        | Expr::IsNotNull(expr)
        | Expr::Cast { expr, .. } => first_column(expr),
        Expr::Between { expr, .. } | Expr::Like { expr, .. } => first_column(expr),
        _ => None,
    }
}

/// Adds CHECK (`expr`) to `table`, after checking its rows.
pub(super) fn add_check(
    w: &mut TableWriter<'_>,
    table: &str,
    name: Option<&Ident>,
    column: Option<&str>,
    expr: &Expr,
) -> Result<()> {
    let schema = w.table_schema(table)?;
    let sql = expr.to_string();
    let bound = bind_check(&sql, &schema)?;
    let name = match name {
        Some(n) => names::ident(n),
        None => {
            let stem = column
                .map(str::to_string)
                .or_else(|| first_column(expr))
                .unwrap_or_default();
            free_name(w, table, &stem, "check")?
        }
    };
    let mut ctx = StatementContext {
        params: &[],
        time_micros: crate::dml::now_micros(),
    };
    for row in w.scan(table)? {
        let row = row?;
        if evaluate(&bound, &row.values, &mut ctx)? == Value::Bool(false) {
            return Err(QueryError::new(
                SqlState::CHECK_VIOLATION,
                format!(
                    "check constraint \"{name}\" of relation \"{table}\" is violated by some row"
                ),
            ));
        }
    }
    w.add_check(CheckDef {
        name,
        table: table.to_string(),
        sql,
    })?;
    Ok(())
}

fn action(a: &Option<ReferentialAction>) -> FkAction {
    match a {
        None | Some(ReferentialAction::NoAction) => FkAction::NoAction,
        Some(ReferentialAction::Restrict) => FkAction::Restrict,
        Some(ReferentialAction::Cascade) => FkAction::Cascade,
        Some(ReferentialAction::SetNull) => FkAction::SetNull,
        Some(ReferentialAction::SetDefault) => FkAction::SetDefault,
    }
}

fn position(schema: &TableSchema, name: &str) -> Result<usize> {
    schema.column_index(name).ok_or_else(|| {
        QueryError::new(
            SqlState::UNDEFINED_COLUMN,
            format!("column \"{name}\" referenced in foreign key constraint does not exist"),
        )
    })
}

/// Adds the foreign key `fk` of `table` (`columns` for a column constraint, whose own
/// list is empty), after checking its rows.
pub(super) fn add_foreign_key(
    w: &mut TableWriter<'_>,
    table: &str,
    fk: &ForeignKeyConstraint,
    columns: &[String],
) -> Result<()> {
    if fk.match_kind.is_some() {
        return Err(QueryError::unsupported("FOREIGN KEY … MATCH"));
    }
    let schema = w.table_schema(table)?;
    let cols: Vec<String> = if fk.columns.is_empty() {
        columns.to_vec()
    } else {
        fk.columns.iter().map(names::ident).collect()
    };
    let ref_table = names::object(&fk.foreign_table)?;
    if !w.table_exists(&ref_table)? {
        return Err(super::undefined_table(&ref_table));
    }
    let ref_schema = w.table_schema(&ref_table)?;
    let ref_columns: Vec<usize> = if fk.referred_columns.is_empty() {
        ref_schema.primary_key.clone().ok_or_else(|| {
            QueryError::new(
                SqlState::INVALID_FOREIGN_KEY,
                format!("there is no primary key for referenced table \"{ref_table}\""),
            )
        })?
    } else {
        fk.referred_columns
            .iter()
            .map(|c| position(&ref_schema, &names::ident(c)))
            .collect::<Result<_>>()?
    };
    let positions: Vec<usize> = cols
        .iter()
        .map(|c| position(&schema, c))
        .collect::<Result<_>>()?;
    if positions.len() != ref_columns.len() {
        return Err(QueryError::new(
            SqlState::INVALID_FOREIGN_KEY,
            "number of referencing and referenced columns for foreign key disagree",
        ));
    }
    for (&c, &r) in positions.iter().zip(&ref_columns) {
        let (a, b) = (
            crate::types::DataType::of_sql_type(&schema.columns[c].ty),
            crate::types::DataType::of_sql_type(&ref_schema.columns[r].ty),
        );
        if a != b && !(a.is_numeric() && b.is_numeric()) {
            return Err(QueryError::new(
                SqlState::DATATYPE_MISMATCH,
                format!(
                    "foreign key constraint cannot be implemented: key columns \"{}\" and \"{}\" are of incompatible types",
                    schema.columns[c].name, ref_schema.columns[r].name
                ),
            ));
        }
    }
    let name = match &fk.name {
        Some(n) => names::ident(n),
        None => free_name(w, table, &cols.join("_"), "fkey")?,
    };
    let mut def = ForeignKeyDef::new(name, table, positions, ref_table, ref_columns);
    def.on_delete = action(&fk.on_delete);
    def.on_update = action(&fk.on_update);
    // The engine refuses a key that is not the referenced table's primary key or a
    // unique index: PostgreSQL's 42830.
    w.add_foreign_key(def.clone()).map_err(|e| match e {
        covet_engine::Error::Table(covet_engine::TableError::InvalidDefinition { reason, .. }) => {
            QueryError::new(
                SqlState::INVALID_FOREIGN_KEY,
                format!(
                    "there is no unique constraint matching given keys for referenced table \"{}\" ({reason})",
                    def.ref_table
                ),
            )
        }
        other => other.into(),
    })?;
    let rows: Vec<Vec<Value>> = w
        .scan(table)?
        .map(|r| r.map(|r| r.values))
        .collect::<covet_engine::Result<_>>()?;
    for row in rows {
        check_parent(w, &def, &row)?;
    }
    Ok(())
}
