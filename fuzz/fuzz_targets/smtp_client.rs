#![no_main]
//! Any bytes from a server: the reply parser and the client core never panic.
//! The driving code is `maillab::fuzz_harness::smtp_client`, shared with the
//! regression test (tests/testsuite/fuzz_regressions.rs).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| maillab::fuzz_harness::smtp_client(data));
