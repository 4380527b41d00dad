#![no_main]
//! Hand-edited lesson files: the loader reports problems, never panics.
//! The lesson sits in the project's lessons/ folder, whatever the working
//! directory, so that `scenario: relay-chain` finds scenarios/relay-chain.yaml
//! and the checks that need the scenario run too.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let src = String::from_utf8_lossy(data);
    let path = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../lessons/fuzz.yaml"));
    let _ = maillab::lesson::load_str(&src, path);
});
