#![no_main]
//! Any message to any of a list's three addresses, one after another: the
//! first byte picks the address and the envelope sender, the rest is the
//! message. A moderated list with digests, size limit and stripping, so
//! every path of the list server is reachable.
//! The driving code is `maillab::fuzz_harness::listserv`, shared with the
//! regression test (tests/testsuite/fuzz_regressions.rs).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| maillab::fuzz_harness::listserv(data));
