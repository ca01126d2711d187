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
    /// When every expression is a column reference: per output column, its input column
    /// and whether this is the last output that reads it (so its value moves instead of
    /// being copied). `None` when some expression must be evaluated.
    moves: Option<Vec<(usize, bool)>>,
}

impl ProjectOp {
    pub(super) fn new(input: Box<dyn Operator>, exprs: Vec<ScalarExpr>) -> ProjectOp {
        let columns: Option<Vec<usize>> = exprs
            .iter()
            .map(|e| match e {
                ScalarExpr::Column(i) => Some(*i),
                _ => None,
            })
            .collect();
        let moves = columns.map(|cols| {
            cols.iter()
                .enumerate()
                .map(|(j, &c)| (c, !cols[j + 1..].contains(&c)))
                .collect()
        });
        ProjectOp {
            input,
            exprs,
            moves,
        }
    }

    /// The output row of `row` when every expression is a column: the input row itself
    /// when it starts with the outputs in order (truncated past them), else its values
    /// moved (or copied, for a column read again later) into place.
    fn move_columns(moves: &[(usize, bool)], mut row: Vec<Value>) -> Vec<Value> {
        let prefix =
            moves.len() <= row.len() && moves.iter().enumerate().all(|(j, &(c, _))| c == j);
        if prefix {
            row.truncate(moves.len());
            return row;
        }
        moves
            .iter()
            .map(|&(c, last)| match row.get_mut(c) {
                Some(v) if last => std::mem::replace(v, Value::Null),
                Some(v) => v.clone(),
                None => Value::Null,
            })
            .collect()
    }
}

impl Operator for ProjectOp {
    fn next_batch(&mut self, ctx: &mut ExecContext<'_>) -> Result<Option<Batch>> {
        let Some(batch) = self.input.next_batch(ctx)? else {
            return Ok(None);
        };
        if let Some(moves) = &self.moves {
            let rows = batch
                .rows
                .into_iter()
                .map(|row| ProjectOp::move_columns(moves, row))
                .collect();
            return Ok(Some(Batch { rows }));
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn moves(cols: &[usize]) -> Vec<(usize, bool)> {
        let exprs = cols.iter().map(|&c| ScalarExpr::Column(c)).collect();
        let input: Box<dyn Operator> = Box::new(ValuesOp::new(Vec::new()));
        ProjectOp::new(input, exprs)
            .moves
            .expect("column references only")
    }

    fn row() -> Vec<Value> {
        vec![
            Value::Int(1),
            Value::Text("b".into()),
            Value::Null,
            Value::Int(4),
        ]
    }

    #[test]
    fn leading_columns_in_order_reuse_the_row() {
        assert_eq!(
            ProjectOp::move_columns(&moves(&[0, 1]), row()),
            vec![Value::Int(1), Value::Text("b".into())]
        );
        assert_eq!(ProjectOp::move_columns(&moves(&[0, 1, 2, 3]), row()), row());
    }

    #[test]
    fn repeated_and_reordered_columns_copy_all_but_the_last_read() {
        assert_eq!(moves(&[1, 3, 1]), vec![(1, false), (3, true), (1, true)]);
        assert_eq!(
            ProjectOp::move_columns(&moves(&[1, 3, 1, 0, 7]), row()),
            vec![
                Value::Text("b".into()),
                Value::Int(4),
                Value::Text("b".into()),
                Value::Int(1),
                Value::Null,
            ]
        );
    }

    #[test]
    fn an_evaluated_expression_disables_moving() {
        let input: Box<dyn Operator> = Box::new(ValuesOp::new(Vec::new()));
        let exprs = vec![ScalarExpr::Column(0), ScalarExpr::Literal(Value::Int(2))];
        assert!(ProjectOp::new(input, exprs).moves.is_none());
    }
}
