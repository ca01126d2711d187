//! The value of one window call for successive rows of a partition.
//!
//! Aggregates keep one accumulator across rows: a frame that starts at the partition's
//! first row only adds the rows its end passes; a moving frame retracts the rows its
//! start passes when the aggregate can retract, and is otherwise computed afresh (unless
//! it is the previous row's frame, as for peers).

use covet_engine::value::Value;

use super::frame::{FrameCursor, FrameSpec};
use super::partition::PartitionRows;
use crate::error::{QueryError, Result, SqlState};
use crate::exec::ExecContext;
use crate::functions::{Accumulator, WindowFunctionKind};
use crate::plan::{WindowCall, WindowFunc};

/// Where the rows of the current peer group are: `[start, end)` of row `i`'s peers.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Peers {
    pub start: usize,
    pub end: usize,
}

impl Peers {
    /// Moves to row `i`'s peer group (rows come in increasing order).
    pub(super) fn advance(&mut self, i: usize, part: &mut PartitionRows) -> Result<()> {
        if i < self.end {
            return Ok(());
        }
        let g = part.group(i)?;
        self.start = i;
        self.end = i + 1;
        while self.end < part.len() && part.group(self.end)? == g {
            self.end += 1;
        }
        Ok(())
    }
}

/// The state of one window call within a partition.
pub(super) struct CallState {
    cursor: FrameCursor,
    /// The accumulator of an aggregate and the rows `[lo, hi)` it holds.
    acc: Option<(Box<dyn Accumulator>, usize, usize)>,
    /// The previous row's frame and value (a frame that did not move has it again).
    last: Option<((usize, usize), Value)>,
}

impl CallState {
    pub(super) fn new(spec: FrameSpec) -> CallState {
        CallState {
            cursor: FrameCursor::new(spec),
            acc: None,
            last: None,
        }
    }

    /// The call's value for row `i`.
    pub(super) fn value(
        &mut self,
        f: &WindowCall,
        i: usize,
        peers: Peers,
        part: &mut PartitionRows,
        ctx: &mut ExecContext<'_>,
    ) -> Result<Value> {
        match &f.func {
            WindowFunc::Builtin(kind) => self.builtin(*kind, f, i, peers, part, ctx),
            WindowFunc::Aggregate(func) => {
                let (start, end) = self.cursor.frame(i, part)?;
                let end = end.max(start);
                if let Some((frame, v)) = &self.last {
                    if *frame == (start, end) {
                        return Ok(v.clone());
                    }
                }
                // Rows leave the accumulator only by retracting them.
                let fresh = match &self.acc {
                    Some((_, lo, hi)) => start >= *hi || (start != *lo && !func.retractable),
                    None => true,
                };
                if fresh {
                    self.acc = Some(((func.create)(), start, start));
                }
                let Some((acc, lo, hi)) = &mut self.acc else {
                    return Err(QueryError::internal("a window aggregate without its state"));
                };
                for j in *lo..start {
                    let row = &part.get(j)?.row;
                    if let Some(args) = arguments(f, row, ctx)? {
                        acc.retract(&args)?;
                    }
                }
                *lo = start;
                for j in *hi..end {
                    let row = &part.get(j)?.row;
                    if let Some(args) = arguments(f, row, ctx)? {
                        acc.update(&args)?;
                    }
                }
                *hi = end;
                let v = acc.evaluate()?;
                self.last = Some(((start, end), v.clone()));
                Ok(v)
            }
        }
    }

    fn builtin(
        &mut self,
        kind: WindowFunctionKind,
        f: &WindowCall,
        i: usize,
        peers: Peers,
        part: &mut PartitionRows,
        ctx: &mut ExecContext<'_>,
    ) -> Result<Value> {
        let n = part.len();
        let arg = |k: usize,
                   part: &mut PartitionRows,
                   ctx: &mut ExecContext<'_>|
         -> Result<Option<Value>> {
            match f.args.get(k) {
                Some(e) => ctx.eval(e, &part.get(i)?.row).map(Some),
                None => Ok(None),
            }
        };
        Ok(match kind {
            WindowFunctionKind::RowNumber => Value::Int(i as i64 + 1),
            WindowFunctionKind::Rank => Value::Int(peers.start as i64 + 1),
            WindowFunctionKind::DenseRank => Value::Int(part.group(i)? as i64),
            WindowFunctionKind::PercentRank => Value::Float(if n <= 1 {
                0.0
            } else {
                peers.start as f64 / (n - 1) as f64
            }),
            WindowFunctionKind::CumeDist => Value::Float(peers.end as f64 / n as f64),
            WindowFunctionKind::Ntile => {
                let buckets = match arg(0, part, ctx)? {
                    Some(Value::Int(b)) if b > 0 => b as usize,
                    Some(Value::Null) => return Ok(Value::Null),
                    _ => {
                        // PostgreSQL's invalid_argument_for_ntile_function.
                        return Err(QueryError::new(
                            SqlState(*b"22014"),
                            "argument of ntile must be greater than zero",
                        ));
                    }
                };
                // The first n % buckets buckets hold one row more.
                let small = n / buckets;
                let big = n % buckets;
                let boundary = big * (small + 1);
                let b = if i < boundary {
                    i / (small + 1)
                } else {
                    big + (i - boundary) / small.max(1)
                };
                Value::Int(b as i64 + 1)
            }
            WindowFunctionKind::Lag | WindowFunctionKind::Lead => {
                let k = match arg(1, part, ctx)? {
                    None => 1i64,
                    Some(Value::Int(k)) => k,
                    Some(Value::Null) => return Ok(Value::Null),
                    Some(other) => {
                        return Err(QueryError::new(
                            SqlState::DATATYPE_MISMATCH,
                            format!(
                                "offset of lag/lead must be an integer, not {}",
                                other.type_name()
                            ),
                        ))
                    }
                };
                let k = if kind == WindowFunctionKind::Lag {
                    k.checked_neg()
                } else {
                    Some(k)
                };
                let at = k.and_then(|k| (i as i64).checked_add(k));
                match at {
                    Some(at) if at >= 0 && (at as usize) < n => match f.args.first() {
                        Some(e) => ctx.eval(e, &part.get(at as usize)?.row)?,
                        None => Value::Null,
                    },
                    _ => arg(2, part, ctx)?.unwrap_or(Value::Null),
                }
            }
            WindowFunctionKind::FirstValue
            | WindowFunctionKind::LastValue
            | WindowFunctionKind::NthValue => {
                let (start, end) = self.cursor.frame(i, part)?;
                let at = match kind {
                    WindowFunctionKind::FirstValue => Some(start),
                    WindowFunctionKind::LastValue => end.checked_sub(1),
                    _ => match arg(1, part, ctx)? {
                        Some(Value::Int(k)) if k > 0 => usize::try_from(k - 1)
                            .ok()
                            .and_then(|k| start.checked_add(k)),
                        Some(Value::Null) => return Ok(Value::Null),
                        _ => {
                            return Err(QueryError::new(
                                SqlState::INVALID_PARAMETER_VALUE,
                                "argument of nth_value must be greater than zero",
                            ))
                        }
                    },
                };
                match (at, f.args.first()) {
                    (Some(at), Some(e)) if at >= start && at < end => {
                        ctx.eval(e, &part.get(at)?.row)?
                    }
                    _ => Value::Null,
                }
            }
        })
    }
}

/// The arguments of an aggregate call on `row`, or `None` when FILTER rejects it.
fn arguments(
    f: &WindowCall,
    row: &[Value],
    ctx: &mut ExecContext<'_>,
) -> Result<Option<Vec<Value>>> {
    if let Some(filter) = &f.filter {
        if !ctx.eval_true(filter, row)? {
            return Ok(None);
        }
    }
    let mut args = Vec::with_capacity(f.args.len());
    for e in &f.args {
        args.push(ctx.eval(e, row)?);
    }
    Ok(Some(args))
}
