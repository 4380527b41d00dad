//! Fuzz regressions: every input under `fuzz/regressions/<target>/` goes
//! through the same library code as the fuzz target of that name
//! (`fuzz/fuzz_targets/<target>.rs`, copied here) and must not panic.
//!
//! The inputs are crashes the fuzzer found (minimised with `cargo fuzz tmin`)
//! and hand-made nasty inputs (`hand-*`). README files are skipped. Every
//! target's folder must hold at least one input, so that this test cannot
//! pass on nothing.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use maillab::proto::dns;
use maillab::proto::imap::{self, ImapConfig};
use maillab::proto::pop3::{self, Pop3Config};
use maillab::proto::smtp::address::parse_mailbox;
use maillab::proto::smtp::client::{Client, ClientAuth, Job};
use maillab::proto::smtp::server::{self, Envelope, Peer, Policy, ServerConfig};
use maillab::proto::smtp::{Flavour, Mailbox, Path as SmtpPath, Reply};
use maillab::store::Store;

const TARGETS: &[&str] = &["smtp_server", "smtp_client", "pop3", "imap", "dns", "scenario", "lesson", "listserv"];

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

/// Poll until there is nothing more to do. The fuzz targets loop with
/// `while poll().is_some() {}`; here a core that never settles fails the test
/// instead of hanging it.
fn settle<T>(mut poll: impl FnMut() -> Option<T>) {
    let mut n = 0;
    while poll().is_some() {
        n += 1;
        assert!(n < 100_000, "poll never settles");
    }
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
            assert!(TARGETS.contains(&name.as_str()), "fuzz/regressions/{name}/ is not a fuzz target: {TARGETS:?}");
        }
    }
    for t in TARGETS {
        assert!(!inputs(t).is_empty(), "no inputs in fuzz/regressions/{t}/");
    }
}

// --- smtp_server (fuzz/fuzz_targets/smtp_server.rs) ---

struct Accept;
impl Policy for Accept {
    fn greeting(&mut self) -> Reply {
        Reply::new(220, "fuzz ESMTP")
    }
    fn mail(&mut self, _: &Envelope) -> Reply {
        Reply::new(250, "2.1.0 Ok")
    }
    fn rcpt(&mut self, _: &Envelope, m: &Mailbox) -> Reply {
        if m.local.len().is_multiple_of(2) { Reply::new(250, "2.1.5 Ok") } else { Reply::new(550, "5.1.1 no") }
    }
    fn message(&mut self, _: &Envelope, data: Vec<u8>) -> Reply {
        assert!(data.len() <= 4096 + 1002);
        Reply::new(250, "2.0.0 queued")
    }
    fn password(&mut self, u: &str) -> Option<String> {
        (u == "bob").then(|| "secret".to_string())
    }
}

fn smtp_server_input(data: &[u8]) {
    let cut = data.first().map(|b| *b as usize).unwrap_or(0).min(data.len());
    for flavour in [Flavour::Sendmail, Flavour::Postfix] {
        let cfg = ServerConfig {
            hostname: "mx.example".into(),
            flavour,
            max_message_size: 4096,
            max_recipients: 5,
            auth: true,
            show_secrets: true,
        };
        let mut s = server::Server::new(cfg, Peer { ip: std::net::Ipv4Addr::new(192, 0, 2, 1), name: None });
        let mut p = Accept;
        for part in [&data[..cut], &data[cut..]] {
            s.feed(part);
            settle(|| s.poll(&mut p));
        }
    }
}

#[test]
fn smtp_server() {
    check("smtp_server", smtp_server_input);
}

// --- smtp_client (fuzz/fuzz_targets/smtp_client.rs) ---

fn smtp_client_input(data: &[u8]) {
    let Ok(rcpt) = parse_mailbox("alice@example.com") else { return };
    let auth = data.len().is_multiple_of(2).then(|| ClientAuth {
        user: "u".into(),
        password: "p".into(),
        mechanism: "CRAM-MD5".into(),
    });
    let mut c = Client::new(Job {
        helo: "h.example".into(),
        from: SmtpPath::Null,
        rcpts: vec![rcpt],
        data: b"x\r\n".to_vec(),
        auth,
    });
    for chunk in data.chunks(7) {
        c.feed(chunk);
        settle(|| c.poll());
    }
    c.connection_lost("end of input");
    settle(|| c.poll());
}

#[test]
fn smtp_client() {
    check("smtp_client", smtp_client_input);
}

// --- pop3 (fuzz/fuzz_targets/pop3.rs) ---

fn fixed_time() -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::from_timestamp(1_775_000_000, 0).unwrap_or_default().fixed_offset()
}

fn pop3_input(data: &[u8]) {
    let mut store = Store::new();
    store.add_account("alice@example.com", "pw");
    let t = fixed_time();
    store.deliver("alice@example.com", Arc::new(b"Subject: a\r\n\r\n.dot\r\nbody\r\n".to_vec()), t);
    store.deliver("alice@example.com", Arc::new(b"Subject: b\r\n\r\nx\r\n".to_vec()), t);
    let mut s = pop3::Server::new(
        Pop3Config { hostname: "pop.example".into(), show_secrets: false },
        "<1.2@pop.example>".into(),
    );
    let mut input = b"USER alice@example.com\r\nPASS pw\r\n".to_vec();
    input.extend_from_slice(data);
    for chunk in input.chunks(11) {
        s.feed(chunk);
        settle(|| s.poll(&mut store));
    }
    s.peer_closed();
}

#[test]
fn pop3() {
    check("pop3", pop3_input);
}

// --- imap (fuzz/fuzz_targets/imap.rs) ---

fn imap_input(data: &[u8]) {
    let mut store = Store::new();
    store.add_account("alice@example.com", "pw");
    let t = fixed_time();
    let mime = b"Subject: m\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: application/octet-stream\r\n\r\nAAAA\r\n--b--\r\n";
    store.deliver("alice@example.com", Arc::new(mime.to_vec()), t);
    store.deliver("alice@example.com", Arc::new(b"Subject: b\r\n\r\nx\r\n".to_vec()), t);
    let mut s =
        imap::Server::new(ImapConfig { hostname: "imap.example".into(), show_secrets: false, max_literal: 4096 });
    let mut input = b"a LOGIN alice@example.com pw\r\nb SELECT INBOX\r\n".to_vec();
    input.extend_from_slice(data);
    for chunk in input.chunks(13) {
        s.feed(chunk);
        settle(|| s.poll(&mut store, t));
    }
    s.mailbox_changed();
    settle(|| s.poll(&mut store, t));
    s.peer_closed();
}

#[test]
fn imap() {
    check("imap", imap_input);
}

// --- dns (fuzz/fuzz_targets/dns.rs) ---

fn dns_input(data: &[u8]) {
    let _ = dns::decode_response(data);
    let _ = dns::encode_formerr(data);
    if let Ok(q) = dns::decode_query(data) {
        let mut db = dns::DnsDb::new();
        db.add_zone("example.com");
        if let Ok(r) = dns::parse_record("@ MX 10 mx.example.com.", "example.com") {
            db.add(r);
        }
        let a = db.answer(&q.question);
        let _ = dns::decode_response(&dns::encode_response(&q, &a));
    }
    let line = String::from_utf8_lossy(data);
    let _ = dns::parse_record(&line, "example.com");
}

#[test]
fn dns() {
    check("dns", dns_input);
}

// --- scenario and lesson (fuzz/fuzz_targets/scenario.rs, lesson.rs) ---

fn scenario_input(data: &[u8]) {
    let src = String::from_utf8_lossy(data);
    let _ = maillab::scenario::load_str(&src, "fuzz.yaml");
}

#[test]
fn scenario() {
    check("scenario", scenario_input);
}

fn lesson_input(data: &[u8]) {
    let src = String::from_utf8_lossy(data);
    let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/lessons/fuzz.yaml"));
    let _ = maillab::lesson::load_str(&src, path);
}

#[test]
fn lesson() {
    check("lesson", lesson_input);
}

/// As `fuzz/fuzz_targets/listserv.rs`: messages separated by NUL, the first
/// byte of each picking the list address and the envelope sender.
fn listserv_input(data: &[u8]) {
    use maillab::listserv::{Attachments, Cx, Delivery, Dest, Kind, List, ListConfig, Member, Others};
    let mut c = ListConfig::new("ohanashi", "mailing-list.jp");
    c.admins = vec!["admin@example.org".into()];
    c.password = Some("pw".into());
    c.moderators = vec!["mod@example.org".into()];
    c.kind = Kind::Moderated;
    c.others = Others::Hold;
    c.max_size = Some(4000);
    c.attachments = Attachments::Strip;
    for (a, d) in [("a@example.org", Delivery::Each), ("b@example.org", Delivery::Digest)] {
        c.members.push(Member { address: a.into(), name: String::new(), delivery: d });
    }
    let mut list = List::new(c);
    let t = fixed_time();
    let mut k = 7u32;
    let mut key = move || {
        k = k.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        k
    };
    for msg in data.split(|b| *b == 0) {
        let Some((&sel, body)) = msg.split_first() else { continue };
        let dest = match sel % 3 {
            0 => Dest::Post,
            1 => Dest::Ctl,
            _ => Dest::Admin,
        };
        let from = match (sel / 3) % 4 {
            0 => None,
            1 => Some("a@example.org"),
            2 => Some("mod@example.org"),
            _ => Some("admin@example.org"),
        };
        let mut cx = Cx { now: t, key: &mut key };
        let _ = list.receive(dest, from, body, &mut cx);
        if sel & 0x80 != 0 {
            let _ = list.digest(&cx);
        }
    }
}

#[test]
fn listserv() {
    check("listserv", listserv_input);
}
