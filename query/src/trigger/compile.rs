//! A trigger made ready to fire on its subject: NEW.col and OLD.col become typed
//! parameters, RAISE(…) becomes a call of [`RAISE_FUNCTION`](super::raise), and the
//! WHEN condition and the body statements are parsed.
//!
//! Parameters: over a subject of `n` columns, NEW's column `i` is `$i+1` and OLD's is
//! `$n+i+1`, each cast to the column's type (so that binding does not depend on a
//! value, a NULL included). Firing passes NEW's values then OLD's (NULLs for the row
//! the event does not have).

use sqlparser::ast::{self, Statement};
use sqlparser::tokenizer::Token;

use super::def::{Event, TriggerDef};
use super::raise::RaiseKind;
use super::text::{apply, is_word, tokens};
use crate::error::{QueryError, Result, SqlState};
use crate::statement::names;
use crate::types::DataType;

/// A trigger ready to fire.
pub(crate) struct Compiled {
    pub name: String,
    /// `SELECT (when)`.
    pub when: Option<Box<ast::Query>>,
    pub body: Vec<Statement>,
}

/// Compiles `def` for a subject with these columns (42703 for a NEW/OLD column it does
/// not have, 42P01 for NEW or OLD where the event has no such row).
pub(crate) fn compile(def: &TriggerDef, columns: &[(String, DataType)]) -> Result<Compiled> {
    let when = match &def.when {
        Some(text) => {
            let sql = format!("SELECT ({})", rewrite(text, def.event, columns)?);
            match crate::statement::parse_one(&sql)? {
                Statement::Query(q) => Some(q),
                _ => return Err(QueryError::syntax("a WHEN condition is one expression")),
            }
        }
        None => None,
    };
    let mut body = Vec::with_capacity(def.body.len());
    for text in &def.body {
        let stmt = crate::statement::parse_one(&rewrite(text, def.event, columns)?)?;
        match &stmt {
            Statement::Insert(_)
            | Statement::Update(_)
            | Statement::Delete(_)
            | Statement::Query(_) => body.push(stmt),
            other => {
                let text = other.to_string();
                let head: Vec<&str> = text.split_whitespace().take(2).collect();
                return Err(QueryError::syntax(format!(
                    "a trigger body holds INSERT, UPDATE, DELETE and SELECT statements, not {}",
                    head.join(" ")
                )));
            }
        }
    }
    Ok(Compiled {
        name: def.name.clone(),
        when,
        body,
    })
}

/// `text` with NEW/OLD references made parameters and RAISE made a function call.
fn rewrite(text: &str, event: Event, columns: &[(String, DataType)]) -> Result<String> {
    let toks = tokens(text)?;
    let n = columns.len();
    let mut edits = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        if let Token::Placeholder(p) = &t.token {
            return Err(QueryError::unsupported(format!(
                "parameter {p} in a trigger body"
            )));
        }
        let new = is_word(Some(t), "new");
        let old = is_word(Some(t), "old");
        if (new || old) && matches!(toks.get(i + 1).map(|t| &t.token), Some(Token::Period)) {
            let Some(Token::Word(w)) = toks.get(i + 2).map(|t| &t.token) else {
                return Err(QueryError::syntax(format!(
                    "a column name after {}.",
                    if new { "NEW" } else { "OLD" }
                )));
            };
            let row = if new { "new" } else { "old" };
            if !event.has(new) {
                return Err(QueryError::new(
                    SqlState::UNDEFINED_TABLE,
                    format!("missing FROM-clause entry for table \"{row}\""),
                )
                .with_hint(format!(
                    "A trigger on {} has {}.",
                    event.name(),
                    match event {
                        Event::Insert => "NEW only",
                        Event::Delete => "OLD only",
                        Event::Update => "NEW and OLD",
                    }
                )));
            }
            let column = names::ident(&ast::Ident {
                value: w.value.clone(),
                quote_style: w.quote_style,
                span: sqlparser::tokenizer::Span::empty(),
            });
            let pos = columns
                .iter()
                .position(|(c, _)| *c == column)
                .ok_or_else(|| {
                    QueryError::new(
                        SqlState::UNDEFINED_COLUMN,
                        format!("column {row}.{column} does not exist"),
                    )
                })?;
            let param = if new { pos + 1 } else { n + pos + 1 };
            let ty = columns[pos].1;
            let replacement = match ty {
                DataType::Unknown => format!("${param}"),
                ty => format!("CAST(${param} AS {})", ty.name()),
            };
            edits.push((t.range.start..toks[i + 2].range.end, replacement));
            i += 3;
            continue;
        }
        if is_word(Some(t), "raise")
            && matches!(toks.get(i + 1).map(|t| &t.token), Some(Token::LParen))
        {
            let kind = toks.get(i + 2).and_then(RaiseKind::from_word);
            let Some(kind) = kind else {
                return Err(QueryError::syntax(
                    "RAISE takes IGNORE, ROLLBACK, ABORT or FAIL",
                ));
            };
            let kind_end = toks[i + 2].range.end;
            match (kind, toks.get(i + 3).map(|t| &t.token)) {
                (RaiseKind::Ignore, Some(Token::RParen)) => {
                    edits.push((
                        t.range.start..kind_end,
                        format!(
                            "{}({}, CAST(NULL AS text)",
                            super::raise::RAISE_FUNCTION,
                            kind.code()
                        ),
                    ));
                    i += 3;
                }
                (RaiseKind::Ignore, _) => {
                    return Err(QueryError::syntax("RAISE(IGNORE) takes no message"))
                }
                (_, Some(Token::Comma)) => {
                    edits.push((
                        t.range.start..toks[i + 3].range.end,
                        format!("{}({},", super::raise::RAISE_FUNCTION, kind.code()),
                    ));
                    i += 4;
                }
                _ => {
                    return Err(QueryError::syntax(
                        "RAISE(ROLLBACK | ABORT | FAIL, message) takes a message",
                    ))
                }
            }
            continue;
        }
        i += 1;
    }
    Ok(apply(text, &edits))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols() -> Vec<(String, DataType)> {
        vec![("a".into(), DataType::Int), ("b".into(), DataType::Text)]
    }

    #[test]
    fn new_and_old_become_typed_parameters() {
        assert_eq!(
            rewrite(
                "INSERT INTO log VALUES (NEW.a, old.\"b\", 'new.a')",
                Event::Update,
                &cols()
            )
            .unwrap(),
            "INSERT INTO log VALUES (CAST($1 AS bigint), CAST($4 AS text), 'new.a')"
        );
        let e = rewrite("SELECT OLD.a", Event::Insert, &cols()).unwrap_err();
        assert_eq!(e.code, SqlState::UNDEFINED_TABLE);
        assert_eq!(e.message, "missing FROM-clause entry for table \"old\"");
        let e = rewrite("SELECT NEW.zz", Event::Insert, &cols()).unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            (SqlState::UNDEFINED_COLUMN, "column new.zz does not exist")
        );
        assert_eq!(
            rewrite("SELECT $1", Event::Insert, &cols())
                .unwrap_err()
                .code,
            SqlState::FEATURE_NOT_SUPPORTED
        );
    }

    #[test]
    fn raise_becomes_a_call() {
        assert_eq!(
            rewrite(
                "SELECT RAISE(ABORT, 'no ' || NEW.b) WHERE NEW.a < 0",
                Event::Insert,
                &cols()
            )
            .unwrap(),
            "SELECT __covet_raise(2, 'no ' || CAST($2 AS text)) WHERE CAST($1 AS bigint) < 0"
        );
        assert_eq!(
            rewrite("SELECT raise(ignore)", Event::Delete, &cols()).unwrap(),
            "SELECT __covet_raise(0, CAST(NULL AS text))"
        );
        assert_eq!(
            rewrite("SELECT RAISE(ABORT)", Event::Delete, &cols())
                .unwrap_err()
                .code,
            SqlState::SYNTAX_ERROR
        );
        // A column named raise is not the function.
        assert_eq!(
            rewrite("SELECT raise FROM u", Event::Delete, &cols()).unwrap(),
            "SELECT raise FROM u"
        );
    }
}
