//! covet: an embedded relational database.
//!
//! Today this facade re-exports the storage engine ([`engine`]); the SQL layer, the
//! `Database`/`Connection` API of `DESIGN.md`, the ORM and the server come in later
//! issues.

pub use covet_engine as engine;
