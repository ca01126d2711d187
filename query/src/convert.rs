//! Engine errors ([`covet_engine::Error`], [`TableError`]) as [`QueryError`]s: the
//! SQLSTATE PostgreSQL gives the same failure, and a message in PostgreSQL's words
//! that names the object (index, column, table).

use covet_engine::table::{SchemaError, TableError};
use covet_engine::value::TypeCheckError;
use covet_engine::Error;

use crate::error::{QueryError, SqlState};

/// `42622`: a name longer than the identifier limit.
const NAME_TOO_LONG: SqlState = SqlState(*b"42622");
/// `54011`: more columns than a table may have.
const TOO_MANY_COLUMNS: SqlState = SqlState(*b"54011");
/// `2BP01`: an object others depend on (a table a foreign key references).
pub const DEPENDENT_OBJECTS_STILL_EXIST: SqlState = SqlState(*b"2BP01");
/// `2200H`: a sequence passed its bound.
const SEQUENCE_GENERATOR_LIMIT_EXCEEDED: SqlState = SqlState(*b"2200H");

impl From<Error> for QueryError {
    fn from(e: Error) -> QueryError {
        engine_error(e)
    }
}

impl From<TableError> for QueryError {
    fn from(e: TableError) -> QueryError {
        table_error(e)
    }
}

/// The query error for an engine error.
pub fn engine_error(e: Error) -> QueryError {
    let message = e.to_string();
    let code = match e {
        Error::Table(t) => return table_error(t),
        Error::Io { .. } | Error::NeedsRecovery => SqlState::IO_ERROR,
        Error::NotADatabase { .. } | Error::Corrupt { .. } => SqlState::DATA_CORRUPTED,
        Error::Locked | Error::Busy { .. } => SqlState::LOCK_NOT_AVAILABLE,
        Error::KeyTooLarge { .. } | Error::ValueTooLarge { .. } => SqlState::PROGRAM_LIMIT_EXCEEDED,
        Error::TreeExists { .. } => SqlState::DUPLICATE_TABLE,
        Error::NoSuchSavepoint(_) => SqlState::INVALID_SAVEPOINT_SPECIFICATION,
        Error::InvalidOption(_) => SqlState::INVALID_PARAMETER_VALUE,
        Error::TransactionFailed => SqlState::IN_FAILED_SQL_TRANSACTION,
        Error::FeatureNotSupported(_) => SqlState::FEATURE_NOT_SUPPORTED,
        // The SQL layer opens trees only through the table layer, by names it keeps:
        // these mean covet itself went wrong.
        _ => SqlState::INTERNAL_ERROR,
    };
    QueryError::new(code, message)
}

/// The query error for a table-layer error.
pub fn table_error(e: TableError) -> QueryError {
    match e {
        TableError::Schema(s) => schema_error(s),
        TableError::TableExists { table } => QueryError::new(
            SqlState::DUPLICATE_TABLE,
            format!("relation \"{table}\" already exists"),
        ),
        TableError::IndexExists { index } => QueryError::new(
            SqlState::DUPLICATE_TABLE,
            format!("relation \"{index}\" already exists"),
        ),
        TableError::TableNotFound { table } => QueryError::new(
            SqlState::UNDEFINED_TABLE,
            format!("relation \"{table}\" does not exist"),
        ),
        TableError::IndexNotFound { index } => QueryError::new(
            SqlState::UNDEFINED_OBJECT,
            format!("index \"{index}\" does not exist"),
        ),
        TableError::DuplicateKey { table } => QueryError::new(
            SqlState::UNIQUE_VIOLATION,
            format!("duplicate key value violates unique constraint \"{table}_pkey\""),
        ),
        TableError::UniqueViolation { index, .. } => QueryError::new(
            SqlState::UNIQUE_VIOLATION,
            format!("duplicate key value violates unique constraint \"{index}\""),
        ),
        TableError::NotNull { table, column } => QueryError::new(
            SqlState::NOT_NULL_VIOLATION,
            format!(
                "null value in column \"{column}\" of relation \"{table}\" violates not-null constraint"
            ),
        ),
        TableError::TypeMismatch { column, source, .. } => type_check_error(&column, &source),
        TableError::ColumnNotFound { table, column } => QueryError::new(
            SqlState::UNDEFINED_COLUMN,
            format!("column \"{column}\" of relation \"{table}\" does not exist"),
        ),
        TableError::ColumnExists { table, column } => QueryError::new(
            SqlState::DUPLICATE_COLUMN,
            format!("column \"{column}\" of relation \"{table}\" already exists"),
        ),
        TableError::ColumnInUse { table, column, by } => QueryError::new(
            DEPENDENT_OBJECTS_STILL_EXIST,
            format!("cannot drop column {column} of table {table} because {by} depends on it"),
        ),
        TableError::ObjectInUse { object, by } => QueryError::new(
            DEPENDENT_OBJECTS_STILL_EXIST,
            format!("cannot drop {object} because {by} depends on it"),
        )
        .with_hint("Drop the dependent object first (DROP … CASCADE is not supported)."),
        TableError::SlotsExhausted { table } => QueryError::new(
            TOO_MANY_COLUMNS,
            format!("table \"{table}\" has used up its column slots; recreate it to add columns"),
        ),
        TableError::ViewExists { view } => QueryError::new(
            SqlState::DUPLICATE_TABLE,
            format!("relation \"{view}\" already exists"),
        ),
        TableError::ViewNotFound { view } => QueryError::new(
            SqlState::UNDEFINED_TABLE,
            format!("view \"{view}\" does not exist"),
        ),
        TableError::SequenceExists { sequence } => QueryError::new(
            SqlState::DUPLICATE_TABLE,
            format!("relation \"{sequence}\" already exists"),
        ),
        TableError::SequenceNotFound { sequence } => QueryError::new(
            SqlState::UNDEFINED_TABLE,
            format!("sequence \"{sequence}\" does not exist"),
        ),
        TableError::SequenceExhausted {
            sequence,
            bound,
            value,
        } => QueryError::new(
            SEQUENCE_GENERATOR_LIMIT_EXCEEDED,
            format!("nextval: reached {bound} value of sequence \"{sequence}\" ({value})"),
        ),
        TableError::ConstraintExists { table, constraint } => QueryError::new(
            SqlState::DUPLICATE_OBJECT,
            format!("constraint \"{constraint}\" for relation \"{table}\" already exists"),
        ),
        TableError::ConstraintNotFound { table, constraint } => QueryError::new(
            SqlState::UNDEFINED_OBJECT,
            format!("constraint \"{constraint}\" of relation \"{table}\" does not exist"),
        ),
        e @ TableError::InvalidDefinition { .. } => {
            QueryError::new(SqlState::INVALID_TABLE_DEFINITION, e.to_string())
        }
        TableError::RowidExhausted { table } => QueryError::new(
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
            format!("table \"{table}\" has used up its row ids"),
        ),
        e @ (TableError::CatalogCorrupt { .. }
        | TableError::RowCorrupt { .. }
        | TableError::RowShape { .. }
        | TableError::KeyCorrupt { .. }
        | TableError::DanglingIndexEntry { .. }
        | TableError::StatsCorrupt { .. }) => {
            QueryError::new(SqlState::DATA_CORRUPTED, e.to_string())
        }
        // ColumnCount, KeyArity: the SQL layer builds full rows and keys; a wrong
        // width is covet's bug.
        e => QueryError::internal(e.to_string()),
    }
}

/// The query error for a value that does not fit column `column`.
pub fn type_check_error(column: &str, e: &TypeCheckError) -> QueryError {
    match e {
        TypeCheckError::Mismatch { expected, found } => QueryError::new(
            SqlState::DATATYPE_MISMATCH,
            format!("column \"{column}\" is of type {expected} but expression is of type {found}"),
        ),
        TypeCheckError::OutOfRange { ty, .. } => QueryError::new(
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
            format!("{} out of range (column \"{column}\")", range_word(ty)),
        ),
        TypeCheckError::TooLong { ty, .. } => QueryError::new(
            SqlState::STRING_DATA_RIGHT_TRUNCATION,
            format!("value too long for type {ty} (column \"{column}\")"),
        ),
        other => QueryError::new(
            SqlState::DATATYPE_MISMATCH,
            format!("column \"{column}\": {other}"),
        ),
    }
}

/// PostgreSQL's words for an out-of-range value of `ty`.
fn range_word(ty: &covet_engine::value::SqlType) -> String {
    use covet_engine::value::SqlType;
    match ty {
        SqlType::SmallInt => "smallint".into(),
        SqlType::Integer => "integer".into(),
        SqlType::BigInt => "bigint".into(),
        SqlType::Decimal { .. } => "numeric field overflow: value".into(),
        other => format!("value for type {other}"),
    }
}

fn schema_error(e: SchemaError) -> QueryError {
    let message = e.to_string();
    let code = match &e {
        SchemaError::InvalidName { .. } => NAME_TOO_LONG,
        SchemaError::EmptyTable { .. } => SqlState::FEATURE_NOT_SUPPORTED,
        SchemaError::TooManyColumns { .. } => TOO_MANY_COLUMNS,
        SchemaError::DuplicateColumn { table, column } => {
            return QueryError::new(
                SqlState::DUPLICATE_COLUMN,
                format!("column \"{column}\" specified more than once (table \"{table}\")"),
            )
        }
        SchemaError::RepeatedKeyColumn { .. } => SqlState::DUPLICATE_COLUMN,
        SchemaError::BadDefault { column, source, .. } => return type_check_error(column, source),
        SchemaError::EmptyPrimaryKey { .. } | SchemaError::EmptyIndex { .. } => {
            SqlState::INVALID_TABLE_DEFINITION
        }
        _ => SqlState::INTERNAL_ERROR,
    };
    QueryError::new(code, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use covet_engine::value::SqlType;

    #[test]
    fn constraint_violations_name_their_object() {
        let e = table_error(TableError::UniqueViolation {
            index: "t_b_key".into(),
            table: "t".into(),
        });
        assert_eq!(e.code, SqlState::UNIQUE_VIOLATION);
        assert_eq!(
            e.message,
            "duplicate key value violates unique constraint \"t_b_key\""
        );
        let e = table_error(TableError::DuplicateKey { table: "t".into() });
        assert_eq!(
            (e.code, e.message.as_str()),
            (
                SqlState::UNIQUE_VIOLATION,
                "duplicate key value violates unique constraint \"t_pkey\""
            )
        );
        let e = table_error(TableError::NotNull {
            table: "t".into(),
            column: "a".into(),
        });
        assert_eq!(e.code, SqlState::NOT_NULL_VIOLATION);
        assert_eq!(
            e.message,
            "null value in column \"a\" of relation \"t\" violates not-null constraint"
        );
    }

    #[test]
    fn type_errors_by_kind() {
        let mismatch = TypeCheckError::Mismatch {
            expected: SqlType::Integer,
            found: "text",
        };
        assert_eq!(
            type_check_error("a", &mismatch).code,
            SqlState::DATATYPE_MISMATCH
        );
        let range = TypeCheckError::OutOfRange {
            ty: SqlType::SmallInt,
            value: "70000".into(),
        };
        let e = type_check_error("a", &range);
        assert_eq!(
            (e.code, e.message.as_str()),
            (
                SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
                "smallint out of range (column \"a\")"
            )
        );
        let long = TypeCheckError::TooLong {
            ty: SqlType::Varchar(3),
            len: 5,
        };
        assert_eq!(
            type_check_error("b", &long).code,
            SqlState::STRING_DATA_RIGHT_TRUNCATION
        );
    }

    #[test]
    fn engine_conditions() {
        let cases = [
            (Error::Busy { waited_ms: 5 }, SqlState::LOCK_NOT_AVAILABLE),
            (
                Error::Corrupt {
                    page: 3,
                    reason: "checksum".into(),
                },
                SqlState::DATA_CORRUPTED,
            ),
            (
                Error::KeyTooLarge {
                    len: 5000,
                    max: 1000,
                },
                SqlState::PROGRAM_LIMIT_EXCEEDED,
            ),
            (
                Error::TransactionFailed,
                SqlState::IN_FAILED_SQL_TRANSACTION,
            ),
            (
                Error::Table(TableError::TableNotFound { table: "x".into() }),
                SqlState::UNDEFINED_TABLE,
            ),
            (
                Error::Table(TableError::IndexNotFound { index: "i".into() }),
                SqlState::UNDEFINED_OBJECT,
            ),
        ];
        for (e, code) in cases {
            let text = e.to_string();
            assert_eq!(QueryError::from(e).code, code, "{text}");
        }
        let e = QueryError::from(Error::Table(TableError::TableNotFound {
            table: "x".into(),
        }));
        assert_eq!(e.message, "relation \"x\" does not exist");
    }
}
