//! Delivery status notifications (RFC 3464): the bounce an MTA returns to
//! the envelope sender when it gives up on a recipient, the warning while it
//! keeps trying, and the success report a sender asked for with
//! `NOTIFY=SUCCESS` (RFC 3461).

use crate::proto::smtp::Flavour;
use crate::proto::smtp::envelope::{MailParams, Notify, RcptParams, Ret};
pub use crate::proto::smtp::persona::{AliasDsn, DsnKind};

/// What recipient `alias`'s DSN request `rp` becomes for the addresses a
/// local alias stands for (RFC 3461 §5.2.7), and whether the sender gets an
/// `expanded` report for the alias. NOTIFY goes on whole ([`AliasDsn::PassOn`],
/// §5.2.7.2) or without SUCCESS ([`AliasDsn::Expanded`], §5.2.7.3 (c):
/// `NEVER` when SUCCESS was all; the report only if SUCCESS was asked).
/// ORCPT goes on as the sender gave it or, if none was given, names the
/// alias: an ORCPT an MTA adds carries the recipient it received (§5.2.1 (d)).
pub fn through_alias(mode: AliasDsn, alias: &str, rp: &RcptParams) -> (RcptParams, bool) {
    let mut out = rp.clone();
    if mode == AliasDsn::Expanded {
        out.notify = rp.notify.map(|n| Notify { success: false, ..n });
    }
    out.orcpt.get_or_insert_with(|| ("rfc822".into(), alias.to_string()));
    (out, mode == AliasDsn::Expanded && rp.on_success())
}

#[derive(Clone, Debug)]
pub struct Failure {
    pub rcpt: String,
    /// `failed`, `delayed`, `delivered` or `relayed` (RFC 3464 §2.3.3).
    pub action: &'static str,
    /// RFC 3463 status, e.g. `5.1.1`.
    pub status: String,
    /// `smtp; 550 5.1.1 ...` or a local reason.
    pub diagnostic: String,
    pub remote_mta: Option<String>,
}

pub struct Report<'a> {
    pub flavour: Flavour,
    pub reporting_mta: &'a str,
    pub qid: &'a str,
    pub to: &'a str,
    pub date: &'a str,
    pub arrival_date: &'a str,
    /// How long the message has waited (for the wording of a "delayed" notice).
    pub waited: std::time::Duration,
    pub message_id: &'a str,
    /// What the report is about: failures, a delay, or successes.
    pub kind: DsnKind,
    /// One entry per recipient reported; `action` is `failed`, `delayed`,
    /// `delivered` or `relayed`.
    pub failures: &'a [Failure],
    /// The sender's DSN parameters: `ENVID` and each recipient's `ORCPT`
    /// are quoted back (RFC 3464 §2.2.1, §2.3.1), `RET` decides what of the
    /// message a failure report returns.
    pub params: &'a MailParams,
    /// The original message.
    pub original: &'a [u8],
}

/// The header section of a message (up to the first empty line).
pub fn header_section(msg: &[u8]) -> &[u8] {
    let mut i = 0;
    while i < msg.len() {
        let end = msg[i..].iter().position(|&b| b == b'\n').map(|p| i + p + 1).unwrap_or(msg.len());
        let line = &msg[i..end];
        if line == b"\r\n" || line == b"\n" {
            return &msg[..i];
        }
        i = end;
    }
    msg
}

/// Does the report return the whole message rather than its header section?
/// Only a failure report does, as RET asks or, without RET, as the flavour
/// does (RFC 3461 §4.3: other reports SHOULD return only the headers).
pub fn returns_full(r: &Report) -> bool {
    r.kind == DsnKind::Failure
        && match r.params.ret {
            Some(ret) => ret == Ret::Full,
            None => r.flavour.persona().dsn_returns_full_by_default(),
        }
}

pub fn build(r: &Report) -> Vec<u8> {
    let boundary = format!("{}.{}/{}", r.qid, r.message_id.len(), r.reporting_mta);
    let persona = r.flavour.persona();
    let from = persona.dsn_sender();
    let subject = persona.dsn_subject(r.kind, &crate::scenario::format_duration(r.waited));
    let full = returns_full(r);
    let mut m = String::new();
    m.push_str(&format!("From: {from} <MAILER-DAEMON@{}>\r\n", r.reporting_mta));
    m.push_str(&format!("To: <{}>\r\n", r.to));
    m.push_str(&format!("Subject: {subject}\r\n"));
    m.push_str(&format!("Date: {}\r\n", r.date));
    m.push_str(&format!("Message-ID: <{}@{}>\r\n", r.message_id, r.reporting_mta));
    m.push_str("Auto-Submitted: auto-replied\r\n");
    m.push_str("MIME-Version: 1.0\r\n");
    m.push_str(&format!(
        "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"{boundary}\"\r\n"
    ));
    m.push_str("\r\nThis is a MIME-encapsulated message.\r\n\r\n");
    m.push_str(&format!(
        "--{boundary}\r\nContent-Description: Notification\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
    ));
    m.push_str(&format!("This is the mail system at host {}.\r\n\r\n", r.reporting_mta));
    match r.kind {
        DsnKind::Delay => m.push_str("Your message could not be delivered yet. The mail system will keep\r\ntrying; you do not need to send it again.\r\n\r\n"),
        DsnKind::Failure if full => m.push_str("Your message could not be delivered to one or more recipients.\r\nThe reasons are given below; your message is attached.\r\n\r\n"),
        DsnKind::Failure => m.push_str("Your message could not be delivered to one or more recipients.\r\nThe reasons are given below; the headers of your message are attached.\r\n\r\n"),
        // Postfix's success template (bounce_templates.c), as both flavours' report says it.
        DsnKind::Success => m.push_str("Your message was successfully delivered to the destination(s)\r\nlisted below. If the message was delivered to mailbox you will\r\nreceive no further notifications. Otherwise you may still receive\r\nnotifications of mail delivery errors from other systems.\r\n\r\n"),
    }
    for f in r.failures {
        let why = f.diagnostic.split_once("; ").map(|x| x.1).unwrap_or(&f.diagnostic);
        // Postfix names the address an alias was expanded from (here the
        // ORCPT the expansion passed on, or the sender's).
        let from = r.params.rcpt.get(&f.rcpt).and_then(|p| p.orcpt.as_ref()).map(|(_, a)| a.as_str());
        match from.filter(|a| persona.dsn_names_expansion() && !a.eq_ignore_ascii_case(&f.rcpt)) {
            Some(a) => m.push_str(&format!("<{}> (expanded from <{a}>): {why}\r\n", f.rcpt)),
            None => m.push_str(&format!("<{}>: {why}\r\n", f.rcpt)),
        }
    }
    m.push_str(&format!(
        "\r\n--{boundary}\r\nContent-Description: Delivery report\r\nContent-Type: message/delivery-status\r\n\r\n"
    ));
    m.push_str(&format!("Reporting-MTA: dns; {}\r\n", r.reporting_mta));
    if let Some(id) = &r.params.envid {
        m.push_str(&format!("Original-Envelope-Id: {id}\r\n"));
    }
    m.push_str(&format!("Arrival-Date: {}\r\n", r.arrival_date));
    for f in r.failures {
        m.push_str(&format!("\r\nFinal-Recipient: rfc822; {}\r\n", f.rcpt));
        if let Some((t, a)) = r.params.rcpt.get(&f.rcpt).and_then(|p| p.orcpt.as_ref()) {
            m.push_str(&format!("Original-Recipient: {t}; {a}\r\n"));
        }
        m.push_str(&format!("Action: {}\r\nStatus: {}\r\n", f.action, f.status));
        if let Some(mta) = &f.remote_mta {
            m.push_str(&format!("Remote-MTA: dns; {mta}\r\n"));
        }
        m.push_str(&format!("Diagnostic-Code: {}\r\nLast-Attempt-Date: {}\r\n", f.diagnostic, r.date));
    }
    let (description, content_type) = match (r.kind, full) {
        (DsnKind::Failure, true) => ("Undelivered Message", "message/rfc822"),
        (DsnKind::Failure, false) => ("Undelivered Message Headers", "text/rfc822-headers"),
        _ => ("Message Headers", "text/rfc822-headers"),
    };
    m.push_str(&format!(
        "\r\n--{boundary}\r\nContent-Description: {description}\r\nContent-Type: {content_type}\r\n\r\n"
    ));
    let mut out = m.into_bytes();
    if full {
        out.extend_from_slice(r.original);
        if !r.original.is_empty() && !r.original.ends_with(b"\r\n") {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    } else {
        out.extend_from_slice(header_section(r.original));
        out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SF: Notify = Notify { success: true, failure: true, delay: false };

    #[test]
    fn an_expanded_alias_drops_success_and_reports_it() {
        let rp = RcptParams { notify: Some(SF), orcpt: Some(("rfc822".into(), "Team@Example.com".into())) };
        let (out, report) = through_alias(AliasDsn::Expanded, "team@example.com", &rp);
        assert!(report);
        assert_eq!(out.notify, Some(Notify { success: false, failure: true, delay: false }));
        // The sender's ORCPT goes on exactly as given (RFC 3461 §5.2.1 (d)).
        assert_eq!(out.orcpt, Some(("rfc822".into(), "Team@Example.com".into())));
        // SUCCESS alone becomes NEVER.
        let only = RcptParams { notify: Some(Notify { success: true, failure: false, delay: false }), orcpt: None };
        let (out, report) = through_alias(AliasDsn::Expanded, "team@example.com", &only);
        assert!(report);
        assert_eq!(out.notify, Some(Notify::NEVER));
        assert_eq!(out.notify.map(Notify::value).as_deref(), Some("NEVER"));
    }

    #[test]
    fn an_alias_adds_the_orcpt_the_sender_left_out() {
        let rp = RcptParams { notify: Some(Notify { success: false, failure: true, delay: true }), orcpt: None };
        for mode in [AliasDsn::PassOn, AliasDsn::Expanded] {
            let (out, report) = through_alias(mode, "team@example.com", &rp);
            assert!(!report, "no SUCCESS asked, no report");
            assert_eq!(out.notify, rp.notify);
            assert_eq!(out.orcpt, Some(("rfc822".into(), "team@example.com".into())));
        }
        // No NOTIFY given stays no NOTIFY (the next MTA's default).
        let (out, report) = through_alias(AliasDsn::Expanded, "team@example.com", &RcptParams::default());
        assert!(!report && out.notify.is_none());
    }

    #[test]
    fn an_alias_of_one_address_passes_success_on() {
        let rp = RcptParams { notify: Some(SF), orcpt: None };
        let (out, report) = through_alias(AliasDsn::PassOn, "one@example.com", &rp);
        assert!(!report, "the new address reports success itself");
        assert_eq!(out.notify, Some(SF));
    }

    #[test]
    fn postfix_names_the_alias_a_failed_address_came_from() {
        let mut params = MailParams::default();
        params.rcpt.insert(
            "zoe@example.com".into(),
            RcptParams { notify: None, orcpt: Some(("rfc822".into(), "team@example.com".into())) },
        );
        let text = report(DsnKind::Failure, &[failure()], &params);
        assert!(text.contains("<zoe@example.com> (expanded from <team@example.com>): 550 5.1.1"), "{text}");
        assert!(text.contains("Original-Recipient: rfc822; team@example.com\r\n"), "{text}");
        // An ORCPT naming the recipient itself (any case) is no expansion.
        params.rcpt.insert(
            "zoe@example.com".into(),
            RcptParams { notify: None, orcpt: Some(("rfc822".into(), "Zoe@example.com".into())) },
        );
        let text = report(DsnKind::Failure, &[failure()], &params);
        assert!(text.contains("\r\n<zoe@example.com>: 550 5.1.1"), "{text}");
    }

    fn failure() -> Failure {
        Failure {
            rcpt: "zoe@example.com".into(),
            action: "failed",
            status: "5.1.1".into(),
            diagnostic: "smtp; 550 5.1.1 <zoe@example.com>... User unknown".into(),
            remote_mta: Some("mx.example.com".into()),
        }
    }

    fn report(kind: DsnKind, f: &[Failure], params: &MailParams) -> String {
        let orig = b"Subject: hi\r\nFrom: a@b.example\r\n\r\nsecret body\r\n";
        let out = build(&Report {
            flavour: Flavour::Postfix,
            reporting_mta: "hub.example.org",
            qid: "ABC",
            to: "a@b.example",
            date: "Wed, 1 Apr 2026 10:00:00 +0900",
            arrival_date: "Wed, 1 Apr 2026 09:59:00 +0900",
            waited: std::time::Duration::from_secs(60),
            message_id: "20260401.ABC",
            kind,
            failures: f,
            params,
            original: orig,
        });
        // mail-parser sees a multipart message with three parts.
        let m = mail_parser::MessageParser::new().parse(&out).unwrap();
        assert!(m.parts.len() >= 4, "{}", m.parts.len());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn ret_hdrs_returns_only_the_headers() {
        let params = MailParams { ret: Some(Ret::Hdrs), ..MailParams::default() };
        let text = report(DsnKind::Failure, &[failure()], &params);
        assert!(text.contains("report-type=delivery-status"));
        assert!(text.contains("Final-Recipient: rfc822; zoe@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n"));
        assert!(text.contains("Diagnostic-Code: smtp; 550 5.1.1"));
        assert!(text.contains("Content-Type: text/rfc822-headers\r\n\r\nSubject: hi\r\n"));
        assert!(!text.contains("secret body"), "only the headers come back");
        assert!(!text.contains("Original-Envelope-Id"));
    }

    #[test]
    fn without_ret_a_failure_returns_the_whole_message() {
        let text = report(DsnKind::Failure, &[failure()], &MailParams::default());
        assert!(text.contains(
            "Content-Description: Undelivered Message\r\nContent-Type: message/rfc822\r\n\r\nSubject: hi\r\n"
        ));
        assert!(text.contains("secret body"));
    }

    #[test]
    fn envid_and_orcpt_are_quoted_back_and_success_returns_headers() {
        let mut params = MailParams { ret: Some(Ret::Full), envid: Some("QQ 1".into()), ..MailParams::default() };
        let rp = RcptParams {
            notify: Some(Notify { success: true, failure: true, delay: false }),
            orcpt: Some(("rfc822".into(), "Zoe@Example.com".into())),
        };
        params.rcpt.insert("zoe@example.com".into(), rp);
        let ok = Failure {
            action: "delivered",
            status: "2.0.0".into(),
            diagnostic: "X-Postfix; delivery via local: delivered to mailbox".into(),
            remote_mta: None,
            ..failure()
        };
        let text = report(DsnKind::Success, &[ok], &params);
        assert!(text.contains("Subject: Successful Mail Delivery Report\r\n"), "{text}");
        assert!(text.contains("Reporting-MTA: dns; hub.example.org\r\nOriginal-Envelope-Id: QQ 1\r\n"));
        assert!(text.contains(
            "Final-Recipient: rfc822; zoe@example.com\r\nOriginal-Recipient: rfc822; Zoe@Example.com\r\nAction: delivered\r\nStatus: 2.0.0\r\n"
        ));
        // RET applies to failure reports only (RFC 3461 §4.3).
        assert!(!text.contains("secret body"));
    }
}
