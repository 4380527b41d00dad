//! The named facts an event can carry besides time, host, kind, session,
//! peer and line. One enum, so that code which writes a field and code which
//! reads it back cannot disagree on its name.

use std::fmt;

macro_rules! fields {
    ($( $(#[$m:meta])* $v:ident = $name:literal ),* $(,)?) => {
        /// A field's name, serialised as written here (`rcpts`, `delay_ms`).
        /// Declared in the order of their names, so that comparing two
        /// fields compares their names (an event's fields are kept sorted).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Field { $( $(#[$m])* $v ),* }

        impl Field {
            pub const ALL: &'static [Field] = &[ $( Field::$v ),* ];
            pub fn name(self) -> &'static str {
                match self { $( Field::$v => $name ),* }
            }
        }
    };
}

fields! {
    /// Recipients a MUA's submission got accepted; per-MTA accepted recipients in `summary`.
    Accepted = "accepted",
    /// Addresses an alias added.
    Added = "added",
    Bounced = "bounced",
    /// A TLS cipher suite (IANA name).
    Cipher = "cipher",
    /// A reply code (SMTP, HTTP).
    Code = "code",
    /// Messages a fetch read.
    Count = "count",
    /// A wire segment's payload, hex.
    Data = "data",
    DelayMs = "delay_ms",
    Delivered = "delivered",
    /// What a receiver did with mail failing DMARC (`none`, `quarantine`, `reject`): the policy, or a
    /// step down when `pct=` left the message out of the sample.
    Disposition = "disposition",
    /// The domain a mail authentication result is about (SPF's MAIL FROM domain, DKIM's `d=`, DMARC's From: domain).
    Domain = "domain",
    Dst = "dst",
    /// The line of an expectation in the scenario file.
    ExpectLine = "expect_line",
    Failures = "failures",
    /// TCP flags of a wire segment.
    Flags = "flags",
    /// `sendmail` or `postfix`.
    Flavour = "flavour",
    /// A DNS message id.
    Id = "id",
    Ip = "ip",
    /// The event's line in Japanese, where maillab words it when it makes
    /// the event (an expectation's result), for a view in Japanese.
    LineJa = "line_ja",
    /// A mailing list's name.
    List = "list",
    Mailbox = "mailbox",
    /// A whole message.
    Message = "message",
    /// A step's note, in English, as its line ends (`… — NOTE`).
    Note = "note",
    /// The same note in Japanese, for a view in Japanese.
    NoteJa = "note_ja",
    Octets = "octets",
    /// A DMARC policy published by the From: domain (`none`, `quarantine`, `reject`).
    Policy = "policy",
    /// The program that wrote a log line.
    Program = "program",
    Proto = "proto",
    /// A queue id.
    Qid = "qid",
    Queued = "queued",
    /// A DNS response code.
    Rcode = "rcode",
    Rcpt = "rcpt",
    Rcpts = "rcpts",
    Relayed = "relayed",
    /// The result of an SPF, DKIM or DMARC check (`pass`, `fail`, `none`, …; RFC 8601).
    Result = "result",
    Src = "src",
    /// An RFC 3463 status code.
    Status = "status",
    /// The scenario step that caused an event.
    Step = "step",
    /// The subject (common name) of a TLS server certificate.
    Subject = "subject",
    /// `true` on a line that crossed the network inside TLS (encrypted).
    Tls = "tls",
    /// The TLS version of a handshake (`TLSv1.3`).
    TlsVersion = "tls_version",
    What = "what",
    Who = "who",
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_in_the_order_of_their_names() {
        for w in Field::ALL.windows(2) {
            assert!(w[0].name() < w[1].name(), "{} before {}: keep the list sorted by name", w[0], w[1]);
            assert!(w[0] < w[1]);
        }
    }

    #[test]
    fn names_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for f in Field::ALL {
            assert!(seen.insert(f.name()), "{} twice", f.name());
        }
    }
}
