#![no_main]
//! SPF and DMARC records and From: fields from anywhere: evaluating and
//! parsing never panic. The driving code is `maillab::fuzz_harness::mailauth`,
//! shared with the regression test (tests/testsuite/fuzz_regressions.rs).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| maillab::fuzz_harness::mailauth(data));
