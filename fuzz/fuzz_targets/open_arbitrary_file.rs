//! Arbitrary (or edited, re-checksummed) bytes opened as a database file and
//! its WAL; whatever opens is read, checked and written. Errors are fine, a
//! panic is a bug. The logic is `covet_tests::fuzz_logic::open_input`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    covet_tests::fuzz_logic::open_input(data);
});
