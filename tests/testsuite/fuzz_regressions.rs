//! Fuzz regressions: every input under `fuzz/regressions/<target>/` goes
//! through the function of that name in `maillab::fuzz_harness`, the code
//! the fuzz target `fuzz/fuzz_targets/<target>.rs` runs, and must not panic.
//!
//! The inputs are crashes the fuzzer found (minimised with `cargo fuzz tmin`)
//! and hand-made nasty inputs (`hand-*`). README files are skipped. Every
//! target's folder must hold at least one input, so that this test cannot
//! pass on nothing.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use maillab::fuzz_harness::TARGETS;

fn regressions_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions")
}

/// The inputs of one target, sorted by name, README files left out.
fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = regressions_dir().join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.is_file())
        .filter(|p| {
            !p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.to_ascii_uppercase().starts_with("README"))
        })
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let data = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p, data)
        })
        .collect()
}

/// Run every input of `target` through `run`; fail naming each input that panicked.
fn check(target: &str, run: fn(&[u8])) {
    let inputs = inputs(target);
    assert!(!inputs.is_empty(), "no inputs in fuzz/regressions/{target}/: this test would pass on nothing");
    let failed: Vec<String> = inputs
        .iter()
        .filter(|(_, data)| catch_unwind(AssertUnwindSafe(|| run(data))).is_err())
        .map(|(p, _)| p.display().to_string())
        .collect();
    assert!(
        failed.is_empty(),
        "{target}: {} of {} inputs panicked:\n{}",
        failed.len(),
        inputs.len(),
        failed.join("\n")
    );
}

#[test]
fn every_folder_is_a_target_and_every_target_has_inputs() {
    for e in std::fs::read_dir(regressions_dir()).expect("fuzz/regressions exists") {
        let p = e.expect("readable directory entry").path();
        if p.is_dir() {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
            let names: Vec<&str> = TARGETS.iter().map(|(t, _)| *t).collect();
            assert!(names.contains(&name.as_str()), "fuzz/regressions/{name}/ is not a fuzz target: {names:?}");
        }
    }
    for (t, _) in TARGETS {
        assert!(!inputs(t).is_empty(), "no inputs in fuzz/regressions/{t}/");
    }
}

#[test]
fn smtp_server() {
    check("smtp_server", maillab::fuzz_harness::smtp_server);
}

#[test]
fn smtp_client() {
    check("smtp_client", maillab::fuzz_harness::smtp_client);
}

#[test]
fn fetch_client() {
    check("fetch_client", maillab::fuzz_harness::fetch_client);
}

#[test]
fn pop3() {
    check("pop3", maillab::fuzz_harness::pop3);
}

#[test]
fn imap() {
    check("imap", maillab::fuzz_harness::imap);
}

#[test]
fn dns() {
    check("dns", maillab::fuzz_harness::dns);
}

#[test]
fn dns_tcp() {
    check("dns_tcp", maillab::fuzz_harness::dns_tcp);
}

#[test]
fn scenario() {
    check("scenario", maillab::fuzz_harness::scenario);
}

#[test]
fn scenario_run() {
    check("scenario_run", maillab::fuzz_harness::scenario_run);
}

#[test]
fn lesson() {
    check("lesson", maillab::fuzz_harness::lesson);
}

#[test]
fn listserv() {
    check("listserv", maillab::fuzz_harness::listserv);
}

#[test]
fn rfc2047() {
    check("rfc2047", maillab::fuzz_harness::rfc2047);
}

/// The fuzz crate (not built by `cargo test`) stays in step with the harness:
/// each target has a binary in fuzz/Cargo.toml whose source calls its function.
#[test]
fn every_target_is_a_fuzz_binary_that_calls_the_harness() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let manifest = std::fs::read_to_string(fuzz.join("Cargo.toml")).expect("fuzz/Cargo.toml");
    for (t, _) in TARGETS {
        assert!(manifest.contains(&format!("path = \"fuzz_targets/{t}.rs\"")), "fuzz/Cargo.toml has no binary {t}");
        let src = std::fs::read_to_string(fuzz.join(format!("fuzz_targets/{t}.rs")))
            .unwrap_or_else(|e| panic!("fuzz/fuzz_targets/{t}.rs: {e}"));
        assert!(
            src.contains(&format!("maillab::fuzz_harness::{t}(")),
            "fuzz/fuzz_targets/{t}.rs does not call the harness"
        );
    }
}
