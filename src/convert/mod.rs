//! Conversions between Rust values and SQL [`Value`]s: [`ToSql`] for parameters,
//! [`FromSql`] for result columns, and the newtypes for SQL types that have no Rust
//! type of their own ([`Uuid`], [`Json`], [`TimestampTz`]).
//!
//! The mapping (both ways unless noted):
//!
//! | SQL | Rust |
//! |-----|------|
//! | `boolean` | `bool` |
//! | `smallint`, `integer`, `bigint` | `i8`…`i64`, `u8`…`u32`, `u64` (range-checked), `isize`, `usize` |
//! | `real`, `double precision` | `f32`, `f64` (`f64` also reads integers and numerics) |
//! | `numeric` | [`Decimal`] (also reads integers) |
//! | `text`, `varchar`, `char` | `String`, `&str` (to SQL only) |
//! | `bytea` | `Vec<u8>`, `&[u8]` (to SQL only) |
//! | `date`, `time`, `timestamp`, `interval` | [`Date`], [`Time`], [`Timestamp`], [`Interval`] |
//! | `timestamptz` | [`TimestampTz`] (a [`Timestamp`] also reads one, in UTC) |
//! | `uuid` | [`Uuid`] or `[u8; 16]` |
//! | `json`, `jsonb` | [`Json`] (a `String` also reads one) |
//! | any, NULL | `Option<T>` (NULL is `None`), [`Value`] |
//!
//! Conversions never panic: a wrong type or an out-of-range number is an
//! [`Error`](crate::Error) that names the column.
//!
//! [`Value`]: crate::Value
//! [`Decimal`]: crate::Decimal
//! [`Date`]: crate::Date
//! [`Time`]: crate::Time
//! [`Timestamp`]: crate::Timestamp
//! [`Interval`]: crate::Interval

mod from_sql;
mod newtypes;
mod to_sql;

pub use from_sql::{FromSql, FromSqlError};
pub use newtypes::{Json, TimestampTz, Uuid, UuidParseError};
pub use to_sql::ToSql;
