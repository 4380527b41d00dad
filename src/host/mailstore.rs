//! The mailstore host's reading services: POP3 (port 110) and IMAP (port
//! 143) over the same store that local delivery fills.
//!
//! A successful login records the client's address for POP-before-SMTP
//! when the host's relay rules ask for it, and every login, good or bad,
//! goes to the maillog in the style of Dovecot.
//!
//! Password guessing is slowed down as Dovecot does it: the reply to a
//! failed login is held back (see [`super::penalty`]; the table is the
//! host's, shared with SMTP AUTH). The cores only report the failure; the
//! waiting is done here, on tokio's clock.

use super::listen::{Gate, Refused, Refusing};
use super::mta::Mta;
use super::penalty::Penalties;
use super::session::{Core, Io, Lost, Note, Session};
use crate::host::env::ActivityGuard;
use crate::net::Conn;
use crate::proto::ports;
use crate::proto::tls::TlsMode;
use crate::proto::{imap, pop3};
use crate::trace::Kind;
use std::net::SocketAddrV4;
use std::sync::Arc;
use std::time::Duration;

/// Open the POP3 and IMAP ports, then serve them in background tasks.
pub async fn start(mta: Arc<Mta>) -> std::io::Result<()> {
    let penalties = mta.penalties.clone();
    let mut services = vec![(ports::POP3, "pop3", false), (ports::IMAP, "imap", false)];
    if mta.tls.is_some() {
        // Implicit TLS (RFC 8314): POP3S and IMAPS.
        services.extend([(ports::POP3S, "pop3", true), (ports::IMAPS, "imap", true)]);
    }
    // One limit for POP3 (110 and 995), one for IMAP (143 and 993).
    let (pop3_gate, imap_gate) = (Gate::new(mta.ctx.env.limits.clone()), Gate::new(mta.ctx.env.limits.clone()));
    for (port, proto, implicit) in services {
        let mut l = mta.ctx.env.net.listen(SocketAddrV4::new(mta.ctx.ip, port)).await?;
        let m = mta.clone();
        let penalties = penalties.clone();
        let slots = if proto == "pop3" { pop3_gate.clone() } else { imap_gate.clone() };
        let what = format!("{proto} on port {port}");
        tokio::spawn(async move {
            while let Ok(conn) = super::listen::accept(&m.ctx, &mut l, &what).await {
                let permit = match slots.enter(*conn.peer.ip()) {
                    Ok(p) => p,
                    Err(why) => {
                        // Too many: the core refuses, traced like any reply.
                        if proto == "pop3" {
                            refuse(&m, conn, why, pop3::Server::refuse_busy(pop3_config(&m))).await;
                        } else {
                            refuse(&m, conn, why, imap::Server::refuse_busy(imap_config(&m))).await;
                        }
                        continue;
                    }
                };
                let guard = m.ctx.env.activity.begin();
                let m2 = m.clone();
                let p2 = penalties.clone();
                if proto == "pop3" {
                    m.ctx.env.net.spawn_session(async move {
                        pop3_session(m2, p2, conn, guard, implicit).await;
                        drop(permit);
                    });
                } else {
                    m.ctx.env.net.spawn_session(async move {
                        imap_session(m2, p2, conn, guard, implicit).await;
                        drop(permit);
                    });
                }
            }
        });
    }
    Ok(())
}

/// What a POP3 or IMAP session needs its host for.
enum Act {
    LoginOk(String),
    LoginFailed(String, String),
}

/// The part of a reading protocol's core that the session driver runs.
trait Reader {
    /// `pop3` or `imap`: trace kinds and log lines are named after it.
    const NAME: &'static str;
    /// The trace kinds of the lines it receives and sends.
    const CMD: Kind;
    const REPLY: Kind;
    fn poll(&mut self, store: &mut crate::store::Store, now: chrono::DateTime<chrono::FixedOffset>) -> Option<Output>;
    fn feed(&mut self, bytes: &[u8]);
    fn peer_closed(&mut self);
    /// The session is over: what the protocol changes in the store at its
    /// end (POP3: `\Seen` on what RETR sent).
    fn end(&mut self, _store: &mut crate::store::Store) {}
    fn waiting(&mut self, now: Duration);
    fn poll_timeout(&self) -> Option<Duration>;
    fn handle_timeout(&mut self, now: Duration);
    /// The store changed (IMAP reports it; POP3's maildrop is fixed at login).
    fn mailbox_changed(&mut self) {}
    /// TLS is up (after STLS/STARTTLS, or on 995/993 from the start).
    fn tls_started(&mut self);
    /// A plaintext login was refused because TLS is required and not up.
    fn plaintext_refused(&self) -> bool;
}

/// A POP3 or IMAP output, in common terms.
enum Output {
    Received(String),
    Send { bytes: Vec<u8>, lines: Vec<String> },
    LoginOk(String),
    LoginFailed(String, String),
    Close,
    StartTls,
}

impl Reader for pop3::Server {
    const NAME: &'static str = "pop3";
    const CMD: Kind = Kind::Pop3Cmd;
    const REPLY: Kind = Kind::Pop3Reply;
    fn poll(&mut self, store: &mut crate::store::Store, _now: chrono::DateTime<chrono::FixedOffset>) -> Option<Output> {
        Some(match pop3::Server::poll(self, store)? {
            pop3::Output::Received(l) => Output::Received(l),
            pop3::Output::Send { bytes, lines } => Output::Send { bytes, lines },
            pop3::Output::LoginOk { user } => Output::LoginOk(user),
            pop3::Output::LoginFailed { user, reason } => Output::LoginFailed(user, format!("auth failed: {reason}")),
            pop3::Output::Close => Output::Close,
            pop3::Output::StartTls => Output::StartTls,
        })
    }
    fn feed(&mut self, bytes: &[u8]) {
        pop3::Server::feed(self, bytes)
    }
    fn peer_closed(&mut self) {
        pop3::Server::peer_closed(self)
    }
    fn end(&mut self, store: &mut crate::store::Store) {
        pop3::Server::end(self, store)
    }
    fn waiting(&mut self, now: Duration) {
        pop3::Server::waiting(self, now)
    }
    fn poll_timeout(&self) -> Option<Duration> {
        pop3::Server::poll_timeout(self)
    }
    fn handle_timeout(&mut self, now: Duration) {
        pop3::Server::handle_timeout(self, now)
    }
    fn tls_started(&mut self) {
        pop3::Server::tls_started(self)
    }
    fn plaintext_refused(&self) -> bool {
        pop3::Server::plaintext_refused(self)
    }
}

impl Reader for imap::Server {
    const NAME: &'static str = "imap";
    const CMD: Kind = Kind::ImapCmd;
    const REPLY: Kind = Kind::ImapReply;
    fn poll(&mut self, store: &mut crate::store::Store, now: chrono::DateTime<chrono::FixedOffset>) -> Option<Output> {
        Some(match imap::Server::poll(self, store, now)? {
            imap::Output::Received(l) => Output::Received(l),
            imap::Output::Send { bytes, lines } => Output::Send { bytes, lines },
            imap::Output::LoginOk { user } => Output::LoginOk(user),
            imap::Output::LoginFailed { user } => Output::LoginFailed(user, "auth failed".into()),
            imap::Output::Close => Output::Close,
            imap::Output::StartTls => Output::StartTls,
        })
    }
    fn feed(&mut self, bytes: &[u8]) {
        imap::Server::feed(self, bytes)
    }
    fn peer_closed(&mut self) {
        imap::Server::peer_closed(self)
    }
    fn waiting(&mut self, now: Duration) {
        imap::Server::waiting(self, now)
    }
    fn poll_timeout(&self) -> Option<Duration> {
        imap::Server::poll_timeout(self)
    }
    fn handle_timeout(&mut self, now: Duration) {
        imap::Server::handle_timeout(self, now)
    }
    fn mailbox_changed(&mut self) {
        imap::Server::mailbox_changed(self)
    }
    fn tls_started(&mut self) {
        imap::Server::tls_started(self)
    }
    fn plaintext_refused(&self) -> bool {
        imap::Server::plaintext_refused(self)
    }
}

/// A POP3 or IMAP core on the host's store, as the session driver runs it.
struct Reading<R> {
    mta: Arc<Mta>,
    srv: R,
    /// How the client logs in, for the log: PLAIN unless it used APOP.
    method: &'static str,
    /// How the session ended, in Dovecot's words for its login process:
    /// `Aborted login` (the client said QUIT/LOGOUT), `Disconnected` (it
    /// went away), `Disconnected: Inactivity` (the autologout).
    ended: Option<&'static str>,
}

impl<R> Reading<R> {
    fn new(mta: Arc<Mta>, srv: R) -> Self {
        Reading { mta, srv, method: "PLAIN", ended: None }
    }
}

impl<R: Reader> Core for Reading<R> {
    type Action = Act;
    fn feed(&mut self, _now: Duration, bytes: &[u8]) {
        self.srv.feed(bytes);
    }
    fn poll(&mut self, _now: Duration) -> Option<Io<Act>> {
        let now = self.mta.ctx.now();
        Some(match self.mta.with_store(|st| self.srv.poll(st, now))? {
            Output::Received(l) => {
                if l.get(..4).is_some_and(|v| v.eq_ignore_ascii_case("APOP")) {
                    self.method = "APOP";
                }
                Io::Trace(Note::new(R::CMD, l))
            }
            Output::Send { bytes, lines } => {
                Io::Send { bytes, notes: lines.into_iter().map(|l| Note::new(R::REPLY, l)).collect() }
            }
            Output::LoginOk(user) => Io::Host(Act::LoginOk(user)),
            Output::LoginFailed(user, why) => Io::Host(Act::LoginFailed(user, why)),
            Output::Close => {
                self.ended.get_or_insert("Aborted login");
                Io::Close
            }
            Output::StartTls => Io::StartTls,
        })
    }
    fn tls_started(&mut self, _info: &crate::proto::tls::TlsInfo) {
        self.srv.tls_started();
    }
    fn waiting(&mut self, now: Duration) {
        self.srv.waiting(now);
    }
    fn poll_timeout(&self) -> Option<Duration> {
        self.srv.poll_timeout()
    }
    fn handle_timeout(&mut self, now: Duration) {
        let over = self.srv.poll_timeout().is_some_and(|d| now >= d);
        if over {
            self.ended.get_or_insert("Disconnected: Inactivity");
        }
        self.srv.handle_timeout(now);
        if over {
            self.mta.with_store(|st| self.srv.end(st));
        }
    }
    fn peer_closed(&mut self, _how: Lost) {
        self.ended.get_or_insert("Disconnected");
        self.srv.peer_closed();
        self.mta.with_store(|st| self.srv.end(st));
    }
    fn signalled(&mut self) {
        self.srv.mailbox_changed();
    }
}

/// How this host's POP3 and IMAP offer STLS/STARTTLS: the scenario's `tls`,
/// if the host could set TLS up.
fn tls_mode(mta: &Mta) -> TlsMode {
    if mta.tls.is_some() { mta.cfg().tls } else { TlsMode::Off }
}

fn pop3_config(mta: &Mta) -> pop3::Pop3Config {
    pop3::Pop3Config { hostname: mta.ctx.hostname.clone(), show_secrets: mta.cfg().show_secrets }
}

/// The largest literal when `max_message_size` is 0 (SMTP then sets no
/// limit, but an IMAP literal is held in memory whole).
pub const MAX_LITERAL_UNLIMITED: usize = 64 * 1024 * 1024;

/// The largest literal (an APPENDed message) the IMAP server takes: what
/// the host's SMTP server takes, `max_message_size`.
pub fn max_literal(max_message_size: u64) -> usize {
    match max_message_size {
        0 => MAX_LITERAL_UNLIMITED,
        n => usize::try_from(n).unwrap_or(usize::MAX),
    }
}

fn imap_config(mta: &Mta) -> imap::ImapConfig {
    imap::ImapConfig {
        hostname: mta.ctx.hostname.clone(),
        show_secrets: mta.cfg().show_secrets,
        max_literal: max_literal(mta.cfg().max_message_size),
    }
}

/// A connection over a session limit: `tcp.refuse`, the refusing core's
/// reply, traced, then close (no session of its own: no `tcp.accept`, no
/// process id).
async fn refuse<R: Reader>(mta: &Arc<Mta>, conn: Conn, why: Refused, srv: R) {
    let label = mta.ctx.peer_name(*conn.peer.ip());
    let mut core = Refusing::new(why, Reading::new(mta.clone(), srv));
    let mut driver = Session::new(&mta.ctx, conn.stream, conn.session, label);
    // A refusing core logs nobody in.
    while driver.next(&mut core).await.is_some() {}
}

async fn pop3_session(mta: Arc<Mta>, penalties: Arc<Penalties>, conn: Conn, busy: ActivityGuard, implicit: bool) {
    let pid = mta.new_pid();
    let timestamp = format!("<{pid}.{}@{}>", mta.ctx.now().timestamp(), mta.ctx.hostname);
    let mut srv = pop3::Server::new(pop3_config(&mta), timestamp).tls(tls_mode(&mta));
    if let Some(t) = mta.ctx.env.limits.idle_timeout {
        srv.set_idle_timeout(t);
    }
    session(mta, penalties, conn, busy, pid, srv, implicit).await
}

async fn imap_session(mta: Arc<Mta>, penalties: Arc<Penalties>, conn: Conn, busy: ActivityGuard, implicit: bool) {
    let pid = mta.new_pid();
    let mut srv = imap::Server::new(imap_config(&mta)).tls(tls_mode(&mta));
    if let Some(t) = mta.ctx.env.limits.idle_timeout {
        srv.set_idle_timeout(t);
    }
    session(mta, penalties, conn, busy, pid, srv, implicit).await
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
    srv: R,
    implicit: bool,
) {
    let Conn { stream, peer, session, local } = conn;
    let ip = *peer.ip();
    let label = mta.ctx.peer_name(ip);
    let ctx = mta.ctx.clone();
    let on = if implicit { format!(" on port {} (TLS)", local.port()) } else { String::new() };
    ctx.emit(
        ctx.ev(Kind::TcpAccept)
            .session(session)
            .peer(&label)
            .line(format!("connection from {label} [{ip}]:{}{on}", peer.port())),
    );
    // The driver can start TLS on any port of a host that has it: at once on
    // 995/993, after STLS/STARTTLS on 110/143.
    let tls = mta.tls.clone().map(super::session::Tls::Server);
    let mut driver = Session::new(&ctx, stream, session, &label).signal(mta.store_version.subscribe()).tls(tls);
    let mut core = Reading::new(mta.clone(), srv);
    if implicit && !driver.handshake_first(&mut core).await {
        ctx.emit(ctx.ev(Kind::TcpClose).session(session).peer(&label).line("connection closed"));
        return;
    }
    let mut logged_in = false;
    while let Some(act) = driver.next(&mut core).await {
        let method = core.method;
        match act {
            Act::LoginOk(user) => {
                logged_in = true;
                // Dovecot adds `TLS` to the login line of an encrypted connection.
                let tls = if driver.encrypted() { ", TLS" } else { "" };
                let msg = format!(
                    "{}-login: Login: user=<{user}>, method={method}, rip={ip}, lip={}, mpid={pid}{tls}",
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
                let delay = penalties.failed(&ctx, session, &label, ip);
                tokio::time::sleep(delay).await;
                let msg = format!(
                    "{}-login: Disconnected ({why}): user=<{user}>, method={method}, rip={ip}, lip={}",
                    R::NAME,
                    ctx.ip
                );
                mta.log.log_as("dovecot", pid, &msg);
            }
        }
    }
    if !logged_in && core.srv.plaintext_refused() {
        // Dovecot's login process refused the password before asking its
        // auth process, and says so when the connection ends
        // (`client_get_extra_disconnect_reason`, login-common/client-common.c).
        // No auth penalty: that lives in the auth process, never asked.
        let msg = format!(
            "{}-login: {} (tried to use disallowed plaintext auth): user=<>, rip={ip}, lip={}",
            R::NAME,
            core.ended.unwrap_or("Disconnected"),
            ctx.ip
        );
        mta.log.log_as("dovecot", pid, &msg);
    }
    ctx.emit(ctx.ev(Kind::TcpClose).session(session).peer(&label).line("connection closed"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_literal_limit_is_the_message_size_limit() {
        assert_eq!(max_literal(2000), 2000);
        assert_eq!(max_literal(10_240_000), 10_240_000);
        assert_eq!(max_literal(0), MAX_LITERAL_UNLIMITED);
    }
}
