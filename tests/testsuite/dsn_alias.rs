//! A sender's DSN request through a local alias (RFC 3461 §5.2.7), as each
//! flavour carries it: Postfix's local(8) treats every alias alike (NOTIFY
//! without SUCCESS goes on, NOTIFY=SUCCESS is answered with an `expanded`
//! report); sendmail passes the whole request on to an alias of one
//! address (which then reports `delivered` itself) and reports `expanded`
//! only for an alias of several.

use maillab::trace::{Event, Field, Kind};

/// Taro (on `mail`, the MUA's server) writes to aliases on `mx`, whose
/// flavour is FLAVOUR: `one` stands for Alice, `two` for Alice and Bob,
/// `far` for an address on `next`, the next hop.
fn scenario(flavour: &str, to: &str, notify: &str, expect: &str) -> String {
    format!(
        r#"
version: 1
name: dsn-alias
start: 2026-04-01T10:00:00+09:00
hosts:
  - {{ name: pc, role: mua, address: 192.0.2.23 }}
  - name: mail
    role: mailstore
    flavour: postfix
    address: 192.0.2.25
    hostname: mail.example.ac.jp
    domains: [example.ac.jp]
    allow_relay: {{ networks: [192.0.2.0/24] }}
  - name: ns
    role: dns
    address: 192.0.2.53
    hostname: ns.example.ac.jp
    zones:
      example.ac.jp: ["@ MX 10 mail.example.ac.jp.", "mail A 192.0.2.25"]
      example.com: ["@ MX 10 mx.example.com.", "mx A 198.51.100.25"]
      example.net: ["@ MX 10 next.example.net.", "next A 203.0.113.25"]
  - name: mx
    role: mx
    flavour: {flavour}
    address: 198.51.100.25
    hostname: mx.example.com
    domains: [example.com]
    aliases:
      one: [alice@example.com]
      two: [alice@example.com, bob@example.com]
      far: [carol@example.net]
  - name: next
    role: mx
    flavour: postfix
    address: 203.0.113.25
    hostname: next.example.net
    domains: [example.net]
users:
  - address: taro@example.ac.jp
  - address: alice@example.com
  - address: bob@example.com
  - address: carol@example.net
steps:
  - send:
      from_host: pc
      via: mail
      from: taro@example.ac.jp
      to: [{to}]
      subject: Hello
      body: hi
      dsn: {{ notify: [{notify}] }}
expect:
{expect}"#
    )
}

fn events(yaml: &str) -> Vec<Event> {
    crate::common::run_passing(yaml, "dsn-alias").events
}

/// The messages put into `mailbox`, in order.
fn mailbox(ev: &[Event], mailbox: &str) -> Vec<String> {
    ev.iter()
        .filter(|e| e.kind == Kind::Deliver && e.field_str(Field::Mailbox) == Some(mailbox))
        .filter_map(|e| e.field_str(Field::Message).map(str::to_string))
        .collect()
}

fn alias_line(ev: &[Event]) -> String {
    ev.iter().find(|e| e.kind == Kind::AliasExpand).and_then(|e| e.line.clone()).expect("an alias.expand event")
}

#[test]
fn postfix_reports_expanded_for_an_alias_of_one_address_too() {
    let ev = events(&scenario(
        "postfix",
        "one@example.com",
        "success, failure",
        "  - delivered: { to: alice@example.com, count: 1 }\n  - delivered: { to: taro@example.ac.jp, count: 1 }",
    ));
    let taro = mailbox(&ev, "taro@example.ac.jp");
    let report = &taro[0];
    assert!(report.contains("Subject: Successful Mail Delivery Report"), "{report}");
    assert!(
        report.contains(
            "Final-Recipient: rfc822; one@example.com\r\nOriginal-Recipient: rfc822; one@example.com\r\nAction: expanded\r\nStatus: 2.0.0\r\nDiagnostic-Code: X-Postfix; delivery via local: alias expanded\r\n"
        ),
        "{report}"
    );
    assert!(report.contains("<one@example.com>: delivery via local: alias expanded\r\n"), "{report}");
    assert!(!report.contains("Action: delivered"), "Alice's delivery is not reported: {report}");
    let line = alias_line(&ev);
    assert!(
        line.ends_with(
            "<one@example.com> expands to <alice@example.com>; it gets NOTIFY=FAILURE ORCPT=rfc822;one@example.com; the sender asked SUCCESS: an \"expanded\" report (RFC 3461 §5.2.7.3)"
        ),
        "{line}"
    );
}

#[test]
fn sendmail_passes_the_request_on_to_an_alias_of_one_address() {
    let ev = events(&scenario(
        "sendmail",
        "one@example.com",
        "success",
        "  - delivered: { to: alice@example.com, count: 1 }\n  - delivered: { to: taro@example.ac.jp, count: 1 }",
    ));
    let taro = mailbox(&ev, "taro@example.ac.jp");
    let report = &taro[0];
    assert!(report.contains("Subject: Return receipt"), "{report}");
    // Alice reports her own delivery; the ORCPT names the alias Taro wrote to.
    assert!(
        report.contains(
            "Original-Recipient: rfc822;one@example.com\r\nFinal-Recipient: RFC822; alice@example.com\r\nAction: delivered (to mailbox)\r\n"
        ),
        "{report}"
    );
    assert!(!report.contains("Action: expanded"), "{report}");
    let line = alias_line(&ev);
    assert!(line.ends_with("with NOTIFY=SUCCESS ORCPT=rfc822;one@example.com (RFC 3461 §5.2.7.2)"), "{line}");
}

#[test]
fn an_alias_of_several_reports_expanded_in_both_flavours() {
    // sendmail's errbody() spells the address type as its mailer's T= gives
    // it (RFC822) and says what an action was done to.
    for (flavour, rfc822, expanded, why) in [
        ("postfix", "rfc822", "expanded", "X-Postfix; delivery via local: alias expanded"),
        ("sendmail", "RFC822", "expanded (to multi-recipient alias)", "X-Unix; expanded to multiple addresses"),
    ] {
        let ev = events(&scenario(
            flavour,
            "two@example.com",
            "success, failure, delay",
            "  - delivered: { to: bob@example.com, count: 1 }\n  - delivered: { to: taro@example.ac.jp, count: 1 }",
        ));
        let taro = mailbox(&ev, "taro@example.ac.jp");
        assert!(taro[0].contains(&format!("Final-Recipient: {rfc822}; two@example.com\r\n")), "{flavour}: {}", taro[0]);
        assert!(
            taro[0].contains(&format!("Action: {expanded}\r\nStatus: 2.0.0\r\nDiagnostic-Code: {why}\r\n")),
            "{flavour}: {}",
            taro[0]
        );
        let line = alias_line(&ev);
        assert!(line.contains("each gets NOTIFY=FAILURE,DELAY ORCPT=rfc822;two@example.com"), "{flavour}: {line}");
    }
}

/// NOTIFY=SUCCESS alone becomes NEVER for the new address, and a new
/// address on another host gets NOTIFY and the added ORCPT on its RCPT TO.
#[test]
fn the_request_goes_on_to_the_next_hop_without_success() {
    let ev = events(&scenario(
        "postfix",
        "far@example.com",
        "success",
        "  - delivered: { to: carol@example.net, count: 1 }\n  - delivered: { to: taro@example.ac.jp, count: 1 }",
    ));
    let rcpt = ev
        .iter()
        .filter(|e| e.kind == Kind::SmtpCmd)
        .filter_map(|e| e.line.as_deref())
        .find(|l| l.starts_with("RCPT TO:<carol@example.net>"))
        .expect("the MX relays to next");
    assert_eq!(rcpt, "RCPT TO:<carol@example.net> NOTIFY=NEVER ORCPT=rfc822;far@example.com");
    let taro = mailbox(&ev, "taro@example.ac.jp");
    assert!(taro[0].contains("Action: expanded"), "{}", taro[0]);
}

/// A sender who used no DSN parameter at all sees the alias expanded as
/// before: nothing is added for the new addresses.
#[test]
fn without_dsn_nothing_is_passed_on() {
    let yaml = scenario("postfix", "far@example.com", "failure", "  - delivered: { to: carol@example.net, count: 1 }")
        .replace("      dsn: { notify: [failure] }\n", "");
    let ev = events(&yaml);
    assert!(alias_line(&ev).ends_with("expands to <carol@example.net>"), "{}", alias_line(&ev));
    assert!(
        ev.iter()
            .filter(|e| e.kind == Kind::SmtpCmd)
            .filter_map(|e| e.line.as_deref())
            .any(|l| l == "RCPT TO:<carol@example.net>"),
        "no parameters on the relayed RCPT"
    );
}

/// An address reached more than once (given itself and through two
/// aliases): sendmail keeps one copy (recipient.c); Postfix's local(8)
/// delivers each recipient on its own, with a duplicate filter of its own
/// (local.c, recipient.c), so each of the three leads to a copy.
#[test]
fn an_address_reached_twice_gets_one_copy_with_sendmail_and_one_per_recipient_with_postfix() {
    for (flavour, alice, dups) in [("sendmail", 1, 2), ("postfix", 3, 0)] {
        let ev = events(&scenario(
            flavour,
            "one@example.com, two@example.com, Alice@example.com",
            "never",
            &format!(
                "  - delivered: {{ to: bob@example.com, count: 1 }}\n  - delivered: {{ to: alice@example.com, count: {alice} }}"
            ),
        ));
        assert_eq!(mailbox(&ev, "alice@example.com").len(), alice, "{flavour}");
        assert_eq!(mailbox(&ev, "bob@example.com").len(), 1, "{flavour}");
        // The dropped copy is said, and every accepted recipient has one end.
        let dup: Vec<&Event> = ev.iter().filter(|e| e.kind == Kind::RcptDuplicate).collect();
        assert_eq!(dup.len(), dups, "{flavour}");
        let a = maillab::lab::accounting::accounting(&ev, "mx");
        assert!(a.balanced(), "{flavour}: {a:?}");
        assert_eq!((a.accepted, a.delivered), (alice as u64 + 1, alice as u64 + 1), "{flavour}: {a:?}");
        if flavour == "sendmail" {
            // Once through the second alias, once as `Alice@` (local parts match in any case).
            assert!(dup[0].line.as_deref().is_some_and(|l| l.ends_with("<alice@example.com> reached twice: one copy")));
            assert!(dup[1].line.as_deref().is_some_and(|l| l.ends_with("<Alice@example.com> reached twice: one copy")));
            assert!(dup[0].line_in(true).contains("二度届く"), "{flavour}");
        }
    }
}
