//! Reply texts in the style of the two MTAs the lecture compares.
//!
//! The codes follow RFC 5321 and RFC 3463 in both styles; the wording
//! follows what sendmail 8.18 and Postfix 3.x send, so a student who later
//! reads a real server's transcript or maillog recognises it.

use super::reply::Reply;
use super::server::Peer;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Flavour {
    #[default]
    Sendmail,
    Postfix,
}

pub const SENDMAIL_VERSION: &str = "8.18.1";

impl Flavour {
    pub fn name(self) -> &'static str {
        match self {
            Flavour::Sendmail => "sendmail",
            Flavour::Postfix => "postfix",
        }
    }

    /// `date` is an RFC 5322 date-time.
    pub fn greeting(self, host: &str, date: &str) -> Reply {
        match self {
            Flavour::Sendmail => {
                Reply::new(220, format!("{host} ESMTP Sendmail {SENDMAIL_VERSION}/{SENDMAIL_VERSION}; {date}"))
            }
            Flavour::Postfix => Reply::new(220, format!("{host} ESMTP Postfix")),
        }
    }

    pub fn helo_greet(self, host: &str, _helo: &str, peer: &Peer) -> String {
        match self {
            Flavour::Sendmail => {
                let who = match &peer.name {
                    Some(n) => format!("{n} [{}]", peer.ip),
                    None => format!("[{}]", peer.ip),
                };
                format!("{host} Hello {who}, pleased to meet you")
            }
            Flavour::Postfix => host.to_string(),
        }
    }

    pub fn extensions(self, max_size: u64) -> Vec<String> {
        match self {
            Flavour::Sendmail => vec![
                "ENHANCEDSTATUSCODES".into(),
                "PIPELINING".into(),
                "8BITMIME".into(),
                format!("SIZE {max_size}"),
                "HELP".into(),
            ],
            Flavour::Postfix => vec![
                "PIPELINING".into(),
                format!("SIZE {max_size}"),
                "VRFY".into(),
                "ENHANCEDSTATUSCODES".into(),
                "8BITMIME".into(),
            ],
        }
    }

    pub fn helo_syntax(self, verb: &str) -> Reply {
        match self {
            Flavour::Sendmail => Reply::new(501, format!("5.0.0 {verb} requires domain address")),
            Flavour::Postfix => Reply::new(501, format!("Syntax: {verb} hostname")),
        }
    }
    pub fn need_helo(self) -> Reply {
        match self {
            Flavour::Sendmail => Reply::new(503, "5.0.0 Polite people say HELO first"),
            Flavour::Postfix => Reply::new(503, "5.5.1 Error: send HELO/EHLO first"),
        }
    }
    pub fn nested_mail(self) -> Reply {
        match self {
            Flavour::Sendmail => Reply::new(503, "5.5.0 Sender already specified"),
            Flavour::Postfix => Reply::new(503, "5.5.1 Error: nested MAIL command"),
        }
    }
    pub fn need_mail(self) -> Reply {
        match self {
            Flavour::Sendmail => Reply::new(503, "5.0.0 Need MAIL before RCPT"),
            Flavour::Postfix => Reply::new(503, "5.5.1 Error: need MAIL command"),
        }
    }
    pub fn need_rcpt(self) -> Reply {
        match self {
            Flavour::Sendmail => Reply::new(503, "5.0.0 Need RCPT (recipient)"),
            Flavour::Postfix => Reply::new(554, "5.5.1 Error: no valid recipients"),
        }
    }
    pub fn mail_syntax(self) -> Reply {
        match self {
            Flavour::Sendmail => Reply::new(501, "5.5.2 Syntax error in parameters scanning \"from\""),
            Flavour::Postfix => Reply::new(501, "5.5.4 Syntax: MAIL FROM:<address>"),
        }
    }
    pub fn rcpt_syntax(self) -> Reply {
        match self {
            Flavour::Sendmail => Reply::new(501, "5.5.2 Syntax error in parameters scanning \"to\""),
            Flavour::Postfix => Reply::new(501, "5.5.4 Syntax: RCPT TO:<address>"),
        }
    }
    pub fn bad_address(self, why: &str) -> Reply {
        Reply::new(501, format!("5.1.3 Bad address syntax: {why}"))
    }
    pub fn too_big(self) -> Reply {
        match self {
            Flavour::Sendmail => Reply::new(552, "5.2.3 Message size exceeds maximum value"),
            Flavour::Postfix => Reply::new(552, "5.3.4 Message size exceeds fixed limit"),
        }
    }
    pub fn data_go(self) -> Reply {
        match self {
            Flavour::Sendmail => Reply::new(354, "Enter mail, end with \".\" on a line by itself"),
            Flavour::Postfix => Reply::new(354, "End data with <CR><LF>.<CR><LF>"),
        }
    }
    pub fn rset(self) -> Reply {
        match self {
            Flavour::Sendmail => Reply::new(250, "2.0.0 Reset state"),
            Flavour::Postfix => Reply::new(250, "2.0.0 Ok"),
        }
    }
    pub fn noop(self) -> Reply {
        match self {
            Flavour::Sendmail => Reply::new(250, "2.0.0 OK"),
            Flavour::Postfix => Reply::new(250, "2.0.0 Ok"),
        }
    }
    pub fn quit(self, host: &str) -> Reply {
        match self {
            Flavour::Sendmail => Reply::new(221, format!("2.0.0 {host} closing connection")),
            Flavour::Postfix => Reply::new(221, "2.0.0 Bye"),
        }
    }
    pub fn vrfy(self, arg: &str) -> Reply {
        match self {
            Flavour::Sendmail => {
                Reply::new(252, "2.5.2 Cannot VRFY user; try RCPT to attempt delivery (or try finger)")
            }
            Flavour::Postfix => Reply::new(252, format!("2.0.0 {arg}")),
        }
    }
    pub fn expn(self) -> Reply {
        match self {
            Flavour::Sendmail => Reply::new(502, "5.7.0 Sorry, we do not allow this operation"),
            Flavour::Postfix => Reply::new(502, "5.5.1 Error: command not implemented"),
        }
    }
    pub fn help(self) -> Reply {
        let lines = [
            "2.0.0 This is a maillab teaching server.",
            "2.0.0 Commands:",
            "2.0.0     HELO    EHLO    MAIL    RCPT    DATA",
            "2.0.0     RSET    NOOP    QUIT    HELP    VRFY",
            "2.0.0 End of HELP info",
        ];
        Reply::multi(214, lines.iter().map(|s| s.to_string()).collect())
    }
    pub fn unknown(self, verb: &str) -> Reply {
        match self {
            Flavour::Sendmail => Reply::new(500, format!("5.5.1 Command unrecognized: \"{verb}\"")),
            Flavour::Postfix => Reply::new(502, "5.5.2 Error: command not recognized"),
        }
    }
    pub fn empty_command(self) -> Reply {
        match self {
            Flavour::Sendmail => Reply::new(500, "5.5.1 Command unrecognized: \"\""),
            Flavour::Postfix => Reply::new(500, "5.5.2 Error: bad syntax"),
        }
    }
    pub fn not_implemented(self, verb: &str) -> Reply {
        match self {
            Flavour::Sendmail => self.unknown(verb),
            Flavour::Postfix => Reply::new(502, "5.5.1 Error: command not implemented"),
        }
    }
    pub fn auth_not_available(self) -> Reply {
        match self {
            Flavour::Sendmail => Reply::new(503, "5.3.3 AUTH not available"),
            Flavour::Postfix => Reply::new(503, "5.5.1 Error: authentication not enabled"),
        }
    }

    // --- replies chosen by the mail system's policy ---

    pub fn mail_ok(self, from: &str) -> Reply {
        match self {
            Flavour::Sendmail => Reply::new(250, format!("2.1.0 {from}... Sender ok")),
            Flavour::Postfix => Reply::new(250, "2.1.0 Ok"),
        }
    }
    pub fn rcpt_ok(self, to: &str) -> Reply {
        match self {
            Flavour::Sendmail => Reply::new(250, format!("2.1.5 {to}... Recipient ok")),
            Flavour::Postfix => Reply::new(250, "2.1.5 Ok"),
        }
    }
    pub fn queued(self, qid: &str) -> Reply {
        match self {
            Flavour::Sendmail => Reply::new(250, format!("2.0.0 {qid} Message accepted for delivery")),
            Flavour::Postfix => Reply::new(250, format!("2.0.0 Ok: queued as {qid}")),
        }
    }
    /// `to` is written with its angle brackets.
    pub fn relay_denied(self, to: &str) -> Reply {
        match self {
            Flavour::Sendmail => Reply::new(550, format!("5.7.1 {to}... Relaying denied")),
            Flavour::Postfix => Reply::new(554, format!("5.7.1 {to}: Relay access denied")),
        }
    }
    pub fn user_unknown(self, to: &str) -> Reply {
        match self {
            Flavour::Sendmail => Reply::new(550, format!("5.1.1 {to}... User unknown")),
            Flavour::Postfix => Reply::new(
                550,
                format!("5.1.1 {to}: Recipient address rejected: User unknown in local recipient table"),
            ),
        }
    }
    /// The `(…)` part of a Received: header's `by` clause.
    pub fn software(self) -> String {
        match self {
            Flavour::Sendmail => format!("{SENDMAIL_VERSION}/{SENDMAIL_VERSION}"),
            Flavour::Postfix => "Postfix".into(),
        }
    }
}
