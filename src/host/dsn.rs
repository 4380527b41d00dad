//! Delivery status notifications (RFC 3464): the bounce an MTA returns to
//! the envelope sender when it gives up on a recipient.

use crate::proto::smtp::Flavour;

#[derive(Clone, Debug)]
pub struct Failure {
    pub rcpt: String,
    /// `failed` or `delayed`.
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
    pub failures: &'a [Failure],
    /// The original message; only its header section is returned.
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

pub fn build(r: &Report) -> Vec<u8> {
    let boundary = format!("{}.{}/{}", r.qid, r.message_id.len(), r.reporting_mta);
    let delayed = r.failures.iter().all(|f| f.action == "delayed");
    let persona = r.flavour.persona();
    let from = persona.dsn_sender();
    let subject = persona.dsn_subject(delayed, &crate::scenario::format_duration(r.waited));
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
    if delayed {
        m.push_str("Your message could not be delivered yet. The mail system will keep\r\ntrying; you do not need to send it again.\r\n\r\n");
    } else {
        m.push_str("Your message could not be delivered to one or more recipients.\r\nThe reasons are given below; the headers of your message are attached.\r\n\r\n");
    }
    for f in r.failures {
        m.push_str(&format!(
            "<{}>: {}\r\n",
            f.rcpt,
            f.diagnostic.split_once("; ").map(|x| x.1).unwrap_or(&f.diagnostic)
        ));
    }
    m.push_str(&format!(
        "\r\n--{boundary}\r\nContent-Description: Delivery report\r\nContent-Type: message/delivery-status\r\n\r\n"
    ));
    m.push_str(&format!("Reporting-MTA: dns; {}\r\n", r.reporting_mta));
    m.push_str(&format!("Arrival-Date: {}\r\n", r.arrival_date));
    for f in r.failures {
        m.push_str(&format!(
            "\r\nFinal-Recipient: rfc822; {}\r\nAction: {}\r\nStatus: {}\r\n",
            f.rcpt, f.action, f.status
        ));
        if let Some(mta) = &f.remote_mta {
            m.push_str(&format!("Remote-MTA: dns; {mta}\r\n"));
        }
        m.push_str(&format!("Diagnostic-Code: {}\r\nLast-Attempt-Date: {}\r\n", f.diagnostic, r.date));
    }
    m.push_str(&format!("\r\n--{boundary}\r\nContent-Description: Undelivered Message Headers\r\nContent-Type: text/rfc822-headers\r\n\r\n"));
    let mut out = m.into_bytes();
    out.extend_from_slice(header_section(r.original));
    out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dsn_has_the_three_parts() {
        let f = [Failure {
            rcpt: "zoe@example.com".into(),
            action: "failed",
            status: "5.1.1".into(),
            diagnostic: "smtp; 550 5.1.1 <zoe@example.com>... User unknown".into(),
            remote_mta: Some("mx.example.com".into()),
        }];
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
            failures: &f,
            original: orig,
        });
        let text = String::from_utf8(out.clone()).unwrap();
        assert!(text.contains("report-type=delivery-status"));
        assert!(text.contains("Final-Recipient: rfc822; zoe@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n"));
        assert!(text.contains("Diagnostic-Code: smtp; 550 5.1.1"));
        assert!(text.contains("Content-Type: text/rfc822-headers\r\n\r\nSubject: hi\r\n"));
        assert!(!text.contains("secret body"), "only the headers come back");
        // mail-parser sees a multipart message with three parts.
        let m = mail_parser::MessageParser::new().parse(&out).unwrap();
        assert_eq!(m.parts.len(), 4);
    }
}
