//! RAISE(IGNORE | ROLLBACK, msg | ABORT, msg | FAIL, msg) in a trigger body.
//!
//! The body's RAISE(…) is rewritten (`compile.rs`) to a call of the internal volatile
//! function [`RAISE_FUNCTION`]`(kind, msg)`; evaluating it fails with an error that
//! says which RAISE it was, and each layer acts on the kind it owns:
//! - IGNORE: the row site of the statement that fired the trigger (`fire.rs`) skips
//!   the rest of that row's work (remaining triggers, and for BEFORE the change);
//!   the statement goes on with its next row. The error never leaves that site.
//! - ABORT: an ordinary error: SQLSTATE P0001 (PostgreSQL's raise_exception) with the
//!   message; the statement's savepoint (or own transaction) undoes it whole.
//! - FAIL: P0001 too, but the statement's earlier changes stay: the write scope ends
//!   as a success before the error is returned (`statement/mod.rs`, [`keeps_changes`]).
//!   In a transaction block the block still fails, as after any error (PostgreSQL's
//!   rule), so FAIL differs from ABORT only outside a block.
//! - ROLLBACK: SQLSTATE 40000 (transaction_rollback); the whole transaction block
//!   is rolled back, not only the statement ([`rolls_back`]).
//!
//! Outside a trigger body the function is 0A000 (SQLite: "RAISE() may only be used
//! within a trigger-program").

use super::text::{is_word, Spanned};
use crate::error::{QueryError, Result, SqlState};
use covet_engine::value::Value;

/// The internal function a body's RAISE becomes.
pub(crate) const RAISE_FUNCTION: &str = "__covet_raise";

/// PostgreSQL's raise_exception, for ABORT and FAIL.
pub(crate) const RAISE_EXCEPTION: SqlState = SqlState(*b"P0001");
/// PostgreSQL's transaction_rollback, for ROLLBACK.
pub(crate) const TRANSACTION_ROLLBACK: SqlState = SqlState(*b"40000");

const IGNORE_MESSAGE: &str = "RAISE(IGNORE) outside a trigger's row";
const FAIL_HINT: &str = "RAISE(FAIL): the statement's earlier changes were kept.";
const ROLLBACK_HINT: &str = "RAISE(ROLLBACK): the transaction was rolled back.";

/// What a RAISE does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RaiseKind {
    Ignore,
    Rollback,
    Abort,
    Fail,
}

impl RaiseKind {
    pub fn from_word(t: &Spanned) -> Option<RaiseKind> {
        let t = Some(t);
        [
            ("ignore", RaiseKind::Ignore),
            ("rollback", RaiseKind::Rollback),
            ("abort", RaiseKind::Abort),
            ("fail", RaiseKind::Fail),
        ]
        .into_iter()
        .find(|(w, _)| is_word(t, w))
        .map(|(_, k)| k)
    }

    /// The function's first argument.
    pub fn code(self) -> i64 {
        match self {
            RaiseKind::Ignore => 0,
            RaiseKind::Rollback => 1,
            RaiseKind::Abort => 2,
            RaiseKind::Fail => 3,
        }
    }
}

/// The function's body: the error of this RAISE.
pub(crate) fn raise(args: &[Value]) -> Result<Value> {
    if super::fire::depth() == 0 {
        return Err(QueryError::unsupported("RAISE() outside a trigger body"));
    }
    let message = match args.get(1) {
        Some(Value::Text(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    };
    Err(match args.first() {
        Some(Value::Int(0)) => QueryError::internal(IGNORE_MESSAGE),
        Some(Value::Int(1)) => {
            QueryError::new(TRANSACTION_ROLLBACK, message).with_hint(ROLLBACK_HINT)
        }
        Some(Value::Int(3)) => QueryError::new(RAISE_EXCEPTION, message).with_hint(FAIL_HINT),
        _ => QueryError::new(RAISE_EXCEPTION, message),
    })
}

/// Whether `e` is a RAISE(IGNORE).
pub(crate) fn is_ignore(e: &QueryError) -> bool {
    e.code == SqlState::INTERNAL_ERROR && e.message == IGNORE_MESSAGE
}

/// Whether the statement that failed with `e` keeps its changes (RAISE(FAIL)).
pub(crate) fn keeps_changes(e: &QueryError) -> bool {
    e.code == RAISE_EXCEPTION && e.hint.as_deref() == Some(FAIL_HINT)
}

/// Whether `e` rolls back the whole transaction (RAISE(ROLLBACK)).
pub(crate) fn rolls_back(e: &QueryError) -> bool {
    e.code == TRANSACTION_ROLLBACK && e.hint.as_deref() == Some(ROLLBACK_HINT)
}
