#![no_main]
//! Any bytes from a client, split into two reads at any point: the SMTP
//! server core must never panic and must stay bounded.
//! The driving code is `maillab::fuzz_harness::smtp_server`, shared with the
//! regression test (tests/testsuite/fuzz_regressions.rs).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| maillab::fuzz_harness::smtp_server(data));
