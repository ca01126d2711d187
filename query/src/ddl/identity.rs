//! Identity columns (`GENERATED { ALWAYS | BY DEFAULT } AS IDENTITY`, `SERIAL`,
//! `BIGSERIAL`, `SMALLSERIAL`): a sequence named `<table>_<column>_seq` (as PostgreSQL
//! names it) bounded by the column's type, and the column's per-row default
//! `nextval('<sequence>')`. The sequence goes with its table at DROP TABLE.
//!
//! covet treats ALWAYS as BY DEFAULT: an INSERT that gives the column a value stores it
//! (PostgreSQL refuses it without OVERRIDING SYSTEM VALUE).

use covet_engine::table::{SequenceDef, TableRead, TableWriter};
use covet_engine::value::SqlType;
use sqlparser::ast::{Expr, SequenceOptions, UnaryOperator, Value as AstValue};

use super::default::nextval_sql;
use crate::error::{QueryError, Result, SqlState};

/// An integer literal of a sequence option.
fn option_int(e: &Expr) -> Result<i64> {
    let bad = || {
        QueryError::new(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("sequence option {e} is not an integer"),
        )
    };
    match e {
        Expr::Value(v) => match &v.value {
            AstValue::Number(n, _) => n.parse().map_err(|_| bad()),
            _ => Err(bad()),
        },
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => option_int(expr)?.checked_neg().ok_or_else(bad),
        _ => Err(bad()),
    }
}

/// The largest value of an integer column type.
fn type_max(ty: &SqlType) -> Result<i64> {
    match ty {
        SqlType::SmallInt => Ok(i16::MAX.into()),
        SqlType::Integer => Ok(i32::MAX.into()),
        SqlType::BigInt => Ok(i64::MAX),
        other => Err(QueryError::new(
            SqlState::DATATYPE_MISMATCH,
            format!("identity column type must be smallint, integer, or bigint, not {other}"),
        )),
    }
}

/// A free sequence name for `table.column`.
fn free_name(w: &TableWriter<'_>, table: &str, column: &str) -> Result<String> {
    let base = format!("{table}_{column}_seq");
    let mut cut = base.len().min(covet_engine::table::MAX_NAME_LEN - 4);
    while !base.is_char_boundary(cut) {
        cut -= 1;
    }
    let base = &base[..cut];
    let mut name = base.to_string();
    let mut n = 1;
    while w.sequence(&name)?.is_some()
        || w.table_exists(&name)?
        || w.index_exists(&name)?
        || w.view(&name)?.is_some()
    {
        name = format!("{base}{n}");
        n += 1;
    }
    Ok(name)
}

/// Makes `table.column` (of type `ty`) an identity column with `options`.
pub(super) fn add_identity(
    w: &mut TableWriter<'_>,
    table: &str,
    column: &str,
    ty: &SqlType,
    options: &[SequenceOptions],
) -> Result<()> {
    let name = free_name(w, table, column)?;
    let mut def = SequenceDef::new(name.clone());
    def.max = type_max(ty)?;
    let mut start = None;
    for opt in options {
        match opt {
            SequenceOptions::StartWith(e, _) => start = Some(option_int(e)?),
            SequenceOptions::IncrementBy(e, _) => def.increment = option_int(e)?,
            SequenceOptions::MinValue(Some(e)) => def.min = option_int(e)?,
            SequenceOptions::MaxValue(Some(e)) => def.max = option_int(e)?,
            SequenceOptions::MinValue(None) | SequenceOptions::MaxValue(None) => {}
            SequenceOptions::Cycle(no) => def.cycle = !no,
            SequenceOptions::Cache(_) => {}
            other => return Err(QueryError::unsupported(format!("identity option{other}"))),
        }
    }
    if def.increment < 0 {
        // PostgreSQL: a descending sequence starts at its maximum, down to -2^63 or
        // the type's minimum.
        if !options
            .iter()
            .any(|o| matches!(o, SequenceOptions::MaxValue(Some(_))))
        {
            def.max = -1;
        }
        if !options
            .iter()
            .any(|o| matches!(o, SequenceOptions::MinValue(Some(_))))
        {
            def.min = -type_max(ty)? - 1;
        }
        def.start = def.max;
    } else {
        def.start = def.min;
    }
    if let Some(s) = start {
        def.start = s;
    }
    w.create_sequence(def)?;
    w.set_column_default_sql(table, column, Some(&nextval_sql(&name)))?;
    Ok(())
}

/// The sequences owned by `table`'s identity columns (to drop with it).
pub(super) fn owned_sequences(w: &TableWriter<'_>, table: &str) -> Result<Vec<String>> {
    Ok(w.column_default_sql(table)?
        .into_iter()
        .flatten()
        .filter_map(|sql| {
            sql.strip_prefix("nextval('")
                .and_then(|r| r.strip_suffix("')"))
                .map(|s| s.replace("''", "'"))
        })
        .collect())
}
