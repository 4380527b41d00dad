//! The mailstore host's reading services: POP3 (port 110) and IMAP (port
//! 143) over the same store that local delivery fills.
//!
//! A successful login records the client's address for POP-before-SMTP
//! when the host's relay rules ask for it, and every login, good or bad,
//! goes to the maillog in the style of Dovecot.

use super::fetch::{IMAP_PORT, POP3_PORT};
use super::mta::Mta;
use crate::env::ActivityGuard;
use crate::net::Conn;
use crate::proto::{imap, pop3};
use std::net::SocketAddrV4;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Idle time after which a reading session is dropped (RFC 1939 asks for at
/// least 10 minutes; RFC 3501 for at least 30).
const POP3_IDLE: Duration = Duration::from_secs(600);
const IMAP_IDLE: Duration = Duration::from_secs(1800);

/// Open the POP3 and IMAP ports, then serve them in background tasks.
pub async fn start(mta: Arc<Mta>) -> std::io::Result<()> {
    for (port, proto) in [(POP3_PORT, "pop3"), (IMAP_PORT, "imap")] {
        let mut l = mta.ctx.env.net.listen(SocketAddrV4::new(mta.ctx.ip, port)).await?;
        let m = mta.clone();
        let slots = Arc::new(tokio::sync::Semaphore::new(super::mta::MAX_SESSIONS));
        tokio::spawn(async move {
            while let Ok(mut conn) = l.accept().await {
                let Ok(permit) = slots.clone().try_acquire_owned() else {
                    let bye: &[u8] = if proto == "pop3" {
                        b"-ERR [SYS/TEMP] too many connections\r\n"
                    } else {
                        b"* BYE too many connections\r\n"
                    };
                    let _ = conn.stream.write_all(bye).await;
                    let _ = conn.stream.shutdown().await;
                    continue;
                };
                let guard = m.ctx.env.activity.begin();
                let m2 = m.clone();
                if proto == "pop3" {
                    tokio::spawn(async move {
                        pop3_session(m2, conn, guard).await;
                        drop(permit);
                    });
                } else {
                    tokio::spawn(async move {
                        imap_session(m2, conn, guard).await;
                        drop(permit);
                    });
                }
            }
        });
    }
    Ok(())
}

/// What a POP3 or IMAP core asks its session to do, in common terms.
enum Act {
    Received(String),
    Send { bytes: Vec<u8>, lines: Vec<String> },
    LoginOk(String),
    LoginFailed(String, String),
    Close,
}

/// The part of a reading protocol's core that the session loop drives.
trait Reader {
    /// `pop3` or `imap`: trace kinds and log lines are named after it.
    const NAME: &'static str;
    const IDLE: Duration;
    fn poll(&mut self, store: &mut crate::store::Store, now: chrono::DateTime<chrono::FixedOffset>) -> Option<Act>;
    fn feed(&mut self, bytes: &[u8]);
    fn peer_closed(&mut self);
    /// New mail was delivered (IMAP reports it; POP3's maildrop is fixed at login).
    fn mailbox_changed(&mut self) {}
}

impl Reader for pop3::Server {
    const NAME: &'static str = "pop3";
    const IDLE: Duration = POP3_IDLE;
    fn poll(&mut self, store: &mut crate::store::Store, _now: chrono::DateTime<chrono::FixedOffset>) -> Option<Act> {
        Some(match pop3::Server::poll(self, store)? {
            pop3::Output::Received(l) => Act::Received(l),
            pop3::Output::Send { bytes, lines } => Act::Send { bytes, lines },
            pop3::Output::LoginOk { user } => Act::LoginOk(user),
            pop3::Output::LoginFailed { user, reason } => Act::LoginFailed(user, format!("auth failed: {reason}")),
            pop3::Output::Close => Act::Close,
        })
    }
    fn feed(&mut self, bytes: &[u8]) {
        pop3::Server::feed(self, bytes)
    }
    fn peer_closed(&mut self) {
        pop3::Server::peer_closed(self)
    }
}

impl Reader for imap::Server {
    const NAME: &'static str = "imap";
    const IDLE: Duration = IMAP_IDLE;
    fn poll(&mut self, store: &mut crate::store::Store, now: chrono::DateTime<chrono::FixedOffset>) -> Option<Act> {
        Some(match imap::Server::poll(self, store, now)? {
            imap::Output::Received(l) => Act::Received(l),
            imap::Output::Send { bytes, lines } => Act::Send { bytes, lines },
            imap::Output::LoginOk { user } => Act::LoginOk(user),
            imap::Output::LoginFailed { user } => Act::LoginFailed(user, "auth failed".into()),
            imap::Output::Close => Act::Close,
        })
    }
    fn feed(&mut self, bytes: &[u8]) {
        imap::Server::feed(self, bytes)
    }
    fn peer_closed(&mut self) {
        imap::Server::peer_closed(self)
    }
    fn mailbox_changed(&mut self) {
        imap::Server::mailbox_changed(self)
    }
}

async fn pop3_session(mta: Arc<Mta>, conn: Conn, busy: ActivityGuard) {
    let pid = mta.new_pid();
    let timestamp = format!("<{pid}.{}@{}>", mta.ctx.now().timestamp(), mta.ctx.hostname);
    let cfg = pop3::Pop3Config { hostname: mta.ctx.hostname.clone(), show_secrets: mta.cfg.show_secrets };
    session(mta, conn, busy, pid, pop3::Server::new(cfg, timestamp)).await
}

async fn imap_session(mta: Arc<Mta>, conn: Conn, busy: ActivityGuard) {
    let pid = mta.new_pid();
    let cfg = imap::ImapConfig {
        hostname: mta.ctx.hostname.clone(),
        show_secrets: mta.cfg.show_secrets,
        max_literal: 10 * 1024 * 1024,
    };
    session(mta, conn, busy, pid, imap::Server::new(cfg)).await
}

/// One POP3 or IMAP connection: trace every line, log logins, feed
/// POP-before-SMTP, and tell the core about new mail.
async fn session<R: Reader>(mta: Arc<Mta>, conn: Conn, _busy: ActivityGuard, pid: u32, mut srv: R) {
    let Conn { mut stream, peer, session, .. } = conn;
    let ip = *peer.ip();
    let label = mta.ctx.peer_name(ip);
    let ctx = mta.ctx.clone();
    ctx.emit(
        ctx.ev("tcp.accept")
            .session(session)
            .peer(&label)
            .line(format!("connection from {label} [{ip}]:{}", peer.port())),
    );
    let (cmd_kind, reply_kind) = (format!("{}.cmd", R::NAME), format!("{}.reply", R::NAME));
    let mut method = "PLAIN";
    let mut changes = mta.store_version.subscribe();
    let mut buf = vec![0u8; 8192];
    'outer: loop {
        while let Some(o) = mta.with_store(|st| srv.poll(st, ctx.now())) {
            match o {
                Act::Received(l) => {
                    if l.get(..4).is_some_and(|v| v.eq_ignore_ascii_case("APOP")) {
                        method = "APOP";
                    }
                    ctx.emit(ctx.ev(&cmd_kind).session(session).peer(&label).line(l));
                }
                Act::Send { bytes, lines } => {
                    for l in lines {
                        ctx.emit(ctx.ev(&reply_kind).session(session).peer(&label).line(l));
                    }
                    if stream.write_all(&bytes).await.is_err() {
                        srv.peer_closed();
                        break 'outer;
                    }
                }
                Act::LoginOk(user) => {
                    let msg = format!(
                        "{}-login: Login: user=<{user}>, method={method}, rip={ip}, lip={}, mpid={pid}",
                        R::NAME,
                        ctx.ip
                    );
                    mta.log.log_as("dovecot", pid, &msg);
                    mta.popauth_add(ip, &user, &R::NAME.to_ascii_uppercase());
                }
                Act::LoginFailed(user, why) => {
                    let msg = format!(
                        "{}-login: Disconnected ({why}): user=<{user}>, method={method}, rip={ip}, lip={}",
                        R::NAME,
                        ctx.ip
                    );
                    mta.log.log_as("dovecot", pid, &msg);
                }
                Act::Close => break 'outer,
            }
        }
        tokio::select! {
            biased;
            r = tokio::time::timeout(R::IDLE, stream.read(&mut buf)) => match r {
                Ok(Ok(n)) if n > 0 => srv.feed(&buf[..n]),
                _ => {
                    srv.peer_closed();
                    break;
                }
            },
            c = changes.changed() => {
                if c.is_ok() {
                    srv.mailbox_changed();
                }
            }
        }
    }
    let _ = stream.shutdown().await;
    ctx.emit(ctx.ev("tcp.close").session(session).peer(&label).line("connection closed"));
}
