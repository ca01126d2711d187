//! DML: INSERT, UPDATE, DELETE, and the coercion of values to column types.

pub(crate) mod coerce;
