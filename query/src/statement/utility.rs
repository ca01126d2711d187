//! SET, RESET and SHOW (the settings are in `settings.rs`).

use covet_engine::value::Value;
use sqlparser::ast::{Expr, Ident, Set, Statement, Value as AstValue};

use super::{done, names};
use crate::error::{QueryError, Result};
use crate::session::{Column, Outcome, RowStream, Session};
use crate::settings::SetEffect;
use crate::types::DataType;

/// The columns of `SHOW name`: one text column named after the parameter
/// (`SHOW ALL`: name and setting).
pub(super) fn show_columns(variable: &[Ident]) -> Vec<Column> {
    let name = variable
        .iter()
        .map(names::ident)
        .collect::<Vec<_>>()
        .join(" ");
    if name == "all" {
        return vec![
            Column {
                name: "name".into(),
                ty: DataType::Text,
            },
            Column {
                name: "setting".into(),
                ty: DataType::Text,
            },
        ];
    }
    vec![Column {
        name: setting_name(variable),
        ty: DataType::Text,
    }]
}

/// A parameter name as SET/SHOW write it (`transaction isolation level` is
/// PostgreSQL's spelling of `transaction_isolation` in SHOW).
fn setting_name(parts: &[Ident]) -> String {
    let joined = parts.iter().map(names::ident).collect::<Vec<_>>().join(" ");
    match joined.as_str() {
        "transaction isolation level" => "transaction_isolation".into(),
        "time zone" => "timezone".into(),
        _ => joined.replace(' ', "_"),
    }
}

/// The text of a SET value: a literal, an identifier, or a number.
fn value_text(expr: &Expr) -> Result<Option<String>> {
    Ok(Some(match expr {
        Expr::Value(v) => match &v.value {
            AstValue::SingleQuotedString(s) | AstValue::DoubleQuotedString(s) => s.clone(),
            AstValue::Number(n, _) => n.clone(),
            AstValue::Boolean(b) => (if *b { "on" } else { "off" }).to_string(),
            other => other.to_string(),
        },
        Expr::Identifier(id)
            if id.quote_style.is_none() && id.value.eq_ignore_ascii_case("default") =>
        {
            return Ok(None)
        }
        Expr::Identifier(id) => id.value.clone(),
        Expr::UnaryOp { .. } => expr.to_string(),
        other => {
            return Err(QueryError::syntax(format!(
                "a setting takes a literal value, not {other}"
            )))
        }
    }))
}

pub(super) fn run_setting(session: &mut Session, stmt: &Statement) -> Result<Outcome> {
    match stmt {
        Statement::ShowVariable { variable } => {
            let columns = show_columns(variable);
            let current = session.isolation_level();
            let rows = if columns.len() == 2 {
                session
                    .settings
                    .all(current)
                    .into_iter()
                    .map(|(k, v)| vec![Value::Text(k), Value::Text(v)])
                    .collect()
            } else {
                let value = session.settings.show(&columns[0].name, current)?;
                vec![vec![Value::Text(value)]]
            };
            Ok(Outcome::Rows(RowStream::materialized(columns, rows)))
        }
        Statement::Set(Set::SingleAssignment {
            variable, values, ..
        }) => {
            let name = variable.to_string().to_lowercase();
            let value = match values.as_slice() {
                [one] => value_text(one)?,
                many => {
                    let parts = many
                        .iter()
                        .map(|e| value_text(e).map(Option::unwrap_or_default))
                        .collect::<Result<Vec<_>>>()?;
                    Some(parts.join(", "))
                }
            };
            apply(session, &name, value.as_deref())
        }
        Statement::Set(Set::SetTimeZone { value, .. }) => {
            let value = value_text(value)?;
            apply(session, "timezone", value.as_deref())
        }
        other => Err(QueryError::unsupported(format!("statement {other}"))),
    }
}

fn apply(session: &mut Session, name: &str, value: Option<&str>) -> Result<Outcome> {
    match session.settings.set(name, value)? {
        SetEffect::None => {}
        SetEffect::TransactionIsolation(level) => {
            session.txn.set_characteristics(Some(level), None)?
        }
    }
    Ok(done("SET", None))
}

/// ANALYZE [table]: statistics of one table, or of every table.
pub(super) fn analyze(
    w: &mut covet_engine::table::TableWriter<'_>,
    a: &sqlparser::ast::Analyze,
) -> Result<Outcome> {
    use covet_engine::table::TableRead;
    if !a.columns.is_empty() {
        return Err(QueryError::unsupported("ANALYZE of chosen columns"));
    }
    let tables = match &a.table_name {
        Some(name) => {
            let name = names::object(name)?;
            if !w.table_exists(&name)? {
                return Err(crate::ddl::undefined_table(&name));
            }
            vec![name]
        }
        None => w.list_tables()?,
    };
    for t in tables {
        w.analyze(&t)?;
    }
    Ok(done("ANALYZE", None))
}

/// REINDEX: checks that the table or index named exists (42P01 / 42704); covet's
/// indexes are maintained with every change and never need rebuilding.
pub(super) fn reindex(
    t: &dyn covet_engine::table::TableRead,
    target: Option<&super::ReindexTarget>,
) -> Result<()> {
    use super::ReindexTarget as R;
    match target {
        None | Some(R::All) => Ok(()),
        Some(R::Table(name)) if t.table_exists(name)? => Ok(()),
        Some(R::Table(name)) => Err(crate::ddl::undefined_table(name)),
        Some(R::Index(name)) if t.index_exists(name)? => Ok(()),
        Some(R::Either(name)) if t.table_exists(name)? || t.index_exists(name)? => Ok(()),
        Some(R::Index(name) | R::Either(name)) => Err(QueryError::new(
            crate::SqlState::UNDEFINED_OBJECT,
            format!("index \"{name}\" does not exist"),
        )),
    }
}
