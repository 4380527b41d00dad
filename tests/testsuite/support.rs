//! Tests that need programs other than cargo's.
//!
//! `cargo test` runs on a machine with only the Rust toolchain: a test that
//! needs, say, tshark calls [`tools`] first, which (when tshark is not on
//! `PATH`) prints one line to stderr and lets the test return early:
//!
//! ```text
//! skipped: pcap::tshark_decodes_every_capture needs tshark (MAILLAB_REQUIRE_TOOLS=1 makes it a failure)
//! ```
//!
//! With the environment variable `MAILLAB_REQUIRE_TOOLS=1` (as `.ci/run` runs
//! the suite) a missing program is a failure instead, so CI cannot skip
//! silently. It is read when the test runs, so the same build serves both.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The first executable file called `name` in a directory of `PATH`.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Whether every program in `programs` is on `PATH`. When one is missing:
/// with `MAILLAB_REQUIRE_TOOLS=1` the test fails; without it one line on
/// stderr says the test `test` is skipped, and this returns false.
pub fn tools(test: &str, programs: &[&str]) -> bool {
    let missing: Vec<&str> = programs.iter().copied().filter(|p| which(p).is_none()).collect();
    if missing.is_empty() {
        return true;
    }
    let missing = missing.join(", ");
    if std::env::var_os("MAILLAB_REQUIRE_TOOLS").is_some_and(|v| v == "1") {
        panic!("{test} needs {missing}, which is not on PATH (.ci/run installs it)");
    }
    // Written to stderr directly, not with eprintln!, so that the test harness
    // does not capture the line of a test that passes.
    let _ = writeln!(std::io::stderr(), "skipped: {test} needs {missing} (MAILLAB_REQUIRE_TOOLS=1 makes it a failure)");
    false
}
