//! What an SMTP session knows about its client and its transaction: the
//! facts the server core collects and the persona's wording is built from.

use super::address::{Mailbox, Path};

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
    pub helo: String,
    pub esmtp: bool,
    pub from: Path,
    pub rcpts: Vec<Mailbox>,
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
}

impl Envelope {
    /// The `with` protocol of a Received: field and the maillog (RFC 3848).
    pub fn protocol(&self) -> &'static str {
        match (self.esmtp, self.tls.is_some(), self.auth.is_some()) {
            (true, true, true) => "ESMTPSA",
            (true, true, false) => "ESMTPS",
            (true, false, true) => "ESMTPA",
            (true, false, false) => "ESMTP",
            (false, _, _) => "SMTP",
        }
    }
}
