//! Transaction control: BEGIN / START TRANSACTION, COMMIT / END, ROLLBACK, SAVEPOINT,
//! RELEASE [SAVEPOINT], ROLLBACK TO [SAVEPOINT] and SET TRANSACTION. The state machine
//! is in `txn.rs`; this file maps statements onto it and gives PostgreSQL's tags.

use sqlparser::ast::{
    Set, Statement, TransactionAccessMode, TransactionIsolationLevel, TransactionMode,
};

use super::{done, names};
use crate::error::{QueryError, Result};
use crate::session::{Outcome, Session};
use crate::txn::IsolationLevel;

/// The level and access mode a list of transaction modes asks for.
fn modes(list: &[TransactionMode]) -> Result<(Option<IsolationLevel>, Option<bool>)> {
    let mut level = None;
    let mut read_only = None;
    for m in list {
        match m {
            TransactionMode::IsolationLevel(l) => {
                level = Some(match l {
                    // As in PostgreSQL, READ UNCOMMITTED is READ COMMITTED.
                    TransactionIsolationLevel::ReadUncommitted
                    | TransactionIsolationLevel::ReadCommitted => IsolationLevel::ReadCommitted,
                    TransactionIsolationLevel::RepeatableRead => IsolationLevel::RepeatableRead,
                    TransactionIsolationLevel::Serializable => IsolationLevel::Serializable,
                    TransactionIsolationLevel::Snapshot => {
                        return Err(QueryError::unsupported("isolation level SNAPSHOT"))
                    }
                })
            }
            TransactionMode::AccessMode(TransactionAccessMode::ReadOnly) => read_only = Some(true),
            TransactionMode::AccessMode(TransactionAccessMode::ReadWrite) => {
                read_only = Some(false)
            }
        }
    }
    Ok((level, read_only))
}

/// Runs a transaction-control statement.
pub(super) fn run(session: &mut Session, stmt: &Statement) -> Result<Outcome> {
    match stmt {
        Statement::StartTransaction {
            modes: list,
            begin,
            statements,
            exception,
            ..
        } => {
            if !statements.is_empty() || exception.is_some() {
                return Err(QueryError::unsupported("BEGIN … END blocks of statements"));
            }
            session.txn.check_not_failed()?;
            let (level, read_only) = modes(list)?;
            if !session.txn.in_block() {
                let level = level.unwrap_or(session.settings.default_isolation);
                session.txn.begin(level, read_only.unwrap_or(false));
            }
            Ok(done(
                if *begin { "BEGIN" } else { "START TRANSACTION" },
                None,
            ))
        }
        Statement::Set(Set::SetTransaction {
            modes: list,
            snapshot,
            session: session_scope,
        }) => {
            if snapshot.is_some() {
                return Err(QueryError::unsupported("SET TRANSACTION SNAPSHOT"));
            }
            session.txn.check_not_failed()?;
            let (level, read_only) = modes(list)?;
            if *session_scope {
                if let Some(level) = level {
                    session.settings.default_isolation = level;
                }
            } else {
                session.txn.set_characteristics(level, read_only)?;
            }
            Ok(done("SET", None))
        }
        Statement::Commit { chain, .. } => {
            if *chain {
                return Err(QueryError::unsupported("COMMIT AND CHAIN"));
            }
            let committed = session.txn.commit()?;
            Ok(done(if committed { "COMMIT" } else { "ROLLBACK" }, None))
        }
        Statement::Rollback { chain, savepoint } => {
            if *chain {
                return Err(QueryError::unsupported("ROLLBACK AND CHAIN"));
            }
            match savepoint {
                None => session.txn.rollback(),
                Some(name) => {
                    let result = session.txn.rollback_to(&names::ident(name));
                    if result.is_err() {
                        session.txn.mark_failed();
                    }
                    result?
                }
            }
            Ok(done("ROLLBACK", None))
        }
        Statement::Savepoint { name } => {
            session.txn.check_not_failed()?;
            session.txn.savepoint(&names::ident(name))?;
            Ok(done("SAVEPOINT", None))
        }
        Statement::ReleaseSavepoint { name } => {
            session.txn.check_not_failed()?;
            let result = session.txn.release(&names::ident(name));
            if result.is_err() {
                session.txn.mark_failed();
            }
            result?;
            Ok(done("RELEASE", None))
        }
        other => Err(QueryError::internal(format!(
            "not a transaction control statement: {other}"
        ))),
    }
}
