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

/// How a real program run by [`bounded`] ended.
pub struct Ran {
    /// Its exit status (none when a signal ended it).
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Whether it was still running at the deadline and was killed.
    pub killed: bool,
}

impl Ran {
    /// Whether it exited with status 0 (false when it was killed).
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }

    /// What it wrote, stdout then stderr, for an assertion message.
    pub fn said(&self) -> String {
        format!("{}{}", String::from_utf8_lossy(&self.stdout), String::from_utf8_lossy(&self.stderr))
    }
}

/// Runs a real program to its end, or for at most `limit`: a program that
/// waits for something that never comes (a prompt, a terminal, a peer) must
/// fail its test, never hang the run. `stdin` is what it reads (nothing when
/// `None`). Its output goes to files rather than pipes, which a left-over
/// grandchild could hold open; at the deadline its whole process group is
/// killed.
pub fn bounded(cmd: &mut std::process::Command, stdin: Option<&[u8]>, limit: std::time::Duration) -> Ran {
    use std::os::unix::process::CommandExt;
    use std::process::Stdio;
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let base = std::env::temp_dir().join(format!(
        "maillab-bounded-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let path = |ext: &str| base.with_extension(ext);
    let file = |ext: &str| std::fs::File::create(path(ext)).expect("a file for a program's output");
    let input = match stdin {
        Some(bytes) => {
            std::fs::write(path("in"), bytes).expect("a file for a program's input");
            Stdio::from(std::fs::File::open(path("in")).expect("the input file"))
        }
        None => Stdio::null(),
    };
    let program = format!("{:?}", cmd.get_program());
    let mut child = cmd
        .stdin(input)
        .stdout(file("out"))
        .stderr(file("err"))
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("{program} does not start: {e}"));
    let deadline = std::time::Instant::now() + limit;
    let (code, killed) = loop {
        match child.try_wait() {
            Ok(Some(status)) => break (status.code(), false),
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            _ => {
                // The whole group: `script`, a shell, `timeout` and what they started.
                let _ = std::process::Command::new("kill")
                    .args(["-KILL", "--", &format!("-{}", child.id())])
                    .stderr(Stdio::null())
                    .status();
                let _ = child.kill();
                let _ = child.wait();
                break (None, true);
            }
        }
    };
    let read = |ext: &str| std::fs::read(path(ext)).unwrap_or_default();
    let ran = Ran { code, stdout: read("out"), stderr: read("err"), killed };
    for ext in ["in", "out", "err"] {
        let _ = std::fs::remove_file(path(ext));
    }
    ran
}
