//! [`Error`]: everything the facade's calls can fail with, and the SQLSTATE of each.
//!
//! SQL errors keep their [`QueryError`] (code, message, hint); storage errors from
//! opening a file, checking or backing it up keep the engine's [`covet_engine::Error`];
//! conversions between Rust and SQL values are typed here and name the column.

use covet_query::{QueryError, SqlState};

/// The result type of the facade.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong in a call to covet.
///
/// ```
/// let db = covet::Database::memory()?;
/// let conn = db.connect();
/// let err = conn.execute("SELEC 1", ()).unwrap_err();
/// assert_eq!(err.sqlstate().as_str(), "42601");
/// # Ok::<(), covet::Error>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The SQL layer refused or failed a statement.
    #[error("{0}")]
    Query(#[from] QueryError),
    /// The storage engine failed (opening, checking, backing up a file).
    #[error(transparent)]
    Engine(#[from] covet_engine::Error),
    /// A SQL value could not become the Rust type asked for (a wrong type, or NULL
    /// where the type has no NULL: ask for an `Option<T>`).
    #[error("column {column}: cannot read a {found} value as {expected}")]
    FromSql {
        /// The column, by name (or `#i` when the row has no column names).
        column: String,
        /// The Rust type asked for.
        expected: &'static str,
        /// The SQL type of the value found (`null` for NULL).
        found: &'static str,
    },
    /// A SQL value of the right kind does not fit the Rust type (300 as `u8`).
    #[error("column {column}: value {value} is out of range for {expected}")]
    OutOfRange {
        /// The column, by name.
        column: String,
        /// The Rust type asked for.
        expected: &'static str,
        /// The value, as text.
        value: String,
    },
    /// A Rust value has no SQL value (a `u64` above `i64::MAX`).
    #[error("parameter cannot be sent to SQL: {0}")]
    ToSql(String),
    /// A column index past the end of the row, or a name the result does not have.
    #[error("no column {0} in the result")]
    NoSuchColumn(String),
    /// A [`FromRow`](crate::FromRow) mapping expected another number of columns.
    #[error("the result has {found} columns, the mapping expects {expected}")]
    ColumnCount {
        /// The columns the mapping reads.
        expected: usize,
        /// The columns of the result.
        found: usize,
    },
    /// [`Connection::query_row`](crate::Connection::query_row) found no row.
    #[error("the query returned no rows")]
    NoRows,
}

impl Error {
    /// The SQLSTATE of this error: the SQL layer's own, the closest class for engine
    /// errors (55P03 busy, XX001 corrupt, 58030 I/O), 22003 for out-of-range
    /// conversions, 42804 for wrong-type conversions, 42703 for an unknown column and
    /// 02000 for no rows.
    ///
    /// ```
    /// let db = covet::Database::memory()?;
    /// let conn = db.connect();
    /// let err = conn.query_row("SELECT 1 WHERE false", (), |r| r.get::<_, i64>(0)).unwrap_err();
    /// assert_eq!(err.sqlstate().as_str(), "02000");
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn sqlstate(&self) -> SqlState {
        match self {
            Error::Query(e) => e.code,
            Error::Engine(e) => engine_sqlstate(e),
            Error::FromSql { .. } => SqlState::DATATYPE_MISMATCH,
            Error::OutOfRange { .. } | Error::ToSql(_) => SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
            Error::NoSuchColumn(_) => SqlState::UNDEFINED_COLUMN,
            Error::ColumnCount { .. } => SqlState::DATATYPE_MISMATCH,
            Error::NoRows => SqlState(*b"02000"),
        }
    }

    /// The message alone (without the SQLSTATE or a hint).
    ///
    /// ```
    /// let err = covet::Error::NoRows;
    /// assert_eq!(err.message(), "the query returned no rows");
    /// ```
    pub fn message(&self) -> String {
        match self {
            Error::Query(e) => e.message.clone(),
            other => other.to_string(),
        }
    }

    /// The SQL layer's error, when this is one.
    ///
    /// ```
    /// let db = covet::Database::memory()?;
    /// let err = db.connect().execute("SELECT * FROM nowhere", ()).unwrap_err();
    /// assert!(err.query_error().is_some());
    /// # Ok::<(), covet::Error>(())
    /// ```
    pub fn query_error(&self) -> Option<&QueryError> {
        match self {
            Error::Query(e) => Some(e),
            _ => None,
        }
    }
}

fn engine_sqlstate(e: &covet_engine::Error) -> SqlState {
    use covet_engine::Error as E;
    match e {
        E::Io { .. } => SqlState::IO_ERROR,
        E::Corrupt { .. } | E::NotADatabase { .. } => SqlState::DATA_CORRUPTED,
        E::Busy { .. } | E::Locked => SqlState::LOCK_NOT_AVAILABLE,
        E::KeyTooLarge { .. } | E::ValueTooLarge { .. } => SqlState::PROGRAM_LIMIT_EXCEEDED,
        _ => SqlState::INTERNAL_ERROR,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlstates_of_facade_errors() {
        let q = Error::from(QueryError::syntax("bad"));
        assert_eq!(q.sqlstate().as_str(), "42601");
        assert_eq!(q.message(), "bad");
        let e = Error::from(covet_engine::Error::Locked);
        assert_eq!(e.sqlstate().as_str(), "55P03");
        let c = Error::FromSql {
            column: "a".into(),
            expected: "i64",
            found: "text",
        };
        assert_eq!(c.sqlstate().as_str(), "42804");
        assert_eq!(c.to_string(), "column a: cannot read a text value as i64");
    }
}
