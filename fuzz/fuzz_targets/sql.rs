//! Arbitrary bytes as SQL (raw text, or tokens of a SQL vocabulary) run through
//! parse → bind → plan → execute on a small database: errors are fine, a panic or a
//! damaged database is a bug. The logic is `covet_tests::fuzz_sql::run_sql`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    covet_tests::fuzz_sql::run_sql(data);
});
