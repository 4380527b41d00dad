//! Delivery status notifications (RFC 3464): the bounce an MTA returns to
//! the envelope sender when it gives up on a recipient, the warning while it
//! keeps trying, and the success report a sender asked for with
//! `NOTIFY=SUCCESS` (RFC 3461).

use crate::proto::smtp::Flavour;
use crate::proto::smtp::envelope::{MailParams, Notify, RcptParams, Ret};
pub use crate::proto::smtp::persona::{AliasDsn, DsnKind, Words};
use crate::proto::smtp::persona::{DsnFacts, DsnRcpt, Origin, ReportTo};
use chrono::{DateTime, FixedOffset};

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

/// sendmail's NOTIFY of an address that came through an alias once a
/// duplicate of it is dropped: the two requests joined, as recipient()
/// ORs the dropped address's flags into the kept one's (recipient.c,
/// `q->q_flags |= new->q_flags`). An address given without NOTIFY has the
/// default FAILURE and DELAY flags (parseaddr.c: `a->q_flags |=
/// DefaultNotify`, main.c: `QPINGONFAILURE|QPINGONDELAY`) but no
/// QHASNOTIFY: joined with one that has NOTIFY, those count.
pub fn join_notify(kept: Option<Notify>, dropped: Option<Notify>) -> Option<Notify> {
    if kept.is_none() && dropped.is_none() {
        return None;
    }
    let bits = |n: Option<Notify>| n.unwrap_or(Notify { success: false, failure: true, delay: true });
    let (a, b) = (bits(kept), bits(dropped));
    Some(Notify { success: a.success || b.success, failure: a.failure || b.failure, delay: a.delay || b.delay })
}

#[derive(Clone, Debug)]
pub struct Failure {
    pub rcpt: String,
    /// The recipient's `ORCPT` (type, address), quoted back as
    /// `Original-Recipient:` (RFC 3464 §2.3.1).
    pub orcpt: Option<(String, String)>,
    /// `failed`, `delayed`, `delivered` or `relayed` (RFC 3464 §2.3.3).
    pub action: &'static str,
    /// RFC 3463 status, e.g. `5.1.1`.
    pub status: String,
    /// The `Diagnostic-Code:` value (`smtp; 550 5.1.1 ...`), if any.
    pub diagnostic: Option<String>,
    /// The reason in the flavour's words, as the report's text gives it.
    pub reason: String,
    pub remote_mta: Option<String>,
    /// The next hop's reply (sendmail's `(reason: …)`).
    pub reply: Option<String>,
    /// The lines of the session transcript a sendmail report quotes.
    pub transcript: Vec<String>,
}

impl Failure {
    /// A recipient's entry in a report, in the words `w` of its fate.
    pub fn new(rcpt: &str, action: &'static str, w: &Words, remote_mta: Option<String>) -> Self {
        Failure {
            rcpt: rcpt.to_string(),
            orcpt: None,
            action,
            status: w.status.clone(),
            diagnostic: w.diagnostic.clone(),
            reason: w.reason.clone(),
            remote_mta,
            reply: w.reply.clone(),
            transcript: w.transcript.clone(),
        }
    }
    /// An entry whose diagnostic is of type `dtype` with text `text`.
    pub fn plain(rcpt: &str, action: &'static str, status: &str, dtype: &str, text: &str) -> Self {
        Failure {
            rcpt: rcpt.to_string(),
            orcpt: None,
            action,
            status: status.to_string(),
            diagnostic: Some(format!("{dtype}; {text}")),
            reason: text.to_string(),
            remote_mta: None,
            reply: None,
            transcript: Vec::new(),
        }
    }
    /// The entry with the recipient's ORCPT.
    pub fn with_orcpt(mut self, orcpt: Option<(String, String)>) -> Self {
        self.orcpt = orcpt;
        self
    }
}

pub struct Report<'a> {
    pub flavour: Flavour,
    pub reporting_mta: &'a str,
    /// The queue id of the message reported on, and of the report.
    pub qid: &'a str,
    pub new_qid: &'a str,
    /// The report's recipient (the sender, or the postmaster).
    pub to: &'a str,
    pub report_to: ReportTo,
    pub now: DateTime<FixedOffset>,
    pub arrival_date: &'a str,
    /// How long the message has waited (a delay warning: the warning interval).
    pub waited: std::time::Duration,
    /// The queue lifetime (sendmail's "Will keep trying until …").
    pub lifetime: std::time::Duration,
    /// The report's Message-ID, without angle brackets.
    pub message_id: &'a str,
    pub origin: Option<&'a Origin>,
    /// What the report is about: failures, a delay, or successes.
    pub kind: DsnKind,
    /// One entry per recipient reported; `action` is `failed`, `delayed`,
    /// `delivered` or `relayed`.
    pub failures: &'a [Failure],
    /// The sender's DSN parameters of MAIL: `ENVID` is quoted back (RFC
    /// 3464 §2.2.1; each recipient's `ORCPT` is in its [`Failure`]), `RET`
    /// decides what of the message a failure report returns.
    pub params: &'a MailParams,
    /// The original message.
    pub original: &'a [u8],
}

/// The header section of a message (up to the first empty line).
pub use crate::proto::smtp::persona::header_section;

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

/// The report, in the flavour's words (`Persona::dsn_message`).
pub fn build(r: &Report) -> Vec<u8> {
    let recipients = r
        .failures
        .iter()
        .map(|f| DsnRcpt {
            rcpt: &f.rcpt,
            orcpt: f.orcpt.as_ref().map(|(t, a)| (t.as_str(), a.as_str())),
            action: f.action,
            status: &f.status,
            diagnostic: f.diagnostic.as_deref(),
            reason: &f.reason,
            remote_mta: f.remote_mta.as_deref(),
            reply: f.reply.as_deref(),
            transcript: &f.transcript,
        })
        .collect();
    r.flavour.persona().dsn_message(&DsnFacts {
        kind: r.kind,
        to: r.report_to,
        reporting_mta: r.reporting_mta,
        qid: r.qid,
        new_qid: r.new_qid,
        rcpt_to: r.to,
        now: r.now,
        arrival_date: r.arrival_date,
        waited: r.waited,
        lifetime: r.lifetime,
        message_id: r.message_id,
        origin: r.origin,
        envid: r.params.envid.as_deref(),
        full: returns_full(r),
        original: r.original,
        recipients,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::smtp::persona::{Persona, Trouble};

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
        let params = MailParams::default();
        let f = failure().with_orcpt(Some(("rfc822".into(), "team@example.com".into())));
        let text = report(DsnKind::Failure, &[f], &params);
        assert!(text.contains("<zoe@example.com> (expanded from <team@example.com>): 550 5.1.1"), "{text}");
        assert!(text.contains("Original-Recipient: rfc822; team@example.com\r\n"), "{text}");
        // An ORCPT naming the recipient itself (any case) is no expansion.
        let f = failure().with_orcpt(Some(("rfc822".into(), "Zoe@example.com".into())));
        let text = report(DsnKind::Failure, &[f], &params);
        assert!(text.contains("\r\n<zoe@example.com>: 550 5.1.1"), "{text}");
    }

    fn failure() -> Failure {
        let mut f =
            Failure::plain("zoe@example.com", "failed", "5.1.1", "smtp", "550 5.1.1 <zoe@example.com>... User unknown");
        f.remote_mta = Some("mx.example.com".into());
        f
    }

    fn report(kind: DsnKind, f: &[Failure], params: &MailParams) -> String {
        report_in(Flavour::Postfix, kind, f, params, ReportTo::Sender)
    }

    fn report_in(flavour: Flavour, kind: DsnKind, f: &[Failure], params: &MailParams, to: ReportTo) -> String {
        let orig = b"Subject: hi\r\nFrom: a@b.example\r\n\r\nsecret body\r\n";
        let now = DateTime::parse_from_rfc3339("2026-04-01T10:00:00+09:00").unwrap();
        let peer = crate::proto::smtp::envelope::Peer {
            name: Some("pc1.example.ac.jp".into()),
            ip: std::net::Ipv4Addr::new(192, 0, 2, 23),
            forged: false,
        };
        let origin = Origin::Smtp(peer);
        let out = build(&Report {
            flavour,
            reporting_mta: "hub.example.org",
            qid: "ABC",
            new_qid: "DEF",
            to: "a@b.example",
            report_to: to,
            now,
            arrival_date: "Wed, 1 Apr 2026 09:59:00 +0900",
            waited: std::time::Duration::from_secs(4 * 3600),
            lifetime: std::time::Duration::from_secs(5 * 86400),
            message_id: "20260401.ABC",
            origin: Some(&origin),
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
        let params = MailParams { ret: Some(Ret::Full), envid: Some("QQ 1".into()), ..MailParams::default() };
        let ok = Failure::plain(
            "zoe@example.com",
            "delivered",
            "2.0.0",
            "X-Postfix",
            "delivery via local: delivered to mailbox",
        )
        .with_orcpt(Some(("rfc822".into(), "Zoe@Example.com".into())));
        let text = report(DsnKind::Success, &[ok], &params);
        assert!(text.contains("Subject: Successful Mail Delivery Report\r\n"), "{text}");
        assert!(text.contains("Reporting-MTA: dns; hub.example.org\r\nOriginal-Envelope-Id: QQ 1\r\n"));
        assert!(text.contains(
            "Final-Recipient: rfc822; zoe@example.com\r\nOriginal-Recipient: rfc822; Zoe@Example.com\r\nAction: delivered\r\nStatus: 2.0.0\r\n"
        ));
        // RET applies to failure reports only (RFC 3461 §4.3).
        assert!(!text.contains("secret body"));
    }

    /// sendmail's failure report: savemail.c errbody()'s text, its
    /// delivery-status fields (Original-Envelope-Id first, the types as the
    /// mailer's T=DNS/RFC822/SMTP spells them), the header in
    /// returntosender()'s order.
    #[test]
    fn sendmail_writes_its_own_failure_report() {
        let mut f = failure();
        let sm = crate::proto::smtp::persona::sendmail::Sendmail;
        let reply = crate::proto::smtp::Reply::new(550, "5.1.1 <zoe@example.com>... User unknown");
        let w = sm.trouble(
            &Trouble::Refused {
                host: "mx.example.com",
                ip: std::net::Ipv4Addr::new(198, 51, 100, 25),
                reply: &reply,
                stage: crate::proto::smtp::client::Stage::Rcpt,
                command: Some("RCPT TO:<zoe@example.com>"),
            },
            "zoe@example.com",
            false,
        );
        f = Failure::new(&f.rcpt, "failed", &w, f.remote_mta);
        let text = report_in(Flavour::Sendmail, DsnKind::Failure, &[f], &MailParams::default(), ReportTo::Sender);
        for want in [
            "Date: Wed, 1 Apr 2026 10:00:00 +0900\r\nFrom: Mail Delivery Subsystem <MAILER-DAEMON@hub.example.org>\r\nMessage-Id: <20260401.ABC>\r\nTo: <a@b.example>\r\nMIME-Version: 1.0\r\n",
            "Subject: Returned mail: see transcript for details\r\nAuto-Submitted: auto-generated (failure)\r\n",
            "boundary=\"DEF.1775005200/hub.example.org\"",
            "This is a MIME-encapsulated message\r\n\r\n--DEF.1775005200/hub.example.org\r\n\r\nThe original message was received at Wed, 1 Apr 2026 09:59:00 +0900\r\nfrom pc1.example.ac.jp [192.0.2.23]\r\n\r\n",
            "   ----- The following addresses had permanent fatal errors -----\r\n<zoe@example.com>\r\n    (reason: 550 5.1.1 <zoe@example.com>... User unknown)\r\n\r\n",
            "   ----- Transcript of session follows -----\r\n... while talking to mx.example.com.:\r\n>>> RCPT TO:<zoe@example.com>\r\n<<< 550 5.1.1 <zoe@example.com>... User unknown\r\n550 5.1.1 <zoe@example.com>... User unknown\r\n",
            "Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; hub.example.org\r\nReceived-From-MTA: DNS; pc1.example.ac.jp\r\nArrival-Date: Wed, 1 Apr 2026 09:59:00 +0900\r\n",
            "\r\nFinal-Recipient: RFC822; zoe@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\nRemote-MTA: DNS; mx.example.com\r\nDiagnostic-Code: SMTP; 550 5.1.1 <zoe@example.com>... User unknown\r\n",
            "Content-Type: message/rfc822\r\n\r\nSubject: hi\r\n",
        ] {
            assert!(text.contains(want), "missing {want:?} in\n{text}");
        }
        assert!(!text.contains("This is the mail system"), "Postfix's template: {text}");
        assert!(!text.contains("in reply to"), "Postfix's words: {text}");
        // The postmaster's copy of a failed report says so.
        let pm = report_in(
            Flavour::Sendmail,
            DsnKind::Failure,
            &[failure()],
            &MailParams::default(),
            ReportTo::PostmasterOfNullSender,
        );
        assert!(pm.contains("Subject: Postmaster notify: see transcript for details\r\nAuto-Submitted: auto-generated (postmaster-notification)\r\n"), "{pm}");
        assert!(pm.contains("from pc1.example.ac.jp [192.0.2.23]\r\nwith id ABC\r\n"), "{pm}");
    }

    #[test]
    fn postfix_s_diagnostic_code_is_the_reply_alone() {
        let reply = crate::proto::smtp::Reply::new(550, "5.1.1 <zoe@example.com>: Recipient address rejected");
        let w = crate::proto::smtp::persona::postfix::Postfix.trouble(
            &Trouble::Refused {
                host: "mx.example.com",
                ip: std::net::Ipv4Addr::new(198, 51, 100, 25),
                reply: &reply,
                stage: crate::proto::smtp::client::Stage::Rcpt,
                command: None,
            },
            "zoe@example.com",
            false,
        );
        let f = Failure::new("zoe@example.com", "failed", &w, Some("mx.example.com".into()));
        let text = report(DsnKind::Failure, &[f], &MailParams::default());
        // smtp_trouble.c: dsb_update(…, DSB_DTYPE_SMTP, reply): the command is in the text only.
        assert!(
            text.contains("Diagnostic-Code: smtp; 550 5.1.1 <zoe@example.com>: Recipient address rejected\r\n"),
            "{text}"
        );
        assert!(text.contains("<zoe@example.com>: 550 5.1.1 <zoe@example.com>: Recipient address rejected (in reply to RCPT TO command)\r\n"), "{text}");
    }
}
