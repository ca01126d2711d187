//! A trigger's definition read from its CREATE TRIGGER text: when it fires (timing,
//! event, UPDATE OF columns), its WHEN condition and its body statements, as text.
//!
//! The text is what the trigger tree stores, so the same reading serves CREATE TRIGGER
//! and every later load of the trigger.

use sqlparser::tokenizer::Token;

use super::text::{is_word, tokens, Spanned};
use crate::error::{QueryError, Result};
use crate::statement::names;

/// When a row trigger runs relative to its row's change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timing {
    Before,
    After,
    /// In place of the change, on a view.
    InsteadOf,
}

/// The change a trigger fires on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event {
    Insert,
    Update,
    Delete,
}

impl Event {
    /// Whether NEW (`new == true`) or OLD names a row for this event.
    pub fn has(self, new: bool) -> bool {
        match self {
            Event::Insert => new,
            Event::Delete => !new,
            Event::Update => true,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Event::Insert => "INSERT",
            Event::Update => "UPDATE",
            Event::Delete => "DELETE",
        }
    }
}

/// A trigger, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TriggerDef {
    pub name: String,
    pub table: String,
    pub if_not_exists: bool,
    pub timing: Timing,
    pub event: Event,
    /// UPDATE OF's columns (empty: any UPDATE).
    pub columns: Vec<String>,
    /// The WHEN condition's text.
    pub when: Option<String>,
    /// The body's statements' text, in order.
    pub body: Vec<String>,
}

pub(super) fn name_of(t: Option<&Spanned>) -> Result<String> {
    match t.map(|t| &t.token) {
        Some(Token::Word(w)) => Ok(names::ident(&sqlparser::ast::Ident {
            value: w.value.clone(),
            quote_style: w.quote_style,
            span: sqlparser::tokenizer::Span::empty(),
        })),
        other => Err(QueryError::syntax(format!(
            "syntax error at or near {}",
            other.map_or("end of input".to_string(), |t| format!("\"{t}\""))
        ))),
    }
}

/// Reads `CREATE [TEMP] TRIGGER [IF NOT EXISTS] name [BEFORE | AFTER | INSTEAD OF]
/// DELETE | INSERT | UPDATE [OF col, …] ON table [FOR EACH ROW] [WHEN expr] BEGIN
/// stmt; … END` (42601 when malformed; 0A000 for TEMP and a schema-qualified table).
pub(crate) fn parse(sql: &str) -> Result<TriggerDef> {
    let toks = tokens(sql)?;
    let mut i = 1; // past CREATE
    if is_word(toks.get(i), "temp") || is_word(toks.get(i), "temporary") {
        return Err(QueryError::unsupported("temporary triggers"));
    }
    i += 1; // TRIGGER
    let mut if_not_exists = false;
    if is_word(toks.get(i), "if") {
        if !(is_word(toks.get(i + 1), "not") && is_word(toks.get(i + 2), "exists")) {
            return Err(QueryError::syntax("expected IF NOT EXISTS"));
        }
        if_not_exists = true;
        i += 3;
    }
    let name = name_of(toks.get(i))?;
    i += 1;
    // SQLite's default timing is BEFORE.
    let timing = if is_word(toks.get(i), "before") {
        i += 1;
        Timing::Before
    } else if is_word(toks.get(i), "after") {
        i += 1;
        Timing::After
    } else if is_word(toks.get(i), "instead") {
        if !is_word(toks.get(i + 1), "of") {
            return Err(QueryError::syntax("expected INSTEAD OF"));
        }
        i += 2;
        Timing::InsteadOf
    } else {
        Timing::Before
    };
    let event = if is_word(toks.get(i), "insert") {
        Event::Insert
    } else if is_word(toks.get(i), "update") {
        Event::Update
    } else if is_word(toks.get(i), "delete") {
        Event::Delete
    } else {
        return Err(QueryError::syntax(
            "CREATE TRIGGER expects INSERT, UPDATE or DELETE",
        ));
    };
    i += 1;
    let mut columns = Vec::new();
    if event == Event::Update && is_word(toks.get(i), "of") {
        i += 1;
        loop {
            columns.push(name_of(toks.get(i))?);
            i += 1;
            if !matches!(toks.get(i).map(|t| &t.token), Some(Token::Comma)) {
                break;
            }
            i += 1;
        }
    }
    if !is_word(toks.get(i), "on") {
        return Err(QueryError::syntax("CREATE TRIGGER without ON table"));
    }
    let table = name_of(toks.get(i + 1))?;
    i += 2;
    if matches!(toks.get(i).map(|t| &t.token), Some(Token::Period)) {
        return Err(QueryError::unsupported(
            "a trigger on a schema-qualified table",
        ));
    }
    if is_word(toks.get(i), "for") {
        if !(is_word(toks.get(i + 1), "each") && is_word(toks.get(i + 2), "row")) {
            return Err(QueryError::unsupported(
                "FOR EACH STATEMENT triggers (SQLite has row triggers only)",
            ));
        }
        i += 3;
    }
    let mut when = None;
    if is_word(toks.get(i), "when") {
        let start = toks.get(i + 1).map_or(sql.len(), |t| t.range.start);
        let begin = (i + 1..toks.len())
            .find(|&j| is_word(toks.get(j), "begin"))
            .ok_or_else(|| QueryError::syntax("CREATE TRIGGER without BEGIN"))?;
        let text = sql[start..toks[begin].range.start].trim();
        if text.is_empty() {
            return Err(QueryError::syntax("WHEN without a condition"));
        }
        when = Some(text.to_string());
        i = begin;
    }
    if !is_word(toks.get(i), "begin") {
        return Err(QueryError::syntax("CREATE TRIGGER without BEGIN"));
    }
    let body_start = toks[i].range.end;
    let end = (i + 1..toks.len())
        .rev()
        .find(|&j| is_word(toks.get(j), "end"))
        .ok_or_else(|| QueryError::syntax("CREATE TRIGGER without END"))?;
    if toks[end + 1..]
        .iter()
        .any(|t| !matches!(t.token, Token::SemiColon))
    {
        return Err(QueryError::syntax("text after the END of CREATE TRIGGER"));
    }
    let body: Vec<String> = crate::script::split(&sql[body_start..toks[end].range.start])?
        .into_iter()
        .map(|s| s.sql)
        .collect();
    if body.is_empty() {
        return Err(QueryError::syntax(
            "a trigger body holds at least one statement",
        ));
    }
    Ok(TriggerDef {
        name,
        table,
        if_not_exists,
        timing,
        event,
        columns,
        when,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads() {
        let t = parse("CREATE TRIGGER t1r1 UPDATE ON t1 BEGIN SELECT 1; END;").unwrap();
        assert_eq!(
            t,
            TriggerDef {
                name: "t1r1".into(),
                table: "t1".into(),
                if_not_exists: false,
                timing: Timing::Before,
                event: Event::Update,
                columns: vec![],
                when: None,
                body: vec!["SELECT 1".into()],
            }
        );
        let t = parse(
            "create trigger if not exists \"Tr\" after update of x, \"Y\" on T for each row when new.x > 'end;' begin select 1; update t set x = 'end'; end",
        )
        .unwrap();
        assert_eq!(
            (t.name.as_str(), t.table.as_str(), t.if_not_exists, t.timing),
            ("Tr", "t", true, Timing::After)
        );
        assert_eq!(t.columns, vec!["x".to_string(), "Y".to_string()]);
        assert_eq!(t.when.as_deref(), Some("new.x > 'end;'"));
        assert_eq!(
            t.body,
            vec!["select 1".to_string(), "update t set x = 'end'".to_string()]
        );
        let t = parse("CREATE TRIGGER v_i INSTEAD OF INSERT ON v BEGIN SELECT 1; END").unwrap();
        assert_eq!((t.timing, t.event), (Timing::InsteadOf, Event::Insert));
        assert_eq!(
            parse("CREATE TRIGGER a AFTER INSERT ON t SELECT 1")
                .unwrap_err()
                .code,
            crate::error::SqlState::SYNTAX_ERROR
        );
        assert_eq!(
            parse("CREATE TRIGGER a AFTER INSERT ON t FOR EACH STATEMENT BEGIN SELECT 1; END")
                .unwrap_err()
                .code,
            crate::error::SqlState::FEATURE_NOT_SUPPORTED
        );
    }
}
