//! A bounce that cannot be delivered (a double bounce), end to end, in each
//! flavour: sendmail sends the report to the local postmaster (savemail.c,
//! DoubleBounceAddress); Postfix discards it, since its default
//! notify_classes has no 2bounce, and bounce(8) writes no line about it.

use crate::common::run_passing;
use maillab::trace::{Field, Kind};

/// Taro's message to a user the MX does not have, sent with an envelope
/// sender in a domain that does not exist: its bounce cannot be delivered.
fn scenario(flavour: &str) -> String {
    crate::common::relay_and_mx("double-bounce", flavour)
        + r#"steps:
  - send:
      from_host: pc
      via: mail
      from: ghost@nxdomain.example
      to: [zoe@example.com]
      subject: Nobody to bounce to
"#
}

fn lines(r: &maillab::lab::RunResult, kind: Kind) -> Vec<String> {
    crate::common::lines_of(r, kind, "mail")
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
