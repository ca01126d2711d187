//! covet-orm-macros: `#[derive(Model)]` and friends.
//!
//! Nothing lives here yet: the derive macros come with the ORM issue.
