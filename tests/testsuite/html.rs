//! The HTML report opens in a real browser (headless Chromium) without
//! script errors, for every shipped scenario; a screenshot of each is kept
//! in target/report-screenshots/ for people to look at.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn chromium() -> &'static str {
    if Path::new("/usr/bin/chromium").exists() { "/usr/bin/chromium" } else { "chromium" }
}

fn browser(args: &[&str], profile: &Path) -> (String, String) {
    let out = Command::new(chromium())
        .args([
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
        .args(args)
        .output()
        .expect("chromium is installed (see .ci/run)");
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn reports_render_without_script_errors() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shots: PathBuf = root.join("target/report-screenshots");
    std::fs::create_dir_all(&shots).expect("screenshot folder");
    let work = std::env::temp_dir().join(format!("maillab-html-{}", std::process::id()));
    std::fs::create_dir_all(&work).expect("temp folder");
    let names = common::scenario_names();
    for name in names {
        let (sc, r) = common::run(&name);
        let page = work.join(format!("{name}.html"));
        std::fs::write(&page, maillab::trace::html::report(&sc, &r.events)).expect("write report");
        let url = format!("file://{}", page.display());
        let profile = work.join(format!("profile-{name}"));
        let (dom, log) = browser(&["--dump-dom", &url], &profile);
        assert!(dom.contains("data-ready=\"yes\""), "{name}: the report's script did not finish\n{log}");
        assert!(!log.contains("Uncaught"), "{name}: script error\n{log}");
        assert!(dom.contains("<svg") && dom.contains("id=\"events\""), "{name}: parts missing");
        let shot = shots.join(format!("{name}.png"));
        let _ = browser(&["--window-size=1400,2000", &format!("--screenshot={}", shot.display()), &url], &profile);
        assert!(shot.exists(), "{name}: no screenshot");
    }
}
