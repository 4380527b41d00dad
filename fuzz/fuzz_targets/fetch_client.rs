#![no_main]
//! Any bytes from a POP3 or IMAP server to the mailbox client core: it never
//! panics, its memory stays within its limits, and a closed connection always
//! ends the session. The driving code is `maillab::fuzz_harness::fetch_client`,
//! shared with the regression test (tests/testsuite/fuzz_regressions.rs).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| maillab::fuzz_harness::fetch_client(data));
