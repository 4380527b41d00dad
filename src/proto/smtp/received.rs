//! The Received: header field (RFC 5321 §4.4), the one place it is built.
//!
//! The caller gives the facts (who handed the message over, how, which queue
//! id, when); the persona gives the flavour's words for them.

use super::envelope::{Envelope, Peer};
use super::persona::Persona;

/// How the message reached the host that adds the field.
pub enum Via<'a> {
    /// By SMTP from `peer`, in the transaction `env`.
    Smtp { env: &'a Envelope, peer: &'a Peer },
    /// Written on the host by a local program run as `user` (the list server).
    Submit { user: &'a str },
    /// A DSN the host itself wrote.
    Bounce,
}

/// The whole field, CRLF included. `by` is the host adding it, `date` an RFC 5322 date-time.
pub fn received(p: &dyn Persona, by: &str, qid: &str, via: &Via, date: &str) -> String {
    match via {
        Via::Smtp { env, peer } => {
            use std::fmt::Write as _;
            // One string written in place (every message accepted over SMTP gets one).
            let mut f = String::with_capacity(256);
            f.push_str("Received: from ");
            f.push_str(&p.received_from(env.helo.as_deref(), peer));
            for t in env.tls.as_ref().map(|t| p.received_tls_before_by(t)).unwrap_or_default() {
                let _ = write!(f, "\r\n\t{t}");
            }
            if let Some(a) = env.auth.as_deref().and_then(|u| p.received_auth(u)) {
                let _ = write!(f, "\r\n\t{a}");
            }
            for part in ["\r\n\tby ", by, " (", &p.software(), ") with ", env.protocol(), " id ", qid] {
                f.push_str(part);
            }
            if let Some(t) = env.tls.as_ref().and_then(|t| p.received_tls_after_by(t)) {
                let _ = write!(f, "\r\n\t{t}");
            }
            if let [one] = env.rcpts.as_slice() {
                f.push_str("\r\n\tfor <");
                one.addr.push_to(&mut f);
                f.push('>');
            }
            for part in ["; ", date, "\r\n"] {
                f.push_str(part);
            }
            f
        }
        Via::Submit { user } => p.received_submit(by, qid, user, date),
        Via::Bounce => format!("Received: from localhost by {by} ({}) id {qid}; {date}\r\n", p.software()),
    }
}
