//! A message line longer than RFC 5321's 1000 octets, end to end: the
//! first MTA keeps it as it came (as Postfix and sendmail do), and when it
//! relays the message on it breaks the line as its flavour's SMTP client
//! does; the mailbox at the end holds the broken line.

use crate::common::run_passing;
use maillab::trace::{Field, Kind};

fn scenario(flavour: &str, body: &str) -> String {
    format!(
        r#"
version: 1
name: long-lines
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
      from: taro@example.ac.jp
      to: [alice@example.com]
      subject: Long
      body: {body}
expect:
  - delivered: {{ to: alice@example.com, count: 1 }}
"#
    )
}

#[test]
fn a_long_line_is_kept_and_broken_when_relayed_on() {
    let word = "x".repeat(2500);
    for (flavour, cut, first) in [("postfix", "\r\n ", 998), ("sendmail", "!\r\n ", 989)] {
        let r = run_passing(&scenario(flavour, &word), &format!("long-lines-{flavour}"));
        let msg = r
            .events
            .iter()
            .find(|e| e.kind == Kind::Deliver && e.field_str(Field::Mailbox) == Some("alice@example.com"))
            .and_then(|e| e.field_str(Field::Message))
            .expect("the delivered message")
            .to_string();
        let at = msg.find(&"x".repeat(first)).expect("the long line's start");
        assert!(msg[at + first..].starts_with(cut), "{flavour}: broken with {cut:?}");
        assert!(msg.split('\n').all(|l| l.len() <= 1000), "{flavour}: every line within 1000 octets");
        assert!(msg.replace(cut, "").contains(&word), "{flavour}: nothing lost");
    }
}
