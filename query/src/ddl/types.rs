//! Column types as written in CREATE TABLE / ALTER TABLE → the engine's [`SqlType`].
//!
//! PostgreSQL's names and the SQLite spellings the corpus uses (`VARCHAR` without a
//! length, `INT8`, `DOUBLE`, `BLOB`, `DATETIME`, …). `SERIAL`/`BIGSERIAL` are not types
//! but identity columns: [`column_type`] reports them so the caller can add the identity.

use covet_engine::value::SqlType;
use sqlparser::ast::{CharacterLength, DataType as AstType, ExactNumberInfo, TimezoneInfo};

use crate::error::{QueryError, Result, SqlState};

/// A column's type, and whether it was written as `SERIAL`/`BIGSERIAL`/`SMALLSERIAL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnType {
    /// The stored type.
    pub ty: SqlType,
    /// `serial` and friends: an identity column.
    pub serial: bool,
}

fn plain(ty: SqlType) -> Result<ColumnType> {
    Ok(ColumnType { ty, serial: false })
}

/// The engine type of a declared column type.
pub fn column_type(ty: &AstType) -> Result<ColumnType> {
    use AstType as T;
    match ty {
        T::Bool | T::Boolean => plain(SqlType::Boolean),
        T::SmallInt(_) | T::Int2(_) | T::TinyInt(_) => plain(SqlType::SmallInt),
        T::Int(_) | T::Integer(_) | T::Int4(_) | T::MediumInt(_) => plain(SqlType::Integer),
        T::BigInt(_) | T::Int8(_) | T::Int64 => plain(SqlType::BigInt),
        T::Real | T::Float4 => plain(SqlType::Real),
        T::Float(info) => match info {
            // PostgreSQL: float(1..24) is real, float(25..53) and bare float double.
            ExactNumberInfo::Precision(p) if *p <= 24 => plain(SqlType::Real),
            _ => plain(SqlType::Double),
        },
        T::Float8 | T::Double(_) | T::DoublePrecision | T::Float64 => plain(SqlType::Double),
        T::Numeric(info) | T::Decimal(info) | T::Dec(info) => decimal(info),
        T::Text | T::String(None) | T::Clob(_) | T::TinyText | T::MediumText | T::LongText => {
            plain(SqlType::Text)
        }
        T::Varchar(len) | T::CharacterVarying(len) | T::CharVarying(len) | T::Nvarchar(len) => {
            match length(len)? {
                Some(n) => plain(SqlType::Varchar(n)),
                None => plain(SqlType::Text),
            }
        }
        T::Char(len) | T::Character(len) => {
            // PostgreSQL: bare CHAR is CHAR(1).
            plain(SqlType::Char(length(len)?.unwrap_or(1)))
        }
        T::Bytea | T::Blob(_) | T::TinyBlob | T::MediumBlob | T::LongBlob | T::Binary(_) => {
            plain(SqlType::Blob)
        }
        T::Varbinary(_) | T::Bytes(_) => plain(SqlType::Blob),
        T::Date => plain(SqlType::Date),
        T::Time(_, TimezoneInfo::WithTimeZone | TimezoneInfo::Tz) => {
            Err(QueryError::unsupported("type time with time zone"))
        }
        T::Time(..) => plain(SqlType::Time),
        T::Timestamp(_, TimezoneInfo::WithTimeZone | TimezoneInfo::Tz) => {
            plain(SqlType::TimestampTz)
        }
        T::Timestamp(..) | T::Datetime(_) => plain(SqlType::Timestamp),
        T::Interval { .. } => plain(SqlType::Interval),
        T::Uuid => plain(SqlType::Uuid),
        T::JSON | T::JSONB => plain(SqlType::Json),
        T::Custom(name, modifiers) => {
            let word = name.to_string().to_lowercase();
            let ty = match word.as_str() {
                "serial" | "serial4" => SqlType::Integer,
                "bigserial" | "serial8" => SqlType::BigInt,
                "smallserial" | "serial2" => SqlType::SmallInt,
                "timestamptz" if modifiers.is_empty() => return plain(SqlType::TimestampTz),
                "int" | "integer" | "mediumint" => return plain(SqlType::Integer),
                "tinyint" => return plain(SqlType::SmallInt),
                "double" => return plain(SqlType::Double),
                "string" | "varchar2" | "nvarchar" | "clob" => return plain(SqlType::Text),
                "datetime" => return plain(SqlType::Timestamp),
                _ => return Err(unknown_type(&name.to_string())),
            };
            Ok(ColumnType { ty, serial: true })
        }
        other => Err(unknown_type(&other.to_string())),
    }
}

fn unknown_type(name: &str) -> QueryError {
    QueryError::new(
        SqlState::UNDEFINED_OBJECT,
        format!("type \"{}\" does not exist", name.to_lowercase()),
    )
}

fn length(len: &Option<CharacterLength>) -> Result<Option<u32>> {
    match len {
        None | Some(CharacterLength::Max) => Ok(None),
        Some(CharacterLength::IntegerLength { length, .. }) => {
            match u32::try_from(*length)
                .ok()
                .filter(|n| (1..=10_485_760).contains(n))
            {
                Some(n) => Ok(Some(n)),
                None => Err(QueryError::new(
                    SqlState::INVALID_PARAMETER_VALUE,
                    format!(
                        "length for type varchar must be between 1 and 10485760 (got {length})"
                    ),
                )),
            }
        }
    }
}

fn decimal(info: &ExactNumberInfo) -> Result<ColumnType> {
    let bad = |what: String| QueryError::new(SqlState::INVALID_PARAMETER_VALUE, what);
    let (precision, scale) = match *info {
        ExactNumberInfo::None => (None, None),
        ExactNumberInfo::Precision(p) => (Some(p), Some(0)),
        ExactNumberInfo::PrecisionAndScale(p, s) => {
            if s < 0 || s as u64 > p {
                return Err(bad(format!(
                    "NUMERIC scale {s} must be between 0 and precision {p}"
                )));
            }
            (Some(p), Some(s as u64))
        }
    };
    if let Some(p) = precision {
        let max = u64::from(covet_engine::value::MAX_PRECISION);
        if !(1..=max).contains(&p) {
            return Err(bad(format!(
                "NUMERIC precision {p} must be between 1 and {max}"
            )));
        }
    }
    plain(SqlType::Decimal {
        precision: precision.map(|p| p as u32),
        scale: scale.map(|s| s as u32),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::parser::Parser;

    /// The type of `x` in `CREATE TABLE t(x <ty>)`.
    fn of(ty: &str) -> Result<ColumnType> {
        let sql = format!("CREATE TABLE t(x {ty})");
        let stmt = Parser::parse_sql(&PostgreSqlDialect {}, &sql)
            .unwrap()
            .remove(0);
        let sqlparser::ast::Statement::CreateTable(ct) = stmt else {
            panic!("not a CREATE TABLE: {sql}")
        };
        column_type(&ct.columns[0].data_type)
    }

    #[test]
    fn postgres_and_sqlite_spellings() {
        let cases = [
            ("INTEGER", SqlType::Integer),
            ("int", SqlType::Integer),
            ("INT4", SqlType::Integer),
            ("smallint", SqlType::SmallInt),
            ("BIGINT", SqlType::BigInt),
            ("int8", SqlType::BigInt),
            ("REAL", SqlType::Real),
            ("FLOAT4", SqlType::Real),
            ("FLOAT", SqlType::Double),
            ("DOUBLE PRECISION", SqlType::Double),
            ("FLOAT8", SqlType::Double),
            ("TEXT", SqlType::Text),
            ("VARCHAR", SqlType::Text),
            ("VARCHAR(30)", SqlType::Varchar(30)),
            ("CHARACTER VARYING(5)", SqlType::Varchar(5)),
            ("CHAR(3)", SqlType::Char(3)),
            ("CHAR", SqlType::Char(1)),
            ("BYTEA", SqlType::Blob),
            ("BLOB", SqlType::Blob),
            ("BOOLEAN", SqlType::Boolean),
            ("DATE", SqlType::Date),
            ("TIME", SqlType::Time),
            ("TIMESTAMP", SqlType::Timestamp),
            ("TIMESTAMPTZ", SqlType::TimestampTz),
            ("TIMESTAMP WITH TIME ZONE", SqlType::TimestampTz),
            ("INTERVAL", SqlType::Interval),
            ("UUID", SqlType::Uuid),
            ("JSON", SqlType::Json),
            ("JSONB", SqlType::Json),
        ];
        for (name, ty) in cases {
            assert_eq!(
                of(name).unwrap(),
                ColumnType { ty, serial: false },
                "{name}"
            );
        }
        assert_eq!(
            of("NUMERIC(10,2)").unwrap().ty,
            SqlType::Decimal {
                precision: Some(10),
                scale: Some(2)
            }
        );
        assert_eq!(
            of("DECIMAL").unwrap().ty,
            SqlType::Decimal {
                precision: None,
                scale: None
            }
        );
    }

    #[test]
    fn serials_and_unknown_types() {
        assert_eq!(
            of("SERIAL").unwrap(),
            ColumnType {
                ty: SqlType::Integer,
                serial: true
            }
        );
        assert_eq!(
            of("bigserial").unwrap(),
            ColumnType {
                ty: SqlType::BigInt,
                serial: true
            }
        );
        let e = of("frobnicator").unwrap_err();
        assert_eq!(e.code, SqlState::UNDEFINED_OBJECT);
        assert_eq!(e.message, "type \"frobnicator\" does not exist");
        assert_eq!(
            of("NUMERIC(2,5)").unwrap_err().code,
            SqlState::INVALID_PARAMETER_VALUE
        );
    }
}
