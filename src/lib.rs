//! covet: an embedded relational database.
//!
//! One file on disk (or memory), SQL in PostgreSQL's dialect, opened with one call; no
//! server, no C library. This crate is the API a Rust program uses: a [`Database`]
//! gives [`Connection`]s, which run statements with bound parameters, stream [`Rows`]
//! with typed access, prepare [`Statement`]s and run [`Transaction`]s (with
//! [`Savepoint`]s). It also builds the `covet` shell (feature `cli`, on by default;
//! a program embedding covet can set `default-features = false` to skip its
//! dependencies).
//!
//! # Quick start
//!
//! ```
//! let db = covet::Database::memory()?; // or covet::Database::open("app.covet")?
//! let conn = db.connect();
//! conn.execute_batch("CREATE TABLE t(a INT PRIMARY KEY, b TEXT);")?;
//! conn.execute("INSERT INTO t(a, b) VALUES ($1, $2)", (1, "x"))?;
//! conn.execute("INSERT INTO t(a, b) VALUES ($1, $2)", covet::params![2, None::<String>])?;
//!
//! for row in conn.query("SELECT a, b FROM t WHERE a > $1 ORDER BY a", (0,))? {
//!     let row = row?;
//!     let a: i64 = row.get(0)?;
//!     let b: Option<String> = row.get("b")?;
//!     println!("{a} {b:?}");
//! }
//!
//! let n: i64 = conn.query_row("SELECT count(*) FROM t", (), |r| r.get(0))?;
//! assert_eq!(n, 2);
//!
//! conn.transaction(|tx| {
//!     tx.execute("UPDATE t SET b = $1 WHERE a = $2", ("y", 2))?;
//!     Ok(())
//! })?;
//! let mut stmt = conn.prepare("SELECT b FROM t WHERE a = $1")?;
//! assert_eq!(stmt.query_row((2,), |r| r.get::<_, String>(0))?, "y");
//! # Ok::<(), covet::Error>(())
//! ```
//!
//! # Modules
//!
//! * `database.rs`: [`Database`], opening files and the file-level operations;
//! * `connection.rs`, `statement.rs`, `transaction.rs`: running SQL (a connection
//!   is `Send`, not `Sync`: one per thread; calls take `&self`);
//! * `rows.rs`: [`Rows`], [`Row`], [`FromRow`];
//! * `convert/`: [`ToSql`] and [`FromSql`] for every covet type;
//! * `params.rs`: [`Params`] and [`params!`];
//! * `error.rs`: [`Error`], with the SQLSTATE of every failure.
//!
//! The storage engine is re-exported as [`engine`], the SQL layer's types as
//! [`query`].

mod connection;
mod convert;
mod database;
mod error;
mod params;
mod rows;
mod statement;
mod transaction;

pub use covet_engine as engine;
pub use covet_query as query;

pub use connection::Connection;
pub use convert::{FromSql, FromSqlError, Json, TimestampTz, ToSql, Uuid, UuidParseError};
pub use database::Database;
pub use error::{Error, Result};
pub use params::Params;
pub use rows::{FromRow, MappedRows, Row, RowIndex, RowMapper, Rows};
pub use statement::Statement;
pub use transaction::{Savepoint, Transaction};

pub use covet_engine::value::{Date, Decimal, Interval, Time, Timestamp, Value};
pub use covet_query::{Column, CommandTag, DataType, QueryError, SqlState, TransactionStatus};
