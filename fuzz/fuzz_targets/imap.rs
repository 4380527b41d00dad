#![no_main]
//! Any bytes from an IMAP client (logged in, two messages), including literals.
//! The driving code is `maillab::fuzz_harness::imap`, shared with the
//! regression test (tests/testsuite/fuzz_regressions.rs).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| maillab::fuzz_harness::imap(data));
