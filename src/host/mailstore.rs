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
use std::net::{Ipv4Addr, SocketAddrV4};
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

#[allow(clippy::too_many_arguments)]
fn login_log(mta: &Mta, service: &str, ok: bool, user: &str, method: &str, ip: Ipv4Addr, pid: u32, why: &str) {
    let msg = if ok {
        format!("{service}-login: Login: user=<{user}>, method={method}, rip={ip}, lip={}, mpid={pid}", mta.ctx.ip)
    } else {
        format!("{service}-login: Disconnected ({why}): user=<{user}>, method={method}, rip={ip}, lip={}", mta.ctx.ip)
    };
    mta.log.log_as("dovecot", pid, &msg);
}

async fn pop3_session(mta: Arc<Mta>, conn: Conn, _busy: ActivityGuard) {
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
    let pid = mta.new_pid();
    let timestamp = format!("<{pid}.{}@{}>", ctx.now().timestamp(), ctx.hostname);
    let cfg = pop3::Pop3Config { hostname: ctx.hostname.clone(), show_secrets: mta.cfg.show_secrets };
    let mut srv = pop3::Server::new(cfg, timestamp);
    let mut method = "PLAIN";
    let mut buf = vec![0u8; 8192];
    'outer: loop {
        while let Some(o) = mta.with_store(|st| srv.poll(st)) {
            match o {
                pop3::Output::Received(l) => {
                    if l.get(..4).is_some_and(|v| v.eq_ignore_ascii_case("APOP")) {
                        method = "APOP";
                    } else if l.get(..4).is_some_and(|v| v.eq_ignore_ascii_case("USER")) {
                        method = "PLAIN";
                    }
                    ctx.emit(ctx.ev("pop3.cmd").session(session).peer(&label).line(l))
                }
                pop3::Output::Send { bytes, lines } => {
                    for l in lines {
                        ctx.emit(ctx.ev("pop3.reply").session(session).peer(&label).line(l));
                    }
                    if stream.write_all(&bytes).await.is_err() {
                        srv.peer_closed();
                        break 'outer;
                    }
                }
                pop3::Output::LoginOk { user } => {
                    login_log(&mta, "pop3", true, &user, method, ip, pid, "");
                    mta.popauth_add(ip, &user, "POP3");
                }
                pop3::Output::LoginFailed { user, reason } => {
                    login_log(&mta, "pop3", false, &user, method, ip, pid, &format!("auth failed: {reason}"));
                }
                pop3::Output::Close => break 'outer,
            }
        }
        match tokio::time::timeout(POP3_IDLE, stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => srv.feed(&buf[..n]),
            _ => {
                srv.peer_closed();
                break;
            }
        }
    }
    let _ = stream.shutdown().await;
    ctx.emit(ctx.ev("tcp.close").session(session).peer(&label).line("connection closed"));
}

async fn imap_session(mta: Arc<Mta>, conn: Conn, _busy: ActivityGuard) {
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
    let pid = mta.new_pid();
    let cfg = imap::ImapConfig {
        hostname: ctx.hostname.clone(),
        show_secrets: mta.cfg.show_secrets,
        max_literal: 10 * 1024 * 1024,
    };
    let mut srv = imap::Server::new(cfg);
    let mut changes = mta.store_version.subscribe();
    let mut buf = vec![0u8; 8192];
    'outer: loop {
        while let Some(o) = mta.with_store(|st| srv.poll(st, ctx.now())) {
            match o {
                imap::Output::Received(l) => ctx.emit(ctx.ev("imap.cmd").session(session).peer(&label).line(l)),
                imap::Output::Send { bytes, lines } => {
                    for l in lines {
                        ctx.emit(ctx.ev("imap.reply").session(session).peer(&label).line(l));
                    }
                    if stream.write_all(&bytes).await.is_err() {
                        srv.peer_closed();
                        break 'outer;
                    }
                }
                imap::Output::LoginOk { user } => {
                    login_log(&mta, "imap", true, &user, "PLAIN", ip, pid, "");
                    mta.popauth_add(ip, &user, "IMAP");
                }
                imap::Output::LoginFailed { user } => {
                    login_log(&mta, "imap", false, &user, "PLAIN", ip, pid, "auth failed");
                }
                imap::Output::Close => break 'outer,
            }
        }
        tokio::select! {
            biased;
            r = tokio::time::timeout(IMAP_IDLE, stream.read(&mut buf)) => match r {
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
