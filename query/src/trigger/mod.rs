//! Triggers in SQLite's form, run: row triggers BEFORE and AFTER INSERT, UPDATE [OF
//! cols] and DELETE on tables, INSTEAD OF on views, with NEW and OLD, WHEN, and
//! RAISE. CREATE/DROP TRIGGER and the storage are in `ddl/trigger.rs`.
//!
//! - `def.rs` reads a trigger's text; `compile.rs` makes it ready for a subject
//!   (NEW/OLD → typed parameters, RAISE → an internal function); `fire.rs` loads a
//!   statement's triggers and fires them per row, and keeps the stack of running
//!   triggers; `raise.rs` says what each RAISE does; `view_dml.rs` runs INSERT, UPDATE
//!   and DELETE on a view through its INSTEAD OF triggers.
//!
//! Semantics (SQLite's, checked against SQLite 3.40 where they are not documented):
//! - Bodies hold INSERT, UPDATE, DELETE and SELECT (a SELECT's rows are dropped; it is
//!   how RAISE runs conditionally). NEW exists for INSERT and UPDATE, OLD for UPDATE and
//!   DELETE; a reference to the other one is 42P01 at CREATE TRIGGER (SQLite finds it
//!   when the triggering statement is prepared). NEW.col / OLD.col of a column the
//!   subject lacks is 42703, at CREATE and, after the schema changed, at firing.
//!   Parameters (`$1`) in a body are 0A000.
//! - WHEN filters per row: the row fires the trigger when the condition is true or a
//!   non-zero number (NULL and false do not).
//! - UPDATE OF cols fires only when the SET list names one of those columns.
//! - Order: BEFORE triggers, the row's change (constraints checked after BEFORE),
//!   AFTER triggers. Among the triggers of one timing and event, the most recently
//!   created fires first: SQLite's documentation leaves the order unspecified, and
//!   SQLite 3.40 fires newest first, which covet keeps.
//! - Recursion: SQLite's default, `recursive_triggers` off: a trigger already running
//!   up the stack does not fire again (directly or through other triggers); a chain
//!   deeper than [`fire::MAX_DEPTH`] (32) is 54001.
//! - Atomicity: a trigger's changes are part of its statement: a failure anywhere in
//!   a firing undoes the whole statement (its savepoint or own transaction), except
//!   RAISE(FAIL) and RAISE(ROLLBACK) as `raise.rs` describes.
//! - INSERT … ON CONFLICT DO UPDATE on a table with INSERT or UPDATE triggers is 0A000
//!   (SQLite fires UPDATE triggers for the update part); INSERT OR REPLACE fires no
//!   DELETE triggers for the rows it replaces (SQLite's rule with recursive_triggers
//!   off). Foreign-key cascades fire no triggers.

mod compile;
mod def;
mod fire;
mod raise;
mod text;
mod view_dml;

pub(crate) use compile::compile;
pub(crate) use def::{parse, Event, Timing, TriggerDef};
pub(crate) use fire::{
    after, before_change, load_for_insert, load_for_table, table_columns, RowTriggers,
};
pub(crate) use raise::{keeps_changes, raise, rolls_back, RAISE_FUNCTION};
pub(crate) use view_dml::{instead_of, targets_view};

use covet_engine::table::TableWriter;

use crate::error::Result;
use crate::types::DataType;

/// The columns of view `name` as `w` sees them.
pub(crate) fn view_columns(w: &TableWriter<'_>, name: &str) -> Result<Vec<(String, DataType)>> {
    let catalog = crate::catalog::Catalog::load(w)?;
    view_dml::view_columns(name, &catalog)
}

/// Reads `DROP TRIGGER [IF EXISTS] name`: the name and whether IF EXISTS was given.
pub(crate) fn parse_drop(sql: &str) -> Result<(String, bool)> {
    let toks = text::tokens(sql)?;
    let mut i = 2;
    let mut if_exists = false;
    if text::is_word(toks.get(i), "if") && text::is_word(toks.get(i + 1), "exists") {
        if_exists = true;
        i += 2;
    }
    Ok((def::name_of(toks.get(i))?, if_exists))
}
