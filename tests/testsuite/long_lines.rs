//! A message line longer than RFC 5321's 1000 octets, end to end: the
//! first MTA keeps it as it came (as Postfix and sendmail do), and when it
//! relays the message on it breaks the line as its flavour's SMTP client
//! does; the mailbox at the end holds the broken line.

use crate::common::run_passing;
use maillab::trace::{Field, Kind};

fn scenario(flavour: &str, body: &str) -> String {
    crate::common::relay_and_mx("long-lines", flavour)
        + &format!(
            r#"steps:
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
