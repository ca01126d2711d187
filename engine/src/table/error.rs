//! [`TableError`]: what the table layer refuses, and what it finds damaged.
//!
//! Every variant names the table, index or column it concerns. Refusals (a unique
//! violation, a type mismatch, a missing table, …) are detected before the operation
//! changes anything, so the transaction stays usable after them. The engine's umbrella
//! [`Error`](crate::Error) carries these as `Error::Table`.

use super::codec::CatalogDecodeError;
use super::schema::SchemaError;
use crate::stats::StatsDecodeError;
use crate::value::{KeyDecodeError, RowDecodeError, TypeCheckError};

/// What went wrong in the table layer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum TableError {
    /// A table or index definition is not valid.
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// A table (or, for a new index's name, a table) of that name exists.
    #[error("table {table:?} already exists")]
    TableExists {
        /// The name.
        table: String,
    },
    /// No table of that name exists.
    #[error("table {table:?} does not exist")]
    TableNotFound {
        /// The name asked for.
        table: String,
    },
    /// An index (or, for a new table's name, an index) of that name exists.
    #[error("index {index:?} already exists")]
    IndexExists {
        /// The name.
        index: String,
    },
    /// No index of that name exists.
    #[error("index {index:?} does not exist")]
    IndexNotFound {
        /// The name asked for.
        index: String,
    },
    /// A row with the same primary key exists.
    #[error("duplicate primary key in table {table:?}")]
    DuplicateKey {
        /// The table.
        table: String,
    },
    /// A row with the same non-NULL values in a unique index's columns exists.
    #[error("duplicate key value violates unique index {index:?} of table {table:?}")]
    UniqueViolation {
        /// The unique index.
        index: String,
        /// Its table.
        table: String,
    },
    /// NULL for a NOT NULL (or primary key) column.
    #[error("NULL in column {column:?} of table {table:?}, which is NOT NULL")]
    NotNull {
        /// The table.
        table: String,
        /// The column.
        column: String,
    },
    /// A value does not fit its column's type.
    #[error("column {column:?} of table {table:?}: {source}")]
    TypeMismatch {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// Why the value does not fit.
        #[source]
        source: TypeCheckError,
    },
    /// A row of the wrong width.
    #[error("table {table:?} has {expected} columns, the row has {found}")]
    ColumnCount {
        /// The table.
        table: String,
        /// The table's column count.
        expected: usize,
        /// The row's length.
        found: usize,
    },
    /// A primary key or key range with the wrong number of values.
    #[error("key of {object:?} takes {expected} values, {found} given")]
    KeyArity {
        /// The table or index.
        object: String,
        /// The most values its key takes.
        expected: usize,
        /// The number given.
        found: usize,
    },
    /// The implicit rowid reached `i64::MAX`.
    #[error("table {table:?} has used up its rowids")]
    RowidExhausted {
        /// The table.
        table: String,
    },
    /// A catalog record cannot be read.
    #[error("catalog record {record:?} is damaged: {source}")]
    CatalogCorrupt {
        /// The record's key, as text.
        record: String,
        /// What is wrong with it.
        #[source]
        source: CatalogDecodeError,
    },
    /// A stored row cannot be read.
    #[error("a row of table {table:?} is damaged: {source}")]
    RowCorrupt {
        /// The table.
        table: String,
        /// What is wrong with it.
        #[source]
        source: RowDecodeError,
    },
    /// A stored row has more columns than its table.
    #[error("a row of table {table:?} has {found} columns, the table {expected}")]
    RowShape {
        /// The table.
        table: String,
        /// The table's column count.
        expected: usize,
        /// The row's.
        found: usize,
    },
    /// A stored table or index key cannot be decoded.
    #[error("a key of {object:?} is damaged: {source}")]
    KeyCorrupt {
        /// The table or index.
        object: String,
        /// What is wrong with it.
        #[source]
        source: KeyDecodeError,
    },
    /// An index entry points at no row.
    #[error("index {index:?} of table {table:?} has an entry without a row")]
    DanglingIndexEntry {
        /// The index.
        index: String,
        /// Its table.
        table: String,
    },
    /// No column of that name exists in the table.
    #[error("column {column:?} of table {table:?} does not exist")]
    ColumnNotFound {
        /// The table.
        table: String,
        /// The name asked for.
        column: String,
    },
    /// A column of that name exists in the table.
    #[error("column {column:?} of table {table:?} already exists")]
    ColumnExists {
        /// The table.
        table: String,
        /// The name.
        column: String,
    },
    /// A column cannot be dropped while a key or constraint uses it.
    #[error("column {column:?} of table {table:?} is used by {by}")]
    ColumnInUse {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// What uses it: `primary key`, `index "…"` or `constraint "…" of table "…"`.
        by: String,
    },
    /// A table or index cannot be dropped while another object depends on it.
    #[error("{object} is used by {by}")]
    ObjectInUse {
        /// The object: `table "…"` or `index "…"`.
        object: String,
        /// What depends on it: `constraint "…" of table "…"`.
        by: String,
    },
    /// A table has used every column slot (dropped columns keep theirs).
    #[error("table {table:?} has used up its column slots; recreate it to add columns")]
    SlotsExhausted {
        /// The table.
        table: String,
    },
    /// A view, or (for a new table, index, view or sequence) a name a view takes.
    #[error("view {view:?} already exists")]
    ViewExists {
        /// The name.
        view: String,
    },
    /// No view of that name exists.
    #[error("view {view:?} does not exist")]
    ViewNotFound {
        /// The name asked for.
        view: String,
    },
    /// A sequence, or (for a new table, index, view or sequence) a name a sequence takes.
    #[error("sequence {sequence:?} already exists")]
    SequenceExists {
        /// The name.
        sequence: String,
    },
    /// No sequence of that name exists.
    #[error("sequence {sequence:?} does not exist")]
    SequenceNotFound {
        /// The name asked for.
        sequence: String,
    },
    /// `nextval` passed the sequence's bound and the sequence does not cycle.
    #[error("nextval: reached the {bound} value of sequence {sequence:?} ({value})")]
    SequenceExhausted {
        /// The sequence.
        sequence: String,
        /// `maximum` or `minimum`.
        bound: &'static str,
        /// The bound.
        value: i64,
    },
    /// A CHECK or FOREIGN KEY constraint of that name exists on the table.
    #[error("constraint {constraint:?} of table {table:?} already exists")]
    ConstraintExists {
        /// The table.
        table: String,
        /// The name.
        constraint: String,
    },
    /// No CHECK or FOREIGN KEY constraint of that name exists on the table.
    #[error("constraint {constraint:?} of table {table:?} does not exist")]
    ConstraintNotFound {
        /// The table.
        table: String,
        /// The name asked for.
        constraint: String,
    },
    /// A view, sequence or constraint definition is not valid.
    #[error("invalid definition of {object:?}: {reason}")]
    InvalidDefinition {
        /// The view, sequence or constraint.
        object: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Stored statistics cannot be read.
    #[error("statistics of table {table:?} are damaged: {source}")]
    StatsCorrupt {
        /// The table.
        table: String,
        /// What is wrong with them.
        #[source]
        source: StatsDecodeError,
    },
}

impl From<SchemaError> for crate::Error {
    fn from(e: SchemaError) -> crate::Error {
        crate::Error::Table(TableError::Schema(e))
    }
}
