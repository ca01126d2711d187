//! Window functions over one window (PARTITION BY, ORDER BY, frame).
//!
//! The input is sorted by the partition keys then the order keys (an external sort, so
//! it spills), then read one partition at a time; a partition is held in memory (53200
//! past `work_mem`). Output rows are the input rows, in that order, each followed by one
//! value per window call. Peers are rows with equal ORDER BY values (NULLs equal).

use std::cmp::Ordering;

use covet_engine::value::Value;

use super::sort::{SortedRows, Sorter};
use super::{out_of_work_mem, row_bytes, Batch, ExecContext, Operator, BATCH_SIZE};
use crate::error::{QueryError, Result, SqlState};
use crate::functions::{Accumulator, WindowFunctionKind};
use crate::plan::{FrameBound, SortKey, WindowCall, WindowFunc};

/// A partition's rows and, for each, its ORDER BY values.
type PartitionRows = (Vec<Vec<Value>>, Vec<Vec<Value>>);

pub(super) struct WindowOp {
    input: Option<Box<dyn Operator>>,
    functions: Vec<WindowCall>,
    sorted: Option<SortedRows>,
    /// The first row of the next partition, read while finding the end of the last.
    carry: Option<(Vec<Value>, Vec<Value>)>,
    done: bool,
}

impl WindowOp {
    pub(super) fn new(input: Box<dyn Operator>, functions: Vec<WindowCall>) -> WindowOp {
        WindowOp {
            input: Some(input),
            functions,
            sorted: None,
            carry: None,
            done: false,
        }
    }

    fn npartition(&self) -> usize {
        self.functions.first().map_or(0, |f| f.partition_by.len())
    }

    fn order_keys(&self) -> &[SortKey] {
        self.functions.first().map_or(&[], |f| &f.order_by[..])
    }

    /// Reads the next partition: rows and their ORDER BY values.
    fn next_partition(&mut self, ctx: &mut ExecContext<'_>) -> Result<Option<PartitionRows>> {
        let np = self.npartition();
        let Some(sorted) = &mut self.sorted else {
            return Ok(None);
        };
        let first = match self.carry.take() {
            Some(e) => e,
            None => match sorted.next_entry()? {
                Some(e) => e,
                None => return Ok(None),
            },
        };
        let pkey: Vec<Value> = first.0[..np].to_vec();
        let mut rows = Vec::new();
        let mut orders = Vec::new();
        let mut bytes = 0;
        let mut push = |(keys, row): (Vec<Value>, Vec<Value>)| -> Result<()> {
            bytes += row_bytes(&row) + row_bytes(&keys);
            if bytes > ctx.state.settings.work_mem {
                return Err(out_of_work_mem(
                    "a window partition",
                    ctx.state.settings.work_mem,
                ));
            }
            orders.push(keys[np..].to_vec());
            rows.push(row);
            Ok(())
        };
        push(first)?;
        while let Some(e) = sorted.next_entry()? {
            let same = e.0[..np].iter().zip(&pkey).all(|(a, b)| a.sql_eq(b));
            if !same {
                self.carry = Some(e);
                break;
            }
            push(e)?;
        }
        Ok(Some((rows, orders)))
    }
}

impl Operator for WindowOp {
    fn next_batch(&mut self, ctx: &mut ExecContext<'_>) -> Result<Option<Batch>> {
        if let Some(mut input) = self.input.take() {
            let mut keys: Vec<SortKey> = self
                .functions
                .first()
                .map(|f| {
                    f.partition_by
                        .iter()
                        .map(|e| SortKey {
                            expr: e.clone(),
                            desc: false,
                            nulls_first: false,
                        })
                        .collect()
                })
                .unwrap_or_default();
            keys.extend(self.order_keys().iter().cloned());
            let mut sorter = Sorter::new(keys);
            while let Some(b) = input.next_batch(ctx)? {
                for r in b.rows {
                    sorter.push_row(r, ctx)?;
                }
            }
            self.sorted = Some(sorter.finish()?);
        }
        if self.done {
            return Ok(None);
        }
        let mut out = Vec::new();
        while out.len() < BATCH_SIZE {
            let Some((mut rows, orders)) = self.next_partition(ctx)? else {
                self.done = true;
                break;
            };
            let part = Partition::new(&orders);
            let mut columns = Vec::with_capacity(self.functions.len());
            for f in &self.functions {
                columns.push(part.compute(f, &rows, &orders, ctx)?);
            }
            for (i, row) in rows.iter_mut().enumerate() {
                for c in &columns {
                    row.push(c[i].clone());
                }
            }
            out.extend(rows);
        }
        Ok(if out.is_empty() {
            None
        } else {
            Some(Batch { rows: out })
        })
    }
}

/// Peer groups of a partition.
struct Partition {
    peer_start: Vec<usize>,
    peer_end: Vec<usize>,
    /// The 1-based number of each row's peer group (dense rank).
    group: Vec<usize>,
}

impl Partition {
    fn new(orders: &[Vec<Value>]) -> Partition {
        let n = orders.len();
        let mut peer_start = vec![0; n];
        let mut peer_end = vec![n; n];
        let mut group = vec![1; n];
        let mut start = 0;
        for i in 1..=n {
            let boundary = i == n
                || !orders[i]
                    .iter()
                    .zip(&orders[i - 1])
                    .all(|(a, b)| a.sql_eq(b));
            if boundary {
                for j in start..i {
                    peer_start[j] = start;
                    peer_end[j] = i;
                }
                if i < n {
                    group[i] = group[i - 1] + 1;
                }
                start = i;
            } else {
                group[i] = group[i - 1];
            }
        }
        Partition {
            peer_start,
            peer_end,
            group,
        }
    }

    /// The frame of row `i`: `[start, end)` (empty when start >= end).
    fn frame(
        &self,
        f: &WindowCall,
        i: usize,
        row: &[Value],
        orders: &[Vec<Value>],
        ctx: &mut ExecContext<'_>,
    ) -> Result<(usize, usize)> {
        let n = orders.len();
        let fr = &f.frame;
        let start = self.bound(f, &fr.start, true, i, row, orders, ctx)?;
        let end = self.bound(f, &fr.end, false, i, row, orders, ctx)?;
        Ok((start.min(n), end.min(n)))
    }

    /// Where a frame bound puts the start (`is_start`) or the exclusive end.
    #[allow(clippy::too_many_arguments)]
    fn bound(
        &self,
        f: &WindowCall,
        b: &FrameBound,
        is_start: bool,
        i: usize,
        row: &[Value],
        orders: &[Vec<Value>],
        ctx: &mut ExecContext<'_>,
    ) -> Result<usize> {
        let n = orders.len();
        let offset = |e, ctx: &mut ExecContext<'_>| -> Result<Value> {
            let v = ctx.eval(e, row)?;
            let negative = match &v {
                Value::Null => true,
                Value::Int(x) => *x < 0,
                Value::Float(x) => *x < 0.0,
                Value::Decimal(d) => d.is_negative(),
                _ => false,
            };
            if negative {
                return Err(QueryError::new(
                    SqlState::INVALID_PARAMETER_VALUE,
                    "frame starting or ending offset must not be null or negative",
                ));
            }
            Ok(v)
        };
        Ok(match b {
            FrameBound::UnboundedPreceding => 0,
            FrameBound::UnboundedFollowing => n,
            FrameBound::CurrentRow => {
                if f.frame.rows {
                    if is_start {
                        i
                    } else {
                        i + 1
                    }
                } else if is_start {
                    self.peer_start[i]
                } else {
                    self.peer_end[i]
                }
            }
            FrameBound::Preceding(e) | FrameBound::Following(e) => {
                let following = matches!(b, FrameBound::Following(_));
                let v = offset(e, ctx)?;
                if f.frame.rows {
                    let k = int_offset(&v)?;
                    let at = if following {
                        i.checked_add(k)
                    } else {
                        i.checked_sub(k)
                    };
                    match at {
                        Some(at) if is_start => at,
                        Some(at) => at.saturating_add(1),
                        None if following => n,
                        // Before the partition's first row.
                        None => 0,
                    }
                } else {
                    range_bound(f, &v, following, is_start, i, orders, self)?
                }
            }
        })
    }

    fn compute(
        &self,
        f: &WindowCall,
        rows: &[Vec<Value>],
        orders: &[Vec<Value>],
        ctx: &mut ExecContext<'_>,
    ) -> Result<Vec<Value>> {
        let n = rows.len();
        let mut out = Vec::with_capacity(n);
        match &f.func {
            WindowFunc::Builtin(kind) => {
                for i in 0..n {
                    out.push(self.builtin(*kind, f, i, rows, orders, ctx)?);
                }
            }
            WindowFunc::Aggregate(func) => {
                let incremental = matches!(f.frame.start, FrameBound::UnboundedPreceding);
                let mut acc: Box<dyn Accumulator> = (func.create)();
                let mut added = 0;
                for i in 0..n {
                    let (start, end) = self.frame(f, i, &rows[i], orders, ctx)?;
                    if incremental && end >= added {
                        for r in &rows[added..end] {
                            add_row(acc.as_mut(), f, r, ctx)?;
                        }
                        added = end;
                        out.push(acc.evaluate()?);
                    } else {
                        let mut fresh = (func.create)();
                        for r in rows.get(start..end.max(start)).unwrap_or(&[]) {
                            add_row(fresh.as_mut(), f, r, ctx)?;
                        }
                        out.push(fresh.evaluate()?);
                    }
                }
            }
        }
        Ok(out)
    }

    fn builtin(
        &self,
        kind: WindowFunctionKind,
        f: &WindowCall,
        i: usize,
        rows: &[Vec<Value>],
        orders: &[Vec<Value>],
        ctx: &mut ExecContext<'_>,
    ) -> Result<Value> {
        let n = rows.len();
        let row = &rows[i];
        let arg = |k: usize, ctx: &mut ExecContext<'_>| -> Result<Option<Value>> {
            match f.args.get(k) {
                Some(e) => ctx.eval(e, row).map(Some),
                None => Ok(None),
            }
        };
        Ok(match kind {
            WindowFunctionKind::RowNumber => Value::Int(i as i64 + 1),
            WindowFunctionKind::Rank => Value::Int(self.peer_start[i] as i64 + 1),
            WindowFunctionKind::DenseRank => Value::Int(self.group[i] as i64),
            WindowFunctionKind::PercentRank => Value::Float(if n <= 1 {
                0.0
            } else {
                self.peer_start[i] as f64 / (n - 1) as f64
            }),
            WindowFunctionKind::CumeDist => Value::Float(self.peer_end[i] as f64 / n as f64),
            WindowFunctionKind::Ntile => {
                let buckets = match arg(0, ctx)? {
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
                let k = match arg(1, ctx)? {
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
                    -k
                } else {
                    k
                };
                let at = i as i64 + k;
                if at >= 0 && (at as usize) < n {
                    match f.args.first() {
                        Some(e) => ctx.eval(e, &rows[at as usize])?,
                        None => Value::Null,
                    }
                } else {
                    arg(2, ctx)?.unwrap_or(Value::Null)
                }
            }
            WindowFunctionKind::FirstValue
            | WindowFunctionKind::LastValue
            | WindowFunctionKind::NthValue => {
                let (start, end) = self.frame(f, i, row, orders, ctx)?;
                let at = match kind {
                    WindowFunctionKind::FirstValue => Some(start),
                    WindowFunctionKind::LastValue => end.checked_sub(1),
                    _ => match arg(1, ctx)? {
                        Some(Value::Int(k)) if k > 0 => start.checked_add(k as usize - 1),
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
                    (Some(at), Some(e)) if at >= start && at < end => ctx.eval(e, &rows[at])?,
                    _ => Value::Null,
                }
            }
        })
    }
}

fn add_row(
    acc: &mut dyn Accumulator,
    f: &WindowCall,
    row: &[Value],
    ctx: &mut ExecContext<'_>,
) -> Result<()> {
    if let Some(filter) = &f.filter {
        if !ctx.eval_true(filter, row)? {
            return Ok(());
        }
    }
    let mut args = Vec::with_capacity(f.args.len());
    for e in &f.args {
        args.push(ctx.eval(e, row)?);
    }
    acc.update(&args)
}

fn int_offset(v: &Value) -> Result<usize> {
    match v {
        Value::Int(k) => Ok(*k as usize),
        other => Err(QueryError::new(
            SqlState::DATATYPE_MISMATCH,
            format!(
                "ROWS frame offset must be an integer, not {}",
                other.type_name()
            ),
        )),
    }
}

/// A RANGE frame bound with an offset: the rows whose single ORDER BY value lies within
/// `offset` of the current row's (in the direction of the ordering).
fn range_bound(
    f: &WindowCall,
    offset: &Value,
    following: bool,
    is_start: bool,
    i: usize,
    orders: &[Vec<Value>],
    part: &Partition,
) -> Result<usize> {
    let [key] = &f.order_by[..] else {
        return Err(QueryError::new(
            SqlState::WINDOWING_ERROR,
            "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column",
        ));
    };
    let cur = &orders[i][0];
    if cur.is_null() {
        return Ok(if is_start {
            part.peer_start[i]
        } else {
            part.peer_end[i]
        });
    }
    // The target value: cur ± offset, moving "later" in the sort order when following.
    let later = following != key.desc;
    let target = shift(cur, offset, later)?;
    // Rows are sorted; find the first index whose value is past (start) or at-or-past
    // (end) the target, in sort order. NULLs sort at one end and are never in range.
    let before_target = |v: &Value| -> bool {
        if v.is_null() {
            return key.nulls_first;
        }
        let o = v.sql_cmp(&target);
        if key.desc {
            o == Ordering::Greater
        } else {
            o == Ordering::Less
        }
    };
    let at_or_before_target = |v: &Value| -> bool {
        if v.is_null() {
            return key.nulls_first;
        }
        let o = v.sql_cmp(&target);
        o == Ordering::Equal || before_target(v)
    };
    let n = orders.len();
    Ok(if is_start {
        (0..n).find(|&j| !before_target(&orders[j][0])).unwrap_or(n)
    } else {
        (0..n)
            .find(|&j| !at_or_before_target(&orders[j][0]))
            .unwrap_or(n)
    })
}

/// `v + offset` (when `up`) or `v - offset`, for numbers.
fn shift(v: &Value, offset: &Value, up: bool) -> Result<Value> {
    let unsupported = || {
        QueryError::unsupported(format!(
            "RANGE frame offsets over {} with a {} offset",
            v.type_name(),
            offset.type_name()
        ))
    };
    Ok(match (v, offset) {
        (Value::Int(a), Value::Int(b)) => {
            let r = if up {
                a.checked_add(*b)
            } else {
                a.checked_sub(*b)
            };
            match r {
                Some(r) => Value::Int(r),
                None => Value::Float(if up {
                    *a as f64 + *b as f64
                } else {
                    *a as f64 - *b as f64
                }),
            }
        }
        (a, b) if a.is_numeric() && b.is_numeric() => {
            let (Some(x), Some(y)) = (a.as_scalar(), b.as_scalar()) else {
                return Err(unsupported());
            };
            Value::Float(if up { x + y } else { x - y })
        }
        _ => return Err(unsupported()),
    })
}
