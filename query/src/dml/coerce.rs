//! Values into columns: PostgreSQL's assignment rules.
//!
//! A value of expression type `from` may be stored into a column of type `ty` when
//! `from` is `Unknown` (a quoted literal or NULL: it is read as the column's type, so
//! `'1'` into an INTEGER column is 1), when both are numbers, when the column is a
//! string type (every type has an assignment cast to text), between date/timestamp
//! kinds, or when they are the same kind (the cast then applies the column's limits:
//! VARCHAR(n) length 22001, NUMERIC(p,s) rounding and 22003, SMALLINT range 22003).
//! Anything else is 42804, naming the column and both types, as PostgreSQL does:
//! a text value never silently becomes a number.

use covet_engine::value::{SqlType, Value};

use crate::error::{QueryError, Result, SqlState};
use crate::types::DataType;

/// Whether PostgreSQL has an assignment cast from `from` to a column of kind `to`.
pub(crate) fn assignable(from: DataType, to: DataType) -> bool {
    use DataType as D;
    from == to
        || from == D::Unknown
        || (from.is_numeric() && to.is_numeric())
        || to == D::Text
        || matches!(
            (from, to),
            (D::Date, D::Timestamp | D::TimestampTz)
                | (D::Timestamp, D::Date | D::TimestampTz)
                | (D::TimestampTz, D::Date | D::Timestamp)
                | (D::Timestamp | D::TimestampTz, D::Time)
                | (D::Json, D::Json)
        )
}

/// `value` (of expression type `from`) stored into column `column` of type `ty`.
pub(crate) fn to_column(value: Value, from: DataType, column: &str, ty: &SqlType) -> Result<Value> {
    let to = DataType::of_sql_type(ty);
    if !assignable(from, to) {
        return Err(QueryError::new(
            SqlState::DATATYPE_MISMATCH,
            format!(
                "column \"{column}\" is of type {} but expression is of type {}",
                crate::ops::cast::type_name(ty),
                from.name()
            ),
        )
        .with_hint("You will need to rewrite or cast the expression."));
    }
    if value.is_null() {
        return Ok(value);
    }
    // A value already of the column's representation, under no length, precision or
    // range limit, is stored as it is (the cast would only copy it).
    if matches!(
        (ty, &value),
        (SqlType::Text, Value::Text(_))
            | (SqlType::Double, Value::Float(_))
            | (SqlType::BigInt, Value::Int(_))
            | (SqlType::Boolean, Value::Bool(_))
    ) {
        return Ok(value);
    }
    let cast = crate::ops::cast(&value, ty)?;
    // The engine checks again when it stores the row; a failure here names the column.
    match ty.check(&cast) {
        Ok(()) => Ok(cast),
        Err(e) => Err(crate::convert::type_check_error(column, &e)),
    }
}
