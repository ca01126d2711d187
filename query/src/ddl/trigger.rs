//! Triggers in SQLite's form: `CREATE [TEMP] TRIGGER [IF NOT EXISTS] name
//! [BEFORE | AFTER | INSTEAD OF] DELETE | INSERT | UPDATE [OF cols] ON table
//! [FOR EACH ROW] [WHEN expr] BEGIN stmt; … END` and `DROP TRIGGER [IF EXISTS] name`.
//!
//! sqlparser's PostgreSQL dialect has no such statement, so this file reads its head
//! with the tokenizer and checks each body statement with the statement parser.
//!
//! What runs: a trigger's body may hold only queries, which a firing evaluates for
//! nothing (a SELECT in a trigger has no effect), so covet stores such triggers and
//! never needs to run them. A body that changes data (INSERT, UPDATE, DELETE with NEW
//! and OLD) is 0A000: covet does not run trigger actions.
//!
//! Storage: the engine's catalog has no trigger record; triggers live in their own
//! tree, [`TRIGGER_TREE`], `name → table NUL sql`, changed in the statement's write
//! transaction like every other DDL. DROP TABLE drops the table's triggers.

use covet_engine::table::{TableRead, TableWriter};
use sqlparser::ast::Statement;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::tokenizer::{Token, Tokenizer};

use crate::error::{QueryError, Result, SqlState};
use crate::statement::names;

/// The tree holding the triggers.
pub const TRIGGER_TREE: &str = "__covet_sql_triggers";

/// A CREATE TRIGGER, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CreateTrigger {
    pub name: String,
    pub table: String,
    pub if_not_exists: bool,
    /// The whole statement, stored for `.schema`.
    pub sql: String,
}

/// A DROP TRIGGER, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DropTrigger {
    pub name: String,
    pub if_exists: bool,
}

fn words(sql: &str) -> Result<Vec<Token>> {
    Ok(Tokenizer::new(&PostgreSqlDialect {}, sql)
        .tokenize()
        .map_err(|e| QueryError::syntax(e.to_string()))?
        .into_iter()
        .filter(|t| !matches!(t, Token::Whitespace(_)))
        .collect())
}

fn is_word(t: Option<&Token>, w: &str) -> bool {
    matches!(t, Some(Token::Word(x)) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w))
}

fn name_of(t: Option<&Token>) -> Result<String> {
    match t {
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

/// Reads `CREATE [TEMP] TRIGGER …` (42601 when malformed, 0A000 for a body that changes
/// data).
pub(crate) fn parse_create(sql: &str) -> Result<CreateTrigger> {
    let toks = words(sql)?;
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
    // Up to ON: the timing and the event.
    while !is_word(toks.get(i), "on") {
        if i >= toks.len() || is_word(toks.get(i), "begin") {
            return Err(QueryError::syntax("CREATE TRIGGER without ON table"));
        }
        i += 1;
    }
    let table = name_of(toks.get(i + 1))?;
    if matches!(toks.get(i + 2), Some(Token::Period)) {
        return Err(QueryError::unsupported(
            "a trigger on a schema-qualified table",
        ));
    }
    let upper = sql.to_ascii_uppercase();
    let begin = find_word(&upper, "BEGIN")
        .ok_or_else(|| QueryError::syntax("CREATE TRIGGER without BEGIN"))?;
    let end = rfind_word(&upper, "END")
        .filter(|e| *e > begin)
        .ok_or_else(|| QueryError::syntax("CREATE TRIGGER without END"))?;
    let body = &sql[begin + "BEGIN".len()..end];
    let stmts = crate::script::split(body)?;
    if stmts.is_empty() {
        return Err(QueryError::syntax(
            "a trigger body holds at least one statement",
        ));
    }
    for s in stmts {
        // RAISE() is how a query body acts (it aborts the firing statement); covet runs
        // no trigger actions, so storing it would skip it silently.
        let toks = words(&s.sql)?;
        if toks
            .windows(2)
            .any(|w| is_word(Some(&w[0]), "raise") && matches!(w[1], Token::LParen))
        {
            return Err(QueryError::unsupported(
                "RAISE in a trigger body (covet runs no trigger actions)",
            ));
        }
        match crate::statement::parse_one(&s.sql)? {
            Statement::Query(_) => {}
            _ => {
                return Err(QueryError::unsupported(
                    "trigger bodies that change data (covet runs no trigger actions)",
                ))
            }
        }
    }
    Ok(CreateTrigger {
        name,
        table,
        if_not_exists,
        sql: sql.trim().trim_end_matches(';').to_string(),
    })
}

/// The byte offset of the first whole word `word` (upper case) in `upper`.
fn find_word(upper: &str, word: &str) -> Option<usize> {
    let bytes = upper.as_bytes();
    let is_word_byte = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    upper.match_indices(word).map(|(i, _)| i).find(|&i| {
        (i == 0 || !is_word_byte(bytes[i - 1]))
            && bytes.get(i + word.len()).is_none_or(|b| !is_word_byte(*b))
    })
}

/// The byte offset of the last whole word `word` (upper case) in `upper`.
fn rfind_word(upper: &str, word: &str) -> Option<usize> {
    let bytes = upper.as_bytes();
    let is_word_byte = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    upper.rmatch_indices(word).map(|(i, _)| i).find(|&i| {
        (i == 0 || !is_word_byte(bytes[i - 1]))
            && bytes.get(i + word.len()).is_none_or(|b| !is_word_byte(*b))
    })
}

/// Reads `DROP TRIGGER [IF EXISTS] name [ON table]`.
pub(crate) fn parse_drop(sql: &str) -> Result<DropTrigger> {
    let toks = words(sql)?;
    let mut i = 2;
    let mut if_exists = false;
    if is_word(toks.get(i), "if") && is_word(toks.get(i + 1), "exists") {
        if_exists = true;
        i += 2;
    }
    let name = name_of(toks.get(i))?;
    Ok(DropTrigger { name, if_exists })
}

fn stored(w: &TableWriter<'_>, name: &str) -> Result<Option<(String, String)>> {
    let txn = w.txn();
    let tree = match txn.open_tree(TRIGGER_TREE) {
        Ok(t) => t,
        Err(covet_engine::Error::TreeNotFound { .. }) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let Some(v) = txn.get(&tree, name.as_bytes())? else {
        return Ok(None);
    };
    let text = String::from_utf8_lossy(v.value()).into_owned();
    let (table, sql) = text.split_once('\0').unwrap_or((text.as_str(), ""));
    Ok(Some((table.to_string(), sql.to_string())))
}

/// CREATE TRIGGER: stores the trigger (42P01 without its table, 42710 when the name is
/// taken).
pub(crate) fn create(w: &mut TableWriter<'_>, t: &CreateTrigger) -> Result<()> {
    if !w.table_exists(&t.table)? {
        return Err(super::undefined_table(&t.table));
    }
    if let Some((table, _)) = stored(w, &t.name)? {
        if t.if_not_exists {
            return Ok(());
        }
        return Err(QueryError::new(
            SqlState::DUPLICATE_OBJECT,
            format!(
                "trigger \"{}\" for relation \"{table}\" already exists",
                t.name
            ),
        ));
    }
    let txn = w.txn_mut();
    let tree = txn.open_or_create_tree(TRIGGER_TREE)?;
    let value = format!("{}\0{}", t.table, t.sql);
    txn.insert(&tree, t.name.as_bytes(), value.as_bytes())?;
    Ok(())
}

/// DROP TRIGGER (42704 for an unknown name without IF EXISTS).
pub(crate) fn drop(w: &mut TableWriter<'_>, d: &DropTrigger) -> Result<()> {
    if stored(w, &d.name)?.is_none() {
        if d.if_exists {
            return Ok(());
        }
        return Err(QueryError::new(
            SqlState::UNDEFINED_OBJECT,
            format!("trigger \"{}\" does not exist", d.name),
        ));
    }
    let txn = w.txn_mut();
    let tree = txn.open_tree(TRIGGER_TREE)?;
    txn.remove(&tree, d.name.as_bytes())?;
    Ok(())
}

/// Drops the triggers of `table` (at DROP TABLE).
pub(crate) fn drop_for_table(w: &mut TableWriter<'_>, table: &str) -> Result<()> {
    let names: Vec<Vec<u8>> = {
        let txn = w.txn();
        let tree = match txn.open_tree(TRIGGER_TREE) {
            Ok(t) => t,
            Err(covet_engine::Error::TreeNotFound { .. }) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        let mut out = Vec::new();
        for entry in txn.iter(&tree) {
            let entry = entry?;
            let value = entry.value();
            let owner = value.split(|b| *b == 0).next().unwrap_or(&[]);
            if owner == table.as_bytes() {
                out.push(entry.key().to_vec());
            }
        }
        out
    };
    if names.is_empty() {
        return Ok(());
    }
    let txn = w.txn_mut();
    let tree = txn.open_tree(TRIGGER_TREE)?;
    for name in names {
        txn.remove(&tree, &name)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_and_bodies() {
        let t = parse_create("CREATE TRIGGER t1r1 UPDATE ON t1 BEGIN SELECT 1; END;").unwrap();
        assert_eq!(
            t,
            CreateTrigger {
                name: "t1r1".into(),
                table: "t1".into(),
                if_not_exists: false,
                sql: "CREATE TRIGGER t1r1 UPDATE ON t1 BEGIN SELECT 1; END".into(),
            }
        );
        let t = parse_create(
            "create trigger if not exists \"Tr\" before update of x on T for each row when 1 begin select 1; select 2; end",
        )
        .unwrap();
        assert_eq!(
            (t.name.as_str(), t.table.as_str(), t.if_not_exists),
            ("Tr", "t", true)
        );
        assert_eq!(
            parse_create("CREATE TRIGGER a AFTER INSERT ON t BEGIN DELETE FROM t; END")
                .unwrap_err()
                .code,
            SqlState::FEATURE_NOT_SUPPORTED
        );
        assert_eq!(
            parse_create(
                "CREATE TRIGGER a BEFORE INSERT ON t BEGIN SELECT RAISE(ABORT, 'no'); END"
            )
            .unwrap_err()
            .message,
            "feature not supported: RAISE in a trigger body (covet runs no trigger actions)"
        );
        // A column named raise is not the function.
        assert_eq!(
            parse_create("CREATE TRIGGER a AFTER INSERT ON t BEGIN SELECT raise FROM u; END")
                .unwrap()
                .name,
            "a"
        );
        assert_eq!(
            parse_create("CREATE TRIGGER a AFTER INSERT ON t SELECT 1")
                .unwrap_err()
                .code,
            SqlState::SYNTAX_ERROR
        );
        assert_eq!(
            parse_drop("DROP TRIGGER IF EXISTS x").unwrap(),
            DropTrigger {
                name: "x".into(),
                if_exists: true
            }
        );
    }
}
