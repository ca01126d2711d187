//! The column type a `sqlparser` data type names (`CAST(x AS t)`, column definitions):
//! PostgreSQL's names and the SQLite/MySQL spellings covet accepts. A type covet does
//! not have is 0A000 naming it.

use covet_engine::value::SqlType;
use sqlparser::ast::{self, CharacterLength, ExactNumberInfo, TimezoneInfo};

use crate::error::{QueryError, Result};

fn char_len(len: &Option<CharacterLength>, default: Option<u32>) -> Result<Option<u32>> {
    match len {
        None => Ok(default),
        Some(CharacterLength::IntegerLength { length, .. }) => u32::try_from(*length)
            .map(Some)
            .map_err(|_| QueryError::syntax(format!("length {length} is too large"))),
        Some(CharacterLength::Max) => Ok(None),
    }
}

fn numeric(info: &ExactNumberInfo) -> Result<SqlType> {
    let bad = |m: String| QueryError::new(crate::error::SqlState::INVALID_PARAMETER_VALUE, m);
    let check_p = |p: u64| {
        if p == 0 || p > u64::from(covet_engine::value::MAX_PRECISION) {
            Err(bad(format!(
                "NUMERIC precision {p} must be between 1 and 38"
            )))
        } else {
            Ok(p as u32)
        }
    };
    Ok(match info {
        ExactNumberInfo::None => SqlType::Decimal {
            precision: None,
            scale: None,
        },
        ExactNumberInfo::Precision(p) => SqlType::Decimal {
            precision: Some(check_p(*p)?),
            scale: None,
        },
        ExactNumberInfo::PrecisionAndScale(p, s) => {
            let p = check_p(*p)?;
            if *s < 0 || *s as u64 > u64::from(p) {
                return Err(bad(format!(
                    "NUMERIC scale {s} must be between 0 and precision {p}"
                )));
            }
            SqlType::Decimal {
                precision: Some(p),
                scale: Some(*s as u32),
            }
        }
    })
}

/// The covet column type of `ty`.
pub fn sql_type_from_ast(ty: &ast::DataType) -> Result<SqlType> {
    use ast::DataType as D;
    Ok(match ty {
        D::Bool | D::Boolean => SqlType::Boolean,
        D::SmallInt(_) | D::Int2(_) | D::TinyInt(_) => SqlType::SmallInt,
        D::Int(_) | D::Int4(_) | D::Integer(_) | D::MediumInt(_) | D::Int32 => SqlType::Integer,
        D::BigInt(_) | D::Int8(_) | D::Int64 | D::Signed | D::SignedInteger => SqlType::BigInt,
        D::Real | D::Float4 | D::Float32 => SqlType::Real,
        D::Double(_) | D::DoublePrecision | D::Float8 | D::Float64 => SqlType::Double,
        D::Float(info) => match info {
            ExactNumberInfo::Precision(p) if *p <= 24 => SqlType::Real,
            _ => SqlType::Double,
        },
        D::Numeric(info) | D::Decimal(info) | D::Dec(info) => numeric(info)?,
        D::Text | D::String(None) | D::TinyText | D::MediumText | D::LongText | D::Clob(_) => {
            SqlType::Text
        }
        D::Varchar(len) | D::CharacterVarying(len) | D::CharVarying(len) | D::Nvarchar(len) => {
            match char_len(len, None)? {
                Some(n) => SqlType::Varchar(n),
                None => SqlType::Text,
            }
        }
        D::Char(len) | D::Character(len) => match char_len(len, Some(1))? {
            Some(n) => SqlType::Char(n),
            None => SqlType::Text,
        },
        D::Bytea
        | D::Blob(_)
        | D::Binary(_)
        | D::Varbinary(_)
        | D::TinyBlob
        | D::MediumBlob
        | D::LongBlob => SqlType::Blob,
        D::Date => SqlType::Date,
        D::Time(_, TimezoneInfo::None | TimezoneInfo::WithoutTimeZone) => SqlType::Time,
        D::Timestamp(_, TimezoneInfo::None | TimezoneInfo::WithoutTimeZone) | D::Datetime(_) => {
            SqlType::Timestamp
        }
        D::Timestamp(_, TimezoneInfo::WithTimeZone | TimezoneInfo::Tz) => SqlType::TimestampTz,
        D::Interval { fields: None, .. } => SqlType::Interval,
        D::Uuid => SqlType::Uuid,
        D::JSON | D::JSONB => SqlType::Json,
        D::Custom(name, modifiers) if modifiers.is_empty() => {
            let n = name.to_string().to_ascii_lowercase();
            match n.as_str() {
                "timestamptz" => SqlType::TimestampTz,
                "int2" => SqlType::SmallInt,
                "int4" => SqlType::Integer,
                "int8" => SqlType::BigInt,
                "float4" => SqlType::Real,
                "float8" => SqlType::Double,
                "bool" => SqlType::Boolean,
                "signed" => SqlType::BigInt,
                "serial" => SqlType::Integer,
                "bigserial" => SqlType::BigInt,
                "smallserial" => SqlType::SmallInt,
                _ => return Err(QueryError::unsupported(format!("type {n}"))),
            }
        }
        other => return Err(QueryError::unsupported(format!("type {other}"))),
    })
}
