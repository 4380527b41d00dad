//! One recipient given twice in a transaction with different DSN requests
//! (RFC 3461 `NOTIFY`, `ORCPT`), as each flavour's source treats it:
//! Postfix's cleanup counts a duplicate by address, original recipient and
//! request (cleanup_out_recipient.c), so another request is another
//! recipient with its own copy and report; sendmail's recipient() keeps the
//! first address and its request (recipient.c), and adds a dropped one's
//! NOTIFY only to an address that came through an alias.

use maillab::net::Net;
use maillab::trace::{Event, Field, Kind, Trace};
use std::net::Ipv4Addr;
use std::time::Duration;

/// A sendmail and a Postfix mail store as they ship, each with an alias
/// `team` for its one user.
const SCENARIO: &str = r#"
version: 1
name: duplicate-rcpt
start: 2026-04-01T10:00:00+09:00
hosts:
  - { name: pc, role: mua, address: 192.0.2.31 }
  - name: sm
    role: mailstore
    flavour: sendmail
    address: 192.0.2.25
    hostname: sm.example.com
    domains: [example.com]
    aliases: { team: [alice@example.com] }
  - name: pf
    role: mailstore
    flavour: postfix
    address: 192.0.2.26
    hostname: pf.example.net
    domains: [example.net]
    aliases: { team: [alice@example.net] }
users:
  - address: alice@example.com
  - address: taro@example.com
  - address: alice@example.net
  - address: taro@example.net
steps: []
"#;
const PC: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 31);
const SM: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 25);
const PF: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 26);

/// Taro sends one message to `host` with these RCPT lines (`DOMAIN` is the
/// host's domain); the replies to them, and the trace once all is settled.
async fn send(host: Ipv4Addr, rcpts: &[&str]) -> (Vec<String>, Trace) {
    let (net, trace): (Net, Trace) = crate::common::start_sim(SCENARIO, "duplicate-rcpt.yaml", PC).await;
    let domain = if host == SM { "example.com" } else { "example.net" };
    let mut lines = vec!["EHLO pc.example.org".to_string(), format!("MAIL FROM:<taro@{domain}>")];
    lines.extend(rcpts.iter().map(|r| r.replace("DOMAIN", domain)));
    lines.extend(["DATA", "Subject: minutes\r\n\r\nhi", ".", "QUIT"].map(str::to_string));
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let replies = crate::common::smtp_talk(&net, PC, host, &lines).await;
    // Virtual time: the queue, its reports and their delivery are long done.
    tokio::time::sleep(Duration::from_secs(600)).await;
    (replies[2..2 + rcpts.len()].to_vec(), trace)
}

/// What was delivered to `mailbox`.
fn mailbox(trace: &Trace, mailbox: &str) -> Vec<String> {
    trace.with_events(|ev| {
        ev.iter()
            .filter(|e| e.kind == Kind::Deliver && e.field_str(Field::Mailbox) == Some(mailbox))
            .filter_map(|e| e.field_str(Field::Message).map(str::to_string))
            .collect()
    })
}

fn events(trace: &Trace) -> Vec<Event> {
    trace.with_events(|ev| ev.to_vec())
}

/// Postfix: another NOTIFY is another recipient, with its own copy and
/// its own report; the same request again is dropped.
#[tokio::test(start_paused = true)]
async fn postfix_keeps_a_recipient_given_again_with_another_request() {
    let (replies, trace) = send(
        PF,
        &[
            "RCPT TO:<alice@DOMAIN> NOTIFY=SUCCESS",
            "RCPT TO:<alice@DOMAIN> NOTIFY=NEVER",
            "RCPT TO:<alice@DOMAIN> NOTIFY=never",
        ],
    )
    .await;
    assert!(replies.iter().all(|r| r.starts_with("250")), "{replies:?}");
    assert_eq!(mailbox(&trace, "alice@example.net").len(), 2, "one copy per request");
    let reports = mailbox(&trace, "taro@example.net");
    assert_eq!(reports.len(), 1, "one success report, for the copy that asked");
    assert!(
        reports[0].contains("Final-Recipient: rfc822; alice@example.net\r\nAction: delivered\r\n"),
        "{}",
        reports[0]
    );
    let ev = events(&trace);
    let log: Vec<&str> = ev.iter().filter(|e| e.kind == Kind::Log).filter_map(|e| e.line.as_deref()).collect();
    assert!(log.iter().any(|l| l.contains("nrcpt=2 (queue active)")), "{log:?}");
    assert!(!ev.iter().any(|e| e.kind == Kind::RcptDuplicate));
    let a = maillab::lab::accounting::accounting(&ev, "pf");
    assert!(a.balanced(), "{a:?}");
}

/// sendmail: the first RCPT of an address is kept with its request; the
/// second one's NOTIFY is dropped with it, whichever asked for more.
#[tokio::test(start_paused = true)]
async fn sendmail_keeps_the_first_request_of_a_recipient_given_twice() {
    for (first, second, reports) in [("SUCCESS", "NEVER", 1), ("NEVER", "SUCCESS", 0)] {
        let rcpts =
            [format!("RCPT TO:<alice@DOMAIN> NOTIFY={first}"), format!("RCPT TO:<alice@DOMAIN> NOTIFY={second}")];
        let rcpts: Vec<&str> = rcpts.iter().map(String::as_str).collect();
        let (replies, trace) = send(SM, &rcpts).await;
        assert!(replies.iter().all(|r| r.starts_with("250 2.1.5")), "{replies:?}");
        assert_eq!(mailbox(&trace, "alice@example.com").len(), 1, "{first} then {second}");
        assert_eq!(mailbox(&trace, "taro@example.com").len(), reports, "{first} then {second}");
        let ev = events(&trace);
        let log: Vec<&str> = ev.iter().filter(|e| e.kind == Kind::Log).filter_map(|e| e.line.as_deref()).collect();
        assert!(log.iter().any(|l| l.contains("nrcpts=1,")), "{log:?}");
    }
}

/// An address an alias gave, and the same address given itself: sendmail
/// keeps one copy, and the NOTIFY of the one it drops joins the kept one's
/// (recipient.c ORs the flags into an address that is not QPRIMARY), so
/// the success report is sent; Postfix's local(8) delivers each recipient
/// on its own, so the address gets a copy through the alias and one of
/// its own.
#[tokio::test(start_paused = true)]
async fn a_request_joins_an_address_an_alias_gave_with_sendmail_only() {
    let rcpts = ["RCPT TO:<team@DOMAIN> NOTIFY=NEVER", "RCPT TO:<alice@DOMAIN> NOTIFY=SUCCESS"];
    let (_, trace) = send(SM, &rcpts).await;
    assert_eq!(mailbox(&trace, "alice@example.com").len(), 1);
    let reports = mailbox(&trace, "taro@example.com");
    assert_eq!(reports.len(), 1, "{reports:?}");
    // The kept address keeps the ORCPT the alias gave it.
    assert!(reports[0].contains("Original-Recipient: rfc822;team@example.com"), "{}", reports[0]);
    let ev = events(&trace);
    let dup = ev.iter().find(|e| e.kind == Kind::RcptDuplicate).expect("rcpt.duplicate");
    assert!(
        dup.line
            .as_deref()
            .is_some_and(|l| l.ends_with("<alice@example.com> reached twice: one copy, which now asks NOTIFY=SUCCESS")),
        "{dup:?}"
    );
    assert!(
        dup.line_in(true).ends_with("その 1 通は二つの要求を合わせて NOTIFY=SUCCESS になります"),
        "{}",
        dup.line_in(true)
    );
    let a = maillab::lab::accounting::accounting(&ev, "sm");
    assert!(a.balanced(), "{a:?}");

    let (_, trace) = send(PF, &rcpts).await;
    assert_eq!(mailbox(&trace, "alice@example.net").len(), 2);
    assert_eq!(mailbox(&trace, "taro@example.net").len(), 1, "a report for the copy that asked SUCCESS");
    let ev = events(&trace);
    assert!(!ev.iter().any(|e| e.kind == Kind::RcptDuplicate));
    assert!(maillab::lab::accounting::accounting(&ev, "pf").balanced());
}
