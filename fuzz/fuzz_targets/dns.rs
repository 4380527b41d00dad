#![no_main]
//! DNS messages and zone lines from anywhere: decoding never panics, and
//! whatever decodes as a query gets an answer that encodes.
//! The driving code is `maillab::fuzz_harness::dns`, shared with the
//! regression test (tests/testsuite/fuzz_regressions.rs).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| maillab::fuzz_harness::dns(data));
