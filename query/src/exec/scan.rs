//! Table and index scans.
//!
//! A scan never holds an engine iterator across `next_batch` calls: each call opens a
//! range from where the previous one stopped (its last key, excluded), reads up to a
//! batch, and drops the iterator. So the caller may write to the transaction between
//! batches. Rows written behind the scan position are not seen; rows written ahead of it
//! are (the statement layer, which knows what it changes, deals with that).

use std::ops::Bound;
use std::sync::Arc;

use covet_engine::table::{KeyRange, TableRead};
use covet_engine::value::Value;

use super::{storage_error, Batch, ExecContext, Operator, BATCH_SIZE};
use crate::catalog::TableInfo;
use crate::error::Result;
use crate::expr::ScalarExpr;
use crate::plan::{AccessPath, KeyBounds};

enum Position {
    /// Not started: the range is computed from the bounds at the first call.
    Start,
    /// Reading `range`; `last` is the key of the last row returned.
    Reading {
        range: KeyRange,
        last: Option<Vec<Value>>,
    },
    Done,
}

/// Reads a table through an access path.
pub(super) struct ScanOp {
    table: Arc<TableInfo>,
    access: AccessPath,
    with_pk: bool,
    needed: Option<Vec<bool>>,
    filter: Option<ScalarExpr>,
    position: Position,
}

impl ScanOp {
    pub(super) fn new(
        table: Arc<TableInfo>,
        access: AccessPath,
        with_pk: bool,
        needed: Option<Vec<bool>>,
        filter: Option<ScalarExpr>,
    ) -> ScanOp {
        ScanOp {
            table,
            access,
            with_pk,
            needed,
            filter,
            position: Position::Start,
        }
    }

    /// The key range of the access path, or `None` when it is empty (a NULL bound:
    /// no row equals or compares with NULL).
    fn initial_range(&self, ctx: &mut ExecContext<'_>) -> Result<Option<KeyRange>> {
        match &self.access {
            AccessPath::FullScan => Ok(Some(KeyRange::all())),
            AccessPath::PrimaryKey(bounds) | AccessPath::Index { bounds, .. } => {
                key_range(bounds, ctx)
            }
        }
    }

    /// The key of `row` in the order the scan walks: the primary key, or the index
    /// values followed by the primary key.
    fn row_key(&self, pk: &[Value], values: &[Value]) -> Vec<Value> {
        match &self.access {
            AccessPath::Index { index, .. } => index
                .columns
                .iter()
                .map(|&(p, _)| values.get(p).cloned().unwrap_or(Value::Null))
                .chain(pk.iter().cloned())
                .collect(),
            _ => pk.to_vec(),
        }
    }
}

impl Operator for ScanOp {
    fn next_batch(&mut self, ctx: &mut ExecContext<'_>) -> Result<Option<Batch>> {
        if let Position::Start = self.position {
            self.position = match self.initial_range(ctx)? {
                Some(range) => Position::Reading { range, last: None },
                None => Position::Done,
            };
        }
        let Position::Reading { range, last } = &self.position else {
            return Ok(None);
        };
        let mut range = range.clone();
        // A resumed scan filled its previous batch, so it likely fills this one: its
        // room is taken at once instead of by doubling. A first batch may hold one row.
        let mut out = Vec::new();
        if let Some(last) = last {
            range = range.resume_after(last.clone());
            out.reserve(BATCH_SIZE);
        }
        let storage: &dyn TableRead = ctx.storage;
        let mut last_key = None;
        let mut exhausted = true;
        // A projected read decodes only the needed columns; they are put back at their
        // positions in a full-width row.
        let projection: Option<Vec<usize>> = self.needed.as_ref().map(|m| {
            m.iter()
                .enumerate()
                .filter(|(_, &n)| n)
                .map(|(i, _)| i)
                .collect()
        });
        let width = self.table.columns.len();
        {
            let mut rows: Box<dyn Iterator<Item = covet_engine::Result<_>>> =
                match (&self.access, &projection) {
                    (AccessPath::Index { index, .. }, Some(cols)) => Box::new(
                        storage
                            .index_scan_columns(&index.name, &range, cols)
                            .map_err(storage_error)?,
                    ),
                    (AccessPath::Index { index, .. }, None) => Box::new(
                        storage
                            .index_scan(&index.name, &range)
                            .map_err(storage_error)?,
                    ),
                    (_, Some(cols)) => Box::new(
                        storage
                            .scan_columns(&self.table.name, &range, cols)
                            .map_err(storage_error)?,
                    ),
                    (_, None) => Box::new(
                        storage
                            .scan_range(&self.table.name, &range)
                            .map_err(storage_error)?,
                    ),
                };
            for row in rows.by_ref() {
                let row: covet_engine::table::Row = row.map_err(storage_error)?;
                let mut values = match &projection {
                    Some(cols) => {
                        let mut full = vec![Value::Null; width];
                        for (v, &c) in row.values.into_iter().zip(cols) {
                            full[c] = v;
                        }
                        full
                    }
                    None => row.values,
                };
                let mut pk = row.pk;
                if self.with_pk {
                    values.append(&mut pk);
                }
                let keep = match &self.filter {
                    Some(f) => ctx.eval_true(f, &values)?,
                    None => true,
                };
                if keep {
                    if out.len() + 1 >= BATCH_SIZE {
                        // The batch is full: the next call resumes after this row, so
                        // only its key is needed (rows after it were not read).
                        let pk = if self.with_pk {
                            &values[width..]
                        } else {
                            &pk[..]
                        };
                        last_key = Some(self.row_key(pk, &values));
                        out.push(values);
                        exhausted = false;
                        break;
                    }
                    out.push(values);
                }
            }
        }
        if exhausted {
            self.position = Position::Done;
        } else if let Position::Reading { last, .. } = &mut self.position {
            *last = last_key;
        }
        Ok(if out.is_empty() {
            None
        } else {
            Some(Batch { rows: out })
        })
    }
}

/// The key range `bounds` select, in key order (see `KeyRange`): equalities form the
/// prefix; the range on the next column swaps ends when that column is DESC.
fn key_range(bounds: &KeyBounds, ctx: &mut ExecContext<'_>) -> Result<Option<KeyRange>> {
    let mut prefix = Vec::with_capacity(bounds.eq.len() + 1);
    for e in &bounds.eq {
        let v = ctx.eval(e, &[])?;
        if v.is_null() {
            return Ok(None);
        }
        prefix.push(v);
    }
    let mut bound = |b: &Option<(ScalarExpr, bool)>| -> Result<Option<Option<(Value, bool)>>> {
        match b {
            None => Ok(Some(None)),
            Some((e, inclusive)) => {
                let v = ctx.eval(e, &[])?;
                if v.is_null() {
                    return Ok(None);
                }
                Ok(Some(Some((v, *inclusive))))
            }
        }
    };
    let (Some(lo), Some(hi)) = (bound(&bounds.lower)?, bound(&bounds.upper)?) else {
        return Ok(None);
    };
    let desc = bounds
        .key_columns
        .get(bounds.eq.len())
        .is_some_and(|&(_, d)| d);
    let ranged = lo.is_some() || hi.is_some();
    let (key_lo, key_hi) = if desc { (hi, lo) } else { (lo, hi) };
    // NULL is the lowest value: first in key order on an ASC column, last on a DESC
    // one. A range never takes it, so the open end on NULL's side stops short of it.
    let to_bound = |b: Option<(Value, bool)>, null_side: bool| -> Bound<Vec<Value>> {
        match b {
            Some((v, inclusive)) => {
                let mut p = prefix.clone();
                p.push(v);
                if inclusive {
                    Bound::Included(p)
                } else {
                    Bound::Excluded(p)
                }
            }
            None if ranged && null_side => {
                let mut p = prefix.clone();
                p.push(Value::Null);
                Bound::Excluded(p)
            }
            None if prefix.is_empty() => Bound::Unbounded,
            None => Bound::Included(prefix.clone()),
        }
    };
    Ok(Some(KeyRange::new(
        to_bound(key_lo, !desc),
        to_bound(key_hi, desc),
    )))
}
