//! Window frames: where each row's frame starts and ends within its partition.
//!
//! A frame is the rows `[start, end)` (empty when `start >= end`). As in PostgreSQL's
//! nodeWindowAgg, each bound only moves forward as the current row does (offsets are
//! constants and never negative), so a [`FrameCursor`] keeps its last start and end and
//! advances them: a partition is read forward once per bound, which is what lets a
//! spilled partition be read through a bounded window of rows.
//!
//! RANGE bounds with an offset use [`in_range`] on the single ORDER BY value; NULLs are
//! peers of each other and never within an offset of a non-NULL value (nor it of them),
//! placed by NULLS FIRST/LAST as PostgreSQL places them.

use covet_engine::value::Value;

use super::in_range::in_range;
use super::partition::PartitionRows;
use crate::error::{QueryError, Result, SqlState};
use crate::exec::ExecContext;
use crate::plan::{FrameBound, FrameUnits, SortKey, WindowFrame};

/// A frame bound with its offset evaluated.
#[derive(Debug, Clone)]
enum Bound {
    UnboundedPreceding,
    UnboundedFollowing,
    CurrentRow,
    /// `n PRECEDING` (`following` false) or `n FOLLOWING`; ROWS and GROUPS offsets are
    /// counts, RANGE offsets values of the offset type.
    Offset {
        value: Value,
        following: bool,
    },
}

/// A frame with its offsets evaluated, for one window call.
#[derive(Debug, Clone)]
pub(super) struct FrameSpec {
    units: FrameUnits,
    start: Bound,
    end: Bound,
    /// The ORDER BY key, for RANGE offsets (the binder checked there is one).
    key: Option<SortKey>,
}

impl FrameSpec {
    /// Evaluates the offsets of `frame` (constants) as PostgreSQL does before reading
    /// any row: NULL is 22004, a negative ROWS or GROUPS count 22013 (a negative RANGE
    /// offset is 22013 when a bound is placed, see [`in_range`]).
    pub(super) fn new(
        frame: &WindowFrame,
        order_by: &[SortKey],
        ctx: &mut ExecContext<'_>,
    ) -> Result<FrameSpec> {
        let mut bound = |b: &FrameBound, which: &str| -> Result<Bound> {
            let (e, following) = match b {
                FrameBound::UnboundedPreceding => return Ok(Bound::UnboundedPreceding),
                FrameBound::UnboundedFollowing => return Ok(Bound::UnboundedFollowing),
                FrameBound::CurrentRow => return Ok(Bound::CurrentRow),
                FrameBound::Preceding(e) => (e, false),
                FrameBound::Following(e) => (e, true),
            };
            let value = ctx.eval(e, &[])?;
            if value.is_null() {
                return Err(QueryError::new(
                    SqlState::NULL_VALUE_NOT_ALLOWED,
                    format!("frame {which} offset must not be null"),
                ));
            }
            if frame.units != FrameUnits::Range {
                match value {
                    Value::Int(k) if k < 0 => {
                        return Err(QueryError::new(
                            SqlState(*b"22013"),
                            format!("frame {which} offset must not be negative"),
                        ))
                    }
                    Value::Int(_) => {}
                    ref other => {
                        return Err(QueryError::internal(format!(
                            "a {} frame offset of type {}",
                            frame.units.keyword(),
                            other.type_name()
                        )))
                    }
                }
            }
            Ok(Bound::Offset { value, following })
        };
        let start = bound(&frame.start, "starting")?;
        let end = bound(&frame.end, "ending")?;
        Ok(FrameSpec {
            units: frame.units,
            start,
            end,
            key: order_by.first().cloned(),
        })
    }
}

/// The frame of successive rows of one partition.
pub(super) struct FrameCursor {
    spec: FrameSpec,
    start: usize,
    end: usize,
}

/// A count offset as a number of rows or groups (it is never negative).
fn count(v: &Value) -> usize {
    match v {
        Value::Int(k) => usize::try_from(*k).unwrap_or(usize::MAX),
        _ => 0,
    }
}

impl FrameCursor {
    pub(super) fn new(spec: FrameSpec) -> FrameCursor {
        FrameCursor {
            spec,
            start: 0,
            end: 0,
        }
    }

    /// The frame `[start, end)` of row `i`; rows must come in increasing order.
    pub(super) fn frame(&mut self, i: usize, part: &mut PartitionRows) -> Result<(usize, usize)> {
        let n = part.len();
        let start = match &self.spec.start {
            Bound::UnboundedPreceding => 0,
            Bound::UnboundedFollowing => n,
            Bound::CurrentRow if self.spec.units == FrameUnits::Rows => i,
            Bound::CurrentRow => {
                // The first peer of row i.
                let g = part.group(i)?;
                advance(&mut self.start, n, |j| Ok(part.group(j)? < g))?;
                self.start
            }
            Bound::Offset { value, following } => match self.spec.units {
                FrameUnits::Rows => {
                    let k = count(value);
                    if *following {
                        i.saturating_add(k).min(n)
                    } else {
                        i.saturating_sub(k)
                    }
                }
                FrameUnits::Groups => {
                    let g = shift_group(part.group(i)?, count(value), *following);
                    advance(&mut self.start, n, |j| Ok(part.group(j)? < g))?;
                    self.start
                }
                FrameUnits::Range => {
                    let key = self.key()?;
                    let (sub, less) = (!*following != key.desc, key.desc);
                    let cur = part.get(i)?.order[0].clone();
                    advance(&mut self.start, n, |j| {
                        let v = &part.get(j)?.order[0];
                        Ok(!range_start_reached(
                            v,
                            &cur,
                            value,
                            sub,
                            less,
                            key.nulls_first,
                        )?)
                    })?;
                    self.start
                }
            },
        };
        let end = match &self.spec.end {
            Bound::UnboundedPreceding => 0,
            Bound::UnboundedFollowing => n,
            Bound::CurrentRow if self.spec.units == FrameUnits::Rows => i + 1,
            Bound::CurrentRow => {
                // Past the last peer of row i.
                let g = part.group(i)?;
                advance(&mut self.end, n, |j| Ok(part.group(j)? <= g))?;
                self.end
            }
            Bound::Offset { value, following } => match self.spec.units {
                FrameUnits::Rows => {
                    let k = count(value);
                    if *following {
                        i.saturating_add(k).saturating_add(1).min(n)
                    } else {
                        (i + 1).saturating_sub(k)
                    }
                }
                FrameUnits::Groups => {
                    let g = part.group(i)?;
                    let last = if *following {
                        Some(g.saturating_add(count(value)))
                    } else {
                        g.checked_sub(count(value))
                    };
                    if let Some(last) = last {
                        advance(&mut self.end, n, |j| Ok(part.group(j)? <= last))?;
                    }
                    self.end
                }
                FrameUnits::Range => {
                    let key = self.key()?;
                    let (sub, less) = (!*following != key.desc, !key.desc);
                    let cur = part.get(i)?.order[0].clone();
                    advance(&mut self.end, n, |j| {
                        let v = &part.get(j)?.order[0];
                        range_end_includes(v, &cur, value, sub, less, key.nulls_first)
                    })?;
                    self.end
                }
            },
        };
        Ok((start.min(n), end.min(n)))
    }

    fn key(&self) -> Result<SortKey> {
        self.spec
            .key
            .clone()
            .ok_or_else(|| QueryError::internal("a RANGE offset without an ORDER BY key"))
    }
}

/// Moves `pos` forward while it is below `n` and `before(pos)`.
fn advance(pos: &mut usize, n: usize, mut before: impl FnMut(usize) -> Result<bool>) -> Result<()> {
    while *pos < n && before(*pos)? {
        *pos += 1;
    }
    Ok(())
}

/// The group `k` groups before or after `g` (0 when before the first).
fn shift_group(g: usize, k: usize, following: bool) -> usize {
    if following {
        g.saturating_add(k)
    } else {
        g.saturating_sub(k)
    }
}

/// Whether a row with ORDER BY value `v` is at or past the start of the frame of the
/// current row (value `cur`): PostgreSQL's update_frameheadpos.
fn range_start_reached(
    v: &Value,
    cur: &Value,
    offset: &Value,
    sub: bool,
    less: bool,
    nulls_first: bool,
) -> Result<bool> {
    if v.is_null() || cur.is_null() {
        // Only NULLS FIRST/LAST orders a NULL against a value.
        return Ok(if nulls_first {
            !v.is_null() || cur.is_null()
        } else {
            v.is_null() || !cur.is_null()
        });
    }
    in_range(v, cur, offset, sub, less)
}

/// Whether a row with ORDER BY value `v` is before the end of the frame of the current
/// row (value `cur`): PostgreSQL's update_frametailpos.
fn range_end_includes(
    v: &Value,
    cur: &Value,
    offset: &Value,
    sub: bool,
    less: bool,
    nulls_first: bool,
) -> Result<bool> {
    if v.is_null() || cur.is_null() {
        return Ok(if nulls_first {
            v.is_null()
        } else {
            cur.is_null()
        });
    }
    in_range(v, cur, offset, sub, less)
}
