#![no_main]
//! Any bytes from a POP3 client, against a maildrop with two messages.
//! The driving code is `maillab::fuzz_harness::pop3`, shared with the
//! regression test (tests/testsuite/fuzz_regressions.rs).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| maillab::fuzz_harness::pop3(data));
