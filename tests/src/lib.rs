//! Shared helpers for covet's cross-crate integration tests (in `tests/tests/`).
