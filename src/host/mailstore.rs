//! The mailstore host's reading services: POP3 (port 110) and IMAP (port
//! 143) over the same store that local delivery fills.
//!
//! A successful login records the client's address for POP-before-SMTP
//! when the host's relay rules ask for it, and every login, good or bad,
//! goes to the maillog in the style of Dovecot.
//!
//! Password guessing is slowed down as Dovecot does it: the reply to a
//! failed login is held back, 2 s for the first failure from a client
//! address and twice as long for each further one in the last 10 minutes,
//! up to 15 s (an `auth.delay` event says so). A successful login from the
//! address forgets its failures. The cores only report the failure; the
//! waiting is done here, on tokio's clock.

use super::mta::Mta;
use crate::env::ActivityGuard;
use crate::net::Conn;
use crate::proto::ports;
use crate::proto::{imap, pop3};
use crate::scenario::format_duration;
use crate::trace::{Field, Kind};
use std::collections::{BTreeMap, VecDeque};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;

/// Idle time after which a reading session is dropped (RFC 1939 asks for at
/// least 10 minutes; RFC 3501 for at least 30).
const POP3_IDLE: Duration = Duration::from_secs(600);
const IMAP_IDLE: Duration = Duration::from_secs(1800);

/// How long the reply to the first failed login from an address is held
/// back (Dovecot's `AUTH_PENALTY_INIT_SECS`).
pub const AUTH_DELAY: Duration = Duration::from_secs(2);
/// The longest hold-back, however many failures (`AUTH_PENALTY_MAX_SECS`).
pub const AUTH_DELAY_MAX: Duration = Duration::from_secs(15);
/// Failed logins older than this no longer count.
pub const AUTH_FAILURE_WINDOW: Duration = Duration::from_secs(600);
/// Failures remembered per address (the delay stops growing long before).
const MAX_REMEMBERED: usize = 100;

/// The hold-back for the `n`th failed login from an address in the window
/// (counted from 1): 2 s, 4 s, 8 s, then 15 s.
pub fn auth_delay(n: usize) -> Duration {
    let doublings = u32::try_from(n.saturating_sub(1)).unwrap_or(u32::MAX).min(16);
    AUTH_DELAY.saturating_mul(1 << doublings).min(AUTH_DELAY_MAX)
}

/// Recent failed logins per client address, shared by the POP3 and IMAP
/// servers of one host.
#[derive(Default)]
struct Penalties(Mutex<BTreeMap<Ipv4Addr, VecDeque<Instant>>>);

impl Penalties {
    fn with<R>(&self, f: impl FnOnce(&mut BTreeMap<Ipv4Addr, VecDeque<Instant>>) -> R) -> R {
        f(&mut crate::base::sync::lock(&self.0))
    }

    /// Note a failed login from `ip` at `now`; returns how many failures
    /// from `ip` the window now holds, this one included.
    fn failed(&self, ip: Ipv4Addr, now: Instant) -> usize {
        self.with(|m| {
            // Forget what is too old, for every address, so the map stays small.
            m.retain(|_, times| {
                while times.front().is_some_and(|t| now.saturating_duration_since(*t) >= AUTH_FAILURE_WINDOW) {
                    times.pop_front();
                }
                !times.is_empty()
            });
            let times = m.entry(ip).or_default();
            times.push_back(now);
            if times.len() > MAX_REMEMBERED {
                times.pop_front();
            }
            times.len()
        })
    }

    /// A successful login from `ip`: its failures no longer count.
    fn succeeded(&self, ip: Ipv4Addr) {
        self.with(|m| m.remove(&ip));
    }
}

/// `1st`, `2nd`, `3rd`, `4th`, … `11th`, … `21st`.
fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// Open the POP3 and IMAP ports, then serve them in background tasks.
pub async fn start(mta: Arc<Mta>) -> std::io::Result<()> {
    let penalties = Arc::new(Penalties::default());
    for (port, proto) in [(ports::POP3, "pop3"), (ports::IMAP, "imap")] {
        let mut l = mta.ctx.env.net.listen(SocketAddrV4::new(mta.ctx.ip, port)).await?;
        let m = mta.clone();
        let penalties = penalties.clone();
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
                let p2 = penalties.clone();
                if proto == "pop3" {
                    tokio::spawn(async move {
                        pop3_session(m2, p2, conn, guard).await;
                        drop(permit);
                    });
                } else {
                    tokio::spawn(async move {
                        imap_session(m2, p2, conn, guard).await;
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
    /// The trace kinds of the lines it receives and sends.
    const CMD: Kind;
    const REPLY: Kind;
    const IDLE: Duration;
    fn poll(&mut self, store: &mut crate::store::Store, now: chrono::DateTime<chrono::FixedOffset>) -> Option<Act>;
    fn feed(&mut self, bytes: &[u8]);
    fn peer_closed(&mut self);
    /// New mail was delivered (IMAP reports it; POP3's maildrop is fixed at login).
    fn mailbox_changed(&mut self) {}
}

impl Reader for pop3::Server {
    const NAME: &'static str = "pop3";
    const CMD: Kind = Kind::Pop3Cmd;
    const REPLY: Kind = Kind::Pop3Reply;
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
    const CMD: Kind = Kind::ImapCmd;
    const REPLY: Kind = Kind::ImapReply;
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

async fn pop3_session(mta: Arc<Mta>, penalties: Arc<Penalties>, conn: Conn, busy: ActivityGuard) {
    let pid = mta.new_pid();
    let timestamp = format!("<{pid}.{}@{}>", mta.ctx.now().timestamp(), mta.ctx.hostname);
    let cfg = pop3::Pop3Config { hostname: mta.ctx.hostname.clone(), show_secrets: mta.cfg.show_secrets };
    session(mta, penalties, conn, busy, pid, pop3::Server::new(cfg, timestamp)).await
}

async fn imap_session(mta: Arc<Mta>, penalties: Arc<Penalties>, conn: Conn, busy: ActivityGuard) {
    let pid = mta.new_pid();
    let cfg = imap::ImapConfig {
        hostname: mta.ctx.hostname.clone(),
        show_secrets: mta.cfg.show_secrets,
        max_literal: 10 * 1024 * 1024,
    };
    session(mta, penalties, conn, busy, pid, imap::Server::new(cfg)).await
}

/// One POP3 or IMAP connection: trace every line, log logins, hold back
/// the reply to a failed one, feed POP-before-SMTP, and tell the core about
/// new mail.
async fn session<R: Reader>(
    mta: Arc<Mta>,
    penalties: Arc<Penalties>,
    conn: Conn,
    _busy: ActivityGuard,
    pid: u32,
    mut srv: R,
) {
    let Conn { mut stream, peer, session, .. } = conn;
    let ip = *peer.ip();
    let label = mta.ctx.peer_name(ip);
    let ctx = mta.ctx.clone();
    ctx.emit(
        ctx.ev(Kind::TcpAccept)
            .session(session)
            .peer(&label)
            .line(format!("connection from {label} [{ip}]:{}", peer.port())),
    );
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
                    ctx.emit(ctx.ev(R::CMD).session(session).peer(&label).line(l));
                }
                Act::Send { bytes, lines } => {
                    for l in lines {
                        ctx.emit(ctx.ev(R::REPLY).session(session).peer(&label).line(l));
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
                    penalties.succeeded(ip);
                    mta.popauth_add(ip, &user, &R::NAME.to_ascii_uppercase());
                }
                Act::LoginFailed(user, why) => {
                    // The core has queued the negative reply behind this
                    // output: it goes out when the delay is over.
                    let n = penalties.failed(ip, Instant::now());
                    let delay = auth_delay(n);
                    ctx.emit(
                        ctx.ev(Kind::AuthDelay)
                            .session(session)
                            .peer(&label)
                            .line(format!(
                                "{} failed login from {ip} in the last {}: reply held back {}",
                                ordinal(n),
                                format_duration(AUTH_FAILURE_WINDOW),
                                format_duration(delay)
                            ))
                            .field(Field::Ip, ip.to_string())
                            .field(Field::Failures, n)
                            .field(Field::DelayMs, u64::try_from(delay.as_millis()).unwrap_or(u64::MAX)),
                    );
                    tokio::time::sleep(delay).await;
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
    ctx.emit(ctx.ev(Kind::TcpClose).session(session).peer(&label).line("connection closed"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_doubles_up_to_the_cap() {
        let secs: Vec<u64> = (1..=6).map(|n| auth_delay(n).as_secs()).collect();
        assert_eq!(secs, vec![2, 4, 8, 15, 15, 15]);
        assert_eq!(auth_delay(0), AUTH_DELAY);
        assert_eq!(auth_delay(usize::MAX), AUTH_DELAY_MAX);
    }

    #[test]
    fn ordinals() {
        let got: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111].into_iter().map(ordinal).collect();
        assert_eq!(got, ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "101st", "111th"]);
    }

    #[tokio::test(start_paused = true)]
    async fn failures_count_per_address_within_the_window() {
        let p = Penalties::default();
        let (a, b) = (Ipv4Addr::new(192, 0, 2, 9), Ipv4Addr::new(192, 0, 2, 10));
        let t0 = Instant::now();
        assert_eq!(p.failed(a, t0), 1);
        assert_eq!(p.failed(a, t0 + Duration::from_secs(60)), 2);
        assert_eq!(p.failed(a, t0 + Duration::from_secs(120)), 3);
        // Another address starts at one.
        assert_eq!(p.failed(b, t0 + Duration::from_secs(120)), 1);
        // Ten minutes after the first failure it no longer counts.
        assert_eq!(p.failed(a, t0 + AUTH_FAILURE_WINDOW), 3);
        // A quiet period forgets everything, and old addresses leave the map.
        assert_eq!(p.failed(a, t0 + 3 * AUTH_FAILURE_WINDOW), 1);
        assert_eq!(p.with(|m| m.len()), 1);
        // A successful login forgets the address's failures, not another's.
        p.failed(b, t0 + 3 * AUTH_FAILURE_WINDOW);
        p.succeeded(a);
        assert_eq!(p.failed(a, t0 + 3 * AUTH_FAILURE_WINDOW), 1);
        assert_eq!(p.failed(b, t0 + 3 * AUTH_FAILURE_WINDOW), 2);
        // Memory per address is bounded.
        for _ in 0..2 * MAX_REMEMBERED {
            p.failed(a, t0 + 3 * AUTH_FAILURE_WINDOW);
        }
        assert_eq!(p.failed(a, t0 + 3 * AUTH_FAILURE_WINDOW), MAX_REMEMBERED);
    }
}
