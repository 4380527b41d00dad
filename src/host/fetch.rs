//! Mail clients reading a mailbox: a POP3 client (download, and usually
//! delete) and an IMAP client (read on the server, flags kept there).
//!
//! These are small scripted clients, the way a MUA's "get mail" button
//! works; the servers trace every line of the conversation.

use super::smtp_client;
use crate::env::HostCtx;
use crate::net::Stream;
use crate::scenario::{Fetch, FetchProtocol};
use crate::trace::{Field, Kind};
use md5::{Digest, Md5};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const POP3_PORT: u16 = 110;
pub const IMAP_PORT: u16 = 143;
const TIMEOUT: Duration = Duration::from_secs(60);

/// Buffered line reading over a stream, with room for IMAP literals.
struct Lines {
    stream: Stream,
    buf: Vec<u8>,
}

impl Lines {
    async fn fill(&mut self) -> Result<(), String> {
        let mut chunk = [0u8; 8192];
        match tokio::time::timeout(TIMEOUT, self.stream.read(&mut chunk)).await {
            Ok(Ok(0)) => Err("connection closed by the server".into()),
            Ok(Ok(n)) => {
                self.buf.extend_from_slice(&chunk[..n]);
                Ok(())
            }
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("timed out waiting for the server".into()),
        }
    }
    async fn line(&mut self) -> Result<String, String> {
        loop {
            if let Some(p) = self.buf.iter().position(|b| *b == b'\n') {
                let mut l: Vec<u8> = self.buf.drain(..=p).collect();
                l.pop();
                if l.last() == Some(&b'\r') {
                    l.pop();
                }
                return Ok(String::from_utf8_lossy(&l).into_owned());
            }
            self.fill().await?;
        }
    }
    async fn bytes(&mut self, n: usize) -> Result<Vec<u8>, String> {
        while self.buf.len() < n {
            self.fill().await?;
        }
        Ok(self.buf.drain(..n).collect())
    }
    async fn send(&mut self, line: &str) -> Result<(), String> {
        self.stream.write_all(format!("{line}\r\n").as_bytes()).await.map_err(|e| e.to_string())
    }
}

/// What a fetch step brought home.
pub struct Fetched {
    pub messages: Vec<String>,
    pub note: String,
}

/// Run a fetch step; the messages it brought home (for a later `reply`).
pub async fn fetch(ctx: &HostCtx, f: &Fetch, server: Ipv4Addr, step: usize) -> Vec<String> {
    let label = ctx.peer_name(server);
    let (port, proto) = match f.protocol {
        FetchProtocol::Pop3 => (POP3_PORT, "POP3"),
        FetchProtocol::Imap => (IMAP_PORT, "IMAP"),
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
    let mut io = Lines { stream: conn.stream, buf: Vec::new() };
    let res = match f.protocol {
        FetchProtocol::Pop3 => pop3(&mut io, f).await,
        FetchProtocol::Imap => imap(&mut io, f).await,
    };
    let _ = io.stream.shutdown().await;
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

pub fn apop_digest(timestamp: &str, secret: &str) -> String {
    Md5::digest(format!("{timestamp}{secret}").as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

async fn pop3_ok(io: &mut Lines) -> Result<String, String> {
    let l = io.line().await?;
    if l.starts_with("+OK") { Ok(l) } else { Err(l) }
}

async fn pop3_multi(io: &mut Lines) -> Result<Vec<String>, String> {
    pop3_ok(io).await?;
    let mut out = Vec::new();
    loop {
        let l = io.line().await?;
        if l == "." {
            return Ok(out);
        }
        out.push(l.strip_prefix('.').map(str::to_string).unwrap_or(l));
    }
}

async fn pop3(io: &mut Lines, f: &Fetch) -> Result<Fetched, String> {
    let greeting = pop3_ok(io).await?;
    let login = if f.apop {
        let ts = greeting.find('<').and_then(|a| greeting[a..].find('>').map(|b| greeting[a..=a + b].to_string()));
        let Some(ts) = ts else {
            let _ = io.send("QUIT").await;
            return Err("the server offers no APOP timestamp".into());
        };
        io.send(&format!("APOP {} {}", f.user, apop_digest(&ts, &f.password))).await?;
        pop3_ok(io).await
    } else {
        io.send(&format!("USER {}", f.user)).await?;
        match pop3_ok(io).await {
            Ok(_) => {
                io.send(&format!("PASS {}", f.password)).await?;
                pop3_ok(io).await
            }
            Err(e) => Err(e),
        }
    };
    if let Err(e) = login {
        let _ = io.send("QUIT").await;
        let _ = io.line().await;
        return Err(format!("login refused: {e}"));
    }
    io.send("STAT").await?;
    let stat = pop3_ok(io).await?;
    let n: usize = stat.split_whitespace().nth(1).and_then(|x| x.parse().ok()).unwrap_or(0);
    io.send("UIDL").await?;
    let _uids = pop3_multi(io).await?;
    let mut messages = Vec::new();
    for i in 1..=n {
        io.send(&format!("RETR {i}")).await?;
        let lines = pop3_multi(io).await?;
        messages.push(lines.join("\r\n") + "\r\n");
        if f.delete {
            io.send(&format!("DELE {i}")).await?;
            pop3_ok(io).await?;
        }
    }
    io.send("QUIT").await?;
    pop3_ok(io).await?;
    let kept = if f.delete { "deleted on the server" } else { "left on the server" };
    Ok(Fetched { note: format!("downloaded {} message(s), {kept}", messages.len()), messages })
}

/// Send a tagged IMAP command; return the untagged lines (with literal
/// contents appended) and the tagged completion.
async fn imap_cmd(io: &mut Lines, tag: &str, cmd: &str) -> Result<(Vec<(String, Vec<u8>)>, String), String> {
    io.send(&format!("{tag} {cmd}")).await?;
    let mut untagged = Vec::new();
    loop {
        let l = io.line().await?;
        if let Some(rest) = l.strip_prefix(&format!("{tag} ")) {
            return Ok((untagged, rest.to_string()));
        }
        let mut literal = Vec::new();
        let mut line = l;
        // A literal `{n}` at the end of a line: n raw octets follow, then the line goes on.
        while let Some(n) = literal_len(&line) {
            literal.extend(io.bytes(n).await?);
            let more = io.line().await?;
            line.push_str(&more);
        }
        untagged.push((line, literal));
    }
}

fn literal_len(line: &str) -> Option<usize> {
    let body = line.strip_suffix('}')?;
    let open = body.rfind('{')?;
    body[open + 1..].trim_end_matches('+').parse().ok()
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

async fn imap(io: &mut Lines, f: &Fetch) -> Result<Fetched, String> {
    let greeting = io.line().await?;
    if !greeting.starts_with("* OK") {
        return Err(format!("unexpected greeting: {greeting}"));
    }
    let (_, done) = imap_cmd(io, "a1", &format!("LOGIN {} {}", quote(&f.user), quote(&f.password))).await?;
    if !done.starts_with("OK") {
        let _ = imap_cmd(io, "a9", "LOGOUT").await;
        return Err(format!("login refused: {done}"));
    }
    let (untagged, done) = imap_cmd(io, "a2", "SELECT INBOX").await?;
    if !done.starts_with("OK") {
        return Err(format!("SELECT failed: {done}"));
    }
    let exists: usize = untagged
        .iter()
        .find_map(|(l, _)| l.strip_prefix("* ").and_then(|r| r.strip_suffix(" EXISTS")).and_then(|n| n.parse().ok()))
        .unwrap_or(0);
    let mut messages = Vec::new();
    let mut unseen = 0;
    if exists > 0 {
        let (flags, _) = imap_cmd(io, "a3", "FETCH 1:* (UID FLAGS)").await?;
        unseen = flags.iter().filter(|(l, _)| l.contains("FETCH") && !l.contains("\\Seen")).count();
        // Reading the body sets \Seen on the server, for every device to see.
        let (bodies, _) = imap_cmd(io, "a4", "FETCH 1:* BODY[]").await?;
        for (_, lit) in bodies.iter().filter(|(_, lit)| !lit.is_empty()) {
            messages.push(String::from_utf8_lossy(lit).into_owned());
        }
    }
    let _ = imap_cmd(io, "a5", "LOGOUT").await;
    Ok(Fetched {
        note: format!(
            "{} message(s) on the server, {unseen} of them unread before this session; all stay on the server",
            messages.len()
        ),
        messages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1939_apop_example() {
        assert_eq!(apop_digest("<1896.697170952@dbc.mtview.ca.us>", "tanstaaf"), "c4c9334bac560ecc979e58001b3e22fb");
    }

    #[test]
    fn literal_lengths() {
        assert_eq!(literal_len("* 1 FETCH (BODY[] {310}"), Some(310));
        assert_eq!(literal_len("* 1 FETCH (BODY[] {31+}"), Some(31));
        assert_eq!(literal_len("* 1 FETCH (FLAGS (\\Seen))"), None);
        assert_eq!(quote("a\"b"), "\"a\\\"b\"");
    }
}
