//! covet-server: PostgreSQL and MySQL wire protocols over the covet facade.
//!
//! Nothing lives here yet: the server is a later issue (see `DESIGN.md`, "Server").

pub use covet_engine as engine;
