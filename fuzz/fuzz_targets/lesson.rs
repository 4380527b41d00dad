#![no_main]
//! Hand-edited lesson files: the loader reports problems, never panics.
//! The lesson sits in the project's lessons/ folder, whatever the working
//! directory, so that `scenario: relay-chain` finds scenarios/relay-chain.yaml
//! and the checks that need the scenario run too.
//! The driving code is `maillab::fuzz_harness::lesson`, shared with the
//! regression test (tests/testsuite/fuzz_regressions.rs).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| maillab::fuzz_harness::lesson(data));
