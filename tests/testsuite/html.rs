//! The HTML report of every shipped scenario: self-contained and complete
//! (checked in Rust, everywhere), and rendered by a real browser (headless
//! Chromium, needs `chromium`) without script errors; a screenshot of each
//! is kept in target/report-screenshots/ for people to look at.

use crate::common;
use crate::support::{bounded, tools};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every report as (scenario name, HTML).
fn reports() -> Vec<(String, String)> {
    common::scenario_names()
        .into_iter()
        .map(|name| {
            let (sc, r) = common::run(&name);
            let html = maillab::report::html::report(&sc, &r.events, false);
            (name, html)
        })
        .collect()
}

#[test]
fn reports_are_self_contained_and_complete() {
    for (name, html) in reports() {
        assert!(html.starts_with("<!DOCTYPE html>") || html.starts_with("<!doctype html>"), "{name}: not HTML");
        assert!(html.trim_end().ends_with("</html>"), "{name}: the page is cut off");
        assert!(html.contains("<svg") && html.contains("id=\"events\""), "{name}: parts missing");
        assert!(html.contains("<script>") && html.contains("data-ready"), "{name}: the script is missing");
        // Nothing loaded from elsewhere: the report opens offline.
        for outside in ["src=\"http", "<link ", "<script src", "url(http", "@import"] {
            assert!(!html.contains(outside), "{name}: the report loads something from outside ({outside})");
        }
    }
}

fn browser(args: &[&str], profile: &Path) -> (String, String) {
    let mut cmd = Command::new("chromium");
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        "--v=0",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(args);
    // A headless Chromium that waits on something never seen must fail the test, not hang the run.
    let out = bounded(&mut cmd, None, std::time::Duration::from_secs(120));
    assert!(!out.killed, "chromium {args:?} did not finish within 120 s");
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn reports_render_in_chromium_without_script_errors() {
    if !tools("html::reports_render_in_chromium_without_script_errors", &["chromium"]) {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shots: PathBuf = root.join("target/report-screenshots");
    // Screenshots of an earlier run must not pass for this run's.
    let _ = std::fs::remove_dir_all(&shots);
    std::fs::create_dir_all(&shots).expect("screenshot folder");
    let work = std::env::temp_dir().join(format!("maillab-html-{}", std::process::id()));
    std::fs::create_dir_all(&work).expect("temp folder");
    for (name, html) in reports() {
        let page = work.join(format!("{name}.html"));
        std::fs::write(&page, html).expect("write report");
        let url = format!("file://{}", page.display());
        let profile = work.join(format!("profile-{name}"));
        let (dom, log) = browser(&["--dump-dom", &url], &profile);
        assert!(dom.contains("data-ready=\"yes\""), "{name}: the report's script did not finish\n{log}");
        assert!(!log.contains("Uncaught"), "{name}: script error\n{log}");
        assert!(dom.contains("<svg") && dom.contains("id=\"events\""), "{name}: parts missing");
        let shot = shots.join(format!("{name}.png"));
        let _ = browser(&["--window-size=1400,2000", &format!("--screenshot={}", shot.display()), &url], &profile);
        let png = std::fs::read(&shot).unwrap_or_default();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{name}: no screenshot");
    }
    let _ = std::fs::remove_dir_all(&work);
}
