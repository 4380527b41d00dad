//! The lab bench: a paused and resumed run is the same run; snapshots show
//! what is inside the hosts at that point.

use super::*;
use std::path::Path;

fn scenario(name: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(format!("{name}.yaml"));
    match crate::scenario::load_file(&path) {
        Ok(sc) => sc,
        Err(d) => panic!("{name}: {d}"),
    }
}

fn shipped() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".yaml")).map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn opts() -> RunOptions {
    RunOptions { wire: false }
}

#[test]
fn a_run_paused_anywhere_is_the_same_run() {
    let names = shipped();
    assert!(names.len() >= 10, "the shipped scenarios are found");
    for name in names {
        let sc = scenario(&name);
        let whole = run_with(&sc, opts()).map(|r| r.events).unwrap_or_default();
        // Pause at many points (every event for small runs), looking inside each time.
        let stride = (whole.len() / 150).max(1);
        let mut lab = Lab::new(&sc, opts()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut k = 1;
        while !lab.is_finished() {
            lab.run_until(Until::Event(k));
            let snap = lab.snapshot();
            let n = lab.events_len();
            assert!(n >= k.min(whole.len()) || lab.is_finished(), "{name}: stopped early at {n} < {k}");
            assert_eq!(snap.events, n);
            lab.with_events(|e| assert!(whole.starts_with(e), "{name}: the first {n} events differ"));
            k += stride;
        }
        let paused = lab.finish().events;
        assert_eq!(paused, whole, "{name}: a paused run ended differently");
    }
}

#[test]
fn run_until_a_step_stops_as_it_starts() {
    let sc = scenario("pop-before-smtp");
    let mut lab = Lab::new(&sc, opts()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(lab.current_step(), 0);
    lab.run_until(Until::Step(2));
    assert_eq!(lab.current_step(), 2);
    let last_step = lab.with_events(|e| e.iter().rev().find(|e| e.kind == Kind::Step).cloned());
    assert_eq!(last_step.and_then(|e| e.field_u64(Field::Step)), Some(2));
    // Running to an earlier point does nothing.
    let n = lab.events_len();
    lab.run_until(Until::Step(1));
    assert_eq!(lab.events_len(), n);
}

#[test]
fn a_queued_message_and_its_next_retry_are_visible_while_the_hub_is_down() {
    let sc = scenario("queue-retry");
    let mut lab = Lab::new(&sc, opts()).unwrap_or_else(|e| panic!("{e}"));
    lab.run_until(Until::Time(Duration::from_secs(30 * 60)));
    let snap = lab.snapshot();
    assert!(
        snap.time.starts_with(&(sc.start + chrono::Duration::minutes(30)).format("%Y-%m-%dT%H:%M").to_string()),
        "{}",
        snap.time
    );
    let hub = snap.host("hub").expect("hub");
    assert!(hub.down, "the hub is down for 2h");
    let dept = snap.host("dept").expect("dept");
    assert_eq!(dept.queue.len(), 1, "{dept:?}");
    let q = &dept.queue[0];
    assert_eq!(q.rcpts, vec!["alice@example.com".to_string()]);
    assert!(q.attempts >= 1);
    assert!(q.next_try > snap.time, "the next retry ({}) is after now ({})", q.next_try, snap.time);
    assert!(dept.maillog.iter().any(|l| l.contains("status=deferred")), "{:?}", dept.maillog);
    // At the end: delivered, nothing queued, the hub up again.
    lab.run_until(Until::End);
    let snap = lab.snapshot();
    assert!(snap.finished);
    assert!(!snap.host("hub").expect("hub").down);
    assert!(snap.hosts.iter().all(|h| h.queue.is_empty()));
    let stored: usize = snap
        .hosts
        .iter()
        .flat_map(|h| &h.mailboxes)
        .filter(|m| m.user == "alice@example.com")
        .map(|m| m.messages.len())
        .sum();
    assert_eq!(stored, 1);
}

#[test]
fn mailboxes_flags_popauth_and_dns_data_are_in_the_snapshot() {
    let sc = scenario("pop-before-smtp");
    let mut lab = Lab::new(&sc, opts()).unwrap_or_else(|e| panic!("{e}"));
    let mut saw_popauth = false;
    while !lab.is_finished() {
        let before = lab.events_len();
        lab.step();
        if lab.with_events(|e| e[before..].iter().any(|e| e.kind == Kind::PopauthAdd)) {
            let snap = lab.snapshot();
            saw_popauth = snap.hosts.iter().any(|h| !h.popauth.is_empty());
            break;
        }
    }
    assert!(saw_popauth, "a POP3 login opens the relay, and the table shows it");
    let snap = lab.snapshot();
    let dns: Vec<&String> = snap.hosts.iter().flat_map(|h| &h.dns).collect();
    assert!(dns.iter().any(|l| l.contains(" MX ")), "{dns:?}");
}

#[test]
fn list_members_grow_when_a_join_is_confirmed() {
    let sc = scenario("list-join");
    let mut lab = Lab::new(&sc, opts()).unwrap_or_else(|e| panic!("{e}"));
    let members =
        |lab: &mut Lab| -> usize { lab.snapshot().hosts.iter().flat_map(|h| &h.lists).map(|l| l.members.len()).sum() };
    let before = members(&mut lab);
    lab.run_until(Until::End);
    let after = members(&mut lab);
    assert!(after > before, "members {before} -> {after}");
    let archived: usize = lab.snapshot().hosts.iter().flat_map(|h| &h.lists).map(|l| l.archive.len()).sum();
    assert!(archived > 0);
}

#[test]
fn postmaster_is_accepted_at_every_local_domain_and_the_host_name() {
    // RFC 5321 §4.5.1: postmaster@ each served domain, and the host's own
    // name, reach the host's postmaster mailbox (no alias in this scenario).
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/relay-chain.yaml");
    let src = std::fs::read_to_string(&path).unwrap_or_default().replace(
        "to: [alice@example.com]",
        "to: [alice@example.com, Postmaster@example.com, postmaster@mx.example.com]",
    );
    let sc = crate::scenario::load_str(&src, "relay-chain-postmaster.yaml").unwrap_or_else(|d| panic!("{d}"));
    let mut lab = Lab::new(&sc, opts()).unwrap_or_else(|e| panic!("{e}"));
    lab.run_until(Until::End);
    let snap = lab.snapshot();
    let mx = snap.host("mx").unwrap_or_else(|| panic!("no mx in {snap:?}"));
    let count = |user: &str| mx.mailboxes.iter().find(|m| m.user == user).map(|m| m.messages.len());
    assert_eq!(count("postmaster@mx.example.com"), Some(2), "{:?}", mx.mailboxes);
    assert_eq!(count("alice@example.com"), Some(1));
    let failures =
        lab.with_events(|e| e.iter().filter(|e| e.is_failure()).map(|e| format!("{e:?}")).collect::<Vec<_>>());
    assert!(failures.is_empty(), "{failures:#?}");
}

/// A scenario that retries every second for a year ends at the event budget
/// with a `run.limit` line, instead of running (apparently) for ever.
#[test]
fn an_endless_run_stops_at_the_event_budget() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/broken/retry-forever.yaml");
    let sc = crate::scenario::load_file(&path).unwrap_or_else(|d| panic!("{d}"));
    let lab = Lab::new(&sc, opts()).expect("a runtime").with_event_budget(2_000);
    let r = lab.finish();
    let limit = r.events.iter().find(|e| e.kind == Kind::RunLimit).expect("a run.limit event");
    let line = limit.line.clone().unwrap_or_default();
    assert!(line.contains("event budget of 2000 events reached"), "{line}");
    assert!(r.events.len() < 2_200, "{}", r.events.len());
}

/// Run a scenario given as text; every expectation in it must hold.
fn run_text(src: &str) -> Vec<crate::trace::Event> {
    let sc = match crate::scenario::load_str(src, "inline.yaml") {
        Ok(sc) => sc,
        Err(d) => panic!("{d}"),
    };
    let r = run_with(&sc, opts()).unwrap_or_else(|e| panic!("{e}"));
    let failed: Vec<String> =
        r.events.iter().filter(|e| e.kind == crate::trace::Kind::ExpectFail).filter_map(|e| e.line.clone()).collect();
    assert!(failed.is_empty() && r.failed == 0, "expectations failed: {failed:#?}");
    assert!(r.passed > 0, "the scenario expects something");
    r.events
}

const RELOAD_HOSTS: &str = r#"
version: 1
name: reload
start: 2026-05-12T21:40:00+09:00
seed: 3
network:
  links:
    - between: [dept, mx-net]
      latency: 1m
hosts:
  - { name: pc, role: mua, address: 192.0.2.23, hostname: pc23.cs.example.ac.jp }
  - name: dept
    role: relay
    address: 192.0.2.25
    hostname: mail.cs.example.ac.jp
    domains: [cs.example.ac.jp]
    allow_relay: { networks: [192.0.2.0/24] }
  - name: ns
    role: dns
    address: 192.0.2.53
    hostname: ns.example.ac.jp
    zones:
      example.net: ["@ MX 10 mx.example.net.", "mx A 198.51.100.30"]
  - { name: mx-net, role: mx, address: 198.51.100.30, hostname: mx.example.net, domains: [example.net] }
users:
  - address: alice@example.net
  - address: taro@cs.example.ac.jp
"#;

#[test]
fn a_session_open_at_a_reload_keeps_the_old_settings() {
    // One minute each way between the relay and the MX: the relay's session
    // has been accepted, and is in its EHLO, when the MX's administrator
    // lowers the size limit at 4m.
    // That session goes on with the old limit (a running smtpd keeps the
    // configuration it started with, in Postfix and sendmail alike); the
    // next one is refused.
    let src = format!(
        "{RELOAD_HOSTS}{}",
        r#"
steps:
  - send: { from_host: pc, via: dept, from: taro@cs.example.ac.jp, to: [alice@example.net], subject: one, body: one }
  - at: 4m
    configure: { host: mx-net, set: { max_message_size: 100 } }
  - at: 1h
    send: { from_host: pc, via: dept, from: taro@cs.example.ac.jp, to: [alice@example.net], subject: two, body: two }
expect:
  - delivered: { to: alice@example.net, count: 1, subject: one }
  - trace: { kind: smtp.reply, host: mx-net, matches: "552 5.2.3 Message size exceeds fixed maximum message size \\(100\\)" }
"#
    );
    let events = run_text(&src);
    use crate::trace::Kind;
    let at = |pred: &dyn Fn(&crate::trace::Event) -> bool| events.iter().position(pred);
    let reload = at(&|e| e.kind == Kind::HostConfigure).unwrap_or(usize::MAX);
    let to_mx =
        at(&|e| e.kind == Kind::TcpAccept && e.line.as_deref().is_some_and(|l| l.contains("connection from dept")))
            .unwrap_or(usize::MAX);
    let data = at(&|e| {
        e.kind == Kind::SmtpReply && e.line.as_deref().is_some_and(|l| l.contains("354")) && e.host == "mx-net"
    });
    assert!(to_mx < reload, "the MX accepted the relay's session ({to_mx}) before the reload ({reload})");
    assert!(data.is_some_and(|d| d > reload), "its DATA ({data:?}) came after the reload ({reload})");
}

#[test]
fn a_reload_changes_a_running_list_and_keeps_its_members() {
    let src = r#"
version: 1
name: list-reload
start: 2026-04-01T10:00:00+09:00
seed: 61
hosts:
  - { name: pc, role: mua, address: 192.0.2.31, hostname: pc.hogehoge.example }
  - { name: spammer, role: mua, address: 203.0.113.66, hostname: bulk.spam.example }
  - name: members-mx
    role: mailstore
    address: 192.0.2.30
    hostname: mail.hogehoge.example
    domains: [hogehoge.example]
    allow_relay: { networks: [192.0.2.0/24] }
  - name: mailsv
    role: list
    address: 198.51.100.10
    hostname: mailsv.mailing-list.jp
    domains: [mailing-list.jp]
    lists:
      ohanashi:
        admin: [yamada@hogehoge.example]
        members: [yamada@hogehoge.example, tora@hogehoge.example]
        others: ignore
  - name: ns
    role: dns
    address: 192.0.2.53
    hostname: ns.example.net
    zones:
      mailing-list.jp: ["@ MX 10 mailsv.mailing-list.jp.", "mailsv A 198.51.100.10"]
      hogehoge.example: ["@ MX 10 mail.hogehoge.example.", "mail A 192.0.2.30"]
users:
  - address: yamada@hogehoge.example
  - address: tora@hogehoge.example
steps:
  - send: { from_host: spammer, via: mailsv, from: offers@spam.example, to: [ohanashi@mailing-list.jp], subject: Won, body: Click. }
  - send: { from_host: pc, via: members-mx, from: yamada@hogehoge.example, to: [ohanashi@mailing-list.jp], subject: Before, body: One. }
  - at: 1h
    configure: { host: mailsv, set: { lists: { ohanashi: { others: hold, subject_tag: false } } } }
  - send: { from_host: spammer, via: mailsv, from: offers@spam.example, to: [ohanashi@mailing-list.jp], subject: Won again, body: Click. }
  - send: { from_host: pc, via: members-mx, from: yamada@hogehoge.example, to: [ohanashi@mailing-list.jp], subject: After, body: Two. }
expect:
  - trace: { kind: list.ignore, host: mailsv, matches: "offers@spam.example" }
  - trace: { kind: host.configure, host: mailsv, matches: "list ohanashi: others hold, subject_tag false" }
  - trace: { kind: list.hold, host: mailsv, matches: "offers@spam.example" }
  - delivered: { to: tora@hogehoge.example, subject: "[ohanashi:00001] Before" }
  - delivered: { to: tora@hogehoge.example, subject: "After" }
"#;
    let events = run_text(src);
    let kinds: Vec<crate::trace::Kind> = events.iter().map(|e| e.kind).collect();
    let ignore = kinds.iter().position(|k| *k == crate::trace::Kind::ListIgnore);
    let reload = kinds.iter().position(|k| *k == crate::trace::Kind::HostConfigure);
    let hold = kinds.iter().position(|k| *k == crate::trace::Kind::ListHold);
    assert!(ignore < reload && reload < hold, "ignored before the reload, held after: {ignore:?} {reload:?} {hold:?}");
}

#[test]
fn a_reload_changes_a_password_and_locks_an_account() {
    // The password was read off the wire (see scenarios/eavesdrop.yaml): the
    // administrator changes it, and the old one no longer opens the mailbox;
    // then the account is locked, and no password does, while mail still comes.
    let src = r#"
version: 1
name: password-change
start: 2026-04-01T10:00:00+09:00
seed: 5
hosts:
  - { name: laptop, role: mua, address: 192.0.2.31, hostname: laptop.example.com }
  - { name: thief, role: mua, address: 203.0.113.9, hostname: thief.example.net }
  - { name: mail, role: mailstore, address: 192.0.2.25, hostname: mail.example.com, domains: [example.com], allow_relay: { networks: [192.0.2.0/24] }, auth: offered }
users:
  - address: alice@example.com
    password: wonderland
steps:
  - pop3: { from_host: thief, server: mail, user: alice@example.com, password: wonderland }
  - configure: { host: mail, set: { users: { alice@example.com: { password: looking-glass } } } }
  - pop3: { from_host: thief, server: mail, user: alice@example.com, password: wonderland }
  - imap: { from_host: laptop, server: mail, user: alice@example.com }
  - configure: { host: mail, set: { users: { alice@example.com: { login: false } } } }
  - send: { from_host: laptop, via: mail, from: bob@example.com, to: [alice@example.com], subject: still delivered, body: Hi. }
  - imap: { from_host: laptop, server: mail, user: alice@example.com }
expect:
  - trace: { kind: host.configure, host: mail, matches: "user alice@example.com: new password" }
  - trace: { kind: host.configure, host: mail, matches: "user alice@example.com: login locked" }
  - delivered: { to: alice@example.com, subject: still delivered }
"#;
    let events = run_text(src);
    use crate::trace::Kind;
    // What each fetch step came to (`mua.fetch`: "POP3 failed: login refused: …").
    let result = |step: usize| {
        events
            .iter()
            .find(|e| {
                e.kind == Kind::MuaFetch && e.line.as_deref().is_some_and(|l| l.starts_with(&format!("step {step}:")))
            })
            .and_then(|e| e.line.clone())
            .unwrap_or_default()
    };
    let (s1, s3, s4, s7) = (result(1), result(3), result(4), result(7));
    assert!([&s1, &s3, &s4, &s7].iter().all(|l| !l.is_empty()), "every fetch step reports");
    let failed = |l: &str| l.contains("failed: login refused");
    assert!(!failed(&s1), "the old password worked before the change: {s1}");
    assert!(failed(&s3), "the old password fails after it: {s3}");
    assert!(!failed(&s4), "the new one (the user's default from now on) works: {s4}");
    assert!(failed(&s7), "a locked account opens with no password: {s7}");
}

#[test]
fn a_streamed_run_prints_the_same_trace_and_keeps_little_of_it() {
    let mut lessons_scenarios = 0;
    for name in shipped() {
        let sc = scenario(&name);
        let whole = run_with(&sc, opts()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut want = Vec::new();
        crate::trace::render::write_json_lines(&whole.events, &mut want).unwrap_or_default();
        let got = Arc::new(std::sync::Mutex::new(Vec::new()));
        let g = got.clone();
        let sink: crate::trace::StreamSink = Box::new(move |e: Event| {
            if let Ok(mut g) = g.lock() {
                let _ = crate::trace::render::write_json_line(&e, &mut *g);
            }
        });
        let streamed = run_streaming(Arc::new(sc.clone()), opts(), sink).unwrap_or_else(|e| panic!("{name}: {e}"));
        let got = got.lock().map(|g| g.clone()).unwrap_or_default();
        // The same lines, the expectations' outcomes (worked out from the events kept) included.
        assert!(got == want, "{name}: the streamed trace differs from the whole one");
        assert_eq!((streamed.passed, streamed.failed), (whole.passed, whole.failed), "{name}");
        assert!(streamed.events.len() < whole.events.len(), "{name}: a streamed run kept every event");
        lessons_scenarios += 1;
    }
    assert!(lessons_scenarios >= 10);
}

#[test]
fn expectations_read_only_the_events_a_streamed_run_keeps() {
    // Every expectation kind, over every shipped scenario: the outcome from
    // the kept events is the outcome from the whole trace.
    for name in shipped() {
        let sc = scenario(&name);
        let whole = run_with(&sc, opts()).map(|r| r.events).unwrap_or_default();
        let mut needs = expect::Needs::of(&sc);
        let kept: Vec<Event> = whole.iter().filter(|e| needs.wants(e)).cloned().collect();
        let a: Vec<(bool, String)> = expect::check(&sc, &whole).into_iter().map(|o| (o.ok, o.text)).collect();
        let b: Vec<(bool, String)> = expect::check(&sc, &kept).into_iter().map(|o| (o.ok, o.text)).collect();
        assert_eq!(a, b, "{name}");
    }
}

/// `sends` steps, one a minute, in which `pc` sends a message through
/// `via` to alice@example.net: 600 lines of 99 octets and CRLF, 60,600
/// octets of body (61,020 stored with the header fields).
fn big_sends(via: &str, sends: usize) -> String {
    let line = "x".repeat(99);
    let body: String = (0..600).map(|_| format!("{line}\\n")).collect();
    (1..=sends)
        .map(|i| {
            format!(
                "  - at: {i}m\n    send: {{ from_host: pc, via: {via}, from: taro@example.com, to: [alice@example.net], subject: \"n{i}\", body: \"{body}\" }}\n"
            )
        })
        .collect()
}

/// A scenario where `pc` sends `sends` such messages straight to `mx`
/// (flavour and its extra settings given).
fn disk_scenario(flavour: &str, settings: &str, sends: usize, expect: &str) -> String {
    let steps = big_sends("mx", sends);
    format!(
        r#"
version: 1
name: disk
start: 2026-05-12T21:40:00+09:00
seed: 5
hosts:
  - {{ name: pc, role: mua, address: 192.0.2.23 }}
  - name: mx
    role: mx
    flavour: {flavour}
    address: 198.51.100.30
    hostname: mx.example.net
    domains: [example.net]
{settings}
users:
  - address: alice@example.net
steps:
{steps}expect:
{expect}"#
    )
}

#[test]
fn postfix_refuses_mail_when_the_disk_has_less_than_one_and_a_half_messages_left() {
    // 420,000 octets of disk and a 100,000-octet size limit: after five
    // messages of 61,020 octets less than 150,000 octets are left, and the
    // sixth MAIL gets smtpd_check_queue()'s 452; nothing accepted is lost.
    let src = disk_scenario(
        "postfix",
        "    max_message_size: 100000\n    disk_space: 420000",
        6,
        r#"  - delivered: { to: alice@example.net, count: 5 }
  - trace: { kind: smtp.reply, host: mx, matches: "^452 4.3.1 Insufficient system storage$" }
  - trace: { kind: log, host: mx, matches: "NOQUEUE: reject: MAIL from unknown\\[192.0.2.23\\]: 452 4.3.1 Insufficient system storage; proto=ESMTP helo=<" }
  - trace: { kind: log, host: mx, matches: "postfix/smtpd\\[[0-9]+\\]: warning: not enough free space in mail queue: [0-9]+ bytes < 1.5\\*message size limit" }
"#,
    );
    let events = run_text(&src);
    let refusals = events
        .iter()
        .filter(|e| e.kind == crate::trace::Kind::SmtpReply && e.field_u64(crate::trace::Field::Code) == Some(452))
        .count();
    assert_eq!(refusals, 1, "only the sixth MAIL is refused");
}

#[test]
fn sendmail_refuses_mail_below_its_minimum_free_blocks() {
    // 680,000 octets: the client announces SIZE=60829 (14 whole blocks of 4,096
    // octets), so 114 blocks must be free (MinFreeBlocks 100 besides);
    // after four messages of 61,020 octets only 106 are, and the fifth
    // MAIL is refused.
    let src = disk_scenario(
        "sendmail",
        "    disk_space: 680000",
        5,
        r#"  - delivered: { to: alice@example.net, count: 4 }
  - trace: { kind: smtp.reply, host: mx, matches: "^452 4.4.5 Insufficient disk space; try again later$" }
"#,
    );
    run_text(&src);
}

#[test]
fn a_message_bigger_than_the_disk_left_is_refused_at_the_end_of_data() {
    // No size limit, so MAIL passes (Postfix only asks for 1.5 times the
    // limit); the 61,020-octet message does not fit in 40,000 octets, and cleanup
    // cannot write the queue file: 451, nothing queued. A later small
    // message still fits.
    let mut src = disk_scenario(
        "postfix",
        "    max_message_size: 0\n    disk_space: 40000",
        1,
        r#"  - delivered: { to: alice@example.net, count: 1, subject: small }
  - trace: { kind: smtp.reply, host: mx, matches: "^451 4.3.0 Error: queue file write error$" }
  - trace: { kind: log, host: mx, matches: "postfix/cleanup\\[[0-9]+\\]: warning: [0-9A-F]+: write queue file: No space left on device" }
"#,
    );
    let small = "  - at: 5m\n    send: { from_host: pc, via: mx, from: taro@example.com, to: [alice@example.net], subject: small, body: tiny }\n";
    let at = src.find("expect:").unwrap_or(src.len());
    src.insert_str(at, small);
    let events = run_text(&src);
    let queued = events.iter().filter(|e| e.kind == crate::trace::Kind::QueueAdd && e.host == "mx").count();
    assert_eq!(queued, 1, "only the small message entered the queue");
}

#[test]
fn mail_waiting_in_the_queue_counts_against_the_disk() {
    // The relay's smarthost is down: what the relay accepts stays in its
    // queue, and the queue alone fills its 420,000 octets (Postfix: more
    // than 150,000 must stay free), so the sixth MAIL is refused.
    let steps = big_sends("relay", 6);
    let src = format!(
        r#"
version: 1
name: queued
start: 2026-05-12T21:40:00+09:00
seed: 5
hosts:
  - {{ name: pc, role: mua, address: 192.0.2.23 }}
  - name: relay
    role: relay
    flavour: postfix
    address: 192.0.2.25
    hostname: relay.example.com
    domains: [example.com]
    allow_relay: {{ networks: [192.0.2.0/24] }}
    smarthost: hub
    max_message_size: 100000
    disk_space: 420000
  - {{ name: hub, role: mx, address: 198.51.100.30, hostname: mx.example.net, domains: [example.net] }}
users:
  - address: alice@example.net
steps:
  - down: {{ host: hub }}
{steps}expect:
  - delivered: {{ to: alice@example.net, count: 0 }}
  - trace: {{ kind: smtp.reply, host: relay, matches: "^452 4.3.1 Insufficient system storage$" }}
"#
    );
    let events = run_text(&src);
    // (Later, when the messages have waited too long, bounces join them.)
    let accepted = events
        .iter()
        .filter(|e| e.kind == crate::trace::Kind::QueueAdd && e.host == "relay")
        .filter(|e| e.line.as_deref().is_some_and(|l| l.contains("from=<taro@example.com>")))
        .count();
    assert_eq!(accepted, 5, "five messages wait in the relay's queue");
}

/// The local recipients of one message share its stored copy when their
/// copies are the same octets (sendmail: `Return-Path:` only); with
/// Postfix's `Delivered-To:` each mailbox has its own.
#[test]
fn local_recipients_share_a_stored_copy_unless_each_names_its_recipient() {
    for (flavour, shared) in [("sendmail", true), ("postfix", false)] {
        let src = format!(
            r#"
version: 1
name: shared-copy
start: 2026-05-12T21:40:00+09:00
seed: 5
hosts:
  - {{ name: pc, role: mua, address: 192.0.2.23 }}
  - {{ name: mx, role: mx, flavour: {flavour}, address: 198.51.100.30, hostname: mx.example.net, domains: [example.net], aliases: {{ team: [alice@example.net, bob@example.net] }} }}
users:
  - address: alice@example.net
  - address: bob@example.net
  - address: carol@example.net
steps:
  - send: {{ from_host: pc, via: mx, from: taro@example.com, to: [team@example.net, carol@example.net], subject: hi }}
expect:
  - delivered: {{ to: carol@example.net, count: 1 }}
"#
        );
        let sc = crate::scenario::load_str(&src, "shared-copy.yaml").unwrap_or_else(|d| panic!("{d}"));
        let mut lab = Lab::new(&sc, opts()).unwrap_or_else(|e| panic!("{e}"));
        lab.run_until(Until::End);
        let hosts = lab.hosts.clone().unwrap_or_else(|| panic!("no hosts"));
        let mta = &hosts.mtas.first().unwrap_or_else(|| panic!("no MTA")).1;
        let copies: Vec<Arc<Vec<u8>>> = mta.with_store(|s| {
            ["alice@example.net", "bob@example.net", "carol@example.net"]
                .iter()
                .map(|u| {
                    let m = s.mailbox(u, crate::store::INBOX).and_then(|m| m.messages.first());
                    m.unwrap_or_else(|| panic!("{flavour}: nothing for {u}")).data.clone()
                })
                .collect()
        });
        for (u, c) in ["alice", "bob", "carol"].iter().zip(&copies) {
            let text = String::from_utf8_lossy(c);
            assert!(text.starts_with("Return-Path: <taro@example.com>\r\n"), "{flavour}: {text}");
            let named = text.contains(&format!("Delivered-To: {u}@example.net\r\n"));
            assert_eq!(named, !shared, "{flavour}: {text}");
        }
        let same = copies.windows(2).all(|w| Arc::ptr_eq(&w[0], &w[1]));
        assert_eq!(same, shared, "{flavour}");
    }
}

/// The run limit holds for the steps too: a step held up for a year (a link
/// of 365 days) is cut short when the limit comes, not a year later.
#[test]
fn the_run_limit_cuts_a_step_short() {
    let src = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/relay-chain.yaml"))
        .expect("shipped");
    let slow = src.replacen("network:\n  latency: 5ms", "network:\n  latency: 365d", 1);
    assert_ne!(slow, src, "relay-chain.yaml sets its latency as expected");
    let sc = crate::scenario::load_str(&slow, "slow.yaml").unwrap_or_else(|d| panic!("{d}"));
    let events = run_with(&sc, opts()).map(|r| r.events).unwrap_or_default();
    assert!(events.iter().any(|e| e.kind == Kind::RunLimit), "no run.limit");
    let end = events.iter().find(|e| e.kind == Kind::RunEnd).and_then(|e| e.line.clone()).unwrap_or_default();
    assert_eq!(end, format!("virtual time elapsed: {}", crate::scenario::format_duration(sc.run_limit)));
}

/// A reply expectation that finds no reply to its command says where the
/// session went instead: here the client refused the recipient itself (an
/// address that needs SMTPUTF8, which the server does not offer).
#[test]
fn a_missing_reply_says_what_happened_instead() {
    let src = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/relay-chain.yaml"))
        .expect("shipped");
    let sc = crate::scenario::load_str(&src.replace("alice@example.com", "アリス@example.com"), "utf8.yaml")
        .unwrap_or_else(|d| panic!("{d}"));
    let events = run_with(&sc, opts()).map(|r| r.events).unwrap_or_default();
    let fail = events
        .iter()
        .find(|e| e.kind == Kind::ExpectFail && e.line.as_deref().is_some_and(|l| l.contains("reply to DATA")))
        .and_then(|e| e.line.clone())
        .unwrap_or_default();
    assert!(fail.contains("no reply to DATA; the client's result: step 1: 0 of 1 recipient(s)"), "{fail}");
    assert!(fail.contains("553 5.6.7"), "{fail}");
}
