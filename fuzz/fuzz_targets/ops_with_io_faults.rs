//! Operations on 1–3 trees with an I/O fault (EIO, ENOSPC or a power cut at
//! the Nth mutating call) on a fault-injecting VFS; after the fault, every way of
//! reopening must recover the last commit or the one in flight, intact.
//! The logic is `covet_tests::fuzz_logic::run_ops`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    covet_tests::fuzz_logic::run_ops(data);
});
