//! Mail clients reading a mailbox: a POP3 client (download, and usually
//! delete) and an IMAP client (read on the server, flags kept there).
//!
//! These are small scripted clients, the way a MUA's "get mail" button
//! works; the servers trace every line of the conversation.

use super::session::{Core, Io, Lost, Session};
use super::smtp_client;
use crate::host::env::HostCtx;
use crate::proto::fetch::{Client, Job, Limits, Output, Protocol, StartTls};
use crate::proto::ports;
use crate::scenario::{Fetch, FetchProtocol};
use crate::trace::{Field, Kind};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

/// What a fetch step brought home.
pub struct Fetched {
    pub messages: Vec<String>,
    pub note: String,
}

/// Run a fetch step; the messages it brought home (for a later `reply`).
pub async fn fetch(ctx: &HostCtx, f: &Fetch, server: Ipv4Addr, server_name: &str, step: usize) -> Vec<String> {
    let label = ctx.peer_name(server);
    let (port, proto) = match (f.protocol, f.tls) {
        (FetchProtocol::Pop3, false) => (ports::POP3, "POP3"),
        (FetchProtocol::Pop3, true) => (ports::POP3S, "POP3"),
        (FetchProtocol::Imap, false) => (ports::IMAP, "IMAP"),
        (FetchProtocol::Imap, true) => (ports::IMAPS, "IMAP"),
    };
    let conn = match smtp_client::connect(ctx, SocketAddrV4::new(server, port), &label, Some(step)).await {
        Ok(c) => c,
        Err(e) => {
            ctx.emit(
                ctx.ev(Kind::MuaFetch)
                    .peer(&label)
                    .line(format!("step {step}: could not connect: {e}"))
                    .field(Field::Step, step)
                    .field(Field::Count, 0),
            );
            return Vec::new();
        }
    };
    let session = conn.session;
    let job = Job {
        protocol: match f.protocol {
            FetchProtocol::Pop3 => Protocol::Pop3,
            FetchProtocol::Imap => Protocol::Imap,
        },
        user: f.user.clone(),
        password: f.password.clone(),
        apop: f.apop,
        delete: f.delete,
        // On 995/993 TLS is up from the first byte: no STLS/STARTTLS there.
        starttls: if f.tls { StartTls::Never } else { f.starttls },
        limits: Limits::default(),
    };
    // The client core's clock starts with the driver's.
    let mut core = Reading { client: Client::new(job, Duration::ZERO), messages: Vec::new(), result: None };
    // The client can start TLS on either port: at once on 995/993, after STLS/STARTTLS on 110/143.
    let tls = Some(super::session::Tls::Client(server_name.to_string()));
    let mut driver = Session::new(ctx, conn.stream, session, &label).tls(tls);
    if !f.tls || driver.handshake_first(&mut core).await {
        driver.run(&mut core).await;
    }
    let res = core.result.unwrap_or_else(|| Err("the client stopped without a result".into()));
    match res {
        Ok(got) => {
            for m in &got.messages {
                ctx.emit(
                    ctx.ev(Kind::MuaMessage)
                        .peer(&label)
                        .session(session)
                        .field(Field::Step, step)
                        .field(Field::Message, m.clone())
                        .line(format!("step {step}: read {}", summary(m))),
                );
            }
            ctx.emit(
                ctx.ev(Kind::MuaFetch)
                    .peer(&label)
                    .session(session)
                    .line(format!("step {step}: {proto}: {}", got.note))
                    .field(Field::Step, step)
                    .field(Field::Count, got.messages.len()),
            );
            got.messages
        }
        Err(e) => {
            ctx.emit(
                ctx.ev(Kind::MuaFetch)
                    .peer(&label)
                    .session(session)
                    .line(format!("step {step}: {proto} failed: {e}"))
                    .field(Field::Step, step)
                    .field(Field::Count, 0),
            );
            Vec::new()
        }
    }
}

fn summary(m: &str) -> String {
    let hs = crate::base::message::headers(m.as_bytes());
    // As a mail client shows them: encoded-words (RFC 2047) decoded.
    let shown = |v: &str| {
        if crate::base::rfc2047::has_encoded_words(v) { crate::base::rfc2047::decode(v) } else { v.to_string() }
    };
    let subject = crate::base::message::first(&hs, "Subject").map(shown).unwrap_or_else(|| "(no subject)".into());
    let from = crate::base::message::first(&hs, "From").map(shown).unwrap_or_else(|| "?".into());
    format!("\"{subject}\" from {from} ({} octets)", m.len())
}

/// The fetch client core as the session driver runs it; the client side
/// traces nothing of the conversation (the server traces every line).
struct Reading {
    client: Client,
    messages: Vec<String>,
    result: Option<Result<Fetched, String>>,
}

impl Core for Reading {
    type Action = std::convert::Infallible;
    fn feed(&mut self, now: Duration, bytes: &[u8]) {
        self.client.feed(now, bytes);
    }
    fn poll(&mut self, _now: Duration) -> Option<Io<Self::Action>> {
        loop {
            match self.client.poll()? {
                Output::Send { bytes, .. } => return Some(Io::Send { bytes, notes: Vec::new() }),
                Output::Message(m) => self.messages.push(m),
                Output::Done(r) => {
                    let messages = std::mem::take(&mut self.messages);
                    self.result = Some(r.map(|note| Fetched { note, messages }));
                    return Some(Io::Close);
                }
                Output::StartTls => return Some(Io::StartTls),
            }
        }
    }
    fn tls_started(&mut self, _info: &crate::proto::tls::TlsInfo) {
        self.client.tls_started();
    }
    fn poll_timeout(&self) -> Option<Duration> {
        self.client.poll_timeout()
    }
    fn handle_timeout(&mut self, now: Duration) {
        self.client.handle_timeout(now);
    }
    fn peer_closed(&mut self, how: Lost) {
        match how {
            Lost::Closed => self.client.connection_lost("connection closed by the server"),
            Lost::Read(e) => self.client.connection_lost(&e.to_string()),
            Lost::Write(e) => self.client.send_failed(&e.to_string()),
            Lost::Tls(e) => self.client.connection_lost(&format!("TLS handshake failed: {e}")),
        }
    }
}
