//! CREATE TRIGGER and DROP TRIGGER in SQLite's form (`CREATE [TEMP] TRIGGER [IF NOT
//! EXISTS] name [BEFORE | AFTER | INSTEAD OF] DELETE | INSERT | UPDATE [OF cols] ON
//! table [FOR EACH ROW] [WHEN expr] BEGIN stmt; … END`, `DROP TRIGGER [IF EXISTS]
//! name`), and the triggers' storage. What a trigger is and how it fires:
//! `crate::trigger`.
//!
//! CREATE TRIGGER checks what it can against the schema of the moment: BEFORE and
//! AFTER name a table, INSTEAD OF a view (42809 otherwise, 42P01 for neither); UPDATE
//! OF names the table's columns; the body compiles (NEW/OLD exist for the event and
//! name existing columns). The columns are checked again at each firing, against the
//! schema then.
//!
//! Storage: the engine's catalog has no trigger record; triggers live in their own
//! tree, [`TRIGGER_TREE`], `name → table NUL sql NUL creation number`, changed in the
//! statement's write transaction like every other DDL (a value without the number,
//! written before triggers ran, counts as created first). DROP TABLE and DROP VIEW
//! drop their triggers.

use covet_engine::table::{TableRead, TableWriter};

use crate::error::{QueryError, Result, SqlState};
use crate::trigger::{Timing, TriggerDef};

/// The tree holding the triggers.
pub const TRIGGER_TREE: &str = "__covet_sql_triggers";

/// A CREATE TRIGGER, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CreateTrigger {
    pub def: TriggerDef,
    /// The whole statement, stored for `.schema` and read again at each load.
    pub sql: String,
}

/// A DROP TRIGGER, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DropTrigger {
    pub name: String,
    pub if_exists: bool,
}

/// Reads `CREATE [TEMP] TRIGGER …` (42601 when malformed).
pub(crate) fn parse_create(sql: &str) -> Result<CreateTrigger> {
    Ok(CreateTrigger {
        def: crate::trigger::parse(sql)?,
        sql: sql.trim().trim_end_matches(';').trim_end().to_string(),
    })
}

/// Reads `DROP TRIGGER [IF EXISTS] name`.
pub(crate) fn parse_drop(sql: &str) -> Result<DropTrigger> {
    let (name, if_exists) = crate::trigger::parse_drop(sql)?;
    Ok(DropTrigger { name, if_exists })
}

/// A stored trigger as a listing shows it (`.schema`, `\d`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTrigger {
    /// Its name.
    pub name: String,
    /// The table or view it fires on.
    pub table: String,
    /// Its CREATE TRIGGER statement, without the final `;`.
    pub sql: String,
}

/// Decodes one entry of [`TRIGGER_TREE`] (`name` → the stored record). The record's
/// layout is this module's own; readers outside it go through here.
pub fn decode_stored_trigger(name: &[u8], value: &[u8]) -> StoredTrigger {
    let s = decode(value);
    StoredTrigger {
        name: String::from_utf8_lossy(name).into_owned(),
        table: s.table,
        sql: s.sql.trim_end().trim_end_matches(';').to_owned(),
    }
}

/// A stored trigger: its table (or view), its text and its creation number.
struct Stored {
    table: String,
    sql: String,
    seq: u64,
}

fn decode(value: &[u8]) -> Stored {
    let text = String::from_utf8_lossy(value);
    let (table, rest) = text.split_once('\0').unwrap_or((&text, ""));
    let (sql, seq) = match rest.rsplit_once('\0') {
        Some((sql, n)) if n.parse::<u64>().is_ok() => (sql, n.parse().unwrap_or(0)),
        _ => (rest, 0),
    };
    Stored {
        table: table.to_string(),
        sql: sql.to_string(),
        seq,
    }
}

/// Every stored trigger, by name.
fn all(r: &TableWriter<'_>) -> Result<Vec<(String, Stored)>> {
    let txn = r.txn();
    let tree = match txn.open_tree(TRIGGER_TREE) {
        Ok(t) => t,
        Err(covet_engine::Error::TreeNotFound { .. }) => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let mut out = Vec::new();
    for entry in txn.iter(&tree) {
        let entry = entry?;
        out.push((
            String::from_utf8_lossy(entry.key()).into_owned(),
            decode(entry.value()),
        ));
    }
    Ok(out)
}

fn stored(w: &TableWriter<'_>, name: &str) -> Result<Option<Stored>> {
    let txn = w.txn();
    let tree = match txn.open_tree(TRIGGER_TREE) {
        Ok(t) => t,
        Err(covet_engine::Error::TreeNotFound { .. }) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    Ok(txn.get(&tree, name.as_bytes())?.map(|v| decode(v.value())))
}

/// The triggers on `subject` (a table or a view), in creation order.
pub(crate) fn for_subject(w: &TableWriter<'_>, subject: &str) -> Result<Vec<TriggerDef>> {
    let txn = w.txn();
    let tree = match txn.open_tree(TRIGGER_TREE) {
        Ok(t) => t,
        Err(covet_engine::Error::TreeNotFound { .. }) => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let mut found = Vec::new();
    for entry in txn.iter(&tree) {
        let entry = entry?;
        let value = entry.value();
        if value.split(|b| *b == 0).next() != Some(subject.as_bytes()) {
            continue;
        }
        let s = decode(value);
        found.push((s.seq, crate::trigger::parse(&s.sql)?));
    }
    found.sort_by_key(|(seq, _)| *seq);
    Ok(found.into_iter().map(|(_, d)| d).collect())
}

/// CREATE TRIGGER: checks it (see the module documentation) and stores it (42710 when
/// the name is taken).
pub(crate) fn create(w: &mut TableWriter<'_>, t: &CreateTrigger) -> Result<()> {
    let def = &t.def;
    let is_table = w.table_exists(&def.table)?;
    let is_view = !is_table && w.view(&def.table)?.is_some();
    let timing = match def.timing {
        Timing::Before => "BEFORE",
        Timing::After => "AFTER",
        Timing::InsteadOf => "INSTEAD OF",
    };
    let wrong = |what: &str| {
        QueryError::new(
            SqlState::WRONG_OBJECT_TYPE,
            format!("cannot create {timing} trigger on {what} \"{}\"", def.table),
        )
    };
    let columns = match (def.timing, is_table, is_view) {
        (_, false, false) => return Err(super::undefined_table(&def.table)),
        (Timing::InsteadOf, true, _) => return Err(wrong("table")),
        (Timing::Before | Timing::After, false, true) => return Err(wrong("view")),
        (_, true, _) => crate::trigger::table_columns(&w.table_schema(&def.table)?),
        (_, false, true) => crate::trigger::view_columns(w, &def.table)?,
    };
    if let Some(c) = def
        .columns
        .iter()
        .find(|c| !columns.iter().any(|(name, _)| name == *c))
    {
        return Err(QueryError::new(
            SqlState::UNDEFINED_COLUMN,
            format!(
                "column \"{c}\" of relation \"{}\" does not exist",
                def.table
            ),
        ));
    }
    crate::trigger::compile(def, &columns)?;
    let existing = all(w)?;
    if let Some((_, s)) = existing.iter().find(|(n, _)| *n == def.name) {
        if def.if_not_exists {
            return Ok(());
        }
        return Err(QueryError::new(
            SqlState::DUPLICATE_OBJECT,
            format!(
                "trigger \"{}\" for relation \"{}\" already exists",
                def.name, s.table
            ),
        ));
    }
    let seq = existing.iter().map(|(_, s)| s.seq + 1).max().unwrap_or(1);
    let txn = w.txn_mut();
    let tree = txn.open_or_create_tree(TRIGGER_TREE)?;
    let value = format!("{}\0{}\0{seq}", def.table, t.sql);
    txn.insert(&tree, def.name.as_bytes(), value.as_bytes())?;
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

/// Drops the triggers of `table` (a table or a view, when it is dropped).
pub(crate) fn drop_for_table(w: &mut TableWriter<'_>, table: &str) -> Result<()> {
    let names: Vec<String> = all(w)?
        .into_iter()
        .filter(|(_, s)| s.table == table)
        .map(|(n, _)| n)
        .collect();
    if names.is_empty() {
        return Ok(());
    }
    let txn = w.txn_mut();
    let tree = txn.open_tree(TRIGGER_TREE)?;
    for name in names {
        txn.remove(&tree, name.as_bytes())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_values_with_and_without_a_creation_number() {
        let s = decode(b"t\0CREATE TRIGGER a AFTER INSERT ON t BEGIN SELECT 1; END\x007");
        assert_eq!(
            (s.table.as_str(), s.sql.as_str(), s.seq),
            (
                "t",
                "CREATE TRIGGER a AFTER INSERT ON t BEGIN SELECT 1; END",
                7
            )
        );
        let s = decode(b"t\0CREATE TRIGGER a AFTER INSERT ON t BEGIN SELECT 1; END");
        assert_eq!(
            (s.sql.as_str(), s.seq),
            ("CREATE TRIGGER a AFTER INSERT ON t BEGIN SELECT 1; END", 0)
        );
        assert_eq!(
            parse_drop("DROP TRIGGER IF EXISTS x").unwrap(),
            DropTrigger {
                name: "x".into(),
                if_exists: true
            }
        );
        assert_eq!(
            parse_create("CREATE TRIGGER a AFTER INSERT ON t BEGIN DELETE FROM t; END;")
                .unwrap()
                .sql,
            "CREATE TRIGGER a AFTER INSERT ON t BEGIN DELETE FROM t; END"
        );
    }
}
