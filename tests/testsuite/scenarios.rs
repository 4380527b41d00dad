//! Every shipped scenario: its expectations hold, its run is deterministic,
//! nothing accepted is lost, and its trace matches the reviewed snapshot.

use maillab::lab::{accounting, run};
use maillab::scenario::load_file;
use maillab::trace::render;
use maillab::trace::{Field, Kind};
use std::path::Path;

/// Scenarios with a snapshot test below. A new scenario must be added here.
const SHIPPED: &[&str] = &[
    "access",
    "aliases-list",
    "bounce",
    "dnsbl",
    "dsn",
    "eavesdrop",
    "forged-ptr",
    "japanese-mail",
    "list-digest",
    "list-join",
    "list-moderated",
    "list-security",
    "mx-fallback",
    "open-relay",
    "pop-before-smtp",
    "pop-vs-imap",
    "queue-lifetime",
    "queue-retry",
    "relay-chain",
    "relay-denial",
    "smtp-auth",
    "smtp-extensions",
    "spoofing",
];

fn text_of(name: &str) -> (String, String, usize) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(format!("{name}.yaml"));
    let sc = load_file(&path).unwrap_or_else(|d| panic!("{name} does not load:\n{d}"));
    let r = run(&sc).expect("runtime starts");
    let text = render::text(&r.events, render::TextOptions { color: false, messages: true, ja: false });
    (text, render::json_lines(&r.events), r.failed)
}

#[test]
fn every_scenario_file_is_listed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut found: Vec<String> = std::fs::read_dir(dir)
        .expect("scenarios/ exists")
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".yaml")).map(str::to_string))
        .collect();
    found.sort();
    let mut listed: Vec<String> = SHIPPED.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(found, listed, "add the new scenario to SHIPPED and give it a snapshot test");
}

#[test]
fn shipped_scenarios_get_no_warning() {
    for name in SHIPPED {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(format!("{name}.yaml"));
        let sc = maillab::scenario::load_file(&path).unwrap_or_else(|d| panic!("{name}: {d}"));
        let w: Vec<String> = sc.warnings.iter().map(|w| w.as_warning().to_string()).collect();
        assert!(w.is_empty(), "{name} gets warnings:\n{}", w.join("\n"));
    }
}

#[test]
fn runs_are_byte_identical() {
    for name in SHIPPED {
        let (a, ja, _) = text_of(name);
        let (b, jb, _) = text_of(name);
        assert_eq!(a, b, "{name}: text differs between two runs");
        assert_eq!(ja, jb, "{name}: JSON differs between two runs");
    }
}

#[test]
fn expectations_hold_and_nothing_is_lost() {
    for name in SHIPPED {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(format!("{name}.yaml"));
        let sc = load_file(&path).expect("loads");
        let r = run(&sc).expect("runs");
        assert_eq!(r.failed, 0, "{name}: an expectation failed");
        assert!(r.passed > 0, "{name}: no expectations");
        for h in sc.hosts.iter().filter(|h| h.role.is_mta()) {
            let a = accounting(&r.events, &h.name);
            assert!(a.balanced(), "{name}/{}: accepted recipients not accounted for: {a:?}", h.name);
        }
    }
}

fn snapshot(name: &str) {
    let (text, _, _) = text_of(name);
    insta::assert_snapshot!(name, text);
}

#[test]
fn snapshot_relay_chain() {
    snapshot("relay-chain");
}

#[test]
fn snapshot_relay_denial() {
    snapshot("relay-denial");
}

#[test]
fn snapshot_dnsbl() {
    snapshot("dnsbl");
}

#[test]
fn snapshot_open_relay() {
    snapshot("open-relay");
}

#[test]
fn snapshot_forged_ptr() {
    snapshot("forged-ptr");
}

#[test]
fn snapshot_access() {
    snapshot("access");
}

#[test]
fn snapshot_japanese_mail() {
    snapshot("japanese-mail");
}

#[test]
fn snapshot_smtp_extensions() {
    snapshot("smtp-extensions");
}

#[test]
fn snapshot_bounce() {
    snapshot("bounce");
}

#[test]
fn snapshot_dsn() {
    snapshot("dsn");
}

#[test]
fn snapshot_mx_fallback() {
    snapshot("mx-fallback");
}

#[test]
fn snapshot_queue_lifetime() {
    snapshot("queue-lifetime");
}

#[test]
fn snapshot_queue_retry() {
    snapshot("queue-retry");
}

#[test]
fn snapshot_pop_before_smtp() {
    snapshot("pop-before-smtp");
}

#[test]
fn snapshot_pop_vs_imap() {
    snapshot("pop-vs-imap");
}

#[test]
fn snapshot_smtp_auth() {
    snapshot("smtp-auth");
}

#[test]
fn snapshot_aliases_list() {
    snapshot("aliases-list");
}

#[test]
fn snapshot_list_join() {
    snapshot("list-join");
}

#[test]
fn snapshot_list_moderated() {
    snapshot("list-moderated");
}

#[test]
fn snapshot_list_security() {
    snapshot("list-security");
}

#[test]
fn snapshot_list_digest() {
    snapshot("list-digest");
}

/// Every message the list server submits reaches each of its recipients,
/// bounces, or is still queued: one post to N members gives N ends.
#[test]
fn list_mail_is_accounted_per_recipient() {
    for name in ["list-join", "list-moderated", "list-digest", "list-security"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(format!("{name}.yaml"));
        let sc = load_file(&path).expect("loads");
        let r = run(&sc).expect("runs");
        let sends: Vec<_> = r.events.iter().filter(|e| e.kind == Kind::ListSend).collect();
        assert!(!sends.is_empty(), "{name}: the list sent nothing");
        for s in sends {
            let qid = s.field_str(Field::Qid).expect("qid");
            let n = s.field_u64(Field::Rcpts).expect("rcpts");
            let ends = r
                .events
                .iter()
                .filter(|e| e.host == s.host && e.field_str(Field::Qid) == Some(qid))
                .map(|e| match e.kind {
                    Kind::Relay | Kind::Deliver | Kind::Bounce => 1,
                    Kind::QueueLeft => e.field_u64(Field::Rcpts).unwrap_or(0),
                    _ => 0,
                })
                .sum::<u64>();
            assert_eq!(ends, n, "{name}: {qid} went to {n} recipient(s) but {ends} ended");
        }
        let dist = r.events.iter().filter(|e| e.kind == Kind::ListDistribute).count();
        assert!(dist > 0, "{name}: no post was distributed");
    }
}

#[test]
fn snapshot_eavesdrop() {
    snapshot("eavesdrop");
}

#[test]
fn snapshot_spoofing() {
    snapshot("spoofing");
}

/// Does the text hold Japanese (kana or kanji)?
fn has_japanese(s: &str) -> bool {
    s.chars().any(|c| matches!(c, '\u{3040}'..='\u{30ff}' | '\u{4e00}'..='\u{9fff}'))
}

/// A Japanese reader of any shipped scenario sees maillab's own narration in
/// Japanese (`Event::line_in(true)`), every event of every narrative kind;
/// what the hosts said (protocol lines, DNS, maillog) stays as they wrote it.
#[test]
fn a_japanese_reader_sees_the_narration_in_japanese() {
    use std::collections::BTreeMap;
    // Narrative kinds that must always get a Japanese line.
    const NARRATED: &[Kind] = &[
        Kind::RunStart,
        Kind::Step,
        Kind::RunEnd,
        Kind::RunLimit,
        Kind::Summary,
        Kind::Fault,
        Kind::HostConfigure,
        Kind::TcpConnect,
        Kind::TcpAccept,
        Kind::TcpClose,
        Kind::TcpError,
        Kind::TcpRefuse,
        Kind::TlsHandshake,
        Kind::TlsError,
        Kind::SmtpData,
        Kind::MuaResult,
        Kind::MuaFetch,
        Kind::MuaMessage,
        Kind::QueueAdd,
        Kind::QueueRetry,
        Kind::QueueRoute,
        Kind::QueueDeferred,
        Kind::QueueDone,
        Kind::QueueLeft,
        Kind::Relay,
        Kind::Deliver,
        Kind::Bounce,
        Kind::BounceDiscard,
        Kind::AliasExpand,
        Kind::PopauthAdd,
        Kind::PopauthExpire,
        Kind::AuthDelay,
        Kind::AuthSign,
        Kind::AuthSpf,
        Kind::AuthDkim,
        Kind::AuthDmarc,
        Kind::ListReceive,
        Kind::ListSend,
        Kind::ListDistribute,
        Kind::ListCommand,
        Kind::ListBounce,
        Kind::ListDisable,
        Kind::ListDigest,
        Kind::ListSubscribe,
        Kind::ListJoin,
        Kind::ListHold,
        Kind::ListApprove,
        Kind::ListDecline,
        Kind::ListIgnore,
        Kind::ListSize,
        Kind::ListStrip,
        Kind::ListDelivery,
    ];
    // What the hosts wrote: never translated.
    const AS_WRITTEN: &[Kind] = &[
        Kind::SmtpCmd,
        Kind::SmtpReply,
        Kind::Pop3Cmd,
        Kind::Pop3Reply,
        Kind::ImapCmd,
        Kind::ImapReply,
        Kind::DnsQuery,
        Kind::DnsAnswer,
        Kind::Log,
    ];
    // English words of maillab's narration that a Japanese line must not keep.
    const ENGLISH: &[&str] = &[
        "recipient(s)",
        "message(s)",
        "member(s)",
        "connection from",
        "connection closed",
        "handed to",
        "now holds",
        "removed from the queue",
        "virtual time",
        "TLS established",
        "message content",
        "deferred:",
        "field added",
        "permitted sender",
        "publishes no",
        "signature verified",
        "no valid DKIM signature",
        "policy applied",
        "of the sample",
    ];
    let mut seen: BTreeMap<Kind, usize> = BTreeMap::new();
    let mut left: BTreeMap<Kind, usize> = BTreeMap::new();
    for name in SHIPPED {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(format!("{name}.yaml"));
        let sc = load_file(&path).expect("loads");
        let r = run(&sc).expect("runs");
        for e in &r.events {
            let en = e.line.as_deref().unwrap_or("");
            let ja = e.line_in(true);
            assert_eq!(e.line_in(false), en, "{name}: an English reader's line changed");
            if AS_WRITTEN.contains(&e.kind) {
                assert_eq!(ja, en, "{name}: a {} line was translated", e.kind);
                continue;
            }
            if NARRATED.contains(&e.kind) {
                *seen.entry(e.kind).or_default() += 1;
                assert!(
                    ja != en && has_japanese(&ja),
                    "{name}: a {} line stays English for a Japanese reader: {en}",
                    e.kind
                );
                if let Some(w) = ENGLISH.iter().find(|w| ja.contains(*w)) {
                    panic!("{name}: the Japanese {} line keeps `{w}`: {ja}", e.kind);
                }
            } else if ja == en && e.kind != Kind::Wire {
                *left.entry(e.kind).or_default() += 1;
            }
        }
    }
    let left: Vec<String> = left.iter().map(|(k, n)| format!("{k} ({n})")).collect();
    println!("left as written for a Japanese reader: {}", left.join(", "));
    // The common kinds of the shipped scenarios are there to be checked.
    for k in [
        Kind::RunStart,
        Kind::RunEnd,
        Kind::Summary,
        Kind::TcpConnect,
        Kind::TcpAccept,
        Kind::TcpClose,
        Kind::TcpError,
        Kind::SmtpData,
        Kind::MuaResult,
        Kind::QueueAdd,
        Kind::QueueDone,
        Kind::QueueRetry,
        Kind::QueueDeferred,
        Kind::Relay,
        Kind::Deliver,
        Kind::Bounce,
        Kind::AliasExpand,
        Kind::TlsHandshake,
        Kind::ListReceive,
        Kind::ListSend,
    ] {
        assert!(seen.get(&k).is_some_and(|n| *n > 0), "no {k} event in the shipped scenarios");
    }
}
