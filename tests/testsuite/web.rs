//! `maillab web`: the built program serves the API on a free loopback port;
//! the state it reports after N events, forward and back, is exactly the
//! state of a fresh Lab run to N. Plain HTTP/1.1 over a std TcpStream.

use crate::common::scenario_path;
use maillab::lab::{Lab, RunOptions, Until};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

struct Web {
    child: Child,
    addr: String,
}

impl Drop for Web {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(args: &[&str]) -> Web {
    start_in(args, &std::env::temp_dir().join(format!("maillab-web-test-{}", std::process::id())))
}

/// With a `MAILLAB_HOME` of its own (progress files no other test touches).
fn start_in(args: &[&str], home: &std::path::Path) -> Web {
    let mut child = Command::new(env!("CARGO_BIN_EXE_maillab"))
        .arg("web")
        .args(args)
        .args(["--port", "0"])
        .env("MAILLAB_HOME", home)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("maillab starts");
    let out = child.stdout.take().expect("stdout");
    let mut line = String::new();
    let _ = BufReader::new(out).read_line(&mut line);
    let addr = line
        .trim()
        .strip_prefix("maillab web: http://")
        .and_then(|s| s.strip_suffix('/'))
        .unwrap_or_else(|| panic!("the address line, got {line:?}"))
        .to_string();
    Web { child, addr }
}

/// GET (or POST with a JSON body) and return (status, body).
fn http(addr: &str, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    let body = body.unwrap_or("");
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).expect("send");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read");
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body =
        if head.to_ascii_lowercase().contains("transfer-encoding: chunked") { unchunk(rest) } else { rest.to_string() };
    (status, body)
}

fn unchunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

fn get_json(addr: &str, path: &str) -> serde_json::Value {
    let (status, body) = http(addr, "GET", path, None);
    assert_eq!(status, 200, "GET {path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: {e}: {body}"))
}

#[test]
fn web_serves_meta_events_and_exact_states_forward_and_back() {
    let file = scenario_path("relay-chain");
    let w = start(&[file.to_str().expect("utf-8 path")]);
    let meta = get_json(&w.addr, "/api/meta");
    assert_eq!(meta["mode"], "sim");
    assert_eq!(meta["scenario"]["name"], "relay-chain");
    let total = meta["total"].as_u64().expect("total") as usize;
    assert!(total > 50, "{total}");
    assert!(meta["hosts"].as_array().is_some_and(|h| h.len() == 5));
    assert!(meta["steps"].as_array().is_some_and(|s| !s.is_empty()));
    // The picture's link label has words, so it comes in Japanese too.
    let link = meta["edges"].as_array().into_iter().flatten().find(|e| e["kind"] == "link").expect("a link edge");
    assert_eq!(
        (link["label"].as_str(), link["label_ja"].as_str()),
        (Some("latency 40ms"), Some("遅延 40ms")),
        "{link}"
    );

    let ev = get_json(&w.addr, "/api/events?offset=0&limit=10");
    assert_eq!(ev["all"].as_u64(), Some(total as u64));
    assert_eq!(ev["rows"].as_array().map(Vec::len), Some(10));
    let smtp = get_json(&w.addr, "/api/events?cat=smtp&limit=1000");
    assert!(smtp["rows"].as_array().is_some_and(|r| r.iter().all(|r| r["cat"] == "smtp")));

    let sc = maillab::scenario::load_file(&file).expect("loads");
    for n in [0, 40, total / 2, 5, total, 41, 39, 1, total - 3] {
        let got = get_json(&w.addr, &format!("/api/state?at={n}"));
        let mut lab = Lab::new(&sc, RunOptions { wire: false }).expect("lab");
        lab.run_until(Until::Event(n));
        let snap = lab.snapshot();
        assert_eq!(got["at"].as_u64(), Some(n as u64));
        assert_eq!(got["events"].as_u64(), Some(snap.events as u64), "at {n}");
        assert_eq!(got["time"].as_str(), Some(snap.time.as_str()), "at {n}");
        let mut hosts = serde_json::to_value(&snap.hosts).expect("json");
        // The page's state carries the maillog of exactly the first N events.
        let events = lab.with_events(|e| e.to_vec());
        for h in hosts.as_array_mut().into_iter().flatten() {
            let name = h["name"].as_str().unwrap_or("").to_string();
            let log: Vec<String> = events[..n.min(events.len())]
                .iter()
                .filter(|e| e.kind == maillab::trace::Kind::Log && e.host == name)
                .filter_map(|e| e.line.clone())
                .collect();
            if let Some(o) = h.as_object_mut() {
                o.remove("maillog");
                // A host this small is sent whole; the totals are its sizes.
                let len = |k: &str| o.get(k).and_then(|v| v.as_array()).map_or(0, Vec::len);
                let boxes = o.get("mailboxes").and_then(|v| v.as_array()).cloned().unwrap_or_default();
                let messages: usize = boxes.iter().map(|b| b["messages"].as_array().map_or(0, Vec::len)).sum();
                let members: Vec<usize> = o
                    .get("lists")
                    .and_then(|v| v.as_array())
                    .map(|ls| ls.iter().map(|l| l["members"].as_array().map_or(0, Vec::len)).collect())
                    .unwrap_or_default();
                let (nqueue, nboxes, ndns) = (len("queue"), len("mailboxes"), len("dns"));
                o.insert("queue_total".into(), serde_json::json!(nqueue));
                o.insert("mailboxes_total".into(), serde_json::json!(nboxes));
                o.insert("messages_total".into(), serde_json::json!(messages));
                o.insert("maillog_total".into(), serde_json::json!(log.len()));
                o.insert("dns_total".into(), serde_json::json!(ndns));
                if !members.is_empty() {
                    o.insert("members_total".into(), serde_json::json!(members));
                }
                if !log.is_empty() {
                    o.insert("maillog".into(), serde_json::json!(log));
                }
            }
        }
        assert_eq!(got["hosts"], hosts, "the hosts after {n} events");
    }

    // Navigation, a session's transcript, a stored message with its hops.
    let nav = get_json(&w.addr, "/api/nav?at=0&by=command&dir=next");
    let at = nav["at"].as_u64().expect("at");
    assert!(at > 0);
    let end = get_json(&w.addr, &format!("/api/state?at={total}"));
    let mx = end["hosts"].as_array().and_then(|h| h.iter().find(|h| h["name"] == "mx")).expect("mx").clone();
    let mb = &mx["mailboxes"][0];
    let uid = mb["messages"][0]["uid"].as_u64().expect("a delivered message");
    let user = mb["user"].as_str().expect("user");
    let msg = get_json(&w.addr, &format!("/api/message?host=mx&user={user}&mailbox=INBOX&uid={uid}"));
    let by: Vec<&str> = msg["hops"].as_array().expect("hops").iter().filter_map(|h| h["by"].as_str()).collect();
    assert_eq!(by, vec!["dept", "hub", "mx"]);
    let s = get_json(&w.addr, &format!("/api/session/1?at={total}"));
    assert_eq!(s["proto"], "smtp");

    // Bad input: 400 with a JSON error; nothing kills the server.
    for bad in [
        "/api/state?at=x",
        "/api/events?cat=nope",
        "/api/nav?by=sideways",
        "/api/jump?time=25:99",
        "/api/events?limit=-1",
    ] {
        let (status, body) = http(&w.addr, "GET", bad, None);
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(body.contains("\"error\""), "{bad}: {body}");
    }
    let (status, _) = http(&w.addr, "GET", "/api/event/999999", None);
    assert_eq!(status, 404);
    let (status, body) = http(&w.addr, "GET", "/", None);
    assert_eq!(status, 200);
    assert!(body.contains("<html"), "{body}");
    assert_eq!(get_json(&w.addr, "/api/meta")["total"].as_u64(), Some(total as u64), "still serving");
}

#[test]
fn web_with_a_lesson_grades_and_saves_answers() {
    let w = start(&["--lesson", "02-mta-roles-and-mx", "--lang", "en"]);
    let l = get_json(&w.addr, "/api/lesson");
    let id = l["sections"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["checkpoints"].as_array().cloned().unwrap_or_default())
        .next()
        .and_then(|c| c["id"].as_str().map(str::to_string))
        .expect("a checkpoint");
    let (status, body) =
        http(&w.addr, "POST", "/api/lesson/answer", Some(&format!(r#"{{"id":"{id}","answer":"surely wrong"}}"#)));
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"outcome\":\"wrong\""), "{body}");
    let (status, _) = http(&w.addr, "POST", "/api/lesson/answer", Some("{not json"));
    assert_eq!(status, 400);
    let r = get_json(&w.addr, "/api/lesson/result?lang=ja");
    assert_eq!(r["lang"], "ja");
}

/// The expectations' results come with their Japanese line, as every other
/// narrated event does: the page shows `line_ja` to a Japanese reader.
#[test]
fn web_rows_of_expectations_carry_their_japanese_line() {
    let w = start(&["--lesson", "04-pop-and-imap", "--lang", "ja"]);
    let total = get_json(&w.addr, "/api/meta")["total"].as_u64().expect("total");
    let ev = get_json(&w.addr, &format!("/api/events?offset={}&limit=50", total.saturating_sub(50)));
    let rows: Vec<&serde_json::Value> = ev["rows"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["kind"] == "expect.pass" || r["kind"] == "expect.fail")
        .collect();
    assert!(!rows.is_empty(), "no expectation rows in {ev}");
    for r in &rows {
        assert!(r["line_ja"].as_str().is_some_and(|l| !l.is_empty() && l != r["line"]), "no Japanese line: {r}");
    }
    assert!(
        rows.iter()
            .any(|r| r["line_ja"].as_str().is_some_and(|l| l.contains("/imap-login") && l.contains("mail のログ行"))),
        "{rows:?}"
    );
}

/// No route of the page gives a checkpoint's answer or explanation before
/// the checkpoint is done (a user trial read every answer off the result
/// table before answering anything); once it is done, its own are shown.
#[test]
fn web_withholds_answers_until_a_checkpoint_is_done() {
    let name = "04-pop-and-imap";
    let l = maillab::lesson::load_file(&maillab::lesson::locate(name)).expect("the lesson loads");
    // The first line of each explanation, in both languages, as the page would carry it.
    let explains: Vec<(String, String)> = l
        .checkpoints()
        .filter_map(|cp| cp.explain.as_ref().map(|e| (cp.id.clone(), e)))
        .flat_map(|(id, e)| {
            [maillab::lesson::Lang::En, maillab::lesson::Lang::Ja]
                .map(|lang| (id.clone(), lang.pick(e).lines().next().unwrap_or("").trim().to_string()))
        })
        .filter(|(_, e)| e.chars().count() >= 8)
        .collect();
    assert!(explains.len() >= 8, "lesson 04 explains its answers: {explains:?}");
    let home = std::env::temp_dir().join(format!("maillab-web-keys-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    let w = start_in(&["--lesson", name, "--lang", "ja"], &home);
    let routes = [
        "/",
        "/api/meta",
        "/api/lesson",
        "/api/lesson?lang=en",
        "/api/lesson/result",
        "/api/lesson/result?lang=en",
        "/api/events?limit=1000",
    ];
    let bodies = |w: &Web| -> Vec<(String, String)> {
        routes.iter().map(|r| (r.to_string(), http(&w.addr, "GET", r, None).1)).collect()
    };
    for (route, body) in bodies(&w) {
        for (id, e) in &explains {
            assert!(!body.contains(e.as_str()), "{route} shows the explanation of {id} before it is answered");
        }
    }
    for lang in ["ja", "en"] {
        let r = get_json(&w.addr, &format!("/api/lesson/result?lang={lang}"));
        let items = r["items"].as_array().expect("items");
        assert_eq!(items.len(), l.checkpoints().count());
        for it in items {
            assert!(it["expected"].is_null() && it["explain"].is_null(), "{lang}: {it}");
            assert_eq!(it["done"], false, "{it}");
        }
    }
    // One checkpoint answered wrong twice (in Japanese): its answer is shown, in
    // Japanese only; a wrong answer with a try left shows nothing yet.
    let cps: Vec<&maillab::lesson::Checkpoint> = l.checkpoints().collect();
    let ctx = maillab::lesson::Context::run(&l).expect("runs");
    let wrong = |cp: &maillab::lesson::Checkpoint| {
        // An option number that is not the answer, or a number, or words: whichever the question takes.
        ["1", "2", "3", "7", "surely not this"]
            .iter()
            .find(|a| maillab::lesson::check(cp, a, &ctx) == maillab::lesson::answer::Verdict::Wrong)
            .map(|a| a.to_string())
            .expect("a wrong answer")
    };
    let (done, pending) = (cps[0], cps[1]);
    let post = |id: &str, a: &str| {
        let (status, body) = http(
            &w.addr,
            "POST",
            "/api/lesson/answer",
            Some(&format!(r#"{{"id":"{id}","answer":"{a}","lang":"ja"}}"#)),
        );
        assert_eq!(status, 200, "{body}");
        body
    };
    let a = wrong(done);
    post(&done.id, &a);
    post(&done.id, &a);
    post(&pending.id, &wrong(pending));
    let r = get_json(&w.addr, "/api/lesson/result?lang=ja");
    for it in r["items"].as_array().expect("items") {
        if it["id"] == done.id.as_str() {
            assert_eq!(it["done"], true, "{it}");
            assert!(it["expected"].is_string(), "{it}");
        } else {
            assert!(it["expected"].is_null() && it["explain"].is_null(), "{it}");
        }
    }
    let en = get_json(&w.addr, "/api/lesson/result?lang=en");
    assert!(en["items"].as_array().expect("items").iter().all(|it| it["expected"].is_null()), "{en}");
    for (route, body) in bodies(&w) {
        for (id, e) in &explains {
            if id != &done.id {
                assert!(!body.contains(e.as_str()), "{route} shows the explanation of {id} before it is done");
            }
        }
    }
    drop(w);
    let _ = std::fs::remove_dir_all(&home);
}
