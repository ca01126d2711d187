//! The row-at-a-time operators: VALUES, filter, project, limit/offset.

use covet_engine::value::Value;

use super::{Batch, ExecContext, Operator, BATCH_SIZE};
use crate::error::{QueryError, Result, SqlState};
use crate::expr::ScalarExpr;

/// Literal rows, evaluated when read.
pub(super) struct ValuesOp {
    rows: Vec<Vec<ScalarExpr>>,
    next: usize,
}

impl ValuesOp {
    pub(super) fn new(rows: Vec<Vec<ScalarExpr>>) -> ValuesOp {
        ValuesOp { rows, next: 0 }
    }
}

impl Operator for ValuesOp {
    fn next_batch(&mut self, ctx: &mut ExecContext<'_>) -> Result<Option<Batch>> {
        let end = (self.next + BATCH_SIZE).min(self.rows.len());
        let mut out = Vec::with_capacity(end - self.next);
        for row in &self.rows[self.next..end] {
            let mut values = Vec::with_capacity(row.len());
            for e in row {
                values.push(ctx.eval(e, &[])?);
            }
            out.push(values);
        }
        self.next = end;
        Ok(if out.is_empty() {
            None
        } else {
            Some(Batch { rows: out })
        })
    }
}

/// Keeps the rows where the predicate is TRUE.
pub(super) struct FilterOp {
    input: Box<dyn Operator>,
    predicate: ScalarExpr,
}

impl FilterOp {
    pub(super) fn new(input: Box<dyn Operator>, predicate: ScalarExpr) -> FilterOp {
        FilterOp { input, predicate }
    }
}

impl Operator for FilterOp {
    fn next_batch(&mut self, ctx: &mut ExecContext<'_>) -> Result<Option<Batch>> {
        while let Some(batch) = self.input.next_batch(ctx)? {
            let mut rows = Vec::with_capacity(batch.rows.len());
            for row in batch.rows {
                if ctx.eval_true(&self.predicate, &row)? {
                    rows.push(row);
                }
            }
            if !rows.is_empty() {
                return Ok(Some(Batch { rows }));
            }
        }
        Ok(None)
    }
}

/// Computes output columns.
pub(super) struct ProjectOp {
    input: Box<dyn Operator>,
    exprs: Vec<ScalarExpr>,
}

impl ProjectOp {
    pub(super) fn new(input: Box<dyn Operator>, exprs: Vec<ScalarExpr>) -> ProjectOp {
        ProjectOp { input, exprs }
    }
}

impl Operator for ProjectOp {
    fn next_batch(&mut self, ctx: &mut ExecContext<'_>) -> Result<Option<Batch>> {
        let Some(batch) = self.input.next_batch(ctx)? else {
            return Ok(None);
        };
        let mut rows = Vec::with_capacity(batch.rows.len());
        for row in batch.rows {
            let mut out = Vec::with_capacity(self.exprs.len());
            for e in &self.exprs {
                out.push(match e {
                    // The common case, without the evaluator's dispatch.
                    ScalarExpr::Column(i) => row.get(*i).cloned().unwrap_or(Value::Null),
                    _ => ctx.eval(e, &row)?,
                });
            }
            rows.push(out);
        }
        Ok(Some(Batch { rows }))
    }
}

/// A LIMIT or OFFSET count: `None` for NULL (no limit / no offset); 2201W/2201X when
/// negative.
pub(super) fn row_count(
    expr: Option<&ScalarExpr>,
    offset: bool,
    ctx: &mut ExecContext<'_>,
) -> Result<Option<u64>> {
    let Some(expr) = expr else { return Ok(None) };
    let v = ctx.eval(expr, &[])?;
    let (code, what) = if offset {
        (SqlState::INVALID_ROW_COUNT_IN_OFFSET, "OFFSET")
    } else {
        (SqlState::INVALID_ROW_COUNT_IN_LIMIT, "LIMIT")
    };
    let n = match v {
        Value::Null => return Ok(None),
        Value::Int(n) => n,
        Value::Float(f) if f.is_finite() => f.round() as i64,
        Value::Decimal(d) => d.to_f64().round() as i64,
        other => {
            return Err(QueryError::new(
                SqlState::DATATYPE_MISMATCH,
                format!(
                    "argument of {what} must be an integer, not {}",
                    other.type_name()
                ),
            ))
        }
    };
    if n < 0 {
        return Err(QueryError::new(
            code,
            format!("{what} must not be negative"),
        ));
    }
    Ok(Some(n as u64))
}

/// LIMIT / OFFSET: stops pulling its input once the limit is reached.
pub(super) struct LimitOp {
    input: Box<dyn Operator>,
    limit_expr: Option<ScalarExpr>,
    offset_expr: Option<ScalarExpr>,
    started: bool,
    /// Rows still to skip.
    skip: u64,
    /// Rows still to return (`None`: no limit).
    left: Option<u64>,
}

impl LimitOp {
    pub(super) fn new(
        input: Box<dyn Operator>,
        limit: Option<ScalarExpr>,
        offset: Option<ScalarExpr>,
    ) -> LimitOp {
        LimitOp {
            input,
            limit_expr: limit,
            offset_expr: offset,
            started: false,
            skip: 0,
            left: None,
        }
    }
}

impl Operator for LimitOp {
    fn next_batch(&mut self, ctx: &mut ExecContext<'_>) -> Result<Option<Batch>> {
        if !self.started {
            self.started = true;
            self.left = row_count(self.limit_expr.as_ref(), false, ctx)?;
            self.skip = row_count(self.offset_expr.as_ref(), true, ctx)?.unwrap_or(0);
        }
        loop {
            if self.left == Some(0) {
                return Ok(None);
            }
            let Some(batch) = self.input.next_batch(ctx)? else {
                return Ok(None);
            };
            let mut rows = batch.rows;
            let skip = (self.skip as usize).min(rows.len());
            rows.drain(..skip);
            self.skip -= skip as u64;
            if let Some(left) = &mut self.left {
                rows.truncate((*left).min(usize::MAX as u64) as usize);
                *left -= rows.len() as u64;
            }
            if !rows.is_empty() {
                return Ok(Some(Batch { rows }));
            }
        }
    }
}
