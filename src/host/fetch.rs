//! Mail clients reading a mailbox: a POP3 client (download, and usually
//! delete) and an IMAP client (read on the server, flags kept there).
//!
//! These are small scripted clients, the way a MUA's "get mail" button
//! works; the servers trace every line of the conversation.

use super::smtp_client;
use crate::env::HostCtx;
use crate::net::Stream;
use crate::proto::fetch::{Client, Job, Limits, Output, Protocol};
use crate::proto::ports;
use crate::scenario::{Fetch, FetchProtocol};
use crate::trace::{Field, Kind};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;

/// What a fetch step brought home.
pub struct Fetched {
    pub messages: Vec<String>,
    pub note: String,
}

/// Run a fetch step; the messages it brought home (for a later `reply`).
pub async fn fetch(ctx: &HostCtx, f: &Fetch, server: Ipv4Addr, step: usize) -> Vec<String> {
    let label = ctx.peer_name(server);
    let (port, proto) = match f.protocol {
        FetchProtocol::Pop3 => (ports::POP3, "POP3"),
        FetchProtocol::Imap => (ports::IMAP, "IMAP"),
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
    let mut stream = conn.stream;
    let job = Job {
        protocol: match f.protocol {
            FetchProtocol::Pop3 => Protocol::Pop3,
            FetchProtocol::Imap => Protocol::Imap,
        },
        user: f.user.clone(),
        password: f.password.clone(),
        apop: f.apop,
        delete: f.delete,
        limits: Limits::default(),
    };
    let res = drive(&mut stream, job).await;
    let _ = stream.shutdown().await;
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
    let hs = crate::message::headers(m.as_bytes());
    let subject = crate::message::first(&hs, "Subject").unwrap_or("(no subject)");
    let from = crate::message::first(&hs, "From").unwrap_or("?");
    format!("\"{subject}\" from {from} ({} octets)", m.len())
}

/// Run the client core over the connection until it is done: write what it
/// sends, read with its deadline, feed it what arrives.
async fn drive(stream: &mut Stream, job: Job) -> Result<Fetched, String> {
    let start = Instant::now();
    let mut client = Client::new(job, Duration::ZERO);
    let mut messages = Vec::new();
    let mut buf = vec![0u8; 8192];
    loop {
        while let Some(o) = client.poll() {
            match o {
                Output::Send { bytes, .. } => {
                    if let Err(e) = stream.write_all(&bytes).await {
                        client.send_failed(&e.to_string());
                    }
                }
                Output::Message(m) => messages.push(m),
                Output::Done(r) => return r.map(|note| Fetched { note, messages }),
            }
        }
        let Some(deadline) = client.poll_timeout() else {
            return Err("the client stopped without a result".into());
        };
        match tokio::time::timeout_at(start + deadline, stream.read(&mut buf)).await {
            Ok(Ok(0)) => client.connection_lost("connection closed by the server"),
            Ok(Ok(n)) => client.feed(start.elapsed(), &buf[..n]),
            Ok(Err(e)) => client.connection_lost(&e.to_string()),
            Err(_) => client.handle_timeout(start.elapsed()),
        }
    }
}
