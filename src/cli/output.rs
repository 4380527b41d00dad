//! What every subcommand prints with: stdout that tolerates a closed pipe,
//! diagnostics with their source snippet, and loading a scenario or saying why not.

use maillab::base::diag::{Diagnostic, Diagnostics, snippet};
use maillab::scenario::{self, Scenario};
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

/// Print to stdout, ignoring a closed pipe (`maillab run … | head`).
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($t)*);
    }};
}
macro_rules! sayln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($t)*);
    }};
}

/// Each diagnostic on stderr, followed by the lines of `file` it points at.
pub fn print_diags(d: &Diagnostics, file: &Path) {
    let src = maillab::base::shipped::read(file).unwrap_or_default();
    let mut err = std::io::stderr().lock();
    for x in &d.0 {
        let _ = writeln!(err, "{x}");
        if let Some(s) = snippet(&src, x) {
            let _ = writeln!(err, "{s}");
        }
    }
}

/// Each warning on stderr (`FILE:LINE:COLUMN: warning: …`), followed by the lines of `file` it points at.
pub fn print_warnings(w: &[Diagnostic], file: &Path) {
    if w.is_empty() {
        return;
    }
    let src = std::fs::read_to_string(file).unwrap_or_default();
    let mut err = std::io::stderr().lock();
    for x in w {
        let _ = writeln!(err, "{}", x.as_warning());
        if let Some(s) = snippet(&src, x) {
            let _ = writeln!(err, "{s}");
        }
    }
}

/// The checked scenario (its warnings printed), or its problems printed and exit code 2.
pub fn load_scenario(file: &Path) -> Result<Scenario, ExitCode> {
    load_scenario_for(file, None)
}

/// A student's variant of a scenario (`--student`; the first values without one).
pub fn load_scenario_for(file: &Path, student: Option<&str>) -> Result<Scenario, ExitCode> {
    let sc = scenario::vary::load_file(file, student).map_err(|d| {
        print_diags(&d, file);
        ExitCode::from(2)
    })?;
    print_warnings(&sc.warnings, file);
    Ok(sc)
}

/// Colour the text output: stdout is a terminal and NO_COLOR is not set.
pub fn color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// 0 when every expectation or checkpoint passed, 1 otherwise.
pub fn pass_fail(passed: bool) -> ExitCode {
    if passed { ExitCode::SUCCESS } else { ExitCode::from(1) }
}
