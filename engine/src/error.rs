//! The engine's error type.
//!
//! One umbrella [`Error`] with structured variants that name what they concern (a
//! page, a tree, a file operation), so that callers can match on the kind and
//! people can read the message. Higher layers convert it at their crate edge.

use std::io;

use crate::page::PageNo;

/// What went wrong in the storage engine.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An I/O call failed.
    #[error("I/O error during {op}: {source}")]
    Io {
        /// What the engine was doing (`"read page"`, `"sync wal"`, …).
        op: &'static str,
        /// The error the file system returned.
        #[source]
        source: io::Error,
    },
    /// The file is not a covet database, or is of a format this build cannot read.
    #[error("not a covet database: {reason}")]
    NotADatabase {
        /// Why the header was rejected.
        reason: String,
    },
    /// A page failed its checksum or holds impossible content.
    #[error("database corrupt at page {page}: {reason}")]
    Corrupt {
        /// The page where the damage was found.
        page: PageNo,
        /// What is wrong with it.
        reason: String,
    },
    /// Another process (or another `Database` in this process) holds the file.
    #[error("database file is locked by another process or handle")]
    Locked,
    /// The writer lock was not free within the busy timeout.
    #[error("database is busy: the write lock was not free within {waited_ms} ms")]
    Busy {
        /// How long the caller waited.
        waited_ms: u64,
    },
    /// An earlier I/O failure during commit or checkpoint left the in-memory state
    /// unreliable; the database must be closed and reopened (recovery runs then).
    #[error("database needs to be reopened after an earlier I/O failure")]
    NeedsRecovery,
    /// A key is longer than [`MAX_KEY_LEN`](crate::MAX_KEY_LEN).
    #[error("key of {len} bytes exceeds the maximum of {max} bytes")]
    KeyTooLarge {
        /// The key's length.
        len: usize,
        /// The longest key allowed (`MAX_KEY_LEN`, at every page size).
        max: usize,
    },
    /// A value is larger than the engine stores.
    #[error("value of {len} bytes exceeds the maximum of {max} bytes")]
    ValueTooLarge {
        /// The value's length.
        len: usize,
        /// The largest value allowed.
        max: usize,
    },
    /// No tree of that name exists.
    #[error("tree {name:?} does not exist")]
    TreeNotFound {
        /// The name asked for.
        name: String,
    },
    /// The tree handle was opened before a VACUUM moved tree roots; open the tree
    /// by name again.
    #[error("tree handle is stale (the database was vacuumed since it was opened)")]
    StaleTree,
    /// A tree of that name already exists.
    #[error("tree {name:?} already exists")]
    TreeExists {
        /// The name asked for.
        name: String,
    },
    /// The savepoint handle does not name a live savepoint of this transaction.
    #[error("savepoint {0} does not exist in this transaction")]
    NoSuchSavepoint(u32),
    /// The caller's input breaks a documented rule (keys out of order, …).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// Options that cannot work (page size not a power of two, …).
    #[error("invalid option: {0}")]
    InvalidOption(String),
    /// An earlier change in this write transaction failed halfway; only a rollback
    /// (of the transaction, or to a savepoint) is possible now.
    #[error("the transaction failed earlier and must be rolled back")]
    TransactionFailed,
    /// The operation needs something this build does not have yet.
    #[error("feature not supported: {0}")]
    FeatureNotSupported(&'static str),
    /// The table layer refused an operation (unique violation, missing table, …) or
    /// found a damaged row or catalog record.
    #[error(transparent)]
    Table(#[from] crate::table::TableError),
}

/// The engine's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Wraps an I/O error with what the engine was doing.
    pub(crate) fn io(op: &'static str) -> impl FnOnce(io::Error) -> Error {
        move |source| Error::Io { op, source }
    }

    /// Whether a change that returned this error may have been left half done
    /// (so the transaction must not commit). Checks made before any page changes
    /// return the other kinds.
    pub(crate) fn may_leave_partial_change(&self) -> bool {
        matches!(
            self,
            Error::Io { .. }
                | Error::Corrupt { .. }
                | Error::NeedsRecovery
                | Error::FeatureNotSupported(_)
        )
    }

    /// A corruption error at `page`.
    pub(crate) fn corrupt(page: PageNo, reason: impl Into<String>) -> Error {
        Error::Corrupt {
            page,
            reason: reason.into(),
        }
    }
}
