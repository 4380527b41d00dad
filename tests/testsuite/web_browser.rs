//! The browser lab (`maillab web`) in real browsers: headless Chromium and
//! headless Firefox, each driven through WebDriver (Debian's `chromedriver`;
//! Mozilla's `geckodriver`, which `.ci/run` builds with `cargo install`), with
//! the fantoccini client. Each browser's test needs its browser and driver
//! (skipped without them unless `MAILLAB_REQUIRE_TOOLS=1`). The
//! inspectors are checked against the CLI's trace (`maillab run --format
//! json`); a screenshot of each view is kept in
//! target/web-screenshots/BROWSER/ for people to look at.

use crate::support::{tools, which};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SCENARIO: &str = "scenarios/mx-fallback.yaml";
const LESSON: &str = "02-mta-roles-and-mx";
/// A lesson whose text has indented lines (a port table, commands to type).
const LESSON_PRE: &str = "05-mail-client-setup";
/// A scenario with `code` in its description and a host whose role label is long.
const SCENARIO_CODE: &str = "scenarios/eavesdrop.yaml";

/// A child process killed when the test ends, however it ends.
struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// `maillab web ARGS --port 0`; returns the process and the address it prints.
fn start_web(args: &[&str], home: &Path) -> (Kill, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_maillab"))
        .current_dir(root())
        .arg("web")
        .args(args)
        .args(["--port", "0"])
        .env("MAILLAB_HOME", home)
        .env("USER", "webtest")
        .env_remove("MAILLAB_WEB_ASSETS")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("maillab web starts");
    let out = child.stdout.take().expect("stdout");
    let child = Kill(child);
    let mut line = String::new();
    BufReader::new(out).read_line(&mut line).expect("maillab web prints its address");
    let url = line.trim().strip_prefix("maillab web: ").unwrap_or_else(|| panic!("unexpected first line: {line:?}"));
    assert!(url.starts_with("http://127.0.0.1:"), "binds 127.0.0.1 by default: {url}");
    (child, url.trim_end_matches('/').to_string())
}

/// A browser the page is tried in, with its WebDriver server.
#[derive(Clone, Copy)]
enum Browser {
    Chromium,
    Firefox,
}

impl Browser {
    fn name(self) -> &'static str {
        match self {
            Browser::Chromium => "chromium",
            Browser::Firefox => "firefox",
        }
    }

    /// The browser and its WebDriver server, as the test gate names them.
    fn programs(self) -> [&'static str; 2] {
        match self {
            Browser::Chromium => ["chromium", "chromedriver"],
            Browser::Firefox => ["firefox", "geckodriver"],
        }
    }

    /// Start the WebDriver server on a free port; returns it and its address.
    fn start_driver(self) -> (Kill, String) {
        let port = free_port();
        let mut cmd = Command::new(self.programs()[1]);
        match self {
            Browser::Chromium => cmd.arg(format!("--port={port}")),
            // geckodriver picks a free Marionette port itself, so runs side by side do not collide.
            Browser::Firefox => cmd.args(["--port", &port.to_string(), "--log", "error"]),
        };
        let child = cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("the WebDriver server starts");
        let child = Kill(child);
        let t0 = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(t0.elapsed() < Duration::from_secs(20), "{} does not listen", self.programs()[1]);
            std::thread::sleep(Duration::from_millis(50));
        }
        (child, format!("http://127.0.0.1:{port}"))
    }

    /// A headless session, 1400×900, English first, no first-run screens.
    async fn session(self, driver: &str, profile: &Path) -> Client {
        let binary = which(self.programs()[0]).map(|p| p.display().to_string()).unwrap_or_else(|| self.name().into());
        let caps = match self {
            Browser::Chromium => json!({
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": binary,
                    "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                             "--window-size=1400,900", "--lang=en-US", "--no-first-run",
                             "--disable-background-networking", "--disable-component-update", "--disable-sync",
                             format!("--user-data-dir={}", profile.display())]
                }
            }),
            // geckodriver makes (and removes) a fresh profile; the prefs keep it off the network.
            Browser::Firefox => json!({
                "browserName": "firefox",
                "moz:firefoxOptions": {
                    "binary": binary,
                    "args": ["-headless", "--width=1400", "--height=900"],
                    "prefs": {
                        "intl.accept_languages": "en-US",
                        "app.update.enabled": false,
                        "browser.shell.checkDefaultBrowser": false,
                        "datareporting.policy.dataSubmissionEnabled": false,
                        "network.captive-portal-service.enabled": false,
                        "browser.safebrowsing.malware.enabled": false,
                        "browser.safebrowsing.phishing.enabled": false
                    }
                }
            }),
        };
        let caps = match caps {
            Value::Object(m) => m,
            _ => unreachable!(),
        };
        let c = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(driver)
            .await
            .unwrap_or_else(|e| panic!("a WebDriver session with headless {}: {e}", self.name()));
        if let Browser::Firefox = self {
            // The window arguments set the outer size; make the window match Chromium's.
            let _ = c.set_window_size(1400, 900).await;
        }
        c
    }
}

/// The CLI's trace of the scenario: one JSON object per event.
fn cli_trace() -> Vec<Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_maillab"))
        .current_dir(root())
        .args(["run", SCENARIO, "--format", "json"])
        .output()
        .expect("maillab run");
    String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect()
}

fn s<'a>(e: &'a Value, k: &str) -> &'a str {
    e.get(k).and_then(Value::as_str).unwrap_or("")
}

/// The element was replaced in the page after it was found.
fn stale(e: &fantoccini::error::CmdError) -> bool {
    matches!(e, fantoccini::error::CmdError::Standard(w) if w.error == fantoccini::error::ErrorStatus::StaleElementReference)
}

struct Page {
    c: Client,
    shots: PathBuf,
}

impl Page {
    async fn js(&self, script: &str) -> Value {
        self.c.execute(script, vec![]).await.unwrap_or_else(|e| panic!("script {script}: {e}"))
    }

    /// Wait until `expr` (a JavaScript expression) is true.
    async fn until(&self, expr: &str, what: &str) {
        let t0 = Instant::now();
        loop {
            if self.js(&format!("return !!({expr});")).await == Value::Bool(true) {
                return;
            }
            if t0.elapsed() > Duration::from_secs(10) {
                let state = self.js("return document.body.dataset.at + ' ' + document.body.dataset.busy + ' ' + JSON.stringify(window.maillabErrors);").await;
                panic!("waited 10 s for {what} ({expr}); page: {state}");
            }
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    }

    async fn at(&self, n: usize, what: &str) {
        self.until(&format!("document.body.dataset.at === '{n}' && document.body.dataset.busy === 'no'"), what).await;
    }

    /// The text of the element `css` finds. The lab redraws its panels
    /// as events come: an element found a moment ago may have been
    /// replaced (StaleElementReference), and is then found again.
    async fn text(&self, css: &str) -> String {
        for _ in 0..100 {
            let el = self.c.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
            match el.text().await {
                Ok(t) => return t,
                Err(e) if stale(&e) => tokio::time::sleep(Duration::from_millis(30)).await,
                Err(e) => panic!("text of {css}: {e}"),
            }
        }
        panic!("{css}: replaced on every one of 100 reads");
    }

    async fn click(&self, css: &str) {
        for _ in 0..100 {
            let el = self.c.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
            match el.click().await {
                Ok(()) => return,
                Err(e) if stale(&e) => tokio::time::sleep(Duration::from_millis(30)).await,
                Err(e) => panic!("click on {css}: {e}"),
            }
        }
        panic!("{css}: replaced on every one of 100 clicks");
    }

    async fn keys(&self, keys: &[char]) {
        let mut seq = KeyActions::new("keyboard".into());
        for &k in keys {
            seq = seq.then(KeyAction::Down { value: k });
        }
        for &k in keys.iter().rev() {
            seq = seq.then(KeyAction::Up { value: k });
        }
        self.c.perform_actions(seq).await.expect("keys");
    }

    async fn key(&self, k: Key) {
        self.keys(&[k.into()]).await;
    }

    /// Type into the jump box and go: "#N" is an event number.
    async fn jump(&self, n: usize) {
        let input = self.c.find(Locator::Css("#jump")).await.expect("jump box");
        input.clear().await.expect("clear");
        input.send_keys(&format!("#{n}")).await.expect("type");
        self.click("#jump-go").await;
        self.at(n, &format!("position {n}")).await;
    }

    async fn shot(&self, name: &str) {
        let png = self.c.screenshot().await.expect("screenshot");
        std::fs::write(self.shots.join(format!("{name}.png")), png).expect("write screenshot");
    }

    /// Nothing in the network picture overlaps: a host's texts stay in its
    /// box, its name clear of its role (or "down") label, and an edge's label
    /// clear of every box and of the other edge labels.
    async fn picture_clear(&self, when: &str) {
        let bad = self
            .js(
                "// Boxes in the picture's units (getBBox: Firefox's client rectangle of an SVG text is not its glyphs' box).
                 const svg = document.querySelector('#topology');
                 const r = (e) => {
                   const b = e.getBBox();
                   const m = svg.getScreenCTM().inverse().multiply(e.getScreenCTM());
                   const p = (x, y) => new DOMPoint(x, y).matrixTransform(m);
                   const a = p(b.x, b.y), c = p(b.x + b.width, b.y + b.height);
                   return { left: a.x, top: a.y, right: c.x, bottom: c.y };
                 };
                 const hit = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
                 const shown = (e) => getComputedStyle(e).display !== 'none' && e.textContent.trim() !== '';
                 const bad = [];
                 const boxes = [...document.querySelectorAll('#topology g.host')].map((g) => [g.dataset.host, r(g.querySelector('.box'))]);
                 for (const g of document.querySelectorAll('#topology g.host')) {
                   const box = r(g.querySelector('.box'));
                   const texts = [...g.querySelectorAll('text')].filter(shown);
                   for (const t of texts) {
                     const b = r(t);
                     if (b.left < box.left || b.right > box.right) bad.push(`${g.dataset.host}: '${t.textContent}' leaves its box`);
                   }
                   const name = r(g.querySelector('.host-name'));
                   for (const t of texts.filter((t) => t.matches('.host-role, .host-down')))
                     if (hit(name, r(t))) bad.push(`${g.dataset.host}: its name overlaps '${t.textContent}'`);
                 }
                 const labels = [...document.querySelectorAll('#topology .edge-label')];
                 labels.forEach((l, i) => {
                   for (const [host, b] of boxes) if (hit(r(l), b)) bad.push(`edge label '${l.textContent}' overlaps ${host}`);
                   for (const o of labels.slice(i + 1)) if (hit(r(l), r(o))) bad.push(`edge labels '${l.textContent}' and '${o.textContent}' overlap`);
                 });
                 return bad;",
            )
            .await;
        assert_eq!(bad, json!([]), "the network picture {when}");
    }

    async fn no_script_errors(&self, when: &str) {
        let errs = self.js("return window.maillabErrors || [];").await;
        assert_eq!(errs, json!([]), "script errors {when}");
    }
}

#[test]
fn web_lab_in_chromium() {
    web_lab(Browser::Chromium);
}

#[test]
fn web_lab_in_firefox() {
    web_lab(Browser::Firefox);
}

/// The whole walk through the page, in one browser.
fn web_lab(browser: Browser) {
    let test = format!("web_browser::web_lab_in_{}", browser.name());
    if !tools(&test, &browser.programs()) {
        return;
    }
    let shots = root().join("target/web-screenshots").join(browser.name());
    let _ = std::fs::remove_dir_all(&shots);
    std::fs::create_dir_all(&shots).expect("screenshot folder");
    let work = std::env::temp_dir().join(format!("maillab-web-{}-{}", browser.name(), std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).expect("temp folder");
    let home = work.join("home");

    let trace = cli_trace();
    let (_web, url) = start_web(&[SCENARIO], &home);
    let (_lesson_web, lesson_url) = start_web(&["--lesson", LESSON, "--lang", "en"], &home);
    let (_pre_web, pre_url) = start_web(&["--lesson", LESSON_PRE, "--lang", "en"], &home);
    let (_code_web, code_url) = start_web(&[SCENARIO_CODE], &home);
    let (_driver, driver) = browser.start_driver();

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let page = Page { c: browser.session(&driver, &work.join("profile")).await, shots: shots.clone() };
        let t0 = Instant::now();
        scenario_views(&page, &url, &trace).await;
        filters(&page, &url, &trace).await;
        keyboard(&page, &url, &trace).await;
        language_and_projector(&page, &url).await;
        lesson(&page, &lesson_url, &home).await;
        lesson_text(&page, &pre_url).await;
        picture_and_description(&page, &code_url).await;
        eprintln!("{test}: the browser part took {:.1} s", t0.elapsed().as_secs_f64());
        let _ = page.c.close().await;
    });
    let _ = std::fs::remove_dir_all(&work);
}

/// Open the scenario, step forward and back, and compare the inspectors with the CLI's trace.
async fn scenario_views(p: &Page, url: &str, trace: &[Value]) {
    p.c.goto(&format!("{url}/")).await.expect("open the page");
    p.until("document.body.dataset.ready === 'yes'", "the page to load").await;
    p.at(0, "the start").await;
    p.no_script_errors("on load").await;
    let hosts = p.js("return document.querySelectorAll('#topology g.host').length;").await;
    assert_eq!(hosts, json!(5), "mx-fallback has five hosts in the picture");
    let mx = p.js("return [...document.querySelectorAll('#topology .host-mx')].map(e => e.textContent);").await;
    assert_eq!(mx, json!(["MX 10 example.com", "MX 20 example.com"]), "the MX records are shown at their hosts");
    p.picture_clear("at the start, with a host down").await;
    p.shot("01-start").await;

    // The message reaches mx1's mailbox at the first `deliver` event. The Lab pauses
    // between moments of virtual time (events recorded at one moment come together),
    // so "before" is the last event of an earlier moment.
    let deliver = trace.iter().position(|e| s(e, "kind") == "deliver").expect("a deliver event");
    let before = trace.iter().take_while(|e| s(e, "t") < s(&trace[deliver], "t")).count();
    let mailbox_count =
        |n: usize| format!("document.querySelector('#host-panel .sec-mailboxes .count').textContent === '{n}'");
    p.jump(before).await;
    p.click("#tab-hosts").await;
    p.click("#host-tabs [data-host='mx1']").await;
    p.until(&mailbox_count(0), "an empty mailbox before delivery").await;
    p.jump(deliver + 1).await;
    let current = p.text("#current-line").await;
    assert!(current.contains(s(&trace[deliver], "line")), "the current event is the CLI's event {deliver}: {current}");
    p.until(&mailbox_count(1), "the delivered message").await;
    let mailbox = p.text("#host-panel .sec-mailboxes").await;
    assert!(mailbox.contains("Report draft") && mailbox.contains("alice@example.com"), "{mailbox}");
    // mx1 is up again by then; at the start it is down in the picture.
    assert_eq!(
        p.js("return document.querySelector('#topology [data-host=mx1]').classList.contains('is-down');").await,
        json!(false)
    );
    p.shot("02-hosts-mailbox").await;
    // Back one event from the first of the delivery's moment: exactly as before.
    p.jump(before + 1).await;
    p.key(Key::Left).await;
    p.at(before, "one event back").await;
    p.until(&mailbox_count(0), "the mailbox empty again").await;
    p.key(Key::Right).await;
    p.at(before + 1, "one event forward").await;
    let current = p.text("#current-line").await;
    assert!(current.contains(s(&trace[before], "line")), "the current event is the CLI's event {before}: {current}");

    // The backup MX holds the message in its queue while mx1 is down.
    let queued =
        trace.iter().position(|e| s(e, "kind") == "queue.add" && s(e, "host") == "backup").expect("backup queues");
    let qid = s(&trace[queued], "qid").to_string();
    p.jump(queued + 1).await;
    p.click("#host-tabs [data-host='backup']").await;
    p.until(
        &format!("document.querySelector('#host-panel .sec-queue').textContent.includes('{qid}')"),
        "the queued message",
    )
    .await;
    assert_eq!(
        p.js("return document.querySelector('#topology [data-host=mx1]').classList.contains('is-down');").await,
        json!(true),
        "mx1 is down then"
    );
    // The maillog so far: the backup's log lines of the CLI's trace up to here.
    let logs: Vec<&str> = trace[..=queued]
        .iter()
        .filter(|e| s(e, "kind") == "log" && s(e, "host") == "backup")
        .map(|e| s(e, "line"))
        .collect();
    let maillog = p.text("#host-panel .maillog").await;
    for l in &logs {
        assert!(maillog.contains(l.trim()), "maillog lacks {l}\n{maillog}");
    }
    p.shot("03-queue").await;

    // The connection's transcript: client and server lines.
    let ehlo = trace.iter().position(|e| s(e, "kind") == "smtp.cmd").expect("an SMTP command");
    p.jump(ehlo + 1).await;
    p.click("#tab-session").await;
    p.until("document.querySelectorAll('#view-session .tr-line').length > 1", "the transcript").await;
    let (client, server) = (
        p.js("return document.querySelectorAll('#view-session .tr-line.from-client').length;").await,
        p.js("return document.querySelectorAll('#view-session .tr-line.from-server').length;").await,
    );
    assert!(client.as_u64() >= Some(1) && server.as_u64() >= Some(1), "both sides: {client} {server}");
    let cur = p.text("#view-session .tr-line.current").await;
    assert!(cur.contains(s(&trace[ehlo], "line")), "the transcript marks the current command: {cur}");
    p.shot("04-connection").await;

    // The message inspector: three hops, in travel order.
    let total = p.js("return window.maillab.total;").await.as_u64().expect("total") as usize;
    p.jump(total).await;
    p.click("#tab-hosts").await;
    p.click("#host-tabs [data-host='mx1']").await;
    p.click("#host-panel .sec-mailboxes button.link").await;
    p.until("document.querySelectorAll('#view-message .hops > li').length > 0", "the message's hops").await;
    let hops =
        p.js("return [...document.querySelectorAll('#view-message .hops > li strong')].map(e => e.textContent);").await;
    let hops: Vec<String> =
        hops.as_array().expect("hops").iter().map(|h| h.as_str().unwrap_or("").to_string()).collect();
    assert_eq!(hops.len(), 3, "hub, backup, mx1: {hops:?}");
    for (h, want) in hops.iter().zip(["hub", "backup", "mx1"]) {
        assert!(h.contains(want), "hops in travel order: {hops:?}");
    }
    p.shot("05-message").await;
    p.click("#tab-event").await;
    p.until("document.querySelector('#view-event h3') !== null", "the event view").await;
    p.no_script_errors("in the scenario views").await;
}

/// The event list's filters against the CLI's trace.
async fn filters(p: &Page, url: &str, trace: &[Value]) {
    p.c.goto(&format!("{url}/")).await.expect("open");
    p.until("document.body.dataset.ready === 'yes'", "the page").await;
    let smtp = trace.iter().filter(|e| s(e, "kind").starts_with("smtp.")).count();
    p.click("#cat-chips [data-cat='smtp']").await;
    p.until(&format!("document.querySelector('#event-count').textContent.startsWith('{smtp} ')"), "the SMTP rows")
        .await;
    let other = p.js("return [...document.querySelectorAll('#event-rows .ev-row')].filter(r => !r.classList.contains('cat-smtp')).length;").await;
    assert_eq!(other, json!(0), "only SMTP rows are shown");
    // A click on a row moves time there.
    let i = p
        .js("return Number(document.querySelectorAll('#event-rows .ev-row')[3].dataset.i);")
        .await
        .as_u64()
        .expect("a row") as usize;
    p.click(&format!("#ev-{i}")).await;
    p.at(i + 1, "the clicked row").await;
    assert!(p.text(&format!("#ev-{i}")).await.contains(s(&trace[i], "line").get(..20).unwrap_or(s(&trace[i], "line"))));
    // Text and host together.
    p.click("#clear-filters").await;
    p.c.find(Locator::Css("#text-filter")).await.expect("filter").send_keys("Deferred").await.expect("type");
    p.c.find(Locator::Css("#host-filter")).await.expect("host").select_by_value("backup").await.expect("select");
    p.until("document.querySelector('#events').classList.contains('filtered') && document.querySelectorAll('#event-rows .ev-row').length > 0 && [...document.querySelectorAll('#event-rows .ev-row')].every(r => r.textContent.toLowerCase().includes('deferred') && r.querySelector('.c-host').textContent === 'backup')", "rows of backup with Deferred").await;
    p.shot("06-filtered").await;
    // Failures only.
    p.click("#clear-filters").await;
    p.click("#fail-filter").await;
    p.until("document.querySelectorAll('#event-rows .ev-row').length > 0 && [...document.querySelectorAll('#event-rows .ev-row')].every(r => r.classList.contains('fail'))", "failures only").await;
    p.no_script_errors("filtering").await;
}

/// Everything with the keyboard alone.
async fn keyboard(p: &Page, url: &str, trace: &[Value]) {
    p.c.goto(&format!("{url}/")).await.expect("open");
    p.until("document.body.dataset.ready === 'yes'", "the page").await;
    // Tab reaches every control.
    // The outline of each control as Tab reaches it: `:focus-visible` is for focus by keyboard,
    // which browsers tell apart from a script's focus() differently, so only Tab is asked.
    let mut seen = std::collections::BTreeSet::new();
    let mut outlines = std::collections::BTreeMap::new();
    for _ in 0..60 {
        p.key(Key::Tab).await;
        let got = p.js("const a = document.activeElement; return a ? [a.id || a.dataset.cat || a.dataset.host || a.tagName, getComputedStyle(a).outlineStyle] : ['', ''];").await;
        let id = got[0].as_str().unwrap_or("").to_string();
        // The first time: after the last control, Tab may take focus out of the page (to the
        // browser's own controls), where the element left active no longer matches :focus.
        outlines.entry(id.clone()).or_insert_with(|| got[1].as_str().unwrap_or("").to_string());
        seen.insert(id);
    }
    for id in [
        "lang-ja",
        "projector",
        "presenter",
        "help-btn",
        "to-start",
        "prev-step",
        "prev-cmd",
        "prev-event",
        "play",
        "next-event",
        "next-cmd",
        "next-fail",
        "next-step",
        "to-end",
        "speed",
        "jump",
        "scrub",
        "text-filter",
        "host-filter",
        "session-filter",
        "fail-filter",
        "event-scroll",
        "smtp",
    ] {
        assert!(seen.contains(id), "Tab never reaches #{id}; reached {seen:?}");
    }
    // A focus outline is visible on a focused button.
    for id in ["next-event", "play", "lang-ja"] {
        assert_ne!(outlines.get(id).map(String::as_str), Some("none"), "#{id} focused by Tab shows an outline");
    }
    p.js("document.activeElement.blur(); return 0;").await;
    let total = p.js("return window.maillab.total;").await.as_u64().expect("total") as usize;
    p.key(Key::End).await;
    p.at(total, "End").await;
    p.key(Key::Home).await;
    p.at(0, "Home").await;
    p.key(Key::Right).await;
    p.at(1, "→").await;
    p.keys(&[Key::Shift.into(), Key::Right.into()]).await;
    let cmd = trace
        .iter()
        .enumerate()
        .skip(1)
        .find(|(_, e)| ["smtp.cmd", "pop3.cmd", "imap.cmd", "dns.query"].contains(&s(e, "kind")))
        .map(|(i, _)| i)
        .expect("a command");
    p.at(cmd + 1, "Shift+→ to the next protocol command").await;
    // mx-fallback's two steps both start before the first command: PageUp goes back to one.
    p.key(Key::PageUp).await;
    p.until(
        &format!("Number(document.body.dataset.at) < {} && document.body.dataset.busy === 'no'", cmd + 1),
        "PageUp",
    )
    .await;
    p.keys(&[' ']).await;
    p.until("document.querySelector('#play').dataset.state === 'playing'", "Space plays").await;
    p.keys(&[' ']).await;
    p.until("document.querySelector('#play').dataset.state === 'paused'", "Space pauses").await;
    p.keys(&['?']).await;
    p.until("document.querySelector('#help').open", "? shows the shortcuts").await;
    p.shot("07-shortcuts").await;
    p.key(Key::Escape).await;
    p.until("!document.querySelector('#help').open", "Esc closes them").await;
    p.keys(&['/']).await;
    p.until("document.activeElement.id === 'text-filter'", "/ focuses the filter").await;
    p.no_script_errors("with the keyboard").await;
}

async fn language_and_projector(p: &Page, url: &str) {
    p.c.goto(&format!("{url}/?at=40")).await.expect("open");
    p.until("document.body.dataset.ready === 'yes'", "the page").await;
    p.click("#lang-ja").await;
    p.until("document.documentElement.lang === 'ja'", "lang=ja on <html>").await;
    assert_eq!(p.text("#topo-h").await, "ネットワーク");
    assert_eq!(p.text("#tab-hosts").await, "ホスト");
    // The scenario's title and the step marks' tooltips follow the language
    // (a trial found "step 2: wait 40m" on a Japanese page).
    let marks = "return [...document.querySelectorAll('#steps-marks .mark')].map((m) => m.title);";
    let titles = p.js(marks).await;
    let titles: Vec<&str> = titles.as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    assert!(!titles.is_empty() && titles.iter().all(|t| t.starts_with("ステップ ")), "{titles:?}");
    assert!(p.text("#scenario-title").await.starts_with("MX の予備"));
    // The Japanese text is drawn with a font that has the glyphs: its width differs from the
    // same number of missing-glyph boxes, and a Japanese font is installed.
    if which("fc-list").is_some() {
        let out = Command::new("fc-list").arg(":lang=ja").arg("family").output().expect("fc-list");
        assert!(!out.stdout.is_empty(), "no Japanese font installed (fonts-noto-cjk)");
    }
    p.shot("08-japanese").await;
    p.click("#lang-en").await;
    p.until("document.documentElement.lang === 'en'", "back to English").await;
    let titles = p.js(marks).await;
    assert!(titles.as_array().into_iter().flatten().all(|t| t.as_str().is_some_and(|t| t.starts_with("step "))));
    assert!(p.text("#scenario-title").await.starts_with("MX fallback"));
    p.click("#projector").await;
    p.until("document.body.classList.contains('projector')", "projector mode").await;
    assert_eq!(p.js("return getComputedStyle(document.body).fontSize;").await, json!("19px"));
    p.shot("09-projector").await;
    p.click("#projector").await;
    p.c.goto(&format!("{url}/?projector=1")).await.expect("open");
    p.until("document.body.dataset.ready === 'yes' && document.body.classList.contains('projector')", "?projector=1")
        .await;
    p.no_script_errors("switching language and view").await;
}

/// A lesson: run to a section, answer checkpoints wrong and right, progress saved, the result.
async fn lesson(p: &Page, url: &str, home: &Path) {
    p.c.goto(&format!("{url}/?presenter=1")).await.expect("open");
    p.until("document.body.dataset.ready === 'yes' && document.querySelector('form[data-id=mta-name]')", "the lesson")
        .await;
    assert_eq!(p.js("return document.body.classList.contains('presenter');").await, json!(true));
    let run_to = p.js("return Number(document.querySelector('.run-to').dataset.runTo);").await.as_u64().expect("run_to")
        as usize;
    p.click(".run-to").await;
    p.at(run_to, "run to here").await;

    let input = p.c.find(Locator::Css("form[data-id=mta-name] .answer-input")).await.expect("answer box");
    input.send_keys("SMTP").await.expect("type");
    p.click("form[data-id=mta-name] button.check").await;
    p.until("document.querySelector('form[data-id=mta-name]').dataset.outcome === 'wrong'", "a wrong answer graded")
        .await;
    // Presenter mode hides the explanation.
    let shown = p.js("return [...document.querySelectorAll('form[data-id=mta-name] .answer-only')].some(e => e.offsetParent !== null);").await;
    assert_eq!(shown, json!(false), "presenter mode hides answers");
    p.shot("10-lesson-presenter").await;
    p.click("#presenter").await;
    input.clear().await.expect("clear");
    input.send_keys("MTA").await.expect("type");
    p.click("form[data-id=mta-name] button.check").await;
    p.until("document.querySelector('form[data-id=mta-name]').dataset.outcome === 'correct'", "a right answer graded")
        .await;
    p.click("form[data-id=not-an-mta] input[value='4']").await;
    p.click("form[data-id=not-an-mta] button.check").await;
    p.until("document.querySelector('form[data-id=not-an-mta]').dataset.outcome === 'correct'", "a choice graded")
        .await;
    p.until("document.querySelector('#lesson-progress').textContent.startsWith('2 of')", "the progress").await;
    // A finished question takes no more answers: its button is gone, its choice stays.
    let done = p
        .js("const f = document.querySelector('form[data-id=not-an-mta]'); return [!!f.querySelector('button.check'), f.querySelector('input[value=\"4\"]').checked, [...f.querySelectorAll('input[type=radio]')].every((i) => i.disabled)];")
        .await;
    assert_eq!(done, json!([false, true, true]), "button, choice kept, inputs closed");
    p.shot("11-lesson").await;
    // Saved where `maillab lesson run` keeps it.
    let saved = home.join("progress/webtest").join(format!("{LESSON}.json"));
    let text = std::fs::read_to_string(&saved).unwrap_or_else(|e| panic!("{}: {e}", saved.display()));
    assert!(text.contains("mta-name") && text.contains("not-an-mta"), "{text}");
    // The lesson in Japanese.
    p.click("#lang-ja").await;
    p.until("document.querySelector('.lesson-title') && document.querySelector('.lesson-title').textContent.includes('MTA とその役割')", "the lesson in Japanese").await;
    // The picture's link latency and the expectations' results are Japanese too.
    let edges = p.js("return [...document.querySelectorAll('.edge-label')].map(e => e.textContent).join(' | ');").await;
    let edges = edges.as_str().unwrap_or_default();
    assert!(edges.contains("遅延 40ms") && !edges.contains("latency"), "{edges}");
    let total = p.js("return window.maillab.total;").await.as_u64().expect("total") as usize;
    p.jump(total).await;
    let last = p.text("#current-line").await;
    assert!(last.contains("expect.pass") && last.contains("のログ行"), "{last}");
    p.shot("12-lesson-ja").await;
    // A choice answered as the terminal takes it (a letter): shown as that option.
    let out = p
        .js("return fetch('/api/lesson/answer', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ id: 'role-mx', answer: 'c', lang: 'ja' }) }).then((r) => r.json()).then((j) => j.outcome);")
        .await;
    assert_eq!(out, json!("correct"));
    p.c.refresh().await.expect("reload");
    p.until(
        "document.body.dataset.ready === 'yes' && document.querySelector('form[data-id=role-mx]')",
        "the lesson again",
    )
    .await;
    let picked = p
        .js("const f = document.querySelector('form[data-id=role-mx]'); return [f.querySelector('input[value=\"3\"]').checked, !!f.querySelector('button.check')];")
        .await;
    assert_eq!(picked, json!([true, false]), "`c` picks option 3; no button");
    p.click("#lesson-result").await;
    p.until("document.querySelector('#result-score') !== null", "the result").await;
    // Headed columns; the answers of finished questions only.
    let heads = p.js("return [...document.querySelectorAll('table.result thead th')].map((e) => e.textContent);").await;
    assert_eq!(heads, json!(["正誤", "問題", "あなたの回答", "正解", "得点"]), "{heads}");
    let shown = p
        .js("return [...document.querySelectorAll('table.result tbody tr')].map((r) => [r.dataset.id, r.querySelector('td.expected').textContent]);")
        .await;
    for row in shown.as_array().expect("rows") {
        let (id, expected) = (row[0].as_str().unwrap_or(""), row[1].as_str().unwrap_or(""));
        // (Answered in Japanese: only role-mx; the others were answered in English.)
        let finished = id == "role-mx";
        assert_eq!(expected != "(答え終えると表示)", finished, "{id}: {expected}");
    }
    // The answer column is wide enough for a word a line, not a character,
    // and every row's cells stand under their headings (in presenter mode too).
    let w = p
        .js("const c = (s) => document.querySelector(s).getBoundingClientRect(); return [c('table.result tbody td.given').width / c('table.result').width, [...document.querySelectorAll('table.result tr')].every((r) => r.children.length === 5 && [...r.children].every((td) => getComputedStyle(td).display === 'table-cell'))];")
        .await;
    p.shot("13-lesson-result").await;
    assert!(w[0].as_f64() > Some(0.18) && w[1] == json!(true), "the answer column: {w}");
    p.no_script_errors("in the lesson").await;
}

/// Lesson text as the terminal shows it: indented lines (lesson 5's port
/// table, its commands) are preformatted, each on its own line, while the
/// wrapped prose around them joins into paragraphs; `code` in the summary.
async fn lesson_text(p: &Page, url: &str) {
    p.c.goto(&format!("{url}/?lang=en")).await.expect("open");
    p.until("document.body.dataset.ready === 'yes' && document.querySelector('#lesson-sec-1')", "the lesson").await;
    // Section 2's indented lines, from the text the page was given.
    let text = p.js("return window.maillab.lesson.data.sections[1].text;").await;
    let text = text.as_str().expect("section 2's text");
    let table: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("  ")).collect();
    assert!(table.len() >= 3, "lesson 5's section 2 has an indented port table: {text}");
    let got = p
        .js("return [...document.querySelectorAll('#lesson-sec-1 pre.lesson-pre code')].map((c) => [c.textContent, getComputedStyle(c.parentNode).whiteSpace]);")
        .await;
    assert_eq!(got[0][0], json!(table.join("\n")), "the port table is one preformatted block, line by line: {got}");
    assert!(got[0][1].as_str().is_some_and(|w| w.starts_with("pre")), "kept as lines: {got}");
    let paras =
        p.js("return [...document.querySelectorAll('#lesson-sec-1 p')].map((e) => e.textContent).join('\\n');").await;
    let paras = paras.as_str().unwrap_or("");
    for line in &table {
        assert!(!paras.contains(line.trim()), "{line:?} is not in a paragraph:\n{paras}");
    }
    // The prose before and after the table: two paragraphs, their wrapped lines joined.
    let n = p.js("return document.querySelectorAll('#lesson-sec-1 > p:not(.look-at)').length;").await;
    assert_eq!(n, json!(2), "prose, table, prose");
    // A command to type, in a later section.
    let cmds =
        p.js("return [...document.querySelectorAll('.lesson-sec pre.lesson-pre')].map((e) => e.textContent);").await;
    assert!(
        cmds.as_array().is_some_and(|a| a.iter().any(|c| c.as_str().is_some_and(|c| c.starts_with("maillab run ")))),
        "`maillab run ...` lines are preformatted: {cmds}"
    );
    // `code` in the summary is code, without its backticks.
    let summary = p.js("const s = document.querySelector('.lesson-summary'); return [s.textContent, s.querySelectorAll('code').length];").await;
    assert!(!summary[0].as_str().unwrap_or("`").contains('`') && summary[1].as_u64() >= Some(1), "{summary}");
    p.picture_clear("of the lesson's scenario").await;
    p.shot("14-lesson-text").await;
    // Japanese prose wrapped in the source joins without a space where the
    // line break falls between two Japanese characters (and with one elsewhere).
    p.c.goto(&format!("{url}/?lang=ja")).await.expect("open");
    p.until("document.body.dataset.ready === 'yes' && document.querySelector('#lesson-sec-1') && window.maillab.lesson.data.lang === 'ja'", "the lesson in Japanese").await;
    let seams = p
        .js(r#"const wide = /[\u3040-\u30ff\u3400-\u9fff\u3000-\u303f\uff00-\uffef]/u;
            const d = window.maillab.lesson.data; const out = [];
            for (const t of [d.summary, ...d.sections.map((s) => s.text)]) {
              const ls = t.split("\n").map((x) => x.trim());
              for (let i = 1; i < ls.length; i++) {
                const a = ls[i - 1], b = ls[i];
                if (a && b && wide.test(a.slice(-1)) && wide.test(b[0])) out.push(a.slice(-4) + b.slice(0, 4));
              }
            }
            const text = document.querySelector('#view-lesson').textContent;
            return [out.length, out.filter((s) => !text.includes(s))];"#)
        .await;
    assert!(seams[0].as_u64() > Some(0) && seams[1] == json!([]), "Japanese lines joined with a space: {seams}");
    let desc = p.text("#scenario-desc").await;
    assert!(!desc.contains("。 "), "{desc}");
    p.no_script_errors("in the lesson text").await;
}

/// `code` in the scenario's description; the picture clear of overlaps, in
/// both languages and in projector mode.
async fn picture_and_description(p: &Page, url: &str) {
    p.c.goto(&format!("{url}/?lang=en")).await.expect("open");
    p.until("document.body.dataset.ready === 'yes'", "the page").await;
    let desc = p.js("const d = document.querySelector('#scenario-desc'); return [d.textContent, d.querySelectorAll('code').length];").await;
    assert!(!desc[0].as_str().unwrap_or("`").contains('`') && desc[1].as_u64() >= Some(1), "{desc}");
    p.picture_clear("in English").await;
    p.shot("15-picture").await;
    p.click("#projector").await;
    p.until("document.body.classList.contains('projector')", "projector mode").await;
    p.picture_clear("in projector mode").await;
    p.click("#lang-ja").await;
    p.until("document.documentElement.lang === 'ja'", "Japanese").await;
    p.picture_clear("in projector mode, in Japanese").await;
    p.shot("16-picture-projector-ja").await;
    p.click("#projector").await;
    p.click("#lang-en").await;
    p.until("document.documentElement.lang === 'en' && !document.body.classList.contains('projector')", "back").await;
    p.no_script_errors("in the picture").await;
}
