//! What an SMTP session knows about its client and its transaction: the
//! facts the server core collects and the persona's wording is built from.

use super::address::{Mailbox, Path};
use std::fmt;

/// What is known about the client when the session starts.
#[derive(Clone, Debug)]
pub struct Peer {
    pub ip: std::net::Ipv4Addr,
    /// Name from the reverse (PTR) look-up, if it gave one.
    pub name: Option<String>,
    /// The name's forward (A) look-up does not lead back to `ip`: sendmail
    /// writes it with "(may be forged)", Postfix calls the client `unknown`.
    pub forged: bool,
}

/// One mail transaction as accepted so far.
#[derive(Clone, Debug)]
pub struct Envelope {
    /// The name the client gave with HELO or EHLO, as the flavour keeps
    /// it; `None`: MAIL came without either, which both flavours take by
    /// default.
    pub helo: Option<String>,
    /// The protocol the transaction came in, as the flavour counts it
    /// (see [`Protocol`]).
    pub proto: Protocol,
    pub from: Path,
    /// The reverse-path as the client wrote it, with its angle brackets
    /// if it had them (`<Taro@[192.0.2.025]>`, `taro@example.ac.jp`): what replies and the lines logged at MAIL
    /// and RCPT quote, each flavour its way
    /// ([`Persona::quoted_path`](super::persona::Persona::quoted_path));
    /// `from` is the lab's own form of it.
    pub from_as_sent: String,
    pub rcpts: Vec<Rcpt>,
    pub declared_size: Option<u64>,
    /// The user who authenticated with AUTH before this transaction.
    pub auth: Option<String>,
    /// The session's TLS, when STARTTLS (or an implicit-TLS port) set it up.
    pub tls: Option<crate::proto::tls::TlsInfo>,
    /// The content came in BDAT chunks (RFC 3030): its size in octets.
    pub chunked: Option<usize>,
    /// What the sender asked with ESMTP parameters; travels with the message.
    pub params: MailParams,
}

/// What the sender of a transaction asked with ESMTP parameters, kept with
/// the message in the queue and passed on to the next hop.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MailParams {
    /// `MAIL FROM:<…> SMTPUTF8` (RFC 6531): addresses may be UTF-8, and the
    /// message may go on only to servers that offer SMTPUTF8.
    pub smtputf8: bool,
    /// `RET=FULL|HDRS` (RFC 3461 §4.3): what a failure report returns of
    /// the message; `None` leaves it to the MTA.
    pub ret: Option<Ret>,
    /// `ENVID=` (RFC 3461 §4.4), xtext-decoded: the sender's name for the
    /// transaction, quoted back in every report as `Original-Envelope-Id`.
    pub envid: Option<String>,
    /// `AUTH=` (RFC 4954 §5) as sent, in xtext: who the client says
    /// submitted the message; `None` without it or for `AUTH=<>` (not known).
    pub auth: Option<String>,
}

impl MailParams {
    /// Does the transaction carry a DSN parameter of its own (RFC 3461
    /// `RET` or `ENVID`; each recipient's are in its [`Rcpt`])?
    pub fn has_dsn(&self) -> bool {
        self.ret.is_some() || self.envid.is_some()
    }
}

/// One recipient of a transaction: the address and what the sender asked
/// about it (RFC 3461 `NOTIFY=`, `ORCPT=`). Each recipient carries its own
/// request, so one address given twice with different requests, which
/// Postfix keeps as two recipients, is two of these.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rcpt {
    pub addr: Mailbox,
    pub dsn: RcptParams,
}

impl Rcpt {
    /// A recipient without a DSN request.
    pub fn plain(addr: Mailbox) -> Rcpt {
        Rcpt { addr, dsn: RcptParams::default() }
    }
}

impl fmt::Display for Rcpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.addr.fmt(f)
    }
}

/// What a failure report returns of the message (RFC 3461 §4.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ret {
    Full,
    Hdrs,
}

impl Ret {
    pub fn as_str(self) -> &'static str {
        match self {
            Ret::Full => "FULL",
            Ret::Hdrs => "HDRS",
        }
    }
}

/// When the sender wants a report about one recipient (RFC 3461 §4.1).
/// `NOTIFY=NEVER` is all three false.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Notify {
    pub success: bool,
    pub failure: bool,
    pub delay: bool,
}

impl Notify {
    pub const NEVER: Notify = Notify { success: false, failure: false, delay: false };

    /// The parameter's value: `NEVER` or a list such as `SUCCESS,FAILURE`.
    pub fn value(self) -> String {
        let words: Vec<&str> = [(self.success, "SUCCESS"), (self.failure, "FAILURE"), (self.delay, "DELAY")]
            .into_iter()
            .filter(|(on, _)| *on)
            .map(|(_, w)| w)
            .collect();
        if words.is_empty() { "NEVER".into() } else { words.join(",") }
    }
}

/// One recipient's DSN parameters (RFC 3461 §4.1, §4.2).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RcptParams {
    /// `None`: no NOTIFY given; the MTA reports failures and (if it sends them) delays.
    pub notify: Option<Notify>,
    /// `ORCPT=type;address`: the address type (`rfc822`) and the decoded address.
    pub orcpt: Option<(String, String)>,
}

impl RcptParams {
    /// Is a failure reported (RFC 3461 §4.1: the default is FAILURE)?
    pub fn on_failure(&self) -> bool {
        self.notify.is_none_or(|n| n.failure)
    }
    /// Is a delay reported (the default lets the MTA decide: both flavours do)?
    pub fn on_delay(&self) -> bool {
        self.notify.is_none_or(|n| n.delay)
    }
    /// Is a success reported (only when asked)?
    pub fn on_success(&self) -> bool {
        self.notify.is_some_and(|n| n.success)
    }
    pub fn is_empty(&self) -> bool {
        self.notify.is_none() && self.orcpt.is_none()
    }
}

/// Decode an xtext (RFC 3461 §4): printable ASCII but `+` and `=`, with
/// `+XX` (two hex digits) for any other octet. `None` if malformed or if
/// the result is not UTF-8.
pub fn xtext_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => {
                let hex = s.get(i + 1..i + 3)?;
                if !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
                    return None;
                }
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'=' => return None,
            c @ 0x21..=0x7e => {
                out.push(c);
                i += 1;
            }
            _ => return None,
        }
    }
    String::from_utf8(out).ok()
}

/// Encode as xtext (RFC 3461 §4): `+`, `=`, space, controls and non-ASCII as `+XX`.
pub fn xtext_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &c in s.as_bytes() {
        if (0x21..=0x7e).contains(&c) && c != b'+' && c != b'=' {
            out.push(c as char);
        } else {
            out.push_str(&format!("+{c:02X}"));
        }
    }
    out
}

/// The protocol a transaction came in: what an MTA writes after `with` in
/// `Received:` and as `proto=` in its log (RFC 3848). Which facts count
/// is the flavour's: see [`Persona::protocol_fixed_by_commands`](super::persona::Persona::protocol_fixed_by_commands).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Protocol {
    /// ESMTP (the client said EHLO), not plain SMTP.
    pub esmtp: bool,
    /// `S`: under TLS. Only ESMTP has it.
    pub tls: bool,
    /// `A`: the client logged in with AUTH. Only ESMTP has it.
    pub auth: bool,
}

impl Protocol {
    /// `SMTP`, `ESMTP`, `ESMTPS`, `ESMTPA` or `ESMTPSA`.
    pub fn name(self) -> &'static str {
        match (self.esmtp, self.tls, self.auth) {
            (true, true, true) => "ESMTPSA",
            (true, true, false) => "ESMTPS",
            (true, false, true) => "ESMTPA",
            (true, false, false) => "ESMTP",
            (false, _, _) => "SMTP",
        }
    }
}

impl Envelope {
    /// The `with` protocol of a Received: field and the maillog (RFC 3848).
    pub fn protocol(&self) -> &'static str {
        self.proto.name()
    }
}
