//! `MAIL FROM` and `RCPT TO` typed without angle brackets, as many telnet
//! tutorials show them (user trial h20), at real host code on the simulated
//! network: both flavours take them, quote them in replies as each does,
//! deliver the message and log the sender. The refusals of malformed paths
//! are tested in the SMTP core's unit tests.

use maillab::net::Net;
use maillab::trace::{Field, Kind, Trace};
use std::net::Ipv4Addr;
use std::time::Duration;

const PC: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 31);

/// The maillog lines of `host` once a message has been delivered there.
async fn log_after_delivery(trace: &Trace, host: &str) -> Vec<String> {
    for _ in 0..600 {
        let delivered = trace.with_events(|ev| ev.iter().any(|e| e.kind == Kind::Deliver && e.host == host));
        if delivered {
            return trace.with_events(|ev| {
                ev.iter()
                    .filter(|e| e.kind == Kind::Log && e.host == host)
                    .filter_map(|e| e.line.as_deref().map(str::to_string))
                    .collect()
            });
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    panic!("nothing delivered on {host}");
}

/// EHLO, a bare `MAIL FROM`, a `RCPT TO:` for each of `to`, a message; the replies.
async fn session(net: &Net, ip: Ipv4Addr, to: &[&str]) -> Vec<String> {
    let mut lines = vec!["EHLO pc.example.org".to_string(), "MAIL FROM:x@Example.ORG SIZE=50".to_string()];
    lines.extend(to.iter().map(|t| format!("RCPT TO:{t}")));
    lines.extend(["DATA", "Subject: bare\r\n\r\nhi", "."].map(String::from));
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    crate::common::smtp_talk(net, PC, ip, &lines).await
}

/// sendmail quotes the path as typed (err.c fmtmsg() writes `e_to`) and
/// logs it so: headers.c logsender() `from=%.200s` of `e_from.q_paddr`,
/// the address as parseaddr() copied it.
#[tokio::test(start_paused = true)]
async fn sendmail_takes_and_logs_a_path_without_brackets() {
    let (net, trace) = crate::common::start_sim(&crate::common::two_stores("bare-path"), "bare-path.yaml", PC).await;
    let r = session(&net, Ipv4Addr::new(192, 0, 2, 25), &["alice@example.com"]).await;
    assert_eq!(r[1..3], ["250 2.1.0 x@Example.ORG... Sender ok", "250 2.1.5 alice@example.com... Recipient ok"]);
    assert!(r[4].ends_with(" Message accepted for delivery"), "{r:?}");
    let log = log_after_delivery(&trace, "sm").await;
    assert!(log.iter().any(|l| l.contains(": from=x@Example.ORG, size=")), "{log:#?}");
    let msg = trace.with_events(|ev| {
        ev.iter().find(|e| e.kind == Kind::Deliver).and_then(|e| e.field_str(Field::Message).map(str::to_string))
    });
    assert!(msg.is_some_and(|m| m.contains("\tfor <alice@example.com>; ")), "no delivery for alice");
}

/// Postfix takes it (smtpd.c extract_addr(), `strict_rfc821_envelopes =
/// no`) and writes the address in `<…>` in its log lines, as it does for
/// one sent with brackets (smtpd_check.c, qmgr).
#[tokio::test(start_paused = true)]
async fn postfix_takes_a_path_without_brackets_and_logs_it_bracketed() {
    let (net, trace) = crate::common::start_sim(&crate::common::two_stores("bare-path"), "bare-path.yaml", PC).await;
    let r = session(&net, Ipv4Addr::new(192, 0, 2, 26), &["zoe@example.net", "bob@example.net"]).await;
    assert_eq!(r[1], "250 2.1.0 Ok");
    assert!(r[2].starts_with("550 5.1.1 <zoe@example.net>: Recipient address rejected"), "{r:?}");
    assert_eq!(r[3], "250 2.1.5 Ok");
    assert!(r[5].starts_with("250 2.0.0 Ok: queued as "), "{r:?}");
    let log = log_after_delivery(&trace, "pf").await;
    assert!(
        log.iter()
            .any(|l| l.contains("reject: RCPT from ") && l.contains("; from=<x@Example.ORG> to=<zoe@example.net>")),
        "{log:#?}"
    );
    // (The qmgr line's from= is the lab's form of the sender, not tested here.)
    assert!(log.iter().any(|l| l.contains(": from=<x@") && l.contains("nrcpt=1 (queue active)")), "{log:#?}");
}
