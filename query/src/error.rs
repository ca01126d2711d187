//! [`QueryError`]: every error of the SQL layer, with its SQLSTATE.
//!
//! The codes are PostgreSQL's (Appendix A of its manual), so that a client of the
//! PostgreSQL wire protocol, and a user who knows PostgreSQL, sees what they expect.
//! A message names the offending object (table, column, function, index, constraint).

use std::fmt;

/// A five-character SQLSTATE code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SqlState(pub [u8; 5]);

impl SqlState {
    /// The code as text, e.g. `"22003"`.
    pub fn as_str(&self) -> &str {
        // Every constant below is ASCII; a code built elsewhere from non-UTF-8 bytes
        // prints as the generic internal error.
        std::str::from_utf8(&self.0).unwrap_or("XX000")
    }

    /// `00000`: successful completion (never an error; listed for completeness).
    pub const SUCCESSFUL_COMPLETION: SqlState = SqlState(*b"00000");
    /// `0A000`: a feature covet does not support.
    pub const FEATURE_NOT_SUPPORTED: SqlState = SqlState(*b"0A000");
    /// `21000`: a scalar subquery returned more than one row.
    pub const CARDINALITY_VIOLATION: SqlState = SqlState(*b"21000");
    /// `22000`: data exception (generic).
    pub const DATA_EXCEPTION: SqlState = SqlState(*b"22000");
    /// `22001`: a string is too long for its column.
    pub const STRING_DATA_RIGHT_TRUNCATION: SqlState = SqlState(*b"22001");
    /// `22003`: a number is out of range (integer overflow, …).
    pub const NUMERIC_VALUE_OUT_OF_RANGE: SqlState = SqlState(*b"22003");
    /// `22004`: a NULL where none is allowed (outside a column constraint).
    pub const NULL_VALUE_NOT_ALLOWED: SqlState = SqlState(*b"22004");
    /// `22007`: a malformed date or time.
    pub const INVALID_DATETIME_FORMAT: SqlState = SqlState(*b"22007");
    /// `22008`: a date or time out of range.
    pub const DATETIME_FIELD_OVERFLOW: SqlState = SqlState(*b"22008");
    /// `22012`: division by zero.
    pub const DIVISION_BY_ZERO: SqlState = SqlState(*b"22012");
    /// `22023`: an argument value is not valid for a function.
    pub const INVALID_PARAMETER_VALUE: SqlState = SqlState(*b"22023");
    /// `22025`: a bad escape in a LIKE pattern.
    pub const INVALID_ESCAPE_SEQUENCE: SqlState = SqlState(*b"22025");
    /// `2201E`: an invalid argument for a logarithm.
    pub const INVALID_ARGUMENT_FOR_LOG: SqlState = SqlState(*b"2201E");
    /// `2201F`: an invalid argument for a power function.
    pub const INVALID_ARGUMENT_FOR_POWER: SqlState = SqlState(*b"2201F");
    /// `2201W`: an invalid LIMIT value.
    pub const INVALID_ROW_COUNT_IN_LIMIT: SqlState = SqlState(*b"2201W");
    /// `2201X`: an invalid OFFSET value.
    pub const INVALID_ROW_COUNT_IN_OFFSET: SqlState = SqlState(*b"2201X");
    /// `22P02`: text that is not a valid value of the target type.
    pub const INVALID_TEXT_REPRESENTATION: SqlState = SqlState(*b"22P02");
    /// `22P05`: a character that cannot be represented.
    pub const UNTRANSLATABLE_CHARACTER: SqlState = SqlState(*b"22P05");
    /// `23000`: integrity constraint violation (generic).
    pub const INTEGRITY_CONSTRAINT_VIOLATION: SqlState = SqlState(*b"23000");
    /// `23001`: a RESTRICT foreign key action refused a change.
    pub const RESTRICT_VIOLATION: SqlState = SqlState(*b"23001");
    /// `23502`: a NULL in a NOT NULL column.
    pub const NOT_NULL_VIOLATION: SqlState = SqlState(*b"23502");
    /// `23503`: a foreign key violation.
    pub const FOREIGN_KEY_VIOLATION: SqlState = SqlState(*b"23503");
    /// `23505`: a unique or primary key violation.
    pub const UNIQUE_VIOLATION: SqlState = SqlState(*b"23505");
    /// `23514`: a CHECK constraint violation.
    pub const CHECK_VIOLATION: SqlState = SqlState(*b"23514");
    /// `25000`: invalid transaction state (generic).
    pub const INVALID_TRANSACTION_STATE: SqlState = SqlState(*b"25000");
    /// `25001`: a statement that cannot run inside a transaction block.
    pub const ACTIVE_SQL_TRANSACTION: SqlState = SqlState(*b"25001");
    /// `25006`: a write in a read-only transaction.
    pub const READ_ONLY_SQL_TRANSACTION: SqlState = SqlState(*b"25006");
    /// `25P01`: no transaction is in progress.
    pub const NO_ACTIVE_SQL_TRANSACTION: SqlState = SqlState(*b"25P01");
    /// `25P02`: the transaction failed; commands are ignored until it ends.
    pub const IN_FAILED_SQL_TRANSACTION: SqlState = SqlState(*b"25P02");
    /// `26000`: an unknown prepared statement.
    pub const INVALID_SQL_STATEMENT_NAME: SqlState = SqlState(*b"26000");
    /// `3B001`: an unknown savepoint.
    pub const INVALID_SAVEPOINT_SPECIFICATION: SqlState = SqlState(*b"3B001");
    /// `40001`: a serialization failure; retry the transaction.
    pub const SERIALIZATION_FAILURE: SqlState = SqlState(*b"40001");
    /// `42601`: a syntax error.
    pub const SYNTAX_ERROR: SqlState = SqlState(*b"42601");
    /// `42501`: insufficient privilege.
    pub const INSUFFICIENT_PRIVILEGE: SqlState = SqlState(*b"42501");
    /// `42703`: an unknown column.
    pub const UNDEFINED_COLUMN: SqlState = SqlState(*b"42703");
    /// `42702`: an ambiguous column reference.
    pub const AMBIGUOUS_COLUMN: SqlState = SqlState(*b"42702");
    /// `42704`: an unknown object (index, type, …).
    pub const UNDEFINED_OBJECT: SqlState = SqlState(*b"42704");
    /// `42710`: an object (index, constraint) that already exists.
    pub const DUPLICATE_OBJECT: SqlState = SqlState(*b"42710");
    /// `42712`: a table alias used twice in one FROM.
    pub const DUPLICATE_ALIAS: SqlState = SqlState(*b"42712");
    /// `42701`: a column named twice.
    pub const DUPLICATE_COLUMN: SqlState = SqlState(*b"42701");
    /// `42P01`: an unknown table or view.
    pub const UNDEFINED_TABLE: SqlState = SqlState(*b"42P01");
    /// `42P02`: an unknown parameter (`$n`).
    pub const UNDEFINED_PARAMETER: SqlState = SqlState(*b"42P02");
    /// `42P07`: a table, view or index name that is taken.
    pub const DUPLICATE_TABLE: SqlState = SqlState(*b"42P07");
    /// `42P10`: an invalid column reference (ORDER BY position, …).
    pub const INVALID_COLUMN_REFERENCE: SqlState = SqlState(*b"42P10");
    /// `42P16`: an invalid table definition.
    pub const INVALID_TABLE_DEFINITION: SqlState = SqlState(*b"42P16");
    /// `42P18`: a parameter whose type cannot be determined.
    pub const INDETERMINATE_DATATYPE: SqlState = SqlState(*b"42P18");
    /// `42P19`: an invalid recursive query.
    pub const INVALID_RECURSION: SqlState = SqlState(*b"42P19");
    /// `42P20`: a window function misuse.
    pub const WINDOWING_ERROR: SqlState = SqlState(*b"42P20");
    /// `42803`: an aggregate or GROUP BY misuse.
    pub const GROUPING_ERROR: SqlState = SqlState(*b"42803");
    /// `42804`: a type mismatch (e.g. a non-boolean WHERE).
    pub const DATATYPE_MISMATCH: SqlState = SqlState(*b"42804");
    /// `42809`: the wrong kind of object (a view where a table is needed, …).
    pub const WRONG_OBJECT_TYPE: SqlState = SqlState(*b"42809");
    /// `42830`: an invalid foreign key.
    pub const INVALID_FOREIGN_KEY: SqlState = SqlState(*b"42830");
    /// `42846`: a cast between types that cannot be cast.
    pub const CANNOT_COERCE: SqlState = SqlState(*b"42846");
    /// `42883`: an unknown function or operator for these argument types.
    pub const UNDEFINED_FUNCTION: SqlState = SqlState(*b"42883");
    /// `42725`: an ambiguous function call.
    pub const AMBIGUOUS_FUNCTION: SqlState = SqlState(*b"42725");
    /// `42939`: a reserved name.
    pub const RESERVED_NAME: SqlState = SqlState(*b"42939");
    /// `53200`: out of memory (a work-memory bound that cannot spill).
    pub const OUT_OF_MEMORY: SqlState = SqlState(*b"53200");
    /// `54000`: a program limit (too many columns, nesting too deep, key too large).
    pub const PROGRAM_LIMIT_EXCEEDED: SqlState = SqlState(*b"54000");
    /// `54001`: a statement too complex (nesting too deep).
    pub const STATEMENT_TOO_COMPLEX: SqlState = SqlState(*b"54001");
    /// `55P03`: a lock not available (the writer lock timed out: `Busy`).
    pub const LOCK_NOT_AVAILABLE: SqlState = SqlState(*b"55P03");
    /// `57014`: the query was cancelled.
    pub const QUERY_CANCELED: SqlState = SqlState(*b"57014");
    /// `58030`: an I/O error.
    pub const IO_ERROR: SqlState = SqlState(*b"58030");
    /// `XX001`: a damaged page or file.
    pub const DATA_CORRUPTED: SqlState = SqlState(*b"XX001");
    /// `XX000`: an internal error (a bug in covet).
    pub const INTERNAL_ERROR: SqlState = SqlState(*b"XX000");
}

impl fmt::Display for SqlState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error of the SQL layer: a SQLSTATE and a message naming the offending object.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryError {
    /// The SQLSTATE code.
    pub code: SqlState,
    /// What went wrong, naming the object (`column "x" does not exist`).
    pub message: String,
    /// A hint for the user, when one helps.
    pub hint: Option<String>,
    /// Byte offset in the SQL text where the error was found, when known.
    pub position: Option<usize>,
}

impl QueryError {
    /// An error with this code and message.
    pub fn new(code: SqlState, message: impl Into<String>) -> QueryError {
        QueryError {
            code,
            message: message.into(),
            hint: None,
            position: None,
        }
    }

    /// The same error with a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> QueryError {
        self.hint = Some(hint.into());
        self
    }

    /// `0A000`: a feature covet does not support, named.
    pub fn unsupported(feature: impl fmt::Display) -> QueryError {
        QueryError::new(
            SqlState::FEATURE_NOT_SUPPORTED,
            format!("feature not supported: {feature}"),
        )
    }

    /// `42601`: a syntax error.
    pub fn syntax(message: impl Into<String>) -> QueryError {
        QueryError::new(SqlState::SYNTAX_ERROR, message)
    }

    /// `XX000`: a broken invariant of covet itself.
    pub fn internal(message: impl Into<String>) -> QueryError {
        QueryError::new(SqlState::INTERNAL_ERROR, message)
    }

    /// `XX000` for a panic caught at the session's boundary (a bug in covet), with the
    /// panic's message when it has one.
    pub fn from_panic(payload: &(dyn std::any::Any + Send)) -> QueryError {
        let what = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("no message");
        QueryError::internal(format!("internal error: the statement panicked: {what}"))
    }
}

/// Runs `f`, turning a panic into [`QueryError::from_panic`]. The caller must then put
/// back in order what `f` may have left half done (the statement's transaction); the
/// SQL layer's shared state is safe to use after a panic (its locks are taken over
/// when poisoned and its caches only ever hold complete entries).
pub(crate) fn catch_panic<R>(f: impl FnOnce() -> Result<R>) -> Result<R> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|payload| Err(QueryError::from_panic(payload.as_ref())))
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " (hint: {hint})")?;
        }
        Ok(())
    }
}

impl std::error::Error for QueryError {}

/// The result type of the SQL layer.
pub type Result<T, E = QueryError> = std::result::Result<T, E>;
