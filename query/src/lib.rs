//! covet-query: SQL text → bound plan → optimized plan → streaming execution.
//!
//! Nothing lives here yet: the SQL layer is a later issue (see `DESIGN.md`, "Query").
//! The crate exists so that the workspace has its final shape and the dependency
//! direction (engine ← query ← facade) is fixed from the start.

pub use covet_engine as engine;
