//! [`DataType`]: the type of a SQL expression as the binder sees it.
//!
//! A column's declared type is an engine [`SqlType`] (with its limits: `VARCHAR(10)`,
//! `NUMERIC(10,2)`); an expression's type is the kind of value it produces. `Unknown` is
//! the type of a bare `NULL` literal and of a parameter whose type nothing fixes yet, as
//! PostgreSQL's `unknown`.

use std::fmt;

use covet_engine::value::{SqlType, Value};

/// The type of an expression's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataType {
    /// A NULL literal or an untyped parameter.
    Unknown,
    /// `boolean`.
    Bool,
    /// `smallint`, `integer`, `bigint`: all `i64` values.
    Int,
    /// `real`, `double precision`.
    Float,
    /// `numeric`.
    Decimal,
    /// `text`, `varchar`, `char`.
    Text,
    /// `bytea`.
    Blob,
    /// `date`.
    Date,
    /// `time`.
    Time,
    /// `timestamp`.
    Timestamp,
    /// `timestamptz`.
    TimestampTz,
    /// `interval`.
    Interval,
    /// `uuid`.
    Uuid,
    /// `json` / `jsonb`.
    Json,
}

impl DataType {
    /// The kind of values a column of type `ty` holds.
    pub fn of_sql_type(ty: &SqlType) -> DataType {
        match ty {
            SqlType::Boolean => DataType::Bool,
            SqlType::SmallInt | SqlType::Integer | SqlType::BigInt => DataType::Int,
            SqlType::Real | SqlType::Double => DataType::Float,
            SqlType::Decimal { .. } => DataType::Decimal,
            SqlType::Text | SqlType::Varchar(_) | SqlType::Char(_) => DataType::Text,
            SqlType::Blob => DataType::Blob,
            SqlType::Date => DataType::Date,
            SqlType::Time => DataType::Time,
            SqlType::Timestamp => DataType::Timestamp,
            SqlType::TimestampTz => DataType::TimestampTz,
            SqlType::Interval => DataType::Interval,
            SqlType::Uuid => DataType::Uuid,
            SqlType::Json => DataType::Json,
        }
    }

    /// The type of a value (`Unknown` for NULL).
    pub fn of_value(value: &Value) -> DataType {
        match value {
            Value::Null => DataType::Unknown,
            Value::Bool(_) => DataType::Bool,
            Value::Int(_) => DataType::Int,
            Value::Float(_) => DataType::Float,
            Value::Decimal(_) => DataType::Decimal,
            Value::Text(_) => DataType::Text,
            Value::Blob(_) => DataType::Blob,
            Value::Date(_) => DataType::Date,
            Value::Time(_) => DataType::Time,
            Value::Timestamp(_) => DataType::Timestamp,
            Value::TimestampTz(_) => DataType::TimestampTz,
            Value::Interval(_) => DataType::Interval,
            Value::Uuid(_) => DataType::Uuid,
            Value::Json(_) => DataType::Json,
        }
    }

    /// The column type a `CREATE TABLE AS` or a view gives a column of this type.
    pub fn default_sql_type(&self) -> SqlType {
        match self {
            DataType::Unknown | DataType::Text => SqlType::Text,
            DataType::Bool => SqlType::Boolean,
            DataType::Int => SqlType::BigInt,
            DataType::Float => SqlType::Double,
            DataType::Decimal => SqlType::Decimal {
                precision: None,
                scale: None,
            },
            DataType::Blob => SqlType::Blob,
            DataType::Date => SqlType::Date,
            DataType::Time => SqlType::Time,
            DataType::Timestamp => SqlType::Timestamp,
            DataType::TimestampTz => SqlType::TimestampTz,
            DataType::Interval => SqlType::Interval,
            DataType::Uuid => SqlType::Uuid,
            DataType::Json => SqlType::Json,
        }
    }

    /// Whether values of this type are numbers.
    pub fn is_numeric(&self) -> bool {
        matches!(self, DataType::Int | DataType::Float | DataType::Decimal)
    }

    /// PostgreSQL's name of the type, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            DataType::Unknown => "unknown",
            DataType::Bool => "boolean",
            DataType::Int => "bigint",
            DataType::Float => "double precision",
            DataType::Decimal => "numeric",
            DataType::Text => "text",
            DataType::Blob => "bytea",
            DataType::Date => "date",
            DataType::Time => "time without time zone",
            DataType::Timestamp => "timestamp without time zone",
            DataType::TimestampTz => "timestamp with time zone",
            DataType::Interval => "interval",
            DataType::Uuid => "uuid",
            DataType::Json => "json",
        }
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
