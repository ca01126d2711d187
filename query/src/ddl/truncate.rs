//! TRUNCATE [TABLE] t, … [CASCADE | RESTRICT].
//!
//! As in PostgreSQL, a table that another table's foreign key references can only be
//! truncated together with that table (0A000 otherwise: removing the referenced rows
//! would leave the referencing ones dangling, and TRUNCATE checks no rows); CASCADE
//! adds the referencing tables, and theirs, to the list.

use covet_engine::table::{TableRead, TableWriter};

use super::undefined_table;
use crate::error::{QueryError, Result, SqlState};

/// Truncates the tables of `list` (with CASCADE, and every table referencing them).
pub(super) fn truncate(
    w: &mut TableWriter<'_>,
    mut list: Vec<String>,
    cascade: bool,
) -> Result<()> {
    for name in &list {
        if !w.table_exists(name)? {
            return Err(undefined_table(name));
        }
    }
    let mut i = 0;
    while i < list.len() {
        for fk in w.foreign_keys_referencing(&list[i])? {
            if list.contains(&fk.table) {
                continue;
            }
            if !cascade {
                return Err(QueryError::new(
                    SqlState::FEATURE_NOT_SUPPORTED,
                    "cannot truncate a table referenced in a foreign key constraint",
                )
                .with_hint(format!(
                    "Table \"{}\" references \"{}\". Truncate table \"{}\" at the same time, or use TRUNCATE ... CASCADE.",
                    fk.table, list[i], fk.table
                )));
            }
            list.push(fk.table);
        }
        i += 1;
    }
    for name in &list {
        w.truncate(name)?;
    }
    Ok(())
}
