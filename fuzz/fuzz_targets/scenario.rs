#![no_main]
//! Hand-edited scenario files: the loader reports problems, never panics.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let src = String::from_utf8_lossy(data);
    let _ = maillab::scenario::load_str(&src, "fuzz.yaml");
});
