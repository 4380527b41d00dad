#![no_main]
//! Hand-edited lesson files: the loader reports problems, never panics.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let src = String::from_utf8_lossy(data);
    let _ = maillab::lesson::load_str(&src, std::path::Path::new("lessons/fuzz.yaml"));
});
