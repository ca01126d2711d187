//! Stored rows and visible rows: the mapping between a table's column slots (where values
//! sit in stored rows) and its visible column positions (what every caller sees).
//!
//! A stored row holds one value per slot, up to the highest slot of a visible column
//! when it was written. Decoding takes, for each visible column, the value of its slot,
//! or the column's missing value (the default given at ADD COLUMN; NULL without one)
//! when the row is too short to hold the slot: rows written before the column was added.
//! The values of dropped slots are never decoded, and rows are never rewritten by
//! ALTER TABLE; an UPDATE writes the row anew in the current layout.
//!
//! Invariants: a stored row has at most `next_slot` values (more is damage:
//! `RowShape`); a decoded row has exactly one value per visible column. A table whose
//! record is the identity layout (column `i` in slot `i`, nothing dropped or missing)
//! encodes rows directly, with no remapping.

use super::catalog::Resolved;
use super::error::TableError;
use crate::error::Result;
use crate::value::{decode_row, encode_row, encode_row_from, row_column_count, RowView, Value};

/// The NULL stored in slots no visible column uses.
static NULL: Value = Value::Null;

/// Appends the stored form of `row` (one value per visible column) to `out`.
pub(crate) fn encode_stored_row(t: &Resolved, row: &[Value], out: &mut Vec<u8>) {
    if t.identity {
        encode_row(row, out);
        return;
    }
    let mut by_slot: Vec<&Value> = vec![&NULL; t.rec.row_width()];
    for (v, &s) in row.iter().zip(&t.rec.slots) {
        by_slot[s as usize] = v;
    }
    encode_row_from(by_slot.into_iter(), out);
}

/// Locates the values of a stored row of `t`, checking its layout and width.
fn view<'b>(t: &Resolved, bytes: &'b [u8]) -> Result<RowView<'b>> {
    let view = RowView::parse(bytes).map_err(|source| TableError::RowCorrupt {
        table: t.name().to_owned(),
        source,
    })?;
    let width = t.rec.next_slot as usize;
    if view.len() > width {
        return Err(TableError::RowShape {
            table: t.name().to_owned(),
            expected: width,
            found: view.len(),
        }
        .into());
    }
    Ok(view)
}

/// The value of visible column `position` in a located stored row.
fn column(t: &Resolved, view: &RowView<'_>, position: usize) -> Result<Value> {
    let slot = t.rec.slots[position] as usize;
    if slot < view.len() {
        view.column(slot).map_err(|source| {
            TableError::RowCorrupt {
                table: t.name().to_owned(),
                source,
            }
            .into()
        })
    } else {
        Ok(t.rec.missing[position].clone().unwrap_or(Value::Null))
    }
}

/// Decodes a stored row of `t` into one value per visible column.
pub(crate) fn decode_stored_row(t: &Resolved, bytes: &[u8]) -> Result<Vec<Value>> {
    if let Some(values) = decode_identity_row(t, bytes) {
        return values;
    }
    let view = view(t, bytes)?;
    (0..t.rec.slots.len())
        .map(|p| column(t, &view, p))
        .collect()
}

/// [`decode_stored_row`] for an identity layout (column `i` in slot `i`, nothing
/// missing), without locating the columns first: the stored values are the visible
/// ones, NULL past the end of a row written before its last columns were added. `None`
/// (take the general path, which reports the damage) unless the layout is the identity
/// and the row's width is within the table's.
fn decode_identity_row(t: &Resolved, bytes: &[u8]) -> Option<Result<Vec<Value>>> {
    let width = t.rec.slots.len();
    if !t.identity || row_column_count(bytes).map_or(true, |stored| stored > width) {
        return None;
    }
    Some(match decode_row(bytes) {
        Ok(mut values) => {
            values.resize(width, Value::Null);
            Ok(values)
        }
        Err(source) => Err(TableError::RowCorrupt {
            table: t.name().to_owned(),
            source,
        }
        .into()),
    })
}

/// Checks that `positions` are visible columns of `t` (for a projection).
pub(crate) fn check_positions(t: &Resolved, positions: &[usize]) -> Result<()> {
    let width = t.rec.slots.len();
    match positions.iter().find(|&&p| p >= width) {
        Some(&p) => Err(
            TableError::Schema(super::schema::SchemaError::UnknownColumn {
                table: t.name().to_owned(),
                position: p,
            })
            .into(),
        ),
        None => Ok(()),
    }
}

/// Decodes the visible columns at `positions` (checked by the caller) of a stored row of
/// `t`, and its primary key values (empty for a rowid table, whose key holds the rowid),
/// locating the row's values once.
pub(crate) fn decode_projected(
    t: &Resolved,
    bytes: &[u8],
    positions: &[usize],
) -> Result<(Vec<Value>, Vec<Value>)> {
    let view = view(t, bytes)?;
    let values = positions
        .iter()
        .map(|&p| column(t, &view, p))
        .collect::<Result<Vec<_>>>()?;
    let pk = t
        .schema()
        .primary_key
        .iter()
        .flatten()
        .map(|&p| column(t, &view, p))
        .collect::<Result<Vec<_>>>()?;
    Ok((values, pk))
}
