//! Tests of the shell as functions (meta-commands, scripts) on an in-memory database.
