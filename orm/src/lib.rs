//! covet-orm: models, relations, query sets, sessions and migrations.
//!
//! Nothing lives here yet: the ORM is a later issue (see `DESIGN.md`, "ORM").

pub use covet_engine as engine;
