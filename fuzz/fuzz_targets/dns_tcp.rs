#![no_main]
//! DNS over TCP from any client: the server core frames whatever comes,
//! split into two reads anywhere or an octet at a time, the same way, and
//! never panics.
//! The driving code is `maillab::fuzz_harness::dns_tcp`, shared with the
//! regression test (tests/testsuite/fuzz_regressions.rs).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| maillab::fuzz_harness::dns_tcp(data));
