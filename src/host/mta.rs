//! The MTA host: one implementation for the relay, hub and MX roles.
//!
//! Inbound, it runs the SMTP server core with a policy that knows the
//! host's local domains and users and its relay rules. Accepted mail goes
//! into the queue ([`super::queue`]), which delivers to local mailboxes,
//! forwards to the smarthost or to the destination's MX, retries what
//! cannot go now and returns what can never go.

use super::listen::{Gate, Refused};
use super::maillog::{Maillog, Program};
use super::resolver::Resolver;
use super::session::{Core, Io, Lost, Note, Session};
use super::spool::{HostedList, NextHop, QueueEntry, RetryPolicy};
use crate::base::sync::lock;
use crate::base::time::rfc5322;
use crate::host::env::{ActivityGuard, HostCtx, Purpose};
use crate::net::Conn;
use crate::proto::ports;
use crate::proto::smtp::persona::{Arrival, Source};
use crate::proto::smtp::received::{Via, received};
use crate::proto::smtp::server::{Envelope, Output, Peer, Policy, Server, ServerConfig};
use crate::proto::smtp::{Mailbox, Persona, Reply};
use crate::proto::tls::TlsMode;
use crate::scenario::{AuthMode, MtaConfig};
use crate::store::Store;
use crate::trace::{Field, Kind};
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::sync::watch;
use tokio::time::Instant;

/// More Received: fields than this means a loop (sendmail's MaxHopCount).
pub const MAX_HOPS: usize = 25;
/// Sessions served at once by default; more get 421 and are closed (see [`super::listen`]).
pub use super::listen::MAX_SESSIONS;

pub struct Mta {
    pub ctx: HostCtx,
    pub cfg: MtaConfig,
    /// Local mailboxes (accounts of the users whose domain this host serves).
    pub store: Arc<Mutex<Store>>,
    /// Bumped on every local delivery, so IMAP sessions can report new mail.
    pub store_version: watch::Sender<u64>,
    /// SMTP AUTH accounts: user -> password.
    pub auth_users: BTreeMap<String, String>,
    /// POP-before-SMTP: client address -> until when it may relay.
    pub popauth: Mutex<BTreeMap<Ipv4Addr, Instant>>,
    pub resolver: Option<Resolver>,
    pub smarthost: Option<NextHop>,
    pub log: Maillog,
    pub state: Mutex<MtaState>,
    pub wake: Notify,
    pub retry: RetryPolicy,
    /// Mailing lists (a list host only).
    pub lists: Vec<HostedList>,
    /// `cfg.domains` as a set: an MX may serve thousands of domains.
    local_domains: std::collections::BTreeSet<String>,
    /// The server side of TLS (certificate from the lab CA), when `tls` is on.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Recent failed logins per client address: SMTP AUTH, POP3 and IMAP
    /// share them (see [`super::penalty`]).
    pub penalties: Arc<super::penalty::Penalties>,
}

#[derive(Default)]
pub struct MtaState {
    pub queue: BTreeMap<u64, QueueEntry>,
    pub next_entry: u64,
    pub next_pid: u32,
    pub qid_seq: u32,
}

/// The local part every mail domain must accept (RFC 5321 §4.5.1).
pub const POSTMASTER: &str = "postmaster";

impl Mta {
    pub fn new(
        ctx: HostCtx,
        mut cfg: MtaConfig,
        mut store: Store,
        auth_users: BTreeMap<String, String>,
        resolver: Option<Resolver>,
        smarthost: Option<NextHop>,
    ) -> Arc<Self> {
        let base = 1000 + ctx.rng(Purpose::Pid).below(30000) as u32;
        let log = Maillog { ctx: ctx.clone(), flavour: cfg.flavour, daemon_pid: base };
        let lists = cfg.lists.iter().map(|l| HostedList::new(crate::listserv::List::new(l.clone()))).collect();
        // The host's own name is a local destination too, as Postfix's
        // default `mydestination = $myhostname, …` and sendmail's class w
        // make it: that is where the bare `RCPT TO:<postmaster>` goes.
        let own = ctx.hostname.to_ascii_lowercase();
        let mut local_domains: std::collections::BTreeSet<String> = cfg.domains.iter().cloned().collect();
        local_domains.insert(own.clone());
        // postmaster@ every local domain must be accepted (RFC 5321 §4.5.1).
        // Unless the scenario routes it (an alias or a user `postmaster@…`),
        // it goes to a system mailbox on this host, as /etc/aliases sends
        // `postmaster` to root.
        if !cfg.aliases.contains_key(POSTMASTER) {
            let mailbox = format!("{POSTMASTER}@{own}");
            if !store.has_user(&mailbox) {
                store.add_system_account(&mailbox);
            }
            cfg.aliases.insert(POSTMASTER.to_string(), vec![mailbox]);
        }
        let tls = match cfg.tls {
            TlsMode::Off => None,
            _ => match super::tls::server_config(&ctx) {
                Ok(c) => Some(c),
                Err(e) => {
                    // STARTTLS is then not offered (the 454 case of RFC 3207).
                    ctx.emit(ctx.ev(Kind::HostError).line(e.to_string()));
                    None
                }
            },
        };
        Arc::new(Mta {
            tls,
            penalties: Arc::default(),
            lists,
            local_domains,
            retry: RetryPolicy::configured(cfg.flavour, &cfg.queue),
            ctx,
            cfg,
            store: Arc::new(Mutex::new(store)),
            store_version: watch::channel(0).0,
            auth_users,
            popauth: Mutex::new(BTreeMap::new()),
            resolver,
            smarthost,
            log,
            state: Mutex::new(MtaState { next_pid: base + 10, ..Default::default() }),
            wake: Notify::new(),
        })
    }

    pub fn with_state<R>(&self, f: impl FnOnce(&mut MtaState) -> R) -> R {
        f(&mut lock(&self.state))
    }

    pub fn new_pid(&self) -> u32 {
        self.with_state(|s| {
            s.next_pid += 1;
            s.next_pid
        })
    }

    pub fn new_qid(&self, pid: u32) -> String {
        let mut seq = || {
            self.with_state(|s| {
                s.qid_seq += 1;
                s.qid_seq
            })
        };
        let mut random = || {
            let rng = self.ctx.rng(Purpose::QueueId);
            u64::from(rng.u16()) << 24 | rng.below(1 << 24)
        };
        self.persona().queue_id(self.ctx.now(), pid, &mut seq, &mut random)
    }

    /// The words of this host's MTA flavour.
    pub fn persona(&self) -> &'static dyn Persona {
        self.cfg.flavour.persona()
    }

    pub fn with_store<R>(&self, f: impl FnOnce(&mut Store) -> R) -> R {
        f(&mut lock(&self.store))
    }

    pub fn has_local_user(&self, key: &str) -> bool {
        self.with_store(|s| s.has_user(key))
    }

    /// POP-before-SMTP: a login from `ip` lets it relay for the configured window.
    pub fn popauth_add(self: &Arc<Self>, ip: Ipv4Addr, user: &str, how: &str) {
        let Some(window) = self.cfg.pop_before_smtp else { return };
        let until = Instant::now() + window;
        // A window still open is only extended: its timer task follows the new end.
        let timer_running = lock(&self.popauth).insert(ip, until).is_some();
        let wall = self.ctx.now() + chrono::Duration::from_std(window).unwrap_or_default();
        self.ctx.emit(
            self.ctx
                .ev(Kind::PopauthAdd)
                .peer(self.ctx.peer_name(ip))
                .line(format!("{ip} may relay until {} ({how} login by {user})", wall.format("%H:%M:%S")))
                .field(Field::Ip, ip.to_string()),
        );
        if timer_running {
            // One task per address, not one per login: a busy client logging
            // in every second would otherwise pile up a window's worth of them.
            return;
        }
        let me = self.clone();
        tokio::spawn(async move {
            let mut until = until;
            loop {
                tokio::time::sleep_until(until).await;
                let next = {
                    let mut g = lock(&me.popauth);
                    match g.get(&ip).copied() {
                        Some(t) if t <= Instant::now() => {
                            g.remove(&ip);
                            None
                        }
                        // Extended by a later login: wait for the new end.
                        Some(t) => Some(t),
                        None => return,
                    }
                };
                match next {
                    Some(t) => until = t,
                    None => break,
                }
            }
            me.ctx.emit(
                me.ctx
                    .ev(Kind::PopauthExpire)
                    .peer(me.ctx.peer_name(ip))
                    .line(format!("{ip} may no longer relay: its POP-before-SMTP window has passed"))
                    .field(Field::Ip, ip.to_string()),
            );
        });
    }

    fn popauth_allows(&self, ip: Ipv4Addr) -> bool {
        lock(&self.popauth).get(&ip).is_some_and(|t| *t > Instant::now())
    }

    pub fn is_local_domain(&self, d: &str) -> bool {
        self.local_domains.contains(d)
    }

    /// May this client relay to this recipient? (Local recipients never ask.)
    fn relay_allowed(&self, ip: Ipv4Addr, ptr: Option<&str>, rcpt: &Mailbox) -> bool {
        let by_net = self.cfg.relay_networks.iter().any(|c| c.contains(ip));
        let by_domain =
            ptr.is_some_and(|n| self.cfg.relay_client_domains.iter().any(|d| n == d || n.ends_with(&format!(".{d}"))));
        let to_domain =
            self.cfg.relay_to_domains.iter().any(|d| rcpt.domain == *d || rcpt.domain.ends_with(&format!(".{d}")));
        by_net || by_domain || to_domain
    }

    /// Open the SMTP port, and the submission port when the host offers
    /// submission; the listeners go to [`Mta::serve`].
    pub async fn bind(&self) -> std::io::Result<Vec<(Service, crate::net::Listener)>> {
        let mut out = Vec::new();
        for service in self.services() {
            let l = self.ctx.env.net.listen(SocketAddrV4::new(self.ctx.ip, service.port())).await?;
            out.push((service, l));
        }
        Ok(out)
    }

    /// The SMTP services this host runs: port 25 always, 587 with
    /// `submission`, and 465 when it has TLS too.
    pub fn services(&self) -> Vec<Service> {
        let mut v = vec![Service::Smtp];
        if self.cfg.submission {
            v.push(Service::Submission);
            if self.tls.is_some() {
                v.push(Service::Submissions);
            }
        }
        v
    }

    /// Run the queue and accept connections on every listener forever.
    pub async fn serve(self: Arc<Self>, listeners: Vec<(Service, crate::net::Listener)>) -> std::io::Result<()> {
        let q = self.clone();
        tokio::spawn(async move { q.run_queue().await });
        let d = self.clone();
        tokio::spawn(async move { d.run_digests().await });
        // One limit for all the host's SMTP services, as one smtpd process limit.
        let slots = Gate::new(self.ctx.env.limits);
        let mut first = None;
        for (service, l) in listeners {
            if first.is_none() {
                first = Some((service, l));
                continue;
            }
            let me = self.clone();
            let slots = slots.clone();
            let ctx = self.ctx.clone();
            tokio::spawn(async move {
                if let Err(e) = me.accept_loop(service, l, slots).await {
                    ctx.emit(
                        ctx.ev(Kind::HostError).line(format!("SMTP service on port {} stopped: {e}", service.port())),
                    );
                }
            });
        }
        match first {
            Some((service, l)) => self.accept_loop(service, l, slots).await,
            None => std::future::pending().await,
        }
    }

    async fn accept_loop(
        self: &Arc<Self>,
        service: Service,
        mut l: crate::net::Listener,
        slots: Arc<Gate>,
    ) -> std::io::Result<()> {
        let what = format!("{} on port {}", service.name(), service.port());
        loop {
            let conn = super::listen::accept(&self.ctx, &mut l, &what).await?;
            let permit = match slots.enter(*conn.peer.ip()) {
                Ok(p) => p,
                Err(why) => {
                    // Too many: say so and hang up, as Postfix's anvil limit does.
                    self.refuse(conn, why).await;
                    continue;
                }
            };
            let guard = self.ctx.env.activity.begin();
            let me = self.clone();
            tokio::spawn(async move {
                me.session(conn, guard, service).await;
                drop(permit);
            });
        }
    }

    async fn session(self: Arc<Self>, conn: Conn, _busy: ActivityGuard, service: Service) {
        let Conn { stream, peer, session, .. } = conn;
        let ip = *peer.ip();
        let label = self.ctx.peer_name(ip);
        let on = match service {
            Service::Smtp => String::new(),
            s => format!(" on port {} ({})", s.port(), s.name()),
        };
        self.ctx.emit(
            self.ctx
                .ev(Kind::TcpAccept)
                .session(session)
                .peer(&label)
                .line(format!("connection from {label} [{ip}]:{}{on}", peer.port())),
        );
        let ptr = match &self.resolver {
            Some(r) => r.ptr(ip).await,
            None => None,
        };
        let pid = self.new_pid();
        let pol = SessionPolicy {
            mta: &self,
            service,
            ip,
            ptr: ptr.clone(),
            pid,
            qid: None,
            counts: BTreeMap::new(),
            last_verb: String::new(),
            auth_mech: String::new(),
            auth_failed: false,
        };
        if let Some(l) = self.persona().log_connect(&pol.peer()) {
            self.log.log(service.program(), pid, &l);
        }
        let server = Server::new(self.server_config(service), Peer { ip, name: ptr });
        let mut core = SmtpSession { server, pol, timed_out: false, held: None };
        let tls = self.tls.clone().map(super::session::Tls::Server);
        let mut s = Session::new(&self.ctx, stream, session, &label).tls(tls);
        if service != Service::Submissions || s.handshake_first(&mut core).await {
            while let Some(AuthFailed) = s.next(&mut core).await {
                // The 535 waits in the core: it goes out when the delay is over.
                let delay = self.penalties.failed(&self.ctx, session, &label, ip);
                tokio::time::sleep(delay).await;
            }
        }
        let pol = core.pol;
        if let Some(l) = self.persona().log_disconnect(&pol.peer(), &pol.counts) {
            self.log.log(service.program(), pid, &l);
        }
        self.ctx.emit(self.ctx.ev(Kind::TcpClose).session(session).peer(&label).line("connection closed"));
    }

    /// A connection over a session limit: `tcp.refuse`, the core's 421,
    /// traced, then close (no session of its own: no `tcp.accept`, no
    /// process id).
    async fn refuse(&self, conn: Conn, why: Refused) {
        let ip = *conn.peer.ip();
        let cfg = self.server_config(Service::Smtp);
        let peer = Peer { ip, name: None };
        let server = match why {
            Refused::Busy(_) => Server::refuse_busy(cfg, peer),
            Refused::Client(..) => Server::refuse_client(cfg, peer),
        };
        let mut core = SmtpRefusal(Some(why.note()), server);
        Session::new(&self.ctx, conn.stream, conn.session, self.ctx.peer_name(ip)).run(&mut core).await;
    }

    fn server_config(&self, service: Service) -> ServerConfig {
        ServerConfig {
            hostname: self.ctx.hostname.clone(),
            flavour: self.cfg.flavour,
            max_message_size: self.cfg.max_message_size,
            max_recipients: 100,
            // Submission always offers AUTH (RFC 6409 §4.3 wants it authenticated).
            auth: self.cfg.auth != crate::scenario::AuthMode::Off || service != Service::Smtp,
            // On 465 TLS is up before the first word: no STARTTLS there.
            show_secrets: self.cfg.show_secrets,
            tls: if self.tls.is_some() && service != Service::Submissions { self.cfg.tls } else { TlsMode::Off },
        }
    }

    /// Queue an accepted message and wake the queue runner.
    pub fn enqueue(&self, e: QueueEntry) {
        let rcpts: Vec<String> = e.rcpts.iter().map(|r| format!("<{r}>")).collect();
        self.ctx.emit(
            self.ctx
                .ev(Kind::QueueAdd)
                .line(format!("{}: from={} to={}", e.qid, e.from, rcpts.join(",")))
                .field(Field::Qid, e.qid.clone())
                .field(Field::Rcpts, e.rcpts.len()),
        );
        self.with_state(|s| {
            s.next_entry += 1;
            let k = s.next_entry;
            s.queue.insert(k, e);
        });
        self.wake.notify_one();
    }
}

/// The SMTP server core and the session's policy, as the session driver
/// runs them: commands, message sizes and replies go to the trace, and
/// replies are counted for Postfix's disconnect line.
struct SmtpSession<'a> {
    server: Server,
    pol: SessionPolicy<'a>,
    /// The idle timer fired: its 421 answers no command and is not counted.
    timed_out: bool,
    /// The answer to a failed AUTH, held back while the host waits.
    held: Option<Reply>,
}

/// What the SMTP session asks of its host: an AUTH failed, hold its answer back.
struct AuthFailed;

/// The trace lines of a reply, one per line on the wire.
fn reply_notes(r: &Reply) -> Vec<Note> {
    r.wire_lines().into_iter().map(|l| Note::new(Kind::SmtpReply, l).field(Field::Code, r.code)).collect()
}

impl Core for SmtpSession<'_> {
    type Action = AuthFailed;
    fn feed(&mut self, _now: Duration, bytes: &[u8]) {
        self.server.feed(bytes);
    }
    fn poll(&mut self, _now: Duration) -> Option<Io<Self::Action>> {
        if let Some(r) = self.held.take() {
            return Some(Io::Send { notes: reply_notes(&r), bytes: r.to_bytes() });
        }
        Some(match self.server.poll(&mut self.pol)? {
            Output::Command(l) => {
                // The lines answering AUTH's 334 challenges belong to AUTH.
                if self.pol.last_verb != "auth" {
                    self.pol.last_verb = l.split(' ').next().unwrap_or("").to_ascii_lowercase();
                }
                Io::Trace(Note::new(Kind::SmtpCmd, l))
            }
            Output::Data { octets, lines } => Io::Trace(
                Note::new(Kind::SmtpData, format!("(message content: {lines} lines, {octets} octets)"))
                    .field(Field::Octets, octets),
            ),
            Output::Reply(r) => {
                if !self.timed_out {
                    self.pol.count(&r);
                }
                if std::mem::take(&mut self.pol.auth_failed) {
                    // A failed AUTH's answer waits for the host's penalty.
                    self.held = Some(r);
                    return Some(Io::Host(AuthFailed));
                }
                Io::Send { notes: reply_notes(&r), bytes: r.to_bytes() }
            }
            Output::Close => Io::Close,
            Output::StartTls => Io::StartTls,
        })
    }
    fn tls_started(&mut self, info: &crate::proto::tls::TlsInfo) {
        self.server.tls_started(info.clone());
    }
    fn waiting(&mut self, now: Duration) {
        self.server.waiting(now);
    }
    fn poll_timeout(&self) -> Option<Duration> {
        self.server.poll_timeout()
    }
    fn handle_timeout(&mut self, now: Duration) {
        self.server.handle_timeout(now);
        self.timed_out = self.server.poll_timeout().is_none();
    }
    fn peer_closed(&mut self, _how: Lost) {
        self.server.peer_closed();
    }
}

/// A server core that only refuses ([`Server::refuse_busy`]), after the
/// `tcp.refuse` line; its policy is never asked.
struct SmtpRefusal(Option<Note>, Server);

impl Core for SmtpRefusal {
    type Action = std::convert::Infallible;
    fn feed(&mut self, _now: Duration, bytes: &[u8]) {
        self.1.feed(bytes);
    }
    fn poll(&mut self, _now: Duration) -> Option<Io<Self::Action>> {
        if let Some(n) = self.0.take() {
            return Some(Io::Trace(n));
        }
        Some(match self.1.poll(&mut Refuse)? {
            Output::Reply(r) => Io::Send { notes: reply_notes(&r), bytes: r.to_bytes() },
            Output::Command(l) => Io::Trace(Note::new(Kind::SmtpCmd, l)),
            Output::Data { .. } | Output::StartTls => return None,
            Output::Close => Io::Close,
        })
    }
    fn poll_timeout(&self) -> Option<Duration> {
        self.1.poll_timeout()
    }
    fn handle_timeout(&mut self, now: Duration) {
        self.1.handle_timeout(now);
    }
    fn peer_closed(&mut self, _how: Lost) {
        self.1.peer_closed();
    }
}

/// The policy of a refusing server: refuses everything (and is never asked).
struct Refuse;

impl Policy for Refuse {
    fn greeting(&mut self) -> Reply {
        Reply::new(554, "5.3.2 Service not available")
    }
    fn mail(&mut self, _env: &Envelope) -> Reply {
        Reply::new(503, "5.5.1 Bad sequence of commands")
    }
    fn rcpt(&mut self, _env: &Envelope, _rcpt: &Mailbox) -> Reply {
        Reply::new(503, "5.5.1 Bad sequence of commands")
    }
    fn message(&mut self, _env: &Envelope, _data: Vec<u8>) -> Reply {
        Reply::new(554, "5.3.2 Service not available")
    }
}

/// Which of the MTA's SMTP services a connection came in on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    /// Port 25: mail from other MTAs (RFC 5321), relay rules as configured.
    Smtp,
    /// Port 587: message submission (RFC 6409): AUTH before MAIL, and relay
    /// for authenticated users only (the client's network counts for nothing).
    Submission,
    /// Port 465: the same over implicit TLS (RFC 8314): the TLS handshake
    /// comes first, before the greeting.
    Submissions,
}

impl Service {
    pub fn port(self) -> u16 {
        match self {
            Service::Smtp => ports::SMTP,
            Service::Submission => ports::SUBMISSION,
            Service::Submissions => ports::SUBMISSIONS,
        }
    }
    /// The IANA service name.
    pub fn name(self) -> &'static str {
        match self {
            Service::Smtp => "smtp",
            Service::Submission => "submission",
            Service::Submissions => "submissions",
        }
    }
    /// The program whose maillog lines a session of this service writes.
    fn program(self) -> Program {
        match self {
            Service::Smtp => Program::Smtpd,
            Service::Submission | Service::Submissions => Program::SubmissionSmtpd,
        }
    }
    /// Does this service take mail only from users who logged in?
    fn requires_auth(self) -> bool {
        self != Service::Smtp
    }
}

/// The mail system's decisions for one SMTP session.
struct SessionPolicy<'a> {
    mta: &'a Mta,
    service: Service,
    ip: Ipv4Addr,
    ptr: Option<String>,
    pid: u32,
    qid: Option<String>,
    /// Postfix's disconnect summary: verb -> (ok, total).
    counts: BTreeMap<String, (u32, u32)>,
    last_verb: String,
    auth_mech: String,
    /// An AUTH just failed: its answer is held back (see [`super::penalty`]).
    auth_failed: bool,
}

impl SessionPolicy<'_> {
    fn persona(&self) -> &'static dyn Persona {
        self.mta.persona()
    }
    fn peer(&self) -> Peer {
        Peer { ip: self.ip, name: self.ptr.clone() }
    }
    fn count(&mut self, r: &Reply) {
        let v = std::mem::take(&mut self.last_verb);
        if v.is_empty() || r.code == 354 || r.code == 334 {
            self.last_verb = v;
            return;
        }
        let e = self.counts.entry(v).or_insert((0, 0));
        e.1 += 1;
        if r.is_positive() {
            e.0 += 1;
        }
    }
}

impl Policy for SessionPolicy<'_> {
    fn greeting(&mut self) -> Reply {
        self.persona().greeting(&self.mta.ctx.hostname, &rfc5322(self.mta.ctx.now()))
    }

    fn mail(&mut self, env: &Envelope) -> Reply {
        let p = self.persona();
        if (self.mta.cfg.auth == AuthMode::Required || self.service.requires_auth()) && env.auth.is_none() {
            let r = p.auth_required();
            self.mta.log.log(self.service.program(), self.pid, &p.log_mail_reject(&self.peer(), env, &r));
            return r;
        }
        self.qid = if p.names_transaction_at_mail() { Some(self.mta.new_qid(self.pid)) } else { None };
        p.mail_ok(&env.from.to_string())
    }

    fn rcpt(&mut self, env: &Envelope, rcpt: &Mailbox) -> Reply {
        let to = format!("<{rcpt}>");
        let p = self.persona();
        let r = if self.mta.is_local_domain(&rcpt.domain) {
            let alias = self.mta.cfg.aliases.contains_key(&rcpt.local.to_ascii_lowercase());
            let list = self.mta.list_for(rcpt).is_some();
            if alias || list || self.mta.has_local_user(&rcpt.key()) { p.rcpt_ok(&to) } else { p.user_unknown(&to) }
        } else if env.auth.is_some()
            || (!self.service.requires_auth()
                && (self.mta.popauth_allows(self.ip) || self.mta.relay_allowed(self.ip, self.ptr.as_deref(), rcpt)))
        {
            p.rcpt_ok(&to)
        } else {
            p.relay_denied(&to, self.mta.cfg.auth != AuthMode::Off)
        };
        if r.is_positive() {
            if self.qid.is_none() {
                let qid = self.mta.new_qid(self.pid);
                let sasl = env.auth.as_deref().map(|u| (self.auth_mech.as_str(), u));
                if let Some(l) = p.log_client(&qid, &self.peer(), sasl) {
                    self.mta.log.log(self.service.program(), self.pid, &l);
                }
                self.qid = Some(qid);
            }
        } else {
            let l = p.log_rcpt_reject(&self.peer(), self.qid.as_deref(), env, &to, &r);
            self.mta.log.log(self.service.program(), self.pid, &l);
        }
        r
    }

    fn password(&mut self, user: &str) -> Option<String> {
        self.mta.auth_users.get(user).cloned()
    }

    fn challenge(&mut self) -> String {
        format!("<{}.{}@{}>", self.pid, self.mta.ctx.now().timestamp(), self.mta.ctx.hostname)
    }

    fn auth_done(&mut self, user: &str, mech: &str, ok: bool) {
        self.auth_mech = mech.to_string();
        if ok {
            self.mta.penalties.succeeded(self.ip);
        } else {
            self.auth_failed = true;
        }
        if let Some(l) = self.persona().log_auth(&self.peer(), user, mech, ok) {
            self.mta.log.log(self.service.program(), self.pid, &l);
        }
    }

    fn message(&mut self, env: &Envelope, data: Vec<u8>) -> Reply {
        let p = self.persona();
        let qid = self.qid.take().unwrap_or_else(|| self.mta.new_qid(self.pid));
        let hs = crate::base::message::headers(&data);
        let hops = crate::base::message::values(&hs, "Received").len();
        if hops >= MAX_HOPS {
            let to = env.rcpts.first().map(|m| m.to_string()).unwrap_or_default();
            let r = p.too_many_hops(hops, MAX_HOPS, &env.from.to_string(), &self.mta.ctx.hostname, &to);
            self.mta.log.log(self.service.program(), self.pid, &p.log_hops(&qid, &r));
            return r;
        }
        let peer = self.peer();
        let received =
            received(p, &self.mta.ctx.hostname, &qid, &Via::Smtp { env, peer: &peer }, &rfc5322(self.mta.ctx.now()));
        let mut full = Vec::with_capacity(received.len() + data.len());
        full.extend_from_slice(received.as_bytes());
        full.extend_from_slice(&data);
        let msgid = crate::base::message::message_id(&hs);
        let arrival = Arrival {
            qid: &qid,
            from: &env.from.to_string(),
            size: full.len(),
            nrcpts: env.rcpts.len(),
            msgid: &msgid,
            source: Source::Smtp { peer: &peer, protocol: env.protocol() },
        };
        self.mta.log.log_lines(self.pid, p.log_arrival(&arrival));
        let entry =
            QueueEntry::new(&self.mta.ctx, qid.clone(), env.from.clone(), env.rcpts.clone(), full, msgid, self.pid);
        self.mta.enqueue(entry);
        p.queued(&qid)
    }
}
