//! A bounce that cannot be delivered (a double bounce), end to end, in each
//! flavour: sendmail sends the report to the local postmaster (savemail.c,
//! DoubleBounceAddress); Postfix discards it, since its default
//! notify_classes has no 2bounce, and bounce(8) writes no line about it.

use crate::common::run_passing;
use maillab::trace::{Field, Kind};

/// Taro's message to a user the MX does not have, sent with an envelope
/// sender in a domain that does not exist: its bounce cannot be delivered.
fn scenario(flavour: &str) -> String {
    format!(
        r#"
version: 1
name: double-bounce
start: 2026-04-01T10:00:00+09:00
hosts:
  - {{ name: pc, role: mua, address: 192.0.2.23 }}
  - name: mail
    role: mailstore
    flavour: {flavour}
    address: 192.0.2.25
    hostname: mail.example.ac.jp
    domains: [example.ac.jp]
    allow_relay: {{ networks: [192.0.2.0/24] }}
  - name: ns
    role: dns
    address: 192.0.2.53
    hostname: ns.example.ac.jp
    zones:
      example.com: ["@ MX 10 mx.example.com.", "mx A 198.51.100.25"]
  - name: mx
    role: mx
    address: 198.51.100.25
    hostname: mx.example.com
    domains: [example.com]
users:
  - address: taro@example.ac.jp
  - address: alice@example.com
steps:
  - send:
      from_host: pc
      via: mail
      from: ghost@nxdomain.example
      to: [zoe@example.com]
      subject: Nobody to bounce to
"#
    )
}

fn lines(r: &maillab::lab::RunResult, kind: Kind) -> Vec<String> {
    r.events.iter().filter(|e| e.kind == kind && e.host == "mail").filter_map(|e| e.line.clone()).collect()
}

#[test]
fn sendmail_sends_a_double_bounce_to_the_postmaster() {
    let r = run_passing(&scenario("sendmail"), "double-bounce-sendmail");
    let log = lines(&r, Kind::Log);
    let delivered: Vec<&str> = r
        .events
        .iter()
        .filter(|e| e.kind == Kind::Deliver && e.host == "mail")
        .filter_map(|e| e.field_str(Field::Mailbox))
        .collect();
    assert_eq!(delivered, ["postmaster@mail.example.ac.jp"], "{log:#?}");
    // The report to ghost failed; the report about that report went to the
    // postmaster, logged as savemail.c's "return to sender".
    assert!(log.iter().any(|l| l.contains(": DSN: User unknown")), "{log:#?}");
    assert!(log.iter().any(|l| l.contains(": return to sender: ")), "{log:#?}");
    assert!(lines(&r, Kind::BounceDiscard).is_empty(), "nothing discarded");
}

#[test]
fn postfix_discards_a_double_bounce_without_a_bounce_line() {
    let r = run_passing(&scenario("postfix"), "double-bounce-postfix");
    let log = lines(&r, Kind::Log);
    assert!(!r.events.iter().any(|e| e.kind == Kind::Deliver && e.host == "mail"), "nothing delivered: {log:#?}");
    // One bounce(8) line: the notice about Taro's message, none about it.
    let notices: Vec<&String> = log.iter().filter(|l| l.contains("postfix/bounce[")).collect();
    assert_eq!(notices.len(), 1, "{log:#?}");
    assert!(!log.iter().any(|l| l.contains("no bounce")), "{log:#?}");
    let discarded = lines(&r, Kind::BounceDiscard);
    assert_eq!(discarded.len(), 1, "{discarded:#?}");
    assert!(discarded[0].ends_with("; discarded (Postfix: notify_classes has no 2bounce)"), "{discarded:#?}");
}
