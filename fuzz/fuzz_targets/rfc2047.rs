#![no_main]
//! Header text in and out: RFC 2047 encoded-words in UTF-8 or ISO-2022-JP
//! (the first byte picks), folding, decoding, `Name <addr>`.
//! The driving code is `maillab::fuzz_harness::rfc2047`, shared with the
//! regression test (tests/testsuite/fuzz_regressions.rs).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| maillab::fuzz_harness::rfc2047(data));
