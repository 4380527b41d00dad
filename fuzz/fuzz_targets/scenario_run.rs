#![no_main]
//! Scenarios that pass `maillab check` run in virtual time, bounded by an
//! event budget: no panic, no hang. The driving code is
//! `maillab::fuzz_harness::scenario_run`, shared with the regression test
//! (tests/testsuite/fuzz_regressions.rs).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| maillab::fuzz_harness::scenario_run(data));
