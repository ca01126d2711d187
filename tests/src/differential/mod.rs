//! The PostgreSQL differential test's engine-independent half: a seeded generator of tables,
//! rows and queries, and the comparison of two engines' answers.
//!
//! - [`schema`]: four tables `t1`…`t4` with the same columns, one of each covet type that maps
//!   exactly onto a PostgreSQL type (`BIGINT`, `DOUBLE PRECISION`, `NUMERIC(12,2)`, `TEXT`,
//!   `BOOLEAN`, `DATE`, `TIMESTAMP`), NULL-heavy rows, and the SQL text that creates and fills
//!   them (the same text for both engines).
//! - [`expr`]: random typed scalar expressions over the columns in scope.
//! - [`query`]: random queries: filters and projections, joins of 2–4 tables, aggregates with
//!   GROUP BY/HAVING, window functions, ORDER BY … LIMIT with a total order, IN/EXISTS/scalar
//!   subqueries, set operations, DISTINCT.
//! - [`result`]: an engine's answer as [`result::Answer`] (rows of normalized [`result::Cell`]s,
//!   or an error with its SQLSTATE), built from covet's values or PostgreSQL's text output,
//!   and [`result::compare`] with the stated tolerances.
//!
//! The driver that runs both engines is `tests/tests/pg_differential.rs`. Everything here is a
//! pure function of the seed: query `i` of seed `s` is the same text on every run, so a
//! difference is reproduced by its seed and number alone.

pub mod expr;
pub mod query;
pub mod result;
pub mod rng;
pub mod schema;

pub use query::{Query, QueryGen, Shape};
pub use result::{compare, Answer, Cell, Verdict};
pub use rng::Rng;
pub use schema::Dataset;
