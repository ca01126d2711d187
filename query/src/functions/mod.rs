//! The function library: scalar functions ([`resolve_scalar`]), aggregates
//! ([`resolve_aggregate`], [`Accumulator`]) and the ranking/offset window functions
//! ([`resolve_window`]).
//!
//! Resolution happens once, at bind time, from the name (lower-cased) and the argument
//! types; the result carries its return type and the code to run. Unknown names are
//! 42883 naming the function and the argument types, as PostgreSQL does.

use covet_engine::value::Value;

use crate::error::Result;
use crate::expr::EvalContext;
use crate::types::DataType;

/// A resolved scalar function.
pub struct ScalarFunction {
    /// Its SQL name, lower case.
    pub name: &'static str,
    /// The type it returns for the argument types it was resolved for.
    pub return_type: DataType,
    /// Whether two calls with the same arguments may differ (`random()`); volatile
    /// calls are never folded into constants.
    pub volatile: bool,
    /// Whether a NULL argument gives NULL without running `eval` (most functions).
    pub strict: bool,
    /// The implementation. Arguments arrive already cast to the types resolution chose.
    pub eval: fn(&[Value], &dyn EvalContext) -> Result<Value>,
}

impl std::fmt::Debug for ScalarFunction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}(…) -> {}", self.name, self.return_type)
    }
}

impl PartialEq for ScalarFunction {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.return_type == other.return_type
            && std::ptr::fn_addr_eq(self.eval, other.eval)
    }
}

/// The running state of one aggregate over one group (or one window frame).
pub trait Accumulator: Send {
    /// Adds one input row's arguments (already filtered by FILTER; DISTINCT is applied by
    /// the accumulator itself when the aggregate was resolved with `distinct`).
    fn update(&mut self, args: &[Value]) -> Result<()>;

    /// Removes one earlier input (for sliding window frames). Accumulators that cannot
    /// retract return `false` from [`AggregateFunction::retractable`] and are never
    /// asked.
    fn retract(&mut self, args: &[Value]) -> Result<()>;

    /// The aggregate's value for the rows added so far (callable more than once).
    fn evaluate(&self) -> Result<Value>;

    /// Approximate bytes of memory held (for the work-memory bound of hash aggregation).
    fn memory_bytes(&self) -> usize;
}

/// A resolved aggregate function.
pub struct AggregateFunction {
    /// Its SQL name, lower case.
    pub name: &'static str,
    /// Its return type.
    pub return_type: DataType,
    /// Whether DISTINCT was given.
    pub distinct: bool,
    /// Whether its accumulators support [`Accumulator::retract`].
    pub retractable: bool,
    /// A fresh accumulator.
    pub create: Box<dyn Fn() -> Box<dyn Accumulator> + Send + Sync>,
}

impl std::fmt::Debug for AggregateFunction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let distinct = if self.distinct { "DISTINCT " } else { "" };
        write!(f, "{}({distinct}…) -> {}", self.name, self.return_type)
    }
}

/// The window-only functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WindowFunctionKind {
    /// `row_number()`.
    RowNumber,
    /// `rank()`.
    Rank,
    /// `dense_rank()`.
    DenseRank,
    /// `percent_rank()`.
    PercentRank,
    /// `cume_dist()`.
    CumeDist,
    /// `ntile(n)`.
    Ntile,
    /// `lag(x [, offset [, default]])`.
    Lag,
    /// `lead(x [, offset [, default]])`.
    Lead,
    /// `first_value(x)`.
    FirstValue,
    /// `last_value(x)`.
    LastValue,
    /// `nth_value(x, n)`.
    NthValue,
}

mod aggregate;
mod bytes;
mod datetime;
mod json;
mod math;
mod md5;
mod misc;
mod registry;
mod string;
mod window;

pub use aggregate::resolve_aggregate;
pub use registry::{is_aggregate_name, resolve_scalar};
pub use window::resolve_window;
