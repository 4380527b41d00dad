#![no_main]
//! Hand-edited scenario files: the loader reports problems, never panics.
//! The driving code is `maillab::fuzz_harness::scenario`, shared with the
//! regression test (tests/testsuite/fuzz_regressions.rs).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| maillab::fuzz_harness::scenario(data));
